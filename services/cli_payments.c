/* `odra payments import`: the statement import of services/payments.c from the command line, on a
 * tenant opened here the way the server opens it (its writer, and readers on demand). */
#include "services/cli_payments.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/auth.h"
#include "services/payments.h"
#include "services/server.h"
#include "util/config.h"

static int usage(const char *msg)
{
    fprintf(stderr,
            "odra: %s\nusage: odra payments import --tenant T [--bank NAME] [--config FILE] [--data DIR] FILE\n", msg);
    return 2;
}

/* The whole file in memory (statements are read whole: they are booked in one transaction). */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t r; buf && (r = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb, cap *= 2;
        }
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Imports path for tenant cfg of c, as the operator at the command line. */
static int payments_import(const struct config *c, const struct config_tenant *cfg, const char *bank, const char *path)
{
    size_t len = 0;
    char *data = read_file(path, &len);
    if (!data) {
        fprintf(stderr, "odra: %s: cannot read the file\n", path);
        return 1;
    }
    struct svc_tenant t = {.cfg = cfg};
    snprintf(t.store_path, sizeof t.store_path, "%s/%s.sqlite", c->data_dir, cfg->slug);
    pthread_mutex_init(&t.write_lock, NULL);
    static struct auth_principal cli = {.account = {.kind = "staff", .login = "odra payments"}};
    struct http_req req = {.arena = arena_new(1 << 20), .method = "CLI", .tenant = &t, .principal = &cli};
    struct err e = {0};
    json_t *j = NULL;
    int rc = 1;
    if (req.arena && !gis_store_open(t.store_path, GIS_STORE_WRITE, &t.writer, &e) &&
        !svc_pay_import(&req, c, data, len, bank, &j, &e)) {
        char *s = json_dumps(j, JSON_COMPACT);
        printf("%s\n", s ? s : "{}");
        free(s);
        struct err ce = {0};
        gis_store_checkpoint(t.writer, &ce); /* a large booking leaves no large WAL behind */
        rc = 0;
    }
    if (rc)
        fprintf(stderr, "odra: %s: %s\n", path, e.msg[0] ? e.msg : err_name(e.code));
    json_decref(j);
    gis_store_close(t.writer);
    arena_free(req.arena);
    pthread_mutex_destroy(&t.write_lock);
    free(data);
    return rc;
}

int cli_payments(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tenant", required_argument, NULL, 't'},
        {"bank", required_argument, NULL, 'b'},
        {"config", required_argument, NULL, 'c'},
        {"data", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "import") != 0)
        return usage("payments: the subcommand is import");
    const char *tenant = NULL, *bank = NULL, *config = NULL, *data = NULL;
    optind = 2;
    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        switch (o) {
        case 't': tenant = optarg; break;
        case 'b': bank = optarg; break;
        case 'c': config = optarg; break;
        case 'd': data = optarg; break;
        default: return usage("bad option");
        }
    }
    if (!tenant || optind != argc - 1)
        return usage("payments import needs --tenant and one FILE");
    static struct config cfg;
    struct err e = {0};
    if (config_load_cli(&cfg, config, data, &e)) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    const struct config_tenant *t = config_tenant_find(&cfg, tenant);
    if (!t) {
        fprintf(stderr, "odra: unknown tenant '%s'\n", tenant);
        return 2;
    }
    if (bank && !config_bank_find(&cfg, bank)) {
        fprintf(stderr, "odra: no bank '%s' is configured ([bank.NAME])\n", bank);
        return 2;
    }
    return payments_import(&cfg, t, bank, argv[optind]);
}
