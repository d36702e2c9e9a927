/* dataset_internal.h — what the data-set loader (dataset.c: folders, sources, assembly) and the
 * array readers (readers.c: IDX, .npy, label files) share: a source read into a "part" of bytes or
 * floats, before the parts are converted into one rcc_dataset. */
#ifndef RCC_DATASET_INTERNAL_H
#define RCC_DATASET_INTERNAL_H

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "data_internal.h"

typedef struct {
    int n, c, h, w;
    unsigned char *u8; /* n·c·h·w bytes (CHW per image), or NULL */
    float *f32;        /* n·c·h·w floats, or NULL */
    int *labels;       /* n, or NULL */
    const char *path;  /* the source, for names (borrowed) */
    char *name;        /* the image file, when the part is one image of a folder */
} part;

typedef struct {
    part *p;
    int n, cap;
} part_list;

static inline void rcc_part_free(part *p)
{
    free(p->u8);
    free(p->f32);
    free(p->labels);
    free(p->name);
    memset(p, 0, sizeof *p);
}

/* 0 missing, 1 regular file, 2 folder, 3 something else (st filled when it exists). */
static inline int file_kind(const char *path, struct stat *st)
{
    if (stat(path, st) != 0)
        return 0;
    return S_ISDIR(st->st_mode) ? 2 : S_ISREG(st->st_mode) ? 1 : 3;
}

/* Whether s ends with suffix, ignoring ASCII case. */
static inline bool ends_with_ci(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    if (b > a)
        return false;
    for (size_t i = 0; i < b; i++)
        if (tolower((unsigned char)s[a - b + i]) != tolower((unsigned char)suffix[i]))
            return false;
    return true;
}

/* RCC_ERR_FORMAT unless n images of c×h×w fit the limits (checked before anything is allocated). */
rcc_status rcc_check_total(const char *path, uint64_t n, uint64_t c, uint64_t h, uint64_t w);

/* A file that is not an image: IDX images (raw or gzip) or a .npy array, told by its first bytes
 * (sig, got of them), with its labels — from label_path, or the IDX "labels-idx1" file beside an
 * "images-idx3" one — into *out (out->path = path). */
rcc_status rcc_read_array_source(const char *path, const char *label_path, const unsigned char *sig, size_t got,
                                 part *out);

#endif
