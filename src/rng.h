/* rng.h — explicit, seeded random numbers: a counter-free generator with one stream per
 * (seed, stream id), plus the stateless integer hash used to make test weights. */
#ifndef RCC_RNG_H
#define RCC_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4]; /* xoshiro256** state */
} rcc_rng;

/* Seeds a generator for (seed, stream): different streams are independent. */
void rcc_rng_init(rcc_rng *r, uint64_t seed, uint64_t stream);
uint64_t rcc_rng_next(rcc_rng *r);
double rcc_rng_uniform(rcc_rng *r); /* in [0, 1) */
double rcc_rng_normal(rcc_rng *r);  /* standard normal */
/* idx[0..n) = 0..n−1, then, when m < n, a partial Fisher–Yates shuffle from (seed, stream) puts
 * m distinct indices, drawn without replacement, in idx[0..m). */
void rcc_rng_sample_prefix(size_t *idx, size_t n, size_t m, uint64_t seed, uint64_t stream);

/* lowbias32 integer hash (also implemented in tests/reference/rcc_torch.py). */
static inline uint32_t rcc_hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* FNV-1a, 32 bits, of a NUL-terminated string. */
uint32_t rcc_fnv1a32(const char *s);

/* Stateless uniform in (0, 1) for element i of a tensor whose seed is `seed`. */
static inline double rcc_hash_uniform(uint32_t seed, uint32_t i)
{
    return ((double)rcc_hash32(seed * 0x9E3779B9U + i) + 0.5) / 4294967296.0;
}

#endif
