/* report_internal.h — how the parts of librcc_report meet: the numbers gathered from a data set
 * and a network (report.c), the output folder that every file goes through (outdir.c), and the
 * page written from them (page.c, over the escaping of html.c). */
#ifndef RCC_REPORT_INTERNAL_H
#define RCC_REPORT_INTERNAL_H

#include <stdint.h>
#include <stdio.h>
#include "rcc_report.h"

/* ---------------------------------------------------------------- the output folder */

/* The report's folder, opened once: every file is created relative to dirfd under a name the
 * report made, as a new file renamed over the old one (outdir_commit). */
typedef struct {
    int dirfd;          /* the folder */
    int thumbsfd;       /* its thumbs/ */
    char *path;         /* its real path (for librcc_plot, which takes paths) */
    int files;
    uint64_t bytes;
} outdir;

rcc_status outdir_open(outdir *od, const char *path);
void outdir_close(outdir *od);
/* A new file `name` in the folder (thumbs: in thumbs/) open for writing, under a temporary name
 * until outdir_commit. */
rcc_status outdir_create(outdir *od, bool thumbs, const char *name, FILE **f);
/* Closes f and renames it to `name` (counted); on a write error the temporary file is removed. */
rcc_status outdir_commit(outdir *od, bool thumbs, const char *name, FILE *f);
/* Writes bytes[len] as `name` (create + write + commit). */
rcc_status outdir_write(outdir *od, bool thumbs, const char *name, const void *bytes, size_t len);
/* A picture drawn by librcc_plot, which writes to a path: draw(path, user) writes a temporary
 * file in the folder (any old entry of that name removed first), which is then renamed to name. */
rcc_status outdir_picture(outdir *od, const char *name, rcc_status (*draw)(const char *path, void *user),
                          void *user);

/* ---------------------------------------------------------------- what the page shows */

typedef struct {
    const rcc_dataset *d;
    const rcc_report_options *o;
    int n, k, r;
    int *cluster;          /* n */
    float *conf;           /* n */
    float *h;              /* n × r */
    int64_t *sizes;        /* k */
    double *mean_conf;     /* k (NaN for an empty cluster) */
    /* per cluster: index lists into the data set, at [cl * cap ...], counts in the n* arrays */
    int *typical, *atypical, *sample;
    int *ntyp, *natyp, *nsamp;
    int *outliers, nout;   /* lowest confidence first */
    double mean_confidence;
    int nonempty;
    int voted, moved;      /* the neighbour vote's neighbours (0: none) and the images it moved */
    int vote_refused;      /* > 0: the images it would have moved, too many (not applied) */
    int conf_hist[20];     /* confidence in twentieths of [0, 1] */
    /* labels */
    bool labelled;
    int c;
    int64_t *table;        /* k × c */
    int *majority;         /* k: the class most of the cluster's images have (-1: empty) */
    double acc, nmi, ari;
    char **class_names;    /* c, escaped when written */
    /* pictures written (file name, or NULL) and what the page says of them */
    const char *sphere_png, *curves_png, *kselect_png, *confusion_png;
    char sphere_note[160], kselect_note[512], curves_note[160];
    int thumbnails;
} report_data;

/* The cluster's lists start at cl times this many entries. */
static inline int report_cap(const rcc_report_options *o, int which)
{
    return which == 0 ? o->typical : which == 1 ? o->atypical : o->sample;
}

/* Writes index.html from rd (page.c). */
rcc_status report_page_write(outdir *od, const report_data *rd);

/* The text of s escaped (rcc_html_escape) onto f. */
void html_text(FILE *f, const char *s);

#endif
