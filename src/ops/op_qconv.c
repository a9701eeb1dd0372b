/* glint::QConv: an INT8 convolution made by the quantisation plan rewrite
 * (src/quant/quantize_plan.c), never parsed from a model. int8 / uint8
 * activations with one scale and zero point, int8 weights symmetric per
 * output channel, exact int32 accumulation, then in float: rescale, bias,
 * the FusedConv epilogue, and an optional requantisation to int8 / uint8.
 * The arithmetic is stated in src/ops/quant_params.h; this reference is the
 * oracle (its accumulation is exact, so other backends match it bit for bit
 * before the float part). */
#include <string.h>

#include "ops/nn_common.h"
#include "ops/op_util.h"
#include "ops/quant_params.h"

static bool epi_has_operand(gl_epi_kind k) {
    return k == GL_EPI_MUL || k == GL_EPI_ADD || k == GL_EPI_SUB || k == GL_EPI_RSUB;
}

static glint_status check_vec(const char *what, const gl_tensor *t, int64_t m, gl_err *err) {
    char s[96];
    if (t->dtype != GLINT_DTYPE_FLOAT32 || t->shape.rank != 1 || t->shape.d[0] != m)
        return gl_fail(err, GLINT_ERR_INTERNAL, "QConv: %s is %s %s, expected float32 [%lld]",
                       what, glint_dtype_name(t->dtype), gl_shape_str(&t->shape, s, sizeof s),
                       (long long)m);
    return GLINT_OK;
}

glint_status gl_qconv_check(const gl_qconv_params *p, const gl_tensor *in, int n_in,
                            gl_conv_geom *g, gl_err *err) {
    const char *op = "QConv";
    glint_status st;
    unsigned q8 = GL_DT(GLINT_DTYPE_INT8) | GL_DT(GLINT_DTYPE_UINT8);
    if ((st = gl_check_dtype(op, "input X", in[0].dtype, q8, err)) ||
        (st = gl_check_dtype(op, "weight W", in[1].dtype, GL_DT(GLINT_DTYPE_INT8), err)))
        return st;
    if (p->fc.conv.transpose)
        return gl_fail(err, GLINT_ERR_INTERNAL, "QConv: a ConvTranspose cannot be quantised");
    if ((st = gl_conv_resolve(&p->fc.conv, &in[0].shape, &in[1].shape, g, err))) return st;
    if (p->wscale_input < 3 || p->wscale_input >= n_in)
        return gl_fail(err, GLINT_ERR_INTERNAL, "QConv: weight scale input %d of %d inputs",
                       p->wscale_input, n_in);
    if ((st = check_vec("weight scale", &in[p->wscale_input], g->c_out, err))) return st;
    if (gl_in_present(in, n_in, 2) && (st = check_vec("bias B", &in[2], g->c_out, err))) return st;
    int32_t lo = 0, hi = 0;
    if (!gl_qrange(in[0].dtype, &lo, &hi) || p->x_zero_point < lo || p->x_zero_point > hi ||
        !(p->x_scale > 0.0f))
        return gl_fail(err, GLINT_ERR_INTERNAL, "QConv: input scale %g / zero point %d is invalid",
                       (double)p->x_scale, (int)p->x_zero_point);
    if (p->out_dtype != GLINT_DTYPE_FLOAT32) {
        if (!gl_qrange(p->out_dtype, &lo, &hi) || p->out_dtype == GLINT_DTYPE_INT32 ||
            p->y_zero_point < lo || p->y_zero_point > hi || !(p->y_scale > 0.0f))
            return gl_fail(err, GLINT_ERR_INTERNAL,
                           "QConv: output %s with scale %g / zero point %d is invalid",
                           glint_dtype_name(p->out_dtype), (double)p->y_scale,
                           (int)p->y_zero_point);
    }
    /* |x - zp| <= 255 and |w| <= 128: the int32 accumulator must not overflow */
    int64_t terms = g->c_in / g->group;
    for (int i = 0; i < g->spatial; i++) terms *= g->k[i];
    if (terms > INT32_MAX / (255 * 128))
        return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                       "QConv: %lld products per output could overflow the int32 accumulator",
                       (long long)terms);
    if (p->fc.n_epi < 0 || p->fc.n_epi > GL_MAX_EPILOGUE)
        return gl_fail(err, GLINT_ERR_INTERNAL, "QConv: %d epilogue steps", p->fc.n_epi);
    int64_t plane = 1;
    for (int i = 0; i < g->spatial; i++) plane *= g->out[i];
    for (int s = 0; s < p->fc.n_epi; s++) {
        const gl_epi_step *e = &p->fc.epi[s];
        if (!epi_has_operand(e->kind)) continue;
        if (e->operand < 3 || e->operand == p->wscale_input || !gl_in_present(in, n_in, e->operand))
            return gl_fail(err, GLINT_ERR_INTERNAL, "QConv: step %d names operand %d", s,
                           e->operand);
        const gl_tensor *t = &in[e->operand];
        int64_t want = e->bcast == GL_BCAST_SCALAR    ? 1
                       : e->bcast == GL_BCAST_CHANNEL ? g->c_out
                       : e->bcast == GL_BCAST_SAMPLE_CHANNEL ? g->n * g->c_out
                                                             : g->n * g->c_out * plane;
        if (t->dtype != GLINT_DTYPE_FLOAT32 || gl_shape_numel(&t->shape) != want)
            return gl_fail(err, GLINT_ERR_INTERNAL,
                           "QConv: step %d operand has %lld elements, its broadcast needs %lld", s,
                           (long long)gl_shape_numel(&t->shape), (long long)want);
    }
    return GLINT_OK;
}

