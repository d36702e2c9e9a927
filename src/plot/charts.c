/* charts.c — the charts: the k-selection curves (WCSS with the kneedle chord, silhouette,
 * Calinski–Harabasz), training curves from a metrics file, and a confusion matrix. */
#include "rcc_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plot/draw.h"
#include "util.h"

/* ---------------------------------------------------------------- k selection */

/* Room above the highest point for a label. */
static void headroom(rcc_axes *a, double frac) { a->ymax += frac * (a->ymax - a->ymin); }

rcc_status rcc_plot_kselect(const char *path, const rcc_kselect_result *r, const char *title)
{
    if (!r || r->kmax < 1 || !r->wcss)
        return rcc_fail(RCC_ERR_ARG, "kselect plot: empty result");
    int K = r->kmax, PW = 420, PH = 330, top = 124, left = 80, gap = 96;
    int W = left + 3 * PW + 2 * gap + 30, H = top + PH + 64;
    rcc_canvas cv = {0};
    RCC_TRY(rcc_canvas_open(&cv, W, H));
    cairo_t *cr = cv.cr;
    double *ks = malloc(((size_t)K + 1) * sizeof *ks);
    if (!ks) {
        rcc_canvas_discard(&cv);
        return rcc_fail(RCC_ERR_NOMEM, "kselect plot");
    }
    for (int k = 0; k <= K; k++)
        ks[k] = k;
    char buf[320];
    snprintf(buf, sizeof buf, "%s: chosen k = %d", title ? title : "Choosing k", r->chosen);
    rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
    rcc_draw_text(cr, W / 2.0, 22, buf, 18, true, 0.5, 0.5, 0);
    rcc_draw_set_rgb(cr, RCC_INK_GRAY, 1);
    rcc_draw_text(cr, W / 2.0, 46, r->rule, 12, false, 0.5, 0.5, 0);
    snprintf(buf, sizeof buf, "%s k-means, best of the restarts for each k; %s silhouette",
             r->metric == RCC_KMEANS_SPHERICAL ? "spherical" : "Euclidean",
             r->silhouette_dist == RCC_DIST_COSINE ? "cosine" : "Euclidean");
    rcc_draw_text(cr, W / 2.0, 64, buf, 11, false, 0.5, 0.5, 0);
    /* a legend for the marks used in every panel */
    {
        static const double dash[] = {6, 4};
        double lx = W / 2.0 - 300, ly = 88;
        rcc_draw_set_rgb(cr, RCC_INK_BLUE, 1);
        cairo_set_line_width(cr, 2);
        cairo_move_to(cr, lx, ly);
        cairo_line_to(cr, lx + 26, ly);
        cairo_stroke(cr);
        rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
        lx += 32 + rcc_draw_text(cr, lx + 32, ly, "criterion against k", 11.5, false, 0, 0.5, 0) + 30;
        rcc_draw_set_rgb(cr, RCC_INK_ORANGE, 1);
        cairo_set_line_width(cr, 2.2);
        cairo_new_path(cr);
        cairo_arc(cr, lx + 7, ly, 6, 0, 2 * M_PI);
        cairo_stroke(cr);
        rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
        lx += 20 + rcc_draw_text(cr, lx + 20, ly, "each criterion's own pick", 11.5, false, 0, 0.5, 0) + 30;
        rcc_draw_set_rgb(cr, RCC_INK_RED, 0.9);
        cairo_set_line_width(cr, 1.6);
        cairo_set_dash(cr, dash, 2, 0);
        cairo_move_to(cr, lx + 4, ly - 8);
        cairo_line_to(cr, lx + 4, ly + 8);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        snprintf(buf, sizeof buf, "chosen k = %d", r->chosen);
        rcc_draw_set_rgb(cr, RCC_INK_RED, 1);
        rcc_draw_text(cr, lx + 14, ly, buf, 11.5, true, 0, 0.5, 0);
    }
    const double xlo = 0.5, xhi = K + 0.5;
    /* WCSS with the kneedle chord */
    rcc_axes a = {left, top, PW, PH, xlo, xhi, 0, 1};
    rcc_axes_range(r->wcss + 1, K, &a.ymin, &a.ymax);
    rcc_axes_pad(&a.ymin, &a.ymax, true);
    rcc_axes_draw(cr, &a, r->metric == RCC_KMEANS_SPHERICAL ? "Objective  \u03a3(1 \u2212 cos)" : "WCSS",
                  "k        (dashed: the kneedle chord)", "within-cluster sum", true);
    static const double dash[] = {5, 4};
    double cx[2] = {1, K}, cyv[2] = {r->wcss[1], r->wcss[K]};
    rcc_axes_line(cr, &a, cx, cyv, 2, RCC_INK_GRAY, 1, 0, dash, 2);
    rcc_axes_vline(cr, &a, r->chosen, RCC_INK_RED, NULL, false);
    rcc_axes_line(cr, &a, ks + 1, r->wcss + 1, K, RCC_INK_BLUE, 2, 3, NULL, 0);
    rcc_axes_point(cr, &a, r->elbow, r->wcss[r->elbow], RCC_INK_ORANGE, 7);
    snprintf(buf, sizeof buf, "kneedle elbow k=%d", r->elbow);
    rcc_draw_set_rgb(cr, RCC_INK_ORANGE, 1);
    rcc_draw_text(cr, rcc_axes_x(&a, r->elbow) + 10, rcc_axes_y(&a, r->wcss[r->elbow]) - 12, buf, 11.5, true, 0, 1, 0);
    /* silhouette, with Kaufman & Rousseeuw's "weak structure" zone below 0.5 shaded */
    rcc_axes b = {left + PW + gap, top, PW, PH, xlo, xhi, 0, 1};
    rcc_axes_range(r->silhouette + 1, K, &b.ymin, &b.ymax);
    rcc_axes_pad(&b.ymin, &b.ymax, false);
    headroom(&b, 0.12);
    rcc_axes_draw(cr, &b, "Silhouette", "k", "mean silhouette", true);
    if (b.ymin < 0.5) {
        double y0 = rcc_axes_y(&b, fmin(0.5, b.ymax)), y1 = b.y0 + b.h;
        cairo_save(cr);
        cairo_rectangle(cr, b.x0, y0, b.w, y1 - y0);
        cairo_set_source_rgba(cr, 0.85, 0.2, 0.2, 0.07);
        cairo_fill(cr);
        cairo_restore(cr);
        cairo_set_source_rgba(cr, 0.6, 0.1, 0.1, 0.8);
        rcc_draw_text(cr, b.x0 + b.w - 6, y1 - 8, "below 0.5: weak structure", 10, false, 1, 1, 0);
    }
    rcc_axes_vline(cr, &b, r->chosen, RCC_INK_RED, NULL, false);
    rcc_axes_line(cr, &b, ks + 1, r->silhouette + 1, K, RCC_INK_BLUE, 2, 3, NULL, 0);
    if (r->best_silhouette) {
        double sb = r->silhouette[r->best_silhouette];
        rcc_axes_point(cr, &b, r->best_silhouette, sb, RCC_INK_ORANGE, 7);
        snprintf(buf, sizeof buf, "max k=%d (%.3f)", r->best_silhouette, sb);
        rcc_draw_set_rgb(cr, RCC_INK_ORANGE, 1);
        bool right = r->best_silhouette < K * 0.65;
        rcc_draw_text(cr, rcc_axes_x(&b, r->best_silhouette) + (right ? 10 : -10), rcc_axes_y(&b, sb) - 10, buf, 11.5,
                      true, right ? 0 : 1, 1, 0);
    }
    /* Calinski–Harabasz */
    rcc_axes c = {left + 2 * (PW + gap), top, PW, PH, xlo, xhi, 0, 1};
    rcc_axes_range(r->ch + 1, K, &c.ymin, &c.ymax);
    rcc_axes_pad(&c.ymin, &c.ymax, true);
    headroom(&c, 0.12);
    rcc_axes_draw(cr, &c, "Calinski\u2013Harabasz", "k", "between / within dispersion", true);
    rcc_axes_vline(cr, &c, r->chosen, RCC_INK_RED, NULL, false);
    rcc_axes_line(cr, &c, ks + 1, r->ch + 1, K, RCC_INK_BLUE, 2, 3, NULL, 0);
    if (r->best_ch) {
        rcc_axes_point(cr, &c, r->best_ch, r->ch[r->best_ch], RCC_INK_ORANGE, 7);
        snprintf(buf, sizeof buf, "max k=%d", r->best_ch);
        rcc_draw_set_rgb(cr, RCC_INK_ORANGE, 1);
        bool right = r->best_ch < K * 0.65;
        rcc_draw_text(cr, rcc_axes_x(&c, r->best_ch) + (right ? 10 : -10), rcc_axes_y(&c, r->ch[r->best_ch]) - 10, buf,
                      11.5, true, right ? 0 : 1, 1, 0);
    }
    free(ks);
    return rcc_canvas_save(&cv, path);
}

