/* The static module table. */
#include <string.h>

#include "services/module.h"

const struct svc_module *const svc_modules[] = {
    NULL,
};

const struct svc_module *svc_module_find(const char *name)
{
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if (!strcmp((*m)->name, name))
            return *m;
    return NULL;
}

enum err_code svc_modules_check_config(const struct config *c, struct err *e)
{
    for (int i = 0; i < c->n_tenants; i++)
        for (int k = 0; k < c->tenants[i].n_modules; k++)
            if (!svc_module_find(c->tenants[i].modules[k]))
                return err_set(e, ERR_INVALID, "config %s: tenant %s.modules: unknown module '%s'", c->source,
                               c->tenants[i].slug, c->tenants[i].modules[k]);
    return ERR_OK;
}
