/* Tests for gis/places and gis/geocode on a small hand-made store (parcels, plans, zones, addresses).
 * With `--demo DIR` it instead checks every parcel of every store in DIR (the demo data): the zone shares
 * of each plan that covers a parcel entirely sum to 100% ± 0.01, using the same code as /parcels. */
#include "gis/places.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "gis/geocode.h"
#include "gis/geos_ctx.h"
#include "gis/store_sql.h"
#include "util/log.h"
#include "tests/test.h"

static char dir[] = "/tmp/odra-test-places-XXXXXX";
static char path[256];
static struct gis_store *store; /* the writer, used for reads too */

/* Local origin near Słubice in EPSG:2180 (easting, northing). */
#define X0 197000.0
#define Y0 507000.0

static char *rect(char *buf, size_t cap, double x0, double y0, double x1, double y1)
{
    snprintf(buf, cap, "GeomFromText('MULTIPOLYGON(((%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f)))', 2180)",
             X0 + x0, Y0 + y0, X0 + x1, Y0 + y0, X0 + x1, Y0 + y1, X0 + x0, Y0 + y1, X0 + x0, Y0 + y0);
    return buf;
}

static void exec(const char *sql)
{
    struct err e = {0};
    if (gis_store_exec(store, sql, &e) != ERR_OK)
        printf("  SQL failed: %s\n  %s\n", e.msg, sql);
}

static void execf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void execf(const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    exec(sql);
}

static void build_store(void)
{
    struct err e = {0};
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/t.sqlite", dir);
    CHECK(gis_store_open(path, GIS_STORE_CREATE, &store, &e) == ERR_OK);
    if (!store) {
        printf("  %s\n", e.msg);
        exit(1);
    }
    char g[512];
    exec("BEGIN");
    execf("INSERT INTO obreby VALUES (1, '080505_4', '0001', 'Słubice', %s)", rect(g, sizeof g, -100, -100, 150, 200));
    execf("INSERT INTO obreby VALUES (2, '080505_5', '0001', 'Kunowice', %s)", rect(g, sizeof g, 150, -100, 300, 200));
    execf("INSERT INTO gmina_boundary (id, source, set_at, geom) VALUES (1, 'test', '2026-01-01', %s)",
          rect(g, sizeof g, -100, -100, 300, 200));
    execf("INSERT INTO parcels VALUES (1, '080505_4.0001.1', 1, '1', 401, 'B', %s)", rect(g, sizeof g, 0, 0, 20, 20));
    execf("INSERT INTO parcels VALUES (2, '080505_4.0001.2', 1, '2', 400, 'B', %s)", rect(g, sizeof g, 20, 0, 40, 20));
    execf("INSERT INTO parcels VALUES (3, '080505_4.0001.3/4', 1, '3/4', 600, 'R', %s)",
          rect(g, sizeof g, 40, 0, 60, 30));
    execf("INSERT INTO parcels VALUES (4, '080505_5.0001.7', 2, '7', 600, NULL, %s)",
          rect(g, sizeof g, 200, 0, 230, 20));
    execf("INSERT INTO parcels VALUES (5, '080505_5.0001.1', 2, '1', 100, NULL, %s)",
          rect(g, sizeof g, 200, 50, 210, 60));
    /* An MPZP over x 0..50 with two zones and an overlay; the POG over the whole gmina with two zones. */
    execf("INSERT INTO plans (id, kind, title, resolution, resolution_date, publication, scale, geom) VALUES "
          "(1, 'mpzp', 'MPZP Centrum', 'Uchwała nr XII/98/2019 Rady Miejskiej w Słubicach', '2019-06-27', "
          "'Dz. Urz. Woj. Lubuskiego z 2019 r. poz. 1734', 1000, %s)",
          rect(g, sizeof g, 0, 0, 50, 40));
    execf("INSERT INTO plans (id, kind, title, geom) VALUES (2, 'pog', 'Plan ogólny gminy Słubice', %s)",
          rect(g, sizeof g, -100, -100, 300, 200));
    execf("INSERT INTO plan_zones (id, plan_id, label, symbol, name, max_height_m, max_storeys, max_intensity, "
          "min_bio_pct, roof, geom) VALUES (1, 1, '1MN', 'MN', 'zabudowa mieszkaniowa jednorodzinna', 9.5, 2, 0.6, "
          "40, 'dwuspadowy', %s)",
          rect(g, sizeof g, 0, 0, 30, 40));
    execf("INSERT INTO plan_zones (id, plan_id, label, symbol, name, max_height_m, geom) VALUES "
          "(2, 1, '2U', 'U', 'zabudowa usługowa', 12, %s)",
          rect(g, sizeof g, 30, 0, 50, 40));
    execf("INSERT INTO overlays VALUES (1, 1, 'konserwatorska', 'SOK', 'strefa ochrony konserwatorskiej', %s)",
          rect(g, sizeof g, 10, 10, 25, 30));
    execf("INSERT INTO pog_zones (id, plan_id, label, symbol, name, max_height_m, geom) VALUES "
          "(1, 2, '1SJ', 'SJ', 'strefa wielofunkcyjna z zabudową mieszkaniową jednorodzinną', 12, %s)",
          rect(g, sizeof g, -100, -100, 100, 200));
    execf("INSERT INTO pog_zones (id, plan_id, label, symbol, name, geom) VALUES (2, 2, '2SU', 'SU', "
          "'strefa usługowa', %s)",
          rect(g, sizeof g, 100, -100, 300, 200));
    exec("INSERT INTO localities (id, simc, name, kind, postal_code) VALUES (1, '0987000', 'Słubice', 'miasto', "
         "'69-100'), (2, '0987001', 'Kunowice', 'wieś', '69-100')");
    exec("INSERT INTO streets (id, locality_id, prefix, name) VALUES (1, 1, 'ul.', 'Jedności Robotniczej'), "
         "(2, 1, 'ul.', '3 Maja'), (3, 1, 'al.', 'Niepodległości'), (4, 1, 'ul.', 'Polna'), (5, 2, 'ul.', 'Polna')");
    static const struct {
        int id, loc, street;
        const char *number, *postal, *parcel;
        double x, y;
    } addr[] = {
        {1, 1, 1, "12", NULL, "080505_4.0001.1", 10, 10},
        {2, 1, 1, "12a", NULL, "080505_4.0001.2", 30, 10},
        {3, 1, 1, "14", NULL, "080505_4.0001.3/4", 50, 15},
        {4, 1, 1, "1", NULL, NULL, -50, 50},
        {5, 1, 2, "3", NULL, NULL, -60, 60},
        {6, 1, 2, "5", NULL, NULL, -60, 70},
        {7, 1, 3, "7", NULL, NULL, -70, 60},
        {8, 1, 4, "2", NULL, NULL, -80, 60},
        {9, 2, 5, "2", "69-113", NULL, 180, 60},
        {10, 2, 0, "12", "69-113", "080505_5.0001.7", 215, 10},
        {11, 2, 0, "15", "69-113", NULL, 180, 90},
        {12, 1, 1, "16", NULL, NULL, 5, 5},
    };
    for (size_t i = 0; i < sizeof addr / sizeof addr[0]; i++) {
        char street[16] = "NULL", postal[16] = "NULL", parcel[40] = "NULL";
        if (addr[i].street)
            snprintf(street, sizeof street, "%d", addr[i].street);
        if (addr[i].postal)
            snprintf(postal, sizeof postal, "'%s'", addr[i].postal);
        if (addr[i].parcel)
            snprintf(parcel, sizeof parcel, "'%s'", addr[i].parcel);
        execf("INSERT INTO addresses VALUES (%d, %d, %s, '%s', %s, %s, MakePoint(%.3f, %.3f, 2180))", addr[i].id,
              addr[i].loc, street, addr[i].number, postal, parcel, X0 + addr[i].x, Y0 + addr[i].y);
    }
    exec("COMMIT");
}

