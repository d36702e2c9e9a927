/* sort.c — rcc_sort_into (`rcc predict --sort-into`): every image of a data set put into the folder
 * of its cluster, as a hard link, a symlink or a copy of its file, or written as a PNG when it has
 * no file (IDX, .npy). Originals are only ever read: every new entry is made with link/symlink or
 * O_CREAT | O_EXCL, so an existing name is never replaced; a clash gets a suffix (name-1.png). */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rcc_report.h"
#include "util.h"

#define MAX_CLASH 10000 /* name-1 .. name-9999, then the image's index */

static int digits(long v)
{
    int d = 1;
    while (v >= 10)
        v /= 10, d++;
    return d;
}

/* base with "-n" before its extension (n > 0), fitting NAME_MAX. */
static void suffixed(char *out, size_t cap, const char *base, int n)
{
    if (n == 0) {
        snprintf(out, cap, "%s", base);
        return;
    }
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        dot = base + strlen(base);
    size_t stem = (size_t)(dot - base), ext = strlen(dot);
    char tail[24];
    snprintf(tail, sizeof tail, "-%d", n);
    size_t room = NAME_MAX - strlen(tail) - (ext < 32 ? ext : 0);
    if (stem > room)
        stem = room;
    snprintf(out, cap, "%.*s%s%s", (int)stem, base, tail, ext < 32 ? dot : "");
}

/* Copies the file at src into a new entry name of dirfd (O_EXCL: EEXIST when taken). */
static int copy_file(const char *src, int dirfd, const char *name)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    char buf[65536];
    ssize_t r;
    int rc = 0;
    while ((r = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, buf + off, (size_t)(r - off));
            if (w < 0) {
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc)
            break;
    }
    if (r < 0)
        rc = -1;
    int e = errno;
    if (close(out) != 0)
        rc = -1, e = errno;
    close(in);
    if (rc) {
        unlinkat(dirfd, name, 0);
        errno = e == EEXIST ? EIO : e; /* EEXIST means "taken" to the caller: not for a failed copy */
    }
    return rc;
}

static int write_bytes(int dirfd, const char *name, const unsigned char *b, size_t len)
{
    int out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (out < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(out, b + off, len - off);
        if (w < 0) {
            int e = errno;
            close(out);
            unlinkat(dirfd, name, 0);
            errno = e == EEXIST ? EIO : e;
            return -1;
        }
        off += (size_t)w;
    }
    if (close(out) != 0) {
        int e = errno;
        unlinkat(dirfd, name, 0);
        errno = e == EEXIST ? EIO : e;
        return -1;
    }
    return 0;
}

typedef struct {
    rcc_sort_mode mode;
    rcc_sort_summary *sum;
    void (*on_note)(const char *note, void *user);
    void *user;
} sorter;

/* One image with a file: a link, symlink or copy under base (suffixed on a clash). */
static rcc_status place_file(sorter *so, int dirfd, const char *dirname, const char *path, const char *base)
{
    char name[NAME_MAX + 1], *abs = NULL;
    if (so->mode == RCC_SORT_SYMLINK && !(abs = realpath(path, NULL)))
        return rcc_fail(RCC_ERR_IO, "%s: %s", path, strerror(errno));
    rcc_status st = RCC_OK;
    for (int n = 0;; n++) {
        if (n == MAX_CLASH) {
            st = rcc_fail(RCC_ERR_IO, "%s/%s: too many files of this name", dirname, base);
            break;
        }
        suffixed(name, sizeof name, base, n);
        int rc;
        bool copying = so->mode == RCC_SORT_COPY || (so->mode == RCC_SORT_LINK && so->sum->fell_back);
        if (so->mode == RCC_SORT_SYMLINK)
            rc = symlinkat(abs, dirfd, name);
        else if (copying)
            rc = copy_file(path, dirfd, name);
        else {
            rc = linkat(AT_FDCWD, path, dirfd, name, 0);
            if (rc != 0 && (errno == EXDEV || errno == EPERM || errno == EMLINK)) {
                /* another file system (or links not allowed here): copies from now on */
                int why = errno;
                so->sum->fell_back = true;
                if (so->on_note) {
                    char note[RCC_PATH_MAX + 200];
                    snprintf(note, sizeof note, "cannot hard-link into %s (%s): copying the files instead", dirname,
                             strerror(why));
                    so->on_note(note, so->user);
                }
                rc = copy_file(path, dirfd, name);
                copying = true;
            }
        }
        if (rc == 0) {
            if (so->mode == RCC_SORT_SYMLINK)
                so->sum->symlinked++;
            else if (copying)
                so->sum->copied++;
            else
                so->sum->linked++;
            so->sum->renamed += n > 0;
            break;
        }
        if (errno != EEXIST) {
            st = rcc_fail(RCC_ERR_IO, "%s -> %s/%s: %s", path, dirname, name, strerror(errno));
            break;
        }
    }
    free(abs);
    return st;
}

