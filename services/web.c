/* The web side of the map: the planner's map page (/{t}/map), its static files (/assets/{file}: MapLibre GL
 * JS from node_modules and web/, read and gzipped once per file version, with ETags) and the SDF glyphs
 * its text layers ask for (/fonts/...). The tiles themselves are services/tiles.c's. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "services/routes.h"
#include "services/server.h"
#include "tiles/cache.h"
#include "tiles/glyphs.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/text.h"
#include "util/zbuf.h"

/* ---- the planner's map page ---- */

/* Static files: web/ and MapLibre's dist/ under node_modules, found relative to the working directory or
 * to ODRA_WEB_ROOT (the repository root). Only names from this fixed list are ever opened. */
static const struct {
    const char *name, *path, *type, *install;
} assets[] = {
    {"maplibre-gl.js", "node_modules/maplibre-gl/dist/maplibre-gl.js", "text/javascript",
     "run `make` or `make deps` (npm ci) in the repository"},
    {"maplibre-gl.css", "node_modules/maplibre-gl/dist/maplibre-gl.css", "text/css",
     "run `make` or `make deps` (npm ci) in the repository"},
    {"map.js", "web/map.js", "text/javascript", "it comes with the repository's web/ folder"},
    {"map.css", "web/map.css", "text/css", "it comes with the repository's web/ folder"},
    {"pages.css", "web/pages.css", "text/css", "it comes with the repository's web/ folder"},
    {"planner.js", "web/planner.js", "text/javascript", "it comes with the repository's web/ folder"},
    {"planner.css", "web/planner.css", "text/css", "it comes with the repository's web/ folder"},
};
#define NASSETS (sizeof assets / sizeof assets[0])

static char *read_root_file(const char *rel, size_t *len)
{
    const char *root = getenv("ODRA_WEB_ROOT");
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", root && *root ? root : ".", rel);
    struct buf b = {0};
    if (!buf_read_file(&b, path)) {
        buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.data ? b.data : calloc(1, 1);
}

/* One loaded version of an asset with its gzip form and ETag, shared by the requests sending it: each
 * holds a reference until its response is sent, so a reload after the file changed frees nothing in use. */
struct asset_blob {
    int refs;
    char *data, *gz;
    size_t len, gz_len;
    char etag[24];
    struct stat st; /* of the file it was read from, to notice a change */
};

static struct asset_blob *asset_cur[NASSETS];
static pthread_mutex_t assets_lock = PTHREAD_MUTEX_INITIALIZER;

static void asset_release(void *p)
{
    struct asset_blob *b = p;
    if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        free(b->data);
        free(b->gz);
        free(b);
    }
}

static void assets_free(void)
{
    for (size_t i = 0; i < NASSETS; i++)
        asset_release(asset_cur[i]), asset_cur[i] = NULL;
}

static bool asset_stat(size_t i, struct stat *st)
{
    const char *root = getenv("ODRA_WEB_ROOT");
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", root && *root ? root : ".", assets[i].path);
    return stat(path, st) == 0 && S_ISREG(st->st_mode);
}

/* Asset i, read and gzipped (level 9: once per version of the file, never per request) when it is new or
 * its file changed, with a reference for the caller; NULL when the file is not there. */
static struct asset_blob *asset_get(size_t i)
{
    struct stat st;
    if (!asset_stat(i, &st))
        return NULL;
    pthread_mutex_lock(&assets_lock);
    static bool registered;
    if (!registered)
        registered = atexit(assets_free) == 0;
    struct asset_blob *b = asset_cur[i];
    if (!b || b->st.st_mtim.tv_sec != st.st_mtim.tv_sec || b->st.st_mtim.tv_nsec != st.st_mtim.tv_nsec ||
        b->st.st_size != st.st_size || b->st.st_ino != st.st_ino) {
        struct asset_blob *nb = calloc(1, sizeof *nb);
        struct buf gz = {0};
        struct err e = {0};
        if (nb && (nb->data = read_root_file(assets[i].path, &nb->len)) != NULL &&
            zbuf_compress(ZBUF_GZIP, 9, nb->data, nb->len, &gz, &e) == ERR_OK && !gz.failed) {
            nb->gz = gz.data;
            nb->gz_len = gz.len;
            nb->refs = 1;
            nb->st = st;
            tile_etag(nb->data, nb->len, nb->etag, sizeof nb->etag);
            asset_release(asset_cur[i]);
            asset_cur[i] = b = nb;
        } else {
            buf_free(&gz);
            if (nb)
                free(nb->data);
            free(nb);
            log_error("map assets: cannot load %s", assets[i].path);
        }
    }
    if (b)
        __atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
    pthread_mutex_unlock(&assets_lock);
    return b;
}

void svc_map_assets_load(void)
{
    for (size_t i = 0; i < NASSETS; i++) {
        struct asset_blob *b = asset_get(i);
        if (!b)
            log_error("map page: %s is missing, so /assets/%s answers 503 and /{t}/map shows no map: %s",
                      assets[i].path, assets[i].name, assets[i].install);
        asset_release(b);
    }
}

