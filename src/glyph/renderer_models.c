/* Renderer creation: the two engines, their model contract (DESIGN.md, "The
 * glyph model contract"), the fallback font, the caches and context pools. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glyph/renderer_impl.h"

void glint_glyph_options_init(glint_glyph_options *o) {
    memset(o, 0, sizeof *o);
    o->device = GLINT_DEVICE_AUTO;
    o->precision = GLINT_PRECISION_FP32;
    o->glyph_cache_bytes = (size_t)64 << 20;
    o->log_level = GLINT_LOG_WARN;
}

void gl_renderer_log(glint_glyph_renderer *r, glint_log_level level, const char *fmt, ...) {
    if (!r->log || level > r->log_level) return;
    char line[GL_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    r->log(r->log_user, level, line);
}

glint_status gl_pool_take(gl_context_pool *p, glint_context **ctx, gl_err *err) {
    pthread_mutex_lock(&p->lock);
    glint_context *c = p->free_count ? p->free_list[--p->free_count] : NULL;
    pthread_mutex_unlock(&p->lock);
    if (c) {
        *ctx = c;
        return GLINT_OK;
    }
    char msg[GL_ERR_MAX];
    glint_status st = glint_context_create(p->engine, &c, msg, sizeof msg);
    if (st != GLINT_OK) return gl_fail(err, st, "%s", msg);
    *ctx = c;
    return GLINT_OK;
}

void gl_pool_give(gl_context_pool *p, glint_context *ctx) {
    pthread_mutex_lock(&p->lock);
    if (p->free_count == p->free_cap) {
        size_t cap = p->free_cap ? p->free_cap * 2 : 4;
        glint_context **n = gl_realloc_array(gl_default_allocator(), p->free_list, cap, sizeof *n);
        if (n) {
            p->free_list = n;
            p->free_cap = cap;
        }
    }
    if (p->free_count < p->free_cap) {
        p->free_list[p->free_count++] = ctx;
        ctx = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    glint_context_free(ctx); /* only when the list could not grow */
}

static void pool_destroy(gl_context_pool *p) {
    for (size_t i = 0; i < p->free_count; i++) glint_context_free(p->free_list[i]);
    gl_free(gl_default_allocator(), p->free_list);
    pthread_mutex_destroy(&p->lock);
    glint_engine_free(p->engine);
}

static glint_status load_engine(const char *path, const char *role, const glint_glyph_options *o,
                                glint_engine **engine, gl_err *err) {
    glint_engine_options eo;
    glint_engine_options_init(&eo);
    eo.device = o->device;
    eo.precision = o->precision;
    /* The style encoder runs once per font (its vector is cached): INT8
     * would need a calibration of its own for no measurable gain. */
    if (strcmp(role, "style_encoder") == 0 && o->precision == GLINT_PRECISION_INT8)
        eo.precision = GLINT_PRECISION_FP32;
    eo.threads = o->threads;
    eo.log = o->log;
    eo.log_user = o->log_user;
    eo.log_level = o->log_level;
    char msg[GL_ERR_MAX];
    glint_status st = glint_engine_create_from_file(path, &eo, engine, msg, sizeof msg);
    if (st != GLINT_OK) return gl_fail(err, st, "%s model '%s': %s", role, path, msg);
    const char *got = glint_engine_metadata(*engine, "glint.role");
    if (!got || strcmp(got, role) != 0) {
        st = gl_fail(err, GLINT_ERR_INVALID_MODEL, "model '%s': metadata glint.role is '%s', expected '%s'",
                     path, got ? got : "(missing)", role);
        glint_engine_free(*engine);
        *engine = NULL;
    }
    return st;
}

/* "AaBb..." as characters, or "U+0041 U+0061 ..." as code points. */
static glint_status parse_ref_chars(const char *text, glint_glyph_renderer *r, gl_err *err) {
    if (!text || !*text)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "style encoder: metadata glint.ref_chars is missing");
    if (strncmp(text, "U+", 2) == 0) {
        const char *p = text;
        r->ref_count = 0;
        while (*p) {
            while (*p == ' ' || *p == ',') p++;
            if (!*p) break;
            char *end = NULL;
            unsigned long v = (p[0] == 'U' && p[1] == '+') ? strtoul(p + 2, &end, 16) : 0;
            if (!end || end == p + 2 || v > 0x10FFFF || r->ref_count == GL_MAX_REF_CHARS)
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "glint.ref_chars '%.60s' is not a list of U+XXXX (at most %d)", text, GL_MAX_REF_CHARS);
            r->ref_chars[r->ref_count++] = (uint32_t)v;
            p = end;
        }
    } else {
        size_t bad = 0;
        long n = gl_utf8_decode(text, r->ref_chars, GL_MAX_REF_CHARS, &bad);
        if (n < 0 || n > GL_MAX_REF_CHARS)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "glint.ref_chars is not valid UTF-8 of at most %d characters", GL_MAX_REF_CHARS);
        r->ref_count = (size_t)n;
    }
    if (r->ref_count == 0)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "style encoder: glint.ref_chars is empty");
    return GLINT_OK;
}

