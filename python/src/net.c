/* net.c — rcc._rcc.Net: a trained network loaded from a checkpoint (rcc_net), run over an
 * ImageSet exactly as rcc predict and rcc embed run it (rcc_net_assign_stage3_data, then rcc_vote
 * when asked), with the GIL released.
 * The images go in chunks of whole batches, so that between two chunks a Ctrl-C is seen and progress
 * reported; the batches are those of one call over all the images, so the answers are the same bit
 * for bit. One call at a time per network (its lock), as the library requires. */
#include "ext.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    rcc_net *net;
    PyThread_type_lock lock;
} rcc_py_net;

static void net_dealloc(PyObject *self)
{
    rcc_py_net *n = (rcc_py_net *)self;
    rcc_net_free(n->net);
    if (n->lock)
        PyThread_free_lock(n->lock);
    Py_TYPE(self)->tp_free(self);
}

/* Net(path, precision=None, threads=0): rcc_net_load_precision, then rcc_net_set_threads when
 * threads > 0 (else the library default's count). */
static PyObject *net_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *keys[] = {"path", "precision", "threads", NULL};
    PyObject *path;
    const char *precision = NULL;
    int threads = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|zi:Net", keys, PyUnicode_FSConverter, &path, &precision, &threads))
        return NULL;
    rcc_py_net *n = (rcc_py_net *)type->tp_alloc(type, 0);
    if (n && !(n->lock = PyThread_allocate_lock())) {
        Py_CLEAR(n);
        PyErr_NoMemory();
    }
    if (!n) {
        Py_DECREF(path);
        return NULL;
    }
    rcc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = rcc_net_load_precision(&n->net, PyBytes_AS_STRING(path), precision);
    if (st == RCC_OK && threads > 0)
        st = rcc_net_set_threads(n->net, threads);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st != RCC_OK) {
        Py_DECREF(n);
        return rcc_py_raise(st);
    }
    return (PyObject *)n;
}

static PyObject *net_config_json(PyObject *self, PyObject *args)
{
    (void)args;
    char *j = rcc_config_to_json(rcc_net_config(((rcc_py_net *)self)->net));
    if (!j)
        return PyErr_NoMemory();
    PyObject *s = PyUnicode_FromString(j);
    free(j);
    return s;
}

typedef struct {
    long done, total;
} assign_arg;

static PyObject *assign_event(const void *arg)
{
    const assign_arg *a = arg;
    return Py_BuildValue("{ssslsl}", "kind", "assign", "done", a->done, "total", a->total);
}

/* Images [i0, i0 + count) of d, sharing its pixels (never freed). */
static rcc_dataset view(const rcc_dataset *d, int i0, int count)
{
    rcc_dataset v = *d;
    size_t per = (size_t)d->c * d->h * d->w;
    v.n = count;
    if (d->u8)
        v.u8 = d->u8 + (size_t)i0 * per;
    else
        v.pix = d->pix + (size_t)i0 * per;
    v.labels = d->labels ? d->labels + i0 : NULL;
    v.names = d->names ? d->names + i0 : NULL;
    return v;
}

typedef struct {
    int *cluster;
    float *confidence, *h, *probs, *stage3;
} outputs;

/* The whole set in chunks of whole batches (the last one at least a batch, so that no image meets
 * another plan than in one call): 16 batches first, doubled while a chunk takes less than a quarter
 * of a second. No GIL here. */
static rcc_status assign_chunks(rcc_net *net, const rcc_dataset *d, const outputs *o, rcc_py_call *call)
{
    const rcc_config *c = rcc_net_config(net);
    int batch = rcc_net_batch(net), chunk = 16 * batch, R = c->rep_dim, K = c->clusters, F = rcc_net_stage3_dim(net);
    for (int i0 = 0; i0 < d->n && !call->stop;) {
        int count = d->n - i0 < chunk ? d->n - i0 : chunk;
        if (d->n - (i0 + count) < batch)
            count = d->n - i0;
        rcc_dataset v = view(d, i0, count);
        double t0 = rcc_now();
        size_t i = (size_t)i0;
        rcc_status st = rcc_net_assign_stage3_data(net, &v, o->cluster ? o->cluster + i : NULL,
                                                   o->confidence ? o->confidence + i : NULL, o->h ? o->h + i * R : NULL,
                                                   o->probs ? o->probs + i * K : NULL,
                                                   o->stage3 ? o->stage3 + i * (size_t)F : NULL);
        if (st != RCC_OK)
            return st;
        i0 += count;
        if (rcc_now() - t0 < 0.25 && chunk < (1 << 20))
            chunk *= 2;
        assign_arg a = {i0, d->n};
        rcc_py_call_event(call, assign_event, &a);
    }
    return RCC_OK;
}

/* The head's clusters of every image refined by the votes of each one's `knn` nearest neighbours in
 * the stage-3 features, as `rcc predict` does (rcc_vote); the confidence stays the head's probability
 * of the final cluster. probs: the caller's, or NULL. No GIL here. */
