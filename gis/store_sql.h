/* The SQL level of the SpatiaLite store: for gis/ and a module's store.c only (docs/design.md, "The store
 * interface"). Everything else reaches the data through the named functions of gis/ and of the modules'
 * store files, so that a second backend can sit behind them. */
#ifndef GIS_STORE_SQL_H
#define GIS_STORE_SQL_H
#include <sqlite3.h>

#include "gis/store.h"
#include "util/err.h"

/* The SQLite handle, with SpatiaLite loaded, for gis/ and module code. Owned by the store. */
sqlite3 *gis_store_db(struct gis_store *s);

/* Runs SQL with no result rows; on failure records the SQLite message. */
enum err_code gis_store_exec(struct gis_store *s, const char *sql, struct err *e);

/* Prepares sql; records the SQLite message on failure. Finalize with sqlite3_finalize. */
enum err_code gis_store_prepare(struct gis_store *s, const char *sql, sqlite3_stmt **st, struct err *e);

/* A statement prepared once per connection and kept until gis_store_close, for hot paths. sql must be a
 * string with static storage (a literal, or a table's): it is looked up by address. The statement comes
 * reset with no bindings; the caller gives it back with gis_store_release (never sqlite3_finalize), which
 * also ends its read transaction. A query used again while an earlier use is still stepping gets a second
 * statement. NULL (with e set) when it does not prepare. */
sqlite3_stmt *gis_store_cached(struct gis_store *s, const char *sql, struct err *e);
void gis_store_release(sqlite3_stmt *st);

#endif
