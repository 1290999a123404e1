/* Raster plan drawings: GeoTIFFs in the store, warped with GDAL to the wyrys frame. See gis/drawing.h. */
#include "gis/drawing.h"
#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <pango/pangocairo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/render.h"
#include "gis/store_sql.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "gis/drawing.c maps cairo's native-endian pixels as little-endian BGRA"
#endif
/* Cairo RGB24/ARGB32 pixels in memory on a little-endian machine: B, G, R, A. Buffer band k of an
 * interleaved RasterIO (band spacing 1) maps to dataset band bgr_map[k]. */
static int bgr_map[3] = {3, 2, 1};

static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;
static void gdal_register(void)
{
    GDALAllRegister();
}

static atomic_ulong vsi_seq;

/* A unique /vsimem/ name. */
static void vsi_name(char *out, size_t cap, const char *ext)
{
    snprintf(out, cap, "/vsimem/odra-drawing-%lu.%s", (unsigned long)atomic_fetch_add(&vsi_seq, 1) + 1, ext);
}

void gis_drawing_free(struct gis_drawing *d)
{
    if (d) {
        free(d->tif);
        d->tif = NULL;
        d->len = 0;
    }
}

enum err_code gis_drawing_get(struct gis_store *s, long plan_id, struct gis_drawing *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct err pe = {0};
    sqlite3_stmt *st =
        gis_store_cached(s,
                         "SELECT id, plan_id, scale_denominator, srid, minx, miny, maxx, maxy, tif FROM plan_drawings "
                         "WHERE plan_id = ? ORDER BY id DESC LIMIT 1",
                         &pe);
    if (!st)
        return err_set(e, ERR_NOT_FOUND, "no plan drawings in this store");
    sqlite3_bind_int64(st, 1, plan_id);
    int r = sqlite3_step(st);
    enum err_code rc = ERR_OK;
    if (r == SQLITE_ROW) {
        out->id = (long)sqlite3_column_int64(st, 0);
        out->plan_id = (long)sqlite3_column_int64(st, 1);
        out->scale = (long)sqlite3_column_int64(st, 2);
        out->srid = sqlite3_column_int(st, 3);
        for (int i = 0; i < 4; i++)
            out->bbox[i] = sqlite3_column_double(st, 4 + i);
        const void *b = sqlite3_column_blob(st, 8);
        int n = sqlite3_column_bytes(st, 8);
        out->tif = n > 0 ? malloc((size_t)n) : NULL;
        if (!out->tif)
            rc = err_set(e, n > 0 ? ERR_INTERNAL : ERR_INVALID, "plan drawing %ld: %s", out->id,
                         n > 0 ? "out of memory" : "empty");
        else {
            memcpy(out->tif, b, (size_t)n);
            out->len = (size_t)n;
        }
    } else if (r == SQLITE_DONE)
        rc = err_set(e, ERR_NOT_FOUND, "plan %ld has no drawing", plan_id);
    else
        rc = err_set(e, ERR_IO, "plan drawings: %s", sqlite3_errmsg(gis_store_db(s)));
    gis_store_release(st);
    return rc;
}

bool gis_drawing_exists(struct gis_store *s, long plan_id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(gis_store_db(s), "SELECT 1 FROM plan_drawings WHERE plan_id = ? LIMIT 1", -1, &st, NULL) !=
        SQLITE_OK)
        return false;
    sqlite3_bind_int64(st, 1, plan_id);
    bool ok = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return ok;
}

/* WKT of EPSG:code in traditional GIS axis order; the caller CPLFree()s it. */
static char *epsg_wkt(int code)
{
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    char *wkt = NULL;
    if (srs && OSRImportFromEPSG(srs, code) == OGRERR_NONE)
        OSRExportToWkt(srs, &wkt);
    OSRDestroySpatialReference(srs);
    return wkt;
}

/* Opens tif bytes as a read-only dataset on a fresh /vsimem/ name (name filled in for the unlink). */
static GDALDatasetH open_mem(const void *tif, size_t len, char *name, size_t cap)
{
    pthread_once(&gdal_once, gdal_register);
    vsi_name(name, cap, "tif");
    VSILFILE *f = VSIFileFromMemBuffer(name, (GByte *)tif, (vsi_l_offset)len, FALSE);
    if (!f)
        return NULL;
    VSIFCloseL(f);
    const char *const drivers[] = {"GTiff", NULL};
    return GDALOpenEx(name, GDAL_OF_RASTER | GDAL_OF_READONLY, drivers, NULL, NULL);
}

