/* conv_dense.c — a convolution whose input map has fewer positions than its kernel has taps, as one
 * dense matrix product per pass.
 *
 * On a 2×2 map a 3×3 convolution with padding 1 reads 4 of its 9 taps at every output position; a
 * direct kernel still multiplies the other 5 by the zero padding (ResNet-18's stage 3 at 32×32
 * images: 37 % of a training step at 200–280 direct-equivalent GFLOP/s). Written out, the layer is a
 * linear map from one image's input (I·H·W numbers) to its output (O·H'·W'); its matrix W_big has
 * O·H'·W' × I·H·W entries, each a weight or 0:
 *
 *     W_big[(o, p), (i, q)] = w[o, i, ky, kx]   where the kernel tap (ky, kx) joins output position p
 *                                               and input position q, 0 where no tap does.
 *
 * Its rows and columns are ordered as the tensors lie in memory (any layout whose batch dimension is
 * outermost, e.g. oneDNN's blocked nChw16c), so an image is a row of the batch matrix as it is:
 *   forward          Y  = X · W_bigᵀ        (N × O·H'·W')
 *   backward-data    dX = dY · W_big        (N × I·H·W)
 *   backward-weights dW_big = dYᵀ · X,  then each weight gets the sum of its entries of dW_big.
 * Multiply-adds per image: H·W·H'·W'·I·O instead of k²·H'·W'·I·O; fewer whenever H·W < k²
 * (2×2: 4/9). Channel padding of a blocked layout gets zero rows and columns. The sums are those of
 * the direct convolution in another order (f32, through oneDNN's sgemm). */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

/* Weights (× taps) below which expanding or summing them runs on one thread: a parallel region
 * costs more than the copy, and much more when the CPUs are oversubscribed. */
#define DENSE_PARALLEL_MIN (1 << 16)
/* Products of fewer multiply-adds (under 0.4 ms on one core) run on one thread: a second thread
 * saves little there, and every parallel region is a chance to wait a time slice when the CPUs are
 * oversubscribed (two tiny trainings of 2 threads on 2 CPUs: steps of 0.02 s, or 1-2 s now and then,
 * with or without the dense products; fewer regions made the slow case rarer). The stage-3 products
 * of the cpu preset (5·10⁸) stay parallel. */
#define DENSE_GEMM_PARALLEL_MIN (1 << 24)

/* Offset of element idx of a blocked descriptor (elements, not bytes; offset0 left out). */
static int64_t md_offset(const dnnl_memory_desc_t *md, const int64_t *idx)
{
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    int64_t rem[DNNL_MAX_NDIMS], blk[DNNL_MAX_NDIMS], off = 0, inner = 1;
    for (int d = 0; d < DNNL_MAX_NDIMS; d++)
        blk[d] = 1, rem[d] = 0;
    for (int j = 0; j < b->inner_nblks; j++)
        blk[b->inner_idxs[j]] *= b->inner_blks[j];
    for (int d = 0; d < md->ndims; d++) {
        off += idx[d] / blk[d] * b->strides[d];
        rem[d] = idx[d] % blk[d];
    }
    for (int j = b->inner_nblks - 1; j >= 0; j--) { /* the innermost block is the least significant */
        int d = (int)b->inner_idxs[j];
        off += rem[d] % b->inner_blks[j] * inner;
        rem[d] /= b->inner_blks[j];
        inner *= b->inner_blks[j];
    }
    return off;
}

dnnl_format_tag_t rcc_batch_outer_tag(const dnnl_memory_desc_t *md)
{
    static const dnnl_format_tag_t tags[] = {dnnl_nChw16c, dnnl_nChw8c, dnnl_nhwc, dnnl_nchw};
    if (md->ndims != 4 || (md->data_type != dnnl_f32 && md->data_type != dnnl_bf16) ||
        md->format_kind != dnnl_blocked || md->offset0 != 0)
        return (dnnl_format_tag_t)0;
    for (size_t t = 0; t < sizeof tags / sizeof *tags; t++) {
        dnnl_memory_desc_t m;
        if (dnnl_memory_desc_init_by_tag(&m, 4, md->dims, md->data_type, tags[t]) == dnnl_success &&
            dnnl_memory_desc_equal(&m, md))
            return tags[t];
    }
    return (dnnl_format_tag_t)0;
}

bool rcc_conv_dense_shape(const rcc_conv *c, const dnnl_memory_desc_t *src_md)
{
    const char *e = getenv("RCC_CONV_DENSE");
    if (e && strcmp(e, "0") == 0)
        return false;
    /* Training plans only: inference plans compute the same form as a oneDNN matmul with the
     * batch-norm folded in (conv_bn.c). */
    return c->dt == dnnl_f32 && src_md->data_type == dnnl_f32 && c->train && c->ih * c->iw < (int64_t)c->k * c->k &&
           rcc_batch_outer_tag(src_md) != 0;
}

/* ---- the passes ---- */

