/* Extracts API: issue a wypis i wyrys (POST /{t}/extracts), fetch the record, the stored PDF and the wyrys
 * as PNG, and verify an issued document by its code (GET /verify/{code}) without personal data. */
#include <jansson.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/extract.h"
#include "services/routes.h"
#include "services/server.h"
#include "util/text.h"

static struct gis_store *reader(struct svc_tenant *t, struct err *e)
{
    struct gis_store *s = svc_tenant_reader(t, e);
    if (!s && !e->code)
        err_set(e, ERR_UNAVAILABLE, "store of gmina %s unavailable", t->cfg->name);
    return s;
}

static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n != 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* The record of extract id as JSON (personal data included: the id is the secret), or NULL. */
static json_t *record_json(struct http_req *req, struct gis_store *s, const char *id, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT case_number, created_at, issue_date, parcels, documents, applicant_name, "
                          "applicant_address, purpose, fee_total, fee_items, pages, wypis_pages, wyrys_sheets, "
                          "verification_code, sha256, length(pdf), sheet FROM extracts WHERE id = ?",
                          &st, e))
        return NULL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    json_t *j = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *base =
            arena_printf(req->arena, "%s/%s/extracts/%s", http_base_url(req), req->tenant->cfg->slug, id);
        const char *code = (const char *)sqlite3_column_text(st, 13);
        int sheets = sqlite3_column_int(st, 12);
        json_t *fee = json_object();
        json_object_set_new(fee, "total_pln", json_integer(sqlite3_column_int(st, 8)));
        json_object_set_new(fee, "currency", json_string("PLN"));
        json_t *items = json_loads((const char *)sqlite3_column_text(st, 9), 0, NULL);
        json_object_set_new(fee, "items", items ? items : json_array());
        json_t *links = json_object();
        json_object_set_new(links, "self", json_string(base));
        json_object_set_new(links, "pdf", json_string(arena_printf(req->arena, "%s.pdf", base)));
        json_object_set_new(links, "wyrys_png",
                            sheets > 0 ? json_string(arena_printf(req->arena, "%s/wyrys.png", base)) : json_null());
        json_object_set_new(links, "verify",
                            json_string(arena_printf(req->arena, "%s/verify/%s", http_base_url(req), code)));
        json_t *parcels = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
        json_t *docs = json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL);
        j = json_pack(
            "{s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:{s:o, s:o}, s:o, s:o, s:i, s:i, s:i, s:s, s:s, "
            "s:I, s:o}",
            "id", id, "case_number", (const char *)sqlite3_column_text(st, 0), "status", "issued", "date",
            jstr((const char *)sqlite3_column_text(st, 2)), "created_at", (const char *)sqlite3_column_text(st, 1),
            "verification_code", code, "parcels", parcels ? parcels : json_array(), "documents",
            docs ? docs : json_array(), "applicant", "name", jstr((const char *)sqlite3_column_text(st, 5)), "address",
            jstr((const char *)sqlite3_column_text(st, 6)), "purpose", jstr((const char *)sqlite3_column_text(st, 7)),
            "fee", fee, "pages", sqlite3_column_int(st, 10), "wypis_pages", sqlite3_column_int(st, 11), "wyrys_sheets",
            sheets, "sha256", (const char *)sqlite3_column_text(st, 14), "media_type", "application/pdf", "bytes",
            (json_int_t)sqlite3_column_int64(st, 15), "links", links);
        if (j && sheets > 0)
            json_object_set_new(j, "sheet", jstr((const char *)sqlite3_column_text(st, 16)));
        if (!j)
            err_set(e, ERR_INTERNAL, "out of memory building JSON");
    } else {
        err_set(e, ERR_NOT_FOUND, "no extract with this id");
    }
    sqlite3_finalize(st);
    return j;
}

/* ---- POST /{t}/extracts ---- */

