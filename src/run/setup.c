/* setup.c — the one set-up of a training, shared by a whole run (run.c), a stream (stream.c) and
 * the step-by-step API (api.c): the configuration settled against the images and checked, its
 * model, loss and Adam settings made into a trainer, and its augmentations. */
#include "config.h"
#include "run.h"
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
