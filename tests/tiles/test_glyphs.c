/* Unit tests for tiles/glyphs: range parsing, font names, and a range decoded back from its protocol buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/test.h"
#include "tiles/glyphs.h"

/* ---- a small protocol buffer reader ---- */

struct pb {
    const unsigned char *p, *end;
    bool bad;
};

static uint64_t rd_varint(struct pb *r)
{
    uint64_t v = 0;
    for (int s = 0; s < 64; s += 7) {
        if (r->p >= r->end)
            return r->bad = true, 0;
        unsigned char c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << s;
        if (!(c & 0x80))
            return v;
    }
    return r->bad = true, 0;
}

/* Next field: returns false at the end; sets field, wire type, and the varint or the bytes. */
static bool rd_field(struct pb *r, unsigned *field, uint64_t *v, struct pb *sub)
{
    if (r->bad || r->p >= r->end)
        return false;
    uint64_t key = rd_varint(r);
    *field = (unsigned)(key >> 3);
    switch (key & 7) {
    case 0: *v = rd_varint(r); return !r->bad;
    case 2: {
        uint64_t n = rd_varint(r);
        if (r->bad || n > (uint64_t)(r->end - r->p))
            return r->bad = true, false;
        sub->p = r->p, sub->end = r->p + n, sub->bad = false;
        r->p += n;
        *v = n;
        return true;
    }
    default: return r->bad = true, false;
    }
}

static int32_t unzigzag(uint64_t v)
{
    return (int32_t)((uint32_t)(v >> 1) ^ -(uint32_t)(v & 1));
}

struct dglyph {
    unsigned id, width, height, advance;
    int left, top;
    const unsigned char *bitmap;
    size_t bitmap_len;
};

struct decoded {
    char name[128], range[32];
    int nglyphs;
    struct dglyph g[256];
    int nstacks;
    bool bad;
};

static void decode(const char *data, size_t len, struct decoded *d)
{
    memset(d, 0, sizeof *d);
    struct pb top = {(const unsigned char *)data, (const unsigned char *)data + len, false}, st, sub;
    unsigned f;
    uint64_t v;
    while (rd_field(&top, &f, &v, &st)) {
        if (f != 1) {
            d->bad = true;
            continue;
        }
        d->nstacks++;
        while (rd_field(&st, &f, &v, &sub)) {
            if (f == 1 && v < sizeof d->name)
                memcpy(d->name, sub.p, v);
            else if (f == 2 && v < sizeof d->range)
                memcpy(d->range, sub.p, v);
            else if (f == 3 && d->nglyphs < 256) {
                struct dglyph *g = &d->g[d->nglyphs++];
                struct pb gs;
                while (rd_field(&sub, &f, &v, &gs)) {
                    switch (f) {
                    case 1: g->id = (unsigned)v; break;
                    case 2: g->bitmap = gs.p, g->bitmap_len = v; break;
                    case 3: g->width = (unsigned)v; break;
                    case 4: g->height = (unsigned)v; break;
                    case 5: g->left = unzigzag(v); break;
                    case 6: g->top = unzigzag(v); break;
                    case 7: g->advance = (unsigned)v; break;
                    default: d->bad = true;
                    }
                }
                d->bad |= sub.bad;
            } else {
                d->bad = true;
            }
        }
        d->bad |= st.bad;
    }
    d->bad |= top.bad;
}

static const struct dglyph *find(const struct decoded *d, unsigned id)
{
    for (int i = 0; i < d->nglyphs; i++)
        if (d->g[i].id == id)
            return &d->g[i];
    return NULL;
}

/* ---- tests ---- */

static void ranges_are_strict(void)
{
    int s = -1;
    CHECK(tile_glyphs_parse_range("0-255", &s) && s == 0);
    CHECK(tile_glyphs_parse_range("256-511", &s) && s == 256);
    CHECK(tile_glyphs_parse_range("65280-65535", &s) && s == 65280);
    const char *bad[] = {"",        "0",      "0-",      "-255",         "1-256",   "0-256",
                         "256-255", "0-254",  "a-255",   "0-25x",        "0 -255",  "65536-65791",
                         "0x0-255", "+0-255", "0-255-1", "00000000-255", "512-511", "65535-65535",
                         "0-0255 ", NULL};
    for (int i = 0; bad[i]; i++) {
        if (tile_glyphs_parse_range(bad[i], &s))
            printf("  accepted bad range '%s'\n", bad[i]);
        CHECK(!tile_glyphs_parse_range(bad[i], &s));
    }
    CHECK(!tile_glyphs_parse_range(NULL, &s));
    struct buf b = {0};
    struct err e = {0};
    CHECK(tile_glyphs_range(TILE_GLYPHS_DIR, "DejaVu Sans", 100, &b, NULL, &e) == ERR_INVALID);
    err_clear(&e);
    CHECK(tile_glyphs_range(TILE_GLYPHS_DIR, "DejaVu Sans", 65536, &b, NULL, &e) == ERR_INVALID);
    CHECK(b.len == 0);
    buf_free(&b);
}

