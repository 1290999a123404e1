/* The payments core over HTTP and the command line (docs/payments.md): the virtual account and transfer
 * title of every case with a fee, statement import, the unmatched queue, and settling a case when its
 * account is paid. The store side is gis/pay.h. */
#ifndef SERVICES_PAYMENTS_H
#define SERVICES_PAYMENTS_H
#include <jansson.h>

#include "gis/case_store.h"
#include "gis/pay.h"
#include "services/http.h"
#include "util/config.h"

/* Opens (or updates the due of) the virtual account of case c when its gmina has a pay_account_prefix and
 * the fee is not 0, on w inside the caller's transaction; fills c->pay_*. */
enum err_code svc_pay_case_account(const struct config_tenant *t, struct gis_store *w, struct arena *a,
                                   struct gis_case *c, struct err *e);

/* Adds to the fee object of a case's JSON what a resident needs to pay it: account, account_display,
 * title, paid_gr, remaining_gr, credit_gr (nothing when the case has no account). */
void svc_pay_fee_fields(struct arena *a, json_t *fee, const struct gis_case *c);

/* The settle hook (gis_pay_settle_fn) of the payments core: ctx is the http_req. For an extract case the
 * fee becomes paid when its account is paid up (and the extract is issued where extract_issue =
 * on_payment), and due again after a refund (an issued document stays issued). */
enum err_code svc_pay_settle(struct gis_store *w, const struct gis_pay_account *acct, void *ctx, struct err *e);

/* Imports a statement file for req->tenant (bank: a [bank.NAME] of cfg or NULL to detect) in one
 * transaction; *out gets the totals as JSON. Used by POST /{t}/payments/statements and
 * `odra payments import`. */
enum err_code svc_pay_import(struct http_req *req, const struct config *cfg, const char *data, size_t len,
                             const char *bank, json_t **out, struct err *e);

/* The routes of services/payments.c. */
extern const struct http_route svc_payments_routes[];

#endif
