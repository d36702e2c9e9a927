/* api.c — the public training entry points of include/rcc.h over the internal trainer and run. */
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "run.h"
#include "../compute.h"
#include "../train.h"

rcc_status rcc_train(const rcc_config *c, const char *const *sources, int nsources, const char *const *labels,
                     const char *out_dir, const char *resume_from)
{
    rcc_dataset d;
    RCC_TRY(rcc_dataset_load(&d, sources, nsources, labels));
    rcc_status st = rcc_run_train(c, &d, out_dir, resume_from, NULL);
    rcc_dataset_free(&d);
    return st;
}

struct rcc_training {
    rcc_config cfg;
    rcc_trainer tr;
};

rcc_status rcc_training_create(rcc_training **out, const rcc_config *c, int channels)
{
    *out = NULL;
    rcc_training *t = calloc(1, sizeof *t);
    if (!t)
        return rcc_fail(RCC_ERR_NOMEM, "training");
    t->cfg = *c;
    t->cfg.in_channels = channels;
    rcc_compute_saved saved; /* planned for the threads it will run with */
    rcc_compute_enter(t->cfg.threads, &saved);
    rcc_status st = rcc_run_setup(&t->tr, &t->cfg, channels, "the images", t->cfg.batch, NULL, NULL);
    rcc_compute_leave(&saved);
    if (st != RCC_OK) {
        rcc_training_free(t);
        return st;
    }
    *out = t;
    return RCC_OK;
}

rcc_status rcc_training_step(rcc_training *t, const float *views, double losses[5])
{
    memcpy(t->tr.model.input.ptr, views, t->tr.model.input.bytes);
    /* the schedule needs the run's length; a step-by-step caller sets lr in the config */
    t->tr.acfg.lr = t->cfg.lr;
    rcc_loss_terms lt;
    rcc_compute_saved saved;
    rcc_compute_enter(t->cfg.threads, &saved);
    rcc_status st = rcc_trainer_step(&t->tr, &lt, true);
    rcc_compute_leave(&saved);
    RCC_TRY(st);
    if (losses) {
        losses[0] = lt.ins;
        losses[1] = lt.clu_nce;
        losses[2] = lt.entropy;
        losses[3] = lt.unif;
        losses[4] = lt.total;
    }
    return RCC_OK;
}

rcc_status rcc_training_save(rcc_training *t, const char *path)
{
    rcc_progress pr = {0, 0, t->tr.step};
    return rcc_checkpoint_save(path, &t->cfg, &t->tr.ps, &pr, true);
}

void rcc_training_free(rcc_training *t)
{
    if (!t)
        return;
    rcc_trainer_free(&t->tr);
    free(t);
}
