/* Snapshots of the stores (odra backup, odra restore, and the server's own scheduled backups): a consistent
 * copy of a SQLite store made with the online backup API from a read-only connection, checked with
 * PRAGMA integrity_check before it counts, and described by its SHA-256, schema version, module versions
 * and last change id for the backup's manifest. Also the rotation rule: which snapshots of a series to
 * keep (hourly, daily and monthly counts).
 *
 * A copy is consistent by construction: the backup API copies every page inside one read transaction, so
 * it is the store as of one commit; what the manifest says of it (versions, last change id) is read from
 * the copy itself, never from the live store. The copy is left in rollback-journal mode, so it is one
 * self-contained file whose hash stays fixed; a server opening a restored store switches it back to WAL.
 * All SQL of this is here. Nothing is allocated for the caller. */
#ifndef GIS_BACKUP_H
#define GIS_BACKUP_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/err.h"

/* What a snapshot of one store is, for the manifest. */
struct gis_backup_info {
    char sha256[65];       /* of the copy's bytes, lower-case hex */
    long long bytes;       /* the copy's size */
    int schema_version;    /* PRAGMA user_version of the copy */
    char modules[256];     /* "waste=1,permits=2" from module_versions, "" when none */
    long long last_change; /* the highest id of the copy's change log (changes, or audit for the identity
                            * store); 0 when it has none */
};

/* Copies the store at src to the new file dst (which must not exist), checks the copy with
 * PRAGMA integrity_check and fsyncs it; fills *out. On any failure dst is removed and e says why:
 * ERR_IO when src cannot be read or dst written, ERR_INVALID when the copy fails its check. A store busy
 * with a rollback-journal writer is retried for up to busy_ms milliseconds. */
enum err_code gis_backup_store(const char *src, const char *dst, int busy_ms, struct gis_backup_info *out,
                               struct err *e);

/* Checks a copy: its SHA-256 must be sha256 (hex) and PRAGMA integrity_check must pass. ERR_INVALID naming
 * which failed, ERR_IO when it cannot be read. */
enum err_code gis_backup_check(const char *path, const char *sha256, struct err *e);

/* The SHA-256 of the file at path, as hex. */
enum err_code gis_backup_sha256(const char *path, char out[65], struct err *e);

/* The rotation counts: the newest snapshot of each of the last `hourly` hours, of each of the last
 * `daily` days and of each of the last `monthly` months are kept (UTC), the rest may go. */
struct gis_backup_keep {
    int hourly, daily, monthly;
};

/* Marks in keep[i] whether the snapshot taken at times[i] is kept under k (times in any order; n >= 0).
 * The newest snapshot is always kept. */
void gis_backup_rotate(const time_t *times, int n, const struct gis_backup_keep *k, bool *keep);

#endif
