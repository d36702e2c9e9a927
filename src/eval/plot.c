/* plot.c — PNG pictures with cairo: the features on the unit sphere from several viewpoints, the
 * k-selection curves, training curves from a metrics file, and a confusion matrix. A small set of
 * helpers (text, axes with ticks, lines) is shared by the charts. */
#include "rcc_plot.h"

#include <cairo.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rng.h"
#include "util.h"

#define FONT "DejaVu Sans"
#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

typedef struct {
    double r, g, b;
} rgb;

/* Matplotlib's tab10, then golden-angle hues for more classes. */
static rgb color_of(int i)
{
    static const rgb tab10[10] = {
        {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
        {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
        {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812},
    };
    if (i >= 0 && i < 10)
        return tab10[i];
    double h = fmod((double)i * 137.50776, 360.0) / 60.0, s = 0.65, v = (i / 10) % 2 ? 0.70 : 0.90;
    double c = v * s, x = c * (1 - fabs(fmod(h, 2.0) - 1)), m = v - c;
    rgb o;
    int hi = (int)h;
    o.r = (hi == 0 || hi == 5) ? c : (hi == 1 || hi == 4) ? x : 0;
    o.g = (hi == 1 || hi == 2) ? c : (hi == 0 || hi == 3) ? x : 0;
    o.b = (hi == 3 || hi == 4) ? c : (hi == 2 || hi == 5) ? x : 0;
    o.r += m, o.g += m, o.b += m;
    return o;
}

static const rgb BLACK = {0.1, 0.1, 0.1}, GRAY = {0.45, 0.45, 0.45}, RED = {0.80, 0.10, 0.12},
                 ORANGE = {0.95, 0.50, 0.05}, BLUE = {0.12, 0.47, 0.71};

static void set_rgb(cairo_t *cr, rgb c, double alpha) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

/* Text anchored at (x, y): ha 0 left / 0.5 centre / 1 right, va 0 top / 0.5 middle / 1 baseline. */
static double text(cairo_t *cr, double x, double y, const char *s, double size, bool bold, double ha, double va,
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

static double text_width(cairo_t *cr, const char *s, double size, bool bold)
{
    cairo_save(cr);
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_restore(cr);
    return e.x_advance;
}

typedef struct {
    cairo_surface_t *s;
    cairo_t *cr;
} canvas;

static rcc_status canvas_open(canvas *c, int w, int h)
{
    c->s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    if (cairo_surface_status(c->s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(c->s);
        c->s = NULL;
        return rcc_fail(RCC_ERR_NOMEM, "plot: cannot create a %d x %d image", w, h);
    }
    c->cr = cairo_create(c->s);
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    set_rgb(c->cr, BLACK, 1);
    return RCC_OK;
}

static rcc_status canvas_save(canvas *c, const char *path)
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

/* ---------------------------------------------------------------- axes */

typedef struct {
    double x0, y0, w, h; /* plot area, pixels, top-left */
    double xmin, xmax, ymin, ymax;
} axes;

static double ax_x(const axes *a, double v) { return a->x0 + (v - a->xmin) / (a->xmax - a->xmin) * a->w; }
static double ax_y(const axes *a, double v) { return a->y0 + a->h - (v - a->ymin) / (a->ymax - a->ymin) * a->h; }

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

/* Widens [lo, hi] a little and to tick multiples; handles a flat range. */
static void pad_range(double *lo, double *hi, bool to_zero)
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

static void axes_draw(cairo_t *cr, const axes *a, const char *title, const char *xlabel, const char *ylabel,
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
        double y = round(ax_y(a, v)) + 0.5;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, a->x0, y);
        cairo_line_to(cr, a->x0 + a->w, y);
        cairo_stroke(cr);
        set_rgb(cr, BLACK, 1);
        cairo_move_to(cr, a->x0 - 5, y);
        cairo_line_to(cr, a->x0, y);
        cairo_stroke(cr);
        fmt_tick(buf, sizeof buf, v, ys);
        text(cr, a->x0 - 8, y, buf, 11, false, 1, 0.5, 0);
    }
    /* x grid and ticks */
    double xs = nice_step(a->xmin, a->xmax, 6);
    if (integer_x && xs < 1)
        xs = 1;
    for (double v = ceil(a->xmin / xs) * xs; v <= a->xmax + 1e-9 * xs; v += xs) {
        double x = round(ax_x(a, v)) + 0.5;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, x, a->y0);
        cairo_line_to(cr, x, a->y0 + a->h);
        cairo_stroke(cr);
        set_rgb(cr, BLACK, 1);
        cairo_move_to(cr, x, a->y0 + a->h);
        cairo_line_to(cr, x, a->y0 + a->h + 5);
        cairo_stroke(cr);
        fmt_tick(buf, sizeof buf, v, xs);
        text(cr, x, a->y0 + a->h + 8, buf, 11, false, 0.5, 0, 0);
    }
    set_rgb(cr, BLACK, 1);
    cairo_set_line_width(cr, 1.2);
    cairo_rectangle(cr, round(a->x0) + 0.5, round(a->y0) + 0.5, round(a->w), round(a->h));
    cairo_stroke(cr);
    if (title)
        text(cr, a->x0 + a->w / 2, a->y0 - 10, title, 14, true, 0.5, 1, 0);
    if (xlabel)
        text(cr, a->x0 + a->w / 2, a->y0 + a->h + 30, xlabel, 12, false, 0.5, 0, 0);
    if (ylabel)
        text(cr, a->x0 - 52, a->y0 + a->h / 2, ylabel, 12, false, 0.5, 1, -M_PI / 2);
    cairo_restore(cr);
}

/* A polyline through the finite points (gaps at NaN), optional round markers. */
static void axes_line(cairo_t *cr, const axes *a, const double *xs, const double *ys, int n, rgb col, double width,
                      double marker, const double *dash, int ndash)
{
    cairo_save(cr);
    cairo_rectangle(cr, a->x0, a->y0, a->w, a->h);
    cairo_clip(cr);
    set_rgb(cr, col, 1);
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
            cairo_line_to(cr, ax_x(a, xs[i]), ax_y(a, ys[i]));
        else
            cairo_move_to(cr, ax_x(a, xs[i]), ax_y(a, ys[i]));
        pen = true;
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    if (marker > 0)
        for (int i = 0; i < n; i++)
            if (isfinite(ys[i]) && isfinite(xs[i])) {
                cairo_new_sub_path(cr);
                cairo_arc(cr, ax_x(a, xs[i]), ax_y(a, ys[i]), marker, 0, 2 * M_PI);
            }
    cairo_fill(cr);
    cairo_restore(cr);
}

static void axes_vline(cairo_t *cr, const axes *a, double x, rgb col, const char *label, bool label_left)
{
    static const double dash[] = {6, 4};
    double px = ax_x(a, x);
    cairo_save(cr);
    set_rgb(cr, col, 0.9);
    cairo_set_line_width(cr, 1.6);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_move_to(cr, px, a->y0);
    cairo_line_to(cr, px, a->y0 + a->h);
    cairo_stroke(cr);
    cairo_restore(cr);
    if (label) {
        set_rgb(cr, col, 1);
        text(cr, px + (label_left ? -4 : 4), a->y0 + 6, label, 11, true, label_left ? 1 : 0, 0, 0);
    }
}

static void axes_point(cairo_t *cr, const axes *a, double x, double y, rgb col, double r)
{
    if (!isfinite(y))
        return;
    cairo_save(cr);
    cairo_new_path(cr);
    cairo_arc(cr, ax_x(a, x), ax_y(a, y), r, 0, 2 * M_PI);
    set_rgb(cr, col, 1);
    cairo_set_line_width(cr, 2.2);
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void range_of(const double *y, int n, double *lo, double *hi)
{
    *lo = INFINITY, *hi = -INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(y[i])) {
            *lo = y[i] < *lo ? y[i] : *lo;
            *hi = y[i] > *hi ? y[i] : *hi;
        }
}

/* ---------------------------------------------------------------- the sphere */

void rcc_sphere_plot_opts_default(rcc_sphere_plot_opts *o)
{
    memset(o, 0, sizeof *o);
    o->views = 3;
    o->panel = 420;
    o->point_size = 0;
    o->hide_back = false;
    o->max_points = 30000;
    o->seed = 0;
    o->title = NULL;
    o->legend_name = "label";
}

typedef struct {
    double r[3], u[3], v[3]; /* screen right, screen up, towards the viewer */
    const char *name;
} view;

static view make_view(double az_deg, double el_deg, const char *name)
{
    double az = az_deg * M_PI / 180, el = el_deg * M_PI / 180;
    view w = {{-sin(az), cos(az), 0},
              {-sin(el) * cos(az), -sin(el) * sin(az), cos(el)},
              {cos(el) * cos(az), cos(el) * sin(az), sin(el)},
              name};
    return w;
}

typedef struct {
    float sx, sy, depth;
    int label;
} proj_pt;

static int cmp_depth(const void *a, const void *b)
{
    float x = ((const proj_pt *)a)->depth, y = ((const proj_pt *)b)->depth;
    return (x > y) - (x < y);
}

/* Parallels and meridians every 30°, the part facing the viewer (front) or away (back). */
static void sphere_grid(cairo_t *cr, const view *w, double cx, double cy, double rad, bool front)
{
    const int steps = 180;
    cairo_save(cr);
    cairo_set_line_width(cr, front ? 0.9 : 0.7);
    if (front)
        cairo_set_source_rgba(cr, 0.35, 0.35, 0.40, 0.35);
    else
        cairo_set_source_rgba(cr, 0.35, 0.35, 0.40, 0.13);
    for (int pass = 0; pass < 2; pass++) {
        int nlines = pass == 0 ? 5 : 12; /* parallels at −60..60; meridians every 30° */
        for (int l = 0; l < nlines; l++) {
            bool pen = false;
            for (int s = 0; s <= steps; s++) {
                double p[3];
                if (pass == 0) {
                    double lat = (-60 + 30 * l) * M_PI / 180, lon = 2 * M_PI * s / steps;
                    p[0] = cos(lat) * cos(lon), p[1] = cos(lat) * sin(lon), p[2] = sin(lat);
                } else {
                    double lon = l * M_PI / 6, lat = -M_PI / 2 + M_PI * s / steps;
                    p[0] = cos(lat) * cos(lon), p[1] = cos(lat) * sin(lon), p[2] = sin(lat);
                }
                double sx = p[0] * w->r[0] + p[1] * w->r[1] + p[2] * w->r[2];
                double sy = p[0] * w->u[0] + p[1] * w->u[1] + p[2] * w->u[2];
                double dz = p[0] * w->v[0] + p[1] * w->v[1] + p[2] * w->v[2];
                if ((dz >= 0) != front) {
                    pen = false;
                    continue;
                }
                double X = cx + rad * sx, Y = cy - rad * sy;
                if (pen)
                    cairo_line_to(cr, X, Y);
                else
                    cairo_move_to(cr, X, Y);
                pen = true;
            }
            cairo_stroke(cr);
        }
    }
    cairo_restore(cr);
}

/* Small x/y/z axis triad in a panel corner, so the viewpoints can be related. */
static void axis_triad(cairo_t *cr, const view *w, double ox, double oy)
{
    static const char *names[3] = {"x", "y", "z"};
    for (int a = 0; a < 3; a++) {
        double e[3] = {a == 0, a == 1, a == 2};
        double sx = e[0] * w->r[0] + e[1] * w->r[1] + e[2] * w->r[2];
        double sy = e[0] * w->u[0] + e[1] * w->u[1] + e[2] * w->u[2];
        double dz = e[0] * w->v[0] + e[1] * w->v[1] + e[2] * w->v[2];
        cairo_set_source_rgba(cr, 0.3, 0.3, 0.3, dz >= -1e-9 ? 0.9 : 0.45);
        cairo_set_line_width(cr, 1.2);
        cairo_move_to(cr, ox, oy);
        cairo_line_to(cr, ox + 18 * sx, oy - 18 * sy);
        cairo_stroke(cr);
        if (hypot(sx, sy) > 0.2)
            text(cr, ox + 25 * sx, oy - 25 * sy, names[a], 10, false, 0.5, 0.5, 0);
    }
}

rcc_status rcc_plot_sphere(const char *path, const float *h, size_t n, int d, const int *labels,
                           const rcc_sphere_plot_opts *opts)
{
    rcc_sphere_plot_opts o;
    if (opts)
        o = *opts;
    else
        rcc_sphere_plot_opts_default(&o);
    if (d != 3)
        return rcc_fail(RCC_ERR_ARG, "sphere plot: features must be 3-dimensional (got %d)", d);
    if (n == 0)
        return rcc_fail(RCC_ERR_ARG, "sphere plot: no points");
    if (o.views < 1 || o.views > 8 || o.panel < 120 || o.panel > 2000)
        return rcc_fail(RCC_ERR_ARG, "sphere plot: need 1..8 views and a panel of 120..2000 pixels");
    int nl = labels ? rcc_label_range(labels, n) : 1;
    if (nl < 0)
        return rcc_fail(RCC_ERR_ARG, "sphere plot: negative label");
    if (nl > 1000)
        return rcc_fail(RCC_ERR_ARG, "sphere plot: %d labels are too many to colour (at most 1000)", nl);
    /* seeded subsample */
    size_t m = o.max_points > 0 && n > (size_t)o.max_points ? (size_t)o.max_points : n;
    size_t *idx = malloc(n * sizeof *idx);
    proj_pt *pts = malloc(m * sizeof *pts);
    int64_t *cnt = calloc((size_t)nl, sizeof *cnt);
    if (!idx || !pts || !cnt) {
        free(idx), free(pts), free(cnt);
        return rcc_fail(RCC_ERR_NOMEM, "sphere plot: %zu points", n);
    }
    for (size_t i = 0; i < n; i++)
        cnt[labels ? labels[i] : 0]++;
    rcc_rng_sample_prefix(idx, n, m, o.seed, 0x5F3);
    /* layout: views side by side, legend column on the right */
    int present = 0;
    for (int c = 0; c < nl; c++)
        present += cnt[c] > 0;
    int P = o.panel, top = 58, bottom = 30, rows_per_col = (P - 10) / 18 - 1;
    /* at most three legend columns; the rest is summarised in the last line */
    int shown = present <= 3 * rows_per_col ? present : 3 * rows_per_col - 1;
    int legend_cols = labels ? (shown + (shown < present) + rows_per_col - 1) / rows_per_col : 0;
    int legend_w = labels ? 24 + 150 * legend_cols : 0;
    int W = o.views * P + legend_w, H = top + P + bottom;
    canvas cv = {0};
    rcc_status st = canvas_open(&cv, W, H);
    if (st != RCC_OK) {
        free(idx), free(pts), free(cnt);
        return st;
    }
    cairo_t *cr = cv.cr;
    char buf[160];
    text(cr, W / 2.0, 22, o.title ? o.title : "Features h on the unit sphere", 17, true, 0.5, 0.5, 0);
    snprintf(buf, sizeof buf, "%zu points, orthographic views; back hemisphere %s", n,
             o.hide_back ? "hidden" : "faded");
    if (m < n)
        snprintf(buf, sizeof buf, "%zu points (%zu drawn, seeded subsample); back hemisphere %s", n, m,
                 o.hide_back ? "hidden" : "faded");
    set_rgb(cr, GRAY, 1);
    text(cr, W / 2.0, 42, buf, 11.5, false, 0.5, 0.5, 0);
    double pr = o.point_size > 0 ? o.point_size : m <= 1000 ? 2.6 : m <= 5000 ? 1.9 : m <= 20000 ? 1.4 : 1.1;
    double alpha = m <= 2000 ? 0.85 : m <= 10000 ? 0.65 : 0.5;
    view views[8];
    if (o.views == 3) {
        views[0] = make_view(30, 20, "front (azimuth 30°, elevation 20°)");
        views[1] = make_view(210, 20, "back (azimuth 210°, elevation 20°)");
        views[2] = make_view(30, 90, "top (elevation 90°)");
    } else {
        static char names[8][48];
        for (int v = 0; v < o.views; v++) {
            double az = 30 + 360.0 * v / o.views;
            snprintf(names[v], sizeof names[v], "azimuth %.0f°, elevation 20°", fmod(az, 360));
            views[v] = make_view(az, 20, names[v]);
        }
    }
    for (int v = 0; v < o.views; v++) {
        const view *w = &views[v];
        double cx = v * P + P / 2.0, cy = top + P / 2.0, rad = P / 2.0 - 22;
        /* the ball: a soft radial shade */
        cairo_pattern_t *pat = cairo_pattern_create_radial(cx - 0.35 * rad, cy - 0.35 * rad, 0.1 * rad, cx, cy, rad);
        cairo_pattern_add_color_stop_rgb(pat, 0, 0.995, 0.995, 1.0);
        cairo_pattern_add_color_stop_rgb(pat, 1, 0.90, 0.91, 0.94);
        cairo_new_path(cr);
        cairo_arc(cr, cx, cy, rad, 0, 2 * M_PI);
        cairo_set_source(cr, pat);
        cairo_fill(cr);
        cairo_pattern_destroy(pat);
        sphere_grid(cr, w, cx, cy, rad, false);
        for (size_t q = 0; q < m; q++) {
            const float *p = h + idx[q] * 3;
            double nr = sqrt((double)p[0] * p[0] + (double)p[1] * p[1] + (double)p[2] * p[2]);
            nr = nr > 0 ? 1 / nr : 0;
            double x0 = p[0] * nr, x1 = p[1] * nr, x2 = p[2] * nr;
            pts[q].sx = (float)(x0 * w->r[0] + x1 * w->r[1] + x2 * w->r[2]);
            pts[q].sy = (float)(x0 * w->u[0] + x1 * w->u[1] + x2 * w->u[2]);
            pts[q].depth = (float)(x0 * w->v[0] + x1 * w->v[1] + x2 * w->v[2]);
            pts[q].label = labels ? labels[idx[q]] : 0;
        }
        qsort(pts, m, sizeof *pts, cmp_depth);
        size_t q = 0;
        for (; q < m && pts[q].depth < 0; q++) {
            if (o.hide_back)
                continue;
            set_rgb(cr, color_of(pts[q].label), 0.16);
            cairo_new_path(cr);
            cairo_arc(cr, cx + rad * pts[q].sx, cy - rad * pts[q].sy, pr * 0.85, 0, 2 * M_PI);
            cairo_fill(cr);
        }
        /* a veil between the hemispheres makes the front read as in front */
        cairo_new_path(cr);
        cairo_arc(cr, cx, cy, rad, 0, 2 * M_PI);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.35);
        cairo_fill(cr);
        sphere_grid(cr, w, cx, cy, rad, true);
        for (; q < m; q++) {
            set_rgb(cr, color_of(pts[q].label), alpha);
            cairo_new_path(cr);
            cairo_arc(cr, cx + rad * pts[q].sx, cy - rad * pts[q].sy, pr, 0, 2 * M_PI);
            cairo_fill(cr);
        }
        cairo_new_path(cr);
        cairo_arc(cr, cx, cy, rad, 0, 2 * M_PI);
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.30);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
        axis_triad(cr, w, v * P + 30, top + P - 10);
        set_rgb(cr, BLACK, 1);
        text(cr, cx, top + P + 8, w->name, 12, false, 0.5, 0, 0);
    }
    if (labels) {
        double lx = o.views * P + 16, ly = top + 6;
        set_rgb(cr, BLACK, 1);
        text(cr, lx, ly, o.legend_name ? o.legend_name : "label", 13, true, 0, 0, 0);
        int row = 0, col = 0, drawn = 0;
        for (int c = 0; c < nl; c++) {
            if (!cnt[c])
                continue;
            double x = lx + 150 * col, y = ly + 26 + 18 * row;
            if (drawn == shown) {
                set_rgb(cr, GRAY, 1);
                snprintf(buf, sizeof buf, "+ %d more", present - shown);
                text(cr, x + 17, y, buf, 11.5, false, 0, 0.5, 0);
                break;
            }
            drawn++;
            set_rgb(cr, color_of(c), 1);
            cairo_new_path(cr);
            cairo_arc(cr, x + 6, y, 5.5, 0, 2 * M_PI);
            cairo_fill(cr);
            set_rgb(cr, BLACK, 1);
            snprintf(buf, sizeof buf, "%d  (%lld)", c, (long long)cnt[c]);
            text(cr, x + 17, y, buf, 11.5, false, 0, 0.5, 0);
            if (++row >= rows_per_col)
                row = 0, col++;
        }
    }
    free(idx), free(pts), free(cnt);
    return canvas_save(&cv, path);
}

