/* Demo data: the world (projection, the gmina rectangle, the Odra, land cells), settlements, land use,
 * obręby and localities. */
#include "tools/demo/demo_int.h"

/* ---- the world: projection, gmina rectangle, the Odra, land cells ---- */

static bool ll_to_xy(struct demo *d, double lat, double lon, double *x, double *y)
{
    PJ_COORD c = proj_trans(d->pj, PJ_FWD, proj_coord(lon, lat, 0, 0));
    if (!isfinite(c.xy.x) || !isfinite(c.xy.y))
        return demo_fail(d, ERR_INTERNAL, "PROJ cannot transform %.3f, %.3f to EPSG:2180", lat, lon);
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

double demo_river_dist(const struct demo *d, double x, double y)
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

bool demo_world_setup(struct demo *d)
{
    d->pc = proj_context_create();
    if (!d->pc)
        return demo_oom(d);
    proj_log_level(d->pc, PJ_LOG_NONE);
    PJ *p = proj_create_crs_to_crs(d->pc, "EPSG:4326", "EPSG:2180", NULL);
    d->pj = p ? proj_normalize_for_visualization(d->pc, p) : NULL;
    proj_destroy(p);
    if (!d->pj)
        return demo_fail(d, ERR_INTERNAL,
                         "PROJ: no transformation from EPSG:4326 to EPSG:2180 (is proj-data installed?)");
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
        return demo_fail(d, ERR_INTERNAL, "implausible gmina extent %d x %d cells", d->ncx, d->ncy);

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
    GEOSGeometry *rect = demo_g_rect(d, d->X0, d->Y0, demo_cell_x(d, d->ncx), demo_cell_y(d, d->ncy));
    GEOSGeometry *wide = demo_g_rect(d, d->X0 - 5000, d->Y0, demo_cell_x(d, d->ncx), demo_cell_y(d, d->ncy));
    d->area = wside && rect ? GEOSDifference_r(d->gh, rect, wside) : NULL;
    GEOSGeometry *riv = water && wide ? GEOSIntersection_r(d->gh, water, wide) : NULL;
    if (riv && demo_geos_npolys(d, riv) > 0)
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
        return demo_geos_fail(d, "gmina area");

    d->cells = calloc((size_t)d->ncx * (size_t)d->ncy, sizeof *d->cells);
    if (!d->cells)
        return demo_oom(d);
    for (int cy = 0; cy < d->ncy; cy++)
        for (int cx = 0; cx < d->ncx; cx++) {
            struct cell *c = demo_cell_at(d, cx, cy);
            c->set = -1;
            c->obreb = -1;
            GEOSGeometry *r =
                demo_g_rect(d, demo_cell_x(d, cx), demo_cell_y(d, cy), demo_cell_x(d, cx + 1), demo_cell_y(d, cy + 1));
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
                    return demo_geos_fail(d, "cell clip");
                }
                if (a >= 1 && demo_geos_npolys(d, piece) > 0) {
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

double demo_dist2(double ax, double ay, double bx, double by)
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
        double dd = demo_dist2(x, y, demo_cell_x(d, k % d->ncx) + CELL / 2, demo_cell_y(d, k / d->ncx) + CELL / 2);
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

static int ranked_cmp(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : x->idx - y->idx;
}

/* Land cells ordered by distance from settlement s, made irregular by a little noise. */
struct ranked *demo_rank_cells(struct demo *d, int s, double noise)
{
    int n = d->ncx * d->ncy;
    struct ranked *r = malloc((size_t)n * sizeof *r);
    if (!r) {
        demo_oom(d);
        return NULL;
    }
    for (int k = 0; k < n; k++) {
        double x = demo_cell_x(d, k % d->ncx) + CELL / 2, y = demo_cell_y(d, k / d->ncx) + CELL / 2;
        r[k].key = sqrt(demo_dist2(x, y, d->sets[s].x, d->sets[s].y)) + noise * CELL * demo_unit01(d, k, s, 11);
        r[k].idx = k;
    }
    qsort(r, (size_t)n, sizeof *r, ranked_cmp);
    return r;
}

bool demo_settlements_place(struct demo *d)
{
    d->nsets = d->nvil + 1;
    d->sets = calloc((size_t)d->nsets, sizeof *d->sets);
    if (!d->sets)
        return demo_oom(d);
    for (int s = 0; s < d->nsets; s++) {
        struct settlement *st = &d->sets[s];
        const struct village_def *v = s ? &d->vil[s - 1] : NULL;
        demo_copy(st->name, sizeof st->name, v ? v->name : d->g.name);
        demo_copy(st->postal, sizeof st->postal, v ? v->postal : d->g.postal);
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
            return demo_oom(d);
        for (int k = 0; k < d->NJ + d->NI; k++)
            st->line_of[k] = -1;
    }

    /* The seat's centre first, then the village streets, then the seat grows around its centre. */
    struct settlement *town = &d->sets[0];
    int k = nearest_free(d, town->x, town->y, 0.2);
    if (k < 0)
        return demo_fail(d, ERR_INTERNAL, "no land for %s", town->name);
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
            struct cell *c = demo_cell_at(d, cx, v->ccy);
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
    struct ranked *r = demo_rank_cells(d, 0, 0.8);
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
            return demo_oom(d);
        }
        for (int s = 1; s < d->nsets && !d->rc; s++)
            if (d->sets[s].have)
                rv[s] = demo_rank_cells(d, s, 0.5);
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
    double a = demo_unit01(d, ix, iy, salt), b = demo_unit01(d, ix + 1, iy, salt);
    double c = demo_unit01(d, ix, iy + 1, salt), e = demo_unit01(d, ix + 1, iy + 1, salt);
    return (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + e * tx) * ty;
}

static int double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

bool demo_land_use(struct demo *d)
{
    int n = d->ncx * d->ncy;
    /* The seat: centre, park, industry and infrastructure cells among its street grid. */
    int *own = malloc((size_t)n * sizeof *own), nown = 0;
    if (!own)
        return demo_oom(d);
    const struct settlement *town = &d->sets[0];
    for (int k = 0; k < n; k++)
        if (d->cells[k].set == 0)
            own[nown++] = k;
    struct ranked *r = malloc((size_t)(nown ? nown : 1) * sizeof *r);
    if (!r) {
        free(own);
        return demo_oom(d);
    }
    for (int m = 0; m < nown; m++) {
        r[m].idx = own[m];
        r[m].key = demo_dist2(demo_cell_x(d, own[m] % d->ncx) + CELL / 2, demo_cell_y(d, own[m] / d->ncx) + CELL / 2,
                              town->x, town->y);
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
            double dd = demo_dist2(r[m].idx % d->ncx, r[m].idx / d->ncx, seed % d->ncx, seed / d->ncx);
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
        return demo_oom(d);
    }
    for (int k = 0; k < n; k++) {
        struct cell *c = &d->cells[k];
        if (c->land == LAND_NONE || c->set >= 0)
            continue;
        double x = demo_cell_x(d, k % d->ncx) + CELL / 2, y = demo_cell_y(d, k / d->ncx) + CELL / 2;
        if (demo_river_dist(d, x, y) < 1200 + 900 * demo_unit01(d, k, 0, 21)) {
            c->kind = CK_MEADOW;
            continue;
        }
        double near = INFINITY;
        for (int s = 0; s < d->nsets; s++)
            if (d->sets[s].have)
                near = fmin(near, sqrt(demo_dist2(x, y, d->sets[s].x, d->sets[s].y)));
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
        if (d->sets[s].have < 2 || demo_unit01(d, s, 0, 24) < 0.4)
            continue;
        static const int dx[] = {0, 0, 1, -1}, dy[] = {1, -1, 0, 0};
        for (int m = 0; m < 4; m++) {
            struct cell *c = demo_cell_at(d, d->sets[s].ccx + dx[m], d->sets[s].ccy + dy[m]);
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
    double dx = demo_cell_x(d, k % d->ncx) + CELL / 2 - s->x, dy = demo_cell_y(d, k / d->ncx) + CELL / 2 - s->y;
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
        double x = demo_cell_x(d, k % d->ncx) + CELL / 2, y = demo_cell_y(d, k / d->ncx) + CELL / 2, best = INFINITY;
        for (int s = 0; s < d->nsets; s++) {
            double dd = sqrt(demo_dist2(x, y, d->sets[s].x, d->sets[s].y));
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
            if (!(d->obr = demo_grow(d, d->obr, &cap, ntown + 1, sizeof *d->obr)))
                break;
            memset(&d->obr[ntown], 0, sizeof *d->obr);
            d->obr[ntown++].key = tkey[k];
        }
    }
    if (ntown)
        qsort(d->obr, (size_t)ntown, sizeof *d->obr, obreb_key_cmp);
    for (int o = 0; o < ntown; o++) {
        demo_copy(d->obr[o].unit, sizeof d->obr[o].unit, town_unit);
        snprintf(d->obr[o].number, sizeof d->obr[o].number, "%04d", o + 1);
        snprintf(d->obr[o].name, sizeof d->obr[o].name, "%s %d", d->sets[0].name, o + 1);
    }
    d->nobr = ntown;
    for (int s = 0; s < d->nsets && !d->rc; s++) {
        if (d->sets[s].miasto || !d->sets[s].have)
            continue;
        if (!(d->obr = demo_grow(d, d->obr, &cap, d->nobr + 1, sizeof *d->obr)))
            break;
        struct obreb *o = &d->obr[d->nobr++];
        memset(o, 0, sizeof *o);
        o->set = s;
        o->key = -1;
        demo_copy(o->unit, sizeof o->unit, rural_unit);
        demo_copy(o->name, sizeof o->name, d->sets[s].name);
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
        return demo_oom(d);
    if (gis_store_prepare(d->st, "INSERT INTO obreby (unit, number, name, geom) VALUES (?, ?, ?, GeomFromWKB(?, 2180))",
                          &st, d->e)) {
        free(idx);
        return demo_fail(d, ERR_IO, "prepare");
    }
    for (int o = 0; o < d->nobr && !d->rc; o++) {
        struct obreb *ob = &d->obr[o];
        int m = 0;
        for (int k = 0; k < n; k++)
            if (d->cells[k].obreb == o)
                idx[m++] = k;
        GEOSGeometry *u = demo_cells_union(d, idx, m);
        if (!u || !demo_wkb_geos(d, u)) {
            GEOSGeom_destroy_r(d->gh, u);
            demo_fail(d, ERR_INTERNAL, "obręb %s has no area", ob->name);
            break;
        }
        GEOSGeom_destroy_r(d->gh, u);
        sqlite3_bind_text(st, 1, ob->unit, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, ob->number, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, ob->name, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            demo_sql_fail(d, "obręb");
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
bool demo_obreby_make(struct demo *d)
{
    int n = d->ncx * d->ncy;
    short *region = malloc((size_t)n * sizeof *region);
    int *tkey = malloc((size_t)n * sizeof *tkey);
    if (!region || !tkey) {
        free(region);
        free(tkey);
        return demo_oom(d);
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

bool demo_localities_make(struct demo *d)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(d->st,
                          "INSERT INTO localities (simc, name, kind, postal_code, geom) "
                          "VALUES (?, ?, ?, ?, MakePoint(?, ?, 2180))",
                          &st, d->e))
        return demo_fail(d, ERR_IO, "prepare");
    for (int s = 0; s < d->nsets && !d->rc; s++) {
        struct settlement *v = &d->sets[s];
        if (!v->have)
            continue;
        double x = demo_cell_x(d, v->ccx) + CELL / 2, y = demo_cell_y(d, v->ccy) + VROW * UNIT_H + ROAD / 2;
        if (v->grid)
            x = v->x, y = v->y;
        sqlite3_bind_text(st, 1, v->simc, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, v->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, v->miasto ? "miasto" : "wieś", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, v->postal, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, x);
        sqlite3_bind_double(st, 6, y);
        if (sqlite3_step(st) != SQLITE_DONE)
            demo_sql_fail(d, "locality");
        sqlite3_reset(st);
        v->locality = sqlite3_last_insert_rowid(gis_store_db(d->st));
        d->stats->localities++;
    }
    sqlite3_finalize(st);
    return !d->rc;
}
