/* The store of issued extracts over SQLite: the `extracts` table. */
#include "gis/extract_store.h"

#include "gis/store_sql.h"

#include <string.h>

static const char insert_sql[] =
    "INSERT INTO extracts (id, case_number, seq, year, created_at, issue_date, parcels, documents, applicant_name, "
    "applicant_address, purpose, fee_total, fee_items, pages, wypis_pages, wyrys_sheets, verification_code, sha256, "
    "pdf, sheet, as_of) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

enum err_code gis_extract_stored_insert(struct gis_store *w, const struct gis_extract_stored *r, struct err *e)
{
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(w, insert_sql, e)))
        return e->code;
    const char *text[] = {r->id,
                          r->case_number,
                          NULL,
                          NULL,
                          r->created_at,
                          r->issue_date,
                          r->parcels_json,
                          r->documents_json,
                          r->applicant_name,
                          r->applicant_address,
                          r->purpose,
                          NULL,
                          r->fee_items_json,
                          NULL,
                          NULL,
                          NULL,
                          r->verification_code,
                          r->sha256,
                          NULL,
                          r->sheet,
                          r->as_of};
    for (int i = 0; i < (int)(sizeof text / sizeof *text); i++)
        if (text[i])
            sqlite3_bind_text(st, i + 1, text[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->seq);
    sqlite3_bind_int(st, 4, r->year);
    sqlite3_bind_int(st, 12, r->fee_total);
    sqlite3_bind_int(st, 14, r->pages);
    sqlite3_bind_int(st, 15, r->wypis_pages);
    sqlite3_bind_int(st, 16, r->wyrys_sheets);
    sqlite3_bind_blob64(st, 19, r->pdf, r->pdf_len, SQLITE_STATIC);
    enum err_code rc = ERR_OK;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = err_set(e, ERR_IO, "storing the extract: %s", sqlite3_errmsg(gis_store_db(w)));
    gis_store_release(st);
    return rc;
}

/* The columns read back, in the order of the struct; the PDF last, when asked for. */
#define FIND_COLUMNS                                                                                                   \
    "SELECT id, case_number, seq, year, created_at, issue_date, parcels, documents, applicant_name, "                  \
    "applicant_address, purpose, fee_total, fee_items, pages, wypis_pages, wyrys_sheets, verification_code, sha256, "  \
    "length(pdf), sheet, coalesce(as_of, issue_date)"

static const char *const find_sql[2][2] = {
    {FIND_COLUMNS " FROM extracts WHERE id = ?", FIND_COLUMNS ", pdf FROM extracts WHERE id = ?"},
    {FIND_COLUMNS " FROM extracts WHERE verification_code = ?",
     FIND_COLUMNS ", pdf FROM extracts WHERE verification_code = ?"},
};

static const char *col_str(sqlite3_stmt *st, int i, struct arena *a, bool *oom)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    char *c = arena_strdup(a, s);
    *oom |= s && !c;
    return c;
}

enum err_code gis_extract_stored_find(struct gis_store *s, struct arena *a, enum gis_extract_key by, const char *key,
                                      bool with_pdf, struct gis_extract_stored *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(s, find_sql[by == GIS_EXTRACT_BY_CODE][with_pdf], e)))
        return e->code;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    enum err_code rc = ERR_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        bool oom = false;
        *out = (struct gis_extract_stored){
            .id = col_str(st, 0, a, &oom),
            .case_number = col_str(st, 1, a, &oom),
            .seq = (long)sqlite3_column_int64(st, 2),
            .year = sqlite3_column_int(st, 3),
            .created_at = col_str(st, 4, a, &oom),
            .issue_date = col_str(st, 5, a, &oom),
            .parcels_json = col_str(st, 6, a, &oom),
            .documents_json = col_str(st, 7, a, &oom),
            .applicant_name = col_str(st, 8, a, &oom),
            .applicant_address = col_str(st, 9, a, &oom),
            .purpose = col_str(st, 10, a, &oom),
            .fee_total = sqlite3_column_int(st, 11),
            .fee_items_json = col_str(st, 12, a, &oom),
            .pages = sqlite3_column_int(st, 13),
            .wypis_pages = sqlite3_column_int(st, 14),
            .wyrys_sheets = sqlite3_column_int(st, 15),
            .verification_code = col_str(st, 16, a, &oom),
            .sha256 = col_str(st, 17, a, &oom),
            .pdf_len = (size_t)sqlite3_column_int64(st, 18),
            .sheet = col_str(st, 19, a, &oom),
            .as_of = col_str(st, 20, a, &oom),
        };
        if (with_pdf) {
            size_t n = (size_t)sqlite3_column_bytes(st, 21);
            unsigned char *pdf = arena_alloc(a, n + 1);
            if (pdf) {
                memcpy(pdf, n ? sqlite3_column_blob(st, 21) : "", n);
                out->pdf = pdf, out->pdf_len = n;
            }
            oom |= !pdf;
        }
        if (oom)
            rc = err_set(e, ERR_INTERNAL, "out of memory");
    } else if (by == GIS_EXTRACT_BY_ID) {
        rc = err_set(e, ERR_NOT_FOUND, "no extract with this id");
    } else {
        rc = err_set(e, ERR_NOT_FOUND, "no document with verification code %s was issued", key);
    }
    gis_store_release(st);
    return rc;
}
