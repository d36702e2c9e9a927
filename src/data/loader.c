/* loader.c — batches of augmented views, prepared by worker threads while the caller trains.
 *
 * Two batch slots (double buffering): while the caller trains on the batch it has copied out, the
 * workers fill the next one or two. A batch is split into items (one image: both views in TRAIN),
 * which workers claim under a mutex, so any number of workers fills a batch; each view depends only
 * on (seed, epoch, index, view), so the result does not depend on the thread count. Slots are
 * allocated once at creation; nothing is allocated per batch. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "compute.h"
#include "data_internal.h"
#include "rng.h"

#define LOADER_SLOTS 2
#define SHUFFLE_SALT 0x53485546464C4555ULL /* "SHUFFLEU": separates shuffle streams from view streams */

typedef enum { SLOT_FREE, SLOT_FILLING, SLOT_READY, SLOT_TAKEN } slot_state;

typedef struct {
    float *buf; /* views·batch images of C×S×S */
    int *idx;   /* batch data-set indices */
    slot_state state;
    int batch_no, count, next_item, done;
} slot;

struct rcc_loader {
    const rcc_dataset *d;
    rcc_aug_config aug;
    rcc_loader_mode mode;
    int batch, s, threads, nbatches, views;
    int gbatch, shard_off; /* data-parallel shards: rows shard_off.. of each global batch of gbatch */
    uint64_t seed, epoch;
    size_t img; /* floats per image view */
    int *perm;  /* data-set order of this epoch */
    slot slots[LOADER_SLOTS];
    pthread_t *tids;
    int nthreads_started;
    pthread_mutex_t mu;
    pthread_cond_t work, ready;
    bool started, resetting, quit;
    int next_fill, next_take, inflight;
};

static int batch_count(const rcc_loader *l, int b)
{
    int left = l->d->n - b * l->gbatch - l->shard_off;
    return left < l->batch ? left : l->batch;
}

/* Item i of batch b (image and views) into buf/idx laid out for `count` images per view. */
static void produce(const rcc_loader *l, int b, int i, int count, float *buf, int *idx)
{
    int index = l->perm[(size_t)b * l->gbatch + (size_t)l->shard_off + i];
    idx[i] = index;
    if (l->mode == RCC_LOADER_TRAIN) {
        rcc_augment(&l->aug, l->d, index, l->s, l->seed, l->epoch, 0, buf + (size_t)i * l->img);
        rcc_augment(&l->aug, l->d, index, l->s, l->seed, l->epoch, 1, buf + ((size_t)count + i) * l->img);
    } else if (l->mode == RCC_LOADER_SELF_LABEL) {
        rcc_eval_view(l->d, index, l->s, buf + (size_t)i * l->img);
        rcc_augment(&l->aug, l->d, index, l->s, l->seed, l->epoch, 1, buf + ((size_t)count + i) * l->img);
    } else {
        rcc_eval_view(l->d, index, l->s, buf + (size_t)i * l->img);
    }
}

