/* Receipts of submissions (gis/receipt.h): the PDF, typeset with gis/pdf.h and sealed, and its storage. */
#include "gis/receipt.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gis/document.h"
#include "gis/pdf.h"
#include "gis/store_sql.h"
#include "util/sha256.h"

/* One family (and the hash in its monospaced face): every face used is embedded twice, a WinAnsi subset and
 * a CID subset for the Polish letters outside it, and subsetting is a tenth of a receipt's cost. */
#define F_TITLE "DejaVu Sans Bold 14"
#define F_BODY  "DejaVu Sans 10"
#define F_TABLE "DejaVu Sans 8.5"
#define F_SMALL "DejaVu Sans 7.5"

/* "4 grudnia 2026 r., godz. 11:08:23" in the server's time zone (the office's) from an ISO UTC time. */
static const char *local_time_pl(struct arena *a, const char *iso, char date_iso[11])
{
    struct tm u = {0}, l;
    if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &u.tm_year, &u.tm_mon, &u.tm_mday, &u.tm_hour, &u.tm_min,
                       &u.tm_sec) != 6) {
        snprintf(date_iso, 11, "%.10s", iso ? iso : "");
        return iso ? iso : "";
    }
    u.tm_year -= 1900;
    u.tm_mon -= 1;
    time_t t = timegm(&u);
    localtime_r(&t, &l);
    strftime(date_iso, 11, "%Y-%m-%d", &l);
    return arena_printf(a, "%s, godz. %02d:%02d:%02d", gis_pdf_date_pl(a, date_iso), l.tm_hour, l.tm_min, l.tm_sec);
}

/* The page: title, the table of what was received, the note on the hash, and the seal mark. */
static void receipt_set(struct gis_pdf *t, const struct gis_receipt *r, const char *sha, const char *when,
                        const char *date, const struct gis_seal *seal)
{
    gis_pdf_start(t);
    gis_pdf_tag_begin(t, "Document");
    gis_pdf_para(t, gis_pdf_markup(t, "%s", r->organ), "DejaVu Sans 9", PANGO_ALIGN_LEFT, false, 0, "P", 14);
    gis_pdf_heading(t, "Potwierdzenie złożenia wniosku", F_TITLE, "H1", 0);
    gis_pdf_para(t,
                 gis_pdf_markup(t,
                                "%s potwierdza, że w dniu %s wpłynął do urzędu drogą elektroniczną wniosek opisany "
                                "poniżej.",
                                r->organ, when),
                 F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 10);
    static const double frac[] = {0.32, 0.68};
    static const PangoAlignment al[] = {PANGO_ALIGN_LEFT, PANGO_ALIGN_LEFT};
    gis_pdf_table_begin(t, 2, frac, al, NULL, F_TABLE);
    const char *rows[][2] = {
        {"Organ", r->organ},
        {"Gmina", r->gmina ? r->gmina : ""},
        {"Znak sprawy", r->case_number},
        {"Data i godzina wpływu", when},
        {"Rodzaj wniosku", r->subject},
        {"Wnioskodawca", r->applicant && *r->applicant ? r->applicant : "(nie podano)"},
        {"Skrót SHA-256 złożonego wniosku", sha},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        bool hash = rows[i][1] == sha; /* in a monospaced face that keeps its 64 digits on one line */
        const char *c[] = {
            gis_pdf_markup(t, "%s", rows[i][0]),
            hash ? gis_pdf_markup(t, "<span font_family=\"DejaVu Sans Mono\" size=\"7168\">%s</span>", rows[i][1])
                 : gis_pdf_markup(t, "%s", rows[i][1])};
        gis_pdf_table_row(t, c, false);
    }
    gis_pdf_table_end(t, 10);
    gis_pdf_para(t,
                 "Skrót SHA-256 obliczono z treści wniosku w postaci, w jakiej urząd ją zapisał (JSON). Ten sam skrót "
                 "z tej samej treści potwierdza, że wniosek nie został zmieniony po złożeniu.",
                 F_SMALL, PANGO_ALIGN_LEFT, true, 0, "P", 14);
    const struct gis_pdf_seal_mark mk = {
        .organ = r->organ, .date = gis_pdf_date_pl(t->a, date), .signer = seal ? gis_seal_subject(seal) : NULL};
    double w = 200;
    gis_pdf_seal_mark(t, t->pg.left + gis_pdf_text_width(t) - w, t->y, w, t->pg.h, &mk);
    t->y += GIS_PDF_MARK_H;
    gis_pdf_finish(t);
}

/* What receipt_set draws from. */
struct receipt_page {
    const struct gis_receipt *r;
    const char *sha, *when, *date;
    const struct gis_seal *seal;
};

static void receipt_page(struct gis_pdf *t, const void *user)
{
    const struct receipt_page *p = user;
    receipt_set(t, p->r, p->sha, p->when, p->date, p->seal);
}