static struct arena *a;

static void parcel_id_syntax(void)
{
    CHECK(gis_place_parcel_id_valid("080505_4.0001.123/4"));
    CHECK(gis_place_parcel_id_valid("080505_4.0001.AR_2.123/4"));
    CHECK(gis_place_parcel_id_valid("080505_5.0012.7"));
    CHECK(!gis_place_parcel_id_valid("080505_4.0001."));
    CHECK(!gis_place_parcel_id_valid("080505-4.0001.1"));
    CHECK(!gis_place_parcel_id_valid("080505_4.001.1"));
    CHECK(!gis_place_parcel_id_valid("080505_4.0001.1' OR 1=1 --"));
    CHECK(!gis_place_parcel_id_valid(""));
    CHECK(!gis_place_parcel_id_valid(NULL));
}

static void parcel_by_id(void)
{
    struct err e = {0};
    struct gis_parcel *p = NULL;
    CHECK(gis_place_parcel_by_id(store, a, "080505_4.0001.3/4", &p, &e) == ERR_OK);
    if (!p)
        return;
    CHECK_STR(p->parcel_id, "080505_4.0001.3/4");
    CHECK_STR(p->unit, "080505_4");
    CHECK_STR(p->obreb_number, "0001");
    CHECK_STR(p->obreb_name, "Słubice");
    CHECK_STR(p->number, "3/4");
    CHECK_STR(p->land_use, "R");
    CHECK(fabs(p->geom_area_m2 - 600) < 1e-6 && p->area_m2 == 600);
    CHECK(fabs(p->bbox[0] - (X0 + 40)) < 1e-6 && fabs(p->bbox[3] - (Y0 + 30)) < 1e-6);
    CHECK(p->inside[0] > X0 + 40 && p->inside[0] < X0 + 60 && p->inside[1] > Y0 && p->inside[1] < Y0 + 30);
    e = (struct err){0};
    CHECK(gis_place_parcel_by_id(store, a, "080505_4.0001.99", &p, &e) == ERR_NOT_FOUND && !p);
}

static void parcel_by_obreb(void)
{
    struct err e = {0};
    struct gis_parcel *p = NULL;
    CHECK(gis_place_parcel_by_obreb(store, a, "SLUBICE", "2", &p, &e) == ERR_OK);
    CHECK(p && !strcmp(p->parcel_id, "080505_4.0001.2"));
    CHECK(gis_place_parcel_by_obreb(store, a, "kunowice", "7", &p, &e) == ERR_OK);
    CHECK(p && !strcmp(p->parcel_id, "080505_5.0001.7"));
    CHECK(gis_place_parcel_by_obreb(store, a, "080505_4.0001", "3/4", &p, &e) == ERR_OK);
    CHECK(p && !strcmp(p->parcel_id, "080505_4.0001.3/4"));
    /* Obręb number 1 exists in both units; parcel 7 only in one, parcel 1 in both. */
    CHECK(gis_place_parcel_by_obreb(store, a, "1", "7", &p, &e) == ERR_OK);
    CHECK(p && !strcmp(p->parcel_id, "080505_5.0001.7"));
    CHECK(gis_place_parcel_by_obreb(store, a, "0001", "1", &p, &e) == ERR_CONFLICT);
    CHECK(strstr(e.msg, "080505_4.0001.1") && strstr(e.msg, "080505_5.0001.1"));
    e = (struct err){0};
    CHECK(gis_place_parcel_by_obreb(store, a, "Rzepin", "1", &p, &e) == ERR_NOT_FOUND);
    e = (struct err){0};
    CHECK(gis_place_parcel_by_obreb(store, a, "Słubice", "999", &p, &e) == ERR_NOT_FOUND);
}

