/* Unit tests for the layer table (gis/layers.h): the core's layers, registration and its refusals, the
 * plan map's order, and the bbox query, checked against SQL counts of the same store. */
#include "gis/layers.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "gis/features.h"
#include "gis/store_sql.h"
#include "tests/store_fixture.h"
#include "tests/test.h"

static char path[] = "/tmp/odra-test-layers-XXXXXX";
static struct gis_store *store;

/* Parcels on a 10 x 10 grid of 20 m squares (one of them a 1 m square), and three address points. */
static void setup(void)
{
    struct err e = {0};
    store = test_store_new(path);
    CHECK(store != NULL);
    if (!store)
        return;
    CHECK(gis_store_exec(store, "INSERT INTO obreby (id, unit, number, name) VALUES (1, '080505_4', '0001', 'S')",
                         &e) == ERR_OK);
    char sql[400];
    for (int i = 0; i < 100; i++) {
        double x = 470000 + 20 * (i % 10), y = 510000 + 20 * (i / 10), w = i == 55 ? 1 : 20;
        snprintf(sql, sizeof sql,
                 "INSERT INTO parcels (parcel_id, obreb_id, number, area_m2, geom) VALUES ('080505_4.0001.%d', 1, "
                 "'%d', %g, CastToMultiPolygon(BuildMbr(%f, %f, %f, %f, 2180)))",
                 i, i, w * w, x, y, x + w, y + w);
        CHECK(gis_store_exec(store, sql, &e) == ERR_OK);
    }
    CHECK(gis_store_exec(store,
                         "INSERT INTO localities (id, name, kind, simc) VALUES (1, 'S', 'miasto', '0000001');"
                         "INSERT INTO addresses (locality_id, number, geom) VALUES"
                         " (1, '1', MakePoint(470005, 510005, 2180)), (1, '2', MakePoint(470105, 510105, 2180)),"
                         " (1, '3', MakePoint(471000, 511000, 2180))",
                         &e) == ERR_OK);
    if (e.code)
        printf("  %s\n", e.msg);
}

static void teardown(void)
{
    gis_store_close(store);
    unlink(path);
}

static void core_table(void)
{
    /* every collection is a layer of the table, found by its id, with its table in the store */
    const struct gis_collection *c;
    int n = 0;
    for (int i = 0; (c = gis_collection_at(i)); i++, n++) {
        const struct gis_layer *L = gis_collection_layer(c);
        CHECK(gis_layer_index(L) >= 0 && L->table && gis_collection_find(c->id) == c);
        CHECK(gis_store_count(store, L->table) >= 0);
    }
    CHECK(n == 9);
    /* every map layer is found by its name and has as many expressions as attributes */
    const struct gis_layer *L;
    for (int i = 0; (L = gis_layer_at(i)); i++) {
        if (!L->map.name)
            continue;
        CHECK(gis_layer_find(L->map.name) == L);
        int k = 0;
        while (L->map.cols[k])
            k++;
        CHECK(k == gis_layer_nkeys(L));
    }
    CHECK(gis_layer_find("no-such-layer") == NULL && gis_layer_index(NULL) == -1);
}

static void plan_order(void)
{
    static const char *const want[] = {"landcover", "pog-zones", "plan-zones", "overlays",  "plan-lines", "plans",
                                       "buildings", "parcels",   "streets",    "addresses", NULL};
    const char *const *got = gis_layers_plan();
    for (int i = 0; want[i] || got[i]; i++)
        CHECK(want[i] && got[i] && !strcmp(want[i], got[i]));
}

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

static const struct gis_layer extra[] = {
    {.table = "extra_sites",
     .collection = {"extra-sites", "Miejsca", "Sites", "extra_sites t", "Point", NULL},
     .map = {"extra-sites", "extra_sites t", LIST("name"), LIST("t.name"), 0, 0}},
    {.table = NULL},
};
static const struct gis_layer clashing_id[] = {
    {.table = "other", .collection = {"parcels", "Działki", "", "other t", "Point", NULL}},
    {.table = NULL},
};
static const struct gis_layer in_plan[] = {
    {.table = "other", .map = {"other", "other t", LIST("a"), LIST("t.a"), 0, 10}},
    {.table = NULL},
};

static void registration(void)
{
    struct err e = {0};
    int before = 0;
    while (gis_layer_at(before))
        before++;
    CHECK(gis_layers_register(extra, &e) == ERR_OK);
    CHECK(gis_layers_register(extra, &e) == ERR_OK); /* again: a no-op */
    CHECK(gis_layer_at(before) == &extra[0] && gis_layer_at(before + 1) == NULL);
    CHECK(gis_layer_index(&extra[0]) == before && gis_layer_find("extra-sites") == &extra[0]);
    CHECK(gis_collection_find("extra-sites") == &extra[0].collection);
    CHECK(gis_layers_register(clashing_id, &e) == ERR_INVALID && strstr(e.msg, "other"));
    e = (struct err){0};
    CHECK(gis_layers_register(in_plan, &e) == ERR_INVALID && strstr(e.msg, "plan"));
    CHECK(gis_layer_at(before + 1) == NULL);
}

