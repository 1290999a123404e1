/* OGC API - Features (Part 1 Core, Part 2 CRS) over the store's collections. */
#include "services/routes.h"

#include <stddef.h>

const struct http_route svc_ogc_routes[] = {
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
