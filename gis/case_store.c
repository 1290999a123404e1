/* Cases over SQLite: the tables cases and case_events (see gis/case_store.h). */
#include "gis/case_store.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gis/calendar.h"
#include "gis/cases.h"
#include "gis/extract.h"
#include "gis/store_sql.h"

static const char *const statuses[] = {GIS_CASE_FILED, GIS_CASE_OPEN,    GIS_CASE_NEEDS,
                                       GIS_CASE_DONE,  GIS_CASE_REFUSED, GIS_CASE_WITHDRAWN};

bool gis_case_status_valid(const char *s)
{
    for (size_t i = 0; s && i < sizeof statuses / sizeof *statuses; i++)
        if (!strcmp(s, statuses[i]))
            return true;
    return false;
}

bool gis_case_status_open(const char *s)
{
    return s && (!strcmp(s, GIS_CASE_FILED) || !strcmp(s, GIS_CASE_OPEN) || !strcmp(s, GIS_CASE_NEEDS));
}

int gis_case_deadline(int day, int days)
{
    int d = day + days;
    while (!gis_cal_working_day(d))
        d++;
    return d;
}

enum err_code gis_case_stamp_init(int days, struct gis_case_stamp *s, struct err *e)
{
    _Static_assert(sizeof s->code == GIS_EXTRACT_CODE_LEN + 1, "verification code length");
    time_t now = time(NULL);
    struct tm lt, ut;
    localtime_r(&now, &lt);
    gmtime_r(&now, &ut);
    strftime(s->created, sizeof s->created, "%Y-%m-%dT%H:%M:%SZ", &ut);
    s->year = lt.tm_year + 1900;
    s->seq = 0;
    gis_cal_format_date(gis_case_deadline(gis_cal_day(s->year, lt.tm_mon + 1, lt.tm_mday), days), s->deadline);
    unsigned char rnd[16];
    if (gis_extract_new_code(s->code, e) || gis_extract_random(rnd, sizeof rnd, e))
        return e->code;
    for (int i = 0; i < 16; i++)
        snprintf(s->id + 2 * i, 3, "%02x", rnd[i]);
    return ERR_OK;
}

enum err_code gis_case_stamp_new(struct gis_store *w, int days, struct gis_case_stamp *s, struct err *e)
{
    if (gis_case_stamp_init(days, s, e) || gis_case_seq_next(w, s->year, &s->seq, e))
        return e->code;
    return ERR_OK;
}

enum err_code gis_case_seq_peek(struct gis_store *w, int year, long *seq, struct err *e)
{
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(w, "SELECT seq FROM case_sequences WHERE year = ?", e)))
        return e->code;
    sqlite3_bind_int(st, 1, year);
    int s = sqlite3_step(st);
    *seq = s == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    enum err_code rc = ERR_OK;
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        rc = err_set(e, ERR_IO, "case sequence: %s", sqlite3_errmsg(gis_store_db(w)));
    gis_store_release(st);
    return rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_id(sqlite3_stmt *st, int i, long long v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static enum err_code step_done(struct gis_store *w, sqlite3_stmt *st, const char *what, struct err *e)
{
    enum err_code rc = ERR_OK;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = err_set(e, ERR_IO, "%s: %s", what, sqlite3_errmsg(gis_store_db(w)));
    gis_store_release(st);
    return rc;
}

enum err_code gis_case_event_add(struct gis_store *w, const char *id, const char *actor, const char *status,
                                 const char *note, struct err *e)
{
    char at[32];
    time_t now = time(NULL);
    struct tm ut;
    gmtime_r(&now, &ut);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &ut);
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(w, "INSERT INTO case_events (case_id, at, actor, status, note) VALUES (?,?,?,?,?)", e)))
        return e->code;
    bind_text(st, 1, id);
    bind_text(st, 2, at);
    bind_text(st, 3, actor ? actor : "anonim");
    bind_text(st, 4, status);
    bind_text(st, 5, note);
    return step_done(w, st, "recording the case history", e);
}

