/* Unit tests for the waste module (waste.c and store.c): collection rules and the holiday shift,
 * fees for every rate method, and the store functions on a scratch store. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/module_store.h"
#include "gis/store_sql.h"
#include "services/modules/waste/waste.h"
#include "services/module.h"
#include "services/server.h"
#include "tests/store_fixture.h"
#include "tests/cal_dates.h"
#include "tests/test.h"
#include "util/embed.h"

static void rules_and_shift(void)
{
    int out[200];
    /* Every 2nd Tuesday from 2026-01-06. */
    struct waste_rule r = {
        .kind = WASTE_EVERY_N_WEEKS, .weekday = 2, .interval = 2, .anchor = D("2026-01-06"), .months = 0xFFF};
    int n = waste_rule_dates(&r, D("2026-01-01"), D("2026-02-28"), WASTE_SHIFT_NONE, out, 200);
    CHECK(n == 4);
    CHECK_STR(S(out[0]), "2026-01-06");
    CHECK_STR(S(out[1]), "2026-01-20");
    CHECK_STR(S(out[3]), "2026-02-17");
    /* Monthly, first Friday. */
    struct waste_rule m = {.kind = WASTE_MONTHLY, .weekday = 5, .nth = 1, .months = 0xFFF};
    n = waste_rule_dates(&m, D("2026-01-01"), D("2026-12-31"), WASTE_SHIFT_NONE, out, 200);
    CHECK(n == 12);
    CHECK_STR(S(out[0]), "2026-01-02");
    CHECK_STR(S(out[4]), "2026-05-01"); /* Święto Pracy */
    /* Shifted: 1 May 2026 (Friday) goes to Monday 4 May on next_working_day, Saturday 2 May on next_day. */
    n = waste_rule_dates(&m, D("2026-05-01"), D("2026-05-31"), WASTE_SHIFT_NEXT_WORKING, out, 200);
    CHECK(n == 1 && out[0] == D("2026-05-04"));
    n = waste_rule_dates(&m, D("2026-05-01"), D("2026-05-31"), WASTE_SHIFT_NEXT_DAY, out, 200);
    CHECK(n == 1 && out[0] == D("2026-05-02"));
    n = waste_rule_dates(&m, D("2026-04-15"), D("2026-05-31"), WASTE_SHIFT_PREV_WORKING, out, 200);
    CHECK(n == 1 && out[0] == D("2026-04-30"));
    n = waste_rule_dates(&m, D("2026-05-01"), D("2026-05-31"), WASTE_SHIFT_SKIP, out, 200);
    CHECK(n == 0);
    /* Weekly on Monday over Easter Monday 2027 (29 March) -> Tuesday 30 March. */
    struct waste_rule w = {.kind = WASTE_WEEKLY, .weekday = 1, .months = 0xFFF};
    n = waste_rule_dates(&w, D("2027-03-22"), D("2027-04-05"), WASTE_SHIFT_NEXT_WORKING, out, 200);
    CHECK(n == 3 && out[1] == D("2027-03-30"));
    /* Seasonal: weekly in April-October only. */
    struct waste_rule sz = {.kind = WASTE_WEEKLY, .weekday = 3, .months = 0x3F8};
    n = waste_rule_dates(&sz, D("2026-01-01"), D("2026-12-31"), WASTE_SHIFT_NONE, out, 200);
    CHECK(n == 30 || n == 31);
    for (int i = 0; i < n; i++) {
        int y, mo, d;
        gis_cal_ymd(out[i], &y, &mo, &d);
        CHECK(mo >= 4 && mo <= 10);
    }
    /* Last Friday of the month, and 24 December 2025 (Wednesday) moves to 29 December (next working day). */
    struct waste_rule last = {.kind = WASTE_MONTHLY, .weekday = 5, .nth = -1, .months = 0xFFF};
    n = waste_rule_dates(&last, D("2026-10-01"), D("2026-10-31"), WASTE_SHIFT_NONE, out, 200);
    CHECK(n == 1 && out[0] == D("2026-10-30"));
    struct waste_rule xmas = {.kind = WASTE_WEEKLY, .weekday = 3, .months = 0xFFF};
    n = waste_rule_dates(&xmas, D("2025-12-22"), D("2025-12-31"), WASTE_SHIFT_NEXT_WORKING, out, 200);
    CHECK(n == 2 && out[0] == D("2025-12-29") && out[1] == D("2025-12-31"));
    /* Bad rules give nothing rather than looping. */
    struct waste_rule bad = {.kind = WASTE_EVERY_N_WEEKS, .weekday = 9, .interval = 0};
    CHECK(waste_rule_dates(&bad, 0, 100, WASTE_SHIFT_NONE, out, 200) == 0);
}

