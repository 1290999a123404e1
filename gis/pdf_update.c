/* Incremental updates of a PDF (PDF 32000-1 §7.5.6), for the PDFs odra writes: reading the classic
 * cross-reference table chain to find an object's current dictionary, and appending new objects, an xref
 * section and a trailer that points back at the previous one. The document language and PDF/A metadata
 * (gis_pdf_set_lang) and the electronic seal (gis/seal.c) are written this way. */
#include "gis/pdf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sections of a /Prev chain followed at most: a loop in a hostile file ends here. */
#define MAX_SECTIONS 64

static bool is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}

static bool is_delim(char c)
{
    return is_ws(c) || strchr("()<>[]{}/%", c) != NULL;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (is_ws(*p) || *p == '%')) {
        if (*p == '%')
            while (p < end && *p != '\n' && *p != '\r')
                p++;
        else
            p++;
    }
    return p;
}

/* The end of the value at p (a name, number, reference, string, array or dictionary), or NULL when it
 * does not end before end. Nesting is bounded by depth. */
static const char *skip_value(const char *p, const char *end, int depth)
{
    p = skip_ws(p, end);
    if (p >= end || depth > 32)
        return NULL;
    if (*p == '(') {
        int nest = 0;
        for (; p < end; p++) {
            if (*p == '\\')
                p++;
            else if (*p == '(')
                nest++;
            else if (*p == ')' && --nest == 0)
                return p + 1;
        }
        return NULL;
    }
    if (p + 1 < end && p[0] == '<' && p[1] == '<') {
        p += 2;
        for (;;) {
            p = skip_ws(p, end);
            if (p + 1 < end && p[0] == '>' && p[1] == '>')
                return p + 2;
            if (!(p = skip_value(p, end, depth + 1)))
                return NULL;
        }
    }
    if (*p == '<') {
        const char *q = memchr(p, '>', (size_t)(end - p));
        return q ? q + 1 : NULL;
    }
    if (*p == '[') {
        p++;
        for (;;) {
            p = skip_ws(p, end);
            if (p < end && *p == ']')
                return p + 1;
            if (!(p = skip_value(p, end, depth + 1)))
                return NULL;
        }
    }
    bool name = *p == '/';
    if (name)
        p++;
    else if (strchr(")>]}", *p))
        return NULL;
    const char *s = p;
    while (p < end && !is_delim(*p))
        p++;
    if (p == s && !name)
        return NULL;
    /* "12 0 R": a reference is three tokens */
    int num, gen;
    char r;
    if (*s >= '0' && *s <= '9' && sscanf(s, "%d %d %c", &num, &gen, &r) == 3 && r == 'R') {
        const char *q = strchr(s, 'R');
        if (q && q < end && q - s < 24)
            return q + 1;
    }
    return p;
}

/* The value of key (with its slash: "/Root") at the top level of the dictionary body d (between << and
 * >>), and its length; NULL when absent. */
static const char *dict_get_at(const char *d, size_t n, const char *key, size_t *len, const char **key_at)
{
    const char *p = d, *end = d + n;
    size_t k = strlen(key);
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end || *p != '/')
            return NULL;
        const char *name_end = skip_value(p, end, 0);
        if (!name_end)
            return NULL;
        const char *v = skip_ws(name_end, end), *v_end = skip_value(v, end, 0);
        if (!v_end)
            return NULL;
        if ((size_t)(name_end - p) == k && !memcmp(p, key, k)) {
            *len = (size_t)(v_end - v);
            *key_at = p;
            return v;
        }
        p = v_end;
    }
}

static const char *dict_get(const char *d, size_t n, const char *key, size_t *len)
{
    const char *k;
    return dict_get_at(d, n, key, len, &k);
}

bool gis_pdf_dict_ref(const char *dict, const char *key, int *num)
{
    size_t len;
    const char *v = dict_get(dict, strlen(dict), key, &len);
    int gen;
    char r;
    return v && sscanf(v, "%d %d %c", num, &gen, &r) == 3 && r == 'R' && *num > 0;
}

bool gis_pdf_dict_has(const char *dict, const char *key)
{
    size_t len;
    return dict_get(dict, strlen(dict), key, &len) != NULL;
}

char *gis_pdf_dict_value(const char *dict, const char *key)
{
    size_t len;
    const char *v = dict_get(dict, strlen(dict), key, &len);
    return v ? strndup(v, len) : NULL;
}

char *gis_pdf_dict_without(const char *dict, const char *key)
{
    size_t len, n = strlen(dict);
    const char *k;
    const char *v = dict_get_at(dict, n, key, &len, &k);
    if (!v)
        return strdup(dict);
    char *r = malloc(n + 1);
    if (!r)
        return NULL;
    size_t head = (size_t)(k - dict);
    memcpy(r, dict, head);
    memcpy(r + head, v + len, n - head - (size_t)(v + len - k) + 1);
    return r;
}

