/* ECDSA signatures and ECDH-ES decryption of SAML messages for login.gov.pl (services/saml_ec.h). */
#include "services/saml_ec.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "util/log.h"

#define NS_DS      "http://www.w3.org/2000/09/xmldsig#"
#define NS_DS11    "http://www.w3.org/2009/xmldsig11#"
#define NS_XENC    "http://www.w3.org/2001/04/xmlenc#"
#define NS_XENC11  "http://www.w3.org/2009/xmlenc11#"
#define NS_SAML    "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_SAMLP   "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_SOAP    "http://schemas.xmlsoap.org/soap/envelope/"
#define ALG_ECDHES NS_XENC11 "ECDH-ES"
#define ALG_KDF    NS_XENC11 "ConcatKDF"
#define ALG_SHA256 NS_XENC "sha256"
#define ALG_KW256  NS_XENC "kw-aes256"
#define ALG_GCM256 NS_XENC11 "aes256-gcm"
#define OID_P256   "urn:oid:1.2.840.10045.3.1.7"

#define EC_MAX_IDP_KEYS 8
#define EC_MAX_B64      (512 * 1024) /* the longest base64 text read from a message */
#define EC_MAX_KDF_HEX  512          /* the longest ConcatKDF parameter, in hex digits */
#define GCM_IV          12
#define GCM_TAG         16

struct saml_ec {
    EVP_PKEY *sp;                       /* the SP's P-256 key: ECDH and redirect signatures */
    xmlSecKeyPtr sp_sign;               /* the same with its certificate, for XML signatures */
    xmlSecKeyPtr idp[EC_MAX_IDP_KEYS];  /* the IdP's signing keys, from its metadata only */
    EVP_PKEY *idp_pub[EC_MAX_IDP_KEYS]; /* the same, for redirect signatures */
    int n_idp;
};

static enum err_code refuse(struct err *e, const char *why)
{
    log_warn("saml: log-in refused: %s", why);
    return err_set(e, ERR_FORBIDDEN, "log-in refused: %s", why);
}

/* ---- small XML helpers ---- */

static bool is_el(const xmlNode *n, const char *ns, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href && !strcmp((const char *)n->ns->href, ns) &&
           !strcmp((const char *)n->name, name);
}

/* The only child element ns:name of parent; NULL when there is none, and *many when there are several. */
static xmlNode *only_child(const xmlNode *parent, const char *ns, const char *name, bool *many)
{
    xmlNode *found = NULL;
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (is_el(c, ns, name)) {
            if (found && many)
                *many = true;
            if (!found)
                found = c;
        }
    return found;
}

static int count_children(const xmlNode *parent, const char *ns, const char *name)
{
    int n = 0;
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        n += is_el(c, ns, name);
    return n;
}

static xmlNode *first_element(const xmlNode *parent)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

static bool attr_is(const xmlNode *n, const char *name, const char *want)
{
    xmlChar *v = n ? xmlGetNoNsProp(n, (const xmlChar *)name) : NULL;
    bool ok = v && !strcmp((const char *)v, want);
    xmlFree(v);
    return ok;
}

/* The base64 text of n decoded (malloc'd, *len), at most max bytes; NULL when missing or malformed.
 * OpenSSL's decoder skips the line breaks and blanks that XML base64 carries. */
static unsigned char *node_b64(const xmlNode *n, size_t max, size_t *len)
{
    xmlChar *txt = n ? xmlNodeGetContent(n) : NULL;
    size_t tl = txt ? strlen((const char *)txt) : 0;
    unsigned char *out = NULL;
    if (tl && tl <= EC_MAX_B64 && tl / 4 * 3 <= max + 3 * 64) {
        out = malloc(tl / 4 * 3 + 3);
        EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
        int a = 0, b = 0;
        if (!out || !ctx || EVP_DecodeUpdate(ctx, out, &a, txt, (int)tl) < 0 || EVP_DecodeFinal(ctx, out + a, &b) < 0 ||
            a + b <= 0 || (size_t)(a + b) > max) {
            free(out);
            out = NULL;
        } else {
            *len = (size_t)(a + b);
        }
        EVP_ENCODE_CTX_free(ctx);
    }
    xmlFree(txt);
    return out;
}

