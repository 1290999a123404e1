/* Map tiles over HTTP: XYZ raster and vector tiles (from the tile pipeline, tiles/serve.h) with ETag/304
 * and gzip, TileJSON 3.0.0, the tileset list, WMTS 1.0.0 RESTful capabilities and OGC API - Tiles for the
 * dataset and the collections. The map page, its assets and the glyphs are services/web.c's. */
#include <stdlib.h>
#include <string.h>

#include "gis/calendar.h"
#include "gis/crs.h"
#include "gis/features.h"
#include "gis/render.h"
#include "services/module.h"
#include "services/routes.h"
#include "services/server.h"
#include "tiles/matrix.h"
#include "tiles/mvt.h"
#include "tiles/serve.h"
#include "tiles/tileset.h"
#include "util/buf.h"
#include "util/httphdr.h"
#include "util/text.h"

/* Serves tile z/x/y of ts in format f through the tile pipeline (tiles/serve.h), and negotiates it: ETag
 * and 304, and gzip for MVT (stored gzipped, unzipped for clients that do not take gzip). Every tile path
 * goes through here: XYZ tiles and OGC API - Tiles, the dataset's and the collections'. */
static enum err_code serve_tile(struct http_req *req, struct http_resp *resp, const struct tile_set *ts,
                                enum tile_format f, int z, long x, long y, struct err *e)
{
    /* ?date=YYYY-MM-DD: the plans as in force on that day (default today) */
    const char *date = http_query(req, "date");
    int day;
    if (date && !gis_cal_parse_date(date, &day))
        return err_param(e, "date", "date must be a date YYYY-MM-DD (1900-2999)");
    struct gis_store *r = svc_tenant_reader(req->tenant, e);
    if (!r)
        return e->code;
    struct tile_served t = {.defer_miss = http_may_offload(req)};
    if (tile_serve(&req->tenant->tiles, r, ts, f, z, x, y, date, &t, e) != ERR_OK) {
        buf_free(&t.bytes);
        return e->code;
    }
    if (t.deferred) { /* a miss: rendered on a job thread (http_offload) */
        buf_free(&t.bytes);
        http_offload(req);
        return ERR_OK;
    }
    struct buf b = t.bytes;
    const char *tag = t.etag;
    bool gz = f == TILE_MVT && httphdr_accepts_gzip(http_header(req, "Accept-Encoding"));
    const char *etag = gz || f != TILE_MVT
                           ? arena_strdup(req->arena, tag)
                           : arena_printf(req->arena, "\"%.*s-identity\"", (int)strlen(tag) - 2, tag + 1);
    http_resp_header(resp, "ETag", etag);
    http_resp_header(resp, "Cache-Control", "public, max-age=60, stale-while-revalidate=30");
    http_resp_header(resp, "X-Tile-Cache", t.hit ? "HIT" : "MISS");
    resp->quiet = t.hit;
    if (f == TILE_MVT)
        http_resp_header(resp, "Vary", "Accept-Encoding");
    if (http_if_none_match(req, etag)) {
        buf_free(&b);
        http_resp_body(resp, 304, tile_format_mime(f), "", 0);
        return ERR_OK;
    }
    if (f == TILE_MVT && !gz) {
        struct buf plain = {0};
        enum err_code rc = tile_gunzip(b.data, b.len, &plain, e);
        buf_free(&b);
        if (rc) {
            buf_free(&plain);
            return rc;
        }
        b = plain;
    } else if (gz) {
        http_resp_header(resp, "Content-Encoding", "gzip");
    }
    return http_resp_buf(req, resp, 200, tile_format_mime(f), &b, e);
}

/* Parses the last path segment "Y.png", "Y@2x.png", "Y.mvt" (or ".pbf"). */
static bool parse_yfile(const char *s, long max, long *y, enum tile_format *f)
{
    static const struct {
        const char *suffix;
        enum tile_format f;
    } sfx[] = {{"@2x.png", TILE_PNG2X}, {".png", TILE_PNG}, {".mvt", TILE_MVT}, {".pbf", TILE_MVT}};
    size_t n = strlen(s);
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        size_t k = strlen(sfx[i].suffix);
        if (n > k && n - k <= 9 && !strcmp(s + n - k, sfx[i].suffix)) {
            char num[16];
            memcpy(num, s, n - k);
            num[n - k] = 0;
            if (!tile_parse_index(num, max, y))
                return false;
            *f = sfx[i].f;
            return true;
        }
    }
    return false;
}

static enum err_code xyz_tile(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct tile_set *ts = svc_tileset_find(req->tenant->cfg, http_capture(req, "tileset"));
    if (!ts)
        return err_set(e, ERR_NOT_FOUND, "no such tileset; see /%s/tiles", req->tenant->cfg->slug);
    long z, x, y;
    enum tile_format f;
    if (!tile_parse_index(http_capture(req, "z"), TILE_MAX_ZOOM, &z))
        return err_param(e, "z", "z must be an integer from 0 to %d", TILE_MAX_ZOOM);
    long max = (1L << z) - 1;
    if (!tile_parse_index(http_capture(req, "x"), max, &x))
        return err_param(e, "x", "x must be an integer from 0 to %ld at zoom %ld", max, z);
    if (!parse_yfile(http_capture(req, "y"), max, &y, &f))
        return err_param(e, "y", "the last part must be Y.png, Y@2x.png or Y.mvt with Y from 0 to %ld at zoom %ld", max,
                         z);
    return serve_tile(req, resp, ts, f, (int)z, x, y, e);
}