/* ---------------------------------------------------------------- k selection */

/* Room above the highest point for a label. */
static void headroom(axes *a, double frac) { a->ymax += frac * (a->ymax - a->ymin); }

rcc_status rcc_plot_kselect(const char *path, const rcc_kselect_result *r, const char *title)
{
    if (!r || r->kmax < 1 || !r->wcss)
        return rcc_fail(RCC_ERR_ARG, "kselect plot: empty result");
    int K = r->kmax, PW = 420, PH = 330, top = 124, left = 80, gap = 96;
    int W = left + 3 * PW + 2 * gap + 30, H = top + PH + 64;
    canvas cv = {0};
    RCC_TRY(canvas_open(&cv, W, H));
    cairo_t *cr = cv.cr;
    double *ks = malloc(((size_t)K + 1) * sizeof *ks);
    if (!ks) {
        cairo_destroy(cv.cr);
        cairo_surface_destroy(cv.s);
        return rcc_fail(RCC_ERR_NOMEM, "kselect plot");
    }
    for (int k = 0; k <= K; k++)
        ks[k] = k;
    char buf[320];
    snprintf(buf, sizeof buf, "%s: chosen k = %d", title ? title : "Choosing k", r->chosen);
    set_rgb(cr, BLACK, 1);
    text(cr, W / 2.0, 22, buf, 18, true, 0.5, 0.5, 0);
    set_rgb(cr, GRAY, 1);
    text(cr, W / 2.0, 46, r->rule, 12, false, 0.5, 0.5, 0);
    snprintf(buf, sizeof buf, "%s k-means, best of the restarts for each k; %s silhouette",
             r->metric == RCC_KMEANS_SPHERICAL ? "spherical" : "Euclidean",
             r->silhouette_dist == RCC_DIST_COSINE ? "cosine" : "Euclidean");
    text(cr, W / 2.0, 64, buf, 11, false, 0.5, 0.5, 0);
    /* a legend for the marks used in every panel */
    {
        static const double dash[] = {6, 4};
        double lx = W / 2.0 - 300, ly = 88;
        set_rgb(cr, BLUE, 1);
        cairo_set_line_width(cr, 2);
        cairo_move_to(cr, lx, ly);
        cairo_line_to(cr, lx + 26, ly);
        cairo_stroke(cr);
        set_rgb(cr, BLACK, 1);
        lx += 32 + text(cr, lx + 32, ly, "criterion against k", 11.5, false, 0, 0.5, 0) + 30;
        set_rgb(cr, ORANGE, 1);
        cairo_set_line_width(cr, 2.2);
        cairo_new_path(cr);
        cairo_arc(cr, lx + 7, ly, 6, 0, 2 * M_PI);
        cairo_stroke(cr);
        set_rgb(cr, BLACK, 1);
        lx += 20 + text(cr, lx + 20, ly, "each criterion's own pick", 11.5, false, 0, 0.5, 0) + 30;
        set_rgb(cr, RED, 0.9);
        cairo_set_line_width(cr, 1.6);
        cairo_set_dash(cr, dash, 2, 0);
        cairo_move_to(cr, lx + 4, ly - 8);
        cairo_line_to(cr, lx + 4, ly + 8);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        snprintf(buf, sizeof buf, "chosen k = %d", r->chosen);
        set_rgb(cr, RED, 1);
        text(cr, lx + 14, ly, buf, 11.5, true, 0, 0.5, 0);
    }
    const double xlo = 0.5, xhi = K + 0.5;
    /* WCSS with the kneedle chord */
    axes a = {left, top, PW, PH, xlo, xhi, 0, 1};
    range_of(r->wcss + 1, K, &a.ymin, &a.ymax);
    pad_range(&a.ymin, &a.ymax, true);
    axes_draw(cr, &a, r->metric == RCC_KMEANS_SPHERICAL ? "Objective  \u03a3(1 \u2212 cos)" : "WCSS",
              "k        (dashed: the kneedle chord)", "within-cluster sum", true);
    static const double dash[] = {5, 4};
    double cx[2] = {1, K}, cyv[2] = {r->wcss[1], r->wcss[K]};
    axes_line(cr, &a, cx, cyv, 2, GRAY, 1, 0, dash, 2);
    axes_vline(cr, &a, r->chosen, RED, NULL, false);
    axes_line(cr, &a, ks + 1, r->wcss + 1, K, BLUE, 2, 3, NULL, 0);
    axes_point(cr, &a, r->elbow, r->wcss[r->elbow], ORANGE, 7);
    snprintf(buf, sizeof buf, "kneedle elbow k=%d", r->elbow);
    set_rgb(cr, ORANGE, 1);
    text(cr, ax_x(&a, r->elbow) + 10, ax_y(&a, r->wcss[r->elbow]) - 12, buf, 11.5, true, 0, 1, 0);
    /* silhouette, with Kaufman & Rousseeuw's "weak structure" zone below 0.5 shaded */
    axes b = {left + PW + gap, top, PW, PH, xlo, xhi, 0, 1};
    range_of(r->silhouette + 1, K, &b.ymin, &b.ymax);
    pad_range(&b.ymin, &b.ymax, false);
    headroom(&b, 0.12);
    axes_draw(cr, &b, "Silhouette", "k", "mean silhouette", true);
    if (b.ymin < 0.5) {
        double y0 = ax_y(&b, fmin(0.5, b.ymax)), y1 = b.y0 + b.h;
        cairo_save(cr);
        cairo_rectangle(cr, b.x0, y0, b.w, y1 - y0);
        cairo_set_source_rgba(cr, 0.85, 0.2, 0.2, 0.07);
        cairo_fill(cr);
        cairo_restore(cr);
        cairo_set_source_rgba(cr, 0.6, 0.1, 0.1, 0.8);
        text(cr, b.x0 + b.w - 6, y1 - 8, "below 0.5: weak structure", 10, false, 1, 1, 0);
    }
    axes_vline(cr, &b, r->chosen, RED, NULL, false);
    axes_line(cr, &b, ks + 1, r->silhouette + 1, K, BLUE, 2, 3, NULL, 0);
    if (r->best_silhouette) {
        double sb = r->silhouette[r->best_silhouette];
        axes_point(cr, &b, r->best_silhouette, sb, ORANGE, 7);
        snprintf(buf, sizeof buf, "max k=%d (%.3f)", r->best_silhouette, sb);
        set_rgb(cr, ORANGE, 1);
        bool right = r->best_silhouette < K * 0.65;
        text(cr, ax_x(&b, r->best_silhouette) + (right ? 10 : -10), ax_y(&b, sb) - 10, buf, 11.5, true,
             right ? 0 : 1, 1, 0);
    }
    /* Calinski–Harabasz */
    axes c = {left + 2 * (PW + gap), top, PW, PH, xlo, xhi, 0, 1};
    range_of(r->ch + 1, K, &c.ymin, &c.ymax);
    pad_range(&c.ymin, &c.ymax, true);
    headroom(&c, 0.12);
    axes_draw(cr, &c, "Calinski\u2013Harabasz", "k", "between / within dispersion", true);
    axes_vline(cr, &c, r->chosen, RED, NULL, false);
    axes_line(cr, &c, ks + 1, r->ch + 1, K, BLUE, 2, 3, NULL, 0);
    if (r->best_ch) {
        axes_point(cr, &c, r->best_ch, r->ch[r->best_ch], ORANGE, 7);
        snprintf(buf, sizeof buf, "max k=%d", r->best_ch);
        set_rgb(cr, ORANGE, 1);
        bool right = r->best_ch < K * 0.65;
        text(cr, ax_x(&c, r->best_ch) + (right ? 10 : -10), ax_y(&c, r->ch[r->best_ch]) - 10, buf, 11.5, true,
             right ? 0 : 1, 1, 0);
    }
    free(ks);
    return canvas_save(&cv, path);
}

