/* test_data_common.h — helpers shared by the data tests: a temporary folder that is removed at
 * the end, finding MNIST-test, and writing PNG/JPEG/.npy/IDX files with the real libraries. */
#ifndef RCC_TEST_DATA_COMMON_H
#define RCC_TEST_DATA_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <png.h>
#include "testutil.h"
#include <zlib.h>

/* ---------------------------------------------------------------- temporary files */

__attribute__((unused)) static char tmp_root[64];
__attribute__((unused)) static char *tmp_made[4096];
__attribute__((unused)) static int tmp_count;

static inline void tmp_init(void)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/rcc_test_data_XXXXXX");
    if (!mkdtemp(tmp_root)) {
        perror("mkdtemp");
        exit(2);
    }
}

/* A path inside the temporary folder, remembered for removal (in reverse order, so folders
 * registered before their files are removed after them). The returned string lives until tmp_cleanup. */
static inline const char *tmp_path(const char *name)
{
    size_t n = strlen(tmp_root) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", tmp_root, name);
    if (tmp_count < 4096)
        tmp_made[tmp_count++] = p;
    return p;
}

static inline const char *tmp_dir(const char *name)
{
    const char *p = tmp_path(name);
    mkdir(p, 0755);
    return p;
}

static inline void tmp_cleanup(void)
{
    for (int i = tmp_count - 1; i >= 0; i--) {
        remove(tmp_made[i]);
        free(tmp_made[i]);
    }
    rmdir(tmp_root);
}

/* ---------------------------------------------------------------- MNIST-test */

/* $RCC_DATA/mnist, $RCC_DATA, or the shared data folder; NULL when absent. */
static inline const char *mnist_images(void)
{
    static char path[1024];
    const char *env = getenv("RCC_DATA");
    const char *cands[3][2] = {{env, "/mnist/t10k-images-idx3-ubyte.gz"},
                               {env, "/t10k-images-idx3-ubyte.gz"},
                               {RCC_SHARED_DATA, "/mnist/t10k-images-idx3-ubyte.gz"}};
    for (int i = 0; i < 3; i++) {
        if (!cands[i][0])
            continue;
        snprintf(path, sizeof path, "%s%s", cands[i][0], cands[i][1]);
        if (access(path, R_OK) == 0)
            return path;
    }
    return NULL;
}

/* ---------------------------------------------------------------- writers */

/* rows: h rows of packed samples as libpng expects for (color_type, depth). */
static inline void write_png(const char *path, int w, int h, int color_type, int depth, const unsigned char *rows_data,
                      const png_color *palette, int npal, bool interlace)
{
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (!f || !png || !info || setjmp(png_jmpbuf(png))) {
        fprintf(stderr, "cannot write PNG %s\n", path);
        exit(2);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color_type,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (palette)
        png_set_PLTE(png, info, palette, npal);
    png_write_info(png, info);
    int chans = color_type == PNG_COLOR_TYPE_GRAY ? 1 : color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
              : color_type == PNG_COLOR_TYPE_RGB  ? 3 : color_type == PNG_COLOR_TYPE_RGBA ? 4 : 1;
    size_t rowbytes = ((size_t)w * chans * depth + 7) / 8;
    png_bytep *rows = malloc((size_t)h * sizeof *rows);
    for (int y = 0; y < h; y++)
        rows[y] = (png_bytep)rows_data + (size_t)y * rowbytes;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    fclose(f);
}

/* Interleaved 8-bit samples, c = 1 (gray) or 3 (RGB). */
static inline void write_jpeg(const char *path, int w, int h, int c, const unsigned char *pix, int quality)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr err;
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    ci.err = jpeg_std_error(&err);
    jpeg_create_compress(&ci);
    jpeg_stdio_dest(&ci, f);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = c;
    ci.in_color_space = c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, quality, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW r = (JSAMPROW)pix + (size_t)ci.next_scanline * w * c;
        jpeg_write_scanlines(&ci, &r, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    fclose(f);
}

/* A .npy file: version 1 header (or 2 with v2), then the raw little-endian data. */
static inline void write_npy(const char *path, const char *descr, const char *shape, bool fortran, const void *data,
                      size_t nbytes, int version)
{
    char dict[256];
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr,
                      fortran ? "True" : "False", shape);
    int pre = version == 1 ? 10 : 12;
    int total = ((pre + dl + 1 + 63) / 64) * 64, hlen = total - pre;
    unsigned char *buf = malloc((size_t)total + nbytes);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)version;
    buf[7] = 0;
    if (version == 1) {
        buf[8] = (unsigned char)(hlen & 0xff);
        buf[9] = (unsigned char)(hlen >> 8);
    } else {
        for (int i = 0; i < 4; i++)
            buf[8 + i] = (unsigned char)(hlen >> (8 * i));
    }
    memset(buf + pre, ' ', (size_t)hlen);
    memcpy(buf + pre, dict, (size_t)dl);
    buf[total - 1] = '\n';
    memcpy(buf + total, data, nbytes);
    write_bytes(path, buf, (size_t)total + nbytes);
    free(buf);
}

static inline void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16), b[2] = (unsigned char)(v >> 8),
    b[3] = (unsigned char)v;
}

/* IDX: magic 00 00 08 ndim, big-endian dims, then `payload` bytes (which may disagree with dims). */
static inline void write_idx(const char *path, int ndim, const uint32_t *dims, const unsigned char *payload, size_t n,
                      bool gz)
{
    unsigned char hdr[16] = {0, 0, 8, (unsigned char)ndim};
    for (int i = 0; i < ndim; i++)
        put_be32(hdr + 4 + 4 * i, dims[i]);
    if (gz) {
        gzFile g = gzopen(path, "wb");
        gzwrite(g, hdr, (unsigned)(4 + 4 * ndim));
        if (n)
            gzwrite(g, payload, (unsigned)n);
        gzclose(g);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(hdr, 1, (size_t)(4 + 4 * ndim), f);
        if (n)
            fwrite(payload, 1, n, f);
        fclose(f);
    }
}

#endif