static enum err_code extract_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *ct = http_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 || (ct[16] && ct[16] != ';' && ct[16] != ' '))
        return err_set(e, ERR_MEDIA_TYPE, "send the request as Content-Type: application/json");
    json_error_t jerr;
    json_t *body = req->body ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!body)
        return err_param(e, "body", "the body is not valid JSON%s%.100s", req->body ? ": " : "",
                         req->body ? jerr.text : "");
    if (arena_defer(req->arena, (void (*)(void *))json_decref, body))
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (!json_is_object(body))
        return err_param(e, "body", "the body must be a JSON object");
    json_t *parcels = json_object_get(body, "parcels");
    if (!json_is_array(parcels))
        return err_param(e, "parcels", "parcels must be an array of parcel identifiers");
    size_t n = json_array_size(parcels);
    if (n == 0)
        return err_set(e, ERR_UNPROCESSABLE, "parcels is empty; give 1 to %d parcel identifiers",
                       GIS_EXTRACT_MAX_PARCELS);
    if (n > GIS_EXTRACT_MAX_PARCELS)
        return err_at(e, ERR_UNPROCESSABLE, "parcels", "%zu parcels requested; one extract covers at most %d parcels",
                      n, GIS_EXTRACT_MAX_PARCELS);
    const char **ids = arena_alloc(req->arena, sizeof *ids * n);
    if (!ids)
        return err_set(e, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        ids[i] = json_string_value(json_array_get(parcels, i));
        if (!ids[i]) {
            return err_at(e, ERR_UNPROCESSABLE, "parcels", "parcels[%zu] is not a string", i);
        }
    }
    json_t *app = json_object_get(body, "applicant");
    if (app && !json_is_object(app))
        return err_at(e, ERR_UNPROCESSABLE, "applicant", "applicant must be an object with name and address");
    json_t *jn = json_object_get(app, "name"), *ja = json_object_get(app, "address"),
           *jp = json_object_get(body, "purpose");
    if ((jn && !json_is_string(jn)) || (ja && !json_is_string(ja) && !json_is_null(ja)) ||
        (jp && !json_is_string(jp) && !json_is_null(jp)))
        return err_at(e, ERR_UNPROCESSABLE, "applicant",
                      "applicant.name, applicant.address and purpose must be strings");
    bool wypis = true, wyrys = true;
    json_t *docs = json_object_get(body, "documents");
    if (docs) {
        if (!json_is_array(docs) || json_array_size(docs) == 0)
            return err_at(e, ERR_UNPROCESSABLE, "documents",
                          "documents must be a non-empty array of \"wypis\" and \"wyrys\"");
        wypis = wyrys = false;
        size_t i;
        json_t *v;
        json_array_foreach(docs, i, v)
        {
            const char *s = json_string_value(v);
            if (s && !strcmp(s, "wypis"))
                wypis = true;
            else if (s && !strcmp(s, "wyrys"))
                wyrys = true;
            else
                return err_at(e, ERR_UNPROCESSABLE, "documents", "documents[%zu] must be \"wypis\" or \"wyrys\"", i);
        }
    }
    struct svc_tenant *t = req->tenant;
    const struct config_tenant *c = t->cfg;
    enum gis_extract_sheet sheet = GIS_EXTRACT_A4;
    json_t *js = json_object_get(body, "sheet");
    if (js && !json_is_null(js)) {
        if (!gis_extract_sheet_parse(json_string_value(js), &sheet))
            return err_at(e, ERR_UNPROCESSABLE, "sheet",
                          "sheet must be \"A4\", \"A3\" (landscape), \"A3-landscape\" or \"A3-portrait\"");
        if (sheet != GIS_EXTRACT_A4 && !c->wyrys_allow_a3)
            return err_at(e, ERR_UNPROCESSABLE, "sheet", "gmina %s issues the wyrys on A4 sheets only", c->name);
    }
    struct gis_store *rd = reader(t, e);
    if (!rd)
        return e->code;
    if (!t->writer)
        return err_set(e, ERR_UNAVAILABLE, "store of gmina %s is read-only", c->name);
    struct gis_extract_issue is = {
        .parcels = ids,
        .nparcels = (int)n,
        .applicant_name = json_string_value(jn),
        .applicant_address = json_string_value(ja),
        .purpose = json_string_value(jp),
        .wypis = wypis,
        .wyrys = wyrys,
        .sheet = sheet,
        .case_format = c->case_format,
        .verify_base = arena_printf(req->arena, "%s/verify/", http_base_url(req)),
        .tmpl = {.organ = c->organ,
                 .place = c->place,
                 .council = c->council,
                 .legal_basis = c->legal_basis,
                 .signatory = c->signatory,
                 .signatory_role = c->signatory_role,
                 .gmina = c->name},
    };
    struct gis_extract_record rec;
    pthread_mutex_lock(&t->write_lock);
    enum err_code rc = gis_extract_issue(t->writer, rd, req->arena, &is, &rec, e);
    json_t *j = rc ? NULL : record_json(req, t->writer, rec.id, e);
    pthread_mutex_unlock(&t->write_lock);
    if (rc)
        return rc;
    if (!j)
        return e->code ? e->code : err_set(e, ERR_INTERNAL, "issued extract not found");
    /* The header must outlive j, which the response serialiser frees. */
    const char *self = json_string_value(json_object_get(json_object_get(j, "links"), "self"));
    http_resp_header(resp, "Location", arena_strdup(req->arena, self ? self : ""));
    return http_resp_json(req, resp, 201, j, e);
}

