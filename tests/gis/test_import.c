/* Tests for gis/import: APP samples, GeoJSON/CSV/zipped Shapefile sources, mapping errors, hostile files
 * and all-or-nothing failures, each on a fresh store. Samples come from $ODRA_SHARED/data/app, fixtures
 * from tests/fixtures/import (relative to $ODRA_ROOT, default the current directory). */
#include "gis/import.h"

#include <cpl_error.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "gis/store_sql.h"
#include "tests/test.h"

static char dir[] = "/tmp/odra-test-import-XXXXXX";
static char shared[512], root[512];

/* Paths: each call returns one of a few rotating static buffers. */
static const char *path_in(const char *base, const char *sub, const char *name)
{
    static char bufs[8][1024];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s%s", base, sub, name);
    return b;
}
#define APP(name) path_in(shared, "data/app/", name)
#define FIX(name) path_in(root, "tests/fixtures/import/", name)
#define TMP(name) path_in(dir, "", name)

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

/* A fresh, migrated, closed store; the path stays valid until the next call. */
static const char *new_store(const char *name)
{
    static char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char side[1100];
    unlink(p);
    snprintf(side, sizeof side, "%s-wal", p);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", p);
    unlink(side);
    struct err e = {0};
    struct gis_store *w = NULL;
    if (gis_store_open(p, GIS_STORE_CREATE, &w, &e) != ERR_OK)
        printf("  cannot create %s: %s\n", p, e.msg);
    gis_store_close(w);
    return p;
}

struct result {
    enum err_code rc;
    struct err e;
    struct gis_import_stats st;
    char *report;
    size_t len;
};

static void result_free(struct result *r)
{
    free(r->report);
    memset(r, 0, sizeof *r);
}

/* Opens the store as writer, imports, closes it again (so the files can be compared afterwards). */
static enum err_code import_files(const char *store, const char *const *files, int n, const char *collection,
                                  const char *preset, const char *map, const char *s_srs, struct result *r)
{
    memset(r, 0, sizeof *r);
    struct gis_store *w = NULL;
    if (gis_store_open(store, GIS_STORE_WRITE, &w, &r->e) != ERR_OK)
        return r->rc = r->e.code;
    FILE *rep = open_memstream(&r->report, &r->len);
    struct gis_import_opts o = {.collection = collection, .preset = preset, .map = map, .s_srs = s_srs};
    r->rc = gis_import_run(w, files, n, &o, &r->st, rep, &r->e);
    fclose(rep);
    gis_store_close(w);
    return r->rc;
}

static enum err_code import_one(const char *store, const char *file, const char *collection, const char *preset,
                                const char *map, const char *s_srs, struct result *r)
{
    const char *files[] = {file};
    return import_files(store, files, 1, collection, preset, map, s_srs, r);
}

static bool has(const struct result *r, const char *needle)
{
    return r->report && strcasestr(r->report, needle) != NULL;
}

/* One value from a query on a read-only connection; NAN / NULL when there is no row. */
static double q_num(const char *store, const char *sql)
{
    struct err e = {0};
    struct gis_store *s = NULL;
    double v = NAN;
    if (gis_store_open(store, GIS_STORE_READ, &s, &e) != ERR_OK)
        return v;
    sqlite3_stmt *st;
    if (gis_store_prepare(s, sql, &st, &e) == ERR_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            v = sqlite3_column_double(st, 0);
        sqlite3_finalize(st);
    } else
        printf("  %s\n", e.msg);
    gis_store_close(s);
    return v;
}

static char *q_text(const char *store, const char *sql)
{
    struct err e = {0};
    struct gis_store *s = NULL;
    char *v = NULL;
    if (gis_store_open(store, GIS_STORE_READ, &s, &e) != ERR_OK)
        return NULL;
    sqlite3_stmt *st;
    if (gis_store_prepare(s, sql, &st, &e) == ERR_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            v = strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    } else
        printf("  %s\n", e.msg);
    gis_store_close(s);
    return v;
}

#define CHECK_Q(store, sql, want)                                                                                      \
    do {                                                                                                               \
        char *got_ = q_text(store, sql);                                                                               \
        CHECK_STR(got_, want);                                                                                         \
        free(got_);                                                                                                    \
    } while (0)

/* The bytes of the store file and its WAL (if any), for "byte-identical" checks on a closed store. */
struct snap {
    char *data;
    size_t len;
};

static void slurp_append(const char *path, struct snap *s)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        char *d = realloc(s->data, s->len + n);
        if (!d)
            break;
        s->data = d;
        memcpy(s->data + s->len, buf, n);
        s->len += n;
    }
    fclose(f);
}

