/* test_losses.c — each loss and its input gradients against the PyTorch golden fixtures
 * (tests/fixtures/losses.safetensors), against naive loop implementations written here, and
 * against central finite differences; plus how rcc_loss_total combines the terms with λ. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loss.h"
#include "safetensors.h"
#include "testutil.h"

static rcc_rng rng;
static rcc_loss_ws ws;

static float *get(const rcc_st_file *f, const char *prefix, const char *name, size_t *n)
{
    char full[128];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    const rcc_st_tensor *t = rcc_st_find(f, full);
    CHECK(t != NULL, "fixture tensor %s missing", full);
    if (!t)
        exit(1);
    float *p = malloc(t->numel * sizeof(float));
    CHECK_OK(rcc_st_read_f32(f, full, p, t->numel));
    if (n)
        *n = t->numel;
    return p;
}

static void check_value(const char *what, double got, double want, double rtol)
{
    CHECK(fabs(got - want) <= rtol * fabs(want) + 1e-9, "%s: got %.9g want %.9g (rtol %g)", what, got, want, rtol);
}

/* ---- naive references: direct loops in double, no GEMM, no shared code with src/loss.c ---- */

static double naive_ntxent(const float *a, const float *b, int n, int d, double tau, bool cosine)
{
    int m = 2 * n;
    double total = 0;
    for (int i = 0; i < m; i++) {
        const float *xi = i < n ? a + (size_t)i * d : b + (size_t)(i - n) * d;
        double denom = 0, pos = 0;
        for (int j = 0; j < m; j++) {
            if (j == i)
                continue;
            const float *xj = j < n ? a + (size_t)j * d : b + (size_t)(j - n) * d;
            double dot = 0, ni = 0, nj = 0;
            for (int c = 0; c < d; c++) {
                dot += (double)xi[c] * xj[c];
                ni += (double)xi[c] * xi[c];
                nj += (double)xj[c] * xj[c];
            }
            double s = cosine ? dot / sqrt(ni * nj) : dot;
            denom += exp(s / tau);
            if (j == (i + n) % m)
                pos = s / tau;
        }
        total += log(denom) - pos;
    }
    return total / m;
}

static double naive_cluster(const float *ya, const float *yb, int n, int k, double tau)
{
    float *ca = malloc((size_t)n * k * 4), *cb = malloc((size_t)n * k * 4);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) {
            ca[(size_t)j * n + i] = ya[(size_t)i * k + j];
            cb[(size_t)j * n + i] = yb[(size_t)i * k + j];
        }
    double l = naive_ntxent(ca, cb, k, n, tau, true);
    free(ca);
    free(cb);
    return l;
}

static double naive_entropy(const float *y, int n, int k)
{
    double tot = 0, h = log((double)k);
    for (int i = 0; i < n * k; i++)
        tot += y[i];
    for (int j = 0; j < k; j++) {
        double p = 0;
        for (int i = 0; i < n; i++)
            p += y[(size_t)i * k + j];
        p /= tot;
        h += p * log(p);
    }
    return h;
}

static double naive_unif(const float *h, int n, int d, double t)
{
    double s = 0;
    long pairs = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double d2 = 0;
            for (int c = 0; c < d; c++) {
                double df = (double)h[i * d + c] - h[j * d + c];
                d2 += df * df;
            }
            s += exp(-t * d2);
            pairs++;
        }
    return log(s / pairs);
}

/* ---- fixtures ---- */

