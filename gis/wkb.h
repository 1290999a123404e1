/* Reading WKB in place: a cursor over the bytes, and its numbers in either byte order. Shared by the
 * renderer, the MVT encoder, the wyrys and point-in-polygon lookups, which all walk geometries straight
 * from SpatiaLite's AsBinary() without building GEOS objects. */
#ifndef GIS_WKB_H
#define GIS_WKB_H
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct gis_wkb {
    const unsigned char *p, *end;
};

/* A uint32 in the given byte order; false, with nothing read, when fewer than 4 bytes remain. */
static inline bool gis_wkb_u32(struct gis_wkb *w, bool le, uint32_t *v)
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
static inline double gis_wkb_f64_at(const unsigned char *b, bool le)
{
    unsigned char t[8];
    for (int i = 0; i < 8; i++)
        t[i] = le ? b[i] : b[7 - i];
    double d;
    memcpy(&d, t, 8);
    return d;
}

#endif
