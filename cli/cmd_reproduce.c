/* cmd_reproduce.c — `rcc reproduce`: the paper's experiments (SPEC.md §5–6) with one command.
 * CC (λ = 1) and RCC (λ = 0.95) are trained with the right K and with a wrong one (K = 5), for
 * several seeds, on the same data; each run is scored (ACC/NMI/ARI, two linear probes, use of the
 * sphere, the choice of k on h) and the whole is written up in OUT/report.md and OUT/report.json
 * beside the paper's figures. Runs live in OUT/runs/<name>; an interrupted reproduction resumes
 * where it stopped when the same command is given again. Labels are used only to score. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "cli.h"
#include "rcc_eval.h"
#include "rcc_plot.h"
#include "rcc_run.h"

/* The paper's MNIST figures (SPEC.md §6). */
#define PAPER_ACC_CC 0.89
#define PAPER_ACC_RCC 0.92
#define PAPER_PROBE_CC 0.82
#define PAPER_PROBE_RCC 0.87
#define PAPER_ELBOW_CC 6
#define PAPER_ELBOW_RCC 10

enum { M_CC, M_RCC, NMETHODS };
enum { K_RIGHT, K_WRONG, NKS };
static const char *method_name[NMETHODS] = {"cc", "rcc"};
static const char *method_title[NMETHODS] = {"CC", "RCC"};

typedef struct {
    int method, kind, k, seed;
    float lambda;
    char dir[RCC_PATH_MAX];
    double total_seconds; /* the run's own training time, from its metrics (across resumes) */
    char conv[16];        /* the convolution kernels its checkpoint was (last) trained with */
    rcc_scores sc;
    int nonempty;
    double largest;
    double probe_paper, probe_conv, probe_majority;
    rcc_sphere_stats sph;
    int elbow, best_sil, best_ch, chosen;
    double sil_at_chosen;
} run_result;

typedef struct {
    const char *out;
    int seeds, kright, kwrong, kmax, probe_epochs, sphere_sample;
    float probe_lr, rcc_lambda;
    rcc_config base;
    const char *preset;
    const rcc_dataset *data;
    int classes;
} plan;

static double mean_of(const double *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return n ? s / n : NAN;
}

static double sd_of(const double *v, int n) /* sample standard deviation (n − 1) */
{
    if (n < 2)
        return 0;
    double m = mean_of(v, n), s = 0;
    for (int i = 0; i < n; i++)
        s += (v[i] - m) * (v[i] - m);
    return sqrt(s / (n - 1));
}

static void on_epoch(const rcc_epoch_event *e, void *user)
{
    const run_result *r = user;
    fprintf(stderr, "  [%s K=%d seed %d] epoch %d/%d %.1f s: total %.4f unif %.4f", method_title[r->method], r->k,
            r->seed, e->epoch + 1, e->epochs, e->seconds, e->mean.total, e->mean.unif);
    if (e->evaluated)
        fprintf(stderr, " | ACC %.4f NMI %.4f", e->acc, e->nmi);
    if (e->empty || e->largest > 0.5)
        fprintf(stderr, " | collapse: %d empty, largest %.0f%%", e->empty, 100 * e->largest);
    fputc('\n', stderr);
}

/* Sum of the epoch durations recorded in a run's metrics.jsonl (its training time over resumes). */
static double metrics_seconds(const char *dir)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/" RCC_METRICS_FILE, dir);
    rcc_metrics_log log;
    if (rcc_metrics_log_load(path, &log) != RCC_OK)
        return NAN;
    double total = 0;
    for (size_t i = 0; i < log.n; i++)
        if (log.records[i].kind == RCC_METRICS_EPOCH && !isnan(log.records[i].seconds))
            total += log.records[i].seconds;
    rcc_metrics_log_free(&log);
    return total;
}

static rcc_status train_one(const plan *p, run_result *r)
{
    rcc_config c = p->base;
    c.lambda = r->lambda;
    c.clusters = r->k;
    c.seed = (uint64_t)r->seed;
    char ckpt[RCC_PATH_MAX];
    CLI_TRY(cli_checkpoint_path(r->dir, ckpt, sizeof ckpt));
    bool resume = access(ckpt, F_OK) == 0;
    if (resume) {
        rcc_config saved;
        rcc_progress pr;
        CLI_TRY(rcc_checkpoint_info(ckpt, &saved, &pr));
        if (pr.epoch >= c.epochs && saved.epochs == c.epochs && saved.lambda == c.lambda &&
            saved.clusters == c.clusters && saved.seed == c.seed) {
            snprintf(r->conv, sizeof r->conv, "%s", saved.conv);
            fprintf(stderr, "  %s: already trained (%d epochs), reusing it\n", r->dir, pr.epoch);
            return RCC_OK;
        }
        fprintf(stderr, "  %s: resuming at epoch %d, batch %d\n", r->dir, pr.epoch + 1, pr.batch_in_epoch);
    }
    snprintf(r->conv, sizeof r->conv, "%s", c.conv);
    rcc_run_hooks hooks = {NULL, on_epoch, r, cli_stop_flag(), NULL, cli_print_note};
    return rcc_run_train(&c, p->data, r->dir, resume ? ckpt : NULL, &hooks);
}

