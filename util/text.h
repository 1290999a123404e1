/* Text helpers: UTF-8 validation, Polish diacritic folding, small parsers for untrusted input. */
#ifndef UTIL_TEXT_H
#define UTIL_TEXT_H
#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF)
 * and has no NUL or C0 control bytes other than tab, CR and LF. */
bool text_utf8_valid(const char *s, size_t len);

/* Writes into out (capacity cap, always NUL-terminated) a search key for s: lower case, Polish and
 * common Latin diacritics removed (ł→l, Ś→s, ü→u), punctuation turned into single spaces, trimmed.
 * Returns the length written. Invalid UTF-8 bytes are dropped. */
size_t text_fold(const char *s, char *out, size_t cap);

/* Parses a whole string as a decimal integer in [min, max]. Returns false on anything else. */
bool text_parse_long(const char *s, long min, long max, long *out);

/* Parses a whole string as a finite double. Returns false on NaN, Inf, overflow or trailing text. */
bool text_parse_double(const char *s, double *out);

/* Escapes s for XML/HTML text and attribute content into out (capacity cap). Returns needed length. */
size_t text_xml_escape(const char *s, char *out, size_t cap);

/* Deterministic pseudo-random generator (splitmix64), for demo data and tests. */
struct text_rng {
    unsigned long long state;
};
unsigned long long text_rng_next(struct text_rng *r);
/* Uniform in [0, n); n > 0. */
unsigned text_rng_below(struct text_rng *r, unsigned n);
/* Uniform in [lo, hi). */
double text_rng_uniform(struct text_rng *r, double lo, double hi);

#endif
