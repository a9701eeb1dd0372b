/* The CPU fast path for glint::QConv (INT8 convolution, NCHW) on CPUs with
 * AVX-512 VNNI and VBMI. The arithmetic is the reference's
 * (src/ops/quant_params.h): exact int32 accumulation, then the same float
 * operations in the same order, so outputs match the reference bit for bit.
 *
 * How: the input is first copied once into a zero-point-padded unsigned
 * buffer (int8 codes + 128, so that VPDPBUSD's unsigned operand holds it;
 * Σ(x+128)·w is corrected by 128·Σw afterwards). Then each output row is
 * computed 8 channels × 32 pixels (or 1 × 64) at a time with no im2col: for
 * every (input channel, kernel row, group of 4 kernel columns) one 64-byte
 * load and one VPERMB give 16 pixels × 4 taps, the 4 weights of each
 * channel are broadcast, and VPDPBUSD does 4 multiply-adds per lane. Kernel
 * widths are padded to a multiple of 4 taps with zero weights (3x3 does 4/3
 * of the work, and still runs at 2-3x the FP32 convs' rate: bench/NOTES.md).
 * The epilogue (rescale, bias, fused pointwise steps, requantisation) runs
 * on each tile as it leaves the registers. */
#ifndef GL_CPU_QCONV_FAST_H
#define GL_CPU_QCONV_FAST_H

#include "backend/cpu/threadpool.h"
#include "ops/quant_params.h"

/* Output channels per micro-tile: 8 (× 32 pixels), or 1 (× 64 pixels) for
 * convolutions with at most 4 output channels. */
enum { GL_QCONV_MR = 8 };

typedef struct gl_cpu_qconv {
    const gl_qconv_params *p;
    gl_conv_geom g;          /* 2-D */
    bool x_unsigned;         /* uint8 input (else int8, stored + 128) */
    uint8_t pad_value;       /* the zero point as stored in the padded buffer */
    int64_t kw4;             /* kernel columns rounded up to a multiple of 4 */
    int64_t hp, wp;          /* padded input plane */
    size_t plane_bytes;      /* hp * wp */
    int mr;                  /* channels per micro-tile: GL_QCONV_MR or 1 */
    const int8_t *packed_w;  /* [m block][c][ky][kx/4][mr][4] */
    const int32_t *w_sum;    /* [c_out]: Σ w over each output channel's taps */
    /* Output rows per 16-lane vector: 1, or for narrow outputs (≤ 8
     * columns) as many whole rows as fit, side by side. */
    int64_t rows_per_vec;
    /* VPERMB index: byte 4j+t ← r·stride_h·wp + c·stride_w + t·dilation_w
     * for lane j = r·out_w + c (r = 0 when rows_per_vec is 1: c = j) */
    uint8_t perm[64];
    bool epi_in_registers;   /* no transcendental epilogue step */
} gl_cpu_qconv;

/* Can this CPU run the fast path at all (AVX-512 F/BW/VNNI/VBMI)? */
bool gl_cpu_qconv_available(void);

/* Does the fast path handle this QConv geometry? (2-D, one group; 16
 * output pixels of a group of 4 taps must fit one 64-byte load.) */
bool gl_cpu_qconv_supported(const gl_conv_geom *g);

/* Bytes of the packed weights and per-channel sums for g. */
size_t gl_cpu_qconv_packed_bytes(const gl_conv_geom *g);
/* Packs W [M, C/g, kh, kw] int8 into dst (gl_cpu_qconv_packed_bytes, 64-byte
 * aligned): the weight tiles, then the int32 sums. */
void gl_cpu_qconv_pack_weights(const gl_conv_geom *g, const int8_t *w, void *dst);

/* Fills q from a checked geometry, the step's params and packed weights. */
void gl_cpu_qconv_init(gl_cpu_qconv *q, const gl_conv_geom *g, const gl_qconv_params *p,
                       bool x_unsigned, const void *packed);

/* Bytes of the buffer gl_cpu_qconv_run needs: the padded input and the
 * per-channel scales. */
size_t gl_cpu_qconv_buffer_bytes(const gl_cpu_qconv *q);

/* Runs the step: in = [X, W, B?, operands..., w_scale] as for the
 * reference op (W is ignored: the packed copy is used), out[0] = Y. buf
 * holds gl_cpu_qconv_buffer_bytes, 64-byte aligned. Allocates nothing. */
void gl_cpu_qconv_run(const gl_cpu_qconv *q, const gl_tensor *in, int n_in, gl_tensor *out,
                      gl_pool *pool, uint8_t *buf);

/* QuantizeLinear with one scale and zero point (float32 → int8 / uint8),
 * bit for bit as the reference. */
typedef struct gl_cpu_quantize {
    float scale;
    int32_t zero_point, qmin, qmax;
} gl_cpu_quantize;

void gl_cpu_quantize_run(const gl_cpu_quantize *q, const float *x, int64_t n, void *y,
                         gl_pool *pool);

/* ---- used by qconv_fast.c, implemented in qconv_x86.c */
typedef struct gl_qconv_row_args {
    const gl_cpu_qconv *q;
    const uint8_t *xp;       /* padded input of the sample */
    const float *bias;       /* [c_out] or NULL */
    const float *scale;      /* [c_out]: x_scale · w_scale[m], as the reference rounds it */
    const float *const *operands;
    void *y;                 /* output of the sample */
    int64_t n;               /* sample index (epilogue operands) */
} gl_qconv_row_args;

/* Computes output rows oy..oy + rows_per_vec - 1 of every channel of one
 * sample. */
void gl_qconv_row_avx512(const gl_qconv_row_args *a, int64_t oy);

bool gl_qconv_avx512_supported(void);
/* Quantises x[0..n) into the bytes y[0..n). */
void gl_quantize_avx512(const gl_cpu_quantize *q, const float *x, int64_t n, uint8_t *y);

#endif
