/* Unit tests for the payments core (gis/pay.h): virtual account numbers, the MT940 parser (marks, funds
 * code, balances, :86: subfields, cut files), a bank's CSV in windows-1250, and booking on a scratch
 * store: statuses, idempotency, settle calls, the unmatched queue and online sessions. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/calendar.h"
#include "gis/pay.h"
#include "tests/store_fixture.h"
#include "tests/test.h"

static void virtual_account_numbers(void)
{
    char out[27];
    struct err e = {0};
    CHECK(!gis_pay_nrb("1020102608050131", 4, out, &e));
    CHECK_STR(out, "32102010260805013100000004"); /* as the server showed it, and valid */
    CHECK(gis_nrb_valid(out));
    for (long n = 1; n < 100000; n += 997) {
        CHECK(!gis_pay_nrb("1090101400", n, out, &e));
        CHECK(gis_nrb_valid(out) && !strncmp(out + 2, "1090101400", 10));
    }
    CHECK(gis_pay_nrb("1020102608050131", 100000000, out, &e) == ERR_INVALID); /* 9 digits in 8 */
    CHECK(gis_pay_nrb("12345", 1, out, &e) == ERR_INVALID);
    struct arena *a = arena_new(4096);
    CHECK_STR(gis_pay_nrb_print(a, "61109010140000071219812874"), "PL61 1090 1014 0000 0712 1981 2874");
    arena_free(a);
}

/* A hand-written statement: opening 1000,00 C; +50,00 C with a funds code; -20,00 D; RC -5,00 (a reversed
 * credit); RD +1,00 (a reversed debit); closing 1026,00. */
static const char MT[] =
    "{1:F01BPKOPLPWAXXX0000000000}{2:O9400000000000BPKOPLPWXXXX00000000000000000000N}{4:\r\n"
    ":20:ST0001\r\n"
    ":25:/PL61109010140000071219812874\r\n"
    ":28C:00001/001\r\n"
    ":60F:C261203PLN1000,00\r\n"
    ":61:2612031203CN50,00NTRFNONREF//BANKREF1\r\n"
    "32102010260805013100000004\r\n"
    ":86:020~00VE02PRZELEW~20RGP.6727.4.2026 opłata~21 skarbowa~3011402004~310000350212345678~32Jan Kowa\r\n"
    "lski~33 i syn~38PL61109010140000071219812874~6010201026\r\n"
    ":61:261203D20,00NTRFNONREF\r\n"
    ":86:073~00PRZELEW~20opłata bankowa\r\n"
    ":61:261203RC5,00NTRFNONREF//BANKREF3\r\n"
    ":61:261203RD1,00NTRFNONREF//BANKREF4\r\n"
    ":86:plain unstructured text\r\n"
    ":62F:C261203PLN1026,00\r\n"
    "-}\r\n";

/* What the old per-module ledger (gis/payments.c) checked of account numbers, on gis_pay_nrb with a module's own
 * prefix (sort code, TERYT, '0'), which the waste module's payers' accounts use. */
static void nrb_check_digits(void)
{
    CHECK(gis_nrb_valid("61109010140000071219812874"));
    CHECK(gis_nrb_valid("61 1090 1014 0000 0712 1981 2874"));
    CHECK(!gis_nrb_valid("62109010140000071219812874"));
    CHECK(!gis_nrb_valid("6110901014000007121981287"));
    CHECK(!gis_nrb_valid("6110901014000007121981287x"));
    CHECK(gis_nrb_check("109010140000071219812874") == 61);
    char out[27];
    struct err e = {0};
    for (long id = 1; id < 3000; id += 7) {
        CHECK(!gis_pay_nrb("1020102608050530", id, out, &e));
        CHECK(strlen(out) == 26 && gis_nrb_valid(out));
        /* Any single changed digit breaks the check. */
        out[10 + id % 16] = out[10 + id % 16] == '9' ? '0' : out[10 + id % 16] + 1;
        CHECK(!gis_nrb_valid(out));
    }
    CHECK(gis_pay_nrb("1020102", 1, out, &e) == ERR_INVALID);
}

