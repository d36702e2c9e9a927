/* stream_pool.c — the bounded image pool of a streaming run (stream.h). */
#include <stdlib.h>
#include <string.h>
#include "stream.h"

rcc_status rcc_ipool_init(rcc_image_pool *p, int c, int s, int reservoir, int recent, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    if (c < 1 || s < 1 || reservoir < 0 || recent < 0 || reservoir + recent < 1)
        return rcc_fail(RCC_ERR_ARG, "pool: %d reservoir and %d recent images", reservoir, recent);
    p->c = c, p->s = s;
    p->px = (size_t)c * s * s;
    p->cap_res = reservoir, p->cap_recent = recent;
    p->res = reservoir ? malloc((size_t)reservoir * p->px * sizeof(float)) : NULL;
    p->recent = recent ? malloc((size_t)recent * p->px * sizeof(float)) : NULL;
    if ((reservoir && !p->res) || (recent && !p->recent)) {
        rcc_ipool_free(p);
        return rcc_fail(RCC_ERR_NOMEM, "pool of %d + %d images of %dx%dx%d (%.0f MB)", reservoir, recent, c, s, s,
                        (double)(reservoir + recent) * (double)p->px * 4 / 1e6);
    }
    rcc_rng_init(&p->rng, seed, 0x504F4F4CULL); /* "POOL" */
    return RCC_OK;
}

void rcc_ipool_free(rcc_image_pool *p)
{
    free(p->res);
    free(p->recent);
    p->res = p->recent = NULL;
}

int rcc_ipool_add(rcc_image_pool *p, const float *img)
{
    if (p->cap_recent) {
        memcpy(p->recent + (size_t)p->recent_next * p->px, img, p->px * sizeof(float));
        p->recent_next = (p->recent_next + 1) % p->cap_recent;
        if (p->n_recent < p->cap_recent)
            p->n_recent++;
    }
    p->offered++;
    int slot = -1;
    if (p->n_res < p->cap_res) { /* the first cap_res images: all kept */
        slot = p->n_res++;
    } else if (p->cap_res) { /* image m (1-based) replaces a uniform slot with probability cap_res/m */
        uint64_t j = rcc_rng_next(&p->rng) % (uint64_t)p->offered;
        if (j < (uint64_t)p->cap_res)
            slot = (int)j;
    }
    if (slot >= 0)
        memcpy(p->res + (size_t)slot * p->px, img, p->px * sizeof(float));
    return slot;
}

void rcc_ipool_refill(rcc_image_pool *p, const float *img)
{
    if (p->n_res < p->cap_res && p->n_res < p->offered)
        memcpy(p->res + (size_t)p->n_res++ * p->px, img, p->px * sizeof(float));
}

int rcc_ipool_size(const rcc_image_pool *p) { return p->n_res + p->n_recent; }

const float *rcc_ipool_image(const rcc_image_pool *p, int i)
{
    return i < p->n_res ? p->res + (size_t)i * p->px : p->recent + (size_t)(i - p->n_res) * p->px;
}
