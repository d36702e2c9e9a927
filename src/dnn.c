/* dnn.c — oneDNN engine/stream, the planning arena, primitive execution and profiling. */
#include "dnn.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One CPU engine for the process, made once (pthread_once) and never destroyed: oneDNN engines are
 * thread-safe, and every primitive and memory object of every plan is made on it. A stream is not
 * meant to be used by two threads at once, and the library's users do run passes on several threads
 * (rcc serve's batcher while its watcher's thread loads and tries a new checkpoint; a host program's
 * own threads, each with its networks): so each thread that executes gets a stream of its own, made
 * on its first execution and destroyed when the thread ends (the key's destructor). The pointer is
 * also kept thread-local, where a leak checker sees the stream of a thread still running. */
static dnnl_engine_t g_engine;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_stream_key;
static bool g_have_key;
static _Thread_local dnnl_stream_t tl_stream;

static void stream_destroy(void *stream)
{
    dnnl_stream_destroy((dnnl_stream_t)stream);
}

static void engine_init(void)
{
    if (dnnl_engine_create(&g_engine, dnnl_cpu, 0) != dnnl_success)
        g_engine = NULL;
    g_have_key = pthread_key_create(&g_stream_key, stream_destroy) == 0;
}

rcc_status rcc_dnn_check(dnnl_status_t s, const char *what)
{
    if (s == dnnl_success)
        return RCC_OK;
    if (s == dnnl_out_of_memory)
        return rcc_fail(RCC_ERR_NOMEM, "oneDNN: out of memory in %s", what);
    return rcc_fail(RCC_ERR_BACKEND, "oneDNN: %s failed (status %d)", what, (int)s);
}

dnnl_engine_t rcc_dnn_engine(void)
{
    pthread_once(&g_once, engine_init);
    return g_engine;
}

dnnl_stream_t rcc_dnn_stream(void)
{
    if (tl_stream || !rcc_dnn_engine() || !g_have_key)
        return tl_stream;
    dnnl_stream_t s;
    if (dnnl_stream_create(&s, g_engine, dnnl_stream_default_flags) != dnnl_success)
        return NULL;
    if (pthread_setspecific(g_stream_key, s) != 0) {
        dnnl_stream_destroy(s);
        return NULL;
    }
    tl_stream = s;
    return s;
}

dnnl_primitive_attr_t rcc_dnn_attr(void)
{
    dnnl_primitive_attr_t attr = NULL;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success)
        return NULL;
    dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    return attr;
}

static dnnl_memory_desc_t md_by_tag(int ndims, const int64_t *dims, dnnl_data_type_t dt, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t d;
    for (int i = 0; i < ndims; i++)
        d[i] = dims[i];
    dnnl_memory_desc_init_by_tag(&md, ndims, d, dt, tag);
    return md;
}

dnnl_memory_desc_t rcc_md_plain(int ndims, const int64_t *dims, dnnl_format_tag_t tag)
{
    return md_by_tag(ndims, dims, dnnl_f32, tag);
}

dnnl_memory_desc_t rcc_md_plain_dt(int ndims, const int64_t *dims, dnnl_data_type_t dt, dnnl_format_tag_t tag)
{
    return md_by_tag(ndims, dims, dt, tag);
}

dnnl_memory_desc_t rcc_md_any(int ndims, const int64_t *dims)
{
    return md_by_tag(ndims, dims, dnnl_f32, dnnl_format_tag_any);
}

dnnl_memory_desc_t rcc_md_any_dt(int ndims, const int64_t *dims, dnnl_data_type_t dt)
{
    return md_by_tag(ndims, dims, dt, dnnl_format_tag_any);
}

rcc_status rcc_md_with_batch(const dnnl_memory_desc_t *md, int64_t n, dnnl_memory_desc_t *out)
{
    if (md->format_kind != dnnl_blocked)
        return rcc_fail(RCC_ERR_BACKEND, "batch split needs a blocked layout");
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    for (int i = 0; i < b->inner_nblks; i++)
        if (b->inner_idxs[i] == 0)
            return rcc_fail(RCC_ERR_BACKEND, "batch split needs an unblocked batch dimension");
    for (int i = 1; i < md->ndims; i++) {
        int64_t outer = md->padded_dims[i];
        for (int j = 0; j < b->inner_nblks; j++)
            if (b->inner_idxs[j] == i)
                outer /= b->inner_blks[j];
        if (b->strides[i] * outer > b->strides[0])
            return rcc_fail(RCC_ERR_BACKEND, "batch split needs the batch dimension outermost");
    }
    *out = *md;
    out->dims[0] = n;
    out->padded_dims[0] = n;
    return RCC_OK;
}

