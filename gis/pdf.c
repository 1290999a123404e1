/* The PDF typesetter (gis/pdf.h): Pango text flowed onto Cairo PDF pages, with tags, tables, hyphenation
 * and page furniture through a callback; and the PDF surface, its language and the fonts. */
#include "gis/pdf.h"

#include <cairo-pdf.h>
#include <dlfcn.h>
#include <link.h>
#include <glib.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <qrencode.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gis/utf8.h"
#include "util/sha256.h"
#include "util/zbuf.h"

/* cairo deflates every PDF stream (page content, font subsets) through zlib at its default level 6, with no
 * way to ask for another or for another library, and on a one-page wyrys that was a fifth of the issue,
 * then (at level 1) still a seventh. These definitions take cairo's calls (the executable's symbols come
 * first for the shared libraries it links): a stream cairo opens (deflateInit_ called from libcairo) is
 * gathered whole and compressed at Z_FINISH in one call of libdeflate (util/zbuf.h) at level 1, two to three
 * times faster than zlib's level 1 and as small; the output is an ordinary zlib stream. Every other stream
 * (libpng, GDAL, libzip, zlib's own compress()) is zlib's, at the level asked, and the default level 1. A
 * gathered stream is told from zlib's own by its state's first member: zlib's points back to the z_stream,
 * ours to zshim_tag. cairo 1.16 calls deflateInit_, deflate (Z_NO_FLUSH, then Z_FINISH until Z_STREAM_END)
 * and deflateEnd on its streams, and nothing else. */
static const char zshim_tag[] = "odra-deflate";

struct zshim {
    const void *tag; /* zshim_tag; where zlib's state keeps its z_stream pointer */
    int level;
    struct buf in, out; /* all the input; the compressed stream, once finished */
    size_t sent;        /* of out, given to the caller */
    bool finished;
};

typedef int (*deflate_init_fn)(z_streamp, int, const char *, int);
typedef int (*deflate_fn)(z_streamp, int);
typedef int (*deflate_end_fn)(z_streamp);

/* zlib's own definition of name (the next one after the executable's). */
static void *zlib_sym(void **cache, const char *name)
{
    void *f = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        __atomic_store_n(cache, f, __ATOMIC_RELEASE);
    }
    return f;
}

static struct zshim *zshim_of(z_streamp strm)
{
    struct zshim *z = strm ? (struct zshim *)(void *)strm->state : NULL;
    return z && z->tag == zshim_tag ? z : NULL;
}

/* libcairo's executable segments, found once (dladdr per call searched its symbol table: 0.4% of an issue). */
static struct {
    uintptr_t base, lo[4], hi[4];
    int n;
} cairo_text;
static pthread_once_t cairo_text_once = PTHREAD_ONCE_INIT;

static int cairo_text_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    if (info->dlpi_addr != cairo_text.base)
        return 0;
    for (int i = 0; i < info->dlpi_phnum && cairo_text.n < 4; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            cairo_text.lo[cairo_text.n] = info->dlpi_addr + ph->p_vaddr;
            cairo_text.hi[cairo_text.n++] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
        }
    }
    return 1;
}

static void cairo_text_find(void)
{
    void (*f)(cairo_t *) = cairo_destroy;
    void *fp;
    memcpy(&fp, &f, sizeof fp);
    Dl_info info;
    if (dladdr(fp, &info) && info.dli_fbase) {
        cairo_text.base = (uintptr_t)info.dli_fbase;
        dl_iterate_phdr(cairo_text_segment, NULL);
    }
}

/* Whether code at address pc is libcairo's. */
static bool from_cairo(const void *pc)
{
    pthread_once(&cairo_text_once, cairo_text_find);
    for (int i = 0; i < cairo_text.n; i++)
        if ((uintptr_t)pc >= cairo_text.lo[i] && (uintptr_t)pc < cairo_text.hi[i])
            return true;
    return false;
}

static unsigned long gathered;

unsigned long gis_pdf_deflate_gathered(void)
{
    return __atomic_load_n(&gathered, __ATOMIC_RELAXED);
}

int gis_pdf_deflate_gather(z_streamp strm, int level)
{
    __atomic_add_fetch(&gathered, 1, __ATOMIC_RELAXED);
    struct zshim *z = calloc(1, sizeof *z);
    if (!z)
        return Z_MEM_ERROR;
    z->tag = zshim_tag;
    z->level = level == Z_DEFAULT_COMPRESSION ? 1 : level;
    strm->state = (struct internal_state *)(void *)z;
    strm->msg = NULL;
    strm->total_in = strm->total_out = 0;
    strm->adler = 1;
    strm->data_type = Z_UNKNOWN;
    return Z_OK;
}

int deflateInit_(z_streamp strm, int level, const char *version, int stream_size)
{
    static void *real;
    if (strm && stream_size == (int)sizeof(z_stream) && version && version[0] == ZLIB_VERSION[0] &&
        (level == Z_DEFAULT_COMPRESSION || (level >= 1 && level <= 9)) && from_cairo(__builtin_return_address(0)))
        return gis_pdf_deflate_gather(strm, level);
    deflate_init_fn f;
    void *sym = zlib_sym(&real, "deflateInit_");
    if (!sym)
        return Z_STREAM_ERROR;
    memcpy(&f, &sym, sizeof f);
    return f(strm, level == Z_DEFAULT_COMPRESSION ? 1 : level, version, stream_size);
}