const char *gis_pdf_find_last(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = n >= k ? n - k + 1 : 0; i-- > 0;)
        if (!memcmp(h + i, needle, k))
            return h + i;
    return NULL;
}

/* The trailer dictionary after the xref table at off: its body (between << and >>) and *tend, the end
 * of the table's entries; or NULL. */
static const char *xref_trailer(const char *d, size_t n, size_t off, size_t *len)
{
    const char *t = memmem(d + off, n - off, "trailer", 7);
    if (!t)
        return NULL;
    const char *o = skip_ws(t + 7, d + n);
    if (o + 1 >= d + n || o[0] != '<' || o[1] != '<')
        return NULL;
    const char *c = skip_value(o, d + n, 0);
    if (!c)
        return NULL;
    *len = (size_t)(c - 2 - (o + 2));
    return o + 2;
}

/* Looks object num up in the xref table at off; *found set and *where its offset when listed in this
 * section. ERR_UNPROCESSABLE when the table is not a classic one or is malformed. */
static enum err_code xref_lookup(const char *d, size_t n, size_t off, int num, bool *found, size_t *where,
                                 struct err *e)
{
    *found = false;
    if (off >= n || n - off < 5 || memcmp(d + off, "xref", 4) != 0) {
        int a, b;
        if (off < n && sscanf(d + off, "%d %d obj", &a, &b) == 2)
            return err_set(e, ERR_UNPROCESSABLE, "the PDF uses a cross-reference stream, which is not supported");
        return err_set(e, ERR_UNPROCESSABLE, "no cross-reference table at offset %zu", off);
    }
    const char *p = d + off + 4, *end = d + n;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end)
            return err_set(e, ERR_UNPROCESSABLE, "the cross-reference table is truncated");
        if (!strncmp(p, "trailer", 7))
            return ERR_OK;
        char *q;
        long first = strtol(p, &q, 10);
        if (q == p || first < 0)
            return err_set(e, ERR_UNPROCESSABLE, "malformed cross-reference subsection");
        char *r;
        long count = strtol(q, &r, 10);
        if (r == q || count < 0 || count > 8388607)
            return err_set(e, ERR_UNPROCESSABLE, "malformed cross-reference subsection");
        p = skip_ws(r, end);
        if ((size_t)(end - p) < (size_t)count * 20)
            return err_set(e, ERR_UNPROCESSABLE, "the cross-reference table is truncated");
        if (num >= first && num < first + count) {
            const char *ent = p + (num - first) * 20;
            if (ent[17] == 'n') {
                *where = strtoul(ent, NULL, 10);
                *found = true;
            }
            return ERR_OK;
        }
        p += count * 20;
    }
}

enum err_code gis_pdf_update_begin(struct gis_pdf_update *u, struct buf *b, size_t start, struct err *e)
{
    memset(u, 0, sizeof *u);
    u->b = b;
    u->start = start;
    if (b->failed || b->len <= start + 8)
        return err_set(e, ERR_UNPROCESSABLE, "not a PDF: too short");
    const char *d = b->data + start;
    size_t n = b->len - start;
    if (memcmp(d, "%PDF-", 5) != 0)
        return err_set(e, ERR_UNPROCESSABLE, "not a PDF: no %%PDF- header");
    const char *tail = n > 1024 ? d + n - 1024 : d;
    const char *sx = gis_pdf_find_last(tail, (size_t)(d + n - tail), "startxref");
    if (!sx || sscanf(sx, "startxref %ld", &u->prev) != 1 || !gis_pdf_find_last(sx, (size_t)(d + n - sx), "%%EOF"))
        return err_set(e, ERR_UNPROCESSABLE, "no startxref and %%%%EOF at the end of the PDF (truncated?)");
    if (u->prev <= 0 || (size_t)u->prev >= n)
        return err_set(e, ERR_UNPROCESSABLE, "startxref %ld lies outside the file", u->prev);
    bool found;
    size_t where, tlen;
    if (xref_lookup(d, n, (size_t)u->prev, 0, &found, &where, e))
        return e->code;
    const char *tr = xref_trailer(d, n, (size_t)u->prev, &tlen);
    char *t = tr ? strndup(tr, tlen) : NULL;
    if (!t)
        return err_set(e, ERR_UNPROCESSABLE, "no trailer after the cross-reference table");
    char *size = gis_pdf_dict_value(t, "/Size"), *id = gis_pdf_dict_value(t, "/ID");
    bool ok = gis_pdf_dict_ref(t, "/Root", &u->root) && size && sscanf(size, "%d", &u->size) == 1 && u->size > 0;
    if (!gis_pdf_dict_ref(t, "/Info", &u->info))
        u->info = 0;
    if (id && strlen(id) < sizeof u->id)
        memcpy(u->id, id, strlen(id) + 1);
    free(size);
    free(id);
    free(t);
    if (!ok)
        return err_set(e, ERR_UNPROCESSABLE, "the trailer has no /Root or /Size");
    return ERR_OK;
}

