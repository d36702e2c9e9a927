/* checkpoint.c — saving and loading checkpoints (see checkpoint.h). */
#include "checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

static rcc_status add_table(rcc_st_writer *w, const rcc_param_info *tab, int n, const float *block, const char *prefix)
{
    char name[RCC_NAME_MAX + 32];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s%s", prefix, tab[i].name);
        RCC_TRY(rcc_st_writer_add(w, name, RCC_ST_F32, tab[i].ndims, tab[i].dims, block + tab[i].off));
    }
    return RCC_OK;
}

rcc_status rcc_checkpoint_save(const char *path, const rcc_config *cfg, const rcc_params *ps, const rcc_progress *pr,
                               bool with_optimizer)
{
    rcc_st_writer w = {0};
    int nbn = 0;
    for (int i = 0; i < ps->nb; i++)
        nbn += ps->b[i].kind == RCC_B_BN_MEAN;
    /* PyTorch's num_batches_tracked: one per batch-norm call, two views per step */
    int64_t *tracked = malloc(sizeof(int64_t) * (size_t)(nbn ? nbn : 1));
    char *json = rcc_config_to_json(cfg);
    rcc_status st = (!tracked || !json) ? rcc_fail(RCC_ERR_NOMEM, "checkpoint") : RCC_OK;
    if (st == RCC_OK)
        st = add_table(&w, ps->p, ps->n, rcc_pdata(ps), "");
    if (st == RCC_OK)
        st = add_table(&w, ps->b, ps->nb, rcc_pbufs(ps), "");
    for (int i = 0, k = 0; st == RCC_OK && i < ps->nb; i++) {
        if (ps->b[i].kind != RCC_B_BN_MEAN)
            continue;
        char name[RCC_NAME_MAX + 32];
        size_t len = strlen(ps->b[i].name) - strlen("running_mean");
        snprintf(name, sizeof name, "%.*snum_batches_tracked", (int)len, ps->b[i].name);
        tracked[k] = 2 * pr->step;
        st = rcc_st_writer_add(&w, name, RCC_ST_I64, 0, NULL, &tracked[k]);
        k++;
    }
    if (st == RCC_OK && with_optimizer)
        st = add_table(&w, ps->p, ps->n, (const float *)ps->m, "optimizer.m.");
    if (st == RCC_OK && with_optimizer)
        st = add_table(&w, ps->p, ps->n, (const float *)ps->v, "optimizer.v.");
    char num[32];
    if (st == RCC_OK)
        st = rcc_st_writer_meta(&w, "format", RCC_CKPT_FORMAT);
    snprintf(num, sizeof num, "%d", RCC_CKPT_VERSION);
    if (st == RCC_OK)
        st = rcc_st_writer_meta(&w, "format_version", num);
    if (st == RCC_OK)
        st = rcc_st_writer_meta(&w, "rcc_version", rcc_version());
    if (st == RCC_OK)
        st = rcc_st_writer_meta(&w, "config", json);
    snprintf(num, sizeof num, "%d", pr->epoch);
    if (st == RCC_OK)
        st = rcc_st_writer_meta(&w, "epoch", num);
    snprintf(num, sizeof num, "%d", pr->batch_in_epoch);
    if (st == RCC_OK)
        st = rcc_st_writer_meta(&w, "batch_in_epoch", num);
    snprintf(num, sizeof num, "%ld", pr->step);
    if (st == RCC_OK)
        st = rcc_st_writer_meta(&w, "step", num);
    if (st == RCC_OK)
        st = rcc_st_writer_meta(&w, "optimizer", with_optimizer ? "adam" : "none");
    if (st == RCC_OK)
        st = rcc_st_writer_save(&w, path);
    rcc_st_writer_free(&w);
    free(tracked);
    free(json);
    return st;
}

static rcc_status meta_long(const rcc_st_file *f, const char *path, const char *key, long lo, long hi, long *out)
{
    const char *v = rcc_st_meta(f, key);
    if (!v)
        return rcc_fail(RCC_ERR_FORMAT, "%s: checkpoint metadata lacks '%s'", path, key);
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || end == v || x < lo || x > hi)
        return rcc_fail(RCC_ERR_FORMAT, "%s: checkpoint metadata '%s' = '%s' is not valid", path, key, v);
    *out = x;
    return RCC_OK;
}

