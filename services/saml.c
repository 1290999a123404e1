/* The SAML 2.0 service provider (docs/saml.md). Lasso does the protocol: building and signing the
 * AuthnRequest, the ArtifactResolve and the LogoutRequest, parsing responses, checking the signatures of
 * messages and decrypting EncryptedAssertion. On top of it this file enforces what Lasso leaves to the
 * SP: the assertion itself must carry a valid signature of the IdP, its conditions (time window,
 * audience) and its bearer subject confirmation must hold, it must answer an AuthnRequest this server
 * sent (InResponseTo, with the same RelayState), and its ID is consumed once (replay cache).
 *
 * With an EC SP key (login.gov.pl's P-256) Lasso neither signs nor checks signatures and never sees an
 * EncryptedAssertion: services/saml_ec.c signs what goes out (ECDSA), and checks the IdP's signatures and
 * decrypts (ECDH-ES) what comes in before Lasso parses it; the protocol checks here are the same for both.
 *
 * Lasso's objects are GObjects shared through one LassoServer: every Lasso call runs under saml_lock.
 * The lock is dropped around the SOAP calls to the IdP, which use no Lasso object. */
#include "services/saml.h"

#include <curl/curl.h>
#include <lasso/lasso.h>
#include <lasso/utils.h>
#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_audience_restriction.h>
#include <lasso/xml/saml-2.0/saml2_authn_context.h>
#include <lasso/xml/saml-2.0/saml2_authn_statement.h>
#include <lasso/xml/saml-2.0/saml2_conditions.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation_data.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_extensions.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <lasso/xml/saml-2.0/samlp2_requested_authn_context.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <lasso/saml-2.0/saml2_helper.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "services/auth.h"
#include "services/saml_ec.h"
#include "services/server.h"
#include "util/cpu.h"
#include "util/log.h"

#define SAML_NS_ARTIFACT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"
#define SAML_NS_POST     "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define SAML_NS_REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
#define SAML_NS_SOAP     "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
#define SAML_BEARER      "urn:oasis:names:tc:SAML:2.0:cm:bearer"

/* Limits on what a client may send: a SAMLResponse of WK is a few kB; these leave ample room. */
#define SAML_MAX_MSG_B64   (512 * 1024) /* base64 SAMLResponse / SOAP answer */
#define SAML_MAX_ID        128          /* longest assertion or request ID kept */
#define SAML_PENDING_MAX   1024         /* AuthnRequests awaiting their answer */
#define SAML_PENDING_TTL_S 900          /* how long a user may take at the IdP */
#define SAML_LOGINS_MAX    1024         /* SAML sessions kept for single logout */
#define SAML_LOGIN_TTL_S   (12 * 3600)
#define SAML_DUMP_MAX      (64 * 1024)

/* An AuthnRequest sent and not yet answered. */
struct saml_pending {
    char id[SAML_MAX_ID];
    char relay[48];
    char return_to[256];
    time_t expires; /* 0: free */
};

/* A consumed assertion ID, kept until the assertion could no longer be accepted anyway. */
struct saml_seen {
    char id[SAML_MAX_ID];
    time_t expires; /* 0: free */
};

/* A log-in's SAML session (Lasso's session dump), for single logout, keyed by the odra session it made
 * (the SHA-256 of its token, as the identity store keeps it). */
struct saml_login_rec {
    unsigned char session[32];
    char *session_dump;
    time_t expires; /* 0: free */
};

static pthread_mutex_t saml_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int state; /* 0 not tried, 1 ready, -1 failed (logged) */
    LassoServer *server;
    struct saml_ec *ec; /* the SP key is an EC key (login.gov.pl): saml_ec.c signs, checks and decrypts */
    /* with an RSA key: the IdP's signing keys, for the HTTP-Redirect signatures odra checks itself (Lasso 2.8.1
     * leaks the decoded signature of every query it checks); NULL when the metadata names none */
    struct saml_ec *rsa_idp;
    char *idp_id;
    char *metadata; /* the SP metadata XML served at /auth/saml/metadata */
    char acs_url[512], slo_url[512];
    struct saml_pending pending[SAML_PENDING_MAX];
    struct saml_seen *seen;
    int n_seen;
    struct saml_login_rec logins[SAML_LOGINS_MAX];
} S;

/* ---- small helpers ---- */

static char *read_file(const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    fclose(f);
    if (!buf || n > max) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

static void random_token(char *out, size_t cap)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[32];
    size_t n = cap - 1 < sizeof raw ? cap - 1 : sizeof raw;
    if (getrandom(raw, n, 0) != (ssize_t)n)
        abort(); /* no randomness: nothing about log-in can be trusted */
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[raw[i] & 63];
    out[n] = 0;
}

/* XML-escapes s for an attribute value or text. */
static void buf_xml(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        default: buf_append(b, s, 1);
        }
    }
}

/* The base64 body of a PEM certificate, without the armour lines and line breaks. */
static void buf_pem_body(struct buf *b, const char *pem)
{
    const char *p = strstr(pem, "-----BEGIN CERTIFICATE-----");
    if (!p)
        return;
    p = strchr(p, '\n');
    const char *end = p ? strstr(p, "-----END CERTIFICATE-----") : NULL;
    if (!end)
        return;
    for (; p < end; p++)
        if (*p != '\n' && *p != '\r' && *p != ' ')
            buf_append(b, p, 1);
}

/* Percent-encoding as application/x-www-form-urlencoded writes it (the form HTML and Python use). */
static void buf_form_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '_' || *p == '.' || *p == '~') {
            buf_append(b, (const char *)p, 1);
        } else if (*p == ' ') {
            buf_puts(b, "+");
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(b, e, 3);
        }
    }
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The value of name in an application/x-www-form-urlencoded body, decoded into the arena; NULL when absent
 * or malformed (a bad %-escape or a NUL). */
static char *form_value(struct arena *a, const char *body, size_t len, const char *name)
{
    size_t nl = strlen(name);
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *fe = amp ? amp : end;
        if ((size_t)(fe - p) > nl && !memcmp(p, name, nl) && p[nl] == '=') {
            const char *v = p + nl + 1;
            char *out = arena_alloc(a, (size_t)(fe - v) + 1), *o = out;
            if (!out)
                return NULL;
            for (; v < fe; v++) {
                if (*v == '+') {
                    *o++ = ' ';
                } else if (*v == '%') {
                    if (fe - v < 3)
                        return NULL;
                    int h = hexval(v[1]), l = hexval(v[2]);
                    if (h < 0 || l < 0 || (h == 0 && l == 0))
                        return NULL;
                    *o++ = (char)(h * 16 + l);
                    v += 2;
                } else {
                    *o++ = *v;
                }
            }
            *o = 0;
            return out;
        }
        p = fe + 1;
    }
    return NULL;
}

/* The value of cookie name in the Cookie header, in the arena, or NULL. */
static char *cookie_value(struct http_req *req, const char *name)
{
    const char *h = http_header(req, "Cookie");
    size_t nl = strlen(name);
    while (h && *h) {
        while (*h == ' ' || *h == ';')
            h++;
        const char *semi = strchr(h, ';');
        size_t len = semi ? (size_t)(semi - h) : strlen(h);
        if (len > nl && !memcmp(h, name, nl) && h[nl] == '=')
            return arena_strndup(req->arena, h + nl + 1, len - nl - 1);
        h = semi;
    }
    return NULL;
}

/* Strict base64 (RFC 4648 alphabet, whitespace allowed, padding checked) into a NUL-terminated arena
 * buffer; NULL when malformed. */
static char *b64_decode(struct arena *a, const char *in, size_t *out_len)
{
    size_t n = strlen(in);
    unsigned char *out = arena_alloc(a, n / 4 * 3 + 4), *o = out;
    if (!out)
        return NULL;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (const char *p = in; *p; p++) {
        int c = (unsigned char)*p, v;
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad)
            return NULL; /* data after padding */
        v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+'             ? 62
            : c == '/'             ? 63
                                   : -1;
        if (v < 0)
            return NULL;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (unsigned char)(acc >> bits);
        }
    }
    if (pad > 2 || bits >= 6 || (o == out))
        return NULL;
    *o = 0;
    *out_len = (size_t)(o - out);
    return (char *)out;
}

