/* dnn.h — the thin layer over oneDNN: one engine, a stream per thread, an arena that plans every
 * buffer before anything is allocated, and primitives whose arguments are bound to
 * planned buffers, so a step executes without allocating. */
#ifndef RCC_DNN_H
#define RCC_DNN_H

#include <oneapi/dnnl/dnnl.h>
#include "rcc_bench.h"
#include "util.h"

rcc_status rcc_dnn_check(dnnl_status_t s, const char *what);
#define DNN_TRY(call, what) RCC_TRY(rcc_dnn_check((call), (what)))

/* The process's CPU engine, made once by whichever thread asks first; NULL if oneDNN failed. */
dnnl_engine_t rcc_dnn_engine(void);
/* The calling thread's stream (made on its first use, destroyed when the thread ends); NULL if
 * oneDNN failed. Primitives execute on the stream of the thread that runs them. */
dnnl_stream_t rcc_dnn_stream(void);

/* A tensor in memory: its oneDNN descriptor and where its bytes live.
 * Storage is `(char *)*region + off`, resolved when the arena is committed. */
typedef struct {
    dnnl_memory_desc_t md;
    void **region;
    size_t off, bytes;
    float *ptr;        /* valid after commit */
    dnnl_memory_t mem; /* valid after commit */
} rcc_act;

typedef struct {
    size_t bytes;         /* planned activation bytes */
    size_t scratch_bytes; /* largest scratchpad of any primitive */
    void *base, *scratch;
    rcc_act **acts;
    int nacts, cap;
    bool committed;
} rcc_arena;

/* Plans new storage for a tensor described by md. */
rcc_status rcc_act_plan(rcc_arena *a, rcc_act *t, const dnnl_memory_desc_t *md);
/* A tensor placed at byte offset `off` of an external region (e.g. the parameter block). */
rcc_status rcc_act_view(rcc_arena *a, rcc_act *t, const dnnl_memory_desc_t *md, void **region, size_t off);
/* A tensor sharing another's storage (must fit). */
rcc_status rcc_act_alias(rcc_arena *a, rcc_act *t, const dnnl_memory_desc_t *md, const rcc_act *of, size_t off);
/* Allocates the arena and creates every tracked memory object. */
rcc_status rcc_arena_commit(rcc_arena *a);
void rcc_arena_free(rcc_arena *a);

static inline size_t rcc_md_bytes(const dnnl_memory_desc_t *md) { return dnnl_memory_desc_get_size(md); }
static inline size_t rcc_act_floats(const rcc_act *t) { return t->bytes / sizeof(float); }
/* Elements of a tensor's storage (padding included): 2-byte bf16 or 4-byte f32. */
static inline size_t rcc_act_elems(const rcc_act *t) { return t->bytes / (t->md.data_type == dnnl_bf16 ? 2 : 4); }

/* Plain (row-major) descriptor. tag e.g. dnnl_nchw, dnnl_nc, dnnl_oihw, dnnl_a. */
dnnl_memory_desc_t rcc_md_plain(int ndims, const int64_t *dims, dnnl_format_tag_t tag);
/* The same with data type dt; tag may be dnnl_format_tag_any. */
dnnl_memory_desc_t rcc_md_plain_dt(int ndims, const int64_t *dims, dnnl_data_type_t dt, dnnl_format_tag_t tag);
dnnl_memory_desc_t rcc_md_any(int ndims, const int64_t *dims);
/* The same with data type dt (dnnl_f32 or dnnl_bf16). */
dnnl_memory_desc_t rcc_md_any_dt(int ndims, const int64_t *dims, dnnl_data_type_t dt);
/* Same layout with the outermost (batch) dimension changed; requires it to be outermost. */
rcc_status rcc_md_with_batch(const dnnl_memory_desc_t *md, int64_t n, dnnl_memory_desc_t *out);

