/* Engine creation: load, optimise, choose a backend, plan the buckets. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "quant/quant.h"
#include "runtime/engine.h"
#include "runtime/telemetry.h"

void glint_engine_options_init(glint_engine_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->device = GLINT_DEVICE_AUTO;
    o->precision = GLINT_PRECISION_FP32;
    o->log_level = GLINT_LOG_WARN;
}

void gl_log(const glint_engine *e, glint_log_level level, const char *fmt, ...) {
    if (!e->options.log || level > e->options.log_level) return;
    char line[GL_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    e->options.log(e->options.log_user, level, line);
}

struct gl_telemetry *gl_engine_telemetry(glint_engine *e) { return e ? e->telemetry : NULL; }

static int default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)(n > 64 ? 64 : n) : 1;
}

/* ------------------------------------------------------------ model facts */

static glint_status collect_model_facts(glint_engine *e, gl_err *err) {
    const gl_graph *g = e->graph;
    const glint_allocator *a = &e->alloc;
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].constant) {
            int64_t n = gl_shape_numel(&g->values[v].constant->shape);
            if (n > 0) e->parameter_count += n;
        }
    e->node_count_loaded = (size_t)g->n_nodes;
    e->op_uses = gl_calloc(a, (size_t)g->n_nodes + 1, sizeof *e->op_uses);
    if (!e->op_uses) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < g->n_nodes; i++) {
        size_t k = 0;
        while (k < e->n_op_uses && strcmp(e->op_uses[k].op_type, g->nodes[i].op_type) != 0) k++;
        if (k == e->n_op_uses) {
            e->op_uses[k].op_type = gl_strdup(a, g->nodes[i].op_type);
            if (!e->op_uses[k].op_type) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory");
            e->n_op_uses++;
        }
        e->op_uses[k].count++;
    }
    return GLINT_OK;
}

static glint_status collect_io(glint_engine *e, gl_err *err) {
    const gl_graph *g = e->graph;
    e->input_info = gl_calloc(&e->alloc, (size_t)g->n_inputs + 1, sizeof(glint_io_info));
    e->output_info = gl_calloc(&e->alloc, (size_t)g->n_outputs + 1, sizeof(glint_io_info));
    if (!e->input_info || !e->output_info)
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory");
    for (int k = 0; k < 2; k++) {
        int n = k ? g->n_outputs : g->n_inputs;
        const int *ids = k ? g->outputs : g->inputs;
        glint_io_info *info = k ? e->output_info : e->input_info;
        for (int i = 0; i < n; i++) {
            const gl_value *v = &g->values[ids[i]];
            info[i].name = v->name;
            info[i].dtype = v->dtype;
            info[i].rank = v->shape.rank;
            for (int d = 0; d < v->shape.rank && d < 8; d++) info[i].dims[d] = v->shape.d[d];
            if (k == 0 && (v->shape.rank < 0 || v->dtype == GLINT_DTYPE_UNDEFINED))
                return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                               "input '%s' has no declared type or rank", v->name);
        }
    }
    return GLINT_OK;
}

glint_status gl_engine_bucket_shapes(const glint_engine *e, glint_bucket b, gl_shape *shapes,
                                     gl_err *err) {
    const gl_graph *g = e->graph;
    for (int i = 0; i < g->n_inputs; i++) {
        const gl_value *v = &g->values[g->inputs[i]];
        gl_shape s = v->shape;
        int spatial_left = s.rank >= 3 ? 2 : 0;
        for (int d = s.rank - 1; d >= 0; d--) {
            if (s.d[d] >= 0) continue;
            if (d == 0) {
                s.d[d] = b.batch;
            } else if (spatial_left > 0 && d >= s.rank - 2) {
                s.d[d] = spatial_left == 2 ? b.width : b.height;
                spatial_left--;
            } else {
                return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT,
                               "input '%s': dynamic dimension %d is not batch, height or width, "
                               "so a bucket cannot fill it",
                               v->name, d);
            }
        }
        shapes[i] = s;
    }
    return GLINT_OK;
}

/* ------------------------------------------------------------ plans */

static void entry_free(glint_engine *e, gl_plan_entry *pe) {
    if (!pe) return;
    if (pe->prepared) e->backend->plan_release(e->backend_state, pe->prepared);
    gl_plan_free(pe->plan);
    gl_free(&e->alloc, pe);
}

