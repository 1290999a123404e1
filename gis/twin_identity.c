/* The identity store's rows of a twinned gmina: copied into the gmina's store to be shipped with its frames,
 * and imported into the twin site's identity store at a takeover (gis/twin_identity.h). */
#include "gis/twin_identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gis/audit.h"
#include "gis/store_sql.h"
#include "gis/twin.h"

const char gis_twin_ident_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS ident_accounts (login TEXT PRIMARY KEY COLLATE NOCASE, account_id INTEGER NOT NULL,"
    " kind TEXT NOT NULL, pw_hash TEXT, key_hash BLOB, tenant TEXT, created TEXT NOT NULL, disabled INTEGER NOT NULL,"
    " grants TEXT NOT NULL, scopes TEXT NOT NULL, pesel TEXT, given_name TEXT, surname TEXT, date_of_birth TEXT);"
    "CREATE TABLE IF NOT EXISTS ident_audit (hash TEXT PRIMARY KEY, id INTEGER NOT NULL, at TEXT NOT NULL,"
    " actor TEXT NOT NULL, action TEXT NOT NULL, tenant TEXT NOT NULL, record TEXT NOT NULL, ip TEXT NOT NULL,"
    " detail TEXT NOT NULL);";

struct ident_account {
    long long id;
    char kind[16], login[GIS_LOGIN_MAX + 1], pw_hash[256], tenant[32], created[32];
    unsigned char key_hash[32];
    bool has_pw, has_key, disabled;
    char grants[128], scopes[512];
    char pesel[12], given[GIS_NAME_MAX + 1], surname[GIS_NAME_MAX + 1], dob[16];
};

enum { AUD_AT, AUD_ACTOR, AUD_ACTION, AUD_TENANT, AUD_RECORD, AUD_IP, AUD_DETAIL, AUD_N };

struct ident_audit {
    long long id;
    char hash[65];
    char *f[AUD_N];
};

struct gis_twin_ident {
    bool accounts;
    struct ident_account *acc;
    size_t nacc, capacc;
    struct ident_audit *aud;
    size_t naud, capaud;
    long long audit_top;
};

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    snprintf(out, cap, "%s", s ? s : "");
}

static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? 2 * *cap : 16;
    void *q = realloc(*p, c * size);
    if (!q)
        return false;
    *p = q, *cap = c;
    return true;
}

/* ---- the identity store's side ---- */

enum err_code gis_twin_ident_prepare(struct gis_identity *id, struct err *e)
{
    static const char *const tables[] = {"accounts", "grants", "client_scopes", "residents"};
    static const char *const ops[] = {"INSERT", "UPDATE", "DELETE"};
    char sql[4096];
    int n = snprintf(sql, sizeof sql,
                     "BEGIN IMMEDIATE;"
                     "CREATE TABLE IF NOT EXISTS twin_identity_changes (id INTEGER PRIMARY KEY CHECK (id = 1),"
                     " n INTEGER NOT NULL);"
                     "INSERT OR IGNORE INTO twin_identity_changes (id, n) VALUES (1, 0);"
                     "CREATE TABLE IF NOT EXISTS twin_audit_imported (hash TEXT PRIMARY KEY, local_id INTEGER NOT "
                     "NULL);"
                     "CREATE INDEX IF NOT EXISTS twin_audit_hash ON audit (hash);");
    for (int t = 0; t < 4; t++)
        for (int o = 0; o < 3; o++)
            n += snprintf(sql + n, sizeof sql - (size_t)n,
                          "CREATE TRIGGER IF NOT EXISTS twin_changes_%s_%c AFTER %s ON %s BEGIN "
                          "UPDATE twin_identity_changes SET n = n + 1; END;",
                          tables[t], ops[o][0], ops[o], tables[t]);
    snprintf(sql + n, sizeof sql - (size_t)n, "COMMIT;");
    sqlite3 *db = gis_identity_db(id);
    char *msg = NULL;
    gis_identity_lock(id);
    enum err_code rc = ERR_OK;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rc = err_set(e, ERR_IO, "identity store: twin tables: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        if (!sqlite3_get_autocommit(db))
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    gis_identity_unlock(id);
    return rc;
}

static void marks_locked(sqlite3 *db, long long *version, long long *audit_top)
{
    sqlite3_stmt *st;
    *version = *audit_top = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT (SELECT n FROM twin_identity_changes WHERE id = 1), "
                           "(SELECT coalesce(max(id), 0) FROM audit)",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW)
        *version = sqlite3_column_int64(st, 0), *audit_top = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
}

