/* cmd_subset.c — `rcc subset`: the long-tailed benchmark sets (docs/data.md). From a labelled data
 * set it keeps, per class, a share that falls exponentially with the class's rank (ratio largest /
 * smallest), and writes the subset where training and scoring can read it: gray 8-bit arrays as
 * IDX files, image files as symbolic links in class folders (the originals untouched), and a
 * selection.csv naming each kept image's place in the source and its half (dev or holdout). */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "rcc_data.h"

/* "dir/<class folder>/<file name>" of a source image path, made under out (folders created). */
static rcc_status link_image(const char *out, const char *src, char *made, size_t size)
{
    char abs[RCC_PATH_MAX];
    if (!realpath(src, abs))
        return rcc_fail(RCC_ERR_IO, "%s: %s", src, strerror(errno));
    const char *base = strrchr(abs, '/');
    const char *cls_end = base;
    const char *cls = cls_end;
    while (cls > abs && cls[-1] != '/')
        cls--;
    char folder[RCC_PATH_MAX];
    int n = snprintf(folder, sizeof folder, "%s/%.*s", out, (int)(cls_end - cls), cls);
    if (n < 0 || (size_t)n >= sizeof folder || snprintf(made, size, "%s%s", folder, base) >= (int)size)
        return rcc_fail(RCC_ERR_ARG, "%s: the path under %s is too long", src, out);
    if (mkdir(folder, 0755) != 0 && errno != EEXIST)
        return rcc_fail(RCC_ERR_IO, "%s: %s", folder, strerror(errno));
    if (symlink(abs, made) != 0)
        return rcc_fail(RCC_ERR_IO, "%s: %s%s", made, strerror(errno),
                        errno == EEXIST ? " (two sources share a class folder and file name, or --out is not new)"
                                        : "");
    return RCC_OK;
}

