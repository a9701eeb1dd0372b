/* gl_graph_finalize: validation, topological sort, operator resolution and
 * attribute parsing. Every check here guards a later layer's assumption (the
 * planner indexes values by node inputs, walks nodes in order and trusts
 * op->params), so a model that passes cannot make them misbehave. */
#include <string.h>

#include "model/graph.h"
#include "model/graph_internal.h"
#include "ops/op.h"

void gl_graph_set_producers(gl_graph *g) {
    for (int v = 0; v < g->n_values; v++) g->values[v].producer = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_outputs; k++)
            if (g->nodes[i].outputs[k] >= 0) g->values[g->nodes[i].outputs[k]].producer = i;
}

void gl_graph_compact(gl_graph *g, const bool *keep) {
    int w = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (keep[i]) g->nodes[w++] = g->nodes[i];
        else gl_node_clear(g->alloc, &g->nodes[i]);
    }
    g->n_nodes = w;
    gl_graph_set_producers(g);
}

static const char *vname(const gl_graph *g, int v) { return g->values[v].name; }

/* Indices in range, flags set, each value produced at most once and not also
 * a constant or graph input, every use defined. */
static glint_status check_refs(gl_graph *g, gl_err *err) {
    char lb[200];
    for (int v = 0; v < g->n_values; v++) {
        g->values[v].producer = -1;
        g->values[v].is_input = g->values[v].is_output = false;
    }
    for (int i = 0; i < g->n_inputs; i++) {
        int v = g->inputs[i];
        if (v < 0 || v >= g->n_values)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "graph input %d: bad value index", i);
        if (g->values[v].is_input)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "graph input '%s' is listed twice",
                           vname(g, v));
        if (g->values[v].constant)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "graph input '%s' is also a constant", vname(g, v));
        g->values[v].is_input = true;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        if (g->outputs[i] < 0 || g->outputs[i] >= g->n_values)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "graph output %d: bad value index", i);
        g->values[g->outputs[i]].is_output = true;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        gl_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_outputs; k++) {
            int v = n->outputs[k];
            if (v < -1 || v >= g->n_values)
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: output %d: bad value index",
                               gl_node_label(g, i, lb, sizeof lb), k);
            if (v < 0) continue;
            gl_value *val = &g->values[v];
            const char *why = val->constant ? "an initializer or constant"
                              : val->is_input ? "a graph input"
                              : val->producer >= 0 ? "the output of another node"
                                                   : NULL;
            if (why) {
                gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: output '%s' is also %s",
                        gl_node_label(g, i, lb, sizeof lb), val->name, why);
                return GLINT_ERR_INVALID_MODEL;
            }
            val->producer = i;
        }
    }
    for (int i = 0; i < g->n_nodes; i++) {
        gl_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            int v = n->inputs[k];
            if (v < -1 || v >= g->n_values)
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: input %d: bad value index",
                               gl_node_label(g, i, lb, sizeof lb), k);
            if (v < 0) continue;
            const gl_value *val = &g->values[v];
            if (!val->constant && !val->is_input && val->producer < 0)
                return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                               "%s: input '%s' is not produced by any node, initializer or "
                               "graph input",
                               gl_node_label(g, i, lb, sizeof lb), val->name);
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const gl_value *val = &g->values[g->outputs[i]];
        if (!val->constant && !val->is_input && val->producer < 0)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "graph output '%s' is not produced by any node, initializer or input",
                           val->name);
    }
    return GLINT_OK;
}

/* Kahn's algorithm over node → consumer edges; stable (ready nodes are taken
 * in model order). On a cycle, walks producer links backwards from a node
 * left unsorted: after n_nodes steps the walk is inside a cycle, and that
 * node is named. */
