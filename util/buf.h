/* A growable byte buffer for building large responses. It owns its memory (malloc); buf_free or
 * buf_detach releases it. Appends after an allocation failure are ignored and buf->failed stays set
 * (a sticky status, checked once at the end). */
#ifndef UTIL_BUF_H
#define UTIL_BUF_H
#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *data; /* NUL-terminated when len > 0 */
    size_t len, cap;
    bool failed;
};

void buf_append(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void buf_json_string(struct buf *b, const char *s);
void buf_free(struct buf *b);
/* Room for n more bytes at the end, to be written by the caller and then counted with buf_commit; NULL
 * (and failed set) when it cannot grow. */
char *buf_space(struct buf *b, size_t n);
/* Counts n bytes written into the room buf_space gave (n no more than asked). */
void buf_commit(struct buf *b, size_t n);
/* Appends the whole file at path. False when it cannot be opened or read (errno tells why), or when the
 * buffer could not grow (b->failed); b keeps what was appended either way. */
bool buf_read_file(struct buf *b, const char *path);

#endif
