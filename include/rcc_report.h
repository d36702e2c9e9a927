/* rcc_report.h — public API of librcc_report: what a trained model made of a data set, as one
 * HTML page a person opens from disk (`rcc report`, docs/report.md). The page shows the cluster
 * sizes and the confidence distribution, a card per cluster with its most and least typical
 * images and a random sample, the outliers over the whole set, the run's pictures (librcc_plot)
 * and, with labels, the scores, the confusion matrix and each cluster's majority class; and the
 * images of a data set sorted into a folder per cluster (`rcc predict --sort-into`). A library
 * of its own on librcc_plot and librcc; link with -lrcc_report -lrcc_plot -lrcc. Like rcc.h: no
 * call prints or exits; every call returns an rcc_status (rcc_last_error() says what failed). */
#ifndef RCC_REPORT_H
#define RCC_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rcc.h"
#include "rcc_data.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *out_dir;   /* the report's folder (required; created when missing, its parent must
                            * exist). Every file is written inside it under a fixed name or a name
                            * made of an image's index, never of text from the data. */
    const char *run_dir;   /* the training run's folder, for its metrics.jsonl (training curves); NULL: none */
    const char *title;     /* the page's heading (NULL: "rcc report") */
    const char *model_name; /* how the page names the model (NULL: not named) */
    const char *const *class_names; /* num_classes names of the labels (NULL: taken from the data set's
                            * folder names when it has class subfolders, else the label numbers) */
    int typical;           /* most typical (highest confidence) thumbnails per cluster (default 12) */
    int atypical;          /* least typical per cluster (default 6) */
    int sample;            /* a random sample per cluster, seeded (default 12) */
    int outliers;          /* lowest-confidence images over the whole set shown (default 48) */
    int outliers_csv;      /* > 0: also write outliers.csv with this many rows (default 0: none) */
    int thumb_side;        /* thumbnails fit this many pixels (default 64; never enlarged) */
    int vote;              /* the head's clusters refined by each image's `vote` nearest neighbours in the
                            * stage-3 features, as `rcc predict` does (rcc_vote with the rest of
                            * rcc_vote_config_default; default its knn, 30; 0: the head alone; not above
                            * RCC_VOTE_MAX_POINTS images) */
    bool use_labels;       /* score against the data set's labels when it has them (default true) */
    bool pictures;         /* the sphere, the training curves, the choice of k (default true) */
    int kselect_sample;    /* points of h for the choice of k (default 3000; seeded subsample) */
    int kselect_kmax;      /* its sweep k = 1..kmax (default 20) */
    uint64_t seed;         /* the random samples and subsamples (default 1) */
    /* Called between the stages (inference, thumbnails, pictures, page) with a short phrase; NULL: quiet. */
    void (*on_stage)(const char *stage, void *user);
    void *user;
} rcc_report_options;

/* What was written. */
typedef struct {
    int n, k;              /* images, clusters */
    int nonempty;          /* clusters with at least one image */
    double mean_confidence;
    bool labelled;         /* scored against labels */
    double acc, nmi, ari;  /* NaN unless labelled */
    int thumbnails;        /* thumbnail files written */
    int files;             /* files written in all (index.html included) */
    uint64_t bytes;        /* their bytes */
    uint64_t html_bytes;   /* index.html's bytes */
    int voted;             /* neighbours of the refinement (0: none) */
    int moved;             /* images it moved to another cluster */
    int vote_refused;      /* > 0: the vote would have moved this many, too many: not applied */
} rcc_report_summary;

/* Fills o with the defaults above (out_dir NULL). */
void rcc_report_defaults(rcc_report_options *o);

/* Assigns every image of d with net (rcc_net_assign_data; a data set of the other kind, gray or
 * colour, is converted for the network while the thumbnails keep its own) and writes
 * out_dir/index.html, out_dir/thumbs/INDEX.png, the pictures, and outliers.csv when asked.
 * Existing files of those names are replaced (a new file renamed over them: a link or symlink
 * planted there is replaced, never written through); a thumbs entry that is not a real folder
 * is refused. summary may be NULL. */
rcc_status rcc_report_write(rcc_net *net, const rcc_dataset *d, const rcc_report_options *o,
                            rcc_report_summary *summary);

/* Text made safe for HTML, in element content and in quoted attribute values alike: & < > " '
 * become character references, bytes that are not well-formed UTF-8 become U+FFFD (one per
 * bad byte), and control characters other than tab, line feed and carriage return become U+FFFD.
 * Writes at most cap bytes including the terminating NUL into dst (dst may be NULL when cap is 0)
 * and returns the length of the whole escaped text, as snprintf does. The report writes every
 * piece of text that reaches its HTML through this function. */
size_t rcc_html_escape(char *dst, size_t cap, const char *s);

/* ---------------------------------------------------------------- sorting into folders */

typedef enum {
    RCC_SORT_LINK,    /* hard links; copies when the folder is on another file system (or links are refused) */
    RCC_SORT_SYMLINK, /* symlinks to the originals' absolute paths */
    RCC_SORT_COPY     /* copies */
} rcc_sort_mode;

typedef struct {
    int linked, symlinked, copied; /* images with a file of their own */
    int written;                   /* images without one (IDX, .npy), written as PNG named by index */
    int renamed;                   /* of all these, entries that took a suffix because the name was taken */
    bool fell_back;                /* hard links were asked for and copies made instead */
} rcc_sort_summary;

/* Puts image i of d into dir/cluster-NN/ (NN: cluster[i], zero-padded to at least two digits and
 * to the digits K - 1 needs; dir and the K folders are created when missing). An image whose
 * name (d->names) is a file is linked, symlinked or copied under its own base name; any other
 * (IDX, .npy: no file of its own) is written as a PNG named by its index (0042.png). Nothing
 * existing is replaced or moved: a name already taken gets a suffix before its extension
 * (name-1.png, name-2.png ...). When hard links fail across file systems the rest are copied
 * and on_note (may be NULL) is called once to say so. A cluster folder that is a symlink is refused. */
rcc_status rcc_sort_into(const char *dir, const rcc_dataset *d, const int *cluster, int k, rcc_sort_mode mode,
                         rcc_sort_summary *sum, void (*on_note)(const char *note, void *user), void *user);

#ifdef __cplusplus
}
#endif
#endif
