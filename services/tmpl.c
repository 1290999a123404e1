/* HTML templates as files with escaping on by default (services/tmpl.h). The text is interpreted as it
 * is read: a block's end is found by counting the blocks opened inside it, so there is no parse tree. */
#include "services/tmpl.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/utf8.h"

struct tmpl_run {
    const char *dir;
    json_t *msgs;
    struct buf *out;
    struct err *e;
    json_t *scope[TMPL_MAX_DEPTH + 2]; /* the data, then each #each item */
    int nscope;
};

/* Where a template's text is, for error messages. */
struct tmpl_src {
    const char *name, *text;
};

/* ---- escaping ---- */

static bool dropped(unsigned cp)
{
    if (cp < 0x20)
        return cp != '\t' && cp != '\n';
    return cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

void tmpl_escape(struct buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0; /* bytes [i - run, i) are plain and not yet written */
    while (i < n) {
        const char *rep = NULL;
        unsigned cp;
        int len = gis_utf8_decode(p + i, n - i, &cp);
        if (!len) {
            rep = "\xEF\xBF\xBD", len = 1;
        } else if (dropped(cp)) {
            rep = "";
        } else {
            switch (cp) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            case '\'': rep = "&#39;"; break;
            default: break;
            }
        }
        if (rep) {
            buf_append(out, (const char *)p + i - run, run);
            buf_puts(out, rep);
            run = 0;
        } else {
            run += (size_t)len;
        }
        i += (size_t)len;
    }
    buf_append(out, (const char *)p + i - run, run);
}

void tmpl_url_encode(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '.' || *p == '_' || *p == '~') {
            buf_append(out, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(out, esc, 3);
        }
    }
}

/* ---- values ---- */

/* The value at path (len bytes), looked up from the innermost scope outwards; NULL when missing. */
static json_t *lookup(struct tmpl_run *r, const char *path, size_t len)
{
    if (len == 1 && path[0] == '.')
        return r->scope[r->nscope - 1];
    size_t k = strcspn(path, ".");
    if (k > len)
        k = len;
    json_t *v = NULL;
    for (int i = r->nscope - 1; i >= 0 && !v; i--)
        v = json_is_object(r->scope[i]) ? json_object_getn(r->scope[i], path, k) : NULL;
    while (v && k < len) {
        path += k + 1, len -= k + 1;
        k = strcspn(path, ".");
        if (k > len)
            k = len;
        v = json_is_object(v) ? json_object_getn(v, path, k) : NULL;
    }
    return v;
}

static bool truthy(json_t *v)
{
    switch (json_typeof(v ? v : json_null())) {
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0;
    case JSON_TRUE: return true;
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_OBJECT: return json_object_size(v) > 0;
    default: return false;
    }
}

/* The text of a scalar value into tmp (numbers) or its own string; "" for anything else. */
static const char *scalar_text(json_t *v, char tmp[64], size_t *len)
{
    const char *s = "";
    if (json_is_string(v)) {
        *len = json_string_length(v);
        return json_string_value(v);
    }
    if (json_is_integer(v))
        snprintf(tmp, 64, "%lld", (long long)json_integer_value(v)), s = tmp;
    else if (json_is_real(v))
        snprintf(tmp, 64, "%.15g", json_real_value(v)), s = tmp;
    else if (json_is_true(v))
        s = "true";
    *len = strlen(s);
    return s;
}

/* ---- tags ---- */

static enum err_code fail(struct tmpl_run *r, const struct tmpl_src *src, const char *at, const char *what)
{
    int line = 1;
    for (const char *p = src->text; p < at; p++)
        line += *p == '\n';
    return err_set(r->e, ERR_INTERNAL, "template %s, line %d: %s", src->name, line, what);
}

/* A tag's parts: its keyword (or "" for a plain value) and its argument(s), trimmed. */
struct tag {
    const char *start, *end; /* the whole tag, braces included */
    char sigil;              /* '#', '/', '>', '!' or 0 */
    const char *word;        /* "if", "each", "url", "raw", "t", ... or the path of a plain value */
    size_t wlen;
    const char *arg; /* the rest, trimmed; may be empty */
    size_t alen;
};

