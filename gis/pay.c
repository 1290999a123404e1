/* The payments core's store side (gis/pay.h): virtual accounts, booking statements with allocation,
 * the unmatched queue and online payment sessions. The SQL of data/migrations/008_payments.sql. */
#include "gis/pay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gis/calendar.h"
#include "gis/store_sql.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

static enum err_code pay_db_err(struct gis_store *s, struct err *e, const char *what)
{
    return err_set(e, ERR_IO, "%s: %s", what, sqlite3_errmsg(gis_store_db(s)));
}

static const char *col(struct arena *a, sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s ? arena_strdup(a, s) : NULL;
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* ---- virtual accounts ---- */

int gis_nrb_check(const char *bban24)
{
    if (!bban24 || strlen(bban24) != 24 || strspn(bban24, "0123456789") != 24)
        return -1;
    char buf[32];
    snprintf(buf, sizeof buf, "%s252100", bban24); /* P = 25, L = 21, then "00" */
    int mod = 0;
    for (const char *p = buf; *p; p++)
        mod = (mod * 10 + (*p - '0')) % 97;
    return 98 - mod;
}

bool gis_nrb_valid(const char *s)
{
    char d[27];
    int n = 0;
    for (; s && *s; s++) {
        if (*s == ' ')
            continue;
        if (*s < '0' || *s > '9' || n == 26)
            return false;
        d[n++] = *s;
    }
    if (n != 26)
        return false;
    d[26] = 0;
    return gis_nrb_check(d + 2) == (d[0] - '0') * 10 + (d[1] - '0');
}

enum err_code gis_pay_nrb(const char *prefix, long seq, char out[27], struct err *e)
{
    size_t n = prefix ? strlen(prefix) : 0;
    if (n < 10 || n > 16 || strspn(prefix, "0123456789") != n)
        return err_set(e, ERR_INVALID, "the account prefix must be 10 to 16 digits");
    int width = 24 - (int)n;
    long limit = 1;
    for (int i = 0; i < width; i++)
        limit *= 10;
    if (seq < 1 || seq >= limit)
        return err_set(e, ERR_INVALID, "virtual account number %ld does not fit in %d digits after the prefix", seq,
                       width);
    char bban[25];
    snprintf(bban, sizeof bban, "%s%0*ld", prefix, width, seq);
    snprintf(out, 27, "%02d%s", gis_nrb_check(bban), bban);
    return ERR_OK;
}

const char *gis_pay_nrb_print(struct arena *a, const char *nrb)
{
    if (!nrb || strlen(nrb) != 26)
        return nrb;
    return arena_printf(a, "PL%.2s %.4s %.4s %.4s %.4s %.4s %.4s", nrb, nrb + 2, nrb + 6, nrb + 10, nrb + 14, nrb + 18,
                        nrb + 22);
}

enum err_code gis_pay_account_open(struct gis_store *w, const char *prefix, const char *module, const char *record,
                                   const char *title, long due_gr, char out[27], struct err *e)
{
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(w, "SELECT nrb FROM pay_accounts WHERE module = ? AND record = ?", e)))
        return e->code;
    bind_str(st, 1, module);
    bind_str(st, 2, record);
    bool have = sqlite3_step(st) == SQLITE_ROW;
    if (have)
        snprintf(out, 27, "%s", (const char *)sqlite3_column_text(st, 0));
    gis_store_release(st);
    if (!have) {
        long seq = 1;
        if (!(st = gis_store_cached(w, "SELECT coalesce(max(number), 0) + 1 FROM pay_accounts WHERE number > 0", e)))
            return e->code;
        if (sqlite3_step(st) == SQLITE_ROW)
            seq = (long)sqlite3_column_int64(st, 0);
        gis_store_release(st);
        if (gis_pay_nrb(prefix, seq, out, e))
            return e->code;
        if (!(st = gis_store_cached(w,
                                    "INSERT INTO pay_accounts (nrb, number, module, record, title, due_gr, created_at) "
                                    "VALUES (?,?,?,?,?,?," NOW_SQL ")",
                                    e)))
            return e->code;
        sqlite3_bind_int64(st, 2, seq);
    } else if (!(st = gis_store_cached(w,
                                       "UPDATE pay_accounts SET module = ?3, record = ?4, title = ?5, due_gr = ?6 "
                                       "WHERE nrb = ?1",
                                       e))) {
        return e->code;
    }
    bind_str(st, 1, out);
    bind_str(st, 3, module);
    bind_str(st, 4, record);
    bind_str(st, 5, title);
    sqlite3_bind_int64(st, 6, due_gr);
    int rc = sqlite3_step(st);
    gis_store_release(st);
    return rc == SQLITE_DONE ? ERR_OK : pay_db_err(w, e, "virtual account");
}

