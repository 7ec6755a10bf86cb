/* The log streamer's hot paths (jobfsm/stream.py, LogStream) in C: optional, for speed only.
 *
 *   light_polls(stream, polls, start)  LogStream.polls's light loop over typed polls;
 *   lines(stream, data, lineno)        JSON Lines read straight from their bytes: each line is scanned
 *                                      and, when it is a plain body, judged by the same light step
 *                                      without building any Python object for it but its job key;
 *   evict(stream)                      LogStream._evict.
 *
 * Everything here mirrors the Python code of stream.py on the same data (the job-state lists, the
 * tables, the attributes of the stream, read and written by name) and hands every poll it cannot
 * judge back to it. The scanner accepts only lines that are strict JSON objects of ASCII text
 * without escapes, whose known fields have the types of readers.poll_type; any other line goes back
 * whole to LogStream._line, which decodes it as before. The Python code stays the reference:
 * tests/test_speedups.py runs both on the same logs and requires the same reports.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#ifndef Py_T_OBJECT_EX
#define Py_T_OBJECT_EX T_OBJECT_EX
#endif

/* the slots of a light job state, as in stream.py */
enum { LAST, PROGRESS, RESOURCE, OPERATION, REFERENCED, DONE, POLLS, POS, SEQ, CHECK, KEY, SLOTS };

/* ---------------------------------------------------------------- job states */

/* A light job state: stream.py's list of slots as C fields, read and written by index from Python too
 * (s[_LAST], s[_CHECK] = ...). One small object a job, no int or float objects made a poll. */
typedef struct {
    PyObject_HEAD
    PyObject *last, *resource, *operation, *check, *key; /* never NULL: None when unset */
    double progress;
    Py_ssize_t polls, pos, seq;
    unsigned long long stream; /* the stream whose tables hold it (0: none known) */
    char has_progress, referenced, done, finished;
} State;

static PyTypeObject State_Type;

static State *
state_new(PyObject *key, Py_ssize_t seq, unsigned long long stream)
{
    State *s = PyObject_New(State, &State_Type);
    if (s == NULL)
        return NULL;
    s->last = Py_NewRef(Py_None);
    s->resource = Py_NewRef(Py_None);
    s->operation = Py_NewRef(Py_None);
    s->check = Py_NewRef(Py_None);
    s->key = Py_NewRef(key);
    s->progress = 0.0;
    s->polls = s->pos = 0;
    s->seq = seq;
    s->stream = stream;
    s->has_progress = s->referenced = s->done = s->finished = 0;
    return s;
}

static PyObject *
State_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *key;
    Py_ssize_t seq;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "State(key, seq) takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "On:State", &key, &seq))
        return NULL;
    return (PyObject *)state_new(key, seq, 0);
}

static void
State_dealloc(State *s)
{
    Py_DECREF(s->last);
    Py_DECREF(s->resource);
    Py_DECREF(s->operation);
    Py_DECREF(s->check);
    Py_DECREF(s->key);
    PyObject_Free(s);
}

static Py_ssize_t
State_length(PyObject *self)
{
    return SLOTS;
}

static PyObject *
State_item(State *s, Py_ssize_t i)
{
    switch (i) {
    case LAST: return Py_NewRef(s->last);
    case PROGRESS: return s->has_progress ? PyFloat_FromDouble(s->progress) : Py_NewRef(Py_None);
    case RESOURCE: return Py_NewRef(s->resource);
    case OPERATION: return Py_NewRef(s->operation);
    case REFERENCED: return PyBool_FromLong(s->referenced);
    case DONE: return PyBool_FromLong(s->done);
    case POLLS: return PyLong_FromSsize_t(s->polls);
    case POS: return PyLong_FromSsize_t(s->pos);
    case SEQ: return PyLong_FromSsize_t(s->seq);
    case CHECK: return Py_NewRef(s->check);
    case KEY: return Py_NewRef(s->key);
    }
    PyErr_SetString(PyExc_IndexError, "State index out of range");
    return NULL;
}

static int
State_ass_item(State *s, Py_ssize_t i, PyObject *v)
{
    if (v == NULL) {
        PyErr_SetString(PyExc_TypeError, "State slots cannot be deleted");
        return -1;
    }
    PyObject **field = NULL;
    switch (i) {
    case LAST: field = &s->last; break;
    case RESOURCE: field = &s->resource; break;
    case OPERATION: field = &s->operation; break;
    case CHECK: field = &s->check; break;
    case KEY: field = &s->key; break;
    case PROGRESS:
        if (v == Py_None) {
            s->has_progress = 0;
            return 0;
        }
        s->progress = PyFloat_AsDouble(v);
        if (s->progress == -1.0 && PyErr_Occurred())
            return -1;
        s->has_progress = 1;
        return 0;
    case REFERENCED:
    case DONE: {
        int b = PyObject_IsTrue(v);
        if (b < 0)
            return -1;
        *(i == DONE ? &s->done : &s->referenced) = (char)b;
        return 0;
    }
    case POLLS:
    case POS:
    case SEQ: {
        Py_ssize_t n = PyLong_AsSsize_t(v);
        if (n == -1 && PyErr_Occurred())
            return -1;
        *(i == POLLS ? &s->polls : i == POS ? &s->pos : &s->seq) = n;
        return 0;
    }
    default:
        PyErr_SetString(PyExc_IndexError, "State index out of range");
        return -1;
    }
    Py_SETREF(*field, Py_NewRef(v));
    return 0;
}

static PySequenceMethods State_as_sequence = {
    .sq_length = State_length,
    .sq_item = (ssizeargfunc)State_item,
    .sq_ass_item = (ssizeobjargproc)State_ass_item,
};

static PyTypeObject State_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "jobfsm._speedups.State",
    .tp_basicsize = sizeof(State),
    .tp_dealloc = (destructor)State_dealloc,
    .tp_as_sequence = &State_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "State(key, seq): a light job state, indexed like stream.py's lists (no reference cycles: not "
              "tracked by the cyclic collector).",
    .tp_new = State_new,
};

/* the state `o` as a State, or NULL with a TypeError */
static inline State *
as_state(PyObject *o)
{
    if (Py_IS_TYPE(o, &State_Type))
        return (State *)o;
    PyErr_SetString(PyExc_TypeError, "jobfsm._speedups: a job state must be a State");
    return NULL;
}

/* ---------------------------------------------------------------- the stream's attributes */

enum { A_OPEN, A_ENDED, A_HELD, A_MOVES, A_SUCCESS, A_TERMINAL, A_EXACT, A_FULL, A_FULL_FIELDS, A_LINE,
       A_EMIT, A_REPORT, A_SOURCE, A_JOB_KEY, A_CLEAN, A_DONE, A_OBJECTS, A_SEQ = A_OBJECTS, A_NEXT, A_WINDOW,
       A_UNKEYED, A_KEYED, A_SERIAL, A_CLEAN_JOBS, A_CLEAN_POLLS, A_DONE_AT, A_ALL };
