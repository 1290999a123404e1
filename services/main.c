/* The odra command line: one binary, one subcommand per task (serve, demo, import, ...). */
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gis/app_export.h"
#include "gis/boundary.h"
#include "services/cli_seal.h"
#include "tools/demo/demo.h"
#include "gis/drawing.h"
#include "gis/import.h"
#include "gis/store.h"
#include "services/backup.h"
#include "services/twin.h"
#include "services/cli_backup.h"
#include "services/cli_extract.h"
#include "services/cli_payments.h"
#include "services/cli_seed.h"
#include "services/cli_user.h"
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
    "  import  --tenant T --as COLLECTION [--preset NAME] [--map dst=src,...] [--s-srs EPSG:n]\n"
    "          [--check] [--report FILE.json] FILE...              import vector data (GDAL/OGR), validated\n"
    "  import  --tenant T [--check] [--report FILE.json] FILE.gml  import an APP file: its acts and zones\n"
    "  import  --tenant T --as plan-drawing --plan IIP|ID [--s-srs EPSG:n] FILE.tif\n"
    "                                                              register a plan's georeferenced raster drawing\n"
    "  boundary --tenant T [--s-srs EPSG:n] FILE                  set the gmina's territory from a polygon file\n"
    "  export  --tenant T --as app [--plan IIP|ID] [-o FILE.gml]   write plans as APP 2.0 GML (EPSG:2176)\n"
    "  extract --tenant T --parcel ID [--parcel ID...] [-o FILE.pdf] [--fee paid|exempt] [--issue]\n"
    "                                                              register (and issue) a wypis i wyrys as PDF\n"
    "  payments import --tenant T [--bank NAME] FILE               book a bank statement (MT940 or a bank's CSV)\n"
    "  seal    demo | check FILE.pdf | bench --tenant T [--parcel ID] [--n N]\n"
    "                                                              TEST seals, check a seal, what sealing costs\n"
    "  seed    --tenant T --tileset NAME --zoom A-B [--bbox ...] [--threads N]\n"
    "                                                              pre-render tiles into the cache\n"
    "  user    add [--admin] [--tenant T --role R] LOGIN            add an account; the password from stdin\n"
    "  user    grant --tenant T --role R LOGIN | passwd LOGIN | disable LOGIN | enable LOGIN | list\n"
    "                                                              roles, a new password, shut out, the accounts\n"
    "  client  add --tenant T --scope S [--scope S...] NAME        add an API client; prints its key once\n"
    "  audit   verify                                              check the audit log's hash chain\n"
    "  backup  (--tenant T | --all) -o DIR                         snapshot the stores while the server runs\n"
    "  restore DIR [--tenant T] [--force]                          check a backup and put it into --data\n"
    "  twin    status | verify [--tenant T]                        twin sites: roles, terms, compare both sides\n"
    "  twin    promote --tenant T [--force] | rejoin --tenant T    takeover on the twin; the old primary follows\n"
    "  MODULE  SUBCOMMAND --tenant T ...                           an e-service's own command (its README)\n"
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
    if (config_load_cli(cfg, co->config, co->data, e))
        return e->code;
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
    if (svc_server_new(&cfg, &srv, &e) || svc_server_start(srv, &e) || svc_backup_start(&cfg, &e) ||
        svc_twin_start(srv, &e)) {
        if (e.code == ERR_OK)
            err_set(&e, ERR_INTERNAL, "cannot start");
        return fail(&e);
    }
    log_info("odra %s serving %d gminas from %s on http://%s:%d/ (%d threads)", ODRA_VERSION, cfg.n_tenants,
             cfg.data_dir, cfg.listen_host, svc_server_port(srv), cfg.threads);
    int sig = 0;
    sigwait(&stop, &sig);
    log_info("received %s, finishing requests in flight and stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    svc_backup_stop();
    svc_twin_stop();
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
        if (cli_seal_demo_one(&cfg, t, &e))
            return fail(&e);
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
            struct err ce = {0}; /* the modules' demo data went through the WAL: leave none behind */
            if (!rc && gis_store_checkpoint(w, &ce))
                fprintf(stderr, "  %-14s note: %s\n", t->slug, ce.msg);
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

/* `import --as plan-drawing`: stores a GeoTIFF as the raster drawing of an existing plan (by APP idIIP or
 * row id). The wyrys of that plan then draws the parcels over it. */
static int cmd_import_drawing(const char *path, const char *plan, const char *s_srs, const char *file)
{
    struct err e = {0};
    if (!plan)
        return usage_error("--as plan-drawing needs --plan IIP|ID%s", "");
    int srid = 0;
    if (s_srs && sscanf(s_srs, "EPSG:%d", &srid) != 1)
        return usage_error("--s-srs must be EPSG:n, got '%s'", s_srs);
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "odra: %s: cannot open\n", file);
        return EXIT_FAILURE;
    }
    struct buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < (200u << 20))
        buf_append(&b, chunk, n);
    bool toobig = !feof(f);
    fclose(f);
    if (toobig || b.failed) {
        buf_free(&b);
        fprintf(stderr, "odra: %s: larger than 200 MB or unreadable\n", file);
        return EXIT_FAILURE;
    }
    struct gis_store *w = NULL;
    long id = 0, scale = 0, did = 0;
    enum err_code rc = access(path, F_OK) == 0
                           ? gis_store_open(path, GIS_STORE_WRITE, &w, &e)
                           : err_set(&e, ERR_NOT_FOUND, "%s: no store (import the plans first)", path);
    if (!rc)
        rc = gis_drawing_plan_find(w, plan, &id, &scale, &e);
    const char *base = strrchr(file, '/');
    if (!rc)
        rc = gis_drawing_add(w, id, base ? base + 1 : file, b.data, b.len, scale, srid, &did, &e);
    gis_store_close(w);
    buf_free(&b);
    if (rc)
        return fail(&e);
    fprintf(stderr, "import: %s registered as drawing %ld of plan %ld\n", file, did, id);
    return EXIT_SUCCESS;
}