static struct snap snapshot(const char *store)
{
    struct snap s = {0};
    char wal[1100];
    slurp_append(store, &s);
    snprintf(wal, sizeof wal, "%s-wal", store);
    slurp_append(wal, &s);
    return s;
}

static bool snap_same(const struct snap *a, const struct snap *b)
{
    return a->len == b->len && a->len > 0 && memcmp(a->data, b->data, a->len) == 0;
}

/* The area of all features of a source, in its own CRS (for "area preserved" checks). */
static double source_area(const char *path)
{
    const char *const oo[] = {"WRITE_GFS=NO", "DOWNLOAD_SCHEMA=NO", NULL};
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, oo, NULL);
    double sum = 0;
    CPLPopErrorHandler();
    if (!ds)
        return NAN;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l))) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g)
            sum += OGR_G_Area(g);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    CPLPopErrorHandler();
    return sum;
}

static void make_zip(const char *path, const char *const *names, const void *const *data, const size_t *lens, int n)
{
    int zerr;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    if (!za)
        return;
    for (int i = 0; i < n; i++) {
        zip_source_t *src = zip_source_buffer(za, data[i], lens[i], 0);
        if (src && zip_file_add(za, names[i], src, ZIP_FL_ENC_UTF_8) < 0)
            zip_source_free(src);
    }
    zip_close(za);
}

/* ---- APP samples ---- */

static void app_strefy_ok(void)
{
    const char *s = new_store("strefy.sqlite"), *gml = APP("2_strefy_StrefaPlanistyczna_OK.gml");
    struct result r;
    CHECK(import_one(s, gml, "pog-zones", "app-strefy", NULL, NULL, &r) == ERR_OK);
    if (r.rc)
        printf("  %s\n", r.e.msg);
    CHECK(r.st.read == 4 && r.st.imported == 4 && r.st.repaired == 0 && r.st.rejected == 0 && r.st.overlaps == 0);
    CHECK(has(&r, "placeholder"));
    CHECK_Q(s, "SELECT group_concat(label, ',') FROM (SELECT label FROM pog_zones ORDER BY label)", "1SJ,1SP,1SU,1SZ");
    CHECK_Q(s, "SELECT symbol || '|' || name FROM pog_zones WHERE label = '1SJ'",
            "SJ|strefa wielofunkcyjna z zabudową mieszkaniową jednorodzinną");
    CHECK(q_num(s, "SELECT count(*) FROM pog_zones WHERE max_intensity = 0.9 AND max_coverage_pct = 30.1 AND "
                   "max_height_m = 15.5 AND min_bio_pct = 30.1") == 4);
    /* EPSG:2178 (zone 7, northing first) near 19.3 E 50.3 N lands at x ~ 520 km, y ~ 270 km in EPSG:2180:
     * x is the easting, so the axis order survived. */
    CHECK(q_num(s, "SELECT count(*) FROM pog_zones WHERE MbrMinX(geom) > 500000 AND MbrMaxX(geom) < 550000 AND "
                   "MbrMinY(geom) > 250000 AND MbrMaxY(geom) < 300000 AND ST_SRID(geom) = 2180") == 4);
    double a2180 = q_num(s, "SELECT sum(ST_Area(geom)) FROM pog_zones"), a2178 = source_area(gml);
    CHECK(fabs(a2180 / a2178 - 1) < 0.005);
    CHECK(q_num(s, "SELECT count(*) FROM idx_pog_zones_geom") == 4);
    CHECK_Q(s, "SELECT kind || '|' || iip FROM plans", "pog|PL.ZIPPZP.1234/121201-POG/1POG");
    CHECK_Q(s, "SELECT collection || ' ' || read || ' ' || imported FROM imports", "pog-zones 4 4");
    CHECK(q_num(s, "SELECT count(*) FROM imports WHERE started_at GLOB '20[0-9][0-9]-[01][0-9]-[0-3][0-9]T*Z'") == 1);
    result_free(&r);

    /* The act completes the placeholder plan the zones were linked to. */
    CHECK(import_one(s, APP("2_pog_AktPlanowaniaPrzestrzennego.gml"), "plans", "app-akt", NULL, NULL, &r) == ERR_OK);
    CHECK(r.st.imported == 1 && r.st.updated == 1);
    CHECK(q_num(s, "SELECT count(*) FROM plans") == 1);
    CHECK_Q(s, "SELECT title || '|' || status || '|' || valid_from FROM plans",
            "Plan ogólny gminy Testowej|w opracowaniu|2025-08-15");
    CHECK(q_num(s, "SELECT count(*) FROM pog_zones z JOIN plans p ON p.id = z.plan_id") == 4);
    result_free(&r);
}

