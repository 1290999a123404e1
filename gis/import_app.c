/* Store-side rules of an import: APP identities and versions, POG coverage, the gmina's territory. */
#include "gis/import_app.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gis/coverage.h"
#include "gis/store_sql.h"

static enum err_code import_app_sqlerr(struct gis_store *w, const char *what, struct err *e)
{
    return err_set(e, ERR_IO, "%s: %s: %s", gis_store_path(w), what, sqlite3_errmsg(gis_store_db(w)));
}

/* Whether the file also holds the object iip (przestrzenNazw/lokalnyId) of feature type `type`. */
static bool import_app_in_file(const struct app_scan *scan, const char *type, const char *iip)
{
    size_t nl = strlen(iip);
    for (size_t i = 0; i < scan->n; i++) {
        const struct app_object *o = &scan->o[i];
        if (!o->ns || !o->lid || strcmp(o->type, type) != 0)
            continue;
        size_t ns = strlen(o->ns);
        if (ns + 1 + strlen(o->lid) == nl && !strncmp(iip, o->ns, ns) && iip[ns] == '/' &&
            !strcmp(iip + ns + 1, o->lid))
            return true;
    }
    return false;
}

/* The statements of the identity checks of acts (plans) or of POG zones. */
struct app_ident_stmts {
    sqlite3_stmt *other, *same, *hist, *del, *plan, *label;
};

static enum err_code import_app_ident_prepare(struct gis_store *w, bool zones, struct app_ident_stmts *q, struct err *e)
{
    if (gis_store_prepare(w, zones ? "SELECT 1 FROM plans WHERE iip = ?" : "SELECT 1 FROM pog_zones WHERE iip = ?",
                          &q->other, e) ||
        gis_store_prepare(w,
                          zones ? "SELECT id, version, NULL FROM pog_zones WHERE iip = ?"
                                : "SELECT id, version, status FROM plans WHERE iip = ?",
                          &q->same, e) ||
        gis_store_prepare(w,
                          zones ? "INSERT INTO app_history (tbl, iip, version, replaced_by, replaced_at, attrs, geom) "
                                  "SELECT 'pog_zones', iip, version, ?2, ?3, json_object('id', id, 'plan', "
                                  "(SELECT iip FROM plans WHERE plans.id = plan_id), 'label', label, 'symbol', symbol, "
                                  "'name', name, 'max_intensity', max_intensity, 'max_coverage_pct', max_coverage_pct, "
                                  "'max_height_m', max_height_m, 'min_bio_pct', min_bio_pct), geom "
                                  "FROM pog_zones WHERE id = ?1"
                                : "INSERT INTO app_history (tbl, iip, version, replaced_by, replaced_at, attrs, geom) "
                                  "SELECT 'plans', iip, version, ?2, ?3, json_object('id', id, 'kind', kind, 'title', "
                                  "title, 'resolution', resolution, 'resolution_date', resolution_date, 'publication', "
                                  "publication, 'scale', scale, 'status', status, 'valid_from', valid_from, "
                                  "'valid_to', valid_to), geom FROM plans WHERE id = ?1",
                          &q->hist, e) ||
        (zones && (gis_store_prepare(w, "DELETE FROM pog_zones WHERE id = ?", &q->del, e) ||
                   gis_store_prepare(w, "SELECT id FROM plans WHERE iip = ? AND kind = 'pog'", &q->plan, e) ||
                   gis_store_prepare(w, "SELECT iip FROM pog_zones WHERE plan_id = ? AND label = ? AND iip IS NOT ?",
                                     &q->label, e))))
        return e->code;
    return ERR_OK;
}

/* Replaces the stored version (row id) of an object by the file's newer one: the old one goes to
 * app_history, and an old POG zone is deleted (the import writes the new one). */
