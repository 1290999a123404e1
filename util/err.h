/* Status codes and the error object: 0 is success, and an error keeps only its first message. */
#ifndef UTIL_ERR_H
#define UTIL_ERR_H

enum err_code {
    ERR_OK = 0,
    ERR_INVALID,        /* bad parameter or input; 400 */
    ERR_UNAUTHORIZED,   /* 401 */
    ERR_FORBIDDEN,      /* 403 */
    ERR_NOT_FOUND,      /* 404 */
    ERR_METHOD,         /* 405 */
    ERR_NOT_ACCEPTABLE, /* 406 */
    ERR_CONFLICT,       /* 409 */
    ERR_TOO_LARGE,      /* 413 */
    ERR_MEDIA_TYPE,     /* 415 */
    ERR_UNPROCESSABLE,  /* well-formed but invalid content; 422 */
    ERR_TOO_MANY,       /* 429 */
    ERR_IO,             /* file or database failure; 500 */
    ERR_INTERNAL,       /* bug or library failure; 500 */
    ERR_UNAVAILABLE,    /* 503 */
    ERR_RANGE,          /* no requested byte range overlaps the body; 416 */
};

/* An error: the code and message of the first failure, and optionally the parameter it concerns. */
struct err {
    enum err_code code;
    char param[64];
    char msg[512];
};

/* Records an error unless one is already recorded; returns code so callers can `return err_set(...)`.
 * e may be NULL. Set a breakpoint here to stop at the first failure. */
enum err_code err_set(struct err *e, enum err_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As err_set, naming the request parameter that caused it. */
enum err_code err_param(struct err *e, const char *param, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As err_param with another code than ERR_INVALID: a 422 for a well-formed but unacceptable value, a 404
 * for a named thing that is not there. */
enum err_code err_at(struct err *e, enum err_code code, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Clears e to ERR_OK. */
void err_clear(struct err *e);

/* The OGC API style name for a code: "InvalidParameterValue", "NotFound", ... */
const char *err_name(enum err_code code);

/* The one mapping from status to HTTP status code. */
int err_http_status(enum err_code code);

#endif