/* Paths under /{t}/tiles/ that are not tiles (traversal attempts, wrong depth): a 400, never a file. */
static enum err_code bad_tile_path(struct http_req *req, struct http_resp *resp, struct err *e)
{
    (void)req, (void)resp;
    return err_param(e, "path", "tile paths are /{t}/tiles/{tileset}/{z}/{x}/{y}.png|@2x.png|.mvt");
}

/* ---- metadata ---- */

static void tenant_bounds(struct http_req *req, double ll[4])
{
    double ext[4] = {200000, 470000, 260000, 520000};
    struct err e = {0};
    struct gis_store *r = svc_tenant_reader(req->tenant, &e);
    if (r)
        gis_render_extent(r, ext);
    if (gis_crs_transform_bbox(GIS_CRS_2180, GIS_CRS_CRS84, ext, ll, &e) != ERR_OK)
        ll[0] = 14.4, ll[1] = 52.1, ll[2] = 15.1, ll[3] = 52.6;
}

/* The vector_layers of TileJSON and of metadata.json: per layer its id, fields ("Number" or "String", from
 * the store's columns), minzoom and maxzoom. With tilestats, also sets *tilestats to the summary that
 * tippecanoe writes beside them (layer, count, geometry, attributes), which GDAL's MVT driver reads for
 * the geometry type. A new reference. */
static json_t *vector_layers(struct http_req *req, const struct tile_set *ts, json_t **tilestats)
{
    json_t *a = json_array(), *stats = json_array();
    struct err e = {0};
    struct gis_store *r = svc_tenant_reader(req->tenant, &e);
    const char *const *names = ts->layers ? ts->layers : tile_mvt_plan_layers();
    for (int i = 0; names[i]; i++) {
        const char *name = names[i];
        const char *const *keys = tile_mvt_layer_keys(name);
        struct tile_mvt_layer_info info = {0};
        if (!keys || (r && tile_mvt_layer_info(r, name, &info, &e) != ERR_OK))
            continue;
        json_t *fields = json_object(), *attrs = json_array();
        for (int k = 0; keys[k]; k++) {
            bool num = k < 16 && info.number[k];
            json_object_set_new(fields, keys[k], json_string(num ? "Number" : "String"));
            json_array_append_new(attrs,
                                  json_pack("{s:s, s:s}", "attribute", keys[k], "type", num ? "number" : "string"));
        }
        json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:i, s:i}", "id", name, "description", "", "fields", fields,
                                           "minzoom", tile_mvt_layer_minzoom(name), "maxzoom", TILE_MAX_ZOOM));
        json_t *st = json_pack("{s:s, s:I, s:i, s:o}", "layer", name, "count", (json_int_t)info.count, "attributeCount",
                               (int)json_array_size(attrs), "attributes", attrs);
        if (info.geometry)
            json_object_set_new(st, "geometry", json_string(info.geometry));
        json_array_append_new(stats, st);
    }
    if (tilestats)
        *tilestats = json_pack("{s:I, s:o}", "layerCount", (json_int_t)json_array_size(stats), "layers", stats);
    else
        json_decref(stats);
    return a;
}

static enum err_code tilejson(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *file = http_capture(req, "tileset");
    size_t n = strlen(file);
    char name[64];
    if (n < 6 || n > 60 || strcmp(file + n - 5, ".json"))
        return err_set(e, ERR_NOT_FOUND, "no such path; tilesets are listed at /%s/tiles", req->tenant->cfg->slug);
    memcpy(name, file, n - 5);
    name[n - 5] = 0;
    const struct tile_set *ts = svc_tileset_find(req->tenant->cfg, name);
    if (!ts)
        return err_set(e, ERR_NOT_FOUND, "no tileset '%s'", name);
    const char *fmt = http_query(req, "format");
    const char *ext = "mvt";
    if (fmt && !strcmp(fmt, "png"))
        ext = "png";
    else if (fmt && !strcmp(fmt, "png@2x"))
        ext = "png@2x";
    else if (fmt && strcmp(fmt, "mvt"))
        return err_param(e, "format", "format must be mvt, png or png@2x");
    double ll[4];
    tenant_bounds(req, ll);
    const char *url = arena_printf(req->arena, "%s/%s/tiles/%s/{z}/{x}/{y}.%s", http_base_url(req),
                                   req->tenant->cfg->slug, ts->name, ext);
    if (!strcmp(ext, "png@2x"))
        url = arena_printf(req->arena, "%s/%s/tiles/%s/{z}/{x}/{y}@2x.png", http_base_url(req), req->tenant->cfg->slug,
                           ts->name);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s], s:i, s:i, s:[f,f,f,f], s:[f,f,i], s:o, s:s}", "tilejson",
                          "3.0.0", "name", arena_printf(req->arena, "%s — %s", req->tenant->cfg->name, ts->title),
                          "description", ts->description, "version", "1.0.0", "scheme", "xyz", "tiles", url, "minzoom",
                          0, "maxzoom", TILE_MAX_ZOOM, "bounds", ll[0], ll[1], ll[2], ll[3], "center",
                          (ll[0] + ll[2]) / 2, (ll[1] + ll[3]) / 2, 13, "vector_layers", vector_layers(req, ts, NULL),
                          "attribution", arena_printf(req->arena, "Gmina %s", req->tenant->cfg->name));
    http_resp_header(resp, "Cache-Control", "public, max-age=300");
    return http_resp_json(req, resp, 200, j, e);
}

