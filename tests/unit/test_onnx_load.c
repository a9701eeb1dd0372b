/* The ONNX loader on models built in memory: a valid Conv model (decoded
 * exactly), metadata, typed tensor fields, and each kind of broken or
 * unsupported model giving its status and a message naming the culprit;
 * every prefix and random mutations fail cleanly; allocation failure at every
 * point leaks nothing; Debian's ONNX node tests load or are refused. */
#include <dirent.h>
#include <string.h>

#include "fail_alloc.h"
#include "model/graph.h"
#include "ops/op.h"
#include "onnx_writer.h"
#include "testlib.h"

/* ------------------------------------------------------------ models */
static float g_w[4 * 2 * 3 * 3], g_b[4];

/* x [N,2,8,8] → Conv(W [4,2,3,3] raw, B [4] float_data, pads 1) → y. W is
 * also listed as a graph input (an initializer with a default), which must
 * not make it an input. */
static pbw conv_model(int with_meta) {
    pbw g = {0};
    const int64_t wd[] = {4, 2, 3, 3}, bd[] = {4}, xd[] = {-1, 2, 8, 8}, yd[] = {-1, 4, 8, 8};
    pbw w = ow_tensor_f32("W", wd, 4, g_w, 1), b = ow_tensor_f32("B", bd, 1, g_b, 0);
    const char *ins[] = {"x", "W", "B"}, *outs[] = {"y"};
    const int64_t pads[] = {1, 1, 1, 1}, ks[] = {3, 3};
    pbw attrs[] = {ow_attr_ints("pads", pads, 4), ow_attr_ints("kernel_shape", ks, 2)};
    ow_node(&g, "conv0", "Conv", ins, 3, outs, 1, attrs, 2);
    pbw_msg(&g, 5, &w);
    pbw_msg(&g, 5, &b);
    ow_value(&g, 11, "x", OW_FLOAT, xd, 4);
    ow_value(&g, 11, "W", OW_FLOAT, wd, 4);
    ow_value(&g, 12, "y", OW_FLOAT, yd, 4);
    pbw m = ow_model(&g, 17, "test-writer");
    if (with_meta) {
        ow_meta(&m, "glint.role", "generator");
        ow_meta(&m, "glint.style_dim", "64");
    }
    return m;
}

static glint_status load(const pbw *m, gl_graph **g, gl_err *err) {
    return gl_onnx_load(m->p, m->n, NULL, g, err);
}

static void test_conv_model(void) {
    tl_fill_uniform(g_w, GL_ARRAY_LEN(g_w), -1, 1);
    tl_fill_uniform(g_b, GL_ARRAY_LEN(g_b), -1, 1);
    pbw m = conv_model(1);
    gl_graph *g = NULL;
    gl_err err;
    CHECK_OK(load(&m, &g, &err));
    if (!g) {
        fprintf(stderr, "%s\n", err.msg);
        pbw_free(&m);
        return;
    }
    CHECK(g->opset == 17 && g->ir_version == 8);
    CHECK(g->producer && strcmp(g->producer, "test-writer") == 0);
    CHECK(g->n_nodes == 1 && g->n_inputs == 1 && g->n_outputs == 1);
    CHECK(strcmp(g->values[g->inputs[0]].name, "x") == 0);
    const gl_value *x = &g->values[g->inputs[0]];
    CHECK(x->dtype == GLINT_DTYPE_FLOAT32 && x->shape.rank == 4 && x->shape.d[0] == -1 &&
          x->shape.d[3] == 8 && x->is_input);
    const gl_node *n = &g->nodes[0];
    CHECK(n->op && strcmp(n->op->name, "Conv") == 0 && strcmp(n->name, "conv0") == 0);
    CHECK(n->n_inputs == 3 && n->n_outputs == 1);
    const gl_value *w = &g->values[n->inputs[1]], *b = &g->values[n->inputs[2]];
    CHECK(w->constant && w->constant->shape.rank == 4 && w->constant->bytes == sizeof g_w &&
          memcmp(w->constant->data, g_w, sizeof g_w) == 0 && !w->is_input);
    CHECK(b->constant && b->constant->bytes == sizeof g_b &&
          memcmp(b->constant->data, g_b, sizeof g_b) == 0);
    const int64_t *pads;
    size_t np;
    CHECK_OK(gl_attr_ints(n, "pads", &pads, &np, &err));
    CHECK(np == 4 && pads[0] == 1 && pads[3] == 1);
    CHECK(g->values[g->outputs[0]].is_output && g->values[g->outputs[0]].producer == 0);
    const char *role = gl_graph_meta(g, "glint.role");
    CHECK(role && strcmp(role, "generator") == 0);
    CHECK(gl_graph_meta(g, "glint.style_dim") && strcmp(gl_graph_meta(g, "glint.style_dim"), "64") == 0);
    CHECK(gl_graph_meta(g, "missing") == NULL);
    gl_graph_free(g);

    /* Every strict prefix fails with INVALID_MODEL (the graph is the last
     * field before metadata, so only a cut after it could be complete). */
    pbw plain = conv_model(0);
    int bad = 0;
    for (size_t len = 0; len < plain.n; len++) {
        uint8_t *buf = malloc(len ? len : 1);
        memcpy(buf, plain.p, len);
        gl_graph *pg = NULL;
        glint_status s = gl_onnx_load(buf, len, NULL, &pg, &err);
        if (s != GLINT_ERR_INVALID_MODEL || pg) bad++;
        gl_graph_free(pg);
        free(buf);
    }
    CHECK_MSG(bad == 0, "%d prefixes did not fail cleanly", bad);
    pbw_free(&plain);
    pbw_free(&m);
}

