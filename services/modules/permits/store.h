/* The permits module's tables behind named functions, private to services/modules/permits/. store.c is the
 * only file of the module that speaks SQL. Dates are ISO texts (YYYY-MM-DD); money in grosze; categories
 * 'A'..'C'; sale "on" or "off". Texts a function returns live in the arena it is given. Functions taking a
 * writer expect the caller's transaction (svc_tenant_write). Store failures are ERR_IO. */
#ifndef SERVICES_MODULES_PERMITS_STORE_H
#define SERVICES_MODULES_PERMITS_STORE_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/store.h"
#include "services/modules/permits/path.h"
#include "util/arena.h"
#include "util/err.h"

struct permits_outlet {
    long id;
    const char *name, *sale, *nip, *operator_name, *hours; /* hours may be NULL */
    long address_id;                                       /* 0: none */
    const char *address_text, *parcel_id, *unit;           /* may be NULL */
    const char *created_at;
    double x, y;
};

/* Adds the outlet; writes its id. */
enum err_code permits_store_outlet_add(struct gis_store *w, struct permits_outlet *o, struct err *e);
/* Rewrites the outlet's point unchanged, so that the change tracking of its tileset (gis_changes_track)
 * sees it when one of its permits changes. */
enum err_code permits_store_outlet_touch(struct gis_store *w, long id, struct err *e);
/* The outlet; ERR_NOT_FOUND when there is none. */
enum err_code permits_store_outlet_get(struct gis_store *s, struct arena *a, long id, struct permits_outlet *out,
                                       struct err *e);

struct permits_permit {
    long id, outlet_id;
    const char *number;
    char category;
    const char *sale;
    bool one_off;
    const char *event; /* may be NULL */
    const char *valid_from, *valid_to, *status, *status_on, *status_reason, *case_id, *issued_on;
    /* read with it: the outlet's name, address and parcel */
    const char *outlet_name, *address_text, *parcel_id;
};

enum err_code permits_store_permit_add(struct gis_store *w, struct permits_permit *p, struct err *e);
enum err_code permits_store_permit_get(struct gis_store *s, struct arena *a, long id, struct permits_permit *out,
                                       struct err *e);
/* Sets the status of a permit (with the day and reason). */
enum err_code permits_store_permit_status(struct gis_store *w, long id, const char *status, const char *on,
                                          const char *reason, struct err *e);

/* Which permits permits_store_permits_each walks: NULL / 0 do not filter. */
struct permits_filter {
    const char *status;
    long address_id;
    const char *parcel_id;
    char category;
    int limit; /* 0: 1000 */
};
enum err_code permits_store_permits_each(struct gis_store *s, struct arena *a, const struct permits_filter *f,
                                         bool (*fn)(void *ctx, const struct permits_permit *p), void *ctx,
                                         struct err *e);

/* ---- the council's rules ---- */

struct permits_limit {
    long id;
    char category;
    const char *sale, *unit, *resolution; /* unit NULL: the whole gmina */
    long max, count;                      /* count: permits in force today (not one-off) that it counts */
};

/* The limits of (cat, sale) that apply in unit (the whole gmina's, and unit's when unit is not NULL), with
 * their counts on day today; at most max into out. */
enum err_code permits_store_limits(struct gis_store *s, struct arena *a, char cat, const char *sale, const char *unit,
                                   const char *today, struct permits_limit *out, int max, int *n, struct err *e);
enum err_code permits_store_limit_add(struct gis_store *w, char cat, const char *sale, const char *unit, long max,
                                      const char *resolution, struct err *e);

struct permits_rule {
    long id;
    const char *kind, *method, *categories, *sale, *resolution; /* sale NULL: both */
    double min_m;
};
/* The distance rules for (cat, sale); cat 0 and sale NULL: all of them. */
enum err_code permits_store_rules(struct gis_store *s, struct arena *a, char cat, const char *sale,
                                  struct permits_rule *out, int max, int *n, struct err *e);
enum err_code permits_store_rule_add(struct gis_store *w, const struct permits_rule *r, struct err *e);

struct permits_night_ban {
    const char *from, *to, *unit, *resolution;
};
/* The night-time bans that apply in unit (NULL: the whole gmina's only). */
enum err_code permits_store_night_bans(struct gis_store *s, struct arena *a, const char *unit,
                                       struct permits_night_ban *out, int max, int *n, struct err *e);
enum err_code permits_store_night_ban_add(struct gis_store *w, const struct permits_night_ban *b, struct err *e);

/* ---- protected objects and streets ---- */

struct permits_object {
    long id;
    const char *kind, *name;
    double x, y, straight_m;
};

