/* rcc_plot.h — public API of librcc_plot: PNG pictures (drawn with cairo) of what librcc computes:
 * features on the unit sphere, the equal-area cell map, the k-selection curves, training curves
 * from a metrics log, a confusion matrix; and a grid of images (augmented views). A library of its
 * own, so that librcc needs no drawing library; link with -lrcc_plot -lrcc (pkg-config rcc-plot). Every call writes one PNG file and
 * returns an rcc_status (rcc_last_error() says what went wrong); none prints or exits. */
#ifndef RCC_PLOT_H
#define RCC_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rcc.h"
#include "rcc_eval.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ features on the sphere */

typedef struct {
    int views;        /* viewpoints side by side (default 3: front, back, top) */
    int panel;        /* pixels per view (default 420) */
    float point_size; /* radius in pixels (default: from N) */
    bool hide_back;   /* hide back-facing points instead of dimming them */
    int max_points;   /* seeded subsample when N is larger (default 30000; 0 = all) */
    uint64_t seed;
    const char *title;       /* NULL: "Features h on the unit sphere" */
    const char *legend_name; /* "label" / "cluster" (default "label") */
} rcc_sphere_plot_opts;

/* Fills o with the defaults above. */
void rcc_sphere_plot_opts_default(rcc_sphere_plot_opts *o);
/* h: N×d (rows are normalised for drawing); d > 3 is drawn through its top three principal
 * components, renormalised (rcc_pca_project, named in the picture). labels (N, may be NULL) colour
 * the points. o may be NULL (the defaults). */
rcc_status rcc_plot_sphere(const char *path, const float *h, size_t n, int d, const int *labels,
                           const rcc_sphere_plot_opts *o);
/* The equal-area grid's cell counts (RCC_SPHERE_BANDS × RCC_SPHERE_SECTORS, from
 * rcc_sphere_stats_compute) as a map in Lambert's cylindrical equal-area projection (longitude
 * across, z up: equal areas on the sphere are equal areas on the map); empty cells white. */
rcc_status rcc_plot_sphere_cells(const char *path, const int *cell_counts, const rcc_sphere_stats *s,
                                 const char *title);

/* ------------------------------------------------------------------ charts */

/* WCSS (with the kneedle chord), silhouette and Calinski–Harabasz against k; chosen k marked. */
rcc_status rcc_plot_kselect(const char *path, const rcc_kselect_result *r, const char *title);
/* Training curves from a metrics JSON-lines file, read with rcc_metrics_log_load (rcc.h; the
 * rules: docs/evaluation.md): one panel per loss term over epochs, and ACC/NMI/ARI over epochs
 * when eval lines are present. */
rcc_status rcc_plot_curves(const char *path, const char *metrics_jsonl, const char *title);
/* Training seconds and ACC at each scored epoch of a metrics file: an epoch's seconds without its
 * evaluation's (eval lines written since 2026-12-07 say how long they took; older ones count as
 * 0), summed. *seconds and *acc are malloc'd (*n points); RCC_ERR_FORMAT when no eval line. */
rcc_status rcc_metrics_acc_time(const char *metrics_jsonl, double **seconds, double **acc, int *n);
/* ACC against seconds of training for `runs` metrics files on one chart (names may be NULL: the
 * paths), with a dashed line at `target` when > 0: what a preset costs to reach an accuracy. */
rcc_status rcc_plot_acc_time(const char *path, const char *const *metrics, const char *const *names, int runs,
                             double target, const char *title);
/* Confusion matrix from a K×C contingency table: rows = classes, columns = clusters ordered by
 * their Hungarian match, colour = fraction of the class, counts written in the cells. */
rcc_status rcc_plot_confusion(const char *path, const int64_t *table, int k, int c, const char *title);

/* The colour the pictures give class or cluster i (Matplotlib's tab10, then golden-angle hues), as
 * red, green, blue in [0, 1]: for pages that show the clusters beside the pictures (rcc_report.h). */
void rcc_plot_color(int i, double rgb[3]);

/* ------------------------------------------------------------------ a grid of images */

/* Fills img (channels planes of size×size floats, values in [0, 1]; others are clamped) with the
 * image of tile (row, col). A status other than RCC_OK stops the picture. */
typedef rcc_status (*rcc_grid_tile_fn)(void *user, int row, int col, float *img);

typedef struct {
    int rows, cols;                /* tiles */
    int channels;                  /* 1 (gray) or 3 (RGB) */
    int size;                      /* tile side in image pixels */
    int scale;                     /* magnification of each pixel, without smoothing (>= 1) */
    const char *title;             /* first header line (may be NULL) */
    const char *subtitle;          /* second header line, smaller (may be NULL) */
    const char *const *col_labels; /* cols captions above the columns (may be NULL) */
    const char *const *row_labels; /* rows labels left of the rows, lines split at '\n' (may be NULL) */
} rcc_image_grid;

/* An RGB PNG of rows × cols images, as `rcc views` draws its augmented views: a header, a caption
 * above each column, a label beside each row. The tiles are asked of tile(user, row, col, img) one
 * at a time, row by row, so only one is held in memory. width and height (may be NULL) receive
 * the picture's size: wide enough for the header, as the tiles need otherwise. */
rcc_status rcc_plot_image_grid(const char *path, const rcc_image_grid *g, rcc_grid_tile_fn tile, void *user,
                               int *width, int *height);

#ifdef __cplusplus
}
#endif
#endif
