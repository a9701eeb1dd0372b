/* Load-time graph passes (gl_graph_optimize). Each takes a finalized graph
 * (topological order, ops resolved) and leaves it finalized; each is exact:
 * the optimized graph computes what the original did, up to float rounding
 * in BatchNorm folding. Graph input and output names never change. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/graph.h"
#include "model/graph_internal.h"
#include "ops/op.h"


static bool is_op(const gl_node *n, const char *op_type) {
    return strcmp(n->op_type, op_type) == 0 && (!n->domain[0] || strcmp(n->domain, "ai.onnx") == 0);
}

/* uses[v]: how many node input slots read value v. */
static int *count_uses(const gl_graph *g, gl_err *err) {
    int *uses = gl_calloc(g->alloc, (size_t)g->n_values + 1, sizeof(int));
    if (!uses) {
        gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory in graph passes");
        return NULL;
    }
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0) uses[g->nodes[i].inputs[k]]++;
    return uses;
}

static bool *new_keep(const gl_graph *g, gl_err *err) {
    bool *keep = gl_calloc(g->alloc, (size_t)g->n_nodes + 1, sizeof(bool));
    if (!keep) gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory in graph passes");
    else
        for (int i = 0; i < g->n_nodes; i++) keep[i] = true;
    return keep;
}

static bool unused(const gl_graph *g, const int *uses, int v) {
    return v < 0 || (uses[v] == 0 && !g->values[v].is_output);
}

/* A constant boolean input that is false (or absent). */
static bool const_false(const gl_graph *g, const gl_node *n, int k) {
    if (k >= n->n_inputs || n->inputs[k] < 0) return true;
    const gl_const *c = g->values[n->inputs[k]].constant;
    return c && c->dtype == GLINT_DTYPE_BOOL && c->bytes == 1 && ((const uint8_t *)c->data)[0] == 0;
}

/* ----------------------------------------------------------------------
 * Pass 1: Identity and inference-mode Dropout removed. Y = op(X) becomes X:
 * every reader of Y reads X instead. When Y is a graph output its name must
 * survive, so instead X's producer is made to write Y directly — possible
 * only when X is an intermediate read by nothing else. Otherwise (Y an output
 * and X a graph input or a constant or shared) the node stays. Dropout
 * qualifies when its mask is unused and training_mode is absent or false. */
static glint_status remove_identities(gl_graph *g, gl_err *err) {
    int *uses = count_uses(g, err);
    bool *keep = uses ? new_keep(g, err) : NULL;
    if (!keep) {
        gl_free(g->alloc, uses);
        return GLINT_ERR_OUT_OF_MEMORY;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        gl_node *n = &g->nodes[i];
        bool ident = is_op(n, "Identity");
        bool drop = is_op(n, "Dropout") && (n->n_outputs < 2 || unused(g, uses, n->outputs[1])) &&
                    const_false(g, n, 2);
        if (!(ident || drop) || n->n_inputs < 1 || n->n_outputs < 1) continue;
        int x = n->inputs[0], y = n->outputs[0];
        if (x < 0 || y < 0) continue;
        gl_value *vx = &g->values[x], *vy = &g->values[y];
        if (!vy->is_output) {
            for (int j = i + 1; j < g->n_nodes; j++)
                for (int k = 0; k < g->nodes[j].n_inputs; k++)
                    if (g->nodes[j].inputs[k] == y) g->nodes[j].inputs[k] = x;
            uses[x] += uses[y] - 1;
            uses[y] = 0;
        } else if (vx->producer >= 0 && !vx->is_output && uses[x] == 1) {
            gl_node *p = &g->nodes[vx->producer];
            for (int k = 0; k < p->n_outputs; k++)
                if (p->outputs[k] == x) p->outputs[k] = y;
            vy->producer = vx->producer;
            vx->producer = -1;
            uses[x] = 0;
        } else {
            continue;
        }
        keep[i] = false;
    }
    gl_graph_compact(g, keep);
    gl_free(g->alloc, keep);
    gl_free(g->alloc, uses);
    return GLINT_OK;
}

/* ----------------------------------------------------------------------
 * Pass 2: constant folding. A node whose every present input is a constant
 * is run once now with its reference kernel (infer for the output shapes,
 * then run), and its outputs become constants. Walking in topological order
 * folds whole constant subgraphs (Constant → Cast → Reshape ...) in one
 * sweep. Nodes with no inputs (Constant) qualify too. */