static enum err_code import_app_supersede(struct gis_store *w, const struct app_ident_stmts *q, long long id,
                                          const char *version, const char *table, const char *now, struct err *e)
{
    sqlite3_bind_int64(q->hist, 1, id);
    sqlite3_bind_text(q->hist, 2, version, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q->hist, 3, now, -1, SQLITE_TRANSIENT);
    int s = sqlite3_step(q->hist);
    sqlite3_reset(q->hist);
    if (s != SQLITE_DONE)
        return import_app_sqlerr(w, "app_history", e);
    if (q->del) {
        sqlite3_bind_int64(q->del, 1, id);
        s = sqlite3_step(q->del);
        sqlite3_reset(q->del);
        if (s != SQLITE_DONE)
            return import_app_sqlerr(w, table, e);
    }
    return ERR_OK;
}

/* One object of the file against the store: its identifier held by an object of the other type, an older
 * or the same version already there (findings), or a newer version that supersedes the stored one. */
static enum err_code import_app_identity(struct gis_store *w, const struct app_ident_stmts *q,
                                         const struct app_object *o, bool zones, const char *table, const char *now,
                                         struct gis_report *rp, struct err *e)
{
    char iip[1200];
    snprintf(iip, sizeof iip, "%s/%s", o->ns, o->lid);
    sqlite3_bind_text(q->other, 1, iip, -1, SQLITE_TRANSIENT);
    int s = sqlite3_step(q->other);
    sqlite3_reset(q->other);
    if (s == SQLITE_ROW) {
        gis_report_add(rp, "LOKALNYID-W-BAZIE", o->file, o->lid, NULL, NAN,
                       "identyfikator %s ma w bazie obiekt innego typu (%s)", iip, zones ? "akt" : "strefa");
        return ERR_OK;
    }
    if (s != SQLITE_DONE)
        return import_app_sqlerr(w, table, e);
    sqlite3_bind_text(q->same, 1, iip, -1, SQLITE_TRANSIENT);
    s = sqlite3_step(q->same);
    if (s != SQLITE_ROW) {
        sqlite3_reset(q->same);
        return s != SQLITE_DONE ? import_app_sqlerr(w, table, e) : ERR_OK;
    }
    long long id = sqlite3_column_int64(q->same, 0);
    char have[200] = "";
    bool have_version = sqlite3_column_type(q->same, 1) != SQLITE_NULL;
    if (have_version)
        snprintf(have, sizeof have, "%s", (const char *)sqlite3_column_text(q->same, 1));
    bool placeholder = sqlite3_column_type(q->same, 2) != SQLITE_NULL &&
                       !strcmp((const char *)sqlite3_column_text(q->same, 2), APP_PLACEHOLDER_ST);
    sqlite3_reset(q->same);
    if (placeholder)
        return ERR_OK; /* the act completes the plan its zones created */
    int cmp = app_version_cmp(o->version, have_version ? have : NULL);
    if (cmp == 0)
        gis_report_add(rp, "LOKALNYID-W-BAZIE", o->file, o->lid, NULL, NAN,
                       "obiekt %s w wersji %s jest już w bazie (nowa wersja potrzebuje nowszego wersjaId)", iip,
                       o->version ? o->version : "(bez wersjaId)");
    else if (cmp < 0)
        gis_report_add(rp, "LOKALNYID-W-BAZIE", o->file, o->lid, NULL, NAN,
                       "w bazie jest nowsza wersja obiektu %s (%s) niż w pliku (%s)", iip, have,
                       o->version ? o->version : "bez wersjaId");
    if (cmp <= 0)
        return ERR_OK;
    gis_report_add(rp, "NOWA-WERSJA", o->file, o->lid, NULL, NAN, "wersja %s zastępuje %s; poprzednia w historii",
                   o->version, have_version ? have : "bez wersjaId");
    return import_app_supersede(w, q, id, o->version, table, now, e);
}

/* A designation of a POG zone in the file that another zone of the same plan holds in the store (and
 * keeps: it is not in the file). */
