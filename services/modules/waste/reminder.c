/* Upomnienia (waste.h, "upomnienia"): the document a payer in arrears is sent before enforcement (art. 15 § 1
 * ustawy z 17 czerwca 1966 r. o postępowaniu egzekucyjnym w administracji), typeset with gis/pdf.h and sealed
 * like every document odra issues; its cost (koszty upomnienia, art. 15 § 1 and § 4, the regulation's amount
 * in force on the day: data/codelists/koszty_upomnienia.tsv) becomes an obligation of the payer's account. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/arrears.h"
#include "gis/pdf.h"
#include "services/modules/waste/store.h"
#include "services/modules/waste/waste.h"
#include "util/sha256.h"

#define F_TITLE "DejaVu Sans Bold 14"
#define F_BODY  "DejaVu Serif 10"
#define F_TABLE "DejaVu Sans 8.5"
#define F_SMALL "DejaVu Sans 7.5"

/* "1 234,56 zł" */
static const char *zl(struct arena *a, long gr)
{
    char digits[32], out[48];
    long v = labs(gr);
    snprintf(digits, sizeof digits, "%ld", v / 100);
    size_t n = strlen(digits), k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            out[k++] = ' ';
        out[k++] = digits[i];
    }
    out[k] = 0;
    return arena_printf(a, "%s%s,%02ld zł", gr < 0 ? "-" : "", out, v % 100);
}

static const char *date_pl(struct arena *a, int day)
{
    char d[11];
    gis_cal_format_date(day, d);
    return gis_pdf_date_pl(a, d);
}

/* The table of the arrears: each period overdue with its rest and interest, then the sums. */
static void reminder_table(struct gis_pdf *t, const struct waste_reminder_doc *d)
{
    const struct waste_balance *b = d->bal;
    static const double frac[] = {0.26, 0.22, 0.26, 0.26};
    static const PangoAlignment al[] = {PANGO_ALIGN_LEFT, PANGO_ALIGN_LEFT, PANGO_ALIGN_RIGHT, PANGO_ALIGN_RIGHT};
    static const char *const head[] = {"Okres", "Termin płatności", "Zaległość", "Odsetki za zwłokę"};
    gis_pdf_table_begin(t, 4, frac, al, head, F_TABLE);
    for (int i = 0; i < b->n_periods; i++) {
        const struct waste_period *p = &b->periods[i];
        if (!p->overdue || p->cost)
            continue;
        char m[8];
        gis_cal_format_month(p->month, m);
        const char *c[] = {p->returned ? "zwrot wpłaty" : gis_pdf_markup(t, "%s", m),
                           gis_pdf_markup(t, "%s", date_pl(t->a, p->due_day)),
                           gis_pdf_markup(t, "%s", zl(t->a, p->rest_gr)),
                           gis_pdf_markup(t, "%s", zl(t->a, p->interest_gr))};
        gis_pdf_table_row(t, c, false);
    }
    const char *sum[] = {"Razem", "", gis_pdf_markup(t, "%s", zl(t->a, b->arrears_gr)),
                         gis_pdf_markup(t, "%s", zl(t->a, b->interest_gr))};
    gis_pdf_table_row(t, sum, true);
    gis_pdf_table_end(t, 8);
}

