/* WMS 1.3.0: GetCapabilities, GetMap, GetFeatureInfo and GetLegendGraphic over the plan style, plus the
 * style documents themselves at /styles/{name}.json. Errors are OGC ServiceExceptionReports. The styles
 * are loaded from the embedded styles/ files once, on first use, and shared read-only by all threads. */
#include <gdal.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/calendar.h"
#include "gis/crs.h"
#include "gis/features.h"
#include "gis/render.h"
#include "gis/style.h"
#include "services/routes.h"
#include "services/server.h"
#include "util/buf.h"
#include "util/embed.h"
#include "util/log.h"
#include "util/text.h"

#define WMS_MAX_SIDE          4096
#define WMS_MAX_LAYERS        32
#define WMS_MAX_LAYERS_LEN    1024
#define WMS_MAX_FEATURE_COUNT 50
#define WMS_MAX_BUFFER        25 /* GetFeatureInfo BUFFER, pixels */
#define WMS_MAX_PARAMS        100

/* ---- styles: loaded once, shared read-only ---- */

static const char *const style_names[] = {"plan", NULL};
static struct gis_style *styles[1];
static pthread_once_t styles_once = PTHREAD_ONCE_INIT;

static void styles_load(void)
{
    for (int i = 0; style_names[i]; i++) {
        char path[64];
        snprintf(path, sizeof path, "styles/%s.json", style_names[i]);
        size_t len;
        const char *text = embed_find(path, &len);
        struct err e = {0};
        if (!text)
            log_error("wms: style %s is not embedded", path);
        else if (gis_style_load(text, len, &styles[i], &e) != ERR_OK || gis_render_check_style(styles[i], &e))
            log_error("wms: style %s: %s", path, e.msg);
    }
    GDALAllRegister();
}

static struct gis_style *style_get(const char *name)
{
    pthread_once(&styles_once, styles_load);
    for (int i = 0; style_names[i]; i++)
        if (!strcmp(style_names[i], name))
            return styles[i];
    return NULL;
}

/* ---- layers ---- */

#define GROUPS(...) ((const char *const[]){__VA_ARGS__, NULL})

struct wms_layer {
    const char *name, *title, *abstract;
    const char *const *groups; /* style groups drawn */
    const char *const *query;  /* OGC API collections GetFeatureInfo answers from; NULL: not queryable */
};

static const struct wms_layer wms_layers[] = {
    {"plan", "Mapa planistyczna", "Plany miejscowe na tle planu ogólnego, z działkami, budynkami, adresami i ulicami.",
     GROUPS("landcover", "pog", "mpzp", "mpzp-lines", "overlays", "plan-lines", "plans", "buildings", "parcels",
            "streets", "addresses"),
     GROUPS("plan-zones", "pog-zones", "overlays", "plan-lines", "plans", "parcels")},
    {"mpzp", "Tereny MPZP", "Tereny miejscowych planów zagospodarowania przestrzennego z symbolami przeznaczenia.",
     GROUPS("mpzp", "mpzp-lines"), GROUPS("plan-zones")},
    {"pog", "Strefy planistyczne POG", "Strefy planistyczne planu ogólnego gminy.", GROUPS("pog", "pog-labels"),
     GROUPS("pog-zones")},
    {"overlays", "Obszary i strefy", "Strefy ochrony konserwatorskiej, obszary zagrożenia powodzią i inne.",
     GROUPS("overlays"), GROUPS("overlays")},
    {"granice", "Granice planów", "Granice obszarów objętych planami miejscowymi.", GROUPS("plans"), GROUPS("plans")},
    {"parcels", "Działki ewidencyjne", "Granice i numery działek ewidencyjnych.", GROUPS("parcels"), GROUPS("parcels")},
    {"buildings", "Budynki", "Obrysy budynków.", GROUPS("buildings"), GROUPS("buildings")},
    {"addresses", "Punkty adresowe", "Punkty adresowe z numerami porządkowymi.", GROUPS("addresses"),
     GROUPS("addresses")},
    {"streets", "Nazwy ulic", "Nazwy ulic wzdłuż osi.", GROUPS("streets"), NULL},
    {"landcover", "Pokrycie terenu", "Rzeka Odra, lasy, łąki.", GROUPS("landcover"), NULL},
};

/* The layer names of the national integration of local plans (KIMPZP), mapped onto the layers above. */
static const struct wms_layer kimpzp_layers[] = {
    {"plany", "Plany miejscowe (KIMPZP)", "Pełna treść planów: tereny, linie, strefy, granice.",
     GROUPS("mpzp", "mpzp-lines", "overlays", "plan-lines", "plans"),
     GROUPS("plan-zones", "overlays", "plan-lines", "plans")},
    {"plany_granice", "Granice planów (KIMPZP)", "Granice obszarów objętych planami.", GROUPS("plans"),
     GROUPS("plans")},
    {"wektor-str", "Plany wektorowe — przeznaczenie terenu (KIMPZP)", "Tereny z symbolami przeznaczenia.",
     GROUPS("mpzp"), GROUPS("plan-zones")},
    {"wektor-lin", "Plany wektorowe — linie rozgraniczające (KIMPZP)", "Linie rozgraniczające tereny.",
     GROUPS("mpzp-lines"), GROUPS("plan-zones")},
    {"wektor-pow", "Plany wektorowe — obiekty powierzchniowe (KIMPZP)", "Strefy i obszary nakładające się na tereny.",
     GROUPS("overlays"), GROUPS("overlays")},
    {"wektor-lzb", "Plany wektorowe — linie zabudowy (KIMPZP)",
     "Linie zabudowy i pozostałe oznaczenia liniowe i punktowe rysunków planów.", GROUPS("plan-lines"),
     GROUPS("plan-lines")},
    {"wektor-pkt", "Plany wektorowe — obiekty punktowe (KIMPZP)", "Obiekty punktowe planów; warstwa jest pusta.",
     GROUPS("none"), GROUPS("none")},
    {"raster", "Rysunki planów (KIMPZP)",
     "Georeferencyjne rysunki planów; plany są prowadzone wektorowo, więc warstwa jest pusta.", GROUPS("none"),
     GROUPS("none")},
};

#define NLAYERS (sizeof wms_layers / sizeof wms_layers[0])
#define NKIMPZP (sizeof kimpzp_layers / sizeof kimpzp_layers[0])

static const struct wms_layer *layer_find(const char *name)
{
    for (size_t i = 0; i < NLAYERS; i++)
        if (!strcmp(wms_layers[i].name, name))
            return &wms_layers[i];
    for (size_t i = 0; i < NKIMPZP; i++)
        if (!strcmp(kimpzp_layers[i].name, name))
            return &kimpzp_layers[i];
    return NULL;
}

static const enum gis_crs wms_crs[] = {GIS_CRS_2180, GIS_CRS_2176, GIS_CRS_3857, GIS_CRS_4326, GIS_CRS_CRS84};
#define NCRS (sizeof wms_crs / sizeof wms_crs[0])

/* ---- requests ---- */

struct wms_param {
    const char *key, *value;
};

struct wms {
    struct http_req *req;
    struct wms_param p[WMS_MAX_PARAMS];
    int np;
    bool v111; /* VERSION=1.1.1 (or 1.1.0): SRS, x/y order always, X/Y pixel names */
    /* the first failure, as an OGC exception */
    const char *code, *locator;
    char msg[512];
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct wms *w = cls;
    if (w->np < WMS_MAX_PARAMS)
        w->p[w->np++] = (struct wms_param){key, value ? value : ""};
    return MHD_YES;
}

/* Parameter names are case-insensitive in OGC services. */
static const char *param(const struct wms *w, const char *name)
{
    for (int i = 0; i < w->np; i++)
        if (!strcasecmp(w->p[i].key, name))
            return w->p[i].value;
    return NULL;
}