static const char *attr_strings[A_ALL] = {"open", "ended", "_held", "_moves", "_success", "_terminal", "_exact",
                                          "_full", "_full_fields", "_line", "_emit", "_report", "_source",
                                          "_job_key", "_clean", "_done", "_seq", "_next", "_window",
                                          "unkeyed_polls", "keyed", "_serial", "clean_jobs", "clean_polls",
                                          "_done_at"};
static PyObject *attr_names[A_ALL];
static PyObject *report_type; /* jobfsm.report.JobReport */
static PyObject *empty_tuple;

/* A stream's tables, read once per call (not per poll), and its counters. The spec's own status strings
 * are listed with what the tables say of them, so that a poll looks them up by identity, not by hash. */
#define KNOWN 32
typedef struct {
    PyObject *obj;
    PyObject *o[A_OBJECTS];
    Py_ssize_t seq, next, window, unkeyed, clean_jobs, clean_polls, done_at;
    unsigned long long serial; /* the stream's own number, never reused in a process */
    int keyed;
    int known;                  /* 0 when the spec has more statuses than KNOWN */
    PyObject *status[KNOWN];    /* borrowed from the exact table */
    PyObject *moves_of[KNOWN];  /* borrowed from the moves table, or NULL */
    char success[KNOWN], terminal[KNOWN];
} Stream;

/* the index of a spec status string in st->status, or -1 */
static inline int
known(const Stream *st, PyObject *status)
{
    for (int i = 0; i < st->known; i++) {
        if (st->status[i] == status)
            return i;
    }
    return -1;
}

/* is `status` in the success (or terminal) set? -1 on error */
static inline int
in_set(const Stream *st, PyObject *status, int terminal)
{
    int i = known(st, status);
    if (i >= 0)
        return terminal ? st->terminal[i] : st->success[i];
    return PySet_Contains(st->o[terminal ? A_TERMINAL : A_SUCCESS], status);
}

/* the moves table of `last` (borrowed), NULL with an exception when there is none */
static inline PyObject *
moves_of(const Stream *st, PyObject *last)
{
    int i = known(st, last);
    if (i >= 0 && st->moves_of[i] != NULL)
        return st->moves_of[i];
    PyObject *table = PyDict_GetItemWithError(st->o[A_MOVES], last);
    if (table == NULL && !PyErr_Occurred())
        PyErr_SetObject(PyExc_KeyError, last);
    return table;
}

static int
list_known(Stream *st)
{
    PyObject *exact = st->o[A_EXACT], *name, *canon;
    st->known = 0;
    if (PyDict_GET_SIZE(exact) > KNOWN)
        return 0;
    Py_ssize_t it = 0;
    int n = 0;
    while (PyDict_Next(exact, &it, &name, &canon)) {
        int success = PySet_Contains(st->o[A_SUCCESS], canon), terminal = PySet_Contains(st->o[A_TERMINAL], canon);
        if (success < 0 || terminal < 0)
            return -1;
        PyObject *moves = PyDict_GetItemWithError(st->o[A_MOVES], canon);
        if (moves == NULL && PyErr_Occurred())
            return -1;
        st->status[n] = canon;
        st->moves_of[n] = moves != NULL && PyDict_CheckExact(moves) ? moves : NULL;
        st->success[n] = (char)success;
        st->terminal[n] = (char)terminal;
        n++;
    }
    st->known = n;
    return 0;
}

static void
stream_clear(Stream *st)
{
    for (int i = 0; i < A_OBJECTS; i++)
        Py_CLEAR(st->o[i]);
}

static Py_ssize_t
int_attr(PyObject *obj, int name)
{
    PyObject *v = PyObject_GetAttr(obj, attr_names[name]);
    if (v == NULL)
        return -1;
    Py_ssize_t n = PyLong_AsSsize_t(v);
    Py_DECREF(v);
    return n;
}

static int
set_int_attr(PyObject *obj, int name, Py_ssize_t n)
{
    PyObject *v = PyLong_FromSsize_t(n);
    if (v == NULL)
        return -1;
    int r = PyObject_SetAttr(obj, attr_names[name], v);
    Py_DECREF(v);
    return r;
}

/* 0, or -1 with an exception set */
static int
stream_load(PyObject *obj, Stream *st)
{
    memset(st, 0, sizeof(*st));
    st->obj = obj;
    for (int i = 0; i < A_OBJECTS; i++) {
        if ((st->o[i] = PyObject_GetAttr(obj, attr_names[i])) == NULL)
            goto error;
    }
    if (!PyDict_CheckExact(st->o[A_OPEN]) || !PyDict_CheckExact(st->o[A_ENDED]) || !PyDict_CheckExact(st->o[A_HELD])
        || !PyDict_CheckExact(st->o[A_MOVES]) || !PyAnySet_Check(st->o[A_SUCCESS])
        || !PyAnySet_Check(st->o[A_TERMINAL]) || !PyDict_CheckExact(st->o[A_EXACT])
        || !PyUnicode_Check(st->o[A_JOB_KEY]) || !PyByteArray_CheckExact(st->o[A_DONE])) {
        PyErr_SetString(PyExc_TypeError, "jobfsm._speedups: not a LogStream");
        goto error;
    }
    st->seq = int_attr(obj, A_SEQ);
    st->window = int_attr(obj, A_WINDOW);
    st->serial = (unsigned long long)int_attr(obj, A_SERIAL);
    if (PyErr_Occurred() || list_known(st) < 0)
        goto error;
    return 0;
error:
    stream_clear(st);
    return -1;
}

/* The stream's seq written back before Python code runs, since that code may read it. */
static inline int
sync_seq(Stream *st)
{
    return set_int_attr(st->obj, A_SEQ, st->seq);
}

/* fn(*args) with seq written back before and read again after (Python code may open jobs): 0 or -1 */
static int
call_back(Stream *st, PyObject *fn, PyObject *const *args, size_t n)
{
    if (sync_seq(st) < 0)
        return -1;
    PyObject *done = PyObject_Vectorcall(fn, args, n, NULL);
    if (done == NULL)
        return -1;
    Py_DECREF(done);
    st->seq = int_attr(st->obj, A_SEQ);
    return st->seq == -1 && PyErr_Occurred() ? -1 : 0;
}

/* Release the tables; write seq back, even after an error (its exception is kept). Returns `ok`. */
static PyObject *
stream_done(Stream *st, PyObject *ok)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (sync_seq(st) < 0 && ok != NULL)
        Py_CLEAR(ok);
    if (type != NULL)
        PyErr_Restore(type, value, tb);
    stream_clear(st);
    return ok;
}

/* ---------------------------------------------------------------- emission and eviction */

static PyObject *job_report(PyObject *source, PyObject *job, PyObject *ok, PyObject *final, PyObject *polls,
                            PyObject *violations);

/* Release the report on the job whose state is `s` in first-appearance order: it waits in `_held` until
 * every job that appeared before it is finished (`_done` says which are, a byte a job from `_next`).
 * `report` (stolen) is NULL for a light job with nothing to report, made here unless the stream only
 * counts such jobs (its `_clean`), as it counts every report without violations. 0 or -1. */