char *gis_pdf_update_dict(struct gis_pdf_update *u, int num, struct err *e)
{
    const char *d = u->b->data + u->start;
    size_t n = u->b->len - u->start;
    for (int i = 0; i < u->n; i++)
        if (u->num[i] == num) {
            err_set(e, ERR_INTERNAL, "object %d is being rewritten by this update", num);
            return NULL;
        }
    size_t off = (size_t)u->prev;
    for (int s = 0; s < MAX_SECTIONS; s++) {
        bool found;
        size_t where, tlen;
        if (xref_lookup(d, n, off, num, &found, &where, e))
            return NULL;
        if (found) {
            char head[32];
            int k = snprintf(head, sizeof head, "%d 0 obj", num);
            if (where >= n || n - where < (size_t)k || memcmp(d + where, head, (size_t)k) != 0) {
                err_set(e, ERR_UNPROCESSABLE, "the cross-reference table points object %d at the wrong place", num);
                return NULL;
            }
            const char *o = skip_ws(d + where + k, d + n);
            const char *c = o + 1 < d + n && o[0] == '<' && o[1] == '<' ? skip_value(o, d + n, 0) : NULL;
            if (!c) {
                err_set(e, ERR_UNPROCESSABLE, "object %d is not a complete dictionary", num);
                return NULL;
            }
            char *r = strndup(o + 2, (size_t)(c - 2 - (o + 2)));
            if (!r)
                err_set(e, ERR_INTERNAL, "out of memory");
            return r;
        }
        const char *tr = xref_trailer(d, n, off, &tlen);
        char *t = tr ? strndup(tr, tlen) : NULL;
        char *prev = t ? gis_pdf_dict_value(t, "/Prev") : NULL;
        long p = prev ? strtol(prev, NULL, 10) : 0;
        free(prev);
        free(t);
        if (p <= 0 || (size_t)p >= n)
            break;
        off = (size_t)p;
    }
    err_set(e, ERR_UNPROCESSABLE, "object %d is not in the cross-reference table", num);
    return NULL;
}

int gis_pdf_update_new(struct gis_pdf_update *u)
{
    return u->size++;
}

enum err_code gis_pdf_update_obj(struct gis_pdf_update *u, int num, struct err *e)
{
    if (u->n >= GIS_PDF_UPDATE_MAX)
        return err_set(e, ERR_INTERNAL, "more than %d objects in one PDF update", GIS_PDF_UPDATE_MAX);
    struct buf *b = u->b;
    if (b->len && b->data[b->len - 1] != '\n')
        buf_puts(b, "\n");
    u->num[u->n] = num;
    u->off[u->n++] = b->len - u->start;
    buf_printf(b, "%d 0 obj\n", num);
    return ERR_OK;
}

enum err_code gis_pdf_update_end(struct gis_pdf_update *u, struct err *e)
{
    struct buf *b = u->b;
    if (b->len && b->data[b->len - 1] != '\n')
        buf_puts(b, "\n");
    size_t xref = b->len - u->start;
    /* subsections of consecutive object numbers, in ascending order */
    int order[GIS_PDF_UPDATE_MAX];
    for (int i = 0; i < u->n; i++) {
        int j = i;
        while (j > 0 && u->num[order[j - 1]] > u->num[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    buf_puts(b, "xref\n");
    for (int i = 0; i < u->n;) {
        int k = i + 1;
        while (k < u->n && u->num[order[k]] == u->num[order[k - 1]] + 1)
            k++;
        buf_printf(b, "%d %d\n", u->num[order[i]], k - i);
        for (; i < k; i++)
            buf_printf(b, "%010zu 00000 n \n", u->off[order[i]]);
    }
    buf_printf(b, "trailer\n<< /Size %d /Root %d 0 R", u->size, u->root);
    if (u->info)
        buf_printf(b, " /Info %d 0 R", u->info);
    if (u->id[0])
        buf_printf(b, " /ID %s", u->id);
    buf_printf(b, " /Prev %ld >>\nstartxref\n%zu\n%%%%EOF\n", u->prev, xref);
    return b->failed ? err_set(e, ERR_INTERNAL, "out of memory writing the PDF update") : ERR_OK;
}