static rcc_status assign_voted(rcc_net *net, const rcc_dataset *d, outputs o, int knn, rcc_py_call *call,
                               rcc_vote_result *vr)
{
    int F = rcc_net_stage3_dim(net), K = rcc_net_config(net)->clusters;
    float *own = o.probs ? NULL : malloc(sizeof(float) * (size_t)d->n * (size_t)K);
    o.stage3 = malloc(sizeof(float) * (size_t)d->n * (size_t)F);
    if (!o.probs)
        o.probs = own;
    rcc_status st = o.stage3 && o.probs ? assign_chunks(net, d, &o, call)
                                        : rcc_fail(RCC_ERR_NOMEM, "stage-3 features of %d images", d->n);
    rcc_vote_config vc;
    rcc_vote_config_default(&vc);
    vc.knn = knn;
    vc.threads = rcc_net_threads(net); /* the model's, as its passes: the CLI's answers, bit for bit */
    if (st == RCC_OK && !call->stop)
        st = rcc_vote(o.stage3, d->n, F, K, &vc, o.cluster, NULL, vr);
    for (int i = 0; st == RCC_OK && !call->stop && o.confidence && i < d->n; i++)
        o.confidence[i] = o.probs[(size_t)i * K + o.cluster[i]];
    free(o.stage3), free(own);
    return st;
}

/* assign(images, cluster=True, confidence=False, h=False, probs=False, callback=None, vote=0) ->
 * (cluster, confidence, h, probs), each an array or None; vote > 0: the clusters refined by that many
 * neighbours (assign_voted; needs cluster=True). */
static PyObject *net_assign(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *keys[] = {"images", "cluster", "confidence", "h", "probs", "callback", "vote", NULL};
    rcc_py_net *n = (rcc_py_net *)self;
    PyObject *images, *callback = Py_None;
    int want_cluster = 1, want_conf = 0, want_h = 0, want_probs = 0, vote = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!|ppppOi:assign", keys, &rcc_py_images_type, &images, &want_cluster,
                                     &want_conf, &want_h, &want_probs, &callback, &vote))
        return NULL;
    if (vote < 0 || vote > RCC_VOTE_MAX_KNN || (vote > 0 && !want_cluster))
        return PyErr_Format(PyExc_ValueError, "vote=%d: a number of neighbours in 0..%d, with cluster=True", vote,
                            RCC_VOTE_MAX_KNN);
    const rcc_dataset *d = &((rcc_py_images *)images)->d;
    const rcc_config *c = rcc_net_config(n->net);
    if (d->c != c->in_channels)
        return PyErr_Format(PyExc_ValueError, "the model takes %d-channel images, these have %d", c->in_channels, d->c);
    npy_intp nn = d->n, dh[2] = {d->n, c->rep_dim}, dp[2] = {d->n, c->clusters};
    PyObject *cl = want_cluster ? PyArray_SimpleNew(1, &nn, NPY_INT32) : Py_NewRef(Py_None);
    PyObject *cf = want_conf ? PyArray_SimpleNew(1, &nn, NPY_FLOAT32) : Py_NewRef(Py_None);
    PyObject *h = want_h ? PyArray_SimpleNew(2, dh, NPY_FLOAT32) : Py_NewRef(Py_None);
    PyObject *pr = want_probs ? PyArray_SimpleNew(2, dp, NPY_FLOAT32) : Py_NewRef(Py_None);
    if (!cl || !cf || !h || !pr) {
        Py_XDECREF(cl), Py_XDECREF(cf), Py_XDECREF(h), Py_XDECREF(pr);
        return NULL;
    }
    outputs o = {want_cluster ? PyArray_DATA((PyArrayObject *)cl) : NULL,
                 want_conf ? PyArray_DATA((PyArrayObject *)cf) : NULL,
                 want_h ? PyArray_DATA((PyArrayObject *)h) : NULL,
                 want_probs ? PyArray_DATA((PyArrayObject *)pr) : NULL, NULL};
    Py_INCREF(images); /* kept while the GIL is away */
    rcc_py_call call;
    rcc_py_call_begin(&call, callback);
    PyThread_acquire_lock(n->lock, WAIT_LOCK);
    rcc_vote_result vr = {0, 0, true};
    rcc_status st = vote > 0 && d->n > 1 ? assign_voted(n->net, d, o, vote, &call, &vr)
                                         : assign_chunks(n->net, d, &o, &call);
    PyThread_release_lock(n->lock);
    int failed = rcc_py_call_end(&call);
    Py_DECREF(images);
    if (failed < 0 || st != RCC_OK) {
        if (failed == 0)
            rcc_py_raise(st);
        Py_DECREF(cl), Py_DECREF(cf), Py_DECREF(h), Py_DECREF(pr);
        return NULL;
    }
    if (call.stopped) { /* a callback returning False: what is not assigned yet would be garbage */
        Py_DECREF(cl), Py_DECREF(cf), Py_DECREF(h), Py_DECREF(pr);
        PyErr_SetString(rcc_py_error, "stopped by the callback before every image was assigned");
        return NULL;
    }
    if (!vr.applied && PyErr_WarnFormat(PyExc_UserWarning, 1,
                                        "the neighbour vote would move %d of %d images, more than 20%%: the "
                                        "cluster head's answers are kept (docs/imbalance.md)", vr.moved, d->n) < 0) {
        Py_DECREF(cl), Py_DECREF(cf), Py_DECREF(h), Py_DECREF(pr);
        return NULL;
    }
    return Py_BuildValue("NNNN", cl, cf, h, pr);
}

