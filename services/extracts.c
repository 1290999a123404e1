/* Placeholder route table; filled by the extracts work. */
#include "services/routes.h"

#include <stddef.h>

const struct http_route svc_extracts_routes[] = {
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
