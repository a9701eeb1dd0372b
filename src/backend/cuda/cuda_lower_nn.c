/* Lowering of the neural-network operators: Conv / FusedConv (with a nearest
 * 2x upsample or a two-way channel Concat folded into the input addressing),
 * ConvTranspose, Resize, Gemm / MatMul, Instance / Group normalization. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "backend/cuda/cuda_lower.h"
#include "ops/quant_params.h"

static const gl_node *node_of(const gl_cuda_lower *L, int si) {
    return &L->g->nodes[L->plan->steps[si].node];
}

static bool is_op(const gl_plan_step *s, const char *domain, const char *name) {
    return strcmp(s->op->domain, domain) == 0 && strcmp(s->op->name, name) == 0;
}

static bool is_qconv(const gl_plan_step *s) { return is_op(s, "glint", "QConv"); }

static bool is_conv(const gl_plan_step *s) {
    return is_op(s, "", "Conv") || is_op(s, "glint", "FusedConv") || is_qconv(s);
}

/* The fused-conv parameters (attributes and epilogue) of a FusedConv or
 * QConv step, NULL for a plain Conv. */
static const gl_fused_conv_params *fused_params(const gl_plan_step *s) {
    if (!s->params) return NULL;
    if (is_op(s, "glint", "FusedConv")) return s->params;
    if (is_qconv(s)) return &((const gl_qconv_params *)s->params)->fc;
    return NULL;
}

/* Nearest-neighbour index of output o under these settings is exactly o/2
 * for a 2x resize (checked case by case against the ONNX formulas). */
static bool nearest_is_half(const gl_resize_params *r) {
    if (r->mode != GL_RESIZE_NEAREST) return false;
    if (r->upsample) return true; /* Upsample: asymmetric, floor */
    switch (r->coord) {
    case GL_COORD_ASYMMETRIC:
        return r->nearest == GL_NEAREST_FLOOR || r->nearest == GL_NEAREST_ROUND_PREFER_FLOOR;
    case GL_COORD_HALF_PIXEL:
    case GL_COORD_PYTORCH_HALF_PIXEL:
        return r->nearest == GL_NEAREST_ROUND_PREFER_FLOOR ||
               r->nearest == GL_NEAREST_ROUND_PREFER_CEIL;
    case GL_COORD_TF_HALF_PIXEL_FOR_NN: return r->nearest == GL_NEAREST_FLOOR;
    default: return false;
    }
}

/* Output shape and per-axis scales of Resize/Upsample step si through the
 * reference's own resolver (gl_resize_resolve), so that the CUDA kernel
 * divides by exactly the scale the reference uses (a given scale, or out/in
 * for sizes; Resize-18 axes included). Constants carry their data; runtime
 * tensors have none, and the resolver refuses them. */
static glint_status resize_scales(const gl_cuda_lower *L, int si, gl_shape *out,
                                  double scale[GL_MAX_RANK], gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    gl_tensor in[4];
    memset(in, 0, sizeof in);
    int n = s->n_inputs < 4 ? s->n_inputs : 4;
    for (int k = 0; k < n; k++) {
        int id = s->inputs[k];
        if (id < 0) continue; /* dtype UNDEFINED: omitted */
        const gl_plan_tensor *t = gl_cuda_pt(L, id);
        in[k].dtype = t->dtype;
        in[k].shape = t->shape;
        in[k].data = t->is_const ? (void *)t->data : NULL;
    }
    return gl_resize_resolve(s->params, in, n, out, scale, err);
}

/* How the reference transforms leading axis len (kept size, scale 1) under
 * r: 0 identity, 1 reads min(x + 1, len - 1) (tf_half_pixel_for_nn with
 * nearest ceil / round_prefer_ceil), -1 anything else (linear blends of
 * neighbouring planes), checked index by index with gl_resize_tap. */
static int lead_axis_map(const gl_resize_params *r, int64_t len) {
    bool ident = true, shift = true;
    for (int64_t x = 0; x < len && (ident || shift); x++) {
        int64_t i0, i1;
        double w1;
        gl_resize_tap(r, x, 1.0, len, len, &i0, &i1, &w1);
        bool one = i0 == i1 || w1 == 0.0;
        ident &= one && i0 == x;
        shift &= one && i0 == (x + 1 < len ? x + 1 : len - 1);
    }
    return ident ? 0 : shift ? 1 : -1;
}

/* Whether Resize step `prod`, the only producer of conv input tensor x,
 * is an exact nearest 2x upsample a conv can read through its addressing. */
static bool resize_folds(const gl_cuda_lower *L, int prod, int x) {
    const gl_plan *p = L->plan;
    const gl_plan_step *ps = &p->steps[prod];
    if (!(is_op(ps, "", "Resize") || is_op(ps, "", "Upsample")) || !ps->params ||
        ps->n_outputs != 1 || L->readers[x] != 1 || L->is_output[x] || L->skip[prod])
        return false;
    const gl_shape *xs = &p->tensors[x].shape;
    int src = ps->inputs[0];
    const gl_shape *is = &p->tensors[src].shape;
    if (!nearest_is_half(ps->params) || xs->rank != 4 || is->rank != 4 || is->d[0] != xs->d[0] ||
        is->d[1] != xs->d[1] || is->d[2] * 2 != xs->d[2] || is->d[3] * 2 != xs->d[3] ||
        p->tensors[src].is_const || !gl_cuda_is_float(L, src))
        return false;
    /* o/2 is the source index only for a scale of exactly 2 (a given scale
     * of 2.2 on a size-1 axis also doubles it, but maps o=1 to 1/2.2, not
     * 1/2). */
    gl_shape rs;
    double sc[GL_MAX_RANK];
    return resize_scales(L, prod, &rs, sc, NULL) == GLINT_OK && sc[0] == 1.0 && sc[1] == 1.0 &&
           sc[2] == 2.0 && sc[3] == 2.0 && lead_axis_map(ps->params, is->d[0]) == 0 &&
           lead_axis_map(ps->params, is->d[1]) == 0;
}

