/* readers.c — the array sources of a data set: IDX image and label files (raw or gzip, through
 * zlib) and NumPy .npy files (header parsed by npy.c), each read whole into a part after its sizes
 * are checked against the file; and the label files that go with them. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "dataset_internal.h"
#include "npy.h"

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* zlib's message for the last error on g, without the file name that gzerror puts first. */
static const char *gz_msg(gzFile g, const char *path)
{
    int zerr;
    const char *m = gzerror(g, &zerr);
    if (zerr == Z_ERRNO)
        return strerror(errno);
    size_t n = strlen(path);
    if (strncmp(m, path, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
        m += n + 2;
    return m;
}

rcc_status rcc_check_total(const char *path, uint64_t n, uint64_t c, uint64_t h, uint64_t w)
{
    /* each factor is bounded before multiplying, so the product cannot overflow 64 bits */
    if (n > INT_MAX || c > 4 || h > RCC_DATA_MAX_SIDE || w > RCC_DATA_MAX_SIDE)
        return rcc_fail(RCC_ERR_FORMAT,
                        "%s: absurd dimensions %llu x %llu x %llu x %llu (limits: %d images, side %d)", path,
                        (unsigned long long)n, (unsigned long long)c, (unsigned long long)h, (unsigned long long)w,
                        INT_MAX, RCC_DATA_MAX_SIDE);
    if (n * c * h * w * sizeof(float) > RCC_DATA_MAX_BYTES)
        return rcc_fail(RCC_ERR_FORMAT,
                        "%s: %llu images of %llux%llux%llu would need %.1f GiB as floats (limit %d GiB)", path,
                        (unsigned long long)n, (unsigned long long)c, (unsigned long long)h, (unsigned long long)w,
                        (double)(n * c * h * w * sizeof(float)) / (1 << 30), (int)(RCC_DATA_MAX_BYTES >> 30));
    return RCC_OK;
}

/* ---------------------------------------------------------------- IDX (zlib reads raw and gzip) */

/* Reads exactly `need` bytes, and with `exact` makes sure nothing follows. For raw files the size is
 * checked against the file first; gzip data is read in growing chunks, so a lying header costs at
 * most about twice the real content. */
static rcc_status gz_read_exact(gzFile g, const char *path, uint64_t need, uint64_t file_left, bool raw, bool exact,
                                unsigned char **out)
{
    *out = NULL;
    if (raw && need > file_left)
        return rcc_fail(RCC_ERR_FORMAT, "%s: truncated: the header announces %llu bytes of data, the file has %llu",
                        path, (unsigned long long)need, (unsigned long long)file_left);
    uint64_t cap = raw ? need : (need < ((uint64_t)16 << 20) ? need : ((uint64_t)16 << 20));
    unsigned char *buf = malloc(cap ? cap : 1);
    if (!buf)
        return rcc_fail(RCC_ERR_NOMEM, "%s: %llu bytes", path, (unsigned long long)cap);
    uint64_t got = 0;
    while (got < need) {
        if (got == cap) {
            uint64_t ncap = cap * 2 < need ? cap * 2 : need;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                return rcc_fail(RCC_ERR_NOMEM, "%s: %llu bytes", path, (unsigned long long)ncap);
            }
            buf = nb;
            cap = ncap;
        }
        uint64_t want = cap - got;
        if (want > (1u << 30))
            want = 1u << 30;
        int r = gzread(g, buf + got, (unsigned)want);
        if (r < 0) {
            rcc_status st = rcc_fail(RCC_ERR_FORMAT, "%s: corrupt compressed data after %llu of %llu bytes: %s", path,
                                     (unsigned long long)got, (unsigned long long)need, gz_msg(g, path));
            free(buf);
            return st;
        }
        if (r == 0) {
            int zerr;
            char note[200] = "";
            gzerror(g, &zerr);
            if (zerr != Z_OK)
                snprintf(note, sizeof note, " (zlib: %s)", gz_msg(g, path));
            free(buf);
            return rcc_fail(RCC_ERR_FORMAT,
                            "%s: truncated: the header announces %llu bytes of data, the file has %llu%s", path,
                            (unsigned long long)need, (unsigned long long)got, note);
        }
        got += (uint64_t)r;
    }
    unsigned char extra;
    int r = exact ? gzread(g, &extra, 1) : 0;
    if (r != 0) {
        free(buf);
        if (r < 0)
            return rcc_fail(RCC_ERR_FORMAT, "%s: corrupt compressed data at the end: %s", path, gz_msg(g, path));
        return rcc_fail(RCC_ERR_FORMAT, "%s: more data than the header announces (%llu bytes): wrong header?", path,
                        (unsigned long long)need);
    }
    *out = buf;
    return RCC_OK;
}

/* Reads an IDX file of unsigned bytes with `want_ndim` dimensions (3: images, 1: labels); with
 * `exact`, data after what the header announces is an error. */
static rcc_status idx_read(const char *path, int want_ndim, bool exact, uint32_t dims[3], unsigned char **data)
{
    struct stat sb;
    int kind = file_kind(path, &sb);
    if (kind != 1)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, kind == 0 ? strerror(errno) : "not a regular file");
    gzFile g = gzopen(path, "rb");
    if (!g)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    gzbuffer(g, 1 << 17);
    unsigned char hdr[16];
    int r = gzread(g, hdr, 4);
    rcc_status st = RCC_OK;
    const char *what = want_ndim == 3 ? "IDX image file (idx3-ubyte)" : "IDX label file (idx1-ubyte)";
    if (r < 0) {
        st = rcc_fail(RCC_ERR_FORMAT, "%s: corrupt compressed data: %s", path, gz_msg(g, path));
    } else if (r != 4) {
        st = rcc_fail(RCC_ERR_FORMAT, "%s: too short for an %s", path, what);
    } else if (hdr[0] != 0 || hdr[1] != 0 || !strchr("\x08\x09\x0b\x0c\x0d\x0e", hdr[2]) || hdr[2] == 0 ||
               hdr[3] < 1 || hdr[3] > 4) {
        st = rcc_fail(RCC_ERR_FORMAT, "%s: wrong magic %02x %02x %02x %02x: not an %s", path, hdr[0], hdr[1], hdr[2],
                      hdr[3], what);
    } else if (hdr[3] != want_ndim) {
        st = rcc_fail(RCC_ERR_FORMAT, "%s: IDX file with %d dimensions where an %s was expected%s", path, hdr[3], what,
                      hdr[3] == 1 ? " (this is a label file)" : hdr[3] == 3 ? " (this is an image file)" : "");
    } else if (hdr[2] != 0x08) {
        st = rcc_fail(RCC_ERR_FORMAT, "%s: IDX element type 0x%02x is not supported (only unsigned bytes, 0x08)",
                      path, hdr[2]);
    }
    if (st == RCC_OK) {
        r = gzread(g, hdr + 4, (unsigned)(4 * want_ndim));
        if (r != 4 * want_ndim)
            st = rcc_fail(RCC_ERR_FORMAT, "%s: truncated IDX header", path);
    }
    if (st == RCC_OK) {
        uint64_t need = 1;
        for (int i = 0; i < want_ndim; i++)
            dims[i] = be32(hdr + 4 + 4 * i);
        if (want_ndim == 3) {
            st = rcc_check_total(path, dims[0], 1, dims[1], dims[2]);
            if (st == RCC_OK && (dims[0] == 0 || dims[1] == 0 || dims[2] == 0))
                st = rcc_fail(RCC_ERR_FORMAT, "%s: contains no images (%u x %u x %u)", path, dims[0], dims[1], dims[2]);
            need = (uint64_t)dims[0] * dims[1] * dims[2];
        } else {
            if (dims[0] > INT_MAX)
                st = rcc_fail(RCC_ERR_FORMAT, "%s: absurd label count %u", path, dims[0]);
            need = dims[0];
        }
        uint64_t header = 4 + 4 * (uint64_t)want_ndim;
        bool raw = gzdirect(g) == 1;
        uint64_t left = (uint64_t)sb.st_size > header ? (uint64_t)sb.st_size - header : 0;
        if (st == RCC_OK)
            st = gz_read_exact(g, path, need, left, raw, exact, data);
    }
    gzclose(g);
    return st;
}