/* Scores a trained run (rcc_net_score: assignment and h of every image, then every measure), keeps
 * h and the clusters beside it, and draws its pictures. */
static rcc_status score_one(const plan *p, run_result *r)
{
    char ckpt[RCC_PATH_MAX], path[RCC_PATH_MAX];
    CLI_TRY(cli_checkpoint_path(r->dir, ckpt, sizeof ckpt));
    rcc_net *net;
    CLI_TRY(rcc_net_load(&net, ckpt));
    rcc_set_threads(p->base.threads); /* this invocation's, not the ones it was trained with */
    const rcc_dataset *d = p->data;
    size_t n = (size_t)d->n;
    rcc_score_config sc;
    rcc_score_config_default(&sc);
    sc.classes = p->classes;
    sc.probe_epochs = p->probe_epochs, sc.probe_lr = p->probe_lr;
    sc.sphere_sample = p->sphere_sample, sc.kmax = p->kmax;
    sc.seed = (uint64_t)r->seed;
    rcc_net_scores s;
    rcc_status st = rcc_net_score(net, d, &sc, &s);
    rcc_net_free(net);
    if (st != RCC_OK)
        return st;
    int R = s.rep_dim;
    r->sc = s.sc;
    r->nonempty = s.nonempty, r->largest = s.largest;
    r->probe_paper = s.probe_paper, r->probe_conv = s.probe_conv, r->probe_majority = s.probe_majority;
    r->sph = s.sphere;
    const rcc_kselect_result *kr = &s.kselect;
    r->elbow = kr->elbow, r->best_sil = kr->best_silhouette, r->best_ch = kr->best_ch, r->chosen = kr->chosen;
    r->sil_at_chosen = kr->silhouette[kr->chosen];
    st = rcc_path_join(path, sizeof path, r->dir, "h.npy");
    if (st == RCC_OK)
        st = rcc_npy_write_f32(path, s.h, n, (size_t)R);
    if (st == RCC_OK)
        st = rcc_path_join(path, sizeof path, r->dir, "clusters.npy");
    if (st == RCC_OK)
        st = rcc_npy_write_i32(path, s.cluster, n);
    char title[160];
    if (st == RCC_OK) {
        snprintf(title, sizeof title, "%s trained with K = %d (seed %d): choosing k on h", method_title[r->method],
                 r->k, r->seed);
        st = rcc_path_join(path, sizeof path, r->dir, "kselect.png");
        if (st == RCC_OK)
            st = rcc_plot_kselect(path, kr, title);
    }
    if (st == RCC_OK && R == 3) {
        rcc_sphere_plot_opts o;
        rcc_sphere_plot_opts_default(&o);
        snprintf(title, sizeof title, "%s (lambda = %g), K = %d, seed %d: h coloured by label", method_title[r->method],
                 (double)r->lambda, r->k, r->seed);
        o.title = title;
        st = rcc_path_join(path, sizeof path, r->dir, "sphere.png");
        if (st == RCC_OK)
            st = rcc_plot_sphere(path, s.h, n, R, d->labels, &o);
        if (st == RCC_OK) {
            snprintf(title, sizeof title, "%s, K = %d, seed %d: use of the sphere", method_title[r->method], r->k,
                     r->seed);
            st = rcc_path_join(path, sizeof path, r->dir, "cells.png");
        }
        if (st == RCC_OK)
            st = rcc_plot_sphere_cells(path, s.cells, &r->sph, title);
    }
    if (st == RCC_OK) {
        char metrics[RCC_PATH_MAX];
        st = rcc_path_join(metrics, sizeof metrics, r->dir, RCC_METRICS_FILE);
        if (st == RCC_OK)
            st = rcc_path_join(path, sizeof path, r->dir, "curves.png");
        snprintf(title, sizeof title, "%s, K = %d, seed %d", method_title[r->method], r->k, r->seed);
        if (st == RCC_OK)
            st = rcc_plot_curves(path, metrics, title);
    }
    if (st == RCC_OK) /* (after an error it is not reported, and must not replace the error's message) */
        r->total_seconds = metrics_seconds(r->dir);
    rcc_net_scores_free(&s);
    return st;
}

/* ---------------------------------------------------------------- the report */

typedef struct {
    double mean, sd;
    int n;
} stat2;

/* A measure of every run of (method, kind), over seeds. */
static stat2 agg(const run_result *runs, int nruns, int method, int kind, size_t off)
{
    double v[256];
    int n = 0;
    for (int i = 0; i < nruns && n < 256; i++)
        if (runs[i].method == method && runs[i].kind == kind)
            v[n++] = *(const double *)((const char *)&runs[i] + off);
    return (stat2){mean_of(v, n), sd_of(v, n), n};
}

#define AGG(field) offsetof(run_result, field)
#define AGGS(field) offsetof(run_result, sc.field)
#define AGGP(field) offsetof(run_result, sph.field)

static void pct(char *buf, size_t n, stat2 s)
{
    if (s.n > 1)
        snprintf(buf, n, "%.1f ± %.1f %%", 100 * s.mean, 100 * s.sd);
    else
        snprintf(buf, n, "%.1f %%", 100 * s.mean);
}

