/* services/saml_ec.c on the fixed P-256 test keys and the IdP answers of tests/fuzz/saml/ (made by
 * tests/fuzz/saml_seeds.py as login.gov.pl makes them): they open, and every way of breaking them is
 * refused — a changed ciphertext or tag, a point off the curve, a ConcatKDF parameter without its 00
 * octet, a changed signed value, signature wrapping (a second element with the signed ID, a reference to
 * another element), an unsigned assertion, an unencrypted one — and the SOAP signature round-trips. The
 * HTTP-Redirect signatures of an IdP with an RSA key (saml_ec_verify_rsa) are checked on a key made here. */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmlsec.h>

#include "services/saml_ec.h"
#include "tests/test.h"
#include "util/log.h"

static struct saml_ec *ec;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

/* s with the first occurrence of from replaced by to (malloc'd). */
static char *replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    if (!p)
        return NULL;
    size_t n = strlen(s) - strlen(from) + strlen(to);
    char *out = malloc(n + 1);
    size_t head = (size_t)(p - s);
    memcpy(out, s, head);
    strcpy(out + head, to);
    strcat(out, p + strlen(from));
    return out;
}

/* Opens xml; returns the error code, and the description in why. */
static enum err_code open_xml(const char *xml, struct saml_ec_result *res, char *why, size_t cap)
{
    char *out = NULL;
    size_t ol = 0;
    struct err e = {0};
    enum err_code rc = saml_ec_open(ec, xml, strlen(xml), &out, &ol, res, &e);
    snprintf(why, cap, "%s", e.msg);
    if (rc == ERR_OK && (!out || strstr(out, "EncryptedAssertion") || strstr(out, "Signature>")))
        rc = ERR_INTERNAL; /* Lasso must get the plain assertion, without signatures */
    free(out);
    return rc;
}

static void refused(const char *xml, const char *words)
{
    struct saml_ec_result res;
    char why[512];
    CHECK(xml != NULL);
    if (!xml)
        return;
    enum err_code rc = open_xml(xml, &res, why, sizeof why);
    CHECK(rc == ERR_FORBIDDEN || rc == ERR_INVALID);
    if (!strstr(why, words))
        printf("  wanted \"%s\" in \"%s\"\n", words, why);
    CHECK(strstr(why, words) != NULL);
}

/* xml with from replaced by to is refused, with words in the reason. */
static void refused_edit(const char *xml, const char *from, const char *to, const char *words)
{
    char *edited = replace(xml, from, to);
    refused(edited, words);
    free(edited);
}

static void seeds_open(void)
{
    static const char *const names[] = {"response.xml", "artifact-response.xml"};
    for (size_t i = 0; i < 2; i++) {
        char path[128], why[512];
        snprintf(path, sizeof path, "tests/fuzz/saml/%s", names[i]);
        char *xml = slurp(path);
        struct saml_ec_result res = {0};
        CHECK(xml && open_xml(xml, &res, why, sizeof why) == ERR_OK);
        CHECK(res.encrypted && res.assertion_checked);
        free(xml);
    }
    char *lo = slurp("tests/fuzz/saml/logout-response.xml"), why[512];
    struct saml_ec_result res;
    CHECK(lo && open_xml(lo, &res, why, sizeof why) == ERR_OK);
    free(lo);
    char *wrapped = slurp("tests/fuzz/saml/wrapped-assertion.xml");
    refused(wrapped, "assertion's signature does not verify");
    free(wrapped);
    char *plain = slurp("tests/fuzz/saml/unencrypted.xml");
    refused(plain, "not encrypted");
    free(plain);
}

/* The base64 of the content's CipherValue: the last CipherValue of the document. */
static char *cipher_value(char *xml)
{
    char *p = NULL, *q = xml;
    while ((q = strstr(q, "<xenc:CipherValue>")) != NULL)
        p = q, q++;
    return p ? p + strlen("<xenc:CipherValue>") : NULL;
}

