/* The planners' pages (issue 17): the planner's map (/{t}/planner: MapLibre GL JS with a layer list, a date
 * slider, identify, measure, search and a print of the view), the print form (/{t}/planner/print) and the
 * print API (GET /{t}/print: one PDF sheet drawn by the wyrys's own sheet code, gis/print.c), the gmina's
 * plans (/{t}/planner/plans) with a page per plan (metadata, resolution, publication, history and a preview
 * of the drawing), and the QGIS page (the WMS, WMTS, OGC API and vector-tile addresses). Every page but the
 * map works without JavaScript; the pages ask the API in-process (web_api) as the residents' pages do. */
#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/calendar.h"
#include "gis/crs.h"
#include "gis/print.h"
#include "gis/render.h"
#include "services/routes.h"
#include "services/server.h"
#include "services/tmpl.h"
#include "services/web_page.h"
#include "util/text.h"

/* The map page's policy: the pages' own, with what MapLibre GL JS needs (its workers and tile images are
 * blob: URLs), as /{t}/map (services/web.c). */
#define PLANNER_MAP_CSP                                                                                                \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; worker-src blob:; "          \
    "child-src blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "                    \
    "frame-ancestors 'none'"

static const char *slug(struct web_page *pg)
{
    return pg->req->tenant->cfg->slug;
}

static json_t *jstr(const char *s)
{
    return json_string(s ? s : "");
}

/* The planner pages' common data: which of them this is (for the sub-navigation's aria-current). */
static enum err_code planner_begin(struct http_req *req, struct http_resp *resp, const char *title_key,
                                   const char *here, struct web_page *pg, struct err *e)
{
    if (web_page_begin(req, resp, title_key, pg, e))
        return e->code;
    json_object_set_new(pg->data, "planner_here", json_string(here));
    json_object_set_new(pg->data, "styles", json_pack("[s]", "/assets/planner.css"));
    json_object_set_new(pg->data, arena_printf(req->arena, "is_%s", here), json_true());
    return ERR_OK;
}

/* The gmina's extent in EPSG:2180 (the demo's Słubice when the store has none). */
static void tenant_extent(struct http_req *req, double ext[4])
{
    ext[0] = 200000, ext[1] = 470000, ext[2] = 260000, ext[3] = 520000;
    struct err e = {0};
    struct gis_store *r = svc_tenant_reader(req->tenant, &e);
    if (r)
        gis_render_extent(r, ext);
}

/* ---- the map ---- */

/* The module layers: the tilesets the server lists besides the plan map and the parcels. */
static json_t *module_layers(struct web_page *pg)
{
    json_t *list = json_array(), *ts = NULL;
    int status = 0;
    struct err le = {0};
    if (web_api(pg, "GET", arena_printf(pg->req->arena, "/%s/tiles", slug(pg)), NULL, NULL, NULL, &ts, &status, &le))
        return list;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(ts, "tilesets"), i, t)
    {
        const char *id = json_string_value(json_object_get(t, "id"));
        if (!id || !strcmp(id, "plan") || !strcmp(id, "parcels"))
            continue;
        json_array_append_new(
            list, json_pack("{s:s, s:o}", "id", id, "title", jstr(json_string_value(json_object_get(t, "title")))));
    }
    return list;
}

/* The date slider's range: from the earliest plan's entry into force (a year before, at most 1990) to two
 * years after today, as days; its value today. */
static void slider_range(struct web_page *pg, int *lo, int *hi, int *today)
{
    *today = gis_cal_today();
    *lo = *today - 3650;
    *hi = *today + 730;
    json_t *plans = NULL;
    int status = 0;
    struct err le = {0};
    if (web_api(pg, "GET", arena_printf(pg->req->arena, "/%s/ogc/collections/plans/items", slug(pg)),
                (const char *const[]){"limit", "1000", NULL}, NULL, NULL, &plans, &status, &le))
        return;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(plans, "features"), i, f)
    {
        int d;
        const char *v = json_string_value(json_object_get(json_object_get(f, "properties"), "valid_from"));
        if (v && gis_cal_parse_date(v, &d) && d - 365 < *lo)
            *lo = d - 365;
    }
}