static struct waste_rate rate(enum waste_method m, double mult, long disc, bool per_res)
{
    struct waste_rate r = {
        .method = m, .nonsort_multiplier = mult, .compost_discount_gr = disc, .compost_per_resident = per_res};
    return r;
}

static void fees_every_method(void)
{
    struct err e = {0};
    long fee;
    /* Słubice 2022-23: per household 28/59/105 zł, x2 not sorting, 5 zł off composting. */
    struct waste_rate h = rate(WASTE_HOUSEHOLD, 2, 500, false);
    h.nitems = 3;
    h.items[0].key = 1, h.items[0].amount_gr = 2800;
    h.items[1].key = 2, h.items[1].amount_gr = 5900;
    h.items[2].key = 3, h.items[2].amount_gr = 10500;
    struct waste_household hh = {.residents = 1, .sorting = true};
    CHECK(!waste_fee(&h, &hh, &fee, &e) && fee == 2800);
    hh.residents = 2;
    CHECK(!waste_fee(&h, &hh, &fee, &e) && fee == 5900);
    hh.residents = 7;
    CHECK(!waste_fee(&h, &hh, &fee, &e) && fee == 10500);
    hh.sorting = false;
    CHECK(!waste_fee(&h, &hh, &fee, &e) && fee == 21000);
    hh.sorting = true, hh.composting = true, hh.residents = 1;
    CHECK(!waste_fee(&h, &hh, &fee, &e) && fee == 2300);
    hh.residents = 0;
    CHECK(waste_fee(&h, &hh, &fee, &e) == ERR_INVALID);
    err_clear(&e);
    hh.residents = -3;
    CHECK(waste_fee(&h, &hh, &fee, &e) != ERR_OK);
    err_clear(&e);
    hh.residents = 100000;
    CHECK(waste_fee(&h, &hh, &fee, &e) != ERR_OK);
    err_clear(&e);
    /* Per resident: 31.50 zł each, x3 not sorting, 2 zł per composting resident. */
    struct waste_rate r = rate(WASTE_RESIDENT, 3, 200, true);
    r.nitems = 1;
    r.items[0].key = 0, r.items[0].amount_gr = 3150;
    struct waste_household p = {.residents = 4, .sorting = true};
    CHECK(!waste_fee(&r, &p, &fee, &e) && fee == 12600);
    p.composting = true;
    CHECK(!waste_fee(&r, &p, &fee, &e) && fee == 11800);
    p.composting = false, p.sorting = false;
    CHECK(!waste_fee(&r, &p, &fee, &e) && fee == 37800);
    /* Per m3 of water: 12.35 zł/m3, 7.4 m3 -> 91.39 zł; x2 -> 182.78; composting -> 177.78. */
    struct waste_rate wv = rate(WASTE_WATER, 2, 500, false);
    wv.nitems = 1;
    wv.items[0].key = 0, wv.items[0].amount_gr = 1235;
    struct waste_household wh = {.residents = 3, .sorting = true, .water_m3 = 7.4};
    CHECK(!waste_fee(&wv, &wh, &fee, &e) && fee == 9139);
    wh.sorting = false;
    CHECK(!waste_fee(&wv, &wh, &fee, &e) && fee == 18278);
    wh.composting = true;
    CHECK(!waste_fee(&wv, &wh, &fee, &e) && fee == 17778);
    /* Per container emptying: 60 L 11, 120 L 21, 240 L 39, 1100 L 112 zł. */
    struct waste_rate c = rate(WASTE_CONTAINER, 2, 0, false);
    int L[] = {60, 120, 240, 1100};
    long A[] = {1100, 2100, 3900, 11200};
    c.nitems = 4;
    for (int i = 0; i < 4; i++)
        c.items[i].key = L[i], c.items[i].amount_gr = A[i];
    struct waste_household ch = {.sorting = true, .ncontainers = 2};
    ch.containers[0].litres = 120, ch.containers[0].per_month = 2;
    ch.containers[1].litres = 1100, ch.containers[1].per_month = 4;
    CHECK(!waste_fee(&c, &ch, &fee, &e) && fee == 2 * 2100 + 4 * 11200);
    ch.sorting = false;
    CHECK(!waste_fee(&c, &ch, &fee, &e) && fee == 2 * (2 * 2100 + 4 * 11200));
    ch.containers[0].litres = 80;
    CHECK(waste_fee(&c, &ch, &fee, &e) == ERR_INVALID);
    err_clear(&e);
    /* The discount never makes a fee negative. */
    struct waste_rate tiny = rate(WASTE_HOUSEHOLD, 2, 5000, false);
    tiny.nitems = 1, tiny.items[0].key = 1, tiny.items[0].amount_gr = 1000;
    struct waste_household t1 = {.residents = 1, .sorting = true, .composting = true};
    CHECK(!waste_fee(&tiny, &t1, &fee, &e) && fee == 0);
}

