/* The waste module's tables behind named functions, private to services/modules/waste/. store.c is the only
 * file of the module that speaks SQL (SQLite through gis/store.h); a second backend provides these same
 * functions. The signatures speak the module's terms (waste.h): day numbers, month numbers, grosze, enums;
 * how a value is written in a table (dates as text, containers as "120x2,240x4") is the store's business.
 *
 * Texts handed to a callback live until it returns; texts put into an arena live as long as it. A callback
 * returns false to stop the walk, setting e when it stops on an error; the walk then returns e->code
 * (ERR_OK when it was stopped without one). Functions named for a writer expect the caller to hold the
 * tenant's write lock and an open transaction (svc_tenant_write). Failures of the store are ERR_IO naming
 * what was read or written. */
#ifndef SERVICES_MODULES_WASTE_STORE_H
#define SERVICES_MODULES_WASTE_STORE_H
#include <stdbool.h>
#include <stddef.h>

#include "services/modules/waste/waste.h"

/* ---- settings ---- */

/* The value of a waste setting as a malloc'd string; NULL when it is unset or cannot be read. */
char *waste_store_setting(struct gis_store *s, const char *key);

/* ---- zones ---- */

struct waste_store_zone {
    long id;
    const char *code, *name;  /* NULL when the row has none */
    const unsigned char *wkb; /* the geometry as WKB (EPSG:2180), NULL when empty */
    size_t wkb_len;
};

/* Walks every zone, by id. */
enum err_code waste_store_zones_each(struct gis_store *s,
                                     bool (*fn)(void *ctx, const struct waste_store_zone *z, struct err *e), void *ctx,
                                     struct err *e);

/* Writes zones R1..Rnz from the obręby of the store dealt round-robin (by obręb id): zone k+1 is the union of
 * the obręby k, k + nz, k + 2 nz, ..., named "Rejon k+1: <their names>". It does not track changes: call it
 * inside gis_changes_track, as waste_zones_from_obreby does. */
enum err_code waste_store_zones_from_obreby(struct gis_store *w, int nz, struct err *e);

/* ---- fractions and collection rules ---- */

/* Walks the fractions in their order (ord, then code). */
enum err_code waste_store_fractions_each(struct gis_store *s,
                                         bool (*fn)(void *ctx, const char *code, const char *name, struct err *e),
                                         void *ctx, struct err *e);

/* Walks the collection rules by zone, fraction and id; r->fraction is the fraction's code. A rule whose kind
 * is unknown is left out; an every-n-weeks rule without a readable anchor counts from 2024-01-01. */
enum err_code waste_store_rules_each(struct gis_store *s,
                                     bool (*fn)(void *ctx, long zone_id, const struct waste_rule *r, struct err *e),
                                     void *ctx, struct err *e);

/* Adds rule r (of fraction r->fraction) to the zone with this code; a zone that does not exist gets none. */
enum err_code waste_store_rule_add(struct gis_store *w, const char *zone_code, const struct waste_rule *r,
                                   struct err *e);

/* ---- rate tables ---- */

/* Every rate table (at most cap, with at most WASTE_MAX_ITEMS items each), ordered by method name and
 * valid_from; rows with an unknown method or month are left out. */
enum err_code waste_store_rates(struct gis_store *s, struct waste_rate *out, int cap, int *n, struct err *e);

/* Adds rate table r with its items; *id is its new id. ERR_CONFLICT when its method has one from that month. */
enum err_code waste_store_rate_add(struct gis_store *w, const struct waste_rate *r, long *id, struct err *e);

/* ---- payers and declarations ---- */

/* Adds a payer with this name and no account yet; *id is the new payer's. */
enum err_code waste_store_payer_add(struct gis_store *w, const char *name, long *id, struct err *e);
enum err_code waste_store_payer_set_account(struct gis_store *w, long id, const char *account, struct err *e);

/* The payer's name and account (either pointer may be NULL), in a. ERR_NOT_FOUND for an unknown payer. */
enum err_code waste_store_payer_get(struct gis_store *s, struct arena *a, long id, const char **name,
                                    const char **account, struct err *e);

/* Adds declaration d (payer, kind, place, household, method, fee, change_day, valid_from, filing, reason, case
 * and filed_at, now when NULL); *id is the new declaration's. */
enum err_code waste_store_declaration_add(struct gis_store *w, const struct waste_declaration *d, long *id,
                                          struct err *e);

/* Links the payer to a signed-in account (idempotent); whether it is linked; the payers of an account
 * (ascending, at most cap into ids); and the removal of all of an account's links (*n counts them). */
