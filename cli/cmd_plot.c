/* cmd_plot.c — `rcc plot KIND`: PNG pictures. Kinds: sphere (features on the unit sphere from
 * several viewpoints), kselect (WCSS / silhouette / Calinski–Harabasz against k), curves
 * (training curves from a metrics JSON-lines file), confusion (a confusion matrix). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "rcc_plot.h"

static int fail(const char *kind)
{
    fprintf(stderr, "rcc plot %s: %s\n", kind, rcc_last_error());
    return 1;
}

static int plot_sphere(int argc, char **argv)
{
    const char *feat = NULL, *labels_path = NULL, *pred = NULL, *out = NULL, *title = NULL;
    rcc_sphere_plot_opts o;
    rcc_sphere_plot_opts_default(&o);
    int seed = 0;
    float psize = 0;
    const cli_opt opts[] = {
        {"features", 'f', OPT_STR, &feat, "features h: .npy float N x d, or numeric CSV (d > 3: drawn by its top 3 principal components)"},
        {"labels", 'l', OPT_STR, &labels_path, "colour by these labels (IDX, CSV or .npy)"},
        {"pred", 'p', OPT_STR, &pred, "or colour by these cluster assignments (CSV or .npy)"},
        {"out", 'o', OPT_STR, &out, "output PNG"},
        {"views", 0, OPT_INT, &o.views, "viewpoints side by side (3: front, back, top)"},
        {"panel", 0, OPT_INT, &o.panel, "pixels per view"},
        {"point-size", 0, OPT_FLOAT, &psize, "point radius in pixels (0: from N)"},
        {"max-points", 0, OPT_INT, &o.max_points, "draw a seeded subsample of at most this many (0: all)"},
        {"hide-back", 0, OPT_FLAG, &o.hide_back, "hide back-facing points instead of fading them"},
        {"title", 0, OPT_STR, &title, "picture title"},
        {"seed", 's', OPT_INT, &seed, "seed of the subsample"},
        {0},
    };
    int r = cli_parse("plot sphere", "Draw 3-D features on the unit sphere from several viewpoints.", opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!feat || !out || (labels_path && pred) || seed < 0 || o.max_points < 0) {
        fprintf(stderr, "rcc plot sphere: need --features F --out PNG, at most one of --labels/--pred, and a "
                        "non-negative --seed and --max-points\n");
        return 2;
    }
    o.seed = (uint64_t)seed;
    o.point_size = psize;
    o.title = title;
    o.legend_name = pred ? "cluster" : "label";
    float *x = NULL;
    size_t n = 0, nl = 0;
    int d = 0, *lab = NULL, status = 1;
    rcc_predictions p = {0};
    if (rcc_features_load(feat, &x, &n, &d) != RCC_OK) {
        status = fail("sphere");
        goto done;
    }
    if (labels_path && rcc_labels_load(labels_path, &lab, &nl) != RCC_OK) {
        status = fail("sphere");
        goto done;
    }
    if (pred) {
        if (rcc_predictions_load(pred, &p) != RCC_OK) {
            status = fail("sphere");
            goto done;
        }
        nl = p.n;
    }
    if ((labels_path || pred) && nl != n) {
        fprintf(stderr, "rcc plot sphere: %zu feature rows but %zu labels\n", n, nl);
        goto done;
    }
    if (rcc_plot_sphere(out, x, n, d, pred ? p.cluster : lab, &o) != RCC_OK) {
        status = fail("sphere");
        goto done;
    }
    printf("rcc plot sphere: %s\n", out);
    status = 0;
done:
    free(x), free(lab);
    rcc_predictions_free(&p);
    return status;
}

static int plot_kselect(int argc, char **argv)
{
    const char *feat = NULL, *out = NULL, *title = NULL;
    rcc_kselect_config kc;
    rcc_kselect_config_default(&kc);
    int seed = 0, threads = 0;
    bool spherical = false;
    const cli_opt opts[] = {
        {"features", 'f', OPT_STR, &feat, "features: .npy float N x D, or numeric CSV"},
        {"out", 'o', OPT_STR, &out, "output PNG"},
        {"kmax", 'k', OPT_INT, &kc.kmax, "largest k of the sweep"},
        {"restarts", 'r', OPT_INT, &kc.restarts, "k-means++ restarts per k"},
        {"spherical", 0, OPT_FLAG, &spherical, "spherical k-means"},
        {"sample", 0, OPT_INT, &kc.silhouette_sample, "points used for the silhouette (0 = all)"},
        {"seed", 's', OPT_INT, &seed, "seed"},
        {"threads", 't', OPT_INT, &threads, "threads (0: the CPUs this process may use)"},
        {"title", 0, OPT_STR, &title, "picture title"},
        {0},
    };
    int r = cli_parse("plot kselect", "Run the k sweep of 'rcc kselect' and draw its curves.", opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!feat || !out || kc.kmax < 1 || kc.restarts < 1 || seed < 0 || threads < 0 || kc.silhouette_sample < 0) {
        fprintf(stderr, "rcc plot kselect: need --features F --out PNG, --kmax and --restarts >= 1\n");
        return 2;
    }
    if (threads)
        rcc_set_threads(threads);
    kc.seed = (uint64_t)seed;
    kc.metric = spherical ? RCC_KMEANS_SPHERICAL : RCC_KMEANS_EUCLIDEAN;
    float *x;
    size_t n;
    int d;
    if (rcc_features_load(feat, &x, &n, &d) != RCC_OK)
        return fail("kselect");
    rcc_kselect_result res;
    int status = 0;
    if (rcc_kselect(x, n, d, &kc, &res) != RCC_OK) {
        free(x);
        return fail("kselect");
    }
    if (rcc_plot_kselect(out, &res, title ? title : "Choosing k") != RCC_OK)
        status = fail("kselect");
    else
        printf("rcc plot kselect: %s (chosen k = %d: %s)\n", out, res.chosen, res.rule);
    rcc_kselect_result_free(&res);
    free(x);
    return status;
}

static int plot_curves(int argc, char **argv)
{
    const char *metrics = NULL, *out = NULL, *title = NULL;
    const cli_opt opts[] = {
        {"metrics", 'm', OPT_STR, &metrics, "metrics JSON-lines file written by training"},
        {"out", 'o', OPT_STR, &out, "output PNG"},
        {"title", 0, OPT_STR, &title, "picture title"},
        {0},
    };
    int r = cli_parse("plot curves", "Draw each loss term per epoch, and ACC/NMI/ARI from evaluation lines.", opts,
                      argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!metrics || !out) {
        fprintf(stderr, "rcc plot curves: need --metrics FILE and --out PNG\n");
        return 2;
    }
    if (rcc_plot_curves(out, metrics, title) != RCC_OK)
        return fail("curves");
    printf("rcc plot curves: %s\n", out);
    return 0;
}

/* The last eval line's acc_predict of a training log (NaN when it has none). */
static double predict_acc(const char *metrics)
{
    rcc_metrics_log log;
    double v = NAN;
    if (rcc_metrics_log_load(metrics, &log) != RCC_OK)
        return v;
    for (size_t i = 0; i < log.n; i++)
        if (log.records[i].kind == RCC_METRICS_EVAL)
            v = log.records[i].acc_predict;
    rcc_metrics_log_free(&log);
    return v;
}

