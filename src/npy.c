/* npy.c — the one .npy header parser, element conversion and writers, used by the data module and by
 * evaluation (see npy.h). The parser reads only a buffer, so a caller streaming a large file hands
 * it the first bytes and reads the data itself, after the size check. */
#include "npy.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "rcc_eval.h" /* the writers' declarations */
#include "util.h"

/* ---------------------------------------------------------------- the header dict */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return s;
}

/* Finds 'key' (or "key") and its colon in the dict and returns the text after it, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
    char q1[40], q2[40];
    snprintf(q1, sizeof q1, "'%s'", key);
    snprintf(q2, sizeof q2, "\"%s\"", key);
    const char *p = strstr(dict, q1);
    if (!p)
        p = strstr(dict, q2);
    if (!p)
        return NULL;
    p = skip_ws(p + strlen(q1));
    if (*p != ':')
        return NULL;
    return skip_ws(p + 1);
}

/* 'descr': an optional byte order ('<', '>', '|', '='), a kind and a size, e.g. '<f4'. */
static rcc_status parse_descr(const char *path, const char *v, rcc_npy_dtype *t)
{
    char q = v ? *v : 0;
    const char *end = (q == '\'' || q == '"') ? strchr(v + 1, q) : NULL;
    if (!end || end == v + 1 || (size_t)(end - v - 1) >= sizeof t->descr)
        return rcc_fail(RCC_ERR_FORMAT, "%s: .npy header has no readable 'descr'", path);
    memcpy(t->descr, v + 1, (size_t)(end - v - 1));
    const char *d = t->descr;
    char order = d[0] && strchr("<>|=", d[0]) ? *d++ : '=';
    int size = d[0] && isdigit((unsigned char)d[1]) && !d[2] ? d[1] - '0' : 0;
    bool ok = (d[0] == 'f' && (size == 4 || size == 8)) || (d[0] == 'b' && size == 1) ||
              ((d[0] == 'i' || d[0] == 'u') && (size == 1 || size == 2 || size == 4 || size == 8));
    if (!ok)
        return rcc_fail(RCC_ERR_FORMAT,
                        "%s: .npy dtype '%s' is not supported (readable: f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)", path,
                        t->descr);
    if (order == '>' && size > 1)
        return rcc_fail(RCC_ERR_FORMAT,
                        "%s: .npy dtype '%s' is big-endian; only little-endian data is read (in NumPy: "
                        "a.astype('<%c%d'))", path, t->descr, d[0], size);
    t->kind = (rcc_npy_kind)d[0];
    t->size = size;
    t->order = size == 1 ? '|' : '<'; /* '=' and '|' on wider types: this machine is little-endian */
    return RCC_OK;
}

/* 'shape': a tuple of non-negative integers ("()", "(5,)", "(2, 3)"; Python 2's "3L" too). */
static rcc_status parse_shape(const char *path, const char *v, rcc_npy_header *h)
{
    if (!v || *v != '(')
        return rcc_fail(RCC_ERR_FORMAT, "%s: .npy header has no readable 'shape'", path);
    const char *p = skip_ws(v + 1);
    h->count = 1;
    while (*p != ')') {
        if (!isdigit((unsigned char)*p))
            return rcc_fail(RCC_ERR_FORMAT, "%s: unreadable .npy shape (expected a tuple of integers)", path);
        if (h->ndim == RCC_NPY_MAX_DIMS)
            return rcc_fail(RCC_ERR_FORMAT, "%s: .npy shape has more than %d dimensions", path, RCC_NPY_MAX_DIMS);
        errno = 0;
        char *e;
        unsigned long long d = strtoull(p, &e, 10);
        if (errno || d > RCC_NPY_MAX_ELEMS)
            return rcc_fail(RCC_ERR_FORMAT, "%s: absurd .npy shape: dimension %d is %.*s (limit 2^40)", path,
                            h->ndim, (int)(e - p), p);
        /* each factor is at most 2^40 and the product so far too, so the check cannot overflow */
        if (d && h->count > RCC_NPY_MAX_ELEMS / d)
            return rcc_fail(RCC_ERR_FORMAT, "%s: absurd .npy shape: more than 2^40 elements", path);
        h->shape[h->ndim++] = d;
        h->count *= d;
        p = e;
        if (*p == 'L')
            p++;
        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
        else if (*p != ')')
            return rcc_fail(RCC_ERR_FORMAT, "%s: unreadable .npy shape (expected a tuple of integers)", path);
    }
    return RCC_OK;
}