static void import_app_label_held(const struct app_ident_stmts *q, const struct app_scan *scan, const char *type,
                                  const struct app_object *o, struct gis_report *rp)
{
    char iip[1200];
    snprintf(iip, sizeof iip, "%s/%s", o->ns, o->lid);
    sqlite3_bind_text(q->plan, 1, o->act, -1, SQLITE_TRANSIENT);
    long long pid = sqlite3_step(q->plan) == SQLITE_ROW ? sqlite3_column_int64(q->plan, 0) : 0;
    sqlite3_reset(q->plan);
    if (!pid)
        return;
    sqlite3_bind_int64(q->label, 1, pid);
    sqlite3_bind_text(q->label, 2, o->oznaczenie, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q->label, 3, iip, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(q->label) == SQLITE_ROW) {
        const char *holder = (const char *)sqlite3_column_text(q->label, 0);
        if (!holder || !import_app_in_file(scan, type, holder))
            gis_report_add(rp, "DUPLIKAT-OZNACZENIE", o->file, o->lid, NULL, NAN,
                           "oznaczenie %s ma w bazie inna strefa planu %s (%s)", o->oznaczenie, o->act,
                           holder ? holder : "bez identyfikatora");
    }
    sqlite3_reset(q->label);
}

enum err_code import_app_identities(struct gis_store *w, const struct app_scan *scan, const char *type,
                                    const char *table, const char *now, struct gis_report *rp, struct err *e)
{
    bool zones = !strcmp(table, "pog_zones");
    struct app_ident_stmts q = {0};
    enum err_code rc = import_app_ident_prepare(w, zones, &q, e);
    for (size_t i = 0; !rc && i < scan->n; i++) {
        const struct app_object *o = &scan->o[i];
        if (strcmp(o->type, type) != 0 || !o->ns || !o->lid)
            continue;
        rc = import_app_identity(w, &q, o, zones, table, now, rp, e);
    }
    for (size_t i = 0; !rc && zones && i < scan->n; i++) {
        const struct app_object *o = &scan->o[i];
        if (strcmp(o->type, type) != 0 || !o->ns || !o->lid || !o->act || !o->oznaczenie)
            continue;
        import_app_label_held(&q, scan, type, o, rp);
    }
    sqlite3_stmt *all[] = {q.other, q.same, q.hist, q.del, q.plan, q.label};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    return rc;
}

static GEOSGeometry *import_app_read(GEOSContextHandle_t h, sqlite3_stmt *st, int col)
{
    const void *b = sqlite3_column_blob(st, col);
    int n = sqlite3_column_bytes(st, col);
    if (!b || n <= 0)
        return NULL;
    GEOSWKBReader *r = GEOSWKBReader_create_r(h);
    GEOSGeometry *g = r ? GEOSWKBReader_read_r(h, r, b, (size_t)n) : NULL;
    if (r)
        GEOSWKBReader_destroy_r(h, r);
    return g;
}

GEOSGeometry *import_app_boundary(struct gis_store *w, GEOSContextHandle_t h, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "SELECT AsBinary(geom) FROM gmina_boundary WHERE id = 1", &st, e))
        return NULL;
    GEOSGeometry *g = sqlite3_step(st) == SQLITE_ROW ? import_app_read(h, st, 0) : NULL;
    sqlite3_finalize(st);
    return g;
}

/* The zones of one plan in the store, read one by one (gis_zone_source). */
struct import_app_zone {
    long long id;
    char *name;
    double cx, cy;  /* the centre of its bounding box */
    uint64_t order; /* its place on a Morton (Z-order) curve over the plan */
};

struct import_app_zones {
    GEOSContextHandle_t h;
    GEOSWKBReader *rd;
    sqlite3_stmt *geom; /* SELECT AsBinary(geom) FROM pog_zones WHERE id = ? */
    struct import_app_zone *z;
    size_t n, cap;
};

static uint64_t import_app_spread(uint32_t v)
{
    uint64_t x = v;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x << 2)) & 0x3333333333333333ULL;
    x = (x | (x << 1)) & 0x5555555555555555ULL;
    return x;
}

