/* Tests for the electronic seal (gis/seal.h) and the incremental updates under it (gis/pdf.h): a demo
 * seal made and opened (and refused with a wrong password), a small PDF finished for PDF/A and sealed,
 * checked by gis_seal_check and by poppler's pdfsig and qpdf as independent readers; a flipped byte in
 * the signed range; hostile PDFs (no startxref, a cross-reference stream, truncated, not a PDF, a
 * /Prev loop, an object the xref points at wrongly, already sealed) each refused with a clear error and
 * the buffer left as it was; and the dictionary helpers. */
#include "gis/seal.h"

#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gis/pdf.h"
#include "tests/test.h"

static char dir[] = "/tmp/odra-test-seal-XXXXXX";
static struct gis_seal *seal;

/* A one-page PDF with some text, finished (language, PDF/A metadata) as odra's documents are. */
static void small_pdf(struct buf *out)
{
    const struct gis_pdf_info info = {.title = "Próba", .author = "Burmistrz Słubic", .subject = "test"};
    cairo_surface_t *s = gis_pdf_surface_create(out, 595, 842, &info);
    cairo_t *cr = cairo_create(s);
    cairo_move_to(cr, 72, 72);
    cairo_show_text(cr, "seal test");
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_surface_destroy(s);
    struct err e = {0};
    CHECK(gis_pdf_finalize(out, 0, "pl-PL", &info, &e) == ERR_OK);
}

static int sh(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, cap - 1, p) : 0;
    out[n] = 0;
    int st = p ? pclose(p) : -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void save(const char *name, const struct buf *b)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(b->data, 1, b->len, f) == b->len);
    if (f)
        fclose(f);
}

static void test_demo_seal(void)
{
    struct err e = {0};
    CHECK(gis_seal_demo(dir, "slubice", "Burmistrz Słubic", &e) == ERR_OK);
    CHECK(gis_seal_open(dir, "slubice.p12", "slubice.pass", NULL, &seal, &e) == ERR_OK);
    CHECK(seal && strstr(gis_seal_subject(seal), "TEST") && strstr(gis_seal_subject(seal), "Burmistrz Słubic"));
    CHECK(seal && !strcmp(gis_seal_key_type(seal), "P-256") && !strcmp(gis_seal_level(seal), "B-B"));
    CHECK(seal && strstr(gis_seal_issuer(seal), "TEST CA"));
    /* a second run keeps the seal (same certificate) */
    struct gis_seal *again = NULL;
    CHECK(gis_seal_demo(dir, "slubice", "Burmistrz Słubic", &e) == ERR_OK);
    CHECK(gis_seal_open(dir, "slubice.p12", "slubice.pass", NULL, &again, &e) == ERR_OK);
    gis_seal_free(again);
    /* a wrong password, a missing file */
    char wrong[300];
    snprintf(wrong, sizeof wrong, "%s/wrong.pass", dir);
    FILE *f = fopen(wrong, "w");
    if (f) {
        fputs("not-the-password\n", f);
        fclose(f);
    }
    struct gis_seal *bad = NULL;
    struct err we = {0};
    CHECK(gis_seal_open(dir, "slubice.p12", "wrong.pass", NULL, &bad, &we) == ERR_INVALID && !bad);
    CHECK(strstr(we.msg, "password") != NULL);
    struct err me = {0};
    CHECK(gis_seal_open(dir, "none.p12", "slubice.pass", NULL, &bad, &me) == ERR_IO && strstr(me.msg, "none.p12"));
}

