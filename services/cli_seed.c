/* `odra seed --tenant T --tileset NAME --zoom A-B [--bbox W,S,E,N] [--threads N] [--format png,mvt]`:
 * renders every missing tile of a zoom range over the gmina (or a lon/lat box) into the tile caches on N
 * threads, with a progress bar and ETA. Tiles already cached are skipped, so an interrupted run (Ctrl-C)
 * resumes where it stopped. The workers are tiles/seed.c's; this is the command line and the progress bar. */
#include "services/cli_seed.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gis/crs.h"
#include "gis/render.h"
#include "gis/store.h"
#include "services/module.h"
#include "tiles/matrix.h"
#include "tiles/seed.h"
#include "tiles/tileset.h"
#include "util/config.h"
#include "util/log.h"
#include "util/text.h"

/* The job, file-wide so that SIGINT and SIGTERM can stop it. */
static struct tile_seed seed_job;

static void seed_on_signal(int sig)
{
    (void)sig;
    tile_seed_stop(&seed_job);
}

static int seed_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "odra seed: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: odra seed --tenant T --tileset NAME --zoom A-B [--bbox W,S,E,N] [--threads N] "
                    "[--format png,png@2x,mvt] [--config FILE] [--data DIR]\n");
    return 2;
}

static void seed_progress(struct tile_seed *j, double t0, bool final)
{
    long long done = __atomic_load_n(&j->done, __ATOMIC_RELAXED);
    double el = (log_now_ms() - t0) / 1000, rate = el > 0 ? (double)done / el : 0;
    double frac = j->total ? (double)done / (double)j->total : 1;
    int bar = (int)(frac * 30);
    char eta[32] = "--:--";
    if (rate > 0 && !final) {
        long s = (long)((double)(j->total - done) / rate);
        snprintf(eta, sizeof eta, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    }
    bool tty = isatty(STDERR_FILENO);
    if (!tty && !final)
        return;
    fprintf(stderr, "%s[%.*s%.*s] %5.1f%% %lld/%lld tiles, %lld rendered, %.0f/s, ETA %s   ", tty ? "\r" : "", bar,
            "==============================", 30 - bar, "                              ", frac * 100, done, j->total,
            __atomic_load_n(&j->rendered, __ATOMIC_RELAXED), rate, eta);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* --zoom A-B (or A alone) into za and zb, 0 <= A <= B <= TILE_MAX_ZOOM. */
static bool seed_parse_zoom(const char *zoom, long *za, long *zb)
{
    char zs[32];
    snprintf(zs, sizeof zs, "%s", zoom);
    char *dash = strchr(zs, '-');
    if (dash)
        *dash = 0;
    return text_parse_long(zs, 0, TILE_MAX_ZOOM, za) && text_parse_long(dash ? dash + 1 : zs, *za, TILE_MAX_ZOOM, zb);
}

/* --format png,png@2x,mvt into the job's formats; the usage exit code when it names another. */
static int seed_parse_formats(struct tile_seed *j, const char *format)
{
    char fs[64];
    snprintf(fs, sizeof fs, "%s", format);
    for (char *save = NULL, *tok = strtok_r(fs, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        enum tile_format f;
        if (!strcmp(tok, "png"))
            f = TILE_PNG;
        else if (!strcmp(tok, "png@2x"))
            f = TILE_PNG2X;
        else if (!strcmp(tok, "mvt"))
            f = TILE_MVT;
        else
            return seed_usage("--format takes png, png@2x and mvt, got '%s'", tok);
        if (j->nformats < TILE_NFORMATS)
            j->formats[j->nformats++] = f;
    }
    if (!j->nformats)
        return seed_usage("--format is empty%s", "");
    return 0;
}

/* The box to seed in EPSG:3857: --bbox W,S,E,N in degrees, or the extent of the store's map data. 0, or
 * the exit code after saying what is wrong. */
static int seed_box(struct gis_store *s, const char *bbox, const char *slug, double b3857[4])
{
    struct err e = {0};
    if (!bbox) {
        double ext[4];
        if (!gis_render_extent(s, ext) || gis_crs_transform_bbox(GIS_CRS_2180, GIS_CRS_3857, ext, b3857, &e)) {
            fprintf(stderr, "odra: the store of %s has no map data to seed\n", slug);
            return 1;
        }
        return 0;
    }
    double ll[4];
    char bb[128];
    snprintf(bb, sizeof bb, "%s", bbox);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(bb, ",", &save); tok && n < 5; tok = strtok_r(NULL, ",", &save), n++)
        if (n < 4 && !text_parse_double(tok, &ll[n]))
            n = 9;
    if (n != 4 || !(ll[2] > ll[0]) || !(ll[3] > ll[1]) || ll[0] < -180 || ll[2] > 180 || ll[1] < -85 || ll[3] > 85)
        return seed_usage("--bbox must be W,S,E,N in degrees (lon/lat), got '%s'", bbox);
    if (gis_crs_transform_bbox(GIS_CRS_CRS84, GIS_CRS_3857, ll, b3857, &e) != ERR_OK) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    return 0;
}

/* Runs the seed workers with a progress line until they finish or a signal stops them; says how it went. */
static int seed_run(struct tile_seed *j, int threads)
{
    signal(SIGINT, seed_on_signal);
    signal(SIGTERM, seed_on_signal);
    double t0 = log_now_ms();
    int started = tile_seed_start(j, threads);
    while (__atomic_load_n(&j->done, __ATOMIC_RELAXED) < j->total && !j->stop) {
        seed_progress(j, t0, false);
        struct timespec ts = {0, 250 * 1000000L};
        nanosleep(&ts, NULL);
        if (started == 0)
            break;
    }
    tile_seed_wait(j);
    seed_progress(j, t0, true);
    if (j->error[0]) {
        fprintf(stderr, "odra: %s\n", j->error);
        return 1;
    }
    if (j->stop)
        fprintf(stderr, "stopped; run the same command again to resume (cached tiles are skipped)\n");
    else
        fprintf(stderr, "done: %lld tiles rendered (%.1f MB) in %.1fs\n", j->rendered, (double)j->bytes / 1e6,
                (log_now_ms() - t0) / 1000);
    return 0;
}

int cli_seed(int argc, char **argv)
{
    enum { O_CONFIG = 1, O_DATA, O_TENANT, O_TILESET, O_ZOOM, O_BBOX, O_THREADS, O_FORMAT, O_HELP };
    static const struct option opts[] = {
        {"config", required_argument, NULL, O_CONFIG},
        {"data", required_argument, NULL, O_DATA},
        {"tenant", required_argument, NULL, O_TENANT},
        {"tileset", required_argument, NULL, O_TILESET},
        {"zoom", required_argument, NULL, O_ZOOM},
        {"bbox", required_argument, NULL, O_BBOX},
        {"threads", required_argument, NULL, O_THREADS},
        {"format", required_argument, NULL, O_FORMAT},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *config = getenv("ODRA_CONFIG"), *data = NULL, *tenant = NULL, *tileset = NULL, *zoom = NULL;
    const char *bbox = NULL, *format = "png,mvt";
    long threads = 2;
    optind = 1;
    opterr = 0;
    int c, idx = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, &idx)) != -1) {
        switch (c) {
        case O_CONFIG: config = optarg; break;
        case O_DATA: data = optarg; break;
        case O_TENANT: tenant = optarg; break;
        case O_TILESET: tileset = optarg; break;
        case O_ZOOM: zoom = optarg; break;
        case O_BBOX: bbox = optarg; break;
        case O_FORMAT: format = optarg; break;
        case O_THREADS:
            if (!text_parse_long(optarg, 1, TILE_SEED_MAX_THREADS, &threads))
                return seed_usage("--threads must be an integer from 1 to 64, got '%s'", optarg);
            break;
        case O_HELP: return seed_usage("%s", "pre-renders tiles into the caches");
        default: return seed_usage("bad or incomplete option '%s'", argv[optind] ? argv[optind] : "");
        }
    }
    if (optind + 1 < argc)
        return seed_usage("unexpected argument '%s'", argv[optind + 1]);
    if (!tenant || !tileset || !zoom)
        return seed_usage("%s", "--tenant, --tileset and --zoom are required");
    static struct config cfg;
    struct err e = {0};
    if (config_load(&cfg, config, &e) != ERR_OK) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    if (data)
        snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", data);
    const struct config_tenant *t = config_tenant_find(&cfg, tenant);
    if (!t)
        return seed_usage("unknown tenant '%s'", tenant);
    struct tile_seed *j = &seed_job;
    if (svc_modules_register(&e) != ERR_OK) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    j->ts = svc_tileset_find(t, tileset);
    if (!j->ts)
        return seed_usage("unknown tileset '%s' (plan, parcels, or one of an enabled module)", tileset);
    long za, zb;
    if (!seed_parse_zoom(zoom, &za, &zb))
        return seed_usage("--zoom must be A-B with 0 <= A <= B <= 22, got '%s'", zoom);
    int urc = seed_parse_formats(j, format);
    if (urc)
        return urc;
    char path[1100];
    snprintf(path, sizeof path, "%s/%s.sqlite", cfg.data_dir, t->slug);
    j->store_path = path;
    struct gis_store *s;
    if (gis_store_open(path, GIS_STORE_READ, &s, &e) != ERR_OK) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    double b3857[4];
    int brc = seed_box(s, bbox, t->slug, b3857);
    if (brc) {
        gis_store_close(s);
        return brc;
    }
    long long gen = tile_store_generation(s);
    /* the seeded tiles are today's map: the cache records which plans were in force (tiles/serve.h) */
    long long state = tile_set_dated(j->ts) ? gis_plan_state(s, NULL) : -1;
    gis_store_close(s);
    if (!tile_seed_plan(j, b3857, (int)za, (int)zb)) {
        fprintf(stderr, "odra: no tiles in that box\n");
        return 1;
    }
    int rc = 0;
    if (tile_seed_open(j, cfg.data_dir, t->slug, gen, state, &e) != ERR_OK) {
        fprintf(stderr, "odra: %s\n", e.msg);
        rc = 1;
    }
    if (!rc) {
        fprintf(stderr, "seeding %s/%s z%ld-%ld: %lld tiles × %d formats on %ld threads\n", t->slug, j->ts->name, za,
                zb, j->tiles, j->nformats, threads);
        rc = seed_run(j, (int)threads);
    }
    tile_seed_close(j);
    return rc;
}