static int
release(Stream *st, State *s, PyObject *report)
{
    PyObject *job = report != NULL ? PyTuple_GET_ITEM(report, 1) : s->key, *held = st->o[A_HELD];
    Py_ssize_t polls = s->polls;
    if (report != NULL && (polls = PyLong_AsSsize_t(PyTuple_GET_ITEM(report, 4))) == -1 && PyErr_Occurred())
        goto error;
    if (job == Py_None)
        st->unkeyed += polls;
    else
        st->keyed = 1;
    int counted = st->o[A_CLEAN] != Py_None && (report == NULL || (PyTuple_Check(PyTuple_GET_ITEM(report, 5))
                                                                    && PyTuple_GET_SIZE(PyTuple_GET_ITEM(report, 5)) == 0));
    if (counted) {
        st->clean_jobs++;
        st->clean_polls += polls;
        Py_CLEAR(report);
    } else if (report == NULL) {
        PyObject *n = PyLong_FromSsize_t(s->polls);
        report = n == NULL ? NULL : job_report(st->o[A_SOURCE], s->key, Py_True, s->last, n, empty_tuple);
        Py_XDECREF(n);
        if (report == NULL)
            return -1;
    }
    if (report != NULL) {
        PyObject *key = PyLong_FromSsize_t(s->seq);
        int r = key == NULL ? -1 : PyDict_SetItem(held, key, report);
        Py_XDECREF(key);
        Py_CLEAR(report);
        if (r < 0)
            return -1;
    }
    PyObject *done = st->o[A_DONE];
    Py_ssize_t i = s->seq - st->next + st->done_at, size = PyByteArray_GET_SIZE(done);
    if (i < st->done_at) {
        PyErr_SetString(PyExc_RuntimeError, "jobfsm._speedups: a job finished twice");
        return -1;
    }
    if (i >= size) {
        Py_ssize_t grown = i + 1 > 2 * size ? i + 1 : 2 * size;
        if (PyByteArray_Resize(done, grown) < 0)
            return -1;
        memset(PyByteArray_AS_STRING(done) + size, 0, (size_t)(grown - size));
        size = grown;
    }
    PyByteArray_AS_STRING(done)[i] = 1;
    while (st->done_at < PyByteArray_GET_SIZE(done) && PyByteArray_AS_STRING(done)[st->done_at]) {
        if (PyDict_GET_SIZE(held) != 0) {
            PyObject *key = PyLong_FromSsize_t(st->next);
            if (key == NULL)
                return -1;
            PyObject *shown = PyDict_GetItemWithError(held, key);
            if (shown == NULL && PyErr_Occurred()) {
                Py_DECREF(key);
                return -1;
            }
            if (shown != NULL) {
                Py_INCREF(shown);
                int r = PyDict_DelItem(held, key);
                PyObject *out = r < 0 ? NULL : PyObject_CallOneArg(st->o[A_EMIT], shown);
                Py_DECREF(shown);
                Py_XDECREF(out);
                if (out == NULL) {
                    Py_DECREF(key);
                    return -1;
                }
            }
            Py_DECREF(key);
        }
        st->next++;
        st->done_at++;
    }
    size = PyByteArray_GET_SIZE(done);
    if (st->done_at > 4096 && 2 * st->done_at > size) { /* drop what every job has passed */
        char *d = PyByteArray_AS_STRING(done);
        memmove(d, d + st->done_at, (size_t)(size - st->done_at));
        if (PyByteArray_Resize(done, size - st->done_at) < 0)
            return -1;
        st->done_at = 0;
    }
    return 0;
error:
    Py_XDECREF(report);
    return -1;
}

/* JobReport(source, job, ok, final, polls, violations), made as tuple.__new__ makes a tuple subclass's
 * instance, without a call of the NamedTuple's Python __new__ */
static PyObject *
job_report(PyObject *source, PyObject *job, PyObject *ok, PyObject *final, PyObject *polls, PyObject *violations)
{
    PyTypeObject *type = (PyTypeObject *)report_type;
    PyObject *t = type->tp_alloc(type, 6);
    if (t == NULL)
        return NULL;
    PyObject *items[6] = {source, job, ok, final, polls, violations};
    int atoms = 1;
    for (Py_ssize_t i = 0; i < 6; i++) {
        PyTuple_SET_ITEM(t, i, Py_NewRef(items[i]));
        atoms = atoms && !(PyObject_IS_GC(items[i]) && (!PyTuple_CheckExact(items[i]) || PyTuple_GET_SIZE(items[i])));
    }
    /* a tuple of strings and numbers holds no cycle: untracked now, as the collector would on its first
     * pass, so that a long list of reports costs it nothing */
    if (atoms)
        PyObject_GC_UnTrack(t);
    return t;
}

/* Finish the job `job` of table `ended` whose state is `o`: taken out of the table, its report made and
 * released. 0 or -1. */
static int
finish_one(Stream *st, PyObject *ended, PyObject *job, PyObject *o)
{
    State *s = as_state(o);
    if (s == NULL)
        return -1;
    if (PyDict_DelItem(ended, job) < 0) {
        if (!PyErr_ExceptionMatches(PyExc_KeyError))
            return -1;
        PyErr_Clear(); /* a callback finished it already */
        return 0;
    }
    s->finished = 1;
    int light = s->check == Py_None;
    if (light && (light = in_set(st, s->last, 1)) < 0)
        return -1;
    if (light) /* nothing to report */
        return release(st, s, NULL);
    PyObject *report = PyObject_CallOneArg(st->o[A_REPORT], o);
    if (report != NULL && (!PyTuple_Check(report) || PyTuple_GET_SIZE(report) != 6)) {
        PyErr_SetString(PyExc_TypeError, "jobfsm._speedups: a job report must be a JobReport");
        Py_CLEAR(report);
    }
    return report == NULL ? -1 : release(st, s, report);
}

