/* The audit log's hash chain: appending and verifying (gis/audit.h). */
#include "gis/audit.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "gis/store_sql.h"

/* The first row's prev_hash. */
static const char genesis[] = "0000000000000000000000000000000000000000000000000000000000000000";

static void hash_field(crypto_hash_sha256_state *h, const char *s)
{
    if (!s)
        s = "";
    char len[24];
    int n = snprintf(len, sizeof len, "%zu:", strlen(s));
    crypto_hash_sha256_update(h, (const unsigned char *)len, (unsigned long long)n);
    crypto_hash_sha256_update(h, (const unsigned char *)s, strlen(s));
}

void gis_audit_hash(const char *prev_hash, long long id, const char *at, const struct gis_audit_entry *a, char out[65])
{
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    hash_field(&h, prev_hash);
    hash_field(&h, ids);
    hash_field(&h, at);
    hash_field(&h, a->actor);
    hash_field(&h, a->action);
    hash_field(&h, a->tenant);
    hash_field(&h, a->record);
    hash_field(&h, a->ip);
    hash_field(&h, a->detail);
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, d);
    sodium_bin2hex(out, 65, d, sizeof d);
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* Appends a after the chain's last row (prev, *next), inside the caller's open transaction on db, and advances
 * prev and *next to it. */
