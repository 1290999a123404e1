/* E-service modules: each is one static struct in the table svc_modules, ended by NULL.
 * Adding an e-service means adding one file and one line in services/modules.c. */
#ifndef SERVICES_MODULE_H
#define SERVICES_MODULE_H
#include "gis/store.h"
#include "services/http.h"
#include "util/config.h"
#include "util/err.h"

struct svc_module {
    const char *name;                /* slug used in config `modules =` and in URLs: /{t}/{name}/... */
    const char *title;               /* Polish name shown to residents */
    const struct http_route *routes; /* ended by a NULL pattern; may be NULL */
    /* Creates or migrates the module's tables in a tenant store (writer, inside a transaction). */
    enum err_code (*migrate)(struct gis_store *w, struct err *e);
    /* Adds demo data for tenant t to a freshly created demo store. May be NULL. */
    enum err_code (*demo)(struct gis_store *w, const struct config_tenant *t, struct err *e);
    enum err_code (*init)(struct err *e); /* once at server start; may be NULL */
    void (*fini)(void);                   /* once at shutdown; may be NULL */
};

/* All modules compiled in, ended by NULL. */
extern const struct svc_module *const svc_modules[];

/* The module with this name, or NULL. */
const struct svc_module *svc_module_find(const char *name);

/* Checks that every module named in the config exists; ERR_INVALID naming the tenant and module. */
enum err_code svc_modules_check_config(const struct config *c, struct err *e);

#endif
