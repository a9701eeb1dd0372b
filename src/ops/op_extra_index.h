/* Helpers shared by the index-driven extra operators (op_extra_gather.c,
 * op_extra_scatter.c): reading int32/int64 indices, range checks done before
 * any write, the GatherND/ScatterND geometry, and the scatter reductions.
 * Private to src/ops. */
#ifndef GL_OP_EXTRA_INDEX_H
#define GL_OP_EXTRA_INDEX_H

#include "ops/op_util.h"

/* Index i of an int32 or int64 tensor. */
static inline int64_t gl_idx_at(const gl_tensor *t, size_t i) {
    return t->dtype == GLINT_DTYPE_INT64 ? ((const int64_t *)t->data)[i]
                                         : ((const int32_t *)t->data)[i];
}
/* A checked index in [-d, d) to [0, d). */
static inline int64_t gl_idx_wrap(int64_t k, int64_t d) { return k < 0 ? k + d : k; }

/* GLINT_ERR_INVALID_ARGUMENT naming the first index outside [-d, d). */
glint_status gl_idx_check_all(const char *op, const gl_tensor *idx, int64_t d, gl_err *err);

/* GatherElements / ScatterElements: indices of the same rank as data, no
 * larger than data on every axis but `axis`. */
glint_status gl_idx_same_rank_within(const char *op, const gl_shape *x, const gl_shape *ix,
                                     int axis, gl_err *err);

/* GatherND / ScatterND: data rank r, indices rank q >= b + 1 with last dim m
 * in [1, r - b], the first b dims equal. GLINT_ERR_INVALID_MODEL otherwise. */
glint_status gl_idx_nd_geometry(const char *op, const gl_shape *x, const gl_shape *ix,
                                int64_t batch_dims, gl_err *err);

typedef struct gl_nd_geom {
    int m;                       /* index tuple length */
    int64_t tuples;              /* index tuples in all */
    int64_t per_batch;           /* tuples per batch (>= 1) */
    int64_t batch_stride;        /* data elements per batch */
    int64_t slice;               /* data elements each tuple addresses */
    int64_t dims[GL_MAX_RANK];   /* the m indexed dims of data */
    int64_t strides[GL_MAX_RANK];/* their element strides */
} gl_nd_geom;

/* Resolves the geometry (after gl_idx_nd_geometry passed) and checks every
 * index against its dim: GLINT_ERR_INVALID_ARGUMENT naming the first bad one. */
glint_status gl_idx_nd_resolve(const char *op, const gl_shape *x, const gl_tensor *idx,
                               int batch_dims, gl_nd_geom *g, gl_err *err);
/* Data element offset of the slice addressed by the tuple starting at index
 * element `start`, within batch `batch`. */
void gl_idx_nd_offset(const gl_nd_geom *g, const gl_tensor *idx, int64_t start, int64_t batch,
                      int64_t *off);

/* Scatter reductions (ScatterElements, ScatterND: opset 16 add/mul, 18
 * max/min). */
typedef enum gl_scatter_red {
    GL_SCATTER_NONE, GL_SCATTER_ADD, GL_SCATTER_MUL, GL_SCATTER_MAX, GL_SCATTER_MIN
} gl_scatter_red;

/* Reads the `reduction` attribute; modes beyond the node's opset or unknown
 * ones are GLINT_ERR_UNSUPPORTED naming the mode. */
glint_status gl_scatter_parse_reduction(const gl_graph *g, const gl_node *n,
                                        gl_scatter_red *red, gl_err *err);
/* dtypes a reduction is defined on here: every dtype for none (a copy),
 * float32/64 and int32/64 for the others. */
unsigned gl_scatter_dtypes(gl_scatter_red red);
/* dst[di] = dst[di] (red) src[si], count consecutive elements. */
void gl_scatter_apply(gl_scatter_red red, gl_dtype t, void *dst, size_t di, const void *src,
                      size_t si, size_t count);

#endif
