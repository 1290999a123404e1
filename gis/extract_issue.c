/* Plan extracts: issuing. The case number of the year, the verification code, the PDF and its stored copy,
 * all in one transaction on the writer. */
#include "gis/extract.h"

#include "gis/cases.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- issuing ---- */

static char *fee_items_json(const struct gis_extract_fee *f)
{
    json_t *items = json_array();
    if (f->wypis_pages > 0)
        json_array_append_new(items, json_pack("{s:s, s:i, s:s, s:i}", "name", "wypis", "quantity", f->wypis_pages,
                                               "unit", "page", "amount_pln", f->wypis_pln));
    if (f->wyrys_sheets > 0)
        json_array_append_new(items, json_pack("{s:s, s:i, s:s, s:i}", "name", "wyrys", "quantity", f->wyrys_sheets,
                                               "unit", "A4 sheet", "amount_pln", f->wyrys_pln));
    char *s = json_dumps(items, JSON_COMPACT);
    json_decref(items);
    return s;
}

/* The document's parcel identifiers as a JSON array (malloc'd), NULL when out of memory. */
static char *parcel_ids_json(const struct gis_extract_doc *doc)
{
    json_t *pj = json_array();
    for (int i = 0; i < doc->nparcels; i++)
        json_array_append_new(pj, json_string(doc->parcels[i].p->parcel_id));
    char *s = json_dumps(pj, JSON_COMPACT);
    json_decref(pj);
    return s;
}

enum err_code gis_extract_issue(struct gis_store *writer, struct gis_store *reader, struct arena *a,
                                const struct gis_extract_issue *req, struct gis_extract_record *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    /* Printed and put in the QR code: only an absolute address can be opened from paper. */
    const char *vb = req->verify_base;
    if (!vb || (strncmp(vb, "https://", 8) != 0 && strncmp(vb, "http://", 7) != 0))
        return err_set(e, ERR_INVALID, "the verification address must be absolute (public_url), got '%.100s'",
                       vb ? vb : "");
    struct gis_extract_meta m = req->tmpl;
    m.applicant_name = gis_extract_clean(a, req->applicant_name, GIS_EXTRACT_MAX_TEXT);
    m.applicant_address = gis_extract_clean(a, req->applicant_address, GIS_EXTRACT_MAX_TEXT);
    m.purpose = gis_extract_clean(a, req->purpose, GIS_EXTRACT_MAX_TEXT);
    m.wypis = req->wypis;
    m.wyrys = req->wyrys;
    m.sheet = req->sheet;
    if (!m.style)
        m.style = gis_extract_style();
    if (!m.applicant_name || !*m.applicant_name)
        return err_at(e, ERR_UNPROCESSABLE, "applicant.name", "applicant.name is required");
    struct gis_extract_doc *doc;
    if (gis_extract_build(reader, a, req->parcels, req->nparcels, &doc, e))
        return e->code;

    time_t now = time(NULL);
    struct tm lt, ut;
    localtime_r(&now, &lt);
    gmtime_r(&now, &ut);
    int year = lt.tm_year + 1900;
    char date[16], created[32], code[GIS_EXTRACT_CODE_LEN + 1], id[33];
    strftime(date, sizeof date, "%Y-%m-%d", &lt);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &ut);
    unsigned char rnd[16];
    if (gis_extract_new_code(code, e) || gis_extract_random(rnd, sizeof rnd, e))
        return e->code;
    for (int i = 0; i < 16; i++)
        snprintf(id + 2 * i, 3, "%02x", rnd[i]);

    if (gis_store_begin(writer, e))
        return e->code;
    struct buf pdf = {0};
    char *fees = NULL, *parcels_json = NULL;
    sqlite3_stmt *st = NULL;
    long seq = 0;
    enum err_code rc = gis_case_seq_next(writer, year, &seq, e);
    const char *case_number = NULL;
    if (!rc && !(case_number = gis_case_number(a, req->case_format, seq, year)))
        rc = err_set(e, ERR_INTERNAL, "out of memory");
    m.case_number = case_number;
    m.date = date;
    m.verification_code = code;
    m.verify_url = arena_printf(a, "%s%s", vb, code);
    struct gis_extract_result res = {0};
    if (!rc)
        rc = gis_extract_pdf(reader, doc, &m, &pdf, &res, e);
    char sha[65] = "";
    if (!rc) {
        gis_extract_sha256(pdf.data, pdf.len, sha);
        fees = fee_items_json(&res.fee);
        parcels_json = parcel_ids_json(doc);
        if (!fees || !parcels_json)
            rc = err_set(e, ERR_INTERNAL, "out of memory");
    }
    if (!rc)
        rc = gis_store_prepare(writer,
                               "INSERT INTO extracts (id, case_number, seq, year, created_at, issue_date, parcels, "
                               "documents, applicant_name, applicant_address, purpose, fee_total, fee_items, pages, "
                               "wypis_pages, wyrys_sheets, verification_code, sha256, pdf, sheet) "
                               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               &st, e);
    if (!rc) {
        const char *docs = m.wypis && m.wyrys ? "[\"wypis\",\"wyrys\"]" : m.wypis ? "[\"wypis\"]" : "[\"wyrys\"]";
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, case_number, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, seq);
        sqlite3_bind_int(st, 4, year);
        sqlite3_bind_text(st, 5, created, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, date, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, parcels_json, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, docs, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, m.applicant_name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 10, m.applicant_address, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 11, m.purpose, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 12, res.fee.total_pln);
        sqlite3_bind_text(st, 13, fees, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 14, res.pages);
        sqlite3_bind_int(st, 15, res.wypis_pages);
        sqlite3_bind_int(st, 16, res.wyrys_sheets);
        sqlite3_bind_text(st, 17, code, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 18, sha, -1, SQLITE_STATIC);
        sqlite3_bind_blob64(st, 19, pdf.data, pdf.len, SQLITE_STATIC);
        sqlite3_bind_text(st, 20, gis_extract_sheet_name(m.sheet), -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = err_set(e, ERR_IO, "storing the extract: %s", sqlite3_errmsg(gis_store_db(writer)));
        sqlite3_finalize(st);
    }
    if (!rc)
        rc = gis_store_commit(writer, e);
    if (rc)
        gis_store_rollback(writer);
    free(fees);
    free(parcels_json);
    if (!rc) {
        unsigned char *copy = arena_alloc(a, pdf.len ? pdf.len : 1);
        if (copy)
            memcpy(copy, pdf.data, pdf.len);
        *out = (struct gis_extract_record){.id = arena_strdup(a, id),
                                           .case_number = case_number,
                                           .date = arena_strdup(a, date),
                                           .created_at = arena_strdup(a, created),
                                           .verification_code = arena_strdup(a, code),
                                           .sha256 = arena_strdup(a, sha),
                                           .res = res,
                                           .pdf = copy,
                                           .pdf_len = copy ? pdf.len : 0};
    }
    buf_free(&pdf);
    return rc;
}
