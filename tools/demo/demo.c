/* Demo data: a deterministic, realistic store for one gmina of powiat słubicki.
 *
 * The gmina is a rectangle of 480 m land-use cells in EPSG:2180, cut on the west by the Odra. Each cell
 * gets a kind (town street grid, village street, field, forest, meadow, ...) and a generator that tiles
 * it with parcels, so parcels cover the whole gmina, POG zones are unions of cells and MPZP zones are
 * unions of rectangles that share the parcels' coordinates. Layouts are pure functions of the seed and
 * the position, which lets the plan builder recompute the parcels that a zone boundary has to cut. */
#include "tools/demo/demo_int.h"

/* ---- errors ---- */

bool demo_fail(struct demo *d, enum err_code code, const char *fmt, ...)
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

bool demo_sql_fail(struct demo *d, const char *what)
{
    return demo_fail(d, ERR_IO, "%s: %s", what, sqlite3_errmsg(gis_store_db(d->st)));
}

bool demo_oom(struct demo *d)
{
    return demo_fail(d, ERR_INTERNAL, "out of memory");
}

static void geos_message(const char *msg, void *user)
{
    struct demo *d = user;
    if (!d->geos_msg[0])
        snprintf(d->geos_msg, sizeof d->geos_msg, "%s", msg);
}

bool demo_geos_fail(struct demo *d, const char *what)
{
    return demo_fail(d, ERR_INTERNAL, "GEOS %s failed: %s", what, d->geos_msg[0] ? d->geos_msg : "no message");
}

void *demo_grow(struct demo *d, void *p, int *cap, int need, size_t size)
{
    if (need <= *cap)
        return p;
    int n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(p, (size_t)n * size);
    if (!q) {
        demo_oom(d);
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

struct text_rng demo_rng_at(const struct demo *d, long a, long b, int salt)
{
    return (struct text_rng){hkey(d, a, b, salt)};
}

double demo_unit01(const struct demo *d, long a, long b, int salt)
{
    return (double)(hkey(d, a, b, salt) >> 11) / 9007199254740992.0;
}

bool demo_chance(struct text_rng *r, double p)
{
    return text_rng_uniform(r, 0, 1) < p;
}

/* Splits [a, b] into n pieces of random width (each within ±spread of the mean), rounded to 1 cm. */
void demo_partition(struct text_rng *r, double a, double b, int n, double spread, double *xs)
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
        return demo_oom(d);
    d->wkb = p;
    d->wkb_cap = cap;
    return true;
}

void demo_wkb_u32(struct demo *d, uint32_t v)
{
    if (wkb_need(d, 4)) {
        memcpy(d->wkb + d->wkb_len, &v, 4);
        d->wkb_len += 4;
    }
}

void demo_wkb_xy(struct demo *d, double x, double y)
{
    if (wkb_need(d, 16)) {
        memcpy(d->wkb + d->wkb_len, &x, 8);
        memcpy(d->wkb + d->wkb_len + 8, &y, 8);
        d->wkb_len += 16;
    }
}

void demo_wkb_header(struct demo *d, uint32_t type)
{
    const uint16_t one = 1;
    unsigned char little = *(const unsigned char *)&one;
    if (wkb_need(d, 1))
        d->wkb[d->wkb_len++] = little;
    demo_wkb_u32(d, type);
}

static void wkb_rect_polygon(struct demo *d, double x0, double y0, double x1, double y1)
{
    demo_wkb_header(d, 3);
    demo_wkb_u32(d, 1);
    demo_wkb_u32(d, 5);
    demo_wkb_xy(d, x0, y0);
    demo_wkb_xy(d, x1, y0);
    demo_wkb_xy(d, x1, y1);
    demo_wkb_xy(d, x0, y1);
    demo_wkb_xy(d, x0, y0);
}

void demo_wkb_rect(struct demo *d, double x0, double y0, double x1, double y1)
{
    d->wkb_len = 0;
    demo_wkb_header(d, 6);
    demo_wkb_u32(d, 1);
    wkb_rect_polygon(d, x0, y0, x1, y1);
}

int demo_geos_npolys(struct demo *d, const GEOSGeometry *g)
{
    int type = GEOSGeomTypeId_r(d->gh, g);
    if (type == GEOS_POLYGON)
        return !GEOSisEmpty_r(d->gh, g);
    if (type != GEOS_MULTIPOLYGON && type != GEOS_GEOMETRYCOLLECTION)
        return 0;
    int n = 0, parts = GEOSGetNumGeometries_r(d->gh, g);
    for (int k = 0; k < parts; k++)
        n += demo_geos_npolys(d, GEOSGetGeometryN_r(d->gh, g, k));
    return n;
}

static void wkb_ring(struct demo *d, const GEOSGeometry *ring)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(d->gh, ring);
    unsigned n = 0;
    GEOSCoordSeq_getSize_r(d->gh, cs, &n);
    demo_wkb_u32(d, n);
    for (unsigned k = 0; k < n; k++) {
        double x = 0, y = 0;
        GEOSCoordSeq_getXY_r(d->gh, cs, k, &x, &y);
        demo_wkb_xy(d, x, y);
    }
}

