/* CUDA error mapping, counted device allocation (the memory cap), uploads
 * and logging for the CUDA backend. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda/cuda_internal.h"

bool gl_cuda_is_sticky(cudaError_t e) {
    switch (e) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorECCUncorrectable:
    case cudaErrorLaunchTimeout:
    case cudaErrorDevicesUnavailable:
    case cudaErrorContextIsDestroyed:
        return true;
    default:
        return false;
    }
}

glint_status gl_cuda_check(gl_cuda_engine *eng, cudaError_t e, gl_err *err, const char *what) {
    if (e == cudaSuccess) return GLINT_OK;
    glint_status st = GLINT_ERR_DEVICE;
    if (e == cudaErrorMemoryAllocation) st = GLINT_ERR_OUT_OF_MEMORY;
    else if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver ||
             e == cudaErrorInvalidDevice)
        st = GLINT_ERR_NO_DEVICE;
    bool sticky = gl_cuda_is_sticky(e);
    if (sticky && eng) {
        atomic_store(&eng->lost_genuine, 1);
        atomic_store(&eng->lost, 1);
    }
    /* Clear a non-sticky error so that it is not reported again by the next
     * unrelated call on this thread. */
    if (!sticky) (void)cudaGetLastError();
    return gl_fail(err, st, "CUDA: %s: %s (%s)%s", what, cudaGetErrorString(e),
                   cudaGetErrorName(e),
                   sticky ? "; device state marked lost, rebuilt on the next call" : "");
}

static size_t device_total(const gl_cuda_engine *eng) {
    return eng->used[GL_CUDA_MEM_WEIGHTS] + eng->used[GL_CUDA_MEM_ARENA] +
           eng->used[GL_CUDA_MEM_WORKSPACE];
}

glint_status gl_cuda_malloc(gl_cuda_engine *eng, gl_cuda_mem_kind kind, size_t bytes,
                            const char *what, void **ptr, gl_err *err) {
    *ptr = NULL;
    if (bytes == 0) bytes = GL_CUDA_ALIGN; /* a valid, distinct pointer */
    pthread_mutex_lock(&eng->mu);
    size_t total = device_total(eng);
    if (eng->limit_bytes && (bytes > eng->limit_bytes || total > eng->limit_bytes - bytes)) {
        pthread_mutex_unlock(&eng->mu);
        size_t free_b = 0, all_b = 0;
        (void)cudaMemGetInfo(&free_b, &all_b);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY,
                       "CUDA: cannot allocate %s (%zu bytes): over the device memory cap of %zu "
                       "bytes (%zu in use by glint; %zu bytes free on the device)",
                       what, bytes, eng->limit_bytes, total, free_b);
    }
    /* Reserve before the call so that concurrent allocations respect the cap. */
    eng->used[kind] += bytes;
    pthread_mutex_unlock(&eng->mu);
    cudaError_t e = cudaMalloc(ptr, bytes);
    if (e != cudaSuccess) {
        *ptr = NULL;
        pthread_mutex_lock(&eng->mu);
        eng->used[kind] -= bytes;
        pthread_mutex_unlock(&eng->mu);
        (void)cudaGetLastError();
        size_t free_b = 0, all_b = 0;
        (void)cudaMemGetInfo(&free_b, &all_b);
        if (e == cudaErrorMemoryAllocation)
            return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY,
                           "CUDA: cannot allocate %s (%zu bytes): out of device memory "
                           "(%zu of %zu bytes free)",
                           what, bytes, free_b, all_b);
        char buf[160];
        snprintf(buf, sizeof buf, "cudaMalloc(%s, %zu bytes)", what, bytes);
        return gl_cuda_check(eng, e, err, buf);
    }
    return GLINT_OK;
}

int gl_cuda_epoch(gl_cuda_engine *eng) {
    pthread_mutex_lock(&eng->mu);
    int e = eng->reset_epoch;
    pthread_mutex_unlock(&eng->mu);
    return e;
}

void gl_cuda_free(gl_cuda_engine *eng, gl_cuda_mem_kind kind, void *ptr, size_t bytes,
                  int epoch) {
    if (!ptr) return;
    if (bytes == 0) bytes = GL_CUDA_ALIGN;
    pthread_mutex_lock(&eng->mu);
    bool alive = epoch == eng->reset_epoch;
    eng->used[kind] -= bytes;
    pthread_mutex_unlock(&eng->mu);
    if (alive) (void)cudaFree(ptr);
}

