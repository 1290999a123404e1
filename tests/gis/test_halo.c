/* Tests for label halos as fills (gis/halo.h): the filled halo covers what the stroked outline of twice the
 * width covers (both rasterized at 1200 dpi and compared pixel by pixel), for straight, rotated and
 * multi-line labels in the faces the wyrys uses; glyph halos are kept and found again; spaces and glyphs a
 * font lacks add nothing. */
#include "gis/halo.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "gis/pdf.h"
#include "tests/test.h"

#define DPI_SCALE (1200.0 / 72) /* device pixels per point */

/* A layout of text in font in the PDF typesetter's context (72 units an inch, no hinting), on cr. */
static PangoLayout *layout_of(cairo_t *cr, const char *font, const char *text)
{
    PangoContext *pc = gis_pdf_context("pl");
    PangoLayout *l = pango_layout_new(pc);
    g_object_unref(pc);
    pango_cairo_update_layout(cr, l);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(l, text, -1);
    return l;
}

/* The halo of text at w points, drawn as a fill (fill true) or a stroke, rotated by angle, as an A8 mask
 * of width x height pixels; returns the surface. */
static cairo_surface_t *halo_mask(const char *font, const char *text, double w, double angle, bool fill, int width,
                                  int height, bool *ok)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, width, height);
    cairo_t *cr = cairo_create(s);
    cairo_scale(cr, DPI_SCALE, DPI_SCALE);
    cairo_translate(cr, width / DPI_SCALE / 2, height / DPI_SCALE / 2);
    cairo_rotate(cr, angle);
    PangoLayout *l = layout_of(cr, font, text);
    pango_cairo_update_layout(cr, l);
    int lw, lh;
    pango_layout_get_size(l, &lw, &lh);
    double ox = -(double)lw / PANGO_SCALE / 2, oy = -(double)lh / PANGO_SCALE / 2;
    cairo_new_path(cr);
    if (fill) {
        *ok = gis_halo_path(cr, l, ox, oy, w);
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
        cairo_fill(cr);
    } else {
        cairo_move_to(cr, ox, oy);
        pango_cairo_layout_path(cr, l);
        cairo_set_line_width(cr, 2 * w);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke(cr);
    }
    /* the text itself on top, as label_draw draws it: the halo only has to agree outside the glyphs */
    cairo_move_to(cr, ox, oy);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    return s;
}

/* Pixels covered in a (more than half), pixels where a and b differ by more than a quarter of full coverage,
 * and of those the ones farther than 3 pixels (0.06 mm at 1200 dpi) from an edge of b: a missing or misplaced
 * glyph halo would show there, flattening and the arcs' segments only along the edges. */
static void compare(cairo_surface_t *a, cairo_surface_t *b, long *covered, long *differ, long *off_edge)
{
    int w = cairo_image_surface_get_width(a), h = cairo_image_surface_get_height(a);
    int sa = cairo_image_surface_get_stride(a), sb = cairo_image_surface_get_stride(b);
    const unsigned char *pa = cairo_image_surface_get_data(a), *pb = cairo_image_surface_get_data(b);
    *differ = *covered = *off_edge = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int va = pa[y * sa + x], vb = pb[y * sb + x];
            *covered += va > 128;
            if (abs(va - vb) <= 64)
                continue;
            (*differ)++;
            bool in = false, out = false;
            for (int dy = -3; dy <= 3; dy++)
                for (int dx = -3; dx <= 3; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h)
                        continue;
                    if (pb[yy * sb + xx] > 128)
                        in = true;
                    else
                        out = true;
                }
            /* a partly covered pixel of b is an edge too: a sliver (a counter a pixel wide) has no full pixels */
            *off_edge += !(in && out) && !(vb > 16 && vb < 239);
        }
}

static void same_as_stroke(const char *font, const char *text, double w, double angle)
{
    bool ok = false;
    cairo_surface_t *f = halo_mask(font, text, w, angle, true, 1600, 900, &ok);
    cairo_surface_t *s = halo_mask(font, text, w, angle, false, 1600, 900, &ok);
    CHECK(ok);
    long covered, differ, off_edge;
    compare(f, s, &covered, &differ, &off_edge);
    if (!(covered > 1000 && off_edge * 5000 < covered && differ * 20 < covered))
        printf("  %s \"%s\" w %.2f angle %.2f: %ld of %ld covered pixels differ, %ld away from an edge\n", font, text,
               w, angle, differ, covered, off_edge);
    CHECK(covered > 1000);
    /* the outline is simplified to 0.1 pt (1.7 pixels here): the two differ along the edges, and by a few
     * pixels where a chord leaves a speck of a hundredth of a millimetre between two parts of a glyph */
    CHECK(off_edge * 5000 < covered);
    CHECK(differ * 20 < covered);
    cairo_surface_destroy(f);
    cairo_surface_destroy(s);
}

static void test_fill_covers_the_stroke(void)
{
    same_as_stroke("DejaVu Sans Bold 8", "200", 1.2, 0);
    same_as_stroke("DejaVu Sans 7", "201/3", 1.0, 0);
    same_as_stroke("DejaVu Sans Oblique 7", "ul. Żółkiewskiego", 1.0, 0.35);
    same_as_stroke("DejaVu Sans Bold 10", "1MN\n2U", 1.5, -1.2);
    same_as_stroke("DejaVu Sans 6", "ąęłńśźż ĄĘŁŃŚŹŻ 0123456789", 0.8, 0);
}

/* A second label with the same glyphs, rotated, makes no new halo; another width does. */
static void test_kept(void)
{
    bool ok = false;
    cairo_surface_destroy(halo_mask("DejaVu Sans 9", "987", 1.1, 0, true, 400, 200, &ok));
    unsigned n = gis_halo_kept();
    CHECK(ok && n >= 3);
    cairo_surface_destroy(halo_mask("DejaVu Sans 9", "789879", 1.1, 0.5, true, 400, 200, &ok));
    CHECK(ok && gis_halo_kept() == n);
    cairo_surface_destroy(halo_mask("DejaVu Sans 9", "7", 1.3, 0, true, 400, 200, &ok));
    CHECK(ok && gis_halo_kept() == n + 1); /* another width */
}

/* Spaces, an empty layout and a character no installed font has add nothing and succeed; a zero width is
 * refused. */
static void test_nothing_to_halo(void)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, 10, 10);
    cairo_t *cr = cairo_create(s);
    const char *texts[] = {"   ", "", "\xf3\xb0\x80\x80"}; /* U+F0000, private use */
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        PangoLayout *l = layout_of(cr, "DejaVu Sans 8", texts[i]);
        cairo_new_path(cr);
        CHECK(gis_halo_path(cr, l, 0, 0, 1));
        double x1, y1, x2, y2;
        cairo_path_extents(cr, &x1, &y1, &x2, &y2);
        CHECK(x1 == 0 && x2 == 0 && y1 == 0 && y2 == 0);
        g_object_unref(l);
    }
    PangoLayout *l = layout_of(cr, "DejaVu Sans 8", "12");
    CHECK(!gis_halo_path(cr, l, 0, 0, 0));
    g_object_unref(l);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

int main(void)
{
    RUN(test_fill_covers_the_stroke);
    RUN(test_kept);
    RUN(test_nothing_to_halo);
    return test_done();
}
