/* The CPU Gemm / MatMul fast path against the reference kernels of Gemm and
 * MatMul on fresh random inputs: every transA/transB, alpha and beta, every
 * broadcast of C (none, scalar, [N], [1,N], [M,1], [M,N]), edge sizes
 * around MR/NR, K = 0 and K crossing the K block, MatMul with leading
 * dims, each SGEMM variant this CPU has, 1 to 3 threads. Outputs are
 * poisoned with NaN first. */
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/gemm_fast.h"
#include "model/graph.h"
#include "ops/op.h"
#include "testlib.h"

/* A one-node graph so the reference op parses its own attributes. */
static void *gemm_params(gl_graph *g, int ta, int tb, float alpha, float beta) {
    gl_err err = {0};
    int in[3], out[1];
    in[0] = gl_graph_value(g, "A", &err);
    in[1] = gl_graph_value(g, "B", &err);
    in[2] = gl_graph_value(g, "C", &err);
    out[0] = gl_graph_value(g, "Y", &err);
    int ni = gl_graph_add_node(g, "gemm", "", "Gemm", in, 3, out, 1, &err);
    gl_node *n = &g->nodes[ni];
    n->attrs = gl_calloc(g->alloc, 4, sizeof *n->attrs);
    const char *names[4] = {"transA", "transB", "alpha", "beta"};
    for (int i = 0; i < 4; i++) {
        n->attrs[i].name = gl_strdup(g->alloc, names[i]);
        n->attrs[i].type = i < 2 ? GL_ATTR_INT : GL_ATTR_FLOAT;
    }
    n->attrs[0].i = ta;
    n->attrs[1].i = tb;
    n->attrs[2].f = alpha;
    n->attrs[3].f = beta;
    n->n_attrs = 4;
    void *params = NULL;
    CHECK_OK(gl_op_find("", "Gemm")->parse(g, n, &params, &err));
    return params;
}

static int run_gemm(const gl_sgemm_kernel *kern, int threads, int64_t M, int64_t N, int64_t K,
                    int ta, int tb, float alpha, float beta, int cmode) {
    gl_graph *g = gl_graph_new(NULL);
    void *params = gemm_params(g, ta, tb, alpha, beta);
    int64_t ad[2] = {ta ? K : M, ta ? M : K}, bd[2] = {tb ? N : K, tb ? K : N};
    int64_t cd[2] = {0, 0};
    int crank = 0;
    switch (cmode) {
    case 0: crank = -1; break;                 /* no C */
    case 1: crank = 0; break;                  /* scalar */
    case 2: crank = 1; cd[0] = N; break;
    case 3: crank = 2; cd[0] = 1; cd[1] = N; break;
    case 4: crank = 2; cd[0] = M; cd[1] = 1; break;
    default: crank = 2; cd[0] = M; cd[1] = N; break;
    }
    size_t na = (size_t)(M * K) + 1, nb = (size_t)(K * N) + 1, nc = (size_t)(M * N) + 1;
    float *A = malloc(na * 4), *B = malloc(nb * 4), *C = malloc(nc * 4);
    float *yr = malloc(nc * 4), *yf = malloc(nc * 4);
    tl_fill_uniform(A, na, -1, 1);
    tl_fill_uniform(B, nb, -1, 1);
    tl_fill_uniform(C, nc, -1, 1);
    const gl_dtype f32 = GLINT_DTYPE_FLOAT32;
    gl_tensor in[3] = {tl_tensor(f32, A, 2, ad), tl_tensor(f32, B, 2, bd),
                       tl_tensor(f32, C, crank < 0 ? 0 : crank, cd)};
    if (crank < 0) in[2] = (gl_tensor){.dtype = GLINT_DTYPE_UNDEFINED};
    int64_t yd[2] = {M, N};
    gl_tensor out = tl_tensor(f32, yr, 2, yd);
    gl_err err = {0};
    tl_poison(yr, nc - 1);
    int ok = gl_op_find("", "Gemm")->run(params, in, 3, &out, 1, NULL, &err) == GLINT_OK;
    if (!ok) fprintf(stderr, "reference Gemm: %s\n", err.msg);
    gl_cpu_gemm gm;
    ok &= gl_cpu_gemm_init(&gm, kern, &in[0].shape, &in[1].shape, crank < 0 ? NULL : &in[2].shape,
                           ta, tb, alpha, beta);
    gm.kern = gl_sgemm_for_m(kern, gm.M); /* as the backend picks it */
    gl_pool *pool = NULL;
    gl_pool_create(NULL, threads, &pool, &err);
    size_t stride = gl_align_up(gl_sgemm_scratch_floats(GL_SGEMM_NC), 16);
    float *scratch = aligned_alloc(64, stride * 4 * (size_t)threads);
    float *pa = aligned_alloc(64, gl_align_up(gl_cpu_gemm_pack_floats(&gm) * 4 + 64, 64));
    tl_poison(yf, nc - 1);
    if (ok) gl_cpu_gemm_run(&gm, A, B, crank < 0 ? NULL : C, yf, pa, pool, scratch, stride);
    char what[160];
    snprintf(what, sizeof what, "%s t=%d Gemm M=%lld N=%lld K=%lld tA=%d tB=%d a=%g b=%g C=%d",
             kern->name, threads, (long long)M, (long long)N, (long long)K, ta, tb, alpha, beta,
             cmode);
    ok = ok && tl_close(yf, yr, (size_t)(M * N), 1e-4f, 1e-5f, what);
    gl_pool_free(pool);
    free(scratch); free(pa); free(A); free(B); free(C); free(yr); free(yf);
    gl_free(g->alloc, params);
    gl_graph_free(g);
    return ok;
}