static void broken_encryption_refused(void)
{
    char *xml = slurp("tests/fuzz/saml/response.xml");
    CHECK(xml != NULL);
    if (!xml)
        return;
    char *cv = cipher_value(xml);
    char saved = cv[30];
    cv[30] = cv[30] == 'A' ? 'B' : 'A'; /* a changed ciphertext byte: the GCM tag fails */
    refused(xml, "does not decrypt");
    cv[30] = saved;
    char *end = strstr(cv, "</xenc:CipherValue>");
    char *cut = strndup(xml, (size_t)(cv + 16 - xml));
    char *trunc = malloc(strlen(xml) + 1);
    sprintf(trunc, "%s%s", cut, end); /* 12 bytes: shorter than IV and tag */
    refused(trunc, "does not decrypt");
    free(cut);
    free(trunc);
    char *pk = strstr(xml, "<dsig11:PublicKey>") + strlen("<dsig11:PublicKey>");
    saved = pk[10];
    pk[10] = pk[10] == 'A' ? 'B' : 'A'; /* another X coordinate: off the curve */
    refused(xml, "P-256 point");
    pk[10] = saved;
    refused_edit(xml, "AlgorithmID=\"00", "AlgorithmID=\"01", "ConcatKDF");
    refused_edit(xml, "xmlenc#kw-aes256", "xmlenc#kw-aes128", "kw-aes256");
    /* another derived key */
    refused_edit(xml, "PartyVInfo=\"00", "PartyVInfo=\"0000", "does not unwrap");
    refused_edit(xml, "xmlenc11#aes256-gcm", "xmlenc11#aes128-gcm", "AES-256-GCM");
    free(xml);
}

static void signatures_checked(void)
{
    char *art = slurp("tests/fuzz/saml/artifact-response.xml");
    CHECK(art != NULL);
    if (!art)
        return;
    /* The ArtifactResponse's signed content changed: its InResponseTo. */
    refused_edit(art, "InResponseTo=\"q1\"", "InResponseTo=\"q9\"", "ArtifactResponse's signature does not verify");
    /* Its signature removed. */
    char *s = strstr(art, "<ds:Signature"), *se = s ? strstr(s, "</ds:Signature>") : NULL;
    CHECK(s && se);
    if (s && se) {
        char *u = malloc(strlen(art) + 1);
        sprintf(u, "%.*s%s", (int)(s - art), art, se + strlen("</ds:Signature>"));
        refused(u, "ArtifactResponse is not signed");
        free(u);
    }
    /* Wrapping: another element of the envelope claims the signed ID. */
    refused_edit(art, "<soap-env:Body>", "<soap-env:Header><x ID=\"ar1\"/></soap-env:Header><soap-env:Body>",
                 "ArtifactResponse's signature");
    /* The signature names another element than the one carrying it. */
    refused_edit(art, "ID=\"ar1\"", "ID=\"ar2\"", "ArtifactResponse's signature");
    free(art);
}

static void soap_signature_round_trip(void)
{
    static const char soap[] =
        "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap-env:Body>"
        "<samlp:ArtifactResolve xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
        "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_r1\" Version=\"2.0\" "
        "IssueInstant=\"2026-12-04T10:00:00Z\"><saml:Issuer>https://odra.test/saml/sp</saml:Issuer>"
        "<samlp:Artifact>AAQAAA==</samlp:Artifact></samlp:ArtifactResolve></soap-env:Body></soap-env:Envelope>";
    char *out = NULL;
    struct err e = {0};
    CHECK(saml_ec_sign_soap(ec, soap, &out, &e) == ERR_OK);
    CHECK(out && strstr(out, "xmldsig-more#ecdsa-sha256") && strstr(out, "URI=\"#_r1\"") &&
          strstr(out, "<ds:X509Certificate>"));
    /* After the Issuer, as the SAML schema orders it. */
    CHECK(out && strstr(out, "</saml:Issuer><ds:Signature") != NULL);
    free(out);
    CHECK(saml_ec_sign_soap(ec, "<not-soap/>", &out, &e) != ERR_OK);
    unsigned char sig[64];
    CHECK(saml_ec_sign_raw(ec, "abc", 3, sig) == 0);
    CHECK(!saml_ec_verify_raw(ec, "abc", 3, sig, 64)); /* signed by the SP, not by the IdP */
}

static void hostile_xml(void)
{
    refused("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:"
            "protocol\">&a;</samlp:Response>",
            "well-formed");
    refused("not xml", "well-formed");
    refused("<x/>", "not a samlp:Response");
    refused("<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\"/>", "SOAP answer");
}

/* sig over data with key by md (malloc'd, *len). */
static unsigned char *rsa_sign(EVP_PKEY *key, const EVP_MD *md, const char *data, size_t *len)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned char *sig = malloc(1024);
    *len = 1024;
    if (!m || !sig || EVP_DigestSignInit(m, NULL, md, NULL, key) != 1 ||
        EVP_DigestSign(m, sig, len, (const unsigned char *)data, strlen(data)) != 1)
        *len = 0;
    EVP_MD_CTX_free(m);
    return sig;
}

