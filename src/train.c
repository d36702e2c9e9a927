/* train.c — the training step. */
#include "train.h"

#include <math.h>
#include <string.h>
#include "dist.h"

void rcc_loss_config_default(rcc_loss_config *c)
{
    c->lambda = 0.95f;
    c->tau_i = 0.5f;
    c->tau_c = 1.0f;
    c->t = 2.0f;
    c->entropy_weight = 1.0f;
}

rcc_status rcc_loss_config_check(const rcc_loss_config *c)
{
#define CHECK_SETTING(field, lo, hi) RCC_TRY(rcc_check_range(#field, c->field, lo, hi));
    RCC_LOSS_RANGES(CHECK_SETTING)
#undef CHECK_SETTING
    return RCC_OK;
}

rcc_status rcc_trainer_create(rcc_trainer *t, const rcc_model_config *mcfg, const rcc_loss_config *lcfg,
                              const rcc_adam_config *acfg, int n, rcc_init_kind init, uint64_t seed)
{
    return rcc_trainer_create_dist(t, mcfg, lcfg, acfg, n, init, seed, NULL);
}

rcc_status rcc_trainer_create_dist(rcc_trainer *t, const rcc_model_config *mcfg, const rcc_loss_config *lcfg,
                                   const rcc_adam_config *acfg, int n, rcc_init_kind init, uint64_t seed,
                                   rcc_dist *dist)
{
    memset(t, 0, sizeof *t);
    int P = dist && dist->size > 1 ? dist->size : 1;
    t->dist = P > 1 ? dist : NULL;
    if (n < 1 || (long)n * P < 2)
        return rcc_fail(RCC_ERR_ARG, "a training batch needs at least 2 images per view (got %d)", n * P);
    RCC_TRY(rcc_loss_config_check(lcfg));
    t->mcfg = *mcfg;
    t->lcfg = *lcfg;
    t->acfg = *acfg;
    t->n = n;
    RCC_TRY(rcc_model_plan_dist(&t->model, mcfg, &t->ps, 2 * n, 2, true, t->dist && dist->sync_bn ? dist : NULL));
    RCC_TRY(rcc_params_alloc(&t->ps));
    RCC_TRY(rcc_model_commit(&t->model));
    if (init == RCC_INIT_HASH)
        rcc_params_init_hash(&t->ps);
    else
        rcc_params_init_default(&t->ps, seed);
    int zd = mcfg->feature_dim, k = mcfg->clusters, r = mcfg->rep_dim;
    if (t->dist) { /* every process starts from rank 0's parameters */
        rcc_params_touch(&t->ps);
        RCC_TRY(rcc_dist_bcast_f32(t->dist, rcc_pdata(&t->ps), t->ps.total));
        RCC_TRY(rcc_dist_bcast_f32(t->dist, rcc_pbufs(&t->ps), t->ps.total_b));
    }
    /* the losses see the global batch: N = n · P images per view */
    int N = n * P;
    RCC_TRY(rcc_loss_ws_init(&t->lws, N, zd, k));
    if (t->dist) {
        size_t rows = (size_t)2 * N;
        t->gz = rcc_alloc(rows * zd * sizeof(float)), t->gdz = rcc_alloc(rows * zd * sizeof(float));
        t->gy = rcc_alloc(rows * k * sizeof(float)), t->gdy = rcc_alloc(rows * k * sizeof(float));
        t->gh = rcc_alloc(rows * r * sizeof(float)), t->gdh = rcc_alloc(rows * r * sizeof(float));
        if (!t->gz || !t->gdz || !t->gy || !t->gdy || !t->gh || !t->gdh)
            return rcc_fail(RCC_ERR_NOMEM, "global-batch buffers");
    }
    t->dz = rcc_alloc((size_t)2 * n * zd * sizeof(float));
    t->dy = rcc_alloc((size_t)2 * n * k * sizeof(float));
    t->dh = rcc_alloc((size_t)2 * n * r * sizeof(float));
    if (!t->dz || !t->dy || !t->dh)
        return rcc_fail(RCC_ERR_NOMEM, "loss gradients");
    return RCC_OK;
}

