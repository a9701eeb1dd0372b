/* Post-training INT8 quantisation: calibration of activation ranges on sample
 * inputs, the per-layer INT8 error check, the calibration file, and the plan
 * rewrite that turns convolutions into glint::QConv steps.
 *
 * Flow:
 *   gl_calibrate(graph, samples)      FP32 reference run → ranges, scales,
 *                                     per-layer INT8 error and choice
 *   gl_calib_save / gl_calib_load     MODEL.calib, keyed by gl_quant_graph_hash
 *   gl_quant_rewrite_plan(plan, cal)  after gl_plan_build, for INT8 engines
 *
 * Tensors are named by graph value names; a layer is named by the output
 * value of its Conv node (before fusion), so the same names hold whatever
 * the fusion pass makes of the graph. */
#ifndef GL_QUANT_H
#define GL_QUANT_H

#include "model/graph.h"
#include "ops/nn_params.h"
#include "plan/plan.h"

#define GL_CALIB_VERSION 1

/* Range of one activation (a convolution input) and its int8 quantisation:
 * asymmetric, q = round(x / scale) + zero_point in [-128, 127]. */
typedef struct gl_calib_tensor {
    char *name;
    float min, max;          /* observed over every sample */
    float scale;
    int32_t zero_point;
} gl_calib_tensor;

/* One convolution layer: its INT8 relative error on the samples (computed
 * with FP32 inputs, so errors do not compound) and the choice made. */
typedef struct gl_calib_layer {
    char *name;
    float rel_error;         /* ||y_int8 - y_fp32|| / ||y_fp32|| over all samples;
                                -1 when not measured (from a QDQ model) */
    bool int8;               /* rel_error <= threshold: run in INT8, else float */
    /* The layer's weights quantised once (gl_calib_quantize_weights) for
     * every plan rewritten with this calibration; NULL until then. */
    const void *w_src;       /* the graph constant they were made from */
    int8_t *wq;              /* [rows × per] codes */
    float *wscale;           /* [rows] */
} gl_calib_layer;

typedef struct gl_calib {
    const glint_allocator *alloc;
    uint64_t model_hash;
    int samples;
    float threshold;
    gl_calib_tensor *tensors;
    int n_tensors;
    gl_calib_layer *layers;
    int n_layers;
} gl_calib;

typedef struct gl_calib_options {
    float threshold;         /* max relative INT8 error of a layer kept in INT8; default 0.05 */
} gl_calib_options;

void gl_calib_options_init(gl_calib_options *o);

/* A hash of what the calibration depends on: the graph's values (names,
 * dtypes, constant bytes), nodes and attributes. Computed on the graph the
 * engine plans (after gl_graph_optimize). */
uint64_t gl_quant_graph_hash(const gl_graph *g);

/* Runs the graph's FP32 reference kernels on n_samples input sets
 * (samples[i] holds one float32 tensor per graph input, in graph order) and
 * returns ranges for every convolution input and the per-layer choice. */
glint_status gl_calibrate(const gl_graph *g, const gl_tensor *const *samples, int n_samples,
                          const gl_calib_options *opt, gl_calib **out, gl_err *err);

/* The scales a QDQ model carries: every Conv whose input comes from a
 * per-tensor DequantizeLinear with constant scale and zero point is marked
 * int8 with those parameters (calib_qdq.c). No samples needed. */
glint_status gl_calib_from_qdq(const gl_graph *g, gl_calib **out, gl_err *err);

/* Quantises the weights of every INT8 layer of g once (symmetric per
 * output channel, gl_quant_weights) into c, so that plans of every bucket
 * share them instead of quantising (and the backends packing) their own.
 * Layers whose weights are not a float32 constant are left to the rewrite. */
glint_status gl_calib_quantize_weights(gl_calib *c, const gl_graph *g, gl_err *err);

void gl_calib_free(gl_calib *c);
const gl_calib_tensor *gl_calib_find_tensor(const gl_calib *c, const char *name);
const gl_calib_layer *gl_calib_find_layer(const gl_calib *c, const char *name);