static void fixture_case(const rcc_st_file *f, const char *p)
{
    size_t nz, ny, nh;
    float *za = get(f, p, "z_a", &nz), *zb = get(f, p, "z_b", NULL), *ya = get(f, p, "y_a", &ny);
    float *yb = get(f, p, "y_b", NULL), *ha = get(f, p, "h_a", &nh), *hb = get(f, p, "h_b", NULL);
    const rcc_st_tensor *t = rcc_st_find(f, strcmp(p, "") ? "big.z_a" : "z_a");
    int n = (int)t->dims[0], d = (int)(nz / (size_t)n), k = (int)(ny / (size_t)n), r = (int)(nh / (size_t)n);
    float *g1 = calloc(nz, 4), *g2 = calloc(nz, 4), *w;
    char what[96];
    float v;

    double l = rcc_ntxent(&ws, za, zb, n, d, 0.5f, false, g1, g2, 1.0f);
    w = get(f, p, "ins", NULL), v = w[0], free(w);
    snprintf(what, sizeof what, "%sinstance loss vs PyTorch", p);
    check_value(what, l, v, 1e-5);
    snprintf(what, sizeof what, "%sd_ins/dz_a vs PyTorch", p);
    w = get(f, p, "d_ins.z_a", NULL), close_scaled(what, g1, w, nz, 1e-5, 1e-8), free(w);
    snprintf(what, sizeof what, "%sd_ins/dz_b vs PyTorch", p);
    w = get(f, p, "d_ins.z_b", NULL), close_scaled(what, g2, w, nz, 1e-5, 1e-8), free(w);

    float *c1 = calloc(ny, 4), *c2 = calloc(ny, 4);
    l = rcc_cluster_nce(&ws, ya, yb, n, k, 1.0f, c1, c2, 1.0f);
    w = get(f, p, "clu_nce", NULL), v = w[0], free(w);
    snprintf(what, sizeof what, "%scluster NT-Xent vs PyTorch", p);
    check_value(what, l, v, 1e-5);
    snprintf(what, sizeof what, "%sd_clu/dy_a vs PyTorch", p);
    w = get(f, p, "d_clu_nce.y_a", NULL), close_scaled(what, c1, w, ny, 1e-5, 1e-8), free(w);
    snprintf(what, sizeof what, "%sd_clu/dy_b vs PyTorch", p);
    w = get(f, p, "d_clu_nce.y_b", NULL), close_scaled(what, c2, w, ny, 1e-5, 1e-8), free(w);

    const char *en[2] = {"entropy_a", "entropy_b"}, *eg[2] = {"d_entropy_a.y_a", "d_entropy_b.y_b"};
    const char *un[2] = {"unif_a", "unif_b"}, *ug[2] = {"d_unif_a.h_a", "d_unif_b.h_b"};
    float *hh[2] = {ha, hb}, *yy[2] = {ya, yb};
    for (int s = 0; s < 2; s++) {
        memset(c1, 0, ny * 4);
        l = rcc_entropy(yy[s], n, k, c1, 1.0f);
        w = get(f, p, en[s], NULL), v = w[0], free(w);
        snprintf(what, sizeof what, "%s%s vs PyTorch", p, en[s]);
        check_value(what, l, v, 1e-4);
        snprintf(what, sizeof what, "%s%s gradient vs PyTorch", p, en[s]);
        w = get(f, p, eg[s], NULL), close_scaled(what, c1, w, ny, 1e-5, 1e-8), free(w);
        float *gh = calloc(nh, 4);
        l = rcc_uniformity(hh[s], n, r, 2.0f, gh, 1.0f);
        w = get(f, p, un[s], NULL), v = w[0], free(w);
        snprintf(what, sizeof what, "%s%s vs PyTorch", p, un[s]);
        check_value(what, l, v, 1e-5);
        snprintf(what, sizeof what, "%s%s gradient vs PyTorch", p, un[s]);
        w = get(f, p, ug[s], NULL), close_scaled(what, gh, w, nh, 1e-5, 1e-8), free(w);
        free(gh);
    }
    /* naive references on the same inputs */
    snprintf(what, sizeof what, "%sinstance loss vs naive", p);
    check_value(what, rcc_ntxent(&ws, za, zb, n, d, 0.5f, false, NULL, NULL, 1), naive_ntxent(za, zb, n, d, 0.5, false),
                1e-6);
    snprintf(what, sizeof what, "%scluster loss vs naive", p);
    check_value(what, rcc_cluster_nce(&ws, ya, yb, n, k, 1.0f, NULL, NULL, 1), naive_cluster(ya, yb, n, k, 1.0), 1e-6);
    snprintf(what, sizeof what, "%sentropy vs naive", p);
    check_value(what, rcc_entropy(ya, n, k, NULL, 1), naive_entropy(ya, n, k), 1e-6);
    snprintf(what, sizeof what, "%suniformity vs naive", p);
    check_value(what, rcc_uniformity(ha, n, r, 2.0f, NULL, 1), naive_unif(ha, n, r, 2.0), 1e-6);
    free(za), free(zb), free(ya), free(yb), free(ha), free(hb), free(g1), free(g2), free(c1), free(c2);
}

