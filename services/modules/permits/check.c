/* The check of a place against the council's rules (permits_check in permits.h): the limits (art. 12 ust.
 * 1-2), the distance rules (art. 12 ust. 3) measured in a straight line or along the pedestrian path
 * (path.h), the night-time ban (art. 12 ust. 1a) and the plan zone. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gis/places.h"
#include "services/modules/permits/path.h"
#include "services/modules/permits/permits.h"
#include "services/modules/permits/store.h"

#define MAX_RULES   16
#define MAX_LIMITS  8
#define MAX_OBJECTS 64
#define FAR_M       5000.0 /* how far to look for the nearest object when none is near */

static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

static void reason(json_t *reasons, struct arena *a, const char *fmt, const char *s)
{
    json_array_append_new(reasons, json_string(arena_printf(a, fmt, s)));
}

/* The state of one check as it is built. */
struct chk {
    struct gis_store *r;
    struct arena *a;
    const struct svc_place *p;
    char cat;
    const char *sale, *unit, *today;
    json_t *reasons;
    bool allowed, uncertain;
    struct permits_graph *g; /* built once for all rules measured along paths */
    double bbox[4];
    int streets;
    struct gis_parcel_zones zones;
    bool quick; /* /locate: a path rule is measured along the path only when the straight line is short */
    /* quick: every protected object within FAR_M, nearest first, read once for all rules */
    struct permits_object *near;
    int nnear;
};

#define MAX_NEAR 256

/* quick: the objects of kind within radius from c->near (read on first use), at most max, nearest first. */
static enum err_code near_of_kind(struct chk *c, const char *kind, double radius, struct permits_object *obj, int max,
                                  int *n, struct err *e)
{
    if (!c->near) {
        c->near = arena_alloc(c->a, MAX_NEAR * sizeof *c->near);
        if (!c->near)
            return err_set(e, ERR_INTERNAL, "out of memory");
        if (permits_store_protected_near(c->r, c->a, NULL, c->p->x, c->p->y, FAR_M, c->near, MAX_NEAR, &c->nnear, e))
            return e->code;
    }
    *n = 0;
    for (int i = 0; i < c->nnear && *n < max; i++)
        if (c->near[i].straight_m <= radius && !strcmp(c->near[i].kind, kind))
            obj[(*n)++] = c->near[i];
    return ERR_OK;
}

static json_t *check_limits(struct chk *c, struct err *e)
{
    struct permits_limit lim[MAX_LIMITS];
    int n;
    json_t *arr = json_array();
    if (permits_store_limits(c->r, c->a, c->cat, c->sale, c->unit, c->today, lim, MAX_LIMITS, &n, e)) {
        json_decref(arr);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        bool ok = lim[i].count < lim[i].max;
        c->allowed &= ok;
        const char *where = lim[i].unit ? arena_printf(c->a, "w jednostce %s", lim[i].unit) : "w gminie";
        json_array_append_new(arr, json_pack("{s:s, s:o, s:I, s:I, s:b, s:s}", "scope", lim[i].unit ? "unit" : "gmina",
                                             "unit", jstr(lim[i].unit), "max", (json_int_t)lim[i].max, "count",
                                             (json_int_t)lim[i].count, "ok", ok, "resolution", lim[i].resolution));
        json_array_append_new(
            c->reasons, json_string(arena_printf(c->a, "Limit zezwoleń kategorii %c %s %s: wydano %ld z %ld (%s)%s.",
                                                 c->cat, permits_sale_text(c->sale), where, lim[i].count, lim[i].max,
                                                 lim[i].resolution, ok ? "" : " — limit wyczerpany")));
    }
    if (!n)
        reason(c->reasons, c->a, "%s", "Rada gminy nie ustaliła limitu dla tej kategorii i miejsca sprzedaży.");
    return arr;
}

/* Builds the streets graph over bbox once. */
static enum err_code graph_ready(struct chk *c, const double bbox[4], struct err *e)
{
    if (c->g)
        return ERR_OK;
    memcpy(c->bbox, bbox, sizeof c->bbox);
    c->g = permits_graph_new();
    if (!c->g)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (permits_store_streets(c->r, bbox, c->g, &c->streets, e) || permits_graph_build(c->g, e))
        return e->code;
    struct err le = {0};
    if (permits_graph_from(c->g, c->p->x, c->p->y, &le) && le.code != ERR_NOT_FOUND)
        return err_recast(e, le.code, &le);
    return ERR_OK;
}

