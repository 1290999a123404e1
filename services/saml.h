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
    const char *return_to;    /* the local path the log-in was started from (GET /auth/saml/login?return=) */
    const char *session_dump; /* Lasso's SAML session (attribute statements removed), for single logout */
};

/* Where a successful log-in ends: finds or makes the resident account of the verified person (by PESEL,
 * gis_resident_login), starts an odra session as every log-in does (svc_auth_session_start, audited with
 * "saml"), ties the SAML session to it for single logout, and answers 303 to the return path (or, for
 * Accept: application/json, 200 with the session as POST /auth/login answers it and "return_to"). */
enum err_code saml_login_complete(struct http_req *req, struct http_resp *resp, const struct saml_identity *id,
                                  struct err *e);

/* What became of the SAML session tied to an odra session at its log-out. */
enum saml_slo {
    SAML_SLO_NONE,     /* the odra session has no SAML session (a password log-in, or a restart since) */
    SAML_SLO_DONE,     /* the IdP confirmed the logout over SOAP */
    SAML_SLO_REDIRECT, /* the IdP takes logout by HTTP-Redirect only: the browser is to go to *url */
    SAML_SLO_FAILED,   /* the IdP did not confirm (e says why); the SAML session is forgotten here anyway */
};

/* Single logout of the SAML session tied to the odra session with token_hash (32 bytes), which is then
 * forgotten here whatever the outcome. *url (request's arena) for SAML_SLO_REDIRECT. */
enum saml_slo saml_session_logout(struct http_req *req, const unsigned char *token_hash, const char **url,
                                  struct err *e);

/* Frees the SP (Lasso server, caches). For tests and a clean exit under the leak checker; idempotent. */
void saml_shutdown(void);

#endif
