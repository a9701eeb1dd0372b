/* A QDQ model as quantisation tools export them, written here: uint8
 * QuantizeLinear/DequantizeLinear around the input, int8 weights with
 * per-output-channel scales behind a DequantizeLinear (axis 0), a Conv, and
 * an int8 Q/DQ pair on its output. It must load, fold the weight
 * DequantizeLinear, plan, and run through the reference kernels to the
 * result computed independently here. Block quantisation (opset 21) is
 * refused at load with a message naming it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/graph.h"
#include "quant/quant.h"
#include "quant_testutil.h"
#include "testlib.h"

#define C 3
#define M 4
#define H 6
#define W 7

static const float SX = 1.0f / 64.0f, SY = 0.03f;
static const uint8_t ZX = 10;
static const int8_t ZY = -5;
static int8_t wq[M * C * 9];
static float ws[M], bias[M];

static pbw scalar_f32(const char *name, float v) { return ow_tensor_f32(name, NULL, 0, &v, 1); }

static pbw build(int opset, int64_t block_size) {
    pbw g = {0}, t;
    int64_t xd[4] = {1, C, H, W}, wd[4] = {M, C, 3, 3}, md[1] = {M};
    const char *q_in[] = {"x", "sx", "zx"}, *q_out[] = {"xq"};
    const char *dq_in[] = {"xq", "sx", "zx"}, *dq_out[] = {"xd"};
    const char *wdq_in[] = {"Wq", "ws"}, *wdq_out[] = {"Wd"};
    const char *c_in[] = {"xd", "Wd", "B"}, *c_out[] = {"c"};
    const char *q2_in[] = {"c", "sy", "zy"}, *q2_out[] = {"cq"};
    const char *dq2_in[] = {"cq", "sy", "zy"}, *dq2_out[] = {"y"};
    int64_t pads[4] = {1, 1, 1, 1};
    pbw conv_attr = ow_attr_ints("pads", pads, 4);
    pbw wdq_attr[2] = {ow_attr_int("axis", 0), ow_attr_int("block_size", block_size)};
    ow_node(&g, "q_x", "QuantizeLinear", q_in, 3, q_out, 1, NULL, 0);
    ow_node(&g, "dq_x", "DequantizeLinear", dq_in, 3, dq_out, 1, NULL, 0);
    ow_node(&g, "dq_w", "DequantizeLinear", wdq_in, 2, wdq_out, 1, wdq_attr, block_size ? 2 : 1);
    if (!block_size) pbw_free(&wdq_attr[1]);
    ow_node(&g, "conv", "Conv", c_in, 3, c_out, 1, &conv_attr, 1);
    ow_node(&g, "q_y", "QuantizeLinear", q2_in, 3, q2_out, 1, NULL, 0);
    ow_node(&g, "dq_y", "DequantizeLinear", dq2_in, 3, dq2_out, 1, NULL, 0);
    t = scalar_f32("sx", SX), pbw_msg(&g, 5, &t);
    t = qt_tensor_raw("zx", NULL, 0, OW_UINT8, &ZX, 1), pbw_msg(&g, 5, &t);
    t = qt_tensor_raw("Wq", wd, 4, OW_INT8, wq, sizeof wq), pbw_msg(&g, 5, &t);
    if (block_size) {
        int64_t bd[4] = {M, 1, 3, 3}; /* blocked scales have the input's rank */
        float bs[M * 9];
        for (int i = 0; i < M * 9; i++) bs[i] = 0.01f;
        t = ow_tensor_f32("ws", bd, 4, bs, 1), pbw_msg(&g, 5, &t);
    } else {
        t = ow_tensor_f32("ws", md, 1, ws, 1), pbw_msg(&g, 5, &t);
    }
    t = ow_tensor_f32("B", md, 1, bias, 1), pbw_msg(&g, 5, &t);
    t = scalar_f32("sy", SY), pbw_msg(&g, 5, &t);
    t = qt_tensor_raw("zy", NULL, 0, OW_INT8, &ZY, 1), pbw_msg(&g, 5, &t);
    int64_t yd[4] = {1, M, H, W};
    ow_value(&g, 11, "x", OW_FLOAT, xd, 4);
    ow_value(&g, 12, "y", OW_FLOAT, yd, 4);
    return ow_model(&g, opset, "test_quant_qdq_model");
}

static double fake_quant(double v, double s, int zp, int lo, int hi) {
    double q = rint((double)(float)((float)v / (float)s)) + zp;
    q = q < lo ? lo : q > hi ? hi : q;
    return (q - zp) * s;
}

