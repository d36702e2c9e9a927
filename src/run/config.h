/* config.h — presets, validation and the JSON form of rcc_config (stored in checkpoints). */
#ifndef RCC_RUN_CONFIG_H
#define RCC_RUN_CONFIG_H

#include "../model.h"
#include "../optim.h"
#include "../loss.h"
#include "../data/data.h"
#include "../names.h"

void rcc_config_model(const rcc_config *c, rcc_model_config *m);
void rcc_config_loss(const rcc_config *c, rcc_loss_config *l);
/* The augmentation preset with the configuration's overrides. */
rcc_status rcc_config_augment(const rcc_config *c, rcc_aug_config *a);
void rcc_config_adam(const rcc_config *c, rcc_adam_config *a);

#endif
