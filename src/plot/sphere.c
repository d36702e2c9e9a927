/* sphere.c — pictures of features on the unit sphere: orthographic views from several viewpoints
 * (points coloured by label or cluster, the back hemisphere faded or hidden), and the map of the
 * equal-area cells they occupy. */
#include "rcc_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plot/draw.h"
#include "rng.h"
#include "util.h"

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
            rcc_draw_text(cr, ox + 25 * sx, oy - 25 * sy, names[a], 10, false, 0.5, 0.5, 0);
    }
}

/* The picture of 3-D points; `note` (may be NULL) says how they were made from h. */
static rcc_status plot_sphere3(const char *path, const float *h, size_t n, const int *labels,
                               const rcc_sphere_plot_opts *opts, const char *note)
{
    rcc_sphere_plot_opts o;
    if (opts)
        o = *opts;
    else
        rcc_sphere_plot_opts_default(&o);
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
    rcc_canvas cv = {0};
    rcc_status st = rcc_canvas_open(&cv, W, H);
    if (st != RCC_OK) {
        free(idx), free(pts), free(cnt);
        return st;
    }
    cairo_t *cr = cv.cr;
    char buf[400];
    rcc_draw_text(cr, W / 2.0, 22, o.title ? o.title : "Features h on the unit sphere", 17, true, 0.5, 0.5, 0);
    snprintf(buf, sizeof buf, "%zu points, orthographic views; back hemisphere %s%s%s", n,
             o.hide_back ? "hidden" : "faded", note ? "; " : "", note ? note : "");
    if (m < n)
        snprintf(buf, sizeof buf, "%zu points (%zu drawn, seeded subsample); back hemisphere %s%s%s", n, m,
                 o.hide_back ? "hidden" : "faded", note ? "; " : "", note ? note : "");
    rcc_draw_set_rgb(cr, RCC_INK_GRAY, 1);
    rcc_draw_text(cr, W / 2.0, 42, buf, 11.5, false, 0.5, 0.5, 0);
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
            rcc_draw_set_rgb(cr, rcc_draw_color(pts[q].label), 0.16);
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
            rcc_draw_set_rgb(cr, rcc_draw_color(pts[q].label), alpha);
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
        rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
        rcc_draw_text(cr, cx, top + P + 8, w->name, 12, false, 0.5, 0, 0);
    }
    if (labels) {
        double lx = o.views * P + 16, ly = top + 6;
        rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
        rcc_draw_text(cr, lx, ly, o.legend_name ? o.legend_name : "label", 13, true, 0, 0, 0);
        int row = 0, col = 0, drawn = 0;
        for (int c = 0; c < nl; c++) {
            if (!cnt[c])
                continue;
            double x = lx + 150 * col, y = ly + 26 + 18 * row;
            if (drawn == shown) {
                rcc_draw_set_rgb(cr, RCC_INK_GRAY, 1);
                snprintf(buf, sizeof buf, "+ %d more", present - shown);
                rcc_draw_text(cr, x + 17, y, buf, 11.5, false, 0, 0.5, 0);
                break;
            }
            drawn++;
            rcc_draw_set_rgb(cr, rcc_draw_color(c), 1);
            cairo_new_path(cr);
            cairo_arc(cr, x + 6, y, 5.5, 0, 2 * M_PI);
            cairo_fill(cr);
            rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
            snprintf(buf, sizeof buf, "%d  (%lld)", c, (long long)cnt[c]);
            rcc_draw_text(cr, x + 17, y, buf, 11.5, false, 0, 0.5, 0);
            if (++row >= rows_per_col)
                row = 0, col++;
        }
    }
    free(idx), free(pts), free(cnt);
    return rcc_canvas_save(&cv, path);
}

rcc_status rcc_plot_sphere(const char *path, const float *h, size_t n, int d, const int *labels,
                           const rcc_sphere_plot_opts *opts)
{
    if (d < 3)
        return rcc_fail(RCC_ERR_ARG, "sphere plot: features of %d dimension(s); the sphere needs 3 or more", d);
    if (d == 3)
        return plot_sphere3(path, h, n, labels, opts, NULL);
    if (n < 2)
        return rcc_fail(RCC_ERR_ARG, "sphere plot: a projection of %d-dimensional features needs 2 points", d);
    float *p = malloc(n * 3 * sizeof *p);
    if (!p)
        return rcc_fail(RCC_ERR_NOMEM, "sphere plot: projection of %zu points", n);
    double explained;
    rcc_status st = rcc_pca_project(h, n, d, 3, p, &explained);
    char note[160];
    snprintf(note, sizeof note, "h of %d dims: its top 3 principal components (%.0f%% of the variance), renormalised",
             d, 100 * explained);
    if (st == RCC_OK)
        st = plot_sphere3(path, p, n, labels, opts, note);
    free(p);
    return st;
}