#define RCC_MAX_ARGS 16
typedef struct {
    int arg;
    rcc_act *act;
} rcc_arg;

/* A primitive with its arguments; several may share one dnnl primitive (owns = false). */
typedef struct {
    dnnl_primitive_t prim;
    bool owns;
    rcc_act scratch;
    bool has_scratch;
    int nargs;
    bool overflow; /* more arguments than RCC_MAX_ARGS were given: exec refuses */
    rcc_arg args[RCC_MAX_ARGS];
    const char *name; /* the kind of operation ("conv fwd") */
    char layer[48];   /* the layer it belongs to ("layer1.0.conv1"), "" if none */
    double flops;     /* per execution, for profiles */
    /* A step of rcc's own instead of a oneDNN primitive (prim NULL): run as fn(ctx) by
     * rcc_prim_exec, timed and named in profiles like the others. */
    rcc_status (*fn)(void *ctx);
    void *ctx;
} rcc_prim;

/* pd must have been created with the user scratchpad mode (rcc_dnn_attr()). Takes ownership of nothing. */
rcc_status rcc_prim_create(rcc_arena *a, rcc_prim *p, const_dnnl_primitive_desc_t pd, const char *name);
/* Another argument set for the same primitive. */
void rcc_prim_share(rcc_prim *dst, const rcc_prim *src);
void rcc_prim_arg(rcc_prim *p, int arg, rcc_act *t);
/* A step of rcc's own (see rcc_prim.fn). */
void rcc_prim_fn(rcc_prim *p, rcc_status (*fn)(void *ctx), void *ctx, const char *name, double flops);
rcc_status rcc_prim_exec(rcc_prim *p);
void rcc_prim_free(rcc_prim *p);

/* Reorder src -> dst (layouts may differ); with accumulate, dst += src. */
rcc_status rcc_reorder_create(rcc_arena *a, rcc_prim *p, rcc_act *src, rcc_act *dst, bool accumulate, const char *name);
/* Reorder src -> dst with every slice of the outermost dimension i multiplied by scales[i] (a plain f32
 * vector read when the reorder runs): e.g. a convolution's weights, O×I×kH×kW, scaled per output channel. */
rcc_status rcc_reorder_create_scaled(rcc_arena *a, rcc_prim *p, rcc_act *src, rcc_act *dst, rcc_act *scales,
                                     const char *name);

/* Attribute with user-managed scratchpad (caller destroys). */
dnnl_primitive_attr_t rcc_dnn_attr(void);

/* Profiling: when enabled, rcc_prim_exec waits for completion and accumulates time by name. The
 * tables are the process's, for one thread at a time (rcc_bench_train). */
/* rcc_prof_entry: include/rcc_bench.h. */
void rcc_prof_enable(bool on);
/* Totals by kind of operation. */
int rcc_prof_entries(const rcc_prof_entry **out);
/* Totals by layer (primitives only), in the order layers first ran. */
int rcc_prof_layers(const rcc_prof_entry **out);
/* Names the layer of every primitive given (a NULL-terminated list). */
void rcc_prims_set_layer(const char *layer, rcc_prim *const *prims);
void rcc_prof_reset(void);
void rcc_prof_add(const char *name, double seconds, double flops);



/* Creates a primitive descriptor with the user-scratchpad attribute; `name` is for errors. */
rcc_status rcc_pd_create(dnnl_primitive_desc_t *pd, const void *op_desc, const_dnnl_primitive_desc_t hint,
                         const char *name);
/* The same with these post-ops (NULL: none). */
rcc_status rcc_pd_create_po(dnnl_primitive_desc_t *pd, const void *op_desc, const_dnnl_primitive_desc_t hint,
                            const_dnnl_post_ops_t po, const char *name);
/* The implementation oneDNN chose ("jit:avx512_core", "ref:any", ...). */
const char *rcc_pd_impl(const_dnnl_primitive_desc_t pd);
#endif
