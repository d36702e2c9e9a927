/* cmd_kselect.c — `rcc kselect`: k-means on features for k = 1..kmax, the WCSS curve with its
 * kneedle elbow, silhouette, Calinski–Harabasz and the chosen k with the rule that chose it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "cli.h"
#include "rcc_eval.h"
#include "rcc_plot.h"

static cJSON *series(const double *v, int kmax)
{
    cJSON *a = cJSON_CreateArray();
    for (int k = 1; k <= kmax; k++)
        cJSON_AddItemToArray(a, isfinite(v[k]) ? cJSON_CreateNumber(v[k]) : cJSON_CreateNull());
    return a;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Runs k-means once more at the chosen k and writes the assignment (.npy int32, else CSV). */
static int write_assign(const char *path, const float *x, size_t n, int d, const rcc_kselect_config *kc, int k)
{
    rcc_kmeans_config c;
    rcc_kmeans_config_default(&c, k);
    c.restarts = kc->restarts, c.max_iter = kc->max_iter, c.tol = kc->tol, c.seed = kc->seed, c.metric = kc->metric;
    int *a = malloc(n * sizeof *a);
    float *centers = malloc((size_t)k * d * sizeof *centers);
    rcc_status s = a && centers ? rcc_kmeans(x, n, d, &c, centers, a, NULL) : RCC_ERR_NOMEM;
    if (s == RCC_OK && ends_with(path, ".npy")) {
        s = rcc_npy_write_i32(path, a, n);
    } else if (s == RCC_OK) {
        FILE *f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "rcc kselect: cannot create %s\n", path);
            free(a), free(centers);
            return 1;
        }
        fprintf(f, "index,cluster\n");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%zu,%d\n", i, a[i]);
        if (fclose(f) != 0)
            s = RCC_ERR_IO;
    }
    free(a), free(centers);
    if (s != RCC_OK) {
        fprintf(stderr, "rcc kselect: writing %s: %s\n", path, s == RCC_ERR_NOMEM ? "out of memory" : rcc_last_error());
        return 1;
    }
    return 0;
}

