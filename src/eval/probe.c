/* probe.c — the linear probe of docs/method.md §5: softmax regression from frozen features to classes,
 * trained with Adam on a seeded train split and scored on the held-out split. Everything is
 * serial and in double precision, so a seed gives the same numbers on any machine. */
#include "rcc_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "optim.h"
#include "rng.h"
#include "util.h"

void rcc_probe_config_default(rcc_probe_config *c)
{
    memset(c, 0, sizeof *c);
    c->lr = 1e-4f;
    c->epochs = 5;
    c->batch = 256;
    c->weight_decay = 0;
    c->test_frac = 0.2f;
    c->stratified = true;
    c->seed = 0;
}

static void shuffle(size_t *a, size_t n, rcc_rng *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rcc_rng_uniform(rng) * (double)i);
        if (j >= i)
            j = i - 1;
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

rcc_status rcc_split(const int *labels, size_t n, int classes, float test_frac, bool stratified, uint64_t seed,
                     size_t *perm, size_t *n_test)
{
    if (!(test_frac >= 0 && test_frac < 1) || n == 0 || classes < 1)
        return rcc_fail(RCC_ERR_ARG, "split: need 0 <= test_frac < 1, n >= 1, classes >= 1");
    rcc_rng rng;
    rcc_rng_init(&rng, seed, 0x5B17);
    if (!stratified) {
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        shuffle(perm, n, &rng);
        *n_test = (size_t)llround((double)test_frac * (double)n);
        return RCC_OK;
    }
    size_t *start = calloc((size_t)classes + 1, sizeof *start), *fill = calloc((size_t)classes, sizeof *fill);
    size_t *byclass = malloc(n * sizeof *byclass);
    if (!start || !fill || !byclass) {
        free(start), free(fill), free(byclass);
        return rcc_fail(RCC_ERR_NOMEM, "split: %zu points", n);
    }
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= classes) {
            free(start), free(fill), free(byclass);
            return rcc_fail(RCC_ERR_ARG, "split: label %d at %zu is outside [0, %d)", labels[i], i, classes);
        }
        start[labels[i] + 1]++;
    }
    for (int c = 0; c < classes; c++)
        start[c + 1] += start[c];
    for (size_t i = 0; i < n; i++)
        byclass[start[labels[i]] + fill[labels[i]]++] = i;
    size_t nt = 0, ntr = 0;
    /* test points of every class first, then the training points */
    size_t total_test = 0;
    for (int c = 0; c < classes; c++)
        total_test += (size_t)llround((double)test_frac * (double)(start[c + 1] - start[c]));
    for (int c = 0; c < classes; c++) {
        size_t cnt = start[c + 1] - start[c], ct = (size_t)llround((double)test_frac * (double)cnt);
        shuffle(byclass + start[c], cnt, &rng);
        for (size_t q = 0; q < cnt; q++) {
            if (q < ct)
                perm[nt++] = byclass[start[c] + q];
            else
                perm[total_test + ntr++] = byclass[start[c] + q];
        }
    }
    *n_test = total_test;
    free(start), free(fill), free(byclass);
    return RCC_OK;
}

/* Mean cross-entropy and accuracy of the model (w: classes×(d+1)) on points idx[0..m). */
static void probe_score(const float *x, const int *labels, const size_t *idx, size_t m, int d, int classes,
                        const double *w, double *loss, double *acc)
{
    double l = 0;
    size_t hit = 0;
    double *z = malloc((size_t)classes * sizeof *z);
    if (!z) {
        *loss = *acc = NAN;
        return;
    }
    for (size_t q = 0; q < m; q++) {
        const float *xi = x + idx[q] * d;
        int best = 0;
        double zmax = -INFINITY;
        for (int c = 0; c < classes; c++) {
            const double *wc = w + (size_t)c * (d + 1);
            double s = wc[d];
            for (int t = 0; t < d; t++)
                s += wc[t] * xi[t];
            z[c] = s;
            if (s > zmax) {
                zmax = s;
                best = c;
            }
        }
        double se = 0;
        for (int c = 0; c < classes; c++)
            se += exp(z[c] - zmax);
        l += log(se) + zmax - z[labels[idx[q]]];
        hit += best == labels[idx[q]];
    }
    free(z);
    *loss = m ? l / (double)m : NAN;
    *acc = m ? (double)hit / (double)m : NAN;
}

