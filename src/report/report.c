/* report.c — rcc_report_write: runs the network over the data set, gathers what the page shows
 * (sizes, confidences, the images each cluster card and the outliers section show, the scores
 * against labels), writes the thumbnails and the pictures into the output folder and has page.c
 * write index.html. Numbers come from librcc's evaluation (rcc_eval.h), pictures from librcc_plot. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "rcc_eval.h"
#include "rcc_plot.h"
#include "report_internal.h"
#include "rng.h"
#include "util.h"

void rcc_report_defaults(rcc_report_options *o)
{
    memset(o, 0, sizeof *o);
    o->typical = 12;
    o->atypical = 6;
    o->sample = 12;
    o->outliers = 48;
    o->thumb_side = 64;
    o->use_labels = true;
    o->pictures = true;
    o->kselect_sample = 3000;
    o->kselect_kmax = 20;
    o->seed = 1;
    rcc_vote_config vc;
    rcc_vote_config_default(&vc);
    o->vote = vc.knn;
}

static void stage(const rcc_report_options *o, const char *what)
{
    if (o->on_stage)
        o->on_stage(what, o->user);
}

static void data_free(report_data *rd)
{
    free(rd->cluster), free(rd->conf), free(rd->h), free(rd->sizes), free(rd->mean_conf);
    free(rd->typical), free(rd->atypical), free(rd->sample), free(rd->ntyp), free(rd->natyp), free(rd->nsamp);
    free(rd->outliers), free(rd->table), free(rd->majority);
    if (rd->class_names)
        for (int j = 0; j < rd->c; j++)
            free(rd->class_names[j]);
    free(rd->class_names);
}

/* The head's clusters of d, refined by the neighbour vote when asked (as `rcc predict`); the
 * confidence stays the head's probability of the image's final cluster. */
static rcc_status assign(rcc_net *net, const rcc_dataset *d, report_data *rd)
{
    int knn = rd->o->vote > 0 && d->n >= 2 && d->n <= RCC_VOTE_MAX_POINTS ? rd->o->vote : 0;
    rcc_vote_result vr;
    rcc_status st = rcc_net_assign_voted(net, d, knn, rd->cluster, NULL, rd->conf, rd->h, &vr);
    if (st == RCC_OK && knn > 0 && vr.applied)
        rd->voted = knn < d->n - 1 ? knn : d->n - 1, rd->moved = vr.moved;
    else if (st == RCC_OK && knn > 0)
        rd->vote_refused = vr.moved;
    return st;
}

/* Runs net over d; a data set of the other kind (gray, colour) goes through a converted copy. */
static rcc_status infer(rcc_net *net, const rcc_dataset *d, report_data *rd)
{
    int want = rcc_net_config(net)->in_channels;
    if (want <= 0 || want == d->c)
        return assign(net, d, rd);
    rcc_dataset copy;
    memset(&copy, 0, sizeof copy);
    copy.n = d->n, copy.c = d->c, copy.h = d->h, copy.w = d->w;
    size_t px = (size_t)d->n * d->c * d->h * d->w;
    if (d->u8) {
        copy.u8 = malloc(px);
        if (copy.u8)
            memcpy(copy.u8, d->u8, px);
    } else {
        copy.pix = malloc(px * sizeof *copy.pix);
        if (copy.pix)
            memcpy(copy.pix, d->pix, px * sizeof *copy.pix);
    }
    if (!copy.u8 && !copy.pix)
        return rcc_fail(RCC_ERR_NOMEM, "report: a %s copy of the images for the network", want == 1 ? "gray" : "colour");
    rcc_status st = rcc_dataset_convert_channels(&copy, want);
    if (st == RCC_OK)
        st = assign(net, &copy, rd);
    rcc_dataset_free(&copy);
    return st;
}

typedef struct {
    int cluster;
    float conf;
    int index;
} ranked;

/* Cluster ascending, then confidence descending, then index (a total order: the same page every time). */
static int by_cluster_conf(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->cluster != y->cluster)
        return x->cluster < y->cluster ? -1 : 1;
    if (x->conf != y->conf)
        return x->conf > y->conf ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Confidence ascending, then index. */
static int by_conf_up(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->conf != y->conf)
        return x->conf < y->conf ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Sizes, mean confidences, the histogram, each card's images and the outliers. */
