/* train.c — rcc._rcc.train: a whole run (rcc_run_train, as rcc train does it) with the GIL
 * released; its step, epoch and note events come back to Python as dicts, and Ctrl-C or an
 * exception in the callback ask the run to stop, which saves its checkpoint first. */
#include "ext.h"

#include <math.h>
#include <string.h>

/* A number, or None when it is NaN (a term a step does not have). */
static PyObject *num(double v) { return isnan(v) ? Py_NewRef(Py_None) : PyFloat_FromDouble(v); }

static PyObject *loss_dict(const rcc_loss_terms *t)
{
    PyObject *d = PyDict_New();
    if (d && (rcc_py_set(d, "ins", num(t->ins)) < 0 || rcc_py_set(d, "clu_nce", num(t->clu_nce)) < 0 ||
              rcc_py_set(d, "entropy", num(t->entropy)) < 0 || rcc_py_set(d, "unif", num(t->unif)) < 0 ||
              rcc_py_set(d, "total", num(t->total)) < 0))
        Py_CLEAR(d);
    return d;
}

/* Epochs and batches counted from 1, as rcc train shows them. */
static PyObject *step_event(const void *arg)
{
    const rcc_step_event *e = arg;
    PyObject *d = Py_BuildValue("{sssisisisisl}", "kind", "step", "epoch", e->epoch + 1, "epochs", e->epochs, "batch",
                                e->batch, "batches", e->batches, "step", e->step);
    if (d && (rcc_py_set(d, "loss", loss_dict(&e->loss)) < 0 || rcc_py_set(d, "lr", PyFloat_FromDouble(e->lr)) < 0 ||
              rcc_py_set(d, "seconds", PyFloat_FromDouble(e->step_seconds)) < 0 ||
              rcc_py_set(d, "pairs", PyLong_FromLong(e->pairs)) < 0 ||
              rcc_py_set(d, "elapsed", PyFloat_FromDouble(e->elapsed)) < 0 ||
              rcc_py_set(d, "self_label", PyBool_FromLong(e->self_label)) < 0 ||
              rcc_py_set(d, "confident", num(e->self_label ? e->confident : NAN)) < 0))
        Py_CLEAR(d);
    return d;
}

static PyObject *epoch_event(const void *arg)
{
    const rcc_epoch_event *e = arg;
    PyObject *sizes = PyList_New(e->clusters);
    for (int k = 0; sizes && k < e->clusters; k++)
        PyList_SET_ITEM(sizes, k, PyLong_FromLong(e->sizes[k]));
    PyObject *d = sizes ? Py_BuildValue("{sssisisl}", "kind", "epoch", "epoch", e->epoch + 1, "epochs", e->epochs,
                                        "step", e->step)
                        : NULL;
    if (d && (rcc_py_set(d, "loss", loss_dict(&e->mean)) < 0 || rcc_py_set(d, "sizes", Py_NewRef(sizes)) < 0 ||
              rcc_py_set(d, "empty", PyLong_FromLong(e->empty)) < 0 ||
              rcc_py_set(d, "largest", PyFloat_FromDouble(e->largest)) < 0 ||
              rcc_py_set(d, "evaluated", PyBool_FromLong(e->evaluated)) < 0 ||
              rcc_py_set(d, "acc", num(e->evaluated ? e->acc : NAN)) < 0 ||
              rcc_py_set(d, "nmi", num(e->evaluated ? e->nmi : NAN)) < 0 ||
              rcc_py_set(d, "ari", num(e->evaluated ? e->ari : NAN)) < 0 ||
              rcc_py_set(d, "acc_predict", num(e->acc_predict)) < 0 ||
              rcc_py_set(d, "seconds", PyFloat_FromDouble(e->seconds)) < 0 ||
              rcc_py_set(d, "saved", PyBool_FromLong(e->saved)) < 0 ||
              rcc_py_set(d, "self_label", PyBool_FromLong(e->self_label)) < 0 ||
              rcc_py_set(d, "confident", num(e->self_label ? e->confident : NAN)) < 0 ||
              rcc_py_set(d, "assigned", PyBool_FromLong(e->assigned)) < 0 ||
              rcc_py_set(d, "mean_confidence", num(e->assigned ? e->mean_confidence : NAN)) < 0 ||
              rcc_py_set(d, "size_spread", num(e->assigned ? e->size_spread : NAN)) < 0))
        Py_CLEAR(d);
    Py_XDECREF(sizes);
    return d;
}