rcc_status rcc_trainer_replan(rcc_trainer *t)
{
    if (t->dist)
        return rcc_fail(RCC_ERR_ARG, "a data-parallel trainer keeps its plan");
    rcc_model_free(&t->model);
    memset(&t->model, 0, sizeof t->model);
    RCC_TRY(rcc_model_plan_dist(&t->model, &t->mcfg, &t->ps, 2 * t->n, 2, true, NULL));
    return rcc_model_commit(&t->model);
}

/* Rows of one view of every process, in rank order: global[view][rank][n rows] from each process's
 * local[view][n rows]. */
static rcc_status gather_views(rcc_trainer *t, const float *local, int dim, float *global)
{
    size_t per = (size_t)t->n * dim, P = (size_t)t->dist->size;
    RCC_TRY(rcc_dist_allgather_f32(t->dist, local, per, global));
    return rcc_dist_allgather_f32(t->dist, local + per, per, global + P * per);
}

/* This process's rows of a global-batch gradient. */
static void scatter_views(const rcc_trainer *t, const float *global, int dim, float *local)
{
    size_t per = (size_t)t->n * dim, P = (size_t)t->dist->size, r = (size_t)t->dist->rank;
    memcpy(local, global + r * per, per * sizeof(float));
    memcpy(local + per, global + (P + r) * per, per * sizeof(float));
}

/* Data-parallel losses: z, y and h of every process gathered so that every loss sees the whole
 * global batch (all negatives, all pairs, cluster columns over N · P images); every process
 * computes the same losses and keeps the gradient rows of its own images. */
static rcc_status global_losses(rcc_trainer *t, rcc_loss_terms *out)
{
    rcc_model *m = &t->model;
    const rcc_model_config *c = &t->mcfg;
    int N = t->n * t->dist->size;
    RCC_TRY(gather_views(t, m->z.ptr, c->feature_dim, t->gz));
    RCC_TRY(gather_views(t, m->y.ptr, c->clusters, t->gy));
    RCC_TRY(gather_views(t, m->h.ptr, c->rep_dim, t->gh));
    RCC_TRY(rcc_loss_total(&t->lws, &t->lcfg, t->gz, t->gy, t->gh, N, c->feature_dim, c->clusters, c->rep_dim, out,
                           t->gdz, t->gdy, t->gdh));
    scatter_views(t, t->gdz, c->feature_dim, t->dz);
    scatter_views(t, t->gdy, c->clusters, t->dy);
    scatter_views(t, t->gdh, c->rep_dim, t->dh);
    return RCC_OK;
}

rcc_status rcc_trainer_step(rcc_trainer *t, rcc_loss_terms *out, bool update)
{
    rcc_model *m = &t->model;
    const rcc_model_config *c = &t->mcfg;
    rcc_params_zero_grad(&t->ps);
    RCC_TRY(rcc_model_forward(m));
    double t0 = rcc_now();
    if (t->dist) {
        RCC_TRY(global_losses(t, out));
    } else {
        RCC_TRY(rcc_loss_total(&t->lws, &t->lcfg, m->z.ptr, m->y.ptr, m->h.ptr, t->n, c->feature_dim, c->clusters,
                               c->rep_dim, out, t->dz, t->dy, t->dh));
    }
    rcc_prof_add("losses", rcc_now() - t0, 0);
    RCC_TRY(rcc_model_backward(m, t->dz, t->dy, t->dh));
    if (t->dist) { /* each process holds its images' share of the global loss's gradient: sum them */
        t0 = rcc_now();
        RCC_TRY(rcc_dist_allreduce_f32(t->dist, rcc_pgrad(&t->ps), t->ps.total));
        rcc_prof_add("gradient allreduce", rcc_now() - t0, 0);
    }
    if (update) {
        t0 = rcc_now();
        RCC_TRY(rcc_grads_check(&t->ps)); /* before the update: the parameters stay the last good ones */
        rcc_adam_step(&t->ps, &t->acfg, ++t->step);
        rcc_prof_add("adam", rcc_now() - t0, 0);
    }
    return RCC_OK;
}

