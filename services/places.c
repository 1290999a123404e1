/* Places: parcels, ULDK-compatible lookup, geocoding, reverse geocoding and the property card (/locate). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/calendar.h"
#include "gis/crs.h"
#include "gis/features.h"
#include "gis/geocode.h"
#include "gis/places.h"
#include "services/module.h"
#include "services/routes.h"
#include "services/server.h"
#include "util/log.h"
#include "util/text.h"

/* How far /reverse and /locate look for the nearest address point. */
#define NEAREST_ADDRESS_MAX_M 2000.0

/* ---- small helpers ---- */

static void free_dump(void *p)
{
    free(p);
}

/* As http_resp_json, but real numbers are written with 15 significant digits, so 14.56123456 stays
 * 14.56123456 rather than 14.561234560000001. */
static enum err_code resp_json(struct http_req *req, struct http_resp *resp, int status, json_t *j, struct err *e)
{
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(j);
    if (!s || arena_defer(req->arena, free_dump, s) != 0)
        return err_set(e, ERR_INTERNAL, "out of memory serialising JSON");
    http_resp_body(resp, status, "application/json", s, strlen(s));
    return ERR_OK;
}

/* A JSON string, or null for NULL (or text that is not valid UTF-8). */
static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

static double round_to(double v, double unit)
{
    return round(v / unit) * unit;
}

static struct gis_store *reader(struct svc_tenant *t, struct err *e)
{
    struct gis_store *s = svc_tenant_reader(t, e);
    if (!s && !e->code)
        err_set(e, ERR_UNAVAILABLE, "store of gmina %s unavailable", t->cfg->name);
    return s;
}

/* Percent-encodes s for a query string value. */
static char *url_encode(struct arena *a, const char *s)
{
    size_t n = strlen(s);
    char *out = arena_alloc(a, 3 * n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("-_.~", *c))
            out[o++] = (char)*c;
        else
            o += (size_t)sprintf(out + o, "%%%02X", *c);
    }
    out[o] = 0;
    return out;
}

/* ---- parameters ---- */

/* The date a question "what applies here" is asked for: query parameter name as YYYY-MM-DD, today
 * (gis_cal_today) when absent; a 400 naming it otherwise. */
static enum err_code param_date(struct http_req *req, const char *name, char out[11], struct err *e)
{
    const char *v = http_query(req, name);
    int day = gis_cal_today();
    if (v && !gis_cal_parse_date(v, &day))
        return err_param(e, name, "%s must be a date YYYY-MM-DD (1900-2999), got '%.40s'", name, v);
    gis_cal_format_date(day, out);
    return ERR_OK;
}

static enum err_code param_crs(struct http_req *req, const char *name, enum gis_crs def, enum gis_crs *out,
                               struct err *e)
{
    const char *v = http_query(req, name);
    *out = def;
    if (!v)
        return ERR_OK;
    *out = gis_crs_parse(v);
    if (*out == GIS_CRS_NONE)
        return err_param(
            e, name, "%s '%.64s' is not supported; use CRS84, EPSG:4326, EPSG:2180, EPSG:2176 or EPSG:3857", name, v);
    return ERR_OK;
}

static enum err_code param_double(struct http_req *req, const char *name, double lo, double hi, double *out,
                                  struct err *e)
{
    const char *v = http_query(req, name);
    if (!v)
        return err_param(e, name, "%s is required", name);
    if (!text_parse_double(v, out))
        return err_param(e, name, "%s must be a finite number", name);
    if (*out < lo || *out > hi)
        return err_param(e, name, "%s must be between %g and %g", name, lo, hi);
    return ERR_OK;
}

/* A point given as lon & lat (CRS84) or as x & y with crs (default EPSG:2180; x is the easting or
 * longitude, y the northing or latitude, whatever the CRS's authority order), returned in EPSG:2180. */
struct point_query {
    double x, y;                 /* EPSG:2180 */
    double lon, lat;             /* CRS84 */
    const char *href_query;      /* the point's part of a query string, to repeat it in links */
    bool can_swap;               /* x, y were given in a northing-first CRS: a swap is a likely mistake */
    double swapped_x, swapped_y; /* the point with x and y exchanged, in EPSG:2180 */
};

static bool has_point(struct http_req *req)
{
    return http_query(req, "lon") || http_query(req, "lat") || http_query(req, "x") || http_query(req, "y");
}

static enum err_code param_point(struct http_req *req, struct point_query *pq, struct err *e)
{
    *pq = (struct point_query){0};
    double xy[2];
    enum gis_crs crs = GIS_CRS_CRS84;
    if (http_query(req, "lon") || http_query(req, "lat")) {
        if (param_double(req, "lon", -180, 180, &xy[0], e) || param_double(req, "lat", -90, 90, &xy[1], e))
            return e->code;
        pq->href_query = arena_printf(req->arena, "lon=%s&lat=%s", url_encode(req->arena, http_query(req, "lon")),
                                      url_encode(req->arena, http_query(req, "lat")));
    } else if (http_query(req, "x") || http_query(req, "y")) {
        if (param_crs(req, "crs", GIS_CRS_2180, &crs, e))
            return e->code;
        bool deg = crs == GIS_CRS_CRS84 || crs == GIS_CRS_4326;
        if (param_double(req, "x", deg ? -180 : -2e7, deg ? 180 : 2e7, &xy[0], e) ||
            param_double(req, "y", deg ? -90 : -2e7, deg ? 90 : 2e7, &xy[1], e))
            return e->code;
        pq->href_query = arena_printf(req->arena, "x=%s&y=%s&crs=%s", url_encode(req->arena, http_query(req, "x")),
                                      url_encode(req->arena, http_query(req, "y")), gis_crs_name(crs));
    } else {
        return err_param(e, "lon", "give lon and lat (CRS84), or x and y with crs");
    }
    double ll[2] = {xy[0], xy[1]};
    struct err te = {0};
    if ((crs != GIS_CRS_CRS84 && gis_crs_transform(crs, GIS_CRS_CRS84, ll, 1, &te)) ||
        gis_crs_transform(crs, GIS_CRS_2180, xy, 1, &te))
        return err_param(e, http_query(req, "x") ? "x" : "lon", "the point cannot be transformed: %s", te.msg);
    pq->x = xy[0];
    pq->y = xy[1];
    pq->lon = ll[0];
    pq->lat = ll[1];
    if (http_query(req, "x") && gis_crs_north_first(crs)) {
        double sw[2];
        text_parse_double(http_query(req, "y"), &sw[0]);
        text_parse_double(http_query(req, "x"), &sw[1]);
        pq->can_swap = gis_crs_transform(crs, GIS_CRS_2180, sw, 1, &te) == ERR_OK;
        pq->swapped_x = sw[0];
        pq->swapped_y = sw[1];
    }
    return ERR_OK;
}

static enum err_code param_parcel_id(const char *name, const char *id, struct err *e)
{
    if (!gis_place_parcel_id_valid(id))
        return err_param(e, name, "%s '%.64s' is not a parcel identifier like 080505_4.0001.123/4", name, id);
    return ERR_OK;
}

/* ---- the per-tenant address index ---- */

static pthread_mutex_t geocoder_lock = PTHREAD_MUTEX_INITIALIZER;
static long long geocoder_checked_ms[CONFIG_MAX_TENANTS];

/* The tenant's address index, built on first use and rebuilt when the store's address data changed
 * (checked at most every two seconds). A replaced index stays allocated, owned by its successor, until
 * the server ends, because other threads may still be searching it. */
