/* safetensors.h — reading safetensors files (8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the data). Used for test fixtures and
 * checkpoints. Every offset and size is validated before use. */
#ifndef RCC_SAFETENSORS_H
#define RCC_SAFETENSORS_H

#include "util.h"

#define RCC_ST_MAX_DIMS 8

typedef enum { RCC_ST_F32, RCC_ST_F64, RCC_ST_I64, RCC_ST_OTHER } rcc_st_dtype;

typedef struct {
    char *name;
    rcc_st_dtype dtype;
    int ndims;
    int64_t dims[RCC_ST_MAX_DIMS];
    size_t numel;
    const unsigned char *data; /* numel × element size bytes, little-endian, unaligned */
} rcc_st_tensor;

typedef struct {
    unsigned char *buf;
    size_t size;
    rcc_st_tensor *t;
    int n;
    char **meta_keys, **meta_vals;
    int nmeta;
} rcc_st_file;

rcc_status rcc_st_load(rcc_st_file *f, const char *path);
/* Same, from a buffer (copied); `what` names it in errors. */
rcc_status rcc_st_parse(rcc_st_file *f, const unsigned char *data, size_t size, const char *what);
const rcc_st_tensor *rcc_st_find(const rcc_st_file *f, const char *name);
/* Copies a tensor as float32 (converting F64); numel must match. */
rcc_status rcc_st_read_f32(const rcc_st_file *f, const char *name, float *dst, size_t numel);
const char *rcc_st_meta(const rcc_st_file *f, const char *key); /* NULL if absent */
void rcc_st_close(rcc_st_file *f);

/* ---- writing ---- */

typedef struct {
    char *name;
    rcc_st_dtype dtype;
    int ndims;
    int64_t dims[RCC_ST_MAX_DIMS];
    const void *data; /* borrowed until rcc_st_writer_save returns */
} rcc_st_entry;

typedef struct {
    rcc_st_entry *e;
    int n, cap;
    char **meta_keys, **meta_vals;
    int nmeta, capmeta;
} rcc_st_writer;

/* Adds a tensor (data is not copied: keep it alive until save). dtype F32 or I64. */
rcc_status rcc_st_writer_add(rcc_st_writer *w, const char *name, rcc_st_dtype dtype, int ndims, const int64_t *dims,
                             const void *data);
rcc_status rcc_st_writer_meta(rcc_st_writer *w, const char *key, const char *value);
/* Writes `path` atomically: a temporary file in the same folder, flushed to disk, then renamed,
 * so a crash leaves either the old file or the complete new one. */
rcc_status rcc_st_writer_save(const rcc_st_writer *w, const char *path);
/* A writer killed before its rename leaves `path`.tmp.<pid> behind (never read). Removes those
 * whose process is gone from this machine, calling removed (may be NULL) with each file's path;
 * a live writer's stays. Returns how many were removed. */
int rcc_st_remove_stale_temps(const char *path, void (*removed)(const char *file, void *user), void *user);
void rcc_st_writer_free(rcc_st_writer *w);

#endif
