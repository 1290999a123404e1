/* Decodes a PNG held in memory with libpng itself, its CRC checks at their defaults, so that a test
 * sees an image exactly as Qt (and so QGIS) would: a bad CRC, a short IDAT or a wrong size is an error.
 * Header-only, for the unit tests; they link libpng (TEST_PKGS in the Makefile). */
#ifndef TESTS_PNG_CHECK_H
#define TESTS_PNG_CHECK_H
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct png_check {
    int width, height, channels; /* channels after decoding: 3 (RGB) or 4 (RGBA) */
    unsigned char *px;           /* width * height * channels bytes, malloc'd; png_check_free */
    char msg[200];               /* libpng's message when decoding failed */
};

struct png_check_src {
    const unsigned char *data;
    size_t len, at;
};

static void png_check_read(png_structp p, png_bytep out, size_t n)
{
    struct png_check_src *src = png_get_io_ptr(p);
    if (n > src->len - src->at)
        png_error(p, "read past the end of the data");
    memcpy(out, src->data + src->at, n);
    src->at += n;
}

static void png_check_error(png_structp p, png_const_charp msg)
{
    struct png_check *c = png_get_error_ptr(p);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(p, 1);
}

static void png_check_warning(png_structp p, png_const_charp msg)
{
    struct png_check *c = png_get_error_ptr(p);
    if (!c->msg[0]) /* libpng warns, for example, on a CRC error in an ancillary chunk */
        snprintf(c->msg, sizeof c->msg, "warning: %s", msg);
}

/* Decodes data into c, reading every chunk to IEND (so IEND's CRC is checked too). Returns 0 when libpng
 * accepts the whole image and gave no warning; -1 otherwise, with c->msg saying why. */
static inline int png_check_decode(const void *data, size_t len, struct png_check *c)
{
    memset(c, 0, sizeof *c);
    struct png_check_src src = {data, len, 0};
    png_structp p = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, png_check_error, png_check_warning);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    png_infop end = p ? png_create_info_struct(p) : NULL;
    unsigned char **volatile rows = NULL; /* volatile: read after longjmp */
    if (!p || !info || !end) {
        snprintf(c->msg, sizeof c->msg, "libpng: out of memory");
        png_destroy_read_struct(&p, &info, &end);
        return -1;
    }
    if (setjmp(png_jmpbuf(p))) {
        free(rows);
        free(c->px);
        c->px = NULL;
        png_destroy_read_struct(&p, &info, &end);
        return -1;
    }
    png_set_read_fn(p, &src, png_check_read);
    png_read_info(p, info);
    c->width = (int)png_get_image_width(p, info);
    c->height = (int)png_get_image_height(p, info);
    png_set_expand(p);
    png_set_strip_16(p);
    png_read_update_info(p, info);
    c->channels = png_get_channels(p, info);
    size_t rowbytes = png_get_rowbytes(p, info);
    c->px = malloc(rowbytes * (size_t)c->height);
    rows = malloc(sizeof *rows * (size_t)c->height);
    if (!c->px || !rows)
        png_error(p, "out of memory");
    for (int y = 0; y < c->height; y++)
        rows[y] = c->px + (size_t)y * rowbytes;
    png_read_image(p, rows);
    png_read_end(p, end);
    free(rows);
    png_destroy_read_struct(&p, &info, &end);
    if (src.at != len) {
        snprintf(c->msg, sizeof c->msg, "%zu bytes after IEND", len - src.at);
        free(c->px);
        c->px = NULL;
        return -1;
    }
    return c->msg[0] ? -1 : 0;
}

static inline void png_check_free(struct png_check *c)
{
    free(c->px);
    c->px = NULL;
}

/* True when not every pixel of the decoded image is the same. */
static inline int png_check_varied(const struct png_check *c)
{
    size_t n = (size_t)c->width * (size_t)c->height * (size_t)c->channels;
    for (size_t i = (size_t)c->channels; i < n; i++)
        if (c->px[i] != c->px[i % (size_t)c->channels])
            return 1;
    return 0;
}
#endif
