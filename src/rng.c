/* rng.c — xoshiro256** seeded through splitmix64, Box–Muller normals, FNV-1a. */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void rcc_rng_init(rcc_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ULL);
    uint64_t mix = splitmix64(&x) ^ stream;
    x ^= mix;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rcc_rng_next(rcc_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rcc_rng_uniform(rcc_rng *r) { return (double)(rcc_rng_next(r) >> 11) * 0x1.0p-53; }

double rcc_rng_normal(rcc_rng *r)
{
    double u1 = rcc_rng_uniform(r), u2 = rcc_rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void rcc_rng_sample_prefix(size_t *idx, size_t n, size_t m, uint64_t seed, uint64_t stream)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    if (m >= n)
        return;
    rcc_rng r;
    rcc_rng_init(&r, seed, stream);
    for (size_t i = 0; i < m; i++) {
        size_t j = i + (size_t)(rcc_rng_uniform(&r) * (double)(n - i));
        j = j < n ? j : n - 1;
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

uint32_t rcc_fnv1a32(const char *s)
{
    uint32_t h = 2166136261U;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619U;
    }
    return h;
}