int deflate(z_streamp strm, int flush)
{
    static void *real;
    struct zshim *z = zshim_of(strm);
    if (!z) {
        deflate_fn f;
        void *sym = zlib_sym(&real, "deflate");
        if (!sym)
            return Z_STREAM_ERROR;
        memcpy(&f, &sym, sizeof f);
        return f(strm, flush);
    }
    if (strm->avail_in) {
        if (z->finished || !strm->next_in)
            return Z_STREAM_ERROR;
        buf_append(&z->in, (const char *)strm->next_in, strm->avail_in);
        if (z->in.failed)
            return Z_MEM_ERROR;
        strm->next_in += strm->avail_in;
        strm->total_in += strm->avail_in;
        strm->avail_in = 0;
    }
    if (flush != Z_FINISH)
        return flush == Z_NO_FLUSH ? Z_OK : Z_STREAM_ERROR; /* cairo never flushes part of a stream */
    if (!z->finished) {
        struct err e = {0};
        if (zbuf_compress(ZBUF_ZLIB, z->level, z->in.data, z->in.len, &z->out, &e))
            return Z_MEM_ERROR;
        z->finished = true;
        buf_free(&z->in);
    }
    size_t n = z->out.len - z->sent;
    if (n > strm->avail_out)
        n = strm->avail_out;
    if (n) {
        if (!strm->next_out)
            return Z_STREAM_ERROR;
        memcpy(strm->next_out, z->out.data + z->sent, n);
        strm->next_out += n;
        strm->avail_out -= (uInt)n;
        strm->total_out += n;
        z->sent += n;
    }
    return z->sent == z->out.len ? Z_STREAM_END : (n ? Z_OK : Z_BUF_ERROR);
}

int deflateEnd(z_streamp strm)
{
    static void *real;
    struct zshim *z = zshim_of(strm);
    if (!z) {
        deflate_end_fn f;
        void *sym = zlib_sym(&real, "deflateEnd");
        if (!sym)
            return Z_STREAM_ERROR;
        memcpy(&f, &sym, sizeof f);
        return f(strm);
    }
    bool done = z->finished && z->sent == z->out.len;
    buf_free(&z->in);
    buf_free(&z->out);
    free(z);
    strm->state = NULL;
    return done ? Z_OK : Z_DATA_ERROR;
}

/* Copies out[0..len) into s of maxlen bytes as snprintf does (cut and terminated); returns len. */
static int put_out(char *s, size_t maxlen, const char *out, int len)
{
    if (maxlen) {
        size_t c = (size_t)len < maxlen - 1 ? (size_t)len : maxlen - 1;
        memcpy(s, out, c);
        s[c] = 0;
    }
    return len;
}

/* Appends the decimal digits of v to out at *len. */
static void put_digits(char *out, int *len, uint64_t v)
{
    char digits[24];
    int nd = 0;
    do
        digits[nd++] = (char)('0' + v % 10);
    while (v /= 10);
    while (nd)
        out[(*len)++] = digits[--nd];
}

int gis_pdf_fixed(char *s, size_t maxlen, double d, int prec)
{
    static const uint64_t scales[] = {1,
                                      10,
                                      100,
                                      1000,
                                      10000,
                                      100000,
                                      1000000,
                                      10000000,
                                      100000000,
                                      1000000000,
                                      10000000000ULL,
                                      100000000000ULL,
                                      1000000000000ULL,
                                      10000000000000ULL,
                                      100000000000000ULL,
                                      1000000000000000ULL,
                                      10000000000000000ULL,
                                      100000000000000000ULL,
                                      1000000000000000000ULL};
    if (prec < 0 || prec > 18 || !isfinite(d) || fabs(d) >= 1e9)
        return -1;
    const char *point = localeconv()->decimal_point;
    if (point[0] != '.' || point[1])
        return -1;
    /* |d| is exactly m / 2^k with m an integer below 2^53 (k > 23 as |d| < 2^30). n = m * 10^prec / 2^k
     * rounded to the nearest integer, a tie to the even one, as glibc rounds the exact binary value: the
     * product is below 2^113, exact in 128 bits, and so is the remainder of the shift. */
    int exp;
    double fr = frexp(fabs(d), &exp);
    uint64_t m = (uint64_t)ldexp(fr, 53);
    int k = 53 - exp;
    unsigned __int128 prod = (unsigned __int128)m * scales[prec], n = 0;
    if (k <= 113) { /* beyond, the product is under half of 2^k: 0 */
        n = prod >> k;
        unsigned __int128 rest = prod - (n << k), half = (unsigned __int128)1 << (k - 1);
        n += rest > half || (rest == half && (n & 1));
    }
    char out[48];
    int len = 0;
    if (signbit(d))
        out[len++] = '-';
    put_digits(out, &len, (uint64_t)(n / scales[prec]));
    if (prec) {
        uint64_t fp = (uint64_t)(n % scales[prec]);
        out[len++] = '.';
        for (int i = prec - 1; i >= 0; i--, fp /= 10)
            out[len + i] = (char)('0' + fp % 10);
        len += prec;
    }
    return put_out(s, maxlen, out, len);
}

