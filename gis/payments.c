/* The payments core: NRB account numbers and a module's ledger of payers, payments and bank statements
 * (see gis/payments.h). */
#include "gis/payments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/calendar.h"
#include "gis/store_sql.h"
#include "util/arena.h"

static enum err_code payments_db_err(struct gis_store *s, struct err *e, const char *what)
{
    return err_set(e, ERR_IO, "%s: %s", what, sqlite3_errmsg(gis_store_db(s)));
}

/* ---- NRB ---- */

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

enum err_code gis_nrb_make(const char *sort8, const char *teryt7, long id, char out[27], struct err *e)
{
    if (!sort8 || strlen(sort8) != 8 || strspn(sort8, "0123456789") != 8)
        return err_set(e, ERR_INVALID, "the bank sort code must be 8 digits");
    if (!teryt7 || strlen(teryt7) != 7 || strspn(teryt7, "0123456789") != 7)
        return err_set(e, ERR_INVALID, "TERYT must be 7 digits");
    if (id < 1 || id > 99999999)
        return err_set(e, ERR_INVALID, "payer id out of range for an account number");
    char bban[25];
    snprintf(bban, sizeof bban, "%s%s0%08ld", sort8, teryt7, id);
    snprintf(out, 27, "%02d%s", gis_nrb_check(bban), bban);
    return ERR_OK;
}

/* ---- the ledger ---- */

long gis_payer_find(struct gis_store *s, const struct gis_ledger *l, long id, const char *account)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?", l->payers, id > 0 ? "id" : "account");
    sqlite3_stmt *st;
    long found = 0;
    if (id <= 0 && !account)
        return 0;
    if (sqlite3_prepare_v2(gis_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (id > 0)
        sqlite3_bind_int64(st, 1, id);
    else
        sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        found = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return found;
}

/* Books one payment. With a key already booked, books nothing, sets *duplicate and fills *booked (when
 * not NULL) with the row that key booked; else *booked is the new row. */
static enum err_code payment_insert(struct gis_store *w, const struct gis_ledger *l, long payer_id, long amount_gr,
                                    int paid_on, const char *source, const char *key, const char *title,
                                    long statement_id, struct gis_payment *booked, bool *duplicate, struct err *e)
{
    sqlite3_stmt *st;
    char sql[256];
    *duplicate = false;
    if (key) {
        snprintf(sql, sizeof sql, "SELECT id, payer_id, amount_gr, paid_on FROM %s WHERE source_key = ?", l->payments);
        if (gis_store_prepare(w, sql, &st, e))
            return e->code;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            *duplicate = true;
            if (booked) {
                booked->id = sqlite3_column_int64(st, 0);
                booked->payer_id = sqlite3_column_int64(st, 1);
                booked->amount_gr = sqlite3_column_int64(st, 2);
                booked->paid_on = 0;
                gis_cal_parse_date((const char *)sqlite3_column_text(st, 3), &booked->paid_on);
            }
        }
        sqlite3_finalize(st);
        if (*duplicate)
            return ERR_OK;
    }
    snprintf(sql, sizeof sql,
             "INSERT INTO %s (payer_id, amount_gr, paid_on, source, source_key, statement_id, title, recorded_at) "
             "VALUES (?,?,?,?,?,?,?, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ','now'))",
             l->payments);
    if (gis_store_prepare(w, sql, &st, e))
        return e->code;
    char d[11];
    gis_cal_format_date(paid_on, d);
    sqlite3_bind_int64(st, 1, payer_id);
    sqlite3_bind_int64(st, 2, amount_gr);
    sqlite3_bind_text(st, 3, d, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, key, -1, SQLITE_STATIC);
    if (statement_id)
        sqlite3_bind_int64(st, 6, statement_id);
    sqlite3_bind_text(st, 7, title, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return payments_db_err(w, e, "payment");
    if (booked)
        *booked = (struct gis_payment){.id = (long)sqlite3_last_insert_rowid(gis_store_db(w)),
                                       .payer_id = payer_id,
                                       .amount_gr = amount_gr,
                                       .paid_on = paid_on};
    return ERR_OK;
}

enum err_code gis_payment_add(struct gis_store *w, const struct gis_ledger *l, long payer_id, const char *account,
                              long amount_gr, int paid_on, const char *source, const char *key, const char *title,
                              struct gis_payment *booked, bool *duplicate, struct err *e)
{
    if (amount_gr <= 0 || amount_gr > 100000000)
        return err_param(e, "amount", "amount must be more than 0 and at most 1000000.00 zł");
    long pid = gis_payer_find(w, l, payer_id, account);
    if (!pid)
        return err_set(e, ERR_UNPROCESSABLE, "no payer %s%.40s", payer_id > 0 ? "with id " : "with account ",
                       payer_id > 0 ? ""
                       : account    ? account
                                    : "");
    struct gis_payment b = {0};
    enum err_code rc = payment_insert(w, l, pid, amount_gr, paid_on, source, key, title, 0, &b, duplicate, e);
    if (rc)
        return rc;
    if (booked)
        *booked = b;
    /* A replay must book the same thing; anything else under a booked key is a second payment that was
     * not booked, and saying "duplicate" with the request's figures would report money that is not there. */
    if (*duplicate && (b.amount_gr != amount_gr || b.payer_id != pid)) {
        char d[11];
        gis_cal_format_date(b.paid_on, d);
        return err_at(e, ERR_CONFLICT, "reference",
                      "this reference was already booked %s: %ld.%02ld zł for payer %ld on %s; book a different "
                      "payment under a new reference",
                      b.amount_gr != amount_gr ? "with another amount" : "for another payer", b.amount_gr / 100,
                      b.amount_gr % 100, b.payer_id, d);
    }
    return ERR_OK;
}

/* ---- bank statements ---- */

#define STMT_MAX_LINES  100000
#define STMT_MAX_FIELDS 32

/* Splits one CSV line (already without its newline) into fields, in place; handles "quoted" fields with
 * "" escapes. Returns the field count, or -1 for a broken quote. */
static int csv_split(char *line, char sep, char **fields, int cap)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == cap)
            return -1;
        while (*p == ' ')
            p++;
        if (*p == '"') {
            char *o = ++p;
            fields[n++] = o;
            for (;;) {
                if (!*p)
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *o++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *o++ = *p++;
                }
            }
            *o = 0;
            while (*p == ' ')
                p++;
            if (!*p)
                return n;
            if (*p != sep)
                return -1;
            p++;
        } else {
            fields[n++] = p;
            while (*p && *p != sep)
                p++;
            bool last = !*p;
            char *end = p;
            while (end > fields[n - 1] && end[-1] == ' ')
                end--;
            *end = 0;
            if (last)
                return n;
            p++;
        }
    }
}

