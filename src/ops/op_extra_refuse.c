/* Operators glint knows and deliberately refuses, so that a model using them
 * is turned away at load with the reason rather than a bare "operator X is
 * not supported":
 *   NonZero — its output shape depends on the input values, and every plan
 *             fixes all shapes before running;
 *   Einsum  — a general tensor contraction language, outside the operator set.
 * parse always fails, so the node never reaches infer or run (the two below
 * exist only because the interface requires them, and fail the same way). */
#include <string.h>

#include "ops/op_util.h"

static const char *refusal_reason(const char *op_type) {
    if (strcmp(op_type, "NonZero") == 0)
        return "its output shape depends on the input values, which a plan cannot fix in "
               "advance";
    return "general tensor contractions are outside glint's operator set";
}

static glint_status refuse_parse(const gl_graph *g, const gl_node *n, void **params,
                                 gl_err *err) {
    return gl_fail(err, GLINT_ERR_UNSUPPORTED, "%s '%s' is not supported: %s", n->op_type,
                   n->name, refusal_reason(n->op_type));
}

static glint_status refuse_infer(const void *params, const gl_tensor *in, int n_in,
                                 gl_tensor *out, int n_out, gl_err *err) {
    return gl_fail(err, GLINT_ERR_UNSUPPORTED, "a refused operator reached planning");
}

static glint_status refuse_run(const void *params, const gl_tensor *in, int n_in,
                               gl_tensor *out, int n_out, void *ws, gl_err *err) {
    return gl_fail(err, GLINT_ERR_UNSUPPORTED, "a refused operator reached running");
}

const gl_op gl_op_non_zero = {
    .domain = "", .name = "NonZero", .min_inputs = 1, .max_inputs = 1, .min_outputs = 1,
    .max_outputs = 1, .parse = refuse_parse, .infer = refuse_infer, .run = refuse_run,
};
const gl_op gl_op_einsum = {
    .domain = "", .name = "Einsum", .min_inputs = 1, .max_inputs = 2147483647,
    .min_outputs = 1, .max_outputs = 1, .parse = refuse_parse, .infer = refuse_infer,
    .run = refuse_run,
};
