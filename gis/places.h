/* Places in one tenant store: parcels and what applies to them (MPZP zones, overlays and POG zones, each
 * with the area and share of the parcel it covers, computed with GEOS), the parcel under a point, the
 * nearest address point, the gmina's area, and geometry output (GeoJSON, EWKT, EWKB) in any odra CRS.
 *
 * Ownership: everything these functions return is allocated from the arena passed in and lives as long
 * as it, except json_t results, whose reference the caller owns. Coordinates in and out are EPSG:2180
 * in traditional GIS order (x = easting, y = northing) unless a function says otherwise. GEOS work runs
 * on the calling thread's own GEOS context (reentrant _r API), so any number of threads may call these
 * functions at once, each with its own store connection. */
#ifndef GIS_PLACES_H
#define GIS_PLACES_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "gis/crs.h"
#include "gis/pip_index.h" /* the point-in-polygon index, which the places API offers too */
#include "gis/store.h"
#include "util/arena.h"
#include "util/err.h"

/* Longest parcel identifier accepted ("080505_4.0001.AR_12.1234/56" is 27 bytes). */
#define GIS_PARCEL_ID_MAX 64

/* A parcel (działka ewidencyjna) with its obręb and its geometry. */
struct gis_parcel {
    long id;                  /* row id in parcels */
    const char *parcel_id;    /* EGiB identifier, "080505_4.0001.123/4" */
    const char *unit;         /* jednostka ewidencyjna, "080505_4" */
    const char *obreb_number; /* "0001" */
    const char *obreb_name;   /* "Słubice" */
    const char *number;       /* parcel number, "123/4" */
    double area_m2;           /* registered (EGiB) area; the geometry's area when the store has none */
    bool area_registered;     /* area_m2 is the store's registered area, not the geometry's */
    double geom_area_m2;      /* area of the geometry: the base of every share_pct */
    const char *land_use;     /* EGiB land-use class, or NULL */
    double bbox[4];           /* minx, miny, maxx, maxy */
    double inside[2];         /* a point guaranteed inside the parcel (GEOS point on surface) */
    const unsigned char *wkb; /* the geometry as ISO WKB (EPSG:2180) */
    size_t wkb_len;
};

/* True when s looks like an EGiB parcel identifier (WWPPGG_R.OOOO[.AR_n].NR): a cheap syntax check for
 * untrusted input before it is looked up. */
bool gis_place_parcel_id_valid(const char *s);

/* The parcel with this EGiB identifier. ERR_NOT_FOUND when the store has none. */
enum err_code gis_place_parcel_by_id(struct gis_store *s, struct arena *a, const char *parcel_id,
                                     struct gis_parcel **out, struct err *e);

/* The parcel with this number in an obręb given by name (case and diacritics ignored: "slubice"), by
 * number ("1" or "0001") or as unit.number ("080505_4.0001"). ERR_NOT_FOUND when no such obręb or
 * parcel; ERR_CONFLICT naming the candidates when the name fits parcels in several obręby. */
enum err_code gis_place_parcel_by_obreb(struct gis_store *s, struct arena *a, const char *obreb, const char *number,
                                        struct gis_parcel **out, struct err *e);

/* One parcel found by gis_place_parcel_search. */
struct gis_parcel_hit {
    struct gis_parcel *parcel;
    bool exact; /* the number matched as given; false for a part of it ("2287/1" for "2287") */
};

/* Longest text gis_place_parcel_search reads, in bytes. */
#define GIS_PARCEL_QUERY_MAX 200