/* v written as "%ld" writes it. */
static int put_long(char *s, size_t maxlen, long v)
{
    char out[24];
    int len = 0;
    if (v < 0)
        out[len++] = '-';
    put_digits(out, &len, v < 0 ? -(uint64_t)v : (uint64_t)v);
    return put_out(s, maxlen, out, len);
}

/* glibc's fortified vsnprintf, which the definition below hands every other call. */
int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, va_list ap);

/* cairo writes every number of a PDF (a path's coordinates, a matrix, a glyph position) with
 * snprintf("%.*f", 3, x) or snprintf("%f", x) ("%.18f" below 0.1, "%d" and "%ld" for integers), through
 * glibc's fortified entry __snprintf_chk, and glibc's
 * exact decimal conversion costs some 3,000 instructions a number: on a one-page wyrys, whose label halos are
 * glyph outlines, about 8,000 numbers and a fifth of the issue. This definition takes cairo's calls (as
 * deflateInit_ above, the executable's symbol comes first) and writes those formats with gis_pdf_fixed and
 * put_long: the same characters, by integer arithmetic. Every other format, and every number gis_pdf_fixed declines,
 * goes to glibc. odra's own code is built without _FORTIFY_SOURCE and calls snprintf, not this. */
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = -1;
    if (maxlen <= slen && fmt[0] == '%') {
        va_list aq;
        va_copy(aq, ap);
        if (strcmp(fmt, "%.*f") == 0) {
            int prec = va_arg(aq, int);
            n = gis_pdf_fixed(s, maxlen, va_arg(aq, double), prec);
        } else if (strcmp(fmt, "%f") == 0)
            n = gis_pdf_fixed(s, maxlen, va_arg(aq, double), 6);
        else if (strcmp(fmt, "%.18f") == 0)
            n = gis_pdf_fixed(s, maxlen, va_arg(aq, double), 18);
        else if (strcmp(fmt, "%d") == 0)
            n = put_long(s, maxlen, va_arg(aq, int));
        else if (strcmp(fmt, "%ld") == 0)
            n = put_long(s, maxlen, va_arg(aq, long));
        va_end(aq);
    }
    if (n < 0)
        n = __vsnprintf_chk(s, maxlen, flag, slen, fmt, ap);
    va_end(ap);
    return n;
}

const struct gis_pdf_page gis_pdf_a4 = {
    .w = 595.276,
    .h = 841.890,
    .left = 25 * GIS_PDF_MM,
    .right = 20 * GIS_PDF_MM,
    .top = 20 * GIS_PDF_MM,
    .bottom = 22 * GIS_PDF_MM,
};

double gis_pdf_text_width(const struct gis_pdf *t)
{
    return t->pg.w - t->pg.left - t->pg.right;
}

double gis_pdf_bottom(const struct gis_pdf *t)
{
    return t->pg.h - t->pg.bottom;
}

void gis_pdf_tag_begin(struct gis_pdf *t, const char *tag)
{
    if (t->ntags < GIS_PDF_MAX_TAGS)
        t->tags[t->ntags++] = tag;
    if (t->cr)
        cairo_tag_begin(t->cr, tag, NULL);
}

void gis_pdf_tag_end(struct gis_pdf *t)
{
    if (t->ntags > 0) {
        t->ntags--;
        if (t->cr)
            cairo_tag_end(t->cr, t->tags[t->ntags]);
    }
}

/* Markup built with every argument escaped; lives in the arena. */
const char *gis_pdf_markup(struct gis_pdf *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gchar *g = g_markup_vprintf_escaped(fmt, ap);
    va_end(ap);
    const char *r = g ? arena_strdup(t->a, g) : "";
    g_free(g);
    return r ? r : "";
}

/* The layouts a thread made, by what made them (layout_key), each holding a reference; shaping is most of
 * a layout's cost, and a document's headings, labels, legend rows and notes are the same text from issue to
 * issue. Per thread, since Pango's font map is; freed with the thread. */
static pthread_key_t layouts_key;
static pthread_once_t layouts_once = PTHREAD_ONCE_INIT;

static void layouts_free(void *p)
{
    g_hash_table_destroy(p);
}

static void layouts_init(void)
{
    pthread_key_create(&layouts_key, layouts_free);
}

static GHashTable *layouts(void)
{
    pthread_once(&layouts_once, layouts_init);
    GHashTable *h = pthread_getspecific(layouts_key);
    if (!h && (h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref)))
        pthread_setspecific(layouts_key, h);
    return h;
}

unsigned gis_pdf_layouts_kept(void)
{
    GHashTable *h = layouts();
    return h ? g_hash_table_size(h) : 0;
}

