/* The electronic seal (gis/seal.h): PAdES B-B/B-T signatures with OpenSSL's CMS, their check, and the
 * demo's test seal. */
#include "gis/seal.h"

#include <curl/curl.h>
#include <errno.h>
#include <glib.h>
#include <openssl/cms.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gis/pdf.h"
#include "util/cpu.h"

/* Bytes reserved for the CMS signature in /Contents (written as hex, twice as many characters, the rest
 * zeros): without a TSA what a trial signature at opening took and a margin (its signing time and
 * signature vary by a few bytes at most), else CONTENTS_BYTES if the trial failed; with a TSA, its token and
 * certificates too, which vary more. */
#define CONTENTS_BYTES        8192
#define CONTENTS_BYTES_MARGIN 512
#define CONTENTS_BYTES_TSA    20480

struct gis_seal {
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) * chain;
    char subject[256], issuer[256], key_type[32];
    char tsa_url[512];
    ENGINE *engine;        /* the pkcs11 engine holding the key, NULL for a PKCS#12 seal */
    size_t contents_bytes; /* bytes reserved for the signature (CONTENTS_BYTES*) */
    unsigned long id;      /* unique among the seals this process opened (kept CMS templates are found by it) */
};

/* The OpenSSL error queue's first entry as text, emptying the queue. */
static const char *ossl_reason(char *buf, size_t cap)
{
    unsigned long code = ERR_get_error();
    if (code)
        ERR_error_string_n(code, buf, cap);
    else
        snprintf(buf, cap, "(no detail)");
    ERR_clear_error();
    return buf;
}

static enum err_code ossl_err(struct err *e, enum err_code code, const char *what)
{
    char r[256];
    return err_set(e, code, "%s: %s", what, ossl_reason(r, sizeof r));
}

void gis_seal_cn(const struct X509_name_st *n, char *out, size_t cap)
{
    out[0] = 0;
    int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
    ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)) : NULL;
    unsigned char *u = NULL;
    int len = s ? ASN1_STRING_to_UTF8(&u, s) : -1;
    if (len >= 0)
        snprintf(out, cap, "%.*s", len, (const char *)u);
    OPENSSL_free(u);
}

/* ---- loading ---- */

static enum err_code read_password(const char *path, char *out, size_t cap, struct err *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return err_set(e, ERR_IO, "seal password file %s: %s", path, strerror(errno));
    if (!fgets(out, (int)cap, f))
        out[0] = 0;
    fclose(f);
    out[strcspn(out, "\r\n")] = 0;
    return ERR_OK;
}

static enum err_code seal_finish(struct gis_seal *s, const char *tsa_url, struct gis_seal **out, struct err *e);

/* path, relative to base_dir unless absolute or base_dir is NULL or empty, into out. */
static void seal_path(char *out, size_t cap, const char *base_dir, const char *path)
{
    bool rel = base_dir && *base_dir && path[0] != '/';
    snprintf(out, cap, "%s%s%s", rel ? base_dir : "", rel ? "/" : "", path);
}

