/* Tests for util/err: the first error wins, with its parameter; a recast keeps the cause's text and never
 * changes an error already recorded. */
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
    CHECK(!strcmp(err_name(ERR_NOT_FOUND), "NotFound") && !strcmp(err_name((enum err_code)999), "InternalServerError"));
}

static void recast_keeps_the_cause_and_the_first_error(void)
{
    struct err e = {0}, cause = {0};
    err_at(&cause, ERR_NOT_FOUND, "parcel", "no parcel %s", "1/2");
    CHECK(err_recast(&e, ERR_UNPROCESSABLE, &cause) == ERR_UNPROCESSABLE);
    CHECK(e.code == ERR_UNPROCESSABLE && !strcmp(e.param, "parcel") && !strcmp(e.msg, "no parcel 1/2"));
    /* e is taken: a second recast changes nothing */
    struct err other = {0};
    err_set(&other, ERR_IO, "disk");
    CHECK(err_recast(&e, ERR_INTERNAL, &other) == ERR_UNPROCESSABLE && !strcmp(e.msg, "no parcel 1/2"));
    CHECK(err_recast(NULL, ERR_IO, &other) == ERR_IO);
}

int main(void)
{
    RUN(first_error_wins_with_its_parameter);
    RUN(recast_keeps_the_cause_and_the_first_error);
    return test_done();
}
