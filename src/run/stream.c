/* stream.c — learning from a stream (rcc_run_stream, include/rcc_run.h; docs/online.md): files
 * arrive from a source (stream_source.c), their evaluation views enter the pool (stream_pool.c),
 * every step draws its batch from the pool, and every save_steps steps or save_seconds seconds a
 * drift record, the checkpoint and the run's stream state are written. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include "rcc_eval.h"
#include "../compute.h"
#include "../share.h"
#include "../train.h"
#include "config.h"
#include "metrics_log.h"
#include "net.h"
#include "run.h"
#include "stream.h"

#define STREAM_MAX_FILE (64 << 20) /* bytes of one image file */
#define STREAM_INGEST_PER_STEP 512 /* files taken in between two steps at most */
#define STREAM_BUSY_AFTER_S 2.0    /* a stream stays busy this long after a step (src/share.h) */

void rcc_stream_defaults(rcc_stream_options *o)
{
    memset(o, 0, sizeof *o);
    o->lines_fd = -1;
    o->pool = 5000;
    o->recent = 1000;
    o->probe = 500;
    o->save_steps = 100;
    o->save_seconds = 60;
    o->retries = 5;
    o->retry_seconds = 2;
    o->warmup_steps = 100;
}

/* ---------------------------------------------------------------- paths seen */

/* FNV-1a 64 hashes of the paths taken in (0 is the empty slot); bit 0 of a value tells a path
 * seen before a resume (1) from one taken in by this process (0)... kept in a second array. */
typedef struct {
    uint64_t *key;
    unsigned char *old;
    size_t cap, n;
} path_set;

static uint64_t path_hash(const char *p)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h ? h : 1;
}