enum err_code gis_pay_account_own(struct gis_store *w, const char *nrb, const char *module, const char *record,
                                  const char *title, long due_gr, struct err *e)
{
    if (!nrb || strlen(nrb) != 26 || !gis_nrb_valid(nrb))
        return err_set(e, ERR_INVALID, "'%.30s' is no account number with valid check digits", nrb ? nrb : "");
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT INTO pay_accounts (nrb, number, module, record, title, due_gr, created_at) "
                          "VALUES (?1, (SELECT min(0, coalesce(min(number), 0)) - 1 FROM pay_accounts), ?2, ?3, ?4, "
                          "?5, " NOW_SQL ") ON CONFLICT (nrb) DO UPDATE SET title = ?4, due_gr = ?5 "
                          "WHERE module = ?2 AND record = ?3",
                          &st, e))
        return e->code;
    bind_str(st, 1, nrb);
    bind_str(st, 2, module);
    bind_str(st, 3, record);
    bind_str(st, 4, title);
    sqlite3_bind_int64(st, 5, due_gr);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rc == SQLITE_CONSTRAINT ? err_set(e, ERR_CONFLICT, "account %s belongs to another owner", nrb)
                                       : pay_db_err(w, e, "virtual account");
    if (sqlite3_changes(gis_store_db(w)) == 0)
        return err_set(e, ERR_CONFLICT, "account %s belongs to another owner", nrb);
    return ERR_OK;
}

#define ACCOUNT_COLS "SELECT nrb, module, record, title, due_gr, paid_gr FROM pay_accounts "

static void account_row(struct arena *a, sqlite3_stmt *st, struct gis_pay_account *o)
{
    *o = (struct gis_pay_account){col(a, st, 0),
                                  col(a, st, 1),
                                  col(a, st, 2),
                                  col(a, st, 3),
                                  (long)sqlite3_column_int64(st, 4),
                                  (long)sqlite3_column_int64(st, 5),
                                  0};
}

enum err_code gis_pay_account_get(struct gis_store *s, struct arena *a, const char *module, const char *key,
                                  struct gis_pay_account *out, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s, module ? ACCOUNT_COLS "WHERE module = ?2 AND record = ?1" : ACCOUNT_COLS "WHERE nrb = ?1",
                          &st, e))
        return e->code;
    bind_str(st, 1, key);
    if (module)
        bind_str(st, 2, module);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        account_row(a, st, out);
    sqlite3_finalize(st);
    if (r == SQLITE_ROW)
        return ERR_OK;
    return r == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no such virtual account") : pay_db_err(s, e, "account");
}

/* ---- booking ---- */

/* The accounts a booking changed (a small set, by NRB), with what it added to each. */
struct touched {
    char (*nrb)[27];
    long *delta;
    int n, cap;
};

static bool touched_add(struct arena *a, struct touched *t, const char *nrb, long amount)
{
    for (int i = t->n - 1; i >= 0; i--)
        if (!strcmp(t->nrb[i], nrb))
            return t->delta[i] += amount, true;
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 64;
        char(*n)[27] = arena_alloc(a, sizeof *n * (size_t)cap);
        long *d = arena_alloc(a, sizeof *d * (size_t)cap);
        if (!n || !d)
            return false;
        if (t->n) {
            memcpy(n, t->nrb, sizeof *n * (size_t)t->n);
            memcpy(d, t->delta, sizeof *d * (size_t)t->n);
        }
        t->nrb = n, t->delta = d, t->cap = cap;
    }
    snprintf(t->nrb[t->n], 27, "%s", nrb);
    t->delta[t->n++] = amount;
    return true;
}

static const char SQL_ACCOUNT_DUE[] = "SELECT due_gr, paid_gr FROM pay_accounts WHERE nrb = ?";
static const char SQL_TX_INSERT[] =
    "INSERT OR IGNORE INTO pay_transactions (tx_key, statement_id, source, booked_on, amount_gr, counterparty, title, "
    "cp_nrb, nrb, status, created_at) VALUES (?,?,?,?,?,?,?,?,?,?," NOW_SQL ")";
