/* stream.h — the pieces of a streaming run (rcc_run_stream, rcc_run.h): the bounded image pool
 * and the sources of new image paths (a followed folder, lines on a file descriptor). */
#ifndef RCC_RUN_STREAM_H
#define RCC_RUN_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rcc.h"
#include "../rng.h"

/* ---------------------------------------------------------------- the pool */

/* The images training draws from: a reservoir sample over every image offered (each of the m seen
 * so far is held with probability reservoir/m: Vitter's algorithm R) plus a ring of the newest
 * `recent`. Images are C×S×S floats (their evaluation views at the network's size). */
typedef struct {
    int c, s;
    size_t px;           /* floats per image */
    int cap_res, cap_recent;
    float *res, *recent; /* cap_res, cap_recent images */
    int n_res, n_recent, recent_next;
    long offered;        /* images offered to the reservoir so far */
    rcc_rng rng;
} rcc_image_pool;

rcc_status rcc_ipool_init(rcc_image_pool *p, int c, int s, int reservoir, int recent, uint64_t seed);
void rcc_ipool_free(rcc_image_pool *p);
/* Offers a new image: into the ring always, into the reservoir with algorithm R. Returns the
 * reservoir slot it took, or -1. */
int rcc_ipool_add(rcc_image_pool *p, const float *img);
/* An image seen before a resume: fills a free reservoir slot (or none) without counting as new. */
void rcc_ipool_refill(rcc_image_pool *p, const float *img);
/* Images held (reservoir + ring) and image i of them (reservoir first). */
int rcc_ipool_size(const rcc_image_pool *p);
const float *rcc_ipool_image(const rcc_image_pool *p, int i);

/* ---------------------------------------------------------------- sources */

typedef struct rcc_source rcc_source;

/* New files in dir and below it: a scan at start (sorted by name, folders included) and then
 * inotify (files closed after writing or moved in; new folders are watched and scanned). */
rcc_status rcc_source_follow(rcc_source **s, const char *dir);
/* Paths, one per line, read from fd on a thread of their own (fd is not closed). */
rcc_status rcc_source_lines(rcc_source **s, int fd);
/* The next path into path[cap]: 1; none within timeout_ms: 0; the source ended (EOF on the
 * lines) and is empty: -1. */
int rcc_source_next(rcc_source *s, char *path, size_t cap, int timeout_ms);
void rcc_source_free(rcc_source *s);

#endif
