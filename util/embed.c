/* Lookup in the table of embedded data files. */
#include "util/embed.h"

#include <string.h>

const char *embed_find(const char *name, size_t *len)
{
    for (const struct embed_file *f = embed_files; f->name; f++) {
        if (strcmp(f->name, name) == 0) {
            if (len)
                *len = f->len;
            return f->data;
        }
    }
    return NULL;
}

int embed_migration_number(const char *name, const char *dir)
{
    size_t dl = strlen(dir);
    if (strncmp(name, dir, dl) != 0 || name[dl] != '/')
        return -1;
    const char *p = name + dl + 1;
    int n = 0, digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++)
        n = n * 10 + (*p - '0');
    size_t len = strlen(name);
    return digits == 3 && *p == '_' && len > 4 && !strcmp(name + len - 4, ".sql") ? n : -1;
}
