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

static void boundary_quiet(CPLErr cls, CPLErrorNum no, const char *msg)
{
    (void)cls, (void)no, (void)msg;
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
    GEOSContextHandle_t h = GEOS_init_r();
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    GEOSGeometry **parts = NULL;
    size_t n = 0, cap = 0;
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
    for (int li = 0; !rc && li < GDALDatasetGetLayerCount(ds); li++) {
        OGRLayerH L = GDALDatasetGetLayer(ds, li);
        OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(L));
        if (t == wkbNone || t == wkbPoint || t == wkbMultiPoint || t == wkbLineString || t == wkbMultiLineString)
            continue;
        OGRSpatialReferenceH src = given                    ? OSRClone(given)
                                   : OGR_L_GetSpatialRef(L) ? OSRClone(OGR_L_GetSpatialRef(L))
                                                            : NULL;
        if (!src) {
            rc =
                err_set(e, ERR_INVALID, "%s: layer %s has no CRS: name it with --s-srs EPSG:n", file, OGR_L_GetName(L));
            break;
        }
        OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
        OGRCoordinateTransformationH ct = OSRIsSame(src, dst) ? NULL : OCTNewCoordinateTransformation(src, dst);
        OGRFeatureH f;
        OGR_L_ResetReading(L);
        while (!rc && (f = OGR_L_GetNextFeature(L))) {
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            if (g && OGR_G_HasCurveGeometry(g, 1)) {
                OGRGeometryH lin = OGR_G_GetLinearGeometry(g, 0, NULL);
                OGR_F_SetGeometryDirectly(f, lin);
                g = OGR_F_GetGeometryRef(f);
            }
            OGRwkbGeometryType gt = g ? wkbFlatten(OGR_G_GetGeometryType(g)) : wkbNone;
            if (gt == wkbPolygon || gt == wkbMultiPolygon) {
                if (ct && OGR_G_Transform(g, ct) != OGRERR_NONE)
                    rc = err_set(e, ERR_UNPROCESSABLE, "%s: cannot transform to EPSG:2180", file);
                size_t sz = (size_t)OGR_G_WkbSize(g);
                unsigned char *wkb = !rc ? malloc(sz) : NULL;
                GEOSGeometry *gg = NULL;
                if (wkb && OGR_G_ExportToWkb(g, wkbNDR, wkb) == OGRERR_NONE)
                    gg = GEOSWKBReader_read_r(h, rd, wkb, sz);
                free(wkb);
                if (gg && GEOSisValid_r(h, gg) != 1) {
                    GEOSGeometry *fixed = GEOSMakeValid_r(h, gg);
                    GEOSGeom_destroy_r(h, gg);
                    gg = fixed;
                }
                if (gg && n == cap) {
                    cap = cap ? 2 * cap : 16;
                    GEOSGeometry **np = realloc(parts, cap * sizeof *np);
                    if (!np) {
                        GEOSGeom_destroy_r(h, gg);
                        gg = NULL;
                        rc = err_set(e, ERR_INTERNAL, "out of memory");
                    } else
                        parts = np;
                }
                if (gg)
                    parts[n++] = gg;
            }
            OGR_F_Destroy(f);
        }
        if (ct)
            OCTDestroyCoordinateTransformation(ct);
        OSRDestroySpatialReference(src);
    }
    if (!rc && !n)
        rc = err_set(e, ERR_UNPROCESSABLE, "%s: no polygon to take as the gmina boundary", file);
    GEOSGeometry *u = NULL;
    if (!rc) {
        GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
        n = 0; /* owned by coll now */
        u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
        if (coll)
            GEOSGeom_destroy_r(h, coll);
        if (!u)
            rc = err_set(e, ERR_UNPROCESSABLE, "%s: the polygons cannot be joined", file);
    }
    if (!rc) {
        if (area_m2)
            GEOSArea_r(h, u, area_m2);
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
    }
    for (size_t i = 0; i < n; i++)
        GEOSGeom_destroy_r(h, parts[i]);
    free(parts);
    if (u)
        GEOSGeom_destroy_r(h, u);
    GEOSWKBReader_destroy_r(h, rd);
    GEOS_finish_r(h);
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