/* Refuses what must never reach the SAML parser: not well-formed XML, a DTD (entity declarations: the
 * billion laughs and external entities), and processing that would need the network. */
static enum err_code xml_vet(const char *xml, size_t len, struct err *e)
{
    xmlDocPtr doc =
        xmlReadMemory(xml, (int)len, "saml.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return err_param(e, "SAMLResponse", "SAMLResponse is not well-formed XML");
    bool dtd = doc->intSubset != NULL || doc->extSubset != NULL;
    xmlFreeDoc(doc);
    if (dtd)
        return err_param(e, "SAMLResponse", "SAMLResponse has a document type declaration; SAML messages have none");
    return ERR_OK;
}

/* ---- the SOAP back channel (artifact resolution, logout) ---- */

struct soap_answer {
    char *data;
    size_t len, cap;
    bool too_large;
};

static size_t soap_write(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct soap_answer *a = user;
    size_t n = size * nmemb;
    if (a->len + n > SAML_MAX_MSG_B64) {
        a->too_large = true;
        return 0;
    }
    if (a->len + n + 1 > a->cap) {
        size_t cap = (a->len + n + 1) * 2;
        char *d = realloc(a->data, cap);
        if (!d)
            return 0;
        a->data = d, a->cap = cap;
    }
    memcpy(a->data + a->len, ptr, n);
    a->len += n;
    a->data[a->len] = 0;
    return n;
}

/* POSTs a SOAP envelope to url; the answer (malloc'd, NUL-terminated) in *out. Runs without saml_lock. */
static enum err_code soap_post(const struct config_saml *cfg, const char *url, const char *body, char **out,
                               struct err *e)
{
    struct soap_answer a = {0};
    CURL *c = curl_easy_init();
    if (!c)
        return err_set(e, ERR_INTERNAL, "SOAP: no curl handle");
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: text/xml; charset=utf-8");
    h = curl_slist_append(h, "SOAPAction: \"\"");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->soap_timeout_s);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, soap_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    /* Mutual TLS with the SP's key, as WK's SOAP services expect; harmless over plain http (tests). */
    curl_easy_setopt(c, CURLOPT_SSLCERT, cfg->sp_cert);
    curl_easy_setopt(c, CURLOPT_SSLKEY, cfg->sp_key);
    if (cfg->soap_ca[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, cfg->soap_ca);
    cpu_yield(); /* the identity provider's round trip */
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK || status != 200 || !a.data) {
        log_warn("saml: SOAP call to %s failed: %s, HTTP %ld%s", url, curl_easy_strerror(rc), status,
                 a.too_large ? ", answer too large" : "");
        free(a.data);
        return err_set(e, ERR_UNAVAILABLE, "the identity provider did not answer the back-channel request");
    }
    *out = a.data;
    return ERR_OK;
}

/* ---- start-up ---- */

/* The SP metadata. With an EC key the encryption KeyDescriptor names what the SP decrypts (ECDH-ES key
 * agreement, kw-aes256, AES-256-GCM), so that an IdP choosing among algorithms picks those. */
static void sp_metadata_build(struct buf *b, const struct config_saml *cfg, const char *cert_pem, const char *acs,
                              const char *slo, bool ec)
{
    bool artifact_first = strcmp(cfg->binding, "post") != 0;
    buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor "
                "xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" "
                "entityID=\"");
    buf_xml(b, cfg->sp_entity_id);
    buf_puts(b, "\">\n <md:SPSSODescriptor AuthnRequestsSigned=\"true\" WantAssertionsSigned=\"true\" "
                "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n");
    static const char *const uses[] = {"signing", "encryption"};
    for (int i = 0; i < 2; i++) {
        buf_printf(b, "  <md:KeyDescriptor use=\"%s\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>", uses[i]);
        buf_pem_body(b, cert_pem);
        buf_puts(b, "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>");
        if (ec && i == 1)
            buf_puts(b, "<md:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes256-gcm\"/>"
                        "<md:EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#kw-aes256\"/>"
                        "<md:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#ECDH-ES\"/>");
        buf_puts(b, "</md:KeyDescriptor>\n");
    }
    buf_puts(b, "  <md:SingleLogoutService Binding=\"" SAML_NS_REDIRECT "\" Location=\"");
    buf_xml(b, slo);
    buf_puts(b, "\"/>\n  <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>\n");
    for (int i = 0; i < 2; i++) {
        bool art = (i == 0) == artifact_first;
        buf_printf(b, "  <md:AssertionConsumerService Binding=\"%s\" Location=\"",
                   art ? SAML_NS_ARTIFACT : SAML_NS_POST);
        buf_xml(b, acs);
        buf_printf(b, "\" index=\"%d\"%s/>\n", i, i == 0 ? " isDefault=\"true\"" : "");
    }
    buf_puts(b, " </md:SPSSODescriptor>\n</md:EntityDescriptor>\n");
}

static void lasso_log_quiet(const char *domain, GLogLevelFlags level, const char *message, gpointer user)
{
    (void)domain, (void)user;
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        log_warn("lasso: %s", message);
}

/* Loads the SP once, under saml_lock. ERR_NOT_FOUND when [saml] is off, ERR_UNAVAILABLE when it failed to
 * load (the reason is logged once). */
static enum err_code saml_ready(struct http_req *req, struct err *e)
{
    const struct config *c = svc_server_config(req->server);
    const struct config_saml *cfg = &c->saml;
    if (!cfg->sp_entity_id[0])
        return err_set(e, ERR_NOT_FOUND, "SAML log-in is not configured on this server ([saml] sp_entity_id)");
    if (S.state == 1)
        return ERR_OK;
    if (S.state == -1)
        return err_set(e, ERR_UNAVAILABLE,
                       "SAML log-in is unavailable: the service provider failed to load (see the log)");
    S.state = -1;
    char *key = read_file(cfg->sp_key, 64 * 1024), *cert = read_file(cfg->sp_cert, 64 * 1024);
    struct buf md = {0};
    const char *why = NULL;
    if (!key)
        why = "cannot read saml.sp_key";
    else if (!cert || !strstr(cert, "-----BEGIN CERTIFICATE-----"))
        why = "cannot read a PEM certificate from saml.sp_cert";
    if (!why) {
        g_log_set_handler("Lasso", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION, lasso_log_quiet, NULL);
        if (lasso_init() != 0)
            why = "lasso_init failed";
        else if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            why = "curl_global_init failed";
    }
    if (!why) {
        snprintf(S.acs_url, sizeof S.acs_url, "%s/auth/saml/acs", c->public_url);
        snprintf(S.slo_url, sizeof S.slo_url, "%s/auth/saml/slo", c->public_url);
        bool ec = saml_ec_key_is_ec(key);
        sp_metadata_build(&md, cfg, cert, S.acs_url, S.slo_url, ec);
        /* The certificate by its path: Lasso hands it to xmlsec as a file name first, and xmlsec 1.2.37 leaks a
         * BIO on every signature when that "file name" is PEM text instead. */
        S.server = md.failed ? NULL : lasso_server_new_from_buffers(md.data, ec ? NULL : key, NULL, cfg->sp_cert);
        if (!S.server)
            why = "Lasso refused the SP key, certificate or metadata";
        else
            S.server->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256; /* this Lasso defaults to SHA-1 */
        struct err ee = {0};
        if (!why && ec && saml_ec_new(key, cfg->sp_cert, cfg->idp_metadata, &S.ec, &ee) != ERR_OK) {
            log_error("saml: %s", ee.msg);
            why = "the EC keys cannot be used";
        }
    }
    if (!why && lasso_server_add_provider(S.server, LASSO_PROVIDER_ROLE_IDP, cfg->idp_metadata, NULL, NULL) != 0)
        why = "cannot load saml.idp_metadata (not SAML 2.0 IdP metadata?)";
    struct err ke = {0};
    if (!why && !S.ec && saml_ec_idp_keys_new(cfg->idp_metadata, &S.rsa_idp, &ke) != ERR_OK)
        log_warn("saml: %s: a signed redirect LogoutResponse will be refused", ke.msg);
    if (!why) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, S.server->providers);
        while (g_hash_table_iter_next(&it, &k, &v))
            if (!S.idp_id)
                S.idp_id = strdup(k);
        S.seen = calloc((size_t)cfg->replay_cache, sizeof *S.seen);
        S.n_seen = cfg->replay_cache;
        if (!S.idp_id || !S.seen)
            why = "no IdP in saml.idp_metadata";
    }
    free(key);
    free(cert);
    if (why) {
        buf_free(&md);
        log_error("saml: %s; /auth/saml answers 503", why);
        return err_set(e, ERR_UNAVAILABLE,
                       "SAML log-in is unavailable: the service provider failed to load (see the log)");
    }
    S.metadata = md.data; /* kept */
    S.state = 1;
    log_info("saml: service provider %s ready, identity provider %s, binding %s, %s keys", cfg->sp_entity_id, S.idp_id,
             cfg->binding, S.ec ? "EC (ECDSA P-256, ECDH-ES)" : "RSA");
    return ERR_OK;
}

