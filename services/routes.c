/* The core route table: every path the server answers outside the e-service modules. */
#include "services/routes.h"

#include <stddef.h>

#include "services/cases.h"
#include "services/pay_online.h"
#include "services/payments.h"
#include "services/saml.h"
#include "services/web_page.h"

static const struct http_param_doc tenant_param[] = {
    {"t", "path", "string", 1, "gmina slug: slubice, cybinka, gorzyca, osno-lubuskie, rzepin"},
    HTTP_DOC_END,
};

const struct http_route svc_core_routes[] = {
    {"GET", "/", web_index, "meta", "Web entry page", "text/html", NULL, HTTP_PUBLIC},
    {"GET", "/favicon.ico", svc_favicon, "meta", "The site icon (SVG)", "image/svg+xml", NULL, HTTP_PUBLIC},
    {"GET", "/health", svc_health, "meta", "Server status, version and the tenants with their modules", NULL, NULL,
     HTTP_PUBLIC},
    {"GET", "/api", svc_openapi, "meta", "This OpenAPI 3.0 document", "application/vnd.oai.openapi+json;version=3.0",
     NULL, HTTP_PUBLIC},
    {"GET", "/{t}", svc_tenant_info, "meta", "One gmina: configuration and store contents", NULL, tenant_param,
     HTTP_PUBLIC},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};

/* one table a line, so that adding one is a one-line change */
/* clang-format off */
const struct http_route *const svc_route_tables[] = {
    svc_core_routes,
    svc_ogc_routes,
    svc_places_routes,
    svc_wms_routes,
    svc_tiles_routes,
    svc_web_routes,
    svc_extracts_routes,
    svc_plans_routes,
    svc_plan_import_routes,
    svc_saml_routes,
    svc_auth_routes,
    svc_cases_routes,
    svc_case_messages_routes,
    svc_rodo_routes,
    svc_payments_routes,
    svc_pay_online_routes,
    svc_web_pages_routes,
    svc_web_clerk_routes,
    svc_planner_routes,
    NULL,
};
/* clang-format on */
