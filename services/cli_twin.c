/* `odra twin status|promote|rejoin|verify`: the operator's side of twin sites (docs/twins.md). */
#include <curl/curl.h>
#include <dirent.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gis/backup.h"
#include "gis/twin.h"
#include "services/twin.h"
#include "services/twin_client.h"
#include "util/config.h"

static int usage(const char *msg)
{
    fprintf(stderr,
            "odra: %s\nusage: odra twin status [--tenant T]\n"
            "       odra twin promote --tenant T [--force]   (on the twin, while its server runs)\n"
            "       odra twin rejoin --tenant T              (with this site's server stopped)\n"
            "       odra twin verify [--tenant T]\n"
            "       each with [--config FILE] [--data DIR]\n",
            msg);
    return 2;
}

struct twin_args {
    const char *cmd, *tenant, *config, *data;
    bool force;
};

static int twin_parse(int argc, char **argv, struct twin_args *x)
{
    static const struct option opts[] = {
        {"tenant", required_argument, NULL, 't'},
        {"force", no_argument, NULL, 'f'},
        {"config", required_argument, NULL, 'c'},
        {"data", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2)
        return usage("twin needs a command");
    *x = (struct twin_args){.cmd = argv[1]};
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't': x->tenant = optarg; break;
        case 'f': x->force = true; break;
        case 'c': x->config = optarg; break;
        case 'd': x->data = optarg; break;
        default: return usage("bad option");
        }
    }
    if (optind < argc)
        return usage("unexpected argument");
    return -1;
}

/* The twin state of gmina slug's store in the data directory, opened read-only for this. */
static enum err_code local_status(const struct config *cfg, const char *slug, struct gis_twin_status *st, struct err *e)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s.sqlite", cfg->data_dir, slug);
    struct gis_store *s = NULL;
    memset(st, 0, sizeof *st);
    enum err_code rc = gis_store_open(path, GIS_STORE_READ, &s, e);
    if (!rc)
        rc = gis_twin_status_read(s, st, e);
    gis_store_close(s);
    return rc;
}

static int twin_status_cmd(const struct config *cfg, const char *tenant)
{
    int rc = 0;
    for (int i = 0; i < cfg->n_tenants; i++) {
        const char *slug = cfg->tenants[i].slug;
        if (tenant && strcmp(tenant, slug))
            continue;
        struct err e = {0};
        struct gis_twin_status st;
        if (local_status(cfg, slug, &st, &e)) {
            printf("%s: %s\n", slug, e.msg);
            rc = 1;
        } else {
            printf("%s: %s, term %lld, last frame %lld, acknowledged %lld, outbox %lld\n", slug,
                   gis_twin_role_name(st.role), st.term, st.last_id, st.acked, st.pending);
        }
    }
    return rc;
}

static int twin_promote_cmd(const struct config *cfg, const char *tenant, bool force)
{
    if (!cfg->twin.listen_host[0])
        return fprintf(stderr, "odra: [twin] listen is not set: promote talks to this site's running server\n"), 1;
    char url[512];
    snprintf(url, sizeof url, "https://%s:%d/twin/%s/promote%s", cfg->twin.listen_host, cfg->twin.port, tenant,
             force ? "?force=1" : "");
    struct twin_fetch f = {0};
    struct err e = {0};
    /* the twin first applies what its inbox holds: after a bulk import that can take minutes */
    if (twin_client_http(cfg, url, "", 0, 900000, &f, &e)) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    printf("%.*s\n", (int)f.body.len, f.body.data ? f.body.data : "");
    buf_free(&f.body);
    return f.status == 200 ? 0 : 1;
}

/* Drops the frames a former replica of tenant had received but not applied: the snapshot replaces them. */
static void inbox_clear(const struct config *cfg, const char *tenant)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/twin-inbox/%s", cfg->data_dir, tenant);
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        char f[1400];
        snprintf(f, sizeof f, "%s/%s", dir, de->d_name);
        if (de->d_name[0] != '.')
            unlink(f);
    }
    if (d)
        closedir(d);
}