static bool fail(struct wms *w, const char *code, const char *locator, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool fail(struct wms *w, const char *code, const char *locator, const char *fmt, ...)
{
    if (w->code)
        return false;
    w->code = code;
    w->locator = locator;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg, sizeof w->msg, fmt, ap);
    va_end(ap);
    return false;
}

/* Appends s escaped for XML; control characters XML 1.0 forbids become '?'. */
static void xml_puts(struct buf *b, const char *s)
{
    for (const char *p = s ? s : ""; *p;) {
        size_t n = strcspn(p, "&<>\"'\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15"
                              "\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f");
        buf_append(b, p, n);
        p += n;
        if (!*p)
            break;
        switch (*p) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&#39;"); break;
        default: buf_puts(b, "?"); break;
        }
        p++;
    }
}

/* Echoed user input is cut short and stripped of control bytes before it goes into a message. */
static const char *clip(struct arena *a, const char *s)
{
    char out[81];
    size_t n = 0;
    for (; s && *s && n < 60; s++)
        out[n++] = (unsigned char)*s < 32 ? '?' : *s;
    if (s && *s) {
        while (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
            n--; /* never cut a UTF-8 sequence in two */
        if (n > 0 && (unsigned char)out[n - 1] >= 0xc0)
            n--;
        out[n++] = '.', out[n++] = '.', out[n++] = '.';
    }
    out[n] = 0;
    return arena_strdup(a, out);
}

static void exception_body(struct arena *a, bool v111, const char *code, const char *locator, const char *msg,
                           int status, struct http_resp *resp)
{
    struct buf b = {0};
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (v111)
        buf_puts(&b, "<ServiceExceptionReport version=\"1.1.1\">\n");
    else
        buf_puts(
            &b,
            "<ServiceExceptionReport version=\"1.3.0\" xmlns=\"http://www.opengis.net/ogc\" "
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.opengis.net/ogc "
            "http://schemas.opengis.net/wms/1.3.0/exceptions_1_3_0.xsd\">\n");
    buf_puts(&b, "  <ServiceException");
    if (code) {
        buf_puts(&b, " code=\"");
        xml_puts(&b, code);
        buf_puts(&b, "\"");
    }
    if (locator) {
        buf_puts(&b, " locator=\"");
        xml_puts(&b, locator);
        buf_puts(&b, "\"");
    }
    buf_puts(&b, ">");
    xml_puts(&b, msg);
    buf_puts(&b, "</ServiceException>\n</ServiceExceptionReport>\n");
    const char *body = b.failed ? NULL : arena_strndup(a, b.data, b.len);
    buf_free(&b);
    if (!body)
        body = "<?xml version=\"1.0\"?><ServiceExceptionReport version=\"1.3.0\" "
               "xmlns=\"http://www.opengis.net/ogc\"><ServiceException>out of memory</ServiceException>"
               "</ServiceExceptionReport>";
    memset(resp, 0, sizeof *resp);
    http_resp_body(resp, status, v111 ? "application/vnd.ogc.se_xml" : "text/xml; charset=UTF-8", body, strlen(body));
}

/* An error from outside the WMS parameter checks (the store, memory) as a ServiceExceptionReport. */
static void error_resp(struct arena *a, const struct err *e, struct http_resp *resp)
{
    const char *code = e->code == ERR_NOT_FOUND ? NULL : e->param[0] ? "InvalidParameterValue" : NULL;
    exception_body(a, false, code, e->param[0] ? e->param : NULL, e->msg[0] ? e->msg : err_name(e->code),
                   http_status_of(e->code), resp);
}

/* Answers the recorded failure. Client mistakes are 400, the rest 500; the XML carries the OGC code. */
static enum err_code answer_exception(struct wms *w, struct http_resp *resp, int status)
{
    exception_body(w->req->arena, w->v111, w->code, w->locator, w->msg, status, resp);
    return ERR_OK;
}

/* ---- common GetMap / GetFeatureInfo parameters ---- */

struct map_req {
    const struct wms_layer *layers[WMS_MAX_LAYERS];
    int nlayers;
    const char *groups[WMS_MAX_LAYERS * 12];
    int ngroups;
    enum gis_crs crs;
    double bbox[4]; /* traditional order */
    int width, height;
    double scale;
    struct gis_style *style;
    char date[11]; /* TIME: the plans as in force on this date (today by default) */
};

static bool parse_version(struct wms *w)
{
    const char *v = param(w, "VERSION");
    if (!v)
        v = param(w, "WMTVER");
    if (!v || !*v || !strcmp(v, "1.3.0"))
        return true;
    if (!strcmp(v, "1.1.1") || !strcmp(v, "1.1.0") || !strcmp(v, "1.1")) {
        w->v111 = true;
        return true;
    }
    return fail(w, "InvalidParameterValue", "VERSION", "VERSION '%s' is not supported; use 1.3.0 (or 1.1.1)",
                clip(w->req->arena, v));
}

static bool parse_layers(struct wms *w, const char *name, struct map_req *m)
{
    const char *v = param(w, name);
    if (!v || !*v)
        return fail(w, "MissingParameterValue", name, "%s is required", name);
    if (strlen(v) > WMS_MAX_LAYERS_LEN)
        return fail(w, "InvalidParameterValue", name, "%s is longer than %d characters", name, WMS_MAX_LAYERS_LEN);
    char *copy = arena_strdup(w->req->arena, v);
    if (!copy)
        return fail(w, "NoApplicableCode", NULL, "out of memory");
    m->nlayers = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (m->nlayers == WMS_MAX_LAYERS)
            return fail(w, "InvalidParameterValue", name, "at most %d layers per request", WMS_MAX_LAYERS);
        const struct wms_layer *l = layer_find(tok);
        if (!l)
            return fail(w, "LayerNotDefined", name, "layer '%s' is not offered here", clip(w->req->arena, tok));
        m->layers[m->nlayers++] = l;
    }
    if (!m->nlayers)
        return fail(w, "MissingParameterValue", name, "%s names no layer", name);
    return true;
}

static bool parse_styles(struct wms *w, struct map_req *m)
{
    m->style = style_get("plan");
    if (!m->style)
        return fail(w, "NoApplicableCode", NULL, "the map style failed to load; see the server log");
    const char *v = param(w, "STYLES");
    if (!v || !*v)
        return true;
    if (strlen(v) > WMS_MAX_LAYERS_LEN)
        return fail(w, "InvalidParameterValue", "STYLES", "STYLES is too long");
    int n = 1;
    for (const char *p = v; *p; p++)
        n += *p == ',';
    if (n != m->nlayers && n != 1)
        return fail(w, "InvalidParameterValue", "STYLES", "STYLES lists %d styles for %d layers", n, m->nlayers);
    char *copy = arena_strdup(w->req->arena, v);
    for (char *s = copy, *next; s; s = next) {
        next = strchr(s, ',');
        if (next)
            *next++ = 0;
        if (*s && strcasecmp(s, "default") && !style_get(s))
            return fail(w, "StyleNotDefined", "STYLES", "style '%s' is not defined; use default or leave it empty",
                        clip(w->req->arena, s));
    }
    return true;
}

static bool parse_int(struct wms *w, const char *name, long min, long max, long *out)
{
    const char *v = param(w, name);
    if (!v || !*v)
        return fail(w, "MissingParameterValue", name, "%s is required", name);
    if (!text_parse_long(v, min, max, out))
        return fail(w, "InvalidParameterValue", name, "%s must be an integer from %ld to %ld", name, min, max);
    return true;
}

