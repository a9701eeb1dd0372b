/* Models whose plans depend on the values of inputs (a Reshape's shape and
 * a Slice's starts given as graph inputs): the engine is created (the plan
 * waits for the first run), each distinct value gets its own plan, a value
 * seen before reuses its plan without allocating, the outputs are right for
 * every value, a bad value fails that run only, the inputs whose values
 * select the plan are reported as such, the plan facts of such a bucket
 * say why they are not available before a run, and the batcher runs such
 * requests one by one instead of stacking their values. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_writer.h"
#include "testlib.h"

static atomic_long g_calls;
static void *cmalloc(void *u, size_t n) { (void)u; atomic_fetch_add(&g_calls, 1); return malloc(n); }
static void *crealloc(void *u, void *p, size_t n) { (void)u; atomic_fetch_add(&g_calls, 1); return realloc(p, n); }
static void cfree(void *u, void *p) { (void)u; atomic_fetch_add(&g_calls, 1); free(p); }
static const glint_allocator g_counting = {cmalloc, crealloc, cfree, NULL};

enum { A = 2, B = 3, C = 4, N = A * B * C };

/* y = Slice(Reshape(x [2,3,4], shape), starts, ends = [100], axes = [1]) */
static pbw model(void) {
    pbw g = {0};
    const int64_t one = 1, big = 100, ax = 1;
    pbw t[2] = {ow_tensor_i64("ends", &one, 1, &big), ow_tensor_i64("axes", &one, 1, &ax)};
    for (int i = 0; i < 2; i++) pbw_msg(&g, 5, &t[i]);
    const char *r_in[] = {"x", "shape"}, *r_out[] = {"r"};
    ow_node(&g, "reshape", "Reshape", r_in, 2, r_out, 1, NULL, 0);
    const char *s_in[] = {"r", "starts", "ends", "axes"}, *s_out[] = {"y"};
    ow_node(&g, "slice", "Slice", s_in, 4, s_out, 1, NULL, 0);
    const int64_t xd[3] = {A, B, C}, sd[1] = {2}, st[1] = {1}, yd[2] = {-1, -1};
    ow_value(&g, 11, "x", OW_FLOAT, xd, 3);
    ow_value(&g, 11, "shape", OW_INT64, sd, 1);
    ow_value(&g, 11, "starts", OW_INT64, st, 1);
    ow_value(&g, 12, "y", OW_FLOAT, yd, 2);
    return ow_model(&g, 17, "test_value_inputs");
}

/* Runs with shape (rows, cols) and start; checks y = the columns from
 * `start` of x viewed as rows × cols. Returns the run's status. */
static glint_status run(glint_context *c, const float *x, int64_t rows, int64_t cols,
                        int64_t start, bool check) {
    int64_t shape[2] = {rows, cols}, starts[1] = {start};
    glint_tensor in[3] = {{"x", GLINT_DTYPE_FLOAT32, 3, {A, B, C}, (void *)x, N * sizeof(float)},
                          {"shape", GLINT_DTYPE_INT64, 1, {2}, shape, sizeof shape},
                          {"starts", GLINT_DTYPE_INT64, 1, {1}, starts, sizeof starts}};
    float y[N];
    tl_poison(y, N);
    glint_tensor out = {"y", 0, 0, {0}, y, sizeof y};
    glint_status st = glint_run(c, in, 3, &out, 1);
    if (st != GLINT_OK || !check) return st;
    const int64_t w = cols - start;
    CHECK(out.rank == 2 && out.dims[0] == rows && out.dims[1] == w);
    int bad = 0;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < w; j++) bad += y[i * w + j] != x[i * cols + start + j];
    CHECK_MSG(bad == 0, "shape %lldx%lld from %lld: %d wrong values", (long long)rows,
              (long long)cols, (long long)start, bad);
    return st;
}

/* y = Slice(x [1,24], starts [1], ends = [100], axes = [1]): every input
 * has dim 0 = 1, so the batcher takes it, but stacking two requests would
 * give starts two values for one axis. */
