/* Status codes and the error object: 0 is success, and an error keeps only its first message (sticky, as
 * cairo's status and SQLite's error text on the handle). The codes say what went wrong in the domain's
 * terms; which HTTP status a code becomes is decided in one place, in the HTTP layer (services/http.h). */
#ifndef UTIL_ERR_H
#define UTIL_ERR_H

enum err_code {
    ERR_OK = 0,
    ERR_INVALID,        /* malformed parameter or input */
    ERR_UNAUTHORIZED,   /* who is asking is not known */
    ERR_FORBIDDEN,      /* known, but not allowed */
    ERR_NOT_FOUND,      /* the named thing does not exist */
    ERR_METHOD,         /* the operation does not apply to this resource */
    ERR_NOT_ACCEPTABLE, /* no representation the caller accepts */
    ERR_CONFLICT,       /* contradicts what is already recorded */
    ERR_TOO_LARGE,      /* over a size limit */
    ERR_MEDIA_TYPE,     /* input in a format that is not read */
    ERR_UNPROCESSABLE,  /* well-formed, but its content is not acceptable */
    ERR_TOO_MANY,       /* over a rate limit */
    ERR_IO,             /* file or database failure */
    ERR_INTERNAL,       /* bug or library failure */
    ERR_UNAVAILABLE,    /* a needed resource is not available now */
    ERR_RANGE,          /* no requested part lies within the data */
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

/* Records cause under another code, keeping its message and parameter, unless e already holds an error:
 * for a caller that classifies a lower layer's failure differently (a parcel not found is unprocessable
 * content of the submission). The lower layer reports into a local err, never into e, so that no error
 * once recorded is changed. Returns the code e holds. */
enum err_code err_recast(struct err *e, enum err_code code, const struct err *cause);

/* Clears e to ERR_OK. */
void err_clear(struct err *e);

/* The stable name of a code in error documents (OGC API style): "InvalidParameterValue", "NotFound", ... */
const char *err_name(enum err_code code);

#endif