/* The drawing's GeoTIFF as a dataset on a /vsimem/ name (unlink it when done); NULL with e set when GDAL
 * cannot read it. */
static GDALDatasetH open_drawing(const struct gis_drawing *d, char *name, size_t cap, struct err *e)
{
    GDALDatasetH src = open_mem(d->tif, d->len, name, cap);
    if (!src) {
        VSIUnlink(name);
        err_set(e, ERR_INVALID, "plan drawing %ld: GDAL cannot read it as a GeoTIFF", d->id);
    }
    return src;
}

enum err_code gis_drawing_window(const struct gis_drawing *d, const double bbox[4], int w, int h, cairo_surface_t **out,
                                 cairo_matrix_t *m, struct err *e)
{
    *out = NULL;
    if (w < 1 || h < 1 || w > 20000 || h > 20000 || !(bbox[2] > bbox[0]) || !(bbox[3] > bbox[1]))
        return err_set(e, ERR_INVALID, "drawing: bad frame %dx%d", w, h);
    char name[96];
    GDALDatasetH src = open_drawing(d, name, sizeof name, e);
    if (!src)
        return e->code;
    enum err_code rc = ERR_OK;
    OGRSpatialReferenceH from = OSRNewSpatialReference(NULL), to = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH ct = NULL;
    double gt[6];
    int sw = GDALGetRasterXSize(src), sh = GDALGetRasterYSize(src), nb = GDALGetRasterCount(src);
    const char *wkt = GDALGetProjectionRef(src);
    bool plain =
        nb >= 3 && GDALGetGeoTransform(src, gt) == CE_None && gt[1] != 0 && gt[5] != 0 && gt[2] == 0 && gt[4] == 0;
    for (int b = 1; plain && b <= 3; b++)
        plain = GDALGetRasterDataType(GDALGetRasterBand(src, b)) == GDT_Byte &&
                !GDALGetRasterColorTable(GDALGetRasterBand(src, b));
    if (plain && from && to && OSRImportFromEPSG(from, 2180) == OGRERR_NONE &&
        (wkt && *wkt ? OSRImportFromWkt(to, (char **)&wkt) : OSRImportFromEPSG(to, d->srid > 0 ? d->srid : 2180)) ==
            OGRERR_NONE) {
        OSRSetAxisMappingStrategy(from, OAMS_TRADITIONAL_GIS_ORDER);
        OSRSetAxisMappingStrategy(to, OAMS_TRADITIONAL_GIS_ORDER);
        ct = OCTNewCoordinateTransformation(from, to);
    }
    /* frame pixel (i, j) -> EPSG:2180 -> the drawing's CRS -> its pixel; an affine fit on three corners,
     * checked on a 3 x 3 grid */
    double fi[9], fj[9], px[9], py[9];
    bool ok = ct != NULL;
    for (int k = 0; k < 9; k++) {
        fi[k] = w * (k % 3) / 2.0, fj[k] = h * (k / 3) / 2.0;
        px[k] = bbox[0] + fi[k] * (bbox[2] - bbox[0]) / w;
        py[k] = bbox[3] - fj[k] * (bbox[3] - bbox[1]) / h;
    }
    ok = ok && OCTTransform(ct, 9, px, py, NULL);
    for (int k = 0; ok && k < 9; k++)
        px[k] = (px[k] - gt[0]) / gt[1], py[k] = (py[k] - gt[3]) / gt[5];
    /* corners 0 (0, 0), 2 (w, 0), 6 (0, h) */
    double a = ok ? (px[2] - px[0]) / w : 0, b = ok ? (px[6] - px[0]) / h : 0, c = ok ? px[0] : 0;
    double dd = ok ? (py[2] - py[0]) / w : 0, ee = ok ? (py[6] - py[0]) / h : 0, f = ok ? py[0] : 0;
    for (int k = 0; ok && k < 9; k++)
        ok = fabs(a * fi[k] + b * fj[k] + c - px[k]) < 0.25 && fabs(dd * fi[k] + ee * fj[k] + f - py[k]) < 0.25;
    if (!ok) {
        rc = err_set(e, ERR_UNPROCESSABLE, "plan drawing %ld: not an affine window of the frame", d->id);
        goto done;
    }
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int k = 0; k < 9; k++)
        x0 = fmin(x0, px[k]), y0 = fmin(y0, py[k]), x1 = fmax(x1, px[k]), y1 = fmax(y1, py[k]);
    int xo = (int)fmax(0, floor(x0) - 2), yo = (int)fmax(0, floor(y0) - 2);
    int xe = (int)fmin(sw, ceil(x1) + 2), ye = (int)fmin(sh, ceil(y1) + 2);
    if (xe <= xo || ye <= yo) {
        rc = err_set(e, ERR_NOT_FOUND, "plan drawing %ld does not reach this frame", d->id);
        goto done;
    }
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, xe - xo, ye - yo);
    if (cairo_surface_status(img)) {
        cairo_surface_destroy(img);
        rc = err_set(e, ERR_INTERNAL, "drawing: cannot create a %dx%d image", xe - xo, ye - yo);
        goto done;
    }
    cairo_surface_flush(img);
    if (GDALDatasetRasterIO(src, GF_Read, xo, yo, xe - xo, ye - yo, cairo_image_surface_get_data(img), xe - xo, ye - yo,
                            GDT_Byte, 3, bgr_map, 4, cairo_image_surface_get_stride(img), 1) != CE_None) {
        cairo_surface_destroy(img);
        rc = err_set(e, ERR_INVALID, "plan drawing %ld: reading failed: %s", d->id, CPLGetLastErrorMsg());
        goto done;
    }
    cairo_surface_mark_dirty(img);
    cairo_matrix_init(m, a, dd, b, ee, c - xo, f - yo);
    *out = img;
