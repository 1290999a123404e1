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
