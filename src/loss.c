/* loss.c — instance and cluster NT-Xent, the entropy regulariser and the uniformity loss,
 * forward and backward, with double accumulation and log-sum-exp everywhere a sum of
 * exponentials appears. */
#include "loss.h"

#include <math.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>
#include "ops/ops.h"

rcc_status rcc_loss_ws_init(rcc_loss_ws *w, int n, int d, int k)
{
    memset(w, 0, sizeof *w);
    w->n = n;
    w->d = d;
    w->k = k;
    /* rows for NT-Xent: max(2n rows of d, 2k rows of n) */
    size_t rows = (size_t)(2 * (n > k ? n : k)), cols = (size_t)(d > n ? d : n);
    w->x = rcc_alloc(rows * cols * sizeof(float));
    w->xh = rcc_alloc(rows * cols * sizeof(float));
    w->dxh = rcc_alloc(rows * cols * sizeof(float));
    w->s = rcc_alloc(rows * rows * sizeof(float));
    w->g = rcc_alloc(rows * rows * sizeof(float));
    w->norms = rcc_alloc(rows * sizeof(float));
    w->cols = rcc_alloc((size_t)2 * n * k * sizeof(float));
    w->dcols = rcc_alloc((size_t)2 * n * k * sizeof(float));
    if (!w->x || !w->xh || !w->dxh || !w->s || !w->g || !w->norms || !w->cols || !w->dcols) {
        rcc_loss_ws_free(w);
        return rcc_fail(RCC_ERR_NOMEM, "loss work space");
    }
    return RCC_OK;
}

void rcc_loss_ws_free(rcc_loss_ws *w)
{
    rcc_free(w->x);
    rcc_free(w->xh);
    rcc_free(w->dxh);
    rcc_free(w->s);
    rcc_free(w->g);
    rcc_free(w->norms);
    rcc_free(w->cols);
    rcc_free(w->dcols);
    memset(w, 0, sizeof *w);
}

/* S = X̂X̂ᵀ over m = 2n rows; ℓ_i = logsumexp_{j≠i}(S_ij/τ) − S_i,pos/τ; L = mean ℓ_i.
 * ∂L/∂S_ij = (softmax_ij − [j = pos]) / (τ m) =: G_ij, and since S is symmetric ∂L/∂X̂ = (G + Gᵀ) X̂. */
double rcc_ntxent(rcc_loss_ws *w, const float *a, const float *b, int n, int d, float tau, bool cosine, float *da,
                  float *db, float scale)
{
    int m = 2 * n;
    float *x = w->x, *xh = w->xh, *s = w->s, *g = w->g;
    memcpy(x, a, (size_t)n * d * sizeof(float));
    memcpy(x + (size_t)n * d, b, (size_t)n * d * sizeof(float));
    if (cosine)
        rcc_l2norm_forward(x, xh, w->norms, m, d, RCC_COSINE_EPS);
    else
        memcpy(xh, x, (size_t)m * d * sizeof(float));
    dnnl_sgemm('N', 'T', m, m, d, 1.0f, xh, d, xh, d, 0.0f, s, m);
    double total = 0;
    float inv_tau = 1.0f / tau;
    for (int i = 0; i < m; i++) {
        const float *si = s + (size_t)i * m;
        int pos = (i + n) % m;
        double mx = -INFINITY;
        for (int j = 0; j < m; j++)
            if (j != i && si[j] * inv_tau > mx)
                mx = si[j] * inv_tau;
        double sum = 0;
        for (int j = 0; j < m; j++)
            if (j != i)
                sum += exp(si[j] * inv_tau - mx);
        double lse = mx + log(sum);
        total += lse - si[pos] * inv_tau;
        if (da || db) {
            float *gi = g + (size_t)i * m;
            for (int j = 0; j < m; j++)
                gi[j] = j == i ? 0.0f : (float)((exp(si[j] * inv_tau - lse) - (j == pos)) * inv_tau / m);
        }
    }
    if (da || db) {
        for (int i = 0; i < m; i++) /* G ← G + Gᵀ */
            for (int j = i + 1; j < m; j++) {
                float v = g[(size_t)i * m + j] + g[(size_t)j * m + i];
                g[(size_t)i * m + j] = g[(size_t)j * m + i] = v;
            }
        float *dxh = w->dxh;
        dnnl_sgemm('N', 'N', m, d, m, 1.0f, g, m, xh, d, 0.0f, dxh, d);
        for (int i = 0; i < m; i++) {
            float *dst = i < n ? (da ? da + (size_t)i * d : NULL) : (db ? db + (size_t)(i - n) * d : NULL);
            if (!dst)
                continue;
            const float *dr = dxh + (size_t)i * d, *yr = xh + (size_t)i * d;
            if (cosine) { /* through x̂ = x/‖x‖: dx = (dx̂ − x̂ (x̂·dx̂)) / ‖x‖ */
                double dot = 0;
                for (int j = 0; j < d; j++)
                    dot += (double)yr[j] * dr[j];
                float inv = 1.0f / w->norms[i];
                for (int j = 0; j < d; j++)
                    dst[j] += scale * (dr[j] - yr[j] * (float)dot) * inv;
            } else {
                for (int j = 0; j < d; j++)
                    dst[j] += scale * dr[j];
            }
        }
    }
    return total / m;
}