static const struct gis_zone_hit *zone(const struct gis_parcel_zones *z, enum gis_zone_kind k, const char *label)
{
    for (int i = 0; i < z->nzones; i++)
        if (z->zones[i].kind == k && !strcmp(z->zones[i].label, label))
            return &z->zones[i];
    return NULL;
}

/* The zones of parcel id on date (NULL: today). */
static struct gis_parcel_zones zones_on(const char *id, const char *date)
{
    struct err e = {0};
    struct gis_parcel *p = NULL;
    struct gis_parcel_zones z = {0};
    CHECK(gis_place_parcel_by_id(store, a, id, &p, &e) == ERR_OK);
    if (p)
        CHECK(gis_place_zones(store, a, p, date, &z, &e) == ERR_OK);
    return z;
}

static struct gis_parcel_zones zones_of(const char *id)
{
    return zones_on(id, NULL);
}

static void zones_whole_parcel(void)
{
    struct gis_parcel_zones z = zones_of("080505_4.0001.1");
    CHECK(z.nzones == 3 && z.nplans == 2);
    if (z.nzones != 3)
        return;
    /* Ordered MPZP, overlays, POG. */
    CHECK(z.zones[0].kind == GIS_ZONE_MPZP && z.zones[1].kind == GIS_ZONE_OVERLAY && z.zones[2].kind == GIS_ZONE_POG);
    const struct gis_zone_hit *mn = zone(&z, GIS_ZONE_MPZP, "1MN");
    CHECK(mn && fabs(mn->share_pct - 100) < 1e-9 && fabs(mn->area_m2 - 400) < 1e-6);
    CHECK(mn && !strcmp(mn->symbol, "MN") && !strcmp(z.plans[mn->plan].title, "MPZP Centrum"));
    CHECK(mn && z.plans[mn->plan].scale == 1000 && strstr(z.plans[mn->plan].resolution, "XII/98/2019"));
    CHECK(mn && mn->nparams == 5); /* height, storeys, intensity, bio, roof */
    bool roof = false, height = false;
    for (int i = 0; mn && i < mn->nparams; i++) {
        roof |= !strcmp(mn->params[i].name, "roof") && mn->params[i].text && !strcmp(mn->params[i].text, "dwuspadowy");
        height |= !strcmp(mn->params[i].name, "max_height_m") && !mn->params[i].text && mn->params[i].value == 9.5;
    }
    CHECK(roof && height);
    const struct gis_zone_hit *ov = zone(&z, GIS_ZONE_OVERLAY, "SOK");
    CHECK(ov && fabs(ov->share_pct - 25) < 1e-9 && !ov->symbol && !strcmp(ov->overlay_kind, "konserwatorska"));
    const struct gis_zone_hit *sj = zone(&z, GIS_ZONE_POG, "1SJ");
    CHECK(sj && fabs(sj->share_pct - 100) < 1e-9 && !strcmp(z.plans[sj->plan].kind, "pog"));
    for (int i = 0; i < z.nplans; i++)
        CHECK(fabs(z.plans[i].share_pct - 100) < 1e-9);
}

static void zones_split_parcel(void)
{
    struct gis_parcel_zones z = zones_of("080505_4.0001.2");
    const struct gis_zone_hit *mn = zone(&z, GIS_ZONE_MPZP, "1MN"), *u = zone(&z, GIS_ZONE_MPZP, "2U");
    CHECK(mn && u && fabs(mn->share_pct - 50) < 1e-9 && fabs(u->share_pct - 50) < 1e-9);
    CHECK(mn && u && fabs(mn->area_m2 + u->area_m2 - 400) < 1e-6);
    const struct gis_zone_hit *ov = zone(&z, GIS_ZONE_OVERLAY, "SOK");
    CHECK(ov && fabs(ov->share_pct - 12.5) < 1e-9);
    /* Parcel 3/4 sticks out of the MPZP: half of it is in the plan, all of that in 2U. */
    z = zones_of("080505_4.0001.3/4");
    u = zone(&z, GIS_ZONE_MPZP, "2U");
    CHECK(u && fabs(u->share_pct - 50) < 1e-9 && !zone(&z, GIS_ZONE_MPZP, "1MN"));
    bool mpzp_half = false;
    for (int i = 0; i < z.nplans; i++)
        mpzp_half |= !strcmp(z.plans[i].kind, "mpzp") && fabs(z.plans[i].share_pct - 50) < 1e-9;
    CHECK(mpzp_half);
    /* A Kunowice parcel: no MPZP, only the POG zone 2SU. */
    z = zones_of("080505_5.0001.7");
    CHECK(z.nzones == 1 && z.nplans == 1 && z.zones[0].kind == GIS_ZONE_POG && !strcmp(z.zones[0].label, "2SU"));
}