static glint_status fold_node(gl_graph *g, int i, size_t *budget, bool *folded, gl_err *err) {
    const glint_allocator *a = g->alloc;
    gl_node *n = &g->nodes[i];
    const gl_op *op = n->op;
    *folded = false;
    if (!op || !op->infer || !op->run || n->n_outputs < 1) return GLINT_OK;
    for (int k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] >= 0 && !g->values[n->inputs[k]].constant) return GLINT_OK;

    gl_tensor *in = gl_calloc(a, (size_t)n->n_inputs + 1, sizeof *in);
    gl_tensor *out = gl_calloc(a, (size_t)n->n_outputs, sizeof *out);
    gl_const **cs = gl_calloc(a, (size_t)n->n_outputs, sizeof *cs);
    void *ws = NULL;
    char lb[200];
    glint_status s = GLINT_OK;
    if (!in || !out || !cs) {
        s = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory folding constants");
        goto done;
    }
    for (int k = 0; k < n->n_inputs; k++) {
        if (n->inputs[k] < 0) continue;
        const gl_const *c = g->values[n->inputs[k]].constant;
        in[k].dtype = c->dtype;
        in[k].shape = c->shape;
        in[k].data = c->data;
    }
    if ((s = op->infer(n->params, in, n->n_inputs, out, n->n_outputs, err))) {
        gl_err_prefix(err, "%s", gl_node_label(g, i, lb, sizeof lb));
        goto done;
    }
    size_t total = 0;
    for (int k = 0; k < n->n_outputs; k++) {
        size_t bytes;
        if (glint_dtype_size(out[k].dtype) == 0 || out[k].shape.rank < 0 ||
            !gl_tensor_bytes(out[k].dtype, &out[k].shape, &bytes) || bytes > GL_FOLD_MAX_BYTES)
            goto done; /* not foldable (too large or unusual): leave the node */
        total += bytes;
    }
    if (total > *budget) goto done; /* the graph's folding budget is spent */
    for (int k = 0; k < n->n_outputs; k++) {
        if (!(cs[k] = gl_const_new(a, out[k].dtype, &out[k].shape, err))) {
            s = err ? err->status : GLINT_ERR_OUT_OF_MEMORY;
            goto done;
        }
        out[k].data = cs[k]->data;
    }
    size_t ws_bytes = op->workspace ? op->workspace(n->params, in, n->n_inputs, out, n->n_outputs) : 0;
    if (ws_bytes && !(ws = gl_aligned_alloc(a, ws_bytes, 64))) {
        s = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory folding constants");
        goto done;
    }
    /* Empty outputs: nothing to compute (and loops over outer dims of a
     * shape like [2^50, 0] would never end). */
    if (!gl_tensors_empty(out, n->n_outputs) &&
        (s = op->run(n->params, in, n->n_inputs, out, n->n_outputs, ws, err))) {
        gl_err_prefix(err, "%s", gl_node_label(g, i, lb, sizeof lb));
        goto done;
    }
    for (int k = 0; k < n->n_outputs; k++) {
        int v = n->outputs[k];
        if (v < 0) continue;
        g->values[v].constant = cs[k];
        g->values[v].dtype = cs[k]->dtype;
        g->values[v].shape = cs[k]->shape;
        cs[k] = NULL;
    }
    *folded = true;
    *budget -= total;
done:
    if (cs)
        for (int k = 0; k < n->n_outputs; k++) gl_const_free(a, cs[k]);
    gl_aligned_free(a, ws);
    gl_free(a, in);
    gl_free(a, out);
    gl_free(a, cs);
    return s;
}

static glint_status fold_constants(gl_graph *g, gl_err *err) {
    bool *keep = new_keep(g, err);
    if (!keep) return GLINT_ERR_OUT_OF_MEMORY;
    glint_status s = GLINT_OK;
    size_t budget = GL_FOLD_TOTAL_MAX_BYTES;
    for (int i = 0; !s && i < g->n_nodes; i++) {
        bool folded;
        s = fold_node(g, i, &budget, &folded, err);
        if (folded) keep[i] = false;
    }
    /* Folded nodes are dropped even on a later error, so that no value is
     * both a constant and a node output. */
    gl_graph_compact(g, keep);
    gl_free(g->alloc, keep);
    return s;
}

