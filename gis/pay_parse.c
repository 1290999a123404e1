/* Bank statement parsing for the payments core (gis/pay.h): SWIFT MT940 with the Polish :86: subfields,
 * and banks' CSV exports read through their [bank.NAME] column mapping. Nothing here touches the store. */
#include <iconv.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/calendar.h"
#include "gis/pay.h"
#include "util/text.h"

/* ---- shared pieces ---- */

/* The text as UTF-8, NUL-terminated in a: as it is when valid UTF-8, else converted from windows-1250. */
static char *pay_text_utf8(struct arena *a, const char *data, size_t len)
{
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
        data += 3, len -= 3;
    if (text_utf8_valid(data, len)) {
        /* malloc, not arena_alloc: a statement runs to megabytes, and the arena would clear them first */
        char *t = malloc(len + 1);
        if (!t || arena_defer(a, free, t)) {
            free(t);
            return NULL;
        }
        memcpy(t, data, len);
        t[len] = 0;
        return t;
    }
    iconv_t cd = iconv_open("UTF-8", "WINDOWS-1250");
    if (cd == (iconv_t)-1)
        return NULL;
    size_t cap = len * 3 + 1, inleft = len, outleft = cap - 1; /* a windows-1250 byte is at most 3 in UTF-8 */
    char *out = malloc(cap), *in = (char *)data, *o = out;
    if (out && arena_defer(a, free, out)) {
        free(out);
        out = NULL;
    }
    bool ok = out && iconv(cd, &in, &inleft, &o, &outleft) != (size_t)-1;
    iconv_close(cd);
    if (!ok)
        return NULL;
    *o = 0;
    return out;
}

/* The next line of *p (CR LF or LF ended), NUL-terminated in place; NULL at the end. */
static char *next_line(char **p)
{
    char *s = *p;
    if (!s || !*s)
        return NULL;
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = 0;
        *p = nl + 1;
    } else {
        *p = s + strlen(s);
    }
    size_t n = strlen(s);
    if (n && s[n - 1] == '\r')
        s[n - 1] = 0;
    return s;
}

/* Parses a signed amount: "-1 234,56", "+12.5", "100", "1 234,56 PLN" (spaces and no-break spaces as
 * thousands separators) into grosze; false otherwise. */
static bool pay_amount(const char *s, long *gr)
{
    bool neg = false;
    long v = 0;
    int digits = 0, fd = -1;
    while (*s == ' ')
        s++;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9') {
            if (fd >= 2 || digits > 12)
                return false;
            v = v * 10 + (*s - '0');
            digits++;
            if (fd >= 0)
                fd++;
        } else if ((*s == ',' || *s == '.') && fd < 0 && digits) {
            fd = 0;
        } else if (*s == ' ' && fd < 0) {
            continue;
        } else if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0 && fd < 0) {
            s++;
        } else if (!strcmp(s, " PLN") || !strcmp(s, "PLN")) {
            break;
        } else {
            return false;
        }
    }
    if (!digits || fd == 0)
        return false;
    for (int i = fd < 0 ? 0 : fd; i < 2; i++)
        v *= 10;
    *gr = neg ? -v : v;
    return true;
}

/* Adds to tx the valid NRBs written in text (26 digits, spaces allowed between groups, "PL" before). */
static void va_scan(struct arena *a, const char *text, struct gis_pay_tx *tx)
{
    for (const char *p = text; p && *p && tx->nva < 4; p++) {
        if (*p < '0' || *p > '9' || (p > text && p[-1] >= '0' && p[-1] <= '9'))
            continue;
        char d[27];
        int n = 0;
        const char *q = p;
        for (; *q && n < 27; q++) {
            if (*q >= '0' && *q <= '9')
                d[n < 26 ? n : 26] = *q, n++;
            else if (*q != ' ' || !(q[1] >= '0' && q[1] <= '9'))
                break;
        }
        if (n == 26) {
            d[26] = 0;
            if (gis_nrb_valid(d))
                tx->va[tx->nva++] = arena_strdup(a, d);
            p = q - 1;
        }
    }
}

/* Counts repeats of the same line hash, so that two identical lines in one file are two payments while
 * the same line in a later file is the same payment: an open-addressing table of (hash, count). */
struct occ_table {
    unsigned long long *h;
    int *count;
    size_t cap;
};

