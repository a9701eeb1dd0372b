/* Load-time passes: BatchNorm folded into Conv matches the unfused
 * computation on random data; constant folding gives the exact values;
 * Identity removal keeps output names; dead nodes go; allocation failure
 * inside the passes leaks nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fail_alloc.h"
#include "model/graph.h"
#include "model/graph_internal.h"
#include "ops/op.h"
#include "plan/plan.h"
#include "testlib.h"

enum { N = 2, C = 3, M = 4, H = 7, W = 6 };

static int val(gl_graph *g, const char *name) { return gl_graph_value(g, name, NULL); }

/* Makes value `name` a constant of dtype (data: its bytes; NULL leaves it
 * zero). */
static void set_const_of(gl_graph *g, const char *name, gl_dtype dtype, const int64_t *dims,
                         int rank, const void *data) {
    gl_shape s = {.rank = rank};
    for (int i = 0; i < rank; i++) s.d[i] = dims[i];
    gl_const *c = gl_const_new(g->alloc, dtype, &s, NULL);
    if (data) memcpy(c->data, data, c->bytes);
    int v = val(g, name);
    g->values[v].constant = c;
    g->values[v].dtype = dtype;
    g->values[v].shape = s;
}

static void set_const(gl_graph *g, const char *name, const int64_t *dims, int rank, const float *data) {
    set_const_of(g, name, GLINT_DTYPE_FLOAT32, dims, rank, data);
}

/* Makes value x a float32 graph input of any shape. */
static void float_input(gl_graph *g, int x) {
    g->values[x].dtype = GLINT_DTYPE_FLOAT32;
    g->values[x].shape.rank = -1;
    gl_graph_add_input(g, x, NULL);
}

static void add_attr_ints(gl_graph *g, int node, const char *name, const int64_t *v, size_t n) {
    gl_attr *a = gl_node_add_attr(g, node, NULL);
    a->name = gl_strdup(g->alloc, name);
    a->type = GL_ATTR_INTS;
    a->count = n;
    a->ints = gl_calloc(g->alloc, n, sizeof(int64_t));
    memcpy(a->ints, v, n * sizeof(int64_t));
}

/* 3x3 convolution, stride 1, padding 1, computed in double. */
static void ref_conv(const float *x, const float *w, const float *b, float *y) {
    for (int n = 0; n < N; n++)
        for (int m = 0; m < M; m++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < W; j++) {
                    double acc = b ? b[m] : 0.0;
                    for (int c = 0; c < C; c++)
                        for (int ki = 0; ki < 3; ki++)
                            for (int kj = 0; kj < 3; kj++) {
                                int ii = i + ki - 1, jj = j + kj - 1;
                                if (ii < 0 || jj < 0 || ii >= H || jj >= W) continue;
                                acc += (double)x[((n * C + c) * H + ii) * W + jj] *
                                       w[((m * C + c) * 3 + ki) * 3 + kj];
                            }
                    y[((n * M + m) * H + i) * W + j] = (float)acc;
                }
}

static const gl_const *input_const(const gl_graph *g, const gl_node *n, int k) {
    return k < n->n_inputs && n->inputs[k] >= 0 ? g->values[n->inputs[k]].constant : NULL;
}