/* Loads a one-graph model and checks status and a message fragment. */
static void expect(pbw *g, int64_t opset, glint_status want, const char *fragment, const char *what) {
    pbw m = ow_model(g, opset, NULL);
    gl_graph *gr = NULL;
    gl_err err = {0};
    glint_status s = gl_onnx_load(m.p, m.n, NULL, &gr, &err);
    CHECK_MSG(s == want && !gr, "%s: got %s (%s)", what, glint_status_name(s), err.msg);
    CHECK_MSG(strstr(err.msg, fragment) != NULL, "%s: message '%s' lacks '%s'", what, err.msg, fragment);
    gl_graph_free(gr);
    pbw_free(&m);
}

static const int64_t D4[] = {1, 2, 4, 4};

static void test_broken_models(void) {
    /* A cycle: a = Relu(b), b = Relu(a). */
    {
        pbw g = {0};
        const char *a[] = {"a"}, *b[] = {"b"};
        ow_node(&g, "r1", "Relu", b, 1, a, 1, NULL, 0);
        ow_node(&g, "r2", "Relu", a, 1, b, 1, NULL, 0);
        ow_value(&g, 12, "b", OW_FLOAT, D4, 4);
        expect(&g, 17, GLINT_ERR_INVALID_MODEL, "cycle", "cycle");
    }
    /* A missing input. */
    {
        pbw g = {0};
        const char *in[] = {"nope"}, *out[] = {"y"};
        ow_node(&g, "r", "Relu", in, 1, out, 1, NULL, 0);
        ow_value(&g, 12, "y", OW_FLOAT, D4, 4);
        expect(&g, 17, GLINT_ERR_INVALID_MODEL, "'nope'", "missing input");
    }
    /* External data. */
    {
        pbw g = {0}, t = {0}, e = {0};
        pbw_uint(&t, 1, 2);
        pbw_uint(&t, 2, OW_FLOAT);
        pbw_str(&t, 8, "w");
        pbw_str(&e, 1, "location");
        pbw_str(&e, 2, "weights.bin");
        pbw_msg(&t, 13, &e);
        pbw_uint(&t, 14, 1);
        pbw_msg(&g, 5, &t);
        const char *in[] = {"w"}, *out[] = {"y"};
        ow_node(&g, "r", "Relu", in, 1, out, 1, NULL, 0);
        ow_value(&g, 12, "y", OW_FLOAT, D4, 4);
        expect(&g, 17, GLINT_ERR_UNSUPPORTED, "initializer 'w': external data is not supported",
               "external data");
    }
    /* An unknown operator. */
    {
        pbw g = {0};
        const char *in[] = {"x"}, *out[] = {"y"};
        ow_value(&g, 11, "x", OW_FLOAT, D4, 4);
        ow_node(&g, "foo", "StringNormalizer", in, 1, out, 1, NULL, 0);
        ow_value(&g, 12, "y", OW_FLOAT, D4, 4);
        expect(&g, 17, GLINT_ERR_UNSUPPORTED, "node 0 'foo' (StringNormalizer): operator StringNormalizer is not supported",
               "unknown op");
    }
    /* A subgraph attribute. */
    {
        pbw g = {0}, at = {0}, sub = {0};
        pbw_str(&sub, 2, "then");
        pbw_str(&at, 1, "then_branch");
        pbw_msg(&at, 6, &sub);
        pbw_uint(&at, 20, 5);
        const char *in[] = {"c"}, *out[] = {"y"};
        ow_value(&g, 11, "c", OW_BOOL, D4, 0);
        ow_node(&g, "if0", "If", in, 1, out, 1, &at, 1);
        ow_value(&g, 12, "y", OW_FLOAT, D4, 4);
        expect(&g, 17, GLINT_ERR_UNSUPPORTED, "'if0' (If): attribute 'then_branch' is a subgraph",
               "subgraph");
    }
    /* An old opset. */
    {
        pbw g = {0};
        const char *in[] = {"x"}, *out[] = {"y"};
        ow_value(&g, 11, "x", OW_FLOAT, D4, 4);
        ow_node(&g, "r", "Relu", in, 1, out, 1, NULL, 0);
        ow_value(&g, 12, "y", OW_FLOAT, D4, 4);
        expect(&g, 9, GLINT_ERR_UNSUPPORTED, "opset 9 is not supported (glint supports 11 to 21)",
               "opset");
    }
    /* A custom domain. */
    {
        pbw g = {0}, n = {0};
        pbw_str(&n, 1, "x");
        pbw_str(&n, 2, "y");
        pbw_str(&n, 3, "ms");
        pbw_str(&n, 4, "FusedGemm");
        pbw_str(&n, 7, "com.microsoft");
        ow_value(&g, 11, "x", OW_FLOAT, D4, 4);
        pbw_msg(&g, 1, &n);
        ow_value(&g, 12, "y", OW_FLOAT, D4, 4);
        expect(&g, 17, GLINT_ERR_UNSUPPORTED, "domain 'com.microsoft'", "domain");
    }
    /* raw_data of the wrong size. */
    {
        pbw g = {0};
        pbw t = {0};
        float v[2] = {1, 2};
        pbw_uint(&t, 1, 3); /* claims 3 elements, carries 2 */
        pbw_uint(&t, 2, OW_FLOAT);
        pbw_str(&t, 8, "short");
        pbw_bytes(&t, 9, v, sizeof v);
        pbw_msg(&g, 5, &t);
        const char *in[] = {"short"}, *out[] = {"y"};
        ow_node(&g, "r", "Relu", in, 1, out, 1, NULL, 0);
        ow_value(&g, 12, "y", OW_FLOAT, D4, 4);
        expect(&g, 17, GLINT_ERR_INVALID_MODEL, "initializer 'short'", "size mismatch");
    }
    /* Two nodes writing one value. */
    {
        pbw g = {0};
        const char *in[] = {"x"}, *out[] = {"y"};
        ow_value(&g, 11, "x", OW_FLOAT, D4, 4);
        ow_node(&g, "a", "Relu", in, 1, out, 1, NULL, 0);
        ow_node(&g, "b", "Relu", in, 1, out, 1, NULL, 0);
        ow_value(&g, 12, "y", OW_FLOAT, D4, 4);
        expect(&g, 17, GLINT_ERR_INVALID_MODEL, "node 1 'b' (Relu): output 'y'", "two producers");
    }
    /* Too many inputs for the operator. */
    {
        pbw g = {0};
        const char *in[] = {"x", "x"}, *out[] = {"y"};
        ow_value(&g, 11, "x", OW_FLOAT, D4, 4);
        ow_node(&g, "r", "Relu", in, 2, out, 1, NULL, 0);
        ow_value(&g, 12, "y", OW_FLOAT, D4, 4);
        expect(&g, 17, GLINT_ERR_INVALID_MODEL, "2 inputs given", "input count");
    }
    /* No graph at all; an output never produced. */
    {
        pbw m = {0};
        pbw_uint(&m, 1, 8);
        gl_graph *gr = NULL;
        gl_err err;
        CHECK(gl_onnx_load(m.p, m.n, NULL, &gr, &err) == GLINT_ERR_INVALID_MODEL && !gr);
        pbw_free(&m);
        pbw g = {0};
        ow_value(&g, 12, "ghost", OW_FLOAT, D4, 4);
        expect(&g, 17, GLINT_ERR_INVALID_MODEL, "'ghost'", "unproduced output");
    }
}

