/* dataset.c — loading images into an rcc_dataset: IDX files (raw or gzip, through zlib), NumPy .npy
 * files, folders of PNG/JPEG images (flat, or one subfolder per class) and single image files;
 * several sources concatenated. Each source is first read into a "part" of bytes or floats, sizes
 * are checked against the file before anything large is allocated, and the parts are then converted
 * to one float array of the first image's size and the widest channel count. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "data_internal.h"
#include "npy.h"

/* ---------------------------------------------------------------- parts */

typedef struct {
    int n, c, h, w;
    unsigned char *u8; /* n·c·h·w bytes (CHW per image), or NULL */
    float *f32;        /* n·c·h·w floats, or NULL */
    int *labels;       /* n, or NULL */
    const char *path;  /* the source, for names (borrowed) */
    char *name;        /* the image file, when the part is one image of a folder */
} part;

typedef struct {
    part *p;
    int n, cap;
} part_list;

static void part_free(part *p)
{
    free(p->u8);
    free(p->f32);
    free(p->labels);
    free(p->name);
    memset(p, 0, sizeof *p);
}

static void parts_free(part_list *l)
{
    for (int i = 0; i < l->n; i++)
        part_free(&l->p[i]);
    free(l->p);
    memset(l, 0, sizeof *l);
}

/* Appends a zeroed part; NULL when out of memory. */
static part *parts_add(part_list *l)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        part *p = realloc(l->p, (size_t)cap * sizeof *p);
        if (!p)
            return NULL;
        l->p = p;
        l->cap = cap;
    }
    part *p = &l->p[l->n++];
    memset(p, 0, sizeof *p);
    return p;
}

/* ---------------------------------------------------------------- small helpers */

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static char *path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (a && dir[a - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    if (b > a)
        return false;
    for (size_t i = 0; i < b; i++)
        if (tolower((unsigned char)s[a - b + i]) != tolower((unsigned char)suffix[i]))
            return false;
    return true;
}

static bool is_image_name(const char *name)
{
    return ends_with_ci(name, ".png") || ends_with_ci(name, ".jpg") || ends_with_ci(name, ".jpeg");
}

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

static int file_kind(const char *path, struct stat *st) /* 0 missing, 1 file, 2 dir, 3 other */
{
    if (stat(path, st) != 0)
        return 0;
    return S_ISDIR(st->st_mode) ? 2 : S_ISREG(st->st_mode) ? 1 : 3;
}

static rcc_status check_total(const char *path, uint64_t n, uint64_t c, uint64_t h, uint64_t w)
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
            st = check_total(path, dims[0], 1, dims[1], dims[2]);
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
        st = check_total(path, n, c, h, w);
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
        part_free(p);
        return st;
    }
    p->n = (int)n, p->c = (int)c, p->h = (int)h, p->w = (int)w;
    return RCC_OK;
}

/* ---------------------------------------------------------------- labels */

/* A 1-D integer .npy of `want` labels in 0..RCC_DATA_MAX_LABEL. */
static rcc_status npy_read_labels(const char *path, const char *images, int want, int **out)
{
    FILE *f;
    rcc_npy_header nh;
    RCC_TRY(rcc_npy_open(path, true, &f, &nh));
    rcc_status st = RCC_OK;
    if (nh.ndim != 1 || (nh.dtype.kind != RCC_NPY_INT && nh.dtype.kind != RCC_NPY_UINT))
        st = rcc_fail(RCC_ERR_FORMAT, "%s: labels must be a 1-D integer .npy array (got %d-D '%s')", path, nh.ndim,
                      nh.dtype.descr);
    else if (nh.count != (uint64_t)want)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: %llu labels, but %s has %d images", path, (unsigned long long)nh.count,
                      images, want);
    unsigned char *raw = NULL;
    if (st == RCC_OK)
        st = rcc_npy_read_data(path, f, &nh, &raw);
    fclose(f);
    int *lab = NULL;
    if (st == RCC_OK && !(lab = malloc((size_t)want * sizeof *lab + 1)))
        st = rcc_fail(RCC_ERR_NOMEM, "%s: labels", path);
    if (st == RCC_OK)
        st = rcc_npy_to_int(path, "label", &nh.dtype, raw, (size_t)want, 0, RCC_DATA_MAX_LABEL, lab);
    free(raw);
    if (st != RCC_OK) {
        free(lab);
        return st;
    }
    *out = lab;
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

