/* model.c — ResNet-18 backbone on the unit sphere with instance and cluster heads:
 * planning, forward and backward. */
#include "model.h"
#include "dist.h"

#include <stdio.h>
#include <string.h>

void rcc_model_config_default(rcc_model_config *cfg)
{
    cfg->in_channels = 1;
    cfg->image_size = 64;
    cfg->width = 64;
    cfg->rep_dim = 3;
    cfg->feature_dim = 128;
    cfg->clusters = 10;
    cfg->hidden = 512;
    cfg->small_stem = false;
    cfg->conv_algo = RCC_CONV_DIRECT;
    cfg->bf16 = false;
}

static dnnl_data_type_t act_dt(const rcc_model_config *c) { return c->bf16 ? dnnl_bf16 : dnnl_f32; }

rcc_status rcc_model_config_check(const rcc_model_config *c)
{
    RCC_TRY(rcc_check_range("in_channels", c->in_channels, 1, RCC_IN_CHANNELS_MAX));
#define CHECK_SIZE(field, lo, hi) RCC_TRY(rcc_check_range(#field, c->field, lo, hi));
    RCC_MODEL_RANGES(CHECK_SIZE)
#undef CHECK_SIZE
    return RCC_OK;
}

/* A batch-norm of the model, synchronised over processes when the plan asks for it. */
static rcc_status plan_bn(rcc_model *m, rcc_bn *b, const char *name, rcc_act *src, bool relu)
{
    RCC_TRY(rcc_bn_plan(&m->arena, m->ps, b, name, src, relu, m->train, m->groups));
    return m->bn_sync ? rcc_bn_plan_sync(&m->arena, b, m->bn_sync) : RCC_OK;
}

/* Inference with the batch-norms folded in: conv1+bn1+ReLU, the downsample's conv+bn, then conv2+bn2
 * adding into the shortcut in place (the block's input, or the downsample's output) and the ReLU.
 * The tensors are registered in rcc_conv_plan + rcc_bn_plan's order. */
static rcc_status plan_block_fused(rcc_model *m, rcc_block *b, const char *name, rcc_act *x, int out, int stride,
                                   bool relu_out)
{
    rcc_arena *a = &m->arena;
    rcc_params *ps = m->ps;
    dnnl_data_type_t dt = act_dt(&m->cfg);
    rcc_conv_algo algo = m->cfg.conv_algo;
    int in = (int)x->md.dims[1];
    char w1[RCC_NAME_MAX], n1[RCC_NAME_MAX], w2[RCC_NAME_MAX], n2[RCC_NAME_MAX], wd[RCC_NAME_MAX], nd[RCC_NAME_MAX];
    RCC_TRY(rcc_name(w1, sizeof w1, "%s.conv1.weight", name));
    RCC_TRY(rcc_name(n1, sizeof n1, "%s.bn1", name));
    RCC_TRY(rcc_name(w2, sizeof w2, "%s.conv2.weight", name));
    RCC_TRY(rcc_name(n2, sizeof n2, "%s.bn2", name));
    RCC_TRY(rcc_name(wd, sizeof wd, "%s.downsample.0.weight", name));
    RCC_TRY(rcc_name(nd, sizeof nd, "%s.downsample.1", name));
    rcc_conv_bn_offsets o1, o2, od;
    RCC_TRY(rcc_conv_bn_register(ps, w1, n1, in, out, 3, &o1));
    RCC_TRY(rcc_conv_bn_register(ps, w2, n2, out, out, 3, &o2));
    if (b->down)
        RCC_TRY(rcc_conv_bn_register(ps, wd, nd, in, out, 1, &od));
    RCC_TRY(rcc_conv_bn_plan(a, ps, &b->c1, w1, &o1, x, out, 3, stride, 1, dt, algo, true, NULL));
    rcc_act *sc = x;
    if (b->down) {
        RCC_TRY(rcc_conv_bn_plan(a, ps, &b->cd, wd, &od, x, out, 1, stride, 0, dt, algo, false, NULL));
        sc = &b->cd.dst;
    }
    RCC_TRY(rcc_conv_bn_plan(a, ps, &b->c2, w2, &o2, &b->c1.dst, out, 3, 1, 1, dt, algo, relu_out, sc));
    b->out = &b->c2.dst;
    return RCC_OK;
}