static int plot_acc_time(int argc, char **argv)
{
    cli_strs metrics = {0}, names = {0};
    const char *out = NULL, *title = NULL;
    float target = 0;
    const cli_opt opts[] = {
        {"metrics", 'm', OPT_STRS, &metrics, "a run's metrics.jsonl (or its output folder); repeat for several runs"},
        {"name", 'n', OPT_STRS, &names, "the run's name in the legend, one per --metrics, in order"},
        {"target", 0, OPT_FLOAT, &target, "a dashed line at this ACC (0: none)"},
        {"out", 'o', OPT_STR, &out, "output PNG"},
        {"title", 0, OPT_STR, &title, "picture title"},
        {0},
    };
    int r = cli_parse("plot acc-time",
                      "Draw ACC against seconds of training for one or more runs trained with labels (their eval "
                      "lines; evaluations' time left out): what a preset costs to reach an accuracy.",
                      opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!metrics.n || !out) {
        fprintf(stderr, "rcc plot acc-time: need --metrics FILE (one or more) and --out PNG\n");
        return 2;
    }
    if (names.n && names.n != metrics.n) {
        fprintf(stderr, "rcc plot acc-time: give one --name per --metrics (%d vs %d)\n", names.n, metrics.n);
        return 2;
    }
    char paths[CLI_MAX_STRS][RCC_PATH_MAX];
    const char *files[CLI_MAX_STRS];
    for (int i = 0; i < metrics.n; i++) {
        struct stat sb;
        if (stat(metrics.v[i], &sb) == 0 && S_ISDIR(sb.st_mode)) { /* a run's folder: its log */
            if (rcc_path_join(paths[i], sizeof paths[i], metrics.v[i], RCC_METRICS_FILE) != RCC_OK)
                return fail("acc-time");
            files[i] = paths[i];
        } else {
            files[i] = metrics.v[i];
        }
    }
    if (rcc_plot_acc_time(out, files, names.n ? names.v : NULL, metrics.n, target, title) != RCC_OK)
        return fail("acc-time");
    printf("rcc plot acc-time: %s\n", out);
    for (int i = 0; i < metrics.n; i++) {
        double *x, *y;
        int n;
        if (rcc_metrics_acc_time(files[i], &x, &y, &n) != RCC_OK)
            return fail("acc-time");
        int first = -1;
        for (int k = 0; k < n && target > 0 && first < 0; k++)
            if (y[k] >= target)
                first = k;
        printf("  %s: ACC %.4f after %.1f s of training", names.n ? names.v[i] : files[i], y[n - 1], x[n - 1]);
        if (target > 0 && first >= 0)
            printf("; first at or above %.2f after %.1f s", target, x[first]);
        else if (target > 0)
            printf("; never at or above %.2f", target);
        double final = predict_acc(files[i]);
        if (isfinite(final))
            printf(" (the head's, during training); rcc predict's default clusters at the end: ACC %.4f%s", final,
                   target > 0 ? (final >= target ? ", at or above the target" : ", below the target") : "");
        printf("\n");
        free(x), free(y);
    }
    return 0;
}

