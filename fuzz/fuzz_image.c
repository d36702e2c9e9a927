/* fuzz_image.c — libFuzzer harness for image decoding (PNG through libpng, JPEG through libjpeg,
 * chosen by signature): rcc_image_decode_stream on the input in memory (fmemopen), which must
 * fail with a message or give 1 or 3 planes of at most the allowed size. A decoded image of
 * moderate size is then loaded as a data source after a fixed 2-image colour source of another
 * size, which sends it through the rest of the folder/image path: replication of gray to RGB and
 * the antialiased resize to the first source's size. */
#include "fuzz_common.h"
#include "data/data_internal.h"

static char g_path[256], g_fixed[256];

static void cleanup(void)
{
    unlink(g_path);
    unlink(g_fixed);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_path(g_path, sizeof g_path, "image", ".png"); /* the decoder goes by signature, not name */
    fuzz_path(g_fixed, sizeof g_fixed, "image-fixed", ".npy");
    /* 2 float images of 3×5×3 (N×C×H×W) with values in [0, 1] */
    char head[128];
    int hl = snprintf(head, sizeof head, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 5, 3), }");
    while ((10 + hl + 1) % 64)
        head[hl++] = ' ';
    head[hl++] = '\n';
    unsigned char file[512];
    memcpy(file, "\x93NUMPY\x01\x00", 8);
    file[8] = (unsigned char)hl;
    file[9] = 0;
    memcpy(file + 10, head, (size_t)hl);
    size_t at = 10 + (size_t)hl;
    for (int i = 0; i < 2 * 3 * 5 * 3; i++, at += 4) {
        float v = (float)(i % 7) / 6.0f;
        memcpy(file + at, &v, 4);
    }
    fuzz_write(g_fixed, file, at);
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
    if (!f)
        return 0;
    if (!size)
        fgetc(f); /* fmemopen needs a non-empty buffer: read past it, so the stream is at its end */
    rcc_image_u8 img;
    rcc_status st = rcc_image_decode_stream("input", f, &img);
    fclose(f);
    if (st != RCC_OK) {
        if (img.pix || !rcc_last_error()[0])
            abort(); /* nothing left allocated, and a reason given */
        return 0;
    }
    if ((img.c != 1 && img.c != 3) || img.h < 1 || img.w < 1 || img.h > RCC_DATA_MAX_SIDE ||
        img.w > RCC_DATA_MAX_SIDE || (uint64_t)img.h * (uint64_t)img.w > RCC_DATA_MAX_IMAGE_PIXELS || !img.pix)
        abort();
    size_t pixels = (size_t)img.h * (size_t)img.w;
    free(img.pix);
    if (pixels > ((size_t)1 << 16))
        return 0; /* the resize below would only make fuzzing slow */
    fuzz_write(g_path, data, size);
    const char *paths[2] = {g_fixed, g_path};
    rcc_data_report rep;
    rcc_dataset d;
    if (rcc_dataset_load_report(&d, paths, 2, NULL, &rep) == RCC_OK) {
        if (d.n != 3 || d.c != 3 || d.h != 5 || d.w != 3)
            abort();
        for (size_t i = 0; i < (size_t)3 * 3 * 5 * 3; i++)
            if (!(rcc_dataset_px(&d, i) >= -1e-6f && rcc_dataset_px(&d, i) <= 1.0f + 1e-6f))
                abort(); /* the resize of values in [0, 1] stays in [0, 1] */
        rcc_dataset_free(&d);
    } else {
        abort(); /* it decoded a moment ago */
    }
    return 0;
}
