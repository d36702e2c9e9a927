/* cmd_train.c — `rcc train`: cluster a set of images without labels. Argument parsing, progress
 * and messages only; the work is rcc_run_train (src/run/run.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "rcc_run.h"

typedef struct {
    bool tty;
    int every;  /* plain-line interval in steps */
    double sec; /* smoothed seconds per step */
} progress;

static void on_step(const rcc_step_event *e, void *user)
{
    progress *p = user;
    long total = (long)e->epochs * e->batches, done = (long)e->epoch * e->batches + e->batch;
    p->sec = p->sec > 0 ? 0.9 * p->sec + 0.1 * e->step_seconds : e->step_seconds; /* smoothed */
    double rate = e->pairs / p->sec, eta = (double)(total - done) * p->sec;
    char et[32], el[32];
    cli_fmt_duration(et, sizeof et, eta, false);
    cli_fmt_duration(el, sizeof el, e->elapsed, false);
    char terms[160];
    if (e->self_label)
        snprintf(terms, sizeof terms, "self-label %.4f, %.0f%% confident", e->loss.total, 100 * e->confident);
    else
        snprintf(terms, sizeof terms, "ins %.3f clu %.3f ent %.3f unif %.3f total %.3f", e->loss.ins, e->loss.clu_nce,
                 e->loss.entropy, e->loss.unif, e->loss.total);
    if (p->tty) {
        int width = 24, fill = (int)((double)width * e->batch / e->batches);
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = 0;
        fprintf(stderr,
                "\r\033[Kepoch %d/%d [%s] %d/%d  %s  %.0f pairs/s  ETA %s", e->epoch + 1, e->epochs, bar, e->batch,
                e->batches, terms, rate, et);
        fflush(stderr);
    } else if (e->batch % p->every == 0 || e->batch == e->batches) {
        fprintf(stderr,
                "epoch %d/%d batch %d/%d step %ld: %s lr %.2e (%.0f pairs/s, %s elapsed, ETA %s)\n", e->epoch + 1,
                e->epochs, e->batch, e->batches, e->step, terms, e->lr, rate, el, et);
    }
}

static void on_epoch(const rcc_epoch_event *e, void *user)
{
    progress *p = user;
    if (p->tty)
        fputs("\r\033[K", stderr);
    if (e->self_label)
        fprintf(stderr, "epoch %d/%d (self-labelling) done in %.1f s: loss %.4f, %.1f%% of the images confident",
                e->epoch + 1, e->epochs, e->seconds, e->mean.total, 100 * e->confident);
    else
        fprintf(stderr, "epoch %d/%d done in %.1f s: ins %.4f clu %.4f ent %.4f unif %.4f total %.4f", e->epoch + 1,
                e->epochs, e->seconds, e->mean.ins, e->mean.clu_nce, e->mean.entropy, e->mean.unif, e->mean.total);
    if (e->evaluated)
        fprintf(stderr, " | ACC %.4f NMI %.4f ARI %.4f", e->acc, e->nmi, e->ari);
    fprintf(stderr, "%s\n", e->saved ? " | saved" : "");
    if (isfinite(e->acc_predict))
        fprintf(stderr, "  rcc predict's default clusters (the head's, refined by the neighbour vote where it "
                        "applies): ACC %.4f\n",
                e->acc_predict);
    fprintf(stderr, "  cluster sizes:");
    for (int k = 0; k < e->clusters; k++)
        fprintf(stderr, " %ld", e->sizes[k]);
    fputc('\n', stderr);
    if (e->assigned && rcc_sizes_look_forced(e->size_spread, e->mean_confidence))
        fprintf(stderr,
                "  warning: every cluster is within %.0f%% of an equal share while the model is unsure of its "
                "answers (mean confidence %.3f < %.2f): the sizes may be forced by the equal-size prior; if the "
                "data's classes differ in size, large ones are being split and small ones merged "
                "(docs/imbalance.md)\n",
                100 * e->size_spread, e->mean_confidence, RCC_FORCED_CONFIDENCE);
    if (e->empty || e->largest > 0.5)
        fprintf(stderr, "  warning: cluster collapse: %d empty cluster(s), the largest holds %.0f%% of the images\n",
                e->empty, 100 * e->largest);
}

