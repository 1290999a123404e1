/* Import of OGR vector sources into a store: reprojection to EPSG:2180, field mapping, geometry
 * validation and repair, all in one transaction. */
#ifndef GIS_IMPORT_H
#define GIS_IMPORT_H
#include <stdbool.h>
#include <stdio.h>

#include "gis/store.h"
#include "util/err.h"

struct gis_import_opts {
    const char *collection; /* target: "parcels", "addresses", "buildings", "plans", "plan-zones", "pog-zones" */
    const char *preset;     /* field mapping preset name, e.g. "app-strefy", "app-akt"; NULL for none */
    const char *map;        /* explicit mapping "dst=src,dst=src"; overrides the preset per field; may be NULL */
    const char *s_srs;      /* source CRS override such as "EPSG:2176"; NULL to use the source's own */
    bool progress;          /* show a progress line on stderr (when it is a terminal) */
};

struct gis_import_stats {
    long read, imported, repaired, rejected, overlaps;
};

/* Imports files (n of them) into the store w (the writer) as one transaction: if anything fails,
 * nothing is changed. Writes one line per repaired, rejected or overlapping feature to report (may be
 * NULL), naming the feature and the reason. Hostile input (DOCTYPE in XML, unsafe zip entries, bombs)
 * is refused before the store is touched. */
enum err_code gis_import_run(struct gis_store *w, const char *const *files, int n, const struct gis_import_opts *o,
                             struct gis_import_stats *stats, FILE *report, struct err *e);

/* Checks a source file without touching any store: DOCTYPE/ENTITY in XML, zip entry names, counts and
 * sizes. Returns ERR_OK or ERR_INVALID/ERR_UNPROCESSABLE with one line naming the problem. */
enum err_code gis_import_check_file(const char *path, struct err *e);

#endif
