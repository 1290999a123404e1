/* libdeflate with per-thread compressors. */
#include "util/zbuf.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ZBUF_LEVELS 13

struct compressors {
    struct libdeflate_compressor *c[ZBUF_LEVELS];
};

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void compressors_free(void *p)
{
    struct compressors *cs = p;
    for (int i = 0; i < ZBUF_LEVELS; i++)
        libdeflate_free_compressor(cs->c[i]);
    free(cs);
}

static void key_init(void)
{
    pthread_key_create(&key, compressors_free);
}

/* This thread's compressor for level (allocating it costs more than compressing a small tile). */
static struct libdeflate_compressor *compressor(int level)
{
    pthread_once(&once, key_init);
    struct compressors *cs = pthread_getspecific(key);
    if (!cs) {
        cs = calloc(1, sizeof *cs);
        if (!cs || pthread_setspecific(key, cs) != 0) {
            free(cs);
            return NULL;
        }
    }
    if (!cs->c[level])
        cs->c[level] = libdeflate_alloc_compressor(level);
    return cs->c[level];
}

enum err_code zbuf_compress(enum zbuf_container kind, int level, const void *in, size_t n, struct buf *out,
                            struct err *e)
{
    if (level < 1 || level >= ZBUF_LEVELS)
        level = 6;
    struct libdeflate_compressor *c = compressor(level);
    if (!c)
        return err_set(e, ERR_INTERNAL, "out of memory");
    size_t bound = kind == ZBUF_GZIP ? libdeflate_gzip_compress_bound(c, n) : libdeflate_zlib_compress_bound(c, n);
    char *dst = buf_space(out, bound);
    if (!dst)
        return err_set(e, ERR_INTERNAL, "out of memory");
    size_t got = kind == ZBUF_GZIP ? libdeflate_gzip_compress(c, in, n, dst, bound)
                                   : libdeflate_zlib_compress(c, in, n, dst, bound);
    if (!got)
        return err_set(e, ERR_INTERNAL, "deflate failed");
    buf_commit(out, got);
    return ERR_OK;
}

enum err_code zbuf_gunzip(const void *in, size_t n, size_t max, struct buf *out, struct err *e)
{
    const unsigned char *p = in;
    if (n < 18 || p[0] != 0x1f || p[1] != 0x8b)
        return err_set(e, ERR_INVALID, "not a gzip stream");
    size_t size = (size_t)p[n - 4] | (size_t)p[n - 3] << 8 | (size_t)p[n - 2] << 16 | (size_t)p[n - 1] << 24;
    if (size > max)
        return err_set(e, ERR_INVALID, "gzip stream larger than %zu bytes", max);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    if (!d)
        return err_set(e, ERR_INTERNAL, "out of memory");
    char *dst = buf_space(out, size);
    size_t got = 0;
    enum libdeflate_result r = dst ? libdeflate_gzip_decompress(d, in, n, dst, size, &got) : LIBDEFLATE_SUCCESS;
    libdeflate_free_decompressor(d);
    if (!dst)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (r != LIBDEFLATE_SUCCESS || got != size)
        return err_set(e, ERR_INVALID, "not a valid gzip stream");
    buf_commit(out, got);
    return ERR_OK;
}

uint32_t zbuf_crc32(uint32_t crc, const void *p, size_t n)
{
    /* libdeflate_crc32(crc, NULL, 0) answers the initial value 0, not crc: an empty chunk such as
     * PNG's IEND would get a zero CRC */
    if (n == 0)
        return crc;
    return libdeflate_crc32(crc, p, n);
}
