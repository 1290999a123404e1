/* The odra command line: one binary, one subcommand per task (serve, demo, import, ...). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gis/demo.h"
#include "gis/import.h"
#include "gis/store.h"
#include "services/cli_extract.h"
#include "services/cli_seed.h"
#include "services/module.h"
#include "services/server.h"
#include "util/config.h"
#include "util/log.h"
#include "util/text.h"

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: odra COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  serve   [--config FILE] [--listen HOST:PORT] [--data DIR]   serve HTTP (default 127.0.0.1:8080)\n"
    "  demo    [--config FILE] [--data DIR] [--scale N] [--seed N] [--tenant T] [--force]\n"
    "                                                              create the demo stores\n"
    "  import  --tenant T --as COLLECTION [--preset NAME] [--map dst=src,...] [--s-srs EPSG:n] FILE...\n"
    "                                                              import vector data (GDAL/OGR)\n"
    "  extract --tenant T --parcel ID [--parcel ID...] [-o FILE.pdf]\n"
    "                                                              issue a wypis i wyrys as PDF\n"
    "  seed    --tenant T --tileset NAME --zoom A-B [--bbox ...] [--threads N]\n"
    "                                                              pre-render tiles into the cache\n"
    "  version                                                     print the version\n"
    "\n"
    "Every command takes --config FILE (default: the built-in odra.ini) and --data DIR.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "odra: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(run `odra help` for usage)\n");
    return EXIT_USAGE;
}

static int fail(const struct err *e)
{
    fprintf(stderr, "odra: %s\n", e->msg[0] ? e->msg : err_name(e->code));
    return EXIT_FAILURE;
}

/* Options every subcommand shares. */
struct common_opts {
    const char *config;
    const char *data;
    const char *listen;
};

static enum err_code load_config(struct config *cfg, const struct common_opts *co, struct err *e)
{
    const char *path = co->config ? co->config : getenv("ODRA_CONFIG");
    if (config_load(cfg, path, e) != ERR_OK)
        return e->code;
    if (co->data)
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", co->data);
    if (co->listen && config_parse_listen(co->listen, cfg->listen_host, sizeof cfg->listen_host, &cfg->port, e))
        return e->code;
    return svc_modules_check_config(cfg, e);
}

/* ---- serve ---- */

