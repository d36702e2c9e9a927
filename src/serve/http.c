/* http.c — the HTTP side of the server on GNU libmicrohttpd: a thread per connection (each
 * request waits for its batch), the connection limit and timeout, the body limit while the body
 * arrives, multipart bodies through libmicrohttpd's post processor, and the drain on stop.
 * What a request means is request.c's business. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "serve_internal.h"
#include "../share.h"

typedef struct {
    char *data;
    size_t len, cap;
} chunk;

/* One request on a connection, from its headers to its completion. */
typedef struct {
    serve_route r;
    serve_client *client; /* its connection */
    double t0;
    bool arriving;     /* counted in s->arriving, not yet handed to serve_answer */
    bool responded;
    bool overflow;     /* the body went over max_body */
    bool bad;          /* the multipart body did not parse */
    size_t total;      /* body bytes received */
    chunk body;        /* a raw image body */
    struct MHD_PostProcessor *pp;
    chunk *parts;      /* multipart: one per part */
    int nparts, partcap;
    rcc_server *s;
} http_req;

static bool chunk_add(chunk *c, const char *data, size_t n)
{
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + n)
            cap *= 2;
        char *p = realloc(c->data, cap);
        if (!p)
            return false;
        c->data = p;
        c->cap = cap;
    }
    memcpy(c->data + c->len, data, n);
    c->len += n;
    return true;
}

static enum MHD_Result part_data(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                                 const char *content_type, const char *transfer_encoding, const char *data,
                                 uint64_t off, size_t size)
{
    http_req *q = cls;
    (void)kind, (void)key, (void)filename, (void)content_type, (void)transfer_encoding;
    if (off == 0 && (q->nparts == 0 || q->parts[q->nparts - 1].len > 0)) { /* a new part */
        if (q->nparts > q->s->o.max_images)
            return MHD_YES; /* counted as too many below; the rest is not kept */
        if (q->nparts == q->partcap) {
            int cap = q->partcap ? q->partcap * 2 : 4;
            chunk *p = realloc(q->parts, (size_t)cap * sizeof *p);
            if (!p)
                return MHD_NO;
            q->parts = p;
            q->partcap = cap;
        }
        memset(&q->parts[q->nparts++], 0, sizeof(chunk));
    }
    if (q->nparts > q->s->o.max_images)
        return MHD_YES;
    return size == 0 || chunk_add(&q->parts[q->nparts - 1], data, size) ? MHD_YES : MHD_NO;
}

/* Every answer: the page's policy (its script is /app.js, images come from the server or are the
 * user's own as blob:/data: URLs, nothing else is loaded, nothing may frame it), no type sniffing. */
static void safe_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; "
                            "form-action 'none'; frame-ancestors 'none'");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