static void test_bn_fold(bool with_bias) {
    float x[N * C * H * W], w[M * C * 9], b[M], sc[M], bb[M], mean[M], var[M];
    const float eps = 1e-3f;
    tl_fill_uniform(x, GL_ARRAY_LEN(x), -1, 1);
    tl_fill_uniform(w, GL_ARRAY_LEN(w), -1, 1);
    tl_fill_uniform(b, M, -1, 1);
    tl_fill_uniform(sc, M, 0.5f, 2);
    tl_fill_uniform(bb, M, -1, 1);
    tl_fill_uniform(mean, M, -0.5f, 0.5f);
    tl_fill_uniform(var, M, 0.1f, 2);
    gl_graph *g = gl_graph_new(NULL);
    gl_err err;
    const int64_t wd[] = {M, C, 3, 3}, vd[] = {M}, pads[] = {1, 1, 1, 1};
    set_const(g, "W", wd, 4, w);
    if (with_bias) set_const(g, "B", vd, 1, b);
    set_const(g, "scale", vd, 1, sc);
    set_const(g, "bias", vd, 1, bb);
    set_const(g, "mean", vd, 1, mean);
    set_const(g, "var", vd, 1, var);
    int cin[3] = {val(g, "x"), val(g, "W"), with_bias ? val(g, "B") : -1}, t = val(g, "t");
    int c0 = gl_graph_add_node(g, "conv", "", "Conv", cin, with_bias ? 3 : 2, &t, 1, NULL);
    add_attr_ints(g, c0, "pads", pads, 4);
    int bin[5] = {t, val(g, "scale"), val(g, "bias"), val(g, "mean"), val(g, "var")}, y = val(g, "y");
    int bn = gl_graph_add_node(g, "bn", "", "BatchNormalization", bin, 5, &y, 1, NULL);
    gl_attr *a = gl_node_add_attr(g, bn, NULL);
    a->name = gl_strdup(NULL, "epsilon");
    a->type = GL_ATTR_FLOAT;
    a->f = eps;
    /* A second Conv shares W: its weights must stay as they are. */
    int z = val(g, "z");
    int c1 = gl_graph_add_node(g, "conv2", "", "Conv", cin, 2, &z, 1, NULL);
    add_attr_ints(g, c1, "pads", pads, 4);
    gl_graph_add_input(g, val(g, "x"), NULL);
    gl_graph_add_output(g, y, NULL);
    gl_graph_add_output(g, z, NULL);
    CHECK_OK(gl_graph_finalize(g, &err));

    /* Unfused reference. */
    float yref[N * M * H * W], yfold[N * M * H * W];
    ref_conv(x, w, with_bias ? b : NULL, yref);
    for (int i = 0; i < N * M * H * W; i++) {
        int m = (i / (H * W)) % M;
        yref[i] = (float)(((double)yref[i] - mean[m]) / sqrt((double)var[m] + eps) * sc[m] + bb[m]);
    }

    CHECK_OK(gl_graph_optimize(g, &err));
    CHECK(g->n_nodes == 2);
    int ci = g->values[gl_graph_find_value(g, "y")].producer;
    CHECK(ci >= 0 && strcmp(g->nodes[ci].op_type, "Conv") == 0);
    if (ci < 0) {
        gl_graph_free(g);
        return;
    }
    const gl_node *conv = &g->nodes[ci];
    const gl_const *fw = input_const(g, conv, 1), *fb = input_const(g, conv, 2);
    CHECK(fw && fb && fw != g->values[gl_graph_find_value(g, "W")].constant);
    const gl_value *orig = &g->values[gl_graph_find_value(g, "W")];
    CHECK(orig->constant && memcmp(orig->constant->data, w, sizeof w) == 0);
    if (!fw || !fb) {
        gl_graph_free(g);
        return;
    }
    ref_conv(x, fw->data, fb->data, yfold);
    CHECK(tl_close(yfold, yref, GL_ARRAY_LEN(yref), 1e-5f, 1e-6f, "BN folded into Conv (test reference conv)"));

    /* And through the Conv operator's own reference kernel. */
    tl_poison(yfold, GL_ARRAY_LEN(yfold));
    gl_tensor in[3] = {{GLINT_DTYPE_FLOAT32, {4, {N, C, H, W}}, x},
                       {fw->dtype, fw->shape, fw->data},
                       {fb->dtype, fb->shape, fb->data}};
    gl_tensor out[1];
    memset(out, 0, sizeof out);
    CHECK_OK(conv->op->infer(conv->params, in, 3, out, 1, &err));
    out[0].data = yfold;
    size_t ws = conv->op->workspace ? conv->op->workspace(conv->params, in, 3, out, 1) : 0;
    void *wsp = ws ? malloc(ws) : NULL;
    CHECK_OK(conv->op->run(conv->params, in, 3, out, 1, wsp, &err));
    free(wsp);
    CHECK(tl_close(yfold, yref, GL_ARRAY_LEN(yref), 1e-5f, 1e-6f, "BN folded into Conv (Conv reference kernel)"));
    gl_graph_free(g);
}

