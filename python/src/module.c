/* module.c — the extension module rcc._rcc: its exceptions, the library's configuration as JSON
 * text (the one table of fields is the library's: the Python side edits a dict of it), checkpoint
 * information, the scores of rcc eval, and what the CPU offers. The types are in images.c and net.c,
 * training in train.c. */
#define RCC_PY_MODULE
#include "ext.h"
#include "rcc_bench.h"

#include <stdlib.h>
#include <string.h>

PyObject *rcc_py_error, *rcc_py_file_error, *rcc_py_format_error, *rcc_py_argument_error, *rcc_py_backend_error,
    *rcc_py_numeric_error;

PyObject *rcc_py_raise(rcc_status st)
{
    const char *msg = rcc_last_error();
    if (!msg || !*msg)
        msg = rcc_strerror(st);
    PyObject *type = rcc_py_error;
    switch (st) {
    case RCC_ERR_NOMEM: type = PyExc_MemoryError; break;
    case RCC_ERR_IO: type = rcc_py_file_error; break;
    case RCC_ERR_FORMAT: type = rcc_py_format_error; break;
    case RCC_ERR_ARG: type = rcc_py_argument_error; break;
    case RCC_ERR_BACKEND: type = rcc_py_backend_error; break;
    case RCC_ERR_NUMERIC: type = rcc_py_numeric_error; break;
    case RCC_ERR_INTERRUPTED: type = PyExc_KeyboardInterrupt; break;
    case RCC_OK: break;
    }
    PyErr_SetString(type, msg);
    return NULL;
}

int rcc_py_set(PyObject *d, const char *key, PyObject *v)
{
    if (!v)
        return -1;
    int r = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return r;
}

/* A configuration from its JSON text: every key of rcc_config_to_json, as the Python side sends
 * them (missing ones keep the cpu preset's values), checked. */
static int config_parse(const char *json, rcc_config *c)
{
    rcc_status st = rcc_config_preset(c, "cpu");
    if (st == RCC_OK)
        st = rcc_config_from_json(c, json);
    if (st != RCC_OK) {
        rcc_py_raise(st);
        return -1;
    }
    return 0;
}

/* The JSON text of c as a str (rcc_config_to_json). */
static PyObject *config_str(const rcc_config *c)
{
    char *j = rcc_config_to_json(c);
    if (!j)
        return PyErr_NoMemory();
    PyObject *s = PyUnicode_FromString(j);
    free(j);
    return s;
}

static PyObject *py_config_preset(PyObject *self, PyObject *args)
{
    (void)self;
    const char *name;
    if (!PyArg_ParseTuple(args, "s:config_preset", &name))
        return NULL;
    rcc_config c;
    rcc_status st = rcc_config_preset(&c, name);
    return st == RCC_OK ? config_str(&c) : rcc_py_raise(st);
}

static PyObject *py_config_for_data(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *images;
    if (!PyArg_ParseTuple(args, "O!:config_for_data", &rcc_py_images_type, &images))
        return NULL;
    rcc_config c;
    const char *name = NULL;
    rcc_status st = rcc_config_for_data(&((rcc_py_images *)images)->d, &c, &name);
    if (st != RCC_OK)
        return rcc_py_raise(st);
    PyObject *j = config_str(&c);
    return j ? Py_BuildValue("sN", name, j) : NULL;
}

static PyObject *py_config_check(PyObject *self, PyObject *args)
{
    (void)self;
    const char *json;
    if (!PyArg_ParseTuple(args, "s:config_check", &json))
        return NULL;
    rcc_config c;
    if (config_parse(json, &c) < 0)
        return NULL;
    return config_str(&c);
}

/* rcc train's default mode: every kernel and precision timed on the configuration's step, the
 * fastest kept (rcc_config_pick_mode, the GIL released meanwhile). */
static PyObject *py_pick_mode(PyObject *self, PyObject *args)
{
    (void)self;
    const char *json;
    int channels;
    if (!PyArg_ParseTuple(args, "si:pick_mode", &json, &channels))
        return NULL;
    rcc_config c;
    if (config_parse(json, &c) < 0)
        return NULL;
    rcc_mode_choice ch;
    rcc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = rcc_config_pick_mode(&c, channels, true, &ch);
    Py_END_ALLOW_THREADS
    if (st != RCC_OK)
        return rcc_py_raise(st);
    PyObject *rates = PyList_New(0);
    for (int i = 0; rates && i < ch.n && ch.n > 1; i++) {
        PyObject *t = Py_BuildValue("ssd", rcc_conv_kind_name(ch.mode[i].conv),
                                    rcc_precision_name(ch.mode[i].precision), ch.rate[i]);
        if (!t || PyList_Append(rates, t) < 0) {
            Py_XDECREF(t);
            Py_CLEAR(rates);
            break;
        }
        Py_DECREF(t);
    }
    if (!rates)
        return NULL;
    PyObject *j = config_str(&c);
    if (!j) {
        Py_DECREF(rates);
        return NULL;
    }
    return Py_BuildValue("NNO", j, rates, ch.bf16_unsafe ? Py_True : Py_False);
}

