/* The core route table and the handlers that make it up. */
#ifndef SERVICES_ROUTES_H
#define SERVICES_ROUTES_H
#include "services/http.h"

/* Route tables, each ended by a NULL pattern: core (routes.c), OGC API Features (ogc.c), places
 * (places.c), WMS (wms.c), tiles (tiles.c), the map page with its assets and glyphs (web.c), extracts
 * (extracts.c), plans (plans.c), log-in and sessions (auth.c). svc_route_tables lists them, ended by NULL; modules'
 * routes come after them. */
extern const struct http_route svc_core_routes[];
extern const struct http_route svc_ogc_routes[];
extern const struct http_route svc_places_routes[];
extern const struct http_route svc_wms_routes[];
extern const struct http_route svc_tiles_routes[];
extern const struct http_route svc_web_routes[];
extern const struct http_route svc_web_pages_routes[];   /* services/web_resident.c: residents' pages */
extern const struct http_route svc_web_clerk_routes[];   /* services/web_clerk.c: clerks' pages */
extern const struct http_route svc_plan_import_routes[]; /* services/plan_import.c: APP import */
extern const struct http_route svc_planner_routes[];     /* services/web_planner.c: planners' pages, /print */
extern const struct http_route svc_extracts_routes[];
extern const struct http_route svc_plans_routes[];
extern const struct http_route svc_auth_routes[]; /* services/auth.c */
extern const struct http_route svc_rodo_routes[]; /* services/rodo.c: RODO export and erasure */
extern const struct http_route *const svc_route_tables[];

enum err_code svc_health(struct http_req *req, struct http_resp *resp, struct err *e);
enum err_code svc_openapi(struct http_req *req, struct http_resp *resp, struct err *e);
enum err_code svc_favicon(struct http_req *req, struct http_resp *resp, struct err *e);
enum err_code svc_tenant_info(struct http_req *req, struct http_resp *resp, struct err *e);

#endif
