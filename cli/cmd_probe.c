/* cmd_probe.c — `rcc probe`: the linear probe of docs/method.md §5 on frozen features (softmax regression,
 * Adam; paper: lr 1e-4, 5 epochs) with a seeded, by default stratified, train/test split. */
#include <math.h>
#include <stdlib.h>
#include <cjson/cJSON.h>
#include "cli.h"
#include "rcc_eval.h"

int cmd_probe(int argc, char **argv)
{
    const char *feat_path = NULL, *labels_path = NULL;
    rcc_probe_config pc;
    rcc_probe_config_default(&pc);
    int seed = 0;
    bool no_stratify = false, json = false;
    const cli_opt opts[] = {
        {"features", 'f', OPT_STR, &feat_path, "features h: .npy float N x D, or numeric CSV"},
        {"labels", 'l', OPT_STR, &labels_path, "labels: IDX label file (.gz ok), CSV or .npy"},
        {"lr", 0, OPT_FLOAT, &pc.lr, "Adam learning rate (paper: 1e-4)"},
        {"epochs", 'e', OPT_INT, &pc.epochs, "training epochs (paper: 5)"},
        {"batch", 'b', OPT_INT, &pc.batch, "mini-batch size"},
        {"weight-decay", 0, OPT_FLOAT, &pc.weight_decay, "L2 weight decay"},
        {"test-frac", 0, OPT_FLOAT, &pc.test_frac, "held-out fraction"},
        {"no-stratify", 0, OPT_FLAG, &no_stratify, "split at random instead of per class"},
        {"seed", 's', OPT_INT, &seed, "seed of the split, initialisation and shuffling"},
        {"json", 0, OPT_FLAG, &json, "print one JSON object instead of text"},
        {0},
    };
    int r = cli_parse("probe",
                      "Linear probe: softmax regression from frozen features to labels, trained with Adam on\n"
                      "a seeded train split (stratified by default) and scored on the held-out split.",
                      opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!feat_path || !labels_path) {
        fprintf(stderr, "rcc probe: --features FILE and --labels FILE are required (see 'rcc probe --help')\n");
        return 2;
    }
    if (seed < 0) {
        fprintf(stderr, "rcc probe: --seed must be >= 0\n");
        return 2;
    }
    pc.seed = (uint64_t)seed;
    pc.stratified = !no_stratify;
    float *x = NULL;
    int *labels = NULL, d = 0, status = 1;
    size_t n = 0, nl = 0;
    if (rcc_features_load(feat_path, &x, &n, &d) != RCC_OK || rcc_labels_load(labels_path, &labels, &nl) != RCC_OK) {
        fprintf(stderr, "rcc probe: %s\n", rcc_last_error());
        goto done;
    }
    if (n != nl) {
        fprintf(stderr, "rcc probe: %zu feature rows in %s but %zu labels in %s\n", n, feat_path, nl, labels_path);
        goto done;
    }
    int classes = rcc_label_range(labels, nl);
    if (classes < 2) {
        fprintf(stderr, "rcc probe: need labels of at least 2 non-negative classes\n");
        goto done;
    }
    rcc_probe_result res;
    if (rcc_probe_run(x, labels, n, d, classes, &pc, &res, NULL) != RCC_OK) {
        fprintf(stderr, "rcc probe: %s\n", rcc_last_error());
        goto done;
    }
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "n_train", (double)res.n_train);
        cJSON_AddNumberToObject(o, "n_test", (double)res.n_test);
        cJSON_AddNumberToObject(o, "d", d);
        cJSON_AddNumberToObject(o, "classes", classes);
        cJSON_AddNumberToObject(o, "test_acc", res.test_acc);
        cJSON_AddNumberToObject(o, "train_acc", res.train_acc);
        cJSON_AddNumberToObject(o, "test_loss", res.test_loss);
        cJSON_AddNumberToObject(o, "train_loss", res.train_loss);
        cJSON_AddNumberToObject(o, "majority_acc", res.majority_acc);
        cJSON_AddNumberToObject(o, "lr", pc.lr);
        cJSON_AddNumberToObject(o, "epochs", pc.epochs);
        cJSON_AddNumberToObject(o, "batch", pc.batch);
        cJSON_AddNumberToObject(o, "weight_decay", pc.weight_decay);
        cJSON_AddNumberToObject(o, "test_frac", pc.test_frac);
        cJSON_AddBoolToObject(o, "stratified", pc.stratified);
        cJSON_AddNumberToObject(o, "seed", seed);
        char *txt = cJSON_PrintUnformatted(o);
        printf("%s\n", txt);
        cJSON_free(txt);
        cJSON_Delete(o);
    } else {
        printf("rcc probe: %zu points x %d features, %d classes; %s split %zu train / %zu test (seed %d)\n", n, d,
               classes, pc.stratified ? "stratified" : "random", res.n_train, res.n_test, seed);
        printf("  softmax regression, Adam lr %g, %d epochs, batch %d, weight decay %g\n", (double)pc.lr, pc.epochs,
               pc.batch, (double)pc.weight_decay);
        printf("  test accuracy  %.4f   (loss %.4f)\n", res.test_acc, res.test_loss);
        printf("  train accuracy %.4f   (loss %.4f)\n", res.train_acc, res.train_loss);
        printf("  majority-class baseline %.4f\n", res.majority_acc);
        if (res.train_acc < res.majority_acc + 0.5 * (1 - res.majority_acc) && pc.epochs * (double)pc.lr < 0.01)
            printf("  note: lr x epochs is small; if the probe underfits, try e.g. --lr 1e-2 --epochs 50\n");
    }
    status = 0;
done:
    free(x), free(labels);
    return status;
}
