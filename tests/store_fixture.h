/* A scratch store for unit tests: a new SpatiaLite file under /tmp with the core schema, opened as the
 * writer. The caller closes it with gis_store_close and may unlink path. */
#ifndef TESTS_STORE_FIXTURE_H
#define TESTS_STORE_FIXTURE_H
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gis/store.h"

/* Creates the store at a fresh name made from tmpl (a mkstemp template, changed in place); NULL, with
 * the reason printed, when it cannot. */
static inline struct gis_store *test_store_new(char *tmpl)
{
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return NULL;
    close(fd);
    unlink(tmpl);
    struct err e = {0};
    struct gis_store *w = NULL;
    if (gis_store_open(tmpl, GIS_STORE_CREATE, &w, &e)) {
        printf("  cannot create %s: %s\n", tmpl, e.msg);
        return NULL;
    }
    return w;
}
#endif
