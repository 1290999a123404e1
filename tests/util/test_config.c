/* Tests for util/config: the built-in defaults and one-line errors naming the key. */
#include "util/config.h"

#include <stdlib.h>
#include <unistd.h>

#include "tests/test.h"
#include "util/sniff.h"

static char path[] = "/tmp/odra-test-config-XXXXXX";

static enum err_code load_text(const char *text, struct config *c, struct err *e)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    err_clear(e);
    return config_load(c, path, e);
}

static void builtin_defaults_serve_the_demo(void)
{
    static struct config c;
    struct err e = {0};
    CHECK(config_load(&c, NULL, &e) == ERR_OK);
    CHECK(c.n_tenants == 5);
    CHECK_STR(c.listen_host, "127.0.0.1");
    CHECK(c.port == 8080);
    const struct config_tenant *t = config_tenant_find(&c, "osno-lubuskie");
    CHECK(t && !strcmp(t->name, "Ośno Lubuskie") && !strcmp(t->teryt, "0805033"));
    CHECK(t && strstr(t->legal_basis, "art. 30") != NULL);
    CHECK(config_tenant_find(&c, "warszawa") == NULL);
    /* A3 wyrys sheets: Słubice allows them, the other demo gminas do not */
    CHECK(config_tenant_find(&c, "slubice") && config_tenant_find(&c, "slubice")->wyrys_allow_a3);
    CHECK(config_tenant_find(&c, "cybinka") && !config_tenant_find(&c, "cybinka")->wyrys_allow_a3);
    /* the demo prints a loopback address on its documents */
    CHECK_STR(c.public_url, "http://127.0.0.1:8080");
    CHECK(t && !strcmp(t->public_url, c.public_url) && t->extracts);
    CHECK(c.timeout_s == 30 && c.head_timeout_s == 10);
}

static void errors_name_the_key_and_line(void)
{
    static struct config c;
    struct err e = {0};
    CHECK(load_text("[server]\nthreads = 0\n[tenant a]\nname=A\nteryt=0805053\norgan=X\n", &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, ":2: server.threads:") != NULL);
    CHECK(load_text("[server]\nlisten = nohost\n", &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "server.listen") != NULL);
    CHECK(load_text("[server]\nhead_timeout = 0\n", &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "server.head_timeout:") != NULL);
    CHECK(load_text("[server]\nmystery = 1\n", &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "server.mystery: unknown key") != NULL);
    CHECK(load_text("[elsewhere]\nx = 1\n", &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "unknown section") != NULL);
    CHECK(load_text("[tenant Bad Slug]\nname = x\n", &c, &e) == ERR_INVALID);
    CHECK(load_text("[tenant a]\nname = A\norgan = X\n", &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "a.teryt: missing") != NULL);
    CHECK(load_text("[tenant a]\nname = A\nteryt = 12\norgan = X\n", &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "teryt") != NULL);
    CHECK(load_text("[server]\nthreads = 2\n", &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "no [tenant") != NULL);
    CHECK(load_text("[tenant a]\nname = \xc5\n", &c, &e) == ERR_INVALID);
    CHECK(load_text("[tenant a]\ncase_format = no-sequence\n", &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "{seq}") != NULL);
    CHECK(load_text("[tenant a]\nwyrys_allow_a3 = maybe\n", &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "a.wyrys_allow_a3: must be yes or no") != NULL);
    CHECK(load_text("[tenant a]\nname = A\nteryt = 0805053\norgan = X\nwyrys_allow_a3 = Yes\nextracts = no\n", &c,
                    &e) == ERR_OK);
    CHECK(c.tenants[0].wyrys_allow_a3);
    err_clear(&e);
    CHECK(config_load(&c, "/nonexistent/odra.ini", &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "cannot open") != NULL);
}

