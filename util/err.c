/* The error object: the first failure's code, parameter and message, and the codes' stable names. */
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

enum err_code err_recast(struct err *e, enum err_code code, const struct err *cause)
{
    if (!e)
        return code;
    if (e->code == ERR_OK && cause)
        err_at(e, code, cause->param[0] ? cause->param : NULL, "%s", cause->msg);
    else if (e->code == ERR_OK)
        e->code = code;
    return e->code;
}

void err_clear(struct err *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}

static const char *const err_names[] = {
    [ERR_OK] = "OK",
    [ERR_INVALID] = "InvalidParameterValue",
    [ERR_UNAUTHORIZED] = "Unauthorized",
    [ERR_FORBIDDEN] = "Forbidden",
    [ERR_NOT_FOUND] = "NotFound",
    [ERR_METHOD] = "MethodNotAllowed",
    [ERR_NOT_ACCEPTABLE] = "NotAcceptable",
    [ERR_CONFLICT] = "Conflict",
    [ERR_TOO_LARGE] = "PayloadTooLarge",
    [ERR_MEDIA_TYPE] = "UnsupportedMediaType",
    [ERR_UNPROCESSABLE] = "UnprocessableEntity",
    [ERR_TOO_MANY] = "TooManyRequests",
    [ERR_IO] = "InternalServerError",
    [ERR_INTERNAL] = "InternalServerError",
    [ERR_UNAVAILABLE] = "ServiceUnavailable",
    [ERR_RANGE] = "RangeNotSatisfiable",
};

const char *err_name(enum err_code code)
{
    if ((unsigned)code >= sizeof err_names / sizeof err_names[0] || !err_names[code])
        return "InternalServerError";
    return err_names[code];
}
