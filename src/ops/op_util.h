/* Helpers shared by operator files: dtype classes and dispatch, axis
 * normalisation, reading plan-time integer inputs, numpy broadcasting
 * iteration and strided copies. Nothing here allocates. */
#ifndef GL_OP_UTIL_H
#define GL_OP_UTIL_H

#include "ops/op.h"

/* ------------------------------------------------------------ dtypes
 * A dtype set is a bit mask of (1 << dtype); used to state what an operator
 * accepts and to produce one uniform error when it gets something else. */
#define GL_DT(t) (1u << (unsigned)(t))
#define GL_DT_F32 GL_DT(GLINT_DTYPE_FLOAT32)
#define GL_DT_FLOATS (GL_DT(GLINT_DTYPE_FLOAT32) | GL_DT(GLINT_DTYPE_FLOAT64))
#define GL_DT_INTS (GL_DT(GLINT_DTYPE_INT32) | GL_DT(GLINT_DTYPE_INT64))
#define GL_DT_NUM (GL_DT_FLOATS | GL_DT_INTS)
#define GL_DT_BOOL GL_DT(GLINT_DTYPE_BOOL)
/* Every dtype whose elements the data-movement ops (Reshape, Gather, Slice,
 * Concat, Transpose…) can copy: they only need the element size. */
#define GL_DT_ANY                                                                          \
    (GL_DT_NUM | GL_DT_BOOL | GL_DT(GLINT_DTYPE_FLOAT16) | GL_DT(GLINT_DTYPE_BFLOAT16) |   \
     GL_DT(GLINT_DTYPE_UINT8) | GL_DT(GLINT_DTYPE_INT8) | GL_DT(GLINT_DTYPE_UINT16) |      \
     GL_DT(GLINT_DTYPE_INT16) | GL_DT(GLINT_DTYPE_UINT32) | GL_DT(GLINT_DTYPE_UINT64))

static inline bool gl_dt_in(gl_dtype t, unsigned set) {
    return (unsigned)t < 32 && (set & GL_DT(t)) != 0;
}

/* GLINT_ERR_UNSUPPORTED "Op: input 1 has dtype uint16, which is not
 * supported (expected float32, int64)" unless t is in set. */
glint_status gl_check_dtype(const char *op, const char *what, gl_dtype t, unsigned set,
                            gl_err *err);
/* GLINT_ERR_INVALID_MODEL unless in[i] and in[j] share a dtype. */
glint_status gl_check_same_dtype(const char *op, const gl_tensor *in, int i, int j, gl_err *err);

/* The numeric dtypes that arithmetic kernels are generated for:
 * X(dtype enum, C type, suffix). */
#define GL_FOR_NUM_TYPES(X)                                                                \
    X(GLINT_DTYPE_FLOAT32, float, f32)                                                     \
    X(GLINT_DTYPE_FLOAT64, double, f64)                                                    \
    X(GLINT_DTYPE_INT32, int32_t, i32)                                                     \
    X(GLINT_DTYPE_INT64, int64_t, i64)

/* Element i of a buffer of any supported dtype converted to double / int64,
 * and stored back (with C conversion rules; float16 and bfloat16 through
 * float). Slow but general: for scalars and plan-time values, not hot loops. */
double gl_load_f64(gl_dtype t, const void *data, size_t i);
void gl_store_f64(gl_dtype t, void *data, size_t i, double v);

/* ------------------------------------------------------------ params */
/* Zeroed params blob of size bytes from the graph's allocator
 * (GLINT_ERR_OUT_OF_MEMORY naming the node when it fails). */
glint_status gl_params_alloc(const gl_graph *g, const gl_node *n, size_t size, void **out,
                             gl_err *err);
/* numel of a tensor as size_t (0 for a negative / unknown count). */
static inline size_t gl_numel(const gl_tensor *t) {
    int64_t n = gl_shape_numel(&t->shape);
    return n > 0 ? (size_t)n : 0;
}

/* ------------------------------------------------------------ axes */
/* axis in [-rank, rank) to [0, rank); else GLINT_ERR_INVALID_MODEL naming
 * op and axis. */
glint_status gl_axis_norm(const char *op, int64_t axis, int rank, int *out, gl_err *err);
/* A list of axes to a bit mask (bit a set for axis a); duplicates and out of
 * range axes are GLINT_ERR_INVALID_MODEL. */
glint_status gl_axes_mask(const char *op, const int64_t *axes, int n, int rank, uint32_t *mask,
                          gl_err *err);

/* Row-major element strides of a shape (strides[rank-1] = 1). */
void gl_shape_strides(const gl_shape *s, int64_t *strides);

/* ------------------------------------------------------------ plan-time values */
/* Reads a 0-D or 1-D int32/int64 tensor into out[max]. The value must be
 * known (t->data non-NULL): "Reshape: the shape input must be known when
 * planning". what names the input ("the shape input"). */
glint_status gl_read_ints(const char *op, const char *what, const gl_tensor *t, int64_t *out,
                          int max, int *count, gl_err *err);

/* ------------------------------------------------------------ broadcasting
 * Numpy broadcasting of up to GL_BCAST_MAX_IN inputs against an output
 * shape. Adjacent dimensions that every operand treats alike are merged, so
 * a same-shape operation is one row and a per-channel one is a few long
 * rows. Iterate rows with gl_bcast_row: each row has dims[rank-1] elements
 * and each input advances by its inner stride (0 or 1) along it. */
#define GL_BCAST_MAX_IN 3

typedef struct gl_bcast {
    int rank;      /* merged rank, >= 1 */
    int n_in;
    int64_t dims[GL_MAX_RANK];
    int64_t strides[GL_BCAST_MAX_IN][GL_MAX_RANK]; /* elements; 0 where broadcast */
    int64_t rows;  /* numel / dims[rank-1] (0 when empty) */
} gl_bcast;

/* false if some input cannot broadcast to out (or too many inputs). */
bool gl_bcast_init(gl_bcast *b, const gl_shape *out, const gl_shape *const *ins, int n_in);
/* Element offset of each input at the start of row r (0 <= r < rows). */
void gl_bcast_row(const gl_bcast *b, int64_t r, int64_t *offsets);

/* Output shape of a multi-input broadcast (Where, Sum, Max…), failing with
 * GLINT_ERR_INVALID_MODEL naming both shapes. */
glint_status gl_broadcast_shapes(const char *op, const gl_tensor *in, int n_in, gl_shape *out,
                                 gl_err *err);

/* ------------------------------------------------------------ strided copy
 * out (dense, row-major over dims[rank]) = in viewed with element strides
 * (which may be 0 or negative) from element offset 0 of in_base. Covers
 * Transpose, Slice, Expand and Tile. rank may be up to 2*GL_MAX_RANK. */
#define GL_COPY_MAX_RANK (2 * GL_MAX_RANK)
void gl_strided_copy(size_t elem, int rank, const int64_t *dims, const int64_t *strides,
                     const void *in_base, void *out);

#endif
