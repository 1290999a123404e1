/* `odra seed --tenant T --tileset NAME --zoom A-B [--bbox W,S,E,N] [--threads N] [--format png,mvt]`:
 * renders every missing tile of a zoom range over the gmina (or a lon/lat box) into the tile caches on N
 * threads, with a progress bar and ETA. Tiles already cached are skipped, so an interrupted run (Ctrl-C)
 * resumes where it stopped. */
#include "services/cli_seed.h"

#include <getopt.h>
#include <math.h>
#include <pthread.h>
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
#include "tiles/cache.h"
#include "tiles/matrix.h"
#include "tiles/mvt.h"
#include "tiles/serve.h"
#include "tiles/tileset.h"
#include "util/config.h"
#include "util/log.h"
#include "util/text.h"

#define SEED_MAX_THREADS 64

struct seed_range {
    int z;
    long x0, y0, x1, y1;
    long long first; /* index of its first tile in the whole job */
};

struct seed_job {
    const char *store_path;
    const struct tile_set *ts;
    enum tile_format formats[TILE_NFORMATS];
    struct tile_cache *caches[TILE_NFORMATS];
    int nformats;
    struct seed_range ranges[TILE_MAX_ZOOM + 1];
    int nranges;
    long long total;    /* tiles × formats */
    long long next;     /* atomic: next tile index to take */
    long long done;     /* atomic */
    long long rendered; /* atomic */
    long long bytes;    /* atomic */
    char error[600];    /* first failure */
    pthread_mutex_t lock;
};

static volatile sig_atomic_t seed_stop;

static void seed_on_signal(int sig)
{
    (void)sig;
    seed_stop = 1;
}

static int seed_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "odra seed: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: odra seed --tenant T --tileset NAME --zoom A-B [--bbox W,S,E,N] [--threads N] "
                    "[--format png,png@2x,mvt] [--config FILE] [--data DIR]\n");
    return 2;
}

static void seed_fail(struct seed_job *j, const char *msg)
{
    pthread_mutex_lock(&j->lock);
    if (!j->error[0])
        snprintf(j->error, sizeof j->error, "%s", msg);
    pthread_mutex_unlock(&j->lock);
    seed_stop = 1;
}

static void *seed_worker(void *arg)
{
    struct seed_job *j = arg;
    struct gis_store *s = NULL;
    struct err e = {0};
    if (gis_store_open(j->store_path, GIS_STORE_READ, &s, &e) != ERR_OK) {
        seed_fail(j, e.msg);
        return NULL;
    }
    long long gen = tile_store_generation(s);
    for (int f = 0; f < j->nformats; f++)
        if (tile_cache_sync(j->caches[f], s, gen, &e) != ERR_OK)
            seed_fail(j, e.msg);
    struct buf b = {0}, gz = {0};
    long long ntiles = j->total / j->nformats;
    while (!seed_stop) {
        long long i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
        if (i >= ntiles)
            break;
        int r = j->nranges - 1;
        while (r > 0 && j->ranges[r].first > i)
            r--;
        const struct seed_range *R = &j->ranges[r];
        long k = (long)(i - R->first), w = R->x1 - R->x0 + 1;
        long x = R->x0 + k % w, y = R->y0 + k / w;
        for (int f = 0; f < j->nformats && !seed_stop; f++) {
            struct tile_cache *c = j->caches[f];
            if (!tile_cache_has(c, R->z, x, y)) {
                if (tile_encode(s, j->ts, j->formats[f], R->z, x, y, &b, &gz, &e) != ERR_OK) {
                    seed_fail(j, e.msg);
                    break;
                }
                struct buf *out = &gz;
                if (tile_cache_put(c, R->z, x, y, out->data ? out->data : "", out->len, gen, NULL, &e) != ERR_OK) {
                    seed_fail(j, e.msg);
                    break;
                }
                __atomic_fetch_add(&j->rendered, 1, __ATOMIC_RELAXED);
                __atomic_fetch_add(&j->bytes, (long long)out->len, __ATOMIC_RELAXED);
            }
            __atomic_fetch_add(&j->done, 1, __ATOMIC_RELAXED);
        }
    }
    buf_free(&b);
    buf_free(&gz);
    gis_store_close(s);
    gis_crs_thread_cleanup();
    return NULL;
}