/* Plans on a date (migration 007): validity, status, and an amendment cutting the plan it amends. */
static void zones_on_a_date(void)
{
    char g[256];
    exec("UPDATE plans SET valid_from = '2019-07-01' WHERE id = 1");
    /* an amendment of plan 1 over x 10..20 since 2025; a repealed predecessor; a draft; an ended plan
     * without its end date; a plan adopted for 2030 */
    execf("INSERT INTO plans (id, kind, title, status, valid_from, amends_plan_id, geom) VALUES "
          "(10, 'mpzp', 'Zmiana', 'obowiązujący', '2025-01-01', 1, %s)",
          rect(g, sizeof g, 10, 0, 20, 40));
    execf("INSERT INTO plan_zones (id, plan_id, label, symbol, name, geom) VALUES (10, 10, '1ZP', 'ZP', 'zieleń', %s)",
          rect(g, sizeof g, 10, 0, 20, 40));
    execf("INSERT INTO plans (id, kind, title, status, valid_from, valid_to, changed_by, geom) VALUES "
          "(11, 'mpzp', 'Stary', 'uchylony', '2000-01-01', '2019-07-01', 'Uchwała nr XII/98/2019', %s)",
          rect(g, sizeof g, 0, 0, 50, 40));
    for (int id = 12; id <= 14; id++)
        execf("INSERT INTO plans (id, kind, title, status, valid_from, geom) VALUES (%d, 'mpzp', 'Inny', '%s', %s, %s)",
              id,
              id == 12   ? "projekt"
              : id == 13 ? "uchylony"
                         : "obowiązujący",
              id == 14 ? "'2030-01-01'" : "NULL", rect(g, sizeof g, 0, 0, 50, 40));
    for (int id = 11; id <= 14; id++)
        execf(
            "INSERT INTO plan_zones (id, plan_id, label, symbol, name, geom) VALUES (%d, %d, '%dR', 'R', 'rolny', %s)",
            id, id, id, rect(g, sizeof g, 0, 0, 50, 40));

    /* before the amendment: plan 1 alone, as always */
    struct gis_parcel_zones z = zones_on("080505_4.0001.1", "2024-12-31");
    const struct gis_zone_hit *mn = zone(&z, GIS_ZONE_MPZP, "1MN");
    CHECK(mn && fabs(mn->share_pct - 100) < 1e-9 && !zone(&z, GIS_ZONE_MPZP, "1ZP"));
    CHECK(zone(&z, GIS_ZONE_OVERLAY, "SOK") && !zone(&z, GIS_ZONE_MPZP, "12R") && !zone(&z, GIS_ZONE_MPZP, "13R"));
    /* from its first day: the amendment inside its boundary, plan 1 outside; plan 1's overlay there is cut */
    z = zones_on("080505_4.0001.1", "2025-01-01");
    mn = zone(&z, GIS_ZONE_MPZP, "1MN");
    const struct gis_zone_hit *zp = zone(&z, GIS_ZONE_MPZP, "1ZP");
    CHECK(mn && zp && fabs(mn->share_pct - 50) < 1e-9 && fabs(zp->share_pct - 50) < 1e-9);
    CHECK(!zone(&z, GIS_ZONE_OVERLAY, "SOK")); /* it lay within x 10..25, so in the amendment on this parcel */
    for (int i = 0; i < z.nplans; i++) {
        if (z.plans[i].id == 1)
            CHECK(fabs(z.plans[i].share_pct - 50) < 1e-9); /* the plan applies to the half outside */
        if (z.plans[i].id == 10)
            CHECK(z.plans[i].amends == 1 && z.plans[i].amends_title &&
                  !strcmp(z.plans[i].amends_title, "MPZP Centrum"));
    }
    /* the repealed predecessor, only while it was in force; with its end and the repealing resolution */
    z = zones_on("080505_4.0001.1", "2010-05-05");
    CHECK(z.nplans == 2 && zone(&z, GIS_ZONE_MPZP, "11R") && !zone(&z, GIS_ZONE_MPZP, "1MN"));
    for (int i = 0; i < z.nplans; i++)
        if (z.plans[i].id == 11)
            CHECK(!strcmp(z.plans[i].valid_to, "2019-07-01") && strstr(z.plans[i].changed_by, "XII/98"));
    z = zones_on("080505_4.0001.1", "2019-07-01");
    CHECK(!zone(&z, GIS_ZONE_MPZP, "11R") && zone(&z, GIS_ZONE_MPZP, "1MN"));
    /* the 2030 plan from 2030; the draft and the ended plan without an end never */
    z = zones_on("080505_4.0001.1", "2030-01-01");
    CHECK(zone(&z, GIS_ZONE_MPZP, "14R") && !zone(&z, GIS_ZONE_MPZP, "12R") && !zone(&z, GIS_ZONE_MPZP, "13R"));
    struct err e = {0};
    struct gis_parcel *p = NULL;
    CHECK(gis_place_parcel_by_id(store, a, "080505_4.0001.1", &p, &e) == ERR_OK);
    CHECK(p && gis_place_zones(store, a, p, "2025-02-30", &z, &e) == ERR_INVALID && !strcmp(e.param, "date"));

    exec("DELETE FROM plan_zones WHERE plan_id >= 10");
    exec("DELETE FROM plans WHERE id >= 10");
    exec("UPDATE plans SET valid_from = NULL WHERE id = 1");
}

