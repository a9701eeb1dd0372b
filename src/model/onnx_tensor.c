/* TensorProto → gl_const. Two passes over the message: the first reads dims,
 * type and how many elements each data field holds, and checks them against
 * each other; only then is memory allocated (so a hostile dims list cannot
 * make us allocate more than the data the file really carries) and the
 * second pass copies the data. */
#include <string.h>

#include "model/onnx_internal.h"

enum {
    T_DIMS = 1, T_DATA_TYPE = 2, T_SEGMENT = 3, T_FLOAT = 4, T_INT32 = 5, T_STRING = 6,
    T_INT64 = 7, T_NAME = 8, T_RAW = 9, T_DOUBLE = 10, T_UINT64 = 11, T_EXTERNAL = 13,
    T_LOCATION = 14
};

char *gl_onnx_string(const glint_allocator *a, const gl_pb_field *f) {
    return gl_strndup(a, (const char *)f->data, f->len);
}

/* The typed field that carries `dtype` when raw_data is not used (onnx.proto
 * comments on each field), and its element wire type. 0 if none. */
static int typed_field(gl_dtype t, gl_pb_wire *wire) {
    switch (t) {
    case GLINT_DTYPE_FLOAT32: *wire = GL_PB_FIXED32; return T_FLOAT;
    case GLINT_DTYPE_FLOAT64: *wire = GL_PB_FIXED64; return T_DOUBLE;
    case GLINT_DTYPE_INT64: *wire = GL_PB_VARINT; return T_INT64;
    case GLINT_DTYPE_UINT32:
    case GLINT_DTYPE_UINT64: *wire = GL_PB_VARINT; return T_UINT64;
    case GLINT_DTYPE_INT32:
    case GLINT_DTYPE_INT16:
    case GLINT_DTYPE_INT8:
    case GLINT_DTYPE_UINT16:
    case GLINT_DTYPE_UINT8:
    case GLINT_DTYPE_BOOL:
    case GLINT_DTYPE_FLOAT16:
    case GLINT_DTYPE_BFLOAT16: *wire = GL_PB_VARINT; return T_INT32;
    default: return 0;
    }
}

static gl_pb_wire field_wire(int number) {
    return number == T_FLOAT ? GL_PB_FIXED32 : number == T_DOUBLE ? GL_PB_FIXED64 : GL_PB_VARINT;
}

/* Stores element i of a typed field into dst of type t (little endian). */
static void store(gl_dtype t, uint8_t *dst, size_t i, uint64_t v) {
    switch (t) {
    case GLINT_DTYPE_FLOAT32:
    case GLINT_DTYPE_INT32:
    case GLINT_DTYPE_UINT32: {
        uint32_t x = (uint32_t)v;
        memcpy(dst + 4 * i, &x, 4);
        break;
    }
    case GLINT_DTYPE_FLOAT64:
    case GLINT_DTYPE_INT64:
    case GLINT_DTYPE_UINT64: memcpy(dst + 8 * i, &v, 8); break;
    case GLINT_DTYPE_INT16:
    case GLINT_DTYPE_UINT16:
    case GLINT_DTYPE_FLOAT16:
    case GLINT_DTYPE_BFLOAT16: {
        uint16_t x = (uint16_t)v;
        memcpy(dst + 2 * i, &x, 2);
        break;
    }
    case GLINT_DTYPE_BOOL: dst[i] = v != 0; break;
    default: dst[i] = (uint8_t)v; break; /* INT8, UINT8 */
    }
}

typedef struct tensor_scan {
    gl_shape shape;
    int64_t dtype;
    bool has_dtype, external, segmented, strings;
    const uint8_t *raw;
    size_t raw_len;
    bool has_raw;
    size_t counts[16]; /* elements per typed field number */
    gl_pb_field name;
    bool has_name;
} tensor_scan;

static glint_status scan(gl_pb_reader *r, tensor_scan *ts, gl_err *err) {
    gl_pb_field f;
    memset(ts, 0, sizeof *ts);
    while (gl_pb_more(r)) {
        glint_status s = gl_pb_next(r, &f, err);
        if (s) return s;
        switch (f.number) {
        case T_DIMS: {
            size_t n;
            if ((s = gl_pb_count(&f, GL_PB_VARINT, &n, err))) return s;
            gl_pb_iter it;
            uint64_t v;
            gl_pb_iter_init(&it, &f, GL_PB_VARINT);
            while (gl_pb_iter_next(&it, &v)) {
                if (ts->shape.rank >= GL_MAX_RANK)
                    return gl_fail(err, GLINT_ERR_UNSUPPORTED, "rank above %d is not supported",
                                   GL_MAX_RANK);
                if ((int64_t)v < 0)
                    return gl_fail(err, GLINT_ERR_INVALID_MODEL, "negative dimension %lld",
                                   (long long)(int64_t)v);
                ts->shape.d[ts->shape.rank++] = (int64_t)v;
            }
            break;
        }
        case T_DATA_TYPE:
            if (f.wire != GL_PB_VARINT)
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "data_type is not a varint");
            ts->dtype = (int64_t)f.u;
            ts->has_dtype = true;
            break;
        case T_SEGMENT: ts->segmented = true; break;
        case T_FLOAT:
        case T_INT32:
        case T_INT64:
        case T_DOUBLE:
        case T_UINT64: {
            size_t n;
            if ((s = gl_pb_count(&f, field_wire((int)f.number), &n, err))) return s;
            if (!gl_add_size(ts->counts[f.number], n, &ts->counts[f.number]))
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "too many elements");
            break;
        }
        case T_STRING: ts->strings = true; break;
        case T_NAME:
            if (f.wire != GL_PB_LEN)
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "name is not a string");
            ts->name = f;
            ts->has_name = true;
            break;
        case T_RAW:
            if (f.wire != GL_PB_LEN)
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "raw_data is not bytes");
            ts->raw = f.data; /* the last raw_data wins, as protobuf merges bytes */
            ts->raw_len = f.len;
            ts->has_raw = true;
            break;
        case T_EXTERNAL: ts->external = true; break;
        case T_LOCATION:
            if (f.wire == GL_PB_VARINT && f.u == 1) ts->external = true;
            break;
        default: break;
        }
    }
    return GLINT_OK;
}

