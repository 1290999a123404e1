/* `odra seal`: the demo's TEST seals, checking a sealed PDF, and what sealing costs per document. */
#include "services/cli_seal.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gis/extract.h"
#include "gis/geos_ctx.h"
#include "gis/receipt.h"
#include "gis/seal.h"
#include "gis/store.h"
#include "services/server.h"
#include "util/config.h"
#include "util/log.h"

static int usage(const char *why)
{
    fprintf(stderr,
            "odra seal: %s\n"
            "usage: odra seal demo [--config FILE] [--data DIR]       make the TEST seals the config names\n"
            "       odra seal check FILE.pdf                          check a PDF's seal (signature, byte range)\n"
            "       odra seal bench --tenant T [--parcel ID] [--n N]  what sealing adds per document (p50, p99)\n",
            why);
    return 2;
}

int cli_seal_demo_one(const struct config *cfg, const struct config_tenant *t, struct err *e)
{
    if (!t->seal[0])
        return ERR_OK;
    char p12[1100], pass[1100];
    snprintf(p12, sizeof p12, "%s%s%s", t->seal[0] == '/' ? "" : cfg->data_dir, t->seal[0] == '/' ? "" : "/", t->seal);
    snprintf(pass, sizeof pass, "%s%s%s", t->seal_password_file[0] == '/' ? "" : cfg->data_dir,
             t->seal_password_file[0] == '/' ? "" : "/", t->seal_password_file);
    char *slash = strrchr(p12, '/');
    size_t n = strlen(p12);
    if (!slash || n < 5 || strcmp(p12 + n - 4, ".p12") != 0 || strncmp(pass, p12, n - 4) != 0 ||
        strcmp(pass + n - 4, ".pass") != 0) {
        fprintf(stderr, "  %-14s seal %s: not of the form DIR/NAME.p12 with DIR/NAME.pass, no test seal made\n",
                t->slug, p12);
        return ERR_OK;
    }
    p12[n - 4] = 0;
    *slash = 0;
    return gis_seal_demo(p12, slash + 1, t->organ, e);
}

static int seal_check(const char *path)
{
    struct buf b = {0};
    if (!buf_read_file(&b, path)) {
        buf_free(&b);
        fprintf(stderr, "odra: %s: cannot read\n", path);
        return 1;
    }
    struct gis_seal_report r;
    struct err e = {0};
    gis_seal_check(b.data, b.len, NULL, &r, &e);
    buf_free(&b);
    if (!r.present) {
        printf("no seal: %s\n", r.problem);
        return 1;
    }
    printf("%s: %s\nsigner: %s\nissuer: %s\nsigned at: %s\nlevel: %s\nwhole file: %s\n",
           r.valid ? "valid" : "NOT VALID", r.valid ? "the signature covers the whole file and verifies" : r.problem,
           r.signer, r.issuer, r.signed_at, r.timestamped ? "PAdES-B-T" : "PAdES-B-B", r.whole_file ? "yes" : "no");
    return r.valid ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Seals copies of pdf n times; prints the p50 and p99 in ms. */
static int time_sealing(const char *what, const struct gis_seal *s, const struct buf *pdf, int n)
{
    double *ms = calloc((size_t)n, sizeof *ms);
    struct gis_seal_field f = {.rect = {300, 100, 500, 150}, .reason = "bench"};
    for (int i = 0; ms && i < n; i++) {
        struct buf c = {0};
        buf_append(&c, pdf->data, pdf->len);
        struct err e = {0};
        double t0 = log_now_ms();
        enum err_code rc = gis_seal_sign(s, &c, 0, &f, &e);
        ms[i] = log_now_ms() - t0;
        buf_free(&c);
        if (rc) {
            fprintf(stderr, "odra: %s\n", e.msg);
            free(ms);
            return 1;
        }
    }
    if (!ms)
        return 1;
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    printf("seal_%s_p50_ms %.2f\nseal_%s_p99_ms %.2f (n=%d, %zu kB unsealed, key %s, %s)\n", what, ms[n / 2], what,
           ms[n * 99 / 100], n, pdf->len / 1024, gis_seal_key_type(s), gis_seal_level(s));
    free(ms);
    return 0;
}

/* The extract of parcel, unsealed, into out. */
static enum err_code bench_extract(const struct config *cfg, const struct config_tenant *t, const char *parcel,
                                   struct buf *out, struct err *e)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s.sqlite", cfg->data_dir, t->slug);
    struct gis_store *rd = NULL;
    struct arena *a = arena_new(1 << 16);
    struct gis_extract_doc *doc;
    const char *ids[] = {parcel};
    struct gis_extract_meta m = gis_extract_tmpl(t);
    m.case_number = "BENCH.1.2026";
    m.date = "2026-05-14";
    m.wypis = true;
    m.wyrys = true;
    m.style = gis_extract_style();
    struct gis_extract_result res;
    enum err_code rc =
        !a ? err_set(e, ERR_INTERNAL, "out of memory") : gis_store_open(path, GIS_STORE_WRITE, &rd, e); /* migrates */
    if (!rc)
        rc = gis_extract_build(rd, a, ids, 1, NULL, &doc, e); /* the plans in force today */
    if (!rc)
        rc = gis_extract_pdf(rd, doc, &m, out, &res, e);
    gis_store_close(rd);
    gis_geos_thread_cleanup();
    arena_free(a);
    return rc;
}