static const struct gis_geocoder *tenant_geocoder(struct svc_tenant *t, struct err *e)
{
    struct gis_geocoder *g = __atomic_load_n(&t->geocoder, __ATOMIC_ACQUIRE);
    long long now = (long long)log_now_ms();
    long long *checked = &geocoder_checked_ms[t->index];
    if (g && now - __atomic_load_n(checked, __ATOMIC_RELAXED) < 2000)
        return g;
    /* Failures are reported only when there is no index to keep serving. */
    struct err le = {0};
    struct gis_store *s = reader(t, &le);
    if (!s) {
        if (!g)
            err_recast(e, le.code, &le);
        return g;
    }
    __atomic_store_n(checked, now, __ATOMIC_RELAXED);
    if (g && !gis_geocoder_stale(g, s))
        return g;
    pthread_mutex_lock(&geocoder_lock);
    g = __atomic_load_n(&t->geocoder, __ATOMIC_ACQUIRE);
    if (!g || gis_geocoder_stale(g, s)) {
        struct gis_geocoder *ng = NULL;
        double start = log_now_ms();
        if (gis_geocoder_new(s, &ng, &le) != ERR_OK) {
            log_error("geocoder: %s: %s", t->cfg->slug, le.msg);
            if (!g)
                err_recast(e, le.code, &le);
        } else {
            gis_geocoder_retire(ng, g);
            __atomic_store_n(&t->geocoder, ng, __ATOMIC_RELEASE);
            log_info("geocoder: %s: %zu addresses indexed in %.0f ms", t->cfg->slug, gis_geocoder_size(ng),
                     log_now_ms() - start);
            g = ng;
        }
    }
    pthread_mutex_unlock(&geocoder_lock);
    return g;
}

/* ---- other gminas: who holds what this one does not ---- */

static struct svc_tenant *tenant_with_point(struct http_req *req, double x, double y)
{
    for (int i = 0; i < svc_server_tenant_count(req->server); i++) {
        struct svc_tenant *t = svc_server_tenant(req->server, i);
        struct err e = {0};
        struct gis_store *s = t == req->tenant ? NULL : svc_tenant_reader(t, &e);
        bool inside = false;
        if (s && gis_place_in_gmina(s, x, y, &inside, &e) == ERR_OK && inside)
            return t;
    }
    return NULL;
}

struct svc_tenant *svc_tenant_with_parcel(struct http_req *req, const char *parcel_id)
{
    for (int i = 0; i < svc_server_tenant_count(req->server); i++) {
        struct svc_tenant *t = svc_server_tenant(req->server, i);
        if (t == req->tenant || strncmp(t->cfg->teryt, parcel_id, 6) != 0)
            continue;
        struct err e = {0};
        struct gis_store *s = svc_tenant_reader(t, &e);
        struct gis_parcel *p;
        if (s && gis_place_parcel_by_id(s, req->arena, parcel_id, &p, &e) == ERR_OK)
            return t;
    }
    return NULL;
}

static struct svc_tenant *tenant_with_address(struct http_req *req, const char *q)
{
    for (int i = 0; i < svc_server_tenant_count(req->server); i++) {
        struct svc_tenant *t = svc_server_tenant(req->server, i);
        if (t == req->tenant)
            continue;
        struct err e = {0};
        const struct gis_geocoder *g = tenant_geocoder(t, &e);
        struct gis_geocode_hit hit;
        int n = 0;
        if (g && gis_geocode_search(g, q, &hit, 1, &n, &e) == ERR_OK && n == 1 && hit.complete)
            return t;
    }
    return NULL;
}

/* The 404 for something that lies in another gmina served here: it names the gmina, links to the same
 * question there, and carries "tenant" for programs. other may be NULL (outside all of them). */
static enum err_code elsewhere_404(struct http_req *req, struct http_resp *resp, const char *what,
                                   struct svc_tenant *other, const char *endpoint, const char *query, struct err *e)
{
    if (!other)
        return err_set(e, ERR_NOT_FOUND, "%s lies outside gmina %s and the other gminas served here", what,
                       req->tenant->cfg->name);
    const char *href = arena_printf(req->arena, "/%s/%s?%s", other->cfg->slug, endpoint, query);
    const char *desc = arena_printf(req->arena, "%s lies in gmina %s, not %s (%s)", what, other->cfg->name,
                                    req->tenant->cfg->name, href);
    json_t *j = json_pack("{s:s, s:o, s:s, s:s}", "code", err_name(ERR_NOT_FOUND), "description", jstr(desc), "tenant",
                          other->cfg->slug, "href", href);
    return resp_json(req, resp, 404, j, e);
}

/* The 404 for a point outside this gmina. When x and y, exchanged, fall in this gmina or another one,
 * the answer says so: EPSG:2180 and 2176 are northing-first by authority, and geodesists write X for the
 * northing, so swapped input is the likeliest mistake. */
static enum err_code point_404(struct http_req *req, struct http_resp *resp, const struct point_query *pq,
                               const char *endpoint, struct err *e)
{
    struct svc_tenant *other = tenant_with_point(req, pq->x, pq->y);
    if (!other && pq->can_swap) {
        struct err le = {0};
        bool here = false;
        struct gis_store *s = svc_tenant_reader(req->tenant, &le);
        if (s)
            gis_place_in_gmina(s, pq->swapped_x, pq->swapped_y, &here, &le);
        struct svc_tenant *t = here ? req->tenant : tenant_with_point(req, pq->swapped_x, pq->swapped_y);
        if (t)
            return err_param(e, "x",
                             "the point lies outside gmina %s, but with x and y exchanged it lies in gmina %s: x is "
                             "the easting and y the northing, even in EPSG:2180 and EPSG:2176",
                             req->tenant->cfg->name, t->cfg->name);
    }
    return elsewhere_404(req, resp, "the point", other, endpoint, pq->href_query, e);
}

/* ---- JSON for parcels, zones and addresses ---- */

static json_t *plan_json(const struct gis_plan_ref *p, bool full)
{
    json_t *j = json_pack("{s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)p->id, "kind", jstr(p->kind), "title",
                          jstr(p->title), "resolution", jstr(p->resolution), "publication", jstr(p->publication));
    if (full) {
        json_object_set_new(j, "resolution_date", jstr(p->resolution_date));
        json_object_set_new(j, "status", jstr(p->status));
        json_object_set_new(j, "valid_from", jstr(p->valid_from));
        json_object_set_new(j, "valid_to", jstr(p->valid_to));
        json_object_set_new(j, "changed_by", jstr(p->changed_by));
        json_object_set_new(j, "amends",
                            p->amends ? json_pack("{s:I, s:o, s:o}", "id", (json_int_t)p->amends, "title",
                                                  jstr(p->amends_title), "resolution", jstr(p->amends_resolution))
                                      : json_null());
        json_object_set_new(j, "scale", p->scale > 0 ? json_integer(p->scale) : json_null());
        json_object_set_new(j, "area_m2", json_real(round_to(p->area_m2, 0.01)));
        json_object_set_new(j, "share_pct", json_real(round_to(p->share_pct, 1e-6)));
    }
    return j;
}

