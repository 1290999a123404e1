/* The PDF typesetter, a platform service for every document odra prints (plan extracts today; permits
 * and receipts next): flowing Pango text onto PDF pages with Cairo.
 *
 * What it does: paragraphs (justified, with Polish soft hyphenation), headings kept with what follows,
 * tables whose header row repeats after a page break, a QR code, page breaking between lines (never a lone
 * first line at a page foot), running page furniture through a callback, and a tagged structure (cairo's
 * tags: Document, H1, P, Table, TR, TD, Figure, ...) that stays outside the page furniture. A document is
 * laid out twice when it prints its own page count: once with cr NULL to count, once to draw; both passes
 * take the same decisions. gis_pdf_surface_create streams the PDF into a buf, gis_pdf_finalize adds the
 * document language cairo 1.16 cannot set and the PDF/A-2b metadata (pdf_update.c: incremental updates), and
 * gis_pdf_context/gis_pdf_check_fonts give the Pango context every document uses (72 dpi, no hinting, DejaVu).
 *
 * Ownership: the caller owns struct gis_pdf and everything it points to (the Pango context, the cairo_t,
 * the arena, user). Strings the typesetter makes (gis_pdf_markup, hyphenation) live in t->a; layouts it
 * returns are the caller's to g_object_unref. Nothing is global, so threads may typeset at once, each
 * with its own context. This file also makes zlib's default level 1 for cairo's PDF streams and writes the numbers
 * cairo prints into them by integer arithmetic (pdf.c). */
#ifndef GIS_PDF_H
#define GIS_PDF_H
#include <cairo.h>
#include <zlib.h>
#include <pango/pangocairo.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

/* One millimetre in PDF points. */
#define GIS_PDF_MM (72.0 / 25.4)
/* Structure elements open at once, at most, and columns of a table. */
#define GIS_PDF_MAX_TAGS 6
#define GIS_PDF_MAX_COLS 6

/* A page and its text area, in points: w x h, and the margins around the text. */
struct gis_pdf_page {
    double w, h;
    double left, right, top, bottom;
};
/* A4 portrait with margins of 25 mm left, 20 mm right, 20 mm top and 22 mm bottom. */
extern const struct gis_pdf_page gis_pdf_a4;

struct gis_pdf;
/* Draws the running header and footer of the page being finished (t->page of t->total). */
typedef void (*gis_pdf_furniture_fn)(struct gis_pdf *t);

/* The typesetter's state. Set pc, cr, a, pg (and furniture, user) and call gis_pdf_start. */
struct gis_pdf {
    PangoContext *pc; /* gis_pdf_context() */
    cairo_t *cr;      /* NULL while counting pages: everything is laid out, nothing is drawn */
    struct arena *a;
    struct gis_pdf_page pg;
    gis_pdf_furniture_fn furniture; /* may be NULL */
    const void *user;               /* for the caller's furniture and drawing code */
    int page, total;                /* current page (1-based); total as counted by a first pass */
    double y;                       /* the next line's top, from the page top */
    const char *tags[GIS_PDF_MAX_TAGS];
    int ntags;
    /* the table being set: column widths, alignment, font and the header row repeated after a break */
    int ncols;
    double colw[GIS_PDF_MAX_COLS];
    PangoAlignment colal[GIS_PDF_MAX_COLS];
    const char *head[GIS_PDF_MAX_COLS];
    const char *table_font;
    /* the box of the last seal mark drawn (gis_pdf_seal_mark), in PDF user space: x0 y0 x1 y1 */
    double mark[4];
};

/* A Pango context for documents: 72 units per inch (points), metrics unhinted, language lang ("pl-PL").
 * The caller g_object_unrefs it. */
PangoContext *gis_pdf_context(const char *lang);
/* ERR_INTERNAL naming the Debian package when DejaVu Serif or DejaVu Sans does not resolve to itself, so a
 * missing font is an error rather than a document set in a fallback face. */
enum err_code gis_pdf_check_fonts(PangoContext *pc, struct err *e);

/* Document properties written into the PDF's information dictionary (Creator is "odra"). */
struct gis_pdf_info {
    const char *title, *author, *subject;
};
/* A PDF surface of first page w x h points that appends the PDF to out as cairo writes it. The caller
 * finishes and destroys it, and checks out->failed. */
cairo_surface_t *gis_pdf_surface_create(struct buf *out, double w, double h, const struct gis_pdf_info *info);
/* The sRGB ICC profile a PDF/A output intent embeds (Debian package icc-profiles-free). */
#define GIS_PDF_SRGB_ICC "/usr/share/color/icc/sRGB.icc"
/* Finishes the PDF cairo wrote at out->data + start, by one incremental update: the document language
 * (lang, cairo 1.16 cannot set it) and what PDF/A-2b asks beyond cairo's output: XMP metadata mirroring
 * info and the information dictionary, an output intent with the sRGB profile, and a file identifier.
 * ERR_UNPROCESSABLE when the PDF's structure is not the one expected (gis_pdf_update_begin); ERR_INTERNAL
 * naming the package when the sRGB profile is missing. */
