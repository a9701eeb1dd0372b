/* Elementwise arithmetic with numpy broadcasting: Add, Sub, Mul, Div, Pow,
 * Mod, and the variadic Min, Max, Sum, Mean. float32, float64, int32, int64.
 * Integer arithmetic wraps (two's complement) instead of overflowing, and an
 * integer division by zero is an error, never undefined behaviour. Integer
 * Div truncates toward zero, as ONNX Runtime does. */
#include <math.h>
#include <string.h>

#include "ops/op_util.h"

typedef enum bin_kind { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_POW, BIN_MOD, BIN_FMOD,
                        BIN_MIN, BIN_MAX, BIN_SUM, BIN_MEAN } bin_kind;

typedef struct bin_params {
    bin_kind kind;
    const char *name;
} bin_params;

static const struct { const char *name; bin_kind kind; } g_binary[] = {
    {"Add", BIN_ADD}, {"Sub", BIN_SUB}, {"Mul", BIN_MUL}, {"Div", BIN_DIV}, {"Pow", BIN_POW},
    {"Mod", BIN_MOD}, {"Min", BIN_MIN}, {"Max", BIN_MAX}, {"Sum", BIN_SUM}, {"Mean", BIN_MEAN},
};

static glint_status binary_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    bin_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    for (size_t i = 0; i < GL_ARRAY_LEN(g_binary); i++)
        if (strcmp(g_binary[i].name, n->op_type) == 0) {
            p->kind = g_binary[i].kind;
            p->name = g_binary[i].name;
        }
    if (!p->name)
        return gl_fail(err, GLINT_ERR_INTERNAL, "'%s': %s is not a binary operator", n->name,
                       n->op_type);
    if (p->kind == BIN_MOD) {
        int64_t fmod_attr;
        s = gl_attr_int(n, "fmod", 0, &fmod_attr, err);
        if (s) return s;
        if (fmod_attr) p->kind = BIN_FMOD;
    }
    return GLINT_OK;
}

static glint_status binary_infer(const void *params, const gl_tensor *in, int n_in,
                                 gl_tensor *out, int n_out, gl_err *err) {
    const bin_params *p = params;
    unsigned set = p->kind == BIN_MEAN ? GL_DT_FLOATS : GL_DT_NUM;
    glint_status s = gl_check_dtype(p->name, "input 0", in[0].dtype, set, err);
    for (int i = 1; i < n_in && !s; i++) {
        /* Pow's exponent may have its own numeric type */
        if (p->kind == BIN_POW)
            s = gl_check_dtype(p->name, "input 1", in[1].dtype,
                               GL_DT_ANY & ~(GL_DT_BOOL | GL_DT(GLINT_DTYPE_BFLOAT16)), err);
        else s = gl_check_same_dtype(p->name, in, 0, i, err);
    }
    if (!s) s = gl_broadcast_shapes(p->name, in, n_in, &out[0].shape, err);
    out[0].dtype = in[0].dtype;
    return s;
}

/* ---------------------------------------------------------------- rows
 * A row is n outputs; a and b advance by sa and sb (each 0 or 1). The
 * expression macro is expanded for the common stride patterns so the
 * compiler sees unit-stride loops. Returns 0, or 1 on integer division by
 * zero. */
#define ROW_LOOP(T, EXPR)                                                                    \
    do {                                                                                     \
        if (sa && sb) for (int64_t i = 0; i < n; i++) { T x = a[i], z = b[i]; y[i] = (EXPR); } \
        else if (sa) { T z = b[0]; for (int64_t i = 0; i < n; i++) { T x = a[i]; y[i] = (EXPR); } } \
        else if (sb) { T x = a[0]; for (int64_t i = 0; i < n; i++) { T z = b[i]; y[i] = (EXPR); } } \
        else { T x = a[0], z = b[0]; T v = (EXPR); for (int64_t i = 0; i < n; i++) y[i] = v; } \
    } while (0)