/* BN must stay when the Conv output has another reader. */
static void test_bn_not_folded(void) {
    gl_graph *g = gl_graph_new(NULL);
    gl_err err;
    float w[M * C * 9], v[M];
    tl_fill_uniform(w, GL_ARRAY_LEN(w), -1, 1);
    tl_fill_uniform(v, M, 0.5f, 1);
    const int64_t wd[] = {M, C, 3, 3}, vd[] = {M};
    set_const(g, "W", wd, 4, w);
    set_const(g, "p", vd, 1, v);
    int cin[2] = {val(g, "x"), val(g, "W")}, t = val(g, "t"), y = val(g, "y"), z = val(g, "z");
    gl_graph_add_node(g, "conv", "", "Conv", cin, 2, &t, 1, NULL);
    int p = val(g, "p"), bin[5] = {t, p, p, p, p};
    gl_graph_add_node(g, "bn", "", "BatchNormalization", bin, 5, &y, 1, NULL);
    gl_graph_add_node(g, "relu", "", "Relu", &t, 1, &z, 1, NULL);
    gl_graph_add_input(g, val(g, "x"), NULL);
    gl_graph_add_output(g, y, NULL);
    gl_graph_add_output(g, z, NULL);
    CHECK_OK(gl_graph_finalize(g, &err));
    CHECK_OK(gl_graph_optimize(g, &err));
    CHECK(g->n_nodes == 3);
    gl_graph_free(g);
}

/* s = Add(c1, c2); y = Mul(x, s); z = Identity(c1) (an output); a dead
 * Relu(x). Built with allocator a. */
static gl_graph *fold_graph(const glint_allocator *a, const float *c1, const float *c2) {
    gl_graph *g = gl_graph_new(a);
    const int64_t d1[] = {2, 3}, d2[] = {3};
    set_const(g, "c1", d1, 2, c1);
    set_const(g, "c2", d2, 1, c2);
    int ai[2] = {val(g, "c1"), val(g, "c2")}, s = val(g, "s");
    gl_graph_add_node(g, "add", "", "Add", ai, 2, &s, 1, NULL);
    int mi[2] = {val(g, "x"), s}, y = val(g, "y");
    gl_graph_add_node(g, "mul", "", "Mul", mi, 2, &y, 1, NULL);
    int c = val(g, "c1"), z = val(g, "z");
    gl_graph_add_node(g, "id", "", "Identity", &c, 1, &z, 1, NULL);
    int x = val(g, "x"), dead = val(g, "dead");
    gl_graph_add_node(g, "unused", "", "Relu", &x, 1, &dead, 1, NULL);
    gl_graph_add_input(g, x, NULL);
    gl_graph_add_output(g, y, NULL);
    gl_graph_add_output(g, z, NULL);
    return g;
}

static void test_constant_folding(void) {
    float c1[6], c2[3];
    tl_fill_uniform(c1, 6, -2, 2);
    tl_fill_uniform(c2, 3, -2, 2);
    gl_graph *g = fold_graph(NULL, c1, c2);
    gl_err err;
    CHECK_OK(gl_graph_finalize(g, &err));
    CHECK_OK(gl_graph_optimize(g, &err));
    CHECK(g->n_nodes == 1 && strcmp(g->nodes[0].op_type, "Mul") == 0);
    const gl_const *s = input_const(g, &g->nodes[0], 1);
    CHECK(s && s->shape.rank == 2 && s->shape.d[0] == 2 && s->shape.d[1] == 3);
    if (s) {
        int bad = 0;
        for (int i = 0; i < 6; i++) bad += ((const float *)s->data)[i] != c1[i] + c2[i % 3];
        CHECK(bad == 0);
    }
    const gl_value *z = &g->values[gl_graph_find_value(g, "z")];
    CHECK(z->is_output && z->constant && memcmp(z->constant->data, c1, sizeof c1) == 0);
    CHECK(g->values[gl_graph_find_value(g, "y")].producer == 0);
    gl_graph_free(g);
}

