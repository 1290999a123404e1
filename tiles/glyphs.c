/* SDF glyph ranges: FreeType renders each glyph as an anti-aliased bitmap, two Euclidean distance transforms
 * (Felzenszwalb & Huttenlocher, as in TinySDF) give the distances outside and inside the outline, and the
 * signed distance d (pixels, positive outside) becomes 255 - 255 * (d / radius + cutoff): the outline sits at
 * 192, the value MapLibre's shader takes as the edge. Metrics follow node-fontnik: width/height of the glyph
 * without the buffer, left the bearing, top the glyph's top minus the face's ascender, advance in pixels. */
#include "tiles/glyphs.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define RADIUS 8.0
#define CUTOFF 0.25
#define INF    1e20

/* ---- font names ---- */

bool tile_glyphs_font_file(const char *dir, const char *name, char *out, size_t cap)
{
    char tmp[128];
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, name, n + 1);
    const char *family = NULL, *width = "";
    bool bold = false, slant = false, light = false, seen_dejavu = false;
    char *save = NULL;
    for (char *tok = strtok_r(tmp, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (!seen_dejavu) {
            if (strcasecmp(tok, "DejaVu"))
                return false;
            seen_dejavu = true;
        } else if (!family) {
            if (!strcasecmp(tok, "Sans"))
                family = "Sans";
            else if (!strcasecmp(tok, "Serif"))
                family = "Serif";
            else
                return false;
        } else if (!strcasecmp(tok, "Mono") && !*width && !strcmp(family, "Sans")) {
            width = "Mono";
        } else if (!strcasecmp(tok, "Condensed") && !*width) {
            width = "Condensed";
        } else if (!strcasecmp(tok, "Bold") && !bold && !light) {
            bold = true;
        } else if ((!strcasecmp(tok, "Oblique") || !strcasecmp(tok, "Italic")) && !slant && !light) {
            slant = true;
        } else if (!strcasecmp(tok, "ExtraLight") && !bold && !slant && !light && !*width && !strcmp(family, "Sans")) {
            light = true;
        } else if (strcasecmp(tok, "Book") && strcasecmp(tok, "Regular") && strcasecmp(tok, "Normal")) {
            return false;
        }
    }
    if (!family)
        return false;
    const char *slant_name = !strcmp(family, "Serif") ? "Italic" : "Oblique";
    char style[32] = "";
    if (light)
        snprintf(style, sizeof style, "-ExtraLight");
    else if (bold || slant)
        snprintf(style, sizeof style, "-%s%s", bold ? "Bold" : "", slant ? slant_name : "");
    int k = snprintf(out, cap, "%s/DejaVu%s%s%s.ttf", dir, family, width, style);
    if (k < 0 || (size_t)k >= cap)
        return false;
    struct stat st;
    return stat(out, &st) == 0 && S_ISREG(st.st_mode);
}

bool tile_glyphs_parse_range(const char *s, int *start)
{
    if (!s || !*s)
        return false;
    long a = 0, b = 0;
    const char *p = s;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        if (++digits > 5 || (a = a * 10 + (*p - '0')) > 65535)
            return false;
    if (!digits || *p++ != '-')
        return false;
    digits = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        if (++digits > 5 || (b = b * 10 + (*p - '0')) > 65535)
            return false;
    if (!digits || *p || a % 256 || b != a + 255)
        return false;
    *start = (int)a;
    return true;
}

/* ---- protocol buffer ---- */

static void pb_varint(struct buf *b, uint64_t v)
{
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    buf_append(b, tmp, n);
}

static void pb_uint(struct buf *b, unsigned field, uint64_t v)
{
    pb_varint(b, (uint64_t)field << 3);
    pb_varint(b, v);
}

static void pb_sint(struct buf *b, unsigned field, int32_t v)
{
    pb_uint(b, field, ((uint32_t)v << 1) ^ (v < 0 ? UINT32_MAX : 0u));
}

static void pb_bytes(struct buf *b, unsigned field, const void *data, size_t len)
{
    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, len);
    buf_append(b, data, len);
}

/* ---- SDF ---- */

/* 1D squared distance transform of f[0..n) (stride apart) in place; v, z, d are scratch. */
static void edt1d(double *f, size_t offset, size_t stride, int n, double *v, double *z, double *d)
{
    int k = 0;
    v[0] = 0;
    z[0] = -INF;
    z[1] = INF;
    for (int q = 0; q < n; q++)
        d[q] = f[offset + (size_t)q * stride];
    for (int q = 1; q < n; q++) {
        double s;
        do {
            int r = (int)v[k];
            s = (d[q] - d[r] + (double)q * q - (double)r * r) / (2.0 * (q - r));
        } while (s <= z[k] && --k > -1);
        k++;
        v[k] = q;
        z[k] = s;
        z[k + 1] = INF;
    }
    k = 0;
    for (int q = 0; q < n; q++) {
        while (z[k + 1] < q)
            k++;
        int r = (int)v[k];
        f[offset + (size_t)q * stride] = (q - r) * (double)(q - r) + d[r];
    }
}

