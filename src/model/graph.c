/* Graph IR: building, freeing, attribute getters (graph.h). Value lookup by
 * name goes through a hash index so that loading a model with many values
 * stays linear — a hostile model with 100k names must not take minutes. */
#include <stdio.h>
#include <string.h>

#include "model/graph.h"
#include "model/graph_internal.h"
#include "ops/op.h"

typedef struct graph_priv {
    int values_cap, nodes_cap, inputs_cap, outputs_cap, meta_cap;
    int *slots;      /* open addressing: value index + 1, 0 = empty */
    size_t n_slots;  /* a power of two, kept above 2 × n_values */
} graph_priv;

static graph_priv *priv(const gl_graph *g) { return (graph_priv *)g->priv; }

gl_graph *gl_graph_new(const glint_allocator *a) {
    gl_graph *g = gl_calloc(a, 1, sizeof *g);
    if (!g) return NULL;
    g->alloc = a;
    g->priv = gl_calloc(a, 1, sizeof(graph_priv));
    if (!g->priv) {
        gl_free(a, g);
        return NULL;
    }
    return g;
}

void gl_const_free(const glint_allocator *a, gl_const *c) {
    if (!c) return;
    gl_aligned_free(a, c->data);
    gl_free(a, c);
}

gl_const *gl_const_new(const glint_allocator *a, gl_dtype dtype, const gl_shape *shape,
                       gl_err *err) {
    size_t bytes;
    if (glint_dtype_size(dtype) == 0 || !gl_tensor_bytes(dtype, shape, &bytes)) {
        gl_fail(err, GLINT_ERR_INVALID_MODEL, "constant of type %s has an invalid size",
                glint_dtype_name(dtype));
        return NULL;
    }
    gl_const *c = gl_calloc(a, 1, sizeof *c);
    /* 64-byte alignment lets every backend read weights with vector loads. */
    void *data = c ? gl_aligned_alloc(a, bytes ? bytes : 1, 64) : NULL;
    if (!data) {
        gl_free(a, c);
        gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory for a %zu-byte constant", bytes);
        return NULL;
    }
    c->dtype = dtype;
    c->shape = *shape;
    c->data = data;
    c->bytes = bytes;
    return c;
}

void gl_attr_clear(const glint_allocator *a, gl_attr *at) {
    if (!at) return;
    gl_free(a, at->name);
    gl_free(a, at->s);
    gl_free(a, at->floats);
    gl_free(a, at->ints);
    if (at->strings)
        for (size_t i = 0; i < at->count; i++) gl_free(a, at->strings[i]);
    gl_free(a, at->strings);
    gl_const_free(a, at->t);
    memset(at, 0, sizeof *at);
}

void gl_node_clear(const glint_allocator *a, gl_node *n) {
    if (n->params) {
        if (n->op && n->op->free_params) n->op->free_params(a, n->params);
        else gl_free(a, n->params);
    }
    gl_free(a, n->name);
    gl_free(a, n->op_type);
    gl_free(a, n->domain);
    gl_free(a, n->inputs);
    gl_free(a, n->outputs);
    for (int i = 0; i < n->n_attrs; i++) gl_attr_clear(a, &n->attrs[i]);
    gl_free(a, n->attrs);
    memset(n, 0, sizeof *n);
}

void gl_graph_free(gl_graph *g) {
    if (!g) return;
    const glint_allocator *a = g->alloc;
    for (int i = 0; i < g->n_values; i++) {
        gl_free(a, g->values[i].name);
        gl_const_free(a, g->values[i].constant);
    }
    gl_free(a, g->values);
    for (int i = 0; i < g->n_nodes; i++) gl_node_clear(a, &g->nodes[i]);
    gl_free(a, g->nodes);
    gl_free(a, g->inputs);
    gl_free(a, g->outputs);
    gl_free(a, g->producer);
    for (int i = 0; i < g->n_meta; i++) {
        gl_free(a, g->meta[i].key);
        gl_free(a, g->meta[i].value);
    }
    gl_free(a, g->meta);
    if (g->priv) gl_free(a, priv(g)->slots);
    gl_free(a, g->priv);
    gl_free(a, g);
}

/* Grows *arr (of *cap elements of `size` bytes) to hold `need`. */
static bool grow(const glint_allocator *a, void **arr, int *cap, int need, size_t size) {
    if (need <= *cap) return true;
    if (need > INT32_MAX / 2) return false;
    int nc = *cap ? *cap : 8;
    while (nc < need) nc *= 2;
    void *p = gl_realloc_array(a, *arr, (size_t)nc, size);
    if (!p) return false;
    *arr = p;
    *cap = nc;
    return true;
}

static size_t name_hash(const char *s) { return (size_t)gl_hash64(s, strlen(s), 0x9e3779b97f4a7c15ull); }

