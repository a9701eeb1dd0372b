/* The operator table. Each list header names its ops with GL_OP(symbol); the
 * symbol is the gl_op defined in that op's file. */
#include <string.h>

#include "ops/op.h"

#define GL_OP(sym) extern const gl_op sym;
#include "ops/op_list_basic.h"
#include "ops/op_list_nn.h"
#include "ops/op_list_quant.h"
#include "ops/op_list_extra.h"
#undef GL_OP

static const gl_op *const g_ops[] = {
#define GL_OP(sym) &sym,
#include "ops/op_list_basic.h"
#include "ops/op_list_nn.h"
#include "ops/op_list_quant.h"
#include "ops/op_list_extra.h"
#undef GL_OP
};

const gl_op *gl_op_find(const char *domain, const char *op_type) {
    if (!domain) domain = "";
    if (strcmp(domain, "ai.onnx") == 0) domain = "";
    for (size_t i = 0; i < GL_ARRAY_LEN(g_ops); i++)
        if (strcmp(g_ops[i]->name, op_type) == 0 && strcmp(g_ops[i]->domain, domain) == 0)
            return g_ops[i];
    return NULL;
}

size_t gl_op_count(void) { return GL_ARRAY_LEN(g_ops); }
const gl_op *gl_op_at(size_t i) { return i < GL_ARRAY_LEN(g_ops) ? g_ops[i] : NULL; }