/* A module's own account numbers beside the core's running numbers; desk payments idempotent by reference. */
static void own_accounts_and_the_desk(void)
{
    char path[] = "/tmp/odra-test-pay-XXXXXX";
    struct gis_store *w = test_store_new(path);
    CHECK(w != NULL);
    if (!w)
        return;
    struct arena *a = arena_new(1 << 16);
    struct err e = {0};
    char own[27], core[27];
    CHECK(!gis_store_begin(w, &e));
    CHECK(!gis_pay_nrb("1020102608050530", 7, own, &e));
    CHECK(!gis_pay_account_own(w, own, "waste", "7", "odpady 7", 5900, &e));
    CHECK(!gis_pay_account_own(w, own, "waste", "7", "odpady 7", 11800, &e)); /* the due updated */
    CHECK(gis_pay_account_own(w, own, "waste", "8", "x", 1, &e) == ERR_CONFLICT);
    e = (struct err){0};
    own[25] = own[25] == '9' ? '0' : own[25] + 1;
    CHECK(gis_pay_account_own(w, own, "waste", "9", "x", 1, &e) == ERR_INVALID);
    own[25] = own[25] == '0' ? '9' : own[25] - 1;
    e = (struct err){0};
    /* the core's numbering starts at 1 whatever own accounts there are */
    CHECK(!gis_pay_account_open(w, "1020102608050531", "extracts", "c1", "T", 100, core, &e));
    CHECK_STR(core + 18, "00000001");
    struct gis_pay_row r1, r2;
    bool dup;
    CHECK(!gis_pay_desk(w, a, own, 1250, 20000, "waste:clerk:a", "opłata", "clerk", NULL, NULL, &r1, &dup, &e));
    CHECK(!dup && r1.amount_gr == 1250 && !strcmp(r1.source, "desk") && !strcmp(r1.status, "allocated"));
    CHECK(!gis_pay_desk(w, a, own, 1250, 20001, "waste:clerk:a", NULL, "clerk", NULL, NULL, &r2, &dup, &e));
    CHECK(dup && r2.id == r1.id && !strcmp(r2.booked_on, r1.booked_on));
    CHECK(gis_pay_desk(w, a, own, 1300, 20000, "waste:clerk:a", NULL, "clerk", NULL, NULL, &r2, &dup, &e) ==
          ERR_CONFLICT);
    CHECK(strstr(e.msg, "12.50") != NULL && r2.id == r1.id);
    e = (struct err){0};
    CHECK(gis_pay_desk(w, a, core, 1250, 20000, "waste:clerk:a", NULL, "clerk", NULL, NULL, &r2, &dup, &e) ==
          ERR_CONFLICT);
    e = (struct err){0};
    CHECK(gis_pay_desk(w, a, own, 0, 20000, "waste:clerk:b", NULL, "clerk", NULL, NULL, &r2, &dup, &e) ==
          ERR_UNPROCESSABLE);
    e = (struct err){0};
    CHECK(gis_pay_desk(w, a, "61109010140000071219812874", 10, 20000, "waste:clerk:c", NULL, "clerk", NULL, NULL, &r2,
                       &dup, &e) == ERR_NOT_FOUND);
    e = (struct err){0};
    struct gis_pay_account acct;
    CHECK(!gis_pay_account_get(w, a, "waste", "7", &acct, &e) && acct.paid_gr == 1250 && acct.due_gr == 11800);
    gis_store_rollback(w);
    arena_free(a);
    gis_store_close(w);
    unlink(path);
}

