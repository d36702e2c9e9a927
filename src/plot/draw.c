/* draw.c — the drawing helpers of the pictures (see draw.h): colours, text, the canvas and its PNG
 * file, chart axes with ticks, lines and marks. */
#include "plot/draw.h"

#include <math.h>
#include <stdio.h>
#include "util.h"

#define FONT "DejaVu Sans"

/* ---------------------------------------------------------------- colours and text */

rcc_rgb rcc_draw_color(int i)
{
    static const rcc_rgb tab10[10] = {
        {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
        {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
        {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812},
    };
    if (i >= 0 && i < 10)
        return tab10[i];
    double h = fmod((double)i * 137.50776, 360.0) / 60.0, s = 0.65, v = (i / 10) % 2 ? 0.70 : 0.90;
    double c = v * s, x = c * (1 - fabs(fmod(h, 2.0) - 1)), m = v - c;
    rcc_rgb o;
    int hi = (int)h;
    o.r = (hi == 0 || hi == 5) ? c : (hi == 1 || hi == 4) ? x : 0;
    o.g = (hi == 1 || hi == 2) ? c : (hi == 0 || hi == 3) ? x : 0;
    o.b = (hi == 3 || hi == 4) ? c : (hi == 2 || hi == 5) ? x : 0;
    o.r += m, o.g += m, o.b += m;
    return o;
}

void rcc_plot_color(int i, double rgb[3])
{
    rcc_rgb c = rcc_draw_color(i);
    rgb[0] = c.r, rgb[1] = c.g, rgb[2] = c.b;
}

void rcc_draw_set_rgb(cairo_t *cr, rcc_rgb c, double alpha) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

double rcc_draw_text(cairo_t *cr, double x, double y, const char *s, double size, bool bold, double ha, double va,
                     double angle)
{
    cairo_save(cr);
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, angle);
    double dy = va == 1 ? 0 : va == 0 ? fe.ascent : 0.5 * (fe.ascent - fe.descent);
    cairo_move_to(cr, -ha * e.x_advance, dy);
    cairo_show_text(cr, s);
    cairo_restore(cr);
    return e.x_advance;
}

double rcc_draw_text_width(cairo_t *cr, const char *s, double size, bool bold)
{
    cairo_save(cr);
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_restore(cr);
    return e.x_advance;
}

/* ---------------------------------------------------------------- the canvas */

static rcc_status canvas_open(rcc_canvas *c, cairo_format_t format, int w, int h)
{
    c->s = cairo_image_surface_create(format, w, h);
    if (cairo_surface_status(c->s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(c->s);
        c->s = NULL;
        return rcc_fail(RCC_ERR_NOMEM, "plot: cannot create a %d x %d image", w, h);
    }
    c->cr = cairo_create(c->s);
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    rcc_draw_set_rgb(c->cr, RCC_INK_BLACK, 1);
    return RCC_OK;
}

rcc_status rcc_canvas_open(rcc_canvas *c, int w, int h) { return canvas_open(c, CAIRO_FORMAT_ARGB32, w, h); }
rcc_status rcc_canvas_open_rgb(rcc_canvas *c, int w, int h) { return canvas_open(c, CAIRO_FORMAT_RGB24, w, h); }

rcc_status rcc_canvas_save(rcc_canvas *c, const char *path)
{
    cairo_status_t cs = cairo_status(c->cr);
    if (cs == CAIRO_STATUS_SUCCESS) {
        cairo_surface_flush(c->s);
        cs = cairo_surface_write_to_png(c->s, path);
    }
    cairo_destroy(c->cr);
    cairo_surface_destroy(c->s);
    if (cs != CAIRO_STATUS_SUCCESS)
        return rcc_fail(RCC_ERR_IO, "%s: cannot write the PNG: %s", path, cairo_status_to_string(cs));
    return RCC_OK;
}

void rcc_canvas_discard(rcc_canvas *c)
{
    cairo_destroy(c->cr);
    cairo_surface_destroy(c->s);
    c->cr = NULL;
    c->s = NULL;
}

/* ---------------------------------------------------------------- axes */

/* A 1-2-5 step giving about `target` ticks over [lo, hi]. */
static double nice_step(double lo, double hi, int target)
{
    double raw = (hi - lo) / target, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static void fmt_tick(char *buf, size_t size, double v, double step)
{
    double av = fabs(v);
    if (fabs(v) < step * 1e-6)
        v = 0, av = 0;
    if (av >= 1e6 && step >= 1e5)
        snprintf(buf, size, "%gM", v / 1e6);
    else if (av >= 1e4 && step >= 1e3)
        snprintf(buf, size, "%gk", v / 1e3);
    else {
        int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
        snprintf(buf, size, "%.*f", dec > 6 ? 6 : dec, v);
    }
}

void rcc_axes_pad(double *lo, double *hi, bool to_zero)
{
    if (!isfinite(*lo) || !isfinite(*hi)) {
        *lo = 0, *hi = 1;
        return;
    }
    if (to_zero && *lo > 0 && *lo < 0.35 * *hi)
        *lo = 0;
    if (*hi - *lo < 1e-12 * (fabs(*hi) + 1)) {
        double d = fabs(*hi) > 0 ? 0.1 * fabs(*hi) : 1;
        *lo -= d, *hi += d;
        return;
    }
    double m = 0.06 * (*hi - *lo);
    if (!(to_zero && *lo == 0))
        *lo -= m;
    *hi += m;
}

void rcc_axes_draw(cairo_t *cr, const rcc_axes *a, const char *title, const char *xlabel, const char *ylabel,
                   bool integer_x)
{
    cairo_save(cr);
    cairo_rectangle(cr, a->x0, a->y0, a->w, a->h);
    cairo_set_source_rgb(cr, 0.985, 0.985, 0.985);
    cairo_fill(cr);
    char buf[32];
    /* y grid and ticks */
    double ys = nice_step(a->ymin, a->ymax, 5);
    cairo_set_line_width(cr, 1);
    for (double v = ceil(a->ymin / ys) * ys; v <= a->ymax + 1e-9 * ys; v += ys) {
        double y = round(rcc_axes_y(a, v)) + 0.5;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, a->x0, y);
        cairo_line_to(cr, a->x0 + a->w, y);
        cairo_stroke(cr);
        rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
        cairo_move_to(cr, a->x0 - 5, y);
        cairo_line_to(cr, a->x0, y);
        cairo_stroke(cr);
        fmt_tick(buf, sizeof buf, v, ys);
        rcc_draw_text(cr, a->x0 - 8, y, buf, 11, false, 1, 0.5, 0);
    }
    /* x grid and ticks */
    double xs = nice_step(a->xmin, a->xmax, 6);
    if (integer_x && xs < 1)
        xs = 1;
    for (double v = ceil(a->xmin / xs) * xs; v <= a->xmax + 1e-9 * xs; v += xs) {
        double x = round(rcc_axes_x(a, v)) + 0.5;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, x, a->y0);
        cairo_line_to(cr, x, a->y0 + a->h);
        cairo_stroke(cr);
        rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
        cairo_move_to(cr, x, a->y0 + a->h);
        cairo_line_to(cr, x, a->y0 + a->h + 5);
        cairo_stroke(cr);
        fmt_tick(buf, sizeof buf, v, xs);
        rcc_draw_text(cr, x, a->y0 + a->h + 8, buf, 11, false, 0.5, 0, 0);
    }
    rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
    cairo_set_line_width(cr, 1.2);
    cairo_rectangle(cr, round(a->x0) + 0.5, round(a->y0) + 0.5, round(a->w), round(a->h));
    cairo_stroke(cr);
    if (title)
        rcc_draw_text(cr, a->x0 + a->w / 2, a->y0 - 10, title, 14, true, 0.5, 1, 0);
    if (xlabel)
        rcc_draw_text(cr, a->x0 + a->w / 2, a->y0 + a->h + 30, xlabel, 12, false, 0.5, 0, 0);
    if (ylabel)
        rcc_draw_text(cr, a->x0 - 52, a->y0 + a->h / 2, ylabel, 12, false, 0.5, 1, -M_PI / 2);
    cairo_restore(cr);
}

void rcc_axes_line(cairo_t *cr, const rcc_axes *a, const double *xs, const double *ys, int n, rcc_rgb col,
                   double width, double marker, const double *dash, int ndash)
{
    cairo_save(cr);
    cairo_rectangle(cr, a->x0, a->y0, a->w, a->h);
    cairo_clip(cr);
    rcc_draw_set_rgb(cr, col, 1);
    cairo_set_line_width(cr, width);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_dash(cr, dash, ndash, 0);
    bool pen = false;
    for (int i = 0; i < n; i++) {
        if (!isfinite(ys[i]) || !isfinite(xs[i])) {
            pen = false;
            continue;
        }
        if (pen)
            cairo_line_to(cr, rcc_axes_x(a, xs[i]), rcc_axes_y(a, ys[i]));
        else
            cairo_move_to(cr, rcc_axes_x(a, xs[i]), rcc_axes_y(a, ys[i]));
        pen = true;
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    if (marker > 0)
        for (int i = 0; i < n; i++)
            if (isfinite(ys[i]) && isfinite(xs[i])) {
                cairo_new_sub_path(cr);
                cairo_arc(cr, rcc_axes_x(a, xs[i]), rcc_axes_y(a, ys[i]), marker, 0, 2 * M_PI);
            }
    cairo_fill(cr);
    cairo_restore(cr);
}

void rcc_axes_vline(cairo_t *cr, const rcc_axes *a, double x, rcc_rgb col, const char *label, bool label_left)
{
    static const double dash[] = {6, 4};
    double px = rcc_axes_x(a, x);
    cairo_save(cr);
    rcc_draw_set_rgb(cr, col, 0.9);
    cairo_set_line_width(cr, 1.6);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_move_to(cr, px, a->y0);
    cairo_line_to(cr, px, a->y0 + a->h);
    cairo_stroke(cr);
    cairo_restore(cr);
    if (label) {
        rcc_draw_set_rgb(cr, col, 1);
        rcc_draw_text(cr, px + (label_left ? -4 : 4), a->y0 + 6, label, 11, true, label_left ? 1 : 0, 0, 0);
    }
}

void rcc_axes_point(cairo_t *cr, const rcc_axes *a, double x, double y, rcc_rgb col, double r)
{
    if (!isfinite(y))
        return;
    cairo_save(cr);
    cairo_new_path(cr);
    cairo_arc(cr, rcc_axes_x(a, x), rcc_axes_y(a, y), r, 0, 2 * M_PI);
    rcc_draw_set_rgb(cr, col, 1);
    cairo_set_line_width(cr, 2.2);
    cairo_stroke(cr);
    cairo_restore(cr);
}

void rcc_axes_range(const double *y, int n, double *lo, double *hi)
{
    *lo = INFINITY, *hi = -INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(y[i])) {
            *lo = y[i] < *lo ? y[i] : *lo;
            *hi = y[i] > *hi ? y[i] : *hi;
        }
}
