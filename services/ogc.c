/* OGC API - Features Part 1 (Core, GeoJSON, OAS 3.0), Part 2 (CRS by reference) and Part 3 (queryables as
 * query parameters) at /{t}/ogc; the landing page, collections and API definition also lead to OGC API -
 * Tiles, which services/tiles.c serves. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "gis/calendar.h"
#include "gis/crs.h"
#include "gis/features.h"
#include "services/module.h"
#include "services/routes.h"
#include "services/server.h"
#include "util/buf.h"
#include "util/text.h"

#define OGC_LIMIT_DEFAULT 10
#define OGC_LIMIT_MAX     10000

static const enum gis_crs ogc_crs_list[] = {GIS_CRS_CRS84, GIS_CRS_4326, GIS_CRS_2180, GIS_CRS_2176, GIS_CRS_3857};
#define OGC_NCRS (sizeof ogc_crs_list / sizeof ogc_crs_list[0])

static const char *const conformance[] = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/png",
    NULL,
};

#define REL_OGC "http://www.opengis.net/def/rel/ogc/1.0/"

static const char *ogc_base(struct http_req *req)
{
    return arena_printf(req->arena, "%s/%s/ogc", http_base_url(req), req->tenant->cfg->slug);
}

static json_t *ogc_link(const char *href, const char *rel, const char *type, const char *title)
{
    json_t *l = json_pack("{s:s, s:s}", "href", href, "rel", rel);
    if (type)
        json_object_set_new(l, "type", json_string(type));
    if (title)
        json_object_set_new(l, "title", json_string(title));
    return l;
}

/* f=json is the only encoding; anything else is a 400 naming f. */
static enum err_code check_f(struct http_req *req, struct err *e)
{
    const char *f = http_query(req, "f");
    if (f && strcmp(f, "json") && strcmp(f, "geojson") && strcmp(f, "application/json") &&
        strcmp(f, "application/geo+json"))
        return err_param(e, "f", "unsupported format '%s'; only json is offered", f);
    return ERR_OK;
}

/* Rejects query parameters this endpoint does not define, as Features Part 1 asks. */
struct param_check {
    const char *const *known;
    const struct gis_collection *c;
    struct err *e;
};

static enum MHD_Result check_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    (void)value;
    struct param_check *pc = cls;
    for (const char *const *k = pc->known; *k; k++)
        if (!strcmp(*k, key))
            return MHD_YES;
    if (pc->c && gis_collection_queryable(pc->c, key))
        return MHD_YES;
    err_param(pc->e, key, "unknown query parameter '%s'", key);
    return MHD_NO;
}

static enum err_code check_params(struct http_req *req, const char *const *known, const struct gis_collection *c,
                                  struct err *e)
{
    struct param_check pc = {known, c, e};
    if (req->sub_query) /* an in-process request (a page's): its own query, not the page's */
        for (const char *const *q = req->sub_query; q[0] && q[1] && check_param(&pc, MHD_GET_ARGUMENT_KIND, q[0], q[1]);
             q += 2)
            ;
    else
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_param, &pc);
    return e->code ? e->code : check_f(req, e);
}

static const char *const simple_params[] = {"f", NULL};

static enum err_code ogc_landing(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (check_params(req, simple_params, NULL, e))
        return e->code;
    const char *b = ogc_base(req);
    struct arena *a = req->arena;
    json_t *links = json_array();
    json_array_append_new(links, ogc_link(b, "self", "application/json", "this document"));
    json_array_append_new(links, ogc_link(arena_printf(a, "%s/api", b), "service-desc",
                                          "application/vnd.oai.openapi+json;version=3.0", "the API definition"));
    json_array_append_new(links, ogc_link(arena_printf(a, "%s/conformance", b),
                                          "http://www.opengis.net/def/rel/ogc/1.0/conformance", "application/json",
                                          "conformance classes implemented"));
    json_array_append_new(links, ogc_link(arena_printf(a, "%s/conformance", b), "conformance", "application/json",
                                          "conformance classes implemented"));
    json_array_append_new(
        links, ogc_link(arena_printf(a, "%s/collections", b), "data", "application/json", "feature collections"));
    json_array_append_new(links,
                          ogc_link(arena_printf(a, "%s/collections", b), "http://www.opengis.net/def/rel/ogc/1.0/data",
                                   "application/json", "feature collections"));
    json_array_append_new(links, ogc_link(arena_printf(a, "%s/tiles", b), REL_OGC "tilesets-vector", "application/json",
                                          "vector tiles of the planning map (all layers)"));
    json_array_append_new(links, ogc_link(arena_printf(a, "%s/map/tiles", b), REL_OGC "tilesets-map",
                                          "application/json", "map tiles of the planning map (PNG)"));
    json_array_append_new(links, ogc_link(arena_printf(a, "%s/tileMatrixSets", b), REL_OGC "tiling-schemes",
                                          "application/json", "tile matrix sets"));
    const char *title = arena_printf(a, "Gmina %s — dane przestrzenne", req->tenant->cfg->name);
    const char *desc = arena_printf(a,
                                    "Cadastral parcels, addresses, buildings and planning acts of gmina %s "
                                    "(TERYT %s) as OGC API Features, and their map as OGC API Tiles.",
                                    req->tenant->cfg->name, req->tenant->cfg->teryt);
    return http_resp_json(req, resp, 200,
                          json_pack("{s:s, s:s, s:o}", "title", title, "description", desc, "links", links), e);
}

