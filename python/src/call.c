/* call.c — leaving Python for a long library call and coming back for its callbacks (ext.h). */
#include "ext.h"

#include <xmmintrin.h>

void rcc_py_call_begin(rcc_py_call *c, PyObject *callback)
{
    c->callback = callback && callback != Py_None ? callback : NULL;
    c->stop = 0;
    c->stopped = false;
    c->exc_type = c->exc_value = c->exc_tb = NULL;
    c->host_csr = _mm_getcsr();
    c->ts = PyEval_SaveThread();
}

int rcc_py_call_end(rcc_py_call *c)
{
    PyEval_RestoreThread(c->ts);
    c->ts = NULL;
    if (!c->exc_type && !c->exc_value)
        return 0;
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(c->exc_value);
#else
    PyErr_Restore(c->exc_type, c->exc_value, c->exc_tb);
#endif
    c->exc_type = c->exc_value = c->exc_tb = NULL;
    return -1;
}

void rcc_py_call_event(rcc_py_call *c, PyObject *(*make)(const void *arg), const void *arg)
{
    if (c->stopped)
        return;
    /* Python code runs with the host's floating-point mode, not the library's flush-to-zero */
    unsigned int lib_csr = _mm_getcsr();
    _mm_setcsr(c->host_csr);
    PyEval_RestoreThread(c->ts);
    bool failed = PyErr_CheckSignals() < 0;
    if (!failed && c->callback) {
        PyObject *ev = make(arg);
        PyObject *r = ev ? PyObject_CallOneArg(c->callback, ev) : NULL;
        Py_XDECREF(ev);
        if (!r)
            failed = true;
        else if (r == Py_False)
            c->stopped = true;
        Py_XDECREF(r);
    }
    if (failed) {
#if PY_VERSION_HEX >= 0x030C0000
        c->exc_value = PyErr_GetRaisedException();
#else
        PyErr_Fetch(&c->exc_type, &c->exc_value, &c->exc_tb);
#endif
        c->stopped = true;
    }
    if (c->stopped)
        c->stop = 1;
    c->ts = PyEval_SaveThread();
    _mm_setcsr(lib_csr);
}
