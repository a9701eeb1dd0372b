/* The CPU backend: runs a plan's steps in order on the host, each through a
 * fast kernel when one applies (Conv / glint::FusedConv, Gemm and MatMul as
 * packed SGEMM; nearest 2x Resize as a copy; glint::QConv and QuantizeLinear
 * on AVX-512 VNNI) and the operator's reference kernel otherwise. Weights for the fast conv path are packed once per
 * engine and shared by every plan and context. A batched plan whose steps
 * keep samples apart runs as a plan for a chunk of the batch, chunk after
 * chunk (batch_split.h): one chunk's whole forward pass stays in cache. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/batch_split.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_internal.h"
#include "backend/cpu/gemm_fast.h"
#include "backend/cpu/conv_fast.h"
#include "backend/cpu/qconv_fast.h"
#include "backend/cpu/threadpool.h"
#include "backend/cpu/upsample_fast.h"
#include "quant/quant.h"

/* ------------------------------------------------------------ engine state */

/* (cpu_internal.h holds the state, plan and context structs) */

static bool cpu_available(const gl_backend_config *cfg, gl_err *err) { return true; }

static glint_status cpu_engine_init(const gl_backend_config *cfg, const gl_graph *g,
                                    void **out, gl_err *err) {
    *out = NULL;
    /* int8 plans arrive already rewritten (glint::QConv and QuantizeLinear
     * steps, src/quant/): the INT8 fast path where the CPU has AVX-512 VNNI
     * and VBMI (qconv_fast.h), their reference kernels elsewhere. */
    if (cfg->precision != GLINT_PRECISION_FP32 && cfg->precision != GLINT_PRECISION_INT8)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                       "the CPU backend runs fp32 and int8, not %s%s", glint_precision_name(cfg->precision),
                       cfg->precision == GLINT_PRECISION_FP16   ? " (the CUDA backend runs it)"
                       : cfg->precision == GLINT_PRECISION_BF16 ? " (the CUDA backend runs it, on "
                                                                  "compute capability 8.0 or newer)"
                                                                : "");
    cpu_state *s = gl_calloc(cfg->alloc, 1, sizeof *s);
    if (!s) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CPU backend: out of memory");
    s->alloc = cfg->alloc;
    s->threads = cfg->threads > 0 ? cfg->threads : 1;
    /* GLINT_CPU_KERNEL=avx512|avx2|generic|ref pins the kernel (benchmarks,
     * debugging); read once here, never on the run path. */
    const char *pin = getenv("GLINT_CPU_KERNEL");
    if (pin && strcmp(pin, "ref") == 0) s->kern = NULL;
    else if (pin && *pin) {
        s->kern = gl_sgemm_kernel_named(pin);
        if (!s->kern) {
            gl_free(cfg->alloc, s);
            return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                           "GLINT_CPU_KERNEL=%s: unknown or not supported by this CPU "
                           "(avx512, avx2, generic, ref)", pin);
        }
    } else s->kern = gl_sgemm_best();
    /* GLINT_CPU_CHUNK=C: samples per chunk at large batch (0 = run the
     * batch whole); for measuring the split, read once here. */
    s->chunk = GL_CPU_CHUNK_DEFAULT;
    const char *chunk = getenv("GLINT_CPU_CHUNK");
    if (chunk && *chunk) s->chunk = strtol(chunk, NULL, 10);
    /* GLINT_CPU_MIN_MFLOPS=F: the smallest step shared between threads */
    s->min_flops = GL_CPU_MIN_FLOPS_DEFAULT;
    const char *minf = getenv("GLINT_CPU_MIN_MFLOPS");
    if (minf && *minf) s->min_flops = strtod(minf, NULL) * 1e6;
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return GLINT_OK;
}