static enum err_code ogc_conformance(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (check_params(req, simple_params, NULL, e))
        return e->code;
    json_t *list = json_array();
    for (int i = 0; conformance[i]; i++)
        json_array_append_new(list, json_string(conformance[i]));
    return http_resp_json(req, resp, 200, json_pack("{s:o}", "conformsTo", list), e);
}

static json_t *crs_array(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < OGC_NCRS; i++)
        json_array_append_new(a, json_string(gis_crs_uri(ogc_crs_list[i])));
    return a;
}

static json_t *collection_json(struct http_req *req, struct gis_store *r, const struct gis_collection *c)
{
    struct arena *a = req->arena;
    const char *b = arena_printf(a, "%s/collections/%s", ogc_base(req), c->id);
    json_t *links = json_array();
    json_array_append_new(links, ogc_link(b, "self", "application/json", c->title));
    json_array_append_new(links,
                          ogc_link(arena_printf(a, "%s/items", b), "items", "application/geo+json", "the features"));
    json_array_append_new(links, ogc_link(arena_printf(a, "%s/queryables", b), REL_OGC "queryables",
                                          "application/schema+json", "the properties filters accept"));
    if (svc_collection_tileset(req->tenant->cfg, c->id)) {
        /* No type on the vector link: GDAL 3.6's OGCAPI driver, given both typed tilesets links, lets the
         * vector one (whose reader its Debian 12 build lacks) overrule the map one and opens neither. */
        json_array_append_new(links, ogc_link(arena_printf(a, "%s/tiles", b), REL_OGC "tilesets-vector", NULL,
                                              "vector tiles (MVT) of this collection"));
        json_array_append_new(links, ogc_link(arena_printf(a, "%s/map/tiles", b), REL_OGC "tilesets-map",
                                              "application/json", "map tiles (PNG) of this collection"));
    }
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o}", "id", c->id, "title", c->title, "description", c->description,
                  "itemType", "feature", "crs", crs_array(), "storageCrs", gis_crs_uri(GIS_CRS_2180), "links", links);
    double ext[4];
    if (gis_collection_extent(r, c, ext))
        json_object_set_new(j, "extent",
                            json_pack("{s:{s:[[f,f,f,f]], s:s}}", "spatial", "bbox", ext[0], ext[1], ext[2], ext[3],
                                      "crs", gis_crs_uri(GIS_CRS_CRS84)));
    return j;
}

struct collection_list {
    struct http_req *req;
    struct gis_store *r;
    json_t *list;
};

static void collection_add(const struct gis_collection *c, void *user)
{
    struct collection_list *cl = user;
    json_array_append_new(cl->list, cl->r ? collection_json(cl->req, cl->r, c) : json_string(c->id));
}

static void tiled_add(const struct gis_collection *c, void *user)
{
    struct collection_list *cl = user;
    if (svc_collection_tileset(cl->req->tenant->cfg, c->id))
        json_array_append_new(cl->list, json_string(c->id));
}

static enum err_code ogc_collections(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (check_params(req, simple_params, NULL, e))
        return e->code;
    struct gis_store *r = svc_tenant_reader(req->tenant, e);
    if (!r)
        return e->code;
    json_t *list = json_array();
    struct collection_list cl = {req, r, list};
    svc_collections_each(req->tenant->cfg, collection_add, &cl);
    json_t *links = json_array();
    json_array_append_new(links, ogc_link(arena_printf(req->arena, "%s/collections", ogc_base(req)), "self",
                                          "application/json", "feature collections"));
    return http_resp_json(req, resp, 200,
                          json_pack("{s:o, s:o, s:o}", "links", links, "collections", list, "crs", crs_array()), e);
}