int gl_graph_find_value(const gl_graph *g, const char *name) {
    graph_priv *pv = priv(g);
    if (!name || !pv->n_slots) return -1;
    size_t mask = pv->n_slots - 1;
    for (size_t h = name_hash(name) & mask;; h = (h + 1) & mask) {
        int s = pv->slots[h];
        if (s == 0) return -1;
        if (strcmp(g->values[s - 1].name, name) == 0) return s - 1;
    }
}

static void index_put(graph_priv *pv, const char *name, int v) {
    size_t mask = pv->n_slots - 1;
    size_t h = name_hash(name) & mask;
    while (pv->slots[h]) h = (h + 1) & mask;
    pv->slots[h] = v + 1;
}

/* Keeps the table at most half full, so probes stay short and always end. */
static bool index_reserve(gl_graph *g, int n_values) {
    graph_priv *pv = priv(g);
    size_t need = (size_t)n_values * 2 + 1;
    if (pv->n_slots >= need) return true;
    size_t ns = pv->n_slots ? pv->n_slots : 64;
    while (ns < need) ns *= 2;
    int *slots = gl_calloc(g->alloc, ns, sizeof *slots);
    if (!slots) return false;
    gl_free(g->alloc, pv->slots);
    pv->slots = slots;
    pv->n_slots = ns;
    for (int i = 0; i < g->n_values; i++) index_put(pv, g->values[i].name, i);
    return true;
}

static int append_value(gl_graph *g, const char *name, gl_err *err) {
    graph_priv *pv = priv(g);
    char *copy = gl_strdup(g->alloc, name);
    if (!copy || !grow(g->alloc, (void **)&g->values, &pv->values_cap, g->n_values + 1,
                       sizeof *g->values) ||
        !index_reserve(g, g->n_values + 1)) {
        gl_free(g->alloc, copy);
        gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory adding value '%s'", name);
        return -1;
    }
    int v = g->n_values++;
    gl_value *val = &g->values[v];
    memset(val, 0, sizeof *val);
    val->name = copy;
    val->dtype = GLINT_DTYPE_UNDEFINED;
    val->shape.rank = -1;
    val->producer = -1;
    index_put(pv, copy, v);
    return v;
}

int gl_graph_value(gl_graph *g, const char *name, gl_err *err) {
    int v = gl_graph_find_value(g, name);
    return v >= 0 ? v : append_value(g, name, err);
}

int gl_graph_new_value(gl_graph *g, const char *base, gl_err *err) {
    if (gl_graph_find_value(g, base) < 0) return append_value(g, base, err);
    char buf[256];
    for (int k = 1;; k++) {
        snprintf(buf, sizeof buf, "%.200s_%d", base, k);
        if (gl_graph_find_value(g, buf) < 0) return append_value(g, buf, err);
    }
}

int gl_graph_add_node(gl_graph *g, const char *name, const char *domain, const char *op_type,
                      const int *inputs, int n_inputs, const int *outputs, int n_outputs,
                      gl_err *err) {
    graph_priv *pv = priv(g);
    if (n_inputs < 0 || n_outputs < 0 ||
        !grow(g->alloc, (void **)&g->nodes, &pv->nodes_cap, g->n_nodes + 1, sizeof *g->nodes)) {
        gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory adding node '%s'", name ? name : "");
        return -1;
    }
    gl_node n;
    memset(&n, 0, sizeof n);
    n.name = gl_strdup(g->alloc, name ? name : "");
    n.domain = gl_strdup(g->alloc, domain ? domain : "");
    n.op_type = gl_strdup(g->alloc, op_type ? op_type : "");
    n.inputs = gl_calloc(g->alloc, (size_t)n_inputs, sizeof(int));
    n.outputs = gl_calloc(g->alloc, (size_t)n_outputs, sizeof(int));
    if (!n.name || !n.domain || !n.op_type || !n.inputs || !n.outputs) {
        gl_node_clear(g->alloc, &n);
        gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory adding node '%s'", name ? name : "");
        return -1;
    }
    if (n_inputs) memcpy(n.inputs, inputs, (size_t)n_inputs * sizeof(int));
    if (n_outputs) memcpy(n.outputs, outputs, (size_t)n_outputs * sizeof(int));
    n.n_inputs = n_inputs;
    n.n_outputs = n_outputs;
    g->nodes[g->n_nodes] = n;
    return g->n_nodes++;
}

gl_attr *gl_node_add_attr(gl_graph *g, int node, gl_err *err) {
    gl_node *n = &g->nodes[node];
    gl_attr *p = gl_realloc_array(g->alloc, n->attrs, (size_t)n->n_attrs + 1, sizeof *p);
    if (!p) {
        gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory adding an attribute to node '%s'",
                n->name);
        return NULL;
    }
    n->attrs = p;
    memset(&p[n->n_attrs], 0, sizeof *p);
    return &p[n->n_attrs++];
}

