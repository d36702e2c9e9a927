/* run.c — the training loop (see run.h). */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "rcc_eval.h"
#include "../compute.h"
#include "../dist.h"
#include "../share.h"
#include "../train.h"
#include "config.h"
#include "metrics_log.h"
#include "net.h"

#define RCC_PI 3.14159265358979323846

double rcc_run_lr(const rcc_config *cfg, long step, int batches)
{
    double total = (double)cfg->epochs * batches, warm = (double)cfg->warmup_epochs * batches;
    if (step < warm)
        return cfg->lr * (double)(step + 1) / warm;
    if (!cfg->cosine || total <= warm)
        return cfg->lr;
    double p = ((double)step - warm) / (total - warm);
    return cfg->lr * 0.5 * (1.0 + cos(RCC_PI * (p < 1 ? p : 1)));
}

/* Tells the caller (hooks->on_note) of a temporary file removed from the output folder. */
static void note_removed(const char *file, void *user)
{
    const rcc_run_hooks *hooks = user;
    if (hooks && hooks->on_note) {
        char msg[4400];
        snprintf(msg, sizeof msg, "removed %s, left by an interrupted checkpoint write", file);
        hooks->on_note(msg, hooks->user);
    }
}

/* The output folder must exist (or be creatable), be writable and have room for a few
 * checkpoints: found out now, not after hours of training. Temporary files that interrupted
 * writes of `ckpt` left there are removed first (and reported
 * through hooks->on_note). */
rcc_status rcc_run_prepare_out_dir(const char *dir, const char *ckpt, size_t ckpt_bytes, const rcc_run_hooks *hooks)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return rcc_fail(RCC_ERR_IO, "%s: cannot create the output folder (%s)", dir, strerror(errno));
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return rcc_fail(RCC_ERR_IO, "%s: not a folder", dir);
    char probe[RCC_PATH_MAX];
    RCC_TRY(rcc_path_join(probe, sizeof probe, dir, ".rcc-write-test"));
    FILE *f = fopen(probe, "w");
    if (!f || fputs("ok\n", f) < 0 || fclose(f) != 0) {
        int e = errno;
        if (f)
            unlink(probe);
        return rcc_fail(RCC_ERR_IO, "%s: the output folder is not writable (%s)", dir, strerror(e));
    }
    unlink(probe);
    rcc_st_remove_stale_temps(ckpt, note_removed, (void *)hooks);
    struct statvfs vs;
    if (statvfs(dir, &vs) == 0) {
        double avail = (double)vs.f_bavail * (double)vs.f_frsize;
        if (avail < 3.0 * (double)ckpt_bytes)
            return rcc_fail(RCC_ERR_IO, "%s: only %.1f MB free, a run needs about %.1f MB for its checkpoints", dir,
                            avail / 1e6, 3.0 * (double)ckpt_bytes / 1e6);
    }
    return RCC_OK;
}

static bool same_training(const rcc_config *a, const rcc_config *b)
{
    rcc_config x = *a, y = *b;
    x.epochs = y.epochs = 0;
    x.self_label_epochs = y.self_label_epochs = 0; /* the stage can be added to (or changed for) a run */
    x.self_label_threshold = y.self_label_threshold = 0;
    x.self_label_lr = y.self_label_lr = 0;
    x.threads = y.threads = 1;
    x.loader_threads = y.loader_threads = 1;
    x.eval_every = y.eval_every = 0;
    x.save_every = y.save_every = 0;
    x.conv = y.conv = RCC_CONV_DIRECT; /* how the convolutions compute may change too */
    char *jx = rcc_config_to_json(&x), *jy = rcc_config_to_json(&y);
    bool same = jx && jy && strcmp(jx, jy) == 0;
    free(jx);
    free(jy);
    return same;
}

