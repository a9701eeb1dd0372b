/* Lowering of the element-wise, shape and data-movement operators, and the
 * dispatch of every plan step to its lowering. Attributes are read from the
 * graph node (the op files keep their parsed params private), constants
 * from the plan tensors. */
#include <math.h>
#include <string.h>

#include "backend/cuda/cuda_lower.h"

static const gl_node *node_of(const gl_cuda_lower *L, int si) {
    return &L->g->nodes[L->plan->steps[si].node];
}

static int64_t strides_of(const gl_shape *s, int64_t *st) {
    int64_t n = 1;
    for (int d = s->rank - 1; d >= 0; d--) {
        st[d] = n;
        n *= s->d[d];
    }
    return n;
}

static size_t dev_elem(const gl_cuda_lower *L, int id) {
    return glint_dtype_size(L->pp->t[id].dev_dtype);
}

/* Every listed tensor (ids < 0 skipped) must be float: the kernels compute
 * in the activation type only. */
static glint_status need_float(gl_cuda_lower *L, int si, const int *ids, int n, gl_err *err) {
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0 && !gl_cuda_is_float(L, ids[i]))
            return gl_cuda_unsupported(L, si, err, "has a non-float32 tensor; CUDA kernels "
                                                   "compute in float only");
    return GLINT_OK;
}

static glint_status step_float(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    glint_status st = need_float(L, si, s->inputs, s->n_inputs, err);
    return st ? st : need_float(L, si, s->outputs, s->n_outputs, err);
}

/* A view: the output shares the input's bytes. */
static glint_status lower_view(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    for (int k = 1; k < s->n_outputs; k++)
        if (s->outputs[k] >= 0) return gl_cuda_unsupported(L, si, err, "has a second output");
    int in = s->inputs[0], out = s->outputs[0];
    gl_cuda_tensor *ti = &L->pp->t[in], *to = &L->pp->t[out];
    if (ti->dev_dtype != to->dev_dtype || ti->numel != to->numel)
        return gl_cuda_unsupported(L, si, err, "changes dtype or size; not a view");
    if (to->is_const) return GLINT_OK; /* computed at plan time */
    to->storage = ti->storage;
    to->view_bytes = ti->view_bytes;
    if (ti->is_const) {
        to->is_const = true;
        to->host = L->pp->t[ti->storage].host;
    }
    return GLINT_OK;
}

static int unary_code(const char *name) {
    static const struct { const char *n; int op; } t[] = {
        {"Relu", GKU_RELU}, {"LeakyRelu", GKU_LEAKY_RELU}, {"Sigmoid", GKU_SIGMOID},
        {"Tanh", GKU_TANH}, {"Clip", GKU_CLIP}, {"Erf", GKU_ERF}, {"Exp", GKU_EXP},
        {"Neg", GKU_NEG}, {"Abs", GKU_ABS}, {"Sqrt", GKU_SQRT}, {"Elu", GKU_ELU},
        {"Softplus", GKU_SOFTPLUS}, {"HardSigmoid", GKU_HARD_SIGMOID},
        {"Reciprocal", GKU_RECIPROCAL}, {"Log", GKU_LOG}, {"Gelu", GKU_GELU},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(t); i++)
        if (strcmp(name, t[i].n) == 0) return t[i].op;
    return -1;
}