static void near_case(const rcc_st_file *f)
{
    size_t nh;
    float *h = get(f, "", "near.h", &nh), *want = get(f, "", "near.d_unif", NULL), *v = get(f, "", "near.unif", NULL);
    float *g = calloc(nh, 4);
    int n = (int)(nh / 3);
    double l = rcc_uniformity(h, n, 3, 2.0f, g, 1.0f);
    CHECK(fabs(l - v[0]) <= 1e-4 * fabs(v[0]), "uniformity of nearly equal points: got %.6g want %.6g", l, (double)v[0]);
    close_scaled("uniformity gradient of nearly equal points", g, want, nh, 1e-4, 1e-12);
    free(h), free(want), free(v), free(g);
}

/* ---- finite differences on random inputs ---- */

typedef struct {
    int kind, n, d;
    float *a, *b;
} fd_ctx;

static double fd_eval(const fd_ctx *c)
{
    switch (c->kind) {
    case 0:
        return rcc_ntxent(&ws, c->a, c->b, c->n, c->d, 0.5f, false, NULL, NULL, 1);
    case 1:
        return rcc_cluster_nce(&ws, c->a, c->b, c->n, c->d, 1.0f, NULL, NULL, 1);
    case 2:
        return rcc_entropy(c->a, c->n, c->d, NULL, 1);
    default:
        return rcc_uniformity(c->a, c->n, c->d, 2.0f, NULL, 1);
    }
}

static void fd_loss(int kind, int n, int d, float eps, double tol)
{
    static const char *names[] = {"instance NT-Xent", "cluster NT-Xent", "entropy", "uniformity"};
    size_t m = (size_t)n * d;
    fd_ctx c = {kind, n, d, malloc(m * 4), malloc(m * 4)};
    float *ga = calloc(m, 4), *gb = calloc(m, 4);
    fill_uniform(c.a, m, &rng, 0.05f, 1);
    fill_uniform(c.b, m, &rng, 0.05f, 1);
    switch (kind) {
    case 0:
        rcc_ntxent(&ws, c.a, c.b, n, d, 0.5f, false, ga, gb, 1);
        break;
    case 1:
        rcc_cluster_nce(&ws, c.a, c.b, n, d, 1.0f, ga, gb, 1);
        break;
    case 2:
        rcc_entropy(c.a, n, d, ga, 1);
        break;
    default:
        rcc_uniformity(c.a, n, d, 2.0f, ga, 1);
        break;
    }
    double worst = 0, scale = 1e-6;
    for (size_t i = 0; i < m; i++)
        scale = fmax(scale, fmax(fabs(ga[i]), fabs(gb[i])));
    for (int s = 0; s < 20; s++) {
        bool on_b = (kind <= 1) && (s & 1);
        float *x = on_b ? c.b : c.a, *g = on_b ? gb : ga;
        size_t i = (size_t)(rcc_rng_next(&rng) % m);
        float keep = x[i];
        x[i] = keep + eps;
        double lp = fd_eval(&c);
        x[i] = keep - eps;
        double lm = fd_eval(&c);
        x[i] = keep;
        worst = fmax(worst, fabs((lp - lm) / (2 * eps) - g[i]));
    }
    CHECK(worst <= tol * scale, "%s: finite differences (step %g) vs gradient: error %.3g > %.3g", names[kind],
          (double)eps, worst, tol * scale);
    free(c.a), free(c.b), free(ga), free(gb);
}

/* ---- self-labelling ---- */

/* The definition, in double with plain loops: targets from ya, class weights m / count. */
static double naive_self_label(const float *ya, const float *yb, int n, int k, double threshold, int *confident)
{
    int count[64] = {0}, m = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int j = 1; j < k; j++)
            if (ya[i * k + j] > ya[i * k + best])
                best = j;
        if (ya[i * k + best] > threshold)
            count[best]++, m++;
    }
    *confident = m;
    double num = 0, den = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int j = 1; j < k; j++)
            if (ya[i * k + j] > ya[i * k + best])
                best = j;
        if (!(ya[i * k + best] > threshold))
            continue;
        double w = (double)m / count[best];
        num += -w * log(yb[i * k + best]);
        den += w;
    }
    return m ? num / den : 0;
}