/* ---- arena ---- */

static rcc_status track(rcc_arena *a, rcc_act *t)
{
    if (a->committed)
        return rcc_fail(RCC_ERR_ARG, "arena already committed");
    if (a->nacts == a->cap) {
        int cap = a->cap ? 2 * a->cap : 64;
        rcc_act **n = realloc(a->acts, (size_t)cap * sizeof *n);
        if (!n)
            return rcc_fail(RCC_ERR_NOMEM, "arena: tracking table");
        a->acts = n;
        a->cap = cap;
    }
    a->acts[a->nacts++] = t;
    return RCC_OK;
}

rcc_status rcc_act_plan(rcc_arena *a, rcc_act *t, const dnnl_memory_desc_t *md)
{
    memset(t, 0, sizeof *t);
    t->md = *md;
    t->bytes = rcc_md_bytes(md);
    t->region = &a->base;
    t->off = a->bytes;
    a->bytes += rcc_align_up(t->bytes);
    return track(a, t);
}

rcc_status rcc_act_view(rcc_arena *a, rcc_act *t, const dnnl_memory_desc_t *md, void **region, size_t off)
{
    memset(t, 0, sizeof *t);
    t->md = *md;
    t->bytes = rcc_md_bytes(md);
    t->region = region;
    t->off = off;
    return track(a, t);
}

rcc_status rcc_act_alias(rcc_arena *a, rcc_act *t, const dnnl_memory_desc_t *md, const rcc_act *of, size_t off)
{
    size_t bytes = rcc_md_bytes(md);
    if (off + bytes > rcc_align_up(of->bytes) && of->region == &a->base)
        return rcc_fail(RCC_ERR_ARG, "alias of %zu bytes at %zu exceeds a buffer of %zu", bytes, off, of->bytes);
    return rcc_act_view(a, t, md, of->region, of->off + off);
}

rcc_status rcc_arena_commit(rcc_arena *a)
{
    if (a->committed)
        return RCC_OK;
    if (!rcc_dnn_engine())
        return rcc_fail(RCC_ERR_BACKEND, "oneDNN: cannot create a CPU engine");
    if (a->bytes) {
        a->base = rcc_alloc(a->bytes);
        if (!a->base)
            return rcc_fail(RCC_ERR_NOMEM, "arena: %zu bytes of activations", a->bytes);
    }
    if (a->scratch_bytes) {
        a->scratch = rcc_alloc(a->scratch_bytes);
        if (!a->scratch)
            return rcc_fail(RCC_ERR_NOMEM, "arena: %zu bytes of scratchpad", a->scratch_bytes);
    }
    for (int i = 0; i < a->nacts; i++) {
        rcc_act *t = a->acts[i];
        t->ptr = (float *)((char *)*t->region + t->off);
        DNN_TRY(dnnl_memory_create(&t->mem, &t->md, g_engine, t->ptr), "memory create");
    }
    a->committed = true;
    return RCC_OK;
}

void rcc_arena_free(rcc_arena *a)
{
    for (int i = 0; i < a->nacts; i++)
        if (a->acts[i]->mem)
            dnnl_memory_destroy(a->acts[i]->mem);
    free(a->acts);
    rcc_free(a->base);
    rcc_free(a->scratch);
    memset(a, 0, sizeof *a);
}

/* ---- primitives ---- */

rcc_status rcc_prim_create(rcc_arena *a, rcc_prim *p, const_dnnl_primitive_desc_t pd, const char *name)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    DNN_TRY(dnnl_primitive_create(&p->prim, pd), name);
    p->owns = true;
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (smd && smd->ndims > 0 && rcc_md_bytes(smd) > 0) {
        size_t sb = rcc_md_bytes(smd);
        if (sb > a->scratch_bytes)
            a->scratch_bytes = sb;
        RCC_TRY(rcc_act_view(a, &p->scratch, smd, &a->scratch, 0));
        p->has_scratch = true;
        rcc_prim_arg(p, DNNL_ARG_SCRATCHPAD, &p->scratch);
    }
    return RCC_OK;
}