/* One image without a file: its pixels as NNNN.png. */
static rcc_status place_png(sorter *so, int dirfd, const char *dirname, const rcc_dataset *d, int i, int width)
{
    char base[40], name[NAME_MAX + 1];
    if (snprintf(base, sizeof base, "%0*d.png", width, i) >= (int)sizeof base)
        return rcc_fail(RCC_ERR_ARG, "sort-into: image %d", i);
    unsigned char *png;
    size_t len;
    RCC_TRY(rcc_dataset_image_png(d, i, 0, &png, &len));
    rcc_status st = RCC_OK;
    for (int n = 0;; n++) {
        if (n == MAX_CLASH) {
            st = rcc_fail(RCC_ERR_IO, "%s/%s: too many files of this name", dirname, base);
            break;
        }
        suffixed(name, sizeof name, base, n);
        if (write_bytes(dirfd, name, png, len) == 0) {
            so->sum->written++;
            so->sum->renamed += n > 0;
            break;
        }
        if (errno != EEXIST) {
            st = rcc_fail(RCC_ERR_IO, "%s/%s: %s", dirname, name, strerror(errno));
            break;
        }
    }
    free(png);
    return st;
}

rcc_status rcc_sort_into(const char *dir, const rcc_dataset *d, const int *cluster, int k, rcc_sort_mode mode,
                         rcc_sort_summary *sum, void (*on_note)(const char *note, void *user), void *user)
{
    memset(sum, 0, sizeof *sum);
    if (!dir || !*dir || !d || !cluster || k < 1 || k > 1000000)
        return rcc_fail(RCC_ERR_ARG, "sort-into: a folder, a data set, its clusters and K >= 1 are needed");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return rcc_fail(RCC_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    int top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0)
        return rcc_fail(RCC_ERR_IO, "%s: not a folder that can be opened: %s", dir, strerror(errno));
    int cw = digits(k - 1) < 2 ? 2 : digits(k - 1), iw = digits(d->n > 0 ? d->n - 1 : 0);
    int *fds = malloc((size_t)k * sizeof *fds);
    if (!fds) {
        close(top);
        return rcc_fail(RCC_ERR_NOMEM, "sort-into: %d folders", k);
    }
    rcc_status st = RCC_OK;
    int opened = 0;
    for (; opened < k && st == RCC_OK; opened++) {
        char sub[48];
        if (snprintf(sub, sizeof sub, "cluster-%0*d", cw, opened) >= (int)sizeof sub)
            st = rcc_fail(RCC_ERR_ARG, "sort-into: cluster %d", opened);
        else if (mkdirat(top, sub, 0777) != 0 && errno != EEXIST)
            st = rcc_fail(RCC_ERR_IO, "%s/%s: cannot create: %s", dir, sub, strerror(errno));
        /* O_NOFOLLOW: a cluster folder planted as a symlink to elsewhere is refused */
        fds[opened] = st == RCC_OK ? openat(top, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        if (st == RCC_OK && fds[opened] < 0)
            st = rcc_fail(RCC_ERR_IO, "%s/%s: not a real folder: %s", dir, sub, strerror(errno));
        if (st != RCC_OK)
            break;
    }
    sorter so = {mode, sum, on_note, user};
    for (int i = 0; i < d->n && st == RCC_OK; i++) {
        int cl = cluster[i];
        if (cl < 0 || cl >= k) {
            st = rcc_fail(RCC_ERR_ARG, "sort-into: image %d has cluster %d, outside 0..%d", i, cl, k - 1);
            break;
        }
        char dirname[RCC_PATH_MAX];
        if (snprintf(dirname, sizeof dirname, "%s/cluster-%0*d", dir, cw, cl) >= (int)sizeof dirname) {
            st = rcc_fail(RCC_ERR_ARG, "%s: the folder's path is too long", dir);
            break;
        }
        const char *name = d->names ? d->names[i] : NULL;
        struct stat sb;
        const char *base = name ? strrchr(name, '/') : NULL;
        base = base ? base + 1 : name;
        /* a name that is a file of its own (folders, single images); IDX/.npy images are "path[k]" */
        if (name && base && *base && strcmp(base, ".") != 0 && strcmp(base, "..") != 0 && stat(name, &sb) == 0 &&
            S_ISREG(sb.st_mode))
            st = place_file(&so, fds[cl], dirname, name, base);
        else
            st = place_png(&so, fds[cl], dirname, d, i, iw);
    }
    for (int c = 0; c < opened && c < k; c++)
        if (fds[c] >= 0)
            close(fds[c]);
    free(fds);
    close(top);
    return st;
}
