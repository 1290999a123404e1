/* Feature queries for OGC API Features: SQL assembled only from the fixed collection table, with every
 * user value bound as a parameter. */
#include "gis/features.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gis/geojson.h"
#include "gis/store_sql.h"
#include "util/text.h"

const struct gis_collection *gis_collection_at(int i)
{
    const struct gis_layer *L;
    for (int k = 0; (L = gis_layer_at(k)); k++)
        if (L->collection.id && i-- == 0)
            return &L->collection;
    return NULL;
}

const struct gis_collection *gis_collection_find(const char *id)
{
    const struct gis_collection *c;
    for (int i = 0; (c = gis_collection_at(i)); i++)
        if (!strcmp(c->id, id))
            return c;
    return NULL;
}

const struct gis_prop *gis_collection_prop(const struct gis_collection *c, const char *name)
{
    for (const struct gis_prop *p = c->props; p->name; p++)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

const struct gis_prop *gis_collection_queryable_at(const struct gis_collection *c, int i)
{
    for (const struct gis_prop *p = c->props; p->name; p++)
        if (p->queryable && i-- == 0)
            return p;
    return NULL;
}

const struct gis_prop *gis_collection_queryable(const struct gis_collection *c, const char *name)
{
    const struct gis_prop *p;
    for (int i = 0; (p = gis_collection_queryable_at(c, i)); i++)
        if (!strcmp(p->name, name))
            return p;
    return NULL;
}

const char *gis_prop_schema_type(const struct gis_prop *p)
{
    return p->type == GIS_PROP_INT ? "integer" : p->type == GIS_PROP_REAL ? "number" : "string";
}

/* The bbox as a densified polygon in EPSG:2180 (WKB) and its MBR, for an exact intersects test. */
static enum err_code bbox_to_store(const struct gis_feature_query *q, struct buf *wkb, double mbr[4], struct err *e)
{
    enum { STEPS = 16 };
    double pts[(4 * STEPS + 1) * 2];
    const double *b = q->bbox;
    size_t n = 0;
    for (int side = 0; side < 4; side++)
        for (int i = 0; i < STEPS; i++) {
            double f = (double)i / STEPS, x, y;
            switch (side) {
            case 0: x = b[0] + (b[2] - b[0]) * f, y = b[1]; break;
            case 1: x = b[2], y = b[1] + (b[3] - b[1]) * f; break;
            case 2: x = b[2] - (b[2] - b[0]) * f, y = b[3]; break;
            default: x = b[0], y = b[3] - (b[3] - b[1]) * f; break;
            }
            pts[2 * n] = x, pts[2 * n + 1] = y, n++;
        }
    pts[2 * n] = pts[0], pts[2 * n + 1] = pts[1], n++;
    if (gis_crs_transform(q->bbox_crs, GIS_CRS_2180, pts, n, e))
        return err_param(e, "bbox", "bbox cannot be transformed to the storage CRS");
    mbr[0] = mbr[2] = pts[0];
    mbr[1] = mbr[3] = pts[1];
    /* WKB, not WKT: SpatiaLite's WKT parser takes a 16 MB stack for every call */
    unsigned char head[13] = {1, 3, 0, 0, 0, 1, 0, 0, 0};
    uint32_t np = (uint32_t)n;
    for (int k = 0; k < 4; k++)
        head[9 + k] = (unsigned char)(np >> (8 * k));
    buf_append(wkb, (const char *)head, sizeof head);
    for (size_t i = 0; i < n; i++) {
        mbr[0] = fmin(mbr[0], pts[2 * i]), mbr[2] = fmax(mbr[2], pts[2 * i]);
        mbr[1] = fmin(mbr[1], pts[2 * i + 1]), mbr[3] = fmax(mbr[3], pts[2 * i + 1]);
        for (int c = 0; c < 2; c++) { /* little-endian doubles, as the header says */
            uint64_t bits;
            memcpy(&bits, &pts[2 * i + c], sizeof bits);
            unsigned char le[8];
            for (int k = 0; k < 8; k++)
                le[k] = (unsigned char)(bits >> (8 * k));
            buf_append(wkb, (const char *)le, sizeof le);
        }
    }
    return ERR_OK;
}

/* WHERE clause and its bindings, shared by the count and the page query. */
struct where {
    struct buf sql;
    struct buf bbox_wkb;
    double mbr[4];
};

static enum err_code where_build(const struct gis_feature_query *q, struct where *w, struct err *e)
{
    buf_puts(&w->sql, " WHERE 1");
    if (q->fid > 0)
        buf_puts(&w->sql, " AND t.id = :fid");
    if (q->has_bbox) {
        if (bbox_to_store(q, &w->bbox_wkb, w->mbr, e))
            return e->code;
        buf_puts(&w->sql, " AND ");
        gis_layer_bbox_sql(&w->sql, gis_collection_layer(q->c),
                           (const char *const[]){":maxx", ":minx", ":maxy", ":miny"}, NULL);
        buf_puts(&w->sql,
                 q->date && !q->date_to && gis_collection_layer(q->c)->map.dated == GIS_LAYER_PLAN_PART
                     ? " AND ST_Intersects(" GIS_PLAN_PART_GEOM_SQL("t", ":date") ", ST_GeomFromWKB(:bbox, 2180))"
                     : " AND ST_Intersects(t.geom, ST_GeomFromWKB(:bbox, 2180))");
    }
    int dated = q->date ? gis_collection_layer(q->c)->map.dated : GIS_LAYER_UNDATED;
    if (dated == GIS_LAYER_PLANS)
        buf_puts(&w->sql, q->date_to ? " AND " GIS_PLAN_IN_FORCE_DURING_SQL("t", ":date", ":date_to")
                                     : " AND " GIS_PLAN_IN_FORCE_SQL("t", ":date"));
    else if (dated == GIS_LAYER_PLAN_PART)
        buf_puts(&w->sql,
                 q->date_to
                     ? " AND t.plan_id IN (SELECT p.id FROM plans p WHERE " GIS_PLAN_IN_FORCE_DURING_SQL("p", ":date",
                                                                                                         ":date_to") ")"
                     : " AND t.plan_id IN (SELECT p.id FROM plans p WHERE " GIS_PLAN_IN_FORCE_SQL("p", ":date") ")");
    for (int i = 0; i < q->nfilter; i++) {
        const struct gis_prop *p = gis_collection_queryable(q->c, q->filter_name[i]);
        if (!p)
            return err_param(e, q->filter_name[i], "'%s' is not a queryable property of %s", q->filter_name[i],
                             q->c->id);
        buf_printf(&w->sql, " AND %s = :f%d", p->sql, i);
    }
    return w->sql.failed || w->bbox_wkb.failed ? err_set(e, ERR_INTERNAL, "out of memory") : ERR_OK;
}

static enum err_code where_bind(const struct gis_feature_query *q, const struct where *w, sqlite3_stmt *st,
                                struct err *e)
{
    int idx;
    if ((idx = sqlite3_bind_parameter_index(st, ":fid")))
        sqlite3_bind_int64(st, idx, q->fid);
    if ((idx = sqlite3_bind_parameter_index(st, ":date")))
        sqlite3_bind_text(st, idx, q->date, -1, SQLITE_STATIC);
    if ((idx = sqlite3_bind_parameter_index(st, ":date_to")))
        sqlite3_bind_text(st, idx, q->date_to, -1, SQLITE_STATIC);
    if (q->has_bbox) {
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":minx"), w->mbr[0]);
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":miny"), w->mbr[1]);
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":maxx"), w->mbr[2]);
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":maxy"), w->mbr[3]);
        sqlite3_bind_blob(st, sqlite3_bind_parameter_index(st, ":bbox"), w->bbox_wkb.data, (int)w->bbox_wkb.len,
                          SQLITE_STATIC);
    }
    for (int i = 0; i < q->nfilter; i++) {
        char name[16];
        snprintf(name, sizeof name, ":f%d", i);
        idx = sqlite3_bind_parameter_index(st, name);
        const struct gis_prop *p = gis_collection_prop(q->c, q->filter_name[i]);
        const char *v = q->filter_value[i];
        long lv;
        double dv;
        if (p->type == GIS_PROP_INT) {
            if (!text_parse_long(v, -(1L << 53), 1L << 53, &lv))
                return err_param(e, q->filter_name[i], "'%s' must be an integer", q->filter_name[i]);
            sqlite3_bind_int64(st, idx, lv);
        } else if (p->type == GIS_PROP_REAL) {
            if (!text_parse_double(v, &dv))
                return err_param(e, q->filter_name[i], "'%s' must be a number", q->filter_name[i]);
            sqlite3_bind_double(st, idx, dv);
        } else {
            sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC);
        }
    }
    return ERR_OK;
}

