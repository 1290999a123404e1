/* Demo data: a deterministic, realistic store for one gmina of powiat słubicki.
 *
 * The gmina is a rectangle of 480 m land-use cells in EPSG:2180, cut on the west by the Odra. Each cell
 * gets a kind (town street grid, village street, field, forest, meadow, ...) and a generator that tiles
 * it with parcels, so parcels cover the whole gmina, POG zones are unions of cells and MPZP zones are
 * unions of rectangles that share the parcels' coordinates. Layouts are pure functions of the seed and
 * the position, which lets the plan builder recompute the parcels that a zone boundary has to cut. */
#include "tools/demo/demo.h"

#include <geos_c.h>
#include <math.h>
#include <proj.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/drawing.h"
#include "gis/extract.h"
#include "gis/store.h"
#include "util/embed.h"
#include "util/text.h"

#define CELL        480.0 /* land-use cell edge, m */
#define UNIT_W      160.0 /* street-grid unit: one block plus the roads on its west and south sides */
#define UNIT_H      80.0
#define UX          3      /* units per cell, west-east */
#define UY          6      /* units per cell, south-north */
#define ROAD        12.0   /* width of a town or village road parcel */
#define VROW        3      /* a village street runs along unit row 3 of its cell, like a town street */
#define HOUSE_DEPTH 50.0   /* village house plots; the field strips behind them run to the cell edge */
#define RIVER_HALF  75.0   /* half the width of the Odra */
#define LAT_REF     52.33  /* gmina edges: longitudes are projected at this latitude and latitudes at */
#define LON_REF     14.78  /* this longitude, so neighbouring gminas share their edges exactly */
#define MAX_ROW     12     /* parcels in one row of a town block */
#define MAX_SIDE    32     /* house plots on one side of a village cell */
#define RING        1600.0 /* town obręby: rings of this width around the centre, cut into sectors */
#define POG_SUPER   6      /* POG zones are split along squares of POG_SUPER x POG_SUPER cells */
#define MAX_PLANS   6

/* ---- data tables, from the files in data/demo ---- */

struct gmina_def {
    char teryt[8], name[64], postal[8], council[96], main[2][64];
    double lat, lon, south, north, west, east;
    bool west_odra, town;
    int index, zippzp, seat_cells, forest_pct;
};

struct village_def {
    char name[64], postal[8];
    double lat, lon;
    int cells;
};

struct street_def {
    char prefix[8], name[64];
};

struct zone_def {
    char symbol[8], category[8], name[96], roof[192], extra[224];
    double h, storeys, imin, imax, cov, bio, area, width; /* NAN: not set */
};

struct pog_def {
    char symbol[4], name[96];
    double intensity, cov, h, bio;
};

struct overlay_def {
    char kind[24], label[8], name[80];
};

/* ---- the world ---- */

enum cell_kind {
    CK_NONE,
    CK_FIELD,
    CK_FOREST,
    CK_MEADOW,
    CK_FARM,
    CK_VILLAGE,
    CK_ESTATE, /* from here on the kinds are laid out on the street grid */
    CK_TOWN,
    CK_CENTRE,
    CK_INDUSTRY,
    CK_PARK,
    CK_INFRA,
};
#define CK_GRID CK_ESTATE

enum land { LAND_NONE, LAND_PART, LAND_FULL };

struct cell {
    unsigned char kind, land;
    bool core;         /* the town's central cell */
    bool units_done;   /* units_in is computed */
    unsigned units_in; /* bit q + UX * r: unit (q, r) of a partial cell lies wholly on land */
    short set;         /* owning settlement, -1 for open land */
    short obreb;
    double frac;         /* share of the cell on land */
    GEOSGeometry *piece; /* the land part of a partial cell */
};

/* A street: a west-east grid line (key j) or a south-north one (key NJ + i). */
struct line {
    int key;
    int nseg, cap;
    double (*seg)[2];
    double len;
    char prefix[8], name[80], ulic[8];
    sqlite3_int64 id; /* 0: no street row (a village without street names) */
};

struct settlement {
    char name[64], postal[8], simc[8];
    double x, y; /* centre, EPSG:2180 */
    bool grid;   /* a town-like street grid: the towns and the gmina seat */
    bool miasto; /* a town (jednostka ewidencyjna _4 in a miejsko-wiejska gmina) */
    bool named;  /* its streets have names */
    int core, want, have;
    int ccx, ccy;       /* centre cell */
    int main_j, main_i; /* grid lines of the main streets, -1 if none */
    sqlite3_int64 locality;
    int *line_of; /* line key -> index into lines, or -1 */
    struct line *lines;
    int nlines, caplines;
};

struct obreb {
    char unit[12], number[8], name[80];
    sqlite3_int64 id;
    long next;    /* next parcel number */
    int set, key; /* key: ring and sector of a town obręb */
};

struct addr {
    int set, line;
    unsigned char side, sub; /* side 0: odd numbers; sub 1, 2: the halves of a split plot, "12a", "12b" */
    double pos, x, y;
    long seq;
    char pid[40];
};

struct demo {
    struct gmina_def g;
    const struct config_tenant *t;
    int scale;
    unsigned long long seed, key; /* key: the seed mixed with the TERYT code */
    gis_demo_progress_fn progress;
    void *user;
    struct gis_demo_stats *stats;
    struct err *e;
    enum err_code rc; /* the first failure; everything after it is a no-op */
    char geos_msg[256];

    GEOSContextHandle_t gh;
    PJ_CONTEXT *pc;
    PJ *pj;
    struct gis_store *st;
    sqlite3_stmt *ins_parcel, *ins_building, *ins_address, *ins_prov;
    struct text_rng rng; /* for choices made in generation order */

    struct village_def *vil;
    int nvil;
    struct street_def *streets;
    int nstreets;
    struct zone_def *zdefs;
    int nzdefs;
    struct pog_def *pdefs;
    int npdefs;
    struct overlay_def *odefs;
    int nodefs;
    char estates[16][48];
    int nestates;
    double river[32][2]; /* EPSG:2180, north to south */
    int nriver;

    double X0, Y0;        /* south-west corner of the gmina rectangle, on the 480 m lattice */
    int ncx, ncy, NJ, NI; /* cells west-east and south-north; unit rows (NJ) and columns (NI) */
    struct cell *cells;   /* ncx * ncy, row by row from the south */
    GEOSGeometry *area, *river_poly;
    const GEOSPreparedGeometry *prep;
    struct settlement *sets;
    int nsets;
    struct obreb *obr;
    int nobr;
    struct addr *addrs;
    size_t naddrs, capaddrs;

    unsigned char *wkb;
    size_t wkb_len, wkb_cap;
};

/* ---- errors ---- */

