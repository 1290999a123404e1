/* `odra backup --tenant T|--all -o DIR` and `odra restore DIR [--tenant T] [--force]`. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/cli_backup.h"

#include "services/backup.h"
#include "util/config.h"

static int usage(const char *msg)
{
    fprintf(stderr,
            "odra: %s\nusage: odra backup (--tenant T | --all) -o DIR [--config FILE] [--data DIR]\n"
            "       odra restore DIR [--tenant T] [--force] [--config FILE] [--data DIR]\n",
            msg);
    return 2;
}

struct backup_args {
    bool restore, all, force;
    const char *tenant, *out, *dir, *config, *data;
};

/* Reads the options into x; -1 to go on, else the exit code. */
static int backup_parse(int argc, char **argv, struct backup_args *x)
{
    static const struct option opts[] = {
        {"tenant", required_argument, NULL, 't'}, {"all", no_argument, NULL, 'a'},
        {"output", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'f'},
        {"config", required_argument, NULL, 'c'}, {"data", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    *x = (struct backup_args){.restore = !strcmp(argv[0], "restore")};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 't': x->tenant = optarg; break;
        case 'a': x->all = true; break;
        case 'o': x->out = optarg; break;
        case 'f': x->force = true; break;
        case 'c': x->config = optarg; break;
        case 'd': x->data = optarg; break;
        case 'h': usage(x->restore ? "restore: put a backup back" : "backup: snapshot the stores"); return 0;
        default: return usage("bad option");
        }
    }
    if (x->restore) {
        if (optind != argc - 1)
            return usage("restore needs the backup directory");
        x->dir = argv[optind];
        if (x->all || x->out)
            return usage("restore takes DIR, --tenant and --force");
        return -1;
    }
    if (optind < argc)
        return usage("unexpected argument");
    if (!x->out)
        return usage("backup needs -o DIR");
    if (!x->all == !x->tenant)
        return usage("backup needs either --tenant T or --all");
    if (x->force)
        return usage("--force is for restore");
    return -1;
}

int cli_backup(int argc, char **argv)
{
    static struct backup_args x;
    int rc = backup_parse(argc, argv, &x);
    if (rc >= 0)
        return rc;
    static struct config cfg;
    struct err e = {0};
    if (config_load_cli(&cfg, x.config, x.data, &e)) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    if (x.restore ? svc_backup_restore(x.dir, cfg.data_dir, x.tenant, x.force, stdout, &e)
                  : svc_backup_snapshot(&cfg, x.tenant, x.out, stdout, &e)) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    printf(x.restore ? "restored %s into %s\n" : "backup written to %s (manifest.json)\n", x.restore ? x.dir : x.out,
           cfg.data_dir);
    return 0;
}