/* ---- keys ---- */

bool saml_ec_key_is_ec(const char *key_pem)
{
    BIO *bio = BIO_new_mem_buf(key_pem, -1);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    bool ec = k && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC;
    EVP_PKEY_free(k);
    BIO_free(bio);
    return ec;
}

static bool is_p256(EVP_PKEY *k)
{
    char group[64] = "";
    size_t gl = 0;
    return k && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
           EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &gl) == 1 &&
           !strcmp(group, "prime256v1");
}

/* One IdP signing certificate (DER) into the key lists. */
static void idp_key_add(struct saml_ec *ec, const unsigned char *der, size_t len)
{
    if (ec->n_idp >= EC_MAX_IDP_KEYS)
        return;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    EVP_PKEY *pub = x ? X509_get_pubkey(x) : NULL;
    X509_free(x);
    xmlSecKeyPtr k =
        pub ? xmlSecCryptoAppKeyLoadMemory(der, (xmlSecSize)len, xmlSecKeyDataFormatCertDer, NULL, NULL, NULL) : NULL;
    if (!k) {
        EVP_PKEY_free(pub);
        log_warn("saml: a certificate in saml.idp_metadata cannot be read; ignored");
        return;
    }
    ec->idp[ec->n_idp] = k;
    ec->idp_pub[ec->n_idp++] = pub;
}

static void idp_keys_walk(struct saml_ec *ec, xmlNode *n, bool in_idp)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        bool idp = in_idp || !strcmp((const char *)n->name, "IDPSSODescriptor");
        if (idp && !strcmp((const char *)n->name, "KeyDescriptor") && attr_is(n, "use", "encryption"))
            continue;
        if (idp && is_el(n, NS_DS, "X509Certificate")) {
            size_t len = 0;
            unsigned char *der = node_b64(n, 64 * 1024, &len);
            if (der)
                idp_key_add(ec, der, len);
            free(der);
            continue;
        }
        idp_keys_walk(ec, n->children, idp);
    }
}

enum err_code saml_ec_new(const char *key_pem, const char *cert_path, const char *idp_metadata_path,
                          struct saml_ec **out, struct err *e)
{
    struct saml_ec *ec = calloc(1, sizeof *ec);
    if (!ec)
        return err_set(e, ERR_INTERNAL, "out of memory");
    BIO *bio = BIO_new_mem_buf(key_pem, -1);
    ec->sp = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    const char *why = NULL;
    if (!is_p256(ec->sp))
        why = "saml.sp_key is an EC key, but not on P-256 (prime256v1), the curve login.gov.pl uses";
    if (!why) {
        ec->sp_sign = xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)key_pem, (xmlSecSize)strlen(key_pem),
                                                   xmlSecKeyDataFormatPem, NULL, NULL, NULL);
        if (!ec->sp_sign || xmlSecCryptoAppKeyCertLoad(ec->sp_sign, cert_path, xmlSecKeyDataFormatPem) < 0)
            why = "xmlsec cannot load saml.sp_key with saml.sp_cert";
    }
    xmlDocPtr md = why ? NULL : xmlReadFile(idp_metadata_path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    if (!why && !md)
        why = "cannot parse saml.idp_metadata";
    if (md) {
        idp_keys_walk(ec, xmlDocGetRootElement(md), false);
        xmlFreeDoc(md);
        if (!ec->n_idp)
            why = "no signing certificate of the IdP in saml.idp_metadata";
    }
    if (why) {
        saml_ec_free(ec);
        return err_set(e, ERR_INVALID, "%s", why);
    }
    *out = ec;
    return ERR_OK;
}