static rcc_status gather(report_data *rd)
{
    const rcc_report_options *o = rd->o;
    int n = rd->n, k = rd->k;
    ranked *rk = malloc((size_t)n * sizeof *rk);
    size_t *idx = malloc((size_t)n * sizeof *idx);
    if (!rk || !idx) {
        free(rk), free(idx);
        return rcc_fail(RCC_ERR_NOMEM, "report: ranking %d images", n);
    }
    double total = 0;
    for (int i = 0; i < n; i++) {
        rk[i] = (ranked){rd->cluster[i], rd->conf[i], i};
        rd->sizes[rd->cluster[i]]++;
        rd->mean_conf[rd->cluster[i]] += rd->conf[i];
        total += rd->conf[i];
        int b = rd->conf[i] >= 0 && rd->conf[i] <= 1 ? (int)(rd->conf[i] * 20) : 0; /* NaN never cast */
        rd->conf_hist[b < 0 ? 0 : b > 19 ? 19 : b]++;
    }
    rd->mean_confidence = n ? total / n : NAN;
    for (int cl = 0; cl < k; cl++) {
        rd->nonempty += rd->sizes[cl] > 0;
        rd->mean_conf[cl] = rd->sizes[cl] ? rd->mean_conf[cl] / (double)rd->sizes[cl] : NAN;
    }
    qsort(rk, (size_t)n, sizeof *rk, by_cluster_conf);
    for (int cl = 0, at = 0; cl < k; at += (int)rd->sizes[cl], cl++) {
        const ranked *r = rk + at;
        int m = (int)rd->sizes[cl];
        int t = m < o->typical ? m : o->typical;
        int rest = m - t;
        int a = rest < o->atypical ? rest : o->atypical;
        for (int i = 0; i < t; i++)
            rd->typical[cl * o->typical + i] = r[i].index;
        for (int i = 0; i < a; i++) /* the least typical first */
            rd->atypical[cl * o->atypical + i] = r[m - 1 - i].index;
        int mid = m - t - a; /* the random sample is drawn from the images shown in neither row */
        int s = mid < o->sample ? mid : o->sample;
        rcc_rng_sample_prefix(idx, (size_t)mid, (size_t)s, o->seed, 0x5e9000u + (uint64_t)cl);
        for (int i = 0; i < s; i++)
            rd->sample[cl * o->sample + i] = r[t + (int)idx[i]].index;
        rd->ntyp[cl] = t, rd->natyp[cl] = a, rd->nsamp[cl] = s;
    }
    int want = o->outliers > o->outliers_csv ? o->outliers : o->outliers_csv;
    rd->nout = n < want ? n : want;
    qsort(rk, (size_t)n, sizeof *rk, by_conf_up);
    for (int i = 0; i < rd->nout; i++)
        rd->outliers[i] = rk[i].index;
    free(rk), free(idx);
    return RCC_OK;
}

/* The class names: given, or the folder each class's images came from, or the label numbers. */
static rcc_status class_names(report_data *rd)
{
    const rcc_dataset *d = rd->d;
    rd->class_names = calloc((size_t)rd->c, sizeof *rd->class_names);
    if (!rd->class_names)
        return rcc_fail(RCC_ERR_NOMEM, "report: class names");
    for (int j = 0; j < rd->c; j++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%d", j);
        const char *name = buf;
        if (rd->o->class_names && rd->o->class_names[j]) {
            name = rd->o->class_names[j];
        } else if (d->names) {
            for (int i = 0; i < d->n; i++) {
                if (d->labels[i] != j)
                    continue;
                /* the class folder: the last folder of the image's path */
                const char *p = d->names[i], *slash = strrchr(p, '/');
                if (slash && slash > p) {
                    const char *start = slash - 1;
                    while (start > p && start[-1] != '/')
                        start--;
                    int len = (int)(slash - start);
                    if (len > 0 && len < (int)sizeof buf)
                        snprintf(buf, sizeof buf, "%.*s", len, start);
                }
                break;
            }
        }
        rd->class_names[j] = strdup(name);
        if (!rd->class_names[j])
            return rcc_fail(RCC_ERR_NOMEM, "report: class names");
    }
    return RCC_OK;
}