enum err_code gis_seal_open(const char *base_dir, const char *p12_path, const char *password_file, const char *tsa_url,
                            struct gis_seal **out, struct err *e)
{
    *out = NULL;
    char pass[256], p12p[1024], passp[1024];
    seal_path(p12p, sizeof p12p, base_dir, p12_path);
    seal_path(passp, sizeof passp, base_dir, password_file);
    if (read_password(passp, pass, sizeof pass, e))
        return e->code;
    FILE *f = fopen(p12p, "rb");
    if (!f)
        return err_set(e, ERR_IO, "seal %s: %s", p12p, strerror(errno));
    PKCS12 *p12 = d2i_PKCS12_fp(f, NULL);
    fclose(f);
    if (!p12)
        return ossl_err(e, ERR_INVALID, "seal: not a PKCS#12 file");
    struct gis_seal *s = calloc(1, sizeof *s);
    if (!s) {
        PKCS12_free(p12);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    int ok = PKCS12_parse(p12, pass, &s->key, &s->cert, &s->chain);
    PKCS12_free(p12);
    OPENSSL_cleanse(pass, sizeof pass);
    if (!ok || !s->key || !s->cert) {
        gis_seal_free(s);
        return ossl_err(e, ERR_INVALID, "seal: wrong password or no key and certificate in the PKCS#12 file");
    }
    return seal_finish(s, tsa_url, out, e);
}

static enum err_code cms_make(const struct gis_seal *s, const unsigned char md[32], unsigned char **der, int *len,
                              struct err *e);

/* The bytes to reserve for s's signatures (no TSA): a trial signature's size and the margin, rounded up to
 * 64; CONTENTS_BYTES if the trial fails (its error is dropped: signing will report its own). */
static size_t contents_bytes_of(const struct gis_seal *s)
{
    static const unsigned char md[32];
    unsigned char *der = NULL;
    int len = 0;
    struct err e = {0};
    size_t n = cms_make(s, md, &der, &len, &e) || len <= 0 ? CONTENTS_BYTES
                                                           : ((size_t)len + CONTENTS_BYTES_MARGIN + 63) / 64 * 64;
    OPENSSL_free(der);
    ERR_clear_error();
    return n;
}

/* Checks that the key is the certificate's and fills in the names, the key type and the TSA; frees s on
 * failure. */
static enum err_code seal_finish(struct gis_seal *s, const char *tsa_url, struct gis_seal **out, struct err *e)
{
    if (X509_check_private_key(s->cert, s->key) != 1) {
        gis_seal_free(s);
        return ossl_err(e, ERR_INVALID, "seal: the key does not match the certificate");
    }
    gis_seal_cn(X509_get_subject_name(s->cert), s->subject, sizeof s->subject);
    gis_seal_cn(X509_get_issuer_name(s->cert), s->issuer, sizeof s->issuer);
    if (EVP_PKEY_is_a(s->key, "EC")) {
        char group[64] = "";
        size_t gl;
        EVP_PKEY_get_utf8_string_param(s->key, "group", group, sizeof group, &gl);
        snprintf(s->key_type, sizeof s->key_type, "%s", !strcmp(group, "prime256v1") ? "P-256" : group);
    } else {
        snprintf(s->key_type, sizeof s->key_type, "%s-%d", EVP_PKEY_get0_type_name(s->key), EVP_PKEY_get_bits(s->key));
    }
    snprintf(s->tsa_url, sizeof s->tsa_url, "%s", tsa_url ? tsa_url : "");
    static unsigned long opened;
    s->id = __atomic_add_fetch(&opened, 1, __ATOMIC_RELAXED);
    s->contents_bytes = s->tsa_url[0] ? CONTENTS_BYTES_TSA : contents_bytes_of(s);
    *out = s;
    return ERR_OK;
}

void gis_seal_free(struct gis_seal *s)
{
    if (!s)
        return;
    EVP_PKEY_free(s->key);
    X509_free(s->cert);
    if (s->engine) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        ENGINE_finish(s->engine);
        ENGINE_free(s->engine);
#pragma GCC diagnostic pop
    }
    sk_X509_pop_free(s->chain, X509_free);
    free(s);
}

