/* Graph inputs and outputs between host memory the device addresses (the
 * caller's page-locked buffer or the context's staging, both mapped) and
 * their tensors, by a kernel whose loads or stores cross the bus
 * themselves: a run then has no copy nodes, and an FP16 or BF16 engine
 * casts on the way (gk_host_io in cuda_kernels.h says what it saves). */
#include "backend/cuda/cuda_device.cuh"

/* Four 16-bit values: one 8-byte access. */
template <typename T>
struct alignas(8) gk_quad {
    T v[4];
};

/* n floats to T, four to an access where both ends allow it. */
template <typename T>
__device__ void host_from_float(const float *x, T *y, int64_t n) {
    const int64_t n4 = (((uintptr_t)x & 15) | ((uintptr_t)y & 7)) == 0 ? n / 4 : 0;
    GK_FOR(i, n4) {
        const float4 v = reinterpret_cast<const float4 *>(x)[i];
        gk_quad<T> q;
        q.v[0] = gk_cvt<T>(v.x);
        q.v[1] = gk_cvt<T>(v.y);
        q.v[2] = gk_cvt<T>(v.z);
        q.v[3] = gk_cvt<T>(v.w);
        reinterpret_cast<gk_quad<T> *>(y)[i] = q;
    }
    GK_FOR(i, n - 4 * n4) gk_st(y, 4 * n4 + i, x[4 * n4 + i]);
}

/* n values of T to floats, likewise. */
template <typename T>
__device__ void host_to_float(const T *x, float *y, int64_t n) {
    const int64_t n4 = (((uintptr_t)x & 7) | ((uintptr_t)y & 15)) == 0 ? n / 4 : 0;
    GK_FOR(i, n4) {
        const gk_quad<T> q = reinterpret_cast<const gk_quad<T> *>(x)[i];
        reinterpret_cast<float4 *>(y)[i] =
            make_float4(gk_ld(q.v, 0), gk_ld(q.v, 1), gk_ld(q.v, 2), gk_ld(q.v, 3));
    }
    GK_FOR(i, n - 4 * n4) y[4 * n4 + i] = gk_ld(x, 4 * n4 + i);
}

/* n bytes, 16 to an access where both ends and n allow it. */
__device__ void host_bytes(const uint8_t *x, uint8_t *y, int64_t n) {
    if ((((uintptr_t)x | (uintptr_t)y | (uintptr_t)n) & 15) == 0) {
        GK_FOR(i, n / 16) reinterpret_cast<uint4 *>(y)[i] = reinterpret_cast<const uint4 *>(x)[i];
    } else {
        GK_FOR(i, n) y[i] = x[i];
    }
}

__global__ void host_copy_kernel(const __grid_constant__ gk_host_copy c) {
    const gk_host_item &p = c.item[blockIdx.y];
    switch (p.mode) {
    case GK_HOST_F32_TO_F16:
        host_from_float((const float *)p.src, (__half *)p.dst, p.n);
        break;
    case GK_HOST_F32_TO_BF16:
        host_from_float((const float *)p.src, (__nv_bfloat16 *)p.dst, p.n);
        break;
    case GK_HOST_F16_TO_F32: host_to_float((const __half *)p.src, (float *)p.dst, p.n); break;
    case GK_HOST_BF16_TO_F32:
        host_to_float((const __nv_bfloat16 *)p.src, (float *)p.dst, p.n);
        break;
    default: host_bytes((const uint8_t *)p.src, (uint8_t *)p.dst, p.n); break;
    }
}

/* The kernel's parameter for descriptor d with its ends resolved. */
static gk_host_copy host_copy_of(const gk_desc *d, void *const *ptrs, gk_store store) {
    const gk_host_io &h = d->u.host;
    const bool in = d->kind == GK_HOST_IN, half = store == GK_STORE_F16;
    gk_host_copy c = {};
    c.count = h.count;
    for (int i = 0; i < h.count; i++) {
        gk_host_item &p = c.item[i];
        p = {ptrs[2 * i], ptrs[2 * i + 1], (int64_t)h.bytes[i], GK_HOST_BYTES};
        if (h.cast[i] && store != GK_STORE_F32) {
            p.n = (int64_t)(h.bytes[i] / sizeof(float));
            p.mode = in ? (half ? GK_HOST_F32_TO_F16 : GK_HOST_F32_TO_BF16)
                        : (half ? GK_HOST_F16_TO_F32 : GK_HOST_BF16_TO_F32);
        }
    }
    return c;
}

const void *gk_host_copy_kernel(void) { return (const void *)host_copy_kernel; }

/* A row of blocks per item, one thread per 16 bytes or per 4 values of the
 * largest: enough loads in flight to fill the bus at batch 32 (512 KB),
 * one block at batch 1. */
cudaError_t gk_run_host_io(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s) {
    const gk_host_copy c = host_copy_of(d, ptrs, st);
    if (c.count < 1 || c.count > GK_HOST_MAX) return cudaErrorInvalidValue;
    int64_t threads = 1;
    for (int i = 0; i < c.count; i++) {
        const gk_host_item &p = c.item[i];
        threads = max(threads, p.mode == GK_HOST_BYTES ? p.n / 16 : p.n / 4);
    }
    host_copy_kernel<<<dim3(gk_blocks(threads), (unsigned)c.count), GK_THREADS, 0, s>>>(c);
    return cudaGetLastError();
}