static enum err_code page_planner(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (planner_begin(req, resp, "planner.map_title", "map", &pg, e))
        return e->code;
    pg.csp = PLANNER_MAP_CSP;
    int lo, hi, today;
    slider_range(&pg, &lo, &hi, &today);
    char d_lo[11], d_hi[11], d_today[11];
    gis_cal_format_date(lo, d_lo);
    gis_cal_format_date(hi, d_hi);
    gis_cal_format_date(today, d_today);
    double ext[4];
    tenant_extent(req, ext);
    struct err le = {0};
    double ll[4];
    if (gis_crs_transform_bbox(GIS_CRS_2180, GIS_CRS_CRS84, ext, ll, &le))
        ll[0] = 14.4, ll[1] = 52.1, ll[2] = 15.1, ll[3] = 52.6;
    json_object_set_new(pg.data, "map",
                        json_pack("{s:o, s:s, s:s, s:s, s:i, s:i, s:s}", "modules", module_layers(&pg), "date_min",
                                  d_lo, "date_max", d_hi, "today", d_today, "days", hi - lo, "today_index", today - lo,
                                  "bounds",
                                  arena_printf(req->arena, "%.6f,%.6f,%.6f,%.6f", ll[0], ll[1], ll[2], ll[3])));
    json_object_set_new(pg.data, "styles", json_pack("[s, s]", "/assets/maplibre-gl.css", "/assets/planner.css"));
    json_object_set_new(pg.data, "scripts", json_pack("[s, s]", "/assets/maplibre-gl.js", "/assets/planner.js"));
    return web_page_send(&pg, 200, "planner_map", e);
}

/* ---- the print: the API ---- */

/* Exactly n comma-separated numbers of s into v. */
static bool parse_numbers(const char *s, double *v, int n)
{
    char tmp[256];
    if (!s || strlen(s) >= sizeof tmp)
        return false;
    strcpy(tmp, s);
    char *save = NULL, *tok = strtok_r(tmp, ",", &save);
    int k = 0;
    for (; tok && k < n; tok = strtok_r(NULL, ",", &save))
        if (!text_parse_double(tok, &v[k++]) || !isfinite(v[k - 1]))
            return false;
    return k == n && !tok;
}

/* The sheet's centre (EPSG:2180) from bbox or center in crs; for a bbox, that it fits the frame. NAN when
 * neither is given and parcels are (the print centres on them). */
static enum err_code print_area(struct http_req *req, struct gis_print *p, struct err *e)
{
    const char *bbox = http_query(req, "bbox"), *center = http_query(req, "center"), *crs = http_query(req, "crs");
    bbox = bbox && *bbox ? bbox : NULL;
    center = center && *center ? center : NULL;
    enum gis_crs c = crs && *crs ? gis_crs_parse(crs) : GIS_CRS_2180;
    if (c != GIS_CRS_2180 && c != GIS_CRS_CRS84)
        return err_param(e, "crs", "crs must be EPSG:2180 (x, y in metres) or CRS:84 (longitude, latitude)");
    if (bbox)
        center = NULL; /* the area, when both are given (a form's centre stays filled in) */
    if (!bbox && !center) {
        if (p->nparcels > 0) {
            p->cx = p->cy = NAN;
            return ERR_OK;
        }
        return err_param(e, "bbox", "give the area: bbox=minx,miny,maxx,maxy or center=x,y (or parcels)");
    }
    struct err te = {0};
    if (center) {
        double xy[2];
        if (!parse_numbers(center, xy, 2))
            return err_param(e, "center", "center must be two numbers: x,y");
        if (c != GIS_CRS_2180 &&
            (fabs(xy[0]) > 180 || fabs(xy[1]) > 90 || gis_crs_transform(c, GIS_CRS_2180, xy, 1, &te)))
            return err_param(e, "center", "center is not a point in %s", gis_crs_name(c));
        p->cx = xy[0], p->cy = xy[1];
        return ERR_OK;
    }
    double in[4], bb[4];
    if (!parse_numbers(bbox, in, 4) || !(in[0] < in[2]) || !(in[1] < in[3]))
        return err_param(e, "bbox", "bbox must be four numbers minx,miny,maxx,maxy with min < max");
    if (c == GIS_CRS_2180)
        memcpy(bb, in, sizeof bb);
    else if (fabs(in[0]) > 180 || fabs(in[2]) > 180 || fabs(in[1]) > 90 || fabs(in[3]) > 90 ||
             gis_crs_transform_bbox(c, GIS_CRS_2180, in, bb, &te))
        return err_param(e, "bbox", "bbox is not an area in %s", gis_crs_name(c));
    double w, h;
    gis_print_extent(p->paper, p->scale, &w, &h);
    if (bb[2] - bb[0] > w * 1.0005 || bb[3] - bb[1] > h * 1.0005)
        return err_param(e, "bbox",
                         "the area is %.0f x %.0f m, but at 1:%ld the %s frame shows %.0f x %.0f m: choose a smaller "
                         "scale, A3 or the other orientation",
                         bb[2] - bb[0], bb[3] - bb[1], p->scale, gis_extract_sheet_name(p->paper), w, h);
    p->cx = (bb[0] + bb[2]) / 2, p->cy = (bb[1] + bb[3]) / 2;
    return ERR_OK;
}