/* Writes the findings on stdout (for people) and, with --report, as JSON. */
static void import_report(const struct gis_report *rp, const struct gis_import_stats *st, const char *tenant,
                          const struct gis_import_opts *io, char *const *files, int nfiles, const struct err *failed,
                          const char *json_path, double seconds)
{
    bool done = !failed || failed->code == ERR_OK;
    struct gis_report_meta m = {.tenant = tenant,
                                .teryt = io->teryt,
                                .collection = io->collection ? io->collection : "app",
                                .format = st->format[0] ? st->format : NULL,
                                .files = (const char *const *)files,
                                .nfiles = nfiles,
                                .check = io->check,
                                .imported = st->written,
                                .read = st->read,
                                .written = done ? st->imported : 0,
                                .repaired = st->repaired,
                                .rejected = st->rejected,
                                .seconds = seconds,
                                .error = done ? NULL : failed->msg};
    gis_report_print(rp, &m, stdout);
    fflush(stdout);
    struct err e = {0};
    if (json_path && gis_report_write_json(rp, &m, json_path, &e))
        fprintf(stderr, "odra: %s\n", e.msg);
}

static int cmd_import(const struct common_opts *co, const char *tenant, struct gis_import_opts *io, const char *plan,
                      const char *json_path, char *const *files, int nfiles)
{
    /* One pass over a file of any size: give freed memory back instead of keeping the server's reserve
     * (main), so the peak RSS of a 200 MB import stays what the import needs at once. */
    mallopt(M_TRIM_THRESHOLD, 4 << 20);
    static struct config cfg;
    struct err e = {0};
    if (load_config(&cfg, co, &e))
        return fail(&e);
    if (!tenant)
        return usage_error("import needs --tenant%s", "");
    if (nfiles == 0)
        return usage_error("import needs --as COLLECTION (not for APP GML) and at least one FILE%s", "");
    const struct config_tenant *t = config_tenant_find(&cfg, tenant);
    if (!t)
        return usage_error("unknown tenant '%s'", tenant);
    if (io->collection && !strcmp(io->collection, "plan-drawing")) {
        if (nfiles != 1)
            return usage_error("--as plan-drawing takes one FILE%s", "");
        char dpath[1100];
        snprintf(dpath, sizeof dpath, "%s/%s.sqlite", cfg.data_dir, tenant);
        return cmd_import_drawing(dpath, plan, io->s_srs, files[0]);
    }
    /* Refuse hostile files before the store is even opened, so it stays byte-identical. */
    for (int i = 0; i < nfiles; i++)
        if (gis_import_check_file(files[i], &e) != ERR_OK) {
            if (json_path) {
                struct gis_report *rp = gis_report_new();
                struct gis_import_stats none = {0};
                const char *slash = strrchr(files[i], '/');
                gis_report_add(rp, "PLIK-ODRZUCONY", slash ? slash + 1 : files[i], NULL, NULL, NAN, "%s", e.msg);
                io->teryt = t->teryt;
                import_report(rp, &none, tenant, io, files, nfiles, &e, json_path, 0);
                gis_report_free(rp);
            }
            return fail(&e);
        }
    static struct app_gmina gminas[CONFIG_MAX_TENANTS];
    for (int i = 0; i < cfg.n_tenants; i++) {
        snprintf(gminas[i].teryt, sizeof gminas[i].teryt, "%s", cfg.tenants[i].teryt);
        snprintf(gminas[i].name, sizeof gminas[i].name, "%s", cfg.tenants[i].name);
    }
    io->teryt = t->teryt;
    io->gmina = t->name;
    io->gminas = gminas;
    io->ngminas = cfg.n_tenants;
    io->gap_tolerance_m2 = cfg.import_gap_tolerance_m2;
    io->boundary_tolerance_m = cfg.import_boundary_tolerance_m;
    io->app_schemas = cfg.import_app_schemas[0] ? cfg.import_app_schemas : NULL;
    struct gis_report *rp = gis_report_new();
    io->findings = rp;
    char path[1100];
    snprintf(path, sizeof path, "%s/%s.sqlite", cfg.data_dir, tenant);
    /* A tenant without a store gets an empty one; if the import then fails (or only checks), it is removed
     * again. */
    int existed = access(path, F_OK) == 0;
    if (!existed && mkdir(cfg.data_dir, 0755) != 0 && access(cfg.data_dir, W_OK) != 0) {
        fprintf(stderr, "odra: data directory %s: cannot create or write\n", cfg.data_dir);
        gis_report_free(rp);
        return EXIT_FAILURE;
    }
    struct gis_store *w;
    if (gis_store_open(path, GIS_STORE_CREATE, &w, &e) != ERR_OK) {
        if (!existed)
            remove_store(path);
        gis_report_free(rp);
        return fail(&e);
    }
    struct gis_import_stats st = {0};
    double t0 = log_now_ms();
    enum err_code rc = gis_import_run(w, (const char *const *)files, nfiles, io, &st, stderr, &e);
    gis_store_close(w);
    if (!existed && !st.written)
        remove_store(path);
    import_report(rp, &st, tenant, io, files, nfiles, &e, json_path, (log_now_ms() - t0) / 1000);
    gis_report_free(rp);
    if (rc != ERR_OK)
        return fail(&e);
    fprintf(stderr,
            "import: %ld read, %ld %s (%ld replaced existing rows), %ld repaired, %ld rejected, %ld overlaps in "
            "%.1fs\n",
            st.read, st.imported, io->check ? "valid, nothing written (--check)" : "imported", st.updated, st.repaired,
            st.rejected, st.overlaps, (log_now_ms() - t0) / 1000);
    return EXIT_SUCCESS;
}