static bool fail(struct demo *d, enum err_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(struct demo *d, enum err_code code, const char *fmt, ...)
{
    if (d->rc)
        return false;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    d->rc = code;
    err_set(d->e, code, "demo %s: %s", d->g.name[0] ? d->g.name : "?", msg);
    return false;
}

static bool sql_fail(struct demo *d, const char *what)
{
    return fail(d, ERR_IO, "%s: %s", what, sqlite3_errmsg(gis_store_db(d->st)));
}

static bool oom(struct demo *d)
{
    return fail(d, ERR_INTERNAL, "out of memory");
}

static void geos_message(const char *msg, void *user)
{
    struct demo *d = user;
    if (!d->geos_msg[0])
        snprintf(d->geos_msg, sizeof d->geos_msg, "%s", msg);
}

static bool geos_fail(struct demo *d, const char *what)
{
    return fail(d, ERR_INTERNAL, "GEOS %s failed: %s", what, d->geos_msg[0] ? d->geos_msg : "no message");
}

static void *grow(struct demo *d, void *p, int *cap, int need, size_t size)
{
    if (need <= *cap)
        return p;
    int n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(p, (size_t)n * size);
    if (!q) {
        oom(d);
        return NULL;
    }
    *cap = n;
    return q;
}

/* ---- randomness: a hash of (key, position) for layouts, d->rng for choices in generation order ---- */

static unsigned long long mix(unsigned long long z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned long long hkey(const struct demo *d, long a, long b, int salt)
{
    return mix(d->key ^ mix((unsigned long long)a * 0x9e3779b97f4a7c15ULL ^
                            mix((unsigned long long)b + (unsigned long long)salt * 0xd1b54a32d192ed03ULL)));
}

static struct text_rng rng_at(const struct demo *d, long a, long b, int salt)
{
    return (struct text_rng){hkey(d, a, b, salt)};
}

static double unit01(const struct demo *d, long a, long b, int salt)
{
    return (double)(hkey(d, a, b, salt) >> 11) / 9007199254740992.0;
}

static bool chance(struct text_rng *r, double p)
{
    return text_rng_uniform(r, 0, 1) < p;
}

/* Splits [a, b] into n pieces of random width (each within ±spread of the mean), rounded to 1 cm. */
static void partition(struct text_rng *r, double a, double b, int n, double spread, double *xs)
{
    double w[64], sum = 0;
    for (int k = 0; k < n; k++)
        sum += w[k] = 1 + text_rng_uniform(r, -spread, spread);
    xs[0] = a;
    double acc = 0;
    for (int k = 1; k < n; k++) {
        acc += w[k - 1];
        xs[k] = round((a + (b - a) * acc / sum) * 100) / 100;
    }
    xs[n] = b;
}

/* ---- WKB, written in the host byte order, which WKB allows ---- */

static bool wkb_need(struct demo *d, size_t n)
{
    if (d->wkb_len + n <= d->wkb_cap)
        return true;
    size_t cap = d->wkb_cap ? d->wkb_cap * 2 : 4096;
    while (cap < d->wkb_len + n)
        cap *= 2;
    unsigned char *p = realloc(d->wkb, cap);
    if (!p)
        return oom(d);
    d->wkb = p;
    d->wkb_cap = cap;
    return true;
}

static void wkb_u32(struct demo *d, uint32_t v)
{
    if (wkb_need(d, 4)) {
        memcpy(d->wkb + d->wkb_len, &v, 4);
        d->wkb_len += 4;
    }
}

static void wkb_xy(struct demo *d, double x, double y)
{
    if (wkb_need(d, 16)) {
        memcpy(d->wkb + d->wkb_len, &x, 8);
        memcpy(d->wkb + d->wkb_len + 8, &y, 8);
        d->wkb_len += 16;
    }
}

static void wkb_header(struct demo *d, uint32_t type)
{
    const uint16_t one = 1;
    unsigned char little = *(const unsigned char *)&one;
    if (wkb_need(d, 1))
        d->wkb[d->wkb_len++] = little;
    wkb_u32(d, type);
}

static void wkb_rect_polygon(struct demo *d, double x0, double y0, double x1, double y1)
{
    wkb_header(d, 3);
    wkb_u32(d, 1);
    wkb_u32(d, 5);
    wkb_xy(d, x0, y0);
    wkb_xy(d, x1, y0);
    wkb_xy(d, x1, y1);
    wkb_xy(d, x0, y1);
    wkb_xy(d, x0, y0);
}

static void wkb_rect(struct demo *d, double x0, double y0, double x1, double y1)
{
    d->wkb_len = 0;
    wkb_header(d, 6);
    wkb_u32(d, 1);
    wkb_rect_polygon(d, x0, y0, x1, y1);
}

static int geos_npolys(struct demo *d, const GEOSGeometry *g)
{
    int type = GEOSGeomTypeId_r(d->gh, g);
    if (type == GEOS_POLYGON)
        return !GEOSisEmpty_r(d->gh, g);
    if (type != GEOS_MULTIPOLYGON && type != GEOS_GEOMETRYCOLLECTION)
        return 0;
    int n = 0, parts = GEOSGetNumGeometries_r(d->gh, g);
    for (int k = 0; k < parts; k++)
        n += geos_npolys(d, GEOSGetGeometryN_r(d->gh, g, k));
    return n;
}

static void wkb_ring(struct demo *d, const GEOSGeometry *ring)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(d->gh, ring);
    unsigned n = 0;
    GEOSCoordSeq_getSize_r(d->gh, cs, &n);
    wkb_u32(d, n);
    for (unsigned k = 0; k < n; k++) {
        double x = 0, y = 0;
        GEOSCoordSeq_getXY_r(d->gh, cs, k, &x, &y);
        wkb_xy(d, x, y);
    }
}

static void wkb_geos_parts(struct demo *d, const GEOSGeometry *g)
{
    int type = GEOSGeomTypeId_r(d->gh, g);
    if (type == GEOS_POLYGON && !GEOSisEmpty_r(d->gh, g)) {
        int holes = GEOSGetNumInteriorRings_r(d->gh, g);
        wkb_header(d, 3);
        wkb_u32(d, (uint32_t)holes + 1);
        wkb_ring(d, GEOSGetExteriorRing_r(d->gh, g));
        for (int k = 0; k < holes; k++)
            wkb_ring(d, GEOSGetInteriorRingN_r(d->gh, g, k));
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        int parts = GEOSGetNumGeometries_r(d->gh, g);
        for (int k = 0; k < parts; k++)
            wkb_geos_parts(d, GEOSGetGeometryN_r(d->gh, g, k));
    }
}

/* The polygons of g (a polygon, multipolygon or collection) as one WKB MULTIPOLYGON; false if none. */
static bool wkb_geos(struct demo *d, const GEOSGeometry *g)
{
    d->wkb_len = 0;
    int n = geos_npolys(d, g);
    if (n == 0)
        return false;
    wkb_header(d, 6);
    wkb_u32(d, (uint32_t)n);
    wkb_geos_parts(d, g);
    return !d->rc;
}

/* ---- data files ---- */

struct tsv {
    const char *p, *end;
    char line[2048];
    char *f[20];
    int n;
};

static bool tsv_open(struct demo *d, struct tsv *t, const char *name)
{
    size_t len = 0;
    const char *s = embed_find(name, &len);
    if (!s)
        return fail(d, ERR_INTERNAL, "%s is not compiled in", name);
    t->p = s;
    t->end = s + len;
    return true;
}

/* Reads the next line that is neither empty nor a comment and splits it at tabs. */
static bool tsv_next(struct tsv *t)
{
    while (t->p < t->end) {
        const char *nl = memchr(t->p, '\n', (size_t)(t->end - t->p));
        size_t len = nl ? (size_t)(nl - t->p) : (size_t)(t->end - t->p);
        const char *s = t->p;
        t->p = nl ? nl + 1 : t->end;
        if (len == 0 || s[0] == '#' || len >= sizeof t->line)
            continue;
        memcpy(t->line, s, len);
        t->line[len] = 0;
        t->n = 0;
        for (char *q = t->line; t->n < 20;) {
            t->f[t->n++] = q;
            q = strchr(q, '\t');
            if (!q)
                break;
            *q++ = 0;
        }
        return true;
    }
    return false;
}

static void copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

static double num(const char *s)
{
    return !s || !strcmp(s, "-") ? NAN : strtod(s, NULL);
}

static bool load_gmina(struct demo *d, const char *teryt)
{
    struct tsv t;
    if (!tsv_open(d, &t, "data/demo/gminas.tsv"))
        return false;
    for (int index = 0; tsv_next(&t); index++) {
        if (t.n < 16 || strcmp(t.f[0], teryt))
            continue;
        struct gmina_def *g = &d->g;
        copy(g->teryt, sizeof g->teryt, t.f[0]);
        copy(g->name, sizeof g->name, t.f[1]);
        g->lat = num(t.f[2]);
        g->lon = num(t.f[3]);
        g->south = num(t.f[4]);
        g->north = num(t.f[5]);
        g->west_odra = !strcmp(t.f[6], "odra");
        g->west = g->west_odra ? NAN : num(t.f[6]);
        g->east = num(t.f[7]);
        copy(g->postal, sizeof g->postal, t.f[8]);
        copy(g->council, sizeof g->council, t.f[9]);
        g->zippzp = atoi(t.f[10]);
        g->town = !strcmp(t.f[11], "miasto");
        g->seat_cells = atoi(t.f[12]);
        g->forest_pct = atoi(t.f[13]);
        copy(g->main[0], sizeof g->main[0], t.f[14]);
        copy(g->main[1], sizeof g->main[1], t.f[15]);
        g->index = index;
        return true;
    }
    return false;
}

static bool load_tables(struct demo *d)
{
    struct tsv t;
    int cap = 0;
    if (!tsv_open(d, &t, "data/demo/villages.tsv"))
        return false;
    while (tsv_next(&t)) {
        if (t.n < 6 || strcmp(t.f[0], d->g.teryt))
            continue;
        if (!(d->vil = grow(d, d->vil, &cap, d->nvil + 1, sizeof *d->vil)))
            return false;
        struct village_def *v = &d->vil[d->nvil++];
        copy(v->name, sizeof v->name, t.f[1]);
        v->lat = num(t.f[2]);
        v->lon = num(t.f[3]);
        v->cells = atoi(t.f[4]);
        copy(v->postal, sizeof v->postal, strcmp(t.f[5], "-") ? t.f[5] : d->g.postal);
    }
    cap = 0;
    if (!tsv_open(d, &t, "data/demo/streets.txt"))
        return false;
    while (tsv_next(&t)) {
        if (t.n < 2 || !(d->streets = grow(d, d->streets, &cap, d->nstreets + 1, sizeof *d->streets)))
            continue;
        copy(d->streets[d->nstreets].prefix, sizeof d->streets->prefix, t.f[0]);
        copy(d->streets[d->nstreets++].name, sizeof d->streets->name, t.f[1]);
    }
    cap = 0;
    if (!tsv_open(d, &t, "data/demo/zones.tsv"))
        return false;
    while (tsv_next(&t)) {
        if (t.n < 13 || !(d->zdefs = grow(d, d->zdefs, &cap, d->nzdefs + 1, sizeof *d->zdefs)))
            continue;
        struct zone_def *z = &d->zdefs[d->nzdefs++];
        copy(z->symbol, sizeof z->symbol, t.f[0]);
        copy(z->category, sizeof z->category, t.f[1]);
        copy(z->name, sizeof z->name, t.f[2]);
        z->h = num(t.f[3]);
        z->storeys = num(t.f[4]);
        z->imin = num(t.f[5]);
        z->imax = num(t.f[6]);
        z->cov = num(t.f[7]);
        z->bio = num(t.f[8]);
        z->area = num(t.f[9]);
        copy(z->roof, sizeof z->roof, strcmp(t.f[10], "-") ? t.f[10] : "");
        z->width = num(t.f[11]);
        copy(z->extra, sizeof z->extra, strcmp(t.f[12], "-") ? t.f[12] : "");
    }
    cap = 0;
    if (!tsv_open(d, &t, "data/demo/pog.tsv"))
        return false;
    while (tsv_next(&t)) {
        if (t.n < 6 || !(d->pdefs = grow(d, d->pdefs, &cap, d->npdefs + 1, sizeof *d->pdefs)))
            continue;
        struct pog_def *p = &d->pdefs[d->npdefs++];
        copy(p->symbol, sizeof p->symbol, t.f[0]);
        copy(p->name, sizeof p->name, t.f[1]);
        p->intensity = num(t.f[2]);
        p->cov = num(t.f[3]);
        p->h = num(t.f[4]);
        p->bio = num(t.f[5]);
    }
    cap = 0;
    if (!tsv_open(d, &t, "data/demo/overlays.tsv"))
        return false;
    while (tsv_next(&t)) {
        if (t.n < 3 || !(d->odefs = grow(d, d->odefs, &cap, d->nodefs + 1, sizeof *d->odefs)))
            continue;
        struct overlay_def *o = &d->odefs[d->nodefs++];
        copy(o->kind, sizeof o->kind, t.f[0]);
        copy(o->label, sizeof o->label, t.f[1]);
        copy(o->name, sizeof o->name, t.f[2]);
    }
    if (!tsv_open(d, &t, "data/demo/estates.txt"))
        return false;
    while (tsv_next(&t) && d->nestates < 16)
        copy(d->estates[d->nestates++], sizeof d->estates[0], t.f[0]);
    if (!tsv_open(d, &t, "data/demo/odra.tsv"))
        return false;
    while (tsv_next(&t) && d->nriver < 32) {
        if (t.n < 2)
            continue;
        d->river[d->nriver][0] = num(t.f[1]); /* lon, lat for now; projected in world_setup */
        d->river[d->nriver++][1] = num(t.f[0]);
    }
    if (d->rc)
        return false;
    if (!d->nstreets || !d->nzdefs || !d->npdefs || !d->nodefs || !d->nestates || d->nriver < 2)
        return fail(d, ERR_INTERNAL, "demo data files are incomplete");
    return true;
}

/* The definition whose key (a string field at key_off) is key among n of size bytes at base; NULL, and the
 * run fails naming what is missing from which data file, when there is none. */
static const void *def_find(struct demo *d, const void *base, int n, size_t size, size_t key_off, const char *key,
                            const char *what, const char *file)
{
    for (int k = 0; k < n; k++) {
        const char *def = (const char *)base + (size_t)k * size;
        if (!strcmp(def + key_off, key))
            return def;
    }
    fail(d, ERR_INTERNAL, "%s %s missing from data/demo/%s", what, key, file);
    return NULL;
}

static const struct zone_def *zone_def(struct demo *d, const char *symbol)
{
    return def_find(d, d->zdefs, d->nzdefs, sizeof *d->zdefs, offsetof(struct zone_def, symbol), symbol, "zone symbol",
                    "zones.tsv");
}

static const struct pog_def *pog_def(struct demo *d, const char *symbol)
{
    return def_find(d, d->pdefs, d->npdefs, sizeof *d->pdefs, offsetof(struct pog_def, symbol), symbol, "POG symbol",
                    "pog.tsv");
}

static const struct overlay_def *overlay_def(struct demo *d, const char *kind)
{
    return def_find(d, d->odefs, d->nodefs, sizeof *d->odefs, offsetof(struct overlay_def, kind), kind, "overlay",
                    "overlays.tsv");
}

/* ---- geometry helpers ---- */

static double cell_x(const struct demo *d, int cx)
{
    return d->X0 + cx * CELL;
}

static double cell_y(const struct demo *d, int cy)
{
    return d->Y0 + cy * CELL;
}

static double unit_x(const struct demo *d, int i)
{
    return d->X0 + i * UNIT_W;
}

static double unit_y(const struct demo *d, int j)
{
    return d->Y0 + j * UNIT_H;
}

static struct cell *cell_at(struct demo *d, int cx, int cy)
{
    if (cx < 0 || cy < 0 || cx >= d->ncx || cy >= d->ncy)
        return NULL;
    return &d->cells[cy * d->ncx + cx];
}

static GEOSGeometry *g_rect(struct demo *d, double x0, double y0, double x1, double y1)
{
    GEOSGeometry *g = GEOSGeom_createRectangle_r(d->gh, x0, y0, x1, y1);
    if (!g)
        geos_fail(d, "rectangle");
    return g;
}

/* True when the rectangle lies wholly on the gmina's land. */
static bool rect_on_land(struct demo *d, double x0, double y0, double x1, double y1)
{
    GEOSGeometry *r = g_rect(d, x0, y0, x1, y1);
    bool in = r && GEOSPreparedContains_r(d->gh, d->prep, r) == 1;
    GEOSGeom_destroy_r(d->gh, r);
    return in;
}

/* The land part of a cell, owned by the caller. */
static GEOSGeometry *cell_geom(struct demo *d, const struct cell *c)
{
    if (c->piece)
        return GEOSGeom_clone_r(d->gh, c->piece);
    int k = (int)(c - d->cells);
    return g_rect(d, cell_x(d, k % d->ncx), cell_y(d, k / d->ncx), cell_x(d, k % d->ncx + 1),
                  cell_y(d, k / d->ncx + 1));
}

/* Unions n geometries, taking ownership of them. Returns NULL (and fails) on error. */
static GEOSGeometry *g_union(struct demo *d, GEOSGeometry **parts, int n)
{
    if (n == 0) {
        fail(d, ERR_INTERNAL, "union of nothing");
        return NULL;
    }
    for (int k = 0; k < n; k++)
        if (!parts[k]) {
            for (int m = 0; m < n; m++)
                GEOSGeom_destroy_r(d->gh, parts[m]);
            geos_fail(d, "geometry");
            return NULL;
        }
    GEOSGeometry *coll = GEOSGeom_createCollection_r(d->gh, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
    if (!coll) {
        geos_fail(d, "collection");
        return NULL;
    }
    GEOSGeometry *u = GEOSUnaryUnion_r(d->gh, coll);
    GEOSGeom_destroy_r(d->gh, coll);
    if (!u)
        geos_fail(d, "union");
    return u;
}

/* Union of the land parts of the cells whose index is in idx. */
static GEOSGeometry *cells_union(struct demo *d, const int *idx, int n)
{
    GEOSGeometry **parts = malloc((size_t)(n ? n : 1) * sizeof *parts);
    if (!parts) {
        oom(d);
        return NULL;
    }
    for (int k = 0; k < n; k++)
        parts[k] = cell_geom(d, &d->cells[idx[k]]);
    GEOSGeometry *u = g_union(d, parts, n);
    free(parts);
    return u;
}

/* ---- the world: projection, gmina rectangle, the Odra, land cells ---- */

static bool ll_to_xy(struct demo *d, double lat, double lon, double *x, double *y)
{
    PJ_COORD c = proj_trans(d->pj, PJ_FWD, proj_coord(lon, lat, 0, 0));
    if (!isfinite(c.xy.x) || !isfinite(c.xy.y))
        return fail(d, ERR_INTERNAL, "PROJ cannot transform %.3f, %.3f to EPSG:2180", lat, lon);
    *x = c.xy.x;
    *y = c.xy.y;
    return true;
}

/* x of the river centreline at northing y (the line runs monotonically from north to south). */
static double river_x(const struct demo *d, double y)
{
    for (int k = 0; k + 1 < d->nriver; k++) {
        const double *a = d->river[k], *b = d->river[k + 1];
        if (y <= a[1] && y >= b[1])
            return a[0] + (b[0] - a[0]) * (a[1] - y) / (a[1] - b[1]);
    }
    return y > d->river[0][1] ? d->river[0][0] : d->river[d->nriver - 1][0];
}

static double river_dist(const struct demo *d, double x, double y)
{
    double best = INFINITY;
    for (int k = 0; k + 1 < d->nriver; k++) {
        double ax = d->river[k][0], ay = d->river[k][1], bx = d->river[k + 1][0], by = d->river[k + 1][1];
        double vx = bx - ax, vy = by - ay, t = ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy);
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double dx = ax + t * vx - x, dy = ay + t * vy - y;
        best = fmin(best, sqrt(dx * dx + dy * dy));
    }
    return best;
}

static bool world_setup(struct demo *d)
{
    d->pc = proj_context_create();
    if (!d->pc)
        return oom(d);
    proj_log_level(d->pc, PJ_LOG_NONE);
    PJ *p = proj_create_crs_to_crs(d->pc, "EPSG:4326", "EPSG:2180", NULL);
    d->pj = p ? proj_normalize_for_visualization(d->pc, p) : NULL;
    proj_destroy(p);
    if (!d->pj)
        return fail(d, ERR_INTERNAL, "PROJ: no transformation from EPSG:4326 to EPSG:2180 (is proj-data installed?)");
    for (int k = 0; k < d->nriver; k++)
        if (!ll_to_xy(d, d->river[k][1], d->river[k][0], &d->river[k][0], &d->river[k][1]))
            return false;

    /* The rectangle snaps to the 480 m lattice of EPSG:2180, the same for every gmina. */
    double xw, xe, ys, yn, tmp;
    if (!ll_to_xy(d, LAT_REF, d->g.east, &xe, &tmp) || !ll_to_xy(d, d->g.south, LON_REF, &tmp, &ys) ||
        !ll_to_xy(d, d->g.north, LON_REF, &tmp, &yn))
        return false;
    if (d->g.west_odra) {
        xw = INFINITY;
        for (double y = ys - CELL; y <= yn + CELL; y += 50)
            xw = fmin(xw, river_x(d, y));
        xw = floor((xw - 500) / CELL) * CELL;
    } else if (!ll_to_xy(d, LAT_REF, d->g.west, &xw, &tmp)) {
        return false;
    } else {
        xw = round(xw / CELL) * CELL;
    }
    d->X0 = xw;
    d->Y0 = round(ys / CELL) * CELL;
    d->ncx = (int)lround((round(xe / CELL) * CELL - d->X0) / CELL);
    d->ncy = (int)lround((round(yn / CELL) * CELL - d->Y0) / CELL);
    d->NJ = d->ncy * UY;
    d->NI = d->ncx * UX;
    if (d->ncx < 4 || d->ncy < 4 || d->ncx > 200 || d->ncy > 200)
        return fail(d, ERR_INTERNAL, "implausible gmina extent %d x %d cells", d->ncx, d->ncy);

    /* The land is the rectangle minus the river and everything west of its centreline. */
    GEOSCoordSequence *line = GEOSCoordSeq_create_r(d->gh, (unsigned)d->nriver, 2);
    GEOSCoordSequence *west = GEOSCoordSeq_create_r(d->gh, (unsigned)d->nriver + 3, 2);
    for (int k = 0; k < d->nriver; k++) {
        GEOSCoordSeq_setXY_r(d->gh, line, (unsigned)k, d->river[k][0], d->river[k][1]);
        GEOSCoordSeq_setXY_r(d->gh, west, (unsigned)k, d->river[k][0], d->river[k][1]);
    }
    double far = d->X0 - 50000;
    GEOSCoordSeq_setXY_r(d->gh, west, (unsigned)d->nriver, far, d->river[d->nriver - 1][1]);
    GEOSCoordSeq_setXY_r(d->gh, west, (unsigned)d->nriver + 1, far, d->river[0][1]);
    GEOSCoordSeq_setXY_r(d->gh, west, (unsigned)d->nriver + 2, d->river[0][0], d->river[0][1]);
    GEOSGeometry *lg = GEOSGeom_createLineString_r(d->gh, line);
    GEOSGeometry *shell = GEOSGeom_createLinearRing_r(d->gh, west);
    GEOSGeometry *wpoly = shell ? GEOSGeom_createPolygon_r(d->gh, shell, NULL, 0) : NULL;
    GEOSGeometry *water = lg ? GEOSBuffer_r(d->gh, lg, RIVER_HALF, 8) : NULL;
    GEOSGeometry *wside = water && wpoly ? GEOSUnion_r(d->gh, water, wpoly) : NULL;
    GEOSGeometry *rect = g_rect(d, d->X0, d->Y0, cell_x(d, d->ncx), cell_y(d, d->ncy));
    GEOSGeometry *wide = g_rect(d, d->X0 - 5000, d->Y0, cell_x(d, d->ncx), cell_y(d, d->ncy));
    d->area = wside && rect ? GEOSDifference_r(d->gh, rect, wside) : NULL;
    GEOSGeometry *riv = water && wide ? GEOSIntersection_r(d->gh, water, wide) : NULL;
    if (riv && geos_npolys(d, riv) > 0)
        d->river_poly = riv;
    else
        GEOSGeom_destroy_r(d->gh, riv);
    GEOSGeom_destroy_r(d->gh, lg);
    GEOSGeom_destroy_r(d->gh, wpoly);
    GEOSGeom_destroy_r(d->gh, water);
    GEOSGeom_destroy_r(d->gh, wside);
    GEOSGeom_destroy_r(d->gh, rect);
    GEOSGeom_destroy_r(d->gh, wide);
    if (!d->area || !(d->prep = GEOSPrepare_r(d->gh, d->area)))
        return geos_fail(d, "gmina area");

    d->cells = calloc((size_t)d->ncx * (size_t)d->ncy, sizeof *d->cells);
    if (!d->cells)
        return oom(d);
    for (int cy = 0; cy < d->ncy; cy++)
        for (int cx = 0; cx < d->ncx; cx++) {
            struct cell *c = cell_at(d, cx, cy);
            c->set = -1;
            c->obreb = -1;
            GEOSGeometry *r = g_rect(d, cell_x(d, cx), cell_y(d, cy), cell_x(d, cx + 1), cell_y(d, cy + 1));
            if (!r)
                return false;
            if (GEOSPreparedContains_r(d->gh, d->prep, r) == 1) {
                c->land = LAND_FULL;
                c->frac = 1;
            } else if (GEOSPreparedIntersects_r(d->gh, d->prep, r) == 1) {
                GEOSGeometry *piece = GEOSIntersection_r(d->gh, d->area, r);
                double a = 0;
                if (!piece || !GEOSArea_r(d->gh, piece, &a)) {
                    GEOSGeom_destroy_r(d->gh, r);
                    return geos_fail(d, "cell clip");
                }
                if (a >= 1 && geos_npolys(d, piece) > 0) {
                    c->land = LAND_PART;
                    c->frac = a / (CELL * CELL);
                    c->piece = piece;
                } else {
                    GEOSGeom_destroy_r(d->gh, piece);
                }
            }
            GEOSGeom_destroy_r(d->gh, r);
        }
    return true;
}

/* ---- settlements and land use ---- */

static double dist2(double ax, double ay, double bx, double by)
{
    return (ax - bx) * (ax - bx) + (ay - by) * (ay - by);
}

/* The free land cell (share >= min_frac) nearest to (x, y), or -1. */
static int nearest_free(struct demo *d, double x, double y, double min_frac)
{
    int best = -1;
    double bd = INFINITY;
    for (int k = 0; k < d->ncx * d->ncy; k++) {
        const struct cell *c = &d->cells[k];
        if (c->land == LAND_NONE || c->set >= 0 || c->frac < min_frac)
            continue;
        double dd = dist2(x, y, cell_x(d, k % d->ncx) + CELL / 2, cell_y(d, k / d->ncx) + CELL / 2);
        if (dd < bd)
            bd = dd, best = k;
    }
    return best;
}

static void claim(struct demo *d, int k, int set)
{
    d->cells[k].set = (short)set;
    d->sets[set].have++;
}

struct ranked {
    double key;
    int idx;
};

static int ranked_cmp(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : x->idx - y->idx;
}

/* Land cells ordered by distance from settlement s, made irregular by a little noise. */
static struct ranked *rank_cells(struct demo *d, int s, double noise)
{
    int n = d->ncx * d->ncy;
    struct ranked *r = malloc((size_t)n * sizeof *r);
    if (!r) {
        oom(d);
        return NULL;
    }
    for (int k = 0; k < n; k++) {
        double x = cell_x(d, k % d->ncx) + CELL / 2, y = cell_y(d, k / d->ncx) + CELL / 2;
        r[k].key = sqrt(dist2(x, y, d->sets[s].x, d->sets[s].y)) + noise * CELL * unit01(d, k, s, 11);
        r[k].idx = k;
    }
    qsort(r, (size_t)n, sizeof *r, ranked_cmp);
    return r;
}

static bool settlements_place(struct demo *d)
{
    d->nsets = d->nvil + 1;
    d->sets = calloc((size_t)d->nsets, sizeof *d->sets);
    if (!d->sets)
        return oom(d);
    for (int s = 0; s < d->nsets; s++) {
        struct settlement *st = &d->sets[s];
        const struct village_def *v = s ? &d->vil[s - 1] : NULL;
        copy(st->name, sizeof st->name, v ? v->name : d->g.name);
        copy(st->postal, sizeof st->postal, v ? v->postal : d->g.postal);
        snprintf(st->simc, sizeof st->simc, "%07d", 900000 + d->g.index * 12000 + s * 97 + 3);
        st->grid = s == 0;
        st->miasto = s == 0 && d->g.town;
        st->core = v ? v->cells : d->g.seat_cells;
        st->want = st->core * d->scale;
        st->main_i = st->main_j = -1;
        if (!ll_to_xy(d, v ? v->lat : d->g.lat, v ? v->lon : d->g.lon, &st->x, &st->y))
            return false;
        st->line_of = malloc((size_t)(d->NJ + d->NI) * sizeof *st->line_of);
        if (!st->line_of)
            return oom(d);
        for (int k = 0; k < d->NJ + d->NI; k++)
            st->line_of[k] = -1;
    }

    /* The seat's centre first, then the village streets, then the seat grows around its centre. */
    struct settlement *town = &d->sets[0];
    int k = nearest_free(d, town->x, town->y, 0.2);
    if (k < 0)
        return fail(d, ERR_INTERNAL, "no land for %s", town->name);
    claim(d, k, 0);
    town->ccx = k % d->ncx;
    town->ccy = k / d->ncx;
    d->cells[k].core = true;
    for (int s = 1; s < d->nsets; s++) {
        struct settlement *v = &d->sets[s];
        k = nearest_free(d, v->x, v->y, 0.5);
        if (k < 0)
            continue;
        v->ccx = k % d->ncx;
        v->ccy = k / d->ncx;
        claim(d, k, s);
        /* A village is one street running west-east: take cells along the row, alternately east and west. */
        bool east = true, west = true;
        for (int step = 1; v->have < v->core && (east || west); step++) {
            int dir = step % 2 ? 1 : -1;
            if ((dir > 0 && !east) || (dir < 0 && !west))
                continue;
            int off = (step + 1) / 2, cx = v->ccx + dir * off;
            struct cell *c = cell_at(d, cx, v->ccy);
            if (!c || c->set >= 0 || c->frac < 0.5) {
                if (dir > 0)
                    east = false;
                else
                    west = false;
                continue;
            }
            claim(d, v->ccy * d->ncx + cx, s);
        }
        v->named = v->core >= 4;
    }
    struct ranked *r = rank_cells(d, 0, 0.8);
    if (!r)
        return false;
    for (int m = 0; m < d->ncx * d->ncy && town->have < town->want; m++) {
        struct cell *c = &d->cells[r[m].idx];
        if (c->set < 0 && c->land != LAND_NONE && c->frac >= 0.2)
            claim(d, r[m].idx, 0);
    }
    free(r);
    town->named = true;

    /* Beyond scale 1 the villages grow estates on a street grid around their street, in turns. */
    if (d->scale > 1) {
        struct ranked **rv = calloc((size_t)d->nsets, sizeof *rv);
        int *pos = calloc((size_t)d->nsets, sizeof *pos);
        if (!rv || !pos) {
            free(rv);
            free(pos);
            return oom(d);
        }
        for (int s = 1; s < d->nsets && !d->rc; s++)
            if (d->sets[s].have)
                rv[s] = rank_cells(d, s, 0.5);
        for (bool more = true; more && !d->rc;) {
            more = false;
            for (int s = 1; s < d->nsets; s++) {
                struct settlement *v = &d->sets[s];
                if (!rv[s] || v->have >= v->want)
                    continue;
                while (pos[s] < d->ncx * d->ncy) {
                    int idx = rv[s][pos[s]++].idx;
                    struct cell *c = &d->cells[idx];
                    if (c->set < 0 && c->frac >= 0.5) {
                        claim(d, idx, s);
                        c->kind = CK_ESTATE;
                        more = true;
                        break;
                    }
                }
            }
        }
        for (int s = 1; s < d->nsets; s++)
            free(rv[s]);
        free(rv);
        free(pos);
        for (int s = 1; s < d->nsets; s++)
            if (d->sets[s].have > d->sets[s].core)
                d->sets[s].named = true;
    }
    return !d->rc;
}

/* Smooth value noise in [0, 1) over the cell lattice, for forests. */
static double noise_at(const struct demo *d, double cx, double cy, double period, int salt)
{
    double fx = cx / period, fy = cy / period;
    long ix = (long)floor(fx), iy = (long)floor(fy);
    double tx = fx - ix, ty = fy - iy;
    tx = tx * tx * (3 - 2 * tx);
    ty = ty * ty * (3 - 2 * ty);
    double a = unit01(d, ix, iy, salt), b = unit01(d, ix + 1, iy, salt);
    double c = unit01(d, ix, iy + 1, salt), e = unit01(d, ix + 1, iy + 1, salt);
    return (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + e * tx) * ty;
}

static int double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bool land_use(struct demo *d)
{
    int n = d->ncx * d->ncy;
    /* The seat: centre, park, industry and infrastructure cells among its street grid. */
    int *own = malloc((size_t)n * sizeof *own), nown = 0;
    if (!own)
        return oom(d);
    const struct settlement *town = &d->sets[0];
    for (int k = 0; k < n; k++)
        if (d->cells[k].set == 0)
            own[nown++] = k;
    struct ranked *r = malloc((size_t)(nown ? nown : 1) * sizeof *r);
    if (!r) {
        free(own);
        return oom(d);
    }
    for (int m = 0; m < nown; m++) {
        r[m].idx = own[m];
        r[m].key =
            dist2(cell_x(d, own[m] % d->ncx) + CELL / 2, cell_y(d, own[m] / d->ncx) + CELL / 2, town->x, town->y);
        d->cells[own[m]].kind = CK_TOWN;
    }
    qsort(r, (size_t)nown, sizeof *r, ranked_cmp);
    int ncentre = nown >= 5 ? (int)lround(nown * 0.1) : 1, nind = (int)lround(nown * 0.12);
    if (ncentre < 1)
        ncentre = 1;
    if (d->g.town && nown >= 5 && nind < 1)
        nind = 1;
    for (int m = 0; m < ncentre && m < nown; m++)
        d->cells[r[m].idx].kind = CK_CENTRE;
    if (nown >= 6)
        for (int m = ncentre + 1, parks = 0; m < nown && parks < 1 + nown / 30; m += 6, parks++)
            d->cells[r[m].idx].kind = CK_PARK;
    /* Industry clusters around the seat's easternmost cell. */
    int seed = -1;
    double seed_key = -INFINITY;
    for (int m = 0; m < nown; m++) {
        double key = (r[m].idx % d->ncx) * 1e12 + r[m].key;
        if (d->cells[r[m].idx].kind == CK_TOWN && key > seed_key)
            seed = r[m].idx, seed_key = key;
    }
    for (int placed = 0; seed >= 0 && placed < nind;) {
        int best = -1;
        double bd = INFINITY;
        for (int m = 0; m < nown; m++) {
            if (d->cells[r[m].idx].kind != CK_TOWN)
                continue;
            double dd = dist2(r[m].idx % d->ncx, r[m].idx / d->ncx, seed % d->ncx, seed / d->ncx);
            if (dd < bd)
                bd = dd, best = r[m].idx;
        }
        if (best < 0)
            break;
        d->cells[best].kind = CK_INDUSTRY;
        placed++;
    }
    if (nown >= 8)
        for (int m = nown - 1, infra = 0; m > ncentre && infra < 1 + nown / 40; m--)
            if (d->cells[r[m].idx].kind == CK_TOWN) {
                d->cells[r[m].idx].kind = CK_INFRA;
                infra++;
            }
    free(r);
    free(own);

    for (int k = 0; k < n; k++)
        if (d->cells[k].set > 0 && d->cells[k].kind != CK_ESTATE)
            d->cells[k].kind = CK_VILLAGE;

    /* Open land: meadows along the Odra, then forests where the noise is highest and settlements far. */
    double *score = malloc((size_t)n * sizeof *score), *sorted = malloc((size_t)n * sizeof *sorted);
    int nscore = 0;
    if (!score || !sorted) {
        free(score);
        free(sorted);
        return oom(d);
    }
    for (int k = 0; k < n; k++) {
        struct cell *c = &d->cells[k];
        if (c->land == LAND_NONE || c->set >= 0)
            continue;
        double x = cell_x(d, k % d->ncx) + CELL / 2, y = cell_y(d, k / d->ncx) + CELL / 2;
        if (river_dist(d, x, y) < 1200 + 900 * unit01(d, k, 0, 21)) {
            c->kind = CK_MEADOW;
            continue;
        }
        double near = INFINITY;
        for (int s = 0; s < d->nsets; s++)
            if (d->sets[s].have)
                near = fmin(near, sqrt(dist2(x, y, d->sets[s].x, d->sets[s].y)));
        score[k] = 0.65 * noise_at(d, k % d->ncx, k / d->ncx, 7, 22) +
                   0.2 * noise_at(d, k % d->ncx, k / d->ncx, 2.5, 23) + 0.35 * fmin(1, near / 4000);
        sorted[nscore++] = score[k];
        c->kind = CK_FIELD;
    }
    qsort(sorted, (size_t)nscore, sizeof *sorted, double_cmp);
    double cut = nscore ? sorted[(int)((nscore - 1) * (1 - d->g.forest_pct / 100.0))] : 0;
    for (int k = 0; k < n; k++) {
        struct cell *c = &d->cells[k];
        if (c->kind == CK_FIELD && score[k] >= cut)
            c->kind = CK_FOREST;
    }
    free(score);
    free(sorted);
    /* A farm next to some villages. */
    for (int s = 1; s < d->nsets; s++) {
        if (d->sets[s].have < 2 || unit01(d, s, 0, 24) < 0.4)
            continue;
        static const int dx[] = {0, 0, 1, -1}, dy[] = {1, -1, 0, 0};
        for (int m = 0; m < 4; m++) {
            struct cell *c = cell_at(d, d->sets[s].ccx + dx[m], d->sets[s].ccy + dy[m]);
            if (c && c->kind == CK_FIELD && c->land == LAND_FULL) {
                c->kind = CK_FARM;
                break;
            }
        }
    }
    return true;
}

/* ---- obręby and localities ---- */

static int obreb_name_cmp(const void *a, const void *b)
{
    const struct obreb *x = a, *y = b;
    char fx[80], fy[80];
    text_fold(x->name, fx, sizeof fx);
    text_fold(y->name, fy, sizeof fy);
    int c = strcmp(fx, fy);
    return c ? c : strcmp(x->name, y->name);
}

static int obreb_key_cmp(const void *a, const void *b)
{
    const struct obreb *x = a, *y = b;
    return x->key - y->key;
}

/* A town obręb key for cell k: 0 for the centre, else ring * 1000 + sector, with 4 * ring sectors. */
static int town_sector(const struct demo *d, int k)
{
    const struct settlement *s = &d->sets[0];
    double dx = cell_x(d, k % d->ncx) + CELL / 2 - s->x, dy = cell_y(d, k / d->ncx) + CELL / 2 - s->y;
    int ring = (int)(sqrt(dx * dx + dy * dy) / RING), n = 4 * ring;
    return ring ? ring * 1000 + (int)((atan2(dy, dx) + M_PI) / (2 * M_PI) * n) % n : 0;
}

/* The settlement each cell of land belongs to (region, -1 for none): its own, else the nearest one that has
 * cells (the town reaching only so far, with a 600 m head start). */
static void obreby_regions(struct demo *d, short *region)
{
    int n = d->ncx * d->ncy;
    const struct settlement *town = &d->sets[0];
    double reach = 1200 + 0.6 * CELL * sqrt(town->have);
    for (int k = 0; k < n; k++) {
        const struct cell *c = &d->cells[k];
        region[k] = -1;
        if (c->land == LAND_NONE)
            continue;
        if (c->set >= 0) {
            region[k] = c->set;
            continue;
        }
        double x = cell_x(d, k % d->ncx) + CELL / 2, y = cell_y(d, k / d->ncx) + CELL / 2, best = INFINITY;
        for (int s = 0; s < d->nsets; s++) {
            double dd = sqrt(dist2(x, y, d->sets[s].x, d->sets[s].y));
            if (!d->sets[s].have || (s == 0 && dd > reach))
                continue;
            if (dd - (s == 0 ? 600 : 0) < best)
                best = dd - (s == 0 ? 600 : 0), region[k] = (short)s;
        }
        if (region[k] < 0)
            region[k] = 0;
    }
}

/* The town obręb key of every cell of the town's region (tkey, -1 elsewhere): its ring sector, where town
 * sectors with few cells join the sector inside them, from the outermost ring inwards. */
static void obreby_town_sectors(struct demo *d, const short *region, int *tkey)
{
    int n = d->ncx * d->ncy, maxring = 0;
    for (int k = 0; k < n; k++) {
        tkey[k] = -1;
        if (region[k] == 0 && d->sets[0].miasto) {
            tkey[k] = town_sector(d, k);
            maxring = tkey[k] / 1000 > maxring ? tkey[k] / 1000 : maxring;
        }
    }
    for (int ring = maxring; ring >= 1; ring--)
        for (int sector = 0; sector < 4 * ring; sector++) {
            int key = ring * 1000 + sector, count = 0;
            for (int k = 0; k < n; k++)
                count += tkey[k] == key;
            if (count == 0 || count >= 8)
                continue;
            int parent = ring > 1 ? (ring - 1) * 1000 + sector * (ring - 1) / ring : 0;
            for (int k = 0; k < n; k++)
                if (tkey[k] == key)
                    tkey[k] = parent;
        }
}

/* The list of obręby: the town's, numbered by sector key ("Słubice 1", ...), then one per village in the
 * rural unit, numbered by name. */
static void obreby_list(struct demo *d, const int *tkey)
{
    int n = d->ncx * d->ncy, cap = 0, ntown = 0;
    char type = d->g.teryt[6];
    char town_unit[12], rural_unit[12];
    snprintf(town_unit, sizeof town_unit, "%.6s_%c", d->g.teryt, type == '3' ? '4' : '1');
    snprintf(rural_unit, sizeof rural_unit, "%.6s_%c", d->g.teryt, type == '3' ? '5' : '2');
    for (int k = 0; k < n; k++) {
        if (tkey[k] < 0)
            continue;
        int o = 0;
        while (o < ntown && d->obr[o].key != tkey[k])
            o++;
        if (o == ntown) {
            if (!(d->obr = grow(d, d->obr, &cap, ntown + 1, sizeof *d->obr)))
                break;
            memset(&d->obr[ntown], 0, sizeof *d->obr);
            d->obr[ntown++].key = tkey[k];
        }
    }
    if (ntown)
        qsort(d->obr, (size_t)ntown, sizeof *d->obr, obreb_key_cmp);
    for (int o = 0; o < ntown; o++) {
        copy(d->obr[o].unit, sizeof d->obr[o].unit, town_unit);
        snprintf(d->obr[o].number, sizeof d->obr[o].number, "%04d", o + 1);
        snprintf(d->obr[o].name, sizeof d->obr[o].name, "%s %d", d->sets[0].name, o + 1);
    }
    d->nobr = ntown;
    for (int s = 0; s < d->nsets && !d->rc; s++) {
        if (d->sets[s].miasto || !d->sets[s].have)
            continue;
        if (!(d->obr = grow(d, d->obr, &cap, d->nobr + 1, sizeof *d->obr)))
            break;
        struct obreb *o = &d->obr[d->nobr++];
        memset(o, 0, sizeof *o);
        o->set = s;
        o->key = -1;
        copy(o->unit, sizeof o->unit, rural_unit);
        copy(o->name, sizeof o->name, d->sets[s].name);
    }
    if (!d->rc)
        qsort(d->obr + ntown, (size_t)(d->nobr - ntown), sizeof *d->obr, obreb_name_cmp);
    for (int o = ntown; o < d->nobr; o++)
        snprintf(d->obr[o].number, sizeof d->obr[o].number, "%04d", o - ntown + 1);
}

/* Writes the obręby, each the union of its cells, and gives them their row ids. */
static bool obreby_store(struct demo *d)
{
    int n = d->ncx * d->ncy;
    sqlite3_stmt *st;
    int *idx = malloc((size_t)n * sizeof *idx);
    if (!idx)
        return oom(d);
    if (gis_store_prepare(d->st, "INSERT INTO obreby (unit, number, name, geom) VALUES (?, ?, ?, GeomFromWKB(?, 2180))",
                          &st, d->e)) {
        free(idx);
        return fail(d, ERR_IO, "prepare");
    }
    for (int o = 0; o < d->nobr && !d->rc; o++) {
        struct obreb *ob = &d->obr[o];
        int m = 0;
        for (int k = 0; k < n; k++)
            if (d->cells[k].obreb == o)
                idx[m++] = k;
        GEOSGeometry *u = cells_union(d, idx, m);
        if (!u || !wkb_geos(d, u)) {
            GEOSGeom_destroy_r(d->gh, u);
            fail(d, ERR_INTERNAL, "obręb %s has no area", ob->name);
            break;
        }
        GEOSGeom_destroy_r(d->gh, u);
        sqlite3_bind_text(st, 1, ob->unit, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, ob->number, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, ob->name, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            sql_fail(d, "obręb");
        sqlite3_reset(st);
        ob->id = sqlite3_last_insert_rowid(gis_store_db(d->st));
        ob->next = 1;
        d->stats->obreby++;
    }
    sqlite3_finalize(st);
    free(idx);
    return !d->rc;
}

/* Cadastral units and districts. The town and the land around it form the jednostka ewidencyjna _4, cut
 * into numbered obręby ("Słubice 1", ...) by rings and sectors; in the rural unit (_5, or _2 in a rural
 * gmina) every village is an obręb and the open land goes to the nearest one. */
static bool obreby_make(struct demo *d)
{
    int n = d->ncx * d->ncy;
    short *region = malloc((size_t)n * sizeof *region);
    int *tkey = malloc((size_t)n * sizeof *tkey);
    if (!region || !tkey) {
        free(region);
        free(tkey);
        return oom(d);
    }
    obreby_regions(d, region);
    obreby_town_sectors(d, region, tkey);
    obreby_list(d, tkey);
    for (int k = 0; k < n && !d->rc; k++) {
        if (region[k] < 0)
            continue;
        for (int o = 0; o < d->nobr; o++)
            if (tkey[k] >= 0 ? d->obr[o].key == tkey[k] : d->obr[o].key < 0 && d->obr[o].set == region[k]) {
                d->cells[k].obreb = (short)o;
                break;
            }
    }
    free(tkey);
    free(region);
    return !d->rc && obreby_store(d);
}

static bool localities_make(struct demo *d)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(d->st,
                          "INSERT INTO localities (simc, name, kind, postal_code, geom) "
                          "VALUES (?, ?, ?, ?, MakePoint(?, ?, 2180))",
                          &st, d->e))
        return fail(d, ERR_IO, "prepare");
    for (int s = 0; s < d->nsets && !d->rc; s++) {
        struct settlement *v = &d->sets[s];
        if (!v->have)
            continue;
        double x = cell_x(d, v->ccx) + CELL / 2, y = cell_y(d, v->ccy) + VROW * UNIT_H + ROAD / 2;
        if (v->grid)
            x = v->x, y = v->y;
        sqlite3_bind_text(st, 1, v->simc, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, v->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, v->miasto ? "miasto" : "wieś", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, v->postal, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, x);
        sqlite3_bind_double(st, 6, y);
        if (sqlite3_step(st) != SQLITE_DONE)
            sql_fail(d, "locality");
        sqlite3_reset(st);
        v->locality = sqlite3_last_insert_rowid(gis_store_db(d->st));
        d->stats->localities++;
    }
    sqlite3_finalize(st);
    return !d->rc;
}