static int import_app_zone_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct import_app_zone *)a)->order, y = ((const struct import_app_zone *)b)->order;
    return x < y ? -1 : x > y;
}

/* Sorts the zones along a Z-order curve of their centres, so that batches of consecutive zones are
 * compact and their partial unions small (the zones' MBRs come from SpatiaLite's blob header). */
static void import_app_zone_order(struct import_app_zones *z)
{
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < z->n; i++) {
        x0 = fmin(x0, z->z[i].cx), x1 = fmax(x1, z->z[i].cx);
        y0 = fmin(y0, z->z[i].cy), y1 = fmax(y1, z->z[i].cy);
    }
    double sx = x1 > x0 ? 65535 / (x1 - x0) : 0, sy = y1 > y0 ? 65535 / (y1 - y0) : 0;
    for (size_t i = 0; i < z->n; i++) {
        double fx = isfinite(z->z[i].cx) ? (z->z[i].cx - x0) * sx : 0,
               fy = isfinite(z->z[i].cy) ? (z->z[i].cy - y0) * sy : 0;
        z->z[i].order = import_app_spread((uint32_t)fx) | (import_app_spread((uint32_t)fy) << 1);
    }
    qsort(z->z, z->n, sizeof *z->z, import_app_zone_cmp);
}

static GEOSGeometry *import_app_zone_get(void *user, size_t i)
{
    struct import_app_zones *z = user;
    sqlite3_bind_int64(z->geom, 1, z->z[i].id);
    GEOSGeometry *g = NULL;
    if (sqlite3_step(z->geom) == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(z->geom, 0);
        int n = sqlite3_column_bytes(z->geom, 0);
        if (b && n > 0)
            g = GEOSWKBReader_read_r(z->h, z->rd, b, (size_t)n);
    }
    sqlite3_reset(z->geom);
    return g;
}

static const char *import_app_zone_name(void *user, size_t i)
{
    return ((struct import_app_zones *)user)->z[i].name;
}

