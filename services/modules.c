/* The static module table, and what the server does with modules: per-tenant enablement, per-module
 * migrations, demo hooks, collections and the staff check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "services/auth.h"
#include "services/module.h"
#include "services/server.h"
#include "util/embed.h"

/* The e-services compiled in, one line each: M(<name>) for the folder services/modules/<name>/, which
 * defines `const struct svc_module svc_<name>_module` (see docs/modules.md). */
#define SVC_MODULE_LIST(M) M(waste)

#define SVC_MODULE_EXTERN(name) extern const struct svc_module svc_##name##_module;
#define SVC_MODULE_ENTRY(name)  &svc_##name##_module,
SVC_MODULE_LIST(SVC_MODULE_EXTERN)
const struct svc_module *const svc_modules[] = {SVC_MODULE_LIST(SVC_MODULE_ENTRY) NULL};

const struct svc_module *svc_module_find(const char *name)
{
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if (!strcmp((*m)->name, name))
            return *m;
    return NULL;
}

enum err_code svc_modules_check_config(const struct config *c, struct err *e)
{
    for (int i = 0; i < c->n_tenants; i++)
        for (int k = 0; k < c->tenants[i].n_modules; k++)
            if (!svc_module_find(c->tenants[i].modules[k]))
                return err_set(e, ERR_INVALID, "config %s: tenant %s.modules: unknown module '%s'", c->source,
                               c->tenants[i].slug, c->tenants[i].modules[k]);
    return ERR_OK;
}

bool svc_module_enabled(const struct config_tenant *t, const struct svc_module *m)
{
    for (int k = 0; t && k < t->n_modules; k++)
        if (!strcmp(t->modules[k], m->name))
            return true;
    return false;
}

const struct svc_module *svc_module_of_route(const struct http_route *r)
{
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        for (const struct http_route *x = (*m)->routes; x && x->pattern; x++)
            if (x == r)
                return *m;
    return NULL;
}

/* ---- migrations ---- */

/* NNN of "<dir>/NNN_name.sql", or -1 when the file is not one of m's migrations. */
static int module_migration_number(const struct svc_module *m, const char *name)
{
    size_t pl = strlen(m->migrations);
    if (strncmp(name, m->migrations, pl) != 0 || name[pl] != '/')
        return -1;
    const char *p = name + pl + 1;
    int n = 0, digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++)
        n = n * 10 + (*p - '0');
    size_t len = strlen(name);
    return digits == 3 && *p == '_' && len > 4 && !strcmp(name + len - 4, ".sql") ? n : -1;
}

int svc_module_latest_version(const struct svc_module *m)
{
    int latest = 0;
    for (const struct embed_file *f = embed_files; m->migrations && f->name; f++) {
        int n = module_migration_number(m, f->name);
        if (n > latest)
            latest = n;
    }
    return latest;
}

