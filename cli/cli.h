/* cli.h — shared pieces of the rcc command-line tool: one option table per subcommand, from
 * which both parsing and --help are made. */
#ifndef RCC_CLI_H
#define RCC_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include "rcc.h"
#include "rcc_bench.h"
#include "rcc_data.h"
#include "rcc_run.h"

/* Returns the status of expr from the calling function unless it is RCC_OK. */
#define CLI_TRY(expr)                       \
    do {                                    \
        rcc_status cli_try_st_ = (expr);    \
        if (cli_try_st_ != RCC_OK)          \
            return cli_try_st_;             \
    } while (0)

typedef enum { OPT_INT, OPT_FLOAT, OPT_STR, OPT_FLAG, OPT_STRS } opt_kind;

/* OPT_STRS: a repeatable option collecting its values. */
#define CLI_MAX_STRS 32
typedef struct {
    const char *v[CLI_MAX_STRS];
    int n;
} cli_strs;

typedef struct {
    const char *name; /* long name without dashes */
    char short_name;  /* 0 for none */
    opt_kind kind;
    void *target; /* int*, float*, const char**, bool*, cli_strs* */
    const char *help;
} cli_opt;

/* Parses argv[1..]; prints help and returns 1 on --help, -1 on error (message printed), 0 otherwise. */
int cli_parse(const char *cmd, const char *summary, const cli_opt *opts, int argc, char **argv);
/* --threads N (or -t N) with N > 0 among the arguments: the user chose the count, so it is not
 * shared (rcc_run_hooks.share, rcc_serve_options.share). */
bool cli_threads_given(int argc, char **argv);
void cli_help(FILE *out, const char *cmd, const char *summary, const cli_opt *opts);

/* A checkpoint given as a file, or as a training output folder (its checkpoint.safetensors), into
 * buf (RCC_PATH_MAX bytes are enough); RCC_ERR_ARG if it does not fit. */
rcc_status cli_checkpoint_path(const char *model, char *buf, size_t n);

/* With --conv winograd: says on stderr when this CPU has no Winograd kernels (computed directly). */
void cli_note_winograd(const char *cmd);

/* --precision of predict, embed, serve (and train): NULL (the training's) or f32 or bf16; false, having said
 * why on stderr, for anything else or bf16 where this CPU has no bf16 convolutions. */
bool cli_infer_precision_ok(const char *cmd, const char *precision);
/* The help text of that option (one string for the three commands). */
#define CLI_INFER_PRECISION_HELP                                                                         \
    "of the forward passes: f32 or bf16 (default: the training's, f32 where the CPU has no AVX512-BF16; " \
    "bf16 is faster for batches, slower for one image; docs/performance.md)"

/* --best (all) and --conv best (!all: the convolution kernels at c's precision): rcc_config_pick_mode,
 * saying on stderr what it measured; automatic: rcc train's default (all modes), said as its first
 * line ("mode: ..."). */
rcc_status cli_pick_mode(const char *cmd, rcc_config *c, int channels, bool all, bool automatic);

/* A training run's note (rcc_run_hooks.on_note): a line on stderr. */
void cli_print_note(const char *message, void *user);

/* The value of --preset among the arguments (read before parsing: it sets the defaults), or "cpu". */
const char *cli_find_preset(int argc, char **argv);

/* The processes of this run (one, unless started by mpirun). */
struct rcc_dist *cli_dist(void);

/* While caught (on), Ctrl-C (SIGINT) and SIGTERM only set *cli_stop_flag(), which a run given it as
 * rcc_run_hooks.stop answers by saving and returning; a second signal ends the process at once.
 * Off: the default (a signal ends the process). */
void cli_catch_stop(bool on);
volatile sig_atomic_t *cli_stop_flag(void);

/* `rcc train --follow/--stream` (cli/train_stream.c): runs rcc_run_stream with progress; the exit code. */
int cli_train_stream(const rcc_config *c, const rcc_stream_options *so, const char *out, const char *resume,
                     bool share);

/* How --data treats broken image files in folders (cli/data_load.c); CLI_LOAD_OPTS(f) are the
 * two option-table rows that set it. */
typedef struct {
    bool strict;      /* a broken image file is an error */
    float max_broken; /* refuse above this share of broken image files */
} cli_load_flags;
#define CLI_LOAD_DEFAULTS {false, 0.05f}
#define CLI_LOAD_OPTS(f)                                                                                              \
    {"strict", 0, OPT_FLAG, &(f).strict, "a broken image file in a folder is an error (default: skipped and named)"}, \
    {"max-broken", 0, OPT_FLOAT, &(f).max_broken, "refuse when more than this share of the image files are broken"}
/* Loads the --data sources (labels may be NULL) for `rcc cmd` with those flags: broken image files
 * named on stderr (the first ten) and all listed in skipped_list ("path<TAB>why" lines; NULL: no
 * list), progress on a terminal, and notes of what loading converted or ignored. */
rcc_status cli_load_data(const char *cmd, const cli_strs *data, const cli_strs *labels, const cli_load_flags *fl,
                         const char *skipped_list, rcc_dataset *d);

/* A model of `channels` given images of the other kind: converts them (gray to colour or back),
 * with a note on stderr. */
rcc_status cli_match_channels(const char *cmd, int channels, rcc_dataset *d);

/* A duration as H:MM:SS, or as MM:SS under an hour unless always_hours. */
void cli_fmt_duration(char *buf, size_t n, double seconds, bool always_hours);

typedef struct cJSON cJSON;
/* A number, or null when it is NaN or infinite (JSON has no NaN). */
void cli_json_num(cJSON *o, const char *key, double v);

int cmd_bench(int argc, char **argv);
int cmd_views(int argc, char **argv);
int cmd_subset(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_embed(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_kselect(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_reproduce(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
