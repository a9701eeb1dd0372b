/* Data-movement kernels: Concat (one launch per input), strided gathers
 * (Slice, Transpose), Pad and Resize. The gathers copy raw elements, so
 * they work for every dtype of 1, 2, 4 or 8 bytes. */
#include "backend/cuda/cuda_device.cuh"
#include "backend/cuda/cuda_resize_map.h"

template <typename E>
__global__ void concat_part_kernel(gk_concat_part p, const E *x, E *y) {
    int64_t count = p.outer * p.inner_src;
    GK_FOR(i, count) {
        int64_t o = i / p.inner_src, j = i - o * p.inner_src;
        y[o * p.inner_dst + p.offset + j] = x[i];
    }
}

template <typename E>
__global__ void slice_kernel(gk_slice p, const E *x, E *y) {
    GK_FOR(i, p.count) {
        int64_t r = i, src = p.base;
        for (int d = p.rank - 1; d >= 0; d--) {
            int64_t c = r % p.out[d];
            r /= p.out[d];
            src += c * p.stride[d];
        }
        y[i] = x[src];
    }
}

template <typename E>
static cudaError_t launch_bytes(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    void *out = ptrs[d->n_args - 1];
    if (d->kind == GK_CONCAT_PART) {
        const gk_concat_part &p = d->u.concat;
        concat_part_kernel<E><<<gk_blocks(p.outer * p.inner_src), GK_THREADS, 0, s>>>(
            p, (const E *)ptrs[0], (E *)out);
    } else {
        slice_kernel<E><<<gk_blocks(d->u.slice.count), GK_THREADS, 0, s>>>(
            d->u.slice, (const E *)ptrs[0], (E *)out);
    }
    return cudaGetLastError();
}

template <typename T>
__global__ void pad_kernel(gk_pad p, const T *x, T *y) {
    GK_FOR(i, p.count) {
        int64_t r = i, src = 0, stride = 1;
        bool inside = true;
        for (int d = p.rank - 1; d >= 0; d--) {
            int64_t o = r % p.out[d];
            r /= p.out[d];
            int64_t k = o - p.begin[d];
            int64_t n = p.in[d];
            if (k < 0 || k >= n) {
                if (p.mode == 0) inside = false;
                else if (p.mode == 1) {  /* reflect (pads < n, checked at lowering) */
                    if (k < 0) k = -k;
                    if (k >= n) k = 2 * (n - 1) - k;
                } else k = k < 0 ? 0 : n - 1;  /* edge */
            }
            src += k * stride;
            stride *= n;
        }
        gk_st(y, i, inside ? gk_ld(x, src) : p.value);
    }
}

/* p is a __grid_constant__ so that the index helpers can take its address
 * without a copy to local memory. */
template <typename T>
__global__ void resize_kernel(const __grid_constant__ gk_resize p, const T *x, T *y) {
    const int64_t count = p.nc * ((int64_t)p.oh * p.ow);
    GK_FOR(i, count) {
        gk_resize_pick k = gk_resize_at(&p, i);
        const T *xp = x + k.plane * ((int64_t)p.h * p.w);
        float v;
        if (!p.linear) {
            v = gk_ld(xp, (int64_t)k.y0 * p.w + k.x0);
        } else {
            float a = gk_ld(xp, (int64_t)k.y0 * p.w + k.x0), b = gk_ld(xp, (int64_t)k.y0 * p.w + k.x1);
            float c = gk_ld(xp, (int64_t)k.y1 * p.w + k.x0), e = gk_ld(xp, (int64_t)k.y1 * p.w + k.x1);
            v = gk_resize_blend(a, b, c, e, k.lx, k.ly);
        }
        gk_st(y, i, v);
    }
}

template <typename T>
static cudaError_t launch_float(const gk_desc *d, void *const *ptrs, cudaStream_t s) {
    void *out = ptrs[d->n_args - 1];
    if (d->kind == GK_PAD) {
        pad_kernel<T><<<gk_blocks(d->u.pad.count), GK_THREADS, 0, s>>>(
            d->u.pad, (const T *)ptrs[0], (T *)out);
    } else {
        const gk_resize &p = d->u.resize;
        resize_kernel<T><<<gk_blocks(p.nc * p.oh * p.ow), GK_THREADS, 0, s>>>(
            p, (const T *)ptrs[0], (T *)out);
    }
    return cudaGetLastError();
}

cudaError_t gk_run_layout(const gk_desc *d, void *const *ptrs, gk_store st, cudaStream_t s) {
    switch (d->kind) {
    case GK_COPY:
        return cudaMemcpyAsync(ptrs[1], ptrs[0], d->u.copy.bytes, cudaMemcpyDeviceToDevice, s);
    case GK_CONCAT_PART:
    case GK_SLICE: {
        int eb = d->kind == GK_SLICE ? d->u.slice.elem_bytes : d->u.concat.elem_bytes;
        switch (eb) {
        case 1: return launch_bytes<uint8_t>(d, ptrs, s);
        case 2: return launch_bytes<uint16_t>(d, ptrs, s);
        case 4: return launch_bytes<uint32_t>(d, ptrs, s);
        case 8: return launch_bytes<uint64_t>(d, ptrs, s);
        default: return cudaErrorInvalidValue;
        }
    }
    case GK_PAD:
    case GK_RESIZE:
        return gk_by_store(st, [&](auto t) { return launch_float<decltype(t)>(d, ptrs, s); });
    default: return cudaErrorInvalidValue;
    }
}