/* Typed TensorProto fields: int32_data for int8 and float16, unpacked
 * int64_data, double_data, uint64_data, packed and unpacked forms. */
static void test_typed_tensors(void) {
    pbw g = {0};
    pbw t8 = {0}, th = {0}, td = {0}, tu = {0};
    pbw_uint(&t8, 1, 3);
    pbw_uint(&t8, 2, OW_INT8);
    pbw_str(&t8, 8, "i8");
    pbw packed = {0};
    pbw_varint(&packed, (uint64_t)(int64_t)-7);
    pbw_varint(&packed, 100);
    pbw_bytes(&t8, 5, packed.p, packed.n);
    pbw_uint(&t8, 5, 5); /* a third element, unpacked */
    pbw_free(&packed);
    pbw_uint(&th, 1, 1);
    pbw_uint(&th, 2, OW_FLOAT16);
    pbw_str(&th, 8, "h");
    pbw_uint(&th, 5, 0x3c00); /* 1.0 */
    pbw_uint(&td, 2, OW_DOUBLE); /* a scalar: no dims */
    pbw_str(&td, 8, "d");
    pbw_fixed64(&td, 10, 0x400c000000000000ull); /* 3.5 */
    pbw_uint(&tu, 1, 2);
    pbw_uint(&tu, 2, OW_UINT64);
    pbw_str(&tu, 8, "u");
    pbw_uint(&tu, 11, UINT64_MAX);
    pbw_uint(&tu, 11, 42);
    const int64_t sd[] = {2}, sv[] = {-3, 1LL << 40};
    pbw ti = ow_tensor_i64("i64", sd, 1, sv);
    pbw_msg(&g, 5, &t8);
    pbw_msg(&g, 5, &th);
    pbw_msg(&g, 5, &td);
    pbw_msg(&g, 5, &tu);
    pbw_msg(&g, 5, &ti);
    const char *in[] = {"i8"}, *out[] = {"y"};
    ow_node(&g, "id", "Identity", in, 1, out, 1, NULL, 0);
    ow_value(&g, 12, "y", OW_INT8, sd, 1);
    pbw m = ow_model(&g, 13, NULL);
    gl_graph *gr = NULL;
    gl_err err;
    CHECK_OK(gl_onnx_load(m.p, m.n, NULL, &gr, &err));
    if (gr) {
        const gl_const *c = gr->values[gl_graph_find_value(gr, "i8")].constant;
        CHECK(c && c->dtype == GLINT_DTYPE_INT8 && c->bytes == 3);
        if (c) CHECK(((int8_t *)c->data)[0] == -7 && ((int8_t *)c->data)[1] == 100 && ((int8_t *)c->data)[2] == 5);
        c = gr->values[gl_graph_find_value(gr, "h")].constant;
        CHECK(c && c->bytes == 2 && gl_f16_to_f32(*(uint16_t *)c->data) == 1.0f);
        c = gr->values[gl_graph_find_value(gr, "d")].constant;
        CHECK(c && c->shape.rank == 0 && c->bytes == 8 && *(double *)c->data == 3.5);
        c = gr->values[gl_graph_find_value(gr, "u")].constant;
        CHECK(c && ((uint64_t *)c->data)[0] == UINT64_MAX && ((uint64_t *)c->data)[1] == 42);
        c = gr->values[gl_graph_find_value(gr, "i64")].constant;
        CHECK(c && ((int64_t *)c->data)[0] == -3 && ((int64_t *)c->data)[1] == (1LL << 40));
    } else {
        fprintf(stderr, "typed tensors: %s\n", err.msg);
    }
    gl_graph_free(gr);
    pbw_free(&m);
}

