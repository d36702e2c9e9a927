/* io.c — the files evaluation reads: .npy arrays (features, predictions; the header parser and the
 * writers are in npy.c), label files (.npy or IDX, read by the data module's one label reader), and
 * small CSV/text tables of labels or predictions. */
#include "rcc_eval.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "data/data_internal.h" /* the label reader */
#include "npy.h"
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

/* ---------------------------------------------------------------- .npy (header parsed by npy.c) */

/* A 0-, 1- or 2-D array as rows×cols (1-D: one column) floats or ints in C order. Trailing bytes after
 * the data are ignored, as NumPy does. */
static rcc_status npy_read_2d(const char *path, bool as_int, void **out, size_t *rows, size_t *cols)
{
    FILE *f;
    rcc_npy_header h;
    RCC_TRY(rcc_npy_open(path, false, &f, &h));
    rcc_status st = RCC_OK;
    if (h.ndim > 2)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: .npy array has %d dimensions (expected 1 or 2)", path, h.ndim);
    else if (h.ndim == 2 && h.shape[1] == 0 && h.shape[0] > 0) /* else 100 bytes could ask for terabytes */
        st = rcc_fail(RCC_ERR_FORMAT, "%s: .npy array of %llu x 0 has no columns", path,
                      (unsigned long long)h.shape[0]);
    unsigned char *b = NULL;
    if (st == RCC_OK)
        st = rcc_npy_read_data(path, f, &h, &b);
    fclose(f);
    RCC_TRY(st);
    size_t r = h.ndim == 0 ? 1 : (size_t)h.shape[0], c = h.ndim == 2 ? (size_t)h.shape[1] : 1;
    size_t es = (size_t)h.dtype.size, n = (size_t)h.count;
    if (h.fortran && r > 1 && c > 1) { /* column-major to row-major */
        unsigned char *t = malloc(n * es);
        if (!t) {
            free(b);
            return rcc_fail(RCC_ERR_NOMEM, "%s: %zu x %zu elements", path, r, c);
        }
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < c; j++)
                memcpy(t + (i * c + j) * es, b + (j * r + i) * es, es);
        free(b);
        b = t;
    }
    void *x = malloc((n ? n : 1) * (as_int ? sizeof(int) : sizeof(float)));
    if (!x)
        st = rcc_fail(RCC_ERR_NOMEM, "%s: %zu elements", path, n);
    else if (as_int)
        st = rcc_npy_to_int(path, "element", &h.dtype, b, n, INT_MIN, INT_MAX, x);
    else
        rcc_npy_to_f32(&h.dtype, b, n, x);
    free(b);
    if (st != RCC_OK) {
        free(x);
        return st;
    }
    *out = x;
    *rows = r;
    *cols = c;
    return RCC_OK;
}

rcc_status rcc_npy_read_f32(const char *path, float **data, size_t *rows, size_t *cols)
{
    void *x;
    RCC_TRY(npy_read_2d(path, false, &x, rows, cols));
    *data = x;
    return RCC_OK;
}

rcc_status rcc_npy_read_int(const char *path, int **data, size_t *rows, size_t *cols)
{
    void *x;
    RCC_TRY(npy_read_2d(path, true, &x, rows, cols));
    *data = x;
    return RCC_OK;
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
    unsigned char *b = NULL; /* initialised: GCC, inlining read_file, cannot see that it sets both */
    size_t size = 0;
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
    bool npy = got >= 6 && memcmp(head, "\x93NUMPY", 6) == 0,
         idx = (got >= 2 && head[0] == 0x1f && head[1] == 0x8b) || (got >= 4 && !head[0] && !head[1] && head[2] == 8);
    if (npy || idx) /* the data module's reader; an IDX file's trailing data ignored, as before */
        return rcc_label_file_read(path, false, labels, n);
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
                double v = x[i]; /* named in the message, after x is freed */
                free(x);
                return rcc_fail(RCC_ERR_FORMAT, "%s: element %zu (%g) is not a cluster id", path, i, v);
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
