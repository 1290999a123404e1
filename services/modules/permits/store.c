/* The permits module's SQL (store.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/places.h"
#include "gis/store_sql.h"
#include "gis/wkb.h"
#include "services/modules/permits/permits.h"
#include "services/modules/permits/store.h"

#include <sqlite3.h>

static enum err_code io_error(struct gis_store *s, const char *what, struct err *e)
{
    return err_set(e, ERR_IO, "%s: %s", what, sqlite3_errmsg(gis_store_db(s)));
}

/* Steps a statement read row by row: SQLITE_ROW, SQLITE_DONE, or an error set in e (finalized then). */
static int step_row(struct gis_store *s, sqlite3_stmt *st, const char *what, struct err *e)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        io_error(s, what, e);
        sqlite3_finalize(st);
    }
    return rc;
}

/* step_row for a statement from gis_store_cached: released, not finalized, on an error. */
static int step_cached(struct gis_store *s, sqlite3_stmt *st, const char *what, struct err *e)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        io_error(s, what, e);
        gis_store_release(st);
    }
    return rc;
}

/* Steps a statement that reads one row: ERR_OK on the row (the caller reads it and finalizes), else the
 * statement finalized and ERR_NOT_FOUND (`missing`) or ERR_IO. */
static enum err_code step_one(struct gis_store *s, sqlite3_stmt *st, const char *what, const char *missing,
                              struct err *e)
{
    int rc = step_row(s, st, what, e);
    if (rc == SQLITE_ROW)
        return ERR_OK;
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return err_set(e, ERR_NOT_FOUND, "%s", missing);
    }
    return e->code;
}

static const char *cat_text(char c, char buf[2])
{
    buf[0] = c;
    buf[1] = 0;
    return buf;
}

/* ---- outlets ---- */

enum err_code permits_store_outlet_add(struct gis_store *w, struct permits_outlet *o, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT INTO permits_outlets (name, sale, operator_nip, operator_name, hours, address_id, "
                          "address_text, parcel_id, unit, created_at, geom) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                          "?9, ?10, MakePoint(?11, ?12, 2180))",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, o->name);
    gis_store_bind_text(st, 2, o->sale);
    gis_store_bind_text(st, 3, o->nip);
    gis_store_bind_text(st, 4, o->operator_name);
    gis_store_bind_text(st, 5, o->hours);
    if (o->address_id > 0)
        sqlite3_bind_int64(st, 6, o->address_id);
    gis_store_bind_text(st, 7, o->address_text);
    gis_store_bind_text(st, 8, o->parcel_id);
    gis_store_bind_text(st, 9, o->unit);
    gis_store_bind_text(st, 10, o->created_at);
    sqlite3_bind_double(st, 11, o->x);
    sqlite3_bind_double(st, 12, o->y);
    if (gis_store_step_done(w, st, "permits_outlets", e))
        return e->code;
    o->id = (long)sqlite3_last_insert_rowid(gis_store_db(w));
    return ERR_OK;
}

