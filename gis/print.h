/* The planners' map print (issue 17): one sheet of the plan map at an exact scale, A4 or A3, portrait or
 * landscape, with the legend, scale bar and north arrow, drawn by the wyrys's own sheet code
 * (gis/extract_wyrys.c) with a print's title block and footer instead of the wyrys's case, signature and
 * seal. Informative: it says it does not replace a wypis i wyrys. */
#ifndef GIS_PRINT_H
#define GIS_PRINT_H
#include <stdbool.h>

#include "gis/extract.h"
#include "gis/store.h"
#include "util/buf.h"
#include "util/err.h"

/* Scales a print may have: the frame's ground extent is at most 1:GIS_PRINT_SCALE_MAX of an A3 frame
 * (about 3.9 x 2.7 km), so one print cannot ask for the whole country. */
#define GIS_PRINT_SCALE_MIN 250
#define GIS_PRINT_SCALE_MAX 10000
/* Parcels a print may outline. */
#define GIS_PRINT_MAX_PARCELS 20

struct gis_print {
    enum gis_extract_sheet paper; /* GIS_EXTRACT_A4, _A4_LANDSCAPE, _A3_PORTRAIT, _A3_LANDSCAPE */
    double cx, cy;                /* the sheet's centre, EPSG:2180; NAN: the middle of the parcels' extent */
    long scale;                   /* 1:scale, GIS_PRINT_SCALE_MIN..GIS_PRINT_SCALE_MAX */
    const char *as_of;            /* plans in force on this day, YYYY-MM-DD; NULL: today */
    bool pog;                     /* the plan ogólny instead of the MPZP layers */
    unsigned omit;                /* GIS_PRINT_OMIT_* bits: the layers left out of the print */
    const char *gmina, *organ;    /* printed in the title block; may be NULL */
    const char *const *parcels;   /* parcel identifiers outlined in red (may be NULL) */
    int nparcels;
};

/* The layers a print may leave out (struct gis_print.omit); the plan's own layers are always printed. */
#define GIS_PRINT_OMIT_LANDCOVER 1u /* the base: land cover */
#define GIS_PRINT_OMIT_BUILDINGS 2u
#define GIS_PRINT_OMIT_PARCELS   4u /* the cadastral parcels' boundaries and numbers (the outlined ones stay) */
#define GIS_PRINT_OMIT_STREETS   8u

/* The bit of a layer's name ("landcover", "buildings", "parcels", "streets"); 0 for anything else. */
unsigned gis_print_omit_bit(const char *name);

/* "A4"/"A3" and "portrait"/"landscape" (NULL: portrait), any case; false for anything else. */
bool gis_print_paper_parse(const char *paper, const char *orientation, enum gis_extract_sheet *out);

/* The frame's ground size in metres of a print on paper at scale. */
void gis_print_extent(enum gis_extract_sheet paper, long scale, double *w_m, double *h_m);

/* Appends the print's PDF (one page) to out. ERR_INVALID naming the parameter for a scale out of range, a
 * centre that is not a number, or a malformed as_of; ERR_UNPROCESSABLE for an unknown parcel. */
enum err_code gis_print_pdf(struct gis_store *s, const struct gis_print *p, struct buf *out, struct err *e);

#endif
