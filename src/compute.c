/* compute.c — the guard around every computation of the library (compute.h), the library's default
 * thread count, and how many CPUs the process may use. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "compute.h"

#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pmmintrin.h>
#include <xmmintrin.h>

#define CSR_FLUSH 0x8040u /* MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6) */
/* What rcc computes with, whatever the host had: every exception masked (0x1f80: a NaN is a value
 * the library checks for, not a trap), rounding to nearest, no flags raised, and CSR_FLUSH. */
#define CSR_RCC (0x1f80u | CSR_FLUSH)

static atomic_int g_default;   /* rcc_set_threads' count; 0: g_available */
static atomic_int g_available; /* rcc_threads_available() on first use; 0: not yet */

/* The calling thread's guards: how deep, the innermost's count, and the OpenMP workers the guards
 * set (thread numbers 1 .. workers - 1 of this thread's teams) with each one's MXCSR before.
 * libgomp keeps a thread's workers in order from one region to the next, so thread number i of a
 * later region is the same worker; a smaller team ends the workers past it, and a larger one later
 * starts new ones, which begin with their creator's MXCSR (so a host's workers past our count
 * come back as new threads with the host's mode, not with anything of ours). */
static _Thread_local int tl_depth, tl_threads, tl_workers;
static _Thread_local unsigned int *tl_worker_csr; /* by thread number */
static _Thread_local bool tl_lost;                /* out of memory for the records: all get tl_base back */
static _Thread_local unsigned int tl_base;        /* the caller's MXCSR at the outermost enter */

void rcc_flush_denormals(void) { _mm_setcsr(_mm_getcsr() | CSR_FLUSH); }

/* ---------------------------------------------------------------- CPUs and the default */

/* CPUs in the process's affinity mask (taskset, a container's cpuset). */
static int affinity_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN); /* more CPUs than a cpu_set_t holds */
    return n > 0 ? (int)(n < RCC_THREADS_MAX ? n : RCC_THREADS_MAX) : 1;
}

/* A cgroup v2 folder's CPU quota, ceil(quota / period) of its cpu.max ("max 100000": none, 0). */
static int cgroup_quota(const char *dir)
{
    char path[RCC_PATH_MAX + 32], quota[32];
    int len = snprintf(path, sizeof path, "%s/cpu.max", dir);
    if (len < 0 || (size_t)len >= sizeof path)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long long period = 0;
    int got = fscanf(f, "%31s %lld", quota, &period);
    fclose(f);
    if (got != 2 || strcmp(quota, "max") == 0 || period <= 0)
        return 0;
    long long q = strtoll(quota, NULL, 10);
    if (q <= 0)
        return 0;
    long long n = (q + period - 1) / period;
    return n < RCC_THREADS_MAX ? (int)n : RCC_THREADS_MAX;
}

/* The smallest quota from the process's cgroup (/proc/self/cgroup's "0::/path") up to the root of
 * /sys/fs/cgroup (a container's own, under a cgroup namespace); 0 when none is set. */
static int cgroup_cpus(void)
{
    char rel[RCC_PATH_MAX] = "", line[RCC_PATH_MAX + 8];
    FILE *f = fopen("/proc/self/cgroup", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "0::", 3) == 0) {
            size_t len = strcspn(line + 3, "\n");
            if (len < sizeof rel) {
                memcpy(rel, line + 3, len);
                rel[len] = 0;
            }
            break;
        }
    if (f)
        fclose(f);
    int best = 0;
    for (;;) {
        char dir[RCC_PATH_MAX + 16];
        int len = snprintf(dir, sizeof dir, "/sys/fs/cgroup%s", rel);
        int q = len > 0 && (size_t)len < sizeof dir ? cgroup_quota(dir) : 0;
        if (q > 0 && (best == 0 || q < best))
            best = q;
        char *slash = strrchr(rel, '/');
        if (!slash)
            break;
        *slash = 0; /* the parent; "" is the root */
    }
    return best;
}

int rcc_threads_available(void)
{
    int n = affinity_cpus(), q = cgroup_cpus();
    if (q > 0 && q < n)
        n = q;
    return n < 1 ? 1 : n > RCC_THREADS_MAX ? RCC_THREADS_MAX : n;
}

void rcc_set_threads(int threads)
{
    atomic_store(&g_default, threads > 0 ? (threads < RCC_THREADS_MAX ? threads : RCC_THREADS_MAX) : 0);
}