/* Fetches the primary's snapshot of tenant and installs it as this site's replica. */
static int twin_rejoin_cmd(const struct config *cfg, const char *tenant)
{
    char path[1100], tmp[1200], url[512], aside[1300];
    snprintf(path, sizeof path, "%s/%s.sqlite", cfg->data_dir, tenant);
    snprintf(tmp, sizeof tmp, "%s.rejoin", path);
    snprintf(url, sizeof url, "%s/twin/%s/snapshot", cfg->twin.peer, tenant);
    unlink(tmp);
    struct err e = {0};
    int lock_fd = -1; /* held until exit: no server starts on the data directory meanwhile */
    if (svc_twin_rejoin_lock(cfg, &lock_fd, &e)) {
        fprintf(stderr, "odra: rejoin %s refused: %s\n", tenant, e.msg);
        return 1;
    }
    char sha[65] = "";
    if (twin_client_download(cfg, url, tmp, sha, &e) || gis_backup_check(tmp, sha, &e)) {
        unlink(tmp);
        fprintf(stderr, "odra: rejoin %s: %s\n", tenant, e.msg);
        return 1;
    }
    struct gis_store *w = NULL;
    struct gis_twin_status st;
    if (gis_store_open(tmp, GIS_STORE_WRITE, &w, &e) || gis_twin_status_read(w, &st, &e) ||
        gis_twin_make_replica(w, st.term, st.last_id, &e)) {
        gis_store_close(w);
        unlink(tmp);
        fprintf(stderr, "odra: rejoin %s: %s\n", tenant, e.msg);
        return 1;
    }
    gis_store_close(w);
    /* the old store is kept aside: writes it took after the takeover were never replicated */
    if (access(path, F_OK) == 0) {
        snprintf(aside, sizeof aside, "%s.fenced-%lld", path, (long long)time(NULL));
        if (rename(path, aside) == 0)
            printf("%s: the old store is kept as %s\n", tenant, aside);
    }
    static const char *const sfx[] = {"-wal", "-shm", "-journal", NULL};
    for (int i = 0; sfx[i]; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
        snprintf(p, sizeof p, "%s%s", tmp, sfx[i]);
        unlink(p);
    }
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "odra: rejoin %s: cannot put the replica in place\n", tenant);
        return 1;
    }
    inbox_clear(cfg, tenant);
    printf("%s: replica of term %lld at frame %lld; start the server to follow the primary\n", tenant, st.term,
           st.last_id);
    return 0;
}

/* Compares this site's and the twin's content hash of one store at the same change id. */
static int twin_verify_one(const struct config *cfg, const char *slug)
{
    char path[1100], url[512];
    snprintf(path, sizeof path, "%s/%s.sqlite", cfg->data_dir, slug);
    snprintf(url, sizeof url, "%s/twin/%s/hash", cfg->twin.peer, slug);
    for (int attempt = 0; attempt < 50; attempt++) {
        struct gis_store *s = NULL;
        struct err e = {0};
        char mine[65];
        long long at = 0;
        if (gis_store_open(path, GIS_STORE_READ, &s, &e) || gis_twin_content_hash(s, mine, &at, &e)) {
            gis_store_close(s);
            printf("%s: %s\n", slug, e.msg);
            return 1;
        }
        gis_store_close(s);
        struct twin_fetch f = {0};
        if (twin_client_http(cfg, url, NULL, 0, 30000, &f, &e) || f.status != 200) {
            printf("%s: the twin does not answer: %s\n", slug, e.code ? e.msg : f.body.data ? f.body.data : "");
            buf_free(&f.body);
            return 1;
        }
        json_t *j = json_loadb(f.body.data, f.body.len, 0, NULL);
        buf_free(&f.body);
        const char *theirs = json_string_value(json_object_get(j, "hash"));
        long long their_at = json_integer_value(json_object_get(j, "at"));
        int rc = -1;
        if (theirs && their_at == at) {
            bool same = !strcmp(theirs, mine);
            printf("%s: %s at change %lld (%.16s…%s)\n", slug, same ? "same" : "DIFFERENT", at, mine,
                   same ? "" : theirs);
            rc = !same;
        }
        json_decref(j);
        if (rc >= 0)
            return rc;
        usleep(200000); /* not yet at the same change: the twin is catching up */
    }
    printf("%s: the two sides did not reach the same change id within 10 s\n", slug);
    return 1;
}

static int twin_verify_cmd(const struct config *cfg, const char *tenant)
{
    if (!cfg->twin.peer[0])
        return fprintf(stderr, "odra: [twin] peer is not set\n"), 1;
    int rc = 0, n = 0;
    for (int i = 0; i < cfg->n_tenants; i++) {
        const char *slug = cfg->tenants[i].slug;
        if (tenant && strcmp(tenant, slug))
            continue;
        struct err e = {0};
        struct gis_twin_status st;
        bool twinned = !local_status(cfg, slug, &st, &e) && st.role != GIS_TWIN_NONE;
        if (!twinned && !tenant)
            continue;
        n++;
        rc |= twin_verify_one(cfg, slug);
    }
    if (!n)
        printf("no twinned store here\n");
    return rc;
}

int cli_twin(int argc, char **argv)
{
    struct twin_args x;
    int prc = twin_parse(argc, argv, &x);
    if (prc >= 0)
        return prc;
    static struct config cfg;
    struct err e = {0};
    if (config_load_cli(&cfg, x.config, x.data, &e)) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    if (x.tenant && !config_tenant_find(&cfg, x.tenant))
        return fprintf(stderr, "odra: unknown gmina '%s'\n", x.tenant), 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!strcmp(x.cmd, "status"))
        return twin_status_cmd(&cfg, x.tenant);
    if (!strcmp(x.cmd, "verify"))
        return twin_verify_cmd(&cfg, x.tenant);
    if (!x.tenant)
        return usage("this command needs --tenant");
    if (!strcmp(x.cmd, "promote"))
        return twin_promote_cmd(&cfg, x.tenant, x.force);
    if (!strcmp(x.cmd, "rejoin"))
        return twin_rejoin_cmd(&cfg, x.tenant);
    return usage("unknown twin command");
}
