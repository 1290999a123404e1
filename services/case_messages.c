/* Messages and attachments of cases over HTTP: the resident writes to the clerk on their own case and the
 * clerk answers (a clerk's message may call for documents, "do uzupełnienia"; the resident's answer returns
 * the case to "w toku"), and either attaches files, whose type is detected from their bytes (util/sniff.h).
 * A resident sees only their own cases: another's is a 404 on every route, as one that does not exist.
 * Staff reads and writes and the resident's writes are in the audit log with the case number. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/case_messages.h"
#include "gis/case_store.h"
#include "services/auth.h"
#include "services/cases.h"
#include "services/server.h"
#include "util/httphdr.h"
#include "util/multipart.h"
#include "util/sniff.h"

static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

/* Who is writing or reading: the applicant (on /me routes) or staff. */
static bool is_resident(struct http_req *req)
{
    return !strncmp(req->path + strcspn(req->path + 1, "/") + 1, "/me/", 4);
}

static const char *who(struct http_req *req)
{
    return req->principal ? req->principal->account.login : NULL;
}

/* The case of the path's {id}, read on s: for a resident only their own (another's is a 404, as one that
 * does not exist). */
static enum err_code case_load(struct http_req *req, struct gis_store *s, bool resident, struct gis_case *c,
                               struct err *e)
{
    const char *id = http_capture(req, "id");
    struct err fe = {0};
    if (!svc_case_id_ok(id) || gis_case_find(s, req->arena, false, id, c, &fe) ||
        (resident && (!req->principal || c->applicant_account != req->principal->account.id))) {
        if (fe.code && fe.code != ERR_NOT_FOUND)
            return err_set(e, fe.code, "%s", fe.msg);
        return err_set(e, ERR_NOT_FOUND,
                       resident ? "Nie ma takiej sprawy (no such case of yours)" : "no case with this id");
    }
    return ERR_OK;
}

static json_t *attachment_json(struct http_req *req, const struct gis_case_attachment *a, bool resident)
{
    const char *link = arena_printf(req->arena, "/%s%s/cases/%s/attachments/%lld", req->tenant->cfg->slug,
                                    resident ? "/me" : "", a->case_id, a->id);
    return json_pack("{s:I, s:o, s:s, s:s, s:I, s:s, s:s, s:{s:s, s:o}, s:s}", "id", (json_int_t)a->id, "message_id",
                     a->message_id ? json_integer(a->message_id) : json_null(), "file_name", a->file_name, "media_type",
                     a->media_type, "size", (json_int_t)a->size, "sha256", a->sha256, "uploaded_at", a->uploaded_at,
                     "uploaded_by", "kind", a->uploader_kind, "login", jstr(a->uploader_login), "href",
                     link ? link : "");
}

static json_t *message_json(const struct gis_case_message *m)
{
    return json_pack("{s:I, s:s, s:{s:s, s:o}, s:s, s:o, s:o, s:[]}", "id", (json_int_t)m->id, "at", m->at, "author",
                     "kind", m->author_kind, "login", jstr(m->author_login), "body", m->body, "read_by_resident_at",
                     jstr(m->read_by_resident_at), "read_by_staff_at", jstr(m->read_by_staff_at), "attachments");
}

enum err_code svc_case_thread_add(struct http_req *req, struct gis_store *s, const char *case_id, json_t *j,
                                  struct err *e)
{
    bool resident = is_resident(req);
    struct gis_case_message *m;
    struct gis_case_attachment *a;
    int nm, na;
    if (gis_case_messages(s, req->arena, case_id, &m, &nm, e) ||
        gis_case_attachments(s, req->arena, case_id, &a, &na, e))
        return e->code;
    json_t *msgs = json_array(), *atts = json_array();
    bool ok = msgs && atts;
    for (int i = 0; ok && i < nm; i++)
        ok = !json_array_append_new(msgs, message_json(&m[i]));
    for (int i = 0; ok && i < na; i++) {
        json_t *aj = attachment_json(req, &a[i], resident);
        ok = aj && !json_array_append(atts, aj);
        for (int k = 0; ok && a[i].message_id && k < nm; k++)
            if (m[k].id == a[i].message_id)
                ok = !json_array_append(json_object_get(json_array_get(msgs, (size_t)k), "attachments"), aj);
        json_decref(aj);
    }
    if (!ok || json_object_set_new(j, "messages", msgs) || json_object_set_new(j, "attachments", atts))
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    return ERR_OK;
}