static PyObject *py_checkpoint_info(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *path;
    if (!PyArg_ParseTuple(args, "O&:checkpoint_info", PyUnicode_FSConverter, &path))
        return NULL;
    rcc_config c;
    rcc_progress pr;
    rcc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = rcc_checkpoint_info(PyBytes_AS_STRING(path), &c, &pr);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st != RCC_OK)
        return rcc_py_raise(st);
    PyObject *j = config_str(&c);
    return j ? Py_BuildValue("N{sisisl}", j, "epoch", pr.epoch, "batch_in_epoch", pr.batch_in_epoch, "step",
                             pr.step)
             : NULL;
}

/* A 1-D C-contiguous int32 array (the Python side converts and checks the values). */
static int int32_vector(PyObject *o, void *out)
{
    if (!PyArray_Check(o) || PyArray_TYPE((PyArrayObject *)o) != NPY_INT32 || PyArray_NDIM((PyArrayObject *)o) != 1 ||
        !PyArray_IS_C_CONTIGUOUS((PyArrayObject *)o)) {
        PyErr_SetString(PyExc_TypeError, "expected a 1-D contiguous int32 array");
        return 0;
    }
    *(PyArrayObject **)out = (PyArrayObject *)o;
    return 1;
}

/* ACC, NMI and ARI as rcc eval computes them: the contingency table of cluster ids 0..max and
 * labels 0..max (non-negative, checked here), the Hungarian match, the two formulas. */
static PyObject *py_scores(PyObject *self, PyObject *args)
{
    (void)self;
    PyArrayObject *pa, *la;
    if (!PyArg_ParseTuple(args, "O&O&:scores", int32_vector, &pa, int32_vector, &la))
        return NULL;
    size_t n = (size_t)PyArray_DIM(pa, 0);
    if ((size_t)PyArray_DIM(la, 0) != n || n == 0) {
        PyErr_Format(PyExc_ValueError, "scores: %zu cluster ids and %zu labels (need the same number, at least one)", n,
                     (size_t)PyArray_DIM(la, 0));
        return NULL;
    }
    const int *pred = PyArray_DATA(pa), *labels = PyArray_DATA(la);
    int k = rcc_label_range(pred, n), c = rcc_label_range(labels, n);
    if (k < 1 || c < 1 || k > 100000 || c > 100000) {
        PyErr_SetString(PyExc_ValueError, "scores: cluster ids and labels must lie in 0..99999");
        return NULL;
    }
    int64_t *table = malloc((size_t)k * (size_t)c * sizeof *table);
    int *map = malloc((size_t)k * sizeof *map);
    double acc = 0, nmi = 0, ari = 0;
    rcc_status st = table && map ? RCC_OK : rcc_fail(RCC_ERR_NOMEM, "scores: a %d x %d table", k, c);
    Py_BEGIN_ALLOW_THREADS
    if (st == RCC_OK)
        st = rcc_contingency(pred, labels, n, k, c, table);
    if (st == RCC_OK)
        st = rcc_cluster_acc(table, k, c, &acc, map);
    if (st == RCC_OK) {
        nmi = rcc_nmi(table, k, c);
        ari = rcc_ari(table, k, c);
    }
    Py_END_ALLOW_THREADS
    PyObject *r = NULL, *m = NULL;
    if (st == RCC_OK && (m = PyList_New(k)) != NULL) {
        for (int i = 0; i < k; i++)
            PyList_SET_ITEM(m, i, PyLong_FromLong(map[i]));
        r = Py_BuildValue("{sdsdsdsnsisisN}", "acc", acc, "nmi", nmi, "ari", ari, "n", (Py_ssize_t)n, "clusters", k,
                          "classes", c, "cluster_to_class", m);
    }
    free(table);
    free(map);
    return st == RCC_OK ? r : rcc_py_raise(st);
}

static PyObject *py_threads_available(PyObject *self, PyObject *args)
{
    (void)self, (void)args;
    return PyLong_FromLong(rcc_threads_available());
}

static PyObject *py_default_threads(PyObject *self, PyObject *args)
{
    (void)self, (void)args;
    return PyLong_FromLong(rcc_get_threads());
}

static PyObject *py_bf16_available(PyObject *self, PyObject *args)
{
    (void)self, (void)args;
    return PyBool_FromLong(rcc_conv_bf16_available());
}