enum err_code gis_case_insert(struct gis_store *w, const struct gis_case *c, const char *actor, struct err *e)
{
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(
              w,
              "INSERT INTO cases (id, case_number, seq, year, module, applicant_account, applicant_login, "
              "applicant_email, applicant_name, status, assigned_account, assigned_login, created_at, "
              "deadline, fee_pln, fee_status, verification_code, request, documents, reason) "
              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
              e)))
        return e->code;
    bind_text(st, 1, c->id);
    bind_text(st, 2, c->case_number);
    sqlite3_bind_int64(st, 3, c->seq);
    sqlite3_bind_int(st, 4, c->year);
    bind_text(st, 5, c->module);
    bind_id(st, 6, c->applicant_account);
    bind_text(st, 7, c->applicant_login);
    bind_text(st, 8, c->applicant_email);
    bind_text(st, 9, c->applicant_name);
    bind_text(st, 10, c->status);
    bind_id(st, 11, c->assigned_account);
    bind_text(st, 12, c->assigned_login);
    bind_text(st, 13, c->created_at);
    bind_text(st, 14, c->deadline);
    sqlite3_bind_int(st, 15, c->fee_pln);
    bind_text(st, 16, c->fee_status ? c->fee_status : "due");
    bind_text(st, 17, c->verification_code);
    bind_text(st, 18, c->request_json);
    bind_text(st, 19, c->documents_json ? c->documents_json : "[]");
    bind_text(st, 20, c->reason);
    if (step_done(w, st, "registering the case", e))
        return e->code;
    return gis_case_event_add(w, c->id, actor, c->status, "złożenie wniosku", e);
}

enum err_code gis_case_update(struct gis_store *w, const struct gis_case *c, struct err *e)
{
    sqlite3_stmt *st;
    if (!(st =
              gis_store_cached(w,
                               "UPDATE cases SET status = ?, assigned_account = ?, assigned_login = ?, fee_status = ?, "
                               "verification_code = ?, request = ?, documents = ?, reason = ? WHERE id = ?",
                               e)))
        return e->code;
    bind_text(st, 1, c->status);
    bind_id(st, 2, c->assigned_account);
    bind_text(st, 3, c->assigned_login);
    bind_text(st, 4, c->fee_status);
    bind_text(st, 5, c->verification_code);
    bind_text(st, 6, c->request_json);
    bind_text(st, 7, c->documents_json ? c->documents_json : "[]");
    bind_text(st, 8, c->reason);
    bind_text(st, 9, c->id);
    if (step_done(w, st, "updating the case", e))
        return e->code;
    if (sqlite3_changes(gis_store_db(w)) != 1)
        return err_set(e, ERR_NOT_FOUND, "no case with this id");
    return ERR_OK;
}

enum err_code gis_case_fee_set(struct gis_store *w, const char *id, int fee_pln, const char *status, struct err *e)
{
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(w, "UPDATE cases SET fee_pln = ?, fee_status = ? WHERE id = ?", e)))
        return e->code;
    sqlite3_bind_int(st, 1, fee_pln);
    bind_text(st, 2, status);
    bind_text(st, 3, id);
    return step_done(w, st, "setting the fee", e);
}

#define CASE_COLUMNS                                                                                                   \
    "SELECT cases.id, case_number, seq, year, cases.module, applicant_account, applicant_login, applicant_email, "     \
    "applicant_name, "                                                                                                 \
    "status, assigned_account, assigned_login, cases.created_at, deadline, fee_pln, fee_status, verification_code, "   \
    "documents, reason, pa.nrb, pa.title, coalesce(pa.due_gr, 0), coalesce(pa.paid_gr, 0)"

static const char *col_str(sqlite3_stmt *st, int i, struct arena *a, bool *oom)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    char *c = arena_strdup(a, s);
    *oom |= s && !c;
    return c;
}

/* The cases with their virtual account (data/migrations/008_payments.sql), if any. */
#define CASE_FROM " FROM cases LEFT JOIN pay_accounts pa ON pa.module = cases.module AND pa.record = cases.id"

