/* io.c — the files evaluation reads and writes: .npy arrays (features, predictions, labels), IDX
 * label files (gzip or raw), and small CSV/text tables of labels or predictions. */
#include "eval/eval.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include "util.h"

/* ---------------------------------------------------------------- whole files */

static rcc_status read_file(const char *path, unsigned char **buf, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    unsigned char *b = malloc(cap + 1);
    while (b) {
        size_t got = fread(b + len, 1, cap - len, f);
        len += got;
        if (len < cap)
            break;
        cap *= 2;
        unsigned char *nb = realloc(b, cap + 1);
        if (!nb) {
            free(b);
            b = NULL;
        }
        b = nb;
    }
    bool err = ferror(f);
    fclose(f);
    if (!b)
        return rcc_fail(RCC_ERR_NOMEM, "%s: reading", path);
    if (err) {
        free(b);
        return rcc_fail(RCC_ERR_IO, "%s: read error", path);
    }
    b[len] = 0; /* text parsers rely on a terminator */
    *buf = b;
    *size = len;
    return RCC_OK;
}

/* ---------------------------------------------------------------- .npy */

typedef struct {
    char order;  /* '<', '|', '>' */
    char kind;   /* 'f', 'i', 'u', 'b' */
    int size;    /* bytes per element */
    bool fortran;
    int ndim;
    size_t shape[8];
    size_t numel;
    const unsigned char *data;
} npy_info;

static const char *find_key(const char *h, const char *key)
{
    const char *p = strstr(h, key);
    if (!p)
        return NULL;
    p = strchr(p + strlen(key), ':');
    if (!p)
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

static rcc_status npy_parse(const char *path, const unsigned char *b, size_t size, npy_info *in)
{
    memset(in, 0, sizeof *in);
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return rcc_fail(RCC_ERR_FORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", path);
    int major = b[6];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12)
            return rcc_fail(RCC_ERR_FORMAT, "%s: truncated .npy header", path);
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        hstart = 12;
    } else {
        return rcc_fail(RCC_ERR_FORMAT, "%s: .npy version %d.%d not supported (expected 1, 2 or 3)", path, major, b[7]);
    }
    if (hstart + hlen > size || hlen > 65536)
        return rcc_fail(RCC_ERR_FORMAT, "%s: .npy header length %zu exceeds the file", path, hlen);
    char h[65537];
    memcpy(h, b + hstart, hlen);
    h[hlen] = 0;
    const char *p = find_key(h, "'descr'");
    if (!p || (*p != '\'' && *p != '"'))
        return rcc_fail(RCC_ERR_FORMAT, "%s: .npy header lacks 'descr'", path);
    char q = *p++;
    const char *e = strchr(p, q);
    if (!e || e - p < 3 || e - p > 4)
        return rcc_fail(RCC_ERR_FORMAT, "%s: unsupported .npy dtype", path);
    in->order = p[0] == '=' ? '<' : p[0];
    in->kind = p[1];
    in->size = atoi(p + 2);
    bool ok_kind = (in->kind == 'f' && (in->size == 4 || in->size == 8)) ||
                   ((in->kind == 'i' || in->kind == 'u') && (in->size == 1 || in->size == 2 || in->size == 4 ||
                                                            in->size == 8)) ||
                   (in->kind == 'b' && in->size == 1);
    if (!ok_kind || (in->order != '<' && in->order != '|') || (in->order == '|' && in->size != 1))
        return rcc_fail(RCC_ERR_FORMAT, "%s: .npy dtype '%.*s' not supported (little-endian f4 f8 i1-8 u1-8 b1)", path,
                        (int)(e - p), p);
    p = find_key(h, "'fortran_order'");
    if (!p)
        return rcc_fail(RCC_ERR_FORMAT, "%s: .npy header lacks 'fortran_order'", path);
    in->fortran = strncmp(p, "True", 4) == 0;
    p = find_key(h, "'shape'");
    if (!p || *p != '(')
        return rcc_fail(RCC_ERR_FORMAT, "%s: .npy header lacks 'shape'", path);
    p++;
    in->numel = 1;
    while (1) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')')
            break;
        if (!isdigit((unsigned char)*p) || in->ndim == 8)
            return rcc_fail(RCC_ERR_FORMAT, "%s: bad .npy shape", path);
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (v > ((size_t)1 << 40))
            return rcc_fail(RCC_ERR_FORMAT, "%s: .npy dimension %llu too large", path, v);
        in->shape[in->ndim++] = (size_t)v;
        in->numel *= (size_t)v;
        p = end;
        while (*p == 'L')
            p++;
    }
    if (in->ndim > 2)
        return rcc_fail(RCC_ERR_FORMAT, "%s: .npy array has %d dimensions (expected 1 or 2)", path, in->ndim);
    size_t need = in->numel * (size_t)in->size;
    if (in->numel > ((size_t)1 << 40) || hstart + hlen + need > size)
        return rcc_fail(RCC_ERR_FORMAT, "%s: .npy data is truncated (%zu bytes for %zu elements of %d bytes)", path,
                        size - hstart - hlen, in->numel, in->size);
    in->data = b + hstart + hlen;
    return RCC_OK;
}