static const struct gis_collection *find_collection(struct http_req *req, struct err *e)
{
    const char *cid = http_capture(req, "cid");
    const struct gis_collection *c = cid ? svc_collection_find(req->tenant->cfg, cid) : NULL;
    if (!c)
        err_set(e, ERR_NOT_FOUND, "no collection '%s'", cid ? cid : "");
    return c;
}

static enum err_code ogc_collection(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct gis_collection *c = find_collection(req, e);
    if (!c || check_params(req, simple_params, NULL, e))
        return e->code;
    struct gis_store *r = svc_tenant_reader(req->tenant, e);
    if (!r)
        return e->code;
    return http_resp_json(req, resp, 200, collection_json(req, r, c), e);
}

static enum err_code parse_crs_param(struct http_req *req, const char *name, enum gis_crs *out, struct err *e)
{
    const char *v = http_query(req, name);
    if (!v) {
        *out = GIS_CRS_CRS84;
        return ERR_OK;
    }
    *out = gis_crs_parse(v);
    for (size_t i = 0; i < OGC_NCRS; i++)
        if (ogc_crs_list[i] == *out)
            return ERR_OK;
    return err_param(e, name, "unsupported %s '%s'; use one of CRS84, EPSG:4326, 2180, 2176, 3857 (as URIs)", name, v);
}

/* bbox: 4 (or 6, with heights ignored) numbers in bbox-crs axis order. */
static enum err_code parse_bbox(struct http_req *req, struct gis_feature_query *q, struct err *e)
{
    const char *v = http_query(req, "bbox");
    if (!v)
        return ERR_OK;
    double n[6];
    int count = 0;
    char *copy = arena_strdup(req->arena, v);
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (count == 6 || !text_parse_double(tok, &n[count]))
            return err_param(e, "bbox", "bbox must be 4 or 6 comma-separated numbers");
        count++;
    }
    if (count != 4 && count != 6)
        return err_param(e, "bbox", "bbox must be 4 or 6 comma-separated numbers");
    double b[4] = {n[0], n[1], n[count / 2], n[count / 2 + 1]};
    if (parse_crs_param(req, "bbox-crs", &q->bbox_crs, e))
        return e->code;
    if (gis_crs_north_first(q->bbox_crs)) {
        double t = b[0];
        b[0] = b[1], b[1] = t;
        t = b[2];
        b[2] = b[3], b[3] = t;
    }
    if (b[0] > b[2] || b[1] > b[3])
        return err_param(e, "bbox", "bbox lower corner must not be above or right of the upper corner");
    if (q->bbox_crs == GIS_CRS_CRS84 || q->bbox_crs == GIS_CRS_4326) {
        if (b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90)
            return err_param(e, "bbox", "bbox is outside -180..180, -90..90");
        /* Clamp to the area where the Polish CRSs are defined well enough for a filter. */
        b[0] = fmax(b[0], 10.0), b[2] = fmin(b[2], 28.0), b[1] = fmax(b[1], 46.0), b[3] = fmin(b[3], 58.0);
        if (b[0] > b[2] || b[1] > b[3]) {
            b[0] = b[2] = 10.0; /* empty result: a degenerate box far from any gmina */
            b[1] = b[3] = 46.0;
        }
    }
    memcpy(q->bbox, b, sizeof b);
    q->has_bbox = true;
    return ERR_OK;
}

/* datetime (Features Part 1): an RFC 3339 instant or an interval "start/end" with ".." (or nothing) for an
 * open end. Plan data (the plans and the tables of their zones and overlays) answers from the plans in force
 * on that day, as /locate?date= does, or on some day of the interval; other collections have no time and
 * ignore it. Instants are days in Poland (gis_cal_parse_instant). */
