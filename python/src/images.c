/* images.c — rcc._rcc.ImageSet: a data set held as the library holds it (rcc_dataset: N×C×H×W,
 * bytes or floats), made from a NumPy array (copied, so that nothing the caller does to the array
 * later reaches a computation) or loaded by the library's own readers (IDX, .npy, folders and files
 * of PNG/JPEG). Never changed once made: converting channels or attaching labels makes a new one. */
#include "ext.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SIDE 16384 /* the library's limit on an image side (its readers refuse larger) */

/* A ValueError with a UTF-8 message (PyErr_Format takes ASCII formats only); returns NULL. */
static PyObject *value_error(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    PyErr_SetString(PyExc_ValueError, buf);
    return NULL;
}

static rcc_py_images *images_alloc(void)
{
    return (rcc_py_images *)rcc_py_images_type.tp_alloc(&rcc_py_images_type, 0);
}

static void images_dealloc(PyObject *self)
{
    rcc_py_images *im = (rcc_py_images *)self;
    rcc_dataset_free(&im->d);
    Py_TYPE(self)->tp_free(self);
}

/* labels: None, or a 1-D C-contiguous int32 array of n values in 0..65535 (the Python side converts;
 * checked again here). Copies them into d. */
static int attach_labels(rcc_dataset *d, PyObject *labels)
{
    if (labels == Py_None)
        return 0;
    PyArrayObject *a = (PyArrayObject *)labels;
    if (!PyArray_Check(labels) || PyArray_TYPE(a) != NPY_INT32 || PyArray_NDIM(a) != 1 ||
        !PyArray_IS_C_CONTIGUOUS(a)) {
        PyErr_SetString(PyExc_TypeError, "labels: expected a 1-D contiguous int32 array");
        return -1;
    }
    if (PyArray_DIM(a, 0) != d->n) {
        PyErr_Format(PyExc_ValueError, "%zd labels for %d images", (Py_ssize_t)PyArray_DIM(a, 0), d->n);
        return -1;
    }
    const int *v = PyArray_DATA(a);
    int classes = 0;
    for (int i = 0; i < d->n; i++) {
        if (v[i] < 0 || v[i] > 65535) {
            PyErr_Format(PyExc_ValueError, "labels[%d] = %d: labels must lie in 0..65535", i, v[i]);
            return -1;
        }
        classes = v[i] + 1 > classes ? v[i] + 1 : classes;
    }
    int *copy = malloc(sizeof(int) * (size_t)d->n);
    if (!copy) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(copy, v, sizeof(int) * (size_t)d->n);
    free(d->labels);
    d->labels = copy;
    d->num_classes = classes;
    return 0;
}

/* The pixels of a C-contiguous N×H×W×C array (C = 1 for N×H×W) into d's N×C×H×W; floats checked
 * to be finite and within [0, 1]: *bad gets the flat index of the first that is not (or -1). */
static void copy_pixels(const void *src, bool u8, size_t n, size_t c, size_t hw, void *dst, long long *bad)
{
    size_t per = c * hw;
    *bad = -1;
    for (size_t i = 0; i < n; i++) {
        if (u8) {
            const unsigned char *s = (const unsigned char *)src + i * per;
            unsigned char *o = (unsigned char *)dst + i * per;
            if (c == 1)
                memcpy(o, s, hw);
            else
                for (size_t p = 0; p < hw; p++)
                    for (size_t ch = 0; ch < c; ch++)
                        o[ch * hw + p] = s[p * c + ch];
            continue;
        }
        const float *s = (const float *)src + i * per;
        float *o = (float *)dst + i * per;
        for (size_t p = 0; p < per; p++) {
            float v = s[p];
            if (!(v >= 0.0f && v <= 1.0f)) { /* NaN fails both */
                *bad = (long long)(i * per + p);
                return;
            }
            o[c == 1 ? p : (p % c) * hw + p / c] = v;
        }
    }
}

