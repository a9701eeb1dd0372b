/* Which activations the tiled convolutions hand each other in NHWC
 * (channels innermost) instead of the plan's NCHW.
 *
 * A tensor-core conv multiplies a patch held channel-innermost (each
 * position's 16 channels side by side, cuda_conv_mma.cuh). From NCHW it has
 * to copy whole input rows to a staging area and transpose them, and a
 * folded 2x upsample (every U-Net decoder conv) cannot be copied
 * asynchronously at all: its values are loaded, doubled and stored by the
 * threads. From NHWC each position's channels are one or two 16-byte
 * copies straight into place, upsampled or not (and the INT8 one
 * quantises 8 channels a load). Only the convs know the difference, so
 * the layout is chosen per tensor: NHWC where every descriptor touching
 * it is a tiled conv (GK_CONV_TILE, GK_CONV_MMA, GK_CONV_IMMA) that
 * writes it as its output or reads it as its input (X or the second part
 * of a folded concat), a reader among them that loads NHWC by vectors (a
 * tensor-core conv, or the SIMT one in a 16-bit engine), it has one
 * writer (so no graph input), it is no graph output, nothing views it,
 * and no epilogue reads it element by element. Everything else, and every
 * tensor the host or the CPU reference sees, stays NCHW; the simple path
 * (GLINT_CUDA_SIMPLE=1) keeps NCHW throughout. In an INT8 engine, the NHWC
 * tensors that only QConvs read then hold int8 codes (plan_codes, below). */
#include "backend/cuda/cuda_lower.h"

/* The kernels that read and write NHWC: the tiled convs (the SIMT loop,
 * the FP16 / BF16 and the INT8 tensor cores). */
static bool nhwc_kernel(const gk_desc *d) {
    return d->kind == GK_CONV_TILE || d->kind == GK_CONV_MMA || d->kind == GK_CONV_IMMA;
}

/* Whether descriptor d's argument a may be NHWC: a tiled conv's input, the
 * second part of its folded concat, or its output. */
static bool nhwc_role(const gk_desc *d, int a) {
    const gk_conv *c = &d->u.conv;
    return nhwc_kernel(d) && (a == 0 || a == c->split_arg || a == c->out_arg);
}

/* An epilogue operand read at the output's own index (a residual), which
 * the kernels address as NCHW. */
static bool has_full_operand(const gk_conv *c) {
    for (int e = 0; e < c->n_epi; e++)
        if (c->epi[e].operand >= 0 && c->epi[e].bcast == GL_BCAST_FULL) return true;
    return false;
}

/* Whether each part of a conv's input holds a multiple of 8 channels, as
 * the vector reads of NHWC (8 channels a load) need. */
static bool parts_of_8(const gk_desc *d) {
    const gk_conv *c = &d->u.conv;
    if (c->split_arg < 0) return c->c_in % 8 == 0;
    return c->c_split % 8 == 0 && (c->c_in - c->c_split) % 8 == 0;
}

/* The readers that gain by NHWC: the tensor-core convs, and the SIMT loop
 * where values are 16-bit (it then loads a position's 8 channels at once;
 * FP32 it reads channel by channel, and NHWC's channel stride made those
 * loads uncoalesced: FP32 batch 32 1.27x slower, H200 2026-12-03). A
 * tensor-core conv needs the parts of 8; the SIMT loop reads any NHWC
 * input, by elements where they are not. */
static bool vector_reader(const gl_cuda_lower *L, const gk_desc *d) {
    if (!parts_of_8(d)) return false;
    return d->kind == GK_CONV_MMA || d->kind == GK_CONV_IMMA || L->store != GK_STORE_F32;
}

/* The two parts of every tiled conv's folded concat get the same per-tensor
 * flag: where they differ, both become `to`, until no part changes (a
 * tensor can be a part of several concats). */
static void concat_parts_agree(const gl_cuda_prepared *pp, bool *flag, bool to) {
    for (bool changed = true; changed;) {
        changed = false;
        for (int j = 0; j < pp->n_k; j++) {
            const gk_desc *d = &pp->k[j];
            if (!nhwc_kernel(d) || d->u.conv.split_arg < 0) continue;
            const int x = d->args[0], x2 = d->args[d->u.conv.split_arg];
            if (flag[x] != flag[x2]) {
                flag[x] = flag[x2] = to;
                changed = true;
            }
        }
    }
}

/* INT8 activations in memory. A QConv that reads an activation quantises
 * it as it loads it; when every reader of a tensor is a QConv that can
 * read codes instead (codes_reader), the conv that writes it can quantise
 * it in its epilogue, from the float result (what the CPU reference's
 * chained QConvs do, op_qconv.c), and its readers copy the codes straight
 * into their patches: a byte a value moved instead of two, no quantising in the
 * readers' loops. Readers that quantise differently (a U-Net's skip
 * tensor: its downsampling conv's scale and the decoder concat's) each
 * get a variant of their own, up to the two that the tensor's half
 * storage holds. A tensor holds codes (gk_conv.y_codes, x_codes) when it
 * is NHWC in a half-storage engine, written by one tiled conv with a
 * multiple of 16 output channels, read only as X or a concat part by
 * QConvs that can (codes_reader: a 16-byte load holds 16 codes) and whose
 * input is all codes, in at most two quantisations. */
#define CODE_VARIANTS 2

typedef struct code_variants {
    int n;
    float scale[CODE_VARIANTS];
    int zp[CODE_VARIANTS];
} code_variants;

/* The variant of reader quantisation (scale, zp) in v, added if new; -1
 * when v is full. */