/* The pkcs11 engine (libengine-pkcs11-openssl: libp11) with module loaded and the PIN set; NULL with e set.
 * Engines are deprecated in OpenSSL 3, and Debian 12 packages no PKCS#11 provider. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static ENGINE *pkcs11_engine(const char *module, const char *pin, struct err *e)
{
    ENGINE *en = ENGINE_by_id("pkcs11");
    if (!en) {
        ossl_err(e, ERR_UNAVAILABLE, "seal: no pkcs11 engine (Debian package libengine-pkcs11-openssl)");
        return NULL;
    }
    if (!ENGINE_ctrl_cmd_string(en, "MODULE_PATH", module, 0) || !ENGINE_ctrl_cmd_string(en, "PIN", pin, 0) ||
        !ENGINE_init(en)) {
        ENGINE_free(en);
        ossl_err(e, ERR_UNAVAILABLE, "seal: the PKCS#11 module does not load");
        return NULL;
    }
    return en;
}

enum err_code gis_seal_open_pkcs11(const char *base_dir, const char *module, const char *uri, const char *pin_file,
                                   const char *cert_file, const char *tsa_url, struct gis_seal **out, struct err *e)
{
    *out = NULL;
    char pin[256], pinp[1024], certp[1024];
    seal_path(pinp, sizeof pinp, base_dir, pin_file);
    seal_path(certp, sizeof certp, base_dir, cert_file);
    if (read_password(pinp, pin, sizeof pin, e))
        return e->code;
    struct gis_seal *s = calloc(1, sizeof *s);
    FILE *f = s ? fopen(certp, "r") : NULL;
    if (!f) {
        free(s);
        OPENSSL_cleanse(pin, sizeof pin);
        return s ? err_set(e, ERR_IO, "seal certificate %s: %s", certp, strerror(errno))
                 : err_set(e, ERR_INTERNAL, "out of memory");
    }
    s->cert = PEM_read_X509(f, NULL, NULL, NULL);
    s->chain = sk_X509_new_null();
    for (X509 *c; s->chain && (c = PEM_read_X509(f, NULL, NULL, NULL));)
        sk_X509_push(s->chain, c);
    ERR_clear_error(); /* the end of the file */
    fclose(f);
    s->engine = s->cert ? pkcs11_engine(module, pin, e) : NULL;
    OPENSSL_cleanse(pin, sizeof pin);
    if (s->engine)
        s->key = ENGINE_load_private_key(s->engine, uri, NULL, NULL);
    if (!s->key) {
        if (!e->code)
            ossl_err(e, s->cert ? ERR_INVALID : ERR_INVALID,
                     s->cert ? "seal: no such key on the PKCS#11 token (or a wrong PIN)"
                             : "seal: not a PEM certificate");
        gis_seal_free(s);
        return e->code;
    }
    return seal_finish(s, tsa_url, out, e);
}
#pragma GCC diagnostic pop

const char *gis_seal_subject(const struct gis_seal *s)
{
    return s->subject;
}

const char *gis_seal_issuer(const struct gis_seal *s)
{
    return s->issuer;
}

const char *gis_seal_key_type(const struct gis_seal *s)
{
    return s->key_type;
}

bool gis_seal_cert_is(const struct gis_seal *s, const struct x509_st *c)
{
    return c && X509_cmp(s->cert, c) == 0;
}

const char *gis_seal_level(const struct gis_seal *s)
{
    return s->tsa_url[0] ? "B-T" : "B-B";
}

/* ---- the CMS signature ---- */

static int der_cmp(const void *a, const void *b)
{
    const ASN1_STRING *x = *(ASN1_STRING *const *)a, *y = *(ASN1_STRING *const *)b;
    int lx = ASN1_STRING_length(x), ly = ASN1_STRING_length(y);
    int c = memcmp(ASN1_STRING_get0_data(x), ASN1_STRING_get0_data(y), (size_t)(lx < ly ? lx : ly));
    return c ? c : lx - ly;
}

/* Signs the signed attributes of si (their DER SET OF, elements in DER order) with key and stores the
 * signature in si. OpenSSL's own CMS_SignerInfo_sign would add a signing-time attribute, which PAdES
 * forbids. */