static enum err_code map_asset(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *file = http_capture(req, "file");
    for (size_t i = 0; i < NASSETS; i++) {
        if (strcmp(file, assets[i].name))
            continue;
        struct asset_blob *b = asset_get(i);
        if (!b)
            return err_set(e, ERR_UNAVAILABLE, "%s is not installed on this server (%s is missing): %s", assets[i].name,
                           assets[i].path, assets[i].install);
        if (arena_defer(req->arena, asset_release, b) != 0) {
            asset_release(b);
            return err_set(e, ERR_INTERNAL, "out of memory");
        }
        http_resp_body(resp, 200, assets[i].type, b->data, b->len);
        resp->gz_body = b->gz;
        resp->gz_len = b->gz_len;
        http_resp_header(resp, "ETag", b->etag);
        http_resp_header(resp, "Cache-Control", "public, max-age=3600");
        return ERR_OK;
    }
    return err_set(e, ERR_NOT_FOUND, "no asset '%s'", strlen(file) < 64 ? file : "(long name)");
}

static enum err_code map_page(struct http_req *req, struct http_resp *resp, struct err *e)
{
    size_t len;
    char *tpl = read_root_file("web/map.html", &len);
    if (!tpl)
        return err_set(e, ERR_NOT_FOUND, "web/map.html is not installed");
    struct buf b = {0};
    char esc[256];
    for (const char *p = tpl; *p;) {
        if (!strncmp(p, "{{slug}}", 8)) {
            buf_puts(&b, req->tenant->cfg->slug);
            p += 8;
        } else if (!strncmp(p, "{{name}}", 8)) {
            text_xml_escape(req->tenant->cfg->name, esc, sizeof esc);
            buf_puts(&b, esc);
            p += 8;
        } else {
            buf_append(&b, p, 1);
            p++;
        }
    }
    free(tpl);
    /* As every page's (services/web_page.c), with what MapLibre GL JS needs besides: its workers and tile
     * images are blob: URLs. Its styles are set from script (CSSOM), which style-src does not govern. */
    http_resp_header(resp, "Content-Security-Policy",
                     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                     "worker-src blob:; child-src blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                     "form-action 'self'; frame-ancestors 'none'");
    http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    return http_resp_buf(req, resp, 200, "text/html; charset=UTF-8", &b, e);
}

static const struct http_param_doc t_doc[] = {
    HTTP_DOC_TENANT,
    HTTP_DOC_END,
};

/* ---- glyphs for the MapLibre style's text layers ---- */

/* GET /fonts/{fontstack}/{range}.pbf: SDF glyphs of code points range for the comma-separated font stack.
 * The fonts are the DejaVu files of ODRA_FONT_DIR (default TILE_GLYPHS_DIR); ranges are cached in memory. */
static enum err_code font_glyphs(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *stack = http_capture(req, "fontstack"), *file = http_capture(req, "range");
    size_t n = file ? strlen(file) : 0;
    int start;
    char range[16];
    if (n < 5 || n - 4 >= sizeof range || strcmp(file + n - 4, ".pbf"))
        return err_param(e, "range", "the glyph range must look like 0-255.pbf");
    memcpy(range, file, n - 4);
    range[n - 4] = '\0';
    if (!tile_glyphs_parse_range(range, &start))
        return err_param(e, "range", "bad glyph range '%s': want S-(S+255) with S a multiple of 256, at most 65535",
                         range);
    const char *dir = getenv("ODRA_FONT_DIR");
    struct buf b = {0};
    bool cached = false;
    if (tile_glyphs_range(dir && *dir ? dir : TILE_GLYPHS_DIR, stack, start, &b, &cached, e) != ERR_OK) {
        buf_free(&b);
        return e->code;
    }
    char tag[32];
    tile_etag(b.data ? b.data : "", b.len, tag, sizeof tag);
    http_resp_header(resp, "ETag", arena_strdup(req->arena, tag));
    http_resp_header(resp, "Cache-Control", "public, max-age=86400");
    http_resp_header(resp, "X-Glyph-Cache", cached ? "HIT" : "MISS");
    http_resp_header(resp, "Access-Control-Allow-Origin", "*");
    if (http_if_none_match(req, tag)) {
        buf_free(&b);
        http_resp_body(resp, 304, "application/x-protobuf", "", 0);
        return ERR_OK;
    }
    return http_resp_buf(req, resp, 200, "application/x-protobuf", &b, e);
}

static const struct http_param_doc glyphs_doc[] = {
    {"fontstack", "path", "string", 1,
     "comma-separated font names, URL-encoded: DejaVu Sans, DejaVu Sans Bold, DejaVu Sans Oblique, ..."},
    {"range", "path", "string", 1, "code points and suffix: 0-255.pbf, 256-511.pbf, ... 65280-65535.pbf"},
    HTTP_DOC_END,
};

const struct http_route svc_web_routes[] = {
    {"GET", "/{t}/map", map_page, "maps", "The planner's map page (MapLibre GL JS)", "text/html", t_doc, HTTP_PUBLIC},
    {"GET", "/fonts/{fontstack}/{range}", font_glyphs, "maps",
     "SDF glyphs for MapLibre text (glyphs protocol buffer, 24 px, buffer 3)", "application/x-protobuf", glyphs_doc,
     HTTP_PUBLIC},
    {"GET", "/assets/{file}", map_asset, "maps", "Static files of the map page (MapLibre GL JS, map.js, map.css)", NULL,
     NULL, HTTP_PUBLIC},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