static void *worker(void *arg)
{
    rcc_loader *l = arg;
    rcc_flush_denormals();
    pthread_mutex_lock(&l->mu);
    while (!l->quit) {
        slot *best = NULL;
        if (!l->resetting)
            for (int k = 0; k < LOADER_SLOTS; k++) {
                slot *s = &l->slots[k];
                if (s->state == SLOT_FILLING && s->next_item < s->count && (!best || s->batch_no < best->batch_no))
                    best = s;
            }
        if (!best) {
            slot *fr = NULL;
            for (int k = 0; k < LOADER_SLOTS && !fr; k++)
                if (l->slots[k].state == SLOT_FREE)
                    fr = &l->slots[k];
            if (!l->resetting && l->started && fr && l->next_fill < l->nbatches) {
                fr->state = SLOT_FILLING;
                fr->batch_no = l->next_fill++;
                fr->count = batch_count(l, fr->batch_no);
                fr->next_item = fr->done = 0;
                continue;
            }
            pthread_cond_wait(&l->work, &l->mu);
            continue;
        }
        int item = best->next_item++;
        l->inflight++;
        pthread_mutex_unlock(&l->mu);
        produce(l, best->batch_no, item, best->count, best->buf, best->idx);
        pthread_mutex_lock(&l->mu);
        l->inflight--;
        if (++best->done == best->count)
            best->state = SLOT_READY;
        pthread_cond_broadcast(&l->ready);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int rcc_loader_batches_per_epoch(const rcc_loader *l) { return l->nbatches; }

void rcc_loader_free(rcc_loader *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->quit = true;
    pthread_cond_broadcast(&l->work);
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < l->nthreads_started; i++)
        pthread_join(l->tids[i], NULL);
    pthread_cond_destroy(&l->work);
    pthread_cond_destroy(&l->ready);
    pthread_mutex_destroy(&l->mu);
    for (int k = 0; k < LOADER_SLOTS; k++) {
        free(l->slots[k].buf);
        free(l->slots[k].idx);
    }
    free(l->tids);
    free(l->perm);
    free(l);
}

rcc_status rcc_loader_create(rcc_loader **out, const rcc_dataset *d, const rcc_aug_config *aug, rcc_loader_mode mode,
                             int batch, int s, uint64_t seed, int threads)
{
    *out = NULL;
    if (!d || d->n < 1 || (!d->pix && !d->u8))
        return rcc_fail(RCC_ERR_ARG, "loader: empty data set");
    if (mode != RCC_LOADER_TRAIN && mode != RCC_LOADER_EVAL && mode != RCC_LOADER_SELF_LABEL)
        return rcc_fail(RCC_ERR_ARG, "loader: unknown mode %d", (int)mode);
    bool two = mode != RCC_LOADER_EVAL; /* two views, shuffled, drop-last */
    if (batch < 1 || s < 1 || s > RCC_DATA_MAX_SIDE || threads < 0 || threads > 256)
        return rcc_fail(RCC_ERR_ARG, "loader: need batch >= 1, 1 <= size <= %d, 0 <= threads <= 256 (got %d, %d, %d)",
                        RCC_DATA_MAX_SIDE, batch, s, threads);
    if (two) {
        if (!aug)
            return rcc_fail(RCC_ERR_ARG, "loader: training needs an augmentation config");
        RCC_TRY(rcc_aug_check(aug));
        if (d->n < batch)
            return rcc_fail(RCC_ERR_ARG, "loader: %d images are fewer than one batch of %d (the last partial batch "
                            "is dropped in training)", d->n, batch);
    }
    rcc_loader *l = calloc(1, sizeof *l);
    if (!l)
        return rcc_fail(RCC_ERR_NOMEM, "loader");
    l->d = d;
    if (aug)
        l->aug = *aug;
    l->mode = mode;
    l->batch = l->gbatch = batch;
    l->s = s;
    l->seed = seed;
    l->threads = threads;
    l->views = two ? 2 : 1;
    l->img = (size_t)d->c * s * s;
    l->nbatches = two ? d->n / batch : (d->n + batch - 1) / batch;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->work, NULL);
    pthread_cond_init(&l->ready, NULL);
    l->perm = malloc((size_t)d->n * sizeof *l->perm);
    bool ok = l->perm != NULL;
    for (int k = 0; k < LOADER_SLOTS && ok && threads > 0; k++) {
        l->slots[k].buf = malloc((size_t)l->views * batch * l->img * sizeof(float));
        l->slots[k].idx = malloc((size_t)batch * sizeof(int));
        ok = l->slots[k].buf && l->slots[k].idx;
    }
    if (ok && threads > 0)
        ok = (l->tids = calloc((size_t)threads, sizeof *l->tids)) != NULL;
    if (!ok) {
        rcc_loader_free(l);
        return rcc_fail(RCC_ERR_NOMEM, "loader buffers (%d x %d views of %dx%dx%d)", batch, 2, d->c, s, s);
    }
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&l->tids[i], NULL, worker, l) != 0) {
            rcc_loader_free(l);
            return rcc_fail(RCC_ERR_NOMEM, "loader: could not start worker thread %d", i + 1);
        }
        l->nthreads_started++;
    }
    *out = l;
    return RCC_OK;
}