static rcc_status read_labels(const char *path, const char *images, int want, int **out)
{
    *out = NULL;
    unsigned char head[6] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open label file: %s", path, strerror(errno));
    size_t got = fread(head, 1, 6, f);
    fclose(f);
    if (got == 6 && memcmp(head, "\x93NUMPY", 6) == 0)
        return npy_read_labels(path, images, want, out);
    int *lab;
    size_t n;
    RCC_TRY(rcc_idx_read_labels(path, true, &lab, &n));
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

/* ---------------------------------------------------------------- images and folders */

static rcc_status add_image(part_list *l, const char *file, const char *source, int label)
{
    rcc_image_u8 img;
    RCC_TRY(rcc_image_decode(file, &img));
    part *p = parts_add(l);
    char *name = dupstr(file);
    int *lab = label >= 0 ? malloc(sizeof *lab) : NULL;
    if (!p || !name || (label >= 0 && !lab)) {
        free(img.pix);
        free(name);
        free(lab);
        return rcc_fail(RCC_ERR_NOMEM, "%s: bookkeeping", file);
    }
    p->n = 1, p->c = img.c, p->h = img.h, p->w = img.w;
    p->u8 = img.pix;
    p->path = source;
    p->name = name;
    if (lab) {
        *lab = label;
        p->labels = lab;
    }
    return RCC_OK;
}

typedef struct {
    char **name;
    bool *dir;
    int n, cap;
} dir_list;

static void dir_list_free(dir_list *d)
{
    for (int i = 0; i < d->n; i++)
        free(d->name[i]);
    free(d->name);
    free(d->dir);
    memset(d, 0, sizeof *d);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Lists `dir` (hidden entries left out), sorted by name bytes; dir[i] tells folders. */
static rcc_status list_dir(const char *dir, dir_list *out)
{
    memset(out, 0, sizeof *out);
    DIR *dp = opendir(dir);
    if (!dp)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    rcc_status st = RCC_OK;
    struct dirent *e;
    while (st == RCC_OK && (e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        if (out->n == out->cap) {
            int cap = out->cap ? 2 * out->cap : 64;
            char **nn = realloc(out->name, (size_t)cap * sizeof *nn);
            if (!nn) {
                st = rcc_fail(RCC_ERR_NOMEM, "%s: listing", dir);
                break;
            }
            out->name = nn;
            out->cap = cap;
        }
        if (!(out->name[out->n] = dupstr(e->d_name)))
            st = rcc_fail(RCC_ERR_NOMEM, "%s: listing", dir);
        else
            out->n++;
    }
    closedir(dp);
    if (st == RCC_OK && out->n) {
        qsort(out->name, (size_t)out->n, sizeof *out->name, cmp_str);
        out->dir = malloc((size_t)out->n * sizeof *out->dir);
        if (!out->dir)
            st = rcc_fail(RCC_ERR_NOMEM, "%s: listing", dir);
        for (int i = 0; st == RCC_OK && i < out->n; i++) {
            char *full = path_join(dir, out->name[i]);
            struct stat sb;
            if (!full) {
                st = rcc_fail(RCC_ERR_NOMEM, "%s: listing", dir);
                break;
            }
            out->dir[i] = file_kind(full, &sb) == 2;
            free(full);
        }
    }
    if (st != RCC_OK)
        dir_list_free(out);
    return st;
}

static void note_skip(rcc_data_report *rep, const char *dir, const char *name)
{
    if (rep->skipped_files++ == 0)
        snprintf(rep->first_skipped, sizeof rep->first_skipped, "%s%s%s", dir,
                 dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "", name);
}

/* The load's options and counters, passed down to the folders. */
typedef struct {
    const rcc_load_options *opt; /* NULL: a broken file fails the load */
    rcc_data_report *rep;
    long decoded, found;         /* image files decoded, image files met (decoded + broken) */
} load_ctx;

#define PROGRESS_EVERY 500

/* Image files directly in `dir`, in name order; non-image files and nested folders are skipped. */
static rcc_status load_image_files(part_list *l, const char *dir, const char *source, int label, load_ctx *cx,
                                   int *count)
{
    rcc_data_report *rep = cx->rep;
    dir_list dl;
    RCC_TRY(list_dir(dir, &dl));
    rcc_status st = RCC_OK;
    int before = l->n, skipped = rep->skipped_files, broken = rep->broken_files;
    for (int i = 0; i < dl.n && st == RCC_OK; i++) {
        if (dl.dir[i] || !is_image_name(dl.name[i])) {
            note_skip(rep, dir, dl.name[i]);
            continue;
        }
        char *full = path_join(dir, dl.name[i]);
        st = full ? add_image(l, full, source, label) : rcc_fail(RCC_ERR_NOMEM, "%s: path", dir);
        cx->found++;
        if ((st == RCC_ERR_FORMAT || st == RCC_ERR_IO) && cx->opt && cx->opt->skip_broken) {
            if (rep->broken_files++ == 0)
                snprintf(rep->first_broken, sizeof rep->first_broken, "%s", full);
            if (cx->opt->on_broken)
                cx->opt->on_broken(full, rcc_last_error(), cx->opt->user);
            st = RCC_OK;
        } else if (st == RCC_OK && ++cx->decoded % PROGRESS_EVERY == 0 && cx->opt && cx->opt->on_progress) {
            cx->opt->on_progress(cx->decoded, dir, cx->opt->user);
        }
        free(full);
    }
    dir_list_free(&dl);
    if (st == RCC_OK && l->n == before)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: folder has no %sPNG or JPEG images (.png, .jpg, .jpeg)%s%s", dir,
                      rep->broken_files > broken ? "readable " : "",
                      rep->skipped_files > skipped ? "; other files were skipped" : "",
                      rep->broken_files > broken ? "; every image file in it is broken" : "");
    *count = l->n - before;
    return st;
}

/* A folder: flat (unlabelled), or one subfolder per class (label = sorted subfolder order). */
static rcc_status load_folder(part_list *l, const char *dir, load_ctx *cx)
{
    rcc_data_report *rep = cx->rep;
    dir_list dl;
    RCC_TRY(list_dir(dir, &dl));
    int ndirs = 0, nimages = 0;
    const char *first_image = NULL;
    for (int i = 0; i < dl.n; i++) {
        if (dl.dir[i])
            ndirs++;
        else if (is_image_name(dl.name[i]) && !nimages++)
            first_image = dl.name[i];
    }
    rcc_status st = RCC_OK;
    if (dl.n == 0)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: empty folder", dir);
    else if (ndirs && nimages)
        st = rcc_fail(RCC_ERR_FORMAT,
                      "%s: mixes image files (e.g. %s) with subfolders; use either a flat folder of images or one "
                      "subfolder per class",
                      dir, first_image);
    else if (ndirs) {
        int label = 0, count;
        for (int i = 0; i < dl.n && st == RCC_OK; i++) {
            if (!dl.dir[i]) {
                note_skip(rep, dir, dl.name[i]);
                continue;
            }
            char *sub = path_join(dir, dl.name[i]);
            st = sub ? load_image_files(l, sub, dir, label++, cx, &count) : rcc_fail(RCC_ERR_NOMEM, "%s: path", dir);
            free(sub);
        }
    } else {
        int count;
        st = load_image_files(l, dir, dir, -1, cx, &count);
    }
    dir_list_free(&dl);
    return st;
}

/* ---------------------------------------------------------------- one source */

static rcc_status load_source(part_list *l, const char *path, const char *label_path, load_ctx *cx)
{
    struct stat sb;
    errno = 0;
    int kind = file_kind(path, &sb);
    if (kind == 0)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (kind == 3)
        return rcc_fail(RCC_ERR_IO, "%s: not a regular file or folder", path);
    if (kind == 2) {
        if (label_path)
            return rcc_fail(RCC_ERR_ARG, "%s: a folder takes its labels from class subfolders, not from %s", path,
                            label_path);
        return load_folder(l, path, cx);
    }
    unsigned char sig[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t got = fread(sig, 1, sizeof sig, f);
    fclose(f);
    bool is_png = got == 8 && memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0;
    bool is_jpeg = got >= 3 && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF;
    if (is_png || is_jpeg) {
        if (label_path)
            return rcc_fail(RCC_ERR_ARG, "%s: a single image takes no label file (%s)", path, label_path);
        return add_image(l, path, path, -1);
    }
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
    part *p = st == RCC_OK ? parts_add(l) : NULL;
    if (st == RCC_OK && !p)
        st = rcc_fail(RCC_ERR_NOMEM, "%s: bookkeeping", path);
    if (st != RCC_OK) {
        part_free(&tmp);
        return st;
    }
    *p = tmp;
    return RCC_OK;
}

/* ---------------------------------------------------------------- assembly */

void rcc_dataset_free(rcc_dataset *d)
{
    if (!d)
        return;
    free(d->pix);
    free(d->labels);
    if (d->names)
        for (int i = 0; i < d->n; i++)
            free(d->names[i]);
    free(d->names);
    memset(d, 0, sizeof *d);
}

/* Converts image k of part p to C×H×W floats at dst; tmp holds two images' worth of floats. */
static rcc_status convert_image(const part *p, int k, int C, int H, int W, float *dst, float *tmp,
                                rcc_data_report *rep)
{
    size_t per = (size_t)p->c * p->h * p->w;
    bool same = p->h == H && p->w == W;
    float *src = same ? NULL : tmp;
    if (!same) {
        for (size_t i = 0; i < per; i++)
            src[i] = p->u8 ? p->u8[k * per + i] / 255.0f : p->f32[k * per + i];
        RCC_TRY(rcc_resize_aa(src, p->c, p->h, p->w, tmp + per, H, W));
        src = tmp + per;
        rep->resized++;
    }
    size_t hw = (size_t)H * W;
    for (int ch = 0; ch < C; ch++) {
        int sc = p->c == 1 ? 0 : ch;
        float *o = dst + ch * hw;
        if (src)
            memcpy(o, src + sc * hw, hw * sizeof *o);
        else if (p->u8) {
            const unsigned char *b = p->u8 + k * per + sc * hw;
            for (size_t i = 0; i < hw; i++)
                o[i] = b[i] / 255.0f;
        } else {
            memcpy(o, p->f32 + k * per + sc * hw, hw * sizeof *o);
        }
    }
    if (C == 3 && p->c == 1)
        rep->gray_to_rgb++;
    return RCC_OK;
}

static rcc_status assemble(rcc_dataset *d, part_list *l, rcc_data_report *rep)
{
    int C = 1, H = l->p[0].h, W = l->p[0].w;
    uint64_t n = 0;
    size_t tmp_floats = 0;
    bool any_labels = false, all_labels = true, any_names = false;
    for (int i = 0; i < l->n; i++) {
        part *p = &l->p[i];
        C = p->c > C ? p->c : C;
        n += (uint64_t)p->n;
        any_labels |= p->labels != NULL;
        all_labels &= p->labels != NULL;
        any_names |= p->name != NULL;
        size_t need = (size_t)p->c * p->h * p->w + (size_t)p->c * H * W;
        if ((p->h != H || p->w != W) && need > tmp_floats)
            tmp_floats = need;
    }
    RCC_TRY(check_total(l->n == 1 ? l->p[0].path : "the data set", n, (uint64_t)C, (uint64_t)H, (uint64_t)W));
    size_t per = (size_t)C * H * W;
    d->n = (int)n, d->c = C, d->h = H, d->w = W;
    if (l->n == 1 && l->p[0].f32 && l->p[0].c == C) { /* one float source: keep its buffer */
        d->pix = l->p[0].f32;
        l->p[0].f32 = NULL;
    } else {
        d->pix = malloc(n * per * sizeof *d->pix);
        if (!d->pix)
            return rcc_fail(RCC_ERR_NOMEM, "%llu images of %dx%dx%d (%.1f GiB)", (unsigned long long)n, C, H, W,
                            (double)(n * per * sizeof(float)) / (1 << 30));
        float *tmp = tmp_floats ? malloc(tmp_floats * sizeof *tmp) : NULL;
        if (tmp_floats && !tmp)
            return rcc_fail(RCC_ERR_NOMEM, "resize buffer");
        size_t at = 0;
        rcc_status st = RCC_OK;
        for (int i = 0; i < l->n && st == RCC_OK; i++) {
            part *p = &l->p[i];
            for (int k = 0; k < p->n && st == RCC_OK; k++, at++)
                st = convert_image(p, k, C, H, W, d->pix + at * per, tmp, rep);
            free(p->u8);
            free(p->f32);
            p->u8 = NULL;
            p->f32 = NULL;
        }
        free(tmp);
        RCC_TRY(st);
    }
    if (all_labels) {
        d->labels = malloc(n * sizeof *d->labels);
        if (!d->labels)
            return rcc_fail(RCC_ERR_NOMEM, "labels");
        size_t at = 0;
        for (int i = 0; i < l->n; i++)
            for (int k = 0; k < l->p[i].n; k++, at++) {
                d->labels[at] = l->p[i].labels[k];
                if (d->labels[at] + 1 > d->num_classes)
                    d->num_classes = d->labels[at] + 1;
            }
    } else if (any_labels) {
        rep->labels_dropped = true;
    }
    if (any_names) {
        d->names = calloc(n, sizeof *d->names);
        if (!d->names)
            return rcc_fail(RCC_ERR_NOMEM, "names");
        size_t at = 0;
        for (int i = 0; i < l->n; i++)
            for (int k = 0; k < l->p[i].n; k++, at++) {
                part *p = &l->p[i];
                if (p->name) {
                    d->names[at] = p->name;
                    p->name = NULL;
                } else {
                    size_t len = strlen(p->path) + 16;
                    d->names[at] = malloc(len);
                    if (!d->names[at])
                        return rcc_fail(RCC_ERR_NOMEM, "names");
                    snprintf(d->names[at], len, "%s[%d]", p->path, k);
                }
            }
    }
    return RCC_OK;
}

rcc_status rcc_dataset_convert_channels(rcc_dataset *d, int channels)
{
    if (channels != 1 && channels != 3)
        return rcc_fail(RCC_ERR_ARG, "convert to %d channels: 1 or 3", channels);
    if (d->c == channels || d->n == 0)
        return RCC_OK;
    if (d->c != 1 && d->c != 3)
        return rcc_fail(RCC_ERR_ARG, "convert %d-channel images: 1 or 3", d->c);
    size_t hw = (size_t)d->h * d->w, n = (size_t)d->n;
    if (channels == 1) { /* in place, front to back: image i's gray plane never overlaps later colour */
        for (size_t i = 0; i < n; i++) {
            const float *src = d->pix + i * 3 * hw;
            float *dst = d->pix + i * hw;
            for (size_t p = 0; p < hw; p++)
                dst[p] = rcc_luma(src[p], src[hw + p], src[2 * hw + p]);
        }
        float *shrunk = realloc(d->pix, n * hw * sizeof *shrunk);
        if (shrunk)
            d->pix = shrunk;
    } else {
        float *grown = realloc(d->pix, n * 3 * hw * sizeof *grown);
        if (!grown)
            return rcc_fail(RCC_ERR_NOMEM, "%zu images to 3 channels (%.1f GiB)", n,
                            (double)(n * 3 * hw * sizeof(float)) / (1 << 30));
        d->pix = grown;
        for (size_t i = n; i-- > 0;) { /* back to front: image i's planes land at or after its gray one */
            const float *src = d->pix + i * hw;
            float *dst = d->pix + i * 3 * hw;
            memmove(dst, src, hw * sizeof *dst);
            memcpy(dst + hw, dst, hw * sizeof *dst);
            memcpy(dst + 2 * hw, dst, hw * sizeof *dst);
        }
    }
    d->c = channels;
    return RCC_OK;
}

rcc_load_options rcc_load_defaults(void)
{
    return (rcc_load_options){.skip_broken = true, .max_broken = 0.05};
}

rcc_status rcc_dataset_load_opts(rcc_dataset *d, const char *const *paths, int npaths,
                                 const char *const *label_paths, const rcc_load_options *opt,
                                 rcc_data_report *report)
{
    rcc_data_report local;
    rcc_data_report *rep = report ? report : &local;
    memset(rep, 0, sizeof *rep);
    memset(d, 0, sizeof *d);
    if (!paths || npaths < 1)
        return rcc_fail(RCC_ERR_ARG, "no data source given");
    if (opt && !(opt->max_broken >= 0 && opt->max_broken <= 1))
        return rcc_fail(RCC_ERR_ARG, "max_broken %g: a share between 0 and 1", opt->max_broken);
    load_ctx cx = {opt, rep, 0, 0};
    part_list l = {0};
    rcc_status st = RCC_OK;
    for (int i = 0; i < npaths && st == RCC_OK; i++) {
        if (!paths[i])
            st = rcc_fail(RCC_ERR_ARG, "data source %d is NULL", i);
        else
            st = load_source(&l, paths[i], label_paths ? label_paths[i] : NULL, &cx);
    }
    if (st == RCC_OK && rep->broken_files && (double)rep->broken_files > opt->max_broken * (double)cx.found)
        st = rcc_fail(RCC_ERR_FORMAT,
                      "%d of %ld image files are broken (more than %g%%; the first: %s); is this the right folder?",
                      rep->broken_files, cx.found, 100 * opt->max_broken, rep->first_broken);
    if (st == RCC_OK && opt && opt->on_progress && cx.decoded)
        opt->on_progress(cx.decoded, NULL, opt->user);
    if (st == RCC_OK)
        st = assemble(d, &l, rep);
    parts_free(&l);
    if (st != RCC_OK)
        rcc_dataset_free(d);
    return st;
}

rcc_status rcc_dataset_load_report(rcc_dataset *d, const char *const *paths, int npaths,
                                   const char *const *label_paths, rcc_data_report *report)
{
    return rcc_dataset_load_opts(d, paths, npaths, label_paths, NULL, report);
}

rcc_status rcc_dataset_load(rcc_dataset *d, const char *const *paths, int npaths, const char *const *label_paths)
{
    return rcc_dataset_load_report(d, paths, npaths, label_paths, NULL);
}
