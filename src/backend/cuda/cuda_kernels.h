/* Kernel descriptors of the CUDA backend: plain C structs filled by the
 * lowering (cuda_lower*.c) and launched by cuda_launch.cu. Shared between C
 * and CUDA, so no CUDA types appear here except through void pointers.
 *
 * Layout is NCHW (the plan's layout), so every kernel can be checked against
 * the CPU reference element for element, except the activations that the
 * tiled convs pass among themselves: those are NHWC (gk_conv.x_nhwc,
 * y_nhwc; cuda_lower_layout.c says which). Float tensors are stored in the
 * engine's storage type (gk_store): float, half or bfloat16; arithmetic and
 * accumulation are FP32 in every case. */
#ifndef GL_CUDA_KERNELS_H
#define GL_CUDA_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops/nn_params.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GK_MAX_ARGS 32
#define GK_MAX_RANK 8

/* How float tensors are stored on the device, one per engine (its
 * precision). The kernels are templates over the storage type and the
 * launchers pick the instance from this value (gk_by_store). */
typedef enum gk_store {
    GK_STORE_F32,   /* float */
    GK_STORE_F16,   /* __half */
    GK_STORE_BF16   /* __nv_bfloat16: needs compute capability 8.0 (tensor cores, conversions) */
} gk_store;

typedef enum gk_kind {
    GK_COPY,          /* bytes: dst = src (any dtype) */
    GK_HOST_IN,       /* a graph input from page-locked host memory to its tensor (gk_host_io) */
    GK_HOST_OUT,      /* a graph output from its tensor to page-locked host memory */
    GK_CONV,          /* Conv / glint::FusedConv, NCHW, direct */
    GK_CONV_WMMA,     /* same semantics, FP16 / BF16 tensor-core implicit GEMM */
    GK_CONV_TILE,     /* same semantics, tiled through shared memory (1x1, 3x3) */
    GK_CONVT,         /* ConvTranspose, NCHW, gather form */
    GK_UNARY,
    GK_BINARY,        /* broadcasting */
    GK_RESIZE,        /* 2-D nearest / linear on the two last axes */
    GK_CONCAT_PART,   /* one input of a Concat copied into its slot */
    GK_SLICE,         /* strided gather (Slice, Transpose share it) */
    GK_GEMM,          /* Gemm / MatMul, row-major, batched */
    GK_GAP,           /* GlobalAveragePool */
    GK_NORM,          /* Instance / Group normalization */
    GK_PAD,
    GK_BATCHNORM,
    GK_GEMM_GROUP,    /* several Gemms sharing A, one launch (cuda_lower.c) */
    GK_CONV_MMA,      /* GK_CONV_TILE's blocks on FP16 / BF16 tensor cores (cuda_conv_mma.cuh) */
    GK_CONV_IMMA      /* a QConv (gk_conv.quant) on INT8 tensor cores (cuda_conv_imma.cuh) */
} gk_kind;

typedef enum gk_unary_op {
    GKU_RELU, GKU_LEAKY_RELU, GKU_SIGMOID, GKU_TANH, GKU_CLIP, GKU_ERF, GKU_EXP,
    GKU_NEG, GKU_ABS, GKU_SQRT, GKU_SILU, GKU_GELU, GKU_ELU, GKU_SOFTPLUS,
    GKU_HARD_SIGMOID, GKU_RECIPROCAL, GKU_LOG,
    GKU_QDQ /* QuantizeLinear then DequantizeLinear (gk_unary) */
} gk_unary_op;

typedef enum gk_binary_op { GKB_ADD, GKB_SUB, GKB_MUL, GKB_DIV, GKB_MAX, GKB_MIN, GKB_POW } gk_binary_op;

/* Conv geometry, 2-D (a 1-D conv has h = oh = kh = 1). args: 0 X, 1 W,
 * 2 B or -1, 3.. epilogue operands at their step-input index, output last
 * (out_arg). Folded input addressing: when up == 2 the conv reads
 * X[c][iy/2][ix/2] of an (h/2)×(w/2) tensor (a nearest 2x upsample); when
 * split_arg >= 0, channels >= c_split come from args[split_arg] (a concat),
 * upsampled likewise when up2 == 2 (the direct kernel needs up2 == up with
 * a concat: it shifts both parts alike). */