/* Parses "123", "123.45", "123,4" (zł) into grosze; false otherwise. */
static bool parse_amount(const char *s, long *gr)
{
    long zl = 0, frac = 0;
    int digits = 0, fd = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        zl = zl * 10 + (*p - '0');
        if (digits > 9)
            return false;
    }
    if (!digits)
        return false;
    if (*p == '.' || *p == ',') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, fd++) {
            if (fd == 2)
                return false;
            frac = frac * 10 + (*p - '0');
        }
        if (fd == 0)
            return false;
        if (fd == 1)
            frac *= 10;
    }
    if (*p)
        return false;
    *gr = zl * 100 + frac;
    return true;
}

/* The account number with spaces and a leading "PL" removed, into out (27 bytes); false when it is not
 * 26 digits with valid check digits. */
static bool normalise_account(const char *s, char out[27])
{
    int n = 0;
    if (!strncasecmp(s, "PL", 2))
        s += 2;
    for (; *s; s++) {
        if (*s == ' ')
            continue;
        if (*s < '0' || *s > '9' || n == 26)
            return false;
        out[n++] = *s;
    }
    out[n] = 0;
    return n == 26 && gis_nrb_valid(out);
}

struct stmt_line {
    int lineno;
    long payer_id;
    long amount_gr;
    int day;
    const char *key, *title;
};

static unsigned long long fnv1a(const char *s, unsigned long long h)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The columns a statement's header names, and its separator. */
struct stmt_cols {
    int id, date, amount, account, title, n;
    char sep;
};

