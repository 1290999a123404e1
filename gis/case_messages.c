/* Messages and attachments of cases over SQLite (see gis/case_messages.h). */
#include "gis/case_messages.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "gis/store_sql.h"
#include "gis/utf8.h"

/* Code points never kept in stored text: C0 controls but LF and tab, DEL, C1 controls, and the
 * bidirectional overrides and isolates that can make a name read backwards (U+202A..E, U+2066..9,
 * U+200E/F, U+061C). */
static bool cp_unsafe(unsigned c)
{
    return (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7F && c < 0xA0) || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C;
}

static bool blank(char c)
{
    return c == ' ' || c == '\n' || c == '\t';
}

char *gis_case_message_clean(struct arena *a, const char *s, size_t len)
{
    char *out = arena_alloc(a, len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    int count = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned c;
        int n = gis_utf8_decode(p + i, len - i, &c);
        if (!n || ++count > GIS_CASE_MESSAGE_MAX)
            return NULL;
        if (!cp_unsafe(c)) {
            memcpy(out + o, p + i, (size_t)n);
            o += (size_t)n;
        }
        i += (size_t)n;
    }
    while (o && blank(out[o - 1]))
        o--;
    out[o] = 0;
    size_t lead = strspn(out, " \n\t");
    return out + lead;
}

char *gis_case_file_name_clean(struct arena *a, const char *name)
{
    const char *base = name ? name : "";
    for (const char *q = base; *q; q++)
        if (*q == '/' || *q == '\\')
            base = q + 1;
    size_t len = strlen(base);
    char *out = arena_alloc(a, len + 16);
    if (!out)
        return NULL;
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)base;
    for (size_t i = 0; i < len;) {
        unsigned c;
        int n = gis_utf8_decode(p + i, len - i, &c);
        if (!n) {
            i++;
            continue;
        }
        if (!cp_unsafe(c) && c != '\n' && c != '\t') {
            memcpy(out + o, p + i, (size_t)n);
            o += (size_t)n;
        }
        i += (size_t)n;
    }
    out[o] = 0;
    char *start = out + strspn(out, ". ");
    o = strlen(start);
    while (o && start[o - 1] == ' ')
        start[--o] = 0;
    if (o > GIS_CASE_FILE_NAME_MAX) { /* keep the extension: cut the stem at a character boundary */
        const char *dot = strrchr(start, '.');
        size_t ext = dot && strlen(dot) <= 16 ? strlen(dot) : 0;
        size_t cut = GIS_CASE_FILE_NAME_MAX - ext;
        while (cut && ((unsigned char)start[cut] & 0xC0) == 0x80)
            cut--;
        memmove(start + cut, start + o - ext, ext + 1);
    }
    return *start ? start : arena_strdup(a, "zalacznik");
}

static void now_iso(char at[32])
{
    time_t now = time(NULL);
    struct tm ut;
    gmtime_r(&now, &ut);
    strftime(at, 32, "%Y-%m-%dT%H:%M:%SZ", &ut);
}

/* Binds s, or NULL for a NULL s; the text must outlive the statement's step. */
static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Steps an INSERT or UPDATE to its end and finalizes it; *id (may be NULL) gets the row id inserted. */
static enum err_code run(struct gis_store *w, sqlite3_stmt *st, const char *what, long long *id, struct err *e)
{
    enum err_code rc = ERR_OK;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = err_set(e, ERR_IO, "%s: %s", what, sqlite3_errmsg(gis_store_db(w)));
    else if (id)
        *id = sqlite3_last_insert_rowid(gis_store_db(w));
    sqlite3_finalize(st);
    return rc;
}

enum err_code gis_case_message_add(struct gis_store *w, const char *case_id, const char *author_kind,
                                   const char *author_login, const char *body, long long *id, struct err *e)
{
    char at[32];
    now_iso(at);
    sqlite3_stmt *st;
    if (gis_store_prepare(
            w, "INSERT INTO case_messages (case_id, at, author_kind, author_login, body) VALUES (?,?,?,?,?)", &st, e))
        return e->code;
    bind_opt(st, 1, case_id);
    bind_opt(st, 2, at);
    bind_opt(st, 3, author_kind);
    bind_opt(st, 4, author_login);
    bind_opt(st, 5, body);
    return run(w, st, "recording the message", id, e);
}

