/* UTF-8 validation, diacritic folding and strict number parsing. */
#include "util/text.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool text_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return false;
            if (c == 0x7f)
                return false;
            i++;
            continue;
        }
        unsigned need, cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (len - i <= need)
            return false;
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += need + 1;
    }
    return true;
}

/* Decodes one code point; returns bytes consumed (at least 1), cp = 0xFFFD on bad input. */
static size_t utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    unsigned need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    if (need == 0 || len <= need) {
        *cp = 0xfffd;
        return 1;
    }
    unsigned v = c & (0x3f >> need);
    for (unsigned k = 1; k <= need; k++) {
        if ((s[k] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        v = (v << 6) | (s[k] & 0x3f);
    }
    *cp = v;
    return need + 1;
}

/* Base letter for Latin-1 Supplement and Latin Extended-A code points, lower case; 0 if none. */
static char fold_latin(unsigned cp)
{
    static const char l1[] = /* U+00C0..U+00FF */
        "aaaaaaaceeeeiiiidnooooo ouuuuyts"
        "aaaaaaaceeeeiiiidnooooo ouuuuyty";
    static const char ext_a[] = /* U+0100..U+017F */
        "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklllllll"
        "lllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
    if (cp >= 0xc0 && cp <= 0xff)
        return l1[cp - 0xc0] == ' ' ? 0 : l1[cp - 0xc0];
    if (cp >= 0x100 && cp <= 0x17f)
        return ext_a[cp - 0x100];
    return 0;
}

size_t text_fold(const char *str, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t len = strlen(str), i = 0, o = 0;
    bool space = true; /* suppress leading and repeated spaces */
    if (cap == 0)
        return 0;
    while (i < len && o + 1 < cap) {
        unsigned cp;
        i += utf8_decode(s + i, len - i, &cp);
        char c = 0;
        if (cp < 0x80) {
            if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
                c = (char)cp;
            else if (cp >= 'A' && cp <= 'Z')
                c = (char)(cp - 'A' + 'a');
        } else {
            c = fold_latin(cp);
        }
        if (c) {
            out[o++] = c;
            space = false;
        } else if (!space && cp != 0xfffd) {
            out[o++] = ' ';
            space = true;
        }
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = 0;
    return o;
}

bool text_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s || strlen(s) > 20)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool text_parse_double(const char *s, double *out)
{
    if (!s || !*s || strlen(s) > 64)
        return false;
    for (const char *p = s; *p; p++) /* no hex floats, no "inf"/"nan" spellings */
        if (!strchr("0123456789+-.eE", *p))
            return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !isfinite(v))
        return false;
    *out = v;
    return true;
}

size_t text_xml_escape(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        size_t n = rep ? strlen(rep) : 1;
        if (o + n < cap)
            memcpy(out + o, rep ? rep : s, n);
        o += n;
    }
    if (cap)
        out[o < cap ? o : cap - 1] = 0;
    return o;
}

unsigned long long text_rng_next(struct text_rng *r)
{
    unsigned long long z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

unsigned text_rng_below(struct text_rng *r, unsigned n)
{
    return (unsigned)(text_rng_next(r) % n);
}

double text_rng_uniform(struct text_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * ((double)(text_rng_next(r) >> 11) / 9007199254740992.0);
}