typedef struct gk_conv {
    int n, c_in, h, w, c_out, group, oh, ow;
    int kh, kw, sh, sw, dh, dw, ph, pw;
    int up;                 /* 1, or 2 for a folded nearest 2x upsample of X */
    int up2;                /* the same for args[split_arg] */
    int split_arg;          /* -1, or the arg holding channels >= c_split */
    int c_split;
    /* GK_CONV_TILE / GK_CONV_MMA: output channels per block and per thread,
     * and how many thread groups share a chunk's input channels (tile_pick
     * in cuda_lower_nn.c). */
    int tile_mt, tile_pm, tile_ksplit;
    int n_epi;
    gl_epi_step epi[GL_MAX_EPILOGUE]; /* operand = arg index */
    /* Per epilogue step: the operand is read times op_mul plus op_add, a
     * per-channel one at op_off + c, per sample and channel at
     * n * op_ld + op_off + c (op_ld 0: c_out; op_mul 0: 1). Lets a FiLM
     * epilogue read its scale and shift straight from the projection's
     * [N, K] output, the Slice, "+ 1" and scalings folded (cuda_lower_nn.c). */
    int op_ld[GL_MAX_EPILOGUE], op_off[GL_MAX_EPILOGUE];
    float op_mul[GL_MAX_EPILOGUE], op_add[GL_MAX_EPILOGUE];
    /* A glint::QConv (GK_CONV_TILE or GK_CONV_IMMA, quant = 1): X is the
     * float tensor its QuantizeLinear reads, quantised while loading,
     * q = clamp(round_half_even(x / q_scale) + q_zp, -128, 127) (NaN: q_zp),
     * and the padding is the code x_zp; codes are signed (a uint8 tensor's
     * shifted by -128, zero points likewise). W (args[1]) holds int8 codes
     * in the tiled layout; args[qaux_arg] holds per output channel (mp
     * entries each) the float x_scale * w_scale[m], then the int32
     * x_zp * sum of the channel's codes, so that
     * y = (acc - corr[m]) * dq[m] + B[m], acc = sum of code * w. */
    int quant;
    float q_scale, q_inv;   /* q_inv = 1 / q_scale (gk_quantize_n) */
    int q_zp, x_zp;
    int qaux_arg;
    int out_arg;
    /* The tiled convs (GK_CONV_TILE, _MMA, _IMMA): X (and args[split_arg])
     * are stored NHWC, channels innermost (x_nhwc), and so is the output
     * (y_nhwc): a tensor-core conv then fills its channel-innermost patch
     * straight from memory, 8 channels of a pixel per 16-byte read,
     * upsampled or not (cuda_lower_layout.c). */
    int x_nhwc, y_nhwc;
    /* INT8 activations in memory (cuda_lower_layout.c), in half-storage
     * engines: a tensor that only QConvs read holds int8
     * codes, NHWC, instead of halves; one variant per distinct quantisation
     * among its readers (at most two, the bytes of its half storage), the
     * k-th at byte k * numel. y_codes: how many variants this conv's
     * epilogue writes, variant k as QuantizeLinear(y, y_scale[k],
     * y_zp[k]) computes it from the float result. x_codes (a QConv): X
     * and the split part are such codes, already this conv's own
     * quantisation (q_scale, q_zp), variant x_var and x2_var of each. */
    int y_codes;
    float y_scale[2], y_inv[2];
    int y_zp[2];
    int x_codes, x_var, x2_var;
} gk_conv;

typedef struct gk_convt {
    int n, c_in, h, w, c_out, group, oh, ow;
    int kh, kw, sh, sw, dh, dw, ph, pw;
    int has_bias;
} gk_convt;

/* GKU_QDQ: a per-tensor QuantizeLinear and the DequantizeLinear that undoes
 * it (as quantisation tools export a quantised tensor), in one kernel:
 * scale alpha, its reciprocal beta, the zero point zp as a signed code
 * (a uint8 one shifted by -128, as gk_conv's). */
typedef struct gk_unary {
    int op;
    float alpha, beta;
    int zp;
    int64_t count;
} gk_unary;

/* Output of rank `rank` with dims out[]; per input the element strides
 * (0 on broadcast axes). */
typedef struct gk_binary {
    int op, rank;
    int64_t count;
    int64_t out[GK_MAX_RANK];
    int64_t sa[GK_MAX_RANK], sb[GK_MAX_RANK];
} gk_binary;

/* Coordinates are computed in double with the reference's formulas
 * (src/ops/op_resize.c), so nearest picks and linear weights agree with it
 * exactly, ties included (cuda_resize_map.h holds the index math). The
 * leading axes keep their size; lead_shift = 1 when their transform reads
 * index min(x + 1, len - 1) (tf_half_pixel_for_nn with nearest ceil or
 * round_prefer_ceil), 0 when it is the identity. */
typedef struct gk_resize {
    int64_t nc;               /* product of the leading axes */
    int h, w, oh, ow;
    int linear;
    int coord;                /* gl_resize_coord */
    int nearest;              /* gl_resize_nearest */
    double scale_h, scale_w;  /* what the transform divides by (gl_resize_resolve) */
    int lead_shift;
    int lead_rank;            /* rank - 2 */
    int64_t lead[GK_MAX_RANK];
} gk_resize;

