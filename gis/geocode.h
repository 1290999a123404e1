/* Forgiving address search over an in-memory index of one store's localities, streets and address points.
 * The search ignores diacritics ("Slubice" finds "Słubice"), case, the prefixes ul./al./pl./os., word order
 * and one typo per word of four or more letters, reads postal codes (69-100), and ranks an exact house
 * number before the same number with another letter before near numbers ("12" < "12a" < "14").
 *
 * Ownership and threads: gis_geocoder_new builds the index from a store connection; afterwards it is
 * read-only, so any number of threads may search it at once. Hits point into the index and live until
 * gis_geocoder_free. */
#ifndef GIS_GEOCODE_H
#define GIS_GEOCODE_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/store.h"
#include "util/err.h"

struct gis_geocoder;

/* One address point in the index. Text fields are never NULL except street_prefix, street (NULL for a
 * village address without a street), postal_code and parcel_id. */
struct gis_geocode_addr {
    long id;
    const char *locality;
    const char *street_prefix;
    const char *street;
    const char *number;
    const char *postal_code;
    const char *parcel_id;
    const char *label; /* gis_place_address_label */
    double x, y;       /* EPSG:2180, easting and northing */
    double lon, lat;   /* CRS84 */
};

struct gis_geocode_hit {
    const struct gis_geocode_addr *addr;
    double score;  /* 0..1, 1 for every word, the house number and the postal code matching exactly */
    bool complete; /* every query word matched a whole word of this address (one typo allowed, a mere
                    * prefix not), the house number, when given, matched exactly, and so did the postal
                    * code: a hit good enough to act on */
};

/* Longest query accepted, in bytes, and most words in it. */
#define GIS_GEOCODE_MAX_QUERY 200
#define GIS_GEOCODE_MAX_WORDS 16

/* Builds the index of every address in s. */
enum err_code gis_geocoder_new(struct gis_store *s, struct gis_geocoder **out, struct err *e);

/* Frees the index. NULL is a no-op. */
void gis_geocoder_free(struct gis_geocoder *g);

/* Makes g the owner of old (NULL is fine): old is freed together with g. A server replacing an index
 * that other threads may still be searching keeps the old one alive this way. */
void gis_geocoder_retire(struct gis_geocoder *g, struct gis_geocoder *old);

/* Number of address points indexed. */
size_t gis_geocoder_size(const struct gis_geocoder *g);

/* A fingerprint of the store's address data, as the index saw it when built; gis_geocoder_stale compares
 * it with the store now (cheap: a few indexed max() lookups), so a server can rebuild after an import. */
bool gis_geocoder_stale(const struct gis_geocoder *g, struct gis_store *s);

/* Searches q (UTF-8). Writes up to max hits, best first, and their number to *n (0 when nothing fits).
 * ERR_INVALID naming "q" when q is empty, longer than GIS_GEOCODE_MAX_QUERY bytes, has more than
 * GIS_GEOCODE_MAX_WORDS words or is not valid UTF-8. */
enum err_code gis_geocode_search(const struct gis_geocoder *g, const char *q, struct gis_geocode_hit *hits, int max,
                                 int *n, struct err *e);

#endif
