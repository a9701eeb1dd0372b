/* The graph IR: what the ONNX loader produces and the passes and planner
 * consume. Values are tensors named by the model; nodes reference values by
 * index. After gl_graph_finalize the nodes are in topological order, every
 * node has its operator resolved and its attributes parsed, and the graph is
 * immutable for the rest of the engine's life. */
#ifndef GL_GRAPH_H
#define GL_GRAPH_H

#include "common/common.h"

/* Values computed before any inference (constant folding at load, static
 * evaluation when planning) are bounded: one result at most
 * GL_FOLD_MAX_BYTES, all of a graph's (or a plan's) at most
 * GL_FOLD_TOTAL_MAX_BYTES. Larger ones are computed at run time instead:
 * folding an Expand into a huge constant trades a cheap op for memory, and
 * a hostile model must not make engine creation touch gigabytes. */
#define GL_FOLD_MAX_BYTES ((size_t)16 << 20)
#define GL_FOLD_TOTAL_MAX_BYTES ((size_t)256 << 20)

/* ONNX AttributeProto.AttributeType numbering. */
typedef enum gl_attr_type {
    GL_ATTR_UNDEFINED = 0,
    GL_ATTR_FLOAT = 1,
    GL_ATTR_INT = 2,
    GL_ATTR_STRING = 3,
    GL_ATTR_TENSOR = 4,
    GL_ATTR_GRAPH = 5,
    GL_ATTR_FLOATS = 6,
    GL_ATTR_INTS = 7,
    GL_ATTR_STRINGS = 8
} gl_attr_type;

/* A constant tensor owned by the graph (initializer, Constant value, tensor
 * attribute, or a folded result). data holds numel × dtype size bytes in
 * host byte order (little endian); strings are not supported. */
typedef struct gl_const {
    gl_dtype dtype;
    gl_shape shape;
    void *data;
    size_t bytes;
} gl_const;

typedef struct gl_attr {
    char *name;
    gl_attr_type type;
    float f;
    int64_t i;
    char *s;          /* STRING: NUL-terminated copy */
    size_t s_len;
    float *floats;    /* FLOATS */
    int64_t *ints;    /* INTS */
    char **strings;   /* STRINGS */
    size_t count;     /* element count of FLOATS / INTS / STRINGS */
    gl_const *t;      /* TENSOR */
} gl_attr;

typedef struct gl_node {
    char *name;       /* never NULL; "" when the model gave none */
    char *op_type;
    char *domain;     /* "" for the default ONNX domain; "glint" for internal ops */
    int *inputs;      /* value indices; -1 for an omitted optional input */
    int n_inputs;
    int *outputs;     /* value indices; -1 for an omitted optional output */
    int n_outputs;
    gl_attr *attrs;
    int n_attrs;
    const struct gl_op *op; /* resolved by gl_graph_finalize */
    void *params;           /* op->parse result, owned by the graph */
} gl_node;

typedef struct gl_value {
    char *name;
    gl_dtype dtype;   /* declared or inferred; GLINT_DTYPE_UNDEFINED if unknown */
    gl_shape shape;   /* declared shape (dims -1 when dynamic); rank -1 if unknown */
    gl_const *constant; /* non-NULL for initializers and constants */
    int producer;     /* node index, or -1 for inputs and constants */
    bool is_input;    /* graph input (not an initializer) */
    bool is_output;
} gl_value;

typedef struct gl_meta {
    char *key;
    char *value;
} gl_meta;

typedef struct gl_graph {
    const glint_allocator *alloc;
    gl_value *values;
    int n_values;
    gl_node *nodes;
    int n_nodes;
    int *inputs;      /* value indices of graph inputs (initializers excluded) */
    int n_inputs;
    int *outputs;
    int n_outputs;
    int64_t opset;    /* default-domain opset */
    int64_t ir_version;
    char *producer;
    gl_meta *meta;
    int n_meta;
    void *priv;       /* private to graph.c: array capacities, name index */
} gl_graph;

