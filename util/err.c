/* The error object and the single status-to-HTTP mapping. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void err_vset(struct err *e, enum err_code code, const char *param, const char *fmt, va_list ap)
{
    if (!e || e->code != ERR_OK)
        return;
    e->code = code;
    snprintf(e->param, sizeof e->param, "%s", param ? param : "");
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

enum err_code err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, code, NULL, fmt, ap);
    va_end(ap);
    return code;
}

enum err_code err_param(struct err *e, const char *param, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, ERR_INVALID, param, fmt, ap);
    va_end(ap);
    return ERR_INVALID;
}

enum err_code err_at(struct err *e, enum err_code code, const char *param, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, code, param, fmt, ap);
    va_end(ap);
    return code;
}

void err_clear(struct err *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}

static const struct {
    const char *name;
    int http;
} err_table[] = {
    [ERR_OK] = {"OK", 200},
    [ERR_INVALID] = {"InvalidParameterValue", 400},
    [ERR_UNAUTHORIZED] = {"Unauthorized", 401},
    [ERR_FORBIDDEN] = {"Forbidden", 403},
    [ERR_NOT_FOUND] = {"NotFound", 404},
    [ERR_METHOD] = {"MethodNotAllowed", 405},
    [ERR_NOT_ACCEPTABLE] = {"NotAcceptable", 406},
    [ERR_CONFLICT] = {"Conflict", 409},
    [ERR_TOO_LARGE] = {"PayloadTooLarge", 413},
    [ERR_MEDIA_TYPE] = {"UnsupportedMediaType", 415},
    [ERR_UNPROCESSABLE] = {"UnprocessableEntity", 422},
    [ERR_TOO_MANY] = {"TooManyRequests", 429},
    [ERR_IO] = {"InternalServerError", 500},
    [ERR_INTERNAL] = {"InternalServerError", 500},
    [ERR_UNAVAILABLE] = {"ServiceUnavailable", 503},
    [ERR_RANGE] = {"RangeNotSatisfiable", 416},
};

const char *err_name(enum err_code code)
{
    if ((unsigned)code >= sizeof err_table / sizeof err_table[0])
        return "InternalServerError";
    return err_table[code].name;
}

int err_http_status(enum err_code code)
{
    if ((unsigned)code >= sizeof err_table / sizeof err_table[0])
        return 500;
    return err_table[code].http;
}
