/* make_corpus.c — writes the seed corpus of the fuzz harnesses: a few small valid files of each
 * kind and a few slightly broken ones, made from nothing (no data set). The committed
 * tests/fuzz-corpus/ is its output:  build-fuzz/fuzz/fuzz_make_corpus tests/fuzz-corpus
 * Each harness starts from these and mutates them; the fuzzer's own finds stay out of the tree. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <png.h>
#include <sys/stat.h>
#include <zlib.h>
#include "fuzz_tiny.h"
#include "model.h"
#include "npy.h"
#include "run/checkpoint.h"

static const char *g_root;

static const char *path_of(const char *dir, const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", g_root, dir);
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
        perror(buf);
        exit(1);
    }
    snprintf(buf, sizeof buf, "%s/%s/%s", g_root, dir, name);
    return buf;
}

static void put(const char *dir, const char *name, const void *data, size_t n)
{
    const char *p = path_of(dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        perror(p);
        exit(1);
    }
}

static void put_text(const char *dir, const char *name, const char *text) { put(dir, name, text, strlen(text)); }

static void check(rcc_status st)
{
    if (st != RCC_OK) {
        fprintf(stderr, "make_corpus: %s\n", rcc_last_error());
        exit(1);
    }
}

/* ---------------------------------------------------------------- IDX */

static size_t idx_bytes(unsigned char *b, int ndim, const unsigned *dims, unsigned announced0)
{
    b[0] = b[1] = 0;
    b[2] = 8;
    b[3] = (unsigned char)ndim;
    size_t n = 4, count = 1;
    for (int i = 0; i < ndim; i++) {
        unsigned d = i == 0 ? announced0 : dims[i];
        b[n++] = (unsigned char)(d >> 24), b[n++] = (unsigned char)(d >> 16);
        b[n++] = (unsigned char)(d >> 8), b[n++] = (unsigned char)d;
        count *= dims[i];
    }
    for (size_t i = 0; i < count; i++)
        b[n++] = (unsigned char)(ndim == 1 ? i % 10 : (i * 37) % 256);
    return n;
}

static void put_gz(const char *dir, const char *name, const unsigned char *data, size_t n)
{
    const char *p = path_of(dir, name);
    gzFile g = gzopen(p, "wb9");
    if (!g || gzwrite(g, data, (unsigned)n) != (int)n || gzclose(g) != Z_OK) {
        fprintf(stderr, "%s: gzip write failed\n", p);
        exit(1);
    }
}

static void make_idx(void)
{
    unsigned char b[256];
    unsigned img[3] = {3, 4, 4}, lab[1] = {3};
    size_t n = idx_bytes(b, 3, img, 3);
    put("idx", "images.idx3", b, n);
    put_gz("idx", "images.idx3.gz", b, n);
    put("idx", "images_truncated.idx3", b, n - 16);
    put("idx", "images_extra.idx3", b, n); /* + a byte below */
    FILE *f = fopen(path_of("idx", "images_extra.idx3"), "ab");
    fputc(7, f);
    fclose(f);
    n = idx_bytes(b, 3, img, 2); /* the header announces fewer images than there are */
    put("idx", "images_short_header.idx3", b, n);
    n = idx_bytes(b, 1, lab, 3);
    put("idx", "labels.idx1", b, n);
    put_gz("idx", "labels.idx1.gz", b, n);
    unsigned char bad[12] = {0, 0, 9, 3, 0, 0, 0, 1, 0, 0, 0, 1}; /* signed bytes: refused */
    put("idx", "wrong_type.idx3", bad, sizeof bad);
    /* a gzip stream cut in the middle */
    n = idx_bytes(b, 3, img, 3);
    put_gz("idx", "cut.idx3.gz", b, n);
    size_t gn;
    char cut[4096];
    snprintf(cut, sizeof cut, "%s", path_of("idx", "cut.idx3.gz"));
    f = fopen(cut, "rb");
    gn = fread(b, 1, sizeof b, f);
    fclose(f);
    put("idx", "cut.idx3.gz", b, gn / 2);
}

/* ---------------------------------------------------------------- .npy */

static void put_npy(const char *name, int version, const char *dict, const void *data, size_t n)
{
    unsigned char b[1024];
    size_t pre = version == 1 ? 10 : 12, hl = strlen(dict);
    memcpy(b + pre, dict, hl);
    while ((pre + hl + 1) % 64)
        b[pre + hl++] = ' ';
    b[pre + hl++] = '\n';
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)version;
    b[7] = 0;
    for (size_t i = 0; i < pre - 8; i++)
        b[8 + i] = (unsigned char)(hl >> (8 * i));
    memcpy(b + pre + hl, data, n);
    put("npy", name, b, pre + hl + n);
}