/* The older jobs of `ended` (a table of job states) finished, keeping the `keep` newest; 0 or -1. */
static int
evict_some(Stream *st, PyObject *ended, Py_ssize_t keep)
{
    Py_ssize_t count = PyDict_GET_SIZE(ended) - keep;
    if (count <= 0)
        return 0;
    /* (job, state) pairs, taken out first since callbacks run while they finish, and let go one by one:
     * a finished state (and the JobCheck its report needed) is freed at once, not at the end */
    PyObject **jobs = PyMem_Malloc((size_t)count * 2 * sizeof(PyObject *));
    if (jobs == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t i = 0, it = 0;
    PyObject *key, *value;
    while (i < count && PyDict_Next(ended, &it, &key, &value)) {
        jobs[2 * i] = Py_NewRef(key);
        jobs[2 * i + 1] = Py_NewRef(value);
        i++;
    }
    Py_ssize_t j = 0;
    int r = 0;
    for (; j < i && r == 0; j++) {
        r = finish_one(st, ended, jobs[2 * j], jobs[2 * j + 1]);
        Py_CLEAR(jobs[2 * j]);
        Py_CLEAR(jobs[2 * j + 1]);
    }
    for (; j < i; j++) {
        Py_DECREF(jobs[2 * j]);
        Py_DECREF(jobs[2 * j + 1]);
    }
    PyMem_Free(jobs);
    return r;
}

/* evict_some with the release counters read from the stream before and written back after: the ended
 * jobs but the `window` newest, or with `all`, every job, ended then open. */
static int
evict_jobs(Stream *st, int all)
{
    if (sync_seq(st) < 0)
        return -1;
    st->next = int_attr(st->obj, A_NEXT);
    st->unkeyed = int_attr(st->obj, A_UNKEYED);
    st->clean_jobs = int_attr(st->obj, A_CLEAN_JOBS);
    st->clean_polls = int_attr(st->obj, A_CLEAN_POLLS);
    st->done_at = int_attr(st->obj, A_DONE_AT);
    if (PyErr_Occurred())
        return -1;
    PyObject *keyed = PyObject_GetAttr(st->obj, attr_names[A_KEYED]);
    if (keyed == NULL)
        return -1;
    st->keyed = PyObject_IsTrue(keyed);
    Py_DECREF(keyed);
    if (st->keyed < 0)
        return -1;
    int r = all ? evict_some(st, st->o[A_ENDED], 0) : evict_some(st, st->o[A_ENDED], st->window);
    if (r == 0 && all)
        r = evict_some(st, st->o[A_OPEN], 0);
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (set_int_attr(st->obj, A_NEXT, st->next) < 0 || set_int_attr(st->obj, A_UNKEYED, st->unkeyed) < 0
        || set_int_attr(st->obj, A_CLEAN_JOBS, st->clean_jobs) < 0
        || set_int_attr(st->obj, A_CLEAN_POLLS, st->clean_polls) < 0
        || set_int_attr(st->obj, A_DONE_AT, st->done_at) < 0
        || PyObject_SetAttr(st->obj, attr_names[A_KEYED], st->keyed ? Py_True : Py_False) < 0) {
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return -1;
    }
    if (type != NULL)
        PyErr_Restore(type, value, tb);
    return r;
}

/* ---------------------------------------------------------------- values of a poll */

/* A string field of a poll: absent or null (both None), a str object, or ASCII bytes in the input. */
typedef struct {
    PyObject *obj;   /* a str, or NULL */
    const char *ptr; /* when obj is NULL and len >= 0: the bytes */
    Py_ssize_t len;  /* -1: None */
} Text;

static inline int
text_none(const Text *t)
{
    return t->obj == NULL && t->len < 0;
}

static inline int
text_empty(const Text *t)
{
    return t->obj != NULL ? PyUnicode_Check(t->obj) && PyUnicode_GET_LENGTH(t->obj) == 0 : t->len == 0;
}

/* t == s for a str s: 1, 0, or -1 on error */
static inline int
text_equal(const Text *t, PyObject *s)
{
    if (t->obj != NULL) {
        if (t->obj == s)
            return 1;
        if (PyUnicode_CheckExact(t->obj) && PyUnicode_CheckExact(s)) {
            Py_ssize_t n = PyUnicode_GET_LENGTH(s);
            return PyUnicode_GET_LENGTH(t->obj) == n && PyUnicode_KIND(t->obj) == PyUnicode_KIND(s)
                   && memcmp(PyUnicode_DATA(t->obj), PyUnicode_DATA(s), (size_t)n * PyUnicode_KIND(s)) == 0;
        }
        return PyObject_RichCompareBool(t->obj, s, Py_EQ);
    }
    if (PyUnicode_CheckExact(s) && PyUnicode_IS_COMPACT_ASCII(s))
        return PyUnicode_GET_LENGTH(s) == t->len && memcmp(PyUnicode_1BYTE_DATA(s), t->ptr, (size_t)t->len) == 0;
    if (!PyUnicode_Check(s))
        return 0;
    PyObject *o = PyUnicode_DecodeASCII(t->ptr, t->len, NULL);
    if (o == NULL)
        return -1;
    int r = PyObject_RichCompareBool(o, s, Py_EQ);
    Py_DECREF(o);
    return r;
}

/* a new reference: the str, or None */
static inline PyObject *
text_object(const Text *t)
{
    if (t->obj != NULL)
        return Py_NewRef(t->obj);
    if (t->len < 0)
        return Py_NewRef(Py_None);
    return PyUnicode_DecodeASCII(t->ptr, t->len, NULL);
}

/* the fields of one poll */
typedef struct {
    Text status, rid, rloc, op;
    double p; /* the progress, when has_p */
    int has_p;
} Poll;

/* ---------------------------------------------------------------- the light step */

/* The state of `job` (borrowed): open, else ended, else new and open. NULL on error. */
static State *
state_of(Stream *st, PyObject *job)
{
    PyObject *o = PyDict_GetItemWithError(st->o[A_OPEN], job);
    if (o == NULL && !PyErr_Occurred())
        o = PyDict_GetItemWithError(st->o[A_ENDED], job);
    if (o != NULL)
        return as_state(o);
    if (PyErr_Occurred())
        return NULL;
    State *s = state_new(job, st->seq, st->serial);
    if (s == NULL)
        return NULL;
    int r = PyDict_SetItem(st->o[A_OPEN], job, (PyObject *)s);
    Py_DECREF(s); /* the dict holds it */
    if (r < 0)
        return NULL;
    st->seq++;
    return s;
}

/* One poll of the job whose state is `s`, as LogStream.polls's loop judges it: 0 judged, 1 to be handed
 * to the full check (nothing changed), -1 on error. */
static int
light_step(Stream *st, State *s, PyObject *job, Poll *poll, Py_ssize_t at)
{
    PyObject *last = s->last;
    int same, reset = 0, r;
    PyObject *canon = NULL; /* the spec's own string for a change: a poll's copy would pin its block */
    if (PyUnicode_CheckExact(last)) {
        if ((same = text_equal(&poll->status, last)) < 0)
            return -1;
    } else {
        same = 0;
    }
    if (!same) {
        PyObject *table = moves_of(st, last);
        if (table == NULL)
            return -1;
        /* the statuses the job may move to are few: compared, not hashed */
        PyObject *status = NULL, *resets = NULL;
        Py_ssize_t it = 0;
        while (PyDict_Next(table, &it, &status, &resets)) {
            if ((r = text_equal(&poll->status, status)) < 0)
                return -1;
            if (r)
                break;
            resets = NULL;
        }
        if (resets == NULL)
            return 1;
        canon = known(st, status) >= 0 ? status : PyDict_GetItemWithError(st->o[A_EXACT], status);
        if (canon == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_KeyError, "jobfsm._speedups: a move to a status the spec lacks");
            return -1;
        }
        if ((reset = PyObject_IsTrue(resets)) < 0)
            return -1;
    }
    if (!text_none(&poll->op) && s->operation != Py_None) {
        if ((r = text_equal(&poll->op, s->operation)) < 0)
            return -1;
        if (!r)
            return 1;
    }
    if (poll->has_p && !reset && s->has_progress && poll->p < s->progress)
        return 1;
    int ref = s->referenced;
    int has_rid = !text_none(&poll->rid), has_rloc = !text_none(&poll->rloc);
    if (has_rid || has_rloc) {
        if ((has_rid && text_empty(&poll->rid)) || (has_rloc && text_empty(&poll->rloc)))
            return 1;
        if (has_rid && s->resource != Py_None) {
            if ((r = text_equal(&poll->rid, s->resource)) < 0)
                return -1;
            if (!r)
                return 1;
        }
        ref = 1;
    }
    int success = 0;
    if (!s->done) {
        if ((success = in_set(st, canon != NULL ? canon : last, 0)) < 0) /* same: the status is last */
            return -1;
        if (success && !ref)
            return 1;
    }
    /* judged: nothing to report; now the state moves */
    if (has_rid || has_rloc) {
        s->referenced = 1;
        if (has_rid) {
            PyObject *rid = text_object(&poll->rid);
            if (rid == NULL)
                return -1;
            Py_SETREF(s->resource, rid);
        }
    }
    if (success)
        s->done = 1;
    if (poll->has_p) {
        s->progress = poll->p;
        s->has_progress = 1;
    } else if (reset) {
        s->has_progress = 0;
    }
    if (!text_none(&poll->op) && s->operation == Py_None) {
        PyObject *op = text_object(&poll->op);
        if (op == NULL)
            return -1;
        Py_SETREF(s->operation, op);
    }
    s->polls++;
    s->pos = at;
    if (canon != NULL) {
        Py_SETREF(s->last, Py_NewRef(canon));
        if ((r = in_set(st, canon, 1)) < 0)
            return -1;
        if (r) { /* a light job only ever turns terminal while open */
            Py_INCREF(s);
            r = PyDict_SetItem(st->o[A_ENDED], job, (PyObject *)s) < 0 || PyDict_DelItem(st->o[A_OPEN], job) < 0;
            Py_DECREF(s);
            if (r || (PyDict_GET_SIZE(st->o[A_ENDED]) >= 2 * st->window && evict_jobs(st, 0) < 0))
                return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- typed polls */

enum { F_JOB, F_STATUS, F_PROGRESS, F_RESOURCE_ID, F_RESOURCE_LOCATION, F_OPERATION, FIELDS };
static const char *field_strings[FIELDS] = {
    "job", "status", "percentageComplete", "resourceId", "resourceLocation", "operation"};
static PyObject *field_names[FIELDS];

/* Where each field of a poll of `type` sits: msgspec keeps Struct fields in slots read by member
 * descriptors at fixed offsets; -1 for a field read with getattr. */
static void
field_offsets(PyTypeObject *type, Py_ssize_t *offsets)
{
    for (int i = 0; i < FIELDS; i++) {
        offsets[i] = -1;
        PyObject *descr = PyObject_GetAttr((PyObject *)type, field_names[i]); /* a descriptor, read on its type */
        if (descr == NULL) {
            PyErr_Clear();
            continue;
        }
        if (Py_IS_TYPE(descr, &PyMemberDescr_Type) && ((PyMemberDescrObject *)descr)->d_member->type == Py_T_OBJECT_EX)
            offsets[i] = ((PyMemberDescrObject *)descr)->d_member->offset;
        Py_DECREF(descr);
    }
}

/* a new reference to field `i` of `rec` */
static inline PyObject *
field(PyObject *rec, PyTypeObject *type, const Py_ssize_t *offsets, int i)
{
    if (Py_TYPE(rec) == type && offsets[i] >= 0) {
        PyObject *v = *(PyObject **)((char *)rec + offsets[i]);
        if (v != NULL)
            return Py_NewRef(v);
    }
    return PyObject_GetAttr(rec, field_names[i]);
}

static inline void
text_of(Text *t, PyObject *v)
{
    t->obj = v == Py_None ? NULL : v;
    t->ptr = NULL;
    t->len = -1;
}

PyDoc_STRVAR(light_polls_doc, "light_polls(stream, polls, start)\n\nLogStream.polls: typed polls at positions from start.");

static PyObject *
light_polls(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyList_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "light_polls(stream, polls: list, start: int)");
        return NULL;
    }
    PyObject *polls = args[1];
    Py_ssize_t start = PyLong_AsSsize_t(args[2]);
    if (start == -1 && PyErr_Occurred())
        return NULL;
    Stream st;
    if (stream_load(args[0], &st) < 0)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(polls), offsets[FIELDS];
    PyTypeObject *type = n > 0 ? Py_TYPE(PyList_GET_ITEM(polls, 0)) : NULL;
    if (type != NULL)
        field_offsets(type, offsets);
    for (Py_ssize_t i = 0; i < n && i < PyList_GET_SIZE(polls); i++) {
        PyObject *rec = Py_NewRef(PyList_GET_ITEM(polls, i)), *v[FIELDS] = {NULL};
        int r = -1;
        for (int f = 0; f < FIELDS; f++) {
            if ((v[f] = field(rec, type, offsets, f)) == NULL)
                goto done;
        }
        Poll poll;
        text_of(&poll.status, v[F_STATUS]);
        text_of(&poll.rid, v[F_RESOURCE_ID]);
        text_of(&poll.rloc, v[F_RESOURCE_LOCATION]);
        text_of(&poll.op, v[F_OPERATION]);
        poll.has_p = v[F_PROGRESS] != Py_None;
        if (poll.has_p && !PyFloat_CheckExact(v[F_PROGRESS])) {
            PyErr_SetString(PyExc_TypeError, "jobfsm._speedups: a typed poll's progress must be a float");
            goto done;
        }
        poll.p = poll.has_p ? PyFloat_AS_DOUBLE(v[F_PROGRESS]) : 0.0;
        if (!PyUnicode_Check(v[F_STATUS])) {
            PyErr_SetString(PyExc_TypeError, "jobfsm._speedups: a typed poll's status must be a str");
            goto done;
        }
        State *s = state_of(&st, v[F_JOB]);
        if (s == NULL)
            goto done;
        Py_INCREF(s);
        r = light_step(&st, s, v[F_JOB], &poll, start + i);
        if (r == 1) {
            PyObject *pos = PyLong_FromSsize_t(start + i);
            PyObject *a[3] = {(PyObject *)s, pos, rec};
            r = pos == NULL ? -1 : call_back(&st, st.o[A_FULL], a, 3);
            Py_XDECREF(pos);
        }
        Py_DECREF(s);
    done:
        Py_DECREF(rec);
        for (int f = 0; f < FIELDS; f++)
            Py_XDECREF(v[f]);
        if (r < 0)
            return stream_done(&st, NULL);
    }
    return stream_done(&st, Py_NewRef(Py_None));
}

/* ---------------------------------------------------------------- the JSON Lines scanner */

/* Job keys met lately, so that a poll of a job seen before costs no new string nor hash: a slot per
 * hash of the key's bytes, the last key that fell there kept. Short keys only. */
#define KEY_SLOTS 4096
#define KEY_CACHED 64
typedef struct {
    PyObject *key;
    State *state; /* the key's state when last met, checked before use: live, and of the same stream */
} Cached;
static Cached key_cache[KEY_SLOTS];

static inline size_t
key_slot(const char *p, Py_ssize_t n)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (Py_ssize_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return (size_t)((h ^ (h >> 32)) & (KEY_SLOTS - 1));
}

/* The job key (a new reference) and state (borrowed) of a poll whose key is the ASCII text p[:n], whose slot in
 * the key cache is `c` (NULL for a key too long to cache); 0 or -1 */
static int
job_of(Stream *st, const char *p, Py_ssize_t n, Cached *c, PyObject **job, State **state)
{
    PyObject *k = c != NULL ? c->key : NULL;
    if (k != NULL && PyUnicode_GET_LENGTH(k) == n && memcmp(PyUnicode_1BYTE_DATA(k), p, (size_t)n) == 0) {
        State *s = c->state;
        if (s != NULL && !s->finished && s->stream == st->serial) {
            *job = Py_NewRef(k);
            *state = s;
            return 0;
        }
        *job = Py_NewRef(k);
    } else if ((*job = PyUnicode_DecodeASCII(p, n, NULL)) == NULL) {
        return -1;
    } else if (c != NULL) {
        Py_XSETREF(c->key, Py_NewRef(*job));
        Py_CLEAR(c->state);
    }
    if ((*state = state_of(st, *job)) == NULL) {
        Py_CLEAR(*job);
        return -1;
    }
    if (c != NULL && (*state)->stream == st->serial)
        Py_XSETREF(c->state, (State *)Py_NewRef(*state));
    return 0;
}

/* What the scanner found of a field: absent, null, an ASCII string without escapes, or a number. */
enum { V_ABSENT, V_NULL, V_STRING, V_NUMBER };
typedef struct {
    int kind;
    const char *ptr;
    Py_ssize_t len;
} Value;

enum { K_STATUS, K_PROGRESS, K_RESOURCE_ID, K_RESOURCE_LOCATION, K_OPERATION, K_DESCRIPTION, K_JOB, KEYS };
static const char *body_keys[K_JOB] = {"status", "percentageComplete", "resourceId", "resourceLocation",
                                       "operation", "statusDescription"};
static Py_ssize_t body_key_len[K_JOB];
#define MAX_DEPTH 64

static inline const char *
skip_ws(const char *c, const char *end)
{
    if (c < end && (unsigned char)*c > ' ')
        return c; /* compact JSON: no white space at all */
    while (c < end && (*c == ' ' || *c == '\t' || *c == '\r'))
        c++;
    return c;
}

/* plain[ch]: a byte that stands for itself inside a string the scanner reads: printable ASCII but the
 * quote and the backslash (control characters are not JSON; escapes and other text go the general way) */
static unsigned char plain[256];

/* Whether a word of 8 bytes holds one that is not plain: below 0x20, above 0x7e, a quote or a backslash
 * (the exact bit tricks of Sean Anderson's "Bit Twiddling Hacks": hasless, hasmore, haszero). */
static inline int
word_special(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t below = (w - ones * 0x20) & ~w;
    uint64_t above = (w + ones * (127 - 0x7e)) | w;
    uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
    uint64_t zeros = ((quote - ones) & ~quote) | ((slash - ones) & ~slash);
    return ((below | above | zeros) & highs) != 0;
}

/* A string at *c == '"' of plain bytes: its content, and *c past it; else NULL. */
static inline const char *
scan_string(const char **c, const char *end, Py_ssize_t *len)
{
    const char *start = *c + 1, *p = start;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        if (word_special(w))
            break;
        p += 8;
    }
    while (p < end && plain[(unsigned char)*p])
        p++;
    if (p >= end || *p != '"')
        return NULL;
    *len = p - start;
    *c = p + 1;
    return start;
}

