#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"

const char *glint_dtype_name(glint_dtype t) {
    switch (t) {
    case GLINT_DTYPE_FLOAT32: return "float32";
    case GLINT_DTYPE_UINT8: return "uint8";
    case GLINT_DTYPE_INT8: return "int8";
    case GLINT_DTYPE_UINT16: return "uint16";
    case GLINT_DTYPE_INT16: return "int16";
    case GLINT_DTYPE_INT32: return "int32";
    case GLINT_DTYPE_INT64: return "int64";
    case GLINT_DTYPE_STRING: return "string";
    case GLINT_DTYPE_BOOL: return "bool";
    case GLINT_DTYPE_FLOAT16: return "float16";
    case GLINT_DTYPE_FLOAT64: return "float64";
    case GLINT_DTYPE_UINT32: return "uint32";
    case GLINT_DTYPE_UINT64: return "uint64";
    case GLINT_DTYPE_BFLOAT16: return "bfloat16";
    default: return "undefined";
    }
}

size_t glint_dtype_size(glint_dtype t) {
    switch (t) {
    case GLINT_DTYPE_UINT8:
    case GLINT_DTYPE_INT8:
    case GLINT_DTYPE_BOOL: return 1;
    case GLINT_DTYPE_UINT16:
    case GLINT_DTYPE_INT16:
    case GLINT_DTYPE_FLOAT16:
    case GLINT_DTYPE_BFLOAT16: return 2;
    case GLINT_DTYPE_FLOAT32:
    case GLINT_DTYPE_INT32:
    case GLINT_DTYPE_UINT32: return 4;
    case GLINT_DTYPE_INT64:
    case GLINT_DTYPE_FLOAT64:
    case GLINT_DTYPE_UINT64: return 8;
    default: return 0;
    }
}

int64_t gl_shape_numel(const gl_shape *s) {
    int64_t n = 1;
    bool zero = false;
    if (s->rank < 0 || s->rank > GL_MAX_RANK) return -1;
    for (int i = 0; i < s->rank; i++) {
        if (s->d[i] < 0) return -1;
        if (s->d[i] == 0) zero = true;
    }
    if (zero) return 0;
    for (int i = 0; i < s->rank; i++)
        if (!gl_mul_i64(n, s->d[i], &n)) return -1;
    return n;
}

bool gl_shape_equal(const gl_shape *a, const gl_shape *b) {
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i]) return false;
    return true;
}

const char *gl_shape_str(const gl_shape *s, char *buf, size_t size) {
    size_t n = 0;
    if (size == 0) return buf;
    buf[0] = '\0';
    n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "[");
    for (int i = 0; i < s->rank && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, i ? ",%lld" : "%lld", (long long)s->d[i]);
    if (n < size) snprintf(buf + n, size - n, "]");
    return buf;
}

bool gl_shape_broadcast(const gl_shape *a, const gl_shape *b, gl_shape *out) {
    int r = GL_MAX(a->rank, b->rank);
    gl_shape o = {.rank = r};
    for (int i = 0; i < r; i++) {
        int ia = a->rank - r + i, ib = b->rank - r + i;
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da == db || db == 1) o.d[i] = da;
        else if (da == 1) o.d[i] = db;
        else return false;
    }
    *out = o;
    return true;
}

bool gl_tensor_bytes(gl_dtype dtype, const gl_shape *s, size_t *bytes) {
    int64_t n = gl_shape_numel(s);
    size_t es = glint_dtype_size(dtype);
    if (n < 0 || es == 0) return false;
    return gl_mul_size((size_t)n, es, bytes);
}

bool gl_tensors_empty(const gl_tensor *t, int n) {
    for (int i = 0; i < n; i++)
        if (gl_shape_numel(&t[i].shape) != 0) return false;
    return n > 0;
}

uint16_t gl_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t man = x & 0x7fffffu;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
    int32_t e = (int32_t)exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) {
        if (e < -10) return (uint16_t)sign;
        man |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t half = man >> shift;
        uint32_t rem = man & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) half++;
    return (uint16_t)half;
}

float gl_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t x;
    if (exp == 0) {
        if (man == 0) {
            x = sign;
        } else {
            int e = -1;
            do { man <<= 1; e++; } while (!(man & 0x400u));
            x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        x = sign | 0x7f800000u | (man << 13);
    } else {
        x = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

uint16_t gl_f32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

float gl_bf16_to_f32(uint16_t h) {
    uint32_t x = (uint32_t)h << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}