static void mt940_lines_marks_balances_and_subfields(void)
{
    struct arena *a = arena_new(1 << 16);
    struct config cfg = {0};
    struct gis_pay_statement st;
    struct err e = {0};
    CHECK(!gis_pay_parse(a, MT, strlen(MT), &cfg, NULL, &st, &e));
    CHECK_STR(st.format, "mt940");
    CHECK_STR(st.bank, "PL61109010140000071219812874");
    CHECK(st.n == 4);
    if (st.n == 4) {
        CHECK(st.tx[0].amount_gr == 5000 && st.tx[1].amount_gr == -2000);
        CHECK(st.tx[2].amount_gr == -500 && st.tx[3].amount_gr == 100);
        CHECK_STR(st.tx[0].key, "mt940:PL61109010140000071219812874:BANKREF1");
        CHECK(!strncmp(st.tx[1].key, "mt940#", 6)); /* NONREF: by its hash */
        CHECK_STR(st.tx[0].title, "RGP.6727.4.2026 opłata skarbowa");
        CHECK_STR(st.tx[0].counterparty, "Jan Kowalski i syn");
        CHECK_STR(st.tx[0].cp_nrb, "61109010140000071219812874");
        CHECK(st.tx[0].nva >= 1 && !strcmp(st.tx[0].va[0], "32102010260805013100000004"));
        CHECK_STR(st.tx[1].title, "opłata bankowa");
        CHECK_STR(st.tx[3].title, "plain unstructured text");
        char d[11];
        gis_cal_format_date(st.tx[0].booked_on, d);
        CHECK_STR(d, "2026-12-03");
    }
    /* a wrong closing balance, a cut file, a broken :61: each name their line */
    char *bad = strdup(MT);
    memcpy(strstr(bad, "PLN1026,00"), "PLN1027,00", 10);
    e = (struct err){0};
    CHECK(gis_pay_parse(a, bad, strlen(bad), &cfg, NULL, &st, &e) == ERR_UNPROCESSABLE);
    CHECK(strstr(e.msg, "line 15:") && strstr(e.msg, "closing balance"));
    *strstr(bad, ":61:261203RD") = 0;
    e = (struct err){0};
    CHECK(gis_pay_parse(a, bad, strlen(bad), &cfg, NULL, &st, &e) == ERR_UNPROCESSABLE);
    CHECK(strstr(e.msg, "was cut") != NULL);
    free(bad);
    const char broken[] = ":20:X\n:25:/PL1\n:60F:C261203PLN0,00\n:61:261203X1,00NTRF\n:62F:C261203PLN0,00\n";
    e = (struct err){0};
    CHECK(gis_pay_parse(a, broken, strlen(broken), &cfg, NULL, &st, &e) == ERR_UNPROCESSABLE);
    CHECK(strstr(e.msg, "line 4:") != NULL);
    arena_free(a);
}

static void csv_of_a_bank_in_windows_1250(void)
{
    struct config cfg = {.n_banks = 1};
    cfg.banks[0] = (struct config_bank){.name = "pko",
                                        .cp1250 = true,
                                        .sep = ';',
                                        .header = "Data operacji",
                                        .date = "Data operacji",
                                        .amount = "Kwota",
                                        .title = "Tytuł",
                                        .counterparty = "Nadawca",
                                        .virtual_account = "Rachunek wirtualny",
                                        .id = "Id"};
    /* "Tytuł" and "Łódź" in windows-1250 (ł = 0xB3, Ł = 0xA3, ó = 0xF3, ź = 0x9F) */
    const char csv[] = "\"Data operacji\";\"Kwota\";\"Tytu\xb3\";\"Nadawca\";\"Rachunek wirtualny\";\"Id\"\r\n"
                       "2026-12-03;\"-1 234,56\";\"zwrot\";\"\xa3\xf3\x64\x9f\";\"\";\"A1\"\r\n"
                       "2026-12-03;+50,5;\"RGP \"\"4\"\"\";\"X\";\"PL32 1020 1026 0805 0131 0000 0004\";\"\"\r\n";
    struct arena *a = arena_new(1 << 16);
    struct gis_pay_statement st;
    struct err e = {0};
    CHECK(!gis_pay_parse(a, csv, strlen(csv), &cfg, NULL, &st, &e));
    CHECK(st.n == 2);
    if (st.n == 2) {
        CHECK(st.tx[0].amount_gr == -123456 && st.tx[1].amount_gr == 5050);
        CHECK_STR(st.tx[0].counterparty, "Łódź");
        CHECK_STR(st.tx[0].key, "csv:pko:A1");
        CHECK(!strncmp(st.tx[1].key, "csv:pko#", 8));
        CHECK_STR(st.tx[1].title, "RGP \"4\"");
        CHECK(st.tx[1].nva == 1 && !strcmp(st.tx[1].va[0], "32102010260805013100000004"));
    }
    const char cut[] = "Data operacji;Kwota;Tytu\xb3;Nadawca;Rachunek wirtualny;Id\n2026-12-03;1,00;\"x;y;z;A\n";
    e = (struct err){0};
    CHECK(gis_pay_parse(a, cut, strlen(cut), &cfg, NULL, &st, &e) == ERR_UNPROCESSABLE);
    CHECK(strstr(e.msg, "line 2:") != NULL);
    e = (struct err){0};
    CHECK(gis_pay_parse(a, csv, strlen(csv), &cfg, "mbank", &st, &e) == ERR_UNPROCESSABLE);
    /* a bank whose exports are UTF-8 does not take windows-1250 bytes */
    cfg.banks[0].cp1250 = false;
    e = (struct err){0};
    CHECK(gis_pay_parse(a, csv, strlen(csv), &cfg, NULL, &st, &e) == ERR_UNPROCESSABLE);
    CHECK(strstr(e.msg, "not valid UTF-8") != NULL);
    arena_free(a);
}

