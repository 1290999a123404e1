/* Unit tests of services/tmpl.c: the tags, escaping of hostile strings, malformed templates, includes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services/tmpl.h"
#include "tests/test.h"

static char dir[64];

static int starts(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* Renders text with data (JSON text) and the messages below; the output, or "ERR: description". */
static char *render(const char *text, const char *data)
{
    static char *last;
    free(last);
    json_t *d = json_loads(data, 0, NULL);
    json_t *m = json_pack("{s:s, s:s}", "hello", "Dzień dobry", "found", "Wyniki dla „{0}”");
    struct buf b = {0};
    struct err e = {0};
    enum err_code rc = tmpl_render_text(dir, "test", text, d, m, &b, &e);
    json_decref(d);
    json_decref(m);
    if (rc) {
        buf_free(&b);
        size_t n = strlen(e.msg) + 8;
        last = malloc(n);
        snprintf(last, n, "ERR: %s", e.msg);
        return last;
    }
    last = b.data ? b.data : strdup("");
    return last;
}

static void test_values(void)
{
    CHECK_STR(render("a {{x}} b", "{\"x\": \"y\"}"), "a y b");
    CHECK_STR(render("{{ a.b.c }}", "{\"a\": {\"b\": {\"c\": 7}}}"), "7");
    CHECK_STR(render("[{{missing}}][{{n}}]", "{\"n\": null}"), "[][]");
    CHECK_STR(render("{{r}}", "{\"r\": 2.5}"), "2.5");
    CHECK_STR(render("{{url q}}", "{\"q\": \"dz. 12/3 & ą\"}"), "dz.%2012%2F3%20%26%20%C4%85");
    CHECK_STR(render("{{raw h}}", "{\"h\": \"<b>x</b>\"}"), "<b>x</b>");
    CHECK_STR(render("{{! a comment }}ok", "{}"), "ok");
    CHECK_STR(render("{ not a tag }", "{}"), "{ not a tag }");
}

static void test_blocks(void)
{
    CHECK_STR(render("{{#if a}}yes{{else}}no{{/if}}", "{\"a\": 1}"), "yes");
    CHECK_STR(render("{{#if a}}yes{{else}}no{{/if}}", "{\"a\": \"\"}"), "no");
    CHECK_STR(render("{{#if a}}yes{{/if}}", "{\"a\": []}"), "");
    CHECK_STR(render("{{#unless a}}none{{/unless}}", "{}"), "none");
    CHECK_STR(render("{{#each l}}<{{.}}>{{/each}}", "{\"l\": [1, \"b\", 3]}"), "<1><b><3>");
    CHECK_STR(render("{{#each l}}{{n}}:{{top}};{{/each}}", "{\"top\": \"T\", \"l\": [{\"n\": 1}, {\"n\": 2}]}"),
              "1:T;2:T;");
    CHECK_STR(render("{{#each l}}x{{else}}empty{{/each}}", "{\"l\": []}"), "empty");
    CHECK_STR(
        render("{{#each l}}{{#if .}}[{{#each .}}{{.}}{{/each}}]{{else}}-{{/if}}{{/each}}", "{\"l\": [[1,2], [], [3]]}"),
        "[12]-[3]");
    CHECK_STR(render("{{#if a}}{{#if b}}ab{{else}}a{{/if}}{{else}}none{{/if}}", "{\"a\": true}"), "a");
}

static void test_messages(void)
{
    CHECK_STR(render("{{t hello}}", "{}"), "Dzień dobry");
    CHECK_STR(render("{{t found q}}", "{\"q\": \"<b>\"}"), "Wyniki dla „&lt;b&gt;”");
    CHECK(starts(render("{{t nope}}", "{}"), "ERR: template test, line 1: no message"));
}

static void test_hostile(void)
{
    CHECK_STR(render("<p title=\"{{x}}\">{{x}}</p>", "{\"x\": \"\\\"><script>alert('x')</script>\"}"),
              "<p title=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\">"
              "&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>");
    /* U+202E (RIGHT-TO-LEFT OVERRIDE) and U+2066 are dropped; other text stays */
    CHECK_STR(render("{{x}}", "{\"x\": \"abc\\u202Egpj.exe\\u2066x\"}"), "abcgpj.exex");
    CHECK_STR(render("{{x}}", "{\"x\": \"a\\u0001b\\tc\\nd\"}"), "ab\tc\nd");
    /* invalid UTF-8 (which jansson refuses to hold) through tmpl_escape directly */
    struct buf b = {0};
    tmpl_escape(&b, "a\xC3\x28z\xFF\xED\xA0\x80", 8);
    CHECK_STR(b.data, "a\xEF\xBF\xBD(z\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    buf_free(&b);
    /* 10,000 characters of markup: every one escaped, nothing lost */
    char *big = malloc(10001);
    memset(big, '<', 10000);
    big[10000] = 0;
    json_t *d = json_pack("{s:s}", "x", big);
    struct err e = {0};
    CHECK(tmpl_render_text(dir, "t", "{{x}}", d, NULL, &b, &e) == ERR_OK);
    CHECK(b.len == 40000 && !memchr(b.data, '<', b.len));
    buf_free(&b);
    json_decref(d);
    free(big);
    /* a value that looks like a tag is printed, never interpreted */
    CHECK_STR(render("{{x}}", "{\"x\": \"{{#each y}}{{> evil}}\"}"), "{{#each y}}{{&gt; evil}}");
}

static void test_malformed(void)
{
    CHECK(starts(render("a\n{{#if x}}never closed", "{}"), "ERR: template test, line 2: block without"));
    CHECK(starts(render("{{#if x}}a{{/each}}", "{}"), "ERR: template test, line 1: this end closes"));
    CHECK(starts(render("{{/if}}", "{}"), "ERR: template test, line 1: a block's end"));
    CHECK(starts(render("{{x", "{}"), "ERR: template test, line 1: unclosed tag"));
    CHECK(starts(render("{{#while x}}{{/while}}", "{}"), "ERR: template test, line 1: unknown block"));
    CHECK(starts(render("{{a b c}}", "{}"), "ERR: template test, line 1: unknown tag"));
    CHECK(starts(render("{{> ../etc/passwd}}", "{}"), "ERR: template name"));
    CHECK(starts(render("{{> absent}}", "{}"), "ERR: template absent is missing"));
}

static void test_include(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/part.html", dir);
    FILE *f = fopen(path, "w");
    fputs("<i>{{x}}</i>", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/loop.html", dir);
    f = fopen(path, "w");
    fputs("{{> loop}}", f);
    fclose(f);
    CHECK_STR(render("a{{> part}}b", "{\"x\": \"&\"}"), "a<i>&amp;</i>b");
    CHECK_STR(render("{{#each l}}{{> part}}{{/each}}", "{\"l\": [{\"x\": 1}, {\"x\": 2}]}"), "<i>1</i><i>2</i>");
    CHECK(strstr(render("{{> loop}}", "{}"), "nested too deep") != NULL);
    json_t *d = json_pack("{s:s}", "x", "y");
    struct buf b = {0};
    struct err e = {0};
    CHECK(tmpl_render(dir, "part", d, NULL, &b, &e) == ERR_OK);
    CHECK_STR(b.data, "<i>y</i>");
    buf_free(&b);
    json_decref(d);
    unlink(path);
    snprintf(path, sizeof path, "%s/part.html", dir);
    unlink(path);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/odra-tmpl-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_values);
    RUN(test_blocks);
    RUN(test_messages);
    RUN(test_hostile);
    RUN(test_malformed);
    RUN(test_include);
    render("", "{}");
    rmdir(dir);
    return test_done();
}