/* TIME (WMS 1.3.0 Annex C, the time dimension of the plan layers): a date YYYY-MM-DD, a date-time whose
 * date part is taken (YYYY-MM-DDThh:mm:ssZ), or "current"; absent: today. */
static bool parse_time(struct wms *w, char out[11])
{
    const char *v = param(w, "TIME");
    int day = gis_cal_today();
    char d[11];
    if (v && *v && strcasecmp(v, "current")) {
        size_t n = strlen(v);
        bool ok = n >= 10 && (n == 10 || v[10] == 'T');
        if (ok) {
            memcpy(d, v, 10);
            d[10] = 0;
            ok = gis_cal_parse_date(d, &day);
        }
        if (!ok)
            return fail(w, "InvalidDimensionValue", "TIME", "TIME must be a date YYYY-MM-DD (or current)");
    }
    gis_cal_format_date(day, out);
    return true;
}

static bool parse_map(struct wms *w, struct map_req *m, const char *layers_param)
{
    if (!parse_time(w, m->date))
        return false;
    if (!parse_version(w) || !parse_layers(w, layers_param, m) || !parse_styles(w, m))
        return false;
    const char *crsp = w->v111 ? "SRS" : "CRS";
    const char *cv = param(w, crsp);
    if (!cv)
        cv = param(w, w->v111 ? "CRS" : "SRS"); /* tolerate the other version's name */
    if (!cv || !*cv)
        return fail(w, "MissingParameterValue", crsp, "%s is required", crsp);
    m->crs = gis_crs_parse(cv);
    bool known = false;
    for (size_t i = 0; i < NCRS; i++)
        known |= m->crs == wms_crs[i];
    if (!known)
        return fail(w, w->v111 ? "InvalidSRS" : "InvalidCRS", crsp,
                    "%s '%s' is not supported; use EPSG:2180, EPSG:2176, EPSG:3857, EPSG:4326 or CRS:84", crsp,
                    clip(w->req->arena, cv));
    const char *bv = param(w, "BBOX");
    if (!bv || !*bv)
        return fail(w, "MissingParameterValue", "BBOX", "BBOX is required");
    double b[4];
    int n = 0;
    char *copy = arena_strdup(w->req->arena, bv);
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == 4 || !text_parse_double(tok, &b[n]))
            return fail(w, "InvalidParameterValue", "BBOX", "BBOX must be 4 comma-separated finite numbers");
        n++;
    }
    if (n != 4)
        return fail(w, "InvalidParameterValue", "BBOX", "BBOX must be 4 comma-separated finite numbers");
    if (!w->v111 && gis_crs_north_first(m->crs)) {
        /* WMS 1.3.0 follows the authority: EPSG:4326 is lat,lon and EPSG:2180/2176 northing,easting */
        double t = b[0];
        b[0] = b[1], b[1] = t;
        t = b[2];
        b[2] = b[3], b[3] = t;
    }
    if (!(b[0] < b[2]) || !(b[1] < b[3]))
        return fail(w, "InvalidParameterValue", "BBOX", "BBOX minimum must be below its maximum on both axes");
    bool geographic = m->crs == GIS_CRS_4326 || m->crs == GIS_CRS_CRS84;
    double lim = geographic ? 360 : 1e8;
    for (int i = 0; i < 4; i++)
        if (fabs(b[i]) > lim)
            return fail(w, "InvalidParameterValue", "BBOX", "BBOX is outside the area of %s", gis_crs_name(m->crs));
    if (geographic && (b[1] < -90 || b[3] > 90))
        return fail(w, "InvalidParameterValue", "BBOX", "BBOX latitudes must lie within -90..90");
    memcpy(m->bbox, b, sizeof b);
    long wv, hv;
    if (!parse_int(w, "WIDTH", 1, WMS_MAX_SIDE, &wv) || !parse_int(w, "HEIGHT", 1, WMS_MAX_SIDE, &hv))
        return false;
    m->width = (int)wv, m->height = (int)hv;
    /* Print resolution: DPI (QGIS, GeoServer), MAP_RESOLUTION (MapServer) or FORMAT_OPTIONS=dpi:N. */
    double dpi = 0;
    const char *dv = param(w, "DPI");
    if (!dv)
        dv = param(w, "MAP_RESOLUTION");
    const char *fo = param(w, "FORMAT_OPTIONS");
    if (!dv && fo && !strncasecmp(fo, "dpi:", 4))
        dv = fo + 4;
    if (dv && (!text_parse_double(dv, &dpi) || dpi < 24 || dpi > 1200))
        return fail(w, "InvalidParameterValue", "DPI", "DPI must be a number from 24 to 1200");
    m->scale = dpi > 0 ? dpi / 96.0 : 1;
    m->ngroups = 0;
    for (int i = 0; i < m->nlayers; i++)
        for (const char *const *g = m->layers[i]->groups; *g; g++) {
            bool dup = false;
            for (int k = 0; k < m->ngroups; k++)
                dup |= !strcmp(m->groups[k], *g);
            if (!dup && m->ngroups < (int)(sizeof m->groups / sizeof m->groups[0]))
                m->groups[m->ngroups++] = *g;
        }
    return true;
}

/* ---- GetMap ---- */

static void free_buf_data(void *p)
{
    free(p);
}

static bool parse_bool(struct wms *w, const char *name, bool *out)
{
    const char *v = param(w, name);
    *out = false;
    if (!v || !*v)
        return true;
    if (!strcasecmp(v, "TRUE") || !strcmp(v, "1"))
        *out = true;
    else if (strcasecmp(v, "FALSE") && strcmp(v, "0"))
        return fail(w, "InvalidParameterValue", name, "%s must be TRUE or FALSE", name);
    return true;
}

