/* cmd_predict.c — `rcc predict` (assign images to clusters, online) and `rcc embed` (write the
 * unit-sphere features h). Both go through the public rcc_net API, as a C program would. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "rcc_eval.h"
#include "rcc.h"
#include "rcc_data.h"
#include "rcc_report.h"

static int fail(const char *cmd, rcc_status st)
{
    fprintf(stderr, "rcc %s: %s: %s\n", cmd, rcc_strerror(st), rcc_last_error());
    return 1;
}

/* Loads the network of --model at --precision (NULL: as trained) and applies --threads (0: as trained). */
static rcc_status open_net(const char *cmd, const char *model, const char *precision, int threads, rcc_net **net)
{
    char ck[RCC_PATH_MAX];
    CLI_TRY(cli_checkpoint_path(model, ck, sizeof ck));
    rcc_config trained;
    rcc_progress pr;
    CLI_TRY(rcc_checkpoint_info(ck, &trained, &pr));
    rcc_set_threads(threads > 0 ? threads : trained.threads); /* before loading: the network plans for it */
    CLI_TRY(rcc_net_load_precision(net, ck, precision));
    if (!precision && trained.precision != rcc_net_config(*net)->precision)
        fprintf(stderr, "rcc %s: note: trained in %s, run in %s (this CPU has no %s convolutions)\n", cmd,
                rcc_precision_name(trained.precision), rcc_precision_name(rcc_net_config(*net)->precision),
                rcc_precision_name(trained.precision));
    return RCC_OK;
}

static void print_row(int i, int cluster, float conf, const float *h, void *user)
{
    const rcc_dataset *d = user;
    (void)h;
    if (d->names)
        printf("%s,%d,%.4f\n", d->names[i], cluster, (double)conf);
    else
        printf("%d,%d,%.4f\n", i, cluster, (double)conf);
}

/* One image path per line on stdin; one answer per line on stdout as soon as it is known. */
static int predict_stream(rcc_net *net)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int bad = 0;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (len == 0)
            continue;
        const char *paths[1] = {line};
        rcc_dataset d;
        rcc_status st = rcc_dataset_load(&d, paths, 1, NULL);
        if (st == RCC_OK) { /* a colour image for a gray model (or back) converted quietly: one answer a line */
            st = rcc_dataset_convert_channels(&d, rcc_net_config(net)->in_channels);
            if (st == RCC_OK)
                st = rcc_net_assign_data(net, &d, NULL, NULL, NULL, NULL, print_row, &d);
            rcc_dataset_free(&d);
        }
        if (st != RCC_OK) {
            printf("%s,error,%s\n", line, rcc_last_error());
            bad++;
        }
        fflush(stdout);
    }
    free(line);
    return bad ? 1 : 0;
}

static void sort_note(const char *note, void *user)
{
    (void)user;
    fprintf(stderr, "rcc predict: note: %s\n", note);
}

/* --sort-into: the images into DIR/cluster-NN/ (librcc_report's rcc_sort_into); a line on stderr. */
static rcc_status sort_into(const char *dir, const rcc_dataset *d, const int *cl, int k, bool symlink, bool copy)
{
    rcc_sort_summary sum;
    rcc_sort_mode mode = symlink ? RCC_SORT_SYMLINK : copy ? RCC_SORT_COPY : RCC_SORT_LINK;
    CLI_TRY(rcc_sort_into(dir, d, cl, k, mode, &sum, sort_note, NULL));
    fprintf(stderr, "rcc predict: sorted %d images into %s/cluster-*/: %d linked, %d symlinked, %d copied, %d written "
                    "as PNG; %d renamed to avoid a clash\n",
            d->n, dir, sum.linked, sum.symlinked, sum.copied, sum.written, sum.renamed);
    return RCC_OK;
}

/* --partition: stage-3 features of every image, partitioned into K clusters (--clusters, else the
 * model's K); prints the rows. */