static int run_matmul(const gl_sgemm_kernel *kern, int threads, int64_t lead, int64_t M,
                      int64_t N, int64_t K) {
    int64_t ad[3] = {lead, M, K}, bd[2] = {K, N}, yd[3] = {lead, M, N};
    size_t na = (size_t)(lead * M * K) + 1, nb = (size_t)(K * N) + 1, ny = (size_t)(lead * M * N);
    float *A = malloc(na * 4), *B = malloc(nb * 4), *yr = malloc(ny * 4), *yf = malloc(ny * 4);
    tl_fill_uniform(A, na, -1, 1);
    tl_fill_uniform(B, nb, -1, 1);
    const gl_dtype f32 = GLINT_DTYPE_FLOAT32;
    gl_tensor in[2] = {tl_tensor(f32, A, 3, ad), tl_tensor(f32, B, 2, bd)};
    gl_tensor out = tl_tensor(f32, yr, 3, yd);
    gl_err err = {0};
    tl_poison(yr, ny);
    int ok = gl_op_find("", "MatMul")->run(NULL, in, 2, &out, 1, NULL, &err) == GLINT_OK;
    gl_cpu_gemm gm;
    ok &= gl_cpu_matmul_init(&gm, kern, &in[0].shape, &in[1].shape);
    gl_pool *pool = NULL;
    gl_pool_create(NULL, threads, &pool, &err);
    size_t stride = gl_align_up(gl_sgemm_scratch_floats(GL_SGEMM_NC), 16);
    float *scratch = aligned_alloc(64, stride * 4 * (size_t)threads);
    float *pa = aligned_alloc(64, gl_align_up(gl_cpu_gemm_pack_floats(&gm) * 4 + 64, 64));
    tl_poison(yf, ny);
    if (ok) gl_cpu_gemm_run(&gm, A, B, NULL, yf, pa, pool, scratch, stride);
    char what[128];
    snprintf(what, sizeof what, "%s t=%d MatMul [%lld,%lld,%lld]x[%lld,%lld]", kern->name,
             threads, (long long)lead, (long long)M, (long long)K, (long long)K, (long long)N);
    ok = ok && tl_close(yf, yr, ny, 1e-4f, 1e-5f, what);
    gl_pool_free(pool);
    free(scratch); free(pa); free(A); free(B); free(yr); free(yf);
    return ok;
}

int main(void) {
    tl_seed_from_env();
    if (!gl_op_find("", "Gemm") || !gl_op_find("", "MatMul")) tl_skip("no Gemm/MatMul reference");
    const char *names[] = {"generic", "avx2", "avx512"};
    for (size_t ki = 0; ki < GL_ARRAY_LEN(names); ki++) {
        const gl_sgemm_kernel *kern = gl_sgemm_kernel_named(names[ki]);
        if (!kern) continue;
        const int64_t sizes[][3] = {{1, 1, 1},   {32, 160, 64}, {1, 96, 64}, {7, 33, 5},
                                    {9, 17, 300}, {40, 3, 2},   {3, 250, 0}, {65, 70, 31}};
        int v = 0;
        for (size_t s = 0; s < GL_ARRAY_LEN(sizes); s++)
            for (int ta = 0; ta < 2; ta++)
                for (int tb = 0; tb < 2; tb++, v++) {
                    float alpha = v % 3 == 0 ? 1.0f : 0.5f + (float)(v % 5);
                    float beta = v % 4 == 1 ? 0.0f : 1.0f - 0.25f * (float)(v % 3);
                    CHECK(run_gemm(kern, 1 + v % 3, sizes[s][0], sizes[s][1], sizes[s][2], ta,
                                   tb, alpha, beta, v % 6));
                }
        for (int r = 0; r < 12; r++)
            CHECK(run_matmul(kern, 1 + r % 3, 1 + r % 3, 1 + (int64_t)(tl_rand_u64() % 40),
                             1 + (int64_t)(tl_rand_u64() % 200), 1 + (int64_t)(tl_rand_u64() % 300)));
    }
    return TEST_END();
}