/* The named and seed flags into c, then the range checks. */
static rcc_status finish_config(rcc_config *c, int seed, const char *backbone, const char *augment, const char *conv,
                                const char *precision)
{
    c->seed = (uint64_t)seed;
    if (backbone)
        CLI_TRY(rcc_backbone_parse(backbone, &c->backbone));
    if (augment)
        CLI_TRY(rcc_augment_preset_parse(augment, &c->augment));
    if (conv)
        CLI_TRY(rcc_conv_kind_parse(conv, &c->conv));
    if (precision)
        CLI_TRY(rcc_precision_parse(precision, &c->precision));
    return rcc_config_check(c);
}

/* Without --preset (and not resuming): the preset the data calls for — photo for colour images,
 * cpu (gray digits) otherwise; the photo preset trains photos larger than 48 pixels at 64x64. */
int cmd_train(int argc, char **argv)
{
    rcc_config c;
    const char *preset = cli_find_preset(argc, argv), *out = NULL, *resume = NULL, *backbone = NULL, *augment = NULL,
               *conv = NULL, *precision = NULL;
    if (rcc_config_preset(&c, preset) != RCC_OK) {
        fprintf(stderr, "rcc train: %s\n", rcc_last_error());
        return 2;
    }
    cli_strs data = {0}, labels = {0};
    cli_load_flags lf = CLI_LOAD_DEFAULTS;
    int seed = (int)c.seed;
    bool sync_bn = false, stream = false, best = false;
    rcc_stream_options so;
    rcc_stream_defaults(&so);
    const char *follow = NULL;
    int max_steps = 0;
    float save_seconds = (float)so.save_seconds, retry_seconds = (float)so.retry_seconds;
    const cli_opt opts[] = {
        {"data", 'd', OPT_STRS, &data, "images: IDX file, .npy, or a folder of PNG/JPEG (repeat to concatenate)"},
        {"labels", 'l', OPT_STRS, &labels, "IDX label file for each --data (optional: only for ACC/NMI/ARI)"},
        CLI_LOAD_OPTS(lf),
        {"out", 'o', OPT_STR, &out, "output folder: checkpoint.safetensors, metrics.jsonl"},
        {"preset", 'p', OPT_STR, &preset, "hyper-parameter preset: cpu (gray digits), photo (colour photos) or paper (the paper's settings, docs/method.md); default: photo for colour data, else cpu"},
        {"resume", 0, OPT_STR, &resume, "continue the run saved in this folder (or checkpoint file)"},
        {"backbone", 0, OPT_STR, &backbone, "resnet18, or resnet18-small (for small images: 3x3 stem, no max-pool)"},
        {"size", 's', OPT_INT, &c.image_size, "image side S (images are resized to SxS)"},
        {"width", 0, OPT_INT, &c.width, "backbone width: channels of the first stage"},
        {"rep-dim", 0, OPT_INT, &c.rep_dim, "dimension of the unit-sphere representation h"},
        {"feature-dim", 0, OPT_INT, &c.feature_dim, "instance head output dimension"},
        {"hidden", 0, OPT_INT, &c.hidden, "hidden width of both heads"},
        {"clusters", 'K', OPT_INT, &c.clusters, "number of clusters K"},
        {"lambda", 0, OPT_FLOAT, &c.lambda, "weight of the contrastive terms; 1 - lambda weighs uniformity (1 = CC)"},
        {"entropy-weight", 0, OPT_FLOAT, &c.entropy_weight,
         "weight of the cluster-size entropy inside lambda's share (1, the paper's, pushes clusters towards equal "
         "sizes; 0: no size prior; docs/imbalance.md)"},
        {"tau-i", 0, OPT_FLOAT, &c.tau_i, "instance temperature"},
        {"tau-c", 0, OPT_FLOAT, &c.tau_c, "cluster temperature"},
        {"t", 0, OPT_FLOAT, &c.t, "uniformity loss t"},
        {"batch", 'b', OPT_INT, &c.batch, "images per view per step"},
        {"epochs", 'e', OPT_INT, &c.epochs, "epochs"},
        {"lr", 0, OPT_FLOAT, &c.lr, "Adam learning rate"},
        {"weight-decay", 0, OPT_FLOAT, &c.weight_decay, "Adam weight decay"},
        {"warmup", 0, OPT_INT, &c.warmup_epochs, "epochs of linear learning-rate warm-up"},
        {"cosine", 0, OPT_INT, &c.cosine, "1: cosine learning-rate decay, 0: constant"},
        {"augment", 'a', OPT_STR, &augment, "augmentation preset (paper, cpu, photo, none)"},
        {"crop-min", 0, OPT_FLOAT, &c.crop_area_min, "smallest crop area fraction (-1: the preset's)"},
        {"jitter-prob", 0, OPT_FLOAT, &c.jitter_prob, "colour-jitter probability (-1: the preset's)"},
        {"blur-prob", 0, OPT_FLOAT, &c.blur_prob, "blur probability (-1: the preset's)"},
        {"rotate", 0, OPT_FLOAT, &c.rotate_deg, "largest random rotation in degrees (-1: the preset's)"},
        {"seed", 0, OPT_INT, &seed, "random seed (same seed, same model)"},
        {"threads", 't', OPT_INT, &c.threads, "compute threads; without it, the CPUs this process may use (with --resume: the checkpoint's count), shared with the other rcc processes computing on this host (docs/performance.md)"},
        {"loader-threads", 0, OPT_INT, &c.loader_threads, "data preparation threads"},
        {"conv", 0, OPT_STR, &conv, "convolution kernels: direct, winograd (faster at 64x64; docs/performance.md), or best (time both on this run's step first, keep the faster); given alone, precision f32 unless --precision. Default (neither --conv nor --precision): the fastest mode, as --best"},
        {"precision", 0, OPT_STR, &precision, "backbone activations and convolution weights: f32 or bf16 (about 1.8x faster; only where the CPU has AVX512-BF16; direct convolutions; docs/performance.md); given alone, direct convolutions unless --conv"},
        {"best", 0, OPT_FLAG, &best, "the fastest mode: time every convolution kernel and precision on this run's step first (a few seconds), keep the fastest; the default when neither --conv nor --precision is given (and not --resume, --follow, --stream or under mpirun)"},
        {"eval-every", 0, OPT_INT, &c.eval_every, "epochs between evaluations when labels are given"},
        {"save-every", 0, OPT_INT, &c.save_every, "epochs between checkpoints"},
        {"self-label", 0, OPT_INT, &c.self_label_epochs, "epochs of self-labelling after the contrastive ones (0: none)"},
        {"sl-threshold", 0, OPT_FLOAT, &c.self_label_threshold, "self-labelling: confidence that makes a cluster a target"},
        {"sl-lr", 0, OPT_FLOAT, &c.self_label_lr, "self-labelling: constant learning rate"},
        {"sync-bn", 0, OPT_FLAG, &sync_bn, "under mpirun: batch-norm statistics over all processes (default: per process)"},
        {"follow", 0, OPT_STR, &follow, "learn from a stream: new PNG/JPEG files in this folder and below (docs/online.md)"},
        {"stream", 0, OPT_FLAG, &stream, "learn from a stream: image paths on stdin, one per line"},
        {"pool", 0, OPT_INT, &so.pool, "stream: reservoir sample of every image seen, images"},
        {"recent", 0, OPT_INT, &so.recent, "stream: newest images held besides"},
        {"probe", 0, OPT_INT, &so.probe, "stream: first images seen, the fixed sample of the drift records"},
        {"max-steps", 0, OPT_INT, &max_steps, "stream: stop after this many steps (0: when stopped)"},
        {"save-steps", 0, OPT_INT, &so.save_steps, "stream: a checkpoint and drift record every N steps ..."},
        {"save-seconds", 0, OPT_FLOAT, &save_seconds, "stream: ... or every S seconds"},
        {"retries", 0, OPT_INT, &so.retries, "stream: attempts at a file that does not decode before skipping it"},
        {"retry-seconds", 0, OPT_FLOAT, &retry_seconds, "stream: seconds between two attempts at a file"},
        {0},
    };
    const char *summary = "Train an RCC model: cluster images without labels. Writes OUT/checkpoint.safetensors and "
                          "OUT/metrics.jsonl;\nCtrl-C saves and stops (a second Ctrl-C stops at once). Under 'mpirun -np P' the batch "
                          "is split over\nP processes (data-parallel training, docs/distributed.md).";
    /* With --resume, the saved configuration is the default for every flag. */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--resume") == 0 && i + 1 < argc)
            resume = argv[i + 1];
    char ckpt[RCC_PATH_MAX];
    if (resume) {
        rcc_progress pr;
        if (cli_checkpoint_path(resume, ckpt, sizeof ckpt) != RCC_OK || rcc_checkpoint_info(ckpt, &c, &pr) != RCC_OK) {
            fprintf(stderr, "rcc train: %s\n", rcc_last_error());
            return 1;
        }
        seed = (int)c.seed;
        fprintf(stderr, "resuming %s at epoch %d, batch %d (step %ld)\n", ckpt, pr.epoch + 1, pr.batch_in_epoch,
                pr.step);
    }
    int r = cli_parse("train", summary, opts, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if ((follow || stream) && data.n) {
        fprintf(stderr, "rcc train: --data is for a fixed data set; --follow and --stream take images as they come\n");
        return 2;
    }
    if (follow && stream) {
        fprintf(stderr, "rcc train: --follow DIR or --stream, not both\n");
        return 2;
    }
    if (!data.n && !follow && !stream) {
        fprintf(stderr, "rcc train: --data is required (see 'rcc train --help')\n");
        return 2;
    }
    char resume_dir[RCC_PATH_MAX];
    if (!out && resume) { /* a resumed run continues in the checkpoint's folder */
        snprintf(resume_dir, sizeof resume_dir, "%s", ckpt);
        char *slash = strrchr(resume_dir, '/');
        if (slash)
            *slash = 0;
        out = slash ? resume_dir : ".";
    }
    if (!out) {
        fprintf(stderr, "rcc train: --out is required (see 'rcc train --help')\n");
        return 2;
    }
    if (labels.n && labels.n != data.n) {
        fprintf(stderr, "rcc train: give one --labels per --data (%d vs %d)\n", labels.n, data.n);
        return 2;
    }
    if (seed < 0) {
        fprintf(stderr, "rcc train: --seed must be >= 0\n");
        return 2;
    }
    bool conv_best = conv && strcmp(conv, "best") == 0;
    /* without --conv, --precision or --best (and not resuming or streaming), the fastest mode of this
     * CPU on this run's step, as --best finds it (docs/performance.md) */
    bool automatic = !best && !conv && !precision && !resume && !follow && !stream;
    const char *pick = best ? "--best" : conv_best ? "--conv best" : automatic ? "mode" : NULL; /* timed first */
    if (best && (conv || precision)) {
        fprintf(stderr, "rcc train: --best chooses the convolution kernels and the precision; not with --conv or "
                        "--precision\n");
        return 2;
    }
    if (conv_best)
        conv = NULL; /* chosen once the step's shape is known */
    rcc_status st = finish_config(&c, seed, backbone, augment, conv, precision);
    if (st != RCC_OK) {
        fprintf(stderr, "rcc train: %s\n", rcc_last_error());
        return 2;
    }
    if (precision && !cli_infer_precision_ok("train", precision))
        return 2; /* bf16 where the CPU has none: said before any data is read */
    if (follow || stream) {
        if (max_steps < 0) {
            fprintf(stderr, "rcc train: --max-steps must be >= 0\n");
            return 2;
        }
        so.follow_dir = follow;
        so.lines_fd = stream ? 0 : -1;
        so.max_steps = max_steps;
        so.save_seconds = save_seconds;
        so.retry_seconds = retry_seconds;
        if (pick && cli_pick_mode("train", &c, c.in_channels, best, false) != RCC_OK) {
            fprintf(stderr, "rcc train: %s: %s\n", pick, rcc_last_error());
            return 1;
        }
        return cli_train_stream(&c, &so, out, resume ? ckpt : NULL, !cli_threads_given(argc, argv));
    }

    rcc_dist *dist = cli_dist();
    bool root = dist->rank == 0;
    char skipped[RCC_PATH_MAX] = "";
    if (root && (mkdir(out, 0755) == 0 || errno == EEXIST) &&
        rcc_path_join(skipped, sizeof skipped, out, "skipped.txt") == RCC_OK)
        unlink(skipped); /* a list of this run's broken files only */
    rcc_dataset d;
    st = cli_load_data("rcc train", &data, &labels, &lf, skipped[0] ? skipped : NULL, &d);
    if (st != RCC_OK) {
        fprintf(stderr, "rcc train: %s\n", rcc_last_error());
        return 1;
    }
    const char *preset_line = NULL; /* the preset chosen from the data, said after the mode */
    bool preset_given = false;
    for (int i = 1; i < argc; i++)
        preset_given |= strcmp(argv[i], "--preset") == 0 || strncmp(argv[i], "--preset=", 9) == 0 ||
                        strcmp(argv[i], "-p") == 0;
    if (!preset_given && !resume) {
        const char *name = "cpu";
        rcc_config dc;
        if (rcc_config_for_data(&d, &dc, &name) == RCC_OK) {
            c = dc; /* the flags again, over the data's preset */
            data.n = labels.n = 0;
            bool parsed = cli_parse("train", summary, opts, argc, argv) == 0;
            if (conv_best)
                conv = NULL;
            if (!parsed || finish_config(&c, seed, backbone, augment, conv, precision) != RCC_OK) {
                fprintf(stderr, "rcc train: %s\n", rcc_last_error());
                rcc_dataset_free(&d);
                return 2;
            }
        }
        preset_line = name;
    }
    if (pick && dist->size > 1 && automatic) {
        pick = NULL; /* timing is one process's: under mpirun the default mode, said below */
        if (root)
            fprintf(stderr, "mode: direct f32 (not timed under mpirun; --conv and --precision choose)\n");
    }
    if (pick && dist->size > 1) {
        fprintf(stderr, "rcc train: %s times one process alone; under mpirun choose --conv and --precision\n",
                pick);
        rcc_dataset_free(&d);
        return 2;
    }
    if (pick && cli_pick_mode("train", &c, d.c, best || automatic, automatic) != RCC_OK) {
        fprintf(stderr, "rcc train: %s: %s\n", pick, rcc_last_error());
        rcc_dataset_free(&d);
        return 1;
    }
    if (root && preset_line)
        fprintf(stderr, "preset: %s (%s images; --preset cpu, photo or paper to choose)\n", preset_line,
                d.c == 3 ? "colour" : "gray");
    char sl[64] = "";
    if (c.self_label_epochs)
        snprintf(sl, sizeof sl, " + %d of self-labelling", c.self_label_epochs);
    double held_mb = (double)d.n * d.c * d.h * d.w * (d.u8 ? 1 : sizeof(float)) / 1e6;
    fprintf(stderr,
            "data: %d images, %d channel(s), %dx%d, %s, held as %s (%.1f MB); training at %dx%d, batch %d, %d "
            "epochs%s, K %d\n",
            d.n, d.c, d.h, d.w, d.labels ? "labelled (labels are used only to evaluate)" : "unlabelled",
            d.u8 ? "bytes" : "floats", held_mb, c.image_size, c.image_size, c.batch, c.epochs, sl, c.clusters);
    progress p = {isatty(2) != 0, 1, 0};
    int batches = d.n / c.batch;
    p.every = batches >= 10 ? batches / 10 : 1;
    dist->sync_bn = sync_bn;
    if (root && c.conv == RCC_CONV_WINOGRAD)
        cli_note_winograd("train");
    if (root && c.precision == RCC_PRECISION_BF16)
        fprintf(stderr, "precision: bf16 activations and convolution weights in the backbone; weights, gradients, "
                        "Adam, losses and heads in f32\n");
    if (dist->size > 1 && root)
        fprintf(stderr, "data-parallel: %d processes, %d images per view each, batch-norm statistics %s\n",
                dist->size, c.batch / dist->size, sync_bn ? "over all processes" : "per process");
    rcc_run_hooks hooks = {root ? on_step : NULL, root ? on_epoch : NULL, &p, cli_stop_flag(), dist, cli_print_note, NULL,
                           dist->size == 1 && !cli_threads_given(argc, argv)};
    cli_catch_stop(true);
    double t0 = rcc_now();
    st = rcc_run_train(&c, &d, out, resume ? ckpt : NULL, &hooks);
    cli_catch_stop(false);
    if (st == RCC_ERR_INTERRUPTED) {
        fprintf(stderr, "\n%s\nresume with: rcc train --resume %s --data ...\n", rcc_last_error(), out);
        rcc_dataset_free(&d);
        return 130;
    }
    if (st != RCC_OK) {
        fprintf(stderr, "\nrcc train%s: %s: %s\n", dist->size > 1 ? " (one process failed; stopping all)" : "",
                rcc_strerror(st), rcc_last_error());
        rcc_dataset_free(&d);
        if (dist->size > 1) /* the others would wait for it forever */
            rcc_dist_abort(dist, 1);
        return 1;
    }
    if (!root) {
        rcc_dataset_free(&d);
        return 0;
    }
    printf("trained in %.1f s: %s/checkpoint.safetensors\n", rcc_now() - t0, out);
    if (dist->size > 1)
        fprintf(stderr, "rank 0 spent %.1f s in collectives (%.0f MB sent)\n", dist->comm_seconds,
                dist->comm_bytes / 1e6);
    rcc_dataset_free(&d);
    return 0;
}
