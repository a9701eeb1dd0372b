/* NodeProto and AttributeProto → gl_node and gl_attr. */
#include <stdio.h>
#include <string.h>

#include "model/onnx_internal.h"

enum { N_INPUT = 1, N_OUTPUT = 2, N_NAME = 3, N_OP_TYPE = 4, N_ATTRIBUTE = 5, N_DOMAIN = 7 };
enum {
    A_NAME = 1, A_F = 2, A_I = 3, A_S = 4, A_T = 5, A_G = 6, A_FLOATS = 7, A_INTS = 8,
    A_STRINGS = 9, A_TENSORS = 10, A_GRAPHS = 11, A_TYPE = 20, A_REF_ATTR = 21,
    A_SPARSE_TENSOR = 22, A_SPARSE_TENSORS = 23, A_TP = 14, A_TPS = 15
};

/* ONNX attribute types beyond the ones glint keeps (graph.h stops at 8). */
static const char *const g_other_types[] = {
    [9] = "TENSORS", [10] = "GRAPHS", [11] = "SPARSE_TENSOR", [12] = "SPARSE_TENSORS",
    [13] = "TYPE_PROTO", [14] = "TYPE_PROTOS"};

typedef struct attr_scan {
    gl_pb_field name, s;
    bool has_name, has_f, has_i, has_s, has_t, graph, other, ref;
    uint64_t f, i;
    int64_t type;
    size_t n_floats, n_ints, n_strings;
    gl_pb_field t;
} attr_scan;

static glint_status attr_scan_fields(gl_pb_reader *r, attr_scan *as, gl_err *err) {
    gl_pb_field f;
    glint_status s;
    memset(as, 0, sizeof *as);
    while (gl_pb_more(r)) {
        size_t n;
        if ((s = gl_pb_next(r, &f, err))) return s;
        bool len = f.wire == GL_PB_LEN;
        switch (f.number) {
        case A_NAME: as->name = f; as->has_name = len; break;
        case A_F:
            if (f.wire != GL_PB_FIXED32) return gl_fail(err, GLINT_ERR_INVALID_MODEL, "field f is not a float");
            as->f = f.u; as->has_f = true;
            break;
        case A_I:
            if (f.wire != GL_PB_VARINT) return gl_fail(err, GLINT_ERR_INVALID_MODEL, "field i is not a varint");
            as->i = f.u; as->has_i = true;
            break;
        case A_S: as->s = f; as->has_s = len; break;
        case A_T: as->t = f; as->has_t = len; break;
        case A_G: case A_GRAPHS: as->graph = true; break;
        case A_TENSORS: case A_SPARSE_TENSOR: case A_SPARSE_TENSORS: case A_TP: case A_TPS:
            as->other = true;
            break;
        case A_REF_ATTR: as->ref = true; break;
        case A_TYPE:
            if (f.wire != GL_PB_VARINT) return gl_fail(err, GLINT_ERR_INVALID_MODEL, "field type is not a varint");
            as->type = (int64_t)f.u;
            break;
        case A_FLOATS:
            if ((s = gl_pb_count(&f, GL_PB_FIXED32, &n, err))) return s;
            as->n_floats += n;
            break;
        case A_INTS:
            if ((s = gl_pb_count(&f, GL_PB_VARINT, &n, err))) return s;
            as->n_ints += n;
            break;
        case A_STRINGS:
            if (!len) return gl_fail(err, GLINT_ERR_INVALID_MODEL, "field strings is not a string");
            as->n_strings++;
            break;
        default: break;
        }
    }
    return GLINT_OK;
}

/* Attributes written before IR version 3 may lack `type`; infer it from the
 * field that is set. */
static int64_t infer_type(const attr_scan *as) {
    if (as->type) return as->type;
    if (as->graph) return GL_ATTR_GRAPH;
    if (as->n_floats) return GL_ATTR_FLOATS;
    if (as->n_ints) return GL_ATTR_INTS;
    if (as->n_strings) return GL_ATTR_STRINGS;
    if (as->has_t) return GL_ATTR_TENSOR;
    if (as->has_s) return GL_ATTR_STRING;
    if (as->has_f) return GL_ATTR_FLOAT;
    if (as->has_i) return GL_ATTR_INT;
    return 0;
}