enum err_code permits_store_outlet_get(struct gis_store *s, struct arena *a, long id, struct permits_outlet *out,
                                       struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(
            s,
            "SELECT id, name, sale, operator_nip, operator_name, hours, coalesce(address_id, 0), "
            "address_text, parcel_id, unit, created_at, X(geom), Y(geom) FROM permits_outlets WHERE id = ?1",
            &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    if (step_one(s, st, "permits_outlets", arena_printf(a, "no outlet %ld", id), e))
        return e->code;
    *out = (struct permits_outlet){
        .id = (long)sqlite3_column_int64(st, 0),
        .name = gis_store_col_text(a, st, 1),
        .sale = gis_store_col_text(a, st, 2),
        .nip = gis_store_col_text(a, st, 3),
        .operator_name = gis_store_col_text(a, st, 4),
        .hours = gis_store_col_text(a, st, 5),
        .address_id = (long)sqlite3_column_int64(st, 6),
        .address_text = gis_store_col_text(a, st, 7),
        .parcel_id = gis_store_col_text(a, st, 8),
        .unit = gis_store_col_text(a, st, 9),
        .created_at = gis_store_col_text(a, st, 10),
        .x = sqlite3_column_double(st, 11),
        .y = sqlite3_column_double(st, 12),
    };
    sqlite3_finalize(st);
    return ERR_OK;
}

/* ---- permits ---- */

enum err_code permits_store_permit_add(struct gis_store *w, struct permits_permit *p, struct err *e)
{
    sqlite3_stmt *st;
    char c[2];
    if (gis_store_prepare(w,
                          "INSERT INTO permits_permits (number, outlet_id, category, sale, one_off, event, valid_from, "
                          "valid_to, status, case_id, issued_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'wydane', ?9, "
                          "?10)",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, p->number);
    sqlite3_bind_int64(st, 2, p->outlet_id);
    gis_store_bind_text(st, 3, cat_text(p->category, c));
    gis_store_bind_text(st, 4, p->sale);
    sqlite3_bind_int(st, 5, p->one_off);
    gis_store_bind_text(st, 6, p->event);
    gis_store_bind_text(st, 7, p->valid_from);
    gis_store_bind_text(st, 8, p->valid_to);
    gis_store_bind_text(st, 9, p->case_id);
    gis_store_bind_text(st, 10, p->issued_on);
    if (gis_store_step_done(w, st, "permits_permits", e))
        return e->code;
    p->id = (long)sqlite3_last_insert_rowid(gis_store_db(w));
    p->status = "wydane";
    return ERR_OK;
}

#define PERMIT_COLS                                                                                                    \
    "SELECT p.id, p.outlet_id, p.number, p.category, p.sale, p.one_off, p.event, p.valid_from, p.valid_to, p.status, " \
    "p.status_on, p.status_reason, p.case_id, p.issued_on, o.name, o.address_text, o.parcel_id "                       \
    "FROM permits_permits p JOIN permits_outlets o ON o.id = p.outlet_id "

static void permit_row(struct arena *a, sqlite3_stmt *st, struct permits_permit *p)
{
    const char *cat = (const char *)sqlite3_column_text(st, 3);
    *p = (struct permits_permit){
        .id = (long)sqlite3_column_int64(st, 0),
        .outlet_id = (long)sqlite3_column_int64(st, 1),
        .number = gis_store_col_text(a, st, 2),
        .category = cat ? cat[0] : 0,
        .sale = gis_store_col_text(a, st, 4),
        .one_off = sqlite3_column_int(st, 5) != 0,
        .event = gis_store_col_text(a, st, 6),
        .valid_from = gis_store_col_text(a, st, 7),
        .valid_to = gis_store_col_text(a, st, 8),
        .status = gis_store_col_text(a, st, 9),
        .status_on = gis_store_col_text(a, st, 10),
        .status_reason = gis_store_col_text(a, st, 11),
        .case_id = gis_store_col_text(a, st, 12),
        .issued_on = gis_store_col_text(a, st, 13),
        .outlet_name = gis_store_col_text(a, st, 14),
        .address_text = gis_store_col_text(a, st, 15),
        .parcel_id = gis_store_col_text(a, st, 16),
    };
}

enum err_code permits_store_permit_get(struct gis_store *s, struct arena *a, long id, struct permits_permit *out,
                                       struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s, PERMIT_COLS "WHERE p.id = ?1", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    if (step_one(s, st, "permits_permits", arena_printf(a, "no permit %ld", id), e))
        return e->code;
    permit_row(a, st, out);
    sqlite3_finalize(st);
    return ERR_OK;
}

enum err_code permits_store_permit_status(struct gis_store *w, long id, const char *status, const char *on,
                                          const char *reason, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "UPDATE permits_permits SET status = ?2, status_on = ?3, status_reason = ?4 WHERE id = ?1",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    gis_store_bind_text(st, 2, status);
    gis_store_bind_text(st, 3, on);
    gis_store_bind_text(st, 4, reason);
    return gis_store_step_done(w, st, "permits_permits", e);
}

enum err_code permits_store_permits_each(struct gis_store *s, struct arena *a, const struct permits_filter *f,
                                         bool (*fn)(void *ctx, const struct permits_permit *p), void *ctx,
                                         struct err *e)
{
    sqlite3_stmt *st;
    char c[2];
    if (gis_store_prepare(s,
                          PERMIT_COLS "WHERE (?1 IS NULL OR p.status = ?1) AND (?2 IS NULL OR o.address_id = ?2) AND "
                                      "(?3 IS NULL OR o.parcel_id = ?3) AND (?4 IS NULL OR p.category = ?4) "
                                      "ORDER BY p.id LIMIT ?5",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, f->status);
    if (f->address_id > 0)
        sqlite3_bind_int64(st, 2, f->address_id);
    gis_store_bind_text(st, 3, f->parcel_id);
    gis_store_bind_text(st, 4, f->category ? cat_text(f->category, c) : NULL);
    sqlite3_bind_int(st, 5, f->limit > 0 ? f->limit : 1000);
    int rc;
    while ((rc = step_row(s, st, "permits_permits", e)) == SQLITE_ROW) {
        struct permits_permit p;
        permit_row(a, st, &p);
        if (!fn(ctx, &p))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return e->code;
    sqlite3_finalize(st);
    return ERR_OK;
}

/* ---- the council's rules ---- */

/* The hot queries of the check and /locate: prepared once per connection (gis_store_cached). */
static const char limits_sql[] =
    "SELECT l.id, l.unit, l.max_count, l.resolution, (SELECT count(*) FROM permits_permits p "
    "JOIN permits_outlets o ON o.id = p.outlet_id WHERE p.status = 'wydane' AND p.one_off = 0 "
    "AND p.category = l.category AND p.sale = l.sale AND p.valid_from <= ?4 AND p.valid_to >= ?4 "
    "AND (l.unit IS NULL OR o.unit = l.unit)), l.category, l.sale FROM permits_limits l WHERE (?1 IS NULL OR "
    "l.category = ?1) AND (?2 IS NULL OR l.sale = ?2) AND (l.unit IS NULL OR l.unit = ?3 OR ?3 = '*') "
    "ORDER BY l.unit IS NOT NULL, l.id";

/* The council's rules, the permits' counts, the protected objects and the zone uses, read once per connection
 * (gis_store_attach; never kept inside a write transaction) and kept while the store's data stays as it was
 * (gis_store_data_state: any commit by any connection rebuilds it), so that the check and /locate filter them in memory
 * instead of querying each time. Its strings live in its arena; what the functions below return is copied into the
 * caller's arena. */
struct permits_book {
    long long state;
    char today[11]; /* the day of the limits' counts */
    struct arena *a;
    struct permits_limit *lim;
    struct permits_rule *rule;
    struct permits_night_ban *ban;
    struct permits_object *obj; /* straight_m unused */
    struct book_zone_use {
        const char *kind, *symbol, *use;
        struct permits_zone_use u;
    } * zu;
    int nlim, nrule, nban, nobj, nzu;
};

static void book_free(void *p)
{
    struct permits_book *b = p;
    if (b)
        arena_free(b->a);
    free(b);
}

/* Grows *arr (of *n items of size) by one in arena a; NULL when out of memory. */
static void *book_push(struct arena *a, void *arr, int *n, int *cap, size_t size)
{
    void **pa = arr;
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        void *na = arena_alloc(a, size * (size_t)nc);
        if (!na)
            return NULL;
        if (*n)
            memcpy(na, *pa, size * (size_t)*n);
        *pa = na, *cap = nc;
    }
    return (char *)*pa + size * (size_t)(*n)++;
}

static const char book_rules_sql[] =
    "SELECT id, object_kind, method, categories, sale, resolution, min_m FROM permits_distance_rules ORDER BY id";
static const char book_bans_sql[] = "SELECT from_hm, to_hm, unit, resolution FROM permits_night_ban ORDER BY id";
static const char book_objects_sql[] =
    "SELECT id, kind, name, X(geom), Y(geom) FROM permits_protected WHERE geom IS NOT NULL ORDER BY id";
static const char book_zone_uses_sql[] =
    "SELECT kind, symbol, use, verdict, source, uncertainty FROM permits_zone_uses";

static enum err_code book_build(struct gis_store *s, void *d, struct err *e)
{
    struct permits_book *b = d;
    int cap = 0;
    if (!(b->a = arena_new(16384)))
        return err_set(e, ERR_INTERNAL, "out of memory");
    sqlite3_stmt *st = gis_store_cached(s, limits_sql, e);
    if (!st)
        return e->code;
    gis_store_bind_text(st, 1, NULL);
    gis_store_bind_text(st, 2, NULL);
    gis_store_bind_text(st, 3, "*");
    gis_store_bind_text(st, 4, b->today);
    int rc;
    while ((rc = step_cached(s, st, "permits_limits", e)) == SQLITE_ROW) {
        struct permits_limit *l = book_push(b->a, &b->lim, &b->nlim, &cap, sizeof *l);
        if (!l) {
            gis_store_release(st);
            return err_set(e, ERR_INTERNAL, "out of memory");
        }
        const char *lc = (const char *)sqlite3_column_text(st, 5);
        *l = (struct permits_limit){.id = (long)sqlite3_column_int64(st, 0),
                                    .category = lc ? lc[0] : 0,
                                    .sale = gis_store_col_text(b->a, st, 6),
                                    .unit = gis_store_col_text(b->a, st, 1),
                                    .max = (long)sqlite3_column_int64(st, 2),
                                    .resolution = gis_store_col_text(b->a, st, 3),
                                    .count = (long)sqlite3_column_int64(st, 4)};
    }
    if (rc != SQLITE_DONE)
        return e->code;
    gis_store_release(st);
    cap = 0;
    if (!(st = gis_store_cached(s, book_rules_sql, e)))
        return e->code;
    while ((rc = step_cached(s, st, "permits_distance_rules", e)) == SQLITE_ROW) {
        struct permits_rule *r = book_push(b->a, &b->rule, &b->nrule, &cap, sizeof *r);
        if (!r) {
            gis_store_release(st);
            return err_set(e, ERR_INTERNAL, "out of memory");
        }
        *r = (struct permits_rule){.id = (long)sqlite3_column_int64(st, 0),
                                   .kind = gis_store_col_text(b->a, st, 1),
                                   .method = gis_store_col_text(b->a, st, 2),
                                   .categories = gis_store_col_text(b->a, st, 3),
                                   .sale = gis_store_col_text(b->a, st, 4),
                                   .resolution = gis_store_col_text(b->a, st, 5),
                                   .min_m = sqlite3_column_double(st, 6)};
    }
    if (rc != SQLITE_DONE)
        return e->code;
    gis_store_release(st);
    cap = 0;
    if (!(st = gis_store_cached(s, book_bans_sql, e)))
        return e->code;
    while ((rc = step_cached(s, st, "permits_night_ban", e)) == SQLITE_ROW) {
        struct permits_night_ban *n = book_push(b->a, &b->ban, &b->nban, &cap, sizeof *n);
        if (!n) {
            gis_store_release(st);
            return err_set(e, ERR_INTERNAL, "out of memory");
        }
        *n = (struct permits_night_ban){gis_store_col_text(b->a, st, 0), gis_store_col_text(b->a, st, 1),
                                        gis_store_col_text(b->a, st, 2), gis_store_col_text(b->a, st, 3)};
    }
    if (rc != SQLITE_DONE)
        return e->code;
    gis_store_release(st);
    cap = 0;
    if (!(st = gis_store_cached(s, book_objects_sql, e)))
        return e->code;
    while ((rc = step_cached(s, st, "permits_protected", e)) == SQLITE_ROW) {
        struct permits_object *o = book_push(b->a, &b->obj, &b->nobj, &cap, sizeof *o);
        if (!o) {
            gis_store_release(st);
            return err_set(e, ERR_INTERNAL, "out of memory");
        }
        *o = (struct permits_object){.id = (long)sqlite3_column_int64(st, 0),
                                     .kind = gis_store_col_text(b->a, st, 1),
                                     .name = gis_store_col_text(b->a, st, 2),
                                     .x = sqlite3_column_double(st, 3),
                                     .y = sqlite3_column_double(st, 4)};
    }
    if (rc != SQLITE_DONE)
        return e->code;
    gis_store_release(st);
    cap = 0;
    if (!(st = gis_store_cached(s, book_zone_uses_sql, e)))
        return e->code;
    while ((rc = step_cached(s, st, "permits_zone_uses", e)) == SQLITE_ROW) {
        struct book_zone_use *z = book_push(b->a, &b->zu, &b->nzu, &cap, sizeof *z);
        if (!z) {
            gis_store_release(st);
            return err_set(e, ERR_INTERNAL, "out of memory");
        }
        *z = (struct book_zone_use){
            gis_store_col_text(b->a, st, 0),
            gis_store_col_text(b->a, st, 1),
            gis_store_col_text(b->a, st, 2),
            {gis_store_col_text(b->a, st, 3), gis_store_col_text(b->a, st, 4), gis_store_col_text(b->a, st, 5)}};
    }
    if (rc != SQLITE_DONE)
        return e->code;
    gis_store_release(st);
    return ERR_OK;
}

static const int book_key; /* its address names the book among the connection's derived data */

/* The connection's book for day today (its limits count the permits in force that day; NULL: any day, for
 * what does not depend on it). *temp: built inside a write transaction (or at an unknown state) and not
 * kept, so the caller frees it (book_done). */
static struct permits_book *book_get(struct gis_store *s, const char *today, bool *temp, struct err *e)
{
    long long state = gis_store_data_state(s);
    *temp = state < 0 || gis_store_writing(s);
    struct permits_book *b = *temp ? NULL : gis_store_attached(s, &book_key);
    if (b && b->state == state && (!today || !strcmp(b->today, today)))
        return b;
    if (!(b = calloc(1, sizeof *b))) {
        err_set(e, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    b->state = state;
    if (today)
        snprintf(b->today, sizeof b->today, "%s", today);
    else
        permits_today(b->today);
    if (book_build(s, b, e) || (!*temp && !gis_store_attach(s, &book_key, b, book_free))) {
        book_free(b);
        if (!e->code)
            err_set(e, ERR_INTERNAL, "no room to keep the permits book");
        return NULL;
    }
    return b;
}

static void book_done(struct permits_book *b, bool temp)
{
    if (temp)
        book_free(b);
}

static const char *dup(struct arena *a, const char *s)
{
    return s ? arena_strdup(a, s) : NULL;
}

static bool same(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

enum err_code permits_store_limits(struct gis_store *s, struct arena *a, char cat, const char *sale, const char *unit,
                                   const char *today, struct permits_limit *out, int max, int *n, struct err *e)
{
    bool temp;
    *n = 0;
    struct permits_book *b = book_get(s, today, &temp, e);
    if (!b)
        return e->code;
    /* as limits_sql: (cat, sale) when given; the whole gmina's, unit's, or ("*") every unit's */
    for (int i = 0; i < b->nlim && *n < max; i++) {
        const struct permits_limit *l = &b->lim[i];
        if ((cat && l->category != cat) || (sale && !same(l->sale, sale)) ||
            (l->unit && !same(l->unit, unit) && !same(unit, "*")))
            continue;
        out[*n] = *l;
        out[*n].sale = dup(a, l->sale), out[*n].unit = dup(a, l->unit), out[*n].resolution = dup(a, l->resolution);
        if (!out[(*n)++].resolution && l->resolution) {
            book_done(b, temp);
            return err_set(e, ERR_INTERNAL, "out of memory");
        }
    }
    book_done(b, temp);
    return ERR_OK;
}

enum err_code permits_store_limit_add(struct gis_store *w, char cat, const char *sale, const char *unit, long max,
                                      const char *resolution, struct err *e)
{
    sqlite3_stmt *st;
    char c[2];
    if (gis_store_prepare(
            w,
            "INSERT INTO permits_limits (category, sale, unit, max_count, resolution) VALUES (?1, ?2, ?3, "
            "?4, ?5)",
            &st, e))
        return e->code;
    gis_store_bind_text(st, 1, cat_text(cat, c));
    gis_store_bind_text(st, 2, sale);
    gis_store_bind_text(st, 3, unit);
    sqlite3_bind_int64(st, 4, max);
    gis_store_bind_text(st, 5, resolution);
    return gis_store_step_done(w, st, "permits_limits", e);
}

enum err_code permits_store_rules(struct gis_store *s, struct arena *a, char cat, const char *sale,
                                  struct permits_rule *out, int max, int *n, struct err *e)
{
    bool temp;
    *n = 0;
    struct permits_book *b = book_get(s, NULL, &temp, e);
    if (!b)
        return e->code;
    /* as rules_sql did: cat among its categories, and its sale (or both) */
    for (int i = 0; i < b->nrule && *n < max; i++) {
        const struct permits_rule *r = &b->rule[i];
        if ((cat && (!r->categories || !strchr(r->categories, cat))) || (sale && r->sale && strcmp(r->sale, sale)))
            continue;
        out[(*n)++] =
            (struct permits_rule){r->id,           dup(a, r->kind),       dup(a, r->method), dup(a, r->categories),
                                  dup(a, r->sale), dup(a, r->resolution), r->min_m};
    }
    book_done(b, temp);
    return ERR_OK;
}

enum err_code permits_store_rule_add(struct gis_store *w, const struct permits_rule *r, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT INTO permits_distance_rules (object_kind, min_m, method, categories, sale, "
                          "resolution) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, r->kind);
    sqlite3_bind_double(st, 2, r->min_m);
    gis_store_bind_text(st, 3, r->method);
    gis_store_bind_text(st, 4, r->categories);
    gis_store_bind_text(st, 5, r->sale);
    gis_store_bind_text(st, 6, r->resolution);
    return gis_store_step_done(w, st, "permits_distance_rules", e);
}

enum err_code permits_store_night_bans(struct gis_store *s, struct arena *a, const char *unit,
                                       struct permits_night_ban *out, int max, int *n, struct err *e)
{
    bool temp;
    *n = 0;
    struct permits_book *b = book_get(s, NULL, &temp, e);
    if (!b)
        return e->code;
    for (int i = 0; i < b->nban && *n < max; i++) /* the gmina's, and unit's */
        if (!b->ban[i].unit || same(b->ban[i].unit, unit))
            out[(*n)++] = (struct permits_night_ban){dup(a, b->ban[i].from), dup(a, b->ban[i].to),
                                                     dup(a, b->ban[i].unit), dup(a, b->ban[i].resolution)};
    book_done(b, temp);
    return ERR_OK;
}

enum err_code permits_store_night_ban_add(struct gis_store *w, const struct permits_night_ban *b, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "INSERT INTO permits_night_ban (from_hm, to_hm, unit, resolution) VALUES (?1, ?2, ?3, ?4)",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, b->from);
    gis_store_bind_text(st, 2, b->to);
    gis_store_bind_text(st, 3, b->unit);
    gis_store_bind_text(st, 4, b->resolution);
    return gis_store_step_done(w, st, "permits_night_ban", e);
}

/* ---- protected objects and streets ---- */

static int near_cmp(const void *pa, const void *pb)
{
    const struct permits_object *a = pa, *b = pb;
    return a->straight_m < b->straight_m ? -1 : a->straight_m > b->straight_m ? 1 : (a->id > b->id) - (a->id < b->id);
}

enum err_code permits_store_protected_near(struct gis_store *s, struct arena *a, const char *kind, double x, double y,
                                           double radius, struct permits_object *out, int max, int *n, struct err *e)
{
    bool temp;
    *n = 0;
    struct permits_book *b = book_get(s, NULL, &temp, e);
    if (!b)
        return e->code;
    /* the objects are points: the straight line between two points of EPSG:2180, nearest first (then by id) */
    struct permits_object *all = arena_alloc(a, sizeof *all * (size_t)(b->nobj ? b->nobj : 1));
    int m = 0;
    if (!all) {
        book_done(b, temp);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    for (int i = 0; i < b->nobj; i++) {
        if (kind && !same(b->obj[i].kind, kind))
            continue;
        double d = hypot(b->obj[i].x - x, b->obj[i].y - y);
        if (d <= radius)
            all[m] = b->obj[i], all[m++].straight_m = d;
    }
    qsort(all, (size_t)m, sizeof *all, near_cmp);
    for (int i = 0; i < m && *n < max; i++) {
        out[*n] = all[i];
        out[*n].kind = dup(a, all[i].kind), out[(*n)++].name = dup(a, all[i].name);
    }
    book_done(b, temp);
    return ERR_OK;
}

enum err_code permits_store_protected_add(struct gis_store *w, const char *kind, const char *name, double x, double y,
                                          struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(
            w, "INSERT INTO permits_protected (kind, name, geom) VALUES (?1, ?2, MakePoint(?3, ?4, 2180))", &st, e))
        return e->code;
    gis_store_bind_text(st, 1, kind);
    gis_store_bind_text(st, 2, name);
    sqlite3_bind_double(st, 3, x);
    sqlite3_bind_double(st, 4, y);
    return gis_store_step_done(w, st, "permits_protected", e);
}

/* Collects the points of one line string of a street, then adds it to the graph. */
struct line_walk {
    struct permits_graph *g;
    double *xy;
    uint32_t n, cap;
    bool failed;
    struct err *e;
};

static bool line_flush(struct line_walk *w)
{
    if (w->n >= 2 && permits_graph_add_line(w->g, w->xy, (int)w->n, w->e))
        w->failed = true;
    w->n = 0;
    return !w->failed;
}

static bool walk_part(void *ctx, int kind, uint32_t n, bool shell)
{
    struct line_walk *w = ctx;
    (void)shell;
    if (!line_flush(w))
        return false;
    if (kind != 2)
        return true;
    if (n > w->cap) {
        double *p = realloc(w->xy, (size_t)n * 2 * sizeof *p);
        if (!p) {
            w->failed = true;
            err_set(w->e, ERR_INTERNAL, "out of memory");
            return false;
        }
        w->xy = p;
        w->cap = n;
    }
    return true;
}

static bool walk_point(void *ctx, double x, double y)
{
    struct line_walk *w = ctx;
    if (w->n < w->cap) {
        w->xy[2 * w->n] = x;
        w->xy[2 * w->n + 1] = y;
        w->n++;
    }
    return true;
}

enum err_code permits_store_streets(struct gis_store *s, const double bbox[4], struct permits_graph *g, int *n,
                                    struct err *e)
{
    sqlite3_stmt *st;
    *n = 0;
    if (gis_store_prepare(s,
                          "SELECT AsBinary(geom) FROM streets WHERE geom IS NOT NULL AND id IN (SELECT pkid FROM "
                          "idx_streets_geom WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2) ORDER BY id",
                          &st, e))
        return e->code;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(st, i + 1, bbox[i]);
    static const struct gis_wkb_visitor v = {walk_part, walk_point};
    struct line_walk w = {.g = g, .e = e};
    int rc;
    while ((rc = step_row(s, st, "streets", e)) == SQLITE_ROW) {
        const unsigned char *b = sqlite3_column_blob(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        if (b && gis_wkb_walk(b, len, &v, &w))
            line_flush(&w);
        if (w.failed)
            break;
        (*n)++;
    }
    free(w.xy);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return e->code;
    sqlite3_finalize(st);
    return w.failed ? e->code : ERR_OK;
}

bool permits_store_streets_extent(struct gis_store *s, double out[4])
{
    sqlite3_stmt *st;
    struct err e = {0};
    if (gis_store_prepare(s, "SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM idx_streets_geom", &st, &e))
        return false;
    bool ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    for (int i = 0; ok && i < 4; i++)
        out[i] = sqlite3_column_double(st, i);
    sqlite3_finalize(st);
    return ok;
}

/* ---- applications and fees ---- */

enum err_code permits_store_app_add(struct gis_store *w, const struct permits_app *p, struct err *e)
{
    sqlite3_stmt *st;
    char c[2];
    if (gis_store_prepare(w,
                          "INSERT INTO permits_applications (case_id, outlet_id, category, one_off, event, valid_from, "
                          "valid_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, p->case_id);
    sqlite3_bind_int64(st, 2, p->outlet_id);
    gis_store_bind_text(st, 3, cat_text(p->category, c));
    sqlite3_bind_int(st, 4, p->one_off);
    gis_store_bind_text(st, 5, p->event);
    gis_store_bind_text(st, 6, p->valid_from);
    gis_store_bind_text(st, 7, p->valid_to);
    return gis_store_step_done(w, st, "permits_applications", e);
}

enum err_code permits_store_app_get(struct gis_store *s, struct arena *a, const char *case_id, struct permits_app *out,
                                    struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(
            s,
            "SELECT case_id, outlet_id, category, one_off, event, valid_from, valid_to, opinion, "
            "opinion_note, opinion_on, coalesce(check_ok, -1), check_json, checked_on, "
            "coalesce(permit_id, 0), decision_pdf IS NOT NULL FROM permits_applications WHERE case_id = ?1",
            &st, e))
        return e->code;
    gis_store_bind_text(st, 1, case_id);
    if (step_one(s, st, "permits_applications", "no permit application for this case", e))
        return e->code;
    const char *cat = (const char *)sqlite3_column_text(st, 2);
    *out = (struct permits_app){
        .case_id = gis_store_col_text(a, st, 0),
        .outlet_id = (long)sqlite3_column_int64(st, 1),
        .category = cat ? cat[0] : 0,
        .one_off = sqlite3_column_int(st, 3) != 0,
        .event = gis_store_col_text(a, st, 4),
        .valid_from = gis_store_col_text(a, st, 5),
        .valid_to = gis_store_col_text(a, st, 6),
        .opinion = gis_store_col_text(a, st, 7),
        .opinion_note = gis_store_col_text(a, st, 8),
        .opinion_on = gis_store_col_text(a, st, 9),
        .check_ok = sqlite3_column_int(st, 10),
        .check_json = gis_store_col_text(a, st, 11),
        .checked_on = gis_store_col_text(a, st, 12),
        .permit_id = (long)sqlite3_column_int64(st, 13),
        .has_decision = sqlite3_column_int(st, 14) != 0,
    };
    sqlite3_finalize(st);
    return ERR_OK;
}

enum err_code permits_store_app_opinion(struct gis_store *w, const char *case_id, const char *opinion, const char *note,
                                        const char *on, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "UPDATE permits_applications SET opinion = ?2, opinion_note = ?3, opinion_on = ?4 WHERE "
                          "case_id = ?1",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, case_id);
    gis_store_bind_text(st, 2, opinion);
    gis_store_bind_text(st, 3, note);
    gis_store_bind_text(st, 4, on);
    return gis_store_step_done(w, st, "permits_applications", e);
}

enum err_code permits_store_app_check(struct gis_store *w, const char *case_id, bool ok, const char *json,
                                      const char *on, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "UPDATE permits_applications SET check_ok = ?2, check_json = ?3, checked_on = ?4 WHERE "
                          "case_id = ?1",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, case_id);
    sqlite3_bind_int(st, 2, ok);
    gis_store_bind_text(st, 3, json);
    gis_store_bind_text(st, 4, on);
    return gis_store_step_done(w, st, "permits_applications", e);
}

enum err_code permits_store_app_decided(struct gis_store *w, const char *case_id, long permit_id, const void *pdf,
                                        size_t len, const char *sha256, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "UPDATE permits_applications SET permit_id = ?2, decision_pdf = ?3, decision_sha256 = ?4 "
                          "WHERE case_id = ?1",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, case_id);
    if (permit_id > 0)
        sqlite3_bind_int64(st, 2, permit_id);
    sqlite3_bind_blob64(st, 3, pdf, len, SQLITE_STATIC);
    gis_store_bind_text(st, 4, sha256);
    return gis_store_step_done(w, st, "permits_applications", e);
}

enum err_code permits_store_app_pdf(struct gis_store *s, struct arena *a, const char *case_id, const void **pdf,
                                    size_t *len, const char **sha256, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT decision_pdf, decision_sha256 FROM permits_applications WHERE case_id = ?1 AND "
                          "decision_pdf IS NOT NULL",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, case_id);
    if (step_one(s, st, "permits_applications", "no decision for this case", e))
        return e->code;
    *len = (size_t)sqlite3_column_bytes(st, 0);
    void *p = arena_alloc(a, *len + 1);
    if (p)
        memcpy(p, sqlite3_column_blob(st, 0), *len);
    *pdf = p;
    *sha256 = gis_store_col_text(a, st, 1);
    sqlite3_finalize(st);
    return p ? ERR_OK : err_set(e, ERR_INTERNAL, "out of memory");
}

enum err_code permits_store_fee_put(struct gis_store *w, const struct permits_fee *f, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT OR REPLACE INTO permits_fees (permit_id, year, kind, sales_value_gr, statement_on, "
                          "fee_gr, surcharge_gr, nrb) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, f->permit_id);
    sqlite3_bind_int(st, 2, f->year);
    gis_store_bind_text(st, 3, f->kind);
    if (f->sales_value_gr >= 0)
        sqlite3_bind_int64(st, 4, f->sales_value_gr);
    gis_store_bind_text(st, 5, f->statement_on);
    sqlite3_bind_int64(st, 6, f->fee_gr);
    sqlite3_bind_int64(st, 7, f->surcharge_gr);
    gis_store_bind_text(st, 8, f->nrb);
    return gis_store_step_done(w, st, "permits_fees", e);
}

enum err_code permits_store_fee_get(struct gis_store *s, struct arena *a, long permit_id, int year,
                                    struct permits_fee *out, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT kind, coalesce(sales_value_gr, -1), statement_on, fee_gr, surcharge_gr, nrb FROM "
                          "permits_fees WHERE permit_id = ?1 AND year = ?2",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, permit_id);
    sqlite3_bind_int(st, 2, year);
    if (step_one(s, st, "permits_fees", arena_printf(a, "no fee of permit %ld for %d", permit_id, year), e))
        return e->code;
    *out = (struct permits_fee){.permit_id = permit_id,
                                .year = year,
                                .kind = gis_store_col_text(a, st, 0),
                                .sales_value_gr = (long)sqlite3_column_int64(st, 1),
                                .statement_on = gis_store_col_text(a, st, 2),
                                .fee_gr = (long)sqlite3_column_int64(st, 3),
                                .surcharge_gr = (long)sqlite3_column_int64(st, 4),
                                .nrb = gis_store_col_text(a, st, 5)};
    sqlite3_finalize(st);
    return ERR_OK;
}

/* ---- /locate, demo, units ---- */

static const char *const locate_sql[] = {
    "SELECT DISTINCT o.id, o.name FROM permits_outlets o JOIN permits_permits p ON p.outlet_id = o.id AND p.status = "
    "'wydane' WHERE o.address_id = ?1 ORDER BY o.id",
    "SELECT DISTINCT o.id, o.name FROM permits_outlets o JOIN permits_permits p ON p.outlet_id = o.id AND p.status = "
    "'wydane' WHERE o.parcel_id = ?2 ORDER BY o.id",
};

enum err_code permits_store_locate(struct gis_store *s, struct arena *a, long address_id, const char *parcel_id,
                                   int *count, const char **names, int max, int *nnames, struct err *e)
{
    *count = *nnames = 0;
    sqlite3_stmt *st = gis_store_cached(s, locate_sql[address_id <= 0], e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, address_id);
    gis_store_bind_text(st, 2, parcel_id);
    int rc;
    while ((rc = step_cached(s, st, "permits_outlets", e)) == SQLITE_ROW) {
        if (*nnames < max)
            names[(*nnames)++] = gis_store_col_text(a, st, 1);
        (*count)++;
    }
    if (rc != SQLITE_DONE)
        return e->code;
    gis_store_release(st);
    return ERR_OK;
}

enum err_code permits_store_addresses(struct gis_store *s, struct arena *a, int step, struct permits_address *out,
                                      int max, int *n, struct err *e)
{
    sqlite3_stmt *st;
    *n = 0;
    if (gis_store_prepare(s,
                          "SELECT a.id, st.prefix, st.name, a.number, a.postal_code, l.name, a.parcel_id, b.name, "
                          "X(a.geom), Y(a.geom) FROM addresses a JOIN localities l ON l.id = a.locality_id JOIN "
                          "streets st ON st.id = a.street_id JOIN parcels p ON p.parcel_id = a.parcel_id JOIN obreby "
                          "b ON b.id = p.obreb_id WHERE a.geom IS NOT NULL AND a.id % ?1 = 0 ORDER BY a.id",
                          &st, e))
        return e->code;
    sqlite3_bind_int(st, 1, step > 0 ? step : 1);
    int rc;
    while ((rc = step_row(s, st, "addresses", e)) == SQLITE_ROW && *n < max) {
        const char *pre = (const char *)sqlite3_column_text(st, 1), *street = (const char *)sqlite3_column_text(st, 2),
                   *num = (const char *)sqlite3_column_text(st, 3), *pc = (const char *)sqlite3_column_text(st, 4),
                   *loc = (const char *)sqlite3_column_text(st, 5);
        out[*n] = (struct permits_address){.id = (long)sqlite3_column_int64(st, 0),
                                           .label = gis_place_address_label(a, pre, street, num, pc, loc),
                                           .parcel_id = gis_store_col_text(a, st, 6),
                                           .obreb = gis_store_col_text(a, st, 7),
                                           .x = sqlite3_column_double(st, 8),
                                           .y = sqlite3_column_double(st, 9)};
        (*n)++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return e->code;
    sqlite3_finalize(st);
    return ERR_OK;
}

static const char unit_sql[] = "SELECT b.name FROM parcels p JOIN obreby b ON b.id = p.obreb_id WHERE p.parcel_id = ?1";

const char *permits_store_unit(struct gis_store *s, struct arena *a, const char *parcel_id)
{
    struct err e = {0};
    sqlite3_stmt *st = parcel_id ? gis_store_cached(s, unit_sql, &e) : NULL;
    if (!st)
        return NULL;
    gis_store_bind_text(st, 1, parcel_id);
    const char *u = sqlite3_step(st) == SQLITE_ROW ? gis_store_col_text(a, st, 0) : NULL;
    gis_store_release(st);
    return u;
}

enum err_code permits_store_zone_use(struct gis_store *s, struct arena *a, const char *kind, const char *symbol,
                                     const char *use, struct permits_zone_use *out, struct err *e)
{
    bool temp;
    struct permits_book *b = book_get(s, NULL, &temp, e);
    if (!b)
        return e->code;
    for (int i = 0; i < b->nzu; i++)
        if (same(b->zu[i].kind, kind) && same(b->zu[i].symbol, symbol) && same(b->zu[i].use, use)) {
            *out = (struct permits_zone_use){dup(a, b->zu[i].u.verdict), dup(a, b->zu[i].u.source),
                                             dup(a, b->zu[i].u.uncertainty)};
            book_done(b, temp);
            return ERR_OK;
        }
    book_done(b, temp);
    return err_set(e, ERR_NOT_FOUND, "no zone use for %s %s", kind, symbol);
}

enum err_code permits_store_outlet_touch(struct gis_store *w, long id, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "UPDATE permits_outlets SET geom = MakePoint(X(geom), Y(geom), 2180) WHERE id = ?1", &st,
                          e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    return gis_store_step_done(w, st, "permits_outlets", e);
}

const char *permits_store_lapsed_on(struct gis_store *s, struct arena *a, const char *nip, const char *const *reasons,
                                    struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT max(p.status_on) FROM permits_permits p JOIN permits_outlets o ON o.id = p.outlet_id "
                          "WHERE o.operator_nip = ?1 AND p.status = 'wygaszone' AND (substr(p.status_reason, 1, "
                          "length(?2)) = ?2 OR substr(p.status_reason, 1, length(?3)) = ?3)",
                          &st, e))
        return NULL;
    gis_store_bind_text(st, 1, nip);
    gis_store_bind_text(st, 2, reasons[0]);
    gis_store_bind_text(st, 3, reasons[0] && reasons[1] ? reasons[1] : reasons[0]);
    int rc = step_row(s, st, "permits_permits", e);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return NULL;
    const char *on = rc == SQLITE_ROW ? gis_store_col_text(a, st, 0) : NULL;
    sqlite3_finalize(st);
    return on;
}
