/* grid.c — a grid of images under a two-line header, with a caption above each column and a
 * label beside each row: how `rcc views` shows an image and its augmented views. Pixels are
 * magnified without smoothing, so what is drawn is exactly what the network sees. */
#include "rcc_plot.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plot/draw.h"
#include "util.h"

#define MARGIN 12
#define GAP 6
#define HEADER 46
#define LABEL_W 96
#define CAPTION 16
#define ROW_LINE 16 /* between the lines of a row label */

static const rcc_rgb INK = {0, 0, 0};

/* Paints one C×S×S image (values clamped to [0, 1]) at (x, y), magnified `scale` times. */
static rcc_status draw_tile(cairo_t *cr, const float *img, int c, int s, int scale, double x, double y)
{
    cairo_surface_t *tile = cairo_image_surface_create(CAIRO_FORMAT_RGB24, s, s);
    if (cairo_surface_status(tile) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(tile);
        return rcc_fail(RCC_ERR_NOMEM, "image grid: cannot make a %d x %d tile", s, s);
    }
    cairo_surface_flush(tile);
    unsigned char *data = cairo_image_surface_get_data(tile);
    int stride = cairo_image_surface_get_stride(tile);
    size_t hw = (size_t)s * s;
    for (int yy = 0; yy < s; yy++) {
        uint32_t *row = (uint32_t *)(data + (size_t)yy * stride);
        for (int xx = 0; xx < s; xx++) {
            size_t i = (size_t)yy * s + xx;
            uint32_t rgb[3];
            for (int ch = 0; ch < 3; ch++) {
                float v = img[(c == 3 ? ch : 0) * hw + i];
                v = v < 0 ? 0 : v > 1 ? 1 : v;
                rgb[ch] = (uint32_t)(v * 255.0f + 0.5f);
            }
            row[xx] = rgb[0] << 16 | rgb[1] << 8 | rgb[2];
        }
    }
    cairo_surface_mark_dirty(tile);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, scale, scale);
    cairo_set_source_surface(cr, tile, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, s, s);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(tile);
    return RCC_OK;
}

/* Text starting at x on the baseline y. */
static void label(cairo_t *cr, double x, double y, double size, const char *s)
{
    rcc_draw_text(cr, x, y, s, size, false, 0, 1, 0);
}

/* The lines of s (split at '\n'), the first on baseline y, then one every ROW_LINE pixels. */
static void label_lines(cairo_t *cr, double x, double y, double size, const char *s)
{
    char line[512];
    for (int i = 0; *s; i++) {
        size_t n = strcspn(s, "\n");
        snprintf(line, sizeof line, "%.*s", (int)n, s);
        label(cr, x, y + i * ROW_LINE, size, line);
        s += n + (s[n] == '\n');
    }
}

rcc_status rcc_plot_image_grid(const char *path, const rcc_image_grid *g, rcc_grid_tile_fn tile, void *user,
                               int *width, int *height)
{
    if (!g || !tile || g->rows < 1 || g->cols < 1 || g->size < 1 || g->scale < 1 ||
        (g->channels != 1 && g->channels != 3))
        return rcc_fail(RCC_ERR_ARG, "image grid: need at least one row and column, a size and scale of at least 1, "
                                     "and 1 or 3 channels");
    int64_t t = (int64_t)g->size * g->scale;
    int64_t w64 = 2 * MARGIN + LABEL_W + g->cols * t + (g->cols - 1) * GAP;
    int64_t h64 = 2 * MARGIN + HEADER + CAPTION + g->rows * t + (g->rows - 1) * GAP;
    if (w64 > INT32_MAX || h64 > INT32_MAX)
        return rcc_fail(RCC_ERR_ARG, "image grid: a picture of %lld x %lld pixels", (long long)w64, (long long)h64);
    int W = (int)w64, H = (int)h64, T = (int)t;
    if (g->title || g->subtitle) { /* wide enough for the header */
        rcc_canvas probe;
        RCC_TRY(rcc_canvas_open_rgb(&probe, 1, 1));
        double w1 = g->title ? rcc_draw_text_width(probe.cr, g->title, 14, false) : 0;
        double w2 = g->subtitle ? rcc_draw_text_width(probe.cr, g->subtitle, 11, false) : 0;
        int need = 2 * MARGIN + (int)(w1 > w2 ? w1 : w2) + 1;
        if (cairo_status(probe.cr) == CAIRO_STATUS_SUCCESS && need > W && need < 4096)
            W = need;
        rcc_canvas_discard(&probe);
    }
    rcc_canvas cv;
    RCC_TRY(rcc_canvas_open_rgb(&cv, W, H));
    float *img = malloc((size_t)g->channels * g->size * g->size * sizeof *img);
    if (!img) {
        rcc_canvas_discard(&cv);
        return rcc_fail(RCC_ERR_NOMEM, "image grid: a tile of %d x %d", g->size, g->size);
    }
    cairo_t *cr = cv.cr;
    rcc_draw_set_rgb(cr, INK, 1);
    if (g->title)
        label(cr, MARGIN, MARGIN + 14, 14, g->title);
    if (g->subtitle)
        label(cr, MARGIN, MARGIN + 34, 11, g->subtitle);
    double top = MARGIN + HEADER + CAPTION;
    for (int c = 0; c < g->cols && g->col_labels; c++)
        if (g->col_labels[c])
            label(cr, MARGIN + LABEL_W + c * (T + GAP), top - 5, 11, g->col_labels[c]);
    rcc_status st = RCC_OK;
    for (int r = 0; r < g->rows && st == RCC_OK; r++) {
        double y = top + r * (T + GAP);
        if (g->row_labels && g->row_labels[r])
            label_lines(cr, MARGIN, y + 14, 12, g->row_labels[r]);
        for (int c = 0; c < g->cols && st == RCC_OK; c++) {
            st = tile(user, r, c, img);
            if (st == RCC_OK)
                st = draw_tile(cr, img, g->channels, g->size, g->scale, MARGIN + LABEL_W + c * (T + GAP), y);
        }
    }
    free(img);
    if (st != RCC_OK) {
        rcc_canvas_discard(&cv);
        return st;
    }
    if (width)
        *width = W;
    if (height)
        *height = H;
    return rcc_canvas_save(&cv, path);
}