double rcc_cluster_nce(rcc_loss_ws *w, const float *ya, const float *yb, int n, int k, float tau, float *dya,
                       float *dyb, float scale)
{
    float *ca = w->cols, *cb = w->cols + (size_t)n * k; /* K×n column matrices */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) {
            ca[(size_t)j * n + i] = ya[(size_t)i * k + j];
            cb[(size_t)j * n + i] = yb[(size_t)i * k + j];
        }
    bool grad = dya || dyb;
    float *dca = w->dcols, *dcb = w->dcols + (size_t)n * k;
    if (grad)
        memset(w->dcols, 0, (size_t)2 * n * k * sizeof(float));
    double l = rcc_ntxent(w, ca, cb, k, n, tau, true, grad ? dca : NULL, grad ? dcb : NULL, scale);
    if (grad)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) {
                if (dya)
                    dya[(size_t)i * k + j] += dca[(size_t)j * n + i];
                if (dyb)
                    dyb[(size_t)i * k + j] += dcb[(size_t)j * n + i];
            }
    return l;
}

/* p_k = c_k / T with c_k = Σ_i y_ik, T = Σ_k c_k; H = log K + Σ p log p;
 * ∂H/∂y_ik = ∂H/∂c_k = (log p_k − Σ_m p_m log p_m) / T. */
double rcc_entropy(const float *y, int n, int k, float *dy, float scale)
{
    double c[k > 0 ? k : 1], T = 0;
    for (int j = 0; j < k; j++)
        c[j] = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++)
            c[j] += y[(size_t)i * k + j];
    for (int j = 0; j < k; j++)
        T += c[j];
    if (T <= 0)
        return 0;
    double h = log((double)k), plogp = 0, logp[k > 0 ? k : 1];
    for (int j = 0; j < k; j++) {
        double p = c[j] / T;
        logp[j] = log(p > 1e-30 ? p : 1e-30); /* guard: p log p → 0 as p → 0 */
        if (p > 0)
            plogp += p * logp[j];
    }
    h += plogp;
    if (dy)
        for (int j = 0; j < k; j++) {
            float gk = (float)(scale * (logp[j] - plogp) / T);
            for (int i = 0; i < n; i++)
                dy[(size_t)i * k + j] += gk;
        }
    return h;
}

double rcc_self_label(const float *ya, const float *yb, int n, int k, float threshold, float *dyb, float scale,
                      int *confident)
{
    int m = 0, count[k > 0 ? k : 1], target[n > 0 ? n : 1];
    for (int j = 0; j < k; j++)
        count[j] = 0;
    for (int i = 0; i < n; i++) {
        int c = rcc_argmax(ya + (size_t)i * k, k);
        target[i] = ya[(size_t)i * k + c] > threshold ? c : -1;
        if (target[i] >= 0)
            count[c]++, m++;
    }
    if (confident)
        *confident = m;
    if (m == 0)
        return 0;
    /* w_c = m / count_c: every class present weighs the same in total, so Σ_{i∈M} w = m · classes */
    int classes = 0;
    for (int j = 0; j < k; j++)
        classes += count[j] > 0;
    double wsum = (double)m * classes, loss = 0;
    for (int i = 0; i < n; i++) {
        int c = target[i];
        if (c < 0)
            continue;
        double w = (double)m / count[c], p = yb[(size_t)i * k + c];
        double pc = p > 1e-30 ? p : 1e-30; /* a softmax output never is 0 but in float it can round there */
        loss -= w * log(pc);
        if (dyb)
            dyb[(size_t)i * k + c] -= (float)(scale * w / (wsum * pc));
    }
    return loss / wsum;
}

