/* check.h: a minimal assertion kit for the native unit tests. Each test
 * binary counts failures and exits non-zero if any check failed, so ctest
 * reports it. Checks name the rule they test in their message. */
#ifndef XW_CHECK_H
#define XW_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        check_count++;                                                     \
        if (!(cond)) {                                                     \
            check_failures++;                                              \
            fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

#define CHECK_STR(got, want, ...)                                          \
    do {                                                                   \
        const char *check_g_ = (got), *check_w_ = (want);                  \
        check_count++;                                                     \
        if (!check_g_ || !check_w_ || strcmp(check_g_, check_w_) != 0) {   \
            check_failures++;                                              \
            fprintf(stderr, "%s:%d: FAILED got \"%s\" want \"%s\": ",      \
                    __FILE__, __LINE__, check_g_ ? check_g_ : "(null)",    \
                    check_w_ ? check_w_ : "(null)");                       \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

static inline int check_report(const char *suite) {
    printf("%s: %d checks, %d failed\n", suite, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