/* The parcels to outline: identifiers separated by commas, spaces or new lines. */
static enum err_code print_parcels(struct http_req *req, struct gis_print *p, struct err *e)
{
    const char *v = http_query(req, "parcels");
    if (!v || !*v)
        return ERR_OK;
    const char **ids = arena_alloc(req->arena, sizeof *ids * GIS_PRINT_MAX_PARCELS);
    char *tmp = arena_strdup(req->arena, v);
    if (!ids || !tmp)
        return err_set(e, ERR_INTERNAL, "out of memory");
    char *save = NULL;
    for (char *tok = strtok_r(tmp, ", \t\r\n", &save); tok; tok = strtok_r(NULL, ", \t\r\n", &save)) {
        if (p->nparcels == GIS_PRINT_MAX_PARCELS)
            return err_param(e, "parcels", "a print outlines at most %d parcels", GIS_PRINT_MAX_PARCELS);
        ids[p->nparcels++] = tok;
    }
    p->parcels = ids;
    return ERR_OK;
}

/* The layers a print leaves out: omit, comma-separated and/or repeated (a form's checkboxes). */
struct omit_read {
    struct gis_print *p;
    struct err *e;
};

static enum MHD_Result omit_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct omit_read *o = cls;
    if (strcmp(key, "omit") || !value)
        return MHD_YES;
    char buf[201];
    snprintf(buf, sizeof buf, "%s", value);
    char *save = NULL;
    for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        unsigned bit = gis_print_omit_bit(t);
        if (!bit) {
            err_param(o->e, "omit", "omit lists landcover, buildings, parcels or streets, got '%.40s'", t);
            return MHD_NO;
        }
        o->p->omit |= bit;
    }
    return MHD_YES;
}

/* Reads and checks the print's parameters into p. */
static enum err_code print_params(struct http_req *req, struct gis_print *p, struct err *e)
{
    static const char *const names[] = {"bbox",   "center", "crs",     "scale", "paper", "orientation",
                                        "layers", "date",   "parcels", "omit",  NULL};
    for (int i = 0; names[i]; i++) {
        const char *v = http_query(req, names[i]);
        if (v && strlen(v) > (strcmp(names[i], "parcels") ? 200 : 1000))
            return err_param(e, names[i], "%s is too long", names[i]);
    }
    const char *paper = http_query(req, "paper"), *orient = http_query(req, "orientation");
    if (orient && *orient && strcmp(orient, "portrait") && strcmp(orient, "landscape"))
        return err_param(e, "orientation", "orientation must be portrait or landscape");
    if (!gis_print_paper_parse(paper && *paper ? paper : "A4", orient && *orient ? orient : NULL, &p->paper))
        return err_param(e, "paper", "paper must be A4 or A3");
    const char *scale = http_query(req, "scale");
    if (scale && !strncmp(scale, "1:", 2))
        scale += 2;
    if (!scale || !text_parse_long(scale, GIS_PRINT_SCALE_MIN, GIS_PRINT_SCALE_MAX, &p->scale))
        return err_param(e, "scale", "scale must be a whole number from %d to %d (1:%d to 1:%d)", GIS_PRINT_SCALE_MIN,
                         GIS_PRINT_SCALE_MAX, GIS_PRINT_SCALE_MIN, GIS_PRINT_SCALE_MAX);
    const char *layers = http_query(req, "layers");
    if (layers && *layers && strcmp(layers, "mpzp") && strcmp(layers, "pog"))
        return err_param(e, "layers", "layers must be mpzp or pog");
    p->pog = layers && !strcmp(layers, "pog");
    struct omit_read o = {.p = p, .e = e};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, omit_one, &o);
    if (e->code)
        return e->code;
    const char *date = http_query(req, "date");
    int day;
    if (date && *date && !gis_cal_parse_date(date, &day))
        return err_param(e, "date", "date must be a date YYYY-MM-DD (1900-2999)");
    p->as_of = date && *date ? date : NULL;
    if (print_parcels(req, p, e) || print_area(req, p, e))
        return e->code;
    return ERR_OK;
}

