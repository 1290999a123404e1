/* The PNG encoder (gis/png.h): Sub or Up filtering per row with SSE2, deflate by libdeflate through
 * util/zbuf, chunks written straight into the caller's buffer. */
#include "gis/png.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "util/zbuf.h"

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8),
    p[3] = (unsigned char)v;
}

/* Appends a PNG chunk of type and data. */
static void png_chunk(struct buf *out, const char *type, const unsigned char *data, size_t len)
{
    unsigned char hdr[8], tail[4];
    put_be32(hdr, (uint32_t)len);
    memcpy(hdr + 4, type, 4);
    buf_append(out, (const char *)hdr, 8);
    if (len)
        buf_append(out, (const char *)data, len);
    put_be32(tail, zbuf_crc32(zbuf_crc32(0, hdr + 4, 4), data, len));
    buf_append(out, (const char *)tail, 4);
}

/* Sum of the filtered bytes a[i] - b[i] as signed values, PNG's usual cheap estimate of how well a row
 * compresses; and the filtered row itself. SSE2 (every x86-64 has it) does 16 bytes a step. */
static unsigned long filter_cost(const unsigned char *a, const unsigned char *b, size_t n)
{
    unsigned long sum = 0;
    size_t i = 0;
#ifdef __SSE2__
    __m128i acc = _mm_setzero_si128(), zero = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        __m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(a + i)), _mm_loadu_si128((const __m128i *)(b + i)));
        __m128i mag = _mm_min_epu8(d, _mm_sub_epi8(zero, d)); /* |d| as a signed byte, 128 for -128 */
        acc = _mm_add_epi64(acc, _mm_sad_epu8(mag, zero));
    }
    sum = (unsigned long)_mm_cvtsi128_si64(acc) + (unsigned long)_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc));
#endif
    for (; i < n; i++) {
        int d = (signed char)(unsigned char)(a[i] - b[i]);
        sum += (unsigned)(d < 0 ? -d : d);
    }
    return sum;
}

static void filter_row(unsigned char *dst, const unsigned char *a, const unsigned char *b, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16)
        _mm_storeu_si128((__m128i *)(dst + i), _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(a + i)),
                                                            _mm_loadu_si128((const __m128i *)(b + i))));
#endif
    for (; i < n; i++)
        dst[i] = (unsigned char)(a[i] - b[i]);
}

enum err_code gis_png_encode(cairo_surface_t *s, int level, struct buf *out, struct err *e)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    bool alpha = cairo_image_surface_get_format(s) == CAIRO_FORMAT_ARGB32;
    const unsigned char *px = cairo_image_surface_get_data(s);
    if (!px || w <= 0 || h <= 0)
        return err_set(e, ERR_INTERNAL, "PNG: not an image surface");
    size_t bpp = alpha ? 4 : 3, rowlen = (size_t)w * bpp;
    /* four zero bytes in front of each row buffer, so Sub reads cur[i - bpp] without a branch, and room
     * behind it for the RGB loop's four-byte stores */
    unsigned char *raw = malloc((rowlen + 1) * (size_t)h), *rows = calloc(2, rowlen + 8);
    enum err_code rc = ERR_OK;
    if (!raw || !rows) {
        rc = err_set(e, ERR_INTERNAL, "out of memory");
        goto done;
    }
    unsigned char *cur = rows + 4, *prev = rows + 8 + rowlen + 4; /* prev starts as the zero row above */
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(px + (size_t)y * (size_t)stride);
        unsigned char *o = cur;
        if (alpha) {
            for (int x = 0; x < w; x++, o += 4) {
                uint32_t v = row[x];
                unsigned a = v >> 24, r = (v >> 16) & 255, g = (v >> 8) & 255, b = v & 255;
                if (a && a != 255) /* cairo premultiplies; PNG does not */
                    r = (r * 255 + a / 2) / a, g = (g * 255 + a / 2) / a, b = (b * 255 + a / 2) / a;
                o[0] = (unsigned char)r, o[1] = (unsigned char)g, o[2] = (unsigned char)b, o[3] = (unsigned char)a;
            }
        } else {
            for (int x = 0; x < w; x++, o += 3) {
                uint32_t v = row[x];
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ /* four bytes a pixel, the fourth overwritten by the next */
                uint32_t rgb = (v >> 16 & 255) | (v & 0xff00) | (v & 255) << 16;
                memcpy(o, &rgb, 4);
#else
                o[0] = (unsigned char)(v >> 16), o[1] = (unsigned char)(v >> 8), o[2] = (unsigned char)v;
#endif
            }
        }
        /* per row, the cheaper of Sub and Up (Up needs a row above) */
        unsigned char *dst = raw + (size_t)y * (rowlen + 1);
        bool use_up = y > 0 && filter_cost(cur, prev, rowlen) < filter_cost(cur, cur - bpp, rowlen);
        const unsigned char *ref = use_up ? prev : cur - bpp;
        dst[0] = use_up ? 2 : 1;
        filter_row(dst + 1, cur, ref, rowlen);
        unsigned char *t = prev;
        prev = cur, cur = t;
    }
    unsigned char ihdr[13] = {0, 0, 0, 0, 0, 0, 0, 0, 8, alpha ? 6 : 2, 0, 0, 0};
    put_be32(ihdr, (uint32_t)w);
    put_be32(ihdr + 4, (uint32_t)h);
    buf_append(out, "\x89PNG\r\n\x1a\n", 8);
    png_chunk(out, "IHDR", ihdr, sizeof ihdr);
    /* IDAT: compressed straight into out, then its length and CRC filled in */
    size_t at = out->len;
    buf_append(out, "\0\0\0\0IDAT", 8);
    if (out->failed || (rc = zbuf_compress(ZBUF_ZLIB, level > 0 && level <= 9 ? level : 6, raw,
                                           (rowlen + 1) * (size_t)h, out, e)) != ERR_OK) {
        if (!rc)
            rc = err_set(e, ERR_INTERNAL, "out of memory");
        goto done;
    }
    size_t zlen = out->len - at - 8;
    put_be32((unsigned char *)out->data + at, (uint32_t)zlen);
    unsigned char crc[4];
    put_be32(crc, zbuf_crc32(0, out->data + at + 4, zlen + 4));
    buf_append(out, (const char *)crc, 4);
    png_chunk(out, "IEND", NULL, 0);
    if (out->failed)
        rc = err_set(e, ERR_INTERNAL, "out of memory");
done:
    free(raw);
    free(rows);
    return rc;
}
