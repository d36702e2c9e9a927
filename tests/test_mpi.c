/* test_mpi.c — data-parallel training is the same training: run under
 * `mpirun -np 2 test_mpi`, two processes each take half of a global batch (losses over the
 * gathered global batch, gradients summed, batch-norm statistics synchronised), while rank 0
 * also trains one process on the whole batch; after every step the losses, and at the end every
 * parameter and running statistic, must agree to a stated tolerance. With per-process batch-norm
 * statistics (the default) the two processes must still hold identical parameters. Exits 77
 * (skipped) when not started by mpirun with 2 processes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dist.h"
#include "rng.h"
#include "compute.h"
#include "testutil.h"
#include "train.h"

#define STEPS 6
#define NGLOBAL 8 /* images per view in the global batch */

static void config(rcc_model_config *mc, rcc_loss_config *lc, rcc_adam_config *ac)
{
    rcc_model_config_default(mc);
    mc->in_channels = 1, mc->image_size = 16, mc->width = 8, mc->rep_dim = 3;
    mc->feature_dim = 16, mc->clusters = 4, mc->hidden = 32;
    rcc_loss_config_default(lc);
    rcc_adam_config_default(ac);
    ac->lr = 1e-3f;
}

/* The global batch of step s: 2·NGLOBAL images (views a, then views b), smooth random blobs. */
static void global_views(int s, float *x, size_t per)
{
    rcc_rng r;
    rcc_rng_init(&r, 1234, (uint64_t)s);
    for (int i = 0; i < 2 * NGLOBAL; i++) {
        double cx = 4 + 8 * rcc_rng_uniform(&r), cy = 4 + 8 * rcc_rng_uniform(&r), w = 1.5 + 3 * rcc_rng_uniform(&r);
        for (int p = 0; p < 256; p++) {
            double dx = p % 16 - cx, dy = p / 16 - cy;
            x[(size_t)i * per + p] = (float)(exp(-(dx * dx + dy * dy) / (2 * w * w)) + 0.1 * rcc_rng_uniform(&r));
        }
    }
}

/* This process's rows: its share of view a, then its share of view b. */
static void local_views(const float *g, int rank, int n, size_t per, float *x)
{
    memcpy(x, g + (size_t)rank * n * per, sizeof(float) * n * per);
    memcpy(x + (size_t)n * per, g + ((size_t)NGLOBAL + (size_t)rank * n) * per, sizeof(float) * n * per);
}

static double rel(double a, double b) { return fabs(a - b) / fmax(1.0, fabs(b)); }