static void font_names(void)
{
    char path[512];
    const char *dir = TILE_GLYPHS_DIR;
    const struct {
        const char *name, *file;
    } ok[] = {
        {"DejaVu Sans", "DejaVuSans.ttf"},
        {"DejaVu Sans Book", "DejaVuSans.ttf"},
        {"DejaVu Sans Bold", "DejaVuSans-Bold.ttf"},
        {"DejaVu Sans Oblique", "DejaVuSans-Oblique.ttf"},
        {"DejaVu Sans Bold Oblique", "DejaVuSans-BoldOblique.ttf"},
        {"dejavu sans italic", "DejaVuSans-Oblique.ttf"},
        {"DejaVu Sans Mono", "DejaVuSansMono.ttf"},
        {"DejaVu Serif Italic", "DejaVuSerif-Italic.ttf"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        bool found = tile_glyphs_font_file(dir, ok[i].name, path, sizeof path);
        CHECK(found);
        const char *slash = strrchr(path, '/');
        if (found)
            CHECK_STR(slash ? slash + 1 : path, ok[i].file);
    }
    const char *bad[] = {"",
                         "Open Sans",
                         "DejaVu",
                         "DejaVu Sans Sans",
                         "DejaVu Sans Bold Bold",
                         "DejaVu Sans ../x",
                         "DejaVu Serif Mono",
                         "../DejaVuSans",
                         NULL};
    for (int i = 0; bad[i]; i++)
        CHECK(!tile_glyphs_font_file(dir, bad[i], path, sizeof path));
    struct buf b = {0};
    struct err e = {0};
    CHECK(tile_glyphs_range(dir, "Open Sans Regular,Arial Unicode MS", 0, &b, NULL, &e) == ERR_NOT_FOUND);
    buf_free(&b);
}

static void latin_range_decodes(void)
{
    struct buf b = {0};
    struct err e = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool cached = true;
    CHECK(tile_glyphs_range(TILE_GLYPHS_DIR, "DejaVu Sans Bold,DejaVu Sans", 0, &b, &cached, &e) == ERR_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(!cached);
    printf("  0-255 rendered in %.1f ms, %zu bytes\n", (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
           b.len);
    struct decoded *d = malloc(sizeof *d);
    if (!d)
        return;
    decode(b.data, b.len, d);
    CHECK(!d->bad);
    CHECK(d->nstacks == 1);
    CHECK_STR(d->name, "DejaVu Sans Bold,DejaVu Sans");
    CHECK_STR(d->range, "0-255");
    CHECK(d->nglyphs > 180);
    const struct dglyph *sp = find(d, ' '), *A = find(d, 'A'), *g = find(d, 'g'), *dot = find(d, '.');
    CHECK(sp && sp->width == 0 && !sp->bitmap && sp->advance >= 5 && sp->advance <= 10);
    CHECK(A && A->width >= 12 && A->width <= 20 && A->height >= 15 && A->height <= 20);
    CHECK(A && A->bitmap_len == (size_t)(A->width + 6) * (A->height + 6));
    CHECK(A && A->advance >= 14 && A->advance <= 20);
    /* the top is measured from the ascender: capitals start a few px below it, descenders sit lower */
    CHECK(A && A->top <= 0 && A->top >= -8);
    CHECK(g && g->top < A->top + 6 && (int)g->height - g->top > (int)A->height - A->top);
    if (A && A->bitmap) {
        /* the SDF: the corners are outside (small values), the middle of the crossbar region is inside */
        unsigned w = A->width + 6;
        CHECK(A->bitmap[0] < 64);
        int inside = 0, edge = 0;
        for (size_t i = 0; i < A->bitmap_len; i++)
            inside += A->bitmap[i] > 200, edge += A->bitmap[i] >= 180 && A->bitmap[i] <= 200;
        CHECK(inside > 20 && edge > 20);
        CHECK(A->bitmap[w * (A->height + 6 - 4) + 4] > 150); /* the bottom-left foot of the A */
    }
    CHECK(dot && dot->width >= 2 && dot->width <= 6);
    /* cached the second time, same bytes */
    struct buf b2 = {0};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(tile_glyphs_range(TILE_GLYPHS_DIR, "DejaVu Sans Bold,DejaVu Sans", 0, &b2, &cached, &e) == ERR_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(cached);
    printf("  0-255 from the cache in %.3f ms\n", (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
    CHECK(b2.len == b.len && !memcmp(b2.data, b.data, b.len));
    free(d);
    buf_free(&b);
    buf_free(&b2);
}

static void polish_diacritics(void)
{
    struct buf b = {0}, l = {0};
    struct err e = {0};
    CHECK(tile_glyphs_range(TILE_GLYPHS_DIR, "DejaVu Sans", 256, &b, NULL, &e) == ERR_OK);
    CHECK(tile_glyphs_range(TILE_GLYPHS_DIR, "DejaVu Sans", 0, &l, NULL, &e) == ERR_OK);
    struct decoded *d = malloc(sizeof *d), *dl = malloc(sizeof *dl);
    if (!d || !dl) {
        free(d), free(dl);
        return;
    }
    decode(b.data, b.len, d);
    decode(l.data, l.len, dl);
    CHECK(!d->bad && !dl->bad);
    CHECK_STR(d->range, "256-511");
    const unsigned polish[] = {0x105, 0x107, 0x119, 0x142, 0x144, 0x15b, 0x17a, 0x17c, 0x104, 0x141, 0x17b};
    for (size_t i = 0; i < sizeof polish / sizeof polish[0]; i++) {
        const struct dglyph *g = find(d, polish[i]);
        CHECK(g && g->width > 0 && g->bitmap && g->bitmap_len == (size_t)(g->width + 6) * (g->height + 6));
    }
    const struct dglyph *aogonek = find(d, 0x105), *a = find(dl, 'a'), *zdot = find(d, 0x17c), *z = find(dl, 'z'),
                        *oacute = find(dl, 0xf3), *o = find(dl, 'o');
    CHECK(aogonek && a && aogonek->advance == a->advance);
    CHECK(aogonek && a && aogonek->height > a->height); /* the ogonek hangs below */
    CHECK(aogonek && a && (int)aogonek->height - aogonek->top > (int)a->height - a->top);
    CHECK(zdot && z && zdot->top > z->top && zdot->advance == z->advance); /* the dot sits above */
    CHECK(oacute && o && oacute->top > o->top);
    free(d), free(dl);
    buf_free(&b);
    buf_free(&l);
}

static void fallback_and_unknown(void)
{
    /* an unknown name first is skipped; DejaVu Sans Bold has U+2192 (→) */
    struct buf b = {0};
    struct err e = {0};
    CHECK(tile_glyphs_render(TILE_GLYPHS_DIR, "Noto Sans Regular, DejaVu Sans Bold", 8448, &b, &e) == ERR_OK);
    struct decoded *d = malloc(sizeof *d);
    if (d) {
        decode(b.data, b.len, d);
        CHECK(!d->bad && d->nglyphs > 50 && find(d, 0x2192));
        CHECK_STR(d->name, "Noto Sans Regular, DejaVu Sans Bold");
        free(d);
    }
    buf_free(&b);
    /* a range with no glyphs at all is still a valid, empty fontstack */
    CHECK(tile_glyphs_render(TILE_GLYPHS_DIR, "DejaVu Sans", 0xE000, &b, &e) == ERR_OK);
    d = malloc(sizeof *d);
    if (d) {
        decode(b.data, b.len, d);
        CHECK(!d->bad && d->nstacks == 1);
        CHECK_STR(d->range, "57344-57599");
        free(d);
    }
    buf_free(&b);
}

int main(void)
{
    RUN(ranges_are_strict);
    RUN(font_names);
    RUN(latin_range_decodes);
    RUN(polish_diacritics);
    RUN(fallback_and_unknown);
    tile_glyphs_cache_clear();
    return test_done();
}
