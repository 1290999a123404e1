/* Tests for tools/demo: real stores for all five gminas in a temporary directory, checked with
 * SpatiaLite SQL and an independent PROJ transform of the Odra. */
#include "gis/store_sql.h"
#include "tools/demo/demo.h"

#include <math.h>
#include <proj.h>
#include <regex.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

#include "gis/store.h"
#include "tests/test.h"

static char dir[] = "/tmp/odra-test-demo-XXXXXX";

static const struct {
    const char *slug, *teryt;
    double lat, lon;
} gminas[5] = {
    {"slubice", "0805053", 52.350, 14.561}, {"cybinka", "0805013", 52.195, 14.796},
    {"gorzyca", "0805022", 52.489, 14.641}, {"osno-lubuskie", "0805033", 52.453, 14.876},
    {"rzepin", "0805043", 52.349, 14.832},
};

/* The brief's Odra centreline (lat, lon), north to south. */
static const double odra[][2] = {{52.60, 14.625}, {52.49, 14.585}, {52.42, 14.57}, {52.35, 14.550}, {52.30, 14.585},
                                 {52.25, 14.605}, {52.22, 14.70},  {52.18, 14.69}, {52.10, 14.70}};

static char paths[5][320];
static bool created[5];
static struct gis_demo_stats stats[5];

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec / 1e6;
}

static struct config_tenant tenant(const char *slug, const char *teryt)
{
    struct config_tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "%s", slug);
    snprintf(t.teryt, sizeof t.teryt, "%s", teryt);
    return t;
}

static struct gis_store *open_ro(int g)
{
    struct err e = {0};
    struct gis_store *s = NULL;
    if (gis_store_open(paths[g], GIS_STORE_READ, &s, &e) != ERR_OK)
        printf("  %s: %s\n", paths[g], e.msg);
    return s;
}

