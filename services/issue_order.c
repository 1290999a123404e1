/* Writes that foresee their case number: tickets in the order of the numbers they print, commits in the same
 * order, several to one commit (services/issue_order.h). */
#include "services/issue_order.h"

#include <stdlib.h>

#include "gis/case_store.h"

/* At most this many tickets outstanding per tenant; the next waits for the oldest to finish. */
#define ISSUE_RING 32

struct issue_entry {
    svc_write_fn fn; /* NULL: the ticket is given up, nothing written */
    void *ctx;
    enum err_code rc;
    struct err e;
    bool done;
};

struct svc_issue_order {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned long tickets;  /* handed out */
    unsigned long finished; /* tickets below this are committed, failed or given up */
    long last_seq;          /* the number the last ticket foresaw */
    int year;
    struct issue_entry *slot[ISSUE_RING]; /* ticket k's entry at k % ISSUE_RING once it is ready */
};

struct svc_issue_order *svc_issue_order_new(void)
{
    struct svc_issue_order *o = calloc(1, sizeof *o);
    if (o) {
        pthread_mutex_init(&o->mu, NULL);
        pthread_cond_init(&o->cv, NULL);
    }
    return o;
}

void svc_issue_order_free(struct svc_issue_order *o)
{
    if (!o)
        return;
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
    free(o);
}

struct peek {
    int year;
    long seq;
};

static enum err_code peek_run(struct gis_store *w, void *ctx, struct err *e)
{
    struct peek *p = ctx;
    return gis_case_seq_peek(w, p->year, &p->seq, e);
}

enum err_code svc_issue_reserve(struct svc_tenant *t, int year, unsigned long *ticket, long *seq, struct err *e)
{
    struct svc_issue_order *o = t->issue_order;
    pthread_mutex_lock(&o->mu);
    while (o->tickets - o->finished >= ISSUE_RING)
        pthread_cond_wait(&o->cv, &o->mu);
    if (o->tickets == o->finished || o->year != year) {
        /* nothing outstanding: the store's own count, read under the write lock (mu is never taken while it
         * is held) */
        struct peek p = {.year = year};
        if (svc_tenant_write(t, peek_run, &p, e)) {
            pthread_mutex_unlock(&o->mu);
            return e->code;
        }
        o->last_seq = p.seq, o->year = year;
    }
    *seq = ++o->last_seq;
    *ticket = o->tickets++;
    pthread_mutex_unlock(&o->mu);
    return ERR_OK;
}

struct batch {
    struct issue_entry **entries;
    int n;
};

static enum err_code batch_run(struct gis_store *w, void *ctx, struct err *e)
{
    struct batch *b = ctx;
    for (int i = 0; i < b->n; i++)
        if (b->entries[i]->fn && b->entries[i]->fn(w, b->entries[i]->ctx, e))
            return e->code;
    return ERR_OK;
}

/* Commits the n entries of a batch: all in one transaction, or, when that fails, each in its own so that one
 * entry's failure is its own. */
static void batch_commit(struct svc_tenant *t, struct issue_entry **entries, int n)
{
    int live = 0;
    for (int i = 0; i < n; i++)
        live += entries[i]->fn != NULL;
    if (live > 1) {
        struct batch b = {entries, n};
        struct err be = {0};
        if (!svc_tenant_write(t, batch_run, &b, &be))
            return;
    }
    for (int i = 0; i < n; i++)
        if (entries[i]->fn)
            entries[i]->rc = svc_tenant_write(t, entries[i]->fn, entries[i]->ctx, &entries[i]->e);
}

enum err_code svc_issue_commit(struct svc_tenant *t, unsigned long ticket, svc_write_fn fn, void *ctx, struct err *e)
{
    struct svc_issue_order *o = t->issue_order;
    struct issue_entry me = {.fn = fn, .ctx = ctx};
    pthread_mutex_lock(&o->mu);
    o->slot[ticket % ISSUE_RING] = &me;
    pthread_cond_broadcast(&o->cv);
    while (!me.done) {
        if (o->finished != ticket) {
            pthread_cond_wait(&o->cv, &o->mu);
            continue;
        }
        /* this ticket is the oldest: it leads, with every later one already waiting in order */
        struct issue_entry *batch[ISSUE_RING] = {&me}; /* the oldest ticket's entry is this one */
        int n = 1;
        while (n < ISSUE_RING && o->finished + n < o->tickets && o->slot[(o->finished + n) % ISSUE_RING])
            batch[n] = o->slot[(o->finished + n) % ISSUE_RING], n++;
        pthread_mutex_unlock(&o->mu);
        batch_commit(t, batch, n);
        pthread_mutex_lock(&o->mu);
        for (int i = 0; i < n; i++) {
            o->slot[(o->finished + i) % ISSUE_RING] = NULL;
            batch[i]->done = true;
        }
        o->finished += n;
        pthread_cond_broadcast(&o->cv);
    }
    pthread_mutex_unlock(&o->mu);
    if (me.rc)
        *e = me.e;
    return me.rc;
}
