/* run.h — the training loop's internal side; the run itself (rcc_run_train, its events and hooks)
 * is public in include/rcc_run.h. */
#ifndef RCC_RUN_H
#define RCC_RUN_H

#include "../data/data.h"
#include "../loss.h"
#include "checkpoint.h"

#include "rcc_run.h"

/* The learning rate at `step` (0-based) of a run with `batches` steps per epoch. */
double rcc_run_lr(const rcc_config *cfg, long step, int batches);

/* The output folder exists (or is made), is writable and has room for a few checkpoints of
 * ckpt_bytes; temporary files of interrupted writes of ckpt are removed (told to hooks->on_note). */
rcc_status rcc_run_prepare_out_dir(const char *dir, const char *ckpt, size_t ckpt_bytes, const rcc_run_hooks *hooks);

#endif
