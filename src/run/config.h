/* config.h — presets, validation and the JSON form of rcc_config (stored in checkpoints). */
#ifndef RCC_RUN_CONFIG_H
#define RCC_RUN_CONFIG_H

#include "../model.h"
#include "../optim.h"
#include "../loss.h"
#include "../data/data.h"

void rcc_config_model(const rcc_config *c, rcc_model_config *m);
/* A backbone's name as the model's stem: resnet18 (SPEC.md §1) or resnet18-small (*small_stem);
 * an error names the known ones. */
rcc_status rcc_backbone_stem(const char *backbone, bool *small_stem);
/* "f32" or "bf16" (the one place that knows the names); RCC_ERR_ARG naming the known ones. */
rcc_status rcc_precision_bf16(const char *precision, bool *bf16);
/* c->conv as an algorithm; an error names the known ones. */
rcc_status rcc_config_conv_algo(const rcc_config *c, rcc_conv_algo *algo);
void rcc_config_loss(const rcc_config *c, rcc_loss_config *l);
/* The augmentation preset with the configuration's overrides. */
rcc_status rcc_config_augment(const rcc_config *c, rcc_aug_config *a);
void rcc_config_adam(const rcc_config *c, rcc_adam_config *a);

#endif