static json_t *zone_json(const struct gis_zone_hit *z, const struct gis_parcel_zones *pz)
{
    json_t *params = json_object();
    for (int i = 0; i < z->nparams; i++) {
        const struct gis_zone_param *p = &z->params[i];
        json_object_set_new(params, p->name, p->text ? jstr(p->text) : json_real(p->value));
    }
    json_t *j = json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:f, s:f, s:o}", "kind", gis_zone_kind_name(z->kind), "id",
                          (json_int_t)z->id, "plan", plan_json(&pz->plans[z->plan], false), "label", jstr(z->label),
                          "symbol", jstr(z->symbol), "name", jstr(z->name), "area_m2", round_to(z->area_m2, 0.01),
                          "share_pct", round_to(z->share_pct, 1e-6), "parameters", params);
    if (z->kind == GIS_ZONE_OVERLAY)
        json_object_set_new(j, "overlay_kind", jstr(z->overlay_kind));
    return j;
}

static json_t *plans_json(const struct gis_parcel_zones *pz)
{
    json_t *a = json_array();
    for (int i = 0; i < pz->nplans; i++)
        json_array_append_new(a, plan_json(&pz->plans[i], true));
    return a;
}

static json_t *zones_json(const struct gis_parcel_zones *pz)
{
    json_t *a = json_array();
    for (int i = 0; i < pz->nzones; i++)
        json_array_append_new(a, zone_json(&pz->zones[i], pz));
    return a;
}

static json_t *parcel_props(const struct gis_parcel *p)
{
    return json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:f, s:f, s:o}", "id", p->parcel_id, "obreb", "number",
                     p->obreb_number, "name", p->obreb_name, "unit", p->unit, "number", p->number, "area_m2",
                     round_to(p->area_m2, 0.01), "geometry_area_m2", round_to(p->geom_area_m2, 0.01), "land_use",
                     jstr(p->land_use));
}

/* A GeoJSON Feature for parcel p, with its zones when pz is given. */
static json_t *parcel_feature(const struct gis_parcel *p, const struct gis_parcel_zones *pz, enum gis_crs crs,
                              struct err *e)
{
    json_t *geom = p->wkb ? gis_place_geojson(p->wkb, p->wkb_len, crs, e) : json_null();
    if (!geom)
        return NULL;
    json_t *props = parcel_props(p);
    if (pz) {
        json_object_set_new(props, "plans", plans_json(pz));
        json_object_set_new(props, "zones", zones_json(pz));
    }
    return json_pack("{s:s, s:s, s:o, s:o}", "type", "Feature", "id", p->parcel_id, "geometry", geom, "properties",
                     props);
}

struct address_view {
    long id;
    const char *label, *locality, *street_prefix, *street, *number, *postal_code, *parcel_id;
    double lon, lat;
    double distance_m; /* < 0: not given */
    double score;      /* < 0: not given */
};

static json_t *address_feature(const struct address_view *a)
{
    const char *street = NULL;
    char full[512];
    if (a->street) {
        snprintf(full, sizeof full, "%s%s%s", a->street_prefix ? a->street_prefix : "", a->street_prefix ? " " : "",
                 a->street);
        street = full;
    }
    json_t *props =
        json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)a->id, "label", jstr(a->label),
                  "locality", jstr(a->locality), "street", jstr(street), "street_name", jstr(a->street), "number",
                  jstr(a->number), "postal_code", jstr(a->postal_code), "parcel_id", jstr(a->parcel_id));
    if (a->distance_m >= 0)
        json_object_set_new(props, "distance_m", json_real(round_to(a->distance_m, 0.01)));
    if (a->score >= 0)
        json_object_set_new(props, "score", json_real(round_to(a->score, 1e-4)));
    return json_pack("{s:s, s:I, s:{s:s, s:[f,f]}, s:o}", "type", "Feature", "id", (json_int_t)a->id, "geometry",
                     "type", "Point", "coordinates", round_to(a->lon, 1e-8), round_to(a->lat, 1e-8), "properties",
                     props);
}

static struct address_view view_of_hit(const struct gis_geocode_hit *h)
{
    const struct gis_geocode_addr *a = h->addr;
    return (struct address_view){a->id,          a->label,     a->locality, a->street_prefix, a->street, a->number,
                                 a->postal_code, a->parcel_id, a->lon,      a->lat,           -1,        h->score};
}

static struct address_view view_of_place(const struct gis_place_address *a, bool with_distance)
{
    double ll[2] = {a->x, a->y};
    struct err e = {0};
    gis_crs_transform(GIS_CRS_2180, GIS_CRS_CRS84, ll, 1, &e);
    return (struct address_view){a->id,
                                 a->label,
                                 a->locality,
                                 a->street_prefix,
                                 a->street,
                                 a->number,
                                 a->postal_code,
                                 a->parcel_id,
                                 ll[0],
                                 ll[1],
                                 with_distance ? a->distance_m : -1,
                                 -1};
}

/* ---- GET /{t}/parcels ---- */

static enum err_code find_parcel(struct http_req *req, struct gis_store *s, struct gis_parcel **p, struct err *e)
{
    const char *id = http_query(req, "id"), *obreb = http_query(req, "obreb"), *number = http_query(req, "number");
    if (id) {
        if (param_parcel_id("id", id, e))
            return e->code;
        return gis_place_parcel_by_id(s, req->arena, id, p, e);
    }
    if (!obreb && !number)
        return err_param(e, "id", "give id, or obreb and number");
    if (!obreb || !*obreb)
        return err_param(e, "obreb", "obreb (its name or number) is required with number");
    if (!number || !*number)
        return err_param(e, "number", "number (the parcel number, e.g. 123/4) is required with obreb");
    if (strlen(obreb) > 128)
        return err_param(e, "obreb", "obreb is longer than 128 bytes");
    bool ok = strlen(number) <= 32 && number[0] >= '0' && number[0] <= '9';
    for (const char *c = number; *c && ok; c++)
        ok = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '/';
    if (!ok)
        return err_param(e, "number", "number '%.32s' is not a parcel number like 123/4", number);
    return gis_place_parcel_by_obreb(s, req->arena, obreb, number, p, e);
}

static enum err_code svc_parcels(struct http_req *req, struct http_resp *resp, struct err *e)
{
    enum gis_crs crs;
    char date[11];
    if (param_crs(req, "crs", GIS_CRS_CRS84, &crs, e) || param_date(req, "date", date, e))
        return e->code;
    struct gis_store *s = reader(req->tenant, e);
    if (!s)
        return e->code;
    struct gis_parcel *p;
    if (find_parcel(req, s, &p, e)) {
        const char *id = http_query(req, "id");
        struct svc_tenant *other;
        if (e->code == ERR_NOT_FOUND && id && (other = svc_tenant_with_parcel(req, id))) {
            const char *what = arena_printf(req->arena, "parcel %s", id);
            const char *q = arena_printf(req->arena, "id=%s", url_encode(req->arena, id));
            err_clear(e);
            return elsewhere_404(req, resp, what, other, "parcels", q, e);
        }
        return e->code;
    }
    struct gis_parcel_zones pz;
    if (gis_place_zones(s, req->arena, p, date, &pz, e))
        return e->code;
    json_t *f = parcel_feature(p, &pz, crs, e);
    if (!f)
        return e->code;
    json_object_set_new(json_object_get(f, "properties"), "date", json_string(date));
    if (http_query(req, "crs"))
        http_resp_header(resp, "Content-Crs", arena_printf(req->arena, "<%s>", gis_crs_uri(crs)));
    if (resp_json(req, resp, 200, f, e))
        return e->code;
    resp->content_type = "application/geo+json";
    return ERR_OK;
}

/* ---- GET /{t}/uldk ---- */

/* ULDK answers 200 with text: "0" then the results, or "-1 message". */
static enum err_code uldk_error(struct http_req *req, struct http_resp *resp, const char *msg)
{
    const char *body = arena_printf(req->arena, "-1 %s\n", msg);
    http_resp_body(resp, 200, "text/plain; charset=utf-8", body, strlen(body));
    return ERR_OK;
}