/* ---------------------------------------------------------------- .npy (header parsed by npy.c) */

static rcc_status npy_read_images(const char *path, part *p)
{
    FILE *f;
    rcc_npy_header nh;
    RCC_TRY(rcc_npy_open(path, true, &f, &nh));
    bool u8 = nh.dtype.kind == RCC_NPY_UINT && nh.dtype.size == 1;
    bool f32 = nh.dtype.kind == RCC_NPY_FLOAT && nh.dtype.size == 4;
    uint64_t n = nh.shape[0], c = 1, h = 0, w = 0;
    bool nhwc = false;
    rcc_status st = RCC_OK;
    if (nh.fortran)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: Fortran-ordered .npy arrays are not supported (save a C-ordered copy)",
                      path);
    else if (!u8 && !f32)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: .npy dtype '%s' is not supported for images (uint8 or float32)", path,
                      nh.dtype.descr);
    else if (nh.ndim == 3) {
        h = nh.shape[1], w = nh.shape[2];
    } else if (nh.ndim == 4) {
        c = nh.shape[1], h = nh.shape[2], w = nh.shape[3];
        if (c != 1 && c != 3 && (nh.shape[3] == 1 || nh.shape[3] == 3)) { /* N×H×W×C, unambiguous */
            nhwc = true;
            h = nh.shape[1], w = nh.shape[2], c = nh.shape[3];
        }
        if (c != 1 && c != 3)
            st = rcc_fail(RCC_ERR_FORMAT, "%s: %llu channels; images need 1 or 3 (shape N×C×H×W)", path,
                          (unsigned long long)c);
    } else {
        st = rcc_fail(RCC_ERR_FORMAT, "%s: .npy array has %d dimensions; images need N×H×W or N×C×H×W", path,
                      nh.ndim);
    }
    if (st == RCC_OK)
        st = rcc_check_total(path, n, c, h, w);
    if (st == RCC_OK && (n == 0 || h == 0 || w == 0))
        st = rcc_fail(RCC_ERR_FORMAT, "%s: contains no images (shape has a zero)", path);
    unsigned char *raw = NULL;
    if (st == RCC_OK)
        st = rcc_npy_read_data(path, f, &nh, &raw);
    fclose(f);
    RCC_TRY(st);
    size_t es = u8 ? 1 : 4, per = (size_t)(c * h * w);
    if (f32) {
        p->f32 = (float *)raw; /* converted in place: same element size */
        rcc_npy_to_f32(&nh.dtype, raw, nh.count, p->f32);
        for (uint64_t i = 0; i < nh.count; i++)
            if (!isfinite(p->f32[i])) {
                st = rcc_fail(RCC_ERR_FORMAT, "%s: %s at element %llu (image %llu)", path,
                              isnan(p->f32[i]) ? "NaN" : "infinity", (unsigned long long)i,
                              (unsigned long long)(i / per));
                break;
            }
    } else {
        p->u8 = raw;
    }
    if (st == RCC_OK && nhwc) { /* to C×H×W per image */
        size_t hw = (size_t)(h * w);
        void *tmp = malloc(per * es);
        if (!tmp)
            st = rcc_fail(RCC_ERR_NOMEM, "%s: transpose", path);
        for (uint64_t i = 0; st == RCC_OK && i < n; i++) {
            for (size_t k = 0; k < hw; k++)
                for (size_t ch = 0; ch < c; ch++) {
                    if (u8)
                        ((unsigned char *)tmp)[ch * hw + k] = p->u8[i * per + k * c + ch];
                    else
                        ((float *)tmp)[ch * hw + k] = p->f32[i * per + k * c + ch];
                }
            memcpy(u8 ? (void *)(p->u8 + i * per) : (void *)(p->f32 + i * per), tmp, per * es);
        }
        free(tmp);
    }
    if (st != RCC_OK) {
        rcc_part_free(p);
        return st;
    }
    p->n = (int)n, p->c = (int)c, p->h = (int)h, p->w = (int)w;
    return RCC_OK;
}

