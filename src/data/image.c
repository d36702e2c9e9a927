/* image.c — decoding one PNG (libpng) or JPEG (libjpeg) file to 8-bit planes. Both libraries report
 * errors by longjmp; every error and warning is turned into an rcc_status naming the file, and all
 * memory is released on every path. Warnings count as errors: a truncated JPEG otherwise decodes
 * "successfully" with its missing part painted gray. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <png.h>
#include "data_internal.h"

/* Checked from the header, before any pixel is decoded or allocated. */
static rcc_status check_dims(const char *path, uint64_t w, uint64_t h, int max_side)
{
    if (w == 0 || h == 0)
        return rcc_fail(RCC_ERR_FORMAT, "%s: image has no pixels (%llux%llu)", path, (unsigned long long)w,
                        (unsigned long long)h);
    if (w > (uint64_t)max_side || h > (uint64_t)max_side || w * h > RCC_DATA_MAX_IMAGE_PIXELS)
        return rcc_fail(RCC_ERR_FORMAT,
                        "%s: image of %llux%llu pixels is larger than allowed (side <= %d, %llu pixels)", path,
                        (unsigned long long)w, (unsigned long long)h, max_side,
                        (unsigned long long)RCC_DATA_MAX_IMAGE_PIXELS);
    return RCC_OK;
}

/* Interleaved rows (h × w × c) to planes (c × h × w). */
static void hwc_to_chw(const unsigned char *src, int c, int h, int w, unsigned char *dst)
{
    size_t hw = (size_t)h * w;
    for (size_t i = 0; i < hw; i++)
        for (int ch = 0; ch < c; ch++)
            dst[ch * hw + i] = src[i * c + ch];
}

/* ---------------------------------------------------------------- PNG */

/* Everything the decoder touches after setjmp lives here, outside the frame that calls setjmp. */
typedef struct {
    const char *path;
    FILE *f;
    png_structp png;
    png_infop info;
    unsigned char *rows_buf;
    png_bytep *rows;
    jmp_buf jb;
    char msg[200];
    rcc_image_u8 *img;
    int max_side;
} png_job;

static void png_error_fn(png_structp png, png_const_charp msg)
{
    png_job *j = png_get_error_ptr(png);
    snprintf(j->msg, sizeof j->msg, "%s", msg);
    longjmp(j->jb, 1);
}

static void png_warning_fn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* ancillary-chunk problems (e.g. a bad sRGB profile) do not affect the pixels */
}

