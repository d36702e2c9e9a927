/* train.c — the training step. */
#include "train.h"

#include <string.h>

void rcc_loss_config_default(rcc_loss_config *c)
{
    c->lambda = 0.95f;
    c->tau_i = 0.5f;
    c->tau_c = 1.0f;
    c->t = 2.0f;
}

rcc_status rcc_trainer_create(rcc_trainer *t, const rcc_model_config *mcfg, const rcc_loss_config *lcfg,
                              const rcc_adam_config *acfg, int n, rcc_init_kind init, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    if (n < 2)
        return rcc_fail(RCC_ERR_ARG, "a training batch needs at least 2 images per view (got %d)", n);
    if (!(lcfg->lambda >= 0 && lcfg->lambda <= 1))
        return rcc_fail(RCC_ERR_ARG, "lambda must be in [0, 1] (got %g)", (double)lcfg->lambda);
    if (!(lcfg->tau_i > 0 && lcfg->tau_c > 0 && lcfg->t > 0))
        return rcc_fail(RCC_ERR_ARG, "temperatures and t must be positive");
    t->mcfg = *mcfg;
    t->lcfg = *lcfg;
    t->acfg = *acfg;
    t->n = n;
    RCC_TRY(rcc_model_plan(&t->model, mcfg, &t->ps, 2 * n, 2, true));
    RCC_TRY(rcc_params_alloc(&t->ps));
    RCC_TRY(rcc_model_commit(&t->model));
    if (init == RCC_INIT_HASH)
        rcc_params_init_hash(&t->ps);
    else
        rcc_params_init_default(&t->ps, seed);
    int zd = mcfg->feature_dim, k = mcfg->clusters, r = mcfg->rep_dim;
    RCC_TRY(rcc_loss_ws_init(&t->lws, n, zd, k));
    t->dz = rcc_alloc((size_t)2 * n * zd * sizeof(float));
    t->dy = rcc_alloc((size_t)2 * n * k * sizeof(float));
    t->dh = rcc_alloc((size_t)2 * n * r * sizeof(float));
    if (!t->dz || !t->dy || !t->dh)
        return rcc_fail(RCC_ERR_NOMEM, "loss gradients");
    return RCC_OK;
}

rcc_status rcc_trainer_step(rcc_trainer *t, rcc_loss_terms *out, bool update)
{
    rcc_model *m = &t->model;
    const rcc_model_config *c = &t->mcfg;
    rcc_params_zero_grad(&t->ps);
    RCC_TRY(rcc_model_forward(m));
    double t0 = rcc_now();
    RCC_TRY(rcc_loss_total(&t->lws, &t->lcfg, m->z.ptr, m->y.ptr, m->h.ptr, t->n, c->feature_dim, c->clusters,
                           c->rep_dim, out, t->dz, t->dy, t->dh));
    rcc_prof_add("losses", rcc_now() - t0, 0);
    RCC_TRY(rcc_model_backward(m, t->dz, t->dy, t->dh));
    if (update) {
        t0 = rcc_now();
        rcc_adam_step(&t->ps, &t->acfg, ++t->step);
        rcc_prof_add("adam", rcc_now() - t0, 0);
    }
    return RCC_OK;
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
    memset(t, 0, sizeof *t);
}
