/* Tilesets and tile rendering: raster tiles through the shared renderer, vector tiles through tiles/mvt. */
#include "tiles/tileset.h"

#include <cairo.h>
#include <gdal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "gis/layers.h"
#include "gis/render.h"
#include "gis/style.h"
#include "tiles/cache.h"
#include "tiles/matrix.h"
#include "tiles/mvt.h"
#include "util/embed.h"
#include "util/log.h"

/* The plan map: every layer of the layer table with a place in it (gis_layers_plan). */
static const struct tile_set plan_set = {
    .name = "plan",
    .title = "Mapa planistyczna",
    .description = "MPZP zones, POG zones, overlays, parcels, buildings, addresses, streets and labels"};

/* The tilesets of single layers (struct gis_layer_tileset), made from the layer table: the core's once,
 * registered layers' by tile_sets_register (at startup, before any thread renders). Their names are the
 * layer names, so the cache files are DATA/tiles/SLUG/LAYER.FORMAT.mbtiles. Listed ones come after the
 * plan in tile_set_at; the others are reached only through tile_set_of_layer. */
static struct tile_set layer_sets[TILE_SET_SLOTS];
static const char *layer_set_names[TILE_SET_SLOTS][2];
static int nlayer_sets;
static const struct tile_set *listed[TILE_MAX_SETS] = {&plan_set};
static int nlisted = 1;
static const struct tile_set *unlisted[TILE_SET_SLOTS - TILE_MAX_SETS];
static int nunlisted;
static pthread_once_t sets_once = PTHREAD_ONCE_INIT;

/* The tileset of L, or NULL when it has none yet. */
static const struct tile_set *set_of(const struct gis_layer *L)
{
    for (int i = 0; i < nlayer_sets; i++)
        if (layer_sets[i].layer == L)
            return &layer_sets[i];
    return NULL;
}

static enum err_code set_add(const struct gis_layer *L, struct err *e)
{
    if (!L->tileset.title || !L->map.name || set_of(L))
        return ERR_OK;
    if (!strcmp(L->map.name, plan_set.name))
        return err_set(e, ERR_INVALID, "tileset '%s' is defined twice", L->map.name);
    if (nlayer_sets == TILE_SET_SLOTS ||
        (L->tileset.listed ? nlisted == TILE_MAX_SETS : nunlisted == TILE_SET_SLOTS - TILE_MAX_SETS))
        return err_set(e, ERR_INVALID, "tileset '%s': too many tilesets", L->map.name);
    layer_set_names[nlayer_sets][0] = L->map.name;
    struct tile_set *ts = &layer_sets[nlayer_sets];
    *ts = (struct tile_set){.name = L->map.name,
                            .title = L->tileset.title,
                            .description = L->tileset.description,
                            .groups = L->tileset.groups,
                            .layers = layer_set_names[nlayer_sets],
                            .transparent = true,
                            .style = L->tileset.style,
                            .layer = L};
    nlayer_sets++;
    if (L->tileset.listed)
        listed[nlisted++] = ts;
    else
        unlisted[nunlisted++] = ts;
    return ERR_OK;
}

static void sets_init(void)
{
    struct err e = {0};
    for (const struct gis_layer *L = gis_layers_core; L->table; L++)
        if (set_add(L, &e))
            log_error("tiles: %s", e.msg);
}

const struct tile_set *tile_set_at(int i)
{
    pthread_once(&sets_once, sets_init);
    return i >= 0 && i < nlisted ? listed[i] : NULL;
}

int tile_set_index(const struct tile_set *ts)
{
    pthread_once(&sets_once, sets_init);
    for (int i = 0; ts && i < nlisted; i++)
        if (listed[i] == ts)
            return i;
    for (int i = 0; ts && i < nunlisted; i++)
        if (unlisted[i] == ts)
            return TILE_MAX_SETS + i;
    return -1;
}

const struct tile_set *tile_set_of_layer(const char *name)
{
    pthread_once(&sets_once, sets_init);
    const struct gis_layer *L = gis_layer_find(name);
    return L ? set_of(L) : NULL;
}

const struct tile_set *tile_set_find(const char *name)
{
    const struct tile_set *t;
    for (int i = 0; name && (t = tile_set_at(i)); i++)
        if (!strcmp(t->name, name))
            return t;
    return NULL;
}

/* ---- styles: plan.json, loaded once, and the registered tilesets' own, loaded at registration ---- */

static struct {
    const char *path;
    struct gis_style *style;
} extra_styles[TILE_MAX_SETS];
static int nstyles;

