/* The CPU backend's nearest-2x fast path (upsample_fast.h): for Resize
 * steps of many forms (scales or sizes, with and without Resize-18 axes,
 * every coordinate mode and nearest rounding, linear, non-2x), the
 * detection says yes exactly when the reference kernel's output on a whole
 * random [N, C, h, w] tensor is a nearest 2x copy; and when it says yes the
 * fast kernel reproduces the reference bit for bit (output poisoned first). */
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/upsample_fast.h"
#include "onnx_writer.h"
#include "testlib.h"

enum { N = 2, C = 3 };

static int g_yes; /* cases detected (and checked) as nearest 2x */

typedef struct rcase {
    const char *mode, *coord, *nearest;
    int sizes;       /* 0: scales input, 1: sizes input */
    int axes;        /* Resize-18 axes = [2, 3] */
    int h, w;
    float sh, sw;    /* scale of H and W (sizes: round(h * sh)) */
} rcase;

static gl_graph *resize_graph(const rcase *rc) {
    pbw g = {0};
    const int64_t n4 = rc->axes ? 2 : 4;
    const char *ins[4] = {"x", "", "", ""};
    if (rc->sizes) {
        int64_t v[4] = {N, C, (int64_t)(rc->h * rc->sh), (int64_t)(rc->w * rc->sw)};
        pbw t = ow_tensor_i64("sz", &n4, 1, rc->axes ? v + 2 : v);
        pbw_msg(&g, 5, &t);
        ins[3] = "sz";
    } else {
        float v[4] = {1, 1, rc->sh, rc->sw};
        pbw t = ow_tensor_f32("sc", &n4, 1, rc->axes ? v + 2 : v, 1);
        pbw_msg(&g, 5, &t);
        ins[2] = "sc";
    }
    pbw attrs[4];
    int na = 0;
    attrs[na++] = ow_attr_str("mode", rc->mode);
    attrs[na++] = ow_attr_str("coordinate_transformation_mode", rc->coord);
    attrs[na++] = ow_attr_str("nearest_mode", rc->nearest);
    const int64_t axes[2] = {2, 3};
    if (rc->axes) attrs[na++] = ow_attr_ints("axes", axes, 2);
    const char *outs[] = {"y"};
    ow_node(&g, "resize", "Resize", ins, 4, outs, 1, attrs, na);
    const int64_t xd[4] = {-1, C, rc->h, rc->w}, yd[4] = {-1, C, -1, -1};
    ow_value(&g, 11, "x", OW_FLOAT, xd, 4);
    ow_value(&g, 12, "y", OW_FLOAT, yd, 4);
    pbw m = ow_model(&g, 18, "test_cpu_upsample");
    gl_graph *graph = NULL;
    gl_err err = {0};
    if (gl_onnx_load(m.p, m.n, NULL, &graph, &err) != GLINT_OK ||
        gl_graph_optimize(graph, &err) != GLINT_OK) {
        fprintf(stderr, "resize graph: %s\n", err.msg);
        gl_graph_free(graph);
        graph = NULL;
    }
    pbw_free(&m);
    return graph;
}

static void run_case(const rcase *rc) {
    gl_graph *g = resize_graph(rc);
    CHECK(g != NULL);
    if (!g) return;
    gl_shape in = {4, {N, C, rc->h, rc->w}};
    gl_plan *p = NULL;
    gl_err err = {0};
    CHECK_OK(gl_plan_build(g, &in, GLINT_PRECISION_FP32, &p, &err));
    if (!p || p->n_steps != 1) {
        gl_plan_free(p);
        gl_graph_free(g);
        return;
    }
    const gl_plan_step *s = &p->steps[0];
    const gl_plan_tensor *yt = &p->tensors[s->outputs[0]];
    const int64_t H = yt->shape.d[2], W = yt->shape.d[3];
    const size_t nx = (size_t)(N * C * rc->h * rc->w), ny = (size_t)(N * C) * (size_t)(H * W);
    float *x = malloc(nx * sizeof(float)), *yr = malloc(ny * sizeof(float)),
          *yf = malloc(ny * sizeof(float));
    tl_fill_uniform(x, nx, -1, 1);
    tl_poison(yr, ny);
    gl_tensor ti[8], to[1];
    gl_plan_step_views(p, s, NULL, ti, to);
    ti[0].data = x;
    to[0].data = yr;
    void *ws = s->workspace_bytes ? malloc(s->workspace_bytes) : NULL;
    CHECK_OK(s->op->run(s->params, ti, s->n_inputs, to, 1, ws, &err));
    bool expect = H == 2 * rc->h && W == 2 * rc->w;
    for (int64_t pl = 0; expect && pl < N * C; pl++)
        for (int64_t i = 0; expect && i < H; i++)
            for (int64_t j = 0; expect && j < W; j++)
                expect = memcmp(&yr[(pl * H + i) * W + j],
                                &x[(pl * rc->h + i / 2) * rc->w + j / 2], sizeof(float)) == 0;
    bool yes = false;
    CHECK_OK(gl_cpu_is_nearest2x(p, 0, gl_default_allocator(), &yes, &err));
    CHECK_MSG(yes == expect, "%s %s %s sizes=%d axes=%d %dx%d scale %g,%g: detected %d, reference %d",
              rc->mode, rc->coord, rc->nearest, rc->sizes, rc->axes, rc->h, rc->w, (double)rc->sh,
              (double)rc->sw, yes, expect);
    if (yes) {
        g_yes++;
        tl_poison(yf, ny);
        gl_cpu_upsample2x_run(x, yf, N * C, rc->h, rc->w, NULL);
        CHECK(memcmp(yf, yr, ny * sizeof(float)) == 0);
    }
    free(ws), free(x), free(yr), free(yf);
    gl_plan_free(p);
    gl_graph_free(g);
}

int main(void) {
    tl_seed_from_env();
    static const char *const coords[] = {"half_pixel", "asymmetric", "align_corners",
                                         "pytorch_half_pixel", "tf_half_pixel_for_nn"};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    int cases = 0;
    for (size_t c = 0; c < GL_ARRAY_LEN(coords); c++)
        for (size_t k = 0; k < GL_ARRAY_LEN(nearests); k++)
            for (int form = 0; form < 4; form++) {
                const rcase rc = {"nearest", coords[c], nearests[k], form & 1, form >> 1,
                                  5 + (int)k, 7 + (int)c, 2.0f, 2.0f};
                run_case(&rc);
                cases++;
            }
    const rcase others[] = {
        {"linear", "asymmetric", "floor", 0, 0, 6, 6, 2.0f, 2.0f},  /* not nearest */
        {"nearest", "asymmetric", "floor", 0, 0, 6, 6, 2.0f, 3.0f}, /* not 2x */
        {"nearest", "asymmetric", "floor", 1, 0, 1, 1, 2.0f, 2.0f}, /* one pixel */
        {"nearest", "half_pixel", "round_prefer_floor", 0, 1, 16, 3, 2.0f, 2.0f},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(others); i++, cases++) run_case(&others[i]);
    printf("%d Resize forms, %d of them nearest 2x\n", cases, g_yes);
    CHECK(g_yes > 10 && g_yes < cases - 10); /* both answers are exercised */
    return TEST_END();
}