enum err_code saml_ec_idp_keys_new(const char *idp_metadata_path, struct saml_ec **out, struct err *e)
{
    struct saml_ec *ec = calloc(1, sizeof *ec);
    if (!ec)
        return err_set(e, ERR_INTERNAL, "out of memory");
    xmlDocPtr md = xmlReadFile(idp_metadata_path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    if (md) {
        idp_keys_walk(ec, xmlDocGetRootElement(md), false);
        xmlFreeDoc(md);
    }
    if (!ec->n_idp) {
        saml_ec_free(ec);
        return err_set(e, ERR_INVALID, "%s",
                       md ? "no signing certificate of the IdP in saml.idp_metadata"
                          : "cannot parse saml.idp_metadata");
    }
    *out = ec;
    return ERR_OK;
}

void saml_ec_free(struct saml_ec *ec)
{
    if (!ec)
        return;
    EVP_PKEY_free(ec->sp);
    if (ec->sp_sign)
        xmlSecKeyDestroy(ec->sp_sign);
    for (int i = 0; i < ec->n_idp; i++) {
        xmlSecKeyDestroy(ec->idp[i]);
        EVP_PKEY_free(ec->idp_pub[i]);
    }
    free(ec);
}

/* ---- raw signatures (HTTP-Redirect binding) ---- */

int saml_ec_sign_raw(struct saml_ec *ec, const void *data, size_t len, unsigned char sig[64])
{
    unsigned char der[128];
    size_t dl = sizeof der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ec->sp) == 1 &&
             EVP_DigestSign(md, der, &dl, data, len) == 1;
    EVP_MD_CTX_free(md);
    const unsigned char *p = der;
    ECDSA_SIG *s = ok ? d2i_ECDSA_SIG(NULL, &p, (long)dl) : NULL;
    ok = s && BN_bn2binpad(ECDSA_SIG_get0_r(s), sig, 32) == 32 && BN_bn2binpad(ECDSA_SIG_get0_s(s), sig + 32, 32) == 32;
    ECDSA_SIG_free(s);
    return ok ? 0 : -1;
}

bool saml_ec_verify_raw(struct saml_ec *ec, const void *data, size_t len, const unsigned char *sig, size_t sig_len)
{
    unsigned char *der = NULL;
    int dl = -1;
    if (sig_len == 64) { /* r || s, as XML-DSig writes it; DER is taken as it is */
        ECDSA_SIG *s = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, 32, NULL), *sv = BN_bin2bn(sig + 32, 32, NULL);
        if (s && r && sv && ECDSA_SIG_set0(s, r, sv) == 1)
            r = sv = NULL, dl = i2d_ECDSA_SIG(s, &der);
        BN_free(r), BN_free(sv), ECDSA_SIG_free(s);
    }
    bool ok = false;
    for (int i = 0; i < ec->n_idp && !ok; i++) {
        if (EVP_PKEY_get_base_id(ec->idp_pub[i]) != EVP_PKEY_EC)
            continue;
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, ec->idp_pub[i]) == 1 &&
             EVP_DigestVerify(md, dl > 0 ? der : sig, dl > 0 ? (size_t)dl : sig_len, data, len) == 1;
        EVP_MD_CTX_free(md);
    }
    OPENSSL_free(der);
    return ok;
}

bool saml_ec_verify_rsa(struct saml_ec *ec, const char *sigalg, const void *data, size_t len, const unsigned char *sig,
                        size_t sig_len)
{
    static const struct {
        const char *uri;
        const EVP_MD *(*md)(void);
    } algs[] = {
        {"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", EVP_sha256},
        {"http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", EVP_sha384},
        {"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", EVP_sha512},
    };
    const EVP_MD *md = NULL;
    for (size_t i = 0; sigalg && i < sizeof algs / sizeof algs[0] && !md; i++)
        if (!strcmp(sigalg, algs[i].uri))
            md = algs[i].md();
    bool ok = false;
    for (int i = 0; md && sig && i < ec->n_idp && !ok; i++) {
        if (EVP_PKEY_get_base_id(ec->idp_pub[i]) != EVP_PKEY_RSA)
            continue;
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        ok = m && EVP_DigestVerifyInit(m, NULL, md, NULL, ec->idp_pub[i]) == 1 &&
             EVP_DigestVerify(m, sig, sig_len, data, len) == 1;
        EVP_MD_CTX_free(m);
    }
    return ok;
}

/* ---- XML signatures ---- */

/* Makes the ID attribute of el the document's ID for its value; false when another element claims the same
 * value (a wrapping attempt) or there is no ID. */
