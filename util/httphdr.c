/* Request-header parsing for content negotiation, conditional and range requests (RFC 9110). */
#include "util/httphdr.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* A q-value ("0", "0.5", "1.000") in thousandths, or -1 when malformed. */
static int qvalue(const char *p, const char **end)
{
    int v = 0;
    *end = p;
    if (*p != '0' && *p != '1')
        return -1;
    v = (*p++ - '0') * 1000;
    if (*p == '.') {
        p++;
        int scale = 100;
        for (int i = 0; i < 3 && *p >= '0' && *p <= '9'; i++, p++, scale /= 10)
            v += (*p - '0') * scale;
    }
    *end = p;
    return v > 1000 ? -1 : v;
}

bool httphdr_accepts_gzip(const char *ae)
{
    if (!ae)
        return false;
    int q_gzip = -1, q_star = -1; /* -1: not listed */
    const char *p = ae;
    while (*p) {
        p = skip_ows(p);
        const char *tok = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - tok);
        int q = 1000;
        p = skip_ows(p);
        while (*p == ';') {
            p = skip_ows(p + 1);
            if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
                const char *end;
                q = qvalue(p + 2, &end);
                p = end;
                if (q < 0)
                    q = 0; /* a malformed weight is not consent */
            }
            while (*p && *p != ',' && *p != ';')
                p++;
        }
        if ((n == 4 && !strncasecmp(tok, "gzip", 4)) || (n == 6 && !strncasecmp(tok, "x-gzip", 6))) {
            if (q_gzip < 0 || q < q_gzip)
                q_gzip = q;
        } else if (n == 1 && *tok == '*') {
            q_star = q;
        }
        while (*p && *p != ',')
            p++;
        if (*p == ',')
            p++;
    }
    return q_gzip >= 0 ? q_gzip > 0 : q_star > 0;
}

/* Decimal digits as a number, saturating at SIZE_MAX; *ok is false when there are none. */
static size_t digits(const char **pp, bool *ok)
{
    const char *p = *pp;
    size_t v = 0;
    *ok = *p >= '0' && *p <= '9';
    for (; *p >= '0' && *p <= '9'; p++)
        v = v > (SIZE_MAX - 9) / 10 ? SIZE_MAX : v * 10 + (size_t)(*p - '0');
    *pp = p;
    return v;
}

enum httphdr_range httphdr_range_parse(const char *range, size_t len, size_t *first, size_t *last)
{
    if (!range)
        return HTTPHDR_RANGE_NONE;
    const char *p = skip_ows(range);
    if (strncasecmp(p, "bytes", 5))
        return HTTPHDR_RANGE_NONE;
    p = skip_ows(p + 5);
    if (*p++ != '=')
        return HTTPHDR_RANGE_NONE;
    int specs = 0, satisfiable = 0;
    size_t f0 = 0, l0 = 0;
    while (*p) {
        p = skip_ows(p);
        if (*p == ',') { /* empty list elements are allowed */
            p++;
            continue;
        }
        if (!*p)
            break;
        bool ok;
        size_t f, l;
        if (*p == '-') {
            p++;
            size_t n = digits(&p, &ok);
            if (!ok)
                return HTTPHDR_RANGE_NONE;
            if (n == 0 || len == 0) {
                specs++;
                goto next;
            }
            f = n >= len ? 0 : len - n;
            l = len - 1;
        } else {
            f = digits(&p, &ok);
            if (!ok || *p++ != '-')
                return HTTPHDR_RANGE_NONE;
            l = digits(&p, &ok);
            if (ok && l < f)
                return HTTPHDR_RANGE_NONE; /* an invalid range-spec makes the whole field invalid */
            if (f >= len) {
                specs++;
                goto next;
            }
            if (!ok || l >= len)
                l = len - 1;
        }
        specs++;
        if (satisfiable++ == 0)
            f0 = f, l0 = l;
    next:
        p = skip_ows(p);
        if (*p && *p != ',')
            return HTTPHDR_RANGE_NONE;
    }
    if (specs == 0)
        return HTTPHDR_RANGE_NONE;
    if (satisfiable == 0)
        return HTTPHDR_RANGE_UNSATISFIABLE;
    if (specs > 1)
        return HTTPHDR_RANGE_NONE;
    *first = f0;
    *last = l0;
    return HTTPHDR_RANGE_OK;
}