static glint_status conv_geom(gl_cuda_lower *L, int si, const gl_conv_params *cp,
                              gl_conv_geom *g, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    glint_status st = gl_conv_resolve(cp, &gl_cuda_pt(L, s->inputs[0])->shape,
                                      &gl_cuda_pt(L, s->inputs[1])->shape, g, err);
    if (st) return st;
    if (g->spatial < 1 || g->spatial > 2)
        return gl_cuda_unsupported(L, si, err, "is a 3-D convolution");
    const int64_t lim = (int64_t)1 << 30;
    if (g->n * g->c_in * g->in[0] * (g->spatial > 1 ? g->in[1] : 1) > lim ||
        g->n * g->c_out * g->out[0] * (g->spatial > 1 ? g->out[1] : 1) > lim)
        return gl_cuda_unsupported(L, si, err, "has a tensor over 2^30 elements");
    return GLINT_OK;
}

/* Fills h, w, k... of a 2-D geometry (a 1-D conv has height 1). */
#define GEOM_2D(dst, g)                                                                     \
    do {                                                                                    \
        int two = (g).spatial == 2;                                                         \
        (dst).n = (int)(g).n; (dst).c_in = (int)(g).c_in; (dst).c_out = (int)(g).c_out;     \
        (dst).group = (int)(g).group;                                                       \
        (dst).h = two ? (int)(g).in[0] : 1; (dst).w = (int)(g).in[two];                     \
        (dst).oh = two ? (int)(g).out[0] : 1; (dst).ow = (int)(g).out[two];                 \
        (dst).kh = two ? (int)(g).k[0] : 1; (dst).kw = (int)(g).k[two];                     \
        (dst).sh = two ? (int)(g).stride[0] : 1; (dst).sw = (int)(g).stride[two];           \
        (dst).dh = two ? (int)(g).dilation[0] : 1; (dst).dw = (int)(g).dilation[two];       \
        (dst).ph = two ? (int)(g).pad_begin[0] : 0; (dst).pw = (int)(g).pad_begin[two];     \
    } while (0)

static void conv_fill(gk_conv *c, const gl_conv_geom *g) { GEOM_2D(*c, *g); }

static const gl_conv_params *conv_params(const gl_plan_step *s) {
    const gl_fused_conv_params *fp = fused_params(s);
    if (fp) return &fp->conv;
    return is_op(s, "", "Conv") ? s->params : NULL;
}

/* Whether conv step si runs on the tiled kernel (which alone reads a
 * concat whose parts are upsampled differently). */
static bool conv_takes_tile(gl_cuda_lower *L, int si) {
    const gl_conv_params *cp = conv_params(&L->plan->steps[si]);
    gl_conv_geom g;
    gl_err err = {0};
    if (L->simple || !cp || conv_geom(L, si, cp, &g, &err)) return false;
    gk_conv c;
    memset(&c, 0, sizeof c);
    conv_fill(&c, &g);
    c.up = c.up2 = 1;
    return gk_conv_tile_ok(&c);
}

/* The step writing tensor t when t is read by one step only and is not a
 * graph output (so that step can be folded into its reader), else -1. */
static int sole_producer(const gl_cuda_lower *L, int t) {
    if (t < 0 || L->readers[t] != 1 || L->is_output[t]) return -1;
    return L->producer[t];
}

/* If step pr is `v <op> k` (op Add or Mul, k a float scalar constant, v
 * of the operand's shape), returns v and sets *k; else -1. */
static int scalar_operand(const gl_cuda_lower *L, int pr, const char *op, const gl_shape *shape,
                          float *k) {
    const gl_plan *p = L->plan;
    if (pr < 0 || !is_op(&p->steps[pr], "", op) || p->steps[pr].n_inputs != 2) return -1;
    const gl_plan_step *s = &p->steps[pr];
    for (int j = 0; j < 2; j++) {
        int c = s->inputs[1 - j], v = s->inputs[j];
        if (c >= 0 && v >= 0 && p->tensors[c].is_const && gl_shape_numel(&p->tensors[c].shape) == 1 &&
            gl_cuda_is_float(L, c) && gl_cuda_is_float(L, v) && !p->tensors[v].is_const &&
            gl_shape_equal(&p->tensors[v].shape, shape) && gl_cuda_const_f32(L, c, 0, k))
            return v;
    }
    return -1;
}

/* An epilogue operand computed by cheap steps of its own that only this
 * conv reads: o = v * mul + add, where the Add and the Mul (each optional)
 * have a scalar constant, and, for an operand per channel or per sample
 * and channel ([N, C, 1, 1]), v = Slice(u, channels [off, off + C)) of a
 * [N, K, 1, 1] (or [N, K]) tensor u. The conv then reads u (or v) itself
 * at n * K + off + c (a FiLM scale "1 + g" and shift straight from their
 * projection) and none of these steps runs; each was a kernel launch for
 * a few hundred elements (the Slice a gather once N > 1). */