static enum err_code sign_attributes(CMS_SignerInfo *si, EVP_PKEY *key, struct err *e)
{
    int n = CMS_signed_get_attr_count(si);
    if (n <= 0 || n > 16)
        return err_set(e, ERR_INTERNAL, "seal: %d signed attributes", n);
    ASN1_STRING *enc[16];
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        unsigned char *d = NULL;
        int l = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &d);
        enc[i] = ASN1_STRING_new();
        if (l <= 0 || !enc[i])
            return err_set(e, ERR_INTERNAL, "seal: encoding a signed attribute");
        ASN1_STRING_set0(enc[i], d, l);
        total += (size_t)l;
    }
    qsort(enc, (size_t)n, sizeof enc[0], der_cmp);
    unsigned char *set = malloc(total + 6), *p = set;
    enum err_code rc = set ? ERR_OK : err_set(e, ERR_INTERNAL, "out of memory");
    if (set) {
        *p++ = 0x31; /* SET OF, definite length */
        if (total < 128) {
            *p++ = (unsigned char)total;
        } else {
            int nb = total < 256 ? 1 : total < 65536 ? 2 : 3;
            *p++ = (unsigned char)(0x80 | nb);
            for (int k = nb - 1; k >= 0; k--)
                *p++ = (unsigned char)(total >> (8 * k));
        }
        for (int i = 0; i < n; i++) {
            memcpy(p, ASN1_STRING_get0_data(enc[i]), (size_t)ASN1_STRING_length(enc[i]));
            p += ASN1_STRING_length(enc[i]);
        }
    }
    for (int i = 0; i < n; i++)
        ASN1_STRING_free(enc[i]);
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    unsigned char sig[1024];
    size_t slen = sizeof sig;
    if (!rc && (!mc || EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, key) != 1 ||
                EVP_DigestSign(mc, sig, &slen, set, (size_t)(p - set)) != 1 ||
                !ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)slen)))
        rc = ossl_err(e, ERR_INTERNAL, "seal: signing");
    EVP_MD_CTX_free(mc);
    free(set);
    return rc;
}

struct curl_sink {
    struct buf *b;
};

static size_t curl_write(char *p, size_t size, size_t n, void *user)
{
    struct buf *b = user;
    if (b->len + size * n > 1 << 20)
        return 0;
    buf_append(b, p, size * n);
    return b->failed ? 0 : size * n;
}

/* POSTs an RFC 3161 request to url and returns the answer in out. */
static enum err_code tsa_post(const char *url, const unsigned char *req, size_t len, struct buf *out, struct err *e)
{
    CURL *c = curl_easy_init();
    if (!c)
        return err_set(e, ERR_INTERNAL, "curl_easy_init failed");
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/timestamp-query");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    cpu_yield(); /* the TSA's round trip */
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (cc != CURLE_OK)
        return err_set(e, ERR_UNAVAILABLE, "timestamp authority %s: %s", url, curl_easy_strerror(cc));
    if (status != 200)
        return err_set(e, ERR_UNAVAILABLE, "timestamp authority %s answered HTTP %ld", url, status);
    return ERR_OK;
}

/* A timestamp token (DER) on the signature value of si from the TSA at url, attached to si as the
 * signature-time-stamp-token unsigned attribute (RFC 5126 / ETSI EN 319 122). */