/* e_ij = −t‖h_i − h_j‖²; L = max e + log Σ exp(e − max e) − log P;
 * ∂L/∂h_i = Σ_j w_ij (−2t)(h_i − h_j), w = softmax of e over the pairs. */
double rcc_uniformity(const float *h, int n, int d, float t, float *dh, float scale)
{
    if (n < 2)
        return 0;
    double mx = -INFINITY;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double s = 0;
            for (int c = 0; c < d; c++) {
                double diff = (double)h[(size_t)i * d + c] - h[(size_t)j * d + c];
                s += diff * diff;
            }
            if (-t * s > mx)
                mx = -t * s;
        }
    double sum = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double s = 0;
            for (int c = 0; c < d; c++) {
                double diff = (double)h[(size_t)i * d + c] - h[(size_t)j * d + c];
                s += diff * diff;
            }
            sum += exp(-t * s - mx);
        }
    double pairs = 0.5 * (double)n * (double)(n - 1);
    double lse = mx + log(sum);
    if (dh) {
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) {
                double s = 0;
                for (int c = 0; c < d; c++) {
                    double diff = (double)h[(size_t)i * d + c] - h[(size_t)j * d + c];
                    s += diff * diff;
                }
                double wij = exp(-t * s - lse) * (-2.0 * t) * scale;
                for (int c = 0; c < d; c++) {
                    double diff = (double)h[(size_t)i * d + c] - h[(size_t)j * d + c];
                    dh[(size_t)i * d + c] += (float)(wij * diff);
                    dh[(size_t)j * d + c] -= (float)(wij * diff);
                }
            }
    }
    return lse - log(pairs);
}

rcc_status rcc_loss_total(rcc_loss_ws *w, const rcc_loss_config *cfg, const float *z, const float *y, const float *h,
                          int n, int z_dim, int k, int h_dim, rcc_loss_terms *out, float *dz, float *dy, float *dh)
{
    if (n < 2 || n > w->n || z_dim > w->d || k > w->k)
        return rcc_fail(RCC_ERR_ARG, "loss: %d rows per view (need 2..%d), dims %d/%d", n, w->n, z_dim, k);
    float lam = cfg->lambda;
    bool grad = dz && dy && dh;
    if (grad) {
        memset(dz, 0, (size_t)2 * n * z_dim * sizeof(float));
        memset(dy, 0, (size_t)2 * n * k * sizeof(float));
        memset(dh, 0, (size_t)2 * n * h_dim * sizeof(float));
    }
    bool gc = grad && lam != 0.0f, gu = grad && lam != 1.0f;
    const float *za = z, *zb = z + (size_t)n * z_dim, *ya = y, *yb = y + (size_t)n * k;
    const float *ha = h, *hb = h + (size_t)n * h_dim;
    float *dza = gc ? dz : NULL, *dzb = gc ? dz + (size_t)n * z_dim : NULL;
    float *dya = gc ? dy : NULL, *dyb = gc ? dy + (size_t)n * k : NULL;
    float *dha = gu ? dh : NULL, *dhb = gu ? dh + (size_t)n * h_dim : NULL;
    out->ins = rcc_ntxent(w, za, zb, n, z_dim, cfg->tau_i, false, dza, dzb, lam);
    out->clu_nce = rcc_cluster_nce(w, ya, yb, n, k, cfg->tau_c, dya, dyb, lam);
    float ew = cfg->entropy_weight, lew = lam * ew;
    out->entropy = rcc_entropy(ya, n, k, lew != 0.0f ? dya : NULL, lew) +
                   rcc_entropy(yb, n, k, lew != 0.0f ? dyb : NULL, lew);
    out->unif = rcc_uniformity(ha, n, h_dim, cfg->t, dha, 1.0f - lam) +
                rcc_uniformity(hb, n, h_dim, cfg->t, dhb, 1.0f - lam);
    out->total = lam * (out->ins + out->clu_nce + ew * out->entropy) + (1.0 - lam) * out->unif;
    if (!isfinite(out->total))
        return rcc_fail(RCC_ERR_NUMERIC, "loss is not finite (ins %g, clu %g, entropy %g, unif %g)", out->ins,
                        out->clu_nce, out->entropy, out->unif);
    return RCC_OK;
}
