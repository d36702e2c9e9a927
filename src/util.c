/* util.c — error reporting, aligned allocation, paths. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_error[512];

rcc_status rcc_fail(rcc_status status, const char *fmt, ...)
{
    /* formatted aside first: callers may pass rcc_last_error() itself as an argument, to wrap the
     * previous message ("file: %s"), and vsnprintf must not read the buffer it writes */
    char msg[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return status;
}

const char *rcc_last_error(void) { return last_error; }

const char *rcc_strerror(rcc_status status)
{
    switch (status) {
    case RCC_OK: return "success";
    case RCC_ERR_NOMEM: return "out of memory";
    case RCC_ERR_IO: return "input/output error";
    case RCC_ERR_FORMAT: return "bad file format";
    case RCC_ERR_ARG: return "invalid argument";
    case RCC_ERR_BACKEND: return "oneDNN error";
    case RCC_ERR_NUMERIC: return "numerical error (NaN or infinity)";
    case RCC_ERR_INTERRUPTED: return "interrupted";
    }
    return "unknown status";
}

const char *rcc_version(void) { return RCC_VERSION_STRING; }

void *rcc_alloc(size_t bytes)
{
    if (bytes == 0)
        return NULL;
    void *p = aligned_alloc(RCC_ALIGN, rcc_align_up(bytes));
    if (p)
        memset(p, 0, rcc_align_up(bytes));
    return p;
}

void rcc_free(void *p) { free(p); }

rcc_status rcc_check_range(const char *name, double v, double lo, double hi)
{
    if (v >= lo && v <= hi)
        return RCC_OK;
    return rcc_fail(RCC_ERR_ARG, "%s = %g is out of range [%g, %g]", name, v, lo, hi);
}

rcc_status rcc_path_join(char *dst, size_t size, const char *dir, const char *name)
{
    int n = snprintf(dst, size, "%s/%s", dir, name);
    if (n >= 0 && (size_t)n < size)
        return RCC_OK;
    if (size)
        dst[0] = 0;
    return rcc_fail(RCC_ERR_ARG, "path too long (over %d bytes): %s/%s", RCC_PATH_MAX - 1, dir, name);
}

rcc_status rcc_name(char *dst, size_t size, const char *fmt, const char *arg)
{
    int n = snprintf(dst, size, fmt, arg);
    if (n < 0 || (size_t)n >= size)
        return rcc_fail(RCC_ERR_ARG, "name too long: %s", arg);
    return RCC_OK;
}