static void edt(double *grid, int w, int h, double *v, double *z, double *d)
{
    for (int x = 0; x < w; x++)
        edt1d(grid, (size_t)x, (size_t)w, h, v, z, d);
    for (int y = 0; y < h; y++)
        edt1d(grid, (size_t)y * w, 1, w, v, z, d);
}

struct glyph {
    int width, height, left, top, advance;
    unsigned char *sdf; /* (width + 2 buffer) x (height + 2 buffer), or NULL */
};

/* Renders the loaded glyph slot's bitmap into g. Returns false on allocation failure. */
static bool render_sdf(FT_GlyphSlot slot, struct glyph *g)
{
    const FT_Bitmap *bm = &slot->bitmap;
    g->width = (int)bm->width;
    g->height = (int)bm->rows;
    g->left = slot->bitmap_left;
    g->sdf = NULL;
    if (g->width == 0 || g->height == 0 || bm->pixel_mode != FT_PIXEL_MODE_GRAY)
        return g->width = g->height = 0, true;
    const int buf = TILE_GLYPHS_BUFFER;
    int w = g->width + 2 * buf, h = g->height + 2 * buf, m = w > h ? w : h;
    size_t n = (size_t)w * h;
    double *outer = malloc(n * sizeof *outer), *inner = malloc(n * sizeof *inner);
    double *scratch = malloc((size_t)(4 * m + 2) * sizeof *scratch);
    g->sdf = malloc(n);
    if (!outer || !inner || !scratch || !g->sdf) {
        free(outer), free(inner), free(scratch), free(g->sdf), g->sdf = NULL;
        return false;
    }
    for (size_t i = 0; i < n; i++)
        outer[i] = INF, inner[i] = 0;
    int levels = bm->num_grays > 1 ? bm->num_grays - 1 : 255;
    for (int y = 0; y < g->height; y++) {
        const unsigned char *row =
            bm->pitch >= 0 ? bm->buffer + (size_t)y * bm->pitch : bm->buffer + (size_t)(g->height - 1 - y) * -bm->pitch;
        for (int x = 0; x < g->width; x++) {
            double a = row[x] / (double)levels;
            if (a <= 0)
                continue;
            size_t j = (size_t)(y + buf) * w + (size_t)(x + buf);
            if (a >= 1) {
                outer[j] = 0, inner[j] = INF;
            } else {
                double d = 0.5 - a;
                outer[j] = d > 0 ? d * d : 0;
                inner[j] = d < 0 ? d * d : 0;
            }
        }
    }
    double *v = scratch, *z = scratch + m, *d = scratch + 2 * m + 1;
    edt(outer, w, h, v, z, d);
    edt(inner, w, h, v, z, d);
    for (size_t i = 0; i < n; i++) {
        double dist = sqrt(outer[i]) - sqrt(inner[i]);
        double val = round(255 - 255 * (dist / RADIUS + CUTOFF));
        g->sdf[i] = (unsigned char)(val < 0 ? 0 : val > 255 ? 255 : val);
    }
    free(outer), free(inner), free(scratch);
    return true;
}