/* ---------------------------------------------------------------- training curves */

enum { NTERMS = RCC_LOSS_TERMS };
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

/* A streaming run's drift record, at its step. */
typedef struct {
    double x, seen, pool, skipped, confidence, moved, ari;
} drift_row;

/* A legend entry (a short bar of the line's colour and its name) at (x, y); returns its width. */
static double legend_item(cairo_t *cr, double x, double y, rcc_rgb col, const char *name)
{
    rcc_draw_set_rgb(cr, col, 1);
    cairo_rectangle(cr, x, y - 5, 14, 4);
    cairo_fill(cr);
    rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
    return 18 + rcc_draw_text(cr, x + 18, y - 3, name, 11, false, 0, 0.5, 0);
}

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
    rcc_metrics_log log;
    RCC_TRY(rcc_metrics_log_load(metrics_jsonl, &log));
    curve_row *ep = NULL, *stp = NULL, *stepwise = NULL;
    eval_row *ev = NULL;
    drift_row *dr = NULL;
    int nep = 0, cep = 0, nst = 0, cst = 0, nsw = 0, csw = 0, nev = 0, cev = 0, ndr = 0;
    rcc_status st = RCC_OK;
    if (log.n && !(dr = malloc(log.n * sizeof *dr)))
        st = rcc_fail(RCC_ERR_NOMEM, "curves");
    for (size_t i = 0; i < log.n && st == RCC_OK; i++) {
        const rcc_metrics_record *m = &log.records[i];
        double epoch = m->epoch, step = m->step;
        if (m->kind == RCC_METRICS_DRIFT) {
            if (isfinite(step))
                dr[ndr++] = (drift_row){step, m->seen, m->pool, m->skipped, m->recent_confidence, m->probe_moved,
                                        m->probe_ari};
            continue;
        }
        /* scores from eval lines, or from any line that carries them */
        if ((m->kind == RCC_METRICS_EVAL || isfinite(m->acc) || isfinite(m->nmi)) && isfinite(epoch)) {
            if (nev == cev) {
                cev = cev ? 2 * cev : 64;
                eval_row *nr = realloc(ev, (size_t)cev * sizeof *nr);
                if (!nr) {
                    st = rcc_fail(RCC_ERR_NOMEM, "curves");
                    break;
                }
                ev = nr;
            }
            ev[nev++] = (eval_row){epoch, m->acc, m->nmi, m->ari};
        }
        if (m->kind != RCC_METRICS_EVAL) { /* loss terms: epoch lines; step lines, and lines of no kind */
            bool is_epoch = m->kind == RCC_METRICS_EPOCH;
            curve_row *r = NULL, *rs = NULL;
            if (isfinite(epoch))
                r = is_epoch ? row_for(&ep, &nep, &cep, epoch) : row_for(&stp, &nst, &cst, epoch);
            if (!is_epoch && isfinite(step))
                rs = row_for(&stepwise, &nsw, &csw, step);
            for (int t = 0; t < NTERMS; t++) {
                double v = m->terms[t];
                if (!isfinite(v))
                    continue;
                if (r)
                    r->v[t] += v, r->cnt[t]++;
                if (rs)
                    rs->v[t] += v, rs->cnt[t]++;
            }
        }
    }
    rcc_metrics_log_free(&log);
    /* per-epoch lines win; otherwise the mean of the step lines of each epoch; with a single epoch
     * of step lines, the steps themselves */
    curve_row *rows = nep ? ep : nst > 1 || nsw == 0 ? stp : stepwise;
    int nrows = nep ? nep : nst > 1 || nsw == 0 ? nst : nsw;
    const char *xname = nep || nst > 1 || nsw == 0 ? "epoch" : "step";
    if (st == RCC_OK && nrows == 0 && nev == 0 && ndr == 0)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: no loss, evaluation or drift lines (need \"epoch\" and loss keys)",
                      metrics_jsonl);
    if (st != RCC_OK) {
        free(ep), free(stp), free(stepwise), free(ev), free(dr);
        return st;
    }
    /* drift records are placed by step: beside per-step curves, or alone */
    if (ndr && nrows && strcmp(xname, "step") != 0)
        ndr = 0;
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
    bool have_eval = nev > 0, have_drift = ndr > 0;
    npanels += have_eval + 2 * have_drift;
    int cols = npanels <= 3 ? npanels : 3, prow = (npanels + cols - 1) / cols;
    int PW = 380, PH = 250, left = 78, gapx = 90, gapy = 90, top = 70;
    int W = left + cols * PW + (cols - 1) * gapx + 30, H = top + 20 + prow * PH + (prow - 1) * gapy + 70;
    rcc_canvas cv = {0};
    st = rcc_canvas_open(&cv, W, H);
    int most = nrows > nev ? nrows : nev;
    most = most > ndr ? most : ndr;
    double *xs = malloc(((size_t)most + 1) * sizeof *xs);
    double *ys = malloc(((size_t)most + 1) * sizeof *ys);
    if (st != RCC_OK || !xs || !ys) {
        if (st == RCC_OK) {
            rcc_canvas_discard(&cv);
            st = rcc_fail(RCC_ERR_NOMEM, "curves");
        }
        free(xs), free(ys), free(ep), free(stp), free(stepwise), free(ev), free(dr);
        return st;
    }
    cairo_t *cr = cv.cr;
    rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
    rcc_draw_text(cr, W / 2.0, 24, title ? title : "Training curves", 18, true, 0.5, 0.5, 0);
    char buf[160];
    snprintf(buf, sizeof buf, "%s; %s", metrics_jsonl,
             !nrows ? (nev ? "evaluation lines only" : "drift records only")
             : nep  ? "per-epoch lines"
             : nst > 1 || nsw == 0 ? "mean of the step lines of each epoch"
                                   : "every step");
    rcc_draw_set_rgb(cr, RCC_INK_GRAY, 1);
    rcc_draw_text(cr, W / 2.0, 46, buf, 11, false, 0.5, 0.5, 0);
    int panel = 0;
    double xmin = INFINITY, xmax = -INFINITY;
    for (int i = 0; i < nrows; i++)
        xmin = fmin(xmin, rows[i].x), xmax = fmax(xmax, rows[i].x);
    for (int i = 0; i < nev && !nrows; i++)
        xmin = fmin(xmin, ev[i].x), xmax = fmax(xmax, ev[i].x);
    for (int i = 0; i < ndr; i++)
        xmin = fmin(xmin, dr[i].x), xmax = fmax(xmax, dr[i].x);
    if (!nrows && !nev && ndr)
        xname = "step";
    if (!(xmax > xmin))
        xmin -= 0.5, xmax += 0.5;
    double xpad = 0.03 * (xmax - xmin);
    for (int t = 0; t < NTERMS + 3; t++) {
        if (t < NTERMS && !have[t])
            continue;
        if (t == NTERMS && !have_eval)
            continue;
        if (t > NTERMS && !have_drift)
            continue;
        int pc = panel % cols, pr = panel / cols;
        panel++;
        rcc_axes a = {left + pc * (PW + gapx), top + 20 + pr * (PH + gapy), PW, PH, xmin - xpad, xmax + xpad, 0, 1};
        double marker = nrows <= 60 ? 2.6 : 0;
        if (t == NTERMS + 1) { /* the stream's counts */
            static const char *nm[3] = {"seen", "in the pool", "skipped"};
            double lo = 0, hi = 1;
            for (int i = 0; i < ndr; i++)
                hi = fmax(hi, fmax(dr[i].seen, dr[i].pool));
            a.ymin = lo, a.ymax = hi * 1.08;
            rcc_axes_draw(cr, &a, "Stream: images (drift records)", "step", "images", true);
            double lx = a.x0 + 12;
            for (int s = 0; s < 3; s++) {
                for (int i = 0; i < ndr; i++)
                    xs[i] = dr[i].x, ys[i] = s == 0 ? dr[i].seen : s == 1 ? dr[i].pool : dr[i].skipped;
                rcc_rgb col = rcc_draw_color(s == 0 ? 0 : s == 1 ? 2 : 3);
                rcc_axes_line(cr, &a, xs, ys, ndr, col, 2, ndr <= 60 ? 3 : 0, NULL, 0);
                lx += legend_item(cr, lx, a.y0 + 16, col, nm[s]) + 14;
            }
            continue;
        }
        if (t == NTERMS + 2) { /* how the assignments move */
            static const char *nm[3] = {"probe moved", "probe ARI", "recent confidence"};
            a.ymin = 0, a.ymax = 1.02;
            rcc_axes_draw(cr, &a, "Drift: probe sample, recent images", "step", "share", true);
            double lx = a.x0 + 12;
            for (int s = 0; s < 3; s++) {
                for (int i = 0; i < ndr; i++)
                    xs[i] = dr[i].x, ys[i] = s == 0 ? dr[i].moved : s == 1 ? dr[i].ari : dr[i].confidence;
                rcc_rgb col = rcc_draw_color(s == 0 ? 3 : s == 1 ? 0 : 2);
                rcc_axes_line(cr, &a, xs, ys, ndr, col, 2, ndr <= 60 ? 3 : 0, NULL, 0);
                lx += legend_item(cr, lx, a.y0 + a.h * 0.5, col, nm[s]) + 14;
            }
            continue;
        }
        if (t < NTERMS) {
            int m = 0;
            for (int i = 0; i < nrows; i++)
                if (rows[i].cnt[t]) {
                    xs[m] = rows[i].x;
                    ys[m++] = rows[i].v[t] / rows[i].cnt[t];
                }
            rcc_axes_range(ys, m, &a.ymin, &a.ymax);
            rcc_axes_pad(&a.ymin, &a.ymax, false);
            rcc_axes_draw(cr, &a, term_title[t], xname, rcc_metrics_term_key(t),
                          strcmp(xname, "epoch") == 0 || xmax - xmin > 5);
            rcc_rgb col = t == RCC_LOSS_TOTAL ? RCC_INK_BLACK : rcc_draw_color(t);
            rcc_axes_line(cr, &a, xs, ys, m, col, 2, marker, NULL, 0);
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
            rcc_axes_draw(cr, &a, "Clustering scores (eval lines)", "epoch", "score", true);
            static const char *nm[3] = {"ACC", "NMI", "ARI"};
            for (int s = 0; s < 3; s++) {
                for (int i = 0; i < nev; i++) {
                    xs[i] = ev[i].x;
                    ys[i] = s == 0 ? ev[i].acc : s == 1 ? ev[i].nmi : ev[i].ari;
                }
                rcc_rgb col = rcc_draw_color(s == 0 ? 3 : s == 1 ? 0 : 2);
                rcc_axes_line(cr, &a, xs, ys, nev, col, 2, nev <= 60 ? 3 : 0, NULL, 0);
                legend_item(cr, a.x0 + 12 + 62 * s, a.y0 + a.h - 14, col, nm[s]);
            }
            double last = ev[nev - 1].acc;
            if (isfinite(last)) {
                snprintf(buf, sizeof buf, "last ACC %.3f", last);
                rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
                rcc_draw_text(cr, a.x0 + a.w - 8, a.y0 + a.h - 10, buf, 11, true, 1, 1, 0);
            }
        }
    }
    free(xs), free(ys), free(ep), free(stp), free(stepwise), free(ev), free(dr);
    return rcc_canvas_save(&cv, path);
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
    rcc_canvas cv = {0};
    st = rcc_canvas_open(&cv, W, H);
    if (st != RCC_OK) {
        free(map), free(order), free(rowsum);
        return st;
    }
    cairo_t *cr = cv.cr;
    char buf[160];
    snprintf(buf, sizeof buf, "%s", title ? title : "Confusion matrix");
    rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
    rcc_draw_text(cr, W / 2.0, 22, buf, 17, true, 0.5, 0.5, 0);
    snprintf(buf, sizeof buf, "ACC %.4f (Hungarian match), N = %lld; colour = fraction of the class", acc,
             (long long)total);
    rcc_draw_set_rgb(cr, RCC_INK_GRAY, 1);
    rcc_draw_text(cr, W / 2.0, 44, buf, 11.5, false, 0.5, 0.5, 0);
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
                rcc_draw_set_rgb(cr, RCC_INK_ORANGE, 0.9);
                cairo_set_line_width(cr, 1.5);
                cairo_stroke(cr);
            }
            if (cell >= 26 && v) {
                snprintf(buf, sizeof buf, "%lld", (long long)v);
                if (frac > 0.5)
                    cairo_set_source_rgb(cr, 1, 1, 1);
                else
                    rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
                double size = rcc_draw_text_width(cr, buf, fs, false) > cell - 4 ? fs * 0.75 : fs;
                rcc_draw_text(cr, x + cell / 2, y + cell / 2, buf, size, false, 0.5, 0.5, 0);
            }
        }
    cairo_rectangle(cr, left + 0.5, top + 0.5, cell * k, cell * c);
    rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    int lstep = cell >= 14 ? 1 : (int)ceil(14 / cell);
    for (int q = 0; q < k; q += lstep) {
        snprintf(buf, sizeof buf, "%d", order[q]);
        rcc_draw_text(cr, left + q * cell + cell / 2, top - 6, buf, 11, false, 0.5, 1, 0);
    }
    for (int j = 0; j < c; j += lstep) {
        snprintf(buf, sizeof buf, "%d", j);
        rcc_draw_text(cr, left - 8, top + j * cell + cell / 2, buf, 11, false, 1, 0.5, 0);
    }
    const char *caption = "cluster (columns ordered by their matched class)";
    rcc_draw_text(cr, left + cell * k / 2, top - 26, caption, 12, true, 0.5, 1, 0);
    rcc_draw_text(cr, left - 40, top + cell * c / 2, "true class", 12, true, 0.5, 1, -M_PI / 2);
    /* colour bar */
    double bx = left + cell * k + 34, by = top, bh = fmin(cell * c, 300);
    for (int s = 0; s < 100; s++) {
        double frac = 1 - s / 99.0;
        cairo_rectangle(cr, bx, by + bh * s / 100.0, 16, bh / 100.0 + 0.6);
        cairo_set_source_rgb(cr, 1 - frac * 0.97, 1 - frac * 0.81, 1 - frac * 0.58);
        cairo_fill(cr);
    }
    cairo_rectangle(cr, bx + 0.5, by + 0.5, 16, bh);
    rcc_draw_set_rgb(cr, RCC_INK_BLACK, 1);
    cairo_stroke(cr);
    for (int s = 0; s <= 4; s++) {
        snprintf(buf, sizeof buf, "%.2f", 1 - s / 4.0);
        rcc_draw_text(cr, bx + 21, by + bh * s / 4.0, buf, 10.5, false, 0, 0.5, 0);
    }
    free(map), free(order), free(rowsum);
    return rcc_canvas_save(&cv, path);
}