static enum err_code parse_datetime(struct http_req *req, struct gis_feature_query *q, struct err *e)
{
    const char *v = http_query(req, "datetime");
    if (!v)
        return ERR_OK;
    if (strlen(v) > 100)
        return err_param(e, "datetime", "datetime is longer than 100 characters");
    const char *slash = strchr(v, '/');
    char part[2][101];
    int n = slash ? 2 : 1, day[2];
    snprintf(part[0], sizeof part[0], "%.*s", slash ? (int)(slash - v) : (int)strlen(v), v);
    snprintf(part[1], sizeof part[1], "%s", slash ? slash + 1 : "");
    if (slash && strchr(slash + 1, '/'))
        return err_param(e, "datetime", "datetime is an instant or one interval start/end");
    bool open[2] = {false, false};
    for (int i = 0; i < n; i++) {
        open[i] = slash && (!part[i][0] || !strcmp(part[i], ".."));
        if (!open[i] && !gis_cal_parse_instant(part[i], &day[i]))
            return err_param(e, "datetime",
                             "datetime must be an RFC 3339 date or date-time with an offset (2026-05-14, "
                             "2026-05-14T12:00:00Z) or an interval of them with '..' for an open end, years "
                             "1900-2999");
    }
    if (!slash && !*v)
        return err_param(e, "datetime", "datetime is empty");
    char *from = arena_alloc(req->arena, 11), *to = arena_alloc(req->arena, 11);
    if (!from || !to)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (!slash) {
        gis_cal_format_date(day[0], from);
        q->date = from;
        return ERR_OK;
    }
    if (open[0] && open[1])
        return ERR_OK; /* all of time: no filter */
    if (!open[0] && !open[1] && day[0] > day[1])
        return err_param(e, "datetime", "the interval's start is after its end");
    if (open[0])
        snprintf(from, 11, "0000-01-01");
    else
        gis_cal_format_date(day[0], from);
    if (open[1])
        snprintf(to, 11, "9999-12-31");
    else
        gis_cal_format_date(day[1], to);
    q->date = from;
    q->date_to = to;
    return ERR_OK;
}

static const char *const item_params[] = {"f", "bbox", "bbox-crs", "limit", "offset", "crs", "datetime", NULL};

static void set_content_crs(struct http_req *req, struct http_resp *resp, enum gis_crs crs)
{
    http_resp_header(resp, "Content-Crs", arena_printf(req->arena, "<%s>", gis_crs_uri(crs)));
}

/* The items URL with every parameter of the request but a new offset, for self/next/prev links. */
struct page_link {
    struct arena *a;
    char *url;
};

static enum MHD_Result add_page_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct page_link *pl = cls;
    if (!strcmp(key, "offset") || !value)
        return MHD_YES;
    char *enc = arena_alloc(pl->a, strlen(value) * 3 + 1);
    if (!enc)
        return MHD_NO;
    char *o = enc;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~,:", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    *o = 0;
    pl->url = arena_printf(pl->a, "%s&%s=%s", pl->url, key, enc);
    return MHD_YES;
}

static const char *page_url(struct http_req *req, const char *items_url, long offset)
{
    struct page_link pl = {req->arena, arena_printf(req->arena, "%s?offset=%ld", items_url, offset)};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, add_page_param, &pl);
    return pl.url;
}