/* Text form (versioned, one record per line; names percent-escaped).
 * gl_calib_format allocates *text with c->alloc. gl_calib_parse errors name
 * the line: "calibration line 7: bad tensor record". */
glint_status gl_calib_format(const gl_calib *c, char **text, size_t *len, gl_err *err);
glint_status gl_calib_parse(const glint_allocator *a, const char *text, size_t len,
                            gl_calib **out, gl_err *err);
/* Files; save is atomic (temporary file, then rename). load checks the model
 * hash when expected_hash is not 0: a calibration of another model is
 * GLINT_ERR_INVALID_ARGUMENT naming both hashes. */
glint_status gl_calib_save(const gl_calib *c, const char *path, gl_err *err);
glint_status gl_calib_load(const glint_allocator *a, const char *path, uint64_t expected_hash,
                           gl_calib **out, gl_err *err);

/* ---------------------------------------------------------- helpers */
/* Asymmetric int8 parameters covering [min, max] (widened to include 0). */
void gl_quant_act_params(float min, float max, float *scale, int32_t *zero_point);
/* Symmetric per-output-channel int8 weights: w is [m, per] row-major;
 * scale[i] = max|w_i| / 127 (1 for an all-zero channel), except that a row
 * already on an int8 grid (a folded QDQ weight) keeps its own scale. */
void gl_quant_weights(const float *w, int64_t m, int64_t per, int8_t *wq, float *scale);
/* The layer name of a plan step (see above); NULL if it is not a Conv or
 * FusedConv step. */
const char *gl_quant_layer_name(const gl_plan *p, const gl_plan_step *s);
/* True when step s is a Conv / FusedConv this rewrite can quantise: float32
 * runtime X, constant float32 W (and B), not transposed. */
bool gl_quant_step_eligible(const gl_plan *p, const gl_plan_step *s);
/* The conv attributes + epilogue of a Conv or FusedConv step. */
void gl_quant_step_fused_params(const gl_plan_step *s, gl_fused_conv_params *out);

/* ---------------------------------------------------------- plan rewrite */
typedef struct gl_quant_rewrite_stats {
    int layers_int8;         /* convolutions now QConv */
    int layers_float;        /* eligible convolutions kept in float (choice or no range) */
    int quantize_steps;      /* QuantizeLinear steps inserted */
    int requantized;         /* QConv steps writing int8 straight into the next QConv */
    int dq_bypassed;         /* QConv steps reading a QDQ model's int8 tensor directly */
} gl_quant_rewrite_stats;

/* Rewrites an FP32 plan's eligible convolutions that c marks int8 into
 * glint::QConv steps, inserting a QuantizeLinear before each that reads a
 * float tensor and, when `requantize` is set, letting a QConv write int8
 * directly when its only consumers are QConvs with the same input
 * quantisation (the CPU; a backend that quantises a conv's input while
 * loading it keeps float between layers: gl_backend.int8_requantize). Weights are the
 * calibration's when gl_calib_quantize_weights made them from the same
 * constant (the plan then refers to them: free plans before c), else they
 * are quantised here (plan-owned). Recomputes lifetimes, offsets and FLOPs.
 * stats may be NULL. */
glint_status gl_quant_rewrite_plan(gl_plan *p, const gl_calib *c, bool requantize,
                                   gl_quant_rewrite_stats *stats, gl_err *err);

/* ---------------------------------------------------------- BF16 reference
 * Inputs and weights rounded to bfloat16 (round to nearest even), products
 * accumulated in float32: the oracle for BF16 kernels. */
void gl_bf16_round(const float *in, float *out, size_t n);
/* Workspace bytes gl_bf16_conv_ref needs for geometry g. */
size_t gl_bf16_conv_workspace(const gl_conv_geom *g);
/* y = conv(bf16(x), bf16(w)) + b (b in float32, may be NULL). */
void gl_bf16_conv_ref(const gl_conv_geom *g, const float *x, const float *w, const float *b,
                      float *y, void *workspace);
/* C[m×n] = bf16(A)[m×k] · bf16(B)[k×n], row-major with leading dims. */
void gl_bf16_gemm_ref(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                      const float *b, int64_t ldb, float *c, int64_t ldc);

#endif
