/* rcc.c — the `rcc` tool: dispatches to subcommands and parses options from their tables. */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <math.h>
#include <cjson/cJSON.h>
#include "cli.h"
#include "rcc.h"
#include "rcc_bench.h"
#include "rcc_run.h"

typedef struct {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} subcommand;

static const subcommand commands[] = {
    {"train", cmd_train, "train a model: cluster a set of images without labels"},
    {"predict", cmd_predict, "assign images to clusters (files, folders, or paths on stdin)"},
    {"embed", cmd_embed, "write the unit-sphere features h, or stage 3's pooled features, of images (.npy or .csv)"},
    {"eval", cmd_eval, "score cluster assignments: ACC/NMI/ARI against labels, sizes and confidence"},
    {"probe", cmd_probe, "linear probe on frozen features (softmax regression, Adam)"},
    {"kselect", cmd_kselect, "choose k: k-means sweep, WCSS elbow, silhouette, Calinski-Harabasz"},
    {"plot", cmd_plot, "PNG pictures: sphere, kselect, curves, confusion"},
    {"views", cmd_views, "write a PNG grid of images and their augmented views"},
    {"subset", cmd_subset, "a long-tailed subset of a labelled data set (the imbalance benchmark)"},
    {"reproduce", cmd_reproduce, "the paper's experiments (CC vs RCC, K = 5 elbow) with a report"},
    {"report", cmd_report, "an HTML page of the clusters: sizes, typical and least typical images, outliers"},
    {"serve", cmd_serve, "clustering as an HTTP service: batching, hot model reload, metrics"},
    {"bench", cmd_bench, "time one training step (and compare with PyTorch via bench/compare.sh)"},
};

static void usage(FILE *out)
{
    fprintf(out, "rcc %s — Robust Contrastive Clustering of images\n\nusage: rcc <command> [options]\n\ncommands:\n",
            rcc_version());
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'rcc <command> --help' describes a command's options.\n");
}

const char *cli_find_preset(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--preset") == 0 || strcmp(argv[i], "-p") == 0) && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--preset=", 9) == 0)
            return argv[i] + 9;
    }
    return "cpu";
}

void cli_json_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

void cli_help(FILE *out, const char *cmd, const char *summary, const cli_opt *opts)
{
    fprintf(out, "usage: rcc %s [options]\n\n%s\n\noptions:\n", cmd, summary);
    for (const cli_opt *o = opts; o->name; o++) {
        char left[64];
        const char *arg = o->kind == OPT_INT     ? " N"
                          : o->kind == OPT_FLOAT ? " X"
                          : o->kind == OPT_STR   ? " S"
                          : o->kind == OPT_STRS  ? " S..."
                                                 : "";
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s", o->short_name, o->name, arg);
        else
            snprintf(left, sizeof left, "    --%s%s", o->name, arg);
        fprintf(out, "  %-28s %s", left, o->help);
        if (o->kind == OPT_INT)
            fprintf(out, " [%d]", *(int *)o->target);
        else if (o->kind == OPT_FLOAT)
            fprintf(out, " [%g]", (double)*(float *)o->target);
        else if (o->kind == OPT_STR && *(const char **)o->target)
            fprintf(out, " [%s]", *(const char **)o->target);
        fputc('\n', out);
    }
    fprintf(out, "  %-28s %s\n", "-h, --help", "show this help");
}

int cli_parse(const char *cmd, const char *summary, const cli_opt *opts, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cli_help(stdout, cmd, summary, opts);
            return 1;
        }
        const cli_opt *o = NULL;
        const char *val = NULL;
        if (a[0] == '-' && a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            for (const cli_opt *p = opts; p->name; p++)
                if (strlen(p->name) == len && strncmp(p->name, a + 2, len) == 0)
                    o = p;
            if (eq)
                val = eq + 1;
        } else if (a[0] == '-' && a[1] && !a[2]) {
            for (const cli_opt *p = opts; p->name; p++)
                if (p->short_name == a[1])
                    o = p;
        }
        if (!o) {
            fprintf(stderr, "rcc %s: unknown option '%s' (see 'rcc %s --help')\n", cmd, a, cmd);
            return -1;
        }
        if (o->kind == OPT_FLAG) {
            *(bool *)o->target = true;
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "rcc %s: option '%s' needs a value\n", cmd, a);
                return -1;
            }
            val = argv[++i];
        }
        char *end;
        errno = 0;
        if (o->kind == OPT_INT) {
            long v = strtol(val, &end, 10);
            if (*end || end == val || errno || v < -2147483647L || v > 2147483647L) {
                fprintf(stderr, "rcc %s: --%s expects an integer, got '%s'\n", cmd, o->name, val);
                return -1;
            }
            *(int *)o->target = (int)v;
            int capped = v > 0 ? rcc_compute_cap((int)v) : 0;
            if (strcmp(o->name, "threads") == 0 && capped < v)
                fprintf(stderr,
                        "rcc %s: note: --threads %ld, but this process may use %d CPU(s): computing with %d "
                        "(more threads than CPUs wait for each other; RCC_OVERSUBSCRIBE=1 insists)\n",
                        cmd, v, capped, capped);
        } else if (o->kind == OPT_FLOAT) {
            float v = strtof(val, &end);
            if (*end || end == val || errno) {
                fprintf(stderr, "rcc %s: --%s expects a number, got '%s'\n", cmd, o->name, val);
                return -1;
            }
            *(float *)o->target = v;
        } else if (o->kind == OPT_STRS) {
            cli_strs *l = o->target;
            if (l->n == CLI_MAX_STRS) {
                fprintf(stderr, "rcc %s: --%s given more than %d times\n", cmd, o->name, CLI_MAX_STRS);
                return -1;
            }
            l->v[l->n++] = val;
        } else {
            *(const char **)o->target = val;
        }
    }
    return 0;
}

