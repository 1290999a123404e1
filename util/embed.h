/* Data files (migrations, demo sources, default config) compiled into the binary. */
#ifndef UTIL_EMBED_H
#define UTIL_EMBED_H
#include <stddef.h>

struct embed_file {
    const char *name; /* path relative to the repository root, e.g. "data/migrations/001_core.sql"; a module's
                       * style services/modules/<m>/styles/<file> is "styles/<file>" (tools/embed.awk) */
    const char *data; /* NUL-terminated contents, static */
    size_t len;
};

/* The table, ended by an entry whose name is NULL. */
extern const struct embed_file embed_files[];

/* Returns the static contents of the named file, or NULL. Sets *len if len is not NULL. */
const char *embed_find(const char *name, size_t *len);

/* NNN when name is a migration "<dir>/NNN_<what>.sql" (three digits), else -1. Every store's migrations
 * (core, identity, each module's) are named so. */
int embed_migration_number(const char *name, const char *dir);

#endif