PangoLayout *gis_pdf_layout_wrap(struct gis_pdf *t, const char *markup, const char *font, double width,
                                 PangoAlignment al, bool justify, PangoWrapMode wrap, PangoEllipsizeMode ellipsize)
{
    /* everything the layout is made from: the context's language (the rest of gis_pdf_context is fixed),
     * the settings, the font and the markup, which comes last and may hold any byte but NUL */
    PangoLanguage *lang = pango_context_get_language(t->pc);
    char *key =
        g_strdup_printf("%s|%d|%d|%d|%d|%d|%s|%s", lang ? pango_language_to_string(lang) : "",
                        (int)(width * PANGO_SCALE), (int)al, (int)justify, (int)wrap, (int)ellipsize, font, markup);
    GHashTable *h = layouts();
    PangoLayout *l = h ? g_hash_table_lookup(h, key) : NULL;
    if (l) {
        g_free(key);
        return g_object_ref(l);
    }
    l = pango_layout_new(t->pc);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, wrap);
    pango_layout_set_ellipsize(l, ellipsize);
    pango_layout_set_alignment(l, al);
    pango_layout_set_justify(l, justify);
    pango_layout_set_line_spacing(l, 1.15f);
    pango_layout_set_markup(l, markup, -1);
    if (h) {
        if (g_hash_table_size(h) >= GIS_PDF_LAYOUTS_KEPT)
            g_hash_table_remove_all(h); /* afresh: what documents use again is back after one of each */
        g_hash_table_insert(h, key, g_object_ref(l));
    } else {
        g_free(key);
    }
    return l;
}

PangoLayout *gis_pdf_layout(struct gis_pdf *t, const char *markup, const char *font, double width, PangoAlignment al,
                            bool justify)
{
    return gis_pdf_layout_wrap(t, markup, font, width, al, justify, PANGO_WRAP_WORD_CHAR, PANGO_ELLIPSIZE_NONE);
}

void gis_pdf_show(struct gis_pdf *t, PangoLayout *l, double x, double y)
{
    if (!t->cr)
        return;
    cairo_move_to(t->cr, x, y);
    pango_cairo_show_layout(t->cr, l);
}

double gis_pdf_height(PangoLayout *l)
{
    int w, h;
    pango_layout_get_size(l, &w, &h);
    return h / (double)PANGO_SCALE;
}

void gis_pdf_new_page(struct gis_pdf *t)
{
    /* structure elements are closed before the page furniture and reopened after it, except the
     * outermost Document, so running headers and footers stay outside paragraphs and tables */
    const char *open[GIS_PDF_MAX_TAGS];
    int n = t->ntags;
    memcpy(open, t->tags, sizeof open);
    while (t->ntags > 1)
        gis_pdf_tag_end(t);
    if (t->furniture)
        t->furniture(t);
    if (t->cr)
        cairo_show_page(t->cr);
    t->page++;
    t->y = t->pg.top;
    for (int i = t->ntags; i < n; i++)
        gis_pdf_tag_begin(t, open[i]);
}

/* Starts a new page unless h points fit. */
void gis_pdf_ensure(struct gis_pdf *t, double h)
{
    if (t->y + h > gis_pdf_bottom(t) && t->y > t->pg.top + 1)
        gis_pdf_new_page(t);
}

/* Flows a layout line by line, breaking pages between lines (never leaving a single first line). */
void gis_pdf_flow(struct gis_pdf *t, PangoLayout *l, double x, const char *tag, double after)
{
    if (tag)
        gis_pdf_tag_begin(t, tag);
    PangoLayoutIter *it = pango_layout_get_iter(l);
    int nlines = pango_layout_get_line_count(l), i = 0;
    do {
        int y0, y1;
        pango_layout_iter_get_line_yrange(it, &y0, &y1);
        double h = (y1 - y0) / (double)PANGO_SCALE;
        double base = (pango_layout_iter_get_baseline(it) - y0) / (double)PANGO_SCALE;
        if (t->y + h > gis_pdf_bottom(t) || (i == 0 && nlines > 1 && t->y + 2 * h > gis_pdf_bottom(t)))
            gis_pdf_new_page(t);
        if (t->cr) {
            PangoRectangle r;
            pango_layout_iter_get_line_extents(it, NULL, &r);
            cairo_move_to(t->cr, x + r.x / (double)PANGO_SCALE, t->y + base);
            pango_cairo_show_layout_line(t->cr, pango_layout_iter_get_line_readonly(it));
        }
        t->y += h;
        i++;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    if (tag)
        gis_pdf_tag_end(t);
    t->y += after;
}

void gis_pdf_para(struct gis_pdf *t, const char *markup, const char *font, PangoAlignment al, bool justify,
                  double indent, const char *tag, double after)
{
    PangoLayout *l = gis_pdf_layout(t, markup, font, gis_pdf_text_width(t) - indent, al, justify);
    gis_pdf_flow(t, l, t->pg.left + indent, tag, after);
    g_object_unref(l);
}

void gis_pdf_heading(struct gis_pdf *t, const char *markup, const char *font, const char *tag, double before)
{
    PangoLayout *l = gis_pdf_layout(t, markup, font, gis_pdf_text_width(t), PANGO_ALIGN_LEFT, false);
    t->y += before;
    gis_pdf_ensure(t, gis_pdf_height(l) + 40); /* keep a heading with what follows it */
    gis_pdf_flow(t, l, t->pg.left, tag, 4);
    g_object_unref(l);
}

static bool is_vowel(unsigned c)
{
    return strchr("aeiouyAEIOUY", (int)(c < 128 ? c : 1)) != NULL || c == 0x105 || c == 0x119 || c == 0xF3 ||
           c == 0x104 || c == 0x118 || c == 0xD3;
}

static bool is_letter(unsigned c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c < 0x250);
}

