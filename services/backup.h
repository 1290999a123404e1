/* Backups of a data directory: `odra backup`, `odra restore` and the server's scheduled, rotated
 * snapshots ([backup] in the configuration; docs/backup.md).
 *
 * A snapshot is a directory holding a copy of each store (the gminas' <slug>.sqlite and the server-wide
 * identity.sqlite, each made by gis_backup_store) and manifest.json, which names every file with its
 * SHA-256, size, schema and module versions, last change id and integrity result, and the time. It is
 * written under a temporary name and renamed into place once every copy has passed its check, so a
 * snapshot directory with a manifest is always complete. Tile caches are not copied (they are rebuilt);
 * issued documents live in the stores and are copied with them. */
#ifndef SERVICES_BACKUP_H
#define SERVICES_BACKUP_H
#include <stdbool.h>
#include <stdio.h>

#include "util/config.h"
#include "util/err.h"

/* Writes a snapshot of the stores in cfg->data_dir to the directory out (which must not exist, or be
 * empty): tenant's store only when tenant is not NULL, else every gmina's and the identity store. Prints a
 * line per store to report when it is not NULL. */
enum err_code svc_backup_snapshot(const struct config *cfg, const char *tenant, const char *out, FILE *report,
                                  struct err *e);

/* Restores the snapshot in dir into data_dir: every store of its manifest, or only tenant's. Every copy is
 * checked (SHA-256 against the manifest, integrity check) before anything is written, and a copy that
 * fails refuses the whole restore. A store already in data_dir is replaced only with force (ERR_CONFLICT
 * otherwise). Each store is written beside its place and renamed over it, stale journals removed. */
enum err_code svc_backup_restore(const char *dir, const char *data_dir, const char *tenant, bool force, FILE *report,
                                 struct err *e);

/* The server's schedule: a thread that takes a snapshot of every store every cfg->backup.every_s seconds
 * into <backup.dir>/<UTC time> and rotates the series (gis_backup_rotate). Nothing when backup.dir is "".
 * cfg must outlive svc_backup_stop. */
enum err_code svc_backup_start(const struct config *cfg, struct err *e);
void svc_backup_stop(void);

/* The schedule's state for /health: whether it runs, the last snapshot's name and time (ISO 8601 UTC),
 * the last error ("" when none) and how many snapshots the series holds. false when not scheduled. */
struct svc_backup_status {
    char last[64], last_at[32], error[256];
    int snapshots;
    long long taken;
};
bool svc_backup_status(struct svc_backup_status *out);

#endif
