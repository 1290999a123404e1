/* The SQL level of the SpatiaLite store: for gis/ and a module's store.c only (docs/design.md, "The store
 * interface"). Everything else reaches the data through the named functions of gis/ and of the modules'
 * store files, so that a second backend can sit behind them. */
#ifndef GIS_STORE_SQL_H
#define GIS_STORE_SQL_H
#include <sqlite3.h>

#include "gis/store.h"
#include "util/arena.h"
#include "util/err.h"

/* The SQLite handle, with SpatiaLite loaded, for gis/ and module code. Owned by the store. */
sqlite3 *gis_store_db(struct gis_store *s);

/* The writer's slot for its twin replication state, owned by gis/twin.c. */
void **gis_store_twin_slot(struct gis_store *s);

/* What a failed SQLite call's result rc means for the caller: the database busy past the busy timeout (another
 * process's long write, such as an import's, holds its write lock) is ERR_UNAVAILABLE, a 503 to try again;
 * anything else ERR_IO. */
enum err_code gis_sqlite_failure(int rc);

/* Runs SQL with no result rows; on failure records the SQLite message. */
enum err_code gis_store_exec(struct gis_store *s, const char *sql, struct err *e);

/* Prepares sql; records the SQLite message on failure. Finalize with sqlite3_finalize. */
enum err_code gis_store_prepare(struct gis_store *s, const char *sql, sqlite3_stmt **st, struct err *e);

/* Binding and reading helpers every store file wanted: a text or NULL bound at i (SQLITE_STATIC: s must
 * outlive the step); column i's text copied into a (NULL for SQL NULL); a writing statement stepped to its
 * end and finalized, ERR_IO naming what and SQLite's message when it fails. */
void gis_store_bind_text(sqlite3_stmt *st, int i, const char *s);
const char *gis_store_col_text(struct arena *a, sqlite3_stmt *st, int i);
enum err_code gis_store_step_done(struct gis_store *s, sqlite3_stmt *st, const char *what, struct err *e);

/* A statement prepared once per connection and kept until gis_store_close, for hot paths. sql must be a
 * string with static storage (a literal, or a table's): it is looked up by address. The statement comes
 * reset with no bindings; the caller gives it back with gis_store_release (never sqlite3_finalize), which
 * also ends its read transaction. A query used again while an earlier use is still stepping gets a second
 * statement. NULL (with e set) when it does not prepare. */
sqlite3_stmt *gis_store_cached(struct gis_store *s, const char *sql, struct err *e);
void gis_store_release(sqlite3_stmt *st);

/* The SQL condition "plan row p is in force on day d", where d is SQL text giving an ISO date (a parameter,
 * "?5"): valid_from <= d (or unknown), d < valid_to (or no valid_to), and a status that was ever in force:
 * 'obowiązujący', or 'uchylony', 'wygasły' or 'nieaktualny' (APP obsolete) with the day it ended. A draft
 * ('projekt', 'w opracowaniu', 'w trakcie przyjmowania', 'nieustalony') is in force on no day, and so is an
 * ended plan without its valid_to. The one rule of migration 007, used by every query that answers "what
 * applies on a date". */
#define GIS_PLAN_IN_FORCE_SQL(p, d)                                                                                    \
    "(coalesce(" p ".valid_from, '') <= " d " AND (" p ".status = 'obowiązujący' AND (" p ".valid_to IS NULL OR " d    \
    " < " p ".valid_to) OR " p ".status IN ('uchylony', 'wygasły', 'nieaktualny') AND " d " < " p ".valid_to))"

/* Whether plan p was in force on some day of the interval from day a to day b (SQL ISO dates, a <= b): the
 * condition above for a = b, so one instant and an interval answer alike. */
#define GIS_PLAN_IN_FORCE_DURING_SQL(p, a, b)                                                                          \
    "(coalesce(" p ".valid_from, '') <= " b " AND (" p ".status = 'obowiązujący' AND (" p ".valid_to IS NULL OR " a    \
    " < " p ".valid_to) OR " p ".status IN ('uchylony', 'wygasły', 'nieaktualny') AND " a " < " p ".valid_to))"

/* The union of the boundaries of the amendments of plan id (SQL) in force on day d, or NULL when it has
 * none: the part of the plan they replace. */
#define GIS_PLAN_AMENDED_SQL(id, d)                                                                                    \
    "(SELECT ST_Union(am.geom) FROM plans am WHERE am.amends_plan_id = " id " AND " GIS_PLAN_IN_FORCE_SQL("am", d) ")"

/* The geometry (SQL) of row t of a table with plan_id (zones, overlays) as it applies on day d: cut by the
 * boundaries of the amendments of its plan in force then (NULL when nothing of it is left). */
#define GIS_PLAN_PART_GEOM_SQL(t, d)                                                                                   \
    "(CASE WHEN " GIS_PLAN_AMENDED_SQL(t ".plan_id", d) " IS NULL THEN " t ".geom ELSE ST_Difference(" t               \
                                                        ".geom, " GIS_PLAN_AMENDED_SQL(t ".plan_id", d) ") END)"

#endif