static enum err_code append_one(sqlite3 *db, const struct gis_audit_entry *a, const char *at, char prev[65],
                                long long *next, struct err *e)
{
    char hash[65];
    gis_audit_hash(prev, *next, at, a, hash);
    sqlite3_stmt *ins = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO audit (id, at, actor, action, tenant, record, ip, detail, prev_hash, "
                           "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &ins, NULL) != SQLITE_OK)
        return err_set(e, ERR_IO, "audit: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(ins, 1, *next);
    sqlite3_bind_text(ins, 2, at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 3, nz(a->actor), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 4, nz(a->action), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 5, nz(a->tenant), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 6, nz(a->record), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 7, nz(a->ip), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 8, nz(a->detail), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 9, prev, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 10, hash, -1, SQLITE_TRANSIENT);
    enum err_code rc = ERR_OK;
    if (sqlite3_step(ins) != SQLITE_DONE)
        rc = err_set(e, ERR_IO, "audit: %s", sqlite3_errmsg(db));
    sqlite3_finalize(ins);
    if (!rc) {
        memcpy(prev, hash, 65);
        (*next)++;
    }
    return rc;
}

/* The chain's last row, inside the caller's transaction on db: its hash into prev (the genesis when the
 * chain is empty) and the id the next row takes. */
static enum err_code chain_last(sqlite3 *db, char prev[65], long long *next, struct err *e)
{
    snprintf(prev, 65, "%s", genesis);
    *next = 1;
    sqlite3_stmt *last = NULL;
    enum err_code rc = ERR_OK;
    if (sqlite3_prepare_v2(db, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", -1, &last, NULL) != SQLITE_OK)
        rc = err_set(e, ERR_IO, "audit: %s", sqlite3_errmsg(db));
    else if (sqlite3_step(last) == SQLITE_ROW) {
        *next = sqlite3_column_int64(last, 0) + 1;
        const char *h = (const char *)sqlite3_column_text(last, 1);
        snprintf(prev, 65, "%s", h ? h : ""); /* a NULL hash was tampered with: verify names it */
    }
    sqlite3_finalize(last);
    return rc;
}

enum err_code gis_audit_append_in_tx(struct gis_identity *id, const char *at, const struct gis_audit_entry *a,
                                     long long *rowid, struct err *e)
{
    sqlite3 *db = gis_identity_db(id);
    char prev[65];
    long long next;
    enum err_code rc = chain_last(db, prev, &next, e);
    long long row = next;
    if (!rc)
        rc = append_one(db, a, at, prev, &next, e);
    if (!rc && rowid)
        *rowid = row;
    return rc;
}

/* An append waiting to be written: appends that arrive while another is being committed are written together
 * in the next transaction, so that one commit (the identity store's fsyncs) serves them all. */
struct waiter {
    struct gis_identity *id;
    const struct gis_audit_entry *a;
    char at[40];
    enum err_code rc;
    struct err e;
    bool done;
    struct waiter *next;
};

#define AUDIT_BATCH 64

static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cv = PTHREAD_COND_INITIALIZER;
static struct waiter *q_head, **q_tail = &q_head;
static bool q_leading;

/* Writes the n entries of w in one transaction after the chain's last row; ERR_OK or the first error. */
static enum err_code write_batch(struct gis_identity *id, struct waiter **w, int n, struct err *e)
{
    /* its own connection: the store's lock stays free for the sessions' look-ups while this commits */
    sqlite3 *db = gis_identity_audit_db(id, e);
    if (!db)
        return e->code;
    int begun = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (begun != SQLITE_OK)
        return gis_sqlite_failure(begun) == ERR_UNAVAILABLE
                   ? err_set(e, ERR_UNAVAILABLE, "audit: the identity store is busy; try again shortly")
                   : err_set(e, ERR_IO, "audit: %s", sqlite3_errmsg(db));
    char prev[65];
    long long next;
    enum err_code rc = chain_last(db, prev, &next, e);
    for (int i = 0; !rc && i < n; i++)
        rc = append_one(db, w[i]->a, w[i]->at, prev, &next, e);
    if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = err_set(e, ERR_IO, "audit: commit: %s", sqlite3_errmsg(db));
    if (rc)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Takes off the queue (q_mu held) up to AUDIT_BATCH waiters of id, in their order, into w. */
static int take_batch(struct gis_identity *id, struct waiter **w)
{
    int n = 0;
    for (struct waiter **p = &q_head; *p && n < AUDIT_BATCH;) {
        if ((*p)->id != id) {
            p = &(*p)->next;
            continue;
        }
        w[n++] = *p;
        *p = (*p)->next;
        if (!*p)
            q_tail = p;
    }
    return n;
}

/* Whether all n waiters of w are done (q_mu held). */
static bool all_done(const struct waiter *w, int n)
{
    for (int i = 0; i < n; i++)
        if (!w[i].done)
            return false;
    return true;
}

enum err_code gis_audit_append_many(struct gis_identity *id, const struct gis_audit_entry *a, int n, struct err *e)
{
    struct waiter mine[AUDIT_BATCH];
    enum err_code first = ERR_OK;
    for (int done = 0; done < n;) { /* more than a batch: one batch after the other */
        int k = n - done < AUDIT_BATCH ? n - done : AUDIT_BATCH;
        memset(mine, 0, sizeof(struct waiter) * (size_t)k);
        pthread_mutex_lock(&q_mu);
        /* stamped in queue order, so that the times of the chain never go back */
        struct timeval tv;
        gettimeofday(&tv, NULL);
        struct tm tm;
        gmtime_r(&tv.tv_sec, &tm);
        char date[32];
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
        for (int i = 0; i < k; i++) {
            mine[i].id = id, mine[i].a = &a[done + i];
            snprintf(mine[i].at, sizeof mine[i].at, "%s.%03ldZ", date, (long)(tv.tv_usec / 1000));
            *q_tail = &mine[i];
            q_tail = &mine[i].next;
        }
        while (!all_done(mine, k)) {
            if (q_leading) {
                pthread_cond_wait(&q_cv, &q_mu);
                continue;
            }
            q_leading = true;
            struct waiter *w[AUDIT_BATCH];
            int m = take_batch(id, w);
            pthread_mutex_unlock(&q_mu);
            struct err be = {0};
            enum err_code rc = write_batch(id, w, m, &be);
            if (rc && m > 1) /* one entry's failure must not fail the others: each alone */
                for (int i = 0; i < m; i++)
                    w[i]->rc = write_batch(id, &w[i], 1, &w[i]->e);
            else if (rc)
                w[0]->rc = rc, w[0]->e = be;
            pthread_mutex_lock(&q_mu);
            for (int i = 0; i < m; i++)
                w[i]->done = true;
            q_leading = false;
            pthread_cond_broadcast(&q_cv);
        }
        pthread_mutex_unlock(&q_mu);
        for (int i = 0; i < k; i++)
            if (mine[i].rc && !first) {
                *e = mine[i].e;
                first = mine[i].rc;
            }
        done += k;
    }
    return first;
}

enum err_code gis_audit_append(struct gis_identity *id, const struct gis_audit_entry *a, struct err *e)
{
    return gis_audit_append_many(id, a, 1, e);
}

enum err_code gis_audit_verify(struct gis_identity *id, long long *rows, long long *bad, struct err *e)
{
    *rows = 0;
    *bad = 0;
    sqlite3 *db = gis_identity_db(id);
    sqlite3_stmt *st = NULL;
    gis_identity_lock(id);
    enum err_code rc = ERR_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, at, actor, action, tenant, record, ip, detail, prev_hash, hash FROM audit "
                           "ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        rc = err_set(e, ERR_IO, "audit: %s", sqlite3_errmsg(db));
    char prev[65];
    snprintf(prev, sizeof prev, "%s", genesis);
    long long expect_id = 1;
    int r = SQLITE_DONE;
    while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
        (*rows)++;
        long long rid = sqlite3_column_int64(st, 0);
#define COL(i) ((const char *)sqlite3_column_text(st, i))
        struct gis_audit_entry a = {COL(2), COL(3), COL(4), COL(5), COL(6), COL(7)};
        char want[65];
        gis_audit_hash(prev, rid, COL(1), &a, want);
        const char *row_prev = COL(8), *row_hash = COL(9);
        if (!*bad && (rid != expect_id || !row_prev || strcmp(row_prev, prev) || !row_hash || strcmp(row_hash, want)))
            *bad = rid;
        snprintf(prev, sizeof prev, "%s", row_hash ? row_hash : "");
#undef COL
        expect_id = rid + 1;
    }
    if (!rc && r != SQLITE_DONE)
        rc = err_set(e, ERR_IO, "audit: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    gis_identity_unlock(id);
    return rc;
}

enum err_code gis_audit_each_about(struct gis_identity *id, const char *login, int limit,
                                   void (*fn)(const struct gis_audit_row *r, void *user), void *user, struct err *e)
{
    sqlite3 *db = gis_identity_db(id);
    sqlite3_stmt *st = NULL;
    gis_identity_lock(id);
    enum err_code rc = ERR_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT * FROM (SELECT id, at, actor, action, tenant, record, ip, detail FROM audit "
                           "WHERE actor = ?1 OR record = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        rc = err_set(e, ERR_IO, "audit: %s", sqlite3_errmsg(db));
    if (!rc) {
        sqlite3_bind_text(st, 1, login, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, limit);
    }
    int r = SQLITE_DONE;
    while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
#define COL(i) ((const char *)sqlite3_column_text(st, i))
        struct gis_audit_row row = {
            sqlite3_column_int64(st, 0), COL(1), {COL(2), COL(3), COL(4), COL(5), COL(6), COL(7)}};
#undef COL
        fn(&row, user);
    }
    if (!rc && r != SQLITE_DONE)
        rc = err_set(e, ERR_IO, "audit: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    gis_identity_unlock(id);
    return rc;
}