static void fold_operand(gl_cuda_lower *L, int si, int e) {
    const gl_plan *p = L->plan;
    const gl_plan_step *s = &p->steps[si];
    const gl_fused_conv_params *fp = fused_params(s);
    const gl_epi_step *ep = &fp->epi[e];
    if (ep->operand < 0 || ep->operand >= s->n_inputs) return;
    int t = s->inputs[ep->operand];
    if (t < 0 || !gl_cuda_is_float(L, t)) return;
    const gl_shape *ts = &p->tensors[t].shape;
    gl_cuda_op_fold f = {.src = -1, .mul = 1.0f};
    int add_step = -1, mul_step = -1, slice_step = -1;
    int pr = sole_producer(L, t), v;
    if ((v = scalar_operand(L, pr, "Add", ts, &f.add)) >= 0) {
        add_step = pr;
        t = v;
        pr = sole_producer(L, t);
    }
    /* (a scale of 0 stays a step: op_mul 0 means 1 in the descriptor) */
    float k;
    if ((v = scalar_operand(L, pr, "Mul", ts, &k)) >= 0 && k != 0.0f) {
        f.mul = k;
        mul_step = pr;
        t = v;
        pr = sole_producer(L, t);
    }
    bool per_channel = ep->bcast == GL_BCAST_SAMPLE_CHANNEL || ep->bcast == GL_BCAST_CHANNEL;
    if (per_channel && ts->rank == 4 && pr >= 0 && is_op(&p->steps[pr], "", "Slice") &&
        p->steps[pr].n_outputs == 1) {
        const int64_t N = ts->d[0], C = ts->d[1];
        const gl_plan_step *ss = &p->steps[pr];
        int u = ss->inputs[0];
        const gl_shape *us = &p->tensors[u].shape;
        int64_t base, stride[GL_MAX_RANK];
        gl_err err = {0};
        bool ok = gl_cuda_is_float(L, u) && !p->tensors[u].is_const && us->rank == ts->rank &&
                  us->d[0] == N && (ep->bcast == GL_BCAST_SAMPLE_CHANNEL || N == 1) &&
                  gl_cuda_slice_geom(L, pr, &base, stride, &err) == GLINT_OK;
        for (int d = 2; ok && d < us->rank; d++) ok = us->d[d] == 1;
        if (ok) {
            const int64_t K = us->d[1];
            ok = (N == 1 || stride[0] == K) && (C == 1 || stride[1] == 1) && base >= 0 &&
                 base + C <= K && K <= INT32_MAX;
            if (ok) {
                f.src = u;
                f.ld = (int)K;
                f.off = (int)base;
                slice_step = pr;
            }
        }
    }
    if (add_step < 0 && mul_step < 0 && slice_step < 0) return;
    if (f.src < 0) { /* no Slice: read v as it is laid out */
        f.src = t;
        f.ld = ts->rank >= 2 ? (int)ts->d[1] : 0;
    }
    if (add_step >= 0) L->skip[add_step] = true;
    if (mul_step >= 0) L->skip[mul_step] = true;
    if (slice_step >= 0) L->skip[slice_step] = true;
    L->fold_op[si * GL_MAX_EPILOGUE + e] = f;
}

/* Whether step q is a QuantizeLinear of a float tensor computed at run
 * time, by a constant per-tensor scale and zero point, to int8 or uint8. */
static bool quantizer_per_tensor(const gl_cuda_lower *L, int q) {
    const gl_plan *p = L->plan;
    if (q < 0 || !is_op(&p->steps[q], "", "QuantizeLinear")) return false;
    const gl_plan_step *s = &p->steps[q];
    if (s->n_inputs < 2 || s->n_outputs != 1 || s->inputs[0] < 0 || s->inputs[1] < 0) return false;
    const gl_plan_tensor *x = &p->tensors[s->inputs[0]], *sc = &p->tensors[s->inputs[1]];
    const gl_plan_tensor *y = &p->tensors[s->outputs[0]];
    if (x->dtype != GLINT_DTYPE_FLOAT32 || x->is_const || !sc->is_const ||
        sc->dtype != GLINT_DTYPE_FLOAT32 || gl_shape_numel(&sc->shape) != 1 ||
        (y->dtype != GLINT_DTYPE_INT8 && y->dtype != GLINT_DTYPE_UINT8))
        return false;
    if (s->n_inputs > 2 && s->inputs[2] >= 0) {
        const gl_plan_tensor *zp = &p->tensors[s->inputs[2]];
        if (!zp->is_const || zp->dtype != y->dtype || gl_shape_numel(&zp->shape) != 1) return false;
    }
    return true;
}

/* Whether step q is a QuantizeLinear a QConv can apply itself while
 * loading: per tensor, of an NCHW float tensor. */
static bool quantizer_folds(const gl_cuda_lower *L, int q) {
    return quantizer_per_tensor(L, q) &&
           L->plan->tensors[L->plan->steps[q].inputs[0]].shape.rank == 4;
}

/* Input k (1 scale, 2 zero point) of step s, or NULL when it is absent. */
static const gl_plan_tensor *step_const(const gl_cuda_lower *L, const gl_plan_step *s, int k) {
    return k < s->n_inputs && s->inputs[k] >= 0 ? &L->plan->tensors[s->inputs[k]] : NULL;
}

glint_status gl_cuda_quantizer_params(gl_cuda_lower *L, int si, int q, float *scale, int *zp,
                                      gl_err *err) {
    const gl_plan_step *qs = &L->plan->steps[q];
    const bool u8 = L->plan->tensors[qs->outputs[0]].dtype == GLINT_DTYPE_UINT8;
    int64_t z = 0;
    if ((qs->n_inputs > 2 && qs->inputs[2] >= 0 && !gl_cuda_const_i64(L, qs->inputs[2], 0, &z)) ||
        !gl_cuda_const_f32(L, qs->inputs[1], 0, scale))
        return gl_cuda_unsupported(L, si, err,
                                   "has a QuantizeLinear scale or zero point that is not a "
                                   "constant");
    *zp = (int)z - (u8 ? 128 : 0);
    return GLINT_OK;
}

bool gl_cuda_dq_mirrors(const gl_cuda_lower *L, int d, int q) {
    const gl_plan *p = L->plan;
    if (d < 0 || !quantizer_per_tensor(L, q) || !is_op(&p->steps[d], "", "DequantizeLinear"))
        return false;
    const gl_plan_step *ds = &p->steps[d], *qs = &p->steps[q];
    if (ds->n_outputs != 1 || ds->outputs[0] < 0 || ds->inputs[0] != qs->outputs[0] ||
        p->tensors[ds->outputs[0]].dtype != GLINT_DTYPE_FLOAT32)
        return false;
    for (int k = 1; k < 3; k++) { /* the same constant scale, and zero point or none */
        const gl_plan_tensor *a = step_const(L, ds, k), *b = step_const(L, qs, k);
        if (!a != !b) return false;
        if (a && (!a->is_const || a->dtype != b->dtype || gl_shape_numel(&a->shape) != 1 ||
                  memcmp(a->data, b->data, glint_dtype_size(a->dtype)) != 0))
            return false;
    }
    return true;
}

/* QConvs read the float tensor their QuantizeLinear reads and quantise it
 * themselves (cuda_conv_imma.cuh), and a DequantizeLinear that undoes a
 * QuantizeLinear runs as one kernel from the same float tensor
 * (gl_cuda_dq_mirrors); the QuantizeLinear runs only when something else
 * reads its codes (the CUDA backend has no kernel of its own for it). */