static PyObject *note_event(const void *arg)
{
    return Py_BuildValue("{ssss}", "kind", "note", "message", (const char *)arg);
}

/* A run's call, and the clusters of the images as the last assigned epoch left them. */
typedef struct {
    rcc_py_call call;
    int n;
    int *assignment; /* n */
    bool assigned;
} train_ctx;

static void on_step(const rcc_step_event *e, void *user) { rcc_py_call_event(&((train_ctx *)user)->call, step_event, e); }

static void on_epoch(const rcc_epoch_event *e, void *user)
{
    train_ctx *t = user;
    if (e->assigned && e->assignment && t->assignment) {
        memcpy(t->assignment, e->assignment, sizeof(int) * (size_t)t->n);
        t->assigned = true;
    }
    rcc_py_call_event(&t->call, epoch_event, e);
}

static void on_note(const char *message, void *user)
{
    rcc_py_call_event(&((train_ctx *)user)->call, note_event, message);
}

PyObject *rcc_py_train(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *keys[] = {"config", "images", "out_dir", "callback", "share", NULL};
    const char *json;
    PyObject *images, *out, *callback = Py_None;
    int share = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "sO!O&|Op:train", keys, &json, &rcc_py_images_type, &images,
                                     PyUnicode_FSConverter, &out, &callback, &share))
        return NULL;
    rcc_config c;
    rcc_status st = rcc_config_preset(&c, "cpu");
    if (st == RCC_OK)
        st = rcc_config_from_json(&c, json);
    if (st != RCC_OK) {
        Py_DECREF(out);
        return rcc_py_raise(st);
    }
    const rcc_dataset *d = &((rcc_py_images *)images)->d;
    npy_intp n = d->n;
    PyArrayObject *labels = (PyArrayObject *)PyArray_SimpleNew(1, &n, NPY_INT32);
    if (!labels) {
        Py_DECREF(out);
        return NULL;
    }
    train_ctx t = {.n = d->n, .assignment = PyArray_DATA(labels)};
    rcc_run_hooks hooks = {.on_step = on_step, .on_epoch = on_epoch, .user = &t, .stop = &t.call.stop,
                           .on_note = on_note, .share = share != 0};
    Py_INCREF(images); /* kept while the GIL is away */
    rcc_py_call_begin(&t.call, callback);
    st = rcc_run_train(&c, d, PyBytes_AS_STRING(out), NULL, &hooks);
    int failed = rcc_py_call_end(&t.call);
    Py_DECREF(images), Py_DECREF(out);
    if (failed < 0 || (st != RCC_OK && !(st == RCC_ERR_INTERRUPTED && t.call.stopped))) {
        /* Ctrl-C: the run saved and stopped; KeyboardInterrupt says where, in the library's words */
        if (failed < 0 && st == RCC_ERR_INTERRUPTED && PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_KeyboardInterrupt, rcc_last_error());
        } else if (failed == 0) {
            rcc_py_raise(st);
        }
        Py_DECREF(labels);
        return NULL;
    }
    /* stopped by the callback (False): saved where it stopped, the assignment (if any) is older */
    bool done = st == RCC_OK;
    if (!done || !t.assigned) {
        Py_DECREF(labels);
        labels = (PyArrayObject *)Py_NewRef(Py_None);
    }
    return Py_BuildValue("ON", done ? Py_True : Py_False, labels);
}
