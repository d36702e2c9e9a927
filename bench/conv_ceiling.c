/* conv_ceiling.c — oneDNN's convolution kernels timed alone, f32 against bf16, for every
 * convolution of rcc's ResNet-18 at one shape: forward (training), backward data and backward
 * weights, each on the batch a training step gives it (both views: 2 x pairs images). It says
 * what the kernels can do on this CPU before rcc's own code runs around them (issue 18: the
 * ceiling of a bf16 mode), and which implementation oneDNN picked (a "ref" one is a fallback).
 * bf16 here: source, weights and destination in bf16; the weight gradient in f32 (as a bf16
 * training mode with f32 master weights would use it). Not part of librcc: bench/conv_ceiling.sh
 * builds and runs it.
 * Usage: conv_ceiling [--pairs 256] [--size 64] [--width 64] [--rep-dim 3] [--channels 1]
 *                     [--small] [--reps 10] [--only NAME] */
#include <dnnl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char name[32];
    int ic, oc, k, stride, pad;
    int64_t ih, oh;
} layer;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void check(dnnl_status_t s, const char *what)
{
    if (s != dnnl_success) {
        fprintf(stderr, "conv_ceiling: %s failed (oneDNN status %d)\n", what, (int)s);
        exit(1);
    }
}

static int64_t out_side(int64_t in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }

static int add(layer *v, int n, const char *name, int ic, int oc, int k, int stride, int pad, int64_t ih)
{
    layer *l = &v[n];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->ic = ic, l->oc = oc, l->k = k, l->stride = stride, l->pad = pad, l->ih = ih;
    l->oh = out_side(ih, k, stride, pad);
    return n + 1;
}

/* The convolutions of docs/method.md §1's ResNet-18 (or resnet18-small) in forward order. */
static int resnet18_layers(layer *v, int S, int C, int w, int rep, bool small)
{
    int n = 0;
    int64_t h;
    if (small) {
        n = add(v, n, "conv1", C, w, 3, 1, 1, S);
        h = v[0].oh;
    } else {
        n = add(v, n, "conv1", C, w, 7, 2, 3, S);
        h = out_side(v[0].oh, 3, 2, 1); /* max-pool 3x3/2 pad 1 */
    }
    int chans[4] = {w, 2 * w, 4 * w, rep}, in = w;
    for (int s = 0; s < 4; s++)
        for (int j = 0; j < 2; j++) {
            int stride = j == 0 && s > 0 ? 2 : 1, out = chans[s];
            char nm[32];
            snprintf(nm, sizeof nm, "layer%d.%d.conv1", s + 1, j);
            n = add(v, n, nm, in, out, 3, stride, 1, h);
            int64_t oh = v[n - 1].oh;
            snprintf(nm, sizeof nm, "layer%d.%d.conv2", s + 1, j);
            n = add(v, n, nm, out, out, 3, 1, 1, oh);
            if (stride != 1 || in != out) {
                snprintf(nm, sizeof nm, "layer%d.%d.down", s + 1, j);
                n = add(v, n, nm, in, out, 1, stride, 0, h);
            }
            in = out, h = oh;
        }
    return n;
}

typedef struct {
    dnnl_primitive_t p;
    dnnl_memory_t m[3];
    int args[3];
    const char *impl;
} prim;

static dnnl_memory_t mem(dnnl_engine_t eng, const dnnl_memory_desc_t *md, dnnl_data_type_t dt)
{
    dnnl_memory_t m;
    check(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE), "memory");
    void *p;
    check(dnnl_memory_get_data_handle(m, &p), "handle");
    size_t bytes = dnnl_memory_desc_get_size(md);
    if (dt == dnnl_bf16) { /* 0x3C24: about 0.01, a normal number */
        for (size_t i = 0; i < bytes / 2; i++)
            ((uint16_t *)p)[i] = (uint16_t)(0x3C24 + (i % 7));
    } else {
        for (size_t i = 0; i < bytes / 4; i++)
            ((float *)p)[i] = 0.01f + 0.001f * (float)(i % 7);
    }
    return m;
}

