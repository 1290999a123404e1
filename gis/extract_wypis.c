/* Plan extracts: the wypis, the text of the document (letterhead, parcels, zones per plan, provisions, fee,
 * signature and verification block), set with the PDF typesetter (gis/pdf.h). */
#include "gis/extract_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* "1 234" with a no-break space as thousands separator. */
static char *fmt_int(struct arena *a, long v)
{
    char digits[32], out[64];
    snprintf(digits, sizeof digits, "%ld", v < 0 ? -v : v);
    size_t n = strlen(digits), o = 0;
    if (v < 0)
        out[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            memcpy(out + o, "\xC2\xA0", 2);
            o += 2;
        }
        out[o++] = digits[i];
    }
    out[o] = 0;
    return arena_strdup(a, out);
}

/* A decimal with a comma: "12,34". */
static char *fmt_dec(struct arena *a, double v, int decimals)
{
    char *s = arena_printf(a, "%.*f", decimals, v);
    for (char *c = s; c && *c; c++)
        if (*c == '.')
            *c = ',';
    return s;
}

/* "14 maja 2026 r." from "2026-05-14" (gis_pdf_date_pl). */
const char *gis_extract_date_pl(struct arena *a, const char *iso)
{
    return gis_pdf_date_pl(a, iso);
}

/* The body text's and the tables' fonts: 10 and 8 pt, smaller where gis_extract_pdf sets the wypis tight
 * to keep it within the fee's page limit (gis_extract_meta.tight_body). Used only where a struct gis_pdf *t
 * is in scope. */
#define F_BODY  body_font(t)
#define F_SMALL "DejaVu Serif 8"
#define F_HEAD  "DejaVu Sans Bold 11"
#define F_SUB   "DejaVu Sans Bold 9.5"
#define F_TABLE table_font(t)
#define F_TITLE "DejaVu Sans Bold 15"

static const char *body_font(const struct gis_pdf *t)
{
    static const char *const fonts[] = {"DejaVu Serif 10", "DejaVu Serif 9", "DejaVu Serif 8.5"};
    int k = ((const struct gis_extract_meta *)t->user)->tight_body;
    return fonts[k < 0 ? 0 : k > 2 ? 2 : k];
}

static const char *table_font(const struct gis_pdf *t)
{
    return ((const struct gis_extract_meta *)t->user)->tight_body > 1 ? "DejaVu Sans 7.5" : "DejaVu Sans 8";
}

/* Running header (pages after the first) and footer of the current page. */
void gis_extract_wypis_furniture(struct gis_pdf *t)
{
    if (!t->cr)
        return;
    cairo_t *cr = t->cr;
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_set_line_width(cr, 0.4);
    const struct gis_extract_meta *m = ((const struct gis_extract_meta *)t->user);
    if (t->page > 1) {
        PangoLayout *l =
            gis_pdf_layout(t, gis_pdf_markup(t, "%s — wypis, znak sprawy %s", m->organ ? m->organ : "", m->case_number),
                           "DejaVu Sans 7.5", gis_pdf_text_width(t), PANGO_ALIGN_LEFT, false);
        gis_pdf_show(t, l, t->pg.left, t->pg.top - 22);
        g_object_unref(l);
        cairo_move_to(cr, t->pg.left, t->pg.top - 8);
        cairo_line_to(cr, t->pg.w - t->pg.right, t->pg.top - 8);
        cairo_stroke(cr);
    }
    cairo_move_to(cr, t->pg.left, gis_pdf_bottom(t) + 12);
    cairo_line_to(cr, t->pg.w - t->pg.right, gis_pdf_bottom(t) + 12);
    cairo_stroke(cr);
    PangoLayout *l = gis_pdf_layout(t, gis_pdf_markup(t, "Znak sprawy: %s", m->case_number), "DejaVu Sans 7.5",
                                    gis_pdf_text_width(t), PANGO_ALIGN_LEFT, false);
    gis_pdf_show(t, l, t->pg.left, gis_pdf_bottom(t) + 16);
    g_object_unref(l);
    l = gis_pdf_layout(t, gis_pdf_markup(t, "Strona %d z %d", t->page, t->total), "DejaVu Sans 7.5",
                       gis_pdf_text_width(t), PANGO_ALIGN_RIGHT, false);
    gis_pdf_show(t, l, t->pg.left, gis_pdf_bottom(t) + 16);
    g_object_unref(l);
    cairo_restore(cr);
}

static const char *param_label(const char *name)
{
    static const struct {
        const char *k, *v;
    } map[] = {
        {"max_height_m", "maks. wysokość zabudowy [m]"},
        {"max_storeys", "maks. liczba kondygnacji nadziemnych"},
        {"min_intensity", "min. intensywność zabudowy"},
        {"max_intensity", "maks. intensywność zabudowy"},
        {"max_coverage_pct", "maks. udział powierzchni zabudowy [%]"},
        {"min_bio_pct", "min. udział powierzchni biologicznie czynnej [%]"},
        {"min_parcel_area_m2", "min. powierzchnia nowo wydzielanej działki [m²]"},
        {"roof", "dachy"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].k, name))
            return map[i].v;
    return name;
}

