#include <stdlib.h>
#include <string.h>

#include "common/common.h"

static void *libc_malloc(void *u, size_t n) { (void)u; return malloc(n); }
static void *libc_realloc(void *u, void *p, size_t n) { (void)u; return realloc(p, n); }
static void libc_free(void *u, void *p) { (void)u; free(p); }

static const glint_allocator g_libc = {libc_malloc, libc_realloc, libc_free, NULL};

const glint_allocator *gl_default_allocator(void) { return &g_libc; }

static const glint_allocator *pick(const glint_allocator *a) { return a ? a : &g_libc; }

void *gl_malloc(const glint_allocator *a, size_t size) {
    a = pick(a);
    return a->malloc(a->user, size ? size : 1);
}

void *gl_calloc(const glint_allocator *a, size_t count, size_t size) {
    size_t n;
    if (!gl_mul_size(count, size, &n)) return NULL;
    void *p = gl_malloc(a, n);
    if (p) memset(p, 0, n ? n : 1);
    return p;
}

void *gl_realloc(const glint_allocator *a, void *ptr, size_t size) {
    a = pick(a);
    return a->realloc(a->user, ptr, size ? size : 1);
}

void *gl_realloc_array(const glint_allocator *a, void *ptr, size_t count, size_t size) {
    size_t n;
    if (!gl_mul_size(count, size, &n)) return NULL;
    return gl_realloc(a, ptr, n);
}

void gl_free(const glint_allocator *a, void *ptr) {
    if (!ptr) return;
    a = pick(a);
    a->free(a->user, ptr);
}

char *gl_strndup(const glint_allocator *a, const char *s, size_t n) {
    char *d = gl_malloc(a, n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *gl_strdup(const glint_allocator *a, const char *s) {
    return s ? gl_strndup(a, s, strlen(s)) : NULL;
}

/* The block is over-allocated; the byte offset back to the real start is
 * stored just before the aligned pointer. */
void *gl_aligned_alloc(const glint_allocator *a, size_t size, size_t align) {
    if (align < sizeof(size_t)) align = sizeof(size_t);
    size_t total;
    if (!gl_add_size(size, align + sizeof(size_t), &total)) return NULL;
    uint8_t *raw = gl_malloc(a, total);
    if (!raw) return NULL;
    uintptr_t p = ((uintptr_t)raw + sizeof(size_t) + align - 1) & ~(uintptr_t)(align - 1);
    ((size_t *)p)[-1] = (size_t)(p - (uintptr_t)raw);
    return (void *)p;
}

void gl_aligned_free(const glint_allocator *a, void *ptr) {
    if (!ptr) return;
    size_t back = ((size_t *)ptr)[-1];
    gl_free(a, (uint8_t *)ptr - back);
}

bool gl_mul_size(size_t a, size_t b, size_t *out) {
    if (b != 0 && a > SIZE_MAX / b) return false;
    *out = a * b;
    return true;
}

bool gl_add_size(size_t a, size_t b, size_t *out) {
    if (a > SIZE_MAX - b) return false;
    *out = a + b;
    return true;
}

bool gl_mul_i64(int64_t a, int64_t b, int64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
