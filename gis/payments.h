/* The payments core every module that charges fees shares: Polish bank account numbers (NRB, ISO 13616
 * check digits mod 97) and a module's ledger of payers, payments and imported bank statements.
 *
 * A ledger is three tables of the module's own, named in a static struct gis_ledger and created by its
 * migrations in this shape (the waste module's are in services/modules/waste/migrations/001_waste.sql):
 *   <payers>     (id INTEGER PRIMARY KEY, account TEXT UNIQUE, ...)            -- account: 26-digit NRB
 *   <statements> (id INTEGER PRIMARY KEY, imported_at TEXT, lines, booked, duplicates INTEGER)
 *   <payments>   (id INTEGER PRIMARY KEY, payer_id INTEGER, amount_gr INTEGER, paid_on TEXT,
 *                 source TEXT, source_key TEXT UNIQUE, statement_id INTEGER, title TEXT, recorded_at TEXT)
 * Money is in grosze (1/100 zł), days are day numbers (gis/calendar.h). Functions taking a writer expect
 * the caller to hold the tenant's write lock and an open transaction (svc_tenant_write). Nothing is
 * allocated for the caller. */
#ifndef GIS_PAYMENTS_H
#define GIS_PAYMENTS_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/store.h"
#include "util/err.h"

/* ---- bank accounts ---- */

/* NRB check digits (00..98, mod 97, ISO 13616 with "PL") for the 24 digits after them; -1 when bban is not
 * 24 digits. */
int gis_nrb_check(const char *bban24);
/* True when s is 26 digits (spaces allowed) with valid check digits. */
bool gis_nrb_valid(const char *s);
/* An individual account: check digits, sort code (8 digits), TERYT gmina (7), '0', the payer's id (8).
 * ERR_INVALID when a part does not fit. */
enum err_code gis_nrb_make(const char *sort8, const char *teryt7, long id, char out[27], struct err *e);

/* ---- the ledger ---- */

/* The tables of one module's ledger (static strings, trusted: they are pasted into SQL). */
struct gis_ledger {
    const char *payers, *payments, *statements;
};

/* The id of the payer with this id (id > 0) or else with this account; 0 when there is none. */
long gis_payer_find(struct gis_store *s, const struct gis_ledger *l, long id, const char *account);

/* A booked payment. */
struct gis_payment {
    long id, payer_id, amount_gr;
    int paid_on; /* day number (gis_cal_day) */
};

/* Books a payment. payer is found by payer_id (> 0) or by account. key, when not NULL, makes it
 * idempotent: a second payment with the same key, payer and amount books nothing and sets *duplicate;
 * *booked (may be NULL) is then the row booked the first time, else the new row. The same key with another
 * amount or payer books nothing and is ERR_CONFLICT (param "reference") naming what was booked, with
 * *booked and *duplicate set as well. ERR_UNPROCESSABLE for an unknown payer or a non-positive amount. */
enum err_code gis_payment_add(struct gis_store *w, const struct gis_ledger *l, long payer_id, const char *account,
                              long amount_gr, int paid_on, const char *source, const char *key, const char *title,
                              struct gis_payment *booked, bool *duplicate, struct err *e);

struct gis_statement_totals {
    int lines;      /* payment lines in the file */
    int booked;     /* newly booked */
    int duplicates; /* already booked earlier (same line id or line hash) */
    long booked_gr;
};

/* Imports a bank statement CSV (see docs/api.md: a header naming at least date, amount and account, and
 * optionally id and title; ',' or ';' separated; decimal point or comma) into the ledger. Every line is
 * checked before anything is booked: a malformed line or an account that is no payer's is
 * ERR_UNPROCESSABLE naming the line, and nothing is booked. Lines booked before (by id, else by a hash of
 * the line) are counted as duplicates. */
enum err_code gis_statement_import(struct gis_store *w, const struct gis_ledger *l, const char *csv, size_t len,
                                   struct gis_statement_totals *out, struct err *e);

#endif