int svc_module_version(struct gis_store *s, const struct svc_module *m)
{
    sqlite3_stmt *st;
    int v = 0;
    if (sqlite3_prepare_v2(gis_store_db(s), "SELECT version FROM module_versions WHERE module = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

enum err_code svc_module_migrate(const struct svc_module *m, struct gis_store *w, struct err *e)
{
    if (!m->migrations)
        return ERR_OK;
    if (gis_store_exec(
            w, "CREATE TABLE IF NOT EXISTS module_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL)", e))
        return e->code;
    int have = svc_module_version(w, m), latest = svc_module_latest_version(m);
    if (have > latest)
        return err_set(e, ERR_INVALID, "%s: module %s is at version %d, newer than this odra (%d)", gis_store_path(w),
                       m->name, have, latest);
    for (int v = have + 1; v <= latest; v++) {
        const struct embed_file *mig = NULL;
        for (const struct embed_file *f = embed_files; f->name; f++)
            if (module_migration_number(m, f->name) == v)
                mig = f;
        if (!mig)
            return err_set(e, ERR_INTERNAL, "module %s: migration %03d missing", m->name, v);
        if (gis_store_begin(w, e))
            return e->code;
        sqlite3_stmt *st = NULL;
        enum err_code rc = gis_store_exec(w, mig->data, e);
        if (!rc)
            rc = gis_store_prepare(w,
                                   "INSERT INTO module_versions (module, version) VALUES (?, ?) "
                                   "ON CONFLICT (module) DO UPDATE SET version = excluded.version",
                                   &st, e);
        if (!rc) {
            sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 2, v);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = err_set(e, ERR_IO, "module_versions: %s", sqlite3_errmsg(gis_store_db(w)));
        }
        sqlite3_finalize(st);
        if (rc || gis_store_commit(w, e)) {
            gis_store_rollback(w);
            return err_set(e, ERR_IO, "%s: module migration %s failed", gis_store_path(w), mig->name);
        }
    }
    return ERR_OK;
}

enum err_code svc_modules_migrate(const struct config_tenant *t, struct gis_store *w, struct err *e)
{
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if (svc_module_enabled(t, *m) && svc_module_migrate(*m, w, e))
            return e->code;
    return ERR_OK;
}

enum err_code svc_modules_demo(const struct config_tenant *t, struct gis_store *w, struct err *e)
{
    if (svc_modules_migrate(t, w, e))
        return e->code;
    for (const struct svc_module *const *m = svc_modules; *m; m++) {
        if (!svc_module_enabled(t, *m) || !(*m)->demo)
            continue;
        if (gis_store_begin(w, e))
            return e->code;
        if ((*m)->demo(w, t, e) || gis_store_commit(w, e)) {
            gis_store_rollback(w);
            return e->code ? e->code : err_set(e, ERR_INTERNAL, "module %s: demo data failed", (*m)->name);
        }
    }
    return ERR_OK;
}

/* ---- collections ---- */

const struct gis_collection *svc_collection_find(const struct config_tenant *t, const char *id)
{
    const struct gis_collection *c = gis_collection_find(id);
    if (c)
        return c;
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if (svc_module_enabled(t, *m))
            for (c = (*m)->collections; c && c->id; c++)
                if (!strcmp(c->id, id))
                    return c;
    return NULL;
}

void svc_collections_each(const struct config_tenant *t, void (*fn)(const struct gis_collection *c, void *user),
                          void *user)
{
    for (const struct gis_collection *c = gis_collections; c->id; c++)
        fn(c, user);
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if (svc_module_enabled(t, *m))
            for (const struct gis_collection *c = (*m)->collections; c && c->id; c++)
                fn(c, user);
}

/* ---- tilesets ---- */

enum err_code svc_modules_register_tilesets(struct err *e)
{
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if ((*m)->tilesets && tile_sets_register((*m)->tilesets, e))
            return err_set(e, e->code, "module %s: %s", (*m)->name, e->msg);
    return ERR_OK;
}

const struct svc_module *svc_module_of_tileset(const struct tile_set *ts)
{
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        for (const struct tile_set *x = (*m)->tilesets; x && x->name; x++)
            if (x == ts)
                return *m;
    return NULL;
}

bool svc_tileset_enabled(const struct config_tenant *t, const struct tile_set *ts)
{
    const struct svc_module *m = svc_module_of_tileset(ts);
    return !m || svc_module_enabled(t, m);
}

const struct tile_set *svc_tileset_find(const struct config_tenant *t, const char *name)
{
    const struct tile_set *ts = tile_set_find(name);
    return ts && svc_tileset_enabled(t, ts) ? ts : NULL;
}

bool svc_tile_layer_enabled(const struct config_tenant *t, const char *name)
{
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        for (const struct tile_set *x = (*m)->tilesets; x && x->name; x++)
            for (const struct tile_mvt_layer *L = x->sources; L && L->name; L++)
                if (!strcmp(L->name, name) && !svc_module_enabled(t, *m))
                    return false;
    return true;
}

/* ---- locate ---- */

json_t *svc_modules_locate(struct svc_tenant *t, struct gis_store *r, const struct svc_place *p)
{
    json_t *services = json_object();
    for (const struct svc_module *const *m = svc_modules; *m; m++) {
        if (!(*m)->locate || !svc_module_enabled(t->cfg, *m))
            continue;
        json_t *o = json_object();
        struct err me = {0};
        if ((*m)->locate(t, r, p, o, &me) != ERR_OK) {
            json_decref(o);
            json_t *d = json_string(me.msg[0] ? me.msg : err_name(me.code));
            o = json_pack("{s:s, s:{s:s, s:o}}", "title", (*m)->title, "error", "code",
                          err_name(me.code ? me.code : ERR_INTERNAL), "description", d ? d : json_string("error"));
        }
        json_object_set_new(services, (*m)->name, o);
    }
    return services;
}

/* ---- staff ---- */

enum err_code svc_require_staff(struct http_req *req, struct err *e)
{
    /* The dispatcher checked the route's declared role or scope before the handler (services/auth.c); this
     * second look refuses a staff handler reached through a route that was declared public by mistake. */
    const struct auth_principal *p = req->principal;
    if (!p)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie pracownika gminy (staff sign-in required)");
    bool ok = p->via == AUTH_VIA_CLIENT ? req->tenant && !strcmp(p->account.tenant, req->tenant->cfg->slug)
                                        : strcmp(p->account.kind, "resident") != 0;
    if (!ok)
        return err_set(e, ERR_FORBIDDEN, "Tylko dla pracowników gminy (staff only)");
    return ERR_OK;
}
