/* Coverage of a plan by its zones and the gmina's territory, with GEOS. */
#include "gis/coverage.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool coverage_point(GEOSContextHandle_t h, const GEOSGeometry *g, double pt[2])
{
    GEOSGeometry *p = GEOSPointOnSurface_r(h, g);
    bool ok = p && !GEOSisEmpty_r(h, p) && GEOSGeomGetX_r(h, p, &pt[0]) == 1 && GEOSGeomGetY_r(h, p, &pt[1]) == 1;
    if (p)
        GEOSGeom_destroy_r(h, p);
    return ok;
}

static double coverage_area(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    double a = 0;
    if (!g || GEOSArea_r(h, g, &a) != 1)
        return 0;
    return a;
}

/* Whether g (polygonal, of area a) is a sliver: too thin to be a gap or overlap someone drew. */
static bool coverage_thin(GEOSContextHandle_t h, const GEOSGeometry *g, double a)
{
    double len = 0;
    return GEOSLength_r(h, g, &len) == 1 && len > 0 && 2 * a / len < GIS_COVERAGE_SLIVER_M;
}

/* Calls fn for every polygon of g (of any nesting). */
static void coverage_parts(GEOSContextHandle_t h, const GEOSGeometry *g, void (*fn)(const GEOSGeometry *, void *),
                           void *user)
{
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_POLYGON) {
        if (!GEOSisEmpty_r(h, g))
            fn(g, user);
    } else if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION)
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++)
            coverage_parts(h, GEOSGetGeometryN_r(h, g, i), fn, user);
}

#define COVERAGE_BATCH_VERTICES 100000 /* zones unioned together before joining the partial unions */
#define COVERAGE_BATCH_ZONES    64
#define COVERAGE_MAX_PAIRS      1000 /* overlapping pairs reported; the search stops there */

struct coverage_ctx {
    GEOSContextHandle_t h;
    const struct gis_coverage_opts *o;
    const struct gis_zone_source *zs;
    struct gis_report *rp;
    GEOSSTRtree *tree;   /* the zones' envelopes, items are indexes + 1 */
    GEOSGeometry **envs; /* the envelopes themselves (owned) */
    bool enclosed;       /* no reference: the gaps are holes the zones enclose */
    char near[300];
};

static void coverage_near_cb(void *item, void *user)
{
    struct coverage_ctx *c = user;
    const char *name = c->zs->name(c->zs->user, (size_t)(uintptr_t)item - 1);
    size_t l = strlen(c->near);
    if (name && l + strlen(name) + 3 < sizeof c->near)
        snprintf(c->near + l, sizeof c->near - l, "%s%s", l ? ", " : "", name);
}

static void coverage_gap(const GEOSGeometry *part, void *user)
{
    struct coverage_ctx *c = user;
    GEOSContextHandle_t h = c->h;
    double a = coverage_area(h, part), pt[2] = {NAN, NAN};
    if (a < GIS_COVERAGE_NOISE_M2)
        return;
    coverage_point(h, part, pt);
    c->near[0] = 0;
    /* the zones around it, so the planner knows where to look */
    GEOSGeometry *box = GEOSEnvelope_r(h, part);
    GEOSGeometry *grown = box ? GEOSBuffer_r(h, box, 0.5, 1) : NULL;
    if (grown && c->tree)
        GEOSSTRtree_query_r(h, c->tree, grown, coverage_near_cb, c);
    if (grown)
        GEOSGeom_destroy_r(h, grown);
    if (box)
        GEOSGeom_destroy_r(h, box);
    bool big = a > c->o->tolerance_m2 && !coverage_thin(h, part, a);
    if (c->enclosed) {
        gis_report_add(c->rp, big ? "LUKA" : "LUKA-DROBNA", c->o->file, c->near[0] ? c->near : NULL, pt, a,
                       "%s otoczona strefami%s%s nie należy do żadnej z nich (tolerancja %.2f m²)",
                       big ? "część obszaru" : "drobna część obszaru", c->o->plan ? " planu " : "",
                       c->o->plan ? c->o->plan : "", c->o->tolerance_m2);
        return;
    }
    gis_report_add(c->rp, big ? "LUKA" : "LUKA-DROBNA", c->o->file, c->near[0] ? c->near : NULL, pt, a,
                   "%s obszaru w granicy %s nie jest pokryta strefami%s%s (tolerancja %.2f m², szczeliny "
                   "węższe niż %.0f cm to drobne luki)",
                   big ? "część" : "drobna część", c->o->reference_what ? c->o->reference_what : "planu",
                   c->o->plan ? " planu " : "", c->o->plan ? c->o->plan : "", c->o->tolerance_m2,
                   GIS_COVERAGE_SLIVER_M * 100);
}

