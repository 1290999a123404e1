/* The per-gmina SpatiaLite store: open, migrate, and the rules for who writes.
 * One writer connection per store (it alone writes and checkpoints, see CONVENTIONS.md on the
 * WAL-reset bug); any number of read-only connections. A connection belongs to one thread at a time. */
#ifndef GIS_STORE_H
#define GIS_STORE_H
#include <stdbool.h>

#include "util/err.h"

struct gis_store;

enum gis_store_mode {
    GIS_STORE_READ,   /* read-only; the store must exist and be fully migrated */
    GIS_STORE_WRITE,  /* the writer; migrates an existing store to the latest version */
    GIS_STORE_CREATE, /* the writer; creates the file if missing, then migrates */
};

/* The schema version this binary migrates to (the highest data/migrations/NNN_*.sql). */
int gis_store_latest_version(void);

/* Opens path. The writer runs in WAL mode with synchronous=FULL, so a committed submission survives
 * power loss. On success *out is owned by the caller and freed with gis_store_close. */
enum err_code gis_store_open(const char *path, enum gis_store_mode mode, struct gis_store **out, struct err *e);

/* Closes the connection and frees the store. NULL is a no-op. */
void gis_store_close(struct gis_store *s);

const char *gis_store_path(const struct gis_store *s);
bool gis_store_writable(const struct gis_store *s);

/* Current PRAGMA user_version. */
int gis_store_version(struct gis_store *s);

/* Transactions on the writer. rollback never fails and is safe without an open transaction. */
enum err_code gis_store_begin(struct gis_store *s, struct err *e);
enum err_code gis_store_commit(struct gis_store *s, struct err *e);

/* The page caches of all open store connections of the process, in bytes, as each connection last noted
 * its own (after each commit and each read transaction; for /health and `make soak`). */
long long gis_store_cache_bytes(void);
void gis_store_rollback(struct gis_store *s);

/* One read transaction around several queries: one snapshot, and the file locks taken once instead of
 * per statement. read_begin returns whether it began one (not when one is already open);
 * pass that to read_end. */
bool gis_store_read_begin(struct gis_store *s);
void gis_store_read_end(struct gis_store *s, bool begun);

/* The store generation: the highest id in the `changes` table (migration 002), which every spatial change
 * (an import, a module's edit) adds a row to; 0 when it has none, -1 when it cannot be read. */
long long gis_store_generation(struct gis_store *s);

/* Data derived from the store and kept with the connection (the data extent, a module's index of its
 * polygons),
 * found by key (the address of a static object) and freed with free_fn when replaced or when the
 * connection closes. attach fails only when all 8 places are taken. gis_store_state identifies the
 * spatial data as this connection sees it (the generation and its own writes): keep it with the data and
 * rebuild when it differs; -1 when it cannot be read. */
void *gis_store_attached(struct gis_store *s, const void *key);
bool gis_store_attach(struct gis_store *s, const void *key, void *data, void (*free_fn)(void *));
long long gis_store_state(struct gis_store *s);
/* Whether a write transaction is open on s (its own writes since then would not change gis_store_state
 * back on a rollback: data derived inside one must not be kept). */
bool gis_store_writing(struct gis_store *s);
/* Like gis_store_state for data that is not spatial (no `changes` row records its edits): differs after
 * any commit by any connection. */
long long gis_store_data_state(struct gis_store *s);

/* meta table access. gis_store_meta_get returns a malloc'd string or NULL. */
enum err_code gis_store_meta_set(struct gis_store *s, const char *key, const char *value, struct err *e);
char *gis_store_meta_get(struct gis_store *s, const char *key);

/* Row count of a core table: one of the core's layers (gis/layers.h), localities, provisions or imports;
 * -1 for any other name. */
long gis_store_count(struct gis_store *s, const char *table);

/* After a bulk write (an import, the demo data) on the writer, the store's one checkpointer: copies the
 * WAL into the database and truncates it to 0 bytes (SQLITE_CHECKPOINT_TRUNCATE), so that a large write
 * does not leave a WAL file of its size behind. Call it outside any transaction. Tries for about a second
 * while readers on older snapshots (a running server's) keep the WAL busy, never holding off other writers
 * while it waits; then ERR_UNAVAILABLE (nothing is lost: the WAL is checkpointed later, and the next write
 * after that truncates the file to 16 MiB, journal_size_limit). */
enum err_code gis_store_checkpoint(struct gis_store *w, struct err *e);

/* The SQL level of the store (gis_store_db, exec, prepare, cached statements) is gis/store_sql.h, for gis/
 * and a module's store.c only (docs/design.md, "The store interface"). */

#endif