/* The first column of the first row as a double (NAN if no row or NULL). */
static double q1(struct gis_store *s, const char *sql)
{
    sqlite3_stmt *st;
    double v = NAN;
    if (sqlite3_prepare_v2(gis_store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
        printf("  SQL error: %s\n  in: %s\n", sqlite3_errmsg(gis_store_db(s)), sql);
        return NAN;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* FNV-1a over every parcel's id, area and geometry, in id order. */
static unsigned long long checksum(const char *path)
{
    struct err e = {0};
    struct gis_store *s = NULL;
    unsigned long long h = 1469598103934665603ULL;
    if (gis_store_open(path, GIS_STORE_READ, &s, &e) != ERR_OK)
        return 0;
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT parcel_id, printf('%.3f', area_m2), AsBinary(geom) FROM parcels ORDER BY id", &st,
                          &e) == ERR_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            for (int c = 0; c < 3; c++) {
                const unsigned char *p = sqlite3_column_blob(st, c);
                int n = sqlite3_column_bytes(st, c);
                for (int k = 0; k < n; k++)
                    h = (h ^ p[k]) * 1099511628211ULL;
            }
        sqlite3_finalize(st);
    }
    gis_store_close(s);
    return h;
}

static void creates_all_five(void)
{
    double total = 0;
    for (int g = 0; g < 5; g++) {
        struct config_tenant t = tenant(gminas[g].slug, gminas[g].teryt);
        struct err e = {0};
        snprintf(paths[g], sizeof paths[g], "%s/%s.sqlite", dir, gminas[g].slug);
        double t0 = now_s();
        enum err_code rc = gis_demo_create(paths[g], &t, 1, 42, NULL, NULL, &stats[g], &e);
        double dt = now_s() - t0;
        total += dt;
        CHECK(rc == ERR_OK);
        if (rc) {
            printf("  %s: %s\n", gminas[g].slug, e.msg);
            continue;
        }
        created[g] = true;
        printf("# %-14s %6ld parcels %5ld addresses %5ld buildings %2ld plans %4.2fs\n", gminas[g].slug,
               stats[g].parcels, stats[g].addresses, stats[g].buildings, stats[g].plans, dt);
        char tmp[340];
        snprintf(tmp, sizeof tmp, "%s.tmp", paths[g]);
        CHECK(access(paths[g], F_OK) == 0);
        CHECK(access(tmp, F_OK) != 0);
    }
    printf("# all five in %.2fs\n", total);
}

static void counts(void)
{
    long parcels = 0, addresses = 0;
    for (int g = 0; g < 5; g++) {
        if (!created[g])
            continue;
        struct gis_store *s = open_ro(g);
        if (!s)
            continue;
        CHECK(gis_store_count(s, "parcels") == stats[g].parcels);
        CHECK(gis_store_count(s, "addresses") == stats[g].addresses);
        CHECK(gis_store_count(s, "buildings") == stats[g].buildings);
        CHECK(gis_store_count(s, "obreby") == stats[g].obreby);
        CHECK(gis_store_count(s, "streets") > 10);
        CHECK(gis_store_count(s, "localities") >= 8);
        CHECK(gis_store_count(s, "landcover") > 0);
        CHECK(q1(s, "SELECT count(*) FROM buildings WHERE function NOT IN "
                    "('mieszkalny', 'gospodarczy', 'usługowy', 'przemysłowy') OR storeys < 1") == 0);
        parcels += stats[g].parcels;
        addresses += stats[g].addresses;
        gis_store_close(s);
    }
    CHECK(stats[0].parcels >= 8000);
    CHECK(stats[0].addresses >= 2400);
    for (int g = 1; g < 5; g++)
        CHECK(stats[0].parcels >= stats[g].parcels * 0.6);
    CHECK(parcels >= 40000);
    CHECK(addresses >= 12000);
    printf("# %ld parcels, %ld addresses in all five\n", parcels, addresses);
}

static void deterministic(void)
{
    if (!created[2])
        return;
    char again[320], other[320];
    snprintf(again, sizeof again, "%s/again.sqlite", dir);
    snprintf(other, sizeof other, "%s/other.sqlite", dir);
    struct config_tenant t = tenant(gminas[2].slug, gminas[2].teryt);
    struct err e = {0};
    CHECK(gis_demo_create(again, &t, 1, 42, NULL, NULL, NULL, &e) == ERR_OK);
    CHECK(gis_demo_create(other, &t, 1, 43, NULL, NULL, NULL, &e) == ERR_OK);
    unsigned long long a = checksum(paths[2]), b = checksum(again), c = checksum(other);
    CHECK(a != 0 && a == b);
    CHECK(c != 0 && c != a);
    /* Creating over an existing store replaces it. */
    CHECK(gis_demo_create(again, &t, 1, 43, NULL, NULL, NULL, &e) == ERR_OK);
    CHECK(checksum(again) == c);
}

static void geometry_valid(void)
{
    static const char *const tables[] = {"parcels",    "buildings", "obreby",   "streets",   "addresses", "plans",
                                         "plan_zones", "pog_zones", "overlays", "landcover", "localities"};
    for (int g = 0; g < 5; g++) {
        struct gis_store *s = created[g] ? open_ro(g) : NULL;
        if (!s)
            continue;
        for (size_t k = 0; k < sizeof tables / sizeof *tables; k++) {
            char sql[256];
            snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM %s WHERE geom IS NULL OR NOT ST_IsValid(geom) OR ST_Srid(geom) <> 2180",
                     tables[k]);
            double bad = q1(s, sql);
            CHECK(bad == 0);
            if (bad != 0)
                printf("  %s: %g invalid in %s\n", gminas[g].slug, bad, tables[k]);
        }
        CHECK(q1(s, "SELECT count(*) FROM parcels WHERE area_m2 <= 0 OR abs(area_m2 - ST_Area(geom)) > 0.01") == 0);
        /* Building ids are "<parcel id>.<n>_BUD" with a one-digit n, and every building lies on its parcel. */
        CHECK(
            q1(s,
               "SELECT count(*) FROM buildings b LEFT JOIN parcels p "
               "ON p.parcel_id = substr(b.building_id, 1, length(b.building_id) - 6) "
               "WHERE b.building_id NOT LIKE '%._!_BUD' ESCAPE '!' OR p.id IS NULL OR NOT ST_Within(b.geom, p.geom)") ==
            0);
        CHECK(q1(s, "SELECT count(*) FROM streets WHERE GeometryType(geom) <> 'MULTILINESTRING'") == 0);
        gis_store_close(s);
    }
}

