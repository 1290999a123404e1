/* The WKB geometry walk. */
#include "gis/wkb.h"

#include <string.h>

struct gis_wkb {
    const unsigned char *p, *end;
};

/* A uint32 in the given byte order; false, with nothing read, when fewer than 4 bytes remain. */
static bool gis_wkb_u32(struct gis_wkb *w, bool le, uint32_t *v)
{
    if (w->end - w->p < 4)
        return false;
    const unsigned char *b = w->p;
    *v = le ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
            : (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
    w->p += 4;
    return true;
}

/* The double at b in the given byte order; the caller checked that 8 bytes are there. */
static double gis_wkb_f64_at(const unsigned char *b, bool le)
{
    unsigned char t[8];
    for (int i = 0; i < 8; i++)
        t[i] = le ? b[i] : b[7 - i];
    double d;
    memcpy(&d, t, 8);
    return d;
}

static bool walk_seq(struct gis_wkb *w, bool le, size_t stride, int kind, uint32_t n, bool shell,
                     const struct gis_wkb_visitor *v, void *ctx)
{
    if (n > (size_t)(w->end - w->p) / stride || !v->part(ctx, kind, n, shell))
        return false;
    for (uint32_t i = 0; i < n; i++, w->p += stride)
        if (!v->point(ctx, gis_wkb_f64_at(w->p, le), gis_wkb_f64_at(w->p + 8, le)))
            return false;
    return true;
}

static bool walk(struct gis_wkb *w, const struct gis_wkb_visitor *v, void *ctx, int depth)
{
    if (w->p >= w->end || *w->p > 1 || depth > 1)
        return false;
    bool le = *w->p++ == 1;
    uint32_t type, n;
    if (!gis_wkb_u32(w, le, &type) || type >= 4000)
        return false;
    size_t stride = 8 * (size_t)(type >= 3000 ? 4 : type >= 1000 ? 3 : 2);
    switch (type % 1000) {
    case 1: return walk_seq(w, le, stride, 1, 1, false, v, ctx);
    case 2: return gis_wkb_u32(w, le, &n) && walk_seq(w, le, stride, 2, n, false, v, ctx);
    case 3:
        if (!gis_wkb_u32(w, le, &n) || n > 100000)
            return false;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t np;
            if (!gis_wkb_u32(w, le, &np) || !walk_seq(w, le, stride, 3, np, i == 0, v, ctx))
                return false;
        }
        return true;
    case 4:
    case 5:
    case 6:
        if (!gis_wkb_u32(w, le, &n) || n > 1000000)
            return false;
        for (uint32_t i = 0; i < n; i++)
            if (!walk(w, v, ctx, depth + 1))
                return false;
        return true;
    default: return false;
    }
}

bool gis_wkb_walk(const unsigned char *wkb, size_t len, const struct gis_wkb_visitor *v, void *ctx)
{
    if (!wkb)
        return false;
    struct gis_wkb w = {wkb, wkb + len};
    return walk(&w, v, ctx, 0);
}