/* ---- reading ---- */

struct mark_op {
    const char *case_id, *reader;
};

static enum err_code mark_run(struct gis_store *w, void *ctx, struct err *e)
{
    struct mark_op *op = ctx;
    return gis_case_messages_mark_read(w, op->case_id, op->reader, NULL, e);
}

static enum err_code messages_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    bool resident = is_resident(req);
    struct gis_store *s = svc_tenant_reader(req->tenant, e);
    struct gis_case c;
    if (!s || case_load(req, s, resident, &c, e))
        return e->code;
    const char *reader = resident ? "resident" : "staff";
    int unread = 0;
    if (gis_case_messages_unread(s, c.id, reader, &unread, e))
        return e->code;
    if (unread) { /* the reading itself is recorded: the other side sees when its messages were read */
        struct mark_op op = {c.id, reader};
        if (svc_tenant_write(req->tenant, mark_run, &op, e))
            return e->code;
        s = svc_tenant_reader(req->tenant, e);
        if (!s)
            return e->code;
    }
    json_t *j = json_pack("{s:s, s:s, s:s}", "case_id", c.id, "case_number", c.case_number, "status", c.status);
    if (!j)
        return err_set(e, ERR_INTERNAL, "out of memory building JSON");
    if (svc_case_thread_add(req, s, c.id, j, e)) {
        json_decref(j);
        return e->code;
    }
    if (!resident)
        svc_auth_audit(req, "case.messages.read", c.case_number, arena_printf(req->arena, "%d unread", unread));
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return http_resp_json(req, resp, 200, j, e);
}

static enum err_code attachment_get(struct http_req *req, struct http_resp *resp, struct err *e)
{
    bool resident = is_resident(req);
    struct gis_store *s = svc_tenant_reader(req->tenant, e);
    struct gis_case c;
    if (!s || case_load(req, s, resident, &c, e))
        return e->code;
    const char *aid = http_capture(req, "aid");
    char *end;
    long long id = aid && *aid >= '1' && *aid <= '9' && strlen(aid) <= 15 ? strtoll(aid, &end, 10) : 0;
    struct gis_case_attachment a;
    struct err ge = {0};
    if (id <= 0 || *end || gis_case_attachment_get(s, req->arena, c.id, id, &a, &ge)) {
        if (ge.code && ge.code != ERR_NOT_FOUND)
            return err_set(e, ge.code, "%s", ge.msg);
        return err_set(e, ERR_NOT_FOUND, "Nie ma takiego załącznika (no such attachment of this case)");
    }
    char cd[1024];
    httphdr_disposition(a.file_name, cd, sizeof cd);
    http_resp_body(resp, 200, a.media_type, a.data, a.size);
    http_resp_header(resp, "Content-Disposition", arena_strdup(req->arena, cd));
    http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    http_resp_header(resp, "Cache-Control", "private, no-store");
    http_resp_header(resp, "Content-Security-Policy", "default-src 'none'; sandbox");
    if (!resident)
        svc_auth_audit(req, "case.attachment.read", c.case_number,
                       arena_printf(req->arena, "attachment %lld (%s)", a.id, a.sha256));
    return ERR_OK;
}

/* ---- writing ---- */

/* A message and/or an attachment written to a case, with the status change it brings, in one transaction
 * on the writer. */
struct post_op {
    struct http_req *req;
    bool resident;
    const char *body;                /* the message, or NULL */
    bool needs;                      /* staff: call for documents (status do uzupełnienia) */
    struct gis_case_attachment *att; /* or NULL */
    const char *case_number;         /* out, for the audit */
    const char *audit;               /* out */
    json_t *j;                       /* out */
};

/* The status change a post brings: a clerk's call for documents, or the resident's answer to one. */
static enum err_code post_status(struct gis_store *w, struct post_op *op, struct gis_case *c, struct err *e)
{
    const char *note = NULL;
    if (op->needs) {
        if (!gis_case_status_open(c->status))
            return err_at(e, ERR_CONFLICT, "status", "case %s is closed (%s)", c->case_number, c->status);
        c->status = GIS_CASE_NEEDS;
        note = "wezwanie do uzupełnienia (wiadomość urzędnika)";
    } else if (op->resident && !strcmp(c->status, GIS_CASE_NEEDS)) {
        c->status = GIS_CASE_OPEN;
        note = "uzupełnienie od wnioskodawcy";
    }
    if (!note)
        return ERR_OK;
    if (gis_case_update(w, c, e) || gis_case_event_add(w, c->id, who(op->req), c->status, note, e))
        return e->code;
    op->audit = arena_printf(op->req->arena, "%s; status %s", op->audit, c->status);
    return ERR_OK;
}