/* partition(images, fine=100, knn=10, callback=None, k=0) -> (cluster, confidence): the images' stage-3
 * features partitioned into k clusters of any size (0: the model's K), as `rcc predict --partition`
 * (rcc_partition; confidence: the share of an image's neighbours in its cluster). */
static PyObject *net_partition(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *keys[] = {"images", "fine", "knn", "callback", "k", NULL};
    rcc_py_net *n = (rcc_py_net *)self;
    PyObject *images, *callback = Py_None;
    rcc_partition_config pc;
    rcc_partition_config_default(&pc);
    pc.threads = rcc_net_threads(n->net);
    int k = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!|iiOi:partition", keys, &rcc_py_images_type, &images, &pc.fine,
                                     &pc.knn, &callback, &k))
        return NULL;
    const rcc_dataset *d = &((rcc_py_images *)images)->d;
    const rcc_config *c = rcc_net_config(n->net);
    if (d->c != c->in_channels)
        return PyErr_Format(PyExc_ValueError, "the model takes %d-channel images, these have %d", c->in_channels, d->c);
    if (d->n < 2)
        return PyErr_Format(PyExc_ValueError, "a partition needs at least 2 images, not %d", d->n);
    if (k < 0)
        return PyErr_Format(PyExc_ValueError, "n_clusters=%d: a partition makes at least 1 cluster", k);
    if (k == 0)
        k = c->clusters;
    npy_intp nn = d->n;
    int F = rcc_net_stage3_dim(n->net);
    PyObject *cl = PyArray_SimpleNew(1, &nn, NPY_INT32), *cf = PyArray_SimpleNew(1, &nn, NPY_FLOAT32);
    float *f = malloc(sizeof(float) * (size_t)d->n * (size_t)F);
    if (!cl || !cf || !f) {
        Py_XDECREF(cl), Py_XDECREF(cf), free(f);
        return PyErr_NoMemory();
    }
    outputs o = {NULL, NULL, NULL, NULL, f};
    Py_INCREF(images); /* kept while the GIL is away */
    rcc_py_call call;
    rcc_py_call_begin(&call, callback);
    PyThread_acquire_lock(n->lock, WAIT_LOCK);
    rcc_status st = assign_chunks(n->net, d, &o, &call);
    if (st == RCC_OK && !call.stop)
        st = rcc_partition(f, d->n, F, k, &pc, PyArray_DATA((PyArrayObject *)cl),
                           PyArray_DATA((PyArrayObject *)cf));
    PyThread_release_lock(n->lock);
    int failed = rcc_py_call_end(&call);
    Py_DECREF(images);
    free(f);
    if (failed < 0 || st != RCC_OK || call.stopped) {
        if (failed == 0 && st != RCC_OK)
            rcc_py_raise(st);
        else if (failed == 0)
            PyErr_SetString(rcc_py_error, "stopped by the callback before every image was assigned");
        Py_DECREF(cl), Py_DECREF(cf);
        return NULL;
    }
    return Py_BuildValue("NN", cl, cf);
}

static PyObject *get_threads(PyObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromLong(rcc_net_threads(((rcc_py_net *)self)->net));
}

static PyObject *get_batch(PyObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromLong(rcc_net_batch(((rcc_py_net *)self)->net));
}

static PyGetSetDef net_getset[] = {
    {"threads", get_threads, NULL, "threads of its passes", NULL},
    {"batch", get_batch, NULL, "images of its largest forward pass", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef net_methods[] = {
    {"config_json", net_config_json, METH_NOARGS, "the configuration of its passes as JSON text"},
    {"assign", RCC_PY_KW(net_assign), METH_VARARGS | METH_KEYWORDS,
     "assign(images, cluster=True, confidence=False, h=False, probs=False, callback=None, vote=0)"},
    {"partition", RCC_PY_KW(net_partition), METH_VARARGS | METH_KEYWORDS,
     "partition(images, fine=100, knn=10, callback=None) -> (cluster, confidence)"},
    {NULL, NULL, 0, NULL},
};

PyTypeObject rcc_py_net_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rcc._rcc.Net",
    .tp_basicsize = sizeof(rcc_py_net),
    .tp_dealloc = net_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Net(path, precision=None, threads=0): a trained network loaded from a checkpoint.",
    .tp_methods = net_methods,
    .tp_getset = net_getset,
    .tp_new = net_new,
};
