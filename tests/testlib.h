/* A small test harness: CHECK macros that count and report, a seeded random
 * generator for fresh inputs, and tensor comparison. Each test binary ends
 * with TEST_END(), which prints "N passed, N failed" and sets the exit code. */
#ifndef GLINT_TESTLIB_H
#define GLINT_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common.h"
#include "glint.h"

extern int tl_passed, tl_failed;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (cond) tl_passed++;                                                             \
        else { tl_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
    } while (0)

#define CHECK_MSG(cond, ...)                                                               \
    do {                                                                                   \
        if (cond) tl_passed++;                                                             \
        else { tl_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
               fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); }                         \
    } while (0)

#define CHECK_OK(expr)                                                                     \
    do {                                                                                   \
        glint_status s_ = (expr);                                                          \
        CHECK_MSG(s_ == GLINT_OK, "%s returned %s", #expr, glint_status_name(s_));         \
    } while (0)

#define TEST_END() tl_end(__FILE__)
int tl_end(const char *file);
/* Skips the whole binary: prints the reason and exits with 77 (ctest SKIP). */
void tl_skip(const char *reason);

/* Seeded xorshift; the seed is printed so a failure can be replayed
 * (GLINT_TEST_SEED overrides it). */
void tl_seed_from_env(void);
uint64_t tl_rand_u64(void);
float tl_rand_uniform(float lo, float hi);
void tl_fill_uniform(float *x, size_t n, float lo, float hi);
/* Fills with NaN so that an output a kernel forgot to write is caught. */
void tl_poison(float *x, size_t n);

/* Max |a-b| / (|b| + rms(b)) style closeness: each element must satisfy
 * |a-b| <= atol + rtol * (|b| + rms(b)). Prints the worst element. */
bool tl_close(const float *got, const float *want, size_t n, float rtol, float atol,
              const char *what);

/* Reads a whole file (malloc'd); NULL on failure. */
void *tl_read_file(const char *path, size_t *size);

/* A view of data as a tensor of dtype and shape (rank, dims). */
gl_tensor tl_tensor(gl_dtype dtype, void *data, int rank, const int64_t *dims);

/* The graph of the model at relpath under the source tree, loaded and
 * optimised as an engine does. NULL when the file cannot be read (*missing
 * set) or when loading or the passes fail (a failed CHECK, the message on
 * stderr). Free with gl_graph_free. */
struct gl_graph *tl_load_graph(const char *relpath, bool *missing);

#endif
