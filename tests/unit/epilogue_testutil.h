/* The fused-conv epilogue chains the CPU conv tests run (float conv and
 * INT8 conv against their reference kernels). Test code. */
#ifndef GLINT_EPILOGUE_TESTUTIL_H
#define GLINT_EPILOGUE_TESTUTIL_H

#include <stdlib.h>
#include <string.h>

#include "ops/nn_params.h"
#include "testlib.h"

/* Fills fp->epi with the chain of mode (≥ 0): a unary step, two binary
 * steps, a unary step, their kinds and broadcasts chosen from the mode so
 * that over the modes every kind and broadcast appears. Each binary step's
 * operand is a fresh uniform [-1, 1) float32 tensor shaped for its
 * broadcast against the output yd [N, C, H, W], appended to in[] at n_in
 * (its data in opnd[step], for the caller to free). Returns the new n_in. */
static inline int et_epilogue_chain(int mode, const int64_t yd[4], gl_fused_conv_params *fp,
                                    gl_tensor *in, int n_in, float *opnd[GL_MAX_EPILOGUE]) {
    static const gl_epi_kind unary[] = {GL_EPI_RELU, GL_EPI_LEAKY_RELU, GL_EPI_SIGMOID,
                                        GL_EPI_TANH, GL_EPI_SILU, GL_EPI_GELU, GL_EPI_CLIP};
    static const gl_epi_kind binary[] = {GL_EPI_MUL, GL_EPI_ADD, GL_EPI_SUB, GL_EPI_RSUB};
    static const gl_epi_bcast bcast[] = {GL_BCAST_SCALAR, GL_BCAST_CHANNEL,
                                         GL_BCAST_SAMPLE_CHANNEL, GL_BCAST_FULL};
    for (int s = 0; s < 4; s++) {
        gl_epi_step *e = &fp->epi[s];
        memset(e, 0, sizeof *e);
        e->operand = -1;
        if (s == 0 || s == 3) {
            e->kind = unary[(size_t)(mode + s * 3) % GL_ARRAY_LEN(unary)];
            e->alpha = e->kind == GL_EPI_CLIP ? -0.3f : 0.1f;
            e->beta = 0.4f;
            continue;
        }
        e->kind = binary[(size_t)(mode + s) % GL_ARRAY_LEN(binary)];
        e->bcast = bcast[(mode / 2 + s) % 4];
        gl_tensor t = {.dtype = GLINT_DTYPE_FLOAT32, .shape = {.rank = 1, .d = {1}}};
        switch (e->bcast) {
        case GL_BCAST_SCALAR: break;
        case GL_BCAST_CHANNEL: t.shape.d[0] = yd[1]; break;
        case GL_BCAST_SAMPLE_CHANNEL: t.shape = (gl_shape){2, {yd[0], yd[1]}}; break;
        case GL_BCAST_FULL: t.shape = (gl_shape){4, {yd[0], yd[1], yd[2], yd[3]}}; break;
        }
        const size_t count = (size_t)gl_shape_numel(&t.shape);
        opnd[s] = malloc(count * sizeof(float) + 4);
        tl_fill_uniform(opnd[s], count, -1, 1);
        t.data = opnd[s];
        e->operand = n_in;
        in[n_in++] = t;
    }
    fp->n_epi = 4;
    return n_in;
}

#endif