/* The candidates of a rule: the objects within reach, or else the nearest one within FAR_M. */
static enum err_code candidates(struct chk *c, const struct permits_rule *ru, struct permits_object *obj, int *n,
                                struct err *e)
{
    double reach = fmax(3 * ru->min_m, ru->min_m + 500);
    if (c->quick) {
        if (near_of_kind(c, ru->kind, reach, obj, MAX_OBJECTS, n, e))
            return e->code;
        return *n ? ERR_OK : near_of_kind(c, ru->kind, FAR_M, obj, 1, n, e);
    }
    if (permits_store_protected_near(c->r, c->a, ru->kind, c->p->x, c->p->y, reach, obj, MAX_OBJECTS, n, e))
        return e->code;
    if (!*n && permits_store_protected_near(c->r, c->a, ru->kind, c->p->x, c->p->y, FAR_M, obj, 1, n, e))
        return e->code;
    return ERR_OK;
}

/* The bbox of the place and every candidate of the path rules, widened by the largest minimum distance
 * (at least 500 m), so that a detour around a block stays inside. */
static enum err_code path_bbox(struct chk *c, const struct permits_rule *ru, int nr, double bbox[4], struct err *e)
{
    double margin = 500;
    bbox[0] = bbox[2] = c->p->x;
    bbox[1] = bbox[3] = c->p->y;
    for (int i = 0; i < nr; i++) {
        if (strcmp(ru[i].method, "path"))
            continue;
        struct permits_object obj[MAX_OBJECTS];
        int n;
        if (candidates(c, &ru[i], obj, &n, e))
            return e->code;
        margin = fmax(margin, ru[i].min_m);
        for (int k = 0; k < n; k++) {
            bbox[0] = fmin(bbox[0], obj[k].x), bbox[1] = fmin(bbox[1], obj[k].y);
            bbox[2] = fmax(bbox[2], obj[k].x), bbox[3] = fmax(bbox[3], obj[k].y);
        }
    }
    bbox[0] -= margin, bbox[1] -= margin, bbox[2] += margin, bbox[3] += margin;
    return ERR_OK;
}

/* One distance rule: the measured distance to the nearest object of its kind, by its method. */
static json_t *check_rule(struct chk *c, const struct permits_rule *ru, struct err *e)
{
    struct permits_object obj[MAX_OBJECTS];
    int n;
    if (candidates(c, ru, obj, &n, e))
        return NULL;
    bool path = !strcmp(ru->method, "path");
    int best = -1;
    double d = INFINITY, straight = n ? obj[0].straight_m : INFINITY;
    for (int k = 0; k < n; k++) {
        double m = !path ? obj[k].straight_m : c->g ? permits_graph_dist(c->g, obj[k].x, obj[k].y) : -1;
        if (m >= 0 && m < d)
            d = m, best = k;
    }
    const char *verdict, *kind = permits_kind_text(ru->kind);
    if (!n)
        verdict = "ok"; /* none within FAR_M */
    else if (best >= 0)
        verdict = d >= ru->min_m ? "ok" : "violated";
    else /* no path joins them: the straight line is a lower bound of every path */
        verdict = straight >= ru->min_m ? "ok" : "unknown";
    c->allowed &= !strcmp(verdict, "ok");
    c->uncertain |= !strcmp(verdict, "unknown");
    const struct permits_object *o = best >= 0 ? &obj[best] : n ? &obj[0] : NULL;
    json_t *j = json_pack("{s:s, s:f, s:s, s:s, s:s, s:o, s:o}", "object_kind", ru->kind, "min_m", ru->min_m, "method",
                          ru->method, "verdict", verdict, "resolution", ru->resolution, "measured_m",
                          best >= 0 ? json_real(round(d * 100) / 100) : json_null(), "nearest",
                          o ? json_pack("{s:I, s:s, s:s, s:f}", "id", (json_int_t)o->id, "kind", o->kind, "name",
                                        o->name, "straight_m", round(o->straight_m * 100) / 100)
                            : json_null());
    json_object_set_new(j, "categories", json_string(ru->categories));
    json_object_set_new(j, "sale", jstr(ru->sale));
    const char *how = path ? "najkrótszą drogą pieszą od wejścia do wejścia" : "w linii prostej";
    if (c->quick) /* the summary of /locate gives no reasons in words */
        ;
    else if (!n)
        json_array_append_new(c->reasons,
                              json_string(arena_printf(c->a, "Brak obiektu (%s) w promieniu %.0f m.", kind, FAR_M)));
    else if (best >= 0)
        json_array_append_new(
            c->reasons, json_string(arena_printf(c->a,
                                                 "Odległość od najbliższego obiektu (%s: %s), mierzona %s: %.0f m; "
                                                 "wymagane co najmniej %.0f m (%s)%s.",
                                                 kind, o->name, how, d, ru->min_m, ru->resolution,
                                                 d >= ru->min_m ? "" : " — warunek niespełniony")));
    else
        json_array_append_new(
            c->reasons, json_string(arena_printf(c->a,
                                                 "Sieć ulic nie łączy miejsca z obiektem (%s: %s); w linii prostej "
                                                 "%.0f m, wymagane %.0f m mierzone drogą pieszą (%s).",
                                                 kind, o->name, o->straight_m, ru->min_m, ru->resolution)));
    if (path && c->g) {
        struct permits_snap s;
        permits_graph_snap(c->g, c->p->x, c->p->y, &s);
        json_object_set_new(j, "graph",
                            json_pack("{s:[f,f,f,f], s:i, s:i, s:i, s:o}", "bbox", c->bbox[0], c->bbox[1], c->bbox[2],
                                      c->bbox[3], "streets", c->streets, "nodes", permits_graph_nodes(c->g), "edges",
                                      permits_graph_edges(c->g), "from_connector_m",
                                      s.edge >= 0 ? json_real(round(s.connect * 100) / 100) : json_null()));
    }
    return j;
}