static void make_npy(void)
{
    unsigned char u8[64];
    float f32[24];
    for (int i = 0; i < 64; i++)
        u8[i] = (unsigned char)(i * 29);
    for (int i = 0; i < 24; i++)
        f32[i] = (float)i / 23.0f;
    put_npy("images_u8.npy", 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (4, 4, 4), }", u8, 64);
    put_npy("images_f32_nchw.npy", 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 2, 2), }", f32, 96);
    put_npy("images_nhwc.npy", 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 2, 3), }", u8, 24);
    put_npy("images_v3.npy", 3, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1, 4, 6), }", f32, 96);
    float nan[4] = {0.5f, 0.25f, 0.0f, 1.0f};
    nan[2] = strtof("nan", NULL);
    put_npy("images_nan.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", nan, 16);
    signed char lab8[4] = {0, 3, 1, 2};
    put_npy("labels_i1.npy", 1, "{'descr': '|i1', 'fortran_order': False, 'shape': (4,), }", lab8, 4);
    int lab32[4] = {2, 0, 1, 1};
    put_npy("labels_i4.npy", 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", lab32, 16);
    unsigned short lab16[4] = {1, 1, 0, 65535};
    put_npy("labels_u2_out_of_range.npy", 1, "{'descr': '<u2', 'fortran_order': False, 'shape': (4,), }", lab16, 8);
    put_npy("features_f4.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 4), }", f32, 96);
    put_npy("features_fortran.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (4, 3), }", f32, 48);
    double pred[5] = {0, 1, 2, 1, 0};
    put_npy("predictions_f8.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }", pred, 40);
    put_npy("bool_0d.npy", 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (), }", u8, 1);
    put_npy("big_endian.npy", 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2, 2), }", f32, 16);
    put_npy("truncated.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 4), }", f32, 40);
    put_npy("python2_shape.npy", 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2L, 1L), }", u8, 16);
    put_text("npy", "labels.csv", "index,label\n0,1\n2,0\n1,3\n3,2\n");
    put_text("npy", "features.csv", "0.5,0.25,-1\n1e-3,2,3.5\n");
    put_text("npy", "predictions.csv", "path,cluster,confidence\na.png,1,0.9\nb.png,0,0.75\n");
}

/* ---------------------------------------------------------------- PNG and JPEG */

static void put_png(const char *name, int w, int h, int color, int depth, int interlace)
{
    const char *p = path_of("image", name);
    FILE *f = fopen(p, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (!f || !png || !info || setjmp(png_jmpbuf(png))) {
        fprintf(stderr, "%s: PNG write failed\n", p);
        exit(1);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (color == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {10, 20, 250}};
        png_set_PLTE(png, info, pal, 4);
        png_byte trns[2] = {255, 128};
        png_set_tRNS(png, info, trns, 2, NULL);
    }
    png_write_info(png, info);
    int ch = color == PNG_COLOR_TYPE_RGB ? 3 : color == PNG_COLOR_TYPE_RGBA ? 4 : color == PNG_COLOR_TYPE_GA ? 2 : 1;
    size_t row = ((size_t)w * ch * depth + 7) / 8;
    unsigned char *buf = calloc(row, 1);
    int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < h; y++) {
            for (size_t i = 0; i < row; i++)
                buf[i] = (unsigned char)((y * 31 + (int)i * 17) & (color == PNG_COLOR_TYPE_PALETTE ? 0x33 : 0xff));
            png_write_row(png, buf);
        }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(buf);
    fclose(f);
}

static void put_jpeg(const char *name, int w, int h, int comps, int progressive)
{
    const char *p = path_of("image", name);
    FILE *f = fopen(p, "wb");
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = comps == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 80, TRUE);
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    unsigned char *row = malloc((size_t)w * comps);
    while (c.next_scanline < c.image_height) {
        for (int i = 0; i < w * comps; i++)
            row[i] = (unsigned char)((int)c.next_scanline * 20 + i * 9);
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    fclose(f);
}

