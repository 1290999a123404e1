/* The identity store: its connection, migrations and every SQL statement on accounts, grants, clients,
 * sessions and log-in failures (the contract is in gis/identity.h). */
#include "gis/identity.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gis/store_sql.h"
#include "util/embed.h"

#define STMT_CACHE 64

/* How long a connection waits for another's write lock on the identity store before giving up. */
#define ID_BUSY_MS 15000

struct gis_identity {
    sqlite3 *db;
    sqlite3 *audit_db; /* the audit log's appends (gis_identity_audit_db), opened on first use */
    pthread_mutex_t lock;
    char path[1024];
    struct {
        const char *sql; /* a static string, compared by address */
        sqlite3_stmt *st;
    } stmts[STMT_CACHE];
    int nstmts;
};

/* The error of a failed write whose SQLite result was rc: the store busy past the busy timeout (another
 * process, such as `odra user` or a twin's identity copy, holds its write lock) is a 503 to try again. */
static enum err_code id_write_err(struct gis_identity *id, int rc, struct err *e, const char *what)
{
    if (gis_sqlite_failure(rc) == ERR_UNAVAILABLE)
        return err_set(e, ERR_UNAVAILABLE,
                       "%s: the identity store is busy: another write has held it for %d s; try again shortly", what,
                       ID_BUSY_MS / 1000);
    return err_set(e, ERR_IO, "%s: %s: %s", id->path, what, sqlite3_errmsg(id->db));
}

static enum err_code id_err(struct gis_identity *id, struct err *e, const char *what)
{
    return id_write_err(id, sqlite3_errcode(id->db), e, what);
}

/* The statement for sql, prepared once and kept; reset with no bindings. Under the lock. */
static sqlite3_stmt *stmt(struct gis_identity *id, const char *sql, struct err *e)
{
    for (int i = 0; i < id->nstmts; i++)
        if (id->stmts[i].sql == sql) {
            sqlite3_reset(id->stmts[i].st);
            sqlite3_clear_bindings(id->stmts[i].st);
            return id->stmts[i].st;
        }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(id->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        id_err(id, e, "prepare");
        return NULL;
    }
    if (id->nstmts < STMT_CACHE)
        id->stmts[id->nstmts++].sql = sql, id->stmts[id->nstmts - 1].st = st;
    return st; /* the cache is sized for every statement here; past it a statement would leak, never happens */
}