static void store_flow(void)
{
    char path[] = "/tmp/odra-test-waste-XXXXXX";
    struct err e = {0};
    struct gis_store *w = test_store_new(path);
    CHECK(w != NULL);
    const struct svc_module *m = svc_module_find("waste");
    CHECK(m && svc_module_latest_version(m) >= 1);
    CHECK(!svc_module_migrate(m, w, &e));
    CHECK(svc_module_version(w, m) == svc_module_latest_version(m));
    CHECK(!svc_module_migrate(m, w, &e)); /* idempotent */
    struct arena *a = arena_new(4096);
    int today = D("2026-11-27");
    CHECK(!gis_store_begin(w, &e));
    struct waste_declaration d = {.payer_name = "Jan Testowy",
                                  .change_day = D("2026-03-14"),
                                  .pesel = "44051401359",
                                  .title = WASTE_TITLE_OWNERSHIP,
                                  .building = WASTE_BUILDING_SINGLE};
    d.h.residents = 2, d.h.sorting = true;
    CHECK(!waste_declare(w, a, "0805053", today, 0, &d, &e));
    CHECK(d.fee_gr == 5900 && d.payer_id == 1 && gis_nrb_valid(d.account));
    CHECK(d.valid_from == 2026 * 12 + 2); /* March: the month of the change */
    struct waste_declaration d2 = {
        .payer_id = d.payer_id, .change_day = D("2026-07-02"), .filing = WASTE_FILING_CHANGE};
    d2.h.residents = 3, d2.h.sorting = true, d2.h.composting = true;
    CHECK(!waste_declare(w, a, "0805053", today, 0, &d2, &e));
    CHECK(d2.fee_gr == 10000);
    struct waste_declaration bad = {
        .payer_name = "X", .change_day = D("2020-01-01"), .nip = "1234563218", .title = WASTE_TITLE_LEASE};
    bad.h.residents = 1;
    CHECK(waste_declare(w, a, "0805053", today, 0, &bad, &e) != ERR_OK);
    err_clear(&e);
    long changed;
    CHECK(!waste_charges_generate(w, 2026 * 12 + 10, &changed, &e) && changed == 9);
    CHECK(!waste_charges_generate(w, 2026 * 12 + 10, &changed, &e) && changed == 0);
    struct gis_pay_row first, again;
    bool dup;
    CHECK(!gis_pay_desk(w, a, d.account, 5900, D("2026-03-20"), "waste:clerk:r1", NULL, "clerk", NULL, NULL, &first,
                        &dup, &e));
    CHECK(!dup && first.id > 0 && first.amount_gr == 5900 && !strcmp(first.nrb, d.account));
    /* a replay answers what was booked, even when its date differs */
    CHECK(!gis_pay_desk(w, a, d.account, 5900, D("2026-03-21"), "waste:clerk:r1", NULL, "clerk", NULL, NULL, &again,
                        &dup, &e));
    CHECK(dup && again.id == first.id && again.amount_gr == 5900 && !strcmp(again.booked_on, "2026-03-20"));
    /* the same reference with another amount books nothing and is a conflict naming the booked amount */
    CHECK(gis_pay_desk(w, a, d.account, 6000, D("2026-03-20"), "waste:clerk:r1", NULL, "clerk", NULL, NULL, &again,
                       &dup, &e) == ERR_CONFLICT);
    CHECK(strstr(e.msg, "59.00 zł") != NULL && !strcmp(e.param, "reference"));
    err_clear(&e);
    sqlite3_stmt *cnt;
    CHECK(!gis_store_prepare(w, "SELECT count(*), sum(amount_gr) FROM pay_transactions WHERE tx_key = 'waste:clerk:r1'",
                             &cnt, &e));
    CHECK(sqlite3_step(cnt) == SQLITE_ROW && sqlite3_column_int(cnt, 0) == 1 && sqlite3_column_int(cnt, 1) == 5900);
    sqlite3_finalize(cnt);
    /* a statement of the core books to the payer's account, once */
    struct gis_pay_tx tx[2] = {
        {.amount_gr = 5900, .key = "csv:t:T1", .booked_on = D("2026-04-10"), .va = {d.account}, .nva = 1},
        {.amount_gr = 5900, .key = "csv:t:T2", .booked_on = D("2026-05-10"), .va = {d.account}, .nva = 1}};
    struct gis_pay_statement stm = {.format = "csv", .bank = "t", .sha256 = "00", .tx = tx, .n = 2};
    struct gis_pay_totals im;
    CHECK(!gis_pay_book(w, a, &stm, "test", NULL, NULL, &im, &e));
    CHECK(im.lines == 2 && im.booked == 2 && im.duplicates == 0 && im.allocated == 2);
    CHECK(!gis_pay_book(w, a, &stm, "test", NULL, NULL, &im, &e));
    CHECK(im.booked == 0 && im.duplicates == 2);
    CHECK(!gis_store_commit(w, &e));
    struct waste_balance b;
    CHECK(!waste_balance_get(w, a, d.payer_id, today, &b, &e));
    /* Mar-Jun 4 x 59 zł, Jul-Nov 5 x 100 zł. */
    CHECK(b.charged_gr == 4 * 5900 + 5 * 10000);
    CHECK(b.paid_gr == 3 * 5900);
    CHECK(b.arrears_gr == b.due_gr - b.paid_gr);
    CHECK(b.monthly_fee_gr == 10000);
    struct waste_declaration *hist;
    int n;
    CHECK(!waste_declarations(w, a, d.payer_id, &hist, &n, &e) && n == 2 && hist[0].id == d2.id);
    arena_free(a);
    gis_store_close(w);
    unlink(path);
    char p2[64];
    snprintf(p2, sizeof p2, "%s-wal", path);
    unlink(p2);
    snprintf(p2, sizeof p2, "%s-shm", path);
    unlink(p2);
}

