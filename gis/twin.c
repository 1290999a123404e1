/* Twin replication of a tenant store: capture of each transaction as a session changeset into the outbox,
 * the frame format, and its application on the replica (see gis/twin.h). */
#define SQLITE_ENABLE_SESSION        1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "gis/twin.h"

#include "gis/store_sql.h"
#include "gis/twin_identity.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What a writer knows of its twin role; kept with the connection (gis_store_twin_slot). */
struct twin_cap {
    enum gis_twin_role role;
    long long term;
    long long last_id;    /* atomically read by gis_twin_store_last_id */
    long long pending_id; /* the frame of the open transaction, 0 when none */
    sqlite3_session *sess;
    bool applying; /* the applier's own transaction on a replica */
};

static const char twin_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS twin_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS twin_outbox (id INTEGER PRIMARY KEY, term INTEGER NOT NULL,"
    " schema INTEGER NOT NULL, changeset BLOB NOT NULL);";

const char *gis_twin_role_name(enum gis_twin_role r)
{
    static const char *const names[] = {"none", "primary", "replica", "fenced"};
    return (unsigned)r < 4 ? names[r] : "none";
}

/* ---- frames ---- */

static void put_be(struct buf *b, unsigned long long v, int bytes)
{
    char c[8];
    for (int i = 0; i < bytes; i++)
        c[i] = (char)(v >> (8 * (bytes - 1 - i)));
    buf_append(b, c, (size_t)bytes);
}

static unsigned long long get_be(const unsigned char *p, int bytes)
{
    unsigned long long v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

void gis_twin_frame_encode(const struct gis_twin_frame *f, struct buf *out)
{
    size_t start = out->len, tl = strlen(f->tenant);
    buf_append(out, GIS_TWIN_MAGIC, 8);
    put_be(out, (unsigned long long)f->term, 8);
    put_be(out, (unsigned long long)f->id, 8);
    put_be(out, (unsigned long long)f->schema, 4);
    put_be(out, tl, 1);
    buf_append(out, f->tenant, tl);
    put_be(out, f->len, 4);
    buf_append(out, (const char *)f->changeset, f->len);
    if (out->failed)
        return;
    unsigned char sha[32];
    crypto_hash_sha256(sha, (const unsigned char *)out->data + start, out->len - start);
    buf_append(out, (const char *)sha, 32);
}

static bool slug_ok(const char *s, size_t n)
{
    if (n == 0 || n >= 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

enum err_code gis_twin_frame_parse(const unsigned char *p, size_t n, struct gis_twin_frame *f, size_t *used,
                                   struct err *e)
{
    memset(f, 0, sizeof *f);
    *used = 0;
    const size_t fixed = 8 + 8 + 8 + 4 + 1; /* up to the tenant */
    if (n < fixed || memcmp(p, GIS_TWIN_MAGIC, 8))
        return err_set(e, ERR_INVALID, "twin frame: no frame header");
    unsigned long long term = get_be(p + 8, 8), id = get_be(p + 16, 8), schema = get_be(p + 24, 4);
    size_t tl = p[28];
    if (term == 0 || term > INT64_MAX || id == 0 || id > INT64_MAX || schema > 1000000)
        return err_set(e, ERR_INVALID, "twin frame: term, id or schema version out of range");
    if (n - fixed < tl + 4)
        return err_set(e, ERR_INVALID, "twin frame: truncated before its changeset");
    if (!slug_ok((const char *)p + fixed, tl))
        return err_set(e, ERR_INVALID, "twin frame: the tenant is not a slug");
    size_t len = (size_t)get_be(p + fixed + tl, 4), head = fixed + tl + 4;
    if (len > GIS_TWIN_MAX_FRAME)
        return err_set(e, ERR_INVALID, "twin frame: changeset of %zu bytes is over the limit", len);
    if (n - head < len || n - head - len < 32)
        return err_set(e, ERR_INVALID, "twin frame: truncated changeset or hash");
    unsigned char sha[32];
    crypto_hash_sha256(sha, p, head + len);
    if (sodium_memcmp(sha, p + head + len, 32))
        return err_set(e, ERR_INVALID, "twin frame: SHA-256 does not match");
    memcpy(f->tenant, p + fixed, tl);
    f->term = (long long)term, f->id = (long long)id, f->schema = (int)schema;
    f->changeset = p + head, f->len = len;
    memcpy(f->sha256, sha, 32);
    *used = head + len + 32;
    return ERR_OK;
}

/* ---- twin_state ---- */

static bool twin_tables_exist(struct gis_store *s)
{
    sqlite3_stmt *st;
    bool yes = false;
    if (sqlite3_prepare_v2(gis_store_db(s), "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'twin_state'",
                           -1, &st, NULL) == SQLITE_OK) {
        yes = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return yes;
}

static long long state_get(struct gis_store *s, const char *key)
{
    sqlite3_stmt *st;
    long long v = 0;
    if (sqlite3_prepare_v2(gis_store_db(s), "SELECT value FROM twin_state WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static enum err_code state_set(struct gis_store *s, const char *key, long long v, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "INSERT INTO twin_state (key, value) VALUES (?, ?) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                          &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return err_set(e, ERR_IO, "%s: twin state: %s", gis_store_path(s), sqlite3_errmsg(gis_store_db(s)));
    return ERR_OK;
}

enum err_code gis_twin_status_read(struct gis_store *s, struct gis_twin_status *st, struct err *e)
{
    (void)e;
    memset(st, 0, sizeof *st);
    if (!twin_tables_exist(s))
        return ERR_OK;
    bool begun = gis_store_read_begin(s);
    long long role = state_get(s, "role");
    st->role = role >= 0 && role <= GIS_TWIN_FENCED ? (enum gis_twin_role)role : GIS_TWIN_NONE;
    st->term = state_get(s, "term");
    st->last_id = state_get(s, "last_id");
    st->acked = state_get(s, "acked");
    st->solo = state_get(s, "solo") != 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(gis_store_db(s), "SELECT count(*) FROM twin_outbox WHERE id > ?", -1, &q, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(q, 1, st->acked);
        if (sqlite3_step(q) == SQLITE_ROW)
            st->pending = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    gis_store_read_end(s, begun);
    return ERR_OK;
}

static struct twin_cap *cap_of(struct gis_store *w)
{
    return *gis_store_twin_slot(w);
}

void gis_twin_store_opened(struct gis_store *w)
{
    struct gis_twin_status st;
    struct err e = {0};
    if (gis_twin_status_read(w, &st, &e) || st.role == GIS_TWIN_NONE)
        return;
    if (gis_store_writable(w)) /* the identity copies (gis/twin_identity.h); a failure shows at their write */
        gis_store_exec(w, gis_twin_ident_schema_sql, &e);
    struct twin_cap *c = cap_of(w);
    if (!c && !(c = calloc(1, sizeof *c)))
        return;
    c->role = st.role, c->term = st.term;
    __atomic_store_n(&c->last_id, st.last_id, __ATOMIC_RELEASE);
    *gis_store_twin_slot(w) = c;
}

/* Sets the role in twin_state and in the writer's state, in one transaction of the applier's kind. */
/* Sets the role, term and last id in one transaction; fn (when not NULL) runs in it after them, and its failure
 * rolls everything back. */
static enum err_code set_role_with(struct gis_store *w, enum gis_twin_role role, long long term, long long last_id,
                                   bool keep_last, gis_twin_tx_fn fn, void *ctx, struct err *e)
{
    if (!gis_store_writable(w))
        return err_set(e, ERR_INTERNAL, "%s: twin role set on a read-only connection", gis_store_path(w));
    if (gis_store_exec(w, twin_schema_sql, e) || gis_store_exec(w, gis_twin_ident_schema_sql, e))
        return e->code;
    struct twin_cap *c = cap_of(w);
    if (!c) {
        if (!(c = calloc(1, sizeof *c)))
            return err_set(e, ERR_INTERNAL, "out of memory");
        *gis_store_twin_slot(w) = c;
    }
    bool was_applying = c->applying;
    c->applying = true;
    enum err_code rc = gis_store_begin(w, e);
    if (!rc) {
        if (keep_last)
            last_id = state_get(w, "last_id");
        if (!state_set(w, "role", role, e) && !state_set(w, "term", term, e) && !state_set(w, "last_id", last_id, e) &&
            !state_set(w, "solo", keep_last && role == GIS_TWIN_PRIMARY && term > 1, e) &&
            (role != GIS_TWIN_REPLICA || !gis_store_exec(w, "DELETE FROM twin_outbox", e)) &&
            (role != GIS_TWIN_REPLICA || !state_set(w, "acked", last_id, e)) && (!fn || !fn(w, ctx, e)))
            rc = gis_store_commit(w, e);
        else
            rc = e->code;
        if (rc)
            gis_store_rollback(w);
    }
    c->applying = was_applying;
    if (!rc) {
        __atomic_store_n(&c->role, role, __ATOMIC_RELEASE);
        c->term = term;
        __atomic_store_n(&c->last_id, last_id, __ATOMIC_RELEASE);
    }
    return rc;
}

static enum err_code set_role(struct gis_store *w, enum gis_twin_role role, long long term, long long last_id,
                              bool keep_last, struct err *e)
{
    return set_role_with(w, role, term, last_id, keep_last, NULL, NULL, e);
}

enum err_code gis_twin_make_primary(struct gis_store *w, long long term, struct err *e)
{
    struct gis_twin_status st;
    if (gis_twin_status_read(w, &st, e))
        return e->code;
    if (st.role == GIS_TWIN_PRIMARY)
        return ERR_OK;
    if (st.role == GIS_TWIN_FENCED || st.role == GIS_TWIN_REPLICA)
        return err_set(e, ERR_CONFLICT, "%s: the store is a %s; only a promotion makes it a primary", gis_store_path(w),
                       gis_twin_role_name(st.role));
    return set_role(w, GIS_TWIN_PRIMARY, term > 0 ? term : 1, 0, true, e);
}

enum err_code gis_twin_make_replica(struct gis_store *w, long long term, long long last_id, struct err *e)
{
    return set_role(w, GIS_TWIN_REPLICA, term, last_id, false, e);
}

enum err_code gis_twin_fence(struct gis_store *w, long long term, struct err *e)
{
    struct twin_cap *c = cap_of(w);
    if (c && c->role == GIS_TWIN_FENCED)
        return ERR_OK;
    return set_role(w, GIS_TWIN_FENCED, term, 0, true, e);
}

enum err_code gis_twin_promote(struct gis_store *w, long long *term, struct err *e)
{
    return gis_twin_promote_with(w, term, NULL, NULL, e);
}

enum err_code gis_twin_promote_with(struct gis_store *w, long long *term, gis_twin_tx_fn fn, void *ctx, struct err *e)
{
    struct gis_twin_status st;
    if (gis_twin_status_read(w, &st, e))
        return e->code;
    if (st.role != GIS_TWIN_REPLICA)
        return err_set(e, ERR_CONFLICT, "%s: only a replica can be promoted (it is %s)", gis_store_path(w),
                       gis_twin_role_name(st.role));
    *term = st.term + 1;
    return set_role_with(w, GIS_TWIN_PRIMARY, *term, 0, true, fn, ctx, e);
}

/* ---- capture ---- */

/* Whether a table's changes are replicated: not the twin's own tables, not SQLite's, and not SpatiaLite's
 * bookkeeping that the twin's triggers keep (the R*Tree of each spatial index, the timestamps and
 * statistics of geometry columns). */
static int table_replicated(void *ctx, const char *t)
{
    (void)ctx;
    static const char *const skip[] = {"geometry_columns_time",        "geometry_columns_statistics",
                                       "geometry_columns_field_infos", "sql_statements_log",
                                       "spatialite_history",           NULL};
    if (!strncmp(t, "twin_", 5) || !strncmp(t, "sqlite_", 7) || !strncmp(t, "views_", 6) || !strncmp(t, "virts_", 6))
        return 0;
    for (int i = 0; skip[i]; i++)
        if (!strcmp(t, skip[i]))
            return 0;
    size_t n = strlen(t);
    if (!strncmp(t, "idx_", 4))
        for (const char *const *sfx = (const char *const[]){"_node", "_rowid", "_parent", NULL}; *sfx; sfx++) {
            size_t k = strlen(*sfx);
            if (n > k && !strcmp(t + n - k, *sfx))
                return 0;
        }
    return 1;
}

enum err_code gis_twin_store_begin(struct gis_store *w, struct err *e)
{
    struct twin_cap *c = cap_of(w);
    if (!c || c->applying)
        return ERR_OK;
    if (c->role == GIS_TWIN_REPLICA)
        return err_set(e, ERR_UNAVAILABLE, "%s: this store is a twin replica; it takes no writes until promoted",
                       gis_store_path(w));
    if (c->role == GIS_TWIN_FENCED)
        return err_set(e, ERR_UNAVAILABLE,
                       "%s: this store is fenced: its twin was promoted (term %lld); run `odra twin rejoin`",
                       gis_store_path(w), c->term);
    if (c->role != GIS_TWIN_PRIMARY)
        return ERR_OK;
    if (sqlite3session_create(gis_store_db(w), "main", &c->sess) != SQLITE_OK)
        return err_set(e, ERR_INTERNAL, "%s: cannot start the twin session", gis_store_path(w));
    sqlite3session_table_filter(c->sess, table_replicated, NULL);
    if (sqlite3session_attach(c->sess, NULL) != SQLITE_OK) {
        sqlite3session_delete(c->sess);
        c->sess = NULL;
        return err_set(e, ERR_INTERNAL, "%s: cannot attach the twin session", gis_store_path(w));
    }
    return ERR_OK;
}

static const char outbox_insert_sql[] = "INSERT INTO twin_outbox (id, term, schema, changeset) VALUES (?, ?, ?, ?)";
static const char last_id_sql[] = "UPDATE twin_state SET value = ? WHERE key = 'last_id'";

enum err_code gis_twin_store_commit(struct gis_store *w, struct err *e)
{
    struct twin_cap *c = cap_of(w);
    if (!c || !c->sess)
        return ERR_OK;
    int n = 0;
    void *p = NULL;
    if (sqlite3session_changeset(c->sess, &n, &p) != SQLITE_OK)
        return err_set(e, ERR_INTERNAL, "%s: twin changeset: %s", gis_store_path(w), sqlite3_errmsg(gis_store_db(w)));
    /* a frame carries at most GIS_TWIN_MAX_FRAME: a larger transaction would sit in the outbox, refused by
     * the twin at every try, and hold up all replication after it; it is refused here, before COMMIT */
    if (n > 0 && (unsigned)n > GIS_TWIN_MAX_FRAME) {
        sqlite3_free(p);
        return err_set(e, ERR_TOO_LARGE,
                       "%s: this transaction changes %d bytes, more than one twin frame carries (%u bytes): nothing "
                       "was written; split it into smaller ones (an import: a part of the area at a time)",
                       gis_store_path(w), n, (unsigned)GIS_TWIN_MAX_FRAME);
    }
    enum err_code rc = ERR_OK;
    /* from the store, not the connection: another process's writer (an import) may have added frames */
    long long id = n > 0 ? state_get(w, "last_id") + 1 : 0;
    if (n > 0) {
        /* the session must not see its own outbox rows (twin_* are filtered out anyway) */
        sqlite3_stmt *st = gis_store_cached(w, outbox_insert_sql, e);
        sqlite3_stmt *up = st ? gis_store_cached(w, last_id_sql, e) : NULL;
        if (!st || !up) {
            gis_store_release(st);
            sqlite3_free(p);
            return e->code;
        }
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, c->term);
        sqlite3_bind_int(st, 3, gis_store_version(w));
        sqlite3_bind_blob(st, 4, p, n, SQLITE_STATIC);
        sqlite3_bind_int64(up, 1, id);
        if (sqlite3_step(st) != SQLITE_DONE || sqlite3_step(up) != SQLITE_DONE)
            rc = err_set(e, ERR_IO, "%s: twin outbox: %s", gis_store_path(w), sqlite3_errmsg(gis_store_db(w)));
        gis_store_release(st);
        gis_store_release(up);
    }
    sqlite3_free(p);
    if (!rc && n > 0)
        c->pending_id = id; /* counted by gis_twin_store_end once COMMIT succeeded */
    return rc;
}

void gis_twin_store_end(struct gis_store *w, bool committed)
{
    struct twin_cap *c = cap_of(w);
    if (!c)
        return;
    if (c->sess) {
        sqlite3session_delete(c->sess);
        c->sess = NULL;
    }
    if (c->pending_id && committed)
        __atomic_store_n(&c->last_id, c->pending_id, __ATOMIC_RELEASE);
    c->pending_id = 0;
}

void gis_twin_store_free(struct gis_store *w)
{
    struct twin_cap *c = cap_of(w);
    if (!c)
        return;
    if (c->sess)
        sqlite3session_delete(c->sess);
    free(c);
    *gis_store_twin_slot(w) = NULL;
}

enum gis_twin_role gis_twin_store_role(struct gis_store *w)
{
    struct twin_cap *c = cap_of(w);
    return c ? __atomic_load_n(&c->role, __ATOMIC_ACQUIRE) : GIS_TWIN_NONE;
}

long long gis_twin_store_last_id(struct gis_store *w)
{
    struct twin_cap *c = cap_of(w);
    if (!c || c->role != GIS_TWIN_PRIMARY)
        return 0;
    return __atomic_load_n(&c->last_id, __ATOMIC_ACQUIRE);
}

/* ---- the replica ---- */

/* SQLite's varint (1 to 9 bytes, 7 bits each, big-endian, the 9th byte whole), up to n bytes; 0 when cut. */
static size_t get_varint(const unsigned char *p, size_t n, unsigned long long *v)
{
    *v = 0;
    for (size_t i = 0; i < n && i < 9; i++) {
        if (i == 8) {
            *v = *v << 8 | p[i];
            return 9;
        }
        *v = *v << 7 | (p[i] & 0x7f);
        if (!(p[i] & 0x80))
            return i + 1;
    }
    return 0;
}

/* Walks one record of ncol values; the offset after it, or 0 when malformed. */
static size_t record_check(const unsigned char *p, size_t n, size_t off, unsigned ncol)
{
    for (unsigned c = 0; c < ncol; c++) {
        if (off >= n)
            return 0;
        unsigned char type = p[off++];
        if (type == 1 || type == 2)
            off += 8;
        else if (type == 3 || type == 4) {
            unsigned long long len;
            size_t k = get_varint(p + off, n - off, &len);
            if (!k || len > n)
                return 0;
            off += k + (size_t)len;
        } else if (type != 0 && type != 5)
            return 0;
        if (off > n)
            return 0;
    }
    return off;
}

/* Checks the structure of a changeset before SQLite reads it: table headers ('T', a column count of at most
 * 2000, a flag per column, a NUL-terminated name) and changes (INSERT, UPDATE with two records, DELETE) whose
 * values lie inside it. SQLite 3.40's reader can loop on some malformed input (found by
 * tests/fuzz/fuzz_twin.c), so nothing that does not pass this reaches it. */
/* Whether the replica has table name (NUL-terminated) and replicates it: a frame must not write the twin's
 * own state (twin_*), SpatiaLite's bookkeeping, or a table the store does not have (SQLite would skip those
 * changes silently, and the two sides would differ without a word). */
static bool table_known(sqlite3 *db, const char *name)
{
    if (!table_replicated(NULL, name))
        return false;
    sqlite3_stmt *st;
    bool yes = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        yes = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return yes;
}

static bool changeset_ok(sqlite3 *db, const unsigned char *p, size_t n, char *bad, size_t cap)
{
    size_t off = 0;
    unsigned ncol = 0;
    while (off < n) {
        unsigned char op = p[off++];
        if (op == 'T') {
            unsigned long long nc;
            size_t k = get_varint(p + off, n - off, &nc);
            if (!k || nc == 0 || nc > 2000 || n - off - k < nc + 1)
                return false;
            off += k + (size_t)nc;
            const unsigned char *z = memchr(p + off, 0, n - off);
            if (!z || z == p + off)
                return false;
            if (!table_known(db, (const char *)p + off)) {
                snprintf(bad, cap, "%.64s", (const char *)p + off);
                return false;
            }
            off = (size_t)(z - p) + 1;
            ncol = (unsigned)nc;
            continue;
        }
        if (!ncol || (op != SQLITE_INSERT && op != SQLITE_UPDATE && op != SQLITE_DELETE) || off >= n)
            return false;
        off++; /* the indirect flag */
        for (int r = 0; r < (op == SQLITE_UPDATE ? 2 : 1); r++)
            if (!(off = record_check(p, n, off, ncol)))
                return false;
    }
    return true;
}

static int conflict_abort(void *ctx, int kind, sqlite3_changeset_iter *it)
{
    (void)it;
    *(int *)ctx = kind;
    return SQLITE_CHANGESET_ABORT;
}

enum err_code gis_twin_check(struct gis_store *s, const char *tenant, long long term, long long after,
                             const struct gis_twin_frame *f, bool *dup, struct err *e)
{
    *dup = false;
    if (strcmp(f->tenant, tenant))
        return err_set(e, ERR_INVALID, "frame of tenant %s sent for %s", f->tenant, tenant);
    if (f->term < term)
        return err_set(e, ERR_CONFLICT, "frame of term %lld refused: the twin is at term %lld", f->term, term);
    if (f->id <= after) {
        *dup = true;
        return ERR_OK;
    }
    if (f->id != after + 1)
        return err_set(e, ERR_CONFLICT, "frame %lld refused: the twin has received up to %lld", f->id, after);
    if (f->schema != gis_store_version(s))
        return err_set(e, ERR_INVALID, "frame of schema version %d refused: the twin's store is at %d", f->schema,
                       gis_store_version(s));
    char bad[80] = "";
    if (!changeset_ok(gis_store_db(s), f->changeset, f->len, bad, sizeof bad))
        return bad[0] ? err_set(e, ERR_UNPROCESSABLE, "frame %lld writes table \"%s\", which a twin does not take",
                                f->id, bad)
                      : err_set(e, ERR_UNPROCESSABLE, "frame %lld: the changeset is malformed", f->id);
    return ERR_OK;
}

enum err_code gis_twin_apply(struct gis_store *w, const char *tenant, const struct gis_twin_frame *f, struct err *e)
{
    struct twin_cap *c = cap_of(w);
    if (!c || c->role != GIS_TWIN_REPLICA)
        return err_set(e, ERR_UNAVAILABLE, "%s: not a twin replica", gis_store_path(w));
    bool dup;
    if (gis_twin_check(w, tenant, c->term, c->last_id, f, &dup, e))
        return e->code;
    if (dup)
        return ERR_OK;
    c->applying = true;
    enum err_code rc = gis_store_begin(w, e);
    int kind = 0;
    if (!rc) {
        int src =
            sqlite3changeset_apply(gis_store_db(w), (int)f->len, (void *)f->changeset, NULL, conflict_abort, &kind);
        if (src != SQLITE_OK)
            rc = err_set(e, ERR_UNPROCESSABLE, "frame %lld does not apply (%s, conflict kind %d)", f->id,
                         sqlite3_errstr(src), kind);
        else if (!state_set(w, "last_id", f->id, e) && !state_set(w, "acked", f->id, e) &&
                 (f->term == c->term || !state_set(w, "term", f->term, e)))
            rc = gis_store_commit(w, e);
        else
            rc = e->code;
        if (rc)
            gis_store_rollback(w);
    }
    c->applying = false;
    if (!rc) {
        c->term = f->term;
        __atomic_store_n(&c->last_id, f->id, __ATOMIC_RELEASE);
    }
    return rc;
}

/* ---- the primary's outbox ---- */

enum err_code gis_twin_outbox_each(struct gis_store *s, const char *tenant, long long after, int max,
                                   enum err_code (*fn)(const struct gis_twin_frame *f, void *ctx, struct err *e),
                                   void *ctx, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT id, term, schema, changeset FROM twin_outbox WHERE id > ? ORDER BY id LIMIT ?",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, max);
    enum err_code rc = ERR_OK;
    int step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct gis_twin_frame f = {.id = sqlite3_column_int64(st, 0),
                                   .term = sqlite3_column_int64(st, 1),
                                   .schema = sqlite3_column_int(st, 2),
                                   .changeset = sqlite3_column_blob(st, 3),
                                   .len = (size_t)sqlite3_column_bytes(st, 3)};
        snprintf(f.tenant, sizeof f.tenant, "%s", tenant);
        rc = fn(&f, ctx, e);
    }
    sqlite3_finalize(st);
    return rc;
}

enum err_code gis_twin_ack(struct gis_store *w, long long id, struct err *e)
{
    struct twin_cap *c = cap_of(w);
    if (!c || c->role != GIS_TWIN_PRIMARY)
        return ERR_OK;
    if (gis_store_begin(w, e))
        return e->code;
    sqlite3_stmt *st;
    enum err_code rc = gis_store_prepare(w, "DELETE FROM twin_outbox WHERE id <= ?", &st, e);
    if (!rc) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = err_set(e, ERR_IO, "%s: twin outbox: %s", gis_store_path(w), sqlite3_errmsg(gis_store_db(w)));
        sqlite3_finalize(st);
    }
    if (!rc && state_get(w, "acked") < id)
        rc = state_set(w, "acked", id, e);
    if (!rc)
        rc = state_set(w, "solo", 0, e);
    if (!rc)
        rc = gis_store_commit(w, e);
    if (rc)
        gis_store_rollback(w);
    return rc;
}

/* ---- verification ---- */

static void hash_table(struct gis_store *s, const char *table, crypto_hash_sha256_state *h)
{
    char sql[512];
    sqlite3_stmt *st;
    /* the primary key columns in order */
    snprintf(sql, sizeof sql,
             "SELECT group_concat('\"' || name || '\"', ',') FROM "
             "(SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk)");
    char order[400] = "";
    if (sqlite3_prepare_v2(gis_store_db(s), sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(order, sizeof order, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    if (!order[0] || strchr(table, '"'))
        return; /* not replicated without a primary key */
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY %s", table, order);
    if (sqlite3_prepare_v2(gis_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return;
    crypto_hash_sha256_update(h, (const unsigned char *)table, strlen(table) + 1);
    while (sqlite3_step(st) == SQLITE_ROW)
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            unsigned char type = (unsigned char)sqlite3_column_type(st, i);
            crypto_hash_sha256_update(h, &type, 1);
            if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
                /* the text form, so 1 and 1.0 hash alike only when SQLite itself says so */
                const unsigned char *t = sqlite3_column_text(st, i);
                crypto_hash_sha256_update(h, t, strlen((const char *)t) + 1);
            } else if (type != SQLITE_NULL) {
                const void *b = sqlite3_column_blob(st, i);
                unsigned long long n = (unsigned long long)sqlite3_column_bytes(st, i);
                crypto_hash_sha256_update(h, (const unsigned char *)&n, sizeof n);
                if (n)
                    crypto_hash_sha256_update(h, b, n);
            }
        }
    sqlite3_finalize(st);
}

enum err_code gis_twin_content_hash(struct gis_store *s, char hex[65], long long *at, struct err *e)
{
    bool begun = gis_store_read_begin(s);
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", &st, e)) {
        gis_store_read_end(s, begun);
        return e->code;
    }
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    char names[512][64];
    int nn = 0;
    while (sqlite3_step(st) == SQLITE_ROW && nn < 512) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (t && strlen(t) < 64 && table_replicated(NULL, t))
            snprintf(names[nn++], 64, "%s", t);
    }
    sqlite3_finalize(st);
    for (int i = 0; i < nn; i++)
        hash_table(s, names[i], &h);
    *at = twin_tables_exist(s) ? state_get(s, "last_id") : 0;
    gis_store_read_end(s, begun);
    unsigned char sha[32];
    crypto_hash_sha256_final(&h, sha);
    sodium_bin2hex(hex, 65, sha, 32);
    return ERR_OK;
}