static double npy_get(const npy_info *in, size_t i)
{
    const unsigned char *p = in->data + i * (size_t)in->size;
    uint64_t u = 0;
    for (int b = 0; b < in->size; b++)
        u |= (uint64_t)p[b] << (8 * b);
    switch (in->kind) {
    case 'f':
        if (in->size == 4) {
            uint32_t v = (uint32_t)u;
            float f;
            memcpy(&f, &v, 4);
            return f;
        } else {
            double f;
            memcpy(&f, &u, 8);
            return f;
        }
    case 'i':
        if (in->size < 8 && (u >> (8 * in->size - 1)) & 1)
            u |= ~(uint64_t)0 << (8 * in->size); /* sign-extend */
        return (double)(int64_t)u;
    default:
        return (double)u;
    }
}

/* Element (r, c) of a rows×cols array, whatever the storage order. */
static size_t npy_offset(const npy_info *in, size_t r, size_t c, size_t rows, size_t cols)
{
    return in->fortran && in->ndim == 2 ? c * rows + r : r * cols + c;
}

static void npy_dims(const npy_info *in, size_t *rows, size_t *cols)
{
    *rows = in->ndim == 0 ? 1 : in->shape[0];
    *cols = in->ndim == 2 ? in->shape[1] : 1;
}

rcc_status rcc_npy_read_f32(const char *path, float **data, size_t *rows, size_t *cols)
{
    unsigned char *b;
    size_t size;
    RCC_TRY(read_file(path, &b, &size));
    npy_info in;
    rcc_status st = npy_parse(path, b, size, &in);
    if (st == RCC_OK) {
        npy_dims(&in, rows, cols);
        float *x = malloc((in.numel ? in.numel : 1) * sizeof *x);
        if (!x) {
            st = rcc_fail(RCC_ERR_NOMEM, "%s: %zu elements", path, in.numel);
        } else {
            for (size_t r = 0; r < *rows; r++)
                for (size_t c = 0; c < *cols; c++)
                    x[r * *cols + c] = (float)npy_get(&in, npy_offset(&in, r, c, *rows, *cols));
            *data = x;
        }
    }
    free(b);
    return st;
}

rcc_status rcc_npy_read_int(const char *path, int **data, size_t *rows, size_t *cols)
{
    unsigned char *b;
    size_t size;
    RCC_TRY(read_file(path, &b, &size));
    npy_info in;
    rcc_status st = npy_parse(path, b, size, &in);
    if (st == RCC_OK) {
        npy_dims(&in, rows, cols);
        int *x = malloc((in.numel ? in.numel : 1) * sizeof *x);
        if (!x)
            st = rcc_fail(RCC_ERR_NOMEM, "%s: %zu elements", path, in.numel);
        for (size_t r = 0; r < *rows && st == RCC_OK; r++)
            for (size_t c = 0; c < *cols; c++) {
                size_t o = npy_offset(&in, r, c, *rows, *cols);
                double v = npy_get(&in, o);
                if (v != floor(v) || fabs(v) > 2147483647.0) {
                    st = rcc_fail(RCC_ERR_FORMAT, "%s: element %zu (%g) is not an int", path, o, v);
                    break;
                }
                x[r * *cols + c] = (int)v;
            }
        if (st == RCC_OK)
            *data = x;
        else
            free(x);
    }
    free(b);
    return st;
}