/* Copies src (outer × inner_src) into dst rows at column offset. */
typedef struct gk_concat_part {
    int64_t outer, inner_src, inner_dst, offset;
    int elem_bytes;
} gk_concat_part;

/* out[i] = in[base + sum_d idx_d(i) * stride_d]; covers Slice and Transpose. */
typedef struct gk_slice {
    int rank, elem_bytes;
    int64_t count, base;
    int64_t out[GK_MAX_RANK];
    int64_t stride[GK_MAX_RANK];
} gk_slice;

/* C[b] (m×n) = alpha · op(A[b]) op(B[b]) + beta · bias (broadcast by
 * element strides bias_sm, bias_sn). Batch strides 0 broadcast. */
typedef struct gk_gemm {
    int m, n, k, batch;
    int trans_a, trans_b;
    int64_t lda, ldb;           /* row strides of A and B as stored */
    int64_t stride_a, stride_b, stride_c;
    float alpha, beta;
    int has_bias;
    int64_t bias_sm, bias_sn;
} gk_gemm;

/* Up to GK_GEMM_GROUP_MAX Gemms of one A (batch 1): args 0 A, then per
 * Gemm i: 1 + 3i B, 2 + 3i bias or -1, 3 + 3i C. */
#define GK_GEMM_GROUP_MAX 8
typedef struct gk_gemm_group {
    int count;
    gk_gemm sub[GK_GEMM_GROUP_MAX];
} gk_gemm_group;

typedef struct gk_gap {
    int64_t rows, plane;
} gk_gap;

/* Normalizes each of n × groups groups of `group_size` contiguous elements
 * (channels_per_group × plane), then y = x̂ · scale[c] + bias[c]. */
typedef struct gk_norm {
    int64_t n, c, plane;
    int groups;
    float eps;
    int per_group_affine;       /* scale/bias have `groups` entries */
} gk_norm;

typedef struct gk_pad {
    int rank, mode;             /* 0 constant, 1 reflect, 2 edge */
    float value;
    int64_t count;
    int64_t in[GK_MAX_RANK], out[GK_MAX_RANK], begin[GK_MAX_RANK];
} gk_pad;

typedef struct gk_batchnorm {
    int64_t n, c, plane;
    float eps;
} gk_batchnorm;

typedef struct gk_copy {
    size_t bytes;
} gk_copy;

/* GK_HOST_IN / GK_HOST_OUT: up to GK_HOST_MAX graph inputs (or outputs)
 * moved between host memory the device can address (the caller's
 * page-locked buffer or the context's staging) and their tensors by one
 * kernel, not copy nodes: at batch 1 the two copy nodes and the casts of
 * an FP16 run cost ~10 us more than kernels reading and writing the host
 * memory themselves, and one kernel for both inputs waits for the bus
 * once (H200, bench/NOTES.md). Item i: args [2i] and [2i + 1], [-1,
 * tensor] in, [tensor, -1] out; the context puts the host end in the -1
 * slot, run by run. cast: float host data to or from the storage type
 * (FP16 / BF16 engines); else the bytes as they are. */
#define GK_HOST_MAX 4
typedef struct gk_host_io {
    int count;
    size_t bytes[GK_HOST_MAX];  /* on the host */
    int io[GK_HOST_MAX];        /* input or output index */
    int cast[GK_HOST_MAX];
} gk_host_io;

/* What the host I/O kernel takes, as one kernel parameter, so that the
 * context can re-point a captured graph's node at another host buffer
 * (cudaGraphExecKernelNodeSetParams); block row y moves item y. mode:
 * GK_HOST_BYTES (n bytes), or a cast of n floats to or from the storage
 * type. */
typedef enum gk_host_mode {
    GK_HOST_BYTES, GK_HOST_F32_TO_F16, GK_HOST_F32_TO_BF16, GK_HOST_F16_TO_F32,
    GK_HOST_BF16_TO_F32
} gk_host_mode;
typedef struct gk_host_item {
    const void *src;
    void *dst;
    int64_t n;
    int mode;
} gk_host_item;
typedef struct gk_host_copy {
    gk_host_item item[GK_HOST_MAX];
    int count;
} gk_host_copy;

typedef struct gk_desc {
    gk_kind kind;
    int node;                   /* graph node for messages, -1 for staging */
    int n_args;
    int args[GK_MAX_ARGS];      /* lowered tensor ids; -1 none; the output is last */
    union {
        gk_conv conv;
        gk_convt convt;
        gk_unary unary;
        gk_binary binary;
        gk_resize resize;
        gk_concat_part concat;
        gk_slice slice;
        gk_gemm gemm;
        gk_gemm_group gemm_group;
        gk_gap gap;
        gk_norm norm;
        gk_pad pad;
        gk_batchnorm bn;
        gk_copy copy;
        gk_host_io host;
    } u;
} gk_desc;