rcc_status rcc_npy_parse_header(const char *path, const unsigned char *b, size_t len, rcc_npy_header *h)
{
    memset(h, 0, sizeof *h);
    if (len < 6 || memcmp(b, "\x93NUMPY", 6) != 0)
        return rcc_fail(RCC_ERR_FORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", path);
    if (len < 10)
        return rcc_fail(RCC_ERR_FORMAT, "%s: truncated .npy header (%zu bytes)", path, len);
    uint64_t dict_len, start;
    if (b[6] == 1) {
        dict_len = b[8] | (uint64_t)b[9] << 8;
        start = 10;
    } else if (b[6] == 2 || b[6] == 3) {
        if (len < 12)
            return rcc_fail(RCC_ERR_FORMAT, "%s: truncated .npy header (%zu bytes)", path, len);
        dict_len = b[8] | (uint64_t)b[9] << 8 | (uint64_t)b[10] << 16 | (uint64_t)b[11] << 24;
        start = 12;
    } else {
        return rcc_fail(RCC_ERR_FORMAT, "%s: .npy format version %d.%d is not supported (expected 1, 2 or 3)", path,
                        b[6], b[7]);
    }
    h->version = b[6];
    if (dict_len > RCC_NPY_MAX_DICT)
        return rcc_fail(RCC_ERR_FORMAT, "%s: .npy header length %llu is over the limit of %llu bytes: corrupt file?",
                        path, (unsigned long long)dict_len, (unsigned long long)RCC_NPY_MAX_DICT);
    if (start + dict_len > len)
        return rcc_fail(RCC_ERR_FORMAT, "%s: truncated .npy header: it announces %llu bytes, only %llu follow", path,
                        (unsigned long long)dict_len, (unsigned long long)(len - start));
    char *dict = malloc(dict_len + 1);
    if (!dict)
        return rcc_fail(RCC_ERR_NOMEM, "%s: .npy header", path);
    memcpy(dict, b + start, dict_len);
    dict[dict_len] = 0;
    rcc_status st = parse_descr(path, dict_value(dict, "descr"), &h->dtype);
    if (st == RCC_OK) {
        const char *v = dict_value(dict, "fortran_order");
        if (v && strncmp(v, "False", 5) == 0)
            h->fortran = false;
        else if (v && strncmp(v, "True", 4) == 0)
            h->fortran = true;
        else
            st = rcc_fail(RCC_ERR_FORMAT, "%s: .npy header has no readable 'fortran_order'", path);
    }
    if (st == RCC_OK)
        st = parse_shape(path, dict_value(dict, "shape"), h);
    free(dict);
    h->offset = start + dict_len;
    return st;
}

/* ---------------------------------------------------------------- files */

static rcc_status check_size(const char *path, const rcc_npy_header *h, uint64_t file_size, bool exact)
{
    uint64_t need = rcc_npy_data_bytes(h), have = file_size - h->offset; /* the header fitted in the file */
    if (need > have)
        return rcc_fail(RCC_ERR_FORMAT, "%s: truncated: the header announces %llu bytes of data, the file has %llu",
                        path, (unsigned long long)need, (unsigned long long)have);
    if (exact && need < have)
        return rcc_fail(RCC_ERR_FORMAT, "%s: %llu bytes more than the header announces: corrupt .npy file?", path,
                        (unsigned long long)(have - need));
    return RCC_OK;
}

rcc_status rcc_npy_open(const char *path, bool exact_size, FILE **fp, rcc_npy_header *h)
{
    *fp = NULL;
    memset(h, 0, sizeof *h);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: not a regular file", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    uint64_t fsize = (uint64_t)sb.st_size;
    size_t want = fsize < RCC_NPY_MAX_HEADER ? (size_t)fsize : RCC_NPY_MAX_HEADER;
    unsigned char *head = malloc(want ? want : 1);
    rcc_status st = RCC_OK;
    if (!head)
        st = rcc_fail(RCC_ERR_NOMEM, "%s: .npy header", path);
    else if (fread(head, 1, want, f) != want)
        st = rcc_fail(RCC_ERR_IO, "%s: cannot read the .npy header", path);
    if (st == RCC_OK)
        st = rcc_npy_parse_header(path, head, want, h);
    free(head);
    if (st == RCC_OK)
        st = check_size(path, h, fsize, exact_size);
    if (st == RCC_OK && fseek(f, (long)h->offset, SEEK_SET) != 0)
        st = rcc_fail(RCC_ERR_IO, "%s: cannot seek to the .npy data: %s", path, strerror(errno));
    if (st != RCC_OK) {
        fclose(f);
        return st;
    }
    *fp = f;
    return RCC_OK;
}

rcc_status rcc_npy_read_data(const char *path, FILE *f, const rcc_npy_header *h, unsigned char **data)
{
    *data = NULL;
    uint64_t bytes = rcc_npy_data_bytes(h);
    if ((size_t)bytes != bytes)
        return rcc_fail(RCC_ERR_NOMEM, "%s: %llu bytes of data", path, (unsigned long long)bytes);
    unsigned char *b = malloc(bytes ? (size_t)bytes : 1);
    if (!b)
        return rcc_fail(RCC_ERR_NOMEM, "%s: %llu bytes of data", path, (unsigned long long)bytes);
    if (fread(b, 1, (size_t)bytes, f) != (size_t)bytes) {
        free(b);
        return rcc_fail(RCC_ERR_IO, "%s: read error in the .npy data%s%s", path, ferror(f) ? ": " : " (file shrank?)",
                        ferror(f) ? strerror(errno) : "");
    }
    *data = b;
    return RCC_OK;
}

/* ---------------------------------------------------------------- elements */

static uint64_t load_le(const unsigned char *p, int size)
{
    uint64_t u = 0;
    for (int k = size - 1; k >= 0; k--)
        u = u << 8 | p[k];
    return u;
}

static double elem_f64(const rcc_npy_dtype *t, const unsigned char *p)
{
    uint64_t u = load_le(p, t->size);
    switch (t->kind) {
    case RCC_NPY_FLOAT:
        if (t->size == 4) {
            uint32_t v = (uint32_t)u;
            float x;
            memcpy(&x, &v, sizeof x);
            return x;
        } else {
            double x;
            memcpy(&x, &u, sizeof x);
            return x;
        }
    case RCC_NPY_INT:
        if (t->size < 8 && (u >> (8 * t->size - 1)) & 1)
            u |= ~(uint64_t)0 << (8 * t->size); /* sign-extend */
        return (double)(int64_t)u;
    default:
        return (double)u;
    }
}

void rcc_npy_to_f32(const rcc_npy_dtype *t, const unsigned char *src, size_t n, float *dst)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)elem_f64(t, src + i * (size_t)t->size);
}

