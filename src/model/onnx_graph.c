/* GraphProto and ValueInfoProto → the graph's nodes, constants, inputs and
 * outputs. The fields of a GraphProto may come in any order, so nodes and
 * initializers are read first and inputs, outputs and value_info second:
 * whether an input is really an initializer is only known after the first. */
#include <stdio.h>
#include <string.h>

#include "model/onnx_internal.h"

enum {
    G_NODE = 1, G_INITIALIZER = 5, G_INPUT = 11, G_OUTPUT = 12, G_VALUE_INFO = 13,
    G_SPARSE_INITIALIZER = 15
};

typedef struct value_info {
    gl_pb_field name;
    bool is_tensor; /* has a tensor_type (false: absent or another kind) */
    bool has_type;
    gl_dtype dtype;
    gl_shape shape; /* rank -1 when no shape is given */
    bool rank_too_big;
} value_info;

static glint_status decode_shape(const gl_pb_reader *parent, const gl_pb_field *sf,
                                 value_info *vi, gl_err *err) {
    gl_pb_reader r, dr;
    gl_pb_field f, d;
    glint_status s = gl_pb_sub(parent, sf, &r, err);
    vi->shape.rank = 0;
    while (!s && gl_pb_more(&r)) {
        if ((s = gl_pb_next(&r, &f, err))) break;
        if (f.number != 1) continue; /* dim */
        if ((s = gl_pb_sub(&r, &f, &dr, err))) break;
        int64_t dim = -1;
        while (!s && gl_pb_more(&dr)) {
            if ((s = gl_pb_next(&dr, &d, err))) break;
            /* dim_value (1) when known; dim_param (2) names a dynamic dim. */
            if (d.number == 1 && d.wire == GL_PB_VARINT && (int64_t)d.u >= 0) dim = (int64_t)d.u;
        }
        if (s) break;
        if (vi->shape.rank >= GL_MAX_RANK) vi->rank_too_big = true;
        else vi->shape.d[vi->shape.rank++] = dim;
    }
    return s;
}

/* ValueInfoProto: name (1), type (2) → TypeProto tensor_type (1) →
 * elem_type (1), shape (2). Other TypeProto kinds leave is_tensor false. */
static glint_status decode_value_info(const gl_pb_reader *parent, const gl_pb_field *vf,
                                      value_info *vi, gl_err *err) {
    gl_pb_reader r, tr, tt;
    gl_pb_field f, t, e;
    memset(vi, 0, sizeof *vi);
    vi->shape.rank = -1;
    glint_status s = gl_pb_sub(parent, vf, &r, err);
    while (!s && gl_pb_more(&r)) {
        if ((s = gl_pb_next(&r, &f, err))) break;
        if (f.number == 1 && f.wire == GL_PB_LEN) vi->name = f;
        if (f.number != 2) continue;
        vi->has_type = true;
        if ((s = gl_pb_sub(&r, &f, &tr, err))) break;
        while (!s && gl_pb_more(&tr)) {
            if ((s = gl_pb_next(&tr, &t, err))) break;
            if (t.number != 1) continue; /* tensor_type */
            vi->is_tensor = true;
            if ((s = gl_pb_sub(&tr, &t, &tt, err))) break;
            while (!s && gl_pb_more(&tt)) {
                if ((s = gl_pb_next(&tt, &e, err))) break;
                if (e.number == 1 && e.wire == GL_PB_VARINT) vi->dtype = (gl_dtype)e.u;
                else if (e.number == 2) s = decode_shape(&tt, &e, vi, err);
            }
        }
    }
    return s;
}

/* Applies a declared type to a value that is not a constant (a constant's own
 * type is authoritative). */
static void apply_type(gl_value *v, const value_info *vi) {
    if (v->constant || !vi->is_tensor) return;
    v->dtype = glint_dtype_size(vi->dtype) ? vi->dtype : GLINT_DTYPE_UNDEFINED;
    if (!vi->rank_too_big) v->shape = vi->shape;
}

