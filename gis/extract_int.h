/* Private to the gis/extract*.c files: what the PDF assembly (extract.c) needs from the wypis
 * (extract_wypis.c) and the wyrys (extract_wyrys.c). Ownership rule: each declaration here is defined
 * in exactly one extract_*.c file, named beside it, and no file outside gis/extract*.c includes this. */
#ifndef GIS_EXTRACT_INT_H
#define GIS_EXTRACT_INT_H
#include "gis/extract.h"
#include "gis/pdf.h"

/* extract_wypis.c: "14 maja 2026 r." from "2026-05-14"; the input itself when it is not such a date. */
const char *gis_extract_date_pl(struct arena *a, const char *iso);
/* extract_wypis.c: sets the whole wypis with t (t->user is the struct gis_extract_meta); run once with
 * t->cr NULL to count the pages and once to draw. */
void gis_extract_wypis_set(struct gis_pdf *t, const struct gis_extract_doc *d, const struct gis_extract_fee *fee);
/* extract_wypis.c: the wypis's running header (pages after the first) and footer, t's furniture. */
void gis_extract_wypis_furniture(struct gis_pdf *t);

/* extract_wyrys.c: the verification code as printed, in groups of four ("ABCD-EFGH-..."), in a. */
const char *gis_extract_code_grouped(struct arena *a, const char *code);

/* extract_pog.c: reads xp->pog (the profiles and provisions of its POG zones, the obszar uzupełnienia
 * zabudowy and the gminne standardy) for a parcel whose zones include POG zones; leaves it NULL otherwise. */
enum err_code gis_extract_pog_load(struct gis_store *s, struct arena *a, struct gis_extract_parcel *xp, struct err *e);
/* extract_pog.c: appends to pl's provisions the zone-specific provisions (scope "pog-zone") of the POG
 * zones its parcels lie in, each once. */
enum err_code gis_extract_pog_provisions(struct arena *a, const struct gis_extract_doc *d, struct gis_extract_plan *pl,
                                         struct err *e);
/* extract_pog.c: the wypis paragraph on what a POG sets (zones and their parameters, not the parcels' land
 * use), and per parcel its zones' profil funkcjonalny, its OUZ and the gminne standardy. */
void gis_extract_wypis_pog_intro(struct gis_pdf *t);
void gis_extract_wypis_pog(struct gis_pdf *t, const struct gis_extract_parcel *xp);

/* extract_wyrys.c: the most sheets one wyrys has. */
#define GIS_EXTRACT_MAX_SHEETS 256
/* extract_wyrys.c: one wyrys sheet: where it is and at which scale. */
struct gis_extract_sheet_at {
    double cx, cy; /* centre, EPSG:2180 */
    long scale;
    int plan; /* index into doc->plans */
};
/* extract_wyrys.c: groups the document's parcels onto sheets of format f; returns how many (at most max). */
int gis_extract_sheets_make(const struct gis_extract_doc *d, enum gis_extract_sheet f, struct gis_extract_sheet_at *out,
                            int max);
/* extract_wyrys.c: the page size of format f in points. */
void gis_extract_sheet_page_size(enum gis_extract_sheet f, double *w, double *h);
/* extract_wyrys.c: the map frame's size of format f in millimetres. */
void gis_extract_sheet_frame(enum gis_extract_sheet f, double *w_mm, double *h_mm);
struct gis_print;
/* extract_wyrys.c: draws the planners' print p (gis/print.c) as one sheet: the wyrys's map, legend, scale
 * bar and north arrow at sh, with the print's title block and footer; d's parcels are outlined. */
enum err_code gis_extract_print_draw(struct gis_pdf *t, struct gis_store *s, const struct gis_extract_doc *d,
                                     const struct gis_extract_sheet_at *sh, const struct gis_print *p, struct err *e);
/* extract_wyrys.c: draws sheet k of n into t->cr, whose user space is points of the sheet's page; *raster
 * (may be NULL) is set when the sheet is drawn on the plan's raster drawing. */
enum err_code gis_extract_sheet_draw(struct gis_pdf *t, struct gis_store *s, const struct gis_extract_doc *d,
                                     const struct gis_extract_sheet_at *sh, int k, int n, bool *raster, struct err *e);

#endif