static void write_feature(struct buf *out, const struct gis_collection *c, sqlite3_stmt *st, enum gis_crs crs)
{
    buf_printf(out, "{\"type\":\"Feature\",\"id\":%lld,\"geometry\":", (long long)sqlite3_column_int64(st, 0));
    const unsigned char *wkb = sqlite3_column_blob(st, 1);
    struct err ge = {0};
    size_t at = out->len;
    if (!wkb || gis_geojson_from_wkb(out, wkb, (size_t)sqlite3_column_bytes(st, 1), crs, &ge)) {
        out->len = at; /* a geometry that cannot be read or transformed is null, as AsGeoJSON gave */
        buf_puts(out, "null");
    }
    buf_puts(out, ",\"properties\":{");
    int col = 2;
    for (const struct gis_prop *p = c->props; p->name; p++, col++) {
        buf_printf(out, "%s\"%s\":", col > 2 ? "," : "", p->name);
        switch (sqlite3_column_type(st, col)) {
        case SQLITE_NULL: buf_puts(out, "null"); break;
        case SQLITE_INTEGER: buf_printf(out, "%lld", (long long)sqlite3_column_int64(st, col)); break;
        case SQLITE_FLOAT: {
            double v = sqlite3_column_double(st, col);
            if (isfinite(v)) {
                /* Always a decimal point, so clients infer a real type even for whole values. */
                char num[40];
                snprintf(num, sizeof num, "%.15g", v);
                buf_puts(out, num);
                if (!strpbrk(num, ".en"))
                    buf_puts(out, ".0");
            } else
                buf_puts(out, "null");
            break;
        }
        default: buf_json_string(out, (const char *)sqlite3_column_text(st, col)); break;
        }
    }
    buf_puts(out, "}}");
}

