/* Setting the gmina's territory from a vector file. */
#include "gis/boundary.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdlib.h>
#include <string.h>

#include "gis/import.h"
#include "gis/store_sql.h"

static void boundary_quiet(CPLErr cls, CPLErrorNum no, const char *msg)
{
    (void)cls, (void)no, (void)msg;
}

/* The polygons read so far, as GEOS geometries in EPSG:2180. */
struct boundary_parts {
    GEOSContextHandle_t h;
    GEOSWKBReader *rd;
    GEOSGeometry **parts;
    size_t n, cap;
};

/* Adds a polygon or multipolygon, transformed to EPSG:2180 (ct; NULL: it is there already) and made valid. */
static enum err_code boundary_add(struct boundary_parts *b, OGRGeometryH g, OGRCoordinateTransformationH ct,
                                  const char *file, struct err *e)
{
    GEOSContextHandle_t h = b->h;
    enum err_code rc = ERR_OK;
    if (ct && OGR_G_Transform(g, ct) != OGRERR_NONE)
        rc = err_set(e, ERR_UNPROCESSABLE, "%s: cannot transform to EPSG:2180", file);
    size_t sz = (size_t)OGR_G_WkbSize(g);
    unsigned char *wkb = !rc ? malloc(sz) : NULL;
    GEOSGeometry *gg = NULL;
    if (wkb && OGR_G_ExportToWkb(g, wkbNDR, wkb) == OGRERR_NONE)
        gg = GEOSWKBReader_read_r(h, b->rd, wkb, sz);
    free(wkb);
    if (gg && GEOSisValid_r(h, gg) != 1) {
        GEOSGeometry *fixed = GEOSMakeValid_r(h, gg);
        GEOSGeom_destroy_r(h, gg);
        gg = fixed;
    }
    if (gg && b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        GEOSGeometry **np = realloc(b->parts, cap * sizeof *np);
        if (!np) {
            GEOSGeom_destroy_r(h, gg);
            return err_set(e, ERR_INTERNAL, "out of memory");
        }
        b->parts = np, b->cap = cap;
    }
    if (gg)
        b->parts[b->n++] = gg;
    return rc;
}

/* Reads the polygons of one layer (layers of points or lines are passed over) in its CRS, or in given when
 * the user named one. */
static enum err_code boundary_layer(struct boundary_parts *b, OGRLayerH L, OGRSpatialReferenceH given,
                                    OGRSpatialReferenceH dst, const char *file, struct err *e)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(L));
    if (t == wkbNone || t == wkbPoint || t == wkbMultiPoint || t == wkbLineString || t == wkbMultiLineString)
        return ERR_OK;
    OGRSpatialReferenceH src = given                    ? OSRClone(given)
                               : OGR_L_GetSpatialRef(L) ? OSRClone(OGR_L_GetSpatialRef(L))
                                                        : NULL;
    if (!src)
        return err_set(e, ERR_INVALID, "%s: layer %s has no CRS: name it with --s-srs EPSG:n", file, OGR_L_GetName(L));
    OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OSRIsSame(src, dst) ? NULL : OCTNewCoordinateTransformation(src, dst);
    OGRFeatureH f;
    enum err_code rc = ERR_OK;
    OGR_L_ResetReading(L);
    while (!rc && (f = OGR_L_GetNextFeature(L))) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g && OGR_G_HasCurveGeometry(g, 1)) {
            OGRGeometryH lin = OGR_G_GetLinearGeometry(g, 0, NULL);
            OGR_F_SetGeometryDirectly(f, lin);
            g = OGR_F_GetGeometryRef(f);
        }
        OGRwkbGeometryType gt = g ? wkbFlatten(OGR_G_GetGeometryType(g)) : wkbNone;
        if (gt == wkbPolygon || gt == wkbMultiPolygon)
            rc = boundary_add(b, g, ct, file, e);
        OGR_F_Destroy(f);
    }
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(src);
    return rc;
}

/* The union of the parts (which it takes over), or NULL with the error. */
static GEOSGeometry *boundary_union(struct boundary_parts *b, const char *file, struct err *e)
{
    if (!b->n) {
        err_set(e, ERR_UNPROCESSABLE, "%s: no polygon to take as the gmina boundary", file);
        return NULL;
    }
    GEOSGeometry *coll = GEOSGeom_createCollection_r(b->h, GEOS_GEOMETRYCOLLECTION, b->parts, (unsigned)b->n);
    b->n = 0; /* owned by coll now */
    GEOSGeometry *u = coll ? GEOSUnaryUnion_r(b->h, coll) : NULL;
    if (coll)
        GEOSGeom_destroy_r(b->h, coll);
    if (!u)
        err_set(e, ERR_UNPROCESSABLE, "%s: the polygons cannot be joined", file);
    return u;
}