static enum err_code tiles_list(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *base = arena_printf(req->arena, "%s/%s/tiles", http_base_url(req), req->tenant->cfg->slug);
    json_t *sets = json_array();
    const struct tile_set *ts;
    for (int i = 0; (ts = tile_set_at(i)); i++) {
        if (!svc_tileset_enabled(req->tenant->cfg, ts))
            continue;
        json_t *links = json_array();
        json_array_append_new(links, json_pack("{s:s, s:s, s:s}", "rel", "self", "type", "application/json", "href",
                                               arena_printf(req->arena, "%s/%s.json", base, ts->name)));
        json_array_append_new(links,
                              json_pack("{s:s, s:s, s:s}", "rel", "describedby", "type", "application/json", "href",
                                        arena_printf(req->arena, "%s/%s/metadata.json", base, ts->name)));
        json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:b}", "rel", "item", "type",
                                               "application/vnd.mapbox-vector-tile", "href",
                                               arena_printf(req->arena, "%s/%s/{z}/{x}/{y}.mvt", base, ts->name),
                                               "templated", 1));
        json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:b}", "rel", "item", "type", "image/png", "href",
                                               arena_printf(req->arena, "%s/%s/{z}/{x}/{y}.png", base, ts->name),
                                               "templated", 1));
        json_array_append_new(sets, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:o}", "id", ts->name, "title",
                                              ts->title, "description", ts->description, "dataType", "vector", "crs",
                                              "http://www.opengis.net/def/crs/EPSG/0/3857", "tileMatrixSetURI",
                                              "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
                                              "minzoom", 0, "maxzoom", TILE_MAX_ZOOM, "links", links));
    }
    return http_resp_json(req, resp, 200, json_pack("{s:o}", "tilesets", sets), e);
}

/* GET /{t}/tiles/{tileset}/metadata.json: the tileset as tippecanoe describes a directory of tiles (string
 * members, and the layers as a JSON text in "json"). GDAL's MVT driver reads it beside the tiles when it
 * opens one zoom level as a directory: ogrinfo MVT:http://HOST/{t}/tiles/plan/14 reads
 * /{t}/tiles/plan/metadata.json, then the tiles /{t}/tiles/plan/14/{x}/{y}.pbf. */
static enum err_code tile_metadata(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct tile_set *ts = svc_tileset_find(req->tenant->cfg, http_capture(req, "tileset"));
    if (!ts)
        return err_set(e, ERR_NOT_FOUND, "no such tileset; see /%s/tiles", req->tenant->cfg->slug);
    double ll[4];
    tenant_bounds(req, ll);
    json_t *stats = NULL;
    json_t *layers = vector_layers(req, ts, &stats);
    json_t *inner = json_pack("{s:o, s:o}", "vector_layers", layers, "tilestats", stats);
    char *text = inner ? json_dumps(inner, JSON_COMPACT) : NULL;
    json_decref(inner);
    if (!text)
        return err_set(e, ERR_INTERNAL, "out of memory");
    struct arena *a = req->arena;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name",
                          arena_printf(a, "%s — %s", req->tenant->cfg->name, ts->title), "description", ts->description,
                          "version", "2", "minzoom", "0", "maxzoom", arena_printf(a, "%d", TILE_MAX_ZOOM), "center",
                          arena_printf(a, "%.6f,%.6f,13", (ll[0] + ll[2]) / 2, (ll[1] + ll[3]) / 2), "bounds",
                          arena_printf(a, "%.6f,%.6f,%.6f,%.6f", ll[0], ll[1], ll[2], ll[3]), "type", "overlay",
                          "format", "pbf", "attribution", arena_printf(a, "Gmina %s", req->tenant->cfg->name),
                          "generator", "odra " ODRA_VERSION, "json", text);
    free(text);
    http_resp_header(resp, "Cache-Control", "public, max-age=300");
    return http_resp_json(req, resp, 200, j, e);
}

/* ---- WMTS 1.0.0 RESTful ---- */