static const char *const uldk_fields[] = {"id",     "teryt",    "voivodeship", "county",      "commune",    "region",
                                          "parcel", "geom_wkt", "geom_wkb",    "geom_extent", "datasource", NULL};

static const char *voivodeship_name(const char *teryt)
{
    static const char *const names[] = {"02dolnośląskie",
                                        "04kujawsko-pomorskie",
                                        "06lubelskie",
                                        "08lubuskie",
                                        "10łódzkie",
                                        "12małopolskie",
                                        "14mazowieckie",
                                        "16opolskie",
                                        "18podkarpackie",
                                        "20podlaskie",
                                        "22pomorskie",
                                        "24śląskie",
                                        "26świętokrzyskie",
                                        "28warmińsko-mazurskie",
                                        "30wielkopolskie",
                                        "32zachodniopomorskie",
                                        NULL};
    for (int i = 0; names[i]; i++)
        if (!strncmp(names[i], teryt, 2))
            return names[i] + 2;
    return "";
}

/* The county (powiat) name: the store's meta "county" when set, else the known one for 0805. */
static const char *county_name(struct http_req *req, struct gis_store *s, const char *teryt)
{
    char *v = gis_store_meta_get(s, "county");
    if (v) {
        const char *c = arena_strdup(req->arena, v);
        free(v);
        return c ? c : "";
    }
    return !strncmp(teryt, "0805", 4) ? "słubicki" : "";
}

/* ULDK's commune: the gmina's name, with "(miasto)" or "(obszar wiejski)" for the two units of an
 * urban-rural gmina, as ULDK writes them. */
static const char *commune_name(struct http_req *req, const struct gis_parcel *p)
{
    const char *name = req->tenant->cfg->name;
    char type = strlen(p->unit) >= 8 ? p->unit[7] : '0';
    if (type == '1' || type == '4')
        return arena_printf(req->arena, "%s (miasto)", name);
    if (type == '5')
        return arena_printf(req->arena, "%s (obszar wiejski)", name);
    return name;
}

static enum gis_crs uldk_crs(long srid)
{
    switch (srid) {
    case 2180: return GIS_CRS_2180;
    case 2176: return GIS_CRS_2176;
    case 4326: return GIS_CRS_4326;
    case 3857: return GIS_CRS_3857;
    default: return GIS_CRS_NONE;
    }
}

/* The fields of ULDK's result parameter (comma-separated, in the order asked) into fields; NULL, or the
 * message of ULDK's error. */
static const char *uldk_result_fields(struct http_req *req, const char *result, const char **fields, int *nfields)
{
    *nfields = 0;
    char *list = arena_strdup(req->arena, result);
    for (char *save = NULL, *f = list ? strtok_r(list, ",", &save) : NULL; f; f = strtok_r(NULL, ",", &save)) {
        while (*f == ' ')
            f++;
        int k = 0;
        while (uldk_fields[k] && strcmp(uldk_fields[k], f))
            k++;
        if (!uldk_fields[k])
            return arena_printf(req->arena, "nieznane pole w parametrze result: %.40s", f);
        if (*nfields == 16)
            return "za dużo pól w parametrze result";
        fields[(*nfields)++] = uldk_fields[k];
    }
    return *nfields ? NULL : "pusty parametr result";
}

/* GetParcelById and GetParcelByIdOrNr: the parcel with the EGiB identifier id, or (ByIdOrNr) "obręb number"
 * (the region's name, then the parcel number after the last space). NULL, or the message of ULDK's error;
 * *p stays NULL when no parcel is found (le says why). */
static const char *uldk_by_id(struct http_req *req, struct gis_store *s, bool or_nr, struct gis_parcel **p,
                              struct err *le)
{
    const char *id = http_query(req, "id");
    if (!id || !*id)
        return "brak parametru id";
    if (gis_place_parcel_id_valid(id)) {
        gis_place_parcel_by_id(s, req->arena, id, p, le);
    } else if (or_nr && strlen(id) <= 160 && strrchr(id, ' ')) {
        char *copy = arena_strdup(req->arena, id);
        char *sp = copy ? strrchr(copy, ' ') : NULL;
        if (sp) {
            *sp = 0;
            gis_place_parcel_by_obreb(s, req->arena, copy, sp + 1, p, le);
        }
    } else {
        return "błędny identyfikator działki";
    }
    return NULL;
}

/* GetParcelByXY: the parcel at xy = "x,y[,srid]" (default EPSG:2180). NULL, or the message of ULDK's
 * error; *p stays NULL when no parcel is there. */
static const char *uldk_by_xy(struct http_req *req, struct gis_store *s, struct gis_parcel **p, struct err *le)
{
    const char *xy = http_query(req, "xy");
    if (!xy || !*xy)
        return "brak parametru xy";
    char *copy = arena_strdup(req->arena, xy);
    char *parts[4] = {0};
    int np = 0;
    for (char *save = NULL, *t = copy ? strtok_r(copy, ",", &save) : NULL; t && np < 4; t = strtok_r(NULL, ",", &save))
        parts[np++] = t;
    double pt[2];
    long in_srid = 2180;
    if (np < 2 || np > 3 || !text_parse_double(parts[0], &pt[0]) || !text_parse_double(parts[1], &pt[1]) ||
        (np == 3 && !text_parse_long(parts[2], 0, 999999, &in_srid)))
        return "błędne współrzędne w parametrze xy (x,y[,srid])";
    enum gis_crs in_crs = uldk_crs(in_srid);
    if (in_crs == GIS_CRS_NONE)
        return "nieobsługiwany układ współrzędnych w parametrze xy";
    bool deg = in_crs == GIS_CRS_4326;
    if (fabs(pt[0]) > (deg ? 180 : 2e7) || fabs(pt[1]) > (deg ? 90 : 2e7) ||
        gis_crs_transform(in_crs, GIS_CRS_2180, pt, 1, le))
        return "współrzędne poza zakresem układu";
    gis_place_parcel_at(s, req->arena, pt[0], pt[1], p, le);
    return NULL;
}

/* One field of ULDK's answer line for parcel p; NULL when it cannot be made (e says why, if anything). */
static const char *uldk_field(struct http_req *req, struct gis_store *s, const struct gis_parcel *p, const char *f,
                              enum gis_crs out_crs, struct err *e)
{
    if (!strcmp(f, "id") || !strcmp(f, "teryt"))
        return p->parcel_id;
    if (!strcmp(f, "voivodeship"))
        return voivodeship_name(req->tenant->cfg->teryt);
    if (!strcmp(f, "county"))
        return county_name(req, s, req->tenant->cfg->teryt);
    if (!strcmp(f, "commune"))
        return commune_name(req, p);
    if (!strcmp(f, "region"))
        return p->obreb_name;
    if (!strcmp(f, "parcel"))
        return p->number;
    if (!strcmp(f, "datasource"))
        return arena_printf(req->arena, "odra/%s", req->tenant->cfg->slug);
    if (!strcmp(f, "geom_wkt"))
        return gis_place_ewkt(req->arena, p->wkb, p->wkb_len, out_crs, e);
    if (!strcmp(f, "geom_wkb"))
        return gis_place_ewkb_hex(req->arena, p->wkb, p->wkb_len, out_crs, e);
    if (!strcmp(f, "geom_extent")) {
        double b[4];
        bool deg = out_crs == GIS_CRS_4326;
        return gis_place_extent(p->wkb, p->wkb_len, out_crs, b, e)
                   ? NULL
                   : arena_printf(req->arena, deg ? "%.9f,%.9f,%.9f,%.9f" : "%.4f,%.4f,%.4f,%.4f", b[0], b[1], b[2],
                                  b[3]);
    }
    return "";
}