static enum err_code wms_getmap(struct wms *w, struct http_resp *resp, struct err *e)
{
    struct map_req m = {0};
    if (!parse_map(w, &m, "LAYERS"))
        return answer_exception(w, resp, 400);
    const char *fmt = param(w, "FORMAT");
    if (!fmt || !*fmt)
        return fail(w, "MissingParameterValue", "FORMAT", "FORMAT is required"), answer_exception(w, resp, 400);
    bool jpeg = !strcasecmp(fmt, "image/jpeg") || !strcasecmp(fmt, "image/jpg");
    bool png = !strncasecmp(fmt, "image/png", 9);
    if (!jpeg && !png)
        return fail(w, "InvalidFormat", "FORMAT", "FORMAT '%s' is not offered; use image/png or image/jpeg",
                    clip(w->req->arena, fmt)),
               answer_exception(w, resp, 400);
    bool transparent;
    if (!parse_bool(w, "TRANSPARENT", &transparent))
        return answer_exception(w, resp, 400);
    if (jpeg)
        transparent = false;
    struct gis_render_opts o = {.crs = m.crs,
                                .width = m.width,
                                .height = m.height,
                                .scale = m.scale,
                                .groups = m.groups,
                                .ngroups = m.ngroups,
                                .transparent = transparent,
                                .labels_inside = true,
                                .date = m.date};
    memcpy(o.bbox, m.bbox, sizeof o.bbox);
    const char *bg = param(w, "BGCOLOR");
    if (bg && *bg) {
        struct gis_style_color c;
        char hex[8];
        if (strlen(bg) != 8 || strncasecmp(bg, "0x", 2) || (snprintf(hex, sizeof hex, "#%s", bg + 2), false) ||
            !gis_style_parse_color(hex, &c))
            return fail(w, "InvalidParameterValue", "BGCOLOR", "BGCOLOR must be 0xRRGGBB"),
                   answer_exception(w, resp, 400);
        o.has_bgcolor = true;
        o.bgcolor = c;
    }
    struct gis_store *r = svc_tenant_reader(w->req->tenant, e);
    if (!r)
        return e->code;
    cairo_surface_t *s =
        cairo_image_surface_create(transparent ? CAIRO_FORMAT_ARGB32 : CAIRO_FORMAT_RGB24, m.width, m.height);
    cairo_t *cr = cairo_create(s);
    struct gis_render_stats stats;
    enum err_code rc = gis_render_map(cr, r, m.style, &o, &stats, e);
    cairo_destroy(cr);
    if (rc == ERR_OK && cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        rc = err_set(e, ERR_INTERNAL, "cairo: %s", cairo_status_to_string(cairo_surface_status(s)));
    if (rc) {
        cairo_surface_destroy(s);
        fail(w, "NoApplicableCode", NULL, "the map could not be drawn: %s", e->msg);
        log_error("wms GetMap: %s", e->msg);
        err_clear(e);
        return answer_exception(w, resp, 500);
    }
    struct buf b = {0};
    struct err ee = {0};
    bool ok = gis_render_encode(s, jpeg ? GIS_RENDER_JPEG : GIS_RENDER_PNG, jpeg ? 88 : 4, &b, &ee) == ERR_OK &&
              arena_defer(w->req->arena, free_buf_data, b.data) == 0;
    cairo_surface_destroy(s);
    if (!ok) {
        buf_free(&b);
        log_error("wms GetMap: %s", ee.msg);
        return fail(w, "NoApplicableCode", NULL, "the image could not be encoded"), answer_exception(w, resp, 500);
    }
    const char *body = b.data;
    size_t len = b.len;
    http_resp_body(resp, 200, jpeg ? "image/jpeg" : "image/png", body, len);
    http_resp_header(resp, "Cache-Control", "public, max-age=300");
    http_resp_header(resp, "X-Render-Ms", arena_printf(w->req->arena, "%.1f", stats.ms));
    http_resp_header(resp, "X-Map-Zoom", arena_printf(w->req->arena, "%.2f", stats.zoom));
    if (stats.truncated)
        http_resp_header(resp, "X-Map-Truncated", "features over the per-layer limit were left out");
    return ERR_OK;
}

/* ---- GetFeatureInfo ---- */

static void info_text(struct buf *b, json_t *features)
{
    size_t i;
    json_t *f;
    json_array_foreach(features, i, f)
    {
        buf_printf(b, "Layer '%s' (%s), feature %lld\n", json_string_value(json_object_get(f, "layer")),
                   json_string_value(json_object_get(f, "collection")),
                   (long long)json_integer_value(json_object_get(f, "fid")));
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(f, "properties"), key, v)
        {
            char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
            buf_printf(b, "  %s = %s\n", key, s ? s : json_string_value(v));
            free(s);
        }
        buf_puts(b, "\n");
    }
    if (!json_array_size(features))
        buf_puts(b, "No features at this point.\n");
}

static void info_html(struct buf *b, json_t *features, const char *title)
{
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"pl\"><head><meta charset=\"utf-8\"><title>");
    xml_puts(b, title);
    buf_puts(b, "</title><style>body{font:13px sans-serif}table{border-collapse:collapse;margin:0 0 1em}"
                "th,td{border:1px solid #ccc;padding:2px 6px;text-align:left}caption{font-weight:bold;text-align:left}"
                "</style></head><body>\n");
    size_t i;
    json_t *f;
    json_array_foreach(features, i, f)
    {
        buf_puts(b, "<table><caption>");
        xml_puts(b, json_string_value(json_object_get(f, "title")));
        buf_puts(b, "</caption>\n");
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(f, "properties"), key, v)
        {
            buf_puts(b, "<tr><th>");
            xml_puts(b, key);
            buf_puts(b, "</th><td>");
            char *s =
                json_is_string(v) || json_is_null(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
            xml_puts(b, s ? s : json_is_null(v) ? "" : json_string_value(v));
            free(s);
            buf_puts(b, "</td></tr>\n");
        }
        buf_puts(b, "</table>\n");
    }
    if (!json_array_size(features))
        buf_puts(b, "<p>Brak obiektów w tym miejscu.</p>\n");
    buf_puts(b, "</body></html>\n");
}

/* An XML name: characters outside [A-Za-z0-9_.-] become '_', and one that cannot start a name gets a '_'
 * in front. Collection and property names are fixed in code and already valid; this keeps it so. */
static void xml_name(struct buf *b, const char *s)
{
    if (!s || !*s)
        s = "feature";
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        buf_puts(b, "_");
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                  c == '-';
        buf_append(b, ok ? &c : "_", 1);
    }
}

/* A GeoJSON position list as GML 2 <gml:coordinates> "x,y x,y", x first whatever the authority says
 * (the features come in the authority's order; swap turns them back). */
static void gml_coordinates(struct buf *b, json_t *positions, bool swap)
{
    buf_puts(b, "<gml:coordinates decimal=\".\" cs=\",\" ts=\" \">");
    size_t i;
    json_t *p;
    json_array_foreach(positions, i, p)
    {
        double x = json_number_value(json_array_get(p, 0)), y = json_number_value(json_array_get(p, 1));
        buf_printf(b, "%s%.10g,%.10g", i ? " " : "", swap ? y : x, swap ? x : y);
    }
    buf_puts(b, "</gml:coordinates>");
}

static void gml_polygon(struct buf *b, json_t *rings, bool swap, const char *srs)
{
    buf_printf(b, "<gml:Polygon%s%s%s>", srs ? " srsName=\"" : "", srs ? srs : "", srs ? "\"" : "");
    size_t i;
    json_t *ring;
    json_array_foreach(rings, i, ring)
    {
        const char *el = i ? "innerBoundaryIs" : "outerBoundaryIs";
        buf_printf(b, "<gml:%s><gml:LinearRing>", el);
        gml_coordinates(b, ring, swap);
        buf_printf(b, "</gml:LinearRing></gml:%s>", el);
    }
    buf_puts(b, "</gml:Polygon>");
}

/* A GeoJSON geometry as GML 2.1.2 with srsName; other types than the six simple ones are left out. */
static void gml_geometry(struct buf *b, json_t *g, bool swap, const char *srs)
{
    const char *type = json_string_value(json_object_get(g, "type"));
    json_t *c = json_object_get(g, "coordinates");
    if (!type || !json_is_array(c))
        return;
    size_t i;
    json_t *part;
    if (!strcmp(type, "Point") || !strcmp(type, "LineString")) {
        buf_printf(b, "<gml:%s srsName=\"%s\">", type, srs);
        json_t *one = json_array();
        gml_coordinates(b, !strcmp(type, "Point") ? (json_array_append(one, c), one) : c, swap);
        json_decref(one);
        buf_printf(b, "</gml:%s>", type);
    } else if (!strcmp(type, "Polygon")) {
        gml_polygon(b, c, swap, srs);
    } else if (!strcmp(type, "MultiPolygon")) {
        buf_printf(b, "<gml:MultiPolygon srsName=\"%s\">", srs);
        json_array_foreach(c, i, part)
        {
            buf_puts(b, "<gml:polygonMember>");
            gml_polygon(b, part, swap, NULL);
            buf_puts(b, "</gml:polygonMember>");
        }
        buf_puts(b, "</gml:MultiPolygon>");
    } else if (!strcmp(type, "MultiPoint") || !strcmp(type, "MultiLineString")) {
        bool points = !strcmp(type, "MultiPoint");
        buf_printf(b, "<gml:%s srsName=\"%s\">", type, srs);
        json_array_foreach(c, i, part)
        {
            buf_puts(b, points ? "<gml:pointMember><gml:Point>" : "<gml:lineStringMember><gml:LineString>");
            json_t *one = json_array();
            gml_coordinates(b, points ? (json_array_append(one, part), one) : part, swap);
            json_decref(one);
            buf_puts(b, points ? "</gml:Point></gml:pointMember>" : "</gml:LineString></gml:lineStringMember>");
        }
        buf_printf(b, "</gml:%s>", type);
    }
}