static const char *params_text(struct gis_pdf *t, const struct gis_zone_hit *h)
{
    struct buf b = {0};
    for (int i = 0; i < h->nparams; i++) {
        const struct gis_zone_param *p = &h->params[i];
        if (i)
            buf_puts(&b, "; ");
        if (p->text)
            buf_printf(&b, "%s: %s", param_label(p->name), p->text);
        else
            buf_printf(&b, "%s: %s", param_label(p->name),
                       fmt_dec(t->a, p->value, fabs(p->value - round(p->value)) < 1e-9 ? 0 : 2));
    }
    const char *r = b.data ? arena_strdup(t->a, b.data) : "";
    buf_free(&b);
    return r;
}

/* The parcel's area as the wypis states it: the registered (EGiB) one where the store has it, else the one
 * computed from the geometry, saying which. */
static const char *parcel_area(struct gis_pdf *t, const struct gis_parcel *p)
{
    return p->area_registered
               ? gis_pdf_markup(t, "%s m² (ewidencyjna)", fmt_int(t->a, lround(p->area_m2)))
               : gis_pdf_markup(t, "%s m² (obliczona z geometrii)", fmt_int(t->a, lround(p->geom_area_m2)));
}

static const char *parcel_line(struct gis_pdf *t, const struct gis_parcel *p)
{
    return gis_pdf_markup(t, "Działka nr %s, obręb %s %s (identyfikator %s), powierzchnia %s", p->number,
                          p->obreb_number, p->obreb_name ? p->obreb_name : "", p->parcel_id, parcel_area(t, p));
}

/* Polish plural of a counted noun: 1 strona, 2-4 strony (but 12-14 stron), 5 stron. */
static const char *pl_plural(int n, const char *one, const char *few, const char *many)
{
    if (n == 1)
        return one;
    return n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? few : many;
}

/* The letterhead: organ with its seat and address left, place and date right. */
static void wypis_letterhead(struct gis_pdf *t)
{
    const struct gis_extract_meta *m = t->user;
    struct arena *a = t->a;
    const char *addr = m->organ_address && *m->organ_address ? m->organ_address : NULL;
    PangoLayout *l = gis_pdf_layout(t,
                                    addr ? gis_pdf_markup(t, "<b>%s</b>\n%s", m->organ ? m->organ : "", addr)
                                         : gis_pdf_markup(t, "<b>%s</b>", m->organ ? m->organ : ""),
                                    "DejaVu Sans 10", gis_pdf_text_width(t) * 0.55, PANGO_ALIGN_LEFT, false);
    PangoLayout *r =
        gis_pdf_layout(t, gis_pdf_markup(t, "%s, dnia %s", m->place ? m->place : "", gis_extract_date_pl(a, m->date)),
                       F_BODY, gis_pdf_text_width(t) * 0.45, PANGO_ALIGN_RIGHT, false);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, l, t->pg.left, t->y);
    gis_pdf_tag_end(t);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, r, t->pg.left + gis_pdf_text_width(t) * 0.55, t->y);
    gis_pdf_tag_end(t);
    t->y += fmax(gis_pdf_height(l), gis_pdf_height(r)) + 6;
    g_object_unref(l);
    g_object_unref(r);
    gis_pdf_para(t, gis_pdf_markup(t, "Znak sprawy: <b>%s</b>", m->case_number), F_BODY, PANGO_ALIGN_LEFT, false, 0,
                 "P", 18);
}

/* The applicant in the nominative ("Wnioskodawca: Jan Kowalski"), never declined, with the address. The
 * block takes at least the height of a name and an address of GIS_EXTRACT_RESERVE characters each, so that
 * a quote (which knows no applicant) counts the pages the issued document has. */
#define GIS_EXTRACT_RESERVE 56
static void wypis_applicant(struct gis_pdf *t)
{
    const struct gis_extract_meta *m = t->user;
    const char *name = m->applicant_name ? m->applicant_name : "";
    const char *addr = m->applicant_address ? m->applicant_address : "";
    char wide[GIS_EXTRACT_RESERVE + 1];
    memset(wide, 'W', GIS_EXTRACT_RESERVE);
    wide[GIS_EXTRACT_RESERVE] = 0;
    const char *fmt = "Wnioskodawca: <b>%s</b>\nAdres wnioskodawcy: %s";
    PangoLayout *res =
        gis_pdf_layout(t, gis_pdf_markup(t, fmt, wide, wide), F_BODY, gis_pdf_text_width(t), PANGO_ALIGN_LEFT, false);
    double reserve = gis_pdf_height(res);
    g_object_unref(res);
    PangoLayout *l = gis_pdf_layout(t, gis_pdf_markup(t, fmt, name, *addr ? addr : "—"), F_BODY, gis_pdf_text_width(t),
                                    PANGO_ALIGN_LEFT, false);
    double h = gis_pdf_height(l);
    gis_pdf_ensure(t, fmax(h, reserve));
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, l, t->pg.left, t->y);
    gis_pdf_tag_end(t);
    g_object_unref(l);
    t->y += fmax(h, reserve) + 6;
}

