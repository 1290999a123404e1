/* Online payment of a case's fee through a payment provider (docs/payments.md, "Online payment"): the
 * provider interface and its Przelewy24-style implementation, and the routes that start a payment and
 * receive the provider's signed notification. Bookings go through the payments core (gis/pay.h). */
#ifndef SERVICES_PAY_ONLINE_H
#define SERVICES_PAY_ONLINE_H
#include <stddef.h>

#include "services/http.h"
#include "util/arena.h"
#include "util/config.h"
#include "util/err.h"

/* A payment to start: our session id, the amount (grosze), a description and where the provider sends the
 * payer back and its notification. */
struct svc_pay_start {
    const char *session_id, *description, *email, *url_return, *url_status;
    long amount_gr;
};

/* A provider's notification, parsed and its signature checked. */
struct svc_pay_notice {
    const char *session_id, *order_id, *currency, *statement;
    long amount_gr, origin_amount_gr;
};

/* A payment provider. Each call uses the gmina's configuration t; strings live in a. */
struct svc_pay_provider {
    const char *name;
    /* Registers the payment with the provider; *redirect is where the payer goes to pay. */
    enum err_code (*start)(const struct config_tenant *t, struct arena *a, const struct svc_pay_start *in,
                           const char **redirect, struct err *e);
    /* Parses a notification body and checks its signature (ERR_UNAUTHORIZED when it does not match) and
     * that it is addressed to this merchant (ERR_FORBIDDEN). */
    enum err_code (*notice)(const struct config_tenant *t, struct arena *a, const char *body, size_t len,
                            struct svc_pay_notice *out, struct err *e);
    /* Confirms the notified payment with the provider (reconciliation) before it is booked. */
    enum err_code (*verify)(const struct config_tenant *t, struct arena *a, const struct svc_pay_notice *n,
                            struct err *e);
};

/* The Przelewy24-style provider (REST API v1: transaction/register, the urlStatus notification,
 * transaction/verify; SHA-384 signatures over JSON with the CRC key). */
extern const struct svc_pay_provider svc_pay_p24;

/* The SHA-384 signatures of that API, hex (97 bytes with the NUL), over exactly the JSON the provider
 * documents (keys in its order, no spaces, Unicode and '/' unescaped). */
void svc_p24_sign_register(const char *session_id, long merchant_id, long amount, const char *currency, const char *crc,
                           char out[97]);
void svc_p24_sign_notice(long merchant_id, long pos_id, const struct svc_pay_notice *n, long method_id, const char *crc,
                         char out[97]);
void svc_p24_sign_verify(const char *session_id, const char *order_id, long amount, const char *currency,
                         const char *crc, char out[97]);

/* The routes of services/pay_online.c. */
extern const struct http_route svc_pay_online_routes[];

#endif
