/* subset.c — subsets of a data set: which images the long-tail benchmark keeps
 * (rcc_long_tail_select), a new data set of chosen images (rcc_dataset_subset), and gray 8-bit
 * data sets written back as IDX files (rcc_dataset_write_idx). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "rcc_data.h"
#include "../rng.h"
#include "../util.h"

/* stream ids of the selection's randomness: the class order, then one stream per class */
enum { STREAM_ORDER = 0x4c540000, STREAM_CLASS = 0x4c540100 };

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

rcc_status rcc_long_tail_sizes(const int *counts, int classes, double ratio, int n_max, uint64_t seed, int *order,
                               int *sizes)
{
    if (classes < 2)
        return rcc_fail(RCC_ERR_ARG, "a long tail needs at least 2 classes (got %d)", classes);
    if (!(ratio >= 1) || !isfinite(ratio))
        return rcc_fail(RCC_ERR_ARG, "the imbalance ratio must be >= 1 (got %g)", ratio);
    int smallest = counts[0];
    for (int c = 0; c < classes; c++) {
        if (counts[c] < 1)
            return rcc_fail(RCC_ERR_ARG, "class %d has no images: a long tail needs every class", c);
        if (counts[c] < smallest)
            smallest = counts[c];
    }
    if (n_max <= 0)
        n_max = smallest;
    size_t idx[classes];
    rcc_rng_sample_prefix(idx, (size_t)classes, (size_t)classes - 1, seed, STREAM_ORDER);
    for (int r = 0; r < classes; r++) {
        int c = (int)idx[r];
        /* n_c = n_max · ratio^(−r/(C−1)); the small constant keeps exact powers (ratio 1) from rounding down */
        double want = n_max * pow(ratio, -(double)r / (classes - 1)) + 1e-9;
        int n_c = (int)floor(want);
        if (n_c < 1)
            n_c = 1;
        if (n_c > counts[c])
            return rcc_fail(RCC_ERR_ARG,
                            "class %d has %d images but rank %d of the profile asks for %d (n_max %d is more than "
                            "the smallest class can give at every rank)",
                            c, counts[c], r, n_c, n_max);
        if (order)
            order[r] = c;
        sizes[c] = n_c;
    }
    return RCC_OK;
}

rcc_status rcc_long_tail_select(const int *labels, int n, int classes, double ratio, int n_max, uint64_t seed,
                                int **index, int *count)
{
    *index = NULL;
    *count = 0;
    if (!labels || n < 1)
        return rcc_fail(RCC_ERR_ARG, "a long-tailed subset needs a labelled data set");
    if (classes < 2 || classes > 100000)
        return rcc_fail(RCC_ERR_ARG, "a long tail needs 2..100000 classes (got %d)", classes);
    int *counts = calloc((size_t)classes, sizeof *counts), *sizes = calloc((size_t)classes, sizeof *sizes);
    int *out = malloc((size_t)n * sizeof *out), *members = malloc((size_t)n * sizeof *members);
    size_t *pick = malloc((size_t)n * sizeof *pick);
    rcc_status st = RCC_OK;
    if (!counts || !sizes || !out || !members || !pick) {
        st = rcc_fail(RCC_ERR_NOMEM, "long-tail selection");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= classes) {
            st = rcc_fail(RCC_ERR_ARG, "label %d of image %d is outside 0..%d", labels[i], i, classes - 1);
            goto done;
        }
        counts[labels[i]]++;
    }
    if ((st = rcc_long_tail_sizes(counts, classes, ratio, n_max, seed, NULL, sizes)) != RCC_OK)
        goto done;
    int kept = 0;
    for (int c = 0; c < classes; c++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (labels[i] == c)
                members[m++] = i;
        /* sizes[c] of the class's m images, drawn without replacement from the class's own stream */
        rcc_rng_sample_prefix(pick, (size_t)m, (size_t)sizes[c], seed, STREAM_CLASS + (uint64_t)c);
        for (int j = 0; j < sizes[c]; j++)
            out[kept++] = members[pick[j]];
    }
    qsort(out, (size_t)kept, sizeof *out, cmp_int); /* the data set's own order */
    *index = out;
    *count = kept;
    out = NULL;
done:
    free(counts), free(sizes), free(out), free(members), free(pick);
    return st;
}