static enum err_code timestamp(CMS_SignerInfo *si, const char *url, struct err *e)
{
    ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
    unsigned char h[32], nonce_b[8];
    SHA256(ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv), h);
    if (RAND_bytes(nonce_b, sizeof nonce_b) != 1)
        return ossl_err(e, ERR_INTERNAL, "seal: random nonce");
    nonce_b[0] &= 0x7f;
    TS_REQ *rq = TS_REQ_new();
    TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    ASN1_INTEGER *nonce = ASN1_INTEGER_new();
    BIGNUM *bn = BN_bin2bn(nonce_b, sizeof nonce_b, NULL);
    enum err_code rc = ERR_OK;
    if (!rq || !mi || !alg || !nonce || !bn || !BN_to_ASN1_INTEGER(bn, nonce) ||
        !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) || !TS_MSG_IMPRINT_set_algo(mi, alg) ||
        !TS_MSG_IMPRINT_set_msg(mi, h, sizeof h) || !TS_REQ_set_version(rq, 1) || !TS_REQ_set_msg_imprint(rq, mi) ||
        !TS_REQ_set_nonce(rq, nonce) || !TS_REQ_set_cert_req(rq, 1))
        rc = ossl_err(e, ERR_INTERNAL, "seal: timestamp request");
    BN_free(bn);
    ASN1_INTEGER_free(nonce);
    X509_ALGOR_free(alg);
    TS_MSG_IMPRINT_free(mi);
    unsigned char *der = NULL;
    int dlen = rc ? -1 : i2d_TS_REQ(rq, &der);
    struct buf ans = {0};
    if (!rc && dlen <= 0)
        rc = ossl_err(e, ERR_INTERNAL, "seal: encoding the timestamp request");
    if (!rc)
        rc = tsa_post(url, der, (size_t)dlen, &ans, e);
    OPENSSL_free(der);
    const unsigned char *p = (const unsigned char *)ans.data;
    TS_RESP *resp = !rc ? d2i_TS_RESP(NULL, &p, (long)ans.len) : NULL;
    if (!rc && !resp)
        rc = ossl_err(e, ERR_UNAVAILABLE, "timestamp authority: not a timestamp response");
    /* the answer must be to this request (version, imprint, nonce); the TSA's certificate is not chained to
     * a trust list here: a verifier does that with the token in the signature */
    TS_VERIFY_CTX *vc = resp ? TS_REQ_to_TS_VERIFY_CTX(rq, NULL) : NULL;
    if (vc)
        TS_VERIFY_CTX_set_flags(vc, TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE);
    if (!rc && (!vc || TS_RESP_verify_response(vc, resp) != 1))
        rc = ossl_err(e, ERR_UNAVAILABLE, "timestamp authority: the response does not answer the request");
    unsigned char *tok = NULL;
    int tlen = rc ? -1 : i2d_PKCS7(TS_RESP_get_token(resp), &tok);
    if (!rc &&
        (tlen <= 0 || !CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, tok, tlen)))
        rc = ossl_err(e, ERR_INTERNAL, "seal: attaching the timestamp");
    OPENSSL_free(tok);
    TS_VERIFY_CTX_free(vc);
    TS_RESP_free(resp);
    TS_REQ_free(rq);
    buf_free(&ans);
    return rc;
}

/* A SignedData for s without its message digest and signature: the signer (CAdES: signing-certificate-v2),
 * the content-type attribute and the chain. */
static CMS_ContentInfo *cms_template(const struct gis_seal *s, CMS_SignerInfo **si, struct err *e)
{
    unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    *si = cms ? CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), flags | CMS_CADES) : NULL;
    bool ok =
        *si && CMS_signed_add1_attr_by_NID(*si, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data), -1);
    for (int i = 0; ok && i < sk_X509_num(s->chain); i++)
        ok = CMS_add1_cert(cms, sk_X509_value(s->chain, i));
    if (!ok) {
        ossl_err(e, ERR_INTERNAL, "seal: building the CMS signature");
        CMS_ContentInfo_free(cms);
        return NULL;
    }
    return cms;
}

/* Per thread, the templates of the seals it signed with last (without a TSA, whose token would stay): building
 * one is most of a signature's cost in OpenSSL 3 (the signer's certificate identifiers and algorithm lookups),
 * and only the digest and the signature change from one document to the next. Found by seal id, so a seal
 * opened again never meets an old template; freed with the thread. */
#define CMS_KEPT 8
struct cms_kept {
    unsigned long seal;
    CMS_ContentInfo *cms;
    CMS_SignerInfo *si;
};
static pthread_key_t cms_key;
static pthread_once_t cms_once = PTHREAD_ONCE_INIT;

static void cms_kept_free(void *p)
{
    struct cms_kept *k = p;
    for (int i = 0; i < CMS_KEPT; i++)
        CMS_ContentInfo_free(k[i].cms);
    free(k);
}