/* Every parcel vertex lies east of the Odra centreline, and the gmina sits around its centre. */
static void placement(void)
{
    PJ_CONTEXT *ctx = proj_context_create();
    PJ *p = proj_create_crs_to_crs(ctx, "EPSG:4326", "EPSG:2180", NULL);
    PJ *pj = p ? proj_normalize_for_visualization(ctx, p) : NULL;
    proj_destroy(p);
    CHECK(pj != NULL);
    if (!pj) {
        proj_context_destroy(ctx);
        return;
    }
    /* A polygon of everything west of the centreline, in EPSG:2180. */
    char west[2048];
    size_t o = (size_t)snprintf(west, sizeof west, "POLYGON((");
    double first[2] = {0, 0}, last[2] = {0, 0};
    int n = (int)(sizeof odra / sizeof *odra);
    for (int k = 0; k < n; k++) {
        PJ_COORD c = proj_trans(pj, PJ_FWD, proj_coord(odra[k][1], odra[k][0], 0, 0));
        o += (size_t)snprintf(west + o, sizeof west - o, "%.3f %.3f, ", c.xy.x, c.xy.y);
        if (k == 0)
            first[0] = c.xy.x, first[1] = c.xy.y;
        last[0] = c.xy.x, last[1] = c.xy.y;
    }
    snprintf(west + o, sizeof west - o, "%.3f %.3f, %.3f %.3f, %.3f %.3f))", last[0] - 60000, last[1], first[0] - 60000,
             first[1], first[0], first[1]);
    for (int g = 0; g < 5; g++) {
        struct gis_store *s = created[g] ? open_ro(g) : NULL;
        if (!s)
            continue;
        char sql[2600];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM parcels WHERE ST_Intersects(geom, GeomFromText('%s', 2180))",
                 west);
        CHECK(q1(s, sql) == 0);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM buildings WHERE ST_Intersects(geom, GeomFromText('%s', 2180))",
                 west);
        CHECK(q1(s, sql) == 0);
        PJ_COORD c = proj_trans(pj, PJ_FWD, proj_coord(gminas[g].lon, gminas[g].lat, 0, 0));
        double minx = q1(s, "SELECT min(MbrMinX(geom)) FROM parcels"),
               maxx = q1(s, "SELECT max(MbrMaxX(geom)) FROM parcels");
        double miny = q1(s, "SELECT min(MbrMinY(geom)) FROM parcels"),
               maxy = q1(s, "SELECT max(MbrMaxY(geom)) FROM parcels");
        CHECK(c.xy.x > minx && c.xy.x < maxx && c.xy.y > miny && c.xy.y < maxy);
        CHECK(maxx - minx < 30000 && maxy - miny < 30000 && maxx - minx > 5000 && maxy - miny > 5000);
        /* The seat's locality point is its centre, and the town has parcels within 1 km of it. */
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM parcels WHERE land_use IN ('B', 'Bi') AND "
                 "ST_Distance(geom, MakePoint(%.3f, %.3f, 2180)) < 1000",
                 c.xy.x, c.xy.y);
        CHECK(q1(s, sql) > 50);
        if (g == 0 || g == 1 || g == 2)
            CHECK(q1(s, "SELECT count(*) FROM landcover WHERE kind = 'river' AND name = 'Odra'") == 1);
        gis_store_close(s);
    }
    /* The gminas do not overlap: each one's parcels stay outside the others' extents of land. */
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) {
            if (a == b || !created[a] || !created[b])
                continue;
            struct gis_store *s = open_ro(b);
            if (!s)
                continue;
            char sql[700];
            snprintf(sql, sizeof sql, "ATTACH '%s' AS o", paths[a]);
            if (gis_store_exec(s, sql, NULL) == ERR_OK) {
                double overlap = q1(s, "SELECT ST_Area(ST_Intersection((SELECT geom FROM o.plans WHERE kind = 'pog'), "
                                       "(SELECT geom FROM main.plans WHERE kind = 'pog')))");
                CHECK(isnan(overlap) || overlap < 1);
            }
            gis_store_close(s);
        }
    proj_destroy(pj);
    proj_context_destroy(ctx);
}

