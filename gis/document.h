/* A sealed document in one call, a platform service for every module that issues a document (receipts of
 * submissions, permit decisions, ...): the caller lays out its pages with the typesetter (gis/pdf.h) in a
 * callback; this opens the Pango context and the PDF surface, finalizes the PDF (language, PDF/A-2b) and
 * seals it with the organ's seal (gis/seal.h) over the mark the callback drew (gis_pdf_seal_mark). */
#ifndef GIS_DOCUMENT_H
#define GIS_DOCUMENT_H
#include <stdbool.h>

#include "gis/pdf.h"
#include "gis/seal.h"
#include "util/buf.h"
#include "util/err.h"

/* Lays the document out: between gis_pdf_start and gis_pdf_finish (both the callback's), on t with an
 * A4 page, the arena t->a and the Pango context set. */
typedef void (*gis_document_set_fn)(struct gis_pdf *t, const void *user);

/* Appends the document to out: typeset by set (with user), finalized, and sealed with seal (NULL: issued
 * unsealed, as the mark the callback draws should say) over t->mark, with reason and location in the
 * signature; *sealed (may be NULL) tells which. ERR_INTERNAL when a font is missing or memory runs out. */
enum err_code gis_document_pdf(const struct gis_pdf_info *info, gis_document_set_fn set, const void *user,
                               const struct gis_seal *seal, const char *reason, const char *location, struct buf *out,
                               bool *sealed, struct err *e);

#endif
