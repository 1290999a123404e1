/* The calling thread's GEOS context: created on first use, freed when the thread exits. */
#include "gis/geos_ctx.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_key_t geos_key;
static pthread_once_t geos_once = PTHREAD_ONCE_INIT;

static void geos_thread_free(void *p)
{
    struct gis_geos *t = p;
    if (!t)
        return;
    if (t->reader)
        GEOSWKBReader_destroy_r(t->ctx, t->reader);
    GEOS_finish_r(t->ctx);
    free(t);
}

static void geos_key_init(void)
{
    pthread_key_create(&geos_key, geos_thread_free);
}

void gis_geos_thread_cleanup(void)
{
    pthread_once(&geos_once, geos_key_init);
    geos_thread_free(pthread_getspecific(geos_key));
    pthread_setspecific(geos_key, NULL);
}

static void geos_on_error(const char *message, void *user)
{
    struct gis_geos *t = user;
    snprintf(t->msg, sizeof t->msg, "%s", message);
}

static void geos_on_notice(const char *message, void *user)
{
    (void)message;
    (void)user;
}

struct gis_geos *gis_geos_get(struct err *e)
{
    pthread_once(&geos_once, geos_key_init);
    struct gis_geos *t = pthread_getspecific(geos_key);
    if (t)
        return t;
    t = calloc(1, sizeof *t);
    if (!t || !(t->ctx = GEOS_init_r())) {
        free(t);
        err_set(e, ERR_INTERNAL, "GEOS: cannot create a context");
        return NULL;
    }
    GEOSContext_setErrorMessageHandler_r(t->ctx, geos_on_error, t);
    GEOSContext_setNoticeMessageHandler_r(t->ctx, geos_on_notice, t);
    t->reader = GEOSWKBReader_create_r(t->ctx);
    if (!t->reader || pthread_setspecific(geos_key, t) != 0) {
        geos_thread_free(t);
        err_set(e, ERR_INTERNAL, "GEOS: cannot create a WKB reader");
        return NULL;
    }
    return t;
}

GEOSGeometry *gis_geos_read(struct gis_geos *t, const unsigned char *wkb, size_t len, struct err *e)
{
    if (!wkb || !len) {
        err_set(e, ERR_IO, "geometry missing");
        return NULL;
    }
    t->msg[0] = 0;
    GEOSGeometry *g = GEOSWKBReader_read_r(t->ctx, t->reader, wkb, len);
    if (!g)
        err_set(e, ERR_IO, "GEOS cannot read a stored geometry: %s", t->msg);
    return g;
}
