/* share.c — the CPUs of one host shared among the rcc processes computing on it (share.h). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_AND, O_CLOEXEC */
#include "share.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SHARE_MAGIC 0x53434352u /* "RCCS" */

/* One process's record, the whole content of its file. */
typedef struct {
    uint32_t magic;
    int32_t pid;
    double busy_until; /* CLOCK_MONOTONIC seconds (one clock for the whole host); INFINITY: until idle */
    cpu_set_t cpus;    /* its affinity mask */
} share_record;

struct rcc_share {
    pthread_mutex_t mu; /* the record and fd, between a server's threads */
    int fd;             /* the record's file, locked (flock, exclusive) while the process lives */
    char dir[512], path[600];
    share_record rec;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool write_record(rcc_share *s)
{
    return pwrite(s->fd, &s->rec, sizeof s->rec, 0) == (ssize_t)sizeof s->rec;
}

rcc_share *rcc_share_join(void)
{
    const char *off = getenv("RCC_SHARE");
    if (off && strcmp(off, "0") == 0)
        return NULL;
    rcc_share *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    const char *dir = getenv("RCC_SHARE_DIR");
    int len = dir && *dir ? snprintf(s->dir, sizeof s->dir, "%s", dir)
                          : snprintf(s->dir, sizeof s->dir, "/dev/shm/rcc-share-%u", (unsigned)getuid());
    if (len < 0 || (size_t)len >= sizeof s->dir) {
        free(s);
        return NULL;
    }
    mkdir(s->dir, 0700); /* or it exists; anything else shows at open */
    /* made under a temporary name and locked before it gets its own: a neighbour never sees an
     * unlocked record of a live process (it would take it for a dead one's) */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/.join.%d", s->dir, (int)getpid());
    snprintf(s->path, sizeof s->path, "%s/%d", s->dir, (int)getpid());
    s->fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (s->fd < 0) {
        free(s);
        return NULL;
    }
    s->rec.magic = SHARE_MAGIC;
    s->rec.pid = (int32_t)getpid();
    s->rec.busy_until = 0;
    if (sched_getaffinity(0, sizeof s->rec.cpus, &s->rec.cpus) != 0)
        memset(&s->rec.cpus, 0xff, sizeof s->rec.cpus); /* more CPUs than a mask holds: overlaps everyone */
    if (flock(s->fd, LOCK_EX | LOCK_NB) != 0 || !write_record(s) || rename(tmp, s->path) != 0) {
        close(s->fd);
        unlink(tmp);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void rcc_share_busy(rcc_share *s, double seconds)
{
    if (!s)
        return;
    double until = isinf(seconds) ? INFINITY : mono_now() + seconds;
    pthread_mutex_lock(&s->mu);
    if (until > s->rec.busy_until || isinf(seconds)) {
        s->rec.busy_until = until;
        write_record(s);
    }
    pthread_mutex_unlock(&s->mu);
}

void rcc_share_idle(rcc_share *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->rec.busy_until = 0;
    write_record(s);
    pthread_mutex_unlock(&s->mu);
}

/* Counts the busy neighbours whose CPUs overlap ours (*lower: those of them with a lower pid),
 * removing the records of processes that died. */
static int count_busy(rcc_share *s, int *lower)
{
    int busy = 0;
    *lower = 0;
    DIR *d = opendir(s->dir);
    if (!d)
        return 0;
    double now = mono_now();
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || end == e->d_name || pid == s->rec.pid)
            continue; /* not a record, or ours */
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_SH | LOCK_NB) == 0) { /* nobody holds it: its process is gone */
            struct stat a, b;
            if (fstat(fd, &a) == 0 && fstatat(dirfd(d), e->d_name, &b, 0) == 0 && a.st_ino == b.st_ino)
                unlinkat(dirfd(d), e->d_name, 0);
            close(fd);
            continue;
        }
        share_record r;
        bool ok = pread(fd, &r, sizeof r, 0) == (ssize_t)sizeof r && r.magic == SHARE_MAGIC && r.pid == pid;
        close(fd);
        if (!ok || !(r.busy_until > now))
            continue;
        cpu_set_t both;
        CPU_AND(&both, &r.cpus, &s->rec.cpus);
        if (CPU_COUNT(&both) == 0)
            continue;
        busy++;
        *lower += pid < s->rec.pid;
    }
    closedir(d);
    return busy;
}

int rcc_share_neighbours(rcc_share *s)
{
    if (!s)
        return 1;
    int lower;
    pthread_mutex_lock(&s->mu);
    int n = 1 + count_busy(s, &lower);
    pthread_mutex_unlock(&s->mu);
    return n;
}

int rcc_share_threads(rcc_share *s, int cpus)
{
    if (cpus < 1)
        cpus = 1;
    if (!s)
        return cpus;
    int lower;
    pthread_mutex_lock(&s->mu);
    int n = 1 + count_busy(s, &lower);
    pthread_mutex_unlock(&s->mu);
    int t = cpus / n + (lower < cpus % n);
    return t < 1 ? 1 : t;
}

void rcc_share_leave(rcc_share *s)
{
    if (!s)
        return;
    unlink(s->path);
    close(s->fd); /* drops the lock */
    pthread_mutex_destroy(&s->mu);
    free(s);
}