static glint_status qconv_infer(const void *params, const gl_tensor *in, int n_in,
                                gl_tensor *out, int n_out, gl_err *err) {
    const gl_qconv_params *p = params;
    gl_conv_geom g;
    glint_status st = gl_qconv_check(p, in, n_in, &g, err);
    if (st) return st;
    out[0].dtype = p->out_dtype;
    out[0].shape.rank = 2 + g.spatial;
    out[0].shape.d[0] = g.n;
    out[0].shape.d[1] = g.c_out;
    for (int i = 0; i < g.spatial; i++) out[0].shape.d[2 + i] = g.out[i];
    return GLINT_OK;
}

static size_t qconv_workspace(const void *params, const gl_tensor *in, int n_in,
                              const gl_tensor *out, int n_out) {
    return gl_numel(&out[0]) * sizeof(int32_t);
}

/* Padding contributes nothing: a padded position holds the real value 0,
 * which is the zero point, and (zp - zp) * w = 0. */
void gl_qconv_accumulate(const gl_conv_geom *g, const void *x, bool x_unsigned, int32_t x_zp,
                         const int8_t *w, int32_t *acc) {
    gl_nn_dims3 t;
    gl_nn_conv_dims3(g, &t);
    int64_t cg = g->c_in / g->group, mg = g->c_out / g->group;
    int64_t in_plane = t.in[0] * t.in[1] * t.in[2], out_plane = t.out[0] * t.out[1] * t.out[2];
    int64_t ksize = t.k[0] * t.k[1] * t.k[2];
    memset(acc, 0, sizeof(int32_t) * (size_t)(g->n * g->c_out * out_plane));
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t m = 0; m < g->c_out; m++) {
            int32_t *ap = acc + (n * g->c_out + m) * out_plane;
            for (int64_t c = 0; c < cg; c++) {
                int64_t xbase = (n * g->c_in + (m / mg) * cg + c) * in_plane;
                const int8_t *wp = w + (m * cg + c) * ksize;
                for (int64_t kz = 0; kz < t.k[0]; kz++)
                    for (int64_t ky = 0; ky < t.k[1]; ky++)
                        for (int64_t kx = 0; kx < t.k[2]; kx++) {
                            int32_t wv = wp[(kz * t.k[1] + ky) * t.k[2] + kx];
                            for (int64_t oz = 0; oz < t.out[0]; oz++) {
                                int64_t iz = oz * t.s[0] + kz * t.d[0] - t.p[0];
                                if (iz < 0 || iz >= t.in[0]) continue;
                                for (int64_t oy = 0; oy < t.out[1]; oy++) {
                                    int64_t iy = oy * t.s[1] + ky * t.d[1] - t.p[1];
                                    if (iy < 0 || iy >= t.in[1]) continue;
                                    int32_t *ar = ap + (oz * t.out[1] + oy) * t.out[2];
                                    int64_t row = xbase + (iz * t.in[1] + iy) * t.in[2];
                                    for (int64_t ox = 0; ox < t.out[2]; ox++) {
                                        int64_t ix = ox * t.s[2] + kx * t.d[2] - t.p[2];
                                        if (ix < 0 || ix >= t.in[2]) continue;
                                        int32_t xv = x_unsigned
                                                         ? ((const uint8_t *)x)[row + ix]
                                                         : ((const int8_t *)x)[row + ix];
                                        ar[ox] += (xv - x_zp) * wv;
                                    }
                                }
                            }
                        }
            }
        }
}