static enum err_code svc_uldk(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *request = http_query(req, "request");
    if (!request)
        return uldk_error(req, resp, "brak parametru request");
    bool by_id = !strcasecmp(request, "GetParcelById"), by_id_or_nr = !strcasecmp(request, "GetParcelByIdOrNr");
    bool by_xy = !strcasecmp(request, "GetParcelByXY");
    if (!by_id && !by_id_or_nr && !by_xy)
        return uldk_error(req, resp,
                          "nieobsługiwane zapytanie (obsługiwane: GetParcelById, GetParcelByIdOrNr, "
                          "GetParcelByXY)");
    long srid = 2180;
    const char *srid_s = http_query(req, "srid");
    if (srid_s && (!text_parse_long(srid_s, 0, 999999, &srid) || uldk_crs(srid) == GIS_CRS_NONE))
        return uldk_error(req, resp,
                          "nieobsługiwany układ współrzędnych w parametrze srid (obsługiwane: 2180, "
                          "2176, 4326, 3857)");
    enum gis_crs out_crs = uldk_crs(srid);
    /* result: which fields, in which order. */
    const char *result = http_query(req, "result");
    const char *fields[16], *msg;
    int nfields = 0;
    if ((msg = uldk_result_fields(req, result && *result ? result : "geom_wkb", fields, &nfields)))
        return uldk_error(req, resp, msg);
    struct gis_store *s = reader(req->tenant, e);
    if (!s)
        return e->code;
    struct gis_parcel *p = NULL;
    struct err le = {0};
    if ((msg = by_xy ? uldk_by_xy(req, s, &p, &le) : uldk_by_id(req, s, by_id_or_nr, &p, &le)))
        return uldk_error(req, resp, msg);
    if (!p) {
        if (le.code && le.code != ERR_NOT_FOUND && le.code != ERR_CONFLICT && le.code != ERR_INVALID) {
            return err_recast(e, le.code, &le);
        }
        return uldk_error(
            req, resp, le.code == ERR_CONFLICT ? "niejednoznaczny obręb; podaj identyfikator działki" : "brak wyników");
    }
    /* One line, fields separated by '|'. */
    char *line = arena_strdup(req->arena, "0\n");
    for (int i = 0; i < nfields && line; i++) {
        const char *v = uldk_field(req, s, p, fields[i], out_crs, e);
        if (!v)
            return e->code ? e->code : err_set(e, ERR_INTERNAL, "out of memory");
        line = arena_printf(req->arena, "%s%s%s", line, i ? "|" : "", v);
    }
    if (!line)
        return err_set(e, ERR_INTERNAL, "out of memory");
    line = arena_printf(req->arena, "%s\n", line);
    http_resp_body(resp, 200, "text/plain; charset=utf-8", line, strlen(line));
    return ERR_OK;
}

/* ---- GET /{t}/geocode ---- */

static enum err_code param_limit(struct http_req *req, long def, long *out, struct err *e)
{
    const char *v = http_query(req, "limit");
    *out = def;
    if (v && !text_parse_long(v, 1, 100, out))
        return err_param(e, "limit", "limit must be an integer from 1 to 100");
    return ERR_OK;
}

static enum err_code param_query_text(struct http_req *req, const char *name, const char **out, struct err *e)
{
    const char *q = http_query(req, name);
    *out = q;
    if (!q)
        return err_param(e, name, "%s is required", name);
    if (strlen(q) > GIS_GEOCODE_MAX_QUERY)
        return err_param(e, name, "%s is longer than %d bytes", name, GIS_GEOCODE_MAX_QUERY);
    char folded[2 * GIS_GEOCODE_MAX_QUERY + 1];
    if (!text_fold(q, folded, sizeof folded))
        return err_param(e, name, "%s has no letters or digits", name);
    return ERR_OK;
}

static enum err_code svc_geocode(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *q;
    long limit;
    if (param_query_text(req, "q", &q, e) || param_limit(req, 10, &limit, e))
        return e->code;
    const struct gis_geocoder *g = tenant_geocoder(req->tenant, e);
    if (!g)
        return e->code ? e->code : err_set(e, ERR_UNAVAILABLE, "address index unavailable");
    struct gis_geocode_hit hits[100];
    int n = 0;
    if (gis_geocode_search(g, q, hits, (int)limit, &n, e)) {
        if (e->code == ERR_INVALID)
            snprintf(e->param, sizeof e->param, "q");
        return e->code;
    }
    json_t *features = json_array();
    for (int i = 0; i < n; i++) {
        struct address_view v = view_of_hit(&hits[i]);
        json_t *f = address_feature(&v);
        json_object_set_new(json_object_get(f, "properties"), "complete", json_boolean(hits[i].complete));
        json_array_append_new(features, f);
    }
    if (resp_json(req, resp, 200,
                  json_pack("{s:s, s:o, s:i}", "type", "FeatureCollection", "features", features, "numberReturned", n),
                  e))
        return e->code;
    resp->content_type = "application/geo+json";
    return ERR_OK;
}

/* ---- GET /{t}/search ---- */

/* A parcel found by /search: a point inside it, its CRS84 bbox to zoom to, and a label to list it by. */
static json_t *parcel_hit_feature(struct http_req *req, const struct gis_parcel_hit *h, struct err *e)
{
    const struct gis_parcel *p = h->parcel;
    const char *label = arena_printf(req->arena, "dz. %s, obręb %s %s", p->number, p->obreb_number, p->obreb_name);
    json_t *props =
        json_pack("{s:s, s:o, s:s, s:s, s:{s:s, s:s, s:s}, s:f, s:b}", "kind", "parcel", "label", jstr(label),
                  "parcel_id", p->parcel_id, "number", p->number, "obreb", "number", p->obreb_number, "name",
                  p->obreb_name, "unit", p->unit, "area_m2", round_to(p->area_m2, 0.01), "exact", h->exact);
    json_t *f =
        json_pack("{s:s, s:s, s:n, s:o}", "type", "Feature", "id", p->parcel_id, "geometry", "properties", props);
    if (!f)
        return NULL;
    if (p->wkb) {
        double ll[2] = {p->inside[0], p->inside[1]}, bb[4];
        if (gis_crs_transform(GIS_CRS_2180, GIS_CRS_CRS84, ll, 1, e) ||
            gis_place_extent(p->wkb, p->wkb_len, GIS_CRS_CRS84, bb, e)) {
            json_decref(f);
            return NULL;
        }
        json_object_set_new(f, "bbox",
                            json_pack("[f,f,f,f]", round_to(bb[0], 1e-8), round_to(bb[1], 1e-8), round_to(bb[2], 1e-8),
                                      round_to(bb[3], 1e-8)));
        json_object_set_new(
            f, "geometry",
            json_pack("{s:s, s:[f,f]}", "type", "Point", "coordinates", round_to(ll[0], 1e-8), round_to(ll[1], 1e-8)));
    }
    return f;
}

static json_t *address_hit_feature(const struct gis_geocode_hit *h)
{
    struct address_view v = view_of_hit(h);
    json_t *f = address_feature(&v);
    json_t *props = json_object_get(f, "properties");
    json_object_set_new(props, "kind", json_string("address"));
    json_object_set_new(props, "complete", json_boolean(h->complete));
    return f;
}

