/* The calibration file (MODEL.calib): UTF-8 text, one record per line, so a
 * person can read and diff it, and byte-identical for identical inputs:
 *
 *     glint-calib 1
 *     model 3f2a9c0d11e4b7a2          gl_quant_graph_hash, hex
 *     samples 16
 *     threshold 0.05
 *     tensor NAME MIN MAX SCALE ZERO_POINT
 *     layer NAME int8|float REL_ERROR
 *     end
 *
 * Names are percent-escaped (bytes <= space, >= 0x7f and '%' as %XX); floats
 * are written with 9 significant digits, which round-trips float32. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant.h"

#define LINE_MAX_CHARS 4096

typedef struct sbuf {
    const glint_allocator *a;
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *np = gl_realloc(b->a, b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_printf(sbuf *b, const char *fmt, ...) GL_PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) sb_put(b, tmp, (size_t)GL_MIN((size_t)n, sizeof tmp - 1));
}

static void sb_name(sbuf *b, const char *s) {
    sb_put(b, " ", 1);
    if (!*s) sb_put(b, "%00", 3); /* an empty name still takes a field */
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c <= ' ' || *c >= 0x7f || *c == '%') {
            char esc[4];
            snprintf(esc, sizeof esc, "%%%02X", *c);
            sb_put(b, esc, 3);
        } else {
            sb_put(b, (const char *)c, 1);
        }
    }
}

glint_status gl_calib_format(const gl_calib *c, char **text, size_t *len, gl_err *err) {
    sbuf b = {.a = c->alloc};
    sb_printf(&b, "glint-calib %d\n", GL_CALIB_VERSION);
    sb_printf(&b, "model %016llx\n", (unsigned long long)c->model_hash);
    sb_printf(&b, "samples %d\n", c->samples);
    sb_printf(&b, "threshold %.9g\n", (double)c->threshold);
    for (int i = 0; i < c->n_tensors; i++) {
        const gl_calib_tensor *t = &c->tensors[i];
        sb_put(&b, "tensor", 6);
        sb_name(&b, t->name);
        sb_printf(&b, " %.9g %.9g %.9g %d\n", (double)t->min, (double)t->max, (double)t->scale,
                  (int)t->zero_point);
    }
    for (int i = 0; i < c->n_layers; i++) {
        const gl_calib_layer *l = &c->layers[i];
        sb_put(&b, "layer", 5);
        sb_name(&b, l->name);
        sb_printf(&b, " %s %.9g\n", l->int8 ? "int8" : "float", (double)l->rel_error);
    }
    sb_put(&b, "end\n", 4);
    if (b.oom) {
        gl_free(c->alloc, b.p);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory formatting");
    }
    *text = b.p;
    *len = b.n;
    return GLINT_OK;
}

/* ------------------------------------------------------------ parsing */
static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Unescapes the token at *s (up to a space or end) into a new string. */
static char *take_name(const glint_allocator *a, char **s) {
    char *p = *s;
    while (*p == ' ') p++;
    char *end = p;
    while (*end && *end != ' ') end++;
    if (end == p) return NULL;
    char *out = gl_malloc(a, (size_t)(end - p) + 1);
    if (!out) return NULL;
    size_t n = 0;
    for (char *q = p; q < end; q++) {
        if (*q == '%') {
            int hi = q + 2 < end ? hexval(q[1]) : -1, lo = q + 2 < end ? hexval(q[2]) : -1;
            if (hi < 0 || lo < 0) {
                gl_free(a, out);
                return NULL;
            }
            if (hi || lo) out[n++] = (char)(hi * 16 + lo);
            q += 2;
        } else {
            out[n++] = *q;
        }
    }
    out[n] = '\0';
    *s = end;
    return out;
}

static bool take_float(char **s, float *v) {
    char *end;
    errno = 0;
    *v = strtof(*s, &end);
    if (end == *s || errno == ERANGE) return false;
    *s = end;
    return true;
}

static bool at_end(const char *s) {
    while (*s == ' ') s++;
    return *s == '\0';
}

static glint_status parse_line(gl_calib *c, char *line, int lineno, bool *done, gl_err *err) {
    const glint_allocator *a = c->alloc;
    char *s = line;
    if (strncmp(s, "model ", 6) == 0) {
        char *end;
        errno = 0;
        c->model_hash = strtoull(s + 6, &end, 16);
        if (end == s + 6 || errno || !at_end(end)) goto bad;
    } else if (strncmp(s, "samples ", 8) == 0) {
        char *end;
        long v = strtol(s + 8, &end, 10);
        if (end == s + 8 || v < 0 || v > 1000000000L || !at_end(end)) goto bad;
        c->samples = (int)v;
    } else if (strncmp(s, "threshold ", 10) == 0) {
        s += 10;
        if (!take_float(&s, &c->threshold) || !at_end(s)) goto bad;
    } else if (strncmp(s, "tensor ", 7) == 0) {
        s += 6;
        gl_calib_tensor t = {0};
        t.name = take_name(a, &s);
        char *end;
        long zp = 0;
        bool ok = t.name && take_float(&s, &t.min) && take_float(&s, &t.max) &&
                  take_float(&s, &t.scale);
        if (ok) {
            zp = strtol(s, &end, 10);
            ok = end != s && zp >= -128 && zp <= 127 && at_end(end) && t.scale > 0.0f &&
                 t.min <= t.max;
        }
        if (!ok) {
            gl_free(a, t.name);
            goto bad;
        }
        t.zero_point = (int32_t)zp;
        gl_calib_tensor *nt = gl_realloc_array(a, c->tensors, (size_t)c->n_tensors + 1, sizeof *nt);
        if (!nt) {
            gl_free(a, t.name);
            return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
        }
        c->tensors = nt;
        c->tensors[c->n_tensors++] = t;
    } else if (strncmp(s, "layer ", 6) == 0) {
        s += 5;
        gl_calib_layer l = {0};
        l.name = take_name(a, &s);
        while (*s == ' ') s++;
        bool ok = l.name != NULL;
        if (ok && strncmp(s, "int8 ", 5) == 0) l.int8 = true, s += 5;
        else if (ok && strncmp(s, "float ", 6) == 0) s += 6;
        else ok = false;
        if (!ok || !take_float(&s, &l.rel_error) || !at_end(s)) {
            gl_free(a, l.name);
            goto bad;
        }
        gl_calib_layer *nl = gl_realloc_array(a, c->layers, (size_t)c->n_layers + 1, sizeof *nl);
        if (!nl) {
            gl_free(a, l.name);
            return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
        }
        c->layers = nl;
        c->layers[c->n_layers++] = l;
    } else if (strcmp(s, "end") == 0) {
        *done = true;
    } else {
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "calibration line %d: unknown record '%.40s'",
                       lineno, s);
    }
    return GLINT_OK;
