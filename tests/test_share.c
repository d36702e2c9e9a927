/* test_share.c — the CPUs of one host shared among rcc processes (src/share.h): the records,
 * busy windows, dead neighbours, RCC_SHARE=0, and a training that takes its share: it notes the
 * change and computes exactly as a run given that many threads from the start. Neighbours are
 * forked children holding records in a private folder (RCC_SHARE_DIR). */
#define _GNU_SOURCE /* sched_setaffinity */
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "rcc.h"
#include "rcc_run.h"
#include "share.h"
#include "testutil.h"

/* A child that joins, is busy for `seconds` (INFINITY: until killed), says so on the pipe and
 * waits to be killed; pinned to `cpu` when >= 0. */
static pid_t neighbour(double seconds, int cpu)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        if (cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            sched_setaffinity(0, sizeof set, &set);
        }
        rcc_share *s = rcc_share_join();
        rcc_share_busy(s, seconds);
        char ok = s ? 1 : 0;
        if (write(fd[1], &ok, 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(fd[1]);
    char ok = 0;
    if (pid < 0 || read(fd[0], &ok, 1) != 1 || !ok) {
        if (pid > 0)
            kill(pid, SIGKILL), waitpid(pid, NULL, 0);
        pid = -1;
    }
    close(fd[0]);
    return pid;
}

static void end(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

static int files_in(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

/* ---------------------------------------------------------------- a training that shares */

typedef struct {
    int notes, last_threads;
} notes;

static void on_note(const char *m, void *user)
{
    notes *n = user;
    int t;
    if (sscanf(m, "computing with %d thread", &t) == 1)
        n->notes++, n->last_threads = t;
    fprintf(stderr, "  note: %s\n", m);
}

static void tiny(rcc_config *c, int threads)
{
    rcc_config_preset(c, "cpu");
    c->image_size = 16, c->width = 4, c->hidden = 16, c->feature_dim = 8, c->clusters = 3, c->batch = 16;
    c->epochs = 2, c->threads = threads, c->loader_threads = 1, c->eval_every = 0, c->seed = 3;
    c->conv = RCC_CONV_DIRECT, c->precision = RCC_PRECISION_F32;
}

/* Trains the tiny network into dir; the probabilities of `n` images afterwards in probs. */
static rcc_status train_and_assign(const char *dir, int threads, bool share, notes *nt, const rcc_dataset *d,
                                   float *probs)
{
    rcc_config c;
    tiny(&c, threads);
    rcc_run_hooks hooks = {.on_note = on_note, .user = nt, .share = share};
    RCC_TRY(rcc_run_train(&c, d, dir, NULL, &hooks));
    char ck[600];
    snprintf(ck, sizeof ck, "%s/checkpoint.safetensors", dir);
    rcc_net *net;
    RCC_TRY(rcc_net_load(&net, ck));
    rcc_status st = rcc_net_set_threads(net, 1);
    int *cl = malloc(sizeof(int) * (size_t)d->n);
    float *conf = malloc(sizeof(float) * (size_t)d->n);
    if (st == RCC_OK)
        st = rcc_net_assign(net, d->pix, d->n, cl, conf, NULL, probs);
    free(cl), free(conf);
    rcc_net_free(net);
    return st;
}

int main(void)
{
    char dir[] = "/tmp/rcc-test-share-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char reg[600];
    snprintf(reg, sizeof reg, "%s/records", dir);
    setenv("RCC_SHARE_DIR", reg, 1);
    unsetenv("RCC_SHARE");

    /* alone: every CPU */
    rcc_share *me = rcc_share_join();
    CHECK(me != NULL, "joined %s", reg);
    CHECK(rcc_share_threads(me, 2) == 2 && rcc_share_threads(me, 5) == 5 && rcc_share_neighbours(me) == 1,
          "alone: 2 -> %d, 5 -> %d, neighbours %d", rcc_share_threads(me, 2), rcc_share_threads(me, 5),
          rcc_share_neighbours(me));
    CHECK(rcc_share_threads(NULL, 3) == 3 && rcc_share_neighbours(NULL) == 1, "NULL is alone");

    /* one busy neighbour: half each; the remainder to the lower process id (ours: forked after) */
    pid_t a = neighbour(INFINITY, -1);
    CHECK(a > 0, "a busy neighbour");
    CHECK(rcc_share_neighbours(me) == 2, "busy processes: %d, want 2", rcc_share_neighbours(me));
    CHECK(rcc_share_threads(me, 2) == 1 && rcc_share_threads(me, 4) == 2, "with one neighbour: 2 -> %d, 4 -> %d",
          rcc_share_threads(me, 2), rcc_share_threads(me, 4));
    CHECK(rcc_share_threads(me, 3) == (getpid() < a ? 2 : 1), "3 CPUs, two processes: %d",
          rcc_share_threads(me, 3));
    CHECK(rcc_share_threads(me, 1) == 1, "never fewer than one thread");
    /* an idle neighbour (its window over) does not count */
    pid_t b = neighbour(0.2, -1);
    CHECK(b > 0 && rcc_share_neighbours(me) == 3, "a briefly busy one counts: %d", rcc_share_neighbours(me));
    usleep(300 * 1000);
    CHECK(rcc_share_neighbours(me) == 2, "after its window: %d busy, want 2", rcc_share_neighbours(me));
    /* a neighbour killed while busy: its record is unlocked, ignored and removed */
    int before = files_in(reg);
    end(a);
    CHECK(rcc_share_threads(me, 2) == 2, "the busy one killed: %d threads, want 2", rcc_share_threads(me, 2));
    CHECK(files_in(reg) == before - 1, "its record removed: %d files, were %d", files_in(reg), before);
    end(b);
    rcc_share_neighbours(me);
    CHECK(files_in(reg) == 1, "only our record left: %d files", files_in(reg));
    /* neighbours on other CPUs are not neighbours */
    cpu_set_t mine;
    if (sched_getaffinity(0, sizeof mine, &mine) == 0 && CPU_COUNT(&mine) >= 2 && CPU_ISSET(0, &mine) &&
        CPU_ISSET(1, &mine)) {
        rcc_share_leave(me);
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        sched_setaffinity(0, sizeof one, &one);
        me = rcc_share_join();
        pid_t c1 = neighbour(INFINITY, 1), c0 = neighbour(INFINITY, 0);
        CHECK(rcc_share_neighbours(me) == 2, "pinned to CPU 0: busy on it %d (one on CPU 0, one on CPU 1), want 2",
              rcc_share_neighbours(me));
        end(c1), end(c0);
        rcc_share_neighbours(me); /* removes the records they left */
        sched_setaffinity(0, sizeof mine, &mine);
    }
    rcc_share_busy(me, INFINITY);
    rcc_share_leave(me);
    CHECK(files_in(reg) == 0, "leaving removes the record: %d files", files_in(reg));
    /* switched off */
    setenv("RCC_SHARE", "0", 1);
    CHECK(rcc_share_join() == NULL, "RCC_SHARE=0: no record");
    unsetenv("RCC_SHARE");

    /* a training that shares: with one busy neighbour on 2 CPUs it computes with 1 thread, from the
     * first step, and its numbers are those of a run given 1 thread; alone, it keeps 2 */
    if (rcc_threads_available() >= 2) {
        rcc_dataset d = {.n = 64, .c = 1, .h = 16, .w = 16};
        d.pix = malloc(sizeof(float) * 64 * 256);
        rcc_rng r;
        rcc_rng_init(&r, 11, 1);
        for (int i = 0; i < 64 * 256; i++)
            d.pix[i] = (float)rcc_rng_uniform(&r);
        float *p1 = malloc(sizeof(float) * 64 * 3), *ps = malloc(sizeof(float) * 64 * 3);
        notes n1 = {0, 0}, ns = {0, 0}, alone = {0, 0};
        char d1[600], ds[600], da[600];
        snprintf(d1, sizeof d1, "%s/one", dir), snprintf(ds, sizeof ds, "%s/shared", dir);
        snprintf(da, sizeof da, "%s/alone", dir);
        CHECK_OK(train_and_assign(d1, 1, false, &n1, &d, p1));
        pid_t nb = neighbour(INFINITY, -1);
        CHECK_OK(train_and_assign(ds, 2, true, &ns, &d, ps));
        end(nb);
        CHECK(ns.notes == 1 && ns.last_threads == 1, "sharing with a busy neighbour: %d note(s), %d thread(s)",
              ns.notes, ns.last_threads);
        CHECK(n1.notes == 0, "a run with its own count says nothing: %d notes", n1.notes);
        CHECK(memcmp(p1, ps, sizeof(float) * 64 * 3) == 0, "the shared run computed exactly as a 1-thread run");
        CHECK_OK(train_and_assign(da, 2, true, &alone, &d, ps));
        CHECK(alone.notes == 0, "alone, a sharing run keeps its threads: %d notes", alone.notes);
        free(p1), free(ps), free(d.pix);
    } else {
        fprintf(stderr, "test_share: one CPU: the training part needs two (skipped)\n");
    }
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return test_finish("test_share");
}