void gis_twin_ident_marks(struct gis_identity *id, long long *version, long long *audit_top)
{
    gis_identity_lock(id);
    marks_locked(gis_identity_db(id), version, audit_top);
    gis_identity_unlock(id);
}

/* The accounts that belong to tenant (see gis/twin_identity.h), with its roles, the client's scopes and the
 * verified resident; in id order. */
static const char accounts_of_sql[] =
    "SELECT a.id, a.kind, a.login, a.pw_hash, a.key_hash, a.tenant, a.created, a.disabled,"
    " coalesce((SELECT group_concat(role, ' ') FROM (SELECT role FROM grants g WHERE g.account_id = a.id"
    "  AND g.tenant = ?1 ORDER BY role)), ''),"
    " coalesce((SELECT group_concat(scope, ' ') FROM (SELECT scope FROM client_scopes s WHERE s.account_id = a.id"
    "  ORDER BY scope)), ''),"
    " r.pesel, r.given_name, r.surname, r.date_of_birth "
    "FROM accounts a LEFT JOIN residents r ON r.account_id = a.id "
    "WHERE (a.kind = 'client' AND a.tenant = ?1) OR a.kind = 'resident'"
    " OR (a.kind = 'staff' AND EXISTS (SELECT 1 FROM grants g WHERE g.account_id = a.id AND g.tenant = ?1)) "
    "ORDER BY a.id";

static void account_read(sqlite3_stmt *st, struct ident_account *a)
{
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(st, 0);
    copy_col(st, 1, a->kind, sizeof a->kind);
    copy_col(st, 2, a->login, sizeof a->login);
    a->has_pw = sqlite3_column_type(st, 3) != SQLITE_NULL;
    copy_col(st, 3, a->pw_hash, sizeof a->pw_hash);
    a->has_key = sqlite3_column_bytes(st, 4) == 32;
    if (a->has_key)
        memcpy(a->key_hash, sqlite3_column_blob(st, 4), 32);
    copy_col(st, 5, a->tenant, sizeof a->tenant);
    copy_col(st, 6, a->created, sizeof a->created);
    a->disabled = sqlite3_column_int(st, 7) != 0;
    copy_col(st, 8, a->grants, sizeof a->grants);
    copy_col(st, 9, a->scopes, sizeof a->scopes);
    copy_col(st, 10, a->pesel, sizeof a->pesel);
    copy_col(st, 11, a->given, sizeof a->given);
    copy_col(st, 12, a->surname, sizeof a->surname);
    copy_col(st, 13, a->dob, sizeof a->dob);
}

static enum err_code accounts_collect(sqlite3 *db, sqlite3_stmt *st, struct ident_account **acc, size_t *n, size_t *cap,
                                      struct err *e)
{
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (!grow((void **)acc, cap, *n, sizeof **acc))
            return err_set(e, ERR_INTERNAL, "out of memory");
        account_read(st, &(*acc)[(*n)++]);
    }
    return r == SQLITE_DONE ? ERR_OK : err_set(e, ERR_IO, "twin identity: %s", sqlite3_errmsg(db));
}

