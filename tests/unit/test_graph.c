/* Graph IR built directly: value index by name, topological sort of nodes
 * given out of order, cycle and reference errors, op resolution and count
 * checks, attribute getters and their type errors. */
#include <stdio.h>
#include <string.h>

#include "model/graph.h"
#include "ops/op.h"
#include "testlib.h"

static int val(gl_graph *g, const char *name) { return gl_graph_value(g, name, NULL); }

static int relu(gl_graph *g, const char *name, const char *in, const char *out) {
    int i = val(g, in), o = val(g, out);
    return gl_graph_add_node(g, name, "", "Relu", &i, 1, &o, 1, NULL);
}

static void test_values(void) {
    gl_graph *g = gl_graph_new(NULL);
    char name[32];
    /* Enough values to force several index rebuilds. */
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "v%d", i);
        CHECK(gl_graph_value(g, name, NULL) == i);
    }
    int bad = 0;
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "v%d", i);
        if (gl_graph_find_value(g, name) != i || gl_graph_value(g, name, NULL) != i) bad++;
    }
    CHECK(bad == 0 && g->n_values == 5000);
    CHECK(gl_graph_find_value(g, "absent") == -1);
    int a = gl_graph_new_value(g, "v7", NULL), b = gl_graph_new_value(g, "v7", NULL);
    CHECK(a == 5000 && b == 5001 && strcmp(g->values[a].name, "v7_1") == 0 &&
          strcmp(g->values[b].name, "v7_2") == 0);
    CHECK(g->values[a].shape.rank == -1 && g->values[a].producer == -1 && !g->values[a].constant);
    gl_graph_free(g);
}

static void test_sort(void) {
    gl_graph *g = gl_graph_new(NULL);
    gl_err err;
    /* y = relu(c), c = relu(b), b = relu(x): given in reverse. */
    relu(g, "third", "c", "y");
    relu(g, "second", "b", "c");
    relu(g, "first", "x", "b");
    gl_graph_add_input(g, val(g, "x"), NULL);
    gl_graph_add_output(g, val(g, "y"), NULL);
    CHECK_OK(gl_graph_finalize(g, &err));
    CHECK(strcmp(g->nodes[0].name, "first") == 0 && strcmp(g->nodes[2].name, "third") == 0);
    CHECK(g->values[val(g, "c")].producer == 1 && g->values[val(g, "x")].is_input &&
          g->values[val(g, "y")].is_output);
    for (int i = 0; i < 3; i++) CHECK(g->nodes[i].op && strcmp(g->nodes[i].op->name, "Relu") == 0);
    char lb[100];
    CHECK(strcmp(gl_node_label(g, 2, lb, sizeof lb), "node 2 'third' (Relu)") == 0);
    /* Finalizing again is harmless. */
    CHECK_OK(gl_graph_finalize(g, &err));
    gl_graph_free(g);
}

static glint_status finalize_err(gl_graph *g, gl_err *err) {
    glint_status s = gl_graph_finalize(g, err);
    gl_graph_free(g);
    return s;
}