static void good_file_with_modules_and_inline_comments(void)
{
    static struct config c;
    struct err e = {0};
    CHECK(load_text("[server]\nlisten = [::1]:9090 ; ipv6\nmax_body = 2048\n"
                    "public_url = https://gis.example.pl/\n"
                    "[tenant x]\nname = Iks\nteryt = 0805053\norgan = Wójt\nmodules = waste, permits\n",
                    &c, &e) == ERR_OK);
    CHECK_STR(c.listen_host, "::1");
    CHECK(c.port == 9090 && c.max_body_bytes == 2048);
    CHECK(c.n_tenants == 1 && c.tenants[0].n_modules == 2);
    CHECK_STR(c.tenants[0].modules[1], "permits");
    CHECK_STR(c.tenants[0].place, "Iks");
    /* the server's public_url, its trailing slash dropped, is every tenant's default */
    CHECK_STR(c.public_url, "https://gis.example.pl");
    CHECK_STR(c.tenants[0].public_url, "https://gis.example.pl");
    CHECK(c.tenants[0].extracts && !c.tenants[0].verify_pdf);
}

#define TENANT "[tenant a]\nname = A\nteryt = 0805053\norgan = X\n"

/* Extracts print absolute addresses: a gmina that issues them needs a public_url, its own or the server's. */
static void public_url_is_required_for_extracts(void)
{
    static struct config c;
    struct err e = {0};
    CHECK(load_text(TENANT, &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "a.public_url: extracts are on but no public_url") != NULL);
    CHECK(load_text(TENANT "extracts = no\n", &c, &e) == ERR_OK);
    CHECK(!c.tenants[0].extracts && c.tenants[0].public_url[0] == 0);
    /* the gmina's own overrides the server's, in whatever order the sections come */
    CHECK(load_text(TENANT "public_url = https://gis.a.pl/odra\nverify_pdf = yes\n[tenant b]\nname = B\n"
                           "teryt = 0805013\norgan = Y\n[server]\npublic_url = http://[::1]:8080\n",
                    &c, &e) == ERR_OK);
    CHECK_STR(c.tenants[0].public_url, "https://gis.a.pl/odra");
    CHECK_STR(c.tenants[1].public_url, "http://[::1]:8080");
    CHECK(c.tenants[0].verify_pdf && !c.tenants[1].verify_pdf);
    /* only plain absolute http(s) addresses: nothing that could carry markup, a query or credentials */
    const char *bad[] = {"gis.example.pl",
                         "/verify",
                         "ftp://gis.example.pl",
                         "https://",
                         "https://gis.example.pl?x=1",
                         "https://gis.example.pl/#top",
                         "https://user@gis.example.pl",
                         "https://gis.example.pl:0",
                         "https://gis.example.pl:99999",
                         "https://gis.example.pl/a b",
                         "https://gis.example.pl/\"><script>",
                         "javascript:alert(1)",
                         "https://-x.pl",
                         NULL};
    for (const char **b = bad; *b; b++) {
        char text[512];
        snprintf(text, sizeof text, "[server]\npublic_url = %s\n" TENANT, *b);
        CHECK(load_text(text, &c, &e) == ERR_INVALID);
        CHECK(strstr(e.msg, "server.public_url: must be an absolute") != NULL);
    }
    CHECK(load_text(TENANT "verify_pdf = perhaps\nextracts = no\n", &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "a.verify_pdf: must be yes or no") != NULL);
    /* a gmina cannot take the name of a top-level path */
    CHECK(load_text("[tenant verify]\nname = V\nteryt = 0805053\norgan = X\nextracts = no\n", &c, &e) == ERR_INVALID);
    CHECK(strstr(e.msg, "top-level path") != NULL);
}