static rcc_status predict_partition(rcc_net *net, const rcc_dataset *d, const rcc_partition_config *pc, int K, int *cl)
{
    int F = rcc_net_stage3_dim(net);
    float *f = malloc(sizeof(float) * (size_t)d->n * (size_t)F), *conf = malloc(sizeof(float) * (size_t)d->n);
    rcc_status st = f && conf ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "features of %d images", d->n);
    if (st == RCC_OK)
        st = rcc_net_stage3_data(net, d, f);
    if (st == RCC_OK)
        st = rcc_partition(f, d->n, F, K, pc, cl, conf);
    for (int i = 0; st == RCC_OK && i < d->n; i++)
        print_row(i, cl[i], conf[i], NULL, (void *)d);
    if (st == RCC_OK)
        fprintf(stderr, "rcc predict: %d images partitioned on %d stage-3 features: %d fine clusters merged into %d "
                        "along %d neighbours each\n", d->n, F, pc->fine < d->n ? pc->fine : d->n, K,
                pc->knn < d->n - 1 ? pc->knn : d->n - 1);
    free(f), free(conf);
    return st;
}

/* The head's clusters refined by the votes of each image's `knn` nearest neighbours in the stage-3
 * features (rcc_net_assign_voted); confidence stays the head's probability of the image's final cluster. */
static rcc_status predict_vote(rcc_net *net, const rcc_dataset *d, int knn, int *cl)
{
    rcc_vote_config vc;
    rcc_vote_config_default(&vc);
    rcc_vote_result vr;
    float *conf = malloc(sizeof(float) * (size_t)d->n);
    rcc_status st = conf ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "confidences of %d images", d->n);
    if (st == RCC_OK)
        st = rcc_net_assign_voted(net, d, knn, cl, NULL, conf, NULL, &vr);
    for (int i = 0; st == RCC_OK && i < d->n; i++)
        print_row(i, cl[i], conf[i], NULL, (void *)d);
    if (st == RCC_OK && vr.applied)
        fprintf(stderr, "rcc predict: %d images; the head's clusters refined by the votes of each image's %d nearest "
                        "neighbours in the stage-3 features: %d moved (--vote 0: the head alone)\n",
                d->n, knn < d->n - 1 ? knn : d->n - 1, vr.moved);
    else if (st == RCC_OK)
        fprintf(stderr, "rcc predict: note: the neighbour vote would move %d of %d images, more than %.0f%%: the "
                        "stage-3 features and the head disagree about more than borders, so the head's clusters are "
                        "kept as they are (docs/imbalance.md §6)\n", vr.moved, d->n, 100 * vc.max_moved);
    free(conf);
    return st;
}

/* --vote among the arguments: the user asked for a number of neighbours (else the default's rules). */
static bool vote_given(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--vote") == 0 || strncmp(argv[i], "--vote=", 7) == 0)
            return true;
    return false;
}

