/* cmd_serve.c — `rcc serve`: parses the flags, starts the server of librcc_serve, prints the
 * address it listens on, and waits for SIGTERM or SIGINT, which drain the requests in flight. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "rcc.h"
#include "rcc_run.h"
#include "rcc_serve.h"

static void log_line(const char *line, void *user)
{
    (void)user;
    fprintf(stderr, "rcc serve: %s\n", line);
}

/* HOST:PORT, HOST or :PORT into host (a buffer of n) and *port. */
static bool parse_listen(const char *s, char *host, size_t n, int *port)
{
    const char *colon = strrchr(s, ':');
    size_t hl = colon ? (size_t)(colon - s) : strlen(s);
    if (hl >= n)
        return false;
    memcpy(host, s, hl);
    host[hl] = 0;
    if (hl == 0)
        snprintf(host, n, "127.0.0.1");
    if (colon) {
        char *end;
        errno = 0;
        long p = strtol(colon + 1, &end, 10);
        if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
            return false;
        *port = (int)p;
    }
    return true;
}

int cmd_serve(int argc, char **argv)
{
    rcc_serve_options o;
    rcc_serve_defaults(&o);
    const char *model = NULL, *listen = "127.0.0.1:8080", *token = NULL, *precision = NULL;
    int threads = 0, max_body_kib = (int)(o.max_body >> 10);
    float max_wait = (float)o.max_wait_ms, drain = 10;
    const cli_opt opts[] = {
        {"model", 'm', OPT_STR, &model, "checkpoint file, or a training output folder (watched for new checkpoints)"},
        {"listen", 'l', OPT_STR, &listen, "HOST:PORT to listen on (default 127.0.0.1:8080; port 0: any free one)"},
        {"token", 0, OPT_STR, &token, "require \"Authorization: Bearer TOKEN\" on every request but /healthz"},
        {"max-batch", 0, OPT_INT, &o.max_batch, "images of one forward pass at most (default 64)"},
        {"max-wait-ms", 0, OPT_FLOAT, &max_wait, "how long a batch waits for the requests of clients sending (default 5)"},
        {"max-body-kib", 0, OPT_INT, &max_body_kib, "largest request body in KiB (default 8192)"},
        {"max-images", 0, OPT_INT, &o.max_images, "images in one request at most (default 256)"},
        {"max-side", 0, OPT_INT, &o.max_side, "largest image side in pixels (default 4096)"},
        {"timeout", 0, OPT_INT, &o.timeout_s, "seconds before a stalled or idle connection is closed (default 10)"},
        {"max-connections", 0, OPT_INT, &o.max_connections, "connections at once (default 128)"},
        {"poll-ms", 0, OPT_INT, &o.poll_ms, "how often the checkpoint is checked for a new one (0: never; default 500)"},
        {"drain", 0, OPT_FLOAT, &drain, "seconds SIGTERM waits for requests in flight (default 10)"},
        {"threads", 't', OPT_INT, &threads, "compute threads (0: as trained, shared with the other rcc processes computing on this host; docs/performance.md)"},
        {"precision", 0, OPT_STR, &precision, CLI_INFER_PRECISION_HELP},
        {0},
    };
    int r = cli_parse("serve",
                      "Serve a model over HTTP: POST /v1/assign, POST /v1/embed, GET /v1/model, /healthz, /metrics, "
                      "and a web page at / (the live clusters, upload an image, a followed run's drift; docs/serving.md).",
                      opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    char host[256];
    int port = 8080;
    if (!model) {
        fprintf(stderr, "rcc serve: --model is required\n");
        return 2;
    }
    if (!parse_listen(listen, host, sizeof host, &port)) {
        fprintf(stderr, "rcc serve: --listen wants HOST:PORT (e.g. 127.0.0.1:8080), got '%s'\n", listen);
        return 2;
    }
    if (!cli_infer_precision_ok("serve", precision))
        return 2;
    if (max_body_kib < 1) {
        fprintf(stderr, "rcc serve: --max-body-kib must be at least 1\n");
        return 2;
    }
    char ck[RCC_PATH_MAX];
    if (cli_checkpoint_path(model, ck, sizeof ck) != RCC_OK) {
        fprintf(stderr, "rcc serve: %s\n", rcc_last_error());
        return 2;
    }
    o.checkpoint = ck;
    o.host = host;
    o.port = port;
    o.token = token;
    o.precision = precision;
    o.max_wait_ms = max_wait;
    o.max_body = (size_t)max_body_kib << 10;
    o.on_log = log_line;

    /* The signals are taken by sigwait below: blocked before any thread starts, so none gets them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* no rcc_set_threads here: the server's compute threads are its own (rcc_serve.h) */
    o.threads = threads;
    o.share = !cli_threads_given(argc, argv); /* a count given is kept, whoever else computes */
    rcc_server *s;
    rcc_status st = rcc_serve_start(&s, &o);
    if (st == RCC_OK) {
        /* one line a script can read the port from */
        printf("rcc serve: listening on http://%s:%d (model %s)\n", host, rcc_serve_port(s), o.checkpoint);
        fflush(stdout);
        int sig = 0;
        sigwait(&stop, &sig);
        fprintf(stderr, "rcc serve: %s: draining requests in flight\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
        rcc_serve_stop(s, drain);
        return 0;
    }
    fprintf(stderr, "rcc serve: %s: %s\n", rcc_strerror(st), rcc_last_error());
    return 1;
}
