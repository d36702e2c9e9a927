/* serve_internal.h — the parts of the server (include/rcc_serve.h) and how they meet: the model
 * being served, the batcher that owns it, the checkpoint watcher, the metrics, and the request
 * logic that the HTTP layer (http.c) and rcc_serve_handle share. */
#ifndef RCC_SERVE_INTERNAL_H
#define RCC_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "rcc.h"
#include "rcc_serve.h"

/* ---------------------------------------------------------------- the model */

/* Which file a model came from: a renamed-in checkpoint has another inode, a rewritten one
 * another size or time. */
typedef struct {
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
} serve_file_id;

typedef struct {
    rcc_net *net;
    int c, s, k, r;        /* channels, image side, clusters, rep_dim */
    long step;             /* training step of the checkpoint */
    char digest[17];       /* FNV-1a 64 of the file's bytes, hex */
    char *config_json;     /* rcc_config_to_json of the training's configuration (the checkpoint's) */
    rcc_precision trained_in; /* the training's precision; rcc_net_config(net)->precision is the one in use */
    double loaded_at;      /* Unix time of the load */
    serve_file_id id;
} serve_model;

/* Loads, reads and validates the checkpoint at path (a trial forward pass must give finite
 * numbers); its passes compute with `threads`. want_c, want_s > 0: the input shape the server
 * answers with. On failure the reason is in rcc_last_error(). */
rcc_status serve_model_load(const char *path, const char *precision, int threads, int want_c, int want_s,
                            serve_model **out);
void serve_model_free(serve_model *m);
/* The identity of path now (false when it cannot be stat'ed). */
bool serve_file_identity(const char *path, serve_file_id *id);
bool serve_file_id_equal(const serve_file_id *a, const serve_file_id *b);

/* ---------------------------------------------------------------- metrics */

typedef enum { EP_ASSIGN, EP_EMBED, EP_MODEL, EP_HEALTHZ, EP_METRICS, EP_PAGE, EP_OTHER, EP_COUNT } serve_endpoint;
extern const char *const serve_endpoint_names[EP_COUNT];

#define SERVE_CODES 12
#define SERVE_LAT_BUCKETS 13
#define SERVE_BATCH_BUCKETS 10

typedef struct {
    pthread_mutex_t mu;
    uint64_t requests[EP_COUNT][SERVE_CODES];
    uint64_t latency[EP_COUNT][SERVE_LAT_BUCKETS + 1]; /* per bucket; the last is +Inf */
    double latency_sum[EP_COUNT];
    uint64_t batches[SERVE_BATCH_BUCKETS + 1];
    uint64_t batch_images;
    uint64_t *cluster_images;
    int nclusters;
    uint64_t reloads, reloads_refused, timeouts;
} serve_metrics;

void serve_metrics_init(serve_metrics *m);
void serve_metrics_destroy(serve_metrics *m);
void serve_metrics_request(serve_metrics *m, serve_endpoint ep, int status, double seconds);
void serve_metrics_batch(serve_metrics *m, int n, const int *cluster, int k);
/* The Prometheus text exposition (malloc'ed), with the model's step. NULL when out of memory. */
char *serve_metrics_text(serve_metrics *m, long step, double loaded_at);

/* ---------------------------------------------------------------- jobs and the batcher */

/* One request's images, answered by one model. */
typedef struct serve_job {
    int n;
    const float *images;  /* n × c × s × s */
    /* filled by the batcher */
    int k, r;
    int *cluster;
    float *confidence, *probs, *h; /* n, n × k, n × r */
    long step;
    char digest[17];
    rcc_status st;
    char err[256];
    bool done;
    pthread_cond_t cv;
    struct serve_job *next;
} serve_job;

/* One HTTP connection, known to the batcher: how many clients are sending tells it how many
 * requests a batch should wait for. */
typedef struct serve_client {
    bool busy;           /* an image request of it is being received, decoded or answered */
    double last;         /* monotonic time its last image request was answered */
    struct serve_client *prev, *next;
} serve_client;

/* A client counts as sending while busy or for this long after its last answer. */
#define SERVE_CLIENT_WINDOW_S 0.05
/* With sharing on, a batch keeps the server busy this long (share.h): neighbours give back its
 * share between requests that close together, and take the cores back once the clients stop. */
#define SERVE_SHARE_BUSY_S 5.0

typedef struct serve_page serve_page;

struct rcc_server {
    rcc_serve_options o;
    char *path;            /* the checkpoint file */
    char *token;
    int c, s;              /* input shape, fixed for the server's life */
    serve_metrics metrics;

