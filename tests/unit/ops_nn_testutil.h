/* Test helpers for the neural-network operator tests (test_ops_nn*.c): build
 * a gl_node with attributes in place, parse it with its operator, and run
 * infer + the reference kernel on NaN-poisoned outputs. Header-only so every
 * test stays one file. */
#ifndef OPS_NN_TESTUTIL_H
#define OPS_NN_TESTUTIL_H

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "model/graph.h"
#include "ops/nn_params.h"
#include "ops/op.h"
#include "testlib.h"

#define TN_MAX_ATTRS 16
#define TN_MAX_LIST 16

typedef struct tn_node {
    gl_graph graph;
    gl_node node;
    gl_attr attrs[TN_MAX_ATTRS];
    int64_t ints[TN_MAX_ATTRS][TN_MAX_LIST];
    float floats[TN_MAX_ATTRS][TN_MAX_LIST];
    char strs[TN_MAX_ATTRS][32];
    char names[TN_MAX_ATTRS][32];
} tn_node;

static inline void tn_init(tn_node *t, const char *op_type, int64_t opset) {
    memset(t, 0, sizeof *t);
    t->graph.alloc = gl_default_allocator();
    t->graph.opset = opset;
    t->node.name = (char *)"test_node";
    t->node.op_type = (char *)op_type;
    t->node.domain = (char *)"";
    t->node.attrs = t->attrs;
}

static inline gl_attr *tn_add(tn_node *t, const char *name, gl_attr_type type) {
    if (t->node.n_attrs >= TN_MAX_ATTRS) {
        fprintf(stderr, "tn_add: too many attributes\n");
        exit(2);
    }
    int i = t->node.n_attrs++;
    snprintf(t->names[i], sizeof t->names[i], "%s", name);
    t->attrs[i].name = t->names[i];
    t->attrs[i].type = type;
    t->attrs[i].ints = t->ints[i];
    t->attrs[i].floats = t->floats[i];
    t->attrs[i].s = t->strs[i];
    return &t->attrs[i];
}
static inline void tn_int(tn_node *t, const char *name, int64_t v) { tn_add(t, name, GL_ATTR_INT)->i = v; }
static inline void tn_float(tn_node *t, const char *name, float v) { tn_add(t, name, GL_ATTR_FLOAT)->f = v; }
static inline void tn_str(tn_node *t, const char *name, const char *v) {
    gl_attr *a = tn_add(t, name, GL_ATTR_STRING);
    snprintf(a->s, 32, "%s", v);
    a->s_len = strlen(a->s);
}
static inline void tn_ints(tn_node *t, const char *name, int n, const int64_t *v) {
    gl_attr *a = tn_add(t, name, GL_ATTR_INTS);
    for (int i = 0; i < n && i < TN_MAX_LIST; i++) a->ints[i] = v[i];
    a->count = (size_t)n;
}
static inline void tn_floats(tn_node *t, const char *name, int n, const float *v) {
    gl_attr *a = tn_add(t, name, GL_ATTR_FLOATS);
    for (int i = 0; i < n && i < TN_MAX_LIST; i++) a->floats[i] = v[i];
    a->count = (size_t)n;
}

/* Looks the op up and parses the node: returns the status, params in *p. */
static inline glint_status tn_parse(tn_node *t, const char *domain, const gl_op **op, void **p,
                                    gl_err *err) {
    *op = gl_op_find(domain, t->node.op_type);
    *p = NULL;
    if (!*op) return gl_fail(err, GLINT_ERR_NOT_FOUND, "no op %s", t->node.op_type);
    if (!(*op)->parse) return GLINT_OK;
    return (*op)->parse(&t->graph, &t->node, p, err);
}

static inline void tn_free_params(const gl_op *op, void *p) {
    if (!p) return;
    if (op->free_params) op->free_params(gl_default_allocator(), p);
    else gl_free(gl_default_allocator(), p);
}

static inline gl_shape tn_shape(int rank, const int64_t *d) {
    gl_shape s = {.rank = rank};
    for (int i = 0; i < rank; i++) s.d[i] = d[i];
    return s;
}

