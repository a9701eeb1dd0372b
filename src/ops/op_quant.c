/* QuantizeLinear and DequantizeLinear (ONNX opsets 10-21): float32 to and
 * from int8 / uint8 (and int32 for DequantizeLinear), with a per-tensor
 * scale or, from opset 13, per-axis scales along `axis`. Rounding is half to
 * even and results saturate (src/ops/quant_params.h states the arithmetic).
 * Block quantisation (opset 21 block_size), float8 / int4 / int16 types and
 * float16 scales are refused when the model is loaded or planned. */
#include <string.h>

#include "ops/op_util.h"
#include "ops/quant_params.h"

static glint_status qdq_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    gl_qdq_params *p;
    glint_status st = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (st) return st;
    *params = p;
    p->dequantize = strcmp(n->op_type, "DequantizeLinear") == 0;
    int64_t block_size = 0, output_dtype = 0, saturate = 1;
    if ((st = gl_attr_int(n, "axis", 1, &p->axis, err)) ||
        (st = gl_attr_int(n, "block_size", 0, &block_size, err)) ||
        (st = gl_attr_int(n, "output_dtype", 0, &output_dtype, err)) ||
        (st = gl_attr_int(n, "saturate", 1, &saturate, err)))
        return st;
    /* saturate only changes float8 results; integer results always saturate */
    if (block_size != 0)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                       "%s '%s': block quantisation (block_size %lld) is not supported", n->op_type,
                       n->name, (long long)block_size);
    if (output_dtype != 0) {
        if (p->dequantize || (output_dtype != GLINT_DTYPE_INT8 && output_dtype != GLINT_DTYPE_UINT8))
            return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                           "%s '%s': output_dtype %lld is not supported (int8 and uint8 are)",
                           n->op_type, n->name, (long long)output_dtype);
        p->output_dtype = (gl_dtype)output_dtype;
    }
    return GLINT_OK;
}

/* Checks scale and zero point against x; *axis_dim is 0 for per-tensor
 * quantisation, else the length of the quantised axis (normalised in *axis). */
static glint_status check_scale(const char *op, const gl_qdq_params *p, const gl_tensor *in,
                                int n_in, int *axis, int64_t *axis_dim, gl_err *err) {
    glint_status st = gl_check_dtype(op, "the scale", in[1].dtype, GL_DT_F32, err);
    if (st) return st;
    char ss[96], xs[96];
    int64_t n_scale = gl_shape_numel(&in[1].shape);
    *axis = 0;
    *axis_dim = 0;
    if (in[1].shape.rank > 1 || n_scale < 1)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                       "%s: scale %s is neither a scalar nor a 1-D per-axis vector (block "
                       "quantisation is not supported)",
                       op, gl_shape_str(&in[1].shape, ss, sizeof ss));
    /* One value is per-tensor quantisation, whose axis ONNX ignores: ONNX
     * Runtime's quantiser writes a bias's 1-element scale with the default
     * axis 1 on the rank-1 bias. */
    if (in[1].shape.rank == 1 && n_scale > 1) {
        if ((st = gl_axis_norm(op, p->axis, in[0].shape.rank, axis, err))) return st;
        *axis_dim = in[0].shape.d[*axis];
        if (n_scale != *axis_dim)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "%s: scale %s does not match axis %d of input %s", op,
                           gl_shape_str(&in[1].shape, ss, sizeof ss), *axis,
                           gl_shape_str(&in[0].shape, xs, sizeof xs));
    }
    if (gl_in_present(in, n_in, 2) && !gl_shape_equal(&in[2].shape, &in[1].shape) &&
        gl_shape_numel(&in[2].shape) != n_scale)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "%s: zero point %s and scale %s differ in shape",
                       op, gl_shape_str(&in[2].shape, xs, sizeof xs),
                       gl_shape_str(&in[1].shape, ss, sizeof ss));
    return GLINT_OK;
}

static glint_status quantize_infer(const void *params, const gl_tensor *in, int n_in,
                                   gl_tensor *out, int n_out, gl_err *err) {
    const gl_qdq_params *p = params;
    const char *op = "QuantizeLinear";
    int axis;
    int64_t axis_dim;
    glint_status st = gl_check_dtype(op, "input x", in[0].dtype, GL_DT_F32, err);
    if (st || (st = check_scale(op, p, in, n_in, &axis, &axis_dim, err))) return st;
    gl_dtype t = p->output_dtype ? p->output_dtype : GLINT_DTYPE_UINT8;
    if (gl_in_present(in, n_in, 2)) {
        unsigned ok = GL_DT(GLINT_DTYPE_INT8) | GL_DT(GLINT_DTYPE_UINT8);
        if ((st = gl_check_dtype(op, "the zero point", in[2].dtype, ok, err))) return st;
        if (p->output_dtype && p->output_dtype != in[2].dtype)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "%s: output_dtype %s differs from the zero point's %s", op,
                           glint_dtype_name(p->output_dtype), glint_dtype_name(in[2].dtype));
        t = in[2].dtype;
    }
    out[0].dtype = t;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

