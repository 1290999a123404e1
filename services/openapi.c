/* The OpenAPI 3.0 document at /api, generated from the route tables so it cannot drift from the code.
 *
 * What the tables say decides the document: a route without a summary is router-internal and not listed
 * (the 400 answers for malformed tile paths); a route's declared access (services/http.h) becomes its
 * `security`: none for public routes, the `session` cookie scheme for signed-in people, and `bearer` as well
 * where an API client's scope admits, with the role and scope in `x-odra-access` (an `Authorization`
 * header documented as a parameter is not listed: OpenAPI describes it by the scheme); the error responses
 * follow from the parameters and the access (401/403 for routes that are not public, 404 for paths with
 * captures, 400 for inputs, 413/415/422 for bodies). `make lint` checks the result with Redocly's
 * recommended ruleset. */
#include <string.h>
#include <strings.h>

#include "services/auth.h"
#include "services/module.h"
#include "services/routes.h"
#include "services/server.h"

/* odra has no published licence yet; name it here when it gets one. */
#define API_LICENSE "Proprietary"

/* Descriptions of the core tags; a module's tag is described by its title. */
static const struct {
    const char *name, *description;
} tag_docs[] = {
    {"meta", "The server itself: the entry page, health, this document, one gmina's configuration"},
    {"places", "Parcels, addresses and the property card: what applies at a place"},
    {"ogc-features", "OGC API - Features (Part 1 Core, Part 2 CRS) over every collection of a gmina"},
    {"ogc", "OGC API - Tiles: tile matrix sets and the tiles of collections"},
    {"maps", "Maps: WMS 1.3.0, WMTS, raster and vector tiles, TileJSON, styles, glyphs and the map page"},
    {"extracts", "Wypis i wyrys (plan extracts) as PDF, and the verification of issued documents"},
    {"auth", "Log-in, sessions and log-out; the signed-in account"},
    {"pages", "Residents' pages (HTML, server-rendered, usable without JavaScript): search, the property card, "
              "ordering a wypis i wyrys, my matters, the waste declaration, log-in"},
    {NULL, NULL},
};

/* The error responses an operation may give; each becomes a shared entry of components.responses. */
enum api_resp { R_400, R_401, R_403, R_404, R_413, R_415, R_422, R_429, R_4XX, R_DEFAULT, R_COUNT };
static const struct {
    const char *status, *name, *description;
} resp_docs[R_COUNT] = {
    [R_400] = {"400", "BadRequest", "A parameter or the request is not valid; `description` says which"},
    [R_401] = {"401", "Unauthorized",
               "Not signed in (no valid session cookie) or, where API clients are admitted, no valid API key"},
    [R_403] = {"403", "Forbidden",
               "Signed in, but without the role (or API-client scope) in this gmina, or without the CSRF token"},
    [R_404] = {"404", "NotFound", "No such gmina, object or path"},
    [R_413] = {"413", "PayloadTooLarge", "The body is larger than the server accepts (max_body)"},
    [R_415] = {"415", "UnsupportedMediaType", "The body is not of the media type the operation reads"},
    [R_422] = {"422", "Unprocessable", "The body is well-formed but its content cannot be accepted"},
    [R_429] = {"429", "TooManyRequests",
               "Over a rate limit; the Retry-After header says in how many seconds to try again"},
    [R_4XX] = {"4XX", "ClientError", "The request cannot be answered as it is (a malformed or too large request)"},
    [R_DEFAULT] = {"default", "Error", "A server error (5XX)"},
};

struct api_build {
    json_t *paths;
    json_t *slugs;
    json_t *tags;       /* tag name -> description, for the tags that operations use */
    json_t *opids;      /* operationIds given so far */
    bool used[R_COUNT]; /* components.responses to emit */
};

static bool is_staff_doc(const struct http_param_doc *d)
{
    return !strcmp(d->in, "header") && !strcasecmp(d->name, "Authorization");
}

/* "get" + the literal path segments in CamelCase + "By" and each capture but {t}:
 * GET /{t}/extracts/{id}/wyrys.png → getExtractsByIdWyrysPng, GET / → getIndex. Unique in the document. */
