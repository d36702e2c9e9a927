/* png_out.c — images out as PNG bytes in memory (libpng): an image of a data set, or a PNG/JPEG
 * held in memory, scaled down to fit a side with the load-time antialiased resize. These are the
 * thumbnails of `rcc report` and of the page of `rcc serve`, and the files `rcc predict
 * --sort-into` writes for images that have none (IDX, .npy) at their full size. */
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data_internal.h"

/* The growing output buffer and the error state; lives outside the frame that calls setjmp. */
typedef struct {
    png_structp png;
    png_infop info;
    unsigned char *out;
    size_t len, cap;
    bool nomem;
    jmp_buf jb;
    char msg[200];
    const unsigned char *rows; /* h rows of w·c bytes, interleaved */
    int c, h, w;
} png_out_job;

static void out_error(png_structp png, png_const_charp msg)
{
    png_out_job *j = png_get_error_ptr(png);
    snprintf(j->msg, sizeof j->msg, "%s", msg);
    longjmp(j->jb, 1);
}

static void out_warning(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg; /* an encoder writing 8-bit gray or RGB has nothing to warn about that matters */
}

static void out_write(png_structp png, png_bytep data, size_t n)
{
    png_out_job *j = png_get_io_ptr(png);
    if (j->len + n > j->cap) {
        size_t cap = j->cap ? j->cap : 1024;
        while (cap < j->len + n)
            cap *= 2;
        unsigned char *p = realloc(j->out, cap);
        if (!p) {
            j->nomem = true;
            png_error(png, "out of memory");
        }
        j->out = p;
        j->cap = cap;
    }
    memcpy(j->out + j->len, data, n);
    j->len += n;
}

static void out_flush(png_structp png) { (void)png; }

static rcc_status encode_inner(png_out_job *j)
{
    if (setjmp(j->jb))
        return j->nomem ? rcc_fail(RCC_ERR_NOMEM, "PNG encoding: out of memory")
                        : rcc_fail(RCC_ERR_FORMAT, "PNG encoding failed: %s", j->msg);
    png_set_write_fn(j->png, j, out_write, out_flush);
    png_set_IHDR(j->png, j->info, (png_uint_32)j->w, (png_uint_32)j->h, 8,
                 j->c == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(j->png, j->info);
    size_t stride = (size_t)j->w * j->c;
    for (int y = 0; y < j->h; y++)
        png_write_row(j->png, (png_const_bytep)(j->rows + (size_t)y * stride));
    png_write_end(j->png, NULL);
    return RCC_OK;
}

/* c planes of h×w bytes (CHW) as an 8-bit gray or RGB PNG. */
static rcc_status encode_chw(const unsigned char *chw, int c, int h, int w, unsigned char **png, size_t *len)
{
    size_t hw = (size_t)h * w;
    unsigned char *hwc = malloc(hw * c);
    if (!hwc)
        return rcc_fail(RCC_ERR_NOMEM, "PNG encoding: %dx%d image", w, h);
    for (size_t i = 0; i < hw; i++)
        for (int ch = 0; ch < c; ch++)
            hwc[i * c + ch] = chw[ch * hw + i];
    png_out_job j = {.rows = hwc, .c = c, .h = h, .w = w};
    j.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &j, out_error, out_warning);
    j.info = j.png ? png_create_info_struct(j.png) : NULL;
    rcc_status st = j.info ? encode_inner(&j) : rcc_fail(RCC_ERR_NOMEM, "PNG encoder");
    if (j.png)
        png_destroy_write_struct(&j.png, j.info ? &j.info : NULL);
    free(hwc);
    if (st != RCC_OK) {
        free(j.out);
        return st;
    }
    *png = j.out;
    *len = j.len;
    return RCC_OK;
}

/* The size of an h×w image scaled to fit max_side (never enlarged; <= 0: as it is). */
static void fit(int h, int w, int max_side, int *oh, int *ow)
{
    *oh = h, *ow = w;
    int side = h > w ? h : w;
    if (max_side <= 0 || side <= max_side)
        return;
    *oh = (int)((long long)h * max_side / side);
    *ow = (int)((long long)w * max_side / side);
    if (*oh < 1)
        *oh = 1;
    if (*ow < 1)
        *ow = 1;
}

/* Floats in [0, 1] (CHW) scaled to fit max_side and quantised to bytes, then encoded. */
static rcc_status encode_floats(const float *src, int c, int h, int w, int max_side, unsigned char **png, size_t *len)
{
    int oh, ow;
    fit(h, w, max_side, &oh, &ow);
    const float *px = src;
    float *small = NULL;
    if (oh != h || ow != w) {
        small = malloc((size_t)c * oh * ow * sizeof *small);
        if (!small)
            return rcc_fail(RCC_ERR_NOMEM, "thumbnail of a %dx%d image", w, h);
        rcc_status st = rcc_resize_aa(src, c, h, w, small, oh, ow);
        if (st != RCC_OK) {
            free(small);
            return st;
        }
        px = small;
    }
    size_t n = (size_t)c * oh * ow;
    unsigned char *b = malloc(n);
    rcc_status st = b ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "thumbnail of a %dx%d image", w, h);
    for (size_t i = 0; b && i < n; i++) {
        float v = px[i] * 255.0f + 0.5f; /* b / 255 comes back as b exactly */
        b[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    if (st == RCC_OK)
        st = encode_chw(b, c, oh, ow, png, len);
    free(b);
    free(small);
    return st;
}

rcc_status rcc_dataset_image_png(const rcc_dataset *d, int index, int max_side, unsigned char **png, size_t *len)
{
    *png = NULL;
    *len = 0;
    if (!d || index < 0 || index >= d->n || (d->c != 1 && d->c != 3))
        return rcc_fail(RCC_ERR_ARG, "image %d of a data set of %d (1 or 3 channels)", index, d ? d->n : 0);
    size_t n = (size_t)d->c * d->h * d->w;
    float *x = malloc(n * sizeof *x);
    if (!x)
        return rcc_fail(RCC_ERR_NOMEM, "image %d", index);
    for (size_t i = 0; i < n; i++)
        x[i] = rcc_dataset_px(d, (size_t)index * n + i);
    rcc_status st = encode_floats(x, d->c, d->h, d->w, max_side, png, len);
    free(x);
    return st;
}

rcc_status rcc_image_thumbnail_png(const void *bytes, size_t len, int max_decode_side, int max_side,
                                   unsigned char **png, size_t *png_len)
{
    *png = NULL;
    *png_len = 0;
    if (!bytes || len == 0)
        return rcc_fail(RCC_ERR_FORMAT, "thumbnail: empty (no image bytes)");
    FILE *f = fmemopen((void *)bytes, len, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_NOMEM, "thumbnail: cannot open memory stream: %s", strerror(errno));
    rcc_image_u8 img;
    rcc_status st = rcc_image_decode_stream_max("thumbnail", f, max_decode_side, &img);
    fclose(f);
    if (st != RCC_OK)
        return st;
    size_t n = (size_t)img.c * img.h * img.w;
    float *x = malloc(n * sizeof *x);
    if (!x) {
        free(img.pix);
        return rcc_fail(RCC_ERR_NOMEM, "thumbnail of a %dx%d image", img.w, img.h);
    }
    for (size_t i = 0; i < n; i++)
        x[i] = img.pix[i] / 255.0f;
    free(img.pix);
    st = encode_floats(x, img.c, img.h, img.w, max_side, png, png_len);
    free(x);
    return st;
}