/* Fills the typed arrays in a second walk (validated by attr_scan_fields). */
static void fill_arrays(const gl_pb_reader *parent, const gl_pb_field *af, gl_attr *at,
                        const glint_allocator *a, bool *oom) {
    gl_pb_reader r;
    gl_pb_field f;
    size_t nf = 0, ni = 0, ns = 0;
    gl_pb_sub(parent, af, &r, NULL);
    while (gl_pb_more(&r) && gl_pb_next(&r, &f, NULL) == GLINT_OK) {
        gl_pb_iter it;
        uint64_t v;
        if (f.number == A_FLOATS && at->floats) {
            gl_pb_iter_init(&it, &f, GL_PB_FIXED32);
            while (nf < at->count && gl_pb_iter_next(&it, &v)) at->floats[nf++] = gl_pb_float(v);
        } else if (f.number == A_INTS && at->ints) {
            gl_pb_iter_init(&it, &f, GL_PB_VARINT);
            while (ni < at->count && gl_pb_iter_next(&it, &v)) at->ints[ni++] = (int64_t)v;
        } else if (f.number == A_STRINGS && at->strings && ns < at->count) {
            at->strings[ns] = gl_onnx_string(a, &f);
            if (!at->strings[ns++]) *oom = true;
        }
    }
}

static glint_status decode_attr(gl_graph *g, int node, const gl_pb_reader *parent,
                                const gl_pb_field *af, const char *label, gl_err *err) {
    const glint_allocator *a = g->alloc;
    gl_pb_reader r;
    attr_scan as;
    glint_status s = gl_pb_sub(parent, af, &r, err);
    if (!s) s = attr_scan_fields(&r, &as, err);
    if (s) return gl_err_prefix(err, "%s: attribute", label);
    if (!as.has_name || as.name.len == 0)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: an attribute has no name", label);
    char *name = gl_onnx_string(a, &as.name);
    if (!name) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "%s: out of memory", label);
    gl_node *n = &g->nodes[node];
    int64_t type = infer_type(&as);
    if (gl_node_attr(n, name))
        s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: attribute '%.60s' is given twice", label, name);
    else if (type == GL_ATTR_GRAPH || type == 10 || as.graph)
        s = gl_fail(err, GLINT_ERR_UNSUPPORTED,
                    "%s: attribute '%.60s' is a subgraph; subgraphs are not supported", label, name);
    else if (as.ref)
        s = gl_fail(err, GLINT_ERR_UNSUPPORTED,
                    "%s: attribute '%.60s' refers to a function attribute; functions are not "
                    "supported", label, name);
    else if (type >= 9 && type <= 14)
        s = gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: attribute '%.60s' of type %s is not supported",
                    label, name, g_other_types[type]);
    else if (type <= 0 || type > 14)
        s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: attribute '%.60s' has invalid type %lld",
                    label, name, (long long)type);
    if (s) {
        gl_free(a, name);
        return s;
    }
    gl_attr *at = gl_node_add_attr(g, node, err);
    if (!at) {
        gl_free(a, name);
        return gl_err_prefix(err, "%s", label);
    }
    at->name = name;
    at->type = (gl_attr_type)type;
    at->f = gl_pb_float(as.f);
    at->i = (int64_t)as.i;
    bool oom = false;
    switch (at->type) {
    case GL_ATTR_STRING:
        at->s = as.has_s ? gl_onnx_string(a, &as.s) : gl_strdup(a, "");
        at->s_len = as.has_s ? as.s.len : 0;
        oom = !at->s;
        break;
    case GL_ATTR_TENSOR: {
        if (!as.has_t)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: attribute '%.60s' has no tensor",
                           label, name);
        char what[400];
        snprintf(what, sizeof what, "%s: attribute '%.60s' tensor", label, name);
        return gl_onnx_tensor(&r, &as.t, a, what, NULL, &at->t, err);
    }
    case GL_ATTR_FLOATS:
        at->count = as.n_floats;
        at->floats = gl_calloc(a, as.n_floats, sizeof(float));
        oom = !at->floats;
        break;
    case GL_ATTR_INTS:
        at->count = as.n_ints;
        at->ints = gl_calloc(a, as.n_ints, sizeof(int64_t));
        oom = !at->ints;
        break;
    case GL_ATTR_STRINGS:
        at->count = as.n_strings;
        at->strings = gl_calloc(a, as.n_strings, sizeof(char *));
        oom = !at->strings;
        break;
    default: break;
    }
    if (!oom) fill_arrays(parent, af, at, a, &oom);
    if (oom) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "%s: out of memory", label);
    return GLINT_OK;
}