static enum err_code style_register(const char *path, struct err *e)
{
    for (int i = 0; i < nstyles; i++)
        if (!strcmp(extra_styles[i].path, path))
            return ERR_OK;
    size_t len;
    const char *text = embed_find(path, &len);
    if (!text)
        return err_set(e, ERR_INTERNAL, "tiles: style %s is not embedded", path);
    struct gis_style *st = NULL;
    if (gis_style_load(text, len, &st, e) != ERR_OK || gis_render_check_style(st, e) != ERR_OK) {
        gis_style_free(st);
        return err_set(e, e->code, "tiles: %s: %s", path, e->msg);
    }
    extra_styles[nstyles].path = path;
    extra_styles[nstyles++].style = st;
    return ERR_OK;
}

static void styles_free(void)
{
    for (int i = 0; i < nstyles; i++)
        gis_style_free(extra_styles[i].style);
    nstyles = 0;
}

enum err_code tile_sets_register(struct err *e)
{
    pthread_once(&sets_once, sets_init);
    const struct gis_layer *L;
    for (int i = 0; (L = gis_layer_at(i)); i++) {
        if (set_add(L, e))
            return e->code;
        if (L->tileset.title && L->tileset.style) {
            if (nstyles == 0 && atexit(styles_free) != 0)
                return err_set(e, ERR_INTERNAL, "atexit failed");
            if (style_register(L->tileset.style, e))
                return e->code;
        }
    }
    return ERR_OK;
}

const char *tile_format_name(enum tile_format f)
{
    return f == TILE_MVT ? "mvt" : f == TILE_PNG2X ? "png@2x" : f == TILE_PNG_CRS84 ? "png-crs84" : "png";
}