static enum err_code audit_collect(sqlite3 *db, sqlite3_stmt *st, struct ident_audit **aud, size_t *n, size_t *cap,
                                   struct err *e)
{
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (!grow((void **)aud, cap, *n, sizeof **aud))
            return err_set(e, ERR_INTERNAL, "out of memory");
        struct ident_audit *a = &(*aud)[*n];
        memset(a, 0, sizeof *a);
        (*n)++;
        a->id = sqlite3_column_int64(st, 0);
        copy_col(st, 1, a->hash, sizeof a->hash);
        for (int i = 0; i < AUD_N; i++) {
            const char *s = (const char *)sqlite3_column_text(st, 2 + i);
            if (!(a->f[i] = strdup(s ? s : "")))
                return err_set(e, ERR_INTERNAL, "out of memory");
        }
    }
    return r == SQLITE_DONE ? ERR_OK : err_set(e, ERR_IO, "twin identity: %s", sqlite3_errmsg(db));
}

/* The audit rows of tenant and the server-wide ones above after, not those imported from a twin. */
static const char audit_of_sql[] = "SELECT id, hash, at, actor, action, tenant, record, ip, detail FROM audit "
                                   "WHERE id > ?2 AND id <= ?3 AND tenant IN (?1, '') "
                                   "AND id NOT IN (SELECT local_id FROM twin_audit_imported) ORDER BY id";

enum err_code gis_twin_ident_read(struct gis_identity *id, const char *tenant, bool accounts, long long audit_after,
                                  struct gis_twin_ident **out, struct err *e)
{
    struct gis_twin_ident *x = calloc(1, sizeof *x);
    *out = x;
    if (!x)
        return err_set(e, ERR_INTERNAL, "out of memory");
    x->accounts = accounts;
    sqlite3 *db = gis_identity_db(id);
    sqlite3_stmt *st = NULL;
    gis_identity_lock(id);
    enum err_code rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK
                           ? ERR_OK
                           : err_set(e, ERR_IO, "twin identity: %s", sqlite3_errmsg(db));
    long long version;
    marks_locked(db, &version, &x->audit_top);
    if (!rc && accounts) {
        if (sqlite3_prepare_v2(db, accounts_of_sql, -1, &st, NULL) != SQLITE_OK)
            rc = err_set(e, ERR_IO, "twin identity: %s", sqlite3_errmsg(db));
        else {
            sqlite3_bind_text(st, 1, tenant, -1, SQLITE_TRANSIENT);
            rc = accounts_collect(db, st, &x->acc, &x->nacc, &x->capacc, e);
        }
        sqlite3_finalize(st);
    }
    if (!rc && sqlite3_prepare_v2(db, audit_of_sql, -1, &st, NULL) != SQLITE_OK)
        rc = err_set(e, ERR_IO, "twin identity: %s", sqlite3_errmsg(db));
    else if (!rc) {
        sqlite3_bind_text(st, 1, tenant, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, audit_after);
        sqlite3_bind_int64(st, 3, x->audit_top);
        rc = audit_collect(db, st, &x->aud, &x->naud, &x->capaud, e);
        sqlite3_finalize(st);
    }
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    gis_identity_unlock(id);
    return rc;
}

bool gis_twin_ident_empty(const struct gis_twin_ident *x)
{
    return !x->accounts && !x->naud;
}

long long gis_twin_ident_audit_top(const struct gis_twin_ident *x)
{
    return x->audit_top;
}

void gis_twin_ident_free(struct gis_twin_ident *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->naud; i++)
        for (int k = 0; k < AUD_N; k++)
            free(x->aud[i].f[k]);
    free(x->aud);
    free(x->acc);
    free(x);
}

/* ---- the gmina store's side ---- */