static void test_sign_and_check(void)
{
    if (!seal)
        return;
    struct buf b = {0};
    small_pdf(&b);
    struct err e = {0};
    const struct gis_seal_field f = {.rect = {350, 60, 550, 110}, .reason = "Próba", .location = "Słubice"};
    CHECK(gis_seal_sign(seal, &b, 0, &f, &e) == ERR_OK);
    struct gis_seal_report r;
    CHECK(gis_seal_check(b.data, b.len, seal, &r, &e) == ERR_OK);
    CHECK(r.present && r.valid && r.whole_file && r.own_seal && !r.timestamped);
    CHECK(strstr(r.signer, "TEST") != NULL && r.signed_at[0] == '2');
    CHECK(memmem(b.data, b.len, "/SigFlags 3", 11) && memmem(b.data, b.len, "/SubFilter /ETSI.CAdES.detached", 31));
    save("sealed.pdf", &b);
    char out[8192], cmd[512];
    snprintf(cmd, sizeof cmd, "pdfsig %s/sealed.pdf 2>&1", dir);
    sh(cmd, out, sizeof out);
    CHECK(strstr(out, "Signature is Valid") && strstr(out, "Total document signed"));
    snprintf(cmd, sizeof cmd, "qpdf --check %s/sealed.pdf 2>&1", dir);
    CHECK(sh(cmd, out, sizeof out) == 0);
    /* a second document with the same seal on this thread (its kept CMS template, a new digest and signature)
     * checks too, and its signature is not the first's */
    struct buf b2 = {0};
    small_pdf(&b2);
    buf_puts(&b2, "% another document\n");
    CHECK(gis_seal_sign(seal, &b2, 0, &f, &e) == ERR_OK);
    CHECK(gis_seal_check(b2.data, b2.len, seal, &r, &e) == ERR_OK && r.present && r.valid && r.whole_file);
    save("sealed2.pdf", &b2);
    snprintf(cmd, sizeof cmd, "pdfsig %s/sealed2.pdf 2>&1", dir);
    sh(cmd, out, sizeof out);
    CHECK(strstr(out, "Signature is Valid") && strstr(out, "Total document signed"));
    const char *c1 = memmem(b.data, b.len, "/Contents <", 11), *c2 = memmem(b2.data, b2.len, "/Contents <", 11);
    const char *e1 = c1 ? strchr(c1, '>') : NULL, *e2 = c2 ? strchr(c2, '>') : NULL;
    CHECK(e1 && e2 && e1 - c1 == e2 - c2 && memcmp(c1, c2, (size_t)(e1 - c1)) != 0);
    buf_free(&b2);
    /* sealing twice: the form exists, refused, unchanged */
    size_t len = b.len;
    struct err te = {0};
    CHECK(gis_seal_sign(seal, &b, 0, &f, &te) == ERR_UNPROCESSABLE && b.len == len && strstr(te.msg, "form"));
    /* one byte flipped inside the signed range */
    b.data[100] ^= 1;
    CHECK(gis_seal_check(b.data, b.len, seal, &r, &e) == ERR_OK && r.present && !r.valid);
    save("flipped.pdf", &b);
    snprintf(cmd, sizeof cmd, "pdfsig %s/flipped.pdf 2>&1", dir);
    sh(cmd, out, sizeof out);
    CHECK(!strstr(out, "Signature is Valid") && strstr(out, "Digest Mismatch"));
    b.data[100] ^= 1;
    /* bytes appended after the seal: the signature no longer covers the whole file */
    buf_puts(&b, "\n% appended\n");
    CHECK(gis_seal_check(b.data, b.len, seal, &r, &e) == ERR_OK && r.present && !r.valid && !r.whole_file);
    buf_free(&b);
    /* an unsealed PDF */
    struct buf u = {0};
    small_pdf(&u);
    CHECK(gis_seal_check(u.data, u.len, seal, &r, &e) == ERR_OK && !r.present && !r.valid);
    buf_free(&u);
}

/* Sealing text (a hostile PDF) must fail with ERR_UNPROCESSABLE and a message containing want, leaving the
 * buffer as it was. */
static void refused(const char *text, size_t len, const char *want)
{
    struct buf b = {0};
    buf_puts(&b, "junk before"); /* the PDF need not start the buffer */
    size_t start = b.len;
    buf_append(&b, text, len);
    size_t before = b.len;
    struct err e = {0};
    const struct gis_seal_field f = {.rect = {0, 0, 10, 10}};
    enum err_code rc = gis_seal_sign(seal, &b, start, &f, &e);
    CHECK(rc == ERR_UNPROCESSABLE);
    CHECK(b.len == before && !memcmp(b.data + start, text, len));
    if (!strstr(e.msg, want)) {
        printf("  wanted '%s' in: %s\n", want, e.msg);
        CHECK(!"message");
    }
    buf_free(&b);
}