static void parcel_ids(void)
{
    regex_t re;
    CHECK(regcomp(&re, "^08050[1-5]_[245]\\.[0-9]{4}\\.[0-9]+(/[0-9]+)?$", REG_EXTENDED | REG_NOSUB) == 0);
    for (int g = 0; g < 5; g++) {
        struct gis_store *s = created[g] ? open_ro(g) : NULL;
        if (!s)
            continue;
        sqlite3_stmt *st;
        long bad = 0, fractions = 0, all = 0;
        struct err e = {0};
        if (gis_store_prepare(s,
                              "SELECT p.parcel_id, o.unit || '.' || o.number || '.' || p.number FROM parcels p "
                              "JOIN obreby o ON o.id = p.obreb_id",
                              &st, &e) == ERR_OK) {
            while (sqlite3_step(st) == SQLITE_ROW) {
                const char *id = (const char *)sqlite3_column_text(st, 0);
                bad += regexec(&re, id, 0, NULL, 0) != 0 || strcmp(id, (const char *)sqlite3_column_text(st, 1)) != 0 ||
                       strncmp(id, gminas[g].teryt, 6) != 0;
                fractions += strchr(id, '/') != NULL;
                all++;
            }
            sqlite3_finalize(st);
        }
        CHECK(bad == 0);
        CHECK(fractions > 0 && fractions < all / 4);
        CHECK(q1(s, "SELECT count(*) FROM (SELECT obreb_id, number FROM parcels GROUP BY 1, 2 HAVING count(*) > 1)") ==
              0);
        CHECK(q1(s, "SELECT count(*) FROM obreby WHERE number NOT GLOB '[0-9][0-9][0-9][0-9]'") == 0);
        if (gminas[g].teryt[6] == '3') {
            CHECK(q1(s, "SELECT count(*) FROM obreby WHERE unit LIKE '%\\_4' ESCAPE '\\'") >= 1);
            CHECK(q1(s, "SELECT count(*) FROM obreby WHERE unit LIKE '%\\_5' ESCAPE '\\'") >= 5);
        } else {
            CHECK(q1(s, "SELECT count(*) FROM obreby WHERE unit <> '080502_2'") == 0);
        }
        CHECK(q1(s, "SELECT count(DISTINCT land_use) FROM parcels") >= 8);
        CHECK(q1(s, "SELECT count(*) FROM parcels WHERE land_use = 'dr'") > 100);
        gis_store_close(s);
    }
    regfree(&re);
}

static void addresses(void)
{
    for (int g = 0; g < 5; g++) {
        struct gis_store *s = created[g] ? open_ro(g) : NULL;
        if (!s)
            continue;
        CHECK(q1(s, "SELECT count(*) FROM addresses WHERE number GLOB '*[a-z]'") > 0);
        CHECK(q1(s, "SELECT count(*) FROM addresses WHERE street_id IS NULL") > 0);
        CHECK(q1(s, "SELECT count(*) FROM addresses WHERE street_id IS NOT NULL") > 0);
        CHECK(q1(s, "SELECT count(*) FROM addresses WHERE postal_code NOT GLOB '69-[12][0-9][0-9]'") == 0);
        CHECK(q1(s, "SELECT count(*) FROM addresses a LEFT JOIN parcels p ON p.parcel_id = a.parcel_id "
                    "WHERE p.id IS NULL OR NOT ST_Within(a.geom, p.geom)") == 0);
        /* Numbers are unique per street, and per village without streets. */
        CHECK(q1(s, "SELECT count(*) FROM (SELECT 1 FROM addresses GROUP BY locality_id, street_id, number "
                    "HAVING count(*) > 1)") == 0);
        /* Both odd and even numbers, starting at 1 and 2. */
        CHECK(q1(s, "SELECT count(*) FROM addresses WHERE number = '1'") > 0);
        CHECK(q1(s, "SELECT count(*) FROM addresses WHERE number = '2'") > 0);
        CHECK(q1(s, "SELECT count(*) FROM streets WHERE name GLOB '*[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]*'") > 0);
        CHECK(q1(s, "SELECT count(*) FROM streets WHERE prefix NOT IN ('ul.', 'al.', 'pl.') OR ulic NOT GLOB "
                    "'[0-9][0-9][0-9][0-9][0-9]'") == 0);
        CHECK(q1(s, "SELECT count(*) FROM localities WHERE simc NOT GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9]' OR "
                    "kind NOT IN ('miasto', 'wieś')") == 0);
        CHECK(q1(s, "SELECT count(*) FROM localities WHERE kind = 'miasto'") == (gminas[g].teryt[6] == '3' ? 1 : 0));
        gis_store_close(s);
    }
}