static bool tag_read(const char *p, const char *end, struct tag *t)
{
    const char *close = p + 2;
    while (close + 1 < end && !(close[0] == '}' && close[1] == '}'))
        close++;
    if (close + 1 >= end)
        return false;
    t->start = p;
    t->end = close + 2;
    const char *s = p + 2, *e = close;
    while (s < e && *s == ' ')
        s++;
    while (e > s && e[-1] == ' ')
        e--;
    t->sigil = (s < e && strchr("#/>!", *s)) ? *s++ : 0;
    while (s < e && *s == ' ')
        s++;
    t->word = s;
    while (s < e && *s != ' ')
        s++;
    t->wlen = (size_t)(s - t->word);
    while (s < e && *s == ' ')
        s++;
    t->arg = s;
    t->alen = (size_t)(e - s);
    return true;
}

static bool word_is(const struct tag *t, const char *w)
{
    return t->wlen == strlen(w) && !memcmp(t->word, w, t->wlen);
}

/* The end of the block opened by the tag ending at p: *mid is its {{else}} at the same depth (or NULL),
 * *close its {{/...}} tag. False when it is not closed. */
static bool block_find(const char *p, const char *end, struct tag *mid, struct tag *close, bool *has_mid)
{
    int depth = 0;
    *has_mid = false;
    for (const char *q = p; q + 1 < end; q++) {
        if (q[0] != '{' || q[1] != '{')
            continue;
        struct tag t;
        if (!tag_read(q, end, &t))
            return false;
        if (t.sigil == '#')
            depth++;
        else if (t.sigil == '/' && depth-- == 0) {
            *close = t;
            return true;
        } else if (!t.sigil && depth == 0 && word_is(&t, "else") && !*has_mid) {
            *mid = t;
            *has_mid = true;
        }
        q = t.end - 1;
    }
    return false;
}

static enum err_code render_range(struct tmpl_run *r, const struct tmpl_src *src, const char *p, const char *end,
                                  int depth);
static enum err_code include(struct tmpl_run *r, const char *name, size_t len, int depth);

static enum err_code message(struct tmpl_run *r, const struct tmpl_src *src, const struct tag *t)
{
    size_t k = strcspn(t->arg, " ");
    if (k > t->alen)
        k = t->alen;
    const char *msg = r->msgs ? json_string_value(json_object_getn(r->msgs, t->arg, k)) : NULL;
    if (!msg)
        return fail(r, src, t->start, "no message with this key");
    const char *argp = t->arg + k;
    size_t alen = t->alen - k;
    while (alen && *argp == ' ')
        argp++, alen--;
    const char *hole = alen ? strstr(msg, "{0}") : NULL;
    if (!hole) {
        tmpl_escape(r->out, msg, strlen(msg));
        return ERR_OK;
    }
    char tmp[64];
    size_t vlen;
    const char *v = scalar_text(lookup(r, argp, alen), tmp, &vlen);
    tmpl_escape(r->out, msg, (size_t)(hole - msg));
    tmpl_escape(r->out, v, vlen);
    tmpl_escape(r->out, hole + 3, strlen(hole + 3));
    return ERR_OK;
}

static enum err_code value(struct tmpl_run *r, const struct tmpl_src *src, const struct tag *t)
{
    const char *path = t->word;
    size_t plen = t->wlen;
    int mode = 0; /* 0 escaped, 1 url, 2 raw */
    if (word_is(t, "url") || word_is(t, "raw")) {
        mode = word_is(t, "url") ? 1 : 2;
        path = t->arg, plen = t->alen;
    } else if (word_is(t, "t")) {
        return message(r, src, t);
    } else if (t->alen) {
        return fail(r, src, t->start, "unknown tag");
    }
    if (!plen)
        return fail(r, src, t->start, "empty tag");
    char tmp[64];
    size_t len;
    const char *s = scalar_text(lookup(r, path, plen), tmp, &len);
    if (mode == 2) {
        buf_append(r->out, s, len);
    } else if (mode == 1) {
        struct buf u = {0};
        tmpl_url_encode(&u, s);
        buf_append(r->out, u.data ? u.data : "", u.len);
        buf_free(&u);
    } else {
        tmpl_escape(r->out, s, len);
    }
    return ERR_OK;
}