/* Allocation k of the passes fails, for every k: OUT_OF_MEMORY, and freeing
 * the graph afterwards releases everything. */
static void test_pass_alloc_failures(void) {
    float c1[6], c2[3];
    tl_fill_uniform(c1, 6, -2, 2);
    tl_fill_uniform(c2, 3, -2, 2);
    int wrong = 0, leaks = 0;
    for (long k = 1; k < 10000; k++) {
        fail_alloc st = {0, -1, 0};
        glint_allocator a = {fa_malloc, fa_realloc, fa_free, &st};
        gl_graph *g = fold_graph(&a, c1, c2);
        gl_err err;
        if (gl_graph_finalize(g, &err)) wrong++;
        st.fail_at = st.count + k;
        glint_status s = gl_graph_optimize(g, &err);
        gl_graph_free(g);
        if (st.live) leaks++;
        if (s == GLINT_OK) break;
        if (s != GLINT_ERR_OUT_OF_MEMORY) wrong++;
    }
    CHECK(wrong == 0 && leaks == 0);
}

/* Tensors with a zero dimension and huge others ([2^50, 0]) hold nothing:
 * folding and planning finish at once (the fuzzer found a Concat that looped
 * 2^50 times over empty blocks) and no step is planned for them. */
static void test_empty_tensors(void) {
    gl_graph *g = gl_graph_new(NULL);
    const int64_t huge[] = {(int64_t)1 << 50, 0};
    set_const(g, "c1", huge, 2, NULL);
    set_const(g, "c2", huge, 2, NULL);
    int ci[2] = {val(g, "c1"), val(g, "c2")}, e = val(g, "e");
    int cat = gl_graph_add_node(g, "cat", "", "Concat", ci, 2, &e, 1, NULL);
    gl_attr *axis = gl_node_add_attr(g, cat, NULL);
    axis->name = gl_strdup(g->alloc, "axis");
    axis->type = GL_ATTR_INT;
    axis->i = 1;
    int x = val(g, "x"), mi[2] = {x, e}, y = val(g, "y"), r = val(g, "r");
    gl_graph_add_node(g, "mul", "", "Mul", mi, 2, &y, 1, NULL);
    gl_graph_add_node(g, "relu", "", "Relu", &x, 1, &r, 1, NULL);
    float_input(g, x);
    gl_graph_add_output(g, y, NULL);
    gl_graph_add_output(g, r, NULL);
    gl_err err;
    CHECK_OK(gl_graph_finalize(g, &err));
    CHECK_OK(gl_graph_optimize(g, &err));
    const gl_value *ev = &g->values[gl_graph_find_value(g, "e")];
    CHECK(ev->constant && ev->shape.rank == 2 && ev->shape.d[0] == huge[0] && ev->shape.d[1] == 0);
    gl_shape in = {1, {1}};
    gl_plan *p = NULL;
    glint_status st = gl_plan_build(g, &in, GLINT_PRECISION_FP32, &p, &err);
    CHECK_MSG(st == GLINT_OK, "%s", err.msg);
    /* Only the Relu computes anything; the empty Mul became a constant. */
    CHECK(p && p->n_steps == 1 && strcmp(p->steps[0].op->name, "Relu") == 0);
    gl_plan_free(p);
    gl_graph_free(g);
}

/* A result above GL_FOLD_MAX_BYTES is neither folded at load nor evaluated
 * when planning: y = Expand(c, [n]) with 64 MB of output stays a step. */