static void truncate_copy(const char *from, const char *to, size_t keep)
{
    char src[4096];
    snprintf(src, sizeof src, "%s", path_of("image", from));
    FILE *f = fopen(src, "rb");
    unsigned char b[8192];
    size_t n = f ? fread(b, 1, sizeof b, f) : 0;
    if (f)
        fclose(f);
    put("image", to, b, keep && keep < n ? keep : n / 2); /* keep 0: half */
}

static void make_images(void)
{
    put_png("gray8.png", 5, 4, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE);
    put_png("gray1.png", 9, 3, PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE);
    put_png("gray_alpha16.png", 3, 3, PNG_COLOR_TYPE_GA, 16, PNG_INTERLACE_NONE);
    put_png("rgb8_interlaced.png", 6, 5, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7);
    put_png("rgba8.png", 4, 2, PNG_COLOR_TYPE_RGBA, 8, PNG_INTERLACE_NONE);
    put_png("palette2.png", 7, 3, PNG_COLOR_TYPE_PALETTE, 2, PNG_INTERLACE_NONE);
    put_jpeg("gray.jpg", 8, 8, 1, 0);
    put_jpeg("rgb.jpg", 17, 9, 3, 0);
    put_jpeg("rgb_progressive.jpg", 9, 16, 3, 1);
    truncate_copy("rgb8_interlaced.png", "truncated.png", 60);
    truncate_copy("rgb.jpg", "truncated.jpg", 0);
}

/* ---------------------------------------------------------------- checkpoints and configurations */

static void make_checkpoints(void)
{
    rcc_config c;
    fuzz_tiny_config(&c);
    rcc_model_config mc;
    rcc_config_model(&c, &mc);
    rcc_params ps = {0};
    rcc_model m;
    check(rcc_model_plan(&m, &mc, &ps, 1, 1, false));
    check(rcc_params_alloc(&ps));
    rcc_params_init_default(&ps, 1);
    rcc_progress pr = {1, 0, 3};
    check(rcc_checkpoint_save(path_of("safetensors", "tiny_adam.safetensors"), &c, &ps, &pr, true));
    check(rcc_checkpoint_save(path_of("safetensors", "tiny_no_optimizer.safetensors"), &c, &ps, &pr, false));
    rcc_model_free(&m);
    rcc_params_free(&ps);
    /* plain safetensors files of a few dtypes, with and without metadata */
    const char *hdr = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                      "\"c\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[16,24]},"
                      "\"d\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[24,30]},"
                      "\"__metadata__\":{\"format\":\"pt\"}}";
    unsigned char b[512];
    size_t hl = strlen(hdr), padded = (hl + 7) & ~(size_t)7;
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(padded >> (8 * i));
    memcpy(b + 8, hdr, hl);
    memset(b + 8 + hl, ' ', padded - hl);
    for (int i = 0; i < 32; i++)
        b[8 + padded + i] = (unsigned char)(i * 11);
    put("safetensors", "dtypes.safetensors", b, 8 + padded + 32);
    put("safetensors", "dtypes_cut.safetensors", b, 8 + padded + 12);
    put("safetensors", "empty_header.safetensors", "\x02\0\0\0\0\0\0\0{}", 10);
}

static void make_configs(void)
{
    rcc_config c;
    const char *presets[2] = {"paper", "cpu"};
    for (int i = 0; i < 2; i++) {
        check(rcc_config_preset(&c, presets[i]));
        char *j = rcc_config_to_json(&c), name[32];
        snprintf(name, sizeof name, "%s.json", presets[i]);
        put_text("config", name, j);
        free(j);
    }
    fuzz_tiny_config(&c);
    char *j = rcc_config_to_json(&c);
    put_text("config", "tiny.json", j);
    free(j);
    put_text("config", "partial.json", "{\"lambda\":0.5,\"clusters\":5,\"augment\":\"none\",\"seed\":\"42\"}");
    put_text("config", "out_of_range.json", "{\"lambda\":1.5}");
    put_text("config", "wrong_types.json", "{\"seed\":7,\"width\":\"wide\",\"epochs\":2.5}");
    put_text("config", "unknown_key.json", "{\"momentum\":0.9}");
    put_text("config", "not_object.json", "[1,2,3]");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_FOLDER   (writes CORPUS_FOLDER/{idx,npy,image,safetensors,config}/)\n",
                argv[0]);
        return 2;
    }
    g_root = argv[1];
    if (mkdir(g_root, 0755) != 0 && errno != EEXIST) {
        perror(g_root);
        return 1;
    }
    make_idx();
    make_npy();
    make_images();
    make_checkpoints();
    make_configs();
    return 0;
}