static enum err_code wmts_capabilities(struct http_req *req, struct http_resp *resp, struct err *e)
{
    double ll[4];
    tenant_bounds(req, ll);
    const char *base = arena_printf(req->arena, "%s/%s", http_base_url(req), req->tenant->cfg->slug);
    struct buf b = {0};
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<Capabilities xmlns=\"http://www.opengis.net/wmts/1.0\" xmlns:ows=\"http://www.opengis.net/ows/1.1\" "
                 "xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                 "xmlns:gml=\"http://www.opengis.net/gml\" "
                 "xsi:schemaLocation=\"http://www.opengis.net/wmts/1.0 "
                 "http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd\" version=\"1.0.0\">\n"
                 "  <ows:ServiceIdentification>\n    <ows:Title>");
    char esc[512];
    text_xml_escape(arena_printf(req->arena, "Gmina %s — kafle mapy planistycznej", req->tenant->cfg->name), esc,
                    sizeof esc);
    buf_puts(&b, esc);
    buf_puts(&b, "</ows:Title>\n    <ows:ServiceType>OGC WMTS</ows:ServiceType>\n"
                 "    <ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>\n  </ows:ServiceIdentification>\n"
                 "  <Contents>\n");
    const struct tile_set *ts;
    for (int i = 0; (ts = tile_set_at(i)); i++) {
        if (!svc_tileset_enabled(req->tenant->cfg, ts))
            continue;
        text_xml_escape(ts->title, esc, sizeof esc);
        buf_printf(&b,
                   "    <Layer>\n      <ows:Title>%s</ows:Title>\n"
                   "      <ows:WGS84BoundingBox>\n        <ows:LowerCorner>%.6f %.6f</ows:LowerCorner>\n"
                   "        <ows:UpperCorner>%.6f %.6f</ows:UpperCorner>\n      </ows:WGS84BoundingBox>\n"
                   "      <ows:Identifier>%s</ows:Identifier>\n"
                   "      <Style isDefault=\"true\"><ows:Identifier>default</ows:Identifier></Style>\n"
                   "      <Format>image/png</Format>\n"
                   "      <TileMatrixSetLink><TileMatrixSet>WebMercatorQuad</TileMatrixSet></TileMatrixSetLink>\n"
                   "      <ResourceURL format=\"image/png\" resourceType=\"tile\" "
                   "template=\"%s/tiles/%s/{TileMatrix}/{TileCol}/{TileRow}.png\"/>\n    </Layer>\n",
                   esc, ll[0], ll[1], ll[2], ll[3], ts->name, base, ts->name);
    }
    buf_puts(&b, "    <TileMatrixSet>\n      <ows:Identifier>WebMercatorQuad</ows:Identifier>\n"
                 "      <ows:SupportedCRS>urn:ogc:def:crs:EPSG::3857</ows:SupportedCRS>\n"
                 "      <WellKnownScaleSet>urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible</WellKnownScaleSet>\n");
    for (int z = 0; z <= TILE_MAX_ZOOM; z++) {
        long n = 1L << z;
        buf_printf(&b,
                   "      <TileMatrix>\n        <ows:Identifier>%d</ows:Identifier>\n"
                   "        <ScaleDenominator>%.10f</ScaleDenominator>\n"
                   "        <TopLeftCorner>-20037508.3427892 20037508.3427892</TopLeftCorner>\n"
                   "        <TileWidth>256</TileWidth>\n        <TileHeight>256</TileHeight>\n"
                   "        <MatrixWidth>%ld</MatrixWidth>\n        <MatrixHeight>%ld</MatrixHeight>\n"
                   "      </TileMatrix>\n",
                   z, 559082264.0287178 / (double)n, n, n);
    }
    buf_puts(&b, "    </TileMatrixSet>\n  </Contents>\n");
    buf_printf(&b, "  <ServiceMetadataURL xlink:href=\"%s/wmts/1.0.0/WMTSCapabilities.xml\"/>\n</Capabilities>\n",
               base);
    http_resp_header(resp, "Cache-Control", "public, max-age=300");
    return http_resp_buf(req, resp, 200, "application/xml; charset=UTF-8", &b, e);
}

/* ---- OGC API - Tiles: the dataset's tilesets (the planning map) and each tiled collection's ---- */

const struct tile_set *svc_collection_tileset(const struct config_tenant *t, const char *cid)
{
    const struct tile_set *ts = cid ? tile_set_of_layer(cid) : NULL;
    if (!ts || !svc_tileset_enabled(t, ts) || !svc_collection_find(t, cid))
        return NULL;
    for (int i = 0; ts->layers[i]; i++)
        if (!svc_tile_layer_enabled(t, ts->layers[i]))
            return NULL;
    return ts;
}

#define OGC_CRS_3857  "http://www.opengis.net/def/crs/EPSG/0/3857"
#define OGC_CRS_CRS84 "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

/* The tile matrix sets: vector tiles come in WebMercatorQuad, map tiles in both. */
static const struct ogc_tms {
    const char *id, *uri, *crs, *title;
    enum tile_grid grid;
} ogc_tms_list[] = {
    {"WebMercatorQuad", "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad", OGC_CRS_3857,
     "Google Maps Compatible for the World", TILE_GRID_WEBMERCATOR},
    {"WorldCRS84Quad", "http://www.opengis.net/def/tilematrixset/OGC/1.0/WorldCRS84Quad", OGC_CRS_CRS84,
     "CRS84 for the World", TILE_GRID_CRS84},
};
#define OGC_NTMS (sizeof ogc_tms_list / sizeof ogc_tms_list[0])

/* What an OGC API - Tiles path is about: the dataset (/{t}/ogc/[map/]tiles...: the plan tileset) or a
 * collection (/{t}/ogc/collections/{cid}/[map/]tiles...), its vector or its map tiles, and (below a
 * tileset) the tile matrix set. */
struct ogc_tiles {
    const struct tile_set *ts;
    const struct gis_collection *c; /* NULL for the dataset */
    bool map;                       /* PNG map tiles, else MVT */
    const char *base;               /* the URL of the tilesets list: .../tiles or .../map/tiles */
    const struct ogc_tms *tms;      /* from the path; NULL on the tilesets list */
};

static enum err_code ogc_tiles_find(struct http_req *req, bool map, struct ogc_tiles *o, struct err *e)
{
    const char *cid = http_capture(req, "cid");
    const char *slug = req->tenant->cfg->slug, *root = http_base_url(req);
    o->map = map;
    if (cid) {
        o->ts = svc_collection_tileset(req->tenant->cfg, cid);
        if (!o->ts)
            return err_set(e, ERR_NOT_FOUND,
                           "collection '%s' has no tiles; /%s/ogc/collections lists the tilesets of those that do",
                           strlen(cid) < 64 ? cid : "(long id)", slug);
        o->c = svc_collection_find(req->tenant->cfg, cid);
        o->base = arena_printf(req->arena, "%s/%s/ogc/collections/%s%s/tiles", root, slug, cid, map ? "/map" : "");
    } else {
        o->ts = tile_set_find("plan");
        o->c = NULL;
        o->base = arena_printf(req->arena, "%s/%s/ogc%s/tiles", root, slug, map ? "/map" : "");
    }
    const char *tms = http_capture(req, "tms");
    o->tms = NULL;
    for (size_t i = 0; tms && i < (map ? OGC_NTMS : 1); i++)
        if (!strcmp(tms, ogc_tms_list[i].id))
            o->tms = &ogc_tms_list[i];
    if (tms && !o->tms)
        return err_set(e, ERR_NOT_FOUND, "no tile matrix set '%s' here; %s", strlen(tms) < 64 ? tms : "(long id)",
                       map ? "map tiles come in WebMercatorQuad and WorldCRS84Quad"
                           : "vector tiles come in WebMercatorQuad");
    return ERR_OK;
}

