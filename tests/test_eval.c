/* test_eval.c — the evaluation module: ACC/NMI/ARI, silhouette and Calinski–Harabasz against
 * scikit-learn/SciPy fixtures (tests/reference/make_eval_fixtures.py); the Hungarian algorithm
 * against brute force; k-means WCSS against scikit-learn's KMeans; k selection on synthetic
 * mixtures with a known number of clusters; the linear probe on separable and on random labels;
 * the file readers; and the rcc eval / probe / kselect / plot commands end to end. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <cjson/cJSON.h>
#include "rcc_eval.h"
#include "rcc_plot.h"
#include "rng.h"
#include "safetensors.h"
#include "testutil.h"

/* ---------------------------------------------------------------- fixture helpers */

static const rcc_st_tensor *need(const rcc_st_file *f, const char *name)
{
    const rcc_st_tensor *t = rcc_st_find(f, name);
    CHECK(t != NULL, "fixture tensor %s missing", name);
    if (!t)
        exit(1);
    return t;
}

static float *get_f32(const rcc_st_file *f, const char *name, size_t *n)
{
    const rcc_st_tensor *t = need(f, name);
    float *p = malloc(t->numel * sizeof *p);
    CHECK_OK(rcc_st_read_f32(f, name, p, t->numel));
    if (n)
        *n = t->numel;
    return p;
}

static int *get_int(const rcc_st_file *f, const char *name, size_t *n)
{
    size_t m;
    float *p = get_f32(f, name, &m);
    int *q = malloc(m * sizeof *q);
    for (size_t i = 0; i < m; i++)
        q[i] = (int)p[i];
    free(p);
    *n = m;
    return q;
}

static void get_f64(const rcc_st_file *f, const char *name, double *out, size_t n)
{
    const rcc_st_tensor *t = need(f, name);
    CHECK(t->dtype == RCC_ST_F64 && t->numel == n, "%s: expected %zu F64 values", name, n);
    if (t->dtype == RCC_ST_F64 && t->numel == n)
        memcpy(out, t->data, n * sizeof(double));
}

static void close_to(const char *what, double got, double want, double atol)
{
    CHECK(fabs(got - want) <= atol, "%s: got %.10f want %.10f (|diff| %.2e > %.0e)", what, got, want,
          fabs(got - want), atol);
}

/* ---------------------------------------------------------------- scores */

static void test_metrics_fixture(void)
{
    rcc_st_file f;
    CHECK_OK(rcc_st_load(&f, RCC_FIXTURES "/eval_metrics.safetensors"));
    int cases = atoi(rcc_st_meta(&f, "cases") ? rcc_st_meta(&f, "cases") : "0");
    CHECK(cases >= 8, "eval_metrics: %d cases", cases);
    int rect = 0;
    for (int c = 0; c < cases; c++) {
        char name[64], what[96];
        size_t n, nl;
        snprintf(name, sizeof name, "case%d.pred", c);
        int *pred = get_int(&f, name, &n);
        snprintf(name, sizeof name, "case%d.labels", c);
        int *lab = get_int(&f, name, &nl);
        double want[3] = {NAN, NAN, NAN};
        snprintf(name, sizeof name, "case%d.expect", c);
        get_f64(&f, name, want, 3);
        rcc_scores s;
        CHECK_OK(rcc_scores_compute(pred, lab, n, &s));
        rect += s.k != s.c;
        /* renaming ids (sparse, large, negative) changes nothing */
        int *p2 = malloc(n * sizeof *p2), *l2 = malloc(n * sizeof *l2);
        for (size_t i = 0; i < n; i++) {
            p2[i] = pred[i] * 1000003 - 5;
            l2[i] = 7 - 3 * lab[i];
        }
        rcc_scores s2;
        CHECK_OK(rcc_scores_compute(p2, l2, n, &s2));
        CHECK(s2.acc == s.acc && fabs(s2.nmi - s.nmi) < 1e-12 && fabs(s2.ari - s.ari) < 1e-12,
              "case %d: scores change when ids are renamed", c);
        free(p2), free(l2);
        snprintf(what, sizeof what, "case %d (K=%d, C=%d) ACC", c, s.k, s.c);
        close_to(what, s.acc, want[0], 1e-6);
        snprintf(what, sizeof what, "case %d (K=%d, C=%d) NMI", c, s.k, s.c);
        close_to(what, s.nmi, want[1], 1e-6);
        snprintf(what, sizeof what, "case %d (K=%d, C=%d) ARI", c, s.k, s.c);
        close_to(what, s.ari, want[2], 1e-6);
        free(pred), free(lab);
    }
    CHECK(rect >= 4, "only %d fixture cases with K != C", rect);
    rcc_st_close(&f);
}

static double brute_best(const double *w, int rows, int cols)
{
    /* all injective maps of the smaller side into the larger, by recursion over rows */
    int m = rows < cols ? rows : cols, M = rows < cols ? cols : rows;
    int perm[8];
    for (int i = 0; i < M; i++)
        perm[i] = i;
    double best = -INFINITY;
    /* enumerate permutations of M (Heap's algorithm), scoring the first m positions */
    int c[8] = {0};
    for (int it = 0;;) {
        double s = 0;
        for (int i = 0; i < m; i++)
            s += rows <= cols ? w[i * cols + perm[i]] : w[perm[i] * cols + i];
        best = s > best ? s : best;
        while (it < M && c[it] >= it) {
            c[it] = 0;
            it++;
        }
        if (it >= M)
            break;
        int j = it % 2 ? c[it] : 0, t = perm[j];
        perm[j] = perm[it];
        perm[it] = t;
        c[it]++;
        it = 0;
    }
    return best;
}

static void test_hungarian(void)
{
    rcc_rng r;
    rcc_rng_init(&r, 11, 0);
    int bad = 0, trials = 0;
    for (int t = 0; t < 300; t++) {
        int rows = 1 + (int)(rcc_rng_uniform(&r) * 6), cols = 1 + (int)(rcc_rng_uniform(&r) * 6);
        double w[36];
        for (int i = 0; i < rows * cols; i++) /* integers with ties, like contingency counts */
            w[i] = t % 2 ? floor(rcc_rng_uniform(&r) * 5) : rcc_rng_uniform(&r) * 10 - 3;
        int map[6];
        CHECK_OK(rcc_hungarian_max(w, rows, cols, map));
        double s = 0;
        int used[6] = {0}, matched = 0;
        bool valid = true;
        for (int i = 0; i < rows; i++) {
            if (map[i] < 0)
                continue;
            valid &= map[i] < cols && !used[map[i]];
            if (map[i] < cols)
                used[map[i]] = 1;
            s += w[i * cols + map[i]];
            matched++;
        }
        valid &= matched == (rows < cols ? rows : cols);
        trials++;
        if (!valid || fabs(s - brute_best(w, rows, cols)) > 1e-9)
            bad++;
    }
    CHECK(bad == 0, "hungarian: %d of %d random matrices not optimal or not one-to-one", bad, trials);
}

static void test_assign_stats(void)
{
    int pred[12] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
    int64_t sizes[5];
    rcc_assign_stats st;
    CHECK_OK(rcc_assign_stats_compute(pred, 12, 4, NULL, NULL, sizes, &st));
    CHECK(sizes[0] == 3 && sizes[3] == 3 && st.nonempty == 4, "sizes");
    close_to("balanced size entropy", st.size_entropy, log(4.0), 1e-12);
    close_to("balanced normalised entropy", st.size_entropy_norm, 1.0, 1e-12);
    CHECK(isnan(st.mean_confidence), "no confidence without soft assignments");
    CHECK_OK(rcc_assign_stats_compute(pred, 12, 5, NULL, NULL, sizes, &st));
    CHECK(st.nonempty == 4 && sizes[4] == 0, "an empty fifth cluster");
    close_to("5-way normalised entropy", st.size_entropy_norm, log(4.0) / log(5.0), 1e-12);
    float soft[4 * 2] = {0.9f, 0.1f, 0.5f, 0.5f, 0.2f, 0.8f, 1.0f, 0.0f};
    int p2[4] = {0, 0, 1, 0};
    CHECK_OK(rcc_assign_stats_compute(p2, 4, 2, soft, NULL, sizes, &st));
    close_to("mean confidence", st.mean_confidence, (0.9 + 0.5 + 0.8 + 1.0) / 4, 1e-6);
    double h = -(0.9 * log(0.9) + 0.1 * log(0.1)) - 2 * 0.5 * log(0.5) - (0.2 * log(0.2) + 0.8 * log(0.8));
    close_to("mean soft entropy", st.mean_soft_entropy, h / 4, 1e-6);
    int badp[2] = {0, 7};
    CHECK(rcc_assign_stats_compute(badp, 2, 3, NULL, NULL, sizes, &st) == RCC_ERR_ARG, "out-of-range id rejected");
}