static json_t *check_rules(struct chk *c, struct err *e)
{
    struct permits_rule ru[MAX_RULES];
    int nr;
    if (permits_store_rules(c->r, c->a, c->cat, c->sale, ru, MAX_RULES, &nr, e))
        return NULL;
    bool any_path = false;
    for (int i = 0; i < nr && !any_path; i++) {
        /* a path is never shorter than the straight line: quick skips the graph when no object is nearer */
        struct permits_object near;
        int n = 1;
        if (!strcmp(ru[i].method, "path") && c->quick && near_of_kind(c, ru[i].kind, ru[i].min_m, &near, 1, &n, e))
            return NULL;
        any_path = !strcmp(ru[i].method, "path") && n > 0;
    }
    double bbox[4];
    if (any_path && (path_bbox(c, ru, nr, bbox, e) || graph_ready(c, bbox, e)))
        return NULL;
    json_t *arr = json_array();
    for (int i = 0; i < nr; i++) {
        json_t *j = check_rule(c, &ru[i], e);
        if (!j) {
            json_decref(arr);
            return NULL;
        }
        json_array_append_new(arr, j);
    }
    if (!nr)
        reason(c->reasons, c->a, "%s", "Rada gminy nie ustaliła zasad usytuowania dla tej kategorii.");
    return arr;
}

/* The plan zone at the place (the first MPZP zone, else a POG zone): *hit NULL, with a reason, when the
 * parcel or a zone is not known. The zones live in c->zones. */
static enum err_code zone_at(struct chk *c, const struct gis_zone_hit **hit, struct err *e)
{
    struct gis_parcel *parcel;
    struct err le = {0};
    *hit = NULL;
    if (c->p->zones) /* /locate computed them for its card */
        c->zones = *c->p->zones;
    else if (!c->p->parcel_id || gis_place_parcel_by_id(c->r, c->a, c->p->parcel_id, &parcel, &le) ||
             gis_place_zones(c->r, c->a, parcel, NULL, &c->zones, &le)) {
        if (le.code && le.code != ERR_NOT_FOUND)
            return err_recast(e, le.code, &le);
        reason(c->reasons, c->a, "%s", "Nie ustalono działki, więc i przeznaczenia w planie.");
        return ERR_OK;
    }
    for (int i = 0; i < c->zones.nzones && !*hit; i++) /* MPZP zones first, then overlays and POG zones */
        if (c->zones.zones[i].kind != GIS_ZONE_OVERLAY && c->zones.zones[i].symbol)
            *hit = &c->zones.zones[i];
    if (!*hit)
        reason(c->reasons, c->a, "%s",
               "Działka nie leży w planie miejscowym ani w strefie planu ogólnego; o handlu lub gastronomii rozstrzyga "
               "decyzja o warunkach zabudowy.");
    return ERR_OK;
}