void saml_shutdown(void)
{
    pthread_mutex_lock(&saml_lock);
    if (S.state == 1) {
        lasso_server_destroy(S.server);
        saml_ec_free(S.ec);
        saml_ec_free(S.rsa_idp);
        for (int i = 0; i < SAML_LOGINS_MAX; i++)
            free(S.logins[i].session_dump);
        free(S.idp_id);
        free(S.metadata);
        free(S.seen);
        lasso_shutdown();
        curl_global_cleanup();
    }
    memset(&S, 0, sizeof S);
    pthread_mutex_unlock(&saml_lock);
}

/* ---- EC mode: what Lasso 2.8 cannot do, done by services/saml_ec.c ---- */

#define SIGALG_ECDSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"

/* In EC mode Lasso neither makes nor checks signatures: saml_ec.c signs what goes out and checks (and
 * decrypts) what comes in before Lasso reads it. */
static void profile_setup(LassoProfile *p)
{
    if (S.ec) {
        lasso_profile_set_signature_hint(p, LASSO_PROFILE_SIGNATURE_HINT_FORBID);
        lasso_profile_set_signature_verify_hint(p, LASSO_PROFILE_SIGNATURE_VERIFY_HINT_IGNORE);
    }
}

/* Lasso's unsigned HTTP-Redirect URL signed with the EC key, into the arena; NULL on failure. SAML
 * bindings §3.4.4.1: the signature covers "SAMLRequest=…&RelayState=…&SigAlg=…" exactly as the query
 * carries it, computed by the algorithm SigAlg names; for XML-DSig's ecdsa-sha256 (RFC 6931 §2.3.6, from
 * RFC 4051) the value is r || s, 32 bytes each, base64 — not the ASN.1 DER that OpenSSL makes. */
static const char *redirect_sign(struct arena *a, const char *url)
{
    const char *q = url ? strchr(url, '?') : NULL;
    if (!q)
        return NULL;
    struct buf b = {0};
    buf_puts(&b, url);
    buf_puts(&b, "&SigAlg=");
    buf_form_encode(&b, SIGALG_ECDSA_SHA256);
    size_t off = (size_t)(q + 1 - url);
    unsigned char sig[64];
    const char *out = NULL;
    if (!b.failed && saml_ec_sign_raw(S.ec, b.data + off, b.len - off, sig) == 0) {
        gchar *b64 = g_base64_encode(sig, sizeof sig);
        buf_puts(&b, "&Signature=");
        buf_form_encode(&b, b64);
        g_free(b64);
        out = b.failed ? NULL : arena_strdup(a, b.data);
    }
    buf_free(&b);
    return out;
}

/* The SOAP message Lasso built, signed by saml_ec.c in EC mode (Lasso signed it otherwise); malloc'd. */
static char *soap_body(LassoProfile *p)
{
    if (!p->msg_body)
        return NULL;
    if (!S.ec)
        return strdup(p->msg_body);
    char *out = NULL;
    struct err e = {0};
    if (saml_ec_sign_soap(S.ec, p->msg_body, &out, &e) != ERR_OK)
        log_warn("saml: %s", e.msg);
    return out;
}

/* The IdP's answer as Lasso is to read it (malloc'd): in EC mode verified, decrypted and stripped of its
 * signatures by saml_ec.c, *res saying what was checked; otherwise as it came. */
static enum err_code answer_open(const char *xml, size_t len, char **out, struct saml_ec_result *res, struct err *e)
{
    if (S.ec) {
        size_t ol = 0;
        return saml_ec_open(S.ec, xml, len, out, &ol, res, e);
    }
    *out = strndup(xml, len);
    return *out ? ERR_OK : err_set(e, ERR_INTERNAL, "out of memory");
}

/* ---- the bounded in-memory stores ---- */

static struct saml_pending *pending_add(time_t now)
{
    struct saml_pending *slot = NULL;
    for (int i = 0; i < SAML_PENDING_MAX; i++) {
        struct saml_pending *p = &S.pending[i];
        if (p->expires <= now) {
            slot = p;
            break;
        }
        if (!slot || p->expires < slot->expires)
            slot = p; /* full: the oldest request gives way */
    }
    memset(slot, 0, sizeof *slot);
    return slot;
}

static struct saml_pending *pending_find(const char *id, time_t now)
{
    if (!id)
        return NULL;
    for (int i = 0; i < SAML_PENDING_MAX; i++)
        if (S.pending[i].expires > now && !strcmp(S.pending[i].id, id))
            return &S.pending[i];
    return NULL;
}

static bool pending_by_relay(const char *relay, time_t now)
{
    for (int i = 0; i < SAML_PENDING_MAX; i++)
        if (S.pending[i].expires > now && !strcmp(S.pending[i].relay, relay))
            return true;
    return false;
}

static bool seen_has(const char *id, time_t now)
{
    for (int i = 0; i < S.n_seen; i++)
        if (S.seen[i].expires > now && !strcmp(S.seen[i].id, id))
            return true;
    return false;
}

/* Records id until expires; false when the cache is full of live IDs (the log-in is then refused rather
 * than an ID forgotten early). */
static bool seen_add(const char *id, time_t expires, time_t now)
{
    for (int i = 0; i < S.n_seen; i++)
        if (S.seen[i].expires <= now) {
            snprintf(S.seen[i].id, sizeof S.seen[i].id, "%s", id);
            S.seen[i].expires = expires;
            return true;
        }
    return false;
}

static struct saml_login_rec *login_find(const unsigned char *session, time_t now)
{
    for (int i = 0; i < SAML_LOGINS_MAX; i++)
        if (S.logins[i].expires > now && !memcmp(S.logins[i].session, session, 32))
            return &S.logins[i];
    return NULL;
}

static void login_drop(struct saml_login_rec *r)
{
    free(r->session_dump);
    memset(r, 0, sizeof *r);
}

static struct saml_login_rec *login_add(const char *dump, const unsigned char *session, time_t now)
{
    struct saml_login_rec *slot = NULL;
    for (int i = 0; i < SAML_LOGINS_MAX; i++) {
        struct saml_login_rec *r = &S.logins[i];
        if (r->expires <= now) {
            slot = r;
            break;
        }
        if (!slot || r->expires < slot->expires)
            slot = r;
    }
    login_drop(slot);
    slot->session_dump = strdup(dump);
    if (!slot->session_dump)
        return NULL;
    memcpy(slot->session, session, 32);
    slot->expires = now + SAML_LOGIN_TTL_S;
    return slot;
}

