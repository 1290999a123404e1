/* The permits module's demo data for `odra demo`: per gmina six outlets at real address points (about
 * thirty over the five), with their permits; schools, churches and playgrounds as protected objects, their
 * entrances a few metres from address points; and the council's rules with made-up resolution numbers:
 * limits per category and place of sale, distance rules (straight line or pedestrian path), and a
 * night-time ban. In Cybinka the limit of category C off the premises is exactly the permits it has, so
 * it is reached. Deterministic for a gmina. */
#include <stdlib.h>
#include <string.h>

#include "services/modules/permits/permits.h"
#include "services/modules/permits/store.h"
#include "util/text.h"

#define DEMO_OUTLETS 6
#define DEMO_ADDRS   400

static const struct {
    const char *name, *sale, *cats;
} outlets[DEMO_OUTLETS] = {
    {"Sklep spożywczy „Pod Lipą”", "off", "ABC"},
    {"Bar „Przystań”", "on", "AB"},
    {"Delikatesy „Nadodrze”", "off", "ABC"},
    {"Restauracja „Graniczna”", "on", "ABC"},
    {"Market „Sosenka”", "off", "AC"},
    {"Pub „Warta”", "on", "A"},
};

static const struct {
    const char *kind, *name;
} objects[] = {
    {"school", "Szkoła Podstawowa nr 1"}, {"school", "Zespół Szkół"},
    {"church", "Kościół parafialny"},     {"church", "Kaplica"},
    {"playground", "Plac zabaw"},         {"playground", "Plac zabaw przy parku"},
};
#define NOBJ (sizeof objects / sizeof objects[0])

struct demo {
    struct gis_store *w;
    struct arena *a;
    const struct config_tenant *t;
    struct permits_address *ad;
    int nad;
    const char *today;
    char res[160]; /* the resolution of the council's rules */
};