static enum err_code ogc_items(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct gis_collection *c = find_collection(req, e);
    if (!c || check_params(req, item_params, c, e))
        return e->code;
    struct gis_feature_query q = {.c = c, .limit = OGC_LIMIT_DEFAULT};
    const char *v;
    if ((v = http_query(req, "limit"))) {
        if (!text_parse_long(v, 1, 1L << 40, &q.limit))
            return err_param(e, "limit", "limit must be a positive integer");
        if (q.limit > OGC_LIMIT_MAX)
            q.limit = OGC_LIMIT_MAX; /* Part 1: a larger limit is not an error */
    }
    if ((v = http_query(req, "offset")) && !text_parse_long(v, 0, 1L << 40, &q.offset))
        return err_param(e, "offset", "offset must be a non-negative integer");
    if (parse_crs_param(req, "crs", &q.out_crs, e) || parse_bbox(req, &q, e) || parse_datetime(req, &q, e))
        return e->code;
    /* Equality filters: every other parameter was checked to be a queryable property. */
    const struct gis_prop *p;
    for (int i = 0; (p = gis_collection_queryable_at(c, i)); i++) {
        if ((v = http_query(req, p->name))) {
            if (q.nfilter == GIS_MAX_FILTERS)
                return err_param(e, p->name, "too many property filters");
            q.filter_name[q.nfilter] = p->name;
            q.filter_value[q.nfilter++] = v;
        }
    }
    struct gis_store *r = svc_tenant_reader(req->tenant, e);
    if (!r)
        return e->code;
    struct buf out = {0};
    long matched = 0, returned = 0;
    buf_puts(&out, "{\"type\":\"FeatureCollection\",\"features\":");
    if (gis_features_query(r, &q, &out, &matched, &returned, e)) {
        buf_free(&out);
        return e->code;
    }
    struct arena *a = req->arena;
    const char *items_url = arena_printf(a, "%s/collections/%s/items", ogc_base(req), c->id);
    json_t *links = json_array();
    json_array_append_new(links,
                          ogc_link(page_url(req, items_url, q.offset), "self", "application/geo+json", "this page"));
    json_array_append_new(links, ogc_link(arena_printf(a, "%s/collections/%s", ogc_base(req), c->id), "collection",
                                          "application/json", c->title));
    if (q.offset + returned < matched)
        json_array_append_new(links, ogc_link(page_url(req, items_url, q.offset + returned), "next",
                                              "application/geo+json", "next page"));
    if (q.offset > 0)
        json_array_append_new(links, ogc_link(page_url(req, items_url, q.offset > q.limit ? q.offset - q.limit : 0),
                                              "prev", "application/geo+json", "previous page"));
    char *links_text = json_dumps(links, JSON_COMPACT);
    json_decref(links);
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    buf_printf(&out, ",\"numberMatched\":%ld,\"numberReturned\":%ld,\"timeStamp\":\"%s\",\"links\":%s}", matched,
               returned, stamp, links_text ? links_text : "[]");
    free(links_text);
    if (out.failed) {
        buf_free(&out);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    arena_defer(a, free, out.data);
    http_resp_body(resp, 200, "application/geo+json", out.data, out.len);
    set_content_crs(req, resp, q.out_crs);
    return ERR_OK;
}

/* OGC API Features Part 3: the queryables as a JSON Schema (2020-12). Every property listed but the
 * geometry is an equality filter of items (?name=value); the geometry is filtered with bbox. */
static enum err_code ogc_queryables(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct gis_collection *c = find_collection(req, e);
    if (!c || check_params(req, simple_params, NULL, e))
        return e->code;
    struct arena *a = req->arena;
    json_t *props = json_object();
    const char *gt = c->geometry_type ? c->geometry_type : "Any";
    char format[40];
    int n = snprintf(format, sizeof format, "geometry-%s", gt);
    for (int i = 9; i < n && i < (int)sizeof format; i++)
        format[i] = (char)(format[i] >= 'A' && format[i] <= 'Z' ? format[i] + 32 : format[i]);
    json_object_set_new(props, "geometry",
                        json_pack("{s:s, s:s, s:s, s:s}", "title", "geometry", "description",
                                  "filtered with the bbox parameter", "format", format, "x-ogc-role",
                                  "primary-geometry"));
    const struct gis_prop *p;
    for (int i = 0; (p = gis_collection_queryable_at(c, i)); i++)
        json_object_set_new(props, p->name,
                            json_pack("{s:s, s:s}", "title", p->description ? p->description : p->name, "type",
                                      gis_prop_schema_type(p)));
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:o, s:b}", "$schema", "https://json-schema.org/draft/2020-12/schema", "$id",
        arena_printf(a, "%s/collections/%s/queryables", ogc_base(req), c->id), "type", "object", "title", c->title,
        "description", "Properties of the features that ?name=value equality filters of items accept", "properties",
        props, "additionalProperties", 0);
    enum err_code rc = http_resp_json(req, resp, 200, doc, e);
    resp->content_type = "application/schema+json";
    return rc;
}

static enum err_code ogc_item(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const params[] = {"f", "crs", NULL};
    const struct gis_collection *c = find_collection(req, e);
    if (!c || check_params(req, params, NULL, e))
        return e->code;
    struct gis_feature_query q = {.c = c, .limit = 1};
    const char *fid = http_capture(req, "fid");
    if (!text_parse_long(fid, 1, 1L << 53, &q.fid))
        return err_set(e, ERR_NOT_FOUND, "no feature '%s' in %s", fid, c->id);
    if (parse_crs_param(req, "crs", &q.out_crs, e))
        return e->code;
    struct gis_store *r = svc_tenant_reader(req->tenant, e);
    if (!r)
        return e->code;
    struct buf out = {0};
    long returned = 0;
    if (gis_features_query(r, &q, &out, NULL, &returned, e)) {
        buf_free(&out);
        return e->code;
    }
    if (returned == 0) {
        buf_free(&out);
        return err_set(e, ERR_NOT_FOUND, "no feature '%s' in %s", fid, c->id);
    }
    /* The query wrote "[{...}]": answer the feature itself, with links added. */
    struct arena *a = req->arena;
    const char *self = arena_printf(a, "%s/collections/%s/items/%ld", ogc_base(req), c->id, q.fid);
    char *body = arena_printf(a,
                              "%.*s,\"links\":[{\"href\":\"%s\",\"rel\":\"self\",\"type\":\"application/geo+json\"},"
                              "{\"href\":\"%s/collections/%s\",\"rel\":\"collection\",\"type\":\"application/json\"}]}",
                              (int)(out.len - 3), out.data + 1, self, ogc_base(req), c->id);
    buf_free(&out);
    http_resp_body(resp, 200, "application/geo+json", body, strlen(body));
    set_content_crs(req, resp, q.out_crs);
    return ERR_OK;
}

