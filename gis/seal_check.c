/* The electronic seal (gis/seal.h): checking a sealed PDF, and the demo's test CA and seal. */
#include "gis/seal.h"

#include <errno.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gis/pdf.h"

/* ---- checking ---- */

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The CMS signature verified over the two ranges; fills the signer and timestamp fields of r. */
static void check_cms(const char *d, const long br[4], const struct gis_seal *seal, struct gis_seal_report *r)
{
    size_t hex_len = (size_t)(br[2] - br[1]) - 2;
    unsigned char *der = malloc(hex_len / 2 + 1);
    size_t n = 0;
    for (size_t i = 0; der && i + 1 < hex_len; i += 2) {
        int hi = hexval(d[br[1] + 1 + i]), lo = hexval(d[br[1] + 2 + i]);
        if (hi < 0 || lo < 0)
            break;
        der[n++] = (unsigned char)(hi << 4 | lo);
    }
    const unsigned char *p = der;
    CMS_ContentInfo *cms = der ? d2i_CMS_ContentInfo(NULL, &p, (long)n) : NULL;
    BIO *data = BIO_new(BIO_s_mem());
    if (data) {
        BIO_write(data, d + br[0], (int)br[1]);
        BIO_write(data, d + br[2], (int)br[3]);
    }
    STACK_OF(X509) *signers = NULL;
    if (!cms) {
        snprintf(r->problem, sizeof r->problem, "/Contents is not a CMS signature");
    } else if (CMS_verify(cms, NULL, NULL, data, NULL, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
        snprintf(r->problem, sizeof r->problem, "the signature does not match the document");
    } else {
        r->valid = r->whole_file;
        if (!r->whole_file)
            snprintf(r->problem, sizeof r->problem, "the signature does not cover the whole file");
    }
    ERR_clear_error();
    if (cms && (signers = CMS_get0_signers(cms)) && sk_X509_num(signers) > 0) {
        X509 *c = sk_X509_value(signers, 0);
        gis_seal_cn(X509_get_subject_name(c), r->signer, sizeof r->signer);
        gis_seal_cn(X509_get_issuer_name(c), r->issuer, sizeof r->issuer);
        r->own_seal = seal && gis_seal_cert_is(seal, c);
    }
    STACK_OF(CMS_SignerInfo) *sis = cms ? CMS_get0_SignerInfos(cms) : NULL;
    if (sis && sk_CMS_SignerInfo_num(sis) > 0)
        r->timestamped =
            CMS_unsigned_get_attr_by_NID(sk_CMS_SignerInfo_value(sis, 0), NID_id_smime_aa_timeStampToken, -1) >= 0;
    sk_X509_free(signers);
    BIO_free(data);
    CMS_ContentInfo_free(cms);
    free(der);
}

enum err_code gis_seal_check(const void *data, size_t len, const struct gis_seal *seal, struct gis_seal_report *r,
                             struct err *e)
{
    (void)e;
    memset(r, 0, sizeof *r);
    const char *d = data;
    const char *brp = gis_pdf_find_last(d, len, "/ByteRange");
    long br[4];
    char head[96] = ""; /* the data need not end in a NUL: parse a copy */
    if (brp)
        memcpy(head, brp, len - (size_t)(brp - d) < sizeof head - 1 ? len - (size_t)(brp - d) : sizeof head - 1);
    if (!brp || sscanf(head, "/ByteRange [%ld %ld %ld %ld]", &br[0], &br[1], &br[2], &br[3]) != 4) {
        snprintf(r->problem, sizeof r->problem, "the document carries no electronic seal");
        return ERR_OK;
    }
    /* the excluded range must be exactly the /Contents hex string */
    if (br[0] != 0 || br[1] <= 0 || br[2] <= br[1] + 2 || br[3] < 0 || (size_t)br[2] > len ||
        (size_t)br[3] > len - (size_t)br[2] || d[br[1]] != '<' || d[br[2] - 1] != '>') {
        snprintf(r->problem, sizeof r->problem, "the signature's byte range is malformed");
        return ERR_OK;
    }
    r->present = true;
    r->whole_file = (size_t)(br[2] + br[3]) == len;
    const char *m = memmem(d + br[2], len - (size_t)br[2], "/M (D:", 6);
    char mh[32] = "";
    if (m)
        memcpy(mh, m, len - (size_t)(m - d) < sizeof mh - 1 ? len - (size_t)(m - d) : sizeof mh - 1);
    int y, mo, dd, h, mi, s;
    if (m && sscanf(mh, "/M (D:%4d%2d%2d%2d%2d%2d", &y, &mo, &dd, &h, &mi, &s) == 6)
        snprintf(r->signed_at, sizeof r->signed_at, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, dd, h, mi, s);
    check_cms(d, br, seal, r);
    return ERR_OK;
}

/* ---- the demo seal ---- */

static X509 *cert_make(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const char *cn, const char *org, bool ca)
{
    X509 *x = X509_new();
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    if (!x || RAND_bytes(serial, sizeof serial) != 1)
        goto fail;
    serial[0] &= 0x7f;
    bn = BN_bin2bn(serial, sizeof serial, NULL);
    X509_NAME *name = X509_get_subject_name(x);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) || !X509_gmtime_adj(X509_getm_notAfter(x), 3L * 365 * 86400) ||
        !X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, (const unsigned char *)"PL", -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
        !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) || !X509_set_pubkey(x, key))
        goto fail;
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    const char *ext[][2] = {
        {"basicConstraints", ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
        {"keyUsage", ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation"},
        {"subjectKeyIdentifier", "hash"},
        {"authorityKeyIdentifier", "keyid:always"}};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        X509_EXTENSION *ex = X509V3_EXT_conf(NULL, &v3, ext[i][0], ext[i][1]);
        int ok = ex && X509_add_ext(x, ex, -1);
        X509_EXTENSION_free(ex);
        if (!ok)
            goto fail;
    }
    if (!X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()))
        goto fail;
    BN_free(bn);
    return x;