bool gl_engine_plan_matches(const gl_plan *p, int n_inputs, const gl_shape *shapes,
                            const void *const *values) {
    for (int i = 0; i < n_inputs; i++) {
        if (!gl_shape_equal(&p->input_shapes[i], &shapes[i])) return false;
        const gl_plan_tensor *t = &p->tensors[p->inputs[i]];
        if (t->is_const && (!values || !values[i] || memcmp(t->data, values[i], t->bytes) != 0))
            return false;
    }
    return true;
}

static glint_bucket bucket_of(const glint_engine *e, const gl_shape *shapes) {
    glint_bucket b = {0, 0, 0};
    for (int i = 0; i < e->graph->n_inputs; i++) {
        const gl_shape *s = &shapes[i];
        if (s->rank >= 1 && b.batch == 0) b.batch = (int32_t)s->d[0];
        if (s->rank >= 3 && b.height == 0) {
            b.height = (int32_t)s->d[s->rank - 2];
            b.width = (int32_t)s->d[s->rank - 1];
        }
    }
    return b;
}

/* Builds pe->plan for shapes with the values of e->value_inputs, learning
 * more value inputs as planning reports them. GLINT_OK with pe->plan NULL:
 * values are needed and not given. Called with plans_lock held. */
static glint_status build_plan(glint_engine *e, gl_plan_entry *pe, const gl_shape *shapes,
                               const void *const *values, gl_err *err) {
    const gl_graph *g = e->graph;
    for (;;) {
        const void *vals[64] = {0};
        if (e->value_inputs && !values) return GLINT_OK; /* at the first run */
        for (int i = 0; i < g->n_inputs && i < 64; i++)
            if (e->value_inputs >> i & 1) vals[i] = values[i];
        glint_status st = gl_plan_build_values(g, shapes, vals, e->options.precision, &pe->plan, err);
        const uint64_t more = st != GLINT_OK && err ? err->need_inputs & ~e->value_inputs : 0;
        if (!more) return st;
        e->value_inputs |= more;
        if (e->backend != &gl_backend_cpu)
            return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                           "the plan depends on the values of inputs (a shape or axes given as an "
                           "input), which only the CPU backend supports: %s", err->msg);
        gl_log(e, GLINT_LOG_INFO, "plans depend on the values of inputs (mask 0x%llx): one plan "
               "per value, made at the first run with it", (unsigned long long)e->value_inputs);
    }
}

glint_status gl_engine_get_plan(glint_engine *e, const gl_shape *shapes,
                                const void *const *values, gl_plan_entry **out, gl_err *err) {
    int n_in = e->graph->n_inputs;
    *out = NULL;
    pthread_mutex_lock(&e->plans_lock);
    for (int i = 0; i < e->n_plans; i++)
        if (gl_engine_plan_matches(e->plans[i]->plan, n_in, shapes, values)) {
            *out = e->plans[i];
            pthread_mutex_unlock(&e->plans_lock);
            return GLINT_OK;
        }
    glint_status st = GLINT_OK;
    gl_plan_entry *pe = NULL;
    if (e->n_plans == e->plans_cap) {
        int cap = e->plans_cap ? e->plans_cap * 2 : 16;
        gl_plan_entry **np = gl_realloc_array(&e->alloc, e->plans, (size_t)cap, sizeof *np);
        if (!np) {
            st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory for the plan list");
            goto done;
        }
        e->plans = np;
        e->plans_cap = cap;
    }
    pe = gl_calloc(&e->alloc, 1, sizeof *pe);
    if (!pe) {
        st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory for a plan");
        goto done;
    }
    pe->bucket = bucket_of(e, shapes);
    st = build_plan(e, pe, shapes, values, err);
    if (st == GLINT_OK && !pe->plan) { /* needs input values: at the first run */
        entry_free(e, pe);
        goto done;
    }
    if (st == GLINT_OK && e->calib) {
        gl_quant_rewrite_stats qs;
        st = gl_quant_rewrite_plan(pe->plan, e->calib, e->backend->int8_requantize, &qs, err);
        if (st == GLINT_OK)
            gl_log(e, GLINT_LOG_INFO, "int8 plan %dx%dx%d: %d convolutions in int8, %d kept in float",
                   pe->bucket.batch, pe->bucket.height, pe->bucket.width, qs.layers_int8, qs.layers_float);
    }
    if (st == GLINT_OK) st = e->backend->plan_prepare(e->backend_state, pe->plan, &pe->prepared, err);
    if (st != GLINT_OK) {
        gl_err_prefix(err, "bucket %dx%dx%d", pe->bucket.batch, pe->bucket.height, pe->bucket.width);
        entry_free(e, pe);
        goto done;
    }
    e->plans[e->n_plans++] = pe;
    *out = pe;
done:
    pthread_mutex_unlock(&e->plans_lock);
    return st;
}