rcc_status rcc_checkpoint_read_meta(const rcc_st_file *f, const char *path, rcc_config *cfg, rcc_progress *pr)
{
    const char *fmt = rcc_st_meta(f, "format");
    long v = 0, epoch = 0, bie = 0, step = 0;
    if (!fmt || strcmp(fmt, RCC_CKPT_FORMAT) != 0)
        return rcc_fail(RCC_ERR_FORMAT, "%s: not an rcc checkpoint (metadata 'format' is %s%s%s, expected '%s')",
                        path, fmt ? "'" : "", fmt ? fmt : "missing", fmt ? "'" : "", RCC_CKPT_FORMAT);
    RCC_TRY(meta_long(f, path, "format_version", 1, 1000000, &v));
    if (v != RCC_CKPT_VERSION)
        return rcc_fail(RCC_ERR_FORMAT, "%s: checkpoint format version %ld, this rcc reads version %d", path, v,
                        RCC_CKPT_VERSION);
    const char *json = rcc_st_meta(f, "config");
    if (!json)
        return rcc_fail(RCC_ERR_FORMAT, "%s: checkpoint metadata lacks 'config'", path);
    rcc_config_preset(cfg, "paper");
    rcc_status st = rcc_config_from_json(cfg, json);
    if (st != RCC_OK)
        return rcc_fail(st, "%s: %s", path, rcc_last_error());
    RCC_TRY(meta_long(f, path, "epoch", 0, 100000000, &epoch));
    RCC_TRY(meta_long(f, path, "batch_in_epoch", 0, 1000000000, &bie));
    RCC_TRY(meta_long(f, path, "step", 0, 2000000000000L, &step));
    pr->epoch = (int)epoch;
    pr->batch_in_epoch = (int)bie;
    pr->step = step;
    return RCC_OK;
}

rcc_status rcc_checkpoint_open(const char *path, rcc_st_file *f, rcc_config *cfg, rcc_progress *pr)
{
    RCC_TRY(rcc_st_load(f, path));
    rcc_status st = rcc_checkpoint_read_meta(f, path, cfg, pr);
    if (st != RCC_OK)
        rcc_st_close(f);
    return st;
}

static rcc_status load_table(const rcc_st_file *f, const char *path, const rcc_param_info *tab, int n, float *block,
                             const char *prefix)
{
    char name[RCC_NAME_MAX + 32];
    for (int i = 0; i < n; i++) {
        const rcc_param_info *pi = &tab[i];
        snprintf(name, sizeof name, "%s%s", prefix, pi->name);
        const rcc_st_tensor *t = rcc_st_find(f, name);
        if (!t)
            return rcc_fail(RCC_ERR_FORMAT, "%s: tensor '%s' is missing (a model of another architecture?)", path,
                            name);
        if (t->dtype != RCC_ST_F32)
            return rcc_fail(RCC_ERR_FORMAT, "%s: tensor '%s' is not float32", path, name);
        bool same = t->ndims == pi->ndims;
        for (int d = 0; same && d < pi->ndims; d++)
            same = t->dims[d] == pi->dims[d];
        if (!same) {
            char want[64] = "", got[64] = "";
            for (int d = 0; d < pi->ndims; d++)
                snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", d ? "x" : "",
                         (long long)pi->dims[d]);
            for (int d = 0; d < t->ndims && d < 4; d++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? "x" : "", (long long)t->dims[d]);
            return rcc_fail(RCC_ERR_FORMAT, "%s: tensor '%s' has shape %s, the model needs %s", path, name, got, want);
        }
        RCC_TRY(rcc_st_read_f32(f, name, block + pi->off, pi->numel));
    }
    return RCC_OK;
}

rcc_status rcc_checkpoint_load_params(const rcc_st_file *f, const char *path, rcc_params *ps, bool with_optimizer)
{
    rcc_params_touch(ps);
    rcc_status st = load_table(f, path, ps->p, ps->n, rcc_pdata(ps), "");
    if (st == RCC_OK)
        st = load_table(f, path, ps->b, ps->nb, rcc_pbufs(ps), "");
    rcc_params_touch(ps);
    RCC_TRY(st);
    if (!with_optimizer)
        return RCC_OK;
    const char *opt = rcc_st_meta(f, "optimizer");
    if (!opt || strcmp(opt, "adam") != 0)
        return rcc_fail(RCC_ERR_FORMAT, "%s: the checkpoint holds no optimizer state, so training cannot resume", path);
    RCC_TRY(load_table(f, path, ps->p, ps->n, (float *)ps->m, "optimizer.m."));
    return load_table(f, path, ps->p, ps->n, (float *)ps->v, "optimizer.v.");
}

rcc_status rcc_checkpoint_info(const char *path, rcc_config *cfg, rcc_progress *progress)
{
    rcc_st_file f;
    rcc_config c;
    rcc_progress pr;
    RCC_TRY(rcc_checkpoint_open(path, &f, &c, &pr));
    rcc_st_close(&f);
    if (cfg)
        *cfg = c;
    if (progress)
        *progress = pr;
    return RCC_OK;
}