static int cmd_serve(const struct common_opts *co)
{
    static struct config cfg;
    struct err e = {0};
    if (load_config(&cfg, co, &e))
        return fail(&e);
    /* Block the stop signals before any thread starts, so only sigwait below receives them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct svc_server *srv;
    if (svc_server_new(&cfg, &srv, &e) || svc_server_start(srv, &e)) {
        if (e.code == ERR_OK)
            err_set(&e, ERR_INTERNAL, "cannot start");
        return fail(&e);
    }
    log_info("odra %s serving %d gminas from %s on http://%s:%d/ (%d threads)", ODRA_VERSION, cfg.n_tenants,
             cfg.data_dir, cfg.listen_host, svc_server_port(srv), cfg.threads);
    int sig = 0;
    sigwait(&stop, &sig);
    log_info("received %s, finishing requests in flight and stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    svc_server_free(srv);
    log_info("stopped");
    return EXIT_SUCCESS;
}

/* ---- demo ---- */

static void demo_progress(void *user, const char *stage, double done)
{
    const char *slug = user;
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r  %-14s %-24s %3.0f%%", slug, stage, done * 100);
}

static int cmd_demo(const struct common_opts *co, int scale, unsigned long long seed, const char *only, int force)
{
    static struct config cfg;
    struct err e = {0};
    if (load_config(&cfg, co, &e))
        return fail(&e);
    if (mkdir(cfg.data_dir, 0755) != 0 && access(cfg.data_dir, W_OK) != 0) {
        fprintf(stderr, "odra: data directory %s: cannot create or write\n", cfg.data_dir);
        return EXIT_FAILURE;
    }
    if (only && !config_tenant_find(&cfg, only))
        return usage_error("unknown tenant '%s'", only);
    double t0 = log_now_ms();
    long total_parcels = 0, total_addresses = 0;
    for (int i = 0; i < cfg.n_tenants; i++) {
        const struct config_tenant *t = &cfg.tenants[i];
        if (only && strcmp(only, t->slug))
            continue;
        char path[1100];
        snprintf(path, sizeof path, "%s/%s.sqlite", cfg.data_dir, t->slug);
        if (!force && access(path, F_OK) == 0) {
            fprintf(stderr, "  %-14s %s exists, kept (use --force to recreate)\n", t->slug, path);
            continue;
        }
        double t1 = log_now_ms();
        struct gis_demo_stats st = {0};
        if (gis_demo_create(path, t, scale, seed, demo_progress, (void *)t->slug, &st, &e) != ERR_OK) {
            if (isatty(STDERR_FILENO))
                fputc('\n', stderr);
            return fail(&e);
        }
        if (t->n_modules) {
            struct gis_store *w = NULL;
            enum err_code rc = gis_store_open(path, GIS_STORE_WRITE, &w, &e);
            if (!rc)
                rc = svc_modules_demo(t, w, &e);
            gis_store_close(w);
            if (rc)
                return fail(&e);
        }
        if (isatty(STDERR_FILENO))
            fputc('\r', stderr);
        fprintf(stderr, "  %-14s %7ld parcels %6ld addresses %6ld buildings %2ld plans %4ld zones  %.1fs\n", t->slug,
                st.parcels, st.addresses, st.buildings, st.plans, st.plan_zones + st.pog_zones,
                (log_now_ms() - t1) / 1000);
        total_parcels += st.parcels;
        total_addresses += st.addresses;
    }
    fprintf(stderr, "demo: %ld parcels, %ld addresses in %.1fs (scale %d, seed %llu) in %s\n", total_parcels,
            total_addresses, (log_now_ms() - t0) / 1000, scale, seed, cfg.data_dir);
    return EXIT_SUCCESS;
}

/* ---- import ---- */

static void remove_store(const char *path)
{
    char p[1200];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static int cmd_import(const struct common_opts *co, const char *tenant, const struct gis_import_opts *io,
                      char *const *files, int nfiles)
{
    static struct config cfg;
    struct err e = {0};
    if (load_config(&cfg, co, &e))
        return fail(&e);
    if (!tenant)
        return usage_error("import needs --tenant%s", "");
    if (!io->collection)
        return usage_error("import needs --as COLLECTION%s", "");
    if (nfiles == 0)
        return usage_error("import needs at least one FILE%s", "");
    if (!config_tenant_find(&cfg, tenant))
        return usage_error("unknown tenant '%s'", tenant);
    /* Refuse hostile files before the store is even opened, so it stays byte-identical. */
    for (int i = 0; i < nfiles; i++)
        if (gis_import_check_file(files[i], &e) != ERR_OK)
            return fail(&e);
    char path[1100];
    snprintf(path, sizeof path, "%s/%s.sqlite", cfg.data_dir, tenant);
    /* A tenant without a store gets an empty one; if the import then fails, it is removed again. */
    int existed = access(path, F_OK) == 0;
    if (!existed && mkdir(cfg.data_dir, 0755) != 0 && access(cfg.data_dir, W_OK) != 0) {
        fprintf(stderr, "odra: data directory %s: cannot create or write\n", cfg.data_dir);
        return EXIT_FAILURE;
    }
    struct gis_store *w;
    if (gis_store_open(path, GIS_STORE_CREATE, &w, &e) != ERR_OK) {
        if (!existed)
            remove_store(path);
        return fail(&e);
    }
    struct gis_import_stats st = {0};
    double t0 = log_now_ms();
    enum err_code rc = gis_import_run(w, (const char *const *)files, nfiles, io, &st, stderr, &e);
    gis_store_close(w);
    if (rc != ERR_OK) {
        if (!existed)
            remove_store(path);
        return fail(&e);
    }
    fprintf(stderr,
            "import: %ld read, %ld imported (%ld replaced existing rows), %ld repaired, %ld rejected, %ld overlaps in "
            "%.1fs\n",
            st.read, st.imported, st.updated, st.repaired, st.rejected, st.overlaps, (log_now_ms() - t0) / 1000);
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("missing command%s", "");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(usage_text, stdout);
        return EXIT_SUCCESS;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("odra %s\n", ODRA_VERSION);
        return EXIT_SUCCESS;
    }
    /* Subcommands that parse their own options. */
    if (!strcmp(cmd, "extract"))
        return cli_extract(argc - 1, argv + 1);
    if (!strcmp(cmd, "seed"))
        return cli_seed(argc, argv);
    enum {
        OPT_CONFIG = 1000,
        OPT_DATA,
        OPT_LISTEN,
        OPT_SCALE,
        OPT_SEED,
        OPT_FORCE,
        OPT_TENANT,
        OPT_AS,
        OPT_PRESET,
        OPT_MAP,
        OPT_SSRS,
        OPT_HELP
    };
    static const struct option opts[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"data", required_argument, NULL, OPT_DATA},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"scale", required_argument, NULL, OPT_SCALE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"force", no_argument, NULL, OPT_FORCE},
        {"tenant", required_argument, NULL, OPT_TENANT},
        {"as", required_argument, NULL, OPT_AS},
        {"preset", required_argument, NULL, OPT_PRESET},
        {"map", required_argument, NULL, OPT_MAP},
        {"s-srs", required_argument, NULL, OPT_SSRS},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    struct common_opts co = {0};
    struct gis_import_opts io = {.progress = true};
    const char *tenant = NULL;
    long scale = 1, seed = 2026;
    int force = 0;
    const char *valid = NULL; /* options this command takes, as a list of names */
    if (!strcmp(cmd, "serve"))
        valid = " config data listen help ";
    else if (!strcmp(cmd, "demo"))
        valid = " config data scale seed tenant force help ";
    else if (!strcmp(cmd, "import"))
        valid = " config data tenant as preset map s-srs help ";
    else
        return usage_error("unknown command '%s'", cmd);
    optind = 1;
    opterr = 0;
    int c, idx = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, &idx)) != -1) {
        if (c == '?' || c == ':')
            return usage_error("bad or incomplete option '%s'", argv[optind] ? argv[optind] : "");
        char key[32];
        snprintf(key, sizeof key, " %s ", opts[idx].name);
        if (!strstr(valid, key))
            return usage_error("option --%s does not apply to this command", opts[idx].name);
        switch (c) {
        case OPT_CONFIG: co.config = optarg; break;
        case OPT_DATA: co.data = optarg; break;
        case OPT_LISTEN: co.listen = optarg; break;
        case OPT_SCALE:
            if (!text_parse_long(optarg, 1, 1000, &scale))
                return usage_error("--scale must be an integer from 1 to 1000, got '%s'", optarg);
            break;
        case OPT_SEED:
            if (!text_parse_long(optarg, 0, 1L << 62, &seed))
                return usage_error("--seed must be a non-negative integer, got '%s'", optarg);
            break;
        case OPT_FORCE: force = 1; break;
        case OPT_TENANT: tenant = optarg; break;
        case OPT_AS: io.collection = optarg; break;
        case OPT_PRESET: io.preset = optarg; break;
        case OPT_MAP: io.map = optarg; break;
        case OPT_SSRS: io.s_srs = optarg; break;
        case OPT_HELP: fputs(usage_text, stdout); return EXIT_SUCCESS;
        default: return usage_error("bad option%s", "");
        }
    }
    int rest = optind + 1; /* getopt ran on argv + 1 */
    if (!strcmp(cmd, "import"))
        return cmd_import(&co, tenant, &io, argv + rest, argc - rest);
    if (rest < argc)
        return usage_error("unexpected argument '%s'", argv[rest]);
    if (!strcmp(cmd, "serve"))
        return cmd_serve(&co);
    return cmd_demo(&co, (int)scale, (unsigned long long)seed, tenant, force);
}