static const char mirror_upsert_sql[] =
    "INSERT INTO ident_accounts (login, account_id, kind, pw_hash, key_hash, tenant, created, disabled, grants, "
    "scopes, pesel, given_name, surname, date_of_birth) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
    "?13, ?14) ON CONFLICT (login) DO UPDATE SET account_id = excluded.account_id, "
    "kind = excluded.kind, pw_hash = excluded.pw_hash, key_hash = excluded.key_hash, tenant = excluded.tenant, "
    "created = excluded.created, disabled = excluded.disabled, grants = excluded.grants, scopes = excluded.scopes, "
    "pesel = excluded.pesel, given_name = excluded.given_name, surname = excluded.surname, "
    "date_of_birth = excluded.date_of_birth WHERE account_id IS NOT excluded.account_id OR kind IS NOT excluded.kind "
    "OR pw_hash IS NOT excluded.pw_hash OR "
    "key_hash IS NOT excluded.key_hash OR tenant IS NOT excluded.tenant OR created IS NOT excluded.created OR "
    "disabled IS NOT excluded.disabled OR grants IS NOT excluded.grants OR scopes IS NOT excluded.scopes OR "
    "pesel IS NOT excluded.pesel OR given_name IS NOT excluded.given_name OR surname IS NOT excluded.surname OR "
    "date_of_birth IS NOT excluded.date_of_birth";

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
    if (s && s[0])
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static enum err_code mirror_account(struct gis_store *w, sqlite3_stmt *up, sqlite3_stmt *seen,
                                    const struct ident_account *a, struct err *e)
{
    sqlite3_reset(up);
    sqlite3_clear_bindings(up);
    sqlite3_bind_text(up, 1, a->login, -1, SQLITE_STATIC);
    sqlite3_bind_int64(up, 2, a->id);
    sqlite3_bind_text(up, 3, a->kind, -1, SQLITE_STATIC);
    if (a->has_pw)
        sqlite3_bind_text(up, 4, a->pw_hash, -1, SQLITE_STATIC);
    if (a->has_key)
        sqlite3_bind_blob(up, 5, a->key_hash, 32, SQLITE_STATIC);
    bind_opt(up, 6, a->tenant);
    sqlite3_bind_text(up, 7, a->created, -1, SQLITE_STATIC);
    sqlite3_bind_int(up, 8, a->disabled);
    sqlite3_bind_text(up, 9, a->grants, -1, SQLITE_STATIC);
    sqlite3_bind_text(up, 10, a->scopes, -1, SQLITE_STATIC);
    bind_opt(up, 11, a->pesel);
    bind_opt(up, 12, a->pesel[0] ? a->given : NULL);
    bind_opt(up, 13, a->pesel[0] ? a->surname : NULL);
    bind_opt(up, 14, a->pesel[0] ? a->dob : NULL);
    sqlite3_reset(seen);
    sqlite3_bind_text(seen, 1, a->login, -1, SQLITE_STATIC);
    if (sqlite3_step(up) != SQLITE_DONE || sqlite3_step(seen) != SQLITE_DONE)
        return err_set(e, ERR_IO, "%s: identity copy: %s", gis_store_path(w), sqlite3_errmsg(gis_store_db(w)));
    return ERR_OK;
}

static enum err_code mirror_accounts(struct gis_store *w, const struct gis_twin_ident *x, struct err *e)
{
    if (gis_store_exec(w,
                       "CREATE TEMP TABLE IF NOT EXISTS twin_ident_seen (login TEXT PRIMARY KEY COLLATE NOCASE);"
                       "DELETE FROM temp.twin_ident_seen",
                       e))
        return e->code;
    sqlite3_stmt *up = NULL, *seen = NULL;
    enum err_code rc = gis_store_prepare(w, mirror_upsert_sql, &up, e);
    if (!rc)
        rc = gis_store_prepare(w, "INSERT OR IGNORE INTO temp.twin_ident_seen (login) VALUES (?)", &seen, e);
    for (size_t i = 0; !rc && i < x->nacc; i++)
        rc = mirror_account(w, up, seen, &x->acc[i], e);
    sqlite3_finalize(up);
    sqlite3_finalize(seen);
    if (!rc)
        rc = gis_store_exec(w, "DELETE FROM ident_accounts WHERE login NOT IN (SELECT login FROM temp.twin_ident_seen)",
                            e);
    return rc;
}

