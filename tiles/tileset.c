/* Tilesets and tile rendering: raster tiles through the shared renderer, vector tiles through tiles/mvt. */
#include "tiles/tileset.h"

#include <cairo.h>
#include <gdal.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gis/render.h"
#include "gis/style.h"
#include "tiles/cache.h"
#include "tiles/matrix.h"
#include "tiles/mvt.h"
#include "util/embed.h"
#include "util/log.h"

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

const struct tile_set tile_sets[] = {
    {"plan", "Mapa planistyczna", "MPZP zones, POG zones, overlays, parcels, buildings, addresses, streets and labels",
     NULL, NULL, false},
    {"parcels", "Działki ewidencyjne", "Cadastral parcels with their numbers (a transparent overlay)", LIST("parcels"),
     LIST("parcels"), true},
    {NULL, NULL, NULL, NULL, NULL, false},
};

const struct tile_set *tile_set_find(const char *name)
{
    for (int i = 0; name && tile_sets[i].name; i++)
        if (!strcmp(tile_sets[i].name, name))
            return &tile_sets[i];
    return NULL;
}

const char *tile_format_name(enum tile_format f)
{
    return f == TILE_MVT ? "mvt" : f == TILE_PNG2X ? "png@2x" : "png";
}

const char *tile_format_mime(enum tile_format f)
{
    return f == TILE_MVT ? "application/vnd.mapbox-vector-tile" : "image/png";
}

double tile_format_buffer(enum tile_format f)
{
    return f == TILE_MVT ? (double)TILE_MVT_BUFFER / TILE_MVT_EXTENT : (double)TILE_RASTER_BUFFER / 256;
}

static struct gis_style *style;
static pthread_once_t style_once = PTHREAD_ONCE_INIT;

static void style_load(void)
{
    size_t len;
    const char *text = embed_find("styles/plan.json", &len);
    struct err e = {0};
    if (!text || gis_style_load(text, len, &style, &e) != ERR_OK)
        log_error("tiles: styles/plan.json: %s", text ? e.msg : "not embedded");
    GDALAllRegister();
}

static enum err_code render_raster(struct gis_store *s, const struct tile_set *ts, int scale, int z, long x, long y,
                                   struct buf *out, struct err *e)
{
    pthread_once(&style_once, style_load);
    if (!style)
        return err_set(e, ERR_INTERNAL, "the map style failed to load");
    int size = 256 * scale, pad = TILE_RASTER_BUFFER * scale;
    double b[4];
    tile_bounds(z, x, y, b);
    double grow = (b[2] - b[0]) * TILE_RASTER_BUFFER / 256;
    int ng = 0;
    while (ts->groups && ts->groups[ng])
        ng++;
    struct gis_render_opts o = {.crs = GIS_CRS_3857,
                                .bbox = {b[0] - grow, b[1] - grow, b[2] + grow, b[3] + grow},
                                .width = size + 2 * pad,
                                .height = size + 2 * pad,
                                .scale = scale,
                                .groups = ts->groups,
                                .ngroups = ng,
                                .transparent = ts->transparent,
                                .labels_inside = false};
    cairo_surface_t *surf =
        cairo_image_surface_create(ts->transparent ? CAIRO_FORMAT_ARGB32 : CAIRO_FORMAT_RGB24, size, size);
    cairo_t *cr = cairo_create(surf);
    /* the buffered map is drawn shifted, so only its middle lands on the tile */
    cairo_translate(cr, -pad, -pad);
    enum err_code rc = gis_render_map(cr, s, style, &o, NULL, e);
    cairo_destroy(cr);
    if (!rc)
        rc = gis_render_encode(surf, GIS_RENDER_PNG, 6, out, e);
    cairo_surface_destroy(surf);
    return rc;
}

enum err_code tile_render(struct gis_store *s, const struct tile_set *ts, enum tile_format f, int z, long x, long y,
                          struct buf *out, struct err *e)
{
    if (tile_check(z, x, y, e))
        return e->code;
    if (f == TILE_MVT)
        return tile_mvt_encode(s, ts->layers, z, x, y, out, NULL, e);
    return render_raster(s, ts, f == TILE_PNG2X ? 2 : 1, z, x, y, out, e);
}

enum err_code tile_set_cache_open(const char *data_dir, const char *slug, const struct tile_set *ts, enum tile_format f,
                                  long long gen, struct tile_cache **out, struct err *e)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/tiles", data_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/tiles/%s", data_dir, slug);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/tiles/%s/%s.%s.mbtiles", data_dir, slug, ts->name, tile_format_name(f));
    struct buf json = {0};
    if (f == TILE_MVT) {
        buf_puts(&json, "{\"vector_layers\":[");
        int n = 0;
        for (int i = 0; tile_mvt_layer_names[i]; i++) {
            const char *name = tile_mvt_layer_names[i];
            bool in = !ts->layers;
            for (int k = 0; ts->layers && ts->layers[k]; k++)
                in |= !strcmp(ts->layers[k], name);
            if (!in)
                continue;
            buf_printf(&json, "%s{\"id\":\"%s\",\"minzoom\":%d,\"maxzoom\":%d,\"fields\":{", n++ ? "," : "", name,
                       tile_mvt_layer_minzoom(name), TILE_MAX_ZOOM);
            const char *const *keys = tile_mvt_layer_keys(name);
            for (int k = 0; keys[k]; k++)
                buf_printf(&json, "%s\"%s\":\"String\"", k ? "," : "", keys[k]);
            buf_puts(&json, "}}");
        }
        buf_puts(&json, "]}");
    }
    char name[128];
    snprintf(name, sizeof name, "%s %s", slug, ts->name);
    enum err_code rc = json.failed ? err_set(e, ERR_INTERNAL, "out of memory")
                                   : tile_cache_open(path, name, f == TILE_MVT ? "pbf" : "png", json.data,
                                                     tile_format_buffer(f), gen, out, e);
    buf_free(&json);
    return rc;
}
