/* What every server-rendered page shares (services/web_page.c): the language (Polish first, English by
 * ?lang=en, the odra_lang cookie or Accept-Language), the message catalogue (web/messages/LANG.json), the
 * layout data (gmina, who is signed in, the form token), the security headers (a Content-Security-Policy
 * without 'unsafe-inline', no sniffing, no framing), the CSRF check of forms, and asking the API in-process
 * (http_subrequest), so that a page shows exactly what the API answers.
 *
 * Ownership: everything a page holds lives in its request's arena (JSON values are released with it). */
#ifndef SERVICES_WEB_PAGE_H
#define SERVICES_WEB_PAGE_H
#include <jansson.h>
#include <stdbool.h>

#include "services/http.h"

struct auth_principal;

/* The anonymous form token's cookie (a double-submit token for the forms of callers without a session:
 * log-in and anonymous requests). */
#define WEB_FORM_COOKIE "odra_form"
#define WEB_LANG_COOKIE "odra_lang"

struct web_page {
    struct http_req *req;
    struct http_resp *resp;
    const char *lang;                 /* "pl" or "en" */
    json_t *msgs;                     /* the catalogue of lang */
    json_t *data;                     /* the template's data; the layout's keys are set by web_page_begin */
    const struct auth_principal *who; /* the signed-in person, or NULL */
    const char *form_token;           /* the csrf field of this page's POST forms */
    const char *vary;                 /* the Vary header, when not "Accept-Language, Cookie" */
    const char *form_origin;          /* an origin a form's answer may redirect to (a payment provider), or NULL */
    const char *csp;                  /* the Content-Security-Policy when not the pages' own (the map's) */
    const char *here;                 /* the page's path and query (without lang): where a log-in returns to */
    struct svc_audit_batch *audits;   /* the audit rows of its in-process reads, written before the answer */
};

/* Starts a page on req: language, catalogue, caller, form token (setting the anonymous token's cookie when
 * it has none) and the layout data (lang, gmina, me, csrf, lang links). title_key names the page title's
 * message. */
enum err_code web_page_begin(struct http_req *req, struct http_resp *resp, const char *title_key, struct web_page *pg,
                             struct err *e);

/* Renders template name with pg->data as the answer (status), with the pages' headers. */
enum err_code web_page_send(struct web_page *pg, int status, const char *name, struct err *e);

/* The same for a template given as text: a module's own template (services/modules/<name>/templates/, embedded),
 * which may include the pages' partials (head, foot) of web/templates. */
enum err_code web_page_send_text(struct web_page *pg, int status, const char *name, const char *text, struct err *e);

/* An error page for e (its status, the page's message for it and e's description), as the answer. */
enum err_code web_page_error(struct web_page *pg, const struct err *failed, struct err *e);

/* A 303 to location (a path on this server). */
enum err_code web_page_redirect(struct web_page *pg, const char *location);

/* The message key in pg's language ("" when missing). */
const char *web_msg(const struct web_page *pg, const char *key);

/* A stored status word (a case's "w toku", a plan's "obowiązujący": Polish in the data and the API) in the
 * page's language: the message "<kind>.<status>", or the word itself when there is none. Never NULL. */
const char *web_status(const struct web_page *pg, const char *kind, const char *status);

/* Asks route method path in-process as pg's caller; the answer's JSON (released with the request) and
 * *status. A handler's error is returned with e set (its HTTP status in *status). */
enum err_code web_api(struct web_page *pg, const char *method, const char *path, const char *const *query,
                      const char *const *headers, const char *body, json_t **out, int *status, struct err *e);

/* An API error description as a page in pg's language shows it: as it is on Polish pages; on English pages
 * an English description as it is (no byte outside ASCII, and a common English word before any bracket),
 * else the English of a bilingual one ("Polski tekst (English text)": the first bracket that reads as
 * English), else the English text of the status (error.STATUS). In the arena. */
const char *web_api_text(const struct web_page *pg, const char *desc, int status);

/* The same with a body of len bytes (a file's; body[len] must be NUL). */
enum err_code web_api_n(struct web_page *pg, const char *method, const char *path, const char *const *query,
                        const char *const *headers, const char *body, size_t len, json_t **out, int *status,
                        struct err *e);

/* Field name of the request's form body (application/x-www-form-urlencoded), decoded, in the arena; NULL
 * when absent. */
const char *web_form(struct web_page *pg, const char *name);

/* For a POST form: whether its csrf field is the caller's token (the session's, or the anonymous cookie's),
 * compared in constant time. ERR_FORBIDDEN otherwise. */
enum err_code web_form_check(struct web_page *pg, struct err *e);

/* A number with d decimals in the page's language: "1 564,98" (pl), "1,564.98" (en). In the arena. */
const char *web_num(const struct web_page *pg, double v, int d);

/* "/{t}" followed by fmt, whose one "%s" (if any) becomes arg percent-encoded; in the arena. */
const char *web_href(struct web_page *pg, const char *fmt, const char *arg);

/* Whether s is a path on this server safe to redirect to ("/..." but not "//" or "/\\", no control characters). */
bool web_local_path(const char *s);

/* Where the log-in should come back to: the page's path with its query (?payer=, the order's parcels),
 * or its path alone when that is too long for the SAML round trip. */
const char *web_return_here(const struct web_page *pg);

/* The entry page /: the gminas, each linked to its pages. */
enum err_code web_index(struct http_req *req, struct http_resp *resp, struct err *e);

#endif