static void plans(void)
{
    for (int g = 0; g < 5; g++) {
        struct gis_store *s = created[g] ? open_ro(g) : NULL;
        if (!s)
            continue;
        CHECK(q1(s, "SELECT count(*) FROM plans WHERE kind = 'pog'") == 1);
        double nm = q1(s, "SELECT count(*) FROM plans WHERE kind = 'mpzp'");
        double nbase = q1(s, "SELECT count(*) FROM plans WHERE kind = 'mpzp' AND amends_plan_id IS NULL AND "
                             "valid_to IS NULL");
        CHECK(nbase >= 2 && nbase <= 6 && nm == nbase + 3);
        /* The history (migration 007): one plan repealed by the resolution of the plan that replaced it, on
         * the day that came into force; an amendment in force and one from 2027-06-01, of one plan, inside it. */
        CHECK(q1(s, "SELECT count(*) FROM plans p JOIN plans n ON n.resolution = p.changed_by AND "
                    "n.valid_from = p.valid_to AND ST_Equals(n.geom, p.geom) WHERE p.status = 'uchylony' AND "
                    "p.valid_from < p.valid_to") == 1);
        CHECK(q1(s, "SELECT count(*) FROM plans a JOIN plans p ON p.id = a.amends_plan_id WHERE "
                    "ST_Within(a.geom, p.geom) AND a.valid_from > p.valid_from AND a.title LIKE 'Zmiana %'") == 2);
        CHECK(q1(s, "SELECT count(*) FROM plans WHERE amends_plan_id IS NOT NULL AND valid_from = '2027-06-01'") == 1);
        /* The POG zones partition the gmina. */
        double pog = q1(s, "SELECT ST_Area(geom) FROM plans WHERE kind = 'pog'");
        double sum = q1(s, "SELECT sum(ST_Area(geom)) FROM pog_zones");
        double uni = q1(s, "SELECT ST_Area(ST_Union(geom)) FROM pog_zones");
        double par = q1(s, "SELECT sum(area_m2) FROM parcels");
        CHECK(fabs(sum - uni) < uni * 1e-3);
        CHECK(fabs(uni - pog) < pog * 1e-3);
        CHECK(fabs(par - pog) < pog * 1e-3);
        CHECK(q1(s, "SELECT count(DISTINCT symbol) FROM pog_zones") >= 5);
        CHECK(q1(s, "SELECT count(*) FROM pog_zones WHERE max_intensity IS NULL OR max_coverage_pct IS NULL OR "
                    "max_height_m IS NULL OR min_bio_pct IS NULL") == 0);
        /* MPZP zones tile their plan without overlaps. */
        CHECK(
            q1(s,
               "SELECT count(*) FROM plans p WHERE kind = 'mpzp' AND "
               "abs((SELECT sum(ST_Area(geom)) FROM plan_zones WHERE plan_id = p.id) - "
               "    (SELECT ST_Area(ST_Union(geom)) FROM plan_zones WHERE plan_id = p.id)) > 1e-4 * ST_Area(p.geom)") ==
            0);
        CHECK(q1(s, "SELECT count(*) FROM plans p WHERE kind = 'mpzp' AND "
                    "abs((SELECT ST_Area(ST_Union(geom)) FROM plan_zones WHERE plan_id = p.id) - ST_Area(p.geom)) > "
                    "1e-4 * ST_Area(p.geom)") == 0);
        CHECK(q1(s, "SELECT count(*) FROM plans WHERE kind = 'mpzp' AND (resolution NOT LIKE 'Uchwała nr %' OR "
                    "publication NOT LIKE 'Dz. Urz. Woj. Lubuskiego z % r. poz. %' OR scale NOT IN (500, 1000, 2000) "
                    "OR iip NOT LIKE 'PL.ZIPPZP.%/' || (SELECT value FROM meta WHERE key = 'teryt') || '-MPZP/%' OR "
                    "status NOT IN ('obowiązujący', 'uchylony') OR (status = 'uchylony') <> (valid_to IS NOT NULL) OR "
                    "resolution_date IS NULL OR valid_from IS NULL)") == 0);
        /* Some parcels lie in two or more zones of one plan; a parcel inside a plan is fully zoned. */
        const char *parts = "SELECT p.id AS parcel, z.plan_id AS plan, p.area_m2 AS area, "
                            "ST_Area(ST_Intersection(p.geom, z.geom)) AS a FROM plan_zones z "
                            "JOIN idx_parcels_geom i ON i.xmin < MbrMaxX(z.geom) AND i.xmax > MbrMinX(z.geom) AND "
                            "i.ymin < MbrMaxY(z.geom) AND i.ymax > MbrMinY(z.geom) JOIN parcels p ON p.id = i.pkid";
        char sql[1200];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM (SELECT parcel FROM (%s) WHERE a > 1 GROUP BY parcel, plan "
                 "HAVING count(*) >= 2)",
                 parts);
        CHECK(q1(s, sql) >= 3);
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM (SELECT parcel FROM (%s) WHERE a > 1 GROUP BY parcel, plan "
                 "HAVING count(*) >= 3)",
                 parts);
        CHECK(q1(s, sql) >= 1);
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM (SELECT parcel, plan, sum(a) / area AS share FROM (%s) "
                 "JOIN plans pl ON pl.id = plan WHERE ST_Within((SELECT geom FROM parcels WHERE id = parcel), pl.geom) "
                 "GROUP BY parcel, plan) WHERE abs(share - 1) > 1e-6",
                 parts);
        CHECK(q1(s, sql) == 0);
        /* Provisions: general ones for every plan, one for every zone and overlay, with the zone's numbers. */
        CHECK(q1(s, "SELECT count(*) FROM plans p WHERE kind = 'mpzp' AND (SELECT count(*) FROM provisions "
                    "WHERE plan_id = p.id AND scope = 'general') NOT BETWEEN 6 AND 10") == 0);
        CHECK(q1(s, "SELECT count(*) FROM plan_zones z WHERE NOT EXISTS (SELECT 1 FROM provisions v "
                    "WHERE v.zone_id = z.id AND v.scope = 'zone' AND v.body LIKE '%' || z.label || '%')") == 0);
        CHECK(q1(s, "SELECT count(*) FROM overlays o WHERE NOT EXISTS (SELECT 1 FROM provisions v "
                    "WHERE v.overlay_id = o.id AND v.scope = 'overlay')") == 0);
        CHECK(q1(s, "SELECT count(*) FROM plan_zones z JOIN provisions v ON v.zone_id = z.id WHERE "
                    "z.max_height_m IS NOT NULL AND v.body NOT LIKE '%maksymalna wysokość %: ' || "
                    "replace(printf('%g', z.max_height_m), '.', ',') || ' m%'") == 0);
        CHECK(q1(s, "SELECT count(*) FROM plan_zones z JOIN provisions v ON v.zone_id = z.id WHERE "
                    "z.min_bio_pct IS NOT NULL AND v.body NOT LIKE '%biologicznie czynnej: ' || "
                    "replace(printf('%g', z.min_bio_pct), '.', ',') || '%'") == 0);
        CHECK(q1(s, "SELECT count(*) FROM provisions WHERE body LIKE '%{%' OR heading LIKE '%{%'") == 0);
        CHECK(q1(s, "SELECT count(*) FROM provisions WHERE scope = 'general' AND body LIKE '%art. 36 ust. 4%30%'") ==
              nm);
        CHECK(q1(s, "SELECT count(*) FROM plans p WHERE kind = 'mpzp' AND amends_plan_id IS NULL AND valid_to IS NULL "
                    "AND NOT EXISTS (SELECT 1 FROM overlays WHERE plan_id = p.id)") == 0);
        CHECK(q1(s, "SELECT count(*) FROM plan_zones WHERE label NOT GLOB '[1-9]*[A-Z]'") == 0);
        CHECK(q1(s, "SELECT count(*) FROM (SELECT 1 FROM plan_zones GROUP BY plan_id, label HAVING count(*) > 1)") ==
              0);
        gis_store_close(s);
    }
}