/* ---------------------------------------------------------------- training curves */

enum { T_INS, T_CLU, T_ENT, T_UNIF, T_TOTAL, NTERMS };
static const char *term_key[NTERMS] = {"ins", "clu_nce", "entropy", "unif", "total"};
static const char *term_title[NTERMS] = {"Instance NT-Xent (L_ins)", "Cluster NT-Xent", "Entropy H^a + H^b",
                                         "Uniformity (L_u)", "Total loss"};

typedef struct {
    double x;
    double v[NTERMS];
    int cnt[NTERMS];
} curve_row;

typedef struct {
    double x, acc, nmi, ari;
} eval_row;

static int cmp_row(const void *a, const void *b)
{
    double x = ((const curve_row *)a)->x, y = ((const curve_row *)b)->x;
    return (x > y) - (x < y);
}
static int cmp_eval(const void *a, const void *b)
{
    double x = ((const eval_row *)a)->x, y = ((const eval_row *)b)->x;
    return (x > y) - (x < y);
}

static double jnum(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

/* Adds (or averages into) the row with abscissa x. */
static curve_row *row_for(curve_row **rows, int *n, int *cap, double x)
{
    for (int i = *n - 1; i >= 0; i--)
        if ((*rows)[i].x == x)
            return &(*rows)[i];
    if (*n == *cap) {
        int nc = *cap ? 2 * *cap : 64;
        curve_row *nr = realloc(*rows, (size_t)nc * sizeof *nr);
        if (!nr)
            return NULL;
        *rows = nr, *cap = nc;
    }
    curve_row *r = &(*rows)[(*n)++];
    memset(r, 0, sizeof *r);
    r->x = x;
    return r;
}

rcc_status rcc_plot_curves(const char *path, const char *metrics_jsonl, const char *title)
{
    FILE *f = fopen(metrics_jsonl, "r");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", metrics_jsonl, strerror(errno));
    curve_row *ep = NULL, *stp = NULL, *stepwise = NULL;
    eval_row *ev = NULL;
    int nep = 0, cep = 0, nst = 0, cst = 0, nsw = 0, csw = 0, nev = 0, cev = 0, lineno = 0, bad = 0;
    char *line = NULL;
    size_t lcap = 0;
    rcc_status st = RCC_OK;
    while (st == RCC_OK && getline(&line, &lcap, f) > 0) {
        lineno++;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '\n' || *p == '\r')
            continue;
        cJSON *o = cJSON_Parse(p);
        if (!o || !cJSON_IsObject(o)) {
            cJSON_Delete(o);
            if (++bad > 3 && bad * 2 > lineno)
                st = rcc_fail(RCC_ERR_FORMAT, "%s: line %d is not a JSON object", metrics_jsonl, lineno);
            continue;
        }
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
        const char *k = cJSON_IsString(kind) ? kind->valuestring : NULL;
        double epoch = jnum(o, "epoch"), step = jnum(o, "step");
        double acc = jnum(o, "acc"), nmi = jnum(o, "nmi"), ari = jnum(o, "ari");
        if ((k && strcmp(k, "eval") == 0) || isfinite(acc) || isfinite(nmi)) {
            if (isfinite(epoch)) {
                if (nev == cev) {
                    cev = cev ? 2 * cev : 64;
                    eval_row *nr = realloc(ev, (size_t)cev * sizeof *nr);
                    if (!nr) {
                        st = rcc_fail(RCC_ERR_NOMEM, "curves");
                        cJSON_Delete(o);
                        break;
                    }
                    ev = nr;
                }
                ev[nev++] = (eval_row){epoch, acc, nmi, ari};
            }
        }
        if (!k || strcmp(k, "eval") != 0) {
            bool is_epoch = k && strcmp(k, "epoch") == 0;
            curve_row *r = NULL, *rs = NULL;
            if (isfinite(epoch))
                r = is_epoch ? row_for(&ep, &nep, &cep, epoch) : row_for(&stp, &nst, &cst, epoch);
            if (!is_epoch && isfinite(step))
                rs = row_for(&stepwise, &nsw, &csw, step);
            for (int t = 0; t < NTERMS; t++) {
                double v = jnum(o, term_key[t]);
                if (!isfinite(v))
                    continue;
                if (r)
                    r->v[t] += v, r->cnt[t]++;
                if (rs)
                    rs->v[t] += v, rs->cnt[t]++;
            }
        }
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    /* per-epoch lines win; otherwise the mean of the step lines of each epoch; with a single epoch
     * of step lines, the steps themselves */
    curve_row *rows = nep ? ep : nst > 1 || nsw == 0 ? stp : stepwise;
    int nrows = nep ? nep : nst > 1 || nsw == 0 ? nst : nsw;
    const char *xname = nep || nst > 1 || nsw == 0 ? "epoch" : "step";
    if (st == RCC_OK && nrows == 0 && nev == 0)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: no loss or evaluation lines (need \"epoch\" and loss keys)", metrics_jsonl);
    if (st != RCC_OK) {
        free(ep), free(stp), free(stepwise), free(ev);
        return st;
    }
    if (nrows > 1)
        qsort(rows, (size_t)nrows, sizeof *rows, cmp_row);
    if (nev > 1)
        qsort(ev, (size_t)nev, sizeof *ev, cmp_eval);
    bool have[NTERMS] = {false};
    int npanels = 0;
    for (int t = 0; t < NTERMS; t++) {
        for (int i = 0; i < nrows; i++)
            if (rows[i].cnt[t])
                have[t] = true;
        npanels += have[t];
    }
    bool have_eval = nev > 0;
    npanels += have_eval;
    int cols = npanels <= 3 ? npanels : 3, prow = (npanels + cols - 1) / cols;
    int PW = 380, PH = 250, left = 78, gapx = 90, gapy = 90, top = 70;
    int W = left + cols * PW + (cols - 1) * gapx + 30, H = top + 20 + prow * PH + (prow - 1) * gapy + 70;
    canvas cv = {0};
    st = canvas_open(&cv, W, H);
    double *xs = malloc(((size_t)(nrows > nev ? nrows : nev) + 1) * sizeof *xs);
    double *ys = malloc(((size_t)(nrows > nev ? nrows : nev) + 1) * sizeof *ys);
    if (st != RCC_OK || !xs || !ys) {
        if (st == RCC_OK) {
            cairo_destroy(cv.cr);
            cairo_surface_destroy(cv.s);
            st = rcc_fail(RCC_ERR_NOMEM, "curves");
        }
        free(xs), free(ys), free(ep), free(stp), free(stepwise), free(ev);
        return st;
    }
    cairo_t *cr = cv.cr;
    set_rgb(cr, BLACK, 1);
    text(cr, W / 2.0, 24, title ? title : "Training curves", 18, true, 0.5, 0.5, 0);
    char buf[160];
    snprintf(buf, sizeof buf, "%s; %s", metrics_jsonl,
             !nrows ? "evaluation lines only"
             : nep  ? "per-epoch lines"
             : nst > 1 || nsw == 0 ? "mean of the step lines of each epoch"
                                   : "every step");
    set_rgb(cr, GRAY, 1);
    text(cr, W / 2.0, 46, buf, 11, false, 0.5, 0.5, 0);
    int panel = 0;
    double xmin = INFINITY, xmax = -INFINITY;
    for (int i = 0; i < nrows; i++)
        xmin = fmin(xmin, rows[i].x), xmax = fmax(xmax, rows[i].x);
    for (int i = 0; i < nev && !nrows; i++)
        xmin = fmin(xmin, ev[i].x), xmax = fmax(xmax, ev[i].x);
    if (!(xmax > xmin))
        xmin -= 0.5, xmax += 0.5;
    double xpad = 0.03 * (xmax - xmin);
    for (int t = 0; t < NTERMS + 1; t++) {
        if (t < NTERMS && !have[t])
            continue;
        if (t == NTERMS && !have_eval)
            continue;
        int pc = panel % cols, pr = panel / cols;
        panel++;
        axes a = {left + pc * (PW + gapx), top + 20 + pr * (PH + gapy), PW, PH, xmin - xpad, xmax + xpad, 0, 1};
        double marker = nrows <= 60 ? 2.6 : 0;
        if (t < NTERMS) {
            int m = 0;
            for (int i = 0; i < nrows; i++)
                if (rows[i].cnt[t]) {
                    xs[m] = rows[i].x;
                    ys[m++] = rows[i].v[t] / rows[i].cnt[t];
                }
            range_of(ys, m, &a.ymin, &a.ymax);
            pad_range(&a.ymin, &a.ymax, false);
            axes_draw(cr, &a, term_title[t], xname, term_key[t], strcmp(xname, "epoch") == 0 || xmax - xmin > 5);
            axes_line(cr, &a, xs, ys, m, t == T_TOTAL ? BLACK : color_of(t), 2, marker, NULL, 0);
        } else {
            double lo = INFINITY;
            for (int i = 0; i < nev; i++) {
                if (isfinite(ev[i].ari))
                    lo = fmin(lo, ev[i].ari);
                if (isfinite(ev[i].nmi))
                    lo = fmin(lo, ev[i].nmi);
                if (isfinite(ev[i].acc))
                    lo = fmin(lo, ev[i].acc);
            }
            a.ymin = isfinite(lo) && lo < 0 ? lo - 0.05 : 0;
            a.ymax = 1.02;
            axes_draw(cr, &a, "Clustering scores (eval lines)", "epoch", "score", true);
            static const char *nm[3] = {"ACC", "NMI", "ARI"};
            for (int s = 0; s < 3; s++) {
                for (int i = 0; i < nev; i++) {
                    xs[i] = ev[i].x;
                    ys[i] = s == 0 ? ev[i].acc : s == 1 ? ev[i].nmi : ev[i].ari;
                }
                axes_line(cr, &a, xs, ys, nev, color_of(s == 0 ? 3 : s == 1 ? 0 : 2), 2, nev <= 60 ? 3 : 0, NULL, 0);
                double lx = a.x0 + 12 + 62 * s, ly = a.y0 + a.h - 14;
                set_rgb(cr, color_of(s == 0 ? 3 : s == 1 ? 0 : 2), 1);
                cairo_rectangle(cr, lx, ly - 5, 14, 4);
                cairo_fill(cr);
                set_rgb(cr, BLACK, 1);
                text(cr, lx + 18, ly - 3, nm[s], 11, false, 0, 0.5, 0);
            }
            double last = ev[nev - 1].acc;
            if (isfinite(last)) {
                snprintf(buf, sizeof buf, "last ACC %.3f", last);
                set_rgb(cr, BLACK, 1);
                text(cr, a.x0 + a.w - 8, a.y0 + a.h - 10, buf, 11, true, 1, 1, 0);
            }
        }
    }
    free(xs), free(ys), free(ep), free(stp), free(stepwise), free(ev);
    return canvas_save(&cv, path);
}

/* ---------------------------------------------------------------- confusion matrix */

rcc_status rcc_plot_confusion(const char *path, const int64_t *table, int k, int c, const char *title)
{
    if (k < 1 || c < 1 || k > 500 || c > 500)
        return rcc_fail(RCC_ERR_ARG, "confusion plot: table of %d x %d (need 1..500 each)", k, c);
    int *map = malloc((size_t)k * sizeof *map), *order = malloc((size_t)k * sizeof *order);
    int64_t *rowsum = calloc((size_t)c, sizeof *rowsum);
    if (!map || !order || !rowsum) {
        free(map), free(order), free(rowsum);
        return rcc_fail(RCC_ERR_NOMEM, "confusion plot");
    }
    double acc = 0;
    rcc_status st = rcc_cluster_acc(table, k, c, &acc, map);
    if (st != RCC_OK) {
        free(map), free(order), free(rowsum);
        return st;
    }
    /* columns: the cluster matched to class 0, 1, ..., then unmatched clusters */
    int no = 0;
    for (int j = 0; j < c; j++)
        for (int i = 0; i < k; i++)
            if (map[i] == j)
                order[no++] = i;
    for (int i = 0; i < k; i++)
        if (map[i] < 0)
            order[no++] = i;
    int64_t total = 0;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < c; j++) {
            rowsum[j] += table[(size_t)i * c + j];
            total += table[(size_t)i * c + j];
        }
    int maxdim = k > c ? k : c;
    double cell = maxdim <= 12 ? 46 : fmax(8, 560.0 / maxdim);
    int left = 90, top = 108, cbw = 110;
    int W = (int)(left + cell * k + 40 + cbw), H = (int)(top + cell * c + 40);
    if (W < 520)
        W = 520;
    canvas cv = {0};
    st = canvas_open(&cv, W, H);
    if (st != RCC_OK) {
        free(map), free(order), free(rowsum);
        return st;
    }
    cairo_t *cr = cv.cr;
    char buf[160];
    snprintf(buf, sizeof buf, "%s", title ? title : "Confusion matrix");
    set_rgb(cr, BLACK, 1);
    text(cr, W / 2.0, 22, buf, 17, true, 0.5, 0.5, 0);
    snprintf(buf, sizeof buf, "ACC %.4f (Hungarian match), N = %lld; colour = fraction of the class", acc,
             (long long)total);
    set_rgb(cr, GRAY, 1);
    text(cr, W / 2.0, 44, buf, 11.5, false, 0.5, 0.5, 0);
    double fs = fmin(12, cell * 0.3);
    for (int j = 0; j < c; j++)
        for (int q = 0; q < k; q++) {
            int i = order[q];
            int64_t v = table[(size_t)i * c + j];
            double frac = rowsum[j] ? (double)v / (double)rowsum[j] : 0;
            /* white → deep blue */
            double r = 1 - frac * (1 - 0.03), g = 1 - frac * (1 - 0.19), b = 1 - frac * (1 - 0.42);
            double x = left + q * cell, y = top + j * cell;
            cairo_rectangle(cr, x, y, cell, cell);
            cairo_set_source_rgb(cr, r, g, b);
            cairo_fill(cr);
            if (q < c && q == j && map[i] == j) {
                cairo_rectangle(cr, x + 1, y + 1, cell - 2, cell - 2);
                set_rgb(cr, ORANGE, 0.9);
                cairo_set_line_width(cr, 1.5);
                cairo_stroke(cr);
            }
            if (cell >= 26 && v) {
                snprintf(buf, sizeof buf, "%lld", (long long)v);
                if (frac > 0.5)
                    cairo_set_source_rgb(cr, 1, 1, 1);
                else
                    set_rgb(cr, BLACK, 1);
                text(cr, x + cell / 2, y + cell / 2, buf, text_width(cr, buf, fs, false) > cell - 4 ? fs * 0.75 : fs,
                     false, 0.5, 0.5, 0);
            }
        }
    cairo_rectangle(cr, left + 0.5, top + 0.5, cell * k, cell * c);
    set_rgb(cr, BLACK, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    int lstep = cell >= 14 ? 1 : (int)ceil(14 / cell);
    for (int q = 0; q < k; q += lstep) {
        snprintf(buf, sizeof buf, "%d", order[q]);
        text(cr, left + q * cell + cell / 2, top - 6, buf, 11, false, 0.5, 1, 0);
    }
    for (int j = 0; j < c; j += lstep) {
        snprintf(buf, sizeof buf, "%d", j);
        text(cr, left - 8, top + j * cell + cell / 2, buf, 11, false, 1, 0.5, 0);
    }
    text(cr, left + cell * k / 2, top - 26, "cluster (columns ordered by their matched class)", 12, true, 0.5, 1, 0);
    text(cr, left - 40, top + cell * c / 2, "true class", 12, true, 0.5, 1, -M_PI / 2);
    /* colour bar */
    double bx = left + cell * k + 34, by = top, bh = fmin(cell * c, 300);
    for (int s = 0; s < 100; s++) {
        double frac = 1 - s / 99.0;
        cairo_rectangle(cr, bx, by + bh * s / 100.0, 16, bh / 100.0 + 0.6);
        cairo_set_source_rgb(cr, 1 - frac * 0.97, 1 - frac * 0.81, 1 - frac * 0.58);
        cairo_fill(cr);
    }
    cairo_rectangle(cr, bx + 0.5, by + 0.5, 16, bh);
    set_rgb(cr, BLACK, 1);
    cairo_stroke(cr);
    for (int s = 0; s <= 4; s++) {
        snprintf(buf, sizeof buf, "%.2f", 1 - s / 4.0);
        text(cr, bx + 21, by + bh * s / 4.0, buf, 10.5, false, 0, 0.5, 0);
    }
    free(map), free(order), free(rowsum);
    return canvas_save(&cv, path);
}

rcc_status rcc_plot_sphere_cells(const char *path, const int *cnt, const rcc_sphere_stats *s, const char *title)
{
    enum { B = RCC_SPHERE_BANDS, S = RCC_SPHERE_SECTORS };
    if (!cnt || !s || s->cells != B * S)
        return rcc_fail(RCC_ERR_ARG, "sphere cells plot: need the %d cell counts of a 3-d feature set", B * S);
    /* Lambert cylindrical equal-area: x = longitude (2π), y = z (2), so the map is π : 1 */
    double mw = 640, mh = mw / M_PI, left = 70, top = 78, cbw = 90;
    int W = (int)(left + mw + 30 + cbw), H = (int)(top + mh + 58);
    canvas cv = {0};
    RCC_TRY(canvas_open(&cv, W, H));
    cairo_t *cr = cv.cr;
    int mx = 1;
    for (int c = 0; c < B * S; c++)
        mx = cnt[c] > mx ? cnt[c] : mx;
    char buf[200];
    set_rgb(cr, BLACK, 1);
    text(cr, W / 2.0, 20, title ? title : "Use of the sphere", 16, true, 0.5, 0.5, 0);
    snprintf(buf, sizeof buf, "%d of %d equal-area cells hold a point (%.1f%%; %zu uniform points would fill %.1f%%)",
             s->occupied, s->cells, 100 * s->occupancy, s->n_used, 100 * s->occupancy_uniform);
    set_rgb(cr, GRAY, 1);
    text(cr, W / 2.0, 42, buf, 11.5, false, 0.5, 0.5, 0);
    snprintf(buf, sizeof buf, "uniformity log E exp(-%g |hi - hj|^2) = %.3f (uniform on the sphere: %.3f; lower = more spread)",
             (double)s->t, s->uniformity, s->uniformity_uniform);
    text(cr, W / 2.0, 59, buf, 11.5, false, 0.5, 0.5, 0);
    double cw = mw / S, ch = mh / B;
    for (int b = 0; b < B; b++)
        for (int q = 0; q < S; q++) {
            int v = cnt[b * S + q];
            if (!v)
                continue;
            double f = log1p(v) / log1p(mx); /* log scale: one point is already visible */
            cairo_rectangle(cr, left + q * cw, top + (B - 1 - b) * ch, cw + 0.3, ch + 0.3);
            cairo_set_source_rgb(cr, 1 - f * 0.97 - (1 - f) * 0.25, 1 - f * 0.81 - (1 - f) * 0.15, 1 - f * 0.58);
            cairo_fill(cr);
        }
    cairo_rectangle(cr, left + 0.5, top + 0.5, mw, mh);
    set_rgb(cr, BLACK, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    for (int deg = -180; deg <= 180; deg += 90) {
        snprintf(buf, sizeof buf, "%d", deg); /* ASCII only: a glyph fallback leaks in fontconfig */
        text(cr, left + (deg + 180) / 360.0 * mw, top + mh + 6, buf, 10.5, false, 0.5, 0, 0);
    }
    for (int z = -1; z <= 1; z++) {
        snprintf(buf, sizeof buf, "%d", z);
        text(cr, left - 6, top + (1 - z) / 2.0 * mh, buf, 10.5, false, 1, 0.5, 0);
    }
    text(cr, left + mw / 2, top + mh + 34, "longitude atan2(y, x), degrees", 12, true, 0.5, 0.5, 0);
    text(cr, left - 34, top + mh / 2, "z", 12, true, 0.5, 0.5, 0);
    double bx = left + mw + 30, bh = mh;
    for (int q = 0; q < 100; q++) {
        double f = 1 - q / 99.0;
        cairo_rectangle(cr, bx, top + bh * q / 100.0, 14, bh / 100.0 + 0.6);
        cairo_set_source_rgb(cr, 1 - f * 0.97 - (1 - f) * 0.25, 1 - f * 0.81 - (1 - f) * 0.15, 1 - f * 0.58);
        cairo_fill(cr);
    }
    cairo_rectangle(cr, bx + 0.5, top + 0.5, 14, bh);
    set_rgb(cr, BLACK, 1);
    cairo_stroke(cr);
    snprintf(buf, sizeof buf, "%d", mx);
    text(cr, bx + 19, top, buf, 10.5, false, 0, 0.5, 0);
    text(cr, bx + 19, top + bh, "1", 10.5, false, 0, 0.5, 0);
    text(cr, bx + 19, top + bh / 2, "points", 10.5, false, 0, 0.5, 0);
    text(cr, bx + 19, top + bh / 2 + 13, "(log)", 10.5, false, 0, 0.5, 0);
    return canvas_save(&cv, path);
}