static bool occ_init(struct arena *a, struct occ_table *t, size_t n)
{
    t->cap = 64;
    while (t->cap < n * 2)
        t->cap *= 2;
    t->h = arena_alloc(a, t->cap * sizeof *t->h);
    t->count = arena_alloc(a, t->cap * sizeof *t->count);
    if (!t->h || !t->count)
        return false;
    memset(t->h, 0, t->cap * sizeof *t->h);
    memset(t->count, 0, t->cap * sizeof *t->count);
    return true;
}

/* The number of earlier occurrences of h (0 the first time). */
static int occ_next(struct occ_table *t, unsigned long long h)
{
    h |= 1; /* 0 marks a free slot */
    size_t i = h & (t->cap - 1);
    while (t->h[i] && t->h[i] != h)
        i = (i + 1) & (t->cap - 1);
    t->h[i] = h;
    return t->count[i]++;
}

#define FNV_BASIS 1469598103934665603ULL

static unsigned long long fnv(const char *s, unsigned long long h)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL; /* a field separator */
}

/* The growing array of transactions. */
struct tx_list {
    struct gis_pay_tx *v;
    unsigned long long *hash; /* of what identifies each line, for a key when the bank gives no reference */
    int n, cap;
};

static struct gis_pay_tx *tx_push(struct arena *a, struct tx_list *l)
{
    (void)a;
    if (l->n == GIS_PAY_MAX_LINES)
        return NULL;
    if (l->n == l->cap) { /* realloc'd (tx_list_done hands v to the arena): no clearing of what is copied */
        int cap = l->cap ? l->cap * 2 : 256;
        struct gis_pay_tx *v = realloc(l->v, sizeof *v * (size_t)cap);
        if (v)
            l->v = v;
        unsigned long long *hash = v ? realloc(l->hash, sizeof *hash * (size_t)cap) : NULL;
        if (!hash)
            return NULL;
        l->hash = hash, l->cap = cap;
    }
    l->hash[l->n] = FNV_BASIS;
    struct gis_pay_tx *t = &l->v[l->n++];
    memset(t, 0, sizeof *t);
    return t;
}

/* Ends the list: on success its transactions go to the arena (freed with it), else they are freed. */
static enum err_code tx_list_done(struct arena *a, struct tx_list *l, enum err_code rc, struct err *e)
{
    free(l->hash);
    l->hash = NULL;
    if (!rc && l->v && arena_defer(a, free, l->v))
        rc = err_set(e, ERR_INTERNAL, "out of memory");
    if (rc) {
        free(l->v);
        l->v = NULL;
    }
    return rc;
}

/* Gives every transaction without the bank's reference a key from the hash of its text and its
 * occurrence in the file. */
static bool keys_from_hash(struct arena *a, struct tx_list *l, const char *prefix)
{
    struct occ_table t;
    if (!occ_init(a, &t, (size_t)l->n))
        return false;
    for (int i = 0; i < l->n; i++) {
        if (l->v[i].key)
            continue;
        unsigned long long h = l->hash[i];
        l->v[i].key = arena_printf(a, "%s#%016llx#%d", prefix, h, occ_next(&t, h));
        if (!l->v[i].key)
            return false;
    }
    return true;
}

/* ---- MT940 ---- */

/* One field of an MT940 message: its tag and its text with continuation lines joined by '\n'. */
struct mt_field {
    char tag[6];
    char *text;
    int lineno;
};

/* The state of one MT940 statement (:20: to :62F:). */
struct mt_state {
    const char *account; /* :25: */
    bool open;           /* an opening balance was read */
    long balance;        /* opening plus the lines so far */
    int open_line;
    int last; /* the index of the last :61:, which a :86: describes; -1 after its :86: */
};

/* "C231204PLN1234,56" (a :60F:/:62F: balance) into grosze. */
static bool mt_balance(const char *s, long *gr)
{
    if ((s[0] != 'C' && s[0] != 'D') || strlen(s) < 11 || strspn(s + 1, "0123456789") < 6)
        return false;
    long v;
    if (!pay_amount(s + 10, &v) || v < 0)
        return false;
    *gr = s[0] == 'D' ? -v : v;
    return true;
}

