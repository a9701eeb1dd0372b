/* A glint_allocator for allocation-failure tests: allocation number fail_at
 * (counting from 1; -1 never) returns NULL, and live counts the blocks not
 * yet freed, so a test can check that every failure path leaks nothing.
 * Use: fail_alloc st = {0, k, 0};
 *      glint_allocator a = {fa_malloc, fa_realloc, fa_free, &st}; */
#ifndef GLINT_TEST_FAIL_ALLOC_H
#define GLINT_TEST_FAIL_ALLOC_H

#include <stdlib.h>

typedef struct fail_alloc {
    long count, fail_at, live;
} fail_alloc;

static inline void *fa_malloc(void *u, size_t n) {
    fail_alloc *f = u;
    if (++f->count == f->fail_at) return NULL;
    void *p = malloc(n);
    if (p) f->live++;
    return p;
}

static inline void *fa_realloc(void *u, void *p, size_t n) {
    fail_alloc *f = u;
    if (!p) return fa_malloc(u, n);
    if (++f->count == f->fail_at) return NULL;
    return realloc(p, n);
}

static inline void fa_free(void *u, void *p) {
    fail_alloc *f = u;
    if (p) f->live--;
    free(p);
}

#endif