/* ------------------------------------------------------------ backends */

static void free_backend(glint_engine *e) {
    for (int i = 0; i < e->n_plans; i++) entry_free(e, e->plans[i]);
    e->n_plans = 0;
    if (e->backend && e->backend_state) e->backend->engine_free(e->backend_state);
    e->backend_state = NULL;
}

/* A model whose inputs have no dynamic dim has exactly one plan: make it at
 * creation, so that whatever it cannot run is refused at load. */
static glint_status plan_static_shapes(glint_engine *e, gl_err *err) {
    const gl_graph *g = e->graph;
    gl_shape shapes[64];
    if (g->n_inputs > 64) return gl_fail(err, GLINT_ERR_UNSUPPORTED, "more than 64 graph inputs");
    for (int i = 0; i < g->n_inputs; i++) {
        shapes[i] = g->values[g->inputs[i]].shape;
        for (int d = 0; d < shapes[i].rank; d++)
            if (shapes[i].d[d] < 0) return GLINT_OK;
    }
    gl_plan_entry *pe;
    return gl_engine_get_plan(e, shapes, NULL, &pe, err);
}

static glint_status init_backend(glint_engine *e, const gl_backend *be, gl_err *err) {
    e->backend = be;
    glint_status st = be->engine_init(&e->backend_config, e->graph, &e->backend_state, err);
    if (st == GLINT_OK) st = plan_static_shapes(e, err);
    for (size_t i = 0; st == GLINT_OK && i < e->options.bucket_count; i++) {
        gl_shape shapes[64];
        gl_plan_entry *pe;
        if (e->graph->n_inputs > 64)
            return gl_fail(err, GLINT_ERR_UNSUPPORTED, "more than 64 graph inputs");
        st = gl_engine_bucket_shapes(e, e->options.buckets[i], shapes, err);
        if (st == GLINT_OK) st = gl_engine_get_plan(e, shapes, NULL, &pe, err);
    }
    if (st != GLINT_OK) free_backend(e);
    return st;
}

/* device auto: CUDA when available and it can run the model, else CPU. */
static glint_status choose_backend(glint_engine *e, gl_err *err) {
    const gl_backend *cuda = gl_backend_cuda();
    glint_device want = e->options.device;
    if (want == GLINT_DEVICE_CPU) return init_backend(e, &gl_backend_cpu, err);
    gl_err why = {0};
    if (!cuda) {
        if (want == GLINT_DEVICE_CUDA)
            return gl_fail(err, GLINT_ERR_NO_DEVICE, "device cuda: glint was built without CUDA");
        return init_backend(e, &gl_backend_cpu, err);
    }
    if (!cuda->available(&e->backend_config, &why)) {
        if (want == GLINT_DEVICE_CUDA)
            return gl_fail(err, GLINT_ERR_NO_DEVICE, "device cuda: %s", why.msg);
        gl_log(e, GLINT_LOG_INFO, "no usable GPU (%s); running on the CPU", why.msg);
        e->cpu_fallback = true;
        return init_backend(e, &gl_backend_cpu, err);
    }
    glint_status st = init_backend(e, cuda, &why);
    if (st == GLINT_OK || want == GLINT_DEVICE_CUDA || st == GLINT_ERR_INVALID_ARGUMENT ||
        st == GLINT_ERR_INVALID_MODEL) {
        if (st != GLINT_OK) *err = why;
        return st;
    }
    gl_log(e, GLINT_LOG_WARN, "CUDA backend cannot run this model (%s); running on the CPU",
           why.msg);
    e->cpu_fallback = true;
    return init_backend(e, &gl_backend_cpu, err);
}

