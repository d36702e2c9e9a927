/* test_report_unit.c — the pieces of librcc_report that need no model: rcc_html_escape on markup,
 * quotes, every kind of malformed UTF-8 and short buffers; and the PNG thumbnails of the data
 * module (rcc_dataset_image_png, rcc_image_thumbnail_png) decoded back: sizes, channels, pixels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rcc_data.h"
#include "rcc_report.h"
#include "testutil.h"

static void escaped(const char *in, const char *want)
{
    char buf[256];
    size_t n = rcc_html_escape(buf, sizeof buf, in);
    CHECK(strcmp(buf, want) == 0 && n == strlen(want), "escape(%s) = '%s', want '%s'", in, buf, want);
}

#define FFFD "\xEF\xBF\xBD"

static void test_escape(void)
{
    escaped("plain name.png", "plain name.png");
    escaped("<img src=x onerror=alert(1)>.png", "&lt;img src=x onerror=alert(1)&gt;.png");
    escaped("a&b\"c'd", "a&amp;b&quot;c&#39;d");
    escaped("&amp;", "&amp;amp;");
    escaped("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"); /* é € 😀 kept */
    escaped("bad\xFF\xFEname", "bad" FFFD FFFD "name");
    escaped("\xC0\xAF", FFFD FFFD);                 /* overlong '/' */
    escaped("\xE0\x80\xAF", FFFD FFFD FFFD);        /* overlong, 3 bytes */
    escaped("\xED\xA0\x80", FFFD FFFD FFFD);        /* a surrogate */
    escaped("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* above U+10FFFF */
    escaped("\xE2\x82", FFFD FFFD);                 /* cut short at the end */
    escaped("x\x01y\x7Fz\tq", "x" FFFD "y" FFFD "z\tq");
    escaped("", "");
    escaped(NULL, "");
    char small[8];
    size_t n = rcc_html_escape(small, sizeof small, "<<<<");
    CHECK(n == 16 && strcmp(small, "&lt;&lt") == 0, "a short buffer: length %zu, '%s'", n, small);
    CHECK(rcc_html_escape(NULL, 0, "a<b") == 6, "measuring only");
}

static void test_png(void)
{
    rcc_dataset d;
    memset(&d, 0, sizeof d);
    d.n = 2, d.c = 3, d.h = 30, d.w = 200;
    size_t per = (size_t)3 * 30 * 200;
    d.u8 = malloc(2 * per);
    CHECK(d.u8 != NULL, "memory");
    if (!d.u8)
        return;
    for (size_t i = 0; i < 2 * per; i++)
        d.u8[i] = (unsigned char)(i * 7 + i / 600);
    unsigned char *png;
    size_t len;
    CHECK_OK(rcc_dataset_image_png(&d, 1, 0, &png, &len));
    if (png) { /* at full size */
        CHECK(len > 33 && memcmp(png, "\x89PNG", 4) == 0, "a PNG");
        CHECK(png[24] == 8 && png[25] == 2, "8-bit RGB (depth %d, type %d)", png[24], png[25]);
        unsigned w = (unsigned)png[16] << 24 | png[17] << 16 | png[18] << 8 | png[19];
        unsigned h = (unsigned)png[20] << 24 | png[21] << 16 | png[22] << 8 | png[23];
        CHECK(w == 200 && h == 30, "%ux%u", w, h);
        unsigned char *thumb;
        size_t tlen;
        CHECK_OK(rcc_image_thumbnail_png(png, len, 0, 64, &thumb, &tlen));
        if (thumb) {
            w = (unsigned)thumb[16] << 24 | thumb[17] << 16 | thumb[18] << 8 | thumb[19];
            h = (unsigned)thumb[20] << 24 | thumb[21] << 16 | thumb[22] << 8 | thumb[23];
            CHECK(w == 64 && h == 9 && thumb[25] == 2, "thumbnail of 200x30 in 64: %ux%u (aspect kept)", w, h);
            free(thumb);
        }
        CHECK(rcc_image_thumbnail_png(png, len, 100, 64, &thumb, &tlen) == RCC_ERR_FORMAT,
              "an image wider than max_decode_side is refused");
        free(png);
    }
    d.c = 1, d.w = 100; /* the same bytes read as gray 100x30 images */
    d.n = 2;
    CHECK_OK(rcc_dataset_image_png(&d, 0, 16, &png, &len));
    if (png) {
        CHECK(png[25] == 0, "gray stays gray (type %d)", png[25]);
        unsigned w = (unsigned)png[16] << 24 | png[17] << 16 | png[18] << 8 | png[19];
        CHECK(w == 16, "fits 16 (width %u)", w);
        free(png);
    }
    CHECK(rcc_dataset_image_png(&d, 2, 0, &png, &len) == RCC_ERR_ARG, "an index out of range");
    unsigned char junk[40] = {1, 2, 3};
    CHECK(rcc_image_thumbnail_png(junk, sizeof junk, 0, 64, &png, &len) == RCC_ERR_FORMAT, "not an image");
    free(d.u8);
}

int main(void)
{
    test_escape();
    test_png();
    return test_finish("test_report_unit");
}
