/* Plan extracts: the PDF, the wypis pages (extract_wypis.c) and then the wyrys sheets (extract_wyrys.c)
 * in one tagged document with its language and metadata; and the plan style the wyrys is drawn with.
 * The document model is extract_model.c, fees extract_fees.c, codes extract_codes.c, issuing
 * extract_issue.c. */
#include "gis/extract_int.h"

#include <cairo-pdf.h>
#include <pthread.h>
#include <string.h>

#include "util/embed.h"
#include "util/log.h"

/* A wypis one page over the fee's page limit: set its closing part compact, then its body tight too, and
 * keep the first that ends within the limit (the closing part alone never makes the sixth page); the page
 * count, unchanged when neither does. */
static int wypis_fit(struct gis_pdf *t, const struct gis_extract_doc *doc, struct gis_extract_meta *meta,
                     const struct gis_extract_fee *fee, int pages)
{
    static const int steps[][2] = {{1, 0}, {1, 1}, {1, 2}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        meta->compact_tail = steps[i][0] != 0;
        meta->tight_body = steps[i][1];
        gis_extract_wypis_set(t, doc, fee);
        if (t->page < pages)
            return t->page;
    }
    meta->compact_tail = false;
    meta->tight_body = 0;
    return pages;
}

/* The wypis's pages with the fee fee: one layout and, where it ends one page over the fee's page limit,
 * wypis_fit. meta's compact_tail and tight_body are left as the count was made. */
static int wypis_count(struct gis_pdf *t, const struct gis_extract_doc *doc, struct gis_extract_meta *meta,
                       const struct gis_extract_fee *fee)
{
    gis_extract_wypis_set(t, doc, fee);
    int pages = t->page;
    const struct gis_extract_rates *rt = meta->rates ? meta->rates : &gis_extract_fee_defaults;
    if (pages == rt->wypis_pages_limit + 1)
        pages = wypis_fit(t, doc, meta, fee, pages);
    return pages;
}

/* The document of plan pi of d alone, as that plan's own wypis would be: its parcels, its zones and
 * provisions; NULL when out of memory. */
static struct gis_extract_doc *doc_one_plan(struct arena *a, const struct gis_extract_doc *d, int pi)
{
    const struct gis_extract_plan *pl = &d->plans[pi];
    size_t n = pl->nparcels > 0 ? (size_t)pl->nparcels : 1;
    struct gis_extract_doc *o = arena_alloc(a, sizeof *o);
    struct gis_extract_plan *p = arena_alloc(a, sizeof *p);
    struct gis_extract_parcel *parcels = arena_alloc(a, sizeof *parcels * n);
    struct gis_extract_parcel_plan *pp = arena_alloc(a, sizeof *pp * n);
    if (!o || !p || !parcels || !pp)
        return NULL;
    *o = *d;
    *p = *pl;
    for (int k = 0; k < pl->nparcels; k++) {
        parcels[k] = d->parcels[pl->parcels[k].parcel];
        pp[k] = pl->parcels[k];
        pp[k].parcel = k;
    }
    p->parcels = pp;
    o->parcels = parcels;
    o->nparcels = pl->nparcels;
    o->plans = p;
    o->nplans = 1;
    return o;
}

/* The wypis's page count, and the fee's input completed with it: where the gmina charges per plan, each
 * plan's own wypis (doc_one_plan) is counted first by the same layout, since the act's rate counts the
 * pages of a document. Sets meta's compact_tail and tight_body for the whole document's drawing pass. */
static enum err_code wypis_pages_count(struct gis_pdf *t, const struct gis_extract_doc *doc,
                                       struct gis_extract_meta *meta, struct gis_extract_fee_in *fin, int *wypis_pages,
                                       struct err *e)
{
    if (meta->fee_per_plan && doc->nplans > 1) {
        int *pages = arena_alloc(t->a, sizeof *pages * (size_t)doc->nplans);
        if (!pages)
            return err_set(e, ERR_INTERNAL, "out of memory");
        for (int i = 0; i < doc->nplans; i++) {
            struct gis_extract_doc *one = doc_one_plan(t->a, doc, i);
            if (!one)
                return err_set(e, ERR_INTERNAL, "out of memory");
            struct gis_extract_fee_in in = *fin;
            in.plans = 1;
            struct gis_extract_fee provisional = gis_extract_fee_compute(meta->rates, &in);
            pages[i] = wypis_count(t, one, meta, &provisional);
            meta->compact_tail = false;
            meta->tight_body = 0;
        }
        fin->plan_pages = pages;
    }
    /* the fee depends on the page count, so a first layout with the one-page fee counts the pages; the
     * drawing pass fails if the page count then differs */
    struct gis_extract_fee provisional = gis_extract_fee_compute(meta->rates, fin);
    *wypis_pages = wypis_count(t, doc, meta, &provisional);
    return ERR_OK;
}

