/* params.c — the parameter table and its initialisations. */
#include "params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rng.h"

rcc_status rcc_params_add(rcc_params *ps, const char *name, rcc_param_kind kind, int ndims, const int64_t *dims, size_t *off)
{
    bool buffer = kind == RCC_B_BN_MEAN || kind == RCC_B_BN_VAR;
    if (ps->data) {
        /* The table is fixed: a second model planned over it (e.g. for inference) shares it. */
        bool is_buf;
        const rcc_param_info *pi = rcc_params_find(ps, name, &is_buf);
        if (!pi || is_buf != buffer || pi->ndims != ndims)
            return rcc_fail(RCC_ERR_ARG, "parameter %s is not in the allocated table", name);
        for (int i = 0; i < ndims; i++)
            if (pi->dims[i] != dims[i])
                return rcc_fail(RCC_ERR_ARG, "parameter %s: shape differs from the allocated table", name);
        if (off)
            *off = pi->off;
        return RCC_OK;
    }
    rcc_param_info **tab = buffer ? &ps->b : &ps->p;
    int *n = buffer ? &ps->nb : &ps->n, *cap = buffer ? &ps->capb : &ps->cap;
    size_t *total = buffer ? &ps->total_b : &ps->total;
    if (*n == *cap) {
        int nc = *cap ? 2 * *cap : 64;
        rcc_param_info *t = realloc(*tab, (size_t)nc * sizeof *t);
        if (!t)
            return rcc_fail(RCC_ERR_NOMEM, "parameter table");
        *tab = t;
        *cap = nc;
    }
    rcc_param_info *pi = &(*tab)[(*n)++];
    memset(pi, 0, sizeof *pi);
    snprintf(pi->name, sizeof pi->name, "%s", name);
    pi->kind = kind;
    pi->ndims = ndims;
    pi->numel = 1;
    for (int i = 0; i < ndims; i++) {
        pi->dims[i] = dims[i];
        pi->numel *= (size_t)dims[i];
    }
    pi->off = *total;
    *total += (pi->numel + 15) & ~(size_t)15; /* 64-byte aligned tensors */
    if (off)
        *off = pi->off;
    return RCC_OK;
}

rcc_status rcc_params_alloc(rcc_params *ps)
{
    size_t bytes = ps->total * sizeof(float);
    ps->data = rcc_alloc(bytes);
    ps->grad = rcc_alloc(bytes);
    ps->m = rcc_alloc(bytes);
    ps->v = rcc_alloc(bytes);
    ps->bufs = rcc_alloc(ps->total_b * sizeof(float) + 64);
    if (!ps->data || !ps->grad || !ps->m || !ps->v || !ps->bufs)
        return rcc_fail(RCC_ERR_NOMEM, "parameter blocks (%zu floats)", ps->total);
    return RCC_OK;
}

void rcc_params_free(rcc_params *ps)
{
    rcc_free(ps->data);
    rcc_free(ps->grad);
    rcc_free(ps->m);
    rcc_free(ps->v);
    rcc_free(ps->bufs);
    free(ps->p);
    free(ps->b);
    memset(ps, 0, sizeof *ps);
}

const rcc_param_info *rcc_params_find(const rcc_params *ps, const char *name, bool *is_buffer)
{
    for (int i = 0; i < ps->n; i++)
        if (strcmp(ps->p[i].name, name) == 0) {
            if (is_buffer)
                *is_buffer = false;
            return &ps->p[i];
        }
    for (int i = 0; i < ps->nb; i++)
        if (strcmp(ps->b[i].name, name) == 0) {
            if (is_buffer)
                *is_buffer = true;
            return &ps->b[i];
        }
    return NULL;
}

static void init_buffers(rcc_params *ps)
{
    float *b = rcc_pbufs(ps);
    for (int i = 0; i < ps->nb; i++) {
        const rcc_param_info *pi = &ps->b[i];
        float v = pi->kind == RCC_B_BN_VAR ? 1.0f : 0.0f;
        for (size_t j = 0; j < pi->numel; j++)
            b[pi->off + j] = v;
    }
}

void rcc_params_init_default(rcc_params *ps, uint64_t seed)
{
    rcc_params_touch(ps);
    float *d = rcc_pdata(ps);
    for (int i = 0; i < ps->n; i++) {
        const rcc_param_info *pi = &ps->p[i];
        rcc_rng r;
        rcc_rng_init(&r, seed, rcc_fnv1a32(pi->name));
        float *w = d + pi->off;
        switch (pi->kind) {
        case RCC_P_CONV_W: {
            double fan_out = (double)(pi->dims[0] * pi->dims[2] * pi->dims[3]);
            double std = sqrt(2.0 / fan_out);
            for (size_t j = 0; j < pi->numel; j++)
                w[j] = (float)(std * rcc_rng_normal(&r));
            break;
        }
        case RCC_P_BN_GAMMA:
            for (size_t j = 0; j < pi->numel; j++)
                w[j] = 1.0f;
            break;
        case RCC_P_BN_BETA:
            for (size_t j = 0; j < pi->numel; j++)
                w[j] = 0.0f;
            break;
        case RCC_P_LIN_W:
        case RCC_P_LIN_B: {
            /* fan_in of a bias is that of its weight: the registered weight just before it */
            double fan_in = pi->kind == RCC_P_LIN_W ? (double)pi->dims[1] : (double)ps->p[i - 1].dims[1];
            double bound = 1.0 / sqrt(fan_in);
            for (size_t j = 0; j < pi->numel; j++)
                w[j] = (float)((2.0 * rcc_rng_uniform(&r) - 1.0) * bound);
            break;
        }
        default:
            break;
        }
    }
    init_buffers(ps);
}

void rcc_params_init_hash(rcc_params *ps)
{
    rcc_params_touch(ps);
    float *d = rcc_pdata(ps);
    for (int i = 0; i < ps->n; i++) {
        const rcc_param_info *pi = &ps->p[i];
        uint32_t seed = rcc_fnv1a32(pi->name);
        float *w = d + pi->off;
        double scale = 0, shift = 0;
        switch (pi->kind) {
        case RCC_P_CONV_W:
            scale = sqrt(3.0) * sqrt(2.0 / (double)(pi->dims[0] * pi->dims[2] * pi->dims[3]));
            break;
        case RCC_P_BN_GAMMA:
            scale = 0.25;
            shift = 1.0;
            break;
        case RCC_P_BN_BETA:
            scale = 0.1;
            break;
        case RCC_P_LIN_W:
            scale = 1.0 / sqrt((double)pi->dims[1]);
            break;
        case RCC_P_LIN_B:
            scale = 1.0 / sqrt((double)ps->p[i - 1].dims[1]);
            break;
        default:
            break;
        }
        for (size_t j = 0; j < pi->numel; j++)
            w[j] = (float)(shift + (2.0 * rcc_hash_uniform(seed, (uint32_t)j) - 1.0) * scale);
    }
    init_buffers(ps);
}

void rcc_params_zero_grad(rcc_params *ps) { memset(ps->grad, 0, ps->total * sizeof(float)); }