/* ---- GET /auth/saml/metadata ---- */

static enum err_code saml_metadata(struct http_req *req, struct http_resp *resp, struct err *e)
{
    pthread_mutex_lock(&saml_lock);
    enum err_code rc = saml_ready(req, e);
    if (rc == ERR_OK)
        http_resp_body(resp, 200, "application/samlmetadata+xml", S.metadata, strlen(S.metadata));
    pthread_mutex_unlock(&saml_lock);
    return rc;
}

/* ---- GET /auth/saml/login ---- */

/* A return path is kept only when it is a path of this server: "/x", never "//host" or "/\host". */
static bool local_path(const char *p)
{
    if (!p || p[0] != '/' || p[1] == '/' || p[1] == '\\' || strlen(p) >= 256)
        return false;
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* The eIDAS extensions WK reads from an AuthnRequest: the SP type (a gmina is a public body) and the
 * attributes asked for, each required. */
static int authn_request_extensions(LassoSamlp2AuthnRequest *ar, const struct config_saml *cfg)
{
    static const char eidas[] = "http://eidas.europa.eu/saml-extensions";
    const char *names[] = {cfg->attr_surname, cfg->attr_given_name, cfg->attr_date_of_birth, cfg->attr_pesel};
    struct buf x = {0};
    buf_printf(
        &x, "<x><eidas:SPType xmlns:eidas=\"%s\">public</eidas:SPType><eidas:RequestedAttributes xmlns:eidas=\"%s\">",
        eidas, eidas);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        buf_puts(&x, "<eidas:RequestedAttribute Name=\"");
        buf_xml(&x, names[i]);
        buf_puts(&x, "\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\" isRequired=\"true\"/>");
    }
    buf_puts(&x, "</eidas:RequestedAttributes></x>");
    xmlDocPtr d = x.failed ? NULL : xmlReadMemory(x.data, (int)x.len, "ext.xml", "UTF-8", XML_PARSE_NONET);
    buf_free(&x);
    if (!d)
        return -1;
    GList *nodes = NULL;
    for (xmlNode *n = xmlDocGetRootElement(d)->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            nodes = g_list_append(nodes, n);
    LassoSamlp2Extensions *ext = LASSO_SAMLP2_EXTENSIONS(lasso_samlp2_extensions_new());
    lasso_samlp2_extensions_set_any(ext, nodes); /* copies the nodes */
    lasso_assign_new_gobject(LASSO_SAMLP2_REQUEST_ABSTRACT(ar)->Extensions, ext);
    g_list_free(nodes);
    xmlFreeDoc(d);
    return 0;
}

static enum err_code saml_login(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct config_saml *cfg = &svc_server_config(req->server)->saml;
    const char *ret = http_query(req, "return");
    if (ret && !local_path(ret))
        return err_param(e, "return", "return must be a path of this server, starting with one '/'");
    pthread_mutex_lock(&saml_lock);
    enum err_code rc = saml_ready(req, e);
    LassoLogin *login = NULL;
    if (rc != ERR_OK)
        goto out;
    login = lasso_login_new(S.server);
    LassoProfile *prof = LASSO_PROFILE(login);
    if (login)
        profile_setup(prof);
    if (!login || lasso_login_init_authn_request(login, S.idp_id, LASSO_HTTP_METHOD_REDIRECT) != 0) {
        rc = err_set(e, ERR_INTERNAL, "cannot build the AuthnRequest");
        goto out;
    }
    LassoSamlp2AuthnRequest *ar = LASSO_SAMLP2_AUTHN_REQUEST(prof->request);
    lasso_assign_string(ar->ProtocolBinding, strcmp(cfg->binding, "post") ? SAML_NS_ARTIFACT : SAML_NS_POST);
    lasso_assign_string(ar->AssertionConsumerServiceURL, S.acs_url);
    if (ar->NameIDPolicy) {
        lasso_assign_string(ar->NameIDPolicy->Format, "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified");
        ar->NameIDPolicy->AllowCreate = TRUE;
    }
    if (cfg->authn_context[0]) {
        LassoSamlp2RequestedAuthnContext *rac =
            LASSO_SAMLP2_REQUESTED_AUTHN_CONTEXT(lasso_samlp2_requested_authn_context_new());
        rac->AuthnContextClassRef = g_list_append(NULL, g_strdup(cfg->authn_context));
        lasso_assign_string(rac->Comparison, "minimum");
        lasso_assign_new_gobject(ar->RequestedAuthnContext, rac);
    }
    if (authn_request_extensions(ar, cfg) != 0) {
        rc = err_set(e, ERR_INTERNAL, "cannot build the AuthnRequest extensions");
        goto out;
    }
    time_t now = time(NULL);
    struct saml_pending *p = pending_add(now);
    random_token(p->relay, sizeof p->relay);
    lasso_assign_string(prof->msg_relayState, p->relay);
    if (lasso_login_build_authn_request_msg(login) != 0 || !prof->msg_url) {
        rc = err_set(e, ERR_INTERNAL, "cannot sign the AuthnRequest (check saml.sp_key)");
        goto out;
    }
    snprintf(p->id, sizeof p->id, "%s", LASSO_SAMLP2_REQUEST_ABSTRACT(ar)->ID);
    snprintf(p->return_to, sizeof p->return_to, "%s", ret ? ret : "/");
    p->expires = now + SAML_PENDING_TTL_S;
    const char *url = S.ec ? redirect_sign(req->arena, prof->msg_url) : arena_strdup(req->arena, prof->msg_url);
    if (!url) {
        p->expires = 0;
        rc = err_set(e, ERR_INTERNAL, "cannot sign the AuthnRequest (check saml.sp_key)");
        goto out;
    }
    http_resp_header(resp, "Location", url);
    /* The request is bound to this browser: the ACS wants this cookie back with the RelayState (no login
     * CSRF). The artifact return is a top-level GET, which SameSite=Lax cookies survive; the cross-site POST
     * of the HTTP-POST binding needs SameSite=None, which browsers take only with Secure (https). */
    bool https = !strncmp(svc_server_config(req->server)->public_url, "https://", 8);
    bool post = !strcmp(cfg->binding, "post");
    http_resp_header(
        resp, "Set-Cookie",
        arena_printf(req->arena, "odra_saml_req=%s; Path=/auth/saml; HttpOnly; Max-Age=%d%s", p->relay,
                     SAML_PENDING_TTL_S,
                     https ? (post ? "; SameSite=None; Secure" : "; SameSite=Lax; Secure") : "; SameSite=Lax"));
    http_resp_header(resp, "Cache-Control", "no-store");
    const char *body = "Przekierowanie do login.gov.pl\n";
    http_resp_body(resp, 302, "text/plain; charset=utf-8", body, strlen(body));
out:
    if (login)
        g_object_unref(login);
    pthread_mutex_unlock(&saml_lock);
    return rc;
}

/* ---- the assertion consumer service ---- */

static const char *text_of(LassoNode *n)
{
    if (LASSO_IS_MISC_TEXT_NODE(n))
        return LASSO_MISC_TEXT_NODE(n)->content;
    return NULL;
}

/* The first value of attribute name, into the arena. */
static const char *attr_value(struct arena *a, LassoSaml2Assertion *as, const char *name)
{
    for (GList *s = as->AttributeStatement; s; s = s->next) {
        if (!LASSO_IS_SAML2_ATTRIBUTE_STATEMENT(s->data))
            continue;
        for (GList *l = LASSO_SAML2_ATTRIBUTE_STATEMENT(s->data)->Attribute; l; l = l->next) {
            LassoSaml2Attribute *at = l->data;
            if (!LASSO_IS_SAML2_ATTRIBUTE(at) || !at->Name || strcmp(at->Name, name))
                continue;
            for (GList *v = at->AttributeValue; v; v = v->next) {
                if (!LASSO_IS_SAML2_ATTRIBUTE_VALUE(v->data))
                    continue;
                for (GList *t = LASSO_SAML2_ATTRIBUTE_VALUE(v->data)->any; t; t = t->next) {
                    const char *txt = text_of(t->data);
                    if (txt)
                        return arena_strdup(a, txt);
                }
            }
        }
    }
    return NULL;
}

/* An xs:dateTime in UTC ("2026-12-04T10:00:00Z", fractions of a second allowed), or -1. */
static time_t iso_time(const char *s)
{
    struct tm tm = {0};
    const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!p)
        return (time_t)-1;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    if (strcmp(p, "Z"))
        return (time_t)-1;
    return timegm(&tm);
}

