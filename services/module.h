/* E-service modules: each is one static struct in the table svc_modules, ended by NULL.
 * Adding an e-service means adding one folder services/modules/<name>/ and one line in
 * services/module_table.c (see docs/modules.md).
 *
 * Ownership: module structs and everything they point to are static. A locate hook fills the JSON object
 * it is given (the caller owns it); everything else it allocates comes from its own arena or is freed. */
#ifndef SERVICES_MODULE_H
#define SERVICES_MODULE_H
#include <jansson.h>
#include <stdbool.h>

#include "gis/features.h"
#include "gis/store.h"
#include "services/http.h"
#include "tiles/tileset.h"
#include "util/arena.h"
#include "util/config.h"
#include "util/err.h"

struct gis_parcel_zones; /* gis/places.h */

/* A place as /locate and module lookups resolve it. Every string lives in the arena of the request. */
struct svc_place {
    const char *parcel_id;     /* EGiB identifier of the parcel, or NULL when no parcel is known */
    long address_id;           /* row id in addresses, or 0 */
    const char *address_label; /* "ul. Jedności Robotniczej 12a, 69-100 Słubice", or NULL */
    double x, y;               /* EPSG:2180 easting, northing: the address point, else a point inside the
                                * parcel, else the query point */
    /* The plans and zones of the parcel in force on the card's date, when the caller has computed them
     * (/locate has, for its card): a module's locate hook uses them instead of computing them again. NULL
     * otherwise (svc_place_resolve leaves it NULL). */
    const struct gis_parcel_zones *zones;
};

/* What a module says about a place: it adds members to out (a JSON object owned by the caller). An error
 * is shown as this module's error in the card and never breaks the rest of it. r is the calling
 * thread's read-only connection. */
typedef enum err_code (*svc_locate_fn)(struct svc_tenant *t, struct gis_store *r, const struct svc_place *p,
                                       json_t *out, struct err *e);

struct svc_module {
    const char *name;  /* slug used in config `modules =` and in URLs: /{t}/{name}/... */
    const char *title; /* Polish name shown to residents */
    /* Embedded migrations: the files <migrations>/NNN_*.sql (e.g. "services/modules/waste/migrations"), applied in NNN
     * order on the tenant's writer and recorded in module_versions(module, version). NULL: none. */
    const char *migrations;
    const struct http_route *routes; /* ended by a NULL pattern; may be NULL. 404 where disabled */
    /* Its tables with geometry, ended by a NULL table; may be NULL. Each entry (struct gis_layer,
     * gis/layers.h) declares at once the table's OGC API collection, its source layer on maps and in
     * vector tiles, and its own tileset with the style that draws it. Added to the layer table at start
     * (svc_modules_register); where the module is disabled its collections, tilesets and layers are 404. */
    const struct gis_layer *layers;
    svc_locate_fn locate; /* may be NULL */
    /* Adds demo data for tenant t to a freshly created, migrated demo store (the writer). May be NULL. */
    enum err_code (*demo)(struct gis_store *w, const struct config_tenant *t, struct err *e);
    /* The resident's view: adds what this module shows account id in tenant t on GET /{t}/me (balances, own
     * filings, what is due next) to out (a JSON object the caller owns), read on r. May be NULL; a module
     * that adds nothing shows as an empty object. */
    enum err_code (*me)(struct svc_tenant *t, struct gis_store *r, long long account, json_t *out, struct err *e);
    /* RODO: adds what this module holds about account id in tenant t to out (a JSON object the caller
     * owns), read on r. May be NULL. */
    enum err_code (*personal_data)(struct svc_tenant *t, struct gis_store *r, long long account, json_t *out,
                                   struct err *e);
    /* RODO erasure: anonymises in tenant t, on the writer w inside the caller's transaction, what this
     * module holds about account id and must keep by law; deletes the rest. May be NULL. */
    enum err_code (*erase)(struct svc_tenant *t, struct gis_store *w, long long account, struct err *e);
    /* Its command line: `odra <name> SUBCOMMAND --tenant T [--config FILE] [--data DIR] ARGS...` calls it
     * with argv[0] SUBCOMMAND and the ARGS (the platform's three options taken out), and req a request
     * that came over no HTTP: req->tenant opened as the server opens it (its writer, migrated; readers and
     * the geocoder on demand, so svc_place_resolve works), req->arena, the operator as a staff principal
     * ("odra <name>"), and no query parameters or headers (a hook may set req->sub_query, sub_headers and
     * body and call its own route handler). Prints its report on stdout; returns the exit status (2: usage).
     * May be NULL. See services/cli_module.c. */
    int (*cli)(struct http_req *req, int argc, char **argv);
    enum err_code (*init)(struct err *e); /* once at server start; may be NULL */
    void (*fini)(void);                   /* once at shutdown; may be NULL */
};

/* All modules compiled in, ended by NULL. The table is defined in services/module_table.c, one line per
 * module; a program may link its own table instead (the test server of tests/modules/ does). */
extern const struct svc_module *const svc_modules[];

/* Defines svc_modules from a list macro LIST(M) that names each module as M(<name>), for the folder that
 * defines `const struct svc_module svc_<name>_module`:
 *     #define SVC_MODULE_LIST(M) M(waste) M(permits)
 *     SVC_MODULE_TABLE(SVC_MODULE_LIST) */
