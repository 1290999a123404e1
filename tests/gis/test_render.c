/* Tests for gis/render: a small hand-made store drawn with the embedded plan style; pixels are checked for
 * the zone colours, labels, hatching, axis order across CRSs, limits and the legend. */
#include "gis/render.h"

#include <cpl_conv.h>
#include <gdal.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "gis/store_sql.h"
#include "tests/png_check.h"
#include "tests/test.h"
#include "util/embed.h"

static char dir[] = "/tmp/odra-test-render-XXXXXX";
static char path[256];
static struct gis_store *store;
static struct gis_style *style;

/* Two zones side by side (1MN west, 1U east), a road zone between them, a plan around them, a parcel in
 * 1MN, a conservation overlay over the east half of 1U. Coordinates are EPSG:2180 near Słubice. */
#define X0 229000.0
#define Y0 484000.0

static void setup(void)
{
    struct err e = {0};
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/t.sqlite", dir);
    struct gis_store *w = NULL;
    CHECK(gis_store_open(path, GIS_STORE_CREATE, &w, &e) == ERR_OK);
    if (!w) {
        printf("  %s\n", e.msg);
        return;
    }
    char sql[4096];
    snprintf(sql, sizeof sql,
             "BEGIN;"
             "INSERT INTO plans (id, kind, title, geom) VALUES (1, 'mpzp', 'Plan testowy', "
             " GeomFromText('MULTIPOLYGON(((%f %f,%f %f,%f %f,%f %f,%f %f)))', 2180));"
             "INSERT INTO plan_zones (plan_id, label, symbol, name, geom) VALUES "
             " (1, '1MN', 'MN', 'teren zabudowy mieszkaniowej jednorodzinnej',"
             "  GeomFromText('MULTIPOLYGON(((%f %f,%f %f,%f %f,%f %f,%f %f)))', 2180)),"
             " (1, '1U', 'U', 'teren zabudowy usługowej',"
             "  GeomFromText('MULTIPOLYGON(((%f %f,%f %f,%f %f,%f %f,%f %f)))', 2180)),"
             " (1, '1KDD', 'KDD', 'teren drogi publicznej klasy dojazdowej',"
             "  GeomFromText('MULTIPOLYGON(((%f %f,%f %f,%f %f,%f %f,%f %f)))', 2180));"
             "INSERT INTO overlays (plan_id, kind, label, name, geom) VALUES (1, 'konserwatorska', 'SOK', 'strefa',"
             " GeomFromText('MULTIPOLYGON(((%f %f,%f %f,%f %f,%f %f,%f %f)))', 2180));"
             "INSERT INTO obreby (id, unit, number, name) VALUES (1, '080505_4', '0001', 'Słubice');"
             "INSERT INTO parcels (parcel_id, obreb_id, number, area_m2, geom) VALUES "
             " ('080505_4.0001.12/3', 1, '12/3', 900, GeomFromText('MULTIPOLYGON(((%f %f,%f %f,%f %f,%f %f,%f %f)))', "
             "2180));"
             "COMMIT;",
             X0, Y0, X0 + 420, Y0, X0 + 420, Y0 + 200, X0, Y0 + 200, X0, Y0,                            /* plan */
             X0, Y0, X0 + 200, Y0, X0 + 200, Y0 + 200, X0, Y0 + 200, X0, Y0,                            /* 1MN */
             X0 + 220, Y0, X0 + 420, Y0, X0 + 420, Y0 + 200, X0 + 220, Y0 + 200, X0 + 220, Y0,          /* 1U */
             X0 + 200, Y0, X0 + 220, Y0, X0 + 220, Y0 + 200, X0 + 200, Y0 + 200, X0 + 200, Y0,          /* 1KDD */
             X0 + 320, Y0, X0 + 420, Y0, X0 + 420, Y0 + 200, X0 + 320, Y0 + 200, X0 + 320, Y0,          /* overlay */
             X0 + 20, Y0 + 20, X0 + 60, Y0 + 20, X0 + 60, Y0 + 60, X0 + 20, Y0 + 60, X0 + 20, Y0 + 20); /* parcel */
    CHECK(gis_store_exec(w, sql, &e) == ERR_OK);
    if (e.code)
        printf("  %s\n", e.msg);
    gis_store_close(w);
    CHECK(gis_store_open(path, GIS_STORE_READ, &store, &e) == ERR_OK);
    size_t len;
    const char *text = embed_find("styles/plan.json", &len);
    CHECK(text && gis_style_load(text, len, &style, &e) == ERR_OK);
    CHECK(style && gis_render_check_style(style, &e) == ERR_OK);
}