/* Refusal of a response: the reason goes to the log with the Lasso code, the client gets 403. */
static enum err_code refuse(struct err *e, const char *why, int lasso_rc)
{
    if (lasso_rc)
        log_warn("saml: log-in refused: %s (lasso: %s)", why, lasso_strerror(lasso_rc));
    else
        log_warn("saml: log-in refused: %s", why);
    return err_set(e, ERR_FORBIDDEN, "log-in refused: %s", why);
}

/* Everything after Lasso parsed (and decrypted) the Response: fills id or refuses. Under saml_lock. */
static enum err_code acs_verify(struct http_req *req, LassoLogin *login, int process_rc, const char *relay,
                                const struct saml_ec_result *ecr, struct saml_identity *id, struct err *e)
{
    const struct config_saml *cfg = &svc_server_config(req->server)->saml;
    LassoProfile *prof = LASSO_PROFILE(login);
    switch (process_rc) {
    case 0: break;
    case LASSO_LOGIN_ERROR_STATUS_NOT_SUCCESS:
    case LASSO_LOGIN_ERROR_REQUEST_DENIED:
    case LASSO_LOGIN_ERROR_UNKNOWN_PRINCIPAL:
    case LASSO_LOGIN_ERROR_FEDERATION_NOT_FOUND:
        return refuse(e, "the identity provider did not authenticate the user", process_rc);
    case LASSO_PROFILE_ERROR_MISSING_ASSERTION:
        return refuse(e, "no assertion could be read (not encrypted for this service provider?)", process_rc);
    case LASSO_DS_ERROR_SIGNATURE_NOT_FOUND: return refuse(e, "the assertion is not signed", process_rc);
    default:
        if (process_rc == LASSO_DS_ERROR_SIGNATURE_VERIFICATION_FAILED ||
            process_rc == LASSO_DS_ERROR_INVALID_SIGNATURE ||
            process_rc == LASSO_PROFILE_ERROR_CANNOT_VERIFY_SIGNATURE ||
            process_rc == LASSO_DS_ERROR_INVALID_REFERENCE_FOR_SAML)
            return refuse(e, "the signature does not verify with the identity provider's key", process_rc);
        return refuse(e, "the identity provider's answer is not a valid SAML response", process_rc);
    }
    LassoSamlp2Response *r = LASSO_IS_SAMLP2_RESPONSE(prof->response) ? LASSO_SAMLP2_RESPONSE(prof->response) : NULL;
    if (!r || !r->Assertion || r->Assertion->next)
        return refuse(e, "the response must carry exactly one assertion", 0);
    if (ecr ? !ecr->encrypted : !r->EncryptedAssertion)
        return refuse(e, "the assertion is not encrypted", 0);
    LassoSaml2Assertion *as = r->Assertion->data;
    if (!LASSO_IS_SAML2_ASSERTION(as) || !as->ID || strlen(as->ID) >= SAML_MAX_ID)
        return refuse(e, "the assertion has no usable ID", 0);
    /* The assertion's own signature, whatever Lasso made of the Response's (in EC mode saml_ec.c checked it,
     * on the one assertion the Response holds, which is what Lasso read here). */
    LassoProvider *idp = lasso_server_get_provider(S.server, S.idp_id);
    if (!as->Issuer || !as->Issuer->content || strcmp(as->Issuer->content, S.idp_id))
        return refuse(e, "the assertion was issued by another entity than the configured identity provider", 0);
    int src = ecr ? (ecr->assertion_checked ? 0 : LASSO_DS_ERROR_SIGNATURE_NOT_FOUND)
                  : lasso_provider_verify_single_node_signature(idp, LASSO_NODE(as), "ID");
    if (src == LASSO_DS_ERROR_SIGNATURE_NOT_FOUND)
        return refuse(e, "the assertion is not signed", src);
    if (src != 0)
        return refuse(e, "the assertion's signature does not verify with the identity provider's key", src);
    /* Conditions: a time window and this SP as the audience are required. */
    time_t now = time(NULL);
    LassoSaml2Conditions *cond = as->Conditions;
    if (!cond || !cond->NotOnOrAfter || !cond->AudienceRestriction)
        return refuse(e, "the assertion has no NotOnOrAfter or no AudienceRestriction", 0);
    if (lasso_saml2_assertion_validate_time_checks(as, (unsigned)cfg->clock_skew_s, now) != LASSO_SAML2_ASSERTION_VALID)
        return refuse(e, "the assertion has expired or is not yet valid", 0);
    if (lasso_saml2_assertion_validate_audience(as, cfg->sp_entity_id) != LASSO_SAML2_ASSERTION_VALID)
        return refuse(e, "the assertion is meant for another audience", 0);
    /* The bearer confirmation: to our ACS, in time, answering our request. */
    LassoSaml2Subject *subj = as->Subject;
    LassoSaml2SubjectConfirmation *sc = subj ? subj->SubjectConfirmation : NULL;
    LassoSaml2SubjectConfirmationData *scd = sc ? sc->SubjectConfirmationData : NULL;
    if (!subj || !subj->NameID || !subj->NameID->content || !sc || !sc->Method || strcmp(sc->Method, SAML_BEARER) ||
        !scd || !scd->NotOnOrAfter)
        return refuse(e, "the assertion has no bearer subject confirmation", 0);
    time_t scd_end = iso_time(scd->NotOnOrAfter);
    if (scd_end == (time_t)-1 || now >= scd_end + cfg->clock_skew_s)
        return refuse(e, "the assertion has expired (subject confirmation)", 0);
    if (scd->Recipient && strcmp(scd->Recipient, S.acs_url))
        return refuse(e, "the assertion is meant for another recipient", 0);
    if (LASSO_SAMLP2_STATUS_RESPONSE(r)->Destination && strcmp(LASSO_SAMLP2_STATUS_RESPONSE(r)->Destination, S.acs_url))
        return refuse(e, "the response is meant for another destination", 0);
    /* Replay: an assertion is consumed once. */
    if (seen_has(as->ID, now))
        return refuse(e, "the assertion was already used (replay)", 0);
    const char *irt = scd->InResponseTo;
    const char *rirt = LASSO_SAMLP2_STATUS_RESPONSE(r)->InResponseTo;
    if (!irt || (rirt && strcmp(rirt, irt)))
        return refuse(e, "the assertion does not answer a request (unsolicited responses are not accepted)", 0);
    struct saml_pending *p = pending_find(irt, now);
    if (!p)
        return refuse(e, "the assertion answers no pending request of this server (expired or already answered)", 0);
    if (!relay || strcmp(relay, p->relay))
        return refuse(e, "the RelayState does not match the request", 0);
    const char *bound = cookie_value(req, "odra_saml_req");
    if (!bound || strcmp(bound, p->relay))
        return refuse(e, "the log-in was not started in this browser (cookie odra_saml_req)", 0);
    time_t until = iso_time(cond->NotOnOrAfter);
    if (scd_end > until)
        until = scd_end;
    if (!seen_add(as->ID, until + cfg->clock_skew_s, now))
        return err_set(e, ERR_UNAVAILABLE, "too many log-ins in progress; try again in a few minutes");
    id->return_to = arena_strdup(req->arena, p->return_to);
    memset(p, 0, sizeof *p); /* the request is answered */
    struct arena *a = req->arena;
    id->given_name = attr_value(a, as, cfg->attr_given_name);
    id->surname = attr_value(a, as, cfg->attr_surname);
    id->pesel = attr_value(a, as, cfg->attr_pesel);
    id->date_of_birth = attr_value(a, as, cfg->attr_date_of_birth);
    /* Accepted: keep the SAML session for single logout, without the attributes (the PESEL is kept in the
     * identity store only; logout needs the NameID and SessionIndex). */
    lasso_release_list_of_gobjects(as->AttributeStatement);
    lasso_node_cleanup_original_xmlnodes(LASSO_NODE(as)); /* else the dump is the XML as received */
    if (lasso_login_accept_sso(login) == 0) {
        LassoSession *ses = lasso_profile_get_session(prof);
        char *dump = ses ? lasso_session_dump(ses) : NULL;
        if (dump && strlen(dump) < SAML_DUMP_MAX)
            id->session_dump = arena_strdup(a, dump);
        g_free(dump);
    }
    id->assertion_id = arena_strdup(a, as->ID);
    id->idp_entity = arena_strdup(a, S.idp_id);
    id->name_id = arena_strdup(a, subj->NameID->content);
    id->name_id_format = subj->NameID->Format ? arena_strdup(a, subj->NameID->Format) : NULL;
    for (GList *l = as->AuthnStatement; l; l = l->next) {
        LassoSaml2AuthnStatement *st = l->data;
        if (!LASSO_IS_SAML2_AUTHN_STATEMENT(st))
            continue;
        if (st->SessionIndex && !id->session_index)
            id->session_index = arena_strdup(a, st->SessionIndex);
        if (st->AuthnContext && st->AuthnContext->AuthnContextClassRef && !id->authn_context)
            id->authn_context = arena_strdup(a, st->AuthnContext->AuthnContextClassRef);
    }
    log_info("saml: log-in accepted, assertion %s from %s", as->ID, S.idp_id);
    return ERR_OK;
}