/* Sorted size profiles: a flat clustering against a long tail, by hand. */
static void test_size_profile(void)
{
    int64_t flat[4] = {25, 25, 25, 25}, tail[4] = {10, 40, 20, 30}, same[4] = {30, 10, 40, 20}, sp[5], st[5];
    rcc_size_profile p;
    CHECK_OK(rcc_size_profile_compare(same, 4, tail, 4, &p, sp, st));
    CHECK(p.parts == 4 && p.tv == 0 && sp[0] == 40 && sp[3] == 10 && st[0] == 40 && st[3] == 10, "same profile");
    CHECK(p.ratio_pred == 4 && p.ratio_true == 4, "ratios %g %g", p.ratio_pred, p.ratio_true);
    CHECK(p.kl >= 0 && p.kl < 1e-3, "KL of equal profiles only from the smoothing: %g", p.kl);
    CHECK_OK(rcc_size_profile_compare(flat, 4, tail, 4, &p, NULL, NULL));
    /* shares .25 each against .4 .3 .2 .1: TV = (.15 + .05 + .05 + .15)/2 */
    CHECK(fabs(p.tv - 0.2) < 1e-12 && p.ratio_pred == 1, "flat vs tail: TV %g", p.tv);
    double kl = 0, q[4] = {.4, .3, .2, .1};
    for (int r = 0; r < 4; r++)
        kl += q[r] * log(q[r] / (25.5 / 102.0));
    CHECK(fabs(p.kl - kl) < 1e-12, "KL %g, by hand %g", p.kl, kl);
    /* K = 5 against C = 4: the classes' profile padded with an empty rank */
    int64_t five[5] = {20, 0, 20, 20, 40};
    CHECK_OK(rcc_size_profile_compare(five, 5, tail, 4, &p, sp, st));
    CHECK(p.parts == 5 && st[4] == 0 && sp[4] == 0 && p.ratio_pred == 2 && fabs(p.tv - 0.1) < 1e-12,
          "K 5 vs C 4: parts %d TV %g ratio %g", p.parts, p.tv, p.ratio_pred);
    int64_t neg[2] = {3, -1}, zero[2] = {0, 0};
    CHECK(rcc_size_profile_compare(neg, 2, tail, 4, &p, NULL, NULL) == RCC_ERR_ARG, "negative size refused");
    CHECK(rcc_size_profile_compare(zero, 2, tail, 4, &p, NULL, NULL) == RCC_ERR_ARG, "no points refused");
}

/* ---------------------------------------------------------------- silhouette, CH, k-means */

static void test_cluster_fixture(void)
{
    rcc_st_file f;
    CHECK_OK(rcc_st_load(&f, RCC_FIXTURES "/eval_cluster.safetensors"));
    const char *names[] = {"blobs", "sphere", "noise"};
    for (int c = 0; c < 3; c++) {
        char name[64], what[96];
        size_t nx, n;
        snprintf(name, sizeof name, "%s.x", names[c]);
        const rcc_st_tensor *t = need(&f, name);
        int d = (int)t->dims[1];
        float *x = get_f32(&f, name, &nx);
        snprintf(name, sizeof name, "%s.labels", names[c]);
        int *lab = get_int(&f, name, &n);
        double want[3];
        snprintf(name, sizeof name, "%s.expect", names[c]);
        get_f64(&f, name, want, 3);
        int k = rcc_label_range(lab, n);
        double s;
        CHECK_OK(rcc_silhouette(x, n, d, lab, k, RCC_DIST_EUCLIDEAN, 0, 0, &s));
        snprintf(what, sizeof what, "%s: silhouette (euclidean)", names[c]);
        close_to(what, s, want[0], 1e-6);
        CHECK_OK(rcc_silhouette(x, n, d, lab, k, RCC_DIST_COSINE, 0, 0, &s));
        snprintf(what, sizeof what, "%s: silhouette (cosine)", names[c]);
        close_to(what, s, want[1], 1e-6);
        CHECK_OK(rcc_calinski_harabasz(x, n, d, lab, k, &s));
        snprintf(what, sizeof what, "%s: Calinski-Harabasz (relative)", names[c]);
        close_to(what, s / want[2], 1.0, 1e-6);
        /* a subsample gives a nearby value, and the same one for the same seed */
        double s1, s2;
        CHECK_OK(rcc_silhouette(x, n, d, lab, k, RCC_DIST_EUCLIDEAN, n / 2, 5, &s1));
        CHECK_OK(rcc_silhouette(x, n, d, lab, k, RCC_DIST_EUCLIDEAN, n / 2, 5, &s2));
        CHECK(s1 == s2 && fabs(s1 - want[0]) < 0.1, "%s: subsampled silhouette %.4f (full %.4f)", names[c], s1,
              want[0]);
        free(x), free(lab);
    }
    int one[4] = {0, 0, 0, 0};
    float xs[8] = {0, 1, 1, 0, 1, 1, 2, 2};
    double s;
    CHECK_OK(rcc_silhouette(xs, 4, 2, one, 1, RCC_DIST_EUCLIDEAN, 0, 0, &s));
    CHECK(isnan(s), "silhouette of a single cluster is undefined (NaN), got %g", s);
    rcc_st_close(&f);
}

/* Naive WCSS of (centres, assign), and whether every point sits at its nearest centre. */
static double naive_wcss(const float *x, size_t n, int d, const float *c, int k, const int *a, bool *nearest)
{
    double w = 0;
    *nearest = true;
    for (size_t i = 0; i < n; i++) {
        double best = INFINITY, own = 0;
        for (int j = 0; j < k; j++) {
            double e = 0;
            for (int t = 0; t < d; t++)
                e += ((double)x[i * d + t] - c[j * d + t]) * ((double)x[i * d + t] - c[j * d + t]);
            best = e < best ? e : best;
            if (j == a[i])
                own = e;
        }
        if (own > best * (1 + 1e-6) + 1e-12)
            *nearest = false;
        w += own;
    }
    return w;
}

static void test_kmeans_fixture(void)
{
    rcc_st_file f;
    CHECK_OK(rcc_st_load(&f, RCC_FIXTURES "/eval_kmeans.safetensors"));
    const char *names[] = {"blobs2d", "sphere", "uniform"};
    for (int c = 0; c < 3; c++) {
        char name[64];
        size_t nx, nk;
        snprintf(name, sizeof name, "%s.x", names[c]);
        const rcc_st_tensor *t = need(&f, name);
        size_t n = (size_t)t->dims[0];
        int d = (int)t->dims[1];
        float *x = get_f32(&f, name, &nx);
        snprintf(name, sizeof name, "%s.ks", names[c]);
        int *ks = get_int(&f, name, &nk);
        double inertia[8], best[8];
        snprintf(name, sizeof name, "%s.inertia", names[c]);
        get_f64(&f, name, inertia, nk);
        snprintf(name, sizeof name, "%s.best", names[c]);
        get_f64(&f, name, best, nk);
        for (size_t q = 0; q < nk; q++) {
            int k = ks[q];
            rcc_kmeans_config kc;
            rcc_kmeans_config_default(&kc, k);
            float *cen = malloc((size_t)k * d * sizeof *cen);
            int *a = malloc(n * sizeof *a);
            rcc_kmeans_result r;
            CHECK_OK(rcc_kmeans(x, n, d, &kc, cen, a, &r));
            double ratio = r.objective / inertia[q];
            printf("  k-means %-8s k=%2d: WCSS %.4f, scikit-learn %.4f (ratio %.5f), best of 10 seeds %.4f\n",
                   names[c], k, r.objective, inertia[q], ratio, best[q]);
            CHECK(ratio <= 1.01, "%s k=%d: WCSS %.4f more than 1%% above scikit-learn's %.4f", names[c], k,
                  r.objective, inertia[q]);
            CHECK(r.objective >= 0.99 * best[q], "%s k=%d: WCSS %.4f is below every scikit-learn run (%.4f): wrong sum",
                  names[c], k, r.objective, best[q]);
            bool nearest;
            double w = naive_wcss(x, n, d, cen, k, a, &nearest);
            CHECK(fabs(w - r.objective) <= 1e-5 * r.objective, "%s k=%d: reported WCSS %.6f, recomputed %.6f",
                  names[c], k, r.objective, w);
            CHECK(nearest, "%s k=%d: some point is not assigned to its nearest centre", names[c], k);
            free(cen), free(a);
        }
        free(x), free(ks);
    }
    rcc_st_close(&f);
}

/* Points near k random unit directions (Gaussian perturbation, renormalised); labels returned. */
static float *sphere_mixture(int k, size_t n, double sd, uint64_t seed, int *labels, double min_sep)
{
    rcc_rng r;
    rcc_rng_init(&r, seed, 0);
    double mu[64][3];
    for (int j = 0; j < k; j++) {
        for (int tries = 0; tries < 10000; tries++) {
            double v[3] = {rcc_rng_normal(&r), rcc_rng_normal(&r), rcc_rng_normal(&r)};
            double s = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            bool ok = true;
            for (int q = 0; q < j && ok; q++)
                ok = acos(fmin(1, (v[0] * mu[q][0] + v[1] * mu[q][1] + v[2] * mu[q][2]) / s)) >= min_sep;
            if (ok || tries == 9999) {
                for (int t = 0; t < 3; t++)
                    mu[j][t] = v[t] / s;
                break;
            }
        }
    }
    float *x = malloc(n * 3 * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        int j = (int)(i % (size_t)k); /* near-equal sizes */
        double v[3], s = 0;
        for (int t = 0; t < 3; t++) {
            v[t] = mu[j][t] + sd * rcc_rng_normal(&r);
            s += v[t] * v[t];
        }
        s = sqrt(s);
        for (int t = 0; t < 3; t++)
            x[i * 3 + t] = (float)(v[t] / s);
        if (labels)
            labels[i] = j;
    }
    return x;
}