enum err_code gis_case_attachment_add(struct gis_store *w, const struct gis_case_attachment *a, long long *id,
                                      struct err *e)
{
    char at[32];
    now_iso(at);
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          "INSERT INTO case_attachments (case_id, message_id, file_name, media_type, size, sha256, "
                          "data, uploaded_at, uploader_kind, uploader_login) VALUES (?,?,?,?,?,?,?,?,?,?)",
                          &st, e))
        return e->code;
    bind_opt(st, 1, a->case_id);
    if (a->message_id)
        sqlite3_bind_int64(st, 2, a->message_id);
    else
        sqlite3_bind_null(st, 2);
    bind_opt(st, 3, a->file_name);
    bind_opt(st, 4, a->media_type);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)a->size);
    bind_opt(st, 6, a->sha256);
    sqlite3_bind_blob64(st, 7, a->data, a->size, SQLITE_STATIC);
    bind_opt(st, 8, at);
    bind_opt(st, 9, a->uploader_kind);
    bind_opt(st, 10, a->uploader_login);
    return run(w, st, "storing the attachment", id, e);
}

/* One integer from a query with the case id as its only parameter. */
static enum err_code count_of(struct gis_store *s, const char *sql, const char *case_id, const char *reader, int *n,
                              struct err *e)
{
    sqlite3_stmt *st;
    *n = 0;
    if (gis_store_prepare(s, sql, &st, e))
        return e->code;
    bind_opt(st, 1, case_id);
    if (reader)
        bind_opt(st, 2, reader);
    enum err_code rc = ERR_OK;
    if (sqlite3_step(st) == SQLITE_ROW)
        *n = sqlite3_column_int(st, 0);
    else
        rc = err_set(e, ERR_IO, "counting: %s", sqlite3_errmsg(gis_store_db(s)));
    sqlite3_finalize(st);
    return rc;
}

enum err_code gis_case_attachment_count(struct gis_store *s, const char *case_id, int *n, struct err *e)
{
    return count_of(s, "SELECT count(*) FROM case_attachments WHERE case_id = ?", case_id, NULL, n, e);
}

static const char *col(sqlite3_stmt *st, int i, struct arena *a, bool *oom)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    char *c = arena_strdup(a, s);
    *oom |= s && !c;
    return c;
}

/* Grows the arena array *v of *cap elements of size sz to hold one more than n; false when out of memory. */
static bool grow(struct arena *a, void **v, int *cap, int n, size_t sz)
{
    if (n < *cap)
        return true;
    int nc = *cap ? *cap * 2 : 8;
    void *g = arena_alloc(a, sz * (size_t)nc);
    if (!g)
        return false;
    if (n)
        memcpy(g, *v, sz * (size_t)n);
    *v = g, *cap = nc;
    return true;
}

/* The rows of sql (with the case id as its only parameter), each read by row into an arena array of
 * elements of size sz. */
static enum err_code rows_read(struct gis_store *s, struct arena *a, const char *sql, const char *case_id, size_t sz,
                               void (*row)(sqlite3_stmt *st, struct arena *a, void *out, bool *oom), void **out, int *n,
                               struct err *e)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (gis_store_prepare(s, sql, &st, e))
        return e->code;
    bind_opt(st, 1, case_id);
    int cap = 0;
    bool oom = false;
    void *v = NULL;
    while (!oom && sqlite3_step(st) == SQLITE_ROW) {
        if (!grow(a, &v, &cap, *n, sz)) {
            oom = true;
            break;
        }
        row(st, a, (char *)v + sz * (size_t)(*n)++, &oom);
    }
    sqlite3_finalize(st);
    *out = v;
    return oom ? err_set(e, ERR_INTERNAL, "out of memory") : ERR_OK;
}

static void msg_row(sqlite3_stmt *st, struct arena *a, void *out, bool *oom)
{
    *(struct gis_case_message *)out = (struct gis_case_message){
        .id = sqlite3_column_int64(st, 0),
        .at = col(st, 1, a, oom),
        .author_kind = col(st, 2, a, oom),
        .author_login = col(st, 3, a, oom),
        .body = col(st, 4, a, oom),
        .read_by_resident_at = col(st, 5, a, oom),
        .read_by_staff_at = col(st, 6, a, oom),
    };
}