/* Copies at most cap - 1 bytes of s into out, cut at a UTF-8 character boundary. */
static void copy_utf8(char *out, size_t cap, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= cap) {
        n = cap - 1;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(out, s, n);
    out[n] = 0;
}

/* The PESEL in the asserted PersonIdentifier: 11 digits, bare or in the eIDAS form "PL/PL/<PESEL>" (the
 * issuing country must be PL); NULL otherwise. */
static const char *pesel_of(const char *v)
{
    if (v && !strncmp(v, "PL/", 3) && strlen(v) > 6 && v[5] == '/')
        v += 6;
    return gis_pesel_valid(v) ? v : NULL;
}

static bool wants_json(struct http_req *req)
{
    const char *acc = http_header(req, "Accept");
    return acc && strstr(acc, "application/json") && !strstr(acc, "text/html");
}

enum err_code saml_login_complete(struct http_req *req, struct http_resp *resp, const struct saml_identity *id,
                                  struct err *e)
{
    /* The request is answered whatever comes next: the browser's binding cookie goes. */
    http_resp_header(resp, "Set-Cookie", "odra_saml_req=; Path=/auth/saml; HttpOnly; Max-Age=0");
    http_resp_header(resp, "Cache-Control", "no-store");
    struct gis_identity *store = svc_auth_identity();
    if (!store)
        return err_set(e, ERR_UNAVAILABLE, "the identity store is not open");
    const char *pesel = pesel_of(id->pesel);
    if (!pesel)
        return refuse(e, "the identity provider asserted no PESEL (PersonIdentifier) of 11 digits", 0);
    struct gis_resident r = {0};
    snprintf(r.pesel, sizeof r.pesel, "%s", pesel);
    copy_utf8(r.given_name, sizeof r.given_name, id->given_name);
    copy_utf8(r.surname, sizeof r.surname, id->surname);
    copy_utf8(r.date_of_birth, sizeof r.date_of_birth, id->date_of_birth);
    struct gis_account acc;
    bool created = false;
    enum err_code rc = gis_resident_login(store, &r, &acc, &created, e);
    memset(r.pesel, 0, sizeof r.pesel);
    if (rc)
        return rc;
    if (acc.disabled) {
        log_warn("saml: log-in refused: account %s is disabled", acc.login);
        return err_set(e, ERR_FORBIDDEN, "Konto zablokowane (this account is disabled)");
    }
    if (created)
        log_info("saml: new resident account %s", acc.login);
    struct auth_principal *p = NULL;
    if (svc_auth_session_start(req, resp, &acc, "saml", &p, e))
        return e->code;
    if (id->session_dump) {
        pthread_mutex_lock(&saml_lock);
        if (!login_add(id->session_dump, p->token_hash, time(NULL)))
            log_warn("saml: out of memory keeping the SAML session of %s: no single logout for it", acc.login);
        pthread_mutex_unlock(&saml_lock);
    }
    const char *ret = id->return_to && local_path(id->return_to) ? id->return_to : "/";
    if (wants_json(req)) {
        json_t *j = svc_auth_session_json(p);
        json_object_set_new(j, "return_to", json_string(ret));
        json_object_set_new(j, "created", json_boolean(created));
        return http_resp_json(req, resp, 200, j, e);
    }
    http_resp_header(resp, "Location", ret);
    static const char body[] = "Zalogowano przez login.gov.pl\n";
    http_resp_body(resp, 303, "text/plain; charset=utf-8", body, sizeof body - 1);
    return ERR_OK;
}

/* POST /auth/saml/acs: the HTTP-POST binding. */
static enum err_code saml_acs_post(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const char *ct = http_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33))
        return err_set(e, ERR_MEDIA_TYPE, "the ACS reads an HTML form post (application/x-www-form-urlencoded)");
    if (!req->body || req->body_len > SAML_MAX_MSG_B64 + 4096)
        return err_set(e, req->body ? ERR_TOO_LARGE : ERR_INVALID, "no SAMLResponse or too large");
    char *msg = form_value(req->arena, req->body, req->body_len, "SAMLResponse");
    char *relay = form_value(req->arena, req->body, req->body_len, "RelayState");
    if (!msg || !*msg)
        return err_param(e, "SAMLResponse", "SAMLResponse is missing or badly encoded");
    if (strlen(msg) > SAML_MAX_MSG_B64)
        return err_set(e, ERR_TOO_LARGE, "SAMLResponse larger than %d bytes", SAML_MAX_MSG_B64);
    size_t xml_len = 0;
    char *xml = b64_decode(req->arena, msg, &xml_len);
    if (!xml)
        return err_param(e, "SAMLResponse", "SAMLResponse is not base64");
    enum err_code rc = xml_vet(xml, xml_len, e);
    if (rc != ERR_OK)
        return rc;
    struct saml_identity id = {0};
    pthread_mutex_lock(&saml_lock);
    rc = saml_ready(req, e);
    if (rc == ERR_OK) {
        struct saml_ec_result ecr;
        char *opened = NULL;
        rc = answer_open(xml, xml_len, &opened, &ecr, e);
        gchar *b64 = rc == ERR_OK && S.ec ? g_base64_encode((const guchar *)opened, strlen(opened)) : NULL;
        if (rc == ERR_OK) {
            LassoLogin *login = lasso_login_new(S.server);
            profile_setup(LASSO_PROFILE(login));
            int lrc = lasso_login_process_authn_response_msg(login, S.ec ? b64 : msg);
            rc = acs_verify(req, login, lrc, relay, S.ec ? &ecr : NULL, &id, e);
            g_object_unref(login);
        }
        g_free(b64);
        free(opened);
    }
    pthread_mutex_unlock(&saml_lock);
    return rc == ERR_OK ? saml_login_complete(req, resp, &id, e) : rc;
}

/* GET /auth/saml/acs?SAMLart=: the HTTP-Artifact binding; the assertion comes over SOAP from the IdP's
 * ArtifactResolutionService. */