static void meta(void)
{
    struct gis_store *s = created[0] ? open_ro(0) : NULL;
    if (!s)
        return;
    char *v[5] = {gis_store_meta_get(s, "tenant"), gis_store_meta_get(s, "teryt"), gis_store_meta_get(s, "demo_seed"),
                  gis_store_meta_get(s, "demo_scale"), gis_store_meta_get(s, "created_by")};
    CHECK_STR(v[0], "slubice");
    CHECK_STR(v[1], "0805053");
    CHECK_STR(v[2], "42");
    CHECK_STR(v[3], "1");
    CHECK_STR(v[4], "odra demo");
    for (int k = 0; k < 5; k++)
        free(v[k]);
    sqlite3_stmt *st;
    struct err e = {0};
    CHECK(gis_store_prepare(s, "PRAGMA journal_mode", &st, &e) == ERR_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "wal"));
    sqlite3_finalize(st);
    gis_store_close(s);
}

static void scale_multiplies(void)
{
    if (!created[3])
        return;
    char p2[320];
    snprintf(p2, sizeof p2, "%s/scale2.sqlite", dir);
    struct config_tenant t = tenant(gminas[3].slug, gminas[3].teryt);
    struct gis_demo_stats st;
    struct err e = {0};
    CHECK(gis_demo_create(p2, &t, 3, 42, NULL, NULL, &st, &e) == ERR_OK);
    CHECK(st.parcels >= 2.5 * stats[3].parcels);
    CHECK(st.addresses >= 2.5 * stats[3].addresses);
    CHECK(gis_demo_create(p2, &t, 0, 42, NULL, NULL, NULL, &e) == ERR_INVALID);
    unlink(p2);
}