/* The API definition of this Features endpoint (OpenAPI 3.0), as clients such as GDAL read it. */
static json_t *api_param(const char *name, const char *in, int required, json_t *schema, const char *desc)
{
    json_t *p = json_pack("{s:s, s:s, s:b, s:o}", "name", name, "in", in, "required", required, "schema", schema);
    if (desc)
        json_object_set_new(p, "description", json_string(desc));
    return p;
}

static json_t *api_op(const char *summary, const char *opid, json_t *params, const char *media)
{
    json_t *op = json_pack("{s:s, s:s}", "summary", summary, "operationId", opid);
    if (params)
        json_object_set_new(op, "parameters", params);
    bool binary = !strncmp(media, "image/", 6) || strstr(media, "vector-tile");
    json_t *ok =
        binary ? json_pack("{s:s, s:{s:{s:{s:s, s:s}}}}", "description", "OK", "content", media, "schema", "type",
                           "string", "format", "binary")
               : json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", "OK", "content", media, "schema", "type", "object");
    json_t *err = json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", "Error", "content", "application/json", "schema",
                            "$ref", "#/components/schemas/Error");
    json_object_set_new(op, "responses", json_pack("{s:o, s:o}", "200", ok, "default", err));
    return json_pack("{s:o}", "get", op);
}

/* The parameters of /collections/{collectionId}/items. */
static json_t *api_items_params(json_t *cid_schema, json_t *crs_schema)
{
    json_t *items = json_array();
    json_array_append_new(items, api_param("collectionId", "path", 1, json_deep_copy(cid_schema), NULL));
    json_t *bbox = api_param(
        "bbox", "query", 0,
        json_pack("{s:s, s:{s:s}, s:i, s:i}", "type", "array", "items", "type", "number", "minItems", 4, "maxItems", 6),
        "minx,miny,maxx,maxy in bbox-crs axis order");
    json_object_set_new(bbox, "style", json_string("form"));
    json_object_set_new(bbox, "explode", json_false());
    json_array_append_new(items, bbox);
    json_array_append_new(items, api_param("bbox-crs", "query", 0, json_deep_copy(crs_schema), NULL));
    json_array_append_new(items, api_param("limit", "query", 0,
                                           json_pack("{s:s, s:i, s:i, s:i}", "type", "integer", "minimum", 1, "maximum",
                                                     OGC_LIMIT_MAX, "default", OGC_LIMIT_DEFAULT),
                                           "page size"));
    json_array_append_new(
        items,
        api_param("offset", "query", 0, json_pack("{s:s, s:i}", "type", "integer", "minimum", 0), "features to skip"));
    json_array_append_new(items, api_param("crs", "query", 0, json_deep_copy(crs_schema), "output CRS"));
    json_t *dt = api_param("datetime", "query", 0, json_pack("{s:s}", "type", "string"),
                           "RFC 3339 instant or interval (start/end, '..' for an open end): plan data of the plans in "
                           "force then (a day in Poland); ignored by collections without time");
    json_object_set_new(dt, "style", json_string("form"));
    json_object_set_new(dt, "explode", json_false());
    json_array_append_new(items, dt);
    return items;
}

/* The parameters of /collections/{collectionId}/items/{featureId}. */
static json_t *api_item_params(json_t *cid_schema, json_t *crs_schema)
{
    json_t *item = json_array();
    json_array_append_new(item, api_param("collectionId", "path", 1, json_deep_copy(cid_schema), NULL));
    json_array_append_new(item, api_param("featureId", "path", 1, json_pack("{s:s}", "type", "string"), NULL));
    json_array_append_new(item, api_param("crs", "query", 0, json_deep_copy(crs_schema), "output CRS"));
    return item;
}

/* OGC API - Tiles: the paths of the dataset's (the planning map) and the tiled collections' vector and map
 * tiles: tilesets, one tileset and a tile. */
