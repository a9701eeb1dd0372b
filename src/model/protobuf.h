/* A bounds-checked reader for the protobuf wire format, enough for ONNX.
 *
 * The reader walks one message's bytes field by field. It never reads past
 * the end of its buffer: every varint, fixed-width value and length is checked
 * against the bytes that remain, so a truncated or hostile buffer yields an
 * error, never an out-of-bounds read. Groups (wire types 3 and 4, deprecated
 * since proto2 and never used by ONNX) are rejected rather than skipped.
 *
 * Typical use:
 *     gl_pb_reader r;
 *     gl_pb_field f;
 *     gl_pb_init(&r, data, size, 0);
 *     while (gl_pb_more(&r)) {
 *         if (gl_pb_next(&r, &f, err)) return ...;
 *         switch (f.number) { case 1: ... f.u or f.data/f.len ... }
 *     }
 * Unknown fields need no action: gl_pb_next has already stepped over them. */
#ifndef GL_PROTOBUF_H
#define GL_PROTOBUF_H

#include "common/common.h"

/* Deepest nesting of sub-messages accepted (ONNX needs fewer than 10). */
#define GL_PB_MAX_DEPTH 32

typedef enum gl_pb_wire {
    GL_PB_VARINT = 0,
    GL_PB_FIXED64 = 1,
    GL_PB_LEN = 2,
    GL_PB_GROUP_START = 3,
    GL_PB_GROUP_END = 4,
    GL_PB_FIXED32 = 5
} gl_pb_wire;

typedef struct gl_pb_reader {
    const uint8_t *start; /* for byte offsets in messages */
    const uint8_t *p;
    const uint8_t *end;
    int depth;
} gl_pb_reader;

typedef struct gl_pb_field {
    uint32_t number;
    gl_pb_wire wire;
    uint64_t u;           /* VARINT, FIXED64, FIXED32 (zero-extended) */
    const uint8_t *data;  /* LEN: the payload, len bytes inside the buffer */
    size_t len;
} gl_pb_field;

void gl_pb_init(gl_pb_reader *r, const void *data, size_t size, int depth);
static inline bool gl_pb_more(const gl_pb_reader *r) { return r->p < r->end; }

/* Reads the next field's key and value. Errors (GLINT_ERR_INVALID_MODEL):
 * truncated or overlong varint, field number 0, truncated fixed value, length
 * beyond the buffer, group or unknown wire type. */
glint_status gl_pb_next(gl_pb_reader *r, gl_pb_field *f, gl_err *err);

/* A reader over a LEN field's payload, one level deeper; fails past
 * GL_PB_MAX_DEPTH. */
glint_status gl_pb_sub(const gl_pb_reader *parent, const gl_pb_field *f, gl_pb_reader *child,
                       gl_err *err);

/* Decodes one varint from [*p, end); advances *p. False if truncated or
 * longer than 10 bytes or overflowing 64 bits. */
bool gl_pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *out);

/* Repeated scalar fields come either one per field or packed into one LEN
 * field. These count and decode the elements a field contributes, whichever
 * form it has. `wire_elem` is the element's unpacked wire type (VARINT,
 * FIXED32 or FIXED64). Counting validates the whole packed payload, so the
 * decode that follows cannot fail on the same field. */
glint_status gl_pb_count(const gl_pb_field *f, gl_pb_wire wire_elem, size_t *count, gl_err *err);
/* Walks the elements of a repeated-scalar field (either form). Call only
 * after gl_pb_count succeeded on the same field: the walk then cannot fail. */
typedef struct gl_pb_iter {
    const uint8_t *p, *end;
    gl_pb_wire wire;
    bool single;          /* unpacked: one element, in `value` */
    uint64_t value;
} gl_pb_iter;
void gl_pb_iter_init(gl_pb_iter *it, const gl_pb_field *f, gl_pb_wire wire_elem);
bool gl_pb_iter_next(gl_pb_iter *it, uint64_t *out);

/* A field's value as the 32-bit float its bits encode (FIXED32 only). */
float gl_pb_float(uint64_t bits);
double gl_pb_double(uint64_t bits);

#endif
