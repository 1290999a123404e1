/* The planners' map print (gis/print.h): one PDF page drawn by the wyrys's sheet code. */
#include "gis/print.h"

#include <cairo-pdf.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "gis/calendar.h"
#include "gis/extract_int.h"

bool gis_print_paper_parse(const char *paper, const char *orientation, enum gis_extract_sheet *out)
{
    bool landscape;
    if (!orientation || !strcasecmp(orientation, "portrait"))
        landscape = false;
    else if (!strcasecmp(orientation, "landscape"))
        landscape = true;
    else
        return false;
    if (paper && !strcasecmp(paper, "A4"))
        *out = landscape ? GIS_EXTRACT_A4_LANDSCAPE : GIS_EXTRACT_A4;
    else if (paper && !strcasecmp(paper, "A3"))
        *out = landscape ? GIS_EXTRACT_A3_LANDSCAPE : GIS_EXTRACT_A3_PORTRAIT;
    else
        return false;
    return true;
}

void gis_print_extent(enum gis_extract_sheet paper, long scale, double *w_m, double *h_m)
{
    double w_mm, h_mm;
    gis_extract_sheet_frame(paper, &w_mm, &h_mm);
    *w_m = w_mm / 1000.0 * (double)scale;
    *h_m = h_mm / 1000.0 * (double)scale;
}

static enum err_code print_check(const struct gis_print *p, struct err *e)
{
    if (p->scale < GIS_PRINT_SCALE_MIN || p->scale > GIS_PRINT_SCALE_MAX)
        return err_param(e, "scale", "the scale must be 1:%d to 1:%d", GIS_PRINT_SCALE_MIN, GIS_PRINT_SCALE_MAX);
    bool on_parcels = isnan(p->cx) && p->nparcels > 0;
    if (!on_parcels && (!isfinite(p->cx) || !isfinite(p->cy) || fabs(p->cx) > 1e7 || fabs(p->cy) > 1e7))
        return err_param(e, "bbox", "the sheet's centre is not a point of EPSG:2180");
    if (p->paper != GIS_EXTRACT_A4 && p->paper != GIS_EXTRACT_A4_LANDSCAPE && p->paper != GIS_EXTRACT_A3_PORTRAIT &&
        p->paper != GIS_EXTRACT_A3_LANDSCAPE)
        return err_param(e, "paper", "the paper must be A4 or A3");
    if (p->nparcels < 0 || p->nparcels > GIS_PRINT_MAX_PARCELS)
        return err_param(e, "parcels", "a print outlines at most %d parcels", GIS_PRINT_MAX_PARCELS);
    return ERR_OK;
}

/* The document the sheet code draws from: the parcels to outline (none, or gis_extract_build's), the date,
 * and one plan standing for the layers printed (MPZP or POG). */
static enum err_code print_doc(struct gis_store *s, struct arena *a, const struct gis_print *p,
                               struct gis_extract_doc **out, struct err *e)
{
    struct gis_extract_doc *d;
    if (p->nparcels > 0) {
        if (gis_extract_build(s, a, (const char *const *)p->parcels, p->nparcels, p->as_of, &d, e))
            return e->code;
    } else {
        d = arena_alloc(a, sizeof *d);
        if (!d)
            return err_set(e, ERR_INTERNAL, "out of memory");
        memset(d, 0, sizeof *d);
        int day = gis_cal_today();
        if (p->as_of && !gis_cal_parse_date(p->as_of, &day))
            return err_param(e, "date", "the date must be YYYY-MM-DD, got '%.40s'", p->as_of);
        char *iso = arena_alloc(a, 11);
        if (!iso)
            return err_set(e, ERR_INTERNAL, "out of memory");
        gis_cal_format_date(day, iso);
        d->as_of = iso;
    }
    struct gis_extract_plan *pl = arena_alloc(a, sizeof *pl);
    if (!pl)
        return err_set(e, ERR_INTERNAL, "out of memory");
    memset(pl, 0, sizeof *pl);
    pl->ref.kind = p->pog ? "pog" : "mpzp";
    d->plans = pl;
    d->nplans = 1;
    *out = d;
    return ERR_OK;
}

unsigned gis_print_omit_bit(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } bits[] = {{"landcover", GIS_PRINT_OMIT_LANDCOVER},
                {"buildings", GIS_PRINT_OMIT_BUILDINGS},
                {"parcels", GIS_PRINT_OMIT_PARCELS},
                {"streets", GIS_PRINT_OMIT_STREETS}};
    for (size_t i = 0; name && i < sizeof bits / sizeof bits[0]; i++)
        if (!strcmp(name, bits[i].name))
            return bits[i].bit;
    return 0;
}

enum err_code gis_print_pdf(struct gis_store *s, const struct gis_print *p, struct buf *out, struct err *e)
{
    if (print_check(p, e))
        return e->code;
    struct arena *a = arena_new(1 << 16);
    if (!a)
        return err_set(e, ERR_INTERNAL, "out of memory");
    struct gis_extract_doc *d = NULL;
    if (print_doc(s, a, p, &d, e)) {
        arena_free(a);
        return e->code;
    }
    const struct gis_extract_meta m = {
        .organ = p->organ, .gmina = p->gmina, .case_number = "", .sheet = p->paper, .style = gis_extract_style()};
    struct gis_extract_sheet_at sh = {.cx = p->cx, .cy = p->cy, .scale = p->scale, .plan = 0};
    if (isnan(p->cx)) { /* centred on the parcels */
        double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        for (int i = 0; i < d->nparcels; i++) {
            const double *pb = d->parcels[i].p->bbox;
            bb[0] = fmin(bb[0], pb[0]), bb[1] = fmin(bb[1], pb[1]), bb[2] = fmax(bb[2], pb[2]),
            bb[3] = fmax(bb[3], pb[3]);
        }
        sh.cx = (bb[0] + bb[2]) / 2, sh.cy = (bb[1] + bb[3]) / 2;
    }
    double pw, ph;
    gis_extract_sheet_page_size(p->paper, &pw, &ph);
    PangoContext *pc = gis_pdf_context("pl-PL");
    struct gis_pdf t = {.pc = pc, .a = a, .pg = gis_pdf_a4, .user = &m};
    enum err_code rc = gis_pdf_check_fonts(pc, e);
    const struct gis_pdf_info info = {.title =
                                          arena_printf(a, "Wydruk z mapy planistycznej%s%s, skala 1:%ld",
                                                       p->gmina ? " — gmina " : "", p->gmina ? p->gmina : "", p->scale),
                                      .author = p->organ,
                                      .subject = "Wydruk informacyjny z mapy planistycznej"};
    size_t start = out->len;
    if (!rc) {
        cairo_surface_t *surf = gis_pdf_surface_create(out, pw, ph, &info);
        cairo_t *cr = cairo_create(surf);
        t.cr = cr;
        rc = gis_extract_print_draw(&t, s, d, &sh, p, e);
        cairo_show_page(cr);
        rc = gis_pdf_close(cr, surf, rc, out, start, &info, e);
    }
    g_object_unref(pc);
    arena_free(a);
    if (!rc && out->failed)
        rc = err_set(e, ERR_INTERNAL, "out of memory writing the PDF");
    return rc;
}
