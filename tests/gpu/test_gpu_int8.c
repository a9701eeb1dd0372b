/* INT8 convolutions on the GPU against the quantised CPU reference, on fresh
 * random inputs with NaN-poisoned outputs. Each case is a small graph,
 * calibrated on random samples (every layer kept in int8), planned and
 * rewritten as an INT8 engine on CUDA plans it (QuantizeLinear + QConv,
 * float between layers in the plan), then run three ways:
 *   fp32 fast    float storage: the int32 sums must be exact, so the output
 *                equals the reference's to float rounding (max error <= 2e-6
 *                of the output rms; one unit of the accumulator is 1e-5 to
 *                1e-4 of it in these cases); a chain <= 2e-2 per int8
 *                conv in series that quantises another's float output:
 *                where the GPU rounds that one ulp apart from the reference
 *                (contracted multiply-adds of the epilogue) a value on a
 *                code boundary takes the neighbouring code (H200: once in
 *                five runs, 5.4e-3, in the fast and simple paths alike;
 *                nhwc_chain_b40, three in series, 2.72e-2 in both paths
 *                once, 0 in the runs before);
 *   fp32 simple  the same on the SIMT loop alone (GLINT_CUDA_SIMPLE=1);
 *   int8 fast    what an INT8 engine runs: half storage (inputs drawn on the
 *                half grid, so the codes are the reference's), max error
 *                <= 1e-2 of the rms, FP16's per-operator bound; a chain
 *                <= 5e-2 per int8 conv in series that quantises another's
 *                output: it does so after that output's rounding to half,
 *                so a value that close to a code boundary takes the
 *                neighbouring code, and the flips of each such conv add
 *                (H200: two convs, one run, 1.8e-2; nhwc_chain, three in
 *                series, 2.8e-2 to 6.1e-2 over 20 runs, 3 of them past the
 *                5e-2 it first had, before and after the eleventh
 *                session's kernels alike). Where a conv's readers are all
 *                INT8 tensor-core convs it writes their codes instead,
 *                quantised from the float result as the reference does
 *                (gk_conv.y_codes, cuda_lower_layout.c): the `codes`
 *                cases must read them there, and only there.
 * Cases marked `imma` must run on the INT8 tensor cores in fast mode.
 * One line per run, then the totals. GLINT_GPU_INT8_DRY=1 runs only the
 * calibration, planning and reference half (no GPU needed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_internal.h"
#include "gpu_util.h"

/* batch 2, 8 input channels: the SIMT loop */
static void c_conv3x3_relu(gu_graph *b) {
    gu_build_conv_act(b, &(gu_conv_layer){2, 8, 16, 16, 3, 1, 0.3f, true}, "Relu");
}
/* A U-Net decoder: Concat(Resize(deep), skip) read in one pass, quantised
 * on the way; batch 40 (single-group blocks), then batch 1 (input
 * channels split over groups of warps). */
static void unet_decoder(gu_graph *b, int64_t batch) {
    gu_upsample_concat_conv(b, (int64_t[]){batch, 32, 8, 8}, (int64_t[]){batch, 16, 16, 16}, 32,
                            true, true);
}
static void c_unet_decoder_b40(gu_graph *b) { unet_decoder(b, 40); }
static void c_unet_decoder_b1(gu_graph *b) { unet_decoder(b, 1); }
/* FiLM: the epilogue reads a scale (plus one) and a shift per sample and
 * channel from the style projection (gu_film_conv); then a second conv
 * quantises the first's float output. */
static void c_film_chain(gu_graph *b) {
    gu_film_conv(b, 40, 16, 32, 16, "r");
    gu_weight(b, "w2", D_(16, 32, 3, 3), -0.2f, 0.2f);
    int n = gu_node(b, "Conv", L_("r", "w2"), L_("y"));
    gu_attr_ints(b, n, "pads", D_(1, 1, 1, 1));
    gu_output(b, "y");
}
/* INT8 convs handing each other NHWC activations (gu_nhwc_chain), batch 1
 * (input channels split over groups of warps) and 40, every one as int8
 * codes: the first conv's output, read by a stride-2 conv and a decoder
 * concat, as two variants; the decoder's, read by a tensor-core conv and
 * the SIMT loop's 1-channel conv, as one. */
