/* A tiny protobuf / ONNX writer for tests: builds ModelProto bytes in memory
 * so that loader tests need no files and no Python. Header-only; aborts are
 * fine here (test code, not library code). Field numbers are onnx.proto's. */
#ifndef GLINT_TEST_ONNX_WRITER_H
#define GLINT_TEST_ONNX_WRITER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pbw {
    uint8_t *p;
    size_t n, cap;
} pbw;

static inline void pbw_raw(pbw *w, const void *d, size_t n) {
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 64;
        w->p = realloc(w->p, w->cap);
        if (!w->p) abort();
    }
    if (n) memcpy(w->p + w->n, d, n);
    w->n += n;
}
static inline void pbw_free(pbw *w) { free(w->p); memset(w, 0, sizeof *w); }
static inline void pbw_varint(pbw *w, uint64_t v) {
    uint8_t b[10];
    int n = 0;
    do {
        b[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) b[n] |= 0x80;
        n++;
    } while (v);
    pbw_raw(w, b, (size_t)n);
}
static inline void pbw_key(pbw *w, unsigned field, unsigned wire) { pbw_varint(w, ((uint64_t)field << 3) | wire); }
static inline void pbw_uint(pbw *w, unsigned field, uint64_t v) { pbw_key(w, field, 0); pbw_varint(w, v); }
static inline void pbw_fixed32(pbw *w, unsigned field, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    pbw_key(w, field, 5);
    pbw_raw(w, b, 4);
}
static inline void pbw_fixed64(pbw *w, unsigned field, uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    pbw_key(w, field, 1);
    pbw_raw(w, b, 8);
}
static inline void pbw_f32(pbw *w, unsigned field, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    pbw_fixed32(w, field, u);
}
static inline void pbw_bytes(pbw *w, unsigned field, const void *d, size_t n) {
    pbw_key(w, field, 2);
    pbw_varint(w, n);
    pbw_raw(w, d, n);
}
static inline void pbw_str(pbw *w, unsigned field, const char *s) { pbw_bytes(w, field, s, strlen(s)); }
/* Embeds sub as a message field and frees it. */
static inline void pbw_msg(pbw *w, unsigned field, pbw *sub) {
    pbw_bytes(w, field, sub->p, sub->n);
    pbw_free(sub);
}

/* ---------------------------------------------------------------- ONNX */
enum { OW_FLOAT = 1, OW_UINT8 = 2, OW_INT8 = 3, OW_INT32 = 6, OW_INT64 = 7, OW_BOOL = 9,
       OW_FLOAT16 = 10, OW_DOUBLE = 11, OW_UINT64 = 13 };

/* TensorProto of float32 data: raw_data when raw, else packed float_data. */
static inline pbw ow_tensor_f32(const char *name, const int64_t *dims, int rank, const float *data,
                                int raw) {
    pbw t = {0};
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        pbw_uint(&t, 1, (uint64_t)dims[i]);
        n *= (size_t)dims[i];
    }
    pbw_uint(&t, 2, OW_FLOAT);
    if (name) pbw_str(&t, 8, name);
    if (raw) pbw_bytes(&t, 9, data, n * 4);
    else pbw_bytes(&t, 4, data, n * 4); /* packed float_data */
    return t;
}

/* TensorProto of int64 data as unpacked int64_data. */
static inline pbw ow_tensor_i64(const char *name, const int64_t *dims, int rank, const int64_t *data) {
    pbw t = {0};
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        pbw_uint(&t, 1, (uint64_t)dims[i]);
        n *= (size_t)dims[i];
    }
    pbw_uint(&t, 2, OW_INT64);
    if (name) pbw_str(&t, 8, name);
    for (size_t i = 0; i < n; i++) pbw_uint(&t, 7, (uint64_t)data[i]);
    return t;
}

static inline pbw ow_attr_int(const char *name, int64_t v) {
    pbw a = {0};
    pbw_str(&a, 1, name);
    pbw_uint(&a, 3, (uint64_t)v);
    pbw_uint(&a, 20, 2);
    return a;
}
static inline pbw ow_attr_float(const char *name, float v) {
    pbw a = {0};
    pbw_str(&a, 1, name);
    pbw_f32(&a, 2, v);
    pbw_uint(&a, 20, 1);
    return a;
}
static inline pbw ow_attr_str(const char *name, const char *v) {
    pbw a = {0};
    pbw_str(&a, 1, name);
    pbw_str(&a, 4, v);
    pbw_uint(&a, 20, 3);
    return a;
}
static inline pbw ow_attr_ints(const char *name, const int64_t *v, int n) {
    pbw a = {0};
    pbw_str(&a, 1, name);
    for (int i = 0; i < n; i++) pbw_uint(&a, 8, (uint64_t)v[i]);
    pbw_uint(&a, 20, 7);
    return a;
}
static inline pbw ow_attr_tensor(const char *name, pbw *tensor) {
    pbw a = {0};
    pbw_str(&a, 1, name);
    pbw_msg(&a, 5, tensor);
    pbw_uint(&a, 20, 4);
    return a;
}

/* NodeProto appended to graph g; attrs (may be NULL) are embedded and freed.
 * Names in ins/outs may be "" for omitted optional ones. */
static inline void ow_node(pbw *g, const char *name, const char *op, const char *const *ins, int n_in,
                           const char *const *outs, int n_out, pbw *attrs, int n_attrs) {
    pbw n = {0};
    for (int i = 0; i < n_in; i++) pbw_str(&n, 1, ins[i]);
    for (int i = 0; i < n_out; i++) pbw_str(&n, 2, outs[i]);
    if (name) pbw_str(&n, 3, name);
    pbw_str(&n, 4, op);
    for (int i = 0; i < n_attrs; i++) pbw_msg(&n, 5, &attrs[i]);
    pbw_msg(g, 1, &n);
}

/* ValueInfoProto (field 11 input, 12 output, 13 value_info) of a tensor;
 * dims of -1 are written as dim_param "N". rank -1: no shape. */
static inline void ow_value(pbw *g, unsigned field, const char *name, int elem, const int64_t *dims,
                            int rank) {
    pbw shape = {0}, tt = {0}, type = {0}, vi = {0};
    for (int i = 0; i < rank; i++) {
        pbw d = {0};
        if (dims[i] < 0) pbw_str(&d, 2, "N");
        else pbw_uint(&d, 1, (uint64_t)dims[i]);
        pbw_msg(&shape, 1, &d);
    }
    pbw_uint(&tt, 1, (uint64_t)elem);
    if (rank >= 0) pbw_msg(&tt, 2, &shape);
    else pbw_free(&shape);
    pbw_msg(&type, 1, &tt);
    pbw_str(&vi, 1, name);
    pbw_msg(&vi, 2, &type);
    pbw_msg(g, field, &vi);
}

/* ModelProto around graph g (freed), with the default-domain opset. */
static inline pbw ow_model(pbw *g, int64_t opset, const char *producer) {
    pbw m = {0}, op = {0};
    pbw_uint(&m, 1, 8);
    pbw_str(&op, 1, "");
    pbw_uint(&op, 2, (uint64_t)opset);
    pbw_msg(&m, 8, &op);
    if (producer) pbw_str(&m, 2, producer);
    pbw_msg(&m, 7, g);
    return m;
}

static inline void ow_meta(pbw *m, const char *key, const char *value) {
    pbw e = {0};
    pbw_str(&e, 1, key);
    pbw_str(&e, 2, value);
    pbw_msg(m, 14, &e);
}

#endif
