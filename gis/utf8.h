/* One UTF-8 decoding step for the gis/ files that walk text by code point (the PDF typesetter's
 * hyphenation, the extracts' text cleaning). Header-only: a static inline function, nothing to own. */
#ifndef GIS_UTF8_H
#define GIS_UTF8_H
#include <stddef.h>

/* Decodes one UTF-8 code point at s (len > 0 bytes left) into *cp; returns its length, 0 when it is not
 * well-formed (overlong, surrogate, above U+10FFFF or cut short). */
static inline int gis_utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!n || (size_t)n > len)
        return 0;
    unsigned c = s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10FFFF ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

#endif