/* ---------------------------------------------------------------- labels */

/* An integer .npy of labels in 0..RCC_DATA_MAX_LABEL: 1-D, or N×1. */
static rcc_status npy_read_labels(const char *path, int **out, size_t *n)
{
    FILE *f;
    rcc_npy_header nh;
    RCC_TRY(rcc_npy_open(path, true, &f, &nh));
    rcc_status st = RCC_OK;
    bool column = nh.ndim == 1 || (nh.ndim == 2 && nh.shape[1] == 1);
    if (!column || (nh.dtype.kind != RCC_NPY_INT && nh.dtype.kind != RCC_NPY_UINT))
        st = rcc_fail(RCC_ERR_FORMAT, "%s: labels must be a 1-D integer .npy array (got %d-D '%s')", path, nh.ndim,
                      nh.dtype.descr);
    unsigned char *raw = NULL;
    if (st == RCC_OK)
        st = rcc_npy_read_data(path, f, &nh, &raw);
    fclose(f);
    int *lab = NULL;
    if (st == RCC_OK && !(lab = malloc((size_t)nh.count * sizeof *lab + 1)))
        st = rcc_fail(RCC_ERR_NOMEM, "%s: labels", path);
    if (st == RCC_OK)
        st = rcc_npy_to_int(path, "label", &nh.dtype, raw, (size_t)nh.count, 0, RCC_DATA_MAX_LABEL, lab);
    free(raw);
    if (st != RCC_OK) {
        free(lab);
        return st;
    }
    *out = lab;
    *n = (size_t)nh.count;
    return RCC_OK;
}

