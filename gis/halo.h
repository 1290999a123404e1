/* Label halos on vector output (PDF). A halo stroked on the glyph outlines is what a halo is, but cairo's
 * PDF surface measures every stroke exactly, twice (once to decide what it can write natively, once to
 * write it), by running its stroker over each flattened glyph curve: on a one-page wyrys with some forty
 * labels that was a quarter of the whole issue's instructions. Here the same area is a fill: each glyph's
 * outline dilated by the halo's width (GEOS buffer of the outline's rings, round joins), computed once per
 * font, size, glyph and width and kept for the process, then placed glyph by glyph and filled with the
 * nonzero rule (their union), under the text. The page shows the same halo; the label is still text once.
 *
 * Thread-safe: the kept outlines are shared under a lock; each thread builds with its own GEOS context. */
#ifndef GIS_HALO_H
#define GIS_HALO_H
#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdbool.h>

/* Appends to cr's path the halo of width w around layout drawn with its top left corner at (x, y) in cr's
 * user space (as pango_cairo_show_layout after cairo_move_to(cr, x, y)), for cairo_fill with
 * CAIRO_FILL_RULE_WINDING. False, with nothing appended, when a glyph's outline could not be dilated: the
 * caller then strokes the layout's path as before. */
bool gis_halo_path(cairo_t *cr, PangoLayout *layout, double x, double y, double w);

/* The number of glyph halos kept (for tests). */
unsigned gis_halo_kept(void);

#endif