#define FLOAT_ROW(T, SFX, FMODF, FLOORF)                                                     \
    static int row_##SFX(bin_kind k, const T *a, int64_t sa, const T *b, int64_t sb, T *y,     \
                         int64_t n) {                                                        \
        switch (k) {                                                                         \
        case BIN_ADD: case BIN_SUM: case BIN_MEAN: ROW_LOOP(T, x + z); break;                \
        case BIN_SUB: ROW_LOOP(T, x - z); break;                                             \
        case BIN_MUL: ROW_LOOP(T, x * z); break;                                             \
        case BIN_DIV: ROW_LOOP(T, x / z); break;                                             \
        case BIN_MIN: ROW_LOOP(T, (x < z || x != x) ? x : z); break;                         \
        case BIN_MAX: ROW_LOOP(T, (x > z || x != x) ? x : z); break;                         \
        case BIN_FMOD: ROW_LOOP(T, FMODF(x, z)); break;                                      \
        case BIN_MOD: /* sign of the divisor, like Python's % */                            \
            ROW_LOOP(T, x - z * FLOORF(x / z));                                              \
            break;                                                                           \
        case BIN_POW: break;                                                                 \
        }                                                                                    \
        return 0;                                                                            \
    }

FLOAT_ROW(float, f32, fmodf, floorf)
FLOAT_ROW(double, f64, fmod, floor)

#define INT_ROW(T, UT, SFX, TMIN)                                                            \
    static int row_##SFX(bin_kind k, const T *a, int64_t sa, const T *b, int64_t sb, T *y,     \
                         int64_t n) {                                                        \
        switch (k) {                                                                         \
        case BIN_ADD: case BIN_SUM: case BIN_MEAN: ROW_LOOP(T, (T)((UT)x + (UT)z)); break;   \
        case BIN_SUB: ROW_LOOP(T, (T)((UT)x - (UT)z)); break;                                \
        case BIN_MUL: ROW_LOOP(T, (T)((UT)x * (UT)z)); break;                                \
        case BIN_MIN: ROW_LOOP(T, x < z ? x : z); break;                                     \
        case BIN_MAX: ROW_LOOP(T, x > z ? x : z); break;                                     \
        case BIN_DIV: case BIN_MOD: case BIN_FMOD:                                           \
            for (int64_t i = 0; i < n; i++) {                                                \
                T x = a[i * sa], z = b[i * sb];                                              \
                if (z == 0) return 1;                                                        \
                /* TMIN / -1 overflows: its wrapped result is TMIN, remainder 0 */          \
                T q = (z == -1) ? (T)(0u - (UT)x) : (T)(x / z);                              \
                T r = (z == -1) ? 0 : (T)(x % z);                                            \
                if (k == BIN_DIV) y[i] = q;                                                  \
                else if (k == BIN_MOD && r != 0 && ((r < 0) != (z < 0))) y[i] = (T)(r + z);  \
                else y[i] = r;                                                               \
            }                                                                                \
            break;                                                                           \
        case BIN_POW: break;                                                                 \
        }                                                                                    \
        return 0;                                                                            \
    }

INT_ROW(int32_t, uint32_t, i32, INT32_MIN)
INT_ROW(int64_t, uint64_t, i64, INT64_MIN)

/* y = a (op) b with broadcasting; y may be a (same shape) or b. */
static glint_status bin_apply(const bin_params *p, bin_kind k, const gl_tensor *a,
                              const gl_tensor *b, gl_tensor *y, gl_err *err) {
    const gl_shape *shapes[2] = {&a->shape, &b->shape};
    gl_bcast bc;
    if (!gl_bcast_init(&bc, &y->shape, shapes, 2))
        return gl_fail(err, GLINT_ERR_INTERNAL, "%s: shapes do not broadcast", p->name);
    int64_t inner = bc.dims[bc.rank - 1];
    int64_t sa = bc.strides[0][bc.rank - 1], sb = bc.strides[1][bc.rank - 1];
    size_t ea = glint_dtype_size(a->dtype), eb = glint_dtype_size(b->dtype);
    size_t ey = glint_dtype_size(y->dtype);
    for (int64_t r = 0; r < bc.rows; r++) {
        int64_t off[2];
        gl_bcast_row(&bc, r, off);
        const char *pa = (const char *)a->data + off[0] * (int64_t)ea;
        const char *pb = (const char *)b->data + off[1] * (int64_t)eb;
        char *py = (char *)y->data + r * inner * (int64_t)ey;
        int bad = 0;
        if (k == BIN_POW) {
            if (a->dtype == GLINT_DTYPE_FLOAT32 && b->dtype == GLINT_DTYPE_FLOAT32) {
                const float *fa = (const float *)pa, *fb = (const float *)pb;
                for (int64_t i = 0; i < inner; i++)
                    ((float *)py)[i] = powf(fa[i * sa], fb[i * sb]);
            } else {
                /* mixed types: through double, which is exact for the
                 * integer powers that fit the output type */
                for (int64_t i = 0; i < inner; i++)
                    gl_store_f64(y->dtype, py, (size_t)i,
                                 pow(gl_load_f64(a->dtype, pa, (size_t)(i * sa)),
                                     gl_load_f64(b->dtype, pb, (size_t)(i * sb))));
            }
            continue;
        }
        switch (y->dtype) {
        case GLINT_DTYPE_FLOAT32:
            bad = row_f32(k, (const float *)pa, sa, (const float *)pb, sb, (float *)py, inner);
            break;
        case GLINT_DTYPE_FLOAT64:
            bad = row_f64(k, (const double *)pa, sa, (const double *)pb, sb, (double *)py, inner);
            break;
        case GLINT_DTYPE_INT32:
            bad = row_i32(k, (const int32_t *)pa, sa, (const int32_t *)pb, sb, (int32_t *)py, inner);
            break;
        case GLINT_DTYPE_INT64:
            bad = row_i64(k, (const int64_t *)pa, sa, (const int64_t *)pb, sb, (int64_t *)py, inner);
            break;
        default:
            return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: dtype %s", p->name,
                           glint_dtype_name(y->dtype));
        }
        if (bad)
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "%s: integer division by zero",
                           p->name);
    }
    return GLINT_OK;
}

