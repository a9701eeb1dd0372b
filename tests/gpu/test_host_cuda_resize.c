/* The CUDA Resize kernel's index math, run on the host (no GPU needed, only
 * a CUDA build): each case is lowered by the CUDA backend's own lowering
 * (gl_cuda_lower_resize), every output element is computed with the
 * kernel's helpers from cuda_resize_map.h (the same code nvcc compiles into
 * the kernel), and the result is compared with the reference kernel
 * (src/ops/op_resize.c) on fresh random inputs: exactly for nearest, within
 * 1e-6 for linear (the kernel blends in float, the reference in double).
 *
 * Written after the H200 run, where resize_nn_tf_half failed on the GPU
 * (max rel err 3.3): under tf_half_pixel_for_nn the reference transforms the
 * scale-1 batch and channel axes too (x -> x + 0.5, which nearest ceil reads
 * at x + 1), as the ONNX reference implementation does, while the kernel
 * read them as the identity. The first case is that GPU case; the test also
 * checks that the old identity reading of the leading axes would fail it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_lower.h"
#include "backend/cuda/cuda_resize_map.h"
#include "gpu_util.h"

static const char *k_coords[] = {"half_pixel", "asymmetric", "align_corners",
                                 "pytorch_half_pixel", "tf_half_pixel_for_nn"};
static const char *k_nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
static const float k_scales[] = {0.5f, 0.6f, 1.0f, 1.5f, 1.7f, 2.0f, 2.5f, 3.0f, 1.0f / 3.0f};

typedef struct rcase {
    int rank;
    int64_t dims[5];
    const char *mode, *coord, *nearest; /* nearest NULL for linear */
    bool sizes;                         /* sizes input instead of scales */
    float scale[2];                     /* on the last two axes */
    int64_t size[2];
} rcase;

static int g_refused, g_exact, g_linear;

static void describe(const rcase *c, char *buf, size_t n) {
    char shp[64] = "";
    size_t k = 0;
    for (int i = 0; i < c->rank; i++)
        k += (size_t)snprintf(shp + k, sizeof shp - k, "%s%lld", i ? "x" : "", (long long)c->dims[i]);
    if (c->sizes)
        snprintf(buf, n, "%s %s %s %s sizes %lldx%lld", shp, c->mode, c->coord,
                 c->nearest ? c->nearest : "", (long long)c->size[0], (long long)c->size[1]);
    else
        snprintf(buf, n, "%s %s %s %s scales %g,%g", shp, c->mode, c->coord,
                 c->nearest ? c->nearest : "", (double)c->scale[0], (double)c->scale[1]);
}

/* The kernel's output element i (cuda_layout.cu resize_kernel, on the host). */
static float emulate(const gk_resize *p, const float *x, int64_t i) {
    gk_resize_pick k = gk_resize_at(p, i);
    const float *xp = x + k.plane * ((int64_t)p->h * p->w);
    if (!p->linear) return xp[(int64_t)k.y0 * p->w + k.x0];
    return gk_resize_blend(xp[(int64_t)k.y0 * p->w + k.x0], xp[(int64_t)k.y0 * p->w + k.x1],
                           xp[(int64_t)k.y1 * p->w + k.x0], xp[(int64_t)k.y1 * p->w + k.x1],
                           k.lx, k.ly);
}

/* Runs one case; returns the number of mismatching elements with the
 * leading-axis map forced to the identity (the kernel before the fix). */