/* The row st is on, columns as CASE_COLUMNS (and the request at 23 when with_request). */
static bool case_row(sqlite3_stmt *st, struct arena *a, bool with_request, struct gis_case *c)
{
    bool oom = false;
    *c = (struct gis_case){
        .id = col_str(st, 0, a, &oom),
        .case_number = col_str(st, 1, a, &oom),
        .seq = (long)sqlite3_column_int64(st, 2),
        .year = sqlite3_column_int(st, 3),
        .module = col_str(st, 4, a, &oom),
        .applicant_account = sqlite3_column_int64(st, 5),
        .applicant_login = col_str(st, 6, a, &oom),
        .applicant_email = col_str(st, 7, a, &oom),
        .applicant_name = col_str(st, 8, a, &oom),
        .status = col_str(st, 9, a, &oom),
        .assigned_account = sqlite3_column_int64(st, 10),
        .assigned_login = col_str(st, 11, a, &oom),
        .created_at = col_str(st, 12, a, &oom),
        .deadline = col_str(st, 13, a, &oom),
        .fee_pln = sqlite3_column_int(st, 14),
        .fee_status = col_str(st, 15, a, &oom),
        .verification_code = col_str(st, 16, a, &oom),
        .documents_json = col_str(st, 17, a, &oom),
        .reason = col_str(st, 18, a, &oom),
    };
    c->pay_nrb = col_str(st, 19, a, &oom);
    c->pay_title = col_str(st, 20, a, &oom);
    c->pay_due_gr = (long)sqlite3_column_int64(st, 21);
    c->pay_paid_gr = (long)sqlite3_column_int64(st, 22);
    if (with_request)
        c->request_json = col_str(st, 23, a, &oom);
    return !oom;
}

enum err_code gis_case_find(struct gis_store *s, struct arena *a, bool by_code, const char *key, struct gis_case *out,
                            struct err *e)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    /* two literals, each kept prepared (gis_store_cached finds a statement by its text's address) */
    if (!(st = gis_store_cached(s,
                                by_code ? CASE_COLUMNS ", request" CASE_FROM " WHERE verification_code = ?"
                                        : CASE_COLUMNS ", request" CASE_FROM " WHERE cases.id = ?",
                                e)))
        return e->code;
    bind_text(st, 1, key);
    enum err_code rc = ERR_OK;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        if (!case_row(st, a, true, out))
            rc = err_set(e, ERR_INTERNAL, "out of memory");
    } else if (r == SQLITE_DONE) {
        rc = err_set(e, ERR_NOT_FOUND, "no case with this id");
    } else {
        rc = err_set(e, ERR_IO, "reading the case: %s", sqlite3_errmsg(gis_store_db(s)));
    }
    gis_store_release(st);
    return rc;
}

enum err_code gis_case_events(struct gis_store *s, struct arena *a, const char *id, struct gis_case_event **out, int *n,
                              struct err *e)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT at, actor, status, note FROM case_events WHERE case_id = ? ORDER BY id", &st, e))
        return e->code;
    bind_text(st, 1, id);
    int cap = 0;
    bool oom = false;
    while (!oom && sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            int nc = cap ? cap * 2 : 8;
            struct gis_case_event *g = arena_alloc(a, sizeof *g * (size_t)nc);
            if (!g) {
                oom = true;
                break;
            }
            if (*n)
                memcpy(g, *out, sizeof *g * (size_t)*n);
            *out = g, cap = nc;
        }
        (*out)[(*n)++] = (struct gis_case_event){col_str(st, 0, a, &oom), col_str(st, 1, a, &oom),
                                                 col_str(st, 2, a, &oom), col_str(st, 3, a, &oom)};
    }
    sqlite3_finalize(st);
    return oom ? err_set(e, ERR_INTERNAL, "out of memory") : ERR_OK;
}

