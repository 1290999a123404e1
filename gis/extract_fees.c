/* Plan extracts: the fee (opłata skarbowa) of a wypis and a wyrys, from the statute's rates, and the
 * exemptions of the act (ustawa z dnia 16 listopada 2006 r. o opłacie skarbowej) that apply to them. */
#include "gis/extract.h"

#include <string.h>

/* The fee rates of DOMAIN.md (opłata skarbowa). They are set by statute, not by the gmina, so they live
 * in this one table rather than in odra.ini; change them here when the statute changes. */
const struct gis_extract_rates gis_extract_fee_defaults = {
    .wypis_pln = 30,
    .wypis_pages_limit = 5,
    .wypis_long_pln = 50,
    .wyrys_sheet_pln = 20,
    .wyrys_cap_pln = 200,
};

struct gis_extract_fee gis_extract_fees(const struct gis_extract_rates *r, int wypis_pages, int wyrys_sheets)
{
    const struct gis_extract_fee_in in = {.wypis_pages = wypis_pages, .wyrys_parts = wyrys_sheets};
    return gis_extract_fee_compute(r, &in);
}

struct gis_extract_fee gis_extract_fee_compute(const struct gis_extract_rates *r, const struct gis_extract_fee_in *in)
{
    if (!r)
        r = &gis_extract_fee_defaults;
    struct gis_extract_fee f = {.wypis_pages = in->wypis_pages > 0 ? in->wypis_pages : 0,
                                .wyrys_sheets = in->wyrys_parts > 0 ? in->wyrys_parts : 0,
                                .wypis_count = 0,
                                .exemption = in->exemption};
    if (f.wypis_pages > 0) {
        /* one wypis per plan cited where the gmina charges so (extract_fee_per_plan), else one; the act's
         * rate counts the pages of a document, so each plan's wypis by its own pages */
        f.wypis_count = in->per_plan && in->plans > 1 ? in->plans : 1;
        for (int i = 0; i < f.wypis_count; i++) {
            int pages = f.wypis_count > 1 && in->plan_pages ? in->plan_pages[i] : f.wypis_pages;
            int pln = pages <= r->wypis_pages_limit ? r->wypis_pln : r->wypis_long_pln;
            f.wypis_pln += pln;
            if (f.wypis_count > 1 && i < GIS_EXTRACT_FEE_PLANS) {
                f.plan_fees[f.nplan_fees].pages = pages;
                f.plan_fees[f.nplan_fees++].pln = pln;
            }
        }
    }
    if (f.wyrys_sheets > 0) {
        long w = (long)f.wyrys_sheets * r->wyrys_sheet_pln;
        f.wyrys_pln = (int)(w > r->wyrys_cap_pln ? r->wyrys_cap_pln : w);
    }
    f.total_pln = f.wypis_pln + f.wyrys_pln;
    f.due_pln = f.exemption != GIS_EXEMPT_NONE ? 0 : f.total_pln;
    return f;
}

/* The codes of `purpose` a request may give, with the text printed on the document. Free text is kept as
 * the applicant wrote it and claims no exemption. */
static const struct gis_extract_purpose purposes[] = {
    {"budownictwo_mieszkaniowe", "budownictwo mieszkaniowe", GIS_EXEMPT_HOUSING},
    {"budowa", "budowa lub przebudowa obiektu innego niż mieszkalny", GIS_EXEMPT_NONE},
    {"sprzedaz", "sprzedaż lub nabycie nieruchomości", GIS_EXEMPT_NONE},
    {"podzial", "podział nieruchomości", GIS_EXEMPT_NONE},
    {"kredyt", "zabezpieczenie kredytu", GIS_EXEMPT_NONE},
    {"spadek", "postępowanie spadkowe lub dział spadku", GIS_EXEMPT_NONE},
    {"inny", "inny cel", GIS_EXEMPT_NONE},
    {NULL, NULL, GIS_EXEMPT_NONE},
};

const struct gis_extract_purpose *gis_extract_purposes(void)
{
    return purposes;
}

const struct gis_extract_purpose *gis_extract_purpose_find(const char *code)
{
    for (int i = 0; code && purposes[i].code; i++)
        if (!strcmp(purposes[i].code, code))
            return &purposes[i];
    return NULL;
}

/* Applicant kinds and the exemption each carries (art. 7 for public bodies and public-benefit
 * organisations; art. 2 ust. 1 pkt 2 for a person living on social assistance because of poverty). */
static const struct {
    const char *code;
    enum gis_extract_exemption ex;
} kinds[] = {
    {"person", GIS_EXEMPT_NONE},
    {"company", GIS_EXEMPT_NONE},
    {"budget_unit", GIS_EXEMPT_BUDGET_UNIT},
    {"local_government", GIS_EXEMPT_LOCAL_GOVERNMENT},
    {"public_benefit_org", GIS_EXEMPT_PUBLIC_BENEFIT},
    {"social_assistance", GIS_EXEMPT_POVERTY},
};

bool gis_extract_applicant_kind_ok(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].code, kind))
            return true;
    return false;
}

enum gis_extract_exemption gis_extract_exemption_for(const char *purpose, const char *applicant_kind)
{
    /* the applicant's own status first: it holds whatever the purpose */
    for (size_t i = 0; applicant_kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].code, applicant_kind) && kinds[i].ex != GIS_EXEMPT_NONE)
            return kinds[i].ex;
    const struct gis_extract_purpose *p = gis_extract_purpose_find(purpose);
    return p ? p->exemption : GIS_EXEMPT_NONE;
}

static const struct gis_extract_exemption_text texts[] = {
    [GIS_EXEMPT_NONE] = {"none", NULL, NULL},
    [GIS_EXEMPT_HOUSING] = {"housing", "art. 2 ust. 1 pkt 1 lit. h",
                            "sprawa budownictwa mieszkaniowego (cel wskazany we wniosku)", true},
    [GIS_EXEMPT_POVERTY] = {"social_assistance", "art. 2 ust. 1 pkt 2",
                            "wniosek osoby korzystającej z pomocy społecznej ze względu na ubóstwo", true},
    [GIS_EXEMPT_BUDGET_UNIT] = {"budget_unit", "art. 7 pkt 1", "wnioskodawca jest jednostką budżetową"},
    [GIS_EXEMPT_LOCAL_GOVERNMENT] = {"local_government", "art. 7 pkt 2",
                                     "wnioskodawca jest jednostką samorządu terytorialnego"},
    [GIS_EXEMPT_PUBLIC_BENEFIT] = {"public_benefit_org", "art. 7 pkt 3",
                                   "wnioskodawca jest organizacją pożytku publicznego i składa wniosek w związku z "
                                   "nieodpłatną działalnością pożytku publicznego"},
};

const struct gis_extract_exemption_text *gis_extract_exemption_text(enum gis_extract_exemption ex)
{
    if ((int)ex < 0 || (size_t)ex >= sizeof texts / sizeof texts[0])
        ex = GIS_EXEMPT_NONE;
    return &texts[ex];
}