/* Overlapping POG zones and a self-intersecting ring are errors in APP (the Rejestr refuses them): the
 * import is refused with the rule named and the store stays as it was. */
static void app_strefy_overlap(void)
{
    const char *s = new_store("nakladanie.sqlite");
    struct result r;
    struct snap before = snapshot(s);
    CHECK(import_one(s, APP("2_strefy_StrefaPlanistyczna_NAKLADANIE.gml"), "pog-zones", "app-strefy", NULL, NULL, &r) ==
          ERR_UNPROCESSABLE);
    CHECK(r.st.overlaps == 1 && r.st.errors == 1 && !r.st.written);
    CHECK(
        has(&r, "BŁĄD NAKLADANIE: 1POG-1SJ, 1POG-1SZ: strefy 1POG-1SJ i 1POG-1SZ nakładają się; powierzchnia 446566"));
    CHECK(strstr(r.e.msg, "refused") != NULL);
    struct snap after = snapshot(s);
    CHECK(snap_same(&before, &after));
    free(before.data);
    free(after.data);
    result_free(&r);
}

static void app_strefy_self_intersection(void)
{
    const char *s = new_store("samoprzeciecie.sqlite");
    struct result r;
    struct snap before = snapshot(s);
    CHECK(import_one(s, APP("2_strefy_StrefaPlanistyczna_SAMOPRZECIECIE-PIERSCIENIA.gml"), "pog-zones", "app-strefy",
                     NULL, NULL, &r) == ERR_UNPROCESSABLE);
    CHECK(r.st.repaired + r.st.rejected == 1 && r.st.errors == 1);
    CHECK(has(&r, "BŁĄD SAMOPRZECIECIE-PIERSCIENIA: 1POG-1SJ: odrzucono") && has(&r, "self-intersection"));
    CHECK(has(&r, "(1POG-1SJ)"));
    struct snap after = snapshot(s);
    CHECK(snap_same(&before, &after));
    free(before.data);
    free(after.data);
    result_free(&r);

    /* Outside APP the same ring is repaired, reported as a warning, and imported valid. */
    const char *geo = TMP("bowtie.geojson");
    const char *bowtie = "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
                         "{\"label\":\"1SO\",\"symbol\":\"SO\"},\"geometry\":{\"type\":\"Polygon\","
                         "\"coordinates\":[[[197000,507000],[197100,507100],[197100,507000],[197000,507100],"
                         "[197000,507000]]]}}]}";
    write_file(geo, bowtie, strlen(bowtie));
    CHECK(import_one(s, geo, "pog-zones", NULL, NULL, "EPSG:2180", &r) == ERR_OK);
    CHECK(r.st.repaired == 1 && r.st.errors == 0 && r.st.warnings >= 1);
    CHECK(has(&r, "OSTRZEŻENIE SAMOPRZECIECIE-PIERSCIENIA: 1SO: naprawiono"));
    CHECK(
        q_num(s, "SELECT count(*) FROM pog_zones WHERE ST_IsValid(geom) = 1 AND GeometryType(geom) = 'MULTIPOLYGON'") ==
        1);
    result_free(&r);
}

static void app_akt_pog(void)
{
    const char *s = new_store("akt.sqlite");
    struct result r;
    CHECK(import_one(s, APP("2_pog_AktPlanowaniaPrzestrzennego.gml"), "plans", "app-akt", NULL, NULL, &r) == ERR_OK);
    CHECK(r.st.imported == 1);
    CHECK_Q(s, "SELECT kind || '|' || title || '|' || iip FROM plans",
            "pog|Plan ogólny gminy Testowej|PL.ZIPPZP.1234/121201-POG/1POG");
    CHECK(q_num(s, "SELECT ST_Area(geom) > 1e7 FROM plans") == 1);
    result_free(&r);
}

/* APP 1.0: the official example is a voivodeship plan with a three-point "ring" in degrees: read, and
 * refused with its reasons. An MPZP in the same form imports with resolution, publication and scale. */
