/* The PNG encoder: a small one of our own, because cairo's PNG writer (fixed zlib settings, row by row
 * through libpng) costs more than rendering a map. Each row gets the cheaper of the Sub and Up filters
 * (SSE2), the rows are deflated by libdeflate (util/zbuf.h, one compressor per thread and level) straight
 * into the output, and the chunks are IHDR, one IDAT and IEND. WMS GetMap encodes at level 4, tiles at 6.
 * gis_render_encode (gis/render.h) is the entry that also offers JPEG.
 *
 * Ownership: the caller owns the surface and the buffer; the encoder allocates only its row buffers,
 * freed before it returns. No shared state but zbuf's per-thread compressors, so threads may encode at
 * once. */
#ifndef GIS_PNG_H
#define GIS_PNG_H
#include <cairo.h>

#include "util/buf.h"
#include "util/err.h"

/* Appends image surface s as a PNG to out: RGB for CAIRO_FORMAT_RGB24, RGBA (un-premultiplied) for
 * ARGB32, 8 bits a channel, deflated at zlib level 1..9 (anything else: 6). The caller flushes s first
 * (cairo_surface_flush). ERR_INTERNAL when s is not an image surface or memory runs out. */
enum err_code gis_png_encode(cairo_surface_t *s, int level, struct buf *out, struct err *e);

#endif
