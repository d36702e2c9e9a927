/* rcc_serve.h — public API of librcc_serve: clustering as an HTTP service (`rcc serve`). One
 * batching thread owns the network and runs the requests that arrive together as one forward
 * pass; a watcher thread follows the checkpoint file and swaps a new one in between batches; the
 * HTTP layer is GNU libmicrohttpd. Endpoints, batching and reload rules: docs/serving.md. Like
 * rcc.h: no call prints or exits; what the server has to say reaches the caller's log hook. */
#ifndef RCC_SERVE_PUBLIC_H
#define RCC_SERVE_PUBLIC_H

#include <stddef.h>
#include "rcc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *checkpoint;  /* the checkpoint file served and watched (required) */
    const char *host;        /* numeric IPv4 address to listen on (default "127.0.0.1") */
    int port;                /* 0: an ephemeral port (rcc_serve_port tells which) */
    const char *token;       /* non-NULL: every request needs "Authorization: Bearer TOKEN" */
    int max_batch;           /* images of one forward pass at most (default 64) */
    double max_wait_ms;      /* how long a batch waits for clients sending (default 5) */
    size_t max_body;         /* bytes of one request body (default 8 MiB) */
    int max_images;          /* images of one request (default 256) */
    int max_side;            /* pixels per image side (default 4096) */
    int timeout_s;           /* an idle or stalled connection is closed after this (default 10) */
    int max_connections;     /* connections at once (default 128) */
    int poll_ms;             /* how often the checkpoint file is looked at (default 500; 0: never) */
    int threads;             /* compute threads (default 0: the training run's, from the checkpoint) */
    const char *precision;   /* of the forward passes: "f32", "bf16", or NULL (default) for the training's,
                              * f32 where the CPU has no bf16 convolutions (rcc_net_load_precision) */
    bool share;              /* share the CPUs with the other rcc processes computing on this host (default
                              * true): busy for a few seconds after each batch, and each batch computes with
                              * this server's share of `threads` (rcc_run_hooks.share; docs/performance.md) */
    /* Lines for a log (a reload, a refused checkpoint): called from the server's threads, one
     * call at a time. NULL: silent. */
    void (*on_log)(const char *line, void *user);
    void *user;
} rcc_serve_options;

typedef struct rcc_server rcc_server;

/* The defaults above (checkpoint NULL). */
void rcc_serve_defaults(rcc_serve_options *o);
/* Loads and validates the checkpoint, binds the address and starts serving. The server's compute
 * threads are its own (o->threads; the library default, rcc_set_threads, does not reach them). */
rcc_status rcc_serve_start(rcc_server **s, const rcc_serve_options *o);
/* The port bound (the ephemeral one when port was 0). */
int rcc_serve_port(const rcc_server *s);
/* Stops accepting connections, lets the requests in flight finish (waiting at most drain_s
 * seconds), stops every thread and frees everything. */
void rcc_serve_stop(rcc_server *s, double drain_s);

/* ---------------------------------------------------------------- without sockets */

/* A server with no HTTP side (for tests and the fuzz harness): the model, the batcher and the
 * watcher, answering through rcc_serve_handle. Stop it with rcc_serve_stop. */
rcc_status rcc_serve_start_offline(rcc_server **s, const rcc_serve_options *o);

/* Answers one request as the HTTP side does once the body is in: method and url (path, no query),
 * the Content-Type (may be NULL) and Authorization (may be NULL) headers, the body. Multipart
 * bodies need libmicrohttpd's parser and are answered 415 here. *status gets the HTTP status,
 * *body the answer (malloc'ed; JSON, or Prometheus text for /metrics), *content_type a static
 * string. RCC_ERR_NOMEM when no answer could be made. */
rcc_status rcc_serve_handle(rcc_server *s, const char *method, const char *url, const char *content_type,
                            const char *authorization, const void *data, size_t len, int *status, char **body,
                            const char **answer_type);

#ifdef __cplusplus
}
#endif

#endif