static glint_status binary_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                               int n_out, void *ws, gl_err *err) {
    const bin_params *p = params;
    if (n_in == 2 && p->kind != BIN_MEAN)
        return bin_apply(p, p->kind, &in[0], &in[1], &out[0], err);
    /* Variadic: accumulate into out. Start from the input that out aliases
     * (when the planner runs it in place), so it is read before it is
     * overwritten; every kind here is commutative. */
    int first = 0;
    for (int i = 0; i < n_in; i++)
        if (in[i].data == out[0].data && gl_shape_equal(&in[i].shape, &out[0].shape)) first = i;
    if (in[first].data != out[0].data) {
        int64_t st[GL_MAX_RANK];
        const gl_shape *s = &in[first].shape;
        gl_shape_strides(s, st);
        int64_t bst[GL_MAX_RANK];
        int shift = out[0].shape.rank - s->rank;
        for (int i = 0; i < out[0].shape.rank; i++)
            bst[i] = (i < shift || s->d[i - shift] == 1) ? 0 : st[i - shift];
        gl_strided_copy(glint_dtype_size(out[0].dtype), out[0].shape.rank, out[0].shape.d, bst,
                        in[first].data, out[0].data);
    }
    for (int i = 0; i < n_in; i++) {
        if (i == first) continue;
        glint_status s = bin_apply(p, p->kind, &out[0], &in[i], &out[0], err);
        if (s) return s;
    }
    if (p->kind == BIN_MEAN) {
        size_t n = gl_numel(&out[0]);
        if (out[0].dtype == GLINT_DTYPE_FLOAT32) {
            float *y = out[0].data, inv = 1.0f / (float)n_in;
            for (size_t i = 0; i < n; i++) y[i] *= inv;
        } else {
            double *y = out[0].data;
            for (size_t i = 0; i < n; i++) y[i] /= n_in;
        }
    }
    return GLINT_OK;
}

static int64_t binary_flops(const void *params, const gl_tensor *in, int n_in,
                            const gl_tensor *out, int n_out) {
    return (int64_t)gl_numel(&out[0]) * (n_in > 1 ? n_in - 1 : 1);
}

#define BINARY_OP(sym, NAME, MIN_IN, MAX_IN)                                                 \
    const gl_op sym = {.domain = "", .name = NAME, .min_inputs = MIN_IN, .max_inputs = MAX_IN, \
                       .min_outputs = 1, .max_outputs = 1, .parse = binary_parse,            \
                       .infer = binary_infer, .run = binary_run, .flops = binary_flops};

BINARY_OP(gl_op_add, "Add", 2, 2)
BINARY_OP(gl_op_sub, "Sub", 2, 2)
BINARY_OP(gl_op_mul, "Mul", 2, 2)
BINARY_OP(gl_op_div, "Div", 2, 2)
BINARY_OP(gl_op_pow, "Pow", 2, 2)
BINARY_OP(gl_op_mod, "Mod", 2, 2)
BINARY_OP(gl_op_min, "Min", 1, 2147483647)
BINARY_OP(gl_op_max, "Max", 1, 2147483647)
BINARY_OP(gl_op_sum, "Sum", 1, 2147483647)
BINARY_OP(gl_op_mean, "Mean", 1, 2147483647)