static rcc_status score(report_data *rd)
{
    const rcc_dataset *d = rd->d;
    int c = rcc_label_range(d->labels, (size_t)d->n);
    if (c <= 0)
        return RCC_OK; /* negative labels: not scored */
    rd->c = c;
    rd->table = calloc((size_t)rd->k * c, sizeof *rd->table);
    rd->majority = malloc((size_t)rd->k * sizeof *rd->majority);
    if (!rd->table || !rd->majority)
        return rcc_fail(RCC_ERR_NOMEM, "report: contingency table");
    rcc_status st = rcc_contingency(rd->cluster, d->labels, (size_t)d->n, rd->k, c, rd->table);
    if (st == RCC_OK)
        st = rcc_cluster_acc(rd->table, rd->k, c, &rd->acc, NULL);
    if (st != RCC_OK)
        return st;
    rd->nmi = rcc_nmi(rd->table, rd->k, c);
    rd->ari = rcc_ari(rd->table, rd->k, c);
    for (int cl = 0; cl < rd->k; cl++) {
        int best = -1;
        for (int j = 0; j < c; j++)
            if (rd->table[(size_t)cl * c + j] > 0 && (best < 0 || rd->table[(size_t)cl * c + j] > rd->table[(size_t)cl * c + best]))
                best = j;
        rd->majority[cl] = best;
    }
    rd->labelled = true;
    return class_names(rd);
}

static rcc_status write_thumbnails(outdir *od, report_data *rd)
{
    const rcc_report_options *o = rd->o;
    unsigned char *need = calloc((size_t)rd->n, 1);
    if (!need)
        return rcc_fail(RCC_ERR_NOMEM, "report: thumbnails");
    for (int cl = 0; cl < rd->k; cl++) {
        for (int i = 0; i < rd->ntyp[cl]; i++)
            need[rd->typical[cl * o->typical + i]] = 1;
        for (int i = 0; i < rd->natyp[cl]; i++)
            need[rd->atypical[cl * o->atypical + i]] = 1;
        for (int i = 0; i < rd->nsamp[cl]; i++)
            need[rd->sample[cl * o->sample + i]] = 1;
    }
    for (int i = 0; i < rd->nout && i < o->outliers; i++)
        need[rd->outliers[i]] = 1;
    rcc_status st = RCC_OK;
    for (int i = 0; i < rd->n && st == RCC_OK; i++) {
        if (!need[i])
            continue;
        unsigned char *png;
        size_t len;
        st = rcc_dataset_image_png(rd->d, i, o->thumb_side, &png, &len);
        if (st != RCC_OK)
            break;
        char name[32];
        snprintf(name, sizeof name, "%d.png", i); /* named by index: no text of the data reaches a path */
        st = outdir_write(od, true, name, png, len);
        free(png);
        rd->thumbnails++;
    }
    free(need);
    return st;
}

/* ---------------------------------------------------------------- pictures */

static rcc_status draw_sphere(const char *path, void *user)
{
    const report_data *rd = user;
    rcc_sphere_plot_opts so;
    rcc_sphere_plot_opts_default(&so);
    so.legend_name = "cluster";
    so.title = "Features h on the unit sphere, coloured by cluster";
    so.seed = rd->o->seed;
    return rcc_plot_sphere(path, rd->h, (size_t)rd->n, rd->r, rd->cluster, &so);
}

static rcc_status draw_curves(const char *path, void *user)
{
    return rcc_plot_curves(path, (const char *)user, "Training curves");
}

static rcc_status draw_kselect(const char *path, void *user)
{
    return rcc_plot_kselect(path, (const rcc_kselect_result *)user, "Choice of k on h (k-means on the sphere)");
}

static rcc_status draw_confusion(const char *path, void *user)
{
    const report_data *rd = user;
    return rcc_plot_confusion(path, rd->table, rd->k, rd->c, "Classes against clusters");
}