/* Addresses and parcels in one ranked list, for one search box. Text that can only mean a parcel (an
 * identifier, "dz. …", digits alone) lists parcels only; otherwise the complete address hits come first,
 * then the parcels, then the other address hits. */
static enum err_code svc_search(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *q;
    long limit;
    if (param_query_text(req, "q", &q, e) || param_limit(req, 10, &limit, e))
        return e->code;
    struct gis_store *s = reader(req->tenant, e);
    if (!s)
        return e->code;
    struct gis_parcel_hit parcels[100];
    int np = 0;
    bool parcel_only = false;
    bool begun = gis_store_read_begin(s);
    enum err_code rc = gis_place_parcel_search(s, req->arena, q, (int)limit, parcels, &np, &parcel_only, e);
    json_t *features = json_array();
    for (int i = 0; i < np && !rc; i++) {
        json_t *f = parcel_hit_feature(req, &parcels[i], e);
        if (!f)
            rc = e->code ? e->code : err_set(e, ERR_INTERNAL, "out of memory");
        json_array_append_new(features, f);
    }
    gis_store_read_end(s, begun);
    struct gis_geocode_hit addrs[100];
    int na = 0;
    if (!rc && !parcel_only) {
        const struct gis_geocoder *g = tenant_geocoder(req->tenant, e);
        if (!g)
            rc = e->code ? e->code : err_set(e, ERR_UNAVAILABLE, "address index unavailable");
        else if ((rc = gis_geocode_search(g, q, addrs, (int)limit, &na, e)) == ERR_INVALID)
            snprintf(e->param, sizeof e->param, "q");
    }
    if (rc) {
        json_decref(features);
        return rc;
    }
    /* complete addresses before the parcels, the rest after, within limit */
    int ncomplete = 0;
    for (int i = 0; i < na; i++)
        if (addrs[i].complete)
            json_array_insert_new(features, (size_t)ncomplete++, address_hit_feature(&addrs[i]));
    for (int i = 0; i < na; i++)
        if (!addrs[i].complete)
            json_array_append_new(features, address_hit_feature(&addrs[i]));
    while (json_array_size(features) > (size_t)limit)
        json_array_remove(features, json_array_size(features) - 1);
    int n = (int)json_array_size(features);
    if (resp_json(req, resp, 200,
                  json_pack("{s:s, s:o, s:i}", "type", "FeatureCollection", "features", features, "numberReturned", n),
                  e))
        return e->code;
    resp->content_type = "application/geo+json";
    return ERR_OK;
}

/* ---- GET /{t}/reverse ---- */

static enum err_code svc_reverse(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct point_query pq;
    if (param_point(req, &pq, e))
        return e->code;
    struct gis_store *s = reader(req->tenant, e);
    if (!s)
        return e->code;
    struct gis_parcel *p = NULL;
    struct gis_place_address *a = NULL;
    if (gis_place_parcel_at(s, req->arena, pq.x, pq.y, &p, e) && e->code != ERR_NOT_FOUND)
        return e->code;
    err_clear(e);
    if (!p) {
        bool inside = false;
        if (gis_place_in_gmina(s, pq.x, pq.y, &inside, e))
            return e->code;
        if (!inside)
            return point_404(req, resp, &pq, "reverse", e);
    }
    if (gis_place_nearest_address(s, req->arena, pq.x, pq.y, NEAREST_ADDRESS_MAX_M, &a, e) && e->code != ERR_NOT_FOUND)
        return e->code;
    err_clear(e);
    json_t *j = json_pack("{s:{s:f, s:f, s:[f,f]}}", "point", "lon", round_to(pq.lon, 1e-8), "lat",
                          round_to(pq.lat, 1e-8), "epsg2180", round_to(pq.x, 1e-3), round_to(pq.y, 1e-3));
    struct address_view av = a ? view_of_place(a, true) : (struct address_view){0};
    json_object_set_new(j, "address", a ? address_feature(&av) : json_null());
    json_t *pf = p ? parcel_feature(p, NULL, GIS_CRS_CRS84, e) : json_null();
    if (!pf) {
        json_decref(j);
        return e->code;
    }
    json_object_set_new(j, "parcel", pf);
    return resp_json(req, resp, 200, j, e);
}

/* ---- GET /{t}/locate ---- */

/* The best geocoder hit for an address= parameter (n is 0 or 1); bad input is a 400 naming "address". */
static enum err_code address_best_hit(struct http_req *req, const char *address_q, struct gis_geocode_hit *hit, int *n,
                                      struct err *e)
{
    char folded[2 * GIS_GEOCODE_MAX_QUERY + 1];
    if (strlen(address_q) > GIS_GEOCODE_MAX_QUERY)
        return err_param(e, "address", "address is longer than %d bytes", GIS_GEOCODE_MAX_QUERY);
    if (!text_fold(address_q, folded, sizeof folded))
        return err_param(e, "address", "address has no letters or digits");
    const struct gis_geocoder *g = tenant_geocoder(req->tenant, e);
    if (!g)
        return e->code ? e->code : err_set(e, ERR_UNAVAILABLE, "address index unavailable");
    *n = 0;
    if (gis_geocode_search(g, address_q, hit, 1, n, e)) {
        if (e->code == ERR_INVALID)
            snprintf(e->param, sizeof e->param, "address");
        return e->code;
    }
    return ERR_OK;
}

static enum err_code locate(struct http_req *req, struct http_resp *resp, struct gis_store *s, const char *date,
                            struct err *e);

/* How near a point, in metres either side, /locate looks for plan lines: a building line is a line, so a
 * point hits one only within a tolerance (as WMS GetFeatureInfo's, docs/api.md). */
#define LOCATE_LINE_M 5.0

/* The plan lines and points of the plans in force on date within LOCATE_LINE_M of (x, y) (EPSG:2180): the
 * plan-lines collection's properties (kind, kind_label, label, zone_label, plan_id, plan_title,
 * plan_resolution) with their id; NULL with e set on a store error. */
static json_t *plan_lines_near(struct gis_store *s, double x, double y, const char *date, struct err *e)
{
    const struct gis_collection *c = gis_collection_find("plan-lines");
    json_t *out = json_array();
    if (!c || !out)
        return out;
    struct gis_feature_query fq = {.c = c,
                                   .has_bbox = true,
                                   .bbox_crs = GIS_CRS_2180,
                                   .bbox = {x - LOCATE_LINE_M, y - LOCATE_LINE_M, x + LOCATE_LINE_M, y + LOCATE_LINE_M},
                                   .out_crs = GIS_CRS_CRS84,
                                   .limit = 20,
                                   .date = date};
    struct buf b = {0};
    long returned = 0;
    if (gis_features_query(s, &fq, &b, NULL, &returned, e)) {
        buf_free(&b);
        json_decref(out);
        return NULL;
    }
    json_t *arr = json_loadb(b.data ? b.data : "[]", b.len ? b.len : 2, 0, NULL);
    buf_free(&b);
    size_t i;
    json_t *f;
    json_array_foreach(arr, i, f)
    {
        json_t *props = json_deep_copy(json_object_get(f, "properties"));
        if (!props)
            continue;
        json_object_set(props, "id", json_object_get(f, "id"));
        json_array_append_new(out, props);
    }
    json_decref(arr);
    return out;
}

/* /locate runs a dozen queries (and the modules' own): one read transaction holds them together. */
static enum err_code svc_locate(struct http_req *req, struct http_resp *resp, struct err *e)
{
    char date[11];
    if (param_date(req, "date", date, e))
        return e->code;
    struct gis_store *s = reader(req->tenant, e);
    if (!s)
        return e->code;
    bool begun = gis_store_read_begin(s);
    enum err_code rc = locate(req, resp, s, date, e);
    gis_store_read_end(s, begun);
    return rc;
}