static const char *ogc_tms_url(struct http_req *req, const struct ogc_tms *t)
{
    return arena_printf(req->arena, "%s/%s/ogc/tileMatrixSets/%s", http_base_url(req), req->tenant->cfg->slug, t->id);
}

/* The lowest zoom at which the tileset holds data: its layers' lowest minzoom (0 for maps). */
static int ogc_tiles_minzoom(const struct ogc_tiles *o)
{
    if (o->map || !o->ts->layers)
        return 0;
    int z = TILE_MAX_ZOOM;
    for (int i = 0; o->ts->layers[i]; i++) {
        int m = tile_mvt_layer_minzoom(o->ts->layers[i]);
        if (m >= 0 && m < z)
            z = m;
    }
    return z;
}

/* The summary of the tileset of o in tile matrix set t, as the tilesets list gives it; the tileset itself
 * adds to it. */
static json_t *ogc_tileset_summary(struct http_req *req, const struct ogc_tiles *o, const struct ogc_tms *t)
{
    json_t *links = json_array();
    json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:s}", "rel", "self", "type", "application/json", "title",
                                           "the tileset", "href", arena_printf(req->arena, "%s/%s", o->base, t->id)));
    json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:s}", "rel",
                                           "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "type",
                                           "application/json", "title", t->id, "href", ogc_tms_url(req, t)));
    const char *title = o->c ? o->c->title : o->ts->title;
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:o}", "title",
                  arena_printf(req->arena, "%s — %s, %s", title, o->map ? "kafle mapy" : "kafle wektorowe", t->id),
                  "dataType", o->map ? "map" : "vector", "crs", t->crs, "tileMatrixSetURI", t->uri, "links", links);
    if (!o->map) {
        /* the layer names here; the tileset gives each with its properties */
        json_t *layers = json_array();
        const char *const *names = o->ts->layers ? o->ts->layers : tile_mvt_plan_layers();
        for (int i = 0; names[i]; i++)
            if (tile_mvt_layer_keys(names[i]))
                json_array_append_new(layers, json_pack("{s:s, s:s}", "id", names[i], "dataType", "vector"));
        json_object_set_new(j, "layers", layers);
    }
    return j;
}

static enum err_code ogc_tilesets(struct http_req *req, struct http_resp *resp, bool map, struct err *e)
{
    struct ogc_tiles o;
    if (ogc_tiles_find(req, map, &o, e))
        return e->code;
    json_t *links = json_array(), *sets = json_array();
    json_array_append_new(links,
                          json_pack("{s:s, s:s, s:s}", "rel", "self", "type", "application/json", "href", o.base));
    for (size_t i = 0; i < (map ? OGC_NTMS : 1); i++)
        json_array_append_new(sets, ogc_tileset_summary(req, &o, &ogc_tms_list[i]));
    return http_resp_json(req, resp, 200, json_pack("{s:o, s:o}", "links", links, "tilesets", sets), e);
}

