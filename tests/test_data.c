/* test_data.c — the data readers: IDX on real MNIST-test and Fashion-MNIST, PNG/JPEG folders and
 * .npy files written here with the real libraries, concatenation, gray/colour and size mixing,
 * every kind of bad input (clear error naming the file, no crash, no huge allocation), and the
 * `rcc views` command. Augmentation and the loader are in test_data_aug.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "data/data.h"
#include "npy.h"
#include "test_data_common.h"
#include "testutil.h"

static const char *basename_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The load must fail with `want` and a message naming `file` (its base name) and containing `needle`. */
static void expect_fail(const char *what, const char *const *paths, int n, const char *const *labels, rcc_status want,
                        const char *file, const char *needle)
{
    rcc_dataset d;
    rcc_status st = rcc_dataset_load(&d, paths, n, labels);
    const char *msg = rcc_last_error();
    CHECK(st != RCC_OK, "%s: loaded although it should fail", what);
    if (st == RCC_OK) {
        rcc_dataset_free(&d);
        return;
    }
    CHECK(want == RCC_OK || st == want, "%s: status %s, want %s (%s)", what, rcc_strerror(st), rcc_strerror(want), msg);
    CHECK(!file || strstr(msg, basename_of(file)), "%s: message does not name the file %s: %s", what,
          basename_of(file), msg);
    CHECK(!needle || strstr(msg, needle), "%s: message lacks '%s': %s", what, needle, msg);
    CHECK(d.pix == NULL && d.u8 == NULL && d.n == 0, "%s: data set not left empty on failure", what);
    printf("  bad input ok: %-34s -> %s\n", what, msg);
}

static void expect_fail1(const char *what, const char *path, rcc_status want, const char *needle)
{
    expect_fail(what, &path, 1, NULL, want, path, needle);
}

/* Checks that a load held d's pixels as bytes (want_bytes) or as floats, then gives them as floats
 * (rcc_dataset_to_float on a byte-held set), so the checks below read d->pix either way. */
static void as_floats(rcc_dataset *d, bool want_bytes, const char *what)
{
    CHECK(want_bytes ? d->u8 && !d->pix : d->pix && !d->u8, "%s: pixels held as %s, want %s", what,
          d->u8 ? "bytes" : "floats", want_bytes ? "bytes" : "floats");
    CHECK_OK(rcc_dataset_to_float(d));
    CHECK(d->pix && !d->u8, "%s: rcc_dataset_to_float left pix %p, u8 %p", what, (void *)d->pix, (void *)d->u8);
}

/* ---------------------------------------------------------------- IDX on real data */