static void operation_id(struct api_build *b, const struct http_route *r, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *m = r->method; *m && o + 1 < cap; m++)
        out[o++] = (char)(*m >= 'A' && *m <= 'Z' ? *m + 32 : *m);
    bool up = true, in_capture = false, literal = false;
    for (const char *p = r->pattern; *p && o + 3 < cap; p++) {
        if (*p == '{') {
            in_capture = true;
            if (!strncmp(p, "{t}", 3)) {
                p += 2;
                in_capture = false;
                continue;
            }
            out[o++] = 'B', out[o++] = 'y';
            up = true;
            continue;
        }
        if (*p == '}') {
            in_capture = false;
            up = true;
            continue;
        }
        bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (!alnum) {
            up = true;
            continue;
        }
        out[o++] = up && *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
        up = false;
        literal |= !in_capture;
    }
    if (!literal && o + 6 < cap && !strcmp(r->pattern, "/"))
        memcpy(out + o, "Index", 5), o += 5;
    else if (!literal && o + 7 < cap)
        memcpy(out + o, "Tenant", 6), o += 6; /* GET /{t} */
    out[o] = 0;
    char base[200];
    snprintf(base, sizeof base, "%s", out);
    for (int n = 2; json_object_get(b->opids, out); n++)
        snprintf(out, cap, "%s%d", base, n);
    json_object_set_new(b->opids, out, json_true());
}

static json_t *resp_ref(struct api_build *b, enum api_resp which)
{
    b->used[which] = true;
    char ref[96];
    snprintf(ref, sizeof ref, "#/components/responses/%s", resp_docs[which].name);
    return json_pack("{s:s}", "$ref", ref);
}

/* The response an HTTP_DOC_STATUS entry documents: a redirect with its Location, or an error. */
static json_t *status_doc(const struct http_param_doc *d)
{
    if (d->name[0] == '3')
        return json_pack("{s:s, s:{s:{s:s, s:{s:s}}}}", "description", d->description, "headers", "Location",
                         "description", "where to go on", "schema", "type", "string");
    return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", d->description, "content", "application/json", "schema",
                     "$ref", "#/components/schemas/Error");
}

static void add_tag(struct api_build *b, const char *tag)
{
    if (json_object_get(b->tags, tag))
        return;
    const char *desc = NULL;
    for (int i = 0; tag_docs[i].name; i++)
        if (!strcmp(tag_docs[i].name, tag))
            desc = tag_docs[i].description;
    for (const struct svc_module *const *m = svc_modules; !desc && *m; m++)
        if (!strcmp((*m)->name, tag))
            desc = (*m)->title;
    json_object_set_new(b->tags, tag, json_string(desc ? desc : tag));
}

/* The operation's security from the route's access: OpenAPI alternatives, each a scheme (scopes are only
 * for OAuth, so the role and scope go into x-odra-access and the description). */
static void add_security(json_t *op, const struct http_access *a)
{
    static const char *const kinds[] = {
        [HTTP_ACCESS_SUBMIT] = "submit",
        [HTTP_ACCESS_ACCOUNT] = "account",
        [HTTP_ACCESS_STAFF] = "staff",
        [HTTP_ACCESS_ADMIN] = "admin",
    };
    json_t *sec = json_array();
    if (a->kind == HTTP_ACCESS_SUBMIT)
        json_array_append_new(sec, json_object()); /* anonymous, where the gmina allows it */
    json_array_append_new(sec, json_pack("{s:[]}", "session"));
    if ((a->kind == HTTP_ACCESS_STAFF || a->kind == HTTP_ACCESS_ACCOUNT) && a->scope)
        json_array_append_new(sec, json_pack("{s:[]}", "bearer"));
    json_object_set_new(op, "security", sec);
    json_t *x = json_pack("{s:s}", "kind", kinds[a->kind]);
    if (a->role)
        json_object_set_new(x, "role", json_string(a->role));
    if (a->scope)
        json_object_set_new(x, "scope", json_string(a->scope));
    json_object_set_new(op, "x-odra-access", x);
    const char *who = a->kind == HTTP_ACCESS_SUBMIT
                          ? "Anyone where the gmina takes anonymous submissions, else a signed-in account."
                      : a->kind == HTTP_ACCESS_ACCOUNT ? "A signed-in account (session cookie)."
                      : a->kind == HTTP_ACCESS_ADMIN   ? "A server administrator's session."
                                                       : NULL;
    char text[512];
    if (a->kind == HTTP_ACCESS_STAFF)
        snprintf(text, sizeof text, "Staff with the role %s (or gmina_admin) in this gmina%s%s%s.", a->role,
                 a->scope ? ", or an API client of this gmina with the scope " : "", a->scope ? a->scope : "",
                 a->scope ? " (Authorization: Bearer)" : "");
    else if (a->kind == HTTP_ACCESS_ACCOUNT && a->scope)
        snprintf(text, sizeof text,
                 "A signed-in account (session cookie), or an API client of this gmina with the scope %s "
                 "(Authorization: Bearer).",
                 a->scope);
    else
        snprintf(text, sizeof text, "%s", who);
    size_t n = strlen(text);
    snprintf(text + n, sizeof text - n, "%s",
             " A request with the session cookie that changes state must carry the session's CSRF token.");
    json_object_set_new(op, "description", json_string(text));
}

