/* libFuzzer target: arbitrary bytes through the ONNX loader, the load-time
 * passes (which run reference kernels on the model's constants), and, when
 * built with GLINT_FUZZ_ENGINE, engine creation on the CPU in FP32 and INT8.
 * Any crash, hang, leak or sanitizer report is a bug: a hostile model must
 * only ever produce an error status. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "glint.h"
#include "model/graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gl_graph *g = NULL;
    gl_err err;
    if (gl_onnx_load(data, size, NULL, &g, &err) != GLINT_OK) {
        /* A failed load must say why. */
        if (err.msg[0] == '\0') __builtin_trap();
        return 0;
    }
    if (gl_graph_optimize(g, &err) != GLINT_OK && err.msg[0] == '\0') __builtin_trap();
    gl_graph_free(g);
#ifdef GLINT_FUZZ_ENGINE
    glint_engine_options opt;
    glint_engine_options_init(&opt);
    opt.device = GLINT_DEVICE_CPU;
    opt.threads = 1;
    opt.flags |= GLINT_FLAG_NO_WARMUP;
    glint_engine *e = NULL;
    char msg[256];
    if (glint_engine_create_from_memory(data, size, &opt, &e, msg, sizeof msg) == GLINT_OK)
        glint_engine_free(e);
    /* INT8: the scales of a QuantizeLinear/DequantizeLinear model and the
     * plan rewrite (anything else is refused at once) */
    opt.precision = GLINT_PRECISION_INT8;
    if (glint_engine_create_from_memory(data, size, &opt, &e, msg, sizeof msg) == GLINT_OK)
        glint_engine_free(e);
#endif
    return 0;
}