static rcc_status npy_write(const char *path, const char *descr, const void *x, size_t esize, size_t rows,
                            size_t cols)
{
    char shape[64], header[256];
    if (cols)
        snprintf(shape, sizeof shape, "(%zu, %zu)", rows, cols);
    else
        snprintf(shape, sizeof shape, "(%zu,)", rows);
    int hl = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    size_t total = 10 + (size_t)hl + 1, pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)hl + pad + 1;
    memset(header + hl, ' ', pad);
    header[hl + pad] = '\n';
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return rcc_fail(RCC_ERR_ARG, "npy: path too long: %s", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    size_t n = rows * (cols ? cols : 1);
    bool ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, hlen, f) == hlen &&
              (n == 0 || fwrite(x, esize, n, f) == n);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return rcc_fail(RCC_ERR_IO, "%s: write failed: %s", path, strerror(errno));
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

/* ---------------------------------------------------------------- IDX labels */

static rcc_status idx_labels(const char *path, int **labels, size_t *n)
{
    gzFile g = gzopen(path, "rb"); /* reads raw files too */
    if (!g)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open", path);
    unsigned char h[8];
    rcc_status st = RCC_OK;
    if (gzread(g, h, 8) != 8) {
        st = rcc_fail(RCC_ERR_FORMAT, "%s: truncated IDX header", path);
    } else if (h[0] || h[1] || h[2] != 0x08 || h[3] != 1) {
        st = rcc_fail(RCC_ERR_FORMAT, "%s: not an IDX label file (magic %02x%02x%02x%02x, expected 00000801)", path,
                      h[0], h[1], h[2], h[3]);
    } else {
        size_t cnt = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
        unsigned char *raw = malloc(cnt ? cnt : 1);
        int *lab = malloc((cnt ? cnt : 1) * sizeof *lab);
        if (!raw || !lab) {
            st = rcc_fail(RCC_ERR_NOMEM, "%s: %zu labels", path, cnt);
        } else if (cnt > 0x7fffffff || (size_t)gzread(g, raw, (unsigned)cnt) != cnt) {
            st = rcc_fail(RCC_ERR_FORMAT, "%s: IDX file holds fewer than the %zu labels it announces", path, cnt);
        } else {
            for (size_t i = 0; i < cnt; i++)
                lab[i] = raw[i];
            *labels = lab;
            *n = cnt;
            lab = NULL;
        }
        free(raw);
        free(lab);
    }
    gzclose(g);
    return st;
}

/* ---------------------------------------------------------------- CSV tables */

typedef struct {
    int cols;
    size_t rows;
    char **cell;   /* rows×cols, pointing into buf */
    char **header; /* cols names, or NULL */
    char *buf;
} csv_table;

static void csv_free(csv_table *t)
{
    free(t->cell);
    free(t->header);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '"' || *s == '\'')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '"' || e[-1] == '\'' || e[-1] == '\r'))
        *--e = 0;
    return s;
}

static bool parse_long(const char *s, long *v)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (end == s || *end || errno)
        return false;
    *v = x;
    return true;
}

static bool parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || errno)
        return false;
    *v = x;
    return true;
}

/* Splits one line in place (commas, or whitespace when there is no comma). Returns field count. */
static int split_line(char *line, char **f, int maxf)
{
    int n = 0;
    bool comma = strchr(line, ',') != NULL;
    char *p = line;
    while (n < maxf) {
        if (!comma)
            while (*p == ' ' || *p == '\t')
                p++;
        if (!comma && !*p)
            break;
        char *start = p;
        while (*p && (comma ? *p != ',' : (*p != ' ' && *p != '\t')))
            p++;
        bool more = *p != 0;
        *p = 0;
        f[n++] = trim(start);
        if (!more)
            break;
        p++;
    }
    return n;
}

#define CSV_MAXF 64

/* Reads a table: blank lines and lines starting with '#' are skipped; the first line is a header
 * when none of its fields is a number; every row must have the same number of fields. */
