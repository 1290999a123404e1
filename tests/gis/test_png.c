/* Tests for the PNG encoder (gis/png.h) on synthetic images: the header and the first filtered row read by
 * hand, every pixel back through libpng (tests/png_check.h, CRCs checked as Qt does) for both formats, odd
 * widths (the SSE2 loops' tails), every level and both filters, and a broken CRC in any chunk refused. Map
 * renders and the legend are decoded the same way in test_render.c. */
#include "gis/png.h"

#include <cpl_conv.h>
#include <stdint.h>
#include <stdlib.h>

#include "tests/png_check.h"
#include "tests/test.h"

/* A w x h image of fmt with a pattern that makes both Sub and Up win on some rows: horizontal gradients,
 * vertical stripes, noise, and for ARGB32 every alpha from 0 to 255. */
static cairo_surface_t *pattern(cairo_format_t fmt, int w, int h)
{
    cairo_surface_t *s = cairo_image_surface_create(fmt, w, h);
    cairo_surface_flush(s);
    unsigned char *px = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    uint32_t seed = 12345;
    for (int y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(px + (size_t)y * (size_t)stride);
        for (int x = 0; x < w; x++) {
            seed = seed * 1103515245u + 12345u;
            unsigned a = fmt == CAIRO_FORMAT_ARGB32 ? (unsigned)((x * 7 + y * 3) & 255) : 255;
            unsigned r = y % 3 == 0 ? (unsigned)(x * 255 / (w > 1 ? w - 1 : 1)) : (seed >> 16) & 255;
            unsigned g = (x / 4) % 2 ? 200 : 30, b = (unsigned)(y * 255 / (h > 1 ? h - 1 : 1));
            /* cairo stores premultiplied colour */
            r = r * a / 255, g = g * a / 255, b = b * a / 255;
            row[x] = a << 24 | r << 16 | g << 8 | b;
        }
    }
    cairo_surface_mark_dirty(s);
    return s;
}

/* Encodes s at level, decodes it with libpng and compares every pixel with s (un-premultiplied, within
 * rounding for translucent pixels). */
static void roundtrip_exact(cairo_surface_t *s, int level)
{
    struct err e = {0};
    struct buf b = {0};
    CHECK(gis_png_encode(s, level, &b, &e) == ERR_OK);
    struct png_check c;
    int rc = png_check_decode(b.data, b.len, &c);
    if (rc)
        printf("  libpng: %s\n", c.msg);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    bool alpha = cairo_image_surface_get_format(s) == CAIRO_FORMAT_ARGB32;
    CHECK(rc == 0 && c.width == w && c.height == h && c.channels == (alpha ? 4 : 3));
    long bad = 0;
    for (int y = 0; !rc && y < h; y++) {
        const uint32_t *row =
            (const uint32_t *)(cairo_image_surface_get_data(s) + (size_t)y * cairo_image_surface_get_stride(s));
        for (int x = 0; x < w; x++) {
            const unsigned char *p = c.px + ((size_t)y * (size_t)w + (size_t)x) * (size_t)c.channels;
            unsigned v = row[x], a = alpha ? v >> 24 : 255;
            if (alpha && p[3] != a) {
                bad++;
                continue;
            }
            for (int k = 0; k < 3; k++) {
                unsigned pre = (v >> (16 - 8 * k)) & 255;
                /* the decoded colour, premultiplied again, is the stored one */
                if (a && abs((int)((p[k] * a + 127) / 255) - (int)pre) > 1)
                    bad++;
            }
        }
    }
    CHECK(bad == 0);
    png_check_free(&c);
    buf_free(&b);
}

/* Signature, IHDR, and the first row of a small image read by hand after inflating IDAT: row 0 has no row
 * above, so it is filtered with Sub and its first pixel is literal. */
