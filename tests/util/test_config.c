/* Tests for util/config: the built-in defaults and one-line errors naming the key. */
#include "util/config.h"

#include <stdlib.h>
#include <unistd.h>

#include "tests/test.h"

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
    CHECK(load_text("[tenant a]\nname = A\nteryt = 0805053\norgan = X\nwyrys_allow_a3 = Yes\n", &c, &e) == ERR_OK);
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
                    "[tenant x]\nname = Iks\nteryt = 0805053\norgan = Wójt\nmodules = waste, permits\n",
                    &c, &e) == ERR_OK);
    CHECK_STR(c.listen_host, "::1");
    CHECK(c.port == 9090 && c.max_body_bytes == 2048);
    CHECK(c.n_tenants == 1 && c.tenants[0].n_modules == 2);
    CHECK_STR(c.tenants[0].modules[1], "permits");
    CHECK_STR(c.tenants[0].place, "Iks");
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
    unlink(path);
    return test_done();
}
