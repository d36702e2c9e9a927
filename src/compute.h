/* compute.h — the thread count and floating-point mode of the library's computations, applied
 * only while rcc computes and then restored, so that a host process (a Python interpreter with
 * NumPy, a program with OpenMP loops of its own) finds its threads and numerics as it left them. */
#ifndef RCC_COMPUTE_H
#define RCC_COMPUTE_H

#include <stdbool.h>
#include "rcc.h"

/* The most threads a context computes with (rcc_config.threads' range). */
#define RCC_THREADS_MAX 1024

/* What rcc_compute_enter found on the calling thread, for rcc_compute_leave to put back. */
typedef struct {
    int omp_threads;  /* its omp_get_max_threads() */
    unsigned int csr; /* its MXCSR (flush-to-zero, denormals-are-zero, rounding, flags) */
    int depth;        /* enters not yet left on this thread, before this one */
    int threads;      /* the enclosing guard's thread count (0: none) */
} rcc_compute_saved;

/* Every library entry point that computes runs between these two, on the calling thread:
 * `threads` (<= 0: the enclosing guard's, or rcc_get_threads() outside any) becomes its OpenMP
 * thread count, and it and the OpenMP workers of its regions compute with the library's MXCSR,
 * whatever the host's: exceptions masked, rounding to nearest, and denormal floats flushed to zero
 * (FTZ and DAZ: denormals appear as training goes on and make every kernel that meets them many
 * times slower; a step went from 0.2 s to 3 s after 12 epochs). rcc_compute_leave restores the
 * workers' MXCSR, then the calling thread's MXCSR and thread count. Guards nest: an inner one (a
 * run evaluating through a network) only sets the count and the workers not set yet; the
 * outermost leave restores everything. Inside a parallel region the host opened, only the calling
 * thread is touched. Every enter has its leave, on the same thread, in reverse order. */
void rcc_compute_enter(int threads, rcc_compute_saved *saved);
void rcc_compute_leave(const rcc_compute_saved *saved);
/* The thread count of the innermost guard on this thread, or rcc_get_threads() outside any: what
 * our own parallel loops give num_threads where the team's size matters. */
int rcc_compute_threads(void);
/* Inside a guard: its thread count becomes `threads` (capped as rcc_compute_enter caps it; the
 * new OpenMP workers get the library's MXCSR); returns the count. Plans made for the old count
 * must be made again (oneDNN fixes a kernel's team size when it makes it). */
int rcc_compute_set_threads(int threads);

/* Sets flush-to-zero and denormals-are-zero on the calling thread: for the library's own threads
 * (the loader's), which live only while a computation runs. */
void rcc_flush_denormals(void);

#endif