static void wkb_geos_parts(struct demo *d, const GEOSGeometry *g)
{
    int type = GEOSGeomTypeId_r(d->gh, g);
    if (type == GEOS_POLYGON && !GEOSisEmpty_r(d->gh, g)) {
        int holes = GEOSGetNumInteriorRings_r(d->gh, g);
        demo_wkb_header(d, 3);
        demo_wkb_u32(d, (uint32_t)holes + 1);
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
bool demo_wkb_geos(struct demo *d, const GEOSGeometry *g)
{
    d->wkb_len = 0;
    int n = demo_geos_npolys(d, g);
    if (n == 0)
        return false;
    demo_wkb_header(d, 6);
    demo_wkb_u32(d, (uint32_t)n);
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
        return demo_fail(d, ERR_INTERNAL, "%s is not compiled in", name);
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

void demo_copy(char *dst, size_t cap, const char *s)
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
        demo_copy(g->teryt, sizeof g->teryt, t.f[0]);
        demo_copy(g->name, sizeof g->name, t.f[1]);
        g->lat = num(t.f[2]);
        g->lon = num(t.f[3]);
        g->south = num(t.f[4]);
        g->north = num(t.f[5]);
        g->west_odra = !strcmp(t.f[6], "odra");
        g->west = g->west_odra ? NAN : num(t.f[6]);
        g->east = num(t.f[7]);
        demo_copy(g->postal, sizeof g->postal, t.f[8]);
        demo_copy(g->council, sizeof g->council, t.f[9]);
        g->zippzp = atoi(t.f[10]);
        g->town = !strcmp(t.f[11], "miasto");
        g->seat_cells = atoi(t.f[12]);
        g->forest_pct = atoi(t.f[13]);
        demo_copy(g->main[0], sizeof g->main[0], t.f[14]);
        demo_copy(g->main[1], sizeof g->main[1], t.f[15]);
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
        if (!(d->vil = demo_grow(d, d->vil, &cap, d->nvil + 1, sizeof *d->vil)))
            return false;
        struct village_def *v = &d->vil[d->nvil++];
        demo_copy(v->name, sizeof v->name, t.f[1]);
        v->lat = num(t.f[2]);
        v->lon = num(t.f[3]);
        v->cells = atoi(t.f[4]);
        demo_copy(v->postal, sizeof v->postal, strcmp(t.f[5], "-") ? t.f[5] : d->g.postal);
    }
    cap = 0;
    if (!tsv_open(d, &t, "data/demo/streets.txt"))
        return false;
    while (tsv_next(&t)) {
        if (t.n < 2 || !(d->streets = demo_grow(d, d->streets, &cap, d->nstreets + 1, sizeof *d->streets)))
            continue;
        demo_copy(d->streets[d->nstreets].prefix, sizeof d->streets->prefix, t.f[0]);
        demo_copy(d->streets[d->nstreets++].name, sizeof d->streets->name, t.f[1]);
    }
    cap = 0;
    if (!tsv_open(d, &t, "data/demo/zones.tsv"))
        return false;
    while (tsv_next(&t)) {
        if (t.n < 13 || !(d->zdefs = demo_grow(d, d->zdefs, &cap, d->nzdefs + 1, sizeof *d->zdefs)))
            continue;
        struct zone_def *z = &d->zdefs[d->nzdefs++];
        demo_copy(z->symbol, sizeof z->symbol, t.f[0]);
        demo_copy(z->category, sizeof z->category, t.f[1]);
        demo_copy(z->name, sizeof z->name, t.f[2]);
        z->h = num(t.f[3]);
        z->storeys = num(t.f[4]);
        z->imin = num(t.f[5]);
        z->imax = num(t.f[6]);
        z->cov = num(t.f[7]);
        z->bio = num(t.f[8]);
        z->area = num(t.f[9]);
        demo_copy(z->roof, sizeof z->roof, strcmp(t.f[10], "-") ? t.f[10] : "");
        z->width = num(t.f[11]);
        demo_copy(z->extra, sizeof z->extra, strcmp(t.f[12], "-") ? t.f[12] : "");
    }
    cap = 0;
    if (!tsv_open(d, &t, "data/demo/pog.tsv"))
        return false;
    while (tsv_next(&t)) {
        if (t.n < 6 || !(d->pdefs = demo_grow(d, d->pdefs, &cap, d->npdefs + 1, sizeof *d->pdefs)))
            continue;
        struct pog_def *p = &d->pdefs[d->npdefs++];
        demo_copy(p->symbol, sizeof p->symbol, t.f[0]);
        demo_copy(p->name, sizeof p->name, t.f[1]);
        p->intensity = num(t.f[2]);
        p->cov = num(t.f[3]);
        p->h = num(t.f[4]);
        p->bio = num(t.f[5]);
    }
    cap = 0;
    if (!tsv_open(d, &t, "data/demo/overlays.tsv"))
        return false;
    while (tsv_next(&t)) {
        if (t.n < 3 || !(d->odefs = demo_grow(d, d->odefs, &cap, d->nodefs + 1, sizeof *d->odefs)))
            continue;
        struct overlay_def *o = &d->odefs[d->nodefs++];
        demo_copy(o->kind, sizeof o->kind, t.f[0]);
        demo_copy(o->label, sizeof o->label, t.f[1]);
        demo_copy(o->name, sizeof o->name, t.f[2]);
    }
    if (!tsv_open(d, &t, "data/demo/estates.txt"))
        return false;
    while (tsv_next(&t) && d->nestates < 16)
        demo_copy(d->estates[d->nestates++], sizeof d->estates[0], t.f[0]);
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
        return demo_fail(d, ERR_INTERNAL, "demo data files are incomplete");
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
    demo_fail(d, ERR_INTERNAL, "%s %s missing from data/demo/%s", what, key, file);
    return NULL;
}

const struct zone_def *demo_zone_def(struct demo *d, const char *symbol)
{
    return def_find(d, d->zdefs, d->nzdefs, sizeof *d->zdefs, offsetof(struct zone_def, symbol), symbol, "zone symbol",
                    "zones.tsv");
}

const struct pog_def *demo_pog_def(struct demo *d, const char *symbol)
{
    return def_find(d, d->pdefs, d->npdefs, sizeof *d->pdefs, offsetof(struct pog_def, symbol), symbol, "POG symbol",
                    "pog.tsv");
}

const struct overlay_def *demo_overlay_def(struct demo *d, const char *kind)
{
    return def_find(d, d->odefs, d->nodefs, sizeof *d->odefs, offsetof(struct overlay_def, kind), kind, "overlay",
                    "overlays.tsv");
}

/* ---- geometry helpers ---- */

double demo_cell_x(const struct demo *d, int cx)
{
    return d->X0 + cx * CELL;
}

double demo_cell_y(const struct demo *d, int cy)
{
    return d->Y0 + cy * CELL;
}

double demo_unit_x(const struct demo *d, int i)
{
    return d->X0 + i * UNIT_W;
}

double demo_unit_y(const struct demo *d, int j)
{
    return d->Y0 + j * UNIT_H;
}

struct cell *demo_cell_at(struct demo *d, int cx, int cy)
{
    if (cx < 0 || cy < 0 || cx >= d->ncx || cy >= d->ncy)
        return NULL;
    return &d->cells[cy * d->ncx + cx];
}

GEOSGeometry *demo_g_rect(struct demo *d, double x0, double y0, double x1, double y1)
{
    GEOSGeometry *g = GEOSGeom_createRectangle_r(d->gh, x0, y0, x1, y1);
    if (!g)
        demo_geos_fail(d, "rectangle");
    return g;
}

/* True when the rectangle lies wholly on the gmina's land. */
bool demo_rect_on_land(struct demo *d, double x0, double y0, double x1, double y1)
{
    GEOSGeometry *r = demo_g_rect(d, x0, y0, x1, y1);
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
    return demo_g_rect(d, demo_cell_x(d, k % d->ncx), demo_cell_y(d, k / d->ncx), demo_cell_x(d, k % d->ncx + 1),
                       demo_cell_y(d, k / d->ncx + 1));
}

/* Unions n geometries, taking ownership of them. Returns NULL (and fails) on error. */
GEOSGeometry *demo_g_union(struct demo *d, GEOSGeometry **parts, int n)
{
    if (n == 0) {
        demo_fail(d, ERR_INTERNAL, "union of nothing");
        return NULL;
    }
    for (int k = 0; k < n; k++)
        if (!parts[k]) {
            for (int m = 0; m < n; m++)
                GEOSGeom_destroy_r(d->gh, parts[m]);
            demo_geos_fail(d, "geometry");
            return NULL;
        }
    GEOSGeometry *coll = GEOSGeom_createCollection_r(d->gh, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
    if (!coll) {
        demo_geos_fail(d, "collection");
        return NULL;
    }
    GEOSGeometry *u = GEOSUnaryUnion_r(d->gh, coll);
    GEOSGeom_destroy_r(d->gh, coll);
    if (!u)
        demo_geos_fail(d, "union");
    return u;
}

/* Union of the land parts of the cells whose index is in idx. */
GEOSGeometry *demo_cells_union(struct demo *d, const int *idx, int n)
{
    GEOSGeometry **parts = malloc((size_t)(n ? n : 1) * sizeof *parts);
    if (!parts) {
        demo_oom(d);
        return NULL;
    }
    for (int k = 0; k < n; k++)
        parts[k] = cell_geom(d, &d->cells[idx[k]]);
    GEOSGeometry *u = demo_g_union(d, parts, n);
    free(parts);
    return u;
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
        return demo_fail(d, ERR_IO, "meta");
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
        return demo_fail(d, ERR_INTERNAL, "the plan style does not load");
    sqlite3_stmt *q;
    if (gis_store_prepare(d->st,
                          "SELECT id FROM plans WHERE kind = 'mpzp' AND coalesce(scale, 1000) = 1000 "
                          "AND amends_plan_id IS NULL AND valid_to IS NULL ORDER BY ST_Area(geom), id LIMIT 1",
                          &q, d->e))
        return demo_fail(d, ERR_IO, "drawings");
    long plan = sqlite3_step(q) == SQLITE_ROW ? (long)sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    if (!plan)
        return true;
    struct buf tif = {0};
    long scale = 1000;
    bool ok = gis_drawing_scan(d->st, st, plan, GIS_CRS_2176, 0.3, &tif, &scale, d->e) == ERR_OK &&
              gis_drawing_add(d->st, plan, "rysunek-planu.tif", tif.data, tif.len, scale, 2176, NULL, d->e) == ERR_OK;
    buf_free(&tif);
    demo_progress(d, "drawings", 1);
    if (ok)
        return true;
    char msg[300];
    snprintf(msg, sizeof msg, "%s", d->e ? d->e->msg : "");
    return demo_fail(d, d->e && d->e->code ? d->e->code : ERR_INTERNAL, "plan drawing: %s", msg);
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
        return demo_fail(d, ERR_IO, "prepare");
    demo_progress(d, "land", 0);
    return demo_world_setup(d) && demo_settlements_place(d) && demo_land_use(d) && demo_obreby_make(d) &&
           demo_localities_make(d) && demo_parcels_make(d) && demo_streets_make(d) && demo_addresses_make(d) &&
           demo_landcover_make(d) && demo_pog_make(d) && demo_mpzp_make(d) && drawings_make(d) && meta_make(d);
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
            demo_fail(d, ERR_IO, "begin");
        else if (fill(d) && gis_store_commit(d->st, e) == ERR_OK)
            demo_progress(d, "finishing", 1);
        else
            demo_fail(d, ERR_IO, "commit");
        sqlite3_finalize(d->ins_parcel);
        sqlite3_finalize(d->ins_building);
        sqlite3_finalize(d->ins_address);
        sqlite3_finalize(d->ins_prov);
        if (!d->rc && gis_store_exec(d->st, "PRAGMA journal_mode = WAL", e))
            demo_fail(d, ERR_IO, "journal mode");
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