int cmd_predict(int argc, char **argv)
{
    const char *model = NULL, *out = NULL, *precision = NULL, *sort_dir = NULL;
    cli_strs data = {0};
    bool from_stdin = false, link = false, symlink = false, copy = false, part = false;
    int threads = 0;
    rcc_partition_config pc;
    rcc_partition_config_default(&pc);
    rcc_vote_config vote_default;
    rcc_vote_config_default(&vote_default);
    int vote = vote_default.knn, part_k = 0;
    cli_load_flags lf = CLI_LOAD_DEFAULTS;
    const cli_opt opts[] = {
        {"model", 'm', OPT_STR, &model, "checkpoint file, or a training output folder"},
        {"data", 'd', OPT_STRS, &data, "images: IDX file, .npy, folder of PNG/JPEG, or an image file (repeatable)"},
        {"partition", 0, OPT_FLAG, &part,
         "clusters of any size: partition the images' stage-3 features (k-means into --fine clusters merged along "
         "their --knn nearest neighbours) instead of reading the cluster head, which hands out equal shares; "
         "confidence is then the share of an image's neighbours in its cluster (docs/imbalance.md)"},
        {"vote", 0, OPT_INT, &vote,
         "refine the head's clusters: each image, up to 10 times, takes the cluster most common among itself and its "
         "N nearest neighbours in the stage-3 features (with --data, by default for up to 200000 images; 0: the "
         "head alone, as --stdin and serve answer; a vote that would move more than 20% of the images is not "
         "applied; docs/imbalance.md §6)"},
        {"fine", 0, OPT_INT, &pc.fine, "--partition: fine clusters before merging"},
        {"knn", 0, OPT_INT, &pc.knn, "--partition: neighbours per image in the graph"},
        {"clusters", 'K', OPT_INT, &part_k,
         "--partition: clusters to make, at most --fine (0: the model's K; the head's K is fixed by training)"},
        CLI_LOAD_OPTS(lf),
        {"stdin", 0, OPT_FLAG, &from_stdin, "read image paths from standard input, one per line, answering each"},
        {"out", 'o', OPT_STR, &out, "also write the clusters to this .npy file (int32)"},
        {"sort-into", 0, OPT_STR, &sort_dir, "also put each image into DIR/cluster-NN/ (originals untouched; a name "
                                             "taken gets a suffix; images without a file, IDX/.npy, written as PNG)"},
        {"link", 0, OPT_FLAG, &link, "--sort-into makes hard links (the default; copies across file systems)"},
        {"symlink", 0, OPT_FLAG, &symlink, "--sort-into makes symlinks to the originals"},
        {"copy", 0, OPT_FLAG, &copy, "--sort-into copies the files"},
        {"threads", 't', OPT_INT, &threads, "compute threads (0: as trained)"},
        {"precision", 0, OPT_STR, &precision, CLI_INFER_PRECISION_HELP},
        {0},
    };
    int r = cli_parse("predict",
                      "Assign images to clusters. Prints one line per image: name_or_index,cluster,confidence.",
                      opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!model || (!data.n && !from_stdin)) {
        fprintf(stderr, "rcc predict: --model and --data (or --stdin) are required\n");
        return 2;
    }
    if (!cli_infer_precision_ok("predict", precision))
        return 2;
    rcc_partition_config pd;
    rcc_partition_config_default(&pd);
    if (!part && (pc.fine != pd.fine || pc.knn != pd.knn || part_k != 0)) {
        fprintf(stderr, "rcc predict: --fine, --knn and --clusters go with --partition\n");
        return 2;
    }
    if (part_k < 0 || (part_k > pc.fine && pc.fine > 0)) {
        fprintf(stderr, "rcc predict: --clusters %d: the partition makes between 1 and --fine (%d) clusters\n",
                part_k, pc.fine);
        return 2;
    }
    bool vote_asked = vote_given(argc, argv);
    if (vote < 0 || vote > RCC_VOTE_MAX_KNN || (vote_asked && vote > 0 && (part || from_stdin))) {
        fprintf(stderr, "rcc predict: --vote N (0 <= N <= %d) refines the head's clusters of a data set (--data), "
                        "not --partition's nor images one by one (--stdin)\n", RCC_VOTE_MAX_KNN);
        return 2;
    }
    if (part && from_stdin) {
        fprintf(stderr, "rcc predict: --partition clusters a whole data set (--data), not images one by one (--stdin)\n");
        return 2;
    }
    if ((link + symlink + copy > 1) || ((link || symlink || copy) && !sort_dir) || (sort_dir && from_stdin)) {
        fprintf(stderr, "rcc predict: --sort-into DIR goes with --data, and with one of --link, --symlink, --copy\n");
        return 2;
    }
    rcc_net *net;
    rcc_status st = open_net("predict", model, precision, threads, &net);
    if (st != RCC_OK)
        return fail("predict", st);
    int rc = 0;
    if (from_stdin) {
        rc = predict_stream(net);
    } else {
        rcc_dataset d;
        st = cli_load_data("rcc predict", &data, NULL, &lf, NULL, &d);
        if (st == RCC_OK)
            st = cli_match_channels("rcc predict", rcc_net_config(net)->in_channels, &d);
        int *cl = st == RCC_OK ? malloc(sizeof(int) * (size_t)d.n) : NULL;
        if (st == RCC_OK && !cl)
            st = rcc_fail(RCC_ERR_NOMEM, "clusters");
        if (st == RCC_OK && !vote_asked && !part && d.n > RCC_VOTE_MAX_POINTS) {
            vote = 0;
            fprintf(stderr, "rcc predict: note: %d images: the head's clusters as they are (the neighbour vote, "
                            "quadratic in the images, is on by default up to %d; --vote %d asks for it)\n",
                    d.n, RCC_VOTE_MAX_POINTS, vote_default.knn);
        }
        int k = part && part_k > 0 ? part_k : rcc_net_config(net)->clusters;
        if (st == RCC_OK && part)
            st = predict_partition(net, &d, &pc, k, cl);
        else if (st == RCC_OK && vote > 0 && d.n > 1)
            st = predict_vote(net, &d, vote, cl);
        else if (st == RCC_OK)
            st = rcc_net_assign_data(net, &d, cl, NULL, NULL, NULL, print_row, &d);
        if (st == RCC_OK && out)
            st = rcc_npy_write_i32(out, cl, (size_t)d.n);
        if (st == RCC_OK && sort_dir)
            st = sort_into(sort_dir, &d, cl, k, symlink, copy);
        rc = st == RCC_OK ? 0 : fail("predict", st);
        free(cl);
        if (d.pix || d.u8 || d.n)
            rcc_dataset_free(&d);
    }
    rcc_net_free(net);
    return rc;
}