static void parcel_at_point(void)
{
    struct err e = {0};
    struct gis_parcel *p = NULL;
    CHECK(gis_place_parcel_at(store, a, X0 + 5, Y0 + 5, &p, &e) == ERR_OK && p && p->id == 1);
    CHECK(gis_place_parcel_at(store, a, X0 + 35, Y0 + 5, &p, &e) == ERR_OK && p && p->id == 2);
    /* On the boundary of parcels 1 and 2: the lower id. */
    CHECK(gis_place_parcel_at(store, a, X0 + 20, Y0 + 10, &p, &e) == ERR_OK && p && p->id == 1);
    CHECK(gis_place_parcel_at(store, a, X0 + 100, Y0 + 100, &p, &e) == ERR_NOT_FOUND && !p);
    e = (struct err){0};
    CHECK(gis_place_parcel_at(store, a, NAN, Y0, &p, &e) == ERR_INVALID);
}

static void nearest_and_parcel_addresses(void)
{
    struct err e = {0};
    struct gis_place_address *ad = NULL;
    CHECK(gis_place_nearest_address(store, a, X0 + 31, Y0 + 11, 1000, &ad, &e) == ERR_OK);
    CHECK(ad && ad->id == 2 && fabs(ad->distance_m - sqrt(2)) < 1e-6);
    CHECK(ad && !strcmp(ad->label, "ul. Jedności Robotniczej 12a, 69-100 Słubice"));
    /* Far from everything: the window widens until it finds one. */
    CHECK(gis_place_nearest_address(store, a, X0 + 215, Y0 + 600, 5000, &ad, &e) == ERR_OK && ad && ad->id == 11);
    CHECK(gis_place_nearest_address(store, a, X0 + 215, Y0 + 600, 100, &ad, &e) == ERR_NOT_FOUND);
    e = (struct err){0};
    struct gis_parcel *p = NULL;
    CHECK(gis_place_parcel_by_id(store, a, "080505_4.0001.1", &p, &e) == ERR_OK);
    struct gis_place_address *list = NULL;
    int n = 0;
    CHECK(p && gis_place_parcel_addresses(store, a, p, 10, &list, &n, &e) == ERR_OK);
    /* Number 12 names the parcel; 16 stands in it without a parcel id. */
    CHECK(n == 2 && list && !strcmp(list[0].number, "12") && !strcmp(list[1].number, "16"));
    CHECK(gis_place_parcel_by_id(store, a, "080505_5.0001.7", &p, &e) == ERR_OK);
    CHECK(p && gis_place_parcel_addresses(store, a, p, 10, &list, &n, &e) == ERR_OK);
    CHECK(n == 1 && list && !strcmp(list[0].label, "Kunowice 12, 69-113") && !list[0].street);
}

static void gmina_area(void)
{
    struct err e = {0};
    bool in = false;
    CHECK(gis_place_in_gmina(store, X0 + 5, Y0 + 5, &in, &e) == ERR_OK && in);
    CHECK(gis_place_in_gmina(store, X0 + 5000, Y0 + 5, &in, &e) == ERR_OK && !in);
    CHECK(gis_place_in_gmina(store, NAN, Y0, &in, &e) == ERR_OK && !in);
}

static void geometry_output(void)
{
    struct err e = {0};
    struct gis_parcel *p = NULL;
    CHECK(gis_place_parcel_by_id(store, a, "080505_4.0001.1", &p, &e) == ERR_OK);
    if (!p)
        return;
    /* GeoJSON in CRS84 is lon, lat; in EPSG:2180 it is northing, easting (authority order). */
    json_t *g = gis_place_geojson(p->wkb, p->wkb_len, GIS_CRS_CRS84, &e);
    json_t *c = json_array_get(json_array_get(json_array_get(json_object_get(g, "coordinates"), 0), 0), 0);
    CHECK_STR(json_string_value(json_object_get(g, "type")), "MultiPolygon");
    CHECK(c && json_real_value(json_array_get(c, 0)) > 14 && json_real_value(json_array_get(c, 0)) < 15);
    CHECK(c && json_real_value(json_array_get(c, 1)) > 52 && json_real_value(json_array_get(c, 1)) < 53);
    json_decref(g);
    g = gis_place_geojson(p->wkb, p->wkb_len, GIS_CRS_2180, &e);
    c = json_array_get(json_array_get(json_array_get(json_object_get(g, "coordinates"), 0), 0), 0);
    CHECK(c && json_real_value(json_array_get(c, 0)) == Y0 && json_real_value(json_array_get(c, 1)) == X0);
    json_decref(g);
    g = gis_place_geojson(p->wkb, p->wkb_len, GIS_CRS_4326, &e);
    c = json_array_get(json_array_get(json_array_get(json_object_get(g, "coordinates"), 0), 0), 0);
    CHECK(c && json_real_value(json_array_get(c, 0)) > 52 && json_real_value(json_array_get(c, 1)) < 15);
    json_decref(g);
    /* EWKT is always x = easting / longitude first, one-part multipolygons as POLYGON. */
    const char *wkt = gis_place_ewkt(a, p->wkb, p->wkb_len, GIS_CRS_2180, &e);
    CHECK_STR(wkt, "SRID=2180;POLYGON((197000 507000,197020 507000,197020 507020,197000 507020,197000 507000))");
    wkt = gis_place_ewkt(a, p->wkb, p->wkb_len, GIS_CRS_4326, &e);
    CHECK(wkt && !strncmp(wkt, "SRID=4326;POLYGON((14.", 22));
    const char *hex = gis_place_ewkb_hex(a, p->wkb, p->wkb_len, GIS_CRS_2180, &e);
    CHECK(hex && !strncmp(hex, "010300002084080000", 18)); /* NDR polygon with SRID 2180 (0x884) */
    double b[4];
    CHECK(gis_place_extent(p->wkb, p->wkb_len, GIS_CRS_2180, b, &e) == ERR_OK);
    CHECK(b[0] == X0 && b[1] == Y0 && b[2] == X0 + 20 && b[3] == Y0 + 20);
    CHECK(e.code == ERR_OK);
}