/* GetFeatureInfo as a GML 2 wfs:FeatureCollection, the shape MapServer, GeoServer and QGIS Server give:
 * one gml:featureMember per feature, the element named after its collection (odra:plan-zones) with a
 * fid, the geometry in the request's CRS (x first) and one element per non-null property. */
static void info_gml(struct buf *b, json_t *features, const char *ns, enum gis_crs crs)
{
    buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<wfs:FeatureCollection xmlns:wfs=\"http://www.opengis.net/wfs\" "
                "xmlns:gml=\"http://www.opengis.net/gml\" xmlns:odra=\"");
    xml_puts(b, ns);
    buf_puts(b, "\">\n  <gml:boundedBy><gml:null>unknown</gml:null></gml:boundedBy>\n");
    char srs[32];
    snprintf(srs, sizeof srs, "EPSG:%d", gis_crs_epsg(crs));
    bool swap = gis_crs_north_first(crs);
    size_t i;
    json_t *f;
    json_array_foreach(features, i, f)
    {
        const char *coll = json_string_value(json_object_get(f, "collection"));
        buf_puts(b, "  <gml:featureMember>\n    <odra:");
        xml_name(b, coll);
        buf_puts(b, " fid=\"");
        xml_name(b, json_string_value(json_object_get(f, "id")));
        buf_puts(b, "\">\n");
        json_t *g = json_object_get(f, "geometry");
        if (json_is_object(g)) {
            buf_puts(b, "      <odra:geometry>");
            gml_geometry(b, g, swap, srs);
            buf_puts(b, "</odra:geometry>\n");
        }
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(f, "properties"), key, v)
        {
            if (json_is_null(v))
                continue;
            buf_puts(b, "      <odra:");
            xml_name(b, key);
            buf_puts(b, ">");
            char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
            xml_puts(b, s ? s : json_string_value(v));
            free(s);
            buf_puts(b, "</odra:");
            xml_name(b, key);
            buf_puts(b, ">\n");
        }
        buf_puts(b, "    </odra:");
        xml_name(b, coll);
        buf_puts(b, ">\n  </gml:featureMember>\n");
    }
    buf_puts(b, "</wfs:FeatureCollection>\n");
}

/* INFO_FORMAT's kind: 1 GeoJSON, 2 HTML, 3 plain text, 4 GML; 0 for one not offered. */
static int info_kind(const char *fmt)
{
    if (!strcasecmp(fmt, "application/json") || !strcasecmp(fmt, "application/geo+json") ||
        !strcasecmp(fmt, "application/geojson"))
        return 1;
    if (!strcasecmp(fmt, "text/html"))
        return 2;
    if (!strcasecmp(fmt, "text/plain"))
        return 3;
    if (!strcasecmp(fmt, "application/vnd.ogc.gml") || !strcasecmp(fmt, "text/xml"))
        return 4;
    return 0;
}

/* Appends to all the features of one collection that the query finds, each named by the WMS layer, its
 * collection, its id ("parcels.12", the row id as fid) and a title ("Działka: 080505_4.0001.12"). A point
 * that cannot be transformed finds nothing. */
static enum err_code info_query(struct wms *w, struct gis_store *r, const struct gis_feature_query *fq,
                                const char *layer, json_t *all, struct err *e)
{
    const struct gis_collection *c = fq->c;
    struct buf out = {0};
    long returned = 0;
    struct err qe = {0};
    if (gis_features_query(r, fq, &out, NULL, &returned, &qe) != ERR_OK) {
        buf_free(&out);
        return qe.code == ERR_INVALID ? ERR_OK : err_recast(e, qe.code, &qe);
    }
    json_t *arr = json_loadb(out.data ? out.data : "[]", out.len ? out.len : 2, 0, NULL);
    buf_free(&out);
    size_t k;
    json_t *f;
    json_array_foreach(arr, k, f)
    {
        json_object_set_new(f, "layer", json_string(layer));
        json_object_set_new(f, "collection", json_string(c->id));
        json_object_set(f, "fid", json_object_get(f, "id"));
        json_object_set_new(f, "id",
                            json_string(arena_printf(w->req->arena, "%s.%lld", c->id,
                                                     (long long)json_integer_value(json_object_get(f, "id")))));
        json_t *props = json_object_get(f, "properties");
        /* a plan line is known by its kind in Polish, its own mark after it: "nieprzekraczalna linia zabudowy (6 m)" */
        const char *kind = json_string_value(json_object_get(props, "kind_label"));
        const char *mark = json_string_value(json_object_get(props, "label"));
        if (kind) {
            json_object_set_new(f, "title",
                                json_string(arena_printf(w->req->arena, "%s: %s%s%s%s", c->title, kind,
                                                         mark ? " (" : "", mark ? mark : "", mark ? ")" : "")));
            json_array_append(all, f);
            continue;
        }
        const char *label = json_string_value(json_object_get(props, "label"));
        if (!label)
            label = json_string_value(json_object_get(props, "parcel_id"));
        if (!label)
            label = json_string_value(json_object_get(props, "title"));
        json_object_set_new(
            f, "title",
            json_string(arena_printf(w->req->arena, "%s%s%s", c->title, label ? ": " : "", label ? label : "")));
        json_array_append(all, f);
    }
    json_decref(arr);
    return ERR_OK;
}

/* Writes the features found in the INFO_FORMAT of kind (info_kind) to b; returns the content type. */
static const char *info_write(struct wms *w, struct buf *b, int kind, const char *fmt, json_t *all, enum gis_crs crs)
{
    if (kind == 1) {
        json_t *fc = json_pack("{s:s, s:O}", "type", "FeatureCollection", "features", all);
        char *s = json_dumps(fc, JSON_COMPACT | JSON_REAL_PRECISION(12));
        json_decref(fc);
        if (s)
            buf_puts(b, s);
        else
            b->failed = true;
        free(s);
        return "application/json";
    }
    if (kind == 4) {
        info_gml(b, all, arena_printf(w->req->arena, "%s/%s/ogc", http_base_url(w->req), w->req->tenant->cfg->slug),
                 crs);
        return strcasecmp(fmt, "text/xml") ? "application/vnd.ogc.gml; charset=UTF-8" : "text/xml; charset=UTF-8";
    }
    if (kind == 2) {
        info_html(b, all, w->req->tenant->cfg->name);
        return "text/html; charset=UTF-8";
    }
    info_text(b, all);
    return "text/plain; charset=UTF-8";
}

/* The half-side, in pixels, of the square searched around the clicked pixel's centre: as MapServer's
 * TOLERANCE (pixels), 3 for lines (plan lines) and 5 for points (addresses), which a click can hardly hit
 * exactly, or the request's BUFFER (GeoServer's vendor parameter, 0-25) for both; areas are searched at the
 * pixel itself (0.5). */
static double info_tolerance(const struct gis_collection *c, long buffer)
{
    bool point = !strcmp(c->geometry_type, "Point") || !strcmp(c->geometry_type, "MultiPoint");
    bool line = !strcmp(c->geometry_type, "Geometry") || strstr(c->geometry_type, "LineString");
    if (!point && !line)
        return 0.5;
    return buffer >= 0 ? fmax(buffer, 0.5) : point ? 5 : 3;
}