static void cms_key_make(void)
{
    pthread_key_create(&cms_key, cms_kept_free);
}

/* This thread's template of s, built if it has none (the oldest one makes room); NULL with e set. */
static struct cms_kept *cms_kept_of(const struct gis_seal *s, struct err *e)
{
    pthread_once(&cms_once, cms_key_make);
    struct cms_kept *k = pthread_getspecific(cms_key);
    if (!k) {
        if (!(k = calloc(CMS_KEPT, sizeof *k)) || pthread_setspecific(cms_key, k)) {
            free(k);
            err_set(e, ERR_INTERNAL, "out of memory");
            return NULL;
        }
    }
    for (int i = 0; i < CMS_KEPT; i++)
        if (k[i].cms && k[i].seal == s->id)
            return &k[i];
    CMS_ContentInfo_free(k[CMS_KEPT - 1].cms);
    memmove(k + 1, k, sizeof *k * (CMS_KEPT - 1));
    k[0] = (struct cms_kept){.seal = s->id};
    if (!(k[0].cms = cms_template(s, &k[0].si, e)))
        return NULL;
    return &k[0];
}

/* Sets si's message-digest attribute to md, replacing the one there. */
static bool cms_digest_set(CMS_SignerInfo *si, const unsigned char md[32])
{
    int at = CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1);
    if (at >= 0)
        X509_ATTRIBUTE_free(CMS_signed_delete_attr(si, at));
    return CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, md, 32);
}

/* The detached CMS SignedData over the data whose SHA-256 is md, as DER in *der (OPENSSL_free). */
static enum err_code cms_make(const struct gis_seal *s, const unsigned char md[32], unsigned char **der, int *len,
                              struct err *e)
{
    *der = NULL;
    /* without a TSA this thread's kept template, with one a template of its own (the token would stay) */
    struct cms_kept own = {0}, *k = s->tsa_url[0] ? &own : cms_kept_of(s, e);
    if (k == &own)
        own.cms = cms_template(s, &own.si, e);
    if (!k || !k->cms)
        return e->code;
    enum err_code rc = cms_digest_set(k->si, md) ? ERR_OK : ossl_err(e, ERR_INTERNAL, "seal: the digest");
    if (!rc)
        rc = sign_attributes(k->si, s->key, e);
    if (!rc && s->tsa_url[0])
        rc = timestamp(k->si, s->tsa_url, e);
    if (!rc && (*len = i2d_CMS_ContentInfo(k->cms, der)) <= 0)
        rc = ossl_err(e, ERR_INTERNAL, "seal: encoding the CMS signature");
    if (rc || k == &own) { /* a kept one that failed is built afresh next time */
        CMS_ContentInfo_free(k->cms);
        k->cms = NULL;
    }
    return rc;
}

/* ---- the PDF ---- */

/* A PDF text string: UTF-16BE with its byte-order mark, as hex. */
static void pdf_text(struct buf *b, const char *s)
{
    glong n = 0;
    gunichar2 *u = g_utf8_to_utf16(s ? s : "", -1, NULL, &n, NULL);
    buf_puts(b, "<FEFF");
    for (glong i = 0; u && i < n; i++)
        buf_printf(b, "%04X", (unsigned)u[i]);
    buf_puts(b, ">");
    g_free(u);
}