static void test_mnist(void)
{
    const char *img = mnist_images();
    if (!img) {
        printf("SKIP MNIST-test: not found (set RCC_DATA or put it in %s/mnist)\n", RCC_SHARED_DATA);
        return;
    }
    rcc_dataset d;
    CHECK_OK(rcc_dataset_load(&d, &img, 1, NULL));
    CHECK(d.u8 && !d.pix, "MNIST-test held as bytes (7.8 MB), not floats");
    CHECK(d.n == 10000 && d.c == 1 && d.h == 28 && d.w == 28, "MNIST-test shape %d x %d x %d x %d", d.n, d.c, d.h,
          d.w);
    CHECK(d.labels != NULL && d.num_classes == 10, "MNIST-test labels found beside the images (%d classes)",
          d.num_classes);
    if (d.labels && d.n == 10000) {
        const int first[8] = {7, 2, 1, 0, 4, 1, 4, 9};
        const int counts[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
        int got[10] = {0};
        for (int i = 0; i < 8; i++)
            CHECK(d.labels[i] == first[i], "MNIST label %d: %d, want %d", i, d.labels[i], first[i]);
        for (int i = 0; i < d.n; i++)
            if (d.labels[i] >= 0 && d.labels[i] < 10)
                got[d.labels[i]]++;
        for (int k = 0; k < 10; k++)
            CHECK(got[k] == counts[k], "MNIST class %d count %d, want %d", k, got[k], counts[k]);
        double sum = 0, lo = 1, hi = 0;
        for (size_t i = 0; i < (size_t)d.n * 784; i++) {
            sum += rcc_dataset_px(&d, i);
            lo = fmin(lo, rcc_dataset_px(&d, i));
            hi = fmax(hi, rcc_dataset_px(&d, i));
        }
        double mean = sum / ((double)d.n * 784);
        CHECK(fabs(mean - 0.1325) < 0.001 && lo == 0 && hi == 1,
              "MNIST-test pixel mean %.4f (want 0.1325), range %g..%g", mean, lo, hi);
        /* the first image, a 7: its top-left corner is blank and its centre row has ink */
        double ink = 0;
        for (int x = 0; x < 28; x++)
            ink += rcc_dataset_px(&d, 14 * 28 + x);
        CHECK(rcc_dataset_px(&d, 0) == 0 && ink > 1, "MNIST image 0 looks wrong (centre row ink %.2f)", ink);
    }

    /* Explicit label file, the same result; raw (un-gzipped) copies too. */
    char lab[1024];
    snprintf(lab, sizeof lab, "%s", img);
    memcpy(strstr(lab, "images-idx3"), "labels-idx1", 11);
    const char *labs[1] = {lab};
    rcc_dataset e;
    CHECK_OK(rcc_dataset_load(&e, &img, 1, labs));
    CHECK(e.n == d.n && e.labels && d.labels && memcmp(e.labels, d.labels, sizeof(int) * d.n) == 0,
          "explicit labels differ from auto-found ones");
    rcc_dataset_free(&e);

    const char *raw_img = tmp_path("t10k-images-idx3-ubyte"), *raw_lab = tmp_path("t10k-labels-idx1-ubyte");
    const char *srcs[2] = {img, lab}, *dsts[2] = {raw_img, raw_lab};
    for (int k = 0; k < 2; k++) {
        gzFile g = gzopen(srcs[k], "rb");
        FILE *f = fopen(dsts[k], "wb");
        unsigned char buf[65536];
        int r;
        while ((r = gzread(g, buf, sizeof buf)) > 0)
            fwrite(buf, 1, (size_t)r, f);
        fclose(f);
        gzclose(g);
    }
    CHECK_OK(rcc_dataset_load(&e, &raw_img, 1, NULL));
    CHECK(e.n == d.n && e.labels && e.u8 && d.u8 && memcmp(e.u8, d.u8, 784 * (size_t)d.n) == 0 && d.labels &&
              memcmp(e.labels, d.labels, sizeof(int) * d.n) == 0,
          "raw IDX differs from gzip IDX");
    rcc_dataset_free(&e);

    /* Concatenation: gzip + raw = 20000 images, labels in order. */
    const char *two[2] = {img, raw_img};
    CHECK_OK(rcc_dataset_load(&e, two, 2, NULL));
    CHECK(e.n == 20000 && e.labels && e.labels[10000] == 7 && e.labels[10001] == 2 &&
              e.u8 && memcmp(e.u8 + (size_t)784 * 10000, d.u8, 784) == 0,
          "concatenated MNIST: n %d", e.n);
    CHECK(e.names == NULL, "IDX-only data sets carry no names");
    rcc_dataset_free(&e);
    rcc_dataset_free(&d);
}

static void test_fashion(void)
{
    const char *dir = "/usr/share/datasets/fashion-mnist";
    char a[256], b[256];
    snprintf(a, sizeof a, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(b, sizeof b, "%s/t10k-images-idx3-ubyte.gz", dir);
    if (access(a, R_OK) != 0 || access(b, R_OK) != 0) {
        printf("SKIP Fashion-MNIST: %s not found (Debian package dataset-fashion-mnist)\n", dir);
        return;
    }
    const char *paths[2] = {a, b};
    rcc_dataset d;
    CHECK_OK(rcc_dataset_load(&d, paths, 2, NULL));
    CHECK(d.n == 70000 && d.c == 1 && d.h == 28 && d.w == 28 && d.labels && d.num_classes == 10,
          "Fashion-MNIST train+test: %d x %d x %d x %d, %d classes", d.n, d.c, d.h, d.w, d.num_classes);
    if (d.labels && d.n == 70000) {
        int counts[10] = {0};
        for (int i = 0; i < d.n; i++)
            counts[d.labels[i]]++;
        for (int k = 0; k < 10; k++)
            CHECK(counts[k] == 7000, "Fashion-MNIST class %d: %d images, want 7000", k, counts[k]);
        /* train starts 9 0 0 3; test starts 9 2 1 1 */
        CHECK(d.labels[0] == 9 && d.labels[1] == 0 && d.labels[3] == 3 && d.labels[60000] == 9 &&
                  d.labels[60001] == 2,
              "Fashion-MNIST first labels %d %d %d / %d %d", d.labels[0], d.labels[1], d.labels[3], d.labels[60000],
              d.labels[60001]);
    }
    printf("  Fashion-MNIST: %d images loaded\n", d.n);
    rcc_dataset_free(&d);
}

/* ---------------------------------------------------------------- PNG / JPEG folders */

/* A test pattern value for pixel (x, y), channel ch, image k. */
static unsigned char pat(int k, int ch, int x, int y)
{
    return (unsigned char)((k * 37 + ch * 71 + x * 13 + y * 29) & 255);
}

static void gray_png(const char *path, int k, int w, int h)
{
    unsigned char *buf = malloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            buf[y * w + x] = pat(k, 0, x, y);
    write_png(path, w, h, PNG_COLOR_TYPE_GRAY, 8, buf, NULL, 0, false);
    free(buf);
}

static bool plane_matches(const float *p, int k, int ch, int w, int h)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (p[y * w + x] != pat(k, ch, x, y) / 255.0f)
                return false;
    return true;
}

static void test_folders(void)
{
    const int W = 12, H = 10;
    /* Flat gray folder: 8-bit gray, gray+alpha, 16-bit gray, interlaced, a README to skip. */
    const char *flat = tmp_dir("flat");
    gray_png(tmp_path("flat/b.png"), 1, W, H);
    {
        unsigned char ga[12 * 10 * 2], g16[12 * 10 * 2];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                ga[(y * W + x) * 2] = pat(2, 0, x, y);
                ga[(y * W + x) * 2 + 1] = (unsigned char)(x * 20); /* alpha, dropped */
                g16[(y * W + x) * 2] = pat(3, 0, x, y);            /* big-endian 16-bit: v·257 */
                g16[(y * W + x) * 2 + 1] = pat(3, 0, x, y);
            }
        write_png(tmp_path("flat/c.PNG"), W, H, PNG_COLOR_TYPE_GRAY_ALPHA, 8, ga, NULL, 0, false);
        write_png(tmp_path("flat/d.png"), W, H, PNG_COLOR_TYPE_GRAY, 16, g16, NULL, 0, false);
        unsigned char g8[12 * 10];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                g8[y * W + x] = pat(4, 0, x, y);
        write_png(tmp_path("flat/e.png"), W, H, PNG_COLOR_TYPE_GRAY, 8, g8, NULL, 0, true);
    }
    gray_png(tmp_path("flat/a.png"), 0, W, H);
    write_bytes(tmp_path("flat/README.txt"), "not an image\n", 13);
    rcc_dataset d;
    rcc_data_report rep;
    CHECK_OK(rcc_dataset_load_report(&d, &flat, 1, NULL, &rep));
    CHECK(d.n == 5 && d.c == 1 && d.h == H && d.w == W && d.labels == NULL, "flat folder: %d x %d x %d x %d", d.n, d.c,
          d.h, d.w);
    as_floats(&d, true, "flat folder");
    if (d.n == 5) {
        for (int k = 0; k < 5; k++) /* a b c d e in name order */
            CHECK(plane_matches(d.pix + (size_t)k * H * W, k, 0, W, H), "flat folder image %d (%s) pixels", k,
                  d.names ? d.names[k] : "?");
        CHECK(d.names && strstr(d.names[0], "flat/a.png") && strstr(d.names[2], "flat/c.PNG"),
              "names in sorted order: %s", d.names ? d.names[0] : "(none)");
    }
    CHECK(rep.skipped_files == 1 && strstr(rep.first_skipped, "README.txt"), "skipped %d (%s)", rep.skipped_files,
          rep.first_skipped);
    rcc_dataset_free(&d);

    /* Colour folder: RGB, RGBA, palette, and one gray image (replicated to 3 channels). */
    const char *col = tmp_dir("colour");
    {
        unsigned char rgb[12 * 10 * 3], rgba[12 * 10 * 4], idx[12 * 10], g[12 * 10];
        png_color pal[256];
        for (int i = 0; i < 256; i++)
            pal[i] = (png_color){(png_byte)i, (png_byte)(255 - i), (png_byte)(i * 7)};
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int i = y * W + x;
                for (int ch = 0; ch < 3; ch++) {
                    rgb[i * 3 + ch] = pat(0, ch, x, y);
                    rgba[i * 4 + ch] = pat(1, ch, x, y);
                }
                rgba[i * 4 + 3] = 7;
                idx[i] = pat(2, 0, x, y);
                g[i] = pat(3, 0, x, y);
            }
        write_png(tmp_path("colour/0_rgb.png"), W, H, PNG_COLOR_TYPE_RGB, 8, rgb, NULL, 0, false);
        write_png(tmp_path("colour/1_rgba.png"), W, H, PNG_COLOR_TYPE_RGBA, 8, rgba, NULL, 0, false);
        write_png(tmp_path("colour/2_pal.png"), W, H, PNG_COLOR_TYPE_PALETTE, 8, idx, pal, 256, false);
        write_png(tmp_path("colour/3_gray.png"), W, H, PNG_COLOR_TYPE_GRAY, 8, g, NULL, 0, false);
    }
    CHECK_OK(rcc_dataset_load_report(&d, &col, 1, NULL, &rep));
    CHECK(d.n == 4 && d.c == 3 && rep.gray_to_rgb == 1, "colour folder: n %d, c %d, gray_to_rgb %d", d.n, d.c,
          rep.gray_to_rgb);
    as_floats(&d, true, "colour folder");
    if (d.n == 4 && d.c == 3) {
        size_t hw = (size_t)H * W;
        for (int ch = 0; ch < 3; ch++) {
            CHECK(plane_matches(d.pix + ch * hw, 0, ch, W, H), "RGB PNG channel %d", ch);
            CHECK(plane_matches(d.pix + 3 * hw + ch * hw, 1, ch, W, H), "RGBA PNG channel %d (alpha dropped)", ch);
            CHECK(plane_matches(d.pix + 9 * hw + ch * hw, 3, 0, W, H), "gray PNG replicated to channel %d", ch);
        }
        int i = 3 * W + 5, v = pat(2, 0, 5, 3);
        CHECK(d.pix[6 * hw + i] == v / 255.0f && d.pix[7 * hw + i] == (255 - v) / 255.0f &&
                  d.pix[8 * hw + i] == (unsigned char)(v * 7) / 255.0f,
              "palette PNG expanded to RGB");
    }
    rcc_dataset_free(&d);

    /* JPEG: gray and colour, lossy, so compared with a tolerance; smooth content. */
    const char *jp = tmp_dir("jpeg");
    {
        unsigned char g[32 * 24], c[32 * 24 * 3];
        for (int y = 0; y < 24; y++)
            for (int x = 0; x < 32; x++) {
                g[y * 32 + x] = (unsigned char)(x * 6 + y * 2);
                for (int ch = 0; ch < 3; ch++)
                    c[(y * 32 + x) * 3 + ch] = (unsigned char)(ch == 0 ? x * 7 : ch == 1 ? y * 9 : 128);
            }
        write_jpeg(tmp_path("jpeg/a.jpg"), 32, 24, 1, g, 95);
        write_jpeg(tmp_path("jpeg/b.JPEG"), 32, 24, 3, c, 95);
        CHECK_OK(rcc_dataset_load(&d, &jp, 1, NULL));
        CHECK(d.n == 2 && d.c == 3 && d.h == 24 && d.w == 32, "JPEG folder: %d x %d x %d x %d", d.n, d.c, d.h, d.w);
        as_floats(&d, true, "JPEG folder");
        if (d.n == 2 && d.c == 3) {
            double e0 = 0, e1 = 0, m0 = 0, m1 = 0;
            size_t hw = 32 * 24;
            for (size_t i = 0; i < hw; i++)
                for (int ch = 0; ch < 3; ch++) {
                    double a = fabs(d.pix[ch * hw + i] - g[i] / 255.0);
                    double b = fabs(d.pix[3 * hw + ch * hw + i] - c[i * 3 + ch] / 255.0);
                    e0 += a, e1 += b, m0 = fmax(m0, a), m1 = fmax(m1, b);
                }
            e0 /= 3 * hw, e1 /= 3 * hw;
            CHECK(e0 < 0.01 && m0 < 0.05, "gray JPEG: mean error %.4f, max %.4f", e0, m0);
            CHECK(e1 < 0.02 && m1 < 0.12, "colour JPEG: mean error %.4f, max %.4f", e1, m1);
            printf("  JPEG quality 95 decode error: gray mean %.4f max %.4f, colour mean %.4f max %.4f\n", e0, m0, e1,
                   m1);
        }
        rcc_dataset_free(&d);
    }

    /* Class folders: labels from sorted subfolder names; stray files skipped and counted. */
    const char *cls = tmp_dir("classes");
    tmp_dir("classes/b_cat");
    tmp_dir("classes/a_dog");
    gray_png(tmp_path("classes/b_cat/1.png"), 5, W, H);
    gray_png(tmp_path("classes/b_cat/0.png"), 6, W, H);
    gray_png(tmp_path("classes/a_dog/x.png"), 7, W, H);
    write_bytes(tmp_path("classes/notes.md"), "#\n", 2);
    write_bytes(tmp_path("classes/a_dog/Thumbs.db"), "xx", 2);
    write_bytes(tmp_path("classes/.hidden"), "xx", 2);
    CHECK_OK(rcc_dataset_load_report(&d, &cls, 1, NULL, &rep));
    CHECK(d.n == 3 && d.labels && d.num_classes == 2, "class folders: n %d, classes %d", d.n, d.num_classes);
    as_floats(&d, true, "class folders");
    if (d.n == 3 && d.labels) {
        CHECK(d.labels[0] == 0 && d.labels[1] == 1 && d.labels[2] == 1, "class labels %d %d %d", d.labels[0],
              d.labels[1], d.labels[2]);
        CHECK(plane_matches(d.pix, 7, 0, W, H) && plane_matches(d.pix + H * W, 6, 0, W, H), "class folder order");
    }
    CHECK(rep.skipped_files == 2, "class folders: %d skipped (want notes.md, Thumbs.db; hidden files are ignored)",
          rep.skipped_files);
    rcc_dataset_free(&d);

    /* Mixed sizes: resized to the first image's size (and reported). */
    const char *mix = tmp_dir("mixed");
    gray_png(tmp_path("mixed/a.png"), 0, W, H);
    {
        unsigned char big[24 * 20];
        for (int y = 0; y < 20; y++)
            for (int x = 0; x < 24; x++)
                big[y * 24 + x] = (unsigned char)(x < 12 ? 40 : 200);
        write_png(tmp_path("mixed/b.png"), 24, 20, PNG_COLOR_TYPE_GRAY, 8, big, NULL, 0, false);
    }
    CHECK_OK(rcc_dataset_load_report(&d, &mix, 1, NULL, &rep));
    CHECK(d.n == 2 && d.h == H && d.w == W && rep.resized == 1, "mixed sizes: %d x %dx%d, resized %d", d.n, d.h, d.w,
          rep.resized);
    as_floats(&d, true, "mixed sizes (the resized image rounded to bytes)");
    if (d.n == 2) {
        const float *b = d.pix + H * W;
        CHECK(fabsf(b[0] - 40 / 255.f) < 1e-5f && fabsf(b[W - 1] - 200 / 255.f) < 1e-5f &&
                  b[W / 2 - 1] > 40 / 255.f - 1e-5f && b[W / 2] < 200 / 255.f + 1e-5f,
              "resized image content %g %g", (double)b[0], (double)b[W - 1]);
    }
    rcc_dataset_free(&d);

    /* A single image file as a source, concatenated with a folder. */
    const char *one = tmp_path("flat/a.png");
    const char *srcs[2] = {one, flat};
    CHECK_OK(rcc_dataset_load(&d, srcs, 2, NULL));
    CHECK(d.n == 6 && d.names && strcmp(d.names[0], one) == 0, "single image + folder: n %d", d.n);
    rcc_dataset_free(&d);
}

