/* params.h — the parameter table: every learnable tensor and running statistic has a name
 * (PyTorch state_dict style), a shape and an offset in flat blocks, so the optimizer is one
 * loop and a checkpoint is one walk. Conv weights are stored O×I×kH×kW, as PyTorch does. */
#ifndef RCC_PARAMS_H
#define RCC_PARAMS_H

#include "util.h"

typedef enum {
    RCC_P_CONV_W,   /* O×I×kH×kW */
    RCC_P_BN_GAMMA, /* C */
    RCC_P_BN_BETA,  /* C */
    RCC_P_LIN_W,    /* out×in */
    RCC_P_LIN_B,    /* out */
    RCC_B_BN_MEAN,  /* buffer: running mean */
    RCC_B_BN_VAR    /* buffer: running variance */
} rcc_param_kind;

#define RCC_NAME_MAX 96

typedef struct {
    char name[RCC_NAME_MAX];
    rcc_param_kind kind;
    int ndims;
    int64_t dims[4];
    size_t numel;
    size_t off; /* in floats, in the params block (learnable) or the buffers block */
} rcc_param_info;

typedef struct {
    rcc_param_info *p; /* learnable tensors */
    int n, cap;
    size_t total; /* floats in each of data/grad/m/v */
    rcc_param_info *b; /* buffers (running statistics) */
    int nb, capb;
    size_t total_b;
    void *data, *grad, *m, *v; /* float blocks of `total`; void * so arena views can point here */
    void *bufs;                /* float block of `total_b` */
    uint64_t version;          /* changes whenever data or bufs may have: rcc_params_touch */
} rcc_params;

/* Says that the parameters or buffers are about to change (or just did): inference plans keep their
 * convolutions' weights prepared (batch-norm folded, reordered; conv_bn.c) until the version moves.
 * Everything that writes data or bufs calls it: the initialisations, a checkpoint's load, Adam, a
 * training batch-norm's running statistics, the broadcast of data-parallel training; and so must
 * any caller that writes them by hand. */
static inline void rcc_params_touch(rcc_params *ps) { ps->version++; }

/* Registers a tensor; returns its offset in floats through *off. Buffers go to the buffer block.
 * Once the blocks are allocated, adding an existing name with the same shape returns its offset. */
rcc_status rcc_params_add(rcc_params *ps, const char *name, rcc_param_kind kind, int ndims, const int64_t *dims, size_t *off);
/* Allocates the blocks (zeroed) once every tensor is registered. */
rcc_status rcc_params_alloc(rcc_params *ps);
void rcc_params_free(rcc_params *ps);
const rcc_param_info *rcc_params_find(const rcc_params *ps, const char *name, bool *is_buffer);

static inline float *rcc_pdata(const rcc_params *ps) { return (float *)ps->data; }
static inline float *rcc_pgrad(const rcc_params *ps) { return (float *)ps->grad; }
static inline float *rcc_pbufs(const rcc_params *ps) { return (float *)ps->bufs; }

/* Initialisation of docs/method.md §1: Kaiming-normal (fan_out, ReLU gain) convs, BN γ=1 β=0,
 * linear uniform ±1/√fan_in, running mean 0 and variance 1. */
void rcc_params_init_default(rcc_params *ps, uint64_t seed);
/* Deterministic hash initialisation shared with tests/reference/rcc_torch.py (test fixtures). */
void rcc_params_init_hash(rcc_params *ps);
void rcc_params_zero_grad(rcc_params *ps);

#endif
