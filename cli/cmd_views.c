/* cmd_views.c — `rcc views`: a PNG grid (cairo) showing, for a few images of a data set, the
 * evaluation view and several augmented views, so a user can see what an augmentation preset does. */
#include <cairo.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "rcc_data.h"

#define MARGIN 12
#define GAP 6
#define HEADER 46
#define LABEL_W 96
#define CAPTION 16

/* Paints one C×S×S image (values in [0, 1]) at (x, y), magnified `scale` times without smoothing. */
static int draw_tile(cairo_t *cr, const float *img, int c, int s, int scale, double x, double y)
{
    cairo_surface_t *tile = cairo_image_surface_create(CAIRO_FORMAT_RGB24, s, s);
    if (cairo_surface_status(tile) != CAIRO_STATUS_SUCCESS)
        return -1;
    cairo_surface_flush(tile);
    unsigned char *data = cairo_image_surface_get_data(tile);
    int stride = cairo_image_surface_get_stride(tile);
    size_t hw = (size_t)s * s;
    for (int yy = 0; yy < s; yy++) {
        uint32_t *row = (uint32_t *)(data + (size_t)yy * stride);
        for (int xx = 0; xx < s; xx++) {
            size_t i = (size_t)yy * s + xx;
            uint32_t rgb[3];
            for (int ch = 0; ch < 3; ch++) {
                float v = img[(c == 3 ? ch : 0) * hw + i];
                v = v < 0 ? 0 : v > 1 ? 1 : v;
                rgb[ch] = (uint32_t)(v * 255.0f + 0.5f);
            }
            row[xx] = rgb[0] << 16 | rgb[1] << 8 | rgb[2];
        }
    }
    cairo_surface_mark_dirty(tile);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, scale, scale);
    cairo_set_source_surface(cr, tile, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, s, s);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(tile);
    return 0;
}

static void text(cairo_t *cr, double x, double y, double size, const char *s)
{
    cairo_set_font_size(cr, size);
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
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
        {"preset", 'p', OPT_STR, &preset, "augmentation preset: paper, cpu or none"},
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
    if (size < 4 || size > 1024 || count < 1 || count > 256 || views < 0 || views > 64 || scale < 0 || scale > 32 ||
        epoch < 0) {
        fprintf(stderr, "rcc views: need 4 <= --size <= 1024, 1 <= --count <= 256, 0 <= --views <= 64, "
                        "0 <= --scale <= 32, --epoch >= 0\n");
        return 2;
    }
    rcc_aug_config aug;
    if (rcc_aug_preset(&aug, preset) != RCC_OK) {
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

    char head1[512], head2[512], line[512];
    snprintf(head1, sizeof head1, "%s%s: %d images, %dx%dx%d", data.v[0], data.n > 1 ? " (+ more)" : "", d.n, d.c, d.h,
             d.w);
    snprintf(head2, sizeof head2,
             "preset %s, S = %d, seed %d, epoch %d  |  crop area %.2f-%.2f, jitter p %.1f, gray p %.1f, blur p %.1f "
             "(sigma %.1f-%.1f, kernel %d)",
             preset, size, seed, epoch, (double)aug.crop_area_min, (double)aug.crop_area_max, (double)aug.jitter_prob,
             (double)aug.gray_prob, (double)aug.blur_prob, (double)aug.blur_sigma_min, (double)aug.blur_sigma_max,
             rcc_aug_blur_kernel(&aug, size));
    int tile = size * scale, cols = 1 + views;
    int width = 2 * MARGIN + LABEL_W + cols * tile + (cols - 1) * GAP;
    int height = 2 * MARGIN + HEADER + CAPTION + count * tile + (count - 1) * GAP;
    { /* wide enough for the header text */
        cairo_surface_t *s1 = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
        cairo_t *c1 = cairo_create(s1);
        cairo_select_font_face(c1, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
        cairo_text_extents_t e1, e2;
        cairo_set_font_size(c1, 14);
        cairo_text_extents(c1, head1, &e1);
        cairo_set_font_size(c1, 11);
        cairo_text_extents(c1, head2, &e2);
        int need = 2 * MARGIN + (int)(e1.x_advance > e2.x_advance ? e1.x_advance : e2.x_advance) + 1;
        if (cairo_status(c1) == CAIRO_STATUS_SUCCESS && need > width && need < 4096)
            width = need;
        cairo_destroy(c1);
        cairo_surface_destroy(s1);
    }
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(surf);
    float *img = malloc((size_t)d.c * size * size * sizeof *img);
    int rc = 0;
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS || !img) {
        fprintf(stderr, "rcc views: cannot make a %dx%d picture\n", width, height);
        rc = 1;
    }
    if (!rc) {
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text(cr, MARGIN, MARGIN + 14, 14, head1);
        text(cr, MARGIN, MARGIN + 34, 11, head2);
        double top = MARGIN + HEADER + CAPTION;
        for (int v = 0; v < cols; v++) {
            if (v == 0)
                snprintf(line, sizeof line, "evaluation");
            else
                snprintf(line, sizeof line, "view %d", v);
            text(cr, MARGIN + LABEL_W + v * (tile + GAP), top - 5, 11, line);
        }
        for (int k = 0; k < count && !rc; k++) {
            int index = (int)((long long)k * d.n / count);
            double y = top + k * (tile + GAP);
            snprintf(line, sizeof line, "#%d", index);
            text(cr, MARGIN, y + 14, 12, line);
            if (d.labels) {
                snprintf(line, sizeof line, "label %d", d.labels[index]);
                text(cr, MARGIN, y + 30, 12, line);
            }
            for (int v = 0; v < cols && !rc; v++) {
                if (v == 0)
                    rcc_eval_view(&d, index, size, img);
                else
                    rcc_augment(&aug, &d, index, size, (uint64_t)seed, (uint64_t)epoch, v - 1, img);
                rc = draw_tile(cr, img, d.c, size, scale, MARGIN + LABEL_W + v * (tile + GAP), y);
            }
        }
        if (rc)
            fprintf(stderr, "rcc views: cairo could not make an image tile\n");
    }
    if (!rc) {
        cairo_surface_flush(surf);
        cairo_status_t cs = cairo_surface_write_to_png(surf, out);
        if (cs != CAIRO_STATUS_SUCCESS) {
            fprintf(stderr, "rcc views: cannot write %s: %s\n", out, cairo_status_to_string(cs));
            rc = 1;
        } else {
            printf("wrote %s (%dx%d): %d images x (evaluation + %d augmented views), preset %s, S = %d\n", out, width,
                   height, count, views, preset, size);
        }
    }
    free(img);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    rcc_dataset_free(&d);
    return rc;
}
