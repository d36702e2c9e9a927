/* run.h — the training loop's internal side; the run itself (rcc_run_train, its events and hooks)
 * is public in include/rcc_run.h. */
#ifndef RCC_RUN_H
#define RCC_RUN_H

#include "../data/data.h"
#include "../loss.h"
#include "../share.h"
#include "../train.h"
#include "checkpoint.h"

#include "rcc_run.h"

/* c's input channels settled against images of `channels` (0 takes them; another count is
 * RCC_ERR_ARG: "the configuration has C input channels, <what> N"), then rcc_config_check. */
rcc_status rcc_run_settle(rcc_config *c, int channels, const char *what);
/* The set-up of every training (setup.c): rcc_run_settle, then c's model, loss and Adam settings
 * made into *t for n images per view on this process (over dist's processes; NULL: one), its
 * parameters initialised from c->seed; *aug (may be NULL) gets c's augmentations. Inside the
 * caller's compute guard: the plans are made for its threads. On failure *t holds nothing. */
rcc_status rcc_run_setup(rcc_trainer *t, rcc_config *c, int channels, const char *what, int n, rcc_dist *dist,
                         rcc_aug_config *aug);
/* Before a step of t, with sharing on (share.h): this process's share of `asked` threads; when it
 * differs from *threads, the context's count changes, t is planned again, *threads follows and
 * hooks->on_note says so. A plan that fails is noted and the old count kept; an error only when
 * that fails too (t then has no plan). */
rcc_status rcc_run_share_cpus(rcc_share *share, rcc_trainer *t, int asked, int *threads,
                              const rcc_run_hooks *hooks);

/* The learning rate at `step` (0-based) of a run with `batches` steps per epoch. */
double rcc_run_lr(const rcc_config *cfg, long step, int batches);

/* The output folder exists (or is made), is writable and has room for a few checkpoints of
 * ckpt_bytes; temporary files of interrupted writes of ckpt are removed (told to hooks->on_note). */
rcc_status rcc_run_prepare_out_dir(const char *dir, const char *ckpt, size_t ckpt_bytes, const rcc_run_hooks *hooks);

#endif