/* The last page object of the page tree under pages. */
static int last_page(struct gis_pdf_update *u, int pages, struct err *e)
{
    for (int depth = 0; depth < 8; depth++) {
        char *d = gis_pdf_update_dict(u, pages, e);
        char *kids = d ? gis_pdf_dict_value(d, "/Kids") : NULL;
        bool is_tree = d && strstr(d, "/Type /Pages");
        free(d);
        if (!kids) {
            if (!e->code)
                err_set(e, ERR_UNPROCESSABLE, is_tree ? "the page tree has no /Kids" : "no page tree");
            return 0;
        }
        int last = 0;
        for (char *p = kids; (p = strchr(p, 'R'));) {
            char *q = p;
            while (q > kids && q[-1] != '[' && (q[-1] == ' ' || q[-1] == '\n' || (q[-1] >= '0' && q[-1] <= '9')))
                q--;
            int num, gen;
            if (sscanf(q, "%d %d R", &num, &gen) == 2)
                last = num;
            p++;
        }
        free(kids);
        if (last <= 0) {
            err_set(e, ERR_UNPROCESSABLE, "the page tree is empty");
            return 0;
        }
        char *kd = gis_pdf_update_dict(u, last, e);
        if (!kd)
            return 0;
        bool sub = strstr(kd, "/Type /Pages") != NULL;
        free(kd);
        if (!sub)
            return last;
        pages = last;
    }
    err_set(e, ERR_UNPROCESSABLE, "the page tree is too deep");
    return 0;
}

/* The offsets (from b->data) of the ByteRange placeholder and of the /Contents hex string's '<'. */
struct placeholders {
    size_t byterange, contents;
    size_t contents_bytes;
};

/* The last page's dictionary body with the widget added to its /Annots (malloc'd), or NULL with e set. */
static char *page_with_widget(const char *pg, int widget, struct err *e)
{
    char *annots = gis_pdf_dict_value(pg, "/Annots"), *rest = NULL, *r = NULL;
    if (annots && (annots[0] != '[' || annots[strlen(annots) - 1] != ']')) {
        err_set(e, ERR_UNPROCESSABLE, "the last page's /Annots is not an array");
    } else if (annots) {
        annots[strlen(annots) - 1] = 0;
        rest = gis_pdf_dict_without(pg, "/Annots");
        if (rest && asprintf(&r, " /Annots %s %d 0 R]%s", annots, widget, rest) < 0)
            r = NULL;
    } else if (asprintf(&r, " /Annots [%d 0 R]%s", widget, pg) < 0) {
        r = NULL;
    }
    if (!r && !e->code)
        err_set(e, ERR_INTERNAL, "out of memory");
    free(annots);
    free(rest);
    return r;
}

static enum err_code write_objects(struct gis_pdf_update *u, int page, const char *cat, const char *pg,
                                   const struct gis_seal_field *f, struct placeholders *ph, struct err *e)
{
    struct buf *b = u->b;
    int sig = gis_pdf_update_new(u), widget = gis_pdf_update_new(u), ap = gis_pdf_update_new(u);
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "D:%Y%m%d%H%M%SZ", &tm);
    char *page_body = page_with_widget(pg, widget, e);
    if (!page_body || gis_pdf_update_obj(u, sig, e)) {
        free(page_body);
        return e->code;
    }
    buf_puts(b, "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange ");
    ph->byterange = b->len;
    buf_printf(b, "[0 %010d %010d %010d] /Contents ", 0, 0, 0);
    ph->contents = b->len;
    char *zeros = buf_space(b, ph->contents_bytes * 2 + 2);
    if (zeros) {
        zeros[0] = '<';
        memset(zeros + 1, '0', ph->contents_bytes * 2);
        zeros[ph->contents_bytes * 2 + 1] = '>';
        buf_commit(b, ph->contents_bytes * 2 + 2);
    }
    buf_printf(b, " /M (%s) /Reason ", when);
    pdf_text(b, f->reason ? f->reason : "");
    buf_puts(b, " /Location ");
    pdf_text(b, f->location ? f->location : "");
    buf_puts(b, " >>\nendobj\n");
    /* five objects: gis_pdf_update_obj cannot run out of its sixteen places */
    gis_pdf_update_obj(u, widget, e);
    buf_printf(b,
               "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Pieczec elektroniczna) /V %d 0 R /F 132 "
               "/Rect [%.2f %.2f %.2f %.2f] /P %d 0 R /AP << /N %d 0 R >> >>\nendobj\n",
               sig, f->rect[0], f->rect[1], f->rect[2], f->rect[3], page, ap);
    /* the mark is drawn on the page: the widget's own appearance is empty */
    gis_pdf_update_obj(u, ap, e);
    buf_printf(b,
               "<< /Type /XObject /Subtype /Form /BBox [0 0 %.2f %.2f] /Resources << >> /Length 0 >>\nstream\n"
               "\nendstream\nendobj\n",
               f->rect[2] - f->rect[0], f->rect[3] - f->rect[1]);
    gis_pdf_update_obj(u, u->root, e);
    buf_printf(b, "<< /AcroForm << /Fields [%d 0 R] /SigFlags 3 >>%s>>\nendobj\n", widget, cat);
    gis_pdf_update_obj(u, page, e);
    buf_printf(b, "<<%s>>\nendobj\n", page_body);
    free(page_body);
    return e->code ? e->code : gis_pdf_update_end(u, e);
}