/* ---- geocoder ---- */

static struct gis_geocoder *gc;

static const struct gis_geocode_addr *first(const char *q, int *n_out)
{
    struct gis_geocode_hit hits[10];
    int n = 0;
    struct err e = {0};
    if (gis_geocode_search(gc, q, hits, 10, &n, &e) != ERR_OK)
        printf("  search '%s': %s\n", q, e.msg);
    if (n_out)
        *n_out = n;
    return n ? hits[0].addr : NULL;
}

static long first_id(const char *q)
{
    const struct gis_geocode_addr *ad = first(q, NULL);
    return ad ? ad->id : -1;
}

static void geocoder_builds(void)
{
    struct err e = {0};
    CHECK(gis_geocoder_new(store, &gc, &e) == ERR_OK);
    CHECK(gc && gis_geocoder_size(gc) == 12);
    CHECK(gc && !gis_geocoder_stale(gc, store));
}

static void geocoder_forgiving(void)
{
    if (!gc)
        return;
    const struct gis_geocode_addr *ad = first("ul. Jedności Robotniczej 12a, 69-100 Słubice", NULL);
    CHECK(ad && ad->id == 2 && !strcmp(ad->label, "ul. Jedności Robotniczej 12a, 69-100 Słubice"));
    CHECK(ad && fabs(ad->lon - 14.55) < 0.05 && fabs(ad->lat - 52.35) < 0.05);
    CHECK(first_id("SLUBICE jednosci ROBOTNICZEJ 12A") == 2); /* case, diacritics, order */
    CHECK(first_id("12a Robotniczej Slubice Jednosci") == 2);
    CHECK(first_id("Jednosci Robotnicej 14") == 3);    /* a letter missing */
    CHECK(first_id("Jedonsci Robotniczej 14") == 3);   /* two letters swapped */
    CHECK(first_id("Jednośći Robotniczej 12 a") == 2); /* "12 a" */
    CHECK(first_id("69-100 Jedności Robotniczej 1") == 4);
    CHECK(first_id("Jedn Robot 14") == 3); /* prefixes while typing */
    CHECK(first_id("al niepodleglosci 7") == 7);
    CHECK(first_id("Jedności Robotniczej 12a/3") == 2); /* flat 3 */
    CHECK(first_id("aleja Niepodległości 7 Słubice") == 7);
}

static void geocoder_house_numbers(void)
{
    if (!gc)
        return;
    struct gis_geocode_hit hits[10];
    int n = 0;
    struct err e = {0};
    CHECK(gis_geocode_search(gc, "Jedności Robotniczej 12", hits, 10, &n, &e) == ERR_OK);
    /* Exact 12, then 12a, then the near numbers 14, 16 and 1. */
    CHECK(n == 5);
    if (n == 5) {
        CHECK_STR(hits[0].addr->number, "12");
        CHECK_STR(hits[1].addr->number, "12a");
        CHECK_STR(hits[2].addr->number, "14");
        CHECK(hits[0].complete && !hits[1].complete && hits[0].score > hits[1].score && hits[1].score > hits[2].score);
        CHECK(hits[0].score > 0.99 && hits[0].score <= 1);
    }
    CHECK(gis_geocode_search(gc, "Jedności Robotniczej 12", hits, 2, &n, &e) == ERR_OK && n == 2);
    /* "3 Maja": the street's own number is a word, the second 3 the house number. */
    CHECK(first_id("ul. 3 Maja 5") == 6);
    CHECK(first_id("3 Maja 3") == 5);
    CHECK(first_id("Maja 3 5") == 6);
}

static void geocoder_villages_and_postal_codes(void)
{
    if (!gc)
        return;
    const struct gis_geocode_addr *ad = first("Kunowice 12", NULL);
    CHECK(ad && ad->id == 10 && !ad->street && !strcmp(ad->label, "Kunowice 12, 69-113"));
    CHECK(first_id("kunowice 15") == 11);
    /* Two streets called Polna: the locality or the postal code decides. */
    CHECK(first_id("Polna 2 Kunowice") == 9);
    CHECK(first_id("Polna 2 Słubice") == 8);
    CHECK(first_id("Polna 2, 69-113") == 9);
    CHECK(first_id("Polna 2 69113") == 9);
    CHECK(first_id("Polna 2, 69-100") == 8);
}