static void test_static_budget(void) {
    gl_graph *g = gl_graph_new(NULL);
    const int64_t one[] = {1};
    const float c = 0.5f;
    set_const(g, "c", one, 1, &c);
    const int64_t n = (int64_t)(4 * GL_FOLD_MAX_BYTES / sizeof(float));
    set_const_of(g, "shape", GLINT_DTYPE_INT64, one, 1, &n);
    int ei[2] = {val(g, "c"), val(g, "shape")}, big = val(g, "big");
    gl_graph_add_node(g, "expand", "", "Expand", ei, 2, &big, 1, NULL);
    int x = val(g, "x"), ai[2] = {x, big}, y = val(g, "y");
    gl_graph_add_node(g, "add", "", "Add", ai, 2, &y, 1, NULL);
    float_input(g, x);
    gl_graph_add_output(g, y, NULL);
    gl_err err;
    CHECK_OK(gl_graph_finalize(g, &err));
    CHECK_OK(gl_graph_optimize(g, &err));
    CHECK(!g->values[big].constant);
    gl_shape in = {1, {1}};
    gl_plan *p = NULL;
    glint_status st = gl_plan_build(g, &in, GLINT_PRECISION_FP32, &p, &err);
    CHECK_MSG(st == GLINT_OK, "%s", err.msg);
    CHECK(p && p->n_steps == 2 && strcmp(p->steps[0].op->name, "Expand") == 0);
    gl_plan_free(p);
    gl_graph_free(g);
}

static void test_identity_removal(void) {
    gl_graph *g = gl_graph_new(NULL);
    gl_err err;
    /* x → Relu → a → Identity → b → Relu → c → Identity → y */
    int x = val(g, "x"), a = val(g, "a"), b = val(g, "b"), c = val(g, "c"), y = val(g, "y");
    gl_graph_add_node(g, "r1", "", "Relu", &x, 1, &a, 1, NULL);
    gl_graph_add_node(g, "i1", "", "Identity", &a, 1, &b, 1, NULL);
    gl_graph_add_node(g, "r2", "", "Relu", &b, 1, &c, 1, NULL);
    gl_graph_add_node(g, "i2", "", "Identity", &c, 1, &y, 1, NULL);
    gl_graph_add_input(g, x, NULL);
    gl_graph_add_output(g, y, NULL);
    CHECK_OK(gl_graph_finalize(g, &err));
    CHECK_OK(gl_graph_optimize(g, &err));
    CHECK(g->n_nodes == 2 && strcmp(g->nodes[1].name, "r2") == 0);
    CHECK(g->nodes[1].inputs[0] == a && g->nodes[1].outputs[0] == y);
    CHECK(g->values[y].producer == 1 && g->outputs[0] == y);
    gl_graph_free(g);
    /* Input straight to output: the Identity must stay. */
    g = gl_graph_new(NULL);
    x = val(g, "x");
    y = val(g, "y");
    gl_graph_add_node(g, "id", "", "Identity", &x, 1, &y, 1, NULL);
    gl_graph_add_input(g, x, NULL);
    gl_graph_add_output(g, y, NULL);
    CHECK_OK(gl_graph_finalize(g, &err));
    CHECK_OK(gl_graph_optimize(g, &err));
    CHECK(g->n_nodes == 1);
    gl_graph_free(g);
}

int main(void) {
    tl_seed_from_env();
    if (!gl_op_find("", "Conv") || !gl_op_find("", "BatchNormalization") ||
        !gl_op_find("", "Add") || !gl_op_find("", "Mul") || !gl_op_find("", "Relu"))
        tl_skip("Conv, BatchNormalization, Add, Mul or Relu is not registered yet");
    test_bn_fold(true);
    test_bn_fold(false);
    test_bn_not_folded();
    test_constant_folding();
    test_pass_alloc_failures();
    test_identity_removal();
    test_empty_tensors();
    if (gl_op_find("", "Expand")) test_static_budget();
    return TEST_END();
}
