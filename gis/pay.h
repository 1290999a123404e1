/* The payments core (tables of data/migrations/008_payments.sql, docs/payments.md): virtual accounts
 * owned by a module's record, bank statements (MT940 with the Polish :86: structure, and banks' CSV
 * exports as mapped in [bank.NAME]) parsed and booked idempotently per transaction, the allocation of each
 * credit to its account's owner, the clerk's queue of unmatched lines, and online payment sessions.
 * Money is in grosze (1/100 zł), signed: credits positive. Every string a function returns lives in the
 * arena it is given. Writes run on the writer inside the caller's transaction (svc_tenant_write), so a
 * statement is booked whole or not at all. */
#ifndef GIS_PAY_H
#define GIS_PAY_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/store.h"
#include "util/arena.h"
#include "util/config.h"
#include "util/err.h"

/* ---- virtual accounts ---- */

/* NRB check digits (00..98, mod 97, ISO 13616 with "PL") for the 24 digits after them; -1 when bban is not
 * 24 digits. */
int gis_nrb_check(const char *bban24);
/* True when s is 26 digits (spaces allowed) with valid check digits. */
bool gis_nrb_valid(const char *s);

/* A virtual account and what its owner owes and paid. */
struct gis_pay_account {
    const char *nrb;    /* 26 digits */
    const char *module; /* "extracts", ... */
    const char *record; /* the owner in the module: for extracts the case id */
    const char *title;  /* the transfer title asked for */
    long due_gr, paid_gr;
    long delta_gr; /* gis_pay_settle_fn only: what this booking added (negative after a refund) */
};

/* The NRB of number seq under prefix (10 to 16 digits): check digits, prefix, seq zero-padded to the
 * remaining digits. ERR_INVALID when seq does not fit. */
enum err_code gis_pay_nrb(const char *prefix, long seq, char out[27], struct err *e);

/* "PL61 1090 1014 0000 0712 1981 2874" from 26 digits, in a. */
const char *gis_pay_nrb_print(struct arena *a, const char *nrb);

/* Opens the virtual account of (module, record) under prefix, or updates the due and title of the one it
 * has; out gets its NRB. */
enum err_code gis_pay_account_open(struct gis_store *w, const char *prefix, const char *module, const char *record,
                                   const char *title, long due_gr, char out[27], struct err *e);

/* Registers nrb, an account number the module made itself (the waste module: sort code, TERYT, '0', the payer's
 * id), as the virtual account of (module, record), or updates the due and title of the one it has. Such
 * accounts are kept outside the core's running numbers (their number is negative), so the two never meet.
 * ERR_INVALID when nrb has no valid check digits; ERR_CONFLICT when it belongs to another owner. */
enum err_code gis_pay_account_own(struct gis_store *w, const char *nrb, const char *module, const char *record,
                                  const char *title, long due_gr, struct err *e);

/* The account of (module, record), or by nrb when module is NULL. ERR_NOT_FOUND when there is none. */
enum err_code gis_pay_account_get(struct gis_store *s, struct arena *a, const char *module, const char *key,
                                  struct gis_pay_account *out, struct err *e);

/* ---- statements ---- */

/* One transaction of a statement, as parsed. */
struct gis_pay_tx {
    int lineno;      /* where it starts in the file */
    int booked_on;   /* day number (gis/calendar.h) */
    long amount_gr;  /* signed */
    const char *key; /* idempotency key: the bank's reference, else a hash of the line and its occurrence */
    const char *counterparty, *title, *cp_nrb;
    const char *va[4]; /* candidates for the virtual account credited (26 digits), best first */
    int nva;
};

/* A parsed statement file. */
struct gis_pay_statement {
    const char *format; /* "mt940" or "csv" */
    const char *bank;   /* the CSV's bank mapping, or the MT940's account (:25:) */
    char sha256[65];    /* of the file as received */
    struct gis_pay_tx *tx;
    int n;
};

#define GIS_PAY_MAX_LINES 1000000

/* Parses a statement: MT940 when it starts with a SWIFT field (":20:") or block ("{1:"), else a CSV of
 * the bank named by bank (a [bank.NAME] of cfg) or, when bank is NULL, of the bank whose header line it
 * has. Text that is not valid UTF-8 is read as windows-1250. MT940 balances are checked (opening plus
 * the lines must give the closing balance) and a file cut in the middle is refused. ERR_UNPROCESSABLE
 * naming the line that is wrong; nothing is booked here. */