static void num(char *buf, size_t n, stat2 s)
{
    if (s.n > 1)
        snprintf(buf, n, "%.3f ± %.3f", s.mean, s.sd);
    else
        snprintf(buf, n, "%.3f", s.mean);
}

/* The k of each seed, e.g. "10, 9, 10". */
static void ks(char *buf, size_t n, const run_result *runs, int nruns, int method, size_t off)
{
    size_t w = 0;
    buf[0] = 0;
    for (int i = 0; i < nruns; i++)
        if (runs[i].method == method && runs[i].kind == K_WRONG && w + 8 < n)
            w += (size_t)snprintf(buf + w, n - w, "%s%d", w ? ", " : "", *(const int *)((const char *)&runs[i] + off));
}

static int count_k(const run_result *runs, int nruns, int method, size_t off, int k)
{
    int c = 0;
    for (int i = 0; i < nruns; i++)
        if (runs[i].method == method && runs[i].kind == K_WRONG && *(const int *)((const char *)&runs[i] + off) == k)
            c++;
    return c;
}

/* One sentence comparing RCC with CC on a measure where higher is better. */
static void verdict(FILE *f, const char *what, stat2 cc, stat2 rcc, bool percent)
{
    double d = rcc.mean - cc.mean, spread = fmax(cc.sd, rcc.sd), scale = percent ? 100 : 1;
    const char *unit = percent ? " points" : "";
    if (cc.n < 2 || rcc.n < 2)
        fprintf(f, "- **%s**: RCC %s CC by %.2f%s (one seed each: no spread to judge it by).\n", what,
                d >= 0 ? "above" : "below", fabs(d) * scale, unit);
    else if (fabs(d) <= spread)
        fprintf(f, "- **%s**: no clear difference: RCC − CC = %+.2f%s, within the seeds' spread (sd up to %.2f%s). "
                   "RCC does not beat CC here.\n",
                what, d * scale, unit, spread * scale, unit);
    else if (d > 0)
        fprintf(f, "- **%s**: RCC beats CC by %.2f%s (more than the seeds' sd of %.2f%s).\n", what, d * scale, unit,
                spread * scale, unit);
    else
        fprintf(f, "- **%s**: RCC does **not** beat CC: it is %.2f%s lower (seeds' sd up to %.2f%s).\n", what,
                -d * scale, unit, spread * scale, unit);
}

static void config_line(FILE *f, const rcc_config *c)
{
    fprintf(f, "%s, %d×%d images, width %d, rep_dim %d, feature_dim %d, hidden %d, batch %d, %d epochs, Adam lr %g "
               "(warm-up %d, %s), weight decay %g, augmentations '%s', τ_I %g, τ_C %g, t %g",
            c->backbone, c->image_size, c->image_size, c->width, c->rep_dim, c->feature_dim, c->hidden, c->batch,
            c->epochs, (double)c->lr, c->warmup_epochs, c->cosine ? "cosine decay" : "constant",
            (double)c->weight_decay, c->augment, (double)c->tau_i, (double)c->tau_c, (double)c->t);
}