static void c_nhwc_chain(gu_graph *b) { gu_nhwc_chain(b, 1, false); }
static void c_nhwc_chain_b40(gu_graph *b) { gu_nhwc_chain(b, 40, false); }
/* The same over 80 channels (gu_nhwc_pipeline), batch 48. */
static void c_nhwc_pipeline(gu_graph *b) { gu_nhwc_pipeline(b, 48); }
/* A QDQ graph as quantisation tools export it, x -> QuantizeLinear ->
 * DequantizeLinear -> Conv 3x3 (c -> c channels, batch n, 16x16): uint8
 * activations (zero point 128, codes shifted to signed on the GPU) or int8
 * ones (zero point -2); no calibration run. With residual an Add reads the
 * DequantizeLinear too. */
static void qdq_conv(gu_graph *b, int64_t n, int64_t c, bool u8, bool residual) {
    gu_input(b, "x", 4, (int64_t[]){n, c, 16, 16});
    gu_floats(b, "xs", 1, (float[]){u8 ? 2.0f / 255.0f : 1.0f / 127.0f});
    gl_const *zp = gu_const(b, "xz", u8 ? GLINT_DTYPE_UINT8 : GLINT_DTYPE_INT8, 0, NULL);
    if (zp && u8) *(uint8_t *)zp->data = 128;
    if (zp && !u8) *(int8_t *)zp->data = -2;
    gu_weight(b, "w", D_(c, c, 3, 3), -0.2f, 0.2f);
    gu_weight(b, "bias", D_(c), -0.5f, 0.5f);
    gu_node(b, "QuantizeLinear", L_("x", "xs", "xz"), L_("xq"));
    gu_node(b, "DequantizeLinear", L_("xq", "xs", "xz"), L_("xd"));
    int k = gu_node(b, "Conv", L_("xd", "w", "bias"), L_(residual ? "c" : "y"));
    gu_attr_ints(b, k, "pads", D_(1, 1, 1, 1));
    if (residual) gu_node(b, "Add", L_("c", "xd"), L_("y"));
    gu_output(b, "y");
}
static void c_qdq_uint8(gu_graph *b) { qdq_conv(b, 40, 32, true, false); }
/* A QDQ input that a conv and an Add both read: the conv runs as a QConv,
 * the Add reads the DequantizeLinear, which on CUDA runs with its
 * QuantizeLinear as one kernel (GKU_QDQ); uint8 codes or int8 ones (zero
 * point -2, so that the lowest inputs saturate). */
static void c_qdq_residual_u8(gu_graph *b) { qdq_conv(b, 8, 16, true, true); }
static void c_qdq_residual_s8(gu_graph *b) { qdq_conv(b, 8, 16, false, true); }

typedef struct int8_case {
    const char *name;
    void (*build)(gu_graph *b); /* or NULL: the single convolution `conv` */
    gu_conv_layer conv;
    bool imma;      /* fast mode must use the INT8 tensor cores */
    bool qdq;       /* scales from the graph's QDQ pairs, not calibration */
    int chain;      /* int8 convs in series that quantise another's output */
    bool nhwc;      /* fast mode must hand NHWC activations between convs */
    int codes;      /* INT8 engines: convs that must read int8 codes (gk_conv.x_codes) */
} int8_case;

/* (Launches of fewer blocks than two per SM split their input channels
 * over 2 or 4 groups of warps: the split cases; the others take large
 * batches for single-group blocks of 16-64 channels.) */