/* ---- parcels, buildings, address candidates, street lines ---- */

static void parcel_number(struct demo *d, struct obreb *ob, char *out, size_t cap)
{
    long n = ob->next++;
    if (chance(&d->rng, 0.04))
        snprintf(out, cap, "%ld/%u", n, 1 + text_rng_below(&d->rng, 9));
    else
        snprintf(out, cap, "%ld", n);
}

/* Inserts the parcel whose geometry is in d->wkb. */
static bool parcel_insert(struct demo *d, const struct obreb *ob, const char *number, double area, const char *use,
                          char *pid)
{
    char id[48];
    snprintf(id, sizeof id, "%s.%s.%s", ob->unit, ob->number, number);
    sqlite3_stmt *s = d->ins_parcel;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, ob->id);
    sqlite3_bind_text(s, 3, number, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 4, area);
    sqlite3_bind_text(s, 5, use, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 6, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return sql_fail(d, id);
    d->stats->parcels++;
    if (pid)
        copy(pid, 40, id);
    return true;
}

/* Stores the parcel [x0, x1] x [y0, y1] of cell c, clipped to the land; number NULL takes the obręb's
 * next number. Returns true when it was stored whole, so that buildings and an address may go on it. A
 * clipped parcel becomes riverside meadow (or stays a road), and each extra piece gets its own number. */