static enum err_code print_api(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct config_tenant *c = req->tenant->cfg;
    struct gis_print p = {.paper = GIS_EXTRACT_A4, .gmina = c->name, .organ = c->organ};
    if (print_params(req, &p, e))
        return e->code;
    double ext[4], w, h;
    tenant_extent(req, ext);
    gis_print_extent(p.paper, p.scale, &w, &h);
    if (!isnan(p.cx) &&
        (p.cx + w / 2 < ext[0] || p.cx - w / 2 > ext[2] || p.cy + h / 2 < ext[1] || p.cy - h / 2 > ext[3]))
        return err_param(e, "bbox", "the area lies outside gmina %s", c->name);
    if (http_offload(req)) /* a PDF is rendered: on a job thread */
        return ERR_OK;
    struct gis_store *s = svc_tenant_reader(req->tenant, e);
    if (!s)
        return e->code ? e->code : err_set(e, ERR_UNAVAILABLE, "store of gmina %s unavailable", c->name);
    struct buf out = {0};
    if (gis_print_pdf(s, &p, &out, e)) {
        buf_free(&out);
        return e->code;
    }
    http_resp_header(resp, "Content-Disposition",
                     arena_printf(req->arena, "attachment; filename=\"wydruk-%s-1-%ld.pdf\"", c->slug, p.scale));
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return http_resp_buf(req, resp, 200, "application/pdf", &out, e);
}

/* ---- the print: the form ---- */

static const long print_scales[] = {500, 1000, 2000, 5000, 10000};

/* The centre the form starts with: the map's view (?center=lon,lat&crs=CRS:84 from the map page), else the
 * gmina's middle; in EPSG:2180, as "x, y" with whole metres. */
static const char *form_centre(struct web_page *pg)
{
    struct http_req *req = pg->req;
    double xy[2];
    const char *v = http_query(req, "center"), *crs = http_query(req, "crs");
    struct err le = {0};
    if (v && parse_numbers(v, xy, 2)) {
        enum gis_crs c = crs ? gis_crs_parse(crs) : GIS_CRS_2180;
        if (c == GIS_CRS_2180 || (c == GIS_CRS_CRS84 && fabs(xy[0]) <= 180 && fabs(xy[1]) <= 90 &&
                                  !gis_crs_transform(c, GIS_CRS_2180, xy, 1, &le)))
            return arena_printf(req->arena, "%.0f,%.0f", xy[0], xy[1]);
    }
    double ext[4];
    tenant_extent(req, ext);
    return arena_printf(req->arena, "%.0f,%.0f", (ext[0] + ext[2]) / 2, (ext[1] + ext[3]) / 2);
}

static enum err_code page_print(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (planner_begin(req, resp, "planner.print_title", "print", &pg, e))
        return e->code;
    long want = 2000;
    const char *sv = http_query(req, "scale");
    if (sv)
        text_parse_long(sv, GIS_PRINT_SCALE_MIN, GIS_PRINT_SCALE_MAX, &want);
    json_t *scales = json_array();
    for (size_t i = 0; i < sizeof print_scales / sizeof print_scales[0]; i++)
        json_array_append_new(
            scales, json_pack("{s:I, s:b}", "value", (json_int_t)print_scales[i], "selected", print_scales[i] == want));
    const char *date = http_query(req, "date");
    int day;
    json_object_set_new(pg.data, "print",
                        json_pack("{s:s, s:o, s:s}", "center", form_centre(&pg), "scales", scales, "date",
                                  date && gis_cal_parse_date(date, &day) ? date : ""));
    return web_page_send(&pg, 200, "planner_print", e);
}