enum err_code gis_features_query(struct gis_store *s, const struct gis_feature_query *q, struct buf *out, long *matched,
                                 long *returned, struct err *e)
{
    struct where w = {0};
    struct buf sql = {0};
    sqlite3_stmt *st = NULL;
    enum err_code rc = where_build(q, &w, e);
    if (rc)
        goto done;
    *returned = 0;
    if (matched) {
        buf_printf(&sql, "SELECT count(*) FROM %s%s", q->c->from, w.sql.data);
        if ((rc = gis_store_prepare(s, sql.data, &st, e)) || (rc = where_bind(q, &w, st, e)))
            goto done;
        if (sqlite3_step(st) != SQLITE_ROW) {
            rc = err_set(e, ERR_IO, "count query failed: %s", sqlite3_errmsg(gis_store_db(s)));
            goto done;
        }
        *matched = (long)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        st = NULL;
        buf_free(&sql);
    }
    buf_puts(&sql, "SELECT t.id, AsBinary(t.geom)");
    for (const struct gis_prop *p = q->c->props; p->name; p++)
        buf_printf(&sql, ", %s", p->sql);
    buf_printf(&sql, " FROM %s%s ORDER BY t.id LIMIT :limit OFFSET :offset", q->c->from, w.sql.data);
    if (sql.failed) {
        rc = err_set(e, ERR_INTERNAL, "out of memory");
        goto done;
    }
    if ((rc = gis_store_prepare(s, sql.data, &st, e)) || (rc = where_bind(q, &w, st, e)))
        goto done;
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), q->limit);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":offset"), q->offset);
    buf_puts(out, "[");
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*returned)
            buf_puts(out, ",");
        write_feature(out, q->c, st, q->out_crs);
        (*returned)++;
    }
    buf_puts(out, "]");
    if (step != SQLITE_DONE)
        rc = err_set(e, ERR_IO, "feature query failed: %s", sqlite3_errmsg(gis_store_db(s)));
    else if (out->failed)
        rc = err_set(e, ERR_INTERNAL, "out of memory");
done:
    sqlite3_finalize(st);
    buf_free(&sql);
    buf_free(&w.sql);
    buf_free(&w.bbox_wkb);
    return rc;
}

bool gis_collection_extent(struct gis_store *s, const struct gis_collection *c, double out[4])
{
    double b[4];
    struct err e = {0};
    return gis_layer_extent(s, gis_collection_layer(c), b) &&
           gis_crs_transform_bbox(GIS_CRS_2180, GIS_CRS_CRS84, b, out, &e) == ERR_OK;
}