/* PESEL and NIP on worked examples, and what a first and a later declaration must say about the declarant. */
static void declarant_checks(void)
{
    CHECK(waste_pesel_valid("44051401359"));  /* 1944-05-14 */
    CHECK(waste_pesel_valid("02270803624"));  /* 2002-07-08: month + 20 for the 2000s */
    CHECK(!waste_pesel_valid("44051401358")); /* check digit */
    CHECK(!waste_pesel_valid("99133100004")); /* month 13 in no century */
    CHECK(!waste_pesel_valid("00022900003")); /* 1900-02-29: 1900 was no leap year */
    CHECK(!waste_pesel_valid("4405140135") && !waste_pesel_valid("4405140135x") && !waste_pesel_valid(NULL));
    CHECK(waste_nip_valid("1234563218"));  /* 6+10+21+8+15+24+15+12+7 = 118 = 10 * 11 + 8 */
    CHECK(!waste_nip_valid("1234563217")); /* check digit */
    CHECK(!waste_nip_valid("1234567890")); /* weighted sum mod 11 is 10: never valid */
    CHECK(waste_title_parse("perpetual_usufruct") == WASTE_TITLE_PERPETUAL_USUFRUCT && waste_title_parse("x") < 0);
    CHECK(!strcmp(waste_title_polish(WASTE_TITLE_LEASE), "najem lub dzierżawa"));
    char path[] = "/tmp/odra-test-waste-decl-XXXXXX";
    struct err e = {0};
    struct gis_store *w = test_store_new(path);
    CHECK(w && !svc_module_migrate(svc_module_find("waste"), w, &e) && !gis_store_begin(w, &e));
    struct arena *a = arena_new(4096);
    int today = D("2026-11-27");
    struct waste_declaration d = {
        .payer_name = "Anna", .change_day = today, .title = WASTE_TITLE_OWNERSHIP, .building = WASTE_BUILDING_MULTI};
    d.h.residents = 1, d.h.sorting = true;
    CHECK(waste_declare(w, a, "0805053", today, 0, &d, &e) == ERR_UNPROCESSABLE && !strcmp(e.param, "pesel"));
    err_clear(&e);
    d.pesel = "44051401358";
    CHECK(waste_declare(w, a, "0805053", today, 0, &d, &e) == ERR_UNPROCESSABLE && !strcmp(e.param, "pesel"));
    err_clear(&e);
    d.pesel = "44051401359", d.title = WASTE_TITLE_NONE;
    CHECK(waste_declare(w, a, "0805053", today, 0, &d, &e) == ERR_UNPROCESSABLE && !strcmp(e.param, "legal_title"));
    err_clear(&e);
    d.title = WASTE_TITLE_CO_OWNERSHIP, d.building = WASTE_BUILDING_NONE;
    CHECK(waste_declare(w, a, "0805053", today, 0, &d, &e) == ERR_UNPROCESSABLE && !strcmp(e.param, "building_type"));
    err_clear(&e);
    /* composting earns the discount at a single-family house only (art. 6k ust. 4a) */
    d.building = WASTE_BUILDING_MULTI, d.h.composting = true;
    CHECK(waste_declare(w, a, "0805053", today, 0, &d, &e) == ERR_UNPROCESSABLE && !strcmp(e.param, "composting"));
    err_clear(&e);
    d.building = WASTE_BUILDING_SINGLE;
    CHECK(!waste_declare(w, a, "0805053", today, 0, &d, &e) && d.filed_at == NULL && d.fee_gr == 2800 - 500);
    /* a change repeats the declarant of the payer's latest declaration */
    struct waste_declaration c = {.payer_id = d.payer_id, .change_day = today, .filing = WASTE_FILING_CHANGE};
    c.h.residents = 2, c.h.sorting = true;
    CHECK(!waste_declare(w, a, "0805053", today, 0, &c, &e));
    struct waste_declaration *ds;
    int n;
    CHECK(!waste_declarations(w, a, d.payer_id, &ds, &n, &e) && n == 2);
    CHECK(!strcmp(ds[0].pesel, "44051401359") && ds[0].title == WASTE_TITLE_CO_OWNERSHIP && !ds[0].nip);
    CHECK(ds[0].building == WASTE_BUILDING_SINGLE && ds[0].h.composting == false);
    CHECK(ds[0].filed_at && strlen(ds[0].filed_at) == 20); /* stored when filed: 2026-11-27T10:00:00Z */
    gis_store_rollback(w);
    arena_free(a);
    gis_store_close(w);
    unlink(path);
}