/* Inserts soft hyphens into long Polish words at safe syllable boundaries (before a consonant that stands
 * between two vowels, and before the Polish digraphs ch, cz, dz, rz, sz in that position), at least three
 * letters from either end, so justified lines can break words instead of stretching spaces. */
char *gis_pdf_hyphenate(struct arena *a, const char *s)
{
    size_t len = strlen(s);
    char *out = arena_alloc(a, len * 2 + 1);
    if (!out)
        return (char *)s;
    size_t o = 0, i = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (i < len) {
        /* collect a word of letters */
        unsigned cps[64];
        size_t offs[65];
        int n = 0;
        size_t j = i;
        while (j < len && n < 64) {
            unsigned c;
            int k = gis_utf8_decode(p + j, len - j, &c);
            if (!k || !is_letter(c))
                break;
            offs[n] = j;
            cps[n++] = c;
            j += (size_t)k;
        }
        offs[n] = j;
        if (n == 0) {
            out[o++] = s[i++];
            continue;
        }
        if (n >= 64) { /* an absurd word: copy as is */
            memcpy(out + o, s + i, j - i);
            o += j - i;
            i = j;
            continue;
        }
        for (int w = 0; w < n; w++) {
            if (n >= 8 && w >= 3 && w <= n - 3 && !is_vowel(cps[w]) && is_vowel(cps[w - 1])) {
                bool digraph = w + 2 < n && !is_vowel(cps[w + 1]) && is_vowel(cps[w + 2]) &&
                               ((cps[w] == 'c' && (cps[w + 1] == 'h' || cps[w + 1] == 'z')) ||
                                (cps[w] == 'd' && cps[w + 1] == 'z') || (cps[w] == 'r' && cps[w + 1] == 'z') ||
                                (cps[w] == 's' && cps[w + 1] == 'z'));
                if ((w + 1 < n && is_vowel(cps[w + 1])) || digraph) {
                    memcpy(out + o, "\xC2\xAD", 2);
                    o += 2;
                }
            }
            memcpy(out + o, s + offs[w], offs[w + 1] - offs[w]);
            o += offs[w + 1] - offs[w];
        }
        i = j;
    }
    out[o] = 0;
    return out;
}

/* Body text: each line of s is one justified, hyphenated paragraph. */
void gis_pdf_body(struct gis_pdf *t, const char *s, const char *font, double indent)
{
    const char *p = s;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = arena_strndup(t->a, p, n);
        if (line && *line) {
            gchar *esc = g_markup_escape_text(gis_pdf_hyphenate(t->a, line), -1);
            gis_pdf_para(t, esc, font, PANGO_ALIGN_LEFT, true, indent, "P", 3);
            g_free(esc);
        }
        p = nl ? nl + 1 : NULL;
    }
}

void gis_pdf_table_begin(struct gis_pdf *t, int ncols, const double *frac, const PangoAlignment *al,
                         const char *const *head, const char *font)
{
    t->ncols = ncols;
    t->table_font = font;
    for (int i = 0; i < ncols; i++) {
        t->colw[i] = frac[i] * gis_pdf_text_width(t);
        t->colal[i] = al[i];
        t->head[i] = head ? head[i] : NULL;
    }
    gis_pdf_tag_begin(t, "Table");
}

static void table_row_impl(struct gis_pdf *t, const char *const *cells, bool header, bool bold)
{
    PangoLayout *l[GIS_PDF_MAX_COLS];
    double h = 0, pad = 3;
    for (int i = 0; i < t->ncols; i++) {
        const char *c = cells[i] ? cells[i] : "";
        l[i] = gis_pdf_layout(t, header || bold ? arena_printf(t->a, "<b>%s</b>", c) : c, t->table_font,
                              t->colw[i] - 2 * pad, header ? PANGO_ALIGN_CENTER : t->colal[i], false);
        double lh = gis_pdf_height(l[i]) + 2 * pad;
        if (lh > h)
            h = lh;
    }
    if (t->y + h > gis_pdf_bottom(t)) {
        gis_pdf_new_page(t);
        if (!header && t->head[0])
            table_row_impl(t, t->head, true, false);
    }
    gis_pdf_tag_begin(t, "TR");
    double x = t->pg.left;
    for (int i = 0; i < t->ncols; i++) {
        if (t->cr) {
            cairo_save(t->cr);
            cairo_rectangle(t->cr, x, t->y, t->colw[i], h);
            if (header) {
                cairo_set_source_rgb(t->cr, 0.9, 0.9, 0.9);
                cairo_fill_preserve(t->cr);
            }
            cairo_set_source_rgb(t->cr, 0.3, 0.3, 0.3);
            cairo_set_line_width(t->cr, 0.5);
            cairo_stroke(t->cr);
            cairo_restore(t->cr);
        }
        gis_pdf_tag_begin(t, header ? "TH" : "TD");
        gis_pdf_show(t, l[i], x + pad, t->y + pad);
        gis_pdf_tag_end(t);
        g_object_unref(l[i]);
        x += t->colw[i];
    }
    gis_pdf_tag_end(t);
    t->y += h;
}

