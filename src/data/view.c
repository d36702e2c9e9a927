/* view.c — an in-memory PNG/JPEG turned into a network's input (rcc_image_view_decode), for
 * programs that receive images rather than files (`rcc serve`). It goes through the same decoder
 * and the same evaluation resize as a data set loaded from the file, so the answers agree. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data_internal.h"

rcc_status rcc_image_view_decode(const void *bytes, size_t len, int channels, int size, int max_side,
                                 const char *name, float *out)
{
    if (!name)
        name = "image";
    if ((channels != 1 && channels != 3) || size < 1 || !out)
        return rcc_fail(RCC_ERR_ARG, "%s: a view needs 1 or 3 channels and a size >= 1 (got %d, %d)", name,
                        channels, size);
    if (!bytes || len == 0)
        return rcc_fail(RCC_ERR_FORMAT, "%s: empty (no image bytes)", name);
    FILE *f = fmemopen((void *)bytes, len, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_NOMEM, "%s: cannot open memory stream: %s", name, strerror(errno));
    rcc_image_u8 img;
    rcc_status st = rcc_image_decode_stream_max(name, f, max_side, &img);
    fclose(f);
    if (st != RCC_OK)
        return st;
    /* As rcc_dataset_load of one image: bytes / 255 at the image's own size and channels; then the
     * channel conversion, then the evaluation view's bilinear resize (per plane, so converting
     * before or after the resize gives the same floats for replication). */
    size_t hw = (size_t)img.h * img.w;
    int c = img.c == 3 && channels == 1 ? 1 : img.c;
    float *src = malloc((size_t)c * hw * sizeof *src);
    if (!src) {
        free(img.pix);
        return rcc_fail(RCC_ERR_NOMEM, "%s: %dx%d image", name, img.w, img.h);
    }
    if (img.c == 3 && channels == 1) {
        for (size_t i = 0; i < hw; i++)
            src[i] = rcc_luma(img.pix[i] / 255.0f, img.pix[hw + i] / 255.0f, img.pix[2 * hw + i] / 255.0f);
    } else {
        for (size_t i = 0; i < (size_t)c * hw; i++)
            src[i] = img.pix[i] / 255.0f;
    }
    free(img.pix);
    rcc_resize_bilinear(src, c, img.h, img.w, out, size);
    free(src);
    size_t ss = (size_t)size * size;
    for (int ch = c; ch < channels; ch++) /* gray to colour */
        memcpy(out + ch * ss, out, ss * sizeof *out);
    return RCC_OK;
}