int cmd_embed(int argc, char **argv)
{
    const char *model = NULL, *out = NULL, *precision = NULL, *which = "h";
    cli_strs data = {0};
    int threads = 0;
    cli_load_flags lf = CLI_LOAD_DEFAULTS;
    const cli_opt opts[] = {
        {"model", 'm', OPT_STR, &model, "checkpoint file, or a training output folder"},
        {"data", 'd', OPT_STRS, &data, "images: IDX file, .npy, or folder of PNG/JPEG (repeatable)"},
        CLI_LOAD_OPTS(lf),
        {"out", 'o', OPT_STR, &out, "output: .npy (float32 N x rep_dim, or N x 4*width with --features stage3) or .csv"},
        {"features", 0, OPT_STR, &which,
         "h (the unit-sphere features) or stage3 (the backbone's stage-3 output averaged over positions: "
         "4*width channels, richer than h; docs/imbalance.md)"},
        {"threads", 't', OPT_INT, &threads, "compute threads (0: as trained)"},
        {"precision", 0, OPT_STR, &precision, CLI_INFER_PRECISION_HELP},
        {0},
    };
    int r = cli_parse("embed", "Write the features of images: h (the unit-sphere features), or stage 3's pooled output.", opts,
                      argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!model || !data.n || !out) {
        fprintf(stderr, "rcc embed: --model, --data and --out are required\n");
        return 2;
    }
    bool stage3 = strcmp(which, "stage3") == 0;
    if (!stage3 && strcmp(which, "h") != 0) {
        fprintf(stderr, "rcc embed: --features %s: known are h and stage3\n", which);
        return 2;
    }
    if (!cli_infer_precision_ok("embed", precision))
        return 2;
    rcc_net *net;
    rcc_status st = open_net("embed", model, precision, threads, &net);
    if (st != RCC_OK)
        return fail("embed", st);
    int R = stage3 ? rcc_net_stage3_dim(net) : rcc_net_config(net)->rep_dim;
    rcc_dataset d;
    memset(&d, 0, sizeof d);
    st = cli_load_data("rcc embed", &data, NULL, &lf, NULL, &d);
    if (st == RCC_OK)
        st = cli_match_channels("rcc embed", rcc_net_config(net)->in_channels, &d);
    float *h = st == RCC_OK ? malloc(sizeof(float) * (size_t)d.n * (size_t)R) : NULL;
    if (st == RCC_OK && !h)
        st = rcc_fail(RCC_ERR_NOMEM, "features");
    if (st == RCC_OK)
        st = stage3 ? rcc_net_stage3_data(net, &d, h) : rcc_net_assign_data(net, &d, NULL, NULL, h, NULL, NULL, NULL);
    size_t ol = strlen(out);
    if (st == RCC_OK && ol > 4 && strcmp(out + ol - 4, ".csv") == 0) {
        FILE *f = fopen(out, "w");
        if (!f)
            st = rcc_fail(RCC_ERR_IO, "%s: cannot write", out);
        for (int i = 0; f && i < d.n; i++)
            for (int j = 0; j < R; j++)
                fprintf(f, "%.7g%c", (double)h[(size_t)i * R + j], j + 1 < R ? ',' : '\n');
        if (f) {
            bool bad = ferror(f) != 0; /* an earlier fprintf failed (a full disk) */
            if (fclose(f) != 0)
                bad = true;
            if (bad)
                st = rcc_fail(RCC_ERR_IO, "%s: write error: %s", out, strerror(errno));
        }
    } else if (st == RCC_OK) {
        st = rcc_npy_write_f32(out, h, (size_t)d.n, (size_t)R);
    }
    int rc = st == RCC_OK ? 0 : fail("embed", st);
    if (rc == 0)
        fprintf(stderr, "wrote %d x %d features to %s\n", d.n, R, out);
    free(h);
    rcc_dataset_free(&d);
    rcc_net_free(net);
    return rc;
}
