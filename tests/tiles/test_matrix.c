/* Unit tests for tiles/matrix (strict z/x/y parsing, extents, ranges, the WorldCRS84Quad grid), the
 * single-layer tilesets, and the MVT encoder on a small store. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gdal.h>

#include "tests/test.h"
#include "tiles/cache.h"
#include "tiles/matrix.h"
#include "tiles/mvt.h"
#include "tiles/tileset.h"

static void parse_is_strict(void)
{
    long v;
    CHECK(tile_parse_index("0", 0, &v) && v == 0);
    CHECK(tile_parse_index("4095", 4095, &v) && v == 4095);
    CHECK(!tile_parse_index("4096", 4095, &v));
    const char *bad[] = {"", "-1", "+1", " 1", "1 ", "1.0", "0x1", "..", "%2e", "1e3", "9999999999", "a", NULL};
    for (int i = 0; bad[i]; i++)
        CHECK(!tile_parse_index(bad[i], 1L << 30, &v));
    CHECK(!tile_parse_index(NULL, 10, &v));
}

static void check_ranges(void)
{
    struct err e = {0};
    CHECK(tile_check(0, 0, 0, &e) == ERR_OK);
    CHECK(tile_check(TILE_MAX_ZOOM, (1L << TILE_MAX_ZOOM) - 1, 0, &e) == ERR_OK);
    err_clear(&e);
    CHECK(tile_check(TILE_MAX_ZOOM + 1, 0, 0, &e) == ERR_INVALID);
    CHECK_STR(e.param, "z");
    err_clear(&e);
    CHECK(tile_check(3, 8, 0, &e) == ERR_INVALID);
    CHECK_STR(e.param, "x");
}

static void bounds_and_range(void)
{
    double b[4];
    tile_bounds(0, 0, 0, b);
    CHECK(fabs(b[0] + TILE_ORIGIN) < 1e-6 && fabs(b[3] - TILE_ORIGIN) < 1e-6);
    tile_bounds(1, 1, 0, b);
    CHECK(fabs(b[0]) < 1e-6 && fabs(b[1]) < 1e-6);
    long r[4];
    /* a box strictly inside tile 12/2213/1346 meets only it without buffer */
    tile_bounds(12, 2213, 1346, b);
    double in[4] = {b[0] + 10, b[1] + 10, b[2] - 10, b[3] - 10};
    CHECK(tile_range(12, in, 0, r) && r[0] == 2213 && r[2] == 2213 && r[1] == 1346 && r[3] == 1346);
    /* with a quarter-tile buffer the neighbours are reached */
    CHECK(tile_range(12, in, tile_size(12) / 4, r) && r[0] == 2212 && r[2] == 2214 && r[1] == 1345 && r[3] == 1347);
    /* a box touching an edge only does not reach over it */
    double edge[4] = {b[0], b[1] + 10, b[0] + 5, b[1] + 20};
    CHECK(tile_range(12, edge, 0, r) && r[0] == 2213 && r[2] == 2213);
}

static void crs84_grid(void)
{
    enum tile_grid g = TILE_GRID_CRS84;
    struct err e = {0};
    CHECK(tile_grid_cols(g, 0) == 2 && tile_grid_cols(g, 5) == 64 && tile_grid_cols(TILE_GRID_WEBMERCATOR, 5) == 32);
    double b[4], w[4];
    tile_grid_bounds(g, 0, 1, 0, b);
    CHECK(b[0] == 0 && b[1] == -90 && b[2] == 180 && b[3] == 90);
    tile_grid_bounds(g, 3, 0, 0, b);
    CHECK(b[0] == -180 && b[2] == -157.5 && b[1] == 67.5 && b[3] == 90);
    CHECK(tile_grid_size(g, 3) == 22.5);
    /* the WebMercatorQuad grid is the XYZ one */
    tile_grid_bounds(TILE_GRID_WEBMERCATOR, 12, 2213, 1346, b);
    tile_bounds(12, 2213, 1346, w);
    CHECK(!memcmp(b, w, sizeof b));
    /* Słubice (14.56 E, 52.35 N) at zoom 11: column (14.56 + 180) / (180 / 2048), row (90 - 52.35) / ... */
    double pt[4] = {14.56, 52.35, 14.56001, 52.35001};
    long r[4];
    CHECK(tile_grid_range(g, 11, pt, 0, r) && r[0] == 2213 && r[2] == 2213 && r[1] == 428 && r[3] == 428);
    CHECK(tile_grid_range(g, 11, pt, tile_grid_size(g, 11), r) && r[0] == 2212 && r[2] == 2214);
    double world[4] = {-180, -90, 180, 90};
    CHECK(tile_grid_range(g, 2, world, 0, r) && r[0] == 0 && r[2] == 7 && r[1] == 0 && r[3] == 3);
    CHECK(tile_grid_check(g, 2, 7, 3, &e) == ERR_OK);
    CHECK(tile_grid_check(g, 2, 8, 0, &e) == ERR_INVALID);
    CHECK_STR(e.param, "x");
    struct err e2 = {0};
    CHECK(tile_grid_check(g, 2, 0, 4, &e2) == ERR_INVALID);
    CHECK_STR(e2.param, "y");
    CHECK(tile_grid_check(TILE_GRID_WEBMERCATOR, 2, 4, 0, &e) == ERR_INVALID);
}