rcc_status rcc_idx_read_labels(const char *path, bool exact_size, int **labels, size_t *n)
{
    *labels = NULL;
    *n = 0;
    uint32_t dims[3];
    unsigned char *raw;
    RCC_TRY(idx_read(path, 1, exact_size, dims, &raw));
    int *lab = malloc((size_t)dims[0] * sizeof *lab + 1);
    if (!lab) {
        free(raw);
        return rcc_fail(RCC_ERR_NOMEM, "%s: %u labels", path, dims[0]);
    }
    for (uint32_t i = 0; i < dims[0]; i++)
        lab[i] = raw[i];
    free(raw);
    *labels = lab;
    *n = dims[0];
    return RCC_OK;
}

rcc_status rcc_label_file_read(const char *path, bool exact_size, int **labels, size_t *n)
{
    *labels = NULL;
    *n = 0;
    unsigned char head[6] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open label file: %s", path, strerror(errno));
    size_t got = fread(head, 1, 6, f);
    fclose(f);
    if (got == 6 && memcmp(head, "\x93NUMPY", 6) == 0)
        return npy_read_labels(path, labels, n);
    return rcc_idx_read_labels(path, exact_size, labels, n);
}

static rcc_status read_labels(const char *path, const char *images, int want, int **out)
{
    *out = NULL;
    int *lab;
    size_t n;
    RCC_TRY(rcc_label_file_read(path, true, &lab, &n));
    if (n != (size_t)want) {
        free(lab);
        return rcc_fail(RCC_ERR_FORMAT, "%s: %zu labels, but %s has %d images", path, n, images, want);
    }
    *out = lab;
    return RCC_OK;
}

/* "…images-idx3…" → "…labels-idx1…" beside it, with or without ".gz"; NULL if none exists. */
static char *idx_label_partner(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *at = strstr(base, "images-idx3");
    if (!at)
        return NULL;
    size_t len = strlen(path);
    char *cand = malloc(len + 4);
    if (!cand)
        return NULL;
    memcpy(cand, path, len + 1);
    memcpy(cand + (at - path), "labels-idx1", 11);
    struct stat sb;
    if (file_kind(cand, &sb) == 1)
        return cand;
    if (ends_with_ci(cand, ".gz"))
        cand[len - 3] = 0;
    else
        memcpy(cand + len, ".gz", 4);
    if (file_kind(cand, &sb) == 1)
        return cand;
    free(cand);
    return NULL;
}

/* ---------------------------------------------------------------- one array source */

rcc_status rcc_read_array_source(const char *path, const char *label_path, const unsigned char *sig, size_t got,
                                 part *out)
{
    part tmp = {0};
    rcc_status st;
    if (got >= 6 && memcmp(sig, "\x93NUMPY", 6) == 0) {
        st = npy_read_images(path, &tmp);
    } else if ((got >= 2 && sig[0] == 0x1f && sig[1] == 0x8b) || (got >= 4 && sig[0] == 0 && sig[1] == 0)) {
        uint32_t dims[3];
        st = idx_read(path, 3, true, dims, &tmp.u8);
        if (st == RCC_OK)
            tmp.n = (int)dims[0], tmp.c = 1, tmp.h = (int)dims[1], tmp.w = (int)dims[2];
    } else {
        return rcc_fail(RCC_ERR_FORMAT, "%s: unrecognised format (%s): expected an IDX file (.gz or raw), a .npy "
                        "file, a PNG/JPEG image or a folder of them", path, got ? "unknown first bytes" : "empty file");
    }
    if (st != RCC_OK)
        return st;
    tmp.path = path;
    char *partner = label_path ? NULL : idx_label_partner(path);
    const char *lp = label_path ? label_path : partner;
    if (lp)
        st = read_labels(lp, path, tmp.n, &tmp.labels);
    if (st != RCC_OK && !label_path) {
        char why[400];
        snprintf(why, sizeof why, "%s", rcc_last_error());
        st = rcc_fail(st, "%s (the label file found beside the images): %s", why, lp);
    }
    free(partner);
    if (st != RCC_OK) {
        rcc_part_free(&tmp);
        return st;
    }
    *out = tmp;
    return RCC_OK;
}