static void geocoder_rejects_and_misses(void)
{
    if (!gc)
        return;
    struct gis_geocode_hit hits[4];
    int n = -1;
    struct err e = {0};
    CHECK(gis_geocode_search(gc, "", hits, 4, &n, &e) == ERR_INVALID && !strcmp(e.param, "q"));
    e = (struct err){0};
    CHECK(gis_geocode_search(gc, "!!! ,,,", hits, 4, &n, &e) == ERR_INVALID);
    e = (struct err){0};
    char big[400];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(gis_geocode_search(gc, big, hits, 4, &n, &e) == ERR_INVALID);
    e = (struct err){0};
    CHECK(gis_geocode_search(gc, "Polna \xff\xfe 2", hits, 4, &n, &e) == ERR_INVALID);
    e = (struct err){0};
    CHECK(gis_geocode_search(gc, "a b c d e f g h i j k l m n o p q r s t u", hits, 4, &n, &e) == ERR_INVALID);
    e = (struct err){0};
    CHECK(gis_geocode_search(gc, "ul.", hits, 4, &n, &e) == ERR_OK && n == 0);
    CHECK(gis_geocode_search(gc, "Warszawska 1", hits, 4, &n, &e) == ERR_OK && n == 0);
    CHECK(gis_geocode_search(gc, "'; DROP TABLE addresses; --", hits, 4, &n, &e) == ERR_OK && n == 0);
    CHECK(gis_geocode_search(gc, "Słubice 12", hits, 4, &n, &e) == ERR_OK && n == 0); /* a town is not a street */
    CHECK(gis_geocode_search(gc, "Polna 2", hits, 0, &n, &e) == ERR_OK && n == 0);
    int nn;
    const struct gis_geocode_addr *ad = first("Kunowice 99", &nn);
    CHECK(ad && nn == 2); /* the village's numbers, nearest first, neither complete */
}

static void geocoder_sees_changes(void)
{
    if (!gc)
        return;
    exec("INSERT INTO addresses VALUES (13, 1, 4, '4', NULL, NULL, MakePoint(196900, 507060, 2180))");
    CHECK(gis_geocoder_stale(gc, store));
    struct gis_geocoder *g2 = NULL;
    struct err e = {0};
    CHECK(gis_geocoder_new(store, &g2, &e) == ERR_OK && gis_geocoder_size(g2) == 13);
    gis_geocoder_retire(g2, gc); /* g2 now owns gc */
    gc = g2;
    CHECK(first_id("Polna 4 Słubice") == 13);
}

/* ---- every parcel of the demo data ---- */

struct demo_job {
    char path[1024];
    long parcels, checked, failures, covered;
    double worst;
    char first_failure[512];
    pthread_t thread;
};

static void *demo_check(void *arg)
{
    struct demo_job *job = arg;
    struct err e = {0};
    struct gis_store *s = NULL;
    if (gis_store_open(job->path, GIS_STORE_READ, &s, &e) != ERR_OK) {
        snprintf(job->first_failure, sizeof job->first_failure, "open: %s", e.msg);
        job->failures++;
        return NULL;
    }
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT parcel_id FROM parcels ORDER BY id", &st, &e) == ERR_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            struct arena *pa = arena_new(16384);
            const char *id = (const char *)sqlite3_column_text(st, 0);
            struct gis_parcel *p = NULL;
            struct gis_parcel_zones z;
            job->parcels++;
            e = (struct err){0};
            if (gis_place_parcel_by_id(s, pa, id, &p, &e) || gis_place_zones(s, pa, p, NULL, &z, &e)) {
                if (!job->failures++)
                    snprintf(job->first_failure, sizeof job->first_failure, "%s: %s", id, e.msg);
                arena_free(pa);
                continue;
            }
            job->checked++;
            /* Per plan that covers the parcel entirely, its zones' shares sum to 100 ± 0.01. */
            for (int i = 0; i < z.nplans; i++) {
                if (z.plans[i].share_pct < 100 - 1e-6)
                    continue;
                job->covered++;
                double sum = 0;
                for (int k = 0; k < z.nzones; k++)
                    if (z.zones[k].plan == i && z.zones[k].kind != GIS_ZONE_OVERLAY)
                        sum += z.zones[k].share_pct;
                double dev = fabs(sum - 100);
                if (dev > job->worst)
                    job->worst = dev;
                if (dev > 0.01 && !job->failures++)
                    snprintf(job->first_failure, sizeof job->first_failure, "%s: zones of plan %ld (%s) sum to %.6f%%",
                             id, z.plans[i].id, z.plans[i].kind, sum);
            }
            arena_free(pa);
        }
        sqlite3_finalize(st);
    }
    gis_store_close(s);
    gis_geos_thread_cleanup();
    gis_crs_thread_cleanup();
    return NULL;
}

static const char *demo_dir;

static void shares_of_every_demo_parcel(void)
{
    DIR *d = opendir(demo_dir);
    CHECK(d != NULL);
    if (!d)
        return;
    struct demo_job jobs[16];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 16) {
        size_t l = strlen(de->d_name);
        /* every gmina's store; identity.sqlite (accounts, gis/identity.h) is the server's, not a gmina's */
        if (l > 7 && !strcmp(de->d_name + l - 7, ".sqlite") && strcmp(de->d_name, "identity.sqlite")) {
            memset(&jobs[n], 0, sizeof jobs[n]);
            snprintf(jobs[n].path, sizeof jobs[n].path, "%s/%s", demo_dir, de->d_name);
            n++;
        }
    }
    closedir(d);
    CHECK(n > 0);
    double start = log_now_ms();
    for (int i = 0; i < n; i++)
        pthread_create(&jobs[i].thread, NULL, demo_check, &jobs[i]);
    long total = 0, covered = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(jobs[i].thread, NULL);
        printf("  %s: %ld parcels, %ld checked, %ld plan covers, worst deviation %.2e%%, %ld failures%s%s\n",
               strrchr(jobs[i].path, '/') + 1, jobs[i].parcels, jobs[i].checked, jobs[i].covered, jobs[i].worst,
               jobs[i].failures, jobs[i].failures ? "; first: " : "", jobs[i].first_failure);
        CHECK(jobs[i].failures == 0 && jobs[i].checked == jobs[i].parcels && jobs[i].parcels > 0);
        total += jobs[i].checked;
        covered += jobs[i].covered;
    }
    printf("  %ld parcels, %ld plan covers checked in %.0f ms\n", total, covered, log_now_ms() - start);
}