/* YYMMDD into a day number (years 00-79 are 20xx). */
static bool mt_date(const char *s, int *day)
{
    if (strspn(s, "0123456789") < 6)
        return false;
    char iso[11] = "2000-00-00";
    int yy = (s[0] - '0') * 10 + (s[1] - '0');
    if (yy >= 80)
        iso[0] = '1', iso[1] = '9';
    iso[2] = s[0], iso[3] = s[1], iso[5] = s[2], iso[6] = s[3], iso[8] = s[4], iso[9] = s[5];
    return gis_cal_parse_date(iso, day);
}

/* A :61: statement line: value date, [entry date], C/D/RC/RD, [funds code], amount, type (N + 3),
 * customer reference, [//bank reference], and on the next line supplementary details. */
static enum err_code mt_61(struct arena *a, const struct mt_field *f, struct mt_state *ms, struct gis_pay_tx *tx,
                           struct err *e)
{
    const char *s = f->text;
    tx->lineno = f->lineno;
    if (!mt_date(s, &tx->booked_on))
        return err_set(e, ERR_UNPROCESSABLE, "line %d: :61: does not start with a value date YYMMDD", f->lineno);
    s += 6;
    if (strspn(s, "0123456789") >= 4)
        s += 4; /* the entry date MMDD */
    int sign;
    if (!strncmp(s, "RC", 2) || !strncmp(s, "RD", 2)) /* reversals: of a credit is a debit */
        sign = s[1] == 'C' ? -1 : 1, s += 2;
    else if (*s == 'C' || *s == 'D')
        sign = *s == 'C' ? 1 : -1, s++;
    else
        return err_set(e, ERR_UNPROCESSABLE, "line %d: :61: has no debit/credit mark (C, D, RC, RD)", f->lineno);
    if (*s >= 'A' && *s <= 'Z')
        s++; /* the funds code, a letter before the amount */
    char amt[20];
    size_t n = strspn(s, "0123456789,");
    if (n == 0 || n >= sizeof amt || !strchr("NFS", s[n]))
        return err_set(e, ERR_UNPROCESSABLE, "line %d: :61: amount is not digits with a decimal comma", f->lineno);
    memcpy(amt, s, n);
    amt[n] = 0;
    long v;
    if (!strchr(amt, ',') || !pay_amount(amt, &v))
        return err_set(e, ERR_UNPROCESSABLE, "line %d: :61: amount '%s' is not an amount", f->lineno, amt);
    tx->amount_gr = sign * v;
    s += n;
    if (strlen(s) < 4)
        return err_set(e, ERR_UNPROCESSABLE, "line %d: :61: ends before its transaction type", f->lineno);
    s += 4; /* the transaction type: N, F or S and three characters */
    const char *nl = strchr(s, '\n');
    const char *bankref = strstr(s, "//");
    if (bankref && (!nl || bankref < nl)) {
        size_t rl = nl ? (size_t)(nl - bankref - 2) : strlen(bankref + 2);
        char *ref = arena_strndup(a, bankref + 2, rl);
        if (ref && *ref && strcasecmp(ref, "NONREF"))
            tx->key = arena_printf(a, "mt940:%s:%s", ms->account ? ms->account : "", ref);
    }
    if (nl)
        va_scan(a, nl + 1, tx); /* the supplementary details may name the virtual account */
    ms->balance += tx->amount_gr;
    return ERR_OK;
}

/* The value of subfield ~NN of a :86: text (separator sep), concatenated for a range, into buf (cap bytes,
 * cut there); "" when absent. */