static bool parcel_put(struct demo *d, struct cell *c, double x0, double y0, double x1, double y1, const char *use,
                       const char *number, char *pid)
{
    if (d->rc)
        return false;
    struct obreb *ob = &d->obr[c->obreb];
    char num[24];
    if (!number) {
        parcel_number(d, ob, num, sizeof num);
        number = num;
    }
    if (c->land == LAND_FULL || rect_on_land(d, x0, y0, x1, y1)) {
        wkb_rect(d, x0, y0, x1, y1);
        return parcel_insert(d, ob, number, (x1 - x0) * (y1 - y0), use, pid);
    }
    GEOSGeometry *r = g_rect(d, x0, y0, x1, y1);
    if (!r || GEOSPreparedIntersects_r(d->gh, d->prep, r) != 1) {
        GEOSGeom_destroy_r(d->gh, r);
        return false;
    }
    GEOSGeometry *g = GEOSIntersection_r(d->gh, d->area, r);
    GEOSGeom_destroy_r(d->gh, r);
    if (!g)
        return geos_fail(d, "parcel clip");
    int parts = GEOSGetNumGeometries_r(d->gh, g);
    bool first = true;
    for (int k = 0; k < parts && !d->rc; k++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(d->gh, g, k);
        double a = 0;
        if (GEOSGeomTypeId_r(d->gh, p) != GEOS_POLYGON || !GEOSArea_r(d->gh, p, &a) || a < 1 || !wkb_geos(d, p))
            continue;
        if (!first)
            parcel_number(d, ob, num, sizeof num);
        parcel_insert(d, ob, first ? number : num, a, strcmp(use, "dr") ? "Ł" : "dr", NULL);
        first = false;
    }
    GEOSGeom_destroy_r(d->gh, g);
    return false;
}

static void building_put(struct demo *d, const char *pid, int k, double x0, double y0, double x1, double y1,
                         const char *function, int storeys)
{
    if (d->rc || x1 - x0 < 3 || y1 - y0 < 3)
        return;
    char id[56];
    snprintf(id, sizeof id, "%s.%d_BUD", pid, k);
    wkb_rect(d, x0, y0, x1, y1);
    sqlite3_stmt *s = d->ins_building;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, function, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, storeys);
    sqlite3_bind_blob(s, 4, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        sql_fail(d, id);
    else
        d->stats->buildings++;
}

/* A building set back s m from the street front of a plot row, dd m deep, between x0 and x1. Row 0
 * fronts the street on its south edge (ya), row 1 on its north edge (yb). */
static void building_front(struct demo *d, const char *pid, int k, int row, double ya, double yb, double x0, double x1,
                           double s, double dd, const char *function, int storeys)
{
    if (row)
        building_put(d, pid, k, x0, yb - s - dd, x1, yb - s, function, storeys);
    else
        building_put(d, pid, k, x0, ya + s, x1, ya + s + dd, function, storeys);
}

static int line_get(struct demo *d, int set, int key)
{
    struct settlement *s = &d->sets[set];
    if (s->line_of[key] >= 0)
        return s->line_of[key];
    if (!(s->lines = grow(d, s->lines, &s->caplines, s->nlines + 1, sizeof *s->lines)))
        return -1;
    memset(&s->lines[s->nlines], 0, sizeof *s->lines);
    s->lines[s->nlines].key = key;
    s->line_of[key] = s->nlines;
    return s->nlines++;
}

static void line_seg(struct demo *d, int set, int key, double a, double b)
{
    int li = line_get(d, set, key);
    if (li < 0)
        return;
    struct line *l = &d->sets[set].lines[li];
    if (!(l->seg = grow(d, l->seg, &l->cap, l->nseg + 1, sizeof *l->seg)))
        return;
    l->seg[l->nseg][0] = a;
    l->seg[l->nseg++][1] = b;
}

static void addr_add(struct demo *d, int set, int key, int side, int sub, double pos, double x, double y,
                     const char *pid)
{
    int li = line_get(d, set, key);
    if (li < 0 || d->rc)
        return;
    if (d->naddrs == d->capaddrs) {
        size_t cap = d->capaddrs ? d->capaddrs * 2 : 4096;
        struct addr *p = realloc(d->addrs, cap * sizeof *p);
        if (!p) {
            oom(d);
            return;
        }
        d->addrs = p;
        d->capaddrs = cap;
    }
    struct addr *a = &d->addrs[d->naddrs];
    a->set = set;
    a->line = li;
    a->side = (unsigned char)side;
    a->sub = (unsigned char)sub;
    a->pos = pos;
    a->x = x;
    a->y = y;
    a->seq = (long)d->naddrs++;
    copy(a->pid, sizeof a->pid, pid);
}

/* ---- the street grid of towns and estates ---- */

enum block_kind { BK_MN, BK_MW, BK_U, BK_PARK, BK_SCHOOL, BK_SPORT, BK_P, BK_INFRA };

/* A block: one or two rows of plots; row 0 fronts the street on its south side, row 1 the one on its
 * north side. split plots are two halves ("12a", "12b"); empty plots have no house yet. */
struct block {
    int kind, nrows, n[2];
    double x0, y0, x1, y1, ymid;
    double xs[2][MAX_ROW + 1];
    bool split[2][MAX_ROW], empty[2][MAX_ROW];
};

/* Unit (i, j) belongs to the street grid of settlement set. */
static bool unit_grid(struct demo *d, int set, int i, int j)
{
    if (i < 0 || j < 0 || i >= d->NI || j >= d->NJ)
        return false;
    const struct cell *c = cell_at(d, i / UX, j / UY);
    return c->set == set && c->kind >= CK_GRID;
}

/* ... and lies wholly on land, so its streets and addresses exist. */
static bool unit_ok(struct demo *d, int set, int i, int j)
{
    if (!unit_grid(d, set, i, j))
        return false;
    struct cell *c = cell_at(d, i / UX, j / UY);
    if (c->land == LAND_FULL)
        return true;
    if (!c->units_done) {
        c->units_done = true;
        for (int r = 0; r < UY; r++)
            for (int q = 0; q < UX; q++) {
                int ii = i / UX * UX + q, jj = j / UY * UY + r;
                if (rect_on_land(d, unit_x(d, ii), unit_y(d, jj), unit_x(d, ii + 1), unit_y(d, jj + 1)))
                    c->units_in |= 1u << (q + UX * r);
            }
    }
    return c->units_in >> (i % UX + UX * (j % UY)) & 1;
}

static int block_kind(struct demo *d, int i, int j)
{
    const struct cell *c = cell_at(d, i / UX, j / UY);
    double u = unit01(d, i, j, 31);
    switch (c->kind) {
    case CK_CENTRE: return u < 0.40 ? BK_U : u < 0.76 ? BK_MW : u < 0.86 ? BK_PARK : u < 0.93 ? BK_SCHOOL : BK_MN;
    case CK_TOWN: return u < 0.86 ? BK_MN : u < 0.93 ? BK_MW : u < 0.97 ? BK_U : BK_SCHOOL;
    case CK_INDUSTRY: return BK_P;
    case CK_PARK: return u < 0.7 ? BK_PARK : BK_SPORT;
    case CK_INFRA: return BK_INFRA;
    default: return u < 0.95 ? BK_MN : u < 0.98 ? BK_U : BK_SCHOOL;
    }
}

static void block_layout(struct demo *d, int set, int i, int j, struct block *b)
{
    struct text_rng r = rng_at(d, i, j, 32);
    memset(b, 0, sizeof *b);
    b->kind = block_kind(d, i, j);
    b->x0 = unit_x(d, i) + ROAD;
    b->x1 = unit_x(d, i + 1);
    b->y0 = unit_y(d, j) + ROAD;
    b->y1 = unit_y(d, j + 1);
    b->nrows = unit_grid(d, set, i, j + 1) && (b->kind == BK_MN || b->kind == BK_U) ? 2 : 1;
    b->ymid = b->nrows == 2 ? (b->y0 + b->y1) / 2 : b->y1;
    for (int row = 0; row < b->nrows; row++) {
        int n = 1;
        switch (b->kind) {
        case BK_MN: n = 6 + (int)text_rng_below(&r, 3); break;
        case BK_U: n = 4 + (int)text_rng_below(&r, 2); break;
        case BK_MW: n = 2 + (int)text_rng_below(&r, 2); break;
        case BK_P: n = 1 + (int)text_rng_below(&r, 2); break;
        default: break;
        }
        b->n[row] = n;
        partition(&r, b->x0, b->x1, n, b->kind == BK_MN ? 0.2 : 0.1, b->xs[row]);
        for (int k = 0; k < n; k++) {
            b->split[row][k] = (b->kind == BK_MN || b->kind == BK_U) && chance(&r, 0.07);
            b->empty[row][k] = b->kind == BK_MN && chance(&r, 0.07);
        }
    }
}

static void block_buildings(struct demo *d, int kind, const char *pid, int row, double xa, double ya, double xb,
                            double yb)
{
    double w = xb - xa;
    switch (kind) {
    case BK_MN: {
        double hw = fmin(10 + text_rng_below(&d->rng, 3), w - 4);
        if (hw < 6)
            return;
        double x = xa + (w - hw) / 2 + text_rng_uniform(&d->rng, -0.8, 0.8);
        building_front(d, pid, 1, row, ya, yb, x, x + hw, 6, 11, "mieszkalny", 1 + (int)text_rng_below(&d->rng, 2));
        if (w >= 13 && chance(&d->rng, 0.35))
            building_front(d, pid, 2, row, ya, yb, xa + 1.5, xa + 7.5, 20, 6, "gospodarczy", 1);
        break;
    }
    case BK_U:
        building_front(d, pid, 1, row, ya, yb, xa + 1, xb - 1, 1, 16, "usługowy", 2 + (int)text_rng_below(&d->rng, 2));
        break;
    case BK_MW:
        building_front(d, pid, 1, row, ya, yb, xa + (w >= 30 ? 8 : 3), xb - (w >= 30 ? 8 : 3), 8, 12, "mieszkalny",
                       4 + (int)text_rng_below(&d->rng, 2));
        break;
    case BK_P:
        building_front(d, pid, 1, row, ya, yb, xa + 10, xb - 10, 12, 36, "przemysłowy", 1);
        building_front(d, pid, 2, row, ya, yb, xa + 10, xa + 26, 2, 8, "usługowy", 2);
        break;
    case BK_SCHOOL: building_front(d, pid, 1, row, ya, yb, xa + 20, xb - 20, 10, 16, "usługowy", 3); break;
    case BK_SPORT: building_front(d, pid, 1, row, ya, yb, xa + 40, xa + 80, 15, 30, "usługowy", 1); break;
    case BK_INFRA:
        building_front(d, pid, 1, row, ya, yb, xa + 20, xa + 50, 10, 20, "przemysłowy", 1);
        building_front(d, pid, 2, row, ya, yb, xa + 60, xa + 72, 10, 8, "gospodarczy", 1);
        break;
    default: break;
    }
}

static void block_emit(struct demo *d, struct cell *c, int i, int j, const struct block *b, bool ok)
{
    static const char *const use[] = {[BK_MN] = "B",      [BK_MW] = "B",     [BK_U] = "Bi", [BK_PARK] = "Bz",
                                      [BK_SCHOOL] = "Bi", [BK_SPORT] = "Bz", [BK_P] = "Ba", [BK_INFRA] = "Ba"};
    int set = c->set;
    for (int row = 0; row < b->nrows; row++) {
        double ya = row ? b->ymid : b->y0, yb = row ? b->y1 : b->ymid;
        bool front = row ? unit_ok(d, set, i, j + 1) : ok;
        for (int k = 0; k < b->n[row]; k++) {
            double xa = b->xs[row][k], xb = b->xs[row][k + 1], xm = round((xa + xb) / 2 * 100) / 100;
            bool split = b->split[row][k];
            char num[24];
            long base = split ? d->obr[c->obreb].next++ : 0;
            unsigned den = 1 + 2 * text_rng_below(&d->rng, 3);
            for (int p = 0; p < (split ? 2 : 1); p++) {
                double pa = split && p ? xm : xa, pb = split && !p ? xm : xb;
                char pid[40];
                if (split)
                    snprintf(num, sizeof num, "%ld/%u", base, den + (unsigned)p);
                bool whole = parcel_put(d, c, pa, ya, pb, yb, use[b->kind], split ? num : NULL, pid);
                if (!whole || !ok || !front || b->empty[row][k] || b->kind == BK_PARK)
                    continue;
                block_buildings(d, b->kind, pid, row, pa, ya, pb, yb);
                /* Corner plots take their address from the side street. */
                double my = (ya + yb) / 2;
                if (!split && k == 0 && b->n[row] >= 3)
                    addr_add(d, set, d->NJ + i, 1, 0, my, pa + 3, my, pid);
                else if (!split && k == b->n[row] - 1 && b->n[row] >= 3 && unit_ok(d, set, i + 1, j))
                    addr_add(d, set, d->NJ + i + 1, 0, 0, my, pb - 3, my, pid);
                else
                    addr_add(d, set, row ? j + 1 : j, row, split ? p + 1 : 0, xm, (pa + pb) / 2, row ? yb - 3 : ya + 3,
                             pid);
            }
        }
    }
}

static void gen_grid(struct demo *d, int cx, int cy)
{
    struct cell *c = cell_at(d, cx, cy);
    for (int r = UY - 1; r >= 0 && !d->rc; r--)
        for (int q = 0; q < UX; q++) {
            int i = cx * UX + q, j = cy * UY + r;
            double X = unit_x(d, i), Y = unit_y(d, j);
            bool ok = unit_ok(d, c->set, i, j);
            if (ok) {
                line_seg(d, c->set, j, X, X + UNIT_W);
                line_seg(d, c->set, d->NJ + i, Y, Y + UNIT_H);
            }
            parcel_put(d, c, X, Y, X + UNIT_W, Y + ROAD, "dr", NULL, NULL);
            parcel_put(d, c, X, Y + ROAD, X + ROAD, Y + UNIT_H, "dr", NULL, NULL);
            struct block b;
            block_layout(d, c->set, i, j, &b);
            block_emit(d, c, i, j, &b, ok);
        }
}

/* ---- villages: one street with farm plots on both sides and field strips behind them ---- */

struct vside {
    int n;
    double xs[MAX_SIDE + 1];
    bool empty[MAX_SIDE], split[MAX_SIDE], join[MAX_SIDE];
};

static void village_layout(struct demo *d, int cx, int cy, struct vside side[2])
{
    struct text_rng r = rng_at(d, cx, cy, 41);
    for (int s = 0; s < 2; s++) {
        struct vside *v = &side[s];
        v->n = 17 + (int)text_rng_below(&r, 5);
        partition(&r, cell_x(d, cx), cell_x(d, cx + 1), v->n, 0.3, v->xs);
        for (int k = 0; k < v->n; k++) {
            v->empty[k] = chance(&r, 0.12);
            v->split[k] = !v->empty[k] && chance(&r, 0.06);
            v->join[k] = chance(&r, 0.3);
        }
    }
}

