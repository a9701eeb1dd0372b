/* The protobuf wire-format reader: each wire type, every truncation point,
 * overlong varints, lengths past the end, groups, packed fields, depth. */
#include <string.h>

#include "model/protobuf.h"
#include "onnx_writer.h"
#include "testlib.h"

static void test_varints(void) {
    const uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, (uint64_t)1 << 35,
                             (uint64_t)1 << 63, UINT64_MAX, (uint64_t)-1 - 12345};
    for (size_t i = 0; i < GL_ARRAY_LEN(vals); i++) {
        pbw w = {0};
        pbw_varint(&w, vals[i]);
        const uint8_t *p = w.p;
        uint64_t got = 0;
        CHECK(gl_pb_varint(&p, w.p + w.n, &got));
        CHECK(got == vals[i]);
        CHECK(p == w.p + w.n);
        /* Every strict prefix is truncated. */
        for (size_t k = 0; k < w.n; k++) {
            p = w.p;
            CHECK(!gl_pb_varint(&p, w.p + k, &got));
        }
        pbw_free(&w);
    }
    /* Eleven bytes, or a tenth byte above 1, overflow 64 bits. */
    uint8_t over[11];
    memset(over, 0x80, sizeof over);
    over[10] = 0;
    const uint8_t *p = over;
    uint64_t v;
    CHECK(!gl_pb_varint(&p, over + 11, &v));
    uint8_t ten[10];
    memset(ten, 0xff, 9);
    ten[9] = 0x02;
    p = ten;
    CHECK(!gl_pb_varint(&p, ten + 10, &v));
    ten[9] = 0x01;
    p = ten;
    CHECK(gl_pb_varint(&p, ten + 10, &v) && v == UINT64_MAX);
}

/* One field of each wire type; then every prefix either ends on a field
 * boundary (reads fewer fields) or fails — never reads past the end. */
static void test_wire_types_and_truncation(void) {
    pbw w = {0};
    pbw_uint(&w, 1, 150);
    pbw_fixed64(&w, 2, 0x0102030405060708ull);
    pbw_str(&w, 3, "hello");
    pbw_fixed32(&w, 4, 0xdeadbeefu);
    pbw_uint(&w, 536870911, 7); /* the largest field number */
    size_t bounds[6];
    {
        gl_pb_reader r;
        gl_pb_field f;
        gl_err err;
        gl_pb_init(&r, w.p, w.n, 0);
        int k = 0;
        bounds[k++] = 0;
        CHECK_OK(gl_pb_next(&r, &f, &err));
        CHECK(f.number == 1 && f.wire == GL_PB_VARINT && f.u == 150);
        bounds[k++] = (size_t)(r.p - r.start);
        CHECK_OK(gl_pb_next(&r, &f, &err));
        CHECK(f.number == 2 && f.wire == GL_PB_FIXED64 && f.u == 0x0102030405060708ull);
        bounds[k++] = (size_t)(r.p - r.start);
        CHECK_OK(gl_pb_next(&r, &f, &err));
        CHECK(f.number == 3 && f.wire == GL_PB_LEN && f.len == 5 && memcmp(f.data, "hello", 5) == 0);
        bounds[k++] = (size_t)(r.p - r.start);
        CHECK_OK(gl_pb_next(&r, &f, &err));
        CHECK(f.number == 4 && f.wire == GL_PB_FIXED32 && f.u == 0xdeadbeefu);
        bounds[k++] = (size_t)(r.p - r.start);
        CHECK_OK(gl_pb_next(&r, &f, &err));
        CHECK(f.number == 536870911 && f.u == 7);
        bounds[k++] = (size_t)(r.p - r.start);
        CHECK(!gl_pb_more(&r));
    }
    for (size_t len = 0; len < w.n; len++) {
        /* A copy of exactly len bytes, so ASan sees any overread. */
        uint8_t *buf = malloc(len ? len : 1);
        memcpy(buf, w.p, len);
        gl_pb_reader r;
        gl_pb_field f;
        gl_err err;
        gl_pb_init(&r, buf, len, 0);
        glint_status s = GLINT_OK;
        int fields = 0;
        while (gl_pb_more(&r) && (s = gl_pb_next(&r, &f, &err)) == GLINT_OK) fields++;
        bool boundary = false;
        for (int k = 0; k < 6; k++) boundary |= bounds[k] == len;
        if (boundary) CHECK_MSG(s == GLINT_OK, "prefix %zu", len);
        else CHECK_MSG(s == GLINT_ERR_INVALID_MODEL && strstr(err.msg, "field"), "prefix %zu: %s", len, err.msg);
        free(buf);
    }
    pbw_free(&w);
}