/* The letterhead, the case number, the title, the application and the opening sentence. */
static void wypis_head(struct gis_pdf *t, const struct gis_extract_doc *d, const struct gis_extract_fee *fee)
{
    const struct gis_extract_meta *m = t->user;
    struct arena *a = t->a;
    wypis_letterhead(t);
    bool any_mpzp = false, any_pog = false;
    for (int i = 0; i < d->nparcels; i++) {
        any_mpzp |= d->parcels[i].status == GIS_EXTRACT_MPZP;
        any_pog |= d->parcels[i].status == GIS_EXTRACT_POG;
    }
    /* an archival extract (a past date, art. 30 allows it) names its plans in the nominative under its title */
    static const char *const kinds[2][4] = {
        {"z miejscowego planu zagospodarowania przestrzennego i planu ogólnego gminy",
         "z miejscowego planu zagospodarowania przestrzennego", "z planu ogólnego gminy",
         "z planów zagospodarowania przestrzennego"},
        {"(miejscowy plan zagospodarowania przestrzennego i plan ogólny gminy)",
         "(miejscowy plan zagospodarowania przestrzennego)", "(plan ogólny gminy)",
         "(plany zagospodarowania przestrzennego)"}};
    const char *kind = kinds[d->archival][any_mpzp && any_pog ? 0 : any_mpzp ? 1 : any_pog ? 2 : 3];
    /* no wyrys when no plan applies to any of the parcels (no sheet to draw) */
    bool with_wyrys = m->wyrys && fee->wyrys_sheets > 0;
    gis_pdf_para(
        t,
        gis_pdf_markup(t, "%s%s", with_wyrys ? "WYPIS I WYRYS" : "WYPIS", d->archival ? " Z PLANU ARCHIWALNEGO" : ""),
        F_TITLE, PANGO_ALIGN_CENTER, false, 0, "H1", 2);
    gis_pdf_para(t, gis_pdf_markup(t, "%s", kind), "DejaVu Sans 10.5", PANGO_ALIGN_CENTER, false, 0, "P", 2);
    gis_pdf_para(t, gis_pdf_markup(t, "według stanu na dzień %s", gis_extract_date_pl(a, d->as_of)), "DejaVu Sans 10.5",
                 PANGO_ALIGN_CENTER, false, 0, "P", 16);

    wypis_applicant(t);
    struct buf b = {0};
    if (m->received_date && *m->received_date)
        buf_printf(&b, "Data złożenia wniosku: %s", gis_extract_date_pl(a, m->received_date));
    if (m->received_mode && *m->received_mode)
        buf_printf(&b, "%sSposób złożenia wniosku: %s", b.len ? "\n" : "", gis_pdf_markup(t, "%s", m->received_mode));
    if (m->purpose_text && *m->purpose_text)
        buf_printf(&b, "%sCel wskazany we wniosku: %s", b.len ? "\n" : "", gis_pdf_markup(t, "%s", m->purpose_text));
    if (b.len)
        gis_pdf_para(t, b.data, F_BODY, PANGO_ALIGN_LEFT, false, 0, "P", 8);
    buf_free(&b);
    buf_printf(&b,
               "Na podstawie %s wydaje się %s%s według stanu na dzień %s dla działek ewidencyjnych położonych w gminie "
               "%s, wymienionych poniżej.",
               gis_pdf_markup(t, "%s", m->legal_basis ? m->legal_basis : ""), with_wyrys ? "wypis i wyrys" : "wypis",
               d->archival ? " z planu archiwalnego" : "", gis_extract_date_pl(a, d->as_of),
               gis_pdf_markup(t, "%s", m->gmina ? m->gmina : ""));
    gis_pdf_para(t, b.data ? b.data : "", F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 10);
    buf_free(&b);
}

/* Section 1: the table of the requested parcels. */
static void wypis_parcels(struct gis_pdf *t, const struct gis_extract_doc *d)
{
    gis_pdf_heading(t, "1. Działki objęte wypisem", F_HEAD, "H2", 6);
    static const double w1[] = {0.06, 0.28, 0.25, 0.11, 0.30};
    static const PangoAlignment a1[] = {PANGO_ALIGN_RIGHT, PANGO_ALIGN_LEFT, PANGO_ALIGN_LEFT, PANGO_ALIGN_LEFT,
                                        PANGO_ALIGN_RIGHT};
    static const char *const h1[] = {"Lp.", "Identyfikator działki", "Obręb ewidencyjny", "Nr działki", "Powierzchnia"};
    gis_pdf_table_begin(t, 5, w1, a1, h1, F_TABLE);
    gis_pdf_table_header(t);
    for (int i = 0; i < d->nparcels; i++) {
        const struct gis_parcel *p = d->parcels[i].p;
        const char *c[] = {gis_pdf_markup(t, "%d.", i + 1), gis_pdf_markup(t, "%s", p->parcel_id),
                           gis_pdf_markup(t, "%s %s", p->obreb_number, p->obreb_name ? p->obreb_name : ""),
                           gis_pdf_markup(t, "%s", p->number), parcel_area(t, p)};
        gis_pdf_table_row(t, c, false);
    }
    gis_pdf_table_end(t, 4);
    gis_pdf_para(
        t,
        "Powierzchnię działki podano według ewidencji gruntów i budynków (ewidencyjna), a gdzie baza jej nie "
        "zawiera — obliczoną z geometrii. Powierzchnie terenów i stref w pkt 2 są orientacyjne: obliczono je z "
        "geometrii działek w układzie PL-1992 (EPSG:2180) i zaokrąglono do 1 m² tak, że sumują się do obliczonej "
        "powierzchni działki (wiersz „Razem”); udziały podano z dokładnością do 0,01 %.",
        F_SMALL, PANGO_ALIGN_LEFT, true, 0, "P", 8);
}