enum err_code import_app_coverage(struct gis_store *w, GEOSContextHandle_t h, const long long *plans, size_t n,
                                  const GEOSGeometry *gmina, double tolerance_m2, const char *file,
                                  struct gis_report *rp, long *overlaps, struct err *e)
{
    sqlite3_stmt *pst = NULL, *zst = NULL;
    struct import_app_zones z = {.h = h, .rd = GEOSWKBReader_create_r(h)};
    if (!z.rd)
        return err_set(e, ERR_INTERNAL, "GEOS: out of memory");
    if (gis_store_prepare(w, "SELECT coalesce(iip, title), AsBinary(geom) FROM plans WHERE id = ?", &pst, e) ||
        gis_store_prepare(w,
                          "SELECT id, coalesce(iip, label), (MbrMinX(geom) + MbrMaxX(geom)) / 2, "
                          "(MbrMinY(geom) + MbrMaxY(geom)) / 2 FROM pog_zones WHERE plan_id = ? ORDER BY id",
                          &zst, e) ||
        gis_store_prepare(w, "SELECT AsBinary(geom) FROM pog_zones WHERE id = ?", &z.geom, e)) {
        sqlite3_finalize(pst);
        sqlite3_finalize(zst);
        GEOSWKBReader_destroy_r(h, z.rd);
        return e->code;
    }
    enum err_code rc = ERR_OK;
    if (overlaps)
        *overlaps = 0;
    for (size_t p = 0; !rc && p < n; p++) {
        sqlite3_bind_int64(pst, 1, plans[p]);
        if (sqlite3_step(pst) != SQLITE_ROW) {
            sqlite3_reset(pst);
            continue;
        }
        char name[600];
        snprintf(name, sizeof name, "%s",
                 sqlite3_column_text(pst, 0) ? (const char *)sqlite3_column_text(pst, 0) : "?");
        GEOSGeometry *act = import_app_read(h, pst, 1);
        sqlite3_reset(pst);
        z.n = 0;
        sqlite3_bind_int64(zst, 1, plans[p]);
        int s;
        while ((s = sqlite3_step(zst)) == SQLITE_ROW) {
            if (z.n == z.cap) {
                size_t nc = z.cap ? 2 * z.cap : 256;
                struct import_app_zone *nz = realloc(z.z, nc * sizeof *nz);
                if (!nz) {
                    rc = err_set(e, ERR_INTERNAL, "out of memory");
                    break;
                }
                z.z = nz, z.cap = nc;
            }
            /* the lokalnyId part of "przestrzenNazw/lokalnyId" */
            const char *id = (const char *)sqlite3_column_text(zst, 1);
            const char *slash = id ? strrchr(id, '/') : NULL;
            z.z[z.n] = (struct import_app_zone){.id = sqlite3_column_int64(zst, 0),
                                                .name = strdup(slash ? slash + 1
                                                               : id  ? id
                                                                     : "?"),
                                                .cx = sqlite3_column_double(zst, 2),
                                                .cy = sqlite3_column_double(zst, 3)};
            z.n++;
        }
        sqlite3_reset(zst);
        if (!z.n) {
            /* an act whose zones are not (yet) there is fine */
            if (act)
                GEOSGeom_destroy_r(h, act);
            continue;
        }
        import_app_zone_order(&z);
        if (!rc && s != SQLITE_DONE && s != SQLITE_ROW)
            rc = import_app_sqlerr(w, "pog_zones", e);
        const GEOSGeometry *ref = act ? act : gmina;
        char what[700];
        snprintf(what, sizeof what, act ? "aktu %s" : "gminy (akt %s nie ma granicy w bazie)", name);
        if (!rc && !ref)
            gis_report_add(rp, "POKRYCIE-NIESPRAWDZONE", file, name, NULL, NAN,
                           "plan %s nie ma granicy w bazie, a gmina nie ma ustawionej granicy: sprawdzono tylko "
                           "nakładanie się stref i dziury, które strefy otaczają",
                           name);
        long ov = 0;
        struct gis_coverage_opts co = {
            .tolerance_m2 = tolerance_m2, .overlap = GIS_SEV_ERROR, .file = file, .plan = name, .reference_what = what};
        struct gis_zone_source src = {z.n, import_app_zone_get, import_app_zone_name, &z};
        if (!rc)
            rc = gis_coverage_check(h, &src, ref, &co, rp, &ov, e);
        if (overlaps)
            *overlaps += ov;
        for (size_t i = 0; i < z.n; i++)
            free(z.z[i].name);
        if (act)
            GEOSGeom_destroy_r(h, act);
    }
    free(z.z);
    sqlite3_finalize(pst);
    sqlite3_finalize(zst);
    sqlite3_finalize(z.geom);
    GEOSWKBReader_destroy_r(h, z.rd);
    return rc;
}