static enum err_code demo_rules(struct demo *d, struct err *e)
{
    bool town = !strcmp(d->t->slug, "slubice") || !strcmp(d->t->slug, "rzepin");
    const struct permits_rule rules[] = {
        {.kind = "school", .method = "path", .categories = "ABC", .min_m = town ? 100 : 80, .resolution = d->res},
        {.kind = "church", .method = "straight", .categories = "BC", .min_m = 50, .resolution = d->res},
        {.kind = "playground",
         .method = town ? "straight" : "path",
         .categories = "ABC",
         .sale = "off",
         .min_m = 30,
         .resolution = d->res},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (permits_store_rule_add(d->w, &rules[i], e))
            return e->code;
    static const char cats[] = "ABC";
    static const char *const sales[] = {"off", "on"};
    for (int c = 0; c < 3; c++)
        for (int s = 0; s < 2; s++) {
            long max = (town ? 40 : 12) - c * (town ? 5 : 2) - s * (town ? 10 : 3);
            bool at_limit = !strcmp(d->t->slug, "cybinka") && cats[c] == 'C' && !strcmp(sales[s], "off");
            if (!at_limit && permits_store_limit_add(d->w, cats[c], sales[s], NULL, max, d->res, e))
                return e->code;
        }
    if (town) {
        const struct permits_night_ban b = {"22:00", "06:00", NULL, d->res};
        if (permits_store_night_ban_add(d->w, &b, e))
            return e->code;
    }
    return ERR_OK;
}

/* An address point for the k-th thing of n, spread over the gmina's list. */
static const struct permits_address *pick(struct demo *d, int k, int n, int shift)
{
    return &d->ad[((k * d->nad) / n + shift) % d->nad];
}

static enum err_code demo_outlet(struct demo *d, int k, struct text_rng *rng, int *c_off, struct err *e)
{
    static const int wnip[9] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
    const struct permits_address *ad = pick(d, k, DEMO_OUTLETS, d->nad / 13);
    char nip[11];
    for (;;) {
        int sum = 0;
        nip[0] = (char)('1' + text_rng_below(rng, 9));
        for (int i = 1; i < 9; i++)
            nip[i] = (char)('0' + text_rng_below(rng, 10));
        for (int i = 0; i < 9; i++)
            sum += (nip[i] - '0') * wnip[i];
        if (sum % 11 != 10) {
            nip[9] = (char)('0' + sum % 11);
            nip[10] = 0;
            break;
        }
    }
    struct permits_outlet o = {.name = outlets[k].name,
                               .sale = outlets[k].sale,
                               .nip = nip,
                               .operator_name =
                                   arena_printf(d->a, "%s — przedsiębiorca demonstracyjny %d", outlets[k].name, k + 1),
                               .hours = !strcmp(outlets[k].sale, "on") ? "12:00–23:00" : "6:00–22:00",
                               .address_id = ad->id,
                               .address_text = ad->label,
                               .parcel_id = ad->parcel_id,
                               .unit = ad->obreb,
                               .created_at = d->today,
                               .x = ad->x,
                               .y = ad->y};
    if (permits_store_outlet_add(d->w, &o, e))
        return e->code;
    for (const char *c = outlets[k].cats; *c; c++) {
        struct permits_permit p = {.outlet_id = o.id,
                                   .number = arena_printf(d->a, "Z/%s/%d/%c", d->t->slug, k + 1, *c),
                                   .category = *c,
                                   .sale = o.sale,
                                   .valid_from = *c == 'C' ? "2025-03-01" : "2023-01-01",
                                   .valid_to = *c == 'C' ? "2029-02-28" : "2030-12-31",
                                   .issued_on = *c == 'C' ? "2025-02-20" : "2022-12-15"};
        if (permits_store_permit_add(d->w, &p, e))
            return e->code;
        *c_off += *c == 'C' && !strcmp(o.sale, "off");
        const struct permits_fee f = {.permit_id = p.id,
                                      .year = 2026,
                                      .kind = "annual",
                                      .sales_value_gr = 3000000 + (long)text_rng_below(rng, 9000000),
                                      .statement_on = "2026-01-20"};
        struct permits_fee g = f;
        g.fee_gr = permits_fee_annual_gr(p.category, f.sales_value_gr);
        if (permits_store_fee_put(d->w, &g, e))
            return e->code;
    }
    return ERR_OK;
}

enum err_code permits_demo(struct gis_store *w, const struct config_tenant *t, struct err *e)
{
    struct arena *a = arena_new(1 << 16);
    if (!a)
        return err_set(e, ERR_INTERNAL, "out of memory");
    char today[11];
    permits_today(today);
    struct demo d = {.w = w, .a = a, .t = t, .today = today};
    d.ad = arena_alloc(a, DEMO_ADDRS * sizeof *d.ad);
    long naddr = gis_store_count(w, "addresses");
    int step = naddr > DEMO_ADDRS ? (int)(naddr / DEMO_ADDRS) : 1;
    snprintf(d.res, sizeof d.res, "uchwała nr XII/%d/2024 z dnia 25 kwietnia 2024 r. (%s)",
             40 + (int)(atol(t->teryt) % 50), t->council[0] ? t->council : "Rady Gminy");
    struct text_rng rng = {0xa1c0 ^ (unsigned long long)atol(t->teryt)};
    int c_off = 0;
    if (!d.ad || permits_store_addresses(w, a, step, d.ad, DEMO_ADDRS, &d.nad, e))
        goto done;
    if (d.nad < DEMO_OUTLETS + (int)NOBJ) {
        err_set(e, ERR_INVALID, "gmina %s has too few address points with streets for the permits demo", t->slug);
        goto done;
    }
    for (size_t i = 0; i < NOBJ; i++) { /* the entrance 6 m east of an address point */
        const struct permits_address *ad = pick(&d, (int)i, (int)NOBJ, d.nad / 29);
        if (permits_store_protected_add(w, objects[i].kind, objects[i].name, ad->x + 6, ad->y, e))
            goto done;
    }
    for (int k = 0; k < DEMO_OUTLETS; k++)
        if (demo_outlet(&d, k, &rng, &c_off, e))
            goto done;
    if (demo_rules(&d, e))
        goto done;
    if (!strcmp(t->slug, "cybinka")) /* the limit reached */
        permits_store_limit_add(w, 'C', "off", NULL, c_off, d.res, e);
done:
    arena_free(a);
    return e->code;
}
