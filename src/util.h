/* util.h — small helpers shared by the library: errors, aligned allocation, checked macros. */
#ifndef RCC_UTIL_H
#define RCC_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "rcc.h"

#if defined(__GNUC__)
#define RCC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define RCC_PRINTF(a, b)
#endif

/* rcc_fail: include/rcc.h. */

/* 64-byte aligned allocation, zero-filled; NULL on failure or zero size. */
void *rcc_alloc(size_t bytes);
void rcc_free(void *p);

#define RCC_TRY(expr)                       \
    do {                                    \
        rcc_status rcc_try_s_ = (expr);     \
        if (rcc_try_s_ != RCC_OK)           \
            return rcc_try_s_;              \
    } while (0)

/* RCC_OK when lo <= v <= hi, else RCC_ERR_ARG naming the setting: "name = v is out of range [lo, hi]". */
rcc_status rcc_check_range(const char *name, double v, double lo, double hi);

/* RCC_PATH_MAX, RCC_DIR_MAX, rcc_path_join: include/rcc.h. */

/* snprintf into a name buffer; fails (RCC_ERR_ARG) if the name does not fit. */
rcc_status rcc_name(char *dst, size_t size, const char *fmt, const char *arg);

/* Index of the largest of x[0..n) (the first on ties). */
static inline int rcc_argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

#define RCC_ALIGN 64
static inline size_t rcc_align_up(size_t n) { return (n + RCC_ALIGN - 1) & ~(size_t)(RCC_ALIGN - 1); }

#endif