static int code_variant(code_variants *v, float scale, int zp) {
    for (int k = 0; k < v->n; k++)
        if (v->scale[k] == scale && v->zp[k] == zp) return k;
    if (v->n == CODE_VARIANTS) return -1;
    v->scale[v->n] = scale;
    v->zp[v->n] = zp;
    return v->n++;
}

/* The convs that read codes (tiled conv d, reading as X or a concat part):
 * QConvs on the INT8 tensor cores, or on the SIMT loop when its chunks are
 * multiples of 16 channels (a last layer's), NHWC, input parts of
 * multiples of 16 channels. */
static bool codes_reader(const gk_desc *d) {
    const gk_conv *c = &d->u.conv;
    if (!c->quant || !c->x_nhwc) return false;
    if (d->kind != GK_CONV_IMMA && (d->kind != GK_CONV_TILE || gk_tile_chunk(c) % 16 != 0))
        return false;
    const int c_a = c->split_arg >= 0 ? c->c_split : c->c_in;
    return c_a % 16 == 0 && (c->c_in - c_a) % 16 == 0;
}

static void plan_codes(gl_cuda_lower *L, bool *codes, code_variants *var) {
    gl_cuda_prepared *pp = L->pp;
    for (int j = 0; j < pp->n_k; j++) { /* written by a tiled conv, NHWC */
        const gk_desc *d = &pp->k[j];
        const gk_conv *c = &d->u.conv;
        if (nhwc_kernel(d) && c->y_nhwc && c->c_out % 16 == 0) codes[d->args[c->out_arg]] = true;
    }
    for (int j = 0; j < pp->n_k; j++) { /* read only by QConvs that read codes */
        const gk_desc *d = &pp->k[j];
        for (int k = 0; k < d->n_args; k++) {
            const int t = d->args[k];
            if (t < 0 || (nhwc_kernel(d) && k == d->u.conv.out_arg)) continue;
            if (!nhwc_role(d, k) || !codes_reader(d) ||
                code_variant(&var[t], d->u.conv.q_scale, d->u.conv.q_zp) < 0)
                codes[t] = false;
        }
    }
    concat_parts_agree(pp, codes, false); /* a reader takes codes for all its input or none */
    for (int j = 0; j < pp->n_k; j++) {
        gk_desc *d = &pp->k[j];
        if (!nhwc_kernel(d)) continue;
        gk_conv *c = &d->u.conv;
        const int y = d->args[c->out_arg];
        if (codes[y]) {
            c->y_codes = var[y].n;
            for (int k = 0; k < var[y].n; k++) {
                c->y_scale[k] = var[y].scale[k];
                c->y_inv[k] = 1.0f / var[y].scale[k]; /* as qconv_input makes q_inv */
                c->y_zp[k] = var[y].zp[k];
            }
        }
        if (codes[d->args[0]]) { /* a codes_reader, as every reader of codes */
            c->x_codes = 1;
            c->x_var = code_variant(&var[d->args[0]], c->q_scale, c->q_zp);
            if (c->split_arg >= 0)
                c->x2_var = code_variant(&var[d->args[c->split_arg]], c->q_scale, c->q_zp);
        }
    }
}

glint_status gl_cuda_plan_layouts(gl_cuda_lower *L, gl_err *err) {
    gl_cuda_prepared *pp = L->pp;
    if (L->simple) return GLINT_OK; /* the plain path stays the plan's */
    const glint_allocator *a = L->plan->alloc;
    const size_t n = (size_t)GL_MAX(pp->n_t, 1);
    int *writers = gl_calloc(a, n, sizeof(int));
    bool *nchw = gl_calloc(a, n, sizeof(bool)), *fast_read = gl_calloc(a, n, sizeof(bool));
    if (!writers || !nchw || !fast_read) {
        gl_free(a, writers);
        gl_free(a, nchw);
        gl_free(a, fast_read);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: layout tables");
    }
    for (int j = 0; j < pp->n_k; j++) {
        const gk_desc *d = &pp->k[j];
        for (int k = 0; k < d->n_args; k++) {
            const int t = d->args[k];
            if (t < 0) continue;
            if (!nhwc_role(d, k)) nchw[t] = true;
            else if (k == d->u.conv.out_arg) {
                writers[t]++;
                if (has_full_operand(&d->u.conv)) nchw[t] = true;
            } else if (vector_reader(L, d))
                fast_read[t] = true;
            else if (d->kind != GK_CONV_TILE)
                nchw[t] = true; /* a tensor-core conv with parts not of 8 */
        }
    }
    /* (graph inputs have no conv writer: the writer count below drops them) */
    for (int k = 0; k < pp->n_out; k++) nchw[pp->out[k].tensor] = true;
    for (int t = 0; t < pp->n_t; t++)
        if (pp->t[t].storage != t) nchw[t] = nchw[pp->t[t].storage] = true;
    for (int t = 0; t < pp->n_t; t++)
        if (writers[t] != 1 || !fast_read[t]) nchw[t] = true;
    concat_parts_agree(pp, nchw, true); /* the two parts of a folded concat in one layout */
    for (int j = 0; j < pp->n_k; j++) {
        gk_desc *d = &pp->k[j];
        if (!nhwc_kernel(d)) continue;
        d->u.conv.x_nhwc = !nchw[d->args[0]];
        d->u.conv.y_nhwc = !nchw[d->args[d->u.conv.out_arg]];
    }
    glint_status st = GLINT_OK;
    if (L->store == GK_STORE_F16) {
        code_variants *var = gl_calloc(a, n, sizeof *var);
        bool *codes = gl_calloc(a, n, sizeof(bool));
        if (var && codes) plan_codes(L, codes, var);
        else st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: code tables");
        gl_free(a, var);
        gl_free(a, codes);
    }
    gl_free(a, writers);
    gl_free(a, nchw);
    gl_free(a, fast_read);
    return st;
}
