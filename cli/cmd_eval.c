/* cmd_eval.c — `rcc eval`: scores a clustering. With labels: ACC (Hungarian), NMI, ARI and the
 * cluster→class map; always: cluster sizes, size entropy and mean confidence. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "cli.h"
#include "rcc_eval.h"
#include "rcc_plot.h"

int cmd_eval(int argc, char **argv)
{
    const char *pred_path = NULL, *labels_path = NULL, *confusion = NULL;
    int clusters = 0;
    bool json = false;
    const cli_opt opts[] = {
        {"pred", 'p', OPT_STR, &pred_path, "predictions: CSV (cluster | index,cluster[,confidence]) or .npy"},
        {"labels", 'l', OPT_STR, &labels_path, "true labels: IDX label file (.gz ok), CSV or .npy"},
        {"clusters", 'K', OPT_INT, &clusters, "number of clusters K (0: largest id + 1)"},
        {"confusion", 0, OPT_STR, &confusion, "also draw the confusion matrix to this PNG (needs --labels)"},
        {"json", 0, OPT_FLAG, &json, "print one JSON object instead of text"},
        {0},
    };
    int r = cli_parse("eval",
                      "Score cluster assignments: ACC (Hungarian), NMI and ARI against labels when given;\n"
                      "cluster sizes, size entropy and mean confidence always.",
                      opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!pred_path) {
        fprintf(stderr, "rcc eval: --pred FILE is required (see 'rcc eval --help')\n");
        return 2;
    }
    if (confusion && !labels_path) {
        fprintf(stderr, "rcc eval: --confusion needs --labels\n");
        return 2;
    }
    rcc_predictions p;
    rcc_status s = rcc_predictions_load(pred_path, &p);
    if (s != RCC_OK) {
        fprintf(stderr, "rcc eval: %s\n", rcc_last_error());
        return 1;
    }
    int *labels = NULL;
    size_t nl = 0;
    if (labels_path && (s = rcc_labels_load(labels_path, &labels, &nl)) != RCC_OK) {
        fprintf(stderr, "rcc eval: %s\n", rcc_last_error());
        rcc_predictions_free(&p);
        return 1;
    }
    int status = 1;
    int64_t *sizes = NULL, *table = NULL, *class_sizes = NULL, *sorted = NULL;
    int *map = NULL;
    int k = rcc_label_range(p.cluster, p.n);
    if (p.k_soft > k)
        k = p.k_soft;
    if (clusters > 0) {
        if (clusters < k) {
            fprintf(stderr, "rcc eval: --clusters %d but the predictions use cluster id %d\n", clusters, k - 1);
            goto done;
        }
        k = clusters;
    }
    if (k > 100000) {
        fprintf(stderr, "rcc eval: cluster id %d is too large (ids must be below 100000)\n", k - 1);
        goto done;
    }
    if (p.n == 0 || k < 1) {
        fprintf(stderr, "rcc eval: %s holds no predictions\n", pred_path);
        goto done;
    }
    if (labels && nl != p.n) {
        fprintf(stderr, "rcc eval: %zu predictions in %s but %zu labels in %s\n", p.n, pred_path, nl, labels_path);
        goto done;
    }
    sizes = malloc((size_t)k * sizeof *sizes);
    rcc_assign_stats as;
    if (!sizes ||
        rcc_assign_stats_compute(p.cluster, p.n, k, p.k_soft == k ? p.soft : NULL, p.confidence, sizes, &as) !=
            RCC_OK) {
        fprintf(stderr, "rcc eval: %s\n", sizes ? rcc_last_error() : "out of memory");
        goto done;
    }
    int c = 0;
    double acc = NAN, nmi = NAN, ari = NAN;
    rcc_size_profile prof;
    if (!labels) { /* the clusters' own profile: sorted sizes and their imbalance */
        sorted = malloc((size_t)k * sizeof *sorted);
        if (!sorted || rcc_size_profile_compare(sizes, k, sizes, k, &prof, sorted, NULL) != RCC_OK) {
            fprintf(stderr, "rcc eval: %s\n", sorted ? rcc_last_error() : "out of memory");
            goto done;
        }
    }
    if (labels) {
        c = rcc_label_range(labels, nl);
        if (c < 1 || c > 100000) {
            fprintf(stderr, "rcc eval: %s: labels must be integers in 0..99999\n", labels_path);
            goto done;
        }
        table = malloc((size_t)k * c * sizeof *table);
        map = malloc((size_t)k * sizeof *map);
        if (!table || !map || rcc_contingency(p.cluster, labels, p.n, k, c, table) != RCC_OK ||
            rcc_cluster_acc(table, k, c, &acc, map) != RCC_OK) {
            fprintf(stderr, "rcc eval: %s\n", table && map ? rcc_last_error() : "out of memory");
            goto done;
        }
        class_sizes = calloc((size_t)c, sizeof *class_sizes);
        sorted = malloc(2 * (size_t)(k > c ? k : c) * sizeof *sorted);
        if (!class_sizes || !sorted) {
            fprintf(stderr, "rcc eval: out of memory\n");
            goto done;
        }
        for (int i = 0; i < k; i++)
            for (int j = 0; j < c; j++)
                class_sizes[j] += table[(size_t)i * c + j];
        if (rcc_size_profile_compare(sizes, k, class_sizes, c, &prof, sorted, sorted + (k > c ? k : c)) != RCC_OK) {
            fprintf(stderr, "rcc eval: %s\n", rcc_last_error());
            goto done;
        }
        nmi = rcc_nmi(table, k, c);
        ari = rcc_ari(table, k, c);
        if (confusion && rcc_plot_confusion(confusion, table, k, c, "Confusion matrix") != RCC_OK) {
            fprintf(stderr, "rcc eval: %s\n", rcc_last_error());
            goto done;
        }
    }
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "n", (double)p.n);
        cJSON_AddNumberToObject(o, "clusters", k);
        cJSON_AddNumberToObject(o, "nonempty", as.nonempty);
        cJSON *sz = cJSON_AddArrayToObject(o, "sizes");
        for (int i = 0; i < k; i++)
            cJSON_AddItemToArray(sz, cJSON_CreateNumber((double)sizes[i]));
        cli_json_num(o, "size_entropy", as.size_entropy);
        cli_json_num(o, "size_entropy_norm", as.size_entropy_norm);
        cli_json_num(o, "mean_confidence", as.mean_confidence);
        cli_json_num(o, "mean_soft_entropy", as.mean_soft_entropy);
        cJSON *ss = cJSON_AddArrayToObject(o, "sizes_sorted");
        for (int i = 0; i < prof.parts; i++)
            cJSON_AddItemToArray(ss, cJSON_CreateNumber((double)sorted[i]));
        cli_json_num(o, "imbalance", prof.ratio_pred);
        if (labels) {
            cJSON *cs = cJSON_AddArrayToObject(o, "class_sizes_sorted");
            for (int i = 0; i < prof.parts; i++)
                cJSON_AddItemToArray(cs, cJSON_CreateNumber((double)sorted[prof.parts + i]));
            cli_json_num(o, "class_imbalance", prof.ratio_true);
            cli_json_num(o, "size_tv", prof.tv);
            cli_json_num(o, "size_kl", prof.kl);
            cJSON_AddNumberToObject(o, "classes", c);
            cli_json_num(o, "acc", acc);
            cli_json_num(o, "nmi", nmi);
            cli_json_num(o, "ari", ari);
            cJSON *m = cJSON_AddArrayToObject(o, "cluster_to_class");
            for (int i = 0; i < k; i++)
                cJSON_AddItemToArray(m, cJSON_CreateNumber(map[i]));
        }
        char *txt = cJSON_PrintUnformatted(o);
        printf("%s\n", txt);
        cJSON_free(txt);
        cJSON_Delete(o);
    } else {
        printf("rcc eval: %zu points, %d clusters (%d non-empty)", p.n, k, as.nonempty);
        if (labels)
            printf(", %d classes", c);
        printf("\n");
        if (labels) {
            printf("  ACC %.4f   NMI %.4f   ARI %.4f\n", acc, nmi, ari);
            printf("  cluster -> class (Hungarian):");
            for (int i = 0; i < k; i++) {
                if (map[i] >= 0)
                    printf(" %d->%d", i, map[i]);
                else
                    printf(" %d->-", i);
            }
            printf("\n");
        }
        printf("  cluster sizes:");
        for (int i = 0; i < k; i++)
            printf(" %d:%lld", i, (long long)sizes[i]);
        printf("\n  sizes, largest first: clusters");
        for (int i = 0; i < prof.parts; i++)
            printf(" %lld", (long long)sorted[i]);
        if (labels) {
            printf("\n                        classes ");
            for (int i = 0; i < prof.parts; i++)
                printf(" %lld", (long long)sorted[prof.parts + i]);
            printf("\n  largest/smallest: clusters %.1f, classes %.1f; sorted shares apart by TV %.3f, "
                   "KL(classes||clusters) %.3f nats",
                   prof.ratio_pred, prof.ratio_true, prof.tv, prof.kl);
        } else {
            printf("\n  largest/smallest: %.1f", prof.ratio_pred);
        }
        printf("\n  size entropy %.4f nats (%.3f of log K)", as.size_entropy, as.size_entropy_norm);
        if (isfinite(as.mean_confidence))
            printf("; mean confidence %.4f", as.mean_confidence);
        if (isfinite(as.mean_soft_entropy))
            printf("; mean assignment entropy %.4f nats", as.mean_soft_entropy);
        printf("\n");
        if (confusion)
            printf("  confusion matrix: %s\n", confusion);
    }
    status = 0;
done:
    free(sizes), free(table), free(map), free(labels), free(class_sizes), free(sorted);
    rcc_predictions_free(&p);
    return status;
}