enum err_code gis_seal_sign(const struct gis_seal *s, struct buf *b, size_t start, const struct gis_seal_field *f,
                            struct err *e)
{
    size_t len0 = b->len;
    struct gis_pdf_update u;
    if (gis_pdf_update_begin(&u, b, start, e))
        return e->code;
    char *cat = gis_pdf_update_dict(&u, u.root, e), *pg = NULL;
    int pages = 0, page = 0;
    if (cat && gis_pdf_dict_has(cat, "/AcroForm"))
        err_set(e, ERR_UNPROCESSABLE, "the PDF already has a form; only documents without one are sealed");
    else if (cat && !gis_pdf_dict_ref(cat, "/Pages", &pages))
        err_set(e, ERR_UNPROCESSABLE, "the catalog has no /Pages");
    else if (cat && (page = last_page(&u, pages, e)) > 0)
        pg = gis_pdf_update_dict(&u, page, e);
    struct placeholders ph = {.contents_bytes = s->contents_bytes};
    enum err_code rc = pg ? write_objects(&u, page, cat, pg, f, &ph, e) : e->code;
    free(cat);
    free(pg);
    if (!rc && b->failed)
        rc = err_set(e, ERR_INTERNAL, "out of memory sealing the PDF");
    unsigned char *der = NULL;
    if (!rc) {
        size_t a1 = ph.contents - start, b1 = ph.contents + ph.contents_bytes * 2 + 2 - start;
        size_t total = b->len - start;
        char br[48];
        snprintf(br, sizeof br, "[0 %010zu %010zu %010zu]", a1, b1, total - b1);
        memcpy(b->data + ph.byterange, br, strlen(br));
        unsigned char md[32];
        EVP_MD_CTX *mc = EVP_MD_CTX_new();
        if (!mc || EVP_DigestInit_ex(mc, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(mc, b->data + start, a1) != 1 ||
            EVP_DigestUpdate(mc, b->data + start + b1, total - b1) != 1 || EVP_DigestFinal_ex(mc, md, NULL) != 1)
            rc = ossl_err(e, ERR_INTERNAL, "seal: digest");
        EVP_MD_CTX_free(mc);
        int dlen = 0;
        if (!rc)
            rc = cms_make(s, md, &der, &dlen, e);
        if (!rc && (size_t)dlen > ph.contents_bytes)
            rc = err_set(e, ERR_INTERNAL, "seal: the signature (%d bytes) does not fit its %zu-byte place", dlen,
                         ph.contents_bytes);
        for (int i = 0; !rc && i < dlen; i++) {
            static const char hex[] = "0123456789abcdef";
            b->data[ph.contents + 1 + 2 * i] = hex[der[i] >> 4];
            b->data[ph.contents + 2 + 2 * i] = hex[der[i] & 15];
        }
    }
    OPENSSL_free(der);
    if (rc) {
        b->len = len0;
        if (b->len)
            b->data[b->len] = 0;
    }
    return rc;
}
