/* The business module's tables behind named functions, private to services/modules/business/. store.c is
 * the only file of the module that speaks SQL. Dates are ISO texts (YYYY-MM-DD) as the registers write
 * them; PKD codes are canonical PKD 2025 subclasses ("47.11.Z").
 *
 * Texts handed to a callback live until it returns; texts put into an arena live as long as it. Functions
 * named for a writer expect the caller to hold the tenant's write lock and an open transaction
 * (svc_tenant_write). Failures of the store are ERR_IO naming what was read or written. */
#ifndef SERVICES_MODULES_BUSINESS_STORE_H
#define SERVICES_MODULES_BUSINESS_STORE_H
#include <jansson.h>
#include <stdbool.h>

#include "services/modules/business/business.h"

/* What a write did to a row. */
enum business_change { BUSINESS_NEW, BUSINESS_UPDATED, BUSINESS_UNCHANGED };

struct business_row {
    long id;
    const char *nip, *regon, *name; /* regon may be NULL */
    const char *pkd_main;           /* may be NULL */
    char pkd_section[2];
    const char *pkd_other; /* space separated, "" for none */
    bool from_2007;
    const char *source, *source_id, *imported_at;
};

/* Inserts the business of this NIP, or updates it when a field differs; writes its id to b->id. */
enum err_code business_store_business_put(struct gis_store *w, struct business_row *b, enum business_change *ch,
                                          struct err *e);

struct business_place_row {
    long id, business_id;
    bool main;
    const char *address_text, *flat; /* flat may be NULL */
    long address_id;                 /* 0: unmatched, queued with reason */
    const char *parcel_id;           /* may be NULL */
    double x, y;                     /* EPSG:2180 when matched */
    const char *start, *end;         /* may be NULL */
    enum business_status status;
    const char *matched_by; /* "geocoder", "demo"; NULL when unmatched */
    const char *reason;     /* why it is unmatched */
    const char *queued_at;
};

/* Inserts the place (business, kind, address text) or updates what differs; an unmatched place goes to the
 * queue (a place already matched by hand keeps its match). Writes its id to p->id. */
enum err_code business_store_place_put(struct gis_store *w, struct business_place_row *p, enum business_change *ch,
                                       struct err *e);

/* Matches place id by hand to an address point: its address id, parcel and point, and takes it out of the
 * queue. ERR_NOT_FOUND when there is no such place. */
enum err_code business_store_place_match(struct gis_store *w, long id, long address_id, const char *parcel_id, double x,
                                         double y, struct err *e);

/* The PKD 2025 code for a PKD 2007 one, from business_pkd_2007_2025, into out (8 bytes); false when the
 * table has no row for it. */
bool business_store_pkd_2007(struct gis_store *s, const char *code2007, char out[8], struct err *e);

/* The category of a PKD 2025 code: the row of business_pkd_categories with the longest prefix that
 * matches (subclass, class, division, then section). ERR_NOT_FOUND when none does. */
struct business_category {
    const char *prefix, *category, *source, *uncertainty;
};
enum err_code business_store_pkd_category(struct gis_store *s, struct arena *a, const char *code,
                                          struct business_category *out, struct err *e);

/* The zone of kind "mpzp" (plan_zones) or "pog" (pog_zones) that contains the point, with its plan's
 * title; ERR_NOT_FOUND when none does. */
struct business_zone {
    long id;
    const char *label, *symbol, *name, *plan;
};
enum err_code business_store_zone_at(struct gis_store *s, struct arena *a, const char *kind, double x, double y,
                                     struct business_zone *out, struct err *e);

/* The rule for (kind, symbol, category); ERR_NOT_FOUND when the mapping has none. */
struct business_rule {
    enum business_verdict verdict;
    const char *source, *uncertainty;
};
enum err_code business_store_zone_rule(struct gis_store *s, struct arena *a, const char *kind, const char *symbol,
                                       const char *category, struct business_rule *out, struct err *e);

/* A business at a place, as the public answers show it. */
struct business_at {
    long business_id, place_id;
    const char *name, *nip, *regon, *pkd_main, *pkd_section, *pkd_other;
    bool main;
    const char *address_text, *flat, *parcel_id, *start, *end, *status;
    long address_id;
};

/* Walks the places of business at address_id (when > 0) or else on parcel_id, by business name. */
enum err_code business_store_at_each(struct gis_store *s, long address_id, const char *parcel_id,
                                     bool (*fn)(void *ctx, const struct business_at *b), void *ctx, struct err *e);

/* Counts the active places at address_id (or else on parcel_id) and gives the first few names into names
 * (at most max, in the arena). For /locate: two indexed lookups. */
enum err_code business_store_locate(struct gis_store *s, struct arena *a, long address_id, const char *parcel_id,
                                    int *count, const char **names, int max, int *nnames, struct err *e);

/* Walks the count of active, located places per zone of kind ("mpzp" or "pog") and PKD 2025 section, by
 * zone id then section; zone_label, when not NULL, keeps only the zones with that label. */
enum err_code business_store_stats_each(struct gis_store *s, const char *kind, const char *zone_label,
                                        bool (*fn)(void *ctx, long zone_id, const char *label, const char *symbol,
                                                   const char *section, long count),
                                        void *ctx, struct err *e);

/* Walks the queue of unmatched places, oldest first. */
enum err_code business_store_unmatched_each(struct gis_store *s,
                                            bool (*fn)(void *ctx, long place_id, const char *name, const char *nip,
                                                       const char *address_text, const char *reason),
                                            void *ctx, struct err *e);

/* Address points for the demo: id, the label's parts, parcel and point, by id. */
struct business_store_address {
    long id;
    const char *street_prefix, *street, *number, *postal_code, *locality, *parcel_id;
    double x, y;
};
enum err_code business_store_addresses_each(struct gis_store *s,
                                            bool (*fn)(void *ctx, const struct business_store_address *a,
                                                       struct err *e),
                                            void *ctx, struct err *e);

/* ---- owners (the owner's page) ---- */

/* Links account as an owner of business id (by: the clerk's login); linking again changes nothing.
 * ERR_NOT_FOUND when there is no such business. */
enum err_code business_store_owner_link(struct gis_store *w, long id, long long account, const char *by, struct err *e);
/* Unlinks them; ERR_NOT_FOUND when they were not linked. */
enum err_code business_store_owner_unlink(struct gis_store *w, long id, long long account, struct err *e);
/* Whether account owns business id. */
enum err_code business_store_owns(struct gis_store *s, long id, long long account, bool *owns, struct err *e);
/* The businesses account owns, each {id, name, nip, regon, pkd_main, pkd_section}, appended to list. */
enum err_code business_store_owned(struct gis_store *s, long long account, json_t *list, struct err *e);
/* Business id as {id, name, nip, regon, pkd_main, pkd_section, owners: [account ids]} into *out; ERR_NOT_FOUND. */
enum err_code business_store_entity(struct gis_store *s, long id, json_t **out, struct err *e);
/* Its places of business, each {id, kind, address, address_id, parcel_id, start_date, end_date, status}. */
enum err_code business_store_places(struct gis_store *s, long id, json_t *list, struct err *e);

/* RODO erasure: removes every owner link of account (the business's own data is public and stays). */
enum err_code business_store_owner_erase(struct gis_store *w, long long account, struct err *e);

#endif