enum err_code gis_twin_ident_write(struct gis_store *w, const struct gis_twin_ident *x, struct err *e)
{
    if (x->accounts && mirror_accounts(w, x, e))
        return e->code;
    if (!x->naud)
        return ERR_OK;
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT OR IGNORE INTO ident_audit (hash, id, at, actor, action, tenant, record, ip, detail) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          &st, e))
        return e->code;
    enum err_code rc = ERR_OK;
    for (size_t i = 0; !rc && i < x->naud; i++) {
        const struct ident_audit *a = &x->aud[i];
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, a->hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, a->id);
        for (int k = 0; k < AUD_N; k++)
            sqlite3_bind_text(st, 3 + k, a->f[k], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = err_set(e, ERR_IO, "%s: audit copy: %s", gis_store_path(w), sqlite3_errmsg(gis_store_db(w)));
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- the takeover: importing a promoted store's rows ---- */

/* Reads w's copies (every account, the audit rows in time order) into x. */
static enum err_code import_read(struct gis_store *w, struct gis_twin_ident *x, struct err *e)
{
    sqlite3 *db = gis_store_db(w);
    sqlite3_stmt *st = NULL;
    x->accounts = true;
    if (gis_store_prepare(w,
                          "SELECT account_id, kind, login, pw_hash, key_hash, tenant, created, disabled, grants, "
                          "scopes, pesel, given_name, surname, date_of_birth FROM ident_accounts ORDER BY account_id",
                          &st, e))
        return e->code;
    enum err_code rc = accounts_collect(db, st, &x->acc, &x->nacc, &x->capacc, e);
    sqlite3_finalize(st);
    if (rc || gis_store_prepare(w,
                                "SELECT id, hash, at, actor, action, tenant, record, ip, detail FROM ident_audit "
                                "ORDER BY at, id",
                                &st, e))
        return e->code;
    rc = audit_collect(db, st, &x->aud, &x->naud, &x->capaud, e);
    sqlite3_finalize(st);
    return rc;
}

/* Runs sql (bound: ?1 int64 a, ?2 text s or NULL, ?3 text t or NULL) and gives column 0 of its first row, or
 * 0 when none; under the identity store's lock. */
static long long id_query(sqlite3 *db, const char *sql, long long a, const char *s, const char *t, int *rc)
{
    sqlite3_stmt *st;
    long long v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        *rc = SQLITE_ERROR;
        return 0;
    }
    if (sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_int64(st, 1, a);
    if (sqlite3_bind_parameter_count(st) >= 2)
        bind_opt(st, 2, s);
    if (sqlite3_bind_parameter_count(st) >= 3)
        bind_opt(st, 3, t);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else if (r != SQLITE_DONE)
        *rc = r;
    sqlite3_finalize(st);
    return v;
}

/* Inserts account a here (its old id when free); its new id, 0 on failure. */
static long long account_insert(sqlite3 *db, const struct ident_account *a)
{
    int rc = SQLITE_OK;
    bool id_free = !id_query(db, "SELECT 1 FROM accounts WHERE id = ?1", a->id, NULL, NULL, &rc);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO accounts (id, kind, login, pw_hash, key_hash, tenant, created, disabled) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (id_free)
        sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_text(st, 2, a->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, a->login, -1, SQLITE_STATIC);
    if (a->has_pw)
        sqlite3_bind_text(st, 4, a->pw_hash, -1, SQLITE_STATIC);
    if (a->has_key)
        sqlite3_bind_blob(st, 5, a->key_hash, 32, SQLITE_STATIC);
    bind_opt(st, 6, a->tenant);
    sqlite3_bind_text(st, 7, a->created, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 8, a->disabled);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    long long nid = r == SQLITE_DONE ? sqlite3_last_insert_rowid(db) : 0;
    if (nid && a->pesel[0]) {
        char now[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (sqlite3_prepare_v2(db,
                               "INSERT INTO residents (account_id, pesel, given_name, surname, date_of_birth, "
                               "verified) VALUES (?, ?, ?, ?, ?, ?)",
                               -1, &st, NULL) != SQLITE_OK)
            return 0;
        sqlite3_bind_int64(st, 1, nid);
        sqlite3_bind_text(st, 2, a->pesel, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, a->given, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, a->surname, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, a->dob, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        sqlite3_finalize(st);
        if (r != SQLITE_DONE)
            return 0;
    }
    return nid;
}

/* Adds a's roles in tenant (staff) or scopes (a client) to account nid; an SQLite code. */
static int account_rights(sqlite3 *db, const struct ident_account *a, long long nid, const char *tenant)
{
    const char *list = !strcmp(a->kind, "client") ? a->scopes : a->grants;
    const char *sql = !strcmp(a->kind, "client")
                          ? "INSERT INTO client_scopes (account_id, scope) VALUES (?1, ?2) ON CONFLICT DO NOTHING"
                          : "INSERT INTO grants (account_id, tenant, role) VALUES (?1, ?3, ?2) ON CONFLICT DO NOTHING";
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    int rc = SQLITE_OK;
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w && rc == SQLITE_OK; w = strtok_r(NULL, " ", &save))
        id_query(db, sql, nid, w, tenant, &rc);
    return rc;
}

/* Where account a goes here: its new id (0: refused, its references are cleared) and which it was. */
static long long account_place(sqlite3 *db, const struct ident_account *a, const char *tenant,
                               struct gis_twin_ident_report *rep, int *rc)
{
    sqlite3_stmt *st;
    long long here = 0;
    bool same = false;
    if (sqlite3_prepare_v2(db, "SELECT id, kind, pw_hash, key_hash FROM accounts WHERE login = ?", -1, &st, NULL) !=
        SQLITE_OK) {
        *rc = SQLITE_ERROR;
        return 0;
    }
    sqlite3_bind_text(st, 1, a->login, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        here = sqlite3_column_int64(st, 0);
        const char *kind = (const char *)sqlite3_column_text(st, 1), *pw = (const char *)sqlite3_column_text(st, 2);
        const void *key = sqlite3_column_blob(st, 3);
        same = kind && !strcmp(kind, a->kind) &&
               ((a->has_pw && pw && !strcmp(pw, a->pw_hash)) ||
                (a->has_key && key && sqlite3_column_bytes(st, 3) == 32 && !memcmp(key, a->key_hash, 32)));
    }
    sqlite3_finalize(st);
    if (!here && a->pesel[0])
        same = (here = id_query(db, "SELECT account_id FROM residents WHERE pesel = ?2", 0, a->pesel, NULL, rc)) != 0;
    if (here && !same) {
        rep->skipped++;
        size_t n = strlen(rep->skipped_logins);
        snprintf(rep->skipped_logins + n, sizeof rep->skipped_logins - n, "%s%s", n ? ", " : "", a->login);
        return 0;
    }
    if (here)
        rep->merged++;
    else if ((here = account_insert(db, a)) != 0)
        rep->added++;
    else
        *rc = SQLITE_ERROR;
    if (here && *rc == SQLITE_OK)
        *rc = account_rights(db, a, here, tenant);
    return here;
}

/* Appends the audit rows of x not here yet to this site's chain; an error code. */
static enum err_code audit_import(struct gis_identity *id, const struct gis_twin_ident *x,
                                  struct gis_twin_ident_report *rep, struct err *e)
{
    sqlite3 *db = gis_identity_db(id);
    int rc = SQLITE_OK;
    for (size_t i = 0; i < x->naud; i++) {
        const struct ident_audit *a = &x->aud[i];
        if (id_query(db, "SELECT 1 FROM audit WHERE ?1 AND hash = ?2", 1, a->hash, NULL, &rc) ||
            id_query(db, "SELECT 1 FROM twin_audit_imported WHERE ?1 AND hash = ?2", 1, a->hash, NULL, &rc))
            continue;
        char detail[2048];
        snprintf(detail, sizeof detail, "[twin #%lld] %s", a->id, a->f[AUD_DETAIL]);
        struct gis_audit_entry en = {a->f[AUD_ACTOR],  a->f[AUD_ACTION], a->f[AUD_TENANT],
                                     a->f[AUD_RECORD], a->f[AUD_IP],     detail};
        long long local = 0;
        if (gis_audit_append_in_tx(id, a->f[AUD_AT], &en, &local, e))
            return e->code;
        id_query(db, "INSERT INTO twin_audit_imported (local_id, hash) VALUES (?1, ?2)", local, a->hash, NULL, &rc);
        if (rc != SQLITE_OK)
            break;
        rep->audit++;
    }
    return rc == SQLITE_OK ? ERR_OK : err_set(e, ERR_IO, "twin identity: audit import: %s", sqlite3_errmsg(db));
}

/* Imports x's accounts and audit rows into id in one transaction; map[i] gets account i's id here (0:
 * refused). */
static enum err_code identity_import(struct gis_identity *id, const struct gis_twin_ident *x, const char *tenant,
                                     long long *map, struct gis_twin_ident_report *rep, struct err *e)
{
    sqlite3 *db = gis_identity_db(id);
    gis_identity_lock(id);
    enum err_code rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK
                           ? ERR_OK
                           : err_set(e, ERR_IO, "twin identity: %s", sqlite3_errmsg(db));
    int src = SQLITE_OK;
    for (size_t i = 0; !rc && src == SQLITE_OK && i < x->nacc; i++)
        map[i] = account_place(db, &x->acc[i], tenant, rep, &src);
    if (!rc && src != SQLITE_OK)
        rc = err_set(e, ERR_IO, "twin identity: account import: %s", sqlite3_errmsg(db));
    if (!rc)
        rc = audit_import(id, x, rep, e);
    if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = err_set(e, ERR_IO, "twin identity: commit: %s", sqlite3_errmsg(db));
    if (rc && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    gis_identity_unlock(id);
    return rc;
}

/* Renumbers the account ids the gmina's store holds from the old site's to this site's (NULL, or the link
 * dropped, for an account not imported); inside the caller's transaction. */
static enum err_code remap_ids(struct gis_store *w, const struct gis_twin_ident *x, const long long *map,
                               struct gis_twin_ident_report *rep, struct err *e)
{
    if (gis_store_exec(w,
                       "CREATE TEMP TABLE IF NOT EXISTS twin_ident_map (old INTEGER PRIMARY KEY, new INTEGER);"
                       "DELETE FROM temp.twin_ident_map",
                       e))
        return e->code;
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "INSERT OR REPLACE INTO temp.twin_ident_map (old, new) VALUES (?, ?)", &st, e))
        return e->code;
    for (size_t i = 0; i < x->nacc; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, x->acc[i].id);
        if (map[i])
            sqlite3_bind_int64(st, 2, map[i]);
        else
            sqlite3_bind_null(st, 2);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    static const char *const sql[] = {
        "UPDATE cases SET applicant_account = (SELECT new FROM temp.twin_ident_map WHERE old = applicant_account) "
        "WHERE applicant_account IS NOT (SELECT new FROM temp.twin_ident_map WHERE old = applicant_account)",
        "UPDATE cases SET assigned_account = (SELECT new FROM temp.twin_ident_map WHERE old = assigned_account) "
        "WHERE assigned_account IS NOT (SELECT new FROM temp.twin_ident_map WHERE old = assigned_account)",
        "DELETE FROM waste_payer_accounts WHERE (SELECT new FROM temp.twin_ident_map WHERE old = account) IS NULL",
        "UPDATE OR REPLACE waste_payer_accounts SET account = (SELECT new FROM temp.twin_ident_map WHERE old = "
        "account) WHERE account IS NOT (SELECT new FROM temp.twin_ident_map WHERE old = account)",
    };
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
        if (sqlite3_prepare_v2(gis_store_db(w), sql[i], -1, &st, NULL) != SQLITE_OK)
            continue; /* no such table: the module is not enabled in this gmina */
        int r = sqlite3_step(st);
        sqlite3_finalize(st);
        if (r != SQLITE_DONE)
            return err_set(e, ERR_IO, "%s: renumbering accounts: %s", gis_store_path(w),
                           sqlite3_errmsg(gis_store_db(w)));
        rep->remapped += sqlite3_changes(gis_store_db(w));
    }
    return ERR_OK;
}