static rcc_status plan_block(rcc_model *m, rcc_block *b, const char *name, rcc_act *x, int out, int stride,
                             bool relu_out)
{
    rcc_arena *a = &m->arena;
    rcc_params *ps = m->ps;
    char nm[RCC_NAME_MAX];
    memset(b, 0, sizeof *b);
    b->in = x;
    b->relu_out = relu_out;
    b->down = stride != 1 || x->md.dims[1] != out;
    if (m->fused)
        return plan_block_fused(m, b, name, x, out, stride, relu_out);
    b->out = &b->b2.dst;
    dnnl_data_type_t dt = act_dt(&m->cfg);
    RCC_TRY(rcc_name(nm, sizeof nm, "%s.conv1.weight", name));
    RCC_TRY(rcc_conv_plan(a, ps, &b->c1, nm, x, out, 3, stride, 1, m->train, true, m->cfg.conv_algo, dt));
    RCC_TRY(rcc_name(nm, sizeof nm, "%s.bn1", name));
    RCC_TRY(plan_bn(m, &b->b1, nm, &b->c1.dst, true));
    RCC_TRY(rcc_name(nm, sizeof nm, "%s.conv2.weight", name));
    RCC_TRY(rcc_conv_plan(a, ps, &b->c2, nm, &b->b1.dst, out, 3, 1, 1, m->train, true, m->cfg.conv_algo, dt));
    RCC_TRY(rcc_name(nm, sizeof nm, "%s.bn2", name));
    RCC_TRY(plan_bn(m, &b->b2, nm, &b->c2.dst, false));
    if (b->down) {
        RCC_TRY(rcc_name(nm, sizeof nm, "%s.downsample.0.weight", name));
        RCC_TRY(rcc_conv_plan(a, ps, &b->cd, nm, x, out, 1, stride, 0, m->train, true, m->cfg.conv_algo, dt));
        RCC_TRY(rcc_name(nm, sizeof nm, "%s.downsample.1", name));
        RCC_TRY(plan_bn(m, &b->bd, nm, &b->cd.dst, false));
    }
    /* oneDNN may pick different layouts for the two paths (it does for tiny channel counts):
     * then one reorder brings the shortcut to the main path's layout. */
    rcc_act *sc = b->down ? &b->bd.dst : x;
    if (!dnnl_memory_desc_equal(&sc->md, &b->b2.dst.md)) {
        b->sc_reorder = true;
        RCC_TRY(rcc_act_plan(a, &b->sc_r, &b->b2.dst.md));
        RCC_TRY(rcc_reorder_create(a, &b->p_sc, sc, &b->sc_r, false, "reorder (shortcut)"));
    }
    return RCC_OK;
}

static rcc_status plan_head_act(rcc_arena *a, rcc_act *t, int rows, int cols)
{
    int64_t d[2] = {rows, cols};
    dnnl_memory_desc_t md = rcc_md_plain(2, d, dnnl_ab);
    return rcc_act_plan(a, t, &md);
}

static rcc_status add_linear(rcc_params *ps, const char *name, int in, int out, size_t *w, size_t *b)
{
    char nm[RCC_NAME_MAX];
    int64_t wd[2] = {out, in}, bd[1] = {out};
    RCC_TRY(rcc_name(nm, sizeof nm, "%s.weight", name));
    RCC_TRY(rcc_params_add(ps, nm, RCC_P_LIN_W, 2, wd, w));
    RCC_TRY(rcc_name(nm, sizeof nm, "%s.bias", name));
    return rcc_params_add(ps, nm, RCC_P_LIN_B, 1, bd, b);
}

static size_t max_bytes(size_t a, const rcc_act *t) { return t->bytes > a ? t->bytes : a; }