/* A JSON number at *c; *c past it. 0, or -1 when it is not one. */
static inline int
scan_number(const char **c, const char *end)
{
    const char *p = *c;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return -1;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return -1;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    *c = p;
    return 0;
}

static int skip_value(const char **c, const char *end, int depth);

/* The elements of an array or the members of an object at *c (at '[' or '{'); 0 or -1 */
static int
skip_container(const char **c, const char *end, int depth)
{
    char close = **c == '[' ? ']' : '}';
    int object = close == '}';
    if (depth >= MAX_DEPTH)
        return -1;
    const char *p = skip_ws(*c + 1, end);
    if (p < end && *p == close) {
        *c = p + 1;
        return 0;
    }
    for (;;) {
        if (object) {
            Py_ssize_t len;
            if (p >= end || *p != '"' || scan_string(&p, end, &len) == NULL)
                return -1;
            p = skip_ws(p, end);
            if (p >= end || *p != ':')
                return -1;
            p = skip_ws(p + 1, end);
        }
        if (skip_value(&p, end, depth + 1) < 0)
            return -1;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == close) {
            *c = p + 1;
            return 0;
        }
        return -1;
    }
}

static inline int
literal(const char **c, const char *end, const char *word, size_t n)
{
    if ((size_t)(end - *c) < n || memcmp(*c, word, n) != 0)
        return -1;
    *c += n;
    return 0;
}

