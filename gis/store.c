/* SpatiaLite store: connection setup, pragmas and versioned migrations from data/migrations. */
#include "gis/store.h"

#include "gis/store_sql.h"

#include <pthread.h>
#include <spatialite.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gis/layers.h"
#include "gis/twin.h"
#include "util/embed.h"

/* How long a connection waits for another's write lock before its write gives up (a 503 to the client). */
#define STORE_BUSY_MS 10000
/* gis_store_checkpoint's attempts to truncate the WAL, and the pause between them: about a second in all. */
#define CHECKPOINT_ATTEMPTS 50
#define CHECKPOINT_PAUSE_MS 20
/* The WAL file left on disk once a checkpoint has emptied it (the next write truncates it to this). */
#define WAL_SIZE_LIMIT "16777216"

struct gis_store {
    sqlite3 *db;
    void *splite; /* SpatiaLite per-connection cache */
    bool writable;
    char path[1024];
    struct cached_stmt {
        const char *sql; /* the caller's static string, compared by address */
        sqlite3_stmt *st;
    } * cached;
    size_t ncached, capcached;
    struct {
        const void *key;
        void *data;
        void (*free_fn)(void *);
    } attached[8];
    void *twin;            /* the writer's twin replication state (gis/twin.c), NULL when it has none */
    long long cache_noted; /* this connection's page cache as last added to cache_total */
};

/* The page caches of every open store connection, in bytes, as each last noted it (gis_store_cache_bytes). */
static long long cache_total;

/* Adds the change of s's page cache since it was last noted to cache_total; by the thread using s. */
static void cache_note(struct gis_store *s, bool closing)
{
    int cur = 0, high = 0;
    if (!closing && sqlite3_db_status(s->db, SQLITE_DBSTATUS_CACHE_USED, &cur, &high, 0) != SQLITE_OK)
        return;
    __atomic_add_fetch(&cache_total, (long long)cur - s->cache_noted, __ATOMIC_RELAXED);
    s->cache_noted = cur;
}

long long gis_store_cache_bytes(void)
{
    return __atomic_load_n(&cache_total, __ATOMIC_RELAXED);
}

static pthread_once_t store_once = PTHREAD_ONCE_INIT;