static const int8_case g_cases[] = {
    {.name = "conv3x3_relu", .build = c_conv3x3_relu},
    /* one input channel (a first layer), one output (a last) */
    {.name = "first_layer", .conv = {4, 1, 24, 16, 3, 1, 0.5f, true}},
    {.name = "last_layer", .conv = {4, 16, 21, 1, 3, 1, 0.2f, true}},
    /* batch 32 x 64 channels: 16-channel blocks, 40 outputs (a partial block) */
    {.name = "conv_big", .conv = {32, 64, 16, 40, 3, 1, 0.1f, true}, .imma = true},
    /* 64-channel blocks; 30x30 output (partial tiles); no bias */
    {.name = "conv_wide", .conv = {48, 16, 30, 64, 3, 1, 0.2f, false}, .imma = true},
    /* 32-channel blocks (640 tiles) */
    {.name = "conv_mt32", .conv = {40, 16, 32, 32, 3, 1, 0.2f, true}, .imma = true},
    {.name = "conv3x3_s2", .conv = {40, 32, 32, 32, 3, 2, 0.2f, true}, .imma = true},
    {.name = "conv1x1_s2", .conv = {96, 32, 16, 48, 1, 2, 0.3f, true}, .imma = true},
    {.name = "unet_decoder_b40", .build = c_unet_decoder_b40, .imma = true},
    {.name = "unet_decoder_b1", .build = c_unet_decoder_b1, .imma = true},
    /* split over 4 groups: chunks of 32, 32, 32 and 16 channels, 40 outputs */
    {.name = "split4_1x1", .conv = {1, 112, 8, 40, 1, 1, 0.2f, true}, .imma = true},
    /* split over 2: a 15-wide input (no whole-vector rows), stride 2 */
    {.name = "split2_s2", .conv = {1, 48, 15, 24, 3, 2, 0.2f, true}, .imma = true},
    {.name = "film_chain", .build = c_film_chain, .imma = true, .chain = 1, .nhwc = true,
     .codes = 1},
    {.name = "nhwc_chain", .build = c_nhwc_chain, .imma = true, .chain = 3, .nhwc = true,
     .codes = 4},
    {.name = "nhwc_chain_b40", .build = c_nhwc_chain_b40, .imma = true, .chain = 3, .nhwc = true,
     .codes = 4},
    {.name = "nhwc_pipeline", .build = c_nhwc_pipeline, .imma = true, .chain = 2, .nhwc = true,
     .codes = 2},
    {.name = "qdq_uint8", .build = c_qdq_uint8, .imma = true, .qdq = true},
    {.name = "qdq_residual_u8", .build = c_qdq_residual_u8, .imma = true, .qdq = true},
    {.name = "qdq_residual_s8", .build = c_qdq_residual_s8, .imma = true, .qdq = true},
};

#define MAX_IO 4
#define N_SAMPLES 2

static void fill_input(float *x, size_t n) {
    tl_fill_uniform(x, n, -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++) x[i] = gl_f16_to_f32(gl_f32_to_f16(x[i])); /* the half grid */
}

/* The calibration (or the QDQ scales) of case graph g: every layer int8. */
static glint_status calibrate(const int8_case *ic, gl_graph *g, gl_calib **out, gl_err *err) {
    if (ic->qdq) return gl_calib_from_qdq(g, out, err);
    static float *data[N_SAMPLES][MAX_IO];
    gl_tensor t[N_SAMPLES][MAX_IO];
    const gl_tensor *samples[N_SAMPLES];
    for (int k = 0; k < N_SAMPLES; k++) {
        for (int i = 0; i < g->n_inputs; i++) {
            const gl_shape *s = &g->values[g->inputs[i]].shape;
            size_t n = (size_t)gl_shape_numel(s);
            data[k][i] = malloc(n * sizeof(float));
            tl_fill_uniform(data[k][i], n, -1.0f, 1.0f);
            t[k][i] = (gl_tensor){GLINT_DTYPE_FLOAT32, *s, data[k][i]};
        }
        samples[k] = t[k];
    }
    gl_calib_options o;
    gl_calib_options_init(&o);
    o.threshold = 1e9f; /* keep every layer in int8 */
    glint_status st = gl_calibrate(g, samples, N_SAMPLES, &o, out, err);
    for (int k = 0; k < N_SAMPLES; k++)
        for (int i = 0; i < g->n_inputs; i++) free(data[k][i]);
    return st;
}

