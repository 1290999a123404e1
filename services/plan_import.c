/* POST /{t}/plans/import: an APP file (GML, or a zip of GML) imported into the running gmina's store by a
 * planner, the same import and validation as `odra import` (gis_import_run), with ?check=1 the same as
 * `odra import --check` (validated, nothing written). The answer is the validation report as
 * `odra import --report` writes it, plus its text as the command prints it. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/import.h"
#include "gis/report.h"
#include "services/auth.h"
#include "services/routes.h"
#include "services/server.h"
#include "util/buf.h"

/* The import's context: the uploaded file written to a private temporary directory. */
struct plan_import {
    struct http_req *req;
    char dir[64], path[96];
    bool check;
    struct gis_report *rp;
    struct gis_import_stats st;
};

static enum err_code upload_save(struct plan_import *pi, struct err *e)
{
    struct http_req *req = pi->req;
    snprintf(pi->dir, sizeof pi->dir, "/tmp/odra-import-XXXXXX");
    if (!mkdtemp(pi->dir))
        return err_set(e, ERR_IO, "cannot make a temporary directory: %s", strerror(errno));
    bool zip = req->body_len >= 4 && !memcmp(req->body, "PK\x03\x04", 4);
    snprintf(pi->path, sizeof pi->path, "%s/upload.%s", pi->dir, zip ? "zip" : "gml");
    FILE *f = fopen(pi->path, "wb");
    if (!f || fwrite(req->body, 1, req->body_len, f) != req->body_len) {
        if (f)
            fclose(f);
        return err_set(e, ERR_IO, "cannot write the upload to %s", pi->dir);
    }
    return fclose(f) == 0 ? ERR_OK : err_set(e, ERR_IO, "cannot write the upload to %s", pi->dir);
}

static void upload_remove(struct plan_import *pi)
{
    if (pi->path[0])
        unlink(pi->path);
    if (pi->dir[0])
        rmdir(pi->dir);
}

/* Runs the import on the tenant's writer, under its write lock (gis_import_run makes its own transaction): the
 * gmina's other writes wait for it, as they would for any write. */
static enum err_code import_do(struct plan_import *pi, struct err *e)
{
    struct http_req *req = pi->req;
    struct svc_tenant *t = req->tenant;
    const struct config *cfg = svc_server_config(req->server);
    struct app_gmina *gminas = arena_alloc(req->arena, sizeof *gminas * (size_t)(cfg->n_tenants + 1));
    if (!gminas)
        return err_set(e, ERR_INTERNAL, "out of memory");
    for (int i = 0; i < cfg->n_tenants; i++) {
        snprintf(gminas[i].teryt, sizeof gminas[i].teryt, "%s", cfg->tenants[i].teryt);
        snprintf(gminas[i].name, sizeof gminas[i].name, "%s", cfg->tenants[i].name);
    }
    struct gis_import_opts io = {.check = pi->check,
                                 .teryt = t->cfg->teryt,
                                 .gmina = t->cfg->name,
                                 .gminas = gminas,
                                 .ngminas = cfg->n_tenants,
                                 .gap_tolerance_m2 = cfg->import_gap_tolerance_m2,
                                 .boundary_tolerance_m = cfg->import_boundary_tolerance_m,
                                 .app_schemas = cfg->import_app_schemas[0] ? cfg->import_app_schemas : NULL,
                                 .findings = pi->rp};
    const char *files[] = {pi->path};
    if (t->unavailable || !t->writer)
        return err_set(e, ERR_UNAVAILABLE, "the data of gmina %s are unavailable", t->cfg->name);
    pthread_mutex_lock(&t->write_lock);
    enum err_code rc = gis_import_run(t->writer, files, 1, &io, &pi->st, NULL, e);
    pthread_mutex_unlock(&t->write_lock);
    return rc;
}