/* ---------------------------------------------------------------- .npy */

static void test_npy(void)
{
    enum { N = 5, C = 3, H = 4, W = 6 };
    unsigned char u8[N * H * W];
    float f32[N * C * H * W];
    for (int i = 0; i < N * H * W; i++)
        u8[i] = (unsigned char)(i * 7);
    for (int i = 0; i < N * C * H * W; i++)
        f32[i] = (float)i / (N * C * H * W);
    const char *pu8 = tmp_path("u8.npy"), *pf = tmp_path("f32.npy"), *pf2 = tmp_path("f32v2.npy");
    write_npy(pu8, "|u1", "(5, 4, 6)", false, u8, sizeof u8, 1);
    write_npy(pf, "<f4", "(5, 3, 4, 6)", false, f32, sizeof f32, 1);
    write_npy(pf2, "<f4", "(5,3,4,6)", false, f32, sizeof f32, 2);
    rcc_dataset d;
    CHECK_OK(rcc_dataset_load(&d, &pu8, 1, NULL));
    CHECK(d.n == N && d.c == 1 && d.h == H && d.w == W, "uint8 .npy: %d x %d x %d x %d", d.n, d.c, d.h, d.w);
    as_floats(&d, true, "uint8 .npy");
    if (d.n == N) {
        bool ok = true;
        for (int i = 0; i < N * H * W; i++)
            ok &= d.pix[i] == u8[i] / 255.0f;
        CHECK(ok, "uint8 .npy values are /255");
    }
    rcc_dataset_free(&d);
    for (int v = 0; v < 2; v++) {
        const char *p = v ? pf2 : pf;
        CHECK_OK(rcc_dataset_load(&d, &p, 1, NULL));
        as_floats(&d, false, "float32 .npy");
        CHECK(d.n == N && d.c == C && d.h == H && d.w == W && memcmp(d.pix, f32, sizeof f32) == 0,
              "float32 .npy (format version %d) taken as is", v + 1);
        rcc_dataset_free(&d);
    }
    /* N×H×W×C (channels last) is recognised and transposed. */
    unsigned char hwc[2 * 4 * 6 * 3];
    for (int k = 0; k < 2; k++)
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 6; x++)
                for (int ch = 0; ch < 3; ch++)
                    hwc[((k * 4 + y) * 6 + x) * 3 + ch] = pat(k, ch, x, y);
    const char *ph = tmp_path("hwc.npy");
    write_npy(ph, "|u1", "(2, 4, 6, 3)", false, hwc, sizeof hwc, 1);
    CHECK_OK(rcc_dataset_load(&d, &ph, 1, NULL));
    CHECK(d.n == 2 && d.c == 3 && d.h == 4 && d.w == 6, "N×H×W×C .npy: %d x %d x %d x %d", d.n, d.c, d.h, d.w);
    as_floats(&d, true, "N×H×W×C uint8 .npy");
    if (d.n == 2 && d.c == 3)
        CHECK(plane_matches(d.pix + 3 * 24 + 2 * 24, 1, 2, 6, 4), "N×H×W×C .npy transposed to C×H×W");
    rcc_dataset_free(&d);

    /* Labels for a .npy source: an int64 .npy and an IDX label file. */
    int64_t lab[N] = {3, 1, 4, 1, 5};
    const char *pl = tmp_path("labels.npy"), *pli = tmp_path("labels-idx1");
    write_npy(pl, "<i8", "(5,)", false, lab, sizeof lab, 1);
    uint32_t n5 = N;
    unsigned char lab8[N] = {2, 7, 1, 8, 2};
    write_idx(pli, 1, &n5, lab8, N, false);
    const char *labs[1] = {pl};
    CHECK_OK(rcc_dataset_load(&d, &pu8, 1, labs));
    CHECK(d.labels && d.labels[2] == 4 && d.num_classes == 6, ".npy labels");
    rcc_dataset_free(&d);
    labs[0] = pli;
    CHECK_OK(rcc_dataset_load(&d, &pf, 1, labs));
    CHECK(d.labels && d.labels[3] == 8 && d.num_classes == 9, "IDX labels for a .npy source");
    rcc_dataset_free(&d);

    /* Mixed sources: gray uint8 .npy + colour float .npy → 3 channels; labels only on one → dropped. */
    const char *both[2] = {pu8, pf};
    const char *lab2[2] = {pl, NULL};
    rcc_data_report rep;
    CHECK_OK(rcc_dataset_load_report(&d, both, 2, lab2, &rep));
    CHECK(d.n == 2 * N && d.c == 3 && rep.gray_to_rgb == N && rep.labels_dropped && !d.labels,
          "gray + colour sources: n %d c %d gray_to_rgb %d labels_dropped %d", d.n, d.c, rep.gray_to_rgb,
          rep.labels_dropped);
    as_floats(&d, false, "bytes + float sources");
    if (d.n == 2 * N && d.c == 3)
        CHECK(d.pix[0] == u8[0] / 255.0f && d.pix[H * W + 1] == u8[1] / 255.0f &&
                  memcmp(d.pix + (size_t)N * C * H * W, f32, sizeof f32) == 0,
              "gray replicated, colour kept");
    rcc_dataset_free(&d);
}