static PyObject *images_from_array(PyObject *cls, PyObject *args, PyObject *kw)
{
    (void)cls;
    static char *keys[] = {"images", "labels", NULL};
    PyObject *x, *labels = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:from_array", keys, &x, &labels))
        return NULL;
    if (!PyArray_Check(x))
        return PyErr_Format(PyExc_TypeError, "images must be a NumPy array, not %s", Py_TYPE(x)->tp_name);
    PyArrayObject *a = (PyArrayObject *)x;
    int type = PyArray_TYPE(a), nd = PyArray_NDIM(a);
    if (type != NPY_UINT8 && type != NPY_FLOAT32)
        return PyErr_Format(PyExc_TypeError,
                            "images must be uint8 (0 to 255) or float32 (0 to 1), not %R: convert with "
                            "X.astype(np.float32) (values in [0, 1]) or X.astype(np.uint8)",
                            (PyObject *)PyArray_DESCR(a));
    PyObject *shape_obj = PyObject_GetAttrString(x, "shape"), *shape_repr = NULL;
    if (shape_obj)
        shape_repr = PyObject_Repr(shape_obj);
    Py_XDECREF(shape_obj);
    const char *shape = shape_repr ? PyUnicode_AsUTF8(shape_repr) : NULL;
    if (!shape) {
        Py_XDECREF(shape_repr);
        return NULL;
    }
    const npy_intp *dim = PyArray_DIMS(a);
    npy_intp n = 0, h = 0, w = 0, c = 1;
    bool ok = false;
    if (nd == 4 && dim[3] != 1 && dim[3] != 3)
        value_error("images of shape %s: N×H×W×C arrays need C = 1 or 3 channels, last%s", shape,
                    dim[1] == 1 || dim[1] == 3 ? " (an N×C×H×W array: pass X.transpose(0, 2, 3, 1))" : "");
    else if (nd != 3 && nd != 4)
        value_error("images must be an N×H×W (gray) or N×H×W×C (C = 1 or 3) array, not %d-D of shape %s%s", nd,
                    shape, nd == 2 ? " (one image: X[None])" : "");
    else if ((n = dim[0]) == 0 || (h = dim[1]) == 0 || (w = dim[2]) == 0)
        value_error("no images: the array's shape is %s", shape);
    else if (n > INT_MAX || h > MAX_SIDE || w > MAX_SIDE)
        value_error("images of shape %s: at most %d images of at most %d×%d pixels", shape, INT_MAX, MAX_SIDE,
                    MAX_SIDE);
    else
        ok = true, c = nd == 4 ? dim[3] : 1;
    Py_DECREF(shape_repr);
    if (!ok)
        return NULL;
    /* native byte order, aligned, C order: a copy only when the array is not so already */
    PyArrayObject *src = (PyArrayObject *)PyArray_FromAny(x, PyArray_DescrFromType(type), 0, 0,
                                                          NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED, NULL);
    if (!src)
        return NULL;
    bool u8 = type == NPY_UINT8;
    size_t count = (size_t)n * (size_t)c * (size_t)h * (size_t)w;
    void *pix = malloc(count * (u8 ? 1 : sizeof(float)));
    if (!pix) {
        Py_DECREF(src);
        return PyErr_NoMemory();
    }
    long long bad = -1;
    Py_BEGIN_ALLOW_THREADS
    copy_pixels(PyArray_DATA(src), u8, (size_t)n, (size_t)c, (size_t)h * (size_t)w, pix, &bad);
    Py_END_ALLOW_THREADS
    if (bad >= 0) {
        float v = ((const float *)PyArray_DATA(src))[bad];
        long long per = (long long)c * h * w, i = bad / per, r = bad % per;
        long long y = r / (w * c), xx = r / c % w, ch = r % c;
        char where[96];
        if (nd == 3)
            snprintf(where, sizeof where, "X[%lld, %lld, %lld]", i, y, xx);
        else
            snprintf(where, sizeof where, "X[%lld, %lld, %lld, %lld]", i, y, xx, ch);
        PyObject *value = PyFloat_FromDouble((double)v);
        if (isnan(v))
            PyErr_Format(PyExc_ValueError, "%s is NaN: float32 pixels must be numbers in [0, 1]", where);
        else if (value)
            PyErr_Format(PyExc_ValueError, "%s = %R: float32 pixels must lie in [0, 1] (divide 8-bit values by 255, "
                                           "or pass them as uint8)",
                         where, value);
        Py_XDECREF(value);
        free(pix);
        Py_DECREF(src);
        return NULL;
    }
    Py_DECREF(src);
    rcc_py_images *im = images_alloc();
    if (!im) {
        free(pix);
        return NULL;
    }
    im->d.n = (int)n, im->d.c = (int)c, im->d.h = (int)h, im->d.w = (int)w;
    if (u8)
        im->d.u8 = pix;
    else
        im->d.pix = pix;
    if (attach_labels(&im->d, labels) < 0) {
        Py_DECREF(im);
        return NULL;
    }
    return (PyObject *)im;
}

