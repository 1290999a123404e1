/* Plan extracts: what makes an issued extract unique and safe to print: cleaned applicant text, random
 * verification codes and identifiers, and the SHA-256 of the PDF. Case numbers are gis/cases.c. */
#include "gis/extract.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "gis/utf8.h"

static bool cp_dropped(unsigned c)
{
    return c < 0x20 || (c >= 0x7F && c < 0xA0) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
           c == 0x200E || c == 0x200F || c == 0x061C || c == 0xFEFF || (c >= 0x200B && c <= 0x200D) || c == 0x2028 ||
           c == 0x2029 || (c >= 0xFFF9 && c <= 0xFFFB);
}

char *gis_extract_clean(struct arena *a, const char *s, int max)
{
    if (!s)
        return arena_strdup(a, "");
    size_t len = strlen(s);
    char *out = arena_alloc(a, len + 8);
    if (!out)
        return NULL;
    size_t o = 0;
    int count = 0;
    bool space = false, cut = false;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned c;
        int n = gis_utf8_decode(p + i, len - i, &c);
        if (!n) {
            i++;
            continue;
        }
        bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 || c == 0x3000;
        if (ws) {
            space = o > 0;
            i += (size_t)n;
            continue;
        }
        if (cp_dropped(c)) {
            i += (size_t)n;
            continue;
        }
        if (count + (space ? 1 : 0) + 1 > max) {
            cut = true;
            break;
        }
        if (space) {
            out[o++] = ' ';
            count++;
            space = false;
        }
        memcpy(out + o, p + i, (size_t)n);
        o += (size_t)n;
        count++;
        i += (size_t)n;
    }
    if (cut) {
        /* drop a trailing space, then mark the cut with an ellipsis (replacing the last character) */
        while (o > 0 && out[o - 1] == ' ')
            o--;
        while (o > 0 && (out[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 0)
            o--;
        memcpy(out + o, "\xE2\x80\xA6", 3);
        o += 3;
    }
    out[o] = 0;
    return out;
}

enum err_code gis_extract_random(unsigned char *out, size_t n, struct err *e)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out + got, n - got, 0);
        if (r < 0)
            return err_set(e, ERR_INTERNAL, "getrandom failed");
        got += (size_t)r;
    }
    return ERR_OK;
}

enum err_code gis_extract_new_code(char out[GIS_EXTRACT_CODE_LEN + 1], struct err *e)
{
    unsigned char r[15]; /* 120 bits = 24 base32 characters */
    if (gis_extract_random(r, sizeof r, e))
        return e->code;
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    for (int i = 0; i < GIS_EXTRACT_CODE_LEN; i++) {
        int bit = i * 5, byte = bit / 8, off = bit % 8;
        unsigned v = ((unsigned)r[byte] << 8) | (byte + 1 < (int)sizeof r ? r[byte + 1] : 0);
        out[i] = alphabet[(v >> (11 - off)) & 31];
    }
    out[GIS_EXTRACT_CODE_LEN] = 0;
    return ERR_OK;
}