static void plan_quant_folds(gl_cuda_lower *L) {
    const gl_plan *p = L->plan;
    for (int si = 0; si < p->n_steps; si++) {
        const gl_plan_step *s = &p->steps[si];
        if (!is_qconv(s) || s->n_inputs < 2 || s->inputs[0] < 0) continue;
        int q = L->producer[s->inputs[0]];
        if (quantizer_folds(L, q)) L->fold_q[si] = q;
    }
    for (int q = 0; q < p->n_steps; q++) {
        if (!quantizer_per_tensor(L, q)) continue;
        int codes = p->steps[q].outputs[0], handled = 0;
        for (int si = 0; si < p->n_steps; si++)
            handled += L->fold_q[si] == q || gl_cuda_dq_mirrors(L, si, q);
        if (handled == L->readers[codes] && !L->is_output[codes]) L->skip[q] = true;
    }
}

/* The float tensor conv step si reads as its input X: its own input, or for
 * a QConv whose QuantizeLinear is skipped and read by it alone, that
 * QuantizeLinear's input; -1 when its producer must not be folded. */
static int conv_float_input(const gl_cuda_lower *L, int si) {
    const gl_plan_step *s = &L->plan->steps[si];
    if (!is_qconv(s)) return s->inputs[0];
    int q = L->fold_q[si];
    if (q < 0 || !L->skip[q] || L->readers[s->inputs[0]] != 1) return -1;
    return L->plan->steps[q].inputs[0];
}

void gl_cuda_plan_folds(gl_cuda_lower *L) {
    plan_quant_folds(L);
    if (L->simple) return;
    const gl_plan *p = L->plan;
    for (int si = 0; si < p->n_steps; si++) {
        const gl_plan_step *s = &p->steps[si];
        if (!is_conv(s) || s->n_inputs < 2) continue;
        const gl_fused_conv_params *fp = fused_params(s);
        for (int e = 0; fp && e < fp->n_epi; e++) fold_operand(L, si, e);
        int x = conv_float_input(L, si);
        int prod = x >= 0 ? L->producer[x] : -1;
        if (prod < 0 || L->readers[x] != 1 || L->is_output[x] || L->skip[prod]) continue;
        const gl_plan_step *ps = &p->steps[prod];
        const gl_shape *xs = &p->tensors[x].shape;
        if (xs->rank != 4 || !gl_cuda_is_float(L, x) || ps->n_outputs != 1) continue;
        if (resize_folds(L, prod, x)) {
            L->fold_up[si] = prod;
            L->skip[prod] = true;
        } else if (is_op(ps, "", "Concat") && ps->n_inputs == 2) {
            int64_t axis = 0;
            if (gl_attr_int(node_of(L, prod), "axis", 0, &axis, NULL) || (axis != 1 && axis != -3))
                continue;
            int a = ps->inputs[0], b = ps->inputs[1];
            const gl_shape *as = &p->tensors[a].shape, *bs = &p->tensors[b].shape;
            if (!gl_cuda_is_float(L, a) || !gl_cuda_is_float(L, b) || as->rank != 4 ||
                bs->rank != 4 || as->d[1] <= 0 || bs->d[1] <= 0)
                continue;
            L->fold_cat[si] = prod;
            L->skip[prod] = true;
            /* A U-Net's decoder: Concat(Resize(deep), skip) read in one pass. */
            for (int k = 0; k < 2 && conv_takes_tile(L, si); k++) {
                int part = ps->inputs[k], rp = L->producer[part];
                if (rp >= 0 && resize_folds(L, rp, part)) {
                    L->fold_cat_up[2 * si + k] = rp;
                    L->skip[rp] = true;
                }
            }
        }
    }
}

/* 8x8 output tiles of the whole launch (every sample). */
static int64_t tile_count(const gk_conv *c) {
    return (int64_t)c->n * ((c->oh + GK_TILE_EDGE - 1) / GK_TILE_EDGE) *
           ((c->ow + GK_TILE_EDGE - 1) / GK_TILE_EDGE);
}

/* Launch shape of the tiled conv. A batch-1 layer is a handful of 8x8
 * tiles (a 16x16 layer: 4), so its blocks would sit on a few of the GPU's
 * SMs, each thread walking hundreds of input channels x taps in series
 * (H200 ncu, 2026-12-02: a 48-channel 16x16 layer on 12 blocks, 19 us).
 * Launches of fewer than half an SM's worth of 16-channel blocks
 * therefore take blocks of 4 output channels; the others take 16 channels
 * a block (8 a thread), or 32-64 (16 a thread) when that still fills the
 * GPU several times. A conv of one output channel always takes blocks of
 * 1, where 4 idled 3 lanes in 4 (with the NHWC vector reads, the glyph
 * model's last layer went 19.5 -> 11.7 us at batch 32, H200). Then the input channels are split over up to 8 (4)
 * thread groups until there are about two blocks' worth of groups per SM.
 * (4-channel blocks for every launch under two blocks per SM made the
 * batch-32 8x8 layers 2-3x slower: each block loads the whole patch.) */
static void tile_pick(gk_conv *c, int sm_count) {
    const int sms = sm_count > 0 ? sm_count : 132;
    const int64_t tiles = tile_count(c);
    int mt = c->c_out == 1 ? 1 : 4, pm = mt;
    if (c->c_out > 4 && tiles * ((c->c_out + 15) / 16) >= sms / 2) {
        mt = 16;
        pm = 8;
        int wide = c->c_out % 64 == 0 ? 64 : c->c_out % 48 == 0 ? 48 : c->c_out % 32 == 0 ? 32 : 0;
        if (wide && tiles * (c->c_out / wide) >= 4 * sms) {
            mt = wide;
            pm = 16;
        }
    }
    int ks = 1;
    const int64_t blocks = tiles * ((c->c_out + mt - 1) / mt);
    const int ck = GK_TILE_CK(c->kh, c->sh, mt);
    while (ks * 2 <= GK_TILE_KSPLIT_CAP(mt) && ks * 2 <= GL_MIN(ck, c->c_in) &&
           blocks * ks < 2 * sms)
        ks *= 2;
    c->tile_mt = mt;
    c->tile_pm = pm;
    c->tile_ksplit = ks;
}