/* The slot of h: where it is, or the empty one where it would go. */
static size_t set_slot(const path_set *s, uint64_t h)
{
    size_t i = (size_t)(h * 0x9E3779B97F4A7C15ULL) & (s->cap - 1);
    while (s->key[i] && s->key[i] != h)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static bool set_grow(path_set *s)
{
    path_set t = {calloc(s->cap ? 2 * s->cap : 1024, sizeof(uint64_t)), NULL, s->cap ? 2 * s->cap : 1024, s->n};
    t.old = calloc(t.cap, 1);
    if (!t.key || !t.old) {
        free(t.key);
        free(t.old);
        return false;
    }
    for (size_t i = 0; i < s->cap; i++)
        if (s->key[i]) {
            size_t j = set_slot(&t, s->key[i]);
            t.key[j] = s->key[i];
            t.old[j] = s->old[i];
        }
    free(s->key);
    free(s->old);
    *s = t;
    return true;
}

/* Adds h (old: seen before the resume); false when out of memory. */
static bool set_add(path_set *s, uint64_t h, bool old)
{
    if (2 * (s->n + 1) > s->cap && !set_grow(s))
        return false;
    size_t i = set_slot(s, h);
    if (!s->key[i])
        s->n++;
    s->key[i] = h;
    s->old[i] = old;
    return true;
}

/* 0: never seen; 1: taken in by this process; 2: seen before the resume (then marked as taken). */
static int set_check(path_set *s, uint64_t h)
{
    if (!s->cap)
        return 0;
    size_t i = set_slot(s, h);
    if (!s->key[i])
        return 0;
    if (s->old[i]) {
        s->old[i] = 0;
        return 2;
    }
    return 1;
}

/* ---------------------------------------------------------------- the run */

typedef struct {
    char *path;
    int attempts;
    double next;
} retry_item;

typedef struct {
    rcc_config cfg;
    rcc_stream_options o;
    const rcc_run_hooks *hooks;
    rcc_source *src;
    rcc_image_pool pool;
    rcc_trainer tr;
    bool have_trainer;
    rcc_aug_config aug;
    int c, s;
    size_t px;
    float *img;               /* one decoded image */
    unsigned char *bytes;     /* one file */
    path_set seen_set;
    FILE *seen_txt, *skipped_txt, *metrics;
    long seen, skipped, ignored;
    float *probe;             /* probe × px */
    char **probe_paths;
    int nprobe;
    int *probe_prev, nprobe_prev;
    retry_item *retry;
    int nretry, retry_cap;
    bool need_first;          /* the step-0 checkpoint is still to be written */
    rcc_share *share;         /* sharing the host's CPUs (hooks->share), or NULL */
    int threads;              /* the count it computes with now (cfg.threads, or its share) */
    char dir[RCC_PATH_MAX], ckpt[RCC_PATH_MAX], metrics_path[RCC_PATH_MAX], state_path[RCC_PATH_MAX];
} stream_run;

static void note(stream_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(stream_run *r, const char *fmt, ...)
{
    if (!r->hooks || !r->hooks->on_note)
        return;
    char msg[RCC_PATH_MAX + 600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->hooks->on_note(msg, r->hooks->user);
}

static bool image_name(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0);
}

/* Reads path into r->bytes; its length, or -1 (the reason in rcc_last_error). */
static long read_file(stream_run *r, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open (%s)", path, strerror(errno)), -1;
    size_t n = fread(r->bytes, 1, STREAM_MAX_FILE, f);
    bool more = fgetc(f) != EOF, bad = ferror(f) != 0;
    fclose(f);
    if (bad)
        return rcc_fail(RCC_ERR_IO, "%s: read error", path), -1;
    if (more)
        return rcc_fail(RCC_ERR_FORMAT, "%s: larger than %d MiB", path, STREAM_MAX_FILE >> 20), -1;
    return (long)n;
}

/* Gray when the three planes of a colour decode are equal everywhere. */
static rcc_status first_channels(stream_run *r, const char *path, long len, int *c)
{
    size_t plane = (size_t)r->s * r->s;
    float *rgb = malloc(3 * plane * sizeof *rgb);
    if (!rgb)
        return rcc_fail(RCC_ERR_NOMEM, "image");
    rcc_status st = rcc_image_view_decode(r->bytes, (size_t)len, 3, r->s, 0, path, rgb);
    if (st == RCC_OK) {
        bool gray = true;
        for (size_t i = 0; gray && i < plane; i++)
            gray = rgb[i] == rgb[plane + i] && rgb[i] == rgb[2 * plane + i];
        *c = gray ? 1 : 3;
    }
    free(rgb);
    return st;
}

static rcc_status remember_retry(stream_run *r, const char *path, int attempts)
{
    if (r->nretry == r->retry_cap) {
        int cap = r->retry_cap ? 2 * r->retry_cap : 16;
        retry_item *v = realloc(r->retry, (size_t)cap * sizeof *v);
        if (!v)
            return rcc_fail(RCC_ERR_NOMEM, "retry list");
        r->retry = v, r->retry_cap = cap;
    }
    char *p = strdup(path);
    if (!p)
        return rcc_fail(RCC_ERR_NOMEM, "retry list");
    r->retry[r->nretry++] = (retry_item){p, attempts, rcc_now() + r->o.retry_seconds};
    return RCC_OK;
}

static rcc_status create_trainer(stream_run *r);

/* Takes in one file (attempt `attempts`, 1-based). Errors are the run's own (memory, its files);
 * a file that cannot be used is retried, then skipped. */
static rcc_status take_in(stream_run *r, const char *path, int attempts)
{
    if (!image_name(path)) {
        if (r->ignored++ == 0)
            note(r, "ignoring %s and other files without a .png, .jpg or .jpeg name", path);
        return RCC_OK;
    }
    uint64_t h = path_hash(path);
    int before = set_check(&r->seen_set, h);
    if (before == 1)
        return RCC_OK; /* given twice (the scan and an event) */
    long len = read_file(r, path);
    rcc_status st = len < 0 ? RCC_ERR_IO : RCC_OK;
    if (st == RCC_OK && r->c == 0) {
        st = first_channels(r, path, len, &r->c);
        if (st == RCC_OK)
            RCC_TRY(create_trainer(r));
    }
    if (st == RCC_OK)
        st = rcc_image_view_decode(r->bytes, (size_t)len, r->c, r->s, 0, path, r->img);
    if (st == RCC_ERR_NOMEM)
        return st;
    if (st != RCC_OK) { /* a file still being written, or a broken one */
        if (attempts < r->o.retries)
            return remember_retry(r, path, attempts + 1);
        r->skipped++;
        note(r, "skipped %s after %d attempt%s: %s", path, attempts, attempts == 1 ? "" : "s", rcc_last_error());
        fprintf(r->skipped_txt, "%s\t%s\n", path, rcc_last_error());
        fflush(r->skipped_txt);
        return RCC_OK;
    }
    if (before == 2) { /* seen before the resume: back into the pool, not counted again */
        rcc_ipool_refill(&r->pool, r->img);
        return RCC_OK;
    }
    if (!set_add(&r->seen_set, h, false))
        return rcc_fail(RCC_ERR_NOMEM, "the set of paths seen");
    fprintf(r->seen_txt, "%s\n", path);
    rcc_ipool_add(&r->pool, r->img);
    r->seen++;
    if (r->nprobe < r->o.probe) {
        memcpy(r->probe + (size_t)r->nprobe * r->px, r->img, r->px * sizeof(float));
        if (!(r->probe_paths[r->nprobe] = strdup(path)))
            return rcc_fail(RCC_ERR_NOMEM, "probe");
        r->nprobe++;
    }
    return RCC_OK;
}

/* Files due for another attempt. */
static rcc_status retry_due(stream_run *r)
{
    double now = rcc_now();
    for (int i = 0; i < r->nretry;) {
        if (r->retry[i].next > now) {
            i++;
            continue;
        }
        retry_item it = r->retry[i];
        r->retry[i] = r->retry[--r->nretry];
        rcc_status st = take_in(r, it.path, it.attempts);
        free(it.path);
        RCC_TRY(st);
    }
    return RCC_OK;
}

/* Takes in what the source has now (waiting up to wait_ms for the first). */
static rcc_status ingest(stream_run *r, int wait_ms, bool *ended)
{
    char path[RCC_PATH_MAX];
    RCC_TRY(retry_due(r));
    for (int i = 0; i < STREAM_INGEST_PER_STEP; i++) {
        int got = rcc_source_next(r->src, path, sizeof path, i == 0 ? wait_ms : 0);
        if (got < 0)
            *ended = true;
        if (got <= 0)
            break;
        RCC_TRY(take_in(r, path, 1));
    }
    fflush(r->seen_txt);
    return RCC_OK;
}

static rcc_status create_trainer(stream_run *r)
{
    rcc_config *c = &r->cfg;
    RCC_TRY(rcc_run_setup(&r->tr, c, r->c, "the images", c->batch, NULL, &r->aug));
    r->have_trainer = true;
    r->px = (size_t)r->c * r->s * r->s;
    RCC_TRY(rcc_ipool_init(&r->pool, r->c, r->s, r->o.pool, r->o.recent, c->seed));
    r->probe = malloc((size_t)(r->o.probe > 0 ? r->o.probe : 1) * r->px * sizeof(float));
    float *img = realloc(r->img, r->px * sizeof(float));
    if (!r->probe || !img)
        return rcc_fail(RCC_ERR_NOMEM, "probe images");
    r->img = img;
    return rcc_run_prepare_out_dir(r->dir, r->ckpt, r->tr.ps.total * 12 + r->tr.ps.total_b * 4 + (1 << 20), r->hooks);
}

/* ---------------------------------------------------------------- state between runs */

/* stream.json: the counters and the probe's paths, written after each checkpoint (rename). */
static rcc_status write_state(stream_run *r, long step)
{
    cJSON *o = cJSON_CreateObject(), *probe = cJSON_CreateArray();
    if (!o || !probe) {
        cJSON_Delete(o);
        cJSON_Delete(probe);
        return rcc_fail(RCC_ERR_NOMEM, "stream state");
    }
    cJSON_AddNumberToObject(o, "step", (double)step);
    cJSON_AddNumberToObject(o, "seen", (double)r->seen);
    cJSON_AddNumberToObject(o, "skipped", (double)r->skipped);
    cJSON_AddNumberToObject(o, "offered", (double)r->pool.offered);
    cJSON_AddNumberToObject(o, "channels", r->c);
    for (int i = 0; i < r->nprobe; i++)
        cJSON_AddItemToArray(probe, cJSON_CreateString(r->probe_paths[i]));
    cJSON_AddItemToObject(o, "probe", probe);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text)
        return rcc_fail(RCC_ERR_NOMEM, "stream state");
    char tmp[RCC_PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", r->state_path);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = f && fclose(f) == 0 && ok;
    free(text);
    if (!ok || rename(tmp, r->state_path) != 0)
        return rcc_fail(RCC_ERR_IO, "%s: cannot write (%s)", r->state_path, strerror(errno));
    return RCC_OK;
}

/* On resume: the counters, the probe (read again from its files) and the paths seen. */
static rcc_status read_state(stream_run *r)
{
    FILE *f = fopen(r->state_path, "r");
    if (!f)
        return RCC_OK; /* killed before its first checkpoint's state: starts counting afresh */
    char *text = malloc(64 << 20);
    size_t n = text ? fread(text, 1, (64 << 20) - 1, f) : 0;
    fclose(f);
    if (!text)
        return rcc_fail(RCC_ERR_NOMEM, "stream state");
    text[n] = 0;
    cJSON *o = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return rcc_fail(RCC_ERR_FORMAT, "%s: not a JSON object", r->state_path);
    }
    const cJSON *seen = cJSON_GetObjectItemCaseSensitive(o, "seen"),
                *skipped = cJSON_GetObjectItemCaseSensitive(o, "skipped"),
                *offered = cJSON_GetObjectItemCaseSensitive(o, "offered"),
                *probe = cJSON_GetObjectItemCaseSensitive(o, "probe");
    r->seen = cJSON_IsNumber(seen) ? (long)seen->valuedouble : 0;
    r->skipped = cJSON_IsNumber(skipped) ? (long)skipped->valuedouble : 0;
    r->pool.offered = cJSON_IsNumber(offered) ? (long)offered->valuedouble : r->seen;
    const cJSON *p;
    cJSON_ArrayForEach(p, probe)
    {
        if (!cJSON_IsString(p) || r->nprobe >= r->o.probe)
            continue;
        long len = read_file(r, p->valuestring);
        if (len < 0 || rcc_image_view_decode(r->bytes, (size_t)len, r->c, r->s, 0, p->valuestring,
                                             r->probe + (size_t)r->nprobe * r->px) != RCC_OK)
            continue; /* gone since: the probe is smaller */
        if (!(r->probe_paths[r->nprobe] = strdup(p->valuestring))) {
            cJSON_Delete(o);
            return rcc_fail(RCC_ERR_NOMEM, "probe");
        }
        r->nprobe++;
    }
    cJSON_Delete(o);
    /* seen.txt: every path taken in, one per line */
    char seen_path[RCC_PATH_MAX];
    RCC_TRY(rcc_path_join(seen_path, sizeof seen_path, r->dir, "seen.txt"));
    f = fopen(seen_path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    rcc_status st = RCC_OK;
    while (f && st == RCC_OK && (len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = 0;
        if (len && !set_add(&r->seen_set, path_hash(line), true))
            st = rcc_fail(RCC_ERR_NOMEM, "the set of paths seen");
    }
    free(line);
    if (f)
        fclose(f);
    return st;
}

/* ---------------------------------------------------------------- checkpoints and drift */

static rcc_status drift_and_save(stream_run *r, long step)
{
    const rcc_config *c = &r->cfg; /* what the checkpoint records: the thread count asked for */
    rcc_config now = r->cfg;       /* the passes: the count it computes with now (its share) */
    now.threads = r->threads;
    int K = c->clusters;
    rcc_net *net;
    RCC_TRY(rcc_net_wrap(&net, &now, &r->tr.ps, RCC_NET_BATCH));
    int nr = r->pool.n_recent, most = nr > r->nprobe ? nr : r->nprobe;
    int *cl = malloc(sizeof(int) * (size_t)(most ? most : 1));
    float *conf = malloc(sizeof(float) * (size_t)(most ? most : 1));
    long *sizes = calloc((size_t)K, sizeof *sizes);
    int *probe_now = malloc(sizeof(int) * (size_t)(r->nprobe ? r->nprobe : 1));
    rcc_status st = cl && conf && sizes && probe_now ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "drift record");
    double mean_conf = NAN, moved = NAN, ari = NAN;
    if (st == RCC_OK && nr) {
        st = rcc_net_assign(net, r->pool.recent, nr, cl, conf, NULL, NULL);
        double sum = 0;
        for (int i = 0; st == RCC_OK && i < nr; i++)
            sizes[cl[i]]++, sum += conf[i];
        mean_conf = nr ? sum / nr : NAN;
    }
    if (st == RCC_OK && r->nprobe)
        st = rcc_net_assign(net, r->probe, r->nprobe, probe_now, NULL, NULL, NULL);
    int common = r->nprobe < r->nprobe_prev ? r->nprobe : r->nprobe_prev;
    if (st == RCC_OK && common > 1) {
        int changed = 0;
        for (int i = 0; i < common; i++)
            changed += probe_now[i] != r->probe_prev[i];
        moved = (double)changed / common;
        rcc_scores sc;
        if (rcc_scores_compute(probe_now, r->probe_prev, (size_t)common, &sc) == RCC_OK)
            ari = sc.ari;
    }
    rcc_net_free(net);
    if (st == RCC_OK) {
        rcc_metrics_write_drift(r->metrics, step, r->seen, rcc_ipool_size(&r->pool), r->skipped, sizes, K, mean_conf,
                                r->nprobe, moved, ari);
        errno = 0;
        if (fflush(r->metrics) != 0 || ferror(r->metrics))
            st = rcc_fail(RCC_ERR_IO, "%s: cannot write (%s)", r->metrics_path, strerror(errno ? errno : EIO));
    }
    rcc_progress pr = {0, 0, step};
    if (st == RCC_OK)
        st = rcc_checkpoint_save(r->ckpt, c, &r->tr.ps, &pr, true);
    if (st == RCC_OK)
        st = write_state(r, step);
    if (st == RCC_OK) {
        free(r->probe_prev);
        r->probe_prev = probe_now;
        r->nprobe_prev = r->nprobe;
        probe_now = NULL;
        if (r->hooks && r->hooks->on_drift) {
            rcc_drift_event e = {step,     r->seen,   r->skipped, rcc_ipool_size(&r->pool), sizes, K, mean_conf,
                                 r->nprobe, moved,    ari,        true};
            r->hooks->on_drift(&e, r->hooks->user);
        }
    }
    free(cl);
    free(conf);
    free(sizes);
    free(probe_now);
    return st;
}

/* ---------------------------------------------------------------- the loop */

/* One step on a batch drawn from the pool (distinct images, uniformly). */
static rcc_status step_once(stream_run *r, long step, float *batch, size_t *idx, rcc_loss_terms *lt, double *lr)
{
    const rcc_config *c = &r->cfg;
    int N = c->batch, n = rcc_ipool_size(&r->pool);
    rcc_rng_sample_prefix(idx, (size_t)n, (size_t)N, c->seed, 0x5354524D00000000ULL + (uint64_t)step); /* "STRM" */
    for (int i = 0; i < N; i++)
        memcpy(batch + (size_t)i * r->px, rcc_ipool_image(&r->pool, (int)idx[i]), r->px * sizeof(float));
    rcc_dataset d = {.n = N, .c = r->c, .h = r->s, .w = r->s, .pix = batch};
    float *in = r->tr.model.input.ptr;
    for (int i = 0; i < N; i++) {
        rcc_augment(&r->aug, &d, i, r->s, c->seed, (uint64_t)step, 0, in + (size_t)i * r->px);
        rcc_augment(&r->aug, &d, i, r->s, c->seed, (uint64_t)step, 1, in + ((size_t)N + i) * r->px);
    }
    int warm = r->o.warmup_steps;
    *lr = warm > 0 && step < warm ? c->lr * (double)(step + 1) / warm : c->lr;
    r->tr.acfg.lr = (float)*lr;
    rcc_status st = rcc_trainer_step(&r->tr, lt, true);
    if (st == RCC_ERR_NUMERIC)
        return rcc_fail(st, "step %ld: %s; the last good checkpoint is %s", step + 1, rcc_last_error(), r->ckpt);
    return st;
}

static rcc_status stream_loop(stream_run *r, long step)
{
    const rcc_config *c = &r->cfg;
    const rcc_run_hooks *hooks = r->hooks;
    int N = c->batch;
    bool ended = false, waiting_said = false, ended_said = false;
    float *batch = NULL;
    size_t *idx = NULL;
    double t_start = rcc_now(), t_prev = t_start, t_saved = t_start;
    long saved_step = step;
    rcc_status st = RCC_OK;
    while (st == RCC_OK) {
        bool stop = hooks && hooks->stop && *hooks->stop;
        if (stop || (r->o.max_steps > 0 && step >= r->o.max_steps)) {
            if (r->have_trainer && step != saved_step)
                st = drift_and_save(r, step);
            if (st == RCC_OK && stop)
                st = rcc_fail(RCC_ERR_INTERRUPTED, "interrupted at step %ld; saved %s", step, r->ckpt);
            break;
        }
        bool hungry = !r->have_trainer || rcc_ipool_size(&r->pool) < N;
        st = ingest(r, hungry ? 200 : 0, &ended);
        if (st != RCC_OK)
            break;
        if (r->have_trainer && r->need_first) {
            st = drift_and_save(r, step);
            r->need_first = false;
            if (st != RCC_OK)
                break;
        }
        if (ended && !ended_said) {
            note(r, "the list of paths ended (%ld images seen); training goes on over the pool until stopped%s",
                 r->seen, r->o.max_steps ? " or --max-steps" : "");
            ended_said = true;
        }
        if (!r->have_trainer || rcc_ipool_size(&r->pool) < N) {
            if (!waiting_said) {
                note(r, "waiting for images: a step needs %d, the pool holds %d", N,
                     r->have_trainer ? rcc_ipool_size(&r->pool) : 0);
                waiting_said = true;
            }
            if (ended && r->nretry == 0) {
                st = rcc_fail(RCC_ERR_ARG, "the list of paths ended with %d usable image(s), fewer than one batch of %d",
                              r->have_trainer ? rcc_ipool_size(&r->pool) : 0, N);
                break;
            }
            continue;
        }
        if (!batch) {
            batch = malloc((size_t)N * r->px * sizeof *batch);
            idx = malloc(sizeof *idx * (size_t)(r->o.pool + r->o.recent));
            if (!batch || !idx) {
                st = rcc_fail(RCC_ERR_NOMEM, "batch");
                break;
            }
        }
        /* busy while it steps, and 2 s after: a stream waiting for images leaves the CPUs to others */
        rcc_share_busy(r->share, INFINITY);
        if (r->share && hooks && hooks->share) {
            st = rcc_run_share_cpus(r->share, &r->tr, r->cfg.threads, &r->threads, hooks);
            if (st != RCC_OK)
                break;
        }
        rcc_loss_terms lt;
        double lr;
        st = step_once(r, step, batch, idx, &lt, &lr);
        rcc_share_busy(r->share, STREAM_BUSY_AFTER_S);
        if (st != RCC_OK)
            break;
        step++;
        rcc_metrics_write_step(r->metrics, 1, (int)step, step, lr, &lt);
        double now = rcc_now();
        if (hooks && hooks->on_step) {
            rcc_step_event e = {0, 0, (int)step, 0, step, lt, lr, now - t_prev, N, now - t_start, false, NAN};
            hooks->on_step(&e, hooks->user);
        }
        t_prev = now;
        if ((r->o.save_steps > 0 && step % r->o.save_steps == 0) ||
            (r->o.save_seconds > 0 && now - t_saved >= r->o.save_seconds)) {
            st = drift_and_save(r, step);
            saved_step = step;
            t_saved = rcc_now();
        }
    }
    free(batch);
    free(idx);
    return st;
}

static rcc_status run_stream(const rcc_config *cfg, const rcc_stream_options *o, const char *out_dir,
                             const char *resume_from, const rcc_run_hooks *hooks)
{
    if (strlen(out_dir) > RCC_DIR_MAX)
        return rcc_fail(RCC_ERR_ARG, "output folder path too long");
    if (!o || (!o->follow_dir && o->lines_fd < 0))
        return rcc_fail(RCC_ERR_ARG, "a stream needs a folder to follow or a descriptor of paths");
    if (hooks && hooks->dist && hooks->dist->size > 1)
        return rcc_fail(RCC_ERR_ARG, "a streaming run is one process (not under mpirun)");
    if (o->pool < 0 || o->recent < 0 || o->probe < 0 || o->retries < 1 || o->save_steps < 0 || o->max_steps < 0)
        return rcc_fail(RCC_ERR_ARG, "stream options out of range (pool, recent, probe >= 0; retries >= 1)");
    if (o->pool + o->recent < cfg->batch)
        return rcc_fail(RCC_ERR_ARG, "a pool of %d + %d images cannot hold one batch of %d", o->pool, o->recent,
                        cfg->batch);
    stream_run *r = calloc(1, sizeof *r);
    if (!r)
        return rcc_fail(RCC_ERR_NOMEM, "stream");
    r->cfg = *cfg;
    r->o = *o;
    r->hooks = hooks;
    r->s = cfg->image_size;
    r->c = cfg->in_channels;
    snprintf(r->dir, sizeof r->dir, "%s", out_dir);
    rcc_status st = rcc_path_join(r->ckpt, sizeof r->ckpt, out_dir, "checkpoint.safetensors");
    if (st == RCC_OK)
        st = rcc_path_join(r->metrics_path, sizeof r->metrics_path, out_dir, RCC_METRICS_FILE);
    if (st == RCC_OK)
        st = rcc_path_join(r->state_path, sizeof r->state_path, out_dir, "stream.json");
    r->bytes = malloc(STREAM_MAX_FILE);
    r->img = malloc((size_t)3 * r->s * r->s * sizeof(float));
    r->probe_paths = calloc((size_t)(o->probe > 0 ? o->probe : 1), sizeof *r->probe_paths);
    if (st == RCC_OK && (!r->bytes || !r->img || !r->probe_paths))
        st = rcc_fail(RCC_ERR_NOMEM, "stream buffers");
    long step = 0;
    rcc_st_file ck;
    bool open_ck = false;
    if (st == RCC_OK && resume_from) {
        rcc_config saved;
        rcc_progress pr;
        st = rcc_checkpoint_open(resume_from, &ck, &saved, &pr);
        open_ck = st == RCC_OK;
        step = pr.step;
        if (st == RCC_OK) {
            r->c = saved.in_channels;
            r->cfg.in_channels = saved.in_channels;
        }
    }
    if (st == RCC_OK && r->c > 0) /* known: trainer and pool now (else at the first image) */
        st = create_trainer(r);
    if (st == RCC_OK && open_ck) {
        st = rcc_checkpoint_load_params(&ck, resume_from, &r->tr.ps, true);
        r->tr.step = step;
        if (st == RCC_OK)
            st = read_state(r);
        if (st == RCC_OK)
            st = rcc_metrics_trim(r->metrics_path, step);
    }
    if (open_ck)
        rcc_st_close(&ck);
    char p_seen[RCC_PATH_MAX], p_skipped[RCC_PATH_MAX];
    if (st == RCC_OK)
        st = rcc_path_join(p_seen, sizeof p_seen, out_dir, "seen.txt");
    if (st == RCC_OK)
        st = rcc_path_join(p_skipped, sizeof p_skipped, out_dir, "skipped.txt");
    if (st == RCC_OK && !r->have_trainer) { /* the folder must exist before the logs go into it */
        FILE *probe = NULL;
        if ((mkdir(out_dir, 0755) != 0 && errno != EEXIST) || !(probe = fopen(p_seen, "a")))
            st = rcc_fail(RCC_ERR_IO, "%s: cannot write in the output folder (%s)", out_dir, strerror(errno));
        if (probe)
            fclose(probe);
    }
    if (st == RCC_OK) {
        const char *mode = resume_from ? "a" : "w";
        r->seen_txt = fopen(p_seen, mode);
        r->skipped_txt = fopen(p_skipped, mode);
        r->metrics = fopen(r->metrics_path, mode);
        if (!r->seen_txt || !r->skipped_txt || !r->metrics)
            st = rcc_fail(RCC_ERR_IO, "%s: cannot write the run's files (%s)", out_dir, strerror(errno));
    }
    if (st == RCC_OK)
        st = o->follow_dir ? rcc_source_follow(&r->src, o->follow_dir) : rcc_source_lines(&r->src, o->lines_fd);
    r->need_first = !resume_from; /* a loadable checkpoint from the start, as rcc train */
    r->threads = rcc_compute_threads();
    if (st == RCC_OK) /* it says when it is busy; takes its own share only with hooks->share */
        r->share = rcc_share_join();
    if (st == RCC_OK)
        st = stream_loop(r, step);
    rcc_share_leave(r->share);
    rcc_source_free(r->src);
    if (r->seen_txt)
        fclose(r->seen_txt);
    if (r->skipped_txt)
        fclose(r->skipped_txt);
    if (r->metrics)
        fclose(r->metrics);
    if (r->have_trainer)
        rcc_trainer_free(&r->tr);
    rcc_ipool_free(&r->pool);
    for (int i = 0; i < r->nretry; i++)
        free(r->retry[i].path);
    free(r->retry);
    for (int i = 0; i < r->nprobe; i++)
        free(r->probe_paths[i]);
    free(r->probe_paths);
    free(r->probe);
    free(r->probe_prev);
    free(r->img);
    free(r->bytes);
    free(r->seen_set.key);
    free(r->seen_set.old);
    free(r);
    return st;
}

rcc_status rcc_run_stream(const rcc_config *cfg, const rcc_stream_options *o, const char *out_dir,
                          const char *resume_from, const rcc_run_hooks *hooks)
{
    rcc_compute_saved saved;
    rcc_compute_enter(cfg->threads, &saved);
    rcc_status st = run_stream(cfg, o, out_dir, resume_from, hooks);
    rcc_compute_leave(&saved);
    return st;
}
