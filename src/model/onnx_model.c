/* ModelProto → gl_graph, and gl_onnx_load. */
#include <string.h>

#include "model/onnx_internal.h"

enum {
    M_IR_VERSION = 1, M_PRODUCER_NAME = 2, M_GRAPH = 7, M_OPSET_IMPORT = 8, M_METADATA = 14
};

#define GL_OPSET_MIN 11
#define GL_OPSET_MAX 21

/* OperatorSetIdProto: domain (1), version (2). Records the default domain's. */
static glint_status decode_opset(const gl_pb_reader *parent, const gl_pb_field *of,
                                 int64_t *opset, bool *other, gl_err *err) {
    gl_pb_reader r;
    gl_pb_field f;
    bool default_domain = true;
    int64_t version = -1;
    glint_status s = gl_pb_sub(parent, of, &r, err);
    while (!s && gl_pb_more(&r)) {
        if ((s = gl_pb_next(&r, &f, err))) break;
        if (f.number == 1 && f.wire == GL_PB_LEN)
            default_domain = f.len == 0 || (f.len == 7 && memcmp(f.data, "ai.onnx", 7) == 0);
        else if (f.number == 2 && f.wire == GL_PB_VARINT)
            version = (int64_t)f.u;
    }
    if (s) return gl_err_prefix(err, "opset_import");
    if (default_domain) *opset = version;
    else *other = true;
    return GLINT_OK;
}

/* StringStringEntryProto: key (1), value (2). */
static glint_status decode_meta(gl_graph *g, const gl_pb_reader *parent, const gl_pb_field *mf,
                                gl_err *err) {
    gl_pb_reader r;
    gl_pb_field f, key = {0}, value = {0};
    glint_status s = gl_pb_sub(parent, mf, &r, err);
    while (!s && gl_pb_more(&r)) {
        if ((s = gl_pb_next(&r, &f, err))) break;
        if (f.wire != GL_PB_LEN) continue;
        if (f.number == 1) key = f;
        else if (f.number == 2) value = f;
    }
    if (s) return gl_err_prefix(err, "metadata_props");
    char *k = gl_onnx_string(g->alloc, &key), *v = gl_onnx_string(g->alloc, &value);
    if (!k || !v) s = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory reading metadata");
    else s = gl_graph_add_meta(g, k, v, err);
    gl_free(g->alloc, k);
    gl_free(g->alloc, v);
    return s;
}

static glint_status decode_model(gl_graph *g, const void *data, size_t size, gl_err *err) {
    gl_pb_reader r;
    gl_pb_field f, graph = {0};
    int n_graphs = 0;
    int64_t opset = -1;
    bool other_domains = false;
    glint_status s = GLINT_OK;
    gl_pb_init(&r, data, size, 0);
    /* Everything but the graph first, so that an unsupported opset is
     * reported before any operator of that opset is looked at. */
    while (!s && gl_pb_more(&r)) {
        if ((s = gl_pb_next(&r, &f, err))) return gl_err_prefix(err, "model");
        switch (f.number) {
        case M_IR_VERSION:
            if (f.wire == GL_PB_VARINT) g->ir_version = (int64_t)f.u;
            break;
        case M_PRODUCER_NAME:
            if (f.wire != GL_PB_LEN) break;
            gl_free(g->alloc, g->producer);
            g->producer = gl_onnx_string(g->alloc, &f);
            if (!g->producer) s = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory");
            break;
        case M_GRAPH:
            graph = f;
            n_graphs++;
            break;
        case M_OPSET_IMPORT: s = decode_opset(&r, &f, &opset, &other_domains, err); break;
        case M_METADATA: s = decode_meta(g, &r, &f, err); break;
        default: break;
        }
    }
    if (s) return s;
    if (n_graphs == 0) return gl_fail(err, GLINT_ERR_INVALID_MODEL, "model has no graph");
    if (n_graphs > 1) return gl_fail(err, GLINT_ERR_INVALID_MODEL, "model has %d graphs", n_graphs);
    if (graph.wire != GL_PB_LEN)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "model: graph is not a message");
    if (opset < 0 && other_domains)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                       "model imports only non-default operator domains, which are not supported");
    if (opset < 0)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "model imports no opset for the default ONNX domain");
    if (opset < GL_OPSET_MIN || opset > GL_OPSET_MAX)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "opset %lld is not supported (glint supports %d to %d)",
                       (long long)opset, GL_OPSET_MIN, GL_OPSET_MAX);
    g->opset = opset;
    return gl_onnx_graph(g, &r, &graph, err);
}

glint_status gl_onnx_load(const void *data, size_t size, const glint_allocator *a,
                          gl_graph **out, gl_err *err) {
    gl_err local;
    if (!err) err = &local;
    gl_err_clear(err);
    *out = NULL;
    if (!data && size)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "model data is NULL");
    if (size == 0) return gl_fail(err, GLINT_ERR_INVALID_MODEL, "model is empty");
    gl_graph *g = gl_graph_new(a);
    if (!g) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory creating the graph");
    glint_status s = decode_model(g, data, size, err);
    if (!s) s = gl_graph_finalize(g, err);
    if (s) {
        gl_graph_free(g);
        return s;
    }
    *out = g;
    return GLINT_OK;
}