static char *mt_sub(char *buf, size_t cap, const char *text, char sep, int from, int to)
{
    size_t o = 0;
    for (const char *p = text; (p = strchr(p, sep)) != NULL; p++) {
        if (!(p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9'))
            continue;
        int k = (p[1] - '0') * 10 + (p[2] - '0');
        if (k < from || k > to)
            continue;
        const char *v = p + 3, *end = strchr(v, sep);
        size_t n = end ? (size_t)(end - v) : strlen(v);
        if (n > cap - 1 - o)
            n = cap - 1 - o;
        memcpy(buf + o, v, n);
        o += n;
    }
    buf[o] = 0;
    return buf;
}

/* A copy in a of s, or NULL for "". */
static const char *kept(struct arena *a, const char *s)
{
    return *s ? arena_strdup(a, s) : NULL;
}

/* A :86: information field: "NNN" and ~NN subfields: ~20-~25 title, ~30 bank and ~31 account of the
 * counterparty, ~32-~33 its name, ~38 its IBAN, ~60-~63 more. Unstructured text is the title. Works in
 * buffers of its own; only what the transaction keeps goes to a. */
static void mt_86(struct arena *a, const char *text, struct gis_pay_tx *tx)
{
    char flat[2048], sub[512], bank[64], acc[64];
    size_t o = 0;
    for (const char *p = text; *p && o + 1 < sizeof flat; p++)
        if (*p != '\n' && *p != '\r')
            flat[o++] = *p;
    flat[o] = 0;
    char sep = o > 3 && strchr("~^<", flat[3]) ? flat[3] : 0;
    if (!sep) {
        tx->title = kept(a, flat);
        va_scan(a, flat, tx);
        return;
    }
    tx->title = kept(a, mt_sub(sub, sizeof sub, flat, sep, 20, 25));
    tx->counterparty = kept(a, mt_sub(sub, sizeof sub, flat, sep, 32, 33));
    const char *iban = mt_sub(sub, sizeof sub, flat, sep, 38, 38);
    if (!strncasecmp(iban, "PL", 2))
        iban += 2;
    if (*iban) {
        tx->cp_nrb = kept(a, iban);
    } else {
        char bban[32];
        mt_sub(bank, sizeof bank, flat, sep, 30, 30);
        mt_sub(acc, sizeof acc, flat, sep, 31, 31);
        if (snprintf(bban, sizeof bban, "%s%s", bank, acc) == 24 && gis_nrb_check(bban) >= 0)
            tx->cp_nrb = arena_printf(a, "%02d%s", gis_nrb_check(bban), bban);
    }
    va_scan(a, mt_sub(sub, sizeof sub, flat, sep, 60, 63), tx);
    va_scan(a, tx->title, tx);
}

/* Reads the fields of MT940 text in order, calling mt_field_do for each. */
static enum err_code mt_field_do(struct arena *a, struct mt_field *f, struct mt_state *ms, struct tx_list *l,
                                 struct err *e)
{
    const char *t = f->tag;
    if (!strcmp(t, "20")) {
        if (ms->open)
            return err_set(e, ERR_UNPROCESSABLE,
                           "line %d: a new statement (:20:) begins before the one opened on line %d closed (:62F:)",
                           f->lineno, ms->open_line);
        *ms = (struct mt_state){.last = -1};
    } else if (!strcmp(t, "25")) {
        const char *s = f->text;
        while (*s == '/')
            s++;
        ms->account = arena_strdup(a, s);
    } else if (!strcmp(t, "60F") || !strcmp(t, "60M")) {
        if (!mt_balance(f->text, &ms->balance))
            return err_set(e, ERR_UNPROCESSABLE,
                           "line %d: opening balance '%.30s' is not C/D, YYMMDD, currency, amount", f->lineno, f->text);
        ms->open = true, ms->open_line = f->lineno;
    } else if (!strcmp(t, "61")) {
        if (!ms->open)
            return err_set(e, ERR_UNPROCESSABLE, "line %d: a :61: line before the opening balance (:60F:)", f->lineno);
        struct gis_pay_tx *tx = tx_push(a, l);
        if (!tx)
            return err_set(e, ERR_UNPROCESSABLE, "line %d: more than %d transactions", f->lineno, GIS_PAY_MAX_LINES);
        if (mt_61(a, f, ms, tx, e))
            return e->code;
        ms->last = l->n - 1;
        l->hash[ms->last] = fnv(f->text, fnv(ms->account, FNV_BASIS));
    } else if (!strcmp(t, "86")) {
        if (ms->last >= 0) {
            mt_86(a, f->text, &l->v[ms->last]);
            l->hash[ms->last] = fnv(f->text, l->hash[ms->last]);
        }
        ms->last = -1;
    } else if (!strcmp(t, "62F") || !strcmp(t, "62M")) {
        long closing;
        if (!ms->open)
            return err_set(e, ERR_UNPROCESSABLE, "line %d: a closing balance without an opening one", f->lineno);
        if (!mt_balance(f->text, &closing))
            return err_set(e, ERR_UNPROCESSABLE,
                           "line %d: closing balance '%.30s' is not C/D, YYMMDD, currency, amount", f->lineno, f->text);
        if (closing != ms->balance)
            return err_set(e, ERR_UNPROCESSABLE,
                           "line %d: the closing balance %ld.%02ld does not equal the opening balance plus the "
                           "lines (%ld.%02ld): the statement is incomplete or altered",
                           f->lineno, closing / 100, labs(closing % 100), ms->balance / 100, labs(ms->balance % 100));
        ms->open = false;
    }
    if (strcmp(t, "61") != 0 && strcmp(t, "86") != 0)
        ms->last = -1;
    return ERR_OK;
}

static bool mt_is_tag(const char *line, char tag[6])
{
    if (line[0] != ':')
        return false;
    size_t n = strspn(line + 1, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    if (n < 2 || n > 3 || line[1 + n] != ':')
        return false;
    memcpy(tag, line + 1, n);
    tag[n] = 0;
    return true;
}

/* The text of the field being read, grown line by line (malloc'd, reused). */
struct mt_buf {
    char *s;
    size_t n, cap;
};

static bool mt_buf_add(struct mt_buf *b, const char *sep, const char *line)
{
    size_t ls = strlen(sep), ll = strlen(line);
    if (b->n + ls + ll + 1 > b->cap) {
        size_t cap = (b->n + ls + ll + 1) * 2;
        char *ns = realloc(b->s, cap);
        if (!ns)
            return false;
        b->s = ns, b->cap = cap;
    }
    memcpy(b->s + b->n, sep, ls);
    memcpy(b->s + b->n + ls, line, ll + 1);
    b->n += ls + ll;
    return true;
}

/* The field in buf, done: copied into a and handled. */
static enum err_code mt_flush(struct arena *a, struct mt_field *f, struct mt_buf *buf, struct mt_state *ms,
                              struct tx_list *l, struct err *e)
{
    if (!f->tag[0])
        return ERR_OK;
    f->text = buf->s; /* mt_field_do copies what it keeps */
    enum err_code rc = mt_field_do(a, f, ms, l, e);
    f->tag[0] = 0;
    return rc;
}

static enum err_code mt940_parse(struct arena *a, char *text, struct gis_pay_statement *out, struct err *e)
{
    struct tx_list l = {0};
    struct mt_state ms = {.last = -1};
    struct mt_field f = {{0}, NULL, 0};
    struct mt_buf buf = {0};
    int lineno = 0;
    enum err_code rc = ERR_OK;
    for (char *p = text, *line; !rc && (line = next_line(&p)) != NULL;) {
        lineno++;
        char tag[6];
        if (line[0] == '{' || !strcmp(line, "-}") || !strcmp(line, "-") || (!*line && !f.tag[0]))
            continue; /* SWIFT blocks and separators */
        if (!mt_is_tag(line, tag)) {
            if (!f.tag[0])
                rc = err_set(e, ERR_UNPROCESSABLE, "line %d: not an MT940 field (:TAG:)", lineno);
            else if (!mt_buf_add(&buf, "\n", line))
                rc = err_set(e, ERR_INTERNAL, "out of memory");
            continue;
        }
        if ((rc = mt_flush(a, &f, &buf, &ms, &l, e)))
            break;
        snprintf(f.tag, sizeof f.tag, "%s", tag);
        f.lineno = lineno;
        buf.n = 0;
        if (!mt_buf_add(&buf, "", line + strlen(tag) + 2))
            rc = err_set(e, ERR_INTERNAL, "out of memory");
    }
    if (!rc)
        rc = mt_flush(a, &f, &buf, &ms, &l, e);
    free(buf.s);
    if (!rc && ms.open)
        rc = err_set(e, ERR_UNPROCESSABLE,
                     "line %d: the file ends inside the statement opened on line %d, without its closing balance "
                     "(:62F:): it was cut; nothing is booked",
                     lineno, ms.open_line);
    if (!rc && !l.n)
        rc = err_set(e, ERR_UNPROCESSABLE, "the MT940 file has no transactions (:61:)");
    if (!rc && !keys_from_hash(a, &l, "mt940"))
        rc = err_set(e, ERR_INTERNAL, "out of memory");
    if ((rc = tx_list_done(a, &l, rc, e)))
        return rc;
    out->format = "mt940";
    out->bank = ms.account ? ms.account : "";
    out->tx = l.v, out->n = l.n;
    return ERR_OK;
}

/* ---- CSV ---- */

/* Splits one CSV line in place ("quoted" fields with "" escapes); the field count, or -1 for a broken
 * quote or more than cap fields. */
static int csv_fields(char *line, char sep, char **f, int cap)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == cap)
            return -1;
        if (*p == '"') {
            char *o = ++p;
            f[n++] = o;
            for (;; p++) {
                if (!*p)
                    return -1;
                if (*p == '"' && p[1] == '"')
                    *o++ = '"', p++;
                else if (*p == '"')
                    break;
                else
                    *o++ = *p;
            }
            *o = 0;
            p++;
            if (!*p)
                return n;
            if (*p != sep)
                return -1;
            p++;
        } else {
            f[n++] = p;
            char *s = strchr(p, sep);
            if (!s)
                return n;
            *s = 0;
            p = s + 1;
        }
    }
}

