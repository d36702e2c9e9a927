/* reproduce_report.c — the write-up of `rcc reproduce`: OUT/report.md (the paper's table with ours
 * beside it, verdicts, per-run rows, pictures) and OUT/report.json (every number of every run). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "reproduce.h"

const char *const method_name[NMETHODS] = {"cc", "rcc"};
const char *const method_title[NMETHODS] = {"CC", "RCC"};

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
            rcc_backbone_name(c->backbone), c->image_size, c->image_size, c->width, c->rep_dim, c->feature_dim, c->hidden, c->batch,
            c->epochs, (double)c->lr, c->warmup_epochs, c->cosine ? "cosine decay" : "constant",
            (double)c->weight_decay, rcc_augment_preset_name(c->augment), (double)c->tau_i, (double)c->tau_c, (double)c->t);
}

int write_report_md(const plan *p, const run_result *runs, int nruns, const char *command,
                           const char *data_desc, double seconds, const char *started)
{
    char path[RCC_PATH_MAX];
    FILE *f = rcc_path_join(path, sizeof path, p->out, "report.md") == RCC_OK ? fopen(path, "w") : NULL;
    if (!f) {
        fprintf(stderr, "rcc reproduce: cannot write %s\n", path);
        return 1;
    }
    stat2 acc[2], nmi[2], ari[2], prp[2], prc[2], uni[2], occ[2], acc5[2], tv[2], accv[2];
    for (int m = 0; m < NMETHODS; m++) {
        acc[m] = agg(runs, nruns, m, K_RIGHT, AGGS(acc));
        accv[m] = agg(runs, nruns, m, K_RIGHT, AGG(sc_vote.acc));
        nmi[m] = agg(runs, nruns, m, K_RIGHT, AGGS(nmi));
        ari[m] = agg(runs, nruns, m, K_RIGHT, AGGS(ari));
        prp[m] = agg(runs, nruns, m, K_RIGHT, AGG(probe_paper));
        prc[m] = agg(runs, nruns, m, K_RIGHT, AGG(probe_conv));
        uni[m] = agg(runs, nruns, m, K_RIGHT, AGGP(uniformity));
        occ[m] = agg(runs, nruns, m, K_RIGHT, AGGP(occupancy));
        acc5[m] = agg(runs, nruns, m, K_WRONG, AGGS(acc));
        tv[m] = agg(runs, nruns, m, K_RIGHT, AGG(size_tv));
    }
    char hms[32], a[64], b[64];
    cli_fmt_duration(hms, sizeof hms, seconds, true);
    const rcc_sphere_stats *s0 = &runs[0].sph;
    fprintf(f, "# CC vs RCC: a reproduction of the paper's experiments\n\n");
    fprintf(f, "```\n%s\n```\n\n", command);
    fprintf(f, "- rcc %s, preset **%s**: ", rcc_version(), p->preset);
    config_line(f, &p->base);
    if (p->kwrong)
        fprintf(f, ".\n- CC: λ = 1; RCC: λ = %g. Seeds 1..%d. Right K = %d, wrong K = %d.\n", (double)p->rcc_lambda,
                p->seeds, p->kright, p->kwrong);
    else
        fprintf(f, ".\n- CC: λ = 1; RCC: λ = %g. Seeds 1..%d. K = %d; the wrong-K experiment skipped (--wrong-k 0).\n",
                (double)p->rcc_lambda, p->seeds, p->kright);
    if (p->long_tail > 0) {
        fprintf(f, "- Data: a long-tailed subset of %s (ratio %g, class order and images drawn from seed %d: the "
                   "same as `rcc subset --long-tail %g --seed %d`; %d images, %d classes of",
                data_desc, p->long_tail, p->long_tail_seed, p->long_tail, p->long_tail_seed, p->data->n, p->classes);
        for (int c = 0; c < p->classes; c++)
            fprintf(f, " %lld", (long long)p->class_sizes[c]);
        fprintf(f, " images). Labels are used only to score and to draw the subset, never to train or choose.\n");
    } else {
        fprintf(f, "- Data: %s (%d images, %d classes). Labels are used only to score, never to train or choose.\n",
                data_desc, p->data->n, p->classes);
    }
    fprintf(f, "- Started %s; this invocation took %s on %d thread(s).\n\n", started, hms, p->base.threads);

    fprintf(f, "## The paper's table (docs/method.md §6) beside ours\n\n");
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
    pct(a, sizeof a, accv[M_CC]), pct(b, sizeof b, accv[M_RCC]);
    fprintf(f, "| ACC of `rcc predict`'s default clusters (the head's, refined by a vote of 30 stage-3 neighbours; "
               "docs/imbalance.md §6) | – | %s | – | %s |\n",
            a, b);
    num(a, sizeof a, tv[M_CC]), num(b, sizeof b, tv[M_RCC]);
    fprintf(f, "| cluster sizes against the classes' (TV of the sorted shares; 0: the same profile) | – | %s | – | %s "
               "|\n",
            a, b);
    pct(a, sizeof a, prp[M_CC]), pct(b, sizeof b, prp[M_RCC]);
    fprintf(f, "| linear probe, the paper's schedule (Adam 1e-4, 5 epochs) | %.0f %% (78 %% in the abstract) | %s | "
               "%.0f %% | %s |\n",
            100 * PAPER_PROBE_CC, a, 100 * PAPER_PROBE_RCC, b);
    pct(a, sizeof a, prc[M_CC]), pct(b, sizeof b, prc[M_RCC]);
    fprintf(f, "| linear probe, converged (Adam %g, %d epochs) | – | %s | – | %s |\n", (double)p->probe_lr,
            p->probe_epochs, a, b);
    if (p->kwrong) {
        ks(a, sizeof a, runs, nruns, M_CC, AGG(elbow)), ks(b, sizeof b, runs, nruns, M_RCC, AGG(elbow));
        fprintf(f, "| elbow (kneedle on the WCSS) when trained with K = %d, per seed | k ≈ %d | %s | k ≈ %d | %s |\n",
                p->kwrong, PAPER_ELBOW_CC, a, PAPER_ELBOW_RCC, b);
        ks(a, sizeof a, runs, nruns, M_CC, AGG(chosen)), ks(b, sizeof b, runs, nruns, M_RCC, AGG(chosen));
        fprintf(f, "| chosen k (median of elbow, silhouette, Calinski–Harabasz), K = %d | – | %s | – | %s |\n",
                p->kwrong, a, b);
        pct(a, sizeof a, acc5[M_CC]), pct(b, sizeof b, acc5[M_RCC]);
        fprintf(f, "| ACC of the K = %d model's own clusters (at most %d/%d classes matched) | – | %s | – | %s |\n",
                p->kwrong, p->kwrong, p->classes, a, b);
    }
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
    int kinds = p->kwrong ? NKS : 1; /* no pictures of runs that were not made */
    for (int kind = 0; kind < kinds; kind++)
        for (size_t q = 0; q < sizeof pics / sizeof *pics; q++) {
            if (p->base.rep_dim != 3 && q < 2)
                continue;
            fprintf(f, "|");
            for (int m = 0; m < NMETHODS; m++)
                fprintf(f, " ![%s K=%d %s](runs/%s-k%d-seed1/%s) |", method_title[m], kind ? p->kwrong : p->kright,
                        pics[q], method_name[m], kind ? p->kwrong : p->kright, pics[q]);
            fprintf(f, "\n");
        }
    for (int kind = 0; kind < kinds; kind++) {
        fprintf(f, "|");
        for (int m = 0; m < NMETHODS; m++)
            fprintf(f, " ![%s K=%d kselect](runs/%s-k%d-seed1/kselect.png) |", method_title[m],
                    kind ? p->kwrong : p->kright, method_name[m], kind ? p->kwrong : p->kright);
        fprintf(f, "\n");
    }
    fprintf(f, "\nEvery run's pictures are in `runs/<method>-k<K>-seed<S>/`.\n\n");

    fprintf(f, "## Every run\n\n| run | λ | K | seed | ACC | NMI | ARI | ACC, rcc predict (images the vote moved) | "
               "clusters used | largest | probe (paper) | probe (converged) | uniformity | cells | elbow | "
               "best silhouette | best CH | chosen k | training | conv |\n");
    fprintf(f, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < nruns; i++) {
        const run_result *r = &runs[i];
        cli_fmt_duration(hms, sizeof hms, r->total_seconds, true);
        fprintf(f, "| %s-k%d-seed%d | %g | %d | %d | %.4f | %.4f | %.4f | %.4f (%d%s) | %d/%d | %.1f %% | %.4f | %.4f | "
                   "%.3f | %.1f %% | %d | %d | %d | %d | %s | %s |\n",
                method_name[r->method], r->k, r->seed, (double)r->lambda, r->k, r->seed, r->sc.acc, r->sc.nmi,
                r->sc.ari, r->sc_vote.acc, r->vote_moved,
                r->vote_applied ? "" : r->vote_moved < 0 ? ": the vote not run" : ", too many: not applied",
                r->nonempty, r->k, 100 * r->largest, r->probe_paper, r->probe_conv, r->sph.uniformity,
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

int write_report_json(const plan *p, const run_result *runs, int nruns, const char *command,
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
    if (p->long_tail > 0) {
        cJSON *lt = cJSON_AddObjectToObject(o, "long_tail");
        cJSON_AddNumberToObject(lt, "ratio", p->long_tail);
        cJSON_AddNumberToObject(lt, "seed", p->long_tail_seed);
        cJSON *cs = cJSON_AddArrayToObject(lt, "class_sizes");
        for (int c = 0; c < p->classes; c++)
            cJSON_AddItemToArray(cs, cJSON_CreateNumber((double)p->class_sizes[c]));
    }
    cJSON *paper = cJSON_AddObjectToObject(o, "paper");
    cJSON_AddNumberToObject(paper, "acc_cc", PAPER_ACC_CC);
    cJSON_AddNumberToObject(paper, "acc_rcc", PAPER_ACC_RCC);
    cJSON_AddNumberToObject(paper, "probe_cc", PAPER_PROBE_CC);
    cJSON_AddNumberToObject(paper, "probe_rcc", PAPER_PROBE_RCC);
    cJSON_AddNumberToObject(paper, "elbow_k5_cc", PAPER_ELBOW_CC);
    cJSON_AddNumberToObject(paper, "elbow_k5_rcc", PAPER_ELBOW_RCC);
    cJSON *sum = cJSON_AddObjectToObject(o, "summary");
    for (int m = 0; m < NMETHODS; m++)
        for (int kind = 0; kind < (p->kwrong ? NKS : 1); kind++) {
            char key[32];
            snprintf(key, sizeof key, "%s_k%d", method_name[m], kind ? p->kwrong : p->kright);
            cJSON *g = cJSON_AddObjectToObject(sum, key);
            cJSON_AddItemToObject(g, "acc", stat_json(agg(runs, nruns, m, kind, AGGS(acc))));
            cJSON_AddItemToObject(g, "acc_predict", stat_json(agg(runs, nruns, m, kind, AGG(sc_vote.acc))));
            cJSON_AddItemToObject(g, "nmi", stat_json(agg(runs, nruns, m, kind, AGGS(nmi))));
            cJSON_AddItemToObject(g, "ari", stat_json(agg(runs, nruns, m, kind, AGGS(ari))));
            cJSON_AddItemToObject(g, "probe_paper", stat_json(agg(runs, nruns, m, kind, AGG(probe_paper))));
            cJSON_AddItemToObject(g, "probe_converged", stat_json(agg(runs, nruns, m, kind, AGG(probe_conv))));
            cJSON_AddItemToObject(g, "uniformity", stat_json(agg(runs, nruns, m, kind, AGGP(uniformity))));
            cJSON_AddItemToObject(g, "occupancy", stat_json(agg(runs, nruns, m, kind, AGGP(occupancy))));
            cJSON_AddItemToObject(g, "size_tv", stat_json(agg(runs, nruns, m, kind, AGG(size_tv))));
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
        cli_json_num(x, "acc_predict", r->sc_vote.acc);
        cJSON_AddNumberToObject(x, "vote_moved", r->vote_moved);
        cJSON_AddBoolToObject(x, "vote_applied", r->vote_applied);
        cli_json_num(x, "nmi", r->sc.nmi);
        cli_json_num(x, "ari", r->sc.ari);
        cJSON_AddNumberToObject(x, "clusters_used", r->nonempty);
        cli_json_num(x, "largest_cluster", r->largest);
        cli_json_num(x, "size_tv", r->size_tv);
        cli_json_num(x, "size_kl", r->size_kl);
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