/* The copies of w, imported into id, with map[i] the id here of copy i: the first half of both the import on
 * a promoted store and the takeover. The identity store's transaction is its own; run again with the same
 * copies, it adds nothing and gives the same map (accounts are found by login, audit rows by hash). */
struct ident_import {
    struct gis_twin_ident x;
    long long *map;
    struct gis_twin_ident_report *rep;
};

static enum err_code ident_import_begin(struct gis_identity *id, struct gis_store *w, const char *tenant,
                                        struct ident_import *im, struct err *e)
{
    memset(im->rep, 0, sizeof *im->rep);
    enum err_code rc = gis_store_exec(w, gis_twin_ident_schema_sql, e);
    if (!rc)
        rc = import_read(w, &im->x, e);
    if (!rc && !(im->map = calloc(im->x.nacc + 1, sizeof *im->map)))
        rc = err_set(e, ERR_INTERNAL, "out of memory");
    if (!rc)
        rc = identity_import(id, &im->x, tenant, im->map, im->rep, e);
    return rc;
}

static void ident_import_free(struct ident_import *im)
{
    free(im->map);
    for (size_t i = 0; i < im->x.naud; i++)
        for (int k = 0; k < AUD_N; k++)
            free(im->x.aud[i].f[k]);
    free(im->x.aud);
    free(im->x.acc);
}