static void test_qdq_conv(int opset) {
    for (size_t i = 0; i < sizeof wq; i++) wq[i] = (int8_t)((int)(tl_rand_u64() % 255) - 127);
    tl_fill_uniform(ws, M, 0.002f, 0.01f);
    tl_fill_uniform(bias, M, -0.2f, 0.2f);
    pbw m = build(opset, 0);
    gl_graph *g = NULL;
    gl_err err = {0};
    CHECK_OK(gl_onnx_load(m.p, m.n, gl_default_allocator(), &g, &err));
    pbw_free(&m);
    if (!g) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK_OK(gl_graph_optimize(g, &err));
    /* the weight DequantizeLinear is folded into a float constant */
    int n_dq = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].op_type, "DequantizeLinear") == 0) n_dq++;
    CHECK_MSG(n_dq == 2, "%d DequantizeLinear nodes left", n_dq);
    gl_shape s = {.rank = 4, .d = {1, C, H, W}};
    gl_plan *p = NULL;
    CHECK_OK(gl_plan_build(g, &s, GLINT_PRECISION_FP32, &p, &err));
    float x[C * H * W], y[M * H * W];
    tl_fill_uniform(x, GL_ARRAY_LEN(x), -0.2f, 3.5f); /* some saturate at 255 */
    tl_poison(y, GL_ARRAY_LEN(y));
    const void *in[1] = {x};
    void *out[1] = {y};
    if (p) CHECK_OK(qt_run_plan(p, in, out, &err));
    int exact = 0, bad = 0;
    for (int mo = 0; mo < M; mo++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                double acc = bias[mo];
                for (int c = 0; c < C; c++)
                    for (int ki = 0; ki < 3; ki++)
                        for (int kj = 0; kj < 3; kj++) {
                            int ii = i + ki - 1, jj = j + kj - 1;
                            if (ii < 0 || jj < 0 || ii >= H || jj >= W) continue;
                            double xv = fake_quant(x[(c * H + ii) * W + jj], SX, ZX, 0, 255);
                            double wv = (float)wq[((mo * C + c) * 3 + ki) * 3 + kj] * ws[mo];
                            acc += xv * wv;
                        }
                double want = fake_quant(acc, SY, ZY, -128, 127);
                float got = y[(mo * H + i) * W + j];
                if (got == (float)want) exact++;
                else if (!(fabs(got - want) <= SY * 1.001)) bad++; /* one step: summation order */
            }
    CHECK_MSG(bad == 0, "opset %d: %d outputs off by more than one step", opset, bad);
    CHECK_MSG(exact >= M * H * W * 95 / 100, "opset %d: only %d of %d exact", opset, exact,
              M * H * W);
    /* INT8 from the model's own scales: the conv becomes a QConv reading the
     * uint8 codes of the input Q directly; same result up to one step */
    gl_calib *c = NULL;
    gl_plan *pq = NULL;
    CHECK_OK(gl_calib_from_qdq(g, &c, &err));
    CHECK(c && c->n_layers == 1 && c->layers[0].int8 && strcmp(c->layers[0].name, "c") == 0);
    CHECK_OK(gl_plan_build(g, &s, GLINT_PRECISION_INT8, &pq, &err));
    if (c && pq) {
        gl_quant_rewrite_stats st;
        CHECK_OK(gl_quant_rewrite_plan(pq, c, true, &st, &err));
        CHECK_MSG(st.layers_int8 == 1 && st.dq_bypassed == 1 && st.quantize_steps == 0, "int8 %d float %d q %d bypassed %d", st.layers_int8, st.layers_float, st.quantize_steps, st.dq_bypassed);
        int n_qconv = 0, n_dq8 = 0;
        for (int i = 0; i < pq->n_steps; i++) {
            n_qconv += strcmp(pq->steps[i].op->name, "QConv") == 0;
            n_dq8 += strcmp(pq->steps[i].op->name, "DequantizeLinear") == 0;
        }
        CHECK_MSG(n_qconv == 1 && n_dq8 == 1, "%d QConv, %d DequantizeLinear steps", n_qconv, n_dq8);
        float y8[M * H * W];
        void *out8[1] = {y8};
        tl_poison(y8, GL_ARRAY_LEN(y8));
        CHECK_OK(qt_run_plan(pq, in, out8, &err));
        int same = 0, far = 0;
        for (size_t i = 0; i < GL_ARRAY_LEN(y8); i++) {
            same += y8[i] == y[i];
            far += !(fabsf(y8[i] - y[i]) <= SY * 1.001f);
        }
        CHECK_MSG(far == 0 && same >= M * H * W * 95 / 100, "int8 plan: %d same, %d far", same,
                  far);
    }
    gl_plan_free(pq);
    gl_calib_free(c);
    gl_plan_free(p);
    gl_graph_free(g);
}

static void test_block_refused(void) {
    pbw m = build(21, 3);
    gl_graph *g = NULL;
    gl_err err = {0};
    glint_status st = gl_onnx_load(m.p, m.n, gl_default_allocator(), &g, &err);
    pbw_free(&m);
    CHECK_MSG(st == GLINT_ERR_UNSUPPORTED, "block_size model: %s", glint_status_name(st));
    CHECK_MSG(strstr(err.msg, "block") != NULL && strstr(err.msg, "dq_w") != NULL, "message: %s",
              err.msg);
    gl_graph_free(g);
}

int main(void) {
    tl_seed_from_env();
    test_qdq_conv(13);
    test_qdq_conv(19);
    test_qdq_conv(21);
    test_block_refused();
    return TEST_END();
}