static enum err_code post_run(struct gis_store *w, void *ctx, struct err *e)
{
    struct post_op *op = ctx;
    struct http_req *req = op->req;
    const struct config_cases *cc = &svc_server_config(req->server)->cases;
    struct gis_case c;
    if (case_load(req, w, op->resident, &c, e))
        return e->code;
    op->case_number = c.case_number;
    if (op->resident && !gis_case_status_open(c.status))
        return err_set(e, ERR_CONFLICT,
                       "Sprawa %s jest zakończona (%s): nie można już do niej pisać ani dołączać plików. W nowej "
                       "sprawie złóż nowy wniosek.",
                       c.case_number, c.status);
    const char *kind = op->resident ? "resident" : "staff";
    long long mid = 0, aid = 0;
    if (op->att) {
        int n;
        if (gis_case_attachment_count(w, c.id, &n, e))
            return e->code;
        if (n >= cc->attachments_per_case)
            return err_set(e, ERR_CONFLICT,
                           "Sprawa %s ma już %d załączników, więcej nie można dołączyć (at most %d attachments per "
                           "case)",
                           c.case_number, n, cc->attachments_per_case);
    }
    if (op->body && gis_case_message_add(w, c.id, kind, who(req), op->body, &mid, e))
        return e->code;
    if (op->att) {
        op->att->case_id = c.id;
        op->att->message_id = mid;
        op->att->uploader_kind = kind;
        op->att->uploader_login = who(req);
        if (gis_case_attachment_add(w, op->att, &aid, e))
            return e->code;
    }
    op->audit = mid && aid ? arena_printf(req->arena, "message %lld, attachment %lld (%s)", mid, aid, op->att->sha256)
                : mid      ? arena_printf(req->arena, "message %lld", mid)
                           : arena_printf(req->arena, "attachment %lld (%s)", aid, op->att->sha256);
    if (post_status(w, op, &c, e))
        return e->code;
    op->j = json_pack("{s:s, s:s, s:s, s:o, s:o}", "case_id", c.id, "case_number", c.case_number, "status", c.status,
                      "message_id", mid ? json_integer(mid) : json_null(), "attachment_id",
                      aid ? json_integer(aid) : json_null());
    if (!op->j || svc_case_thread_add(req, w, c.id, op->j, e))
        return e->code ? e->code : err_set(e, ERR_INTERNAL, "out of memory building JSON");
    return ERR_OK;
}

static enum err_code post_do(struct http_req *req, struct http_resp *resp, struct post_op *op, struct err *e)
{
    op->req = req;
    op->resident = is_resident(req);
    if (svc_tenant_write(req->tenant, post_run, op, e)) {
        json_decref(op->j);
        return e->code;
    }
    svc_auth_audit(req, op->att ? "case.attachment.add" : "case.message.add", op->case_number, op->audit);
    http_resp_header(resp, "Cache-Control", "private, no-store");
    return http_resp_json(req, resp, 201, op->j, e);
}

/* The message text of a form field or JSON string (len bytes): NULL when absent or blank; 422 when not
 * UTF-8 or too long. */
static enum err_code message_text(struct http_req *req, const char *s, size_t len, const char **out, struct err *e)
{
    *out = NULL;
    if (!s)
        return ERR_OK;
    char *c = gis_case_message_clean(req->arena, s, len);
    if (!c)
        return err_at(e, ERR_UNPROCESSABLE, "body",
                      "Treść wiadomości musi być tekstem UTF-8 o długości do %d znaków (body: UTF-8 text of at most "
                      "%d characters)",
                      GIS_CASE_MESSAGE_MAX, GIS_CASE_MESSAGE_MAX);
    *out = *c ? c : NULL;
    return ERR_OK;
}