/* The renumbering, in the caller's transaction (a gis_twin_tx_fn). */
static enum err_code remap_in_tx(struct gis_store *w, void *ctx, struct err *e)
{
    struct ident_import *im = ctx;
    /* no copies at all (the old site ran an odra without them): nothing to renumber from */
    return im->x.nacc ? remap_ids(w, &im->x, im->map, im->rep, e) : ERR_OK;
}

enum err_code gis_twin_ident_import(struct gis_identity *id, struct gis_store *w, const char *tenant,
                                    struct gis_twin_ident_report *rep, struct err *e)
{
    struct ident_import im = {.rep = rep};
    enum err_code rc = ident_import_begin(id, w, tenant, &im, e);
    if (!rc && im.x.nacc && !(rc = gis_store_begin(w, e))) {
        rc = remap_in_tx(w, &im, e);
        if (!rc)
            rc = gis_store_commit(w, e);
        if (rc)
            gis_store_rollback(w);
    }
    ident_import_free(&im);
    return rc;
}

enum err_code gis_twin_ident_promote(struct gis_identity *id, struct gis_store *w, const char *tenant, long long *term,
                                     struct gis_twin_ident_report *rep, struct err *e)
{
    struct gis_twin_status st;
    if (gis_twin_status_read(w, &st, e))
        return e->code;
    if (st.role != GIS_TWIN_REPLICA) /* checked before the identity store is touched */
        return err_set(e, ERR_CONFLICT, "%s: only a replica can be promoted (it is %s)", gis_store_path(w),
                       gis_twin_role_name(st.role));
    struct ident_import im = {.rep = rep};
    enum err_code rc = ident_import_begin(id, w, tenant, &im, e);
    if (!rc)
        rc = gis_twin_promote_with(w, term, remap_in_tx, &im, e);
    ident_import_free(&im);
    return rc;
}