static void api_tile_paths(struct arena *a, json_t *paths, json_t *tiled_schema)
{
    static const struct {
        const char *prefix, *what, *id, *media;
    } tiles[] = {
        {"", "planning map, vector tiles", "DatasetVector", "application/vnd.mapbox-vector-tile"},
        {"/map", "planning map, map tiles", "DatasetMap", "image/png"},
        {"/collections/{collectionId}", "one collection, vector tiles", "CollectionVector",
         "application/vnd.mapbox-vector-tile"},
        {"/collections/{collectionId}/map", "one collection, map tiles", "CollectionMap", "image/png"},
    };
    for (size_t i = 0; i < sizeof tiles / sizeof tiles[0]; i++) {
        bool coll = !strncmp(tiles[i].prefix, "/collections", 12);
        for (int level = 0; level < 3; level++) {
            json_t *ps = json_array();
            bool map = tiles[i].media[0] == 'i';
            if (coll)
                json_array_append_new(
                    ps, api_param("collectionId", "path", 1, json_deep_copy(tiled_schema), "a collection with tiles"));
            if (level > 0)
                json_array_append_new(
                    ps, api_param("tileMatrixSetId", "path", 1,
                                  map ? json_pack("{s:s, s:[s,s]}", "type", "string", "enum", "WebMercatorQuad",
                                                  "WorldCRS84Quad")
                                      : json_pack("{s:s, s:[s]}", "type", "string", "enum", "WebMercatorQuad"),
                                  NULL));
            if (level == 2) {
                json_array_append_new(
                    ps, api_param("tileMatrix", "path", 1,
                                  json_pack("{s:s, s:i, s:i}", "type", "integer", "minimum", 0, "maximum", 22),
                                  "zoom level"));
                json_array_append_new(ps, api_param("tileRow", "path", 1,
                                                    json_pack("{s:s, s:i}", "type", "integer", "minimum", 0),
                                                    "row, from the north"));
                json_array_append_new(ps, api_param("tileCol", "path", 1,
                                                    json_pack("{s:s, s:i}", "type", "integer", "minimum", 0),
                                                    "column, from the west"));
            }
            static const char *const suffix[] = {"/tiles", "/tiles/{tileMatrixSetId}",
                                                 "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"};
            static const char *const verb[] = {"Tilesets", "Tileset", "A tile"};
            static const char *const op[] = {"get%sTilesets", "get%sTileset", "get%sTile"};
            json_object_set_new(paths, arena_printf(a, "%s%s", tiles[i].prefix, suffix[level]),
                                api_op(arena_printf(a, "%s: %s", verb[level], tiles[i].what),
                                       arena_printf(a, op[level], tiles[i].id), ps,
                                       level == 2 ? tiles[i].media : "application/json"));
        }
    }
}

static enum err_code ogc_api(struct http_req *req, struct http_resp *resp, struct err *e)
{
    if (check_params(req, simple_params, NULL, e))
        return e->code;
    json_t *ids = json_array();
    struct collection_list ids_list = {req, NULL, ids};
    svc_collections_each(req->tenant->cfg, collection_add, &ids_list);
    json_t *cid_schema = json_pack("{s:s, s:o}", "type", "string", "enum", ids);
    json_t *tiled = json_array();
    struct collection_list tiled_list = {req, NULL, tiled};
    svc_collections_each(req->tenant->cfg, tiled_add, &tiled_list);
    json_t *tiled_schema = json_pack("{s:s, s:o}", "type", "string", "enum", tiled);
    json_t *crs_schema = json_pack("{s:s, s:o}", "type", "string", "enum", crs_array());

    json_t *items = api_items_params(cid_schema, crs_schema), *item = api_item_params(cid_schema, crs_schema);