static rcc_status plan_backward(rcc_model *m)
{
    rcc_arena *a = &m->arena;
    const rcc_model_config *c = &m->cfg;
    int B = m->batch;
    /* four shared gradient buffers, each as large as the largest activation of the blocks; the
     * stem's (four times larger) gradients reuse its own batch-norm output, dead by then */
    size_t mb = m->cfg.small_stem ? 0 : max_bytes(0, &m->maxpool.dst);
    for (int i = 0; i < RCC_BLOCKS; i++) {
        rcc_block *b = &m->blocks[i];
        mb = max_bytes(max_bytes(max_bytes(mb, &b->c1.dst), &b->c2.dst), b->in);
    }
    int64_t nd[1] = {(int64_t)(mb / sizeof(float))};
    dnnl_memory_desc_t flat = rcc_md_plain(1, nd, dnnl_a);
    for (int i = 0; i < 4; i++)
        RCC_TRY(rcc_act_plan(a, &m->dbuf[i], &flat));
    int64_t hd[4] = {B, c->rep_dim, 1, 1};
    dnnl_memory_desc_t hmd = rcc_md_plain(4, hd, dnnl_nchw);
    RCC_TRY(rcc_act_plan(a, &m->d_hraw, &hmd));
    RCC_TRY(plan_head_act(a, &m->dh, B, c->rep_dim));
    RCC_TRY(plan_head_act(a, &m->dh1, B, c->rep_dim));
    RCC_TRY(plan_head_act(a, &m->dzr, B, c->feature_dim));
    RCC_TRY(plan_head_act(a, &m->dhid, B, c->hidden));
    RCC_TRY(plan_head_act(a, &m->dcl, B, c->clusters));

    int X = 0, Y = 1, Z = 2, W = 3;
    rcc_block *last = &m->blocks[RCC_BLOCKS - 1];
    RCC_TRY(rcc_act_alias(a, &last->d_out, &last->b2.dst.md, &m->dbuf[X], 0));
    RCC_TRY(rcc_pool_plan_bwd(a, &m->gap, &m->d_hraw, &last->d_out));
    for (int i = RCC_BLOCKS - 1; i >= 0; i--) {
        rcc_block *b = &m->blocks[i];
        if (i < RCC_BLOCKS - 1)
            RCC_TRY(rcc_act_alias(a, &b->d_out, &b->b2.dst.md, &m->dbuf[X], 0));
        RCC_TRY(rcc_act_alias(a, &b->d_c2, &b->c2.dst.md, &m->dbuf[Y], 0));
        RCC_TRY(rcc_act_alias(a, &b->d_b1, &b->b1.dst.md, &m->dbuf[Z], 0));
        RCC_TRY(rcc_act_alias(a, &b->d_c1, &b->c1.dst.md, &m->dbuf[Y], 0));
        RCC_TRY(rcc_act_alias(a, &b->d_in, &b->in->md, &m->dbuf[W], 0));
        RCC_TRY(rcc_bn_plan_bwd(a, &b->b2, &b->d_out, &b->d_c2));
        RCC_TRY(rcc_conv_plan_bwd(a, &b->c2, &b->d_c2, &b->d_b1));
        RCC_TRY(rcc_bn_plan_bwd(a, &b->b1, &b->d_b1, &b->d_c1));
        RCC_TRY(rcc_conv_plan_bwd(a, &b->c1, &b->d_c1, &b->d_in));
        /* the shortcut's gradient: d_out itself, or d_out reordered into the shortcut's layout (in Y) */
        rcc_act *dsc = &b->d_out;
        if (b->sc_reorder) {
            const rcc_act *sc = b->down ? &b->bd.dst : b->in;
            RCC_TRY(rcc_act_alias(a, &b->d_sc, &sc->md, &m->dbuf[Y], 0));
            RCC_TRY(rcc_reorder_create(a, &b->p_dsc, &b->d_out, &b->d_sc, false, "reorder (shortcut grad)"));
            dsc = &b->d_sc;
        }
        if (b->down) {
            RCC_TRY(rcc_act_alias(a, &b->d_bd, &b->cd.dst.md, &m->dbuf[Z], 0));
            RCC_TRY(rcc_act_alias(a, &b->d_cd_in, &b->in->md, &m->dbuf[b->sc_reorder ? X : Y], 0));
            RCC_TRY(rcc_bn_plan_bwd(a, &b->bd, dsc, &b->d_bd));
            RCC_TRY(rcc_conv_plan_bwd(a, &b->cd, &b->d_bd, &b->d_cd_in));
        }
        b->dx = X, b->dy = Y, b->dz = Z, b->dw = W;
        int nx = W, ny = X, nz = Y, nw = Z; /* the result becomes the next block's d_out */
        X = nx, Y = ny, Z = nz, W = nw;
    }
    /* stem: block 0's d_in (in buffer X now) is the max-pool output gradient. The batch-norm
     * output is not needed by any backward (max-pool backward reads its workspace, batch-norm
     * backward its input), so its storage takes both stem gradients; batch-norm backward runs
     * in place. Without the max-pool, block 0's d_in is the batch-norm's output gradient, and the
     * batch-norm output (block 0's input, read by block 0's weight gradients, done by then) takes
     * the stem conv's. */
    RCC_TRY(rcc_act_alias(a, &m->d_stem_bn, &m->stem.dst.md, &m->stem_bn.dst, 0));
    if (c->small_stem)
        RCC_TRY(rcc_bn_plan_bwd(a, &m->stem_bn, &m->blocks[0].d_in, &m->d_stem_bn));
    else {
        RCC_TRY(rcc_act_alias(a, &m->d_stem_pool, &m->stem_bn.dst.md, &m->stem_bn.dst, 0));
        RCC_TRY(rcc_pool_plan_bwd(a, &m->maxpool, &m->blocks[0].d_in, &m->d_stem_pool));
        RCC_TRY(rcc_bn_plan_bwd(a, &m->stem_bn, &m->d_stem_pool, &m->d_stem_bn));
    }
    return rcc_conv_plan_bwd(a, &m->stem, &m->d_stem_bn, NULL);
}

