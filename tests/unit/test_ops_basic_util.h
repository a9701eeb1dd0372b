/* Helpers for the basic-operator tests: build a node with attributes, run
 * parse / infer / workspace / run on it the way the planner does, with every
 * output poisoned first and checked to be fully written. Header-only (the
 * test binaries each include it once). */
#ifndef TEST_OPS_BASIC_UTIL_H
#define TEST_OPS_BASIC_UTIL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "testlib.h"

#define TN_MAX_ATTRS 8
#define TN_MAX_IO 8

/* A node under test, its graph (for the opset) and its outputs. */
typedef struct tnode {
    gl_graph g;
    gl_node n;
    gl_attr attrs[TN_MAX_ATTRS];
    int64_t ints[TN_MAX_ATTRS][16];
    float floats[TN_MAX_ATTRS][16];
    gl_const tensor[TN_MAX_ATTRS];
    int io[2 * TN_MAX_IO];
    gl_tensor out[TN_MAX_IO];
    int n_out;
    gl_err err;
} tnode;

static inline void tn_free_out(tnode *t);
/* t must start zeroed (tnode t = {0}); re-initialising frees old outputs. */
static inline void tn_init(tnode *t, const char *op_type, int64_t opset) {
    tn_free_out(t);
    memset(t, 0, sizeof *t);
    t->g.alloc = gl_default_allocator();
    t->g.opset = opset;
    t->n.name = (char *)"test_node";
    t->n.op_type = (char *)op_type;
    t->n.domain = (char *)"";
    t->n.attrs = t->attrs;
    t->n.inputs = t->io;
    t->n.outputs = t->io + TN_MAX_IO;
    t->n_out = 1;
}

static inline gl_attr *tn_attr(tnode *t, const char *name, gl_attr_type type) {
    gl_attr *a = &t->attrs[t->n.n_attrs++];
    a->name = (char *)name;
    a->type = type;
    return a;
}
static inline void tn_int(tnode *t, const char *name, int64_t v) { tn_attr(t, name, GL_ATTR_INT)->i = v; }
static inline void tn_float(tnode *t, const char *name, float v) { tn_attr(t, name, GL_ATTR_FLOAT)->f = v; }
static inline void tn_string(tnode *t, const char *name, const char *v) {
    gl_attr *a = tn_attr(t, name, GL_ATTR_STRING);
    a->s = (char *)v;
    a->s_len = strlen(v);
}
static inline void tn_ints(tnode *t, const char *name, int n, const int64_t *v) {
    int k = t->n.n_attrs;
    gl_attr *a = tn_attr(t, name, GL_ATTR_INTS);
    memcpy(t->ints[k], v, (size_t)n * sizeof *v);
    a->ints = t->ints[k];
    a->count = (size_t)n;
}
static inline void tn_floats(tnode *t, const char *name, int n, const float *v) {
    int k = t->n.n_attrs;
    gl_attr *a = tn_attr(t, name, GL_ATTR_FLOATS);
    memcpy(t->floats[k], v, (size_t)n * sizeof *v);
    a->floats = t->floats[k];
    a->count = (size_t)n;
}
/* A tensor attribute viewing caller memory (kept alive by the caller). */
static inline void tn_tensor(tnode *t, const char *name, gl_dtype dt, gl_shape shape, void *data) {
    int k = t->n.n_attrs;
    gl_attr *a = tn_attr(t, name, GL_ATTR_TENSOR);
    t->tensor[k].dtype = dt;
    t->tensor[k].shape = shape;
    t->tensor[k].data = data;
    gl_tensor_bytes(dt, &shape, &t->tensor[k].bytes);
    a->t = &t->tensor[k];
}

static inline gl_tensor tt(gl_dtype dt, gl_shape shape, void *data) {
    gl_tensor x = {dt, shape, data};
    return x;
}
#define SHAPE(...) ((gl_shape){.rank = (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), .d = {__VA_ARGS__}})
#define SCALAR_SHAPE ((gl_shape){.rank = 0})
/* An omitted optional input. */
#define T_NONE ((gl_tensor){GLINT_DTYPE_UNDEFINED, {0}, NULL})

/* Frees the outputs of a previous tn_run. */
static inline void tn_free_out(tnode *t) {
    for (int i = 0; i < TN_MAX_IO; i++) {
        free(t->out[i].data);
        t->out[i].data = NULL;
    }
}

/* parse + infer + run. in[].data are known values (as at plan time). Outputs
 * are malloc'd and filled with 0xA5 bytes (NaN-like for float16, a large
 * negative number for ints, -2.9e-16 for float32; float32 outputs are
 * poisoned with NaN), so an element the kernel forgot stays visible. */