void rcc_prim_share(rcc_prim *dst, const rcc_prim *src)
{
    memset(dst, 0, sizeof *dst);
    dst->prim = src->prim;
    dst->owns = false;
    dst->name = src->name;
    memcpy(dst->layer, src->layer, sizeof dst->layer);
    dst->flops = src->flops;
    for (int i = 0; i < src->nargs; i++)
        if (src->args[i].arg == DNNL_ARG_SCRATCHPAD)
            dst->args[dst->nargs++] = src->args[i];
}

void rcc_prim_arg(rcc_prim *p, int arg, rcc_act *t)
{
    for (int i = 0; i < p->nargs; i++)
        if (p->args[i].arg == arg) {
            p->args[i].act = t;
            return;
        }
    if (p->nargs < RCC_MAX_ARGS)
        p->args[p->nargs++] = (rcc_arg){arg, t};
    else
        p->overflow = true;
}

static bool g_prof;
static void prof_add_layer(const char *layer, double seconds, double flops);

void rcc_prim_fn(rcc_prim *p, rcc_status (*fn)(void *ctx), void *ctx, const char *name, double flops)
{
    memset(p, 0, sizeof *p);
    p->fn = fn;
    p->ctx = ctx;
    p->name = name;
    p->flops = flops;
}

static rcc_status prim_fn_exec(rcc_prim *p)
{
    double t0 = g_prof ? rcc_now() : 0;
    RCC_TRY(p->fn(p->ctx));
    if (g_prof) {
        double dt = rcc_now() - t0;
        rcc_prof_add(p->name, dt, p->flops);
        if (p->layer[0])
            prof_add_layer(p->layer, dt, p->flops);
    }
    return RCC_OK;
}

rcc_status rcc_prim_exec(rcc_prim *p)
{
    if (p->fn)
        return prim_fn_exec(p);
    dnnl_exec_arg_t args[RCC_MAX_ARGS];
    if (p->overflow)
        return rcc_fail(RCC_ERR_BACKEND, "%s: too many arguments", p->name);
    for (int i = 0; i < p->nargs; i++) {
        args[i].arg = p->args[i].arg;
        args[i].memory = p->args[i].act->mem;
    }
    dnnl_stream_t stream = rcc_dnn_stream();
    if (!stream)
        return rcc_fail(RCC_ERR_BACKEND, "oneDNN: cannot create a stream for %s", p->name);
    double t0 = g_prof ? rcc_now() : 0;
    DNN_TRY(dnnl_primitive_execute(p->prim, stream, p->nargs, args), p->name);
    if (g_prof) {
        dnnl_stream_wait(stream);
        double dt = rcc_now() - t0;
        rcc_prof_add(p->name, dt, p->flops);
        if (p->layer[0])
            prof_add_layer(p->layer, dt, p->flops);
    }
    return RCC_OK;
}

void rcc_prim_free(rcc_prim *p)
{
    if (p->owns && p->prim)
        dnnl_primitive_destroy(p->prim);
    p->prim = NULL;
}

/* A reorder with this attribute (destroyed here). */
static rcc_status reorder_with(rcc_arena *a, rcc_prim *p, rcc_act *src, rcc_act *dst, dnnl_primitive_attr_t attr,
                               const char *name)
{
    dnnl_primitive_desc_t pd;
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(&pd, &src->md, rcc_dnn_engine(), &dst->md, rcc_dnn_engine(), attr);
    dnnl_primitive_attr_destroy(attr);
    DNN_TRY(s, name);
    rcc_status st = rcc_prim_create(a, p, pd, name);
    dnnl_primitive_desc_destroy(pd);
    RCC_TRY(st);
    rcc_prim_arg(p, DNNL_ARG_FROM, src);
    rcc_prim_arg(p, DNNL_ARG_TO, dst);
    return RCC_OK;
}

rcc_status rcc_reorder_create(rcc_arena *a, rcc_prim *p, rcc_act *src, rcc_act *dst, bool accumulate, const char *name)
{
    dnnl_primitive_attr_t attr = rcc_dnn_attr();
    if (!attr)
        return rcc_fail(RCC_ERR_NOMEM, "attr");
    if (accumulate) {
        dnnl_post_ops_t po;
        dnnl_post_ops_create(&po);
        dnnl_post_ops_append_sum(po, 1.0f);
        dnnl_primitive_attr_set_post_ops(attr, po);
        dnnl_post_ops_destroy(po);
    }
    return reorder_with(a, p, src, dst, attr, name);
}

