/* The business module's SQL (store.h). */
#include <stdio.h>
#include <string.h>

#include "gis/store_sql.h"
#include "services/modules/business/store.h"

#include <sqlite3.h>

static enum err_code io_error(struct gis_store *s, const char *what, struct err *e)
{
    return err_set(e, ERR_IO, "%s: %s", what, sqlite3_errmsg(gis_store_db(s)));
}

/* ---- businesses ---- */

enum err_code business_store_business_put(struct gis_store *w, struct business_row *b, enum business_change *ch,
                                          struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "SELECT id, regon IS ?2 AND name = ?3 AND pkd_main IS ?4 AND pkd_other = ?5 AND "
                          "pkd_from_2007 = ?6 FROM business_entities WHERE nip = ?1",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, b->nip);
    gis_store_bind_text(st, 2, b->regon);
    gis_store_bind_text(st, 3, b->name);
    gis_store_bind_text(st, 4, b->pkd_main);
    gis_store_bind_text(st, 5, b->pkd_other);
    sqlite3_bind_int(st, 6, b->from_2007);
    int step = sqlite3_step(st);
    b->id = step == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    bool same = step == SQLITE_ROW && sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return io_error(w, "business_entities", e);
    if (same) {
        *ch = BUSINESS_UNCHANGED;
        return ERR_OK;
    }
    const char *sql = b->id ? "UPDATE business_entities SET regon = ?2, name = ?3, pkd_main = ?4, pkd_section = ?5, "
                              "pkd_other = ?6, pkd_from_2007 = ?7, source = ?8, source_id = ?9, imported_at = ?10 "
                              "WHERE nip = ?1"
                            : "INSERT INTO business_entities (nip, regon, name, pkd_main, pkd_section, pkd_other, "
                              "pkd_from_2007, source, source_id, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                              "?8, ?9, ?10)";
    if (gis_store_prepare(w, sql, &st, e))
        return e->code;
    gis_store_bind_text(st, 1, b->nip);
    gis_store_bind_text(st, 2, b->regon);
    gis_store_bind_text(st, 3, b->name);
    gis_store_bind_text(st, 4, b->pkd_main);
    gis_store_bind_text(st, 5, b->pkd_section[0] ? b->pkd_section : NULL);
    gis_store_bind_text(st, 6, b->pkd_other);
    sqlite3_bind_int(st, 7, b->from_2007);
    gis_store_bind_text(st, 8, b->source);
    gis_store_bind_text(st, 9, b->source_id);
    gis_store_bind_text(st, 10, b->imported_at);
    if (gis_store_step_done(w, st, "business_entities", e))
        return e->code;
    if (!b->id)
        b->id = (long)sqlite3_last_insert_rowid(gis_store_db(w));
    *ch = b->id && step == SQLITE_ROW ? BUSINESS_UPDATED : BUSINESS_NEW;
    return ERR_OK;
}

/* ---- places ---- */

static enum err_code queue_put(struct gis_store *w, const struct business_place_row *p, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT INTO business_unmatched (place_id, reason, queued_at) VALUES (?1, ?2, ?3) "
                          "ON CONFLICT (place_id) DO UPDATE SET reason = excluded.reason",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, p->id);
    gis_store_bind_text(st, 2, p->reason ? p->reason : "no address point matches");
    gis_store_bind_text(st, 3, p->queued_at);
    return gis_store_step_done(w, st, "business_unmatched", e);
}