static const char SQL_ALLOC[] =
    "INSERT INTO pay_allocations (tx_id, nrb, amount_gr, at, actor) VALUES (?,?,?," NOW_SQL ",?)";
static const char SQL_PAID[] = "UPDATE pay_accounts SET paid_gr = paid_gr + ? WHERE nrb = ?";

/* The first candidate that is a virtual account here, with its due and paid; NULL when none is. */
static const char *tx_account(struct gis_store *w, const struct gis_pay_tx *tx, long *due, long *paid, struct err *e)
{
    for (int i = 0; i < tx->nva; i++) {
        sqlite3_stmt *st = gis_store_cached(w, SQL_ACCOUNT_DUE, e);
        if (!st)
            return NULL;
        sqlite3_bind_text(st, 1, tx->va[i], -1, SQLITE_STATIC);
        bool found = sqlite3_step(st) == SQLITE_ROW;
        if (found)
            *due = (long)sqlite3_column_int64(st, 0), *paid = (long)sqlite3_column_int64(st, 1);
        gis_store_release(st);
        if (found)
            return tx->va[i];
    }
    return NULL;
}

/* Allocates transaction tx_id of amount to nrb (by actor): the allocation row and the account's paid. */
static enum err_code allocate(struct gis_store *w, long tx_id, const char *nrb, long amount, const char *actor,
                              struct err *e)
{
    sqlite3_stmt *st = gis_store_cached(w, SQL_ALLOC, e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, tx_id);
    sqlite3_bind_text(st, 2, nrb, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, amount);
    sqlite3_bind_text(st, 4, actor, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    gis_store_release(st);
    if (rc != SQLITE_DONE)
        return pay_db_err(w, e, "allocation");
    if (!(st = gis_store_cached(w, SQL_PAID, e)))
        return e->code;
    sqlite3_bind_int64(st, 1, amount);
    sqlite3_bind_text(st, 2, nrb, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    gis_store_release(st);
    return rc == SQLITE_DONE ? ERR_OK : pay_db_err(w, e, "account");
}

/* The status of a line of amount to an account (nrb NULL: none) that was due `due` and had `paid`. */
static const char *tx_status(const char *nrb, long amount, long due, long paid)
{
    if (!nrb)
        return "unmatched";
    if (amount < 0)
        return "refund";
    return paid >= due ? "credit" : "allocated";
}

/* Books one transaction; *dup when its key was booked before. */
static enum err_code book_one(struct gis_store *w, struct arena *a, const struct gis_pay_tx *tx, long sid,
                              const char *source, const char *actor, struct touched *t, const char **status, bool *dup,
                              struct err *e)
{
    long due = 0, paid = 0;
    const char *nrb = tx_account(w, tx, &due, &paid, e);
    if (e->code)
        return e->code;
    *status = tx_status(nrb, tx->amount_gr, due, paid);
    sqlite3_stmt *st = gis_store_cached(w, SQL_TX_INSERT, e);
    if (!st)
        return e->code;
    char d[11];
    gis_cal_format_date(tx->booked_on, d);
    sqlite3_bind_text(st, 1, tx->key, -1, SQLITE_STATIC);
    if (sid)
        sqlite3_bind_int64(st, 2, sid);
    sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, d, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, tx->amount_gr);
    bind_str(st, 6, tx->counterparty);
    bind_str(st, 7, tx->title);
    bind_str(st, 8, tx->cp_nrb);
    bind_str(st, 9, nrb);
    sqlite3_bind_text(st, 10, *status, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    gis_store_release(st);
    if (rc != SQLITE_DONE)
        return pay_db_err(w, e, "transaction");
    *dup = sqlite3_changes(gis_store_db(w)) == 0;
    if (*dup || !nrb)
        return ERR_OK;
    if (allocate(w, (long)sqlite3_last_insert_rowid(gis_store_db(w)), nrb, tx->amount_gr, actor, e))
        return e->code;
    return touched_add(a, t, nrb, tx->amount_gr) ? ERR_OK : err_set(e, ERR_INTERNAL, "out of memory");
}

/* Calls settle for every account in t, as it now stands. */
static enum err_code settle_all(struct gis_store *w, struct arena *a, const struct touched *t, gis_pay_settle_fn settle,
                                void *ctx, struct err *e)
{
    for (int i = 0; settle && i < t->n; i++) {
        struct gis_pay_account acct;
        if (gis_pay_account_get(w, a, NULL, t->nrb[i], &acct, e))
            return e->code;
        acct.delta_gr = t->delta[i];
        if (settle(w, &acct, ctx, e))
            return e->code;
    }
    return ERR_OK;
}

static enum err_code statement_row(struct gis_store *w, const struct gis_pay_statement *st, const char *actor,
                                   struct gis_pay_totals *out, struct err *e)
{
    sqlite3_stmt *q;
    if (gis_store_prepare(w, "SELECT 1 FROM pay_statements WHERE sha256 = ?", &q, e))
        return e->code;
    sqlite3_bind_text(q, 1, st->sha256, -1, SQLITE_STATIC);
    out->seen_before = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    if (gis_store_prepare(w,
                          "INSERT INTO pay_statements (sha256, format, bank, imported_at, actor, lines, booked, "
                          "duplicates, unmatched) VALUES (?,?,?," NOW_SQL ",?,?,0,0,0)",
                          &q, e))
        return e->code;
    sqlite3_bind_text(q, 1, st->sha256, -1, SQLITE_STATIC);
    bind_str(q, 2, st->format);
    bind_str(q, 3, st->bank);
    bind_str(q, 4, actor);
    sqlite3_bind_int(q, 5, st->n);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return pay_db_err(w, e, "statement");
    out->statement_id = (long)sqlite3_last_insert_rowid(gis_store_db(w));
    return ERR_OK;
}

enum err_code gis_pay_book(struct gis_store *w, struct arena *a, const struct gis_pay_statement *st, const char *actor,
                           gis_pay_settle_fn settle, void *ctx, struct gis_pay_totals *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (statement_row(w, st, actor, out, e))
        return e->code;
    struct touched t = {0};
    out->lines = st->n;
    for (int i = 0; i < st->n; i++) {
        const char *status;
        bool dup;
        struct err le = {0};
        if (book_one(w, a, &st->tx[i], out->statement_id, "statement", "statement", &t, &status, &dup, &le))
            return err_set(e, le.code, "line %d: %s", st->tx[i].lineno, le.msg);
        if (dup) {
            out->duplicates++;
            continue;
        }
        out->booked++;
        out->booked_gr += st->tx[i].amount_gr;
        if (status[0] == 'a')
            out->allocated++;
        else if (status[0] == 'c')
            out->credit++;
        else if (status[0] == 'r')
            out->refund++;
        else
            out->unmatched++;
    }
    sqlite3_stmt *q;
    if (gis_store_prepare(w, "UPDATE pay_statements SET booked = ?, duplicates = ?, unmatched = ? WHERE id = ?", &q, e))
        return e->code;
    sqlite3_bind_int(q, 1, out->booked);
    sqlite3_bind_int(q, 2, out->duplicates);
    sqlite3_bind_int(q, 3, out->unmatched);
    sqlite3_bind_int64(q, 4, out->statement_id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return pay_db_err(w, e, "statement");
    return settle_all(w, a, &t, settle, ctx, e);
}

/* ---- the queue ---- */

#define TX_COLS                                                                                                        \
    "SELECT id, coalesce(statement_id, 0), booked_on, source, counterparty, title, cp_nrb, nrb, status, amount_gr "    \
    "FROM pay_transactions "

#define TX_ROWS_MAX 1000

static void tx_row(struct arena *a, sqlite3_stmt *st, struct gis_pay_row *o)
{
    *o = (struct gis_pay_row){(long)sqlite3_column_int64(st, 0),
                              (long)sqlite3_column_int64(st, 1),
                              col(a, st, 2),
                              col(a, st, 3),
                              col(a, st, 4),
                              col(a, st, 5),
                              col(a, st, 6),
                              col(a, st, 7),
                              col(a, st, 8),
                              (long)sqlite3_column_int64(st, 9)};
}

/* The transaction booked with key into *o; false when there is none (or on an error, in e). */
static bool tx_by_key(struct gis_store *w, struct arena *a, const char *key, struct gis_pay_row *o, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, TX_COLS "WHERE tx_key = ?", &st, e))
        return false;
    bind_str(st, 1, key);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        tx_row(a, st, o);
    else if (r != SQLITE_DONE)
        pay_db_err(w, e, "transaction");
    sqlite3_finalize(st);
    return r == SQLITE_ROW;
}

/* The rows of st (at most TX_ROWS_MAX, as its LIMIT says), finalizing it. */
static enum err_code tx_rows(struct gis_store *s, struct arena *a, sqlite3_stmt *st, struct gis_pay_row **out, int *n,
                             struct err *e)
{
    int k = 0, r = SQLITE_DONE;
    struct gis_pay_row *v = arena_alloc(a, sizeof *v * TX_ROWS_MAX);
    if (!v) {
        sqlite3_finalize(st);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    while (k < TX_ROWS_MAX && (r = sqlite3_step(st)) == SQLITE_ROW)
        tx_row(a, st, &v[k++]);
    sqlite3_finalize(st);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        return pay_db_err(s, e, "reading transactions");
    *out = v, *n = k;
    return ERR_OK;
}

enum err_code gis_pay_tx_list(struct gis_store *s, struct arena *a, const char *status, int limit,
                              struct gis_pay_row **out, int *n, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s, TX_COLS "WHERE ?1 IS NULL OR status = ?1 ORDER BY id DESC LIMIT ?2", &st, e))
        return e->code;
    bind_str(st, 1, status);
    sqlite3_bind_int(st, 2, limit < 1 || limit > TX_ROWS_MAX ? 200 : limit);
    return tx_rows(s, a, st, out, n, e);
}