struct img {
    cairo_surface_t *s;
    unsigned char *px;
    int stride, w, h;
    struct gis_render_stats stats;
};

static enum err_code render(struct img *im, enum gis_crs crs, const double bbox[4], int w, int h,
                            const char *const *groups, int ngroups, bool transparent)
{
    struct err e = {0};
    im->s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *cr = cairo_create(im->s);
    struct gis_render_opts o = {.crs = crs,
                                .width = w,
                                .height = h,
                                .scale = 1,
                                .groups = groups,
                                .ngroups = ngroups,
                                .transparent = transparent,
                                .labels_inside = true};
    memcpy(o.bbox, bbox, sizeof o.bbox);
    enum err_code rc = gis_render_map(cr, store, style, &o, &im->stats, &e);
    if (rc)
        printf("  render: %s\n", e.msg);
    cairo_destroy(cr);
    cairo_surface_flush(im->s);
    im->px = cairo_image_surface_get_data(im->s);
    im->stride = cairo_image_surface_get_stride(im->s);
    im->w = w, im->h = h;
    return rc;
}

/* Un-premultiplied RGBA of a pixel, 0..255. */
static void pixel(const struct img *im, int x, int y, int rgba[4])
{
    uint32_t v = *(const uint32_t *)(im->px + y * im->stride + x * 4);
    int a = (int)(v >> 24);
    rgba[3] = a;
    for (int k = 0; k < 3; k++) {
        int c = (int)((v >> (16 - 8 * k)) & 255);
        rgba[k] = a ? c * 255 / a : 0;
    }
}

static bool color_near(const struct img *im, int x, int y, int r, int g, int b, int tol)
{
    int p[4];
    pixel(im, x, y, p);
    bool ok = abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol && p[3] == 255;
    if (!ok)
        printf("  pixel %d,%d is %d,%d,%d,%d; expected about %d,%d,%d\n", x, y, p[0], p[1], p[2], p[3], r, g, b);
    return ok;
}

static void img_free(struct img *im)
{
    if (getenv("ODRA_RENDER_OUT") && im->s) {
        static int n;
        char out[512];
        snprintf(out, sizeof out, "%s/render-%d.png", getenv("ODRA_RENDER_OUT"), n++);
        cairo_surface_write_to_png(im->s, out);
    }
    cairo_surface_destroy(im->s);
    im->s = NULL;
}

static const double area2180[4] = {X0 - 40, Y0 - 40, X0 + 460, Y0 + 240};

static void zone_colours_in_epsg2180(void)
{
    struct img im;
    CHECK(render(&im, GIS_CRS_2180, area2180, 500, 280, NULL, 0, false) == ERR_OK);
    /* 1 px = 1 m; y flips. 1MN spans x 40..240, 1U 260..460, rows 40..240. */
    CHECK(color_near(&im, 150, 200, 0xf6, 0xd4, 0x6e, 6)); /* MN, away from its label and parcel */
    CHECK(color_near(&im, 290, 200, 0xef, 0x6f, 0x6c, 6)); /* U */
    CHECK(color_near(&im, 10, 10, 0xf4, 0xf2, 0xec, 3));   /* background outside the plan */
    CHECK(im.stats.labels >= 2);                           /* 1MN and 1U at least */
    CHECK(im.stats.zoom > 15 && im.stats.zoom < 16);       /* 1 m/px at 52.3°N */
    /* the zone boundary between 1MN and the road zone is a dark line */
    int p[4];
    pixel(&im, 240, 150, p);
    CHECK(p[0] < 190 && p[1] < 190 && p[2] < 190);
    img_free(&im);
}

