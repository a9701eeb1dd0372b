/* INT8 quantisation: the rounding rule, the parsed parameters of
 * QuantizeLinear / DequantizeLinear and of the internal glint::QConv, shared
 * by the CPU reference (src/ops/op_quant.c, op_qconv.c), the plan rewrite
 * (src/quant/) and any backend that implements these ops.
 *
 * Arithmetic (what every backend must reproduce):
 *   quantize:   q = saturate(round_half_even(x / scale) + zero_point)
 *   dequantize: x = (float)(q - zero_point) * scale
 *   QConv:      acc = Σ (x_q - x_zp) · w_q           exact, in int32
 *               y   = (float)acc * (x_scale * w_scale[m]) + B[m]
 *               y   = epilogue steps in order (gl_epi_apply)
 *               out = y, or quantize(y, y_scale, y_zp) for an int8 output. */
#ifndef GL_QUANT_PARAMS_H
#define GL_QUANT_PARAMS_H

#include <math.h>

#include "ops/nn_params.h"

/* Round half to even, independent of the FPU rounding mode. */
static inline float gl_round_half_even(float v) {
    float f = floorf(v);
    float d = v - f;
    if (d > 0.5f) return f + 1.0f;
    if (d < 0.5f) return f;
    return fmodf(f, 2.0f) == 0.0f ? f : f + 1.0f;
}

/* Saturating quantisation of one value into [qmin, qmax]; NaN gives the
 * zero point (the spec leaves it undefined; C's conversion would be UB). */
static inline int32_t gl_quantize_value(float x, float scale, int32_t zp, int32_t qmin,
                                        int32_t qmax) {
    float v = x / scale;
    if (v != v) return zp;
    v = gl_round_half_even(v) + (float)zp;
    if (v <= (float)qmin) return qmin;
    if (v >= (float)qmax) return qmax;
    return (int32_t)v;
}

/* The integer range of a quantised dtype (INT8, UINT8, INT32); false otherwise. */
static inline bool gl_qrange(gl_dtype t, int32_t *qmin, int32_t *qmax) {
    switch (t) {
    case GLINT_DTYPE_INT8: *qmin = -128; *qmax = 127; return true;
    case GLINT_DTYPE_UINT8: *qmin = 0; *qmax = 255; return true;
    case GLINT_DTYPE_INT32: *qmin = INT32_MIN; *qmax = INT32_MAX; return true;
    default: return false;
    }
}

/* QuantizeLinear / DequantizeLinear attributes. */
typedef struct gl_qdq_params {
    bool dequantize;
    int64_t axis;          /* per-axis scales along this axis (opset 13+; default 1) */
    gl_dtype output_dtype; /* QuantizeLinear-21 output_dtype; UNDEFINED = from zero point */
} gl_qdq_params;

/* glint::QConv. Inputs: [X int8|uint8, W int8, B float32 [M] or omitted,
 * epilogue operands (indices >= 3, exactly as in glint::FusedConv), ...,
 * w_scale float32 [M] at index wscale_input]. Weights are symmetric (zero
 * point 0) per output channel; X has one scale and zero point. */
typedef struct gl_qconv_params {
    gl_fused_conv_params fc;
    float x_scale;
    int32_t x_zero_point;
    int wscale_input;
    gl_dtype out_dtype;    /* FLOAT32, or INT8 / UINT8 requantised with y_* */
    float y_scale;
    int32_t y_zero_point;
} gl_qconv_params;

/* Checks a QConv step (dtypes, shapes, accumulator range) and fills geom.
 * Implemented in op_qconv.c. */
glint_status gl_qconv_check(const gl_qconv_params *p, const gl_tensor *in, int n_in,
                            gl_conv_geom *geom, gl_err *err);

/* Exact integer accumulation of a QConv into acc (n × c_out × out plane
 * int32): the part of the reference that backends test bit for bit. */
void gl_qconv_accumulate(const gl_conv_geom *g, const void *x, bool x_unsigned, int32_t x_zp,
                         const int8_t *w, int32_t *acc);

#endif
