/* serve_png.c — test helper for test_serve.sh: writes image INDEX of a raw IDX image file as a
 * gray PNG, or (with "huge") the start of a PNG whose header claims 100000×100000 pixels. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_png(const char *out, int w, int h, const unsigned char *pix, int rows)
{
    FILE *f = fopen(out, "wb");
    if (!f)
        return 1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        fclose(f);
        return 1;
    }
    png_init_io(png, f);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < rows; y++)
        png_write_row(png, pix + (size_t)y * w);
    if (rows == h)
        png_write_end(png, info);
    else
        png_write_flush(png);
    png_destroy_write_struct(&png, &info);
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "huge") == 0) {
        unsigned char *row = calloc(100000, 1); /* one row of the claimed image, then nothing */
        int rc = !row || write_png(argv[2], 100000, 100000, row, 1);
        free(row);
        return rc;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: serve_png IDX INDEX OUT.png | serve_png huge OUT.png\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    unsigned char hdr[16], pix[784];
    long index = atol(argv[2]);
    if (!f || fread(hdr, 1, 16, f) != 16 || fseek(f, 16 + index * 784, SEEK_SET) != 0 || fread(pix, 1, 784, f) != 784)
        return 1;
    fclose(f);
    return write_png(argv[3], 28, 28, pix, 28);
}
