/* The reads of a layer's table: the spatial-index bbox query of maps and vector tiles, the extent and
 * what tileset metadata says of a layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/layers.h"
#include "gis/calendar.h"
#include "gis/store_sql.h"
#include "util/buf.h"

void gis_layer_bbox_sql(struct buf *b, const struct gis_layer *L, const char *const param[4], const char *extra)
{
    buf_printf(b, "t.id IN (SELECT pkid FROM idx_%s_geom WHERE xmin <= %s AND xmax >= %s AND ymin <= %s AND ymax >= %s",
               L->table, param[0], param[1], param[2], param[3]);
    if (extra)
        buf_printf(b, " AND %s", extra);
    buf_puts(b, ")");
}

/* The map query of layer i, built once and kept for the process: the store keeps it prepared per
 * connection (gis_store_cached looks it up by address). NULL when out of memory. */
static const char *bbox_sql(const struct gis_layer *L, int i)
{
    static char *sql[GIS_LAYERS_MAX];
    char *q = __atomic_load_n(&sql[i], __ATOMIC_ACQUIRE);
    if (q)
        return q;
    struct buf b = {0};
    if (L->map.dated == GIS_LAYER_PLAN_PART)
        buf_puts(&b, "SELECT t.id, AsBinary(" GIS_PLAN_PART_GEOM_SQL("t", "?7") ")");
    else
        buf_puts(&b, "SELECT t.id, AsBinary(t.geom)");
    for (const char *const *c = L->map.cols; c && *c; c++)
        buf_printf(&b, ", %s", *c);
    buf_printf(&b, " FROM %s WHERE ", L->map.from);
    gis_layer_bbox_sql(&b, L, (const char *const[]){"?1", "?2", "?3", "?4"},
                       "(xmax - xmin >= ?5 OR ymax - ymin >= ?5)");
    if (L->map.dated == GIS_LAYER_PLANS)
        buf_puts(&b, " AND " GIS_PLAN_IN_FORCE_SQL("t", "?7"));
    else if (L->map.dated == GIS_LAYER_PLAN_PART)
        buf_puts(&b, " AND t.plan_id IN (SELECT p.id FROM plans p WHERE " GIS_PLAN_IN_FORCE_SQL("p", "?7") ")");
    buf_puts(&b, " LIMIT ?6");
    if (b.failed) {
        buf_free(&b);
        return NULL;
    }
    char *expected = NULL;
    if (!__atomic_compare_exchange_n(&sql[i], &expected, b.data, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        buf_free(&b); /* another thread built it first */
        return expected;
    }
    return b.data;
}

void gis_layer_row_value(const struct gis_layer_row *row, int k, struct gis_value *v)
{
    sqlite3_stmt *st = row->cursor;
    int col = 2 + k;
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER:
        v->type = GIS_VALUE_INT;
        v->i = sqlite3_column_int64(st, col);
        v->d = (double)v->i;
        break;
    case SQLITE_FLOAT:
        v->type = GIS_VALUE_REAL;
        v->d = sqlite3_column_double(st, col);
        break;
    case SQLITE_TEXT:
        v->type = GIS_VALUE_TEXT;
        v->text = (const char *)sqlite3_column_text(st, col);
        v->len = (size_t)sqlite3_column_bytes(st, col);
        break;
    default: v->type = GIS_VALUE_NULL; break;
    }
}

enum err_code gis_store_bbox_query(struct gis_store *s, const struct gis_layer *L, const double bbox[4],
                                   double min_size, long limit, const char *date, gis_layer_row_fn fn, void *ctx,
                                   struct err *e)
{
    char today[11];
    if (!date && L->map.dated) {
        gis_cal_format_date(gis_cal_today(), today);
        date = today;
    }
    int i = gis_layer_index(L);
    if (i < 0 || !L->map.from)
        return err_set(e, ERR_INTERNAL, "layer %s: not a map layer of the table", L->table);
    const char *sql = bbox_sql(L, i);
    sqlite3_stmt *st = sql ? gis_store_cached(s, sql, e) : NULL;
    if (!st)
        return sql ? e->code : err_set(e, ERR_INTERNAL, "out of memory");
    sqlite3_bind_double(st, 1, bbox[2]);
    sqlite3_bind_double(st, 2, bbox[0]);
    sqlite3_bind_double(st, 3, bbox[3]);
    sqlite3_bind_double(st, 4, bbox[1]);
    sqlite3_bind_double(st, 5, min_size);
    sqlite3_bind_int64(st, 6, limit);
    if (L->map.dated)
        sqlite3_bind_text(st, 7, date, -1, SQLITE_STATIC);
    struct gis_layer_row row = {.cursor = st};
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        row.id = sqlite3_column_int64(st, 0);
        row.wkb = sqlite3_column_blob(st, 1);
        row.wkb_len = (size_t)sqlite3_column_bytes(st, 1);
        if (!fn(ctx, &row)) {
            step = SQLITE_DONE;
            break;
        }
    }
    enum err_code rc =
        step == SQLITE_DONE ? ERR_OK : err_set(e, ERR_IO, "%s: %s", L->map.name, sqlite3_errmsg(gis_store_db(s)));
    gis_store_release(st);
    return rc;
}