static bool register_id(xmlDocPtr doc, xmlNode *el, xmlChar **id_out)
{
    xmlAttrPtr attr = xmlHasNsProp(el, (const xmlChar *)"ID", NULL);
    xmlChar *id = attr ? xmlNodeListGetString(doc, attr->children, 1) : NULL;
    if (!id || !*id || strlen((const char *)id) > 256) {
        xmlFree(id);
        return false;
    }
    xmlAttrPtr had = xmlGetID(doc, id);
    if ((had && had != attr) || (!had && !xmlAddID(NULL, doc, id, attr))) {
        xmlFree(id);
        return false;
    }
    *id_out = id;
    return true;
}

/* Whether some other element of the tree under n carries ID value id. */
static bool id_elsewhere(const xmlNode *n, const xmlNode *el, const xmlChar *id)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (n != el) {
            xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)"ID");
            bool same = v && !xmlStrcmp(v, id);
            xmlFree(v);
            if (same)
                return true;
        }
        if (id_elsewhere(n->children, el, id))
            return true;
    }
    return false;
}

static void dsig_restrict(xmlSecDSigCtxPtr ctx)
{
    ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId);
    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformExclC14NId);
    xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha256Id);
    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NId);
    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformEcdsaSha256Id);
    xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha256Id);
}

/* Verifies the enveloped signature that el carries (a direct ds:Signature child) with the IdP's keys: one
 * reference, to el's own ID, which no other element shares. 1 verified, 0 unsigned, -1 refused. On
 * success the signature element is removed (Lasso gets the message without it). */
static int verify_element(struct saml_ec *ec, xmlNode *el)
{
    bool many = false;
    xmlNode *sig = only_child(el, NS_DS, "Signature", &many);
    if (!sig)
        return 0;
    xmlChar *id = NULL;
    if (many || !register_id(el->doc, el, &id) || id_elsewhere(xmlDocGetRootElement(el->doc), el, id)) {
        xmlFree(id);
        return -1;
    }
    char want[260];
    snprintf(want, sizeof want, "#%s", (const char *)id);
    xmlFree(id);
    int ok = -1;
    for (int i = 0; i < ec->n_idp && ok < 0; i++) {
        xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
        if (!ctx)
            break;
        dsig_restrict(ctx);
        ctx->signKey = xmlSecKeyDuplicate(ec->idp[i]);
        if (ctx->signKey && xmlSecDSigCtxVerify(ctx, sig) == 0 && ctx->status == xmlSecDSigStatusSucceeded &&
            xmlSecPtrListGetSize(&ctx->signedInfoReferences) == 1) {
            xmlSecDSigReferenceCtxPtr ref = xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0);
            if (ref && ref->status == xmlSecDSigStatusSucceeded && ref->uri && !strcmp((const char *)ref->uri, want))
                ok = 1;
        }
        xmlSecDSigCtxDestroy(ctx);
    }
    if (ok == 1) {
        xmlUnlinkNode(sig);
        xmlFreeNode(sig);
    }
    return ok;
}

enum err_code saml_ec_sign_soap(struct saml_ec *ec, const char *soap, char **out, struct err *e)
{
    xmlDocPtr doc = xmlReadMemory(soap, (int)strlen(soap), "soap.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNode *msg = is_el(root, NS_SOAP, "Envelope") ? first_element(only_child(root, NS_SOAP, "Body", NULL)) : NULL;
    xmlNode *issuer = msg ? only_child(msg, NS_SAML, "Issuer", NULL) : NULL;
    xmlChar *id = NULL;
    enum err_code rc = ERR_INTERNAL;
    if (issuer && register_id(doc, msg, &id)) {
        char uri[260];
        snprintf(uri, sizeof uri, "#%s", (const char *)id);
        xmlNode *sig = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId, xmlSecTransformEcdsaSha256Id,
                                                       NULL, (const xmlChar *)"ds");
        xmlNode *ref =
            sig ? xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, NULL, (const xmlChar *)uri, NULL)
                : NULL;
        xmlNode *ki = ref ? xmlSecTmplSignatureEnsureKeyInfo(sig, NULL) : NULL;
        xmlSecDSigCtxPtr ctx = NULL;
        if (ki && xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) &&
            xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) && xmlSecTmplKeyInfoAddX509Data(ki) &&
            xmlAddNextSibling(issuer, sig) && (ctx = xmlSecDSigCtxCreate(NULL)) != NULL) {
            ctx->signKey = xmlSecKeyDuplicate(ec->sp_sign);
            if (ctx->signKey && xmlSecDSigCtxSign(ctx, sig) == 0)
                rc = ERR_OK;
        } else if (sig && !sig->parent) {
            xmlFreeNode(sig);
        }
        if (ctx)
            xmlSecDSigCtxDestroy(ctx);
    }
    xmlFree(id);
    xmlChar *mem = NULL;
    int ml = 0;
    if (rc == ERR_OK)
        xmlDocDumpMemoryEnc(doc, &mem, &ml, "UTF-8");
    *out = mem ? strdup((const char *)mem) : NULL;
    xmlFree(mem);
    xmlFreeDoc(doc);
    if (!*out)
        return err_set(e, ERR_INTERNAL, "cannot sign the SOAP message with saml.sp_key");
    return ERR_OK;
}