/* ---------------------------------------------------------------- bad input */

static void truncate_copy(const char *src, const char *dst, double frac)
{
    size_t n;
    unsigned char *b = read_bytes(src, &n);
    write_bytes(dst, b, (size_t)(n * frac));
    free(b);
}

static void flip_bytes(const char *src, const char *dst, size_t at, size_t count)
{
    size_t n;
    unsigned char *b = read_bytes(src, &n);
    for (size_t i = at; i < at + count && i < n; i++)
        b[i] ^= 0x5A;
    write_bytes(dst, b, n);
    free(b);
}

static void test_bad_idx(void)
{
    unsigned char pix[100 * 28 * 28];
    uint32_t lcg = 1;
    for (size_t i = 0; i < sizeof pix; i++) /* noisy, so the gzip stream is long and the damage lands mid-stream */
        pix[i] = (unsigned char)((lcg = lcg * 1664525u + 1013904223u) >> 24);
    uint32_t dims[3] = {100, 28, 28};
    const char *good = tmp_path("good-images-idx3-ubyte"), *goodgz = tmp_path("goodgz-images-idx3-ubyte.gz");
    write_idx(good, 3, dims, pix, sizeof pix, false);
    write_idx(goodgz, 3, dims, pix, sizeof pix, true);
    rcc_dataset d;
    CHECK_OK(rcc_dataset_load(&d, &good, 1, NULL));
    CHECK(d.n == 100 && d.labels == NULL, "generated IDX loads (n %d, no labels beside it)", d.n);
    rcc_dataset_free(&d);

    const char *p = tmp_path("trunc-images-idx3-ubyte");
    write_idx(p, 3, dims, pix, sizeof pix / 2, false);
    expect_fail1("IDX truncated (raw)", p, RCC_ERR_FORMAT, "truncated");
    p = tmp_path("trunc2.idx3.gz");
    write_idx(p, 3, dims, pix, sizeof pix / 2, true);
    expect_fail1("IDX truncated (gzip payload)", p, RCC_ERR_FORMAT, "truncated");
    p = tmp_path("cut.idx3.gz");
    truncate_copy(goodgz, p, 0.5);
    expect_fail1("IDX gzip stream cut", p, RCC_ERR_FORMAT, NULL);
    size_t gzlen;
    free(read_bytes(goodgz, &gzlen));
    p = tmp_path("corrupt.idx3.gz");
    flip_bytes(goodgz, p, gzlen / 2, 16);
    expect_fail1("IDX gzip data corrupt", p, RCC_ERR_FORMAT, "corrupt");
    p = tmp_path("crc.idx3.gz");
    flip_bytes(goodgz, p, gzlen - 6, 1); /* the CRC-32 trailer */
    expect_fail1("IDX gzip CRC wrong", p, RCC_ERR_FORMAT, NULL);

    unsigned char hdr[16] = {0, 0, 9, 3};
    p = tmp_path("type.idx3");
    write_bytes(p, hdr, 16);
    expect_fail1("IDX element type not ubyte", p, RCC_ERR_FORMAT, "element type");
    p = tmp_path("ndim.idx");
    write_idx(p, 2, dims, pix, 28 * 28, false);
    expect_fail1("IDX with 2 dimensions", p, RCC_ERR_FORMAT, "dimensions");
    p = tmp_path("text.idx3");
    write_bytes(p, "hello, world\n", 13);
    expect_fail1("not IDX at all (text)", p, RCC_ERR_FORMAT, "unrecognised");
    p = tmp_path("magic.idx3");
    write_bytes(p, "\0\0\0\0\0\0\0\0", 8);
    expect_fail1("IDX wrong magic", p, RCC_ERR_FORMAT, "magic");
    p = tmp_path("empty.idx3");
    write_bytes(p, "", 0);
    expect_fail1("empty file", p, RCC_ERR_FORMAT, "empty");
    uint32_t nl = 100;
    p = tmp_path("is-labels-idx1");
    write_idx(p, 1, &nl, pix, 100, false);
    expect_fail1("label file given as images", p, RCC_ERR_FORMAT, "label file");

    uint32_t absurd[3] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    p = tmp_path("absurd.idx3");
    write_idx(p, 3, absurd, pix, 1000, false);
    expect_fail1("IDX absurd dimensions", p, RCC_ERR_FORMAT, "absurd");
    uint32_t huge[3] = {2000000000u, 64, 64};
    p = tmp_path("huge.idx3.gz");
    write_idx(p, 3, huge, pix, 1000, true);
    expect_fail1("IDX over the 16 GiB cap", p, RCC_ERR_FORMAT, "GiB");
    uint32_t lie[3] = {1000000u, 28, 28}; /* 784 MB announced, 1 kB present: no big allocation */
    p = tmp_path("lie.idx3");
    write_idx(p, 3, lie, pix, 1000, false);
    expect_fail1("IDX header larger than raw file", p, RCC_ERR_FORMAT, "truncated");
    p = tmp_path("lie.idx3.gz");
    write_idx(p, 3, lie, pix, 1000, true);
    expect_fail1("IDX header larger than gzip data", p, RCC_ERR_FORMAT, "truncated");
    uint32_t zero[3] = {0, 28, 28};
    p = tmp_path("zero.idx3");
    write_idx(p, 3, zero, pix, 0, false);
    expect_fail1("IDX with no images", p, RCC_ERR_FORMAT, "no images");
    uint32_t fewer[3] = {50, 28, 28};
    p = tmp_path("extra.idx3");
    write_idx(p, 3, fewer, pix, sizeof pix, false);
    expect_fail1("IDX with trailing data", p, RCC_ERR_FORMAT, "more data");

    /* Label problems. */
    uint32_t n99 = 99;
    const char *l99 = tmp_path("l99-labels-idx1");
    write_idx(l99, 1, &n99, pix, 99, false);
    const char *lab[1] = {l99};
    expect_fail("image/label count mismatch", &good, 1, lab, RCC_ERR_FORMAT, l99, "100 images");
    CHECK(strstr(rcc_last_error(), basename_of(good)) != NULL, "mismatch message names the image file too: %s",
          rcc_last_error());
    const char *auto_img = tmp_path("pair-images-idx3-ubyte"), *auto_lab = tmp_path("pair-labels-idx1-ubyte");
    write_idx(auto_img, 3, dims, pix, sizeof pix, false);
    write_idx(auto_lab, 1, &n99, pix, 99, false);
    expect_fail1("auto-found label file mismatch", auto_img, RCC_ERR_FORMAT, "beside");
    lab[0] = good;
    expect_fail("image file given as labels", &good, 1, lab, RCC_ERR_FORMAT, good, "image file");
    const char *missing = tmp_path("no-such-file");
    lab[0] = missing;
    expect_fail("missing label file", &good, 1, lab, RCC_ERR_IO, missing, NULL);
    expect_fail1("missing image file", missing, RCC_ERR_IO, NULL);
    expect_fail("no sources", NULL, 0, NULL, RCC_ERR_ARG, NULL, NULL);
}

