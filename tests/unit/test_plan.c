/* Planning the golden U-Net: the exporter's shape arithmetic is evaluated at
 * plan time (no Shape/Gather/Concat-of-shapes step is left), convolutions
 * absorb their pointwise tails, and runtime tensors that are alive together
 * never share arena bytes. */
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "testlib.h"

static int count_ops(const gl_plan *p, const char *name) {
    int n = 0;
    for (int i = 0; i < p->n_steps; i++)
        if (strcmp(p->steps[i].op->name, name) == 0) n++;
    return n;
}

static void check_arena(const gl_plan *p) {
    bool ok = true;
    for (int i = 0; i < p->n_tensors; i++) {
        const gl_plan_tensor *a = &p->tensors[i];
        if (a->is_const || a->first_step < -1) continue;
        if (a->offset + a->bytes > p->arena_bytes) ok = false;
        for (int j = i + 1; j < p->n_tensors; j++) {
            const gl_plan_tensor *b = &p->tensors[j];
            if (b->is_const || b->first_step < -1) continue;
            if (a->offset == b->offset && a->bytes == b->bytes) continue; /* in-place alias */
            bool live = a->first_step <= b->last_step && b->first_step <= a->last_step;
            bool bytes = a->offset < b->offset + b->bytes && b->offset < a->offset + a->bytes;
            if (live && bytes && a->bytes && b->bytes) ok = false;
        }
    }
    CHECK_MSG(ok, "arena overlap between live tensors");
}

int main(void) {
    bool missing;
    gl_graph *g = tl_load_graph("tests/models/unet_opset17.onnx", &missing);
    CHECK(!missing);
    if (!g) return TEST_END();
    gl_err err = {0};
    static const int shapes[][3] = {{1, 16, 16}, {4, 64, 64}, {2, 32, 24}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        gl_shape in[2] = {{4, {shapes[s][0], 1, shapes[s][1], shapes[s][2]}}, {2, {shapes[s][0], 8}}};
        gl_plan *p = NULL;
        glint_status st = gl_plan_build(g, in, GLINT_PRECISION_FP32, &p, &err);
        CHECK_MSG(st == GLINT_OK, "%s", err.msg);
        if (!p) continue;
        static const char *const shape_ops[] = {"Shape", "Gather", "ConstantOfShape", "Range", "Equal", "Where"};
        for (size_t k = 0; k < sizeof shape_ops / sizeof shape_ops[0]; k++)
            CHECK_MSG(count_ops(p, shape_ops[k]) == 0, "%s left in the plan", shape_ops[k]);
        CHECK_MSG(count_ops(p, "FusedConv") >= 3, "only %d fused convs", count_ops(p, "FusedConv"));
        CHECK_MSG(count_ops(p, "BatchNormalization") == 0, "BatchNormalization not folded");
        CHECK(p->flops > 0);
        CHECK(p->arena_bytes > 0);
        check_arena(p);
        printf("plan %dx%dx%d: %d steps, arena %zu bytes, %lld flops\n", shapes[s][0], shapes[s][1],
               shapes[s][2], p->n_steps, p->arena_bytes, (long long)p->flops);
        gl_plan_free(p);
    }
    /* a shape that contradicts the model's fixed dims is refused by name */
    gl_shape bad[2] = {{4, {1, 3, 16, 16}}, {2, {1, 8}}};
    gl_plan *p = NULL;
    CHECK(gl_plan_build(g, bad, GLINT_PRECISION_FP32, &p, &err) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.msg, "content") != NULL);
    gl_graph_free(g);
    return TEST_END();
}
