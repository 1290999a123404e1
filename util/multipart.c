/* multipart/form-data parsing (see util/multipart.h). */
#include "util/multipart.h"

#include <string.h>
#include <strings.h>

static bool bchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=? ", c);
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Reads one parameter value at p (a quoted string with backslash escapes, or a token up to ';') into out
 * (cap bytes); returns the position after it, or NULL when it is malformed or too long. */
static const char *param_value(const char *p, char *out, size_t cap)
{
    size_t o = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            if (o + 1 >= cap)
                return NULL;
            out[o++] = *p;
        }
        if (*p != '"')
            return NULL;
        p++;
    } else {
        for (; *p && *p != ';' && *p != ' ' && *p != '\t'; p++) {
            if (o + 1 >= cap)
                return NULL;
            out[o++] = *p;
        }
    }
    out[o] = 0;
    return p;
}

/* Walks the parameters after a media type or disposition type: for each, fn(name, value, user). False when
 * the list is malformed. */
static bool params_each(const char *p, void (*fn)(const char *name, size_t nlen, const char *value, void *user),
                        void *user)
{
    char value[1024];
    for (;;) {
        p = skip_ws(p);
        if (!*p)
            return true;
        if (*p++ != ';')
            return false;
        p = skip_ws(p);
        if (!*p)
            return true; /* a trailing ';' */
        const char *name = p;
        while (*p && *p != '=' && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        size_t nlen = (size_t)(p - name);
        p = skip_ws(p);
        if (*p != '=' || !nlen)
            return false;
        p = param_value(skip_ws(p + 1), value, sizeof value);
        if (!p)
            return false;
        fn(name, nlen, value, user);
    }
}

struct boundary_find {
    char *out;
    bool found, bad;
};

static void boundary_param(const char *name, size_t nlen, const char *value, void *user)
{
    struct boundary_find *b = user;
    if (nlen != 8 || strncasecmp(name, "boundary", 8))
        return;
    size_t n = strlen(value);
    bool ok = n >= 1 && n <= MULTIPART_BOUNDARY_MAX && value[n - 1] != ' ';
    for (size_t i = 0; ok && i < n; i++)
        ok = bchar(value[i]);
    if (!ok || b->found)
        b->bad = true; /* a bad or a second boundary */
    b->found = true;
    if (ok)
        memcpy(b->out, value, n + 1);
}

bool multipart_boundary(const char *content_type, char out[MULTIPART_BOUNDARY_MAX + 1])
{
    static const char type[] = "multipart/form-data";
    if (!content_type)
        return false;
    const char *p = skip_ws(content_type);
    if (strncasecmp(p, type, sizeof type - 1))
        return false;
    p += sizeof type - 1;
    if (*p && *p != ';' && *p != ' ' && *p != '\t')
        return false;
    struct boundary_find b = {.out = out};
    return params_each(p, boundary_param, &b) && b.found && !b.bad;
}

struct disposition {
    struct arena *a;
    const char *name, *filename;
    bool oom;
};

static void disposition_param(const char *name, size_t nlen, const char *value, void *user)
{
    struct disposition *d = user;
    const char **slot = NULL;
    if (nlen == 4 && !strncasecmp(name, "name", 4))
        slot = &d->name;
    else if (nlen == 8 && !strncasecmp(name, "filename", 8))
        slot = &d->filename;
    if (slot && !*slot) { /* the first of a repeated parameter */
        *slot = arena_strdup(d->a, value);
        d->oom |= !*slot;
    }
}

/* Fills part's name, filename and content type from the header block [h, end) (lines ended by CRLF). */
static enum err_code part_headers(struct arena *a, const char *h, const char *end, struct multipart_part *part,
                                  struct err *e)
{
    char line[MULTIPART_HEADERS_MAX + 1];
    bool disposed = false;
    while (h < end) {
        const char *eol = memmem(h, (size_t)(end - h), "\r\n", 2);
        const char *le = eol ? eol : end;
        size_t n = (size_t)(le - h);
        if (memchr(h, 0, n))
            return err_set(e, ERR_INVALID, "multipart: a part's header contains a NUL byte");
        memcpy(line, h, n);
        line[n] = 0;
        h = eol ? eol + 2 : end;
        char *colon = strchr(line, ':');
        if (!colon)
            return err_set(e, ERR_INVALID, "multipart: a part's header line has no ':'");
        *colon = 0;
        const char *v = skip_ws(colon + 1);
        if (!strcasecmp(line, "Content-Disposition")) {
            if (disposed || strncasecmp(v, "form-data", 9) || (v[9] && v[9] != ';' && v[9] != ' '))
                return err_set(e, ERR_INVALID, "multipart: a part's Content-Disposition is not one form-data");
            struct disposition d = {.a = a};
            if (!params_each(v + 9, disposition_param, &d))
                return err_set(e, ERR_INVALID, "multipart: malformed Content-Disposition parameters");
            if (d.oom)
                return err_set(e, ERR_INTERNAL, "out of memory");
            part->name = d.name, part->filename = d.filename;
            disposed = true;
        } else if (!strcasecmp(line, "Content-Type")) {
            part->content_type = arena_strdup(a, v);
            if (!part->content_type)
                return err_set(e, ERR_INTERNAL, "out of memory");
        }
    }
    if (!disposed || !part->name)
        return err_set(e, ERR_INVALID, "multipart: a part has no Content-Disposition: form-data with a name");
    return ERR_OK;
}

enum err_code multipart_parse(struct arena *a, const char *body, size_t len, const char *boundary, int max,
                              struct multipart_part **out, int *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    size_t blen = strlen(boundary);
    if (!blen || blen > MULTIPART_BOUNDARY_MAX || max < 1)
        return err_set(e, ERR_INVALID, "multipart: bad boundary");
    char delim[MULTIPART_BOUNDARY_MAX + 5] = "\r\n--"; /* CRLF "--" boundary; the first may lack the CRLF */
    memcpy(delim + 4, boundary, blen + 1);
    size_t dlen = blen + 4;
    const char *end = body + len, *p;
    if (len >= dlen - 2 && !memcmp(body, delim + 2, dlen - 2))
        p = body + dlen - 2;
    else if ((p = memmem(body, len, delim, dlen)))
        p += dlen;
    else
        return err_set(e, ERR_INVALID, "multipart: the body does not start with the boundary");
    struct multipart_part *parts = arena_alloc(a, sizeof *parts * (size_t)max);
    if (!parts)
        return err_set(e, ERR_INTERNAL, "out of memory");
    for (;;) { /* p is just after a delimiter */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            break; /* the close delimiter; the epilogue is ignored */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return err_set(e, ERR_INVALID, "multipart: a boundary line is not ended by CRLF");
        p += 2;
        if (*n == max)
            return err_set(e, ERR_INVALID, "multipart: more than %d parts", max);
        const char *hend;
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            hend = p; /* no headers at all */
        } else {
            size_t room = (size_t)(end - p) < MULTIPART_HEADERS_MAX + 4 ? (size_t)(end - p) : MULTIPART_HEADERS_MAX + 4;
            hend = memmem(p, room, "\r\n\r\n", 4);
            if (!hend)
                return err_set(e, ERR_INVALID, "multipart: a part's headers are not ended or longer than %d bytes",
                               MULTIPART_HEADERS_MAX);
            hend += 2; /* the headers' own last CRLF belongs to them */
        }
        struct multipart_part *part = &parts[*n];
        memset(part, 0, sizeof *part);
        if (part_headers(a, p, hend, part, e))
            return e->code;
        const char *data = hend + 2;
        const char *next = memmem(data, (size_t)(end - data), delim, dlen);
        if (!next)
            return err_set(e, ERR_INVALID, "multipart: a part is not closed by the boundary");
        part->data = data;
        part->len = (size_t)(next - data);
        (*n)++;
        p = next + dlen;
    }
    *out = parts;
    return ERR_OK;
}

const struct multipart_part *multipart_find(const struct multipart_part *parts, int n, const char *name, int *count)
{
    const struct multipart_part *first = NULL;
    int c = 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(parts[i].name, name)) {
            c++;
            if (!first)
                first = &parts[i];
        }
    if (count)
        *count = c;
    return first;
}