/* Ends a document drawn with cr on surf (from gis_pdf_surface_create into out, from byte start): checks cairo's
 * status, destroys both and finalizes the PDF (gis_pdf_finalize, Polish). rc is the drawing's result: when it
 * is an error, both are still destroyed and rc is returned as it is. */
enum err_code gis_pdf_close(cairo_t *cr, cairo_surface_t *surf, enum err_code rc, struct buf *out, size_t start,
                            const struct gis_pdf_info *info, struct err *e);

enum err_code gis_pdf_finalize(struct buf *out, size_t start, const char *lang, const struct gis_pdf_info *info,
                               struct err *e);

/* An incremental update (PDF 32000-1 §7.5.6) of a PDF with classic cross-reference tables, the kind cairo
 * writes: begin reads the trailer; gis_pdf_update_dict finds an object's current dictionary through the
 * /Prev chain; gis_pdf_update_obj starts an object (new from gis_pdf_update_new, or a new version of an
 * old one), whose body and "endobj" the caller appends to b; end writes the xref section and the trailer.
 * Nothing is allocated in the struct; b is the caller's. */
#define GIS_PDF_UPDATE_MAX 16
struct gis_pdf_update {
    struct buf *b;
    size_t start;   /* the PDF starts at b->data + start; offsets are relative to it */
    int root, info; /* the catalog and the information dictionary (0: none) */
    int size;       /* the next object number */
    long prev;      /* the startxref of the PDF being updated */
    char id[80];    /* the trailer's /ID array, "" when none; kept in the new trailer */
    int n;          /* objects written by this update */
    int num[GIS_PDF_UPDATE_MAX];
    size_t off[GIS_PDF_UPDATE_MAX];
};
/* Reads the last trailer of the PDF at b->data + start. ERR_UNPROCESSABLE naming the problem when it is not
 * a PDF, has no startxref/%%EOF (truncated), uses a cross-reference stream, or its trailer lacks /Root or
 * /Size. */
enum err_code gis_pdf_update_begin(struct gis_pdf_update *u, struct buf *b, size_t start, struct err *e);
/* The body (between << and >>) of object num's current dictionary, malloc'd; NULL with e set when it is
 * not listed, not a dictionary or is rewritten by this update. */
char *gis_pdf_update_dict(struct gis_pdf_update *u, int num, struct err *e);
/* A new object number. */
int gis_pdf_update_new(struct gis_pdf_update *u);
/* Starts object num ("num 0 obj\n") and records its offset; at most GIS_PDF_UPDATE_MAX per update. */
enum err_code gis_pdf_update_obj(struct gis_pdf_update *u, int num, struct err *e);
/* Writes the xref section and the trailer (/Size, /Root, /Info, /ID, /Prev), startxref and %%EOF. */
enum err_code gis_pdf_update_end(struct gis_pdf_update *u, struct err *e);
/* In a dictionary body: whether key ("/Annots") is there; the object number of its reference value; its
 * value's text (malloc'd, NULL when absent). */
bool gis_pdf_dict_has(const char *dict, const char *key);
bool gis_pdf_dict_ref(const char *dict, const char *key, int *num);
char *gis_pdf_dict_value(const char *dict, const char *key);
/* The last occurrence of needle in h[0..n), or NULL. */
const char *gis_pdf_find_last(const char *h, size_t n, const char *needle);
/* The dictionary body without key and its value (malloc'd; a copy when key is absent). */
char *gis_pdf_dict_without(const char *dict, const char *key);

/* The width and the foot (from the page top) of the text area. */
double gis_pdf_text_width(const struct gis_pdf *t);
double gis_pdf_bottom(const struct gis_pdf *t);

/* Starts the first page: page 1, y at the top margin. */
void gis_pdf_start(struct gis_pdf *t);
/* Closes every open structure element, draws the last page's furniture and shows the page. */
void gis_pdf_finish(struct gis_pdf *t);
/* Finishes the page (furniture) and starts the next, reopening the open structure elements but the
 * outermost on it, so furniture stays outside paragraphs and tables. */
void gis_pdf_new_page(struct gis_pdf *t);
/* Starts a new page unless h points still fit on this one. */
void gis_pdf_ensure(struct gis_pdf *t, double h);

/* Opens and closes a structure element (tag is a static string). */
void gis_pdf_tag_begin(struct gis_pdf *t, const char *tag);
void gis_pdf_tag_end(struct gis_pdf *t);

