/* Protobuf wire-format reader: see protobuf.h. Every read is checked against
 * the end of the current buffer before it happens. */
#include <string.h>

#include "model/protobuf.h"

void gl_pb_init(gl_pb_reader *r, const void *data, size_t size, int depth) {
    r->start = data;
    r->p = data;
    r->end = r->p + (data ? size : 0);
    r->depth = depth;
}

bool gl_pb_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (p >= end) return false;
        uint8_t b = *p++;
        /* The tenth byte may carry only the top bit of a 64-bit value. */
        if (i == 9 && b > 1) return false;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return true;
        }
    }
    return false;
}

static uint64_t load_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

glint_status gl_pb_next(gl_pb_reader *r, gl_pb_field *f, gl_err *err) {
    size_t at = (size_t)(r->p - r->start);
    uint64_t key;
    memset(f, 0, sizeof *f);
    if (!gl_pb_varint(&r->p, r->end, &key))
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "truncated or overlong field key at byte %zu",
                       at);
    uint64_t number = key >> 3;
    if (number == 0 || number > 0x1fffffff)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "invalid field number %llu at byte %zu",
                       (unsigned long long)number, at);
    f->number = (uint32_t)number;
    f->wire = (gl_pb_wire)(key & 7);
    size_t left = (size_t)(r->end - r->p);
    switch (f->wire) {
    case GL_PB_VARINT:
        if (!gl_pb_varint(&r->p, r->end, &f->u))
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "field %u at byte %zu: truncated or overlong varint", f->number, at);
        return GLINT_OK;
    case GL_PB_FIXED64:
        if (left < 8)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "field %u at byte %zu: truncated 64-bit value", f->number, at);
        f->u = load_le(r->p, 8);
        r->p += 8;
        return GLINT_OK;
    case GL_PB_FIXED32:
        if (left < 4)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "field %u at byte %zu: truncated 32-bit value", f->number, at);
        f->u = load_le(r->p, 4);
        r->p += 4;
        return GLINT_OK;
    case GL_PB_LEN: {
        uint64_t len;
        if (!gl_pb_varint(&r->p, r->end, &len))
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "field %u at byte %zu: truncated or overlong length", f->number, at);
        left = (size_t)(r->end - r->p);
        if (len > left)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "field %u at byte %zu: length %llu exceeds the %zu bytes left",
                           f->number, at, (unsigned long long)len, left);
        f->data = r->p;
        f->len = (size_t)len;
        r->p += len;
        return GLINT_OK;
    }
    case GL_PB_GROUP_START:
    case GL_PB_GROUP_END:
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "field %u at byte %zu: deprecated group encoding is not accepted",
                       f->number, at);
    default:
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "field %u at byte %zu: invalid wire type %d",
                       f->number, at, (int)f->wire);
    }
}

glint_status gl_pb_sub(const gl_pb_reader *parent, const gl_pb_field *f, gl_pb_reader *child,
                       gl_err *err) {
    if (f->wire != GL_PB_LEN)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                       "field %u: expected a message, found wire type %d", f->number, (int)f->wire);
    if (parent->depth + 1 > GL_PB_MAX_DEPTH)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "messages nested deeper than %d",
                       GL_PB_MAX_DEPTH);
    child->start = parent->start;
    child->p = f->data;
    child->end = f->data + f->len;
    child->depth = parent->depth + 1;
    return GLINT_OK;
}

static int fixed_width(gl_pb_wire w) { return w == GL_PB_FIXED32 ? 4 : w == GL_PB_FIXED64 ? 8 : 0; }

glint_status gl_pb_count(const gl_pb_field *f, gl_pb_wire wire_elem, size_t *count, gl_err *err) {
    if (f->wire == wire_elem) {
        *count = 1;
        return GLINT_OK;
    }
    if (f->wire != GL_PB_LEN)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "field %u: wire type %d where %d expected",
                       f->number, (int)f->wire, (int)wire_elem);
    int w = fixed_width(wire_elem);
    if (w) {
        if (f->len % (size_t)w)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "field %u: packed length %zu is not a multiple of %d", f->number,
                           f->len, w);
        *count = f->len / (size_t)w;
        return GLINT_OK;
    }
    const uint8_t *p = f->data, *end = f->data + f->len;
    size_t n = 0;
    while (p < end) {
        uint64_t v;
        if (!gl_pb_varint(&p, end, &v))
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "field %u: truncated or overlong varint in packed data", f->number);
        n++;
    }
    *count = n;
    return GLINT_OK;
}

void gl_pb_iter_init(gl_pb_iter *it, const gl_pb_field *f, gl_pb_wire wire_elem) {
    it->wire = wire_elem;
    it->single = f->wire != GL_PB_LEN;
    it->value = f->u;
    it->p = it->single ? NULL : f->data;
    it->end = it->single ? NULL : f->data + f->len;
}

bool gl_pb_iter_next(gl_pb_iter *it, uint64_t *out) {
    if (it->single) {
        it->single = false;
        it->p = it->end = NULL;
        *out = it->value;
        it->value = 0;
        /* Mark exhausted: a later call sees p == end. */
        return true;
    }
    if (!it->p || it->p >= it->end) return false;
    int w = fixed_width(it->wire);
    if (w) {
        if ((size_t)(it->end - it->p) < (size_t)w) return false;
        *out = load_le(it->p, w);
        it->p += w;
        return true;
    }
    return gl_pb_varint(&it->p, it->end, out);
}

float gl_pb_float(uint64_t bits) {
    uint32_t b = (uint32_t)bits;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

double gl_pb_double(uint64_t bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}
