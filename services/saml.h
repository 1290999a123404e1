/* The SAML 2.0 service provider for the national login (login.gov.pl, Węzeł Krajowy), on Lasso.
 * Server-wide routes under /auth/saml/: the SP metadata, the AuthnRequest, the assertion consumer service
 * (HTTP-POST and HTTP-Artifact bindings) and single logout. Configured by the [saml] section
 * (docs/configuration.md); what it checks and why is in docs/saml.md. */
#ifndef SERVICES_SAML_H
#define SERVICES_SAML_H
#include "services/http.h"

/* The routes, ended by a NULL pattern. Every one answers 404 while [saml] sp_entity_id is empty. */
extern const struct http_route svc_saml_routes[];

/* A verified log-in: what the IdP asserted about the person, after the signature, the decryption, the
 * conditions (time, audience), the subject confirmation, InResponseTo and the replay check all passed.
 * Strings live in the request's arena; an attribute the IdP did not send is NULL. */
struct saml_identity {
    const char *given_name;    /* CurrentGivenName */
    const char *surname;       /* CurrentFamilyName */
    const char *pesel;         /* PersonIdentifier (WK sends the PESEL) */
    const char *date_of_birth; /* DateOfBirth, YYYY-MM-DD */
    const char *name_id;       /* the Subject's NameID */
    const char *name_id_format;
    const char *idp_entity;    /* the asserting IdP's entityID */
    const char *session_index; /* AuthnStatement SessionIndex, for single logout */
    const char *authn_context; /* AuthnContextClassRef: the level of assurance reached */
    const char *assertion_id;
    const char *return_to;     /* the local path the log-in was started from (GET /auth/saml/login?return=) */
    const char *logout_handle; /* the key of this log-in's SAML session for POST /auth/saml/slo */
};

/* Where a successful log-in ends: the one place the session layer plugs in. For now it answers 200 with
 * the verified identity as JSON (and a cookie naming the SAML session for single logout); the account and
 * session issue replaces the body with creating the session. */
enum err_code saml_login_complete(struct http_req *req, struct http_resp *resp, const struct saml_identity *id,
                                  struct err *e);

/* Frees the SP (Lasso server, caches). For tests and a clean exit under the leak checker; idempotent. */
void saml_shutdown(void);

#endif