static enum err_code ogc_tileset(struct http_req *req, struct http_resp *resp, bool map, struct err *e)
{
    struct ogc_tiles o;
    if (ogc_tiles_find(req, map, &o, e))
        return e->code;
    json_t *j = ogc_tileset_summary(req, &o, o.tms);
    json_t *links = json_object_get(j, "links");
    json_array_append_new(
        links, json_pack("{s:s, s:s, s:s, s:s, s:b}", "rel", "item", "type",
                         map ? "image/png" : "application/vnd.mapbox-vector-tile", "href",
                         arena_printf(req->arena, "%s/%s/{tileMatrix}/{tileRow}/{tileCol}", o.base, o.tms->id), "title",
                         map ? "a PNG tile (256 px)" : "a Mapbox Vector Tile", "templated", 1));
    const char *ogc = arena_printf(req->arena, "%s/%s/ogc", http_base_url(req), req->tenant->cfg->slug);
    if (o.c)
        json_array_append_new(links,
                              json_pack("{s:s, s:s, s:s, s:s}", "rel", "http://www.opengis.net/def/rel/ogc/1.0/geodata",
                                        "type", "application/json", "title", o.c->title, "href",
                                        arena_printf(req->arena, "%s/collections/%s", ogc, o.c->id)));
    else
        json_array_append_new(links,
                              json_pack("{s:s, s:s, s:s, s:s}", "rel", "http://www.opengis.net/def/rel/ogc/1.0/dataset",
                                        "type", "application/json", "title", "the landing page", "href", ogc));
    json_object_set_new(j, "description", json_string(o.ts->description));
    /* where there are tiles with data: the collection's extent (the gmina's for the dataset), per zoom */
    double ll[4];
    struct err ee = {0};
    struct gis_store *r = svc_tenant_reader(req->tenant, &ee);
    if (!o.c || !r || !gis_collection_extent(r, o.c, ll))
        tenant_bounds(req, ll);
    enum tile_grid g = o.tms->grid;
    double b[4];
    if (g == TILE_GRID_CRS84 || gis_crs_transform_bbox(GIS_CRS_CRS84, GIS_CRS_3857, ll, b, &ee) == ERR_OK) {
        if (g == TILE_GRID_CRS84)
            memcpy(b, ll, sizeof b);
        json_t *limits = json_array();
        for (int z = ogc_tiles_minzoom(&o); z <= TILE_MAX_ZOOM; z++) {
            long t[4];
            if (g == TILE_GRID_CRS84) {
                /* Whole levels, from the first where the data is 4 px across: GDAL 3.6 builds a level from
                 * the whole matrix whatever the limits say (and asks for the wrong tiles when they cut it),
                 * and fails on a level where the data is narrower than a pixel. */
                double px = tile_grid_size(g, z) / 256;
                if ((b[2] - b[0]) / px < 4 || (b[3] - b[1]) / px < 4)
                    continue;
                t[0] = 0, t[1] = 0, t[2] = tile_grid_cols(g, z) - 1, t[3] = (1L << z) - 1;
            } else if (!tile_grid_range(g, z, b, 0, t)) {
                continue;
            }
            json_array_append_new(limits, json_pack("{s:s, s:I, s:I, s:I, s:I}", "tileMatrix",
                                                    arena_printf(req->arena, "%d", z), "minTileRow", (json_int_t)t[1],
                                                    "maxTileRow", (json_int_t)t[3], "minTileCol", (json_int_t)t[0],
                                                    "maxTileCol", (json_int_t)t[2]));
        }
        json_object_set_new(j, "tileMatrixSetLimits", limits);
    }
    json_object_set_new(j, "boundingBox",
                        json_pack("{s:[f,f], s:[f,f], s:s}", "lowerLeft", ll[0], ll[1], "upperRight", ll[2], ll[3],
                                  "crs", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"));
    if (!map) {
        /* the layers, each with its properties as a JSON Schema (OGC API - Tiles 1.0, 6.2.1.3) */
        json_t *layers = json_array(), *vls = vector_layers(req, o.ts, NULL);
        size_t i;
        json_t *vl;
        json_array_foreach(vls, i, vl)
        {
            json_t *props = json_object();
            const char *key;
            json_t *type;
            json_object_foreach(json_object_get(vl, "fields"), key, type)
            {
                const char *t = !strcmp(json_string_value(type), "Number") ? "number" : "string";
                json_object_set_new(props, key, json_pack("{s:s}", "type", t));
            }
            json_array_append_new(
                layers, json_pack("{s:O, s:s, s:s, s:s, s:{s:s, s:o}}", "id", json_object_get(vl, "id"), "dataType",
                                  "vector", "minTileMatrix",
                                  arena_printf(req->arena, "%lld", json_integer_value(json_object_get(vl, "minzoom"))),
                                  "maxTileMatrix",
                                  arena_printf(req->arena, "%lld", json_integer_value(json_object_get(vl, "maxzoom"))),
                                  "propertiesSchema", "type", "object", "properties", props));
        }
        json_decref(vls);
        json_object_set_new(j, "layers", layers);
    }
    http_resp_header(resp, "Cache-Control", "public, max-age=300");
    return http_resp_json(req, resp, 200, j, e);
}

static enum err_code ogc_tile(struct http_req *req, struct http_resp *resp, bool map, struct err *e)
{
    struct ogc_tiles o;
    if (ogc_tiles_find(req, map, &o, e))
        return e->code;
    long z, row, col;
    if (!tile_parse_index(http_capture(req, "tileMatrix"), TILE_MAX_ZOOM, &z))
        return err_param(e, "tileMatrix", "tileMatrix must be an integer from 0 to %d", TILE_MAX_ZOOM);
    long max = (1L << z) - 1;
    if (!tile_parse_index(http_capture(req, "tileRow"), max, &row))
        return err_param(e, "tileRow", "tileRow must be an integer from 0 to %ld", max);
    if (!tile_parse_index(http_capture(req, "tileCol"), 2 * max + 1, &col))
        return err_param(e, "tileCol", "tileCol must be an integer from 0 to %ld", max);
    if (col >= tile_grid_cols(o.tms->grid, (int)z))
        return err_param(e, "tileCol", "tileCol must be an integer from 0 to %ld",
                         tile_grid_cols(o.tms->grid, (int)z) - 1);
    return serve_tile(req, resp, o.ts,
                      !map                             ? TILE_MVT
                      : o.tms->grid == TILE_GRID_CRS84 ? TILE_PNG_CRS84
                                                       : TILE_PNG,
                      (int)z, col, row, e);
}

static enum err_code ogc_vector_tilesets(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return ogc_tilesets(req, resp, false, e);
}

static enum err_code ogc_map_tilesets(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return ogc_tilesets(req, resp, true, e);
}

static enum err_code ogc_vector_tileset(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return ogc_tileset(req, resp, false, e);
}

static enum err_code ogc_map_tileset(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return ogc_tileset(req, resp, true, e);
}

static enum err_code ogc_vector_tile(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return ogc_tile(req, resp, false, e);
}

static enum err_code ogc_map_tile(struct http_req *req, struct http_resp *resp, struct err *e)
{
    return ogc_tile(req, resp, true, e);
}

/* A tile matrix set in the JSON of OGC 17-083r4 (TMS 2.0: id, crs, tileMatrices with pointOfOrigin), with the
 * members of the 1.0 encoding beside them (identifier, supportedCRS, boundingBox, topLeftCorner), which GDAL
 * before 3.7 reads instead. */
static enum err_code ogc_tms(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *id = http_capture(req, "tms");
    if (!id) {
        json_t *list = json_array();
        for (size_t i = 0; i < OGC_NTMS; i++)
            json_array_append_new(list,
                                  json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}", "id", ogc_tms_list[i].id, "title",
                                            ogc_tms_list[i].title, "uri", ogc_tms_list[i].uri, "links", "rel", "self",
                                            "type", "application/json", "href", ogc_tms_url(req, &ogc_tms_list[i])));
        return http_resp_json(req, resp, 200, json_pack("{s:o}", "tileMatrixSets", list), e);
    }
    const struct ogc_tms *t = NULL;
    for (size_t i = 0; i < OGC_NTMS; i++)
        if (!strcmp(id, ogc_tms_list[i].id))
            t = &ogc_tms_list[i];
    if (!t)
        return err_set(e, ERR_NOT_FOUND, "the tile matrix sets are WebMercatorQuad and WorldCRS84Quad");
    bool crs84 = t->grid == TILE_GRID_CRS84;
    /* the scale of zoom 0: its cell size in metres (degrees at 6378137 m radius) over 0.28 mm */
    double scale0 = crs84 ? 279541132.0143589 : 559082264.0287178;
    double ox = crs84 ? -180 : -TILE_ORIGIN, oy = crs84 ? 90 : TILE_ORIGIN;
    json_t *tm = json_array();
    for (int z = 0; z <= TILE_MAX_ZOOM; z++) {
        long n = 1L << z;
        const char *zid = arena_printf(req->arena, "%d", z);
        json_array_append_new(tm, json_pack("{s:s, s:s, s:f, s:f, s:s, s:[f,f], s:[f,f], s:i, s:i, s:I, s:I}", "id",
                                            zid, "identifier", zid, "scaleDenominator", scale0 / (double)n, "cellSize",
                                            tile_grid_size(t->grid, z) / 256, "cornerOfOrigin", "topLeft",
                                            "pointOfOrigin", ox, oy, "topLeftCorner", ox, oy, "tileWidth", 256,
                                            "tileHeight", 256, "matrixWidth", (json_int_t)tile_grid_cols(t->grid, z),
                                            "matrixHeight", (json_int_t)n));
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:[s,s], s:s, s:o}", "id", t->id, "title", t->title, "uri", t->uri,
                          "crs", t->crs, "orderedAxes", crs84 ? "Lon" : "X", crs84 ? "Lat" : "Y", "wellKnownScaleSet",
                          crs84 ? "http://www.opengis.net/def/wkss/OGC/1.0/GoogleCRS84Quad"
                                : "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
                          "tileMatrices", tm);
    json_object_set_new(j, "identifier", json_string(t->id));
    json_object_set_new(j, "supportedCRS", json_string(t->crs));
    json_object_set_new(
        j, "boundingBox",
        json_pack("{s:s, s:[f,f], s:[f,f]}", "crs", t->crs, "lowerCorner", ox, -oy, "upperCorner", -ox, oy));
    http_resp_header(resp, "Cache-Control", "public, max-age=86400");
    return http_resp_json(req, resp, 200, j, e);
}

