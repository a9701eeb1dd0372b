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

#endif
