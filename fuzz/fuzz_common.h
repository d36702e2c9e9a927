/* fuzz_common.h — helpers shared by the libFuzzer harnesses: the entry points libFuzzer calls,
 * and a scratch file for readers that only take a path (zlib's gzopen, folder listing). The file
 * lives in /dev/shm (memory) when it exists, is named after the process, so parallel fuzzing jobs
 * do not collide, and is rewritten for every input. */
#ifndef RCC_FUZZ_COMMON_H
#define RCC_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* "<scratch folder>/rcc-fuzz-<tag>-<pid><suffix>" into buf. */
static inline const char *fuzz_path(char *buf, size_t n, const char *tag, const char *suffix)
{
    struct stat sb;
    const char *dir = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp";
    snprintf(buf, n, "%s/rcc-fuzz-%s-%ld%s", dir, tag, (long)getpid(), suffix);
    return buf;
}

/* Writes size bytes to path (created or truncated); aborts on failure, which is the harness's
 * problem, not a finding in rcc. */
static inline void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    while (size) {
        ssize_t w = write(fd, data, size);
        if (w <= 0) {
            perror(path);
            abort();
        }
        data += w;
        size -= (size_t)w;
    }
    close(fd);
}

#endif