static void labels_are_drawn_inside_zones(void)
{
    struct img im;
    CHECK(render(&im, GIS_CRS_2180, area2180, 500, 280, NULL, 0, false) == ERR_OK);
    /* dark label pixels near the middle of 1MN (its pole of inaccessibility is the centre 140,140) */
    int dark = 0;
    for (int y = 120; y < 160; y++)
        for (int x = 110; x < 170; x++) {
            int p[4];
            pixel(&im, x, y, p);
            dark += p[0] < 60 && p[1] < 60 && p[2] < 60;
        }
    CHECK(dark > 20);
    img_free(&im);
}

/* The map without labels plus recorded labels drawn afterwards (the way raster tiles draw the labels of
 * their metatile) has the pixels of one ordinary render, also when drawn in parts through a clip. */
static void recorded_labels_draw_like_a_render(void)
{
    struct img whole;
    CHECK(render(&whole, GIS_CRS_2180, area2180, 500, 280, NULL, 0, false) == ERR_OK);
    struct err e = {0};
    struct gis_render_opts o = {.crs = GIS_CRS_2180, .width = 500, .height = 280, .scale = 1, .labels_inside = true};
    memcpy(o.bbox, area2180, sizeof o.bbox);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 500, 280);
    cairo_t *cr = cairo_create(s);
    o.label_mode = GIS_RENDER_LABELS_NONE;
    CHECK(gis_render_map(cr, store, style, &o, NULL, &e) == ERR_OK);
    cairo_surface_flush(s);
    struct img nolabels = {
        .s = s, .px = cairo_image_surface_get_data(s), .stride = cairo_image_surface_get_stride(s), .w = 500, .h = 280};
    long differ = 0;
    for (int y = 0; y < 280; y++)
        differ += memcmp(nolabels.px + y * nolabels.stride, whole.px + y * whole.stride, 500 * 4) != 0;
    CHECK(differ > 0); /* the labels were left out */
    struct gis_render_labels *L = NULL;
    o.label_mode = GIS_RENDER_LABELS_ONLY;
    o.labels_out = &L;
    CHECK(gis_render_map(cr, store, style, &o, NULL, &e) == ERR_OK);
    CHECK(L && gis_render_labels_count(L) > 0);
    /* drawn in two halves, as two tiles would */
    for (int half = 0; half < 2; half++) {
        cairo_save(cr);
        cairo_rectangle(cr, half * 250, 0, 250, 280);
        cairo_clip(cr);
        gis_render_labels_draw(cr, L);
        cairo_restore(cr);
    }
    cairo_surface_flush(s);
    differ = 0;
    for (int y = 0; y < 280; y++)
        for (int x = 0; x < 500; x++) {
            int a[4], b[4];
            pixel(&whole, x, y, a);
            pixel(&nolabels, x, y, b);
            differ += abs(a[0] - b[0]) > 8 || abs(a[1] - b[1]) > 8 || abs(a[2] - b[2]) > 8;
        }
    if (differ)
        printf("  %ld pixels differ\n", differ);
    CHECK(differ == 0);
    gis_render_labels_unref(L);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    img_free(&whole);
}

static void hatched_overlay(void)
{
    struct img im;
    const char *groups[] = {"overlays"};
    CHECK(render(&im, GIS_CRS_2180, area2180, 500, 280, groups, 1, true) == ERR_OK);
    /* only the overlay is drawn: hatch lines (brownish-red) cover part of its area, the rest is clear */
    int hatch = 0, clear = 0;
    for (int y = 60; y < 220; y++)
        for (int x = 370; x < 450; x++) {
            int p[4];
            pixel(&im, x, y, p);
            if (p[3] > 60 && p[0] > p[2] + 40)
                hatch++;
            else if (p[3] < 60)
                clear++;
        }
    CHECK(hatch > 500);
    CHECK(clear > 500);
    int p[4];
    pixel(&im, 150, 150, p); /* 1MN not drawn */
    CHECK(p[3] == 0);
    img_free(&im);
}

