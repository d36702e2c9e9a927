/* stream_source.c — where a streaming run's image paths come from (stream.h): a folder followed
 * with inotify after a sorted scan, or lines on a file descriptor read by a thread. Both hand
 * out paths in arrival order from one queue; what a path holds is the run's business. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "stream.h"

typedef struct {
    char **v;
    size_t head, n, cap;
} path_queue;

static bool queue_push(path_queue *q, const char *path)
{
    if (q->head + q->n == q->cap) {
        if (q->head > 0) { /* reuse the room of the paths already taken */
            memmove(q->v, q->v + q->head, q->n * sizeof *q->v);
            q->head = 0;
        } else {
            size_t cap = q->cap ? 2 * q->cap : 256;
            char **v = realloc(q->v, cap * sizeof *v);
            if (!v)
                return false;
            q->v = v, q->cap = cap;
        }
    }
    char *p = strdup(path);
    if (!p)
        return false;
    q->v[q->head + q->n++] = p;
    return true;
}

static char *queue_pop(path_queue *q)
{
    if (!q->n)
        return NULL;
    q->n--;
    return q->v[q->head++];
}

static void queue_free(path_queue *q)
{
    char *p;
    while ((p = queue_pop(q)))
        free(p);
    free(q->v);
}

typedef struct {
    int wd;
    char *dir;
} watch;

struct rcc_source {
    path_queue q;
    /* follow */
    int ifd;
    watch *w;
    int nw, wcap;
    /* lines */
    int fd;
    int wake[2]; /* rcc_source_free writes here to end the reader */
    pthread_t reader;
    bool reader_started, ended;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* ---------------------------------------------------------------- a followed folder */

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static rcc_status add_dir(rcc_source *s, const char *dir);

/* Watches dir, then queues its files and walks its folders, in name order. */
static rcc_status add_dir(rcc_source *s, const char *dir)
{
    int wd = inotify_add_watch(s->ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR);
    if (wd < 0)
        return rcc_fail(RCC_ERR_IO, "%s: cannot watch (%s)%s", dir, strerror(errno),
                        errno == ENOSPC ? "; raise fs.inotify.max_user_watches" : "");
    if (s->nw == s->wcap) {
        int cap = s->wcap ? 2 * s->wcap : 16;
        watch *w = realloc(s->w, (size_t)cap * sizeof *w);
        if (!w)
            return rcc_fail(RCC_ERR_NOMEM, "watches");
        s->w = w, s->wcap = cap;
    }
    s->w[s->nw].wd = wd;
    s->w[s->nw].dir = strdup(dir);
    if (!s->w[s->nw++].dir)
        return rcc_fail(RCC_ERR_NOMEM, "watches");
    DIR *d = opendir(dir);
    if (!d)
        return rcc_fail(RCC_ERR_IO, "%s: cannot read the folder (%s)", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    rcc_status st = RCC_OK;
    for (struct dirent *e; st == RCC_OK && (e = readdir(d));) {
        if (e->d_name[0] == '.') /* ., .., hidden files and the temporary names of copies in progress */
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **v = realloc(names, cap * sizeof *v);
            if (!v) {
                st = rcc_fail(RCC_ERR_NOMEM, "%s: names", dir);
                break;
            }
            names = v;
        }
        if (!(names[n++] = strdup(e->d_name)))
            st = rcc_fail(RCC_ERR_NOMEM, "%s: names", dir);
    }
    closedir(d);
    if (st == RCC_OK && n > 1) /* (an empty folder has no array to sort) */
        qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; st == RCC_OK && i < n; i++) {
        char path[RCC_PATH_MAX];
        struct stat sb;
        st = rcc_path_join(path, sizeof path, dir, names[i]);
        if (st != RCC_OK || stat(path, &sb) != 0)
            continue; /* gone since */
        if (S_ISDIR(sb.st_mode))
            st = add_dir(s, path);
        else if (S_ISREG(sb.st_mode) && !queue_push(&s->q, path))
            st = rcc_fail(RCC_ERR_NOMEM, "queue");
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return st;
}

rcc_status rcc_source_follow(rcc_source **out, const char *dir)
{
    *out = NULL;
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return rcc_fail(RCC_ERR_IO, "%s: not a folder (%s)", dir, errno ? strerror(errno) : "a file");
    rcc_source *s = calloc(1, sizeof *s);
    if (!s)
        return rcc_fail(RCC_ERR_NOMEM, "source");
    s->fd = -1;
    s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (s->ifd < 0) {
        free(s);
        return rcc_fail(RCC_ERR_IO, "inotify: %s", strerror(errno));
    }
    char clean[RCC_PATH_MAX];
    snprintf(clean, sizeof clean, "%s", dir);
    size_t len = strlen(clean);
    while (len > 1 && clean[len - 1] == '/')
        clean[--len] = 0;
    rcc_status st = add_dir(s, clean); /* watch first, then scan: nothing falls between */
    if (st != RCC_OK) {
        rcc_source_free(s);
        return st;
    }
    *out = s;
    return RCC_OK;
}

static const char *watch_dir(const rcc_source *s, int wd)
{
    for (int i = 0; i < s->nw; i++)
        if (s->w[i].wd == wd)
            return s->w[i].dir;
    return NULL;
}

/* Reads the events that are waiting (after up to timeout_ms) into the queue. */
static void drain_events(rcc_source *s, int timeout_ms)
{
    struct pollfd pfd = {s->ifd, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0)
        return;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(s->ifd, buf, sizeof buf);
        if (n <= 0)
            return;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            p += sizeof *e + e->len;
            const char *dir = watch_dir(s, e->wd);
            if (!dir || !e->len || e->name[0] == '.')
                continue;
            char path[RCC_PATH_MAX];
            if (rcc_path_join(path, sizeof path, dir, e->name) != RCC_OK)
                continue;
            if (e->mask & IN_ISDIR) {
                if (e->mask & (IN_CREATE | IN_MOVED_TO))
                    add_dir(s, path); /* its files so far are queued by the scan, later ones by events */
            } else if (e->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
                queue_push(&s->q, path);
            }
        }
    }
}

