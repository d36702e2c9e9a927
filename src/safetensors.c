/* safetensors.c — a validating safetensors reader on top of cJSON. */
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_MAX_HEADER (100u << 20) /* the format's own limit is 100 MB */

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static size_t dtype_size(rcc_st_dtype d) { return d == RCC_ST_F32 ? 4 : d == RCC_ST_OTHER ? 0 : 8; }

static rcc_status parse_header(rcc_st_file *f, const char *json, size_t hlen, const unsigned char *data,
                               size_t data_len, const char *what)
{
    cJSON *root = cJSON_ParseWithLength(json, hlen);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return rcc_fail(RCC_ERR_FORMAT, "%s: the safetensors header is not a JSON object", what);
    }
    int count = cJSON_GetArraySize(root);
    f->t = calloc((size_t)count + 1, sizeof *f->t);
    if (!f->t) {
        cJSON_Delete(root);
        return rcc_fail(RCC_ERR_NOMEM, "%s: tensor table", what);
    }
    rcc_status st = RCC_OK;
    for (cJSON *it = root->child; it && st == RCC_OK; it = it->next) {
        if (strcmp(it->string, "__metadata__") == 0) {
            int nm = cJSON_GetArraySize(it);
            if (!cJSON_IsObject(it)) {
                st = rcc_fail(RCC_ERR_FORMAT, "%s: __metadata__ is not an object", what);
                break;
            }
            f->meta_keys = calloc((size_t)nm + 1, sizeof(char *));
            f->meta_vals = calloc((size_t)nm + 1, sizeof(char *));
            if (!f->meta_keys || !f->meta_vals) {
                st = rcc_fail(RCC_ERR_NOMEM, "%s: metadata", what);
                break;
            }
            for (cJSON *m = it->child; m; m = m->next) {
                if (!cJSON_IsString(m)) {
                    st = rcc_fail(RCC_ERR_FORMAT, "%s: metadata value of '%s' is not a string", what, m->string);
                    break;
                }
                f->meta_keys[f->nmeta] = dupstr(m->string);
                f->meta_vals[f->nmeta] = dupstr(m->valuestring);
                if (!f->meta_keys[f->nmeta] || !f->meta_vals[f->nmeta]) {
                    st = rcc_fail(RCC_ERR_NOMEM, "%s: metadata", what);
                    break;
                }
                f->nmeta++;
            }
            continue;
        }
        rcc_st_tensor *t = &f->t[f->n];
        cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
        cJSON *sh = cJSON_GetObjectItemCaseSensitive(it, "shape");
        cJSON *off = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
        if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2) {
            st = rcc_fail(RCC_ERR_FORMAT, "%s: tensor '%s' lacks dtype, shape or data_offsets", what, it->string);
            break;
        }
        t->name = dupstr(it->string);
        if (!t->name) {
            st = rcc_fail(RCC_ERR_NOMEM, "%s: names", what);
            break;
        }
        f->n++;
        t->dtype = strcmp(dt->valuestring, "F32") == 0   ? RCC_ST_F32
                   : strcmp(dt->valuestring, "F64") == 0 ? RCC_ST_F64
                   : strcmp(dt->valuestring, "I64") == 0 ? RCC_ST_I64
                                                         : RCC_ST_OTHER;
        t->ndims = cJSON_GetArraySize(sh);
        if (t->ndims > RCC_ST_MAX_DIMS) {
            st = rcc_fail(RCC_ERR_FORMAT, "%s: tensor '%s' has %d dimensions (at most %d)", what, t->name, t->ndims,
                          RCC_ST_MAX_DIMS);
            break;
        }
        t->numel = 1;
        int i = 0;
        for (cJSON *d = sh->child; d; d = d->next, i++) {
            if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > 1e15 ||
                d->valuedouble != (double)(int64_t)d->valuedouble) {
                st = rcc_fail(RCC_ERR_FORMAT, "%s: tensor '%s' has a bad dimension", what, t->name);
                break;
            }
            t->dims[i] = (int64_t)d->valuedouble;
            if (t->dims[i] && t->numel > SIZE_MAX / 16 / (size_t)t->dims[i]) {
                st = rcc_fail(RCC_ERR_FORMAT, "%s: tensor '%s' is too large", what, t->name);
                break;
            }
            t->numel *= (size_t)t->dims[i];
        }
        if (st != RCC_OK)
            break;
        double b = cJSON_GetArrayItem(off, 0)->valuedouble, e = cJSON_GetArrayItem(off, 1)->valuedouble;
        if (!cJSON_IsNumber(cJSON_GetArrayItem(off, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(off, 1)) || b < 0 ||
            e < b || e > (double)data_len) {
            st = rcc_fail(RCC_ERR_FORMAT, "%s: tensor '%s' has data offsets outside the file", what, t->name);
            break;
        }
        size_t es = dtype_size(t->dtype);
        if (es && (size_t)(e - b) != t->numel * es) {
            st = rcc_fail(RCC_ERR_FORMAT, "%s: tensor '%s' has %zu bytes for %zu elements of its dtype", what, t->name,
                          (size_t)(e - b), t->numel);
            break;
        }
        t->data = data + (size_t)b;
    }
    cJSON_Delete(root);
    return st;
}