/* ------------------------------------------------------------- building */
gl_graph *gl_graph_new(const glint_allocator *a);
void gl_graph_free(gl_graph *g);
/* Value by name, creating it if absent. -1 on allocation failure. */
int gl_graph_value(gl_graph *g, const char *name, gl_err *err);
int gl_graph_find_value(const gl_graph *g, const char *name);
/* Appends a node; copies strings; returns its index or -1 (err set). */
int gl_graph_add_node(gl_graph *g, const char *name, const char *domain, const char *op_type,
                      const int *inputs, int n_inputs, const int *outputs, int n_outputs,
                      gl_err *err);
gl_const *gl_const_new(const glint_allocator *a, gl_dtype dtype, const gl_shape *shape,
                       gl_err *err);
void gl_const_free(const glint_allocator *a, gl_const *c);
void gl_attr_clear(const glint_allocator *a, gl_attr *attr);
/* Appends a zeroed attribute to node `node` (the caller fills it, with
 * strings and arrays allocated from g->alloc); NULL on allocation failure. */
gl_attr *gl_node_add_attr(gl_graph *g, int node, gl_err *err);
/* Appends a graph input / output / metadata entry (strings copied). */
glint_status gl_graph_add_input(gl_graph *g, int value, gl_err *err);
glint_status gl_graph_add_output(gl_graph *g, int value, gl_err *err);
glint_status gl_graph_add_meta(gl_graph *g, const char *key, const char *value, gl_err *err);
/* A fresh value named `base` or, if taken, `base_1`, `base_2`... */
int gl_graph_new_value(gl_graph *g, const char *base, gl_err *err);

/* Checks references and single assignment, sorts nodes topologically
 * (a cycle is GLINT_ERR_INVALID_MODEL naming a node on it), resolves every
 * operator (unknown: GLINT_ERR_UNSUPPORTED naming op and node) and parses
 * attributes. */
glint_status gl_graph_finalize(gl_graph *g, gl_err *err);

/* Load-time passes on a finalized graph, which stays finalized (topological
 * order, ops resolved). In order: Identity and inference-mode Dropout
 * removed by rewiring; constant folding (nodes whose inputs are all constant,
 * evaluated with their reference kernels, results up to 16 MiB each);
 * BatchNormalization folded into a preceding Conv with constant weights;
 * dead nodes removed. Graph input and output names are kept. See passes.c. */
glint_status gl_graph_optimize(gl_graph *g, gl_err *err);

/* ------------------------------------------------------------- reading */
const gl_attr *gl_node_attr(const gl_node *n, const char *name);
/* Typed getters: the default when absent; an attribute of another type is
 * GLINT_ERR_INVALID_MODEL naming node and attribute. */
glint_status gl_attr_int(const gl_node *n, const char *name, int64_t dflt, int64_t *out,
                         gl_err *err);
glint_status gl_attr_float(const gl_node *n, const char *name, float dflt, float *out,
                           gl_err *err);
/* *out points into the graph; "" default when dflt is NULL. */
glint_status gl_attr_string(const gl_node *n, const char *name, const char *dflt,
                            const char **out, gl_err *err);
/* INTS: *count = 0 and *out = NULL when absent. */
glint_status gl_attr_ints(const gl_node *n, const char *name, const int64_t **out,
                          size_t *count, gl_err *err);
glint_status gl_attr_floats(const gl_node *n, const char *name, const float **out,
                            size_t *count, gl_err *err);
/* Human-readable node label for messages: "node 12 'Conv_7' (Conv)". */
const char *gl_node_label(const gl_graph *g, int node, char *buf, size_t size);
const char *gl_graph_meta(const gl_graph *g, const char *key);

/* ------------------------------------------------------------- loading */
/* Decodes an ONNX ModelProto. Every length, index and count is checked; a
 * hostile buffer gives GLINT_ERR_INVALID_MODEL naming the field, never a
 * crash. External-data tensors, subgraphs and non-default domains are
 * rejected. The result is finalized. */
glint_status gl_onnx_load(const void *data, size_t size, const glint_allocator *a,
                          gl_graph **out, gl_err *err);

#endif