static void self_label_case(void)
{
    rcc_st_file f;
    rcc_status s = rcc_st_load(&f, RCC_FIXTURES "/self_label.safetensors");
    CHECK(s == RCC_OK, "load self_label fixture: %s", rcc_last_error());
    if (s != RCC_OK)
        return;
    size_t ny;
    float *ya = get(&f, "", "y_a", &ny), *yb = get(&f, "", "y_b", NULL), *want_g = get(&f, "", "d_y_b", NULL);
    float *w = get(&f, "", "loss", NULL), want = w[0];
    free(w);
    w = get(&f, "", "confident", NULL);
    int want_m = (int)w[0];
    free(w);
    int n = (int)rcc_st_find(&f, "y_a")->dims[0], k = (int)(ny / (size_t)n);
    rcc_st_close(&f);
    float *g = calloc(ny, 4);
    int m = -1;
    double l = rcc_self_label(ya, yb, n, k, 0.9f, g, 1.0f, &m);
    check_value("self-labelling loss vs PyTorch", l, want, 1e-6);
    CHECK(m == want_m, "self-labelling: %d confident, PyTorch %d", m, want_m);
    close_scaled("self-labelling d/dy_b vs PyTorch", g, want_g, ny, 1e-5, 1e-8);
    int mn;
    check_value("self-labelling vs naive", l, naive_self_label(ya, yb, n, k, 0.9, &mn), 1e-9);
    /* gradients are added, scaled */
    float *g2 = malloc(ny * 4);
    for (size_t i = 0; i < ny; i++)
        g2[i] = 1.0f;
    rcc_self_label(ya, yb, n, k, 0.9f, g2, 0.5f, NULL);
    double worst = 0;
    for (size_t i = 0; i < ny; i++)
        worst = fmax(worst, fabs(g2[i] - (1.0 + 0.5 * g[i])));
    CHECK(worst < 1e-5, "self-labelling adds scale * gradient: error %.3g", worst);
    /* finite differences on y_b (the targets depend on y_a only) */
    double fw = 0, fscale = 1e-6;
    for (size_t i = 0; i < ny; i++)
        fscale = fmax(fscale, fabs(g[i]));
    for (size_t i = 0; i < ny; i++) {
        if (g[i] == 0)
            continue; /* rows of unconfident images and non-target entries: no dependence */
        float keep = yb[i], eps = 1e-3f * keep;
        yb[i] = keep + eps;
        double lp = rcc_self_label(ya, yb, n, k, 0.9f, NULL, 1, NULL);
        yb[i] = keep - eps;
        double lm = rcc_self_label(ya, yb, n, k, 0.9f, NULL, 1, NULL);
        yb[i] = keep;
        fw = fmax(fw, fabs((lp - lm) / (2.0 * eps) - g[i]) / fscale);
    }
    CHECK(fw < 2e-3, "self-labelling: finite differences vs gradient: relative error %.3g", fw);
    /* nothing confident: 0, no gradient */
    memset(g, 0, ny * 4);
    l = rcc_self_label(ya, yb, n, k, 1.0f, g, 1.0f, &m);
    bool zero = true;
    for (size_t i = 0; i < ny; i++)
        zero &= g[i] == 0;
    CHECK(l == 0 && m == 0 && zero, "self-labelling over an unreachable threshold: loss %g, %d confident", l, m);
    /* a threshold of 0: every row is a target */
    l = rcc_self_label(ya, yb, n, k, 0.0f, NULL, 1.0f, &m);
    check_value("self-labelling, every row a target, vs naive", l, naive_self_label(ya, yb, n, k, 0.0, &mn), 1e-9);
    CHECK(m == n, "threshold 0: %d of %d confident", m, n);
    free(ya), free(yb), free(want_g), free(g), free(g2);
}

/* ---- λ combination ---- */

