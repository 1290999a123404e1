/* What the server does with modules (the table itself is services/module_table.c): per-tenant enablement, per-module
 * migrations, demo hooks, collections and the staff check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/module_store.h"
#include "services/auth.h"
#include "services/module.h"
#include "services/server.h"
#include "util/embed.h"

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

int svc_module_latest_version(const struct svc_module *m)
{
    int latest = 0;
    for (const struct embed_file *f = embed_files; m->migrations && f->name; f++) {
        int n = embed_migration_number(f->name, m->migrations);
        if (n > latest)
            latest = n;
    }
    return latest;
}

int svc_module_version(struct gis_store *s, const struct svc_module *m)
{
    return gis_module_version(s, m->name);
}

enum err_code svc_module_migrate(const struct svc_module *m, struct gis_store *w, struct err *e)
{
    if (!m->migrations)
        return ERR_OK;
    if (gis_module_versions_create(w, e))
        return e->code;
    int have = svc_module_version(w, m), latest = svc_module_latest_version(m);
    if (have > latest)
        return err_set(e, ERR_INVALID, "%s: module %s is at version %d, newer than this odra (%d)", gis_store_path(w),
                       m->name, have, latest);
    for (int v = have + 1; v <= latest; v++) {
        const struct embed_file *mig = NULL;
        for (const struct embed_file *f = embed_files; f->name; f++)
            if (embed_migration_number(f->name, m->migrations) == v)
                mig = f;
        if (!mig)
            return err_set(e, ERR_INTERNAL, "module %s: migration %03d missing", m->name, v);
        if (gis_module_migrate(w, m->name, v, mig->data, e))
            return err_set(e, ERR_IO, "%s: module migration %s failed", gis_store_path(w), mig->name);
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

const struct svc_module *svc_module_of_layer(const struct gis_layer *L)
{
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        for (const struct gis_layer *x = (*m)->layers; x && x->table; x++)
            if (x == L)
                return *m;
    return NULL;
}

/* Whether tenant t serves layer L: a core one, or one of a module t enables. */
static bool layer_enabled(const struct config_tenant *t, const struct gis_layer *L)
{
    const struct svc_module *m = svc_module_of_layer(L);
    return !m || svc_module_enabled(t, m);
}

const struct gis_collection *svc_collection_find(const struct config_tenant *t, const char *id)
{
    const struct gis_collection *c = gis_collection_find(id);
    return c && layer_enabled(t, gis_collection_layer(c)) ? c : NULL;
}

void svc_collections_each(const struct config_tenant *t, void (*fn)(const struct gis_collection *c, void *user),
                          void *user)
{
    const struct gis_collection *c;
    for (int i = 0; (c = gis_collection_at(i)); i++)
        if (layer_enabled(t, gis_collection_layer(c)))
            fn(c, user);
}

/* ---- layers and tilesets ---- */

enum err_code svc_modules_register(struct err *e)
{
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if ((*m)->layers && gis_layers_register((*m)->layers, e))
            return err_set(e, e->code, "module %s: %s", (*m)->name, e->msg);
    if (tile_sets_register(e))
        return err_set(e, e->code, "modules: %s", e->msg);
    return ERR_OK;
}

const struct svc_module *svc_module_of_tileset(const struct tile_set *ts)
{
    return ts && ts->layer ? svc_module_of_layer(ts->layer) : NULL;
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
    const struct gis_layer *L = gis_layer_find(name);
    return !L || layer_enabled(t, L);
}

/* ---- locate ---- */

/* A module's answer in place of what its hook failed to give: {"title", "error": {"code", "description"}}. */
static json_t *module_error(const struct svc_module *m, const struct err *me)
{
    json_t *d = json_string(me->msg[0] ? me->msg : err_name(me->code));
    return json_pack("{s:s, s:{s:s, s:o}}", "title", m->title, "error", "code",
                     err_name(me->code ? me->code : ERR_INTERNAL), "description", d ? d : json_string("error"));
}

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
            o = module_error(*m, &me);
        }
        json_object_set_new(services, (*m)->name, o);
    }
    return services;
}

json_t *svc_modules_me(struct svc_tenant *t, struct gis_store *r, long long account)
{
    json_t *mods = json_object();
    for (const struct svc_module *const *m = svc_modules; mods && *m; m++) {
        if (!(*m)->me || !svc_module_enabled(t->cfg, *m))
            continue;
        json_t *o = json_object();
        struct err me = {0};
        if (!o || (*m)->me(t, r, account, o, &me) != ERR_OK) {
            json_decref(o);
            o = module_error(*m, &me);
        }
        json_object_set_new(mods, (*m)->name, o);
    }
    return mods;
}

/* ---- staff ---- */

bool svc_is_staff(const struct http_req *req, const char *role)
{
    const struct auth_principal *p = req->principal;
    if (!p || !req->tenant)
        return false;
    if (p->via == AUTH_VIA_CLIENT)
        return !strcmp(p->account.tenant, req->tenant->cfg->slug);
    struct gis_identity *id = svc_auth_identity();
    return p->admin || (id && gis_grant_has(id, p->account.id, req->tenant->cfg->slug, role));
}

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
