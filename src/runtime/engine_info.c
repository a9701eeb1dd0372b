/* Read-only queries on an engine. */
#include <string.h>

#include "runtime/engine.h"

glint_device glint_engine_device(const glint_engine *e) {
    return e && e->backend ? e->backend->device : GLINT_DEVICE_CPU;
}

glint_precision glint_engine_precision(const glint_engine *e) {
    return e ? e->options.precision : GLINT_PRECISION_FP32;
}

size_t glint_engine_input_count(const glint_engine *e) { return e ? (size_t)e->graph->n_inputs : 0; }
size_t glint_engine_output_count(const glint_engine *e) { return e ? (size_t)e->graph->n_outputs : 0; }

glint_status glint_engine_input_info(const glint_engine *e, size_t i, glint_io_info *info) {
    if (!e || !info || i >= (size_t)e->graph->n_inputs) return GLINT_ERR_INVALID_ARGUMENT;
    *info = e->input_info[i];
    /* the lock guards value_inputs, which planning may extend */
    pthread_mutex_t *lock = (pthread_mutex_t *)&e->plans_lock;
    pthread_mutex_lock(lock);
    info->value_selects_plan = i < 64 && (e->value_inputs >> i & 1) ? 1 : 0;
    pthread_mutex_unlock(lock);
    return GLINT_OK;
}

glint_status glint_engine_output_info(const glint_engine *e, size_t i, glint_io_info *info) {
    if (!e || !info || i >= (size_t)e->graph->n_outputs) return GLINT_ERR_INVALID_ARGUMENT;
    *info = e->output_info[i];
    return GLINT_OK;
}

const char *glint_engine_metadata(const glint_engine *e, const char *key) {
    return e && key ? gl_graph_meta(e->graph, key) : NULL;
}

void glint_engine_model_info(const glint_engine *e, glint_model_info *info) {
    if (!info) return;
    memset(info, 0, sizeof *info);
    if (!e) return;
    info->opset = e->graph->opset;
    info->ir_version = e->graph->ir_version;
    info->producer = e->graph->producer ? e->graph->producer : "";
    info->parameter_count = e->parameter_count;
    info->node_count = (size_t)e->graph->n_nodes;
    info->operator_type_count = e->n_op_uses;
}

glint_status glint_engine_operator(const glint_engine *e, size_t i, const char **op_type,
                                   size_t *count) {
    if (!e || i >= e->n_op_uses) return GLINT_ERR_INVALID_ARGUMENT;
    if (op_type) *op_type = e->op_uses[i].op_type;
    if (count) *count = e->op_uses[i].count;
    return GLINT_OK;
}

glint_status glint_engine_plan_info(glint_engine *e, glint_bucket b, glint_plan_info *info,
                                    char *error, size_t error_size) {
    gl_err err = {0};
    gl_shape shapes[64];
    gl_plan_entry *pe = NULL;
    glint_status st;
    if (!e || !info) {
        st = gl_fail(&err, GLINT_ERR_INVALID_ARGUMENT, "engine and info must not be NULL");
    } else if (e->graph->n_inputs > 64) {
        st = gl_fail(&err, GLINT_ERR_UNSUPPORTED, "more than 64 graph inputs");
    } else {
        st = gl_engine_bucket_shapes(e, b, shapes, &err);
        if (st == GLINT_OK) st = gl_engine_get_plan(e, shapes, NULL, &pe, &err);
        if (st == GLINT_OK && !pe)
            st = gl_fail(&err, GLINT_ERR_UNSUPPORTED,
                         "bucket %dx%dx%d: the plan depends on the values of inputs; it is made "
                         "at the first run with them", b.batch, b.height, b.width);
    }
    if (st != GLINT_OK) {
        gl_err_copy_out(&err, error, error_size);
        return st;
    }
    info->bucket = pe->bucket;
    info->arena_bytes = pe->plan->arena_bytes;
    info->flops = pe->plan->flops;
    info->step_count = (size_t)pe->plan->n_steps;
    info->plan_ms = pe->plan->plan_ms;
    return GLINT_OK;
}

void glint_engine_memory_info(const glint_engine *e, glint_memory_info *info) {
    if (!info) return;
    memset(info, 0, sizeof *info);
    if (e && e->backend && e->backend->memory) e->backend->memory(e->backend_state, info);
}