/* C = op(A)·op(B), row-major (oneDNN's sgemm), on one thread when small. */
static rcc_status gemm(char ta, char tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                       int64_t ldb, float *c, int64_t ldc, const char *what)
{
    int threads = omp_get_max_threads();
    bool one = threads > 1 && (double)m * (double)n * (double)k < DENSE_GEMM_PARALLEL_MIN;
    if (one)
        omp_set_num_threads(1);
    dnnl_status_t s = dnnl_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
    if (one)
        omp_set_num_threads(threads);
    return rcc_dnn_check(s, what);
}

static rcc_status dense_weights(void *ctx) /* w (O×I×k×k) -> W_big */
{
    rcc_conv *c = ctx;
    float *big = c->dense.w.ptr;
    const float *w = rcc_pdata(c->ps) + c->w_off;
    const int64_t kin = c->dense.kin, npos = c->oh * c->ow, kk = (int64_t)c->k * c->k;
    const int in_c = c->in_c;
    if (!c->dense.zeroed) { /* entries no tap reaches stay 0: written once */
        memset(big, 0, c->dense.w.bytes);
        c->dense.zeroed = true;
    }
    const rcc_dense_pair *pairs = c->dense.pairs;
    const int npairs = c->dense.npairs;
    const int64_t *so = c->dense.src_off, *dof = c->dense.dst_off;
#pragma omp parallel for schedule(static) if ((int64_t)c->out_c * in_c * npairs >= DENSE_PARALLEL_MIN)
    for (int o = 0; o < c->out_c; o++)
        for (int j = 0; j < npairs; j++) {
            float *row = big + dof[(int64_t)o * npos + pairs[j].p] * kin;
            const float *wo = w + (int64_t)o * in_c * kk + pairs[j].tap;
            const int64_t *sq = so + (int64_t)pairs[j].q * in_c;
            for (int i = 0; i < in_c; i++)
                row[sq[i]] = wo[i * kk];
        }
    return RCC_OK;
}

static rcc_status dense_fwd(void *ctx)
{
    rcc_conv *c = ctx;
    return gemm('N', 'T', c->n, c->dense.kout, c->dense.kin, c->src->ptr, c->dense.kin, c->dense.w.ptr, c->dense.kin,
                c->dst.ptr, c->dense.kout, "convolution forward (dense)");
}

static rcc_status dense_bwd_data(void *ctx)
{
    rcc_conv *c = ctx;
    return gemm('N', 'N', c->n, c->dense.kin, c->dense.kout, c->dense.diff_dst->ptr, c->dense.kout, c->dense.w.ptr,
                c->dense.kin, c->dense.diff_src->ptr, c->dense.kin, "convolution backward-data (dense)");
}

static rcc_status dense_bwd_weights(void *ctx)
{
    rcc_conv *c = ctx;
    return gemm('T', 'N', c->dense.kout, c->dense.kin, c->n, c->dense.diff_dst->ptr, c->dense.kout, c->src->ptr,
                c->dense.kin, c->dense.dw.ptr, c->dense.kin, "convolution backward-weights (dense)");
}

static rcc_status dense_weight_grad(void *ctx) /* dW_big -> the gradient block, added */
{
    rcc_conv *c = ctx;
    const float *big = c->dense.dw.ptr;
    float *g = rcc_pgrad(c->ps) + c->w_off;
    const int64_t kin = c->dense.kin, npos = c->oh * c->ow, kk = (int64_t)c->k * c->k;
    const int in_c = c->in_c;
    const rcc_dense_pair *pairs = c->dense.pairs;
    const int npairs = c->dense.npairs;
    const int64_t *so = c->dense.src_off, *dof = c->dense.dst_off;
#pragma omp parallel for schedule(static) if ((int64_t)c->out_c * in_c * npairs >= DENSE_PARALLEL_MIN)
    for (int o = 0; o < c->out_c; o++) {
        float *go = g + (int64_t)o * in_c * kk;
        for (int j = 0; j < npairs; j++) { /* pairs are sorted by tap: each weight's sum in a fixed order */
            const float *row = big + dof[(int64_t)o * npos + pairs[j].p] * kin;
            const int64_t *sq = so + (int64_t)pairs[j].q * in_c;
            for (int i = 0; i < in_c; i++)
                go[i * kk + pairs[j].tap] += row[sq[i]];
        }
    }
    return RCC_OK;
}

/* ---- planning ---- */

static int pair_by_tap(const void *a, const void *b)
{
    const rcc_dense_pair *x = a, *y = b;
    if (x->tap != y->tap)
        return x->tap < y->tap ? -1 : 1;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return (x->q > y->q) - (x->q < y->q);
}