static rcc_status csv_read(const char *path, csv_table *t)
{
    memset(t, 0, sizeof *t);
    unsigned char *b;
    size_t size;
    RCC_TRY(read_file(path, &b, &size));
    t->buf = (char *)b;
    if (memchr(b, 0, size))
        return csv_free(t), rcc_fail(RCC_ERR_FORMAT, "%s: binary data in a text table", path);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += b[i] == '\n';
    size_t cap = 0;
    char *save = NULL, *line = strtok_r(t->buf, "\n", &save);
    bool first = true;
    rcc_status st = RCC_OK;
    for (; line && st == RCC_OK; line = strtok_r(NULL, "\n", &save)) {
        char *f[CSV_MAXF];
        char *l = trim(line);
        if (!*l || *l == '#')
            continue;
        int nf = split_line(l, f, CSV_MAXF);
        if (first) {
            first = false;
            bool numeric = false;
            double dv;
            for (int i = 0; i < nf; i++)
                numeric |= parse_double(f[i], &dv);
            t->cols = nf;
            if (!numeric) {
                t->header = malloc((size_t)nf * sizeof *t->header);
                if (!t->header)
                    return csv_free(t), rcc_fail(RCC_ERR_NOMEM, "%s", path);
                memcpy(t->header, f, (size_t)nf * sizeof *f);
                continue;
            }
            cap = lines * (size_t)nf;
            t->cell = malloc(cap * sizeof *t->cell);
            if (!t->cell)
                return csv_free(t), rcc_fail(RCC_ERR_NOMEM, "%s", path);
        }
        if (nf != t->cols) {
            st = rcc_fail(RCC_ERR_FORMAT, "%s: row %zu has %d fields, expected %d", path, t->rows + 1, nf, t->cols);
            break;
        }
        if (!t->cell) {
            cap = lines * (size_t)nf;
            t->cell = malloc(cap * sizeof *t->cell);
            if (!t->cell)
                return csv_free(t), rcc_fail(RCC_ERR_NOMEM, "%s", path);
        }
        memcpy(t->cell + t->rows * t->cols, f, (size_t)nf * sizeof *f);
        t->rows++;
    }
    if (st == RCC_OK && t->rows == 0)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: no data rows", path);
    if (st != RCC_OK)
        csv_free(t);
    return st;
}

/* Index of the header column whose name is one of names (comma-separated), or −1. */
static int csv_col(const csv_table *t, const char *names)
{
    if (!t->header)
        return -1;
    for (int c = 0; c < t->cols; c++) {
        const char *p = names;
        size_t len = strlen(t->header[c]);
        while (*p) {
            const char *e = strchr(p, ',');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            if (l == len && strncasecmp(p, t->header[c], l) == 0)
                return c;
            p += l + (e ? 1 : 0);
        }
    }
    return -1;
}

/* Column c as ints; false if some cell is not an integer. */
static bool csv_ints(const csv_table *t, int c, int *out)
{
    for (size_t r = 0; r < t->rows; r++) {
        long v;
        if (!parse_long(t->cell[r * t->cols + c], &v) || v < -2147483647L || v > 2147483647L)
            return false;
        out[r] = (int)v;
    }
    return true;
}

/* order[r] = destination row of table row r when column c holds a permutation of 0..rows−1. */
static bool csv_index_perm(const csv_table *t, int c, size_t *order)
{
    int *v = malloc(t->rows * sizeof *v);
    char *seen = calloc(t->rows, 1);
    bool ok = v && seen && csv_ints(t, c, v);
    for (size_t r = 0; ok && r < t->rows; r++) {
        if (v[r] < 0 || (size_t)v[r] >= t->rows || seen[v[r]])
            ok = false;
        else
            seen[v[r]] = 1, order[r] = (size_t)v[r];
    }
    free(v);
    free(seen);
    return ok;
}

/* ---------------------------------------------------------------- features */

rcc_status rcc_features_load(const char *path, float **x, size_t *n, int *d)
{
    *x = NULL;
    *n = 0;
    *d = 0;
    unsigned char head[6] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t got = fread(head, 1, 6, f);
    fclose(f);
    if (got == 6 && memcmp(head, "\x93NUMPY", 6) == 0) {
        size_t rows, cols;
        RCC_TRY(rcc_npy_read_f32(path, x, &rows, &cols));
        if (cols > 1 << 20) {
            free(*x);
            *x = NULL;
            return rcc_fail(RCC_ERR_FORMAT, "%s: %zu feature columns", path, cols);
        }
        *n = rows;
        *d = (int)cols;
        return RCC_OK;
    }
    csv_table t;
    RCC_TRY(csv_read(path, &t));
    int use[CSV_MAXF], nd = 0;
    for (int c = 0; c < t.cols; c++) {
        double v;
        bool named_skip = false;
        if (t.header) {
            const char *h = t.header[c];
            named_skip = !strcasecmp(h, "index") || !strcasecmp(h, "path") || !strcasecmp(h, "name") ||
                         !strcasecmp(h, "cluster") || !strcasecmp(h, "label") || !strcasecmp(h, "id");
        }
        if (!named_skip && parse_double(t.cell[c], &v))
            use[nd++] = c;
    }
    rcc_status st = RCC_OK;
    float *y = nd ? malloc(t.rows * (size_t)nd * sizeof *y) : NULL;
    if (!nd)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: no numeric feature columns", path);
    else if (!y)
        st = rcc_fail(RCC_ERR_NOMEM, "%s", path);
    for (size_t r = 0; r < t.rows && st == RCC_OK; r++)
        for (int q = 0; q < nd; q++) {
            double v;
            const char *cell = t.cell[r * t.cols + use[q]];
            if (!parse_double(cell, &v)) {
                st = rcc_fail(RCC_ERR_FORMAT, "%s: row %zu, column %d: '%s' is not a number", path, r + 1,
                              use[q] + 1, cell);
                break;
            }
            y[r * nd + q] = (float)v;
        }
    if (st == RCC_OK) {
        *x = y;
        *n = t.rows;
        *d = nd;
    } else {
        free(y);
    }
    csv_free(&t);
    return st;
}

