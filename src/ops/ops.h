/* ops.h — the layers of the network, each with a forward and a backward that live side by side.
 * Image tensors are rcc_act (oneDNN layouts chosen by the convolutions and kept from layer to
 * layer); head tensors are plain row-major float arrays. Every backward ADDS into parameter
 * gradients; gradients w.r.t. inputs are written (the caller accumulates where a tensor fans out). */
#ifndef RCC_OPS_H
#define RCC_OPS_H

#include <string.h>
#include "../dnn.h"
#include "../params.h"

#define RCC_MAX_GROUPS 2

struct rcc_dist; /* dist.h */

/* ---- convolution (no bias): src N×I×H×W -> dst N×O×H'×W' ---- */
/* rcc.h's rcc_conv_kind: RCC_CONV_DIRECT, oneDNN's direct kernels (the reference numbers), or
 * RCC_CONV_WINOGRAD, in training Winograd F(4×4,3×3) for 3×3 stride-1 convolutions with outputs of
 * at least 4×4 where oneDNN has it; direct elsewhere and in inference plans. */
typedef rcc_conv_kind rcc_conv_algo;

/* conv_dense.c: output position p and input position q joined by kernel tap `tap` (ky·k + kx). */
typedef struct {
    int p, q, tap;
} rcc_dense_pair;

typedef struct {
    int in_c, out_c, k, stride, pad;
    int64_t n, ih, iw, oh, ow;
    size_t w_off;
    rcc_params *ps;
    char layer[48]; /* for profiles: the weight's name without "backbone." and ".weight" */
    bool train, bwd_data;
    rcc_conv_algo algo;                   /* asked for */
    dnnl_data_type_t dt;                  /* of the kernel's input, weights and output (f32 or bf16; the
                                           * weight gradient is f32 either way) */
    bool wino_fwd, wino_bwd_d, wino_bwd_w; /* which passes got a Winograd kernel */
    rcc_act *src;
    rcc_act src_r, dst;           /* src_r: the input reordered, only when the conv wants another layout */
    rcc_act w_plain, w, dw_plain, dw, w_bd, dsrc_r;
    rcc_act ddst_r;               /* the output gradient in a plain layout, only where the backward-weights
                                   * kernel for the forward's layout would be oneDNN's reference one */
    bool src_reorder, w_bd_separate, ddst_reorder;
    rcc_prim p_src_reorder, p_w, p_fwd, p_bwd_w, p_dw, p_bwd_d, p_w_bd, p_dsrc_reorder, p_ddst_reorder;
    dnnl_primitive_desc_t pd_fwd; /* kept as the hint for the backward */
    struct {                      /* maps smaller than the kernel: one dense product (conv_dense.c) */
        bool on, zeroed;
        int64_t kin, kout;        /* elements per image of the input and the output, padding included */
        int64_t *src_off, *dst_off; /* [q][i] and [o][p]: where each element lies in its image */
        rcc_dense_pair *pairs;    /* sorted by tap */
        int npairs;
        rcc_act w, dw;            /* W_big and dW_big (kout × kin); dw on the arena's scratchpad */
        rcc_act *diff_dst, *diff_src;
    } dense;
    struct {                      /* inference: the batch-norm after it folded in (conv_bn.c) */
        bool on, sum, relu, sum_reorder;
        bool ready;               /* w holds the folded weights of parameters at `version` */
        uint64_t version;
        bool dense;               /* a map smaller than the kernel: one oneDNN matmul, W_big as in conv_dense.c */
        bool prescale;            /* Winograd: the weights scaled into `big` (O×I×k×k) before their reorder */
        rcc_act big, bias_big;    /* W_big (kin × kout, f32, on the scratchpad while it is made) and its bias */
        rcc_act src2, dst2;       /* the input and output as N × kin and N × kout matrices */
        size_t gamma_off, beta_off, mean_off, var_off;
        rcc_act scale, bias;      /* per output channel: γ/√(var+ε), and β − μ·γ/√(var+ε) */
        rcc_prim p_sum_in;        /* the residual into dst, when their layouts differ */
    } bn;
} rcc_conv;