rcc_status rcc_reorder_create_scaled(rcc_arena *a, rcc_prim *p, rcc_act *src, rcc_act *dst, rcc_act *scales,
                                     const char *name)
{
    dnnl_primitive_attr_t attr = rcc_dnn_attr();
    if (!attr)
        return rcc_fail(RCC_ERR_NOMEM, "attr");
    float runtime = DNNL_RUNTIME_F32_VAL;
    dnnl_status_t s = dnnl_primitive_attr_set_output_scales(attr, 1, 1 << 0, &runtime);
    if (s != dnnl_success) {
        dnnl_primitive_attr_destroy(attr);
        return rcc_dnn_check(s, name);
    }
    RCC_TRY(reorder_with(a, p, src, dst, attr, name));
    rcc_prim_arg(p, DNNL_ARG_ATTR_OUTPUT_SCALES, scales);
    return RCC_OK;
}

/* ---- profiling ---- */

#define RCC_PROF_MAX 256
static rcc_prof_entry g_prof_tab[RCC_PROF_MAX];
static int g_prof_n;
static rcc_prof_entry g_layer_tab[RCC_PROF_MAX];
static char g_layer_names[RCC_PROF_MAX][48];
static int g_layer_n;

void rcc_prof_enable(bool on) { g_prof = on; }

void rcc_prof_reset(void) { g_prof_n = g_layer_n = 0; }

static void prof_add_layer(const char *layer, double seconds, double flops)
{
    for (int i = 0; i < g_layer_n; i++)
        if (strcmp(g_layer_names[i], layer) == 0) {
            g_layer_tab[i].seconds += seconds;
            g_layer_tab[i].flops += flops;
            g_layer_tab[i].calls++;
            return;
        }
    if (g_layer_n < RCC_PROF_MAX) {
        snprintf(g_layer_names[g_layer_n], sizeof g_layer_names[0], "%s", layer);
        g_layer_tab[g_layer_n] = (rcc_prof_entry){g_layer_names[g_layer_n], seconds, flops, 1};
        g_layer_n++;
    }
}

int rcc_prof_layers(const rcc_prof_entry **out)
{
    *out = g_layer_tab;
    return g_layer_n;
}

void rcc_prims_set_layer(const char *layer, rcc_prim *const *prims)
{
    for (; *prims; prims++)
        snprintf((*prims)->layer, sizeof (*prims)->layer, "%s", layer);
}

int rcc_prof_entries(const rcc_prof_entry **out)
{
    *out = g_prof_tab;
    return g_prof_n;
}

void rcc_prof_add(const char *name, double seconds, double flops)
{
    if (!g_prof)
        return;
    for (int i = 0; i < g_prof_n; i++)
        if (g_prof_tab[i].name == name || strcmp(g_prof_tab[i].name, name) == 0) {
            g_prof_tab[i].seconds += seconds;
            g_prof_tab[i].flops += flops;
            g_prof_tab[i].calls++;
            return;
        }
    if (g_prof_n < RCC_PROF_MAX)
        g_prof_tab[g_prof_n++] = (rcc_prof_entry){name, seconds, flops, 1};
}

double rcc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

rcc_status rcc_pd_create(dnnl_primitive_desc_t *pd, const void *op_desc, const_dnnl_primitive_desc_t hint,
                         const char *name)
{
    return rcc_pd_create_po(pd, op_desc, hint, NULL, name);
}

rcc_status rcc_pd_create_po(dnnl_primitive_desc_t *pd, const void *op_desc, const_dnnl_primitive_desc_t hint,
                            const_dnnl_post_ops_t po, const char *name)
{
    *pd = NULL;
    if (!rcc_dnn_engine())
        return rcc_fail(RCC_ERR_BACKEND, "oneDNN: cannot create a CPU engine");
    dnnl_primitive_attr_t attr = rcc_dnn_attr();
    if (!attr)
        return rcc_fail(RCC_ERR_NOMEM, "attr");
    dnnl_status_t s = po ? dnnl_primitive_attr_set_post_ops(attr, po) : dnnl_success;
    if (s == dnnl_success)
        s = dnnl_primitive_desc_create(pd, op_desc, attr, g_engine, hint);
    dnnl_primitive_attr_destroy(attr);
    return rcc_dnn_check(s, name);
}

const char *rcc_pd_impl(const_dnnl_primitive_desc_t pd)
{
    const char *s = "?";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s);
    return s;
}