enum err_code gis_pay_tx_of(struct gis_store *s, struct arena *a, const char *nrb, struct gis_pay_row **out, int *n,
                            struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s, TX_COLS "WHERE nrb = ? ORDER BY id LIMIT 1000" /* TX_ROWS_MAX */, &st, e))
        return e->code;
    bind_str(st, 1, nrb);
    return tx_rows(s, a, st, out, n, e);
}

enum err_code gis_pay_assign(struct gis_store *w, struct arena *a, long tx_id, const char *nrb, const char *actor,
                             gis_pay_settle_fn settle, void *ctx, struct gis_pay_account *acct, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "SELECT status, amount_gr FROM pay_transactions WHERE id = ?", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, tx_id);
    int r = sqlite3_step(st);
    const char *status = r == SQLITE_ROW ? col(a, st, 0) : NULL;
    long amount = r == SQLITE_ROW ? (long)sqlite3_column_int64(st, 1) : 0;
    sqlite3_finalize(st);
    if (r != SQLITE_ROW)
        return err_set(e, ERR_NOT_FOUND, "no transaction %ld", tx_id);
    if (!status || strcmp(status, "unmatched") != 0)
        return err_set(e, ERR_CONFLICT, "transaction %ld is already %s", tx_id, status ? status : "?");
    struct gis_pay_account ac;
    struct err ae = {0};
    if (gis_pay_account_get(w, a, NULL, nrb, &ac, &ae))
        return ae.code == ERR_NOT_FOUND ? err_at(e, ERR_UNPROCESSABLE, "account", "%s is no virtual account here", nrb)
                                        : err_recast(e, ae.code, &ae);
    const char *ns = tx_status(ac.nrb, amount, ac.due_gr, ac.paid_gr);
    if (gis_store_prepare(w, "UPDATE pay_transactions SET nrb = ?, status = ? WHERE id = ?", &st, e))
        return e->code;
    bind_str(st, 1, ac.nrb);
    bind_str(st, 2, ns);
    sqlite3_bind_int64(st, 3, tx_id);
    r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_DONE)
        return pay_db_err(w, e, "transaction");
    if (allocate(w, tx_id, ac.nrb, amount, actor, e))
        return e->code;
    struct touched t = {0};
    if (!touched_add(a, &t, ac.nrb, amount))
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (settle_all(w, a, &t, settle, ctx, e))
        return e->code;
    return acct ? gis_pay_account_get(w, a, NULL, ac.nrb, acct, e) : ERR_OK;
}

