/* Shared between the plan builder's files; not used outside src/plan/. */
#ifndef GL_PLAN_INTERNAL_H
#define GL_PLAN_INTERNAL_H

#include "plan/plan.h"

/* Plan-owned allocations, freed with the plan. */
typedef struct gl_plan_owned {
    void **ptrs;
    int n, cap;
} gl_plan_owned;

/* Allocates size bytes owned by the plan (zeroed); NULL on failure. */
void *gl_plan_alloc(gl_plan *p, size_t size);

/* Fusion of pointwise tails into convolutions (fuse.c). Rewrites p->steps in
 * place; fused-away steps are removed and their tensors orphaned. */
glint_status gl_plan_fuse(gl_plan *p, gl_err *err);

/* Lifetimes, in-place aliasing and arena offsets (plan_memory.c). */
glint_status gl_plan_assign_memory(gl_plan *p, gl_err *err);

#endif