/* ---------------------------------------------------------------- labels */

rcc_status rcc_labels_load(const char *path, int **labels, size_t *n)
{
    *labels = NULL;
    *n = 0;
    unsigned char head[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t got = fread(head, 1, 8, f);
    fclose(f);
    if (got >= 6 && memcmp(head, "\x93NUMPY", 6) == 0) {
        size_t rows, cols;
        int *x;
        RCC_TRY(rcc_npy_read_int(path, &x, &rows, &cols));
        if (cols != 1) {
            free(x);
            return rcc_fail(RCC_ERR_FORMAT, "%s: labels must be a 1-D array (got %zu x %zu)", path, rows, cols);
        }
        *labels = x;
        *n = rows;
        return RCC_OK;
    }
    if ((got >= 2 && head[0] == 0x1f && head[1] == 0x8b) || (got >= 4 && !head[0] && !head[1] && head[2] == 8))
        return idx_labels(path, labels, n);
    csv_table t;
    RCC_TRY(csv_read(path, &t));
    int lc = csv_col(&t, "label,labels,class,target,y");
    int ic = csv_col(&t, "index,idx,id,i");
    if (t.header && lc < 0 && t.cols > 1) {
        csv_free(&t);
        return rcc_fail(RCC_ERR_FORMAT, "%s: the header names no 'label' column", path);
    }
    if (lc < 0)
        lc = t.cols - 1;
    if (ic < 0 && !t.header && t.cols >= 2)
        ic = 0;
    int *v = malloc(t.rows * sizeof *v), *out = malloc(t.rows * sizeof *out);
    size_t *order = malloc(t.rows * sizeof *order);
    rcc_status st = RCC_OK;
    if (!v || !out || !order)
        st = rcc_fail(RCC_ERR_NOMEM, "%s", path);
    else if (!csv_ints(&t, lc, v))
        st = rcc_fail(RCC_ERR_FORMAT, "%s: label column %d holds a non-integer", path, lc + 1);
    if (st == RCC_OK) {
        bool perm = ic >= 0 && ic != lc && csv_index_perm(&t, ic, order);
        if (!perm && ic >= 0 && t.header)
            st = rcc_fail(RCC_ERR_FORMAT, "%s: the index column is not a permutation of 0..%zu", path, t.rows - 1);
        for (size_t r = 0; r < t.rows && st == RCC_OK; r++)
            out[perm ? order[r] : r] = v[r];
    }
    if (st == RCC_OK) {
        *labels = out;
        *n = t.rows;
        out = NULL;
    }
    free(v), free(out), free(order);
    csv_free(&t);
    return st;
}

/* ---------------------------------------------------------------- predictions */

void rcc_predictions_free(rcc_predictions *p)
{
    free(p->cluster), free(p->confidence), free(p->soft);
    memset(p, 0, sizeof *p);
}

static rcc_status predictions_npy(const char *path, rcc_predictions *p)
{
    float *x;
    size_t rows, cols;
    RCC_TRY(rcc_npy_read_f32(path, &x, &rows, &cols));
    p->n = rows;
    p->cluster = malloc((rows ? rows : 1) * sizeof *p->cluster);
    if (!p->cluster) {
        free(x);
        return rcc_fail(RCC_ERR_NOMEM, "%s", path);
    }
    if (cols == 1) {
        for (size_t i = 0; i < rows; i++) {
            if (x[i] != floorf(x[i]) || x[i] < 0 || x[i] > 1e7f) {
                free(x);
                return rcc_fail(RCC_ERR_FORMAT, "%s: element %zu (%g) is not a cluster id", path, i, (double)x[i]);
            }
            p->cluster[i] = (int)x[i];
        }
        free(x);
        return RCC_OK;
    }
    /* N×K soft assignments */
    p->confidence = malloc((rows ? rows : 1) * sizeof *p->confidence);
    if (!p->confidence) {
        free(x);
        return rcc_fail(RCC_ERR_NOMEM, "%s", path);
    }
    for (size_t i = 0; i < rows; i++) {
        const float *y = x + i * cols;
        int b = 0;
        for (size_t j = 1; j < cols; j++)
            if (y[j] > y[b])
                b = (int)j;
        p->cluster[i] = b;
        p->confidence[i] = y[b];
    }
    p->soft = x;
    p->k_soft = (int)cols;
    return RCC_OK;
}

rcc_status rcc_predictions_load(const char *path, rcc_predictions *p)
{
    memset(p, 0, sizeof *p);
    unsigned char head[6] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t got = fread(head, 1, 6, f);
    fclose(f);
    rcc_status st;
    if (got == 6 && memcmp(head, "\x93NUMPY", 6) == 0) {
        st = predictions_npy(path, p);
        if (st != RCC_OK)
            rcc_predictions_free(p);
        return st;
    }
    csv_table t;
    RCC_TRY(csv_read(path, &t));
    int cc = csv_col(&t, "cluster,pred,prediction,assignment");
    int ic = csv_col(&t, "index,idx,id,i");
    int fc = csv_col(&t, "confidence,conf,prob,probability,p");
    int *tmp = malloc(t.rows * sizeof *tmp);
    size_t *order = malloc(t.rows * sizeof *order);
    st = tmp && order ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "%s", path);
    if (st == RCC_OK && t.header && cc < 0)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: the header names no 'cluster' column", path);
    if (st == RCC_OK && !t.header) {
        /* positional: cluster | index,cluster | cluster,confidence | index,cluster,confidence */
        if (t.cols == 1) {
            cc = 0;
        } else if (t.cols == 2) {
            if (csv_ints(&t, 1, tmp))
                ic = 0, cc = 1;
            else
                cc = 0, fc = 1;
        } else if (t.cols == 3) {
            ic = 0, cc = 1, fc = 2;
        } else {
            st = rcc_fail(RCC_ERR_FORMAT, "%s: %d columns without a header (expected 1 to 3)", path, t.cols);
        }
    }
    p->n = t.rows;
    p->cluster = malloc(t.rows * sizeof *p->cluster);
    if (st == RCC_OK && fc >= 0)
        p->confidence = malloc(t.rows * sizeof *p->confidence);
    if (st == RCC_OK && (!p->cluster || (fc >= 0 && !p->confidence)))
        st = rcc_fail(RCC_ERR_NOMEM, "%s", path);
    if (st == RCC_OK && !csv_ints(&t, cc, tmp))
        st = rcc_fail(RCC_ERR_FORMAT, "%s: cluster column %d holds a non-integer", path, cc + 1);
    bool perm = false;
    if (st == RCC_OK && ic >= 0) {
        perm = csv_index_perm(&t, ic, order);
        /* a named index must be a permutation; an unnamed first column may be a path */
        if (!perm && t.header)
            st = rcc_fail(RCC_ERR_FORMAT, "%s: the index column is not a permutation of 0..%zu", path, t.rows - 1);
    }
    for (size_t r = 0; r < t.rows && st == RCC_OK; r++) {
        size_t dst = perm ? order[r] : r;
        if (tmp[r] < 0) {
            st = rcc_fail(RCC_ERR_FORMAT, "%s: negative cluster id %d in row %zu", path, tmp[r], r + 1);
            break;
        }
        p->cluster[dst] = tmp[r];
        if (fc >= 0) {
            double v;
            if (!parse_double(t.cell[r * t.cols + fc], &v)) {
                st = rcc_fail(RCC_ERR_FORMAT, "%s: confidence '%s' in row %zu is not a number", path,
                              t.cell[r * t.cols + fc], r + 1);
                break;
            }
            p->confidence[dst] = (float)v;
        }
    }
    free(tmp), free(order);
    csv_free(&t);
    if (st != RCC_OK)
        rcc_predictions_free(p);
    return st;
}