static void test_bad_npy(void)
{
    float f[2 * 4 * 4];
    for (int i = 0; i < 32; i++)
        f[i] = 0.5f;
    const char *p;
    p = tmp_path("trunc.npy");
    write_npy(p, "<f4", "(2, 4, 4)", false, f, sizeof f - 8, 1);
    expect_fail1(".npy truncated", p, RCC_ERR_FORMAT, "truncated");
    p = tmp_path("extra.npy");
    write_npy(p, "<f4", "(1, 4, 4)", false, f, sizeof f, 1);
    expect_fail1(".npy with extra bytes", p, RCC_ERR_FORMAT, "more than");
    p = tmp_path("f8.npy");
    write_npy(p, "<f8", "(1, 4, 4)", false, f, sizeof f, 1);
    expect_fail1(".npy float64", p, RCC_ERR_FORMAT, "f8");
    p = tmp_path("be.npy");
    write_npy(p, ">f4", "(2, 4, 4)", false, f, sizeof f, 1);
    expect_fail1(".npy big-endian", p, RCC_ERR_FORMAT, ">f4");
    p = tmp_path("fortran.npy");
    write_npy(p, "<f4", "(2, 4, 4)", true, f, sizeof f, 1);
    expect_fail1(".npy Fortran order", p, RCC_ERR_FORMAT, "Fortran");
    p = tmp_path("1d.npy");
    write_npy(p, "<f4", "(32,)", false, f, sizeof f, 1);
    expect_fail1(".npy 1-D", p, RCC_ERR_FORMAT, "dimensions");
    p = tmp_path("c2.npy");
    write_npy(p, "<f4", "(1, 2, 4, 4)", false, f, sizeof f, 1);
    expect_fail1(".npy with 2 channels", p, RCC_ERR_FORMAT, "channels");
    p = tmp_path("absurd.npy");
    write_npy(p, "|u1", "(4000000000, 100000, 100000)", false, f, sizeof f, 1);
    expect_fail1(".npy absurd shape", p, RCC_ERR_FORMAT, "absurd");
    p = tmp_path("overflow.npy");
    write_npy(p, "|u1", "(99999999999999999999999, 4, 4)", false, f, sizeof f, 1);
    expect_fail1(".npy shape overflowing 64 bits", p, RCC_ERR_FORMAT, NULL);
    p = tmp_path("noshape.npy");
    write_npy(p, "<f4", "[2, 4, 4]", false, f, sizeof f, 1);
    expect_fail1(".npy unreadable shape", p, RCC_ERR_FORMAT, "shape");
    float nan_data[32];
    memcpy(nan_data, f, sizeof f);
    nan_data[21] = NAN;
    p = tmp_path("nan.npy");
    write_npy(p, "<f4", "(2, 4, 4)", false, nan_data, sizeof nan_data, 1);
    expect_fail1(".npy with NaN", p, RCC_ERR_FORMAT, "NaN at element 21");
    nan_data[21] = INFINITY;
    write_npy(p, "<f4", "(2, 4, 4)", false, nan_data, sizeof nan_data, 1);
    expect_fail1(".npy with infinity", p, RCC_ERR_FORMAT, "infinity");
    p = tmp_path("hdr.npy");
    write_bytes(p, "\x93NUMPY\x01\x00\xff\x7f{'descr'", 17);
    expect_fail1(".npy header longer than file", p, RCC_ERR_FORMAT, "header");
    p = tmp_path("ver.npy");
    write_bytes(p, "\x93NUMPY\x09\x00\x10\x00", 10);
    expect_fail1(".npy unknown version", p, RCC_ERR_FORMAT, "version");
    p = tmp_path("magic.npy");
    write_bytes(p, "\x93NUMPZ\x01\x00\x10\x00", 10);
    expect_fail1(".npy wrong magic", p, RCC_ERR_FORMAT, "unrecognised");
    /* labels */
    const char *img = tmp_path("ok.npy");
    write_npy(img, "<f4", "(2, 4, 4)", false, f, sizeof f, 1);
    const char *lf = tmp_path("lab_f.npy");
    write_npy(lf, "<f4", "(2,)", false, f, 8, 1);
    const char *labs[1] = {lf};
    expect_fail("float labels", &img, 1, labs, RCC_ERR_FORMAT, lf, "integer");
    int64_t neg[2] = {1, -3};
    const char *ln = tmp_path("lab_neg.npy");
    write_npy(ln, "<i8", "(2,)", false, neg, sizeof neg, 1);
    labs[0] = ln;
    expect_fail("negative label", &img, 1, labs, RCC_ERR_FORMAT, ln, "-3");
    int64_t three[3] = {0, 1, 2};
    const char *l3 = tmp_path("lab_3.npy");
    write_npy(l3, "<i8", "(3,)", false, three, sizeof three, 1);
    labs[0] = l3;
    expect_fail(".npy label count mismatch", &img, 1, labs, RCC_ERR_FORMAT, l3, "2 images");
}

/* ---------------------------------------------------------------- the shared .npy parser (npy.h) */

/* A .npy header of `version` around `dict`, padded to 64 bytes as NumPy does, then `data` bytes of
 * zeros; returns the length. */
static size_t npy_bytes(unsigned char *buf, size_t cap, int version, const char *dict, size_t data)
{
    size_t pre = version == 1 ? 10 : 12, dl = strlen(dict);
    size_t total = (pre + dl + 1 + 63) / 64 * 64, hlen = total - pre;
    if (total + data > cap)
        return 0;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)version;
    buf[7] = 0;
    for (size_t i = 0; i < pre - 8; i++)
        buf[8 + i] = (unsigned char)(hlen >> (8 * i));
    memset(buf + pre, ' ', hlen);
    memcpy(buf + pre, dict, dl);
    buf[total - 1] = '\n';
    memset(buf + total, 0, data);
    return total + data;
}

/* Parsing `len` bytes of buf must fail with RCC_ERR_FORMAT, naming the file and saying `needle`. */
static void npy_parse_fails(const char *what, const unsigned char *buf, size_t len, const char *needle)
{
    rcc_npy_header h;
    rcc_status st = rcc_npy_parse_header("mem-test.npy", buf, len, &h);
    const char *msg = rcc_last_error();
    CHECK(st == RCC_ERR_FORMAT, "npy parser, %s: status %s (%s)", what, rcc_strerror(st), msg);
    CHECK(st == RCC_OK || (strstr(msg, "mem-test.npy") && strstr(msg, needle)),
          "npy parser, %s: message lacks the file name or '%s': %s", what, needle, msg);
    if (st != RCC_OK)
        printf("  npy parser ok: %-30s -> %s\n", what, msg);
}

static void npy_dict_fails(const char *what, const char *dict, const char *needle)
{
    unsigned char buf[1024];
    size_t len = npy_bytes(buf, sizeof buf, 1, dict, 0);
    npy_parse_fails(what, buf, len, needle);
}