static enum err_code migrate(struct gis_identity *id, struct err *e)
{
    int have = 0, latest = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(id->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return id_err(id, e, "user_version");
    if (sqlite3_step(st) == SQLITE_ROW)
        have = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    for (const struct embed_file *f = embed_files; f->name; f++)
        if (embed_migration_number(f->name, "data/identity") > latest)
            latest = embed_migration_number(f->name, "data/identity");
    if (have > latest)
        return err_set(e, ERR_INVALID, "%s: identity store version %d is newer than this odra (%d)", id->path, have,
                       latest);
    for (int v = have + 1; v <= latest; v++) {
        const struct embed_file *mig = NULL;
        for (const struct embed_file *f = embed_files; f->name; f++)
            if (embed_migration_number(f->name, "data/identity") == v)
                mig = f;
        if (!mig)
            return err_set(e, ERR_INTERNAL, "identity migration %03d missing", v);
        char *msg = NULL, ver[64];
        snprintf(ver, sizeof ver, "PRAGMA user_version = %d", v);
        if (sqlite3_exec(id->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(id->db, mig->data, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(id->db, ver, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(id->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            err_set(e, ERR_IO, "%s: migration %s: %s", id->path, mig->name, msg ? msg : sqlite3_errmsg(id->db));
            sqlite3_free(msg);
            sqlite3_exec(id->db, "ROLLBACK", NULL, NULL, NULL);
            return ERR_IO;
        }
    }
    return ERR_OK;
}

enum err_code gis_identity_open(const char *path, struct gis_identity **out, struct err *e)
{
    *out = NULL;
    struct gis_identity *id = calloc(1, sizeof *id);
    if (!id)
        return err_set(e, ERR_INTERNAL, "out of memory");
    snprintf(id->path, sizeof id->path, "%s", path);
    pthread_mutex_init(&id->lock, NULL);
    /* password hashes and session hashes: readable by the server's user only (SQLite gives its journal the
     * database file's mode) */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    if (sqlite3_open_v2(path, &id->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) !=
        SQLITE_OK) {
        err_set(e, ERR_IO, "%s: cannot open the identity store: %s", path,
                id->db ? sqlite3_errmsg(id->db) : "out of memory");
        gis_identity_close(id);
        return ERR_IO;
    }
    sqlite3_busy_timeout(id->db, ID_BUSY_MS);
    char *msg = NULL;
    /* WAL: a reader (every signed-in request looks up its session) never waits for a commit, and a commit
     * syncs once; the audit log's appends commit on their own connection (gis_identity_audit_db) */
    if (sqlite3_exec(id->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", NULL,
                     NULL, &msg) != SQLITE_OK) {
        err_set(e, ERR_IO, "%s: %s", path, msg ? msg : "pragma failed");
        sqlite3_free(msg);
        gis_identity_close(id);
        return ERR_IO;
    }
    if (migrate(id, e)) {
        gis_identity_close(id);
        return e->code;
    }
    *out = id;
    return ERR_OK;
}

void gis_identity_close(struct gis_identity *id)
{
    if (!id)
        return;
    for (int i = 0; i < id->nstmts; i++)
        sqlite3_finalize(id->stmts[i].st);
    sqlite3_close(id->audit_db);
    sqlite3_close(id->db);
    pthread_mutex_destroy(&id->lock);
    free(id);
}

sqlite3 *gis_identity_db(struct gis_identity *id)
{
    return id->db;
}

sqlite3 *gis_identity_audit_db(struct gis_identity *id, struct err *e)
{
    if (id->audit_db)
        return id->audit_db;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(id->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        err_set(e, ERR_IO, "%s: cannot open the identity store for the audit log: %s", id->path,
                db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, ID_BUSY_MS);
    if (sqlite3_exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK) {
        err_set(e, ERR_IO, "%s: %s", id->path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    id->audit_db = db;
    return db;
}

void gis_identity_lock(struct gis_identity *id)
{
    pthread_mutex_lock(&id->lock);
}

void gis_identity_unlock(struct gis_identity *id)
{
    pthread_mutex_unlock(&id->lock);
}

/* Steps a prepared write in its own BEGIN IMMEDIATE transaction; under the lock. In rollback-journal mode
 * a plain autocommit write starts as a reader and upgrades, and when another process (the CLI beside the
 * server) holds the write lock meanwhile, SQLite answers "database is locked" at once rather than wait (it
 * would deadlock); taking the write lock first lets the busy timeout wait its turn. */
static int step_write(struct gis_identity *id, sqlite3_stmt *st)
{
    int rc = sqlite3_exec(id->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        int c = sqlite3_exec(id->db, "COMMIT", NULL, NULL, NULL);
        if (c != SQLITE_OK) {
            sqlite3_exec(id->db, "ROLLBACK", NULL, NULL, NULL);
            return c;
        }
        return SQLITE_DONE;
    }
    sqlite3_exec(id->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Runs a prepared write to its end; under the lock. */
static enum err_code step_done(struct gis_identity *id, sqlite3_stmt *st, struct err *e, const char *what)
{
    int rc = step_write(id, st);
    enum err_code r = ERR_OK;
    if (rc == SQLITE_CONSTRAINT)
        r = err_set(e, ERR_CONFLICT, "%s: %s", what, sqlite3_errmsg(id->db));
    else if (rc != SQLITE_DONE)
        r = id_write_err(id, rc, e, what);
    sqlite3_reset(st);
    return r;
}

static void now_iso(char *out, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    snprintf(out, cap, "%s", s ? s : "");
}

/* ---- accounts ---- */

static const char account_add_sql[] =
    "INSERT INTO accounts (kind, login, pw_hash, key_hash, tenant, created) VALUES (?, ?, ?, ?, ?, ?)";

enum err_code gis_account_add(struct gis_identity *id, const char *kind, const char *login, const char *pw_hash,
                              const unsigned char *key_hash, const char *tenant, long long *out_id, struct err *e)
{
    char created[32];
    now_iso(created, sizeof created);
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, account_add_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, login, -1, SQLITE_TRANSIENT);
        if (pw_hash)
            sqlite3_bind_text(st, 3, pw_hash, -1, SQLITE_TRANSIENT);
        if (key_hash)
            sqlite3_bind_blob(st, 4, key_hash, 32, SQLITE_TRANSIENT);
        if (tenant)
            sqlite3_bind_text(st, 5, tenant, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 6, created, -1, SQLITE_TRANSIENT);
        int r = step_write(id, st);
        if (r == SQLITE_CONSTRAINT)
            rc = err_set(e, ERR_CONFLICT, "an account with the login '%s' exists already", login);
        else if (r != SQLITE_DONE)
            rc = id_err(id, e, "adding an account");
        else if (out_id)
            *out_id = sqlite3_last_insert_rowid(id->db);
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static void account_row(sqlite3_stmt *st, struct gis_account *out)
{
    out->id = sqlite3_column_int64(st, 0);
    copy_col(st, 1, out->kind, sizeof out->kind);
    copy_col(st, 2, out->login, sizeof out->login);
    copy_col(st, 3, out->tenant, sizeof out->tenant);
    out->disabled = sqlite3_column_int(st, 4) != 0;
}

static const char account_login_sql[] = "SELECT id, kind, login, tenant, disabled, pw_hash FROM accounts "
                                        "WHERE login = ? AND kind <> 'client' AND NOT disabled";

enum err_code gis_account_find_login(struct gis_identity *id, const char *login, struct gis_account *out, char *pw_hash,
                                     size_t cap, struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, account_login_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_text(st, 1, login, -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            account_row(st, out);
            copy_col(st, 5, pw_hash, cap);
        } else {
            rc = r == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no such account") : id_err(id, e, "account");
        }
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char account_get_sql[] = "SELECT id, kind, login, tenant, disabled FROM accounts WHERE login = ?";

enum err_code gis_account_get(struct gis_identity *id, const char *login, struct gis_account *out, struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, account_get_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_text(st, 1, login, -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            account_row(st, out);
        else
            rc = r == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no account with the login '%s'", login)
                                  : id_err(id, e, "account");
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char client_find_sql[] = "SELECT id, kind, login, tenant, disabled FROM accounts "
                                      "WHERE key_hash = ? AND kind = 'client' AND NOT disabled";

enum err_code gis_client_find(struct gis_identity *id, const unsigned char *key_hash, struct gis_account *out,
                              struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, client_find_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_blob(st, 1, key_hash, 32, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            account_row(st, out);
        else
            rc = r == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no such client") : id_err(id, e, "client");
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char set_password_sql[] = "UPDATE accounts SET pw_hash = ? WHERE id = ? AND kind <> 'client'";

enum err_code gis_account_set_password(struct gis_identity *id, long long account, const char *pw_hash, struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, set_password_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_text(st, 1, pw_hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, account);
        rc = step_done(id, st, e, "setting a password");
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char set_disabled_sql[] = "UPDATE accounts SET disabled = ? WHERE id = ?";

enum err_code gis_account_set_disabled(struct gis_identity *id, long long account, bool disabled, struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, set_disabled_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_int(st, 1, disabled);
        sqlite3_bind_int64(st, 2, account);
        rc = step_done(id, st, e, "disabling an account");
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char grant_add_sql[] =
    "INSERT INTO grants (account_id, tenant, role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";

enum err_code gis_grant_add(struct gis_identity *id, long long account, const char *tenant, const char *role,
                            struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, grant_add_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_int64(st, 1, account);
        sqlite3_bind_text(st, 2, tenant, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, role, -1, SQLITE_TRANSIENT);
        rc = step_done(id, st, e, "granting a role");
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char grant_has_sql[] =
    "SELECT 1 FROM grants WHERE account_id = ? AND tenant = ? AND role IN (?, 'gmina_admin') LIMIT 1";

bool gis_grant_has(struct gis_identity *id, long long account, const char *tenant, const char *role)
{
    struct err e = {0};
    bool has = false;
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, grant_has_sql, &e);
    if (st) {
        sqlite3_bind_int64(st, 1, account);
        sqlite3_bind_text(st, 2, tenant, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, role, -1, SQLITE_TRANSIENT);
        has = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&id->lock);
    return has;
}

/* Runs sql with one int64 binding and joins column 0 of the rows with sep into out. */
static void join_rows(struct gis_identity *id, const char *sql, long long account, const char *sep, char *out,
                      size_t cap)
{
    struct err e = {0};
    size_t n = 0;
    out[0] = 0;
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, sql, &e);
    if (st) {
        sqlite3_bind_int64(st, 1, account);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *s = (const char *)sqlite3_column_text(st, 0);
            int w = snprintf(out + n, cap - n, "%s%s", n ? sep : "", s ? s : "");
            if (w < 0 || (size_t)w >= cap - n)
                break;
            n += (size_t)w;
        }
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&id->lock);
}

static const char grants_sql[] = "SELECT tenant || ':' || role FROM grants WHERE account_id = ? ORDER BY tenant, role";

void gis_grants_text(struct gis_identity *id, long long account, char *out, size_t cap)
{
    join_rows(id, grants_sql, account, ", ", out, cap);
}

static const char scope_add_sql[] =
    "INSERT INTO client_scopes (account_id, scope) VALUES (?, ?) ON CONFLICT DO NOTHING";

enum err_code gis_client_scope_add(struct gis_identity *id, long long account, const char *scope, struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, scope_add_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_int64(st, 1, account);
        sqlite3_bind_text(st, 2, scope, -1, SQLITE_TRANSIENT);
        rc = step_done(id, st, e, "adding a scope");
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char scope_has_sql[] = "SELECT 1 FROM client_scopes WHERE account_id = ? AND scope = ?";

bool gis_client_has_scope(struct gis_identity *id, long long account, const char *scope)
{
    struct err e = {0};
    bool has = false;
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, scope_has_sql, &e);
    if (st) {
        sqlite3_bind_int64(st, 1, account);
        sqlite3_bind_text(st, 2, scope, -1, SQLITE_TRANSIENT);
        has = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&id->lock);
    return has;
}

static const char scopes_sql[] = "SELECT scope FROM client_scopes WHERE account_id = ? ORDER BY scope";

void gis_client_scopes_text(struct gis_identity *id, long long account, char *out, size_t cap)
{
    join_rows(id, scopes_sql, account, " ", out, cap);
}

static const char accounts_sql[] = "SELECT id, kind, login, tenant, disabled FROM accounts ORDER BY login";

/* Steps st (prepared and bound, under the lock) to its end, each row filled by row into a growing array of
 * elements of size bytes: *out (the caller frees it) and *n. Rows are collected first so that the caller's
 * callbacks, run once the lock is released, may call back into the store. */
static enum err_code rows_collect(sqlite3_stmt *st, size_t size, void (*row)(sqlite3_stmt *st, void *elem), void **out,
                                  size_t *n, struct err *e)
{
    char *all = NULL;
    size_t cap = 0;
    *n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            char *a = realloc(all, cap * size);
            if (!a) {
                free(all);
                sqlite3_reset(st);
                *out = NULL, *n = 0;
                return err_set(e, ERR_INTERNAL, "out of memory");
            }
            all = a;
        }
        row(st, all + *n * size);
        (*n)++;
    }
    sqlite3_reset(st);
    *out = all;
    return ERR_OK;
}

static void account_elem(sqlite3_stmt *st, void *elem)
{
    account_row(st, elem);
}

enum err_code gis_accounts_each(struct gis_identity *id, void (*fn)(const struct gis_account *a, void *user),
                                void *user, struct err *e)
{
    void *all = NULL;
    size_t n = 0;
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, accounts_sql, e);
    enum err_code rc = st ? rows_collect(st, sizeof(struct gis_account), account_elem, &all, &n, e) : e->code;
    pthread_mutex_unlock(&id->lock);
    for (size_t i = 0; !rc && i < n; i++)
        fn((const struct gis_account *)all + i, user);
    free(all);
    return rc;
}

/* ---- residents ---- */

bool gis_pesel_valid(const char *s)
{
    if (!s)
        return false;
    size_t n = strspn(s, "0123456789");
    return n == 11 && s[n] == 0;
}

void gis_pesel_mask(const char *pesel, char out[12])
{
    if (!gis_pesel_valid(pesel)) {
        out[0] = 0;
        return;
    }
    memcpy(out, pesel, 6);
    memset(out + 6, '*', 5);
    out[11] = 0;
}

static const char resident_find_sql[] = "SELECT a.id, a.kind, a.login, a.tenant, a.disabled FROM residents r "
                                        "JOIN accounts a ON a.id = r.account_id WHERE r.pesel = ?";
static const char resident_account_sql[] =
    "INSERT INTO accounts (kind, login, created) VALUES ('resident', 'wk-' || lower(hex(randomblob(6))), ?)";
static const char resident_add_sql[] = "INSERT INTO residents (account_id, pesel, given_name, surname, date_of_birth, "
                                       "verified) VALUES (?, ?, ?, ?, ?, ?)";
static const char resident_update_sql[] =
    "UPDATE residents SET given_name = ?, surname = ?, date_of_birth = ?, verified = ? WHERE account_id = ?";
static const char account_id_sql[] = "SELECT id, kind, login, tenant, disabled FROM accounts WHERE id = ?";

/* Steps st to its end within the caller's transaction; an SQLite code. */
static int step_in_tx(sqlite3_stmt *st)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r;
}

enum err_code gis_resident_login(struct gis_identity *id, const struct gis_resident *r, struct gis_account *out,
                                 bool *created, struct err *e)
{
    if (!gis_pesel_valid(r->pesel))
        return err_set(e, ERR_INVALID, "the PESEL asserted is not 11 digits");
    char now[32];
    now_iso(now, sizeof now);
    bool made = false;
    enum err_code rc = ERR_OK;
    pthread_mutex_lock(&id->lock);
    if (sqlite3_exec(id->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = id_err(id, e, "resident log-in");
        goto out;
    }
    sqlite3_stmt *st = stmt(id, resident_find_sql, e);
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, r->pesel, -1, SQLITE_TRANSIENT);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        account_row(st, out);
    sqlite3_reset(st);
    if (s != SQLITE_ROW && s != SQLITE_DONE) {
        id_err(id, e, "finding a resident");
        goto fail;
    }
    if (s == SQLITE_DONE) {
        sqlite3_stmt *ins = stmt(id, resident_account_sql, e);
        if (!ins)
            goto fail;
        sqlite3_bind_text(ins, 1, now, -1, SQLITE_TRANSIENT);
        if (step_in_tx(ins) != SQLITE_DONE) {
            id_err(id, e, "adding a resident account");
            goto fail;
        }
        long long acc = sqlite3_last_insert_rowid(id->db);
        sqlite3_stmt *add = stmt(id, resident_add_sql, e);
        if (!add)
            goto fail;
        sqlite3_bind_int64(add, 1, acc);
        sqlite3_bind_text(add, 2, r->pesel, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(add, 3, r->given_name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(add, 4, r->surname, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(add, 5, r->date_of_birth, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(add, 6, now, -1, SQLITE_TRANSIENT);
        if (step_in_tx(add) != SQLITE_DONE) {
            id_err(id, e, "adding a resident");
            goto fail;
        }
        sqlite3_stmt *get = stmt(id, account_id_sql, e);
        if (!get)
            goto fail;
        sqlite3_bind_int64(get, 1, acc);
        s = sqlite3_step(get);
        if (s == SQLITE_ROW)
            account_row(get, out);
        sqlite3_reset(get);
        if (s != SQLITE_ROW) {
            id_err(id, e, "reading the new resident account");
            goto fail;
        }
        made = true;
    } else {
        sqlite3_stmt *up = stmt(id, resident_update_sql, e);
        if (!up)
            goto fail;
        sqlite3_bind_text(up, 1, r->given_name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(up, 2, r->surname, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(up, 3, r->date_of_birth, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(up, 4, now, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(up, 5, out->id);
        if (step_in_tx(up) != SQLITE_DONE) {
            id_err(id, e, "updating a resident");
            goto fail;
        }
    }
    if (sqlite3_exec(id->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        id_err(id, e, "resident log-in (commit)");
        goto fail;
    }
    if (created)
        *created = made;
    goto out;
fail:
    rc = e->code ? e->code : ERR_IO;
    sqlite3_exec(id->db, "ROLLBACK", NULL, NULL, NULL);
out:
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char resident_get_sql[] =
    "SELECT pesel, given_name, surname, date_of_birth FROM residents WHERE account_id = ?";

enum err_code gis_resident_get(struct gis_identity *id, long long account, struct gis_resident *out, struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, resident_get_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_int64(st, 1, account);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            copy_col(st, 0, out->pesel, sizeof out->pesel);
            copy_col(st, 1, out->given_name, sizeof out->given_name);
            copy_col(st, 2, out->surname, sizeof out->surname);
            copy_col(st, 3, out->date_of_birth, sizeof out->date_of_birth);
        } else {
            rc = r == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "not a resident of the national login")
                                  : id_err(id, e, "resident");
        }
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

/* ---- sessions ---- */

static const char session_add_sql[] =
    "INSERT INTO sessions (token_hash, account_id, csrf, created, last_seen, ip) VALUES (?, ?, ?, ?, ?, ?)";

enum err_code gis_session_add(struct gis_identity *id, const unsigned char *token_hash, long long account,
                              const char *csrf, long long now, const char *ip, struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, session_add_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, account);
        sqlite3_bind_text(st, 3, csrf, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, now);
        sqlite3_bind_int64(st, 5, now);
        sqlite3_bind_text(st, 6, ip ? ip : "", -1, SQLITE_TRANSIENT);
        rc = step_done(id, st, e, "adding a session");
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char session_find_sql[] =
    "SELECT a.id, a.kind, a.login, a.tenant, a.disabled, s.csrf, s.created, s.last_seen "
    "FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?";

enum err_code gis_session_find(struct gis_identity *id, const unsigned char *token_hash, struct gis_session *out,
                               struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, session_find_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            account_row(st, &out->account);
            copy_col(st, 5, out->csrf, sizeof out->csrf);
            out->created = sqlite3_column_int64(st, 6);
            out->last_seen = sqlite3_column_int64(st, 7);
        } else {
            rc = r == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no such session") : id_err(id, e, "session");
        }
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char session_touch_sql[] = "UPDATE sessions SET last_seen = ? WHERE token_hash = ?";

enum err_code gis_session_touch(struct gis_identity *id, const unsigned char *token_hash, long long now, struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, session_touch_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_blob(st, 2, token_hash, 32, SQLITE_TRANSIENT);
        rc = step_done(id, st, e, "touching a session");
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char session_delete_sql[] = "DELETE FROM sessions WHERE token_hash = ?";

enum err_code gis_session_delete(struct gis_identity *id, const unsigned char *token_hash, struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, session_delete_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_TRANSIENT);
        rc = step_done(id, st, e, "deleting a session");
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char sessions_delete_account_sql[] = "DELETE FROM sessions WHERE account_id = ?";

enum err_code gis_sessions_delete_account(struct gis_identity *id, long long account, long long *n, struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, sessions_delete_account_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_int64(st, 1, account);
        rc = step_done(id, st, e, "deleting sessions");
        if (!rc && n)
            *n = sqlite3_changes(id->db);
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

/* ---- log-in failures ---- */

static const char failures_get_sql[] =
    "SELECT failures, last_failure, locked_until FROM login_failures WHERE login = ?";

void gis_login_failures_get(struct gis_identity *id, const char *login, long long now, long long forget_ms,
                            int *failures, long long *locked_until)
{
    struct err e = {0};
    *failures = 0;
    *locked_until = 0;
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, failures_get_sql, &e);
    if (st) {
        sqlite3_bind_text(st, 1, login, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            long long last = sqlite3_column_int64(st, 1), until = sqlite3_column_int64(st, 2);
            if (now - last <= forget_ms || until > now) {
                *failures = sqlite3_column_int(st, 0);
                *locked_until = until;
            }
        }
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&id->lock);
}

static const char failures_set_sql[] =
    "INSERT INTO login_failures (login, failures, last_failure, locked_until) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (login) DO UPDATE SET failures = excluded.failures, last_failure = excluded.last_failure, "
    "locked_until = excluded.locked_until";
static const char failures_prune_sql[] = "DELETE FROM login_failures WHERE last_failure < ? AND locked_until < ?";

enum err_code gis_login_failures_set(struct gis_identity *id, const char *login, int failures, long long now,
                                     long long locked_until, struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, failures_set_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_text(st, 1, login, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, failures);
        sqlite3_bind_int64(st, 3, now);
        sqlite3_bind_int64(st, 4, locked_until);
        rc = step_done(id, st, e, "recording a failed log-in");
    }
    /* logins typed once and never again must not pile up: forget those a week old */
    sqlite3_stmt *pr = rc ? NULL : stmt(id, failures_prune_sql, e);
    if (pr) {
        sqlite3_bind_int64(pr, 1, now - 7LL * 86400 * 1000);
        sqlite3_bind_int64(pr, 2, now);
        step_done(id, pr, e, "pruning failed log-ins");
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char failures_clear_sql[] = "DELETE FROM login_failures WHERE login = ?";

enum err_code gis_login_failures_clear(struct gis_identity *id, const char *login, struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, failures_clear_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_text(st, 1, login, -1, SQLITE_TRANSIENT);
        rc = step_done(id, st, e, "clearing failed log-ins");
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

/* ---- RODO ---- */

static const char account_by_id_sql[] = "SELECT id, kind, login, tenant, disabled, created FROM accounts WHERE id = ?";

enum err_code gis_account_by_id(struct gis_identity *id, long long account, struct gis_account *out, char created[32],
                                struct err *e)
{
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, account_by_id_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_int64(st, 1, account);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            account_row(st, out);
            copy_col(st, 5, created, 32);
        } else {
            rc = r == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no account #%lld", account) : id_err(id, e, "account");
        }
        sqlite3_reset(st);
    }
    pthread_mutex_unlock(&id->lock);
    return rc;
}

static const char sessions_of_sql[] =
    "SELECT created, last_seen, ip FROM sessions WHERE account_id = ? ORDER BY created";

static void session_elem(sqlite3_stmt *st, void *elem)
{
    struct gis_session_info *s = elem;
    s->created = sqlite3_column_int64(st, 0);
    s->last_seen = sqlite3_column_int64(st, 1);
    copy_col(st, 2, s->ip, sizeof s->ip);
}

enum err_code gis_sessions_each(struct gis_identity *id, long long account,
                                void (*fn)(const struct gis_session_info *s, void *user), void *user, struct err *e)
{
    void *all = NULL;
    size_t n = 0;
    pthread_mutex_lock(&id->lock);
    sqlite3_stmt *st = stmt(id, sessions_of_sql, e);
    if (st)
        sqlite3_bind_int64(st, 1, account);
    enum err_code rc = st ? rows_collect(st, sizeof(struct gis_session_info), session_elem, &all, &n, e) : e->code;
    pthread_mutex_unlock(&id->lock);
    for (size_t i = 0; !rc && i < n; i++)
        fn((const struct gis_session_info *)all + i, user);
    free(all);
    return rc;
}

enum err_code gis_account_erase(struct gis_identity *id, long long account, const char *new_login, long long *sessions,
                                struct err *e)
{
    static const char *const sql[] = {
        "DELETE FROM login_failures WHERE login = (SELECT login FROM accounts WHERE id = ?1)",
        "DELETE FROM residents WHERE account_id = ?1",
        "DELETE FROM sessions WHERE account_id = ?1",
        "UPDATE accounts SET login = ?2, pw_hash = NULL, disabled = 1 WHERE id = ?1",
    };
    pthread_mutex_lock(&id->lock);
    struct gis_account a;
    char created[32];
    sqlite3_stmt *st = stmt(id, account_by_id_sql, e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_int64(st, 1, account);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            account_row(st, &a), copy_col(st, 5, created, sizeof created);
        rc = r == SQLITE_ROW    ? ERR_OK
             : r == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no account #%lld", account)
                                : id_err(id, e, "account");
        sqlite3_reset(st);
    }
    if (!rc && !strcmp(a.kind, "client"))
        rc = err_set(e, ERR_INVALID, "account #%lld is an API client, not a person", account);
    if (!rc && sqlite3_exec(id->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        rc = id_err(id, e, "erasure");
    for (size_t i = 0; !rc && i < sizeof sql / sizeof *sql; i++) {
        sqlite3_stmt *w = stmt(id, sql[i], e);
        if (!w) {
            rc = e->code;
            break;
        }
        sqlite3_bind_int64(w, 1, account);
        if (i == 3)
            sqlite3_bind_text(w, 2, new_login, -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(w);
        if (r != SQLITE_DONE)
            rc = r == SQLITE_CONSTRAINT ? err_set(e, ERR_CONFLICT, "erasure: %s", sqlite3_errmsg(id->db))
                                        : id_err(id, e, "erasure");
        else if (i == 2 && sessions)
            *sessions = sqlite3_changes(id->db);
        sqlite3_reset(w);
    }
    if (!rc && sqlite3_exec(id->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = id_err(id, e, "erasure commit");
    if (rc && sqlite3_get_autocommit(id->db) == 0)
        sqlite3_exec(id->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&id->lock);
    return rc;
}