static void store_global_init(void)
{
    /* SQLite's memory statistics take one process-wide mutex on every allocation, which serialises the
     * worker threads (two threads checking every demo parcel ran 2.6x slower with them). Must precede
     * sqlite3_initialize; if something initialised SQLite first, this fails harmlessly. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    spatialite_initialize();
}

int gis_store_latest_version(void)
{
    int latest = 0;
    for (const struct embed_file *f = embed_files; f->name; f++) {
        int n = embed_migration_number(f->name, "data/migrations");
        if (n > latest)
            latest = n;
    }
    return latest;
}

enum err_code gis_sqlite_failure(int rc)
{
    return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? ERR_UNAVAILABLE : ERR_IO;
}

/* What s's last failure means for the caller (gis_sqlite_failure). */
static enum err_code store_failure(struct gis_store *s)
{
    return gis_sqlite_failure(sqlite3_errcode(s->db));
}

static enum err_code store_sqlite_err(struct gis_store *s, struct err *e, const char *what)
{
    return err_set(e, store_failure(s), "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

enum err_code gis_store_exec(struct gis_store *s, const char *sql, struct err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        enum err_code code = store_failure(s);
        if (code == ERR_UNAVAILABLE)
            err_set(e, code,
                    "the store is busy: another write (such as an import) has held it for %d s; try again "
                    "shortly",
                    STORE_BUSY_MS / 1000);
        else
            err_set(e, code, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return code;
    }
    return ERR_OK;
}

enum err_code gis_store_prepare(struct gis_store *s, const char *sql, sqlite3_stmt **st, struct err *e)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return store_sqlite_err(s, e, "prepare");
    return ERR_OK;
}

void gis_store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

const char *gis_store_col_text(struct arena *a, sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s ? arena_strdup(a, s) : NULL;
}

enum err_code gis_store_step_done(struct gis_store *s, sqlite3_stmt *st, const char *what, struct err *e)
{
    enum err_code rc =
        sqlite3_step(st) == SQLITE_DONE ? ERR_OK : err_set(e, store_failure(s), "%s: %s", what, sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return rc;
}

sqlite3_stmt *gis_store_cached(struct gis_store *s, const char *sql, struct err *e)
{
    /* a statement another caller is still stepping through (a nested use of the same query) is left
     * alone and a second copy prepared; the program has a bounded set of such queries, so this only grows
     * to that set */
    for (size_t i = 0; i < s->ncached; i++)
        if (s->cached[i].sql == sql && !sqlite3_stmt_busy(s->cached[i].st)) {
            sqlite3_reset(s->cached[i].st);
            sqlite3_clear_bindings(s->cached[i].st);
            return s->cached[i].st;
        }
    if (s->ncached == s->capcached) {
        size_t cap = s->capcached ? 2 * s->capcached : 16;
        struct cached_stmt *c = realloc(s->cached, sizeof *c * cap);
        if (!c) {
            err_set(e, ERR_INTERNAL, "out of memory");
            return NULL;
        }
        s->cached = c, s->capcached = cap;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        store_sqlite_err(s, e, "prepare");
        return NULL;
    }
    s->cached[s->ncached++] = (struct cached_stmt){sql, st};
    return st;
}

void gis_store_release(sqlite3_stmt *st)
{
    if (st)
        sqlite3_reset(st);
}

static const char generation_sql[] = "SELECT max(id) FROM changes";

long long gis_store_generation(struct gis_store *s)
{
    struct err e = {0};
    sqlite3_stmt *st = gis_store_cached(s, generation_sql, &e);
    long long g = 0;
    if (!st)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        g = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return g;
}

void *gis_store_attached(struct gis_store *s, const void *key)
{
    for (size_t i = 0; i < sizeof s->attached / sizeof s->attached[0]; i++)
        if (s->attached[i].key == key)
            return s->attached[i].data;
    return NULL;
}

bool gis_store_attach(struct gis_store *s, const void *key, void *data, void (*free_fn)(void *))
{
    size_t n = sizeof s->attached / sizeof s->attached[0], free_slot = n;
    for (size_t i = 0; i < n; i++) {
        if (s->attached[i].key == key) {
            if (s->attached[i].free_fn && s->attached[i].data != data)
                s->attached[i].free_fn(s->attached[i].data);
            s->attached[i].data = data, s->attached[i].free_fn = free_fn;
            return true;
        }
        if (!s->attached[i].key && free_slot == n)
            free_slot = i;
    }
    if (free_slot == n)
        return false;
    s->attached[free_slot].key = key, s->attached[free_slot].data = data, s->attached[free_slot].free_fn = free_fn;
    return true;
}

static const char data_version_sql[] = "PRAGMA data_version";

long long gis_store_data_state(struct gis_store *s)
{
    struct err e = {0};
    sqlite3_stmt *st = gis_store_cached(s, data_version_sql, &e);
    long long dv = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        dv = sqlite3_column_int64(st, 0);
    gis_store_release(st);
    return dv < 0 ? -1 : dv * 1000003LL + sqlite3_total_changes64(s->db);
}

bool gis_store_writing(struct gis_store *s)
{
    return sqlite3_txn_state(s->db, NULL) == SQLITE_TXN_WRITE;
}

long long gis_store_state(struct gis_store *s)
{
    long long gen = gis_store_generation(s);
    return gen < 0 ? -1 : gen * 1000003LL + sqlite3_total_changes64(s->db);
}

int gis_store_version(struct gis_store *s)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

static enum err_code store_migrate(struct gis_store *s, struct err *e)
{
    int have = gis_store_version(s), latest = gis_store_latest_version();
    if (have < 0)
        return store_sqlite_err(s, e, "read user_version");
    if (have > latest)
        return err_set(e, ERR_INVALID, "%s: schema version %d is newer than this odra (%d)", s->path, have, latest);
    for (int v = have + 1; v <= latest; v++) {
        const struct embed_file *mig = NULL;
        for (const struct embed_file *f = embed_files; f->name; f++)
            if (embed_migration_number(f->name, "data/migrations") == v)
                mig = f;
        if (!mig)
            return err_set(e, ERR_INTERNAL, "migration %03d missing", v);
        if (gis_store_begin(s, e))
            return e->code;
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v);
        if (gis_store_exec(s, mig->data, e) || gis_store_exec(s, pragma, e) || gis_store_commit(s, e)) {
            gis_store_rollback(s);
            return err_set(e, ERR_IO, "%s: migration %s failed", s->path, mig->name);
        }
    }
    return ERR_OK;
}

enum err_code gis_store_open(const char *path, enum gis_store_mode mode, struct gis_store **out, struct err *e)
{
    pthread_once(&store_once, store_global_init);
    *out = NULL;
    struct stat sb;
    if (mode != GIS_STORE_CREATE && stat(path, &sb) != 0)
        return err_set(e, ERR_NOT_FOUND, "%s: store does not exist (run `odra demo` or `odra import`)", path);
    struct gis_store *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(e, ERR_INTERNAL, "out of memory");
    snprintf(s->path, sizeof s->path, "%s", path);
    s->writable = mode != GIS_STORE_READ;
    int flags = s->writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
    if (mode == GIS_STORE_CREATE)
        flags |= SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX; /* a connection is used by one thread at a time */
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        err_set(e, ERR_IO, "%s: cannot open: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        gis_store_close(s);
        return ERR_IO;
    }
    s->splite = spatialite_alloc_connection();
    spatialite_init_ex(s->db, s->splite, 0);
    sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
    const char *pragmas =
        s->writable
            ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA journal_size_limit = " WAL_SIZE_LIMIT "; "
              "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;"
            : "PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384;";
    if (gis_store_exec(s, pragmas, e) || (s->writable && store_migrate(s, e))) {
        gis_store_close(s);
        return e->code;
    }
    if (s->writable)
        gis_twin_store_opened(s); /* after the migrations, which both twins run alike */
    if (!s->writable && gis_store_version(s) != gis_store_latest_version()) {
        err_set(e, ERR_INVALID, "%s: schema version %d, expected %d (open it once as writer to migrate)", path,
                gis_store_version(s), gis_store_latest_version());
        gis_store_close(s);
        return ERR_INVALID;
    }
    *out = s;
    return ERR_OK;
}

void gis_store_close(struct gis_store *s)
{
    if (!s)
        return;
    gis_twin_store_free(s);
    if (s->db)
        cache_note(s, true);
    for (size_t i = 0; i < s->ncached; i++)
        sqlite3_finalize(s->cached[i].st);
    free(s->cached);
    for (size_t i = 0; i < sizeof s->attached / sizeof s->attached[0]; i++)
        if (s->attached[i].key && s->attached[i].free_fn)
            s->attached[i].free_fn(s->attached[i].data);
    if (s->db)
        sqlite3_close_v2(s->db);
    if (s->splite)
        spatialite_cleanup_ex(s->splite);
    free(s);
}

sqlite3 *gis_store_db(struct gis_store *s)
{
    return s->db;
}

const char *gis_store_path(const struct gis_store *s)
{
    return s->path;
}

bool gis_store_writable(const struct gis_store *s)
{
    return s->writable;
}

void **gis_store_twin_slot(struct gis_store *s)
{
    return &s->twin;
}

enum err_code gis_store_begin(struct gis_store *s, struct err *e)
{
    if (gis_store_exec(s, "BEGIN IMMEDIATE", e))
        return e->code;
    if (s->twin && gis_twin_store_begin(s, e)) {
        gis_store_rollback(s);
        return e->code;
    }
    return ERR_OK;
}

enum err_code gis_store_commit(struct gis_store *s, struct err *e)
{
    /* the twin's frame of this transaction goes into the outbox inside it (gis/twin.h) */
    enum err_code rc = s->twin ? gis_twin_store_commit(s, e) : ERR_OK;
    if (!rc)
        rc = gis_store_exec(s, "COMMIT", e);
    if (s->twin)
        gis_twin_store_end(s, !rc);
    cache_note(s, false);
    return rc;
}

static const char read_begin_sql[] = "BEGIN", read_end_sql[] = "COMMIT";

static bool run_cached(struct gis_store *s, const char *sql)
{
    struct err e = {0};
    sqlite3_stmt *st = gis_store_cached(s, sql, &e);
    bool ok = st && sqlite3_step(st) == SQLITE_DONE;
    gis_store_release(st);
    return ok;
}

bool gis_store_read_begin(struct gis_store *s)
{
    return sqlite3_get_autocommit(s->db) && run_cached(s, read_begin_sql);
}

void gis_store_read_end(struct gis_store *s, bool begun)
{
    if (begun && !sqlite3_get_autocommit(s->db) && !run_cached(s, read_end_sql))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    cache_note(s, false);
}

void gis_store_rollback(struct gis_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    if (s->twin)
        gis_twin_store_end(s, false);
}

enum err_code gis_store_meta_set(struct gis_store *s, const char *key, const char *value, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "INSERT INTO meta (key, value) VALUES (?, ?) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                          &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ERR_OK : store_sqlite_err(s, e, "meta");
}

char *gis_store_meta_get(struct gis_store *s, const char *key)
{
    sqlite3_stmt *st;
    char *v = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

long gis_store_count(struct gis_store *s, const char *table)
{
    /* the tables of the core's layers (gis/layers.c), and the core tables that are not layers */
    static const char *const tables[] = {"localities", "provisions", "imports", NULL};
    int ok = 0;
    for (int i = 0; tables[i]; i++)
        ok |= !strcmp(tables[i], table);
    for (const struct gis_layer *L = gis_layers_core; L->table; L++)
        ok |= !strcmp(L->table, table);
    if (!ok)
        return -1;
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st;
    long n = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return n;
}

enum err_code gis_store_checkpoint(struct gis_store *w, struct err *e)
{
    if (!w->writable)
        return err_set(e, ERR_INTERNAL, "%s: checkpoint on a read-only connection", w->path);
    /* Without a busy handler: a TRUNCATE checkpoint that waits for readers also holds off every new writer
     * meanwhile, so a running server's submissions would stall behind it for the whole busy timeout. Each attempt
     * below gives up at once instead, and the writers run between attempts. */
    sqlite3_busy_timeout(w->db, 0);
    int log = 0, done = 0, rc = SQLITE_OK;
    for (int attempt = 0; attempt < CHECKPOINT_ATTEMPTS; attempt++) {
        if (attempt)
            usleep(CHECKPOINT_PAUSE_MS * 1000);
        rc = sqlite3_wal_checkpoint_v2(w->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
    }
    sqlite3_busy_timeout(w->db, STORE_BUSY_MS);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return err_set(e, ERR_UNAVAILABLE, "%s: WAL checkpoint: readers still use it (%d of %d pages copied)", w->path,
                       done, log);
    if (rc != SQLITE_OK)
        return store_sqlite_err(w, e, "WAL checkpoint");
    return ERR_OK;
}