struct coverage_outside {
    struct coverage_ctx *c;
    const char *zone;
};

static void coverage_outside_part(const GEOSGeometry *part, void *user)
{
    struct coverage_outside *x = user;
    struct coverage_ctx *c = x->c;
    double a = coverage_area(c->h, part), pt[2] = {NAN, NAN};
    if (a <= c->o->tolerance_m2 || coverage_thin(c->h, part, a))
        return;
    coverage_point(c->h, part, pt);
    gis_report_add(c->rp, "POZA-GRANICA-PLANU", c->o->file, x->zone, pt, a, "strefa wychodzi poza granicę %s",
                   c->o->reference_what ? c->o->reference_what : "planu");
}

struct coverage_query {
    size_t self, *hits, n, cap;
};

static void coverage_query_cb(void *item, void *user)
{
    struct coverage_query *q = user;
    size_t j = (size_t)(uintptr_t)item - 1;
    if (j <= q->self)
        return;
    if (q->n == q->cap) {
        size_t nc = q->cap ? 2 * q->cap : 16;
        size_t *p = realloc(q->hits, nc * sizeof *p);
        if (!p)
            return;
        q->hits = p, q->cap = nc;
    }
    q->hits[q->n++] = j;
}

/* The union of coll (not consumed): GEOS's cascaded union. (GEOSCoverageUnion, which only drops shared
 * edges, was slower on the benchmark plans of GEOS 3.11 and needs a proper coverage to be right.) */
static GEOSGeometry *coverage_union(GEOSContextHandle_t h, const GEOSGeometry *coll)
{
    /* one zone (valid: the import made it so) is its own union; an overlay of it with itself is costly */
    if (GEOSGetNumGeometries_r(h, coll) == 1)
        return GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, coll, 0));
    return GEOSUnaryUnion_r(h, coll);
}

#define COVERAGE_LEVELS 48

/* Partial unions by level, like the digits of a binary counter: a new batch union enters level 0 and
 * merges upwards with equals, so every zone takes part in O(log n) merges of parts of similar size, and
 * (with the zones in space-filling-curve order) of compact shape. */
struct coverage_stack {
    GEOSGeometry *at[COVERAGE_LEVELS];
};

static GEOSGeometry *coverage_merge(GEOSContextHandle_t h, GEOSGeometry *a, GEOSGeometry *b)
{
    GEOSGeometry *two[2] = {a, b};
    GEOSGeometry *pair = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, two, 2);
    if (!pair) {
        GEOSGeom_destroy_r(h, a);
        GEOSGeom_destroy_r(h, b);
        return NULL;
    }
    GEOSGeometry *u = coverage_union(h, pair);
    GEOSGeom_destroy_r(h, pair); /* frees a and b */
    return u;
}

/* Joins the batch (consumed) into the stack. */
static bool coverage_fold(GEOSContextHandle_t h, GEOSGeometry **batch, size_t *nb, struct coverage_stack *st)
{
    if (!*nb)
        return true;
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, batch, (unsigned)*nb);
    if (!coll) {
        for (size_t i = 0; i < *nb; i++)
            GEOSGeom_destroy_r(h, batch[i]);
        *nb = 0;
        return false;
    }
    *nb = 0;
    GEOSGeometry *u = coverage_union(h, coll);
    GEOSGeom_destroy_r(h, coll);
    for (int l = 0; u && l < COVERAGE_LEVELS; l++) {
        if (!st->at[l]) {
            st->at[l] = u;
            return true;
        }
        u = coverage_merge(h, st->at[l], u);
        st->at[l] = NULL;
    }
    return false;
}