static void test_hostile(void)
{
    if (!seal)
        return;
    refused("hello", 5, "not a PDF");
    refused("GIF89a not a pdf at all", 23, "no %PDF- header");
    const char no_sx[] = "%PDF-1.5\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R /Size 2 >>\n";
    refused(no_sx, sizeof no_sx - 1, "no startxref");
    const char xstream[] = "%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
                           "9 0 obj\n<< /Type /XRef /Size 10 /Root 1 0 R /W [1 2 1] /Length 0 >>\nstream\n\nendstream\n"
                           "endobj\nstartxref\n58\n%%EOF\n";
    refused(xstream, sizeof xstream - 1, "cross-reference stream");
    const char outside[] = "%PDF-1.5\nstartxref\n99999\n%%EOF\n";
    refused(outside, sizeof outside - 1, "outside the file");
    const char loop[] = "%PDF-1.5\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Root 1 0 R /Size 2 /Prev 9 >>\n"
                        "startxref\n9\n%%EOF\n";
    refused(loop, sizeof loop - 1, "object 1 is not in the cross-reference table");
    const char wrong[] = "%PDF-1.5\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 2\n0000000000 65535 f \n"
                         "0000000001 00000 n \ntrailer\n<< /Root 1 0 R /Size 2 >>\nstartxref\n45\n%%EOF\n";
    refused(wrong, sizeof wrong - 1, "wrong place");
    const char notrailer[] = "%PDF-1.5\nxref\n0 1\n0000000000 65535 f \nstartxref\n9\n%%EOF\n";
    refused(notrailer, sizeof notrailer - 1, "no trailer");
    /* a real PDF cut anywhere before its end */
    struct buf b = {0};
    small_pdf(&b);
    refused(b.data, b.len / 2, "no startxref");
    refused(b.data, b.len - 8, "no startxref");
    /* an xref table cut short */
    const char *x = memmem(b.data, b.len, "\nxref\n", 6);
    CHECK(x != NULL);
    if (x) {
        size_t at = (size_t)(x + 1 - b.data);
        struct buf t = {0};
        buf_append(&t, b.data, at);
        size_t xo = t.len;
        buf_printf(
            &t, "xref\n0 40\n0000000000 65535 f \ntrailer\n<< /Root 1 0 R /Size 40 >>\nstartxref\n%zu\n%%%%EOF\n", xo);
        refused(t.data, t.len, "truncated");
        buf_free(&t);
    }
    buf_free(&b);
}

/* The seal's key on a PKCS#11 token: SoftHSM2 (a software token, Debian softhsm2) holding the demo seal's
 * key, used through OpenSSL's pkcs11 engine; the certificate from a PEM file. */