/* ---- routes ---- */

static const struct http_param_doc tile_doc[] = {
    HTTP_DOC_TENANT,
    {"tileset", "path", "string", 1, "plan or parcels"},
    {"z", "path", "integer", 1, "zoom 0..22"},
    {"x", "path", "integer", 1, "column 0..2^z-1"},
    {"y", "path", "string", 1, "row 0..2^z-1 with the format: Y.png (256 px), Y@2x.png (512 px) or Y.mvt"},
    {"date", "query", "string", 0,
     "plan layers as in force on this day, YYYY-MM-DD (default today); cached per set of plans in force"},
    HTTP_DOC_END,
};

static const struct http_param_doc t_doc[] = {
    HTTP_DOC_TENANT,
    HTTP_DOC_END,
};

static const struct http_param_doc tilejson_doc[] = {
    HTTP_DOC_TENANT,
    {"tileset", "path", "string", 1, "NAME.json, e.g. plan.json"},
    {"format", "query", "string", 0, "mvt (default), png or png@2x: which tiles the document points to"},
    HTTP_DOC_END,
};

static const struct http_param_doc tileset_doc[] = {
    HTTP_DOC_TENANT,
    {"tileset", "path", "string", 1, "tileset name, e.g. plan"},
    HTTP_DOC_END,
};

static const struct http_param_doc tms_doc[] = {
    HTTP_DOC_TENANT,
    {"tms", "path", "string", 1, "WebMercatorQuad (or, for map tiles, WorldCRS84Quad)"},
    HTTP_DOC_END,
};

static const struct http_param_doc cid_doc[] = {
    HTTP_DOC_TENANT,
    {"cid", "path", "string", 1, "collection id"},
    HTTP_DOC_END,
};

static const struct http_param_doc cid_tms_doc[] = {
    HTTP_DOC_TENANT,
    {"cid", "path", "string", 1, "collection id"},
    {"tms", "path", "string", 1, "WebMercatorQuad (or, for map tiles, WorldCRS84Quad)"},
    HTTP_DOC_END,
};

static const struct http_param_doc dataset_tile_doc[] = {
    HTTP_DOC_TENANT,
    {"tms", "path", "string", 1, "WebMercatorQuad (or, for map tiles, WorldCRS84Quad)"},
    {"tileMatrix", "path", "integer", 1, "zoom 0..22"},
    {"tileRow", "path", "integer", 1, "row"},
    {"tileCol", "path", "integer", 1, "column"},
    {"date", "query", "string", 0,
     "plan layers as in force on this day, YYYY-MM-DD (default today); cached per set of plans in force"},
    HTTP_DOC_END,
};

