/* The calling thread's own GEOS context (the reentrant _r API) with a WKB reader, so that any number of
 * threads may run GEOS at once. The context is created on the thread's first call and freed when the
 * thread exits (or by gis_geos_thread_cleanup). GEOS errors are routed to msg, not to stderr. */
#ifndef GIS_GEOS_CTX_H
#define GIS_GEOS_CTX_H
#include <geos_c.h>
#include <stddef.h>

#include "util/err.h"

struct gis_geos {
    GEOSContextHandle_t ctx;
    GEOSWKBReader *reader;
    char msg[256]; /* the last GEOS error, routed here by the message handler */
};

/* The calling thread's context. NULL with ERR_INTERNAL when GEOS cannot make one. */
struct gis_geos *gis_geos_get(struct err *e);

/* A GEOS geometry from WKB, owned by the caller. NULL with ERR_IO when wkb is missing or GEOS cannot read
 * it (naming GEOS's message). */
GEOSGeometry *gis_geos_read(struct gis_geos *t, const unsigned char *wkb, size_t len, struct err *e);

/* Frees the calling thread's GEOS context (also done automatically when the thread exits). */
void gis_geos_thread_cleanup(void);

#endif
