/* A 40-line test helper: a failing CHECK prints its place (the first 10 per test); each test prints one
 * "PASS name" or "FAIL name" line, and test_done() prints "N passed, N failed". */
#ifndef TESTS_TEST_H
#define TESTS_TEST_H
#include <stdio.h>
#include <string.h>

static int test_passed, test_failed, test_cur_failed;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond) && test_cur_failed++ < 10)                                                                         \
            printf("  check failed: %s:%d: %s\n", __FILE__, __LINE__, #cond);                                          \
    } while (0)

static inline int test_streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

#define CHECK_STR(a, b)                                                                                                \
    do {                                                                                                               \
        const char *a_ = (a), *b_ = (b);                                                                               \
        if (!test_streq(a_, b_) && test_cur_failed++ < 10)                                                             \
            printf("  check failed: %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, a_ ? a_ : "(null)",                \
                   b_ ? b_ : "(null)");                                                                                \
    } while (0)

#define RUN(fn)                                                                                                        \
    do {                                                                                                               \
        test_cur_failed = 0;                                                                                           \
        fn();                                                                                                          \
        if (test_cur_failed)                                                                                           \
            test_failed++, printf("FAIL %s\n", #fn);                                                                   \
        else                                                                                                           \
            test_passed++, printf("PASS %s\n", #fn);                                                                   \
        fflush(stdout);                                                                                                \
    } while (0)

static inline int test_done(void)
{
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}
#endif