/* Art. 6m ust. 2 and 2b on worked examples: a household of 3 (105 zł) from June 2026. */
static void backdating(void)
{
    char path[] = "/tmp/odra-test-waste-back-XXXXXX";
    struct err e = {0};
    struct gis_store *w = test_store_new(path);
    CHECK(w && !svc_module_migrate(svc_module_find("waste"), w, &e) && !gis_store_begin(w, &e));
    struct arena *a = arena_new(4096);
    struct waste_declaration d = {.payer_name = "Rodzina",
                                  .change_day = D("2026-06-01"),
                                  .pesel = "44051401359",
                                  .title = WASTE_TITLE_OWNERSHIP,
                                  .building = WASTE_BUILDING_SINGLE};
    d.h.residents = 3, d.h.sorting = true;
    CHECK(!waste_declare(w, a, "0805053", D("2026-06-05"), 0, &d, &e) && d.fee_gr == 10500);
    /* filed on 5 November for a change on 20 October: in time (by 10 November), so it reaches October */
    struct waste_declaration in_time = {
        .payer_id = d.payer_id, .change_day = D("2026-10-20"), .filing = WASTE_FILING_CHANGE};
    in_time.h.residents = 2, in_time.h.sorting = true;
    CHECK(!waste_declare(w, a, "0805053", D("2026-11-05"), 0, &in_time, &e));
    CHECK(in_time.valid_from == 2026 * 12 + 9 && in_time.requested_from == 0 && in_time.fee_gr == 5900);
    /* filed on 27 November for a change on 15 September, lowering 59 -> 28 zł: late, so from November only */
    struct waste_declaration late = {
        .payer_id = d.payer_id, .change_day = D("2026-09-15"), .filing = WASTE_FILING_CHANGE};
    late.h.residents = 1, late.h.sorting = true;
    CHECK(!waste_declare(w, a, "0805053", D("2026-11-27"), 0, &late, &e));
    CHECK(late.valid_from == 2026 * 12 + 10 && late.requested_from == 2026 * 12 + 8 && late.fee_gr == 2800);
    /* the same after a resident's death within 6 months: it reaches back to the month of the death */
    struct waste_declaration death = late;
    death.id = 0, death.requested_from = 0, death.cause = WASTE_CAUSE_DEATH, death.change_day = D("2026-07-01");
    CHECK(!waste_declare(w, a, "0805053", D("2026-11-27"), 0, &death, &e));
    CHECK(death.valid_from == 2026 * 12 + 6 && death.requested_from == 0);
    /* a death more than 6 months before the filing is no exception */
    death.id = 0, death.change_day = D("2026-05-26");
    CHECK(waste_declare(w, a, "0805053", D("2026-11-27"), 0, &death, &e) == ERR_UNPROCESSABLE &&
          !strcmp(e.param, "cause"));
    err_clear(&e);
    /* an increase reaches back as declared */
    struct waste_declaration more = {
        .payer_id = d.payer_id, .change_day = D("2026-08-01"), .filing = WASTE_FILING_CHANGE};
    more.h.residents = 4, more.h.sorting = true;
    CHECK(!waste_declare(w, a, "0805053", D("2026-11-27"), 0, &more, &e) && more.valid_from == 2026 * 12 + 7);
    gis_store_rollback(w);
    arena_free(a);
    gis_store_close(w);
    unlink(path);
}