/* ---- ECDH-ES, ConcatKDF, AES key wrap, AES-GCM ---- */

/* A ConcatKDFParams attribute (xmlenc 1.1 §5.4.1): hexBinary of a bit string whose first octet is the
 * number of padding bits in the last octet. Only whole octets occur (the first octet 00), which is then
 * dropped; the rest is appended to info. An absent attribute adds nothing; false when malformed. */
static bool kdf_param(const xmlNode *p, const char *name, unsigned char *info, size_t cap, size_t *len)
{
    xmlChar *v = xmlGetNoNsProp(p, (const xmlChar *)name);
    if (!v)
        return true;
    size_t hl = strlen((const char *)v);
    bool ok = hl >= 2 && hl % 2 == 0 && hl <= EC_MAX_KDF_HEX && *len + hl / 2 - 1 <= cap;
    for (size_t i = 0; ok && i < hl; i += 2) {
        char two[3] = {(char)v[i], (char)v[i + 1], 0};
        long b = OPENSSL_hexchar2int((unsigned char)two[0]) >= 0 && OPENSSL_hexchar2int((unsigned char)two[1]) >= 0
                     ? strtol(two, NULL, 16)
                     : -1;
        if (b < 0 || (i == 0 && b != 0))
            ok = false;
        else if (i)
            info[(*len)++] = (unsigned char)b;
    }
    xmlFree(v);
    return ok;
}

/* The originator's ephemeral public key: dsig11:ECKeyValue (P-256 NamedCurve, PublicKey an uncompressed
 * point), in ds:KeyValue or directly, or an X.509 certificate. The point is checked to be on the curve. */
static EVP_PKEY *originator_key(const xmlNode *oki)
{
    const xmlNode *kv = only_child(oki, NS_DS, "KeyValue", NULL);
    const xmlNode *eckv = only_child(kv ? kv : oki, NS_DS11, "ECKeyValue", NULL);
    EVP_PKEY *k = NULL;
    if (eckv) {
        const xmlNode *curve = only_child(eckv, NS_DS11, "NamedCurve", NULL);
        size_t pl = 0;
        unsigned char *pt = curve && attr_is(curve, "URI", OID_P256)
                                ? node_b64(only_child(eckv, NS_DS11, "PublicKey", NULL), 65, &pl)
                                : NULL;
        if (pt && pl == 65 && pt[0] == 4) {
            OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
                OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, pl),
                OSSL_PARAM_construct_end(),
            };
            EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
            if (!c || EVP_PKEY_fromdata_init(c) != 1 || EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
                k = NULL;
            EVP_PKEY_CTX_free(c);
        }
        free(pt);
    } else {
        const xmlNode *xd = only_child(oki, NS_DS, "X509Data", NULL);
        size_t dl = 0;
        unsigned char *der = node_b64(only_child(xd, NS_DS, "X509Certificate", NULL), 16 * 1024, &dl);
        const unsigned char *p = der;
        X509 *x = der ? d2i_X509(NULL, &p, (long)dl) : NULL;
        k = x ? X509_get_pubkey(x) : NULL;
        X509_free(x);
        free(der);
    }
    if (k && !is_p256(k)) {
        EVP_PKEY_free(k);
        return NULL;
    }
    EVP_PKEY_CTX *chk = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
    bool on_curve = chk && EVP_PKEY_public_check(chk) == 1;
    EVP_PKEY_CTX_free(chk);
    if (!on_curve) {
        EVP_PKEY_free(k);
        return NULL;
    }
    return k;
}