/* The last plan state a connection computed, for its date and the store's data state: every cached tile
 * asks for today's, and the answer only changes with the data or the day. */
struct plan_state_memo {
    long long data_state, value;
    char date[11];
};
static const char plan_state_key = 0;

long long gis_plan_state(struct gis_store *s, const char *date)
{
    char today[11];
    if (!date) {
        gis_cal_format_date(gis_cal_today(), today);
        date = today;
    }
    long long ds = gis_store_data_state(s);
    struct plan_state_memo *memo = gis_store_attached(s, &plan_state_key);
    if (memo && ds >= 0 && memo->data_state == ds && !strcmp(memo->date, date))
        return memo->value;
    struct err e = {0};
    sqlite3_stmt *st = gis_store_cached(
        s,
        "SELECT group_concat(id) FROM (SELECT id FROM plans p WHERE " GIS_PLAN_IN_FORCE_SQL("p", "?1") " ORDER BY id)",
        &e);
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
    unsigned long long h = 1469598103934665603ULL; /* FNV-1a */
    const unsigned char *ids = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    for (const unsigned char *c = ids ? ids : (const unsigned char *)""; *c; c++)
        h = (h ^ *c) * 1099511628211ULL;
    gis_store_release(st);
    long long v = (long long)(h >> 1);
    if (!memo && ds >= 0 && (memo = calloc(1, sizeof *memo)) && !gis_store_attach(s, &plan_state_key, memo, free)) {
        free(memo);
        memo = NULL;
    }
    if (memo && ds >= 0 && strlen(date) < sizeof memo->date) {
        memo->data_state = ds, memo->value = v;
        snprintf(memo->date, sizeof memo->date, "%s", date);
    }
    return v;
}

bool gis_layer_extent(struct gis_store *s, const struct gis_layer *L, double out[4])
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM idx_%s_geom", L->table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(gis_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return false;
    bool ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    for (int i = 0; ok && i < 4; i++)
        out[i] = sqlite3_column_double(st, i);
    sqlite3_finalize(st);
    return ok;
}

/* Numeric per SQLite's column affinity rules (section 3.1 of datatype3.html): INT, REAL, FLOA, DOUB, or
 * none of CHAR, CLOB, TEXT, BLOB (NUMERIC). */
static bool decl_numeric(const char *decl)
{
    char up[64];
    size_t n = 0;
    for (; n < sizeof up - 1 && decl[n]; n++)
        up[n] = (char)(decl[n] >= 'a' && decl[n] <= 'z' ? decl[n] - 32 : decl[n]);
    up[n] = 0;
    if (strstr(up, "INT"))
        return true;
    if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT") || strstr(up, "BLOB") || !*up)
        return false;
    return true;
}

void gis_layer_info(struct gis_store *s, const struct gis_layer *L, struct gis_layer_info *out)
{
    memset(out, 0, sizeof *out);
    sqlite3 *db = gis_store_db(s);
    char sql[1200];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM idx_%s_geom", L->table); /* the small R*Tree, not the rows */
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return; /* no such table in this store: an empty layer */
    if (sqlite3_step(st) == SQLITE_ROW)
        out->count = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT geometry_type FROM geometry_columns WHERE f_table_name = lower(?1)", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, L->table, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            static const char *const kinds[] = {NULL,    "Point",      "LineString", "Polygon",
                                                "Point", "LineString", "Polygon"};
            int k = sqlite3_column_int(st, 0) % 1000;
            out->geometry = k >= 0 && k <= 6 ? kinds[k] : NULL;
        }
        sqlite3_finalize(st);
    }
    int len = snprintf(sql, sizeof sql, "SELECT 0");
    for (const char *const *c = L->map.cols; c && *c; c++)
        len += snprintf(sql + len, sizeof sql - (size_t)len, ", %s", *c);
    snprintf(sql + len, sizeof sql - (size_t)len, " FROM %s LIMIT 1", L->map.from);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return;
    bool row = sqlite3_step(st) == SQLITE_ROW;
    for (int k = 0; k < GIS_LAYER_MAX_KEYS && L->map.keys[k]; k++) {
        const char *decl = sqlite3_column_decltype(st, 1 + k);
        int type = row ? sqlite3_column_type(st, 1 + k) : SQLITE_NULL;
        out->number[k] = decl ? decl_numeric(decl) : type == SQLITE_INTEGER || type == SQLITE_FLOAT;
    }
    sqlite3_finalize(st);
}
