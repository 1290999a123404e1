/* The office's electronic seal: a PAdES signature (ETSI EN 319 142-1, baseline B-B, and B-T with an
 * RFC 3161 timestamp where a timestamp authority is configured) on every PDF odra issues, made with
 * OpenSSL's CMS; the check /verify runs on a stored PDF; and the demo's test seal (a test CA and a seal
 * certificate whose CN contains "TEST").
 *
 * Ownership: gis_seal_open returns a seal the caller frees with gis_seal_free; it is read-only after
 * that, so threads may sign with one seal at once. Signing appends to the caller's buf. */
#ifndef GIS_SEAL_H
#define GIS_SEAL_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/buf.h"
#include "util/err.h"

struct gis_seal;

/* Loads a seal from a PKCS#12 file (key, certificate and its chain) whose password is the first line of
 * password_file; relative paths are taken from base_dir (the data directory; NULL: the working one). tsa_url (may be
 * NULL or ""): an RFC 3161 timestamp authority, which makes every signature PAdES-B-T. ERR_IO naming the file when
 * unreadable; ERR_INVALID when the password is wrong or the file holds no key and certificate. */
enum err_code gis_seal_open(const char *base_dir, const char *p12_path, const char *password_file, const char *tsa_url,
                            struct gis_seal **out, struct err *e);
/* Loads a seal whose key stays on a PKCS#11 token (a smart card, an HSM; SoftHSM2 in the tests): module is
 * the token's PKCS#11 library, uri the key's PKCS#11 URI ("pkcs11:token=odra;object=seal;type=private"),
 * pin_file holds the user PIN on its first line, cert_file the certificate and its chain (PEM). Signing
 * goes through OpenSSL's pkcs11 engine (Debian libengine-pkcs11-openssl). ERR_UNAVAILABLE when the engine
 * or the module does not load, ERR_INVALID for a wrong PIN, a missing key or a key that is not the
 * certificate's. */
enum err_code gis_seal_open_pkcs11(const char *base_dir, const char *module, const char *uri, const char *pin_file,
                                   const char *cert_file, const char *tsa_url, struct gis_seal **out, struct err *e);
void gis_seal_free(struct gis_seal *s);

/* The certificate's subject CN (UTF-8), its issuer's CN, and the key type ("P-256", "RSA-3072"). */
const char *gis_seal_subject(const struct gis_seal *s);
const char *gis_seal_issuer(const struct gis_seal *s);
const char *gis_seal_key_type(const struct gis_seal *s);
/* "B-T" with a timestamp authority, else "B-B". */
const char *gis_seal_level(const struct gis_seal *s);

/* Where the signature field goes: a rectangle on the last page, in PDF user space (points from the
 * bottom left: x0 y0 x1 y1), drawn by the document itself (gis_pdf_seal_mark), so its text is part of
 * the page and its fonts embedded. */
struct gis_seal_field {
    double rect[4];
    const char *reason;   /* "Wydanie wypisu i wyrysu" (UTF-8, may be NULL) */
    const char *location; /* the place (may be NULL) */
};

/* Seals the PDF at b->data + start by an incremental update (gis_pdf_update_*): an AcroForm (/SigFlags 3)
 * with a signature field whose widget lies on the last page at f->rect, and a /Sig dictionary (Filter
 * Adobe.PPKLite, SubFilter ETSI.CAdES.detached, /M the signing time) whose /ByteRange covers the whole
 * file but the /Contents value: a detached CMS SignedData with the content-type, message-digest and
 * signing-certificate-v2 signed attributes (no signing-time: PAdES puts it in /M), and with a TSA, the
 * signature-time-stamp-token unsigned attribute. ERR_UNPROCESSABLE when the PDF cannot be updated
 * (see gis_pdf_update_begin) or already has a form; ERR_UNAVAILABLE when the TSA does not answer or
 * refuses. The PDF is unchanged on failure. */
enum err_code gis_seal_sign(const struct gis_seal *s, struct buf *b, size_t start, const struct gis_seal_field *f,
                            struct err *e);

/* What gis_seal_check found in a PDF. */
struct gis_seal_report {
    bool present;       /* a signature dictionary with a ByteRange and Contents */
    bool valid;         /* the CMS signature verifies over the ByteRange, which covers the whole file */
    bool whole_file;    /* the ByteRange ends at the end of the file and skips only /Contents */
    bool timestamped;   /* an RFC 3161 signature-time-stamp-token is attached */
    bool own_seal;      /* the signer's certificate is seal's (when a seal was given) */
    char signer[256];   /* the signer certificate's subject CN */
    char issuer[256];   /* its issuer's CN */
    char signed_at[32]; /* /M as "2026-05-14T12:00:00Z" */
    char problem[256];  /* why it is not valid, "" when valid */
};

/* Checks the last signature of the PDF data[0..len) (its CMS signature over its ByteRange; certificates
 * are not chained to a trust list here) and, when seal is not NULL, whether the signer is that seal.
 * Always fills r; returns ERR_OK unless out of memory. */
enum err_code gis_seal_check(const void *data, size_t len, const struct gis_seal *seal, struct gis_seal_report *r,
                             struct err *e);

/* Whether certificate c (OpenSSL's X509) is the seal's own. */
struct x509_st;
bool gis_seal_cert_is(const struct gis_seal *s, const struct x509_st *c);

/* The UTF-8 common name of an X.509 name (OpenSSL's X509_NAME) into out, "" when it has none. */
struct X509_name_st;
void gis_seal_cn(const struct X509_name_st *n, char *out, size_t cap);

/* Makes a demo seal in dir (created if missing): test-ca.pem, the test CA's certificate (CN "odra TEST
 * CA", made once and reused), and NAME.p12 with NAME.pass (mode 0600), a P-256 seal key and certificate
 * for organ ("TEST pieczęć elektroniczna: Burmistrz Słubic"), issued by that CA. Existing NAME files are
 * kept. Not for production: the CA key is kept next to them, unprotected. */
enum err_code gis_seal_demo(const char *dir, const char *name, const char *organ, struct err *e);

#endif