bad:
    return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "calibration line %d: bad '%.20s' record",
                   lineno, line);
}

glint_status gl_calib_parse(const glint_allocator *a, const char *text, size_t len,
                            gl_calib **out, gl_err *err) {
    *out = NULL;
    gl_calib *c = gl_calloc(a, 1, sizeof *c);
    if (!c) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
    c->alloc = a;
    char line[LINE_MAX_CHARS];
    size_t pos = 0;
    int lineno = 0;
    bool done = false;
    glint_status st = GLINT_OK;
    while (st == GLINT_OK && pos < len && !done) {
        size_t e = pos;
        while (e < len && text[e] != '\n') e++;
        lineno++;
        if (e - pos >= sizeof line) {
            st = gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "calibration line %d is too long", lineno);
            break;
        }
        memcpy(line, text + pos, e - pos);
        line[e - pos] = '\0';
        if (memchr(line, '\0', e - pos)) {
            st = gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "calibration line %d has a NUL byte",
                         lineno);
            break;
        }
        pos = e + 1;
        if (lineno == 1) {
            int version;
            char tail;
            if (sscanf(line, "glint-calib %d%c", &version, &tail) != 1)
                st = gl_fail(err, GLINT_ERR_INVALID_ARGUMENT,
                             "calibration line 1: not a glint calibration file");
            else if (version != GL_CALIB_VERSION)
                st = gl_fail(err, GLINT_ERR_UNSUPPORTED,
                             "calibration file version %d is not supported (this glint reads %d)",
                             version, GL_CALIB_VERSION);
            continue;
        }
        st = parse_line(c, line, lineno, &done, err);
    }
    if (st == GLINT_OK && !done)
        st = gl_fail(err, GLINT_ERR_INVALID_ARGUMENT,
                     "calibration: truncated after line %d (no 'end' record)", lineno);
    if (st != GLINT_OK) {
        gl_calib_free(c);
        return st;
    }
    *out = c;
    return GLINT_OK;
}

/* ------------------------------------------------------------ files */
glint_status gl_calib_save(const gl_calib *c, const char *path, gl_err *err) {
    char *text = NULL;
    size_t len = 0;
    glint_status st = gl_calib_format(c, &text, &len, err);
    if (st) return st;
    size_t plen = strlen(path);
    char *tmp = gl_malloc(c->alloc, plen + 8);
    if (!tmp) {
        gl_free(c->alloc, text);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = gl_fail(err, GLINT_ERR_IO, "calibration: cannot create '%s': %s", tmp, strerror(errno));
    } else {
        bool ok = fwrite(text, 1, len, f) == len;
        ok = (fclose(f) == 0) && ok;
        if (!ok)
            st = gl_fail(err, GLINT_ERR_IO, "calibration: writing '%s' failed", tmp);
        else if (rename(tmp, path) != 0)
            st = gl_fail(err, GLINT_ERR_IO, "calibration: cannot rename '%s' to '%s': %s", tmp,
                         path, strerror(errno));
        if (st) remove(tmp);
    }
    gl_free(c->alloc, tmp);
    gl_free(c->alloc, text);
    return st;
}

glint_status gl_calib_load(const glint_allocator *a, const char *path, uint64_t expected_hash,
                           gl_calib **out, gl_err *err) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return gl_fail(err, GLINT_ERR_IO, "calibration: cannot open '%s': %s", path,
                           strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    glint_status st = GLINT_OK;
    for (;;) {
        if (len + 4096 > cap) {
            cap = (len + 4096) * 2;
            if (cap > ((size_t)64 << 20)) {
                st = gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "calibration: '%s' is over 64 MiB",
                             path);
                break;
            }
            char *np = gl_realloc(a, text, cap);
            if (!np) {
                st = gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "calibration: out of memory");
                break;
            }
            text = np;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (st == GLINT_OK && ferror(f))
        st = gl_fail(err, GLINT_ERR_IO, "calibration: reading '%s' failed", path);
    fclose(f);
    if (st == GLINT_OK) st = gl_calib_parse(a, text, len, out, err);
    gl_free(a, text);
    if (st != GLINT_OK) return gl_err_prefix(err, "%s", path);
    if (expected_hash && (*out)->model_hash != expected_hash) {
        unsigned long long got = (unsigned long long)(*out)->model_hash;
        gl_calib_free(*out);
        *out = NULL;
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT,
                       "calibration '%s' is for model %016llx, not this model %016llx", path, got,
                       (unsigned long long)expected_hash);
    }
    return GLINT_OK;
}