void gis_pdf_table_row(struct gis_pdf *t, const char *const *cells, bool bold)
{
    table_row_impl(t, cells, false, bold);
}

void gis_pdf_table_header(struct gis_pdf *t)
{
    table_row_impl(t, t->head, true, false);
}

void gis_pdf_table_end(struct gis_pdf *t, double after)
{
    gis_pdf_tag_end(t);
    t->ncols = 0;
    t->head[0] = NULL;
    t->y += after;
}

void gis_pdf_qr(struct gis_pdf *t, const char *text, double x, double y, double size)
{
    if (!t->cr)
        return;
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q)
        return;
    double mod = size / (q->width + 8); /* four modules of quiet zone each side */
    cairo_t *cr = t->cr;
    cairo_save(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, x, y, size, size);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    /* The dark modules as a one-bit stencil, a module per pixel, scaled without smoothing: a few hundred
     * bytes in the PDF (an image mask), where a rectangle per module was a third of a wyrys sheet's content. */
    int w = q->width;
    cairo_surface_t *m = cairo_image_surface_create(CAIRO_FORMAT_A1, w, w);
    if (cairo_surface_status(m) == CAIRO_STATUS_SUCCESS) {
        cairo_surface_flush(m);
        unsigned char *px = cairo_image_surface_get_data(m);
        int stride = cairo_image_surface_get_stride(m);
        for (int r = 0; r < w; r++) {
            uint32_t *row = (uint32_t *)(void *)(px + (size_t)r * (size_t)stride);
            for (int c = 0; c < w; c++)
                if (q->data[r * w + c] & 1) /* A1: 32-bit words, the first pixel in the low bit on little-endian */
                    row[c / 32] |= (uint32_t)1 << (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? c % 32 : 31 - c % 32);
        }
        cairo_surface_mark_dirty(m);
        cairo_translate(cr, x + 4 * mod, y + 4 * mod);
        cairo_scale(cr, mod, mod);
        cairo_pattern_t *pat = cairo_pattern_create_for_surface(m);
        cairo_pattern_set_filter(pat, CAIRO_FILTER_NEAREST);
        cairo_mask(cr, pat);
        cairo_pattern_destroy(pat);
    }
    cairo_surface_destroy(m);
    cairo_restore(cr);
    QRcode_free(q);
}

static const char *const months_gen[] = {"stycznia", "lutego",   "marca",    "kwietnia",     "maja",      "czerwca",
                                         "lipca",    "sierpnia", "września", "października", "listopada", "grudnia"};

const char *gis_pdf_date_pl(struct arena *a, const char *iso)
{
    int y, mo, d;
    if (!iso || sscanf(iso, "%4d-%2d-%2d", &y, &mo, &d) != 3 || mo < 1 || mo > 12)
        return iso ? iso : "";
    return arena_printf(a, "%d %s %d r.", d, months_gen[mo - 1], y);
}

void gis_pdf_seal_mark(struct gis_pdf *t, double x, double y, double w, double page_h,
                       const struct gis_pdf_seal_mark *m)
{
    t->mark[0] = x, t->mark[1] = page_h - y - GIS_PDF_MARK_H, t->mark[2] = x + w, t->mark[3] = page_h - y;
    if (!t->cr)
        return;
    cairo_t *cr = t->cr;
    cairo_save(cr);
    cairo_rectangle(cr, x, y, w, GIS_PDF_MARK_H);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, m->signer ? 0.05 : 0.6, m->signer ? 0.25 : 0.1, m->signer ? 0.5 : 0.1);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
    cairo_restore(cr);
    const char *txt =
        m->signer
            ? gis_pdf_markup(t, "<b>Pieczęć elektroniczna</b>\n%s\n%s\n<small>%s</small>", m->organ, m->date, m->signer)
            : gis_pdf_markup(t,
                             "<b>Dokument bez pieczęci elektronicznej</b>\n%s\n%s\n<small>Urząd nie ma "
                             "skonfigurowanej pieczęci; zgodność potwierdza kod weryfikacyjny.</small>",
                             m->organ, m->date);
    gis_pdf_tag_begin(t, "P");
    PangoLayout *l = gis_pdf_layout(t, txt, "DejaVu Sans 6.5", w - 8, PANGO_ALIGN_LEFT, false);
    gis_pdf_show(t, l, x + 4, y + 3);
    g_object_unref(l);
    gis_pdf_tag_end(t);
}