/* The union of everything in the stack (emptied). */
static GEOSGeometry *coverage_total(GEOSContextHandle_t h, struct coverage_stack *st)
{
    GEOSGeometry *u = NULL;
    for (int l = 0; l < COVERAGE_LEVELS; l++) {
        if (!st->at[l])
            continue;
        u = u ? coverage_merge(h, u, st->at[l]) : st->at[l];
        st->at[l] = NULL;
    }
    return u;
}

/* Reports the overlapping pairs: neighbours from the envelope tree, each zone read when it is needed. */
static void coverage_pairs(struct coverage_ctx *c, long *overlaps)
{
    GEOSContextHandle_t h = c->h;
    const struct gis_zone_source *zs = c->zs;
    struct coverage_query q = {0};
    long found = 0;
    for (size_t i = 0; i < zs->n && found < COVERAGE_MAX_PAIRS; i++) {
        q.self = i;
        q.n = 0;
        if (c->envs[i])
            GEOSSTRtree_query_r(h, c->tree, c->envs[i], coverage_query_cb, &q);
        if (!q.n)
            continue;
        GEOSGeometry *a = zs->get(zs->user, i);
        const GEOSPreparedGeometry *pa = a ? GEOSPrepare_r(h, a) : NULL;
        for (size_t k = 0; pa && k < q.n && found < COVERAGE_MAX_PAIRS; k++) {
            size_t j = q.hits[k];
            GEOSGeometry *b = zs->get(zs->user, j);
            if (!b)
                continue;
            if (GEOSPreparedIntersects_r(h, pa, b) == 1) {
                GEOSGeometry *x = GEOSIntersection_r(h, a, b);
                double ar = coverage_area(h, x), pt[2] = {NAN, NAN};
                if (ar > GIS_COVERAGE_NOISE_M2) {
                    coverage_point(h, x, pt);
                    const char *ni = zs->name(zs->user, i), *nj = zs->name(zs->user, j);
                    char who[300];
                    snprintf(who, sizeof who, "%s, %s", ni, nj);
                    if (ar > c->o->tolerance_m2 && !coverage_thin(h, x, ar))
                        gis_report_add_sev(c->rp, c->o->overlap, "NAKLADANIE", c->o->file, who, pt, ar,
                                           "strefy %s i %s nakładają się", ni, nj);
                    else
                        gis_report_add(c->rp, "NAKLADANIE-DROBNE", c->o->file, who, pt, ar,
                                       "strefy %s i %s nakładają się nieznacznie (do %.2f m² albo węziej niż %.0f cm)",
                                       ni, nj, c->o->tolerance_m2, GIS_COVERAGE_SLIVER_M * 100);
                    found++;
                }
                if (x)
                    GEOSGeom_destroy_r(h, x);
            }
            GEOSGeom_destroy_r(h, b);
        }
        if (pa)
            GEOSPreparedGeom_destroy_r(h, pa);
        if (a)
            GEOSGeom_destroy_r(h, a);
    }
    if (found >= COVERAGE_MAX_PAIRS)
        gis_report_add(c->rp, "NAKLADANIE", c->o->file, NULL, NULL, NAN,
                       "przerwano szukanie po %d parach nakładających się stref", COVERAGE_MAX_PAIRS);
    free(q.hits);
    if (overlaps)
        *overlaps = found;
}

/* With no act and no gmina to measure against: still, a hole that zones enclose on every side is a gap;
 * also one that touches the outside at single points (a zone's corner pulled in), which the union u,
 * widened by a millimetre, closes into a hole. */