static glint_status read_one(const void *d, size_t n, gl_pb_field *f, gl_err *err) {
    gl_pb_reader r;
    gl_pb_init(&r, d, n, 0);
    return gl_pb_next(&r, f, err);
}

static void test_bad_keys_and_lengths(void) {
    gl_pb_field f;
    gl_err err;
    /* Field number 0. */
    uint8_t zero[] = {0x00, 0x01};
    CHECK(read_one(zero, 2, &f, &err) == GLINT_ERR_INVALID_MODEL);
    /* Groups, start and end. */
    uint8_t group[] = {(1 << 3) | 3, (1 << 3) | 4};
    CHECK(read_one(group, 2, &f, &err) == GLINT_ERR_INVALID_MODEL && strstr(err.msg, "group"));
    CHECK(read_one(group + 1, 1, &f, &err) == GLINT_ERR_INVALID_MODEL);
    /* Wire types 6 and 7 do not exist. */
    uint8_t w6[] = {(1 << 3) | 6, 0}, w7[] = {(1 << 3) | 7, 0};
    CHECK(read_one(w6, 2, &f, &err) == GLINT_ERR_INVALID_MODEL);
    CHECK(read_one(w7, 2, &f, &err) == GLINT_ERR_INVALID_MODEL);
    /* Huge lengths: 2^62, 2^64-1, and one byte more than there is. */
    uint64_t huge[] = {(uint64_t)1 << 62, UINT64_MAX, 4};
    for (size_t i = 0; i < GL_ARRAY_LEN(huge); i++) {
        pbw w = {0};
        pbw_key(&w, 3, 2);
        pbw_varint(&w, huge[i]);
        pbw_raw(&w, "abc", 3);
        CHECK(read_one(w.p, w.n, &f, &err) == GLINT_ERR_INVALID_MODEL && strstr(err.msg, "exceeds"));
        pbw_free(&w);
    }
    /* An overlong key. */
    uint8_t longkey[12];
    memset(longkey, 0xff, sizeof longkey);
    CHECK(read_one(longkey, sizeof longkey, &f, &err) == GLINT_ERR_INVALID_MODEL);
    /* Empty buffer: no fields. */
    gl_pb_reader r;
    gl_pb_init(&r, NULL, 0, 0);
    CHECK(!gl_pb_more(&r));
}