rcc_status rcc_npy_to_int(const char *path, const char *what, const rcc_npy_dtype *t, const unsigned char *src,
                          size_t n, int lo, int hi, int *dst)
{
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = src + i * (size_t)t->size;
        if (t->kind == RCC_NPY_FLOAT) {
            double v = elem_f64(t, p);
            if (!(v == floor(v) && v >= lo && v <= hi)) /* NaN fails too */
                return rcc_fail(RCC_ERR_FORMAT, "%s: %s %g at position %zu is not an integer in %d..%d", path, what, v,
                                i, lo, hi);
            dst[i] = (int)v;
        } else if (t->kind == RCC_NPY_INT) {
            uint64_t u = load_le(p, t->size);
            if (t->size < 8 && (u >> (8 * t->size - 1)) & 1)
                u |= ~(uint64_t)0 << (8 * t->size); /* sign-extend */
            int64_t v = (int64_t)u;
            if (v < lo || v > hi)
                return rcc_fail(RCC_ERR_FORMAT, "%s: %s %lld at position %zu is outside %d..%d", path, what,
                                (long long)v, i, lo, hi);
            dst[i] = (int)v;
        } else {
            uint64_t v = load_le(p, t->size);
            if (hi < 0 || v > (uint64_t)hi || (lo > 0 && v < (uint64_t)lo))
                return rcc_fail(RCC_ERR_FORMAT, "%s: %s %llu at position %zu is outside %d..%d", path, what,
                                (unsigned long long)v, i, lo, hi);
            dst[i] = (int)v;
        }
    }
    return RCC_OK;
}

/* ---------------------------------------------------------------- writers */

static rcc_status npy_write(const char *path, const char *descr, const void *x, size_t esize, size_t rows,
                            size_t cols)
{
    char shape[64], header[256];
    if (cols)
        snprintf(shape, sizeof shape, "(%zu, %zu)", rows, cols);
    else
        snprintf(shape, sizeof shape, "(%zu,)", rows);
    int hl = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    size_t total = 10 + (size_t)hl + 1, pad = (64 - total % 64) % 64; /* data aligned to 64 bytes */
    size_t hlen = (size_t)hl + pad + 1;
    memset(header + hl, ' ', pad);
    header[hl + pad] = '\n';
    /* A regular file (or a new one) is written beside and renamed into place. Anything else that
     * exists (/dev/stdout, a pipe, /dev/full) is written to directly: renaming over it would
     * replace the device or link by a file, and a full device must fail here, not the rename. */
    struct stat sb;
    bool direct = stat(path, &sb) == 0 && !S_ISREG(sb.st_mode);
    char tmp[RCC_PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return rcc_fail(RCC_ERR_ARG, "npy: path too long: %s", path);
    const char *target = direct ? path : tmp;
    FILE *f = fopen(target, "wb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot create: %s", target, strerror(errno));
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    size_t n = rows * (cols ? cols : 1);
    bool ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, hlen, f) == hlen &&
              (n == 0 || fwrite(x, esize, n, f) == n);
    int err = ok ? 0 : errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (ok && !direct && rename(tmp, path) != 0) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        if (!direct)
            remove(tmp);
        return rcc_fail(RCC_ERR_IO, "%s: write failed: %s", path, strerror(err ? err : EIO));
    }
    return RCC_OK;
}

rcc_status rcc_npy_write_f32(const char *path, const float *x, size_t rows, size_t cols)
{
    return npy_write(path, "<f4", x, sizeof(float), rows, cols);
}

rcc_status rcc_npy_write_i32(const char *path, const int *x, size_t n)
{
    return npy_write(path, "<i4", x, sizeof(int), n, 0);
}
