/* safetensors.c — a validating safetensors reader on top of cJSON. */
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#define TMP_SUFFIX ".tmp." /* the writer's temporary file: <path>.tmp.<pid> */

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

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first of n names that is given twice, or NULL; sorts the array (so a big header stays fast). */
static const char *first_duplicate(const char **names, int n)
{
    if (n < 2)
        return NULL;
    qsort(names, (size_t)n, sizeof *names, cmp_name);
    for (int i = 1; i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            return names[i];
    return NULL;
}

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
            if (f->meta_keys) { /* JSON allows a key twice; which one counts would be a guess */
                st = rcc_fail(RCC_ERR_FORMAT, "%s: the header has two __metadata__ entries", what);
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
    if (st != RCC_OK)
        return st;
    /* a name given twice: which tensor or value is meant would be a guess, so the file is refused */
    int most = f->n > f->nmeta ? f->n : f->nmeta;
    const char **names = malloc(((size_t)most + 1) * sizeof *names);
    if (!names)
        return rcc_fail(RCC_ERR_NOMEM, "%s: tensor names", what);
    for (int i = 0; i < f->n; i++)
        names[i] = f->t[i].name;
    const char *dup = first_duplicate(names, f->n);
    if (dup) {
        st = rcc_fail(RCC_ERR_FORMAT, "%s: tensor '%s' appears twice in the header", what, dup);
    } else {
        for (int i = 0; i < f->nmeta; i++)
            names[i] = f->meta_keys[i];
        if ((dup = first_duplicate(names, f->nmeta)) != NULL)
            st = rcc_fail(RCC_ERR_FORMAT, "%s: metadata key '%s' appears twice in the header", what, dup);
    }
    free(names);
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

/* ---- writing ---- */

static size_t entry_bytes(const rcc_st_entry *e)
{
    size_t n = dtype_size(e->dtype);
    for (int i = 0; i < e->ndims; i++)
        n *= (size_t)e->dims[i];
    return n;
}

rcc_status rcc_st_writer_add(rcc_st_writer *w, const char *name, rcc_st_dtype dtype, int ndims, const int64_t *dims,
                             const void *data)
{
    if (dtype != RCC_ST_F32 && dtype != RCC_ST_I64 && dtype != RCC_ST_F64)
        return rcc_fail(RCC_ERR_ARG, "safetensors: unsupported dtype for %s", name);
    if (ndims < 0 || ndims > RCC_ST_MAX_DIMS)
        return rcc_fail(RCC_ERR_ARG, "safetensors: %s has %d dimensions", name, ndims);
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 64;
        rcc_st_entry *ne = realloc(w->e, (size_t)cap * sizeof *ne);
        if (!ne)
            return rcc_fail(RCC_ERR_NOMEM, "safetensors writer");
        w->e = ne;
        w->cap = cap;
    }
    rcc_st_entry *e = &w->e[w->n];
    memset(e, 0, sizeof *e);
    e->name = dupstr(name);
    if (!e->name)
        return rcc_fail(RCC_ERR_NOMEM, "safetensors writer");
    e->dtype = dtype;
    e->ndims = ndims;
    for (int i = 0; i < ndims; i++)
        e->dims[i] = dims[i];
    e->data = data;
    w->n++;
    return RCC_OK;
}

rcc_status rcc_st_writer_meta(rcc_st_writer *w, const char *key, const char *value)
{
    if (w->nmeta == w->capmeta) {
        int cap = w->capmeta ? 2 * w->capmeta : 32;
        char **k = realloc(w->meta_keys, (size_t)cap * sizeof *k);
        if (!k)
            return rcc_fail(RCC_ERR_NOMEM, "safetensors writer");
        w->meta_keys = k;
        char **v = realloc(w->meta_vals, (size_t)cap * sizeof *v);
        if (!v)
            return rcc_fail(RCC_ERR_NOMEM, "safetensors writer");
        w->meta_vals = v;
        w->capmeta = cap;
    }
    w->meta_keys[w->nmeta] = dupstr(key);
    w->meta_vals[w->nmeta] = dupstr(value);
    if (!w->meta_keys[w->nmeta] || !w->meta_vals[w->nmeta])
        return rcc_fail(RCC_ERR_NOMEM, "safetensors writer");
    w->nmeta++;
    return RCC_OK;
}

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t r = write(fd, c, n);
        if (r < 0)
            return false;
        c += r;
        n -= (size_t)r;
    }
    return true;
}