/* WKB writer for the point-in-polygon tests: rings of 2D points, little or big endian, optional Z. */
struct wkbw {
    unsigned char b[1024];
    size_t n;
    bool be;
};

static void w_u32(struct wkbw *w, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        w->b[w->n++] = (unsigned char)(w->be ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void w_f64(struct wkbw *w, double d)
{
    unsigned char t[8];
    memcpy(t, &d, 8);
    for (int i = 0; i < 8; i++)
        w->b[w->n++] = w->be ? t[7 - i] : t[i];
}

/* a polygon: a 10 x 10 square with a 2 x 2 hole at (4..6, 4..6), offset by ox */
static void w_square(struct wkbw *w, double ox, bool z)
{
    w->b[w->n++] = w->be ? 0 : 1;
    w_u32(w, z ? 1003 : 3);
    w_u32(w, 2);
    const double outer[][2] = {{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
                 hole[][2] = {{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}};
    w_u32(w, 5);
    for (int i = 0; i < 5; i++) {
        w_f64(w, outer[i][0] + ox), w_f64(w, outer[i][1]);
        if (z)
            w_f64(w, 7);
    }
    w_u32(w, 5);
    for (int i = 0; i < 5; i++) {
        w_f64(w, hole[i][0] + ox), w_f64(w, hole[i][1]);
        if (z)
            w_f64(w, 7);
    }
}

static void wkb_point_in_polygon(void)
{
    for (int be = 0; be <= 1; be++)
        for (int z = 0; z <= 1; z++) {
            struct wkbw w = {.be = be};
            w_square(&w, 0, z);
            CHECK(gis_pip_wkb_locate(w.b, w.n, 1, 1) == 1);
            CHECK(gis_pip_wkb_locate(w.b, w.n, 5, 5) == 0);      /* in the hole */
            CHECK(gis_pip_wkb_locate(w.b, w.n, 11, 5) == 0);     /* outside */
            CHECK(gis_pip_wkb_locate(w.b, w.n, 10, 5) == 2);     /* on the outer edge */
            CHECK(gis_pip_wkb_locate(w.b, w.n, 4, 5) == 2);      /* on the hole's edge */
            CHECK(gis_pip_wkb_locate(w.b, w.n, 0, 0) == 2);      /* a vertex */
            CHECK(gis_pip_wkb_locate(w.b, w.n, 9.9995, 5) == 2); /* within 1 mm */
            CHECK(gis_pip_wkb_locate(w.b, w.n, 9.99, 5) == 1);
            struct gis_pip *pip = gis_pip_build(w.b, w.n); /* the banded index agrees everywhere */
            CHECK(pip != NULL);
            for (double x = -1; pip && x <= 11; x += 0.25)
                for (double y = -1; y <= 11; y += 0.25)
                    CHECK(gis_pip_locate(pip, x, y) == gis_pip_wkb_locate(w.b, w.n, x, y));
            gis_pip_free(pip);
            for (size_t cut = 0; cut < w.n; cut += 7) /* truncated: never read past the end, never inside */
                CHECK(gis_pip_wkb_locate(w.b, cut, 1, 1) == 0);
        }
    struct wkbw m = {0};
    m.b[m.n++] = 1;
    w_u32(&m, 6);
    w_u32(&m, 2);
    w_square(&m, 0, false);
    w_square(&m, 20, false);
    CHECK(gis_pip_wkb_locate(m.b, m.n, 21, 1) == 1);
    CHECK(gis_pip_wkb_locate(m.b, m.n, 15, 1) == 0);
    CHECK(gis_pip_wkb_locate(m.b, m.n, 25, 5) == 0);
    struct gis_pip *pip = gis_pip_build(m.b, m.n);
    CHECK(pip && gis_pip_locate(pip, 21, 1) == 1 && gis_pip_locate(pip, 15, 1) == 0 && gis_pip_locate(pip, 30, 3) == 2);
    gis_pip_free(pip);
    CHECK(gis_pip_build(m.b, m.n / 2) == NULL);
    m.b[1] = 1; /* a Point, not a polygon */
    CHECK(gis_pip_wkb_locate(m.b, m.n, 1, 1) == 0);
    m.b[0] = 7; /* no such byte order */
    CHECK(gis_pip_wkb_locate(m.b, m.n, 1, 1) == 0);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--demo")) {
        demo_dir = argv[2];
        RUN(shares_of_every_demo_parcel);
        return test_done();
    }
    build_store();
    a = arena_new(16384);
    RUN(parcel_id_syntax);
    RUN(parcel_by_id);
    RUN(parcel_by_obreb);
    RUN(zones_whole_parcel);
    RUN(zones_split_parcel);
    RUN(zones_on_a_date);
    RUN(parcel_at_point);
    RUN(nearest_and_parcel_addresses);
    RUN(gmina_area);
    RUN(geometry_output);
    RUN(geocoder_builds);
    RUN(geocoder_forgiving);
    RUN(geocoder_house_numbers);
    RUN(geocoder_villages_and_postal_codes);
    RUN(geocoder_rejects_and_misses);
    RUN(geocoder_sees_changes);
    RUN(wkb_point_in_polygon);
    gis_geocoder_free(gc);
    arena_free(a);
    gis_store_close(store);
    gis_geos_thread_cleanup();
    gis_crs_thread_cleanup();
    unlink(path);
    char wal[300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
    rmdir(dir);
    return test_done();
}
