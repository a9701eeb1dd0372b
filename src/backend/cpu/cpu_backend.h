/* CPU backend introspection for tests and tools (the vtable itself is
 * gl_backend_cpu in backend/backend.h). */
#ifndef GL_CPU_BACKEND_H
#define GL_CPU_BACKEND_H

#include "backend/backend.h"

/* Steps of a prepared plan that run a fast kernel instead of the reference. */
int gl_cpu_fast_step_count(const void *prepared);
/* Distinct packed weight tensors held by an engine state (shared by plans). */
int gl_cpu_packed_weight_count(void *state);
/* The SGEMM kernel name the state uses ("avx512", ...), or "ref". */
const char *gl_cpu_kernel_name(void *state);

#endif
