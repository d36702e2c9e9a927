/* fuzz_npy.c — libFuzzer harness for .npy files: the header parser on the bytes in memory
 * (rcc_npy_parse_header) and the element conversions on the data that follows; then the input as
 * a file through every reader that takes .npy: images for training (rcc_dataset_load: dtype,
 * shape, channels-last transpose, NaN checks), labels beside a fixed 4-image data set, and the
 * evaluation readers of features, labels and predictions (which fall back to CSV when the magic
 * is absent, so the CSV tables are fuzzed too). */
#include <math.h>
#include "fuzz_common.h"
#include "data/data_internal.h"
#include "rcc_eval.h"
#include "npy.h"

static char g_path[256], g_images[256];

static void cleanup(void)
{
    unlink(g_path);
    unlink(g_images);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_path(g_path, sizeof g_path, "npy", ".npy");
    fuzz_path(g_images, sizeof g_images, "npy-images", ".npy");
    static const unsigned char pix[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    /* 4 uint8 images of 2×2 (rcc writes only f4/i4 .npy files, so it is made here) */
    char head[128];
    int hl = snprintf(head, sizeof head, "{'descr': '|u1', 'fortran_order': False, 'shape': (4, 2, 2), }");
    while ((10 + hl + 1) % 64)
        head[hl++] = ' ';
    head[hl++] = '\n';
    unsigned char file[256];
    memcpy(file, "\x93NUMPY\x01\x00", 8);
    file[8] = (unsigned char)hl;
    file[9] = 0;
    memcpy(file + 10, head, (size_t)hl);
    memcpy(file + 10 + hl, pix, sizeof pix);
    fuzz_write(g_images, file, 10 + (size_t)hl + sizeof pix);
    atexit(cleanup);
    return 0;
}

static void in_memory(const uint8_t *data, size_t size)
{
    rcc_npy_header h;
    if (rcc_npy_parse_header("input", data, size, &h) != RCC_OK)
        return;
    if (h.offset > size || h.ndim < 0 || h.ndim > RCC_NPY_MAX_DIMS || h.count > RCC_NPY_MAX_ELEMS)
        abort();
    size_t have = (size - (size_t)h.offset) / (size_t)h.dtype.size;
    size_t n = h.count < have ? (size_t)h.count : have;
    if (n > 4096)
        n = 4096;
    float *f = malloc((n ? n : 1) * sizeof *f);
    int *k = malloc((n ? n : 1) * sizeof *k);
    if (f && k) {
        rcc_npy_to_f32(&h.dtype, data + h.offset, n, f);
        rcc_npy_to_int("input", "element", &h.dtype, data + h.offset, n, -1000, 1000, k);
    }
    free(f);
    free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in_memory(data, size);
    fuzz_write(g_path, data, size);
    const char *paths[1] = {g_path};
    rcc_dataset d;
    if (rcc_dataset_load(&d, paths, 1, NULL) == RCC_OK) {
        size_t n = (size_t)d.n * d.c * d.h * d.w;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(rcc_dataset_px(&d, i)))
                abort(); /* NaN and infinity are refused at load */
        rcc_dataset_free(&d);
    }
    const char *img[1] = {g_images}, *lab[1] = {g_path};
    if (rcc_dataset_load(&d, img, 1, lab) == RCC_OK) {
        if (!d.labels || d.n != 4 || d.num_classes < 1 || d.num_classes > RCC_DATA_MAX_LABEL + 1)
            abort();
        rcc_dataset_free(&d);
    }
    float *x;
    size_t rows;
    int dim;
    if (rcc_features_load(g_path, &x, &rows, &dim) == RCC_OK)
        free(x);
    int *labels;
    if (rcc_labels_load(g_path, &labels, &rows) == RCC_OK)
        free(labels);
    rcc_predictions p;
    if (rcc_predictions_load(g_path, &p) == RCC_OK)
        rcc_predictions_free(&p);
    return 0;
}
