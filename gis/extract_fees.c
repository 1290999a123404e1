/* Plan extracts: the fee (opłata skarbowa) of a wypis and a wyrys, from the statute's rates. */
#include "gis/extract.h"

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
    if (!r)
        r = &gis_extract_fee_defaults;
    struct gis_extract_fee f = {.wypis_pages = wypis_pages > 0 ? wypis_pages : 0,
                                .wyrys_sheets = wyrys_sheets > 0 ? wyrys_sheets : 0};
    if (f.wypis_pages > 0)
        f.wypis_pln = f.wypis_pages <= r->wypis_pages_limit ? r->wypis_pln : r->wypis_long_pln;
    if (f.wyrys_sheets > 0) {
        long w = (long)f.wyrys_sheets * r->wyrys_sheet_pln;
        f.wyrys_pln = (int)(w > r->wyrys_cap_pln ? r->wyrys_cap_pln : w);
    }
    f.total_pln = f.wypis_pln + f.wyrys_pln;
    return f;
}