/* k-means sweep on a seeded subsample of h. */
static rcc_status kselect_picture(outdir *od, report_data *rd)
{
    const rcc_report_options *o = rd->o;
    size_t m = (size_t)(o->kselect_sample > 0 && o->kselect_sample < rd->n ? o->kselect_sample : rd->n);
    int kmax = o->kselect_kmax;
    if ((size_t)kmax >= m)
        kmax = (int)m - 1;
    if (kmax < 2)
        return RCC_OK;
    size_t *idx = malloc((size_t)rd->n * sizeof *idx);
    float *x = malloc(m * rd->r * sizeof *x);
    if (!idx || !x) {
        free(idx), free(x);
        return rcc_fail(RCC_ERR_NOMEM, "report: choice of k");
    }
    rcc_rng_sample_prefix(idx, (size_t)rd->n, m, o->seed, 0x5e1ec7u);
    for (size_t i = 0; i < m; i++)
        memcpy(x + i * rd->r, rd->h + idx[i] * rd->r, (size_t)rd->r * sizeof *x);
    rcc_kselect_config kc;
    rcc_kselect_config_default(&kc);
    kc.kmax = kmax;
    kc.restarts = 3;
    kc.seed = o->seed;
    kc.metric = RCC_KMEANS_SPHERICAL;
    rcc_kselect_result kr;
    memset(&kr, 0, sizeof kr);
    rcc_status st = rcc_kselect(x, m, rd->r, &kc, &kr);
    if (st == RCC_OK)
        st = outdir_picture(od, "kselect.png", draw_kselect, &kr);
    if (st == RCC_OK) {
        rd->kselect_png = "kselect.png";
        snprintf(rd->kselect_note, sizeof rd->kselect_note, "On %zu points of h, k = 1..%d: chosen k = %d (%.300s). The model has K = %d.",
                 m, kmax, kr.chosen, kr.rule, rd->k);
    }
    rcc_kselect_result_free(&kr);
    free(idx), free(x);
    return st;
}

/* The pictures: a failed one is said on the page instead of failing the report. */
static void pictures(outdir *od, report_data *rd)
{
    const rcc_report_options *o = rd->o;
    if (outdir_picture(od, "sphere.png", draw_sphere, rd) == RCC_OK)
        rd->sphere_png = "sphere.png";
    else
        snprintf(rd->sphere_note, sizeof rd->sphere_note, "not drawn: %.120s", rcc_last_error());
    char metrics[RCC_PATH_MAX];
    struct stat sb;
    if (o->run_dir && rcc_path_join(metrics, sizeof metrics, o->run_dir, RCC_METRICS_FILE) == RCC_OK &&
        stat(metrics, &sb) == 0 && S_ISREG(sb.st_mode)) {
        if (outdir_picture(od, "curves.png", draw_curves, metrics) == RCC_OK)
            rd->curves_png = "curves.png";
        else
            snprintf(rd->curves_note, sizeof rd->curves_note, "not drawn: %.120s", rcc_last_error());
    } else {
        snprintf(rd->curves_note, sizeof rd->curves_note, "no training log (metrics.jsonl) beside the model");
    }
    if (kselect_picture(od, rd) != RCC_OK)
        snprintf(rd->kselect_note, sizeof rd->kselect_note, "not drawn: %.200s", rcc_last_error());
    if (rd->labelled && outdir_picture(od, "confusion.png", draw_confusion, rd) == RCC_OK)
        rd->confusion_png = "confusion.png";
}

/* index,name,cluster,confidence of the lowest-confidence images; names quoted as CSV wants. */
static rcc_status outliers_csv(outdir *od, const report_data *rd)
{
    FILE *f;
    rcc_status st = outdir_create(od, false, "outliers.csv", &f);
    if (st != RCC_OK)
        return st;
    fputs("index,name,cluster,confidence\n", f);
    int rows = rd->o->outliers_csv < rd->nout ? rd->o->outliers_csv : rd->nout;
    for (int r = 0; r < rows; r++) {
        int i = rd->outliers[r];
        fprintf(f, "%d,", i);
        if (rd->d->names) {
            fputc('"', f);
            for (const char *p = rd->d->names[i]; *p; p++) {
                if (*p == '"')
                    fputc('"', f);
                fputc(*p, f);
            }
            fputc('"', f);
        }
        fprintf(f, ",%d,%.4f\n", rd->cluster[i], (double)rd->conf[i]);
    }
    return outdir_commit(od, false, "outliers.csv", f);
}

