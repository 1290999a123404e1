/* Raster plan drawings (APP RysunekAktuPlanowaniaPrzestrzennego): georeferenced GeoTIFFs kept in the store
 * (table plan_drawings, migration 004), read with GDAL through /vsimem/. The wyrys of a plan with a
 * drawing warps it to the sheet's frame in EPSG:2180 and draws the parcels over it; the demo makes one
 * "scan" per gmina by rendering a plan's zones and writing them as a GeoTIFF.
 *
 * Ownership: gis_drawing_get fills a struct whose tif the caller frees with gis_drawing_free; surfaces
 * returned are the caller's to destroy; buffers are appended to. GDAL datasets never outlive a call. */
#ifndef GIS_DRAWING_H
#define GIS_DRAWING_H
#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>

#include "gis/crs.h"
#include "gis/store.h"
#include "gis/style.h"
#include "util/buf.h"
#include "util/err.h"

struct gis_drawing {
    long id, plan_id;
    long scale; /* 0 when unknown */
    int srid;
    double bbox[4]; /* extent in EPSG:2180 */
    unsigned char *tif;
    size_t len;
};

/* The (newest) drawing of plan_id. ERR_NOT_FOUND when the plan has none or the store predates
 * migration 004; other codes for store errors. On ERR_OK the caller calls gis_drawing_free. */
enum err_code gis_drawing_get(struct gis_store *s, long plan_id, struct gis_drawing *out, struct err *e);
void gis_drawing_free(struct gis_drawing *d);

/* Whether plan_id has a drawing (false on any error). */
bool gis_drawing_exists(struct gis_store *s, long plan_id);

/* The drawing under the frame bbox (EPSG:2180) as it is, not resampled: a window of its own pixels
 * (*out, a new RGB24 image surface) and the matrix from the pixels of a w x h raster over the frame (y
 * down) to the window's pixels, for cairo to draw it with; a document then holds the scan's own pixels
 * and the viewer or printer resamples them once. Works for a north-up RGB drawing whose CRS maps to
 * EPSG:2180 affinely within a quarter pixel over the frame (any Polish CRS at sheet sizes); otherwise
 * ERR_UNPROCESSABLE (use gis_drawing_warp). ERR_NOT_FOUND when the drawing does not reach the frame.
 * Where the frame goes beyond the drawing nothing is drawn. */
enum err_code gis_drawing_window(const struct gis_drawing *d, const double bbox[4], int w, int h, cairo_surface_t **out,
                                 cairo_matrix_t *m, struct err *e);

/* Warps the drawing to the frame bbox (EPSG:2180, minx, miny, maxx, maxy) at w x h pixels, bilinear,
 * white where the drawing has no data. When that is finer than 1.5 times the drawing's own resolution the
 * image is made smaller in proportion (the caller scales it by its actual size). *out is a new RGB24
 * image surface. */
enum err_code gis_drawing_warp(const struct gis_drawing *d, const double bbox[4], int w, int h, cairo_surface_t **out,
                               struct err *e);

/* The plan a drawing is registered for, named by its idIIP or its row id (as text): *id gets the row id
 * and *scale the plan's scale denominator (0 when it has none). ERR_NOT_FOUND when no plan has it. */
enum err_code gis_drawing_plan_find(struct gis_store *s, const char *plan, long *id, long *scale, struct err *e);

/* Registers a GeoTIFF (bytes) as the drawing of plan_id: GDAL must open it, it must have a geotransform,
 * and an SRS (or srid > 0 given), and its extent (stored, in EPSG:2180) must overlap the plan. *id_out (may be NULL)
 * gets the row id. */
enum err_code gis_drawing_add(struct gis_store *s, long plan_id, const char *name, const void *tif, size_t len,
                              long scale, int srid, long *id_out, struct err *e);

/* Writes an RGB24/ARGB32 image as a GeoTIFF (DEFLATE, tiled) whose pixels cover bbox in crs exactly. */
enum err_code gis_drawing_geotiff(cairo_surface_t *img, enum gis_crs crs, const double bbox[4], struct buf *out,
                                  struct err *e);

/* Makes a "scanned" drawing of plan_id: its zones, overlays and base map rendered with the style in crs
 * at m_per_px metres per pixel on paper-toned background, with a frame and a title block, as a GeoTIFF
 * in out. The plan's scale goes to *scale (1000 when the store has none). */
enum err_code gis_drawing_scan(struct gis_store *s, const struct gis_style *st, long plan_id, enum gis_crs crs,
                               double m_per_px, struct buf *out, long *scale, struct err *e);

#endif