/* Any JSON value at *c, skipped; 0 or -1 */
static int
skip_value(const char **c, const char *end, int depth)
{
    if (*c >= end)
        return -1;
    Py_ssize_t len;
    switch (**c) {
    case '"':
        return scan_string(c, end, &len) == NULL ? -1 : 0;
    case '{':
    case '[':
        return skip_container(c, end, depth);
    case 't':
        return literal(c, end, "true", 4);
    case 'f':
        return literal(c, end, "false", 5);
    case 'n':
        return literal(c, end, "null", 4);
    default:
        return scan_number(c, end);
    }
}

/* A member's value at *c, noted in `v`; 0 or -1 */
static inline int
note_value(const char **c, const char *end, Value *v)
{
    const char *p = *c;
    if (p >= end)
        return -1;
    if (*p == '"') {
        v->kind = V_STRING;
        v->ptr = scan_string(c, end, &v->len);
        return v->ptr == NULL ? -1 : 0;
    }
    if (*p == 'n') {
        v->kind = V_NULL;
        return literal(c, end, "null", 4);
    }
    if (*p == '-' || (*p >= '0' && *p <= '9')) {
        v->kind = V_NUMBER;
        v->ptr = p;
        if (scan_number(c, end) < 0)
            return -1;
        v->len = *c - p;
        return 0;
    }
    return -1; /* true, false, an object or an array where a body field stands: the general way reports it */
}

/* A line (without its line end) that is one JSON object: the body fields and job key noted in `v`.
 * 0, or -1 for any line the general path must take: not an object, other text, escapes, duplicates,
 * a known field of another type. */