enum err_code gis_pay_parse(struct arena *a, const char *data, size_t len, const struct config *cfg, const char *bank,
                            struct gis_pay_statement *out, struct err *e);

/* Called once per virtual account a booking changed, after all of it is booked, on the same writer:
 * the module settles its record (acct as it now stands). An error rolls the whole booking back. */
typedef enum err_code (*gis_pay_settle_fn)(struct gis_store *w, const struct gis_pay_account *acct, void *ctx,
                                           struct err *e);

struct gis_pay_totals {
    long statement_id;
    int lines, booked, duplicates;
    int allocated, credit, refund, unmatched; /* of the booked, by status */
    long booked_gr;
    bool seen_before; /* a file with the same SHA-256 was imported before */
};

/* Books a parsed statement: a pay_statements row, each transaction not booked before (by key) with its
 * status (allocated, credit: to an account already paid up, refund: a debit to an account, unmatched:
 * to no known account), and each matched one allocated to its account; then settle for each account
 * changed. actor is who imported it. */
enum err_code gis_pay_book(struct gis_store *w, struct arena *a, const struct gis_pay_statement *st, const char *actor,
                           gis_pay_settle_fn settle, void *ctx, struct gis_pay_totals *out, struct err *e);

/* A booked transaction. */
struct gis_pay_row {
    long id, statement_id;
    const char *booked_on, *source, *counterparty, *title, *cp_nrb, *nrb, *status;
    long amount_gr;
};

/* Transactions with this status (NULL: all), newest first, at most limit (1..1000). */
enum err_code gis_pay_tx_list(struct gis_store *s, struct arena *a, const char *status, int limit,
                              struct gis_pay_row **out, int *n, struct err *e);

/* The transactions allocated to nrb, oldest first. */
enum err_code gis_pay_tx_of(struct gis_store *s, struct arena *a, const char *nrb, struct gis_pay_row **out, int *n,
                            struct err *e);

/* Assigns the unmatched transaction tx_id to the virtual account nrb (by actor) and settles it.
 * ERR_NOT_FOUND for no such transaction, ERR_CONFLICT when it is not unmatched, ERR_UNPROCESSABLE
 * (param "account") when nrb is no virtual account here. acct (may be NULL) gets the account after. */
enum err_code gis_pay_assign(struct gis_store *w, struct arena *a, long tx_id, const char *nrb, const char *actor,
                             gis_pay_settle_fn settle, void *ctx, struct gis_pay_account *acct, struct err *e);

/* Books a payment taken at the desk (cash, card terminal) to the virtual account nrb: one transaction of
 * source "desk" with key `key` (UNIQUE: the clerk's receipt reference), allocated, then settled. The same key
 * again with the same account and amount books nothing, sets *dup and fills *row with what the first
 * booked; with another account or amount it is ERR_CONFLICT (param "reference") naming what was booked,
 * *row filled as well. ERR_UNPROCESSABLE for an amount that is not positive, ERR_NOT_FOUND for no such
 * account. */
enum err_code gis_pay_desk(struct gis_store *w, struct arena *a, const char *nrb, long amount_gr, int day,
                           const char *key, const char *title, const char *actor, gis_pay_settle_fn settle, void *ctx,
                           struct gis_pay_row *row, bool *dup, struct err *e);

/* ---- online payment sessions ---- */

struct gis_pay_online {
    const char *session_id, *nrb, *provider, *status, *order_id;
    long amount_gr;
};

/* Records a started session for nrb (status "started"). */
enum err_code gis_pay_online_start(struct gis_store *w, const char *session_id, const char *nrb, long amount_gr,
                                   const char *provider, struct err *e);

/* The session; ERR_NOT_FOUND when there is none. */
enum err_code gis_pay_online_get(struct gis_store *s, struct arena *a, const char *session_id,
                                 struct gis_pay_online *out, struct err *e);

/* Books the provider's confirmed payment of the session: one transaction (key "<provider>:<order_id>"),
 * allocated to the session's account, the session "paid", then settle. ERR_CONFLICT when the session is
 * already paid or the order id was booked before (a replay); ERR_UNPROCESSABLE (param "amount") when
 * amount_gr is not the session's. */
enum err_code gis_pay_online_settle(struct gis_store *w, struct arena *a, const char *session_id, const char *order_id,
                                    long amount_gr, gis_pay_settle_fn settle, void *ctx, struct err *e);

#endif