/* Reads the contract out of the metadata and the input shapes. */
static glint_status read_contract(glint_glyph_renderer *r, gl_err *err) {
    glint_engine *enc = r->enc.engine, *gen = r->gen.engine;
    const char *dim = glint_engine_metadata(gen, "glint.style_dim");
    if (!dim) dim = glint_engine_metadata(enc, "glint.style_dim");
    long s = dim ? strtol(dim, NULL, 10) : 0;
    if (s <= 0 || s > 65536)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "generator: metadata glint.style_dim '%s' is not a positive count", dim ? dim : "(missing)");
    r->style_dim = (size_t)s;
    const char *refs = glint_engine_metadata(enc, "glint.ref_chars");
    glint_status st = parse_ref_chars(refs ? refs : glint_engine_metadata(gen, "glint.ref_chars"), r, err);
    if (st != GLINT_OK) return st;
    const char *raster = glint_engine_metadata(gen, "glint.raster");
    st = gl_raster_rule_parse(raster, &r->rule, err);
    if (st != GLINT_OK) return gl_err_prefix(err, "generator");
    if (!raster)
        gl_renderer_log(r, GLINT_LOG_WARN, "generator has no glint.raster metadata; using glint-raster-1 ppem=0.75 baseline=0.725");
    /* The refs are drawn at the first trained resolution, or at the
     * encoder's fixed input size when it has one. */
    r->style_res = 64;
    const char *res = glint_engine_metadata(enc, "glint.resolutions");
    if (!res) res = glint_engine_metadata(gen, "glint.resolutions");
    if (res) {
        long v = strtol(res + strcspn(res, "0123456789"), NULL, 10);
        if (v >= GLINT_GLYPH_MIN_SIZE && v <= GLINT_GLYPH_MAX_SIZE && v % 8 == 0) r->style_res = (int)v;
    }
    for (size_t i = 0; i < glint_engine_input_count(enc); i++) {
        glint_io_info io;
        if (glint_engine_input_info(enc, i, &io) != GLINT_OK || strcmp(io.name, "refs") != 0) continue;
        if (io.rank != 4)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "style encoder: input 'refs' has rank %d, expected 4", (int)io.rank);
        if (io.dims[1] > 0 && (size_t)io.dims[1] != r->ref_count)
            return gl_fail(err, GLINT_ERR_INVALID_MODEL, "style encoder: 'refs' takes %lld glyphs but glint.ref_chars has %zu",
                           (long long)io.dims[1], r->ref_count);
        if (io.dims[2] > 0) r->style_res = (int)io.dims[2];
    }
    return GLINT_OK;
}

glint_status glint_glyph_renderer_create(const char *generator_path, const char *style_encoder_path,
                                         const glint_glyph_options *options,
                                         glint_glyph_renderer **out, char *error, size_t error_size) {
    gl_err err;
    gl_err_clear(&err);
    glint_glyph_options defaults;
    if (!options) {
        glint_glyph_options_init(&defaults);
        options = &defaults;
    }
    if (out) *out = NULL;
    if (!generator_path || !style_encoder_path || !out) {
        gl_fail(&err, GLINT_ERR_INVALID_ARGUMENT, "glint_glyph_renderer_create: NULL argument");
        gl_err_copy_out(&err, error, error_size);
        return err.status;
    }
    glint_glyph_renderer *r = gl_calloc(gl_default_allocator(), 1, sizeof *r);
    if (!r) {
        gl_fail(&err, GLINT_ERR_OUT_OF_MEMORY, "glyph renderer: out of memory");
        gl_err_copy_out(&err, error, error_size);
        return err.status;
    }
    pthread_mutex_init(&r->gen.lock, NULL);
    pthread_mutex_init(&r->enc.lock, NULL);
    pthread_mutex_init(&r->fonts_lock, NULL);
    r->log = options->log;
    r->log_user = options->log_user;
    r->log_level = options->log_level;
    glint_status st = load_engine(generator_path, "generator", options, &r->gen.engine, &err);
    if (st == GLINT_OK) st = load_engine(style_encoder_path, "style_encoder", options, &r->enc.engine, &err);
    if (st == GLINT_OK) st = read_contract(r, &err);
    if (st == GLINT_OK) {
        r->precision = glint_engine_precision(r->gen.engine);
        char path[4096];
        const char *fb = options->fallback_font;
        if (!fb) {
            st = glint_glyph_default_font(path, sizeof path);
            if (st != GLINT_OK) gl_fail(&err, st, "%s", path);
            fb = path;
        }
        if (st == GLINT_OK) st = gl_renderer_font(r, fb, options->fallback_face, &r->fallback, &err);
        if (st != GLINT_OK) gl_err_prefix(&err, "fallback font");
    }
    if (st == GLINT_OK) st = gl_style_cache_create(r->style_dim, &r->styles, &err);
    if (st == GLINT_OK && options->glyph_cache_bytes > 0)
        st = gl_glyph_cache_create(options->glyph_cache_bytes, &r->glyphs, &err);
    if (st != GLINT_OK) {
        glint_glyph_renderer_free(r);
        gl_err_copy_out(&err, error, error_size);
        return st;
    }
    *out = r;
    return GLINT_OK;
}

void glint_glyph_renderer_free(glint_glyph_renderer *r) {
    if (!r) return;
    pool_destroy(&r->gen);
    pool_destroy(&r->enc);
    for (gl_font_entry *e = r->fonts, *n; e; e = n) {
        n = e->next;
        glint_font_close(e->font);
        gl_free(gl_default_allocator(), e->key);
        gl_free(gl_default_allocator(), e);
    }
    pthread_mutex_destroy(&r->fonts_lock);
    gl_style_cache_free(r->styles);
    gl_glyph_cache_free(r->glyphs);
    gl_free(gl_default_allocator(), r);
}

glint_engine *glint_glyph_renderer_engine(glint_glyph_renderer *r) { return r ? r->gen.engine : NULL; }
size_t glint_glyph_style_dim(const glint_glyph_renderer *r) { return r ? r->style_dim : 0; }

void glint_glyph_cache_stats_get(glint_glyph_renderer *r, glint_glyph_cache_stats *s) {
    memset(s, 0, sizeof *s);
    if (!r) return;
    gl_glyph_cache_stats(r->glyphs, s);
    gl_style_cache_counts(r->styles, &s->style_hits, &s->style_misses);
}