/* ---- the desk ---- */

enum err_code gis_pay_desk(struct gis_store *w, struct arena *a, const char *nrb, long amount_gr, int day,
                           const char *key, const char *title, const char *actor, gis_pay_settle_fn settle, void *ctx,
                           struct gis_pay_row *row, bool *dup, struct err *e)
{
    *dup = false;
    if (amount_gr <= 0)
        return err_at(e, ERR_UNPROCESSABLE, "amount", "a payment at the desk must be positive");
    struct gis_pay_account ac;
    if (gis_pay_account_get(w, a, NULL, nrb, &ac, e))
        return e->code;
    if (tx_by_key(w, a, key, row, e)) {
        *dup = true;
        if (row->amount_gr != amount_gr || !row->nrb || strcmp(row->nrb, nrb) != 0)
            return err_at(e, ERR_CONFLICT, "reference", "reference already booked: %ld.%02ld zł to account %s on %s",
                          row->amount_gr / 100, labs(row->amount_gr) % 100, row->nrb ? row->nrb : "?", row->booked_on);
        return ERR_OK;
    }
    if (e->code)
        return e->code;
    struct gis_pay_tx tx = {.amount_gr = amount_gr, .key = key, .title = title, .booked_on = day};
    tx.va[tx.nva++] = ac.nrb;
    struct touched t = {0};
    const char *status;
    bool d2;
    if (book_one(w, a, &tx, 0, "desk", actor, &t, &status, &d2, e) || settle_all(w, a, &t, settle, ctx, e))
        return e->code;
    if (!tx_by_key(w, a, key, row, e))
        return e->code ? e->code : err_set(e, ERR_INTERNAL, "the desk payment %s was not booked", key);
    return ERR_OK;
}