static void cpu_engine_free(void *state) {
    cpu_state *s = state;
    if (!s) return;
    for (int i = 0; i < s->n_packs; i++) gl_aligned_free(s->alloc, s->packs[i].packed);
    gl_free(s->alloc, s->packs);
    pthread_mutex_destroy(&s->mu);
    gl_free(s->alloc, s);
}

/* How one packing lays weights out: its size and its packer. */
typedef struct weight_packing {
    const void *tag;         /* identifies the layout (part of the cache key) */
    size_t bytes;
    void (*pack)(const void *tag, const gl_conv_geom *g, const void *w, void *dst);
} weight_packing;

static void pack_float(const void *tag, const gl_conv_geom *g, const void *w, void *dst) {
    gl_cpu_conv_pack_weights(tag, g, w, dst);
}

static void pack_int8(const void *tag, const gl_conv_geom *g, const void *w, void *dst) {
    (void)tag;
    gl_cpu_qconv_pack_weights(g, w, dst);
}

/* Tags the INT8 conv's packing (its address is the key). */
static const char qconv_tag = 'q';

/* True when plan tensor t's data is its graph constant's own, which lives
 * as long as the engine (not a plan's copy or a plan-time result). */
static bool graph_owned(const gl_plan *p, const gl_plan_tensor *t) {
    if (t->value < 0 || t->value >= p->graph->n_values) return false;
    const gl_const *c = p->graph->values[t->value].constant;
    return c && c->data == t->data;
}

/* Packed weights for (data, shape, group, packing), packing them on first
 * use. The same weight tensor in several plans (buckets) is packed once.
 * Data a plan owns can be freed and its address reused, so it is matched
 * by a hash of its contents too; a graph constant (stable) by its address:
 * hashing every weight for every bucket was 70% of creating a CPU engine
 * with 18 buckets. */
