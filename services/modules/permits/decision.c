/* The decision on a permit application as a sealed PDF (permits.h), typeset by the platform
 * (gis/document.h). */
#include <stdio.h>
#include <string.h>

#include "gis/document.h"
#include "services/modules/permits/permits.h"

#define F_TITLE "DejaVu Sans Bold 14"
#define F_BODY  "DejaVu Serif 10"
#define F_TABLE "DejaVu Sans 8.5"
#define F_SMALL "DejaVu Sans 7.5"

static void decision_set(struct gis_pdf *t, const void *user)
{
    const struct permits_decision *d = user;
    gis_pdf_start(t);
    gis_pdf_tag_begin(t, "Document");
    gis_pdf_para(t, gis_pdf_markup(t, "%s", d->organ), "DejaVu Sans 9", PANGO_ALIGN_LEFT, false, 0, "P", 4);
    gis_pdf_para(t, gis_pdf_markup(t, "Znak sprawy: %s", d->case_number), "DejaVu Sans 9", PANGO_ALIGN_LEFT, false, 0,
                 "P", 4);
    gis_pdf_para(t, gis_pdf_markup(t, "%s, %s", d->place, gis_pdf_date_pl(t->a, d->date)), "DejaVu Sans 9",
                 PANGO_ALIGN_RIGHT, false, 0, "P", 14);
    gis_pdf_heading(t, "DECYZJA", F_TITLE, "H1", 0);
    gis_pdf_para(
        t,
        gis_pdf_markup(t,
                       "Na podstawie art. 18 ustawy z dnia 26 października 1982 r. o wychowaniu w trzeźwości "
                       "i przeciwdziałaniu alkoholizmowi oraz art. 104 Kodeksu postępowania administracyjnego, "
                       "po rozpatrzeniu wniosku przedsiębiorcy %s (NIP %s), %s",
                       d->operator_name, d->nip, d->issue ? "orzekam:" : "odmawiam wydania zezwolenia."),
        F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 10);
    static const double frac[] = {0.36, 0.64};
    static const PangoAlignment al[] = {PANGO_ALIGN_LEFT, PANGO_ALIGN_LEFT};
    gis_pdf_table_begin(t, 2, frac, al, NULL, F_TABLE);
    const char *rows[][2] = {
        {"Rozstrzygnięcie", d->issue ? "wydaje się zezwolenie" : "odmowa wydania zezwolenia"},
        {"Numer zezwolenia", d->number ? d->number : "—"},
        {"Rodzaj", d->one_off ? "zezwolenie jednorazowe (art. 18¹)" : "zezwolenie"},
        {"Kategoria napojów", permits_category_text(d->category)},
        {"Sprzedaż", permits_sale_text(d->sale)},
        {"Punkt sprzedaży", d->outlet},
        {"Adres", d->address ? d->address : "—"},
        {"Okres ważności", d->issue ? d->validity : "—"},
        {"Opinia GKRPA", d->opinion},
        {"Opłata za pierwszy rok", d->fee},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *c[] = {gis_pdf_markup(t, "%s", rows[i][0]), gis_pdf_markup(t, "%s", rows[i][1])};
        gis_pdf_table_row(t, c, false);
    }
    gis_pdf_table_end(t, 10);
    gis_pdf_heading(t, "Uzasadnienie", "DejaVu Sans Bold 10", "H2", 4);
    gis_pdf_para(t, gis_pdf_markup(t, "%s", d->reasons), F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 10);
    gis_pdf_para(t,
                 "Od decyzji przysługuje odwołanie do samorządowego kolegium odwoławczego za pośrednictwem organu, "
                 "który ją wydał, w terminie 14 dni od dnia jej doręczenia.",
                 F_SMALL, PANGO_ALIGN_LEFT, true, 0, "P", 14);
    const struct gis_pdf_seal_mark mk = {
        .organ = d->organ, .date = gis_pdf_date_pl(t->a, d->date), .signer = d->signer};
    double w = 200;
    gis_pdf_ensure(t, GIS_PDF_MARK_H);
    gis_pdf_seal_mark(t, t->pg.left + gis_pdf_text_width(t) - w, t->y, w, t->pg.h, &mk);
    t->y += GIS_PDF_MARK_H;
    gis_pdf_finish(t);
}

enum err_code permits_decision_pdf(const struct permits_decision *d, const struct gis_seal *seal, struct buf *out,
                                   bool *sealed, struct err *e)
{
    char title[160];
    snprintf(title, sizeof title, "Decyzja w sprawie zezwolenia na sprzedaż napojów alkoholowych — %s", d->case_number);
    const struct gis_pdf_info info = {
        .title = title, .author = d->organ, .subject = "Zezwolenie na sprzedaż napojów alkoholowych"};
    return gis_document_pdf(&info, decision_set, d, seal, d->issue ? "Wydanie zezwolenia" : "Odmowa wydania zezwolenia",
                            d->place, out, sealed, e);
}
