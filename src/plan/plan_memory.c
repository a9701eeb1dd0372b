/* Lifetimes and arena offsets for a plan's runtime tensors and workspaces.
 * A step may write its output over its input ("in place") when the op is a
 * unary elementwise one, shapes and dtypes match, and the input dies at that
 * step: the two tensors then share one block. */
#include <string.h>

#include "plan/plan_internal.h"

static bool inplace_op(const gl_op *op) {
    static const char *const names[] = {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip",
                                        "Elu", "Selu", "HardSigmoid", "Softplus", "Erf",
                                        "Abs", "Neg", "Exp", "Sqrt"};
    if (op->domain[0] != '\0') return false;
    for (size_t i = 0; i < GL_ARRAY_LEN(names); i++)
        if (strcmp(op->name, names[i]) == 0) return true;
    return false;
}

glint_status gl_plan_assign_memory(gl_plan *p, gl_err *err) {
    const glint_allocator *a = p->alloc;
    int nt = p->n_tensors;
    for (int t = 0; t < nt; t++) p->tensors[t].first_step = p->tensors[t].last_step = -2;
    /* graph inputs live from before the first step */
    for (int i = 0; i < p->graph->n_inputs; i++) {
        gl_plan_tensor *t = &p->tensors[p->inputs[i]];
        t->first_step = t->last_step = -1;
    }
    for (int s = 0; s < p->n_steps; s++) {
        const gl_plan_step *st = &p->steps[s];
        for (int i = 0; i < st->n_inputs; i++) {
            int t = st->inputs[i];
            if (t >= 0 && !p->tensors[t].is_const && p->tensors[t].last_step < s)
                p->tensors[t].last_step = s;
        }
        for (int i = 0; i < st->n_outputs; i++) {
            int t = st->outputs[i];
            if (t < 0) continue;
            p->tensors[t].first_step = s;
            if (p->tensors[t].last_step < s) p->tensors[t].last_step = s;
        }
    }
    for (int i = 0; i < p->graph->n_outputs; i++) {
        gl_plan_tensor *t = &p->tensors[p->outputs[i]];
        if (!t->is_const) t->last_step = p->n_steps;
    }

    /* in-place: alias[t] = tensor whose block t shares */
    int *alias = gl_malloc(a, sizeof(int) * (size_t)(nt + 1));
    int *block_of = gl_malloc(a, sizeof(int) * (size_t)(nt + 1));
    gl_mem_block *blocks = gl_calloc(a, (size_t)(nt + p->n_steps + 1), sizeof *blocks);
    glint_status st = GLINT_OK;
    if (!alias || !block_of || !blocks) {
        st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "memory plan: out of memory");
        goto done;
    }
    for (int t = 0; t < nt; t++) alias[t] = t;
    for (int s = 0; s < p->n_steps; s++) {
        const gl_plan_step *sp = &p->steps[s];
        if (!inplace_op(sp->op) || sp->n_outputs != 1 || sp->inputs[0] < 0) continue;
        gl_plan_tensor *in = &p->tensors[sp->inputs[0]], *out = &p->tensors[sp->outputs[0]];
        bool in_is_graph_input = in->first_step == -1;
        if (in->is_const || in_is_graph_input || in->last_step != s || in->bytes != out->bytes ||
            in->dtype != out->dtype)
            continue;
        bool used_twice = false; /* e.g. Mul(x, x) style reuse within the step */
        for (int i = 1; i < sp->n_inputs; i++)
            if (sp->inputs[i] == sp->inputs[0]) used_twice = true;
        if (used_twice) continue;
        alias[sp->outputs[0]] = alias[sp->inputs[0]];
    }
    int nb = 0;
    for (int t = 0; t < nt; t++) {
        gl_plan_tensor *pt = &p->tensors[t];
        block_of[t] = -1;
        if (pt->is_const || pt->first_step == -2) continue;
        int root = alias[t];
        if (root != t) {
            int b = block_of[root];
            if (blocks[b].last < pt->last_step) blocks[b].last = pt->last_step;
            block_of[t] = b;
            continue;
        }
        blocks[nb] = (gl_mem_block){.bytes = pt->bytes, .first = pt->first_step,
                                    .last = pt->last_step};
        block_of[t] = nb++;
    }
    int ws_base = nb;
    for (int s = 0; s < p->n_steps; s++) {
        gl_plan_step *sp = &p->steps[s];
        gl_tensor in[64], out[64];
        gl_plan_step_views(p, sp, NULL, in, out);
        sp->workspace_bytes = sp->op->workspace
                                  ? sp->op->workspace(sp->params, in, sp->n_inputs, out,
                                                      sp->n_outputs)
                                  : 0;
        blocks[nb++] = (gl_mem_block){.bytes = sp->workspace_bytes, .first = s, .last = s};
    }
    st = gl_memplan(blocks, nb, GL_ARENA_ALIGN, a, &p->arena_bytes, err);
    if (st != GLINT_OK) goto done;
    for (int t = 0; t < nt; t++)
        if (block_of[t] >= 0) p->tensors[t].offset = blocks[block_of[t]].offset;
    for (int s = 0; s < p->n_steps; s++) p->steps[s].workspace_offset = blocks[ws_base + s].offset;
done:
    gl_free(a, alias);
    gl_free(a, block_of);
    gl_free(a, blocks);
    return st;
}
