/* page.c — the web page of `rcc serve` (GET /) and what it reads: its HTML, script and style
 * (built into the binary from src/serve/assets/ at build time), the live state as JSON (the model,
 * the counters, each cluster's images since the model was loaded and its example thumbnails),
 * the thumbnails by id, and a followed run's drift records. The examples are two bounded rings per
 * cluster — the most recent images and the most confident ones — of small PNG thumbnails made on
 * the request's own thread once the batcher has answered it, so the batcher never waits for them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "rcc_data.h"
#include "serve_internal.h"

/* The assets, generated from src/serve/assets/ by src/serve/embed_assets.cmake. */
extern const unsigned char serve_asset_index_html[], serve_asset_app_js[], serve_asset_app_css[];
extern const size_t serve_asset_index_html_len, serve_asset_app_js_len, serve_asset_app_css_len;

enum {
    RING = 6,          /* recent and most confident examples kept per cluster */
    THUMB_SIDE = 64,   /* thumbnails fit 64×64 pixels: at most ~12 KiB of PNG each */
    MAX_CLUSTERS = 4096, /* a model with more clusters gets no examples or counts on the page */
};
#define RECENT_EVERY_S 0.25 /* a cluster's recent ring takes an image at most this often */
#define DRIFT_MAX_BYTES ((long long)256 << 20) /* a larger metrics.jsonl is not read for the chart */
#define DRIFT_MAX_POINTS 2000                  /* records sent, the newest */

typedef struct {
    uint64_t id;        /* 0: empty slot */
    float confidence;
    double at;          /* Unix time it was answered */
    unsigned char *png;
    size_t len;
} example;

struct serve_page {
    pthread_mutex_t mu;
    char digest[17];    /* the model the examples and counts belong to */
    int k;
    uint64_t next_id;
    example *recent;    /* k × RING, a ring: recent_at[c] is the next slot */
    example *top;       /* k × RING, confidence descending, top_n[c] filled */
    int *recent_at, *top_n;
    uint64_t *counts;   /* images per cluster since the model was loaded */
    double *last_recent;
    uint64_t images;    /* since the server started */
    double started;
    /* drift records of the run's metrics.jsonl, kept as JSON while the file does not change */
    char *drift_json;
    serve_file_id drift_id;
    bool drift_cached;
};

static double unix_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void clear_examples(serve_page *p)
{
    for (int i = 0; p->recent && i < p->k * RING; i++) {
        free(p->recent[i].png);
        free(p->top[i].png);
    }
    free(p->recent), free(p->top), free(p->recent_at), free(p->top_n), free(p->counts), free(p->last_recent);
    p->recent = p->top = NULL;
    p->recent_at = p->top_n = NULL;
    p->counts = NULL;
    p->last_recent = NULL;
    p->k = 0;
}

/* Starts afresh for another model (its clusters mean other things). False when out of memory. */
static bool reset_for(serve_page *p, const char *digest, int k)
{
    clear_examples(p);
    snprintf(p->digest, sizeof p->digest, "%s", digest);
    if (k < 1 || k > MAX_CLUSTERS)
        return false;
    size_t n = (size_t)k * RING;
    p->recent = calloc(n, sizeof *p->recent);
    p->top = calloc(n, sizeof *p->top);
    p->recent_at = calloc((size_t)k, sizeof(int));
    p->top_n = calloc((size_t)k, sizeof(int));
    p->counts = calloc((size_t)k, sizeof(uint64_t));
    p->last_recent = calloc((size_t)k, sizeof(double));
    if (!p->recent || !p->top || !p->recent_at || !p->top_n || !p->counts || !p->last_recent) {
        clear_examples(p);
        return false;
    }
    p->k = k;
    return true;
}

serve_page *serve_page_create(void)
{
    serve_page *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    p->next_id = 1;
    p->started = unix_now();
    return p;
}

