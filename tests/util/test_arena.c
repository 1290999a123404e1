/* Tests for util/arena and util/buf: alignment, large blocks, cleanups in reverse order, JSON escaping. */
#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>

#include "tests/test.h"
#include "util/buf.h"

static int order[4], norder;

static void note(void *p)
{
    order[norder++] = (int)(intptr_t)p;
}

static void arena_basics(void)
{
    struct arena *a = arena_new(1024);
    CHECK(a != NULL);
    for (int i = 0; i < 1000; i++) {
        char *p = arena_alloc(a, (size_t)i % 37 + 1);
        CHECK(p && ((uintptr_t)p % _Alignof(max_align_t)) == 0);
    }
    char *big = arena_alloc(a, 1 << 20);
    CHECK(big && big[0] == 0 && big[(1 << 20) - 1] == 0);
    CHECK_STR(arena_printf(a, "%s-%d", "ab", 7), "ab-7");
    CHECK_STR(arena_strndup(a, "abcdef", 3), "abc");
    CHECK(arena_strdup(a, NULL) == NULL);
    norder = 0;
    arena_defer(a, note, (void *)1);
    arena_defer(a, note, (void *)2);
    arena_defer(a, free, malloc(10));
    arena_free(a);
    CHECK(norder == 2 && order[0] == 2 && order[1] == 1);
    arena_free(NULL);
}

/* A reset arena runs its cleanups, keeps one block and serves again from it; run under ASan, a block
 * freed twice or used after its release would show. */
static void arena_reset_reuses(void)
{
    struct arena *a = arena_new(1024);
    for (int round = 0; round < 3; round++) {
        char *first = arena_alloc(a, 16);
        CHECK(first && first[0] == 0);
        first[0] = 'x';
        for (int i = 0; i < 200; i++)
            CHECK(arena_alloc(a, 40) != NULL);  /* more blocks */
        CHECK(arena_alloc(a, 1 << 16) != NULL); /* a large one behind */
        norder = 0;
        arena_defer(a, note, (void *)3);
        arena_defer(a, free, malloc(10));
        arena_reset(a);
        CHECK(norder == 1 && order[0] == 3);
        char *again = arena_alloc(a, 16);
        CHECK(again && again[0] == 0); /* zeroed, as every allocation */
    }
    arena_free(a);
    a = arena_new(1024);
    arena_reset(a); /* nothing allocated yet */
    CHECK(arena_alloc(a, 8) != NULL);
    arena_free(a);
}

static void buf_json(void)
{
    struct buf b = {0};
    buf_json_string(&b, "a\"b\\c\n\x01Ł");
    CHECK_STR(b.data, "\"a\\\"b\\\\c\\n\\u0001Ł\"");
    buf_printf(&b, "%0300d", 5);
    CHECK(b.len == strlen(b.data) && !b.failed);
    buf_free(&b);
    CHECK(b.data == NULL && b.len == 0);
}

int main(void)
{
    RUN(arena_basics);
    RUN(arena_reset_reuses);
    RUN(buf_json);
    return test_done();
}
