/* testutil.c — see testutil.h. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int t_passed, t_failed;

bool close_scaled(const char *what, const float *got, const float *want, size_t n, double tol, double floor)
{
    double scale = floor, worst = 0;
    size_t wi = 0;
    bool finite = true;
    for (size_t i = 0; i < n; i++)
        if (fabs(want[i]) > scale)
            scale = fabs(want[i]);
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]);
        if (!isfinite(got[i]))
            finite = false;
        if (e > worst) {
            worst = e;
            wi = i;
        }
    }
    bool ok = finite && worst <= tol * scale;
    CHECK(ok, "%s: max error %.3g at [%zu] (got %.7g, want %.7g), allowed %.3g (tol %.1g x scale %.3g)%s", what, worst,
          wi, n ? got[wi] : 0.0, n ? want[wi] : 0.0, tol * scale, tol, scale, finite ? "" : ", NOT FINITE");
    return ok;
}

bool close_elem(const char *what, const float *got, const float *want, size_t n, double rtol, double atol)
{
    size_t bad = 0, wi = 0;
    double worst = -1;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]), lim = atol + rtol * fabs(want[i]);
        if (!(e <= lim)) {
            bad++;
            if (e / lim > worst || isnan(e)) {
                worst = isnan(e) ? INFINITY : e / lim;
                wi = i;
            }
        }
    }
    CHECK(bad == 0, "%s: %zu of %zu elements off (worst [%zu]: got %.7g, want %.7g; rtol %.1g atol %.1g)", what, bad, n,
          wi, n ? got[wi] : 0.0, n ? want[wi] : 0.0, rtol, atol);
    return bad == 0;
}

int test_finish(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, t_passed, t_failed);
    return t_failed ? 1 : 0;
}

void fill_uniform(float *x, size_t n, rcc_rng *r, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * (float)rcc_rng_uniform(r);
}

static void reorder_plain(const rcc_act *t, float *plain, bool to_plain)
{
    const dnnl_memory_desc_t *md = &t->md;
    static const dnnl_format_tag_t tags[] = {dnnl_format_tag_undef, dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd};
    int64_t dims[4];
    for (int i = 0; i < md->ndims; i++)
        dims[i] = md->dims[i];
    dnnl_memory_desc_t pmd = rcc_md_plain(md->ndims, dims, tags[md->ndims]);
    dnnl_memory_t pm;
    dnnl_memory_create(&pm, &pmd, rcc_dnn_engine(), plain);
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p;
    const dnnl_memory_desc_t *s = to_plain ? md : &pmd, *d = to_plain ? &pmd : md;
    if (dnnl_reorder_primitive_desc_create(&pd, s, rcc_dnn_engine(), d, rcc_dnn_engine(), NULL) != dnnl_success) {
        fprintf(stderr, "test reorder failed\n");
        exit(2);
    }
    dnnl_primitive_create(&p, pd);
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, to_plain ? t->mem : pm}, {DNNL_ARG_TO, to_plain ? pm : t->mem}};
    dnnl_primitive_execute(p, rcc_dnn_stream(), 2, args);
    dnnl_stream_wait(rcc_dnn_stream());
    dnnl_primitive_destroy(p);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(pm);
}

void act_to_plain(const rcc_act *t, float *dst) { reorder_plain(t, dst, true); }
void plain_to_act(const float *src, rcc_act *t) { reorder_plain(t, (float *)src, false); }

double dot_d(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
}

unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    *n = b ? fread(b, 1, (size_t)len, f) : 0;
    fclose(f);
    return b;
}