    json_t *paths = json_object();
    json_object_set_new(paths, "/", api_op("Landing page", "getLandingPage", NULL, "application/json"));
    json_object_set_new(paths, "/conformance",
                        api_op("Conformance classes", "getConformance", NULL, "application/json"));
    json_object_set_new(paths, "/api", api_op("This API definition", "getApi", NULL, "application/json"));
    json_object_set_new(paths, "/collections",
                        api_op("Feature collections", "getCollections", NULL, "application/json"));
    json_t *one = json_array();
    json_array_append_new(one, api_param("collectionId", "path", 1, json_deep_copy(cid_schema), NULL));
    json_object_set_new(paths, "/collections/{collectionId}",
                        api_op("One collection", "describeCollection", one, "application/json"));
    json_object_set_new(paths, "/collections/{collectionId}/items",
                        api_op("Features of a collection", "getFeatures", items, "application/geo+json"));
    json_object_set_new(paths, "/collections/{collectionId}/items/{featureId}",
                        api_op("One feature", "getFeature", item, "application/geo+json"));
    json_t *qp = json_array();
    json_array_append_new(qp, api_param("collectionId", "path", 1, json_deep_copy(cid_schema), NULL));
    json_object_set_new(paths, "/collections/{collectionId}/queryables",
                        api_op("The properties items can be filtered on (JSON Schema)", "getQueryables", qp,
                               "application/schema+json"));
    api_tile_paths(req->arena, paths, tiled_schema);
    json_object_set_new(paths, "/tileMatrixSets",
                        api_op("Tile matrix sets", "getTileMatrixSetsList", NULL, "application/json"));
    json_t *tp = json_array();
    json_array_append_new(
        tp,
        api_param("tileMatrixSetId", "path", 1,
                  json_pack("{s:s, s:[s,s]}", "type", "string", "enum", "WebMercatorQuad", "WorldCRS84Quad"), NULL));
    json_object_set_new(paths, "/tileMatrixSets/{tileMatrixSetId}",
                        api_op("A tile matrix set", "getTileMatrixSet", tp, "application/json"));
    json_decref(cid_schema);
    json_decref(tiled_schema);
    json_decref(crs_schema);

    json_t *doc =
        json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o}", "openapi", "3.0.3", "info", "title",
                  arena_printf(req->arena, "odra OGC API Features: gmina %s", req->tenant->cfg->name), "version",
                  ODRA_VERSION, "description",
                  "OGC API - Features Part 1 Core, Part 2 CRS by reference and Part 3 queryables; OGC API - Tiles.",
                  "servers", "url", ogc_base(req), "paths", paths);
    if (!doc)
        return err_set(e, ERR_INTERNAL, "cannot build the API definition");
    json_object_set_new(doc, "components",
                        json_pack("{s:{s:{s:s, s:[s,s], s:{s:{s:s}, s:{s:s}}}}}", "schemas", "Error", "type", "object",
                                  "required", "code", "description", "properties", "code", "type", "string",
                                  "description", "type", "string"));
    enum err_code rc = http_resp_json(req, resp, 200, doc, e);
    resp->content_type = "application/vnd.oai.openapi+json;version=3.0";
    return rc;
}

static const struct http_param_doc items_doc[] = {
    {"bbox", "query", "string", 0, "minx,miny,maxx,maxy in bbox-crs axis order (CRS84: lon,lat)"},
    {"bbox-crs", "query", "string", 0, "CRS of bbox, an OGC CRS URI; default CRS84"},
    {"limit", "query", "integer", 0, "page size, default 10, at most 10000"},
    {"offset", "query", "integer", 0, "features to skip"},
    {"crs", "query", "string", 0, "output CRS URI: CRS84, EPSG 4326, 2180, 2176 or 3857"},
    {"datetime", "query", "string", 0,
     "RFC 3339 instant or interval start/end ('..' open): plan data of the plans in force then; others ignore it"},
    HTTP_DOC_END,
};

const struct http_route svc_ogc_routes[] = {
    {"GET", "/{t}/ogc", ogc_landing, "ogc-features", "OGC API Features landing page", NULL, NULL, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/conformance", ogc_conformance, "ogc-features", "Conformance classes", NULL, NULL, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/api", ogc_api, "ogc-features", "OpenAPI definition of the Features API",
     "application/vnd.oai.openapi+json;version=3.0", NULL, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/collections", ogc_collections, "ogc-features", "Feature collections", NULL, NULL, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/collections/{cid}", ogc_collection, "ogc-features", "One feature collection", NULL, NULL,
     HTTP_PUBLIC},
    {"GET", "/{t}/ogc/collections/{cid}/items", ogc_items, "ogc-features",
     "Features of a collection; queryable properties are equality filters", "application/geo+json", items_doc,
     HTTP_PUBLIC},
    {"GET", "/{t}/ogc/collections/{cid}/items/{fid}", ogc_item, "ogc-features", "One feature by id",
     "application/geo+json", NULL, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/collections/{cid}/queryables", ogc_queryables, "ogc-features",
     "Queryables (OGC API Features Part 3): the properties items filter on, as JSON Schema", "application/schema+json",
     NULL, HTTP_PUBLIC},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