enum err_code gis_case_messages(struct gis_store *s, struct arena *a, const char *case_id,
                                struct gis_case_message **out, int *n, struct err *e)
{
    void *v;
    enum err_code rc = rows_read(s, a,
                                 "SELECT id, at, author_kind, author_login, body, read_by_resident_at, "
                                 "read_by_staff_at FROM case_messages WHERE case_id = ? ORDER BY id",
                                 case_id, sizeof **out, msg_row, &v, n, e);
    *out = v;
    return rc;
}

#define ATT_COLUMNS                                                                                                    \
    "SELECT id, coalesce(message_id, 0), case_id, file_name, media_type, size, sha256, uploaded_at, uploader_kind, "   \
    "uploader_login"

static void att_row(sqlite3_stmt *st, struct arena *a, void *out, bool *oom)
{
    *(struct gis_case_attachment *)out = (struct gis_case_attachment){
        .id = sqlite3_column_int64(st, 0),
        .message_id = sqlite3_column_int64(st, 1),
        .case_id = col(st, 2, a, oom),
        .file_name = col(st, 3, a, oom),
        .media_type = col(st, 4, a, oom),
        .size = (size_t)sqlite3_column_int64(st, 5),
        .sha256 = col(st, 6, a, oom),
        .uploaded_at = col(st, 7, a, oom),
        .uploader_kind = col(st, 8, a, oom),
        .uploader_login = col(st, 9, a, oom),
    };
}

enum err_code gis_case_attachments(struct gis_store *s, struct arena *a, const char *case_id,
                                   struct gis_case_attachment **out, int *n, struct err *e)
{
    void *v;
    enum err_code rc = rows_read(s, a, ATT_COLUMNS " FROM case_attachments WHERE case_id = ? ORDER BY id", case_id,
                                 sizeof **out, att_row, &v, n, e);
    *out = v;
    return rc;
}

enum err_code gis_case_attachment_get(struct gis_store *s, struct arena *a, const char *case_id, long long id,
                                      struct gis_case_attachment *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (gis_store_prepare(s, ATT_COLUMNS ", data FROM case_attachments WHERE case_id = ? AND id = ?", &st, e))
        return e->code;
    bind_opt(st, 1, case_id);
    sqlite3_bind_int64(st, 2, id);
    enum err_code rc = ERR_OK;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        bool oom = false;
        att_row(st, a, out, &oom);
        const void *blob = sqlite3_column_blob(st, 10);
        size_t len = (size_t)sqlite3_column_bytes(st, 10);
        void *copy = len ? arena_alloc(a, len) : NULL;
        if (oom || (len && !copy)) {
            rc = err_set(e, ERR_INTERNAL, "out of memory");
        } else {
            if (len)
                memcpy(copy, blob, len);
            out->data = copy ? copy : "";
            out->size = len;
        }
    } else if (r == SQLITE_DONE) {
        rc = err_set(e, ERR_NOT_FOUND, "no such attachment");
    } else {
        rc = err_set(e, ERR_IO, "reading the attachment: %s", sqlite3_errmsg(gis_store_db(s)));
    }
    sqlite3_finalize(st);
    return rc;
}

enum err_code gis_case_messages_mark_read(struct gis_store *w, const char *case_id, const char *reader, int *marked,
                                          struct err *e)
{
    char at[32];
    now_iso(at);
    bool resident = !strcmp(reader, "resident");
    sqlite3_stmt *st;
    if (gis_store_prepare(w,
                          resident ? "UPDATE case_messages SET read_by_resident_at = ?2 WHERE case_id = ?1 AND "
                                     "author_kind != 'resident' AND read_by_resident_at IS NULL"
                                   : "UPDATE case_messages SET read_by_staff_at = ?2 WHERE case_id = ?1 AND "
                                     "author_kind = 'resident' AND read_by_staff_at IS NULL",
                          &st, e))
        return e->code;
    bind_opt(st, 1, case_id);
    bind_opt(st, 2, at);
    if (run(w, st, "marking messages read", NULL, e))
        return e->code;
    if (marked)
        *marked = sqlite3_changes(gis_store_db(w));
    return ERR_OK;
}

enum err_code gis_case_messages_unread(struct gis_store *s, const char *case_id, const char *reader, int *n,
                                       struct err *e)
{
    return count_of(s,
                    "SELECT count(*) FROM case_messages WHERE case_id = ?1 AND CASE WHEN ?2 = 'resident' THEN "
                    "author_kind != 'resident' AND read_by_resident_at IS NULL ELSE author_kind = 'resident' AND "
                    "read_by_staff_at IS NULL END",
                    case_id, reader, n, e);
}