/* rcc_threads_available(), found once (two threads may both look: they find the same). */
static int available(void)
{
    int n = atomic_load(&g_available);
    if (n == 0) {
        n = rcc_threads_available();
        atomic_store(&g_available, n);
    }
    return n;
}

int rcc_get_threads(void)
{
    int n = atomic_load(&g_default);
    return n > 0 ? n : available();
}

int rcc_compute_cap(int threads)
{
    static atomic_int oversubscribe = -1; /* RCC_OVERSUBSCRIBE=1 lets a count past the CPUs stand */
    int o = atomic_load(&oversubscribe);
    if (o < 0) { /* two threads may both look: they find the same */
        const char *e = getenv("RCC_OVERSUBSCRIBE");
        o = e && strcmp(e, "1") == 0;
        atomic_store(&oversubscribe, o);
    }
    int cpus = available();
    return threads > cpus && !o ? cpus : threads;
}

/* ---------------------------------------------------------------- the guard */

/* Flushes the workers of a team of n that no guard of this thread flushed yet, keeping what each
 * had. The calling thread holds the outermost caller's MXCSR meanwhile: a worker libgomp creates
 * now inherits its creator's, and must get back the host's, not ours. */
static void flush_workers(int n)
{
    unsigned int *csr = tl_lost ? NULL : realloc(tl_worker_csr, (size_t)n * sizeof *csr);
    if (csr) {
        tl_worker_csr = csr;
    } else { /* the records so far are no longer enough: every worker gets tl_base back */
        free(tl_worker_csr);
        tl_worker_csr = NULL;
        tl_lost = true;
    }
    int from = tl_workers > 1 ? tl_workers : 1, team = 1;
    unsigned int mine = _mm_getcsr();
    _mm_setcsr(tl_base);
#pragma omp parallel num_threads(n)
    {
        int i = omp_get_thread_num();
        if (i == 0) {
            team = omp_get_num_threads();
        } else if (i >= from) {
            if (csr)
                csr[i] = _mm_getcsr();
            _mm_setcsr(CSR_RCC);
        }
    }
    _mm_setcsr(mine);
    tl_workers = team > tl_workers ? team : tl_workers;
}

static void restore_workers(void)
{
    const unsigned int *csr = tl_lost ? NULL : tl_worker_csr;
    unsigned int base = tl_base;
#pragma omp parallel num_threads(tl_workers)
    {
        int i = omp_get_thread_num();
        if (i > 0)
            _mm_setcsr(csr ? csr[i] : base);
    }
    free(tl_worker_csr);
    tl_worker_csr = NULL;
    tl_workers = 0;
    tl_lost = false;
}

void rcc_compute_enter(int threads, rcc_compute_saved *saved)
{
    int n = threads > 0 ? threads : rcc_compute_threads();
    n = rcc_compute_cap(n < RCC_THREADS_MAX ? n : RCC_THREADS_MAX);
    saved->depth = tl_depth;
    saved->threads = tl_threads;
    saved->omp_threads = omp_get_max_threads();
    saved->csr = _mm_getcsr();
    if (tl_depth == 0)
        tl_base = saved->csr;
    if (n > 1 && n > tl_workers && !omp_in_parallel())
        flush_workers(n);
    _mm_setcsr(CSR_RCC);
    if (saved->omp_threads != n)
        omp_set_num_threads(n);
    tl_depth++;
    tl_threads = n;
}

void rcc_compute_leave(const rcc_compute_saved *saved)
{
    if (saved->depth == 0 && tl_workers > 1)
        restore_workers();
    if (omp_get_max_threads() != saved->omp_threads)
        omp_set_num_threads(saved->omp_threads);
    _mm_setcsr(saved->csr);
    tl_depth = saved->depth;
    tl_threads = saved->threads;
}

int rcc_compute_set_threads(int threads)
{
    int n = rcc_compute_cap(threads < 1 ? 1 : threads < RCC_THREADS_MAX ? threads : RCC_THREADS_MAX);
    if (tl_depth == 0)
        return n;
    if (n > 1 && n > tl_workers && !omp_in_parallel())
        flush_workers(n);
    if (omp_get_max_threads() != n)
        omp_set_num_threads(n);
    tl_threads = n;
    return n;
}

int rcc_compute_threads(void) { return tl_depth > 0 ? tl_threads : rcc_get_threads(); }
