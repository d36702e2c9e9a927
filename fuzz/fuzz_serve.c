/* fuzz_serve.c — libFuzzer harness for the server's request handling without sockets
 * (rcc_serve_handle): the first byte picks the endpoint, the content type and whether the token
 * is right; the rest is the body. Body → decoded images → batcher → JSON answer, on a tiny model
 * made once. Every answer must be a status with a body: JSON ({...}) except for /metrics. */
#include "fuzz_common.h"
#include "fuzz_tiny.h"
#include "rcc_serve.h"

static rcc_server *g_server;
static char g_ckpt[256];

static void cleanup(void)
{
    rcc_serve_stop(g_server, 0);
    unlink(g_ckpt);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_path(g_ckpt, sizeof g_ckpt, "serve", ".safetensors");
    rcc_config c;
    fuzz_tiny_config(&c);
    rcc_set_threads(1);
    rcc_training *t;
    if (rcc_training_create(&t, &c, 1) != RCC_OK || rcc_training_save(t, g_ckpt) != RCC_OK)
        abort();
    rcc_training_free(t);
    rcc_serve_options o;
    rcc_serve_defaults(&o);
    o.checkpoint = g_ckpt;
    o.token = "fuzz";
    o.poll_ms = 0;
    o.max_images = 4;
    o.max_side = 512;
    o.max_body = 1 << 16;
    if (rcc_serve_start_offline(&g_server, &o) != RCC_OK)
        abort();
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const urls[] = {"/v1/assign", "/v1/embed", "/v1/model", "/healthz", "/metrics", "/x"};
    static const char *const types[] = {"image/png", "image/jpeg", "IMAGE/PNG; q=1", "multipart/form-data",
                                        "text/plain", NULL, "image/pngx", "image/jpeg;"};
    unsigned sel = data[0];
    const char *url = urls[sel % 6];
    const char *type = types[(sel / 6) % 8];
    const char *auth = (sel & 0x80) ? "Bearer nope" : "Bearer fuzz";
    const char *method = (sel / 48) % 2 ? "GET" : "POST";
    int status = 0;
    char *body = NULL;
    const char *answer_type = NULL;
    rcc_status st = rcc_serve_handle(g_server, method, url, type, auth, data + 1, size - 1, &status, &body, &answer_type);
    if (st != RCC_OK || !body || status < 200 || status > 599 || !answer_type)
        abort();
    if (strcmp(url, "/metrics") != 0 || status != 200)
        if (body[0] != '{')
            abort();
    free(body);
    return 0;
}