static int settled;
static long last_paid;

static enum err_code count_settle(struct gis_store *w, const struct gis_pay_account *acct, void *ctx, struct err *e)
{
    (void)w, (void)ctx, (void)e;
    settled++;
    last_paid = acct->paid_gr;
    return ERR_OK;
}

static void booking_statuses_idempotency_queue_and_online(void)
{
    char path[] = "/tmp/odra-test-pay-XXXXXX";
    struct gis_store *w = test_store_new(path);
    CHECK(w != NULL);
    if (!w)
        return;
    struct arena *a = arena_new(1 << 16);
    struct err e = {0};
    char nrb[27], other[27];
    CHECK(!gis_store_begin(w, &e));
    CHECK(!gis_pay_account_open(w, "1020102608050131", "extracts", "case-a", "T1", 5000, nrb, &e));
    CHECK(!gis_pay_account_open(w, "1020102608050131", "extracts", "case-b", "T2", 3000, other, &e));
    CHECK_STR(nrb, "16102010260805013100000001");
    struct gis_pay_tx tx[4] = {
        {.amount_gr = 3000, .key = "k1", .va = {nrb}, .nva = 1},
        {.amount_gr = 2500, .key = "k2", .va = {nrb}, .nva = 1},  /* 500 over: credit remains shown */
        {.amount_gr = -1000, .key = "k3", .va = {nrb}, .nva = 1}, /* a refund */
        {.amount_gr = 700, .key = "k4", .va = {"61109010140000071219812874"}, .nva = 1}, /* unmatched */
    };
    struct gis_pay_statement st = {.format = "mt940", .bank = "x", .sha256 = "ab", .tx = tx, .n = 4};
    struct gis_pay_totals t;
    settled = 0;
    CHECK(!gis_pay_book(w, a, &st, "test", count_settle, NULL, &t, &e));
    CHECK(t.booked == 4 && t.allocated == 2 && t.refund == 1 && t.unmatched == 1 && t.duplicates == 0);
    CHECK(settled == 1 && last_paid == 4500); /* one account changed, settled once */
    CHECK(!gis_pay_book(w, a, &st, "test", count_settle, NULL, &t, &e));
    CHECK(t.booked == 0 && t.duplicates == 4 && t.seen_before && settled == 1);
    struct gis_pay_row *rows;
    int n;
    CHECK(!gis_pay_tx_list(w, a, "unmatched", 10, &rows, &n, &e) && n == 1);
    struct gis_pay_account acct;
    if (n == 1) {
        CHECK(!gis_pay_assign(w, a, rows[0].id, other, "clerk", count_settle, NULL, &acct, &e));
        CHECK(acct.paid_gr == 700 && settled == 2);
        CHECK(gis_pay_assign(w, a, rows[0].id, other, "clerk", NULL, NULL, NULL, &e) == ERR_CONFLICT);
    }
    e = (struct err){0};
    CHECK(!gis_pay_online_start(w, "s1", other, 2300, "p24", &e));
    CHECK(gis_pay_online_settle(w, a, "s1", "o1", 2299, NULL, NULL, &e) == ERR_UNPROCESSABLE);
    e = (struct err){0};
    CHECK(!gis_pay_online_settle(w, a, "s1", "o1", 2300, NULL, NULL, &e));
    CHECK(gis_pay_online_settle(w, a, "s1", "o1", 2300, NULL, NULL, &e) == ERR_CONFLICT);
    CHECK(!gis_pay_account_get(w, a, NULL, other, &acct, (e = (struct err){0}, &e)) && acct.paid_gr == 3000);
    gis_store_rollback(w);
    arena_free(a);
    gis_store_close(w);
    unlink(path);
}

int main(void)
{
    RUN(virtual_account_numbers);
    RUN(nrb_check_digits);
    RUN(own_accounts_and_the_desk);
    RUN(mt940_lines_marks_balances_and_subfields);
    RUN(csv_of_a_bank_in_windows_1250);
    RUN(booking_statuses_idempotency_queue_and_online);
    return test_done();
}