/* Whether zone hit admits use ("retail": a shop, "catering": a bar), with its reason. */
static json_t *zone_use(struct chk *c, const struct gis_zone_hit *hit, const char *use, struct err *e)
{
    const char *kind = gis_zone_kind_name(hit->kind);
    struct permits_zone_use u = {"unknown", NULL, "high"};
    struct err le = {0};
    if (permits_store_zone_use(c->r, c->a, kind, hit->symbol, use, &u, &le) && le.code != ERR_NOT_FOUND) {
        err_recast(e, le.code, &le);
        return NULL;
    }
    c->allowed &= strcmp(u.verdict, "forbidden") != 0;
    static const char *const pl[][2] = {{"allowed", "dopuszczony"},
                                        {"conditional", "dopuszczony warunkowo"},
                                        {"forbidden", "niedopuszczony"},
                                        {"unknown", "nieznany (brak reguły w tabeli)"}};
    const char *v = "?";
    for (size_t i = 0; i < sizeof pl / sizeof pl[0]; i++)
        if (!strcmp(pl[i][0], u.verdict))
            v = pl[i][1];
    if (!c->quick)
        json_array_append_new(c->reasons, json_string(arena_printf(c->a, "%s %s (%s): %s %s%s%s.",
                                                                   hit->kind == GIS_ZONE_MPZP ? "Plan miejscowy, teren"
                                                                                              : "Plan ogólny, strefa",
                                                                   hit->label, hit->name ? hit->name : "",
                                                                   !strcmp(use, "retail") ? "handel" : "gastronomia", v,
                                                                   u.source ? " — " : "", u.source ? u.source : "")));
    return json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:o, s:s}", "kind", kind, "use", use, "label", jstr(hit->label),
                     "symbol", jstr(hit->symbol), "verdict", u.verdict, "uncertainty", u.uncertainty, "source",
                     jstr(u.source), "note", "guidance from the zone symbol, not the plan's text");
}

/* The plan zone at the place and whether it admits a shop (off) or a bar (on). */
static json_t *check_zone(struct chk *c, struct err *e)
{
    const struct gis_zone_hit *hit;
    if (zone_at(c, &hit, e))
        return NULL;
    return hit ? zone_use(c, hit, !strcmp(c->sale, "on") ? "catering" : "retail", e) : json_null();
}

static json_t *check_night(struct chk *c, struct err *e)
{
    struct permits_night_ban b[4];
    int n;
    json_t *arr = json_array();
    if (strcmp(c->sale, "off"))
        return arr; /* the ban is on sale off the premises only */
    if (permits_store_night_bans(c->r, c->a, c->unit, b, 4, &n, e)) {
        json_decref(arr);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:s}", "from", b[i].from, "to", b[i].to, "unit",
                                             jstr(b[i].unit), "resolution", b[i].resolution));
        if (!c->quick)
            json_array_append_new(c->reasons,
                                  json_string(arena_printf(c->a,
                                                           "Nocna sprzedaż poza miejscem sprzedaży zakazana w godz. "
                                                           "%s–%s (%s).",
                                                           b[i].from, b[i].to, b[i].resolution)));
    }
    return arr;
}

enum err_code permits_check(struct gis_store *r, struct arena *a, const struct svc_place *p, char cat, const char *sale,
                            json_t **out, struct err *e)
{
    char today[11];
    permits_today(today);
    struct chk c = {.r = r, .a = a, .p = p, .cat = cat, .sale = sale, .today = today, .allowed = true};
    c.unit = permits_store_unit(r, a, p->parcel_id);
    c.reasons = json_array();
    json_t *lim = check_limits(&c, e), *rules = lim ? check_rules(&c, e) : NULL;
    json_t *zone = rules ? check_zone(&c, e) : NULL, *night = zone ? check_night(&c, e) : NULL;
    permits_graph_free(c.g);
    if (!night) {
        json_decref(lim);
        json_decref(rules);
        json_decref(zone);
        json_decref(c.reasons);
        return e->code ? e->code : err_set(e, ERR_INTERNAL, "out of memory");
    }
    const char *verdict = !c.allowed ? (c.uncertain ? "uncertain" : "refused") : "allowed";
    const char *answer =
        arena_printf(a, "Nowy punkt sprzedaży napojów kategorii %c %s w tym miejscu: %s.", cat, permits_sale_text(sale),
                     !strcmp(verdict, "allowed")   ? "zgodny z uchwałami rady gminy"
                     : !strcmp(verdict, "refused") ? "niezgodny z uchwałami rady gminy"
                                                   : "nie da się rozstrzygnąć automatycznie");
    *out = json_pack("{s:b, s:s, s:s, s:s#, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s}", "allowed", c.allowed, "verdict",
                     verdict, "answer", answer, "category", &cat, (int)1, "sale", sale, "unit", jstr(c.unit), "limits",
                     lim, "distance_rules", rules, "zoning", zone, "night_ban", night, "reasons", c.reasons, "date",
                     today);
    return *out ? ERR_OK : err_set(e, ERR_INTERNAL, "out of memory");
}

