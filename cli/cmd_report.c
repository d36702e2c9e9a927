/* cmd_report.c — `rcc report`: parses the flags, loads the model and the data, and has
 * librcc_report (include/rcc_report.h) write the page; it prints what was written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "rcc_eval.h"
#include "rcc_report.h"

static void on_stage(const char *what, void *user)
{
    (void)user;
    fprintf(stderr, "rcc report: %s\n", what);
}

static int fail(rcc_status st)
{
    fprintf(stderr, "rcc report: %s: %s\n", rcc_strerror(st), rcc_last_error());
    return 1;
}

int cmd_report(int argc, char **argv)
{
    const char *model = NULL, *out = NULL, *precision = NULL;
    cli_strs data = {0}, labels = {0};
    int threads = 0, seed = 1;
    bool no_labels = false, no_pictures = false;
    cli_load_flags lf = CLI_LOAD_DEFAULTS;
    rcc_report_options o;
    rcc_report_defaults(&o);
    const cli_opt opts[] = {
        {"model", 'm', OPT_STR, &model, "checkpoint file, or a training output folder (its metrics.jsonl gives the curves)"},
        {"data", 'd', OPT_STRS, &data, "images: IDX file, .npy, folder of PNG/JPEG (repeatable)"},
        {"labels", 'l', OPT_STRS, &labels, "IDX label file for each --data (optional; IDX labels beside the images "
                                           "and class subfolders are found without it)"},
        CLI_LOAD_OPTS(lf),
        {"out", 'o', OPT_STR, &out, "the report's folder: index.html, thumbs/, the pictures (created if missing)"},
        {"title", 0, OPT_STR, &o.title, "the page's heading"},
        {"typical", 0, OPT_INT, &o.typical, "most typical images (highest confidence) per cluster"},
        {"atypical", 0, OPT_INT, &o.atypical, "least typical images per cluster"},
        {"sample", 0, OPT_INT, &o.sample, "images drawn at random per cluster"},
        {"show-outliers", 0, OPT_INT, &o.outliers, "lowest-confidence images over the whole set shown on the page"},
        {"outliers", 0, OPT_INT, &o.outliers_csv, "also write outliers.csv: the N images the model is least sure of"},
        {"thumb", 0, OPT_INT, &o.thumb_side, "thumbnail side in pixels (images are never enlarged)"},
        {"vote", 0, OPT_INT, &o.vote, "refine the head's clusters by each image's N nearest neighbours in the "
                                      "stage-3 features, as rcc predict does (0: the head alone; up to 200000 "
                                      "images, given or not)"},
        {"no-labels", 0, OPT_FLAG, &no_labels, "ignore labels even when the data has them"},
        {"no-pictures", 0, OPT_FLAG, &no_pictures, "skip the sphere, the training curves and the choice of k"},
        {"kselect-sample", 0, OPT_INT, &o.kselect_sample, "points of h for the choice of k"},
        {"seed", 's', OPT_INT, &seed, "seed of the random samples"},
        {"threads", 't', OPT_INT, &threads, "compute threads (0: as trained)"},
        {"precision", 0, OPT_STR, &precision, CLI_INFER_PRECISION_HELP},
        {0},
    };
    int r = cli_parse("report",
                      "Write an HTML page of what a model made of a data set: cluster sizes and confidence, a card per "
                      "cluster with its most and least typical images and a random sample, the outliers, the run's "
                      "pictures and, with labels, ACC/NMI/ARI and each cluster's majority class. Open OUT/index.html "
                      "in a browser (no server needed). docs/report.md.",
                      opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!model || !data.n || !out) {
        fprintf(stderr, "rcc report: --model, --data and --out are required\n");
        return 2;
    }
    if (!cli_infer_precision_ok("report", precision))
        return 2;
    o.out_dir = out;
    o.seed = (uint64_t)seed;
    o.use_labels = !no_labels;
    o.pictures = !no_pictures;
    o.on_stage = on_stage;
    o.model_name = model;
    struct stat sb;
    char run_dir[RCC_PATH_MAX];
    if (stat(model, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(run_dir, sizeof run_dir, "%s", model);
    } else { /* a checkpoint file: its folder */
        snprintf(run_dir, sizeof run_dir, "%s", model);
        char *slash = strrchr(run_dir, '/');
        if (slash)
            *slash = 0;
        else
            snprintf(run_dir, sizeof run_dir, ".");
    }
    o.run_dir = run_dir;

    char ck[RCC_PATH_MAX];
    rcc_net *net = NULL;
    rcc_status st = cli_checkpoint_path(model, ck, sizeof ck);
    if (st == RCC_OK)
        st = rcc_net_load_precision(&net, ck, precision);
    if (st != RCC_OK)
        return fail(st);
    rcc_set_threads(threads > 0 ? threads : rcc_net_config(net)->threads);
    rcc_dataset d;
    memset(&d, 0, sizeof d);
    st = cli_load_data("rcc report", &data, &labels, &lf, NULL, &d);
    rcc_report_summary sum;
    if (st == RCC_OK)
        st = rcc_report_write(net, &d, &o, &sum);
    rcc_net_free(net);
    if (d.n)
        rcc_dataset_free(&d);
    if (st != RCC_OK)
        return fail(st);
    printf("wrote %s/index.html: %d images, %d clusters (%d not empty), mean confidence %.3f", out, sum.n, sum.k,
           sum.nonempty, sum.mean_confidence);
    if (sum.labelled)
        printf(", ACC %.4f NMI %.4f ARI %.4f", sum.acc, sum.nmi, sum.ari);
    if (sum.voted)
        printf("\n%d images moved by the votes of their %d nearest neighbours (--vote 0: the head alone)", sum.moved,
               sum.voted);
    else if (sum.vote_refused)
        printf("\nthe head's clusters as they are: the neighbour vote would move %d images, too many "
               "(docs/imbalance.md §6)", sum.vote_refused);
    else if (o.vote > 0 && sum.n > RCC_VOTE_MAX_POINTS)
        printf("\nthe head's clusters as they are: the neighbour vote runs up to %d images", RCC_VOTE_MAX_POINTS);
    printf("\n%d files, %.1f KiB (the page %.1f KiB, %d thumbnails)\n", sum.files, (double)sum.bytes / 1024,
           (double)sum.html_bytes / 1024, sum.thumbnails);
    return 0;
}