/* ---- GET /{t}/extracts/{id} and {id}.pdf ---- */

static enum err_code extract_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *cap = http_capture(req, "id");
    size_t len = strlen(cap);
    bool pdf = len > 4 && !strcmp(cap + len - 4, ".pdf");
    char *id = arena_strndup(req->arena, cap, pdf ? len - 4 : len);
    if (!id || !id_ok(id))
        return err_set(e, ERR_NOT_FOUND, "no extract with this id");
    struct gis_store *s = reader(req->tenant, e);
    if (!s)
        return e->code;
    if (!pdf) {
        json_t *j = record_json(req, s, id, e);
        if (!j)
            return e->code;
        http_resp_header(resp, "Cache-Control", "private, no-store");
        return http_resp_json(req, resp, 200, j, e);
    }
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT pdf, sha256, case_number FROM extracts WHERE id = ?", &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    enum err_code rc = ERR_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        char *body = arena_alloc(req->arena, n + 1);
        const char *sha = (const char *)sqlite3_column_text(st, 1);
        char *etag = arena_printf(req->arena, "\"%s\"", sha ? sha : "");
        const char *cn = (const char *)sqlite3_column_text(st, 2);
        char fname[96];
        size_t o = 0;
        for (const char *p = cn ? cn : "extract"; *p && o + 1 < sizeof fname; p++)
            fname[o++] = (char)((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                                        *p == '.' || *p == '-'
                                    ? *p
                                    : '_');
        fname[o] = 0;
        if (!body) {
            rc = err_set(e, ERR_INTERNAL, "out of memory");
        } else {
            memcpy(body, sqlite3_column_blob(st, 0), n);
            http_resp_body(resp, 200, "application/pdf", body, n);
            http_resp_header(resp, "ETag", etag);
            http_resp_header(resp, "Cache-Control", "private, max-age=31536000, immutable");
            http_resp_header(resp, "Content-Disposition",
                             arena_printf(req->arena, "inline; filename=\"wypis-wyrys-%s.pdf\"", fname));
        }
    } else {
        rc = err_set(e, ERR_NOT_FOUND, "no extract with this id");
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- GET /{t}/extracts/{id}/wyrys.png ---- */

static enum err_code extract_png(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *id = http_capture(req, "id");
    if (!id_ok(id))
        return err_set(e, ERR_NOT_FOUND, "no extract with this id");
    long dpi = 150, sheet = 1;
    const char *v = http_query(req, "dpi");
    if (v && !text_parse_long(v, 36, 600, &dpi))
        return err_param(e, "dpi", "dpi must be an integer from 36 to 600");
    v = http_query(req, "sheet");
    if (v && !text_parse_long(v, 1, 1000, &sheet))
        return err_param(e, "sheet", "sheet must be an integer from 1");
    struct svc_tenant *t = req->tenant;
    struct gis_store *s = reader(t, e);
    if (!s)
        return e->code;
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT parcels, case_number, issue_date, wyrys_sheets, sheet FROM extracts WHERE id = ?",
                          &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return err_set(e, ERR_NOT_FOUND, "no extract with this id");
    }
    json_t *pj = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    const char *case_number = arena_strdup(req->arena, (const char *)sqlite3_column_text(st, 1));
    const char *date = arena_strdup(req->arena, (const char *)sqlite3_column_text(st, 2));
    int sheets = sqlite3_column_int(st, 3);
    enum gis_extract_sheet fmt = GIS_EXTRACT_A4;
    gis_extract_sheet_parse((const char *)sqlite3_column_text(st, 4), &fmt);
    sqlite3_finalize(st);
    if (!pj)
        return err_set(e, ERR_INTERNAL, "stored parcel list is unreadable");
    if (sheets == 0) {
        json_decref(pj);
        return err_set(e, ERR_NOT_FOUND, "this extract has no wyrys");
    }
    size_t n = json_array_size(pj);
    const char **ids = arena_alloc(req->arena, sizeof *ids * (n ? n : 1));
    for (size_t i = 0; ids && i < n; i++)
        ids[i] = arena_strdup(req->arena, json_string_value(json_array_get(pj, i)));
    json_decref(pj);
    if (!ids)
        return err_set(e, ERR_INTERNAL, "out of memory");
    struct gis_extract_doc *doc;
    if (gis_extract_build(s, req->arena, ids, (int)n, &doc, e))
        return e->code == ERR_UNPROCESSABLE ? (e->code = ERR_INTERNAL) : e->code;
    const struct config_tenant *c = t->cfg;
    struct gis_extract_meta m = {.organ = c->organ,
                                 .place = c->place,
                                 .gmina = c->name,
                                 .case_number = case_number,
                                 .date = date,
                                 .wyrys = true,
                                 .sheet = fmt,
                                 .style = gis_extract_style()};
    struct buf out = {0};
    enum err_code rc = gis_extract_wyrys_png(s, doc, &m, (int)sheet - 1, (double)dpi, &out, e);
    if (!rc) {
        char *body = arena_alloc(req->arena, out.len + 1);
        if (!body)
            rc = err_set(e, ERR_INTERNAL, "out of memory");
        else {
            memcpy(body, out.data, out.len);
            http_resp_body(resp, 200, "image/png", body, out.len);
            http_resp_header(resp, "Cache-Control", "private, max-age=86400");
        }
    }
    buf_free(&out);
    if (rc == ERR_INVALID && !strcmp(e->param, "sheet"))
        rc = e->code = ERR_NOT_FOUND;
    return rc;
}

