/* sphere.c — how much of the unit sphere a set of features uses: the uniformity loss of Wang &
 * Isola on a seeded sample, and the fraction of cells of an equal-area grid that hold a point.
 * The grid: BANDS bands of equal height in z (equal area, by Archimedes' hat-box theorem), each cut
 * into SECTORS equal sectors of longitude, so every cell has area 4π / (BANDS · SECTORS). */
#include "rcc_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "loss.h"
#include "rng.h"
#include "util.h"
#include "vec.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

int rcc_sphere_cell(const float *p)
{
    double x = p[0], y = p[1], z = p[2], r = sqrt(x * x + y * y + z * z);
    if (!(r > 0))
        return 0;
    z /= r;
    int band = (int)floor((z + 1) * 0.5 * RCC_SPHERE_BANDS);
    int sector = (int)floor((atan2(y, x) + M_PI) / (2 * M_PI) * RCC_SPHERE_SECTORS);
    band = band < 0 ? 0 : band >= RCC_SPHERE_BANDS ? RCC_SPHERE_BANDS - 1 : band;
    sector = sector < 0 ? 0 : sector >= RCC_SPHERE_SECTORS ? RCC_SPHERE_SECTORS - 1 : sector;
    return band * RCC_SPHERE_SECTORS + sector;
}

rcc_status rcc_sphere_stats_compute(const float *h, size_t n, int d, size_t sample, uint64_t seed, float t,
                                    rcc_sphere_stats *s, int *cell_counts)
{
    memset(s, 0, sizeof *s);
    if (n < 2 || d < 1 || !(t > 0))
        return rcc_fail(RCC_ERR_ARG, "sphere statistics: need at least 2 points of dimension >= 1 and t > 0");
    size_t m = sample && sample < n ? sample : n;
    if (m > 50000)
        return rcc_fail(RCC_ERR_ARG, "sphere statistics: a sample of %zu points is too many pairs (<= 50000)", m);
    /* a seeded sample without replacement (partial Fisher–Yates), rows normalised */
    size_t *idx = malloc(n * sizeof *idx);
    float *x = malloc(m * (size_t)d * sizeof *x);
    if (!idx || !x) {
        free(idx), free(x);
        return rcc_fail(RCC_ERR_NOMEM, "sphere statistics");
    }
    rcc_rng_sample_prefix(idx, n, m, seed, 0x5e11);
    rcc_unit_rows(h, idx, m, d, x);
    s->n_used = m;
    s->t = t;
    s->uniformity = rcc_uniformity(x, (int)m, d, t, NULL, 0);
    /* uniform on S^2: ‖x−y‖² = 2 − 2c with c ~ U(−1, 1), so E exp(−t‖x−y‖²) = (1 − e^{−4t}) / (4t) */
    s->uniformity_uniform = d == 3 ? log((1 - exp(-4.0 * t)) / (4.0 * t)) : NAN;
    s->cells = RCC_SPHERE_BANDS * RCC_SPHERE_SECTORS;
    if (d == 3) {
        int *cnt = cell_counts ? cell_counts : calloc((size_t)s->cells, sizeof *cnt);
        if (!cnt) {
            free(idx), free(x);
            return rcc_fail(RCC_ERR_NOMEM, "sphere statistics");
        }
        if (cell_counts)
            memset(cnt, 0, (size_t)s->cells * sizeof *cnt);
        for (size_t i = 0; i < m; i++)
            cnt[rcc_sphere_cell(x + i * 3)]++;
        for (int c = 0; c < s->cells; c++)
            s->occupied += cnt[c] > 0;
        s->occupancy = (double)s->occupied / s->cells;
        s->occupancy_uniform = 1 - pow(1 - 1.0 / s->cells, (double)m);
        if (!cell_counts)
            free(cnt);
    } else {
        s->occupancy = s->occupancy_uniform = NAN;
    }
    free(idx), free(x);
    return RCC_OK;
}