static glint_status lower_unary(gl_cuda_lower *L, int si, int op, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_node *n = node_of(L, si);
    glint_status st = step_float(L, si, err);
    if (st) return st;
    float alpha = 0.0f, beta = 0.0f;
    switch (op) {
    case GKU_LEAKY_RELU: st = gl_attr_float(n, "alpha", 0.01f, &alpha, err); break;
    case GKU_ELU: st = gl_attr_float(n, "alpha", 1.0f, &alpha, err); break;
    case GKU_HARD_SIGMOID:
        st = gl_attr_float(n, "alpha", 0.2f, &alpha, err);
        if (!st) st = gl_attr_float(n, "beta", 0.5f, &beta, err);
        break;
    case GKU_GELU: {
        const char *approx = NULL;
        st = gl_attr_string(n, "approximate", "none", &approx, err);
        if (!st && strcmp(approx, "none") != 0)
            return gl_cuda_unsupported(L, si, err, "uses approximate Gelu");
        break;
    }
    case GKU_CLIP:
        alpha = -INFINITY;
        beta = INFINITY;
        if (s->n_inputs > 1 || L->g->opset >= 11) {
            for (int k = 1; k < 3; k++) {
                int id = k < s->n_inputs ? s->inputs[k] : -1;
                if (id < 0) continue;
                float v;
                if (!gl_cuda_const_f32(L, id, 0, &v))
                    return gl_cuda_unsupported(L, si, err, "has a runtime min/max");
                if (k == 1) alpha = v; else beta = v;
            }
        } else {
            st = gl_attr_float(n, "min", -INFINITY, &alpha, err);
            if (!st) st = gl_attr_float(n, "max", INFINITY, &beta, err);
        }
        break;
    default: break;
    }
    if (st) return st;
    gk_desc *d = gl_cuda_add_desc(L, GK_UNARY, s->node, err);
    if (!d) return err->status;
    d->n_args = 2;
    d->args[0] = s->inputs[0];
    d->args[1] = s->outputs[0];
    d->u.unary.op = op;
    d->u.unary.alpha = alpha;
    d->u.unary.beta = beta;
    d->u.unary.count = L->pp->t[s->outputs[0]].numel;
    return GLINT_OK;
}

/* A DequantizeLinear of a skipped QuantizeLinear's codes that it undoes
 * (gl_cuda_dq_mirrors): the pair as one kernel from the float tensor. */
static glint_status lower_dequantize(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan *p = L->plan;
    const gl_plan_step *s = &p->steps[si];
    const int q = s->inputs[0] >= 0 ? L->producer[s->inputs[0]] : -1;
    if (q < 0 || !L->skip[q] || !gl_cuda_dq_mirrors(L, si, q))
        return gl_cuda_unsupported(L, si, err,
                                   "has no CUDA kernel (a DequantizeLinear runs only where it "
                                   "undoes a per-tensor QuantizeLinear of a float tensor)");
    float scale = 0.0f;
    int zp = 0;
    glint_status st = gl_cuda_quantizer_params(L, si, q, &scale, &zp, err);
    if (st) return st;
    gk_desc *d = gl_cuda_add_desc(L, GK_UNARY, s->node, err);
    if (!d) return err->status;
    d->n_args = 2;
    d->args[0] = p->steps[q].inputs[0];
    d->args[1] = s->outputs[0];
    d->u.unary.op = GKU_QDQ;
    d->u.unary.alpha = scale;
    d->u.unary.beta = 1.0f / scale;
    d->u.unary.zp = zp;
    d->u.unary.count = L->pp->t[s->outputs[0]].numel;
    return GLINT_OK;
}

static int binary_code(const char *name) {
    static const struct { const char *n; int op; } t[] = {
        {"Add", GKB_ADD}, {"Sub", GKB_SUB}, {"Mul", GKB_MUL}, {"Div", GKB_DIV},
        {"Max", GKB_MAX}, {"Min", GKB_MIN}, {"Pow", GKB_POW},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(t); i++)
        if (strcmp(name, t[i].n) == 0) return t[i].op;
    return -1;
}

/* Element strides of input shape s broadcast to out (0 on broadcast axes). */
static void bcast_strides(const gl_shape *s, const gl_shape *out, int64_t *st) {
    int64_t own[GL_MAX_RANK];
    strides_of(s, own);
    int off = out->rank - s->rank;
    for (int d = 0; d < out->rank; d++) {
        int k = d - off;
        st[d] = (k < 0 || s->d[k] == 1) ? 0 : own[k];
    }
}