enum err_code import_app_profiles(struct gis_store *w, const struct app_scan *scan, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "UPDATE pog_zones SET profile_basic = ?2, profile_extra = ?3 WHERE iip = ?1", &st, e))
        return e->code;
    enum err_code rc = ERR_OK;
    for (size_t i = 0; !rc && i < scan->n; i++) {
        const struct app_object *o = &scan->o[i];
        if (strcmp(o->type, "StrefaPlanistyczna") != 0 || !o->ns || !o->lid)
            continue;
        char iip[1200];
        snprintf(iip, sizeof iip, "%s/%s", o->ns, o->lid);
        sqlite3_bind_text(st, 1, iip, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, o->basic, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, o->extra, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = import_app_sqlerr(w, "pog_zones", e);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* The plan row id of the act an href names (0 when the store has none). */
static long long import_app_act_id(sqlite3_stmt *find, const char *href)
{
    char iip[1200];
    if (!app_act_iip(href, NULL, NULL, iip, sizeof iip))
        return 0;
    sqlite3_bind_text(find, 1, iip, -1, SQLITE_TRANSIENT);
    long long id = sqlite3_step(find) == SQLITE_ROW ? sqlite3_column_int64(find, 0) : 0;
    sqlite3_reset(find);
    return id;
}

/* Calls fn for each newline-separated href of list. */
static enum err_code import_app_each_href(const char *list, enum err_code (*fn)(void *, const char *), void *ctx)
{
    enum err_code rc = ERR_OK;
    for (const char *p = list ? list : ""; !rc && *p;) {
        size_t l = strcspn(p, "\n");
        char href[1200];
        snprintf(href, sizeof href, "%.*s", (int)(l < sizeof href - 1 ? l : sizeof href - 1), p);
        if (*href)
            rc = fn(ctx, href);
        p += l;
        while (*p == '\n')
            p++;
    }
    return rc;
}

struct import_app_link {
    struct gis_store *w;
    const struct app_object *doc;
    sqlite3_stmt *find, *repeal, *amends;
    long long target; /* zmienia: the amended act */
    struct gis_report *rp;
    struct err *e;
};

static enum err_code import_app_link_unknown(struct import_app_link *k, const char *what, const char *href)
{
    gis_report_add(k->rp, "POWIAZANIE-NIEZNANE", k->doc->file, k->doc->lid, NULL, NAN,
                   "dokument %s %s akt %s, którego nie ma w pliku ani w bazie: powiązania nie zapisano",
                   k->doc->title ? k->doc->title : k->doc->lid, what, href);
    return ERR_OK;
}

static enum err_code import_app_link_repeal(void *ctx, const char *href)
{
    struct import_app_link *k = ctx;
    long long id = import_app_act_id(k->find, href);
    if (!id)
        return import_app_link_unknown(k, "uchyla", href);
    sqlite3_bind_int64(k->repeal, 1, id);
    sqlite3_bind_text(k->repeal, 2, k->doc->title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(k->repeal, 3, k->doc->repealed ? k->doc->repealed : k->doc->in_force, -1, SQLITE_TRANSIENT);
    int s = sqlite3_step(k->repeal);
    sqlite3_reset(k->repeal);
    return s == SQLITE_DONE ? ERR_OK : import_app_sqlerr(k->w, "plans", k->e);
}

/* An amended act stays in force outside its amendment: the link is kept on the amendment (amends_plan_id,
 * written by import_app_link_adopt), not as a change of the amended act's own history. */
static enum err_code import_app_link_change(void *ctx, const char *href)
{
    struct import_app_link *k = ctx;
    long long id = import_app_act_id(k->find, href);
    if (!id)
        return import_app_link_unknown(k, "zmienia", href);
    k->target = id;
    return ERR_OK;
}

static enum err_code import_app_link_adopt(void *ctx, const char *href)
{
    struct import_app_link *k = ctx;
    long long id = import_app_act_id(k->find, href);
    if (!id || id == k->target)
        return ERR_OK; /* the adopted act itself is the import's: a missing one was reported there */
    sqlite3_bind_int64(k->amends, 1, id);
    sqlite3_bind_int64(k->amends, 2, k->target);
    int s = sqlite3_step(k->amends);
    sqlite3_reset(k->amends);
    return s == SQLITE_DONE ? ERR_OK : import_app_sqlerr(k->w, "plans", k->e);
}

enum err_code import_app_links(struct gis_store *w, const struct app_scan *scan, struct gis_report *rp, struct err *e)
{
    struct import_app_link k = {.w = w, .rp = rp, .e = e};
    enum err_code rc = ERR_OK;
    if (gis_store_prepare(w, "SELECT id FROM plans WHERE iip = ?", &k.find, e) ||
        gis_store_prepare(w,
                          "UPDATE plans SET changed_by = coalesce(?2, changed_by), valid_to = coalesce(valid_to, ?3), "
                          "status = CASE WHEN status = 'obowiązujący' AND coalesce(valid_to, ?3) IS NOT NULL THEN "
                          "'uchylony' ELSE status END WHERE id = ?1",
                          &k.repeal, e) ||
        gis_store_prepare(w, "UPDATE plans SET amends_plan_id = ?2 WHERE id = ?1", &k.amends, e))
        rc = e->code;
    for (size_t i = 0; !rc && i < scan->n; i++) {
        const struct app_object *o = &scan->o[i];
        if (strcmp(o->type, "DokumentFormalny") != 0)
            continue;
        k.doc = o;
        k.target = 0;
        rc = import_app_each_href(o->uchyla, import_app_link_repeal, &k);
        if (!rc)
            rc = import_app_each_href(o->zmienia, import_app_link_change, &k);
        if (!rc && k.target)
            rc = import_app_each_href(o->uchwala, import_app_link_adopt, &k);
    }
    sqlite3_stmt *all[] = {k.find, k.repeal, k.amends};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    return rc;
}

enum err_code import_app_regulation_put(struct gis_store *w, const struct import_app_regulation *g,
                                        struct gis_report *rp, struct err *e)
{
    char iip[1200], act[1200];
    snprintf(iip, sizeof iip, "%s/%s", g->ns ? g->ns : "", g->lid ? g->lid : "");
    const char *table = g->standards ? "pog_standards" : "pog_ouz";
    long long plan = 0;
    sqlite3_stmt *st;
    if (app_act_iip(g->plan_href, g->ns, g->lid, act, sizeof act)) {
        if (gis_store_prepare(w, "SELECT id FROM plans WHERE iip = ? AND kind = 'pog'", &st, e))
            return e->code;
        sqlite3_bind_text(st, 1, act, -1, SQLITE_TRANSIENT);
        plan = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_finalize(st);
    }
    if (!plan || !g->ns || !g->lid) {
        gis_report_add(rp, "OBIEKT-ODRZUCONY", g->file, g->lid, NULL, NAN, "%s %s: %s",
                       g->standards ? "obszar standardów" : "obszar uzupełnienia zabudowy", iip,
                       g->ns && g->lid ? "nie ma w bazie ani w pliku planu ogólnego, do którego należy"
                                       : "bez identyfikatora IIP");
        return ERR_OK;
    }
    char sql[1600];
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE iip = ?", table);
    if (gis_store_prepare(w, sql, &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, iip, -1, SQLITE_TRANSIENT);
    int s = sqlite3_step(st);
    sqlite3_finalize(st);
    if (s != SQLITE_DONE)
        return import_app_sqlerr(w, table, e);
    int n;
    const struct app_standard *sd = app_standards(&n);
    size_t k = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (plan_id, iip, version, label, geom%s", table,
                                g->standards ? ", exclude_farmsteads" : "");
    for (int i = 0; g->standards && i < n && k < sizeof sql; i++)
        k += (size_t)snprintf(sql + k, sizeof sql - k, ", %s", sd[i].column);
    if (k < sizeof sql)
        k += (size_t)snprintf(sql + k, sizeof sql - k,
                              ") VALUES (?, ?, ?, ?, CastToMultiPolygon(GeomFromWKB(?, 2180))%s",
                              g->standards ? ", ?" : "");
    for (int i = 0; g->standards && i < n && k < sizeof sql; i++)
        k += (size_t)snprintf(sql + k, sizeof sql - k, ", ?");
    if (k < sizeof sql)
        snprintf(sql + k, sizeof sql - k, ")");
    if (gis_store_prepare(w, sql, &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_text(st, 2, iip, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, g->version, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, g->label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 5, g->wkb, (int)g->wkb_len, SQLITE_TRANSIENT);
    if (g->standards) {
        sqlite3_bind_int(st, 6, g->exclude_farmsteads);
        for (int i = 0; i < n; i++)
            if (g->values && isfinite(g->values[i]))
                sqlite3_bind_double(st, 7 + i, g->values[i]);
    }
    s = sqlite3_step(st);
    sqlite3_finalize(st);
    return s == SQLITE_DONE ? ERR_OK : import_app_sqlerr(w, table, e);
}
