/* score.c — every measure of a trained network on a labelled data set, as `rcc reproduce`
 * reports them (the public rcc_net_score): the assignment and h of every image through the
 * inference path, ACC/NMI/ARI (of the head's clusters, and of `rcc predict`'s default: refined by
 * the neighbour vote), cluster use, two linear probes, the use of the sphere, and the choice of k on h. */
#include <stdlib.h>
#include <string.h>
#include "rcc_eval.h"
#include "rcc_data.h"
#include "rcc_run.h"
#include "../compute.h"
#include "../util.h"

void rcc_score_config_default(rcc_score_config *c)
{
    memset(c, 0, sizeof *c);
    c->probe_epochs = 50;
    c->probe_lr = 1e-2f;
    c->sphere_sample = 5000;
    c->kmax = 30;
    c->seed = 1;
}

void rcc_net_scores_free(rcc_net_scores *s)
{
    free(s->cluster);
    free(s->h);
    free(s->cells);
    rcc_kselect_result_free(&s->kselect);
    memset(s, 0, sizeof *s);
}

static rcc_status score(rcc_net *net, const rcc_dataset *d, const rcc_score_config *cfg, rcc_net_scores *s);

rcc_status rcc_net_score(rcc_net *net, const rcc_dataset *d, const rcc_score_config *cfg, rcc_net_scores *s)
{
    rcc_compute_saved saved;
    rcc_compute_enter(rcc_net_threads(net), &saved);
    rcc_status st = score(net, d, cfg, s);
    rcc_compute_leave(&saved);
    return st;
}

static rcc_status score(rcc_net *net, const rcc_dataset *d, const rcc_score_config *cfg, rcc_net_scores *s)
{
    memset(s, 0, sizeof *s);
    if (!d->labels)
        return rcc_fail(RCC_ERR_ARG, "scoring needs labels");
    const rcc_config *c = rcc_net_config(net);
    size_t n = (size_t)d->n;
    int R = c->rep_dim, K = c->clusters;
    float t = c->t;
    s->n = d->n, s->rep_dim = R, s->clusters = K;
    s->cluster = malloc(n * sizeof *s->cluster);
    s->h = malloc(n * (size_t)R * sizeof *s->h);
    int64_t *sizes = malloc((size_t)K * sizeof *sizes);
    if (R >= 3)
        s->cells = malloc(sizeof(int) * RCC_SPHERE_BANDS * RCC_SPHERE_SECTORS);
    rcc_status st = s->cluster && s->h && sizes && (R < 3 || s->cells) ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "scores");
    bool vote = d->n > 1 && d->n <= RCC_VOTE_MAX_POINTS;
    rcc_vote_config vc;
    rcc_vote_config_default(&vc);
    int *voted = malloc(n * sizeof *voted);
    if (st == RCC_OK && !voted)
        st = rcc_fail(RCC_ERR_NOMEM, "the vote's clusters of %zu images", n);
    rcc_vote_result vr = {0, 0, false};
    if (st == RCC_OK) /* the head's (s->cluster), and what `rcc predict` gives by default (voted) */
        st = rcc_net_assign_voted(net, d, vote ? vc.knn : 0, voted, s->cluster, NULL, s->h, &vr);
    if (st == RCC_OK)
        st = rcc_scores_compute(s->cluster, d->labels, n, &s->sc);
    s->sc_vote = s->sc;
    s->vote_moved = vote ? vr.moved : -1; /* -1: not run */
    s->vote_applied = vote && vr.applied;
    if (st == RCC_OK && s->vote_applied)
        st = rcc_scores_compute(voted, d->labels, n, &s->sc_vote);
    free(voted);
    rcc_assign_stats as;
    if (st == RCC_OK)
        st = rcc_assign_stats_compute(s->cluster, n, K, NULL, NULL, sizes, &as);
    if (st == RCC_OK) {
        s->nonempty = as.nonempty;
        int64_t big = 0;
        for (int k = 0; k < K; k++)
            big = sizes[k] > big ? sizes[k] : big;
        s->largest = (double)big / (double)n;
    }
    /* the probe twice: the paper's schedule, and one that converges on 3-d features */
    rcc_probe_config pc;
    rcc_probe_result pres;
    rcc_probe_config_default(&pc);
    pc.seed = cfg->seed;
    if (st == RCC_OK)
        st = rcc_probe_run(s->h, d->labels, n, R, cfg->classes, &pc, &pres, NULL);
    if (st == RCC_OK) {
        s->probe_paper = pres.test_acc;
        s->probe_majority = pres.majority_acc;
        pc.lr = cfg->probe_lr;
        pc.epochs = cfg->probe_epochs;
        st = rcc_probe_run(s->h, d->labels, n, R, cfg->classes, &pc, &pres, NULL);
        s->probe_conv = pres.test_acc;
    }
    if (st == RCC_OK)
        st = rcc_sphere_stats_compute(s->h, n, R, (size_t)cfg->sphere_sample, cfg->seed, t, &s->sphere,
                                      R == 3 ? s->cells : NULL);
    if (st == RCC_OK && R > 3) { /* the grid's cells on S²: of h's top three principal components */
        float *p = malloc(n * 3 * sizeof *p);
        rcc_sphere_stats ps;
        st = p ? rcc_pca_project(s->h, n, R, 3, p, &s->cells_explained) : rcc_fail(RCC_ERR_NOMEM, "projection");
        if (st == RCC_OK)
            st = rcc_sphere_stats_compute(p, n, 3, (size_t)cfg->sphere_sample, cfg->seed, t, &ps, s->cells);
        if (st == RCC_OK) {
            s->sphere.cells = ps.cells, s->sphere.occupied = ps.occupied, s->sphere.occupancy = ps.occupancy;
            s->sphere.occupancy_uniform = ps.occupancy_uniform;
        }
        free(p);
    }
    /* the number of clusters h suggests: the paper's elbow (Euclidean k-means on h, k = 1..kmax) */
    rcc_kselect_config kc;
    rcc_kselect_config_default(&kc);
    kc.kmax = cfg->kmax < (int)n ? cfg->kmax : (int)n - 1;
    kc.seed = cfg->seed;
    if (st == RCC_OK)
        st = rcc_kselect(s->h, n, R, &kc, &s->kselect);
    free(sizes);
    if (st != RCC_OK)
        rcc_net_scores_free(s);
    return st;
}