/* Checks that the data present is exactly what dims and type call for. */
static glint_status check(const tensor_scan *ts, size_t numel, size_t bytes, gl_err *err) {
    gl_pb_wire wire;
    int want = typed_field((gl_dtype)ts->dtype, &wire);
    size_t typed_total = 0;
    for (int k = 0; k < 16; k++) typed_total += ts->counts[k];
    if (ts->has_raw) {
        if (typed_total)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "has both raw_data and typed data");
        if (ts->raw_len != bytes)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL,
                           "raw_data holds %zu bytes, dims and type need %zu", ts->raw_len, bytes);
        return GLINT_OK;
    }
    if (typed_total != ts->counts[want])
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "data is in a field that does not match type %s",
                       glint_dtype_name((gl_dtype)ts->dtype));
    if (ts->counts[want] != numel)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "holds %zu elements, dims need %zu",
                       ts->counts[want], numel);
    return GLINT_OK;
}

static glint_status decode(const gl_pb_reader *parent, const gl_pb_field *f,
                           const glint_allocator *a, char **name, gl_const **out, gl_err *err) {
    gl_pb_reader r;
    tensor_scan ts;
    glint_status s = gl_pb_sub(parent, f, &r, err);
    if (!s) s = scan(&r, &ts, err);
    if (s) return s;
    if (name) {
        *name = ts.has_name ? gl_onnx_string(a, &ts.name) : gl_strdup(a, "");
        if (!*name) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "out of memory");
    }
    if (ts.external) return gl_fail(err, GLINT_ERR_UNSUPPORTED, "external data is not supported");
    if (ts.segmented)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "segmented tensors are not supported");
    if (!ts.has_dtype || ts.dtype == GLINT_DTYPE_UNDEFINED)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "has no data_type");
    if (ts.dtype == GLINT_DTYPE_STRING || ts.strings)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "string tensors are not supported");
    gl_pb_wire wire;
    int field = typed_field((gl_dtype)ts.dtype, &wire);
    if (!field)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED, "data type %lld is not supported",
                       (long long)ts.dtype);
    int64_t numel = gl_shape_numel(&ts.shape);
    size_t bytes;
    if (numel < 0 || !gl_tensor_bytes((gl_dtype)ts.dtype, &ts.shape, &bytes))
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "dims overflow");
    if ((s = check(&ts, (size_t)numel, bytes, err))) return s;

    gl_const *c = gl_const_new(a, (gl_dtype)ts.dtype, &ts.shape, err);
    if (!c) return err ? err->status : GLINT_ERR_OUT_OF_MEMORY;
    uint8_t *dst = c->data;
    if (ts.has_raw) {
        if (bytes) memcpy(dst, ts.raw, bytes);
        if (ts.dtype == GLINT_DTYPE_BOOL)
            for (size_t i = 0; i < bytes; i++) dst[i] = dst[i] != 0;
    } else {
        /* Second pass: cannot fail, every field was validated by scan. */
        gl_pb_reader r2;
        gl_pb_field g;
        size_t i = 0;
        gl_pb_sub(parent, f, &r2, NULL);
        while (gl_pb_more(&r2) && gl_pb_next(&r2, &g, NULL) == GLINT_OK) {
            if ((int)g.number != field) continue;
            gl_pb_iter it;
            uint64_t v;
            gl_pb_iter_init(&it, &g, wire);
            while (i < (size_t)numel && gl_pb_iter_next(&it, &v)) store((gl_dtype)ts.dtype, dst, i++, v);
        }
    }
    *out = c;
    return GLINT_OK;
}

glint_status gl_onnx_tensor(const gl_pb_reader *parent, const gl_pb_field *f,
                            const glint_allocator *a, const char *what, char **name,
                            gl_const **out, gl_err *err) {
    char *nm = NULL;
    *out = NULL;
    glint_status s = decode(parent, f, a, &nm, out, err);
    if (s) {
        if (nm && nm[0]) gl_err_prefix(err, "%s '%.200s'", what, nm);
        else gl_err_prefix(err, "%s", what);
    }
    if (name && !s) *name = nm;
    else gl_free(a, nm);
    return s;
}