static glint_status topo_sort(gl_graph *g, gl_err *err) {
    const glint_allocator *a = g->alloc;
    int n = g->n_nodes;
    if (n == 0) return GLINT_OK;
    int *indeg = gl_calloc(a, (size_t)n, sizeof(int));
    int *first = gl_calloc(a, (size_t)g->n_values + 1, sizeof(int));
    int *order = gl_calloc(a, (size_t)n, sizeof(int));
    size_t n_edges = 0;
    for (int i = 0; i < n; i++) n_edges += (size_t)g->nodes[i].n_inputs;
    int *cons = gl_calloc(a, n_edges ? n_edges : 1, sizeof(int));
    gl_node *sorted = gl_calloc(a, (size_t)n, sizeof(gl_node));
    glint_status st = GLINT_OK;
    if (!indeg || !first || !order || !cons || !sorted) {
        st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory sorting %d nodes", n);
        goto done;
    }
    /* Consumers of each value in CSR form: first[v] .. first[v+1]. */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++) {
            int v = g->nodes[i].inputs[k];
            if (v >= 0 && g->values[v].producer >= 0) {
                first[v + 1]++;
                indeg[i]++;
            }
        }
    for (int v = 0; v < g->n_values; v++) first[v + 1] += first[v];
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++) {
            int v = g->nodes[i].inputs[k];
            if (v >= 0 && g->values[v].producer >= 0) cons[first[v]++] = i;
        }
    /* first[v] now points at the end of v's list; shift back. */
    for (int v = g->n_values; v > 0; v--) first[v] = first[v - 1];
    first[0] = 0;

    int head = 0, tail = 0;
    for (int i = 0; i < n; i++)
        if (indeg[i] == 0) order[tail++] = i;
    while (head < tail) {
        const gl_node *nd = &g->nodes[order[head++]];
        for (int k = 0; k < nd->n_outputs; k++) {
            int v = nd->outputs[k];
            if (v < 0) continue;
            for (int e = first[v]; e < first[v + 1]; e++)
                if (--indeg[cons[e]] == 0) order[tail++] = cons[e];
        }
    }
    if (tail < n) {
        int u = 0;
        while (indeg[u] == 0) u++;
        for (int step = 0; step < n; step++) {
            const gl_node *nd = &g->nodes[u];
            for (int k = 0; k < nd->n_inputs; k++) {
                int v = nd->inputs[k];
                if (v >= 0 && g->values[v].producer >= 0 && indeg[g->values[v].producer] > 0) {
                    u = g->values[v].producer;
                    break;
                }
            }
        }
        char lb[200];
        st = gl_fail(err, GLINT_ERR_INVALID_MODEL, "the graph has a cycle through %s",
                     gl_node_label(g, u, lb, sizeof lb));
        goto done;
    }
    for (int i = 0; i < n; i++) sorted[i] = g->nodes[order[i]];
    memcpy(g->nodes, sorted, (size_t)n * sizeof *sorted);
    gl_graph_set_producers(g);
done:
    gl_free(a, indeg);
    gl_free(a, first);
    gl_free(a, order);
    gl_free(a, cons);
    gl_free(a, sorted);
    return st;
}

static glint_status resolve(gl_graph *g, int i, gl_err *err) {
    gl_node *n = &g->nodes[i];
    char lb[200];
    if (n->op) return GLINT_OK; /* already resolved by an earlier finalize */
    const gl_op *op = gl_op_find(n->domain, n->op_type);
    if (!op) {
        if (n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
            return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: operator %.60s::%.60s is not supported",
                           gl_node_label(g, i, lb, sizeof lb), n->domain, n->op_type);
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: operator %.60s is not supported",
                       gl_node_label(g, i, lb, sizeof lb), n->op_type);
    }
    if (n->n_inputs < op->min_inputs || n->n_inputs > op->max_inputs)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: %d inputs given, %s takes %d to %d",
                       gl_node_label(g, i, lb, sizeof lb), n->n_inputs, op->name, op->min_inputs,
                       op->max_inputs);
    if (n->n_outputs < op->min_outputs || n->n_outputs > op->max_outputs)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: %d outputs given, %s has %d to %d",
                       gl_node_label(g, i, lb, sizeof lb), n->n_outputs, op->name,
                       op->min_outputs, op->max_outputs);
    for (int k = 0; k < op->min_inputs; k++)
        if (n->inputs[k] < 0)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: required input %d is missing",
                           gl_node_label(g, i, lb, sizeof lb), k);
    if (n->n_outputs > 0 && n->outputs[0] < 0)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: the first output has no name",
                       gl_node_label(g, i, lb, sizeof lb));
    n->op = op;
    if (op->parse) {
        void *params = NULL;
        glint_status s = op->parse(g, n, &params, err);
        if (s) {
            /* Some parsers hand out their blob before failing: free it here
             * (ops that free their own leave params NULL). */
            if (params) {
                if (op->free_params) op->free_params(g->alloc, params);
                else gl_free(g->alloc, params);
            }
            n->op = NULL;
            if (err && err->status == s) return gl_err_prefix(err, "%s", gl_node_label(g, i, lb, sizeof lb));
            return gl_fail(err, s, "%s: invalid attributes", gl_node_label(g, i, lb, sizeof lb));
        }
        n->params = params;
    }
    return GLINT_OK;
}

glint_status gl_graph_finalize(gl_graph *g, gl_err *err) {
    glint_status s = check_refs(g, err);
    if (!s) s = topo_sort(g, err);
    for (int i = 0; !s && i < g->n_nodes; i++) s = resolve(g, i, err);
    return s;
}
