/* Comparisons (Equal, Less, Greater, LessOrEqual, GreaterOrEqual) giving
 * bool, the logical ops (Not, And, Or, Xor) on bool, and Where. All with
 * numpy broadcasting. bool is one byte, 0 or 1. */
#include <string.h>

#include "ops/op_util.h"

typedef enum cmp_kind { CMP_EQ, CMP_LT, CMP_GT, CMP_LE, CMP_GE, LOG_AND, LOG_OR, LOG_XOR } cmp_kind;

typedef struct cmp_params {
    cmp_kind kind;
    const char *name;
} cmp_params;

static const struct { const char *name; cmp_kind kind; } g_cmp[] = {
    {"Equal", CMP_EQ}, {"Less", CMP_LT}, {"Greater", CMP_GT}, {"LessOrEqual", CMP_LE},
    {"GreaterOrEqual", CMP_GE}, {"And", LOG_AND}, {"Or", LOG_OR}, {"Xor", LOG_XOR},
};

static glint_status cmp_parse(const gl_graph *g, const gl_node *n, void **params, gl_err *err) {
    cmp_params *p;
    glint_status s = gl_params_alloc(g, n, sizeof *p, (void **)&p, err);
    if (s) return s;
    *params = p;
    for (size_t i = 0; i < GL_ARRAY_LEN(g_cmp); i++)
        if (strcmp(g_cmp[i].name, n->op_type) == 0) {
            p->kind = g_cmp[i].kind;
            p->name = g_cmp[i].name;
        }
    if (!p->name)
        return gl_fail(err, GLINT_ERR_INTERNAL, "'%s': %s is not a comparison", n->name,
                       n->op_type);
    return GLINT_OK;
}

static glint_status cmp_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, gl_err *err) {
    const cmp_params *p = params;
    unsigned set = p->kind >= LOG_AND ? GL_DT_BOOL
                   : p->kind == CMP_EQ ? (GL_DT_NUM | GL_DT_BOOL) : GL_DT_NUM;
    glint_status s = gl_check_dtype(p->name, "input 0", in[0].dtype, set, err);
    if (!s) s = gl_check_same_dtype(p->name, in, 0, 1, err);
    if (!s) s = gl_broadcast_shapes(p->name, in, 2, &out[0].shape, err);
    out[0].dtype = GLINT_DTYPE_BOOL;
    return s;
}

#define CMP_LOOP(T, EXPR)                                                                    \
    for (int64_t i = 0; i < n; i++) {                                                        \
        T x = a[i * sa], z = b[i * sb];                                                      \
        y[i] = (uint8_t)(EXPR);                                                              \
    }

#define CMP_ROW(T, SFX)                                                                      \
    static void cmp_##SFX(cmp_kind k, const T *a, int64_t sa, const T *b, int64_t sb,         \
                          uint8_t *y, int64_t n) {                                           \
        switch (k) {                                                                         \
        case CMP_EQ: CMP_LOOP(T, x == z) break;                                              \
        case CMP_LT: CMP_LOOP(T, x < z) break;                                               \
        case CMP_GT: CMP_LOOP(T, x > z) break;                                               \
        case CMP_LE: CMP_LOOP(T, x <= z) break;                                              \
        case CMP_GE: CMP_LOOP(T, x >= z) break;                                              \
        case LOG_AND: CMP_LOOP(T, (x != 0) & (z != 0)) break;                                \
        case LOG_OR: CMP_LOOP(T, (x != 0) | (z != 0)) break;                                 \
        case LOG_XOR: CMP_LOOP(T, (x != 0) ^ (z != 0)) break;                                \
        }                                                                                    \
    }

CMP_ROW(float, f32)
CMP_ROW(double, f64)
CMP_ROW(int32_t, i32)
CMP_ROW(int64_t, i64)
CMP_ROW(uint8_t, u8)

static glint_status cmp_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                            int n_out, void *ws, gl_err *err) {
    const cmp_params *p = params;
    const gl_shape *shapes[2] = {&in[0].shape, &in[1].shape};
    gl_bcast bc;
    if (!gl_bcast_init(&bc, &out[0].shape, shapes, 2))
        return gl_fail(err, GLINT_ERR_INTERNAL, "%s: shapes do not broadcast", p->name);
    int64_t inner = bc.dims[bc.rank - 1];
    int64_t sa = bc.strides[0][bc.rank - 1], sb = bc.strides[1][bc.rank - 1];
    size_t e = glint_dtype_size(in[0].dtype);
    for (int64_t r = 0; r < bc.rows; r++) {
        int64_t off[2];
        gl_bcast_row(&bc, r, off);
        const void *pa = (const char *)in[0].data + off[0] * (int64_t)e;
        const void *pb = (const char *)in[1].data + off[1] * (int64_t)e;
        uint8_t *y = (uint8_t *)out[0].data + r * inner;
        switch (in[0].dtype) {
        case GLINT_DTYPE_FLOAT32: cmp_f32(p->kind, pa, sa, pb, sb, y, inner); break;
        case GLINT_DTYPE_FLOAT64: cmp_f64(p->kind, pa, sa, pb, sb, y, inner); break;
        case GLINT_DTYPE_INT32: cmp_i32(p->kind, pa, sa, pb, sb, y, inner); break;
        case GLINT_DTYPE_INT64: cmp_i64(p->kind, pa, sa, pb, sb, y, inner); break;
        case GLINT_DTYPE_BOOL: cmp_u8(p->kind, pa, sa, pb, sb, y, inner); break;
        default:
            return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s: dtype %s", p->name,
                           glint_dtype_name(in[0].dtype));
        }
    }
    return GLINT_OK;
}

