/* Cast and CastLike between the numeric dtypes and bool. Integer to integer
 * conversions wrap like numpy's astype; float to integer truncates toward
 * zero and saturates out of range values (NaN gives 0) instead of C's
 * undefined behaviour; anything to bool is "!= 0". Strings and the float8
 * types are refused. */
#include <math.h>
#include <string.h>

#include "ops/op_util.h"

#define CAST_TYPES GL_DT_ANY

typedef struct cast_params {
    gl_dtype to;        /* Cast: from the attribute; CastLike: UNDEFINED (input 1) */
} cast_params;

static glint_status cast_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    cast_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    int64_t saturate;
    s = gl_attr_int(n, "saturate", 1, &saturate, err);
    if (s) return s;
    /* saturate only changes float8 results, and float8 is refused anyway */
    if (strcmp(n->op_type, "CastLike") == 0) return GLINT_OK;
    const gl_attr *to = gl_node_attr(n, "to");
    if (!to || to->type != GL_ATTR_INT)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "Cast '%s': the 'to' attribute is missing",
                       n->name);
    if (to->i < 0 || to->i > 31 || !gl_dt_in((gl_dtype)to->i, CAST_TYPES))
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "Cast '%s': to=%lld (%s) is not supported",
                       n->name, (long long)to->i,
                       to->i >= 0 && to->i <= 31 ? glint_dtype_name((gl_dtype)to->i) : "unknown");
    p->to = (gl_dtype)to->i;
    return GLINT_OK;
}

static glint_status cast_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, gl_err *err) {
    const cast_params *p = params;
    const char *name = p->to ? "Cast" : "CastLike";
    glint_status s = gl_check_dtype(name, "input 0", in[0].dtype, CAST_TYPES, err);
    if (s) return s;
    gl_dtype to = p->to;
    if (!to) {
        s = gl_check_dtype(name, "input 1", in[1].dtype, CAST_TYPES, err);
        if (s) return s;
        to = in[1].dtype;
    }
    out[0].dtype = to;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

static bool is_int_like(gl_dtype t) {
    switch (t) {
    case GLINT_DTYPE_INT8: case GLINT_DTYPE_UINT8: case GLINT_DTYPE_INT16:
    case GLINT_DTYPE_UINT16: case GLINT_DTYPE_INT32: case GLINT_DTYPE_UINT32:
    case GLINT_DTYPE_INT64: case GLINT_DTYPE_UINT64: case GLINT_DTYPE_BOOL: return true;
    default: return false;
    }
}

static uint64_t load_bits(gl_dtype t, const void *d, size_t i) {
    switch (t) {
    case GLINT_DTYPE_INT8: return (uint64_t)(int64_t)((const int8_t *)d)[i];
    case GLINT_DTYPE_UINT8: return ((const uint8_t *)d)[i];
    case GLINT_DTYPE_BOOL: return ((const uint8_t *)d)[i] != 0;
    case GLINT_DTYPE_INT16: return (uint64_t)(int64_t)((const int16_t *)d)[i];
    case GLINT_DTYPE_UINT16: return ((const uint16_t *)d)[i];
    case GLINT_DTYPE_INT32: return (uint64_t)(int64_t)((const int32_t *)d)[i];
    case GLINT_DTYPE_UINT32: return ((const uint32_t *)d)[i];
    case GLINT_DTYPE_INT64: return (uint64_t)((const int64_t *)d)[i];
    case GLINT_DTYPE_UINT64: return ((const uint64_t *)d)[i];
    default: return 0;
    }
}

/* Keeps the low bits: the two's complement wrap of numpy's astype. */
static void store_bits(gl_dtype t, void *d, size_t i, uint64_t v) {
    switch (t) {
    case GLINT_DTYPE_INT8: case GLINT_DTYPE_UINT8: ((uint8_t *)d)[i] = (uint8_t)v; break;
    case GLINT_DTYPE_BOOL: ((uint8_t *)d)[i] = v != 0; break;
    case GLINT_DTYPE_INT16: case GLINT_DTYPE_UINT16: ((uint16_t *)d)[i] = (uint16_t)v; break;
    case GLINT_DTYPE_INT32: case GLINT_DTYPE_UINT32: ((uint32_t *)d)[i] = (uint32_t)v; break;
    case GLINT_DTYPE_INT64: case GLINT_DTYPE_UINT64: ((uint64_t *)d)[i] = v; break;
    default: break;
    }
}

static glint_status cast_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                             int n_out, void *ws, gl_err *err) {
    gl_dtype from = in[0].dtype, to = out[0].dtype;
    size_t n = gl_numel(&out[0]);
    if (from == to) {
        if (out[0].data != in[0].data) memmove(out[0].data, in[0].data, n * glint_dtype_size(to));
        return GLINT_OK;
    }
    /* the hot conversions get plain loops */
    if (from == GLINT_DTYPE_FLOAT32 && to == GLINT_DTYPE_FLOAT16) {
        const float *x = in[0].data;
        uint16_t *y = out[0].data;
        for (size_t i = 0; i < n; i++) y[i] = gl_f32_to_f16(x[i]);
    } else if (from == GLINT_DTYPE_FLOAT16 && to == GLINT_DTYPE_FLOAT32) {
        const uint16_t *x = in[0].data;
        float *y = out[0].data;
        for (size_t i = 0; i < n; i++) y[i] = gl_f16_to_f32(x[i]);
    } else if (is_int_like(from) && is_int_like(to)) {
        for (size_t i = 0; i < n; i++) store_bits(to, out[0].data, i, load_bits(from, in[0].data, i));
    } else if (from == GLINT_DTYPE_FLOAT64 && to == GLINT_DTYPE_FLOAT16) {
        /* one rounding, not two: round to float "to odd" (truncate, then set
         * the last bit when inexact), which float -> half then rounds
         * correctly because float has more than twice half's precision */
        const double *x = in[0].data;
        uint16_t *y = out[0].data;
        for (size_t i = 0; i < n; i++) {
            float f = (float)x[i];
            if ((double)f != x[i] && x[i] == x[i]) {
                uint32_t bits;
                memcpy(&bits, &f, 4);
                if (fabs((double)f) > fabs(x[i])) bits--; /* toward zero */
                bits |= 1u;
                memcpy(&f, &bits, 4);
            }
            y[i] = gl_f32_to_f16(f);
        }
    } else {
        for (size_t i = 0; i < n; i++)
            gl_store_f64(to, out[0].data, i, gl_load_f64(from, in[0].data, i));
    }
    return GLINT_OK;
}

const gl_op gl_op_cast = {
    .domain = "", .name = "Cast", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = cast_parse, .infer = cast_infer, .run = cast_run,
};

const gl_op gl_op_cast_like = {
    .domain = "", .name = "CastLike", .min_inputs = 2, .max_inputs = 2, .min_outputs = 1,
    .max_outputs = 1, .parse = cast_parse, .infer = cast_infer, .run = cast_run,
};
