/* Unit tests for tiles/tileset: raster tiles of every built-in tileset, at 1x and 2x, with data and
 * empty, decode with libpng (CRCs checked), as QGIS's Qt reads them. */
#include "gis/store_sql.h"
#include "tiles/tileset.h"

#include <stdlib.h>
#include <unistd.h>

#include "tests/png_check.h"
#include "tests/store_fixture.h"
#include "tests/test.h"

static char path[] = "/tmp/odra-test-tileset-XXXXXX";
static struct gis_store *store;

/* A store with one MN zone, one plan and one parcel around the centre of Słubice (52.35 N, 14.561 E). */
static void setup(void)
{
    struct err e = {0};
    struct gis_store *w = test_store_new(path);
    CHECK(w != NULL);
    if (!w)
        return;
#define AROUND(r) "CastToMultiPolygon(Buffer(Transform(MakePoint(14.561, 52.35, 4326), 2180), " #r "))"
    CHECK(gis_store_exec(
              w,
              "BEGIN;"
              "INSERT INTO plans (id, kind, title, geom) VALUES (1, 'mpzp', 'Plan', " AROUND(
                  400) ");"
                       "INSERT INTO plan_zones (plan_id, label, symbol, name, geom) VALUES (1, '1MN', 'MN',"
                       " 'teren zabudowy mieszkaniowej jednorodzinnej', " AROUND(
                           300) ");"
                                "INSERT INTO obreby (id, unit, number, name) VALUES (1, '080505_4', '0001', 'Słubice');"
                                "INSERT INTO parcels (parcel_id, obreb_id, number, area_m2, geom) VALUES "
                                " ('080505_4.0001.1/1', 1, '1/1', 900, " AROUND(20) ");"
                                                                                    "COMMIT;",
              &e) == ERR_OK);
#undef AROUND
    if (e.code)
        printf("  %s\n", e.msg);
    gis_store_close(w);
    CHECK(gis_store_open(path, GIS_STORE_READ, &store, &e) == ERR_OK);
}

/* Renders z/x/y of ts in f and decodes it; returns whether the pixels vary (something was drawn). */
static int tile_png(const struct tile_set *ts, enum tile_format f, int z, long x, long y)
{
    struct err e = {0};
    struct buf b = {0};
    struct png_check c = {0};
    int varied = -1;
    CHECK(tile_render(store, ts, f, z, x, y, NULL, &b, &e) == ERR_OK);
    if (e.code)
        printf("  %s %d/%ld/%ld: %s\n", ts->name, z, x, y, e.msg);
    int rc = png_check_decode(b.data, b.len, &c);
    if (rc)
        printf("  libpng, %s %d/%ld/%ld: %s\n", ts->name, z, x, y, c.msg);
    int side = f == TILE_PNG2X ? 512 : 256;
    CHECK(rc == 0 && c.width == side && c.height == side);
    if (rc == 0)
        varied = png_check_varied(&c);
    png_check_free(&c);
    buf_free(&b);
    return varied;
}

static void raster_tiles_decode_with_libpng(void)
{
    int n = 0;
    for (int i = 0; tile_set_at(i); i++, n++) {
        const struct tile_set *ts = tile_set_at(i);
        for (enum tile_format f = TILE_PNG; f <= TILE_PNG2X; f++) {
            CHECK(tile_png(ts, f, 15, 17709, 10771) >= 0); /* over the data */
            CHECK(tile_png(ts, f, 15, 0, 0) >= 0);         /* empty: background or transparent */
            CHECK(tile_png(ts, f, 0, 0, 0) >= 0);          /* the whole world */
        }
    }
    CHECK(n >= 2);
    /* the plan tileset draws the zone: not a blank tile */
    const struct tile_set *plan = tile_set_find("plan");
    CHECK(plan && tile_png(plan, TILE_PNG, 15, 17709, 10771) == 1);
    CHECK(plan && tile_png(plan, TILE_PNG2X, 15, 17709, 10771) == 1);
}

static void teardown(void)
{
    gis_store_close(store);
    const char *sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char f[300];
        snprintf(f, sizeof f, "%s%s", path, sfx[i]);
        unlink(f);
    }
}

int main(void)
{
    RUN(setup);
    if (!store)
        return test_done();
    RUN(raster_tiles_decode_with_libpng);
    RUN(teardown);
    return test_done();
}
