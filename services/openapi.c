/* The OpenAPI 3.0 document at /api, generated from the route tables so it cannot drift from the code. */
#include <string.h>

#include "services/routes.h"
#include "services/server.h"

struct api_build {
    struct http_req *req;
    json_t *paths;
    json_t *slugs;
};

/* "/{t}/ogc/collections/{cid}" → OpenAPI path template (the same syntax) and its path parameters. */
static void add_route(const struct http_route *r, void *user)
{
    struct api_build *b = user;
    json_t *item = json_object_get(b->paths, r->pattern);
    if (!item) {
        item = json_object();
        json_object_set_new(b->paths, r->pattern, item);
    }
    json_t *params = json_array();
    /* Path parameters come from the pattern itself; documented ones add a description. */
    for (const char *p = strchr(r->pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        char name[64];
        size_t n = (size_t)(end - p - 1) < sizeof name - 1 ? (size_t)(end - p - 1) : sizeof name - 1;
        memcpy(name, p + 1, n);
        name[n] = 0;
        json_t *schema = json_pack("{s:s}", "type", "string");
        if (!strcmp(name, "t"))
            json_object_set(schema, "enum", b->slugs);
        json_array_append_new(
            params, json_pack("{s:s, s:s, s:b, s:o}", "name", name, "in", "path", "required", 1, "schema", schema));
    }
    for (const struct http_param_doc *d = r->params; d && d->name; d++) {
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
        json_array_append_new(params,
                              json_pack("{s:s, s:s, s:b, s:s, s:{s:s}}", "name", d->name, "in", d->in, "required",
                                        d->required, "description", d->description, "schema", "type", d->type));
    }
    const char *media = r->produces ? r->produces : "application/json";
    json_t *op = json_pack("{s:[s], s:s, s:o, s:{s:{s:s, s:{s:{s:{}}}}, s:{s:s, s:{s:{s:{s:s}}}}}}", "tags", r->tag,
                           "summary", r->summary, "parameters", params, "responses", "200", "description", "OK",
                           "content", media, "schema", "default", "description", "Error", "content", "application/json",
                           "schema", "$ref", "#/components/schemas/Error");
    char opid[256];
    size_t o = 0;
    for (const char *m = r->method; *m && o < 16; m++)
        opid[o++] = (char)(*m | 0x20);
    for (const char *p = r->pattern; *p && o < sizeof opid - 1; p++)
        opid[o++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p : '_';
    opid[o] = 0;
    json_object_set_new(op, "operationId", json_string(opid));
    char method[16];
    size_t k = 0;
    for (const char *m = r->method; *m && k < sizeof method - 1; m++)
        method[k++] = (char)(*m | 0x20);
    method[k] = 0;
    json_object_set_new(item, method, op);
}

enum err_code svc_openapi(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct api_build b = {.req = req, .paths = json_object(), .slugs = json_array()};
    for (int i = 0; i < svc_server_tenant_count(req->server); i++)
        json_array_append_new(b.slugs, json_string(svc_server_tenant(req->server, i)->cfg->slug));
    svc_server_each_route(add_route, &b);
    json_decref(b.slugs);
    json_t *doc =
        json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:{s:{s:{s:s, s:[s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}}}}}}",
                  "openapi", "3.0.3", "info", "title", "odra", "version", ODRA_VERSION, "description",
                  "Planning and property information for the gminas of powiat słubicki: places, plans, extracts, maps "
                  "and e-services. Errors are JSON objects {code, description}.",
                  "servers", "url", "/", "paths", b.paths, "components", "schemas", "Error", "type", "object",
                  "required", "code", "description", "properties", "code", "type", "string", "description", "type",
                  "string", "parameter", "type", "string");
    return http_resp_json(req, resp, 200, doc, e);
}