/* Gaussian blobs in d dimensions around random centres in [−span, span]^d, unequal sizes. */
static float *gauss_mixture(int k, int d, size_t n, double sd, double span, uint64_t seed, int *labels)
{
    rcc_rng r;
    rcc_rng_init(&r, seed, 1);
    double cen[32][3];
    for (int j = 0; j < k; j++)
        for (int tries = 0; tries < 10000; tries++) {
            double dmin = INFINITY;
            for (int t = 0; t < d; t++)
                cen[j][t] = span * (2 * rcc_rng_uniform(&r) - 1);
            for (int q = 0; q < j; q++) {
                double e = 0;
                for (int t = 0; t < d; t++)
                    e += (cen[j][t] - cen[q][t]) * (cen[j][t] - cen[q][t]);
                dmin = fmin(dmin, sqrt(e));
            }
            if (dmin > 6 * sd)
                break;
        }
    float *x = malloc(n * (size_t)d * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double u = rcc_rng_uniform(&r);
        int j = (int)(k * u * u * 0.6 + k * u * 0.4); /* skewed sizes */
        j = j < k ? j : k - 1;
        for (int t = 0; t < d; t++)
            x[i * d + t] = (float)(cen[j][t] + sd * rcc_rng_normal(&r));
        if (labels)
            labels[i] = j;
    }
    return x;
}

static void test_kmeans_properties(void)
{
    /* thread count does not change the result */
    size_t n = 9000;
    int *lab = malloc(n * sizeof *lab);
    float *x = sphere_mixture(7, n, 0.12, 3, lab, 0.6);
    rcc_kmeans_config kc;
    rcc_kmeans_config_default(&kc, 7);
    kc.restarts = 3;
    float c1[21], c2[21];
    int *a1 = malloc(n * sizeof *a1), *a2 = malloc(n * sizeof *a2);
    rcc_kmeans_result r1, r2;
    rcc_set_threads(1); /* the library default, which rcc_kmeans computes with */
    CHECK_OK(rcc_kmeans(x, n, 3, &kc, c1, a1, &r1));
    rcc_set_threads(2);
    CHECK_OK(rcc_kmeans(x, n, 3, &kc, c2, a2, &r2));
    rcc_set_threads(0);
    CHECK(r1.objective == r2.objective && !memcmp(c1, c2, sizeof c1) && !memcmp(a1, a2, n * sizeof *a1),
          "k-means differs between 1 and 2 threads (%.17g vs %.17g)", r1.objective, r2.objective);

    /* stopped early (loose tolerance, or one iteration), the labels still match the final centres */
    for (int mode = 0; mode < 2; mode++) {
        rcc_kmeans_config_default(&kc, 12);
        kc.restarts = 2;
        if (mode == 0)
            kc.tol = 0.5;
        else
            kc.max_iter = 1;
        float c12[36];
        CHECK_OK(rcc_kmeans(x, n, 3, &kc, c12, a1, &r1));
        bool nearest;
        double w = naive_wcss(x, n, 3, c12, 12, a1, &nearest);
        CHECK(nearest && fabs(w - r1.objective) <= 1e-5 * w,
              "%s: labels not at the nearest final centre, or WCSS %.6f vs recomputed %.6f",
              mode ? "max_iter 1" : "tol 0.5", r1.objective, w);
    }
    rcc_kmeans_config_default(&kc, 7);
    kc.restarts = 3;

    /* spherical: unit centres, max-dot assignment, recovers well-separated directions */
    kc.metric = RCC_KMEANS_SPHERICAL;
    CHECK_OK(rcc_kmeans(x, n, 3, &kc, c1, a1, &r1));
    double worst_norm = 0, obj = 0;
    size_t wrong = 0;
    for (int j = 0; j < 7; j++)
        worst_norm = fmax(worst_norm, fabs(sqrt(dot_d(c1 + 3 * j, c1 + 3 * j, 3)) - 1));
    for (size_t i = 0; i < n; i++) {
        int b = 0;
        for (int j = 1; j < 7; j++)
            if (dot_d(x + 3 * i, c1 + 3 * j, 3) > dot_d(x + 3 * i, c1 + 3 * b, 3))
                b = j;
        wrong += b != a1[i] && dot_d(x + 3 * i, c1 + 3 * b, 3) > dot_d(x + 3 * i, c1 + 3 * a1[i], 3) + 1e-6;
        obj += 1 - dot_d(x + 3 * i, c1 + 3 * a1[i], 3);
    }
    CHECK(worst_norm < 1e-5, "spherical centres off the unit sphere by %.2g", worst_norm);
    CHECK(wrong == 0, "spherical: %zu points not at their max-dot centre", wrong);
    CHECK(fabs(obj - r1.objective) < 1e-4 * obj, "spherical objective %.6f, recomputed %.6f", r1.objective, obj);
    rcc_scores s;
    CHECK_OK(rcc_scores_compute(a1, lab, n, &s));
    CHECK(s.acc > 0.97, "spherical k-means ACC on separated directions: %.4f", s.acc);

    /* empty clusters: 3 distinct points repeated, k = 5 */
    float dup[40];
    for (int i = 0; i < 20; i++) {
        dup[2 * i] = (float)(i % 3);
        dup[2 * i + 1] = (float)((i % 3) * (i % 3));
    }
    float c5[10];
    int a5[20];
    rcc_kmeans_config_default(&kc, 5);
    kc.restarts = 2;
    CHECK_OK(rcc_kmeans(dup, 20, 2, &kc, c5, a5, &r1));
    int64_t sizes[5];
    rcc_assign_stats st;
    CHECK_OK(rcc_assign_stats_compute(a5, 20, 5, NULL, NULL, sizes, &st));
    CHECK(st.nonempty == 5 && r1.objective == 0 && r1.empty_fixed > 0,
          "duplicates: %d non-empty clusters, WCSS %g, %d re-seeded (want 5, 0, > 0)", st.nonempty, r1.objective,
          r1.empty_fixed);
    bool finite = true;
    for (int q = 0; q < 10; q++)
        finite &= isfinite(c5[q]);
    CHECK(finite, "duplicates: a centre is not finite");

    /* bad input */
    CHECK(rcc_kmeans(dup, 4, 2, &kc, c5, a5, &r1) == RCC_ERR_ARG, "n < k rejected");
    dup[3] = NAN;
    CHECK(rcc_kmeans(dup, 20, 2, &kc, c5, a5, &r1) == RCC_ERR_NUMERIC, "NaN rejected");
    free(x), free(lab), free(a1), free(a2);
}

/* ---------------------------------------------------------------- k selection */

static void test_kneedle(void)
{
    double y[30];
    for (int k = 1; k <= 30; k++) /* steep to k = 5, then a gentle slope */
        y[k - 1] = k <= 5 ? 100 - 22.5 * (k - 1) : 10 - 10.0 * (k - 5) / 25;
    double s;
    int e = rcc_kneedle(y, 30, 1, &s);
    CHECK(e == 5 && s > 0.5, "kneedle on a piecewise-linear curve: %d (strength %.3f), want 5", e, s);
    for (int k = 1; k <= 30; k++)
        y[k - 1] = 1.0 / k + 0.3 / (k * k * k); /* still convex; knee early */
    e = rcc_kneedle(y, 30, 1, NULL);
    CHECK(e >= 2 && e <= 6, "kneedle on 1/k: %d", e);
    for (int k = 1; k <= 30; k++)
        y[k - 1] = 30 - k; /* a line: no knee */
    e = rcc_kneedle(y, 30, 1, &s);
    CHECK(e == 1 && s < 1e-12, "kneedle on a line: %d (strength %g), want 1 and 0", e, s);
    for (int k = 1; k <= 30; k++)
        y[k - 1] = 900 - k * k; /* concave: never below the chord */
    e = rcc_kneedle(y, 30, 1, NULL);
    CHECK(e == 1, "kneedle on a concave curve: %d, want 1", e);
}

typedef struct {
    const char *name;
    int true_k;
    float *x;
    size_t n;
    int d;
    rcc_kmeans_metric metric;
} ks_case;

