/* dist.c — the collectives of dist.h, over MPI when RCC_HAVE_MPI is defined. Large buffers are
 * sent in pieces of at most 2^30 elements (MPI counts are ints). */
#include "dist.h"

#include <stdlib.h>
#include <string.h>
#include "dnn.h"
#include "util.h"
#ifdef RCC_HAVE_MPI
#include <mpi.h>
#endif

bool rcc_dist_available(void)
{
#ifdef RCC_HAVE_MPI
    return true;
#else
    return false;
#endif
}

void rcc_dist_single(rcc_dist *d)
{
    memset(d, 0, sizeof *d);
    d->size = 1;
}

#ifdef RCC_HAVE_MPI
static MPI_Comm comm_of(const rcc_dist *d) { return *(MPI_Comm *)d->comm; }
static bool g_we_initialised;

static rcc_status mpi_fail(int err, const char *what)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(err, msg, &len);
    return rcc_fail(RCC_ERR_IO, "MPI %s failed: %.*s", what, len, msg);
}
#define MPI_TRY(call, what)                                                                                            \
    do {                                                                                                               \
        int e_ = (call);                                                                                               \
        if (e_ != MPI_SUCCESS)                                                                                         \
            return mpi_fail(e_, what);                                                                                 \
    } while (0)
#endif

rcc_status rcc_dist_init(rcc_dist *d, int *argc, char ***argv)
{
    rcc_dist_single(d);
#ifdef RCC_HAVE_MPI
    int inited = 0;
    MPI_Initialized(&inited);
    /* Only join MPI when a launcher started us: a plain `rcc` must not need an MPI runtime. */
    if (!inited && !getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_SIZE") && !getenv("PMIX_RANK"))
        return RCC_OK;
    if (!inited) {
        int provided;
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            return rcc_fail(RCC_ERR_IO, "MPI_Init failed");
        g_we_initialised = true;
    }
    MPI_Comm *c = malloc(sizeof *c);
    if (!c)
        return rcc_fail(RCC_ERR_NOMEM, "MPI communicator");
    MPI_TRY(MPI_Comm_dup(MPI_COMM_WORLD, c), "Comm_dup");
    MPI_Comm_set_errhandler(*c, MPI_ERRORS_RETURN);
    MPI_Comm_rank(*c, &d->rank);
    MPI_Comm_size(*c, &d->size);
    d->comm = c;
#else
    (void)argc, (void)argv;
#endif
    return RCC_OK;
}

void rcc_dist_finalize(rcc_dist *d)
{
#ifdef RCC_HAVE_MPI
    if (d->comm) {
        MPI_Comm_free((MPI_Comm *)d->comm);
        free(d->comm);
        d->comm = NULL;
    }
    if (g_we_initialised) {
        MPI_Finalize();
        g_we_initialised = false;
    }
#endif
    d->size = 1, d->rank = 0;
}

void rcc_dist_abort(const rcc_dist *d, int code)
{
#ifdef RCC_HAVE_MPI
    if (d && d->comm && d->size > 1)
        MPI_Abort(comm_of(d), code);
#else
    (void)d;
    (void)code;
#endif
}

#define CHUNK ((size_t)1 << 30)

rcc_status rcc_dist_allgather_f32(rcc_dist *d, const float *local, size_t count, float *global)
{
    if (d->size <= 1 || !d->comm) {
        if (global != local)
            memmove(global, local, count * sizeof *local);
        return RCC_OK;
    }
#ifdef RCC_HAVE_MPI
    if (count > CHUNK)
        return rcc_fail(RCC_ERR_ARG, "allgather of %zu floats per process is too large", count);
    double t0 = rcc_now();
    MPI_TRY(MPI_Allgather(local, (int)count, MPI_FLOAT, global, (int)count, MPI_FLOAT, comm_of(d)), "Allgather");
    d->comm_seconds += rcc_now() - t0;
    d->comm_bytes += (double)count * sizeof(float);
#endif
    return RCC_OK;
}

#ifdef RCC_HAVE_MPI
/* Sum in place over processes, in pieces MPI's int counts can hold. */
static rcc_status allreduce_sum(rcc_dist *d, void *x, size_t count, MPI_Datatype type, size_t elem)
{
    double t0 = rcc_now();
    for (size_t i = 0; i < count; i += CHUNK) {
        size_t m = count - i < CHUNK ? count - i : CHUNK;
        MPI_TRY(MPI_Allreduce(MPI_IN_PLACE, (char *)x + i * elem, (int)m, type, MPI_SUM, comm_of(d)), "Allreduce");
    }
    d->comm_seconds += rcc_now() - t0;
    d->comm_bytes += (double)count * (double)elem;
    return RCC_OK;
}
#endif

rcc_status rcc_dist_allreduce_f32(rcc_dist *d, float *x, size_t count)
{
    if (d->size <= 1 || !d->comm)
        return RCC_OK;
#ifdef RCC_HAVE_MPI
    return allreduce_sum(d, x, count, MPI_FLOAT, sizeof *x);
#else
    (void)x, (void)count;
    return RCC_OK;
#endif
}

rcc_status rcc_dist_allreduce_f64(rcc_dist *d, double *x, size_t count)
{
    if (d->size <= 1 || !d->comm)
        return RCC_OK;
#ifdef RCC_HAVE_MPI
    return allreduce_sum(d, x, count, MPI_DOUBLE, sizeof *x);
#else
    (void)x, (void)count;
    return RCC_OK;
#endif
}

rcc_status rcc_dist_bcast_f32(rcc_dist *d, float *x, size_t count)
{
    if (d->size <= 1 || !d->comm)
        return RCC_OK;
#ifdef RCC_HAVE_MPI
    for (size_t i = 0; i < count; i += CHUNK) {
        size_t m = count - i < CHUNK ? count - i : CHUNK;
        MPI_TRY(MPI_Bcast(x + i, (int)m, MPI_FLOAT, 0, comm_of(d)), "Bcast");
    }
#else
    (void)x, (void)count;
#endif
    return RCC_OK;
}

rcc_status rcc_dist_any(rcc_dist *d, bool *flag)
{
    if (d->size <= 1 || !d->comm)
        return RCC_OK;
#ifdef RCC_HAVE_MPI
    int v = *flag ? 1 : 0;
    MPI_TRY(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LOR, comm_of(d)), "Allreduce");
    *flag = v != 0;
#else
    (void)flag;
#endif
    return RCC_OK;
}