/* /locate's point mode: the parcel at the point into *p, the point into place and the query echo into
 * *query; a point in another gmina is answered here (a 404 naming it) and leaves *query NULL. */
static enum err_code locate_point(struct http_req *req, struct http_resp *resp, struct gis_store *s,
                                  struct gis_parcel **p, struct svc_place *place, json_t **query, struct err *e)
{
    struct point_query pq;
    if (param_point(req, &pq, e))
        return e->code;
    if (gis_place_parcel_at(s, req->arena, pq.x, pq.y, p, e)) {
        if (e->code != ERR_NOT_FOUND)
            return e->code;
        err_clear(e);
        bool inside = false;
        if (gis_place_in_gmina(s, pq.x, pq.y, &inside, e))
            return e->code;
        if (!inside)
            return point_404(req, resp, &pq, "locate", e);
        return err_set(e, ERR_NOT_FOUND, "no parcel at this point in gmina %s", req->tenant->cfg->name);
    }
    place->x = pq.x;
    place->y = pq.y;
    *query = json_pack("{s:f, s:f}", "lon", round_to(pq.lon, 1e-8), "lat", round_to(pq.lat, 1e-8));
    return *query ? ERR_OK : err_set(e, ERR_INTERNAL, "out of memory");
}

static enum err_code locate(struct http_req *req, struct http_resp *resp, struct gis_store *s, const char *date,
                            struct err *e)
{
    const char *parcel_q = http_query(req, "parcel"), *address_q = http_query(req, "address");
    int modes = (parcel_q != NULL) + (address_q != NULL) + has_point(req);
    if (modes != 1)
        return err_param(e, "parcel", "give exactly one of parcel, address, or lon and lat (or x and y)");
    struct gis_parcel *p = NULL;
    struct address_view av = {0};
    bool have_address = false, have_xy = false, point_mode = false;
    struct svc_place place = {0};
    json_t *query;
    if (parcel_q) {
        if (param_parcel_id("parcel", parcel_q, e))
            return e->code;
        if (gis_place_parcel_by_id(s, req->arena, parcel_q, &p, e)) {
            if (e->code != ERR_NOT_FOUND)
                return e->code;
            struct svc_tenant *other = svc_tenant_with_parcel(req, parcel_q);
            if (!other)
                return e->code;
            err_clear(e);
            return elsewhere_404(req, resp, arena_printf(req->arena, "parcel %s", parcel_q), other, "locate",
                                 arena_printf(req->arena, "parcel=%s", url_encode(req->arena, parcel_q)), e);
        }
        query = json_pack("{s:s}", "parcel", parcel_q);
    } else if (address_q) {
        struct gis_geocode_hit hit;
        int n = 0;
        if (address_best_hit(req, address_q, &hit, &n, e))
            return e->code;
        if (n == 0 || !hit.complete) {
            struct svc_tenant *other = tenant_with_address(req, address_q);
            const char *q = arena_printf(req->arena, "address=%s", url_encode(req->arena, address_q));
            if (other)
                return elsewhere_404(req, resp, "the address", other, "locate", q, e);
            if (n)
                return err_set(e, ERR_NOT_FOUND, "no address in gmina %s matches '%.100s'; the nearest is '%s'",
                               req->tenant->cfg->name, address_q, hit.addr->label);
            return err_set(e, ERR_NOT_FOUND, "no address in gmina %s matches '%.100s'", req->tenant->cfg->name,
                           address_q);
        }
        av = view_of_hit(&hit);
        have_address = true;
        place.address_id = hit.addr->id;
        place.x = hit.addr->x;
        place.y = hit.addr->y;
        have_xy = true;
        if (!hit.addr->parcel_id || gis_place_parcel_by_id(s, req->arena, hit.addr->parcel_id, &p, e)) {
            if (e->code && e->code != ERR_NOT_FOUND)
                return e->code;
            err_clear(e);
            if (gis_place_parcel_at(s, req->arena, hit.addr->x, hit.addr->y, &p, e) && e->code != ERR_NOT_FOUND)
                return e->code;
            err_clear(e);
        }
        query = json_pack("{s:s}", "address", address_q);
    } else {
        query = NULL;
        enum err_code rc = locate_point(req, resp, s, &p, &place, &query, e);
        if (rc || !query)
            return rc; /* an error, or the answer (another gmina's point) is made */
        have_xy = true;
        point_mode = true;
    }
    /* The address of a parcel: one standing on it, else (for a point) none. */
    if (!have_address && p) {
        struct gis_place_address *list;
        int n = 0;
        if (gis_place_parcel_addresses(s, req->arena, p, 1, &list, &n, e)) {
            json_decref(query);
            return e->code;
        }
        if (n) {
            av = view_of_place(&list[0], false);
            have_address = true;
            place.address_id = list[0].id;
            if (!have_xy) {
                place.x = list[0].x;
                place.y = list[0].y;
                have_xy = true;
            }
        }
    }
    if (p) {
        place.parcel_id = p->parcel_id;
        if (!have_xy) {
            place.x = p->inside[0];
            place.y = p->inside[1];
        }
    }
    if (have_address)
        place.address_label = av.label;
    struct gis_parcel_zones pz = {0};
    if (p && gis_place_zones(s, req->arena, p, date, &pz, e)) {
        json_decref(query);
        return e->code;
    }
    if (p)
        place.zones = &pz; /* the modules' answers reuse the card's zones */
    json_t *pf = p ? parcel_feature(p, NULL, GIS_CRS_CRS84, e) : json_null();
    if (!pf) {
        json_decref(query);
        return e->code;
    }
    /* a point asked about: the plan lines within a few metres of it (a building line, a zone boundary) */
    json_t *lines = point_mode ? plan_lines_near(s, place.x, place.y, date, e) : NULL;
    if (point_mode && !lines) {
        json_decref(query);
        json_decref(pf);
        return e->code ? e->code : err_set(e, ERR_INTERNAL, "out of memory");
    }
    json_t *card = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "tenant", req->tenant->cfg->slug, "gmina",
                             req->tenant->cfg->name, "date", date, "query", query, "parcel", pf, "address",
                             have_address ? address_feature(&av) : json_null(), "plans", plans_json(&pz), "zones",
                             zones_json(&pz), "services", svc_modules_locate(req->tenant, s, &place));
    if (card && lines)
        json_object_set_new(card, "plan_lines", lines);
    else
        json_decref(lines);
    return resp_json(req, resp, 200, card, e);
}

/* ---- places for e-service modules ---- */