#define SVC_MODULE_EXTERN(name) extern const struct svc_module svc_##name##_module;
#define SVC_MODULE_ENTRY(name)  &svc_##name##_module,
#define SVC_MODULE_TABLE(LIST)                                                                                         \
    LIST(SVC_MODULE_EXTERN)                                                                                            \
    const struct svc_module *const svc_modules[] = {LIST(SVC_MODULE_ENTRY) NULL};

/* `odra <m's name> ...` (argv[0] is the name): runs m's cli hook on the tenant given by --tenant; the exit
 * status. Implemented in services/cli_module.c. */
int svc_module_cli(const struct svc_module *m, int argc, char **argv);

/* The module with this name, or NULL. */
const struct svc_module *svc_module_find(const char *name);

/* Checks that every module named in the config exists; ERR_INVALID naming the tenant and module. */
enum err_code svc_modules_check_config(const struct config *c, struct err *e);

/* Whether tenant t enables module m in its config. */
bool svc_module_enabled(const struct config_tenant *t, const struct svc_module *m);

/* The module whose route table holds r, or NULL for a core route. */
const struct svc_module *svc_module_of_route(const struct http_route *r);

/* The highest migration number embedded for m (0 when it has none). */
int svc_module_latest_version(const struct svc_module *m);

/* The version of m recorded in store s (0 when never migrated or when module_versions is missing). */
int svc_module_version(struct gis_store *s, const struct svc_module *m);

/* Applies m's pending migrations on the writer w, each in its own transaction together with its
 * module_versions row. A store newer than this binary is ERR_INVALID. */
enum err_code svc_module_migrate(const struct svc_module *m, struct gis_store *w, struct err *e);

/* Migrates every module tenant t enables (server start, `odra demo`). */
enum err_code svc_modules_migrate(const struct config_tenant *t, struct gis_store *w, struct err *e);

/* Runs the demo hook of every module t enables, each in one transaction on w (after migrating). */
enum err_code svc_modules_demo(const struct config_tenant *t, struct gis_store *w, struct err *e);

/* The collection with this id among the core ones and those of the modules t enables, or NULL. */
const struct gis_collection *svc_collection_find(const struct config_tenant *t, const char *id);

/* Calls fn for every collection tenant t serves: the core ones, then its modules'. */
void svc_collections_each(const struct config_tenant *t, void (*fn)(const struct gis_collection *c, void *user),
                          void *user);

/* Adds every module's layers to the layer table (gis_layers_register) and makes their tilesets
 * (tile_sets_register): at server start and in `odra seed`; idempotent. */
enum err_code svc_modules_register(struct err *e);

/* The module that declares layer L, or NULL for a core one. */
const struct svc_module *svc_module_of_layer(const struct gis_layer *L);

/* The module that declares tileset ts (through its layer), or NULL for a core one. */
const struct svc_module *svc_module_of_tileset(const struct tile_set *ts);

/* Whether tenant t serves ts: a core tileset, or one of a module t enables. */
bool svc_tileset_enabled(const struct config_tenant *t, const struct tile_set *ts);

/* The tileset called name that tenant t serves, or NULL. */
const struct tile_set *svc_tileset_find(const struct config_tenant *t, const char *name);

/* Whether tenant t serves the MVT layer name: false for a source layer of a module t does not enable. */
bool svc_tile_layer_enabled(const struct config_tenant *t, const char *name);

/* The tileset OGC API - Tiles serves for collection cid of tenant t (tile_set_of_layer), or NULL when that
 * collection has no tiles there. Implemented next to the tiles in services/tiles.c. */
const struct tile_set *svc_collection_tileset(const struct config_tenant *t, const char *cid);

/* Staff authorisation inside a staff handler: the route declares the role or API-client scope it needs
 * (HTTP_STAFF in its table entry) and the dispatcher enforces it before the handler runs
 * (services/auth.c); this confirms that the request was made by staff (not a resident) or by an API
 * client of this gmina. No principal is ERR_UNAUTHORIZED; a resident or another gmina's client is
 * ERR_FORBIDDEN. */
enum err_code svc_require_staff(struct http_req *req, struct err *e);

/* Whether req was made by staff of its gmina holding role (or gmina_admin there, or a server admin), or by
 * an API client of that gmina: for a handler that serves residents and staff alike (HTTP_ACCOUNT_OR_CLIENT),
 * where staff may act for anyone and a resident only for themselves. */
bool svc_is_staff(const struct http_req *req, const char *role);

/* Every enabled module's resident view of account (its `me` hook) in tenant t, as a JSON object keyed by
 * module name; a module that fails gets {"error": {"code", "description"}} instead. The caller owns it. */
json_t *svc_modules_me(struct svc_tenant *t, struct gis_store *r, long long account);

/* Resolves a parcel identifier, an address text, or (both NULL) the lon & lat (or x, y, crs) query
 * parameters of req into a place in req->tenant; exactly one of the three must be given (ERR_INVALID
 * naming the parameter). An unknown parcel, an address that no address of the gmina matches completely,
 * or a point outside the gmina is ERR_NOT_FOUND. Implemented next to /locate in services/places.c. */
enum err_code svc_place_resolve(struct http_req *req, struct gis_store *r, const char *parcel, const char *address,
                                struct svc_place *out, struct err *e);

/* Every enabled module's answer about p, as a JSON object keyed by module name; a module that fails
 * gets {"error": {"code", "description"}} instead. The caller owns the result. */
json_t *svc_modules_locate(struct svc_tenant *t, struct gis_store *r, const struct svc_place *p);

#endif