/* ------------------------------------------------------------ create/free */

/* int8 needs activation scales: from a calibration file of this very graph,
 * or from the QuantizeLinear/DequantizeLinear pairs of a quantised model. */
static glint_status load_calibration(glint_engine *e, const glint_engine_options *o, gl_err *err) {
    glint_status st;
    if (o->calibration_path)
        st = gl_calib_load(&e->alloc, o->calibration_path, gl_quant_graph_hash(e->graph), &e->calib, err);
    else
        st = gl_calib_from_qdq(e->graph, &e->calib, err);
    if (st == GLINT_OK) st = gl_calib_quantize_weights(e->calib, e->graph, err);
    if (st != GLINT_OK) return st;
    int int8_layers = 0;
    for (int i = 0; i < e->calib->n_layers; i++) int8_layers += e->calib->layers[i].int8 ? 1 : 0;
    if (int8_layers == 0)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                       "int8 needs activation scales: pass a calibration file from `glint calibrate` "
                       "(options.calibration_path, or MODEL.calib beside MODEL.onnx) or use a model with QuantizeLinear/DequantizeLinear");
    return GLINT_OK;
}

void glint_engine_free(glint_engine *e) {
    if (!e) return;
    free_backend(e);
    glint_allocator a = e->alloc;
    gl_free(&a, e->plans);
    for (size_t i = 0; i < e->n_op_uses; i++) gl_free(&a, (void *)e->op_uses[i].op_type);
    gl_free(&a, e->op_uses);
    gl_free(&a, e->input_info);
    gl_free(&a, e->output_info);
    gl_free(&a, (void *)e->options.buckets);
    gl_telemetry_free(e->telemetry);
    gl_calib_free(e->calib);
    gl_graph_free(e->graph);
    pthread_mutex_destroy(&e->plans_lock);
    gl_free(&a, e);
}

