/* The operator interface. Each operator lives in one file (src/ops/op_*.c)
 * that defines a gl_op: how to validate and parse its attributes, how to
 * infer output types and shapes, and its reference kernel in portable C. The
 * reference kernels are the oracle every other path is tested against, and
 * the engine's CPU fallback for operators without a fast path.
 *
 * Adding an operator: docs/adding-an-op.md. */
#ifndef GL_OP_H
#define GL_OP_H

#include "common/common.h"
#include "model/graph.h"

/* Tensors passed to infer and run are gl_tensor views. An omitted optional
 * input has dtype GLINT_DTYPE_UNDEFINED and data NULL. In infer, data is
 * non-NULL when the input's value is known at plan time (a constant, or
 * computed only from constants and shapes); an operator that needs a value
 * at plan time (Reshape's shape, Resize's sizes) fails when it is NULL. */
static inline bool gl_in_present(const gl_tensor *in, int n_in, int i) {
    return i < n_in && in[i].dtype != GLINT_DTYPE_UNDEFINED;
}

typedef struct gl_op {
    const char *domain;     /* "" (ONNX) or "glint" (internal, made by passes) */
    const char *name;       /* op_type */
    int min_inputs, max_inputs;
    int min_outputs, max_outputs;

    /* Validates attributes (and opset-dependent forms) once at load, and
     * returns a parsed params blob allocated with g->alloc (NULL allowed).
     * Every unsupported mode is GLINT_ERR_UNSUPPORTED here, never later.
     * Optional: NULL means the op has no attributes. */
    glint_status (*parse)(const gl_graph *g, const gl_node *n, void **params, gl_err *err);
    /* Frees params; optional, default gl_free. */
    void (*free_params)(const glint_allocator *a, void *params);

    /* Output dtypes and shapes from the inputs. Required. */
    glint_status (*infer)(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                          int n_out, gl_err *err);

    /* Scratch bytes the reference kernel needs for these shapes; optional. */
    size_t (*workspace)(const void *params, const gl_tensor *in, int n_in, const gl_tensor *out,
                        int n_out);

    /* Reference kernel. Outputs are preallocated to the inferred shapes. It
     * must not allocate. Data-dependent faults (an index out of range) are
     * returned as errors, never undefined behaviour. Required. */
    glint_status (*run)(const void *params, const gl_tensor *in, int n_in, gl_tensor *out,
                        int n_out, void *workspace, gl_err *err);

    /* Floating-point operations (a multiply-add counts 2); optional. */
    int64_t (*flops)(const void *params, const gl_tensor *in, int n_in, const gl_tensor *out,
                     int n_out);
} gl_op;

/* The operator for (domain, op_type), or NULL. */
const gl_op *gl_op_find(const char *domain, const char *op_type);
/* Iterates the registered operators (for `glint info --ops` and docs). */
size_t gl_op_count(void);
const gl_op *gl_op_at(size_t i);

#endif