static glint_status lower_binary(gl_cuda_lower *L, int si, int op, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    if (s->n_inputs != 2) return gl_cuda_unsupported(L, si, err, "has other than two inputs");
    glint_status st = step_float(L, si, err);
    if (st) return st;
    const gl_shape *o = &gl_cuda_pt(L, s->outputs[0])->shape;
    if (o->rank > GK_MAX_RANK) return gl_cuda_unsupported(L, si, err, "has rank above 8");
    gk_desc *d = gl_cuda_add_desc(L, GK_BINARY, s->node, err);
    if (!d) return err->status;
    d->n_args = 3;
    d->args[0] = s->inputs[0];
    d->args[1] = s->inputs[1];
    d->args[2] = s->outputs[0];
    gk_binary *b = &d->u.binary;
    b->op = op;
    b->rank = o->rank;
    b->count = gl_shape_numel(o);
    for (int i = 0; i < o->rank; i++) b->out[i] = o->d[i];
    bcast_strides(&gl_cuda_pt(L, s->inputs[0])->shape, o, b->sa);
    bcast_strides(&gl_cuda_pt(L, s->inputs[1])->shape, o, b->sb);
    return GLINT_OK;
}

static glint_status lower_concat(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_shape *o = &gl_cuda_pt(L, s->outputs[0])->shape;
    int64_t axis;
    glint_status st = gl_attr_int(node_of(L, si), "axis", 0, &axis, err);
    if (st) return st;
    if (axis < 0) axis += o->rank;
    if (axis < 0 || axis >= o->rank) return gl_cuda_unsupported(L, si, err, "has a bad axis");
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) outer *= o->d[d];
    for (int d = (int)axis + 1; d < o->rank; d++) inner *= o->d[d];
    int64_t off = 0;
    for (int k = 0; k < s->n_inputs; k++) {
        int id = s->inputs[k];
        if (L->pp->t[id].dev_dtype != L->pp->t[s->outputs[0]].dev_dtype)
            return gl_cuda_unsupported(L, si, err, "mixes dtypes");
        int64_t len = gl_cuda_pt(L, id)->shape.d[axis];
        if (len > 0 && outer > 0 && inner > 0) {
            gk_desc *d = gl_cuda_add_desc(L, GK_CONCAT_PART, s->node, err);
            if (!d) return err->status;
            d->n_args = 2;
            d->args[0] = id;
            d->args[1] = s->outputs[0];
            d->u.concat.outer = outer;
            d->u.concat.inner_src = len * inner;
            d->u.concat.inner_dst = o->d[axis] * inner;
            d->u.concat.offset = off * inner;
            d->u.concat.elem_bytes = (int)dev_elem(L, id);
        }
        off += len;
    }
    return GLINT_OK;
}

static glint_status add_gather(gl_cuda_lower *L, int si, int in, int out, int64_t base,
                               const int64_t *stride, gl_err *err) {
    const gl_shape *o = &gl_cuda_pt(L, out)->shape;
    if (gl_shape_numel(o) == 0) return GLINT_OK;
    gk_desc *d = gl_cuda_add_desc(L, GK_SLICE, L->plan->steps[si].node, err);
    if (!d) return err->status;
    d->n_args = 2;
    d->args[0] = in;
    d->args[1] = out;
    gk_slice *g = &d->u.slice;
    g->rank = o->rank;
    g->elem_bytes = (int)dev_elem(L, in);
    g->count = gl_shape_numel(o);
    g->base = base;
    for (int i = 0; i < o->rank; i++) {
        g->out[i] = o->d[i];
        g->stride[i] = stride[i];
    }
    return GLINT_OK;
}

static glint_status lower_transpose(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_shape *x = &gl_cuda_pt(L, s->inputs[0])->shape;
    const int64_t *perm = NULL;
    size_t np = 0;
    glint_status st = gl_attr_ints(node_of(L, si), "perm", &perm, &np, err);
    if (st) return st;
    if (np && (int)np != x->rank) return gl_cuda_unsupported(L, si, err, "has a bad perm");
    int64_t is[GL_MAX_RANK], stride[GL_MAX_RANK];
    strides_of(x, is);
    for (int d = 0; d < x->rank; d++) {
        int64_t p = np ? perm[d] : x->rank - 1 - d;
        if (p < 0 || p >= x->rank) return gl_cuda_unsupported(L, si, err, "has a bad perm");
        stride[d] = is[p];
    }
    return add_gather(L, si, s->inputs[0], s->outputs[0], 0, stride, err);
}