/* Failing the k-th allocation, for every k until loading succeeds: each
 * failure is OUT_OF_MEMORY and nothing is left allocated. */
static void test_alloc_failures(void) {
    pbw m = conv_model(1);
    int leaks = 0, wrong = 0;
    for (long k = 1;; k++) {
        fail_alloc st = {0, k, 0};
        glint_allocator a = {fa_malloc, fa_realloc, fa_free, &st};
        gl_graph *g = NULL;
        gl_err err;
        glint_status s = gl_onnx_load(m.p, m.n, &a, &g, &err);
        if (s == GLINT_OK) {
            gl_graph_free(g);
            CHECK(st.live == 0);
            CHECK(k > 10);
            break;
        }
        if (s != GLINT_ERR_OUT_OF_MEMORY && s != GLINT_ERR_INVALID_MODEL) {
            wrong++;
            fprintf(stderr, "allocation %ld failed: %s %s\n", k, glint_status_name(s), err.msg);
        }
        if (st.live != 0) leaks++;
        if (k > 100000) {
            CHECK_MSG(0, "never succeeded");
            break;
        }
    }
    CHECK(leaks == 0 && wrong == 0);
    pbw_free(&m);
}

/* Random byte flips of a valid model never crash and never leak. */
static void test_mutations(void) {
    pbw m = conv_model(1);
    int ok = 0, leaks = 0;
    for (int t = 0; t < 3000; t++) {
        uint8_t *buf = malloc(m.n);
        memcpy(buf, m.p, m.n);
        int flips = 1 + (int)(tl_rand_u64() % 4);
        for (int f = 0; f < flips; f++) buf[tl_rand_u64() % m.n] = (uint8_t)tl_rand_u64();
        size_t len = tl_rand_u64() % 8 == 0 ? (size_t)(tl_rand_u64() % m.n) : m.n;
        fail_alloc st = {0, -1, 0};
        glint_allocator a = {fa_malloc, fa_realloc, fa_free, &st};
        gl_graph *g = NULL;
        gl_err err;
        if (gl_onnx_load(buf, len, &a, &g, &err) == GLINT_OK) ok++;
        gl_graph_free(g);
        if (st.live) leaks++;
        free(buf);
    }
    CHECK(leaks == 0);
    printf("mutations: %d of 3000 still loaded\n", ok);
    pbw_free(&m);
}