/* Parcels that text q (UTF-8, as a person types it) names: a parcel number alone ("2287", "2287/1"),
 * after "dz.", "działka" or "nr" ("dz. 2287"), after an obręb given by name, number or unit.number
 * ("Słubice 1 2287", "0001 2287", "080505_4.0001 2287"; an obręb name may be given by its first whole
 * words, "Słubice 2287" for the obręby Słubice 1, 2 and 3), after "dz." followed by the obręb (also as
 * number and name: "dz. 2287, obręb 0001 Słubice 1", as /search labels parcels), or the full EGiB
 * identifier. A number asks for that parcel in every obręb that fits, and for its parts ("2287/1",
 * "2287/2"). Writes up to max hits, the exact numbers first, each group by unit, obręb and number, and
 * their count to *n (0 when q names no parcel, for example when it is an address). *explicit_parcel (may
 * be NULL) tells whether q can only mean a parcel: an identifier, a "dz." or "obręb" word, or digits
 * alone. ERR_INVALID naming "q" when q is longer than GIS_PARCEL_QUERY_MAX or is not valid UTF-8. */
enum err_code gis_place_parcel_search(struct gis_store *s, struct arena *a, const char *q, int max,
                                      struct gis_parcel_hit *hits, int *n, bool *explicit_parcel, struct err *e);

/* The parcel containing the point (x, y); a point on a shared boundary gives the parcel with the lowest
 * id. ERR_NOT_FOUND when no parcel contains it. x and y must be finite. */
enum err_code gis_place_parcel_at(struct gis_store *s, struct arena *a, double x, double y, struct gis_parcel **out,
                                  struct err *e);

/* A planning act that applies to a parcel, with the part of the parcel inside the act's boundary. */
struct gis_plan_ref {
    long id;
    const char *kind;  /* "mpzp" or "pog" */
    const char *title; /* every text field below is NULL when the store has none */
    const char *resolution;
    const char *resolution_date;
    const char *publication;
    const char *status;     /* "obowiązujący", "uchylony", "wygasły" ("projekt" is never in force) */
    const char *valid_from; /* ISO dates; valid_to is NULL for a plan with no end */
    const char *valid_to;
    const char *changed_by;   /* the resolution that changed or repealed the plan */
    long amends;              /* id of the plan this one amends (zmiana planu); 0 when none */
    const char *amends_title; /* its title and resolution, when amends */
    const char *amends_resolution;
    long scale;       /* drawing scale denominator; 0 when unknown */
    double area_m2;   /* area of parcel ∩ plan boundary */
    double share_pct; /* 100 * area_m2 / parcel geom_area_m2 */
};

enum gis_zone_kind { GIS_ZONE_MPZP, GIS_ZONE_OVERLAY, GIS_ZONE_POG };

/* "mpzp", "overlay" or "pog". */
const char *gis_zone_kind_name(enum gis_zone_kind k);

#define GIS_ZONE_MAX_PARAMS 8

/* One key parameter of a zone's provisions: numeric unless text is set. */
struct gis_zone_param {
    const char *name; /* "max_height_m", "max_intensity", ... (static) */
    const char *text; /* NULL for a numeric parameter */
    double value;
};

/* A zone (MPZP teren, overlay or POG strefa) that covers part of a parcel. */
struct gis_zone_hit {
    enum gis_zone_kind kind;
    long id;            /* row id in plan_zones, overlays or pog_zones */
    int plan;           /* index into gis_parcel_zones.plans */
    const char *label;  /* "1MN" */
    const char *symbol; /* "MN"; NULL for overlays */
    const char *name;
    const char *overlay_kind;                          /* overlays only: "konserwatorska", "powodziowa", ... */
    double area_m2;                                    /* area of parcel ∩ zone */
    double share_pct;                                  /* 100 * area_m2 / parcel geom_area_m2 */
    struct gis_zone_param params[GIS_ZONE_MAX_PARAMS]; /* only those the store has */
    int nparams;
};

/* What applies to a parcel: the plans whose boundary or zones touch it, and the zones, ordered MPZP zones,
 * overlays, POG zones, each by decreasing share. Slivers under GIS_ZONE_MIN_AREA_M2 are left out. */
struct gis_parcel_zones {
    struct gis_plan_ref *plans;
    int nplans;
    struct gis_zone_hit *zones;
    int nzones;
};

#define GIS_ZONE_MIN_AREA_M2 0.01