static int write_report_md(const plan *p, const run_result *runs, int nruns, const char *command,
                           const char *data_desc, double seconds, const char *started)
{
    char path[RCC_PATH_MAX];
    FILE *f = rcc_path_join(path, sizeof path, p->out, "report.md") == RCC_OK ? fopen(path, "w") : NULL;
    if (!f) {
        fprintf(stderr, "rcc reproduce: cannot write %s\n", path);
        return 1;
    }
    stat2 acc[2], nmi[2], ari[2], prp[2], prc[2], uni[2], occ[2], acc5[2];
    for (int m = 0; m < NMETHODS; m++) {
        acc[m] = agg(runs, nruns, m, K_RIGHT, AGGS(acc));
        nmi[m] = agg(runs, nruns, m, K_RIGHT, AGGS(nmi));
        ari[m] = agg(runs, nruns, m, K_RIGHT, AGGS(ari));
        prp[m] = agg(runs, nruns, m, K_RIGHT, AGG(probe_paper));
        prc[m] = agg(runs, nruns, m, K_RIGHT, AGG(probe_conv));
        uni[m] = agg(runs, nruns, m, K_RIGHT, AGGP(uniformity));
        occ[m] = agg(runs, nruns, m, K_RIGHT, AGGP(occupancy));
        acc5[m] = agg(runs, nruns, m, K_WRONG, AGGS(acc));
    }
    char hms[32], a[64], b[64];
    cli_fmt_duration(hms, sizeof hms, seconds, true);
    const rcc_sphere_stats *s0 = &runs[0].sph;
    fprintf(f, "# CC vs RCC: a reproduction of the paper's experiments\n\n");
    fprintf(f, "```\n%s\n```\n\n", command);
    fprintf(f, "- rcc %s, preset **%s**: ", rcc_version(), p->preset);
    config_line(f, &p->base);
    fprintf(f, ".\n- CC: λ = 1; RCC: λ = %g. Seeds 1..%d. Right K = %d, wrong K = %d.\n", (double)p->rcc_lambda,
            p->seeds, p->kright, p->kwrong);
    fprintf(f, "- Data: %s (%d images, %d classes). Labels are used only to score, never to train or choose.\n",
            data_desc, p->data->n, p->classes);
    fprintf(f, "- Started %s; this invocation took %s on %d thread(s).\n\n", started, hms, p->base.threads);

    fprintf(f, "## The paper's table (SPEC.md §6) beside ours\n\n");
    fprintf(f, "Ours: mean ± sd over %d seed(s) (sample sd). The paper's figures are on MNIST with its own set-up.\n\n",
            p->seeds);
    fprintf(f, "| | CC (λ = 1), paper | CC, ours | RCC (λ = %g), paper | RCC, ours |\n|---|---|---|---|---|\n",
            (double)p->rcc_lambda);
    pct(a, sizeof a, acc[M_CC]), pct(b, sizeof b, acc[M_RCC]);
    fprintf(f, "| clustering ACC, K = %d | %.0f %% | %s | %.0f %% | %s |\n", p->kright, 100 * PAPER_ACC_CC, a,
            100 * PAPER_ACC_RCC, b);
    num(a, sizeof a, nmi[M_CC]), num(b, sizeof b, nmi[M_RCC]);
    fprintf(f, "| NMI | – | %s | – | %s |\n", a, b);
    num(a, sizeof a, ari[M_CC]), num(b, sizeof b, ari[M_RCC]);
    fprintf(f, "| ARI | – | %s | – | %s |\n", a, b);
    pct(a, sizeof a, prp[M_CC]), pct(b, sizeof b, prp[M_RCC]);
    fprintf(f, "| linear probe, the paper's schedule (Adam 1e-4, 5 epochs) | %.0f %% (78 %% in the abstract) | %s | "
               "%.0f %% | %s |\n",
            100 * PAPER_PROBE_CC, a, 100 * PAPER_PROBE_RCC, b);
    pct(a, sizeof a, prc[M_CC]), pct(b, sizeof b, prc[M_RCC]);
    fprintf(f, "| linear probe, converged (Adam %g, %d epochs) | – | %s | – | %s |\n", (double)p->probe_lr,
            p->probe_epochs, a, b);
    ks(a, sizeof a, runs, nruns, M_CC, AGG(elbow)), ks(b, sizeof b, runs, nruns, M_RCC, AGG(elbow));
    fprintf(f, "| elbow (kneedle on the WCSS) when trained with K = %d, per seed | k ≈ %d | %s | k ≈ %d | %s |\n",
            p->kwrong, PAPER_ELBOW_CC, a, PAPER_ELBOW_RCC, b);
    ks(a, sizeof a, runs, nruns, M_CC, AGG(chosen)), ks(b, sizeof b, runs, nruns, M_RCC, AGG(chosen));
    fprintf(f, "| chosen k (median of elbow, silhouette, Calinski–Harabasz), K = %d | – | %s | – | %s |\n", p->kwrong,
            a, b);
    pct(a, sizeof a, acc5[M_CC]), pct(b, sizeof b, acc5[M_RCC]);
    fprintf(f, "| ACC of the K = %d model's own clusters (at most %d/%d classes matched) | – | %s | – | %s |\n",
            p->kwrong, p->kwrong, p->classes, a, b);
    num(a, sizeof a, uni[M_CC]), num(b, sizeof b, uni[M_RCC]);
    fprintf(f, "| uniformity of h, K = %d (lower = more spread; uniform points: %.3f) | – | %s | – | %s |\n", p->kright,
            s0->uniformity_uniform, a, b);
    pct(a, sizeof a, occ[M_CC]), pct(b, sizeof b, occ[M_RCC]);
    fprintf(f, "| equal-area cells holding a point, K = %d (%d cells, %zu-point sample; uniform: %.1f %%) | – | %s | – "
               "| %s |\n\n",
            p->kright, s0->cells, s0->n_used, 100 * s0->occupancy_uniform, a, b);

    fprintf(f, "## What we find\n\n");
    verdict(f, "Clustering ACC (paper: RCC +3 points)", acc[M_CC], acc[M_RCC], true);
    verdict(f, "NMI", nmi[M_CC], nmi[M_RCC], false);
    verdict(f, "Linear probe, paper's schedule (paper: RCC +5 points)", prp[M_CC], prp[M_RCC], true);
    verdict(f, "Linear probe, converged", prc[M_CC], prc[M_RCC], true);
    verdict(f, "Cells of the sphere used", occ[M_CC], occ[M_RCC], true);
    int e10[2], c10[2], nw[2] = {0, 0};
    double de[2] = {0, 0}, dc[2] = {0, 0}; /* mean |k − classes| of the elbow and of the chosen k */
    for (int m = 0; m < NMETHODS; m++) {
        e10[m] = count_k(runs, nruns, m, AGG(elbow), p->classes);
        c10[m] = count_k(runs, nruns, m, AGG(chosen), p->classes);
        for (int i = 0; i < nruns; i++)
            if (runs[i].method == m && runs[i].kind == K_WRONG) {
                nw[m]++;
                de[m] += abs(runs[i].elbow - p->classes);
                dc[m] += abs(runs[i].chosen - p->classes);
            }
        de[m] /= nw[m] ? nw[m] : 1;
        dc[m] /= nw[m] ? nw[m] : 1;
    }
    if (nw[M_CC] && nw[M_RCC]) {
        fprintf(f, "- **K = %d → does h still show %d groups?** The elbow is on average %.1f away from %d for RCC "
                   "and %.1f for CC (paper: RCC 10, CC 6); it is exactly %d in %d of %d RCC runs and %d of %d CC "
                   "runs. The chosen k (elbow, silhouette, Calinski–Harabasz) is on average %.1f away for RCC and "
                   "%.1f for CC, exactly %d in %d of %d RCC runs and %d of %d CC runs. ",
                p->kwrong, p->classes, de[M_RCC], p->classes, de[M_CC], p->classes, e10[M_RCC], nw[M_RCC],
                e10[M_CC], nw[M_CC], dc[M_RCC], dc[M_CC], p->classes, c10[M_RCC], nw[M_RCC], c10[M_CC], nw[M_CC]);
        if (de[M_RCC] < de[M_CC] && dc[M_RCC] <= dc[M_CC])
            fprintf(f, "RCC's features keep the number of classes better after training with the wrong K, as the "
                       "paper says%s.\n",
                    e10[M_RCC] == 0 ? ", though the elbow alone never lands exactly on it" : "");
        else if (de[M_RCC] == de[M_CC] && dc[M_RCC] == dc[M_CC])
            fprintf(f, "RCC is **not** more robust to the wrong K than CC here.\n");
        else
            fprintf(f, "RCC is **not** clearly more robust to the wrong K than CC here: the measures disagree or "
                       "favour CC.\n");
    }
    fprintf(f, "- The elbow is found by kneedle (docs/evaluation.md), not by eye as in the paper; the WCSS, "
               "silhouette and Calinski–Harabasz curves of every run are below, so the reader can judge.\n\n");

    fprintf(f, "## Pictures (seed 1)\n\n| CC (λ = 1) | RCC (λ = %g) |\n|---|---|\n", (double)p->rcc_lambda);
    const char *pics[] = {"sphere.png", "cells.png", "curves.png"};
    for (int kind = 0; kind < NKS; kind++)
        for (size_t q = 0; q < sizeof pics / sizeof *pics; q++) {
            if (p->base.rep_dim != 3 && q < 2)
                continue;
            fprintf(f, "|");
            for (int m = 0; m < NMETHODS; m++)
                fprintf(f, " ![%s K=%d %s](runs/%s-k%d-seed1/%s) |", method_title[m], kind ? p->kwrong : p->kright,
                        pics[q], method_name[m], kind ? p->kwrong : p->kright, pics[q]);
            fprintf(f, "\n");
        }
    for (int kind = 0; kind < NKS; kind++) {
        fprintf(f, "|");
        for (int m = 0; m < NMETHODS; m++)
            fprintf(f, " ![%s K=%d kselect](runs/%s-k%d-seed1/kselect.png) |", method_title[m],
                    kind ? p->kwrong : p->kright, method_name[m], kind ? p->kwrong : p->kright);
        fprintf(f, "\n");
    }
    fprintf(f, "\nEvery run's pictures are in `runs/<method>-k<K>-seed<S>/`.\n\n");

    fprintf(f, "## Every run\n\n| run | λ | K | seed | ACC | NMI | ARI | clusters used | largest | probe (paper) | "
               "probe (converged) | uniformity | cells | elbow | best silhouette | best CH | chosen k | training | conv |\n");
    fprintf(f, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < nruns; i++) {
        const run_result *r = &runs[i];
        cli_fmt_duration(hms, sizeof hms, r->total_seconds, true);
        fprintf(f, "| %s-k%d-seed%d | %g | %d | %d | %.4f | %.4f | %.4f | %d/%d | %.1f %% | %.4f | %.4f | %.3f | %.1f %% | "
                   "%d | %d | %d | %d | %s | %s |\n",
                method_name[r->method], r->k, r->seed, (double)r->lambda, r->k, r->seed, r->sc.acc, r->sc.nmi,
                r->sc.ari, r->nonempty, r->k, 100 * r->largest, r->probe_paper, r->probe_conv, r->sph.uniformity,
                100 * r->sph.occupancy, r->elbow, r->best_sil, r->best_ch, r->chosen, hms, r->conv);
    }
    fprintf(f, "\nMajority-class baseline of the probe's test split: %.4f. Probe split: 80/20 stratified, seeded by "
               "the run's seed. Sphere measures on a seeded sample of %zu points.\n",
            runs[0].probe_majority, runs[0].sph.n_used);
    int bad = fclose(f) != 0;
    if (bad)
        fprintf(stderr, "rcc reproduce: write error on %s\n", path);
    return bad;
}