/* Launches one kernel on stream (a cudaStream_t) with args resolved to device
 * pointers, float tensors stored as `store` says. Returns a cudaError_t as
 * int (0 = success), checked with cudaGetLastError after the launch. */
int gk_launch(const gk_desc *d, void *const *ptrs, gk_store store, void *stream);

/* The host I/O kernel (its address as a captured graph's kernel node
 * names it), for the context to find and re-point those nodes. */
const void *gk_host_copy_kernel(void);

/* Whether the tensor-core conv applies to this geometry (FP16 and BF16 only). */
bool gk_conv_wmma_ok(const gk_conv *c);

/* The tiled conv (cuda_conv_tile_kernel.cuh): 8x8 output tiles; per chunk of input
 * channels, the input patch and the weights in shared memory (floats). */
#define GK_TILE_EDGE 8
/* Most thread groups a block of mt channels splits its input channels over:
 * 8 for the 1- and 4-channel blocks of batch-1 layers, 4 for 16, none wider (the
 * block stays within 512 threads and the wide blocks keep their registers). */
#define GK_TILE_KSPLIT_CAP(mt) ((mt) <= 4 ? 8 : (mt) <= 16 ? 4 : 1)
#define GK_TILE_PATCH(ks, s) ((GK_TILE_EDGE - 1) * (s) + (ks))
/* Input channels per chunk: each chunk costs a memory round trip and two
 * barriers, so the narrow blocks of latency-bound launches (batch 1) take
 * more channels at once, as far as 48 KB of shared memory allows. */
#define GK_TILE_CK(ks, s, mt)                                                      \
    ((ks) == 3 ? ((s) == 1 ? 16 : 8) * ((mt) <= 4 ? 4 : (mt) <= 16 ? 2 : 1)        \
               : ((s) == 1 ? 32 : 16) * ((mt) <= 16 ? 2 : 1))
/* Output channels of a row of the tiled layout of a conv's weights
 * ([c][tap][m], kept by the engine): c_out rounded up to 16. */
#define GK_TILE_MP(c_out) (((c_out) + 15) / 16 * 16)
#define GK_TILE_PAD4(n) (((n) + 3) / 4 * 4)
/* The INT8 tensor-core conv (cuda_conv_imma.cuh): chunks of 32 input
 * channels, or 16 for layers of no more (32 would pad half of k); a
 * chunk's k (taps x channels) padded to the m16n8k32 step. Its weights
 * lie as [chunk][c_out rounded to 16][k] codes. */
#define GK_IMMA_CK(c_in) ((c_in) <= 16 ? 16 : 32)
#define GK_IMMA_K(ks, ck) (((ks) * (ks) * (ck) + 31) / 32 * 32)
/* The input channels of a tiled-conv launch's chunks: min(CK, c_in). */
static inline int gk_tile_chunk(const gk_conv *c) {
    const int ck = GK_TILE_CK(c->kh, c->sh, c->tile_mt);
    return ck < c->c_in ? ck : c->c_in;
}
/* Dynamic shared memory of a tiled-conv launch: the patch and weights of a
 * chunk of gk_tile_chunk channels, or the partial sums of the thread
 * groups after the first, whichever is larger. */
static inline unsigned gk_tile_smem_bytes(const gk_conv *c) {
    const int ks = c->kh, s = c->sh, mt = c->tile_mt;
    const int ck = gk_tile_chunk(c);
    const int patch = GK_TILE_PATCH(ks, s) * GK_TILE_PATCH(ks, s);
    const int chunk = GK_TILE_PAD4(ck * patch) + ck * ks * ks * mt;
    const int sums = (c->tile_ksplit - 1) * GK_TILE_EDGE * GK_TILE_EDGE * mt;
    return (unsigned)(4 * (chunk > sums ? chunk : sums));
}

/* Group 1, square 1x1 or 3x3 kernels, equal strides of 1 or 2, no
 * dilation, every index in int32, the batch within the grid's z limit. */
static inline bool gk_conv_tile_ok(const gk_conv *c) {
    return c->group == 1 && c->kh == c->kw && (c->kh == 1 || c->kh == 3) && c->sh == c->sw &&
           (c->sh == 1 || c->sh == 2) && c->dh == 1 && c->dw == 1 && c->n <= 65535 &&
           (c->up == 1 || c->up == 2) && (c->up2 == 1 || c->up2 == 2) && c->h % c->up == 0 &&
           c->w % c->up == 0 && c->h % c->up2 == 0 && c->w % c->up2 == 0 &&
           (int64_t)c->c_out * c->c_in * c->kh * c->kw < ((int64_t)1 << 31);
}

#ifdef __cplusplus
}
#endif

#endif