enum tile_grid tile_format_grid(enum tile_format f)
{
    return f == TILE_PNG_CRS84 ? TILE_GRID_CRS84 : TILE_GRID_WEBMERCATOR;
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

static void memo_free(void);

static void style_load(void)
{
    size_t len;
    const char *text = embed_find("styles/plan.json", &len);
    struct err e = {0};
    if (!text || gis_style_load(text, len, &style, &e) != ERR_OK)
        log_error("tiles: styles/plan.json: %s", text ? e.msg : "not embedded");
    GDALAllRegister();
    atexit(memo_free);
}

/* The style of ts's rasters: its own (registered with it), else the plan style; NULL when it failed to load. */
static const struct gis_style *ts_style(const struct tile_set *ts)
{
    for (int i = 0; ts->style && i < nstyles; i++)
        if (!strcmp(extra_styles[i].path, ts->style))
            return extra_styles[i].style;
    return ts->style ? NULL : style;
}

int tile_label_meta(enum tile_format f, int z)
{
    if (f == TILE_MVT)
        return 1;
    return z >= 2 ? TILE_LABEL_META : 1 << z;
}

/* The labels of recently rendered metatiles, so that the other tiles of a metatile only draw them. An
 * entry is for one store file (path and inode) at one generation (tile_store_generation, read before the
 * labels are placed, so an entry never holds data older than its generation), tileset, scale, zoom and
 * metatile. */
#define LABEL_MEMO 64

static struct label_memo {
    char path[512];
    ino_t ino;
    long long gen;
    const struct tile_set *ts;
    enum tile_grid grid;
    int scale, z;
    long mx, my;
    unsigned long long used;
    struct gis_render_labels *labels;
} memo[LABEL_MEMO];
static unsigned long long memo_clock;
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t memo_done = PTHREAD_COND_INITIALIZER;

/* Metatiles whose labels a thread is placing right now: a map view asks for all the tiles of a metatile
 * at once, and without this every worker would place the same labels side by side. */
#define LABEL_PENDING 16
static struct label_memo pending[LABEL_PENDING];
static bool pending_on[LABEL_PENDING];

static bool key_match(const struct label_memo *m, const struct label_memo *k)
{
    return m->ino == k->ino && m->gen == k->gen && m->ts == k->ts && m->grid == k->grid && m->scale == k->scale &&
           m->z == k->z && m->mx == k->mx && m->my == k->my && !strcmp(m->path, k->path);
}

static bool memo_match(const struct label_memo *m, const struct label_memo *k)
{
    return m->labels && key_match(m, k);
}

/* A new reference to the memoized labels of key; or NULL, and then *claim is the caller's claim on placing
 * them (-1 when there was no room to claim; give it back with memo_put or memo_unclaim). While another
 * thread holds the claim this waits for it (at most a few seconds, then places them itself). */
static struct gis_render_labels *memo_get(struct label_memo *key, int *claim)
{
    struct gis_render_labels *L = NULL;
    *claim = -1;
    pthread_mutex_lock(&memo_lock);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    for (;;) {
        for (int i = 0; i < LABEL_MEMO && !L; i++)
            if (memo_match(&memo[i], key)) {
                memo[i].used = ++memo_clock;
                L = memo[i].labels;
                gis_render_labels_ref(L);
            }
        if (L)
            break;
        int busy = -1, empty = -1;
        for (int i = 0; i < LABEL_PENDING; i++) {
            if (pending_on[i] && key_match(&pending[i], key))
                busy = i;
            if (!pending_on[i] && empty < 0)
                empty = i;
        }
        if (busy < 0 || pthread_cond_timedwait(&memo_done, &memo_lock, &until) != 0) {
            if (busy < 0 && empty >= 0) {
                pending[empty] = *key;
                pending_on[empty] = true;
                *claim = empty;
            }
            break;
        }
    }
    pthread_mutex_unlock(&memo_lock);
    return L;
}

static void memo_unclaim(int claim)
{
    if (claim < 0)
        return;
    pthread_mutex_lock(&memo_lock);
    pending_on[claim] = false;
    pthread_cond_broadcast(&memo_done);
    pthread_mutex_unlock(&memo_lock);
}

static void memo_put(const struct label_memo *key, struct gis_render_labels *L, int claim)
{
    pthread_mutex_lock(&memo_lock);
    if (claim >= 0)
        pending_on[claim] = false;
    pthread_cond_broadcast(&memo_done);
    int v = 0;
    for (int i = 0; i < LABEL_MEMO; i++) {
        if (memo_match(&memo[i], key)) {
            v = -1;
            break;
        }
        if (memo[i].used < memo[v].used)
            v = i;
    }
    if (v >= 0) {
        struct gis_render_labels *old = memo[v].labels;
        memo[v] = *key;
        memo[v].used = ++memo_clock;
        memo[v].labels = L;
        gis_render_labels_ref(L);
        gis_render_labels_unref(old);
    }
    pthread_mutex_unlock(&memo_lock);
}

static void memo_free(void)
{
    for (int i = 0; i < LABEL_MEMO; i++)
        gis_render_labels_unref(memo[i].labels), memo[i].labels = NULL;
}

static enum err_code render_raster(struct gis_store *s, const struct tile_set *ts, enum tile_grid grid, int scale,
                                   int z, long x, long y, const char *date, struct buf *out, struct err *e)
{
    pthread_once(&style_once, style_load);
    const struct gis_style *style = ts_style(ts);
    if (!style)
        return err_set(e, ERR_INTERNAL, "the map style failed to load");
    int size = 256 * scale, pad = TILE_RASTER_BUFFER * scale;
    double b[4];
    tile_grid_bounds(grid, z, x, y, b);
    double grow = (b[2] - b[0]) * TILE_RASTER_BUFFER / 256;
    int ng = 0;
    while (ts->groups && ts->groups[ng])
        ng++;
    struct gis_render_opts o = {.crs = grid == TILE_GRID_CRS84 ? GIS_CRS_CRS84 : GIS_CRS_3857,
                                .bbox = {b[0] - grow, b[1] - grow, b[2] + grow, b[3] + grow},
                                .width = size + 2 * pad,
                                .height = size + 2 * pad,
                                .scale = scale,
                                .groups = ts->groups,
                                .ngroups = ng,
                                .transparent = ts->transparent,
                                .labels_inside = false,
                                .label_mode = GIS_RENDER_LABELS_NONE,
                                .date = date};
    cairo_surface_t *surf =
        cairo_image_surface_create(ts->transparent ? CAIRO_FORMAT_ARGB32 : CAIRO_FORMAT_RGB24, size, size);
    cairo_t *cr = cairo_create(surf);
    /* the map without labels: the buffered map is drawn shifted, so only its middle lands on the tile */
    cairo_save(cr);
    cairo_translate(cr, -pad, -pad);
    enum err_code rc = gis_render_map(cr, s, style, &o, NULL, e);
    cairo_restore(cr);
    if (!rc) {
        /* the labels of the whole metatile (placed once and memoized), drawn shifted so that this tile's
         * part lands on the surface */
        int m = tile_label_meta(TILE_PNG, z);
        struct label_memo key = {.ts = ts, .grid = grid, .scale = scale, .z = z, .mx = x / m * m, .my = y / m * m};
        const char *path = gis_store_path(s);
        struct stat sb;
        /* labels of another date than today's are placed for this tile only */
        bool memo_ok = !date && path && strlen(path) < sizeof key.path && stat(path, &sb) == 0;
        if (memo_ok) {
            strcpy(key.path, path);
            key.ino = sb.st_ino;
            key.gen = tile_store_generation(s);
        }
        int claim = -1;
        struct gis_render_labels *L = memo_ok ? memo_get(&key, &claim) : NULL;
        cairo_rectangle(cr, 0, 0, size, size);
        cairo_clip(cr);
        cairo_translate(cr, -(double)(x - key.mx) * size, -(double)(y - key.my) * size);
        if (!L) {
            double b0[4], b1[4];
            tile_grid_bounds(grid, z, key.mx, key.my, b0);
            tile_grid_bounds(grid, z, key.mx + m - 1, key.my + m - 1, b1);
            o.bbox[0] = b0[0], o.bbox[1] = b1[1], o.bbox[2] = b1[2], o.bbox[3] = b0[3];
            o.width = o.height = m * size;
            o.labels_inside = true;
            o.label_mode = GIS_RENDER_LABELS_ONLY;
            o.labels_out = &L;
            rc = gis_render_map(cr, s, style, &o, NULL, e);
            if (!rc && memo_ok)
                memo_put(&key, L, claim);
            else
                memo_unclaim(claim);
        }
        if (!rc)
            gis_render_labels_draw(cr, L);
        gis_render_labels_unref(L);
    }
    cairo_destroy(cr);
    if (!rc)
        rc = gis_render_encode(surf, GIS_RENDER_PNG, 6, out, e);
    cairo_surface_destroy(surf);
    return rc;
}

enum err_code tile_render(struct gis_store *s, const struct tile_set *ts, enum tile_format f, int z, long x, long y,
                          const char *date, struct buf *out, struct err *e)
{
    if (tile_grid_check(tile_format_grid(f), z, x, y, e))
        return e->code;
    if (f == TILE_MVT)
        return tile_mvt_encode(s, ts->layers, z, x, y, date, out, NULL, e);
    return render_raster(s, ts, tile_format_grid(f), f == TILE_PNG2X ? 2 : 1, z, x, y, date, out, e);
}

bool tile_set_dated(const struct tile_set *ts)
{
    const char *const *names = ts->layers ? ts->layers : gis_layers_plan();
    for (int i = 0; names[i]; i++) {
        const struct gis_layer *L = gis_layer_find(names[i]);
        if (L && L->map.dated)
            return true;
    }
    return false;
}

static enum err_code cache_open(const char *data_dir, const char *slug, const struct tile_set *ts, enum tile_format f,
                                long long gen, const char *state, struct tile_cache **out, struct err *e);

enum err_code tile_set_cache_open(const char *data_dir, const char *slug, const struct tile_set *ts, enum tile_format f,
                                  long long gen, struct tile_cache **out, struct err *e)
{
    return cache_open(data_dir, slug, ts, f, gen, "", out, e);
}

enum err_code tile_set_cache_open_state(const char *data_dir, const char *slug, const struct tile_set *ts,
                                        enum tile_format f, long long gen, long long state, struct tile_cache **out,
                                        struct err *e)
{
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".p%llx", (unsigned long long)state);
    return cache_open(data_dir, slug, ts, f, gen, suffix, out, e);
}

static enum err_code cache_open(const char *data_dir, const char *slug, const struct tile_set *ts, enum tile_format f,
                                long long gen, const char *state, struct tile_cache **out, struct err *e)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/tiles", data_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/tiles/%s", data_dir, slug);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/tiles/%s/%s.%s%s.mbtiles", data_dir, slug, ts->name, tile_format_name(f), state);
    struct buf json = {0};
    if (f == TILE_MVT) {
        buf_puts(&json, "{\"vector_layers\":[");
        int n = 0;
        /* the listed layers, else the plan's */
        const char *const *names = ts->layers ? ts->layers : tile_mvt_plan_layers();
        for (int i = 0; names[i]; i++) {
            const char *name = names[i];
            if (!tile_mvt_layer_keys(name))
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
    if (!rc && f != TILE_MVT) {
        tile_cache_set_grid(*out, tile_format_grid(f));
        tile_cache_set_meta(*out, TILE_LABEL_META);
    }
    buf_free(&json);
    return rc;
}
