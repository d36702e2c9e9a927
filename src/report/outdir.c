/* outdir.c — the report's output folder, through which every file of the report is written. The
 * folder is opened once and files are made relative to it (openat, renameat), under names the
 * report makes itself, so nothing lands outside it. A file is written under a temporary name with
 * O_EXCL | O_NOFOLLOW and renamed over the old one: a symlink or hard link planted under a
 * report's name is replaced, never written through. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "report_internal.h"

#define TMP_SUFFIX ".tmp"

rcc_status outdir_open(outdir *od, const char *path)
{
    memset(od, 0, sizeof *od);
    od->dirfd = od->thumbsfd = -1;
    if (!path || !*path)
        return rcc_fail(RCC_ERR_ARG, "report: no output folder given");
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return rcc_fail(RCC_ERR_IO, "%s: cannot create the report's folder: %s", path, strerror(errno));
    od->path = realpath(path, NULL);
    if (!od->path)
        return rcc_fail(RCC_ERR_IO, "%s: %s", path, strerror(errno));
    if (strlen(od->path) > RCC_DIR_MAX) {
        outdir_close(od);
        return rcc_fail(RCC_ERR_ARG, "%s: the report's folder path is too long", path);
    }
    od->dirfd = open(od->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (od->dirfd < 0) {
        rcc_status st = rcc_fail(RCC_ERR_IO, "%s: not a folder that can be opened: %s", path, strerror(errno));
        outdir_close(od);
        return st;
    }
    if (mkdirat(od->dirfd, "thumbs", 0777) != 0 && errno != EEXIST) {
        rcc_status st = rcc_fail(RCC_ERR_IO, "%s/thumbs: cannot create: %s", path, strerror(errno));
        outdir_close(od);
        return st;
    }
    /* O_NOFOLLOW: a thumbs that is a symlink (to somewhere else) is refused, not followed */
    od->thumbsfd = openat(od->dirfd, "thumbs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (od->thumbsfd < 0) {
        rcc_status st = rcc_fail(RCC_ERR_IO, "%s/thumbs: not a real folder (a symlink?): %s", path, strerror(errno));
        outdir_close(od);
        return st;
    }
    return RCC_OK;
}

void outdir_close(outdir *od)
{
    if (od->thumbsfd >= 0)
        close(od->thumbsfd);
    if (od->dirfd >= 0)
        close(od->dirfd);
    free(od->path);
    od->path = NULL;
    od->dirfd = od->thumbsfd = -1;
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n < 64 && !strchr(name, '/') && name[0] != '.';
}

rcc_status outdir_create(outdir *od, bool thumbs, const char *name, FILE **f)
{
    *f = NULL;
    if (!name_ok(name))
        return rcc_fail(RCC_ERR_ARG, "report: bad file name '%s'", name);
    int dfd = thumbs ? od->thumbsfd : od->dirfd;
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%s" TMP_SUFFIX, name);
    unlinkat(dfd, tmp, 0); /* a stale one of an interrupted report */
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return rcc_fail(RCC_ERR_IO, "%s/%s%s: cannot create: %s", od->path, thumbs ? "thumbs/" : "", tmp,
                        strerror(errno));
    *f = fdopen(fd, "w");
    if (!*f) {
        close(fd);
        unlinkat(dfd, tmp, 0);
        return rcc_fail(RCC_ERR_NOMEM, "%s: stream", tmp);
    }
    return RCC_OK;
}

rcc_status outdir_commit(outdir *od, bool thumbs, const char *name, FILE *f)
{
    int dfd = thumbs ? od->thumbsfd : od->dirfd;
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%s" TMP_SUFFIX, name);
    bool bad = ferror(f) != 0;
    long size = ftell(f);
    if (fflush(f) != 0)
        bad = true;
    int err = errno;
    if (fclose(f) != 0) {
        bad = true;
        err = errno;
    }
    if (bad) {
        unlinkat(dfd, tmp, 0);
        return rcc_fail(RCC_ERR_IO, "%s/%s%s: write error: %s", od->path, thumbs ? "thumbs/" : "", name, strerror(err));
    }
    if (renameat(dfd, tmp, dfd, name) != 0) {
        err = errno;
        unlinkat(dfd, tmp, 0);
        return rcc_fail(RCC_ERR_IO, "%s/%s%s: %s", od->path, thumbs ? "thumbs/" : "", name, strerror(err));
    }
    od->files++;
    od->bytes += size > 0 ? (uint64_t)size : 0;
    return RCC_OK;
}

rcc_status outdir_write(outdir *od, bool thumbs, const char *name, const void *bytes, size_t len)
{
    FILE *f;
    rcc_status st = outdir_create(od, thumbs, name, &f);
    if (st != RCC_OK)
        return st;
    fwrite(bytes, 1, len, f);
    return outdir_commit(od, thumbs, name, f);
}

rcc_status outdir_picture(outdir *od, const char *name, rcc_status (*draw)(const char *path, void *user),
                          void *user)
{
    if (!name_ok(name))
        return rcc_fail(RCC_ERR_ARG, "report: bad file name '%s'", name);
    char tmp[96], path[RCC_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s" TMP_SUFFIX, name);
    rcc_status st = rcc_path_join(path, sizeof path, od->path, tmp);
    if (st != RCC_OK)
        return st;
    unlinkat(od->dirfd, tmp, 0); /* so that the drawing creates a new file, not one planted there */
    st = draw(path, user);
    struct stat sb;
    if (st == RCC_OK && (fstatat(od->dirfd, tmp, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode)))
        st = rcc_fail(RCC_ERR_IO, "%s: the picture was not written as a file", path);
    if (st == RCC_OK && renameat(od->dirfd, tmp, od->dirfd, name) != 0)
        st = rcc_fail(RCC_ERR_IO, "%s/%s: %s", od->path, name, strerror(errno));
    if (st != RCC_OK) {
        unlinkat(od->dirfd, tmp, 0);
        return st;
    }
    od->files++;
    od->bytes += (uint64_t)sb.st_size;
    return RCC_OK;
}
