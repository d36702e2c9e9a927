/* cmd_views.c — `rcc views`: a PNG grid showing, for a few images of a data set, the evaluation
 * view and several augmented views, so a user can see what an augmentation preset does. The
 * picture is librcc_plot's image grid; this file chooses the images and writes the captions. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "rcc_data.h"
#include "rcc_plot.h"

#define MAX_COUNT 256 /* images (rows) */
#define MAX_VIEWS 64  /* augmented views per image */

/* What the grid asks for: row k is image index_of(k), column 0 its evaluation view, column v its
 * augmented view v − 1. */
typedef struct {
    const rcc_dataset *d;
    const rcc_aug_config *aug;
    int count, size, seed, epoch;
} views_source;

static int index_of(const views_source *v, int k) { return (int)((long long)k * v->d->n / v->count); }

static rcc_status view_tile(void *user, int row, int col, float *img)
{
    const views_source *v = user;
    int index = index_of(v, row);
    if (col == 0)
        rcc_eval_view(v->d, index, v->size, img);
    else
        rcc_augment(v->aug, v->d, index, v->size, (uint64_t)v->seed, (uint64_t)v->epoch, col - 1, img);
    return RCC_OK;
}

int cmd_views(int argc, char **argv)
{
    cli_strs data = {0}, labels = {0};
    const char *preset = "paper", *out = NULL;
    int size = 64, count = 8, views = 6, seed = 1, epoch = 0, scale = 0;
    const cli_opt opts[] = {
        {"data", 'd', OPT_STRS, &data, "images: IDX file, .npy, or a folder of PNG/JPEG (repeat to concatenate)"},
        {"labels", 'l', OPT_STRS, &labels,
         "label file (IDX or .npy) for each --data (optional; shown beside each row)"},
        {"preset", 'p', OPT_STR, &preset, "augmentation preset: paper, cpu, photo or none"},
        {"size", 's', OPT_INT, &size, "view side S"},
        {"count", 'n', OPT_INT, &count, "images (rows), spread evenly over the data set"},
        {"views", 'v', OPT_INT, &views, "augmented views per image (columns after the evaluation view)"},
        {"seed", 0, OPT_INT, &seed, "augmentation seed"},
        {"epoch", 0, OPT_INT, &epoch, "epoch whose views to draw"},
        {"scale", 0, OPT_INT, &scale, "magnification (0: about 128 pixels per view)"},
        {"out", 'o', OPT_STR, &out, "PNG file to write"},
        {0},
    };
    const char *summary = "Write a PNG grid of images and their augmented views: one row per image, the evaluation "
                          "view first, then augmented views.";
    int r = cli_parse("views", summary, opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (!data.n || !out) {
        fprintf(stderr, "rcc views: --data and --out are required (see 'rcc views --help')\n");
        return 2;
    }
    if (labels.n && labels.n != data.n) {
        fprintf(stderr, "rcc views: give one --labels per --data (%d vs %d)\n", labels.n, data.n);
        return 2;
    }
    if (size < 4 || size > 1024 || count < 1 || count > MAX_COUNT || views < 0 || views > MAX_VIEWS || scale < 0 ||
        scale > 32 || epoch < 0) {
        fprintf(stderr, "rcc views: need 4 <= --size <= 1024, 1 <= --count <= 256, 0 <= --views <= 64, "
                        "0 <= --scale <= 32, --epoch >= 0\n");
        return 2;
    }
    rcc_aug_config aug;
    rcc_augment_preset ap;
    if (rcc_augment_preset_parse(preset, &ap) != RCC_OK || rcc_aug_preset(&aug, ap) != RCC_OK) {
        fprintf(stderr, "rcc views: %s\n", rcc_last_error());
        return 2;
    }
    rcc_dataset d;
    rcc_data_report rep;
    rcc_status st = rcc_dataset_load_report(&d, data.v, data.n, labels.n ? labels.v : NULL, &rep);
    if (st != RCC_OK) {
        fprintf(stderr, "rcc views: %s: %s\n", rcc_strerror(st), rcc_last_error());
        return 1;
    }
    if (rep.skipped_files)
        fprintf(stderr, "rcc views: warning: skipped %d file(s) that are not .png/.jpg/.jpeg images (first: %s)\n",
                rep.skipped_files, rep.first_skipped);
    if (rep.resized)
        fprintf(stderr, "rcc views: warning: %d image(s) resized to the first image's %dx%d\n", rep.resized, d.w, d.h);
    if (rep.gray_to_rgb)
        fprintf(stderr, "rcc views: note: %d gray image(s) turned to 3 channels to match colour ones\n",
                rep.gray_to_rgb);
    if (rep.labels_dropped)
        fprintf(stderr, "rcc views: warning: some sources have no labels, so labels are ignored\n");
    if (count > d.n)
        count = d.n;
    if (!scale)
        scale = size >= 128 ? 1 : 128 / size;

    char head1[512], head2[512];
    snprintf(head1, sizeof head1, "%s%s: %d images, %dx%dx%d", data.v[0], data.n > 1 ? " (+ more)" : "", d.n, d.c, d.h,
             d.w);
    snprintf(head2, sizeof head2,
             "preset %s, S = %d, seed %d, epoch %d  |  crop area %.2f-%.2f, jitter p %.1f, gray p %.1f, blur p %.1f "
             "(sigma %.1f-%.1f, kernel %d)",
             preset, size, seed, epoch, (double)aug.crop_area_min, (double)aug.crop_area_max, (double)aug.jitter_prob,
             (double)aug.gray_prob, (double)aug.blur_prob, (double)aug.blur_sigma_min, (double)aug.blur_sigma_max,
             rcc_aug_blur_kernel(&aug, size));
    views_source src = {&d, &aug, count, size, seed, epoch};
    int cols = 1 + views;
    char col_text[1 + MAX_VIEWS][16], row_text[MAX_COUNT][48];
    const char *col_labels[1 + MAX_VIEWS], *row_labels[MAX_COUNT];
    for (int v = 0; v < cols; v++) {
        if (v == 0)
            snprintf(col_text[v], sizeof col_text[v], "evaluation");
        else
            snprintf(col_text[v], sizeof col_text[v], "view %d", v);
        col_labels[v] = col_text[v];
    }
    for (int k = 0; k < count; k++) {
        int index = index_of(&src, k);
        if (d.labels)
            snprintf(row_text[k], sizeof row_text[k], "#%d\nlabel %d", index, d.labels[index]);
        else
            snprintf(row_text[k], sizeof row_text[k], "#%d", index);
        row_labels[k] = row_text[k];
    }
    rcc_image_grid g = {count, cols, d.c, size, scale, head1, head2, col_labels, row_labels};
    int width = 0, height = 0, rc = 0;
    if (rcc_plot_image_grid(out, &g, view_tile, &src, &width, &height) != RCC_OK) {
        fprintf(stderr, "rcc views: %s\n", rcc_last_error());
        rc = 1;
    } else {
        printf("wrote %s (%dx%d): %d images x (evaluation + %d augmented views), preset %s, S = %d\n", out, width,
               height, count, views, preset, size);
    }
    rcc_dataset_free(&d);
    return rc;
}