static void test_npy_parser(void)
{
    unsigned char buf[4096];
    rcc_npy_header h;
    /* versions 1, 2 and 3 give the same header; only the preamble length differs */
    for (int v = 1; v <= 3; v++) {
        size_t len = npy_bytes(buf, sizeof buf, v, "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 3), }", 60);
        CHECK_OK(rcc_npy_parse_header("v.npy", buf, len, &h));
        CHECK(h.version == v && h.dtype.kind == RCC_NPY_FLOAT && h.dtype.size == 4 && h.dtype.order == '<' &&
                  !strcmp(h.dtype.descr, "<f4") && !h.fortran && h.ndim == 2 && h.shape[0] == 5 && h.shape[1] == 3 &&
                  h.count == 15 && h.offset == len - 60 && h.offset % 64 == 0 && rcc_npy_data_bytes(&h) == 60,
              "npy parser, version %d: kind %c size %d ndim %d count %llu offset %llu", v, h.dtype.kind, h.dtype.size,
              h.ndim, (unsigned long long)h.count, (unsigned long long)h.offset);
    }
    /* Fortran order, double-quoted keys, 0-D and 1-D shapes, Python 2 longs, one-byte orders */
    size_t len = npy_bytes(buf, sizeof buf, 1, "{\"descr\": \"<f8\", \"fortran_order\": True, \"shape\": (2, 3), }", 0);
    CHECK_OK(rcc_npy_parse_header("f.npy", buf, len, &h));
    CHECK(h.fortran && h.dtype.size == 8 && h.count == 6, "npy parser: Fortran order, double quotes");
    len = npy_bytes(buf, sizeof buf, 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (), }", 0);
    CHECK_OK(rcc_npy_parse_header("s.npy", buf, len, &h));
    CHECK(h.ndim == 0 && h.count == 1 && h.dtype.kind == RCC_NPY_BOOL, "npy parser: 0-D array has one element");
    len = npy_bytes(buf, sizeof buf, 1, "{'descr': '>u1', 'fortran_order': False, 'shape': (7L,), }", 0);
    CHECK_OK(rcc_npy_parse_header("l.npy", buf, len, &h));
    CHECK(h.ndim == 1 && h.shape[0] == 7 && h.dtype.kind == RCC_NPY_UINT && h.dtype.order == '|',
          "npy parser: '>u1' (one byte) and a Python 2 long");
    len = npy_bytes(buf, sizeof buf, 1, "{'descr': '=i2', 'fortran_order': False, 'shape': (4, 0), }", 0);
    CHECK_OK(rcc_npy_parse_header("z.npy", buf, len, &h));
    CHECK(h.count == 0 && h.dtype.kind == RCC_NPY_INT && h.dtype.order == '<', "npy parser: '=i2', empty array");

    /* refusals: each names the file and the problem */
    npy_dict_fails("big-endian float", "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", "big-endian");
    npy_dict_fails("big-endian int", "{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", "'>i8'");
    npy_dict_fails("unicode dtype", "{'descr': '<U10', 'fortran_order': False, 'shape': (2,), }", "'<U10'");
    npy_dict_fails("complex dtype", "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", "not supported");
    npy_dict_fails("half float", "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", "not supported");
    npy_dict_fails("structured dtype", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
                   "descr");
    npy_dict_fails("no descr", "{'fortran_order': False, 'shape': (2,), }", "descr");
    npy_dict_fails("no fortran_order", "{'descr': '<f4', 'shape': (2,), }", "fortran_order");
    npy_dict_fails("shape as a list", "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", "shape");
    npy_dict_fails("shape with a name", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, n), }", "shape");
    npy_dict_fails("negative dimension", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "shape");
    npy_dict_fails("shape without commas", "{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", "shape");
    npy_dict_fails("unclosed shape", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3", "shape");
    npy_dict_fails("nine dimensions",
                   "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }", "more than 8");
    npy_dict_fails("dimension over 2^40",
                   "{'descr': '|u1', 'fortran_order': False, 'shape': (1099511627777,), }", "absurd");
    npy_dict_fails("dimension over 64 bits",
                   "{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999999,), }", "absurd");
    npy_dict_fails("product over 2^40",
                   "{'descr': '|u1', 'fortran_order': False, 'shape': (1048576, 1048576, 2), }", "absurd");

    len = npy_bytes(buf, sizeof buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 0);
    buf[5] = 'Z';
    npy_parse_fails("wrong magic", buf, len, "magic");
    buf[5] = 'Y';
    buf[6] = 4;
    npy_parse_fails("version 4", buf, len, "version 4.0");
    buf[6] = 1;
    npy_parse_fails("cut in the preamble", buf, 8, "truncated");
    npy_parse_fails("cut in the header", buf, 40, "truncated .npy header");
    len = npy_bytes(buf, sizeof buf, 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 0);
    npy_parse_fails("version 2 cut in the length", buf, 11, "truncated");
    buf[10] = 0x20; /* a 2 MiB header */
    npy_parse_fails("header over 1 MiB", buf, len, "limit");

    /* element conversion: sign extension, ranges, integral floats */
    rcc_npy_dtype i2 = {RCC_NPY_INT, 2, '<', "<i2"}, u8 = {RCC_NPY_UINT, 8, '<', "<u8"},
                  f8 = {RCC_NPY_FLOAT, 8, '<', "<f8"}, b1 = {RCC_NPY_BOOL, 1, '|', "|b1"};
    unsigned char ri2[6] = {0xfe, 0xff, 0x07, 0x00, 0x00, 0x80}; /* -2, 7, -32768 */
    int iv[3];
    float fv[3];
    CHECK_OK(rcc_npy_to_int("c.npy", "element", &i2, ri2, 3, INT32_MIN, INT32_MAX, iv));
    CHECK(iv[0] == -2 && iv[1] == 7 && iv[2] == -32768, "npy: i2 sign extension (%d %d %d)", iv[0], iv[1], iv[2]);
    rcc_npy_to_f32(&i2, ri2, 3, fv);
    CHECK(fv[0] == -2 && fv[1] == 7 && fv[2] == -32768, "npy: i2 to float");
    CHECK(rcc_npy_to_int("c.npy", "label", &i2, ri2, 3, 0, 65535, iv) == RCC_ERR_FORMAT &&
              strstr(rcc_last_error(), "c.npy: label -2 at position 0"),
          "npy: negative label refused: %s", rcc_last_error());
    unsigned char ru8[8] = {0, 0, 0, 0, 0, 0, 0, 0x80}; /* 2^63 */
    CHECK(rcc_npy_to_int("c.npy", "element", &u8, ru8, 1, INT32_MIN, INT32_MAX, iv) == RCC_ERR_FORMAT &&
              strstr(rcc_last_error(), "9223372036854775808"),
          "npy: u8 above int64 refused with its value: %s", rcc_last_error());
    double dv[2] = {3, 2.5};
    CHECK(rcc_npy_to_int("c.npy", "element", &f8, (const unsigned char *)dv, 2, 0, 10, iv) == RCC_ERR_FORMAT &&
              iv[0] == 3 && strstr(rcc_last_error(), "2.5 at position 1"),
          "npy: non-integral float refused: %s", rcc_last_error());
    unsigned char rb1[2] = {1, 0};
    CHECK_OK(rcc_npy_to_int("c.npy", "label", &b1, rb1, 2, 0, 1, iv));
    CHECK(iv[0] == 1 && iv[1] == 0, "npy: b1 to int");

    /* rcc_npy_open: trailing bytes refused only when the size must be exact; the stream is at the data */
    len = npy_bytes(buf, sizeof buf, 3, "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }", 8);
    size_t at = len - 8; /* the data offset */
    memcpy(buf + at, ri2, 6);
    const char *p = tmp_path("open.npy");
    write_bytes(p, buf, len);
    FILE *f;
    CHECK(rcc_npy_open(p, true, &f, &h) == RCC_ERR_FORMAT && strstr(rcc_last_error(), "2 bytes more"),
          "npy open, exact: trailing bytes refused: %s", rcc_last_error());
    CHECK_OK(rcc_npy_open(p, false, &f, &h));
    unsigned char *data = NULL;
    if (f) {
        CHECK_OK(rcc_npy_read_data(p, f, &h, &data));
        fclose(f);
    }
    CHECK(data && !memcmp(data, ri2, 6), "npy open: data read from the offset");
    free(data);
    write_bytes(p, buf, at + 4);
    CHECK(rcc_npy_open(p, false, &f, &h) == RCC_ERR_FORMAT && strstr(rcc_last_error(), "truncated"),
          "npy open: truncated data refused: %s", rcc_last_error());
}

static void write_good_png(const char *path)
{
    unsigned char g[40 * 40];
    for (int i = 0; i < 1600; i++)
        g[i] = (unsigned char)((i * 7919) >> 3); /* noisy, so the data does not compress to nothing */
    write_png(path, 40, 40, PNG_COLOR_TYPE_GRAY, 8, g, NULL, 0, false);
}

static void write_good_jpeg(const char *path)
{
    unsigned char c[64 * 48 * 3];
    for (int i = 0; i < 64 * 48 * 3; i++)
        c[i] = (unsigned char)((i * 7919) >> 4);
    write_jpeg(path, 64, 48, 3, c, 90);
}

typedef struct {
    int calls, progress_calls;
    long decoded;
    char path[512], why[512];
    volatile sig_atomic_t *stop; /* set by on_progress when not NULL */
} broken_log;

static void on_broken(const char *path, const char *why, void *user)
{
    broken_log *b = user;
    b->calls++;
    snprintf(b->path, sizeof b->path, "%s", path);
    snprintf(b->why, sizeof b->why, "%s", why);
}

static void on_progress(long decoded, const char *folder, void *user)
{
    broken_log *b = user;
    b->progress_calls++;
    b->decoded = decoded;
    if (b->stop)
        *b->stop = 1;
    (void)folder;
}