/* Whether another plan of the document amends plan id (so part of a parcel outside its zones may lie in
 * the amendment, not outside the plan). */
static bool plan_amended(const struct gis_extract_doc *d, long id)
{
    for (int i = 0; i < d->nplans; i++)
        if (d->plans[i].ref.amends == id)
            return true;
    return false;
}

/* The plan's history as the wypis states it: what it amends, and since when (and until when) it applies. */
static void plan_validity(struct gis_pdf *t, struct buf *b, const struct gis_plan_ref *r)
{
    struct arena *a = t->a;
    if (r->amends)
        buf_printf(b, " Zmiana planu: %s%s%s%s; w granicach zmiany zastępuje jego ustalenia.",
                   gis_pdf_markup(t, "%s", r->amends_title ? r->amends_title : ""), r->amends_resolution ? " (" : "",
                   r->amends_resolution ? gis_pdf_markup(t, "%s", r->amends_resolution) : "",
                   r->amends_resolution ? ")" : "");
    if (r->valid_from && r->valid_to)
        buf_printf(b, " Plan obowiązywał od %s do %s", gis_extract_date_pl(a, r->valid_from),
                   gis_extract_date_pl(a, r->valid_to));
    else if (r->valid_from)
        buf_printf(b, " Plan obowiązuje od %s", gis_extract_date_pl(a, r->valid_from));
    /* the dates end in "r.", which ends the sentence too */
    if (r->valid_from && r->valid_to && r->changed_by)
        buf_printf(b, " (%s: %s).", r->status && !strcmp(r->status, "wygasły") ? "wygasł" : "uchylony",
                   gis_pdf_markup(t, "%s", r->changed_by));
}

