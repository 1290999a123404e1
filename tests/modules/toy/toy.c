/* The toy module (tests only): the smallest e-service with everything a module can have. Routes (a list
 * of sites and a staff write), a table with geometry (migrations/001_toy.sql, SQL in store.c), an OGC API
 * collection, a map layer with its own tileset and style (style.json), and an answer in /locate. It is
 * one folder and one line in a module table (tests/modules/module_table.c); the Makefile builds it into
 * build/odra-toy and tests/integration/test_toy_module.py checks each piece over HTTP. */
#include <jansson.h>
#include <string.h>

#include "gis/changes.h"
#include "services/module.h"
#include "services/server.h"
#include "tests/modules/toy/store.h"
#include "util/text.h"

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

static const struct gis_prop site_props[] = {
    {"name", "t.name", GIS_PROP_TEXT, false, "name of the site"},
    {"kind", "t.kind", GIS_PROP_TEXT, true, "kind of site"},
    {NULL, NULL, 0, false, NULL},
};

static const struct gis_layer toy_layers[] = {
    {.table = "toy_sites",
     .collection = {"toy-sites", "Miejsca (moduł testowy)", "Sites of the toy module", "toy_sites t", "MultiPolygon",
                    site_props},
     .map = {"toy-sites", "toy_sites t", LIST("name", "kind"), LIST("t.name", "t.kind"), 0, 0},
     .tileset = {"Miejsca (moduł testowy)", "Sites of the toy module", NULL, "tests/modules/toy/style.json", true}},
    {.table = NULL},
};

/* ---- GET /{t}/toy/sites ---- */

static void site_add(void *ctx, long long id, const char *name, const char *kind)
{
    json_array_append_new(ctx, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "name", name, "kind", kind));
}

static enum err_code toy_sites(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *r = svc_tenant_reader(req->tenant, e);
    if (!r)
        return e->code;
    json_t *sites = json_array();
    if (toy_store_each(r, site_add, sites, e)) {
        json_decref(sites);
        return e->code;
    }
    return http_resp_json(req, resp, 200, json_pack("{s:o}", "sites", sites), e);
}

/* ---- POST /{t}/toy/sites?name=&kind=&lon=&lat=&half= (staff) ---- */

struct add_job {
    const char *name, *kind;
    double x, y, half;
    long long id;
};

static enum err_code add_write(struct gis_store *w, void *ctx, struct err *e)
{
    struct add_job *j = ctx;
    return toy_store_add(w, j->name, j->kind, j->x, j->y, j->half, &j->id, e);
}

static enum err_code add_run(struct gis_store *w, void *ctx, struct err *e)
{
    return gis_changes_track(w, "toy_sites", add_write, ctx, e);
}

static enum err_code toy_site_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    struct add_job j = {.name = http_query(req, "name"), .kind = http_query(req, "kind"), .half = 50};
    if (!j.name || !*j.name)
        return err_param(e, "name", "name is required");
    if (!j.kind)
        j.kind = "plac";
    const char *half = http_query(req, "half");
    if (half && (!text_parse_double(half, &j.half) || j.half < 1 || j.half > 5000))
        return err_param(e, "half", "half must be a number of metres, 1 to 5000");
    struct gis_store *r = svc_tenant_reader(req->tenant, e);
    struct svc_place p;
    if (!r || svc_place_resolve(req, r, NULL, NULL, &p, e))
        return e->code;
    j.x = p.x, j.y = p.y;
    if (svc_tenant_write(req->tenant, add_run, &j, e))
        return e->code;
    return http_resp_json(req, resp, 201, json_pack("{s:I}", "id", (json_int_t)j.id), e);
}

/* ---- /locate ---- */

static bool site_found(void *ctx, const struct gis_layer_row *row)
{
    struct gis_value name, kind;
    gis_layer_row_value(row, 0, &name);
    gis_layer_row_value(row, 1, &kind);
    json_object_set_new(ctx, "site",
                        json_pack("{s:I, s:s, s:s}", "id", (json_int_t)row->id, "name",
                                  name.type == GIS_VALUE_TEXT ? name.text : "", "kind",
                                  kind.type == GIS_VALUE_TEXT ? kind.text : ""));
    return false;
}

/* The site at the place: sites are squares, so the one whose index box holds the point holds it. */
static enum err_code toy_locate(struct svc_tenant *t, struct gis_store *r, const struct svc_place *p, json_t *out,
                                struct err *e)
{
    (void)t;
    json_object_set_new(out, "title", json_string("Miejsca (moduł testowy)"));
    json_object_set_new(out, "site", json_null());
    double box[4] = {p->x, p->y, p->x, p->y};
    return gis_store_bbox_query(r, &toy_layers[0], box, 0, 1, NULL, site_found, out, e);
}

/* ---- the module ---- */

static const struct http_param_doc list_doc[] = {HTTP_DOC_TENANT, HTTP_DOC_END};
static const struct http_param_doc add_doc[] = {
    HTTP_DOC_TENANT,
    {"name", "query", "string", 1, "name of the site"},
    {"kind", "query", "string", 0, "kind of site (default plac)"},
    {"lon", "query", "number", 1, "longitude (CRS84) of the centre"},
    {"lat", "query", "number", 1, "latitude (CRS84) of the centre"},
    {"half", "query", "number", 0, "half the side of the square, metres (default 50)"},
    HTTP_DOC_END,
};

static const struct http_route toy_routes[] = {
    {"GET", "/{t}/toy/sites", toy_sites, "toy", "The toy module's sites", NULL, list_doc, HTTP_PUBLIC},
    {"POST", "/{t}/toy/sites", toy_site_post, "toy", "Add a square site around a point (staff)", NULL, add_doc,
     HTTP_STAFF("clerk", "toy:write")},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};

const struct svc_module svc_toy_module = {
    .name = "toy",
    .title = "Miejsca (moduł testowy)",
    .migrations = "tests/modules/toy/migrations",
    .routes = toy_routes,
    .layers = toy_layers,
    .locate = toy_locate,
};
