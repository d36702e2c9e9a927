/* model.c — a served model: the network loaded from a checkpoint, what the checkpoint says about
 * itself (step, configuration, digest), and the validation a new checkpoint must pass before it
 * may answer. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "rcc_run.h"
#include "serve_internal.h"

bool serve_file_identity(const char *path, serve_file_id *id)
{
    struct stat st;
    memset(id, 0, sizeof *id);
    if (stat(path, &st) != 0)
        return false;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->size = st.st_size;
    id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    return true;
}

bool serve_file_id_equal(const serve_file_id *a, const serve_file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns;
}

/* FNV-1a, 64 bits, of the whole file. */
static rcc_status file_digest(const char *path, char hex[17])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rcc_fail(RCC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    uint64_t hash = 0xcbf29ce484222325ull;
    unsigned char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < got; i++) {
            hash ^= buf[i];
            hash *= 0x100000001b3ull;
        }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad)
        return rcc_fail(RCC_ERR_IO, "%s: read error", path);
    snprintf(hex, 17, "%016llx", (unsigned long long)hash);
    return RCC_OK;
}

void serve_model_free(serve_model *m)
{
    if (!m)
        return;
    rcc_net_free(m->net);
    free(m->config_json);
    free(m);
}

/* Images of mid-gray through the network, in passes of 1, 2, 4, ... up to its batch (so every
 * plan a batch may use is made now, not while a request waits): every answer must be a cluster
 * in range, a probability and finite features on the sphere. */
static rcc_status trial_pass(serve_model *m, const char *path)
{
    size_t px = (size_t)m->c * m->s * m->s;
    int most = rcc_net_batch(m->net);
    float *img = malloc((size_t)most * px * sizeof *img), *h = malloc((size_t)most * m->r * sizeof *h);
    float *probs = malloc((size_t)most * m->k * sizeof *probs), *conf = malloc((size_t)most * sizeof *conf);
    int *cluster = malloc((size_t)most * sizeof *cluster);
    rcc_status st = img && h && probs && conf && cluster ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "trial pass");
    for (size_t i = 0; st == RCC_OK && i < (size_t)most * px; i++)
        img[i] = 0.5f;
    bool finite = true;
    for (int n = 1; st == RCC_OK && finite && n <= most; n = n * 2 > most && n < most ? most : n * 2) {
        st = rcc_net_assign(m->net, img, n, cluster, conf, h, probs);
        for (int i = 0; st == RCC_OK && finite && i < n; i++)
            finite = isfinite(conf[i]) && conf[i] >= 0 && conf[i] <= 1.0001f && cluster[i] >= 0 && cluster[i] < m->k;
        for (size_t i = 0; st == RCC_OK && finite && i < (size_t)n * m->r; i++)
            finite = isfinite(h[i]);
        for (size_t i = 0; st == RCC_OK && finite && i < (size_t)n * m->k; i++)
            finite = isfinite(probs[i]);
    }
    if (st == RCC_OK && !finite)
        st = rcc_fail(RCC_ERR_NUMERIC, "%s: a trial forward pass gives no finite answer (corrupt weights?)", path);
    free(img);
    free(h);
    free(probs);
    free(conf);
    free(cluster);
    return st;
}

rcc_status serve_model_load(const char *path, const char *precision, int threads, int want_c, int want_s,
                            serve_model **out)
{
    *out = NULL;
    serve_file_id before, after;
    if (!serve_file_identity(path, &before))
        return rcc_fail(RCC_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    serve_model *m = calloc(1, sizeof *m);
    if (!m)
        return rcc_fail(RCC_ERR_NOMEM, "model");
    m->id = before;
    rcc_status st = file_digest(path, m->digest);
    if (st == RCC_OK)
        st = rcc_net_load_precision(&m->net, path, precision);
    if (st == RCC_OK)
        st = rcc_net_set_threads(m->net, threads);
    rcc_config cfg;
    rcc_progress prog;
    if (st == RCC_OK)
        st = rcc_checkpoint_info(path, &cfg, &prog);
    if (st == RCC_OK && (!serve_file_identity(path, &after) || !serve_file_id_equal(&before, &after)))
        st = rcc_fail(RCC_ERR_IO, "%s: the file changed while it was being loaded", path);
    if (st == RCC_OK) {
        const rcc_config *c = rcc_net_config(m->net);
        m->c = c->in_channels > 0 ? c->in_channels : 1; /* as the network plans it */
        m->s = c->image_size;
        m->k = c->clusters;
        m->r = c->rep_dim;
        m->step = prog.step;
        m->config_json = rcc_config_to_json(&cfg);
        m->trained_in = cfg.precision;
        if (!m->config_json)
            st = rcc_fail(RCC_ERR_NOMEM, "configuration");
    }
    if (st == RCC_OK && (m->c != 1 && m->c != 3))
        st = rcc_fail(RCC_ERR_FORMAT, "%s: a network for %d-channel images cannot be served", path, m->c);
    if (st == RCC_OK && want_c > 0 && (m->c != want_c || m->s != want_s))
        st = rcc_fail(RCC_ERR_ARG,
                      "%s: takes %d×%d×%d images but the server answers for %d×%d×%d (restart it to change shape)",
                      path, m->c, m->s, m->s, want_c, want_s, want_s);
    if (st == RCC_OK)
        st = trial_pass(m, path);
    if (st != RCC_OK) {
        serve_model_free(m);
        return st;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    m->loaded_at = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    *out = m;
    return RCC_OK;
}
