/* model.h — the network of docs/method.md §1: a ResNet-18 backbone ending in rep_dim channels whose
 * pooled output is put on the unit sphere (h), an instance head (z, unit norm) and a cluster
 * head (y, softmax over K). One plan per (batch, mode): every buffer is laid out before the
 * first step; forward and backward then run without allocating. */
#ifndef RCC_MODEL_H
#define RCC_MODEL_H

#include "ops/ops.h"

struct rcc_dist; /* dist.h */

typedef struct {
    int in_channels; /* C */
    int image_size;  /* S */
    int width;       /* channels of stage 1 (64 for ResNet-18); stages use w, 2w, 4w, rep_dim */
    int rep_dim;     /* paper: 3 */
    int feature_dim; /* instance head output, paper: 128 */
    int clusters;    /* K */
    int hidden;      /* heads' hidden width, 512 */
    bool small_stem; /* backbone resnet18-small: stem conv 3×3 stride 1, no max-pool (SPEC §1) */
    rcc_conv_algo conv_algo; /* how the convolutions compute (not part of the model's definition) */
    bool bf16;               /* the backbone's activations and convolution weights in bf16 (f32 master
                              * weights, statistics, heads and losses; docs/performance.md) */
} rcc_model_config;

/* The valid range of each size of the model: X(field, lo, hi). The one list that both
 * rcc_model_config_check and the table of rcc_config's fields (run/config.c) are made from.
 * in_channels goes apart: rcc_config also takes 0 there (as many as the data has). */
#define RCC_IN_CHANNELS_MAX 64
#define RCC_MODEL_RANGES(X) \
    X(image_size, 16, 1024) \
    X(width, 1, 1024)       \
    X(rep_dim, 2, 4096)     \
    X(feature_dim, 1, 4096) \
    X(clusters, 1, 1000)    \
    X(hidden, 1, 65536)

void rcc_model_config_default(rcc_model_config *cfg);
/* RCC_ERR_ARG naming the first size out of its range. */
rcc_status rcc_model_config_check(const rcc_model_config *cfg);

/* ResNet-18's backbone: 4 stages of 2 basic blocks after the stem. */
#define RCC_STAGES 4
#define RCC_STAGE_BLOCKS 2
#define RCC_BLOCKS (RCC_STAGES * RCC_STAGE_BLOCKS)

typedef struct {
    rcc_conv c1, c2, cd;
    rcc_bn b1, b2, bd;
    bool down, relu_out, sc_reorder;
    rcc_act *in, *out; /* out: b2.dst, or (batch-norm folded) c2.dst, which shares the shortcut's storage */
    rcc_act sc_r, d_sc;  /* only when the shortcut's layout differs from the main path's */
    rcc_prim p_sc, p_dsc;
    /* backward: gradient views into the shared diff buffers */
    rcc_act d_out, d_c2, d_b1, d_c1, d_in, d_bd, d_cd_in;
    int dx, dy, dz, dw; /* which diff buffer plays which role */
} rcc_block;

typedef struct {
    rcc_model_config cfg;
    int batch, groups;
    bool train;
    bool fused; /* inference plans: batch-norms folded into the convolutions (conv_bn.c; b1, b2, bd,
                 * stem_bn unused) */
    rcc_params *ps;
    rcc_arena arena;
    rcc_act input; /* batch×C×S×S, plain NCHW: write images here */
    rcc_conv stem;
    rcc_bn stem_bn;
    rcc_pool maxpool, gap; /* maxpool: not with small_stem */
    rcc_pool gap3;         /* inference plans: stage 3's output averaged over positions (N×4w, plain) */
    bool want_stage3;      /* set before rcc_model_forward to compute gap3 too (inference plans only) */
    rcc_block blocks[RCC_BLOCKS];
    /* heads (plain row-major) */
    size_t iw1, ib1, iw2, ib2, cw1, cb1, cw2, cb2; /* parameter offsets */
    rcc_act h, hn, iar, zr, z, zn, car, cl, y;
    /* backward */
    rcc_act dbuf[4];
    rcc_act d_hraw, dh, dh1, dzr, dhid, dcl, d_stem_pool, d_stem_bn, d_stem_conv;
    struct rcc_dist *bn_sync; /* batch-norm statistics over these processes, or NULL */
} rcc_model;

/* Plans the model for `batch` images. train: batch-norm statistics per group of batch/groups
 * images and a backward pass; otherwise running statistics, no backward. Parameters are
 * registered in ps (or, if ps is already allocated, shared with another plan). */
rcc_status rcc_model_plan(rcc_model *m, const rcc_model_config *cfg, rcc_params *ps, int batch, int groups, bool train);
/* The same, for data-parallel training: with bn_sync (more than one process), every training
 * batch-norm uses statistics over all of its processes. */
rcc_status rcc_model_plan_dist(rcc_model *m, const rcc_model_config *cfg, rcc_params *ps, int batch, int groups,
                               bool train, struct rcc_dist *bn_sync);
/* After rcc_params_alloc: allocates activations and binds everything. */
rcc_status rcc_model_commit(rcc_model *m);
rcc_status rcc_model_forward(rcc_model *m);
/* Gradients of the loss w.r.t. z, y, h (each batch rows); ADDS parameter gradients. */
rcc_status rcc_model_backward(rcc_model *m, const float *dz, const float *dy, const float *dh);
void rcc_model_free(rcc_model *m);
/* Channels of stage 3's output (the pooled features gap3 holds): 4·width. */
int rcc_model_stage3_dim(const rcc_model_config *cfg);
/* Multiply-adds of one forward pass of the backbone for one image. */
double rcc_model_backbone_macs(const rcc_model *m);

#endif