rcc_status rcc_model_plan(rcc_model *m, const rcc_model_config *cfg, rcc_params *ps, int batch, int groups, bool train)
{
    return rcc_model_plan_dist(m, cfg, ps, batch, groups, train, NULL);
}

rcc_status rcc_model_plan_dist(rcc_model *m, const rcc_model_config *cfg, rcc_params *ps, int batch, int groups,
                               bool train, struct rcc_dist *bn_sync)
{
    memset(m, 0, sizeof *m);
    m->bn_sync = train && bn_sync && bn_sync->size > 1 ? bn_sync : NULL;
    RCC_TRY(rcc_model_config_check(cfg));
    if (cfg->bf16 && !rcc_conv_bf16_available())
        return rcc_fail(RCC_ERR_ARG, "precision bf16: this CPU has no bf16 convolutions (AVX512-BF16 needed; docs/performance.md); "
                                     "use f32");
    if (batch < 1 || (train && (groups < 1 || groups > RCC_MAX_GROUPS || batch % groups)))
        return rcc_fail(RCC_ERR_ARG, "batch %d cannot be split in %d groups", batch, groups);
    m->cfg = *cfg;
    m->ps = ps;
    m->batch = batch;
    m->groups = train ? groups : 1;
    m->train = train;
    rcc_arena *a = &m->arena;
    int S = cfg->image_size, w = cfg->width;
    int64_t in_d[4] = {batch, cfg->in_channels, S, S};
    dnnl_memory_desc_t in_md = rcc_md_plain(4, in_d, dnnl_nchw);
    RCC_TRY(rcc_act_plan(a, &m->input, &in_md));
    bool small = cfg->small_stem;
    int sk = small ? 3 : 7, ss = small ? 1 : 2, sp = small ? 1 : 3;
    const char *stem_w = "backbone.conv1.weight", *stem_bn = "backbone.bn1";
    m->fused = !train && rcc_conv_bn_enabled();
    rcc_act *stem_out = &m->stem_bn.dst;
    if (m->fused) {
        rcc_conv_bn_offsets off;
        RCC_TRY(rcc_conv_bn_register(ps, stem_w, stem_bn, cfg->in_channels, w, sk, &off));
        RCC_TRY(rcc_conv_bn_plan(a, ps, &m->stem, stem_w, &off, &m->input, w, sk, ss, sp, act_dt(cfg), cfg->conv_algo,
                                 true, NULL));
        stem_out = &m->stem.dst;
    } else {
        RCC_TRY(rcc_conv_plan(a, ps, &m->stem, stem_w, &m->input, w, sk, ss, sp, train, false, cfg->conv_algo,
                              act_dt(cfg)));
        RCC_TRY(plan_bn(m, &m->stem_bn, stem_bn, &m->stem.dst, true));
    }
    if (!small)
        RCC_TRY(rcc_pool_plan(a, &m->maxpool, stem_out, false, train));
    int chans[RCC_STAGES] = {w, 2 * w, 4 * w, cfg->rep_dim}, strides[RCC_STAGES] = {1, 2, 2, 2};
    rcc_act *x = small ? stem_out : &m->maxpool.dst;
    for (int s = 0; s < RCC_STAGES; s++)
        for (int j = 0; j < RCC_STAGE_BLOCKS; j++) {
            char nm[RCC_NAME_MAX];
            snprintf(nm, sizeof nm, "backbone.layer%d.%d", s + 1, j);
            rcc_block *b = &m->blocks[RCC_STAGE_BLOCKS * s + j];
            RCC_TRY(plan_block(m, b, nm, x, chans[s], j == 0 ? strides[s] : 1, s < RCC_STAGES - 1));
            x = b->out;
        }
    RCC_TRY(rcc_pool_plan(a, &m->gap, x, true, train));
    if (!train) /* stage 3's output, for features richer than h (rcc_net_stage3_data) */
        RCC_TRY(rcc_pool_plan(a, &m->gap3, m->blocks[RCC_STAGE_BLOCKS * 3 - 1].out, true, false));

    int hid = cfg->hidden;
    RCC_TRY(add_linear(ps, "instance_projector.0", cfg->rep_dim, hid, &m->iw1, &m->ib1));
    RCC_TRY(add_linear(ps, "instance_projector.2", hid, cfg->feature_dim, &m->iw2, &m->ib2));
    RCC_TRY(add_linear(ps, "cluster_projector.0", cfg->rep_dim, hid, &m->cw1, &m->cb1));
    RCC_TRY(add_linear(ps, "cluster_projector.2", hid, cfg->clusters, &m->cw2, &m->cb2));
    RCC_TRY(plan_head_act(a, &m->h, batch, cfg->rep_dim));
    RCC_TRY(plan_head_act(a, &m->hn, batch, 1));
    RCC_TRY(plan_head_act(a, &m->iar, batch, hid));
    RCC_TRY(plan_head_act(a, &m->zr, batch, cfg->feature_dim));
    RCC_TRY(plan_head_act(a, &m->z, batch, cfg->feature_dim));
    RCC_TRY(plan_head_act(a, &m->zn, batch, 1));
    RCC_TRY(plan_head_act(a, &m->car, batch, hid));
    RCC_TRY(plan_head_act(a, &m->cl, batch, cfg->clusters));
    RCC_TRY(plan_head_act(a, &m->y, batch, cfg->clusters));
    if (train)
        RCC_TRY(plan_backward(m));
    return RCC_OK;
}

