/* Packed SGEMM against a naive triple loop, for every micro-kernel this CPU
 * supports, over many (M, N, K) including edge sizes (1, MR±1, NR±1, K
 * crossing the K-block), both layouts of A, accumulation across K blocks,
 * and the tile callback seeing every element exactly once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/sgemm.h"
#include "testlib.h"

/* C = A·B in double, and S = Σ|a·b| per element: the scale of float32
 * rounding in a K-long sum (with cancellation, |C| alone is no measure). */
static void naive(int64_t M, int64_t N, int64_t K, const float *A, const float *B, float *C,
                  float *S) {
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            double s = 0, a = 0;
            for (int64_t k = 0; k < K; k++) {
                double p = (double)A[m * K + k] * B[k * N + n];
                s += p;
                a += fabs(p);
            }
            C[m * N + n] = (float)s;
            S[m * N + n] = (float)a;
        }
}

typedef struct {
    int64_t N;
    int *seen;
} tile_ctx;

/* Marks elements and applies y = 2y + 1 so the test can tell it ran after
 * the last K block. */
static void mark(const void *vctx, float *c, int64_t ldc, int64_t m0, int64_t mr, int64_t n0,
                 int64_t nr) {
    const tile_ctx *t = vctx;
    for (int64_t i = 0; i < mr; i++)
        for (int64_t j = 0; j < nr; j++) {
            t->seen[(m0 + i) * t->N + n0 + j]++;
            c[i * ldc + j] = 2 * c[i * ldc + j] + 1;
        }
}

static int run_case(const gl_sgemm_kernel *kern, int64_t M, int64_t N, int64_t K, int transA,
                    int with_tile) {
    float *A = malloc(sizeof(float) * (size_t)(M * K + 1));
    float *At = malloc(sizeof(float) * (size_t)(M * K + 1));
    float *B = malloc(sizeof(float) * (size_t)(K * N + 1));
    float *C = malloc(sizeof(float) * (size_t)(M * N));
    float *R = malloc(sizeof(float) * (size_t)(M * N));
    float *S = malloc(sizeof(float) * (size_t)(M * N));
    int *seen = calloc((size_t)(M * N), sizeof(int));
    float *pa = malloc(sizeof(float) * gl_sgemm_packed_a_floats(kern, M, K));
    float *scratch = aligned_alloc(64, gl_align_up(sizeof(float) * gl_sgemm_scratch_floats(GL_SGEMM_NC), 64));
    tl_fill_uniform(A, (size_t)(M * K), -1, 1);
    tl_fill_uniform(B, (size_t)(K * N), -1, 1);
    for (int64_t m = 0; m < M; m++)
        for (int64_t k = 0; k < K; k++) At[k * M + m] = A[m * K + k];
    if (transA) gl_sgemm_pack_a(kern, M, K, At, 1, M, pa);
    else gl_sgemm_pack_a(kern, M, K, A, K, 1, pa);
    naive(M, N, K, A, B, R, S);
    if (with_tile)
        for (int64_t i = 0; i < M * N; i++) R[i] = 2 * R[i] + 1;
    tl_poison(C, (size_t)(M * N));
    gl_pack_b_matrix bm = {B, N, 1};
    tile_ctx tc = {N, seen};
    gl_sgemm_job j = {.kern = kern, .M = M, .N = N, .K = K, .packed_a = pa,
                      .pack_b = gl_pack_b_from_matrix, .pack_b_ctx = &bm, .c = C, .ldc = N,
                      .tile = with_tile ? mark : NULL, .tile_ctx = &tc};
    /* Split like the backend does: MR-aligned row chunks × NC column chunks. */
    int64_t mstep = ((M / 2 + kern->mr - 1) / kern->mr) * kern->mr;
    if (mstep <= 0) mstep = kern->mr;
    for (int64_t m0 = 0; m0 < M; m0 += mstep)
        for (int64_t n0 = 0; n0 < N; n0 += GL_SGEMM_NC)
            gl_sgemm_run(&j, m0, GL_MIN(M, m0 + mstep), n0, GL_MIN(N, n0 + GL_SGEMM_NC), scratch);
    char what[128];
    snprintf(what, sizeof what, "%s M=%lld N=%lld K=%lld transA=%d tile=%d", kern->name,
             (long long)M, (long long)N, (long long)K, transA, with_tile);
    int ok = 1;
    for (int64_t i = 0; i < M * N && ok; i++) {
        double scale = with_tile ? 2.0 : 1.0;
        double tol = 1e-5 * fabs((double)R[i]) + scale * (1e-6 * S[i] + 1e-6);
        if (!(fabs((double)C[i] - (double)R[i]) <= tol)) { /* also catches NaN */
            fprintf(stderr, "%s: element %lld: got %g want %g (tolerance %g)\n", what, (long long)i,
                    (double)C[i], (double)R[i], tol);
            ok = 0;
        }
    }
    if (with_tile)
        for (int64_t i = 0; i < M * N; i++)
            if (seen[i] != 1) { ok = 0; fprintf(stderr, "%s: element %lld seen %d times\n", what, (long long)i, seen[i]); break; }
    free(A); free(At); free(B); free(C); free(R); free(S); free(seen); free(pa); free(scratch);
    return ok;
}

int main(void) {
    tl_seed_from_env();
    const char *names[] = {"generic", "avx2", "avx512", "avx512_1x32"};
    int tested = 0;
    for (size_t ki = 0; ki < GL_ARRAY_LEN(names); ki++) {
        const gl_sgemm_kernel *kern = gl_sgemm_kernel_named(names[ki]);
        if (!kern) { printf("kernel %s: not supported here, skipped\n", names[ki]); continue; }
        tested++;
        const int64_t mr = kern->mr, nr = kern->nr;
        const int64_t Ms[] = {1, 2, mr - 1, mr, mr + 1, 2 * mr + 3, 33, 64};
        const int64_t Ns[] = {1, 3, nr - 1, nr, nr + 1, 100, GL_SGEMM_NC + 7, 500};
        const int64_t Ks[] = {1, 2, 7, 64, GL_SGEMM_KC, GL_SGEMM_KC + 1, 600};
        for (size_t a = 0; a < GL_ARRAY_LEN(Ms); a++)
            for (size_t b = 0; b < GL_ARRAY_LEN(Ns); b++)
                for (size_t c = 0; c < GL_ARRAY_LEN(Ks); c++) {
                    if (Ms[a] < 1 || Ns[b] < 1) continue;
                    int variant = (int)((a + b + c) % 4);
                    CHECK(run_case(kern, Ms[a], Ns[b], Ks[c], variant & 1, (variant >> 1) & 1));
                }
        /* Random shapes */
        for (int r = 0; r < 30; r++) {
            int64_t M = 1 + (int64_t)(tl_rand_u64() % 70), N = 1 + (int64_t)(tl_rand_u64() % 300),
                    K = 1 + (int64_t)(tl_rand_u64() % 700);
            CHECK(run_case(kern, M, N, K, r & 1, (r >> 1) & 1));
        }
    }
    CHECK(tested >= 1);
    CHECK(gl_sgemm_best() != NULL);
    CHECK(gl_sgemm_kernel_named("nonsense") == NULL);
    CHECK(gl_sgemm_for_m(gl_sgemm_best(), 8) == gl_sgemm_best());
    CHECK(gl_sgemm_for_m(gl_sgemm_best(), 1)->mr == 1 || gl_sgemm_for_m(gl_sgemm_best(), 1) == gl_sgemm_best());
    printf("best kernel: %s\n", gl_sgemm_best()->name);
    return TEST_END();
}
