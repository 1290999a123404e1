/* Tests for gis/coverage: gaps, slivers, overlaps and zones outside the reference on small hand-made
 * coverages, with and without a reference; the gmina's territory. */
#include "gis/coverage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test.h"

static GEOSContextHandle_t h;

static GEOSGeometry *wkt(const char *s)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *g = GEOSWKTReader_read_r(h, r, s);
    GEOSWKTReader_destroy_r(h, r);
    return g;
}

struct zones {
    GEOSGeometry *g[16];
    const char *name[16];
    size_t n;
    int reads;
};

static GEOSGeometry *get(void *user, size_t i)
{
    struct zones *z = user;
    z->reads++;
    return GEOSGeom_clone_r(h, z->g[i]);
}

static const char *name(void *user, size_t i)
{
    return ((struct zones *)user)->name[i];
}

static void add(struct zones *z, const char *n, const char *w)
{
    z->name[z->n] = n;
    z->g[z->n++] = wkt(w);
}

static void zones_free(struct zones *z)
{
    for (size_t i = 0; i < z->n; i++)
        GEOSGeom_destroy_r(h, z->g[i]);
}

/* 2 x 2 squares of 100 m; the fourth as given. */
static void grid(struct zones *z, const char *fourth)
{
    memset(z, 0, sizeof *z);
    add(z, "A", "POLYGON((0 0,100 0,100 100,0 100,0 0))");
    add(z, "B", "POLYGON((100 0,200 0,200 100,100 100,100 0))");
    add(z, "C", "POLYGON((0 100,100 100,100 200,0 200,0 100))");
    add(z, "D", fourth);
}

static struct gis_report *check(struct zones *z, const char *ref, long *ov)
{
    struct gis_report *rp = gis_report_new();
    GEOSGeometry *r = ref ? wkt(ref) : NULL;
    struct gis_zone_source src = {z->n, get, name, z};
    struct gis_coverage_opts o = {.tolerance_m2 = 1.0, .overlap = GIS_SEV_ERROR, .plan = "P"};
    struct err e = {0};
    CHECK(gis_coverage_check(h, &src, r, &o, rp, ov, &e) == ERR_OK);
    if (r)
        GEOSGeom_destroy_r(h, r);
    return rp;
}

static const char *SQUARE = "POLYGON((0 0,200 0,200 200,0 200,0 0))";

static void exact(void)
{
    struct zones z;
    grid(&z, "POLYGON((100 100,200 100,200 200,100 200,100 100))");
    long ov = -1;
    struct gis_report *rp = check(&z, SQUARE, &ov);
    CHECK(gis_report_count(rp, GIS_SEV_ERROR) == 0 && gis_report_count(rp, GIS_SEV_WARNING) == 0 && ov == 0);
    CHECK(z.reads == 4); /* each zone read once: no overlay, no pair search was needed */
    gis_report_free(rp);
    zones_free(&z);
}

static void gap_with_and_without_reference(void)
{
    struct zones z;
    /* D stops 10 m short of the east edge: a 10 x 100 m gap on the boundary */
    grid(&z, "POLYGON((100 100,190 100,190 200,100 200,100 100))");
    struct gis_report *rp = check(&z, SQUARE, NULL);
    CHECK(gis_report_rule_count(rp, "LUKA") == 1);
    gis_report_free(rp);
    /* without a reference that gap is outside: nothing to say */
    rp = check(&z, NULL, NULL);
    CHECK(gis_report_count(rp, GIS_SEV_ERROR) == 0);
    gis_report_free(rp);
    zones_free(&z);
    /* a hole in the middle that the zones enclose is a gap even without a reference */
    memset(&z, 0, sizeof z);
    add(&z, "A", "POLYGON((0 0,200 0,200 50,0 50,0 0))");
    add(&z, "B", "POLYGON((0 150,200 150,200 200,0 200,0 150))");
    add(&z, "C", "POLYGON((0 50,50 50,50 150,0 150,0 50))");
    add(&z, "D", "POLYGON((150 50,200 50,200 150,150 150,150 50))");
    rp = check(&z, NULL, NULL);
    CHECK(gis_report_rule_count(rp, "LUKA") == 1);
    gis_report_free(rp);
    zones_free(&z);
    /* a zone's inner corner pulled in: the gap touches the outside only at two corners, still a gap */
    grid(&z, "POLYGON((100 100,200 100,200 200,100 200,100 100))");
    GEOSGeom_destroy_r(h, z.g[0]);
    z.g[0] = wkt("POLYGON((0 0,100 0,75 75,0 100,0 0))");
    rp = check(&z, NULL, NULL);
    CHECK(gis_report_rule_count(rp, "LUKA") == 1);
    gis_report_free(rp);
    zones_free(&z);
}