typedef struct {
    rcc_config cfg;
    const rcc_dataset *data;
    rcc_trainer tr;
    rcc_loader *loader;
    rcc_loader *sl_loader; /* self-labelling's batches (evaluation view, augmented view), or NULL */
    bool sl_started;       /* the stage's Adam restart is done */
    FILE *metrics;
    char ckpt[RCC_PATH_MAX], metrics_path[RCC_PATH_MAX];
    int *idx, *pred;
    float *conf; /* evaluate's confidences */
    long *sizes;
    rcc_dist *dist; /* NULL: one process */
    bool root;      /* this process writes checkpoints, metrics and evaluates */
    rcc_share *share; /* sharing the host's CPUs (hooks->share), or NULL */
    int threads;      /* the count the run computes with now (cfg.threads, or its share of them) */
} run_state;

static rcc_status save(run_state *s, const rcc_progress *pr)
{
    if (!s->root)
        return RCC_OK;
    return rcc_checkpoint_save(s->ckpt, &s->cfg, &s->tr.ps, pr, true);
}

/* A log line that cannot be written (disk full, I/O error) stops the run: the checkpoint of this
 * step would not fit either, and a log with a silent hole misleads. */
static rcc_status metrics_flush(run_state *s, long step)
{
    errno = 0;
    if (fflush(s->metrics) == 0 && !ferror(s->metrics))
        return RCC_OK;
    int e = errno ? errno : EIO; /* an earlier write may have failed: fflush then leaves errno alone */
    return rcc_fail(RCC_ERR_IO, "%s: cannot write the log at step %ld (%s); the last complete checkpoint is %s",
                    s->metrics_path, step, strerror(e), s->ckpt);
}

/* ACC of `rcc predict`'s default clusters: the head's (pred) refined by the neighbour vote on the
 * stage-3 features f (rcc_vote_config_default); the head's ACC when the vote is not applied. */
static rcc_status predict_acc(const rcc_dataset *d, const float *f, int F, int K, const int *pred, double *acc)
{
    int *voted = malloc(sizeof(int) * (size_t)d->n);
    if (!voted)
        return rcc_fail(RCC_ERR_NOMEM, "the vote over %d images", d->n);
    memcpy(voted, pred, sizeof(int) * (size_t)d->n);
    rcc_vote_config vc;
    rcc_vote_config_default(&vc);
    rcc_scores sc;
    rcc_status st = rcc_vote(f, d->n, F, K, &vc, voted, NULL, NULL);
    if (st == RCC_OK)
        st = rcc_scores_compute(voted, d->labels, (size_t)d->n, &sc);
    if (st == RCC_OK)
        *acc = sc.acc;
    free(voted);
    return st;
}

/* The data's evaluation views through the network: sizes, confidence, and with labels ACC/NMI/ARI;
 * after the last epoch (final) also the ACC of `rcc predict`'s default clusters. */
static rcc_status evaluate(run_state *s, rcc_epoch_event *ev, bool final)
{
    const rcc_dataset *d = s->data;
    rcc_net *net;
    rcc_config now = s->cfg; /* with the thread count the run computes with now */
    now.threads = s->threads;
    RCC_TRY(rcc_net_wrap(&net, &now, &s->tr.ps, d->n));
    bool vote = final && d->labels && d->n > 1 && d->n <= RCC_VOTE_MAX_POINTS;
    int F = rcc_net_stage3_dim(net);
    float *f = vote ? malloc(sizeof(float) * (size_t)d->n * (size_t)F) : NULL;
    rcc_status st = vote && !f ? rcc_fail(RCC_ERR_NOMEM, "stage-3 features of %d images", d->n)
                               : rcc_net_assign_stage3_data(net, d, s->pred, s->conf, NULL, NULL, f);
    rcc_net_free(net);
    if (st == RCC_OK && vote) {
        rcc_compute_saved saved; /* the vote's graph with the run's threads */
        rcc_compute_enter(s->threads, &saved);
        st = predict_acc(d, f, F, s->cfg.clusters, s->pred, &ev->acc_predict);
        rcc_compute_leave(&saved);
    }
    free(f);
    RCC_TRY(st);
    int K = s->cfg.clusters;
    long sizes[K];
    memset(sizes, 0, sizeof sizes);
    double conf = 0;
    for (int i = 0; i < d->n; i++)
        sizes[s->pred[i]]++, conf += s->conf[i];
    ev->assigned = true;
    ev->assignment = s->pred;
    ev->mean_confidence = d->n ? conf / d->n : 0;
    ev->size_spread = rcc_size_spread(sizes, K);
    if (!d->labels)
        return RCC_OK;
    rcc_scores sc;
    RCC_TRY(rcc_scores_compute(s->pred, d->labels, (size_t)d->n, &sc));
    ev->evaluated = true;
    ev->acc = sc.acc;
    if (final && !isfinite(ev->acc_predict)) /* no vote (its size limits): rcc predict gives the head's */
        ev->acc_predict = sc.acc;
    ev->nmi = sc.nmi;
    ev->ari = sc.ari;
    return RCC_OK;
}

