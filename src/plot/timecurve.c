/* timecurve.c — ACC against seconds of training for several runs on one chart (rcc_plot.h). */
#include "rcc_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plot/draw.h"
#include "util.h"

rcc_status rcc_metrics_acc_time(const char *metrics_jsonl, double **seconds, double **acc, int *n)
{
    *seconds = *acc = NULL;
    *n = 0;
    rcc_metrics_log log;
    RCC_TRY(rcc_metrics_log_load(metrics_jsonl, &log));
    /* the epochs' seconds and their evaluations' by epoch (a resumed run's log holds each once) */
    int top = 0;
    for (size_t i = 0; i < log.n; i++)
        if ((log.records[i].kind == RCC_METRICS_EPOCH || log.records[i].kind == RCC_METRICS_EVAL) &&
            isfinite(log.records[i].epoch) && log.records[i].epoch >= 1 && log.records[i].epoch < 1e6)
            top = (int)log.records[i].epoch > top ? (int)log.records[i].epoch : top;
    double *ep = calloc((size_t)top + 1, sizeof *ep), *ev = calloc((size_t)top + 1, sizeof *ev);
    double *a = malloc(((size_t)top + 1) * sizeof *a);
    double *xs = malloc(((size_t)top + 1) * sizeof *xs), *ys = malloc(((size_t)top + 1) * sizeof *ys);
    if (!ep || !ev || !a || !xs || !ys) {
        free(ep), free(ev), free(a), free(xs), free(ys);
        rcc_metrics_log_free(&log);
        return rcc_fail(RCC_ERR_NOMEM, "ACC against time");
    }
    for (int e = 0; e <= top; e++)
        a[e] = NAN;
    for (size_t i = 0; i < log.n; i++) {
        const rcc_metrics_record *m = &log.records[i];
        if (!isfinite(m->epoch) || m->epoch < 1 || m->epoch > top)
            continue;
        int e = (int)m->epoch;
        if (m->kind == RCC_METRICS_EPOCH && isfinite(m->seconds))
            ep[e] = m->seconds;
        if (m->kind == RCC_METRICS_EVAL) {
            a[e] = m->acc;
            if (isfinite(m->seconds))
                ev[e] = m->seconds;
        }
    }
    rcc_metrics_log_free(&log);
    double t = 0;
    int k = 0;
    for (int e = 1; e <= top; e++) {
        t += fmax(0, ep[e] - ev[e]); /* training time: the epoch without its evaluation */
        if (isfinite(a[e]))
            xs[k] = t, ys[k] = a[e], k++;
    }
    free(ep), free(ev), free(a);
    if (k == 0) {
        free(xs), free(ys);
        return rcc_fail(RCC_ERR_FORMAT, "%s: no evaluation lines (train with --labels to score epochs)",
                        metrics_jsonl);
    }
    *seconds = xs, *acc = ys, *n = k;
    return RCC_OK;
}

rcc_status rcc_plot_acc_time(const char *path, const char *const *metrics, const char *const *names, int runs,
                             double target, const char *title)
{
    if (runs < 1)
        return rcc_fail(RCC_ERR_ARG, "ACC against time: no run");
    double **xs = calloc((size_t)runs, sizeof *xs), **ys = calloc((size_t)runs, sizeof *ys);
    int *n = calloc((size_t)runs, sizeof *n);
    rcc_status st = xs && ys && n ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "ACC against time");
    for (int r = 0; r < runs && st == RCC_OK; r++)
        st = rcc_metrics_acc_time(metrics[r], &xs[r], &ys[r], &n[r]);
    rcc_canvas cv = {0};
    if (st == RCC_OK)
        st = rcc_canvas_open(&cv, 900, 590);
    if (st == RCC_OK) {
        double xmax = 0, ylo = INFINITY, yhi = -INFINITY;
        for (int r = 0; r < runs; r++)
            for (int i = 0; i < n[r]; i++)
                xmax = fmax(xmax, xs[r][i]), ylo = fmin(ylo, ys[r][i]), yhi = fmax(yhi, ys[r][i]);
        if (isfinite(target) && target > 0)
            ylo = fmin(ylo, target), yhi = fmax(yhi, target);
        rcc_axes_pad(&ylo, &yhi, false);
        yhi = fmin(yhi, 1.0);
        rcc_axes ax = {80, 70, 780, 400, 0, xmax > 0 ? xmax * 1.04 : 1, ylo, yhi};
        cairo_t *cr = cv.cr;
        rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
        rcc_draw_text(cr, 450, 24, title ? title : "ACC against seconds of training", 18, true, 0.5, 0.5, 0);
        rcc_draw_set_rgb(cr, RCC_INK_GRAY, 1);
        rcc_draw_text(cr, 450, 46, "each epoch's seconds without its evaluation, summed; ACC from the eval lines", 11,
                      false, 0.5, 0.5, 0);
        rcc_axes_draw(cr, &ax, NULL, "seconds of training", "ACC", false);
        if (isfinite(target) && target > 0) {
            static const double dash[] = {5, 4};
            double tx[2] = {0, ax.xmax}, ty[2] = {target, target};
            rcc_axes_line(cr, &ax, tx, ty, 2, RCC_INK_GRAY, 1.2, 0, dash, 2);
            char buf[64];
            snprintf(buf, sizeof buf, "target %.2f", target);
            rcc_draw_set_rgb(cr, RCC_INK_GRAY, 1);
            rcc_draw_text(cr, ax.x0 + 6, rcc_axes_y(&ax, target) - 4, buf, 11, false, 0, 1, 0);
        }
        double ly = 540, lx = 80;
        for (int r = 0; r < runs; r++) {
            rcc_rgb col = rcc_draw_color(r);
            rcc_axes_line(cr, &ax, xs[r], ys[r], n[r], col, 2, 3, NULL, 0);
            char buf[400];
            snprintf(buf, sizeof buf, "%s: ACC %.3f at %.0f s", names && names[r] ? names[r] : metrics[r],
                     ys[r][n[r] - 1], xs[r][n[r] - 1]);
            double w = 18 + rcc_draw_text_width(cr, buf, 11.5, false) + 28;
            if (lx + w > 880 && lx > 80)
                lx = 80, ly += 20;
            rcc_draw_set_rgb(cr, col, 1);
            cairo_rectangle(cr, lx, ly - 2, 14, 4);
            cairo_fill(cr);
            rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
            rcc_draw_text(cr, lx + 18, ly, buf, 11.5, false, 0, 0.5, 0);
            lx += w;
        }
        st = rcc_canvas_save(&cv, path);
    }
    for (int r = 0; r < runs && xs && ys; r++)
        free(xs[r]), free(ys[r]);
    free(xs), free(ys), free(n);
    return st;
}