static void test_kselect_synthetic(void)
{
    ks_case cases[5] = {
        {"2-D Gaussian blobs", 4, gauss_mixture(4, 2, 1200, 0.5, 5, 21, NULL), 1200, 2, RCC_KMEANS_EUCLIDEAN},
        {"3-D Gaussian blobs", 6, gauss_mixture(6, 3, 1500, 0.6, 6, 22, NULL), 1500, 3, RCC_KMEANS_EUCLIDEAN},
        {"sphere, 10 directions, spherical", 10, sphere_mixture(10, 2000, 0.12, 23, NULL, 0.6), 2000, 3,
         RCC_KMEANS_SPHERICAL},
        {"sphere, 5 directions, Euclidean", 5, sphere_mixture(5, 1500, 0.2, 24, NULL, 0.9), 1500, 3,
         RCC_KMEANS_EUCLIDEAN},
        {"sphere, 3 directions, spherical", 3, sphere_mixture(3, 1000, 0.3, 25, NULL, 1.2), 1000, 3,
         RCC_KMEANS_SPHERICAL},
    };
    for (int c = 0; c < 5; c++) {
        rcc_kselect_config kc;
        rcc_kselect_config_default(&kc);
        kc.kmax = 15;
        kc.restarts = 4;
        kc.metric = cases[c].metric;
        kc.silhouette_sample = 1000;
        rcc_kselect_result r;
        CHECK_OK(rcc_kselect(cases[c].x, cases[c].n, cases[c].d, &kc, &r));
        printf("  kselect %-34s true %2d: elbow %2d, best silhouette %2d, best CH %2d, chosen %2d (%.2f s)\n",
               cases[c].name, cases[c].true_k, r.elbow, r.best_silhouette, r.best_ch, r.chosen, r.seconds);
        CHECK(r.chosen == cases[c].true_k, "kselect on %s: chose %d, true %d (%s)", cases[c].name, r.chosen,
              cases[c].true_k, r.rule);
        bool mono = true;
        for (int k = 2; k <= r.kmax; k++)
            mono &= r.wcss[k] <= r.wcss[k - 1] * (1 + 1e-3);
        CHECK(mono, "%s: WCSS is not non-increasing in k", cases[c].name);
        rcc_kselect_result_free(&r);
        free(cases[c].x);
    }
    /* no structure: uniform points on the sphere are flagged weak */
    size_t n = 1500;
    float *u = sphere_mixture(1, n, 100.0, 26, NULL, 0);
    rcc_kselect_config kc;
    rcc_kselect_config_default(&kc);
    kc.kmax = 10;
    kc.restarts = 2;
    rcc_kselect_result r;
    CHECK_OK(rcc_kselect(u, n, 3, &kc, &r));
    CHECK(r.weak, "uniform sphere: best silhouette %.3f not flagged weak", r.silhouette[r.best_silhouette]);
    printf("  kselect uniform sphere: chosen %d, best silhouette %.3f, weak %d (%s)\n", r.chosen,
           r.silhouette[r.best_silhouette], r.weak, r.rule);
    rcc_kselect_result_free(&r);
    free(u);
}

/* ---------------------------------------------------------------- probe */

static void test_split(void)
{
    size_t n = 157;
    int lab[157];
    for (size_t i = 0; i < n; i++)
        lab[i] = i < 100 ? 0 : i < 150 ? 1 : 2;
    size_t p1[157], p2[157], p3[157], nt1, nt2, nt3;
    CHECK_OK(rcc_split(lab, n, 3, 0.2f, true, 9, p1, &nt1));
    CHECK_OK(rcc_split(lab, n, 3, 0.2f, true, 9, p2, &nt2));
    CHECK_OK(rcc_split(lab, n, 3, 0.2f, true, 10, p3, &nt3));
    int seen[157] = {0}, tc[3] = {0};
    bool perm = true;
    for (size_t i = 0; i < n; i++)
        perm &= p1[i] < n && !seen[p1[i]]++;
    for (size_t i = 0; i < nt1; i++)
        tc[lab[p1[i]]]++;
    CHECK(perm, "split is not a permutation");
    CHECK(nt1 == 31 && tc[0] == 20 && tc[1] == 10 && tc[2] == 1, "stratified test counts %d %d %d (n_test %zu)",
          tc[0], tc[1], tc[2], nt1);
    CHECK(nt1 == nt2 && !memcmp(p1, p2, sizeof p1), "same seed, same split");
    CHECK(memcmp(p1, p3, sizeof p1) != 0, "another seed, another split");
    CHECK_OK(rcc_split(lab, n, 3, 0.2f, false, 9, p3, &nt3));
    CHECK(nt3 == 31, "random split size %zu, want round(0.2 n) = 31", nt3);
}

static void test_probe(void)
{
    /* separable: four quadrants of two planes through the origin, with a margin, on the sphere */
    size_t n = 3000, m = 0;
    float *x = malloc(n * 3 * sizeof *x);
    int *lab = malloc(n * sizeof *lab);
    rcc_rng r;
    rcc_rng_init(&r, 31, 0);
    while (m < n) {
        double v[3] = {rcc_rng_normal(&r), rcc_rng_normal(&r), rcc_rng_normal(&r)};
        double s = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        for (int t = 0; t < 3; t++)
            v[t] /= s;
        if (fabs(v[0]) < 0.15 || fabs(v[1] - 0.3 * v[2]) < 0.15)
            continue;
        for (int t = 0; t < 3; t++)
            x[m * 3 + t] = (float)v[t];
        lab[m++] = (v[0] > 0) * 2 + (v[1] - 0.3 * v[2] > 0);
    }
    rcc_probe_config pc;
    rcc_probe_config_default(&pc);
    rcc_probe_result def, good;
    CHECK_OK(rcc_probe_run(x, lab, n, 3, 4, &pc, &def, NULL));
    pc.lr = 1e-2f;
    pc.epochs = 40;
    float w[4 * 4];
    CHECK_OK(rcc_probe_run(x, lab, n, 3, 4, &pc, &good, w));
    printf("  probe, separable 4 classes: defaults (lr 1e-4, 5 epochs) test %.4f train %.4f; lr 1e-2, 40 epochs "
           "test %.4f train %.4f\n",
           def.test_acc, def.train_acc, good.test_acc, good.train_acc);
    CHECK(good.test_acc >= 0.99 && good.train_acc >= 0.99, "separable probe: test %.4f train %.4f", good.test_acc,
          good.train_acc);
    CHECK(good.n_test == 600 && good.n_train == 2400, "split sizes %zu/%zu", good.n_train, good.n_test);
    CHECK(good.test_acc >= def.test_acc, "more training made the probe worse");
    /* the returned weights classify like the reported accuracy */
    size_t hit = 0;
    for (size_t i = 0; i < n; i++) {
        int b = 0;
        double bs = -INFINITY;
        for (int c = 0; c < 4; c++) {
            double s = w[c * 4 + 3] + dot_d(w + c * 4, x + 3 * i, 3);
            if (s > bs)
                bs = s, b = c;
        }
        hit += b == lab[i];
    }
    CHECK(hit >= 0.99 * n, "weights classify %zu of %zu", hit, n);
    /* random labels: chance */
    for (size_t i = 0; i < n; i++)
        lab[i] = (int)(rcc_rng_uniform(&r) * 5);
    rcc_probe_result rnd;
    CHECK_OK(rcc_probe_run(x, lab, n, 3, 5, &pc, &rnd, NULL));
    printf("  probe, random 5 labels: test %.4f (chance 0.2, majority %.4f)\n", rnd.test_acc, rnd.majority_acc);
    CHECK(fabs(rnd.test_acc - 0.2) < 0.07, "random labels: test accuracy %.4f, want about 0.2", rnd.test_acc);
    /* determinism */
    rcc_probe_result again;
    CHECK_OK(rcc_probe_run(x, lab, n, 3, 5, &pc, &again, NULL));
    CHECK(again.test_acc == rnd.test_acc && again.train_loss == rnd.train_loss, "probe not reproducible");
    CHECK(rcc_probe_run(x, lab, n, 3, 4, &pc, &again, NULL) == RCC_ERR_ARG, "label >= classes rejected");
    free(x), free(lab);
}

/* ---------------------------------------------------------------- files */

static const char *outdir = "eval_test_out";

static char *path_in(const char *name)
{
    static char buf[8][512];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof buf[i], "%s/%s", outdir, name);
    return buf[i];
}

static void write_text(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (f) {
        fputs(s, f);
        fclose(f);
    }
}

/* A version-1 .npy with the given descr/shape/fortran flag and raw data. */
static void write_npy_raw(const char *path, const char *descr, const char *shape, bool fortran, const void *data,
                          size_t bytes)
{
    char h[256];
    int hl = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr,
                      fortran ? "True" : "False", shape);
    while ((10 + hl + 1) % 16)
        h[hl++] = ' ';
    h[hl++] = '\n';
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)hl, 0};
    unsigned char *all = malloc(10 + (size_t)hl + bytes);
    memcpy(all, pre, 10);
    memcpy(all + 10, h, (size_t)hl);
    memcpy(all + 10 + hl, data, bytes);
    write_bytes(path, all, 10 + (size_t)hl + bytes);
    free(all);
}