/* ----------------------------------------------------------------------
 * Pass 3: BatchNormalization (inference form) folded into the Conv before it.
 * BN computes y = (x - mean) * scale / sqrt(var + eps) + B per channel c;
 * with x = conv(W, b) that is conv(W', b') where, with s = scale/sqrt(var+eps),
 *     W'[c, ...] = W[c, ...] * s[c],   b'[c] = (b[c] - mean[c]) * s[c] + B[c].
 * Needs W, b (if any) and the four BN parameters constant float32, the conv
 * output read by the BN alone, and no training outputs in use. New constants
 * are made (W may be shared with another Conv); the Conv then writes the BN's
 * output value directly, so its name survives. Computed in double, rounded
 * once to float. */
static const gl_const *const_f32_vec(const gl_graph *g, const gl_node *n, int k, int64_t c) {
    if (k >= n->n_inputs || n->inputs[k] < 0) return NULL;
    const gl_const *t = g->values[n->inputs[k]].constant;
    if (!t || t->dtype != GLINT_DTYPE_FLOAT32 || t->shape.rank != 1 || t->shape.d[0] != c)
        return NULL;
    return t;
}

static glint_status fold_one_bn(gl_graph *g, int bn_i, const int *uses, bool *done,
                                gl_err *err) {
    gl_node *bn = &g->nodes[bn_i];
    *done = false;
    if (bn->n_inputs != 5 || bn->outputs[0] < 0) return GLINT_OK;
    for (int k = 1; k < bn->n_outputs; k++)
        if (!unused(g, uses, bn->outputs[k])) return GLINT_OK;
    int64_t training = 0;
    float eps = 1e-5f;
    if (gl_attr_int(bn, "training_mode", 0, &training, NULL) || training != 0) return GLINT_OK;
    if (gl_attr_float(bn, "epsilon", 1e-5f, &eps, NULL)) return GLINT_OK;
    int x = bn->inputs[0];
    if (x < 0 || g->values[x].producer < 0 || g->values[x].is_output || uses[x] != 1)
        return GLINT_OK;
    int ci = g->values[x].producer;
    gl_node *conv = &g->nodes[ci];
    if (!is_op(conv, "Conv") || conv->outputs[0] != x || conv->inputs[1] < 0) return GLINT_OK;
    const gl_const *w = g->values[conv->inputs[1]].constant;
    if (!w || w->dtype != GLINT_DTYPE_FLOAT32 || w->shape.rank < 3) return GLINT_OK;
    int64_t c = w->shape.d[0];
    const gl_const *b = NULL;
    if (conv->n_inputs >= 3 && conv->inputs[2] >= 0 && !(b = const_f32_vec(g, conv, 2, c)))
        return GLINT_OK;
    const gl_const *scale = const_f32_vec(g, bn, 1, c), *bias = const_f32_vec(g, bn, 2, c);
    const gl_const *mean = const_f32_vec(g, bn, 3, c), *var = const_f32_vec(g, bn, 4, c);
    if (!scale || !bias || !mean || !var || c <= 0) return GLINT_OK;

    const glint_allocator *a = g->alloc;
    gl_shape bshape = {.rank = 1, .d = {c}};
    gl_const *nw = gl_const_new(a, GLINT_DTYPE_FLOAT32, &w->shape, err);
    gl_const *nb = nw ? gl_const_new(a, GLINT_DTYPE_FLOAT32, &bshape, err) : NULL;
    int *ins = nb && conv->n_inputs < 3 ? gl_realloc_array(a, conv->inputs, 3, sizeof(int)) : NULL;
    if (!nb || (conv->n_inputs < 3 && !ins)) {
        gl_const_free(a, nw);
        gl_const_free(a, nb);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory folding BatchNormalization");
    }
    if (ins) {
        conv->inputs = ins;
        conv->inputs[2] = -1;
        conv->n_inputs = 3;
    }
    size_t per = (size_t)(gl_shape_numel(&w->shape) / c);
    const float *wd = w->data, *bd = b ? b->data : NULL, *sd = scale->data, *Bd = bias->data;
    const float *md = mean->data, *vd = var->data;
    float *nwd = nw->data, *nbd = nb->data;
    for (int64_t o = 0; o < c; o++) {
        double s = (double)sd[o] / sqrt((double)vd[o] + (double)eps);
        for (size_t j = 0; j < per; j++)
            nwd[(size_t)o * per + j] = (float)((double)wd[(size_t)o * per + j] * s);
        nbd[o] = (float)(((bd ? (double)bd[o] : 0.0) - (double)md[o]) * s + (double)Bd[o]);
    }
    /* New values may move g->values: take names by index. */
    char base[240];
    snprintf(base, sizeof base, "%.200s_bnfold", g->values[conv->inputs[1]].name);
    int vw = gl_graph_new_value(g, base, err);
    snprintf(base, sizeof base, "%.200s_bias_bnfold", g->nodes[ci].name);
    int vb = vw >= 0 ? gl_graph_new_value(g, base, err) : -1;
    if (vb < 0) {
        gl_const_free(a, nw);
        gl_const_free(a, nb);
        return err ? err->status : GLINT_ERR_OUT_OF_MEMORY;
    }
    g->values[vw].constant = nw;
    g->values[vw].dtype = GLINT_DTYPE_FLOAT32;
    g->values[vw].shape = nw->shape;
    g->values[vb].constant = nb;
    g->values[vb].dtype = GLINT_DTYPE_FLOAT32;
    g->values[vb].shape = bshape;
    conv = &g->nodes[ci];
    bn = &g->nodes[bn_i];
    conv->inputs[1] = vw;
    conv->inputs[2] = vb;
    conv->outputs[0] = bn->outputs[0];
    g->values[bn->outputs[0]].producer = ci;
    g->values[x].producer = -1;
    *done = true;
    return GLINT_OK;
}