static cJSON *stat_json(stat2 s)
{
    cJSON *o = cJSON_CreateObject();
    cli_json_num(o, "mean", s.mean);
    cli_json_num(o, "sd", s.sd);
    cJSON_AddNumberToObject(o, "n", s.n);
    return o;
}

static int write_report_json(const plan *p, const run_result *runs, int nruns, const char *command,
                             const cli_strs *data, double seconds, const char *started)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", "rcc-reproduce-report");
    cJSON_AddNumberToObject(o, "format_version", 1);
    cJSON_AddStringToObject(o, "version", rcc_version());
    cJSON_AddStringToObject(o, "command", command);
    cJSON_AddStringToObject(o, "started", started);
    cJSON_AddNumberToObject(o, "seconds", seconds);
    cJSON_AddStringToObject(o, "preset", p->preset);
    char *cj = rcc_config_to_json(&p->base);
    cJSON_AddItemToObject(o, "config", cj ? cJSON_Parse(cj) : cJSON_CreateNull());
    free(cj);
    cJSON *dl = cJSON_AddArrayToObject(o, "data");
    for (int i = 0; i < data->n; i++)
        cJSON_AddItemToArray(dl, cJSON_CreateString(data->v[i]));
    cJSON_AddNumberToObject(o, "images", p->data->n);
    cJSON_AddNumberToObject(o, "classes", p->classes);
    cJSON_AddNumberToObject(o, "seeds", p->seeds);
    cJSON_AddNumberToObject(o, "lambda_cc", 1.0);
    cJSON_AddNumberToObject(o, "lambda_rcc", p->rcc_lambda);
    cJSON_AddNumberToObject(o, "k", p->kright);
    cJSON_AddNumberToObject(o, "k_wrong", p->kwrong);
    cJSON *paper = cJSON_AddObjectToObject(o, "paper");
    cJSON_AddNumberToObject(paper, "acc_cc", PAPER_ACC_CC);
    cJSON_AddNumberToObject(paper, "acc_rcc", PAPER_ACC_RCC);
    cJSON_AddNumberToObject(paper, "probe_cc", PAPER_PROBE_CC);
    cJSON_AddNumberToObject(paper, "probe_rcc", PAPER_PROBE_RCC);
    cJSON_AddNumberToObject(paper, "elbow_k5_cc", PAPER_ELBOW_CC);
    cJSON_AddNumberToObject(paper, "elbow_k5_rcc", PAPER_ELBOW_RCC);
    cJSON *sum = cJSON_AddObjectToObject(o, "summary");
    for (int m = 0; m < NMETHODS; m++)
        for (int kind = 0; kind < NKS; kind++) {
            char key[32];
            snprintf(key, sizeof key, "%s_k%d", method_name[m], kind ? p->kwrong : p->kright);
            cJSON *g = cJSON_AddObjectToObject(sum, key);
            cJSON_AddItemToObject(g, "acc", stat_json(agg(runs, nruns, m, kind, AGGS(acc))));
            cJSON_AddItemToObject(g, "nmi", stat_json(agg(runs, nruns, m, kind, AGGS(nmi))));
            cJSON_AddItemToObject(g, "ari", stat_json(agg(runs, nruns, m, kind, AGGS(ari))));
            cJSON_AddItemToObject(g, "probe_paper", stat_json(agg(runs, nruns, m, kind, AGG(probe_paper))));
            cJSON_AddItemToObject(g, "probe_converged", stat_json(agg(runs, nruns, m, kind, AGG(probe_conv))));
            cJSON_AddItemToObject(g, "uniformity", stat_json(agg(runs, nruns, m, kind, AGGP(uniformity))));
            cJSON_AddItemToObject(g, "occupancy", stat_json(agg(runs, nruns, m, kind, AGGP(occupancy))));
        }
    cJSON *rl = cJSON_AddArrayToObject(o, "runs");
    for (int i = 0; i < nruns; i++) {
        const run_result *r = &runs[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "method", method_name[r->method]);
        cJSON_AddNumberToObject(x, "lambda", r->lambda);
        cJSON_AddNumberToObject(x, "k", r->k);
        cJSON_AddNumberToObject(x, "seed", r->seed);
        cJSON_AddStringToObject(x, "dir", r->dir);
        cli_json_num(x, "acc", r->sc.acc);
        cli_json_num(x, "nmi", r->sc.nmi);
        cli_json_num(x, "ari", r->sc.ari);
        cJSON_AddNumberToObject(x, "clusters_used", r->nonempty);
        cli_json_num(x, "largest_cluster", r->largest);
        cli_json_num(x, "probe_paper", r->probe_paper);
        cli_json_num(x, "probe_converged", r->probe_conv);
        cli_json_num(x, "probe_majority", r->probe_majority);
        cli_json_num(x, "uniformity", r->sph.uniformity);
        cli_json_num(x, "uniformity_uniform", r->sph.uniformity_uniform);
        cli_json_num(x, "occupancy", r->sph.occupancy);
        cli_json_num(x, "occupancy_uniform", r->sph.occupancy_uniform);
        cJSON_AddNumberToObject(x, "cells", r->sph.cells);
        cJSON_AddNumberToObject(x, "sphere_sample", (double)r->sph.n_used);
        cJSON_AddNumberToObject(x, "elbow", r->elbow);
        cJSON_AddNumberToObject(x, "best_silhouette", r->best_sil);
        cJSON_AddNumberToObject(x, "best_calinski_harabasz", r->best_ch);
        cJSON_AddNumberToObject(x, "chosen_k", r->chosen);
        cli_json_num(x, "silhouette_at_chosen", r->sil_at_chosen);
        cli_json_num(x, "train_seconds", r->total_seconds);
        cJSON_AddStringToObject(x, "conv", r->conv);
        cJSON_AddItemToArray(rl, x);
    }
    char path[RCC_PATH_MAX];
    bool named = rcc_path_join(path, sizeof path, p->out, "report.json") == RCC_OK;
    char *txt = cJSON_Print(o);
    cJSON_Delete(o);
    FILE *f = txt && named ? fopen(path, "w") : NULL;
    int bad = !f || fputs(txt, f) < 0 || fputc('\n', f) < 0;
    if (f && fclose(f) != 0)
        bad = 1;
    cJSON_free(txt);
    if (bad)
        fprintf(stderr, "rcc reproduce: cannot write %s\n", path);
    return bad;
}