static rcc_status allocate(report_data *rd)
{
    const rcc_report_options *o = rd->o;
    size_t n = (size_t)rd->n, k = (size_t)rd->k;
    int want = o->outliers > o->outliers_csv ? o->outliers : o->outliers_csv;
    rd->cluster = malloc(n * sizeof *rd->cluster);
    rd->conf = malloc(n * sizeof *rd->conf);
    rd->h = malloc(n * rd->r * sizeof *rd->h);
    rd->sizes = calloc(k, sizeof *rd->sizes);
    rd->mean_conf = calloc(k, sizeof *rd->mean_conf);
    rd->typical = malloc((k * o->typical + 1) * sizeof(int));
    rd->atypical = malloc((k * o->atypical + 1) * sizeof(int));
    rd->sample = malloc((k * o->sample + 1) * sizeof(int));
    rd->ntyp = calloc(k, sizeof(int));
    rd->natyp = calloc(k, sizeof(int));
    rd->nsamp = calloc(k, sizeof(int));
    rd->outliers = malloc(((size_t)want + 1) * sizeof(int));
    if (!rd->cluster || !rd->conf || !rd->h || !rd->sizes || !rd->mean_conf || !rd->typical || !rd->atypical ||
        !rd->sample || !rd->ntyp || !rd->natyp || !rd->nsamp || !rd->outliers)
        return rcc_fail(RCC_ERR_NOMEM, "report: %d images", rd->n);
    return RCC_OK;
}

static rcc_status check(const rcc_net *net, const rcc_dataset *d, const rcc_report_options *o)
{
    if (!net || !d || !o || !o->out_dir)
        return rcc_fail(RCC_ERR_ARG, "report: a network, a data set and an output folder are needed");
    if (d->n < 1 || (d->c != 1 && d->c != 3))
        return rcc_fail(RCC_ERR_ARG, "report: no images, or images of %d channels", d->c);
    if (o->typical < 0 || o->atypical < 0 || o->sample < 0 || o->outliers < 0 || o->outliers_csv < 0 ||
        o->typical > 1000 || o->atypical > 1000 || o->sample > 1000 || o->outliers > 100000 || o->thumb_side < 8 ||
        o->thumb_side > 1024 || o->vote < 0 || o->vote > RCC_VOTE_MAX_KNN)
        return rcc_fail(RCC_ERR_ARG, "report: counts of images per cluster 0..1000, outliers 0..100000, thumbnails "
                                     "8..1024 pixels, vote neighbours 0..%d", RCC_VOTE_MAX_KNN);
    return RCC_OK;
}

rcc_status rcc_report_write(rcc_net *net, const rcc_dataset *d, const rcc_report_options *o,
                            rcc_report_summary *summary)
{
    RCC_TRY(check(net, d, o));
    report_data rd;
    memset(&rd, 0, sizeof rd);
    rd.d = d, rd.o = o, rd.n = d->n;
    rd.k = rcc_net_config(net)->clusters;
    rd.r = rcc_net_config(net)->rep_dim;
    rd.acc = rd.nmi = rd.ari = NAN;
    outdir od;
    rcc_status st = outdir_open(&od, o->out_dir);
    if (st != RCC_OK)
        return st;
    st = allocate(&rd);
    if (st == RCC_OK) {
        stage(o, "assigning the images");
        st = infer(net, d, &rd);
    }
    if (st == RCC_OK)
        st = gather(&rd);
    if (st == RCC_OK && o->use_labels && d->labels)
        st = score(&rd);
    if (st == RCC_OK) {
        stage(o, "writing thumbnails");
        st = write_thumbnails(&od, &rd);
    }
    if (st == RCC_OK && o->pictures) {
        stage(o, "drawing the pictures");
        pictures(&od, &rd);
    }
    if (st == RCC_OK && o->outliers_csv > 0)
        st = outliers_csv(&od, &rd);
    uint64_t before = od.bytes;
    if (st == RCC_OK) {
        stage(o, "writing the page");
        st = report_page_write(&od, &rd);
    }
    if (st == RCC_OK && summary) {
        *summary = (rcc_report_summary){rd.n, rd.k, rd.nonempty, rd.mean_confidence, rd.labelled, rd.acc, rd.nmi,
                                        rd.ari, rd.thumbnails, od.files, od.bytes, od.bytes - before, rd.voted,
                                        rd.moved, rd.vote_refused};
    }
    outdir_close(&od);
    data_free(&rd);
    return st;
}