/* Replaces the store's gmina_boundary with u, naming the file it came from, in a transaction of its own. */
static enum err_code boundary_store(struct gis_store *w, GEOSContextHandle_t h, const GEOSGeometry *u, const char *file,
                                    struct err *e)
{
    enum err_code rc = ERR_OK;
    GEOSWKBWriter *wr = GEOSWKBWriter_create_r(h);
    size_t len = 0;
    unsigned char *wkb = wr ? GEOSWKBWriter_write_r(h, wr, u, &len) : NULL;
    sqlite3_stmt *st = NULL;
    const char *base = strrchr(file, '/');
    if (!wkb)
        rc = err_set(e, ERR_INTERNAL, "GEOS cannot write the boundary");
    else if (!(rc = gis_store_begin(w, e)) && !(rc = gis_store_exec(w, "DELETE FROM gmina_boundary", e)) &&
             !(rc = gis_store_prepare(w,
                                      "INSERT INTO gmina_boundary (id, source, set_at, geom) VALUES (1, ?, "
                                      "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), "
                                      "CastToMultiPolygon(GeomFromWKB(?, 2180)))",
                                      &st, e))) {
        sqlite3_bind_text(st, 1, base ? base + 1 : file, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 2, wkb, (int)len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = err_set(e, ERR_IO, "%s: %s", gis_store_path(w), sqlite3_errmsg(gis_store_db(w)));
        sqlite3_finalize(st);
        if (!rc)
            rc = gis_store_commit(w, e);
        if (rc)
            gis_store_rollback(w);
    }
    if (wkb)
        GEOSFree_r(h, wkb);
    if (wr)
        GEOSWKBWriter_destroy_r(h, wr);
    return rc;
}

enum err_code gis_boundary_set(struct gis_store *w, const char *file, const char *s_srs, double *area_m2, struct err *e)
{
    if (gis_import_check_file(file, e))
        return e->code;
    GDALAllRegister();
    CPLPushErrorHandler(boundary_quiet);
    CPLSetThreadLocalConfigOption("GML_SKIP_RESOLVE_ELEMS", "ALL");
    CPLSetThreadLocalConfigOption("GML_DOWNLOAD_WFS_SCHEMA", "NO");
    static const char *const oo[] = {"DOWNLOAD_SCHEMA=NO", "WRITE_GFS=NO", NULL};
    const char *ext = strrchr(file, '.');
    bool gml = ext && (!strcasecmp(ext, ".gml") || !strcasecmp(ext, ".xml"));
    GDALDatasetH ds = GDALOpenEx(file, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, gml ? oo : NULL, NULL);
    enum err_code rc = ERR_OK;
    OGRSpatialReferenceH dst = OSRNewSpatialReference(NULL), given = NULL;
    struct boundary_parts b = {.h = GEOS_init_r()};
    b.rd = GEOSWKBReader_create_r(b.h);
    if (!ds)
        rc = err_set(e, ERR_UNPROCESSABLE, "%s: not a vector file GDAL reads", file);
    else if (OSRImportFromEPSG(dst, 2180) != OGRERR_NONE)
        rc = err_set(e, ERR_INTERNAL, "EPSG:2180 unknown to PROJ");
    if (!rc && s_srs) {
        int code = 0;
        given = OSRNewSpatialReference(NULL);
        if (sscanf(s_srs, "EPSG:%d", &code) != 1 || OSRImportFromEPSG(given, code) != OGRERR_NONE)
            rc = err_param(e, "s_srs", "--s-srs: '%s' is not an EPSG code PROJ knows", s_srs);
    }
    OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
    for (int li = 0; !rc && li < GDALDatasetGetLayerCount(ds); li++)
        rc = boundary_layer(&b, GDALDatasetGetLayer(ds, li), given, dst, file, e);
    GEOSGeometry *u = !rc ? boundary_union(&b, file, e) : NULL;
    if (!rc && !u)
        rc = e->code;
    if (!rc && area_m2)
        GEOSArea_r(b.h, u, area_m2);
    if (!rc)
        rc = boundary_store(w, b.h, u, file, e);
    for (size_t i = 0; i < b.n; i++)
        GEOSGeom_destroy_r(b.h, b.parts[i]);
    free(b.parts);
    if (u)
        GEOSGeom_destroy_r(b.h, u);
    GEOSWKBReader_destroy_r(b.h, b.rd);
    GEOS_finish_r(b.h);
    if (given)
        OSRDestroySpatialReference(given);
    OSRDestroySpatialReference(dst);
    if (ds)
        GDALClose(ds);
    CPLSetThreadLocalConfigOption("GML_SKIP_RESOLVE_ELEMS", NULL);
    CPLSetThreadLocalConfigOption("GML_DOWNLOAD_WFS_SCHEMA", NULL);
    CPLPopErrorHandler();
    return rc;
}