/* Tensor-core launches take the widest block of 32-64 channels that
 * still leaves two blocks per SM: each tile's patch is then filled (and,
 * for INT8, quantised) once for more channels. At batch 32 64x64 this
 * moves down1, enc1 and dec1 from 16- to 32-channel blocks (H200,
 * 2026-12-02: +4-5% batch-32 throughput in FP16 and INT8). */
static void tc_widen(gk_conv *c, int sm_count) {
    const int sms = sm_count > 0 ? sm_count : 132;
    const int64_t tiles = tile_count(c);
    for (int mt = 64; mt > c->tile_mt; mt -= 16)
        if (c->c_out % mt == 0 && tiles * (c->c_out / mt) >= 2 * sms) {
            c->tile_mt = mt;
            c->tile_pm = 16;
            return;
        }
}

/* Tensor-core launch shape (cuda_conv_mma.cuh, cuda_conv_imma.cuh): blocks
 * of 16 channels, their input channels (chunks of ck) split over 2 or 4
 * groups of warps while the launch has fewer than two blocks per SM
 * (batch 1 and 8), else widened as tc_widen says. */
static void mma_pick(gk_conv *c, int sm_count, int ck) {
    const int sms = sm_count > 0 ? sm_count : 132;
    const int64_t blocks = tile_count(c) * ((c->c_out + 15) / 16);
    const int chunks = (c->c_in + ck - 1) / ck;
    int ks = 1;
    while (ks * 2 <= 4 && ks * 2 <= chunks && blocks * ks < 2 * sms) ks *= 2;
    c->tile_mt = 16;
    c->tile_pm = 8;
    c->tile_ksplit = ks;
    if (ks == 1) tc_widen(c, sms);
}

/* Whether a tiled convolution runs on the tensor cores: a QConv on the
 * INT8 ones (cuda_conv_imma.cuh), a float one in an FP16 / BF16 engine on
 * theirs (cuda_conv_mma.cuh), when it reads 16+ input channels (a chunk's k
 * is 16 channels) into more than 4 (a block's 16; the narrower layers keep
 * the SIMT loop's 4-channel blocks). */
static bool conv_on_tensor_cores(const gl_cuda_lower *L, const gk_conv *c, bool quant) {
    if (L->simple || L->no_mma || c->c_out <= 4 || c->c_in < 16) return false;
    return quant || L->store != GK_STORE_F32;
}

/* A tiled convolution's kernel (GK_CONV_TILE, the SIMT loop, or a
 * tensor-core kind with input chunks of ck channels) and launch shape. */
static void tiled_pick(gl_cuda_lower *L, gk_desc *d, gk_kind kind, int ck) {
    d->kind = kind;
    if (kind == GK_CONV_TILE) {
        tile_pick(&d->u.conv, L->sm_count);
        return;
    }
    mma_pick(&d->u.conv, L->sm_count, ck);
    L->pp->n_wmma++;
}

/* A QConv's constants in the kernels' form: the int8 weight codes in the
 * tiled layout [c][tap][mp] (as upload_tile_weight lays out float ones),
 * or for the tensor cores (imma) as [chunk][mp][k] with k = tap * ck + c
 * over chunks of ck = GK_IMMA_CK channels padded to GK_IMMA_K, so that a
 * block copies whole rows; and, per output channel, x_scale * w_scale[m]
 * then x_zp * the sum of the channel's codes (gk_conv.quant). Padding
 * codes are zeros. */
static glint_status qconv_consts(gl_cuda_lower *L, int si, gk_desc *d, int n_args, bool imma,
                                 gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_qconv_params *qp = s->params;
    gk_conv *c = &d->u.conv;
    const gl_plan_tensor *wt = gl_cuda_pt(L, s->inputs[1]);
    const gl_plan_tensor *st = gl_cuda_pt(L, s->inputs[qp->wscale_input]);
    const int64_t m = c->c_out, per = (int64_t)c->c_in * c->kh * c->kw, mp = GK_TILE_MP(c->c_out);
    if (!wt->is_const || wt->dtype != GLINT_DTYPE_INT8 || gl_shape_numel(&wt->shape) != m * per ||
        !st->is_const || st->dtype != GLINT_DTYPE_FLOAT32 || gl_shape_numel(&st->shape) != m)
        return gl_cuda_unsupported(L, si, err, "has weights or weight scales that are not constants");
    const int kk = c->kh * c->kw, ck = GK_IMMA_CK(c->c_in), kq = GK_IMMA_K(c->kh, ck);
    const int64_t chunks = (c->c_in + ck - 1) / ck;
    void *wh = NULL, *ah = NULL;
    int wid = gl_cuda_lowered_const(L, GLINT_DTYPE_INT8, imma ? chunks * mp * kq : per * mp, &wh,
                                    err);
    int aid = wid < 0 ? -1 : gl_cuda_lowered_const(L, GLINT_DTYPE_INT32, 2 * mp, &ah, err);
    if (aid < 0) return err->status;
    const int8_t *w = wt->data;
    const float *wscale = st->data;
    int8_t *tw = wh;
    float *dq = ah;
    int32_t *corr = (int32_t *)ah + mp;
    for (int64_t mi = 0; mi < m; mi++) {
        int64_t sum = 0;
        for (int64_t r = 0; r < per; r++) { /* r = ci * kk + tap */
            const int64_t ci = r / kk, tap = r % kk;
            tw[imma ? ((ci / ck) * mp + mi) * kq + tap * ck + ci % ck : r * mp + mi] =
                w[mi * per + r];
            sum += w[mi * per + r];
        }
        dq[mi] = qp->x_scale * wscale[mi]; /* the reference's product (op_qconv.c) */
        corr[mi] = (int32_t)(c->x_zp * sum);
    }
    d->args[1] = wid;
    c->qaux_arg = n_args;
    d->args[n_args] = aid;
    return GLINT_OK;
}

/* The quantisation of QConv step si's input (gk_conv.quant), from its
 * QuantizeLinear and its own zero point; codes shifted to signed for uint8. */