/* ---- the short answer of /locate ---- */

/* The rules of rules that apply to (cat, sale) and are not "ok": "violated" ones into blocked, "unknown"
 * ones into unsure (by their object kind). */
static void rules_against(json_t *rules, char cat, const char *sale, json_t *blocked, json_t *unsure)
{
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r)
    {
        const char *cats = json_string_value(json_object_get(r, "categories"));
        const char *rs = json_string_value(json_object_get(r, "sale"));
        const char *v = json_string_value(json_object_get(r, "verdict"));
        if (!cats || !strchr(cats, cat) || (rs && strcmp(rs, sale)) || !v || !strcmp(v, "ok"))
            continue;
        json_array_append(!strcmp(v, "unknown") ? unsure : blocked, json_object_get(r, "object_kind"));
    }
}

/* One option (cat, sale) of the summary: its verdict, the limit that counts, and what stands in its way
 * ("limit", "zoning", or the object kind of a distance rule). */
static json_t *option(struct chk *c, const struct permits_limit *lim, int nl, json_t *rules, json_t *zone[2], char cat,
                      const char *sale)
{
    json_t *blocked = json_array(), *unsure = json_array(), *limit = json_null();
    bool full = false;
    for (int i = 0; i < nl; i++) {
        if (lim[i].category != cat || strcmp(lim[i].sale, sale) || (lim[i].unit && !c->unit) ||
            (lim[i].unit && strcmp(lim[i].unit, c->unit)))
            continue;
        if (json_is_null(limit) || (lim[i].count >= lim[i].max && !full)) {
            json_decref(limit);
            limit = json_pack("{s:I, s:I, s:o, s:s}", "count", (json_int_t)lim[i].count, "max", (json_int_t)lim[i].max,
                              "unit", jstr(lim[i].unit), "resolution", lim[i].resolution);
        }
        full |= lim[i].count >= lim[i].max;
    }
    if (full)
        json_array_append_new(blocked, json_string("limit"));
    rules_against(rules, cat, sale, blocked, unsure);
    json_t *z = zone[!strcmp(sale, "on")];
    const char *zv = z ? json_string_value(json_object_get(z, "verdict")) : NULL;
    if (zv && !strcmp(zv, "forbidden"))
        json_array_append_new(blocked, json_string("zoning"));
    const char *verdict = json_array_size(blocked) ? "refused" : json_array_size(unsure) ? "uncertain" : "allowed";
    return json_pack("{s:s#, s:s, s:s, s:o, s:o, s:o}", "category", &cat, (int)1, "sale", sale, "verdict", verdict,
                     "limit", limit, "blocked_by", blocked, "unsure", unsure);
}

/* "A, B w miejscu sprzedaży; C poza miejscem sprzedaży" of the options with verdict v, or NULL for none. */
static const char *options_text(struct arena *a, json_t *opts, const char *v)
{
    const char *out = NULL;
    for (int k = 0; k < 2; k++) {
        const char *sale = k ? "off" : "on", *cats = NULL;
        size_t i;
        json_t *o;
        json_array_foreach(opts, i, o)
        {
            if (strcmp(json_string_value(json_object_get(o, "sale")), sale) ||
                strcmp(json_string_value(json_object_get(o, "verdict")), v))
                continue;
            const char *cat = json_string_value(json_object_get(o, "category"));
            cats = cats ? arena_printf(a, "%s, %s", cats, cat) : cat;
        }
        if (cats) {
            const char *part = arena_printf(a, "%s %s", cats, permits_sale_text(sale));
            out = out ? arena_printf(a, "%s; %s", out, part) : part;
        }
    }
    return out;
}