double rcc_size_spread(const long *sizes, int k)
{
    long n = 0;
    for (int i = 0; i < k; i++)
        n += sizes[i];
    if (n == 0 || k < 1)
        return 0;
    double fair = (double)n / k, worst = 0;
    for (int i = 0; i < k; i++)
        worst = fmax(worst, fabs((double)sizes[i] - fair) / fair);
    return worst;
}

bool rcc_sizes_look_forced(double size_spread, double mean_confidence)
{
    return size_spread <= RCC_FORCED_SPREAD && mean_confidence < RCC_FORCED_CONFIDENCE;
}

/* One step of the epoch: contrastive, or self-labelling (lt gets its loss as total, the other
 * terms NaN; *confident its share of the batch). */
static rcc_status one_step(run_state *s, bool self_label, rcc_loss_terms *lt, double *confident, bool *stepped)
{
    *stepped = true;
    if (!self_label)
        return rcc_trainer_step(&s->tr, lt, true);
    double loss;
    int m = 0;
    RCC_TRY(rcc_trainer_step_self_label(&s->tr, s->cfg.self_label_threshold, &loss, &m, true));
    *lt = (rcc_loss_terms){NAN, NAN, NAN, NAN, loss};
    int global = s->dist ? s->cfg.batch : s->tr.n;
    *confident = (double)m / global;
    *stepped = m > 0; /* no confident image: no Adam step was taken */
    return RCC_OK;
}

