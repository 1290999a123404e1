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
    RUN(buf_json);
    return test_done();
}