rcc_status rcc_loader_set_shard(rcc_loader *l, int rank, int size)
{
    if (l->mode == RCC_LOADER_EVAL || l->started)
        return rcc_fail(RCC_ERR_ARG, "loader: shards are for training loaders, before the first epoch");
    if (size < 1 || rank < 0 || rank >= size || l->gbatch % size)
        return rcc_fail(RCC_ERR_ARG, "loader: a batch of %d cannot be split in %d shards", l->gbatch, size);
    l->batch = l->gbatch / size;
    l->shard_off = rank * l->batch;
    return RCC_OK;
}

/* Fisher–Yates from a generator seeded by (seed, epoch): the same order on any machine. */
static void shuffle(int *perm, int n, uint64_t seed, uint64_t epoch)
{
    rcc_rng r;
    rcc_rng_init(&r, seed ^ SHUFFLE_SALT, epoch);
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(rcc_rng_uniform(&r) * (i + 1));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

rcc_status rcc_loader_start_epoch(rcc_loader *l, uint64_t epoch, int start_batch)
{
    if (start_batch < 0 || start_batch > l->nbatches)
        return rcc_fail(RCC_ERR_ARG, "loader: start batch %d outside 0..%d", start_batch, l->nbatches);
    pthread_mutex_lock(&l->mu);
    l->resetting = true; /* workers claim nothing new; wait for the items in hand */
    while (l->inflight > 0)
        pthread_cond_wait(&l->ready, &l->mu);
    for (int k = 0; k < LOADER_SLOTS; k++)
        l->slots[k].state = SLOT_FREE;
    if (l->mode != RCC_LOADER_EVAL)
        shuffle(l->perm, l->d->n, l->seed, epoch);
    else
        for (int i = 0; i < l->d->n; i++)
            l->perm[i] = i;
    l->epoch = epoch;
    l->next_fill = l->next_take = start_batch;
    l->started = true;
    l->resetting = false;
    pthread_cond_broadcast(&l->work);
    pthread_mutex_unlock(&l->mu);
    return RCC_OK;
}

rcc_status rcc_loader_next(rcc_loader *l, float *out, int *indices, int *count)
{
    *count = 0;
    if (!l->started)
        return rcc_fail(RCC_ERR_ARG, "loader: call rcc_loader_start_epoch before rcc_loader_next");
    if (l->next_take >= l->nbatches)
        return RCC_OK;
    int b = l->next_take, n = batch_count(l, b);
    if (l->threads == 0) { /* synchronous: fill the caller's buffer directly */
        int tmp_idx[n];
        for (int i = 0; i < n; i++)
            produce(l, b, i, n, out, indices ? indices : tmp_idx);
        l->next_take++;
        *count = n;
        return RCC_OK;
    }
    pthread_mutex_lock(&l->mu);
    slot *s = NULL;
    for (;;) {
        for (int k = 0; k < LOADER_SLOTS; k++)
            if (l->slots[k].state == SLOT_READY && l->slots[k].batch_no == b)
                s = &l->slots[k];
        if (s)
            break;
        pthread_cond_wait(&l->ready, &l->mu);
    }
    s->state = SLOT_TAKEN;
    pthread_mutex_unlock(&l->mu);
    memcpy(out, s->buf, (size_t)l->views * n * l->img * sizeof(float));
    if (indices)
        memcpy(indices, s->idx, (size_t)n * sizeof *indices);
    pthread_mutex_lock(&l->mu);
    s->state = SLOT_FREE;
    l->next_take++;
    pthread_cond_broadcast(&l->work);
    pthread_mutex_unlock(&l->mu);
    *count = n;
    return RCC_OK;
}