#define CSV_MAX_FIELDS 64

/* The column index of each mapped name in the header, -1 when absent. */
struct csv_cols {
    int date, amount, title, counterparty, cp_account, va, id, n;
};

static int csv_col(char **f, int n, const char *name)
{
    for (int i = 0; *name && i < n; i++) {
        const char *s = f[i];
        while (*s == ' ')
            s++;
        if (!strcasecmp(s, name))
            return i;
    }
    return -1;
}

/* Whether line is b's header line; fills c when it is. */
static bool csv_header(char *line, const struct config_bank *b, struct csv_cols *c)
{
    char *f[CSV_MAX_FIELDS];
    char *copy = strdup(line);
    int n = copy ? csv_fields(copy, b->sep, f, CSV_MAX_FIELDS) : -1;
    bool is = n > 0 && csv_col(f, n, b->header) >= 0;
    if (is)
        *c = (struct csv_cols){csv_col(f, n, b->date),       csv_col(f, n, b->amount),
                               csv_col(f, n, b->title),      csv_col(f, n, b->counterparty),
                               csv_col(f, n, b->cp_account), csv_col(f, n, b->virtual_account),
                               csv_col(f, n, b->id),         n};
    free(copy);
    return is;
}

static bool csv_date(const char *s, int fmt, int *day)
{
    char iso[11];
    while (*s == ' ')
        s++;
    if (fmt == 0)
        snprintf(iso, sizeof iso, "%.10s", s);
    else if (strlen(s) >= 10 && s[2] == (fmt == 1 ? '.' : '-') && s[5] == s[2])
        snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", s + 6, s + 3, s);
    else
        return false;
    return gis_cal_parse_date(iso, day);
}

