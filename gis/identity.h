/* The server-wide identity store, <data>/identity.sqlite: accounts (residents, staff, admins, API
 * clients), staff roles per gmina, client scopes, sessions and log-in failures; the audit log beside them
 * is gis/audit.h's. All its SQL is here.
 *
 * Accounts are cross-gmina (a resident may ask any gmina), so the store is one per server, not per
 * tenant. It runs in rollback-journal mode (not WAL) with synchronous=FULL: `odra user add` writes it
 * while the server runs, and SQLite 3.40's WAL-reset bug (CONVENTIONS.md) concerns WAL only; its writes
 * are few and small. One handle is one connection shared by the threads of a process under the handle's
 * mutex; every function here takes it. Strings the caller passes are copied; outputs go to the caller's
 * buffers. */
#ifndef GIS_IDENTITY_H
#define GIS_IDENTITY_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct gis_identity;

#define GIS_LOGIN_MAX 128 /* bytes of a login (UTF-8) */

/* Opens (creating and migrating) the store at path. *out is the caller's, freed by gis_identity_close. */
enum err_code gis_identity_open(const char *path, struct gis_identity **out, struct err *e);
void gis_identity_close(struct gis_identity *id);

/* The connection and its lock, for gis/audit.c only. */
sqlite3 *gis_identity_db(struct gis_identity *id);
/* A second connection to the store, for the audit log's appends (gis/audit.c), so that their commits do not
 * hold the lock of the first (opened on first use, closed with the store; NULL and e when it cannot be). Its
 * user must be the only one at a time: gis_audit_append's leader is. */
sqlite3 *gis_identity_audit_db(struct gis_identity *id, struct err *e);
void gis_identity_lock(struct gis_identity *id);
void gis_identity_unlock(struct gis_identity *id);

struct gis_account {
    long long id;
    char kind[16]; /* resident, staff, admin, client */
    char login[GIS_LOGIN_MAX + 1];
    char tenant[32]; /* an API client's gmina; "" for people */
    bool disabled;
};

/* Adds an account. pw_hash (an Argon2id string) for people, NULL for a client; key_hash (32 bytes) and
 * tenant for a client. ERR_CONFLICT when the login is taken (case-insensitively). */
enum err_code gis_account_add(struct gis_identity *id, const char *kind, const char *login, const char *pw_hash,
                              const unsigned char *key_hash, const char *tenant, long long *out_id, struct err *e);

/* The person's account with this login (not a client, not disabled) and its password hash (into pw_hash,
 * cap bytes). ERR_NOT_FOUND when there is none. */
enum err_code gis_account_find_login(struct gis_identity *id, const char *login, struct gis_account *out, char *pw_hash,
                                     size_t cap, struct err *e);

/* Any account (including clients) by login, without secrets; ERR_NOT_FOUND. */
enum err_code gis_account_get(struct gis_identity *id, const char *login, struct gis_account *out, struct err *e);

/* The API client whose key hashes to key_hash (32 bytes), not disabled; ERR_NOT_FOUND. */
enum err_code gis_client_find(struct gis_identity *id, const unsigned char *key_hash, struct gis_account *out,
                              struct err *e);

enum err_code gis_account_set_password(struct gis_identity *id, long long account, const char *pw_hash, struct err *e);

/* Disables (or enables again) an account: a disabled person cannot log in and their sessions stop
 * working; a disabled client's key is refused. */
enum err_code gis_account_set_disabled(struct gis_identity *id, long long account, bool disabled, struct err *e);

/* Grants role in tenant (idempotent). */
enum err_code gis_grant_add(struct gis_identity *id, long long account, const char *tenant, const char *role,
                            struct err *e);

/* Whether account holds role in tenant, or gmina_admin there. */
bool gis_grant_has(struct gis_identity *id, long long account, const char *tenant, const char *role);

/* The account's grants as "tenant:role" joined by ", " into out (cap bytes); "" when none. */
void gis_grants_text(struct gis_identity *id, long long account, char *out, size_t cap);

enum err_code gis_client_scope_add(struct gis_identity *id, long long account, const char *scope, struct err *e);
bool gis_client_has_scope(struct gis_identity *id, long long account, const char *scope);
/* The client's scopes joined by " " into out. */
void gis_client_scopes_text(struct gis_identity *id, long long account, char *out, size_t cap);

/* Calls fn for every account, by login. */
enum err_code gis_accounts_each(struct gis_identity *id, void (*fn)(const struct gis_account *a, void *user),
                                void *user, struct err *e);