static void gen_village(struct demo *d, int cx, int cy)
{
    struct cell *c = cell_at(d, cx, cy);
    int set = c->set, key = cy * UY + VROW;
    double X = cell_x(d, cx), Y = cell_y(d, cy), yr = Y + VROW * UNIT_H;
    bool road = c->land == LAND_FULL || rect_on_land(d, X, yr, X + CELL, yr + ROAD);
    if (road)
        line_seg(d, set, key, X, X + CELL);
    parcel_put(d, c, X, yr, X + CELL, yr + ROAD, "dr", NULL, NULL);
    struct vside vs[2];
    village_layout(d, cx, cy, vs);
    bool centre = d->sets[set].ccx == cx && d->sets[set].ccy == cy;
    for (int s = 0; s < 2 && !d->rc; s++) {
        const struct vside *v = &vs[s];
        double hy0 = s ? yr - HOUSE_DEPTH : yr + ROAD, hy1 = s ? yr : yr + ROAD + HOUSE_DEPTH;
        for (int k = 0; k < v->n; k++) {
            double xa = v->xs[k], xb = v->xs[k + 1], xm = round((xa + xb) / 2 * 100) / 100;
            bool service = centre && s == 0 && k == v->n / 2, split = v->split[k] && !service;
            long base = split ? d->obr[c->obreb].next++ : 0;
            unsigned den = 1 + 2 * text_rng_below(&d->rng, 3);
            const char *use = service ? "Bi" : chance(&d->rng, 0.7) ? "Br" : "B";
            for (int p = 0; p < (split ? 2 : 1); p++) {
                double pa = split && p ? xm : xa, pb = split && !p ? xm : xb;
                char num[24], pid[40];
                if (split)
                    snprintf(num, sizeof num, "%ld/%u", base, den + (unsigned)p);
                bool whole = parcel_put(d, c, pa, hy0, pb, hy1, use, split ? num : NULL, pid);
                if (!whole || !road || (v->empty[k] && !service))
                    continue;
                double hw = fmin(10, pb - pa - 3), x = pa + (pb - pa - hw) / 2;
                if (service) {
                    building_front(d, pid, 1, s, hy0, hy1, pa + 3, pb - 3, 4, 20, "usługowy", 1);
                } else if (hw >= 6) {
                    building_front(d, pid, 1, s, hy0, hy1, x, x + hw, 5, 12, "mieszkalny",
                                   1 + (int)text_rng_below(&d->rng, 2));
                    if (pb - pa >= 12)
                        building_front(d, pid, 2, s, hy0, hy1, pa + 1.5, pa + 9.5, 28, 14, "gospodarczy", 1);
                }
                addr_add(d, set, key, s, split ? p + 1 : 0, xm, (pa + pb) / 2, s ? yr - 3 : yr + ROAD + 3, pid);
            }
        }
        double fy0 = s ? Y : hy1, fy1 = s ? hy0 : Y + CELL;
        for (int k = 0; k < v->n;) {
            int span = v->join[k] && k + 2 <= v->n ? 2 : 1;
            double u = text_rng_uniform(&d->rng, 0, 1);
            parcel_put(d, c, v->xs[k], fy0, v->xs[k + span], fy1, u < 0.8 ? "R" : u < 0.95 ? "Ł" : "S", NULL, NULL);
            k += span;
        }
    }
}

/* ---- open land ---- */

/* Tiles the rectangle with n parcels of about aspect:1 (height:width), most of them use, some alt. */
static void subdivide(struct demo *d, struct cell *c, struct text_rng *r, double x0, double y0, double x1, double y1,
                      int n, double aspect, const char *use, const char *alt, double alt_p)
{
    if (n < 1)
        n = 1;
    int ny = (int)lround(sqrt(n * (y1 - y0) / (aspect * (x1 - x0))));
    ny = ny < 1 ? 1 : ny > 60 ? 60 : ny;
    int nx = (n + ny - 1) / ny;
    nx = nx > 60 ? 60 : nx;
    double ys[64], xs[64];
    partition(r, y0, y1, ny, 0.2, ys);
    for (int b = ny - 1; b >= 0; b--) {
        partition(r, x0, x1, nx, 0.35, xs);
        for (int a = 0; a < nx; a++)
            parcel_put(d, c, xs[a], ys[b], xs[a + 1], ys[b + 1], chance(r, alt_p) ? alt : use, NULL, NULL);
    }
}

static void gen_open(struct demo *d, int cx, int cy)
{
    struct cell *c = cell_at(d, cx, cy);
    struct text_rng r = rng_at(d, cx, cy, 51);
    double X = cell_x(d, cx), Y = cell_y(d, cy), s = d->scale;
    switch (c->kind) {
    case CK_FIELD:
        if (chance(&r, 0.5)) {
            double ty = Y + 234 + round(text_rng_uniform(&r, 0, 12));
            subdivide(d, c, &r, X, ty + 6, X + CELL, Y + CELL, (int)(3 + text_rng_below(&r, 4)) * (int)s, 5, "R", "Ł",
                      0.1);
            parcel_put(d, c, X, ty, X + CELL, ty + 6, "dr", NULL, NULL);
            subdivide(d, c, &r, X, Y, X + CELL, ty, (int)(3 + text_rng_below(&r, 4)) * (int)s, 5, "R", "Ł", 0.1);
        } else {
            subdivide(d, c, &r, X, Y, X + CELL, Y + CELL, (int)(1 + text_rng_below(&r, 3)) * (int)s, 1.5, "R", "Ps",
                      0.15);
        }
        break;
    case CK_FOREST:
        if (chance(&r, 0.5)) {
            int n = (int)(2 + text_rng_below(&r, 3)) * (int)s;
            subdivide(d, c, &r, X, Y, X + 237, Y + CELL, (n + 1) / 2, 2, "Ls", "Lz", 0.05);
            parcel_put(d, c, X + 237, Y, X + 243, Y + CELL, "dr", NULL, NULL);
            subdivide(d, c, &r, X + 243, Y, X + CELL, Y + CELL, (n + 1) / 2, 2, "Ls", "Lz", 0.05);
        } else {
            subdivide(d, c, &r, X, Y, X + CELL, Y + CELL, (int)(1 + text_rng_below(&r, 3)) * (int)s, 1, "Ls", "Lz",
                      0.05);
        }
        break;
    case CK_MEADOW:
        subdivide(d, c, &r, X, Y, X + CELL, Y + CELL, (int)(2 + text_rng_below(&r, 4)) * (int)s, 3, "Ł", "Ps", 0.3);
        break;
    case CK_FARM: {
        char pid[40];
        subdivide(d, c, &r, X, Y + 340, X + CELL, Y + CELL, (int)s, 1, "R", "R", 0);
        subdivide(d, c, &r, X, Y + 140, X + 140, Y + 340, (int)s, 1, "R", "R", 0);
        if (parcel_put(d, c, X + 140, Y + 140, X + 340, Y + 340, "Br", NULL, pid)) {
            building_put(d, pid, 1, X + 150, Y + 300, X + 162, Y + 310, "mieszkalny", 2);
            for (int k = 0; k < 3; k++)
                building_put(d, pid, 2 + k, X + 160 + 55 * k, Y + 180, X + 176 + 55 * k, Y + 240, "gospodarczy", 1);
        }
        subdivide(d, c, &r, X + 340, Y + 140, X + CELL, Y + 340, (int)s, 1, "R", "R", 0);
        subdivide(d, c, &r, X, Y, X + CELL, Y + 140, (int)s, 1, "R", "R", 0);
        break;
    }
    default: break;
    }
}

static void progress(struct demo *d, const char *stage, double done)
{
    if (d->progress)
        d->progress(d->user, stage, done);
}

static bool parcels_make(struct demo *d)
{
    for (int cy = d->ncy - 1; cy >= 0 && !d->rc; cy--) {
        for (int cx = 0; cx < d->ncx && !d->rc; cx++) {
            const struct cell *c = cell_at(d, cx, cy);
            if (c->land == LAND_NONE)
                continue;
            if (c->kind >= CK_GRID)
                gen_grid(d, cx, cy);
            else if (c->kind == CK_VILLAGE)
                gen_village(d, cx, cy);
            else
                gen_open(d, cx, cy);
        }
        progress(d, "parcels", (double)(d->ncy - cy) / d->ncy);
    }
    return !d->rc;
}

/* ---- streets and addresses ---- */

static int seg_cmp(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Sorts and merges a line's segments into runs and measures it. */
static void line_merge(struct line *l)
{
    if (!l->nseg)
        return;
    qsort(l->seg, (size_t)l->nseg, sizeof *l->seg, seg_cmp);
    int m = 0;
    for (int k = 1; k < l->nseg; k++) {
        if (l->seg[k][0] <= l->seg[m][1] + 1e-6)
            l->seg[m][1] = fmax(l->seg[m][1], l->seg[k][1]);
        else
            m++, l->seg[m][0] = l->seg[k][0], l->seg[m][1] = l->seg[k][1];
    }
    l->nseg = m + 1;
    l->len = 0;
    for (int k = 0; k < l->nseg; k++)
        l->len += l->seg[k][1] - l->seg[k][0];
}

static void line_wkb(struct demo *d, const struct line *l)
{
    bool we = l->key < d->NJ;
    double c = we ? unit_y(d, l->key) + ROAD / 2 : unit_x(d, l->key - d->NJ) + ROAD / 2;
    d->wkb_len = 0;
    wkb_header(d, 5);
    wkb_u32(d, (uint32_t)l->nseg);
    for (int k = 0; k < l->nseg; k++) {
        wkb_header(d, 2);
        wkb_u32(d, 2);
        if (we) {
            wkb_xy(d, l->seg[k][0], c);
            wkb_xy(d, l->seg[k][1], c);
        } else {
            wkb_xy(d, c, l->seg[k][0]);
            wkb_xy(d, c, l->seg[k][1]);
        }
    }
}

/* The line of the given orientation with segments nearest to key, or -1. */
static int line_near(struct demo *d, const struct settlement *s, bool we, int key)
{
    int best = -1, bd = 1 << 30;
    for (int k = 0; k < s->nlines; k++) {
        const struct line *l = &s->lines[k];
        if (!l->nseg || (l->key < d->NJ) != we || abs(l->key - key) >= bd)
            continue;
        bd = abs(l->key - key);
        best = k;
    }
    return best;
}

struct lrank {
    double len;
    int idx;
};

static int lrank_cmp(const void *a, const void *b)
{
    const struct lrank *x = a, *y = b;
    return x->len > y->len ? -1 : x->len < y->len ? 1 : x->idx - y->idx;
}

static bool name_taken(const struct settlement *s, const char *name)
{
    for (int k = 0; k < s->nlines; k++)
        if (!strcmp(s->lines[k].name, name))
            return true;
    return false;
}

static void roman(int n, char *out, size_t cap)
{
    static const int val[] = {1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1};
    static const char *const sym[] = {"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"};
    size_t o = 0;
    out[0] = 0;
    for (int k = 0; k < 13; k++)
        while (n >= val[k] && o + 3 < cap) {
            o += (size_t)snprintf(out + o, cap - o, "%s", sym[k]);
            n -= val[k];
        }
}

/* Names every line of a settlement with named streets: the seat's main streets from gminas.tsv, in a
 * street grid avenues for the longest lines and a square for a one-block line, the rest from a shuffled
 * data/demo/streets.txt. */
static void streets_name(struct demo *d, int set)
{
    struct settlement *s = &d->sets[set];
    if (set == 0) {
        int mi = (int)floor((s->x - d->X0) / UNIT_W), mj = (int)floor((s->y - d->Y0) / UNIT_H);
        int lj = line_near(d, s, true, mj), li = line_near(d, s, false, d->NJ + mi);
        int which[2] = {lj, li};
        for (int m = 0; m < 2; m++) {
            if (which[m] < 0)
                continue;
            struct line *l = &s->lines[which[m]];
            const char *sp = strchr(d->g.main[m], ' ');
            snprintf(l->prefix, sizeof l->prefix, "%.*s", sp ? (int)(sp - d->g.main[m]) : 0, d->g.main[m]);
            copy(l->name, sizeof l->name, sp ? sp + 1 : d->g.main[m]);
            snprintf(l->ulic, sizeof l->ulic, "%05d", 90000 + d->g.index * 10 + m);
        }
        s->main_j = lj >= 0 ? s->lines[lj].key : -1;
        s->main_i = li >= 0 ? s->lines[li].key - d->NJ : -1;
    }
    struct lrank *ord = malloc((size_t)(s->nlines + 1) * sizeof *ord);
    int *perm = malloc((size_t)d->nstreets * sizeof *perm);
    if (!ord || !perm) {
        free(ord);
        free(perm);
        oom(d);
        return;
    }
    struct text_rng r = rng_at(d, set, 0, 61);
    for (int k = 0; k < d->nstreets; k++)
        perm[k] = k;
    for (int k = d->nstreets - 1; k > 0; k--) {
        int m = (int)text_rng_below(&r, (unsigned)k + 1), t = perm[k];
        perm[k] = perm[m];
        perm[m] = t;
    }
    int n = 0, squares = 0, fallback = 0;
    for (int k = 0; k < s->nlines; k++)
        if (s->lines[k].nseg)
            ord[n].len = s->lines[k].len, ord[n++].idx = k;
    qsort(ord, (size_t)n, sizeof *ord, lrank_cmp);
    for (int m = 0; m < n; m++) {
        struct line *l = &s->lines[ord[m].idx];
        if (l->name[0])
            continue;
        const char *want = !s->grid                           ? "ul."
                           : m < 3 && l->len >= 1200          ? "al."
                           : l->len <= UNIT_W + 1 && !squares ? "pl."
                                                              : "ul.";
        int pick = -1;
        for (int pass = 0; pass < 2 && pick < 0; pass++)
            for (int k = 0; k < d->nstreets && pick < 0; k++) {
                const struct street_def *sd = &d->streets[perm[k]];
                if (!strcmp(sd->prefix, pass ? "ul." : want) && !name_taken(s, sd->name))
                    pick = perm[k];
            }
        if (pick >= 0) {
            copy(l->prefix, sizeof l->prefix, d->streets[pick].prefix);
            copy(l->name, sizeof l->name, d->streets[pick].name);
            snprintf(l->ulic, sizeof l->ulic, "%05d", 10000 + pick * 97);
            squares += !strcmp(l->prefix, "pl.");
        } else { /* more lines than names: "Polna II", "Polna III", ... */
            char rn[16];
            int k = fallback++;
            roman(2 + k / d->nstreets, rn, sizeof rn);
            copy(l->prefix, sizeof l->prefix, "ul.");
            snprintf(l->name, sizeof l->name, "%s %s", d->streets[perm[k % d->nstreets]].name, rn);
            snprintf(l->ulic, sizeof l->ulic, "%05d", 50000 + k % 40000);
        }
    }
    free(ord);
    free(perm);
}

static bool streets_make(struct demo *d)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(d->st,
                          "INSERT INTO streets (ulic, locality_id, prefix, name, geom) "
                          "VALUES (?, ?, ?, ?, GeomFromWKB(?, 2180))",
                          &st, d->e))
        return fail(d, ERR_IO, "prepare");
    for (int set = 0; set < d->nsets && !d->rc; set++) {
        struct settlement *s = &d->sets[set];
        for (int k = 0; k < s->nlines; k++)
            line_merge(&s->lines[k]);
        if (!s->named || !s->have)
            continue;
        streets_name(d, set);
        for (int k = 0; k < s->nlines && !d->rc; k++) {
            struct line *l = &s->lines[k];
            if (!l->nseg)
                continue;
            line_wkb(d, l);
            sqlite3_bind_text(st, 1, l->ulic, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, s->locality);
            sqlite3_bind_text(st, 3, l->prefix, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, l->name, -1, SQLITE_STATIC);
            sqlite3_bind_blob(st, 5, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE)
                sql_fail(d, l->name);
            sqlite3_reset(st);
            l->id = sqlite3_last_insert_rowid(gis_store_db(d->st));
            d->stats->streets++;
        }
    }
    sqlite3_finalize(st);
    return !d->rc;
}