/* ---------------------------------------------------------------- the cell map */

rcc_status rcc_plot_sphere_cells(const char *path, const int *cnt, const rcc_sphere_stats *s, const char *title)
{
    enum { B = RCC_SPHERE_BANDS, S = RCC_SPHERE_SECTORS };
    if (!cnt || !s || s->cells != B * S)
        return rcc_fail(RCC_ERR_ARG, "sphere cells plot: need the %d cell counts of a 3-d feature set", B * S);
    /* Lambert cylindrical equal-area: x = longitude (2π), y = z (2), so the map is π : 1 */
    double mw = 640, mh = mw / M_PI, left = 70, top = 78, cbw = 90;
    int W = (int)(left + mw + 30 + cbw), H = (int)(top + mh + 58);
    rcc_canvas cv = {0};
    RCC_TRY(rcc_canvas_open(&cv, W, H));
    cairo_t *cr = cv.cr;
    int mx = 1;
    for (int c = 0; c < B * S; c++)
        mx = cnt[c] > mx ? cnt[c] : mx;
    char buf[200];
    rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
    rcc_draw_text(cr, W / 2.0, 20, title ? title : "Use of the sphere", 16, true, 0.5, 0.5, 0);
    snprintf(buf, sizeof buf, "%d of %d equal-area cells hold a point (%.1f%%; %zu uniform points would fill %.1f%%)",
             s->occupied, s->cells, 100 * s->occupancy, s->n_used, 100 * s->occupancy_uniform);
    rcc_draw_set_rgb(cr, RCC_INK_GRAY, 1);
    rcc_draw_text(cr, W / 2.0, 42, buf, 11.5, false, 0.5, 0.5, 0);
    snprintf(buf, sizeof buf,
             "uniformity log E exp(-%g |hi - hj|^2) = %.3f (uniform on the sphere: %.3f; lower = more spread)",
             (double)s->t, s->uniformity, s->uniformity_uniform);
    rcc_draw_text(cr, W / 2.0, 59, buf, 11.5, false, 0.5, 0.5, 0);
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
    rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    for (int deg = -180; deg <= 180; deg += 90) {
        snprintf(buf, sizeof buf, "%d", deg); /* ASCII only: a glyph fallback leaks in fontconfig */
        rcc_draw_text(cr, left + (deg + 180) / 360.0 * mw, top + mh + 6, buf, 10.5, false, 0.5, 0, 0);
    }
    for (int z = -1; z <= 1; z++) {
        snprintf(buf, sizeof buf, "%d", z);
        rcc_draw_text(cr, left - 6, top + (1 - z) / 2.0 * mh, buf, 10.5, false, 1, 0.5, 0);
    }
    rcc_draw_text(cr, left + mw / 2, top + mh + 34, "longitude atan2(y, x), degrees", 12, true, 0.5, 0.5, 0);
    rcc_draw_text(cr, left - 34, top + mh / 2, "z", 12, true, 0.5, 0.5, 0);
    double bx = left + mw + 30, bh = mh;
    for (int q = 0; q < 100; q++) {
        double f = 1 - q / 99.0;
        cairo_rectangle(cr, bx, top + bh * q / 100.0, 14, bh / 100.0 + 0.6);
        cairo_set_source_rgb(cr, 1 - f * 0.97 - (1 - f) * 0.25, 1 - f * 0.81 - (1 - f) * 0.15, 1 - f * 0.58);
        cairo_fill(cr);
    }
    cairo_rectangle(cr, bx + 0.5, top + 0.5, 14, bh);
    rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
    cairo_stroke(cr);
    snprintf(buf, sizeof buf, "%d", mx);
    rcc_draw_text(cr, bx + 19, top, buf, 10.5, false, 0, 0.5, 0);
    rcc_draw_text(cr, bx + 19, top + bh, "1", 10.5, false, 0, 0.5, 0);
    rcc_draw_text(cr, bx + 19, top + bh / 2, "points", 10.5, false, 0, 0.5, 0);
    rcc_draw_text(cr, bx + 19, top + bh / 2 + 13, "(log)", 10.5, false, 0, 0.5, 0);
    return rcc_canvas_save(&cv, path);
}
