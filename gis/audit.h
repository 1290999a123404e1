/* The audit log in the identity store: who did what, when, to which record, from where. Append-only, with
 * a SHA-256 hash chain: each row's hash covers the previous row's hash and its own fields, so editing,
 * deleting or inserting a row breaks the chain from there on, which gis_audit_verify finds. */
#ifndef GIS_AUDIT_H
#define GIS_AUDIT_H
#include "gis/identity.h"
#include "util/err.h"

/* One entry; NULL fields are stored as "". */
struct gis_audit_entry {
    const char *actor;  /* "login" of a person, "client:name", "cli", or "-" when unknown */
    const char *action; /* "login", "login.failed", "logout", "POST /{t}/waste/payments 201", ... */
    const char *tenant; /* gmina slug, or NULL */
    const char *record; /* which record: a path, an account, ... */
    const char *ip;     /* the client's address, or NULL */
    const char *detail; /* anything else, short */
};

/* The hex SHA-256 (65 bytes with the NUL) of a row: over prev_hash, id, at and the entry's fields, each
 * length-prefixed so that no two different rows hash the same text. */
void gis_audit_hash(const char *prev_hash, long long id, const char *at, const struct gis_audit_entry *a, char out[65]);

/* Appends an entry, chained to the last row, in a transaction of appends only (so the CLI and the server never
 * interleave a read of the last hash with another append). Appends of other threads that arrive while one
 * commits wait and are written together in the next transaction, in their order: one commit (with the
 * identity store's synchronous=FULL, its fsyncs) acknowledges them all. Returns once a is committed. */
enum err_code gis_audit_append(struct gis_identity *id, const struct gis_audit_entry *a, struct err *e);

/* Appends the n entries of a, in their order, as gis_audit_append does one: queued together, so that they
 * share a commit (a page that asked several audited routes in-process pays one commit, not one per route).
 * Returns once all are committed; the first failure's code (every entry is still tried). */
enum err_code gis_audit_append_many(struct gis_identity *id, const struct gis_audit_entry *a, int n, struct err *e);

/* Appends an entry at the time at (ISO 8601), chained to the last row, inside the caller's transaction and
 * under its lock of the store (gis/twin_identity.c imports a twin's rows so); *rowid (may be NULL) gets its
 * id. */
enum err_code gis_audit_append_in_tx(struct gis_identity *id, const char *at, const struct gis_audit_entry *a,
                                     long long *rowid, struct err *e);

/* Checks the whole chain. *rows gets the number of rows; *bad the id of the first row whose hash or link
 * does not match (0 when the chain is intact). ERR_OK whether or not it is intact; an error only when the
 * log cannot be read. */
enum err_code gis_audit_verify(struct gis_identity *id, long long *rows, long long *bad, struct err *e);

/* One stored row, as gis_audit_each_about hands it over (strings valid during the call only). */
struct gis_audit_row {
    long long id;
    const char *at; /* ISO 8601 UTC with milliseconds */
    struct gis_audit_entry entry;
};

/* Calls fn, oldest first, for the rows about a person: those whose actor or record is login (at most
 * limit rows, the newest kept when there are more). fn runs under the store's lock: it must not call the
 * identity store. */
enum err_code gis_audit_each_about(struct gis_identity *id, const char *login, int limit,
                                   void (*fn)(const struct gis_audit_row *r, void *user), void *user, struct err *e);

#endif