/* ---- GET /verify/{code} ---- */

static enum err_code extract_verify(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *raw = http_capture(req, "code");
    char code[GIS_EXTRACT_CODE_LEN + 1];
    size_t o = 0;
    for (const char *p = raw; *p; p++) {
        if (*p == '-' || *p == ' ')
            continue;
        char ch = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        if (o >= GIS_EXTRACT_CODE_LEN || !((ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7')))
            return err_param(e, "code", "a verification code is 24 characters A-Z and 2-7");
        code[o++] = ch;
    }
    code[o] = 0;
    if (o != GIS_EXTRACT_CODE_LEN)
        return err_param(e, "code", "a verification code is 24 characters A-Z and 2-7");
    struct svc_server *srv = req->server;
    for (int i = 0; i < svc_server_tenant_count(srv); i++) {
        struct svc_tenant *t = svc_server_tenant(srv, i);
        struct err le = {0};
        struct gis_store *s = svc_tenant_reader(t, &le);
        if (!s)
            continue;
        sqlite3_stmt *st;
        if (gis_store_prepare(s,
                              "SELECT case_number, issue_date, parcels, documents, sha256, pages FROM extracts "
                              "WHERE verification_code = ?",
                              &st, &le))
            continue;
        sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
        json_t *j = NULL;
        if (sqlite3_step(st) == SQLITE_ROW) {
            json_t *parcels = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
            json_t *docs = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
            j = json_pack("{s:b, s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:o, s:o, s:{s:s, s:s}, s:i}", "valid", 1, "code",
                          code, "gmina", "slug", t->cfg->slug, "name", t->cfg->name, "organ", t->cfg->organ,
                          "case_number", (const char *)sqlite3_column_text(st, 0), "date",
                          (const char *)sqlite3_column_text(st, 1), "parcels", parcels ? parcels : json_array(),
                          "documents", docs ? docs : json_array(), "pdf", "algorithm", "SHA-256", "hash",
                          (const char *)sqlite3_column_text(st, 4), "pages", sqlite3_column_int(st, 5));
        }
        sqlite3_finalize(st);
        if (j)
            return http_resp_json(req, resp, 200, j, e);
    }
    return err_set(e, ERR_NOT_FOUND, "no document with verification code %s was issued", code);
}

static const struct http_param_doc p_tenant[] = {
    HTTP_DOC_TENANT,
    HTTP_DOC_END,
};
static const struct http_param_doc p_id[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "string", 1, "extract id (32 hex characters); append .pdf for the document"},
    HTTP_DOC_END,
};
static const struct http_param_doc p_png[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "string", 1, "extract id"},
    {"dpi", "query", "integer", 0, "resolution, 36 to 600 (default 150)"},
    {"sheet", "query", "integer", 0, "wyrys sheet, from 1 (default 1)"},
    HTTP_DOC_END,
};
static const struct http_param_doc p_code[] = {
    {"code", "path", "string", 1, "verification code printed on the document (24 characters, dashes ignored)"},
    HTTP_DOC_END,
};

const struct http_route svc_extracts_routes[] = {
    {"POST", "/{t}/extracts", extract_post, "extracts",
     "Issue a wypis i wyrys for parcels: JSON {parcels, applicant{name,address}, purpose, documents, sheet}", NULL,
     p_tenant},
    {"GET", "/{t}/extracts/{id}", extract_get, "extracts", "An issued extract's record, or with .pdf its document",
     NULL, p_id},
    {"GET", "/{t}/extracts/{id}/wyrys.png", extract_png, "extracts", "The wyrys as a PNG image", "image/png", p_png},
    {"GET", "/verify/{code}", extract_verify, "extracts",
     "Whether a document with this verification code was issued (no personal data)", NULL, p_code},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