bool cli_threads_given(int argc, char **argv)
{
    bool given = false; /* the last one counts, as in cli_parse; 0 (rcc serve's "as trained") is none */
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if ((strcmp(argv[i], "--threads") == 0 || strcmp(argv[i], "-t") == 0) && i + 1 < argc)
            v = argv[++i];
        else if (strncmp(argv[i], "--threads=", 10) == 0)
            v = argv[i] + 10;
        if (v)
            given = atoi(v) > 0;
    }
    return given;
}

rcc_status cli_checkpoint_path(const char *model, char *buf, size_t n)
{
    size_t l = strlen(model);
    if (l > 12 && strcmp(model + l - 12, ".safetensors") == 0) {
        if (l >= n)
            return rcc_fail(RCC_ERR_ARG, "path too long (over %zu bytes): %s", n - 1, model);
        memcpy(buf, model, l + 1);
        return RCC_OK;
    }
    return rcc_path_join(buf, n, model, "checkpoint.safetensors");
}

void cli_note_winograd(const char *cmd)
{
    if (!rcc_conv_winograd_available())
        fprintf(stderr, "rcc %s: note: oneDNN has no Winograd kernels for this CPU (they need AVX-512); the "
                        "convolutions compute directly\n",
                cmd);
}

bool cli_infer_precision_ok(const char *cmd, const char *precision)
{
    rcc_precision p;
    if (!precision)
        return true;
    if (rcc_precision_parse(precision, &p) != RCC_OK) {
        fprintf(stderr, "rcc %s: --precision: %s\n", cmd, rcc_last_error());
        return false;
    }
    if (p == RCC_PRECISION_BF16 && !rcc_conv_bf16_available()) {
        fprintf(stderr,
                "rcc %s: --precision bf16: this CPU has no bf16 convolutions (AVX512-BF16 needed; "
                "docs/performance.md)\n",
                cmd);
        return false;
    }
    return true;
}

rcc_status cli_pick_mode(const char *cmd, rcc_config *c, int channels, bool all, bool automatic)
{
    const char *flag = all ? "--best" : "--conv best";
    rcc_mode_choice ch;
    CLI_TRY(rcc_config_pick_mode(c, channels, all, &ch));
    char said[256] = "";
    int len = 0;
    for (int i = 0; i < ch.n && len >= 0 && (size_t)len < sizeof said; i++)
        len += snprintf(said + len, sizeof said - (size_t)len, "%s%s %s %.0f", i ? ", " : "",
                        rcc_conv_kind_name(ch.mode[i].conv), rcc_precision_name(ch.mode[i].precision), ch.rate[i]);
    const char *unsafe = ch.bf16_unsafe ? "; bf16 left out: oneDNN's bf16 kernels give NaN gradients on stage 4's 1x1 "
                                          "maps at this image size"
                                        : "";
    if (automatic) { /* the first line of rcc train */
        if (ch.n > 1)
            fprintf(stderr, "mode: %s %s, the fastest on this step (%s pairs/s)%s; --conv and --precision choose\n",
                    rcc_conv_kind_name(c->conv), rcc_precision_name(c->precision), said, unsafe);
        else
            fprintf(stderr, "mode: direct f32 (oneDNN has no Winograd or bf16 kernels for this CPU%s)\n", unsafe);
    } else if (ch.bf16_direct) {
        fprintf(stderr, "rcc %s: --conv best: direct (bf16 convolutions compute directly)\n", cmd);
    } else if (ch.n > 1) {
        fprintf(stderr, "rcc %s: %s: %s pairs/s on this step: %s %s%s\n", cmd, flag, said,
                rcc_conv_kind_name(c->conv), rcc_precision_name(c->precision), unsafe);
    } else {
        fprintf(stderr, "rcc %s: %s: direct f32 (oneDNN has no Winograd%s kernels for this CPU)\n", cmd, flag,
                all ? " or bf16" : "");
    }
    return RCC_OK;
}

void cli_print_note(const char *message, void *user)
{
    (void)user;
    fprintf(stderr, "%s\n", message);
}

static rcc_dist g_dist;

rcc_dist *cli_dist(void) { return &g_dist; }

static int run_command(int argc, char **argv);

int main(int argc, char **argv)
{
    /* under mpirun, every process runs this program; only `rcc train` works across them */
    if (rcc_dist_init(&g_dist, &argc, &argv) != RCC_OK) {
        fprintf(stderr, "rcc: %s\n", rcc_last_error());
        return 1;
    }
    if (g_dist.size > 1 && (argc < 2 || strcmp(argv[1], "train") != 0)) {
        if (g_dist.rank == 0)
            fprintf(stderr, "rcc: under mpirun only 'rcc train' runs (on %d processes); run other commands alone\n",
                    g_dist.size);
        rcc_dist_finalize(&g_dist);
        return 2;
    }
    int rc = run_command(argc, argv);
    rcc_dist_finalize(&g_dist);
    return rc;
}

static int run_command(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("rcc %s\n", rcc_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            int rc = commands[i].run(argc - 1, argv + 1);
            /* results go to stdout: one that could not be written (a full disk, a closed pipe) is a
             * failure, not a success with the answers lost */
            if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "rcc %s: cannot write the results to standard output: %s\n", argv[1],
                        strerror(errno));
                return rc ? rc : 1;
            }
            return rc;
        }
    fprintf(stderr, "rcc: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
