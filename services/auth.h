/* Who is asking: passwords, sessions, API-client keys, CSRF, log-in limits, the route access check the
 * dispatcher runs, the /auth routes and the audit of staff actions. The identity store behind it is
 * gis/identity.h; the audit log gis/audit.h.
 *
 * Ownership: a principal lives in the request's arena; the identity store is opened by svc_auth_open and
 * closed by svc_auth_close, once per server. */
#ifndef SERVICES_AUTH_H
#define SERVICES_AUTH_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/identity.h"
#include "services/http.h"
#include "util/config.h"
#include "util/err.h"

/* The session cookie's name. */
#define AUTH_COOKIE "odra_session"
/* A session token or a CSRF token: 32 random bytes in unpadded base64url. */
#define AUTH_TOKEN_LEN 43
/* An API-client key: "odra_" and 32 random bytes in unpadded base64url. */
#define AUTH_KEY_PREFIX "odra_"
#define AUTH_KEY_LEN    (5 + AUTH_TOKEN_LEN)
/* Longest password accepted (bytes); shortest a new one may be. */
#define AUTH_PASSWORD_MAX 1024
#define AUTH_PASSWORD_MIN 10

enum auth_via { AUTH_VIA_SESSION = 1, AUTH_VIA_CLIENT };

/* Who is asking, as the dispatcher found out. */
struct auth_principal {
    enum auth_via via;
    struct gis_account account;
    bool admin;
    char csrf[AUTH_TOKEN_LEN + 1]; /* the session's CSRF token (sessions only) */
    unsigned char token_hash[32];  /* the session's (sessions only) */
    long long created, last_seen;  /* the session's times, Unix ms */
};

/* ---- primitives (unit-tested) ---- */

/* Hashes a password with Argon2id at the given cost into out (crypto_pwhash_STRBYTES). */
enum err_code auth_password_hash(const char *password, unsigned long long opslimit, size_t memlimit, char out[128],
                                 struct err *e);

/* Whether password matches the Argon2id string hash; constant time in the password (libsodium). */
bool auth_password_verify(const char *hash, const char *password);

/* A new random token (32 bytes from randombytes_buf, base64url): AUTH_TOKEN_LEN characters and a NUL. */
void auth_token_new(char out[AUTH_TOKEN_LEN + 1]);

/* Whether s has the form of a token (AUTH_TOKEN_LEN base64url characters). */
bool auth_token_valid(const char *s);

/* The SHA-256 of a token or key, as stored. */
void auth_token_hash(const char *token, unsigned char out[32]);

/* The value of the cookie name in a Cookie header, copied into out (cap bytes); false when absent or
 * too long. */
bool auth_cookie_get(const char *header, const char *name, char *out, size_t cap);

/* The value of field name in an application/x-www-form-urlencoded body, decoded into out (cap bytes);
 * false when absent or too long. */
bool auth_form_get(const char *body, size_t len, const char *name, char *out, size_t cap);

/* The cap on audit rows for refused requests (the 401 and 403 of svc_auth_check): one row per key (the
 * client's address, the route and the status) and minute, and at most per_min rows a minute in all, so an
 * anonymous flood cannot grow the log without bound. A refusal without a row is counted once: in its
 * key's count, reported in that key's next row, or, over the minute's cap, in over_cap, reported in the
 * next row written. Keys that share a slot of the fixed table lose their counts to each other (a count
 * errs low; the number of rows never grows past the cap). The caller locks. */
#define AUTH_REFUSAL_SLOTS 1024
struct auth_refusal_slot {
    unsigned long long key;
    long long minute, unrecorded;
};
struct auth_refusal_cap {
    struct auth_refusal_slot slot[AUTH_REFUSAL_SLOTS];
    long long minute; /* the minute `rows` counts */
    int rows;
    long long over_cap;
};

/* Whether a refusal with key at now_ms (Unix ms) gets its audit row. When it does, *earlier gets how many of
 * the same key went without a row since that key's last row, and *over_cap how many of any key did because
 * a minute's cap was reached (each reported once). */
bool auth_refusal_take(struct auth_refusal_cap *c, unsigned long long key, long long now_ms, int per_min,
                       long long *earlier, long long *over_cap);

/* ---- the server's side ---- */

/* Opens <data>/identity.sqlite for the server (creating it) and keeps cfg's [auth] settings. */
enum err_code svc_auth_open(const struct config *cfg, struct err *e);
void svc_auth_close(void);

/* The identity store the server opened (NULL before svc_auth_open). */
struct gis_identity *svc_auth_identity(void);

/* ERR_INVALID naming the first route of any table (core or module) whose access is undeclared, or a staff
 * route without a role: svc_server_new then refuses to start. svc_auth_table_check does it for one table
 * (owner names it in the message). */
enum err_code svc_auth_routes_check(struct err *e);
enum err_code svc_auth_table_check(const struct http_route *table, const char *owner, struct err *e);

/* The dispatcher's check for route r on req, which has its tenant set: sets req->principal, or fails with
 * ERR_UNAUTHORIZED (no or bad credentials), ERR_FORBIDDEN (wrong role, gmina, scope, or a missing CSRF
 * token) or ERR_TOO_MANY. Public routes never reach it. */