static void app1_akt(void)
{
    const char *s = new_store("app1.sqlite");
    struct result r;
    struct snap before = snapshot(s);
    CHECK(import_one(s, APP("app1_example_pzpw.xml"), "plans", "app-akt", NULL, NULL, &r) == ERR_UNPROCESSABLE);
    CHECK(strstr(r.e.msg, "refused") != NULL && r.st.errors >= 2);
    CHECK(has(&r, "BŁĄD BLEDNA-PRZESTRZEN-NAZW: P1") && has(&r, "BŁĄD OBIEKT-ODRZUCONY: P1"));
    CHECK(has(&r, "rejected: app1_example_pzpw.xml: feature 1 (P1)"));
    struct snap after = snapshot(s);
    CHECK(snap_same(&before, &after));
    free(before.data);
    free(after.data);
    result_free(&r);

    CHECK(import_one(s, FIX("mpzp_app1.gml"), "plans", "app-akt", NULL, NULL, &r) == ERR_OK);
    if (r.rc)
        printf("  %s\n", r.e.msg);
    CHECK_Q(s, "SELECT kind || '|' || iip || '|' || scale || '|' || resolution_date || '|' || publication FROM plans",
            "mpzp|PL.ZIPPZP.2480/080505-MPZP/MPZP7|1000|2019-06-27|Dz. Urz. Woj. Lubuskiego z 2019 r. poz. 1734");
    CHECK_Q(s, "SELECT resolution FROM plans",
            "Uchwała nr XII/98/2019 Rady Miejskiej w Słubicach z dnia 27 czerwca 2019 r.");
    /* The posList is northing-first; stored x is the easting. */
    CHECK(q_num(s, "SELECT MbrMinX(geom) = 197600 AND MbrMinY(geom) = 507300 FROM plans") == 1);
    result_free(&r);
}

/* ---- other sources ---- */

static void geojson_parcels_4326(void)
{
    const char *s = new_store("parcels4326.sqlite");
    struct result r;
    CHECK(import_one(s, FIX("parcels_4326.geojson"), "parcels", NULL, NULL, NULL, &r) == ERR_OK);
    CHECK(r.st.read == 4 && r.st.imported == 3 && r.st.repaired == 1 && r.st.rejected == 1);
    CHECK(has(&r, "rejected: parcels_4326.geojson: feature 4 (działka 8): parcel_id"));
    CHECK(has(&r,
              "repaired: parcels_4326.geojson: feature 3 (080505_5.0003.7): Self-intersection at or near point 14.6"));
    CHECK_Q(s, "SELECT group_concat(unit || '.' || number || '=' || name, ';') FROM obreby",
            "080505_4.0001=Słubice 1;080505_5.0003=Kunowice");
    CHECK_Q(s, "SELECT number || '|' || land_use FROM parcels WHERE parcel_id = '080505_4.0001.102/1'", "102/1|dr");
    /* 0.0006 x 0.0004 degrees at 52.35 N: about 40.8 m x 44.5 m */
    CHECK(q_num(s, "SELECT abs(area_m2 - ST_Area(geom)) < 0.01 AND area_m2 BETWEEN 1780 AND 1860 FROM parcels "
                   "WHERE parcel_id = '080505_4.0001.101'") == 1);
    CHECK(q_num(s, "SELECT abs(X(p) - 197742.0) < 0.05 AND abs(Y(p) - 507507.39) < 0.05 FROM (SELECT "
                   "PointN(ExteriorRing(GeometryN(geom, 1)), 1) AS p FROM parcels WHERE parcel_id = "
                   "'080505_4.0001.101')") == 1);
    CHECK(q_num(s, "SELECT count(*) FROM parcels WHERE ST_IsValid(geom)") == 3);
    result_free(&r);
}

static void csv_wkt_2176(void)
{
    const char *s = new_store("csv2176.sqlite");
    struct result r;
    CHECK(import_one(s, FIX("parcels_2176.csv"), "parcels", NULL, NULL, "EPSG:2176", &r) == ERR_OK);
    CHECK(r.st.imported == 2 && r.st.rejected == 0);
    /* 30 x 40 m in EPSG:2176, about 1201 m² in EPSG:2180 (scale factors of the two projections) */
    CHECK(q_num(s, "SELECT abs(area_m2 / 1200 - 1) < 0.005 FROM parcels WHERE parcel_id = '080505_4.0004.15'") == 1);
    CHECK(q_num(s, "SELECT abs(MbrMinX(geom) - 197742) < 2 AND abs(MbrMinY(geom) - 507505) < 5 FROM parcels "
                   "WHERE parcel_id = '080505_4.0004.15'") == 1);
    CHECK_Q(s, "SELECT name FROM obreby", "Słubice 4");
    result_free(&r);
}

