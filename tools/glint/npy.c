#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *descr;
    glint_dtype dtype;
} k_types[] = {
    {"<f4", GLINT_DTYPE_FLOAT32}, {"<f8", GLINT_DTYPE_FLOAT64}, {"<f2", GLINT_DTYPE_FLOAT16},
    {"<i8", GLINT_DTYPE_INT64},   {"<i4", GLINT_DTYPE_INT32},   {"<i2", GLINT_DTYPE_INT16},
    {"|i1", GLINT_DTYPE_INT8},    {"|u1", GLINT_DTYPE_UINT8},   {"|b1", GLINT_DTYPE_BOOL},
    {"<u2", GLINT_DTYPE_UINT16},  {"<u4", GLINT_DTYPE_UINT32},  {"<u8", GLINT_DTYPE_UINT64},
};

static int fail(char *err, size_t n, const char *path, const char *msg) {
    snprintf(err, n, "%s: %s", path, msg);
    return 1;
}

/* Finds 'key': in the header dict and returns the text after it. */
static const char *dict_value(const char *h, const char *key) {
    const char *p = strstr(h, key);
    if (!p) return NULL;
    p += strlen(key);
    while (*p == ' ' || *p == ':') p++;
    return p;
}

int npy_read(const char *path, npy_array *out, char *err, size_t en) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, en, "%s: %s", path, strerror(errno));
        return 1;
    }
    unsigned char pre[12];
    int rc = 1;
    char *header = NULL;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        fail(err, en, path, "not a .npy file (bad magic)");
        goto done;
    }
    size_t hlen;
    if (pre[6] == 1) {
        hlen = (size_t)pre[8] | ((size_t)pre[9] << 8);
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) {
            fail(err, en, path, "truncated header");
            goto done;
        }
        hlen = (size_t)pre[8] | ((size_t)pre[9] << 8) | ((size_t)pre[10] << 16) | ((size_t)pre[11] << 24);
    } else {
        fail(err, en, path, "unsupported .npy version");
        goto done;
    }
    if (hlen > (1u << 20)) {
        fail(err, en, path, "header too large");
        goto done;
    }
    header = malloc(hlen + 1);
    if (!header || fread(header, 1, hlen, f) != hlen) {
        fail(err, en, path, "truncated header");
        goto done;
    }
    header[hlen] = '\0';
    const char *descr = dict_value(header, "'descr'");
    const char *fortran = dict_value(header, "'fortran_order'");
    const char *shape = dict_value(header, "'shape'");
    if (!descr || !fortran || !shape || *descr != '\'' || *shape != '(') {
        fail(err, en, path, "malformed header");
        goto done;
    }
    if (strncmp(fortran, "False", 5) != 0) {
        fail(err, en, path, "Fortran-order arrays are not supported (save with C order)");
        goto done;
    }
    out->dtype = GLINT_DTYPE_UNDEFINED;
    for (size_t i = 0; i < sizeof k_types / sizeof k_types[0]; i++) {
        size_t l = strlen(k_types[i].descr);
        if (strncmp(descr + 1, k_types[i].descr, l) == 0 && descr[1 + l] == '\'') out->dtype = k_types[i].dtype;
    }
    if (out->dtype == GLINT_DTYPE_UNDEFINED) {
        char m[96];
        snprintf(m, sizeof m, "unsupported dtype %.12s", descr);
        fail(err, en, path, m);
        goto done;
    }
    const char *p = shape + 1;
    size_t count = 1;
    while (*p && *p != ')') {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        char *end;
        long long d = strtoll(p, &end, 10);
        if (end == p || d < 0 || out->rank >= 8) {
            fail(err, en, path, "malformed or unsupported shape (rank ≤ 8, dims ≥ 0)");
            goto done;
        }
        if (d && count > SIZE_MAX / (size_t)d) {
            fail(err, en, path, "shape too large");
            goto done;
        }
        count *= (size_t)d;
        out->dims[out->rank++] = d;
        p = end;
    }
    size_t es = glint_dtype_size(out->dtype);
    if (count > SIZE_MAX / es) {
        fail(err, en, path, "shape too large");
        goto done;
    }
    out->bytes = count * es;
    out->data = malloc(out->bytes ? out->bytes : 1);
    if (!out->data) {
        fail(err, en, path, "out of memory");
        goto done;
    }
    if (fread(out->data, 1, out->bytes, f) != out->bytes) {
        fail(err, en, path, "file is shorter than its shape says");
        goto done;
    }
    rc = 0;
done:
    free(header);
    fclose(f);
    if (rc) npy_free(out);
    return rc;
}

void npy_free(npy_array *a) {
    free(a->data);
    a->data = NULL;
}

int npy_write(const char *path, glint_dtype dtype, int rank, const int64_t *dims, const void *data,
              char *err, size_t en) {
    const char *descr = NULL;
    for (size_t i = 0; i < sizeof k_types / sizeof k_types[0]; i++)
        if (k_types[i].dtype == dtype) descr = k_types[i].descr;
    if (!descr) return fail(err, en, path, "cannot write this dtype to .npy");
    char shape[256] = "";
    size_t n = 0, count = 1;
    for (int i = 0; i < rank; i++) {
        n += (size_t)snprintf(shape + n, sizeof shape - n, "%lld,%s", (long long)dims[i],
                              (i + 1 < rank) ? " " : "");
        count *= (size_t)dims[i];
    }
    if (rank > 1) shape[n - 1] = '\0'; /* "(2, 3)" not "(2, 3,)"; keep "(5,)" */
    char header[512];
    int hl = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                      descr, shape);
    size_t total = 10 + (size_t)hl + 1;
    size_t pad = (64 - total % 64) % 64;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, en, "%s: cannot write: %s", path, strerror(errno));
        return 1;
    }
    size_t hlen = (size_t)hl + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, (size_t)hl, f) == (size_t)hl;
    for (size_t i = 0; ok && i < pad; i++) ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    size_t bytes = count * glint_dtype_size(dtype);
    ok = ok && (bytes == 0 || fwrite(data, 1, bytes, f) == bytes);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, en, "%s: write failed: %s", path, strerror(errno));
        remove(tmp);
        return 1;
    }
    return 0;
}