static void unknown_teryt_is_invalid(void)
{
    char p[320], tmp[340];
    snprintf(p, sizeof p, "%s/nowhere.sqlite", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    struct config_tenant t = tenant("nowhere", "1465011");
    struct err e = {0};
    CHECK(gis_demo_create(p, &t, 1, 42, NULL, NULL, NULL, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "1465011") != NULL);
    CHECK(access(p, F_OK) != 0);
    CHECK(access(tmp, F_OK) != 0);
}

static int progress_calls;
static double progress_last;

static void count_progress(void *user, const char *stage, double done)
{
    (void)user;
    CHECK(stage && *stage && done >= 0 && done <= 1);
    progress_calls++;
    progress_last = done;
}

static void reports_progress(void)
{
    char p[320];
    snprintf(p, sizeof p, "%s/progress.sqlite", dir);
    struct config_tenant t = tenant(gminas[2].slug, gminas[2].teryt);
    struct err e = {0};
    CHECK(gis_demo_create(p, &t, 1, 7, count_progress, NULL, NULL, &e) == ERR_OK);
    CHECK(progress_calls > 10);
    CHECK(progress_last == 1);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 2;
    RUN(creates_all_five);
    RUN(counts);
    RUN(deterministic);
    RUN(geometry_valid);
    RUN(placement);
    RUN(parcel_ids);
    RUN(addresses);
    RUN(plans);
    RUN(meta);
    RUN(scale_multiplies);
    RUN(unknown_teryt_is_invalid);
    RUN(reports_progress);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 2;
    return test_done();
}