static void test_files(void)
{
    mkdir(outdir, 0755);
    /* .npy round trips */
    float a[6] = {1.5f, -2, 3, 4, 5e-3f, 6};
    CHECK_OK(rcc_npy_write_f32(path_in("a.npy"), a, 2, 3));
    float *ra = NULL;
    size_t rows = 0, cols = 0;
    CHECK_OK(rcc_npy_read_f32(path_in("a.npy"), &ra, &rows, &cols));
    CHECK(rows == 2 && cols == 3 && ra && !memcmp(ra, a, sizeof a), "f32 .npy round trip");
    free(ra);
    int ia[5] = {3, 0, 2, 9, 1};
    CHECK_OK(rcc_npy_write_i32(path_in("i.npy"), ia, 5));
    int *ri = NULL;
    CHECK_OK(rcc_npy_read_int(path_in("i.npy"), &ri, &rows, &cols));
    CHECK(rows == 5 && cols == 1 && ri && !memcmp(ri, ia, sizeof ia), "i32 .npy round trip");
    free(ri);
    /* other dtypes and Fortran order */
    double f8[6] = {1, 2, 3, 4, 5, 6}; /* Fortran 2x3: column-major, so row 0 is 1 3 5 */
    write_npy_raw(path_in("f8.npy"), "<f8", "(2, 3)", true, f8, sizeof f8);
    CHECK_OK(rcc_npy_read_f32(path_in("f8.npy"), &ra, &rows, &cols));
    CHECK(rows == 2 && cols == 3 && ra[0] == 1 && ra[1] == 3 && ra[2] == 5 && ra[3] == 2, "f8 Fortran .npy");
    free(ra);
    unsigned char u1[4] = {7, 0, 255, 3};
    write_npy_raw(path_in("u1.npy"), "|u1", "(4,)", false, u1, 4);
    CHECK_OK(rcc_npy_read_int(path_in("u1.npy"), &ri, &rows, &cols));
    CHECK(rows == 4 && ri[0] == 7 && ri[2] == 255, "u1 .npy");
    free(ri);
    int64_t i8[3] = {-4, 5, 1 << 20};
    write_npy_raw(path_in("i8.npy"), "<i8", "(3,)", false, i8, sizeof i8);
    CHECK_OK(rcc_npy_read_int(path_in("i8.npy"), &ri, &rows, &cols));
    CHECK(rows == 3 && ri[0] == -4 && ri[2] == 1 << 20, "i8 .npy");
    free(ri);
    write_npy_raw(path_in("short.npy"), "<f4", "(10, 3)", false, a, sizeof a);
    CHECK(rcc_npy_read_f32(path_in("short.npy"), &ra, &rows, &cols) == RCC_ERR_FORMAT, "truncated .npy rejected");
    write_npy_raw(path_in("big.npy"), ">f4", "(1,)", false, a, 4);
    CHECK(rcc_npy_read_f32(path_in("big.npy"), &ra, &rows, &cols) == RCC_ERR_FORMAT, "big-endian .npy rejected");
    write_text(path_in("notnpy.npy"), "hello");
    CHECK(rcc_npy_read_f32(path_in("notnpy.npy"), &ra, &rows, &cols) == RCC_ERR_FORMAT, "non-npy rejected");
    CHECK(rcc_npy_read_f32(path_in("missing.npy"), &ra, &rows, &cols) == RCC_ERR_IO, "missing file: IO error");

    /* labels: IDX raw and gzip, CSV with a shuffled index column, plain lines */
    unsigned char idx[8 + 5] = {0, 0, 8, 1, 0, 0, 0, 5, 4, 0, 9, 1, 1};
    write_bytes(path_in("l.idx"), idx, sizeof idx);
    gzFile g = gzopen(path_in("l.idx.gz"), "wb");
    gzwrite(g, idx, sizeof idx);
    gzclose(g);
    const char *lp[2] = {"l.idx", "l.idx.gz"};
    for (int q = 0; q < 2; q++) {
        int *l = NULL;
        size_t n = 0;
        CHECK_OK(rcc_labels_load(path_in(lp[q]), &l, &n));
        CHECK(n == 5 && l && l[0] == 4 && l[2] == 9 && l[4] == 1, "IDX labels %s", lp[q]);
        free(l);
    }
    idx[3] = 3; /* an image file's magic */
    write_bytes(path_in("img.idx"), idx, sizeof idx);
    int *l = NULL;
    size_t n = 0;
    CHECK(rcc_labels_load(path_in("img.idx"), &l, &n) == RCC_ERR_FORMAT, "IDX image magic rejected as labels");
    write_text(path_in("l.csv"), "index,label\n2,7\n0,5\n1,6\n");
    CHECK_OK(rcc_labels_load(path_in("l.csv"), &l, &n));
    CHECK(n == 3 && l[0] == 5 && l[1] == 6 && l[2] == 7, "CSV labels by index");
    free(l);
    write_text(path_in("l.txt"), "# one label a line\n3\n1\n\n2\n");
    CHECK_OK(rcc_labels_load(path_in("l.txt"), &l, &n));
    CHECK(n == 3 && l[0] == 3 && l[1] == 1 && l[2] == 2, "plain label lines");
    free(l);
    write_text(path_in("bad.csv"), "label\n1\nx\n");
    CHECK(rcc_labels_load(path_in("bad.csv"), &l, &n) == RCC_ERR_FORMAT, "non-integer label rejected");
    /* .npy labels: the data sets' one label reader (1-D or N×1 integers in 0..65535) */
    int64_t l8[3] = {2, 0, 1};
    int32_t l4[3] = {4, 5, 6}, neg[2] = {-1, 3};
    write_npy_raw(path_in("l8.npy"), "<i8", "(3,)", false, l8, sizeof l8);
    CHECK_OK(rcc_labels_load(path_in("l8.npy"), &l, &n));
    CHECK(n == 3 && l && l[0] == 2 && l[2] == 1, ".npy int64 labels");
    free(l);
    write_npy_raw(path_in("l4.npy"), "<i4", "(3, 1)", false, l4, sizeof l4);
    CHECK_OK(rcc_labels_load(path_in("l4.npy"), &l, &n));
    CHECK(n == 3 && l && l[0] == 4 && l[2] == 6, ".npy N x 1 labels");
    free(l);
    write_npy_raw(path_in("neg.npy"), "<i4", "(2,)", false, neg, sizeof neg);
    CHECK(rcc_labels_load(path_in("neg.npy"), &l, &n) == RCC_ERR_FORMAT, "a negative .npy label rejected");
    write_npy_raw(path_in("lf.npy"), "<f4", "(3,)", false, a, 12);
    CHECK(rcc_labels_load(path_in("lf.npy"), &l, &n) == RCC_ERR_FORMAT && strstr(rcc_last_error(), "integer"),
          "float .npy labels rejected, saying integers are needed");

    /* predictions: header by name, positional with index, path names, soft .npy */
    rcc_predictions p;
    write_text(path_in("p1.csv"), "index,cluster,confidence\n1,4,0.5\n0,2,0.25\n");
    CHECK_OK(rcc_predictions_load(path_in("p1.csv"), &p));
    CHECK(p.n == 2 && p.cluster[0] == 2 && p.cluster[1] == 4 && p.confidence && p.confidence[0] == 0.25f,
          "predictions with a header");
    rcc_predictions_free(&p);
    write_text(path_in("p2.csv"), "/data/a.png,3,0.9\n/data/b.png,1,0.8\n/data/c.png,3,0.7\n");
    CHECK_OK(rcc_predictions_load(path_in("p2.csv"), &p));
    CHECK(p.n == 3 && p.cluster[0] == 3 && p.cluster[1] == 1 && p.confidence[2] == 0.7f,
          "path,cluster,confidence rows in file order");
    rcc_predictions_free(&p);
    write_text(path_in("p3.csv"), "1,0\n0,5\n");
    CHECK_OK(rcc_predictions_load(path_in("p3.csv"), &p));
    CHECK(p.n == 2 && p.cluster[0] == 5 && p.cluster[1] == 0 && !p.confidence, "index,cluster rows");
    rcc_predictions_free(&p);
    write_text(path_in("p4.csv"), "index,cluster\n0,1\n0,2\n");
    CHECK(rcc_predictions_load(path_in("p4.csv"), &p) == RCC_ERR_FORMAT, "repeated index rejected");
    float soft[6] = {0.1f, 0.7f, 0.2f, 0.6f, 0.3f, 0.1f};
    CHECK_OK(rcc_npy_write_f32(path_in("soft.npy"), soft, 2, 3));
    CHECK_OK(rcc_predictions_load(path_in("soft.npy"), &p));
    CHECK(p.n == 2 && p.k_soft == 3 && p.cluster[0] == 1 && p.cluster[1] == 0 && p.confidence[0] == 0.7f,
          "soft assignments .npy");
    rcc_predictions_free(&p);
    /* found by fuzz/fuzz_npy: the bad value was read after its buffer was freed (ASan catches it) */
    float frac[3] = {1, 2.5f, 0};
    CHECK_OK(rcc_npy_write_f32(path_in("frac.npy"), frac, 3, 0));
    CHECK(rcc_predictions_load(path_in("frac.npy"), &p) == RCC_ERR_FORMAT && strstr(rcc_last_error(), "(2.5)"),
          "a fractional cluster id is refused naming it: %s", rcc_last_error());
    /* a header of 2^40 rows of nothing made the readers allocate terabytes */
    write_npy_raw(path_in("nocols.npy"), "<f4", "(1099511627776, 0)", false, frac, 0);
    CHECK(rcc_predictions_load(path_in("nocols.npy"), &p) == RCC_ERR_FORMAT && strstr(rcc_last_error(), "no columns"),
          "an N x 0 .npy is refused: %s", rcc_last_error());
    int d0;
    CHECK(rcc_features_load(path_in("nocols.npy"), &ra, &rows, &d0) == RCC_ERR_FORMAT, "N x 0 features refused");
    /* a device is written to, not replaced; a full one is an error */
    rcc_status wst = rcc_npy_write_f32("/dev/full", soft, 2, 3);
    CHECK(wst == RCC_ERR_IO && strstr(rcc_last_error(), "No space"), "writing to /dev/full fails: %s",
          rcc_last_error());
    struct stat dsb;
    CHECK(stat("/dev/full", &dsb) == 0 && S_ISCHR(dsb.st_mode), "/dev/full is still a device");

    /* features from CSV: a path column and a header are skipped */
    write_text(path_in("h.csv"), "path,h0,h1,h2\na.png,0.5,0.5,0.7071\nb.png,1,0,0\n");
    float *h = NULL;
    int d = 0;
    CHECK_OK(rcc_features_load(path_in("h.csv"), &h, &n, &d));
    CHECK(n == 2 && d == 3 && h[0] == 0.5f && h[3] == 1, "CSV features");
    free(h);
}

