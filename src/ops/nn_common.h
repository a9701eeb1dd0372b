/* Helpers shared by the neural-network operator files (op_conv.c, op_pool.c,
 * op_resize.c, ...): dtype checks, window geometry shared by convolution
 * and pooling, and the convolution reference kernels that FusedConv reuses.
 * Attributes are read with graph.h's gl_attr_* (messages name the node).
 * Private to src/ops; backends use nn_params.h. */
#ifndef GL_NN_COMMON_H
#define GL_NN_COMMON_H

#include "ops/nn_params.h"
#include "ops/op.h"

/* GLINT_ERR_UNSUPPORTED "Op: input 'what' has dtype D; only float32 is supported". */
glint_status gl_nn_need_f32(const char *op, const char *what, const gl_tensor *t, gl_err *err);

/* Reads kernel_shape, strides, dilations, pads and auto_pad (the attributes
 * Conv, ConvTranspose and the pools share) into p, checking that every list
 * agrees on the number of spatial dims (at most GL_MAX_SPATIAL) and that
 * values are in range. Leaves group/transpose/output_* alone. */
glint_status gl_nn_parse_window(const gl_node *n, const char *op, gl_conv_params *p,
                                gl_err *err);

/* Output size and leading pad of one sliding-window dim (Conv, pools):
 * in, kernel k, stride s, dilation d, explicit pads pb/pe (NOTSET) or
 * auto_pad, ceil_mode (pools only). Fails when the output would be empty. */
glint_status gl_nn_window_dim(const char *op, int axis, int64_t in, int64_t k, int64_t s,
                              int64_t d, int64_t pb, int64_t pe, gl_auto_pad auto_pad,
                              bool ceil_mode, int64_t *out, int64_t *pad_begin, gl_err *err);

/* A resolved geometry right-aligned in 3 dims (missing leading dims are 1,
 * pad 0), so a reference kernel is one triple loop for 1-, 2- and 3-D and
 * its innermost loop runs over the input's last (contiguous) dim. Used by
 * the float references here and the int8 QConv accumulation. */
typedef struct gl_nn_dims3 {
    int64_t in[3], out[3], k[3], s[3], d[3], p[3];
} gl_nn_dims3;
void gl_nn_conv_dims3(const gl_conv_geom *g, gl_nn_dims3 *t);

/* Convolution reference kernels over a resolved geometry. b may be NULL.
 * Every element of y is written. */
void gl_nn_conv_ref(const gl_conv_geom *g, const float *x, const float *w, const float *b,
                    float *y);
void gl_nn_conv_transpose_ref(const gl_conv_geom *g, const float *x, const float *w,
                              const float *b, float *y);
/* 2 × multiply-adds of a resolved convolution (either direction). */
int64_t gl_nn_conv_flops(const gl_conv_geom *g, bool transpose);

/* Shared infer/run for Conv and FusedConv: checks dtypes and bias, resolves
 * the geometry, sets out (infer) — used by op_conv.c and op_fused_conv.c. */
glint_status gl_nn_conv_infer(const char *op, const gl_conv_params *p, const gl_tensor *in,
                              int n_in, gl_tensor *out, gl_conv_geom *geom, gl_err *err);

#endif
