/* share.h — the CPUs of one host shared among the rcc processes computing on it.
 *
 * OpenMP teams collapse when two of them oversubscribe the same cores: each barrier waits for a
 * thread the kernel has parked behind the other process's (two trainings of 2 threads each on 2
 * cores ran at 0.35× of one alone, together; docs/performance.md). So the processes that compute
 * tell each other: each training or server holds a record in a folder of the host
 * ($RCC_SHARE_DIR, else /dev/shm/rcc-share-UID; used only when it is this user's and nobody
 * else may write in it), locked while its process lives (a crashed process's record is unlocked,
 * and is ignored and removed), saying until when it is busy and on which CPUs. One about to
 * compute counts the busy records whose CPUs overlap its own and takes its share: cpus / busy
 * records, the remainder to the records whose names sort first. A training is busy while it runs;
 * a stream while it steps and 2 s after; a server while it computes a batch and 5 s after.
 *
 * Known limits: a process stopped (Ctrl-Z) stays busy; a child forked by a busy process keeps
 * its parent's record alive (the lock is shared) until it exits; records of a process whose
 * pid namespace differs are still told apart (names carry a token).
 *
 * Sharing is an optimisation, never a failure: when the folder cannot be used or RCC_SHARE=0,
 * rcc_share_join returns NULL and the functions below take NULL as "alone". */
#ifndef RCC_SHARE_H
#define RCC_SHARE_H

typedef struct rcc_share rcc_share;

/* Joins (idle until rcc_share_busy), or NULL: sharing off (RCC_SHARE=0) or unavailable. */
rcc_share *rcc_share_join(void);
/* Busy from now until `seconds` from now (INFINITY: until told otherwise; 0: idle). Thread-safe. */
void rcc_share_busy(rcc_share *s, double seconds);
/* This process's share of `cpus` (>= 1): cpus when alone or s is NULL. Counts the caller as busy. */
int rcc_share_threads(rcc_share *s, int cpus);
/* Busy records (this one included) whose CPUs overlap this one's; 1 when s is NULL. */
int rcc_share_neighbours(rcc_share *s);
/* Removes the record and frees s (NULL: nothing). */
void rcc_share_leave(rcc_share *s);

#endif