/* ---- plans ---- */

/* The plans of the gmina from the OGC API (every status), as the pages show them; NULL on failure. */
static json_t *plans_get(struct web_page *pg, int *status, struct err *e)
{
    json_t *j = NULL;
    if (web_api(pg, "GET", arena_printf(pg->req->arena, "/%s/ogc/collections/plans/items", slug(pg)),
                (const char *const[]){"limit", "1000", NULL}, NULL, NULL, &j, status, e))
        return NULL;
    return json_object_get(j, "features");
}

/* One plan's row for the pages: its properties, the page link, and the dates in the page's language. */
static json_t *plan_row(struct web_page *pg, json_t *f)
{
    json_t *p = json_deep_copy(json_object_get(f, "properties"));
    json_int_t id = json_integer_value(json_object_get(f, "id"));
    json_object_set_new(p, "id", json_integer(id));
    json_object_set_new(p, "href",
                        json_string(arena_printf(pg->req->arena, "/%s/planner/plans/%lld", slug(pg), (long long)id)));
    const char *kind = json_string_value(json_object_get(p, "kind"));
    json_object_set_new(p, "pog", json_boolean(kind && !strcmp(kind, "pog")));
    json_object_set_new(p, "status",
                        json_string(web_status(pg, "plan_status", json_string_value(json_object_get(p, "status")))));
    return p;
}

static enum err_code page_plans(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (planner_begin(req, resp, "planner.plans_title", "plans", &pg, e))
        return e->code;
    int status = 0;
    struct err le = {0};
    json_t *fs = plans_get(&pg, &status, &le);
    if (!fs)
        return web_page_error(&pg, &le, e);
    json_t *rows = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(fs, i, f)
    {
        json_array_append_new(rows, plan_row(&pg, f));
    }
    json_object_set_new(pg.data, "plans", rows);
    json_object_set_new(pg.data, "count", json_integer((json_int_t)json_array_size(rows)));
    return web_page_send(&pg, 200, "planner_plans", e);
}

