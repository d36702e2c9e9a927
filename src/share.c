/* share.c — the CPUs of one host shared among the rcc processes computing on it (share.h). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_AND, O_CLOEXEC, O_NOFOLLOW */
#include "share.h"

#include <dirent.h>
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
#include "rcc.h"

#define SHARE_MAGIC 0x53434352u /* "RCCS" */

/* One record, the whole content of its file "PID-TOKEN" (a process may hold several: a training
 * and a server in one program; each counts as one busy party). */
typedef struct {
    uint32_t magic;
    int32_t pid;
    double busy_until; /* rcc_now() seconds (CLOCK_MONOTONIC: one clock for the host); INFINITY: on */
    cpu_set_t cpus;    /* its affinity mask */
} share_record;

struct rcc_share {
    pthread_mutex_t mu; /* the record, between the threads of a server */
    int dir;            /* the folder, opened once */
    int fd;             /* the record's file, locked (flock, exclusive) while the process lives */
    char name[64];      /* its name in the folder */
    share_record rec;
};

static bool write_record(rcc_share *s)
{
    return pwrite(s->fd, &s->rec, sizeof s->rec, 0) == (ssize_t)sizeof s->rec;
}

/* The folder: made if missing, and used only when it is a real folder of this user that nobody
 * else may write in (another user could otherwise plant links or FIFOs under our names). */
static int open_folder(void)
{
    char path[512];
    const char *dir = getenv("RCC_SHARE_DIR");
    int len = dir && *dir ? snprintf(path, sizeof path, "%s", dir)
                          : snprintf(path, sizeof path, "/dev/shm/rcc-share-%u", (unsigned)geteuid());
    if (len < 0 || (size_t)len >= sizeof path)
        return -1;
    mkdir(path, 0700); /* or it exists: checked below */
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (fd >= 0 && (fstat(fd, &sb) != 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() ||
                    (sb.st_mode & (S_IWGRP | S_IWOTH)))) {
        close(fd);
        fd = -1;
    }
    return fd;
}

rcc_share *rcc_share_join(void)
{
    const char *off = getenv("RCC_SHARE");
    if (off && strcmp(off, "0") == 0)
        return NULL;
    rcc_share *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->dir = open_folder();
    if (s->dir < 0) {
        free(s);
        return NULL;
    }
    /* a name of its own (pid and a token from the clock and the record's address), made under a
     * temporary name and locked before it gets it: a neighbour never sees an unlocked record of a
     * live process (it would take it for a dead one's) */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long token = ((unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec) ^
                               ((unsigned long long)(uintptr_t)s << 16);
    char tmp[80];
    snprintf(s->name, sizeof s->name, "%d-%llx", (int)getpid(), token);
    snprintf(tmp, sizeof tmp, ".join-%s", s->name);
    s->fd = openat(s->dir, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (s->fd < 0) {
        close(s->dir);
        free(s);
        return NULL;
    }
    s->rec.magic = SHARE_MAGIC;
    s->rec.pid = (int32_t)getpid();
    s->rec.busy_until = 0;
    if (sched_getaffinity(0, sizeof s->rec.cpus, &s->rec.cpus) != 0)
        memset(&s->rec.cpus, 0xff, sizeof s->rec.cpus); /* more CPUs than a mask holds: overlaps everyone */
    if (flock(s->fd, LOCK_EX | LOCK_NB) != 0 || !write_record(s) || renameat(s->dir, tmp, s->dir, s->name) != 0) {
        unlinkat(s->dir, tmp, 0);
        close(s->fd);
        close(s->dir);
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
    pthread_mutex_lock(&s->mu);
    s->rec.busy_until = isinf(seconds) ? INFINITY : rcc_now() + seconds;
    write_record(s);
    pthread_mutex_unlock(&s->mu);
}

/* Counts the busy records of others whose CPUs overlap ours (*lower: those of them whose names
 * sort before ours, for the remainder), removing the records of processes that died. */
static int count_busy(rcc_share *s, int *lower)
{
    int busy = 0;
    *lower = 0;
    int dfd = dup(s->dir);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return 0;
    }
    rewinddir(d);
    double now = rcc_now();
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '-' || strcmp(e->d_name, s->name) == 0)
            continue; /* not a record, or ours */
        int fd = openat(s->dir, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat a;
        if (fstat(fd, &a) != 0 || !S_ISREG(a.st_mode)) {
            close(fd);
            continue;
        }
        if (flock(fd, LOCK_SH | LOCK_NB) == 0) { /* nobody holds it: its process is gone */
            struct stat b;
            if (fstatat(s->dir, e->d_name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == b.st_ino)
                unlinkat(s->dir, e->d_name, 0);
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
        *lower += strcmp(e->d_name, s->name) < 0;
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
    unlinkat(s->dir, s->name, 0);
    close(s->fd); /* drops the lock */
    close(s->dir);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