rcc_status rcc_model_commit(rcc_model *m)
{
    if (!m->ps->data)
        return rcc_fail(RCC_ERR_ARG, "model commit before the parameters were allocated");
    return rcc_arena_commit(&m->arena);
}

static rcc_status block_forward(rcc_model *m, rcc_block *b)
{
    if (m->fused) { /* conv2 adds into the shortcut, so it runs last */
        RCC_TRY(rcc_conv_forward(&b->c1));
        if (b->down)
            RCC_TRY(rcc_conv_forward(&b->cd));
        return rcc_conv_forward(&b->c2);
    }
    RCC_TRY(rcc_conv_forward(&b->c1));
    RCC_TRY(rcc_bn_forward(&b->b1, m->ps));
    RCC_TRY(rcc_conv_forward(&b->c2));
    RCC_TRY(rcc_bn_forward(&b->b2, m->ps));
    rcc_act *sc = b->in;
    if (b->down) {
        RCC_TRY(rcc_conv_forward(&b->cd));
        RCC_TRY(rcc_bn_forward(&b->bd, m->ps));
        sc = &b->bd.dst;
    }
    if (b->sc_reorder) {
        RCC_TRY(rcc_prim_exec(&b->p_sc));
        sc = &b->sc_r;
    }
    double t0 = rcc_now();
    rcc_act_add_relu(&b->b2.dst, sc, b->relu_out);
    rcc_prof_add("add+relu fwd", rcc_now() - t0, 0);
    return RCC_OK;
}

