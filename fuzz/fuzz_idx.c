/* fuzz_idx.c — libFuzzer harness for the IDX readers (raw and gzip, through zlib): the input is
 * written to a scratch file and loaded as an image data set (rcc_dataset_load, which decides the
 * kind by the first bytes, checks the header against the file and converts to floats) and as a
 * label file (rcc_idx_read_labels, with and without the exact-size check). Every call must either
 * succeed with consistent dimensions or fail with a message; the sanitizers catch the rest. */
#include "fuzz_common.h"
#include "data/data_internal.h"

static char g_path[256];

static void cleanup(void) { unlink(g_path); }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_path(g_path, sizeof g_path, "idx", "");
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write(g_path, data, size);
    const char *paths[1] = {g_path};
    rcc_dataset d;
    if (rcc_dataset_load(&d, paths, 1, NULL) == RCC_OK) {
        if (d.n < 1 || d.c < 1 || d.h < 1 || d.w < 1 || (!d.u8 && !d.pix))
            abort(); /* a loaded data set is never empty */
        size_t n = (size_t)d.n * d.c * d.h * d.w;
        for (size_t i = 0; i < n; i++)
            if (!(rcc_dataset_px(&d, i) >= 0.0f && rcc_dataset_px(&d, i) <= 1.0f))
                abort(); /* bytes / 255 (or a .npy of floats in [0, 1]) */
        rcc_dataset_free(&d);
    } else if (!rcc_last_error()[0]) {
        abort(); /* every failure says why */
    }
    for (int exact = 0; exact < 2; exact++) {
        int *labels;
        size_t n;
        if (rcc_idx_read_labels(g_path, exact, &labels, &n) == RCC_OK) {
            for (size_t i = 0; i < n; i++)
                if (labels[i] < 0 || labels[i] > 255)
                    abort();
            free(labels);
        }
    }
    return 0;
}
