/* ext.h — what the files of the extension module rcc._rcc share: the CPython and NumPy headers,
 * the exceptions, the data-set and network types, and how a long call releases the GIL while the
 * library computes and comes back to Python for its callbacks. */
#ifndef RCC_PY_EXT_H
#define RCC_PY_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL rcc_py_array_api
#ifndef RCC_PY_MODULE
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include <signal.h>
#include <stdbool.h>
#include "rcc.h"
#include "rcc_data.h"
#include "rcc_eval.h"
#include "rcc_run.h"

/* METH_VARARGS | METH_KEYWORDS functions in a PyMethodDef, without a cast between incompatible
 * function types (-Wcast-function-type). */
#define RCC_PY_KW(f) ((PyCFunction)(void (*)(void))(f))

/* ---------------------------------------------------------------- errors (module.c) */

/* rcc.RCCError and its kinds, made in module.c: FileError (RCC_ERR_IO, also an OSError),
 * FormatError and ArgumentError (RCC_ERR_FORMAT, RCC_ERR_ARG, also ValueErrors), BackendError
 * (RCC_ERR_BACKEND), NumericError (RCC_ERR_NUMERIC, also an ArithmeticError). */
extern PyObject *rcc_py_error, *rcc_py_file_error, *rcc_py_format_error, *rcc_py_argument_error,
    *rcc_py_backend_error, *rcc_py_numeric_error;

/* Raises the exception of status st with the library's message (rcc_last_error of this thread);
 * returns NULL. RCC_ERR_NOMEM raises MemoryError, RCC_ERR_INTERRUPTED KeyboardInterrupt. */
PyObject *rcc_py_raise(rcc_status st);

/* ---------------------------------------------------------------- calls that leave Python (call.c) */

/* A long library call: the GIL is released while the library works, and its callbacks come back to
 * Python through rcc_py_call_event. There they run with the caller's MXCSR (the library computes
 * with its own, flushing denormals to zero, and must not hand that to Python code), check for
 * signals (Ctrl-C raises KeyboardInterrupt there, which asks the library to stop) and give
 * `callback` an event. An exception in the callback stops the work too and is raised once the
 * library has returned; a callback returning False stops it without an exception. */
typedef struct {
    PyObject *callback;         /* a callable taking one dict, or NULL */
    PyThreadState *ts;          /* the thread's state while the GIL is released */
    unsigned int host_csr;      /* the caller's MXCSR */
    volatile sig_atomic_t stop; /* the library's stop flag (rcc_run_hooks.stop) */
    bool stopped;               /* stop asked for: by the callback (False) or by an exception */
    PyObject *exc_type, *exc_value, *exc_tb; /* the exception to raise afterwards, if any (only
                                              * exc_value from Python 3.12 on) */
} rcc_py_call;

/* Before leaving Python: no GIL from here on. */
void rcc_py_call_begin(rcc_py_call *c, PyObject *callback);
/* Back in Python (the GIL held again); returns -1 with the pending exception set if one came up in
 * a callback or from a signal, else 0. */
int rcc_py_call_end(rcc_py_call *c);
/* From a library callback (no GIL): builds an event with make(arg) under the GIL and hands it to the
 * callback. Nothing once a stop has been asked for. */
void rcc_py_call_event(rcc_py_call *c, PyObject *(*make)(const void *arg), const void *arg);

/* ---------------------------------------------------------------- images (images.c) */

/* rcc._rcc.ImageSet: a data set as the library holds it (NCHW, bytes or floats), never changed
 * once made, so that several threads may read it at once. */
typedef struct {
    PyObject_HEAD
    rcc_dataset d;
    rcc_data_report report;
    bool has_report;
} rcc_py_images;

extern PyTypeObject rcc_py_images_type;

/* ---------------------------------------------------------------- the network (net.c) */

extern PyTypeObject rcc_py_net_type;

/* ---------------------------------------------------------------- module functions (train.c) */

PyObject *rcc_py_train(PyObject *self, PyObject *args, PyObject *kw);

/* Dict helpers: d[key] = v (v stolen; NULL: an error is set and -1 returned). */
int rcc_py_set(PyObject *d, const char *key, PyObject *v);

#endif
