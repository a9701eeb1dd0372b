/* Helpers for the quantisation tests: run a plan step by step with the
 * reference kernels (as calibration does), and raw-data ONNX tensors of any
 * element type for tests/unit/onnx_writer.h. Test code: aborts are fine. */
#ifndef GLINT_QUANT_TESTUTIL_H
#define GLINT_QUANT_TESTUTIL_H

#include <stdlib.h>
#include <string.h>

#include "onnx_writer.h"
#include "plan/plan.h"

/* Runs p with inputs[i] (graph input i) into outputs[i] (graph output i). */
static inline glint_status qt_run_plan(const gl_plan *p, const void *const *inputs,
                                       void *const *outputs, gl_err *err) {
    uint8_t *arena = aligned_alloc(GL_ARENA_ALIGN, gl_align_up(p->arena_bytes + 1, GL_ARENA_ALIGN));
    if (!arena) abort();
    /* poison the whole arena so a step reading unwritten memory shows */
    memset(arena, 0xFF, p->arena_bytes + 1);
    for (int i = 0; i < p->graph->n_inputs; i++) {
        const gl_plan_tensor *t = &p->tensors[p->inputs[i]];
        memcpy(arena + t->offset, inputs[i], t->bytes);
    }
    glint_status st = GLINT_OK;
    for (int s = 0; s < p->n_steps && st == GLINT_OK; s++) {
        const gl_plan_step *ps = &p->steps[s];
        gl_tensor in[64], out[64];
        gl_plan_step_views(p, ps, arena, in, out);
        st = ps->op->run(ps->params, in, ps->n_inputs, out, ps->n_outputs,
                         ps->workspace_bytes ? arena + ps->workspace_offset : NULL, err);
    }
    for (int i = 0; st == GLINT_OK && i < p->graph->n_outputs; i++) {
        const gl_plan_tensor *t = &p->tensors[p->outputs[i]];
        memcpy(outputs[i], t->is_const ? t->data : arena + t->offset, t->bytes);
    }
    free(arena);
    return st;
}

/* TensorProto with raw_data of ONNX element type elem. */
static inline pbw qt_tensor_raw(const char *name, const int64_t *dims, int rank, int elem,
                                const void *data, size_t bytes) {
    pbw t = {0};
    for (int i = 0; i < rank; i++) pbw_uint(&t, 1, (uint64_t)dims[i]);
    pbw_uint(&t, 2, (uint64_t)elem);
    if (name) pbw_str(&t, 8, name);
    pbw_bytes(&t, 9, data, bytes);
    return t;
}

#endif
