/* Parsed parameters of the neural-network operators that more than one
 * backend implements (CPU reference, CPU fast path, CUDA). Parsing lives in
 * the op files; these structs are the contract between them. */
#ifndef GL_NN_PARAMS_H
#define GL_NN_PARAMS_H

#include "common/common.h"

#define GL_MAX_SPATIAL 3

typedef enum gl_auto_pad {
    GL_AUTO_PAD_NOTSET = 0,
    GL_AUTO_PAD_SAME_UPPER,
    GL_AUTO_PAD_SAME_LOWER,
    GL_AUTO_PAD_VALID
} gl_auto_pad;

/* Conv and ConvTranspose attributes as written in the model. */
typedef struct gl_conv_params {
    bool transpose;                   /* ConvTranspose */
    int64_t group;
    int n_kernel;                     /* kernel_shape length, 0 = from weights */
    int64_t kernel[GL_MAX_SPATIAL];
    int64_t stride[GL_MAX_SPATIAL];   /* default 1 */
    int64_t dilation[GL_MAX_SPATIAL]; /* default 1 */
    int64_t pads[2 * GL_MAX_SPATIAL]; /* begins then ends, as in ONNX; default 0 */
    gl_auto_pad auto_pad;
    int64_t output_padding[GL_MAX_SPATIAL]; /* ConvTranspose */
    int n_output_shape;                      /* ConvTranspose output_shape, 0 = none */
    int64_t output_shape[GL_MAX_SPATIAL];
    int n_attr_spatial;                      /* spatial rank any list attribute implies,
                                                0 = none did (checked against the input) */
} gl_conv_params;

/* Concrete geometry of one convolution for given input and weight shapes.
 * Index i < spatial is the input's spatial dim 2+i in order (a 1-D conv uses
 * index 0 only); entries from `spatial` on are 1 (pads 0). */
typedef struct gl_conv_geom {
    int spatial;                      /* 1, 2 or 3 */
    int64_t n, c_in, c_out, group;
    int64_t in[GL_MAX_SPATIAL];       /* input spatial size */
    int64_t out[GL_MAX_SPATIAL];      /* output spatial size */
    int64_t k[GL_MAX_SPATIAL];
    int64_t stride[GL_MAX_SPATIAL];
    int64_t dilation[GL_MAX_SPATIAL];
    int64_t pad_begin[GL_MAX_SPATIAL];/* Conv: left/top padding; ConvTranspose: the cropped pad */
} gl_conv_geom;

/* Resolves attributes (auto_pad, output_shape) against shapes x [N,C,...]
 * and w (Conv [M,C/g,k...]; ConvTranspose [C,M/g,k...]). Errors name the
 * mismatch. Implemented in op_conv.c. */
glint_status gl_conv_resolve(const gl_conv_params *p, const gl_shape *x, const gl_shape *w,
                             gl_conv_geom *g, gl_err *err);

/* ---------------------------------------------------------- fused conv
 * "glint::FusedConv": a Conv (never ConvTranspose) followed by a chain of
 * pointwise steps applied to each output element in order, made by the
 * plan's fusion pass. Step inputs are [X, W, B or omitted, operands...]. */
typedef enum gl_epi_kind {
    GL_EPI_RELU,
    GL_EPI_LEAKY_RELU,   /* alpha */
    GL_EPI_SIGMOID,
    GL_EPI_TANH,
    GL_EPI_SILU,         /* x * sigmoid(x) */
    GL_EPI_GELU,         /* x * 0.5 * (1 + erf(x / sqrt 2)) */
    GL_EPI_CLIP,         /* alpha = min, beta = max */
    GL_EPI_MUL,          /* y * operand */
    GL_EPI_ADD,          /* y + operand */
    GL_EPI_SUB,          /* y - operand */
    GL_EPI_RSUB          /* operand - y */
} gl_epi_kind;

/* How an operand broadcasts against the conv output [N,C,H,W]. */
typedef enum gl_epi_bcast {
    GL_BCAST_SCALAR,         /* one value */
    GL_BCAST_CHANNEL,        /* [C] per output channel */
    GL_BCAST_SAMPLE_CHANNEL, /* [N,C] per sample and channel (FiLM) */
    GL_BCAST_FULL            /* [N,C,H,W] element-wise (residual) */
} gl_epi_bcast;

#define GL_MAX_EPILOGUE 8

typedef struct gl_epi_step {
    gl_epi_kind kind;
    float alpha, beta;
    int operand;             /* index into the step's inputs, or -1 */
    gl_epi_bcast bcast;
} gl_epi_step;

typedef struct gl_fused_conv_params {
    gl_conv_params conv;
    int n_epi;
    gl_epi_step epi[GL_MAX_EPILOGUE];
} gl_fused_conv_params;

/* Applies epilogue step e to value y of output element (n, c, spatial index
 * i of `plane` elements per channel) — the reference semantics every backend
 * follows. operands[k] is the data of step input k (NULL if not an operand). */
float gl_epi_apply(const gl_epi_step *e, float y, const float *const *operands, int64_t n,
                   int64_t c, int64_t c_total, int64_t i, int64_t plane);

/* ---------------------------------------------------------- resize */
typedef enum gl_resize_mode { GL_RESIZE_NEAREST, GL_RESIZE_LINEAR } gl_resize_mode;
typedef enum gl_resize_coord {
    GL_COORD_HALF_PIXEL,
    GL_COORD_ASYMMETRIC,
    GL_COORD_ALIGN_CORNERS,
    GL_COORD_PYTORCH_HALF_PIXEL,
    GL_COORD_TF_HALF_PIXEL_FOR_NN
} gl_resize_coord;
typedef enum gl_resize_nearest {
    GL_NEAREST_ROUND_PREFER_FLOOR,
    GL_NEAREST_ROUND_PREFER_CEIL,
    GL_NEAREST_FLOOR,
    GL_NEAREST_CEIL
} gl_resize_nearest;

typedef struct gl_resize_params {
    bool upsample;           /* the Upsample op (scales only, asymmetric) */
    gl_resize_mode mode;
    gl_resize_coord coord;
    gl_resize_nearest nearest;
    float extrapolation_value;
    bool exclude_outside;
    int n_axes;              /* Resize-18 'axes' (normalised to >= 0 in resolve); 0 = all */
    int64_t axes[GL_MAX_RANK];
} gl_resize_params;

/* Output shape and per-axis scale of a Resize/Upsample step from its inputs
 * (scales or sizes must be known: data non-NULL). scale[i] is the value the
 * coordinate transform divides by: the given scale, or out/in for sizes;
 * 1 on axes not resized. Implemented in op_resize.c. */
glint_status gl_resize_resolve(const gl_resize_params *p, const gl_tensor *in, int n_in,
                               gl_shape *out, double scale[GL_MAX_RANK], gl_err *err);

/* The reference's taps of output index x on one axis (scale from
 * gl_resize_resolve): source indices i0, i1 and the weight of i1 (0 for
 * nearest, where i1 == i0). Every axis is transformed, scale 1 included:
 * under tf_half_pixel_for_nn a scale-1 axis maps x to x + 0.5, which
 * nearest ceil / round_prefer_ceil reads at x + 1 and linear blends.
 * Implemented in op_resize.c; backends check their lowering with it. */
void gl_resize_tap(const gl_resize_params *p, int64_t x, double scale, int64_t len_in,
                   int64_t len_out, int64_t *i0, int64_t *i1, double *w1);

#endif