int main(int argc, char **argv)
{
    rcc_dist d;
    if (rcc_dist_init(&d, &argc, &argv) != RCC_OK || d.size != 2) {
        printf("test_mpi: skipped: run as 'mpirun -np 2 test_mpi' (this is %d process(es)%s)\n", d.size,
               rcc_dist_available() ? "" : ", built without MPI");
        rcc_dist_finalize(&d);
        return 77;
    }
    rcc_compute_saved guard; /* the internals below run as the library's entry points run them */
    rcc_compute_enter(1, &guard);
    rcc_model_config mc;
    rcc_loss_config lc;
    rcc_adam_config ac;
    config(&mc, &lc, &ac);
    int n = NGLOBAL / d.size;
    size_t per = 256;
    float *g = malloc(sizeof(float) * 2 * NGLOBAL * per);

    /* 1. synchronised batch-norm: P = 2 against P = 1 on the same global batches */
    d.sync_bn = true;
    rcc_trainer dt, rt;
    CHECK_OK(rcc_trainer_create_dist(&dt, &mc, &lc, &ac, n, RCC_INIT_DEFAULT, 7, &d));
    if (d.rank == 0)
        CHECK_OK(rcc_trainer_create(&rt, &mc, &lc, &ac, NGLOBAL, RCC_INIT_DEFAULT, 7));
    double worst_loss = 0;
    for (int s = 0; s < STEPS; s++) {
        global_views(s, g, per);
        local_views(g, d.rank, n, per, dt.model.input.ptr);
        rcc_loss_terms a, b;
        CHECK_OK(rcc_trainer_step(&dt, &a, true));
        if (d.rank == 0) {
            memcpy(rt.model.input.ptr, g, sizeof(float) * 2 * NGLOBAL * per);
            CHECK_OK(rcc_trainer_step(&rt, &b, true));
            double e = fmax(fmax(rel(a.ins, b.ins), rel(a.clu_nce, b.clu_nce)),
                            fmax(fmax(rel(a.entropy, b.entropy), rel(a.unif, b.unif)), rel(a.total, b.total)));
            worst_loss = fmax(worst_loss, e);
            printf("  step %d: total P=2 %.7f  P=1 %.7f  (ins %.6f / %.6f, unif %.6f / %.6f)\n", s + 1, a.total,
                   b.total, a.ins, b.ins, a.unif, b.unif);
        }
    }
    if (d.rank == 0) {
        /* losses: the same sums in another order (fp32) */
        CHECK(worst_loss < 5e-5, "losses of P = 2 and P = 1 differ by %.2e (relative) > 5e-5", worst_loss);
        /* parameters after 6 Adam steps: |Δ| within 2 % of one learning-rate step (Adam moves each
         * weight by about lr per step, so differences of summation order show up at that scale) */
        size_t np = dt.ps.total, nb = dt.ps.total_b;
        double dp = 0, db = 0, scale_b = 0;
        for (size_t i = 0; i < np; i++)
            dp = fmax(dp, fabs((double)rcc_pdata(&dt.ps)[i] - rcc_pdata(&rt.ps)[i]));
        for (size_t i = 0; i < nb; i++) {
            db = fmax(db, fabs((double)rcc_pbufs(&dt.ps)[i] - rcc_pbufs(&rt.ps)[i]));
            scale_b = fmax(scale_b, fabs((double)rcc_pbufs(&rt.ps)[i]));
        }
        printf("test_mpi: synchronised BN, P = 2 vs P = 1 over %d steps: losses %.2e relative, parameters max |diff| "
               "%.2e (lr %g), running statistics %.2e of their scale %.3g\n",
               STEPS, worst_loss, dp, (double)ac.lr, db / scale_b, scale_b);
        CHECK(dp < 0.02 * ac.lr, "parameters differ by %.2e > 2%% of lr", dp);
        CHECK(db < 1e-5 * scale_b, "running statistics differ by %.2e (scale %.3g)", db, scale_b);
        rcc_trainer_free(&rt);
    }
    /* both processes hold the same parameters */
    float *both = malloc(sizeof(float) * 2 * dt.ps.total);
    CHECK_OK(rcc_dist_allgather_f32(&d, rcc_pdata(&dt.ps), dt.ps.total, both));
    CHECK(memcmp(both, both + dt.ps.total, sizeof(float) * dt.ps.total) == 0, "the two processes' parameters differ");
    rcc_trainer_free(&dt);

    /* 2. per-process batch-norm: still one model (same gradients everywhere) */
    d.sync_bn = false;
    CHECK_OK(rcc_trainer_create_dist(&dt, &mc, &lc, &ac, n, RCC_INIT_DEFAULT, 7, &d));
    double l0 = 0;
    for (int s = 0; s < STEPS; s++) {
        global_views(s, g, per);
        local_views(g, d.rank, n, per, dt.model.input.ptr);
        rcc_loss_terms a;
        CHECK_OK(rcc_trainer_step(&dt, &a, true));
        double both_l[2] = {d.rank == 0 ? a.total : 0, d.rank == 1 ? a.total : 0};
        CHECK_OK(rcc_dist_allreduce_f64(&d, both_l, 2));
        CHECK(both_l[0] == both_l[1], "per-process BN: the processes computed different losses (%.9g, %.9g)",
              both_l[0], both_l[1]);
        l0 = a.total;
    }
    CHECK(isfinite(l0), "per-process BN: finite loss");
    CHECK_OK(rcc_dist_allgather_f32(&d, rcc_pdata(&dt.ps), dt.ps.total, both));
    CHECK(memcmp(both, both + dt.ps.total, sizeof(float) * dt.ps.total) == 0,
          "per-process BN: the two processes' parameters differ");
    rcc_trainer_free(&dt);
    free(both), free(g);

    /* every process's verdict counts */
    double fails[1] = {(double)t_failed};
    rcc_dist_allreduce_f64(&d, fails, 1);
    int rank = d.rank, total_failed = (int)fails[0];
    rcc_dist_finalize(&d);
    if (rank != 0)
        return total_failed ? 1 : 0;
    if (total_failed > t_failed)
        t_failed = total_failed;
    return test_finish("test_mpi");
}