rcc_status rcc_conv_dense_tables(rcc_conv *c, const dnnl_memory_desc_t *smd, const dnnl_memory_desc_t *dmd)
{
    if (!rcc_batch_outer_tag(smd) || !rcc_batch_outer_tag(dmd))
        return rcc_fail(RCC_ERR_ARG, "%s: dense convolution needs tensors with the batch outermost", c->layer);
    const int64_t ipos = c->ih * c->iw, opos = c->oh * c->ow;
    c->dense.kin = smd->format_desc.blocking.strides[0];
    c->dense.kout = dmd->format_desc.blocking.strides[0];
    c->dense.src_off = malloc(sizeof(int64_t) * (size_t)(ipos * c->in_c));
    c->dense.dst_off = malloc(sizeof(int64_t) * (size_t)(opos * c->out_c));
    c->dense.pairs = malloc(sizeof(rcc_dense_pair) * (size_t)(ipos * opos));
    if (!c->dense.src_off || !c->dense.dst_off || !c->dense.pairs)
        return rcc_fail(RCC_ERR_NOMEM, "%s: dense convolution tables", c->layer);
    for (int64_t q = 0; q < ipos; q++) /* src_off[q][i]: position-major, so a pair's inner loop is one row */
        for (int i = 0; i < c->in_c; i++)
            c->dense.src_off[q * c->in_c + i] = md_offset(smd, (int64_t[4]){0, i, q / c->iw, q % c->iw});
    for (int o = 0; o < c->out_c; o++) /* dst_off[o][p] */
        for (int64_t p = 0; p < opos; p++)
            c->dense.dst_off[o * opos + p] = md_offset(dmd, (int64_t[4]){0, o, p / c->ow, p % c->ow});
    int n = 0;
    for (int64_t p = 0; p < opos; p++)
        for (int64_t q = 0; q < ipos; q++) {
            int64_t ky = q / c->iw - (p / c->ow) * c->stride + c->pad;
            int64_t kx = q % c->iw - (p % c->ow) * c->stride + c->pad;
            if (ky >= 0 && ky < c->k && kx >= 0 && kx < c->k)
                c->dense.pairs[n++] = (rcc_dense_pair){(int)p, (int)q, (int)(ky * c->k + kx)};
        }
    qsort(c->dense.pairs, (size_t)n, sizeof *c->dense.pairs, pair_by_tap);
    c->dense.npairs = n;
    return RCC_OK;
}

rcc_status rcc_conv_dense_plan(rcc_arena *a, rcc_conv *c)
{
    const dnnl_memory_desc_t *smd = &c->src->md;
    dnnl_format_tag_t tag = rcc_batch_outer_tag(smd);
    if (!tag || smd->data_type != dnnl_f32)
        return rcc_fail(RCC_ERR_ARG, "%s: dense convolution needs an f32 input with the batch outermost", c->layer);
    int64_t dd[4] = {c->n, c->out_c, c->oh, c->ow};
    dnnl_memory_desc_t dmd = rcc_md_plain(4, dd, tag);
    RCC_TRY(rcc_act_plan(a, &c->dst, &dmd));
    RCC_TRY(rcc_conv_dense_tables(c, smd, &dmd));
    int64_t bd[2] = {c->dense.kout, c->dense.kin};
    dnnl_memory_desc_t bmd = rcc_md_plain(2, bd, dnnl_ab);
    RCC_TRY(rcc_act_plan(a, &c->dense.w, &bmd));
    double flops = 2.0 * rcc_conv_macs(c); /* direct-equivalent, as every convolution's in profiles */
    rcc_prim_fn(&c->p_w, dense_weights, c, "weights to dense", 0);
    rcc_prim_fn(&c->p_fwd, dense_fwd, c, "conv fwd (dense)", flops);
    c->dense.on = true;
    return RCC_OK;
}

rcc_status rcc_conv_dense_plan_bwd(rcc_arena *a, rcc_conv *c, rcc_act *diff_dst, rcc_act *diff_src)
{
    c->dense.diff_dst = diff_dst;
    c->dense.diff_src = diff_src;
    /* dW_big lives only from its product to its sum into the gradient block: the arena's scratchpad,
     * which no other step uses meanwhile */
    int64_t bd[2] = {c->dense.kout, c->dense.kin};
    dnnl_memory_desc_t bmd = rcc_md_plain(2, bd, dnnl_ab);
    size_t bytes = rcc_md_bytes(&bmd);
    if (bytes > a->scratch_bytes)
        a->scratch_bytes = bytes;
    RCC_TRY(rcc_act_view(a, &c->dense.dw, &bmd, &a->scratch, 0));
    double flops = 2.0 * rcc_conv_macs(c);
    rcc_prim_fn(&c->p_bwd_w, dense_bwd_weights, c, "conv bwd-weights (dense)", flops);
    rcc_prim_fn(&c->p_dw, dense_weight_grad, c, "dense weight gradient", 0);
    if (diff_src)
        rcc_prim_fn(&c->p_bwd_d, dense_bwd_data, c, "conv bwd-data (dense)", flops);
    return RCC_OK;
}

void rcc_conv_dense_free(rcc_conv *c)
{
    free(c->dense.src_off);
    free(c->dense.dst_off);
    free(c->dense.pairs);
    c->dense.src_off = c->dense.dst_off = NULL;
    c->dense.pairs = NULL;
}