static void test_errors(void) {
    gl_err err;
    gl_graph *g;
    /* Cycle through three nodes fed by an input. */
    g = gl_graph_new(NULL);
    int xs[2] = {val(g, "x"), val(g, "c")}, o = val(g, "a");
    gl_graph_add_node(g, "add", "", "Add", xs, 2, &o, 1, NULL);
    relu(g, "r1", "a", "b");
    relu(g, "r2", "b", "c");
    relu(g, "out", "a", "y");
    gl_graph_add_input(g, val(g, "x"), NULL);
    gl_graph_add_output(g, val(g, "y"), NULL);
    CHECK(finalize_err(g, &err) == GLINT_ERR_INVALID_MODEL && strstr(err.msg, "cycle") &&
          !strstr(err.msg, "'out'"));
    /* A node reading its own output. */
    g = gl_graph_new(NULL);
    relu(g, "self", "s", "s");
    gl_graph_add_output(g, val(g, "s"), NULL);
    CHECK(finalize_err(g, &err) == GLINT_ERR_INVALID_MODEL && strstr(err.msg, "'self'"));
    /* Unknown op. */
    g = gl_graph_new(NULL);
    int i = val(g, "x");
    o = val(g, "y");
    gl_graph_add_node(g, "e", "", "StringNormalizer", &i, 1, &o, 1, NULL);
    gl_graph_add_input(g, i, NULL);
    gl_graph_add_output(g, o, NULL);
    CHECK(finalize_err(g, &err) == GLINT_ERR_UNSUPPORTED &&
          strcmp(err.msg, "node 0 'e' (StringNormalizer): operator StringNormalizer is not supported") == 0);
    /* Missing required input (omitted with -1). */
    g = gl_graph_new(NULL);
    int ins[2] = {val(g, "x"), -1};
    o = val(g, "y");
    gl_graph_add_node(g, "add", "", "Add", ins, 2, &o, 1, NULL);
    gl_graph_add_input(g, ins[0], NULL);
    gl_graph_add_output(g, o, NULL);
    CHECK(finalize_err(g, &err) == GLINT_ERR_INVALID_MODEL && strstr(err.msg, "required input 1"));
    /* A node writing a graph input. */
    g = gl_graph_new(NULL);
    relu(g, "w", "y", "x");
    relu(g, "r", "x", "y");
    gl_graph_add_input(g, val(g, "x"), NULL);
    gl_graph_add_output(g, val(g, "y"), NULL);
    CHECK(finalize_err(g, &err) == GLINT_ERR_INVALID_MODEL && strstr(err.msg, "graph input"));
    /* Bad value index. */
    g = gl_graph_new(NULL);
    i = 99;
    o = val(g, "y");
    gl_graph_add_node(g, "r", "", "Relu", &i, 1, &o, 1, NULL);
    gl_graph_add_output(g, o, NULL);
    CHECK(finalize_err(g, &err) == GLINT_ERR_INVALID_MODEL && strstr(err.msg, "bad value index"));
}

static void test_attrs(void) {
    gl_graph *g = gl_graph_new(NULL);
    gl_err err;
    relu(g, "n", "x", "y");
    gl_attr *a = gl_node_add_attr(g, 0, &err);
    a->name = gl_strdup(NULL, "alpha");
    a->type = GL_ATTR_FLOAT;
    a->f = 0.25f;
    a = gl_node_add_attr(g, 0, &err);
    a->name = gl_strdup(NULL, "axes");
    a->type = GL_ATTR_INTS;
    a->count = 3;
    a->ints = gl_calloc(NULL, 3, sizeof(int64_t));
    a->ints[0] = -1;
    a->ints[2] = 7;
    a = gl_node_add_attr(g, 0, &err);
    a->name = gl_strdup(NULL, "mode");
    a->type = GL_ATTR_STRING;
    a->s = gl_strdup(NULL, "nearest");
    const gl_node *n = &g->nodes[0];
    float f;
    int64_t iv;
    const char *s;
    const int64_t *ints;
    const float *floats;
    size_t cnt;
    CHECK_OK(gl_attr_float(n, "alpha", 1.0f, &f, &err));
    CHECK(f == 0.25f);
    CHECK_OK(gl_attr_float(n, "beta", 2.0f, &f, &err));
    CHECK(f == 2.0f);
    CHECK_OK(gl_attr_int(n, "axis", -3, &iv, &err));
    CHECK(iv == -3);
    CHECK(gl_attr_int(n, "alpha", 0, &iv, &err) == GLINT_ERR_INVALID_MODEL &&
          strstr(err.msg, "'alpha' must be of type int, found float"));
    CHECK_OK(gl_attr_ints(n, "axes", &ints, &cnt, &err));
    CHECK(cnt == 3 && ints[0] == -1 && ints[2] == 7);
    CHECK_OK(gl_attr_ints(n, "pads", &ints, &cnt, &err));
    CHECK(cnt == 0 && ints == NULL);
    CHECK(gl_attr_floats(n, "axes", &floats, &cnt, &err) == GLINT_ERR_INVALID_MODEL);
    CHECK_OK(gl_attr_string(n, "mode", NULL, &s, &err));
    CHECK(strcmp(s, "nearest") == 0);
    CHECK_OK(gl_attr_string(n, "coord", NULL, &s, &err));
    CHECK(strcmp(s, "") == 0);
    CHECK_OK(gl_attr_string(n, "coord", "half_pixel", &s, &err));
    CHECK(strcmp(s, "half_pixel") == 0);
    CHECK(gl_node_attr(n, "axes") && !gl_node_attr(n, "nope"));
    gl_graph_add_meta(g, "k", "v1", &err);
    gl_graph_add_meta(g, "k", "v2", &err);
    CHECK(strcmp(gl_graph_meta(g, "k"), "v2") == 0);
    gl_graph_free(g);
}

int main(void) {
    tl_seed_from_env();
    test_values();
    test_sort();
    test_errors();
    test_attrs();
    return TEST_END();
}