rcc_status rcc_trainer_step_self_label(rcc_trainer *t, float threshold, double *loss, int *confident, bool update)
{
    rcc_model *m = &t->model;
    const rcc_model_config *c = &t->mcfg;
    int K = c->clusters, n = t->n;
    rcc_params_zero_grad(&t->ps);
    RCC_TRY(rcc_model_forward(m));
    double t0 = rcc_now();
    memset(t->dz, 0, (size_t)2 * n * c->feature_dim * sizeof(float));
    memset(t->dh, 0, (size_t)2 * n * c->rep_dim * sizeof(float));
    memset(t->dy, 0, (size_t)2 * n * K * sizeof(float));
    int m_conf = 0;
    if (t->dist) { /* targets and class weights over the global batch, as the other losses */
        int N = n * t->dist->size;
        RCC_TRY(gather_views(t, m->y.ptr, K, t->gy));
        memset(t->gdy, 0, (size_t)2 * N * K * sizeof(float));
        *loss = rcc_self_label(t->gy, t->gy + (size_t)N * K, N, K, threshold, t->gdy + (size_t)N * K, 1.0f, &m_conf);
        scatter_views(t, t->gdy, K, t->dy);
    } else {
        *loss = rcc_self_label(m->y.ptr, m->y.ptr + (size_t)n * K, n, K, threshold, t->dy + (size_t)n * K, 1.0f,
                               &m_conf);
    }
    if (confident)
        *confident = m_conf;
    if (!isfinite(*loss))
        return rcc_fail(RCC_ERR_NUMERIC, "self-labelling loss is not finite (%g)", *loss);
    rcc_prof_add("losses", rcc_now() - t0, 0);
    if (m_conf == 0)
        return RCC_OK;
    RCC_TRY(rcc_model_backward(m, t->dz, t->dy, t->dh));
    if (t->dist) {
        t0 = rcc_now();
        RCC_TRY(rcc_dist_allreduce_f32(t->dist, rcc_pgrad(&t->ps), t->ps.total));
        rcc_prof_add("gradient allreduce", rcc_now() - t0, 0);
    }
    if (update) {
        t0 = rcc_now();
        RCC_TRY(rcc_grads_check(&t->ps));
        ++t->step;
        rcc_adam_step(&t->ps, &t->acfg, t->step - t->adam_offset);
        rcc_prof_add("adam", rcc_now() - t0, 0);
    }
    return RCC_OK;
}

void rcc_trainer_adam_restart(rcc_trainer *t, long at, bool reset)
{
    t->adam_offset = at;
    if (reset) {
        memset(t->ps.m, 0, t->ps.total * sizeof(float));
        memset(t->ps.v, 0, t->ps.total * sizeof(float));
    }
}

double rcc_trainer_step_flops(const rcc_trainer *t)
{
    const rcc_model *m = &t->model;
    double stem = rcc_conv_macs(&m->stem);
    double all = rcc_model_backbone_macs(m) * m->batch;
    return 2.0 * (3.0 * all - stem); /* the stem has no backward-data */
}

void rcc_trainer_free(rcc_trainer *t)
{
    rcc_model_free(&t->model);
    rcc_params_free(&t->ps);
    rcc_loss_ws_free(&t->lws);
    rcc_free(t->dz);
    rcc_free(t->dy);
    rcc_free(t->dh);
    rcc_free(t->gz), rcc_free(t->gdz), rcc_free(t->gy), rcc_free(t->gdy), rcc_free(t->gh), rcc_free(t->gdh);
    memset(t, 0, sizeof *t);
}
