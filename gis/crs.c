/* PROJ transforms cached per thread: PJ objects are not thread-safe, so each thread owns its own. */
#include "gis/crs.h"

#include <math.h>
#include <proj.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CRS_COUNT 6

struct crs_thread {
    PJ_CONTEXT *ctx;
    PJ *pj[CRS_COUNT][CRS_COUNT];
};

static pthread_key_t crs_key;
static pthread_once_t crs_once = PTHREAD_ONCE_INIT;

static void crs_thread_free(void *p)
{
    struct crs_thread *t = p;
    if (!t)
        return;
    for (int i = 0; i < CRS_COUNT; i++)
        for (int j = 0; j < CRS_COUNT; j++)
            if (t->pj[i][j])
                proj_destroy(t->pj[i][j]);
    proj_context_destroy(t->ctx);
    free(t);
}

static void crs_key_init(void)
{
    pthread_key_create(&crs_key, crs_thread_free);
}

void gis_crs_thread_cleanup(void)
{
    pthread_once(&crs_once, crs_key_init);
    crs_thread_free(pthread_getspecific(crs_key));
    pthread_setspecific(crs_key, NULL);
}

static const struct {
    int epsg;
    const char *name;
    const char *uri;
    bool north_first;
} crs_table[CRS_COUNT] = {
    [GIS_CRS_NONE] = {0, "", "", false},
    [GIS_CRS_CRS84] = {4326, "CRS:84", "http://www.opengis.net/def/crs/OGC/1.3/CRS84", false},
    [GIS_CRS_4326] = {4326, "EPSG:4326", "http://www.opengis.net/def/crs/EPSG/0/4326", true},
    [GIS_CRS_2180] = {2180, "EPSG:2180", "http://www.opengis.net/def/crs/EPSG/0/2180", true},
    [GIS_CRS_2176] = {2176, "EPSG:2176", "http://www.opengis.net/def/crs/EPSG/0/2176", true},
    [GIS_CRS_3857] = {3857, "EPSG:3857", "http://www.opengis.net/def/crs/EPSG/0/3857", false},
};

enum gis_crs gis_crs_parse(const char *s)
{
    if (!s)
        return GIS_CRS_NONE;
    if (!strcasecmp(s, "CRS:84") || !strcasecmp(s, "CRS84") || !strcmp(s, crs_table[GIS_CRS_CRS84].uri) ||
        !strcmp(s, "http://www.opengis.net/def/crs/OGC/0/CRS84") || !strcasecmp(s, "urn:ogc:def:crs:OGC:1.3:CRS84") ||
        !strcasecmp(s, "urn:ogc:def:crs:OGC::CRS84"))
        return GIS_CRS_CRS84;
    const char *code = NULL;
    static const char *const prefixes[] = {"EPSG:",
                                           "http://www.opengis.net/def/crs/EPSG/0/",
                                           "https://www.opengis.net/def/crs/EPSG/0/",
                                           "urn:ogc:def:crs:EPSG::",
                                           "urn:ogc:def:crs:EPSG:6.18:3:",
                                           NULL};
    for (int i = 0; prefixes[i] && !code; i++)
        if (!strncasecmp(s, prefixes[i], strlen(prefixes[i])))
            code = s + strlen(prefixes[i]);
    if (!code)
        return GIS_CRS_NONE;
    if (!strcmp(code, "4326"))
        return GIS_CRS_4326;
    if (!strcmp(code, "2180"))
        return GIS_CRS_2180;
    if (!strcmp(code, "2176"))
        return GIS_CRS_2176;
    if (!strcmp(code, "3857") || !strcmp(code, "900913"))
        return GIS_CRS_3857;
    return GIS_CRS_NONE;
}

const char *gis_crs_uri(enum gis_crs c)
{
    return (unsigned)c < CRS_COUNT ? crs_table[c].uri : "";
}

const char *gis_crs_name(enum gis_crs c)
{
    return (unsigned)c < CRS_COUNT ? crs_table[c].name : "";
}

