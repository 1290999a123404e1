/* Placeholder route table; filled by the tiles work. */
#include "services/routes.h"

#include <stddef.h>

const struct http_route svc_tiles_routes[] = {
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