/* Section 2: per plan, each parcel's zones with areas and shares, its overlays and POG parameters. */
static void wypis_zones(struct gis_pdf *t, const struct gis_extract_doc *d)
{
    struct arena *a = t->a;
    bool any_mpzp = false;
    for (int pi = 0; pi < d->nplans; pi++)
        any_mpzp |= !d->plans[pi].ref.kind || strcmp(d->plans[pi].ref.kind, "pog");
    /* a POG sets zones, not the parcels' land use */
    gis_pdf_heading(
        t, any_mpzp || !d->nplans ? "2. Przeznaczenie działek w planach" : "2. Strefy planistyczne planu ogólnego",
        F_HEAD, "H2", 8);
    for (int pi = 0; pi < d->nplans; pi++) {
        const struct gis_extract_plan *pl = &d->plans[pi];
        bool pog = pl->ref.kind && !strcmp(pl->ref.kind, "pog");
        gis_pdf_heading(t, gis_pdf_markup(t, "2.%d. %s", pi + 1, pl->ref.title ? pl->ref.title : ""), F_SUB, "H3", 4);
        struct buf rb = {0};
        buf_printf(&rb, "%s",
                   gis_pdf_markup(t, "%s", pl->ref.resolution ? pl->ref.resolution : "Uchwała (brak danych)"));
        if (pl->ref.publication)
            buf_printf(&rb, ", ogłoszona w %s", gis_pdf_markup(t, "%s", pl->ref.publication));
        buf_puts(&rb, ".");
        if (pl->ref.scale > 0)
            buf_printf(&rb, " Rysunek %s w skali 1:%ld.", pog ? "planu ogólnego" : "planu", pl->ref.scale);
        plan_validity(t, &rb, &pl->ref);
        gis_pdf_para(t, rb.data ? rb.data : "", F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 4);
        buf_free(&rb);
        if (pog)
            gis_extract_wypis_pog_intro(t);
        for (int k = 0; k < pl->nparcels; k++) {
            const struct gis_extract_parcel_plan *pp = &pl->parcels[k];
            const struct gis_extract_parcel *xp = &d->parcels[pp->parcel];
            t->y += 2;
            gis_pdf_ensure(t, 60);
            gis_pdf_para(t, arena_printf(a, "<b>%s</b>", parcel_line(t, xp->p)), F_BODY, PANGO_ALIGN_LEFT, false, 0,
                         "P", 3);
            static const double w2[] = {0.16, 0.50, 0.18, 0.16};
            static const PangoAlignment a2[] = {PANGO_ALIGN_LEFT, PANGO_ALIGN_LEFT, PANGO_ALIGN_RIGHT,
                                                PANGO_ALIGN_RIGHT};
            const char *h2[] = {pog ? "Strefa" : "Teren", pog ? "Strefa planistyczna" : "Przeznaczenie terenu",
                                "Powierzchnia orientacyjna [m²]", "Udział [%]"};
            gis_pdf_table_begin(t, 4, w2, a2, h2, F_TABLE);
            gis_pdf_table_header(t);
            for (int j = 0; j < pp->nrows; j++) {
                const struct gis_extract_row *row = &pp->rows[j];
                if (row->hit->kind == GIS_ZONE_OVERLAY)
                    continue;
                const char *c[] = {gis_pdf_markup(t, "%s", row->hit->label),
                                   gis_pdf_markup(t, "%s", row->hit->name ? row->hit->name : ""),
                                   gis_pdf_markup(t, "%s", fmt_int(a, row->area_m2)),
                                   gis_pdf_markup(t, "%s", fmt_dec(a, row->share_pct, 2))};
                gis_pdf_table_row(t, c, false);
            }
            if (pp->outside_m2 > 0) {
                long in = 0;
                for (int j = 0; j < pp->nrows; j++)
                    if (pp->rows[j].hit->kind != GIS_ZONE_OVERLAY)
                        in += pp->rows[j].area_m2;
                const char *c[] = {
                    "—",
                    pog                           ? "poza strefami planu ogólnego"
                    : plan_amended(d, pl->ref.id) ? "poza granicami tego planu lub w granicach jego zmiany"
                                                  : "poza granicami tego planu",
                    gis_pdf_markup(t, "%s", fmt_int(a, pp->outside_m2)),
                    gis_pdf_markup(
                        t, "%s",
                        fmt_dec(a, xp->area_rounded_m2 > 0 ? 100.0 * (double)pp->outside_m2 / xp->area_rounded_m2 : 0,
                                2))};
                (void)in;
                gis_pdf_table_row(t, c, false);
            }
            const char *tot[] = {"Razem", "", gis_pdf_markup(t, "%s", fmt_int(a, xp->area_rounded_m2)), "100,00"};
            gis_pdf_table_row(t, tot, true);
            gis_pdf_table_end(t, 4);
            for (int j = 0; j < pp->nrows; j++) {
                const struct gis_extract_row *row = &pp->rows[j];
                if (row->hit->kind == GIS_ZONE_OVERLAY)
                    gis_pdf_para(t,
                                 gis_pdf_markup(t, "Działka leży %s w obszarze %s — %s (%s m², %s %%).",
                                                row->area_m2 >= xp->area_rounded_m2 ? "w całości" : "częściowo",
                                                row->hit->label, row->hit->name ? row->hit->name : "",
                                                fmt_int(a, row->area_m2), fmt_dec(a, row->share_pct, 2)),
                                 F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 3);
                else if (pog && row->hit->nparams > 0)
                    gis_pdf_para(
                        t, gis_pdf_markup(t, "Parametry strefy %s: %s.", row->hit->label, params_text(t, row->hit)),
                        F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 3);
            }
            if (pog)
                gis_extract_wypis_pog(t, xp);
        }
    }
}

/* Section 2, last: the parcels outside every plan. */
static void wypis_unplanned(struct gis_pdf *t, const struct gis_extract_doc *d)
{
    bool none_heading = false;
    for (int i = 0; i < d->nparcels; i++) {
        if (d->parcels[i].status != GIS_EXTRACT_NONE)
            continue;
        if (!none_heading) {
            gis_pdf_heading(t, gis_pdf_markup(t, "2.%d. Działki nieobjęte planami", d->nplans + 1), F_SUB, "H3", 4);
            none_heading = true;
        }
        gis_pdf_para(
            t,
            gis_pdf_markup(
                t,
                "%s: dla działki nie obowiązuje miejscowy plan zagospodarowania przestrzennego ani plan ogólny "
                "gminy; wypis nie zawiera ustaleń planistycznych.",
                parcel_line(t, d->parcels[i].p)),
            F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 4);
    }
}

