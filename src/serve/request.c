/* request.c — what a request means and what it is answered, apart from HTTP transport: routing,
 * the token check, content types, decoding the images (rcc_image_view_decode, the same view as
 * `rcc predict`), the batcher's answer as JSON (cJSON), /v1/model and /metrics. http.c and
 * rcc_serve_handle (tests, the fuzz harness) both come through here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "rcc_data.h"
#include "rcc_run.h"
#include "serve_internal.h"
#include "../share.h"

void rcc_serve_defaults(rcc_serve_options *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->max_batch = 64;
    o->max_wait_ms = 5;
    o->threads = 0;
    o->max_body = (size_t)8 << 20;
    o->max_images = 256;
    o->max_side = 4096;
    o->timeout_s = 10;
    o->max_connections = 128;
    o->poll_ms = 500;
    o->share = true;
}

char *serve_error_json(int status, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (o && cJSON_AddStringToObject(o, "error", message) && cJSON_AddNumberToObject(o, "status", status))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* Equal strings, in a time that depends on the lengths only (a token is not guessed byte by byte). */
static bool same_secret(const char *given, const char *want)
{
    size_t lg = strlen(given), lw = strlen(want);
    unsigned char diff = lg != lw;
    for (size_t i = 0; i < lw; i++)
        diff |= (unsigned char)(want[i] ^ (i < lg ? given[i] : 0));
    return diff == 0;
}

/* The media type without parameters, compared without case. */
static bool media_is(const char *content_type, const char *type)
{
    size_t n = strlen(type);
    if (strncasecmp(content_type, type, n) != 0)
        return false;
    char c = content_type[n];
    return c == 0 || c == ';' || c == ' ' || c == '\t';
}

serve_route serve_precheck(rcc_server *s, const char *method, const char *url, const char *content_type,
                           const char *authorization, long long content_length)
{
    serve_route r = {EP_OTHER, BODY_NONE, 0, NULL};
    bool post = false;
    if (strcmp(url, "/v1/assign") == 0)
        r.ep = EP_ASSIGN, post = true;
    else if (strcmp(url, "/v1/embed") == 0)
        r.ep = EP_EMBED, post = true;
    else if (strcmp(url, "/v1/model") == 0)
        r.ep = EP_MODEL;
    else if (strcmp(url, "/healthz") == 0)
        r.ep = EP_HEALTHZ;
    else if (strcmp(url, "/metrics") == 0)
        r.ep = EP_METRICS;
    else if (serve_page_route(url))
        r.ep = EP_PAGE;
    /* /healthz says only that the server is up, so probes need no token */
    if (s->token && r.ep != EP_HEALTHZ && !(r.ep == EP_PAGE && serve_page_public(url))) {
        const char *bearer = "Bearer ";
        if (!authorization || strncasecmp(authorization, bearer, 7) != 0 || !same_secret(authorization + 7, s->token)) {
            r.status = 401;
            r.message = authorization ? "wrong token" : "this server needs \"Authorization: Bearer TOKEN\"";
            return r;
        }
    }
    if (r.ep == EP_OTHER) {
        r.status = 404;
        r.message = "no such endpoint (POST /v1/assign, POST /v1/embed, GET /v1/model, GET /healthz, GET /metrics, "
                    "GET / for the page)";
        return r;
    }
    if (strcmp(method, post ? "POST" : "GET") != 0 && !(!post && strcmp(method, "HEAD") == 0)) {
        r.status = 405;
        r.message = post ? "this endpoint takes POST" : "this endpoint takes GET";
        return r;
    }
    if (!post)
        return r;
    if (content_length >= 0 && (unsigned long long)content_length > s->o.max_body) {
        r.status = 413;
        r.message = "the body is larger than the server's limit (--max-body-kib)";
        return r;
    }
    if (content_type && (media_is(content_type, "image/png") || media_is(content_type, "image/jpeg")))
        r.body = BODY_IMAGE;
    else if (content_type && media_is(content_type, "multipart/form-data"))
        r.body = BODY_MULTIPART;
    else {
        r.status = 415;
        r.message = "send one image as image/png or image/jpeg, or several as multipart/form-data";
    }
    return r;
}