static const struct http_param_doc ogc_tile_doc[] = {
    HTTP_DOC_TENANT,
    {"cid", "path", "string", 1, "collection id"},
    {"tms", "path", "string", 1, "WebMercatorQuad (or, for map tiles, WorldCRS84Quad)"},
    {"tileMatrix", "path", "integer", 1, "zoom 0..22"},
    {"tileRow", "path", "integer", 1, "row"},
    {"tileCol", "path", "integer", 1, "column"},
    {"date", "query", "string", 0,
     "plan layers as in force on this day, YYYY-MM-DD (default today); cached per set of plans in force"},
    HTTP_DOC_END,
};

const struct http_route svc_tiles_routes[] = {
    {"GET", "/{t}/tiles", tiles_list, "maps", "The tilesets (OGC API - Tiles style)", NULL, t_doc, HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{tileset}", tilejson, "maps", "TileJSON 3.0.0 of a tileset: /{t}/tiles/plan.json", NULL,
     tilejson_doc, HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{tileset}/{z}/{x}/{y}", xyz_tile, "maps",
     "A tile: PNG 256 px, @2x PNG 512 px, or Mapbox Vector Tile 2.1 (gzip when accepted)",
     "application/vnd.mapbox-vector-tile", tile_doc, HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{tileset}/metadata.json", tile_metadata, "maps",
     "The tileset as tippecanoe's metadata.json (GDAL's MVT driver reads it beside the tiles)", NULL, tileset_doc,
     HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{a}/{b}", bad_tile_path, "maps", NULL, NULL, NULL, HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{a}/{b}/{c}", bad_tile_path, "maps", NULL, NULL, NULL, HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{a}/{b}/{c}/{d}/{e}", bad_tile_path, "maps", NULL, NULL, NULL, HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{a}/{b}/{c}/{d}/{e}/{f}", bad_tile_path, "maps", NULL, NULL, NULL, HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{a}/{b}/{c}/{d}/{e}/{f}/{g}", bad_tile_path, "maps", NULL, NULL, NULL, HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", bad_tile_path, "maps", NULL, NULL, NULL, HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", bad_tile_path, "maps", NULL, NULL, NULL, HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}", bad_tile_path, "maps", NULL, NULL, NULL, HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}/{k}", bad_tile_path, "maps", NULL, NULL, NULL,
     HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}/{k}/{l}", bad_tile_path, "maps", NULL, NULL, NULL,
     HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}/{k}/{l}/{m}", bad_tile_path, "maps", NULL, NULL, NULL,
     HTTP_PUBLIC},
    {"GET", "/{t}/tiles/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}/{k}/{l}/{m}/{n}", bad_tile_path, "maps", NULL, NULL,
     NULL, HTTP_PUBLIC},
    {"GET", "/{t}/wmts/1.0.0/WMTSCapabilities.xml", wmts_capabilities, "maps",
     "WMTS 1.0.0 RESTful capabilities (WebMercatorQuad)", "application/xml", t_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/tileMatrixSets", ogc_tms, "ogc", "OGC API - Tiles: tile matrix sets", NULL, t_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/tileMatrixSets/{tms}", ogc_tms, "ogc",
     "OGC API - Tiles: a tile matrix set (WebMercatorQuad, WorldCRS84Quad)", NULL, tms_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/tiles", ogc_vector_tilesets, "ogc", "OGC API - Tiles: the planning map's vector tilesets", NULL,
     t_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/tiles/{tms}", ogc_vector_tileset, "ogc", "OGC API - Tiles: the planning map's vector tileset",
     NULL, tms_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/tiles/{tms}/{tileMatrix}/{tileRow}/{tileCol}", ogc_vector_tile, "ogc",
     "OGC API - Tiles: a vector tile of the planning map (all layers)", "application/vnd.mapbox-vector-tile",
     dataset_tile_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/map/tiles", ogc_map_tilesets, "ogc", "OGC API - Tiles: the planning map's map tilesets", NULL,
     t_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/map/tiles/{tms}", ogc_map_tileset, "ogc", "OGC API - Tiles: the planning map's map tileset", NULL,
     tms_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/map/tiles/{tms}/{tileMatrix}/{tileRow}/{tileCol}", ogc_map_tile, "ogc",
     "OGC API - Tiles: a PNG tile of the planning map", "image/png", dataset_tile_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/collections/{cid}/tiles", ogc_vector_tilesets, "ogc",
     "OGC API - Tiles: a collection's vector tilesets", NULL, cid_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/collections/{cid}/tiles/{tms}", ogc_vector_tileset, "ogc",
     "OGC API - Tiles: a collection's vector tileset", NULL, cid_tms_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/collections/{cid}/tiles/{tms}/{tileMatrix}/{tileRow}/{tileCol}", ogc_vector_tile, "ogc",
     "OGC API - Tiles: a vector tile of one collection", "application/vnd.mapbox-vector-tile", ogc_tile_doc,
     HTTP_PUBLIC},
    {"GET", "/{t}/ogc/collections/{cid}/map/tiles", ogc_map_tilesets, "ogc",
     "OGC API - Tiles: a collection's map tilesets", NULL, cid_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/collections/{cid}/map/tiles/{tms}", ogc_map_tileset, "ogc",
     "OGC API - Tiles: a collection's map tileset", NULL, cid_tms_doc, HTTP_PUBLIC},
    {"GET", "/{t}/ogc/collections/{cid}/map/tiles/{tms}/{tileMatrix}/{tileRow}/{tileCol}", ogc_map_tile, "ogc",
     "OGC API - Tiles: a PNG tile (256 px, transparent) of one collection", "image/png", ogc_tile_doc, HTTP_PUBLIC},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