int rcc_st_remove_stale_temps(const char *path, void (*removed)(const char *file, void *user), void *user)
{
    char dir[RCC_PATH_MAX];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    char prefix[512];
    int pl = snprintf(prefix, sizeof prefix, "%s" TMP_SUFFIX, base);
    DIR *d = opendir(dir);
    if (!d || pl < 0 || (size_t)pl >= sizeof prefix) {
        if (d)
            closedir(d);
        return 0;
    }
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, (size_t)pl) != 0)
            continue;
        const char *num = e->d_name + pl;
        char *end;
        errno = 0;
        long pid = strtol(num, &end, 10);
        if (!isdigit((unsigned char)*num) || *end || errno || pid <= 0 || (pid_t)pid != pid)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* alive (or not ours to judge) */
        char tmp[RCC_PATH_MAX];
        if (rcc_path_join(tmp, sizeof tmp, dir, e->d_name) == RCC_OK && unlink(tmp) == 0) {
            count++;
            if (removed)
                removed(tmp, user);
        }
    }
    closedir(d);
    return count;
}

rcc_status rcc_st_writer_save(const rcc_st_writer *w, const char *path)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return rcc_fail(RCC_ERR_NOMEM, "safetensors header");
    if (w->nmeta) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        for (int i = 0; m && i < w->nmeta; i++)
            cJSON_AddStringToObject(m, w->meta_keys[i], w->meta_vals[i]);
    }
    size_t off = 0;
    for (int i = 0; i < w->n; i++) {
        const rcc_st_entry *e = &w->e[i];
        cJSON *t = cJSON_AddObjectToObject(root, e->name);
        if (!t)
            break;
        cJSON_AddStringToObject(t, "dtype", e->dtype == RCC_ST_F32 ? "F32" : e->dtype == RCC_ST_F64 ? "F64" : "I64");
        cJSON *sh = cJSON_AddArrayToObject(t, "shape");
        for (int j = 0; j < e->ndims; j++)
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)e->dims[j]));
        cJSON *o = cJSON_AddArrayToObject(t, "data_offsets");
        size_t b = entry_bytes(e);
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)(off + b)));
        off += b;
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json)
        return rcc_fail(RCC_ERR_NOMEM, "safetensors header");
    size_t hl = strlen(json), padded = (hl + 7) & ~(size_t)7;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp) {
        free(json);
        return rcc_fail(RCC_ERR_NOMEM, "path");
    }
    snprintf(tmp, plen + 32, "%s" TMP_SUFFIX "%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        free(json);
        rcc_status st = rcc_fail(RCC_ERR_IO, "%s: cannot create (%s)", tmp, strerror(errno));
        free(tmp);
        return st;
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    bool ok = write_all(fd, len8, 8) && write_all(fd, json, hl) && write_all(fd, "        ", padded - hl);
    for (int i = 0; ok && i < w->n; i++)
        ok = write_all(fd, w->e[i].data, entry_bytes(&w->e[i]));
    ok = ok && fsync(fd) == 0;
    int err = errno;
    ok = (close(fd) == 0) && ok;
    free(json);
    if (!ok || rename(tmp, path) != 0) {
        if (ok)
            err = errno;
        unlink(tmp);
        rcc_status st = rcc_fail(RCC_ERR_IO, "%s: cannot write (%s)", path, strerror(err));
        free(tmp);
        return st;
    }
    free(tmp);
    return RCC_OK;
}

void rcc_st_writer_free(rcc_st_writer *w)
{
    for (int i = 0; i < w->n; i++)
        free(w->e[i].name);
    for (int i = 0; i < w->nmeta; i++) {
        free(w->meta_keys[i]);
        free(w->meta_vals[i]);
    }
    free(w->e);
    free(w->meta_keys);
    free(w->meta_vals);
    memset(w, 0, sizeof *w);
}