/* dt: the data type the convolution computes in (dnnl_f32, or dnnl_bf16: bf16 input, weights and
 * output with f32 accumulation; an input of the other type is reordered into it first). */
rcc_status rcc_conv_plan(rcc_arena *a, rcc_params *ps, rcc_conv *c, const char *wname, rcc_act *src, int out_c,
                         int k, int stride, int pad, bool train, bool bwd_data, rcc_conv_algo algo,
                         dnnl_data_type_t dt);
/* Backward buffers: diff_dst has dst's layout; diff_src (src's layout) only if bwd_data. */
rcc_status rcc_conv_plan_bwd(rcc_arena *a, rcc_conv *c, rcc_act *diff_dst, rcc_act *diff_src);
rcc_status rcc_conv_forward(rcc_conv *c);
rcc_status rcc_conv_backward(rcc_conv *c);
double rcc_conv_macs(const rcc_conv *c); /* multiply-adds of one forward */
/* conv_dense.c, for conv.c: whether a planned shape computes as one dense product (f32, the input map
 * has fewer positions than the kernel taps, the batch outermost; training plans; environment
 * RCC_CONV_DENSE=0 turns it off), and its plans. */
bool rcc_conv_dense_shape(const rcc_conv *c, const dnnl_memory_desc_t *src_md);
/* The layout tag of a 4-d f32 or bf16 descriptor among those whose batch is outermost (nChw16c,
 * nChw8c, nhwc, nchw); 0 if none. */
dnnl_format_tag_t rcc_batch_outer_tag(const dnnl_memory_desc_t *md);
/* The tables of the dense product from smd to dmd (both batch-outermost): kin, kout, src_off, dst_off,
 * pairs (freed by rcc_conv_dense_free). */
rcc_status rcc_conv_dense_tables(rcc_conv *c, const dnnl_memory_desc_t *smd, const dnnl_memory_desc_t *dmd);
rcc_status rcc_conv_dense_plan(rcc_arena *a, rcc_conv *c);
rcc_status rcc_conv_dense_plan_bwd(rcc_arena *a, rcc_conv *c, rcc_act *diff_dst, rcc_act *diff_src);
void rcc_conv_dense_free(rcc_conv *c);
void rcc_conv_free(rcc_conv *c);
/* Winograd F(4×4,3×3) can exist and pays for this convolution (conv.c's rules: asked for, f32, 3×3,
 * stride 1, outputs of at least 4×4); training plans (conv.c) and inference plans (conv_bn.c) both ask it. */
bool rcc_conv_wino_shape(const rcc_conv *c);
/* The primitive is oneDNN's reference kernel (a slow loop: rcc asks again another way where it can). */
static inline bool rcc_pd_is_ref(const_dnnl_primitive_desc_t pd) { return strncmp(rcc_pd_impl(pd), "ref", 3) == 0; }
/* The fields every plan of a convolution shares: input, its sizes, the output's, data type (f32 or bf16,
 * else RCC_ERR_ARG), and the layer's name for profiles (from the weight's: "backbone.layer1.0.conv1.weight"
 * -> "layer1.0.conv1"); RCC_ERR_ARG when the input is too small for the kernel. */
rcc_status rcc_conv_set_shape(rcc_conv *c, rcc_params *ps, const char *wname, rcc_act *src, int out_c, int k,
                              int stride, int pad, dnnl_data_type_t dt);

/* ---- inference: a convolution with the batch-norm after it folded in (conv_bn.c) ----
 * With s = γ/√(running var + ε) per output channel, BN(conv(x, w)) = conv(x, w·s) + β − μ·s: one
 * oneDNN convolution with a bias, whose weights are scaled as they are reordered for the kernel; then,
 * as its post-ops, the residual sum (dst += the shortcut) and the ReLU. The folded weights are kept
 * from one forward to the next while the parameters' version (rcc_params_touch) stays the same.
 * Where the input map has fewer positions than the kernel taps (stages 3 and 4 of 32×32 images) and
 * the batch has at least 8 images, the convolution is one oneDNN matmul by W_big instead
 * (conv_dense.c's formulation, in f32 or bf16), unless RCC_CONV_DENSE=0. algo RCC_CONV_WINOGRAD:
 * Winograd F(4×4,3×3) where conv.c's rules allow it (f32, 3×3, stride 1, outputs ≥ 4×4). Inference plans only; the
 * environment RCC_CONV_FUSE=0 turns it off (the model then plans rcc_conv + rcc_bn), for comparisons. */