static rcc_status train_loop(run_state *s, rcc_progress *pr, const rcc_run_hooks *hooks)
{
    const rcc_config *c = &s->cfg;
    int batches = rcc_loader_batches_per_epoch(s->loader);
    int K = c->clusters, N = c->batch, n_local = s->tr.n;
    int epochs = c->epochs + c->self_label_epochs;
    double t_start = rcc_now();
    for (int epoch = pr->epoch; epoch < epochs; epoch++) {
        bool sl = epoch >= c->epochs;
        rcc_loader *loader = sl ? s->sl_loader : s->loader;
        if (sl) /* Adam anew for the new objective; a resumed stage keeps its moments (the checkpoint's) */
            rcc_trainer_adam_restart(&s->tr, (long)c->epochs * batches,
                                     epoch == c->epochs && pr->batch_in_epoch == 0 && !s->sl_started);
        s->sl_started |= sl;
        RCC_TRY(rcc_loader_start_epoch(loader, (uint64_t)epoch, pr->batch_in_epoch));
        rcc_loss_terms sum = {0};
        double conf_sum = 0;
        int nb = 0;
        memset(s->sizes, 0, sizeof(long) * (size_t)K);
        double t_epoch = rcc_now(), t_prev = t_epoch;
        for (;;) {
            int count = 0;
            if (s->share && hooks && hooks->share) {
                rcc_status st = rcc_run_share_cpus(s->share, &s->tr, s->cfg.threads, &s->threads, hooks);
                if (st != RCC_OK) { /* no plan at all: what was learnt is kept (the parameters are intact) */
                    char why[512];
                    snprintf(why, sizeof why, "%s", rcc_last_error());
                    RCC_TRY(save(s, pr));
                    return rcc_fail(st, "%s; saved %s", why, s->ckpt);
                }
            }
            RCC_TRY(rcc_loader_next(loader, s->tr.model.input.ptr, s->idx, &count));
            if (count == 0)
                break;
            s->tr.acfg.lr = sl ? c->self_label_lr : (float)rcc_run_lr(c, pr->step, batches);
            rcc_loss_terms lt;
            double confident = NAN;
            bool stepped;
            rcc_status st = one_step(s, sl, &lt, &confident, &stepped);
            if (st == RCC_ERR_NUMERIC)
                return rcc_fail(st, "epoch %d, step %ld: %s; the last good checkpoint is %s", epoch + 1, pr->step + 1,
                                rcc_last_error(), s->ckpt);
            RCC_TRY(st);
            pr->step += stepped;
            pr->batch_in_epoch++;
            nb++;
            sum.ins += lt.ins, sum.clu_nce += lt.clu_nce, sum.entropy += lt.entropy, sum.unif += lt.unif;
            sum.total += lt.total;
            conf_sum += sl ? confident : 0;
            const float *y = s->tr.model.y.ptr; /* sizes of the first views (the evaluation views when sl) */
            for (int i = 0; i < n_local; i++)
                s->sizes[rcc_argmax(y + (size_t)i * K, K)]++;
            if (sl)
                rcc_metrics_write_self_label_step(s->metrics, epoch + 1, pr->batch_in_epoch, pr->step,
                                                  (double)s->tr.acfg.lr, lt.total, confident);
            else
                rcc_metrics_write_step(s->metrics, epoch + 1, pr->batch_in_epoch, pr->step, (double)s->tr.acfg.lr,
                                       &lt);
            RCC_TRY(metrics_flush(s, pr->step));
            double now = rcc_now();
            if (hooks && hooks->on_step) {
                rcc_step_event e = {epoch, epochs, pr->batch_in_epoch, batches, pr->step, lt, s->tr.acfg.lr,
                                    now - t_prev, N, now - t_start, sl, confident};
                hooks->on_step(&e, hooks->user);
            }
            t_prev = now;
            bool stop = hooks && hooks->stop && *hooks->stop;
            if (s->dist) /* every process stops at the same step */
                RCC_TRY(rcc_dist_any(s->dist, &stop));
            if (stop) {
                RCC_TRY(save(s, pr));
                return rcc_fail(RCC_ERR_INTERRUPTED, "interrupted at epoch %d, batch %d; saved %s", epoch + 1,
                                pr->batch_in_epoch, s->ckpt);
            }
        }
        pr->epoch = epoch + 1;
        pr->batch_in_epoch = 0;
        if (s->dist) { /* cluster sizes over every process's images */
            double tot[K];
            for (int k = 0; k < K; k++)
                tot[k] = (double)s->sizes[k];
            RCC_TRY(rcc_dist_allreduce_f64(s->dist, tot, (size_t)K));
            for (int k = 0; k < K; k++)
                s->sizes[k] = (long)tot[k];
        }
        rcc_epoch_event ev;
        memset(&ev, 0, sizeof ev);
        ev.acc_predict = NAN;
        ev.epoch = epoch;
        ev.epochs = epochs;
        ev.step = pr->step;
        double inv = nb ? 1.0 / nb : 0;
        ev.mean = (rcc_loss_terms){sum.ins * inv, sum.clu_nce * inv, sum.entropy * inv, sum.unif * inv,
                                   sum.total * inv};
        ev.self_label = sl;
        ev.confident = sl ? conf_sum * inv : NAN;
        ev.sizes = s->sizes;
        ev.clusters = K;
        long total = 0, big = 0;
        for (int k = 0; k < K; k++) {
            total += s->sizes[k];
            big = s->sizes[k] > big ? s->sizes[k] : big;
            ev.empty += s->sizes[k] == 0;
        }
        ev.largest = total ? (double)big / (double)total : 0;
        bool last = epoch + 1 == epochs, last_contrastive = c->self_label_epochs && epoch + 1 == c->epochs;
        /* the last epoch (of each stage) is always assigned, labels or not: its sizes and confidence */
        double t_eval = rcc_now();
        if (s->root && ((s->data->labels && c->eval_every && (epoch + 1) % c->eval_every == 0) || last ||
                        last_contrastive))
            RCC_TRY(evaluate(s, &ev, last));
        t_eval = rcc_now() - t_eval;
        /* the epoch's lines are written before its checkpoint: a checkpoint never holds a step whose
         * log lines could not be written (on resume, lines past the checkpoint are dropped) */
        ev.seconds = rcc_now() - t_epoch;
        rcc_metrics_write_epoch(s->metrics, epoch + 1, pr->step, &ev.mean, ev.seconds, ev.empty, ev.largest, s->sizes,
                                K);
        if (ev.evaluated)
            rcc_metrics_write_eval(s->metrics, epoch + 1, pr->step, ev.acc, ev.nmi, ev.ari, ev.acc_predict, t_eval);
        RCC_TRY(metrics_flush(s, pr->step));
        if ((c->save_every && (epoch + 1) % c->save_every == 0) || last || last_contrastive) {
            RCC_TRY(save(s, pr));
            ev.saved = true;
        }
        if (hooks && hooks->on_epoch)
            hooks->on_epoch(&ev, hooks->user);
        if (hooks && hooks->stop && *hooks->stop) {
            if (!ev.saved)
                RCC_TRY(save(s, pr));
            return rcc_fail(RCC_ERR_INTERRUPTED, "interrupted after epoch %d; saved %s", epoch + 1, s->ckpt);
        }
    }
    return RCC_OK;
}