/* ---- online sessions ---- */

enum err_code gis_pay_online_start(struct gis_store *w, const char *session_id, const char *nrb, long amount_gr,
                                   const char *provider, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT INTO pay_online (session_id, nrb, amount_gr, provider, status, created_at) "
                          "VALUES (?,?,?,?,'started'," NOW_SQL ")",
                          &st, e))
        return e->code;
    bind_str(st, 1, session_id);
    bind_str(st, 2, nrb);
    sqlite3_bind_int64(st, 3, amount_gr);
    bind_str(st, 4, provider);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? ERR_OK : pay_db_err(w, e, "online payment");
}

enum err_code gis_pay_online_get(struct gis_store *s, struct arena *a, const char *session_id,
                                 struct gis_pay_online *out, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT session_id, nrb, provider, status, order_id, amount_gr FROM pay_online "
                          "WHERE session_id = ?",
                          &st, e))
        return e->code;
    bind_str(st, 1, session_id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *out = (struct gis_pay_online){col(a, st, 0), col(a, st, 1), col(a, st, 2),
                                       col(a, st, 3), col(a, st, 4), (long)sqlite3_column_int64(st, 5)};
    sqlite3_finalize(st);
    if (r == SQLITE_ROW)
        return ERR_OK;
    return r == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no such payment session") : pay_db_err(s, e, "online");
}

enum err_code gis_pay_online_settle(struct gis_store *w, struct arena *a, const char *session_id, const char *order_id,
                                    long amount_gr, gis_pay_settle_fn settle, void *ctx, struct err *e)
{
    struct gis_pay_online o;
    if (gis_pay_online_get(w, a, session_id, &o, e))
        return e->code;
    if (strcmp(o.status, "started") != 0)
        return err_set(e, ERR_CONFLICT, "payment session %s is already %s (order %s): a replay", session_id, o.status,
                       o.order_id ? o.order_id : "?");
    if (amount_gr != o.amount_gr)
        return err_at(e, ERR_UNPROCESSABLE, "amount", "the amount %ld gr is not the session's %ld gr", amount_gr,
                      o.amount_gr);
    time_t now = time(NULL);
    struct tm lt;
    localtime_r(&now, &lt);
    char today[11];
    snprintf(today, sizeof today, "%04d-%02d-%02d", lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday);
    struct gis_pay_tx tx = {.amount_gr = amount_gr, .title = arena_printf(a, "%s %s", o.provider, session_id)};
    tx.key = arena_printf(a, "%s:%s", o.provider, order_id);
    tx.va[tx.nva++] = o.nrb;
    gis_cal_parse_date(today, &tx.booked_on);
    struct touched t = {0};
    const char *status;
    bool dup;
    if (book_one(w, a, &tx, 0, "online", o.provider, &t, &status, &dup, e))
        return e->code;
    if (dup)
        return err_set(e, ERR_CONFLICT, "order %s was booked before: a replay", order_id);
    sqlite3_stmt *st;
    if (gis_store_prepare(
            w, "UPDATE pay_online SET status = 'paid', order_id = ?, paid_at = " NOW_SQL " WHERE session_id = ?", &st,
            e))
        return e->code;
    bind_str(st, 1, order_id);
    bind_str(st, 2, session_id);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_DONE)
        return err_set(e, ERR_CONFLICT, "order %s belongs to another session: a replay", order_id);
    return settle_all(w, a, &t, settle, ctx, e);
}