/* A float tensor of the given shape with fresh uniform values in [lo, hi]. */
static inline gl_tensor tn_rand(gl_shape s, float lo, float hi) {
    gl_tensor t = {GLINT_DTYPE_FLOAT32, s, NULL};
    size_t n = (size_t)gl_shape_numel(&s);
    t.data = malloc((n ? n : 1) * sizeof(float));
    tl_fill_uniform(t.data, n, lo, hi);
    return t;
}
static inline gl_tensor tn_i64(int n, const int64_t *v) {
    gl_tensor t = {GLINT_DTYPE_INT64, {.rank = 1, .d = {n}}, NULL};
    t.data = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    if (n) memcpy(t.data, v, (size_t)n * sizeof(int64_t));
    return t;
}
static inline gl_tensor tn_f32v(int n, const float *v) {
    gl_tensor t = {GLINT_DTYPE_FLOAT32, {.rank = 1, .d = {n}}, NULL};
    t.data = malloc((size_t)(n ? n : 1) * sizeof(float));
    if (n) memcpy(t.data, v, (size_t)n * sizeof(float));
    return t;
}
static inline gl_tensor tn_absent(void) {
    gl_tensor t = {GLINT_DTYPE_UNDEFINED, {.rank = 0}, NULL};
    return t;
}
static inline size_t tn_numel(const gl_tensor *t) { return (size_t)gl_shape_numel(&t->shape); }

/* infer, allocate outputs (NaN-poisoned), run with the declared workspace.
 * Outputs with out[i].data preset to NULL and n_out entries are allocated
 * here; the caller frees them with tn_free. A float output is checked to be
 * fully written (no NaN left). */
static inline glint_status tn_exec(const gl_op *op, const void *p, const gl_tensor *in, int n_in,
                                   gl_tensor *out, int n_out, gl_err *err) {
    for (int i = 0; i < n_out; i++) out[i].data = NULL;
    glint_status st = op->infer(p, in, n_in, out, n_out, err);
    if (st != GLINT_OK) return st;
    for (int i = 0; i < n_out; i++) {
        size_t bytes = 0;
        if (out[i].dtype == GLINT_DTYPE_UNDEFINED) continue;
        if (!gl_tensor_bytes(out[i].dtype, &out[i].shape, &bytes))
            return gl_fail(err, GLINT_ERR_INTERNAL, "bad output %d", i);
        out[i].data = malloc(bytes ? bytes : 1);
        if (out[i].dtype == GLINT_DTYPE_FLOAT32) tl_poison(out[i].data, bytes / 4);
        else memset(out[i].data, 0xa5, bytes);
    }
    size_t wsb = op->workspace ? op->workspace(p, in, n_in, out, n_out) : 0;
    void *ws = wsb ? malloc(wsb) : NULL;
    if (ws) memset(ws, 0xa5, wsb);
    st = op->run(p, in, n_in, out, n_out, ws, err);
    free(ws);
    if (st != GLINT_OK) return st;
    for (int i = 0; i < n_out; i++) {
        if (out[i].dtype != GLINT_DTYPE_FLOAT32 || !out[i].data) continue;
        size_t n = tn_numel(&out[i]);
        const float *y = out[i].data;
        for (size_t k = 0; k < n; k++)
            if (isnan(y[k])) {
                fprintf(stderr, "%s: output %d element %zu not written\n", op->name, i, k);
                return gl_fail(err, GLINT_ERR_INTERNAL, "output %d element %zu not written", i, k);
            }
    }
    return GLINT_OK;
}

static inline void tn_free(gl_tensor *t, int n) {
    for (int i = 0; i < n; i++) {
        free(t[i].data);
        t[i].data = NULL;
    }
}

static inline int tn_randint(int lo, int hi) { /* inclusive */
    return lo + (int)(tl_rand_u64() % (uint64_t)(hi - lo + 1));
}

/* Parses and expects `want`; prints the message for the log. */
static inline bool tn_expect_parse(tn_node *t, glint_status want, const char *needle) {
    const gl_op *op;
    void *p;
    gl_err err = {0};
    glint_status st = tn_parse(t, "", &op, &p, &err);
    if (st == GLINT_OK) tn_free_params(op, p);
    bool ok = st == want && (!needle || strstr(err.msg, needle));
    if (!ok)
        fprintf(stderr, "%s: parse gave %s '%s', wanted %s containing '%s'\n", t->node.op_type,
                glint_status_name(st), err.msg, glint_status_name(want), needle ? needle : "");
    return ok;
}

#endif