int cmd_reproduce(int argc, char **argv)
{
    plan p = {0};
    p.preset = cli_find_preset(argc, argv);
    if (rcc_config_preset(&p.base, p.preset) != RCC_OK) {
        fprintf(stderr, "rcc reproduce: %s\n", rcc_last_error());
        return 2;
    }
    p.seeds = 3, p.kright = 10, p.kwrong = 5, p.kmax = 30, p.rcc_lambda = 0.95f;
    p.probe_lr = 1e-2f, p.probe_epochs = 50, p.sphere_sample = 10000;
    rcc_config *c = &p.base;
    cli_strs data = {0}, labels = {0};
    const char *conv = NULL;
    const cli_opt opts[] = {
        {"data", 'd', OPT_STRS, &data, "images: IDX file, .npy, or a folder of PNG/JPEG (repeat to concatenate)"},
        {"labels", 'l', OPT_STRS, &labels, "IDX label file for each --data (required: the runs are scored)"},
        {"out", 'o', OPT_STR, &p.out, "output folder: report.md, report.json, runs/"},
        {"preset", 'p', OPT_STR, &p.preset, "training preset: cpu or paper"},
        {"seeds", 'n', OPT_INT, &p.seeds, "seeds per configuration (1..N)"},
        {"epochs", 'e', OPT_INT, &c->epochs, "epochs of every run"},
        {"lambda", 0, OPT_FLOAT, &p.rcc_lambda, "RCC's lambda (CC is lambda = 1)"},
        {"clusters", 'K', OPT_INT, &p.kright, "the right number of clusters"},
        {"wrong-k", 0, OPT_INT, &p.kwrong, "the wrong number of clusters of experiment 2 (0: skip it)"},
        {"kmax", 0, OPT_INT, &p.kmax, "largest k of the elbow sweep"},
        {"probe-lr", 0, OPT_FLOAT, &p.probe_lr, "learning rate of the converged probe"},
        {"probe-epochs", 0, OPT_INT, &p.probe_epochs, "epochs of the converged probe"},
        {"sphere-sample", 0, OPT_INT, &p.sphere_sample, "points for the uniformity and cell measures"},
        {"threads", 't', OPT_INT, &c->threads, "compute threads"},
        {"conv", 0, OPT_STR, &conv, "convolution kernels: direct (default) or winograd (faster)"},
        {"size", 's', OPT_INT, &c->image_size, "image side (overrides the preset)"},
        {"width", 0, OPT_INT, &c->width, "backbone width (overrides the preset)"},
        {"batch", 'b', OPT_INT, &c->batch, "images per view per step (overrides the preset)"},
        {"hidden", 0, OPT_INT, &c->hidden, "heads' hidden width (overrides the preset)"},
        {"feature-dim", 0, OPT_INT, &c->feature_dim, "instance head output (overrides the preset)"},
        {"eval-every", 0, OPT_INT, &c->eval_every, "epochs between evaluations in the logs"},
        {0},
    };
    int r = cli_parse("reproduce",
                      "Reproduce the paper's experiments: CC (lambda = 1) and RCC trained with the right K and a\n"
                      "wrong K for several seeds; ACC/NMI/ARI, linear probes, use of the sphere, the elbow on h;\n"
                      "OUT/report.md and OUT/report.json with the paper's numbers beside ours. Giving the same\n"
                      "command again resumes an interrupted reproduction (finished runs are reused).",
                      opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!data.n || !p.out) {
        fprintf(stderr, "rcc reproduce: --data and --out are required (see 'rcc reproduce --help')\n");
        return 2;
    }
    if (labels.n != data.n) {
        fprintf(stderr, "rcc reproduce: give one --labels per --data: the runs are scored against them\n");
        return 2;
    }
    if (p.seeds < 1 || p.seeds > 64 || p.kright < 1 || p.kwrong < 0 || p.kmax < 2 || p.probe_epochs < 1 ||
        !(p.probe_lr > 0) || p.sphere_sample < 2 || p.sphere_sample > 50000 || !(p.rcc_lambda >= 0 && p.rcc_lambda <= 1)) {
        fprintf(stderr, "rcc reproduce: need --seeds 1..64, --clusters >= 1, --wrong-k >= 0, --kmax >= 2, "
                        "--probe-epochs >= 1, --probe-lr > 0, --sphere-sample 2..50000, --lambda in [0, 1]\n");
        return 2;
    }
    c->lambda = p.rcc_lambda, c->clusters = p.kright;
    if (conv)
        snprintf(c->conv, sizeof c->conv, "%s", conv);
    if (rcc_config_check(c) != RCC_OK) {
        fprintf(stderr, "rcc reproduce: %s\n", rcc_last_error());
        return 2;
    }
    if (strlen(p.out) > RCC_DIR_MAX) {
        fprintf(stderr, "rcc reproduce: the --out path is too long\n");
        return 2;
    }
    char command[8192];
    size_t w = (size_t)snprintf(command, sizeof command, "rcc");
    for (int i = 0; i < argc && w < sizeof command; i++)
        w += (size_t)snprintf(command + w, sizeof command - w, " %s", argv[i]);
    if (mkdir(p.out, 0755) != 0 && access(p.out, W_OK) != 0) {
        fprintf(stderr, "rcc reproduce: cannot create or write %s\n", p.out);
        return 1;
    }
    char runs_dir[RCC_PATH_MAX];
    if (rcc_path_join(runs_dir, sizeof runs_dir, p.out, "runs") != RCC_OK) {
        fprintf(stderr, "rcc reproduce: %s\n", rcc_last_error());
        return 2;
    }
    mkdir(runs_dir, 0755);

    rcc_dataset d;
    if (rcc_dataset_load(&d, data.v, data.n, labels.v) != RCC_OK) {
        fprintf(stderr, "rcc reproduce: %s\n", rcc_last_error());
        return 1;
    }
    p.data = &d;
    p.classes = d.num_classes;
    if (p.classes < 2) {
        fprintf(stderr, "rcc reproduce: the labels hold fewer than 2 classes\n");
        rcc_dataset_free(&d);
        return 1;
    }
    int kinds = p.kwrong > 0 ? NKS : 1, nruns = NMETHODS * kinds * p.seeds;
    run_result *runs = calloc((size_t)nruns, sizeof *runs);
    if (!runs) {
        rcc_dataset_free(&d);
        return 1;
    }
    int q = 0;
    rcc_status named = RCC_OK;
    for (int kind = 0; kind < kinds; kind++)
        for (int m = 0; m < NMETHODS; m++)
            for (int s = 1; s <= p.seeds; s++) {
                run_result *x = &runs[q++];
                x->method = m, x->kind = kind, x->seed = s;
                x->k = kind == K_RIGHT ? p.kright : p.kwrong;
                x->lambda = m == M_CC ? 1.0f : p.rcc_lambda;
                char name[64];
                snprintf(name, sizeof name, "%s-k%d-seed%d", method_name[m], x->k, s);
                if (named == RCC_OK)
                    named = rcc_path_join(x->dir, sizeof x->dir, runs_dir, name);
            }
    if (named != RCC_OK) {
        fprintf(stderr, "rcc reproduce: %s\n", rcc_last_error());
        free(runs);
        rcc_dataset_free(&d);
        return 2;
    }
    time_t now = time(NULL);
    char started[64];
    strftime(started, sizeof started, "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
    fprintf(stderr, "rcc reproduce: %d runs (CC and RCC x K = %d%s x %d seeds) on %d images, %d classes; preset %s, "
                    "%d epochs each\n",
            nruns, p.kright, kinds > 1 ? " and the wrong K" : "", p.seeds, d.n, p.classes, p.preset, c->epochs);
    cli_catch_stop(true);
    double t0 = rcc_now();
    int status = 0;
    for (int i = 0; i < nruns && status == 0; i++) {
        run_result *x = &runs[i];
        fprintf(stderr, "[%d/%d] %s (lambda %g), K = %d, seed %d -> %s\n", i + 1, nruns, method_title[x->method],
                (double)x->lambda, x->k, x->seed, x->dir);
        rcc_status st = train_one(&p, x);
        if (st == RCC_ERR_INTERRUPTED) {
            fprintf(stderr, "rcc reproduce: %s\ngive the same command again to continue\n", rcc_last_error());
            status = 130;
            break;
        }
        if (st == RCC_OK)
            st = score_one(&p, x);
        if (st != RCC_OK) {
            fprintf(stderr, "rcc reproduce: %s: %s: %s\n", x->dir, rcc_strerror(st), rcc_last_error());
            status = 1;
            break;
        }
        fprintf(stderr, "  ACC %.4f NMI %.4f ARI %.4f | probe %.4f (paper's) %.4f (converged) | uniformity %.3f, cells "
                        "%.1f%% | elbow %d, chosen k %d\n",
                x->sc.acc, x->sc.nmi, x->sc.ari, x->probe_paper, x->probe_conv, x->sph.uniformity,
                100 * x->sph.occupancy, x->elbow, x->chosen);
    }
    cli_catch_stop(false);
    if (status == 0) {
        double secs = rcc_now() - t0;
        char desc[4400];
        size_t dw = 0;
        for (int i = 0; i < data.n && dw < sizeof desc; i++)
            dw += (size_t)snprintf(desc + dw, sizeof desc - dw, "%s`%s`", i ? " + " : "", data.v[i]);
        status = write_report_md(&p, runs, nruns, command, desc, secs, started) |
                 write_report_json(&p, runs, nruns, command, &data, secs, started);
        if (status == 0)
            printf("rcc reproduce: %s/report.md and %s/report.json\n", p.out, p.out);
    }
    free(runs);
    rcc_dataset_free(&d);
    return status;
}
