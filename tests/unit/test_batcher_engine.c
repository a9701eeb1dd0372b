/* The engine-backed batcher on the golden model (tests/models): every
 * request's output must equal that sample's output from a direct glint_run,
 * through 16 threads × 1,000 requests drawing from a pool of distinct
 * inputs (so a result delivered to the wrong request is caught), and the
 * engine's telemetry must count the requests and batches. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#define MODEL GLINT_SOURCE_DIR "/tests/models/unet_opset13.onnx"
enum { H = 8, W = 8, S = 8, POOL = 64, THREADS = 16, PER_THREAD = 1000 };

static float g_content[POOL][H * W], g_style[POOL][S], g_want[POOL][H * W];

static glint_status run_direct(glint_context *ctx, int k) {
    glint_tensor in[2] = {
        {"content", GLINT_DTYPE_FLOAT32, 4, {1, 1, H, W}, g_content[k], sizeof g_content[k]},
        {"style", GLINT_DTYPE_FLOAT32, 2, {1, S}, g_style[k], sizeof g_style[k]},
    };
    tl_poison(g_want[k], H * W);
    glint_tensor out = {"glyph", GLINT_DTYPE_FLOAT32, 0, {0}, g_want[k], sizeof g_want[k]};
    return glint_run(ctx, in, 2, &out, 1);
}

typedef struct targ {
    glint_batcher *b;
    int id;
    atomic_int wrong;
} targ;

static void *client(void *p) {
    targ *a = p;
    enum { WINDOW = 16 };
    static _Thread_local float out[WINDOW][H * W];
    glint_tensor in[WINDOW][2], o[WINDOW];
    glint_ticket *t[WINDOW];
    int idx[WINDOW];
    for (int base = 0; base < PER_THREAD; base += WINDOW) {
        int m = PER_THREAD - base < WINDOW ? PER_THREAD - base : WINDOW;
        for (int i = 0; i < m; i++) {
            int k = idx[i] = (a->id * 7 + (base + i) * 13) % POOL;
            in[i][0] = (glint_tensor){"content", GLINT_DTYPE_FLOAT32, 4, {1, 1, H, W}, g_content[k], sizeof g_content[k]};
            in[i][1] = (glint_tensor){"style", GLINT_DTYPE_FLOAT32, 2, {1, S}, g_style[k], sizeof g_style[k]};
            for (int e = 0; e < H * W; e++) out[i][e] = NAN;
            o[i] = (glint_tensor){"glyph", GLINT_DTYPE_FLOAT32, 0, {0}, out[i], sizeof out[i]};
            glint_request rq = {in[i], 2, &o[i], 1, 0};
            if (glint_batcher_submit(a->b, &rq, NULL, NULL, &t[i]) != GLINT_OK) {
                atomic_fetch_add(&a->wrong, 1);
                t[i] = NULL;
            }
        }
        for (int i = 0; i < m; i++) {
            if (!t[i]) continue;
            if (glint_ticket_wait(t[i], -1) != GLINT_OK) atomic_fetch_add(&a->wrong, 1);
            else {
                /* stacking may change summation order slightly; a swapped
                 * result differs by far more than this */
                for (int e = 0; e < H * W; e++)
                    if (!(fabsf(out[i][e] - g_want[idx[i]][e]) <= 1e-5f)) {
                        atomic_fetch_add(&a->wrong, 1);
                        break;
                    }
            }
            glint_ticket_free(t[i]);
        }
    }
    return NULL;
}

int main(void) {
    tl_seed_from_env();
    glint_engine_options eo;
    glint_engine_options_init(&eo);
    eo.device = GLINT_DEVICE_CPU;
    eo.threads = 1;
    glint_engine *e = NULL;
    char err[512];
    glint_status st = glint_engine_create_from_file(MODEL, &eo, &e, err, sizeof err);
    CHECK_MSG(st == GLINT_OK, "%s", err);
    if (st != GLINT_OK) return TEST_END();
    glint_context *ctx = NULL;
    CHECK_OK(glint_context_create(e, &ctx, err, sizeof err));
    for (int k = 0; k < POOL; k++) {
        tl_fill_uniform(g_content[k], H * W, 0.0f, 1.0f);
        tl_fill_uniform(g_style[k], S, -1.0f, 1.0f);
        CHECK_OK(run_direct(ctx, k));
    }
    /* the pool must be distinguishable, or the test could not see a mix-up */
    int distinct = 1;
    for (int k = 1; k < POOL; k++)
        if (fabsf(g_want[k][0] - g_want[0][0]) + fabsf(g_want[k][9] - g_want[0][9]) < 1e-4f) distinct = 0;
    CHECK(distinct);
    glint_context_free(ctx);

    glint_batcher_options bo;
    glint_batcher_options_init(&bo);
    bo.contexts = 3;
    bo.max_batch = 16;
    glint_batcher *b = NULL;
    CHECK_OK(glint_batcher_create(e, &bo, &b, err, sizeof err));
    if (b) {
        pthread_t th[THREADS];
        targ *args = calloc(THREADS, sizeof *args);
        for (int i = 0; i < THREADS; i++) {
            args[i].b = b;
            args[i].id = i;
            pthread_create(&th[i], NULL, client, &args[i]);
        }
        int wrong = 0;
        for (int i = 0; i < THREADS; i++) {
            pthread_join(th[i], NULL);
            wrong += atomic_load(&args[i].wrong);
        }
        CHECK_MSG(wrong == 0, "%d of %d requests got a wrong or failed result", wrong,
                  THREADS * PER_THREAD);
        free(args);
        glint_batcher_free(b);
        glint_telemetry_snapshot snap;
        if (glint_engine_telemetry(e, &snap) == GLINT_OK) {
            CHECK(snap.requests == (uint64_t)THREADS * PER_THREAD);
            CHECK(snap.batches >= (uint64_t)THREADS * PER_THREAD / 16);
            CHECK(snap.batches <= snap.runs);
            printf("engine batcher: %llu requests in %llu batches; run p50 %.1f us\n",
                   (unsigned long long)snap.requests, (unsigned long long)snap.batches,
                   snap.latency.p50_us);
        }
    }
    /* a request of the wrong shape fails with the engine's message, alone */
    glint_batcher_options_init(&bo);
    CHECK_OK(glint_batcher_create(e, &bo, &b, err, sizeof err));
    if (b) {
        float c[H * W], s5[5], y[H * W];
        tl_fill_uniform(c, H * W, 0, 1);
        tl_fill_uniform(s5, 5, 0, 1);
        glint_tensor in[2] = {
            {"content", GLINT_DTYPE_FLOAT32, 4, {1, 1, H, W}, c, sizeof c},
            {"style", GLINT_DTYPE_FLOAT32, 2, {1, 5}, s5, sizeof s5},
        };
        glint_tensor o = {"glyph", GLINT_DTYPE_FLOAT32, 0, {0}, y, sizeof y};
        glint_request rq = {in, 2, &o, 1, 0};
        glint_ticket *t = NULL;
        CHECK_OK(glint_batcher_submit(b, &rq, NULL, NULL, &t));
        CHECK(glint_ticket_wait(t, -1) != GLINT_OK);
        CHECK(strlen(glint_ticket_error(t)) > 0);
        printf("wrong style width: %s\n", glint_ticket_error(t));
        glint_ticket_free(t);
        glint_batcher_free(b);
    }
    glint_engine_free(e);
    return TEST_END();
}