static PyObject *py_winograd_available(PyObject *self, PyObject *args)
{
    (void)self, (void)args;
    return PyBool_FromLong(rcc_conv_winograd_available());
}

static PyMethodDef methods[] = {
    {"config_preset", py_config_preset, METH_VARARGS, "config_preset(name) -> JSON text of the preset"},
    {"config_for_data", py_config_for_data, METH_VARARGS,
     "config_for_data(images) -> (preset name, JSON text): the preset rcc train picks for the data"},
    {"config_check", py_config_check, METH_VARARGS, "config_check(json) -> the checked configuration as JSON text"},
    {"pick_mode", py_pick_mode, METH_VARARGS,
     "pick_mode(config_json, channels) -> (JSON text with the fastest conv and precision, [(conv, precision, "
     "pairs/s), ...] as timed (empty when this CPU offers one mode), bf16 left out for the shape)"},
    {"checkpoint_info", py_checkpoint_info, METH_VARARGS,
     "checkpoint_info(path) -> (JSON text of the configuration, progress dict)"},
    {"scores", py_scores, METH_VARARGS, "scores(pred, labels) -> dict of acc, nmi, ari (int32 arrays, ids >= 0)"},
    {"train", RCC_PY_KW(rcc_py_train), METH_VARARGS | METH_KEYWORDS,
     "train(config_json, images, out_dir, callback=None, share=False) -> (completed, labels): completed is False "
     "when the callback stopped the run; labels, the clusters of the images after the last epoch, or None; share: "
     "take this process's share of the threads while other rcc processes compute on the host"},
    {"threads_available", py_threads_available, METH_NOARGS, "the CPUs this process may use"},
    {"default_threads", py_default_threads, METH_NOARGS, "the library's default thread count"},
    {"bf16_available", py_bf16_available, METH_NOARGS, "whether this CPU computes bf16 convolutions"},
    {"winograd_available", py_winograd_available, METH_NOARGS, "whether oneDNN has Winograd kernels here"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "rcc._rcc", "librcc for Python: the extension under the rcc package.", -1, methods,
    NULL, NULL, NULL, NULL,
};

/* An exception class rcc.<name> with bases (rcc.RCCError, base), or (Exception) for RCCError. */
static PyObject *new_error(PyObject *m, const char *name, PyObject *base, const char *doc)
{
    char full[64];
    snprintf(full, sizeof full, "rcc.%s", name);
    PyObject *bases = base ? PyTuple_Pack(2, rcc_py_error, base) : NULL;
    if (base && !bases)
        return NULL;
    PyObject *e = PyErr_NewExceptionWithDoc(full, doc, base ? bases : PyExc_Exception, NULL);
    Py_XDECREF(bases);
    if (e && PyModule_AddObjectRef(m, name, e) < 0)
        Py_CLEAR(e);
    return e;
}

PyMODINIT_FUNC PyInit__rcc(void)
{
    import_array();
    if (PyType_Ready(&rcc_py_images_type) < 0 || PyType_Ready(&rcc_py_net_type) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m)
        return NULL;
    rcc_vote_config vote_default;
    rcc_vote_config_default(&vote_default);
    if (!(rcc_py_error = new_error(m, "RCCError", NULL, "An error of librcc; the message is the library's.")) ||
        !(rcc_py_file_error = new_error(m, "FileError", PyExc_OSError,
                                        "A file could not be opened, read or written (RCC_ERR_IO).")) ||
        !(rcc_py_format_error =
              new_error(m, "FormatError", PyExc_ValueError, "A file is not in the expected format (RCC_ERR_FORMAT).")) ||
        !(rcc_py_argument_error = new_error(m, "ArgumentError", PyExc_ValueError,
                                            "An argument is out of range or inconsistent (RCC_ERR_ARG).")) ||
        !(rcc_py_backend_error =
              new_error(m, "BackendError", PyExc_RuntimeError, "oneDNN refused or failed an operation (RCC_ERR_BACKEND).")) ||
        !(rcc_py_numeric_error = new_error(m, "NumericError", PyExc_ArithmeticError,
                                           "A NaN or infinity appeared in training (RCC_ERR_NUMERIC).")) ||
        PyModule_AddObjectRef(m, "ImageSet", (PyObject *)&rcc_py_images_type) < 0 ||
        PyModule_AddObjectRef(m, "Net", (PyObject *)&rcc_py_net_type) < 0 ||
        PyModule_AddStringConstant(m, "version", rcc_version()) < 0 ||
        PyModule_AddIntConstant(m, "VOTE_KNN", vote_default.knn) < 0 ||
        PyModule_AddIntConstant(m, "VOTE_MAX_POINTS", RCC_VOTE_MAX_POINTS) < 0 ||
        PyModule_AddIntConstant(m, "VOTE_MAX_KNN", RCC_VOTE_MAX_KNN) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