/* The opaque part of an entity tag at p (quotes included) as [*s, *s + *n); false when p is not one. */
static bool etag_opaque(const char *p, bool *weak, const char **s, size_t *n)
{
    *weak = p[0] == 'W' && p[1] == '/';
    if (*weak)
        p += 2;
    if (*p != '"')
        return false;
    const char *q = strchr(p + 1, '"');
    if (!q)
        return false;
    *s = p;
    *n = (size_t)(q - p) + 1;
    return true;
}

bool httphdr_etag_match(const char *list, const char *etag)
{
    const char *es;
    size_t en;
    bool eweak;
    if (!list || !etag || !etag_opaque(etag, &eweak, &es, &en))
        return false;
    const char *p = list;
    for (;;) {
        p = skip_ows(p);
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return false;
        if (*p == '*')
            return true;
        const char *s;
        size_t n;
        bool weak;
        if (!etag_opaque(p, &weak, &s, &n))
            return false;
        if (n == en && !memcmp(s, es, n))
            return true;
        p = s + n;
    }
}

bool httphdr_if_range_ok(const char *if_range, const char *etag)
{
    const char *es, *s;
    size_t en, n;
    bool eweak, weak;
    if (!if_range || !etag || !etag_opaque(etag, &eweak, &es, &en) || eweak)
        return false;
    const char *p = skip_ows(if_range);
    if (!etag_opaque(p, &weak, &s, &n) || weak || *skip_ows(s + n))
        return false;
    return n == en && !memcmp(s, es, n);
}

bool httphdr_type_compressible(const char *ct)
{
    if (!ct)
        return false;
    ct = skip_ows(ct);
    size_t n = strcspn(ct, "; \t");
    if (n > 5 && !strncasecmp(ct, "text/", 5))
        return true;
    if (n <= 12 || strncasecmp(ct, "application/", 12))
        return false;
    const char *sub = ct + 12;
    size_t sn = n - 12;
    static const char *const exact[] = {"json", "javascript", "x-javascript", "xml", "x-protobuf", "vnd.ogc.gml", NULL};
    for (int i = 0; exact[i]; i++)
        if (sn == strlen(exact[i]) && !strncasecmp(sub, exact[i], sn))
            return true;
    /* +json and +xml suffixes, and the OGC XML types without a suffix (vnd.ogc.se_xml, vnd.ogc.wms_xml) */
    return (sn > 5 && !strncasecmp(sub + sn - 5, "+json", 5)) ||
           (sn > 4 && (!strncasecmp(sub + sn - 4, "+xml", 4) || !strncasecmp(sub + sn - 4, "_xml", 4)));
}

bool httphdr_etag_variant(const char *etag, const char *suffix, char *out, size_t cap)
{
    const char *s;
    size_t n;
    bool weak;
    if (!etag || !etag_opaque(etag, &weak, &s, &n))
        return false;
    size_t need = (weak ? 2 : 0) + n + strlen(suffix) + 1;
    if (need > cap)
        return false;
    size_t o = 0;
    if (weak)
        memcpy(out, "W/", 2), o = 2;
    memcpy(out + o, s, n - 1);
    o += n - 1;
    memcpy(out + o, suffix, strlen(suffix));
    o += strlen(suffix);
    out[o++] = '"';
    out[o] = 0;
    return true;
}

bool httphdr_disposition(const char *filename, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(filename), o = 0;
    /* "attachment; filename=\"\"; filename*=UTF-8''" is 40 bytes; each byte takes at most 1 + 3 */
    if (cap < 48 || n > (cap - 48) / 4) {
        if (cap)
            snprintf(out, cap, "attachment");
        return false;
    }
    o += (size_t)sprintf(out, "attachment; filename=\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)filename[i];
        out[o++] = c < 0x20 || c >= 0x7F || c == '"' || c == '\\' || c == '%' || c == ';' ? '_' : (char)c;
    }
    o += (size_t)sprintf(out + o, "\"; filename*=UTF-8''");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)filename[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c))
            out[o++] = (char)c;
        else
            out[o++] = '%', out[o++] = hex[c >> 4], out[o++] = hex[c & 15];
    }
    out[o] = 0;
    return true;
}