static int64_t cmp_flops(const void *params, const gl_tensor *in, int n_in, const gl_tensor *out,
                         int n_out) {
    return (int64_t)gl_numel(&out[0]);
}

#define CMP_OP(sym, NAME)                                                                    \
    const gl_op sym = {.domain = "", .name = NAME, .min_inputs = 2, .max_inputs = 2,          \
                       .min_outputs = 1, .max_outputs = 1, .parse = cmp_parse,               \
                       .infer = cmp_infer, .run = cmp_run, .flops = cmp_flops};

CMP_OP(gl_op_equal, "Equal")
CMP_OP(gl_op_less, "Less")
CMP_OP(gl_op_greater, "Greater")
CMP_OP(gl_op_less_or_equal, "LessOrEqual")
CMP_OP(gl_op_greater_or_equal, "GreaterOrEqual")
CMP_OP(gl_op_and, "And")
CMP_OP(gl_op_or, "Or")
CMP_OP(gl_op_xor, "Xor")

/* ---------------------------------------------------------------- Not */
static glint_status not_infer(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, gl_err *err) {
    glint_status s = gl_check_dtype("Not", "input 0", in[0].dtype, GL_DT_BOOL, err);
    out[0].dtype = GLINT_DTYPE_BOOL;
    out[0].shape = in[0].shape;
    return s;
}

static glint_status not_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                            int n_out, void *ws, gl_err *err) {
    const uint8_t *x = in[0].data;
    uint8_t *y = out[0].data;
    size_t n = gl_numel(&out[0]);
    for (size_t i = 0; i < n; i++) y[i] = x[i] == 0;
    return GLINT_OK;
}

const gl_op gl_op_not = {
    .domain = "", .name = "Not", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .infer = not_infer, .run = not_run,
};

/* ---------------------------------------------------------------- Where */
static glint_status where_infer(const void *params, const gl_tensor *in, int n_in,
                                gl_tensor *out, int n_out, gl_err *err) {
    glint_status s = gl_check_dtype("Where", "the condition", in[0].dtype, GL_DT_BOOL, err);
    if (!s) s = gl_check_dtype("Where", "input 1", in[1].dtype, GL_DT_ANY, err);
    if (!s) s = gl_check_same_dtype("Where", in, 1, 2, err);
    if (!s) s = gl_broadcast_shapes("Where", in, 3, &out[0].shape, err);
    out[0].dtype = in[1].dtype;
    return s;
}

#define WHERE_LOOP(T)                                                                        \
    do {                                                                                     \
        const T *x = px, *z = pz;                                                            \
        T *y = py;                                                                           \
        for (int64_t i = 0; i < inner; i++) y[i] = c[i * sc] ? x[i * sx] : z[i * sz];        \
    } while (0)

static glint_status where_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                              int n_out, void *ws, gl_err *err) {
    const gl_shape *shapes[3] = {&in[0].shape, &in[1].shape, &in[2].shape};
    gl_bcast bc;
    if (!gl_bcast_init(&bc, &out[0].shape, shapes, 3))
        return gl_fail(err, GLINT_ERR_INTERNAL, "Where: shapes do not broadcast");
    int64_t inner = bc.dims[bc.rank - 1];
    int64_t sc = bc.strides[0][bc.rank - 1], sx = bc.strides[1][bc.rank - 1];
    int64_t sz = bc.strides[2][bc.rank - 1];
    int64_t e = (int64_t)glint_dtype_size(out[0].dtype);
    for (int64_t r = 0; r < bc.rows; r++) {
        int64_t off[3];
        gl_bcast_row(&bc, r, off);
        const uint8_t *c = (const uint8_t *)in[0].data + off[0];
        const void *px = (const char *)in[1].data + off[1] * e;
        const void *pz = (const char *)in[2].data + off[2] * e;
        void *py = (char *)out[0].data + r * inner * e;
        switch (e) {
        case 1: WHERE_LOOP(uint8_t); break;
        case 2: WHERE_LOOP(uint16_t); break;
        case 4: WHERE_LOOP(uint32_t); break;
        case 8: WHERE_LOOP(uint64_t); break;
        default:
            return gl_fail(err, GLINT_ERR_UNSUPPORTED, "Where: dtype %s",
                           glint_dtype_name(out[0].dtype));
        }
    }
    return GLINT_OK;
}

const gl_op gl_op_where = {
    .domain = "", .name = "Where", .min_inputs = 3, .max_inputs = 3, .min_outputs = 1,
    .max_outputs = 1, .infer = where_infer, .run = where_run,
};