enum err_code svc_auth_check(struct http_req *req, const struct http_route *r, struct http_resp *resp, struct err *e);
/* Every 401 and 403 it gives is audited ("access.refused": the route, the principal if any, the address),
 * within the cap of struct auth_refusal_cap (AUTH_REFUSALS_PER_MIN rows a minute). */
#define AUTH_REFUSALS_PER_MIN 60

/* svc_auth_check without the CSRF check: whether the caller may call r at all, decided from the request's
 * head alone (the server asks it before reading an upload's body). Sets req->principal. */
enum err_code svc_auth_identify(struct http_req *req, const struct http_route *r, struct http_resp *resp,
                                struct err *e);

/* Whether p is a session of a server admin or of an account with role in gmina tenant (gmina_admin there
 * counts, as gis_grant_has says). */
bool svc_auth_has_role(const struct auth_principal *p, const char *tenant, const char *role);

/* The check of a staff or admin route r asked in-process by a page (http_subrequest) on behalf of the page's
 * signed-in caller req->principal: ERR_UNAUTHORIZED without a session, ERR_FORBIDDEN without the role (the
 * refusal audited as svc_auth_check's). The page checked its form's CSRF token itself. */
enum err_code svc_auth_page_check(struct http_req *req, const struct http_route *r, struct err *e);

/* The signed-in person of req's session cookie, for a public page that shows who is signed in; NULL when
 * there is none (nothing audited: a page is not refused for it). Lives in the arena. */
const struct auth_principal *svc_auth_session_peek(struct http_req *req);

/* Records a staff, admin or personal-data (HTTP_PERSONAL) request in the audit log after its handler ran:
 * the route, the path (which names the record), the status, "personal data" for a personal route, and
 * req->audit_note. */
void svc_auth_audit_request(struct http_req *req, const struct http_route *r, int status);

/* The audit rows of a page's in-process requests (http_subrequest), kept and written in one commit
 * (gis_audit_append_many) instead of one commit each: the page makes a batch in its arena (NULL when out of
 * memory), uses it around its subrequests (svc_auth_audit_batch_use(b) ... (NULL); thread-local, so only
 * this thread's rows join it) and flushes it before its answer is sent. What was not flushed is written when
 * the arena is freed. */
struct svc_audit_batch;
struct svc_audit_batch *svc_auth_audit_batch_new(struct arena *a);
void svc_auth_audit_batch_use(struct svc_audit_batch *b);
void svc_auth_audit_batch_flush(void *b);

/* Appends to the audit log from a handler (actor from req->principal); failures are logged. */
void svc_auth_audit(struct http_req *req, const char *action, const char *record, const char *detail);

/* The client's IP address as text, in the arena. */
const char *svc_auth_client_ip(struct http_req *req);

/* Starts a session for a person's account, as every log-in does (password or national login): a session
 * token the browser's cookie names is ended, never adopted (no fixation); a new token and CSRF token are
 * made, the cookie set on resp (HttpOnly, SameSite=Lax, Secure with an https public_url), req->principal
 * set and the log-in audited (actor the account, detail method: "password", "saml"). *out (may be NULL)
 * gets the principal, in the arena. ERR_FORBIDDEN for a disabled account or an API client. */
enum err_code svc_auth_session_start(struct http_req *req, struct http_resp *resp, const struct gis_account *account,
                                     const char *method, struct auth_principal **out, struct err *e);

/* A log-in's answer: {"account", "csrf_token", "idle_timeout_s", "max_age_s"}; a resident of the national
 * login has "person" in its account, PESEL masked. */
json_t *svc_auth_session_json(const struct auth_principal *p);

/* Ends req's session (a session principal's): deletes it, audits "logout" (with detail, may be NULL) and
 * clears the cookie on resp. ERR_UNAUTHORIZED without a session. */
enum err_code svc_auth_session_end(struct http_req *req, struct http_resp *resp, const char *detail, struct err *e);

/* Re-confirms that the person behind req's session knows its password, before an irreversible step (RODO
 * erasure): within the log-in's per-login rate limit (ERR_TOO_MANY with Retry-After on resp), a failure
 * audited as "reconfirm.failed". ERR_OK at once for an account without a password (one of the national
 * login, which an API call cannot send back to login.gov.pl); ERR_FORBIDDEN for a missing or wrong one. */
enum err_code svc_auth_reconfirm(struct http_req *req, struct http_resp *resp, const char *password, struct err *e);

/* Clears the session cookie on resp (after a log-out or an erasure). */
void svc_auth_cookie_clear(struct http_req *req, struct http_resp *resp);

/* Adds to the answer j of a request ending req's session what became of its SAML session (single logout
 * with login.gov.pl), when it has one: "single_logout": done, redirect (with single_logout_url) or failed. */
void svc_auth_single_logout(struct http_req *req, json_t *j);

/* The /auth routes: log-in, log-out, log-out everywhere, who am I. */
extern const struct http_route svc_auth_routes[];

#endif