static void header_and_first_row(void)
{
    struct err e = {0};
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 3, 2);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgba(cr, 1, 0.5, 0, 0.5); /* stored premultiplied; PNG gets 255,128,0,128 */
    cairo_paint(cr);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    struct buf b = {0};
    CHECK(gis_png_encode(s, 6, &b, &e) == ERR_OK);
    CHECK(b.len > 50 && !memcmp(b.data, "\x89PNG\r\n\x1a\n", 8) && !memcmp(b.data + 12, "IHDR", 4));
    const unsigned char *ih = (const unsigned char *)b.data + 16;
    CHECK(ih[3] == 3 && ih[7] == 2 && ih[8] == 8 && ih[9] == 6); /* 3x2, 8 bit, RGBA */
    CHECK(!memcmp(b.data + 33 + 4, "IDAT", 4));
    size_t zlen = ((size_t)(unsigned char)b.data[33] << 24) | ((size_t)(unsigned char)b.data[34] << 16) |
                  ((size_t)(unsigned char)b.data[35] << 8) | (unsigned char)b.data[36];
    unsigned char raw[64];
    size_t got = 0;
    CHECK(CPLZLibInflate(b.data + 41, zlen, raw, sizeof raw, &got) != NULL && got == 2 * (1 + 3 * 4));
    CHECK(raw[0] == 1 && raw[1] == 255 && abs(raw[2] - 128) <= 1 && raw[3] == 0 && abs(raw[4] - 128) <= 1);
    buf_free(&b);
    cairo_surface_destroy(s);
}

/* Both formats, sizes around the 16-byte SSE2 steps (a row of w pixels is 3w or 4w bytes), every level. */
static void pixels_survive_libpng(void)
{
    static const int sizes[][2] = {{1, 1}, {5, 3}, {16, 2}, {17, 9}, {33, 31}, {256, 256}, {301, 7}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int f = 0; f < 2; f++) {
            cairo_surface_t *s = pattern(f ? CAIRO_FORMAT_ARGB32 : CAIRO_FORMAT_RGB24, sizes[i][0], sizes[i][1]);
            for (int level = 0; level <= 9; level += 3)
                roundtrip_exact(s, level);
            cairo_surface_destroy(s);
        }
}

/* One flipped byte in each chunk's CRC in turn makes libpng refuse the image, so the check above can fail. */
static void broken_crc_is_refused(void)
{
    cairo_surface_t *s = pattern(CAIRO_FORMAT_ARGB32, 64, 64);
    struct err e = {0};
    struct buf b = {0};
    CHECK(gis_png_encode(s, 4, &b, &e) == ERR_OK);
    int chunks = 0;
    for (size_t at = 8; at + 12 <= b.len; chunks++) {
        size_t n = ((size_t)(unsigned char)b.data[at] << 24) | ((size_t)(unsigned char)b.data[at + 1] << 16) |
                   ((size_t)(unsigned char)b.data[at + 2] << 8) | (unsigned char)b.data[at + 3];
        b.data[at + 8 + n] ^= 0x5a;
        struct png_check c;
        CHECK(png_check_decode(b.data, b.len, &c) != 0);
        png_check_free(&c);
        b.data[at + 8 + n] ^= 0x5a;
        at += 12 + n;
    }
    CHECK(chunks == 3); /* IHDR, IDAT, IEND */
    struct png_check c;
    CHECK(png_check_decode(b.data, b.len, &c) == 0); /* and restored, it decodes */
    png_check_free(&c);
    buf_free(&b);
    cairo_surface_destroy(s);
}

static void not_an_image_is_an_error(void)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 0, 0);
    struct err e = {0};
    struct buf b = {0};
    CHECK(gis_png_encode(s, 6, &b, &e) == ERR_INTERNAL && b.len == 0);
    buf_free(&b);
    cairo_surface_destroy(s);
}

int main(void)
{
    RUN(header_and_first_row);
    RUN(pixels_survive_libpng);
    RUN(broken_crc_is_refused);
    RUN(not_an_image_is_an_error);
    return test_done();
}