static void csv_points_4326_and_srs(void)
{
    const char *s = new_store("csv4326.sqlite");
    struct result r;
    struct snap before = snapshot(s);
    CHECK(import_one(s, FIX("addresses_4326.csv"), "addresses", NULL, NULL, NULL, &r) == ERR_INVALID);
    CHECK(strstr(r.e.msg, "--s-srs") != NULL && strstr(r.e.msg, "no CRS") != NULL);
    struct snap after = snapshot(s);
    CHECK(snap_same(&before, &after));
    free(before.data);
    free(after.data);
    result_free(&r);

    CHECK(import_one(s, FIX("addresses_4326.csv"), "addresses", NULL, NULL, "EPSG:4326", &r) == ERR_OK);
    CHECK(r.st.imported == 4);
    CHECK_Q(s, "SELECT group_concat(name, ',') FROM (SELECT name FROM localities ORDER BY name)", "Kunowice,Słubice");
    CHECK_Q(s, "SELECT group_concat(prefix || ' ' || name, ',') FROM (SELECT * FROM streets ORDER BY name)",
            "ul. Jedności Robotniczej,al. Niepodległości");
    CHECK(q_num(s, "SELECT abs(X(a.geom) - 197742.0) < 0.01 AND abs(Y(a.geom) - 507507.39) < 0.01 FROM addresses a "
                   "JOIN streets s ON s.id = a.street_id WHERE a.number = '12'") == 1);
    CHECK(q_num(s, "SELECT count(*) FROM addresses WHERE street_id IS NULL AND number = '12'") == 1);
    result_free(&r);

    /* Surveyors' X/Y: X is the northing. Detected from the CRS's area and swapped, with a note. */
    CHECK(import_one(s, FIX("addresses_2176_xy.csv"), "addresses", NULL, NULL, "EPSG:2176", &r) == ERR_OK);
    CHECK(has(&r, "northing-first") && r.st.imported == 2);
    CHECK(q_num(s, "SELECT abs(X(geom) - 197742.0) < 0.05 AND abs(Y(geom) - 507507.39) < 0.05 FROM addresses "
                   "WHERE number = '1'") == 1);
    result_free(&r);
}

static void csv_without_crs_in_2180(void)
{
    const char *s = new_store("nocrs.sqlite");
    struct result r;
    CHECK(import_one(s, FIX("buildings_2180_nocrs.csv"), "buildings", NULL, NULL, NULL, &r) == ERR_OK);
    CHECK(r.st.imported == 2 && has(&r, "taken as such"));
    CHECK(q_num(s, "SELECT storeys FROM buildings WHERE function = 'gospodarczy'") == 1);
    CHECK(q_num(s, "SELECT MbrMinX(geom) FROM buildings WHERE storeys = 2") == 197745);
    result_free(&r);
}

static void zipped_shapefile(void)
{
    const char *s = new_store("shpzip.sqlite"), *zip = TMP("parcels.shp.zip");
    char cmd[3000];
    snprintf(cmd, sizeof cmd, "ogr2ogr -f 'ESRI Shapefile' -lco ENCODING=UTF-8 '%s' '%s' 2>/dev/null", zip,
             FIX("parcels_4326.geojson"));
    CHECK(system(cmd) == 0);
    struct result r;
    CHECK(import_one(s, zip, "parcels", NULL, NULL, NULL, &r) == ERR_OK);
    if (r.rc)
        printf("  %s\n", r.e.msg);
    CHECK(r.st.imported == 3 && r.st.repaired == 1 && r.st.rejected == 1);
    CHECK(has(&r, "rejected: parcels.shp.zip!"));
    if (!has(&r, "rejected: parcels.shp.zip!"))
        printf("  report: %s\n", r.report);
    CHECK_Q(s, "SELECT name FROM obreby WHERE number = '0001'", "Słubice 1");
    result_free(&r);
}

