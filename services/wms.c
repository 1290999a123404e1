/* WMS 1.3.0: GetCapabilities, GetMap, GetFeatureInfo and GetLegendGraphic. */
#include "services/routes.h"

#include <stddef.h>

const struct http_route svc_wms_routes[] = {
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