/* The same area in EPSG:2180, 3857 and 4326 gives the same picture (axis order and transforms right). */
static void same_content_across_crs(void)
{
    struct img a, b, c;
    CHECK(render(&a, GIS_CRS_2180, area2180, 500, 280, NULL, 0, false) == ERR_OK);
    double b3857[4], b4326[4];
    struct err e = {0};
    CHECK(gis_crs_transform_bbox(GIS_CRS_2180, GIS_CRS_3857, area2180, b3857, &e) == ERR_OK);
    CHECK(gis_crs_transform_bbox(GIS_CRS_2180, GIS_CRS_4326, area2180, b4326, &e) == ERR_OK);
    CHECK(render(&b, GIS_CRS_3857, b3857, 500, 280, NULL, 0, false) == ERR_OK);
    CHECK(render(&c, GIS_CRS_4326, b4326, 500, 280, NULL, 0, false) == ERR_OK);
    /* the zone centres land within a few pixels: colours match there */
    CHECK(color_near(&b, 150, 200, 0xf6, 0xd4, 0x6e, 8));
    CHECK(color_near(&b, 290, 200, 0xef, 0x6f, 0x6c, 8));
    CHECK(color_near(&c, 150, 200, 0xf6, 0xd4, 0x6e, 8));
    CHECK(color_near(&c, 290, 200, 0xef, 0x6f, 0x6c, 8));
    CHECK(fabs(a.stats.zoom - b.stats.zoom) < 0.05 && fabs(a.stats.zoom - c.stats.zoom) < 0.05);
    img_free(&a);
    img_free(&b);
    img_free(&c);
}

static void transparent_and_empty(void)
{
    struct img im;
    /* far from the data: nothing but the background, fast */
    double far[4] = {600000, 600000, 601000, 601000};
    CHECK(render(&im, GIS_CRS_2180, far, 64, 64, NULL, 0, false) == ERR_OK);
    CHECK(color_near(&im, 32, 32, 0xf4, 0xf2, 0xec, 3));
    CHECK(im.stats.features == 0);
    img_free(&im);
    CHECK(render(&im, GIS_CRS_2180, far, 64, 64, NULL, 0, true) == ERR_OK);
    int p[4];
    pixel(&im, 32, 32, p);
    CHECK(p[3] == 0);
    img_free(&im);
    /* the whole world in EPSG:4326 and 3857 is cut to the data before PROJ sees it */
    double world[4] = {-180, -90, 180, 90};
    CHECK(render(&im, GIS_CRS_4326, world, 256, 128, NULL, 0, false) == ERR_OK);
    img_free(&im);
    double merc[4] = {-20037508, -20037508, 20037508, 20037508};
    CHECK(render(&im, GIS_CRS_3857, merc, 256, 256, NULL, 0, false) == ERR_OK);
    img_free(&im);
}

static void bad_options_are_errors(void)
{
    struct err e = {0};
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 4, 4);
    cairo_t *cr = cairo_create(s);
    struct gis_render_opts o = {.crs = GIS_CRS_2180, .width = 4, .height = 4, .bbox = {10, 10, 5, 20}};
    CHECK(gis_render_map(cr, store, style, &o, NULL, &e) == ERR_INVALID);
    o.bbox[2] = 20;
    o.width = 0;
    CHECK(gis_render_map(cr, store, style, &o, NULL, &e) == ERR_INVALID);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

static void zoom_convention(void)
{
    /* 3857 at XYZ level 14 has 9.5546 m/px on 256-px tiles: MapLibre zoom 13 at scale 1 */
    double half = 20037508.342789244 / (1 << 14);
    double cx = 1620000, cy = 6860000;
    double b[4] = {cx - half, cy - half, cx + half, cy + half};
    CHECK(fabs(gis_render_zoom(GIS_CRS_3857, b, 256, 1) - 13) < 0.01);
    CHECK(fabs(gis_render_zoom(GIS_CRS_3857, b, 512, 2) - 13) < 0.01); /* the @2x tile */
    CHECK(isnan(gis_render_zoom(GIS_CRS_3857, b, 0, 1)));
}

static void legend_lists_symbols(void)
{
    struct err e = {0};
    cairo_surface_t *s = NULL;
    const char *groups[] = {"mpzp"};
    CHECK(gis_render_legend(store, style, groups, 1, 1, &s, &e) == ERR_OK);
    if (!s)
        return;
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    CHECK(w > 150 && h > 60); /* heading, KDD, MN, U rows and the boundary line */
    /* an MN-coloured swatch somewhere in the left column */
    cairo_surface_flush(s);
    struct img im = {
        .s = s, .px = cairo_image_surface_get_data(s), .stride = cairo_image_surface_get_stride(s), .w = w, .h = h};
    int found = 0;
    for (int y = 0; y < h; y++) {
        int p[4];
        pixel(&im, 20, y, p);
        found += abs(p[0] - 0xf6) < 4 && abs(p[1] - 0xd4) < 4 && abs(p[2] - 0x6e) < 4;
    }
    CHECK(found > 5);
    img_free(&im);
}

