/* Whole-buffer DEFLATE through libdeflate (zlib and gzip containers), with one compressor per thread
 * and level kept for the thread's life, and its CRC-32. For PNG IDAT data and gzipped tiles: inputs are
 * whole in memory, so streaming zlib would only add copies. */
#ifndef UTIL_ZBUF_H
#define UTIL_ZBUF_H
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

enum zbuf_container { ZBUF_ZLIB, ZBUF_GZIP };

/* Appends in[0..n) compressed at level (1..12; out of range means 6) in the container to out. */
enum err_code zbuf_compress(enum zbuf_container kind, int level, const void *in, size_t n, struct buf *out,
                            struct err *e);

/* Appends the gzip stream's content to out. The size comes from the stream's trailer; streams claiming
 * more than max bytes, or not gzip, are ERR_INVALID. */
enum err_code zbuf_gunzip(const void *in, size_t n, size_t max, struct buf *out, struct err *e);

/* CRC-32 (as in zlib, PNG and gzip) of p[0..n), continuing from crc (0 to start). */
uint32_t zbuf_crc32(uint32_t crc, const void *p, size_t n);

#endif