static void total_case(float lam, float ew)
{
    int n = 6, zd = 8, k = 4, r = 3;
    float *z = malloc((size_t)2 * n * zd * 4), *y = malloc((size_t)2 * n * k * 4), *h = malloc((size_t)2 * n * r * 4);
    float *dz = malloc((size_t)2 * n * zd * 4), *dy = malloc((size_t)2 * n * k * 4), *dh = malloc((size_t)2 * n * r * 4);
    fill_uniform(z, (size_t)2 * n * zd, &rng, -1, 1);
    fill_uniform(y, (size_t)2 * n * k, &rng, 0.01f, 1);
    fill_uniform(h, (size_t)2 * n * r, &rng, -1, 1);
    rcc_loss_config cfg = {lam, 0.5f, 1.0f, 2.0f, ew};
    rcc_loss_terms t;
    CHECK_OK(rcc_loss_total(&ws, &cfg, z, y, h, n, zd, k, r, &t, dz, dy, dh));
    double ins = naive_ntxent(z, z + n * zd, n, zd, 0.5, false), clu = naive_cluster(y, y + n * k, n, k, 1.0);
    double ent = naive_entropy(y, n, k) + naive_entropy(y + n * k, n, k);
    double un = naive_unif(h, n, r, 2.0) + naive_unif(h + n * r, n, r, 2.0);
    char what[64];
    snprintf(what, sizeof what, "total loss at lambda %g, entropy weight %g", (double)lam, (double)ew);
    check_value(what, t.total, lam * (ins + clu + ew * ent) + (1 - lam) * un, 1e-6);
    check_value("the entropy term is reported unweighted", t.entropy, ent, 1e-6);
    if (ew != 1.0f) { /* the weight scales the entropy's gradient and nothing else */
        float *dy1 = malloc((size_t)2 * n * k * 4), *dent = calloc((size_t)2 * n * k, 4);
        rcc_loss_config one = cfg;
        one.entropy_weight = 1.0f;
        rcc_loss_terms t1;
        CHECK_OK(rcc_loss_total(&ws, &one, z, y, h, n, zd, k, r, &t1, dz, dy1, dh));
        rcc_entropy(y, n, k, dent, 1.0f);
        rcc_entropy(y + n * k, n, k, dent + n * k, 1.0f);
        double worst = 0, big = 0;
        for (int i = 0; i < 2 * n * k; i++) {
            worst = fmax(worst, fabs((double)dy[i] - ((double)dy1[i] - (double)lam * (1 - ew) * dent[i])));
            big = fmax(big, fabs(dy1[i]));
        }
        CHECK(worst <= 1e-6 * fmax(big, 1), "entropy weight %g: dy off by %.3g", (double)ew, worst);
        free(dy1), free(dent);
    }
    double sz = 0, sh = 0;
    for (int i = 0; i < 2 * n * zd; i++)
        sz += fabs(dz[i]);
    for (int i = 0; i < 2 * n * r; i++)
        sh += fabs(dh[i]);
    if (lam == 0)
        CHECK(sz == 0, "lambda 0: contrastive gradients must vanish (sum %g)", sz);
    if (lam == 1)
        CHECK(sh == 0, "lambda 1: uniformity gradient must vanish (sum %g)", sh);
    if (lam > 0 && lam < 1)
        CHECK(sz > 0 && sh > 0, "lambda %g: both gradients present", (double)lam);
    free(z), free(y), free(h), free(dz), free(dy), free(dh);
}

int main(void)
{
    rcc_rng_init(&rng, 99, 0);
    CHECK_OK(rcc_loss_ws_init(&ws, 64, 64, 64));
    rcc_st_file f;
    rcc_status s = rcc_st_load(&f, RCC_FIXTURES "/losses.safetensors");
    CHECK(s == RCC_OK, "load losses fixture: %s", rcc_last_error());
    if (s == RCC_OK) {
        fixture_case(&f, "");
        fixture_case(&f, "big.");
        near_case(&f);
        rcc_st_close(&f);
    }
    fd_loss(0, 6, 5, 1e-3f, 2e-3);
    fd_loss(1, 7, 4, 1e-3f, 2e-3);
    fd_loss(2, 9, 5, 1e-3f, 2e-3);
    fd_loss(3, 10, 3, 1e-3f, 2e-3);
    self_label_case();
    total_case(0.95f, 1.0f);
    total_case(1.0f, 1.0f);
    total_case(0.0f, 1.0f);
    total_case(0.95f, 0.5f);
    total_case(0.95f, 0.0f);
    rcc_loss_ws_free(&ws);
    return test_finish("test_losses");
}