/* Value index for a node input/output name; "" is an omitted optional one. */
static int ref_value(gl_graph *g, const gl_pb_field *f, gl_err *err) {
    if (f->len == 0) return -1;
    char *nm = gl_onnx_string(g->alloc, f);
    if (!nm) {
        gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory");
        return -2;
    }
    int v = gl_graph_value(g, nm, err);
    gl_free(g->alloc, nm);
    return v < 0 ? -2 : v;
}

glint_status gl_onnx_node(gl_graph *g, const gl_pb_reader *parent, const gl_pb_field *nf,
                          gl_err *err) {
    const glint_allocator *a = g->alloc;
    int index = g->n_nodes;
    gl_pb_reader r;
    gl_pb_field f, name = {0}, op = {0}, dom = {0};
    size_t n_in = 0, n_out = 0;
    glint_status s = gl_pb_sub(parent, nf, &r, err);
    /* Pass 1: strings and counts. */
    while (!s && gl_pb_more(&r)) {
        if ((s = gl_pb_next(&r, &f, err))) break;
        bool is_len = f.wire == GL_PB_LEN;
        if (!is_len && f.number >= N_INPUT && f.number <= N_DOMAIN && f.number != 6)
            s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "field %u has wire type %d", f.number,
                        (int)f.wire);
        else if (f.number == N_INPUT) n_in++;
        else if (f.number == N_OUTPUT) n_out++;
        else if (f.number == N_NAME) name = f;
        else if (f.number == N_OP_TYPE) op = f;
        else if (f.number == N_DOMAIN) dom = f;
    }
    if (s) return gl_err_prefix(err, "node %d", index);
    if (n_in > INT32_MAX / 2 || n_out > INT32_MAX / 2)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "node %d: too many inputs", index);
    char *sname = gl_onnx_string(a, &name), *sop = gl_onnx_string(a, &op);
    char *sdom = gl_onnx_string(a, &dom);
    int *ins = gl_calloc(a, n_in, sizeof(int)), *outs = gl_calloc(a, n_out, sizeof(int));
    char label[260];
    if (!sname || !sop || !sdom || !ins || !outs) {
        s = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "node %d: out of memory", index);
        goto done;
    }
    snprintf(label, sizeof label, "node %d '%.100s' (%.60s)", index, sname, sop);
    if (!sop[0]) {
        s = gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: no op_type", label);
        goto done;
    }
    if (sdom[0] && strcmp(sdom, "ai.onnx") != 0) {
        s = gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: domain '%.60s' is not supported", label, sdom);
        goto done;
    }
    /* Pass 2: value references. */
    size_t ki = 0, ko = 0;
    gl_pb_sub(parent, nf, &r, NULL);
    while (gl_pb_more(&r) && gl_pb_next(&r, &f, NULL) == GLINT_OK) {
        if (f.number != N_INPUT && f.number != N_OUTPUT) continue;
        int v = ref_value(g, &f, err);
        if (v == -2) {
            s = gl_err_prefix(err, "%s", label);
            goto done;
        }
        if (f.number == N_INPUT) ins[ki++] = v;
        else outs[ko++] = v;
    }
    if (gl_graph_add_node(g, sname, "", sop, ins, (int)n_in, outs, (int)n_out, err) < 0) {
        s = err ? err->status : GLINT_ERR_OUT_OF_MEMORY;
        goto done;
    }
    /* Pass 3: attributes, now that the node exists. */
    gl_pb_sub(parent, nf, &r, NULL);
    while (!s && gl_pb_more(&r) && gl_pb_next(&r, &f, NULL) == GLINT_OK)
        if (f.number == N_ATTRIBUTE) s = decode_attr(g, index, &r, &f, label, err);
done:
    gl_free(a, sname);
    gl_free(a, sop);
    gl_free(a, sdom);
    gl_free(a, ins);
    gl_free(a, outs);
    return s;
}