enum err_code business_store_place_put(struct gis_store *w, struct business_place_row *p, enum business_change *ch,
                                       struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "SELECT id, flat IS ?4 AND start_date IS ?5 AND end_date IS ?6 AND status = ?7 AND "
                          "(matched_by = 'manual' OR address_id IS ?8), matched_by = 'manual', address_id IS NULL FROM "
                          "business_places "
                          "WHERE business_id = ?1 AND kind = ?2 AND address_text = ?3",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, p->business_id);
    gis_store_bind_text(st, 2, p->main ? "main" : "additional");
    gis_store_bind_text(st, 3, p->address_text);
    gis_store_bind_text(st, 4, p->flat);
    gis_store_bind_text(st, 5, p->start);
    gis_store_bind_text(st, 6, p->end);
    gis_store_bind_text(st, 7, business_status_name(p->status));
    if (p->address_id)
        sqlite3_bind_int64(st, 8, p->address_id);
    int step = sqlite3_step(st);
    p->id = step == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    bool same = step == SQLITE_ROW && sqlite3_column_int(st, 1),
         manual = step == SQLITE_ROW && sqlite3_column_int(st, 2);
    bool was_unmatched = step != SQLITE_ROW || sqlite3_column_int(st, 3);
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return io_error(w, "business_places", e);
    if (same) {
        *ch = BUSINESS_UNCHANGED;
        return ERR_OK;
    }
    bool locate = p->address_id && !manual;
    const char *sql =
        !p->id ? "INSERT INTO business_places (business_id, kind, address_text, flat, start_date, end_date, status, "
                 "address_id, parcel_id, matched_by, geom) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                 "CASE WHEN ?8 IS NULL THEN NULL ELSE MakePoint(?11, ?12, 2180) END)"
        : locate
            ? "UPDATE business_places SET flat = ?4, start_date = ?5, end_date = ?6, status = ?7, address_id = ?8, "
              "parcel_id = ?9, matched_by = ?10, geom = MakePoint(?11, ?12, 2180) WHERE id = ?13"
            : "UPDATE business_places SET flat = ?4, start_date = ?5, end_date = ?6, status = ?7 WHERE id = ?13";
    if (gis_store_prepare(w, sql, &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, p->business_id);
    gis_store_bind_text(st, 2, p->main ? "main" : "additional");
    gis_store_bind_text(st, 3, p->address_text);
    gis_store_bind_text(st, 4, p->flat);
    gis_store_bind_text(st, 5, p->start);
    gis_store_bind_text(st, 6, p->end);
    gis_store_bind_text(st, 7, business_status_name(p->status));
    if (p->address_id) {
        sqlite3_bind_int64(st, 8, p->address_id);
        gis_store_bind_text(st, 9, p->parcel_id);
        gis_store_bind_text(st, 10, p->matched_by);
        sqlite3_bind_double(st, 11, p->x);
        sqlite3_bind_double(st, 12, p->y);
    }
    sqlite3_bind_int64(st, 13, p->id);
    if (gis_store_step_done(w, st, "business_places", e))
        return e->code;
    *ch = p->id ? BUSINESS_UPDATED : BUSINESS_NEW;
    if (!p->id)
        p->id = (long)sqlite3_last_insert_rowid(gis_store_db(w));
    if (!p->address_id && was_unmatched)
        return queue_put(w, p, e);
    if (locate) { /* matched now: out of the queue */
        if (gis_store_prepare(w, "DELETE FROM business_unmatched WHERE place_id = ?1", &st, e))
            return e->code;
        sqlite3_bind_int64(st, 1, p->id);
        return gis_store_step_done(w, st, "business_unmatched", e);
    }
    return ERR_OK;
}

