/* SHA-256 in hex, by OpenSSL (which uses the processor's SHA extensions where it has them: several times
 * faster than GLib's g_compute_checksum_for_data on the PDFs odra hashes). */
#ifndef UTIL_SHA256_H
#define UTIL_SHA256_H
#include <stddef.h>

/* Writes the SHA-256 of data[0..len) into out as 64 lower-case hex digits and a NUL; returns out. */
char *sha256_hex(const void *data, size_t len, char out[65]);

#endif