static glint_status dequantize_infer(const void *params, const gl_tensor *in, int n_in,
                                     gl_tensor *out, int n_out, gl_err *err) {
    const gl_qdq_params *p = params;
    const char *op = "DequantizeLinear";
    int axis;
    int64_t axis_dim;
    unsigned ok = GL_DT(GLINT_DTYPE_INT8) | GL_DT(GLINT_DTYPE_UINT8) | GL_DT(GLINT_DTYPE_INT32);
    glint_status st = gl_check_dtype(op, "input x", in[0].dtype, ok, err);
    if (st || (st = check_scale(op, p, in, n_in, &axis, &axis_dim, err))) return st;
    if (gl_in_present(in, n_in, 2) && (st = gl_check_same_dtype(op, in, 0, 2, err))) return st;
    out[0].dtype = GLINT_DTYPE_FLOAT32;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

/* Zero point k of a quantised tensor (any of int8 / uint8 / int32). */
static int32_t load_q(gl_dtype t, const void *data, size_t k) {
    switch (t) {
    case GLINT_DTYPE_INT8: return ((const int8_t *)data)[k];
    case GLINT_DTYPE_UINT8: return ((const uint8_t *)data)[k];
    default: return ((const int32_t *)data)[k];
    }
}

/* Elements per step of the quantised axis (product of the dims after it). */
static int64_t inner_size(const gl_shape *s, int axis) {
    int64_t inner = 1;
    for (int d = axis + 1; d < s->rank; d++) inner *= s->d[d];
    return inner;
}

static glint_status qdq_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                            int n_out, void *ws, gl_err *err) {
    const gl_qdq_params *p = params;
    const char *op = p->dequantize ? "DequantizeLinear" : "QuantizeLinear";
    int axis;
    int64_t axis_dim;
    glint_status st = check_scale(op, p, in, n_in, &axis, &axis_dim, err);
    if (st) return st;
    const float *scale = in[1].data;
    bool has_zp = gl_in_present(in, n_in, 2);
    size_t n = gl_numel(&in[0]);
    int64_t inner = axis_dim ? inner_size(&in[0].shape, axis) : 1;
    if (p->dequantize) {
        float *y = out[0].data;
        for (size_t i = 0; i < n; i++) {
            size_t k = axis_dim ? (size_t)(((int64_t)i / inner) % axis_dim) : 0;
            int32_t zp = has_zp ? load_q(in[2].dtype, in[2].data, k) : 0;
            int64_t q = (int64_t)load_q(in[0].dtype, in[0].data, i) - zp;
            y[i] = (float)q * scale[k];
        }
        return GLINT_OK;
    }
    const float *x = in[0].data;
    int32_t qmin, qmax;
    if (!gl_qrange(out[0].dtype, &qmin, &qmax))
        return gl_fail(err, GLINT_ERR_INTERNAL, "%s: output dtype %s", op,
                       glint_dtype_name(out[0].dtype));
    for (size_t i = 0; i < n; i++) {
        size_t k = axis_dim ? (size_t)(((int64_t)i / inner) % axis_dim) : 0;
        int32_t zp = has_zp ? load_q(in[2].dtype, in[2].data, k) : 0;
        int32_t q = gl_quantize_value(x[i], scale[k], zp, qmin, qmax);
        if (out[0].dtype == GLINT_DTYPE_INT8) ((int8_t *)out[0].data)[i] = (int8_t)q;
        else ((uint8_t *)out[0].data)[i] = (uint8_t)q;
    }
    return GLINT_OK;
}

static int64_t qdq_flops(const void *params, const gl_tensor *in, int n_in, const gl_tensor *out,
                         int n_out) {
    return 2 * gl_shape_numel(&in[0].shape);
}

const gl_op gl_op_quantize_linear = {
    .domain = "",
    .name = "QuantizeLinear",
    .min_inputs = 2, .max_inputs = 3,
    .min_outputs = 1, .max_outputs = 1,
    .parse = qdq_parse,
    .infer = quantize_infer,
    .run = qdq_run,
    .flops = qdq_flops,
};

const gl_op gl_op_dequantize_linear = {
    .domain = "",
    .name = "DequantizeLinear",
    .min_inputs = 2, .max_inputs = 3,
    .min_outputs = 1, .max_outputs = 1,
    .parse = qdq_parse,
    .infer = dequantize_infer,
    .run = qdq_run,
    .flops = qdq_flops,
};