static void add_route(const struct http_route *r, void *user)
{
    struct api_build *b = user;
    if (!r->summary)
        return; /* router-internal */
    json_t *item = json_object_get(b->paths, r->pattern);
    if (!item) {
        item = json_object();
        json_object_set_new(b->paths, r->pattern, item);
    }
    json_t *params = json_array();
    /* Path parameters come from the pattern itself; documented ones add a description. */
    bool captures = false;
    for (const char *p = strchr(r->pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        char name[64];
        size_t n = (size_t)(end - p - 1) < sizeof name - 1 ? (size_t)(end - p - 1) : sizeof name - 1;
        memcpy(name, p + 1, n);
        name[n] = 0;
        captures = true;
        json_t *schema = json_pack("{s:s}", "type", "string");
        if (!strcmp(name, "t"))
            json_object_set(schema, "enum", b->slugs);
        json_array_append_new(
            params, json_pack("{s:s, s:s, s:b, s:o}", "name", name, "in", "path", "required", 1, "schema", schema));
    }
    bool staff = r->access.kind != HTTP_ACCESS_PUBLIC, inputs = false;
    for (const struct http_param_doc *d = r->params; d && d->name; d++) {
        if (is_staff_doc(d) || !strcmp(d->in, "status"))
            continue;
        if (!strcmp(d->in, "path")) {
            size_t i;
            json_t *pv;
            json_array_foreach(params, i, pv)
            {
                if (!strcmp(json_string_value(json_object_get(pv, "name")), d->name))
                    json_object_set_new(pv, "description", json_string(d->description));
            }
            continue;
        }
        inputs = true;
        json_array_append_new(params,
                              json_pack("{s:s, s:s, s:b, s:s, s:{s:s}}", "name", d->name, "in", d->in, "required",
                                        d->required, "description", d->description, "schema", "type", d->type));
    }
    bool post = !strcmp(r->method, "POST") || !strcmp(r->method, "PUT");
    const char *media = r->produces ? r->produces : "application/json";
    json_t *responses = json_object();
    json_object_set_new(responses, post ? "2XX" : "200",
                        json_pack("{s:s, s:{s:{s:{}}}}", "description",
                                  post ? "Done: 201 when something was created, else 200" : "OK", "content", media,
                                  "schema"));
    if (inputs || post)
        json_object_set_new(responses, "400", resp_ref(b, R_400));
    if (staff) {
        json_object_set_new(responses, "401", resp_ref(b, R_401));
        json_object_set_new(responses, "403", resp_ref(b, R_403));
    }
    if (captures)
        json_object_set_new(responses, "404", resp_ref(b, R_404));
    if (post) {
        json_object_set_new(responses, "413", resp_ref(b, R_413));
        json_object_set_new(responses, "415", resp_ref(b, R_415));
        json_object_set_new(responses, "422", resp_ref(b, R_422));
    }
    if (r->access.kind == HTTP_ACCESS_SUBMIT) /* anonymous submissions are rate-limited */
        json_object_set_new(responses, "429", resp_ref(b, R_429));
    bool extra = false;
    for (const struct http_param_doc *d = r->params; d && d->name; d++)
        if (!strcmp(d->in, "status")) {
            extra = true;
            json_object_set_new(responses, d->name, status_doc(d));
        }
    if (!inputs && !post && !staff && !captures && !extra)
        json_object_set_new(responses, "4XX", resp_ref(b, R_4XX));
    json_object_set_new(responses, "default", resp_ref(b, R_DEFAULT));

    const char *tag = r->tag ? r->tag : "meta";
    add_tag(b, tag);
    char opid[200];
    operation_id(b, r, opid, sizeof opid);
    json_t *op = json_pack("{s:[s], s:s, s:s, s:o, s:o}", "tags", tag, "summary", r->summary, "operationId", opid,
                           "parameters", params, "responses", responses);
    if (staff)
        add_security(op, &r->access);
    if (r->access.personal) /* RODO: every call is audited (docs/rodo.md) */
        json_object_set_new(op, "x-odra-personal-data", json_true());
    char method[16];
    size_t k = 0;
    for (const char *m = r->method; *m && k < sizeof method - 1; m++)
        method[k++] = (char)(*m | 0x20);
    method[k] = 0;
    json_object_set_new(item, method, op);
}

enum err_code svc_openapi(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct api_build b = {.paths = json_object(), .slugs = json_array(), .tags = json_object(), .opids = json_object()};
    for (int i = 0; i < svc_server_tenant_count(req->server); i++)
        json_array_append_new(b.slugs, json_string(svc_server_tenant(req->server, i)->cfg->slug));
    svc_server_each_route(add_route, &b);
    json_decref(b.slugs);
    json_decref(b.opids);

    json_t *tags = json_array();
    const char *name;
    json_t *desc;
    json_object_foreach(b.tags, name, desc)
    {
        json_array_append_new(tags, json_pack("{s:s, s:O}", "name", name, "description", desc));
    }
    json_decref(b.tags);

    json_t *error =
        json_pack("{s:{s:{s:{s:s}}}}", "content", "application/json", "schema", "$ref", "#/components/schemas/Error");
    json_t *responses = json_object();
    for (int i = 0; i < R_COUNT; i++)
        if (b.used[i]) {
            json_t *r = resp_docs[i].status[0] == '3'
                            ? json_pack("{s:{s:{s:s, s:{s:s}}}}", "headers", "Location", "description",
                                        "where to go on", "schema", "type", "string")
                            : json_deep_copy(error);
            json_object_set_new(r, "description", json_string(resp_docs[i].description));
            json_object_set_new(responses, resp_docs[i].name, r);
        }
    json_decref(error);
    json_t *components = json_pack(
        "{s:{s:{s:s, s:s, s:[s,s], s:{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}}}}, s:o}", "schemas", "Error", "type",
        "object", "description", "Every error the server answers: a code and one line saying what is wrong", "required",
        "code", "description", "properties", "code", "type", "string", "description",
        "OGC API style name of the status, e.g. NotFound", "description", "type", "string", "description",
        "what is wrong, in one line", "parameter", "type", "string", "description",
        "the request parameter concerned, when there is one", "responses", responses);
    json_object_set_new(
        components, "securitySchemes",
        json_pack("{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}}", "session", "type", "apiKey", "in", "cookie", "name",
                  AUTH_COOKIE, "description",
                  "The session cookie POST /auth/login sets (HttpOnly, SameSite=Lax). A request with it that changes "
                  "state must also send the session's CSRF token (from /auth/login or /auth/me) in X-CSRF-Token or "
                  "the form field csrf",
                  "bearer", "type", "http", "scheme", "bearer", "description",
                  "An API client's key (`odra client add`), limited to its gmina and scopes: "
                  "`Authorization: Bearer <key>`; no CSRF token needed"));
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s, s:{s:s}}, s:[{s:s, s:s}], s:[], s:o, s:o, s:o}", "openapi", "3.0.3", "info", "title",
        "odra", "version", ODRA_VERSION, "description",
        "Planning and property information for the gminas of powiat słubicki: places, plans, extracts, maps and "
        "e-services. Errors are JSON objects {code, description}. Operations without `security` are public; "
        "the others name who may call them (a session, or an API client's bearer key) and, in x-odra-access, the "
        "role or scope.",
        "license", "name", API_LICENSE, "servers", "url", "/", "description",
        "this server (the paths are relative to where this document was fetched)", "security", "tags", tags, "paths",
        b.paths, "components", components);
    if (!doc)
        return err_set(e, ERR_INTERNAL, "out of memory building the OpenAPI document");
    return http_resp_json(req, resp, 200, doc, e);
}