/* Debian's ONNX node tests: each model loads or is refused as unsupported;
 * a valid model is never called invalid. */
static void test_onnx_testdata(void) {
    const char *dir = "/usr/share/libonnx-testdata/data/node";
    DIR *d = opendir(dir);
    if (!d) {
        printf("skipping ONNX test data: %s not found\n", dir);
        return;
    }
    int loaded = 0, refused = 0, invalid = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s/model.onnx", dir, e->d_name);
        size_t size;
        void *data = tl_read_file(path, &size);
        if (!data) continue;
        gl_graph *g = NULL;
        gl_err err;
        glint_status s = gl_onnx_load(data, size, NULL, &g, &err);
        if (s == GLINT_OK) loaded++;
        else if (s == GLINT_ERR_UNSUPPORTED) {
            refused++;
            if (getenv("GLINT_TEST_VERBOSE")) printf("refused %s: %s\n", e->d_name, err.msg);
        }
        else {
            invalid++;
            fprintf(stderr, "%s: %s: %s\n", e->d_name, glint_status_name(s), err.msg);
        }
        gl_graph_free(g);
        free(data);
    }
    closedir(d);
    printf("ONNX node tests: %d loaded, %d refused as unsupported, %d invalid\n", loaded, refused,
           invalid);
    CHECK(loaded > 50);
    CHECK(invalid == 0);
}

int main(void) {
    tl_seed_from_env();
    test_conv_model();
    test_broken_models();
    test_typed_tensors();
    test_alloc_failures();
    test_mutations();
    test_onnx_testdata();
    return TEST_END();
}
