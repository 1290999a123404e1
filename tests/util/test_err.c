/* Tests for util/err: the first error wins, with its parameter, and the one HTTP mapping. */
#include "util/err.h"

#include <string.h>

#include "tests/test.h"

static void first_error_wins_with_its_parameter(void)
{
    struct err e = {0};
    CHECK(err_at(&e, ERR_UNPROCESSABLE, "amount", "amount must look like %s", "59.00") == ERR_UNPROCESSABLE);
    CHECK(e.code == ERR_UNPROCESSABLE && !strcmp(e.param, "amount") && !strcmp(e.msg, "amount must look like 59.00"));
    /* a later error, with or without a parameter, changes nothing */
    CHECK(err_at(&e, ERR_NOT_FOUND, "address", "later") == ERR_NOT_FOUND);
    CHECK(err_param(&e, "x", "later") == ERR_INVALID);
    CHECK(err_set(&e, ERR_IO, "later") == ERR_IO);
    CHECK(e.code == ERR_UNPROCESSABLE && !strcmp(e.param, "amount") && !strcmp(e.msg, "amount must look like 59.00"));
    err_clear(&e);
    CHECK(e.code == ERR_OK && !e.param[0]);
    CHECK(err_at(NULL, ERR_NOT_FOUND, "p", "no record") == ERR_NOT_FOUND);
    CHECK(err_http_status(ERR_UNPROCESSABLE) == 422 && err_http_status(ERR_NOT_FOUND) == 404 &&
          err_http_status(ERR_INVALID) == 400);
}

int main(void)
{
    RUN(first_error_wins_with_its_parameter);
    return test_done();
}