glint_status gl_cuda_slice_geom(gl_cuda_lower *L, int si, int64_t *base_out,
                                int64_t stride[GL_MAX_RANK], gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_node *n = node_of(L, si);
    const gl_shape *x = &gl_cuda_pt(L, s->inputs[0])->shape;
    int64_t start[GL_MAX_RANK], step[GL_MAX_RANK], is[GL_MAX_RANK];
    for (int d = 0; d < x->rank; d++) { start[d] = 0; step[d] = 1; }
    strides_of(x, is);
    bool from_inputs = s->n_inputs > 1;
    const int64_t *a_st = NULL, *a_en = NULL, *a_ax = NULL;
    size_t n_st = 0, n_en = 0, n_ax = 0;
    int64_t count;
    if (from_inputs) {
        count = gl_shape_numel(&gl_cuda_pt(L, s->inputs[1])->shape);
    } else {
        glint_status st = gl_attr_ints(n, "starts", &a_st, &n_st, err);
        if (!st) st = gl_attr_ints(n, "ends", &a_en, &n_en, err);
        if (!st) st = gl_attr_ints(n, "axes", &a_ax, &n_ax, err);
        if (st) return st;
        count = (int64_t)n_st;
    }
    for (int64_t i = 0; i < count; i++) {
        int64_t b, e, ax = i, stp = 1;
        bool ok;
        if (from_inputs) {
            ok = gl_cuda_const_i64(L, s->inputs[1], i, &b) && gl_cuda_const_i64(L, s->inputs[2], i, &e);
            if (ok && s->n_inputs > 3 && s->inputs[3] >= 0) ok = gl_cuda_const_i64(L, s->inputs[3], i, &ax);
            if (ok && s->n_inputs > 4 && s->inputs[4] >= 0) ok = gl_cuda_const_i64(L, s->inputs[4], i, &stp);
        } else {
            ok = (size_t)i < n_en && (!n_ax || (size_t)i < n_ax);
            if (ok) { b = a_st[i]; e = a_en[i]; ax = n_ax ? a_ax[i] : i; }
        }
        if (!ok) return gl_cuda_unsupported(L, si, err, "has runtime starts, ends, axes or steps");
        if (ax < 0) ax += x->rank;
        if (ax < 0 || ax >= x->rank || stp == 0) return gl_cuda_unsupported(L, si, err, "has a bad axis or step");
        int64_t dim = x->d[ax];
        if (b < 0) b += dim;
        if (e < 0) e += dim;
        if (stp > 0) b = GL_MAX((int64_t)0, GL_MIN(b, dim));
        else b = GL_MAX((int64_t)0, GL_MIN(b, dim - 1));
        start[ax] = b;
        step[ax] = stp;
    }
    int64_t base = 0;
    for (int d = 0; d < x->rank; d++) {
        base += start[d] * is[d];
        stride[d] = step[d] * is[d];
    }
    *base_out = base;
    return GLINT_OK;
}

