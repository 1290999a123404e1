/* The gmina's territory (the store's gmina_boundary, migration 005): what /locate considers the gmina
 * and what every imported geometry must lie within. Set from a file by `odra boundary`; never by an import. */
#ifndef GIS_BOUNDARY_H
#define GIS_BOUNDARY_H
#include "gis/store.h"
#include "util/err.h"

/* Replaces the territory of store w (the writer) with the union of the polygons in file (any vector format
 * GDAL reads; PRG's gmina polygon, or the boundary of the gmina's POG act), transformed to EPSG:2180.
 * s_srs ("EPSG:n") names the CRS of a source without one. The file passes gis_import_check_file first.
 * *area_m2 (may be NULL) gets the territory's area. */
enum err_code gis_boundary_set(struct gis_store *w, const char *file, const char *s_srs, double *area_m2,
                               struct err *e);

#endif
