/* draw.h — the drawing helpers every picture of librcc_plot is made with (draw.c): a canvas that
 * becomes a PNG file, colours, text anchored at a point, and chart axes with ticks, lines and
 * marks. Internal to the plot module; the pictures themselves are declared in rcc_plot.h. */
#ifndef RCC_PLOT_DRAW_H
#define RCC_PLOT_DRAW_H

#include <cairo.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include "rcc.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---------------------------------------------------------------- colours and text */

typedef struct {
    double r, g, b;
} rcc_rgb;

static const rcc_rgb RCC_INK_BLACK = {0.1, 0.1, 0.1}, RCC_INK_GRAY = {0.45, 0.45, 0.45},
                     RCC_INK_RED = {0.80, 0.10, 0.12}, RCC_INK_ORANGE = {0.95, 0.50, 0.05},
                     RCC_INK_BLUE = {0.12, 0.47, 0.71};

/* Colour of class or series i: Matplotlib's tab10, then golden-angle hues. */
rcc_rgb rcc_draw_color(int i);
void rcc_draw_set_rgb(cairo_t *cr, rcc_rgb c, double alpha);

/* Text in the pictures' font at (x, y), rotated by angle (radians): ha 0 left / 0.5 centre /
 * 1 right, va 0 top / 0.5 middle / 1 baseline. Returns the advance width. */
double rcc_draw_text(cairo_t *cr, double x, double y, const char *s, double size, bool bold, double ha, double va,
                     double angle);
/* The advance width rcc_draw_text would have, without drawing. */
double rcc_draw_text_width(cairo_t *cr, const char *s, double size, bool bold);

/* ---------------------------------------------------------------- the canvas */

typedef struct {
    cairo_surface_t *s;
    cairo_t *cr;
} rcc_canvas;

/* A w×h picture painted white, the source set to RCC_INK_BLACK; its PNG has an alpha channel. */
rcc_status rcc_canvas_open(rcc_canvas *c, int w, int h);
/* The same without alpha channel (an RGB PNG), for pictures of images. */
rcc_status rcc_canvas_open_rgb(rcc_canvas *c, int w, int h);
/* Writes the PNG (unless drawing failed) and frees the canvas either way. */
rcc_status rcc_canvas_save(rcc_canvas *c, const char *path);
/* Frees the canvas without writing anything (an error after rcc_canvas_open). */
void rcc_canvas_discard(rcc_canvas *c);

/* ---------------------------------------------------------------- chart axes */

typedef struct {
    double x0, y0, w, h; /* plot area, pixels, top-left */
    double xmin, xmax, ymin, ymax;
} rcc_axes;

/* Pixel coordinates of data coordinates. */
static inline double rcc_axes_x(const rcc_axes *a, double v)
{
    return a->x0 + (v - a->xmin) / (a->xmax - a->xmin) * a->w;
}
static inline double rcc_axes_y(const rcc_axes *a, double v)
{
    return a->y0 + a->h - (v - a->ymin) / (a->ymax - a->ymin) * a->h;
}

/* Smallest and largest finite y[0..n) (+inf and −inf when there is none). */
void rcc_axes_range(const double *y, int n, double *lo, double *hi);
/* Widens [lo, hi] a little (down to 0 when to_zero and lo is small); handles a flat range. */
void rcc_axes_pad(double *lo, double *hi, bool to_zero);
/* Background, grid, ticks with 1-2-5 steps (integers only when integer_x), frame and labels. */
void rcc_axes_draw(cairo_t *cr, const rcc_axes *a, const char *title, const char *xlabel, const char *ylabel,
                   bool integer_x);
/* A polyline through the finite points (gaps at NaN), clipped to the plot area; round markers of
 * radius `marker` when > 0; dashed when ndash > 0. */
void rcc_axes_line(cairo_t *cr, const rcc_axes *a, const double *xs, const double *ys, int n, rcc_rgb col,
                   double width, double marker, const double *dash, int ndash);
/* A dashed vertical line at x, optionally labelled at its top (to the left or right of it). */
void rcc_axes_vline(cairo_t *cr, const rcc_axes *a, double x, rcc_rgb col, const char *label, bool label_left);
/* A ring of radius r at (x, y), if y is finite. */
void rcc_axes_point(cairo_t *cr, const rcc_axes *a, double x, double y, rcc_rgb col, double r);

#endif