static glint_status lower_slice(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_shape *x = &gl_cuda_pt(L, s->inputs[0])->shape;
    const gl_shape *o = &gl_cuda_pt(L, s->outputs[0])->shape;
    int64_t base, stride[GL_MAX_RANK];
    glint_status st = gl_cuda_slice_geom(L, si, &base, stride, err);
    if (st) return st;
    if (o->rank != x->rank) return gl_cuda_unsupported(L, si, err, "changes rank");
    /* A slice that is one contiguous run of its input (e.g. a channel range
     * of a [1, C, 1, 1] FiLM vector) is a view at an offset: no kernel. The
     * simple path keeps the gather kernel, for comparison. */
    int in = s->inputs[0], out = s->outputs[0];
    gl_cuda_tensor *ti = &L->pp->t[in], *to = &L->pp->t[out];
    bool run = !L->simple && !ti->is_const && !to->is_const && ti->dev_dtype == to->dev_dtype &&
               s->n_outputs == 1 && base >= 0 && base + to->numel <= ti->numel;
    int64_t want = 1;
    for (int d = o->rank - 1; run && d >= 0; d--) {
        run = o->d[d] == 1 || stride[d] == want;
        want *= o->d[d];
    }
    if (run) {
        to->storage = ti->storage;
        to->view_bytes = ti->view_bytes + (size_t)base * dev_elem(L, in);
        return GLINT_OK;
    }
    return add_gather(L, si, in, out, base, stride, err);
}

static glint_status lower_pad(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_node *n = node_of(L, si);
    glint_status st = need_float(L, si, &s->inputs[0], 1, err);
    if (st) return st;
    const gl_shape *x = &gl_cuda_pt(L, s->inputs[0])->shape;
    const gl_shape *o = &gl_cuda_pt(L, s->outputs[0])->shape;
    const char *mode = NULL;
    st = gl_attr_string(n, "mode", "constant", &mode, err);
    if (st) return st;
    gk_desc *d = gl_cuda_add_desc(L, GK_PAD, s->node, err);
    if (!d) return err->status;
    gk_pad *p = &d->u.pad;
    p->mode = strcmp(mode, "constant") == 0 ? 0 : strcmp(mode, "reflect") == 0 ? 1
            : strcmp(mode, "edge") == 0 ? 2 : -1;
    if (p->mode < 0) return gl_cuda_unsupported(L, si, err, "uses a pad mode other than constant, reflect or edge");
    if (s->n_inputs > 3 && s->inputs[3] >= 0) return gl_cuda_unsupported(L, si, err, "uses Pad axes");
    p->rank = x->rank;
    p->count = gl_shape_numel(o);
    for (int k = 0; k < x->rank; k++) {
        int64_t b = 0;
        if (s->n_inputs > 1 && s->inputs[1] >= 0) {
            if (!gl_cuda_const_i64(L, s->inputs[1], k, &b))
                return gl_cuda_unsupported(L, si, err, "has runtime pads");
        } else {
            const int64_t *pads = NULL;
            size_t np = 0;
            st = gl_attr_ints(n, "pads", &pads, &np, err);
            if (st) return st;
            if ((int)np == 2 * x->rank) b = pads[k];
        }
        if (b < 0 || o->d[k] - b < x->d[k] || (p->mode == 1 && (b >= x->d[k] || o->d[k] - b - x->d[k] >= x->d[k])))
            return gl_cuda_unsupported(L, si, err, "has negative or over-long pads");
        p->in[k] = x->d[k];
        p->out[k] = o->d[k];
        p->begin[k] = b;
    }
    p->value = 0.0f;
    if (s->n_inputs > 2 && s->inputs[2] >= 0) {
        if (!gl_cuda_const_f32(L, s->inputs[2], 0, &p->value))
            return gl_cuda_unsupported(L, si, err, "has a runtime pad value");
    } else if (s->n_inputs < 2) {
        st = gl_attr_float(n, "value", 0.0f, &p->value, err);
        if (st) return st;
    }
    d->n_args = 2;
    d->args[0] = s->inputs[0];
    d->args[1] = s->outputs[0];
    return GLINT_OK;
}

static glint_status lower_gap(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    glint_status st = step_float(L, si, err);
    if (st) return st;
    const gl_shape *x = &gl_cuda_pt(L, s->inputs[0])->shape;
    if (x->rank < 3) return gl_cuda_unsupported(L, si, err, "has rank below 3");
    gk_desc *d = gl_cuda_add_desc(L, GK_GAP, s->node, err);
    if (!d) return err->status;
    d->n_args = 2;
    d->args[0] = s->inputs[0];
    d->args[1] = s->outputs[0];
    d->u.gap.rows = x->d[0] * x->d[1];
    d->u.gap.plane = gl_shape_numel(x) / GL_MAX(d->u.gap.rows, (int64_t)1);
    return GLINT_OK;
}