/* ---------------------------------------------------------------- lines on a descriptor */

/* Reads fd until EOF or until rcc_source_free writes to the wake pipe; each complete line is a
 * path (a last line without a newline counts at EOF). */
static void *reader_main(void *arg)
{
    rcc_source *s = arg;
    char *line = NULL;
    size_t n = 0, cap = 0;
    char buf[4096];
    bool eof = false;
    while (!eof) {
        struct pollfd pfd[2] = {{s->fd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[1].revents)
            break;
        ssize_t got = read(s->fd, buf, sizeof buf);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0) {
            got = 1, buf[0] = '\n'; /* EOF: end the last line */
            eof = true;
        }
        for (ssize_t i = 0; i < got; i++) {
            if (buf[i] != '\n') {
                if (n + 2 > cap) {
                    size_t nc = cap ? 2 * cap : 256;
                    char *l = realloc(line, nc);
                    if (!l)
                        continue; /* out of memory: the path is cut; opening it will fail and say so */
                    line = l, cap = nc;
                }
                line[n++] = buf[i];
                continue;
            }
            while (n && line[n - 1] == '\r')
                n--;
            if (n) {
                line[n] = 0;
                pthread_mutex_lock(&s->mu);
                queue_push(&s->q, line);
                pthread_cond_signal(&s->cv);
                pthread_mutex_unlock(&s->mu);
            }
            n = 0;
        }
    }
    free(line);
    pthread_mutex_lock(&s->mu);
    s->ended = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

rcc_status rcc_source_lines(rcc_source **out, int fd)
{
    *out = NULL;
    rcc_source *s = calloc(1, sizeof *s);
    if (!s)
        return rcc_fail(RCC_ERR_NOMEM, "source");
    s->ifd = -1;
    s->fd = fd;
    if (pipe(s->wake) != 0) {
        free(s);
        return rcc_fail(RCC_ERR_IO, "pipe: %s", strerror(errno));
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->mu, NULL);
    if (pthread_create(&s->reader, NULL, reader_main, s) != 0) {
        rcc_source_free(s);
        return rcc_fail(RCC_ERR_NOMEM, "cannot start the thread reading paths");
    }
    s->reader_started = true;
    *out = s;
    return RCC_OK;
}

/* ---------------------------------------------------------------- both */

int rcc_source_next(rcc_source *s, char *path, size_t cap, int timeout_ms)
{
    char *p = NULL;
    int r = 0;
    if (s->ifd >= 0) {
        if (!s->q.n)
            drain_events(s, timeout_ms);
        else
            drain_events(s, 0);
        p = queue_pop(&s->q);
    } else {
        pthread_mutex_lock(&s->mu);
        if (!s->q.n && !s->ended && timeout_ms > 0) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            long long ns = until.tv_nsec + (long long)timeout_ms * 1000000;
            until.tv_sec += (time_t)(ns / 1000000000), until.tv_nsec = (long)(ns % 1000000000);
            while (!s->q.n && !s->ended && pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0) {
            }
        }
        p = queue_pop(&s->q);
        r = !p && s->ended ? -1 : 0;
        pthread_mutex_unlock(&s->mu);
    }
    if (p) {
        snprintf(path, cap, "%s", p);
        free(p);
        return 1;
    }
    return r;
}

void rcc_source_free(rcc_source *s)
{
    if (!s)
        return;
    if (s->ifd < 0) { /* lines */
        if (s->reader_started) {
            char c = 1;
            if (write(s->wake[1], &c, 1) != 1) {
                /* a full pipe already wakes it */
            }
            pthread_join(s->reader, NULL);
        }
        close(s->wake[0]);
        close(s->wake[1]);
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
    } else {
        close(s->ifd);
    }
    for (int i = 0; i < s->nw; i++)
        free(s->w[i].dir);
    free(s->w);
    queue_free(&s->q);
    free(s);
}