static long run_case(const rcase *c, const float *fixed_x, const float *want) {
    char what[160];
    describe(c, what, sizeof what);
    gu_graph b;
    gu_begin(&b, 17);
    gu_input(&b, "x", c->rank, c->dims);
    int r = c->rank;
    if (c->sizes) {
        int64_t sz[5];
        for (int i = 0; i < r; i++) sz[i] = c->dims[i];
        sz[r - 2] = c->size[0];
        sz[r - 1] = c->size[1];
        gu_ints(&b, "sizes", r, sz);
    } else {
        float sc[5];
        for (int i = 0; i < r; i++) sc[i] = 1.0f;
        sc[r - 2] = c->scale[0];
        sc[r - 1] = c->scale[1];
        gu_floats(&b, "scales", r, sc);
    }
    int n = c->sizes ? gu_node(&b, "Resize", L_("x", "", "", "sizes"), L_("y"))
                     : gu_node(&b, "Resize", L_("x", "", "scales"), L_("y"));
    gu_attr_s(&b, n, "mode", c->mode);
    gu_attr_s(&b, n, "coordinate_transformation_mode", c->coord);
    if (c->nearest) gu_attr_s(&b, n, "nearest_mode", c->nearest);
    gu_output(&b, "y");
    gl_err err;
    gl_err_clear(&err);
    CHECK_MSG(!b.bad, "%s: building: %s", what, b.err.msg);
    if (b.bad) return 0;
    gl_plan *plan = NULL;
    gl_shape shapes[1] = {b.g->values[b.g->inputs[0]].shape};
    glint_status st = gl_graph_finalize(b.g, &err);
    if (!st) st = gl_plan_build(b.g, shapes, GLINT_PRECISION_FP32, &plan, &err);
    CHECK_MSG(st == GLINT_OK, "%s: planning: %s", what, err.msg);
    long old_bad = 0;
    float *x = NULL, *ref = NULL;
    gl_cuda_prepared pp;
    memset(&pp, 0, sizeof pp);
    if (st) goto done;
    size_t nx = (size_t)gl_shape_numel(&shapes[0]);
    const gl_plan_tensor *yt = &plan->tensors[plan->outputs[0]];
    size_t ny = yt->bytes / sizeof(float);
    x = malloc(nx * sizeof(float));
    ref = malloc((ny ? ny : 1) * sizeof(float));
    CHECK(x && ref);
    if (!x || !ref) goto done;
    if (fixed_x) memcpy(x, fixed_x, nx * sizeof(float));
    else tl_fill_uniform(x, nx, -1.0f, 1.0f);
    tl_poison(ref, ny);
    st = gu_run_reference(plan, &x, &ref, &err);
    CHECK_MSG(st == GLINT_OK, "%s: reference: %s", what, err.msg);
    CHECK_MSG(st || gu_first_nan(ref, ny) < 0, "%s: reference left NaN", what);
    if (st) goto done;
    for (size_t i = 0; want && i < ny; i++)
        CHECK_MSG(ref[i] == want[i], "%s: reference element %zu is %g, the ONNX example says %g",
                  what, i, (double)ref[i], (double)want[i]);
    int si = -1;
    for (int k = 0; k < plan->n_steps; k++)
        if (!strcmp(plan->steps[k].op->name, "Resize")) si = k;
    CHECK_MSG(si >= 0, "%s: no Resize step in the plan", what);
    if (si < 0) goto done;
    pp.plan = plan;
    gl_cuda_lower L;
    memset(&L, 0, sizeof L);
    L.pp = &pp;
    L.plan = plan;
    L.g = plan->graph;
    st = gl_cuda_lower_resize(&L, si, &err);
    if (st) {
        /* Only a linear blend along a leading axis of size > 1 is refused. */
        bool lead_big = false;
        for (int i = 0; i < r - 2; i++) lead_big |= c->dims[i] > 1;
        bool expected = !c->nearest && !strcmp(c->coord, "tf_half_pixel_for_nn") && lead_big;
        CHECK_MSG(expected && st == GLINT_ERR_UNSUPPORTED && strstr(err.msg, "blends"),
                  "%s: lowering refused: %s", what, err.msg);
        g_refused++;
        goto done;
    }
    CHECK_MSG(pp.n_k == 1 && pp.k[0].kind == GK_RESIZE, "%s: %d descriptors", what, pp.n_k);
    if (pp.n_k != 1) goto done;
    gk_resize p = pp.k[0].u.resize;
    CHECK_MSG(p.nc * p.oh * p.ow == (int64_t)ny, "%s: descriptor covers %lld of %zu elements",
              what, (long long)(p.nc * p.oh * p.ow), ny);
    long bad = 0;
    int64_t first = -1;
    for (int64_t i = 0; i < (int64_t)ny; i++) {
        float got = emulate(&p, x, i);
        bool ok = c->nearest ? got == ref[i] : fabsf(got - ref[i]) <= 1e-6f;
        if (!ok && first < 0) first = i;
        bad += !ok;
    }
    CHECK_MSG(bad == 0, "%s: %ld of %zu elements differ (first %lld: kernel %g, reference %g)",
              what, bad, ny, (long long)first, first >= 0 ? (double)emulate(&p, x, first) : 0.0,
              first >= 0 ? (double)ref[first] : 0.0);
    if (c->nearest) g_exact++;
    else g_linear++;
    p.lead_shift = 0; /* the kernel before the fix */
    for (int64_t i = 0; i < (int64_t)ny; i++) old_bad += emulate(&p, x, i) != ref[i];
done:
    gl_free(plan ? plan->alloc : gl_default_allocator(), pp.k);
    if (plan) gl_plan_free(plan);
    gl_graph_free(b.g);
    free(x);
    free(ref);
    return old_bad;
}