/* The per-m² method, the summer-house lump sum and the statutory caps, on worked examples (income 2 061,93 zł). */
static void methods_and_caps(void)
{
    struct err e = {0};
    struct waste_rate area = {.method = WASTE_AREA, .nonsort_multiplier = 2, .nitems = 1};
    area.items[0].key = 0, area.items[0].amount_gr = 95; /* 0.95 zł a m² */
    struct waste_household flat = {.residents = 2, .sorting = true, .area_m2 = 63.5};
    long fee;
    CHECK(!waste_fee(&area, &flat, &fee, &e) && fee == 6033); /* 63.5 x 0.95 = 60.325 -> 60.33 zł */
    flat.area_m2 = 0;
    CHECK(waste_fee(&area, &flat, &fee, &e) == ERR_INVALID && !strcmp(e.param, "area_m2"));
    err_clear(&e);
    struct waste_rate summer = {.method = WASTE_SUMMER, .nonsort_multiplier = 2, .nitems = 1};
    summer.items[0].key = 0, summer.items[0].amount_gr = 18000; /* 180 zł a year */
    struct waste_household house = {.residents = 0, .sorting = true};
    CHECK(!waste_fee(&summer, &house, &fee, &e) && fee == 18000);
    long income = 206193;
    CHECK(waste_rate_cap(WASTE_HOUSEHOLD, income) == 16083); /* 7,8 %: 160,83 zł */
    CHECK(waste_rate_cap(WASTE_RESIDENT, income) == 4123);   /* 2 %: 41,23 zł */
    CHECK(waste_rate_cap(WASTE_WATER, income) == 1443);      /* 0,7 %: 14,43 zł a m³ */
    CHECK(waste_rate_cap(WASTE_AREA, income) == 164);        /* 0,08 %: 1,64 zł a m² */
    CHECK(waste_rate_cap(WASTE_SUMMER, income) == 20619);    /* 10 %: 206,19 zł a year */
    CHECK(waste_rate_cap(WASTE_CONTAINER, income) == -1);
    struct waste_rate hh = {.method = WASTE_HOUSEHOLD, .nonsort_multiplier = 3, .nitems = 2};
    hh.items[0].key = 1, hh.items[0].amount_gr = 5000, hh.items[1].key = 3, hh.items[1].amount_gr = 16083;
    CHECK(!waste_rate_check(&hh, income, &e));
    hh.items[1].amount_gr = 16084;
    CHECK(waste_rate_check(&hh, income, &e) == ERR_UNPROCESSABLE && !strcmp(e.param, "items"));
    err_clear(&e);
    hh.items[1].amount_gr = 10000, hh.nonsort_multiplier = 1.5;
    CHECK(waste_rate_check(&hh, income, &e) == ERR_UNPROCESSABLE && !strcmp(e.param, "nonsort_multiplier"));
    err_clear(&e);
}

