/* test_subset.c — the long-tail benchmark's subsets (src/data/subset.c): the class profile by hand,
 * the selection's counts, order and determinism, the copied subset, the IDX files read back, and
 * bad arguments refused. */
#include <math.h>
#include "rcc_data.h"
#include "test_data_common.h"

static void test_sizes(void)
{
    int counts[10], sizes[10], order[10];
    for (int c = 0; c < 10; c++)
        counts[c] = 100 + c; /* the smallest is 100: n_max by default */
    CHECK_OK(rcc_long_tail_sizes(counts, 10, 10.0, 0, 7, order, sizes));
    int seen[10] = {0}, total = 0;
    for (int r = 0; r < 10; r++) {
        seen[order[r]]++;
        int want = (int)floor(100 * pow(10.0, -r / 9.0) + 1e-9);
        CHECK(sizes[order[r]] == want, "rank %d: %d, want %d", r, sizes[order[r]], want);
        total += sizes[order[r]];
    }
    for (int c = 0; c < 10; c++)
        CHECK(seen[c] == 1, "class %d appears %d times in the order", c, seen[c]);
    CHECK(sizes[order[0]] == 100 && sizes[order[9]] == 10 && total == 403, "100 ... 10, %d in all", total);
    int order2[10], sizes2[10];
    CHECK_OK(rcc_long_tail_sizes(counts, 10, 10.0, 0, 8, order2, sizes2));
    CHECK(memcmp(order, order2, sizeof order) != 0, "another seed, another class order");
    CHECK_OK(rcc_long_tail_sizes(counts, 10, 1.0, 50, 7, NULL, sizes));
    for (int c = 0; c < 10; c++)
        CHECK(sizes[c] == 50, "ratio 1: balanced (class %d: %d)", c, sizes[c]);
    CHECK(rcc_long_tail_sizes(counts, 10, 10.0, 200, 7, NULL, sizes) == RCC_ERR_ARG,
          "n_max above what the classes at the top ranks can give is refused");
    CHECK(rcc_long_tail_sizes(counts, 10, 0.5, 0, 7, NULL, sizes) == RCC_ERR_ARG, "ratio < 1 refused");
    CHECK(rcc_long_tail_sizes(counts, 1, 10.0, 0, 7, NULL, sizes) == RCC_ERR_ARG, "one class refused");
    counts[3] = 0;
    CHECK(rcc_long_tail_sizes(counts, 10, 10.0, 0, 7, NULL, sizes) == RCC_ERR_ARG, "an empty class refused");
}

static void test_select_and_subset(void)
{
    enum { N = 600, C = 4 };
    int labels[N];
    for (int i = 0; i < N; i++)
        labels[i] = (i * 7 + i / 13) % C;
    int counts[C] = {0}, sizes[C];
    for (int i = 0; i < N; i++)
        counts[labels[i]]++;
    int *idx, n, *idx2, n2;
    CHECK_OK(rcc_long_tail_select(labels, N, C, 100.0, 0, 3, &idx, &n));
    CHECK_OK(rcc_long_tail_sizes(counts, C, 100.0, 0, 3, NULL, sizes));
    int got[C] = {0};
    bool sorted = true;
    for (int j = 0; j < n; j++) {
        got[labels[idx[j]]]++;
        sorted &= j == 0 || idx[j] > idx[j - 1];
    }
    for (int c = 0; c < C; c++)
        CHECK(got[c] == sizes[c], "class %d: %d kept, profile says %d", c, got[c], sizes[c]);
    CHECK(sorted, "the kept images in the data set's order, each once");
    CHECK_OK(rcc_long_tail_select(labels, N, C, 100.0, 0, 3, &idx2, &n2));
    CHECK(n2 == n && memcmp(idx, idx2, (size_t)n * sizeof *idx) == 0, "same seed, same subset");
    free(idx2);
    CHECK_OK(rcc_long_tail_select(labels, N, C, 100.0, 0, 4, &idx2, &n2));
    CHECK(n2 != n || memcmp(idx, idx2, (size_t)n * sizeof *idx) != 0, "another seed, another subset");
    free(idx2);
    int bad[3] = {0, 5, 1};
    CHECK(rcc_long_tail_select(bad, 3, 2, 2.0, 0, 1, &idx2, &n2) == RCC_ERR_ARG && !idx2, "label out of range");

    /* a data set of N 2×3 gray byte images whose pixels name the image */
    rcc_dataset d = {.n = N, .c = 1, .h = 2, .w = 3, .num_classes = C};
    d.u8 = malloc((size_t)N * 6);
    d.labels = malloc(sizeof labels);
    memcpy(d.labels, labels, sizeof labels);
    for (int i = 0; i < N * 6; i++)
        d.u8[i] = (unsigned char)((i / 6) * 31 + i % 6);
    rcc_dataset s;
    CHECK_OK(rcc_dataset_subset(&d, idx, n, &s));
    bool same = s.n == n && s.u8 && !s.pix && s.labels && s.num_classes == C;
    for (int j = 0; same && j < n; j++)
        same = memcmp(s.u8 + (size_t)j * 6, d.u8 + (size_t)idx[j] * 6, 6) == 0 && s.labels[j] == labels[idx[j]];
    CHECK(same, "the subset holds the chosen images and labels");
    int out_of_range = N;
    rcc_dataset t;
    CHECK(rcc_dataset_subset(&d, &out_of_range, 1, &t) == RCC_ERR_ARG, "an index past the end refused");

    const char *img = tmp_path("lt-images-idx3-ubyte.gz"), *lab = tmp_path("lt-labels-idx1-ubyte.gz");
    CHECK_OK(rcc_dataset_write_idx(&s, img, lab));
    rcc_dataset back;
    CHECK_OK(rcc_dataset_load(&back, &img, 1, NULL)); /* the labels file is found beside it */
    CHECK(back.n == n && back.h == 2 && back.w == 3 && back.u8 && back.labels &&
              memcmp(back.u8, s.u8, (size_t)n * 6) == 0 && memcmp(back.labels, s.labels, (size_t)n * sizeof(int)) == 0,
          "IDX files read back as written");
    rcc_dataset_free(&back);
    CHECK_OK(rcc_dataset_to_float(&s));
    CHECK(rcc_dataset_write_idx(&s, img, NULL) == RCC_ERR_ARG, "floats are not written as IDX bytes");
    free(idx);
    rcc_dataset_free(&s);
    rcc_dataset_free(&d);
}

int main(void)
{
    tmp_init();
    test_sizes();
    test_select_and_subset();
    tmp_cleanup();
    return test_finish("test_subset");
}
