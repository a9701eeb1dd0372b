/* Every operator the CUDA backend lowers, in FP32 (relative error <= 1e-4
 * against the reference kernels) and FP16 (<= 1e-2), on fresh random inputs
 * with NaN-poisoned outputs; FP16 convolutions both on the tensor-core path
 * and on the simple path (GLINT_CUDA_SIMPLE=1). One line per case, then the
 * totals. A failing case is reported and the next one runs. */
#include <stdio.h>
#include <stdlib.h>

#include "backend/cuda/cuda_internal.h"
#include "gpu_util.h"

#define L_(...) (const char *[]){__VA_ARGS__}, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *))
#define D_(...) (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__}

static void c_conv3x3(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){2, 8, 16, 16});
    gu_weight(b, "w", D_(16, 8, 3, 3), -0.3f, 0.3f);
    gu_weight(b, "bias", D_(16), -0.5f, 0.5f);
    int n = gu_node(b, "Conv", L_("x", "w", "bias"), L_("y"));
    gu_attr_ints(b, n, "pads", D_(1, 1, 1, 1));
    gu_output(b, "y");
}
static void c_conv_stride2(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){1, 8, 17, 15});
    gu_weight(b, "w", D_(16, 8, 3, 3), -0.3f, 0.3f);
    gu_weight(b, "bias", D_(16), -0.5f, 0.5f);
    int n = gu_node(b, "Conv", L_("x", "w", "bias"), L_("y"));
    gu_attr_ints(b, n, "pads", D_(1, 1, 1, 1));
    gu_attr_ints(b, n, "strides", D_(2, 2));
    gu_output(b, "y");
}
static void c_conv1x1_nobias(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){2, 32, 8, 8});
    gu_weight(b, "w", D_(24, 32, 1, 1), -0.3f, 0.3f);
    gu_node(b, "Conv", L_("x", "w"), L_("y"));
    gu_output(b, "y");
}
static void c_conv_group_dilated(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){1, 8, 12, 12});
    gu_weight(b, "w", D_(8, 4, 3, 3), -0.3f, 0.3f);
    gu_weight(b, "bias", D_(8), -0.5f, 0.5f);
    int n = gu_node(b, "Conv", L_("x", "w", "bias"), L_("y"));
    gu_attr_ints(b, n, "pads", D_(2, 2, 2, 2));
    gu_attr_ints(b, n, "dilations", D_(2, 2));
    gu_attr_i(b, n, "group", 2);
    gu_output(b, "y");
}
static void c_conv_depthwise(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){1, 16, 10, 10});
    gu_weight(b, "w", D_(16, 1, 3, 3), -0.5f, 0.5f);
    int n = gu_node(b, "Conv", L_("x", "w"), L_("y"));
    gu_attr_ints(b, n, "pads", D_(1, 1, 1, 1));
    gu_attr_i(b, n, "group", 16);
    gu_output(b, "y");
}
static void c_conv1d(gu_graph *b) {
    gu_input(b, "x", 3, (int64_t[]){2, 8, 20});
    gu_weight(b, "w", D_(8, 8, 5), -0.3f, 0.3f);
    int n = gu_node(b, "Conv", L_("x", "w"), L_("y"));
    gu_attr_ints(b, n, "pads", D_(2, 2));
    gu_output(b, "y");
}
static void c_conv5x5_asym(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){1, 4, 9, 11});
    gu_weight(b, "w", D_(8, 4, 5, 5), -0.2f, 0.2f);
    int n = gu_node(b, "Conv", L_("x", "w"), L_("y"));
    gu_attr_ints(b, n, "pads", D_(1, 2, 3, 0));
    gu_output(b, "y");
}
static void c_conv_relu(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){2, 16, 12, 12});
    gu_weight(b, "w", D_(32, 16, 3, 3), -0.2f, 0.2f);
    gu_weight(b, "bias", D_(32), -0.5f, 0.5f);
    int n = gu_node(b, "Conv", L_("x", "w", "bias"), L_("c"));
    gu_attr_ints(b, n, "pads", D_(1, 1, 1, 1));
    gu_node(b, "Relu", L_("c"), L_("y"));
    gu_output(b, "y");
}
static void c_conv_film_residual(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){2, 16, 8, 8});
    gu_input(b, "gamma", 4, (int64_t[]){2, 16, 1, 1});
    gu_input(b, "beta", 4, (int64_t[]){2, 16, 1, 1});
    gu_input(b, "res", 4, (int64_t[]){2, 16, 8, 8});
    gu_weight(b, "w", D_(16, 16, 3, 3), -0.2f, 0.2f);
    gu_weight(b, "bias", D_(16), -0.5f, 0.5f);
    int n = gu_node(b, "Conv", L_("x", "w", "bias"), L_("c"));
    gu_attr_ints(b, n, "pads", D_(1, 1, 1, 1));
    gu_node(b, "Mul", L_("c", "gamma"), L_("m"));
    gu_node(b, "Add", L_("m", "beta"), L_("a"));
    gu_node(b, "Add", L_("a", "res"), L_("r"));
    n = gu_node(b, "LeakyRelu", L_("r"), L_("y"));
    gu_attr_f(b, n, "alpha", 0.2f);
    gu_output(b, "y");
}
static void c_upsample_conv(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){1, 16, 8, 8});
    gu_floats(b, "scales", 4, (float[]){1, 1, 2, 2});
    gu_weight(b, "w", D_(16, 16, 3, 3), -0.2f, 0.2f);
    int n = gu_node(b, "Resize", L_("x", "", "scales"), L_("u"));
    gu_attr_s(b, n, "mode", "nearest");
    n = gu_node(b, "Conv", L_("u", "w"), L_("y"));
    gu_attr_ints(b, n, "pads", D_(1, 1, 1, 1));
    gu_output(b, "y");
}
static void c_concat_conv(gu_graph *b) {
    gu_input(b, "a", 4, (int64_t[]){1, 8, 16, 16});
    gu_input(b, "c", 4, (int64_t[]){1, 24, 16, 16});
    gu_weight(b, "w", D_(16, 32, 3, 3), -0.2f, 0.2f);
    int n = gu_node(b, "Concat", L_("a", "c"), L_("cat"));
    gu_attr_i(b, n, "axis", 1);
    n = gu_node(b, "Conv", L_("cat", "w"), L_("y"));
    gu_attr_ints(b, n, "pads", D_(1, 1, 1, 1));
    gu_output(b, "y");
}
static void c_conv_big(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){4, 64, 16, 16});
    gu_weight(b, "w", D_(72, 64, 3, 3), -0.1f, 0.1f);
    gu_weight(b, "bias", D_(72), -0.5f, 0.5f);
    int n = gu_node(b, "Conv", L_("x", "w", "bias"), L_("y"));
    gu_attr_ints(b, n, "pads", D_(1, 1, 1, 1));
    gu_output(b, "y");
}
static void c_convt(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){1, 8, 8, 8});
    gu_weight(b, "w", D_(8, 4, 4, 4), -0.3f, 0.3f);
    gu_weight(b, "bias", D_(4), -0.5f, 0.5f);
    int n = gu_node(b, "ConvTranspose", L_("x", "w", "bias"), L_("y"));
    gu_attr_ints(b, n, "strides", D_(2, 2));
    gu_attr_ints(b, n, "pads", D_(1, 1, 1, 1));
    gu_output(b, "y");
}
static void unary(gu_graph *b, const char *op) {
    gu_input(b, "x", 4, (int64_t[]){2, 3, 5, 7});
    int n = gu_node(b, op, L_("x"), L_("y"));
    if (!strcmp(op, "LeakyRelu")) gu_attr_f(b, n, "alpha", 0.1f);
    gu_output(b, "y");
}
static void c_relu(gu_graph *b) { unary(b, "Relu"); }
static void c_leaky(gu_graph *b) { unary(b, "LeakyRelu"); }
static void c_sigmoid(gu_graph *b) { unary(b, "Sigmoid"); }
static void c_tanh(gu_graph *b) { unary(b, "Tanh"); }
static void c_erf(gu_graph *b) { unary(b, "Erf"); }
static void c_exp(gu_graph *b) { unary(b, "Exp"); }
static void c_clip(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){2, 3, 5, 7});
    gl_const *lo = gu_const(b, "lo", GLINT_DTYPE_FLOAT32, 0, NULL); /* scalars */
    gl_const *hi = gu_const(b, "hi", GLINT_DTYPE_FLOAT32, 0, NULL);
    if (lo) ((float *)lo->data)[0] = -0.5f;
    if (hi) ((float *)hi->data)[0] = 0.4f;
    gu_node(b, "Clip", L_("x", "lo", "hi"), L_("y"));
    gu_output(b, "y");
}
static void binary(gu_graph *b, const char *op, int rank_b, const int64_t *db) {
    gu_input(b, "x", 4, (int64_t[]){2, 4, 5, 6});
    gu_input(b, "z", rank_b, db);
    gu_node(b, op, L_("x", "z"), L_("y"));
    gu_output(b, "y");
}
static void c_add_bc(gu_graph *b) { binary(b, "Add", 4, (int64_t[]){1, 4, 1, 1}); }
static void c_mul_bc(gu_graph *b) { binary(b, "Mul", 4, (int64_t[]){2, 4, 1, 1}); }
static void c_sub_bc(gu_graph *b) { binary(b, "Sub", 1, (int64_t[]){6}); }
static void c_div(gu_graph *b) { binary(b, "Div", 4, (int64_t[]){2, 4, 5, 6}); }
static void c_gemm(gu_graph *b) {
    gu_input(b, "a", 2, (int64_t[]){4, 8});
    gu_weight(b, "w", D_(16, 8), -0.5f, 0.5f);
    gu_weight(b, "bias", D_(16), -0.5f, 0.5f);
    int n = gu_node(b, "Gemm", L_("a", "w", "bias"), L_("y"));
    gu_attr_i(b, n, "transB", 1);
    gu_attr_f(b, n, "alpha", 0.5f);
    gu_attr_f(b, n, "beta", 2.0f);
    gu_output(b, "y");
}
static void c_matmul(gu_graph *b) {
    gu_input(b, "a", 3, (int64_t[]){2, 3, 8});
    gu_weight(b, "w", D_(8, 5), -0.5f, 0.5f);
    gu_node(b, "MatMul", L_("a", "w"), L_("y"));
    gu_output(b, "y");
}
static void c_gap(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){2, 8, 7, 9});
    gu_node(b, "GlobalAveragePool", L_("x"), L_("y"));
    gu_output(b, "y");
}
static void c_instnorm(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){2, 4, 6, 6});
    gu_weight(b, "s", D_(4), 0.5f, 1.5f);
    gu_weight(b, "bias", D_(4), -0.5f, 0.5f);
    gu_node(b, "InstanceNormalization", L_("x", "s", "bias"), L_("y"));
    gu_output(b, "y");
}
static void c_transpose(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){2, 3, 4, 5});
    int n = gu_node(b, "Transpose", L_("x"), L_("y"));
    gu_attr_ints(b, n, "perm", D_(0, 2, 3, 1));
    gu_output(b, "y");
}
static void c_pad_const(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){1, 2, 5, 6});
    gu_ints(b, "pads", 8, (int64_t[]){0, 0, 1, 2, 0, 0, 2, 1});
    gu_node(b, "Pad", L_("x", "pads"), L_("y"));
    gu_output(b, "y");
}
static void c_pad_reflect(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){1, 2, 5, 6});
    gu_ints(b, "pads", 8, (int64_t[]){0, 0, 1, 2, 0, 0, 2, 1});
    int n = gu_node(b, "Pad", L_("x", "pads"), L_("y"));
    gu_attr_s(b, n, "mode", "reflect");
    gu_output(b, "y");
}
static void c_slice(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){2, 32, 1, 1});
    gu_ints(b, "st0", 1, (int64_t[]){0});
    gu_ints(b, "en0", 1, (int64_t[]){16});
    gu_ints(b, "st1", 1, (int64_t[]){16});
    gu_ints(b, "en1", 1, (int64_t[]){INT64_MAX});
    gu_ints(b, "ax", 1, (int64_t[]){1});
    gu_node(b, "Slice", L_("x", "st0", "en0", "ax"), L_("y0"));
    gu_node(b, "Slice", L_("x", "st1", "en1", "ax"), L_("y1"));
    gu_output(b, "y0");
    gu_output(b, "y1");
}
static void c_concat_axis2(gu_graph *b) {
    gu_input(b, "a", 4, (int64_t[]){2, 3, 4, 5});
    gu_input(b, "c", 4, (int64_t[]){2, 3, 2, 5});
    int n = gu_node(b, "Concat", L_("a", "c"), L_("y"));
    gu_attr_i(b, n, "axis", 2);
    gu_output(b, "y");
}
static void c_reshape_relu(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){2, 8, 4, 4});
    gu_ints(b, "shape", 2, (int64_t[]){2, 128});
    gu_node(b, "Reshape", L_("x", "shape"), L_("r"));
    gu_node(b, "Relu", L_("r"), L_("y"));
    gu_output(b, "y");
}
static void c_resize_linear(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){1, 3, 5, 7});
    gu_ints(b, "sizes", 4, (int64_t[]){1, 3, 10, 14});
    int n = gu_node(b, "Resize", L_("x", "", "", "sizes"), L_("y"));
    gu_attr_s(b, n, "mode", "linear");
    gu_output(b, "y");
}
static void c_batchnorm(gu_graph *b) {
    gu_input(b, "x", 4, (int64_t[]){2, 4, 5, 5});
    gu_weight(b, "s", D_(4), 0.5f, 1.5f);
    gu_weight(b, "bias", D_(4), -0.5f, 0.5f);
    gu_weight(b, "mean", D_(4), -0.5f, 0.5f);
    gu_weight(b, "var", D_(4), 0.5f, 2.0f);
    gu_node(b, "BatchNormalization", L_("x", "s", "bias", "mean", "var"), L_("y"));
    gu_output(b, "y");
}