/* The protected objects of kind (NULL: every kind) within radius metres of (x, y) in a straight line,
 * nearest first. */
enum err_code permits_store_protected_near(struct gis_store *s, struct arena *a, const char *kind, double x, double y,
                                           double radius, struct permits_object *out, int max, int *n, struct err *e);
enum err_code permits_store_protected_add(struct gis_store *w, const char *kind, const char *name, double x, double y,
                                          struct err *e);

/* Adds to g every street whose index box meets bbox (minx, miny, maxx, maxy); *n gets their number. */
enum err_code permits_store_streets(struct gis_store *s, const double bbox[4], struct permits_graph *g, int *n,
                                    struct err *e);

/* ---- applications (cases) and fees ---- */

struct permits_app {
    const char *case_id;
    long outlet_id;
    char category;
    bool one_off;
    const char *event, *valid_from, *valid_to;
    const char *opinion, *opinion_note, *opinion_on; /* NULL until given */
    int check_ok;                                    /* -1: not checked */
    const char *check_json, *checked_on;
    long permit_id; /* 0: not decided or refused */
    bool has_decision;
};

enum err_code permits_store_app_add(struct gis_store *w, const struct permits_app *p, struct err *e);
enum err_code permits_store_app_get(struct gis_store *s, struct arena *a, const char *case_id, struct permits_app *out,
                                    struct err *e);
enum err_code permits_store_app_opinion(struct gis_store *w, const char *case_id, const char *opinion, const char *note,
                                        const char *on, struct err *e);
enum err_code permits_store_app_check(struct gis_store *w, const char *case_id, bool ok, const char *json,
                                      const char *on, struct err *e);
/* Records the decision: its sealed PDF and the permit (0 for a refusal). */
enum err_code permits_store_app_decided(struct gis_store *w, const char *case_id, long permit_id, const void *pdf,
                                        size_t len, const char *sha256, struct err *e);
/* The decision's PDF, in a. ERR_NOT_FOUND when the case has none. */
enum err_code permits_store_app_pdf(struct gis_store *s, struct arena *a, const char *case_id, const void **pdf,
                                    size_t *len, const char **sha256, struct err *e);

struct permits_fee {
    long permit_id;
    int year;
    const char *kind;    /* first, annual, one_off */
    long sales_value_gr; /* -1: none */
    const char *statement_on;
    long fee_gr, surcharge_gr;
    const char *nrb;
};
/* Inserts or replaces the fee of (permit, year). */
enum err_code permits_store_fee_put(struct gis_store *w, const struct permits_fee *f, struct err *e);
/* ERR_NOT_FOUND when there is none. */
enum err_code permits_store_fee_get(struct gis_store *s, struct arena *a, long permit_id, int year,
                                    struct permits_fee *out, struct err *e);

/* The outlets at an address (when > 0) or else on a parcel with a permit in force: their count and the
 * first names (for /locate). */
enum err_code permits_store_locate(struct gis_store *s, struct arena *a, long address_id, const char *parcel_id,
                                   int *count, const char **names, int max, int *nnames, struct err *e);

/* Address points for the demo, every step-th, with the obręb name of the parcel. */
struct permits_address {
    long id;
    const char *label, *parcel_id, *obreb;
    double x, y;
};
enum err_code permits_store_addresses(struct gis_store *s, struct arena *a, int step, struct permits_address *out,
                                      int max, int *n, struct err *e);

/* The obręb name of a parcel (the auxiliary unit here), NULL when unknown. */
const char *permits_store_unit(struct gis_store *s, struct arena *a, const char *parcel_id);

/* What the mapping says of use ("retail" or "catering") in a zone of kind ("mpzp" or "pog") with symbol:
 * verdict, source and uncertainty. ERR_NOT_FOUND when it has no row. */
struct permits_zone_use {
    const char *verdict, *source, *uncertainty;
};
enum err_code permits_store_zone_use(struct gis_store *s, struct arena *a, const char *kind, const char *symbol,
                                     const char *use, struct permits_zone_use *out, struct err *e);

/* The latest day (YYYY-MM-DD, in a) on which a permit of an outlet of the operator with this NIP expired for
 * one of the reasons given (a reason recorded on the permit starts with one of them, NULL-ended), or NULL
 * when none did (or the store failed: e set). */
const char *permits_store_lapsed_on(struct gis_store *s, struct arena *a, const char *nip, const char *const *reasons,
                                    struct err *e);

/* The streets' extent (minx, miny, maxx, maxy): false when there are none. */
bool permits_store_streets_extent(struct gis_store *s, double out[4]);

#endif