/* Pango markup from fmt with every argument escaped, in t->a; "" when out of memory. */
const char *gis_pdf_markup(struct gis_pdf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A layout of markup in font ("DejaVu Sans 8") wrapped at width points, line spacing 1.15; the caller
 * unrefs it and must not change it: the thread keeps the layouts it made (at most GIS_PDF_LAYOUTS_KEPT, then
 * it starts afresh) and hands the same one out again for the same text, font and settings, already shaped.
 * t's context must be gis_pdf_context(lang)'s with the lang given to gis_pdf_open. */
PangoLayout *gis_pdf_layout(struct gis_pdf *t, const char *markup, const char *font, double width, PangoAlignment al,
                            bool justify);
/* The same with the wrap and ellipsis modes (gis_pdf_layout: PANGO_WRAP_WORD_CHAR, PANGO_ELLIPSIZE_NONE). */
PangoLayout *gis_pdf_layout_wrap(struct gis_pdf *t, const char *markup, const char *font, double width,
                                 PangoAlignment al, bool justify, PangoWrapMode wrap, PangoEllipsizeMode ellipsize);
#define GIS_PDF_LAYOUTS_KEPT 512
/* The number of layouts this thread keeps (for tests). */
unsigned gis_pdf_layouts_kept(void);
/* Draws l with its top left at x, y (nothing while counting). */
void gis_pdf_show(struct gis_pdf *t, PangoLayout *l, double x, double y);
/* The height of l in points. */
double gis_pdf_height(PangoLayout *l);

/* Flows l at x from t->y line by line, breaking pages between lines, inside tag (NULL: none); then
 * leaves after points. */
void gis_pdf_flow(struct gis_pdf *t, PangoLayout *l, double x, const char *tag, double after);
/* A paragraph of markup across the text area, indented by indent. */
void gis_pdf_para(struct gis_pdf *t, const char *markup, const char *font, PangoAlignment al, bool justify,
                  double indent, const char *tag, double after);
/* A heading, before points below the text above it, kept on a page with 40 points of what follows. */
void gis_pdf_heading(struct gis_pdf *t, const char *markup, const char *font, const char *tag, double before);
/* Plain text (not markup): each line of s one justified, hyphenated paragraph ("P") in font. */
void gis_pdf_body(struct gis_pdf *t, const char *s, const char *font, double indent);
/* s with soft hyphens (U+00AD) at safe Polish syllable breaks of words of eight letters or more, in a. */
char *gis_pdf_hyphenate(struct arena *a, const char *s);

/* A table of ncols columns (at most GIS_PDF_MAX_COLS), frac of the text width each, cells in font; head
 * (may be NULL) is the header row, drawn by gis_pdf_table_header and again after each page break. */
void gis_pdf_table_begin(struct gis_pdf *t, int ncols, const double *frac, const PangoAlignment *al,
                         const char *const *head, const char *font);
void gis_pdf_table_header(struct gis_pdf *t);
/* A row of cells (markup); bold sets the whole row in bold. */
void gis_pdf_table_row(struct gis_pdf *t, const char *const *cells, bool bold);
void gis_pdf_table_end(struct gis_pdf *t, double after);

/* "14 maja 2026 r." from "2026-05-14" (in a); the input itself when it is not such a date. */
const char *gis_pdf_date_pl(struct arena *a, const char *iso);

/* The visible part of the office's electronic seal, which the document draws itself on its last page so
 * that its text is page content (pdftotext finds it) in the document's embedded fonts; the signature
 * field's widget (gis/seal.h) lies over it. signer NULL: the document is issued without a seal and the
 * mark says so. */
struct gis_pdf_seal_mark {
    const char *organ, *date; /* as printed */
    const char *signer;       /* the seal certificate's CN; NULL when there is no seal */
};
/* Height of the mark in points. */
#define GIS_PDF_MARK_H 50.0
/* Draws the mark w points wide with its top left at x, y on a page page_h points high and records its
 * box in t->mark (nothing is drawn while counting). */
void gis_pdf_seal_mark(struct gis_pdf *t, double x, double y, double w, double page_h,
                       const struct gis_pdf_seal_mark *m);

/* Makes strm (as deflateInit would, at level) a stream gathered whole and compressed with libdeflate at
 * Z_FINISH, as the streams cairo opens are (pdf.c); deflate and deflateEnd then serve it. For tests. */
int gis_pdf_deflate_gather(z_streamp strm, int level);
/* How many streams were made so, in this process. */
unsigned long gis_pdf_deflate_gathered(void);

/* d written as printf's "%.*f" with precision prec writes it (rounded to nearest, a tie to even, "-" before a
 * negative zero), into s of maxlen bytes as snprintf does; returns the length, or -1 when it declines: prec
 * outside 0..18, d not finite or |d| >= 1e9, or a decimal point other than "." in the locale. Used for the
 * numbers cairo writes into PDFs (pdf.c). */
int gis_pdf_fixed(char *s, size_t maxlen, double d, int prec);

/* A QR code of text (level M) in a size x size square at x, y, with its quiet zone. */
void gis_pdf_qr(struct gis_pdf *t, const char *text, double x, double y, double size);

#endif