static enum err_code wms_getfeatureinfo(struct wms *w, struct http_resp *resp, struct err *e)
{
    struct map_req m = {0};
    if (!parse_map(w, &m, "LAYERS"))
        return answer_exception(w, resp, 400);
    struct map_req q = {0};
    if (!parse_layers(w, "QUERY_LAYERS", &q))
        return answer_exception(w, resp, 400);
    for (int i = 0; i < q.nlayers; i++)
        if (!q.layers[i]->query)
            return fail(w, "LayerNotQueryable", "QUERY_LAYERS", "layer '%s' is not queryable", q.layers[i]->name),
                   answer_exception(w, resp, 400);
    const char *fmt = param(w, "INFO_FORMAT");
    if (!fmt || !*fmt)
        fmt = "text/plain";
    int kind = info_kind(fmt);
    if (!kind)
        return fail(w, "InvalidFormat", "INFO_FORMAT",
                    "INFO_FORMAT '%s' is not offered; use application/vnd.ogc.gml, text/xml, application/json, "
                    "text/html or text/plain",
                    clip(w->req->arena, fmt)),
               answer_exception(w, resp, 400);
    long px, py, count = 1;
    const char *iname = w->v111 ? "X" : "I", *jname = w->v111 ? "Y" : "J";
    if (!param(w, iname) && param(w, w->v111 ? "I" : "X"))
        iname = w->v111 ? "I" : "X", jname = w->v111 ? "J" : "Y";
    if (!param(w, iname) || !param(w, jname))
        return fail(w, "MissingParameterValue", iname, "%s and %s are required", iname, jname),
               answer_exception(w, resp, 400);
    if (!text_parse_long(param(w, iname), 0, m.width - 1, &px) ||
        !text_parse_long(param(w, jname), 0, m.height - 1, &py))
        return fail(w, "InvalidPoint", iname, "%s/%s must be a pixel inside WIDTH x HEIGHT", iname, jname),
               answer_exception(w, resp, 400);
    if (param(w, "FEATURE_COUNT") && !parse_int(w, "FEATURE_COUNT", 1, WMS_MAX_FEATURE_COUNT, &count))
        return answer_exception(w, resp, 400);
    long buffer = -1;
    if (param(w, "BUFFER") && !parse_int(w, "BUFFER", 0, WMS_MAX_BUFFER, &buffer))
        return answer_exception(w, resp, 400);
    struct gis_store *r = svc_tenant_reader(w->req->tenant, e);
    if (!r)
        return e->code;
    double rx = (m.bbox[2] - m.bbox[0]) / m.width, ry = (m.bbox[3] - m.bbox[1]) / m.height;
    double x = m.bbox[0] + (px + 0.5) * rx, y = m.bbox[3] - (py + 0.5) * ry;
    json_t *all = json_array();
    bool seen[16] = {false};
    for (int i = 0; i < q.nlayers; i++) {
        for (const char *const *cid = q.layers[i]->query; *cid; cid++) {
            const struct gis_collection *c = gis_collection_find(*cid);
            if (!c)
                continue;
            int ci = gis_layer_index(gis_collection_layer(c));
            if (ci >= 0 && ci < 16) {
                if (seen[ci])
                    continue;
                seen[ci] = true;
            }
            double tol = info_tolerance(c, buffer);
            /* every plan in force at the point is listed, whatever FEATURE_COUNT says */
            struct gis_feature_query fq = {.c = c,
                                           .has_bbox = true,
                                           .bbox_crs = m.crs,
                                           /* GML carries the geometry in the request's CRS, JSON in CRS84 */
                                           .out_crs = kind == 4 ? m.crs : GIS_CRS_CRS84,
                                           .limit = !strcmp(c->id, "plans") && count < 10 ? 10 : count,
                                           .date = m.date}; /* TIME, as GetMap draws */
            fq.bbox[0] = x - rx * tol, fq.bbox[1] = y - ry * tol, fq.bbox[2] = x + rx * tol, fq.bbox[3] = y + ry * tol;
            enum err_code rc = info_query(w, r, &fq, q.layers[i]->name, all, e);
            if (rc) {
                json_decref(all);
                return rc;
            }
        }
    }
    struct buf b = {0};
    const char *ctype = info_write(w, &b, kind, fmt, all, m.crs);
    json_decref(all);
    if (b.failed || arena_defer(w->req->arena, free_buf_data, b.data) != 0) {
        buf_free(&b);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    http_resp_body(resp, 200, ctype, b.data ? b.data : "", b.len);
    return ERR_OK;
}

/* ---- GetLegendGraphic ---- */

static enum err_code wms_legend(struct wms *w, struct http_resp *resp, struct err *e)
{
    if (!parse_version(w))
        return answer_exception(w, resp, 400);
    const char *name = param(w, "LAYER");
    if (!name || !*name)
        return fail(w, "MissingParameterValue", "LAYER", "LAYER is required"), answer_exception(w, resp, 400);
    const struct wms_layer *l = layer_find(name);
    if (!l)
        return fail(w, "LayerNotDefined", "LAYER", "layer '%s' is not offered here", clip(w->req->arena, name)),
               answer_exception(w, resp, 400);
    const char *fmt = param(w, "FORMAT");
    if (fmt && *fmt && strncasecmp(fmt, "image/png", 9))
        return fail(w, "InvalidFormat", "FORMAT", "legends are image/png"), answer_exception(w, resp, 400);
    const char *st = param(w, "STYLE");
    if (st && *st && strcasecmp(st, "default") && !style_get(st))
        return fail(w, "StyleNotDefined", "STYLE", "style '%s' is not defined", clip(w->req->arena, st)),
               answer_exception(w, resp, 400);
    struct gis_style *style = style_get("plan");
    if (!style)
        return fail(w, "NoApplicableCode", NULL, "the map style failed to load"), answer_exception(w, resp, 500);
    struct gis_store *r = svc_tenant_reader(w->req->tenant, e);
    if (!r)
        return e->code;
    int ng = 0;
    while (l->groups[ng])
        ng++;
    cairo_surface_t *s = NULL;
    if (gis_render_legend(r, style, l->groups, ng, 1, &s, e) != ERR_OK)
        return e->code;
    struct buf b = {0};
    enum err_code rc = gis_render_encode(s, GIS_RENDER_PNG, 6, &b, e);
    cairo_surface_destroy(s);
    if (rc || arena_defer(w->req->arena, free_buf_data, b.data) != 0) {
        buf_free(&b);
        return rc ? rc : err_set(e, ERR_INTERNAL, "out of memory");
    }
    http_resp_body(resp, 200, "image/png", b.data, b.len);
    http_resp_header(resp, "Cache-Control", "public, max-age=300");
    return ERR_OK;
}

/* ---- GetCapabilities ---- */

static void bbox_element(struct buf *b, enum gis_crs crs, const double ext2180[4])
{
    double t[4];
    struct err e = {0};
    if (gis_crs_transform_bbox(GIS_CRS_2180, crs, ext2180, t, &e) != ERR_OK)
        return;
    bool swap = gis_crs_north_first(crs);
    bool geo = crs == GIS_CRS_4326 || crs == GIS_CRS_CRS84;
    const char *f = geo ? "%.6f" : "%.2f";
    char v[4][40];
    int order[4] = {0, 1, 2, 3};
    if (swap)
        order[0] = 1, order[1] = 0, order[2] = 3, order[3] = 2;
    for (int i = 0; i < 4; i++)
        snprintf(v[i], sizeof v[i], f, t[order[i]]);
    buf_printf(b, "      <BoundingBox CRS=\"%s\" minx=\"%s\" miny=\"%s\" maxx=\"%s\" maxy=\"%s\"/>\n",
               gis_crs_name(crs), v[0], v[1], v[2], v[3]);
}

/* Whether layer l draws plan data, which has the time dimension (TIME): plans as in force on a date. */
static bool layer_dated(const struct wms_layer *l)
{
    static const char *const dated[] = {"pog",      "pog-labels", "mpzp",  "mpzp-lines",
                                        "overlays", "plan-lines", "plans", NULL};
    for (const char *const *g = l->groups; *g; g++)
        for (int k = 0; dated[k]; k++)
            if (!strcmp(*g, dated[k]))
                return true;
    return false;
}

static void layer_element(struct buf *b, struct http_req *req, const char *url, const struct wms_layer *l,
                          struct gis_store *r, struct gis_style *style, const char *indent)
{
    /* the empty KIMPZP layers accept GetFeatureInfo (and answer nothing) but do not claim to be queryable */
    bool queryable = l->query && gis_collection_find(l->query[0]);
    buf_printf(b, "%s<Layer queryable=\"%d\" opaque=\"0\">\n%s  <Name>", indent, queryable ? 1 : 0, indent);
    xml_puts(b, l->name);
    buf_printf(b, "</Name>\n%s  <Title>", indent);
    xml_puts(b, l->title);
    buf_printf(b, "</Title>\n%s  <Abstract>", indent);
    xml_puts(b, l->abstract);
    buf_printf(b, "</Abstract>\n");
    if (layer_dated(l)) {
        char today[11];
        gis_cal_format_date(gis_cal_today(), today);
        buf_printf(b,
                   "%s  <Dimension name=\"time\" units=\"ISO8601\" default=\"%s\" nearestValue=\"0\">"
                   "1900-01-01/2999-12-31/P1D</Dimension>\n",
                   indent, today);
    }
    int lw = 200, lh = 40;
    int ng = 0;
    while (l->groups[ng])
        ng++;
    cairo_surface_t *s = NULL;
    struct err e = {0};
    if (style && gis_render_legend(r, style, l->groups, ng, 1, &s, &e) == ERR_OK) {
        lw = cairo_image_surface_get_width(s), lh = cairo_image_surface_get_height(s);
        cairo_surface_destroy(s);
    }
    const char *href = arena_printf(req->arena,
                                    "%s?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&FORMAT=image/png&"
                                    "SLD_VERSION=1.1.0&STYLE=default&LAYER=%s",
                                    url, l->name);
    buf_printf(b,
               "%s  <Style>\n%s    <Name>default</Name>\n%s    <Title>Styl planistyczny</Title>\n"
               "%s    <LegendURL width=\"%d\" height=\"%d\">\n%s      <Format>image/png</Format>\n"
               "%s      <OnlineResource xlink:type=\"simple\" xlink:href=\"",
               indent, indent, indent, indent, lw, lh, indent, indent);
    xml_puts(b, href);
    buf_printf(b, "\"/>\n%s    </LegendURL>\n%s  </Style>\n%s</Layer>\n", indent, indent, indent);
}

static void request_element(struct buf *b, const char *name, const char *const *formats, const char *url)
{
    buf_printf(b, "    <%s>\n", name);
    for (int i = 0; formats[i]; i++)
        buf_printf(b, "      <Format>%s</Format>\n", formats[i]);
    buf_puts(b, "      <DCPType><HTTP><Get><OnlineResource xlink:type=\"simple\" xlink:href=\"");
    xml_puts(b, url);
    buf_printf(b, "?\"/></Get></HTTP></DCPType>\n    </%s>\n", name);
}

static enum err_code wms_capabilities(struct wms *w, struct http_resp *resp, struct err *e)
{
    struct http_req *req = w->req;
    struct gis_store *r = svc_tenant_reader(req->tenant, e);
    if (!r)
        return e->code;
    struct gis_style *style = style_get("plan");
    const struct config_tenant *t = req->tenant->cfg;
    const char *url = arena_printf(req->arena, "%s/%s/wms", http_base_url(req), t->slug);
    struct buf b = {0};
    buf_puts(
        &b,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<WMS_Capabilities version=\"1.3.0\" xmlns=\"http://www.opengis.net/wms\" "
        "xmlns:sld=\"http://www.opengis.net/sld\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:schemaLocation=\"http://www.opengis.net/wms http://schemas.opengis.net/wms/1.3.0/capabilities_1_3_0.xsd "
        "http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/sld_capabilities.xsd\">\n"
        "  <Service>\n    <Name>WMS</Name>\n    <Title>");
    xml_puts(&b, arena_printf(req->arena, "Gmina %s — plany zagospodarowania przestrzennego", t->name));
    buf_puts(&b, "</Title>\n    <Abstract>");
    xml_puts(&b, arena_printf(req->arena,
                              "Miejscowe plany zagospodarowania przestrzennego i plan ogólny gminy %s (TERYT %s) "
                              "z działkami ewidencyjnymi, budynkami i adresami. Organ: %s.",
                              t->name, t->teryt, t->organ));
    buf_puts(&b, "</Abstract>\n    <KeywordList><Keyword>MPZP</Keyword><Keyword>plan ogólny</Keyword>"
                 "<Keyword>zagospodarowanie przestrzenne</Keyword><Keyword>KIMPZP</Keyword></KeywordList>\n"
                 "    <OnlineResource xlink:type=\"simple\" xlink:href=\"");
    xml_puts(&b, url);
    buf_printf(&b,
               "\"/>\n    <Fees>none</Fees>\n    <AccessConstraints>none</AccessConstraints>\n"
               "    <LayerLimit>%d</LayerLimit>\n    <MaxWidth>%d</MaxWidth>\n    <MaxHeight>%d</MaxHeight>\n"
               "  </Service>\n  <Capability>\n    <Request>\n",
               WMS_MAX_LAYERS, WMS_MAX_SIDE, WMS_MAX_SIDE);
    request_element(&b, "GetCapabilities", GROUPS("text/xml"), url);
    request_element(&b, "GetMap", GROUPS("image/png", "image/jpeg"), url);
    request_element(&b, "GetFeatureInfo",
                    GROUPS("application/json", "application/vnd.ogc.gml", "text/xml", "text/html", "text/plain"), url);
    request_element(&b, "sld:GetLegendGraphic", GROUPS("image/png"), url);
    buf_puts(&b, "    </Request>\n    <Exception><Format>XML</Format></Exception>\n    <Layer>\n      <Title>");
    xml_puts(&b, arena_printf(req->arena, "Gmina %s", t->name));
    buf_puts(&b, "</Title>\n");
    for (size_t i = 0; i < NCRS; i++)
        buf_printf(&b, "      <CRS>%s</CRS>\n", gis_crs_name(wms_crs[i]));
    double ext[4];
    if (!gis_render_extent(r, ext)) {
        /* an empty store: the gmina's rough area, so clients still get a valid document */
        ext[0] = 200000, ext[1] = 470000, ext[2] = 260000, ext[3] = 520000;
    }
    double geo[4];
    struct err ge = {0};
    if (gis_crs_transform_bbox(GIS_CRS_2180, GIS_CRS_CRS84, ext, geo, &ge) == ERR_OK)
        buf_printf(&b,
                   "      <EX_GeographicBoundingBox>\n        <westBoundLongitude>%.6f</westBoundLongitude>\n"
                   "        <eastBoundLongitude>%.6f</eastBoundLongitude>\n"
                   "        <southBoundLatitude>%.6f</southBoundLatitude>\n"
                   "        <northBoundLatitude>%.6f</northBoundLatitude>\n      </EX_GeographicBoundingBox>\n",
                   geo[0], geo[2], geo[1], geo[3]);
    for (size_t i = 0; i < NCRS; i++)
        bbox_element(&b, wms_crs[i], ext);
    for (size_t i = 0; i < NLAYERS; i++)
        layer_element(&b, req, url, &wms_layers[i], r, style, "      ");
    buf_puts(&b, "      <Layer>\n        <Title>Krajowa Integracja Miejscowych Planów Zagospodarowania Przestrzennego"
                 "</Title>\n");
    for (size_t i = 0; i < NKIMPZP; i++)
        layer_element(&b, req, url, &kimpzp_layers[i], r, style, "        ");
    buf_puts(&b, "      </Layer>\n    </Layer>\n  </Capability>\n</WMS_Capabilities>\n");
    if (b.failed || arena_defer(req->arena, free_buf_data, b.data) != 0) {
        buf_free(&b);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    http_resp_body(resp, 200, "text/xml; charset=UTF-8", b.data, b.len);
    return ERR_OK;
}

/* ---- the endpoint ---- */

static enum err_code wms_handler(struct http_req *req, struct http_resp *resp, struct err *e)
{
    struct wms *w = arena_alloc(req->arena, sizeof *w);
    if (!w)
        return err_set(e, ERR_INTERNAL, "out of memory");
    w->req = req;
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect, w);
    const char *service = param(w, "SERVICE"), *request = param(w, "REQUEST");
    const char *v = param(w, "VERSION");
    w->v111 = v && (!strcmp(v, "1.1.1") || !strcmp(v, "1.1.0"));
    if (!request || !*request)
        return fail(w, "MissingParameterValue", "REQUEST", "REQUEST is required"), answer_exception(w, resp, 400);
    if (service && *service && strcasecmp(service, "WMS"))
        return fail(w, "InvalidParameterValue", "SERVICE", "SERVICE must be WMS"), answer_exception(w, resp, 400);
    if (!strcasecmp(request, "GetCapabilities") || !strcasecmp(request, "capabilities")) {
        w->v111 = false; /* the answer is always 1.3.0 (version negotiation) */
        return wms_capabilities(w, resp, e);
    }
    if (!service || !*service)
        return fail(w, "MissingParameterValue", "SERVICE", "SERVICE=WMS is required"), answer_exception(w, resp, 400);
    if (!strcasecmp(request, "GetMap") || !strcasecmp(request, "map"))
        return http_offload(req) ? ERR_OK : wms_getmap(w, resp, e); /* rendering: on a job thread */
    if (!strcasecmp(request, "GetFeatureInfo"))
        return wms_getfeatureinfo(w, resp, e);
    if (!strcasecmp(request, "GetLegendGraphic"))
        return wms_legend(w, resp, e);
    return fail(w, "OperationNotSupported", "REQUEST", "REQUEST '%s' is not supported", clip(req->arena, request)),
           answer_exception(w, resp, 400);
}

/* Wraps the handler so that every error, also from the store, reaches the client as a ServiceException. */
static enum err_code wms_entry(struct http_req *req, struct http_resp *resp, struct err *e)
{
    enum err_code rc = wms_handler(req, resp, e);
    if (rc == ERR_OK)
        return ERR_OK;
    if (e->code == ERR_OK)
        err_set(e, rc, "%s", err_name(rc));
    if (http_status_of(e->code) >= 500)
        log_error("wms: %s", e->msg);
    error_resp(req->arena, e, resp);
    return ERR_OK;
}

/* GET /styles/{file}: the MapLibre style; ?tenant=slug points its tile and glyph URLs at that gmina. */
static enum err_code style_document(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *file = http_capture(req, "file");
    size_t n = file ? strlen(file) : 0;
    if (n < 6 || n > 64 || strcmp(file + n - 5, ".json") ||
        strspn(file, "abcdefghijklmnopqrstuvwxyz0123456789-") != n - 5)
        return err_set(e, ERR_NOT_FOUND, "no style '%s'", file ? clip(req->arena, file) : "");
    const char *path = arena_printf(req->arena, "styles/%s", file);
    size_t len;
    const char *text = embed_find(path, &len);
    if (!text)
        return err_set(e, ERR_NOT_FOUND, "no style '%s'", clip(req->arena, file));
    const char *slug = http_query(req, "tenant");
    if (slug) {
        struct svc_tenant *t = svc_server_tenant_find(req->server, slug);
        if (!t)
            return err_param(e, "tenant", "unknown gmina '%s'", clip(req->arena, slug));
        /* relative URLs in the file become absolute: tiles under /{slug}/, glyphs at the server root */
        const char *base = http_base_url(req);
        struct buf b = {0};
        for (const char *p = text; *p;) {
            if (!strncmp(p, "\"/{tenant}/", 11)) {
                buf_printf(&b, "\"%s/%s/", base, t->cfg->slug);
                p += 11;
            } else if (!strncmp(p, "\"/fonts/", 8)) {
                buf_printf(&b, "\"%s/fonts/", base);
                p += 8;
            } else {
                const char *q = strchr(p + 1, '"');
                size_t k = q ? (size_t)(q - p) : strlen(p);
                buf_append(&b, p, k);
                p += k;
            }
        }
        if (b.failed || arena_defer(req->arena, free_buf_data, b.data) != 0) {
            buf_free(&b);
            return err_set(e, ERR_INTERNAL, "out of memory");
        }
        text = b.data, len = b.len;
    }
    http_resp_body(resp, 200, "application/json", text, len);
    http_resp_header(resp, "Cache-Control", "public, max-age=300");
    return ERR_OK;
}

static const struct http_param_doc wms_doc[] = {
    HTTP_DOC_TENANT,
    {"SERVICE", "query", "string", 0, "WMS"},
    {"REQUEST", "query", "string", 1, "GetCapabilities, GetMap, GetFeatureInfo or GetLegendGraphic"},
    {"VERSION", "query", "string", 0, "1.3.0 (1.1.1 is tolerated for GetMap and GetFeatureInfo)"},
    {"LAYERS", "query", "string", 0,
     "plan, mpzp, pog, overlays, granice, parcels, buildings, addresses, streets, "
     "landcover, or the KIMPZP names plany, plany_granice, wektor-str, wektor-lin, "
     "wektor-pow, wektor-lzb, wektor-pkt, raster"},
    {"CRS", "query", "string", 0, "EPSG:2180, EPSG:2176, EPSG:3857, EPSG:4326 or CRS:84 (SRS in 1.1.1)"},
    {"BBOX", "query", "string", 0,
     "minx,miny,maxx,maxy in the CRS's axis order (EPSG:4326 lat,lon; 2180 and 2176 "
     "northing,easting)"},
    {"WIDTH", "query", "integer", 0, "1..4096"},
    {"HEIGHT", "query", "integer", 0, "1..4096"},
    {"FORMAT", "query", "string", 0, "image/png or image/jpeg"},
    {"TRANSPARENT", "query", "string", 0, "TRUE or FALSE"},
    {"TIME", "query", "string", 0,
     "GetMap and GetFeatureInfo: the plans as in force on this day, YYYY-MM-DD (a date-time's date, or current; "
     "default today)"},
    {"INFO_FORMAT", "query", "string", 0,
     "application/vnd.ogc.gml or text/xml (GML 2), application/json, text/html or text/plain"},
    {"BUFFER", "query", "integer", 0,
     "GetFeatureInfo: pixels searched either side of I/J for lines and points, 0..25 (default: 3 for plan "
     "lines, 5 for address points; areas at the pixel itself)"},
    HTTP_DOC_END,
};

static const struct http_param_doc style_doc[] = {
    {"file", "path", "string", 1, "style file, e.g. plan.json"},
    {"tenant", "query", "string", 0, "gmina slug: make the tile URLs absolute for that gmina"},
    HTTP_DOC_END,
};

const struct http_route svc_wms_routes[] = {
    {"GET", "/{t}/wms", wms_entry, "maps", "WMS 1.3.0: GetCapabilities, GetMap, GetFeatureInfo, GetLegendGraphic",
     "text/xml", wms_doc, HTTP_PUBLIC},
    {"GET", "/styles/{file}", style_document, "maps", "MapLibre style JSON used by the server and the browser",
     "application/json", style_doc, HTTP_PUBLIC},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