/* Section 3: the provisions of each plan, general first, then per zone and overlay. */
static void wypis_provisions(struct gis_pdf *t, const struct gis_extract_doc *d)
{
    if (d->nplans > 0)
        gis_pdf_heading(t, "3. Treść ustaleń planów", F_HEAD, "H2", 10);
    for (int pi = 0; pi < d->nplans; pi++) {
        const struct gis_extract_plan *pl = &d->plans[pi];
        gis_pdf_heading(t, gis_pdf_markup(t, "3.%d. %s", pi + 1, pl->ref.title ? pl->ref.title : ""), F_SUB, "H3", 4);
        const char *last_scope = NULL, *last_owner = NULL;
        for (int k = 0; k < pl->nprovisions; k++) {
            const struct gis_extract_provision *pv = &pl->provisions[k];
            bool new_scope = !last_scope || strcmp(last_scope, pv->scope);
            bool new_owner = pv->owner && (!last_owner || strcmp(last_owner, pv->owner));
            if (new_scope && !strcmp(pv->scope, "general"))
                gis_pdf_heading(t, "Ustalenia ogólne", "DejaVu Sans Bold 9", "H4", 2);
            if (new_owner || (new_scope && pv->owner)) {
                if (!strcmp(pv->scope, "pog-zone"))
                    gis_pdf_heading(t,
                                    gis_pdf_markup(t, "Ustalenia dla strefy planistycznej %s — %s", pv->owner,
                                                   pv->owner_name ? pv->owner_name : ""),
                                    "DejaVu Sans Bold 9", "H4", 4);
                else if (!strcmp(pv->scope, "zone"))
                    gis_pdf_heading(t,
                                    gis_pdf_markup(t, "Ustalenia szczegółowe dla terenu %s — %s", pv->owner,
                                                   pv->owner_name ? pv->owner_name : ""),
                                    "DejaVu Sans Bold 9", "H4", 4);
                else
                    gis_pdf_heading(t,
                                    gis_pdf_markup(t, "Ustalenia dla obszaru %s — %s", pv->owner,
                                                   pv->owner_name ? pv->owner_name : ""),
                                    "DejaVu Sans Bold 9", "H4", 4);
            }
            last_scope = pv->scope;
            last_owner = pv->owner;
            if (pv->heading)
                gis_pdf_para(t, gis_pdf_markup(t, "<b>%s</b>", pv->heading), F_BODY, PANGO_ALIGN_LEFT, false, 0, "P",
                             2);
            gis_pdf_body(t, pv->body, F_BODY, 0);
        }
    }
}

/* The fee statement: whether the fee was paid and how, or the exemption with its article, or that it is
 * due; what the payments core knows when the document is issued. */
static const char *fee_statement(struct gis_pdf *t, const struct gis_extract_fee *fee)
{
    const struct gis_extract_meta *m = t->user;
    struct arena *a = t->a;
    const struct gis_extract_exemption_text *ex = gis_extract_exemption_text(fee->exemption);
    /* art. 2 puts the case outside the fee (wyłączenie), art. 7 exempts the applicant (zwolnienie) */
    if (fee->exemption != GIS_EXEMPT_NONE)
        return gis_pdf_markup(t,
                              "%s na podstawie %s ustawy z dnia 16 listopada 2006 r. o opłacie skarbowej: %s. Opłata "
                              "należna: 0,00 zł.",
                              ex->not_subject ? "Czynność nie podlega opłacie skarbowej"
                                              : "Zwolniono z opłaty skarbowej",
                              ex->article, ex->reason);
    const char *st = m->fee_status ? m->fee_status : "due";
    if (!strcmp(st, "paid")) {
        const char *how = m->fee_method && !strcmp(m->fee_method, "account")
                              ? "wpłatą na rachunek urzędu: przelewem lub płatnością internetową"
                              : "wpłatę potwierdził urzędnik";
        return gis_pdf_markup(t, "Opłatę skarbową w kwocie %s zł uiszczono (%s).", fmt_dec(a, fee->total_pln, 2), how);
    }
    if (!strcmp(st, "exempt") || !strcmp(st, "waived"))
        return gis_pdf_markup(t, "Opłaty skarbowej w kwocie %s zł nie pobrano: zwolnienie stwierdził urzędnik.",
                              fmt_dec(a, fee->total_pln, 2));
    return gis_pdf_markup(t,
                          "Opłata skarbowa w kwocie %s zł jest należna i do dnia wydania dokumentu nie została "
                          "odnotowana jako uiszczona.",
                          fmt_dec(a, fee->total_pln, 2));
}

/* Charged per plan: "; za wypis każdego planu według jego stron: 2.1 — 3 str. (30 zł), 2.2 — …" (the
 * plans by their numbers in section 2); "" otherwise. */
static const char *plan_fees_text(struct gis_pdf *t, const struct gis_extract_fee *fee)
{
    if (fee->wypis_count < 2)
        return "";
    struct buf b = {0};
    buf_puts(&b, "; za wypis każdego planu według jego stron: ");
    for (int i = 0; i < fee->nplan_fees; i++)
        buf_printf(&b, "%s2.%d — %d str. (%d zł)", i ? ", " : "", i + 1, fee->plan_fees[i].pages,
                   fee->plan_fees[i].pln);
    if (fee->nplan_fees < fee->wypis_count)
        buf_puts(&b, ", …");
    const char *out = b.failed ? "" : arena_strndup(t->a, b.data, b.len);
    buf_free(&b);
    return out ? out : "";
}

