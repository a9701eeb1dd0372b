/* Shared by the lowering files (cuda_lower.c, cuda_lower_ops.c,
 * cuda_lower_nn.c): the state of lowering one plan to kernel descriptors. */
#ifndef GL_CUDA_LOWER_H
#define GL_CUDA_LOWER_H

#include "backend/cuda/cuda_internal.h"

/* A conv epilogue operand read from further up its chain: tensor src
 * (per channel: at n * ld + off + c) times mul plus add (gk_conv.op_*).
 * src = -1: the operand as is. */
typedef struct gl_cuda_op_fold {
    int src;
    int ld, off;
    float mul, add;
} gl_cuda_op_fold;

struct gl_cuda_lower {
    gl_cuda_prepared *pp;
    const gl_plan *plan;
    const gl_graph *g;
    gk_store store;     /* how float tensors are stored (the engine's) */
    bool simple;        /* GLINT_CUDA_SIMPLE=1: no tensor cores, no folding, no tiling */
    bool no_mma;        /* GLINT_CUDA_NO_MMA=1: FP16 / BF16 tiled convs on the SIMT loop */
    int sm_count;       /* the GPU's multiprocessors (0: unknown) */
    int next_tensor;    /* next free lowered tensor (staging, tiled weights) */
    int *producer;      /* per plan tensor: step writing it, or -1 */
    int *readers;       /* per plan tensor: how many step inputs read it */
    bool *is_output;    /* per plan tensor: a graph output */
    bool *skip;         /* per step: folded into a later conv */
    int *fold_up;       /* per step: the Resize step folded into this conv, or -1 */
    int *fold_cat;      /* per step: the Concat step folded into this conv, or -1 */
    int *fold_cat_up;   /* per step, 2 each: the Resize folded into that Concat's input
                         * 0 / 1 (a 2x nearest upsample, tiled conv only), or -1 */
    gl_cuda_op_fold *fold_op; /* per step, GL_MAX_EPILOGUE each: epilogue operands
                               * read further up their producer chain */
    int *fold_q;        /* per QConv step: the QuantizeLinear making its int8 input,
                         * whose float input the conv quantises as it loads it, or -1 */
};

/* Whether step d is a DequantizeLinear that undoes QuantizeLinear step q
 * (per tensor, of a float tensor): it reads q's codes with the same
 * constant scale and zero point, as quantisation tools export a quantised
 * tensor. It then runs as one kernel from q's float input (GKU_QDQ), and q
 * not at all when nothing else reads its codes (cuda_lower_nn.c). */
bool gl_cuda_dq_mirrors(const gl_cuda_lower *L, int d, int q);

/* The constant scale and zero point of per-tensor QuantizeLinear step q
 * that step si applies, the zero point as a signed code (a uint8 one
 * shifted by -128, as the kernels take it); an error naming step si when
 * either is not a constant. */
glint_status gl_cuda_quantizer_params(gl_cuda_lower *L, int si, int q, float *scale, int *zp,
                                      gl_err *err);

/* Appends a zeroed descriptor for node `node`; NULL on allocation failure. */
gk_desc *gl_cuda_add_desc(gl_cuda_lower *L, gk_kind kind, int node, gl_err *err);

/* A lowered constant for plan tensor w's device copy in the tiled conv's
 * layout (the engine's, shared by every plan), or -1 when w has none. */
int gl_cuda_tile_weight(gl_cuda_lower *L, int w);

/* A constant made by the lowering (a QConv's weights in the tiled layout,
 * its per-channel factors): numel elements of dtype, uploaded as they are,
 * the host copy owned by the prepared plan. Returns the lowered tensor and
 * sets *host to its zeroed host memory, or -1 (err set). */
int gl_cuda_lowered_const(gl_cuda_lower *L, gl_dtype dtype, int64_t numel, void **host,
                          gl_err *err);

/* Fails with "CUDA backend: node 12 'X' (Einsum) <why>". */
glint_status gl_cuda_unsupported(gl_cuda_lower *L, int si, gl_err *err, const char *why);

/* Conv family (cuda_lower_nn.c). */
glint_status gl_cuda_lower_conv(gl_cuda_lower *L, int si, gl_err *err);
glint_status gl_cuda_lower_convt(gl_cuda_lower *L, int si, gl_err *err);
glint_status gl_cuda_lower_resize(gl_cuda_lower *L, int si, gl_err *err);
glint_status gl_cuda_lower_norm(gl_cuda_lower *L, int si, gl_err *err);
glint_status gl_cuda_lower_gemm(gl_cuda_lower *L, int si, gl_err *err);
/* Decides which Resize / Concat producers are folded into convs. */
void gl_cuda_plan_folds(gl_cuda_lower *L);
/* Marks the activations the tiled convs pass among themselves NHWC
 * (gk_conv.x_nhwc, y_nhwc), once every descriptor and io is known
 * (cuda_lower_layout.c). */
glint_status gl_cuda_plan_layouts(gl_cuda_lower *L, gl_err *err);

/* Slice step si as a strided read of its input: first element and the
 * input stride of each output axis (cuda_lower_ops.c). */
glint_status gl_cuda_slice_geom(gl_cuda_lower *L, int si, int64_t *base,
                                int64_t stride[GL_MAX_RANK], gl_err *err);

/* Helpers on plan tensors. */
static inline const gl_plan_tensor *gl_cuda_pt(const gl_cuda_lower *L, int id) {
    return &L->plan->tensors[id];
}
/* True when plan tensor id is float32 (stored in the storage type). */
static inline bool gl_cuda_is_float(const gl_cuda_lower *L, int id) {
    return id >= 0 && L->plan->tensors[id].dtype == GLINT_DTYPE_FLOAT32;
}
/* Reads element i of a constant plan tensor as int64 / float (any numeric
 * dtype); false when the tensor is not a constant. */
bool gl_cuda_const_i64(const gl_cuda_lower *L, int id, int64_t i, int64_t *out);
bool gl_cuda_const_f32(const gl_cuda_lower *L, int id, int64_t i, float *out);

#endif