static int addr_cmp(const void *a, const void *b)
{
    const struct addr *x = a, *y = b;
    if (x->set != y->set)
        return x->set - y->set;
    if (x->line != y->line)
        return x->line - y->line;
    if (x->side != y->side)
        return x->side - y->side;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    if (x->sub != y->sub)
        return x->sub - y->sub;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Numbers the houses along each street from its west or south end: odd on the north or west side, even
 * on the other; the halves of a split plot share a number with letters. */
static bool addresses_make(struct demo *d)
{
    if (d->naddrs)
        qsort(d->addrs, d->naddrs, sizeof *d->addrs, addr_cmp);
    int k = 0;
    double last = NAN;
    for (size_t m = 0; m < d->naddrs && !d->rc; m++) {
        const struct addr *a = &d->addrs[m], *p = m ? &d->addrs[m - 1] : NULL;
        if (!p || p->set != a->set || p->line != a->line || p->side != a->side)
            k = 0, last = NAN;
        if (a->pos != last)
            k++, last = a->pos;
        const struct settlement *s = &d->sets[a->set];
        const struct line *l = &s->lines[a->line];
        char number[16];
        snprintf(number, sizeof number, "%d%s", a->side ? 2 * k : 2 * k - 1,
                 a->sub == 1   ? "a"
                 : a->sub == 2 ? "b"
                               : "");
        sqlite3_stmt *st = d->ins_address;
        sqlite3_bind_int64(st, 1, s->locality);
        if (l->id)
            sqlite3_bind_int64(st, 2, l->id);
        else
            sqlite3_bind_null(st, 2);
        sqlite3_bind_text(st, 3, number, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, s->postal, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, a->pid, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 6, a->x);
        sqlite3_bind_double(st, 7, a->y);
        if (sqlite3_step(st) != SQLITE_DONE)
            sql_fail(d, "address");
        sqlite3_reset(st);
        d->stats->addresses++;
        if (m % 8192 == 0)
            progress(d, "addresses", (double)m / (double)d->naddrs);
    }
    return !d->rc;
}

/* ---- cell components: forests, meadows, POG zones ---- */

/* Labels the 4-connected components of cells with equal key (key < 0: not labelled), numbering them
 * from the north-west. Returns the number of components. */
static int components(struct demo *d, const int *key, int *label, int *stack)
{
    int n = d->ncx * d->ncy, count = 0;
    for (int k = 0; k < n; k++)
        label[k] = -1;
    for (int cy = d->ncy - 1; cy >= 0; cy--)
        for (int cx = 0; cx < d->ncx; cx++) {
            int k0 = cy * d->ncx + cx;
            if (key[k0] < 0 || label[k0] >= 0)
                continue;
            int top = 0;
            stack[top++] = k0;
            label[k0] = count;
            while (top) {
                int k = stack[--top], x = k % d->ncx, y = k / d->ncx;
                static const int dx[] = {1, -1, 0, 0}, dy[] = {0, 0, 1, -1};
                for (int m = 0; m < 4; m++) {
                    int nx = x + dx[m], ny = y + dy[m], nk = ny * d->ncx + nx;
                    if (nx < 0 || ny < 0 || nx >= d->ncx || ny >= d->ncy || label[nk] >= 0 || key[nk] != key[k0])
                        continue;
                    label[nk] = count;
                    stack[top++] = nk;
                }
            }
            count++;
        }
    return count;
}

static bool landcover_make(struct demo *d)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(d->st, "INSERT INTO landcover (kind, name, geom) VALUES (?, ?, GeomFromWKB(?, 2180))", &st,
                          d->e))
        return fail(d, ERR_IO, "prepare");
    if (d->river_poly && wkb_geos(d, d->river_poly)) {
        sqlite3_bind_text(st, 1, "river", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, "Odra", -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            sql_fail(d, "landcover");
        sqlite3_reset(st);
    }
    int n = d->ncx * d->ncy;
    int *key = malloc((size_t)n * sizeof *key), *label = malloc((size_t)n * sizeof *label);
    int *stack = malloc((size_t)n * sizeof *stack), *idx = malloc((size_t)n * sizeof *idx);
    if (!key || !label || !stack || !idx)
        oom(d);
    for (int pass = 0; pass < 2 && !d->rc; pass++) {
        int kind = pass ? CK_MEADOW : CK_FOREST;
        for (int k = 0; k < n; k++)
            key[k] = d->cells[k].kind == kind ? 1 : -1;
        int nc = components(d, key, label, stack);
        for (int c = 0; c < nc && !d->rc; c++) {
            int m = 0;
            for (int k = 0; k < n; k++)
                if (label[k] == c)
                    idx[m++] = k;
            GEOSGeometry *u = cells_union(d, idx, m);
            if (u && wkb_geos(d, u)) {
                sqlite3_bind_text(st, 1, pass ? "meadow" : "forest", -1, SQLITE_STATIC);
                sqlite3_bind_null(st, 2);
                sqlite3_bind_blob(st, 3, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
                if (sqlite3_step(st) != SQLITE_DONE)
                    sql_fail(d, "landcover");
                sqlite3_reset(st);
            }
            GEOSGeom_destroy_r(d->gh, u);
        }
    }
    free(key);
    free(label);
    free(stack);
    free(idx);
    sqlite3_finalize(st);
    return !d->rc;
}

/* ---- texts: provision templates, Polish numbers and dates ---- */

struct sbuf {
    char *p;
    size_t n, cap;
};

static void sb_put(struct demo *d, struct sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            oom(d);
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_printf(struct demo *d, struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sb_printf(struct demo *d, struct sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_put(d, b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void sb_reset(struct sbuf *b)
{
    b->n = 0;
    if (b->p)
        b->p[0] = 0;
}

struct var {
    const char *key, *value; /* value NULL: not set, the template line is left out */
};

/* Appends template t[0..n) to b with every {key} replaced by its value. Appends nothing and returns false
 * when a key has no value. */
static bool render(struct demo *d, struct sbuf *b, const char *t, size_t n, const struct var *v, int nv)
{
    size_t start = b->n;
    for (size_t k = 0; k < n;) {
        const char *close = t[k] == '{' ? memchr(t + k, '}', n - k) : NULL;
        if (close) {
            size_t kl = (size_t)(close - (t + k + 1));
            const char *val = NULL;
            for (int m = 0; m < nv; m++)
                if (strlen(v[m].key) == kl && !strncmp(v[m].key, t + k + 1, kl))
                    val = v[m].value;
            if (!val) {
                b->n = start;
                if (b->p)
                    b->p[start] = 0;
                return false;
            }
            sb_put(d, b, val, strlen(val));
            k = (size_t)(close - t) + 1;
            continue;
        }
        size_t run = k + 1;
        while (run < n && t[run] != '{')
            run++;
        sb_put(d, b, t + k, run - k);
        k = run;
    }
    return true;
}

/* The body of section [name] of data/demo/provisions.txt. */
static bool section(struct demo *d, const char *name, const char **text, size_t *len)
{
    size_t flen = 0;
    const char *f = embed_find("data/demo/provisions.txt", &flen), *p = f;
    char hdr[64];
    snprintf(hdr, sizeof hdr, "[%s]\n", name);
    while (p && (p = strstr(p, hdr)) && p != f && p[-1] != '\n')
        p++;
    if (!p)
        return fail(d, ERR_INTERNAL, "data/demo/provisions.txt has no section [%s]", name);
    const char *start = p + strlen(hdr), *end = strstr(start, "\n[");
    *text = start;
    *len = end ? (size_t)(end - start) + 1 : (size_t)(f + flen - start);
    return true;
}

static void prov_insert(struct demo *d, sqlite3_int64 plan, const char *scope, sqlite3_int64 zone,
                        sqlite3_int64 overlay, int ord, const char *heading, const char *body)
{
    if (d->rc)
        return;
    sqlite3_stmt *st = d->ins_prov;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
    if (zone)
        sqlite3_bind_int64(st, 3, zone);
    else
        sqlite3_bind_null(st, 3);
    if (overlay)
        sqlite3_bind_int64(st, 4, overlay);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int(st, 5, ord);
    sqlite3_bind_text(st, 6, heading, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, body ? body : "", -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        sql_fail(d, "provision");
    sqlite3_reset(st);
    d->stats->provisions++;
}

/* Writes the paragraphs of a general section as provisions "§ 1.", "§ 2.", ...; *para counts them. */
static void prov_general(struct demo *d, sqlite3_int64 plan, const char *name, const struct var *v, int nv, int *ord,
                         int *para)
{
    const char *t;
    size_t len;
    if (!section(d, name, &t, &len))
        return;
    struct sbuf head = {0}, body = {0};
    int point = 0;
    for (const char *p = t, *end = t + len; p <= end && !d->rc;) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n == 0 && head.n) {
            char h[400];
            snprintf(h, sizeof h, "§ %d. %s", ++*para, head.p);
            prov_insert(d, plan, "general", 0, 0, ++*ord, h, body.p);
            sb_reset(&head);
            sb_reset(&body);
            point = 0;
        } else if (n && !head.n) {
            render(d, &head, p, n, v, nv);
        } else if (n) {
            bool numbered = n > 3 && !strncmp(p, "#. ", 3);
            struct sbuf line = {0};
            if (render(d, &line, p + (numbered ? 3 : 0), n - (numbered ? 3 : 0), v, nv)) {
                if (body.n)
                    sb_put(d, &body, "\n", 1);
                if (numbered)
                    sb_printf(d, &body, "%d. ", ++point);
                sb_put(d, &body, line.p, line.n);
            }
            free(line.p);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    if (head.n && !d->rc) {
        char h[400];
        snprintf(h, sizeof h, "§ %d. %s", ++*para, head.p);
        prov_insert(d, plan, "general", 0, 0, ++*ord, h, body.p);
    }
    free(head.p);
    free(body.p);
}

/* Renders section [name] as an introduction followed by the points "1) ...;" ... "n) ...." into out. */
static void prov_points(struct demo *d, struct sbuf *out, const char *name, const struct var *v, int nv)
{
    const char *t;
    size_t len;
    if (!section(d, name, &t, &len))
        return;
    struct sbuf pending = {0}, item = {0};
    bool intro = true;
    int count = 0;
    for (const char *p = t, *end = t + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n && intro) {
            render(d, out, p, n, v, nv);
            intro = false;
        } else if (n && render(d, &item, p, n, v, nv)) {
            if (pending.n)
                sb_printf(d, out, "\n%d) %s;", ++count, pending.p);
            sb_reset(&pending);
            sb_put(d, &pending, item.p, item.n);
            sb_reset(&item);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    if (pending.n)
        sb_printf(d, out, "\n%d) %s.", ++count, pending.p);
    free(pending.p);
    free(item.p);
}

/* A number the Polish way: "0,6", "12", "2,25"; NULL for a parameter that is not set. */
static const char *pl_num(double v, char *buf, size_t cap)
{
    if (!isfinite(v))
        return NULL;
    snprintf(buf, cap, "%.2f", v);
    char *dot = strchr(buf, '.');
    if (dot) {
        size_t n = strlen(buf);
        while (n > 0 && buf[n - 1] == '0')
            buf[--n] = 0;
        if (buf[n - 1] == '.')
            buf[--n] = 0;
        else
            *dot = ',';
    }
    return buf;
}

static long days_from_civil(int y, int m, int dd)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400, doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *dd)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* A plan's act: the council resolution, its publication and the date the plan came into force. */
struct act {
    char iip[96], resolution[256], date[16], publication[96], valid_from[16];
};

static void act_make(struct demo *d, struct act *a, const char *kind, int year, int month, int day, int seq)
{
    static const char *const months[] = {"stycznia", "lutego",   "marca",    "kwietnia",     "maja",      "czerwca",
                                         "lipca",    "sierpnia", "września", "października", "listopada", "grudnia"};
    /* Session numbers restart with each council term; a council meets about nine times a year. */
    static const int terms[][2] = {{2002, 11}, {2006, 11}, {2010, 11}, {2014, 11}, {2018, 11}, {2024, 5}};
    int into_term = (year - 2002) * 12 + month - 11;
    for (int k = 0; k < 6; k++)
        if (year * 12 + month >= terms[k][0] * 12 + terms[k][1])
            into_term = (year - terms[k][0]) * 12 + month - terms[k][1];
    int session = 1 + into_term * 3 / 4 + (int)text_rng_below(&d->rng, 3);
    int number = session * 7 + 1 + (int)text_rng_below(&d->rng, 7);
    char rn[16];
    roman(session, rn, sizeof rn);
    snprintf(a->resolution, sizeof a->resolution, "Uchwała nr %s/%d/%d %s z dnia %d %s %d r.", rn, number, year,
             d->g.council, day, months[month - 1], year);
    snprintf(a->date, sizeof a->date, "%04d-%02d-%02d", year, month, day);
    long pub = days_from_civil(year, month, day) + 12 + text_rng_below(&d->rng, 30);
    int py, pm, pd;
    civil_from_days(pub, &py, &pm, &pd);
    snprintf(a->publication, sizeof a->publication, "Dz. Urz. Woj. Lubuskiego z %d r. poz. %d", py,
             100 + (int)text_rng_below(&d->rng, 2900));
    civil_from_days(pub + 14, &py, &pm, &pd);
    snprintf(a->valid_from, sizeof a->valid_from, "%04d-%02d-%02d", py, pm, pd);
    snprintf(a->iip, sizeof a->iip, "PL.ZIPPZP.%d/%s-%s/%d_%d", d->g.zippzp, d->g.teryt, kind, year, seq);
}

static sqlite3_int64 plan_insert(struct demo *d, const char *kind, const struct act *a, const char *title, int scale,
                                 const GEOSGeometry *geom)
{
    sqlite3_stmt *st;
    if (d->rc || !wkb_geos(d, geom)) {
        fail(d, ERR_INTERNAL, "plan %s has no area", title);
        return 0;
    }
    if (gis_store_prepare(d->st,
                          "INSERT INTO plans (kind, iip, title, resolution, resolution_date, publication, "
                          "scale, status, valid_from, geom) VALUES (?, ?, ?, ?, ?, ?, ?, 'obowiązujący', ?, "
                          "GeomFromWKB(?, 2180))",
                          &st, d->e)) {
        fail(d, ERR_IO, "prepare");
        return 0;
    }
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->iip, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, a->resolution, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, a->date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, a->publication, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, scale);
    sqlite3_bind_text(st, 8, a->valid_from, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
    sqlite3_int64 id = 0;
    if (sqlite3_step(st) != SQLITE_DONE)
        sql_fail(d, "plan");
    else
        id = sqlite3_last_insert_rowid(gis_store_db(d->st));
    sqlite3_finalize(st);
    d->stats->plans++;
    return id;
}

/* ---- the general plan (POG): strefy planistyczne as unions of cells ---- */

static const char *pog_symbol(const struct cell *c)
{
    switch (c->kind) {
    case CK_CENTRE: return c->core ? "SU" : "SW";
    case CK_TOWN:
    case CK_ESTATE: return "SJ";
    case CK_INDUSTRY: return "SP";
    case CK_PARK: return "SN";
    case CK_INFRA: return "SI";
    case CK_VILLAGE: return "SZ";
    case CK_FARM: return "SR";
    default: return "SO";
    }
}

static bool pog_make(struct demo *d)
{
    struct act a = {0};
    char title[160];
    act_make(d, &a, "POG", 2026, 6, 10 + (int)text_rng_below(&d->rng, 18), 1);
    snprintf(title, sizeof title, "Plan ogólny gminy %s", d->g.name);
    sqlite3_int64 plan = plan_insert(d, "pog", &a, title, 5000, d->area);
    /* The POG covers the whole gmina: its area is the gmina's territory (what /locate and the import's
     * location rule see); d->wkb still holds it. */
    sqlite3_stmt *gb = NULL;
    if (plan && !gis_store_prepare(d->st,
                                   "INSERT INTO gmina_boundary (id, source, set_at, geom) VALUES (1, 'odra demo', "
                                   "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), GeomFromWKB(?, 2180))",
                                   &gb, d->e)) {
        sqlite3_bind_blob(gb, 1, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
        if (sqlite3_step(gb) != SQLITE_DONE)
            sql_fail(d, "gmina boundary");
        sqlite3_finalize(gb);
    }
    int n = d->ncx * d->ncy;
    int *key = malloc((size_t)n * sizeof *key), *label = malloc((size_t)n * sizeof *label);
    int *stack = malloc((size_t)n * sizeof *stack), *idx = malloc((size_t)n * sizeof *idx);
    int *count = calloc((size_t)d->npdefs, sizeof *count);
    sqlite3_stmt *st = NULL;
    if (!key || !label || !stack || !idx || !count)
        oom(d);
    else if (gis_store_prepare(d->st,
                               "INSERT INTO pog_zones (plan_id, label, symbol, name, max_intensity, "
                               "max_coverage_pct, max_height_m, min_bio_pct, geom, iip) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, GeomFromWKB(?9, 2180), "
                               "(SELECT iip || '-' || ?2 FROM plans WHERE id = ?1))",
                               &st, d->e))
        fail(d, ERR_IO, "prepare");
    for (int k = 0; k < n && !d->rc; k++) {
        const struct cell *c = &d->cells[k];
        const struct pog_def *p = c->land ? pog_def(d, pog_symbol(c)) : NULL;
        key[k] = p ? (int)(p - d->pdefs) * 100000 + k / d->ncx / POG_SUPER * 1000 + k % d->ncx / POG_SUPER : -1;
    }
    int nc = d->rc ? 0 : components(d, key, label, stack);
    for (int comp = 0; comp < nc && !d->rc; comp++) {
        int m = 0;
        for (int k = 0; k < n; k++)
            if (label[k] == comp)
                idx[m++] = k;
        const struct pog_def *p = &d->pdefs[key[idx[0]] / 100000];
        char lab[16];
        snprintf(lab, sizeof lab, "%d%s", ++count[p - d->pdefs], p->symbol);
        GEOSGeometry *u = cells_union(d, idx, m);
        if (u && wkb_geos(d, u)) {
            sqlite3_bind_int64(st, 1, plan);
            sqlite3_bind_text(st, 2, lab, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 3, p->symbol, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, p->name, -1, SQLITE_STATIC);
            sqlite3_bind_double(st, 5, p->intensity);
            sqlite3_bind_double(st, 6, p->cov);
            sqlite3_bind_double(st, 7, p->h);
            sqlite3_bind_double(st, 8, p->bio);
            sqlite3_bind_blob(st, 9, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE)
                sql_fail(d, "POG zone");
            sqlite3_reset(st);
            d->stats->pog_zones++;
        }
        GEOSGeom_destroy_r(d->gh, u);
    }
    struct sbuf sym = {0};
    int used = 0;
    for (int k = 0; k < d->npdefs; k++)
        used += count[k] > 0;
    for (int k = 0, m = 0; k < d->npdefs && count; k++)
        if (count[k]) {
            m++;
            sb_printf(d, &sym, "%s%d) %s, oznaczona symbolem %s%s", m > 1 ? "\n" : "", m, d->pdefs[k].name,
                      d->pdefs[k].symbol, m == used ? "." : ";");
        }
    char gm[80];
    copy(gm, sizeof gm, d->g.name);
    struct var v[] = {{"gmina", gm}, {"scale", "5000"}, {"symbols", sym.p}};
    int ord = 0, para = 0;
    if (plan && sym.p)
        prov_general(d, plan, "pog", v, 3, &ord, &para);
    free(sym.p);
    sqlite3_finalize(st);
    free(key);
    free(label);
    free(stack);
    free(idx);
    free(count);
    return !d->rc;
}

/* ---- local plans (MPZP): zones as rectangles on the parcels' coordinates ---- */

struct zrect {
    double x0, y0, x1, y1;
};

struct pzone {
    const struct zone_def *def;
    struct zrect *r;
    int nr, cap;
    char label[16];
    double h, storeys, imin, imax, cov, bio, area;
    double top, left;
    sqlite3_int64 id;
};

struct poverlay {
    const struct overlay_def *def;
    struct zrect r;
};

enum plan_kind { PLAN_CENTRE, PLAN_ESTATE, PLAN_INDUSTRY, PLAN_VILLAGE };

struct pplan {
    int kind, set;
    struct zrect b; /* boundary */
    struct pzone *z;
    int nz, cap;
    struct poverlay ov[2];
    int nov;
};

static void pplan_free(struct pplan *p)
{
    for (int k = 0; k < p->nz; k++)
        free(p->z[k].r);
    free(p->z);
    memset(p, 0, sizeof *p);
}

/* A new zone with the defaults of its symbol, varied a little per zone. */
static int pz_new(struct demo *d, struct pplan *p, const char *symbol)
{
    const struct zone_def *def = zone_def(d, symbol);
    if (!def || !(p->z = grow(d, p->z, &p->cap, p->nz + 1, sizeof *p->z)))
        return -1;
    struct pzone *z = &p->z[p->nz];
    memset(z, 0, sizeof *z);
    z->def = def;
    z->h = def->h;
    z->storeys = def->storeys;
    z->imin = def->imin;
    z->imax = def->imax;
    z->cov = def->cov;
    z->bio = def->bio;
    z->area = def->area;
    if (!strcmp(def->category, "build")) {
        int v = (int)text_rng_below(&d->rng, 3) - 1;
        z->h += isfinite(z->h) ? v + 1 : 0;
        z->cov += isfinite(z->cov) ? 5 * v : 0;
        z->bio -= isfinite(z->bio) ? 5 * v : 0;
        z->imax += isfinite(z->imax) ? 0.1 * v : 0;
    }
    return p->nz++;
}

static void pz_rect(struct demo *d, struct pplan *p, int zi, double x0, double y0, double x1, double y1)
{
    if (zi < 0)
        return;
    struct pzone *z = &p->z[zi];
    if (!(z->r = grow(d, z->r, &z->cap, z->nr + 1, sizeof *z->r)))
        return;
    z->r[z->nr++] = (struct zrect){x0, y0, x1, y1};
}

/* Gives the rectangle to zone zi, taking it out of every other zone (each rectangle minus it leaves at
 * most four rectangles), so zones never overlap. */
static void pz_paint(struct demo *d, struct pplan *p, int zi, double x0, double y0, double x1, double y1)
{
    for (int k = 0; k < p->nz && !d->rc; k++) {
        struct pzone *z = &p->z[k];
        if (k == zi)
            continue;
        int n = z->nr;
        for (int m = 0; m < n; m++) {
            struct zrect a = z->r[m];
            if (a.x1 <= x0 || a.x0 >= x1 || a.y1 <= y0 || a.y0 >= y1)
                continue;
            z->r[m] = (struct zrect){0, 0, 0, 0};
            double cx0 = fmax(a.x0, x0), cx1 = fmin(a.x1, x1);
            if (x0 > a.x0)
                pz_rect(d, p, k, a.x0, a.y0, x0, a.y1);
            if (x1 < a.x1)
                pz_rect(d, p, k, x1, a.y0, a.x1, a.y1);
            if (y0 > a.y0)
                pz_rect(d, p, k, cx0, a.y0, cx1, y0);
            if (y1 < a.y1)
                pz_rect(d, p, k, cx0, y1, cx1, a.y1);
            z = &p->z[k];
        }
        int w = 0;
        for (int m = 0; m < z->nr; m++)
            if (z->r[m].x1 > z->r[m].x0 && z->r[m].y1 > z->r[m].y0)
                z->r[w++] = z->r[m];
        z->nr = w;
    }
    pz_rect(d, p, zi, x0, y0, x1, y1);
}

static const char *block_symbol(int kind)
{
    static const char *const sym[] = {[BK_MN] = "MN",     [BK_MW] = "MW",    [BK_U] = "U", [BK_PARK] = "ZP",
                                      [BK_SCHOOL] = "UO", [BK_SPORT] = "US", [BK_P] = "P", [BK_INFRA] = "E"};
    return sym[kind];
}

/* A cut line through the plots of a block at about frac of a plot's width, kept 1 m off every plot
 * boundary so the plots it crosses really lie in two zones. */
static double block_cut_x(const struct block *b, double frac)
{
    int k = b->n[0] / 2;
    double x = b->xs[0][k] + frac * (b->xs[0][k + 1] - b->xs[0][k]);
    for (int tries = 0; tries < 8; tries++) {
        bool near = false;
        for (int row = 0; row < b->nrows; row++)
            for (int m = 0; m <= b->n[row]; m++) {
                double e = b->xs[row][m];
                near |= fabs(e - x) < 1;
                if (m < b->n[row] && b->split[row][m])
                    near |= fabs((b->xs[row][m] + b->xs[row][m + 1]) / 2 - x) < 1;
            }
        if (!near)
            break;
        x += 2.5;
    }
    return round(x * 100) / 100;
}

/* Zones of a plan over units [i0, i0 + w) x [j0, j0 + h) of a street grid: the streets, one zone per
 * block, and cut lines through some blocks so that plots lie in two or three zones. */
static void plan_grid(struct demo *d, struct pplan *p, int i0, int j0, int w, int h)
{
    const struct settlement *s = &d->sets[p->set];
    p->b = (struct zrect){unit_x(d, i0), unit_y(d, j0), unit_x(d, i0 + w), unit_y(d, j0 + h)};
    for (int j = j0 + h - 1; j >= j0; j--) {
        int z = pz_new(d, p, j == s->main_j ? "KDL" : "KDD");
        pz_rect(d, p, z, unit_x(d, i0), unit_y(d, j), unit_x(d, i0 + w), unit_y(d, j) + ROAD);
        for (int i = i0; i < i0 + w; i++) {
            z = pz_new(d, p, i == s->main_i ? "KDL" : "KDD");
            pz_rect(d, p, z, unit_x(d, i), unit_y(d, j) + ROAD, unit_x(d, i) + ROAD, unit_y(d, j + 1));
            struct block b;
            block_layout(d, p->set, i, j, &b);
            z = pz_new(d, p, block_symbol(b.kind));
            pz_rect(d, p, z, b.x0, b.y0, b.x1, b.y1);
        }
    }
    int cut = 0;
    for (int m = 0; m < w * h && cut < 3 && !d->rc; m++) {
        int i = i0 + (m * 3 + 1) % w, j = j0 + h - 1 - m / w;
        struct block b;
        block_layout(d, p->set, i, j, &b);
        if (b.kind != BK_MN && b.kind != BK_U && b.kind != BK_MW && b.kind != BK_P)
            continue;
        const char *other = b.kind == BK_MN ? "U" : b.kind == BK_P ? "U" : "MN";
        double yc = b.nrows == 2 ? b.ymid + 8 : b.y0 + 30, xc = block_cut_x(&b, 0.37);
        if (cut == 0) /* the front of the plots for another use: the back rows' plots are cut */
            pz_paint(d, p, pz_new(d, p, other), b.x0, b.y0, b.x1, yc);
        else if (cut == 1) /* a west-east change of use in the middle of a plot */
            pz_paint(d, p, pz_new(d, p, other), xc, b.y0, b.x1, b.y1);
        else { /* both: the plot at the corner lies in three zones */
            pz_paint(d, p, pz_new(d, p, other), xc, b.y0, b.x1, yc);
            pz_paint(d, p, pz_new(d, p, "ZP"), xc, yc, b.x1, b.y1);
        }
        cut++;
    }
    if (p->kind == PLAN_INDUSTRY) {
        struct block b;
        block_layout(d, p->set, i0, j0, &b);
        pz_paint(d, p, pz_new(d, p, "ZI"), p->b.x0, p->b.y1 - 15, p->b.x1, p->b.y1);
        pz_paint(d, p, pz_new(d, p, "E"), b.x1 - 14, b.y0, b.x1, b.y0 + 14);
    }
}

/* A village plan over cells [cx0, cx1] of the village street: the street, farmstead bands 40 m deep
 * (the 50 m plots are cut), fields behind, and a change to MN in the middle of a plot. */
static void plan_village(struct demo *d, struct pplan *p, int cx0, int cx1, int cy)
{
    double xa = cell_x(d, cx0), xb = cell_x(d, cx1 + 1), Y = cell_y(d, cy), yr = Y + VROW * UNIT_H;
    p->b = (struct zrect){xa, Y, xb, Y + CELL};
    pz_rect(d, p, pz_new(d, p, "R"), xa, yr + ROAD + 40, xb, Y + CELL);
    pz_rect(d, p, pz_new(d, p, "RM"), xa, yr + ROAD, xb, yr + ROAD + 40);
    pz_rect(d, p, pz_new(d, p, "KDL"), xa, yr, xb, yr + ROAD);
    pz_rect(d, p, pz_new(d, p, "RM"), xa, yr - 40, xb, yr);
    pz_rect(d, p, pz_new(d, p, "R"), xa, Y, xb, yr - 40);
    struct vside vs[2];
    village_layout(d, cx0, cy, vs);
    int k = vs[0].n / 3;
    double xc = round((vs[0].xs[k] + 0.4 * (vs[0].xs[k + 1] - vs[0].xs[k])) * 100) / 100;
    pz_paint(d, p, pz_new(d, p, "MN"), xc, yr + ROAD, xb, yr + ROAD + 40);
}

/* Units [i0, i0 + w) x [j0, j0 + h) are all on land, in the grid of p->set, of the allowed cell kinds, and
 * clear of the other plans. */
static bool plan_fits(struct demo *d, int set, int i0, int j0, int w, int h, unsigned kinds, const struct pplan *plans,
                      int nplans)
{
    for (int j = j0; j < j0 + h; j++)
        for (int i = i0; i < i0 + w; i++) {
            if (!unit_grid(d, set, i, j))
                return false;
            const struct cell *c = cell_at(d, i / UX, j / UY);
            if (c->land != LAND_FULL || !(kinds >> c->kind & 1))
                return false;
        }
    struct zrect r = {unit_x(d, i0), unit_y(d, j0), unit_x(d, i0 + w), unit_y(d, j0 + h)};
    for (int k = 0; k < nplans; k++) {
        const struct zrect *b = &plans[k].b;
        if (r.x0 < b->x1 + UNIT_W && r.x1 > b->x0 - UNIT_W && r.y0 < b->y1 + UNIT_H && r.y1 > b->y0 - UNIT_H)
            return false;
    }
    return true;
}

/* The fitting w x h unit window nearest to (x, y), trying the sizes in order. */
static bool plan_find(struct demo *d, int set, double x, double y, const int (*sizes)[2], int nsizes, unsigned kinds,
                      const struct pplan *plans, int nplans, int *oi, int *oj, int *ow, int *oh)
{
    for (int s = 0; s < nsizes; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        double best = INFINITY;
        for (int j = 0; j + h <= d->NJ; j++)
            for (int i = 0; i + w <= d->NI; i++) {
                double dd = dist2(unit_x(d, i) + w * UNIT_W / 2, unit_y(d, j) + h * UNIT_H / 2, x, y);
                if (dd < best && plan_fits(d, set, i, j, w, h, kinds, plans, nplans)) {
                    best = dd;
                    *oi = i, *oj = j, *ow = w, *oh = h;
                }
            }
        if (isfinite(best))
            return true;
    }
    return false;
}

static int pzone_cmp(const void *a, const void *b)
{
    const struct pzone *x = a, *y = b;
    if (x->top != y->top)
        return x->top > y->top ? -1 : 1;
    if (x->left != y->left)
        return x->left < y->left ? -1 : 1;
    return strcmp(x->def->symbol, y->def->symbol);
}

static GEOSGeometry *rects_union(struct demo *d, const struct zrect *r, int n)
{
    GEOSGeometry **parts = malloc((size_t)(n ? n : 1) * sizeof *parts);
    if (!parts) {
        oom(d);
        return NULL;
    }
    for (int k = 0; k < n; k++)
        parts[k] = g_rect(d, r[k].x0, r[k].y0, r[k].x1, r[k].y1);
    GEOSGeometry *u = g_union(d, parts, n);
    free(parts);
    return u;
}

static void plan_overlay(struct demo *d, struct pplan *p, const char *kind, double fx0, double fy0, double fx1,
                         double fy1)
{
    const struct overlay_def *o = overlay_def(d, kind);
    if (!o || p->nov >= 2)
        return;
    double w = p->b.x1 - p->b.x0, h = p->b.y1 - p->b.y0;
    p->ov[p->nov++] = (struct poverlay){
        o, {round(p->b.x0 + fx0 * w), round(p->b.y0 + fy0 * h), round(p->b.x0 + fx1 * w), round(p->b.y0 + fy1 * h)}};
}

/* Stores a built plan: the act, its zones (labelled per symbol from the north-west), overlays and the
 * provisions: general, then one per zone, then one per overlay. */
/* Drops the zones that got no rectangle, orders the rest from the north-west and labels them "1MN", "2MN",
 * "1U", ... */
static void plan_zones_label(struct pplan *p)
{
    int w = 0;
    for (int k = 0; k < p->nz; k++) {
        struct pzone *z = &p->z[k];
        if (!z->nr) {
            free(z->r);
            continue;
        }
        z->top = -INFINITY, z->left = INFINITY;
        for (int m = 0; m < z->nr; m++) {
            z->top = fmax(z->top, z->r[m].y1);
            z->left = fmin(z->left, z->r[m].x0);
        }
        p->z[w++] = *z;
    }
    p->nz = w;
    if (p->nz)
        qsort(p->z, (size_t)p->nz, sizeof *p->z, pzone_cmp);
    for (int k = 0; k < p->nz; k++) {
        int n = 1;
        for (int m = 0; m < k; m++)
            n += !strcmp(p->z[m].def->symbol, p->z[k].def->symbol);
        snprintf(p->z[k].label, sizeof p->z[k].label, "%d%s", n, p->z[k].def->symbol);
    }
}

/* Writes the plan's zones, each the union of its rectangles, with their parameters (NULL where a zone has
 * none), and gives them their row ids. */
static void plan_zones_insert(struct demo *d, struct pplan *p, sqlite3_int64 plan, sqlite3_stmt *zs)
{
    for (int k = 0; k < p->nz && !d->rc; k++) {
        struct pzone *z = &p->z[k];
        GEOSGeometry *u = rects_union(d, z->r, z->nr);
        if (!u || !wkb_geos(d, u)) {
            GEOSGeom_destroy_r(d->gh, u);
            fail(d, ERR_INTERNAL, "zone %s has no area", z->label);
            break;
        }
        GEOSGeom_destroy_r(d->gh, u);
        double vals[] = {z->h, z->storeys, z->imin, z->imax, z->cov, z->bio, z->area};
        sqlite3_bind_int64(zs, 1, plan);
        sqlite3_bind_text(zs, 2, z->label, -1, SQLITE_STATIC);
        sqlite3_bind_text(zs, 3, z->def->symbol, -1, SQLITE_STATIC);
        sqlite3_bind_text(zs, 4, z->def->name, -1, SQLITE_STATIC);
        for (int m = 0; m < 7; m++) {
            if (!isfinite(vals[m]))
                sqlite3_bind_null(zs, 5 + m);
            else if (m == 1)
                sqlite3_bind_int(zs, 5 + m, (int)vals[m]);
            else
                sqlite3_bind_double(zs, 5 + m, vals[m]);
        }
        if (z->def->roof[0])
            sqlite3_bind_text(zs, 12, z->def->roof, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(zs, 12);
        sqlite3_bind_blob(zs, 13, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
        if (sqlite3_step(zs) != SQLITE_DONE)
            sql_fail(d, "plan zone");
        sqlite3_reset(zs);
        z->id = sqlite3_last_insert_rowid(gis_store_db(d->st));
        d->stats->plan_zones++;
    }
}

/* Writes the plan's overlays, cut to its boundary, with their row ids to ov_id. */
static void plan_overlays_insert(struct demo *d, const struct pplan *p, sqlite3_int64 plan, sqlite3_stmt *os,
                                 sqlite3_int64 ov_id[2])
{
    for (int k = 0; k < p->nov && !d->rc; k++) {
        const struct zrect *r = &p->ov[k].r;
        wkb_rect(d, fmax(r->x0, p->b.x0), fmax(r->y0, p->b.y0), fmin(r->x1, p->b.x1), fmin(r->y1, p->b.y1));
        sqlite3_bind_int64(os, 1, plan);
        sqlite3_bind_text(os, 2, p->ov[k].def->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(os, 3, p->ov[k].def->label, -1, SQLITE_STATIC);
        sqlite3_bind_text(os, 4, p->ov[k].def->name, -1, SQLITE_STATIC);
        sqlite3_bind_blob(os, 5, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
        if (sqlite3_step(os) != SQLITE_DONE)
            sql_fail(d, "overlay");
        sqlite3_reset(os);
        ov_id[k] = sqlite3_last_insert_rowid(gis_store_db(d->st));
        d->stats->overlays++;
    }
}

/* The general provisions, with the list of symbols and overlays used in this plan. */
static void plan_provisions_general(struct demo *d, const struct pplan *p, sqlite3_int64 plan, const char *title,
                                    int scale, int *ord, int *para)
{
    struct sbuf sym = {0}, ovl = {0};
    int nsym = 0;
    for (int k = 0; k < p->nz; k++) {
        bool seen = false;
        for (int m = 0; m < k; m++)
            seen |= p->z[m].def == p->z[k].def;
        nsym += !seen;
    }
    for (int k = 0, m = 0; k < p->nz; k++) {
        bool seen = false;
        for (int q = 0; q < k; q++)
            seen |= p->z[q].def == p->z[k].def;
        if (!seen) {
            m++;
            sb_printf(d, &sym, "%s%d) %s, oznaczony na rysunku planu symbolem %s%s", m > 1 ? "\n" : "", m,
                      p->z[k].def->name, p->z[k].def->symbol, m == nsym ? "." : ";");
        }
    }
    for (int k = 0; k < p->nov; k++)
        sb_printf(d, &ovl, "%s%s (%s)", k ? ", " : "", p->ov[k].def->name, p->ov[k].def->label);
    char sc[16];
    snprintf(sc, sizeof sc, "%d", scale);
    char lower[320];
    snprintf(lower, sizeof lower, "%s", title);
    if (!strncmp(lower, "Miejscowy", 9))
        lower[0] = 'm';
    struct var gv[] = {{"title", lower}, {"scale", sc}, {"symbols", sym.p}, {"overlays", ovl.p}, {"rate", "30"}};
    if (!d->rc)
        prov_general(d, plan, "mpzp", gv, 5, ord, para);
    free(sym.p);
    free(ovl.p);
}

/* The detailed provisions of one zone: its section of the provision texts with the zone's parameters. */
static void plan_provisions_zone(struct demo *d, const struct pzone *z, sqlite3_int64 plan, struct sbuf *body, int *ord,
                                 int *para)
{
    char h[16], st[16], imin[16], imax[16], cov[16], bio[16], area[16], width[16], sect[32], head[96];
    struct var zv[] = {
        {"label", z->label},
        {"name", z->def->name},
        {"extra", z->def->extra[0] ? z->def->extra : NULL},
        {"height", pl_num(z->h, h, sizeof h)},
        {"storeys", pl_num(z->storeys, st, sizeof st)},
        {"imin", pl_num(z->imin, imin, sizeof imin)},
        {"imax", pl_num(z->imax, imax, sizeof imax)},
        {"cov", pl_num(z->cov, cov, sizeof cov)},
        {"bio", pl_num(z->bio, bio, sizeof bio)},
        {"roof", z->def->roof[0] ? z->def->roof : NULL},
        {"area", pl_num(z->area, area, sizeof area)},
        {"setback", !strcmp(z->def->symbol, "MW") || !strcmp(z->def->symbol, "P") ? "8" : "6"},
        {"width", pl_num(z->def->width, width, sizeof width)},
    };
    snprintf(sect, sizeof sect, "zone %s", z->def->category);
    snprintf(head, sizeof head, "§ %d. Ustalenia szczegółowe dla terenu %s", ++*para, z->label);
    sb_reset(body);
    prov_points(d, body, sect, zv, (int)(sizeof zv / sizeof *zv));
    prov_insert(d, plan, "zone", z->id, 0, ++*ord, head, body->p);
}

/* The plan's text: general provisions, then one paragraph per zone and per overlay. */
static void plan_provisions(struct demo *d, const struct pplan *p, sqlite3_int64 plan, const char *title, int scale,
                            const sqlite3_int64 ov_id[2])
{
    struct sbuf body = {0};
    int ord = 0, para = 0;
    plan_provisions_general(d, p, plan, title, scale, &ord, &para);
    for (int k = 0; k < p->nz && !d->rc; k++)
        plan_provisions_zone(d, &p->z[k], plan, &body, &ord, &para);
    for (int k = 0; k < p->nov && !d->rc; k++) {
        char sect[40], head[160];
        snprintf(sect, sizeof sect, "overlay %s", p->ov[k].def->kind);
        snprintf(head, sizeof head, "§ %d. Ustalenia dla obszaru %s", ++para, p->ov[k].def->label);
        struct var ov[] = {{"label", p->ov[k].def->label}};
        sb_reset(&body);
        prov_points(d, &body, sect, ov, 1);
        prov_insert(d, plan, "overlay", 0, ov_id[k], ++ord, head, body.p);
    }
    free(body.p);
}

/* One MPZP: the act, the plan row, its zones and overlays, and its text. */
static void plan_store(struct demo *d, struct pplan *p, int seq, const char *title, int scale)
{
    plan_zones_label(p);
    struct act a = {0};
    act_make(d, &a, "MPZP", 2005 + (int)text_rng_below(&d->rng, 19), 1 + (int)text_rng_below(&d->rng, 12),
             1 + (int)text_rng_below(&d->rng, 28), seq);
    GEOSGeometry *all = rects_union(d, &(struct zrect){p->b.x0, p->b.y0, p->b.x1, p->b.y1}, 1);
    sqlite3_int64 plan = all ? plan_insert(d, "mpzp", &a, title, scale, all) : 0;
    GEOSGeom_destroy_r(d->gh, all);
    sqlite3_stmt *zs = NULL, *os = NULL;
    if (!plan ||
        gis_store_prepare(d->st,
                          "INSERT INTO plan_zones (plan_id, label, symbol, name, max_height_m, "
                          "max_storeys, min_intensity, max_intensity, max_coverage_pct, min_bio_pct, "
                          "min_parcel_area_m2, roof, geom) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, GeomFromWKB(?, 2180))",
                          &zs, d->e) ||
        gis_store_prepare(d->st,
                          "INSERT INTO overlays (plan_id, kind, label, name, geom) "
                          "VALUES (?, ?, ?, ?, GeomFromWKB(?, 2180))",
                          &os, d->e)) {
        fail(d, ERR_IO, "prepare");
        sqlite3_finalize(zs);
        return;
    }
    sqlite3_int64 ov_id[2] = {0, 0};
    plan_zones_insert(d, p, plan, zs);
    plan_overlays_insert(d, p, plan, os, ov_id);
    sqlite3_finalize(zs);
    sqlite3_finalize(os);
    plan_provisions(d, p, plan, title, scale, ov_id);
}

static bool mpzp_make(struct demo *d)
{
    /* Plan sizes in units, largest first; each plan starts at a random one of the first three. */
    static const int centre_sizes[][2] = {{4, 4}, {5, 3}, {3, 4}, {3, 3}, {2, 2}};
    static const int estate_sizes[][2] = {{3, 4}, {4, 3}, {3, 3}, {2, 3}, {2, 2}};
    static const int industry_sizes[][2] = {{3, 3}, {4, 2}, {3, 2}, {2, 2}, {1, 2}};
    int first[3];
    for (int k = 0; k < 3; k++)
        first[k] = (int)text_rng_below(&d->rng, 3);
    const unsigned centre = 1u << CK_CENTRE | 1u << CK_TOWN | 1u << CK_PARK, estate = 1u << CK_TOWN | 1u << CK_ESTATE;
    struct pplan plans[MAX_PLANS];
    int np = 0;
    memset(plans, 0, sizeof plans);
    const struct settlement *town = &d->sets[0];
    int i0, j0, w, h;
    char title[320];
    const char *where = d->g.town ? "w mieście" : "we wsi";

    if (plan_find(d, 0, town->x, town->y, centre_sizes + first[0], 5 - first[0], centre, plans, np, &i0, &j0, &w, &h)) {
        struct pplan *p = &plans[np++];
        p->kind = PLAN_CENTRE;
        plan_grid(d, p, i0, j0, w, h);
        plan_overlay(d, p, "konserwatorska", 0.2, 0.3, 0.75, 0.92);
        double mx = (p->b.x0 + p->b.x1) / 2, my = (p->b.y0 + p->b.y1) / 2;
        if (river_dist(d, mx, my) < 3000)
            plan_overlay(d, p, "powodziowa", 0, 0, 0.3, 1);
        else
            plan_overlay(d, p, "archeologiczna", 0.55, 0, 1, 0.4);
        snprintf(title, sizeof title, "Miejscowy plan zagospodarowania przestrzennego %s %s",
                 d->g.town ? "śródmieścia miasta" : "centrum wsi", town->name);
        plan_store(d, p, np, title, chance(&d->rng, 0.4) ? 500 : 1000);
    }
    /* An estate at middle distance from the centre. */
    struct ranked *r = rank_cells(d, 0, 0);
    int ntown = 0;
    for (int k = 0; r && k < d->ncx * d->ncy; k++)
        if (d->cells[r[k].idx].set == 0 && d->cells[r[k].idx].kind == CK_TOWN)
            r[ntown++] = r[k];
    if (ntown && !d->rc) {
        int t = r[ntown * 3 / 5].idx;
        double tx = cell_x(d, t % d->ncx) + CELL / 2, ty = cell_y(d, t / d->ncx) + CELL / 2;
        if (plan_find(d, 0, tx, ty, estate_sizes + first[1], 5 - first[1], estate, plans, np, &i0, &j0, &w, &h)) {
            struct pplan *p = &plans[np++];
            p->kind = PLAN_ESTATE;
            plan_grid(d, p, i0, j0, w, h);
            plan_overlay(d, p, "ujecie", 0, 0, 0.6, 0.55);
            snprintf(title, sizeof title, "Miejscowy plan zagospodarowania przestrzennego osiedla „%s” %s %s",
                     d->estates[text_rng_below(&d->rng, (unsigned)d->nestates)], where, town->name);
            plan_store(d, p, np, title, 1000);
        }
    }
    free(r);
    for (int k = 0; k < d->ncx * d->ncy && !d->rc; k++) {
        if (d->cells[k].kind != CK_INDUSTRY || d->cells[k].land != LAND_FULL)
            continue;
        double tx = cell_x(d, k % d->ncx) + CELL / 2, ty = cell_y(d, k / d->ncx) + CELL / 2;
        if (plan_find(d, 0, tx, ty, industry_sizes + first[2], 5 - first[2], 1u << CK_INDUSTRY, plans, np, &i0, &j0, &w,
                      &h)) {
            struct pplan *p = &plans[np++];
            p->kind = PLAN_INDUSTRY;
            plan_grid(d, p, i0, j0, w, h);
            plan_overlay(d, p, "archeologiczna", 0.3, 0, 1, 0.5);
            snprintf(title, sizeof title,
                     "Miejscowy plan zagospodarowania przestrzennego terenów aktywności gospodarczej „%s” %s %s",
                     d->estates[text_rng_below(&d->rng, (unsigned)d->nestates)], where, town->name);
            plan_store(d, p, np, title, 2000);
        }
        break;
    }
    /* The village with the longest street on full land gets a plan over one or two of its cells. */
    int best = -1, bcx = 0, bcy = 0, bn = 0;
    for (int s = 1; s < d->nsets; s++) {
        const struct settlement *v = &d->sets[s];
        if (!v->have)
            continue;
        for (int cx = 0; cx < d->ncx; cx++) {
            int n = 0;
            while (n < 2) {
                const struct cell *c = cell_at(d, cx + n, v->ccy);
                if (!c || c->set != s || c->kind != CK_VILLAGE || c->land != LAND_FULL)
                    break;
                n++;
            }
            if (n > bn)
                best = s, bcx = cx, bcy = v->ccy, bn = n;
        }
    }
    if (best > 0 && np < MAX_PLANS && !d->rc) {
        struct pplan *p = &plans[np++];
        p->kind = PLAN_VILLAGE;
        p->set = best;
        plan_village(d, p, bcx, bcx + bn - 1, bcy);
        plan_overlay(d, p, "archeologiczna", 0.1, 0.3, 0.5, 0.7);
        snprintf(title, sizeof title, "Miejscowy plan zagospodarowania przestrzennego części obrębu %s",
                 d->sets[best].name);
        plan_store(d, p, np, title, 1000);
    }
    for (int k = 0; k < np; k++)
        pplan_free(&plans[k]);
    progress(d, "plans", 1);
    return !d->rc;
}

/* ---- the whole store ---- */

/* Removes the WAL and shared-memory files of a store, which must not outlive the store they belong to. */
static void remove_journals(const char *path)
{
    size_t n = strlen(path) + 8;
    char *p = malloc(n);
    if (!p)
        return;
    snprintf(p, n, "%s-wal", path);
    unlink(p);
    snprintf(p, n, "%s-shm", path);
    unlink(p);
    free(p);
}

static void remove_store(const char *path)
{
    unlink(path);
    remove_journals(path);
}

static bool meta_make(struct demo *d)
{
    char seed[32], scale[16];
    snprintf(seed, sizeof seed, "%llu", d->seed);
    snprintf(scale, sizeof scale, "%d", d->scale);
    if (gis_store_meta_set(d->st, "tenant", d->t->slug, d->e) || gis_store_meta_set(d->st, "teryt", d->g.teryt, d->e) ||
        gis_store_meta_set(d->st, "demo_seed", seed, d->e) || gis_store_meta_set(d->st, "demo_scale", scale, d->e) ||
        gis_store_meta_set(d->st, "created_by", "odra demo", d->e))
        return fail(d, ERR_IO, "meta");
    return true;
}

/* The raster drawing of one MPZP per gmina (the smallest at 1:1000): the gminas hold their plan drawings as
 * scans, so the demo has one too, to exercise the wyrys on a raster. It is the plan rendered in PL-2000
 * zone 5 (EPSG:2176, so the wyrys reprojects it) at 0.3 m per pixel on paper tone, with a frame and a
 * title block, as a DEFLATE GeoTIFF. */
static bool drawings_make(struct demo *d)
{
    const struct gis_style *st = gis_extract_style();
    if (!st)
        return fail(d, ERR_INTERNAL, "the plan style does not load");
    sqlite3_stmt *q;
    if (gis_store_prepare(d->st,
                          "SELECT id FROM plans WHERE kind = 'mpzp' AND coalesce(scale, 1000) = 1000 "
                          "ORDER BY ST_Area(geom), id LIMIT 1",
                          &q, d->e))
        return fail(d, ERR_IO, "drawings");
    long plan = sqlite3_step(q) == SQLITE_ROW ? (long)sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    if (!plan)
        return true;
    struct buf tif = {0};
    long scale = 1000;
    bool ok = gis_drawing_scan(d->st, st, plan, GIS_CRS_2176, 0.3, &tif, &scale, d->e) == ERR_OK &&
              gis_drawing_add(d->st, plan, "rysunek-planu.tif", tif.data, tif.len, scale, 2176, NULL, d->e) == ERR_OK;
    buf_free(&tif);
    progress(d, "drawings", 1);
    if (ok)
        return true;
    char msg[300];
    snprintf(msg, sizeof msg, "%s", d->e ? d->e->msg : "");
    return fail(d, d->e && d->e->code ? d->e->code : ERR_INTERNAL, "plan drawing: %s", msg);
}

static bool fill(struct demo *d)
{
    if (gis_store_prepare(d->st,
                          "INSERT INTO parcels (parcel_id, obreb_id, number, area_m2, land_use, geom) "
                          "VALUES (?, ?, ?, ?, ?, GeomFromWKB(?, 2180))",
                          &d->ins_parcel, d->e) ||
        gis_store_prepare(d->st,
                          "INSERT INTO buildings (building_id, function, storeys, geom) "
                          "VALUES (?, ?, ?, GeomFromWKB(?, 2180))",
                          &d->ins_building, d->e) ||
        gis_store_prepare(d->st,
                          "INSERT INTO addresses (locality_id, street_id, number, postal_code, parcel_id, geom) "
                          "VALUES (?, ?, ?, ?, ?, MakePoint(?, ?, 2180))",
                          &d->ins_address, d->e) ||
        gis_store_prepare(d->st,
                          "INSERT INTO provisions (plan_id, scope, zone_id, overlay_id, ord, heading, body) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)",
                          &d->ins_prov, d->e))
        return fail(d, ERR_IO, "prepare");
    progress(d, "land", 0);
    return world_setup(d) && settlements_place(d) && land_use(d) && obreby_make(d) && localities_make(d) &&
           parcels_make(d) && streets_make(d) && addresses_make(d) && landcover_make(d) && pog_make(d) &&
           mpzp_make(d) && drawings_make(d) && meta_make(d);
}

static void demo_free(struct demo *d)
{
    if (d->cells)
        for (int k = 0; k < d->ncx * d->ncy; k++)
            GEOSGeom_destroy_r(d->gh, d->cells[k].piece);
    free(d->cells);
    for (int s = 0; s < d->nsets; s++) {
        for (int k = 0; k < d->sets[s].nlines; k++)
            free(d->sets[s].lines[k].seg);
        free(d->sets[s].lines);
        free(d->sets[s].line_of);
    }
    free(d->sets);
    free(d->obr);
    free(d->addrs);
    free(d->wkb);
    free(d->vil);
    free(d->streets);
    free(d->zdefs);
    free(d->pdefs);
    free(d->odefs);
    if (d->gh) {
        if (d->prep)
            GEOSPreparedGeom_destroy_r(d->gh, d->prep);
        GEOSGeom_destroy_r(d->gh, d->area);
        GEOSGeom_destroy_r(d->gh, d->river_poly);
        GEOS_finish_r(d->gh);
    }
    proj_destroy(d->pj);
    if (d->pc)
        proj_context_destroy(d->pc);
    free(d);
}

enum err_code gis_demo_create(const char *path, const struct config_tenant *t, int scale, unsigned long long seed,
                              gis_demo_progress_fn progress_fn, void *user, struct gis_demo_stats *stats, struct err *e)
{
    struct gis_demo_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!path || !*path || !t)
        return err_set(e, ERR_INVALID, "demo: no store path or tenant");
    if (scale < 1 || scale > 100)
        return err_param(e, "scale", "demo: scale must be between 1 and 100, not %d", scale);
    struct demo *d = calloc(1, sizeof *d);
    if (!d)
        return err_set(e, ERR_INTERNAL, "out of memory");
    d->t = t;
    d->scale = scale;
    d->seed = seed;
    d->progress = progress_fn;
    d->user = user;
    d->stats = stats;
    d->e = e;
    if (!load_gmina(d, t->teryt)) {
        enum err_code rc = d->rc;
        demo_free(d);
        return rc ? rc
                  : err_param(e, "teryt", "demo: TERYT %s (%s) is not one of the five demo gminas of powiat słubicki",
                              t->teryt, t->slug);
    }
    d->key = mix(seed ^ mix(strtoull(d->g.teryt, NULL, 10) + 0x5eed));
    d->rng.state = mix(d->key + 1);
    d->gh = GEOS_init_r();
    if (!d->gh) {
        demo_free(d);
        return err_set(e, ERR_INTERNAL, "GEOS initialisation failed");
    }
    GEOSContext_setErrorMessageHandler_r(d->gh, geos_message, d);

    size_t n = strlen(path) + 8;
    char *tmp = malloc(n);
    if (!tmp) {
        demo_free(d);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    snprintf(tmp, n, "%s.tmp", path);
    remove_store(tmp);
    if (load_tables(d) && gis_store_open(tmp, GIS_STORE_CREATE, &d->st, e) == ERR_OK) {
        /* The file is private until the rename, so it needs no journal and no syncs while it is filled. */
        if (gis_store_exec(d->st, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", e) ||
            gis_store_begin(d->st, e))
            fail(d, ERR_IO, "begin");
        else if (fill(d) && gis_store_commit(d->st, e) == ERR_OK)
            progress(d, "finishing", 1);
        else
            fail(d, ERR_IO, "commit");
        sqlite3_finalize(d->ins_parcel);
        sqlite3_finalize(d->ins_building);
        sqlite3_finalize(d->ins_address);
        sqlite3_finalize(d->ins_prov);
        if (!d->rc && gis_store_exec(d->st, "PRAGMA journal_mode = WAL", e))
            fail(d, ERR_IO, "journal mode");
        gis_store_close(d->st);
    } else if (!d->rc) {
        d->rc = e && e->code ? e->code : ERR_IO;
    }
    enum err_code rc = d->rc;
    if (!rc) {
        remove_journals(path);
        if (rename(tmp, path) != 0)
            rc = err_set(e, ERR_IO, "demo: cannot rename %s to %s", tmp, path);
    }
    if (rc)
        remove_store(tmp);
    free(tmp);
    demo_free(d);
    return rc;
}
