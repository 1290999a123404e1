/* The versions of the modules' own tables in a store (table module_versions): the store interface's part
 * for module migrations (docs/design.md, "The store interface"). A module's migrations are scripts of the
 * backend (services/modules/<name>/migrations/NNN_*.sql for SQLite); which to run is decided by the
 * caller (services/modules.c), recording that one ran is done here. */
#ifndef GIS_MODULE_STORE_H
#define GIS_MODULE_STORE_H
#include "gis/store.h"
#include "util/err.h"

/* Creates the table of module versions on the writer when the store has none yet. */
enum err_code gis_module_versions_create(struct gis_store *w, struct err *e);

/* The version module's tables are at in s: 0 when it has none (or the store has no such table). */
int gis_module_version(struct gis_store *s, const char *module);

/* Runs one migration script of module on the writer and records that module is now at version, in one
 * transaction of its own: either both happen or, on any failure, neither. */
enum err_code gis_module_migrate(struct gis_store *w, const char *module, int version, const char *script,
                                 struct err *e);

#endif