static void test_packed(void) {
    gl_err err;
    gl_pb_field f;
    size_t n;
    uint64_t v;
    gl_pb_iter it;
    /* Packed varints. */
    pbw in = {0}, w = {0};
    const uint64_t vals[] = {1, 300, (uint64_t)-5, 0};
    for (int i = 0; i < 4; i++) pbw_varint(&in, vals[i]);
    pbw_bytes(&w, 8, in.p, in.n);
    CHECK_OK(read_one(w.p, w.n, &f, &err));
    CHECK_OK(gl_pb_count(&f, GL_PB_VARINT, &n, &err));
    CHECK(n == 4);
    gl_pb_iter_init(&it, &f, GL_PB_VARINT);
    for (int i = 0; i < 4; i++) CHECK(gl_pb_iter_next(&it, &v) && v == vals[i]);
    CHECK(!gl_pb_iter_next(&it, &v));
    /* Truncated packed varint: the last byte keeps its continuation bit. */
    w.p[w.n - 1] = 0x80;
    CHECK_OK(read_one(w.p, w.n, &f, &err));
    CHECK(gl_pb_count(&f, GL_PB_VARINT, &n, &err) == GLINT_ERR_INVALID_MODEL);
    pbw_free(&w);
    pbw_free(&in);
    /* Packed fixed32 of a bad length. */
    pbw_bytes(&w, 7, "abcdefg", 7);
    CHECK_OK(read_one(w.p, w.n, &f, &err));
    CHECK(gl_pb_count(&f, GL_PB_FIXED32, &n, &err) == GLINT_ERR_INVALID_MODEL);
    CHECK_OK(gl_pb_count(&f, GL_PB_VARINT, &n, &err)); /* as varints these are 7 bytes < 0x80 */
    pbw_free(&w);
    /* Packed doubles. */
    double d[3] = {1.5, -2.25, 1e300};
    pbw_bytes(&w, 10, d, sizeof d);
    CHECK_OK(read_one(w.p, w.n, &f, &err));
    CHECK_OK(gl_pb_count(&f, GL_PB_FIXED64, &n, &err));
    CHECK(n == 3);
    gl_pb_iter_init(&it, &f, GL_PB_FIXED64);
    for (int i = 0; i < 3; i++) CHECK(gl_pb_iter_next(&it, &v) && gl_pb_double(v) == d[i]);
    pbw_free(&w);
    /* Unpacked: one element; a mismatched wire type is an error. */
    pbw_f32(&w, 7, 2.5f);
    CHECK_OK(read_one(w.p, w.n, &f, &err));
    CHECK_OK(gl_pb_count(&f, GL_PB_FIXED32, &n, &err));
    CHECK(n == 1);
    gl_pb_iter_init(&it, &f, GL_PB_FIXED32);
    CHECK(gl_pb_iter_next(&it, &v) && gl_pb_float(v) == 2.5f);
    CHECK(!gl_pb_iter_next(&it, &v));
    CHECK(gl_pb_count(&f, GL_PB_VARINT, &n, &err) == GLINT_ERR_INVALID_MODEL);
    pbw_free(&w);
}

static void test_depth(void) {
    /* 40 nested messages: field 1 inside field 1 ... */
    pbw w = {0};
    pbw_uint(&w, 2, 1);
    for (int i = 0; i < 40; i++) {
        pbw outer = {0};
        pbw_msg(&outer, 1, &w);
        w = outer;
    }
    gl_pb_reader r, sub;
    gl_pb_field f;
    gl_err err;
    gl_pb_init(&r, w.p, w.n, 0);
    int depth = 0;
    glint_status s = GLINT_OK;
    for (;;) {
        CHECK_OK(gl_pb_next(&r, &f, &err));
        if (f.number != 1) break;
        if ((s = gl_pb_sub(&r, &f, &sub, &err))) break;
        r = sub;
        depth++;
    }
    CHECK(s == GLINT_ERR_INVALID_MODEL && depth == GL_PB_MAX_DEPTH);
    /* A non-LEN field is not a message. */
    pbw v = {0};
    pbw_uint(&v, 1, 5);
    gl_pb_init(&r, v.p, v.n, 0);
    CHECK_OK(gl_pb_next(&r, &f, &err));
    CHECK(gl_pb_sub(&r, &f, &sub, &err) == GLINT_ERR_INVALID_MODEL);
    pbw_free(&v);
    pbw_free(&w);
}

/* Random bytes: the reader must stop cleanly, never overrun. */
static void test_random(void) {
    for (int t = 0; t < 2000; t++) {
        size_t n = (size_t)(tl_rand_u64() % 64);
        uint8_t *buf = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)tl_rand_u64();
        gl_pb_reader r;
        gl_pb_field f;
        gl_err err;
        gl_pb_init(&r, buf, n, 0);
        while (gl_pb_more(&r) && gl_pb_next(&r, &f, &err) == GLINT_OK) {
            CHECK(r.p <= r.end);
            if (f.wire == GL_PB_LEN) CHECK(f.data >= buf && f.data + f.len <= buf + n);
        }
        free(buf);
    }
}

int main(void) {
    tl_seed_from_env();
    test_varints();
    test_wire_types_and_truncation();
    test_bad_keys_and_lengths();
    test_packed();
    test_depth();
    test_random();
    return TEST_END();
}