static void test_batcher(void) {
    pbw g = {0};
    const int64_t one = 1, big = 100, ax = 1;
    pbw t[2] = {ow_tensor_i64("ends", &one, 1, &big), ow_tensor_i64("axes", &one, 1, &ax)};
    for (int i = 0; i < 2; i++) pbw_msg(&g, 5, &t[i]);
    const char *s_in[] = {"x", "starts", "ends", "axes"}, *s_out[] = {"y"};
    ow_node(&g, "slice", "Slice", s_in, 4, s_out, 1, NULL, 0);
    const int64_t xd[2] = {1, N}, sd[1] = {1}, yd[2] = {1, -1};
    ow_value(&g, 11, "x", OW_FLOAT, xd, 2);
    ow_value(&g, 11, "starts", OW_INT64, sd, 1);
    ow_value(&g, 12, "y", OW_FLOAT, yd, 2);
    pbw m = ow_model(&g, 17, "test_value_inputs");
    glint_engine *e = NULL;
    glint_batcher *b = NULL;
    char err[512];
    CHECK_OK(glint_engine_create_from_memory(m.p, m.n, NULL, &e, err, sizeof err));
    pbw_free(&m);
    glint_batcher_options bo;
    glint_batcher_options_init(&bo);
    bo.max_batch = 8;
    bo.max_queue_delay_us = 20000; /* the requests below would all be grouped */
    if (e) CHECK_OK(glint_batcher_create(e, &bo, &b, err, sizeof err));
    enum { R = 4 };
    float x[N], y[R][N];
    int64_t starts[R];
    glint_tensor in[R][2], out[R];
    glint_request rq[R];
    glint_ticket *tk[R] = {0};
    tl_fill_uniform(x, N, -1, 1);
    for (int r = 0; b && r < R; r++) {
        starts[r] = 3 * r + 1;
        in[r][0] = (glint_tensor){"x", GLINT_DTYPE_FLOAT32, 2, {1, N}, x, sizeof x};
        in[r][1] = (glint_tensor){"starts", GLINT_DTYPE_INT64, 1, {1}, &starts[r], sizeof starts[r]};
        out[r] = (glint_tensor){"y", 0, 0, {0}, y[r], sizeof y[r]};
        tl_poison(y[r], N);
        rq[r] = (glint_request){in[r], 2, &out[r], 1, 0};
        CHECK_OK(glint_batcher_submit(b, &rq[r], NULL, NULL, &tk[r]));
    }
    for (int r = 0; b && r < R; r++) {
        const glint_status st = tk[r] ? glint_ticket_wait(tk[r], -1) : GLINT_ERR_INTERNAL;
        CHECK_MSG(st == GLINT_OK, "request %d: %s", r, tk[r] ? glint_ticket_error(tk[r]) : "");
        int bad = out[r].rank != 2 || out[r].dims[1] != N - starts[r];
        for (int64_t j = 0; !bad && j < N - starts[r]; j++) bad = y[r][j] != x[starts[r] + j];
        CHECK_MSG(!bad, "request %d (start %lld): wrong output", r, (long long)starts[r]);
        glint_ticket_free(tk[r]);
    }
    glint_batcher_free(b);
    glint_engine_free(e);
}

/* glint_engine_input_info's value_selects_plan for x, shape, starts. */
static void check_selects(const glint_engine *e, const int want[3]) {
    for (size_t i = 0; i < 3; i++) {
        glint_io_info io;
        CHECK_OK(glint_engine_input_info(e, i, &io));
        CHECK_MSG(io.value_selects_plan == want[i], "input %s: value_selects_plan %d, want %d",
                  io.name, io.value_selects_plan, want[i]);
    }
}

int main(void) {
    tl_seed_from_env();
    pbw m = model();
    glint_engine_options opt;
    glint_engine_options_init(&opt);
    opt.device = GLINT_DEVICE_CPU;
    opt.threads = 1;
    opt.allocator = &g_counting;
    glint_engine *e = NULL;
    glint_context *c = NULL;
    char err[512];
    CHECK_OK(glint_engine_create_from_memory(m.p, m.n, &opt, &e, err, sizeof err));
    pbw_free(&m);
    if (!e) return TEST_END();
    CHECK_OK(glint_context_create(e, &c, err, sizeof err));
    /* planning at creation stops at the Reshape: its shape is known to
     * select the plan; the first run finds the Slice's starts too */
    check_selects(e, (const int[3]){0, 1, 0});
    float x[N];
    tl_fill_uniform(x, N, -1, 1);
    CHECK_OK(run(c, x, 6, 4, 1, true));
    check_selects(e, (const int[3]){0, 1, 1});
    CHECK_OK(run(c, x, 4, 6, 0, true));
    CHECK_OK(run(c, x, 2, 12, 5, true));
    /* values seen before: their plans, nothing allocated */
    atomic_store(&g_calls, 0);
    for (int r = 0; r < 5; r++) {
        CHECK_OK(run(c, x, 6, 4, 1, false));
        CHECK_OK(run(c, x, 4, 6, 0, false));
    }
    CHECK_MSG(atomic_load(&g_calls) == 0, "%ld allocator calls re-running known values",
              (long)atomic_load(&g_calls));
    /* a shape that does not hold 24 values fails that run, and only it */
    CHECK(run(c, x, 5, 5, 0, false) == GLINT_ERR_INVALID_MODEL);
    CHECK(strstr(glint_context_last_error(c), "Reshape") != NULL);
    CHECK_OK(run(c, x, 6, 4, 2, true));
    /* plan facts need the values */
    glint_plan_info info;
    glint_bucket b = {A, B, C};
    CHECK(glint_engine_plan_info(e, b, &info, err, sizeof err) == GLINT_ERR_UNSUPPORTED);
    CHECK(strstr(err, "values of inputs") != NULL);
    glint_context_free(c);
    glint_engine_free(e);
    test_batcher();
    return TEST_END();
}
