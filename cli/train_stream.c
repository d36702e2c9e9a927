/* train_stream.c — `rcc train --follow DIR` and `rcc train --stream`: progress and messages of a
 * streaming run; the work is rcc_run_stream (src/run/stream.c, docs/online.md). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "rcc_run.h"

typedef struct {
    bool tty;
    double sec;
    long last_line;
} stream_progress;

static void on_step(const rcc_step_event *e, void *user)
{
    stream_progress *p = user;
    p->sec = p->sec > 0 ? 0.9 * p->sec + 0.1 * e->step_seconds : e->step_seconds;
    if (p->tty) {
        fprintf(stderr, "\r\033[Kstep %ld  ins %.3f clu %.3f ent %.3f unif %.3f total %.3f  %.0f pairs/s", e->step,
                e->loss.ins, e->loss.clu_nce, e->loss.entropy, e->loss.unif, e->loss.total, e->pairs / p->sec);
        fflush(stderr);
    } else if (e->step - p->last_line >= 50) {
        fprintf(stderr, "step %ld: ins %.4f clu %.4f ent %.4f unif %.4f total %.4f lr %.2e (%.0f pairs/s)\n", e->step,
                e->loss.ins, e->loss.clu_nce, e->loss.entropy, e->loss.unif, e->loss.total, e->lr, e->pairs / p->sec);
        p->last_line = e->step;
    }
}

static void on_drift(const rcc_drift_event *e, void *user)
{
    stream_progress *p = user;
    if (p->tty)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "step %ld saved: %ld images seen, %d in the pool, %ld skipped; recent confidence %.3f", e->step,
            e->seen, e->pool, e->skipped, e->recent_confidence);
    if (e->probe_moved == e->probe_moved)
        fprintf(stderr, "; probe of %d: %.1f%% moved, ARI %.3f", e->probe, 100 * e->probe_moved, e->probe_ari);
    fputc('\n', stderr);
}

static void on_note(const char *message, void *user)
{
    stream_progress *p = user;
    if (p->tty)
        fputs("\r\033[K", stderr);
    cli_print_note(message, NULL);
}

int cli_train_stream(const rcc_config *c, const rcc_stream_options *so, const char *out, const char *resume, bool share)
{
    stream_progress p = {isatty(2) != 0, 0, 0};
    fprintf(stderr, "%s %s: a pool of %d + %d recent images, batch %d, a checkpoint every %d steps or %.0f s%s\n",
            so->follow_dir ? "following" : "reading image paths from", so->follow_dir ? so->follow_dir : "stdin",
            so->pool, so->recent, c->batch, so->save_steps, so->save_seconds, resume ? " (resumed)" : "");
    rcc_run_hooks hooks = {on_step, NULL, &p, cli_stop_flag(), NULL, on_note, on_drift, share};
    cli_catch_stop(true);
    rcc_status st = rcc_run_stream(c, so, out, resume, &hooks);
    cli_catch_stop(false);
    if (st == RCC_ERR_INTERRUPTED) {
        fprintf(stderr, "\n%s\nresume with: rcc train --resume %s %s\n", rcc_last_error(), out,
                so->follow_dir ? "--follow DIR" : "--stream");
        return 130;
    }
    if (st != RCC_OK) {
        fprintf(stderr, "\nrcc train: %s: %s\n", rcc_strerror(st), rcc_last_error());
        return 1;
    }
    if (p.tty)
        fputs("\n", stderr);
    printf("stopped at --max-steps %ld: %s/checkpoint.safetensors\n", so->max_steps, out);
    return 0;
}
