/* rcc.h — public API of librcc: Robust Contrastive Clustering in C.
 * The library never prints and never exits: every call returns an rcc_status,
 * and rcc_last_error() gives a sentence on what went wrong. */
#ifndef RCC_H
#define RCC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RCC_VERSION_MAJOR 0
#define RCC_VERSION_MINOR 1
#define RCC_VERSION_PATCH 0
#define RCC_VERSION_STRING "0.1.0"

typedef enum {
    RCC_OK = 0,
    RCC_ERR_NOMEM,        /* an allocation failed */
    RCC_ERR_IO,           /* a file could not be opened, read or written */
    RCC_ERR_FORMAT,       /* a file is not in the expected format */
    RCC_ERR_ARG,          /* an argument is out of range or inconsistent */
    RCC_ERR_BACKEND,      /* oneDNN refused or failed an operation */
    RCC_ERR_NUMERIC,      /* a NaN or infinity appeared */
    RCC_ERR_INTERRUPTED   /* stopped on request (signal) */
} rcc_status;

/* A constant string naming the status. */
const char *rcc_strerror(rcc_status status);
/* The detail of the last error on this thread ("" if none). */
const char *rcc_last_error(void);
/* "0.1.0" */
const char *rcc_version(void);

/* Number of threads used by the compute kernels (OpenMP and oneDNN). */
void rcc_set_threads(int threads);
int rcc_get_threads(void);

#ifdef __cplusplus
}
#endif
#endif