rcc_status rcc_dataset_subset(const rcc_dataset *d, const int *index, int count, rcc_dataset *out)
{
    memset(out, 0, sizeof *out);
    if (count < 1)
        return rcc_fail(RCC_ERR_ARG, "a subset needs at least one image");
    size_t per = (size_t)d->c * d->h * d->w;
    out->n = count, out->c = d->c, out->h = d->h, out->w = d->w, out->num_classes = d->num_classes;
    if (d->u8)
        out->u8 = malloc((size_t)count * per);
    else
        out->pix = malloc((size_t)count * per * sizeof(float));
    if (d->labels)
        out->labels = malloc((size_t)count * sizeof(int));
    if (d->names)
        out->names = calloc((size_t)count, sizeof(char *));
    if ((!out->u8 && !out->pix) || (d->labels && !out->labels) || (d->names && !out->names)) {
        rcc_dataset_free(out);
        return rcc_fail(RCC_ERR_NOMEM, "a subset of %d images", count);
    }
    for (int j = 0; j < count; j++) {
        int i = index[j];
        if (i < 0 || i >= d->n) {
            rcc_dataset_free(out);
            return rcc_fail(RCC_ERR_ARG, "subset: image %d is outside the data set's 0..%d", i, d->n - 1);
        }
        if (d->u8)
            memcpy(out->u8 + (size_t)j * per, d->u8 + (size_t)i * per, per);
        else
            memcpy(out->pix + (size_t)j * per, d->pix + (size_t)i * per, per * sizeof(float));
        if (d->labels)
            out->labels[j] = d->labels[i];
        if (d->names && d->names[i] && !(out->names[j] = strdup(d->names[i]))) {
            rcc_dataset_free(out);
            return rcc_fail(RCC_ERR_NOMEM, "a subset's names");
        }
    }
    return RCC_OK;
}

/* The 4-byte big-endian integers of an IDX header. */
static void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16), b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

static rcc_status gz_write_all(const char *path, const unsigned char *head, size_t hn, const unsigned char *body,
                               size_t bn)
{
    gzFile g = gzopen(path, "wb");
    if (!g)
        return rcc_fail(RCC_ERR_IO, "%s: cannot create: %s", path, strerror(errno ? errno : EIO));
    bool ok = gzwrite(g, head, (unsigned)hn) == (int)hn;
    for (size_t off = 0; ok && off < bn;) { /* gzwrite takes an unsigned count: chunks */
        unsigned chunk = bn - off > (1u << 30) ? 1u << 30 : (unsigned)(bn - off);
        ok = gzwrite(g, body + off, chunk) == (int)chunk;
        off += chunk;
    }
    int errnum = 0;
    const char *msg = ok ? NULL : gzerror(g, &errnum);
    char saved[160] = "";
    if (msg)
        snprintf(saved, sizeof saved, "%s", msg);
    if (gzclose(g) != Z_OK || !ok)
        return rcc_fail(RCC_ERR_IO, "%s: write failed%s%s", path, saved[0] ? ": " : "", saved);
    return RCC_OK;
}

rcc_status rcc_dataset_write_idx(const rcc_dataset *d, const char *images_path, const char *labels_path)
{
    if (!d->u8 || d->c != 1)
        return rcc_fail(RCC_ERR_ARG, "IDX files hold gray 8-bit images: this data set has %d channel(s) as %s",
                        d->c, d->u8 ? "bytes" : "floats");
    unsigned char head[16];
    put_be32(head, 0x00000803);
    put_be32(head + 4, (uint32_t)d->n), put_be32(head + 8, (uint32_t)d->h), put_be32(head + 12, (uint32_t)d->w);
    RCC_TRY(gz_write_all(images_path, head, 16, d->u8, (size_t)d->n * d->h * d->w));
    if (!labels_path)
        return RCC_OK;
    if (!d->labels)
        return rcc_fail(RCC_ERR_ARG, "%s: the data set has no labels to write", labels_path);
    unsigned char *lab = malloc((size_t)d->n);
    if (!lab)
        return rcc_fail(RCC_ERR_NOMEM, "labels");
    for (int i = 0; i < d->n; i++) {
        if (d->labels[i] < 0 || d->labels[i] > 255) {
            free(lab);
            return rcc_fail(RCC_ERR_ARG, "%s: label %d of image %d does not fit an IDX byte", labels_path,
                            d->labels[i], i);
        }
        lab[i] = (unsigned char)d->labels[i];
    }
    put_be32(head, 0x00000801);
    put_be32(head + 4, (uint32_t)d->n);
    rcc_status st = gz_write_all(labels_path, head, 8, lab, (size_t)d->n);
    free(lab);
    return st;
}