glint_status gl_graph_add_input(gl_graph *g, int value, gl_err *err) {
    if (!grow(g->alloc, (void **)&g->inputs, &priv(g)->inputs_cap, g->n_inputs + 1, sizeof(int)))
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory adding a graph input");
    g->inputs[g->n_inputs++] = value;
    return GLINT_OK;
}

glint_status gl_graph_add_output(gl_graph *g, int value, gl_err *err) {
    if (!grow(g->alloc, (void **)&g->outputs, &priv(g)->outputs_cap, g->n_outputs + 1,
              sizeof(int)))
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory adding a graph output");
    g->outputs[g->n_outputs++] = value;
    return GLINT_OK;
}

glint_status gl_graph_add_meta(gl_graph *g, const char *key, const char *value, gl_err *err) {
    char *k = gl_strdup(g->alloc, key), *v = gl_strdup(g->alloc, value);
    if (!k || !v ||
        !grow(g->alloc, (void **)&g->meta, &priv(g)->meta_cap, g->n_meta + 1, sizeof *g->meta)) {
        gl_free(g->alloc, k);
        gl_free(g->alloc, v);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory adding metadata '%s'", key);
    }
    g->meta[g->n_meta].key = k;
    g->meta[g->n_meta].value = v;
    g->n_meta++;
    return GLINT_OK;
}

const char *gl_graph_meta(const gl_graph *g, const char *key) {
    /* The last entry wins, as for a repeated key in a protobuf map. */
    for (int i = g->n_meta - 1; i >= 0; i--)
        if (strcmp(g->meta[i].key, key) == 0) return g->meta[i].value;
    return NULL;
}

const char *gl_node_label(const gl_graph *g, int node, char *buf, size_t size) {
    if (node < 0 || node >= g->n_nodes) snprintf(buf, size, "node %d", node);
    else
        snprintf(buf, size, "node %d '%.100s' (%.60s)", node, g->nodes[node].name,
                 g->nodes[node].op_type);
    return buf;
}

/* ------------------------------------------------------------ attributes */

const gl_attr *gl_node_attr(const gl_node *n, const char *name) {
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
    return NULL;
}

static const char *const g_attr_type_name[] = {"undefined", "float",  "int",  "string", "tensor",
                                               "graph",     "floats", "ints", "strings"};

/* Finds `name` and checks its type; *out NULL when absent. */
static glint_status typed(const gl_node *n, const char *name, gl_attr_type want,
                          const gl_attr **out, gl_err *err) {
    const gl_attr *at = gl_node_attr(n, name);
    *out = at;
    if (!at || at->type == want) return GLINT_OK;
    unsigned t = (unsigned)at->type;
    return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                   "node '%.100s' (%.60s): attribute '%.60s' must be of type %s, found %s", n->name,
                   n->op_type, name, g_attr_type_name[want],
                   t < GL_ARRAY_LEN(g_attr_type_name) ? g_attr_type_name[t] : "unknown");
}

glint_status gl_attr_int(const gl_node *n, const char *name, int64_t dflt, int64_t *out,
                         gl_err *err) {
    const gl_attr *at;
    glint_status s = typed(n, name, GL_ATTR_INT, &at, err);
    if (s) return s;
    *out = at ? at->i : dflt;
    return GLINT_OK;
}

glint_status gl_attr_float(const gl_node *n, const char *name, float dflt, float *out,
                           gl_err *err) {
    const gl_attr *at;
    glint_status s = typed(n, name, GL_ATTR_FLOAT, &at, err);
    if (s) return s;
    *out = at ? at->f : dflt;
    return GLINT_OK;
}

glint_status gl_attr_string(const gl_node *n, const char *name, const char *dflt,
                            const char **out, gl_err *err) {
    const gl_attr *at;
    glint_status s = typed(n, name, GL_ATTR_STRING, &at, err);
    if (s) return s;
    *out = at ? (at->s ? at->s : "") : (dflt ? dflt : "");
    return GLINT_OK;
}

glint_status gl_attr_ints(const gl_node *n, const char *name, const int64_t **out, size_t *count,
                          gl_err *err) {
    const gl_attr *at;
    glint_status s = typed(n, name, GL_ATTR_INTS, &at, err);
    if (s) return s;
    *out = at ? at->ints : NULL;
    *count = at ? at->count : 0;
    return GLINT_OK;
}

glint_status gl_attr_floats(const gl_node *n, const char *name, const float **out, size_t *count,
                            gl_err *err) {
    const gl_attr *at;
    glint_status s = typed(n, name, GL_ATTR_FLOATS, &at, err);
    if (s) return s;
    *out = at ? at->floats : NULL;
    *count = at ? at->count : 0;
    return GLINT_OK;
}