static json_t *summary_json(struct chk *c, json_t *opts, json_t *rules, json_t *zone[2], json_t *night)
{
    const char *yes = options_text(c->a, opts, "allowed"), *no = options_text(c->a, opts, "refused"),
               *maybe = options_text(c->a, opts, "uncertain");
    const char *text = arena_printf(c->a, "Nowy punkt sprzedaży napojów alkoholowych w tym miejscu: %s%s%s%s%s%s.",
                                    yes ? "zgodny z uchwałami rady gminy dla kategorii " : "", yes ? yes : "",
                                    no ? (yes ? "; niezgodny dla " : "niezgodny dla ") : "", no ? no : "",
                                    maybe ? "; do sprawdzenia dla " : "", maybe ? maybe : "");
    return json_pack("{s:s, s:o, s:o, s:o, s:{s:o, s:o}, s:o, s:s}", "date", c->today, "unit", jstr(c->unit), "options",
                     opts, "distance_rules", rules, "zoning", "on", zone[1] ? zone[1] : json_null(), "off",
                     zone[0] ? zone[0] : json_null(), "night_ban", night, "summary", text);
}

enum err_code permits_summary(struct gis_store *r, struct arena *a, const struct svc_place *p, json_t **out,
                              struct err *e)
{
    char today[11];
    permits_today(today);
    struct chk c = {.r = r, .a = a, .p = p, .today = today, .allowed = true, .quick = true};
    c.unit = permits_store_unit(r, a, p->parcel_id);
    c.reasons = json_array();
    struct permits_limit lim[MAX_LIMITS * 6];
    int nl = 0;
    const struct gis_zone_hit *hit = NULL;
    json_t *rules = NULL, *zone[2] = {NULL, NULL}, *night = NULL;
    if (permits_store_limits(r, a, 0, NULL, c.unit ? c.unit : "", today, lim, MAX_LIMITS * 6, &nl, e) ||
        !(rules = check_rules(&c, e)) || zone_at(&c, &hit, e))
        goto fail;
    if (hit && (!(zone[0] = zone_use(&c, hit, "retail", e)) || !(zone[1] = zone_use(&c, hit, "catering", e))))
        goto fail;
    c.sale = "off"; /* the night ban bears on sale off the premises only */
    if (!(night = check_night(&c, e)))
        goto fail;
    size_t i;
    json_t *ru;
    json_array_foreach(rules, i, ru)
    { /* the short answer: what /permits/check gives in full is left out */
        json_object_del(ru, "resolution");
        json_object_del(ru, "graph");
        json_object_del(json_object_get(ru, "nearest"), "kind");
    }
    json_t *opts = json_array();
    for (int k = 0; k < 6; k++)
        json_array_append_new(opts, option(&c, lim, nl, rules, zone, "ABC"[k % 3], k < 3 ? "on" : "off"));
    permits_graph_free(c.g);
    json_decref(c.reasons);
    *out = summary_json(&c, opts, rules, zone, night);
    return *out ? ERR_OK : err_set(e, ERR_INTERNAL, "out of memory");
fail:
    permits_graph_free(c.g);
    json_decref(c.reasons);
    json_decref(rules);
    json_decref(zone[0]);
    json_decref(zone[1]);
    return e->code ? e->code : err_set(e, ERR_INTERNAL, "out of memory");
}

void permits_check_hours(json_t *answer, struct arena *a, const char *hours)
{
    json_t *bans = json_object_get(answer, "night_ban"), *reasons = json_object_get(answer, "reasons");
    if (!hours || !json_array_size(bans))
        return;
    const char *verdict = "ok";
    size_t i;
    json_t *b;
    json_array_foreach(bans, i, b)
    {
        int f, t;
        const char *from = json_string_value(json_object_get(b, "from")),
                   *to = json_string_value(json_object_get(b, "to"));
        int o = permits_hours_overlap(hours, from, to, &f, &t);
        if (o < 0) {
            verdict = "unreadable";
            json_array_append_new(
                reasons, json_string(arena_printf(a,
                                                  "Godzin otwarcia „%s” nie da się odczytać; sprawdź je z nocnym "
                                                  "zakazem sprzedaży %s–%s.",
                                                  hours, from, to)));
            break;
        }
        if (o > 0) {
            verdict = "overlaps_ban";
            json_array_append_new(reasons, json_string(arena_printf(
                                               a,
                                               "Punkt ma być otwarty (%s) także w godzinach nocnego zakazu sprzedaży "
                                               "%s–%s (od %02d:%02d do %02d:%02d): w tych godzinach nie wolno w nim "
                                               "sprzedawać napojów alkoholowych.",
                                               hours, from, to, f / 60, f % 60, t / 60 % 24, t % 60)));
            break;
        }
    }
    json_object_set_new(answer, "hours", json_pack("{s:s, s:s}", "hours", hours, "verdict", verdict));
}