static cJSON *model_json(const serve_model *m, bool with_config)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char digest[32], when[40];
    snprintf(digest, sizeof digest, "fnv1a64:%s", m->digest);
    time_t t = (time_t)m->loaded_at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddNumberToObject(o, "step", (double)m->step);
    cJSON_AddStringToObject(o, "digest", digest);
    if (with_config) {
        cJSON_AddStringToObject(o, "loaded_at", when);
        cJSON_AddNumberToObject(o, "loaded_at_unix", m->loaded_at);
        cJSON_AddNumberToObject(o, "channels", m->c);
        cJSON_AddNumberToObject(o, "image_size", m->s);
        cJSON_AddNumberToObject(o, "clusters", m->k);
        cJSON_AddNumberToObject(o, "rep_dim", m->r);
        cJSON_AddStringToObject(o, "precision", rcc_precision_name(rcc_net_config(m->net)->precision));
        cJSON *cfg = cJSON_Parse(m->config_json);
        if (cfg)
            cJSON_AddItemToObject(o, "config", cfg);
    }
    return o;
}

/* The answer of a job, for /v1/assign (everything) or /v1/embed (h only). */
static cJSON *job_json(const serve_job *j, bool assign)
{
    cJSON *o = cJSON_CreateObject(), *model = cJSON_CreateObject(), *res = cJSON_CreateArray();
    if (!o || !model || !res) {
        cJSON_Delete(o);
        cJSON_Delete(model);
        cJSON_Delete(res);
        return NULL;
    }
    char digest[32];
    snprintf(digest, sizeof digest, "fnv1a64:%s", j->digest);
    cJSON_AddNumberToObject(model, "step", (double)j->step);
    cJSON_AddStringToObject(model, "digest", digest);
    cJSON_AddItemToObject(o, "model", model);
    cJSON_AddItemToObject(o, "results", res);
    for (int i = 0; i < j->n; i++) {
        cJSON *r = cJSON_CreateObject();
        if (!r) {
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_AddItemToArray(res, r);
        if (assign) {
            cJSON_AddNumberToObject(r, "cluster", j->cluster[i]);
            cJSON_AddNumberToObject(r, "confidence", j->confidence[i]);
            cJSON_AddItemToObject(r, "probs", cJSON_CreateFloatArray(j->probs + (size_t)i * j->k, j->k));
        }
        cJSON_AddItemToObject(r, "h", cJSON_CreateFloatArray(j->h + (size_t)i * j->r, j->r));
    }
    return o;
}

static char *print_or_null(cJSON *o)
{
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

/* Decodes the images and has the batcher answer them. */
static char *answer_images(rcc_server *s, bool assign, const void *const *data, const size_t *len, int nimg,
                           int *status)
{
    char msg[700];
    /* the caller counted this request as arriving: every return before serve_submit uncounts it */
    if (nimg == 0) {
        serve_arriving(s, -1);
        *status = 400;
        return serve_error_json(400, "no image in the request");
    }
    if (nimg > s->o.max_images) {
        serve_arriving(s, -1);
        *status = 413;
        snprintf(msg, sizeof msg, "%d images in one request; the limit is %d (--max-images)", nimg, s->o.max_images);
        return serve_error_json(413, msg);
    }
    size_t px = (size_t)s->c * s->s * s->s;
    float *x = malloc((size_t)nimg * px * sizeof *x);
    if (!x) {
        serve_arriving(s, -1);
        *status = 503;
        return serve_error_json(503, "out of memory for the images");
    }
    for (int i = 0; i < nimg; i++) {
        char name[32];
        snprintf(name, sizeof name, "image %d", i);
        rcc_status st = rcc_image_view_decode(data[i], len[i], s->c, s->s, s->o.max_side, name, x + i * px);
        if (st != RCC_OK) {
            free(x);
            serve_arriving(s, -1);
            *status = st == RCC_ERR_NOMEM ? 503 : 400;
            snprintf(msg, sizeof msg, "%s", rcc_last_error());
            return serve_error_json(*status, msg);
        }
    }
    serve_job job;
    memset(&job, 0, sizeof job);
    pthread_cond_init(&job.cv, NULL);
    job.n = nimg;
    job.images = x;
    serve_submit(s, &job);
    pthread_cond_destroy(&job.cv);
    free(x);
    char *text;
    if (job.st != RCC_OK) {
        *status = 500;
        text = serve_error_json(500, job.err);
    } else {
        *status = 200;
        text = print_or_null(job_json(&job, assign));
        if (assign)
            serve_page_record(s, data, len, nimg, &job);
    }
    serve_job_release(&job);
    return text;
}

rcc_status serve_answer(rcc_server *s, serve_endpoint ep, const void *const *data, const size_t *len, int nimg,
                        int *status, char **body, const char **type)
{
    *type = "application/json";
    *body = NULL;
    if (ep == EP_ASSIGN || ep == EP_EMBED) {
        *body = answer_images(s, ep == EP_ASSIGN, data, len, nimg, status);
    } else if (ep == EP_PAGE) { /* answered by the HTTP side (http.c), whose answers may be binary */
        *status = 404;
        *body = serve_error_json(404, "the page is served over HTTP only");
    } else if (ep == EP_HEALTHZ) {
        *status = 200;
        *body = strdup("{\"status\":\"ok\"}");
    } else {
        pthread_mutex_lock(&s->mu);
        const serve_model *m = s->model;
        long step = m->step;
        double loaded = m->loaded_at;
        cJSON *o = ep == EP_MODEL ? model_json(m, true) : NULL;
        pthread_mutex_unlock(&s->mu);
        *status = 200;
        if (ep == EP_MODEL) {
            *body = print_or_null(o);
        } else {
            *type = "text/plain; version=0.0.4";
            *body = serve_metrics_text(&s->metrics, step, loaded);
        }
    }
    return *body ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "no memory for the answer");
}

/* ---------------------------------------------------------------- without sockets */

rcc_status rcc_serve_handle(rcc_server *s, const char *method, const char *url, const char *content_type,
                            const char *authorization, const void *data, size_t len, int *status, char **body,
                            const char **answer_type)
{
    double t0 = serve_now();
    serve_route r = serve_precheck(s, method, url, content_type, authorization, (long long)len);
    rcc_status st = RCC_OK;
    *answer_type = "application/json";
    if (r.status == 0 && r.body == BODY_MULTIPART) {
        r.status = 415;
        r.message = "multipart bodies are parsed by the HTTP side only";
    }
    if (r.status) {
        *status = r.status;
        *body = serve_error_json(r.status, r.message);
        if (!*body)
            st = rcc_fail(RCC_ERR_NOMEM, "no memory for the answer");
    } else {
        const void *one[1] = {data};
        size_t lens[1] = {len};
        bool images = r.ep == EP_ASSIGN || r.ep == EP_EMBED;
        if (images)
            serve_arriving(s, 1);
        st = serve_answer(s, r.ep, one, lens, images ? 1 : 0, status, body, answer_type);
    }
    serve_metrics_request(&s->metrics, r.ep, *status, serve_now() - t0);
    return st;
}

rcc_status serve_server_create(rcc_server **out, const rcc_serve_options *o)
{
    *out = NULL;
    if (!o || !o->checkpoint)
        return rcc_fail(RCC_ERR_ARG, "rcc_serve: no checkpoint given");
    if (o->max_batch < 1 || o->max_images < 1 || o->max_body < 1 || o->max_side < 1 || o->max_wait_ms < 0 ||
        o->timeout_s < 1 || o->max_connections < 1 || o->poll_ms < 0)
        return rcc_fail(RCC_ERR_ARG, "rcc_serve: a limit is out of range (batch, images, body, side and "
                                     "connections >= 1, timeout >= 1 s, wait and poll >= 0)");
    rcc_precision prec;
    if (o->precision && o->precision[0] && rcc_precision_parse(o->precision, &prec) != RCC_OK)
        return rcc_fail(RCC_ERR_ARG, "rcc_serve: %s", rcc_last_error());
    rcc_server *s = calloc(1, sizeof *s);
    if (!s)
        return rcc_fail(RCC_ERR_NOMEM, "server");
    s->o = *o;
    s->path = strdup(o->checkpoint);
    s->token = o->token ? strdup(o->token) : NULL;
    s->o.checkpoint = s->path;
    s->o.token = s->token;
    s->o.host = NULL; /* not kept: only used while binding */
    if (o->precision)
        snprintf(s->precision, sizeof s->precision, "%s", o->precision);
    s->o.precision = s->precision;
    serve_metrics_init(&s->metrics);
    serve_core_init(s);
    s->page = serve_page_create();
    rcc_status st = s->path && (!o->token || s->token) && s->page ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "server");
    rcc_config cfg;
    rcc_progress pr;
    if (st == RCC_OK && o->threads <= 0)
        st = rcc_checkpoint_info(s->path, &cfg, &pr);
    if (st == RCC_OK) {
        s->threads = o->threads > 0 ? o->threads : cfg.threads > 0 ? cfg.threads : rcc_get_threads();
        s->share = rcc_share_join(); /* busy after each batch; takes its own share only with o->share */
        s->share_own = o->share;
        st = serve_core_start(s); /* the batcher loads the model */
    }
    if (st != RCC_OK) {
        rcc_serve_stop(s, 0);
        return st;
    }
    *out = s;
    return RCC_OK;
}

rcc_status rcc_serve_start_offline(rcc_server **s, const rcc_serve_options *o)
{
    return serve_server_create(s, o);
}