typedef struct {
    size_t w, bn[4]; /* the weight's offset; γ, β, running mean, running variance (rcc_bn_add_params) */
} rcc_conv_bn_offsets;

bool rcc_conv_bn_enabled(void);
/* Registers the convolution's weight (O×I×k×k) then the batch-norm's four tensors, the order of
 * rcc_conv_plan then rcc_bn_plan. */
rcc_status rcc_conv_bn_register(rcc_params *ps, const char *wname, const char *bn_name, int in_c, int out_c, int k,
                                rcc_conv_bn_offsets *off);
/* Plans it on src. sum_into (or NULL): the residual, which dst then shares (or receives by a reorder
 * before each forward when the layouts differ) and to which the convolution adds; relu: a ReLU last. */
rcc_status rcc_conv_bn_plan(rcc_arena *a, rcc_params *ps, rcc_conv *c, const char *wname,
                            const rcc_conv_bn_offsets *off, rcc_act *src, int out_c, int k, int stride, int pad,
                            dnnl_data_type_t dt, rcc_conv_algo algo, bool relu, rcc_act *sum_into);
/* conv.c's forward calls it when the parameters' version moved: s and the bias from the current
 * parameters, then the kernel's weights made from them. */
rcc_status rcc_conv_bn_prepare(rcc_conv *c);

/* ---- batch normalisation 2-d, optionally fused with ReLU; statistics per group of the batch ---- */
typedef struct {
    int c, groups;
    bool relu, train;
    float eps, momentum;
    int64_t n, h, w;
    size_t gamma_off, beta_off, mean_off, var_off;
    rcc_act *src;
    rcc_act dst, ws;
    rcc_act src_g[RCC_MAX_GROUPS], dst_g[RCC_MAX_GROUPS], ws_g[RCC_MAX_GROUPS];
    rcc_act mean_g[RCC_MAX_GROUPS], var_g[RCC_MAX_GROUPS];
    rcc_act gamma, beta, dgamma, dbeta, rmean, rvar;
    rcc_act dd_g[RCC_MAX_GROUPS], ds_g[RCC_MAX_GROUPS]; /* diff_dst, diff_src per group */
    rcc_prim fwd[RCC_MAX_GROUPS], bwd[RCC_MAX_GROUPS];
    dnnl_primitive_desc_t pd_fwd;
    bool has_bwd;
    /* synchronised statistics (data-parallel training): the local statistics are summed over
     * processes, then a second forward normalises with the global ones; the backward uses the
     * global statistics and adds the two reductions' terms itself (see bn.c) */
    struct rcc_dist *sync;
    rcc_prim fwd_sync[RCC_MAX_GROUPS];
    rcc_act gmean_g[RCC_MAX_GROUPS], gvar_g[RCC_MAX_GROUPS], wss_g[RCC_MAX_GROUPS];
    dnnl_primitive_desc_t pd_fwd_sync;
    double *red;  /* 2 · groups · c reduction buffer */
    float *coef;  /* 2 · c correction coefficients */
} rcc_bn;

#define RCC_BN_EPS 1e-5f
/* Registers a batch-norm's tensors: name.weight (γ), .bias (β), .running_mean, .running_var (the last
 * two in the buffer block), their offsets in off[0..3]. */
rcc_status rcc_bn_add_params(rcc_params *ps, const char *name, int c, size_t off[4]);
/* name: e.g. "backbone.bn1" (registers .weight .bias .running_mean .running_var). */
rcc_status rcc_bn_plan(rcc_arena *a, rcc_params *ps, rcc_bn *b, const char *name, rcc_act *src, bool relu, bool train,
                       int groups);
/* Makes a training batch-norm use statistics over all processes of d (call right after
 * rcc_bn_plan, before rcc_bn_plan_bwd). A no-op for one process. */