static cairo_status_t stream_write(void *closure, const unsigned char *data, unsigned int len)
{
    struct buf *b = closure;
    buf_append(b, (const char *)data, len);
    return b->failed ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* The sRGB profile the output intent names (Debian icc-profiles-free), read and compressed once: srgb_len
 * bytes of zlib stream (at the best level, once). */
static char *srgb_icc;
static size_t srgb_len;
static pthread_once_t srgb_once = PTHREAD_ONCE_INIT;

static void srgb_load(void)
{
    FILE *f = fopen(GIS_PDF_SRGB_ICC, "rb");
    if (!f)
        return;
    char *d = malloc(1 << 16);
    size_t n = d ? fread(d, 1, 1 << 16, f) : 0;
    fclose(f);
    struct buf z = {0};
    struct err e = {0};
    if (n > 128 && n < (1 << 16) && !zbuf_compress(ZBUF_ZLIB, 12, d, n, &z, &e)) {
        srgb_icc = z.data;
        srgb_len = z.len;
    } else {
        buf_free(&z);
    }
    free(d);
}

/* s as the text of an XML element, appended to b. */
static void xml_text(struct buf *b, const char *s)
{
    for (; s && *s; s++)
        if (*s == '<')
            buf_puts(b, "&lt;");
        else if (*s == '>')
            buf_puts(b, "&gt;");
        else if (*s == '&')
            buf_puts(b, "&amp;");
        else
            buf_append(b, s, 1);
}

/* The XMP packet of a PDF/A-2b document: the same title, author, subject, producer and dates as the
 * information dictionary cairo wrote (producer and dates read back from it). */
static void xmp_packet(struct buf *x, const struct gis_pdf_info *info, const char *producer, const char *created)
{
    buf_puts(
        x, "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
           "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
           "<rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\" "
           "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" "
           "xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n"
           "<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>\n"
           "<dc:format>application/pdf</dc:format>\n<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">");
    xml_text(x, info && info->title ? info->title : "");
    buf_puts(x, "</rdf:li></rdf:Alt></dc:title>\n<dc:creator><rdf:Seq><rdf:li>");
    xml_text(x, info && info->author ? info->author : "");
    buf_puts(x, "</rdf:li></rdf:Seq></dc:creator>\n<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">");
    xml_text(x, info && info->subject ? info->subject : "");
    buf_puts(x, "</rdf:li></rdf:Alt></dc:description>\n<xmp:CreatorTool>odra</xmp:CreatorTool>\n<pdf:Producer>");
    xml_text(x, producer);
    buf_puts(x, "</pdf:Producer>\n");
    if (created && *created)
        buf_printf(x, "<xmp:CreateDate>%s</xmp:CreateDate><xmp:ModifyDate>%s</xmp:ModifyDate>\n", created, created);
    buf_puts(x, "</rdf:Description>\n</rdf:RDF></x:xmpmeta>\n<?xpacket end=\"w\"?>");
}

/* "D:20260514120000+02'00'" (a PDF date string's text) as an XMP date, "2026-05-14T12:00:00+02:00"; "" when
 * it is not one. */
static void pdf_date_to_xmp(const char *v, char out[32])
{
    int y, mo, d, h, mi, s;
    char tz = 0;
    int th = 0, tm = 0;
    out[0] = 0;
    const char *p = v ? strstr(v, "D:") : NULL;
    if (!p || sscanf(p, "D:%4d%2d%2d%2d%2d%2d%c%2d'%2d", &y, &mo, &d, &h, &mi, &s, &tz, &th, &tm) < 6)
        return;
    if (tz == '+' || tz == '-')
        snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, mo, d, h, mi, s, tz, th, tm);
    else
        snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
}

/* A PDF literal string's text: "(cairo 1.16.0 (https://cairographics.org))" without the outer parentheses
 * and escapes (ASCII strings only, which is what cairo writes for its producer and dates). */
static void pdf_string_text(const char *v, char *out, size_t cap)
{
    size_t o = 0;
    if (v && *v == '(') {
        for (const char *p = v + 1; *p && o + 1 < cap; p++) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == ')' && !p[1])
                break;
            out[o++] = *p;
        }
    }
    out[o] = 0;
}

