/* The store of issued extracts (table `extracts`, data/migrations): one row per issued wypis i wyrys with
 * its stored PDF. These functions are the extracts' part of the store interface (docs/design.md, "The
 * store interface"): a second backend implements them over its own table. */
#ifndef GIS_EXTRACT_STORE_H
#define GIS_EXTRACT_STORE_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/store.h"
#include "util/arena.h"
#include "util/err.h"

/* An issued extract as stored. The lists are JSON text: parcels (array of identifiers), documents
 * ("wypis", "wyrys") and fee_items (the fee lines). Strings may be NULL where the column allows it
 * (issue_date, applicant_*, purpose, sheet). */
struct gis_extract_stored {
    const char *id, *case_number, *created_at, *issue_date;
    long seq;
    int year;
    const char *parcels_json, *documents_json, *fee_items_json;
    const char *applicant_name, *applicant_address, *purpose;
    int fee_total, pages, wypis_pages, wyrys_sheets;
    const char *verification_code, *sha256, *sheet;
    const char *as_of;        /* the date the plans were taken as in force on (ISO); the issue date for old rows */
    const unsigned char *pdf; /* NULL unless asked for (gis_extract_stored_find's with_pdf) */
    size_t pdf_len;           /* always set */
};

/* Which key gis_extract_stored_find looks up. */
enum gis_extract_key {
    GIS_EXTRACT_BY_ID,   /* the record's id (32 hex characters, the requester's secret) */
    GIS_EXTRACT_BY_CODE, /* the verification code printed on the document */
};

/* Adds the row of an issued extract, on the writer inside the caller's open transaction. */
enum err_code gis_extract_stored_insert(struct gis_store *w, const struct gis_extract_stored *r, struct err *e);

/* Finds the extract whose id or verification code is key. Strings (and, with with_pdf, the PDF) are
 * copied into a. ERR_NOT_FOUND (e set, no message for the user) when there is none. */
enum err_code gis_extract_stored_find(struct gis_store *s, struct arena *a, enum gis_extract_key by, const char *key,
                                      bool with_pdf, struct gis_extract_stored *out, struct err *e);

#endif