static void test_pkcs11(void)
{
    char cmd[2048], out[4096];
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; mkdir -p tokens; printf 'directories.tokendir = %s/tokens\\nobjectstore.backend = "
             "file\\nlog.level = ERROR\\n' > softhsm2.conf; export SOFTHSM2_CONF=%s/softhsm2.conf; "
             "softhsm2-util --init-token --free --label odra --pin 4321 --so-pin 8765 >/dev/null; "
             "openssl pkcs12 -in slubice.p12 -passin file:slubice.pass -nocerts -nodes | "
             "openssl pkcs8 -topk8 -nocrypt -out key8.pem; "
             "openssl pkcs12 -in slubice.p12 -passin file:slubice.pass -nokeys -clcerts | openssl x509 > cert.pem; "
             "openssl pkcs12 -in slubice.p12 -passin file:slubice.pass -nokeys -cacerts | openssl x509 >> cert.pem; "
             "softhsm2-util --import key8.pem --token odra --label seal --id 01 --pin 4321 >/dev/null; "
             "rm key8.pem; echo 4321 > pin; echo 0000 > badpin 2>&1",
             dir, dir, dir);
    int rc = sh(cmd, out, sizeof out);
    CHECK(rc == 0); /* softhsm2 and libengine-pkcs11-openssl are in DEB_PKGS */
    if (rc)
        return;
    char conf[300];
    snprintf(conf, sizeof conf, "%s/softhsm2.conf", dir);
    setenv("SOFTHSM2_CONF", conf, 1);
    const char *module = "/usr/lib/softhsm/libsofthsm2.so", *uri = "pkcs11:token=odra;object=seal;type=private";
    /* a wrong PIN (first: once logged in, the token's session stays logged in for this process) */
    struct gis_seal *hsm = NULL, *bad = NULL;
    struct err e = {0}, pe = {0}, ke = {0};
    CHECK(gis_seal_open_pkcs11(dir, module, uri, "badpin", "cert.pem", NULL, &bad, &pe) != ERR_OK && !bad);
    CHECK(gis_seal_open_pkcs11(dir, module, uri, "pin", "cert.pem", NULL, &hsm, &e) == ERR_OK);
    if (!hsm) {
        printf("  %s\n", e.msg);
        return;
    }
    CHECK(!strcmp(gis_seal_key_type(hsm), "P-256") && strstr(gis_seal_subject(hsm), "TEST"));
    struct buf b = {0};
    small_pdf(&b);
    const struct gis_seal_field f = {.rect = {350, 60, 550, 110}, .reason = "HSM"};
    CHECK(gis_seal_sign(hsm, &b, 0, &f, &e) == ERR_OK);
    struct gis_seal_report r;
    CHECK(gis_seal_check(b.data, b.len, hsm, &r, &e) == ERR_OK && r.valid && r.own_seal);
    save("hsm.pdf", &b);
    snprintf(cmd, sizeof cmd, "pdfsig %s/hsm.pdf 2>&1", dir);
    sh(cmd, out, sizeof out);
    CHECK(strstr(out, "Signature is Valid") && strstr(out, "Total document signed"));
    buf_free(&b);
    gis_seal_free(hsm);
    /* a key that is not on the token */
    CHECK(gis_seal_open_pkcs11(dir, module, "pkcs11:token=odra;object=none;type=private", "pin", "cert.pem", NULL, &bad,
                               &ke) == ERR_INVALID &&
          !bad && strstr(ke.msg, "PKCS#11"));
}

static void test_dict(void)
{
    const char *d = " /Type /Page /Parent 3 0 R /Annots [4 0 R 5 0 R] /Contents (a (nested) \\) string) "
                    "/Resources << /Font << /F1 7 0 R >> >> /MediaBox [0 0 595 842] ";
    int n = 0;
    CHECK(gis_pdf_dict_ref(d, "/Parent", &n) && n == 3);
    CHECK(!gis_pdf_dict_ref(d, "/Annots", &n));
    CHECK(gis_pdf_dict_has(d, "/Resources") && !gis_pdf_dict_has(d, "/F1") && !gis_pdf_dict_has(d, "/Pa"));
    char *v = gis_pdf_dict_value(d, "/Annots");
    CHECK_STR(v, "[4 0 R 5 0 R]");
    free(v);
    v = gis_pdf_dict_value(d, "/Contents");
    CHECK_STR(v, "(a (nested) \\) string)");
    free(v);
    char *w = gis_pdf_dict_without(d, "/Annots");
    CHECK(w && !strstr(w, "/Annots") && strstr(w, "/MediaBox [0 0 595 842]") && strstr(w, "/Parent 3 0 R"));
    free(w);
    w = gis_pdf_dict_without(d, "/Nothing");
    CHECK_STR(w, d);
    free(w);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(test_demo_seal);
    RUN(test_sign_and_check);
    RUN(test_hostile);
    RUN(test_pkcs11);
    RUN(test_dict);
    gis_seal_free(seal);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("  note: %s not removed\n", dir);
    return test_done();
}