static int64_t rnd(int64_t lo, int64_t hi) {
    return lo + (int64_t)(tl_rand_u64() % (uint64_t)(hi - lo + 1));
}

int main(void) {
    tl_seed_from_env();
    /* The H200 case: [2,3,6,10], scales 3.0 and 1.7, nearest ceil. */
    rcase gpu = {.rank = 4, .dims = {2, 3, 6, 10}, .mode = "nearest",
                 .coord = "tf_half_pixel_for_nn", .nearest = "ceil", .scale = {3.0f, 1.7f}};
    long old_bad = run_case(&gpu, NULL, NULL);
    CHECK_MSG(old_bad > 0, "the pre-fix kernel (leading axes as identity) should fail the H200 "
                           "case, but matched it");
    /* The ONNX node test resize_downsample_sizes_nearest_tf_half_pixel_for_nn
     * (1..16 in 4x4, sizes 3x2, round_prefer_floor): its expected output. */
    rcase spec = {.rank = 4, .dims = {1, 1, 4, 4}, .mode = "nearest",
                  .coord = "tf_half_pixel_for_nn", .nearest = "round_prefer_floor",
                  .sizes = true, .size = {3, 2}};
    float x16[16];
    for (int i = 0; i < 16; i++) x16[i] = (float)(i + 1);
    const float want[6] = {6, 8, 10, 12, 14, 16};
    (void)run_case(&spec, x16, want);
    /* Every transform with every rounding and linear, on random shapes of
     * rank 3 to 5, scales or sizes. */
    for (int iter = 0; iter < 4; iter++)
        for (size_t ci = 0; ci < GL_ARRAY_LEN(k_coords); ci++)
            for (int m = 0; m <= 4; m++) {
                rcase c = {.rank = (int)rnd(3, 5), .coord = k_coords[ci]};
                c.mode = m < 4 ? "nearest" : "linear";
                c.nearest = m < 4 ? k_nearest[m] : NULL;
                for (int i = 0; i < c.rank - 2; i++) c.dims[i] = rnd(1, 3);
                c.dims[c.rank - 2] = rnd(1, 9);
                c.dims[c.rank - 1] = rnd(1, 11);
                c.sizes = iter % 2 == 1;
                for (int a = 0; a < 2; a++) {
                    c.scale[a] = k_scales[rnd(0, (int64_t)GL_ARRAY_LEN(k_scales) - 1)];
                    c.size[a] = rnd(1, 20);
                    /* a scale that floors the axis to 0 is an invalid model */
                    while (!c.sizes && (int64_t)((double)c.dims[c.rank - 2 + a] * c.scale[a]) < 1)
                        c.scale[a] *= 2.0f;
                }
                (void)run_case(&c, NULL, NULL);
            }
    printf("resize index math: %d nearest cases exact, %d linear within 1e-6, %d refused (linear "
           "tf_half_pixel_for_nn over a leading axis)\n",
           g_exact, g_linear, g_refused);
    CHECK(g_exact >= 60);
    return TEST_END();
}
