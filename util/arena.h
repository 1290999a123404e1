/* Region allocator with cleanup hooks: everything allocated from an arena, and everything registered
 * with arena_defer, is released by one arena_free. The arena owns what it returns; callers free nothing. */
#ifndef UTIL_ARENA_H
#define UTIL_ARENA_H
#include <stdarg.h>
#include <stddef.h>

struct arena;

/* Creates an arena whose blocks are at least block_size bytes. Returns NULL when out of memory. */
struct arena *arena_new(size_t block_size);

/* Runs the deferred cleanups in reverse order of registration, then frees all memory. NULL is a no-op. */
void arena_free(struct arena *a);

/* Runs the deferred cleanups, as arena_free, and empties a for reuse: everything it gave out is released,
 * and one block of the arena's block size is kept for the next allocations. */
void arena_reset(struct arena *a);

/* Returns size bytes aligned for any type, zeroed, or NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t size);

char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

/* Registers fn(ptr) to run when the arena is freed (GEOS geometries, statements, surfaces, malloc'd
 * strings). Returns 0, or -1 when out of memory, in which case fn(ptr) has already been called. */
int arena_defer(struct arena *a, void (*fn)(void *), void *ptr);

/* Bytes handed out so far (for limits and tests). */
size_t arena_used(const struct arena *a);

#endif