/* ---------------------------------------------------------------- the commands */

static int run(const char *args, char *out, size_t cap)
{
    /* fontconfig (under cairo's text) keeps caches until exit; LeakSanitizer would call them leaks */
    char supp[600], cmd[4096];
    snprintf(supp, sizeof supp, "%s/lsan.supp", outdir);
    FILE *sf = fopen(supp, "w");
    if (sf) {
        fputs("leak:libfontconfig\n", sf);
        fclose(sf);
    }
    snprintf(cmd, sizeof cmd, "LSAN_OPTIONS=suppressions='%s' '%s' %s 2>%s/stderr.txt", supp, RCC_BINARY, args,
             outdir);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    size_t len = 0;
    if (out) {
        len = fread(out, 1, cap - 1, f);
        out[len] = 0;
    } else {
        char sink[4096];
        while (fread(sink, 1, sizeof sink, f) > 0) {
        }
    }
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool is_png(const char *path)
{
    unsigned char b[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t got = fread(b, 1, 8, f);
    fclose(f);
    return got == 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8);
}

static double json_num(const char *txt, const char *key)
{
    cJSON *o = cJSON_Parse(txt);
    const cJSON *it = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    double v = cJSON_IsNumber(it) ? it->valuedouble : NAN;
    cJSON_Delete(o);
    return v;
}

static void test_cli(void)
{
    mkdir(outdir, 0755);
    size_t n = 1200;
    int *lab = malloc(n * sizeof *lab), *pred = malloc(n * sizeof *pred);
    float *h = sphere_mixture(6, n, 0.15, 41, lab, 0.8);
    CHECK_OK(rcc_npy_write_f32(path_in("h.npy"), h, n, 3));
    CHECK_OK(rcc_npy_write_i32(path_in("labels.npy"), lab, n));
    /* predictions: a permutation of the labels with 10% noise, as CSV with confidences */
    rcc_rng r;
    rcc_rng_init(&r, 42, 0);
    FILE *f = fopen(path_in("pred.csv"), "w");
    fprintf(f, "index,cluster,confidence\n");
    for (size_t i = 0; i < n; i++) {
        pred[i] = rcc_rng_uniform(&r) < 0.1 ? (int)(rcc_rng_uniform(&r) * 7) : (lab[i] + 2) % 7;
        fprintf(f, "%zu,%d,%.3f\n", i, pred[i], 0.5 + 0.5 * rcc_rng_uniform(&r));
    }
    fclose(f);
    rcc_scores want;
    CHECK_OK(rcc_scores_compute(pred, lab, n, &want));

    char out[65536], args[1024];
    snprintf(args, sizeof args, "eval --pred %s --labels %s --json --confusion %s", path_in("pred.csv"),
             path_in("labels.npy"), path_in("confusion.png"));
    CHECK(run(args, out, sizeof out) == 0, "rcc eval failed: %s", args);
    close_to("rcc eval --json acc", json_num(out, "acc"), want.acc, 1e-9);
    close_to("rcc eval --json nmi", json_num(out, "nmi"), want.nmi, 1e-9);
    CHECK(json_num(out, "clusters") == 7, "rcc eval: clusters %g, want 7", json_num(out, "clusters"));
    CHECK(is_png(path_in("confusion.png")), "rcc eval --confusion wrote no PNG");
    snprintf(args, sizeof args, "eval --pred %s", path_in("pred.csv"));
    CHECK(run(args, out, sizeof out) == 0 && strstr(out, "cluster sizes") && strstr(out, "mean confidence"),
          "rcc eval without labels: %s", out);
    snprintf(args, sizeof args, "eval --pred %s --labels %s", path_in("pred.csv"), path_in("l.csv"));
    CHECK(run(args, out, sizeof out) != 0, "rcc eval accepted labels of another length");
    snprintf(args, sizeof args, "eval --pred %s", path_in("nonexistent.csv"));
    CHECK(run(args, out, sizeof out) != 0, "rcc eval accepted a missing file");
    CHECK(run("eval", out, sizeof out) != 0, "rcc eval without --pred succeeded");

    snprintf(args, sizeof args, "probe --features %s --labels %s --lr 0.01 --epochs 60 --batch 32 --json", path_in("h.npy"),
             path_in("labels.npy"));
    CHECK(run(args, out, sizeof out) == 0, "rcc probe failed");
    double acc = json_num(out, "test_acc");
    CHECK(acc > 0.95, "rcc probe test accuracy %.4f on separated directions", acc);
    CHECK(json_num(out, "n_test") == 240, "rcc probe: %g test points, want 240", json_num(out, "n_test"));

    snprintf(args, sizeof args, "kselect --features %s --kmax 10 --restarts 3 --plot %s --assign %s --json",
             path_in("h.npy"), path_in("kselect.png"), path_in("assign.npy"));
    CHECK(run(args, out, sizeof out) == 0, "rcc kselect failed");
    CHECK(json_num(out, "chosen") == 6, "rcc kselect chose %g, want 6", json_num(out, "chosen"));
    CHECK(is_png(path_in("kselect.png")), "rcc kselect --plot wrote no PNG");
    int *as = NULL;
    size_t rows = 0, cols = 0;
    CHECK_OK(rcc_npy_read_int(path_in("assign.npy"), &as, &rows, &cols));
    if (as && rows == n) {
        rcc_scores s;
        CHECK_OK(rcc_scores_compute(as, lab, n, &s));
        CHECK(s.acc > 0.97, "kselect --assign: ACC %.4f", s.acc);
    }
    free(as);
    snprintf(args, sizeof args, "kselect --features %s --kmax 0", path_in("h.npy"));
    CHECK(run(args, out, sizeof out) == 2, "rcc kselect --kmax 0 should be a usage error");

    snprintf(args, sizeof args, "plot sphere --features %s --labels %s --out %s", path_in("h.npy"),
             path_in("labels.npy"), path_in("sphere.png"));
    CHECK(run(args, out, sizeof out) == 0 && is_png(path_in("sphere.png")), "rcc plot sphere");
    snprintf(args, sizeof args, "plot sphere --features %s --pred %s --views 2 --hide-back --out %s",
             path_in("h.npy"), path_in("pred.csv"), path_in("sphere_pred.png"));
    CHECK(run(args, out, sizeof out) == 0 && is_png(path_in("sphere_pred.png")), "rcc plot sphere --pred");
    snprintf(args, sizeof args, "plot sphere --features %s --out %s", path_in("i.npy"), path_in("bad.png"));
    CHECK(run(args, out, sizeof out) == 1, "rcc plot sphere accepted 1-D features");

    snprintf(args, sizeof args, "plot kselect --features %s --kmax 8 --restarts 2 --spherical --out %s",
             path_in("h.npy"), path_in("kselect_sph.png"));
    CHECK(run(args, out, sizeof out) == 0 && is_png(path_in("kselect_sph.png")), "rcc plot kselect");

    /* a metrics file as training writes it: step lines, epoch means, eval lines */
    f = fopen(path_in("metrics.jsonl"), "w");
    for (int e = 0; e < 12; e++) {
        for (int s = 0; s < 4; s++) {
            double t = e + s / 4.0;
            fprintf(f,
                    "{\"kind\":\"step\",\"epoch\":%d,\"step\":%d,\"ins\":%.5f,\"clu_nce\":%.5f,\"entropy\":%.5f,"
                    "\"unif\":%.5f,\"total\":%.5f}\n",
                    e, e * 4 + s, 5 * exp(-t / 4) + 1, 2.3 - 0.05 * t, 0.1 * exp(-t), -3 - 0.05 * t,
                    0.95 * (5 * exp(-t / 4) + 3.3) + 0.05 * (-3 - 0.05 * t));
        }
        if (e % 3 == 2)
            fprintf(f, "{\"kind\":\"eval\",\"epoch\":%d,\"step\":%d,\"acc\":%.4f,\"nmi\":%.4f,\"ari\":%.4f}\n", e,
                    e * 4 + 3, 0.5 + 0.04 * e, 0.45 + 0.035 * e, 0.35 + 0.045 * e);
    }
    fclose(f);
    snprintf(args, sizeof args, "plot curves --metrics %s --out %s", path_in("metrics.jsonl"), path_in("curves.png"));
    CHECK(run(args, out, sizeof out) == 0 && is_png(path_in("curves.png")), "rcc plot curves");
    write_text(path_in("empty.jsonl"), "\n");
    snprintf(args, sizeof args, "plot curves --metrics %s --out %s", path_in("empty.jsonl"), path_in("none.png"));
    CHECK(run(args, out, sizeof out) != 0, "rcc plot curves accepted an empty metrics file");

    snprintf(args, sizeof args, "plot confusion --pred %s --labels %s --out %s", path_in("pred.csv"),
             path_in("labels.npy"), path_in("confusion2.png"));
    CHECK(run(args, out, sizeof out) == 0 && is_png(path_in("confusion2.png")), "rcc plot confusion");
    CHECK(run("plot nosuchkind", out, sizeof out) == 2, "rcc plot with an unknown kind should fail with 2");
    free(h), free(lab), free(pred);
}

/* ---------------------------------------------------------------- evidence for the k rule */

/* A random rotation (Gram–Schmidt on normal vectors), d ≤ 3. */
static void random_rotation(rcc_rng *r, int d, double R[3][3])
{
    for (int i = 0; i < d; i++) {
        for (int t = 0; t < d; t++)
            R[i][t] = rcc_rng_normal(r);
        for (int q = 0; q < i; q++) {
            double p = 0;
            for (int t = 0; t < d; t++)
                p += R[i][t] * R[q][t];
            for (int t = 0; t < d; t++)
                R[i][t] -= p * R[q][t];
        }
        double s = 0;
        for (int t = 0; t < d; t++)
            s += R[i][t] * R[i][t];
        for (int t = 0; t < d; t++)
            R[i][t] /= sqrt(s);
    }
}

/* Mixtures for the evidence sweep: Gaussian blobs (d = 2, 3) or caps on the sphere (d = 3, the
 * perturbation renormalised); optionally elongated (axis ratios up to 5, random orientation per
 * cluster) and with spreads varying by a factor of 3 between clusters; skewed sizes. */
static float *mixture(rcc_rng *r, int k, int d, size_t n, double sd, bool sphere, bool aniso, bool unequal)
{
    double cen[16][3], A[16][3][3], sdj[16];
    for (int j = 0; j < k; j++) {
        for (int tries = 0; tries < 2000; tries++) {
            double v[3] = {0, 0, 0}, s = 0;
            for (int t = 0; t < d; t++) {
                v[t] = sphere ? rcc_rng_normal(r) : 5 * (2 * rcc_rng_uniform(r) - 1);
                s += v[t] * v[t];
            }
            for (int t = 0; t < d && sphere; t++)
                v[t] /= sqrt(s);
            double dmin = INFINITY;
            for (int q = 0; q < j; q++) {
                double e = 0;
                for (int t = 0; t < d; t++)
                    e += (v[t] - cen[q][t]) * (v[t] - cen[q][t]);
                dmin = fmin(dmin, sqrt(e));
            }
            memcpy(cen[j], v, sizeof v);
            if (dmin > (sphere ? 0.5 : 6 * sd))
                break;
        }
        sdj[j] = sd * (unequal ? 0.6 + 1.2 * rcc_rng_uniform(r) : 1.0);
        double R[3][3], sc[3];
        random_rotation(r, d, R);
        double g = 1;
        for (int t = 0; t < d; t++) {
            sc[t] = aniso ? exp(log(5.0) * (rcc_rng_uniform(r) - 0.5)) : 1;
            g *= sc[t];
        }
        g = pow(g, 1.0 / d);
        for (int a = 0; a < d; a++)
            for (int t = 0; t < d; t++)
                A[j][a][t] = R[a][t] * sc[a] / g;
    }
    float *x = malloc(n * (size_t)d * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double u = rcc_rng_uniform(r);
        int j = (int)(k * (0.6 * u * u + 0.4 * u));
        j = j < k ? j : k - 1;
        double z[3], v[3] = {0, 0, 0}, s = 0;
        for (int t = 0; t < d; t++)
            z[t] = rcc_rng_normal(r);
        for (int t = 0; t < d; t++) {
            for (int a = 0; a < d; a++)
                v[t] += A[j][a][t] * z[a];
            v[t] = cen[j][t] + sdj[j] * v[t];
            s += v[t] * v[t];
        }
        for (int t = 0; t < d; t++)
            x[i * d + t] = (float)(sphere ? v[t] / sqrt(s) : v[t]);
    }
    return x;
}

enum { EV_ELBOW, EV_SIL, EV_CH, EV_VOTE_SIL, EV_VOTE_CH, EV_RULE, EV_N };
static const char *ev_name[EV_N] = {"kneedle elbow", "silhouette max", "Calinski-Harabasz max",
                                    "vote, silhouette breaks ties", "vote, CH breaks ties",
                                    "median of the three (the rule)"};

/* RCC_EVAL_EVIDENCE=SEED test_eval: random mixtures with a known k (2..12) of four shapes, kselect
 * with kmax 30, and how often each criterion and rule finds the true k. */
static void evidence(void)
{
    const int trials = 240;
    int hit[4][EV_N] = {{0}}, cnt[4] = {0}, near[EV_N] = {0};
    static const char *shape[4] = {"isotropic, equal spread", "elongated", "unequal spreads", "elongated + unequal"};
    rcc_rng r;
    rcc_rng_init(&r, (uint64_t)atoll(getenv("RCC_EVAL_EVIDENCE")), 9);
    double t0 = omp_get_wtime();
    printf("evidence (seed %s): %d random mixtures (k = 2..12, n = 1500), kmax 30, 4 restarts, silhouette on 1000 points\n",
           getenv("RCC_EVAL_EVIDENCE"), trials);
    for (int t = 0; t < trials; t++) {
        int kind = t % 3, sh = (t / 3) % 4, k = 2 + (int)(rcc_rng_uniform(&r) * 11), d = kind == 0 ? 2 : 3;
        bool sphere = kind == 2;
        double u = rcc_rng_uniform(&r);
        double sd = sphere ? 0.04 + 0.16 * u : 0.3 + 0.7 * u;
        size_t n = 1500;
        float *x = mixture(&r, k, d, n, sd, sphere, sh & 1, sh & 2);
        rcc_kselect_config kc;
        rcc_kselect_config_default(&kc);
        kc.restarts = 4;
        kc.metric = sphere && t % 2 ? RCC_KMEANS_SPHERICAL : RCC_KMEANS_EUCLIDEAN;
        kc.silhouette_sample = 1000;
        kc.seed = (uint64_t)t;
        rcc_kselect_result res;
        if (rcc_kselect(x, n, d, &kc, &res) != RCC_OK) {
            free(x);
            continue;
        }
        int e = res.elbow, s = res.best_silhouette, c = res.best_ch, got[EV_N];
        int agree = e == s || e == c ? e : s == c ? s : 0;
        got[EV_ELBOW] = e, got[EV_SIL] = s, got[EV_CH] = c;
        got[EV_VOTE_SIL] = agree ? agree : s, got[EV_VOTE_CH] = agree ? agree : c, got[EV_RULE] = res.chosen;
        cnt[sh]++;
        for (int q = 0; q < EV_N; q++) {
            hit[sh][q] += got[q] == k;
            near[q] += abs(got[q] - k) <= 1;
        }
        printf("  %3d %-6s %-9s %-24s k=%2d sd=%.2f: elbow %2d silhouette %2d (%.2f) CH %2d chosen %2d\n", t,
               kind == 0 ? "2-D" : kind == 1 ? "3-D" : "sphere",
               kc.metric == RCC_KMEANS_SPHERICAL ? "spherical" : "euclid", shape[sh], k, sd, e, s,
               res.silhouette[s], c, res.chosen);
        rcc_kselect_result_free(&res);
        free(x);
    }
    printf("evidence: exact hits per shape (%d, %d, %d, %d trials), total, and within +-1:\n", cnt[0], cnt[1], cnt[2],
           cnt[3]);
    for (int q = 0; q < EV_N; q++) {
        int tot = 0;
        for (int sh = 0; sh < 4; sh++)
            tot += hit[sh][q];
        printf("  %-30s %3d %3d %3d %3d   total %3d of %d   within 1: %3d\n", ev_name[q], hit[0][q], hit[1][q],
               hit[2][q], hit[3][q], tot, cnt[0] + cnt[1] + cnt[2] + cnt[3], near[q]);
    }
    printf("evidence: %.1f s\n", omp_get_wtime() - t0);
}

/* The use-of-the-sphere measures: the grid's cells, the uniformity against its closed form for
 * uniform points, occupancy against its expectation, and the degenerate cases. */
static void test_sphere_stats(void)
{
    const float np[3] = {0, 0, 1}, sp[3] = {0, 0, -1}, eq[3] = {1, 0, 0}, back[3] = {-1, -1e-7f, 0};
    CHECK(rcc_sphere_cell(np) / RCC_SPHERE_SECTORS == RCC_SPHERE_BANDS - 1, "north pole in the top band");
    CHECK(rcc_sphere_cell(sp) / RCC_SPHERE_SECTORS == 0, "south pole in the bottom band");
    CHECK(rcc_sphere_cell(eq) == (RCC_SPHERE_BANDS / 2) * RCC_SPHERE_SECTORS + RCC_SPHERE_SECTORS / 2,
          "(1,0,0): middle band, longitude 0 in the middle sector (got %d)", rcc_sphere_cell(eq));
    CHECK(rcc_sphere_cell(back) % RCC_SPHERE_SECTORS == 0, "longitude just above -180 in sector 0");
    /* uniform points (normalised Gaussians): every cell equally likely */
    size_t n = 40000;
    float *x = malloc(n * 3 * sizeof *x);
    rcc_rng r;
    rcc_rng_init(&r, 7, 0);
    for (size_t i = 0; i < n * 3; i++)
        x[i] = (float)rcc_rng_normal(&r) * 3.0f; /* the norm must not matter */
    int cells = RCC_SPHERE_BANDS * RCC_SPHERE_SECTORS, *cnt = malloc(sizeof(int) * (size_t)cells);
    rcc_sphere_stats s, s2;
    CHECK(rcc_sphere_stats_compute(x, n, 3, 10000, 1, 2.0f, &s, cnt) == RCC_OK, "stats of uniform points");
    CHECK(s.n_used == 10000 && s.cells == cells, "sample %zu, cells %d", s.n_used, s.cells);
    CHECK(fabs(s.uniformity_uniform - log((1 - exp(-8.0)) / 8)) < 1e-12, "closed form for t = 2");
    CHECK(fabs(s.uniformity - s.uniformity_uniform) < 0.01, "uniform points: uniformity %.4f, closed form %.4f",
          s.uniformity, s.uniformity_uniform);
    /* occupancy of 10 000 points in 3 200 equal cells: mean 95.6 %, sd about 0.4 % */
    CHECK(fabs(s.occupancy - s.occupancy_uniform) < 0.015, "uniform points fill %.4f of the cells, expected %.4f",
          s.occupancy, s.occupancy_uniform);
    long total = 0;
    int lo = 1 << 30, hi = 0;
    for (int c = 0; c < cells; c++) {
        total += cnt[c];
        lo = cnt[c] < lo ? cnt[c] : lo;
        hi = cnt[c] > hi ? cnt[c] : hi;
    }
    CHECK(total == 10000 && hi < 20, "cell counts sum to the sample (%ld) and none is crowded (max %d)", total, hi);
    CHECK(rcc_sphere_stats_compute(x, n, 3, 10000, 1, 2.0f, &s2, NULL) == RCC_OK && s2.uniformity == s.uniformity &&
              s2.occupied == s.occupied,
          "the same seed gives the same sample");
    char png[64];
    snprintf(png, sizeof png, "/tmp/rcc-test-cells-%d.png", (int)getpid());
    unsigned char magic[8] = {0};
    FILE *pf = NULL;
    CHECK(rcc_plot_sphere_cells(png, cnt, &s2, "uniform") == RCC_OK && (pf = fopen(png, "rb")) &&
              fread(magic, 1, 8, pf) == 8 && memcmp(magic, "\x89PNG", 4) == 0,
          "the cell map is a PNG");
    if (pf)
        fclose(pf);
    remove(png);
    rcc_sphere_stats bad = s2;
    bad.cells = 7;
    CHECK(rcc_plot_sphere_cells(png, cnt, &bad, NULL) == RCC_ERR_ARG, "the cell map refuses another grid");
    /* all points at one place: one cell, uniformity 0 (every pair at distance 0) */
    for (size_t i = 0; i < 500; i++)
        x[i * 3] = 0.6f, x[i * 3 + 1] = 0.0f, x[i * 3 + 2] = 0.8f;
    CHECK(rcc_sphere_stats_compute(x, 500, 3, 0, 1, 2.0f, &s, NULL) == RCC_OK && s.occupied == 1 &&
              fabs(s.uniformity) < 1e-9,
          "one point repeated: %d cells, uniformity %.3g", s.occupied, s.uniformity);
    /* two antipodal points: ‖Δ‖² = 4 for half the pairs */
    for (size_t i = 0; i < 500; i++)
        x[i * 3 + 2] = i % 2 ? 0.8f : -0.8f, x[i * 3] = i % 2 ? 0.6f : -0.6f;
    double pairs = 500.0 * 499 / 2, same = 2 * (250.0 * 249 / 2);
    double want = log((same + (pairs - same) * exp(-8.0)) / pairs);
    CHECK(rcc_sphere_stats_compute(x, 500, 3, 0, 1, 2.0f, &s, NULL) == RCC_OK && s.occupied == 2 &&
              fabs(s.uniformity - want) < 1e-6,
          "two antipodes: %d cells, uniformity %.6f want %.6f", s.occupied, s.uniformity, want);
    CHECK(rcc_sphere_stats_compute(x, 500, 5, 0, 1, 2.0f, &s, NULL) == RCC_OK && isnan(s.occupancy),
          "no grid outside 3-d");
    CHECK(rcc_sphere_stats_compute(x, 1, 3, 0, 1, 2.0f, &s, NULL) == RCC_ERR_ARG, "one point is refused");
    CHECK(rcc_sphere_stats_compute(x, 500, 3, 0, 1, 0.0f, &s, NULL) == RCC_ERR_ARG, "t = 0 is refused");
    free(x), free(cnt);
}

/* Features of more than 3 dimensions: the principal components, and the sphere picture of them. */
static void test_projection(void)
{
    /* 8-d points: most of the variance along three known orthonormal directions (sd 3, 2, 1.5),
     * a little along the other five (sd 0.05), around a mean that must not matter */
    enum { N = 3000, D = 8 };
    double B[3][D];
    rcc_rng r;
    rcc_rng_init(&r, 11, 0);
    for (int c = 0; c < 3; c++) { /* Gram-Schmidt on random vectors */
        for (int a = 0; a < D; a++)
            B[c][a] = rcc_rng_normal(&r);
        for (int p = 0; p < c; p++) {
            double dot = 0;
            for (int a = 0; a < D; a++)
                dot += B[c][a] * B[p][a];
            for (int a = 0; a < D; a++)
                B[c][a] -= dot * B[p][a];
        }
        double nr = 0;
        for (int a = 0; a < D; a++)
            nr += B[c][a] * B[c][a];
        for (int a = 0; a < D; a++)
            B[c][a] /= sqrt(nr);
    }
    float *x = malloc(N * D * sizeof *x), *p = malloc(N * 3 * sizeof *p);
    double *coef = malloc(N * 3 * sizeof *coef);
    const double sd[3] = {3, 2, 1.5};
    for (int i = 0; i < N; i++) {
        for (int a = 0; a < D; a++)
            x[i * D + a] = (float)(0.7 + 0.05 * rcc_rng_normal(&r));
        for (int c = 0; c < 3; c++) {
            coef[i * 3 + c] = sd[c] * rcc_rng_normal(&r);
            for (int a = 0; a < D; a++)
                x[i * D + a] += (float)(coef[i * 3 + c] * B[c][a]);
        }
    }
    double explained = 0;
    CHECK_OK(rcc_pca_project(x, N, D, 3, p, &explained));
    /* the variance shares: (9 + 4 + 2.25) / (15.25 + 5 · 0.0025) */
    CHECK(fabs(explained - 15.25 / 15.2625) < 0.01, "explained share %.4f, want about %.4f", explained,
          15.25 / 15.2625);
    /* component c of row i is ± its coefficient on direction c, over the row's norm in the three */
    double worst[3] = {0, 0, 0}, mean_err = 0;
    int counted = 0;
    for (int c = 0; c < 3; c++) {
        double sign = 0;
        for (int i = 0; i < N; i++)
            sign += p[i * 3 + c] * coef[i * 3 + c];
        sign = sign >= 0 ? 1 : -1;
        for (int i = 0; i < N; i++) {
            double nr = sqrt(coef[i * 3] * coef[i * 3] + coef[i * 3 + 1] * coef[i * 3 + 1] +
                             coef[i * 3 + 2] * coef[i * 3 + 2]);
            double err = fabs(p[i * 3 + c] - sign * coef[i * 3 + c] / nr);
            if (nr > 3) /* the noise (sd 0.05 a dimension) moves a row's direction by about 0.05 / nr */
                worst[c] = fmax(worst[c], err);
            mean_err += err, counted++;
        }
    }
    mean_err /= counted;
    CHECK(worst[0] < 0.08 && worst[1] < 0.08 && worst[2] < 0.08 && mean_err < 0.02,
          "projection onto the known directions: worst component errors %.3f %.3f %.3f (rows of norm > 3), mean %.4f",
          worst[0], worst[1], worst[2], mean_err);
    bool unit = true;
    for (int i = 0; i < N; i++)
        unit &= fabs(p[i * 3] * p[i * 3] + p[i * 3 + 1] * p[i * 3 + 1] + p[i * 3 + 2] * p[i * 3 + 2] - 1) < 1e-5;
    CHECK(unit, "projected rows have unit length");
    float *p2 = malloc(N * 3 * sizeof *p2);
    CHECK_OK(rcc_pca_project(x, N, D, 3, p2, NULL));
    CHECK(memcmp(p, p2, N * 3 * sizeof *p) == 0, "the projection is deterministic");
    CHECK(rcc_pca_project(x, 1, D, 3, p2, NULL) == RCC_ERR_ARG && rcc_pca_project(x, N, 2, 3, p2, NULL) == RCC_ERR_ARG,
          "one row, or fewer dimensions than components, refused");
    /* the picture of 8-d features */
    char png[64];
    snprintf(png, sizeof png, "/tmp/rcc-test-proj-%d.png", (int)getpid());
    unsigned char magic[8] = {0};
    FILE *pf = NULL;
    CHECK(rcc_plot_sphere(png, x, N, D, NULL, NULL) == RCC_OK && (pf = fopen(png, "rb")) &&
              fread(magic, 1, 8, pf) == 8 && memcmp(magic, "\x89PNG", 4) == 0,
          "8-d features are drawn on the sphere: %s", rcc_last_error());
    if (pf)
        fclose(pf);
    remove(png);
    CHECK(rcc_plot_sphere(png, x, N, 2, NULL, NULL) == RCC_ERR_ARG, "2-d features are refused");
    free(x), free(p), free(p2), free(coef);
}

int main(void)
{
    if (getenv("RCC_EVAL_EVIDENCE")) {
        evidence();
        return 0;
    }
    test_metrics_fixture();
    test_hungarian();
    test_assign_stats();
    test_size_profile();
    test_cluster_fixture();
    test_kmeans_fixture();
    test_kmeans_properties();
    test_kneedle();
    test_kselect_synthetic();
    test_split();
    test_probe();
    test_sphere_stats();
    test_projection();
    test_files();
    test_cli();
    return test_finish("test_eval");
}
