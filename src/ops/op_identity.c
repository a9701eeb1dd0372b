/* Identity: out = in. The template for a new operator (docs/adding-an-op.md). */
#include <string.h>

#include "ops/op.h"

static glint_status identity_infer(const void *params, const gl_tensor *in, int n_in,
                                   gl_tensor *out, int n_out, gl_err *err) {
    out[0].dtype = in[0].dtype;
    out[0].shape = in[0].shape;
    return GLINT_OK;
}

static glint_status identity_run(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                                 int n_out, void *ws, gl_err *err) {
    size_t bytes;
    if (!gl_tensor_bytes(in[0].dtype, &in[0].shape, &bytes))
        return gl_fail(err, GLINT_ERR_INTERNAL, "Identity: bad tensor size");
    if (out[0].data != in[0].data) memmove(out[0].data, in[0].data, bytes);
    return GLINT_OK;
}

const gl_op gl_op_identity = {
    .domain = "",
    .name = "Identity",
    .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1,
    .infer = identity_infer,
    .run = identity_run,
};