/* A block tag t, whose text runs to close (with an {{else}} at mid when has_mid). */
static enum err_code block(struct tmpl_run *r, const struct tmpl_src *src, const struct tag *t, const struct tag *mid,
                           bool has_mid, const struct tag *close, int depth)
{
    const char *body_end = has_mid ? mid->start : close->start;
    const char *alt = has_mid ? mid->end : NULL;
    json_t *v = lookup(r, t->arg, t->alen);
    if (!t->alen)
        return fail(r, src, t->start, "a block needs a path");
    if (word_is(t, "if") || word_is(t, "unless")) {
        bool yes = truthy(v) == word_is(t, "if");
        if (yes)
            return render_range(r, src, t->end, body_end, depth + 1);
        return alt ? render_range(r, src, alt, close->start, depth + 1) : ERR_OK;
    }
    if (!word_is(t, "each"))
        return fail(r, src, t->start, "unknown block (want #if, #unless or #each)");
    if (!json_is_array(v) || !json_array_size(v))
        return alt ? render_range(r, src, alt, close->start, depth + 1) : ERR_OK;
    if (r->nscope >= TMPL_MAX_DEPTH + 1)
        return fail(r, src, t->start, "blocks nested too deep");
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        r->scope[r->nscope++] = item;
        enum err_code rc = render_range(r, src, t->end, body_end, depth + 1);
        r->nscope--;
        if (rc)
            return rc;
    }
    return ERR_OK;
}

static enum err_code render_range(struct tmpl_run *r, const struct tmpl_src *src, const char *p, const char *end,
                                  int depth)
{
    if (depth > TMPL_MAX_DEPTH)
        return fail(r, src, p, "blocks or includes nested too deep");
    while (p < end) {
        const char *open = p;
        while (open + 1 < end && !(open[0] == '{' && open[1] == '{'))
            open++;
        if (open + 1 >= end) {
            buf_append(r->out, p, (size_t)(end - p));
            break;
        }
        buf_append(r->out, p, (size_t)(open - p));
        struct tag t, mid = {0}, close = {0};
        bool has_mid;
        if (!tag_read(open, end, &t))
            return fail(r, src, open, "unclosed tag");
        enum err_code rc = ERR_OK;
        p = t.end;
        if (t.sigil == '!')
            continue;
        if (t.sigil == '/' || (!t.sigil && word_is(&t, "else")))
            return fail(r, src, open, "a block's end or else without its start");
        if (t.sigil == '>') {
            rc = include(r, t.word, t.wlen, depth);
        } else if (t.sigil == '#') {
            if (!block_find(t.end, end, &mid, &close, &has_mid))
                return fail(r, src, open, "block without its end");
            if (close.wlen != t.wlen || memcmp(close.word, t.word, t.wlen))
                return fail(r, src, close.start, "this end closes another block");
            rc = block(r, src, &t, &mid, has_mid, &close, depth);
            p = close.end;
        } else {
            rc = value(r, src, &t);
        }
        if (rc)
            return rc;
    }
    return ERR_OK;
}

/* ---- files ---- */

static char *file_read(const char *dir, const char *name, size_t len)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%.*s.html", dir, (int)len, name);
    struct buf b = {0};
    if (!buf_read_file(&b, path)) {
        buf_free(&b);
        return NULL;
    }
    return b.data ? b.data : calloc(1, 1);
}

static bool name_ok(const char *name, size_t len)
{
    if (!len || len > 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
              name[i] == '-'))
            return false;
    return true;
}

static enum err_code include(struct tmpl_run *r, const char *name, size_t len, int depth)
{
    if (!name_ok(name, len))
        return err_set(r->e, ERR_INTERNAL, "template name '%.*s' is not [a-z0-9_-]", (int)(len < 64 ? len : 64), name);
    char *text = file_read(r->dir, name, len);
    if (!text)
        return err_set(r->e, ERR_NOT_FOUND, "template %.*s is missing from %s", (int)len, name, r->dir);
    char nm[80];
    snprintf(nm, sizeof nm, "%.*s", (int)len, name);
    struct tmpl_src src = {nm, text};
    enum err_code rc = render_range(r, &src, text, text + strlen(text), depth + 1);
    free(text);
    return rc;
}

enum err_code tmpl_render_text(const char *dir, const char *name, const char *text, json_t *data, json_t *msgs,
                               struct buf *out, struct err *e)
{
    struct tmpl_run r = {.dir = dir, .msgs = msgs, .out = out, .e = e, .nscope = 1};
    r.scope[0] = data;
    struct tmpl_src src = {name, text};
    if (render_range(&r, &src, text, text + strlen(text), 0))
        return e->code;
    return out->failed ? err_set(e, ERR_INTERNAL, "out of memory rendering %s", name) : ERR_OK;
}

enum err_code tmpl_render(const char *dir, const char *name, json_t *data, json_t *msgs, struct buf *out, struct err *e)
{
    struct tmpl_run r = {.dir = dir, .msgs = msgs, .out = out, .e = e, .nscope = 1};
    r.scope[0] = data;
    if (include(&r, name, strlen(name), -1))
        return e->code;
    return out->failed ? err_set(e, ERR_INTERNAL, "out of memory rendering %s", name) : ERR_OK;
}