static void plan_zones_with_map(void)
{
    const char *s = new_store("zones.sqlite");
    struct result r;
    CHECK(import_one(s, FIX("mpzp_app1.gml"), "plans", "app-akt", NULL, NULL, &r) == ERR_OK);
    result_free(&r);
    /* Without a plan value, the store's only MPZP is taken; with several, the value names it. */
    CHECK(import_one(s, FIX("zones_mpzp_2180.geojson"), "plan-zones", NULL,
                     "plan='PL.ZIPPZP.2480/080505-MPZP/MPZP7', name=", NULL, &r) == ERR_OK);
    if (r.rc)
        printf("  %s\n", r.e.msg);
    CHECK(r.st.imported == 3 && r.st.overlaps == 1);
    CHECK(has(&r, "overlap: 1MN and 2MN overlap by 4000.0 m²"));
    CHECK_Q(s,
            "SELECT symbol || '|' || name || '|' || max_intensity || '|' || max_coverage_pct || '|' || roof FROM "
            "plan_zones WHERE label = '1MN'",
            "MN|teren zabudowy mieszkaniowej jednorodzinnej|0.6|30.0|dwuspadowy");
    CHECK_Q(s, "SELECT name FROM plan_zones WHERE label = '1U'", "teren zabudowy usługowej");
    CHECK(q_num(s, "SELECT max_storeys FROM plan_zones WHERE label = '2MN'") == 2);
    result_free(&r);
    CHECK(import_one(s, FIX("zones_mpzp_2180.geojson"), "plan-zones", NULL, "plan='no such plan'", NULL, &r) ==
          ERR_UNPROCESSABLE);
    CHECK(has(&r, "no mpzp plan with iip or title 'no such plan'"));
    result_free(&r);
}

static void reimport_updates(void)
{
    const char *s = new_store("again.sqlite");
    struct result r;
    const char *twice[] = {FIX("parcels_4326.geojson"), FIX("parcels_4326.geojson")};
    CHECK(import_files(s, twice, 2, "parcels", NULL, NULL, NULL, &r) == ERR_OK);
    CHECK(r.st.imported == 3 && r.st.rejected == 5 && has(&r, "same key appears earlier"));
    result_free(&r);
    CHECK(import_one(s, FIX("parcels_4326.geojson"), "parcels", NULL, NULL, NULL, &r) == ERR_OK);
    CHECK(r.st.imported == 3 && r.st.updated == 3);
    CHECK(q_num(s, "SELECT count(*) FROM parcels") == 3 && q_num(s, "SELECT count(*) FROM idx_parcels_geom") == 3);
    CHECK(q_num(s, "SELECT count(*) FROM imports") == 2);
    result_free(&r);
}

/* ---- errors ---- */

/* Every failing import below must leave the store byte-identical. */
static void refused(const char *store, const char *const *files, int n, const char *collection, const char *preset,
                    const char *map, const char *s_srs, const char *expect)
{
    struct snap before = snapshot(store);
    struct result r;
    CHECK(import_files(store, files, n, collection, preset, map, s_srs, &r) != ERR_OK);
    if (expect && !strcasestr(r.e.msg, expect))
        printf("  message \"%s\" lacks \"%s\"\n", r.e.msg, expect);
    CHECK(!expect || strcasestr(r.e.msg, expect));
    CHECK(r.e.msg[0] && !strchr(r.e.msg, '\n'));
    struct snap after = snapshot(store);
    CHECK(snap_same(&before, &after));
    free(before.data);
    free(after.data);
    result_free(&r);
}

static void refused_one(const char *store, const char *file, const char *collection, const char *preset,
                        const char *map, const char *s_srs, const char *expect)
{
    const char *files[] = {file};
    refused(store, files, 1, collection, preset, map, s_srs, expect);
}

static void mapping_errors(void)
{
    const char *s = new_store("maperr.sqlite"), *p = FIX("parcels_4326.geojson");
    refused_one(s, p, "parcels", NULL, "nosuchtarget=parcel_id", NULL, "unknown target 'nosuchtarget'");
    refused_one(s, p, "parcels", NULL, "number=nosuchfield", NULL, "no field 'nosuchfield'");
    refused_one(s, p, "parcels", NULL, "parcel_id=", NULL, "no field for parcel_id");
    refused_one(s, p, "parcels", NULL, "number", NULL, "is not dst=src");
    refused_one(s, p, "unicorns", NULL, NULL, NULL, "unicorns");
    refused_one(s, p, "parcels", "app-nothing", NULL, NULL, "unknown preset");
    refused_one(s, p, "parcels", "app-strefy", NULL, NULL, "preset app-strefy imports pog-zones");
    refused_one(s, APP("2_pog_AktPlanowaniaPrzestrzennego.gml"), "pog-zones", "app-strefy", NULL, NULL,
                "no StrefaPlanistyczna layer");
    refused_one(s, p, "parcels", NULL, NULL, "PUWG 1992", "not an EPSG code");
    refused_one(s, p, "parcels", NULL, NULL, "EPSG:999999", "not a CRS");
    refused_one(s, FIX("addresses_4326.csv"), "parcels", NULL, NULL, "EPSG:4326", "no layer with polygon geometry");
    const char *empty = TMP("empty.geojson");
    const char *none = "{\"type\":\"FeatureCollection\",\"features\":[]}";
    write_file(empty, none, strlen(none));
    refused_one(s, empty, "parcels", NULL, "parcel_id='080505_4.0001.1'", NULL, "no features");
    refused_one(s, FIX("zones_mpzp_2180.geojson"), "plan-zones", NULL, NULL, NULL, "no MPZP plan");
}