enum err_code gis_receipt_pdf(const struct gis_receipt *r, const struct gis_seal *seal, struct buf *out, bool *sealed,
                              struct err *e)
{
    if (sealed)
        *sealed = false;
    if (!r->case_number || !r->organ || !r->subject || !r->received_at || (!r->submission && r->submission_len))
        return err_set(e, ERR_INVALID, "a receipt needs the case number, organ, subject and time of receipt");
    char sha[65], date[11];
    sha256_hex(r->submission ? r->submission : "", r->submission_len, sha);
    struct arena *a = arena_new(1 << 12);
    if (!a)
        return err_set(e, ERR_INTERNAL, "out of memory");
    const char *when = local_time_pl(a, r->received_at, date);
    const struct gis_pdf_info info = {.title = arena_printf(a, "Potwierdzenie złożenia wniosku — %s", r->case_number),
                                      .author = r->organ,
                                      .subject = r->subject};
    const struct receipt_page page = {r, sha, when, date, seal};
    enum err_code rc =
        gis_document_pdf(&info, receipt_page, &page, seal, "Potwierdzenie złożenia wniosku", r->gmina, out, sealed, e);
    arena_free(a);
    return rc;
}

static const char insert_sql[] = "INSERT INTO case_receipts (case_id, received_at, submission_sha256, sha256, sealed, "
                                 "pdf) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

enum err_code gis_receipt_store(struct gis_store *w, const struct gis_receipt *r, const void *pdf, size_t len,
                                bool sealed, struct err *e)
{
    if (!r->case_id)
        return err_set(e, ERR_INVALID, "a receipt needs its case id");
    char sub[65], sha[65];
    sha256_hex(r->submission ? r->submission : "", r->submission_len, sub);
    sha256_hex(pdf, len, sha);
    sqlite3_stmt *st;
    enum err_code rc = gis_store_prepare(w, insert_sql, &st, e);
    if (!rc) {
        sqlite3_bind_text(st, 1, r->case_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r->received_at, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, sub, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, sha, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, sealed);
        sqlite3_bind_blob64(st, 6, pdf, len, SQLITE_STATIC);
        int s = sqlite3_step(st);
        if (s == SQLITE_CONSTRAINT)
            rc = err_set(e, ERR_CONFLICT, "case %s already has a receipt", r->case_number);
        else if (s != SQLITE_DONE)
            rc = err_set(e, ERR_IO, "storing the receipt: %s", sqlite3_errmsg(gis_store_db(w)));
        sqlite3_finalize(st);
    }
    return rc;
}

enum err_code gis_receipt_issue(struct gis_store *w, const struct gis_receipt *r, const struct gis_seal *seal,
                                struct err *e)
{
    if (!r->case_id)
        return err_set(e, ERR_INVALID, "a receipt needs its case id");
    struct buf pdf = {0};
    bool sealed;
    enum err_code rc = gis_receipt_pdf(r, seal, &pdf, &sealed, e);
    if (!rc)
        rc = gis_receipt_store(w, r, pdf.data, pdf.len, sealed, e);
    buf_free(&pdf);
    return rc;
}

static const char find_sql[] =
    "SELECT received_at, submission_sha256, sha256, sealed, length(pdf), CASE WHEN ?2 THEN pdf END "
    "FROM case_receipts WHERE case_id = ?1";

enum err_code gis_receipt_find(struct gis_store *s, struct arena *a, const char *case_id, bool with_pdf,
                               struct gis_receipt_stored *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (gis_store_prepare(s, find_sql, &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, with_pdf);
    int step = sqlite3_step(st);
    enum err_code rc = ERR_OK;
    if (step == SQLITE_ROW) {
        out->received_at = arena_strdup(a, (const char *)sqlite3_column_text(st, 0));
        out->submission_sha256 = arena_strdup(a, (const char *)sqlite3_column_text(st, 1));
        out->sha256 = arena_strdup(a, (const char *)sqlite3_column_text(st, 2));
        out->sealed = sqlite3_column_int(st, 3) != 0;
        out->pdf_len = (size_t)sqlite3_column_int64(st, 4);
        if (with_pdf) {
            unsigned char *p = arena_alloc(a, out->pdf_len + 1);
            const void *blob = sqlite3_column_blob(st, 5);
            if (p && blob)
                memcpy(p, blob, out->pdf_len);
            out->pdf = p;
            if (!p)
                rc = err_set(e, ERR_INTERNAL, "out of memory");
        }
        if (!out->received_at || !out->sha256)
            rc = err_set(e, ERR_INTERNAL, "out of memory");
    } else if (step == SQLITE_DONE) {
        rc = err_set(e, ERR_NOT_FOUND, "no receipt for this case");
    } else {
        rc = err_set(e, ERR_IO, "reading the receipt: %s", sqlite3_errmsg(gis_store_db(s)));
    }
    sqlite3_finalize(st);
    return rc;
}