static glint_status qconv_input(gl_cuda_lower *L, int si, gk_conv *c, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_qconv_params *qp = s->params;
    if (qp->out_dtype != GLINT_DTYPE_FLOAT32)
        return gl_cuda_unsupported(L, si, err,
                                   "writes int8 codes (the CUDA backend keeps float between layers)");
    int q = L->fold_q[si];
    if (q < 0)
        return gl_cuda_unsupported(L, si, err,
                                   "reads int8 codes not made by a per-tensor QuantizeLinear of "
                                   "a float tensor");
    const bool u8 = L->plan->tensors[s->inputs[0]].dtype == GLINT_DTYPE_UINT8;
    float scale = 0.0f;
    int zp = 0;
    glint_status st = gl_cuda_quantizer_params(L, si, q, &scale, &zp, err);
    if (st) return st;
    c->quant = 1;
    c->q_scale = scale;
    c->q_inv = 1.0f / scale;
    c->q_zp = zp;
    c->x_zp = qp->x_zero_point - (u8 ? 128 : 0);
    return GLINT_OK;
}

glint_status gl_cuda_lower_conv(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const bool quant = is_qconv(s);
    const gl_fused_conv_params *fp = fused_params(s);
    const gl_conv_params *cp = conv_params(s);
    if (!cp) return gl_cuda_unsupported(L, si, err, "has no parsed parameters");
    /* a QConv's X and W are int8 codes, its last input the weight scales */
    const int wscale = quant ? ((const gl_qconv_params *)s->params)->wscale_input : -1;
    for (int k = quant ? 2 : 0; k < s->n_inputs; k++)
        if (k != wscale && s->inputs[k] >= 0 && !gl_cuda_is_float(L, s->inputs[k]))
            return gl_cuda_unsupported(L, si, err, "has a non-float32 input");
    if (!gl_cuda_is_float(L, s->outputs[0]))
        return gl_cuda_unsupported(L, si, err, "has a non-float32 output");
    gl_conv_geom g;
    glint_status st = conv_geom(L, si, cp, &g, err);
    if (st) return st;
    if (s->n_inputs + 3 > GK_MAX_ARGS) return gl_cuda_unsupported(L, si, err, "has too many inputs");
    gk_desc *d = gl_cuda_add_desc(L, GK_CONV, s->node, err);
    if (!d) return err->status;
    gk_conv *c = &d->u.conv;
    conv_fill(c, &g);
    c->up = c->up2 = 1;
    c->split_arg = -1;
    const bool tc = conv_on_tensor_cores(L, c, quant);
    for (int k = 0; k < s->n_inputs; k++) d->args[k] = s->inputs[k];
    int n_args = s->n_inputs < 3 ? 3 : s->n_inputs; /* slot 2 is the (maybe absent) bias */
    if (quant) {
        if (L->store == GK_STORE_BF16)
            return gl_cuda_unsupported(L, si, err, "is an int8 convolution in a bf16 engine");
        if (!gk_conv_tile_ok(c))
            return gl_cuda_unsupported(L, si, err,
                                       "is an int8 convolution the CUDA backend has no kernel for "
                                       "(it runs group-1 1x1 and 3x3, stride 1 or 2, undilated)");
        if ((st = qconv_input(L, si, c, err))) return st;
        d->args[0] = L->plan->steps[L->fold_q[si]].inputs[0];
        d->args[wscale] = -1; /* folded into the per-channel factors */
        if ((st = qconv_consts(L, si, d, n_args++, tc, err))) return st;
    }
    if (L->fold_up[si] >= 0) {
        d->args[0] = L->plan->steps[L->fold_up[si]].inputs[0];
        c->up = 2;
    } else if (L->fold_cat[si] >= 0) {
        const gl_plan_step *cs = &L->plan->steps[L->fold_cat[si]];
        int ra = L->fold_cat_up[2 * si], rb = L->fold_cat_up[2 * si + 1];
        d->args[0] = ra >= 0 ? L->plan->steps[ra].inputs[0] : cs->inputs[0];
        c->up = ra >= 0 ? 2 : 1;
        c->split_arg = n_args;
        d->args[n_args++] = rb >= 0 ? L->plan->steps[rb].inputs[0] : cs->inputs[1];
        c->up2 = rb >= 0 ? 2 : 1;
        c->c_split = (int)gl_cuda_pt(L, cs->inputs[0])->shape.d[1];
    }
    if (fp) {
        if (fp->n_epi < 0 || fp->n_epi > GL_MAX_EPILOGUE)
            return gl_cuda_unsupported(L, si, err, "has a bad epilogue");
        c->n_epi = fp->n_epi;
        for (int e = 0; e < fp->n_epi; e++) {
            c->epi[e] = fp->epi[e];
            int op = fp->epi[e].operand;
            if (op >= 0 && (op >= s->n_inputs || op < 3 || s->inputs[op] < 0))
                return gl_cuda_unsupported(L, si, err, "has an epilogue operand out of range");
            const gl_cuda_op_fold *f = &L->fold_op[si * GL_MAX_EPILOGUE + e];
            if (f->src < 0) continue;
            /* its own argument slot: another step may read the operand as is */
            if (n_args + 1 >= GK_MAX_ARGS)
                return gl_cuda_unsupported(L, si, err, "has too many epilogue operands");
            d->args[op] = -1; /* the skipped Add's or Slice's output, never written */
            c->epi[e].operand = n_args;
            d->args[n_args++] = f->src;
            c->op_ld[e] = f->ld;
            c->op_off[e] = f->off;
            c->op_mul[e] = f->mul;
            c->op_add[e] = f->add;
        }
    }
    c->out_arg = n_args;
    d->args[n_args++] = s->outputs[0];
    d->n_args = n_args;
    if (quant) {
        tiled_pick(L, d, tc ? GK_CONV_IMMA : GK_CONV_TILE, GK_IMMA_CK(c->c_in));
        return GLINT_OK;
    }
    int tw = !L->simple && gk_conv_tile_ok(c) ? gl_cuda_tile_weight(L, d->args[1]) : -1;
    if (tw >= 0) {
        d->args[1] = tw;
        tiled_pick(L, d, tc ? GK_CONV_MMA : GK_CONV_TILE, 16);
    } else if (L->store != GK_STORE_F32 && !L->simple && gk_conv_wmma_ok(c)) {
        d->kind = GK_CONV_WMMA;
        L->pp->n_wmma++;
    }
    return GLINT_OK;
}

