/* Cases (sprawy) over HTTP: the resident's view (/{t}/me), the clerk's queue and actions
 * (/{t}/cases...), and what extracts and cases share. The store is gis/case_store.h. */
#ifndef SERVICES_CASES_H
#define SERVICES_CASES_H
#include <jansson.h>

#include "gis/case_store.h"
#include "services/http.h"

/* A case as JSON: number, module, status, deadline, fee, documents, assigned clerk, links; the
 * applicant's data only when with_applicant (staff), the history when events is given. NULL when out of
 * memory. */
json_t *svc_case_json(struct http_req *req, const struct gis_case *c, bool with_applicant,
                      const struct gis_case_event *events, int nevents);

/* Issues the extract of the registered case c from the request it keeps (services/extracts.c), on w
 * inside the caller's transaction: the document, the case załatwiony with the document listed, and an
 * entry in its history (by the caller, with note). ERR_CONFLICT when c is not an open extract case. */
enum err_code svc_extract_issue_case(struct http_req *req, struct gis_store *w, struct gis_case *c, const char *note,
                                     struct err *e);

/* Whether s has the form of a case id (32 lower-case hex digits). */
bool svc_case_id_ok(const char *s);

/* The JSON object body of a POST (Content-Type: application/json), released with the arena: 415 for another
 * type, 400 when it is not a JSON object. */
enum err_code svc_case_body_object(struct http_req *req, json_t **out, struct err *e);

/* Adds "messages" (each with its attachments' metadata) and "attachments" (all of the case's) to the case
 * object j, read on s (services/case_messages.c). */
enum err_code svc_case_thread_add(struct http_req *req, struct gis_store *s, const char *case_id, json_t *j,
                                  struct err *e);

/* Answers with the stored receipt (gis/receipt.h) of case id on the tenant's reader: the sealed PDF,
 * private and not cached. ERR_NOT_FOUND when the case has none (or does not exist). Every module's
 * receipt route calls it after its own access check. */
enum err_code svc_case_receipt_send(struct http_req *req, struct http_resp *resp, const char *id, struct err *e);

/* The routes of services/cases.c and of services/case_messages.c. */
extern const struct http_route svc_cases_routes[];
extern const struct http_route svc_case_messages_routes[];

#endif
