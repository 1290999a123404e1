/* The identity store's share of twin replication (docs/twins.md, "The identity store"). The identity store is
 * one per server, not per gmina, and its ids are the site's own, so it is not shipped as it is: the rows that
 * belong to a twinned gmina are copied into that gmina's store (tables ident_accounts and ident_audit), where
 * the ordinary frames carry them, with the same ordering and term fencing as the gmina's data. A takeover
 * imports them into the twin site's identity store.
 *
 * What belongs to gmina T: its staff (kind staff, with their roles in T only), its API clients (with their
 * scopes), every resident account (server-wide: a resident may ask any gmina) with the national login's
 * verified person, and the audit rows of T and the server-wide ones (tenant ''). Not: administrators (each
 * site has its own; another site's administrator must not become this one's), sessions (a takeover logs
 * everyone out), log-in failures, and audit rows imported from a twin (they are shipped once, as originals).
 *
 * All SQL on both stores for this is here. The identity side runs under the identity store's lock; the
 * gmina's side in the caller's write transaction (gis_twin_ident_write) or its own (gis_twin_ident_import). */
#ifndef GIS_TWIN_IDENTITY_H
#define GIS_TWIN_IDENTITY_H
#include <stdbool.h>

#include "gis/identity.h"
#include "gis/store.h"
#include "util/err.h"

/* The gmina store's tables (created with the twin tables; replicated, unlike twin_*). */
extern const char gis_twin_ident_schema_sql[];

/* Creates, when missing, the identity store's change counter (bumped by triggers on accounts, grants,
 * client_scopes and residents) and the list of audit rows imported from a twin. Run by the server at start. */
enum err_code gis_twin_ident_prepare(struct gis_identity *id, struct err *e);

/* The change counter and the highest audit id: what gis_twin_ident_read would find new since. */
void gis_twin_ident_marks(struct gis_identity *id, long long *version, long long *audit_top);

/* What the identity store holds for one gmina, read by gis_twin_ident_read (owned by the caller). */
struct gis_twin_ident;

/* Reads the rows of tenant: the accounts (when accounts is true; else none are touched by the write) and the
 * audit rows with id > audit_after. */
enum err_code gis_twin_ident_read(struct gis_identity *id, const char *tenant, bool accounts, long long audit_after,
                                  struct gis_twin_ident **out, struct err *e);
/* Whether x holds nothing to write. */
bool gis_twin_ident_empty(const struct gis_twin_ident *x);
/* The highest audit id x's read considered: the caller's audit_after for the next read once x is written. */
long long gis_twin_ident_audit_top(const struct gis_twin_ident *x);
void gis_twin_ident_free(struct gis_twin_ident *x);

/* Writes x into the gmina's store w inside the caller's write transaction: accounts inserted, changed or
 * deleted so that ident_accounts equals x's (only when x was read with accounts), audit rows added. Rows that
 * did not change are not written, so an unchanged identity makes no frame. */
enum err_code gis_twin_ident_write(struct gis_store *w, const struct gis_twin_ident *x, struct err *e);

/* What an import did. */
struct gis_twin_ident_report {
    int added, merged, skipped; /* accounts: new here, the same account here already, refused (see below) */
    int audit;                  /* audit rows appended */
    int remapped;               /* account ids renumbered in the gmina's store */
    char skipped_logins[256];   /* the first refused logins, ", "-joined */
};

/* At a takeover, on the promoted store w of tenant: imports its ident_* rows into the identity store id.
 * An account whose login is free here is added (keeping its id when that is free too); one whose login exists
 * with the same kind and the same password hash or key is the same account (its roles in tenant are added);
 * a resident whose PESEL is known here is that resident's account; any other login that exists here is
 * refused and reported (this site's own account is never changed). Audit rows not here yet are appended to
 * this site's chain, with their original time and "[twin #id] " before the detail. Account ids that differ
 * from the old site's are renumbered in w (cases, waste payers' accounts) in one transaction. */
enum err_code gis_twin_ident_import(struct gis_identity *id, struct gis_store *w, const char *tenant,
                                    struct gis_twin_ident_report *rep, struct err *e);

/* The takeover of the replica w of tenant with its identity rows: gis_twin_ident_import's import into id
 * first (idempotent), then one transaction on w that raises the term, makes w the primary and renumbers its
 * account ids (gis_twin_promote_with). A crash or a failure between the two leaves w a replica of its old
 * term with nothing renumbered, and the accounts added to id are found again by a repeated promotion, which
 * gives the same ids: never a promoted store whose ids point at the old site's accounts. The new term in
 * *term. ERR_CONFLICT when w is not a replica (id untouched). */
enum err_code gis_twin_ident_promote(struct gis_identity *id, struct gis_store *w, const char *tenant, long long *term,
                                     struct gis_twin_ident_report *rep, struct err *e);

#endif
