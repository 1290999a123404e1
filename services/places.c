/* Places: parcels, ULDK-compatible lookup, geocoding, reverse geocoding and the property card. */
#include "services/routes.h"

#include <stddef.h>

const struct http_route svc_places_routes[] = {
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
