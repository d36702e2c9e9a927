/* fuzz_config.c — libFuzzer harness for the configuration JSON stored in every checkpoint
 * (rcc_config_from_json, which ends with rcc_config_check). The input, as text, is parsed over
 * the paper preset. Whatever is accepted must be a valid configuration that survives the round
 * trip: to_json, from_json again, the same JSON; its augmentation and model settings are then
 * derived as training would. */
#include "fuzz_common.h"
#include "model.h"
#include "run/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    rcc_config c;
    rcc_config_preset(&c, "paper");
    rcc_status st = rcc_config_from_json(&c, text);
    free(text);
    if (st != RCC_OK) {
        if (!rcc_last_error()[0])
            abort();
        return 0;
    }
    if (rcc_config_check(&c) != RCC_OK)
        abort(); /* accepted, so valid */
    char *j1 = rcc_config_to_json(&c);
    if (!j1)
        abort();
    rcc_config c2;
    rcc_config_preset(&c2, "cpu");
    if (rcc_config_from_json(&c2, j1) != RCC_OK)
        abort(); /* what rcc writes, rcc reads */
    char *j2 = rcc_config_to_json(&c2);
    if (!j2 || strcmp(j1, j2) != 0)
        abort(); /* and reads back the same */
    free(j1);
    free(j2);
    rcc_aug_config a;
    rcc_config_augment(&c, &a); /* an unknown augmentation preset is refused here, with a message */
    rcc_model_config mc;
    rcc_config_model(&c, &mc);
    if (rcc_model_config_check(&mc) != RCC_OK)
        abort(); /* a valid configuration gives a valid model */
    return 0;
}