static int plot_confusion(int argc, char **argv)
{
    const char *pred = NULL, *labels_path = NULL, *out = NULL, *title = NULL;
    const cli_opt opts[] = {
        {"pred", 'p', OPT_STR, &pred, "predictions (CSV or .npy)"},
        {"labels", 'l', OPT_STR, &labels_path, "true labels (IDX, CSV or .npy)"},
        {"out", 'o', OPT_STR, &out, "output PNG"},
        {"title", 0, OPT_STR, &title, "picture title"},
        {0},
    };
    int r = cli_parse("plot confusion", "Draw the confusion matrix of clusters against classes.", opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!pred || !labels_path || !out) {
        fprintf(stderr, "rcc plot confusion: need --pred FILE --labels FILE --out PNG\n");
        return 2;
    }
    rcc_predictions p;
    int *lab = NULL, status = 1;
    size_t nl = 0;
    int64_t *table = NULL;
    if (rcc_predictions_load(pred, &p) != RCC_OK)
        return fail("confusion");
    if (rcc_labels_load(labels_path, &lab, &nl) != RCC_OK) {
        status = fail("confusion");
        goto done;
    }
    if (nl != p.n) {
        fprintf(stderr, "rcc plot confusion: %zu predictions but %zu labels\n", p.n, nl);
        goto done;
    }
    int k = rcc_label_range(p.cluster, p.n), c = rcc_label_range(lab, nl);
    if (k < 1 || c < 1 || k > 500 || c > 500) {
        fprintf(stderr, "rcc plot confusion: need 1..500 clusters and classes (got %d, %d)\n", k, c);
        goto done;
    }
    table = malloc((size_t)k * c * sizeof *table);
    if (!table || rcc_contingency(p.cluster, lab, p.n, k, c, table) != RCC_OK ||
        rcc_plot_confusion(out, table, k, c, title) != RCC_OK) {
        status = fail("confusion");
        goto done;
    }
    printf("rcc plot confusion: %s\n", out);
    status = 0;
done:
    free(lab), free(table);
    rcc_predictions_free(&p);
    return status;
}

int cmd_plot(int argc, char **argv)
{
    static const char *usage = "usage: rcc plot KIND [options]\n\n"
                               "kinds:\n"
                               "  sphere     3-D features on the unit sphere, coloured by label or cluster\n"
                               "  kselect    WCSS, silhouette and Calinski-Harabasz against k, chosen k marked\n"
                               "  curves     training curves from a metrics JSON-lines file\n"
                               "  acc-time   ACC against seconds of training, one line per run\n"
                               "  confusion  confusion matrix of clusters against classes\n\n"
                               "'rcc plot KIND --help' describes a kind's options.\n";
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *kind = argv[1];
    if (strcmp(kind, "sphere") == 0)
        return plot_sphere(argc - 1, argv + 1);
    if (strcmp(kind, "kselect") == 0)
        return plot_kselect(argc - 1, argv + 1);
    if (strcmp(kind, "curves") == 0)
        return plot_curves(argc - 1, argv + 1);
    if (strcmp(kind, "confusion") == 0)
        return plot_confusion(argc - 1, argv + 1);
    if (strcmp(kind, "acc-time") == 0)
        return plot_acc_time(argc - 1, argv + 1);
    fprintf(stderr, "rcc plot: unknown kind '%s'\n\n%s", kind, usage);
    return 2;
}