static const char *csv_get(struct arena *a, char **f, int i)
{
    return i >= 0 && *f[i] ? arena_strdup(a, f[i]) : NULL;
}

/* One data line of a CSV statement into tx; its hash into *h. */
static enum err_code csv_line(struct arena *a, const struct config_bank *b, const struct csv_cols *c, char *line,
                              int lineno, struct gis_pay_tx *tx, unsigned long long *hash, struct err *e)
{
    char *f[CSV_MAX_FIELDS];
    *hash = fnv(line, fnv(b->name, FNV_BASIS));
    int n = csv_fields(line, b->sep, f, CSV_MAX_FIELDS);
    if (n != c->n)
        return err_set(e, ERR_UNPROCESSABLE, "line %d: %d fields where the header has %d%s; nothing is booked", lineno,
                       n < 0 ? 0 : n, c->n, n < 0 ? " (broken quotes)" : "");
    tx->lineno = lineno;
    if (!csv_date(f[c->date], b->date_format, &tx->booked_on))
        return err_set(e, ERR_UNPROCESSABLE, "line %d: date '%.20s' is not %s", lineno, f[c->date],
                       b->date_format == 0   ? "YYYY-MM-DD"
                       : b->date_format == 1 ? "DD.MM.YYYY"
                                             : "DD-MM-YYYY");
    if (!pay_amount(f[c->amount], &tx->amount_gr) || labs(tx->amount_gr) > 100000000000L)
        return err_set(e, ERR_UNPROCESSABLE, "line %d: amount '%.20s' is not an amount like -1 234,56", lineno,
                       f[c->amount]);
    tx->title = csv_get(a, f, c->title);
    tx->counterparty = csv_get(a, f, c->counterparty);
    const char *cp = csv_get(a, f, c->cp_account);
    struct gis_pay_tx tmp = {0};
    va_scan(a, cp, &tmp);
    tx->cp_nrb = tmp.nva ? tmp.va[0] : cp;
    va_scan(a, csv_get(a, f, c->va), tx);
    va_scan(a, tx->title, tx);
    const char *id = csv_get(a, f, c->id);
    if (id && strlen(id) > 100)
        return err_set(e, ERR_UNPROCESSABLE, "line %d: transaction id longer than 100 characters", lineno);
    if (id)
        tx->key = arena_printf(a, "csv:%s:%s", b->name, id);
    return ERR_OK;
}

