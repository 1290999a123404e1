/* Coverage of a plan by its zones and the gmina's territory, with GEOS. */
#include "gis/coverage.h"

#include <math.h>
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

struct coverage_ctx {
    GEOSContextHandle_t h;
    const struct gis_coverage_opts *o;
    struct gis_report *rp;
    GEOSSTRtree *tree; /* the zones, for naming the neighbours of a gap */
    GEOSGeometry *const *zones;
    const char *const *names;
    size_t n;
    int gaps;
    char near[300];
};

static void coverage_near_cb(void *item, void *user)
{
    struct coverage_ctx *c = user;
    size_t i = (size_t)((GEOSGeometry *const *)item - c->zones);
    size_t l = strlen(c->near);
    if (l + strlen(c->names[i]) + 3 < sizeof c->near)
        snprintf(c->near + l, sizeof c->near - l, "%s%s", l ? ", " : "", c->names[i]);
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
    if (c->tree) {
        /* the zones around it, so the planner knows where to look */
        GEOSGeometry *box = GEOSEnvelope_r(h, part);
        GEOSGeometry *grown = box ? GEOSBuffer_r(h, box, 0.5, 1) : NULL;
        if (grown)
            GEOSSTRtree_query_r(h, c->tree, grown, coverage_near_cb, c);
        if (grown)
            GEOSGeom_destroy_r(h, grown);
        if (box)
            GEOSGeom_destroy_r(h, box);
    }
    bool big = a > c->o->tolerance_m2;
    c->gaps++;
    gis_report_add(c->rp, big ? "LUKA" : "LUKA-DROBNA", c->o->file, c->near[0] ? c->near : NULL, pt, a,
                   "%s obszaru w granicy %s nie jest pokryta strefami%s%s (tolerancja %.2f m²)",
                   big ? "część" : "drobna część", c->o->reference_what ? c->o->reference_what : "planu",
                   c->o->plan ? " planu " : "", c->o->plan ? c->o->plan : "", c->o->tolerance_m2);
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
    if (a <= c->o->tolerance_m2)
        return;
    coverage_point(c->h, part, pt);
    gis_report_add(c->rp, "POZA-GRANICA-PLANU", c->o->file, x->zone, pt, a, "strefa wychodzi poza granicę %s",
                   c->o->reference_what ? c->o->reference_what : "planu");
}

struct coverage_query {
    GEOSGeometry *const *zones;
    size_t self, *hits, n, cap;
};