done:
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(from);
    OSRDestroySpatialReference(to);
    GDALClose(src);
    VSIUnlink(name);
    return rc;
}

enum err_code gis_drawing_warp(const struct gis_drawing *d, const double bbox[4], int w, int h, cairo_surface_t **out,
                               struct err *e)
{
    *out = NULL;
    if (w < 1 || h < 1 || w > 20000 || h > 20000)
        return err_set(e, ERR_INVALID, "drawing: bad target size %dx%d", w, h);
    char name[96];
    GDALDatasetH src = open_drawing(d, name, sizeof name, e);
    if (!src)
        return e->code;
    enum err_code rc = ERR_OK;
    /* finer than 1.5 times the drawing's own pixels adds nothing but time: cap the target there */
    int sw = GDALGetRasterXSize(src);
    double src_m = sw > 0 && d->bbox[2] > d->bbox[0] ? (d->bbox[2] - d->bbox[0]) / sw : 0;
    double want_m = (bbox[2] - bbox[0]) / w;
    if (src_m > 0 && want_m < src_m / 1.5) {
        double f = want_m / (src_m / 1.5);
        w = (int)fmax(1, ceil(w * f));
        h = (int)fmax(1, ceil(h * f));
    }
    GDALDatasetH dst = GDALCreate(GDALGetDriverByName("MEM"), "", w, h, 3, GDT_Byte, NULL);
    char *wkt = epsg_wkt(2180);
    char srs_opt[32];
    snprintf(srs_opt, sizeof srs_opt, "EPSG:%d", d->srid > 0 ? d->srid : 2180);
    const char *src_wkt = GDALGetProjectionRef(src);
    bool has_srs = src_wkt && *src_wkt;
    if (!dst || !wkt) {
        rc = err_set(e, ERR_INTERNAL, "drawing: cannot create the target dataset");
        goto done;
    }
    double gt[6] = {bbox[0], (bbox[2] - bbox[0]) / w, 0, bbox[3], 0, -(bbox[3] - bbox[1]) / h};
    GDALSetGeoTransform(dst, gt);
    GDALSetProjection(dst, wkt);
    for (int b = 1; b <= 3; b++)
        GDALFillRaster(GDALGetRasterBand(dst, b), 255, 0);
    char *argv[] = {"-r", "bilinear", "-s_srs", srs_opt, NULL};
    if (has_srs)
        argv[2] = NULL;
    GDALWarpAppOptions *wo = GDALWarpAppOptionsNew(argv, NULL);
    int usage = 0;
    GDALDatasetH r = wo ? GDALWarp(NULL, dst, 1, &src, wo, &usage) : NULL;
    GDALWarpAppOptionsFree(wo);
    if (!r || usage) {
        rc = err_set(e, ERR_INVALID, "plan drawing %ld: warping failed: %s", d->id, CPLGetLastErrorMsg());
        goto done;
    }
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(img)) {
        cairo_surface_destroy(img);
        rc = err_set(e, ERR_INTERNAL, "drawing: cannot create a %dx%d image", w, h);
        goto done;
    }
    cairo_surface_flush(img);
    unsigned char *px = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    if (GDALDatasetRasterIO(dst, GF_Read, 0, 0, w, h, px, w, h, GDT_Byte, 3, bgr_map, 4, stride, 1) != CE_None) {
        cairo_surface_destroy(img);
        rc = err_set(e, ERR_INTERNAL, "drawing: reading the warped raster failed");
        goto done;
    }
    cairo_surface_mark_dirty(img);
    *out = img;