enum err_code business_store_place_match(struct gis_store *w, long id, long address_id, const char *parcel_id, double x,
                                         double y, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "UPDATE business_places SET address_id = ?2, parcel_id = ?3, matched_by = 'manual', "
                          "geom = MakePoint(?4, ?5, 2180) WHERE id = ?1",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    if (address_id)
        sqlite3_bind_int64(st, 2, address_id);
    gis_store_bind_text(st, 3, parcel_id);
    sqlite3_bind_double(st, 4, x);
    sqlite3_bind_double(st, 5, y);
    if (gis_store_step_done(w, st, "business_places", e))
        return e->code;
    if (sqlite3_changes(gis_store_db(w)) == 0)
        return err_set(e, ERR_NOT_FOUND, "no place of business %ld", id);
    if (gis_store_prepare(w, "DELETE FROM business_unmatched WHERE place_id = ?1", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    return gis_store_step_done(w, st, "business_unmatched", e);
}

/* ---- PKD and the zoning mapping ---- */

bool business_store_pkd_2007(struct gis_store *s, const char *code2007, char out[8], struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT pkd2025 FROM business_pkd_2007_2025 WHERE pkd2007 = ?1", &st, e))
        return false;
    gis_store_bind_text(st, 1, code2007);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        snprintf(out, 8, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return found;
}

enum err_code business_store_pkd_category(struct gis_store *s, struct arena *a, const char *code,
                                          struct business_category *out, struct err *e)
{
    char section[2] = {business_pkd2025_section(code), 0}, division[3] = {0}, class_[6] = {0};
    memcpy(division, code, 2);
    memcpy(class_, code, 5);
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT prefix, category, source, uncertainty FROM business_pkd_categories "
                          "WHERE prefix IN (?1, ?2, ?3, ?4) ORDER BY length(prefix) DESC LIMIT 1",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, section);
    gis_store_bind_text(st, 2, division);
    gis_store_bind_text(st, 3, class_);
    gis_store_bind_text(st, 4, code);
    int step = sqlite3_step(st);
    enum err_code rc = ERR_OK;
    if (step == SQLITE_ROW) {
        out->prefix = gis_store_col_text(a, st, 0);
        out->category = gis_store_col_text(a, st, 1);
        out->source = gis_store_col_text(a, st, 2);
        out->uncertainty = gis_store_col_text(a, st, 3);
    } else {
        rc = step == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no category for PKD %s", code)
                                 : io_error(s, "business_pkd_categories", e);
    }
    sqlite3_finalize(st);
    return rc;
}

enum err_code business_store_zone_at(struct gis_store *s, struct arena *a, const char *kind, double x, double y,
                                     struct business_zone *out, struct err *e)
{
    static const char *const sql[2] = {
        "SELECT z.id, z.label, z.symbol, z.name, p.title FROM plan_zones z JOIN plans p ON p.id = z.plan_id "
        "WHERE z.id IN (SELECT pkid FROM idx_plan_zones_geom WHERE xmin <= ?1 AND xmax >= ?1 AND ymin <= ?2 AND "
        "ymax >= ?2) AND ST_Contains(z.geom, MakePoint(?1, ?2, 2180)) ORDER BY z.id LIMIT 1",
        "SELECT z.id, z.label, z.symbol, z.name, p.title FROM pog_zones z JOIN plans p ON p.id = z.plan_id "
        "WHERE z.id IN (SELECT pkid FROM idx_pog_zones_geom WHERE xmin <= ?1 AND xmax >= ?1 AND ymin <= ?2 AND "
        "ymax >= ?2) AND ST_Contains(z.geom, MakePoint(?1, ?2, 2180)) ORDER BY z.id LIMIT 1"};
    sqlite3_stmt *st = gis_store_cached(s, sql[strcmp(kind, "mpzp") != 0], e);
    if (!st)
        return e->code;
    sqlite3_bind_double(st, 1, x);
    sqlite3_bind_double(st, 2, y);
    int step = sqlite3_step(st);
    enum err_code rc = ERR_OK;
    if (step == SQLITE_ROW) {
        out->id = (long)sqlite3_column_int64(st, 0);
        out->label = gis_store_col_text(a, st, 1);
        out->symbol = gis_store_col_text(a, st, 2);
        out->name = gis_store_col_text(a, st, 3);
        out->plan = gis_store_col_text(a, st, 4);
    } else {
        rc = step == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no %s zone here", kind) : io_error(s, "zones", e);
    }
    gis_store_release(st);
    return rc;
}

enum err_code business_store_zone_rule(struct gis_store *s, struct arena *a, const char *kind, const char *symbol,
                                       const char *category, struct business_rule *out, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT verdict, source, uncertainty FROM business_zone_rules "
                          "WHERE plan_kind = ?1 AND symbol = ?2 AND category = ?3",
                          &st, e))
        return e->code;
    gis_store_bind_text(st, 1, kind);
    gis_store_bind_text(st, 2, symbol);
    gis_store_bind_text(st, 3, category);
    int step = sqlite3_step(st);
    enum err_code rc = ERR_OK;
    if (step == SQLITE_ROW) {
        if (!business_verdict_parse((const char *)sqlite3_column_text(st, 0), &out->verdict))
            out->verdict = BUSINESS_UNKNOWN;
        out->source = gis_store_col_text(a, st, 1);
        out->uncertainty = gis_store_col_text(a, st, 2);
    } else {
        rc = step == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no rule for %s %s", kind, symbol)
                                 : io_error(s, "business_zone_rules", e);
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- public answers ---- */

#define AT_SELECT                                                                                                      \
    "SELECT b.id, p.id, b.name, b.nip, b.regon, b.pkd_main, b.pkd_section, b.pkd_other, p.kind = 'main', "             \
    "p.address_text, p.flat, p.parcel_id, p.start_date, p.end_date, p.status, p.address_id "                           \
    "FROM business_places p JOIN business_entities b ON b.id = p.business_id "

enum err_code business_store_at_each(struct gis_store *s, long address_id, const char *parcel_id,
                                     bool (*fn)(void *ctx, const struct business_at *b), void *ctx, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          address_id > 0 ? AT_SELECT "WHERE p.address_id = ?1 ORDER BY b.name, p.id"
                                         : AT_SELECT "WHERE p.parcel_id = ?2 ORDER BY b.name, p.id",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, address_id);
    gis_store_bind_text(st, 2, parcel_id);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t[16];
        for (int i = 0; i < 16; i++)
            t[i] = (const char *)sqlite3_column_text(st, i);
        struct business_at b = {.business_id = (long)sqlite3_column_int64(st, 0),
                                .place_id = (long)sqlite3_column_int64(st, 1),
                                .name = t[2],
                                .nip = t[3],
                                .regon = t[4],
                                .pkd_main = t[5],
                                .pkd_section = t[6],
                                .pkd_other = t[7],
                                .main = sqlite3_column_int(st, 8),
                                .address_text = t[9],
                                .flat = t[10],
                                .parcel_id = t[11],
                                .start = t[12],
                                .end = t[13],
                                .status = t[14],
                                .address_id = (long)sqlite3_column_int64(st, 15)};
        if (!fn(ctx, &b))
            break;
    }
    enum err_code rc = step == SQLITE_ROW || step == SQLITE_DONE ? ERR_OK : io_error(s, "business_places", e);
    sqlite3_finalize(st);
    return rc;
}