static void seed_progress(struct seed_job *j, double t0, bool final)
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
            if (!text_parse_long(optarg, 1, SEED_MAX_THREADS, &threads))
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
    static struct seed_job j;
    if (svc_modules_register_tilesets(&e) != ERR_OK) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    j.ts = svc_tileset_find(t, tileset);
    if (!j.ts)
        return seed_usage("unknown tileset '%s' (plan, parcels, or one of an enabled module)", tileset);
    long za, zb;
    char zs[32];
    snprintf(zs, sizeof zs, "%s", zoom);
    char *dash = strchr(zs, '-');
    if (dash)
        *dash = 0;
    if (!text_parse_long(zs, 0, TILE_MAX_ZOOM, &za) || !text_parse_long(dash ? dash + 1 : zs, za, TILE_MAX_ZOOM, &zb))
        return seed_usage("--zoom must be A-B with 0 <= A <= B <= 22, got '%s'", zoom);
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
        if (j.nformats < TILE_NFORMATS)
            j.formats[j.nformats++] = f;
    }
    if (!j.nformats)
        return seed_usage("--format is empty%s", "");
    char path[1100];
    snprintf(path, sizeof path, "%s/%s.sqlite", cfg.data_dir, t->slug);
    j.store_path = path;
    struct gis_store *s;
    if (gis_store_open(path, GIS_STORE_READ, &s, &e) != ERR_OK) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    double b3857[4];
    if (bbox) {
        double ll[4];
        char bb[128];
        snprintf(bb, sizeof bb, "%s", bbox);
        int n = 0;
        for (char *save = NULL, *tok = strtok_r(bb, ",", &save); tok && n < 5; tok = strtok_r(NULL, ",", &save), n++)
            if (n < 4 && !text_parse_double(tok, &ll[n]))
                n = 9;
        if (n != 4 || !(ll[2] > ll[0]) || !(ll[3] > ll[1]) || ll[0] < -180 || ll[2] > 180 || ll[1] < -85 ||
            ll[3] > 85) {
            gis_store_close(s);
            return seed_usage("--bbox must be W,S,E,N in degrees (lon/lat), got '%s'", bbox);
        }
        if (gis_crs_transform_bbox(GIS_CRS_CRS84, GIS_CRS_3857, ll, b3857, &e) != ERR_OK) {
            gis_store_close(s);
            fprintf(stderr, "odra: %s\n", e.msg);
            return 1;
        }
    } else {
        double ext[4];
        if (!gis_render_extent(s, ext) || gis_crs_transform_bbox(GIS_CRS_2180, GIS_CRS_3857, ext, b3857, &e)) {
            gis_store_close(s);
            fprintf(stderr, "odra: the store of %s has no map data to seed\n", t->slug);
            return 1;
        }
    }
    long long gen = tile_store_generation(s);
    gis_store_close(s);
    long long ntiles = 0;
    for (int z = (int)za; z <= zb; z++) {
        long r[4];
        if (!tile_range(z, b3857, 0, r))
            continue;
        j.ranges[j.nranges] = (struct seed_range){z, r[0], r[1], r[2], r[3], ntiles};
        ntiles += (long long)(r[2] - r[0] + 1) * (r[3] - r[1] + 1);
        j.nranges++;
    }
    if (!j.nranges) {
        fprintf(stderr, "odra: no tiles in that box\n");
        return 1;
    }
    j.total = ntiles * j.nformats;
    pthread_mutex_init(&j.lock, NULL);
    int rc = 0;
    for (int f = 0; f < j.nformats && !rc; f++)
        if (tile_set_cache_open(cfg.data_dir, t->slug, j.ts, j.formats[f], gen, &j.caches[f], &e) != ERR_OK) {
            fprintf(stderr, "odra: %s\n", e.msg);
            rc = 1;
        }
    if (!rc) {
        fprintf(stderr, "seeding %s/%s z%ld-%ld: %lld tiles × %d formats on %ld threads\n", t->slug, j.ts->name, za, zb,
                ntiles, j.nformats, threads);
        signal(SIGINT, seed_on_signal);
        signal(SIGTERM, seed_on_signal);
        pthread_t th[SEED_MAX_THREADS];
        int started = 0;
        double t0 = log_now_ms();
        for (int i = 0; i < threads; i++)
            if (pthread_create(&th[started], NULL, seed_worker, &j) == 0)
                started++;
        while (__atomic_load_n(&j.done, __ATOMIC_RELAXED) < j.total && !seed_stop) {
            seed_progress(&j, t0, false);
            struct timespec ts = {0, 250 * 1000000L};
            nanosleep(&ts, NULL);
            if (started == 0)
                break;
        }
        for (int i = 0; i < started; i++)
            pthread_join(th[i], NULL);
        seed_progress(&j, t0, true);
        if (j.error[0]) {
            fprintf(stderr, "odra: %s\n", j.error);
            rc = 1;
        } else if (seed_stop) {
            fprintf(stderr, "stopped; run the same command again to resume (cached tiles are skipped)\n");
        } else {
            fprintf(stderr, "done: %lld tiles rendered (%.1f MB) in %.1fs\n", j.rendered, (double)j.bytes / 1e6,
                    (log_now_ms() - t0) / 1000);
        }
    }
    for (int f = 0; f < j.nformats; f++)
        tile_cache_close(j.caches[f]);
    pthread_mutex_destroy(&j.lock);
    return rc;
}
