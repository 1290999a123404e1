/* The HTTP server: tenants with their stores, the route table and the libmicrohttpd daemon. */
#ifndef SERVICES_SERVER_H
#define SERVICES_SERVER_H
#include <pthread.h>
#include <stdbool.h>

#include "gis/seal.h"
#include "gis/store.h"
#include "services/http.h"
#include "tiles/serve.h"
#include "util/config.h"
#include "util/err.h"

#define ODRA_VERSION "0.1.0"

/* A gmina being served: its configuration and its store. The writer is the only connection that
 * writes; take write_lock around its use. Readers are per worker thread (svc_tenant_reader). */
struct svc_tenant {
    const struct config_tenant *cfg;
    int index;
    char store_path[1024];
    struct gis_store *writer;
    pthread_mutex_t write_lock;
    /* The address index for /geocode and /locate, built on first use by services/places.c (which reads
     * and publishes it atomically) and freed by svc_server_free. */
    struct gis_geocoder *geocoder;
    /* Its tile caches (tiles/serve.h), opened on first use and closed by svc_server_free. */
    struct tile_tenant_caches tiles;
    /* Set at start when the store could not be opened (missing, unreadable, failed migration): the other
     * gminas are served, this one's paths answer 503 and /health lists it as "unavailable". The reason
     * (which names server paths) goes to the log only. Never changes while serving. */
    bool unavailable;
    char unavailable_reason[512];
    /* The organ's electronic seal, loaded at start (gis/seal.h); NULL when none is configured or it could
     * not be loaded (seal_problem says why): documents are then issued without a seal and say so. */
    struct gis_seal *seal;
    char seal_problem[512];
    /* Its store is a twin replica (services/twin.h): nothing of it is served until a promotion clears this
     * (atomically; read with svc_tenant_twin_hidden). */
    bool twin_hidden;
    /* Extracts issued at once commit in the order of their case numbers (services/issue_order.h); NULL where
     * the tenant is not served (the CLI's), and issues then render inside the write transaction. */
    struct svc_issue_order *issue_order;
};

struct svc_server;

/* Opens gmina t's seal as its configuration names it: a PKCS#12 file, or a "pkcs11:" URI of a key on a
 * token (docs/seal.md); paths relative to cfg's data directory. *out NULL and ERR_OK when none is set. */
enum err_code svc_seal_open(const struct config *cfg, const struct config_tenant *t, struct gis_seal **out,
                            struct err *e);

/* Opens every tenant's store (the writer migrates it) and binds the listen socket. A store that cannot
 * be opened is logged as an error and its tenant marked unavailable; when none can be opened this fails.
 * The server keeps a pointer to cfg, which must outlive it. */
enum err_code svc_server_new(const struct config *cfg, struct svc_server **out, struct err *e);

/* Starts serving on the worker thread pool. */
enum err_code svc_server_start(struct svc_server *s, struct err *e);

/* The answers the access log counted instead of writing a line for ([server] access_log), since start. */
unsigned long long svc_server_unlogged(void);

/* The port actually bound (useful with port 0). */
int svc_server_port(const struct svc_server *s);

/* Stops the daemon (finishing requests in flight), closes stores and frees the server. NULL is a no-op. */
void svc_server_free(struct svc_server *s);

const struct config *svc_server_config(const struct svc_server *s);
int svc_server_tenant_count(const struct svc_server *s);
struct svc_tenant *svc_server_tenant(struct svc_server *s, int i);
/* The other gmina served here (not req's) whose store holds the parcel parcel_id, or NULL. */
struct svc_tenant *svc_tenant_with_parcel(struct http_req *req, const char *parcel_id);
struct svc_tenant *svc_server_tenant_find(struct svc_server *s, const char *slug);

/* The calling thread's read-only connection to t's store, opened on first use and closed when the
 * thread exits. Owned by the thread; callers must not close it. NULL with ERR_UNAVAILABLE when t is
 * unavailable. */
struct gis_store *svc_tenant_reader(struct svc_tenant *t, struct err *e);

/* A part of a request run on another job thread while the request's own thread does the rest (the
 * receipt of an extract while its document renders): the job threads are long-lived, so the part finds
 * their fonts and caches warm. svc_task_start queues it; svc_task_wait returns when it has run, running it
 * on the caller's thread if no job thread has taken it yet (or the server has none: job_threads = 0, the
 * command line), so waiting never deadlocks. Set fn and arg; the rest is the queue's. */
struct svc_task {
    void (*fn)(void *arg);
    void *arg;
    struct svc_task *next;
    struct svc_server *queued_on;
    int state;
};
void svc_task_start(struct svc_task *t);
void svc_task_wait(struct svc_task *t);

/* A write of a module (or of the core) on the tenant's writer w, inside the transaction svc_tenant_write
 * opened; ctx is the caller's. Returns ERR_OK to commit, or an error (recorded in e) to roll back. */
typedef enum err_code (*svc_write_fn)(struct gis_store *w, void *ctx, struct err *e);

/* Runs fn on t's writer in one transaction under t's write lock, and commits before returning, so a
 * handler answers success only for committed (and, with synchronous=FULL, durable) data. Any error of fn
 * or of the commit rolls everything back and is returned as recorded in e. Writes of tables behind a
 * tileset must record their bbox in `changes` within fn (gis/changes.h). ERR_UNAVAILABLE when t's store
 * could not be opened. Blocks while another write of t runs; never call it from inside fn. */
enum err_code svc_tenant_write(struct svc_tenant *t, svc_write_fn fn, void *ctx, struct err *e);

/* Loads the map page's static files and their gzip forms once (services/web.c, with the map page);
 * logs what is missing and which step installs it. svc_server_new calls it. */
void svc_map_assets_load(void);

/* Every route the server answers, for the OpenAPI document: core routes, then modules'. Calls fn
 * for each. */
void svc_server_each_route(void (*fn)(const struct http_route *r, void *user), void *user);

#endif