/* ---------------------------------------------------------------- loading with the library's readers */

typedef struct {
    long decoded;
    const char *folder;
} progress_arg;

typedef struct {
    const char *path, *why;
} broken_arg;

static PyObject *progress_event(const void *arg)
{
    const progress_arg *p = arg;
    PyObject *folder = p->folder ? PyUnicode_DecodeFSDefault(p->folder) : Py_NewRef(Py_None);
    return folder ? Py_BuildValue("{ssslsN}", "kind", "load", "decoded", p->decoded, "folder", folder) : NULL;
}

static PyObject *broken_event(const void *arg)
{
    const broken_arg *b = arg;
    PyObject *path = PyUnicode_DecodeFSDefault(b->path);
    return path ? Py_BuildValue("{sssNss}", "kind", "broken", "path", path, "why", b->why) : NULL;
}

static void on_progress(long decoded, const char *folder, void *user)
{
    progress_arg p = {decoded, folder};
    rcc_py_call_event(user, progress_event, &p);
}

static void on_broken(const char *path, const char *why, void *user)
{
    broken_arg b = {path, why};
    rcc_py_call_event(user, broken_event, &b);
}

/* paths: a sequence of str, bytes or path-like objects into FS-encoded bytes (a new list, NULL for
 * None entries when allow_none), and their char pointers into *out (malloc'ed). */
static PyObject *fs_list(PyObject *seq, const char *what, bool allow_none, const char ***out)
{
    PyObject *fast = PySequence_Fast(seq, what);
    if (!fast)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject *list = PyList_New(n);
    *out = list ? calloc((size_t)(n ? n : 1), sizeof **out) : NULL;
    if (list && !*out)
        PyErr_NoMemory();
    for (Py_ssize_t i = 0; *out && i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, i), *b = NULL;
        if (allow_none && item == Py_None) {
            PyList_SET_ITEM(list, i, Py_NewRef(Py_None));
            continue;
        }
        if (!PyUnicode_FSConverter(item, &b)) {
            free(*out);
            *out = NULL;
            break;
        }
        PyList_SET_ITEM(list, i, b);
        (*out)[i] = PyBytes_AS_STRING(b);
    }
    Py_DECREF(fast);
    if (!*out)
        Py_CLEAR(list);
    return list;
}

static PyObject *images_load(PyObject *cls, PyObject *args, PyObject *kw)
{
    (void)cls;
    static char *keys[] = {"paths", "labels", "strict", "max_broken", "callback", NULL};
    PyObject *paths, *labels = Py_None, *callback = Py_None;
    int strict = 0;
    double max_broken = 0.05;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OpdO:load", keys, &paths, &labels, &strict, &max_broken, &callback))
        return NULL;
    const char **pv = NULL, **lv = NULL;
    PyObject *pl = fs_list(paths, "paths must be a sequence of paths", false, &pv), *ll = NULL;
    if (!pl)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(pl);
    if (n == 0 || n > INT_MAX) {
        Py_DECREF(pl);
        free(pv);
        return PyErr_Format(PyExc_ValueError, "%s paths given", n ? "too many" : "no");
    }
    if (labels != Py_None) {
        ll = fs_list(labels, "labels must be a sequence of label-file paths (or None)", true, &lv);
        if (ll && PyList_GET_SIZE(ll) != n) {
            PyErr_Format(PyExc_ValueError, "%zd label files for %zd data sources", PyList_GET_SIZE(ll), n);
            Py_CLEAR(ll);
        }
        if (!ll) {
            Py_DECREF(pl);
            free(pv);
            free(lv);
            return NULL;
        }
    }
    rcc_py_images *im = images_alloc();
    if (!im) {
        Py_DECREF(pl), Py_XDECREF(ll);
        free(pv), free(lv);
        return NULL;
    }
    rcc_load_options o = rcc_load_defaults();
    o.skip_broken = !strict;
    o.max_broken = max_broken;
    o.on_broken = on_broken;
    o.on_progress = on_progress;
    rcc_py_call call;
    o.user = &call;
    o.stop = &call.stop; /* Ctrl-C or an exception in the callback stops the load at the next file */
    rcc_status st;
    rcc_py_call_begin(&call, callback);
    st = rcc_dataset_load_opts(&im->d, pv, (int)n, lv, &o, &im->report);
    int failed = rcc_py_call_end(&call);
    Py_DECREF(pl), Py_XDECREF(ll);
    free(pv), free(lv);
    if (failed < 0 || st != RCC_OK) { /* an exception from a callback or a signal comes first */
        if (failed == 0)
            rcc_py_raise(st);
        Py_DECREF(im);
        return NULL;
    }
    im->has_report = true;
    return (PyObject *)im;
}