/* An IdP with an RSA key: its metadata (a self-signed certificate) read by saml_ec_idp_keys_new, and the
 * redirect signatures checked by SigAlg; SHA-1, another key's signature and changed data refused. */
static void rsa_redirect_signatures(void)
{
    EVP_PKEY *key = EVP_RSA_gen(2048), *other = EVP_RSA_gen(2048);
    X509 *x = X509_new();
    CHECK(key && other && x);
    if (!key || !other || !x)
        goto done;
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"idp", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    CHECK(X509_sign(x, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int dl = i2d_X509(x, &der);
    char *b64 = calloc(1, (size_t)dl * 2 + 4);
    EVP_EncodeBlock((unsigned char *)b64, der, dl);
    OPENSSL_free(der);
    char path[] = "/tmp/odra-test-saml-rsa-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    CHECK(f != NULL);
    if (f) {
        fprintf(f,
                "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"https://idp.test\">"
                "<md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
                "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"
                "<ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
                "</md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>",
                b64);
        fclose(f);
    }
    free(b64);
    struct saml_ec *k = NULL;
    struct err e = {0};
    CHECK(saml_ec_idp_keys_new(path, &k, &e) == ERR_OK && k);
    unlink(path);
    const char *data = "SAMLResponse=fZBBa&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256";
    const char *s256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    const char *s512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
    size_t l256, l512, l1, lo;
    unsigned char *g256 = rsa_sign(key, EVP_sha256(), data, &l256), *g512 = rsa_sign(key, EVP_sha512(), data, &l512),
                  *g1 = rsa_sign(key, EVP_sha1(), data, &l1), *go = rsa_sign(other, EVP_sha256(), data, &lo);
    if (k) {
        CHECK(saml_ec_verify_rsa(k, s256, data, strlen(data), g256, l256));
        CHECK(saml_ec_verify_rsa(k, s512, data, strlen(data), g512, l512));
        CHECK(!saml_ec_verify_rsa(k, s512, data, strlen(data), g256, l256)); /* SigAlg names another digest */
        CHECK(!saml_ec_verify_rsa(k, "http://www.w3.org/2000/09/xmldsig#rsa-sha1", data, strlen(data), g1, l1));
        CHECK(!saml_ec_verify_rsa(k, NULL, data, strlen(data), g256, l256));
        CHECK(!saml_ec_verify_rsa(k, s256, data, strlen(data), go, lo));         /* another key */
        CHECK(!saml_ec_verify_rsa(k, s256, data, strlen(data) - 1, g256, l256)); /* changed data */
        CHECK(!saml_ec_verify_rsa(k, s256, data, strlen(data), g256, l256 - 1)); /* cut signature */
        CHECK(!saml_ec_verify_rsa(k, s256, data, strlen(data), NULL, 0));        /* no signature */
        CHECK(!saml_ec_verify_rsa(ec, s256, data, strlen(data), g256, l256));    /* EC keys only */
        saml_ec_free(k);
    }
    free(g256), free(g512), free(g1), free(go);
    /* Metadata that cannot be read, or names no certificate: refused. */
    struct err e2 = {0}, e3 = {0};
    k = NULL;
    CHECK(saml_ec_idp_keys_new("tests/services/test_saml_ec.c", &k, &e2) == ERR_INVALID && !k); /* not XML */
    CHECK(saml_ec_idp_keys_new("tests/fuzz/saml/artifact-response.xml", &k, &e3) == ERR_INVALID && !k);
done:
    X509_free(x);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    xmlSecErrorsDefaultCallbackEnableOutput(0);
    char *key = slurp("tests/fuzz/saml-keys/sp.key");
    struct err e = {0};
    if (!key || xmlSecInit() < 0 || xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0 ||
        saml_ec_new(key, "tests/fuzz/saml-keys/sp.crt", "tests/fuzz/saml-keys/idp-metadata.xml", &ec, &e)) {
        printf("FAIL setup: %s\n", e.msg);
        return 1;
    }
    free(key);
    RUN(seeds_open);
    RUN(broken_encryption_refused);
    RUN(signatures_checked);
    RUN(soap_signature_round_trip);
    RUN(hostile_xml);
    RUN(rsa_redirect_signatures);
    saml_ec_free(ec);
    xmlSecCryptoShutdown();
    xmlSecCryptoAppShutdown();
    xmlSecShutdown();
    return test_done();
}