struct tally {
    long n, stop_after;
    long long id_sum;
    int texts;
};

static bool count_row(void *ctx, const struct gis_layer_row *row)
{
    struct tally *t = ctx;
    struct gis_value v;
    gis_layer_row_value(row, 0, &v); /* parcels: number, a text */
    t->texts += v.type == GIS_VALUE_TEXT && v.len == strlen(v.text);
    t->n++;
    t->id_sum += row->id;
    return !t->stop_after || t->n < t->stop_after;
}

static void bbox_query(void)
{
    struct err e = {0};
    const struct gis_layer *P = gis_layer_find("parcels");
    /* the 3 x 3 squares whose boxes meet a box inside the middle of (2,2)..(4,4) */
    double box[4] = {470045, 510045, 470085, 510085};
    struct tally t = {0};
    CHECK(gis_store_bbox_query(store, P, box, 0, 1000, NULL, count_row, &t, &e) == ERR_OK);
    CHECK(t.n == 9 && t.texts == 9);
    /* the small parcel (5,5) is left out with a minimum size of 2 m */
    double box55[4] = {470100.2, 510100.2, 470100.8, 510100.8};
    t = (struct tally){0};
    CHECK(gis_store_bbox_query(store, P, box55, 0, 1000, NULL, count_row, &t, &e) == ERR_OK && t.n == 1);
    t = (struct tally){0};
    CHECK(gis_store_bbox_query(store, P, box55, 2, 1000, NULL, count_row, &t, &e) == ERR_OK && t.n == 0);
    /* the limit and the callback both stop it */
    double world[4] = {0, 0, 1e7, 1e7};
    t = (struct tally){0};
    CHECK(gis_store_bbox_query(store, P, world, 0, 1000, NULL, count_row, &t, &e) == ERR_OK && t.n == 100);
    CHECK(t.id_sum == 100 * 101 / 2);
    t = (struct tally){0};
    CHECK(gis_store_bbox_query(store, P, world, 0, 7, NULL, count_row, &t, &e) == ERR_OK && t.n == 7);
    t = (struct tally){.stop_after = 3};
    CHECK(gis_store_bbox_query(store, P, world, 0, 1000, NULL, count_row, &t, &e) == ERR_OK && t.n == 3);
    /* points have no size, so a minimum size leaves them all out; a box around one finds it */
    const struct gis_layer *A = gis_layer_find("addresses");
    t = (struct tally){0};
    CHECK(gis_store_bbox_query(store, A, world, 0, 1000, NULL, count_row, &t, &e) == ERR_OK && t.n == 3);
    t = (struct tally){0};
    CHECK(gis_store_bbox_query(store, A, world, 0.5, 1000, NULL, count_row, &t, &e) == ERR_OK && t.n == 0);
    double near[4] = {470100, 510100, 470110, 510110};
    t = (struct tally){0};
    CHECK(gis_store_bbox_query(store, A, near, 0, 1000, NULL, count_row, &t, &e) == ERR_OK && t.n == 1);
    /* a layer whose table the store lacks is an error naming the store */
    t = (struct tally){0};
    CHECK(gis_store_bbox_query(store, &extra[0], world, 0, 10, NULL, count_row, &t, &e) == ERR_IO && t.n == 0);
    CHECK(strstr(e.msg, "extra_sites") != NULL);
}

static void extent_and_info(void)
{
    double b[4];
    CHECK(gis_layer_extent(store, gis_layer_find("parcels"), b));
    CHECK(fabs(b[0] - 470000) < 0.01 && fabs(b[1] - 510000) < 0.01 && fabs(b[2] - 470200) < 0.01 &&
          fabs(b[3] - 510200) < 0.01);
    CHECK(!gis_layer_extent(store, gis_layer_find("buildings"), b)); /* empty */
    CHECK(!gis_layer_extent(store, &extra[0], b));                   /* no such table */
    struct gis_layer_info info;
    gis_layer_info(store, gis_layer_find("parcels"), &info);
    CHECK(info.count == 100 && info.geometry && !strcmp(info.geometry, "Polygon"));
    CHECK(!info.number[0] && !info.number[1]); /* number, parcel_id: text */
    gis_layer_info(store, gis_layer_find("buildings"), &info);
    CHECK(info.count == 0 && info.number[1]); /* storeys: an INTEGER column */
    gis_layer_info(store, &extra[0], &info);
    CHECK(info.count == 0 && !info.geometry);
}

int main(void)
{
    RUN(setup);
    RUN(core_table);
    RUN(plan_order);
    RUN(registration);
    RUN(bbox_query);
    RUN(extent_and_info);
    RUN(teardown);
    return test_done();
}