/* The entry point: PNG from our encoder (tested in test_png.c), JPEG via GDAL. */
static void encoders(void)
{
    struct err e = {0};
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 3, 2);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgba(cr, 1, 0.5, 0, 0.5);
    cairo_paint(cr);
    cairo_destroy(cr);
    struct buf b = {0};
    CHECK(gis_render_encode(s, GIS_RENDER_PNG, 6, &b, &e) == ERR_OK);
    CHECK(b.len > 50 && !memcmp(b.data, "\x89PNG\r\n\x1a\n", 8));
    buf_free(&b);
    GDALAllRegister();
    CHECK(gis_render_encode(s, GIS_RENDER_JPEG, 80, &b, &e) == ERR_OK);
    CHECK(b.len > 100 && (unsigned char)b.data[0] == 0xff && (unsigned char)b.data[1] == 0xd8);
    buf_free(&b);
    cairo_surface_destroy(s);
}

/* Encodes s as PNG and decodes it with libpng (CRCs checked): the size and channels must come back. */
static void png_roundtrip(cairo_surface_t *s, int level, int channels)
{
    struct err e = {0};
    struct buf b = {0};
    struct png_check c;
    CHECK(gis_render_encode(s, GIS_RENDER_PNG, level, &b, &e) == ERR_OK);
    int rc = png_check_decode(b.data, b.len, &c);
    if (rc)
        printf("  libpng: %s\n", c.msg);
    CHECK(rc == 0 && c.width == cairo_image_surface_get_width(s) && c.height == cairo_image_surface_get_height(s));
    CHECK(c.channels == channels);
    png_check_free(&c);
    buf_free(&b);
}

/* Every kind of image the server encodes decodes with libpng, whose CRC checks Qt and QGIS rely on: 1x1
 * in both formats, an empty transparent tile, map renders at 256 and 512 px, the legend. That libpng
 * refuses a broken CRC, so the check can fail, is shown in test_png.c. */
static void png_decodes_with_libpng(void)
{
    cairo_surface_t *one = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    png_roundtrip(one, 6, 3);
    cairo_surface_destroy(one);
    one = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    png_roundtrip(one, 1, 4);
    cairo_surface_destroy(one);
    struct img im;
    double far[4] = {600000, 600000, 601000, 601000};
    CHECK(render(&im, GIS_CRS_2180, far, 256, 256, NULL, 0, true) == ERR_OK); /* an empty tile */
    png_roundtrip(im.s, 4, 4);
    img_free(&im);
    CHECK(render(&im, GIS_CRS_2180, area2180, 256, 256, NULL, 0, false) == ERR_OK);
    png_roundtrip(im.s, 9, 4);
    img_free(&im);
    CHECK(render(&im, GIS_CRS_2180, area2180, 512, 512, NULL, 0, true) == ERR_OK); /* a 2x tile */
    png_roundtrip(im.s, 4, 4);
    img_free(&im);
    struct err e = {0};
    cairo_surface_t *legend = NULL;
    CHECK(gis_render_legend(store, style, NULL, 0, 2, &legend, &e) == ERR_OK);
    if (legend) {
        cairo_surface_flush(legend);
        png_roundtrip(legend, 6, 4);
        cairo_surface_destroy(legend);
    }
}

static void teardown(void)
{
    gis_style_free(style);
    gis_store_close(store);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    gis_crs_thread_cleanup();
}

int main(void)
{
    RUN(setup);
    if (!store || !style)
        return test_done();
    RUN(zone_colours_in_epsg2180);
    RUN(labels_are_drawn_inside_zones);
    RUN(recorded_labels_draw_like_a_render);
    RUN(hatched_overlay);
    RUN(same_content_across_crs);
    RUN(transparent_and_empty);
    RUN(bad_options_are_errors);
    RUN(zoom_convention);
    RUN(legend_lists_symbols);
    RUN(encoders);
    RUN(png_decodes_with_libpng);
    RUN(teardown);
    return test_done();
}