fail:
    BN_free(bn);
    X509_free(x);
    return NULL;
}

/* The demo CA in dir: read back when it exists, else made and written (test-ca.pem, test-ca.key). */
static enum err_code demo_ca(const char *dir, X509 **ca, EVP_PKEY **key, struct err *e)
{
    char cp[1024], kp[1024];
    snprintf(cp, sizeof cp, "%s/test-ca.pem", dir);
    snprintf(kp, sizeof kp, "%s/test-ca.key", dir);
    FILE *fc = fopen(cp, "r"), *fk = fopen(kp, "r");
    if (fc && fk) {
        *ca = PEM_read_X509(fc, NULL, NULL, NULL);
        *key = PEM_read_PrivateKey(fk, NULL, NULL, NULL);
    }
    if (fc)
        fclose(fc);
    if (fk)
        fclose(fk);
    if (*ca && *key)
        return ERR_OK;
    X509_free(*ca);
    EVP_PKEY_free(*key);
    *key = EVP_EC_gen("P-256");
    *ca = *key ? cert_make(*key, NULL, NULL, "odra TEST CA (nie do użytku)", "odra TEST", true) : NULL;
    if (!*ca)
        return err_set(e, ERR_INTERNAL, "making the demo CA failed");
    mode_t old = umask(077);
    fk = fopen(kp, "w");
    bool ok = fk && PEM_write_PrivateKey(fk, *key, NULL, NULL, 0, NULL, NULL);
    if (fk)
        fclose(fk);
    umask(old);
    fc = ok ? fopen(cp, "w") : NULL;
    ok = fc && PEM_write_X509(fc, *ca);
    if (fc)
        fclose(fc);
    return ok ? ERR_OK : err_set(e, ERR_IO, "writing %s: %s", cp, strerror(errno));
}

static enum err_code demo_write(const char *p12_path, const char *pass_path, EVP_PKEY *key, X509 *cert, X509 *ca,
                                struct err *e)
{
    unsigned char rnd[16];
    char pass[33];
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        return err_set(e, ERR_INTERNAL, "no random bytes");
    for (int i = 0; i < 16; i++)
        snprintf(pass + 2 * i, 3, "%02x", rnd[i]);
    STACK_OF(X509) *chain = sk_X509_new_null();
    if (chain)
        sk_X509_push(chain, ca);
    PKCS12 *p12 = chain ? PKCS12_create(pass, "pieczec", key, cert, chain, 0, 0, 0, 0, 0) : NULL;
    sk_X509_free(chain);
    mode_t old = umask(077);
    FILE *f = p12 ? fopen(p12_path, "wb") : NULL;
    bool ok = f && i2d_PKCS12_fp(f, p12);
    if (f && fclose(f))
        ok = false;
    FILE *g = ok ? fopen(pass_path, "w") : NULL;
    ok = g && fprintf(g, "%s\n", pass) > 0;
    if (g && fclose(g))
        ok = false;
    umask(old);
    PKCS12_free(p12);
    return ok ? ERR_OK : err_set(e, ERR_IO, "writing the demo seal %s: %s", p12_path, strerror(errno));
}

enum err_code gis_seal_demo(const char *dir, const char *name, const char *organ, struct err *e)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return err_set(e, ERR_IO, "%s: %s", dir, strerror(errno));
    char p12[1024], pass[1024];
    snprintf(p12, sizeof p12, "%s/%s.p12", dir, name);
    snprintf(pass, sizeof pass, "%s/%s.pass", dir, name);
    if (access(p12, F_OK) == 0 && access(pass, F_OK) == 0)
        return ERR_OK;
    X509 *ca = NULL, *cert = NULL;
    EVP_PKEY *cakey = NULL, *key = NULL;
    enum err_code rc = demo_ca(dir, &ca, &cakey, e);
    char cn[256];
    snprintf(cn, sizeof cn, "TEST pieczęć elektroniczna: %.200s", organ);
    if (!rc && (!(key = EVP_EC_gen("P-256")) || !(cert = cert_make(key, ca, cakey, cn, organ, false))))
        rc = err_set(e, ERR_INTERNAL, "making the demo seal certificate failed");
    if (!rc)
        rc = demo_write(p12, pass, key, cert, ca, e);
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(cakey);
    ERR_clear_error();
    return rc;
}