/* pass 0: forward training, 1: backward data, 2: backward weights. */
static prim make(dnnl_engine_t eng, const layer *l, int64_t N, dnnl_data_type_t dt, int pass)
{
    dnnl_memory_desc_t src, wei, dst, wei_f;
    dnnl_dims_t sd = {N, l->ic, l->ih, l->ih}, wd = {l->oc, l->ic, l->k, l->k}, dd = {N, l->oc, l->oh, l->oh};
    dnnl_dims_t st = {l->stride, l->stride}, pd = {l->pad, l->pad};
    check(dnnl_memory_desc_init_by_tag(&src, 4, sd, dt, dnnl_format_tag_any), "md");
    check(dnnl_memory_desc_init_by_tag(&wei, 4, wd, dt, dnnl_format_tag_any), "md");
    check(dnnl_memory_desc_init_by_tag(&wei_f, 4, wd, dnnl_f32, dnnl_format_tag_any), "md");
    check(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dt, dnnl_format_tag_any), "md");
    dnnl_convolution_desc_t fd;
    check(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src, &wei, NULL,
                                             &dst, st, pd, pd),
          "forward desc");
    dnnl_primitive_desc_t fpd;
    check(dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL), "forward primitive desc");
    dnnl_primitive_desc_t ppd = fpd;
    prim r;
    memset(&r, 0, sizeof r);
    if (pass == 1) {
        dnnl_convolution_desc_t bd;
        check(dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &src, &wei, &dst, st, pd, pd),
              "backward data desc");
        check(dnnl_primitive_desc_create(&ppd, &bd, NULL, eng, fpd), "backward data primitive desc");
    } else if (pass == 2) {
        dnnl_convolution_desc_t bd;
        check(dnnl_convolution_backward_weights_desc_init(&bd, dnnl_convolution_direct, &src, &wei_f, NULL, &dst, st,
                                                          pd, pd),
              "backward weights desc");
        check(dnnl_primitive_desc_create(&ppd, &bd, NULL, eng, fpd), "backward weights primitive desc");
    }
    const dnnl_query_t q[3][3] = {{dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md},
                                  {dnnl_query_diff_src_md, dnnl_query_weights_md, dnnl_query_diff_dst_md},
                                  {dnnl_query_src_md, dnnl_query_diff_weights_md, dnnl_query_diff_dst_md}};
    const int a[3][3] = {{DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST},
                         {DNNL_ARG_DIFF_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_DST},
                         {DNNL_ARG_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_DST}};
    for (int i = 0; i < 3; i++) {
        const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(ppd, q[pass][i], 0);
        r.m[i] = mem(eng, md, md->data_type);
        r.args[i] = a[pass][i];
    }
    check(dnnl_primitive_create(&r.p, ppd), "primitive");
    const char *impl = NULL;
    dnnl_primitive_desc_query(ppd, dnnl_query_impl_info_str, 0, &impl);
    r.impl = impl ? strdup(impl) : "?";
    if (ppd != fpd)
        dnnl_primitive_desc_destroy(ppd);
    dnnl_primitive_desc_destroy(fpd);
    return r;
}

