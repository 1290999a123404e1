/* Export of plans as APP 2.0 GML, the form the Rejestr Urbanistyczny takes: the act
 * (AktPlanowaniaPrzestrzennego) with its boundary and metadata, its resolution (DokumentFormalny), its
 * drawing (RysunekAktuPlanowaniaPrzestrzennego) and, for a POG, its zones (StrefaPlanistyczna) with their
 * parameters. odra's own import reads the file back to the same objects. */
#ifndef GIS_APP_EXPORT_H
#define GIS_APP_EXPORT_H
#include <stdio.h>

#include "gis/crs.h"
#include "gis/store.h"
#include "util/err.h"

struct gis_app_export_opts {
    const char *plan;  /* the plan's idIIP or row id; NULL: every plan of the store */
    const char *teryt; /* the gmina's TERYT, for plans that have no idIIP (PL.ZIPPZP.0000/TERYT-POG) */
    enum gis_crs crs;  /* GIS_CRS_NONE: EPSG:2176, PL-2000 zone 5, the zone of powiat słubicki */
};

struct gis_app_export_stats {
    int plans;
    long zones, skipped; /* skipped: plans without a boundary and without zones to make one */
};

/* Writes the plans of store s (any connection) to out as one wfs:FeatureCollection of APP 2.0.
 * Coordinates are in o->crs with the authority's axis order (northing first, as APP has it), to 1 µm.
 * MPZP zones (plan_zones) are not written: APP 2.0 has no feature type for them (an MPZP is exchanged as
 * its boundary, drawing and documents). ERR_NOT_FOUND when o->plan names no plan. */
enum err_code gis_app_export(struct gis_store *s, const struct gis_app_export_opts *o, FILE *out,
                             struct gis_app_export_stats *stats, struct err *e);

#endif