static void layer_tilesets(void)
{
    /* a tileset whose only layer is the collection's is that tileset */
    CHECK(tile_set_of_layer("parcels") == tile_set_find("parcels"));
    const struct tile_set *z = tile_set_of_layer("plan-zones");
    CHECK(z && z->layers && !strcmp(z->layers[0], "plan-zones") && !z->layers[1] && z->transparent && z->groups);
    CHECK(z && tile_set_index(z) >= TILE_MAX_SETS && tile_set_index(z) < TILE_SET_SLOTS);
    CHECK(tile_set_find("plan-zones") == NULL); /* not a public tileset */
    CHECK(tile_set_of_layer("streets") == NULL && tile_set_of_layer("nope") == NULL);
    const char *names[] = {"pog-zones", "overlays", "plans", "buildings", "addresses"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const struct tile_set *t = tile_set_of_layer(names[i]);
        CHECK(t && !strcmp(t->layers[0], names[i]) && tile_set_index(t) != tile_set_index(z));
    }
    CHECK(tile_format_grid(TILE_PNG_CRS84) == TILE_GRID_CRS84 && tile_format_grid(TILE_PNG) == TILE_GRID_WEBMERCATOR);
    CHECK_STR(tile_format_name(TILE_PNG_CRS84), "png-crs84");
}

static void gzip_round_trip(void)
{
    struct err e = {0};
    struct buf in = {0}, gz = {0}, out = {0};
    for (int i = 0; i < 5000; i++)
        buf_printf(&in, "%d,", i * 7);
    CHECK(tile_gzip(in.data, in.len, &gz, &e) == ERR_OK);
    CHECK(gz.len > 18 && (unsigned char)gz.data[0] == 0x1f && (unsigned char)gz.data[1] == 0x8b);
    CHECK(tile_gunzip(gz.data, gz.len, &out, &e) == ERR_OK);
    CHECK(out.len == in.len && !memcmp(out.data, in.data, in.len));
    CHECK(tile_gunzip("not gzip at all, not at all", 27, &out, &e) == ERR_INVALID);
    buf_free(&in);
    buf_free(&gz);
    buf_free(&out);
}

static void etag_is_stable(void)
{
    char a[32], b[32], c[32];
    tile_etag("abc", 3, a, sizeof a);
    tile_etag("abc", 3, b, sizeof b);
    tile_etag("abd", 3, c, sizeof c);
    CHECK_STR(a, b);
    CHECK(strcmp(a, c) != 0 && a[0] == '"' && strlen(a) == 18);
}

static void cache_put_get_and_stale_drop(void)
{
    char dir[] = "/tmp/odra-tile-cache-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/t.mbtiles", dir);
    struct tile_cache *c = NULL;
    struct err e = {0};
    CHECK(tile_cache_open(path, "t", "png", NULL, 0.25, 5, &c, &e) == ERR_OK);
    if (!c)
        return;
    CHECK(tile_cache_applied(c) == 5);
    char xyz_tag[24];
    tile_etag("xyz", 3, xyz_tag, sizeof xyz_tag);
    CHECK(tile_cache_put(c, 3, 1, 2, "xyz", 3, 5, xyz_tag, &e) == ERR_OK);
    CHECK(tile_cache_put(c, 3, 1, 3, "old", 3, 4, NULL, &e) == ERR_OK); /* rendered before change 5: dropped */
    struct buf b = {0};
    bool found = false;
    char tag[24] = "", want[24], tag2[24] = "";
    tile_etag("xyz", 3, want, sizeof want);
    CHECK(tile_cache_get(c, 3, 1, 2, &b, &found, tag, &e) == ERR_OK && found && b.len == 3 &&
          !memcmp(b.data, "xyz", 3));
    CHECK(!strcmp(tag, want));
    b.len = 0; /* again: now from memory, same bytes and tag */
    CHECK(tile_cache_get(c, 3, 1, 2, &b, &found, tag2, &e) == ERR_OK && found && b.len == 3 && !strcmp(tag2, want));
    b.len = 0;
    CHECK(tile_cache_get(c, 3, 1, 3, &b, &found, tag2, &e) == ERR_OK && !found && b.len == 0);
    CHECK(!tile_cache_has(c, 3, 1, 3) && tile_cache_has(c, 3, 1, 2));
    CHECK(tile_cache_count(c) == 1);
    tile_cache_close(c);
    /* reopened: same tiles, same applied change */
    CHECK(tile_cache_open(path, "t", "png", NULL, 0.25, 99, &c, &e) == ERR_OK);
    if (c) {
        CHECK(tile_cache_applied(c) == 5 && tile_cache_has(c, 3, 1, 2));
        b.len = 0;
        CHECK(tile_cache_get(c, 3, 1, 2, &b, &found, tag, &e) == ERR_OK && found && b.len == 3 && !strcmp(tag, want));
        tile_cache_close(c);
    }
    buf_free(&b);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    GDALAllRegister();
    RUN(parse_is_strict);
    RUN(check_ranges);
    RUN(bounds_and_range);
    RUN(crs84_grid);
    RUN(layer_tilesets);
    RUN(gzip_round_trip);
    RUN(etag_is_stable);
    RUN(cache_put_get_and_stale_drop);
    return test_done();
}
