/* reproduce.h — what `rcc reproduce` (cmd_reproduce.c: training and scoring the runs) shares with
 * its report writers (reproduce_report.c: report.md and report.json). */
#ifndef RCC_CLI_REPRODUCE_H
#define RCC_CLI_REPRODUCE_H

#include "cli.h"
#include "rcc_eval.h"
#include "rcc_run.h"

/* The paper's MNIST figures (docs/method.md §6). */
#define PAPER_ACC_CC 0.89
#define PAPER_ACC_RCC 0.92
#define PAPER_PROBE_CC 0.82
#define PAPER_PROBE_RCC 0.87
#define PAPER_ELBOW_CC 6
#define PAPER_ELBOW_RCC 10

enum { M_CC, M_RCC, NMETHODS };
enum { K_RIGHT, K_WRONG, NKS };
extern const char *const method_name[NMETHODS];
extern const char *const method_title[NMETHODS];

typedef struct {
    int method, kind, k, seed;
    float lambda;
    char dir[RCC_PATH_MAX];
    double total_seconds; /* the run's own training time, from its metrics (across resumes) */
    char conv[16];        /* the convolution kernels its checkpoint was (last) trained with */
    rcc_scores sc;
    rcc_scores sc_vote;   /* of `rcc predict`'s default clusters (refined by the neighbour vote; sc when not applied) */
    bool vote_applied;
    int vote_moved;
    int nonempty;
    double largest;
    double probe_paper, probe_conv, probe_majority;
    rcc_sphere_stats sph;
    int elbow, best_sil, best_ch, chosen;
    double sil_at_chosen;
    double size_tv, size_kl; /* its cluster sizes against the classes' (rcc_size_profile_compare) */
} run_result;

typedef struct {
    const char *out;
    int seeds, kright, kwrong, kmax, probe_epochs, sphere_sample;
    float probe_lr, rcc_lambda;
    rcc_config base;
    const char *preset;
    const rcc_dataset *data;
    int classes;
    double long_tail;       /* > 0: the runs see a long-tailed subset of this ratio (rcc subset's) */
    int long_tail_seed;     /* ... whose class order this seed draws */
    int64_t *class_sizes;   /* classes: the images of each class the runs see */
} plan;

/* OUT/report.md and OUT/report.json; 0, or 1 with the problem on stderr. */
int write_report_md(const plan *p, const run_result *runs, int nruns, const char *command, const char *data_desc,
                    double seconds, const char *started);
int write_report_json(const plan *p, const run_result *runs, int nruns, const char *command, const cli_strs *data,
                      double seconds, const char *started);

#endif
