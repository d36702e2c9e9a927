/* setup.c — the one set-up of a training, shared by a whole run (run.c), a stream (stream.c) and
 * the step-by-step API (api.c): the configuration settled against the images and checked, its
 * model, loss and Adam settings made into a trainer, and its augmentations. */
#include <stdio.h>
#include "config.h"
#include "run.h"
#include "../compute.h"
#include "../share.h"
#include "../train.h"

rcc_status rcc_run_settle(rcc_config *c, int channels, const char *what)
{
    if (c->in_channels == 0)
        c->in_channels = channels;
    if (c->in_channels != channels)
        return rcc_fail(RCC_ERR_ARG, "the configuration has %d input channels, %s %d", c->in_channels, what,
                        channels);
    return rcc_config_check(c);
}

rcc_status rcc_run_setup(rcc_trainer *t, rcc_config *c, int channels, const char *what, int n, rcc_dist *dist,
                         rcc_aug_config *aug)
{
    RCC_TRY(rcc_run_settle(c, channels, what));
    rcc_model_config mc;
    rcc_loss_config lc;
    rcc_adam_config ac;
    rcc_config_model(c, &mc);
    rcc_config_loss(c, &lc);
    rcc_config_adam(c, &ac);
    if (aug)
        RCC_TRY(rcc_config_augment(c, aug));
    rcc_status st = rcc_trainer_create_dist(t, &mc, &lc, &ac, n, RCC_INIT_DEFAULT, c->seed, dist);
    if (st != RCC_OK)
        rcc_trainer_free(t); /* nothing half-made for the caller to know about */
    return st;
}

rcc_status rcc_run_share_cpus(rcc_share *share, rcc_trainer *t, int asked, int *threads, const rcc_run_hooks *hooks)
{
    int want = rcc_share_threads(share, asked);
    if (want == *threads)
        return RCC_OK;
    int got = rcc_compute_set_threads(want);
    if (got == *threads)
        return RCC_OK;
    double t0 = rcc_now();
    rcc_status st = rcc_trainer_replan(t);
    if (st != RCC_OK) { /* sharing is an optimisation: the old count's plan again, and on */
        char msg[600];
        snprintf(msg, sizeof msg, "could not plan for %d threads (%s); going on with %d", got, rcc_last_error(),
                 *threads);
        rcc_compute_set_threads(*threads);
        RCC_TRY(rcc_trainer_replan(t));
        if (hooks && hooks->on_note)
            hooks->on_note(msg, hooks->user);
        return RCC_OK;
    }
    *threads = got;
    if (hooks && hooks->on_note) {
        int n = rcc_share_neighbours(share);
        char msg[256];
        snprintf(msg, sizeof msg, "computing with %d thread%s from now on (%d busy rcc process%s on these CPUs; "
                                  "planned again in %.2f s)",
                 got, got == 1 ? "" : "s", n, n == 1 ? "" : "es", rcc_now() - t0);
        hooks->on_note(msg, hooks->user);
    }
    return RCC_OK;
}