/* ---- residents verified by the national login (table residents) ---- */

#define GIS_NAME_MAX 128 /* bytes of a given name or surname kept */

struct gis_resident {
    char pesel[12]; /* 11 digits */
    char given_name[GIS_NAME_MAX + 1], surname[GIS_NAME_MAX + 1];
    char date_of_birth[16]; /* YYYY-MM-DD as asserted, or "" */
};

/* The resident account of the person with r->pesel, made when there is none (kind resident, no password,
 * a login "wk-" and random hex, nothing derived from the PESEL), with r's names and date of birth
 * recorded (refreshed when the account exists), in one transaction. *created (may be NULL) tells which.
 * The account may be disabled: the caller refuses the log-in then. ERR_INVALID when the PESEL is not 11
 * digits. */
enum err_code gis_resident_login(struct gis_identity *id, const struct gis_resident *r, struct gis_account *out,
                                 bool *created, struct err *e);

/* The verified person behind a resident account; ERR_NOT_FOUND for an account not made by the national
 * login. */
enum err_code gis_resident_get(struct gis_identity *id, long long account, struct gis_resident *out, struct err *e);

/* pesel with its last five digits (serial number and check digit) replaced by '*': "850314*****". What
 * anyone but the person's own full-data export sees. out gets "" for anything that is not 11 digits. */
void gis_pesel_mask(const char *pesel, char out[12]);

/* Whether s is 11 ASCII digits (the check digit is not tested: some PESELs issued in error fail it). */
bool gis_pesel_valid(const char *s);

/* ---- sessions (times in Unix milliseconds) ---- */

struct gis_session {
    struct gis_account account; /* its account, which may be disabled since */
    char csrf[64];
    long long created, last_seen;
};

enum err_code gis_session_add(struct gis_identity *id, const unsigned char *token_hash, long long account,
                              const char *csrf, long long now, const char *ip, struct err *e);

/* The session with this token hash and its account; ERR_NOT_FOUND when there is none. */
enum err_code gis_session_find(struct gis_identity *id, const unsigned char *token_hash, struct gis_session *out,
                               struct err *e);

enum err_code gis_session_touch(struct gis_identity *id, const unsigned char *token_hash, long long now, struct err *e);
enum err_code gis_session_delete(struct gis_identity *id, const unsigned char *token_hash, struct err *e);

/* Deletes every session of account; *n (may be NULL) gets how many. */
enum err_code gis_sessions_delete_account(struct gis_identity *id, long long account, long long *n, struct err *e);

/* ---- failed log-ins, by the login typed ---- */

/* The failures recorded for login (0 and 0 when none, or when the last is older than forget_ms). */
void gis_login_failures_get(struct gis_identity *id, const char *login, long long now, long long forget_ms,
                            int *failures, long long *locked_until);
enum err_code gis_login_failures_set(struct gis_identity *id, const char *login, int failures, long long now,
                                     long long locked_until, struct err *e);
enum err_code gis_login_failures_clear(struct gis_identity *id, const char *login, struct err *e);

/* ---- RODO: a person's own data, and its erasure (docs/rodo.md) ---- */

/* Account id's row into out and its creation time (ISO 8601 UTC) into created; ERR_NOT_FOUND. */
enum err_code gis_account_by_id(struct gis_identity *id, long long account, struct gis_account *out, char created[32],
                                struct err *e);

/* What a session is, as its owner may see it: never its token hash or CSRF token. */
struct gis_session_info {
    long long created, last_seen; /* Unix ms */
    char ip[64];
};

/* Calls fn for every session of account, oldest first (collected first, so fn may use the store). */
enum err_code gis_sessions_each(struct gis_identity *id, long long account,
                                void (*fn)(const struct gis_session_info *s, void *user), void *user, struct err *e);

/* Erases a person's account in one transaction (RODO art. 17): its residents row (PESEL, names, date of
 * birth), sessions, log-in failures and password hash are deleted; the row itself stays, disabled, under
 * new_login, so that the ids the audit log and the case files name still point somewhere and the old login
 * is free again. A later national log-in by the same person makes a fresh account. *sessions (may be NULL)
 * gets how many sessions ended. ERR_NOT_FOUND for an unknown account; ERR_INVALID for an API client. */
enum err_code gis_account_erase(struct gis_identity *id, long long account, const char *new_login, long long *sessions,
                                struct err *e);

#endif
