/* test_stream.c — the pool of a streaming run (src/run/stream_pool.c) against its definition:
 * the reservoir holds each of the m images seen with probability R/m (algorithm R), tested
 * statistically over many seeds; the ring holds exactly the newest; a refill after a resume only
 * fills free slots. And the source of paths on a descriptor: every line, in order, then its end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "run/stream.h"
#include "testutil.h"

int main(void)
{
    enum { M = 200, R = 20, W = 8, TRIALS = 4000 };
    static long kept[M];
    rcc_image_pool p;
    for (int t = 0; t < TRIALS; t++) {
        CHECK_OK(rcc_ipool_init(&p, 1, 1, R, W, (uint64_t)t + 1));
        for (int i = 0; i < M; i++) {
            float v = (float)i;
            rcc_ipool_add(&p, &v);
        }
        if (t == 0) {
            CHECK(p.n_res == R && p.n_recent == W && rcc_ipool_size(&p) == R + W, "sizes %d + %d", p.n_res, p.n_recent);
            bool newest = true;
            for (int i = 0; i < W; i++) {
                bool found = false;
                for (int j = 0; j < W; j++)
                    found |= rcc_ipool_image(&p, R + j)[0] == (float)(M - 1 - i);
                newest &= found;
            }
            CHECK(newest, "the ring holds the %d newest images", W);
        }
        bool distinct = true;
        for (int i = 0; i < R; i++) {
            int id = (int)rcc_ipool_image(&p, i)[0];
            for (int j = 0; j < i; j++)
                distinct &= rcc_ipool_image(&p, j)[0] != (float)id;
            kept[id]++;
        }
        if (t < 50)
            CHECK(distinct, "trial %d: the reservoir holds distinct images", t);
        rcc_ipool_free(&p);
    }
    /* each image kept with probability R/M = 0.1: counts Binomial(TRIALS, 0.1), mean 400, sd 19 */
    double pr = (double)R / M, mean = TRIALS * pr, sd = sqrt(TRIALS * pr * (1 - pr)), chi2 = 0, worst = 0;
    for (int i = 0; i < M; i++) {
        double z = (kept[i] - mean) / sd;
        chi2 += z * z;
        worst = fmax(worst, fabs(z));
    }
    CHECK(worst < 4.5, "every image kept with probability R/m: the worst of %d is %.2f sd from %.0f", M, worst, mean);
    CHECK(fabs(chi2 - (M - 1)) < 5 * sqrt(2.0 * (M - 1)), "chi-square over the %d images %.1f (expected %d +- %.0f)",
          M, chi2, M - 1, sqrt(2.0 * (M - 1)));
    double early = 0, late = 0;
    for (int i = 0; i < M / 2; i++)
        early += kept[i], late += kept[M / 2 + i];
    CHECK(fabs(early - late) < 5 * sqrt(M / 2.0) * sd, "first and second half kept alike (%.0f vs %.0f)", early, late);

    /* a refill (resume) only fills free reservoir slots, up to the images offered before */
    CHECK_OK(rcc_ipool_init(&p, 1, 1, 4, 0, 1));
    p.offered = 3;
    float v = 7;
    for (int i = 0; i < 6; i++)
        rcc_ipool_refill(&p, &v);
    CHECK(p.n_res == 3 && p.offered == 3, "refill: %d slots for 3 offered before, count unchanged", p.n_res);
    rcc_ipool_free(&p);
    CHECK(rcc_ipool_init(&p, 1, 1, 0, 0, 1) == RCC_ERR_ARG, "an empty pool is refused");

    /* paths on a descriptor: each line, in order, blank lines and \r dropped, the last without
     * its newline, then the end */
    int fd[2];
    CHECK(pipe(fd) == 0, "pipe");
    rcc_source *src;
    CHECK_OK(rcc_source_lines(&src, fd[0]));
    const char *text = "a.png\n\nb.png\r\nc.png";
    CHECK(write(fd[1], text, strlen(text)) == (ssize_t)strlen(text), "write");
    close(fd[1]);
    char path[64];
    const char *want[] = {"a.png", "b.png", "c.png"};
    for (int i = 0; i < 3; i++) {
        int got = rcc_source_next(src, path, sizeof path, 2000);
        CHECK(got == 1 && strcmp(path, want[i]) == 0, "line %d: %d '%s'", i, got, got == 1 ? path : "");
    }
    CHECK(rcc_source_next(src, path, sizeof path, 2000) == -1, "then the end of the lines");
    rcc_source_free(src);
    close(fd[0]);
    /* freed while the writer is still open: the reader thread ends */
    CHECK(pipe(fd) == 0, "pipe");
    CHECK_OK(rcc_source_lines(&src, fd[0]));
    CHECK(rcc_source_next(src, path, sizeof path, 50) == 0, "nothing yet");
    rcc_source_free(src);
    close(fd[0]);
    close(fd[1]);
    CHECK(rcc_source_follow(&src, "/nonexistent-rcc-folder") != RCC_OK, "following a missing folder: %s",
          rcc_last_error());
    /* a followed folder: its files in name order (below it too, an empty folder among them), then a
     * folder made later, empty when it is scanned, and a file closed in it */
    char dir[] = "/tmp/rcc-test-follow-XXXXXX", sub[96], file[128];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    const char *names[] = {"b.png", "a.png", "empty/", "c/", "c/d.png"};
    for (int i = 0; i < 5; i++) {
        snprintf(file, sizeof file, "%s/%s", dir, names[i]);
        size_t len = strlen(file);
        if (file[len - 1] == '/') {
            file[len - 1] = 0;
            CHECK(mkdir(file, 0755) == 0, "mkdir %s", file);
        } else {
            FILE *f = fopen(file, "w");
            CHECK(f && fclose(f) == 0, "create %s", file);
        }
    }
    CHECK_OK(rcc_source_follow(&src, dir));
    const char *order[] = {"a.png", "b.png", "c/d.png"};
    for (int i = 0; i < 3; i++) {
        snprintf(file, sizeof file, "%s/%s", dir, order[i]);
        CHECK(rcc_source_next(src, path, sizeof path, 0) == 1 && strcmp(path, file) == 0, "scan %d: %s", i, path);
    }
    CHECK(rcc_source_next(src, path, sizeof path, 0) == 0, "nothing more at start");
    snprintf(sub, sizeof sub, "%s/later", dir);
    CHECK(mkdir(sub, 0755) == 0, "mkdir later");
    CHECK(rcc_source_next(src, path, sizeof path, 500) == 0, "an empty new folder gives no path");
    snprintf(file, sizeof file, "%s/e.png", sub);
    FILE *f = fopen(file, "w");
    CHECK(f && fputs("x", f) >= 0 && fclose(f) == 0, "create later/e.png");
    CHECK(rcc_source_next(src, path, sizeof path, 2000) == 1 && strcmp(path, file) == 0,
          "a file closed in the new folder arrives: %s", path);
    rcc_source_free(src);
    const char *made[] = {"later/e.png", "c/d.png", "b.png", "a.png", "later", "c", "empty", ""};
    for (int i = 0; i < 8; i++) {
        snprintf(file, sizeof file, "%s/%s", dir, made[i]);
        remove(file);
    }
    return test_finish("test_stream");
}
