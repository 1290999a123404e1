/* Plans API: a plan as APP 2.0 GML for the staff (GET /{t}/plans/{id}.gml), the export the Rejestr
 * Urbanistyczny takes, the same as `odra export --as app --plan ID`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/app_export.h"
#include "services/module.h"
#include "services/routes.h"
#include "services/server.h"

/* ---- GET /{t}/plans/{id}.gml (staff) ---- */

static enum err_code plan_gml(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (svc_require_staff(req, e))
        return e->code;
    const char *cap = http_capture(req, "id");
    size_t len = strlen(cap);
    if (len < 5 || strcmp(cap + len - 4, ".gml") != 0)
        return err_set(e, ERR_NOT_FOUND, "plans are served as APP 2.0 GML: /{t}/plans/{id}.gml");
    /* the plan's row id (its idIIP has slashes, which a path segment cannot) */
    for (size_t i = 0; i + 4 < len; i++)
        if (cap[i] < '0' || cap[i] > '9' || i >= 18)
            return err_set(e, ERR_NOT_FOUND, "no plan with this id (a plan's id is a number)");
    char *id = arena_printf(req->arena, "%.*s", (int)(len - 4), cap);
    struct gis_store *s = svc_tenant_reader(req->tenant, e);
    if (!s)
        return e->code ? e->code : err_set(e, ERR_UNAVAILABLE, "store of gmina %s unavailable", req->tenant->cfg->name);
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    if (!out)
        return err_set(e, ERR_INTERNAL, "out of memory");
    struct gis_app_export_opts o = {.plan = id, .teryt = req->tenant->cfg->teryt};
    struct gis_app_export_stats st;
    enum err_code rc = gis_app_export(s, &o, out, &st, e);
    fclose(out);
    char *body = rc ? NULL : arena_alloc(req->arena, n + 1);
    if (!rc && !body)
        rc = err_set(e, ERR_INTERNAL, "out of memory");
    if (!rc) {
        memcpy(body, buf, n);
        http_resp_body(resp, 200, "application/gml+xml; version=3.2", body, n);
        http_resp_header(
            resp, "Content-Disposition",
            arena_printf(req->arena, "attachment; filename=\"plan-%s-%s.gml\"", req->tenant->cfg->slug, id));
        http_resp_header(resp, "Cache-Control", "private, no-store");
    }
    free(buf);
    return rc;
}

static const struct http_param_doc p_plan[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "string", 1, "the plan's id (the `id` of plans in /locate and /parcels) followed by .gml"},
    HTTP_DOC_END,
};

const struct http_route svc_plans_routes[] = {
    {"GET", "/{t}/plans/{id}", plan_gml, "plans",
     "A plan (act, resolution, drawing and POG zones) as APP 2.0 GML in EPSG:2176, for the Rejestr Urbanistyczny "
     "(staff)",
     "application/gml+xml", p_plan, HTTP_STAFF("planner", "plans:read")},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