/* ---------------------------------------------------------------- new sets from a set */

/* A copy of im (rcc_dataset_subset of every image), or NULL with an exception set. */
static rcc_py_images *images_copy(const rcc_py_images *im)
{
    int *all = malloc(sizeof(int) * (size_t)im->d.n);
    rcc_py_images *out = all ? images_alloc() : NULL;
    if (!all) {
        PyErr_NoMemory();
        return NULL;
    }
    if (!out) {
        free(all);
        return NULL;
    }
    for (int i = 0; i < im->d.n; i++)
        all[i] = i;
    rcc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = rcc_dataset_subset(&im->d, all, im->d.n, &out->d);
    Py_END_ALLOW_THREADS
    free(all);
    if (st != RCC_OK) {
        Py_DECREF(out);
        return (rcc_py_images *)rcc_py_raise(st);
    }
    return out;
}

static PyObject *images_converted(PyObject *self, PyObject *args)
{
    int channels;
    if (!PyArg_ParseTuple(args, "i:converted", &channels))
        return NULL;
    if (channels != 1 && channels != 3)
        return PyErr_Format(PyExc_ValueError, "channels must be 1 or 3, not %d", channels);
    rcc_py_images *out = images_copy((rcc_py_images *)self);
    if (!out)
        return NULL;
    rcc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = rcc_dataset_convert_channels(&out->d, channels);
    Py_END_ALLOW_THREADS
    if (st != RCC_OK) {
        Py_DECREF(out);
        return rcc_py_raise(st);
    }
    return (PyObject *)out;
}

static PyObject *images_with_labels(PyObject *self, PyObject *args)
{
    PyObject *labels;
    if (!PyArg_ParseTuple(args, "O:with_labels", &labels))
        return NULL;
    rcc_py_images *out = images_copy((rcc_py_images *)self);
    if (out && labels == Py_None) {
        free(out->d.labels);
        out->d.labels = NULL;
        out->d.num_classes = 0;
    } else if (out && attach_labels(&out->d, labels) < 0) {
        Py_CLEAR(out);
    }
    return (PyObject *)out;
}

/* ---------------------------------------------------------------- reading it back */

static PyObject *images_to_array(PyObject *self, PyObject *args)
{
    (void)args;
    const rcc_dataset *d = &((rcc_py_images *)self)->d;
    npy_intp dims[4] = {d->n, d->h, d->w, d->c};
    bool u8 = d->u8 != NULL;
    PyArrayObject *a = (PyArrayObject *)PyArray_SimpleNew(d->c == 1 ? 3 : 4, dims, u8 ? NPY_UINT8 : NPY_FLOAT32);
    if (!a)
        return NULL;
    size_t hw = (size_t)d->h * d->w, c = (size_t)d->c, per = c * hw;
    char *dst = PyArray_DATA(a);
    const char *src = u8 ? (const char *)d->u8 : (const char *)d->pix;
    size_t es = u8 ? 1 : sizeof(float);
    Py_BEGIN_ALLOW_THREADS
    if (c == 1)
        memcpy(dst, src, (size_t)d->n * per * es);
    else
        for (size_t i = 0; i < (size_t)d->n; i++)
            for (size_t p = 0; p < hw; p++)
                for (size_t ch = 0; ch < c; ch++)
                    memcpy(dst + (i * per + p * c + ch) * es, src + (i * per + ch * hw + p) * es, es);
    Py_END_ALLOW_THREADS
    return (PyObject *)a;
}

static PyObject *get_labels(PyObject *self, void *closure)
{
    (void)closure;
    const rcc_dataset *d = &((rcc_py_images *)self)->d;
    if (!d->labels)
        Py_RETURN_NONE;
    npy_intp n = d->n;
    PyArrayObject *a = (PyArrayObject *)PyArray_SimpleNew(1, &n, NPY_INT32);
    if (a)
        memcpy(PyArray_DATA(a), d->labels, sizeof(int) * (size_t)d->n);
    return (PyObject *)a;
}