static void slivers(void)
{
    struct zones z;
    /* a 0.5 m² triangle (0.01 m wide over 100 m): under the tolerance, a warning */
    grid(&z, "POLYGON((100 100,200 100,200 199.99,100 200,100 100))");
    struct gis_report *rp = check(&z, SQUARE, NULL);
    CHECK(gis_report_rule_count(rp, "LUKA-DROBNA") == 1 && gis_report_count(rp, GIS_SEV_ERROR) == 0);
    gis_report_free(rp);
    zones_free(&z);
    /* 5 m² but 5 mm wide over a kilometre: thin, so a sliver whatever its area */
    memset(&z, 0, sizeof z);
    add(&z, "A", "POLYGON((0 0,1000 0,1000 100,0 100,0 0))");
    add(&z, "B", "POLYGON((0 100.01,1000 100,1000 200,0 200,0 100.01))");
    rp = check(&z, "POLYGON((0 0,1000 0,1000 200,0 200,0 0))", NULL);
    CHECK(gis_report_rule_count(rp, "LUKA-DROBNA") == 1 && gis_report_count(rp, GIS_SEV_ERROR) == 0);
    gis_report_free(rp);
    zones_free(&z);
}

static void overlaps_and_outside(void)
{
    struct zones z;
    grid(&z, "POLYGON((90 90,200 90,200 200,90 200,90 90))");
    long ov = 0;
    struct gis_report *rp = check(&z, SQUARE, &ov);
    CHECK(gis_report_rule_count(rp, "NAKLADANIE") == 3 && ov == 3);
    gis_report_free(rp);
    zones_free(&z);
    /* D reaches 20 m beyond the plan */
    grid(&z, "POLYGON((100 100,220 100,220 200,100 200,100 100))");
    rp = check(&z, SQUARE, NULL);
    CHECK(gis_report_rule_count(rp, "POZA-GRANICA-PLANU") == 1 && gis_report_rule_count(rp, "LUKA") == 0);
    gis_report_free(rp);
    zones_free(&z);
    /* overlaps as warnings (MPZP zones) */
    grid(&z, "POLYGON((90 90,200 90,200 200,90 200,90 90))");
    struct gis_report *r2 = gis_report_new();
    struct gis_zone_source src = {z.n, get, name, &z};
    struct gis_coverage_opts o = {.tolerance_m2 = 1.0, .overlap = GIS_SEV_WARNING};
    struct err e = {0};
    CHECK(gis_coverage_check(h, &src, NULL, &o, r2, NULL, &e) == ERR_OK);
    CHECK(gis_report_count(r2, GIS_SEV_ERROR) == 0 && gis_report_rule_count(r2, "NAKLADANIE") == 3);
    gis_report_free(r2);
    zones_free(&z);
}

static void territory(void)
{
    GEOSGeometry *b = wkt(SQUARE);
    struct gis_territory *t = gis_territory_new(h, b, 1.0);
    CHECK(t != NULL);
    double out, pt[2];
    GEOSGeometry *in = wkt("POLYGON((10 10,20 10,20 20,10 20,10 10))");
    GEOSGeometry *edge = wkt("POLYGON((190 10,200.5 10,200.5 20,190 20,190 10))"); /* within 1 m */
    GEOSGeometry *far = wkt("POLYGON((190 10,250 10,250 20,190 20,190 10))");
    GEOSGeometry *pt_out = wkt("POINT(500 500)");
    CHECK(gis_territory_holds(t, in, &out, pt));
    CHECK(gis_territory_holds(t, edge, &out, pt));
    CHECK(!gis_territory_holds(t, far, &out, pt) && fabs(out - 500) < 1e-6 && pt[0] > 200);
    CHECK(!gis_territory_holds(t, pt_out, &out, pt) && out == 0 && pt[0] == 500);
    GEOSGeom_destroy_r(h, in);
    GEOSGeom_destroy_r(h, edge);
    GEOSGeom_destroy_r(h, far);
    GEOSGeom_destroy_r(h, pt_out);
    gis_territory_free(t);
    GEOSGeom_destroy_r(h, b);
}

int main(void)
{
    h = GEOS_init_r();
    RUN(exact);
    RUN(gap_with_and_without_reference);
    RUN(slivers);
    RUN(overlaps_and_outside);
    RUN(territory);
    GEOS_finish_r(h);
    return test_done();
}