static rcc_status png_decode_inner(png_job *j)
{
    if (setjmp(j->jb))
        return rcc_fail(RCC_ERR_FORMAT, "%s: corrupt or truncated PNG: %s", j->path, j->msg);
    png_init_io(j->png, j->f);
    png_set_sig_bytes(j->png, 8);
    png_read_info(j->png, j->info);
    png_uint_32 w = png_get_image_width(j->png, j->info), h = png_get_image_height(j->png, j->info);
    int depth = png_get_bit_depth(j->png, j->info), type = png_get_color_type(j->png, j->info);
    rcc_status st = check_dims(j->path, w, h, j->max_side);
    if (st != RCC_OK)
        return st;
    if (type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(j->png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(j->png);
    if (depth == 16)
        png_set_scale_16(j->png);
    png_set_strip_alpha(j->png); /* also drops the alpha that palette expansion makes from tRNS */
    png_set_interlace_handling(j->png);
    png_read_update_info(j->png, j->info);
    int c = png_get_channels(j->png, j->info);
    size_t rowbytes = png_get_rowbytes(j->png, j->info);
    if ((c != 1 && c != 3) || rowbytes != (size_t)w * c)
        return rcc_fail(RCC_ERR_FORMAT, "%s: unsupported PNG layout (colour type %d, depth %d)", j->path, type, depth);
    j->rows_buf = malloc(rowbytes * h);
    j->rows = malloc(h * sizeof *j->rows);
    j->img->pix = malloc(rowbytes * h);
    if (!j->rows_buf || !j->rows || !j->img->pix)
        return rcc_fail(RCC_ERR_NOMEM, "%s: %ux%u PNG", j->path, (unsigned)w, (unsigned)h);
    for (png_uint_32 y = 0; y < h; y++)
        j->rows[y] = j->rows_buf + y * rowbytes;
    png_read_image(j->png, j->rows);
    png_read_end(j->png, NULL);
    hwc_to_chw(j->rows_buf, c, (int)h, (int)w, j->img->pix);
    j->img->c = c;
    j->img->h = (int)h;
    j->img->w = (int)w;
    return RCC_OK;
}

static rcc_status png_decode(const char *path, FILE *f, int max_side, rcc_image_u8 *img)
{
    png_job j = {.path = path, .f = f, .img = img, .max_side = max_side};
    j.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &j, png_error_fn, png_warning_fn);
    if (j.png)
        j.info = png_create_info_struct(j.png);
    if (!j.png || !j.info) {
        png_destroy_read_struct(j.png ? &j.png : NULL, NULL, NULL);
        return rcc_fail(RCC_ERR_NOMEM, "%s: libpng could not start", path);
    }
    rcc_status st = png_decode_inner(&j);
    png_destroy_read_struct(&j.png, &j.info, NULL);
    free(j.rows);
    free(j.rows_buf);
    return st;
}

/* ---------------------------------------------------------------- JPEG */

typedef struct {
    struct jpeg_error_mgr pub; /* first: libjpeg casts cinfo->err to this struct */
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
} jpeg_err;

typedef struct {
    const char *path;
    FILE *f;
    struct jpeg_decompress_struct cinfo;
    jpeg_err err;
    unsigned char *buf;
    rcc_image_u8 *img;
    int max_side;
} jpeg_job;

static void jpeg_error_exit_fn(j_common_ptr cinfo)
{
    jpeg_err *e = (jpeg_err *)cinfo->err;
    e->pub.format_message(cinfo, e->msg);
    longjmp(e->jb, 1);
}

static void jpeg_emit_fn(j_common_ptr cinfo, int level)
{
    if (level < 0) /* a warning: corrupt data, premature end of file, ... */
        jpeg_error_exit_fn(cinfo);
}

static rcc_status jpeg_decode_inner(jpeg_job *j)
{
    if (setjmp(j->err.jb))
        return rcc_fail(RCC_ERR_FORMAT, "%s: corrupt or truncated JPEG: %s", j->path, j->err.msg);
    jpeg_create_decompress(&j->cinfo);
    jpeg_stdio_src(&j->cinfo, j->f);
    jpeg_read_header(&j->cinfo, TRUE);
    rcc_status st = check_dims(j->path, j->cinfo.image_width, j->cinfo.image_height, j->max_side);
    if (st != RCC_OK)
        return st;
    J_COLOR_SPACE cs = j->cinfo.jpeg_color_space;
    if (cs == JCS_CMYK || cs == JCS_YCCK)
        return rcc_fail(RCC_ERR_FORMAT, "%s: CMYK JPEG images are not supported (convert to RGB)", j->path);
    j->cinfo.out_color_space = cs == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&j->cinfo);
    int c = j->cinfo.output_components, w = (int)j->cinfo.output_width, h = (int)j->cinfo.output_height;
    if (c != 1 && c != 3)
        return rcc_fail(RCC_ERR_FORMAT, "%s: JPEG with %d components is not supported", j->path, c);
    size_t row = (size_t)w * c;
    j->buf = malloc(row * h);
    j->img->pix = malloc(row * h);
    if (!j->buf || !j->img->pix)
        return rcc_fail(RCC_ERR_NOMEM, "%s: %dx%d JPEG", j->path, w, h);
    while (j->cinfo.output_scanline < j->cinfo.output_height) {
        JSAMPROW r = j->buf + j->cinfo.output_scanline * row;
        jpeg_read_scanlines(&j->cinfo, &r, 1);
    }
    jpeg_finish_decompress(&j->cinfo);
    hwc_to_chw(j->buf, c, h, w, j->img->pix);
    j->img->c = c;
    j->img->h = h;
    j->img->w = w;
    return RCC_OK;
}

static rcc_status jpeg_decode(const char *path, FILE *f, int max_side, rcc_image_u8 *img)
{
    jpeg_job *j = calloc(1, sizeof *j);
    if (!j)
        return rcc_fail(RCC_ERR_NOMEM, "%s: JPEG decoder", path);
    j->path = path;
    j->f = f;
    j->img = img;
    j->max_side = max_side;
    j->cinfo.err = jpeg_std_error(&j->err.pub);
    j->err.pub.error_exit = jpeg_error_exit_fn;
    j->err.pub.emit_message = jpeg_emit_fn;
    rcc_status st = jpeg_decode_inner(j);
    jpeg_destroy_decompress(&j->cinfo);
    free(j->buf);
    free(j);
    return st;
}

/* ---------------------------------------------------------------- either */

rcc_status rcc_image_decode_stream(const char *path, FILE *f, rcc_image_u8 *img)
{
    return rcc_image_decode_stream_max(path, f, RCC_DATA_MAX_SIDE, img);
}

rcc_status rcc_image_decode_stream_max(const char *path, FILE *f, int max_side, rcc_image_u8 *img)
{
    if (max_side <= 0 || max_side > RCC_DATA_MAX_SIDE)
        max_side = RCC_DATA_MAX_SIDE;
    memset(img, 0, sizeof *img);
    unsigned char sig[8] = {0};
    size_t got = fread(sig, 1, sizeof sig, f);
    rcc_status st;
    if (got == 8 && png_sig_cmp(sig, 0, 8) == 0) {
        st = png_decode(path, f, max_side, img);
    } else if (got >= 3 && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF) {
        rewind(f);
        st = jpeg_decode(path, f, max_side, img);
    } else {
        st = rcc_fail(RCC_ERR_FORMAT, "%s: not a PNG or JPEG file (%s)", path,
                      got == 0 ? "empty file" : "its first bytes are neither the PNG nor the JPEG signature");
    }
    if (st != RCC_OK) {
        free(img->pix);
        img->pix = NULL;
    }
    return st;
}

rcc_status rcc_image_decode(const char *path, rcc_image_u8 *img)
{
    memset(img, 0, sizeof *img);
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    rcc_status st = rcc_image_decode_stream(path, f, img);
    fclose(f);
    return st;
}
