/* libFuzzer harness: an identity provider's answer through services/saml_ec.c as the assertion consumer
 * service and single logout hand it over: the XML parse, the SOAP envelope, the XML signatures of the
 * ArtifactResponse, Response, LogoutResponse and assertion (libxmlsec1 with the IdP keys of the metadata),
 * the EncryptedAssertion (xmlenc 1.1 AgreementMethod, ECDH-ES with the originator's point, ConcatKDF, kw-aes256,
 * AES-256-GCM) and the decrypted assertion put back; also the raw ECDSA check of redirect signatures.
 *
 * The keys are the fixed P-256 test keys of tests/fuzz/saml-keys/ (or $ODRA_FUZZ_SAML_KEYS); the seeds in
 * tests/fuzz/saml/ are encrypted for them and signed by them (tests/fuzz/saml_seeds.py), so mutations reach
 * the decryption and the signature checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmlsec.h>

#include "services/saml_ec.h"
#include "util/log.h"

static struct saml_ec *ec;

static void setup(void)
{
    const char *dir = getenv("ODRA_FUZZ_SAML_KEYS") ? getenv("ODRA_FUZZ_SAML_KEYS") : "tests/fuzz/saml-keys";
    char key_path[512], cert[512], md[512], key[4096];
    snprintf(key_path, sizeof key_path, "%s/sp.key", dir);
    snprintf(cert, sizeof cert, "%s/sp.crt", dir);
    snprintf(md, sizeof md, "%s/idp-metadata.xml", dir);
    FILE *f = fopen(key_path, "rb");
    size_t n = f ? fread(key, 1, sizeof key - 1, f) : 0;
    if (f)
        fclose(f);
    key[n] = 0;
    log_set_level(LOG_ERROR);
    xmlSecErrorsDefaultCallbackEnableOutput(0);
    struct err e = {0};
    if (xmlSecInit() < 0 || xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0 ||
        saml_ec_new(key, cert, md, &ec, &e) != ERR_OK) {
        fprintf(stderr, "fuzz_saml: cannot load the keys in %s: %s\n", dir, e.msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ec)
        setup();
    char *out = NULL;
    size_t out_len = 0;
    struct saml_ec_result res;
    struct err e = {0};
    if (saml_ec_open(ec, (const char *)data, size, &out, &out_len, &res, &e) == ERR_OK)
        free(out);
    saml_ec_verify_raw(ec, data, size, data, size < 64 ? size : 64);
    return 0;
}