/* `odra export --as app`: the plans as APP 2.0 GML, to a file (written whole, then renamed) or stdout. */
static int cmd_export(const struct common_opts *co, const char *tenant, const char *as, const char *plan,
                      const char *output)
{
    static struct config cfg;
    struct err e = {0};
    if (load_config(&cfg, co, &e))
        return fail(&e);
    const struct config_tenant *t = tenant ? config_tenant_find(&cfg, tenant) : NULL;
    if (!t)
        return usage_error("export needs --tenant with a configured gmina%s", "");
    if (!as || strcmp(as, "app") != 0)
        return usage_error("export needs --as app (APP 2.0 GML)%s", "");
    char path[1100], tmp[1200];
    snprintf(path, sizeof path, "%s/%s.sqlite", cfg.data_dir, tenant);
    struct gis_store *s;
    if (gis_store_open(path, GIS_STORE_READ, &s, &e) != ERR_OK)
        return fail(&e);
    bool to_stdout = !output || !strcmp(output, "-");
    snprintf(tmp, sizeof tmp, "%s.tmp", to_stdout ? "" : output);
    FILE *out = to_stdout ? stdout : fopen(tmp, "w");
    if (!out) {
        gis_store_close(s);
        fprintf(stderr, "odra: %s: cannot write\n", tmp);
        return EXIT_FAILURE;
    }
    struct gis_app_export_opts o = {.plan = plan, .teryt = t->teryt};
    struct gis_app_export_stats st;
    enum err_code rc = gis_app_export(s, &o, out, &st, &e);
    gis_store_close(s);
    if (!to_stdout && (fclose(out) != 0 || (!rc && rename(tmp, output) != 0)) && !rc)
        rc = err_set(&e, ERR_IO, "%s: cannot write", output);
    if (!to_stdout && rc)
        unlink(tmp);
    if (rc)
        return fail(&e);
    fprintf(stderr, "export: %d plan%s, %ld POG zones as APP 2.0 (EPSG:2176)%s%s\n", st.plans, st.plans == 1 ? "" : "s",
            st.zones, to_stdout ? "" : " to ", to_stdout ? "" : output);
    return EXIT_SUCCESS;
}