rcc_status rcc_model_forward(rcc_model *m)
{
    const rcc_model_config *c = &m->cfg;
    RCC_TRY(rcc_conv_forward(&m->stem));
    if (!m->fused)
        RCC_TRY(rcc_bn_forward(&m->stem_bn, m->ps));
    if (!c->small_stem)
        RCC_TRY(rcc_pool_forward(&m->maxpool));
    for (int i = 0; i < RCC_BLOCKS; i++) {
        RCC_TRY(block_forward(m, &m->blocks[i]));
        if (i == RCC_STAGE_BLOCKS * 3 - 1 && m->want_stage3 && !m->train) /* pooled while stage 3's output is fresh */
            RCC_TRY(rcc_pool_forward(&m->gap3));
    }
    RCC_TRY(rcc_pool_forward(&m->gap));

    double t0 = rcc_now();
    const float *P = rcc_pdata(m->ps);
    int B = m->batch, hid = c->hidden;
    rcc_l2norm_forward(m->gap.plain.ptr, m->h.ptr, m->hn.ptr, B, c->rep_dim, RCC_L2NORM_EPS);
    RCC_TRY(rcc_linear_forward(m->h.ptr, P + m->iw1, P + m->ib1, m->iar.ptr, B, c->rep_dim, hid));
    rcc_relu_rows_forward(m->iar.ptr, m->iar.ptr, (size_t)B * hid);
    RCC_TRY(rcc_linear_forward(m->iar.ptr, P + m->iw2, P + m->ib2, m->zr.ptr, B, hid, c->feature_dim));
    rcc_l2norm_forward(m->zr.ptr, m->z.ptr, m->zn.ptr, B, c->feature_dim, RCC_L2NORM_EPS);
    RCC_TRY(rcc_linear_forward(m->h.ptr, P + m->cw1, P + m->cb1, m->car.ptr, B, c->rep_dim, hid));
    rcc_relu_rows_forward(m->car.ptr, m->car.ptr, (size_t)B * hid);
    RCC_TRY(rcc_linear_forward(m->car.ptr, P + m->cw2, P + m->cb2, m->cl.ptr, B, hid, c->clusters));
    rcc_softmax_forward(m->cl.ptr, m->y.ptr, B, c->clusters);
    rcc_prof_add("heads fwd", rcc_now() - t0, 0);
    return RCC_OK;
}

static rcc_status block_backward(rcc_model *m, rcc_block *b)
{
    double t0 = rcc_now();
    if (b->relu_out)
        rcc_act_relu_backward(&b->d_out, &b->b2.dst);
    rcc_prof_add("relu bwd", rcc_now() - t0, 0);
    RCC_TRY(rcc_bn_backward(&b->b2, m->ps));
    RCC_TRY(rcc_conv_backward(&b->c2));
    RCC_TRY(rcc_bn_backward(&b->b1, m->ps));
    RCC_TRY(rcc_conv_backward(&b->c1));
    if (b->sc_reorder)
        RCC_TRY(rcc_prim_exec(&b->p_dsc));
    t0 = rcc_now();
    if (b->down) {
        RCC_TRY(rcc_bn_backward(&b->bd, m->ps));
        RCC_TRY(rcc_conv_backward(&b->cd));
        t0 = rcc_now();
        rcc_act_add(&b->d_in, &b->d_cd_in);
    } else {
        rcc_act_add(&b->d_in, b->sc_reorder ? &b->d_sc : &b->d_out);
    }
    rcc_prof_add("residual add bwd", rcc_now() - t0, 0);
    return RCC_OK;
}