static void run(const int8_case *ic, const gl_graph *g, const gl_plan *plan, float *const *in,
                float *const *ref, const size_t *n_out, glint_precision prec, bool simple) {
    const char *mode = simple ? "simple" : "fast";
    const char *pname = prec == GLINT_PRECISION_INT8 ? "int8/f16" : "int8/f32";
    const double tol = prec != GLINT_PRECISION_INT8 ? (ic->chain ? 2e-2 * ic->chain : 2e-6)
                       : ic->chain                  ? 5e-2 * ic->chain
                                                    : 1e-2;
    float *got[MAX_IO] = {0};
    for (int i = 0; i < g->n_outputs; i++) {
        got[i] = malloc(n_out[i] * sizeof(float) + 4);
        tl_poison(got[i], n_out[i]);
    }
    if (simple) setenv("GLINT_CUDA_SIMPLE", "1", 1);
    gu_cuda cu = {0};
    gl_err err;
    gl_err_clear(&err);
    glint_status st = gu_cuda_open(&cu, g, plan, prec, 0, 0, &err);
    if (!st) st = gu_cuda_run(&cu, in, got, &err);
    unsetenv("GLINT_CUDA_SIMPLE");
    if (st) {
        tl_failed++;
        printf("FAIL %-18s %s %-6s cuda: %s: %s\n", ic->name, pname, mode, glint_status_name(st),
               err.msg);
    } else {
        double worst = 0;
        long nan_at = -1;
        for (int i = 0; i < g->n_outputs; i++) {
            long k = gu_first_nan(got[i], n_out[i]);
            if (k >= 0 && nan_at < 0) nan_at = k;
            double e = gu_rel_err(got[i], ref[i], n_out[i]);
            if (!(e <= worst)) worst = e;
        }
        const gl_cuda_prepared *pv = cu.prep;
        int imma = 0;
        for (int j = 0; j < pv->n_k; j++) imma += pv->k[j].kind == GK_CONV_IMMA;
        bool cores_ok = simple ? imma == 0 : !ic->imma || imma > 0;
        int nhwc_in, nhwc_out;
        gu_nhwc_convs(pv, &nhwc_in, &nhwc_out);
        bool layout_ok = simple ? nhwc_in + nhwc_out == 0 : !ic->nhwc || nhwc_in > 0;
        int code_in, code_out;
        gu_code_convs(pv, &code_in, &code_out);
        const int codes_want = prec == GLINT_PRECISION_INT8 && !simple ? ic->codes : 0;
        bool codes_ok = code_in == codes_want && (code_in > 0) == (code_out > 0);
        bool ok = nan_at < 0 && worst <= tol && cores_ok && layout_ok && codes_ok;
        if (ok) tl_passed++;
        else tl_failed++;
        printf("%s %-18s %s %-6s max_rel_err=%.2e (tol %.0e) kernels=%d int8_tensor_core_convs=%d "
               "nhwc=%d/%d codes=%d/%d%s%s",
               ok ? "PASS" : "FAIL", ic->name, pname, mode, worst, tol, pv->n_k, imma, nhwc_in,
               nhwc_out, code_in, code_out, cores_ok ? "" : " (expected on the tensor cores)",
               layout_ok ? "" : " (expected NHWC between convs)");
        if (!codes_ok) printf(" (expected %d convs reading int8 codes)", codes_want);
        if (nan_at >= 0) printf(" NaN left at element %ld (output not fully written)", nan_at);
        printf("\n");
    }
    gu_cuda_close(&cu);
    for (int i = 0; i < MAX_IO; i++) free(got[i]);
}

