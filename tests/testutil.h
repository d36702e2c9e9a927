/* testutil.h — a minimal test harness: checks that count and report, tolerance comparisons that
 * say where the worst element is, and conversion between oneDNN layouts and plain arrays. */
#ifndef RCC_TESTUTIL_H
#define RCC_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include "dnn.h"
#include "rng.h"

extern int t_passed, t_failed;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (cond) {                                                           \
            t_passed++;                                                       \
        } else {                                                              \
            t_failed++;                                                       \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);              \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

#define CHECK_OK(expr)                                                                       \
    do {                                                                                     \
        rcc_status s_ = (expr);                                                              \
        CHECK(s_ == RCC_OK, "%s -> %s: %s", #expr, rcc_strerror(s_), rcc_last_error());     \
    } while (0)

/* max_i |got−want| ≤ tol · max(max_i |want|, floor): errors relative to the tensor's scale. */
bool close_scaled(const char *what, const float *got, const float *want, size_t n, double tol, double floor);
/* every i: |got−want| ≤ atol + rtol·|want| */
bool close_elem(const char *what, const float *got, const float *want, size_t n, double rtol, double atol);
int test_finish(const char *name);

void fill_uniform(float *x, size_t n, rcc_rng *r, float lo, float hi);
/* Copies between an activation (any layout) and a plain row-major array of its logical dims. */
void act_to_plain(const rcc_act *t, float *dst);
void plain_to_act(const float *src, rcc_act *t);
double dot_d(const float *a, const float *b, size_t n);

/* Whole-file helpers: write_bytes exits(2) on failure; read_bytes returns NULL if unreadable. */
void write_bytes(const char *path, const void *data, size_t n);
unsigned char *read_bytes(const char *path, size_t *n);

#endif