static glint_status qconv_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, void *ws, gl_err *err) {
    const gl_qconv_params *p = params;
    gl_conv_geom g;
    glint_status st = gl_qconv_check(p, in, n_in, &g, err);
    if (st) return st;
    int32_t *acc = ws;
    gl_qconv_accumulate(&g, in[0].data, in[0].dtype == GLINT_DTYPE_UINT8, p->x_zero_point,
                        in[1].data, acc);
    const float *wscale = in[p->wscale_input].data;
    const float *bias = gl_in_present(in, n_in, 2) ? in[2].data : NULL;
    const float *operands[3 + GL_MAX_EPILOGUE] = {0};
    for (int k = 3; k < n_in && k < (int)GL_ARRAY_LEN(operands); k++)
        operands[k] = in[k].dtype != GLINT_DTYPE_UNDEFINED ? (const float *)in[k].data : NULL;
    int64_t plane = 1;
    for (int i = 0; i < g.spatial; i++) plane *= g.out[i];
    int32_t qmin = 0, qmax = 0;
    gl_qrange(p->out_dtype, &qmin, &qmax);
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t c = 0; c < g.c_out; c++) {
            float s = p->x_scale * wscale[c];
            float b = bias ? bias[c] : 0.0f;
            int64_t base = (n * g.c_out + c) * plane;
            for (int64_t i = 0; i < plane; i++) {
                float v = (float)acc[base + i] * s + b;
                for (int e = 0; e < p->fc.n_epi; e++)
                    v = gl_epi_apply(&p->fc.epi[e], v, operands, n, c, g.c_out, i, plane);
                switch (p->out_dtype) {
                case GLINT_DTYPE_INT8:
                    ((int8_t *)out[0].data)[base + i] =
                        (int8_t)gl_quantize_value(v, p->y_scale, p->y_zero_point, qmin, qmax);
                    break;
                case GLINT_DTYPE_UINT8:
                    ((uint8_t *)out[0].data)[base + i] =
                        (uint8_t)gl_quantize_value(v, p->y_scale, p->y_zero_point, qmin, qmax);
                    break;
                default: ((float *)out[0].data)[base + i] = v; break;
                }
            }
        }
    return GLINT_OK;
}

static int64_t qconv_flops(const void *params, const gl_tensor *in, int n_in,
                           const gl_tensor *out, int n_out) {
    const gl_qconv_params *p = params;
    gl_conv_geom g;
    if (gl_conv_resolve(&p->fc.conv, &in[0].shape, &in[1].shape, &g, NULL) != GLINT_OK) return 0;
    return gl_nn_conv_flops(&g, false) + gl_shape_numel(&out[0].shape) * (2 + p->fc.n_epi);
}

const gl_op gl_op_qconv = {
    .domain = "glint",
    .name = "QConv",
    .min_inputs = 4, .max_inputs = 4 + GL_MAX_EPILOGUE,
    .min_outputs = 1, .max_outputs = 1,
    .infer = qconv_infer,
    .workspace = qconv_workspace,
    .run = qconv_run,
    .flops = qconv_flops,
};