glint_status gl_cuda_host_alloc(gl_cuda_engine *eng, size_t bytes, const char *what, void **ptr,
                                void **dev, gl_err *err) {
    *ptr = *dev = NULL;
    if (bytes == 0) bytes = GL_CUDA_ALIGN;
    char buf[160];
    cudaError_t e = cudaHostAlloc(ptr, bytes, cudaHostAllocPortable | cudaHostAllocMapped);
    if (e == cudaSuccess) {
        e = cudaHostGetDevicePointer(dev, *ptr, 0);
        if (e != cudaSuccess) {
            (void)cudaFreeHost(*ptr);
            *ptr = *dev = NULL;
            snprintf(buf, sizeof buf, "cudaHostGetDevicePointer(%s)", what);
            return gl_cuda_check(eng, e, err, buf);
        }
    }
    if (e != cudaSuccess) {
        *ptr = NULL;
        snprintf(buf, sizeof buf, "cudaHostAlloc(%s, %zu bytes)", what, bytes);
        return gl_cuda_check(eng, e, err, buf);
    }
    pthread_mutex_lock(&eng->mu);
    eng->used[GL_CUDA_MEM_STAGING] += bytes;
    pthread_mutex_unlock(&eng->mu);
    return GLINT_OK;
}

void gl_cuda_host_free(gl_cuda_engine *eng, void *ptr, size_t bytes, int epoch) {
    if (!ptr) return;
    if (bytes == 0) bytes = GL_CUDA_ALIGN;
    pthread_mutex_lock(&eng->mu);
    bool alive = epoch == eng->reset_epoch;
    eng->used[GL_CUDA_MEM_STAGING] -= bytes;
    pthread_mutex_unlock(&eng->mu);
    if (alive) (void)cudaFreeHost(ptr);
}

glint_status gl_cuda_upload(gl_cuda_engine *eng, void *dev, const void *host, gl_dtype dtype,
                            gl_dtype dev_dtype, int64_t numel, gl_err *err) {
    if (numel <= 0) return GLINT_OK;
    if (dtype == GLINT_DTYPE_FLOAT32 &&
        (dev_dtype == GLINT_DTYPE_FLOAT16 || dev_dtype == GLINT_DTYPE_BFLOAT16)) {
        /* Convert in bounded chunks so that huge weights need little host memory. */
        const bool bf16 = dev_dtype == GLINT_DTYPE_BFLOAT16;
        enum { CHUNK = 1 << 16 };
        uint16_t *tmp = gl_malloc(eng->alloc, CHUNK * sizeof(uint16_t));
        if (!tmp) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "CUDA: weight conversion buffer");
        const float *src = host;
        uint16_t *dst = dev;
        for (int64_t i = 0; i < numel; i += CHUNK) {
            int64_t n = GL_MIN((int64_t)CHUNK, numel - i);
            for (int64_t j = 0; j < n; j++)
                tmp[j] = bf16 ? gl_f32_to_bf16(src[i + j]) : gl_f32_to_f16(src[i + j]);
            cudaError_t e = cudaMemcpy(dst + i, tmp, (size_t)n * 2, cudaMemcpyHostToDevice);
            if (e != cudaSuccess) {
                gl_free(eng->alloc, tmp);
                return gl_cuda_check(eng, e, err, "cudaMemcpy(weights, host to device)");
            }
        }
        gl_free(eng->alloc, tmp);
        return GLINT_OK;
    }
    size_t bytes;
    gl_shape s = {1, {numel}};
    if (!gl_tensor_bytes(dtype, &s, &bytes))
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "CUDA: constant of dtype %s cannot be uploaded",
                       glint_dtype_name(dtype));
    return gl_cuda_check(eng, cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice), err,
                         "cudaMemcpy(constant, host to device)");
}

void gl_cuda_log(gl_cuda_engine *eng, glint_log_level level, const char *fmt, ...) {
    if (!eng->log || level > eng->log_level) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    eng->log(eng->log_user, level, buf);
}

bool gl_cuda_env_flag(const char *name) {
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}