static void test_bad_images(void)
{
    const char *png = tmp_path("good.png"), *jpg = tmp_path("good.jpg");
    write_good_png(png);
    write_good_jpeg(jpg);
    rcc_dataset d;
    CHECK_OK(rcc_dataset_load(&d, &png, 1, NULL));
    rcc_dataset_free(&d);
    CHECK_OK(rcc_dataset_load(&d, &jpg, 1, NULL));
    rcc_dataset_free(&d);
    size_t plen, jlen;
    free(read_bytes(png, &plen));
    free(read_bytes(jpg, &jlen));

    /* Bad files inside folders, so the folder path is tested too. */
    const char *dirs[8];
    const char *files[8];
    const char *names[8] = {"trunc.png", "crc.png", "trunc.jpg", "corrupt.jpg", "text.png", "empty.jpg", "hdr.png",
                            "big.png"};
    char dname[64];
    for (int k = 0; k < 8; k++) {
        snprintf(dname, sizeof dname, "badimg%d", k);
        dirs[k] = tmp_dir(dname);
        char fname[96];
        snprintf(fname, sizeof fname, "%s/%s", dname, names[k]);
        files[k] = tmp_path(fname);
        char okname[96];
        snprintf(okname, sizeof okname, "%s/0_ok.png", dname); /* a good image first */
        write_good_png(tmp_path(okname));
    }
    truncate_copy(png, files[0], 0.6);
    flip_bytes(png, files[1], plen / 2, 4);
    truncate_copy(jpg, files[2], 0.6);
    {
        size_t n;
        unsigned char *b = read_bytes(jpg, &n);
        memset(b + n / 2, 0xFF, 64); /* 0xFF runs in the entropy-coded data: markers that make no sense */
        b[n / 2 + 64] = 0xC4;
        write_bytes(files[3], b, n);
        free(b);
    }
    write_bytes(files[4], "this is text, not a PNG\n", 24);
    write_bytes(files[5], "", 0);
    {
        size_t n;
        unsigned char *b = read_bytes(png, &n);
        write_bytes(files[6], b, 20); /* signature and part of IHDR */
        free(b);
    }
    {
        /* a valid PNG header announcing 100000 x 100000 pixels, then the start of an IDAT chunk */
        static const unsigned char big[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D',
                                            'R', 0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 0, 0, 0, 0};
        unsigned char b[sizeof big + 4 + 12 + 4];
        memcpy(b, big, sizeof big);
        put_be32(b + sizeof big, (uint32_t)crc32(0, b + 12, 17));
        unsigned char *idat = b + sizeof big + 4;
        put_be32(idat, 4);
        memcpy(idat + 4, "IDAT\x78\x9c\x00\x00", 8);
        put_be32(idat + 12, (uint32_t)crc32(0, idat + 4, 8));
        write_bytes(files[7], b, sizeof b);
    }
    const char *needles[8] = {"PNG", "PNG", "JPEG", "JPEG", "not a PNG or JPEG", "empty file", "PNG",
                              "larger than allowed"};
    for (int k = 0; k < 8; k++) {
        char what[64];
        snprintf(what, sizeof what, "image %s in a folder", names[k]);
        expect_fail(what, &dirs[k], 1, NULL, RCC_ERR_FORMAT, files[k], needles[k]);
        snprintf(what, sizeof what, "image %s alone", names[k]);
        expect_fail(what, &files[k], 1, NULL, k == 4 || k == 5 ? RCC_OK : RCC_ERR_FORMAT, files[k], NULL);
    }

    /* Skipping them instead (rcc train's default): each bad file skipped and named, the good one
     * kept, unless more than max_broken of the image files are broken. */
    for (int k = 0; k < 8; k++) {
        broken_log bl = {0};
        rcc_load_options o = rcc_load_defaults();
        o.max_broken = 1;
        o.on_broken = on_broken, o.user = &bl;
        rcc_data_report rep;
        rcc_status st = rcc_dataset_load_opts(&d, &dirs[k], 1, NULL, &o, &rep);
        CHECK(st == RCC_OK && d.n == 1 && rep.broken_files == 1 && strstr(rep.first_broken, names[k]) &&
                  bl.calls == 1 && strstr(bl.path, names[k]) && strstr(bl.why, needles[k]),
              "skipping %s: %s, n %d, broken %d (%s), %d calls (%s: %s)", names[k], rcc_strerror(st), d.n,
              rep.broken_files, rep.first_broken, bl.calls, bl.path, bl.why);
        if (st == RCC_OK)
            rcc_dataset_free(&d);
        o.max_broken = 0.05; /* 1 of 2 */
        st = rcc_dataset_load_opts(&d, &dirs[k], 1, NULL, &o, &rep);
        CHECK(st == RCC_ERR_FORMAT && strstr(rcc_last_error(), "1 of 2 image files are broken") &&
                  strstr(rcc_last_error(), names[k]),
              "half broken refused: %s: %s", rcc_strerror(st), rcc_last_error());
    }
    {
        const char *many = tmp_dir("many");
        char name[64];
        for (int i = 0; i < 40; i++) {
            snprintf(name, sizeof name, "many/%02d.png", i);
            write_good_png(tmp_path(name));
        }
        truncate_copy(jpg, tmp_path("many/19_cut.jpg"), 0.5);
        broken_log bl = {0};
        rcc_load_options o = rcc_load_defaults();
        o.on_broken = on_broken, o.on_progress = on_progress, o.user = &bl;
        rcc_data_report rep;
        rcc_status st = rcc_dataset_load_opts(&d, &many, 1, NULL, &o, &rep);
        CHECK(st == RCC_OK && d.n == 40 && rep.broken_files == 1 && bl.calls == 1 && bl.progress_calls == 1 &&
                  bl.decoded == 40,
              "1 broken among 41 (default 5%%): %s, n %d, broken %d, progress %d calls (last %ld)", rcc_strerror(st),
              d.n, rep.broken_files, bl.progress_calls, bl.decoded);
        if (st == RCC_OK) {
            CHECK(d.names && strstr(d.names[20], "many/20.png"), "the image after the broken one: %s",
                  d.names ? d.names[20] : "(no names)");
            rcc_dataset_free(&d);
        }
        expect_fail("1 broken among 41 without skipping", &many, 1, NULL, RCC_ERR_FORMAT, "19_cut.jpg", "JPEG");
        o.max_broken = 1.5;
        st = rcc_dataset_load_opts(&d, &many, 1, NULL, &o, &rep);
        CHECK(st == RCC_ERR_ARG, "max_broken 1.5 refused: %s", rcc_strerror(st));
        /* stopped: before the first file, and from on_progress once 500 image files named as sources
         * (the same one again) are decoded */
        volatile sig_atomic_t stop = 1;
        o = rcc_load_defaults();
        o.stop = &stop;
        st = rcc_dataset_load_opts(&d, &many, 1, NULL, &o, &rep);
        CHECK(st == RCC_ERR_INTERRUPTED && strstr(rcc_last_error(), "loading stopped") && !d.pix && !d.u8,
              "a load asked to stop: %s: %s", rcc_strerror(st), rcc_last_error());
        const char *same[600], *one = tmp_path("many/00.png");
        for (int i = 0; i < 600; i++)
            same[i] = one;
        stop = 0;
        bl = (broken_log){0};
        bl.stop = &stop;
        o.on_progress = on_progress, o.user = &bl;
        st = rcc_dataset_load_opts(&d, same, 600, NULL, &o, &rep);
        CHECK(st == RCC_ERR_INTERRUPTED && bl.progress_calls == 1 && bl.decoded == 500 &&
                  strstr(rcc_last_error(), "after 500 images"),
              "stopped from on_progress: %s (%s), %d progress calls, %ld decoded", rcc_strerror(st),
              rcc_last_error(), bl.progress_calls, bl.decoded);
        stop = 0;
        bl = (broken_log){0};
        st = rcc_dataset_load_opts(&d, same, 600, NULL, &o, &rep);
        CHECK(st == RCC_OK && d.n == 600 && bl.progress_calls == 2 && bl.decoded == 600,
              "600 image files as sources: progress at 500 and at the end (%d calls, %ld)", bl.progress_calls,
              bl.decoded);
        if (st == RCC_OK)
            rcc_dataset_free(&d);
        /* a class folder whose every image is broken is no class */
        tmp_dir("brokencls");
        tmp_dir("brokencls/a");
        tmp_dir("brokencls/b");
        for (int i = 0; i < 30; i++) {
            snprintf(name, sizeof name, "brokencls/a/%02d.png", i);
            write_good_png(tmp_path(name));
        }
        truncate_copy(png, tmp_path("brokencls/b/x.png"), 0.5);
        const char *bc = tmp_path("brokencls");
        o.max_broken = 0.5;
        st = rcc_dataset_load_opts(&d, &bc, 1, NULL, &o, &rep);
        CHECK(st == RCC_ERR_FORMAT && strstr(rcc_last_error(), "every image file in it is broken"),
              "a class folder of broken images: %s: %s", rcc_strerror(st), rcc_last_error());
    }

    /* Folder structure problems. */
    const char *empty = tmp_dir("emptydir");
    expect_fail1("empty folder", empty, RCC_ERR_FORMAT, "empty folder");
    const char *junk = tmp_dir("junkdir");
    write_bytes(tmp_path("junkdir/a.txt"), "x", 1);
    write_bytes(tmp_path("junkdir/b.csv"), "x", 1);
    expect_fail1("folder without images", junk, RCC_ERR_FORMAT, "no PNG or JPEG");
    const char *mixdir = tmp_dir("mixdir");
    tmp_dir("mixdir/cls");
    write_good_png(tmp_path("mixdir/cls/a.png"));
    write_good_png(tmp_path("mixdir/top.png"));
    expect_fail1("images beside class folders", mixdir, RCC_ERR_FORMAT, "subfolders");
    const char *emptycls = tmp_dir("emptycls");
    tmp_dir("emptycls/a");
    tmp_dir("emptycls/b");
    write_good_png(tmp_path("emptycls/a/x.png"));
    write_bytes(tmp_path("emptycls/b/readme.txt"), "x", 1);
    expect_fail1("empty class folder", emptycls, RCC_ERR_FORMAT, "emptycls/b");
    const char *labs[1] = {png};
    expect_fail("label file for a folder", &mixdir, 1, labs, RCC_ERR_ARG, mixdir, "class subfolders");
}