static glint_status packed_weights(cpu_state *s, const weight_packing *wp, const gl_conv_geom *g,
                                   const void *data, bool stable, gl_dtype dtype,
                                   const gl_shape *shape, const void **out, gl_err *err) {
    glint_status st = GLINT_OK;
    size_t wbytes;
    if (!gl_tensor_bytes(dtype, shape, &wbytes))
        return gl_fail(err, GLINT_ERR_INTERNAL, "CPU backend: weight size overflows");
    const uint64_t hash = stable ? 0 : gl_hash64(data, wbytes, 0x676c696e74ull);
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n_packs; i++) {
        cpu_pack *p = &s->packs[i];
        if (p->data == data && p->stable == stable && p->hash == hash && p->group == g->group &&
            p->tag == wp->tag && gl_shape_equal(&p->shape, shape)) {
            *out = p->packed;
            goto done;
        }
    }
    if (s->n_packs == s->cap_packs) {
        int cap = s->cap_packs ? s->cap_packs * 2 : 16;
        cpu_pack *np = gl_realloc_array(s->alloc, s->packs, (size_t)cap, sizeof *np);
        if (!np) { st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory packing weights"); goto done; }
        s->packs = np;
        s->cap_packs = cap;
    }
    void *buf = wp->bytes ? gl_aligned_alloc(s->alloc, wp->bytes, 64) : NULL;
    if (!buf) { st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory packing weights"); goto done; }
    wp->pack(wp->tag, g, data, buf);
    s->packs[s->n_packs++] = (cpu_pack){data, *shape, g->group, wp->tag, stable, hash, buf};
    *out = buf;
done:
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* Chooses the conv fast path for step i when its weights are constant and
 * the geometry is supported; leaves the reference kernel otherwise. */
static glint_status prepare_conv(cpu_state *s, const gl_plan *p, const gl_plan_step *ps,
                                 cpu_step *cs, gl_err *err) {
    bool fused = strcmp(ps->op->domain, "glint") == 0;
    const gl_conv_params *cp = fused ? &((const gl_fused_conv_params *)ps->params)->conv
                                     : (const gl_conv_params *)ps->params;
    if (!cp || cp->transpose || ps->n_inputs < 2 || ps->inputs[0] < 0 || ps->inputs[1] < 0)
        return GLINT_OK;
    const gl_plan_tensor *x = &p->tensors[ps->inputs[0]], *w = &p->tensors[ps->inputs[1]];
    if (!w->is_const || x->dtype != GLINT_DTYPE_FLOAT32 || w->dtype != GLINT_DTYPE_FLOAT32)
        return GLINT_OK;
    for (int i = 2; i < ps->n_inputs; i++)
        if (ps->inputs[i] >= 0 && p->tensors[ps->inputs[i]].dtype != GLINT_DTYPE_FLOAT32)
            return GLINT_OK;
    gl_conv_geom g;
    if (gl_conv_resolve(cp, &x->shape, &w->shape, &g, NULL) != GLINT_OK) return GLINT_OK;
    if (!gl_cpu_conv_supported(&g)) return GLINT_OK;
    const void *packed = NULL;
    const gl_sgemm_kernel *kern = gl_sgemm_for_m(s->kern, g.c_out / g.group);
    size_t bytes;
    if (!gl_mul_size(gl_cpu_conv_packed_floats(kern, &g), sizeof(float), &bytes))
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory packing weights");
    const weight_packing wp = {kern, bytes, pack_float};
    glint_status st = packed_weights(s, &wp, &g, w->data, graph_owned(p, w), GLINT_DTYPE_FLOAT32,
                                     &w->shape, &packed, err);
    if (st != GLINT_OK) return st;
    gl_cpu_conv_init(&cs->conv, kern, &g, packed,
                     fused ? (const gl_fused_conv_params *)ps->params : NULL);
    cs->kind = STEP_CONV;
    return GLINT_OK;
}

/* glint::QConv on the INT8 fast path when the CPU has it and the weights,
 * scales and bias are constant; the reference kernel otherwise. */
static glint_status prepare_qconv(cpu_state *s, cpu_prepared *pp, const gl_plan_step *ps,
                                  cpu_step *cs, gl_err *err) {
    const gl_plan *p = pp->plan;
    const gl_qconv_params *qp = ps->params;
    if (!gl_cpu_qconv_available() || ps->n_inputs > 3 + GL_MAX_EPILOGUE + 1 ||
        ps->n_outputs != 1 || ps->outputs[0] < 0)
        return GLINT_OK;
    gl_tensor in[4 + GL_MAX_EPILOGUE];
    for (int i = 0; i < ps->n_inputs; i++) {
        const gl_plan_tensor *t = ps->inputs[i] >= 0 ? &p->tensors[ps->inputs[i]] : NULL;
        in[i] = t ? (gl_tensor){t->dtype, t->shape, t->is_const ? (void *)t->data : NULL}
                  : (gl_tensor){GLINT_DTYPE_UNDEFINED, {.rank = -1}, NULL};
    }
    gl_conv_geom g;
    if (gl_qconv_check(qp, in, ps->n_inputs, &g, NULL) != GLINT_OK || !gl_cpu_qconv_supported(&g))
        return GLINT_OK;
    if (!in[1].data || !in[qp->wscale_input].data || (gl_in_present(in, ps->n_inputs, 2) && !in[2].data))
        return GLINT_OK;
    const void *packed = NULL;
    const weight_packing wp = {&qconv_tag, gl_cpu_qconv_packed_bytes(&g), pack_int8};
    glint_status st = packed_weights(s, &wp, &g, in[1].data, graph_owned(p, &p->tensors[ps->inputs[1]]),
                                     GLINT_DTYPE_INT8, &in[1].shape, &packed, err);
    if (st != GLINT_OK) return st;
    gl_cpu_qconv_init(&cs->qconv, &g, qp, in[0].dtype == GLINT_DTYPE_UINT8, packed);
    cs->kind = STEP_QCONV;
    pp->arena_bytes = GL_MAX(pp->arena_bytes, pp->extra_offset + gl_cpu_qconv_buffer_bytes(&cs->qconv));
    return GLINT_OK;
}

/* QuantizeLinear with one constant scale and zero point, float32 input. */
static void prepare_quantize(const gl_plan *p, const gl_plan_step *ps, cpu_step *cs) {
    if (!gl_cpu_qconv_available() || ps->n_inputs < 2 || ps->n_outputs != 1 ||
        ps->inputs[0] < 0 || ps->inputs[1] < 0 || ps->outputs[0] < 0 ||
        ((const gl_qdq_params *)ps->params)->dequantize)
        return;
    const gl_plan_tensor *x = &p->tensors[ps->inputs[0]], *sc = &p->tensors[ps->inputs[1]];
    const gl_plan_tensor *zp = ps->n_inputs > 2 && ps->inputs[2] >= 0 ? &p->tensors[ps->inputs[2]] : NULL;
    const gl_dtype out = p->tensors[ps->outputs[0]].dtype;
    if (x->dtype != GLINT_DTYPE_FLOAT32 || !sc->is_const || sc->dtype != GLINT_DTYPE_FLOAT32 ||
        gl_shape_numel(&sc->shape) != 1 || (zp && (!zp->is_const || gl_shape_numel(&zp->shape) != 1 ||
                                                   zp->dtype != out)))
        return;
    gl_cpu_quantize q = {.scale = *(const float *)sc->data};
    if (out == GLINT_DTYPE_INT8) q.zero_point = zp ? *(const int8_t *)zp->data : 0;
    else if (out == GLINT_DTYPE_UINT8) q.zero_point = zp ? *(const uint8_t *)zp->data : 0;
    else return;
    gl_qrange(out, &q.qmin, &q.qmax);
    cs->quantize = q;
    cs->kind = STEP_QUANTIZE;
}

/* Gemm (attributes read from the node) and MatMul with a 2-D B. */
static void prepare_gemm(cpu_state *s, cpu_prepared *pp, const gl_plan_step *ps, cpu_step *cs) {
    const gl_plan *p = pp->plan;
    const bool gemm = strcmp(ps->op->name, "Gemm") == 0;
    if (ps->n_inputs < 2 || ps->inputs[0] < 0 || ps->inputs[1] < 0 || ps->n_outputs != 1 ||
        ps->outputs[0] < 0)
        return;
    for (int i = 0; i < ps->n_inputs; i++)
        if (ps->inputs[i] >= 0 && p->tensors[ps->inputs[i]].dtype != GLINT_DTYPE_FLOAT32) return;
    const gl_shape *a = &p->tensors[ps->inputs[0]].shape, *b = &p->tensors[ps->inputs[1]].shape;
    bool ok;
    if (gemm) {
        if (ps->node < 0 || ps->node >= p->graph->n_nodes) return;
        const gl_node *n = &p->graph->nodes[ps->node];
        int64_t ta = 0, tb = 0;
        float alpha = 1.0f, beta = 1.0f;
        if (gl_attr_int(n, "transA", 0, &ta, NULL) || gl_attr_int(n, "transB", 0, &tb, NULL) ||
            gl_attr_float(n, "alpha", 1.0f, &alpha, NULL) ||
            gl_attr_float(n, "beta", 1.0f, &beta, NULL))
            return;
        const gl_shape *c =
            ps->n_inputs > 2 && ps->inputs[2] >= 0 ? &p->tensors[ps->inputs[2]].shape : NULL;
        ok = gl_cpu_gemm_init(&cs->gemm, s->kern, a, b, c, ta != 0, tb != 0, alpha, beta);
    } else {
        ok = gl_cpu_matmul_init(&cs->gemm, s->kern, a, b);
    }
    if (!ok) return;
    /* one row (batch 1 through a Linear): the one-row kernel wastes nothing */
    const gl_sgemm_kernel *one = gl_sgemm_for_m(s->kern, cs->gemm.M);
    if (one != cs->gemm.kern) cs->gemm.kern = one;
    cs->kind = STEP_GEMM;
    size_t bytes = gl_align_up(gl_cpu_gemm_pack_floats(&cs->gemm) * sizeof(float), 64);
    pp->arena_bytes = GL_MAX(pp->arena_bytes, pp->extra_offset + bytes);
}

static glint_status prepare_plan(cpu_state *s, const gl_plan *plan, bool split, void **out,
                                 gl_err *err);
static void cpu_plan_release(void *state, void *prepared);


/* Plans the graph again at a chunk of the batch and keeps that plan when
 * the model is sample-separable (batch_split.h). Anything short of an
 * out-of-memory leaves the plan whole, as before. */
static glint_status prepare_chunks(cpu_state *s, cpu_prepared *pp, gl_err *err) {
    const gl_plan *plan = pp->plan;
    const int64_t N = gl_cpu_plan_batch(plan);
    const int64_t c = gl_cpu_chunk_size(N, s->threads, s->chunk);
    /* an INT8 plan is re-planned and rewritten with its calibration */
    if (!c || (plan->precision != GLINT_PRECISION_FP32 && !plan->calib)) return GLINT_OK;
    const gl_graph *g = plan->graph;
    gl_shape shapes[16];
    if (g->n_inputs > (int)GL_ARRAY_LEN(shapes)) return GLINT_OK;
    for (int i = 0; i < g->n_inputs; i++) {
        shapes[i] = plan->input_shapes[i];
        shapes[i].d[0] = c;
    }
    gl_plan *sub = NULL;
    gl_err local = {0};
    if (gl_plan_build(g, shapes, plan->precision, &sub, &local) != GLINT_OK) return GLINT_OK;
    if (plan->calib && gl_quant_rewrite_plan(sub, plan->calib, true, NULL, &local) != GLINT_OK) {
        gl_plan_free(sub);
        return GLINT_OK;
    }
    cpu_prepared *sp = NULL;
    glint_status st = prepare_plan(s, sub, false, (void **)&sp, err);
    if (st != GLINT_OK) {
        gl_plan_free(sub);
        return st;
    }
    bool *up2 = gl_calloc(s->alloc, (size_t)plan->n_steps * 2 + 2, sizeof *up2);
    if (!up2) {
        cpu_plan_release(s, sp);
        gl_plan_free(sub);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CPU backend: out of memory");
    }
    const bool same = sub->n_steps == plan->n_steps;
    for (int i = 0; same && i < plan->n_steps; i++) {
        up2[i] = pp->steps[i].kind == STEP_UP2;
        up2[plan->n_steps + i] = sp->steps[i].kind == STEP_UP2;
    }
    const bool ok = same && gl_cpu_plan_separable(plan, sub, up2, up2 + plan->n_steps, NULL, 0);
    gl_free(s->alloc, up2);
    if (!ok) {
        cpu_plan_release(s, sp);
        gl_plan_free(sub);
        return GLINT_OK;
    }
    pp->chunk_plan = sub;
    pp->chunked = sp;
    pp->chunk = c;
    pp->nchunks = N / c;
    pp->slot_bytes = gl_align_up(sp->arena_bytes, GL_ARENA_ALIGN);
    /* the whole-batch arena is never used: only the slots are */
    pp->arena_bytes = pp->slot_bytes * (size_t)s->threads;
    pp->views = GL_MAX(step_views(pp), step_views(sp) * s->threads);
    return GLINT_OK;
}

static glint_status cpu_plan_prepare(void *state, const gl_plan *plan, void **out, gl_err *err) {
    return prepare_plan(state, plan, true, out, err);
}

static glint_status prepare_plan(cpu_state *s, const gl_plan *plan, bool split, void **out,
                                 gl_err *err) {
    *out = NULL;
    cpu_prepared *pp = gl_calloc(s->alloc, 1, sizeof *pp);
    if (!pp) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CPU backend: out of memory");
    pp->plan = plan;
    pp->extra_offset = pp->arena_bytes = gl_align_up(plan->arena_bytes, GL_ARENA_ALIGN);
    pp->steps = gl_calloc(s->alloc, (size_t)(plan->n_steps > 0 ? plan->n_steps : 1), sizeof *pp->steps);
    if (!pp->steps) {
        gl_free(s->alloc, pp);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CPU backend: out of memory");
    }
    for (int i = 0; i < plan->n_steps; i++) {
        const gl_plan_step *ps = &plan->steps[i];
        pp->max_inputs = GL_MAX(pp->max_inputs, ps->n_inputs);
        pp->max_outputs = GL_MAX(pp->max_outputs, ps->n_outputs);
        if (!s->kern) continue;
        bool conv = (strcmp(ps->op->domain, "") == 0 && strcmp(ps->op->name, "Conv") == 0) ||
                    (strcmp(ps->op->domain, "glint") == 0 && strcmp(ps->op->name, "FusedConv") == 0);
        if (conv) {
            glint_status st = prepare_conv(s, plan, ps, &pp->steps[i], err);
            if (st != GLINT_OK) {
                gl_free(s->alloc, pp->steps);
                gl_free(s->alloc, pp);
                return st;
            }
        }
        if (strcmp(ps->op->domain, "glint") == 0 && strcmp(ps->op->name, "QConv") == 0) {
            glint_status st = prepare_qconv(s, pp, ps, &pp->steps[i], err);
            if (st != GLINT_OK) {
                gl_free(s->alloc, pp->steps);
                gl_free(s->alloc, pp);
                return st;
            }
        }
        if (strcmp(ps->op->domain, "") == 0 && strcmp(ps->op->name, "QuantizeLinear") == 0)
            prepare_quantize(plan, ps, &pp->steps[i]);
        if (strcmp(ps->op->domain, "") == 0 &&
            (strcmp(ps->op->name, "Gemm") == 0 || strcmp(ps->op->name, "MatMul") == 0))
            prepare_gemm(s, pp, ps, &pp->steps[i]);
        bool up2 = false;
        glint_status st = gl_cpu_is_nearest2x(plan, i, s->alloc, &up2, err);
        if (st != GLINT_OK) {
            gl_free(s->alloc, pp->steps);
            gl_free(s->alloc, pp);
            return st;
        }
        if (up2) pp->steps[i].kind = STEP_UP2;
        if (pp->steps[i].kind != STEP_REF) pp->fast_steps++;
    }
    pp->views = step_views(pp);
    if (split && s->kern && s->chunk > 0) {
        glint_status st = prepare_chunks(s, pp, err);
        if (st != GLINT_OK) {
            cpu_plan_release(s, pp);
            return st;
        }
    }
    *out = pp;
    return GLINT_OK;
}

static void cpu_plan_release(void *state, void *prepared) {
    cpu_state *s = state;
    cpu_prepared *pp = prepared;
    if (!pp) return;
    cpu_plan_release(s, pp->chunked);
    gl_plan_free(pp->chunk_plan);
    gl_free(s->alloc, pp->steps);
    gl_free(s->alloc, pp);
}

/* ------------------------------------------------------------ contexts */

static void cpu_context_free(void *vctx) {
    cpu_ctx *c = vctx;
    if (!c) return;
    const glint_allocator *a = c->st->alloc;
    gl_pool_free(c->pool);
    gl_aligned_free(a, c->arena);
    gl_aligned_free(a, c->scratch);
    gl_free(a, c->views);
    gl_free(a, c->errs);
    gl_free(a, c);
}

static glint_status cpu_context_create(void *state, void **out, gl_err *err) {
    cpu_state *s = state;
    *out = NULL;
    cpu_ctx *c = gl_calloc(s->alloc, 1, sizeof *c);
    if (!c) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CPU backend: out of memory");
    c->st = s;
    glint_status st = gl_pool_create(s->alloc, s->threads, &c->pool, err);
    if (st != GLINT_OK) {
        cpu_context_free(c);
        return st;
    }
    gl_pool_set_min_flops(c->pool, s->min_flops);
    c->errs = gl_calloc(s->alloc, (size_t)s->threads, sizeof *c->errs);
    if (!c->errs) {
        cpu_context_free(c);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CPU backend: out of memory");
    }
    c->scratch_stride = gl_align_up(gl_cpu_conv_scratch_floats(), 16);
    size_t bytes;
    if (!gl_mul_size(c->scratch_stride * sizeof(float), (size_t)s->threads, &bytes) ||
        !(c->scratch = gl_aligned_alloc(s->alloc, bytes, 64))) {
        cpu_context_free(c);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CPU backend: out of memory for %d threads' scratch",
                       s->threads);
    }
    *out = c;
    return GLINT_OK;
}

static glint_status cpu_context_bind(void *vctx, const void *prepared, gl_err *err) {
    cpu_ctx *c = vctx;
    const cpu_prepared *pp = prepared;
    const glint_allocator *a = c->st->alloc;
    size_t need = pp->arena_bytes;
    if (need > c->arena_bytes || !c->arena) {
        uint8_t *na = gl_aligned_alloc(a, need ? need : GL_ARENA_ALIGN, GL_ARENA_ALIGN);
        if (!na)
            return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CPU backend: out of memory for a %zu-byte arena", need);
        gl_aligned_free(a, c->arena);
        c->arena = na;
        c->arena_bytes = need;
    }
    int views = pp->views;
    if (views > c->views_cap) {
        gl_tensor *nv = gl_realloc_array(a, c->views, (size_t)views, sizeof *nv);
        if (!nv) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CPU backend: out of memory");
        c->views = nv;
        c->views_cap = views;
    }
    return GLINT_OK;
}


glint_status gl_cpu_run_step_in(const step_env *e, const cpu_prepared *pp, int i, gl_err *err) {
    const gl_plan *p = pp->plan;
    const gl_plan_step *s = &p->steps[i];
    const cpu_step *cs = &pp->steps[i];
    gl_tensor *in = e->views, *out = e->views + pp->max_inputs;
    gl_plan_step_views(p, s, e->arena, in, out);
    if (cs->kind == STEP_CONV) {
        gl_cpu_conv_run(&cs->conv, in, s->n_inputs, out, e->pool, e->scratch, e->scratch_stride);
        return GLINT_OK;
    }
    if (cs->kind == STEP_GEMM) {
        const bool has_c = cs->gemm.has_c && s->n_inputs > 2;
        gl_cpu_gemm_run(&cs->gemm, in[0].data, in[1].data, has_c ? in[2].data : NULL,
                        out[0].data, (float *)(e->arena + pp->extra_offset), e->pool, e->scratch,
                        e->scratch_stride);
        return GLINT_OK;
    }
    if (cs->kind == STEP_QCONV) {
        gl_cpu_qconv_run(&cs->qconv, in, s->n_inputs, out, e->pool, e->arena + pp->extra_offset);
        return GLINT_OK;
    }
    if (cs->kind == STEP_QUANTIZE) {
        gl_cpu_quantize_run(&cs->quantize, in[0].data, gl_shape_numel(&in[0].shape), out[0].data,
                            e->pool);
        return GLINT_OK;
    }
    if (cs->kind == STEP_UP2) {
        const gl_shape *xs = &in[0].shape;
        gl_cpu_upsample2x_run(in[0].data, out[0].data, xs->d[0] * xs->d[1], xs->d[2], xs->d[3],
                              e->pool);
        return GLINT_OK;
    }
    glint_status st = s->op->run(s->params, in, s->n_inputs, out, s->n_outputs,
                                 s->workspace_bytes ? e->arena + s->workspace_offset : NULL, err);
    if (st != GLINT_OK && s->node >= 0 && s->node < p->graph->n_nodes) {
        char label[160];
        gl_err_prefix(err, "%s", gl_node_label(p->graph, s->node, label, sizeof label));
    }
    return st;
}

glint_status gl_cpu_run_step(void *vctx, const void *prepared, int i, gl_err *err) {
    cpu_ctx *c = vctx;
    const cpu_prepared *pp = prepared;
    if (pp->chunked)
        return gl_fail(err, GLINT_ERR_INTERNAL, "CPU backend: this plan runs in chunks of %lld "
                       "samples; profile the steps of gl_cpu_chunk_prepared instead",
                       (long long)pp->chunk);
    step_env e = {c->arena, c->views, c->pool, c->scratch, c->scratch_stride};
    return gl_cpu_run_step_in(&e, pp, i, err);
}

uint8_t *gl_cpu_context_arena(void *vctx) { return ((cpu_ctx *)vctx)->arena; }

const void *gl_cpu_chunk_prepared(const void *prepared, int64_t *chunk) {
    const cpu_prepared *pp = prepared;
    if (chunk) *chunk = pp && pp->chunked ? pp->chunk : 0;
    return pp ? pp->chunked : NULL;
}

const gl_plan *gl_cpu_prepared_plan(const void *prepared) {
    return prepared ? ((const cpu_prepared *)prepared)->plan : NULL;
}

static glint_status cpu_run(void *vctx, const void *prepared, const void *const *inputs,
                            void *const *outputs, gl_err *err) {
    cpu_ctx *c = vctx;
    const cpu_prepared *pp = prepared;
    const gl_plan *p = pp->plan;
    const gl_graph *g = p->graph;
    if (!c->arena || c->arena_bytes < pp->arena_bytes || c->views_cap < pp->views)
        return gl_fail(err, GLINT_ERR_INTERNAL, "CPU backend: run on a plan not bound to this context");
    if (pp->chunked) return gl_cpu_run_chunked(c, pp, inputs, outputs, err);
    const step_env e = {c->arena, c->views, c->pool, c->scratch, c->scratch_stride};
    for (int i = 0; i < g->n_inputs; i++) {
        int t = p->inputs[i];
        if (t < 0 || p->tensors[t].is_const || !p->tensors[t].bytes) continue;
        memcpy(c->arena + p->tensors[t].offset, inputs[i], p->tensors[t].bytes);
    }
    for (int i = 0; i < p->n_steps; i++) {
        glint_status st = gl_cpu_run_step_in(&e, pp, i, err);
        if (st != GLINT_OK) return st;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int t = p->outputs[i];
        if (t < 0 || !p->tensors[t].bytes) continue;
        const gl_plan_tensor *pt = &p->tensors[t];
        memcpy(outputs[i], pt->is_const ? pt->data : c->arena + pt->offset, pt->bytes);
    }
    return GLINT_OK;
}

int gl_cpu_fast_step_count(const void *prepared) {
    return prepared ? ((const cpu_prepared *)prepared)->fast_steps : 0;
}

int gl_cpu_packed_weight_count(void *state) {
    cpu_state *s = state;
    pthread_mutex_lock(&s->mu);
    int n = s->n_packs;
    pthread_mutex_unlock(&s->mu);
    return n;
}

const char *gl_cpu_kernel_name(void *state) {
    const cpu_state *s = state;
    return s->kern ? s->kern->name : "ref";
}

const gl_backend gl_backend_cpu = {
    .name = "cpu",
    .device = GLINT_DEVICE_CPU,
    .int8_requantize = true,
    .available = cpu_available,
    .engine_init = cpu_engine_init,
    .engine_free = cpu_engine_free,
    .plan_prepare = cpu_plan_prepare,
    .plan_release = cpu_plan_release,
    .context_create = cpu_context_create,
    .context_free = cpu_context_free,
    .context_bind = cpu_context_bind,
    .run = cpu_run,
};