static enum err_code messages_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    json_t *b;
    if (svc_case_body_object(req, &b, e))
        return e->code;
    json_t *body = json_object_get(b, "body"), *status = json_object_get(b, "status");
    if (body && !json_is_string(body))
        return err_at(e, ERR_UNPROCESSABLE, "body", "body must be a string");
    struct post_op op = {0};
    if (message_text(req, json_string_value(body), json_string_length(body), &op.body, e))
        return e->code;
    if (!op.body)
        return err_at(e, ERR_UNPROCESSABLE, "body", "Wiadomość jest pusta (body: the message is empty)");
    if (status && !json_is_null(status)) {
        if (is_resident(req))
            return err_at(e, ERR_UNPROCESSABLE, "status",
                          "Wnioskodawca nie zmienia statusu sprawy (status: staff only)");
        if (!json_is_string(status) || strcmp(json_string_value(status), GIS_CASE_NEEDS))
            return err_at(e, ERR_UNPROCESSABLE, "status",
                          "status may only be do uzupełnienia here (other changes: POST /{t}/cases/{id}/status)");
        op.needs = true;
    }
    return post_do(req, resp, &op, e);
}

/* The file of an upload: the multipart part named file (with an optional text part body), or the raw body
 * with its Content-Type and ?name=. */
struct upload {
    const char *data;
    size_t len;
    const char *name, *declared, *body;
};

static enum err_code upload_parse(struct http_req *req, struct upload *u, struct err *e)
{
    const char *ct = http_header(req, "Content-Type");
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    if (ct && !strncasecmp(ct, "multipart/", 10)) {
        if (!multipart_boundary(ct, boundary))
            return err_param(e, "Content-Type", "multipart/form-data needs a boundary of 1 to 70 characters");
        struct multipart_part *parts;
        int n, nfile, nbody;
        if (multipart_parse(req->arena, req->body ? req->body : "", req->body_len, boundary, 8, &parts, &n, e))
            return e->code;
        const struct multipart_part *f = multipart_find(parts, n, "file", &nfile);
        const struct multipart_part *t = multipart_find(parts, n, "body", &nbody);
        if (nfile != 1 || !f->filename)
            return err_at(e, ERR_UNPROCESSABLE, "file",
                          "Wyślij dokładnie jeden plik w polu „file” (one file part named file)");
        if (nbody > 1 || (t && t->filename))
            return err_at(e, ERR_UNPROCESSABLE, "body", "body must be one text field");
        u->data = f->data, u->len = f->len, u->name = f->filename, u->declared = f->content_type;
        if (t && message_text(req, t->data, t->len, &u->body, e))
            return e->code;
        return ERR_OK;
    }
    if (ct && (!strncasecmp(ct, "application/x-www-form-urlencoded", 33) || !strncasecmp(ct, "application/json", 16)))
        return err_set(e, ERR_MEDIA_TYPE,
                       "send the file as multipart/form-data (field file) or as the raw body with its Content-Type");
    u->data = req->body ? req->body : "", u->len = req->body_len;
    u->name = http_query(req, "name"), u->declared = ct;
    return ERR_OK;
}

/* Checks the file of u by its content against the limits and what it was said to be; fills a. */
static enum err_code upload_check(struct http_req *req, const struct upload *u, struct gis_case_attachment *a,
                                  struct err *e)
{
    const struct config_cases *cc = &svc_server_config(req->server)->cases;
    if (!u->len)
        return err_at(e, ERR_UNPROCESSABLE, "file", "Plik jest pusty (the file is empty)");
    if (u->len > cc->attachment_max_bytes)
        return err_set(e, ERR_TOO_LARGE, "Plik jest za duży: najwyżej %zu bajtów (the file is larger than %zu bytes)",
                       cc->attachment_max_bytes, cc->attachment_max_bytes);
    const char *why = NULL;
    enum sniff_type t = sniff_detect(u->data, u->len, &why);
    if (t == SNIFF_HOSTILE)
        return err_at(e, ERR_UNPROCESSABLE, "file", "Odrzucony plik: %s (rejected: %s)", why, why);
    if (t == SNIFF_UNKNOWN || !(cc->attachment_types & SNIFF_BIT(t)))
        return err_at(e, ERR_MEDIA_TYPE, "file",
                      "Nieobsługiwany rodzaj pliku (%s); dozwolone: PDF, PNG, JPEG, TIFF, ODT, DOCX, tekst, o ile "
                      "gmina ich nie ograniczyła (unsupported file type)",
                      t == SNIFF_UNKNOWN ? why : sniff_name(t));
    if (!sniff_media_type_agrees(u->declared, t))
        return err_at(e, ERR_MEDIA_TYPE, "Content-Type",
                      "Zawartość pliku (%s) nie zgadza się z zadeklarowanym typem %s (the content contradicts the "
                      "declared type)",
                      sniff_name(t), u->declared);
    const char *name = gis_case_file_name_clean(req->arena, u->name);
    if (!name)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (!sniff_name_agrees(name, t))
        return err_at(e, ERR_MEDIA_TYPE, "name",
                      "Zawartość pliku (%s) nie zgadza się z rozszerzeniem nazwy „%s” (the content contradicts the "
                      "file name)",
                      sniff_name(t), name);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)u->data, u->len);
    char *hex = arena_alloc(req->arena, 2 * sizeof h + 1);
    if (!hex)
        return err_set(e, ERR_INTERNAL, "out of memory");
    sodium_bin2hex(hex, 2 * sizeof h + 1, h, sizeof h);
    *a = (struct gis_case_attachment){
        .file_name = name, .media_type = sniff_media_type(t), .sha256 = hex, .size = u->len, .data = u->data};
    return ERR_OK;
}