static void hostile_files(void)
{
    const char *s = new_store("hostile.sqlite");
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)((i * 2654435761u) >> 13);
    const char *garbage = TMP("garbage.geojson");
    write_file(garbage, junk, sizeof junk);
    refused_one(s, garbage, "parcels", NULL, NULL, NULL, "garbage.geojson: cannot read");

    const char *trunc = TMP("truncated.geojson");
    const char *t = "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":"
                    "{\"type\":\"Polygon\",\"coordinates\":[[[14.5,52.3],[14.6";
    write_file(trunc, t, strlen(t));
    refused_one(s, trunc, "parcels", NULL, NULL, NULL, "truncated.geojson");

    const char *bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
                       " <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n]>\n"
                       "<wfs:FeatureCollection xmlns:wfs=\"http://www.opengis.net/wfs/2.0\"><a>&lol2;</a>"
                       "</wfs:FeatureCollection>\n";
    write_file(TMP("bomb.gml"), bomb, strlen(bomb));
    refused_one(s, TMP("bomb.gml"), "pog-zones", "app-strefy", NULL, NULL, "DOCTYPE");
    write_file(TMP("bomb_in_disguise.geojson"), bomb, strlen(bomb));
    refused_one(s, TMP("bomb_in_disguise.geojson"), "parcels", NULL, NULL, NULL, "DOCTYPE");
    const char *entity = "<?xml version=\"1.0\"?><x><!entity e SYSTEM \"file:///etc/passwd\"></x>";
    write_file(TMP("entity.xml"), entity, strlen(entity));
    refused_one(s, TMP("entity.xml"), "parcels", NULL, NULL, NULL, "<!ENTITY");

    const char *ok = "{\"type\":\"FeatureCollection\",\"features\":[]}";
    const char *names[][2] = {{"ok.geojson", "../evil.geojson"},
                              {"ok.geojson", "/etc/evil.geojson"},
                              {"ok.geojson", "a/../../evil.geojson"},
                              {"ok.geojson", "..\\evil.geojson"}};
    for (int i = 0; i < 4; i++) {
        const void *data[] = {ok, ok};
        size_t lens[] = {strlen(ok), strlen(ok)};
        char zname[64];
        snprintf(zname, sizeof zname, "unsafe%d.zip", i);
        make_zip(TMP(zname), names[i], data, lens, 2);
        refused_one(s, TMP(zname), "parcels", NULL, NULL, NULL, "unsafe path");
        struct err e = {0};
        CHECK(gis_import_check_file(TMP(zname), &e) != ERR_OK && strstr(e.msg, names[i][1]));
    }
    size_t big = 8u << 20;
    char *zeros = calloc(1, big);
    if (zeros) {
        const char *n1[] = {"big.geojson"};
        const void *d1[] = {zeros};
        make_zip(TMP("ratio.zip"), n1, d1, &big, 1);
        free(zeros);
        refused_one(s, TMP("ratio.zip"), "parcels", NULL, NULL, NULL, "zip bomb");
    }
    const char *n2[] = {"plan.gml"};
    const void *d2[] = {bomb};
    size_t l2 = strlen(bomb);
    make_zip(TMP("xmlbomb.zip"), n2, d2, &l2, 1);
    refused_one(s, TMP("xmlbomb.zip"), "pog-zones", "app-strefy", NULL, NULL,
                "zip entry \"plan.gml\": XML with a <!DOCTYPE");

    write_file(TMP("empty.gpkg"), "", 0);
    refused_one(s, TMP("empty.gpkg"), "parcels", NULL, NULL, NULL, "empty file");
    refused_one(s, TMP("does-not-exist.geojson"), "parcels", NULL, NULL, NULL, "no such file");
    refused_one(s, "/vsicurl/http://127.0.0.1:9/x.geojson", "parcels", NULL, NULL, NULL, "virtual file");

    struct err e = {0};
    CHECK(gis_import_check_file(FIX("parcels_4326.geojson"), &e) == ERR_OK);
    /* Binary formats are not scanned for markup: "<!" and a letter occur in them by chance. */
    const char *gpkg_like = "SQLite format 3\0 ... <!DOCTYPE by chance in a blob";
    write_file(TMP("binary.gpkg"), gpkg_like, 50);
    CHECK(gis_import_check_file(TMP("binary.gpkg"), &e) == ERR_OK);
    /* XML is XML whatever the name: white space and a byte-order mark before the '<' change nothing. */
    const char *bom = "\xEF\xBB\xBF  \n<?xml version=\"1.0\"?><!DOCTYPE x><x/>";
    write_file(TMP("bom.json"), bom, strlen(bom));
    CHECK(gis_import_check_file(TMP("bom.json"), &e) == ERR_UNPROCESSABLE);
    CHECK(gis_import_check_file(APP("2_strefy_StrefaPlanistyczna_OK.gml"), &e) == ERR_OK);
    CHECK(gis_import_check_file(TMP("bomb.gml"), &e) == ERR_UNPROCESSABLE);
}

