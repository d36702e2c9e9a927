/* npy.h — NumPy .npy files, shared by the data module (images and labels, streamed from the file)
 * and evaluation (features, labels, predictions): the header parser, which works on a byte buffer,
 * the dtypes we read and element conversion (the writers are public, in rcc_eval.h).
 *
 * The format: "\x93NUMPY", major and minor version, the header length (2 bytes little-endian in
 * version 1, 4 in versions 2 and 3), a Python dict literal such as
 * {'descr': '<f4', 'fortran_order': False, 'shape': (10, 3), } padded with spaces and '\n', then
 * the data. Every error names the file and the problem. */
#ifndef RCC_NPY_H
#define RCC_NPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "rcc.h"

#define RCC_NPY_MAX_DIMS 8
#define RCC_NPY_MAX_DICT ((uint64_t)1 << 20)                /* header dict length we accept */
#define RCC_NPY_MAX_HEADER ((size_t)RCC_NPY_MAX_DICT + 12) /* bytes of a file enough to parse it */
#define RCC_NPY_MAX_ELEMS ((uint64_t)1 << 40)               /* per dimension and in all */

typedef enum { RCC_NPY_FLOAT = 'f', RCC_NPY_INT = 'i', RCC_NPY_UINT = 'u', RCC_NPY_BOOL = 'b' } rcc_npy_kind;

/* The element types we read: f4 f8, i1 i2 i4 i8, u1 u2 u4 u8, b1. Big-endian ones are refused by
 * the parser, so the data is always little-endian (or single bytes). */
typedef struct {
    rcc_npy_kind kind;
    int size;       /* bytes per element: 1, 2, 4 or 8 */
    char order;     /* '<' little-endian, '|' single byte */
    char descr[16]; /* as written in the header ("<f4", "|u1"): for messages */
} rcc_npy_dtype;

typedef struct {
    int version; /* 1, 2 or 3 */
    rcc_npy_dtype dtype;
    bool fortran; /* column-major data */
    int ndim;     /* 0 (a scalar) to RCC_NPY_MAX_DIMS */
    uint64_t shape[RCC_NPY_MAX_DIMS];
    uint64_t count;  /* elements: the product of the shape (1 when 0-D), at most RCC_NPY_MAX_ELEMS */
    uint64_t offset; /* of the data, from the start of the file */
} rcc_npy_header;

/* Parses the header at the start of buf. len is what the caller has: the whole file, or its first
 * RCC_NPY_MAX_HEADER bytes when it is longer (so "the header does not fit" means truncated). The
 * data size is not checked here (see rcc_npy_open). */
rcc_status rcc_npy_parse_header(const char *path, const unsigned char *buf, size_t len, rcc_npy_header *h);

/* Bytes of data the header announces (count · element size; at most 2^43). */
static inline uint64_t rcc_npy_data_bytes(const rcc_npy_header *h) { return h->count * (uint64_t)h->dtype.size; }

/* Opens a regular file, parses its header from the first bytes and checks the data size against the
 * file size before anything large is allocated: fewer bytes than announced is always an error, more
 * only when exact_size. *f is left at the start of the data; the caller closes it. */
rcc_status rcc_npy_open(const char *path, bool exact_size, FILE **f, rcc_npy_header *h);
/* Reads the announced data from f's position into a new malloc'ed buffer (at least 1 byte, suitably
 * aligned for any element type, so f4 data can be converted to float in place). */
rcc_status rcc_npy_read_data(const char *path, FILE *f, const rcc_npy_header *h, unsigned char **data);

/* n elements of type t at src to float (f8 rounded; integers converted). dst may be src itself when
 * the elements are 4 bytes or wider: the conversion runs front to back. */
void rcc_npy_to_f32(const rcc_npy_dtype *t, const unsigned char *src, size_t n, float *dst);
/* n elements to int, each checked to be an integer in lo..hi (floats must hold integral values);
 * an error names path, the value and its position, calling it `what` ("label", "element"). */
rcc_status rcc_npy_to_int(const char *path, const char *what, const rcc_npy_dtype *t, const unsigned char *src,
                          size_t n, int lo, int hi, int *dst);

/* The writers, rcc_npy_write_f32 and rcc_npy_write_i32, are public: rcc_eval.h. */

#endif
