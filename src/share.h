/* share.h — the CPUs of one host shared among the rcc processes computing on it.
 *
 * OpenMP teams collapse when two of them oversubscribe the same cores: each barrier waits for a
 * thread the kernel has parked behind the other process's (two trainings of 2 threads each on 2
 * cores ran at 0.25–0.56× of one alone, together; docs/performance.md). So the processes that
 * compute by default tell each other: each one holds a record in a folder of the host
 * ($RCC_SHARE_DIR, else /dev/shm/rcc-share-UID), locked while it lives (a crashed process's
 * record is unlocked, and is ignored and removed), saying until when it is busy and on which
 * CPUs. A process about to compute counts the busy ones whose CPUs overlap its own and takes its
 * share: cpus / busy threads, the remainder to the lowest process ids. A training is busy while it
 * runs; a server for a few seconds after each request.
 *
 * Sharing is an optimisation, never a failure: when the folder cannot be made or RCC_SHARE=0,
 * rcc_share_join returns NULL and the functions below take NULL as "alone". */
#ifndef RCC_SHARE_H
#define RCC_SHARE_H

typedef struct rcc_share rcc_share;

/* Joins (idle until rcc_share_busy), or NULL: sharing off (RCC_SHARE=0) or unavailable. */
rcc_share *rcc_share_join(void);
/* Busy for the next `seconds` (INFINITY: until rcc_share_idle or leaving). Thread-safe. */
void rcc_share_busy(rcc_share *s, double seconds);
void rcc_share_idle(rcc_share *s);
/* This process's share of `cpus` (>= 1): cpus when alone or s is NULL. Counts the caller as busy. */
int rcc_share_threads(rcc_share *s, int cpus);
/* Busy processes (this one included) whose CPUs overlap this one's; 1 when s is NULL. */
int rcc_share_neighbours(rcc_share *s);
/* Removes the record and frees s (NULL: nothing). */
void rcc_share_leave(rcc_share *s);

#endif