static glint_status engine_create(const void *data, size_t size,
                                  const glint_engine_options *options, glint_engine **out,
                                  gl_err *err) {
    glint_engine_options defaults;
    glint_engine_options_init(&defaults);
    if (!options) options = &defaults;
    const glint_allocator *ua = options->allocator ? options->allocator : gl_default_allocator();
    if (!ua->malloc || !ua->realloc || !ua->free)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "allocator: malloc, realloc and free must all be set");
    if (options->device > GLINT_DEVICE_CUDA)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "options.device %d is not a glint_device", (int)options->device);
    if (options->precision > GLINT_PRECISION_INT8)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "options.precision %d is not a glint_precision", (int)options->precision);
    if (options->threads < 0 || options->threads > 1024)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "options.threads %d is out of range 0..1024", options->threads);
    if (options->bucket_count && !options->buckets)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "options.buckets is NULL but bucket_count is %zu", options->bucket_count);
    for (size_t i = 0; i < options->bucket_count; i++) {
        glint_bucket b = options->buckets[i];
        if (b.batch < 1 || b.height < 1 || b.width < 1 || b.batch > 65536 || b.height > 65536 || b.width > 65536)
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "options.buckets[%zu] = %dx%dx%d is out of range", i, b.batch, b.height, b.width);
    }
    glint_engine *e = gl_calloc(ua, 1, sizeof *e);
    if (!e) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory for the engine");
    e->alloc = *ua;
    e->options = *options;
    e->options.allocator = NULL;
    e->options.buckets = NULL;
    e->options.calibration_path = NULL; /* read once below, not kept */
    pthread_mutex_init(&e->plans_lock, NULL);
    glint_status st = GLINT_OK;
    if (options->bucket_count) {
        glint_bucket *bk = gl_malloc(&e->alloc, options->bucket_count * sizeof *bk);
        if (!bk) { st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory"); goto fail; }
        memcpy(bk, options->buckets, options->bucket_count * sizeof *bk);
        e->options.buckets = bk;
    }
    e->backend_config = (gl_backend_config){
        .alloc = &e->alloc, .precision = options->precision,
        .threads = options->threads ? options->threads : default_threads(),
        .cuda_device = options->cuda_device,
        .device_memory_limit_bytes = options->device_memory_limit_bytes,
        .flags = options->flags, .log = options->log, .log_user = options->log_user,
        .log_level = options->log_level};
    e->telemetry = gl_telemetry_new(&e->alloc);
    if (!e->telemetry) { st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory for telemetry"); goto fail; }
    st = gl_onnx_load(data, size, &e->alloc, &e->graph, err);
    if (st == GLINT_OK) st = collect_model_facts(e, err);
    if (st == GLINT_OK) st = gl_graph_optimize(e->graph, err);
    if (st == GLINT_OK) st = collect_io(e, err);
    if (st == GLINT_OK && options->precision == GLINT_PRECISION_INT8) st = load_calibration(e, options, err);
    if (st == GLINT_OK) st = choose_backend(e, err);
    if (st != GLINT_OK) goto fail;
    *out = e;
    return GLINT_OK;
fail:
    glint_engine_free(e);
    return st;
}

glint_status glint_engine_create_from_memory(const void *data, size_t size,
                                             const glint_engine_options *options,
                                             glint_engine **engine, char *error,
                                             size_t error_size) {
    gl_err err = {0};
    glint_status st;
    if (engine) *engine = NULL;
    if (!engine || (!data && size))
        st = gl_fail(&err, GLINT_ERR_INVALID_ARGUMENT, "engine and data must not be NULL");
    else
        st = engine_create(data, size, options, engine, &err);
    if (st != GLINT_OK) gl_err_copy_out(&err, error, error_size);
    return st;
}

/* "dir/model.onnx" -> "dir/model.calib" when that file can be read; NULL
 * otherwise (also when out of memory: the engine then says int8 needs
 * scales). */
static char *sibling_calibration(const glint_allocator *a, const char *model_path) {
    size_t len = strlen(model_path);
    if (len >= 5 && strcmp(model_path + len - 5, ".onnx") == 0) len -= 5;
    char *p = gl_malloc(a, len + sizeof ".calib");
    if (!p) return NULL;
    memcpy(p, model_path, len);
    memcpy(p + len, ".calib", sizeof ".calib");
    FILE *f = fopen(p, "rb");
    if (!f) {
        gl_free(a, p);
        return NULL;
    }
    fclose(f);
    return p;
}

glint_status glint_engine_create_from_file(const char *path, const glint_engine_options *options,
                                           glint_engine **engine, char *error,
                                           size_t error_size) {
    gl_err err = {0};
    if (engine) *engine = NULL;
    if (!path || !engine) {
        gl_fail(&err, GLINT_ERR_INVALID_ARGUMENT, "path and engine must not be NULL");
        gl_err_copy_out(&err, error, error_size);
        return GLINT_ERR_INVALID_ARGUMENT;
    }
    const glint_allocator *a = options && options->allocator ? options->allocator : gl_default_allocator();
    FILE *f = fopen(path, "rb");
    if (!f) {
        gl_fail(&err, GLINT_ERR_IO, "%s: %s", path, strerror(errno));
        gl_err_copy_out(&err, error, error_size);
        return GLINT_ERR_IO;
    }
    void *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
    glint_status st = GLINT_OK;
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = gl_fail(&err, GLINT_ERR_IO, "%s: cannot determine the file size", path);
    } else if (!(buf = gl_malloc(a, (size_t)n + 1))) {
        st = gl_fail(&err, GLINT_ERR_OUT_OF_MEMORY, "%s: out of memory reading %ld bytes", path, n);
    } else if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        st = gl_fail(&err, GLINT_ERR_IO, "%s: read error", path);
    }
    fclose(f);
    /* int8 with no calibration named: MODEL.calib beside MODEL.onnx */
    glint_engine_options with_calib;
    char *sibling = NULL;
    if (st == GLINT_OK && options && options->precision == GLINT_PRECISION_INT8 &&
        !options->calibration_path && (sibling = sibling_calibration(a, path))) {
        with_calib = *options;
        with_calib.calibration_path = sibling;
        options = &with_calib;
    }
    if (st == GLINT_OK) {
        st = engine_create(buf, (size_t)n, options, engine, &err);
        if (st != GLINT_OK) gl_err_prefix(&err, "%s", path);
    }
    gl_free(a, sibling);
    gl_free(a, buf);
    if (st != GLINT_OK) gl_err_copy_out(&err, error, error_size);
    return st;
}