/* The last section: the fee table, what was paid, and the note that the wyrys belongs to the wypis. */
static void wypis_fee(struct gis_pdf *t, const struct gis_extract_doc *d, const struct gis_extract_fee *fee)
{
    const struct gis_extract_meta *m = t->user;
    struct arena *a = t->a;
    double gap = m->compact_tail ? 4 : 10;
    gis_pdf_heading(t, gis_pdf_markup(t, "%d. Opłata skarbowa", d->nplans > 0 ? 4 : 3), F_HEAD, "H2", gap);
    const struct gis_extract_rates *rt = m->rates ? m->rates : &gis_extract_fee_defaults;
    static const double w3[] = {0.30, 0.52, 0.18};
    static const PangoAlignment a3[] = {PANGO_ALIGN_LEFT, PANGO_ALIGN_LEFT, PANGO_ALIGN_RIGHT};
    static const char *const h3[] = {"Pozycja", "Stawka", "Kwota [zł]"};
    gis_pdf_table_begin(t, 3, w3, a3, h3, F_TABLE);
    gis_pdf_table_header(t);
    if (m->wypis) {
        const char *per = fee->wypis_count > 1 ? gis_pdf_markup(t, ", %d %s", fee->wypis_count,
                                                                pl_plural(fee->wypis_count, "plan", "plany", "planów"))
                                               : "";
        const char *c[] = {
            gis_pdf_markup(t, "Wypis%s (%d %s)%s", d->archival ? " z planu archiwalnego" : "", fee->wypis_pages,
                           pl_plural(fee->wypis_pages, "strona", "strony", "stron"), per),
            gis_pdf_markup(t, "%d zł do %d stron, %d zł powyżej %d stron%s", rt->wypis_pln, rt->wypis_pages_limit,
                           rt->wypis_long_pln, rt->wypis_pages_limit, plan_fees_text(t, fee)),
            gis_pdf_markup(t, "%s", fmt_dec(a, fee->wypis_pln, 2))};
        gis_pdf_table_row(t, c, false);
    }
    if (m->wyrys && fee->wyrys_sheets > 0) {
        const char *c[] = {
            m->sheet == GIS_EXTRACT_A4
                ? gis_pdf_markup(t, "Wyrys%s (%d ark. A4)", d->archival ? " z planu archiwalnego" : "",
                                 fee->wyrys_sheets)
                : gis_pdf_markup(t, "Wyrys%s (%d ark. A3 = %d części A4)", d->archival ? " z planu archiwalnego" : "",
                                 fee->wyrys_sheets / 2, fee->wyrys_sheets),
            gis_pdf_markup(t, "%d zł za każdą rozpoczętą część odpowiadającą formatowi A4, nie więcej niż %d zł",
                           rt->wyrys_sheet_pln, rt->wyrys_cap_pln),
            gis_pdf_markup(t, "%s", fmt_dec(a, fee->wyrys_pln, 2))};
        gis_pdf_table_row(t, c, false);
    }
    const char *tot[] = {"Razem", "", gis_pdf_markup(t, "%s", fmt_dec(a, fee->total_pln, 2))};
    gis_pdf_table_row(t, tot, true);
    gis_pdf_table_end(t, m->compact_tail ? 3 : 6);
    gis_pdf_para(t, fee_statement(t, fee), F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", m->compact_tail ? 2 : 4);
    if (d->archival)
        gis_pdf_para(t,
                     "Wypis i wyrys z planu archiwalnego podlegają opłacie skarbowej według tych samych stawek co z "
                     "planu obowiązującego (część I pkt 51 załącznika do ustawy o opłacie skarbowej).",
                     F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", m->compact_tail ? 2 : 4);
    if (m->wyrys && fee->wyrys_sheets > 0)
        gis_pdf_para(t,
                     gis_pdf_markup(t, "Integralną częścią wypisu jest wyrys z rysunku planu (%d %s %s).",
                                    fee->wyrys_sheets / gis_extract_sheet_parts(m->sheet),
                                    pl_plural(fee->wyrys_sheets / gis_extract_sheet_parts(m->sheet), "arkusz",
                                              "arkusze", "arkuszy"),
                                    m->sheet == GIS_EXTRACT_A4 ? "A4" : "A3"),
                     F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", m->compact_tail ? 2 : 4);
}

/* The signature block (right: the "z up." form, room for the signature and the seal, the official's name
 * and function) and the recipients (left). The recipient line takes the height of a name of
 * GIS_EXTRACT_RESERVE characters at least, as the applicant block does. */
static void wypis_signature(struct gis_pdf *t)
{
    const struct gis_extract_meta *m = t->user;
    bool zup = m->signatory_zup && *m->signatory_zup;
    t->y += m->compact_tail ? 6 : 18;
    gis_pdf_tag_begin(t, "P");
    PangoLayout *sg =
        gis_pdf_layout(t,
                       gis_pdf_markup(t, "%s%s%s\n\n………………………………………\n%s\n%s", zup ? m->signatory_zup : "",
                                      zup ? "\n" : "", m->compact_tail ? "" : "\n", m->signatory ? m->signatory : "",
                                      m->signatory_role ? m->signatory_role : ""),
                       "DejaVu Serif 9", gis_pdf_text_width(t) * 0.45, PANGO_ALIGN_CENTER, false);
    gis_pdf_show(t, sg, t->pg.left + gis_pdf_text_width(t) * 0.55, t->y);
    gis_pdf_tag_end(t);
    char wide[GIS_EXTRACT_RESERVE + 1];
    memset(wide, 'W', GIS_EXTRACT_RESERVE);
    wide[GIS_EXTRACT_RESERVE] = 0;
    const char *fmt = "<b>Otrzymuje:</b>\n1. %s\n2. a/a";
    PangoLayout *res = gis_pdf_layout(t, gis_pdf_markup(t, fmt, wide), "DejaVu Serif 8.5", gis_pdf_text_width(t) * 0.5,
                                      PANGO_ALIGN_LEFT, false);
    PangoLayout *rcpt = gis_pdf_layout(t, gis_pdf_markup(t, fmt, m->applicant_name ? m->applicant_name : ""),
                                       "DejaVu Serif 8.5", gis_pdf_text_width(t) * 0.5, PANGO_ALIGN_LEFT, false);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, rcpt, t->pg.left, t->y + 10);
    gis_pdf_tag_end(t);
    double rh = fmax(gis_pdf_height(rcpt), gis_pdf_height(res));
    t->y += fmax(gis_pdf_height(sg), rh + 10) + (m->compact_tail ? 4 : 14);
    g_object_unref(sg);
    g_object_unref(res);
    g_object_unref(rcpt);
}

/* The QR code and the verification code with the address that checks it. */
static void wypis_verification(struct gis_pdf *t)
{
    const struct gis_extract_meta *m = t->user;
    if (m->verification_code) {
        double qs = m->compact_tail ? 60 : 74;
        const char *url = m->verify_url ? m->verify_url : m->verification_code;
        gis_pdf_tag_begin(t, "Figure");
        gis_pdf_qr(t, url, t->pg.left, t->y, qs);
        gis_pdf_tag_end(t);
        const char *grouped = gis_extract_code_grouped(t->a, m->verification_code);
        PangoLayout *v =
            gis_pdf_layout(t,
                           gis_pdf_markup(t,
                                          "<b>Kod weryfikacyjny: %s</b>\nZgodność dokumentu z wydanym oryginałem można "
                                          "sprawdzić pod adresem:\n%s",
                                          grouped, url),
                           "DejaVu Sans 8", gis_pdf_text_width(t) - qs - 8, PANGO_ALIGN_LEFT, false);
        gis_pdf_tag_begin(t, "P");
        gis_pdf_show(t, v, t->pg.left + qs + 8, t->y + (m->compact_tail ? 4 : 12));
        gis_pdf_tag_end(t);
        g_object_unref(v);
        t->y += qs + 4;
    }
}

/* The seal mark (gis_pdf_seal_mark) at the foot of the wypis when it is the document's last page. */
static void wypis_seal_mark(struct gis_pdf *t)
{
    const struct gis_extract_meta *m = t->user;
    if (!m->mark_on_wypis)
        return;
    double w = 200;
    t->y += m->compact_tail ? 2 : 4;
    const struct gis_pdf_seal_mark mk = {
        .organ = m->organ ? m->organ : "", .date = gis_extract_date_pl(t->a, m->date), .signer = m->seal_signer};
    gis_pdf_seal_mark(t, t->pg.left + gis_pdf_text_width(t) - w, t->y, w, t->pg.h, &mk);
    t->y += GIS_PDF_MARK_H + 4;
}

/* The closing part: fee statement, signature, verification and seal mark. */
static void wypis_tail(struct gis_pdf *t, const struct gis_extract_doc *d, const struct gis_extract_fee *fee)
{
    wypis_fee(t, d, fee);
    wypis_signature(t);
    wypis_verification(t);
    wypis_seal_mark(t);
}

/* The height the closing part takes when set at the top of a page (counted, not drawn); more than a page
 * when it does not fit one. */
static double wypis_tail_height(const struct gis_pdf *t, const struct gis_extract_doc *d,
                                const struct gis_extract_fee *fee)
{
    struct gis_pdf c = *t;
    c.cr = NULL;
    c.furniture = NULL;
    c.ntags = 0;
    c.page = 1;
    c.y = c.pg.top;
    wypis_tail(&c, d, fee);
    double usable = gis_pdf_bottom(t) - t->pg.top;
    return (c.page - 1) * usable + (c.y - c.pg.top);
}

/* The whole wypis; run once to count pages (t->cr NULL) and once to draw. The closing part is kept on
 * one page (it moves to a new page whole, never leaving the signature alone on one), and where that would
 * take the wypis over the fee's page limit gis_extract_pdf sets it compact (gis_extract_meta.compact_tail). */
void gis_extract_wypis_set(struct gis_pdf *t, const struct gis_extract_doc *d, const struct gis_extract_fee *fee)
{
    gis_pdf_start(t);
    gis_pdf_tag_begin(t, "Document");
    wypis_head(t, d, fee);
    wypis_parcels(t, d);
    wypis_zones(t, d);
    wypis_unplanned(t, d);
    wypis_provisions(t, d);
    double h = wypis_tail_height(t, d, fee);
    if (h <= gis_pdf_bottom(t) - t->pg.top)
        gis_pdf_ensure(t, h);
    wypis_tail(t, d, fee);
    gis_pdf_finish(t);
}