static enum err_code saml_acs_artifact(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct config_saml *cfg = &svc_server_config(req->server)->saml;
    const char *art = http_query(req, "SAMLart");
    const char *relay = http_query(req, "RelayState");
    if (!art)
        return err_param(e, "SAMLart", "SAMLart is missing (the ACS takes an artifact here, or a POSTed SAMLResponse)");
    size_t raw_len = 0;
    const char *raw = strlen(art) <= 128 ? b64_decode(req->arena, art, &raw_len) : NULL;
    /* SAML 2.0 artifact type 0x0004: type code, endpoint index, SourceID (20), MessageHandle (20). */
    if (!raw || raw_len != 44 || raw[0] != 0 || raw[1] != 4)
        return err_param(e, "SAMLart", "SAMLart is not a SAML 2.0 type 0x0004 artifact");
    struct buf q = {0};
    buf_puts(&q, "SAMLart=");
    buf_form_encode(&q, art);
    if (relay) {
        buf_puts(&q, "&RelayState=");
        buf_form_encode(&q, relay);
    }
    if (q.failed)
        return err_set(e, ERR_INTERNAL, "out of memory");
    /* Only a browser with a log-in in progress makes this server call the IdP: no outbound SOAP call on
     * anyone's say-so. The full checks come after the resolution (acs_verify). */
    const char *bound = cookie_value(req, "odra_saml_req");
    pthread_mutex_lock(&saml_lock);
    enum err_code rc = saml_ready(req, e);
    LassoLogin *login = NULL;
    char *url = NULL, *body = NULL, *answer = NULL;
    if (rc == ERR_OK && (!relay || !bound || strcmp(relay, bound) || !pending_by_relay(relay, time(NULL))))
        rc = refuse(e, "no log-in is in progress in this browser (RelayState and cookie odra_saml_req)", 0);
    if (rc == ERR_OK) {
        login = lasso_login_new(S.server);
        profile_setup(LASSO_PROFILE(login));
        int lrc = lasso_login_init_request(login, q.data, LASSO_HTTP_METHOD_ARTIFACT_GET);
        if (lrc == 0)
            lrc = lasso_login_build_request_msg(login);
        if (lrc != 0 || !LASSO_PROFILE(login)->msg_url || !LASSO_PROFILE(login)->msg_body) {
            rc = refuse(e, "the artifact names no known identity provider or endpoint", lrc);
        } else {
            url = strdup(LASSO_PROFILE(login)->msg_url);
            body = soap_body(LASSO_PROFILE(login));
        }
    }
    pthread_mutex_unlock(&saml_lock);
    buf_free(&q);
    if (rc == ERR_OK && (!url || !body))
        rc = err_set(e, ERR_INTERNAL, "out of memory");
    if (rc == ERR_OK)
        rc = soap_post(cfg, url, body, &answer, e);
    free(url);
    free(body);
    struct saml_identity id = {0};
    if (rc == ERR_OK) {
        const char *env = strstr(answer, "<");
        if (!env || xml_vet(env, strlen(env), e) != ERR_OK) {
            err_clear(e);
            rc = refuse(e, "the artifact resolution answer is not acceptable XML", 0);
        }
    }
    if (rc == ERR_OK) {
        pthread_mutex_lock(&saml_lock);
        struct saml_ec_result ecr;
        char *opened = NULL;
        const char *env = strstr(answer, "<");
        rc = answer_open(env, strlen(env), &opened, &ecr, e);
        if (rc == ERR_OK) {
            int lrc = lasso_login_process_response_msg(login, opened);
            rc = acs_verify(req, login, lrc, relay, S.ec ? &ecr : NULL, &id, e);
        }
        free(opened);
        pthread_mutex_unlock(&saml_lock);
    }
    free(answer);
    if (login) {
        pthread_mutex_lock(&saml_lock);
        g_object_unref(login);
        pthread_mutex_unlock(&saml_lock);
    }
    return rc == ERR_OK ? saml_login_complete(req, resp, &id, e) : rc;
}

/* ---- single logout ---- */

enum saml_slo saml_session_logout(struct http_req *req, const unsigned char *token_hash, const char **url,
                                  struct err *e)
{
    const struct config_saml *cfg = &svc_server_config(req->server)->saml;
    if (!cfg->sp_entity_id[0])
        return SAML_SLO_NONE;
    pthread_mutex_lock(&saml_lock);
    time_t now = time(NULL);
    struct saml_login_rec *rec = S.state == 1 ? login_find(token_hash, now) : NULL;
    if (!rec) {
        pthread_mutex_unlock(&saml_lock);
        return SAML_SLO_NONE;
    }
    enum saml_slo out = SAML_SLO_FAILED;
    LassoLogout *lo = lasso_logout_new(S.server);
    profile_setup(LASSO_PROFILE(lo));
    char *soap_url = NULL, *body = NULL, *answer = NULL;
    bool soap = false, do_soap = false;
    int lrc = lasso_profile_set_session_from_dump(LASSO_PROFILE(lo), rec->session_dump);
    /* The SAML session is forgotten here now, whatever the IdP answers: the odra session it belongs to is
     * ending. */
    login_drop(rec);
    if (lrc == 0) {
        lrc = lasso_logout_init_request(lo, S.idp_id, LASSO_HTTP_METHOD_SOAP);
        soap = lrc == 0;
        if (lrc != 0)
            lrc = lasso_logout_init_request(lo, S.idp_id, LASSO_HTTP_METHOD_REDIRECT);
    }
    if (lrc == 0)
        lrc = lasso_logout_build_request_msg(lo);
    if (lrc != 0 || !LASSO_PROFILE(lo)->msg_url) {
        log_warn("saml: cannot build the LogoutRequest: %s", lasso_strerror(lrc));
        err_set(e, ERR_UNAVAILABLE, "the identity provider offers no single logout this server can use");
    } else if (soap) {
        do_soap = true;
        soap_url = strdup(LASSO_PROFILE(lo)->msg_url);
        body = soap_body(LASSO_PROFILE(lo));
    } else {
        /* The IdP answers the browser at GET /auth/saml/slo. */
        *url = S.ec ? redirect_sign(req->arena, LASSO_PROFILE(lo)->msg_url)
                    : arena_strdup(req->arena, LASSO_PROFILE(lo)->msg_url);
        out = *url ? SAML_SLO_REDIRECT : SAML_SLO_FAILED;
    }
    pthread_mutex_unlock(&saml_lock);
    if (do_soap) {
        enum err_code rc =
            soap_url && body ? soap_post(cfg, soap_url, body, &answer, e) : err_set(e, ERR_INTERNAL, "out of memory");
        pthread_mutex_lock(&saml_lock);
        struct saml_ec_result ecr;
        char *opened = NULL;
        const char *env = rc == ERR_OK ? strstr(answer, "<") : NULL;
        if (env && answer_open(env, strlen(env), &opened, &ecr, e) == ERR_OK) {
            int prc = lasso_logout_process_response_msg(lo, opened);
            if (prc != 0)
                refuse(e, "the identity provider's LogoutResponse is not valid", prc);
            else
                out = SAML_SLO_DONE;
        } else if (rc == ERR_OK && !env) {
            refuse(e, "the identity provider's LogoutResponse is not XML", 0);
        }
        free(opened);
        pthread_mutex_unlock(&saml_lock);
    }
    free(soap_url);
    free(body);
    free(answer);
    pthread_mutex_lock(&saml_lock);
    g_object_unref(lo);
    pthread_mutex_unlock(&saml_lock);
    return out;
}

/* POST /auth/saml/slo (an account route, with the CSRF token): logs out of both the odra session and the
 * SAML session tied to it: a LogoutRequest over SOAP when the IdP offers it (as WK does), else by
 * redirecting the browser. 409 for a session that did not come from login.gov.pl (or whose SAML session a
 * restart forgot): POST /auth/logout ends it. */