enum err_code business_store_locate(struct gis_store *s, struct arena *a, long address_id, const char *parcel_id,
                                    int *count, const char **names, int max, int *nnames, struct err *e)
{
    static const char *const sql[2] = {
        "SELECT b.name, count(*) OVER () FROM business_places p JOIN business_entities b ON b.id = p.business_id "
        "WHERE p.address_id = ?1 AND p.status = 'active' ORDER BY b.name LIMIT ?3",
        "SELECT b.name, count(*) OVER () FROM business_places p JOIN business_entities b ON b.id = p.business_id "
        "WHERE p.parcel_id = ?2 AND p.status = 'active' ORDER BY b.name LIMIT ?3"};
    *count = *nnames = 0;
    sqlite3_stmt *st = gis_store_cached(s, sql[address_id <= 0], e);
    if (!st)
        return e->code;
    sqlite3_bind_int64(st, 1, address_id);
    gis_store_bind_text(st, 2, parcel_id);
    sqlite3_bind_int(st, 3, max);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        *count = sqlite3_column_int(st, 1);
        names[(*nnames)++] = gis_store_col_text(a, st, 0);
    }
    enum err_code rc = step == SQLITE_DONE ? ERR_OK : io_error(s, "business_places", e);
    gis_store_release(st);
    return rc;
}