/* ---------------------------------------------------------------- the views command */

static int run(const char *cmd)
{
    int r = system(cmd);
    return r == -1 ? -1 : WIFEXITED(r) ? WEXITSTATUS(r) : 128;
}

static void test_cli(void)
{
    if (access(RCC_BINARY, X_OK) != 0) {
        printf("SKIP rcc views: %s not built\n", RCC_BINARY);
        return;
    }
    const char *img = mnist_images();
    const char *data = img ? img : tmp_path("flat");
    const char *out = tmp_path("views.png"), *err = tmp_path("views.err"), *supp = tmp_path("lsan.supp");
    /* fontconfig (under cairo's text) keeps caches until exit; LeakSanitizer would call them leaks */
    write_bytes(supp, "leak:libfontconfig\n", 19);
    char cmd[4096], env[1200];
    snprintf(env, sizeof env, "LSAN_OPTIONS=suppressions='%s'", supp);
    snprintf(cmd, sizeof cmd, "%s '%s' views --data '%s' --count 4 --views 5 --preset cpu --out '%s' >/dev/null 2>'%s'",
             env, RCC_BINARY, data, out, err);
    int rc = run(cmd);
    CHECK(rc == 0, "rcc views exit status %d", rc);
    /* Read the PNG back: 4 rows, 6 columns of 128-pixel tiles. */
    rcc_dataset d;
    rcc_status st = rcc_dataset_load(&d, &out, 1, NULL);
    CHECK(st == RCC_OK && d.c == 3 && d.w >= 6 * 128 && d.h >= 4 * 128 && d.h < 4 * 128 + 200,
          "views PNG: %s, %dx%d", rcc_strerror(st), d.w, d.h);
    if (st == RCC_OK) {
        double dark = 0; /* digits (or test patterns) on a white page: some dark pixels */
        for (size_t i = 0; i < (size_t)d.h * d.w; i++)
            dark += rcc_dataset_px(&d, i) < 0.2f;
        CHECK(dark > 0.05 * d.h * d.w, "views PNG has image content (%.0f dark pixels)", dark);
        printf("  rcc views wrote a %dx%d PNG\n", d.w, d.h);
        rcc_dataset_free(&d);
    }
    /* Bad input: non-zero exit, a message naming the file. */
    const char *bad = tmp_path("cli-bad.npy");
    write_bytes(bad, "\x93NUMPY\x01\x00\xff\x7f{", 11);
    snprintf(cmd, sizeof cmd, "%s '%s' views --data '%s' --out '%s' >/dev/null 2>'%s'", env, RCC_BINARY, bad,
             tmp_path("never.png"), err);
    rc = run(cmd);
    size_t n;
    char *msg = (char *)read_bytes(err, &n);
    if (msg)
        msg[n] = 0;
    CHECK(rc == 1 && msg && strstr(msg, "cli-bad.npy"), "rcc views on a bad file: exit %d, message: %s", rc,
          msg ? msg : "(none)");
    free(msg);
    snprintf(cmd, sizeof cmd, "%s '%s' views --data '%s' --preset nonsense --out x.png >/dev/null 2>'%s'", env,
             RCC_BINARY, data, err);
    CHECK(run(cmd) == 2, "rcc views with an unknown preset exits 2");
    snprintf(cmd, sizeof cmd, "%s '%s' views --out x.png >/dev/null 2>'%s'", env, RCC_BINARY, err);
    CHECK(run(cmd) == 2, "rcc views without --data exits 2");
}

/* Colour to gray by the luma weights and gray to colour by replication, in place — on a data set held
 * as bytes (as loaded) and the same one as floats, which must give the same floats. */
static void test_convert_channels(void)
{
    const char *col = tmp_path("colour");
    rcc_dataset d, f;
    CHECK_OK(rcc_dataset_load(&d, &col, 1, NULL));
    CHECK_OK(rcc_dataset_load(&f, &col, 1, NULL));
    CHECK_OK(rcc_dataset_to_float(&f));
    if (d.c != 3 || d.n < 2 || !d.u8 || !f.pix) {
        CHECK(false, "colour folder for the conversion: c %d, n %d, bytes %d", d.c, d.n, d.u8 != NULL);
        rcc_dataset_free(&d);
        rcc_dataset_free(&f);
        return;
    }
    size_t hw = (size_t)d.h * d.w, n = (size_t)d.n;
    float *orig = malloc(n * 3 * hw * sizeof *orig);
    memcpy(orig, f.pix, n * 3 * hw * sizeof *orig);
    CHECK_OK(rcc_dataset_convert_channels(&d, 1));
    CHECK_OK(rcc_dataset_convert_channels(&f, 1));
    CHECK(d.pix && !d.u8, "colour bytes to gray: held as floats (luma is not a byte)");
    double worst = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < hw; p++) {
            const float *o = orig + i * 3 * hw;
            double want = 0.2989 * o[p] + 0.587 * o[hw + p] + 0.114 * o[2 * hw + p];
            worst = fmax(worst, fabs(f.pix[i * hw + p] - want));
        }
    CHECK(f.c == 1 && worst < 1e-6, "colour to gray: c %d, worst %.2g", f.c, worst);
    CHECK(d.c == 1 && d.pix && memcmp(d.pix, f.pix, n * hw * sizeof *f.pix) == 0,
          "colour to gray: bytes and floats give the same floats");
    float *gray = malloc(n * hw * sizeof *gray);
    memcpy(gray, f.pix, n * hw * sizeof *gray);
    CHECK_OK(rcc_dataset_convert_channels(&f, 3));
    bool same = f.c == 3;
    for (size_t i = 0; same && i < n; i++)
        for (int ch = 0; ch < 3; ch++)
            same &= memcmp(f.pix + (i * 3 + ch) * hw, gray + i * hw, hw * sizeof *gray) == 0;
    CHECK(same, "gray to colour replicates each image's plane");
    CHECK(rcc_dataset_convert_channels(&f, 2) == RCC_ERR_ARG, "2 channels refused");
    CHECK_OK(rcc_dataset_convert_channels(&f, 3));
    free(orig), free(gray);
    rcc_dataset_free(&d);
    rcc_dataset_free(&f);

    /* Gray bytes to colour stay bytes, each plane the gray one. */
    const char *flat = tmp_path("flat");
    CHECK_OK(rcc_dataset_load(&d, &flat, 1, NULL));
    if (d.c != 1 || !d.u8) {
        CHECK(false, "gray folder for the conversion: c %d, bytes %d", d.c, d.u8 != NULL);
        rcc_dataset_free(&d);
        return;
    }
    hw = (size_t)d.h * d.w, n = (size_t)d.n;
    unsigned char *g8 = malloc(n * hw);
    memcpy(g8, d.u8, n * hw);
    CHECK_OK(rcc_dataset_convert_channels(&d, 3));
    same = d.c == 3 && d.u8 && !d.pix;
    for (size_t i = 0; same && i < n; i++)
        for (int ch = 0; ch < 3; ch++)
            same &= memcmp(d.u8 + (i * 3 + ch) * hw, g8 + i * hw, hw) == 0;
    CHECK(same, "gray bytes to colour: bytes, each image's plane replicated");
    free(g8);
    rcc_dataset_free(&d);
}

int main(void)
{
    tmp_init();
    test_mnist();
    test_fashion();
    test_folders();
    test_convert_channels();
    test_npy();
    test_bad_idx();
    test_bad_npy();
    test_npy_parser();
    test_bad_images();
    test_cli();
    tmp_cleanup();
    return test_finish("test_data");
}
