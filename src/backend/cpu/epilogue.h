/* The fused-conv epilogue applied to a row of outputs by the CPU fast paths. */
#ifndef GL_CPU_EPILOGUE_H
#define GL_CPU_EPILOGUE_H

#include "ops/nn_params.h"

/* Applies step e to y[0..len), the outputs of channel c of sample n at
 * spatial indices i0..i0+len of a `plane`-element output plane (c_total
 * channels): the same formulas as gl_epi_apply. operands[k] is the data of
 * step input k. */
void gl_cpu_epi_row(const gl_epi_step *e, float *y, int64_t len, const float *const *operands,
                    int64_t n, int64_t c, int64_t c_total, int64_t i0, int64_t plane);

/* Can every step of fc be applied in registers (no exp/tanh/erf)? NULL
 * (a plain conv) can. */
bool gl_cpu_epi_in_registers(const gl_fused_conv_params *fc);

/* The CPU can run gl_cpu_epi_tile_avx512 (AVX-512F). */
bool gl_cpu_epi_avx512_supported(void);

/* A tile of conv outputs src[rows][len] (row stride ld_src) of channels
 * c0.., spatial indices i0..i0+len of sample n, written to dst (row stride
 * ld_dst; may be src): bias (may be NULL), then the steps of fc (may be
 * NULL), in registers. fc must pass gl_cpu_epi_in_registers. */
void gl_cpu_epi_tile_avx512(const gl_fused_conv_params *fc, const float *bias,
                            const float *const *operands, int64_t n, int64_t c0, int64_t c_total,
                            int64_t plane, const float *src, int64_t ld_src, float *dst,
                            int64_t ld_dst, int64_t rows, int64_t i0, int64_t len);

#endif
