/* dataset.c — loading images into an rcc_dataset: folders of PNG/JPEG images (flat, or one
 * subfolder per class; broken files skipped when asked), single image files, and the array sources
 * of readers.c (IDX, .npy); several sources concatenated. Each source is first read into a "part"
 * of bytes or floats, sizes are checked against the file before anything large is allocated, and
 * the parts are then converted to one float array of the first image's size and the widest
 * channel count. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "dataset_internal.h"

/* ---------------------------------------------------------------- parts */



static void parts_free(part_list *l)
{
    for (int i = 0; i < l->n; i++)
        rcc_part_free(&l->p[i]);
    free(l->p);
    memset(l, 0, sizeof *l);
}

/* Appends a zeroed part; NULL when out of memory. */
static part *parts_add(part_list *l)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        part *p = realloc(l->p, (size_t)cap * sizeof *p);
        if (!p)
            return NULL;
        l->p = p;
        l->cap = cap;
    }
    part *p = &l->p[l->n++];
    memset(p, 0, sizeof *p);
    return p;
}

/* ---------------------------------------------------------------- small helpers */

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static char *path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (a && dir[a - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}


static bool is_image_name(const char *name)
{
    return ends_with_ci(name, ".png") || ends_with_ci(name, ".jpg") || ends_with_ci(name, ".jpeg");
}





/* ---------------------------------------------------------------- images and folders */

static rcc_status add_image(part_list *l, const char *file, const char *source, int label)
{
    rcc_image_u8 img;
    RCC_TRY(rcc_image_decode(file, &img));
    part *p = parts_add(l);
    char *name = dupstr(file);
    int *lab = label >= 0 ? malloc(sizeof *lab) : NULL;
    if (!p || !name || (label >= 0 && !lab)) {
        free(img.pix);
        free(name);
        free(lab);
        return rcc_fail(RCC_ERR_NOMEM, "%s: bookkeeping", file);
    }
    p->n = 1, p->c = img.c, p->h = img.h, p->w = img.w;
    p->u8 = img.pix;
    p->path = source;
    p->name = name;
    if (lab) {
        *lab = label;
        p->labels = lab;
    }
    return RCC_OK;
}

typedef struct {
    char **name;
    bool *dir;
    int n, cap;
} dir_list;

static void dir_list_free(dir_list *d)
{
    for (int i = 0; i < d->n; i++)
        free(d->name[i]);
    free(d->name);
    free(d->dir);
    memset(d, 0, sizeof *d);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Lists `dir` (hidden entries left out), sorted by name bytes; dir[i] tells folders. */
static rcc_status list_dir(const char *dir, dir_list *out)
{
    memset(out, 0, sizeof *out);
    DIR *dp = opendir(dir);
    if (!dp)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    rcc_status st = RCC_OK;
    struct dirent *e;
    while (st == RCC_OK && (e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        if (out->n == out->cap) {
            int cap = out->cap ? 2 * out->cap : 64;
            char **nn = realloc(out->name, (size_t)cap * sizeof *nn);
            if (!nn) {
                st = rcc_fail(RCC_ERR_NOMEM, "%s: listing", dir);
                break;
            }
            out->name = nn;
            out->cap = cap;
        }
        if (!(out->name[out->n] = dupstr(e->d_name)))
            st = rcc_fail(RCC_ERR_NOMEM, "%s: listing", dir);
        else
            out->n++;
    }
    closedir(dp);
    if (st == RCC_OK && out->n) {
        qsort(out->name, (size_t)out->n, sizeof *out->name, cmp_str);
        out->dir = malloc((size_t)out->n * sizeof *out->dir);
        if (!out->dir)
            st = rcc_fail(RCC_ERR_NOMEM, "%s: listing", dir);
        for (int i = 0; st == RCC_OK && i < out->n; i++) {
            char *full = path_join(dir, out->name[i]);
            struct stat sb;
            if (!full) {
                st = rcc_fail(RCC_ERR_NOMEM, "%s: listing", dir);
                break;
            }
            out->dir[i] = file_kind(full, &sb) == 2;
            free(full);
        }
    }
    if (st != RCC_OK)
        dir_list_free(out);
    return st;
}

static void note_skip(rcc_data_report *rep, const char *dir, const char *name)
{
    if (rep->skipped_files++ == 0)
        snprintf(rep->first_skipped, sizeof rep->first_skipped, "%s%s%s", dir,
                 dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "", name);
}

/* The load's options and counters, passed down to the folders. */
typedef struct {
    const rcc_load_options *opt; /* NULL: a broken file fails the load */
    rcc_data_report *rep;
    long decoded, found;         /* image files decoded, image files met (decoded + broken) */
} load_ctx;

#define PROGRESS_EVERY 500

static bool stopped(const load_ctx *cx) { return cx->opt && cx->opt->stop && *cx->opt->stop; }

static rcc_status interrupted(const load_ctx *cx, const char *where)
{
    return rcc_fail(RCC_ERR_INTERRUPTED, "loading stopped at %s, after %ld images", where, cx->decoded);
}

/* Image files directly in `dir`, in name order; non-image files and nested folders are skipped. */
static rcc_status load_image_files(part_list *l, const char *dir, const char *source, int label, load_ctx *cx,
                                   int *count)
{
    rcc_data_report *rep = cx->rep;
    dir_list dl;
    RCC_TRY(list_dir(dir, &dl));
    rcc_status st = RCC_OK;
    int before = l->n, skipped = rep->skipped_files, broken = rep->broken_files;
    for (int i = 0; i < dl.n && st == RCC_OK; i++) {
        if (stopped(cx)) {
            st = interrupted(cx, dir);
            break;
        }
        if (dl.dir[i] || !is_image_name(dl.name[i])) {
            note_skip(rep, dir, dl.name[i]);
            continue;
        }
        char *full = path_join(dir, dl.name[i]);
        st = full ? add_image(l, full, source, label) : rcc_fail(RCC_ERR_NOMEM, "%s: path", dir);
        cx->found++;
        if ((st == RCC_ERR_FORMAT || st == RCC_ERR_IO) && cx->opt && cx->opt->skip_broken) {
            if (rep->broken_files++ == 0)
                snprintf(rep->first_broken, sizeof rep->first_broken, "%s", full);
            if (cx->opt->on_broken)
                cx->opt->on_broken(full, rcc_last_error(), cx->opt->user);
            st = RCC_OK;
        } else if (st == RCC_OK && ++cx->decoded % PROGRESS_EVERY == 0 && cx->opt && cx->opt->on_progress) {
            cx->opt->on_progress(cx->decoded, dir, cx->opt->user);
        }
        free(full);
    }
    dir_list_free(&dl);
    if (st == RCC_OK && l->n == before)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: folder has no %sPNG or JPEG images (.png, .jpg, .jpeg)%s%s", dir,
                      rep->broken_files > broken ? "readable " : "",
                      rep->skipped_files > skipped ? "; other files were skipped" : "",
                      rep->broken_files > broken ? "; every image file in it is broken" : "");
    *count = l->n - before;
    return st;
}

/* A folder: flat (unlabelled), or one subfolder per class (label = sorted subfolder order). */
static rcc_status load_folder(part_list *l, const char *dir, load_ctx *cx)
{
    rcc_data_report *rep = cx->rep;
    dir_list dl;
    RCC_TRY(list_dir(dir, &dl));
    int ndirs = 0, nimages = 0;
    const char *first_image = NULL;
    for (int i = 0; i < dl.n; i++) {
        if (dl.dir[i])
            ndirs++;
        else if (is_image_name(dl.name[i]) && !nimages++)
            first_image = dl.name[i];
    }
    rcc_status st = RCC_OK;
    if (dl.n == 0)
        st = rcc_fail(RCC_ERR_FORMAT, "%s: empty folder", dir);
    else if (ndirs && nimages)
        st = rcc_fail(RCC_ERR_FORMAT,
                      "%s: mixes image files (e.g. %s) with subfolders; use either a flat folder of images or one "
                      "subfolder per class",
                      dir, first_image);
    else if (ndirs) {
        int label = 0, count;
        for (int i = 0; i < dl.n && st == RCC_OK; i++) {
            if (!dl.dir[i]) {
                note_skip(rep, dir, dl.name[i]);
                continue;
            }
            char *sub = path_join(dir, dl.name[i]);
            st = sub ? load_image_files(l, sub, dir, label++, cx, &count) : rcc_fail(RCC_ERR_NOMEM, "%s: path", dir);
            free(sub);
        }
    } else {
        int count;
        st = load_image_files(l, dir, dir, -1, cx, &count);
    }
    dir_list_free(&dl);
    return st;
}

/* ---------------------------------------------------------------- one source */

static rcc_status load_source(part_list *l, const char *path, const char *label_path, load_ctx *cx)
{
    struct stat sb;
    errno = 0;
    int kind = file_kind(path, &sb);
    if (kind == 0)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (kind == 3)
        return rcc_fail(RCC_ERR_IO, "%s: not a regular file or folder", path);
    if (kind == 2) {
        if (label_path)
            return rcc_fail(RCC_ERR_ARG, "%s: a folder takes its labels from class subfolders, not from %s", path,
                            label_path);
        return load_folder(l, path, cx);
    }
    unsigned char sig[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t got = fread(sig, 1, sizeof sig, f);
    fclose(f);
    bool is_png = got == 8 && memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0;
    bool is_jpeg = got >= 3 && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF;
    if (is_png || is_jpeg) {
        if (label_path)
            return rcc_fail(RCC_ERR_ARG, "%s: a single image takes no label file (%s)", path, label_path);
        rcc_status st = add_image(l, path, path, -1);
        if (st == RCC_OK && ++cx->decoded % PROGRESS_EVERY == 0 && cx->opt && cx->opt->on_progress)
            cx->opt->on_progress(cx->decoded, path, cx->opt->user);
        return st;
    }
    part tmp = {0};
    RCC_TRY(rcc_read_array_source(path, label_path, sig, got, &tmp));
    part *p = parts_add(l);
    if (!p) {
        rcc_part_free(&tmp);
        return rcc_fail(RCC_ERR_NOMEM, "%s: bookkeeping", path);
    }
    *p = tmp;
    return RCC_OK;
}

/* ---------------------------------------------------------------- assembly */

void rcc_dataset_free(rcc_dataset *d)
{
    if (!d)
        return;
    free(d->pix);
    free(d->u8);
    free(d->labels);
    if (d->names)
        for (int i = 0; i < d->n; i++)
            free(d->names[i]);
    free(d->names);
    memset(d, 0, sizeof *d);
}

/* Image k of part p, brought to H×W (antialiased) as floats in tmp + per (tmp holds two images' worth). */
static rcc_status resized_image(const part *p, int k, int H, int W, float *tmp, rcc_data_report *rep)
{
    size_t per = (size_t)p->c * p->h * p->w;
    for (size_t i = 0; i < per; i++)
        tmp[i] = p->u8 ? p->u8[k * per + i] / 255.0f : p->f32[k * per + i];
    RCC_TRY(rcc_resize_aa(tmp, p->c, p->h, p->w, tmp + per, H, W));
    rep->resized++;
    return RCC_OK;
}

/* Converts image k of part p to C×H×W floats at dst. */
static rcc_status convert_image(const part *p, int k, int C, int H, int W, float *dst, float *tmp,
                                rcc_data_report *rep)
{
    size_t per = (size_t)p->c * p->h * p->w;
    const float *src = NULL;
    if (p->h != H || p->w != W) {
        RCC_TRY(resized_image(p, k, H, W, tmp, rep));
        src = tmp + per;
    }
    size_t hw = (size_t)H * W;
    for (int ch = 0; ch < C; ch++) {
        int sc = p->c == 1 ? 0 : ch;
        float *o = dst + ch * hw;
        if (src)
            memcpy(o, src + sc * hw, hw * sizeof *o);
        else if (p->u8) {
            const unsigned char *b = p->u8 + k * per + sc * hw;
            for (size_t i = 0; i < hw; i++)
                o[i] = b[i] / 255.0f;
        } else {
            memcpy(o, p->f32 + k * per + sc * hw, hw * sizeof *o);
        }
    }
    if (C == 3 && p->c == 1)
        rep->gray_to_rgb++;
    return RCC_OK;
}

/* The same as bytes at dst, for parts of bytes: a resized image's floats are rounded to the nearest
 * byte (at most 0.5/255 from the float, below the noise of 8-bit sources). */
static rcc_status convert_image_u8(const part *p, int k, int C, int H, int W, unsigned char *dst, float *tmp,
                                   rcc_data_report *rep)
{
    size_t per = (size_t)p->c * p->h * p->w, hw = (size_t)H * W;
    const float *src = NULL;
    if (p->h != H || p->w != W) {
        RCC_TRY(resized_image(p, k, H, W, tmp, rep));
        src = tmp + per;
    }
    for (int ch = 0; ch < C; ch++) {
        int sc = p->c == 1 ? 0 : ch;
        unsigned char *o = dst + ch * hw;
        if (src)
            for (size_t i = 0; i < hw; i++) {
                float v = src[sc * hw + i] * 255.0f + 0.5f;
                o[i] = (unsigned char)(v <= 0 ? 0 : v >= 255 ? 255 : (int)v);
            }
        else
            memcpy(o, p->u8 + k * per + sc * hw, hw);
    }
    if (C == 3 && p->c == 1)
        rep->gray_to_rgb++;
    return RCC_OK;
}

static rcc_status assemble(rcc_dataset *d, part_list *l, rcc_data_report *rep)
{
    int C = 1, H = l->p[0].h, W = l->p[0].w;
    uint64_t n = 0;
    size_t tmp_floats = 0;
    bool any_labels = false, all_labels = true, any_names = false, all_bytes = true;
    for (int i = 0; i < l->n; i++) {
        part *p = &l->p[i];
        C = p->c > C ? p->c : C;
        n += (uint64_t)p->n;
        any_labels |= p->labels != NULL;
        all_labels &= p->labels != NULL;
        any_names |= p->name != NULL;
        all_bytes &= p->u8 != NULL;
        size_t need = (size_t)p->c * p->h * p->w + (size_t)p->c * H * W;
        if ((p->h != H || p->w != W) && need > tmp_floats)
            tmp_floats = need;
    }
    RCC_TRY(rcc_check_total(l->n == 1 ? l->p[0].path : "the data set", n, (uint64_t)C, (uint64_t)H, (uint64_t)W));
    size_t per = (size_t)C * H * W, elem = all_bytes ? 1 : sizeof(float);
    d->n = (int)n, d->c = C, d->h = H, d->w = W;
    if (l->n == 1 && l->p[0].c == C && !tmp_floats && (l->p[0].f32 || l->p[0].u8)) { /* one source: keep its buffer */
        d->pix = l->p[0].f32;
        d->u8 = l->p[0].u8;
        l->p[0].f32 = NULL;
        l->p[0].u8 = NULL;
    } else {
        void *all = malloc(n * per * elem);
        if (!all)
            return rcc_fail(RCC_ERR_NOMEM, "%llu images of %dx%dx%d (%.1f GiB)", (unsigned long long)n, C, H, W,
                            (double)(n * per * elem) / (1 << 30));
        if (all_bytes)
            d->u8 = all;
        else
            d->pix = all;
        float *tmp = tmp_floats ? malloc(tmp_floats * sizeof *tmp) : NULL;
        if (tmp_floats && !tmp)
            return rcc_fail(RCC_ERR_NOMEM, "resize buffer");
        size_t at = 0;
        rcc_status st = RCC_OK;
        for (int i = 0; i < l->n && st == RCC_OK; i++) {
            part *p = &l->p[i];
            for (int k = 0; k < p->n && st == RCC_OK; k++, at++)
                st = all_bytes ? convert_image_u8(p, k, C, H, W, d->u8 + at * per, tmp, rep)
                               : convert_image(p, k, C, H, W, d->pix + at * per, tmp, rep);
            free(p->u8);
            free(p->f32);
            p->u8 = NULL;
            p->f32 = NULL;
        }
        free(tmp);
        RCC_TRY(st);
    }
    if (all_labels) {
        d->labels = malloc(n * sizeof *d->labels);
        if (!d->labels)
            return rcc_fail(RCC_ERR_NOMEM, "labels");
        size_t at = 0;
        for (int i = 0; i < l->n; i++)
            for (int k = 0; k < l->p[i].n; k++, at++) {
                d->labels[at] = l->p[i].labels[k];
                if (d->labels[at] + 1 > d->num_classes)
                    d->num_classes = d->labels[at] + 1;
            }
    } else if (any_labels) {
        rep->labels_dropped = true;
    }
    if (any_names) {
        d->names = calloc(n, sizeof *d->names);
        if (!d->names)
            return rcc_fail(RCC_ERR_NOMEM, "names");
        size_t at = 0;
        for (int i = 0; i < l->n; i++)
            for (int k = 0; k < l->p[i].n; k++, at++) {
                part *p = &l->p[i];
                if (p->name) {
                    d->names[at] = p->name;
                    p->name = NULL;
                } else {
                    size_t len = strlen(p->path) + 16;
                    d->names[at] = malloc(len);
                    if (!d->names[at])
                        return rcc_fail(RCC_ERR_NOMEM, "names");
                    snprintf(d->names[at], len, "%s[%d]", p->path, k);
                }
            }
    }
    return RCC_OK;
}

rcc_status rcc_dataset_to_float(rcc_dataset *d)
{
    if (!d->u8)
        return RCC_OK;
    size_t total = (size_t)d->n * d->c * d->h * d->w;
    float *f = malloc(total * sizeof *f);
    if (!f)
        return rcc_fail(RCC_ERR_NOMEM, "%d images as floats (%.1f GiB)", d->n, (double)(total * sizeof *f) / (1 << 30));
    for (size_t i = 0; i < total; i++)
        f[i] = d->u8[i] / 255.0f;
    free(d->u8);
    d->u8 = NULL;
    d->pix = f;
    return RCC_OK;
}

/* n gray images of `plane` bytes each at buf to three planes by replication (realloc'ed; NULL, and buf
 * untouched, when memory is short). */
static void *gray_to_colour(void *buf, size_t n, size_t plane)
{
    unsigned char *grown = realloc(buf, n * 3 * plane);
    if (!grown)
        return NULL;
    for (size_t i = n; i-- > 0;) { /* back to front: image i's planes land at or after its gray one */
        unsigned char *dst = grown + i * 3 * plane;
        memmove(dst, grown + i * plane, plane);
        memcpy(dst + plane, dst, plane);
        memcpy(dst + 2 * plane, dst, plane);
    }
    return grown;
}

rcc_status rcc_dataset_convert_channels(rcc_dataset *d, int channels)
{
    if (channels != 1 && channels != 3)
        return rcc_fail(RCC_ERR_ARG, "convert to %d channels: 1 or 3", channels);
    if (d->c == channels || d->n == 0)
        return RCC_OK;
    if (d->c != 1 && d->c != 3)
        return rcc_fail(RCC_ERR_ARG, "convert %d-channel images: 1 or 3", d->c);
    size_t hw = (size_t)d->h * d->w, n = (size_t)d->n;
    if (channels == 1 && d->u8) { /* luma is not a byte: the gray images are floats */
        float *g = malloc(n * hw * sizeof *g);
        if (!g)
            return rcc_fail(RCC_ERR_NOMEM, "%zu images to gray (%.1f GiB)", n, (double)(n * hw * sizeof *g) / (1 << 30));
        for (size_t i = 0; i < n; i++) {
            const unsigned char *src = d->u8 + i * 3 * hw;
            for (size_t p = 0; p < hw; p++)
                g[i * hw + p] = rcc_luma(src[p] / 255.0f, src[hw + p] / 255.0f, src[2 * hw + p] / 255.0f);
        }
        free(d->u8);
        d->u8 = NULL;
        d->pix = g;
    } else if (channels == 1) { /* in place, front to back: image i's gray plane never overlaps later colour */
        for (size_t i = 0; i < n; i++) {
            const float *src = d->pix + i * 3 * hw;
            float *dst = d->pix + i * hw;
            for (size_t p = 0; p < hw; p++)
                dst[p] = rcc_luma(src[p], src[hw + p], src[2 * hw + p]);
        }
        float *shrunk = realloc(d->pix, n * hw * sizeof *shrunk);
        if (shrunk)
            d->pix = shrunk;
    } else {
        size_t plane = hw * (d->u8 ? 1 : sizeof(float));
        void *grown = gray_to_colour(d->u8 ? (void *)d->u8 : (void *)d->pix, n, plane);
        if (!grown)
            return rcc_fail(RCC_ERR_NOMEM, "%zu images to 3 channels (%.1f GiB)", n,
                            (double)(n * 3 * plane) / (1 << 30));
        if (d->u8)
            d->u8 = grown;
        else
            d->pix = grown;
    }
    d->c = channels;
    return RCC_OK;
}

rcc_load_options rcc_load_defaults(void)
{
    return (rcc_load_options){.skip_broken = true, .max_broken = 0.05};
}

rcc_status rcc_dataset_load_opts(rcc_dataset *d, const char *const *paths, int npaths,
                                 const char *const *label_paths, const rcc_load_options *opt,
                                 rcc_data_report *report)
{
    rcc_data_report local;
    rcc_data_report *rep = report ? report : &local;
    memset(rep, 0, sizeof *rep);
    memset(d, 0, sizeof *d);
    if (!paths || npaths < 1)
        return rcc_fail(RCC_ERR_ARG, "no data source given");
    if (opt && !(opt->max_broken >= 0 && opt->max_broken <= 1))
        return rcc_fail(RCC_ERR_ARG, "max_broken %g: a share between 0 and 1", opt->max_broken);
    load_ctx cx = {opt, rep, 0, 0};
    part_list l = {0};
    rcc_status st = RCC_OK;
    for (int i = 0; i < npaths && st == RCC_OK; i++) {
        if (stopped(&cx))
            st = interrupted(&cx, paths[i]);
        else if (!paths[i])
            st = rcc_fail(RCC_ERR_ARG, "data source %d is NULL", i);
        else
            st = load_source(&l, paths[i], label_paths ? label_paths[i] : NULL, &cx);
    }
    if (st == RCC_OK && rep->broken_files && (double)rep->broken_files > opt->max_broken * (double)cx.found)
        st = rcc_fail(RCC_ERR_FORMAT,
                      "%d of %ld image files are broken (more than %g%%; the first: %s); is this the right folder?",
                      rep->broken_files, cx.found, 100 * opt->max_broken, rep->first_broken);
    if (st == RCC_OK && opt && opt->on_progress && cx.decoded)
        opt->on_progress(cx.decoded, NULL, opt->user);
    if (st == RCC_OK)
        st = assemble(d, &l, rep);
    parts_free(&l);
    if (st != RCC_OK)
        rcc_dataset_free(d);
    return st;
}

rcc_status rcc_dataset_load_report(rcc_dataset *d, const char *const *paths, int npaths,
                                   const char *const *label_paths, rcc_data_report *report)
{
    return rcc_dataset_load_opts(d, paths, npaths, label_paths, NULL, report);
}

rcc_status rcc_dataset_load(rcc_dataset *d, const char *const *paths, int npaths, const char *const *label_paths)
{
    return rcc_dataset_load_report(d, paths, npaths, label_paths, NULL);
}