static enum MHD_Result send_bytes(struct MHD_Connection *c, http_req *q, int status, serve_bytes *b)
{
    q->responded = true;
    serve_metrics_request(&q->s->metrics, q->r.ep, status, serve_now() - q->t0);
    if (!b->data)
        return MHD_NO; /* out of memory: the connection is closed */
    struct MHD_Response *r = b->owned ? MHD_create_response_from_buffer(b->len, b->owned, MHD_RESPMEM_MUST_FREE)
                                      : MHD_create_response_from_buffer(b->len, (void *)b->data, MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(b->owned);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, b->type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    safe_headers(r);
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_answer(struct MHD_Connection *c, http_req *q, int status, char *body, const char *type)
{
    q->responded = true;
    serve_metrics_request(&q->s->metrics, q->r.ep, status, serve_now() - q->t0);
    if (!body)
        return MHD_NO; /* out of memory: the connection is closed */
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    safe_headers(r);
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, http_req *q, int status, const char *message)
{
    if (q->arriving) {
        serve_arriving(q->s, -1);
        q->arriving = false;
    }
    return send_answer(c, q, status, serve_error_json(status, message), "application/json");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **ctx)
{
    rcc_server *s = cls;
    http_req *q = *ctx;
    (void)version;
    if (!q) { /* the headers are in: decide before reading any body */
        q = calloc(1, sizeof *q);
        if (!q)
            return MHD_NO;
        *ctx = q;
        q->s = s;
        q->t0 = serve_now();
        pthread_mutex_lock(&s->mu);
        s->active++;
        pthread_mutex_unlock(&s->mu);
        const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        long long n = -1;
        if (length) {
            char *end;
            errno = 0;
            n = strtoll(length, &end, 10);
            if (errno || end == length || n < 0)
                n = -1;
        }
        q->r = serve_precheck(s, method, url, type, auth, n);
        if (q->r.status)
            return send_error(c, q, q->r.status, q->r.message);
        if (q->r.body == BODY_IMAGE || q->r.body == BODY_MULTIPART) {
            serve_arriving(s, 1);
            q->arriving = true;
            const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
            q->client = ci ? ci->socket_context : NULL;
            if (q->client)
                serve_client_busy(s, q->client, true);
        }
        if (q->r.body == BODY_MULTIPART) {
            q->pp = MHD_create_post_processor(c, 65536, part_data, q);
            if (!q->pp)
                return send_error(c, q, 400, "multipart/form-data without a boundary");
        }
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (q->responded || q->overflow || q->bad)
            return MHD_YES; /* the rest of a refused body is read and dropped */
        if (q->total + n > s->o.max_body) { /* answered now; libmicrohttpd then closes the connection */
            q->overflow = true;
            return send_error(c, q, 413, "the body is larger than the server's limit (--max-body-kib)");
        }
        if (q->pp)
            q->bad = MHD_post_process(q->pp, upload, n) != MHD_YES;
        else if (!chunk_add(&q->body, upload, n))
            return MHD_NO;
        q->total += n;
        return MHD_YES;
    }
    if (q->responded)
        return MHD_YES;
    if (q->overflow)
        return send_error(c, q, 413, "the body is larger than the server's limit (--max-body-kib)");
    if (q->bad)
        return send_error(c, q, 400, "the multipart/form-data body does not parse");
    if (q->r.ep == EP_PAGE) {
        serve_bytes b;
        int status;
        serve_page_answer(s, url, &status, &b);
        return send_bytes(c, q, status, &b);
    }
    int nimg = 0;
    const void **data = NULL;
    size_t *lens = NULL;
    if (q->r.body == BODY_IMAGE) {
        nimg = 1;
        data = malloc(sizeof *data);
        lens = malloc(sizeof *lens);
        if (data && lens)
            data[0] = q->body.data, lens[0] = q->body.len;
    } else if (q->r.body == BODY_MULTIPART) {
        nimg = q->nparts;
        data = malloc((size_t)(nimg + 1) * sizeof *data);
        lens = malloc((size_t)(nimg + 1) * sizeof *lens);
        for (int i = 0; data && lens && i < nimg; i++)
            data[i] = q->parts[i].data, lens[i] = q->parts[i].len;
    }
    if (nimg && (!data || !lens)) {
        free(data);
        free(lens);
        return send_error(c, q, 503, "out of memory");
    }
    q->arriving = false; /* serve_answer takes it over */
    int status = 500;
    char *body = NULL;
    const char *type = "application/json";
    serve_answer(s, q->r.ep, data, lens, nimg, &status, &body, &type);
    free(data);
    free(lens);
    return send_answer(c, q, status, body, type);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode why)
{
    rcc_server *s = cls;
    http_req *q = *ctx;
    (void)c;
    if (!q)
        return;
    if (why == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED) {
        pthread_mutex_lock(&s->metrics.mu);
        s->metrics.timeouts++;
        pthread_mutex_unlock(&s->metrics.mu);
    }
    if (q->arriving)
        serve_arriving(s, -1);
    if (q->client)
        serve_client_busy(s, q->client, false);
    if (q->pp)
        MHD_destroy_post_processor(q->pp);
    for (int i = 0; i < q->nparts; i++)
        free(q->parts[i].data);
    free(q->parts);
    free(q->body.data);
    free(q);
    *ctx = NULL;
    pthread_mutex_lock(&s->mu);
    s->active--;
    pthread_mutex_unlock(&s->mu);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    rcc_server *s = cls;
    (void)c;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        serve_client *client = calloc(1, sizeof *client);
        if (client) /* without one, the connection is simply not counted by the batcher */
            serve_client_open(s, client);
        *socket_context = client;
    } else if (*socket_context) {
        serve_client_close(s, *socket_context);
        free(*socket_context);
        *socket_context = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    serve_log(cls, "http: %s", line);
}

rcc_status rcc_serve_start(rcc_server **out, const rcc_serve_options *o)
{
    *out = NULL;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    const char *host = o && o->host ? o->host : "127.0.0.1";
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
        return rcc_fail(RCC_ERR_ARG, "rcc_serve: '%s' is not a numeric IPv4 address", host);
    if (!o || o->port < 0 || o->port > 65535)
        return rcc_fail(RCC_ERR_ARG, "rcc_serve: port out of range (0..65535)");
    addr.sin_port = htons((uint16_t)o->port);
    rcc_server *s;
    rcc_status created = serve_server_create(&s, o);
    if (created != RCC_OK)
        return created;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)o->timeout_s, MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_connections,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
                                 on_connection, s, MHD_OPTION_END);
    if (!s->daemon) {
        rcc_status st = rcc_fail(RCC_ERR_IO, "rcc_serve: cannot listen on %s:%d (in use, or not an address of "
                                             "this machine?)", host, o->port);
        rcc_serve_stop(s, 0);
        return st;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : o->port;
    *out = s;
    return RCC_OK;
}

int rcc_serve_port(const rcc_server *s) { return s->port; }

void rcc_serve_stop(rcc_server *s, double drain_s)
{
    if (!s)
        return;
    if (s->daemon) {
        MHD_socket listen = MHD_quiesce_daemon(s->daemon); /* no new connections from here on */
        double until = serve_now() + drain_s;
        for (;;) {
            pthread_mutex_lock(&s->mu);
            int active = s->active;
            pthread_mutex_unlock(&s->mu);
            if (active == 0 || serve_now() >= until)
                break;
            nanosleep(&(struct timespec){0, 5000000}, NULL);
        }
        MHD_stop_daemon(s->daemon);
        s->daemon = NULL;
        if (listen != MHD_INVALID_SOCKET)
            close(listen); /* ours since quiesce */
    }
    serve_core_stop(s);
    serve_model_free(s->model);
    serve_model_free(s->pending);
    serve_metrics_destroy(&s->metrics);
    serve_core_destroy(s);
    serve_page_free(s->page);
    rcc_share_leave(s->share);
    free(s->path);
    free(s->token);
    free(s);
}