enum err_code business_store_stats_each(struct gis_store *s, const char *kind, const char *zone_label,
                                        bool (*fn)(void *ctx, long zone_id, const char *label, const char *symbol,
                                                   const char *section, long count),
                                        void *ctx, struct err *e)
{
    static const char *const sql[2] = {
        "SELECT z.id, z.label, z.symbol, coalesce(b.pkd_section, '?'), count(*) FROM business_places p "
        "JOIN business_entities b ON b.id = p.business_id JOIN plan_zones z ON z.id IN (SELECT pkid FROM "
        "idx_plan_zones_geom WHERE xmin <= X(p.geom) AND xmax >= X(p.geom) AND ymin <= Y(p.geom) AND ymax >= "
        "Y(p.geom)) AND ST_Contains(z.geom, p.geom) WHERE p.status = 'active' AND p.geom IS NOT NULL AND "
        "(?1 IS NULL OR z.label = ?1) GROUP BY z.id, b.pkd_section ORDER BY z.id, b.pkd_section",
        "SELECT z.id, z.label, z.symbol, coalesce(b.pkd_section, '?'), count(*) FROM business_places p "
        "JOIN business_entities b ON b.id = p.business_id JOIN pog_zones z ON z.id IN (SELECT pkid FROM "
        "idx_pog_zones_geom WHERE xmin <= X(p.geom) AND xmax >= X(p.geom) AND ymin <= Y(p.geom) AND ymax >= "
        "Y(p.geom)) AND ST_Contains(z.geom, p.geom) WHERE p.status = 'active' AND p.geom IS NOT NULL AND "
        "(?1 IS NULL OR z.label = ?1) GROUP BY z.id, b.pkd_section ORDER BY z.id, b.pkd_section"};
    sqlite3_stmt *st;
    if (gis_store_prepare(s, sql[strcmp(kind, "mpzp") != 0], &st, e))
        return e->code;
    gis_store_bind_text(st, 1, zone_label);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (!fn(ctx, (long)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
                (long)sqlite3_column_int64(st, 4)))
            break;
    enum err_code rc = step == SQLITE_ROW || step == SQLITE_DONE ? ERR_OK : io_error(s, "business statistics", e);
    sqlite3_finalize(st);
    return rc;
}

enum err_code business_store_unmatched_each(struct gis_store *s,
                                            bool (*fn)(void *ctx, long place_id, const char *name, const char *nip,
                                                       const char *address_text, const char *reason),
                                            void *ctx, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT p.id, b.name, b.nip, p.address_text, u.reason FROM business_unmatched u "
                          "JOIN business_places p ON p.id = u.place_id JOIN business_entities b ON b.id = "
                          "p.business_id ORDER BY u.queued_at, p.id",
                          &st, e))
        return e->code;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (!fn(ctx, (long)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
                (const char *)sqlite3_column_text(st, 4)))
            break;
    enum err_code rc = step == SQLITE_ROW || step == SQLITE_DONE ? ERR_OK : io_error(s, "business_unmatched", e);
    sqlite3_finalize(st);
    return rc;
}

enum err_code business_store_addresses_each(struct gis_store *s,
                                            bool (*fn)(void *ctx, const struct business_store_address *a,
                                                       struct err *e),
                                            void *ctx, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT a.id, s.prefix, s.name, a.number, a.postal_code, l.name, a.parcel_id, X(a.geom), "
                          "Y(a.geom) FROM addresses a JOIN localities l ON l.id = a.locality_id "
                          "LEFT JOIN streets s ON s.id = a.street_id WHERE a.geom IS NOT NULL ORDER BY a.id",
                          &st, e))
        return e->code;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct business_store_address ad = {.id = (long)sqlite3_column_int64(st, 0),
                                            .street_prefix = (const char *)sqlite3_column_text(st, 1),
                                            .street = (const char *)sqlite3_column_text(st, 2),
                                            .number = (const char *)sqlite3_column_text(st, 3),
                                            .postal_code = (const char *)sqlite3_column_text(st, 4),
                                            .locality = (const char *)sqlite3_column_text(st, 5),
                                            .parcel_id = (const char *)sqlite3_column_text(st, 6),
                                            .x = sqlite3_column_double(st, 7),
                                            .y = sqlite3_column_double(st, 8)};
        if (!fn(ctx, &ad, e))
            break;
    }
    enum err_code rc = e->code                                     ? e->code
                       : step == SQLITE_ROW || step == SQLITE_DONE ? ERR_OK
                                                                   : io_error(s, "addresses", e);
    sqlite3_finalize(st);
    return rc;
}

/* ---- owners ---- */