static void coverage_enclosed_gaps(struct coverage_ctx *c, const GEOSGeometry *u)
{
    GEOSContextHandle_t h = c->h;
    GEOSGeometry *wide = GEOSBuffer_r(h, u, 0.001, 2);
    c->enclosed = true;
    for (int i = 0; wide && i < GEOSGetNumGeometries_r(h, wide); i++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(h, wide, i);
        for (int k = 0; GEOSGeomTypeId_r(h, poly) == GEOS_POLYGON && k < GEOSGetNumInteriorRings_r(h, poly); k++) {
            GEOSGeometry *ring = GEOSGeom_clone_r(h, GEOSGetInteriorRingN_r(h, poly, k));
            GEOSGeometry *hole = ring ? GEOSGeom_createPolygon_r(h, ring, NULL, 0) : NULL;
            if (hole) {
                coverage_gap(hole, c);
                GEOSGeom_destroy_r(h, hole);
            }
        }
    }
    if (wide)
        GEOSGeom_destroy_r(h, wide);
}

/* Parts of zones beyond the reference (pref: it prepared), zone by zone, only when their union u sticks out
 * at all. */
static void coverage_outside_zones(struct coverage_ctx *c, const GEOSGeometry *reference,
                                   const GEOSPreparedGeometry *pref, const GEOSGeometry *u)
{
    GEOSContextHandle_t h = c->h;
    const struct gis_zone_source *zs = c->zs;
    GEOSGeometry *out = u ? GEOSDifference_r(h, u, reference) : NULL;
    double oa = coverage_area(h, out);
    if (out && oa > c->o->tolerance_m2 && !coverage_thin(h, out, oa)) {
        for (size_t i = 0; pref && i < zs->n; i++) {
            GEOSGeometry *g = zs->get(zs->user, i);
            if (!g)
                continue;
            if (GEOSPreparedCovers_r(h, pref, g) != 1) {
                GEOSGeometry *d = GEOSDifference_r(h, g, reference);
                struct coverage_outside x = {c, zs->name(zs->user, i)};
                if (d) {
                    coverage_parts(h, d, coverage_outside_part, &x);
                    GEOSGeom_destroy_r(h, d);
                }
            }
            GEOSGeom_destroy_r(h, g);
        }
    }
    if (out)
        GEOSGeom_destroy_r(h, out);
}