rcc_status rcc_probe_run(const float *x, const int *labels, size_t n, int d, int classes, const rcc_probe_config *cfg,
                         rcc_probe_result *res, float *weights)
{
    memset(res, 0, sizeof *res);
    if (n < 2 || d < 1 || classes < 2)
        return rcc_fail(RCC_ERR_ARG, "probe: need n >= 2, d >= 1 and classes >= 2 (n = %zu, d = %d, classes = %d)", n,
                        d, classes);
    if (cfg->epochs < 0 || cfg->batch < 1 || !(cfg->lr >= 0) || !(cfg->weight_decay >= 0))
        return rcc_fail(RCC_ERR_ARG, "probe: need epochs >= 0, batch >= 1, lr >= 0, weight_decay >= 0");
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= classes)
            return rcc_fail(RCC_ERR_ARG, "probe: label %d at %zu is outside [0, %d)", labels[i], i, classes);
    for (size_t i = 0; i < n * (size_t)d; i++)
        if (!isfinite(x[i]))
            return rcc_fail(RCC_ERR_NUMERIC, "probe: feature %zu of point %zu is not finite", i % d, i / d);
    size_t np = (size_t)classes * (d + 1);
    size_t *perm = malloc(n * sizeof *perm);
    double *w = malloc(np * sizeof *w), *g = malloc(np * sizeof *g), *m1 = calloc(np, sizeof *m1),
           *m2 = calloc(np, sizeof *m2), *z = malloc((size_t)classes * sizeof *z);
    int64_t *cc = calloc((size_t)classes, sizeof *cc);
    if (!perm || !w || !g || !m1 || !m2 || !z || !cc) {
        free(perm), free(w), free(g), free(m1), free(m2), free(z), free(cc);
        return rcc_fail(RCC_ERR_NOMEM, "probe: %zu points, %d classes", n, classes);
    }
    size_t n_test = 0;
    rcc_status st = rcc_split(labels, n, classes, cfg->test_frac, cfg->stratified, cfg->seed, perm, &n_test);
    size_t n_train = n - n_test, *train = perm + n_test;
    if (st == RCC_OK && n_train == 0)
        st = rcc_fail(RCC_ERR_ARG, "probe: the split leaves no training points");
    if (st == RCC_OK) {
        /* PyTorch's nn.Linear default: weight and bias uniform in ±1/√fan_in */
        rcc_rng rng;
        rcc_rng_init(&rng, cfg->seed, 0x1417);
        double bound = 1 / sqrt((double)d);
        for (size_t q = 0; q < np; q++)
            w[q] = bound * (2 * rcc_rng_uniform(&rng) - 1);
        rcc_adam_f64 adam;
        rcc_adam_f64_init(&adam, cfg->lr, cfg->weight_decay);
        for (int ep = 0; ep < cfg->epochs; ep++) {
            rcc_rng_init(&rng, cfg->seed, 0xE0C0 + (uint64_t)ep);
            shuffle(train, n_train, &rng);
            for (size_t lo = 0; lo < n_train; lo += (size_t)cfg->batch) {
                size_t hi = lo + (size_t)cfg->batch < n_train ? lo + (size_t)cfg->batch : n_train;
                double inv = 1.0 / (double)(hi - lo);
                memset(g, 0, np * sizeof *g);
                for (size_t q = lo; q < hi; q++) {
                    const float *xi = x + train[q] * d;
                    double zmax = -INFINITY, se = 0;
                    for (int c = 0; c < classes; c++) {
                        const double *wc = w + (size_t)c * (d + 1);
                        double s = wc[d];
                        for (int t = 0; t < d; t++)
                            s += wc[t] * xi[t];
                        z[c] = s;
                        zmax = s > zmax ? s : zmax;
                    }
                    for (int c = 0; c < classes; c++)
                        se += (z[c] = exp(z[c] - zmax));
                    int y = labels[train[q]];
                    for (int c = 0; c < classes; c++) {
                        double gc = (z[c] / se - (c == y)) * inv; /* d(mean CE)/d logit */
                        double *gw = g + (size_t)c * (d + 1);
                        for (int t = 0; t < d; t++)
                            gw[t] += gc * xi[t];
                        gw[d] += gc;
                    }
                }
                rcc_adam_f64_step(&adam, w, g, m1, m2, np);
            }
        }
        probe_score(x, labels, train, n_train, d, classes, w, &res->train_loss, &res->train_acc);
        probe_score(x, labels, perm, n_test, d, classes, w, &res->test_loss, &res->test_acc);
        for (size_t q = 0; q < n_train; q++)
            cc[labels[train[q]]]++;
        int maj = 0;
        for (int c = 1; c < classes; c++)
            if (cc[c] > cc[maj])
                maj = c;
        size_t hit = 0;
        for (size_t q = 0; q < n_test; q++)
            hit += labels[perm[q]] == maj;
        res->majority_acc = n_test ? (double)hit / (double)n_test : NAN;
        res->n_train = n_train;
        res->n_test = n_test;
        res->classes = classes;
        res->d = d;
        if (weights)
            for (size_t q = 0; q < np; q++)
                weights[q] = (float)w[q];
    }
    free(perm), free(w), free(g), free(m1), free(m2), free(z), free(cc);
    return st;
}