static void reminder_set(struct gis_pdf *t, const struct waste_reminder_doc *d, const struct gis_seal *seal)
{
    const struct waste_balance *b = d->bal;
    struct arena *a = t->a;
    gis_pdf_start(t);
    gis_pdf_tag_begin(t, "Document");
    gis_pdf_para(t, gis_pdf_markup(t, "%s\n%s, %s", d->organ, d->gmina, date_pl(a, d->issued_on)), "DejaVu Sans 9",
                 PANGO_ALIGN_LEFT, false, 0, "P", 6);
    gis_pdf_para(t, gis_pdf_markup(t, "Znak sprawy: %s", d->case_number), "DejaVu Sans 9", PANGO_ALIGN_LEFT, false, 0,
                 "P", 6);
    gis_pdf_para(t, gis_pdf_markup(t, "%s\n%s", d->payer_name, d->address ? d->address : ""), "DejaVu Sans 9",
                 PANGO_ALIGN_LEFT, false, 0, "P", 12);
    gis_pdf_heading(t, "UPOMNIENIE", F_TITLE, "H1", 0);
    gis_pdf_para(t,
                 gis_pdf_markup(t,
                                "Na podstawie art. 15 § 1 ustawy z dnia 17 czerwca 1966 r. o postępowaniu "
                                "egzekucyjnym w administracji wzywa się do zapłaty zaległej opłaty za "
                                "gospodarowanie odpadami komunalnymi (art. 6q ustawy o utrzymaniu czystości i "
                                "porządku w gminach) wraz z odsetkami za zwłokę (art. 53 i 56 Ordynacji podatkowej) "
                                "naliczonymi do dnia %s oraz kosztami upomnienia, w terminie 7 dni od dnia "
                                "doręczenia niniejszego upomnienia.",
                                date_pl(a, b->rate_table_until ? b->rate_table_until : d->issued_on)),
                 F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 8);
    reminder_table(t, d);
    static const double frac[] = {0.6, 0.4};
    static const PangoAlignment al[] = {PANGO_ALIGN_LEFT, PANGO_ALIGN_RIGHT};
    gis_pdf_table_begin(t, 2, frac, al, NULL, F_TABLE);
    const char *rows[][2] = {
        {"Zaległość", zl(a, b->arrears_gr)},
        {"Odsetki za zwłokę", zl(a, b->interest_gr)},
        {"Koszty upomnienia (art. 15 § 1 ustawy o postępowaniu egzekucyjnym w administracji)", zl(a, d->cost_gr)},
        {"Wcześniejsze nieopłacone koszty upomnień", zl(a, b->costs_gr)},
        {"Do zapłaty razem", zl(a, b->to_pay_gr + d->cost_gr)},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *c[] = {gis_pdf_markup(t, "%s", rows[i][0]), gis_pdf_markup(t, "%s", rows[i][1])};
        gis_pdf_table_row(t, c, i + 1 == sizeof rows / sizeof rows[0]);
    }
    gis_pdf_table_end(t, 8);
    gis_pdf_para(t,
                 gis_pdf_markup(t,
                                "Wpłaty należy dokonać na indywidualny rachunek: %s, tytułem: opłata za "
                                "gospodarowanie odpadami komunalnymi.",
                                d->account),
                 F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 8);
    if (b->rate_table_until)
        gis_pdf_para(t,
                     gis_pdf_markup(t,
                                    "Odsetki naliczono do dnia %s, ostatniego dnia znanej tabeli stawek; odsetki "
                                    "za dalsze dni zostaną doliczone przy zapłacie.",
                                    date_pl(a, b->rate_table_until)),
                     F_SMALL, PANGO_ALIGN_LEFT, true, 0, "P", 6);
    gis_pdf_para(t,
                 "Pouczenie: w przypadku niewykonania obowiązku w terminie 7 dni od dnia doręczenia upomnienia "
                 "sprawa zostanie skierowana na drogę postępowania egzekucyjnego w administracji, co narazi "
                 "zobowiązanego na dodatkowe koszty. Zobowiązany, który nie wykona obowiązku w całości w tym "
                 "terminie, ma obowiązek zawiadomić wierzyciela o zmianie adresu miejsca zamieszkania lub siedziby. "
                 "Wpłatę zalicza się w pierwszej kolejności na koszty upomnienia (art. 62 § 1a Ordynacji "
                 "podatkowej), a wpłatę niepokrywającą zaległości z odsetkami proporcjonalnie na zaległość i "
                 "odsetki (art. 55 § 2). Odsetek nie nalicza się, jeżeli nie przekraczają trzykrotności opłaty "
                 "dodatkowej za polecenie przesyłki listowej (art. 54 § 1 pkt 5).",
                 F_SMALL, PANGO_ALIGN_LEFT, true, 0, "P", 14);
    char date[11];
    gis_cal_format_date(d->issued_on, date);
    const struct gis_pdf_seal_mark mk = {
        .organ = d->organ, .date = gis_pdf_date_pl(a, date), .signer = seal ? gis_seal_subject(seal) : NULL};
    double w = 200;
    gis_pdf_ensure(t, GIS_PDF_MARK_H);
    gis_pdf_seal_mark(t, t->pg.left + gis_pdf_text_width(t) - w, t->y, w, t->pg.h, &mk);
    t->y += GIS_PDF_MARK_H;
    gis_pdf_finish(t);
}

