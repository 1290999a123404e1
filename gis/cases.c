/* Case numbers and their per-year sequences (see gis/cases.h). */
#include "gis/cases.h"

#include <string.h>

#include "gis/store_sql.h"
#include "util/buf.h"

char *gis_case_number(struct arena *a, const char *format, long seq, int year)
{
    struct buf b = {0};
    for (const char *f = format && *format ? format : "{seq}/{year}"; *f;) {
        if (!strncmp(f, "{seq}", 5)) {
            buf_printf(&b, "%ld", seq);
            f += 5;
        } else if (!strncmp(f, "{year}", 6)) {
            buf_printf(&b, "%d", year);
            f += 6;
        } else {
            buf_append(&b, f, 1);
            f++;
        }
    }
    char *r = b.failed || !b.data ? NULL : arena_strdup(a, b.data);
    buf_free(&b);
    return r;
}

enum err_code gis_case_seq_next(struct gis_store *writer, int year, long *seq, struct err *e)
{
    sqlite3_stmt *st = gis_store_cached(writer,
                                        "INSERT INTO case_sequences (year, seq) VALUES (?1, 1) ON CONFLICT (year) "
                                        "DO UPDATE SET seq = seq + 1 RETURNING seq",
                                        e);
    enum err_code rc = st ? ERR_OK : e->code;
    if (!rc) {
        sqlite3_bind_int(st, 1, year);
        if (sqlite3_step(st) == SQLITE_ROW)
            *seq = sqlite3_column_int64(st, 0);
        else
            rc = err_set(e, ERR_IO, "case sequence: %s", sqlite3_errmsg(gis_store_db(writer)));
        gis_store_release(st);
    }
    return rc;
}