static glint_status add_initializer(gl_graph *g, const gl_pb_reader *r, const gl_pb_field *f,
                                    int k, gl_err *err) {
    char *name = NULL;
    gl_const *c = NULL;
    glint_status s = gl_onnx_tensor(r, f, g->alloc, "initializer", &name, &c, err);
    if (s) return s;
    int v = -1;
    if (!name[0]) s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "initializer %d has no name", k);
    else if ((v = gl_graph_value(g, name, err)) < 0) s = err ? err->status : GLINT_ERR_OUT_OF_MEMORY;
    else if (g->values[v].constant)
        s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "initializer '%.200s' is given twice", name);
    if (!s) {
        g->values[v].constant = c;
        g->values[v].dtype = c->dtype;
        g->values[v].shape = c->shape;
    } else {
        gl_const_free(g->alloc, c);
    }
    gl_free(g->alloc, name);
    return s;
}

/* A graph input, output or value_info entry. kind: 0 input, 1 output, 2 info. */
static glint_status add_io(gl_graph *g, const gl_pb_reader *r, const gl_pb_field *f, int kind,
                           int k, gl_err *err) {
    static const char *const kinds[] = {"graph input", "graph output", "value_info"};
    value_info vi;
    glint_status s = decode_value_info(r, f, &vi, err);
    if (s) return gl_err_prefix(err, "%s %d", kinds[kind], k);
    if (vi.name.len == 0) {
        if (kind == 2) return GLINT_OK;
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s %d has no name", kinds[kind], k);
    }
    char *name = gl_onnx_string(g->alloc, &vi.name);
    if (!name) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory");
    int v = kind == 2 ? gl_graph_find_value(g, name) : gl_graph_value(g, name, err);
    if (kind != 2 && v < 0) s = err ? err->status : GLINT_ERR_OUT_OF_MEMORY;
    else if (kind != 2 && vi.has_type && !vi.is_tensor)
        s = gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s '%.200s': only tensor types are supported",
                    kinds[kind], name);
    else if (kind != 2 && vi.rank_too_big)
        s = gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s '%.200s': rank above %d is not supported",
                    kinds[kind], name, GL_MAX_RANK);
    else if (v >= 0) {
        apply_type(&g->values[v], &vi);
        /* An input that is also an initializer is a constant with a default,
         * which glint treats as constant: it is not a graph input. */
        if (kind == 0 && !g->values[v].constant) s = gl_graph_add_input(g, v, err);
        if (kind == 1) s = gl_graph_add_output(g, v, err);
    }
    gl_free(g->alloc, name);
    return s;
}

glint_status gl_onnx_graph(gl_graph *g, const gl_pb_reader *parent, const gl_pb_field *gf,
                           gl_err *err) {
    gl_pb_reader r;
    gl_pb_field f;
    int k_init = 0, k_io[3] = {0, 0, 0};
    glint_status s = gl_pb_sub(parent, gf, &r, err);
    while (!s && gl_pb_more(&r)) {
        if ((s = gl_pb_next(&r, &f, err))) return gl_err_prefix(err, "graph");
        if (f.number == G_NODE) s = gl_onnx_node(g, &r, &f, err);
        else if (f.number == G_INITIALIZER) s = add_initializer(g, &r, &f, k_init++, err);
        else if (f.number == G_SPARSE_INITIALIZER)
            s = gl_fail(err, GLINT_ERR_UNSUPPORTED, "sparse initializers are not supported");
    }
    if (s) return s;
    gl_pb_sub(parent, gf, &r, NULL);
    while (!s && gl_pb_more(&r) && gl_pb_next(&r, &f, NULL) == GLINT_OK) {
        int kind = f.number == G_INPUT ? 0 : f.number == G_OUTPUT ? 1 : f.number == G_VALUE_INFO ? 2 : -1;
        if (kind >= 0) s = add_io(g, &r, &f, kind, k_io[kind]++, err);
    }
    if (s) return s;
    if (g->n_outputs == 0) return gl_fail(err, GLINT_ERR_INVALID_MODEL, "graph has no outputs");
    return GLINT_OK;
}
