/* Receipts (potwierdzenie złożenia wniosku, UPO-like), a platform service for every module's submissions:
 * a one-page PDF naming the organ, the case number, the date and time of receipt, the kind of request,
 * the applicant as filed and the SHA-256 of what was submitted (as stored), sealed with the organ's
 * electronic seal (gis/seal.h) and stored with the case (table case_receipts).
 *
 * Ownership: what gis_receipt_find returns lives in the arena passed in; gis_receipt_pdf appends to the
 * caller's buf. The caller serialises use of the writer (svc_tenant_write). */
#ifndef GIS_RECEIPT_H
#define GIS_RECEIPT_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/seal.h"
#include "gis/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

/* A submission to acknowledge. Strings are UTF-8; the applicant is printed as filed (cleaned of control
 * characters by the caller). */
struct gis_receipt {
    const char *case_id;     /* the case's id (not printed: it is the requester's secret) */
    const char *case_number; /* "GP.6727.12.2026" */
    const char *organ;       /* "Burmistrz Słubic" */
    const char *gmina;       /* "Słubice" */
    const char *subject;     /* what was filed: "Wniosek o wypis i wyrys z planu miejscowego" */
    const char *applicant;   /* may be NULL */
    const char *received_at; /* ISO 8601 UTC ("2026-05-14T10:11:12Z"), the case's registration */
    const void *submission;  /* what was submitted, as stored (extracts: the request JSON) */
    size_t submission_len;
};

/* The receipt's PDF appended to out, sealed with seal (NULL: unsealed, and it says so); *sealed tells
 * which (may be NULL). ERR_INVALID when a required field is missing. */
enum err_code gis_receipt_pdf(const struct gis_receipt *r, const struct gis_seal *seal, struct buf *out, bool *sealed,
                              struct err *e);

/* Stores the receipt of r whose PDF (from gis_receipt_pdf, sealed or not) is pdf/len, on writer w inside the
 * caller's transaction; ERR_CONFLICT when the case has one. */
enum err_code gis_receipt_store(struct gis_store *w, const struct gis_receipt *r, const void *pdf, size_t len,
                                bool sealed, struct err *e);

/* Renders, seals and stores the receipt of r on writer w, inside the caller's transaction; ERR_CONFLICT
 * when the case has one. */
enum err_code gis_receipt_issue(struct gis_store *w, const struct gis_receipt *r, const struct gis_seal *seal,
                                struct err *e);

/* A stored receipt. */
struct gis_receipt_stored {
    const char *received_at, *submission_sha256, *sha256;
    bool sealed;
    const unsigned char *pdf; /* NULL unless asked for */
    size_t pdf_len;
};

/* The receipt of case case_id (with its PDF when with_pdf), in a. ERR_NOT_FOUND when there is none. */
enum err_code gis_receipt_find(struct gis_store *s, struct arena *a, const char *case_id, bool with_pdf,
                               struct gis_receipt_stored *out, struct err *e);

#endif