static enum err_code saml_slo_start(struct http_req *req, struct http_resp *resp, struct err *e)
{
    const struct auth_principal *p = req->principal;
    if (!p || p->via != AUTH_VIA_SESSION)
        return err_set(e, ERR_UNAUTHORIZED, "Wymagane zalogowanie (sign-in required)");
    pthread_mutex_lock(&saml_lock);
    enum err_code rc = saml_ready(req, e);
    bool has = rc == ERR_OK && login_find(p->token_hash, time(NULL)) != NULL;
    pthread_mutex_unlock(&saml_lock);
    if (rc)
        return rc;
    if (!has)
        return err_set(
            e, ERR_CONFLICT,
            "Ta sesja nie pochodzi z logowania przez login.gov.pl; wyloguj się przez POST /auth/logout (this "
            "session has no SAML session to log out of)");
    const char *url = NULL;
    struct err se = {0};
    enum saml_slo out = saml_session_logout(req, p->token_hash, &url, &se);
    if (svc_auth_session_end(req, resp, "saml", e))
        return e->code;
    if (out == SAML_SLO_REDIRECT) {
        http_resp_header(resp, "Location", url);
        http_resp_body(resp, 302, "text/plain; charset=utf-8", "Wylogowanie\n", 12);
        return ERR_OK;
    }
    if (out != SAML_SLO_DONE) {
        *e = se;
        return e->code ? e->code : err_set(e, ERR_UNAVAILABLE, "single logout failed");
    }
    json_t *j = json_object();
    json_object_set_new(j, "loggedOut", json_true());
    json_object_set_new(j, "idp", json_string(S.idp_id));
    return http_resp_json(req, resp, 200, j, e);
}

/* GET /auth/saml/slo?SAMLResponse=: the IdP's LogoutResponse by the redirect binding. Its signature covers
 * the query as the IdP encoded it; the query is rebuilt here with form encoding, which is what common IdPs
 * (and the test IdP) send. */
static enum err_code saml_slo_return(struct http_req *req, struct http_resp *resp, struct err *e)
{
    static const char *const keys[] = {"SAMLResponse", "RelayState", "SigAlg", "Signature"};
    if (!http_query(req, "SAMLResponse"))
        return err_param(e, "SAMLResponse", "SAMLResponse is missing");
    struct buf q = {0};
    size_t signed_len = 0, unsigned_len = 0; /* the query up to the SigAlg, and up to the Signature */
    for (size_t i = 0; i < 4; i++) {
        const char *v = http_query(req, keys[i]);
        if (i == 2)
            unsigned_len = q.len;
        if (i == 3)
            signed_len = q.len;
        if (!v)
            continue;
        if (strlen(v) > SAML_MAX_MSG_B64) {
            buf_free(&q);
            return err_set(e, ERR_TOO_LARGE, "%s too large", keys[i]);
        }
        buf_printf(&q, "%s%s=", q.len ? "&" : "", keys[i]);
        buf_form_encode(&q, v);
    }
    pthread_mutex_lock(&saml_lock);
    enum err_code rc = q.failed ? err_set(e, ERR_INTERNAL, "out of memory") : saml_ready(req, e);
    bool checked = false;
    if (rc == ERR_OK && http_query(req, "Signature")) {
        /* The redirect signature is checked here, Lasso gets the rest: in EC mode ecdsa-sha256 (r || s or DER),
         * which Lasso cannot; with RSA keys rsa-sha256/384/512, because Lasso 2.8.1 leaks the decoded signature
         * of every query it checks (lasso_query_verify_helper never frees it), whoever sends the query. */
        const char *alg = http_query(req, "SigAlg");
        gsize sl = 0;
        guchar *sig = g_base64_decode(http_query(req, "Signature"), &sl);
        bool ok =
            S.ec ? alg && !strcmp(alg, SIGALG_ECDSA_SHA256) && saml_ec_verify_raw(S.ec, q.data, signed_len, sig, sl)
                 : S.rsa_idp && saml_ec_verify_rsa(S.rsa_idp, alg, q.data, signed_len, sig, sl);
        if (!ok)
            rc = refuse(e, "the LogoutResponse's redirect signature does not verify with the identity provider's key",
                        0);
        g_free(sig);
        q.data[unsigned_len] = 0;
        checked = ok;
    }
    if (rc == ERR_OK) {
        LassoLogout *lo = lasso_logout_new(S.server);
        profile_setup(LASSO_PROFILE(lo));
        if (checked) /* verified above; Lasso sees the query without its signature */
            lasso_profile_set_signature_verify_hint(LASSO_PROFILE(lo), LASSO_PROFILE_SIGNATURE_VERIFY_HINT_IGNORE);
        int lrc = lasso_logout_process_response_msg(lo, q.data);
        /* Without the session (already ended here) Lasso reports it after having checked the message. */
        if (lrc != 0 && lrc != LASSO_PROFILE_ERROR_SESSION_NOT_FOUND)
            rc = refuse(e, "the identity provider's LogoutResponse is not valid", lrc);
        g_object_unref(lo);
    }
    pthread_mutex_unlock(&saml_lock);
    buf_free(&q);
    if (rc != ERR_OK)
        return rc;
    json_t *j = json_object();
    json_object_set_new(j, "loggedOut", json_true());
    return http_resp_json(req, resp, 200, j, e);
}

static const struct http_param_doc login_params[] = {
    {"return", "query", "string", 0, "local path to come back to after the log-in (kept with the request)"},
    HTTP_DOC_STATUS("302", "To the identity provider (Location), with the signed AuthnRequest"),
    HTTP_DOC_END,
};
static const struct http_param_doc acs_post_params[] = {
    HTTP_DOC_STATUS("303", "Signed in: to the return path kept with the AuthnRequest (Location), with the session "
                           "cookie"),
    HTTP_DOC_END,
};
static const struct http_param_doc art_params[] = {
    {"SAMLart", "query", "string", 1, "the SAML 2.0 artifact (HTTP-Artifact binding)"},
    {"RelayState", "query", "string", 0, "the RelayState sent with the AuthnRequest"},
    HTTP_DOC_STATUS("303", "Signed in: to the return path kept with the AuthnRequest (Location), with the session "
                           "cookie"),
    HTTP_DOC_END,
};
static const struct http_param_doc slo_start_params[] = {
    HTTP_DOC_STATUS("302", "To the identity provider (Location) with the LogoutRequest (HTTP-Redirect binding)"),
    HTTP_DOC_STATUS("409", "The session did not come from a login.gov.pl log-in: log out with POST /auth/logout"),
    HTTP_DOC_END,
};
static const struct http_param_doc slo_params[] = {
    {"SAMLResponse", "query", "string", 1, "the IdP's LogoutResponse (HTTP-Redirect binding)"},
    HTTP_DOC_END,
};

const struct http_route svc_saml_routes[] = {
    {"GET", "/auth/saml/metadata", saml_metadata, "auth", "SAML 2.0 metadata of this service provider",
     "application/samlmetadata+xml", NULL, HTTP_PUBLIC},
    {"GET", "/auth/saml/login", saml_login, "auth",
     "Log in with login.gov.pl: redirects to the identity provider with a signed AuthnRequest", "text/plain",
     login_params, HTTP_PUBLIC},
    {"POST", "/auth/saml/acs", saml_acs_post, "auth",
     "Assertion consumer service, HTTP-POST binding (SAMLResponse form): signs the resident in (session cookie) and "
     "answers 303 to the return path",
     NULL, acs_post_params, HTTP_PUBLIC},
    {"GET", "/auth/saml/acs", saml_acs_artifact, "auth",
     "Assertion consumer service, HTTP-Artifact binding (resolved over SOAP with the identity provider): signs the "
     "resident in (session cookie) and answers 303 to the return path",
     NULL, art_params, HTTP_PUBLIC},
    {"POST", "/auth/saml/slo", saml_slo_start, "auth",
     "Log out of odra and of login.gov.pl (single logout of the session's SAML session; needs the CSRF token)", NULL,
     slo_start_params, HTTP_ACCOUNT},
    {"GET", "/auth/saml/slo", saml_slo_return, "auth", "Single logout: the identity provider's LogoutResponse", NULL,
     slo_params, HTTP_PUBLIC},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
};