enum err_code business_store_owner_link(struct gis_store *w, long id, long long account, const char *by, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "SELECT 1 FROM business_entities WHERE id = ?1", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE ? err_set(e, ERR_NOT_FOUND, "no business %ld", id)
                                   : io_error(w, "business_entities", e);
    if (gis_store_prepare(w,
                          "INSERT OR IGNORE INTO business_owners (business_id, account, linked_at, linked_by) VALUES "
                          "(?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?3)",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, account);
    gis_store_bind_text(st, 3, by);
    step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? ERR_OK : io_error(w, "business_owners", e);
}

enum err_code business_store_owner_unlink(struct gis_store *w, long id, long long account, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "DELETE FROM business_owners WHERE business_id = ?1 AND account = ?2", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, account);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return io_error(w, "business_owners", e);
    return sqlite3_changes(gis_store_db(w))
               ? ERR_OK
               : err_set(e, ERR_NOT_FOUND, "account %lld owns no business %ld", account, id);
}

enum err_code business_store_owns(struct gis_store *s, long id, long long account, bool *owns, struct err *e)
{
    sqlite3_stmt *st;
    *owns = false;
    if (gis_store_prepare(s, "SELECT 1 FROM business_owners WHERE business_id = ?1 AND account = ?2", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, account);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    *owns = step == SQLITE_ROW;
    return step == SQLITE_ROW || step == SQLITE_DONE ? ERR_OK : io_error(s, "business_owners", e);
}

static json_t *col_json(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL: return json_null();
    case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, i));
    default: {
        json_t *j = json_string((const char *)sqlite3_column_text(st, i));
        return j ? j : json_null();
    }
    }
}

/* Each row of st as an object of the named columns, appended to list. */
static enum err_code rows_json(struct gis_store *s, sqlite3_stmt *st, const char *const *names, json_t *list,
                               const char *what, struct err *e)
{
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        for (int i = 0; names[i]; i++)
            json_object_set_new(o, names[i], col_json(st, i));
        json_array_append_new(list, o);
    }
    enum err_code rc = step == SQLITE_DONE ? ERR_OK : io_error(s, what, e);
    sqlite3_finalize(st);
    return rc;
}

static const char *const entity_cols[] = {"id", "name", "nip", "regon", "pkd_main", "pkd_section", NULL};
#define ENTITY_SELECT "SELECT b.id, b.name, b.nip, b.regon, b.pkd_main, b.pkd_section FROM business_entities b "

enum err_code business_store_owned(struct gis_store *s, long long account, json_t *list, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          ENTITY_SELECT "JOIN business_owners o ON o.business_id = b.id WHERE o.account = ?1 ORDER "
                                        "BY b.name, b.id",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, account);
    return rows_json(s, st, entity_cols, list, "business_owners", e);
}

enum err_code business_store_entity(struct gis_store *s, long id, json_t **out, struct err *e)
{
    sqlite3_stmt *st;
    json_t *list = json_array(), *owners = json_array();
    *out = NULL;
    if (gis_store_prepare(s, ENTITY_SELECT "WHERE b.id = ?1", &st, e))
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    if (rows_json(s, st, entity_cols, list, "business_entities", e))
        goto fail;
    if (!json_array_size(list)) {
        err_set(e, ERR_NOT_FOUND, "no business %ld", id);
        goto fail;
    }
    if (gis_store_prepare(s, "SELECT account FROM business_owners WHERE business_id = ?1 ORDER BY account", &st, e))
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(owners, json_integer(sqlite3_column_int64(st, 0)));
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) {
        io_error(s, "business_owners", e);
        goto fail;
    }
    *out = json_incref(json_array_get(list, 0));
    json_object_set_new(*out, "owners", owners);
    json_decref(list);
    return ERR_OK;
fail:
    json_decref(list);
    json_decref(owners);
    return e->code;
}

enum err_code business_store_places(struct gis_store *s, long id, json_t *list, struct err *e)
{
    static const char *const cols[] = {"id",         "kind",     "address", "address_id", "parcel_id",
                                       "start_date", "end_date", "status",  NULL};
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT id, kind, address_text, address_id, parcel_id, start_date, end_date, status FROM "
                          "business_places WHERE business_id = ?1 ORDER BY kind = 'additional', id",
                          &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, id);
    return rows_json(s, st, cols, list, "business_places", e);
}

enum err_code business_store_owner_erase(struct gis_store *w, long long account, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(w, "DELETE FROM business_owners WHERE account = ?1", &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, account);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? ERR_OK : io_error(w, "business_owners", e);
}