/* `odra boundary`: the gmina's territory from a polygon file. */
static int cmd_boundary(const struct common_opts *co, const char *tenant, const char *s_srs, char *const *files,
                        int nfiles)
{
    static struct config cfg;
    struct err e = {0};
    if (load_config(&cfg, co, &e))
        return fail(&e);
    if (!tenant || !config_tenant_find(&cfg, tenant))
        return usage_error("boundary needs --tenant with a configured gmina%s", "");
    if (nfiles != 1)
        return usage_error("boundary takes one FILE%s", "");
    if (mkdir(cfg.data_dir, 0755) != 0 && access(cfg.data_dir, W_OK) != 0) {
        fprintf(stderr, "odra: data directory %s: cannot create or write\n", cfg.data_dir);
        return EXIT_FAILURE;
    }
    char path[1100];
    snprintf(path, sizeof path, "%s/%s.sqlite", cfg.data_dir, tenant);
    struct gis_store *w;
    if (gis_store_open(path, GIS_STORE_CREATE, &w, &e) != ERR_OK)
        return fail(&e);
    double area = 0;
    enum err_code rc = gis_boundary_set(w, files[0], s_srs, &area, &e);
    gis_store_close(w);
    if (rc)
        return fail(&e);
    fprintf(stderr, "boundary: gmina %s: territory set from %s (%.1f ha)\n", tenant, files[0], area / 1e4);
    return EXIT_SUCCESS;
}

/* The options of the commands main parses itself (serve, demo, import, boundary, export). */
struct main_args {
    struct common_opts co;
    struct gis_import_opts io;
    const char *tenant, *plan, *json_report, *output;
    long scale, seed;
    int force;
    int rest; /* the index in argv of the first argument after the options */
};