static void auth_section_and_what_staff_tokens_became(void)
{
    static struct config c;
    struct err e = {0};
    const char *t = "[tenant a]\nname=A\nteryt=0805053\norgan=X\nextracts=no\n";
    char text[512];
    snprintf(text, sizeof text,
             "%s[auth]\nopslimit = 3\nmemlimit = 1048576\nsession_idle = 60\nsession_max = 600\n"
             "login_per_ip = 7\nlogin_per_account = 4\nlockout_after = 3\nlockout_seconds = 5\n"
             "submissions_per_ip = 9\n",
             t);
    CHECK(load_text(text, &c, &e) == ERR_OK);
    CHECK(c.auth.opslimit == 3 && c.auth.memlimit == 1048576 && c.auth.session_idle_s == 60 &&
          c.auth.session_max_s == 600 && c.auth.login_per_ip == 7 && c.auth.login_per_account == 4 &&
          c.auth.lockout_after == 3 && c.auth.lockout_s == 5 && c.auth.submissions_per_ip == 9);
    CHECK(c.tenants[0].anonymous_submissions); /* default yes */
    CHECK(config_load(&c, NULL, &e) == ERR_OK && c.auth.opslimit == 2 && c.auth.memlimit == 64u << 20);
    snprintf(text, sizeof text, "%s[auth]\nsession_idle = 0\n", t);
    CHECK(load_text(text, &c, &e) == ERR_INVALID && strstr(e.msg, "auth.session_idle:"));
    snprintf(text, sizeof text, "%s[auth]\npepper = 1\n", t);
    CHECK(load_text(text, &c, &e) == ERR_INVALID && strstr(e.msg, "auth.pepper: unknown key"));
    snprintf(text, sizeof text, "%sanonymous_submissions = no\n", t);
    CHECK(load_text(text, &c, &e) == ERR_OK && !c.tenants[0].anonymous_submissions);
    snprintf(text, sizeof text, "%sstaff_tokens = abcdefghijklmnopqrstuvwxyz\n", t);
    CHECK(load_text(text, &c, &e) == ERR_INVALID && strstr(e.msg, "odra user add") && strstr(e.msg, "odra client add"));
    CHECK(load_text("[tenant auth]\nname=A\nteryt=0805053\norgan=X\nextracts=no\n", &c, &e) == ERR_INVALID);
}

static void cases_section(void)
{
    static struct config c;
    struct err e = {0};
    const char *t = "[tenant a]\nname=A\nteryt=0805053\norgan=X\nextracts=no\n";
    char text[512];
    CHECK(config_load(&c, NULL, &e) == ERR_OK && c.cases.attachment_max_bytes == 10u << 20 &&
          c.cases.attachments_per_case == 20);
    for (int k = SNIFF_PDF; k <= SNIFF_TXT; k++)
        CHECK(c.cases.attachment_types & SNIFF_BIT(k));
    snprintf(text, sizeof text,
             "%s[cases]\nattachment_max_bytes = 2048\nattachments_per_case = 3\n"
             "attachment_types = PDF,png  jpeg ; images and PDF\n",
             t);
    CHECK(load_text(text, &c, &e) == ERR_OK);
    CHECK(c.cases.attachment_max_bytes == 2048 && c.cases.attachments_per_case == 3);
    CHECK(c.cases.attachment_types == (SNIFF_BIT(SNIFF_PDF) | SNIFF_BIT(SNIFF_PNG) | SNIFF_BIT(SNIFF_JPEG)));
    snprintf(text, sizeof text, "%s[cases]\nattachment_types = pdf, exe\n", t);
    CHECK(load_text(text, &c, &e) == ERR_INVALID && strstr(e.msg, "cases.attachment_types: unknown type 'exe'"));
    snprintf(text, sizeof text, "%s[cases]\nattachment_max_bytes = 10\n", t);
    CHECK(load_text(text, &c, &e) == ERR_INVALID && strstr(e.msg, "cases.attachment_max_bytes:"));
    snprintf(text, sizeof text, "%s[cases]\nquota = 1\n", t);
    CHECK(load_text(text, &c, &e) == ERR_INVALID && strstr(e.msg, "cases.quota: unknown key"));
}

int main(void)
{
    int fd = mkstemp(path);
    if (fd < 0)
        return 2;
    close(fd);
    RUN(builtin_defaults_serve_the_demo);
    RUN(errors_name_the_key_and_line);
    RUN(good_file_with_modules_and_inline_comments);
    RUN(public_url_is_required_for_extracts);
    RUN(auth_section_and_what_staff_tokens_became);
    RUN(cases_section);
    unlink(path);
    return test_done();
}
