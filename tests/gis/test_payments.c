/* Unit tests for gis/payments: NRB check digits, and a ledger of a module's own tables on a scratch store
 * (payments by id and account, idempotent keys, a bank statement CSV). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/calendar.h"
#include "gis/payments.h"
#include "gis/store_sql.h"
#include "tests/store_fixture.h"
#include "tests/test.h"

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
        CHECK(!gis_nrb_make("10201026", "0805053", id, out, &e));
        CHECK(strlen(out) == 26 && gis_nrb_valid(out));
        /* Any single changed digit breaks the check. */
        out[10 + id % 16] = out[10 + id % 16] == '9' ? '0' : out[10 + id % 16] + 1;
        CHECK(!gis_nrb_valid(out));
    }
    CHECK(gis_nrb_make("1020102", "0805053", 1, out, &e) == ERR_INVALID);
}

static const struct gis_ledger toy_ledger = {"toy_payers", "toy_payments", "toy_statements"};

static void ledger_of_any_module(void)
{
    char path[] = "/tmp/odra-test-payments-XXXXXX";
    struct err e = {0};
    struct gis_store *w = test_store_new(path);
    CHECK(w != NULL);
    char acc[27];
    CHECK(!gis_nrb_make("10201026", "0805053", 7, acc, &e));
    char sql[600];
    snprintf(sql, sizeof sql,
             "CREATE TABLE toy_payers (id INTEGER PRIMARY KEY, account TEXT UNIQUE, name TEXT);"
             "CREATE TABLE toy_statements (id INTEGER PRIMARY KEY, imported_at TEXT, lines INTEGER, booked INTEGER, "
             "duplicates INTEGER);"
             "CREATE TABLE toy_payments (id INTEGER PRIMARY KEY, payer_id INTEGER, amount_gr INTEGER, paid_on TEXT, "
             "source TEXT, source_key TEXT UNIQUE, statement_id INTEGER, title TEXT, recorded_at TEXT);"
             "INSERT INTO toy_payers VALUES (7, '%s', 'Jan');",
             acc);
    CHECK(!gis_store_exec(w, sql, &e));
    CHECK(gis_payer_find(w, &toy_ledger, 7, NULL) == 7);
    CHECK(gis_payer_find(w, &toy_ledger, 0, acc) == 7);
    CHECK(gis_payer_find(w, &toy_ledger, 8, NULL) == 0);
    int day = 0;
    CHECK(gis_cal_parse_date("2026-03-20", &day));
    struct gis_payment p;
    bool dup = true;
    CHECK(!gis_payment_add(w, &toy_ledger, 0, acc, 1250, day, "clerk", "clerk:a", "opłata", &p, &dup, &e));
    CHECK(!dup && p.payer_id == 7 && p.amount_gr == 1250 && p.paid_on == day);
    CHECK(!gis_payment_add(w, &toy_ledger, 7, NULL, 1250, day + 1, "clerk", "clerk:a", NULL, &p, &dup, &e));
    CHECK(dup && p.paid_on == day);
    CHECK(gis_payment_add(w, &toy_ledger, 7, NULL, 1300, day, "clerk", "clerk:a", NULL, &p, &dup, &e) == ERR_CONFLICT);
    err_clear(&e);
    CHECK(gis_payment_add(w, &toy_ledger, 9, NULL, 100, day, "clerk", NULL, NULL, NULL, &dup, &e) == ERR_UNPROCESSABLE);
    err_clear(&e);
    char csv[300];
    snprintf(csv, sizeof csv, "id;date;amount;account\n1;2026-04-01;12,5;PL%s\n2;2026-04-02;3.00;%s\n", acc, acc);
    struct gis_statement_totals t;
    CHECK(!gis_statement_import(w, &toy_ledger, csv, strlen(csv), &t, &e));
    CHECK(t.lines == 2 && t.booked == 2 && t.duplicates == 0 && t.booked_gr == 1550);
    CHECK(!gis_statement_import(w, &toy_ledger, csv, strlen(csv), &t, &e));
    CHECK(t.booked == 0 && t.duplicates == 2);
    sqlite3_stmt *st = NULL;
    CHECK(!gis_store_prepare(w,
                             "SELECT (SELECT count(*) FROM toy_payments), (SELECT sum(amount_gr) FROM toy_payments), "
                             "(SELECT count(*) FROM toy_statements)",
                             &st, &e));
    CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 3 && sqlite3_column_int(st, 1) == 2800 &&
          sqlite3_column_int(st, 2) == 2);
    sqlite3_finalize(st);
    gis_store_close(w);
    unlink(path);
}

int main(void)
{
    RUN(nrb_check_digits);
    RUN(ledger_of_any_module);
    return test_done();
}