enum err_code gis_coverage_check(GEOSContextHandle_t h, const struct gis_zone_source *zs, const GEOSGeometry *reference,
                                 const struct gis_coverage_opts *o, struct gis_report *rp, long *overlaps,
                                 struct err *e)
{
    if (overlaps)
        *overlaps = 0;
    size_t n = zs->n;
    if (!n && !reference)
        return ERR_OK;
    struct coverage_ctx c = {.h = h, .o = o, .zs = zs, .rp = rp};
    c.tree = GEOSSTRtree_create_r(h, 10);
    c.envs = calloc(n ? n : 1, sizeof *c.envs);
    GEOSGeometry **batch = calloc(n ? n : 1, sizeof *batch);
    if (!c.tree || !c.envs || !batch) {
        if (c.tree)
            GEOSSTRtree_destroy_r(h, c.tree);
        free(c.envs);
        free(batch);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    /* Pass 1: areas, envelopes and the union, one batch of zones at a time. */
    enum err_code rc = ERR_OK;
    double sum = 0;
    size_t nb = 0, vertices = 0;
    GEOSGeometry *u = NULL;
    struct coverage_stack stack = {{0}};
    /* Each zone is tested against the prepared reference as it passes (cheap: its vertices and edges
     * against the reference's index), so the overlay of the whole union with the reference, the memory
     * peak of a big plan, is needed only when a zone sticks out or the areas leave a gap. */
    const GEOSPreparedGeometry *pref = reference ? GEOSPrepare_r(h, reference) : NULL;
    bool inside = true;
    for (size_t i = 0; i < n && !rc; i++) {
        GEOSGeometry *g = zs->get(zs->user, i);
        if (!g)
            continue;
        sum += coverage_area(h, g);
        if (pref && inside && GEOSPreparedCovers_r(h, pref, g) != 1)
            inside = false;
        c.envs[i] = GEOSEnvelope_r(h, g);
        if (c.envs[i])
            GEOSSTRtree_insert_r(h, c.tree, c.envs[i], (void *)(uintptr_t)(i + 1));
        batch[nb++] = g;
        int np = GEOSGetNumCoordinates_r(h, g);
        vertices += np > 0 ? (size_t)np : 0;
        if (vertices >= COVERAGE_BATCH_VERTICES || nb >= COVERAGE_BATCH_ZONES) {
            if (!coverage_fold(h, batch, &nb, &stack))
                rc = err_set(e, ERR_UNPROCESSABLE, "GEOS cannot union the zones");
            vertices = 0;
        }
    }
    if (!rc && !coverage_fold(h, batch, &nb, &stack))
        rc = err_set(e, ERR_UNPROCESSABLE, "GEOS cannot union the zones");
    u = coverage_total(h, &stack);
    if (!rc && n && !u)
        rc = err_set(e, ERR_UNPROCESSABLE, "GEOS cannot union the zones");
    free(batch);
    /* Overlaps: the zones' areas add up to more than their union's only when some overlap. */
    if (!rc && n > 1 && sum - coverage_area(h, u) > GIS_COVERAGE_NOISE_M2)
        coverage_pairs(&c, overlaps);
    bool gaps =
        !u || !inside || (reference && coverage_area(h, reference) - coverage_area(h, u) > GIS_COVERAGE_NOISE_M2);
    if (!rc && !reference && u)
        coverage_enclosed_gaps(&c, u);
    if (!rc && reference && gaps) {
        GEOSGeometry *gap = u ? GEOSDifference_r(h, reference, u) : GEOSGeom_clone_r(h, reference);
        if (!gap)
            rc = err_set(e, ERR_UNPROCESSABLE, "GEOS cannot compute the gaps between zones");
        else {
            coverage_parts(h, gap, coverage_gap, &c);
            GEOSGeom_destroy_r(h, gap);
        }
    }
    if (!rc && reference && !inside)
        coverage_outside_zones(&c, reference, pref, u);
    if (pref)
        GEOSPreparedGeom_destroy_r(h, pref);
    if (u)
        GEOSGeom_destroy_r(h, u);
    GEOSSTRtree_destroy_r(h, c.tree);
    for (size_t i = 0; i < n; i++)
        if (c.envs[i])
            GEOSGeom_destroy_r(h, c.envs[i]);
    free(c.envs);
    return rc;
}

struct gis_territory {
    GEOSContextHandle_t h;
    const GEOSGeometry *boundary;
    GEOSGeometry *grown;
    const GEOSPreparedGeometry *prep;
};

struct gis_territory *gis_territory_new(GEOSContextHandle_t h, const GEOSGeometry *boundary, double tolerance_m)
{
    struct gis_territory *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->h = h;
    t->boundary = boundary;
    t->grown = tolerance_m > 0 ? GEOSBuffer_r(h, boundary, tolerance_m, 2) : GEOSGeom_clone_r(h, boundary);
    t->prep = t->grown ? GEOSPrepare_r(h, t->grown) : NULL;
    if (!t->prep) {
        gis_territory_free(t);
        return NULL;
    }
    return t;
}

bool gis_territory_holds(struct gis_territory *t, const GEOSGeometry *g, double *outside_m2, double pt[2])
{
    *outside_m2 = 0;
    pt[0] = pt[1] = NAN;
    if (GEOSPreparedCovers_r(t->h, t->prep, g) == 1)
        return true;
    GEOSGeometry *d = GEOSDifference_r(t->h, g, t->boundary);
    if (d) {
        *outside_m2 = coverage_area(t->h, d);
        if (!coverage_point(t->h, d, pt)) {
            GEOSGeometry *p = GEOSGetNumGeometries_r(t->h, d) > 0 ? GEOSGetCentroid_r(t->h, d) : NULL;
            if (p) {
                GEOSGeomGetX_r(t->h, p, &pt[0]);
                GEOSGeomGetY_r(t->h, p, &pt[1]);
                GEOSGeom_destroy_r(t->h, p);
            }
        }
        GEOSGeom_destroy_r(t->h, d);
    }
    return false;
}

void gis_territory_free(struct gis_territory *t)
{
    if (!t)
        return;
    if (t->prep)
        GEOSPreparedGeom_destroy_r(t->h, t->prep);
    if (t->grown)
        GEOSGeom_destroy_r(t->h, t->grown);
    free(t);
}