static enum err_code csv_parse(struct arena *a, char *text, bool converted, const struct config *cfg, const char *bank,
                               struct gis_pay_statement *out, struct err *e)
{
    const struct config_bank *b = NULL;
    struct csv_cols c = {0};
    int lineno = 0;
    char *p = text, *line;
    /* the header line, within the first 30 lines (exports put the account and period above it) */
    while (!b && lineno < 30 && (line = next_line(&p)) != NULL) {
        lineno++;
        for (int i = 0; !b && i < cfg->n_banks; i++)
            if ((!bank || !strcmp(bank, cfg->banks[i].name)) && csv_header(line, &cfg->banks[i], &c))
                b = &cfg->banks[i];
    }
    if (!b && bank && !config_bank_find(cfg, bank))
        return err_at(e, ERR_UNPROCESSABLE, "bank", "no bank '%.32s' is configured ([bank.NAME])", bank);
    if (!b)
        return err_set(e, ERR_UNPROCESSABLE,
                       "neither MT940 nor the CSV of a configured bank: no header line of %s found",
                       bank ? bank : "any [bank.NAME]");
    if (c.date < 0 || c.amount < 0)
        return err_set(e, ERR_UNPROCESSABLE, "line %d: the header of bank %s lacks its date or amount column", lineno,
                       b->name);
    if (converted && !b->cp1250)
        return err_set(e, ERR_UNPROCESSABLE, "the statement is not valid UTF-8, as bank %s's exports are (encoding)",
                       b->name);
    struct tx_list l = {0};
    enum err_code rc = ERR_OK;
    while (!rc && (line = next_line(&p)) != NULL) {
        lineno++;
        if (!*line)
            break; /* the data end at the first empty line; a footer may follow */
        struct gis_pay_tx *tx = tx_push(a, &l);
        if (!tx) {
            rc = err_set(e, ERR_UNPROCESSABLE, "line %d: more than %d transactions", lineno, GIS_PAY_MAX_LINES);
            break;
        }
        rc = csv_line(a, b, &c, line, lineno, tx, &l.hash[l.n - 1], e);
    }
    if (!rc && !l.n)
        rc = err_set(e, ERR_UNPROCESSABLE, "the statement of bank %s has a header but no transactions", b->name);
    if (!rc && !keys_from_hash(a, &l, arena_printf(a, "csv:%s", b->name)))
        rc = err_set(e, ERR_INTERNAL, "out of memory");
    if ((rc = tx_list_done(a, &l, rc, e)))
        return rc;
    out->format = "csv";
    out->bank = b->name;
    out->tx = l.v, out->n = l.n;
    return ERR_OK;
}

enum err_code gis_pay_parse(struct arena *a, const char *data, size_t len, const struct config *cfg, const char *bank,
                            struct gis_pay_statement *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (!data || !len)
        return err_set(e, ERR_UNPROCESSABLE, "the statement is empty");
    if (memchr(data, 0, len))
        return err_set(e, ERR_UNPROCESSABLE, "the statement is not text (it contains NUL bytes)");
    unsigned char dg[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(dg, (const unsigned char *)data, len);
    sodium_bin2hex(out->sha256, sizeof out->sha256, dg, sizeof dg);
    bool converted = !text_utf8_valid(data, len);
    char *text = pay_text_utf8(a, data, len);
    if (!text)
        return err_set(e, ERR_UNPROCESSABLE, "the statement is neither UTF-8 nor windows-1250 text");
    const char *s = text;
    while (*s == '\r' || *s == '\n' || *s == ' ')
        s++;
    if (!strncmp(s, ":20:", 4) || !strncmp(s, "{1:", 3) || !strncmp(s, ":940:", 5))
        return mt940_parse(a, text, out, e);
    return csv_parse(a, text, converted, cfg, bank, out, e);
}
