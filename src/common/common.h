/* Internal basics shared by every layer: errors, allocation, shapes, tensors.
 * Nothing here is public; include/glint.h is the only public header. */
#ifndef GL_COMMON_H
#define GL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "glint.h"

#define GL_MAX_RANK 8
#define GL_ERR_MAX 512

#if defined(__GNUC__)
#define GL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GL_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------ errors
 * Every fallible internal function takes a gl_err * and returns a status.
 * gl_fail formats the message and returns the status, so the idiom is
 *     if (bad) return gl_fail(err, GLINT_ERR_INVALID_MODEL, "node %d ...", i);
 * err may be NULL (the message is dropped). */
typedef struct gl_err {
    glint_status status;
    char msg[GL_ERR_MAX];
    /* Planning only: the operator input (an element of the op's in[]) whose
     * value was needed but not known (gl_fail_needs_value), and the graph
     * inputs that value is computed from (gl_plan_build). */
    const void *need_tensor;
    uint64_t need_inputs;
} gl_err;

glint_status gl_fail(gl_err *err, glint_status status, const char *fmt, ...) GL_PRINTF(3, 4);
/* GLINT_ERR_UNSUPPORTED because the value of `tensor` (&in[k] of an
 * operator's inputs) must be known when planning and is not. */
glint_status gl_fail_needs_value(gl_err *err, const void *tensor, const char *fmt, ...)
    GL_PRINTF(3, 4);
/* Prepends "context: " to an existing message, keeping the status. */
glint_status gl_err_prefix(gl_err *err, const char *fmt, ...) GL_PRINTF(2, 3);
void gl_err_clear(gl_err *err);
/* Copies the message into a caller buffer (NULL or 0 size: nothing). */
void gl_err_copy_out(const gl_err *err, char *buf, size_t size);

/* -------------------------------------------------------------- allocation
 * All host memory goes through the engine's glint_allocator (libc when the
 * user gave none). Sizes are overflow-checked: a count × size that overflows
 * returns NULL like an exhausted allocator. */
const glint_allocator *gl_default_allocator(void);
void *gl_malloc(const glint_allocator *a, size_t size);
void *gl_calloc(const glint_allocator *a, size_t count, size_t size);
void *gl_realloc(const glint_allocator *a, void *ptr, size_t size);
/* realloc to count × size with overflow check */
void *gl_realloc_array(const glint_allocator *a, void *ptr, size_t count, size_t size);
void gl_free(const glint_allocator *a, void *ptr);
char *gl_strdup(const glint_allocator *a, const char *s);
char *gl_strndup(const glint_allocator *a, const char *s, size_t n);
/* Aligned block (align a power of two ≤ 4096); free with gl_aligned_free. */
void *gl_aligned_alloc(const glint_allocator *a, size_t size, size_t align);
void gl_aligned_free(const glint_allocator *a, void *ptr);
/* Safe arithmetic: false on overflow. */
bool gl_mul_size(size_t a, size_t b, size_t *out);
bool gl_add_size(size_t a, size_t b, size_t *out);
bool gl_mul_i64(int64_t a, int64_t b, int64_t *out);
static inline size_t gl_align_up(size_t n, size_t align) { return (n + align - 1) & ~(align - 1); }

/* ------------------------------------------------------------ dtype, shape */
typedef glint_dtype gl_dtype; /* ONNX numbering */

typedef struct gl_shape {
    int rank;
    int64_t d[GL_MAX_RANK];
} gl_shape;

/* Element count; -1 if any dim is negative or the product overflows. A zero
 * dim makes it 0 whatever the others are. */
int64_t gl_shape_numel(const gl_shape *s);
bool gl_shape_equal(const gl_shape *a, const gl_shape *b);
/* "[1,3,64,64]" into buf; returns buf. */
const char *gl_shape_str(const gl_shape *s, char *buf, size_t size);
/* Numpy broadcasting of a and b into out; false if incompatible. */
bool gl_shape_broadcast(const gl_shape *a, const gl_shape *b, gl_shape *out);

/* A typed view of memory. Owns nothing. */
typedef struct gl_tensor {
    gl_dtype dtype;
    gl_shape shape;
    void *data;
} gl_tensor;

/* Bytes of a tensor; false on overflow or unknown dtype. */
bool gl_tensor_bytes(gl_dtype dtype, const gl_shape *s, size_t *bytes);
/* True when n > 0 and every tensor of t[0..n) has a known shape with no
 * elements: an op with only such outputs has nothing to compute. */
bool gl_tensors_empty(const gl_tensor *t, int n);

/* IEEE half and bfloat16 conversions (round to nearest even). */
uint16_t gl_f32_to_f16(float f);
float gl_f16_to_f32(uint16_t h);
uint16_t gl_f32_to_bf16(float f);
float gl_bf16_to_f32(uint16_t h);

/* ------------------------------------------------------------------- misc */
/* Monotonic clock in microseconds. */
double gl_now_us(void);
/* 64-bit FNV-1a hash. */
uint64_t gl_hash64(const void *data, size_t size, uint64_t seed);

#define GL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define GL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define GL_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