rcc_status rcc_bn_plan_sync(rcc_arena *a, rcc_bn *b, struct rcc_dist *d);
rcc_status rcc_bn_plan_bwd(rcc_arena *a, rcc_bn *b, rcc_act *diff_dst, rcc_act *diff_src);
rcc_status rcc_bn_forward(rcc_bn *b, rcc_params *ps);
rcc_status rcc_bn_backward(rcc_bn *b, rcc_params *ps);
void rcc_bn_free(rcc_bn *b);

/* ---- pooling: max 3×3/2 pad 1, and global average ---- */
typedef struct {
    bool global, train;
    rcc_act *src;
    rcc_act dst, ws, plain; /* plain: global pooling output as a row-major N×C matrix */
    rcc_act dplain_r;       /* backward: the N×C gradient in the pooled layout */
    rcc_prim fwd, bwd, to_plain, from_plain;
    dnnl_primitive_desc_t pd_fwd;
    bool has_bwd;
} rcc_pool;

rcc_status rcc_pool_plan(rcc_arena *a, rcc_pool *p, rcc_act *src, bool global, bool train);
/* Global: diff_dst is the plain N×C gradient (row-major); max: diff_dst has dst's layout. */
rcc_status rcc_pool_plan_bwd(rcc_arena *a, rcc_pool *p, rcc_act *diff_dst, rcc_act *diff_src);
rcc_status rcc_pool_forward(rcc_pool *p);
rcc_status rcc_pool_backward(rcc_pool *p);
void rcc_pool_free(rcc_pool *p);

/* ---- element-wise on same-layout buffers of n floats ---- */
void rcc_add_relu_forward(float *y, const float *x, size_t n, bool relu); /* y = relu?(y + x) */
void rcc_relu_backward(float *dy, const float *y, size_t n);              /* dy *= (y > 0) */
void rcc_add_inplace(float *y, const float *x, size_t n);                 /* y += x */
/* The same on bf16 (the upper 16 bits of a float): computed in f32, rounded to nearest even. */
void rcc_add_relu_forward_bf16(uint16_t *y, const uint16_t *x, size_t n, bool relu);
void rcc_relu_backward_bf16(uint16_t *dy, const uint16_t *y, size_t n);
void rcc_add_inplace_bf16(uint16_t *y, const uint16_t *x, size_t n);
float rcc_bf16_to_f32(uint16_t b);
uint16_t rcc_f32_to_bf16(float f);
/* On tensors of one layout and data type, f32 or bf16 (the kernels above). */
void rcc_act_add_relu(rcc_act *y, const rcc_act *x, bool relu);
void rcc_act_relu_backward(rcc_act *dy, const rcc_act *y);
void rcc_act_add(rcc_act *y, const rcc_act *x);

/* ---- head ops on row-major matrices ---- */
#define RCC_L2NORM_EPS 1e-12 /* floor of ‖x‖ for the heads' h and z: F.normalize's eps */
#define RCC_COSINE_EPS 1e-8  /* floor of ‖x‖ in the cosine NT-Xent: nn.CosineSimilarity's eps */
/* y[n×out] = x[n×in] · Wᵀ + b;  W is out×in (PyTorch). */
rcc_status rcc_linear_forward(const float *x, const float *w, const float *b, float *y, int n, int in, int out);
/* dW += dyᵀx, db += Σ dy; dx = dy·W (written, if dx). */
rcc_status rcc_linear_backward(const float *x, const float *w, const float *dy, float *dw, float *db, float *dx, int n,
                               int in, int out);
void rcc_relu_rows_forward(float *y, const float *x, size_t n);
void rcc_relu_rows_backward(float *dx, const float *y, const float *dy, size_t n); /* dx = dy·(y>0) */
void rcc_softmax_forward(const float *x, float *y, int n, int k);
void rcc_softmax_backward(const float *y, const float *dy, float *dx, int n, int k); /* dx written */
/* y = x / max(‖x‖, eps) per row (‖x‖ summed in double); the floored norms saved for backward. */
void rcc_l2norm_forward(const float *x, float *y, float *norms, int n, int d, double eps);
void rcc_l2norm_backward(const float *y, const float *norms, const float *dy, float *dx, int n, int d); /* written */

#endif
