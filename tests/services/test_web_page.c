/* Unit tests of services/web_page.c: the API's error descriptions as English pages show them
 * (web_api_text), and numbers in the page's language (web_num). */
#include <stdio.h>
#include <string.h>

#include "services/web_page.h"
#include "tests/test.h"

static struct arena *arena;
static struct http_req req;
static struct web_page pg;

static void page_in(const char *lang)
{
    memset(&req, 0, sizeof req);
    req.arena = arena;
    json_decref(pg.msgs);
    memset(&pg, 0, sizeof pg);
    pg.req = &req;
    pg.lang = lang;
    pg.msgs = json_pack("{s:s, s:s, s:s}", "error.422", "These data cannot be accepted", "error.409",
                        "Conflict with the state of the case", "error.other", "Something went wrong");
}

static void test_polish_pages_keep_the_api_text(void)
{
    page_in("pl");
    CHECK_STR(web_api_text(&pg, "Wiadomość jest pusta (body: the message is empty)", 422),
              "Wiadomość jest pusta (body: the message is empty)");
    CHECK_STR(web_api_text(&pg, NULL, 422), "");
}

static void test_english_pages_show_the_english_part(void)
{
    page_in("en");
    CHECK_STR(web_api_text(&pg, "Wiadomość jest pusta (body: the message is empty)", 422),
              "body: the message is empty");
    CHECK_STR(web_api_text(&pg, "Brak lub nieprawidłowy token CSRF (missing or wrong CSRF token): send it", 403),
              "missing or wrong CSRF token: send it");
    /* a little non-ASCII in the English part (the confirmation word) is still English */
    CHECK_STR(web_api_text(&pg, "Potwierdź, wpisując „USUŃ” (confirm the erasure with {\"confirm\": \"USUŃ\"})", 422),
              "confirm the erasure with {\"confirm\": \"USUŃ\"}");
    /* an English tail with Polish letters is dropped */
    CHECK_STR(web_api_text(&pg, "Błąd (the value is wrong): zła wartość", 422), "the value is wrong");
    /* text without Polish letters is shown as it is */
    CHECK_STR(web_api_text(&pg, "case must be a case id (32 hex characters)", 422),
              "case must be a case id (32 hex characters)");
}

static void test_english_pages_without_an_english_part_show_the_status_text(void)
{
    page_in("en");
    /* a legal citation in brackets is not English */
    CHECK_STR(web_api_text(&pg, "Stawka przekracza limit (art. 6k ust. 2a)", 422), "These data cannot be accepted");
    CHECK_STR(web_api_text(&pg, "Nie można teraz usunąć danych: masz sprawy w toku", 409),
              "Conflict with the state of the case");
    CHECK_STR(web_api_text(&pg, "Coś się zepsuło", 599), "Something went wrong");
    CHECK_STR(web_api_text(&pg, "Źle (", 422), "These data cannot be accepted");
}

static void test_numbers(void)
{
    page_in("pl");
    CHECK_STR(web_num(&pg, 1564.98, 2), "1\xC2\xA0"
                                        "564,98");
    page_in("en");
    CHECK_STR(web_num(&pg, 1564.98, 2), "1,564.98");
    CHECK_STR(web_num(&pg, -0.001, 2), "0.00");
}

int main(void)
{
    arena = arena_new(4096);
    RUN(test_polish_pages_keep_the_api_text);
    RUN(test_english_pages_show_the_english_part);
    RUN(test_english_pages_without_an_english_part_show_the_status_text);
    RUN(test_numbers);
    json_decref(pg.msgs);
    arena_free(arena);
    return test_done();
}