glint_status gl_cuda_lower_convt(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_conv_params *cp = s->params;
    if (!cp) return gl_cuda_unsupported(L, si, err, "has no parsed parameters");
    for (int k = 0; k < s->n_inputs; k++)
        if (s->inputs[k] >= 0 && !gl_cuda_is_float(L, s->inputs[k]))
            return gl_cuda_unsupported(L, si, err, "has a non-float32 input");
    gl_conv_geom g;
    glint_status st = conv_geom(L, si, cp, &g, err);
    if (st) return st;
    gk_desc *d = gl_cuda_add_desc(L, GK_CONVT, s->node, err);
    if (!d) return err->status;
    GEOM_2D(d->u.convt, g);
    d->n_args = 4;
    d->args[0] = s->inputs[0];
    d->args[1] = s->inputs[1];
    d->args[2] = s->n_inputs > 2 ? s->inputs[2] : -1;
    d->args[3] = s->outputs[0];
    d->u.convt.has_bias = d->args[2] >= 0;
    return GLINT_OK;
}

glint_status gl_cuda_lower_resize(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_resize_params *r = s->params;
    if (!r) return gl_cuda_unsupported(L, si, err, "has no parsed parameters");
    int x = s->inputs[0], y = s->outputs[0];
    if (!gl_cuda_is_float(L, x)) return gl_cuda_unsupported(L, si, err, "has a non-float32 input");
    const gl_shape *xs = &gl_cuda_pt(L, x)->shape, *ys = &gl_cuda_pt(L, y)->shape;
    if (xs->rank < 2 || xs->rank != ys->rank)
        return gl_cuda_unsupported(L, si, err, "has rank below 2");
    int R = xs->rank;
    for (int d = 0; d < R - 2; d++)
        if (xs->d[d] != ys->d[d])
            return gl_cuda_unsupported(L, si, err, "resizes an axis other than the last two");
    gl_shape rs;
    double sc[GL_MAX_RANK];
    glint_status st = resize_scales(L, si, &rs, sc, err);
    if (st) {
        char why[sizeof err->msg + 64];
        snprintf(why, sizeof why, "has scales the backend cannot resolve (%s)", err->msg);
        return gl_cuda_unsupported(L, si, err, why);
    }
    for (int d = 0; d < R - 2; d++)
        if (sc[d] != 1.0)
            return gl_cuda_unsupported(L, si, err, "scales an axis other than the last two");
    /* The leading axes are transformed too (ONNX applies the coordinate
     * transform to every axis): the kernel reads them as the identity or
     * shifted by one; anything else is refused. */
    int shift = 0;
    bool seen = false;
    for (int d = 0; d < R - 2; d++) {
        if (xs->d[d] <= 1) continue; /* both maps agree on a size-1 axis */
        int m = lead_axis_map(r, xs->d[d]);
        if (m < 0)
            return gl_cuda_unsupported(L, si, err,
                                       "blends neighbouring entries of a leading axis (linear "
                                       "tf_half_pixel_for_nn on a scale-1 axis)");
        if (seen && m != shift)
            return gl_cuda_unsupported(L, si, err, "maps its leading axes differently");
        shift = m;
        seen = true;
    }
    if (gl_shape_numel(ys) > INT32_MAX || gl_shape_numel(xs) > INT32_MAX)
        return gl_cuda_unsupported(L, si, err, "has a tensor over 2^31 elements");
    gk_desc *d = gl_cuda_add_desc(L, GK_RESIZE, s->node, err);
    if (!d) return err->status;
    gk_resize *p = &d->u.resize;
    p->nc = gl_shape_numel(xs) / GL_MAX(xs->d[R - 2] * xs->d[R - 1], (int64_t)1);
    p->h = (int)xs->d[R - 2];
    p->w = (int)xs->d[R - 1];
    p->oh = (int)ys->d[R - 2];
    p->ow = (int)ys->d[R - 1];
    p->linear = r->mode == GL_RESIZE_LINEAR;
    p->coord = r->upsample ? GL_COORD_ASYMMETRIC : (int)r->coord;
    p->nearest = r->upsample ? GL_NEAREST_FLOOR : (int)r->nearest;
    p->scale_h = sc[R - 2];
    p->scale_w = sc[R - 1];
    p->lead_shift = shift == 1;
    p->lead_rank = R - 2;
    for (int a = 0; a < R - 2; a++) p->lead[a] = xs->d[a];
    if (!(p->scale_h > 0.0) || !(p->scale_w > 0.0))
        return gl_cuda_unsupported(L, si, err, "has non-positive scales");
    d->n_args = 2;
    d->args[0] = x;
    d->args[1] = y;
    return GLINT_OK;
}

glint_status gl_cuda_lower_norm(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_node *n = node_of(L, si);
    for (int k = 0; k < s->n_inputs; k++)
        if (s->inputs[k] >= 0 && !gl_cuda_is_float(L, s->inputs[k]))
            return gl_cuda_unsupported(L, si, err, "has a non-float32 input");
    if (s->n_inputs != 3 || s->inputs[1] < 0 || s->inputs[2] < 0)
        return gl_cuda_unsupported(L, si, err, "lacks scale or bias");
    const gl_shape *x = &gl_cuda_pt(L, s->inputs[0])->shape;
    if (x->rank < 2) return gl_cuda_unsupported(L, si, err, "has rank below 2");
    bool group = is_op(s, "", "GroupNormalization");
    int64_t groups = x->d[1];
    float eps = 1e-5f;
    glint_status st = gl_attr_float(n, "epsilon", 1e-5f, &eps, err);
    if (!st && group) st = gl_attr_int(n, "num_groups", 1, &groups, err);
    if (st) return st;
    if (groups <= 0 || x->d[1] % groups)
        return gl_cuda_unsupported(L, si, err, "has channels not divisible by num_groups");
    int64_t ns = gl_shape_numel(&gl_cuda_pt(L, s->inputs[1])->shape);
    int64_t nb = gl_shape_numel(&gl_cuda_pt(L, s->inputs[2])->shape);
    bool per_group = group && ns == groups && nb == groups && groups != x->d[1];
    if (!per_group && (ns != x->d[1] || nb != x->d[1]))
        return gl_cuda_unsupported(L, si, err, "has scale or bias of an unexpected size");
    gk_desc *d = gl_cuda_add_desc(L, GK_NORM, s->node, err);
    if (!d) return err->status;
    d->n_args = 4;
    for (int k = 0; k < 3; k++) d->args[k] = s->inputs[k];
    d->args[3] = s->outputs[0];
    d->u.norm.n = x->d[0];
    d->u.norm.c = x->d[1];
    d->u.norm.plane = gl_shape_numel(x) / GL_MAX(x->d[0] * x->d[1], (int64_t)1);
    d->u.norm.groups = (int)groups;
    d->u.norm.eps = eps;
    d->u.norm.per_group_affine = per_group;
    return GLINT_OK;
}