static inline glint_status tn_run(tnode *t, const gl_tensor *in, int n_in) {
    tn_free_out(t);
    const gl_op *op = gl_op_find("", t->n.op_type);
    if (!op) return gl_fail(&t->err, GLINT_ERR_UNSUPPORTED, "no op %s", t->n.op_type);
    t->n.n_inputs = n_in;
    t->n.n_outputs = t->n_out;
    for (int i = 0; i < n_in; i++) t->io[i] = in[i].dtype ? i : -1;
    for (int i = 0; i < t->n_out; i++) t->io[TN_MAX_IO + i] = n_in + i;
    if (n_in < op->min_inputs || n_in > op->max_inputs) return GLINT_ERR_INVALID_MODEL;
    void *params = NULL;
    glint_status s = GLINT_OK;
    if (op->parse) s = op->parse(&t->g, &t->n, &params, &t->err);
    if (s) { gl_free(t->g.alloc, params); return s; }
    gl_tensor out[TN_MAX_IO];
    memset(out, 0, sizeof out);
    s = op->infer(params, in, n_in, out, t->n_out, &t->err);
    if (!s) {
        for (int i = 0; i < t->n_out; i++) {
            size_t bytes = 0;
            if (!gl_tensor_bytes(out[i].dtype, &out[i].shape, &bytes)) {
                s = gl_fail(&t->err, GLINT_ERR_INTERNAL, "output %d: bad dtype/shape", i);
                break;
            }
            out[i].data = malloc(bytes + 1);
            memset(out[i].data, 0xA5, bytes + 1);
            if (out[i].dtype == GLINT_DTYPE_FLOAT32)
                tl_poison(out[i].data, bytes / sizeof(float));
            t->out[i] = out[i];
        }
    }
    if (!s) {
        size_t ws_bytes = op->workspace ? op->workspace(params, in, n_in, out, t->n_out) : 0;
        void *ws = ws_bytes ? malloc(ws_bytes) : NULL;
        if (ws) memset(ws, 0xA5, ws_bytes);
        s = op->run(params, in, n_in, t->out, t->n_out, ws, &t->err);
        free(ws);
    }
    if (op->free_params) op->free_params(t->g.alloc, params);
    else gl_free(t->g.alloc, params);
    return s;
}

/* Runs and reports failure with the message. */
#define RUN_OK(t, in, n_in)                                                                  \
    do {                                                                                     \
        glint_status s__ = tn_run((t), (in), (n_in));                                        \
        CHECK_MSG(s__ == GLINT_OK, "%s: %s (%s)", (t)->n.op_type, glint_status_name(s__),      \
                  (t)->err.msg);                                                             \
    } while (0)

#define RUN_FAILS(t, in, n_in, status)                                                       \
    do {                                                                                     \
        glint_status s__ = tn_run((t), (in), (n_in));                                        \
        CHECK_MSG(s__ == (status), "%s: expected %s, got %s", (t)->n.op_type,                 \
                  glint_status_name(status), glint_status_name(s__));                        \
        if (s__ != GLINT_OK) CHECK_MSG((t)->err.msg[0] != '\0', "empty error message");      \
    } while (0)

static inline bool shape_is(const gl_shape *s, gl_shape want) {
    return gl_shape_equal(s, &want);
}

/* Exact comparison of int64 outputs. */
static inline bool eq_i64(const int64_t *got, const int64_t *want, size_t n, const char *what) {
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i]) {
            fprintf(stderr, "%s: at %zu got %lld want %lld\n", what, i, (long long)got[i],
                    (long long)want[i]);
            return false;
        }
    return true;
}

static inline int64_t rand_int(int64_t lo, int64_t hi) { /* inclusive */
    return lo + (int64_t)(tl_rand_u64() % (uint64_t)(hi - lo + 1));
}

/* A random shape of rank r with dims in [lo, hi]. */
static inline gl_shape rand_shape(int r, int64_t lo, int64_t hi) {
    gl_shape s = {.rank = r};
    for (int i = 0; i < r; i++) s.d[i] = rand_int(lo, hi);
    return s;
}

static inline float *rand_floats(const gl_shape *s, float lo, float hi) {
    size_t n = (size_t)gl_shape_numel(s);
    float *x = malloc((n ? n : 1) * sizeof *x);
    tl_fill_uniform(x, n, lo, hi);
    return x;
}

/* Flat index of multi-index idx in shape s; idx has s->rank entries. */
static inline int64_t flat_index(const gl_shape *s, const int64_t *idx) {
    int64_t f = 0;
    for (int i = 0; i < s->rank; i++) f = f * s->d[i] + idx[i];
    return f;
}
static inline void unflatten(const gl_shape *s, int64_t f, int64_t *idx) {
    for (int i = s->rank - 1; i >= 0; i--) {
        idx[i] = s->d[i] ? f % s->d[i] : 0;
        f = s->d[i] ? f / s->d[i] : 0;
    }
}

#endif