static int
scan_line(const char *c, const char *end, const char *key, Py_ssize_t key_len, Value *v)
{
    for (int i = 0; i < KEYS; i++)
        v[i].kind = V_ABSENT;
    c = skip_ws(c, end);
    if (c >= end || *c != '{')
        return -1;
    c = skip_ws(c + 1, end);
    if (c < end && *c == '}') {
        c++;
    } else {
        for (;;) {
            Py_ssize_t len;
            const char *name;
            if (c >= end || *c != '"' || (name = scan_string(&c, end, &len)) == NULL)
                return -1;
            c = skip_ws(c, end);
            if (c >= end || *c != ':')
                return -1;
            c = skip_ws(c + 1, end);
            int k = -1;
            if (len == key_len && memcmp(name, key, (size_t)len) == 0) {
                k = K_JOB;
            } else {
                for (int i = 0; i < K_JOB; i++) {
                    if (len == body_key_len[i] && name[0] == body_keys[i][0]
                        && memcmp(name, body_keys[i], (size_t)len) == 0) {
                        k = i;
                        break;
                    }
                }
            }
            if (k >= 0) {
                if (v[k].kind != V_ABSENT || note_value(&c, end, &v[k]) < 0)
                    return -1;
            } else if (skip_value(&c, end, 1) < 0) {
                return -1;
            }
            c = skip_ws(c, end);
            if (c < end && *c == ',') {
                c = skip_ws(c + 1, end);
                continue;
            }
            if (c < end && *c == '}') {
                c++;
                break;
            }
            return -1;
        }
    }
    if (skip_ws(c, end) != end)
        return -1;
    /* the types of readers.poll_type */
    if (v[K_STATUS].kind != V_STRING)
        return -1;
    for (int i = K_RESOURCE_ID; i <= K_JOB; i++) {
        if (v[i].kind == V_NUMBER)
            return -1; /* a numeric job key, or a number where text belongs: the general way */
    }
    if (v[K_PROGRESS].kind == V_STRING)
        return -1;
    return 0;
}

