/* fuzz_safetensors.c — libFuzzer harness for checkpoint loading: the safetensors parser on the
 * bytes in memory (rcc_st_parse: header length, JSON header, dtypes, shapes, data offsets,
 * metadata), every tensor read back as float32, then the checks rcc_checkpoint_open makes
 * (rcc_checkpoint_read_meta: format tag and version, the configuration JSON through
 * rcc_config_from_json, the progress) and, when they pass, rcc_checkpoint_load_params into the
 * parameter table of a fixed tiny model, with and without the optimizer state: names, dtypes
 * and shapes are checked before anything is copied. */
#include "fuzz_common.h"
#include "fuzz_tiny.h"
#include "model.h"
#include "run/checkpoint.h"

static rcc_params g_ps;
static rcc_model g_model;

static void cleanup(void)
{
    rcc_model_free(&g_model);
    rcc_params_free(&g_ps);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rcc_config c;
    fuzz_tiny_config(&c);
    rcc_model_config mc;
    rcc_config_model(&c, &mc);
    if (rcc_model_plan(&g_model, &mc, &g_ps, 1, 1, false) != RCC_OK || rcc_params_alloc(&g_ps) != RCC_OK) {
        fprintf(stderr, "fuzz_safetensors: cannot plan the tiny model: %s\n", rcc_last_error());
        abort();
    }
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rcc_st_file f;
    if (rcc_st_parse(&f, data, size, "input") != RCC_OK) {
        if (f.buf || f.t || f.meta_keys || !rcc_last_error()[0])
            abort(); /* a refused file leaves nothing allocated, and says why */
        return 0;
    }
    for (int i = 0; i < f.n; i++) {
        const rcc_st_tensor *t = &f.t[i];
        if (t->ndims < 0 || t->ndims > RCC_ST_MAX_DIMS || t->data < f.buf || t->data > f.buf + f.size)
            abort();
        if (rcc_st_find(&f, t->name) == NULL)
            abort();
        if ((t->dtype == RCC_ST_F32 || t->dtype == RCC_ST_F64) && t->numel <= ((size_t)1 << 20)) {
            float *x = malloc((t->numel ? t->numel : 1) * sizeof *x);
            if (x && rcc_st_read_f32(&f, t->name, x, t->numel) != RCC_OK)
                abort(); /* a floating-point tensor that parsed can be read */
            free(x);
        }
    }
    for (int i = 0; i < f.nmeta; i++)
        if (rcc_st_meta(&f, f.meta_keys[i]) == NULL)
            abort();
    rcc_config cfg;
    rcc_progress pr;
    if (rcc_checkpoint_read_meta(&f, "input", &cfg, &pr) == RCC_OK) {
        if (rcc_config_check(&cfg) != RCC_OK || pr.epoch < 0 || pr.batch_in_epoch < 0 || pr.step < 0)
            abort();
        rcc_checkpoint_load_params(&f, "input", &g_ps, false);
        rcc_checkpoint_load_params(&f, "input", &g_ps, true);
    }
    rcc_st_close(&f);
    return 0;
}