static void run_case(const int8_case *ic, gl_graph *g) {
    gl_err err;
    gl_err_clear(&err);
    gl_shape shapes[MAX_IO];
    float *in[MAX_IO] = {0}, *ref[MAX_IO] = {0};
    size_t n_out[MAX_IO] = {0};
    gl_plan *plan = NULL;
    gl_calib *cal = NULL;
    gl_quant_rewrite_stats qs = {0};
    for (int i = 0; i < g->n_inputs; i++) shapes[i] = g->values[g->inputs[i]].shape;
    glint_status st = calibrate(ic, g, &cal, &err);
    if (!st) st = gl_plan_build(g, shapes, GLINT_PRECISION_INT8, &plan, &err);
    if (!st) st = gl_quant_rewrite_plan(plan, cal, gl_backend_cuda()->int8_requantize, &qs, &err);
    if (!st && qs.layers_int8 == 0)
        st = gl_fail(&err, GLINT_ERR_INTERNAL, "no convolution was rewritten to int8");
    for (int i = 0; !st && i < g->n_inputs; i++) {
        size_t n = (size_t)gl_shape_numel(&shapes[i]);
        in[i] = malloc(n * sizeof(float));
        fill_input(in[i], n);
    }
    for (int i = 0; !st && i < g->n_outputs; i++) {
        const gl_plan_tensor *t = &plan->tensors[plan->outputs[i]];
        n_out[i] = t->bytes / sizeof(float);
        ref[i] = malloc(t->bytes + 4);
        tl_poison(ref[i], n_out[i]);
    }
    if (!st) st = gu_run_reference(plan, in, ref, &err);
    if (st) {
        tl_failed++;
        printf("FAIL %-18s planning or reference: %s\n", ic->name, err.msg);
    } else if (getenv("GLINT_GPU_INT8_DRY")) {
        bool nan = false;
        for (int i = 0; i < g->n_outputs; i++) nan |= gu_first_nan(ref[i], n_out[i]) >= 0;
        if (nan) tl_failed++;
        else tl_passed++;
        printf("%s %-18s reference only (dry run): %d convolutions in int8, %d QuantizeLinear%s\n",
               nan ? "FAIL" : "DRY ", ic->name, qs.layers_int8, qs.quantize_steps,
               nan ? ", NaN in the reference output" : "");
    } else {
        run(ic, g, plan, in, ref, n_out, GLINT_PRECISION_FP32, false);
        run(ic, g, plan, in, ref, n_out, GLINT_PRECISION_FP32, true);
        run(ic, g, plan, in, ref, n_out, GLINT_PRECISION_INT8, false);
    }
    if (plan) gl_plan_free(plan);
    gl_calib_free(cal);
    for (int i = 0; i < MAX_IO; i++) {
        free(in[i]);
        free(ref[i]);
    }
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* GLINT_GPU_INT8_DRY=1 (no GPU needed): calibration, planning and the
     * reference half of every case, a check of the test itself. */
    if (!getenv("GLINT_GPU_INT8_DRY")) gu_require_gpu();
    tl_seed_from_env();
    for (size_t c = 0; c < GL_ARRAY_LEN(g_cases); c++) {
        if (!gu_selected("GLINT_GPU_INT8_ONLY", g_cases[c].name)) continue;
        gu_graph b;
        gu_begin(&b, 17);
        if (g_cases[c].build) g_cases[c].build(&b);
        else gu_build_conv(&b, &g_cases[c].conv);
        gl_err err;
        gl_err_clear(&err);
        glint_status st = b.bad ? GLINT_ERR_INTERNAL : gl_graph_finalize(b.g, &err);
        if (!st) st = gl_graph_optimize(b.g, &err);
        if (st) {
            tl_failed++;
            printf("FAIL %-18s building the graph: %s\n", g_cases[c].name,
                   b.bad ? b.err.msg : err.msg);
        } else {
            run_case(&g_cases[c], b.g);
        }
        if (b.g) gl_graph_free(b.g);
    }
    return TEST_END();
}