static glint_status lower_batchnorm(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_node *n = node_of(L, si);
    int64_t training = 0;
    glint_status st = gl_attr_int(n, "training_mode", 0, &training, err);
    if (st) return st;
    if (training || s->n_outputs > 1 || s->n_inputs != 5)
        return gl_cuda_unsupported(L, si, err, "is in training mode");
    st = step_float(L, si, err);
    if (st) return st;
    const gl_shape *x = &gl_cuda_pt(L, s->inputs[0])->shape;
    gk_desc *d = gl_cuda_add_desc(L, GK_BATCHNORM, s->node, err);
    if (!d) return err->status;
    st = gl_attr_float(n, "epsilon", 1e-5f, &d->u.bn.eps, err);
    if (st) return st;
    d->n_args = 6;
    for (int k = 0; k < 5; k++) d->args[k] = s->inputs[k];
    d->args[5] = s->outputs[0];
    d->u.bn.n = x->d[0];
    d->u.bn.c = x->rank > 1 ? x->d[1] : 1;
    d->u.bn.plane = gl_shape_numel(x) / GL_MAX(d->u.bn.n * d->u.bn.c, (int64_t)1);
    return GLINT_OK;
}

glint_status gl_cuda_lower_step(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const char *name = s->op->name;
    if (strcmp(s->op->domain, "glint") == 0) {
        if (strcmp(name, "FusedConv") == 0 || strcmp(name, "QConv") == 0)
            return gl_cuda_lower_conv(L, si, err);
        return gl_cuda_unsupported(L, si, err, "has no CUDA kernel");
    }
    if (s->n_outputs == 1 && s->outputs[0] >= 0 && L->plan->tensors[s->outputs[0]].is_const)
        return GLINT_OK; /* computed at plan time */
    if (!strcmp(name, "Reshape") || !strcmp(name, "Flatten") || !strcmp(name, "Squeeze") ||
        !strcmp(name, "Unsqueeze") || !strcmp(name, "Identity") || !strcmp(name, "Dropout"))
        return lower_view(L, si, err);
    if (!strcmp(name, "Cast")) {
        if (L->plan->tensors[s->inputs[0]].dtype == L->plan->tensors[s->outputs[0]].dtype)
            return lower_view(L, si, err);
        return gl_cuda_unsupported(L, si, err, "casts between dtypes");
    }
    if (!strcmp(name, "DequantizeLinear")) return lower_dequantize(L, si, err);
    int op = unary_code(name);
    if (op >= 0) return lower_unary(L, si, op, err);
    op = binary_code(name);
    if (op >= 0) return lower_binary(L, si, op, err);
    if (!strcmp(name, "Conv")) return gl_cuda_lower_conv(L, si, err);
    if (!strcmp(name, "ConvTranspose")) return gl_cuda_lower_convt(L, si, err);
    if (!strcmp(name, "Resize") || !strcmp(name, "Upsample")) return gl_cuda_lower_resize(L, si, err);
    if (!strcmp(name, "Gemm") || !strcmp(name, "MatMul")) return gl_cuda_lower_gemm(L, si, err);
    if (!strcmp(name, "InstanceNormalization") || !strcmp(name, "GroupNormalization"))
        return gl_cuda_lower_norm(L, si, err);
    if (!strcmp(name, "Concat")) return lower_concat(L, si, err);
    if (!strcmp(name, "Slice")) return lower_slice(L, si, err);
    if (!strcmp(name, "Transpose")) return lower_transpose(L, si, err);
    if (!strcmp(name, "Pad")) return lower_pad(L, si, err);
    if (!strcmp(name, "GlobalAveragePool")) return lower_gap(L, si, err);
    if (!strcmp(name, "BatchNormalization")) return lower_batchnorm(L, si, err);
    return gl_cuda_unsupported(L, si, err, "has no CUDA kernel");
}
