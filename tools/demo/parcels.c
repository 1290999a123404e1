/* Demo data: parcels, buildings and address candidates on the street grid of towns and estates, in villages
 * and on open land; streets and addresses; land cover. */
#include "tools/demo/demo_int.h"

/* ---- parcels, buildings, address candidates, street lines ---- */

static void parcel_number(struct demo *d, struct obreb *ob, char *out, size_t cap)
{
    long n = ob->next++;
    if (demo_chance(&d->rng, 0.04))
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
        return demo_sql_fail(d, id);
    d->stats->parcels++;
    if (pid)
        demo_copy(pid, 40, id);
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
    if (c->land == LAND_FULL || demo_rect_on_land(d, x0, y0, x1, y1)) {
        demo_wkb_rect(d, x0, y0, x1, y1);
        return parcel_insert(d, ob, number, (x1 - x0) * (y1 - y0), use, pid);
    }
    GEOSGeometry *r = demo_g_rect(d, x0, y0, x1, y1);
    if (!r || GEOSPreparedIntersects_r(d->gh, d->prep, r) != 1) {
        GEOSGeom_destroy_r(d->gh, r);
        return false;
    }
    GEOSGeometry *g = GEOSIntersection_r(d->gh, d->area, r);
    GEOSGeom_destroy_r(d->gh, r);
    if (!g)
        return demo_geos_fail(d, "parcel clip");
    int parts = GEOSGetNumGeometries_r(d->gh, g);
    bool first = true;
    for (int k = 0; k < parts && !d->rc; k++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(d->gh, g, k);
        double a = 0;
        if (GEOSGeomTypeId_r(d->gh, p) != GEOS_POLYGON || !GEOSArea_r(d->gh, p, &a) || a < 1 || !demo_wkb_geos(d, p))
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
    demo_wkb_rect(d, x0, y0, x1, y1);
    sqlite3_stmt *s = d->ins_building;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, function, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, storeys);
    sqlite3_bind_blob(s, 4, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        demo_sql_fail(d, id);
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
    if (!(s->lines = demo_grow(d, s->lines, &s->caplines, s->nlines + 1, sizeof *s->lines)))
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
    if (!(l->seg = demo_grow(d, l->seg, &l->cap, l->nseg + 1, sizeof *l->seg)))
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
            demo_oom(d);
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
    demo_copy(a->pid, sizeof a->pid, pid);
}

/* ---- the street grid of towns and estates ---- */

/* Unit (i, j) belongs to the street grid of settlement set. */
bool demo_unit_grid(struct demo *d, int set, int i, int j)
{
    if (i < 0 || j < 0 || i >= d->NI || j >= d->NJ)
        return false;
    const struct cell *c = demo_cell_at(d, i / UX, j / UY);
    return c->set == set && c->kind >= CK_GRID;
}

/* ... and lies wholly on land, so its streets and addresses exist. */
static bool unit_ok(struct demo *d, int set, int i, int j)
{
    if (!demo_unit_grid(d, set, i, j))
        return false;
    struct cell *c = demo_cell_at(d, i / UX, j / UY);
    if (c->land == LAND_FULL)
        return true;
    if (!c->units_done) {
        c->units_done = true;
        for (int r = 0; r < UY; r++)
            for (int q = 0; q < UX; q++) {
                int ii = i / UX * UX + q, jj = j / UY * UY + r;
                if (demo_rect_on_land(d, demo_unit_x(d, ii), demo_unit_y(d, jj), demo_unit_x(d, ii + 1),
                                      demo_unit_y(d, jj + 1)))
                    c->units_in |= 1u << (q + UX * r);
            }
    }
    return c->units_in >> (i % UX + UX * (j % UY)) & 1;
}

static int block_kind(struct demo *d, int i, int j)
{
    const struct cell *c = demo_cell_at(d, i / UX, j / UY);
    double u = demo_unit01(d, i, j, 31);
    switch (c->kind) {
    case CK_CENTRE: return u < 0.40 ? BK_U : u < 0.76 ? BK_MW : u < 0.86 ? BK_PARK : u < 0.93 ? BK_SCHOOL : BK_MN;
    case CK_TOWN: return u < 0.86 ? BK_MN : u < 0.93 ? BK_MW : u < 0.97 ? BK_U : BK_SCHOOL;
    case CK_INDUSTRY: return BK_P;
    case CK_PARK: return u < 0.7 ? BK_PARK : BK_SPORT;
    case CK_INFRA: return BK_INFRA;
    default: return u < 0.95 ? BK_MN : u < 0.98 ? BK_U : BK_SCHOOL;
    }
}

void demo_block_layout(struct demo *d, int set, int i, int j, struct block *b)
{
    struct text_rng r = demo_rng_at(d, i, j, 32);
    memset(b, 0, sizeof *b);
    b->kind = block_kind(d, i, j);
    b->x0 = demo_unit_x(d, i) + ROAD;
    b->x1 = demo_unit_x(d, i + 1);
    b->y0 = demo_unit_y(d, j) + ROAD;
    b->y1 = demo_unit_y(d, j + 1);
    b->nrows = demo_unit_grid(d, set, i, j + 1) && (b->kind == BK_MN || b->kind == BK_U) ? 2 : 1;
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
        demo_partition(&r, b->x0, b->x1, n, b->kind == BK_MN ? 0.2 : 0.1, b->xs[row]);
        for (int k = 0; k < n; k++) {
            b->split[row][k] = (b->kind == BK_MN || b->kind == BK_U) && demo_chance(&r, 0.07);
            b->empty[row][k] = b->kind == BK_MN && demo_chance(&r, 0.07);
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
        if (w >= 13 && demo_chance(&d->rng, 0.35))
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
    struct cell *c = demo_cell_at(d, cx, cy);
    for (int r = UY - 1; r >= 0 && !d->rc; r--)
        for (int q = 0; q < UX; q++) {
            int i = cx * UX + q, j = cy * UY + r;
            double X = demo_unit_x(d, i), Y = demo_unit_y(d, j);
            bool ok = unit_ok(d, c->set, i, j);
            if (ok) {
                line_seg(d, c->set, j, X, X + UNIT_W);
                line_seg(d, c->set, d->NJ + i, Y, Y + UNIT_H);
            }
            parcel_put(d, c, X, Y, X + UNIT_W, Y + ROAD, "dr", NULL, NULL);
            parcel_put(d, c, X, Y + ROAD, X + ROAD, Y + UNIT_H, "dr", NULL, NULL);
            struct block b;
            demo_block_layout(d, c->set, i, j, &b);
            block_emit(d, c, i, j, &b, ok);
        }
}

/* ---- villages: one street with farm plots on both sides and field strips behind them ---- */

void demo_village_layout(struct demo *d, int cx, int cy, struct vside side[2])
{
    struct text_rng r = demo_rng_at(d, cx, cy, 41);
    for (int s = 0; s < 2; s++) {
        struct vside *v = &side[s];
        v->n = 17 + (int)text_rng_below(&r, 5);
        demo_partition(&r, demo_cell_x(d, cx), demo_cell_x(d, cx + 1), v->n, 0.3, v->xs);
        for (int k = 0; k < v->n; k++) {
            v->empty[k] = demo_chance(&r, 0.12);
            v->split[k] = !v->empty[k] && demo_chance(&r, 0.06);
            v->join[k] = demo_chance(&r, 0.3);
        }
    }
}

static void gen_village(struct demo *d, int cx, int cy)
{
    struct cell *c = demo_cell_at(d, cx, cy);
    int set = c->set, key = cy * UY + VROW;
    double X = demo_cell_x(d, cx), Y = demo_cell_y(d, cy), yr = Y + VROW * UNIT_H;
    bool road = c->land == LAND_FULL || demo_rect_on_land(d, X, yr, X + CELL, yr + ROAD);
    if (road)
        line_seg(d, set, key, X, X + CELL);
    parcel_put(d, c, X, yr, X + CELL, yr + ROAD, "dr", NULL, NULL);
    struct vside vs[2];
    demo_village_layout(d, cx, cy, vs);
    bool centre = d->sets[set].ccx == cx && d->sets[set].ccy == cy;
    for (int s = 0; s < 2 && !d->rc; s++) {
        const struct vside *v = &vs[s];
        double hy0 = s ? yr - HOUSE_DEPTH : yr + ROAD, hy1 = s ? yr : yr + ROAD + HOUSE_DEPTH;
        for (int k = 0; k < v->n; k++) {
            double xa = v->xs[k], xb = v->xs[k + 1], xm = round((xa + xb) / 2 * 100) / 100;
            bool service = centre && s == 0 && k == v->n / 2, split = v->split[k] && !service;
            long base = split ? d->obr[c->obreb].next++ : 0;
            unsigned den = 1 + 2 * text_rng_below(&d->rng, 3);
            const char *use = service ? "Bi" : demo_chance(&d->rng, 0.7) ? "Br" : "B";
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
    demo_partition(r, y0, y1, ny, 0.2, ys);
    for (int b = ny - 1; b >= 0; b--) {
        demo_partition(r, x0, x1, nx, 0.35, xs);
        for (int a = 0; a < nx; a++)
            parcel_put(d, c, xs[a], ys[b], xs[a + 1], ys[b + 1], demo_chance(r, alt_p) ? alt : use, NULL, NULL);
    }
}

static void gen_open(struct demo *d, int cx, int cy)
{
    struct cell *c = demo_cell_at(d, cx, cy);
    struct text_rng r = demo_rng_at(d, cx, cy, 51);
    double X = demo_cell_x(d, cx), Y = demo_cell_y(d, cy), s = d->scale;
    switch (c->kind) {
    case CK_FIELD:
        if (demo_chance(&r, 0.5)) {
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
        if (demo_chance(&r, 0.5)) {
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

void demo_progress(struct demo *d, const char *stage, double done)
{
    if (d->progress)
        d->progress(d->user, stage, done);
}

bool demo_parcels_make(struct demo *d)
{
    for (int cy = d->ncy - 1; cy >= 0 && !d->rc; cy--) {
        for (int cx = 0; cx < d->ncx && !d->rc; cx++) {
            const struct cell *c = demo_cell_at(d, cx, cy);
            if (c->land == LAND_NONE)
                continue;
            if (c->kind >= CK_GRID)
                gen_grid(d, cx, cy);
            else if (c->kind == CK_VILLAGE)
                gen_village(d, cx, cy);
            else
                gen_open(d, cx, cy);
        }
        demo_progress(d, "parcels", (double)(d->ncy - cy) / d->ncy);
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
    double c = we ? demo_unit_y(d, l->key) + ROAD / 2 : demo_unit_x(d, l->key - d->NJ) + ROAD / 2;
    d->wkb_len = 0;
    demo_wkb_header(d, 5);
    demo_wkb_u32(d, (uint32_t)l->nseg);
    for (int k = 0; k < l->nseg; k++) {
        demo_wkb_header(d, 2);
        demo_wkb_u32(d, 2);
        if (we) {
            demo_wkb_xy(d, l->seg[k][0], c);
            demo_wkb_xy(d, l->seg[k][1], c);
        } else {
            demo_wkb_xy(d, c, l->seg[k][0]);
            demo_wkb_xy(d, c, l->seg[k][1]);
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

void demo_roman(int n, char *out, size_t cap)
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
            demo_copy(l->name, sizeof l->name, sp ? sp + 1 : d->g.main[m]);
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
        demo_oom(d);
        return;
    }
    struct text_rng r = demo_rng_at(d, set, 0, 61);
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
            demo_copy(l->prefix, sizeof l->prefix, d->streets[pick].prefix);
            demo_copy(l->name, sizeof l->name, d->streets[pick].name);
            snprintf(l->ulic, sizeof l->ulic, "%05d", 10000 + pick * 97);
            squares += !strcmp(l->prefix, "pl.");
        } else { /* more lines than names: "Polna II", "Polna III", ... */
            char rn[16];
            int k = fallback++;
            demo_roman(2 + k / d->nstreets, rn, sizeof rn);
            demo_copy(l->prefix, sizeof l->prefix, "ul.");
            snprintf(l->name, sizeof l->name, "%s %s", d->streets[perm[k % d->nstreets]].name, rn);
            snprintf(l->ulic, sizeof l->ulic, "%05d", 50000 + k % 40000);
        }
    }
    free(ord);
    free(perm);
}

bool demo_streets_make(struct demo *d)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(d->st,
                          "INSERT INTO streets (ulic, locality_id, prefix, name, geom) "
                          "VALUES (?, ?, ?, ?, GeomFromWKB(?, 2180))",
                          &st, d->e))
        return demo_fail(d, ERR_IO, "prepare");
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
                demo_sql_fail(d, l->name);
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
bool demo_addresses_make(struct demo *d)
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
            demo_sql_fail(d, "address");
        sqlite3_reset(st);
        d->stats->addresses++;
        if (m % 8192 == 0)
            demo_progress(d, "addresses", (double)m / (double)d->naddrs);
    }
    return !d->rc;
}

/* ---- cell components: forests, meadows, POG zones ---- */

/* Labels the 4-connected components of cells with equal key (key < 0: not labelled), numbering them
 * from the north-west. Returns the number of components. */
int demo_components(struct demo *d, const int *key, int *label, int *stack)
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

bool demo_landcover_make(struct demo *d)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(d->st, "INSERT INTO landcover (kind, name, geom) VALUES (?, ?, GeomFromWKB(?, 2180))", &st,
                          d->e))
        return demo_fail(d, ERR_IO, "prepare");
    if (d->river_poly && demo_wkb_geos(d, d->river_poly)) {
        sqlite3_bind_text(st, 1, "river", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, "Odra", -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            demo_sql_fail(d, "landcover");
        sqlite3_reset(st);
    }
    int n = d->ncx * d->ncy;
    int *key = malloc((size_t)n * sizeof *key), *label = malloc((size_t)n * sizeof *label);
    int *stack = malloc((size_t)n * sizeof *stack), *idx = malloc((size_t)n * sizeof *idx);
    if (!key || !label || !stack || !idx)
        demo_oom(d);
    for (int pass = 0; pass < 2 && !d->rc; pass++) {
        int kind = pass ? CK_MEADOW : CK_FOREST;
        for (int k = 0; k < n; k++)
            key[k] = d->cells[k].kind == kind ? 1 : -1;
        int nc = demo_components(d, key, label, stack);
        for (int c = 0; c < nc && !d->rc; c++) {
            int m = 0;
            for (int k = 0; k < n; k++)
                if (label[k] == c)
                    idx[m++] = k;
            GEOSGeometry *u = demo_cells_union(d, idx, m);
            if (u && demo_wkb_geos(d, u)) {
                sqlite3_bind_text(st, 1, pass ? "meadow" : "forest", -1, SQLITE_STATIC);
                sqlite3_bind_null(st, 2);
                sqlite3_bind_blob(st, 3, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
                if (sqlite3_step(st) != SQLITE_DONE)
                    demo_sql_fail(d, "landcover");
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