enum err_code waste_store_payer_link(struct gis_store *w, long payer_id, long long account, struct err *e);
bool waste_store_payer_linked(struct gis_store *s, long payer_id, long long account);
enum err_code waste_store_account_payers(struct gis_store *s, long long account, long *ids, int cap, int *n,
                                         struct err *e);
enum err_code waste_store_account_unlink(struct gis_store *w, long long account, int *n, struct err *e);
enum err_code waste_store_payer_accounts(struct gis_store *s, long payer_id, long long *ids, int cap, int *n,
                                         struct err *e);

/* The payer's declarations, newest first, at most max of them, in a. */
enum err_code waste_store_declarations(struct gis_store *s, struct arena *a, long payer_id, int max,
                                       struct waste_declaration **out, int *n, struct err *e);

/* Walks every declaration by payer, valid_from and id; the texts of each are put in a. */
enum err_code waste_store_declarations_each(struct gis_store *s, struct arena *a,
                                            bool (*fn)(void *ctx, const struct waste_declaration *d, struct err *e),
                                            void *ctx, struct err *e);

/* ---- decisions of art. 6ka ---- */

/* Adds decision n (all but its id, which *id gets); decided_at is now. */
enum err_code waste_store_nonsort_add(struct gis_store *w, const struct waste_nonsort *n, long *id, struct err *e);

/* Whether a decision of the payer covers a month in [from, to]. */
bool waste_store_nonsort_overlaps(struct gis_store *s, long payer_id, int from, int to);

/* The multiplier of the decision covering the payer's month, 0 when none does. */
double waste_store_nonsort_multiplier(struct gis_store *s, long payer_id, int month);

/* The payer's decisions, oldest first, at most max, in a (with their case numbers). */
enum err_code waste_store_nonsort_list(struct gis_store *s, struct arena *a, long payer_id, int max,
                                       struct waste_nonsort **out, int *n, struct err *e);

/* ---- charges and balances ---- */

/* Sets the charge of the payer for month (amount, the declaration it comes from, its due day): inserts it
 * or corrects it; *changed grows by the rows written (0 when it was already so). */
enum err_code waste_store_charge_put(struct gis_store *w, long payer_id, int month, long amount_gr, long declaration_id,
                                     int due_day, long *changed, struct err *e);

/* Walks the charges due on or before day, by payer and month. */
enum err_code waste_store_charges_due_each(struct gis_store *s, int day,
                                           bool (*fn)(void *ctx, long payer_id, int month, long amount_gr,
                                                      struct err *e),
                                           void *ctx, struct err *e);

/* The payer (payer_id, name, account) and its sums as of day: charged_gr, due_gr, paid_gr and monthly_fee_gr
 * (of the declaration in force in day's month). The derived fields are left 0. ERR_NOT_FOUND for an unknown
 * payer. */
enum err_code waste_store_balance(struct gis_store *s, struct arena *a, long payer_id, int day,
                                  struct waste_balance *out, struct err *e);

/* ---- the payer's account on the payments core ---- */

struct waste_store_charge {
    int month, due_day;
    long amount_gr;
};

/* The payer's charges by month, at most cap (ERR_UNAVAILABLE when there are more). */
enum err_code waste_store_charges_of(struct gis_store *s, long payer_id, struct waste_store_charge *out, int cap,
                                     int *n, struct err *e);

/* Sets the due of the payer's virtual account (payer_id 0: of every payer) to its charges plus the costs of
 * its upomnienia. */
enum err_code waste_store_accounts_due(struct gis_store *w, long payer_id, struct err *e);

/* The payers with a charge due before day, ascending, at most cap. */
enum err_code waste_store_payers_due(struct gis_store *s, int day, long *ids, int cap, int *n, struct err *e);

/* Adds upomnienie r (all but its id, which *id gets). */
enum err_code waste_store_reminder_add(struct gis_store *w, const struct waste_reminder *r, long *id, struct err *e);

/* The payer's upomnienia, oldest first, at most max, without their PDFs, in a. */
enum err_code waste_store_reminders(struct gis_store *s, struct arena *a, long payer_id, int max,
                                    struct waste_reminder **out, int *n, struct err *e);

/* Upomnienie id (with its PDF when with_pdf), in a; ERR_NOT_FOUND when there is none. */
enum err_code waste_store_reminder_get(struct gis_store *s, struct arena *a, long id, bool with_pdf,
                                       struct waste_reminder *out, struct err *e);

/* ---- the core tables the demo data reads ---- */

struct waste_store_address {
    long id;
    const char *street_prefix, *street, *number, *postal_code, *locality, *parcel_id;
};

/* Walks the addresses of the store by id. */
enum err_code waste_store_addresses_each(struct gis_store *s,
                                         bool (*fn)(void *ctx, const struct waste_store_address *ad, struct err *e),
                                         void *ctx, struct err *e);

#endif
