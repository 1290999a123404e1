/* The toy module's store: its table toy_sites, reached only through these functions. */
#ifndef TESTS_MODULES_TOY_STORE_H
#define TESTS_MODULES_TOY_STORE_H
#include "gis/store.h"
#include "util/err.h"

/* Adds a square site of side 2 * half metres centred on x, y (EPSG:2180); sets *id. On the writer, inside
 * the caller's transaction. */
enum err_code toy_store_add(struct gis_store *w, const char *name, const char *kind, double x, double y, double half,
                            long long *id, struct err *e);

/* Calls fn for every site, by id. */
enum err_code toy_store_each(struct gis_store *r,
                             void (*fn)(void *ctx, long long id, const char *name, const char *kind), void *ctx,
                             struct err *e);

#endif