/* The report as `odra import --report` writes it (gis_report_write_json), with the printed text added. */
static json_t *report_json(struct plan_import *pi, const struct err *failed, const char *file_name)
{
    struct http_req *req = pi->req;
    bool ok = !failed->code;
    const char *const files[] = {file_name};
    struct gis_report_meta m = {.tenant = req->tenant->cfg->slug,
                                .teryt = req->tenant->cfg->teryt,
                                .collection = "app",
                                .format = pi->st.format[0] ? pi->st.format : NULL,
                                .files = files,
                                .nfiles = 1,
                                .check = pi->check,
                                .imported = pi->st.written,
                                .read = pi->st.read,
                                .written = ok ? pi->st.imported : 0,
                                .repaired = pi->st.repaired,
                                .rejected = pi->st.rejected,
                                .error = ok ? NULL : failed->msg};
    char jpath[128];
    snprintf(jpath, sizeof jpath, "%s/report.json", pi->dir);
    struct err je = {0};
    json_t *j = gis_report_write_json(pi->rp, &m, jpath, &je) ? NULL : json_load_file(jpath, 0, NULL);
    unlink(jpath);
    if (!j)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        gis_report_print(pi->rp, &m, f);
        fclose(f);
    }
    json_object_set_new(j, "text", json_stringn(text ? text : "", len));
    free(text);
    json_object_set_new(j, "valid", json_boolean(ok));
    json_object_set_new(j, "written", json_boolean(pi->st.written));
    if (!ok)
        json_object_set_new(j, "description", json_string(failed->msg));
    return j;
}

static enum err_code plans_import(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *check = http_query(req, "check"), *name = http_query(req, "name");
    struct plan_import pi = {.req = req, .check = check && (!strcmp(check, "1") || !strcmp(check, "true"))};
    if (check && *check && !pi.check && strcmp(check, "0") && strcmp(check, "false"))
        return err_param(e, "check", "check must be 1 or 0");
    if (!req->body || !req->body_len)
        return err_param(e, "body", "send the APP file (GML, or a zip of GML files) as the request body");
    if (!(pi.rp = gis_report_new()))
        return err_set(e, ERR_INTERNAL, "out of memory");
    struct err ie = {0};
    enum err_code rc = upload_save(&pi, e);
    if (!rc && gis_import_check_file(pi.path, &ie) != ERR_OK)
        gis_report_add(pi.rp, "PLIK-ODRZUCONY", name ? name : "upload", NULL, NULL, NAN, "%s", ie.msg);
    else if (!rc)
        import_do(&pi, &ie);
    json_t *j = rc ? NULL : report_json(&pi, &ie, name && *name ? name : "upload");
    upload_remove(&pi);
    gis_report_free(pi.rp);
    if (rc)
        return rc;
    if (!j)
        return err_set(e, ERR_INTERNAL, "the import's report could not be made");
    svc_auth_audit(req, pi.check ? "plans.import.check" : "plans.import", name ? name : "upload",
                   arena_printf(req->arena, "%s: %ld read, %ld written, %ld errors", ie.code ? "refused" : "ok",
                                pi.st.read, pi.st.written ? pi.st.imported : 0L, pi.st.errors));
    int status = !ie.code ? (pi.st.written ? 201 : 200) : http_status_of(ie.code);
    return http_resp_json(req, resp, status, j, e);
}

static const struct http_param_doc p_import[] = {
    HTTP_DOC_TENANT,
    {"check", "query", "string", 0, "1: validate only, write nothing (odra import --check)"},
    {"name", "query", "string", 0, "the file's name, for the report"},
    HTTP_DOC_STATUS("201", "imported: the validation report"),
    HTTP_DOC_STATUS("422", "refused by validation: the report names every error; nothing was written"),
    HTTP_DOC_END,
};

const struct http_route svc_plan_import_routes[] = {
    {"POST", "/{t}/plans/import", plans_import, "plans",
     "Import an APP file (the body: GML, or a zip of GML) into the gmina's plans, validated as `odra import`; with "
     "check=1 only validated. The answer is the validation report (as odra import --report writes it, plus its "
     "text)",
     NULL, p_import, HTTP_STAFF_UPLOAD("planner", "plans:write")},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