typedef struct op_case {
    const char *name;
    void (*build)(gu_graph *b);
} op_case;

static const op_case g_cases[] = {
    {"conv3x3", c_conv3x3}, {"conv_stride2", c_conv_stride2}, {"conv1x1_nobias", c_conv1x1_nobias},
    {"conv_group_dilated", c_conv_group_dilated}, {"conv_depthwise", c_conv_depthwise},
    {"conv1d", c_conv1d}, {"conv5x5_asym_pads", c_conv5x5_asym}, {"conv_relu", c_conv_relu},
    {"conv_film_residual", c_conv_film_residual}, {"upsample_conv", c_upsample_conv},
    {"concat_conv", c_concat_conv}, {"conv_big", c_conv_big}, {"conv_transpose", c_convt},
    {"relu", c_relu}, {"leaky_relu", c_leaky}, {"sigmoid", c_sigmoid}, {"tanh", c_tanh},
    {"erf", c_erf}, {"exp", c_exp}, {"clip", c_clip}, {"add_bcast", c_add_bc},
    {"mul_film_bcast", c_mul_bc}, {"sub_bcast_last", c_sub_bc}, {"div", c_div}, {"gemm", c_gemm},
    {"matmul", c_matmul}, {"global_avg_pool", c_gap}, {"instance_norm", c_instnorm},
    {"transpose", c_transpose}, {"pad_constant", c_pad_const}, {"pad_reflect", c_pad_reflect},
    {"slice", c_slice}, {"concat_axis2", c_concat_axis2}, {"reshape_relu", c_reshape_relu},
    {"resize_linear", c_resize_linear}, {"batchnorm", c_batchnorm},
};