/* Parses cmd's options into a; the exit status of a usage error or of --help, or -1 when they parsed. */
static int main_args_parse(const char *cmd, int argc, char **argv, struct main_args *a)
{
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
        OPT_PLAN,
        OPT_CHECK,
        OPT_REPORT,
        OPT_OUTPUT,
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
        {"plan", required_argument, NULL, OPT_PLAN},
        {"check", no_argument, NULL, OPT_CHECK},
        {"report", required_argument, NULL, OPT_REPORT},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *valid = NULL; /* options this command takes, as a list of names */
    if (!strcmp(cmd, "serve"))
        valid = " config data listen help ";
    else if (!strcmp(cmd, "demo"))
        valid = " config data scale seed tenant force help ";
    else if (!strcmp(cmd, "import"))
        valid = " config data tenant as preset map s-srs plan check report help ";
    else if (!strcmp(cmd, "boundary"))
        valid = " config data tenant s-srs help ";
    else if (!strcmp(cmd, "export"))
        valid = " config data tenant as plan output help ";
    else
        return usage_error("unknown command '%s'", cmd);
    optind = 1;
    opterr = 0;
    int c, idx = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "o:", opts, &idx)) != -1) {
        if (c == '?' || c == ':')
            return usage_error("bad or incomplete option '%s'", argv[optind] ? argv[optind] : "");
        if (c == 'o') /* -o is --output */
            for (c = OPT_OUTPUT, idx = 0; opts[idx].val != OPT_OUTPUT; idx++)
                ;
        char key[32];
        snprintf(key, sizeof key, " %s ", opts[idx].name);
        if (!strstr(valid, key))
            return usage_error("option --%s does not apply to this command", opts[idx].name);
        switch (c) {
        case OPT_CONFIG: a->co.config = optarg; break;
        case OPT_DATA: a->co.data = optarg; break;
        case OPT_LISTEN: a->co.listen = optarg; break;
        case OPT_SCALE:
            if (!text_parse_long(optarg, 1, 1000, &a->scale))
                return usage_error("--scale must be an integer from 1 to 1000, got '%s'", optarg);
            break;
        case OPT_SEED:
            if (!text_parse_long(optarg, 0, 1L << 62, &a->seed))
                return usage_error("--seed must be a non-negative integer, got '%s'", optarg);
            break;
        case OPT_FORCE: a->force = 1; break;
        case OPT_TENANT: a->tenant = optarg; break;
        case OPT_AS: a->io.collection = optarg; break;
        case OPT_PRESET: a->io.preset = optarg; break;
        case OPT_MAP: a->io.map = optarg; break;
        case OPT_SSRS: a->io.s_srs = optarg; break;
        case OPT_PLAN: a->plan = optarg; break;
        case OPT_CHECK: a->io.check = true; break;
        case OPT_REPORT: a->json_report = optarg; break;
        case OPT_OUTPUT: a->output = optarg; break;
        case OPT_HELP: fputs(usage_text, stdout); return EXIT_SUCCESS;
        default: return usage_error("bad option%s", "");
        }
    }
    a->rest = optind + 1; /* getopt ran on argv + 1 */
    return -1;
}

int main(int argc, char **argv)
{
    /* Images, PNG rows and PDFs are megabytes each. With glibc's defaults every such buffer is a fresh
     * mmap (or a trimmed heap) and its pages fault in again on each request: a tenth of a map request's
     * time. Keep them in the heap and keep up to 64 MB of free heap per arena for the next request. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
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
    if (!strcmp(cmd, "backup") || !strcmp(cmd, "restore"))
        return cli_backup(argc - 1, argv + 1);
    if (!strcmp(cmd, "seal"))
        return cli_seal(argc - 1, argv + 1);
    if (!strcmp(cmd, "twin"))
        return cli_twin(argc - 1, argv + 1);
    if (!strcmp(cmd, "seed"))
        return cli_seed(argc, argv);
    if (!strcmp(cmd, "payments"))
        return cli_payments(argc - 1, argv + 1);
    if (!strcmp(cmd, "user") || !strcmp(cmd, "client") || !strcmp(cmd, "audit"))
        return cli_user(argc, argv);
    const struct svc_module *mod = svc_module_find(cmd); /* an e-service's own commands (docs/modules.md) */
    if (mod)
        return svc_module_cli(mod, argc - 1, argv + 1);
    struct main_args a = {.io = {.progress = true}, .scale = 1, .seed = 2026};
    int prc = main_args_parse(cmd, argc, argv, &a);
    if (prc >= 0)
        return prc;
    int rest = a.rest;
    if (!strcmp(cmd, "import"))
        return cmd_import(&a.co, a.tenant, &a.io, a.plan, a.json_report, argv + rest, argc - rest);
    if (!strcmp(cmd, "boundary"))
        return cmd_boundary(&a.co, a.tenant, a.io.s_srs, argv + rest, argc - rest);
    if (!strcmp(cmd, "export")) {
        if (rest < argc)
            return usage_error("unexpected argument '%s'", argv[rest]);
        return cmd_export(&a.co, a.tenant, a.io.collection, a.plan, a.output);
    }
    if (rest < argc)
        return usage_error("unexpected argument '%s'", argv[rest]);
    if (!strcmp(cmd, "serve"))
        return cmd_serve(&a.co);
    return cmd_demo(&a.co, (int)a.scale, (unsigned long long)a.seed, a.tenant, a.force);
}