done:
    CPLFree(wkt);
    if (dst)
        GDALClose(dst);
    GDALClose(src);
    VSIUnlink(name);
    return rc;
}

enum err_code gis_drawing_plan_find(struct gis_store *s, const char *plan, long *id, long *scale, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT id, coalesce(scale, 0) FROM plans WHERE iip = ?1 OR CAST(id AS TEXT) = ?1", &st,
                          e))
        return e->code;
    sqlite3_bind_text(st, 1, plan, -1, SQLITE_STATIC);
    enum err_code rc = ERR_OK;
    if (sqlite3_step(st) == SQLITE_ROW)
        *id = (long)sqlite3_column_int64(st, 0), *scale = (long)sqlite3_column_int64(st, 1);
    else
        rc = err_set(e, ERR_NOT_FOUND, "no plan with idIIP or id '%s'", plan);
    sqlite3_finalize(st);
    return rc;
}

enum err_code gis_drawing_add(struct gis_store *s, long plan_id, const char *name, const void *tif, size_t len,
                              long scale, int srid, long *id_out, struct err *e)
{
    char vname[96];
    GDALDatasetH ds = open_mem(tif, len, vname, sizeof vname);
    if (!ds) {
        VSIUnlink(vname);
        return err_set(e, ERR_INVALID, "%s: GDAL cannot read it as a GeoTIFF", name ? name : "drawing");
    }
    enum err_code rc = ERR_OK;
    double gt[6];
    OGRSpatialReferenceH from = NULL, to = NULL;
    OGRCoordinateTransformationH ct = NULL;
    if (GDALGetGeoTransform(ds, gt) != CE_None || gt[1] == 0 || gt[5] == 0) {
        rc = err_set(e, ERR_INVALID, "%s: the raster is not georeferenced (no geotransform)", name);
        goto done;
    }
    const char *wkt = GDALGetProjectionRef(ds);
    from = OSRNewSpatialReference(NULL);
    to = OSRNewSpatialReference(NULL);
    if (wkt && *wkt ? OSRImportFromWkt(from, (char **)&wkt) != OGRERR_NONE
                    : (srid <= 0 || OSRImportFromEPSG(from, srid) != OGRERR_NONE)) {
        rc = err_set(e, ERR_INVALID, "%s: the raster has no usable coordinate system (give its EPSG code)", name);
        goto done;
    }
    if (srid <= 0) {
        const char *code = OSRGetAuthorityCode(from, NULL);
        srid = code ? atoi(code) : 0;
        if (srid <= 0 && OSRAutoIdentifyEPSG(from) == OGRERR_NONE && (code = OSRGetAuthorityCode(from, NULL)))
            srid = atoi(code);
    }
    OSRImportFromEPSG(to, 2180);
    OSRSetAxisMappingStrategy(from, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(to, OAMS_TRADITIONAL_GIS_ORDER);
    ct = OCTNewCoordinateTransformation(from, to);
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
    double x0 = gt[0], x1 = gt[0] + w * gt[1] + h * gt[2], y0 = gt[3] + w * gt[4] + h * gt[5], y1 = gt[3];
    double bb[4];
    if (!ct || !OCTTransformBounds(ct, fmin(x0, x1), fmin(y0, y1), fmax(x0, x1), fmax(y0, y1), &bb[0], &bb[1], &bb[2],
                                   &bb[3], 21)) {
        rc = err_set(e, ERR_INVALID, "%s: its extent cannot be transformed to EPSG:2180", name);
        goto done;
    }
    if (srid <= 0)
        srid = 2180;
    sqlite3_stmt *st;
    if (gis_store_prepare(s, "SELECT MbrIntersects(geom, BuildMbr(?, ?, ?, ?, 2180)) FROM plans WHERE id = ?", &st,
                          e)) {
        rc = e ? e->code : ERR_IO;
        goto done;
    }
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(st, i + 1, bb[i]);
    sqlite3_bind_int64(st, 5, plan_id);
    int hit = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (hit != 1) {
        rc = hit < 0 ? err_set(e, ERR_NOT_FOUND, "plan %ld not found", plan_id)
                     : err_set(e, ERR_INVALID, "%s: the drawing does not overlap plan %ld", name, plan_id);
        goto done;
    }
    if (gis_store_prepare(s,
                          "INSERT INTO plan_drawings (plan_id, name, tif, scale_denominator, srid, minx, miny, maxx, "
                          "maxy, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                          &st, e)) {
        rc = e ? e->code : ERR_IO;
        goto done;
    }
    sqlite3_bind_int64(st, 1, plan_id);
    sqlite3_bind_text(st, 2, name ? name : "rysunek.tif", -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob64(st, 3, tif, (sqlite3_uint64)len, SQLITE_STATIC);
    if (scale > 0)
        sqlite3_bind_int64(st, 4, scale);
    sqlite3_bind_int(st, 5, srid);
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(st, 6 + i, bb[i]);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = err_set(e, ERR_IO, "plan drawing: %s", sqlite3_errmsg(gis_store_db(s)));
    else if (id_out)
        *id_out = (long)sqlite3_last_insert_rowid(gis_store_db(s));
    sqlite3_finalize(st);
done:
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(from);
    OSRDestroySpatialReference(to);
    GDALClose(ds);
    VSIUnlink(vname);
    return rc;
}

enum err_code gis_drawing_geotiff(cairo_surface_t *img, enum gis_crs crs, const double bbox[4], struct buf *out,
                                  struct err *e)
{
    pthread_once(&gdal_once, gdal_register);
    cairo_surface_flush(img);
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    int stride = cairo_image_surface_get_stride(img);
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    char *wkt = epsg_wkt(gis_crs_epsg(crs));
    if (!drv || !wkt) {
        CPLFree(wkt);
        return err_set(e, ERR_INTERNAL, "GeoTIFF: no GTiff driver or unknown CRS");
    }
    char name[96];
    vsi_name(name, sizeof name, "tif");
    char *opts[] = {"COMPRESS=DEFLATE", "PREDICTOR=2", "TILED=YES", "ZLEVEL=4", "PHOTOMETRIC=RGB", NULL};
    GDALDatasetH ds = GDALCreate(drv, name, w, h, 3, GDT_Byte, opts);
    enum err_code rc = ERR_OK;
    if (!ds)
        rc = err_set(e, ERR_INTERNAL, "GeoTIFF: cannot create: %s", CPLGetLastErrorMsg());
    else {
        double gt[6] = {bbox[0], (bbox[2] - bbox[0]) / w, 0, bbox[3], 0, -(bbox[3] - bbox[1]) / h};
        GDALSetGeoTransform(ds, gt);
        GDALSetProjection(ds, wkt);
        GDALSetMetadataItem(ds, "TIFFTAG_SOFTWARE", "odra", NULL);
        if (GDALDatasetRasterIO(ds, GF_Write, 0, 0, w, h, cairo_image_surface_get_data(img), w, h, GDT_Byte, 3, bgr_map,
                                4, stride, 1) != CE_None)
            rc = err_set(e, ERR_INTERNAL, "GeoTIFF: writing failed");
        GDALClose(ds);
    }
    CPLFree(wkt);
    vsi_l_offset n = 0;
    GByte *data = rc ? NULL : VSIGetMemFileBuffer(name, &n, TRUE);
    VSIUnlink(name);
    if (!rc && !data)
        rc = err_set(e, ERR_INTERNAL, "GeoTIFF: no output");
    if (data) {
        buf_append(out, (const char *)data, (size_t)n);
        CPLFree(data);
        if (out->failed)
            rc = err_set(e, ERR_INTERNAL, "out of memory");
    }
    return rc;
}

enum err_code gis_drawing_scan(struct gis_store *s, const struct gis_style *st, long plan_id, enum gis_crs crs,
                               double m_per_px, struct buf *out, long *scale_out, struct err *e)
{
    sqlite3_stmt *q;
    if (gis_store_prepare(s,
                          "SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom), coalesce(scale, 1000), "
                          "title FROM plans WHERE id = ?",
                          &q, e))
        return e ? e->code : ERR_IO;
    sqlite3_bind_int64(q, 1, plan_id);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        return err_set(e, ERR_NOT_FOUND, "plan %ld not found", plan_id);
    }
    double pb[4];
    for (int i = 0; i < 4; i++)
        pb[i] = sqlite3_column_double(q, i);
    long scale = (long)sqlite3_column_int64(q, 4);
    char title[400];
    snprintf(title, sizeof title, "%s", sqlite3_column_text(q, 5) ? (const char *)sqlite3_column_text(q, 5) : "");
    sqlite3_finalize(q);
    if (scale <= 0)
        scale = 1000;
    if (scale_out)
        *scale_out = scale;

    /* the sheet: the plan plus a margin for the frame and the title block, in crs */
    double margin = 0.05 * scale, bb2180[4] = {pb[0] - margin, pb[1] - 1.6 * margin, pb[2] + margin, pb[3] + margin};
    double bb[4];
    enum err_code rc = gis_crs_transform_bbox(GIS_CRS_2180, crs, bb2180, bb, e);
    if (rc)
        return rc;
    int w = (int)ceil((bb[2] - bb[0]) / m_per_px), h = (int)ceil((bb[3] - bb[1]) / m_per_px);
    if (w < 16 || h < 16 || (double)w * h > 40e6)
        return err_set(e, ERR_INVALID, "plan %ld: drawing of %dx%d pixels is out of range", plan_id, w, h);
    bb[2] = bb[0] + w * m_per_px;
    bb[1] = bb[3] - h * m_per_px;

    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(img);
    /* style pixels are 1/96 in on a print at the plan's scale */
    double dpi = 25.4 / (m_per_px * 1000.0 / (double)scale);
    static const char *const groups[] = {"landcover",  "mpzp",      "mpzp-lines", "overlays",
                                         "plan-lines", "buildings", "plans",      "streets"};
    struct gis_render_opts o = {.crs = crs,
                                .bbox = {bb[0], bb[1], bb[2], bb[3]},
                                .width = w,
                                .height = h,
                                .scale = dpi / 96.0,
                                .groups = groups,
                                .ngroups = (int)(sizeof groups / sizeof groups[0]),
                                .has_bgcolor = true,
                                .bgcolor = {0.975, 0.96, 0.92, 1}, /* paper */
                                .labels_inside = true};
    rc = gis_render_map(cr, s, st, &o, NULL, e);
    if (!rc) {
        /* the sheet frame and title block, as drawn on a plan sheet */
        double px_mm = dpi / 25.4, inset = 4 * px_mm;
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.12);
        cairo_set_line_width(cr, 0.5 * px_mm);
        cairo_rectangle(cr, inset, inset, w - 2 * inset, h - 2 * inset);
        cairo_stroke(cr);
        cairo_set_line_width(cr, 0.25 * px_mm);
        cairo_rectangle(cr, inset + 1.5 * px_mm, inset + 1.5 * px_mm, w - 2 * inset - 3 * px_mm,
                        h - 2 * inset - 3 * px_mm);
        cairo_stroke(cr);
        PangoLayout *l = pango_cairo_create_layout(cr);
        PangoFontDescription *fd = pango_font_description_from_string("DejaVu Sans");
        pango_font_description_set_absolute_size(fd, 3.2 * px_mm * PANGO_SCALE);
        pango_layout_set_font_description(l, fd);
        pango_font_description_free(fd);
        pango_layout_set_width(l, (int)((w - 2 * inset - 10 * px_mm) * PANGO_SCALE));
        pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
        char text[600];
        snprintf(text, sizeof text, "RYSUNEK PLANU  •  %s  •  skala 1:%ld", title, scale);
        pango_layout_set_text(l, text, -1);
        cairo_move_to(cr, inset + 5 * px_mm, h - inset - 8 * px_mm);
        pango_cairo_show_layout(cr, l);
        g_object_unref(l);
        if (cairo_status(cr))
            rc = err_set(e, ERR_INTERNAL, "cairo: %s", cairo_status_to_string(cairo_status(cr)));
    }
    cairo_destroy(cr);
    if (!rc) {
        /* a scan's tone: a faint warm cast over the whole sheet (flat, so DEFLATE stays small) */
        cairo_surface_flush(img);
        unsigned char *px = cairo_image_surface_get_data(img);
        int stride = cairo_image_surface_get_stride(img);
        for (int y = 0; y < h; y++) {
            uint32_t *row = (uint32_t *)(px + (size_t)y * (size_t)stride);
            for (int x = 0; x < w; x++) {
                uint32_t p = row[x];
                unsigned r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
                r = r * 245 / 255 + 6, g = g * 240 / 255 + 8, b = b * 228 / 255 + 10;
                row[x] = 0xff000000u | r << 16 | g << 8 | b;
            }
        }
        cairo_surface_mark_dirty(img);
        rc = gis_drawing_geotiff(img, crs, bb, out, e);
    }
    cairo_surface_destroy(img);
    return rc;
}