static void coverage_query_cb(void *item, void *user)
{
    struct coverage_query *q = user;
    size_t j = (size_t)((GEOSGeometry *const *)item - q->zones);
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

enum err_code gis_coverage_check(GEOSContextHandle_t h, GEOSGeometry *const *zones, const char *const *names, size_t n,
                                 const GEOSGeometry *reference, const struct gis_coverage_opts *o,
                                 struct gis_report *rp, long *overlaps, struct err *e)
{
    if (overlaps)
        *overlaps = 0;
    if (!n && !reference)
        return ERR_OK;
    struct coverage_ctx c = {.h = h, .o = o, .rp = rp, .zones = zones, .names = names, .n = n};
    c.tree = GEOSSTRtree_create_r(h, 10);
    if (!c.tree)
        return err_set(e, ERR_INTERNAL, "GEOS: cannot build an STRtree");
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        GEOSSTRtree_insert_r(h, c.tree, zones[i], (void *)&zones[i]);
        sum += coverage_area(h, zones[i]);
    }
    /* One union of all zones (GEOS's cascaded union: O(n log n) in the number of zones). */
    GEOSGeometry *u = NULL;
    if (n) {
        GEOSGeometry **copies = malloc(n * sizeof *copies);
        if (!copies) {
            GEOSSTRtree_destroy_r(h, c.tree);
            return err_set(e, ERR_INTERNAL, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
            copies[i] = GEOSGeom_clone_r(h, zones[i]);
        GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, copies, (unsigned)n);
        free(copies);
        u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
        if (coll)
            GEOSGeom_destroy_r(h, coll);
        if (!u) {
            GEOSSTRtree_destroy_r(h, c.tree);
            return err_set(e, ERR_UNPROCESSABLE, "GEOS cannot union the zones");
        }
    }
    enum err_code rc = ERR_OK;
    /* Overlaps: the zones' areas add up to more than their union's only when some overlap; only then are
     * neighbouring pairs (from the tree) intersected to say which and by how much. */
    double overlap_total = sum - coverage_area(h, u);
    if (n > 1 && overlap_total > GIS_COVERAGE_NOISE_M2) {
        struct coverage_query q = {.zones = zones};
        for (size_t i = 0; i < n; i++) {
            q.self = i;
            q.n = 0;
            GEOSSTRtree_query_r(h, c.tree, zones[i], coverage_query_cb, &q);
            if (!q.n)
                continue;
            const GEOSPreparedGeometry *pa = GEOSPrepare_r(h, zones[i]);
            for (size_t k = 0; pa && k < q.n; k++) {
                size_t j = q.hits[k];
                if (GEOSPreparedIntersects_r(h, pa, zones[j]) != 1)
                    continue;
                GEOSGeometry *x = GEOSIntersection_r(h, zones[i], zones[j]);
                double a = coverage_area(h, x), pt[2] = {NAN, NAN};
                if (a > GIS_COVERAGE_NOISE_M2) {
                    coverage_point(h, x, pt);
                    char who[300];
                    snprintf(who, sizeof who, "%s, %s", names[i], names[j]);
                    bool big = a > o->tolerance_m2;
                    if (big)
                        gis_report_add_sev(rp, o->overlap, "NAKLADANIE", o->file, who, pt, a,
                                           "strefy %s i %s nakładają się", names[i], names[j]);
                    else
                        gis_report_add(rp, "NAKLADANIE-DROBNE", o->file, who, pt, a,
                                       "strefy %s i %s nakładają się nieznacznie (tolerancja %.2f m²)", names[i],
                                       names[j], o->tolerance_m2);
                    if (overlaps)
                        (*overlaps)++;
                }
                if (x)
                    GEOSGeom_destroy_r(h, x);
            }
            if (pa)
                GEOSPreparedGeom_destroy_r(h, pa);
        }
        free(q.hits);
    }
    if (reference) {
        GEOSGeometry *gap = u ? GEOSDifference_r(h, reference, u) : GEOSGeom_clone_r(h, reference);
        if (!gap)
            rc = err_set(e, ERR_UNPROCESSABLE, "GEOS cannot compute the gaps between zones");
        else {
            coverage_parts(h, gap, coverage_gap, &c);
            GEOSGeom_destroy_r(h, gap);
        }
        /* Parts of zones beyond the reference, zone by zone, only when the union sticks out at all. */
        GEOSGeometry *out = u && !rc ? GEOSDifference_r(h, u, reference) : NULL;
        if (out && coverage_area(h, out) > o->tolerance_m2) {
            const GEOSPreparedGeometry *pref = GEOSPrepare_r(h, reference);
            for (size_t i = 0; pref && i < n; i++) {
                if (GEOSPreparedCovers_r(h, pref, zones[i]) == 1)
                    continue;
                GEOSGeometry *d = GEOSDifference_r(h, zones[i], reference);
                struct coverage_outside x = {&c, names[i]};
                if (d) {
                    coverage_parts(h, d, coverage_outside_part, &x);
                    GEOSGeom_destroy_r(h, d);
                }
            }
            if (pref)
                GEOSPreparedGeom_destroy_r(h, pref);
        }
        if (out)
            GEOSGeom_destroy_r(h, out);
    }
    if (u)
        GEOSGeom_destroy_r(h, u);
    GEOSSTRtree_destroy_r(h, c.tree);
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
