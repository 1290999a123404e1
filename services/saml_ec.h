/* The EC cryptography of login.gov.pl (Węzeł Krajowy), done here because Lasso 2.8 and xmlsec1 1.2 cannot:
 * ECDSA P-256 signatures of the SP's messages and checks of the IdP's (XML-DSig with libxmlsec1 directly),
 * and the decryption of an EncryptedAssertion made with ECDH-ES key agreement (xmlenc 1.1 AgreementMethod,
 * ConcatKDF with SHA-256), AES-256 key wrap and AES-256-GCM (OpenSSL EVP). docs/saml.md says what is
 * checked. Lasso then parses the verified, decrypted message with its signatures removed.
 *
 * libxmlsec1 must have been initialised (lasso_init does it). Not thread-safe: services/saml.c calls it
 * under its lock. */
#ifndef SERVICES_SAML_EC_H
#define SERVICES_SAML_EC_H
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct saml_ec;

/* Whether the PEM text holds an EC private key (then the SP works in EC mode). */
bool saml_ec_key_is_ec(const char *key_pem);

/* The SP's EC key (PEM text, P-256) and certificate (path), and the signing keys of the IdP: every
 * X509Certificate of a KeyDescriptor (use "signing" or none) of the IDPSSODescriptor in the metadata file. */
enum err_code saml_ec_new(const char *key_pem, const char *cert_path, const char *idp_metadata_path,
                          struct saml_ec **out, struct err *e);
void saml_ec_free(struct saml_ec *ec);

/* The IdP's signing keys alone, read from its metadata as saml_ec_new reads them, RSA or EC: an SP with an
 * RSA key checks the HTTP-Redirect binding's signatures with them (saml_ec_verify_rsa), not with Lasso, whose
 * 2.8.1 leaks the decoded signature of every query it checks. Only saml_ec_verify_rsa and saml_ec_free take
 * it. ERR_INVALID when the metadata cannot be read or names no signing certificate. */
enum err_code saml_ec_idp_keys_new(const char *idp_metadata_path, struct saml_ec **out, struct err *e);

/* Checks an HTTP-Redirect signature over data by SigAlg sigalg (XML-DSig rsa-sha256, rsa-sha384 or
 * rsa-sha512; SHA-1 and anything else are refused) with the IdP's RSA keys: true when one verifies. */
bool saml_ec_verify_rsa(struct saml_ec *ec, const char *sigalg, const void *data, size_t len, const unsigned char *sig,
                        size_t sig_len);

/* ECDSA P-256 with SHA-256 over data; sig gets r || s, 32 bytes each (the XML-DSig form of the signature
 * value, which the HTTP-Redirect binding carries base64-encoded). 0 or -1. */
int saml_ec_sign_raw(struct saml_ec *ec, const void *data, size_t len, unsigned char sig[64]);

/* Checks an r || s (or DER) ECDSA-SHA256 signature over data with the IdP's keys: true when one verifies. */
bool saml_ec_verify_raw(struct saml_ec *ec, const void *data, size_t len, const unsigned char *sig, size_t sig_len);

/* Signs the SAML message in a SOAP envelope (the first element of its Body: an ArtifactResolve or a
 * LogoutRequest) with an enveloped XML signature: ecdsa-sha256, exclusive c14n, one reference to the
 * message's ID, placed after its Issuer, the SP certificate in KeyInfo. *out is malloc'd. */
enum err_code saml_ec_sign_soap(struct saml_ec *ec, const char *soap, char **out, struct err *e);

/* What saml_ec_open found. */
struct saml_ec_result {
    bool encrypted;         /* the assertion came as an EncryptedAssertion and was decrypted */
    bool assertion_checked; /* the assertion's own signature was verified (by the IdP's key, over its ID) */
};

/* Opens an IdP answer: a samlp:Response (HTTP-POST), or a SOAP envelope with an ArtifactResponse (which
 * must be signed) or a LogoutResponse. Every signature on the message and on the Response in it is
 * verified, by an IdP key, and must reference the element that carries it; an EncryptedAssertion (at most
 * one, and then no plain assertion beside it) is decrypted in place and the assertion must carry a valid
 * signature. The document is then written back without the signatures into *out (malloc'd, *out_len) for
 * Lasso. A refusal is ERR_FORBIDDEN with the reason; malformed XML ERR_INVALID. */
enum err_code saml_ec_open(struct saml_ec *ec, const char *xml, size_t len, char **out, size_t *out_len,
                           struct saml_ec_result *res, struct err *e);

#endif