void serve_page_free(serve_page *p)
{
    if (!p)
        return;
    clear_examples(p);
    free(p->drift_json);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* Puts a copy of png into slot e (freeing what was there). */
static void put(serve_page *p, example *e, float confidence, double at, const unsigned char *png, size_t len)
{
    unsigned char *copy = malloc(len);
    if (!copy)
        return; /* the example is simply not kept */
    memcpy(copy, png, len);
    free(e->png);
    *e = (example){p->next_id++, confidence, at, copy, len};
}

void serve_page_record(rcc_server *s, const void *const *data, const size_t *len, int n, const serve_job *job)
{
    serve_page *p = s->page;
    if (!p)
        return;
    for (int i = 0; i < n; i++) {
        int c = job->cluster[i];
        float conf = job->confidence[i];
        double now = unix_now();
        pthread_mutex_lock(&p->mu);
        if (strcmp(p->digest, job->digest) != 0 || p->k != job->k)
            reset_for(p, job->digest, job->k);
        p->images++;
        bool in = p->k > 0 && c >= 0 && c < p->k;
        bool want_recent = in && now - p->last_recent[c] >= RECENT_EVERY_S;
        bool want_top = in && (p->top_n[c] < RING || conf > p->top[c * RING + RING - 1].confidence);
        if (in)
            p->counts[c]++;
        if (want_recent)
            p->last_recent[c] = now; /* claimed now, so concurrent requests do not all make thumbnails */
        pthread_mutex_unlock(&p->mu);
        if (!want_recent && !want_top)
            continue;
        unsigned char *png;
        size_t plen;
        if (rcc_image_thumbnail_png(data[i], len[i], s->o.max_side, THUMB_SIDE, &png, &plen) != RCC_OK)
            continue;
        pthread_mutex_lock(&p->mu);
        if (strcmp(p->digest, job->digest) == 0 && p->k == job->k) { /* still the same model */
            if (want_recent) {
                put(p, &p->recent[c * RING + p->recent_at[c]], conf, now, png, plen);
                p->recent_at[c] = (p->recent_at[c] + 1) % RING;
            }
            example *t = p->top + c * RING;
            int m = p->top_n[c];
            if (m < RING || conf > t[m - 1].confidence) {
                int at = m < RING ? m : RING - 1; /* a free slot, or the least confident one */
                while (at > 0 && t[at - 1].confidence < conf) {
                    example e = t[at - 1];
                    t[at - 1] = t[at];
                    t[at] = e;
                    at--;
                }
                put(p, &t[at], conf, now, png, plen);
                if (m < RING)
                    p->top_n[c] = m + 1;
            }
        }
        pthread_mutex_unlock(&p->mu);
        free(png);
    }
}

/* ---------------------------------------------------------------- answers */

static cJSON *example_list(const example *e, int n, double now)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) {
        if (!e[i].id || !e[i].png)
            continue;
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddNumberToObject(o, "id", (double)e[i].id);
        cJSON_AddNumberToObject(o, "confidence", e[i].confidence);
        cJSON_AddNumberToObject(o, "age_s", now - e[i].at);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static char *state_json(rcc_server *s)
{
    serve_page *p = s->page;
    cJSON *o = cJSON_CreateObject(), *model = cJSON_CreateObject(), *cnt = cJSON_CreateObject(),
          *cl = cJSON_CreateArray();
    if (!o || !model || !cnt || !cl) {
        cJSON_Delete(o), cJSON_Delete(model), cJSON_Delete(cnt), cJSON_Delete(cl);
        return NULL;
    }
    cJSON_AddItemToObject(o, "model", model);
    cJSON_AddItemToObject(o, "counters", cnt);
    cJSON_AddItemToObject(o, "clusters", cl);
    char digest[32], when[40];
    pthread_mutex_lock(&s->mu);
    const serve_model *m = s->model;
    snprintf(digest, sizeof digest, "fnv1a64:%s", m->digest);
    time_t t = (time_t)m->loaded_at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddNumberToObject(model, "step", (double)m->step);
    cJSON_AddStringToObject(model, "digest", digest);
    cJSON_AddStringToObject(model, "loaded_at", when);
    cJSON_AddNumberToObject(model, "loaded_at_unix", m->loaded_at);
    cJSON_AddNumberToObject(model, "clusters", m->k);
    cJSON_AddNumberToObject(model, "image_size", m->s);
    cJSON_AddNumberToObject(model, "channels", m->c);
    int k = m->k;
    char current[17];
    snprintf(current, sizeof current, "%s", m->digest);
    pthread_mutex_unlock(&s->mu);

    pthread_mutex_lock(&s->metrics.mu);
    uint64_t requests = 0, reloads = s->metrics.reloads, refused = s->metrics.reloads_refused;
    for (int c = 0; c < SERVE_CODES; c++)
        requests += s->metrics.requests[EP_ASSIGN][c];
    uint64_t *total = calloc((size_t)(k > 0 ? k : 1), sizeof *total);
    for (int c = 0; total && c < k && c < s->metrics.nclusters; c++)
        total[c] = s->metrics.cluster_images[c];
    pthread_mutex_unlock(&s->metrics.mu);

    double now = unix_now();
    pthread_mutex_lock(&p->mu);
    bool same = strcmp(p->digest, current) == 0 && p->k == k;
    cJSON_AddNumberToObject(cnt, "assign_requests", (double)requests);
    cJSON_AddNumberToObject(cnt, "images", (double)p->images);
    cJSON_AddNumberToObject(cnt, "reloads", (double)reloads);
    cJSON_AddNumberToObject(cnt, "reloads_refused", (double)refused);
    cJSON_AddNumberToObject(cnt, "uptime_s", now - p->started);
    for (int c = 0; c < k; c++) {
        cJSON *e = cJSON_CreateObject();
        if (!e)
            break;
        cJSON_AddItemToArray(cl, e);
        cJSON_AddNumberToObject(e, "cluster", c);
        cJSON_AddNumberToObject(e, "images", same ? (double)p->counts[c] : 0);
        cJSON_AddNumberToObject(e, "images_total", total ? (double)total[c] : 0);
        example recent[RING];
        int nr = 0;
        if (same) /* newest first */
            for (int i = 1; i <= RING; i++) {
                example *x = &p->recent[c * RING + (p->recent_at[c] - i + RING) % RING];
                if (x->id)
                    recent[nr++] = *x;
            }
        cJSON_AddItemToObject(e, "recent", example_list(recent, nr, now));
        cJSON_AddItemToObject(e, "confident", example_list(same ? p->top + c * RING : NULL, same ? p->top_n[c] : 0, now));
    }
    pthread_mutex_unlock(&p->mu);
    free(total);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* A copy of the thumbnail with this id, or NULL. */
static unsigned char *example_png(serve_page *p, uint64_t id, size_t *len)
{
    unsigned char *out = NULL;
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < p->k * RING && !out; i++)
        for (int w = 0; w < 2 && !out; w++) {
            const example *e = w ? &p->top[i] : &p->recent[i];
            if (e->id == id && e->png && (out = malloc(e->len))) {
                memcpy(out, e->png, e->len);
                *len = e->len;
            }
        }
    pthread_mutex_unlock(&p->mu);
    return out;
}

static char *drift_build(const char *metrics)
{
    rcc_metrics_log log;
    cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray();
    if (!o || !a) {
        cJSON_Delete(o), cJSON_Delete(a);
        return NULL;
    }
    cJSON_AddItemToObject(o, "records", a);
    if (rcc_metrics_log_load(metrics, &log) == RCC_OK) {
        size_t drift = 0;
        for (size_t i = 0; i < log.n; i++)
            drift += log.records[i].kind == RCC_METRICS_DRIFT;
        size_t skip = drift > DRIFT_MAX_POINTS ? drift - DRIFT_MAX_POINTS : 0;
        for (size_t i = 0; i < log.n; i++) {
            const rcc_metrics_record *r = &log.records[i];
            if (r->kind != RCC_METRICS_DRIFT || (skip && skip--))
                continue;
            cJSON *e = cJSON_CreateObject();
            if (!e)
                break;
            const char *keys[] = {"step", "seen", "pool", "skipped", "recent_confidence", "probe_moved", "probe_ari"};
            double v[] = {r->step, r->seen, r->pool, r->skipped, r->recent_confidence, r->probe_moved, r->probe_ari};
            for (int j = 0; j < 7; j++) /* JSON has no NaN: null */
                cJSON_AddItemToObject(e, keys[j], v[j] == v[j] ? cJSON_CreateNumber(v[j]) : cJSON_CreateNull());
            cJSON_AddItemToArray(a, e);
        }
        rcc_metrics_log_free(&log);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* The drift records of metrics.jsonl beside the checkpoint (a --follow run's folder), as JSON. */
static char *drift_json(rcc_server *s)
{
    serve_page *p = s->page;
    char metrics[RCC_PATH_MAX];
    snprintf(metrics, sizeof metrics, "%s", s->path);
    char *slash = strrchr(metrics, '/');
    if (slash)
        slash[1] = 0;
    else
        metrics[0] = 0;
    if (strlen(metrics) + sizeof RCC_METRICS_FILE >= sizeof metrics)
        return strdup("{\"records\":[]}");
    strcat(metrics, RCC_METRICS_FILE);
    serve_file_id id;
    if (!serve_file_identity(metrics, &id) || id.size > DRIFT_MAX_BYTES)
        return strdup("{\"records\":[]}");
    pthread_mutex_lock(&p->mu);
    char *text = p->drift_cached && serve_file_id_equal(&id, &p->drift_id) ? strdup(p->drift_json) : NULL;
    pthread_mutex_unlock(&p->mu);
    if (text)
        return text;
    text = drift_build(metrics); /* outside the lock: it reads a file */
    char *keep = text ? strdup(text) : NULL;
    pthread_mutex_lock(&p->mu);
    if (keep) {
        free(p->drift_json);
        p->drift_json = keep;
        p->drift_id = id;
        p->drift_cached = true;
    }
    pthread_mutex_unlock(&p->mu);
    return text;
}

bool serve_page_public(const char *url)
{
    return strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0 || strcmp(url, "/app.js") == 0 ||
           strcmp(url, "/app.css") == 0;
}

bool serve_page_route(const char *url)
{
    return serve_page_public(url) || strcmp(url, "/v1/page") == 0 || strcmp(url, "/v1/drift") == 0 ||
           strncmp(url, "/v1/examples/", 13) == 0;
}

void serve_page_answer(rcc_server *s, const char *url, int *status, serve_bytes *out)
{
    memset(out, 0, sizeof *out);
    *status = 200;
    out->type = "application/json";
    if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0) {
        out->data = serve_asset_index_html, out->len = serve_asset_index_html_len;
        out->type = "text/html; charset=utf-8";
    } else if (strcmp(url, "/app.js") == 0) {
        out->data = serve_asset_app_js, out->len = serve_asset_app_js_len;
        out->type = "text/javascript; charset=utf-8";
    } else if (strcmp(url, "/app.css") == 0) {
        out->data = serve_asset_app_css, out->len = serve_asset_app_css_len;
        out->type = "text/css; charset=utf-8";
    } else if (strcmp(url, "/v1/page") == 0 || strcmp(url, "/v1/drift") == 0) {
        char *text = url[4] == 'p' ? state_json(s) : drift_json(s);
        out->owned = text;
        out->data = (const unsigned char *)text;
        out->len = text ? strlen(text) : 0;
    } else {
        const char *num = url + 13;
        char *end;
        unsigned long long id = strtoull(num, &end, 10);
        unsigned char *png = NULL;
        size_t len = 0;
        if (*num >= '0' && *num <= '9' && *end == 0)
            png = example_png(s->page, id, &len);
        if (png) {
            out->owned = png;
            out->data = png, out->len = len;
            out->type = "image/png";
        } else {
            *status = 404;
            out->owned = serve_error_json(404, "no such example (the examples are replaced as images arrive)");
            out->data = out->owned;
            out->len = out->owned ? strlen(out->owned) : 0;
        }
    }
}