enum err_code svc_place_resolve(struct http_req *req, struct gis_store *s, const char *parcel_q, const char *address_q,
                                struct svc_place *out, struct err *e)
{
    *out = (struct svc_place){0};
    int modes = (parcel_q != NULL) + (address_q != NULL) + (!parcel_q && !address_q && has_point(req));
    if (modes != 1)
        return err_param(e, parcel_q ? "parcel" : "address",
                         "give exactly one of parcel, address, or lon and lat (or x and y)");
    struct gis_parcel *p = NULL;
    bool have_xy = false;
    if (parcel_q) {
        if (param_parcel_id("parcel", parcel_q, e) || gis_place_parcel_by_id(s, req->arena, parcel_q, &p, e))
            return e->code;
    } else if (address_q) {
        struct gis_geocode_hit hit;
        int n = 0;
        if (address_best_hit(req, address_q, &hit, &n, e))
            return e->code;
        if (n == 0 || !hit.complete) {
            return err_at(e, ERR_NOT_FOUND, "address", "no address in gmina %s matches '%.100s'",
                          req->tenant->cfg->name, address_q);
        }
        out->address_id = hit.addr->id;
        out->address_label = arena_strdup(req->arena, hit.addr->label);
        out->x = hit.addr->x;
        out->y = hit.addr->y;
        have_xy = true;
        if (hit.addr->parcel_id)
            out->parcel_id = arena_strdup(req->arena, hit.addr->parcel_id);
        else if (gis_place_parcel_at(s, req->arena, out->x, out->y, &p, e) && e->code != ERR_NOT_FOUND)
            return e->code;
        err_clear(e);
    } else {
        struct point_query pq;
        if (param_point(req, &pq, e))
            return e->code;
        out->x = pq.x;
        out->y = pq.y;
        have_xy = true;
        if (gis_place_parcel_at(s, req->arena, pq.x, pq.y, &p, e)) {
            if (e->code != ERR_NOT_FOUND)
                return e->code;
            err_clear(e);
            bool inside = false;
            if (gis_place_in_gmina(s, pq.x, pq.y, &inside, e))
                return e->code;
            if (!inside)
                return err_set(e, ERR_NOT_FOUND, "the point lies outside gmina %s", req->tenant->cfg->name);
        }
    }
    if (p) {
        out->parcel_id = p->parcel_id;
        if (!have_xy) {
            out->x = p->inside[0];
            out->y = p->inside[1];
        }
        if (!out->address_id) {
            struct gis_place_address *list;
            int n = 0;
            if (gis_place_parcel_addresses(s, req->arena, p, 1, &list, &n, e))
                return e->code;
            if (n) {
                out->address_id = list[0].id;
                out->address_label = list[0].label;
                if (parcel_q) {
                    out->x = list[0].x;
                    out->y = list[0].y;
                }
            }
        }
    }
    return ERR_OK;
}

/* ---- the route table ---- */

static const struct http_param_doc parcels_doc[] = {
    HTTP_DOC_TENANT,
    {"id", "query", "string", 0, "EGiB parcel identifier, e.g. 080505_4.0001.123/4 (or give obreb and number)"},
    {"obreb", "query", "string", 0, "obręb: its name (diacritics optional), its number (1 or 0001), or unit.number"},
    {"number", "query", "string", 0, "parcel number within the obręb, e.g. 123/4"},
    {"crs", "query", "string", 0,
     "output CRS: CRS84 (default, lon/lat), EPSG:4326, EPSG:2180, EPSG:2176, EPSG:3857; authority axis order"},
    {"date", "query", "string", 0,
     "the plans as in force on this day, YYYY-MM-DD (default today): repealed and future plans left out, "
     "amendments applied"},
    HTTP_DOC_END,
};

static const struct http_param_doc uldk_doc[] = {
    HTTP_DOC_TENANT,
    {"request", "query", "string", 1, "GetParcelById, GetParcelByIdOrNr or GetParcelByXY"},
    {"id", "query", "string", 0, "parcel identifier (GetParcelById); or 'obręb number' (GetParcelByIdOrNr)"},
    {"xy", "query", "string", 0,
     "GetParcelByXY: x,y[,srid]; x is the easting (or longitude), y the northing (or latitude); srid 2180 default"},
    {"result", "query", "string", 0,
     "comma-separated fields: id, teryt, voivodeship, county, commune, region, parcel, geom_wkt, geom_wkb, "
     "geom_extent, datasource (default geom_wkb)"},
    {"srid", "query", "integer", 0, "output geometry EPSG code: 2180 (default), 2176, 4326, 3857"},
    HTTP_DOC_END,
};

static const struct http_param_doc geocode_doc[] = {
    HTTP_DOC_TENANT,
    {"q", "query", "string", 1,
     "address text, e.g. 'Jedności Robotniczej 12a, Słubice'; diacritics, case, ul./al./pl./os., word order and one "
     "typo per word do not matter; at most 200 bytes"},
    {"limit", "query", "integer", 0, "most results, 1 to 100 (default 10)"},
    HTTP_DOC_END,
};

/* A point given as lon and lat, or as x and y in crs (has_point, point_of). */
#define POINT_DOC                                                                                                      \
    {"lon", "query", "number", 0, "longitude (CRS84), with lat"},                                                      \
        {"lat", "query", "number", 0, "latitude (CRS84), with lon"},                                                   \
        {"x", "query", "number", 0, "easting (or longitude) in crs, with y; instead of lon/lat"},                      \
        {"y", "query", "number", 0, "northing (or latitude) in crs, with x"},                                          \
    {                                                                                                                  \
        "crs", "query", "string", 0, "CRS of x and y: EPSG:2180 (default), EPSG:2176, EPSG:3857, EPSG:4326, CRS84"     \
    }

static const struct http_param_doc point_doc[] = {
    HTTP_DOC_TENANT,
    POINT_DOC,
    HTTP_DOC_END,
};

static const struct http_param_doc locate_doc[] = {
    HTTP_DOC_TENANT,
    {"parcel", "query", "string", 0, "EGiB parcel identifier"},
    {"address", "query", "string", 0, "address text; the best geocoder hit must match every word"},
    {"date", "query", "string", 0,
     "the plans as in force on this day, YYYY-MM-DD (default today): repealed and future plans left out, "
     "amendments applied"},
    POINT_DOC,
    HTTP_DOC_END,
};

static const struct http_param_doc search_doc[] = {
    HTTP_DOC_TENANT,
    {"q", "query", "string", 1,
     "an address as for /geocode, or a parcel: its number (2287, 2287/1), 'dz. 2287', an obręb and a number "
     "('Słubice 1 2287', '0001 2287', '080505_4.0001 2287') or its identifier (080505_4.0001.2287); at most 200 "
     "bytes"},
    {"limit", "query", "integer", 0, "most results, 1 to 100 (default 10)"},
    HTTP_DOC_END,
};

const struct http_route svc_places_routes[] = {
    {"GET", "/{t}/parcels", svc_parcels, "places",
     "One parcel as a GeoJSON Feature with the MPZP zones, overlays and POG zones that apply, each with its area "
     "and share",
     "application/geo+json", parcels_doc, HTTP_PUBLIC},
    {"GET", "/{t}/uldk", svc_uldk, "places",
     "ULDK-compatible parcel lookup: plain text, '0' then one '|'-separated line, or '-1 message' (HTTP 200)",
     "text/plain", uldk_doc, HTTP_PUBLIC},
    {"GET", "/{t}/geocode", svc_geocode, "places", "Address search, ranked, as a GeoJSON FeatureCollection",
     "application/geo+json", geocode_doc, HTTP_PUBLIC},
    {"GET", "/{t}/search", svc_search, "places",
     "One search box: addresses and parcels (by number, obręb and number, or identifier), ranked, as a GeoJSON "
     "FeatureCollection whose features carry kind, label and a point (parcels also a bbox)",
     "application/geo+json", search_doc, HTTP_PUBLIC},
    {"GET", "/{t}/reverse", svc_reverse, "places", "The nearest address point and the parcel under a point", NULL,
     point_doc, HTTP_PUBLIC},
    {"GET", "/{t}/locate", svc_locate, "places",
     "The property card: parcel, address, plans and zones with shares and parameters, e-services, and for a point "
     "the plan lines within 5 m",
     NULL, locate_doc, HTTP_PUBLIC},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