static glint_status lower_matmul(gl_cuda_lower *L, int si, gk_gemm *p, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_shape *a = &gl_cuda_pt(L, s->inputs[0])->shape;
    const gl_shape *b = &gl_cuda_pt(L, s->inputs[1])->shape;
    const gl_shape *o = &gl_cuda_pt(L, s->outputs[0])->shape;
    p->m = a->rank >= 2 ? (int)a->d[a->rank - 2] : 1;
    p->k = (int)a->d[a->rank - 1];
    p->n = b->rank >= 2 ? (int)b->d[b->rank - 1] : 1;
    p->lda = p->k;
    p->ldb = p->n;
    if (p->m <= 0 || p->k <= 0 || p->n <= 0)
        return gl_cuda_unsupported(L, si, err, "has an empty matrix dimension");
    int64_t ba = gl_shape_numel(a) / ((int64_t)p->m * p->k);
    int64_t bb = gl_shape_numel(b) / ((int64_t)p->k * p->n);
    int64_t bo = gl_shape_numel(o) / GL_MAX((int64_t)p->m * p->n, (int64_t)1);
    if ((ba != bo && ba != 1) || (bb != bo && bb != 1))
        return gl_cuda_unsupported(L, si, err, "broadcasts batch axes partially");
    p->batch = (int)bo;
    p->stride_a = ba == 1 ? 0 : (int64_t)p->m * p->k;
    p->stride_b = bb == 1 ? 0 : (int64_t)p->k * p->n;
    p->stride_c = (int64_t)p->m * p->n;
    p->alpha = 1.0f;
    return GLINT_OK;
}

glint_status gl_cuda_lower_gemm(gl_cuda_lower *L, int si, gl_err *err) {
    const gl_plan_step *s = &L->plan->steps[si];
    const gl_node *n = node_of(L, si);
    for (int k = 0; k < s->n_inputs; k++)
        if (s->inputs[k] >= 0 && !gl_cuda_is_float(L, s->inputs[k]))
            return gl_cuda_unsupported(L, si, err, "has a non-float32 input");
    /* m, n, k and the batch are ints in the kernel descriptor. */
    for (int k = 0; k < s->n_inputs; k++)
        if (s->inputs[k] >= 0 && gl_shape_numel(&gl_cuda_pt(L, s->inputs[k])->shape) > INT32_MAX)
            return gl_cuda_unsupported(L, si, err, "has a tensor over 2^31 elements");
    if (gl_shape_numel(&gl_cuda_pt(L, s->outputs[0])->shape) > INT32_MAX)
        return gl_cuda_unsupported(L, si, err, "has a tensor over 2^31 elements");
    gk_gemm p;
    memset(&p, 0, sizeof p);
    int bias = -1;
    if (is_op(s, "", "MatMul")) {
        glint_status st = lower_matmul(L, si, &p, err);
        if (st) return st;
    } else {
        int64_t ta = 0, tb = 0;
        glint_status st = gl_attr_int(n, "transA", 0, &ta, err);
        if (!st) st = gl_attr_int(n, "transB", 0, &tb, err);
        if (!st) st = gl_attr_float(n, "alpha", 1.0f, &p.alpha, err);
        if (!st) st = gl_attr_float(n, "beta", 1.0f, &p.beta, err);
        if (st) return st;
        const gl_shape *a = &gl_cuda_pt(L, s->inputs[0])->shape;
        const gl_shape *b = &gl_cuda_pt(L, s->inputs[1])->shape;
        if (a->rank != 2 || b->rank != 2) return gl_cuda_unsupported(L, si, err, "has non-2-D inputs");
        p.trans_a = ta != 0;
        p.trans_b = tb != 0;
        p.m = (int)(ta ? a->d[1] : a->d[0]);
        p.k = (int)(ta ? a->d[0] : a->d[1]);
        p.n = (int)(tb ? b->d[0] : b->d[1]);
        p.lda = a->d[1];
        p.ldb = b->d[1];
        p.batch = 1;
        p.stride_c = (int64_t)p.m * p.n;
        if (s->n_inputs > 2 && s->inputs[2] >= 0) {
            bias = s->inputs[2];
            const gl_shape *c = &gl_cuda_pt(L, bias)->shape;
            p.has_bias = 1;
            if (c->rank == 2) {
                p.bias_sm = c->d[0] == 1 ? 0 : c->d[1];
                p.bias_sn = c->d[1] == 1 ? 0 : 1;
            } else if (c->rank == 1) {
                p.bias_sn = c->d[0] == 1 ? 0 : 1;
            } else if (c->rank != 0) {
                return gl_cuda_unsupported(L, si, err, "has a bias of rank above 2");
            }
        }
    }
    gk_desc *d = gl_cuda_add_desc(L, GK_GEMM, s->node, err);
    if (!d) return err->status;
    d->u.gemm = p;
    d->n_args = 4;
    d->args[0] = s->inputs[0];
    d->args[1] = s->inputs[1];
    d->args[2] = bias;
    d->args[3] = s->outputs[0];
    return GLINT_OK;
}
