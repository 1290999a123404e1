/* The business module's demo data for `odra demo`: about 80 businesses per gmina (a few hundred over the
 * five), each at a real address point of the gmina (every n-th address), with valid NIP and REGON numbers
 * made from a seeded generator, PKD 2025 codes from a fixed list, and a few additional places, suspended and
 * closed ones. Deterministic for a gmina. */
#include <stdlib.h>
#include <string.h>

#include "gis/places.h"
#include "services/modules/business/business.h"
#include "services/modules/business/store.h"
#include "util/text.h"

#define DEMO_PER_GMINA 80

static const struct {
    const char *trade, *pkd, *other;
} kinds[] = {
    {"Sklep spożywczy", "47.11.Z", "47.25.Z"},
    {"Piekarnia", "10.71.Z", "47.24.Z"},
    {"Zakład fryzjerski", "96.21.Z", ""},
    {"Biuro rachunkowe", "69.20.Z", ""},
    {"Usługi informatyczne", "62.10.B", "62.20.C"},
    {"Restauracja", "56.11.Z", ""},
    {"Warsztat samochodowy", "95.31.Z", "47.82.Z"},
    {"Firma budowlana", "43.31.Z", "43.32.Z"},
    {"Transport drogowy", "49.41.Z", ""},
    {"Gospodarstwo ogrodnicze", "01.13.Z", ""},
    {"Stolarnia", "16.23.Z", ""},
    {"Gabinet stomatologiczny", "86.23.Z", ""},
    {"Agroturystyka", "55.20.Z", "01.50.Z"},
    {"Kwiaciarnia", "47.76.Z", ""},
    {"Hurtownia materiałów budowlanych", "46.73.Z", ""},
    {"Szkoła językowa", "85.59.B", ""},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static const char *const names[] = {"Nadodrze",    "Lubuszanin", "Pod Lipą",        "Graniczna",
                                    "Sosenka",     "Odra",       "Zielony Zakątek", "Słoneczna",
                                    "Mała Ziemia", "Przystań",   "Nowa Marchia",    "Warta"};
#define NNAMES (sizeof names / sizeof names[0])

/* A valid NIP (or 9-digit REGON) from the generator: random leading digits, the check digit, retried while
 * the check would be 10. */
static void demo_number(struct text_rng *rng, const int *w, int nw, char *out)
{
    for (;;) {
        int sum = 0;
        out[0] = (char)('1' + text_rng_below(rng, 9));
        for (int i = 1; i < nw; i++)
            out[i] = (char)('0' + text_rng_below(rng, 10));
        for (int i = 0; i < nw; i++)
            sum += (out[i] - '0') * w[i];
        int c = sum % 11;
        if (c == 10)
            continue;
        out[nw] = (char)('0' + c);
        out[nw + 1] = 0;
        return;
    }
}

struct demo {
    struct gis_store *w;
    struct arena *a;
    struct text_rng rng;
    long step, seen;
    int n, picked;
    long prev_id; /* the previous business, which gets an additional place now and then */
    const char *today;
};

static enum err_code demo_place(struct demo *d, const struct business_store_address *ad, long business_id, bool main,
                                struct err *e)
{
    struct business_place_row p = {
        .business_id = business_id,
        .main = main,
        .address_text =
            gis_place_address_label(d->a, ad->street_prefix, ad->street, ad->number, ad->postal_code, ad->locality),
        .address_id = ad->id,
        .parcel_id = ad->parcel_id ? arena_strdup(d->a, ad->parcel_id) : NULL,
        .x = ad->x,
        .y = ad->y,
        .start = arena_printf(d->a, "%04d-%02d-01", 2005 + (int)text_rng_below(&d->rng, 20),
                              1 + (int)text_rng_below(&d->rng, 12)),
        .status = BUSINESS_ACTIVE,
        .matched_by = "demo",
        .queued_at = d->today,
    };
    unsigned r = text_rng_below(&d->rng, 20);
    if (r == 0) {
        p.status = BUSINESS_CLOSED;
        p.end = "2025-06-30";
    } else if (r == 1) {
        p.status = BUSINESS_SUSPENDED;
    }
    enum business_change ch;
    return business_store_place_put(d->w, &p, &ch, e);
}

static bool demo_business(void *ctx, const struct business_store_address *ad, struct err *e)
{
    static const int wnip[9] = {6, 5, 7, 2, 3, 4, 5, 6, 7}, wregon[8] = {8, 9, 2, 3, 4, 5, 6, 7};
    struct demo *d = ctx;
    if (d->n >= DEMO_PER_GMINA)
        return false;
    if (d->seen++ % d->step != 0)
        return true;
    if (d->prev_id && ++d->picked % 9 == 4) /* every ninth: an additional place of the previous business */
        return !demo_place(d, ad, d->prev_id, false, e);
    unsigned k = text_rng_below(&d->rng, NKINDS);
    struct business_row b = {
        .name = arena_printf(d->a, "%s „%s” nr %d", kinds[k].trade, names[text_rng_below(&d->rng, NNAMES)], d->n + 1),
        .pkd_main = kinds[k].pkd,
        .pkd_other = kinds[k].other,
        .source = "demo",
        .imported_at = d->today};
    char nip[12], regon[10];
    demo_number(&d->rng, wnip, 9, nip);
    demo_number(&d->rng, wregon, 8, regon);
    b.nip = nip;
    b.regon = regon;
    b.pkd_section[0] = business_pkd2025_section(b.pkd_main);
    enum business_change ch;
    if (business_store_business_put(d->w, &b, &ch, e) || demo_place(d, ad, b.id, true, e))
        return false;
    d->prev_id = b.id;
    d->n++;
    return true;
}

enum err_code business_demo(struct gis_store *w, const struct config_tenant *t, struct err *e)
{
    long naddr = gis_store_count(w, "addresses");
    struct arena *a = arena_new(1 << 15);
    if (!a)
        return err_set(e, ERR_INTERNAL, "out of memory");
    char today[11];
    business_today(today);
    struct demo d = {.w = w,
                     .a = a,
                     .rng = {0xb0515 ^ (unsigned long long)atol(t->teryt)},
                     .step = naddr > DEMO_PER_GMINA ? naddr / DEMO_PER_GMINA : 1,
                     .today = today};
    business_store_addresses_each(w, demo_business, &d, e);
    arena_free(a);
    return e->code;
}