rcc_status rcc_st_parse(rcc_st_file *f, const unsigned char *data, size_t size, const char *what)
{
    memset(f, 0, sizeof *f);
    if (size < 8)
        return rcc_fail(RCC_ERR_FORMAT, "%s: too short for a safetensors file (%zu bytes)", what, size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | data[i];
    if (hlen > ST_MAX_HEADER || hlen > size - 8)
        return rcc_fail(RCC_ERR_FORMAT, "%s: header length %llu does not fit in the file (%zu bytes)", what,
                        (unsigned long long)hlen, size);
    f->buf = malloc(size + 1);
    if (!f->buf)
        return rcc_fail(RCC_ERR_NOMEM, "%s: %zu bytes", what, size);
    memcpy(f->buf, data, size);
    f->size = size;
    rcc_status st = parse_header(f, (const char *)f->buf + 8, (size_t)hlen, f->buf + 8 + hlen, size - 8 - hlen, what);
    if (st != RCC_OK)
        rcc_st_close(f);
    return st;
}

rcc_status rcc_st_load(rcc_st_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open", path);
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                return rcc_fail(RCC_ERR_NOMEM, "%s: reading", path);
            }
            buf = nb;
        }
        size_t r = fread(buf + len, 1, cap - len, fp);
        len += r;
        if (r == 0)
            break;
    }
    bool err = ferror(fp);
    fclose(fp);
    if (err) {
        free(buf);
        return rcc_fail(RCC_ERR_IO, "%s: read error", path);
    }
    rcc_status st = rcc_st_parse(f, buf, len, path);
    free(buf);
    return st;
}

const rcc_st_tensor *rcc_st_find(const rcc_st_file *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0)
            return &f->t[i];
    return NULL;
}

rcc_status rcc_st_read_f32(const rcc_st_file *f, const char *name, float *dst, size_t numel)
{
    const rcc_st_tensor *t = rcc_st_find(f, name);
    if (!t)
        return rcc_fail(RCC_ERR_FORMAT, "tensor '%s' is missing", name);
    if (t->numel != numel)
        return rcc_fail(RCC_ERR_FORMAT, "tensor '%s' has %zu elements, expected %zu", name, t->numel, numel);
    if (t->dtype == RCC_ST_F32) {
        memcpy(dst, t->data, numel * 4);
    } else if (t->dtype == RCC_ST_F64) {
        for (size_t i = 0; i < numel; i++) {
            double v;
            memcpy(&v, t->data + 8 * i, 8);
            dst[i] = (float)v;
        }
    } else {
        return rcc_fail(RCC_ERR_FORMAT, "tensor '%s' is not floating point", name);
    }
    return RCC_OK;
}

const char *rcc_st_meta(const rcc_st_file *f, const char *key)
{
    for (int i = 0; i < f->nmeta; i++)
        if (strcmp(f->meta_keys[i], key) == 0)
            return f->meta_vals[i];
    return NULL;
}

void rcc_st_close(rcc_st_file *f)
{
    for (int i = 0; i < f->n; i++)
        free(f->t[i].name);
    for (int i = 0; i < f->nmeta; i++) {
        free(f->meta_keys[i]);
        free(f->meta_vals[i]);
    }
    free(f->t);
    free(f->meta_keys);
    free(f->meta_vals);
    free(f->buf);
    memset(f, 0, sizeof *f);
}