/* The resident's hooks: a resident's first declaration links the new payer to their account; .me and
 * .personal_data show it; .erase unlinks it and keeps the declaration (a tax record); another account sees
 * none of it. */
static void resident_hooks(void)
{
    char path[] = "/tmp/odra-test-waste-rodo-XXXXXX";
    struct err e = {0};
    struct gis_store *w = test_store_new(path);
    const struct svc_module *m = svc_module_find("waste");
    CHECK(w && m && m->me && m->personal_data && m->erase && !svc_module_migrate(m, w, &e));
    struct config_tenant cfg = {.slug = "slubice", .name = "Słubice"};
    struct svc_tenant t = {.cfg = &cfg};
    struct arena *a = arena_new(4096);
    int today = D("2026-11-27");
    CHECK(!gis_store_begin(w, &e));
    struct waste_declaration d = {.payer_name = "Jan Testowy",
                                  .change_day = D("2026-11-02"),
                                  .pesel = "02270803624",
                                  .title = WASTE_TITLE_OWNERSHIP,
                                  .building = WASTE_BUILDING_MULTI};
    d.h.residents = 1, d.h.sorting = true;
    CHECK(!waste_declare(w, a, "0805053", today, 42, &d, &e));
    /* another account may not file for this payer: the same 404 as for a payer that does not exist */
    struct waste_declaration other = {.payer_id = d.payer_id, .change_day = today, .filing = WASTE_FILING_CHANGE};
    other.h.residents = 2, other.h.sorting = true;
    CHECK(waste_declare(w, a, "0805053", today, 43, &other, &e) == ERR_NOT_FOUND);
    err_clear(&e);
    CHECK(!gis_store_commit(w, &e));
    json_t *me = json_object(), *pd = json_object(), *none = json_object();
    CHECK(!m->me(&t, w, 42, me, &e) && !m->personal_data(&t, w, 42, pd, &e) && !m->me(&t, w, 43, none, &e));
    json_t *p0 = json_array_get(json_object_get(me, "payers"), 0);
    CHECK(json_array_size(json_object_get(me, "payers")) == 1 &&
          json_integer_value(json_object_get(p0, "id")) == d.payer_id);
    CHECK(json_array_size(json_object_get(p0, "declarations")) == 1);
    CHECK(json_is_string(json_object_get(pd, "retention")) && json_array_size(json_object_get(pd, "payers")) == 1);
    CHECK(json_array_size(json_object_get(none, "payers")) == 0);
    CHECK(!gis_store_begin(w, &e) && !m->erase(&t, w, 42, &e) && !gis_store_commit(w, &e));
    json_t *after = json_object();
    CHECK(!m->me(&t, w, 42, after, &e) && json_array_size(json_object_get(after, "payers")) == 0);
    struct waste_declaration *ds;
    int n;
    CHECK(!waste_declarations(w, a, d.payer_id, &ds, &n, &e) && n == 1 && !strcmp(ds[0].payer_name, "Jan Testowy"));
    json_decref(me), json_decref(pd), json_decref(none), json_decref(after);
    arena_free(a);
    gis_store_close(w);
    unlink(path);
}

/* A store whose waste module is at version 8 (its own ledger: waste_payments, waste_statements) moves onto the
 * payments core with migration 9: each payer's account becomes its virtual account, each payment a booked
 * transaction allocated to it, paid sums kept; a desk receipt booked before is recognised after. */