/* The progress noted in `v` as a number from 0 to 100 in *p; 0, or -1 (no exception) otherwise. */
static int
progress_of(const Value *v, double *p)
{
    /* Clinger's fast path: a mantissa below 2**53 and a power of ten up to 22 are exact doubles, so one
     * IEEE division or multiplication rounds correctly, as strtod would */
    static const double tens[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
                                    1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *c = v->ptr, *end = c + v->len;
    int negative = c < end && *c == '-', digits = 0, scale = 0;
    uint64_t m = 0;
    if (negative)
        c++;
    for (; c < end && *c >= '0' && *c <= '9'; c++, digits++)
        m = m * 10 + (uint64_t)(*c - '0');
    if (c < end && *c == '.') {
        for (c++; c < end && *c >= '0' && *c <= '9'; c++, digits++, scale++)
            m = m * 10 + (uint64_t)(*c - '0');
    }
    if (c == end && digits <= 15 && scale <= 22) {
        double d = (double)m / tens[scale];
        if (negative && !(v->ptr[v->len - 1] != '.' && memchr(v->ptr, '.', (size_t)v->len) == NULL && m == 0))
            d = -d; /* but "-0" is the integer 0, which msgspec makes 0.0, not -0.0 */
        if (!(d >= 0.0 && d <= 100.0))
            return -1;
        *p = d;
        return 0;
    }
    char buf[64];
    if (v->len >= (Py_ssize_t)sizeof(buf))
        return -1;
    memcpy(buf, v->ptr, (size_t)v->len);
    buf[v->len] = '\0';
    char *stop;
    double d = PyOS_string_to_double(buf, &stop, NULL); /* correctly rounded, as msgspec's */
    if (d == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    if (*stop != '\0' || !(d >= 0.0 && d <= 100.0))
        return -1;
    *p = d;
    return 0;
}

static inline int
blank(const char *c, const char *end)
{
    for (; c < end; c++) {
        if (!(*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n' || *c == '\x0b' || *c == '\x0c'))
            return 0;
    }
    return 1; /* bytes.strip()'s whitespace, as the Python reader skips */
}

static inline void
text_span(Text *t, const Value *v)
{
    t->obj = NULL;
    t->ptr = v->ptr;
    t->len = v->kind == V_STRING ? v->len : -1;
}

/* scan_line, and the progress it noted read into *p (0 when there is none); 0, or -1 for the general way */
static int
scan_poll(const char *c, const char *end, const char *key, Py_ssize_t key_len, Value *v, double *p)
{
    *p = 0.0;
    if (scan_line(c, end, key, key_len, v) < 0)
        return -1;
    return v[K_PROGRESS].kind == V_NUMBER ? progress_of(&v[K_PROGRESS], p) : 0;
}

/* Hand one poll to LogStream._full_fields(s, pos, status, progress, resourceId, resourceLocation, operation). */
static int
full_fields(Stream *st, State *s, Py_ssize_t at, Poll *poll)
{
    PyObject *a[7] = {(PyObject *)s, PyLong_FromSsize_t(at), text_object(&poll->status),
                      poll->has_p ? PyFloat_FromDouble(poll->p) : Py_NewRef(Py_None), text_object(&poll->rid),
                      text_object(&poll->rloc), text_object(&poll->op)};
    int r = -1;
    if (a[1] && a[2] && a[3] && a[4] && a[5] && a[6])
        r = call_back(st, st->o[A_FULL_FIELDS], a, 7);
    for (int i = 1; i < 7; i++)
        Py_XDECREF(a[i]);
    return r;
}

/* A line that is not blank, scanned ahead of its turn */
typedef struct {
    const char *line, *eol;
    Py_ssize_t lineno;
    int r; /* 0: scanned, -1: for the general way */
    Value v[KEYS];
    double p;
    int has_p;
    Cached *cached; /* the key cache's slot for the job key, or NULL (no key, or one too long to cache) */
} Scanned;

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* The next line of data[*c:end] that is not blank, scanned; 0 at the end. Its job key's string is
 * fetched into the cache while the line before is judged (the key cache and the job tables are
 * spread over memory: waiting for them is most of what a poll costs). */
static int
next_line(const char **c, const char *end, Py_ssize_t *lineno, const char *key, Py_ssize_t key_len, Scanned *out)
{
    while (*c < end) {
        const char *line = *c, *eol = memchr(line, '\n', (size_t)(end - line));
        if (eol == NULL)
            eol = end;
        *c = eol < end ? eol + 1 : end;
        ++*lineno;
        if (blank(line, eol))
            continue;
        out->line = line;
        out->eol = eol;
        out->lineno = *lineno;
        out->r = scan_poll(line, eol, key, key_len, out->v, &out->p);
        out->has_p = out->v[K_PROGRESS].kind == V_NUMBER;
        out->cached = NULL;
        if (out->r == 0 && out->v[K_JOB].kind == V_STRING && out->v[K_JOB].len <= KEY_CACHED) {
            out->cached = &key_cache[key_slot(out->v[K_JOB].ptr, out->v[K_JOB].len)];
            PyObject *k = out->cached->key;
            if (k != NULL) {
                PREFETCH(k);
                PREFETCH((char *)k + 64);
            }
        }
        return 1;
    }
    return 0;
}

/* Judge one scanned line; 0 or -1 */
static int
take_line(Stream *st, Scanned *l)
{
    int r;
    if (l->r < 0) { /* the general way: LogStream._line decodes and routes the line as before */
        PyObject *a[2] = {PyLong_FromSsize_t(l->lineno), PyBytes_FromStringAndSize(l->line, l->eol - l->line)};
        r = a[0] != NULL && a[1] != NULL ? call_back(st, st->o[A_LINE], a, 2) : -1;
        Py_XDECREF(a[0]);
        Py_XDECREF(a[1]);
        return r;
    }
    Poll poll;
    poll.has_p = l->has_p;
    poll.p = l->p;
    text_span(&poll.status, &l->v[K_STATUS]);
    text_span(&poll.rid, &l->v[K_RESOURCE_ID]);
    text_span(&poll.rloc, &l->v[K_RESOURCE_LOCATION]);
    text_span(&poll.op, &l->v[K_OPERATION]);
    PyObject *job;
    State *s;
    if (l->v[K_JOB].kind == V_STRING) {
        if (job_of(st, l->v[K_JOB].ptr, l->v[K_JOB].len, l->cached, &job, &s) < 0)
            return -1;
    } else if ((s = state_of(st, job = Py_NewRef(Py_None))) == NULL) {
        Py_DECREF(job);
        return -1;
    }
    Py_INCREF(s);
    r = light_step(st, s, job, &poll, l->lineno);
    if (r == 1)
        r = full_fields(st, s, l->lineno, &poll);
    Py_DECREF(s);
    Py_DECREF(job);
    return r;
}

PyDoc_STRVAR(lines_doc, "lines(stream, data, lineno) -> lineno\n\n"
"JSON Lines: every complete line of data (bytes ending in a line end), numbered from lineno + 1;\n"
"lines it cannot judge go to stream._line(number, line). Returns the number of the last line.");

static PyObject *
lines(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyBytes_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "lines(stream, data: bytes, lineno: int)");
        return NULL;
    }
    Py_ssize_t lineno = PyLong_AsSsize_t(args[2]);
    if (lineno == -1 && PyErr_Occurred())
        return NULL;
    Stream st;
    if (stream_load(args[0], &st) < 0)
        return NULL;
    Py_ssize_t key_len;
    const char *key = PyUnicode_AsUTF8AndSize(st.o[A_JOB_KEY], &key_len);
    if (key == NULL)
        return stream_done(&st, NULL);
    PyObject *data = Py_NewRef(args[1]);
    const char *c = PyBytes_AS_STRING(data), *end = c + PyBytes_GET_SIZE(data);
    Scanned ring[2];
    int cur = 0, more = next_line(&c, end, &lineno, key, key_len, &ring[0]);
    while (more) {
        more = next_line(&c, end, &lineno, key, key_len, &ring[!cur]);
        if (take_line(&st, &ring[cur]) < 0) {
            Py_DECREF(data);
            return stream_done(&st, NULL);
        }
        cur = !cur;
    }
    Py_DECREF(data);
    return stream_done(&st, PyLong_FromSsize_t(lineno));
}

/* evict(stream) and close(stream): finish the older ended jobs, or every job */
static PyObject *
finish_jobs(PyObject *obj, int all)
{
    Stream st;
    if (stream_load(obj, &st) < 0)
        return NULL;
    int r = evict_jobs(&st, all);
    stream_clear(&st);
    return r < 0 ? NULL : Py_NewRef(Py_None);
}

PyDoc_STRVAR(evict_doc, "evict(stream)\n\nLogStream._evict: finish the older ended jobs.");

static PyObject *
evict(PyObject *module, PyObject *obj)
{
    return finish_jobs(obj, 0);
}

PyDoc_STRVAR(close_doc, "close(stream)\n\nLogStream.close: finish every job, ended then open, in order.");

static PyObject *
close_stream(PyObject *module, PyObject *obj)
{
    return finish_jobs(obj, 1);
}

PyDoc_STRVAR(count_doc, "count(data) -> int\n\nThe line ends in data (bytes.count(b'\\n'), at memchr's speed).");

static PyObject *
count(PyObject *module, PyObject *data)
{
    if (!PyBytes_Check(data)) {
        PyErr_SetString(PyExc_TypeError, "count(data: bytes)");
        return NULL;
    }
    const char *c = PyBytes_AS_STRING(data), *end = c + PyBytes_GET_SIZE(data);
    Py_ssize_t n = 0;
    while ((c = memchr(c, '\n', (size_t)(end - c))) != NULL) {
        n++;
        c++;
    }
    return PyLong_FromSsize_t(n);
}

PyDoc_STRVAR(scan_doc, "scan(line, job_key) -> dict | None\n\n"
"What the scanner reads of one line (for tests): the fields it found, or None for the general way.");

static PyObject *
scan(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyBytes_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "scan(line: bytes, job_key: str)");
        return NULL;
    }
    Py_ssize_t key_len;
    const char *key = PyUnicode_AsUTF8AndSize(args[1], &key_len);
    if (key == NULL)
        return NULL;
    const char *c = PyBytes_AS_STRING(args[0]);
    Value v[KEYS];
    double p;
    if (scan_poll(c, c + PyBytes_GET_SIZE(args[0]), key, key_len, v, &p) < 0)
        Py_RETURN_NONE;
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    for (int i = 0; i < KEYS; i++) {
        PyObject *value = v[i].kind == V_STRING ? PyUnicode_DecodeASCII(v[i].ptr, v[i].len, NULL)
                          : v[i].kind == V_NUMBER ? PyFloat_FromDouble(p) : Py_NewRef(Py_None);
        if (value == NULL || PyDict_SetItemString(out, i < K_JOB ? body_keys[i] : "job", value) < 0) {
            Py_XDECREF(value);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(value);
    }
    return out;
}

static PyMethodDef methods[] = {
    {"light_polls", (PyCFunction)(void (*)(void))light_polls, METH_FASTCALL, light_polls_doc},
    {"lines", (PyCFunction)(void (*)(void))lines, METH_FASTCALL, lines_doc},
    {"evict", evict, METH_O, evict_doc},
    {"close", close_stream, METH_O, close_doc},
    {"count", count, METH_O, count_doc},
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL, scan_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "jobfsm._speedups",
    "The log streamer's hot paths in C (optional: jobfsm.stream does the same in Python without it).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    for (int i = 0; i < A_ALL; i++) {
        if (attr_names[i] == NULL && (attr_names[i] = PyUnicode_InternFromString(attr_strings[i])) == NULL)
            return NULL;
    }
    for (int i = 0; i < FIELDS; i++) {
        if (field_names[i] == NULL && (field_names[i] = PyUnicode_InternFromString(field_strings[i])) == NULL)
            return NULL;
    }
    for (int ch = 0x20; ch < 0x7f; ch++)
        plain[ch] = ch != '"' && ch != '\\';
    for (int i = 0; i < K_JOB; i++)
        body_key_len[i] = (Py_ssize_t)strlen(body_keys[i]);
    if (empty_tuple == NULL && (empty_tuple = PyTuple_New(0)) == NULL)
        return NULL;
    if (report_type == NULL) {
        PyObject *report = PyImport_ImportModule("jobfsm.report");
        if (report == NULL)
            return NULL;
        report_type = PyObject_GetAttrString(report, "JobReport");
        Py_DECREF(report);
        if (report_type == NULL)
            return NULL;
        if (!PyType_Check(report_type) || !PyType_IsSubtype((PyTypeObject *)report_type, &PyTuple_Type)
            || ((PyTypeObject *)report_type)->tp_dictoffset != 0) {
            PyErr_SetString(PyExc_TypeError, "jobfsm._speedups: JobReport must be a NamedTuple");
            Py_CLEAR(report_type);
            return NULL;
        }
    }
    if (PyType_Ready(&State_Type) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL)
        return NULL;
    if (PyModule_AddObjectRef(module, "State", (PyObject *)&State_Type) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