static int cmp_d(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Median seconds of one execution over reps (after 2 untimed). */
static double time_prim(dnnl_stream_t s, prim *r, int reps)
{
    dnnl_exec_arg_t args[3];
    for (int i = 0; i < 3; i++)
        args[i] = (dnnl_exec_arg_t){r->args[i], r->m[i]};
    double t[64];
    if (reps > 64)
        reps = 64;
    for (int i = -2; i < reps; i++) {
        double t0 = now();
        check(dnnl_primitive_execute(r->p, s, 3, args), "execute");
        check(dnnl_stream_wait(s), "wait");
        if (i >= 0)
            t[i] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_d);
    return t[reps / 2];
}

static void free_prim(prim *r)
{
    dnnl_primitive_destroy(r->p);
    for (int i = 0; i < 3; i++)
        dnnl_memory_destroy(r->m[i]);
    free((void *)r->impl);
}

int main(int argc, char **argv)
{
    int pairs = 256, S = 64, w = 64, rep = 3, C = 1, reps = 10;
    bool small = false;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int *t = strcmp(o, "--pairs") == 0     ? &pairs
                 : strcmp(o, "--size") == 0    ? &S
                 : strcmp(o, "--width") == 0   ? &w
                 : strcmp(o, "--rep-dim") == 0 ? &rep
                 : strcmp(o, "--channels") == 0 ? &C
                 : strcmp(o, "--reps") == 0    ? &reps
                                               : NULL;
        if (strcmp(o, "--small") == 0) {
            small = true;
        } else if (strcmp(o, "--only") == 0 && v) {
            only = v, i++;
        } else if (t && v && atoi(v) > 0) {
            *t = atoi(v), i++;
        } else {
            fprintf(stderr, "usage: conv_ceiling [--pairs N] [--size S] [--width W] [--rep-dim R] [--channels C] "
                            "[--small] [--reps N] [--only NAME]\n");
            return 2;
        }
    }
    layer v[32];
    int n = resnet18_layers(v, S, C, w, rep, small);
    int64_t N = 2 * (int64_t)pairs;
    dnnl_engine_t eng;
    dnnl_stream_t s;
    check(dnnl_engine_create(&eng, dnnl_cpu, 0), "engine");
    check(dnnl_stream_create(&s, eng, dnnl_stream_default_flags), "stream");
    printf("oneDNN %d.%d.%d; %s, width %d, rep_dim %d, %d channel(s), %dx%d, %lld images (both views); median of "
           "%d; ms per execution\n",
           dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch, small ? "resnet18-small" : "resnet18",
           w, rep, C, S, S, (long long)N, reps);
    printf("%-18s %-22s %8s %8s %8s %8s %8s %8s %7s  %s\n", "layer", "shape", "f32 fwd", "bf16", "f32 bwdD", "bf16",
           "f32 bwdW", "bf16", "f32/bf16", "bf16 kernels (fwd / bwd data / bwd weights)");
    double tot[2] = {0, 0}, gmacs = 0;
    for (int i = 0; i < n; i++) {
        const layer *l = &v[i];
        if (only && !strstr(l->name, only))
            continue;
        double t[2][3];
        char impls[3][48];
        for (int d = 0; d < 2; d++)
            for (int pass = 0; pass < 3; pass++) {
                if (pass == 1 && i == 0) { /* the stem has no input gradient */
                    t[d][pass] = 0;
                    if (d)
                        snprintf(impls[pass], sizeof impls[pass], "-");
                    continue;
                }
                prim r = make(eng, l, N, d ? dnnl_bf16 : dnnl_f32, pass);
                t[d][pass] = time_prim(s, &r, reps);
                if (d)
                    snprintf(impls[pass], sizeof impls[pass], "%s", r.impl);
                free_prim(&r);
            }
        char shape[48];
        snprintf(shape, sizeof shape, "%d>%d k%d/%d @%lld", l->ic, l->oc, l->k, l->stride, (long long)l->ih);
        double a = t[0][0] + t[0][1] + t[0][2], b = t[1][0] + t[1][1] + t[1][2];
        tot[0] += a, tot[1] += b;
        gmacs += (double)N * l->oc * l->ic * l->k * l->k * (double)(l->oh * l->oh) * (i == 0 ? 2 : 3) * 1e-9;
        printf("%-18s %-22s %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %7.2f  %s / %s / %s\n", l->name, shape, 1e3 * t[0][0],
               1e3 * t[1][0], 1e3 * t[0][1], 1e3 * t[1][1], 1e3 * t[0][2], 1e3 * t[1][2], a / b, impls[0], impls[1],
               impls[2]);
    }
    printf("all convolutions, the three passes: f32 %.1f ms (%.0f GFLOP/s), bf16 %.1f ms (%.0f GFLOP/s): %.2fx\n",
           1e3 * tot[0], 2 * gmacs / tot[0], 1e3 * tot[1], 2 * gmacs / tot[1], tot[0] / tot[1]);
    dnnl_stream_destroy(s);
    dnnl_engine_destroy(eng);
    return 0;
}