/* Reads the header line: ';' or ',' separated, naming date, amount and account (and id, title). */
static enum err_code stmt_header(char *line, int lineno, struct stmt_cols *c, struct err *e)
{
    char *f[STMT_MAX_FIELDS];
    *c = (struct stmt_cols){-1, -1, -1, -1, -1, 0, strchr(line, ';') ? ';' : ','};
    c->n = csv_split(line, c->sep, f, STMT_MAX_FIELDS);
    for (int i = 0; i < c->n; i++) {
        if (!strcasecmp(f[i], "id"))
            c->id = i;
        else if (!strcasecmp(f[i], "date"))
            c->date = i;
        else if (!strcasecmp(f[i], "amount"))
            c->amount = i;
        else if (!strcasecmp(f[i], "account"))
            c->account = i;
        else if (!strcasecmp(f[i], "title"))
            c->title = i;
    }
    if (c->n < 0 || c->date < 0 || c->amount < 0 || c->account < 0)
        return err_set(e, ERR_UNPROCESSABLE,
                       "line %d: the header must name the columns date, amount and account (and id, title)", lineno);
    return ERR_OK;
}

/* A line's key: "stmt:" and the bank's id; without one, the line itself is the key, and since a repeat of
 * the same line in this file is a second payment, the occurrence number is part of it. */
static const char *stmt_key(struct arena *a, const char *id, const char *raw, const struct stmt_line *lines, int nlines)
{
    if (id)
        return arena_printf(a, "stmt:%s", id);
    unsigned long long h = fnv1a(raw ? raw : "", 1469598103934665603ULL);
    int occ = 0;
    for (int i = 0; i < nlines; i++)
        if (lines[i].key && !strncmp(lines[i].key, "stmt#", 5) &&
            !strncmp(lines[i].key + 5, arena_printf(a, "%016llx", h), 16))
            occ++;
    return arena_printf(a, "stmt#%016llx#%d", h, occ);
}

/* One payment line: its date, amount, payer (by account) and title, and its key. */
static enum err_code stmt_line_read(struct gis_store *w, const struct gis_ledger *l, struct arena *a,
                                    const struct stmt_cols *c, char *line, int lineno, const struct stmt_line *lines,
                                    int nlines, struct stmt_line *sl, struct err *e)
{
    char *f[STMT_MAX_FIELDS];
    char *raw = arena_strdup(a, line);
    int nf = csv_split(line, c->sep, f, STMT_MAX_FIELDS);
    if (nf != c->n)
        return err_set(e, ERR_UNPROCESSABLE, "line %d: %d fields, the header has %d%s", lineno, nf < 0 ? 0 : nf, c->n,
                       nf < 0 ? " (broken quotes)" : "");
    *sl = (struct stmt_line){.lineno = lineno};
    if (!gis_cal_parse_date(f[c->date], &sl->day))
        return err_set(e, ERR_UNPROCESSABLE, "line %d: date '%.20s' is not YYYY-MM-DD", lineno, f[c->date]);
    if (!parse_amount(f[c->amount], &sl->amount_gr) || sl->amount_gr <= 0 || sl->amount_gr > 100000000)
        return err_set(e, ERR_UNPROCESSABLE, "line %d: amount '%.20s' is not a positive amount in zł like 59.00",
                       lineno, f[c->amount]);
    char acc[27];
    if (!normalise_account(f[c->account], acc))
        return err_set(e, ERR_UNPROCESSABLE, "line %d: account '%.40s' is not a valid NRB (26 digits, mod 97)", lineno,
                       f[c->account]);
    if (!(sl->payer_id = gis_payer_find(w, l, 0, acc)))
        return err_set(e, ERR_UNPROCESSABLE, "line %d: account %s belongs to no payer of this gmina", lineno, acc);
    sl->title = c->title >= 0 ? arena_strdup(a, f[c->title]) : NULL;
    const char *id = c->id >= 0 && *f[c->id] ? f[c->id] : NULL;
    if (id && strlen(id) > 100)
        return err_set(e, ERR_UNPROCESSABLE, "line %d: id longer than 100 characters", lineno);
    if (!(sl->key = stmt_key(a, id, raw, lines, nlines)))
        return err_set(e, ERR_INTERNAL, "out of memory");
    return ERR_OK;
}