int gis_crs_epsg(enum gis_crs c)
{
    return (unsigned)c < CRS_COUNT ? crs_table[c].epsg : 0;
}

bool gis_crs_north_first(enum gis_crs c)
{
    return (unsigned)c < CRS_COUNT && crs_table[c].north_first;
}

static PJ *crs_get(enum gis_crs from, enum gis_crs to, struct err *e)
{
    pthread_once(&crs_once, crs_key_init);
    struct crs_thread *t = pthread_getspecific(crs_key);
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t || !(t->ctx = proj_context_create())) {
            free(t);
            err_set(e, ERR_INTERNAL, "PROJ: cannot create a context");
            return NULL;
        }
        proj_log_level(t->ctx, PJ_LOG_NONE);
        pthread_setspecific(crs_key, t);
    }
    if (!t->pj[from][to]) {
        char a[32], b[32];
        snprintf(a, sizeof a, "EPSG:%d", gis_crs_epsg(from));
        snprintf(b, sizeof b, "EPSG:%d", gis_crs_epsg(to));
        PJ *raw = proj_create_crs_to_crs(t->ctx, a, b, NULL);
        PJ *norm = raw ? proj_normalize_for_visualization(t->ctx, raw) : NULL;
        if (raw)
            proj_destroy(raw);
        if (!norm) {
            err_set(e, ERR_INTERNAL, "PROJ: no transform from %s to %s", a, b);
            return NULL;
        }
        t->pj[from][to] = norm;
    }
    return t->pj[from][to];
}

enum err_code gis_crs_transform(enum gis_crs from, enum gis_crs to, double *xy, size_t n, struct err *e)
{
    if (from == GIS_CRS_NONE || to == GIS_CRS_NONE || (unsigned)from >= CRS_COUNT || (unsigned)to >= CRS_COUNT)
        return err_set(e, ERR_INVALID, "unsupported CRS");
    if (gis_crs_epsg(from) == gis_crs_epsg(to))
        return ERR_OK; /* CRS84 and EPSG:4326 differ only in axis order, which is traditional here */
    PJ *pj = crs_get(from, to, e);
    if (!pj)
        return e->code;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]))
            return err_set(e, ERR_INVALID, "coordinate is not a finite number");
    }
    proj_trans_generic(pj, PJ_FWD, xy, 2 * sizeof(double), n, xy + 1, 2 * sizeof(double), n, NULL, 0, 0, NULL, 0, 0);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]) || xy[2 * i] == HUGE_VAL)
            return err_set(e, ERR_INVALID, "coordinates outside the area of %s", gis_crs_name(to));
    return ERR_OK;
}

enum err_code gis_crs_transform_bbox(enum gis_crs from, enum gis_crs to, const double in[4], double out[4],
                                     struct err *e)
{
    enum { STEPS = 8 };
    double pts[4 * STEPS * 2];
    size_t n = 0;
    for (int i = 0; i < STEPS; i++) {
        double f = (double)i / STEPS;
        double x = in[0] + (in[2] - in[0]) * f, y = in[1] + (in[3] - in[1]) * f;
        double xr = in[2] - (in[2] - in[0]) * f, yr = in[3] - (in[3] - in[1]) * f;
        pts[2 * n] = x, pts[2 * n + 1] = in[1], n++;
        pts[2 * n] = in[2], pts[2 * n + 1] = y, n++;
        pts[2 * n] = xr, pts[2 * n + 1] = in[3], n++;
        pts[2 * n] = in[0], pts[2 * n + 1] = yr, n++;
    }
    if (gis_crs_transform(from, to, pts, n, e))
        return e->code;
    out[0] = out[2] = pts[0];
    out[1] = out[3] = pts[1];
    for (size_t i = 1; i < n; i++) {
        out[0] = fmin(out[0], pts[2 * i]);
        out[2] = fmax(out[2], pts[2 * i]);
        out[1] = fmin(out[1], pts[2 * i + 1]);
        out[3] = fmax(out[3], pts[2 * i + 1]);
    }
    return ERR_OK;
}