enum err_code waste_reminder_pdf(const struct waste_reminder_doc *d, const struct gis_seal *seal, struct buf *out,
                                 bool *sealed, struct err *e)
{
    *sealed = false;
    if (!d->organ || !d->case_number || !d->payer_name || !d->account || !d->bal)
        return err_set(e, ERR_INVALID, "an upomnienie needs the organ, case number, payer, account and balance");
    struct arena *a = arena_new(1 << 15);
    PangoContext *pc = a ? gis_pdf_context("pl-PL") : NULL;
    if (!pc) {
        arena_free(a);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    enum err_code rc = gis_pdf_check_fonts(pc, e);
    const struct gis_pdf_info info = {.title = arena_printf(a, "Upomnienie — %s", d->case_number),
                                      .author = d->organ,
                                      .subject = "Upomnienie: opłata za gospodarowanie odpadami komunalnymi"};
    size_t start = out->len;
    struct gis_pdf t = {.pc = pc, .a = a, .pg = gis_pdf_a4};
    if (!rc) {
        cairo_surface_t *surf = gis_pdf_surface_create(out, gis_pdf_a4.w, gis_pdf_a4.h, &info);
        t.cr = cairo_create(surf);
        reminder_set(&t, d, seal);
        cairo_destroy(t.cr);
        cairo_surface_finish(surf);
        if (cairo_surface_status(surf))
            rc = err_set(e, ERR_IO, "writing the upomnienie: %s", cairo_status_to_string(cairo_surface_status(surf)));
        cairo_surface_destroy(surf);
    }
    if (!rc && out->failed)
        rc = err_set(e, ERR_INTERNAL, "out of memory writing the upomnienie");
    if (!rc)
        rc = gis_pdf_finalize(out, start, "pl-PL", &info, e);
    if (!rc && seal) {
        const struct gis_seal_field f = {
            .rect = {t.mark[0], t.mark[1], t.mark[2], t.mark[3]}, .reason = "Upomnienie", .location = d->gmina};
        rc = gis_seal_sign(seal, out, start, &f, e);
        *sealed = !rc;
    }
    g_object_unref(pc);
    arena_free(a);
    return rc;
}

enum err_code waste_reminders(struct gis_store *s, struct arena *a, long payer_id, struct waste_reminder **out, int *n,
                              struct err *e)
{
    return waste_store_reminders(s, a, payer_id, 100, out, n, e);
}

enum err_code waste_reminder_get(struct gis_store *s, struct arena *a, long id, bool with_pdf,
                                 struct waste_reminder *out, struct err *e)
{
    return waste_store_reminder_get(s, a, id, with_pdf, out, e);
}

enum err_code waste_reminder_issue(struct gis_store *w, struct arena *a, long payer_id, int today,
                                   struct waste_reminder_doc *d, const struct gis_seal *seal, struct waste_reminder *r,
                                   struct err *e)
{
    struct waste_balance *b = arena_alloc(a, sizeof *b);
    struct gis_rate_table costs;
    if (!b)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (waste_balance_get(w, a, payer_id, today, b, e) || gis_rates_reminder_cost(&costs, e))
        return e->code;
    if (b->arrears_gr <= 0)
        return err_set(e, ERR_CONFLICT, "payer %ld has no arrears to remind of", payer_id);
    struct err ce = {0};
    if (gis_rate_on(&costs, today, &d->cost_gr, &ce))
        return err_set(e, ERR_UNPROCESSABLE, "no cost of an upomnienie is known for the day: %s", ce.msg);
    d->bal = b, d->issued_on = today, d->payer_name = b->name;
    d->account = gis_pay_nrb_print(a, b->account);
    struct buf pdf = {0};
    if (waste_reminder_pdf(d, seal, &pdf, &r->sealed, e)) {
        buf_free(&pdf);
        return e->code;
    }
    char sha[65];
    sha256_hex(pdf.data, pdf.len, sha);
    r->payer_id = payer_id, r->case_number = d->case_number, r->issued_by = d->issued_by;
    r->issued_on = today, r->interest_to = b->rate_table_until ? b->rate_table_until : today;
    r->principal_gr = b->arrears_gr, r->interest_gr = b->interest_gr, r->cost_gr = d->cost_gr;
    r->total_gr = b->to_pay_gr + d->cost_gr;
    r->sha256 = arena_strdup(a, sha);
    r->pdf = (const unsigned char *)pdf.data, r->pdf_len = pdf.len;
    enum err_code rc = waste_store_reminder_add(w, r, &r->id, e);
    if (!rc)
        rc = waste_store_accounts_due(w, payer_id, e);
    r->pdf = NULL;
    buf_free(&pdf);
    return rc;
}
