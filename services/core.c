/* Core handlers: /health, the entry page and the per-gmina summary. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gis/store.h"
#include "services/backup.h"
#include "services/module.h"
#include "services/routes.h"
#include "services/server.h"
#include "services/twin.h"
#include "tiles/cache.h"
#include "util/text.h"

static json_t *tenant_json(const struct svc_tenant *t)
{
    json_t *mods = json_array();
    for (int k = 0; k < t->cfg->n_modules; k++)
        json_array_append_new(mods, json_string(t->cfg->modules[k]));
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "slug", t->cfg->slug, "name", t->cfg->name, "teryt", t->cfg->teryt,
                     "organ", t->cfg->organ, "modules", mods);
}

enum err_code svc_health(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *tenants = json_array();
    bool degraded = false;
    for (int i = 0; i < svc_server_tenant_count(req->server); i++) {
        const struct svc_tenant *t = svc_server_tenant(req->server, i);
        json_t *j = tenant_json(t);
        /* a gmina whose store could not be opened at start is served by nobody: its paths answer 503 */
        json_object_set_new(j, "status", json_string(t->unavailable ? "unavailable" : "ok"));
        /* the electronic seal: without one, documents are issued unsealed and say so (no paths here: the
         * reason a configured seal did not load is in the log) */
        json_object_set_new(j, "seal",
                            t->seal ? json_pack("{s:b, s:s, s:s, s:s}", "available", 1, "subject",
                                                gis_seal_subject(t->seal), "key", gis_seal_key_type(t->seal), "level",
                                                !strcmp(gis_seal_level(t->seal), "B-T") ? "PAdES-B-T" : "PAdES-B-B")
                                    : json_pack("{s:b, s:s}", "available", 0, "reason",
                                                t->cfg->seal[0] ? "the configured seal could not be loaded (see the "
                                                                  "server log); documents are issued without a seal"
                                                                : "no seal is configured; documents are issued "
                                                                  "without a seal"));
        /* twin replication (docs/twins.md): null when the gmina is not twinned */
        json_t *twin = svc_twin_health(t);
        json_object_set_new(j, "twin", twin ? twin : json_null());
        if (twin && json_integer_value(json_object_get(twin, "not_replicated")) > 0)
            degraded = true;
        degraded |= t->unavailable;
        json_array_append_new(tenants, j);
    }
    /* the scheduled backups ([backup]): their last snapshot, or null when none are scheduled */
    struct svc_backup_status b;
    json_t *backup = json_null();
    if (svc_backup_status(&b))
        backup = json_pack("{s:o, s:o, s:I, s:i, s:o}", "last", b.last[0] ? json_string(b.last) : json_null(),
                           "last_at", b.last_at[0] ? json_string(b.last_at) : json_null(), "taken", (json_int_t)b.taken,
                           "snapshots", b.snapshots, "error", b.error[0] ? json_string(b.error) : json_null());
    /* the bounded caches that fill under load (make soak reads them): the in-memory hot tile cache, and the
     * SQLite page caches of the stores' connections */
    size_t hot_bytes, hot_bound;
    long hot_tiles;
    tile_hot_usage(&hot_bytes, &hot_bound, &hot_tiles);
    http_resp_header(resp, "Cache-Control", "no-store");
    return http_resp_json(req, resp, 200,
                          json_pack("{s:s, s:s, s:o, s:o, s:I, s:{s:I, s:I, s:I}, s:I}", "status",
                                    degraded ? "degraded" : "ok", "version", ODRA_VERSION, "tenants", tenants, "backup",
                                    backup, "unlogged_requests", (json_int_t)svc_server_unlogged(), "hot_tile_cache",
                                    "bytes", (json_int_t)hot_bytes, "bound", (json_int_t)hot_bound, "tiles",
                                    (json_int_t)hot_tiles, "store_page_cache_bytes",
                                    (json_int_t)gis_store_cache_bytes()),
                          e);
}

enum err_code svc_tenant_info(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct gis_store *r = svc_tenant_reader(req->tenant, e);
    if (!r)
        return e->code ? e->code : err_set(e, ERR_UNAVAILABLE, "store unavailable");
    json_t *j = tenant_json(req->tenant);
    json_t *counts = json_object();
    static const char *const tables[] = {"obreby", "parcels",    "localities", "streets",  "addresses", "buildings",
                                         "plans",  "plan_zones", "pog_zones",  "overlays", NULL};
    for (int i = 0; tables[i]; i++)
        json_object_set_new(counts, tables[i], json_integer(gis_store_count(r, tables[i])));
    json_object_set_new(j, "council", json_string(req->tenant->cfg->council));
    json_object_set_new(j, "counts", counts);
    json_object_set_new(j, "schema_version", json_integer(gis_store_version(r)));
    return http_resp_json(req, resp, 200, j, e);
}

/* The site icon: a parcel outline on the map page's green, as SVG. Served at /favicon.ico, where browsers
 * look for it unasked, and linked from the pages with type image/svg+xml. */
static const char favicon_svg[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\">"
    "<rect width=\"32\" height=\"32\" rx=\"6\" fill=\"#2d4a3e\"/>"
    "<path d=\"M6 23 11 7l15 4-3 15z\" fill=\"#f0b323\" stroke=\"#fff\" stroke-width=\"2\" "
    "stroke-linejoin=\"round\"/>"
    "<circle cx=\"16\" cy=\"16\" r=\"3\" fill=\"#2d4a3e\"/></svg>\n";

enum err_code svc_favicon(struct http_req *req, struct http_resp *resp, struct err *e)
{
    (void)req;
    (void)e;
    http_resp_body(resp, 200, "image/svg+xml", favicon_svg, sizeof favicon_svg - 1);
    http_resp_header(resp, "Cache-Control", "public, max-age=86400");
    return ERR_OK;
}