/* The key-encryption key of an AgreementMethod: ECDH between the SP's key and the originator's, then one
 * round of ConcatKDF with SHA-256 (NIST SP 800-56A: counter 00000001, Z, then the fixed info). */
static const char *agreement_kek(struct saml_ec *ec, const xmlNode *am, unsigned char kek[32])
{
    if (!attr_is(am, "Algorithm", ALG_ECDHES))
        return "the key agreement is not ECDH-ES";
    const xmlNode *kdm = only_child(am, NS_XENC11, "KeyDerivationMethod", NULL);
    const xmlNode *prm =
        kdm && attr_is(kdm, "Algorithm", ALG_KDF) ? only_child(kdm, NS_XENC11, "ConcatKDFParams", NULL) : NULL;
    if (!prm || !attr_is(only_child(prm, NS_DS, "DigestMethod", NULL), "Algorithm", ALG_SHA256))
        return "the key derivation is not ConcatKDF with SHA-256";
    unsigned char info[5 * EC_MAX_KDF_HEX / 2];
    size_t il = 0;
    static const char *const names[] = {"AlgorithmID", "PartyUInfo", "PartyVInfo", "SuppPubInfo", "SuppPrivInfo"};
    for (size_t i = 0; i < 5; i++)
        if (!kdf_param(prm, names[i], info, sizeof info, &il))
            return "a ConcatKDF parameter is malformed (hexBinary with a leading 00 octet expected)";
    EVP_PKEY *peer = originator_key(only_child(am, NS_XENC, "OriginatorKeyInfo", NULL));
    if (!peer)
        return "the originator's key is not a P-256 point on the curve";
    unsigned char z[66];
    size_t zl = sizeof z;
    EVP_PKEY_CTX *dc = EVP_PKEY_CTX_new(ec->sp, NULL);
    bool ok = dc && EVP_PKEY_derive_init(dc) == 1 && EVP_PKEY_derive_set_peer_ex(dc, peer, 1) == 1 &&
              EVP_PKEY_derive(dc, z, &zl) == 1 && zl == 32;
    EVP_PKEY_CTX_free(dc);
    EVP_PKEY_free(peer);
    static const unsigned char counter[4] = {0, 0, 0, 1};
    EVP_MD_CTX *md = ok ? EVP_MD_CTX_new() : NULL;
    unsigned int kl = 0;
    ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(md, counter, 4) == 1 &&
         EVP_DigestUpdate(md, z, zl) == 1 && EVP_DigestUpdate(md, info, il) == 1 &&
         EVP_DigestFinal_ex(md, kek, &kl) == 1 && kl == 32;
    EVP_MD_CTX_free(md);
    OPENSSL_cleanse(z, sizeof z);
    return ok ? NULL : "the ECDH key agreement failed";
}

/* The content key of an EncryptedKey: kw-aes256 (RFC 3394) under the agreed key. */
static const char *unwrap_key(struct saml_ec *ec, const xmlNode *ek, unsigned char cek[32])
{
    if (!attr_is(only_child(ek, NS_XENC, "EncryptionMethod", NULL), "Algorithm", ALG_KW256))
        return "the content key is not wrapped with kw-aes256";
    const xmlNode *am = only_child(only_child(ek, NS_DS, "KeyInfo", NULL), NS_XENC, "AgreementMethod", NULL);
    if (!am)
        return "the EncryptedKey has no AgreementMethod (ECDH-ES)";
    unsigned char kek[32];
    const char *why = agreement_kek(ec, am, kek);
    if (why)
        return why;
    size_t wl = 0;
    unsigned char *wrapped =
        node_b64(only_child(only_child(ek, NS_XENC, "CipherData", NULL), NS_XENC, "CipherValue", NULL), 40, &wl);
    unsigned char key[48];
    int l1 = 0, l2 = 0;
    EVP_CIPHER_CTX *c = wrapped && wl == 40 ? EVP_CIPHER_CTX_new() : NULL;
    if (c)
        EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    bool ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_wrap(), NULL, kek, NULL) == 1 &&
              EVP_DecryptUpdate(c, key, &l1, wrapped, (int)wl) == 1 && EVP_DecryptFinal_ex(c, key + l1, &l2) == 1 &&
              l1 + l2 == 32;
    EVP_CIPHER_CTX_free(c);
    free(wrapped);
    OPENSSL_cleanse(kek, sizeof kek);
    if (ok)
        memcpy(cek, key, 32);
    OPENSSL_cleanse(key, sizeof key);
    return ok ? NULL : "the content key does not unwrap (not encrypted for this service provider?)";
}