int cmd_kselect(int argc, char **argv)
{
    const char *feat_path = NULL, *plot = NULL, *assign = NULL, *sil = "auto";
    rcc_kselect_config kc;
    rcc_kselect_config_default(&kc);
    int seed = 0, threads = 0;
    float tol = (float)kc.tol;
    bool spherical = false, json = false;
    const cli_opt opts[] = {
        {"features", 'f', OPT_STR, &feat_path, "features h: .npy float N x D, or numeric CSV"},
        {"kmax", 'k', OPT_INT, &kc.kmax, "largest k of the sweep (k = 1..kmax)"},
        {"restarts", 'r', OPT_INT, &kc.restarts, "seeded k-means++ restarts per k"},
        {"spherical", 0, OPT_FLAG, &spherical, "spherical k-means (cosine; centres on the unit sphere)"},
        {"max-iter", 0, OPT_INT, &kc.max_iter, "Lloyd iterations per restart"},
        {"tol", 0, OPT_FLOAT, &tol, "stop when the squared centre shift <= tol x mean feature variance"},
        {"sample", 0, OPT_INT, &kc.silhouette_sample, "points used for the silhouette (0 = all)"},
        {"silhouette", 0, OPT_STR, &sil, "silhouette distance: auto, cosine or euclidean"},
        {"seed", 's', OPT_INT, &seed, "seed of the restarts and of the silhouette sample"},
        {"threads", 't', OPT_INT, &threads, "threads (0: the CPUs this process may use)"},
        {"plot", 0, OPT_STR, &plot, "draw the WCSS, silhouette and Calinski-Harabasz curves to this PNG"},
        {"assign", 0, OPT_STR, &assign, "write the assignment at the chosen k (.npy int32, else CSV)"},
        {"json", 0, OPT_FLAG, &json, "print one JSON object instead of text"},
        {0},
    };
    int r = cli_parse("kselect",
                      "Choose the number of clusters of features: k-means for k = 1..kmax, the WCSS elbow\n"
                      "(kneedle), silhouette and Calinski-Harabasz, and a chosen k with the rule that chose it.",
                      opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!feat_path) {
        fprintf(stderr, "rcc kselect: --features FILE is required (see 'rcc kselect --help')\n");
        return 2;
    }
    if (kc.kmax < 1 || kc.restarts < 1 || kc.max_iter < 1 || seed < 0 || threads < 0 || kc.silhouette_sample < 0 ||
        !(tol >= 0)) {
        fprintf(stderr, "rcc kselect: need --kmax, --restarts, --max-iter >= 1 and --seed, --threads, --sample, "
                        "--tol >= 0\n");
        return 2;
    }
    if (strcmp(sil, "auto") == 0)
        kc.silhouette_dist = RCC_DIST_AUTO;
    else if (strcmp(sil, "cosine") == 0)
        kc.silhouette_dist = RCC_DIST_COSINE;
    else if (strcmp(sil, "euclidean") == 0)
        kc.silhouette_dist = RCC_DIST_EUCLIDEAN;
    else {
        fprintf(stderr, "rcc kselect: --silhouette must be auto, cosine or euclidean (got '%s')\n", sil);
        return 2;
    }
    if (threads > 0)
        rcc_set_threads(threads);
    kc.seed = (uint64_t)seed;
    kc.tol = tol;
    kc.metric = spherical ? RCC_KMEANS_SPHERICAL : RCC_KMEANS_EUCLIDEAN;
    float *x = NULL;
    size_t n = 0;
    int d = 0;
    if (rcc_features_load(feat_path, &x, &n, &d) != RCC_OK) {
        fprintf(stderr, "rcc kselect: %s\n", rcc_last_error());
        return 1;
    }
    rcc_kselect_result res;
    if (rcc_kselect(x, n, d, &kc, &res) != RCC_OK) {
        fprintf(stderr, "rcc kselect: %s\n", rcc_last_error());
        free(x);
        return 1;
    }
    int status = 0;
    if (plot && rcc_plot_kselect(plot, &res, "Choosing k") != RCC_OK) {
        fprintf(stderr, "rcc kselect: %s\n", rcc_last_error());
        status = 1;
    }
    if (status == 0 && assign)
        status = write_assign(assign, x, n, d, &kc, res.chosen);
    const char *dist = res.silhouette_dist == RCC_DIST_COSINE ? "cosine" : "euclidean";
    if (status == 0 && json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "n", (double)n);
        cJSON_AddNumberToObject(o, "d", d);
        cJSON_AddStringToObject(o, "metric", spherical ? "spherical" : "euclidean");
        cJSON_AddStringToObject(o, "silhouette_distance", dist);
        cJSON_AddNumberToObject(o, "silhouette_sample", kc.silhouette_sample);
        cJSON_AddNumberToObject(o, "restarts", kc.restarts);
        cJSON_AddNumberToObject(o, "kmax", res.kmax);
        cJSON_AddItemToObject(o, "wcss", series(res.wcss, res.kmax));
        cJSON_AddItemToObject(o, "silhouette", series(res.silhouette, res.kmax));
        cJSON_AddItemToObject(o, "calinski_harabasz", series(res.ch, res.kmax));
        cJSON_AddNumberToObject(o, "elbow", res.elbow);
        cli_json_num(o, "elbow_strength", res.elbow_strength);
        cJSON_AddNumberToObject(o, "best_silhouette", res.best_silhouette);
        cJSON_AddNumberToObject(o, "best_calinski_harabasz", res.best_ch);
        cJSON_AddNumberToObject(o, "chosen", res.chosen);
        cJSON_AddStringToObject(o, "rule", res.rule);
        cJSON_AddBoolToObject(o, "weak", res.weak);
        cJSON_AddNumberToObject(o, "seconds", res.seconds);
        char *txt = cJSON_PrintUnformatted(o);
        printf("%s\n", txt);
        cJSON_free(txt);
        cJSON_Delete(o);
    } else if (status == 0) {
        printf("rcc kselect: %zu points x %d, %s k-means, %d restarts, k = 1..%d: %.2f s\n", n, d,
               spherical ? "spherical" : "Euclidean", kc.restarts, res.kmax, res.seconds);
        printf("  %4s %14s %11s %14s %6s\n", "k", spherical ? "sum(1-cos)" : "WCSS", "silhouette", "Calinski-H",
               "iters");
        for (int k = 1; k <= res.kmax; k++) {
            printf("  %4d %14.6g", k, res.wcss[k]);
            if (isfinite(res.silhouette[k]))
                printf(" %11.4f", res.silhouette[k]);
            else
                printf(" %11s", "-");
            if (isfinite(res.ch[k]))
                printf(" %14.6g", res.ch[k]);
            else
                printf(" %14s", "-");
            printf(" %6d%s\n", res.iters[k], k == res.chosen ? "  <- chosen" : "");
        }
        printf("  elbow (kneedle): k = %d (strength %.3f)\n", res.elbow, res.elbow_strength);
        if (res.best_silhouette)
            printf("  best silhouette (%s, %d-point sample): k = %d (%.4f)\n", dist,
                   kc.silhouette_sample && (size_t)kc.silhouette_sample < n ? kc.silhouette_sample : (int)n,
                   res.best_silhouette, res.silhouette[res.best_silhouette]);
        if (res.best_ch)
            printf("  best Calinski-Harabasz: k = %d\n", res.best_ch);
        printf("  chosen: k = %d: %s\n", res.chosen, res.rule);
        if (plot)
            printf("  plot: %s\n", plot);
        if (assign)
            printf("  assignment at k = %d: %s\n", res.chosen, assign);
    }
    rcc_kselect_result_free(&res);
    free(x);
    return status;
}