static enum err_code attachments_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct upload u = {0};
    struct gis_case_attachment a;
    if (upload_parse(req, &u, e) || upload_check(req, &u, &a, e))
        return e->code;
    struct post_op op = {.body = u.body, .att = &a};
    return post_do(req, resp, &op, e);
}

static const struct http_param_doc p_case[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "string", 1, "case id (32 hex characters)"},
    HTTP_DOC_END,
};
static const struct http_param_doc p_upload[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "string", 1, "case id (32 hex characters)"},
    {"name", "query", "string", 0, "the file's name, for a raw body (a form's file part carries its own)"},
    HTTP_DOC_END,
};
static const struct http_param_doc p_attachment[] = {
    HTTP_DOC_TENANT,
    {"id", "path", "string", 1, "case id (32 hex characters)"},
    {"aid", "path", "integer", 1, "attachment id, as the case's attachments list it"},
    HTTP_DOC_END,
};

#define UPLOAD_DOC                                                                                                     \
    "multipart/form-data with one file part `file` (and an optional text part `body`, the message it comes with; "     \
    "`csrf` may carry the CSRF token), or the raw file as the body with its Content-Type and ?name=. The type is "     \
    "detected from the content (PDF, PNG, JPEG, TIFF, ODT, DOCX, UTF-8 text, as [cases] attachment_types allows): "    \
    "unknown content, or a declared type or name extension that contradicts it, is a 415; empty 422; over "            \
    "attachment_max_bytes 413; past attachments_per_case 409"

const struct http_route svc_case_messages_routes[] = {
    {"GET", "/{t}/me/cases/{id}/messages", messages_get, "cases",
     "The messages and attachments of one of the signed-in resident's cases (marks the clerk's messages read)", NULL,
     p_case, HTTP_ACCOUNT},
    {"POST", "/{t}/me/cases/{id}/messages", messages_post, "cases",
     "Write to the clerk: JSON {body}; an answer to a case in do uzupełnienia returns it to w toku; a closed case "
     "is a 409",
     NULL, p_case, HTTP_ACCOUNT},
    {"POST", "/{t}/me/cases/{id}/attachments", attachments_post, "cases",
     "Attach a file to one of the signed-in resident's open cases: " UPLOAD_DOC, NULL, p_upload, HTTP_ACCOUNT_UPLOAD},
    {"GET", "/{t}/me/cases/{id}/attachments/{aid}", attachment_get, "cases",
     "Download an attachment of one of the signed-in resident's cases, as its detected type",
     "application/octet-stream", p_attachment, HTTP_ACCOUNT},
    {"GET", "/{t}/cases/{id}/messages", messages_get, "cases",
     "The messages and attachments of a case (marks the resident's messages read)", NULL, p_case,
     HTTP_STAFF("clerk", "cases:read")},
    {"POST", "/{t}/cases/{id}/messages", messages_post, "cases",
     "Write to the applicant: JSON {body, status}; status \"do uzupełnienia\" calls for documents (the case's "
     "status and history change with it)",
     NULL, p_case, HTTP_STAFF("clerk", "cases:write")},
    {"POST", "/{t}/cases/{id}/attachments", attachments_post, "cases", "Attach a file to a case: " UPLOAD_DOC, NULL,
     p_upload, HTTP_STAFF_UPLOAD("clerk", "cases:write")},
    {"GET", "/{t}/cases/{id}/attachments/{aid}", attachment_get, "cases",
     "Download an attachment of a case, as its detected type", "application/octet-stream", p_attachment,
     HTTP_STAFF("clerk", "cases:read")},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