/* The bounding box of a GeoJSON geometry's coordinates (nested arrays of [x, y]). */
static void coords_bbox(json_t *c, double bb[4])
{
    if (!json_is_array(c))
        return;
    if (json_array_size(c) >= 2 && json_is_number(json_array_get(c, 0))) {
        double x = json_number_value(json_array_get(c, 0)), y = json_number_value(json_array_get(c, 1));
        bb[0] = fmin(bb[0], x), bb[1] = fmin(bb[1], y), bb[2] = fmax(bb[2], x), bb[3] = fmax(bb[3], y);
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(c, i, v)
    {
        coords_bbox(v, bb);
    }
}

/* The history of plan id among the plans fs: what it amends, what amends it, its repeal. */
static json_t *plan_history(struct web_page *pg, json_t *fs, json_t *me)
{
    json_t *h = json_array();
    json_int_t amends = json_integer_value(json_object_get(me, "amends_plan_id"));
    json_int_t id = json_integer_value(json_object_get(me, "id"));
    size_t i;
    json_t *f;
    json_array_foreach(fs, i, f)
    {
        json_t *p = json_object_get(f, "properties");
        json_int_t fid = json_integer_value(json_object_get(f, "id"));
        if (amends && fid == amends)
            json_array_append_new(h, json_pack("{s:b, s:o}", "amends", 1, "plan", plan_row(pg, f)));
        else if (json_integer_value(json_object_get(p, "amends_plan_id")) == id)
            json_array_append_new(h, json_pack("{s:b, s:o}", "amends", 0, "plan", plan_row(pg, f)));
    }
    return h;
}

static enum err_code page_plan(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (planner_begin(req, resp, "planner.plan_title", "plans", &pg, e))
        return e->code;
    const char *id = http_capture(req, "id");
    long n;
    if (!text_parse_long(id, 1, 1000000000L, &n)) {
        struct err nf = {0};
        err_set(&nf, ERR_NOT_FOUND, "no plan with this id (a plan's id is a number)");
        return web_page_error(&pg, &nf, e);
    }
    int status = 0;
    struct err le = {0};
    json_t *fs = plans_get(&pg, &status, &le), *me = NULL, *f;
    if (!fs)
        return web_page_error(&pg, &le, e);
    size_t i;
    json_array_foreach(fs, i, f)
    {
        if (json_integer_value(json_object_get(f, "id")) == n)
            me = f;
    }
    if (!me) {
        err_set(&le, ERR_NOT_FOUND, "no plan %ld in gmina %s", n, req->tenant->cfg->name);
        return web_page_error(&pg, &le, e);
    }
    json_t *row = plan_row(&pg, me);
    json_object_set_new(row, "history", plan_history(&pg, fs, row));
    double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    coords_bbox(json_object_get(json_object_get(me, "geometry"), "coordinates"), bb);
    if (isfinite(bb[0])) {
        double mx = (bb[2] - bb[0]) * 0.05, my = (bb[3] - bb[1]) * 0.05;
        /* 800 pixels wide, as high as the area is on the ground (a degree of longitude is cos(lat) of one of
         * latitude), between 200 and 1000 */
        double k = cos((bb[1] + bb[3]) / 2 * M_PI / 180);
        int ph = (int)lround(fmin(1000, fmax(200, 800 * (bb[3] - bb[1] + 2 * my) / ((bb[2] - bb[0] + 2 * mx) * k))));
        json_object_set_new(row, "preview_h", json_integer(ph));
        const char *vf = json_string_value(json_object_get(row, "valid_from"));
        json_object_set_new(
            row, "preview",
            json_string(arena_printf(req->arena,
                                     "/%s/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=%s,parcels,granice"
                                     "&STYLES=&CRS=CRS:84&BBOX=%.6f,%.6f,%.6f,%.6f&WIDTH=800&HEIGHT=%d"
                                     "&FORMAT=image/png%s%s",
                                     slug(&pg), json_is_true(json_object_get(row, "pog")) ? "pog" : "mpzp", bb[0] - mx,
                                     bb[1] - my, bb[2] + mx, bb[3] + my, ph, vf ? "&TIME=" : "", vf ? vf : "")));
        json_object_set_new(
            row, "print",
            json_string(arena_printf(req->arena, "/%s/planner/print?center=%.6f,%.6f&crs=CRS:84%s%s", slug(&pg),
                                     (bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2, vf ? "&date=" : "", vf ? vf : "")));
    }
    json_object_set_new(row, "ogc",
                        json_string(arena_printf(req->arena, "/%s/ogc/collections/plans/items/%ld", slug(&pg), n)));
    json_object_set_new(pg.data, "plan", row);
    json_object_set_new(pg.data, "title",
                        json_string(json_string_value(json_object_get(row, "title"))
                                        ? json_string_value(json_object_get(row, "title"))
                                        : web_msg(&pg, "planner.plan_title")));
    return web_page_send(&pg, 200, "planner_plan", e);
}

/* ---- QGIS ---- */

static enum err_code page_qgis(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct web_page pg;
    if (planner_begin(req, resp, "planner.qgis_title", "qgis", &pg, e))
        return e->code;
    const char *b = arena_printf(req->arena, "%s/%s", http_base_url(req), slug(&pg));
    json_t *links = json_array();
    static const struct {
        const char *key, *fmt;
    } rows[] = {
        {"planner.qgis_wms", "%s/wms?SERVICE=WMS&REQUEST=GetCapabilities"},
        {"planner.qgis_wmts", "%s/wmts/1.0.0/WMTSCapabilities.xml"},
        {"planner.qgis_ogc", "%s/ogc"},
        {"planner.qgis_ogc_tiles", "%s/ogc/tiles"},
        {"planner.qgis_xyz", "%s/tiles/plan/{z}/{x}/{y}.mvt"},
        {"planner.qgis_style", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *url =
            rows[i].fmt ? arena_printf(req->arena, rows[i].fmt, b)
                        : arena_printf(req->arena, "%s/styles/plan.json?tenant=%s", http_base_url(req), slug(&pg));
        json_array_append_new(links, json_pack("{s:s, s:s, s:s}", "label", web_msg(&pg, rows[i].key), "address", url,
                                               "id", arena_printf(req->arena, "qgis-url-%zu", i)));
    }
    json_object_set_new(pg.data, "links", links);
    json_object_set_new(pg.data, "styles", json_pack("[s]", "/assets/planner.css"));
    json_object_set_new(pg.data, "scripts", json_pack("[s]", "/assets/planner.js"));
    return web_page_send(&pg, 200, "planner_qgis", e);
}

/* ---- routes ---- */

static const struct http_param_doc p_t[] = {HTTP_DOC_TENANT, HTTP_DOC_END};
static const struct http_param_doc p_plan[] = {
    HTTP_DOC_TENANT, {"id", "path", "string", 1, "the plan's id (the plans collection's feature id)"}, HTTP_DOC_END};
static const struct http_param_doc p_print_form[] = {
    HTTP_DOC_TENANT,
    {"center", "query", "string", 0, "the sheet's centre to start with: x,y (EPSG:2180) or lon,lat with crs=CRS:84"},
    {"crs", "query", "string", 0, "EPSG:2180 (default) or CRS:84"},
    {"scale", "query", "string", 0, "the scale to start with"},
    {"date", "query", "string", 0, "the plans in force on this day, YYYY-MM-DD"},
    HTTP_DOC_END};
static const struct http_param_doc p_print[] = {
    HTTP_DOC_TENANT,
    {"scale", "query", "string", 1, "the scale's denominator, 250 to 10000 (1000 or 1:1000)"},
    {"bbox", "query", "string", 0,
     "the area to print, minx,miny,maxx,maxy in crs; it must fit the frame at the scale (its centre is the sheet's)"},
    {"center", "query", "string", 0, "instead of bbox: the sheet's centre x,y in crs"},
    {"crs", "query", "string", 0, "of bbox and center: EPSG:2180 (default) or CRS:84"},
    {"paper", "query", "string", 0, "A4 (default) or A3"},
    {"orientation", "query", "string", 0, "portrait (default) or landscape"},
    {"layers", "query", "string", 0, "mpzp (default: local plans) or pog (the general plan)"},
    {"omit", "query", "string", 0,
     "layers left out of the print, comma-separated or repeated: landcover, buildings, parcels (the parcels named "
     "in parcels stay outlined), streets; default none"},
    {"date", "query", "string", 0, "the plans in force on this day, YYYY-MM-DD (default today)"},
    {"parcels", "query", "string", 0,
     "parcel identifiers to outline in red (at most 20); without bbox and center the sheet centres on them"},
    HTTP_DOC_STATUS("400", "a parameter is missing, malformed, too long or out of range, or the area lies outside"),
    HTTP_DOC_STATUS("422", "an unknown parcel"),
    HTTP_DOC_END};

#define PAGE "text/html"
const struct http_route svc_planner_routes[] = {
    {"GET", "/{t}/planner", page_planner, "pages",
     "The planner's map: layers, plans on a chosen day, identify, measure, search, print", PAGE, p_t, HTTP_PUBLIC},
    {"GET", "/{t}/planner/print", page_print, "pages", "The map print form (area, scale, paper)", PAGE, p_print_form,
     HTTP_PUBLIC},
    {"GET", "/{t}/planner/plans", page_plans, "pages", "The gmina's plans: status, dates, resolution, publication",
     PAGE, p_t, HTTP_PUBLIC},
    {"GET", "/{t}/planner/plans/{id}", page_plan, "pages",
     "A plan: metadata, resolution, publication, history and a preview of its drawing", PAGE, p_plan, HTTP_PUBLIC},
    {"GET", "/{t}/planner/qgis", page_qgis, "pages", "The WMS, WMTS, OGC API and vector-tile addresses for QGIS", PAGE,
     p_t, HTTP_PUBLIC},
    {"GET", "/{t}/print", print_api, "maps",
     "A map print: one PDF sheet at an exact scale (A4 or A3, portrait or landscape) with legend, scale bar and "
     "north arrow, drawn as the wyrys is",
     "application/pdf", p_print, HTTP_PUBLIC},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
