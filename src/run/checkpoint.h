/* checkpoint.h — checkpoints as safetensors files. Tensor names and shapes are the PyTorch
 * state_dict's (conv weights O×I×kH×kW), so `load_state_dict` takes them; Adam's moments are
 * stored as "optimizer.m.<name>" / "optimizer.v.<name>"; the configuration, the position in
 * training and the versions are in the metadata. Written to a temporary file and renamed. */
#ifndef RCC_RUN_CHECKPOINT_H
#define RCC_RUN_CHECKPOINT_H

#include "rcc_run.h"
#include "../params.h"
#include "../safetensors.h"

#define RCC_CKPT_FORMAT "rcc-checkpoint"
#define RCC_CKPT_VERSION 1

/* rcc_progress and rcc_checkpoint_info: include/rcc_run.h. */

rcc_status rcc_checkpoint_save(const char *path, const rcc_config *cfg, const rcc_params *ps, const rcc_progress *pr,
                               bool with_optimizer);
/* Opens a checkpoint and reads its configuration and progress; f stays open for load_params. */
rcc_status rcc_checkpoint_open(const char *path, rcc_st_file *f, rcc_config *cfg, rcc_progress *pr);
/* The checks of rcc_checkpoint_open on a file already parsed (rcc_st_parse from memory, as the fuzz
 * harness does): the format tag and version, the configuration, the progress. `path` names it in
 * errors; f is not closed. */
rcc_status rcc_checkpoint_read_meta(const rcc_st_file *f, const char *path, rcc_config *cfg, rcc_progress *pr);
/* Copies every parameter and buffer (and Adam's moments if with_optimizer) into ps, checking
 * names, dtypes and shapes. */
rcc_status rcc_checkpoint_load_params(const rcc_st_file *f, const char *path, rcc_params *ps, bool with_optimizer);

#endif