rcc_status rcc_model_backward(rcc_model *m, const float *dz, const float *dy, const float *dh)
{
    if (!m->train)
        return rcc_fail(RCC_ERR_ARG, "backward on a model planned for inference");
    const rcc_model_config *c = &m->cfg;
    const float *P = rcc_pdata(m->ps);
    float *G = rcc_pgrad(m->ps);
    int B = m->batch, hid = c->hidden, R = c->rep_dim;
    double t0 = rcc_now();
    /* instance head */
    rcc_l2norm_backward(m->z.ptr, m->zn.ptr, dz, m->dzr.ptr, B, c->feature_dim);
    RCC_TRY(rcc_linear_backward(m->iar.ptr, P + m->iw2, m->dzr.ptr, G + m->iw2, G + m->ib2, m->dhid.ptr, B, hid,
                                c->feature_dim));
    rcc_relu_rows_backward(m->dhid.ptr, m->iar.ptr, m->dhid.ptr, (size_t)B * hid);
    RCC_TRY(rcc_linear_backward(m->h.ptr, P + m->iw1, m->dhid.ptr, G + m->iw1, G + m->ib1, m->dh.ptr, B, R, hid));
    /* cluster head */
    rcc_softmax_backward(m->y.ptr, dy, m->dcl.ptr, B, c->clusters);
    RCC_TRY(rcc_linear_backward(m->car.ptr, P + m->cw2, m->dcl.ptr, G + m->cw2, G + m->cb2, m->dhid.ptr, B, hid,
                                c->clusters));
    rcc_relu_rows_backward(m->dhid.ptr, m->car.ptr, m->dhid.ptr, (size_t)B * hid);
    RCC_TRY(rcc_linear_backward(m->h.ptr, P + m->cw1, m->dhid.ptr, G + m->cw1, G + m->cb1, m->dh1.ptr, B, R, hid));
    float *dht = m->dh.ptr;
    for (size_t i = 0; i < (size_t)B * R; i++)
        dht[i] += m->dh1.ptr[i] + (dh ? dh[i] : 0.0f);
    rcc_l2norm_backward(m->h.ptr, m->hn.ptr, dht, m->d_hraw.ptr, B, R);
    rcc_prof_add("heads bwd", rcc_now() - t0, 0);

    RCC_TRY(rcc_pool_backward(&m->gap));
    for (int i = RCC_BLOCKS - 1; i >= 0; i--)
        RCC_TRY(block_backward(m, &m->blocks[i]));
    if (!c->small_stem)
        RCC_TRY(rcc_pool_backward(&m->maxpool));
    RCC_TRY(rcc_bn_backward(&m->stem_bn, m->ps));
    return rcc_conv_backward(&m->stem);
}

double rcc_model_backbone_macs(const rcc_model *m)
{
    double s = rcc_conv_macs(&m->stem);
    for (int i = 0; i < RCC_BLOCKS; i++) {
        const rcc_block *b = &m->blocks[i];
        s += rcc_conv_macs(&b->c1) + rcc_conv_macs(&b->c2) + (b->down ? rcc_conv_macs(&b->cd) : 0);
    }
    return s / m->batch;
}

int rcc_model_stage3_dim(const rcc_model_config *cfg) { return 4 * cfg->width; }

void rcc_model_free(rcc_model *m)
{
    rcc_conv_free(&m->stem);
    rcc_bn_free(&m->stem_bn);
    rcc_pool_free(&m->maxpool);
    rcc_pool_free(&m->gap);
    rcc_pool_free(&m->gap3);
    for (int i = 0; i < RCC_BLOCKS; i++) {
        rcc_block *b = &m->blocks[i];
        rcc_conv_free(&b->c1);
        rcc_conv_free(&b->c2);
        rcc_bn_free(&b->b1);
        rcc_bn_free(&b->b2);
        rcc_prim_free(&b->p_sc);
        rcc_prim_free(&b->p_dsc);
        if (b->down) {
            rcc_conv_free(&b->cd);
            rcc_bn_free(&b->bd);
        }
    }
    rcc_arena_free(&m->arena);
}
