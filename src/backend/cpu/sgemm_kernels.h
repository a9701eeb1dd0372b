/* Private to the SGEMM files: the architecture-specific micro-kernels. */
#ifndef GL_CPU_SGEMM_KERNELS_H
#define GL_CPU_SGEMM_KERNELS_H

#include "backend/cpu/sgemm.h"

/* "avx512" or "avx2" when this build has it and the CPU supports it, else
 * NULL (always NULL off x86-64). */
const gl_sgemm_kernel *gl_sgemm_x86_kernel(const char *name);

#endif