    pthread_mutex_t mu;    /* everything below */
    pthread_cond_t work;   /* the batcher: a job, a new model, or quitting */
    serve_model *model;    /* the model answering (the batcher alone runs its net) */
    serve_model *pending;  /* validated by the watcher, swapped in by the batcher between batches */
    serve_job *head, *tail;
    int arriving;          /* requests being received or decoded: the batcher waits for them */
    serve_client *clients; /* the open connections */
    int threads;           /* compute threads of the batcher and of every model load */
    struct rcc_share *share; /* the host's record of this server (share.h), or NULL; the batcher's alone */
    bool share_own;          /* o.share: each batch computes with this server's share of the threads */
    char precision[16];    /* of every model load: "f32", "bf16", or "" for the training's */
    bool started;          /* the batcher has loaded the first model (or failed: start_st) */
    rcc_status start_st;
    char start_err[512];
    bool quit;
    pthread_t batcher;
    bool batcher_started;

    pthread_mutex_t wmu;   /* the watcher */
    pthread_cond_t wcv;
    bool wquit;
    pthread_t watcher;
    bool watcher_started;
    serve_file_id refused; /* the last file refused (not retried until it changes) */
    bool have_refused;

    pthread_mutex_t logmu;
    struct MHD_Daemon *daemon;
    int port;
    int active;            /* HTTP requests begun and not completed (under mu) */
    serve_page *page;      /* the web page's examples and drift cache (page.c) */
};

/* The locks (init, destroy); starting and stopping the batcher and watcher threads. Every
 * OpenMP parallel region of the server runs on the batcher (which loads the first model) or on a
 * short-lived thread of the watcher that loads a new one: libgomp keeps a team of workers for
 * every thread that opens a region, and once they outnumber the cores its workers stop spinning
 * between regions, which made the batcher's one-image pass 2.5x slower (1.2 -> 3.0 ms). */
void serve_core_init(rcc_server *s);
void serve_core_destroy(rcc_server *s);
rcc_status serve_core_start(rcc_server *s);
void serve_core_stop(rcc_server *s);
/* A connection opened (linked in) or closed (out); its image request begun or answered. */
void serve_client_open(rcc_server *s, serve_client *c);
void serve_client_close(rcc_server *s, serve_client *c);
void serve_client_busy(rcc_server *s, serve_client *c, bool busy);
/* Queues the job and waits for its answer. */
void serve_submit(rcc_server *s, serve_job *job);
void serve_job_release(serve_job *job);
void serve_log(rcc_server *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
double serve_now(void); /* monotonic seconds */

/* ---------------------------------------------------------------- requests */

typedef enum { BODY_NONE, BODY_IMAGE, BODY_MULTIPART, BODY_OTHER } serve_body_kind;

/* What the headers decide, before any body is read: the endpoint, and 0 to go on or an HTTP
 * error status with its message (static). */
typedef struct {
    serve_endpoint ep;
    serve_body_kind body;
    int status;
    const char *message;
} serve_route;

serve_route serve_precheck(rcc_server *s, const char *method, const char *url, const char *content_type,
                           const char *authorization, long long content_length);
/* A JSON error body {"error": message, "status": status} (malloc'ed, NULL when out of memory). */
char *serve_error_json(int status, const char *message);
/* Answers a routed request whose body is in: nimg images (data[i], len[i]) for the POST endpoints. */
rcc_status serve_answer(rcc_server *s, serve_endpoint ep, const void *const *data, const size_t *len, int nimg,
                        int *status, char **body, const char **type);

/* Requests being received: +1 when a POST to /v1/assign or /v1/embed passed serve_precheck, -1
 * when it reaches the batcher (serve_submit) or ends before (serve_answer's refusals do it; the
 * HTTP side when the body never completes). The batcher waits for them. */
void serve_arriving(rcc_server *s, int delta);
/* A server with its model loaded and its threads running, without HTTP (rcc_serve_start adds it). */
rcc_status serve_server_create(rcc_server **out, const rcc_serve_options *o);

/* ---------------------------------------------------------------- the web page (page.c) */

/* An answer's bytes: static (owned NULL) or malloc'ed (owned, freed by the sender). */
typedef struct {
    const void *data;
    size_t len;
    void *owned;
    const char *type;
} serve_bytes;

serve_page *serve_page_create(void);
void serve_page_free(serve_page *p);
/* The page's own files (/, /app.js, /app.css): served without the token, they tell nothing. */
bool serve_page_public(const char *url);
/* Every URL of the page: its files, GET /v1/page, /v1/drift, /v1/examples/ID. */
bool serve_page_route(const char *url);
/* After a job's answer: counts its images per cluster and keeps thumbnails for the examples. */
void serve_page_record(rcc_server *s, const void *const *data, const size_t *len, int n, const serve_job *job);
/* The answer to a GET of a page URL. */
void serve_page_answer(rcc_server *s, const char *url, int *status, serve_bytes *out);

#endif