static glint_status fold_batchnorm(gl_graph *g, gl_err *err) {
    int *uses = count_uses(g, err);
    bool *keep = uses ? new_keep(g, err) : NULL;
    glint_status s = keep ? GLINT_OK : GLINT_ERR_OUT_OF_MEMORY;
    for (int i = 0; !s && i < g->n_nodes; i++) {
        bool done = false;
        if (is_op(&g->nodes[i], "BatchNormalization")) s = fold_one_bn(g, i, uses, &done, err);
        if (done) keep[i] = false;
    }
    if (keep) gl_graph_compact(g, keep);
    gl_free(g->alloc, keep);
    gl_free(g->alloc, uses);
    return s;
}

/* ----------------------------------------------------------------------
 * Pass 4: dead code. A node is live when one of its outputs is a graph
 * output or read by a live node; walking in reverse topological order decides
 * each node after all its readers. Constants no live node reads are freed
 * (the weights replaced by BN folding, for one). */
static glint_status remove_dead(gl_graph *g, gl_err *err) {
    bool *live = gl_calloc(g->alloc, (size_t)g->n_values + 1, sizeof(bool));
    bool *keep = live ? new_keep(g, err) : NULL;
    if (!keep) {
        gl_free(g->alloc, live);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory in graph passes");
    }
    for (int i = 0; i < g->n_outputs; i++) live[g->outputs[i]] = true;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        const gl_node *n = &g->nodes[i];
        bool needed = false;
        for (int k = 0; k < n->n_outputs; k++) needed |= n->outputs[k] >= 0 && live[n->outputs[k]];
        keep[i] = needed;
        if (needed)
            for (int k = 0; k < n->n_inputs; k++)
                if (n->inputs[k] >= 0) live[n->inputs[k]] = true;
    }
    gl_graph_compact(g, keep);
    for (int v = 0; v < g->n_values; v++)
        if (!live[v] && g->values[v].constant) {
            gl_const_free(g->alloc, g->values[v].constant);
            g->values[v].constant = NULL;
        }
    gl_free(g->alloc, keep);
    gl_free(g->alloc, live);
    return GLINT_OK;
}

glint_status gl_graph_optimize(gl_graph *g, gl_err *err) {
    glint_status s = remove_identities(g, err);
    if (!s) s = fold_constants(g, err);
    if (!s) s = fold_batchnorm(g, err);
    if (!s) s = remove_dead(g, err);
    return s;
}