#define MAX_IO 8

/* One case in one precision and mode; prints one line, counts one check. */
static void run_case(const op_case *oc, gl_graph *g, glint_precision prec, bool simple) {
    const char *pname = prec == GLINT_PRECISION_FP16 ? "fp16" : "fp32";
    const char *mode = simple ? "simple" : "fast";
    double tol = prec == GLINT_PRECISION_FP16 ? 1e-2 : 1e-4;
    if (simple) setenv("GLINT_CUDA_SIMPLE", "1", 1);
    else unsetenv("GLINT_CUDA_SIMPLE");
    gl_err err;
    gl_err_clear(&err);
    gl_shape shapes[MAX_IO];
    float *in[MAX_IO] = {0}, *ref[MAX_IO] = {0}, *got[MAX_IO] = {0};
    size_t n_out_el[MAX_IO] = {0};
    gl_plan *plan = NULL;
    gu_cuda cu = {0};
    for (int i = 0; i < g->n_inputs; i++) shapes[i] = g->values[g->inputs[i]].shape;
    glint_status st = gl_plan_build(g, shapes, prec, &plan, &err);
    for (int i = 0; !st && i < g->n_inputs; i++) {
        size_t n = (size_t)gl_shape_numel(&shapes[i]);
        in[i] = malloc((n ? n : 1) * sizeof(float));
        bool positive = !strcmp(oc->name, "div");
        tl_fill_uniform(in[i], n, positive && i == 1 ? 0.5f : -1.0f, positive && i == 1 ? 2.0f : 1.0f);
    }
    for (int i = 0; !st && i < g->n_outputs; i++) {
        const gl_plan_tensor *t = &plan->tensors[plan->outputs[i]];
        n_out_el[i] = t->bytes / sizeof(float);
        ref[i] = malloc(t->bytes + 4);
        got[i] = malloc(t->bytes + 4);
        tl_poison(ref[i], n_out_el[i]);
        tl_poison(got[i], n_out_el[i]);
    }
    if (!st) st = gu_run_reference(plan, in, ref, &err);
    if (st) {
        tl_failed++;
        printf("FAIL %-22s %s %-6s reference: %s\n", oc->name, pname, mode, err.msg);
        goto done;
    }
    st = gu_cuda_open(&cu, g, plan, prec, 0, 0, &err);
    if (!st) st = gu_cuda_run(&cu, in, got, &err);
    if (st) {
        tl_failed++;
        printf("FAIL %-22s %s %-6s cuda: %s: %s\n", oc->name, pname, mode, glint_status_name(st),
               err.msg);
        goto done;
    }
    double worst = 0;
    long nan_at = -1;
    for (int i = 0; i < g->n_outputs; i++) {
        long k = gu_first_nan(got[i], n_out_el[i]);
        if (k >= 0 && nan_at < 0) nan_at = k;
        double e = gu_rel_err(got[i], ref[i], n_out_el[i]);
        if (!(e <= worst)) worst = e;
    }
    const gl_cuda_prepared *pv = cu.prep;
    if (nan_at < 0 && worst <= tol) {
        tl_passed++;
        printf("PASS %-22s %s %-6s max_rel_err=%.2e (tol %.0e) kernels=%d tensor_core_convs=%d\n",
               oc->name, pname, mode, worst, tol, pv->n_k, pv->n_wmma);
    } else {
        tl_failed++;
        printf("FAIL %-22s %s %-6s max_rel_err=%.2e (tol %.0e)%s kernels=%d tensor_core_convs=%d\n",
               oc->name, pname, mode, worst, tol, nan_at >= 0 ? " NaN left (output not fully written)" : "",
               pv->n_k, pv->n_wmma);
    }
done:
    gu_cuda_close(&cu);
    if (plan) gl_plan_free(plan);
    for (int i = 0; i < MAX_IO; i++) { free(in[i]); free(ref[i]); free(got[i]); }
    unsetenv("GLINT_CUDA_SIMPLE");
}

int main(void) {
    gu_require_gpu();
    tl_seed_from_env();
    for (size_t c = 0; c < GL_ARRAY_LEN(g_cases); c++) {
        const op_case *oc = &g_cases[c];
        gu_graph b;
        gu_begin(&b, 17);
        oc->build(&b);
        gl_err err;
        gl_err_clear(&err);
        glint_status st = b.bad ? GLINT_ERR_INTERNAL : gl_graph_finalize(b.g, &err);
        if (st) {
            tl_failed++;
            printf("FAIL %-22s building the graph: %s\n", oc->name, b.bad ? b.err.msg : err.msg);
        } else {
            run_case(oc, b.g, GLINT_PRECISION_FP32, false);
            run_case(oc, b.g, GLINT_PRECISION_FP16, false);
            run_case(oc, b.g, GLINT_PRECISION_FP16, true);
        }
        if (b.g) gl_graph_free(b.g);
    }
    return TEST_END();
}