enum err_code tile_glyphs_render(const char *dir, const char *fontstack, int start, struct buf *out, struct err *e)
{
    if (start < 0 || start > 65280 || start % 256)
        return err_set(e, ERR_INVALID, "bad glyph range start %d", start);
    if (!fontstack || !*fontstack || strlen(fontstack) > 512)
        return err_set(e, ERR_NOT_FOUND, "no font stack");
    FT_Library lib;
    if (FT_Init_FreeType(&lib))
        return err_set(e, ERR_INTERNAL, "FreeType does not start");
    FT_Face faces[TILE_GLYPHS_MAX_FONTS];
    int ascender[TILE_GLYPHS_MAX_FONTS];
    int nfaces = 0;
    enum err_code rc = ERR_OK;
    /* the stack's fonts, in order; unknown names are skipped */
    for (const char *p = fontstack; *p && nfaces < TILE_GLYPHS_MAX_FONTS;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        while (len && *p == ' ')
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        char name[128], path[512];
        if (len && len < sizeof name) {
            memcpy(name, p, len);
            name[len] = '\0';
            if (tile_glyphs_font_file(dir, name, path, sizeof path) && !FT_New_Face(lib, path, 0, &faces[nfaces])) {
                if (FT_Set_Char_Size(faces[nfaces], 0, TILE_GLYPHS_SIZE * 64, 0, 0)) {
                    FT_Done_Face(faces[nfaces]);
                } else {
                    ascender[nfaces] = (int)(faces[nfaces]->size->metrics.ascender / 64);
                    nfaces++;
                }
            }
        }
        if (!c)
            break;
        p = c + 1;
    }
    if (!nfaces) {
        FT_Done_FreeType(lib);
        return err_set(e, ERR_NOT_FOUND, "no font of the stack '%.100s' is known", fontstack);
    }
    struct buf stack = {0}, gb = {0};
    char range[16];
    snprintf(range, sizeof range, "%d-%d", start, start + 255);
    pb_bytes(&stack, 1, fontstack, strlen(fontstack));
    pb_bytes(&stack, 2, range, strlen(range));
    for (int cp = start; cp <= start + 255 && !rc; cp++) {
        for (int f = 0; f < nfaces; f++) {
            FT_UInt gi = FT_Get_Char_Index(faces[f], (FT_ULong)cp);
            if (!gi)
                continue;
            if (FT_Load_Glyph(faces[f], gi, FT_LOAD_NO_HINTING | FT_LOAD_RENDER))
                break;
            FT_GlyphSlot slot = faces[f]->glyph;
            struct glyph g;
            if (!render_sdf(slot, &g)) {
                rc = err_set(e, ERR_INTERNAL, "out of memory");
                break;
            }
            long adv = (slot->metrics.horiAdvance + 32) / 64;
            gb.len = 0;
            pb_uint(&gb, 1, (uint64_t)cp);
            if (g.sdf)
                pb_bytes(&gb, 2, g.sdf,
                         (size_t)(g.width + 2 * TILE_GLYPHS_BUFFER) * (size_t)(g.height + 2 * TILE_GLYPHS_BUFFER));
            pb_uint(&gb, 3, (uint64_t)g.width);
            pb_uint(&gb, 4, (uint64_t)g.height);
            pb_sint(&gb, 5, g.left);
            pb_sint(&gb, 6, g.sdf ? slot->bitmap_top - ascender[f] : 0);
            pb_uint(&gb, 7, (uint64_t)(adv > 0 ? adv : 0));
            free(g.sdf);
            pb_bytes(&stack, 3, gb.data ? gb.data : "", gb.len);
            break;
        }
    }
    for (int f = 0; f < nfaces; f++)
        FT_Done_Face(faces[f]);
    FT_Done_FreeType(lib);
    if (!rc)
        pb_bytes(out, 1, stack.data ? stack.data : "", stack.len);
    if (!rc && (stack.failed || gb.failed || out->failed))
        rc = err_set(e, ERR_INTERNAL, "out of memory");
    buf_free(&stack);
    buf_free(&gb);
    return rc;
}

/* ---- the cache: up to CACHE_MAX ranges, the oldest replaced first ---- */

#define CACHE_MAX 256

static struct entry {
    char *key; /* "start:dir:fontstack" */
    char *data;
    size_t len;
} cache[CACHE_MAX];
static int cache_next;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

void tile_glyphs_cache_clear(void)
{
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CACHE_MAX; i++) {
        free(cache[i].key), free(cache[i].data);
        cache[i] = (struct entry){0};
    }
    cache_next = 0;
    pthread_mutex_unlock(&cache_lock);
}

enum err_code tile_glyphs_range(const char *dir, const char *fontstack, int start, struct buf *out, bool *cached,
                                struct err *e)
{
    if (cached)
        *cached = false;
    if (start < 0 || start > 65280 || start % 256)
        return err_set(e, ERR_INVALID, "bad glyph range start %d", start);
    if (!fontstack || !*fontstack || strlen(fontstack) > 512)
        return err_set(e, ERR_NOT_FOUND, "no font stack");
    struct buf key = {0};
    buf_printf(&key, "%d:%s:%s", start, dir, fontstack);
    if (key.failed) {
        buf_free(&key);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    pthread_mutex_lock(&cache_lock);
    static bool registered;
    if (!registered)
        registered = atexit(tile_glyphs_cache_clear) == 0;
    for (int i = 0; i < CACHE_MAX; i++)
        if (cache[i].key && !strcmp(cache[i].key, key.data)) {
            buf_append(out, cache[i].data, cache[i].len);
            pthread_mutex_unlock(&cache_lock);
            buf_free(&key);
            if (cached)
                *cached = true;
            return out->failed ? err_set(e, ERR_INTERNAL, "out of memory") : ERR_OK;
        }
    pthread_mutex_unlock(&cache_lock);
    /* rendered outside the lock: two threads may render the same range once each, which is harmless */
    struct buf b = {0};
    enum err_code rc = tile_glyphs_render(dir, fontstack, start, &b, e);
    if (rc) {
        buf_free(&key), buf_free(&b);
        return rc;
    }
    buf_append(out, b.data ? b.data : "", b.len);
    pthread_mutex_lock(&cache_lock);
    struct entry *slot = &cache[cache_next];
    cache_next = (cache_next + 1) % CACHE_MAX;
    free(slot->key), free(slot->data);
    slot->key = key.data, slot->data = b.data, slot->len = b.len;
    pthread_mutex_unlock(&cache_lock);
    return out->failed ? err_set(e, ERR_INTERNAL, "out of memory") : ERR_OK;
}