/* AES-256-GCM: the 12-byte IV before, the 16-byte tag after the ciphertext. The plaintext (malloc'd). */
static unsigned char *gcm_open(const unsigned char cek[32], const unsigned char *in, size_t n, size_t *out_len)
{
    if (n < GCM_IV + GCM_TAG + 1 || n > EC_MAX_B64)
        return NULL;
    size_t cl = n - GCM_IV - GCM_TAG;
    unsigned char *out = malloc(cl + 1);
    int l1 = 0, l2 = 0;
    EVP_CIPHER_CTX *c = out ? EVP_CIPHER_CTX_new() : NULL;
    bool ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, GCM_IV, NULL) == 1 &&
              EVP_DecryptInit_ex(c, NULL, NULL, cek, in) == 1 &&
              EVP_DecryptUpdate(c, out, &l1, in + GCM_IV, (int)cl) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG, (void *)(in + n - GCM_TAG)) == 1 &&
              EVP_DecryptFinal_ex(c, out + l1, &l2) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        free(out);
        return NULL;
    }
    *out_len = (size_t)(l1 + l2);
    out[*out_len] = 0;
    return out;
}

/* Replaces the EncryptedAssertion ea by the saml:Assertion it holds; NULL or the reason it cannot. */
static const char *decrypt_assertion(struct saml_ec *ec, xmlNode *ea, xmlNode **assertion)
{
    bool many = false;
    xmlNode *ed = only_child(ea, NS_XENC, "EncryptedData", &many);
    if (!ed || many)
        return "the EncryptedAssertion must hold one EncryptedData";
    if (!attr_is(only_child(ed, NS_XENC, "EncryptionMethod", NULL), "Algorithm", ALG_GCM256))
        return "the assertion is not encrypted with AES-256-GCM";
    /* The EncryptedKey in the EncryptedData's KeyInfo, or beside it in the EncryptedAssertion: one in all. */
    xmlNode *eks[2] = {only_child(only_child(ed, NS_DS, "KeyInfo", NULL), NS_XENC, "EncryptedKey", &many),
                       only_child(ea, NS_XENC, "EncryptedKey", &many)};
    if (many || !eks[0] == !eks[1])
        return "the EncryptedAssertion must hold one EncryptedKey";
    unsigned char cek[32];
    const char *why = unwrap_key(ec, eks[0] ? eks[0] : eks[1], cek);
    if (why)
        return why;
    size_t n = 0, pl = 0;
    unsigned char *ct =
        node_b64(only_child(only_child(ed, NS_XENC, "CipherData", NULL), NS_XENC, "CipherValue", NULL), EC_MAX_B64, &n);
    unsigned char *plain = ct ? gcm_open(cek, ct, n, &pl) : NULL;
    OPENSSL_cleanse(cek, sizeof cek);
    free(ct);
    if (!plain)
        return "the encrypted assertion does not decrypt (AES-GCM tag or length)";
    xmlNodePtr list = NULL;
    xmlParserErrors pe = xmlParseInNodeContext(ea, (const char *)plain, (int)pl,
                                               XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING, &list);
    free(plain);
    xmlNode *as = NULL;
    bool bad = pe != XML_ERR_OK;
    for (xmlNode *c = list; c && !bad; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && !as && is_el(c, NS_SAML, "Assertion"))
            as = c;
        else if (c->type != XML_TEXT_NODE || !xmlIsBlankNode(c))
            bad = true;
    }
    if (bad || !as) {
        xmlFreeNodeList(list);
        return "the decrypted content is not one saml:Assertion";
    }
    if (as == list)
        list = as->next;
    xmlUnlinkNode(as);
    xmlFreeNodeList(list);
    xmlReplaceNode(ea, as);
    xmlFreeNode(ea);
    *assertion = as;
    return NULL;
}