static PyObject *get_names(PyObject *self, void *closure)
{
    (void)closure;
    const rcc_dataset *d = &((rcc_py_images *)self)->d;
    if (!d->names)
        Py_RETURN_NONE;
    PyObject *l = PyList_New(d->n);
    for (int i = 0; l && i < d->n; i++) {
        PyObject *s = PyUnicode_DecodeFSDefault(d->names[i] ? d->names[i] : "");
        if (!s)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, i, s);
    }
    return l;
}

static PyObject *get_report(PyObject *self, void *closure)
{
    (void)closure;
    const rcc_py_images *im = (const rcc_py_images *)self;
    if (!im->has_report)
        Py_RETURN_NONE;
    const rcc_data_report *r = &im->report;
    return Py_BuildValue("{sisssisisOsiss}", "skipped_files", r->skipped_files, "first_skipped", r->first_skipped,
                         "resized", r->resized, "gray_to_rgb", r->gray_to_rgb, "labels_dropped",
                         r->labels_dropped ? Py_True : Py_False, "broken_files", r->broken_files, "first_broken",
                         r->first_broken);
}

static PyObject *get_int(PyObject *self, void *closure)
{
    const rcc_dataset *d = &((rcc_py_images *)self)->d;
    const char *what = closure;
    int v = what[0] == 'n' ? d->n : what[0] == 'c' ? d->c : what[0] == 'h' ? d->h : what[0] == 'w' ? d->w
                                                                                            : d->num_classes;
    return PyLong_FromLong(v);
}

static PyObject *get_dtype(PyObject *self, void *closure)
{
    (void)closure;
    return PyUnicode_FromString(((rcc_py_images *)self)->d.u8 ? "uint8" : "float32");
}

static Py_ssize_t images_len(PyObject *self) { return ((rcc_py_images *)self)->d.n; }

static PyObject *images_repr(PyObject *self)
{
    const rcc_dataset *d = &((rcc_py_images *)self)->d;
    char lab[48] = "unlabelled";
    if (d->labels)
        snprintf(lab, sizeof lab, "labelled, %d classes", d->num_classes);
    char buf[160];
    snprintf(buf, sizeof buf, "<rcc.ImageSet: %d images of %d×%d, %s, %s, %s>", d->n, d->h, d->w,
             d->c == 1 ? "gray" : "colour", d->u8 ? "uint8" : "float32", lab);
    return PyUnicode_FromString(buf);
}

static PyGetSetDef getset[] = {
    {"n", get_int, NULL, "number of images", "n"},
    {"channels", get_int, NULL, "1 (gray) or 3 (colour)", "c"},
    {"height", get_int, NULL, "image height in pixels", "h"},
    {"width", get_int, NULL, "image width in pixels", "w"},
    {"num_classes", get_int, NULL, "largest label + 1, or 0 without labels", "k"},
    {"dtype", get_dtype, NULL, "'uint8' (pixel b means b / 255) or 'float32' (values in [0, 1])", NULL},
    {"labels", get_labels, NULL, "int32 array of the labels, or None", NULL},
    {"names", get_names, NULL, "the image file of each image (folders and image files), or None", NULL},
    {"report", get_report, NULL, "what loading did quietly (skipped and broken files, conversions), or None", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef images_methods[] = {
    {"from_array", RCC_PY_KW(images_from_array), METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     "from_array(images, labels=None): a copy of an N×H×W or N×H×W×C uint8/float32 array"},
    {"load", RCC_PY_KW(images_load), METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     "load(paths, labels=None, strict=False, max_broken=0.05, callback=None): the library's readers"},
    {"converted", images_converted, METH_VARARGS, "converted(channels): a copy with 1 or 3 channels"},
    {"with_labels", images_with_labels, METH_VARARGS, "with_labels(labels): a copy with these labels (or None)"},
    {"to_array", images_to_array, METH_NOARGS, "the images as an N×H×W (gray) or N×H×W×3 array"},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods images_seq = {.sq_length = images_len};

PyTypeObject rcc_py_images_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rcc.ImageSet",
    .tp_basicsize = sizeof(rcc_py_images),
    .tp_dealloc = images_dealloc,
    .tp_repr = images_repr,
    .tp_as_sequence = &images_seq,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Images held by librcc (made by rcc.images or ImageSet.from_array / ImageSet.load).",
    .tp_methods = images_methods,
    .tp_getset = getset,
};