static int seal_bench(const struct config *cfg, const char *tenant, const char *parcel, int n)
{
    const struct config_tenant *t = config_tenant_find(cfg, tenant ? tenant : "");
    if (!t || !t->seal[0])
        return usage("seal bench needs --tenant of a gmina with a seal");
    struct gis_seal *s = NULL;
    struct err e = {0};
    if (svc_seal_open(cfg, t, &s, &e)) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    struct buf receipt = {0}, extract = {0};
    const char sub[] = "{\"bench\":true}";
    const struct gis_receipt r = {.case_number = "BENCH.1.2026",
                                  .organ = t->organ,
                                  .gmina = t->name,
                                  .subject = "Wniosek (bench)",
                                  .received_at = "2026-05-14T10:00:00Z",
                                  .submission = sub,
                                  .submission_len = sizeof sub - 1};
    int rc = gis_receipt_pdf(&r, NULL, &receipt, NULL, &e) ? 1 : time_sealing("receipt", s, &receipt, n);
    if (!rc && parcel)
        rc = bench_extract(cfg, t, parcel, &extract, &e) ? 1 : time_sealing("extract", s, &extract, n);
    if (rc && e.code)
        fprintf(stderr, "odra: %s\n", e.msg);
    buf_free(&receipt);
    buf_free(&extract);
    gis_seal_free(s);
    return rc;
}

int cli_seal(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"data", required_argument, NULL, 'd'},
        {"tenant", required_argument, NULL, 't'}, {"parcel", required_argument, NULL, 'p'},
        {"n", required_argument, NULL, 'n'},      {NULL, 0, NULL, 0},
    };
    if (argc < 2)
        return usage("which: demo, check or bench?");
    const char *sub = argv[1], *config = NULL, *data = NULL, *tenant = NULL, *parcel = NULL;
    int n = 100, c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'd': data = optarg; break;
        case 't': tenant = optarg; break;
        case 'p': parcel = optarg; break;
        case 'n': n = atoi(optarg) > 0 && atoi(optarg) <= 100000 ? atoi(optarg) : 100; break;
        default: return usage("bad option");
        }
    }
    if (!strcmp(sub, "check"))
        return optind + 1 == argc ? seal_check(argv[optind]) : usage("seal check needs one FILE.pdf");
    if (optind != argc)
        return usage("unexpected argument");
    static struct config cfg;
    struct err e = {0};
    if (config_load_cli(&cfg, config, data, &e)) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    if (!strcmp(sub, "bench"))
        return seal_bench(&cfg, tenant, parcel, n);
    if (strcmp(sub, "demo") != 0)
        return usage("unknown subcommand");
    for (int i = 0; i < cfg.n_tenants; i++)
        if (cli_seal_demo_one(&cfg, &cfg.tenants[i], &e)) {
            fprintf(stderr, "odra: %s\n", e.msg);
            return 1;
        }
    return 0;
}