static rcc_status run_train(const rcc_config *cfg_in, const rcc_dataset *data, const char *out_dir,
                            const char *resume_from, const rcc_run_hooks *hooks)
{
    run_state s;
    memset(&s, 0, sizeof s);
    s.cfg = *cfg_in;
    s.data = data;
    s.dist = hooks && hooks->dist && hooks->dist->size > 1 ? hooks->dist : NULL;
    s.root = !s.dist || s.dist->rank == 0;
    s.threads = rcc_compute_threads(); /* the guard's: cfg->threads, capped at the CPUs */
    int P = s.dist ? s.dist->size : 1;
    rcc_config *c = &s.cfg;
    if (strlen(out_dir) > RCC_DIR_MAX) /* before anything is allocated */
        return rcc_fail(RCC_ERR_ARG, "output folder path too long");
    RCC_TRY(rcc_run_settle(c, data->c, "the data"));
    if (data->n < c->batch)
        return rcc_fail(RCC_ERR_ARG, "%d image%s fewer than one batch of %d: lower --batch", data->n,
                        data->n == 1 ? " is" : "s are", c->batch);
    if (c->batch % P)
        return rcc_fail(RCC_ERR_ARG, "a batch of %d images cannot be split evenly over %d processes", c->batch, P);
    if (data->labels && data->num_classes < 1)
        return rcc_fail(RCC_ERR_ARG, "labels present but no classes");

    rcc_progress pr = {0, 0, 0};
    rcc_st_file ck;
    bool resuming = resume_from != NULL;
    if (resuming) {
        rcc_config saved;
        RCC_TRY(rcc_checkpoint_open(resume_from, &ck, &saved, &pr));
        if (!same_training(&saved, c)) {
            rcc_st_close(&ck);
            return rcc_fail(RCC_ERR_ARG, "%s was trained with another configuration (only epochs, threads, "
                                         "loader_threads, eval_every, save_every, conv and the self-labelling "
                                         "settings may change on resume)",
                            resume_from);
        }
    }
    rcc_aug_config aug;
    rcc_status st = rcc_run_setup(&s.tr, c, data->c, "the data", c->batch / P, s.dist, &aug);
    if (st == RCC_OK)
        st = rcc_path_join(s.ckpt, sizeof s.ckpt, out_dir, "checkpoint.safetensors");
    if (st == RCC_OK && s.root)
        st = rcc_run_prepare_out_dir(out_dir, s.ckpt, s.tr.ps.total * 12 + s.tr.ps.total_b * 4 + (1 << 20), hooks);
    if (st == RCC_OK)
        st = rcc_path_join(s.metrics_path, sizeof s.metrics_path, out_dir, RCC_METRICS_FILE);
    if (resuming) {
        if (st == RCC_OK)
            st = rcc_checkpoint_load_params(&ck, resume_from, &s.tr.ps, true);
        rcc_st_close(&ck);
        s.tr.step = pr.step;
        if (st == RCC_OK && s.root)
            st = rcc_metrics_trim(s.metrics_path, pr.step);
    }
    if (st == RCC_OK) { /* only the root process keeps the log; the others write it nowhere */
        s.metrics = fopen(s.root ? s.metrics_path : "/dev/null", resuming && s.root ? "a" : "w");
        if (!s.metrics)
            st = rcc_fail(RCC_ERR_IO, "%s: cannot write (%s)", s.metrics_path, strerror(errno));
    }
    if (st == RCC_OK)
        st = rcc_loader_create(&s.loader, data, &aug, RCC_LOADER_TRAIN, c->batch, c->image_size, c->seed,
                               c->loader_threads);
    if (st == RCC_OK && s.dist)
        st = rcc_loader_set_shard(s.loader, s.dist->rank, P);
    if (st == RCC_OK && c->self_label_epochs > 0)
        st = rcc_loader_create(&s.sl_loader, data, &aug, RCC_LOADER_SELF_LABEL, c->batch, c->image_size, c->seed,
                               c->loader_threads);
    if (st == RCC_OK && s.sl_loader && s.dist)
        st = rcc_loader_set_shard(s.sl_loader, s.dist->rank, P);
    s.idx = malloc(sizeof(int) * (size_t)c->batch);
    s.pred = malloc(sizeof(int) * (size_t)data->n);
    s.conf = malloc(sizeof(float) * (size_t)data->n);
    s.sizes = malloc(sizeof(long) * (size_t)c->clusters);
    if (st == RCC_OK && (!s.idx || !s.pred || !s.conf || !s.sizes))
        st = rcc_fail(RCC_ERR_NOMEM, "run buffers");
    if (st == RCC_OK && !resuming)
        st = save(&s, &pr); /* a loadable checkpoint exists from the start */
    /* one process: it says it is busy (neighbours that share take it into account); it takes
     * its own share only with hooks->share */
    if (st == RCC_OK && !s.dist && (s.share = rcc_share_join()))
        rcc_share_busy(s.share, INFINITY);
    if (st == RCC_OK)
        st = train_loop(&s, &pr, hooks);
    rcc_share_leave(s.share);
    if (s.metrics)
        fclose(s.metrics);
    rcc_loader_free(s.loader);
    rcc_loader_free(s.sl_loader);
    rcc_trainer_free(&s.tr);
    free(s.idx);
    free(s.pred);
    free(s.conf);
    free(s.sizes);
    return st;
}

rcc_status rcc_run_train(const rcc_config *cfg, const rcc_dataset *data, const char *out_dir, const char *resume_from,
                         const rcc_run_hooks *hooks)
{
    rcc_compute_saved saved;
    rcc_compute_enter(cfg->threads, &saved);
    rcc_status st = run_train(cfg, data, out_dir, resume_from, hooks);
    rcc_compute_leave(&saved);
    return st;
}
