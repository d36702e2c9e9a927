/* data_internal.h — pieces shared by the files of the data module (not part of the contract in
 * data.h): limits, image decoding, the resampling kernels, and the IDX label reader that
 * evaluation uses too. */
#ifndef RCC_DATA_INTERNAL_H
#define RCC_DATA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "data.h"
#include "util.h"

/* Limits that keep a corrupt or hostile header from causing a huge allocation. */
#define RCC_DATA_MAX_SIDE 16384                       /* pixels per image side */
#define RCC_DATA_MAX_IMAGE_PIXELS ((uint64_t)1 << 26)  /* h·w of one decoded PNG/JPEG */
#define RCC_DATA_MAX_BYTES ((uint64_t)16 << 30)        /* float pixels of a whole data set: 16 GiB */
#define RCC_DATA_MAX_LABEL 65535

/* An IDX label file (magic 00000801, raw or gzip, big-endian count) as n ints in 0..255. The count
 * is checked against a raw file's size before allocating; data after the announced labels is an
 * error when exact_size. Errors name `path` (wrong magic, an image file given, truncated or corrupt
 * data). */
rcc_status rcc_idx_read_labels(const char *path, bool exact_size, int **labels, size_t *n);
/* A label file as n ints, the one reader of the data sets' labels and of rcc_labels_load: .npy (an
 * integer array, 1-D or N×1, values in 0..RCC_DATA_MAX_LABEL) or else IDX (rcc_idx_read_labels). */
rcc_status rcc_label_file_read(const char *path, bool exact_size, int **labels, size_t *n);

/* A decoded PNG or JPEG: c (1 or 3) planes of h×w bytes (CHW). */
typedef struct {
    int c, h, w;
    unsigned char *pix;
} rcc_image_u8;

/* Decode by signature (PNG or JPEG); errors name `path`. Gray(+alpha) gives 1 channel, colour(+alpha)
 * 3; alpha is dropped, 16-bit samples are scaled to 8 bits, palettes expanded. */
rcc_status rcc_image_decode(const char *path, rcc_image_u8 *img);
/* The same from a stream open for reading at the start of the image (a file, or fmemopen'ed
 * memory, as the fuzz harness does); `path` only names it in errors. f is not closed. */
rcc_status rcc_image_decode_stream(const char *path, FILE *f, rcc_image_u8 *img);
/* The same, refusing from the header an image with a side above max_side (<= 0 or above
 * RCC_DATA_MAX_SIDE: RCC_DATA_MAX_SIDE), before its pixels are decoded. */
rcc_status rcc_image_decode_stream_max(const char *path, FILE *f, int max_side, rcc_image_u8 *img);

/* Luma of an RGB pixel (ITU-R BT.601, as torchvision's rgb_to_grayscale). */
static inline float rcc_luma(float r, float g, float b) { return 0.2989f * r + 0.587f * g + 0.114f * b; }

/* One image's pixels as a data set holds them: floats, or bytes b that stand for b / 255.0f (the
 * float the loader would have stored). Exactly one pointer is set. */
typedef struct {
    const float *f;
    const unsigned char *b;
} rcc_pixels;

static inline float rcc_px(rcc_pixels p, size_t i) { return p.f ? p.f[i] : p.b[i] / 255.0f; }

/* Image `index` of d, whichever way d holds its pixels. */
static inline rcc_pixels rcc_dataset_pixels(const rcc_dataset *d, int index)
{
    size_t at = (size_t)index * d->c * d->h * d->w;
    return d->u8 ? (rcc_pixels){NULL, d->u8 + at} : (rcc_pixels){d->pix + at, NULL};
}

/* Resampling of a region (y0, x0, rh, rw) of one c×h×w image to c×oh×ow, as PyTorch's bilinear
 * interpolate (align_corners=False, no antialiasing) of the cropped tensor. */
void rcc_resize_region(const float *src, int c, int h, int w, int y0, int x0, int rh, int rw, float *dst, int oh,
                       int ow);
/* The same from pixels held either way (identical floats out for bytes and their floats). */
void rcc_resize_region_px(rcc_pixels src, int c, int h, int w, int y0, int x0, int rh, int rw, float *dst, int oh,
                          int ow);
/* Antialiased bilinear (triangle filter widened by the scale when shrinking, as PIL's), used only to
 * bring images of other sizes to the data set's size at load time. */
rcc_status rcc_resize_aa(const float *src, int c, int h, int w, float *dst, int oh, int ow);

#endif