/* Nothing of a failed import remains: a corrupt second file, and a row refused in the middle. */
static void failure_mid_import(void)
{
    const char *s = new_store("mid.sqlite");
    const char *two[] = {FIX("parcels_4326.geojson"), TMP("truncated.geojson")};
    refused(s, two, 2, "parcels", NULL, NULL, NULL, "truncated.geojson");

    /* Fault injection: the schema refuses a parcel of the second file after the first file is written. */
    struct err e = {0};
    struct gis_store *w = NULL;
    CHECK(gis_store_open(s, GIS_STORE_WRITE, &w, &e) == ERR_OK);
    if (w)
        CHECK(gis_store_exec(w,
                             "CREATE TRIGGER inject BEFORE INSERT ON parcels WHEN NEW.parcel_id = '080505_4.0002.2' "
                             "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
                             &e) == ERR_OK);
    gis_store_close(w);
    struct result r;
    const char *files[] = {FIX("parcels_4326.geojson"), FIX("parcels_b_4326.geojson")};
    CHECK(import_files(s, files, 2, "parcels", NULL, NULL, NULL, &r) == ERR_UNPROCESSABLE);
    CHECK(strstr(r.e.msg, "injected failure") != NULL);
    CHECK(r.st.imported == 4); /* three from the first file and one from the second were written... */
    result_free(&r);
    /* ...and rolled back, with the spatial-index triggers the import had set aside. */
    CHECK(q_num(s, "SELECT count(*) FROM parcels") == 0);
    CHECK(q_num(s, "SELECT count(*) FROM obreby") == 0);
    CHECK(q_num(s, "SELECT count(*) FROM imports") == 0);
    CHECK(q_num(s, "SELECT count(*) FROM idx_parcels_geom") == 0);
    CHECK(q_num(s, "SELECT count(*) FROM sqlite_master WHERE name IN ('gii_parcels_geom', 'giu_parcels_geom')") == 2);

    w = NULL;
    CHECK(gis_store_open(s, GIS_STORE_WRITE, &w, &e) == ERR_OK);
    if (w)
        CHECK(gis_store_exec(w, "DROP TRIGGER inject", &e) == ERR_OK);
    gis_store_close(w);
    CHECK(import_files(s, files, 2, "parcels", NULL, NULL, NULL, &r) == ERR_OK);
    CHECK(r.st.imported == 5);
    CHECK(q_num(s, "SELECT count(*) FROM idx_parcels_geom") == 5);
    result_free(&r);
}

int main(void)
{
    const char *env = getenv("ODRA_SHARED");
    struct stat sb;
    snprintf(shared, sizeof shared, "%s",
             env                                    ? env
             : stat("../shared/data/app", &sb) == 0 ? "../shared"
                                                    : "/work/shared");
    env = getenv("ODRA_ROOT");
    snprintf(root, sizeof root, "%s", env ? env : ".");
    if (!mkdtemp(dir))
        return 2;
    GDALAllRegister();
    RUN(app_strefy_ok);
    RUN(app_strefy_overlap);
    RUN(app_strefy_self_intersection);
    RUN(app_akt_pog);
    RUN(app1_akt);
    RUN(geojson_parcels_4326);
    RUN(csv_wkt_2176);
    RUN(csv_points_4326_and_srs);
    RUN(csv_without_crs_in_2180);
    RUN(zipped_shapefile);
    RUN(plan_zones_with_map);
    RUN(reimport_updates);
    RUN(mapping_errors);
    RUN(hostile_files);
    RUN(failure_mid_import);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 2;
    return test_done();
}