enum err_code gis_case_list(struct gis_store *s, struct arena *a, const struct gis_case_filter *f,
                            struct gis_case **out, int *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    int limit = f->limit > 0 && f->limit <= 1000 ? f->limit : 200;
    const char *sql = arena_printf(
        a,
        CASE_COLUMNS CASE_FROM " WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR cases.module = ?2) AND "
                               "(?3 IS NULL OR deadline <= ?3) AND (?4 IS NULL OR applicant_account = ?4) AND "
                               "(?6 IS NULL OR assigned_login = ?6) AND (?7 IS NULL OR (json_valid(cases.request) AND "
                               "json_extract(cases.request, '$." GIS_CASE_PARTY_NIP
                               "') = ?7))%s%s ORDER BY %s LIMIT ?5",
        f->open_only ? " AND status IN ('złożony', 'w toku', 'do uzupełnienia')" : "",
        f->unassigned ? " AND assigned_account IS NULL" : "",
        f->queue_order ? "status IN ('złożony', 'w toku', 'do uzupełnienia') DESC, deadline, cases.created_at, seq"
                       : "cases.created_at DESC, seq DESC");
    if (!sql)
        return err_set(e, ERR_INTERNAL, "out of memory");
    sqlite3_stmt *st;
    if (gis_store_prepare(s, sql, &st, e))
        return e->code;
    bind_text(st, 1, f->status);
    bind_text(st, 2, f->module);
    bind_text(st, 3, f->due_before);
    bind_id(st, 4, f->applicant_account);
    sqlite3_bind_int(st, 5, limit);
    bind_text(st, 6, f->assigned_login);
    bind_text(st, 7, f->party_nip);
    int cap = limit < 32 ? limit : 32;
    struct gis_case *v = arena_alloc(a, sizeof *v * (size_t)cap);
    bool oom = !v;
    while (!oom && *n < limit && sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) { /* grow by doubling, in the arena */
            int nc = cap * 2 < limit ? cap * 2 : limit;
            struct gis_case *g = arena_alloc(a, sizeof *g * (size_t)nc);
            if (!g) {
                oom = true;
                break;
            }
            memcpy(g, v, sizeof *g * (size_t)*n);
            v = g, cap = nc;
        }
        oom = !case_row(st, a, false, &v[(*n)++]);
    }
    sqlite3_finalize(st);
    if (oom)
        return err_set(e, ERR_INTERNAL, "out of memory");
    *out = v;
    return ERR_OK;
}

enum err_code gis_cases_erase_applicant(struct gis_store *w, long long account, const char *login,
                                        const char *pseudonym, int *n, struct err *e)
{
    static const char open_sql[] = "SELECT group_concat(case_number, ', '), count(*) FROM cases WHERE "
                                   "applicant_account = ?1 AND status IN ('złożony', 'w toku', 'do uzupełnienia')";
    static const char *const sql[] = {
        "UPDATE case_events SET actor = ?2 WHERE actor = ?3 AND case_id IN "
        "(SELECT id FROM cases WHERE applicant_account = ?1)",
        "UPDATE extracts SET applicant_name = ?2, applicant_address = NULL WHERE id IN "
        "(SELECT id FROM cases WHERE applicant_account = ?1 AND module = 'extracts')",
        "UPDATE cases SET request = json_set(request, '$.applicant.name', ?2, '$.applicant.address', NULL) "
        "WHERE applicant_account = ?1 AND json_valid(request) AND json_type(request, '$.applicant') = 'object'",
        "UPDATE cases SET applicant_login = ?2, applicant_name = ?2, applicant_email = NULL "
        "WHERE applicant_account = ?1",
    };
    sqlite3_stmt *st;
    if (gis_store_prepare(w, open_sql, &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, account);
    enum err_code rc = ERR_OK;
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = err_set(e, ERR_IO, "reading the open cases: %s", sqlite3_errmsg(gis_store_db(w)));
    else if (sqlite3_column_int(st, 1) > 0)
        rc = err_set(e, ERR_CONFLICT, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    for (size_t i = 0; !rc && i < sizeof sql / sizeof *sql; i++) {
        if (gis_store_prepare(w, sql[i], &st, e))
            return e->code;
        sqlite3_bind_int64(st, 1, account);
        bind_text(st, 2, pseudonym);
        if (i == 0)
            bind_text(st, 3, login);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = err_set(e, ERR_IO, "pseudonymising the cases: %s", sqlite3_errmsg(gis_store_db(w)));
        else if (n && i == sizeof sql / sizeof *sql - 1)
            *n = sqlite3_changes(gis_store_db(w));
        sqlite3_finalize(st);
    }
    return rc;
}