int cmd_subset(int argc, char **argv)
{
    cli_strs data = {0}, labels = {0};
    const char *out = NULL;
    float ratio = 0;
    int n_max = 0, seed = 1;
    const cli_opt opts[] = {
        {"data", 'd', OPT_STRS, &data, "labelled images: IDX file, .npy, or a folder of class subfolders (repeatable)"},
        {"labels", 'l', OPT_STRS, &labels, "label file for each --data (IDX files find theirs beside them)"},
        {"long-tail", 'r', OPT_FLOAT, &ratio, "imbalance ratio: largest class / smallest class (>= 1; 1: balanced)"},
        {"max-per-class", 'n', OPT_INT, &n_max, "images kept of the largest class (0: the smallest class's size)"},
        {"seed", 0, OPT_INT, &seed, "seed of the class order and of the images drawn"},
        {"out", 'o', OPT_STR, &out, "new folder: images-idx3-ubyte.gz + labels-idx1-ubyte.gz, or images/ (class "
                                    "folders of links); selection.csv"},
        {0},
    };
    const char *summary =
        "Make a long-tailed subset of a labelled data set: the classes, in an order drawn from --seed, keep\n"
        "n_r = n_max * ratio^(-r/(C-1)) images at rank r (docs/data.md). Gray 8-bit arrays are written as IDX\n"
        "files, image files as symbolic links in OUT/images/<class>/; selection.csv lists index,source_index,label,\n"
        "half (dev: the first half of each class in the source's order; holdout: the rest). Prints what --data takes.";
    int r = cli_parse("subset", summary, opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!data.n || !out || ratio == 0) {
        fprintf(stderr, "rcc subset: --data, --long-tail and --out are required (see 'rcc subset --help')\n");
        return 2;
    }
    if (labels.n && labels.n != data.n) {
        fprintf(stderr, "rcc subset: give one --labels per --data (%d vs %d)\n", labels.n, data.n);
        return 2;
    }
    if (!(ratio >= 1) || n_max < 0 || seed < 0) {
        fprintf(stderr, "rcc subset: need --long-tail >= 1, --max-per-class >= 0, --seed >= 0\n");
        return 2;
    }
    if (mkdir(out, 0755) != 0) {
        fprintf(stderr, "rcc subset: %s: %s (give a new folder)\n", out, strerror(errno));
        return errno == EEXIST ? 2 : 1;
    }
    rcc_dataset d, s = {0};
    if (rcc_dataset_load(&d, data.v, data.n, labels.n ? labels.v : NULL) != RCC_OK) {
        fprintf(stderr, "rcc subset: %s\n", rcc_last_error());
        return 1;
    }
    int status = 1, *index = NULL, count = 0, *order = NULL, *counts = NULL, *sizes = NULL, *rank_in = NULL;
    FILE *sel = NULL;
    char path[RCC_PATH_MAX], made[RCC_PATH_MAX];
    if (!d.labels) {
        fprintf(stderr, "rcc subset: the data has no labels: a long tail is made of classes (give --labels, or a "
                        "folder of class subfolders)\n");
        goto done;
    }
    int C = d.num_classes;
    order = malloc((size_t)C * sizeof *order), counts = calloc((size_t)C, sizeof *counts);
    sizes = malloc((size_t)C * sizeof *sizes), rank_in = malloc((size_t)d.n * sizeof *rank_in);
    if (!order || !counts || !sizes || !rank_in) {
        fprintf(stderr, "rcc subset: out of memory\n");
        goto done;
    }
    for (int i = 0; i < d.n; i++)
        rank_in[i] = counts[d.labels[i]]++; /* the image's place among its class, in source order */
    if (rcc_long_tail_sizes(counts, C, ratio, n_max, (uint64_t)seed, order, sizes) != RCC_OK ||
        rcc_long_tail_select(d.labels, d.n, C, ratio, n_max, (uint64_t)seed, &index, &count) != RCC_OK ||
        rcc_dataset_subset(&d, index, count, &s) != RCC_OK) {
        fprintf(stderr, "rcc subset: %s\n", rcc_last_error());
        goto done;
    }
    bool files = d.names != NULL;
    for (int i = 0; files && i < d.n; i++)
        files = d.names[i] && access(d.names[i], R_OK) == 0;
    if (!files && !(s.u8 && s.c == 1)) {
        fprintf(stderr, "rcc subset: the images are neither files nor gray 8-bit arrays (%d channel(s)); "
                        "only those can be written\n", s.c);
        goto done;
    }
    if (rcc_path_join(path, sizeof path, out, "selection.csv") != RCC_OK || !(sel = fopen(path, "w"))) {
        fprintf(stderr, "rcc subset: %s: cannot create\n", path);
        goto done;
    }
    char images[RCC_PATH_MAX] = "";
    if (files && (rcc_path_join(images, sizeof images, out, "images") != RCC_OK || mkdir(images, 0755) != 0)) {
        fprintf(stderr, "rcc subset: %s: cannot create the images folder\n", out);
        goto done;
    }
    fprintf(sel, "index,source_index,label,half%s\n", files ? ",file" : "");
    for (int j = 0; j < count; j++) {
        int i = index[j];
        const char *half = rank_in[i] < counts[d.labels[i]] / 2 ? "dev" : "holdout";
        if (files) {
            if (link_image(images, d.names[i], made, sizeof made) != RCC_OK) {
                fprintf(stderr, "rcc subset: %s\n", rcc_last_error());
                goto done;
            }
            fprintf(sel, "%d,%d,%d,%s,%s\n", j, i, d.labels[i], half, made + strlen(images) + 1);
        } else {
            fprintf(sel, "%d,%d,%d,%s\n", j, i, d.labels[i], half);
        }
    }
    if (fclose(sel) != 0) {
        sel = NULL;
        fprintf(stderr, "rcc subset: %s: write failed\n", path);
        goto done;
    }
    sel = NULL;
    if (!files) {
        char lp[RCC_PATH_MAX];
        if (rcc_path_join(path, sizeof path, out, "images-idx3-ubyte.gz") != RCC_OK ||
            rcc_path_join(lp, sizeof lp, out, "labels-idx1-ubyte.gz") != RCC_OK ||
            rcc_dataset_write_idx(&s, path, lp) != RCC_OK) {
            fprintf(stderr, "rcc subset: %s\n", rcc_last_error());
            goto done;
        }
    }
    fprintf(stderr, "rcc subset: %d of %d images, %d classes, ratio %g; largest first:", count, d.n, C,
            (double)ratio);
    for (int k = 0; k < C; k++)
        fprintf(stderr, " %d:%d", order[k], sizes[order[k]]);
    fprintf(stderr, "\n");
    printf("%s\n", files ? images : path); /* what --data takes */
    status = 0;
done:
    if (sel)
        fclose(sel);
    free(index), free(order), free(counts), free(sizes), free(rank_in);
    rcc_dataset_free(&s);
    rcc_dataset_free(&d);
    return status;
}