/* Computes the zones and plans that apply to p on date (ISO "YYYY-MM-DD", checked by the caller with
 * gis_cal_parse_date; NULL: today, gis_cal_today): only plans in force on that date (migration 007:
 * status, valid_from, valid_to), and within the boundary of an amendment in force the amended plan's
 * zones are cut away, so there the amendment's zones apply and outside it the earlier plan's. Candidates
 * come from the R*Tree indexes, areas from GEOS intersections with the parcel. This is the one answer to
 * "what applies here on a date": /locate, /parcels and the extracts all ask it. */
enum err_code gis_place_zones(struct gis_store *s, struct arena *a, const struct gis_parcel *p, const char *date,
                              struct gis_parcel_zones *out, struct err *e);

/* An address point. */
struct gis_place_address {
    long id;
    const char *locality;
    const char *street_prefix; /* "ul.", "al.", ...; NULL for a village address without a street */
    const char *street;        /* street name without prefix; NULL likewise */
    const char *number;        /* "12a" */
    const char *postal_code;   /* the address's, else the locality's, else NULL */
    const char *parcel_id;     /* NULL when unknown */
    const char *label;         /* "ul. Jedności Robotniczej 12a, 69-100 Słubice" (gis_place_address_label) */
    double x, y;
    double distance_m; /* from the query point (gis_place_nearest_address), else 0 */
};

/* The display form of an address: "ul. Jedności Robotniczej 12a, 69-100 Słubice", or for a village
 * address without a street "Kunowice 12, 69-100". street_prefix, street and postal may be NULL. */
char *gis_place_address_label(struct arena *a, const char *street_prefix, const char *street, const char *number,
                              const char *postal, const char *locality);

/* The address point nearest to (x, y) within max_m metres. ERR_NOT_FOUND when there is none. */
enum err_code gis_place_nearest_address(struct gis_store *s, struct arena *a, double x, double y, double max_m,
                                        struct gis_place_address **out, struct err *e);

/* The addresses that stand on parcel p (their parcel_id is p's, or their point lies in it), ordered by
 * street and number; at most max. *n may be 0. */
enum err_code gis_place_parcel_addresses(struct gis_store *s, struct arena *a, const struct gis_parcel *p, int max,
                                         struct gis_place_address **out, int *n, struct err *e);

/* Whether (x, y) lies in the gmina of this store: inside its gmina_boundary (migration 005), which only
 * `odra demo` and `odra boundary` set; no import changes it. A store without one holds no point. */
enum err_code gis_place_in_gmina(struct gis_store *s, double x, double y, bool *inside, struct err *e);

/* ---- geometry output; wkb is EPSG:2180 ISO WKB as in struct gis_parcel ---- */

/* A GeoJSON geometry object with coordinates in crs: CRS84 is lon, lat (RFC 7946); every other CRS uses
 * its authority axis order (EPSG:4326 lat, lon; EPSG:2180 and 2176 northing, easting; EPSG:3857 x, y),
 * as OGC API Features Part 2 requires. Rounded to 1e-8 degrees or 1 mm. NULL with e set on failure. */
json_t *gis_place_geojson(const unsigned char *wkb, size_t len, enum gis_crs crs, struct err *e);

/* EWKT as ULDK and PostGIS write it, "SRID=2180;POLYGON((x y,...))", always in traditional GIS order
 * (x = easting or longitude), whatever the authority says. A one-part multipolygon is written as a
 * POLYGON. crs may not be GIS_CRS_CRS84 (use GIS_CRS_4326, same coordinates). */
char *gis_place_ewkt(struct arena *a, const unsigned char *wkb, size_t len, enum gis_crs crs, struct err *e);

/* The same geometry as hex EWKB (little endian, with the SRID), as ULDK's geom_wkb. */
char *gis_place_ewkb_hex(struct arena *a, const unsigned char *wkb, size_t len, enum gis_crs crs, struct err *e);

/* The bounding box of the geometry in crs, traditional order: minx, miny, maxx, maxy. */
enum err_code gis_place_extent(const unsigned char *wkb, size_t len, enum gis_crs crs, double out[4], struct err *e);

#endif