enum err_code gis_extract_pdf(struct gis_store *s, const struct gis_extract_doc *doc, const struct gis_extract_meta *mm,
                              struct buf *out, struct gis_extract_result *res, struct err *e)
{
    memset(res, 0, sizeof *res);
    struct gis_extract_meta meta = *mm;
    const struct gis_extract_meta *m = &meta;
    struct arena *a = arena_new(1 << 16);
    struct gis_extract_sheet_at *sheets = a ? arena_alloc(a, sizeof *sheets * GIS_EXTRACT_MAX_SHEETS) : NULL;
    if (!sheets) {
        arena_free(a);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    int nsheets = m->wyrys ? gis_extract_sheets_make(doc, m->sheet, sheets, GIS_EXTRACT_MAX_SHEETS) : 0;
    int parts = nsheets * gis_extract_sheet_parts(m->sheet); /* A4-sized parts, for the fee */
    double sheet_w, sheet_h;
    gis_extract_sheet_page_size(m->sheet, &sheet_w, &sheet_h);
    meta.mark_on_wypis = nsheets == 0;
    if (!m->wypis && nsheets == 0) {
        arena_free(a);
        return err_at(e, ERR_UNPROCESSABLE, "documents",
                      "no plan applies to these parcels, so there is no drawing to extract");
    }
    PangoContext *pc = gis_pdf_context("pl-PL");
    enum err_code rc = gis_pdf_check_fonts(pc, e);
    struct gis_pdf t = {.pc = pc, .a = a, .pg = gis_pdf_a4, .furniture = gis_extract_wypis_furniture, .user = m};
    int wypis_pages = 0;
    struct gis_extract_fee_in fin = {.wypis_pages = 1,
                                     .wyrys_parts = parts,
                                     .plans = doc->nplans,
                                     .per_plan = m->fee_per_plan,
                                     .exemption = m->exemption};
    if (!rc && m->wypis)
        rc = wypis_pages_count(&t, doc, &meta, &fin, &wypis_pages, e);
    fin.wypis_pages = wypis_pages;
    struct gis_extract_fee fee = gis_extract_fee_compute(m->rates, &fin);
    int nraster = 0;
    size_t start = out ? out->len : 0;
    cairo_surface_t *surf = NULL;
    /* out NULL: the counts only (a quote); they are those the drawing pass below checks it sets */
    if (!rc && out) {
        const struct gis_pdf_info info = {.title = arena_printf(a, "%s z planu zagospodarowania przestrzennego — %s",
                                                                m->wypis && nsheets ? "Wypis i wyrys"
                                                                : m->wypis          ? "Wypis"
                                                                                    : "Wyrys",
                                                                m->case_number),
                                          .author = m->organ,
                                          .subject = "Wypis i wyrys (art. 30 u.p.z.p.)"};
        surf = gis_pdf_surface_create(out, gis_pdf_a4.w, gis_pdf_a4.h, &info);
        cairo_t *cr = cairo_create(surf);
        t.cr = cr;
        if (m->wypis) {
            t.total = wypis_pages;
            t.ntags = 0;
            gis_extract_wypis_set(&t, doc, &fee);
            if (t.page != wypis_pages)
                rc =
                    err_set(e, ERR_INTERNAL, "wypis pagination changed between passes (%d != %d)", t.page, wypis_pages);
        }
        for (int k = 0; k < nsheets && !rc; k++) {
            t.ntags = 0;
            bool raster = false;
            cairo_pdf_surface_set_size(surf, sheet_w, sheet_h);
            rc = gis_extract_sheet_draw(&t, s, doc, &sheets[k], k, nsheets, &raster, e);
            nraster += raster;
            cairo_show_page(cr);
        }
        rc = gis_pdf_close(cr, surf, rc, out, start, &info, e);
    }
    g_object_unref(pc);
    arena_free(a);
    if (!rc && out && out->failed)
        rc = err_set(e, ERR_INTERNAL, "out of memory writing the PDF");
    if (rc)
        return rc;
    res->wypis_pages = wypis_pages;
    res->wyrys_sheets = nsheets;
    res->wyrys_raster = nraster;
    res->pages = wypis_pages + nsheets;
    res->fee = fee;
    res->compact_tail = meta.compact_tail;
    memcpy(res->seal_mark, t.mark, sizeof res->seal_mark);
    return ERR_OK;
}

/* ---- style ---- */

static struct gis_style *plan_style;
static pthread_once_t plan_style_once = PTHREAD_ONCE_INIT;

static void plan_style_load(void)
{
    size_t len;
    const char *text = embed_find("styles/plan.json", &len);
    struct err e = {0};
    if (!text || gis_style_load(text, len, &plan_style, &e) != ERR_OK)
        log_error("extract: style styles/plan.json: %s", text ? e.msg : "not embedded");
}

const struct gis_style *gis_extract_style(void)
{
    pthread_once(&plan_style_once, plan_style_load);
    return plan_style;
}