enum err_code gis_pdf_finalize(struct buf *b, size_t start, const char *lang, const struct gis_pdf_info *info,
                               struct err *e)
{
    pthread_once(&srgb_once, srgb_load);
    if (!srgb_icc)
        return err_set(e, ERR_INTERNAL, "the sRGB profile %s is missing (Debian package icc-profiles-free)",
                       GIS_PDF_SRGB_ICC);
    struct gis_pdf_update u;
    if (gis_pdf_update_begin(&u, b, start, e))
        return e->code;
    char *cat = gis_pdf_update_dict(&u, u.root, e);
    char *inf = u.info ? gis_pdf_update_dict(&u, u.info, e) : NULL;
    if (!cat || (u.info && !inf)) {
        free(cat);
        free(inf);
        return e->code;
    }
    char *pv = inf ? gis_pdf_dict_value(inf, "/Producer") : NULL,
         *cv = inf ? gis_pdf_dict_value(inf, "/CreationDate") : NULL;
    char producer[128], created[32];
    pdf_string_text(pv, producer, sizeof producer);
    pdf_date_to_xmp(cv, created);
    free(pv);
    free(cv);
    free(inf);
    int meta = gis_pdf_update_new(&u), intent = gis_pdf_update_new(&u), icc = gis_pdf_update_new(&u);
    enum err_code rc = gis_pdf_update_obj(&u, u.root, e);
    if (!rc) {
        buf_printf(b, "<< /Lang (%s) /Metadata %d 0 R /OutputIntents [%d 0 R]%s>>\nendobj\n", lang, meta, intent, cat);
        rc = gis_pdf_update_obj(&u, meta, e);
    }
    free(cat);
    if (!rc) {
        struct buf x = {0};
        xmp_packet(&x, info, producer, created);
        buf_printf(b, "<< /Type /Metadata /Subtype /XML /Length %zu >>\nstream\n", x.len);
        buf_append(b, x.data, x.len);
        buf_puts(b, "\nendstream\nendobj\n");
        rc = x.failed ? err_set(e, ERR_INTERNAL, "out of memory") : ERR_OK;
        buf_free(&x);
    }
    if (!rc && !(rc = gis_pdf_update_obj(&u, intent, e)))
        buf_printf(b,
                   "<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) "
                   "/Info (sRGB IEC61966-2.1) /DestOutputProfile %d 0 R >>\nendobj\n",
                   icc);
    if (!rc && !(rc = gis_pdf_update_obj(&u, icc, e))) {
        buf_printf(b, "<< /N 3 /Filter /FlateDecode /Length %zu >>\nstream\n", srgb_len);
        buf_append(b, srgb_icc, srgb_len);
        buf_puts(b, "\nendstream\nendobj\n");
    }
    if (!rc && !u.id[0]) {
        /* PDF/A wants a file identifier; cairo 1.16 writes none. Two copies of a digest of the file so far. */
        char h[65];
        sha256_hex(b->data + start, b->len - start, h);
        snprintf(u.id, sizeof u.id, "[<%.32s> <%.32s>]", h, h);
    }
    return rc ? rc : gis_pdf_update_end(&u, e);
}

PangoContext *gis_pdf_context(const char *lang)
{
    PangoContext *pc = pango_font_map_create_context(pango_cairo_font_map_get_default());
    pango_cairo_context_set_resolution(pc, 72);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(pc, fo);
    cairo_font_options_destroy(fo);
    PangoLanguage *pl = pango_language_from_string(lang);
    pango_context_set_language(pc, pl);
    return pc;
}

/* Checks that the fonts the documents use resolve to DejaVu, so a missing font is a clear error rather
 * than a document set in a fallback face. */
enum err_code gis_pdf_check_fonts(PangoContext *pc, struct err *e)
{
    static const char *const faces[] = {"DejaVu Serif", "DejaVu Sans"};
    for (size_t i = 0; i < 2; i++) {
        PangoFontDescription *fd = pango_font_description_from_string(faces[i]);
        PangoFont *f = pango_context_load_font(pc, fd);
        pango_font_description_free(fd);
        bool ok = false;
        if (f) {
            PangoFontDescription *got = pango_font_describe(f);
            const char *fam = got ? pango_font_description_get_family(got) : NULL;
            ok = fam && !strcmp(fam, faces[i]);
            if (got)
                pango_font_description_free(got);
            g_object_unref(f);
        }
        if (!ok)
            return err_set(e, ERR_INTERNAL, "font '%s' is not installed (Debian package fonts-dejavu-core)", faces[i]);
    }
    return ERR_OK;
}

cairo_surface_t *gis_pdf_surface_create(struct buf *out, double w, double h, const struct gis_pdf_info *info)
{
    cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(stream_write, out, w, h);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, info && info->title ? info->title : "");
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_AUTHOR, info && info->author ? info->author : "");
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_SUBJECT, info && info->subject ? info->subject : "");
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "odra");
    return surf;
}

void gis_pdf_start(struct gis_pdf *t)
{
    t->page = 1;
    t->y = t->pg.top;
}

void gis_pdf_finish(struct gis_pdf *t)
{
    while (t->ntags)
        gis_pdf_tag_end(t);
    if (t->furniture)
        t->furniture(t);
    if (t->cr)
        cairo_show_page(t->cr);
}

enum err_code gis_pdf_close(cairo_t *cr, cairo_surface_t *surf, enum err_code rc, struct buf *out, size_t start,
                            const struct gis_pdf_info *info, struct err *e)
{
    if (!rc && cairo_status(cr))
        rc = err_set(e, ERR_INTERNAL, "cairo: %s", cairo_status_to_string(cairo_status(cr)));
    cairo_destroy(cr);
    cairo_surface_finish(surf);
    if (!rc && cairo_surface_status(surf))
        rc = err_set(e, ERR_IO, "writing the PDF: %s", cairo_status_to_string(cairo_surface_status(surf)));
    cairo_surface_destroy(surf);
    if (!rc && !out->failed)
        rc = gis_pdf_finalize(out, start, "pl-PL", info, e);
    return rc;
}
