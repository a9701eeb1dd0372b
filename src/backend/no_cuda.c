/* Without the CUDA toolkit there is no CUDA backend; the runtime then falls
 * back to the CPU for device=auto and fails with GLINT_ERR_NO_DEVICE for
 * device=cuda. With CUDA, src/backend/cuda/ defines gl_backend_cuda(). */
#include "backend/backend.h"

#ifndef GLINT_HAVE_CUDA
const gl_backend *gl_backend_cuda(void) { return NULL; }
#else
typedef int gl_no_cuda_unused; /* ISO C forbids an empty translation unit */
#endif