/* The statement's lines, read and checked; ERR_UNPROCESSABLE naming the line that is wrong. */
static enum err_code stmt_read(struct gis_store *w, const struct gis_ledger *l, struct arena *a, char *text,
                               struct stmt_line **out, int *nout, struct err *e)
{
    struct stmt_line *lines = arena_alloc(a, sizeof *lines * 1024);
    int nlines = 0, caplines = 1024, lineno = 0;
    struct stmt_cols cols = {0};
    bool header = false;
    enum err_code rc;
    if (!lines)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (!strncmp(text, "\xEF\xBB\xBF", 3)) /* a BOM */
        text += 3;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        size_t linelen = strlen(line);
        if (linelen && line[linelen - 1] == '\r')
            line[--linelen] = 0;
        if (linelen == 0)
            continue;
        if (!header) {
            if ((rc = stmt_header(line, lineno, &cols, e)))
                return rc;
            header = true;
            continue;
        }
        if (nlines == STMT_MAX_LINES)
            return err_set(e, ERR_UNPROCESSABLE, "the statement has more than %d lines", STMT_MAX_LINES);
        struct stmt_line sl;
        if ((rc = stmt_line_read(w, l, a, &cols, line, lineno, lines, nlines, &sl, e)))
            return rc;
        if (nlines == caplines) {
            struct stmt_line *nl = arena_alloc(a, sizeof *nl * (size_t)caplines * 2);
            if (!nl)
                return err_set(e, ERR_INTERNAL, "out of memory");
            memcpy(nl, lines, sizeof *nl * (size_t)nlines);
            lines = nl;
            caplines *= 2;
        }
        lines[nlines++] = sl;
    }
    if (!header)
        return err_set(e, ERR_UNPROCESSABLE, "the statement is empty");
    if (nlines == 0)
        return err_set(e, ERR_UNPROCESSABLE, "the statement has a header but no payment lines");
    *out = lines;
    *nout = nlines;
    return ERR_OK;
}

/* Books the lines: one row of the ledger's statements, a payment per line (a line booked before is a
 * duplicate), and the statement's totals. */
static enum err_code stmt_book(struct gis_store *w, const struct gis_ledger *l, const struct stmt_line *lines,
                               int nlines, struct gis_statement_totals *out, struct err *e)
{
    sqlite3_stmt *st;
    char sql[200];
    enum err_code rc;
    snprintf(sql, sizeof sql,
             "INSERT INTO %s (imported_at, lines, booked, duplicates) "
             "VALUES (strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ','now'), ?, 0, 0)",
             l->statements);
    if ((rc = gis_store_prepare(w, sql, &st, e)))
        return rc;
    sqlite3_bind_int(st, 1, nlines);
    int s = sqlite3_step(st);
    sqlite3_finalize(st);
    if (s != SQLITE_DONE)
        return payments_db_err(w, e, "statement");
    long sid = (long)sqlite3_last_insert_rowid(gis_store_db(w));
    out->lines = nlines;
    for (int i = 0; i < nlines; i++) {
        bool dup;
        if ((rc = payment_insert(w, l, lines[i].payer_id, lines[i].amount_gr, lines[i].day, "statement", lines[i].key,
                                 lines[i].title, sid, NULL, &dup, e)))
            return rc;
        if (dup) {
            out->duplicates++;
        } else {
            out->booked++;
            out->booked_gr += lines[i].amount_gr;
        }
    }
    snprintf(sql, sizeof sql, "UPDATE %s SET booked = ?, duplicates = ? WHERE id = ?", l->statements);
    if ((rc = gis_store_prepare(w, sql, &st, e)))
        return rc;
    sqlite3_bind_int(st, 1, out->booked);
    sqlite3_bind_int(st, 2, out->duplicates);
    sqlite3_bind_int64(st, 3, sid);
    s = sqlite3_step(st);
    sqlite3_finalize(st);
    if (s != SQLITE_DONE)
        return payments_db_err(w, e, "statement");
    return ERR_OK;
}

enum err_code gis_statement_import(struct gis_store *w, const struct gis_ledger *l, const char *csv, size_t len,
                                   struct gis_statement_totals *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (!csv || len == 0)
        return err_set(e, ERR_UNPROCESSABLE, "the statement is empty");
    if (memchr(csv, 0, len))
        return err_set(e, ERR_UNPROCESSABLE, "the statement is not text (it contains NUL bytes)");
    struct arena *a = arena_new(1 << 16);
    if (!a)
        return err_set(e, ERR_INTERNAL, "out of memory");
    char *text = arena_strndup(a, csv, len);
    struct stmt_line *lines = NULL;
    int nlines = 0;
    enum err_code rc = text ? stmt_read(w, l, a, text, &lines, &nlines, e) : err_set(e, ERR_INTERNAL, "out of memory");
    if (!rc)
        rc = stmt_book(w, l, lines, nlines, out, e);
    arena_free(a);
    return rc;
}
