/* `odra <module> SUBCOMMAND --tenant T [--config FILE] [--data DIR] ARGS...`: a module's command line (the
 * cli hook of struct svc_module), run on the tenant opened here the way the server opens it (its writer with
 * the modules' migrations, readers and the geocoder on demand), with a request that came over no HTTP. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/geocode.h"
#include "services/auth.h"
#include "services/module.h"
#include "services/server.h"
#include "util/config.h"

static int usage(const struct svc_module *m, const char *msg)
{
    fprintf(stderr, "odra: %s\nusage: odra %s SUBCOMMAND --tenant T [--config FILE] [--data DIR] ...\n", msg, m->name);
    return 2;
}

/* The value of option name ("--tenant") at argv[*i], as "--tenant X" or "--tenant=X"; advances *i. */
static bool option(const char *name, int argc, char **argv, int *i, const char **out)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n))
        return false;
    if (argv[*i][n] == '=') {
        *out = argv[*i] + n + 1;
        return true;
    }
    if (argv[*i][n] || *i + 1 >= argc)
        return false;
    *out = argv[++*i];
    return true;
}

/* Runs m's hook on tenant tc of c; the exit status. */
static int run(const struct svc_module *m, const struct config *c, const struct config_tenant *tc, int argc,
               char **argv)
{
    struct svc_tenant t = {.cfg = tc};
    snprintf(t.store_path, sizeof t.store_path, "%s/%s.sqlite", c->data_dir, tc->slug);
    pthread_mutex_init(&t.write_lock, NULL);
    static struct auth_principal who = {.account = {.kind = "staff"}};
    snprintf(who.account.login, sizeof who.account.login, "odra %s", m->name);
    static const char *const none[] = {NULL, NULL};
    struct http_req req = {.arena = arena_new(1 << 20),
                           .method = "CLI",
                           .path = m->name,
                           .tenant = &t,
                           .principal = &who,
                           .sub_query = none,
                           .sub_headers = none};
    struct err e = {0};
    int rc = 1;
    if (!req.arena)
        fprintf(stderr, "odra: out of memory\n");
    else if (gis_store_open(t.store_path, GIS_STORE_WRITE, &t.writer, &e) || svc_modules_migrate(tc, t.writer, &e))
        fprintf(stderr, "odra: %s: %s\n", t.store_path, e.msg[0] ? e.msg : err_name(e.code));
    else {
        rc = m->cli(&req, argc, argv);
        struct err ce = {0};
        gis_store_checkpoint(t.writer, &ce); /* a large booking leaves no large WAL behind */
    }
    gis_geocoder_free(t.geocoder);
    gis_store_close(t.writer);
    arena_free(req.arena);
    pthread_mutex_destroy(&t.write_lock);
    return rc;
}

int svc_module_cli(const struct svc_module *m, int argc, char **argv)
{
    if (!m->cli)
        return usage(m, "this e-service has no command line");
    const char *tenant = NULL, *config = NULL, *data = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int n = 0;
    if (!rest)
        return 1;
    for (int i = 1; i < argc; i++)
        if (!option("--tenant", argc, argv, &i, &tenant) && !option("--config", argc, argv, &i, &config) &&
            !option("--data", argc, argv, &i, &data))
            rest[n++] = argv[i];
    int rc = 1;
    static struct config cfg;
    struct err e = {0};
    const struct config_tenant *tc = NULL;
    if (!tenant || !n)
        rc = usage(m, "a SUBCOMMAND and --tenant are required");
    else if (config_load_cli(&cfg, config, data, &e) || svc_modules_check_config(&cfg, &e))
        fprintf(stderr, "odra: %s\n", e.msg);
    else if (!(tc = config_tenant_find(&cfg, tenant)))
        rc = usage(m, "unknown tenant");
    else if (!svc_module_enabled(tc, m))
        fprintf(stderr, "odra: the e-service %s is not enabled for %s (modules = in the config)\n", m->name, tenant);
    else
        rc = run(m, &cfg, tc, n, rest);
    free(rest);
    return rc;
}