static void the_old_ledger_migrates_to_the_core(void)
{
    char path[] = "/tmp/odra-test-waste-mig-XXXXXX";
    struct err e = {0};
    struct gis_store *w = test_store_new(path);
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK(!gis_module_versions_create(w, &e));
    for (int v = 1; v <= 8; v++)
        for (const struct embed_file *f = embed_files; f->name; f++)
            if (embed_migration_number(f->name, "services/modules/waste/migrations") == v)
                CHECK(!gis_module_migrate(w, "waste", v, f->data, &e));
    CHECK(gis_module_version(w, "waste") == 8);
    char acc[27];
    CHECK(!gis_pay_nrb("1020102608050530", 1, acc, &e));
    char *sql = sqlite3_mprintf(
        "INSERT INTO waste_payers (id, account, name, created_at) VALUES (1, '%q', 'Stary Płatnik', '2025-01-02');"
        "INSERT INTO waste_declarations (id, payer_id, kind, residents, composting, sorting, method, fee_gr, "
        "change_date, valid_from, filed_at) VALUES (1, 1, 'residential', 2, 0, 1, 'household', 5900, '2025-01-01', "
        "'2025-01', '2025-01-02');"
        "INSERT INTO waste_charges VALUES (1, '2025-01', 5900, 1, '2025-01-15'), (1, '2025-02', 5900, 1, "
        "'2025-02-15');"
        "INSERT INTO waste_statements VALUES (1, '2025-02-20', 1, 1, 0);"
        "INSERT INTO waste_payments (payer_id, amount_gr, paid_on, source, source_key, statement_id, title, "
        "recorded_at) VALUES (1, 5900, '2025-01-10', 'clerk', 'clerk:KP/1', NULL, NULL, '2025-01-10'), "
        "(1, 3000, '2025-02-20', 'statement', 'stmt:B-7', 1, 'odpady', '2025-02-20');",
        acc);
    CHECK(sqlite3_exec(gis_store_db(w), sql, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_free(sql);
    const struct svc_module *m = svc_module_find("waste");
    CHECK(!svc_module_migrate(m, w, &e) && svc_module_version(w, m) == svc_module_latest_version(m));
    struct arena *a = arena_new(4096);
    struct gis_pay_account ac;
    CHECK(!gis_pay_account_get(w, a, "waste", "1", &ac, &e) && !strcmp(ac.nrb, acc));
    CHECK(ac.paid_gr == 8900 && ac.due_gr == 11800);
    struct gis_pay_row *rows;
    int n;
    CHECK(!gis_pay_tx_of(w, a, acc, &rows, &n, &e) && n == 2);
    if (n == 2)
        CHECK(!strcmp(rows[0].source, "desk") && !strcmp(rows[1].source, "statement") &&
              !strcmp(rows[1].booked_on, "2025-02-20") && rows[1].amount_gr == 3000);
    CHECK(gis_store_count(w, "waste_payments") < 0 ||
          sqlite3_exec(gis_store_db(w), "SELECT 1 FROM waste_payments", NULL, NULL, NULL) != SQLITE_OK);
    /* the old desk receipt, entered again, is the payment booked then */
    struct gis_pay_row r;
    bool dup;
    CHECK(!gis_store_begin(w, &e));
    CHECK(!gis_pay_desk(w, a, acc, 5900, 20000, "waste:clerk:KP/1", NULL, "clerk", NULL, NULL, &r, &dup, &e) && dup);
    gis_store_rollback(w);
    /* the balance: January paid on time, 30 zł of February, 29 zł of it in arrears on 1.03.2025 (interest: 14 days
     * at 14.50 % on 29 zł = 0.16 zł, none) */
    struct waste_balance b;
    CHECK(!waste_balance_get(w, a, 1, D("2025-03-01"), &b, &e));
    CHECK(b.arrears_gr == 2900 && b.interest_gr == 0 && b.credit_gr == 0 && b.paid_gr == 8900);
    arena_free(a);
    gis_store_close(w);
    unlink(path);
}

int main(void)
{
    RUN(rules_and_shift);
    RUN(fees_every_method);
    RUN(store_flow);
    RUN(declarant_checks);
    RUN(backdating);
    RUN(methods_and_caps);
    RUN(resident_hooks);
    RUN(the_old_ledger_migrates_to_the_core);
    return test_done();
}
