/* Backups of a data directory: snapshots with their manifest, restore, and the server's schedule
 * (services/backup.h). */
#include "services/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gis/backup.h"
#include "util/log.h"

#define MANIFEST        "manifest.json"
#define MANIFEST_FORMAT "odra-backup 1"
#define MAX_STORES      (CONFIG_MAX_TENANTS + 1)
#define BUSY_MS         30000 /* a rollback-journal writer (the identity store) holds it only briefly */

/* ---- files ---- */

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static enum err_code fsync_dir(const char *dir, struct err *e)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || fsync(fd) != 0) {
        int en = errno;
        if (fd >= 0)
            close(fd);
        return err_set(e, ERR_IO, "%s: fsync: %s", dir, strerror(en));
    }
    close(fd);
    return ERR_OK;
}

/* Removes the flat directory dir (a snapshot holds only files) and what is in it. */
static void remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        char p[1400];
        while ((de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(dir);
}

/* Whether dir is missing or an empty directory. */
static bool empty_or_missing(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT;
    struct dirent *de;
    bool empty = true;
    while (empty && (de = readdir(d)))
        empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
    closedir(d);
    return empty;
}

/* A store's file name as a manifest may give it: "<slug>.sqlite" with a slug of a-z, 0-9 and '-'. */
static bool store_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 8 || n > 40 || strcmp(s + n - 7, ".sqlite") != 0)
        return false;
    for (size_t i = 0; i + 7 < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

/* ---- snapshot ---- */

/* One store of a snapshot: its file name and what it is. */
struct store_ref {
    char name[48];
    const char *kind, *tenant; /* "tenant" with the slug, or "identity" with NULL */
};

/* The stores a snapshot takes: tenant's, or every gmina's and the identity store; those that exist. */
static enum err_code stores_of(const struct config *cfg, const char *tenant, struct store_ref *out, int *n,
                               struct err *e)
{
    *n = 0;
    if (tenant && !config_tenant_find(cfg, tenant))
        return err_set(e, ERR_NOT_FOUND, "unknown gmina '%.40s'", tenant);
    char path[1200];
    for (int i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        if (tenant && strcmp(t->slug, tenant) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s.sqlite", cfg->data_dir, t->slug);
        if (!exists(path)) {
            if (tenant)
                return err_set(e, ERR_NOT_FOUND, "%s: no store", path);
            continue;
        }
        struct store_ref *r = &out[(*n)++];
        snprintf(r->name, sizeof r->name, "%s.sqlite", t->slug);
        r->kind = "tenant", r->tenant = t->slug;
    }
    snprintf(path, sizeof path, "%s/identity.sqlite", cfg->data_dir);
    if (!tenant && exists(path)) {
        struct store_ref *r = &out[(*n)++];
        snprintf(r->name, sizeof r->name, "identity.sqlite");
        r->kind = "identity", r->tenant = NULL;
    }
    if (!*n)
        return err_set(e, ERR_NOT_FOUND, "%s: no stores to back up", cfg->data_dir);
    return ERR_OK;
}

static void iso_now(char *out, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *file_json(const struct store_ref *r, const struct gis_backup_info *in)
{
    json_t *mods = json_object();
    char buf[sizeof in->modules];
    snprintf(buf, sizeof buf, "%s", in->modules);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (eq) {
            *eq = 0;
            json_object_set_new(mods, tok, json_integer(atoi(eq + 1)));
        }
    }
    return json_pack("{s:s, s:s, s:o, s:s, s:I, s:i, s:o, s:I, s:s}", "file", r->name, "kind", r->kind, "tenant",
                     r->tenant ? json_string(r->tenant) : json_null(), "sha256", in->sha256, "bytes",
                     (json_int_t)in->bytes, "schema_version", in->schema_version, "module_versions", mods,
                     "last_change_id", (json_int_t)in->last_change, "integrity", "ok");
}

/* Copies each store into tmp and writes the manifest there, fsynced. */
static enum err_code snapshot_into(const struct config *cfg, const struct store_ref *refs, int n, const char *tmp,
                                   FILE *report, struct err *e)
{
    char created[32];
    iso_now(created, sizeof created);
    json_t *files = json_array();
    json_t *m = json_pack("{s:s, s:s, s:s, s:o}", "format", MANIFEST_FORMAT, "created_at", created, "data_dir",
                          cfg->data_dir, "files", files);
    if (!m)
        return err_set(e, ERR_INTERNAL, "out of memory");
    char src[1200], dst[1400];
    for (int i = 0; i < n; i++) {
        struct gis_backup_info in;
        snprintf(src, sizeof src, "%s/%s", cfg->data_dir, refs[i].name);
        snprintf(dst, sizeof dst, "%s/%s", tmp, refs[i].name);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (gis_backup_store(src, dst, BUSY_MS, &in, e)) {
            json_decref(m);
            return e->code;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        json_array_append_new(files, file_json(&refs[i], &in));
        if (report)
            fprintf(report, "%-24s %10lld bytes  schema %d  last change %lld  sha256 %.16s…  %.0f ms\n", refs[i].name,
                    in.bytes, in.schema_version, in.last_change, in.sha256,
                    (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    }
    snprintf(dst, sizeof dst, "%s/%s", tmp, MANIFEST);
    int rc = json_dump_file(m, dst, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(m);
    int fd = rc == 0 ? open(dst, O_RDONLY) : -1;
    bool synced = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (!synced)
        return err_set(e, ERR_IO, "%s: cannot write the manifest", dst);
    return fsync_dir(tmp, e);
}

/* The directory that holds path (a copy in parent). */
static void parent_of(const char *path, char *parent, size_t cap)
{
    snprintf(parent, cap, "%s", path);
    char *slash = strrchr(parent, '/');
    if (!slash)
        snprintf(parent, cap, ".");
    else if (slash == parent)
        parent[1] = 0;
    else
        *slash = 0;
}

enum err_code svc_backup_snapshot(const struct config *cfg, const char *tenant, const char *out, FILE *report,
                                  struct err *e)
{
    struct store_ref refs[MAX_STORES];
    int n;
    if (stores_of(cfg, tenant, refs, &n, e))
        return e->code;
    if (!empty_or_missing(out))
        return err_set(e, ERR_CONFLICT, "%s exists and is not empty: give a new directory", out);
    char tmp[1100], parent[1100];
    snprintf(tmp, sizeof tmp, "%s.partial-%ld", out, (long)getpid());
    remove_flat_dir(tmp);
    if (mkdir(tmp, 0700) != 0)
        return err_set(e, ERR_IO, "%s: %s", tmp, strerror(errno));
    if (snapshot_into(cfg, refs, n, tmp, report, e)) {
        remove_flat_dir(tmp);
        return e->code;
    }
    rmdir(out); /* empty, when it exists */
    if (rename(tmp, out) != 0) {
        err_set(e, ERR_IO, "%s: %s", out, strerror(errno));
        remove_flat_dir(tmp);
        return e->code;
    }
    parent_of(out, parent, sizeof parent);
    return fsync_dir(parent, e);
}

/* ---- restore ---- */

/* Reads dir's manifest: its files, each a store name and its hash, checked for form. */
static enum err_code manifest_read(const char *dir, json_t **out, struct err *e)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, MANIFEST);
    struct stat st;
    if (stat(path, &st) != 0)
        return err_set(e, ERR_NOT_FOUND, "%s: no manifest (%s)", path, strerror(errno));
    if (st.st_size > (1 << 20))
        return err_set(e, ERR_INVALID, "%s: too large for a manifest", path);
    json_error_t je;
    json_t *m = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!m)
        return err_set(e, ERR_INVALID, "%s: not JSON: %s (line %d)", path, je.text, je.line);
    json_t *files = json_object_get(m, "files");
    const char *fmt = json_string_value(json_object_get(m, "format"));
    enum err_code rc = ERR_OK;
    if (!fmt || strcmp(fmt, MANIFEST_FORMAT) != 0)
        rc = err_set(e, ERR_INVALID, "%s: not an odra backup manifest (format \"%s\")", path, MANIFEST_FORMAT);
    else if (!json_is_array(files) || json_array_size(files) == 0 || json_array_size(files) > MAX_STORES)
        rc = err_set(e, ERR_INVALID, "%s: \"files\" must list 1 to %d stores", path, MAX_STORES);
    for (size_t i = 0; !rc && i < json_array_size(files); i++) {
        json_t *f = json_array_get(files, i);
        const char *name = json_string_value(json_object_get(f, "file"));
        const char *sha = json_string_value(json_object_get(f, "sha256"));
        if (!store_name_ok(name) || !sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
            rc =
                err_set(e, ERR_INVALID, "%s: files[%zu] needs a store file name (<slug>.sqlite) and a sha256", path, i);
    }
    if (rc)
        json_decref(m);
    else
        *out = m;
    return rc;
}

/* Whether the manifest entry f is restored when only tenant's store is asked for (NULL: every one). */
static bool wanted(json_t *f, const char *tenant)
{
    const char *t = json_string_value(json_object_get(f, "tenant"));
    return !tenant || (t && !strcmp(t, tenant));
}

/* Copies src to dst (a new file), fsynced. */
static enum err_code copy_file(const char *src, const char *dst, struct err *e)
{
    FILE *in = fopen(src, "rb");
    int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
    FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
    enum err_code rc = ERR_OK;
    if (!in || !out)
        rc = err_set(e, ERR_IO, "%s: %s", !in ? src : dst, strerror(errno));
    char buf[1 << 16];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = err_set(e, ERR_IO, "%s: write: %s", dst, strerror(errno));
    if (!rc && (ferror(in) || fflush(out) != 0 || fsync(fileno(out)) != 0))
        rc = err_set(e, ERR_IO, "%s: %s", dst, strerror(errno));
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    else if (fd >= 0)
        close(fd);
    if (rc && fd >= 0)
        unlink(dst);
    return rc;
}

/* Puts one checked copy in place: beside it first, checked again, stale journals of the old store
 * removed, then renamed over it. */
static enum err_code restore_one(const char *dir, const char *data_dir, const char *name, const char *sha,
                                 struct err *e)
{
    char src[1200], tmp[1200], dst[1200], side[1250];
    snprintf(src, sizeof src, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.restore", data_dir, name);
    snprintf(dst, sizeof dst, "%s/%s", data_dir, name);
    unlink(tmp);
    if (copy_file(src, tmp, e) || gis_backup_check(tmp, sha, e)) {
        unlink(tmp);
        return e->code;
    }
    static const char *const sides[] = {"-wal", "-shm", "-journal"};
    for (int i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", dst, sides[i]);
        unlink(side);
    }
    if (rename(tmp, dst) != 0) {
        err_set(e, ERR_IO, "%s: %s", dst, strerror(errno));
        unlink(tmp);
        return e->code;
    }
    return ERR_OK;
}

/* Checks every wanted copy of the manifest m in dir, and that data_dir may take them. */
static enum err_code restore_check(json_t *m, const char *dir, const char *data_dir, const char *tenant, bool force,
                                   int *count, struct err *e)
{
    json_t *files = json_object_get(m, "files");
    char path[1200];
    *count = 0;
    for (size_t i = 0; i < json_array_size(files); i++) {
        json_t *f = json_array_get(files, i);
        if (!wanted(f, tenant))
            continue;
        const char *name = json_string_value(json_object_get(f, "file"));
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (gis_backup_check(path, json_string_value(json_object_get(f, "sha256")), e)) {
            struct err why = *e; /* the first error stands, so say it again with what follows from it */
            *e = (struct err){0};
            return err_set(e, why.code, "refused, nothing restored: %s", why.msg);
        }
        snprintf(path, sizeof path, "%s/%s", data_dir, name);
        if (!force && exists(path))
            return err_set(e, ERR_CONFLICT, "%s exists: stop the server and give --force to replace it", path);
        (*count)++;
    }
    if (!*count)
        return err_set(e, ERR_NOT_FOUND, "%s: the backup holds no store of gmina '%.40s'", dir, tenant ? tenant : "");
    return ERR_OK;
}

enum err_code svc_backup_restore(const char *dir, const char *data_dir, const char *tenant, bool force, FILE *report,
                                 struct err *e)
{
    json_t *m;
    if (manifest_read(dir, &m, e))
        return e->code;
    int count;
    enum err_code rc = restore_check(m, dir, data_dir, tenant, force, &count, e);
    if (!rc && mkdir(data_dir, 0755) != 0 && errno != EEXIST)
        rc = err_set(e, ERR_IO, "%s: %s", data_dir, strerror(errno));
    json_t *files = json_object_get(m, "files");
    for (size_t i = 0; !rc && i < json_array_size(files); i++) {
        json_t *f = json_array_get(files, i);
        if (!wanted(f, tenant))
            continue;
        const char *name = json_string_value(json_object_get(f, "file"));
        rc = restore_one(dir, data_dir, name, json_string_value(json_object_get(f, "sha256")), e);
        if (!rc && report)
            fprintf(report, "%-24s restored (sha256 %.16s…, last change %lld)\n", name,
                    json_string_value(json_object_get(f, "sha256")),
                    (long long)json_integer_value(json_object_get(f, "last_change_id")));
    }
    if (!rc)
        rc = fsync_dir(data_dir, e);
    json_decref(m);
    return rc;
}

/* ---- the schedule ---- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool running, stop;
    const struct config *cfg;
    char root[1100];
    struct svc_backup_status st;
} sched = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* A snapshot's name: its UTC time, "2026-12-04T10-15-00Z"; *t that time. */
static bool snapshot_name_time(const char *name, time_t *t)
{
    struct tm tm = {0};
    const char *end = strptime(name, "%Y-%m-%dT%H-%M-%SZ", &tm);
    if (!end || *end)
        return false;
    *t = timegm(&tm);
    return true;
}

/* Deletes the snapshots in root that rotation does not keep, and leftovers of interrupted ones; returns how
 * many are left. */
static int rotate(const char *root, const struct config_backup *b)
{
    enum { MAX_SNAPS = 4096 };
    static char names[MAX_SNAPS][40];
    static time_t times[MAX_SNAPS];
    static bool keep[MAX_SNAPS];
    int n = 0;
    DIR *d = opendir(root);
    if (!d)
        return 0;
    struct dirent *de;
    char p[1300];
    while ((de = readdir(d))) {
        time_t t;
        snprintf(p, sizeof p, "%s/%s", root, de->d_name);
        if (strstr(de->d_name, ".partial-"))
            remove_flat_dir(p);
        else if (n < MAX_SNAPS && strlen(de->d_name) < sizeof names[0] && snapshot_name_time(de->d_name, &t)) {
            snprintf(names[n], sizeof names[n], "%s", de->d_name);
            times[n++] = t;
        }
    }
    closedir(d);
    struct gis_backup_keep k = {b->keep_hourly, b->keep_daily, b->keep_monthly};
    gis_backup_rotate(times, n, &k, keep);
    int left = n;
    for (int i = 0; i < n; i++)
        if (!keep[i]) {
            snprintf(p, sizeof p, "%s/%s", root, names[i]);
            remove_flat_dir(p);
            left--;
        }
    return left;
}

static void scheduled_snapshot(void)
{
    char name[40], out[1200], at[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(name, sizeof name, "%Y-%m-%dT%H-%M-%SZ", &tm);
    iso_now(at, sizeof at);
    snprintf(out, sizeof out, "%s/%s", sched.root, name);
    struct err e = {0};
    enum err_code rc = svc_backup_snapshot(sched.cfg, NULL, out, NULL, &e);
    int left = rotate(sched.root, &sched.cfg->backup);
    pthread_mutex_lock(&sched.lock);
    if (rc) {
        snprintf(sched.st.error, sizeof sched.st.error, "%s", e.msg);
        log_error("backup: %s", e.msg);
    } else {
        snprintf(sched.st.last, sizeof sched.st.last, "%s", name);
        snprintf(sched.st.last_at, sizeof sched.st.last_at, "%s", at);
        sched.st.error[0] = 0;
        sched.st.taken++;
        log_info("backup: snapshot %s (%d kept)", out, left);
    }
    sched.st.snapshots = left;
    pthread_mutex_unlock(&sched.lock);
}

static void *schedule_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sched.lock);
    while (!sched.stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += sched.cfg->backup.every_s;
        while (!sched.stop && pthread_cond_timedwait(&sched.wake, &sched.lock, &until) != ETIMEDOUT) {
        }
        if (sched.stop)
            break;
        pthread_mutex_unlock(&sched.lock);
        scheduled_snapshot();
        pthread_mutex_lock(&sched.lock);
    }
    pthread_mutex_unlock(&sched.lock);
    return NULL;
}

enum err_code svc_backup_start(const struct config *cfg, struct err *e)
{
    if (!cfg->backup.dir[0] || sched.running)
        return ERR_OK;
    if (cfg->backup.dir[0] == '/')
        snprintf(sched.root, sizeof sched.root, "%s", cfg->backup.dir);
    else
        snprintf(sched.root, sizeof sched.root, "%s/%s", cfg->data_dir, cfg->backup.dir);
    if (mkdir(sched.root, 0700) != 0 && errno != EEXIST)
        return err_set(e, ERR_IO, "[backup] dir %s: %s", sched.root, strerror(errno));
    sched.cfg = cfg;
    sched.stop = false;
    sched.st = (struct svc_backup_status){.snapshots = rotate(sched.root, &cfg->backup)};
    if (pthread_create(&sched.thread, NULL, schedule_main, NULL) != 0)
        return err_set(e, ERR_INTERNAL, "cannot start the backup thread");
    sched.running = true;
    return ERR_OK;
}

void svc_backup_stop(void)
{
    if (!sched.running)
        return;
    pthread_mutex_lock(&sched.lock);
    sched.stop = true;
    pthread_cond_signal(&sched.wake);
    pthread_mutex_unlock(&sched.lock);
    pthread_join(sched.thread, NULL);
    sched.running = false;
}

bool svc_backup_status(struct svc_backup_status *out)
{
    pthread_mutex_lock(&sched.lock);
    bool on = sched.running;
    *out = sched.st;
    pthread_mutex_unlock(&sched.lock);
    return on;
}
