/* The core route table and the handlers that make it up. */
#ifndef SERVICES_ROUTES_H
#define SERVICES_ROUTES_H
#include "services/http.h"

/* Core routes (not modules'), ended by a NULL pattern. */
extern const struct http_route svc_core_routes[];

enum err_code svc_health(struct http_req *req, struct http_resp *resp, struct err *e);
enum err_code svc_openapi(struct http_req *req, struct http_resp *resp, struct err *e);
enum err_code svc_index(struct http_req *req, struct http_resp *resp, struct err *e);
enum err_code svc_tenant_info(struct http_req *req, struct http_resp *resp, struct err *e);

#endif