/* The Response: signature when present, the one EncryptedAssertion decrypted and its signature required. */
static enum err_code open_response(struct saml_ec *ec, xmlNode *resp, struct saml_ec_result *res, struct err *e)
{
    if (verify_element(ec, resp) < 0)
        return refuse(e, "the response's signature does not verify with the identity provider's key");
    int plain = count_children(resp, NS_SAML, "Assertion"), enc = count_children(resp, NS_SAML, "EncryptedAssertion");
    if (plain)
        return refuse(e, "the assertion is not encrypted");
    if (enc > 1)
        return refuse(e, "the response must carry exactly one assertion");
    if (!enc)
        return ERR_OK; /* no assertion: the status says why (acs_verify) */
    xmlNode *as = NULL;
    const char *why = decrypt_assertion(ec, only_child(resp, NS_SAML, "EncryptedAssertion", NULL), &as);
    if (why)
        return refuse(e, why);
    res->encrypted = true;
    int v = verify_element(ec, as);
    if (v == 0)
        return refuse(e, "the assertion is not signed");
    if (v < 0)
        return refuse(e, "the assertion's signature does not verify with the identity provider's key");
    res->assertion_checked = true;
    return ERR_OK;
}

enum err_code saml_ec_open(struct saml_ec *ec, const char *xml, size_t len, char **out, size_t *out_len,
                           struct saml_ec_result *res, struct err *e)
{
    memset(res, 0, sizeof *res);
    *out = NULL;
    if (len > EC_MAX_B64 * 2)
        return err_set(e, ERR_TOO_LARGE, "the SAML message is too large");
    xmlDocPtr doc =
        xmlReadMemory(xml, (int)len, "saml.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc || doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        return err_set(e, ERR_INVALID, "the SAML message is not well-formed XML without a DTD");
    }
    xmlNode *root = xmlDocGetRootElement(doc), *msg = root;
    enum err_code rc = ERR_OK;
    if (is_el(root, NS_SOAP, "Envelope")) {
        msg = first_element(only_child(root, NS_SOAP, "Body", NULL));
        if (is_el(msg, NS_SAMLP, "ArtifactResponse")) {
            int v = verify_element(ec, msg);
            if (v <= 0)
                rc = refuse(e, v ? "the ArtifactResponse's signature does not verify with the identity provider's key"
                                 : "the ArtifactResponse is not signed");
            else if (count_children(msg, NS_SAMLP, "Response") > 1)
                rc = refuse(e, "the ArtifactResponse carries more than one Response");
            else if (only_child(msg, NS_SAMLP, "Response", NULL))
                rc = open_response(ec, only_child(msg, NS_SAMLP, "Response", NULL), res, e);
        } else if (is_el(msg, NS_SAMLP, "LogoutResponse")) {
            if (verify_element(ec, msg) < 0)
                rc = refuse(e, "the LogoutResponse's signature does not verify with the identity provider's key");
        } else {
            rc = refuse(e, "the SOAP answer carries no ArtifactResponse or LogoutResponse");
        }
    } else if (is_el(root, NS_SAMLP, "Response")) {
        rc = open_response(ec, root, res, e);
    } else {
        rc = refuse(e, "the message is not a samlp:Response");
    }
    xmlChar *mem = NULL;
    int ml = 0;
    if (rc == ERR_OK) {
        xmlDocDumpMemoryEnc(doc, &mem, &ml, "UTF-8");
        *out = mem ? malloc((size_t)ml + 1) : NULL;
        if (*out) {
            memcpy(*out, mem, (size_t)ml + 1);
            *out_len = (size_t)ml;
        } else {
            rc = err_set(e, ERR_INTERNAL, "out of memory");
        }
    }
    xmlFree(mem);
    xmlFreeDoc(doc);
    return rc;
}
