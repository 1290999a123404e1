/* Private to the files of tools/demo/: the generator's state (struct demo), its data tables and world, and the
 * steps and helpers one file of it offers the others. demo.c: errors, randomness, WKB, the data files,
 * geometry helpers and the whole store; land.c: the world, settlements, land use, obręby and localities;
 * parcels.c: parcels, buildings, streets, addresses and land cover; plans.c: provision texts, the POG and
 * the MPZP. */
#ifndef TOOLS_DEMO_INT_H
#define TOOLS_DEMO_INT_H
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
#include "gis/store_sql.h"
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

struct ranked {
    double key;
    int idx;
};

enum block_kind { BK_MN, BK_MW, BK_U, BK_PARK, BK_SCHOOL, BK_SPORT, BK_P, BK_INFRA };

/* A block: one or two rows of plots; row 0 fronts the street on its south side, row 1 the one on its
 * north side. split plots are two halves ("12a", "12b"); empty plots have no house yet. */
struct block {
    int kind, nrows, n[2];
    double x0, y0, x1, y1, ymid;
    double xs[2][MAX_ROW + 1];
    bool split[2][MAX_ROW], empty[2][MAX_ROW];
};

struct vside {
    int n;
    double xs[MAX_SIDE + 1];
    bool empty[MAX_SIDE], split[MAX_SIDE], join[MAX_SIDE];
};

/* demo.c */
struct cell *demo_cell_at(struct demo *d, int cx, int cy);
double demo_cell_x(const struct demo *d, int cx);
double demo_cell_y(const struct demo *d, int cy);
GEOSGeometry *demo_cells_union(struct demo *d, const int *idx, int n);
bool demo_chance(struct text_rng *r, double p);
void demo_copy(char *dst, size_t cap, const char *s);
bool demo_fail(struct demo *d, enum err_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
GEOSGeometry *demo_g_rect(struct demo *d, double x0, double y0, double x1, double y1);
GEOSGeometry *demo_g_union(struct demo *d, GEOSGeometry **parts, int n);
bool demo_geos_fail(struct demo *d, const char *what);
int demo_geos_npolys(struct demo *d, const GEOSGeometry *g);
void *demo_grow(struct demo *d, void *p, int *cap, int need, size_t size);
bool demo_oom(struct demo *d);
const struct overlay_def *demo_overlay_def(struct demo *d, const char *kind);
void demo_partition(struct text_rng *r, double a, double b, int n, double spread, double *xs);
const struct pog_def *demo_pog_def(struct demo *d, const char *symbol);
bool demo_rect_on_land(struct demo *d, double x0, double y0, double x1, double y1);
struct text_rng demo_rng_at(const struct demo *d, long a, long b, int salt);
bool demo_sql_fail(struct demo *d, const char *what);
double demo_unit01(const struct demo *d, long a, long b, int salt);
double demo_unit_x(const struct demo *d, int i);
double demo_unit_y(const struct demo *d, int j);
bool demo_wkb_geos(struct demo *d, const GEOSGeometry *g);
void demo_wkb_header(struct demo *d, uint32_t type);
void demo_wkb_rect(struct demo *d, double x0, double y0, double x1, double y1);
void demo_wkb_u32(struct demo *d, uint32_t v);
void demo_wkb_xy(struct demo *d, double x, double y);
const struct zone_def *demo_zone_def(struct demo *d, const char *symbol);

/* land.c */
double demo_dist2(double ax, double ay, double bx, double by);
bool demo_land_use(struct demo *d);
bool demo_localities_make(struct demo *d);
bool demo_obreby_make(struct demo *d);
struct ranked *demo_rank_cells(struct demo *d, int s, double noise);
double demo_river_dist(const struct demo *d, double x, double y);
bool demo_settlements_place(struct demo *d);
bool demo_world_setup(struct demo *d);

/* parcels.c */
bool demo_addresses_make(struct demo *d);
void demo_block_layout(struct demo *d, int set, int i, int j, struct block *b);
int demo_components(struct demo *d, const int *key, int *label, int *stack);
bool demo_landcover_make(struct demo *d);
bool demo_parcels_make(struct demo *d);
void demo_progress(struct demo *d, const char *stage, double done);
void demo_roman(int n, char *out, size_t cap);
bool demo_streets_make(struct demo *d);
bool demo_unit_grid(struct demo *d, int set, int i, int j);
void demo_village_layout(struct demo *d, int cx, int cy, struct vside side[2]);

/* plans.c */
bool demo_mpzp_make(struct demo *d);
bool demo_pog_make(struct demo *d);

#endif
