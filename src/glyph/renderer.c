#define _XOPEN_SOURCE 700 /* realpath */
/* Style and restyle: the style vector of a font from its reference glyphs
 * (style cache), and restyled glyphs from content glyphs plus that vector
 * (glyph cache, then the generator in batches of up to 32). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glyph/renderer_impl.h"

glint_status gl_renderer_font(glint_glyph_renderer *r, const char *path, int face, glint_font **font,
                              gl_err *err) {
    char real[PATH_MAX];
    /* the real path makes "./a.ttf" and "a.ttf" one font (and one style) */
    const char *key = realpath(path, real) ? real : path;
    pthread_mutex_lock(&r->fonts_lock);
    for (gl_font_entry *e = r->fonts; e; e = e->next) {
        if (e->face == face && strcmp(e->key, key) == 0) {
            *font = e->font;
            pthread_mutex_unlock(&r->fonts_lock);
            return GLINT_OK;
        }
    }
    /* opened under the lock so that racing threads open a font only once */
    char msg[GL_ERR_MAX];
    glint_font *f = NULL;
    glint_status st = glint_font_open(key, face, &f, msg, sizeof msg);
    gl_font_entry *e = NULL;
    if (st == GLINT_OK) {
        e = gl_calloc(gl_default_allocator(), 1, sizeof *e);
        if (e) e->key = gl_strdup(gl_default_allocator(), key);
        if (!e || !e->key) {
            if (e) gl_free(gl_default_allocator(), e);
            glint_font_close(f);
            st = GLINT_ERR_OUT_OF_MEMORY;
            snprintf(msg, sizeof msg, "font '%s': out of memory", path);
        }
    }
    if (st == GLINT_OK) {
        e->face = face;
        e->font = f;
        e->next = r->fonts;
        r->fonts = e;
        *font = f;
    }
    pthread_mutex_unlock(&r->fonts_lock);
    return st == GLINT_OK ? GLINT_OK : gl_fail(err, st, "%s", msg);
}

/* Runs the style encoder on the font's reference glyphs. */
static glint_status compute_style(glint_glyph_renderer *r, glint_font *font, float *style, gl_err *err) {
    const int res = r->style_res;
    const size_t px = (size_t)res * (size_t)res;
    float *refs = gl_malloc(gl_default_allocator(), r->ref_count * px * sizeof(float));
    if (!refs) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "style: out of memory");
    char missing[GL_MAX_REF_CHARS * 8] = "";
    size_t n_missing = 0, n_blank = 0;
    glint_status st = GLINT_OK;
    for (size_t k = 0; k < r->ref_count && st == GLINT_OK; k++) {
        float *dst = refs + k * px;
        st = gl_font_raster_rule(font, r->ref_chars[k], res, &r->rule, dst, err);
        if (st != GLINT_ERR_NOT_FOUND) continue;
        /* the fallback font's glyph stands in for a missing reference */
        size_t len = strlen(missing);
        snprintf(missing + len, sizeof missing - len, "%sU+%04X", n_missing ? " " : "", (unsigned)r->ref_chars[k]);
        n_missing++;
        st = gl_font_raster_rule(r->fallback, r->ref_chars[k], res, &r->rule, dst, err);
        if (st == GLINT_ERR_NOT_FOUND) { /* neither has it: an empty box */
            memset(dst, 0, px * sizeof(float));
            n_blank++;
            st = GLINT_OK;
        }
    }
    if (st == GLINT_OK && n_missing == r->ref_count)
        st = gl_fail(err, GLINT_ERR_NOT_FOUND, "font '%s' has none of the model's %zu reference characters; its style cannot be measured",
                     gl_font_path(font), r->ref_count);
    if (st == GLINT_OK && n_missing)
        gl_renderer_log(r, GLINT_LOG_INFO, "style of '%s': %zu of %zu reference characters missing (%s); the fallback font's glyphs stand in%s",
                        gl_font_path(font), n_missing, r->ref_count, missing, n_blank ? " (blank where it lacks them too)" : "");
    glint_context *ctx = NULL;
    if (st == GLINT_OK) st = gl_pool_take(&r->enc, &ctx, err);
    if (st == GLINT_OK) {
        glint_tensor in = {"refs", GLINT_DTYPE_FLOAT32, 4, {1, (int64_t)r->ref_count, res, res}, refs,
                           r->ref_count * px * sizeof(float)};
        glint_tensor out = {"style", GLINT_DTYPE_FLOAT32, 0, {0}, style, r->style_dim * sizeof(float)};
        st = glint_run(ctx, &in, 1, &out, 1);
        if (st != GLINT_OK)
            gl_fail(err, st, "style encoder on '%s': %s", gl_font_path(font), glint_context_last_error(ctx));
        else if (out.rank != 2 || out.dims[0] != 1 || out.dims[1] != (int64_t)r->style_dim)
            st = gl_fail(err, GLINT_ERR_INVALID_MODEL, "style encoder: output 'style' is not [1,%zu]", r->style_dim);
        gl_pool_give(&r->enc, ctx);
    }
    gl_free(gl_default_allocator(), refs);
    return st;
}

static glint_status style_of(glint_glyph_renderer *r, const char *path, int face, glint_font **font,
                             float *style, gl_err *err) {
    glint_status st = gl_renderer_font(r, path, face, font, err);
    if (st != GLINT_OK) return st;
    const char *key = gl_font_path(*font); /* the real path */
    if (gl_style_cache_get(r->styles, key, face, style)) return GLINT_OK;
    st = compute_style(r, *font, style, err);
    if (st == GLINT_OK) st = gl_style_cache_put(r->styles, key, face, style, err);
    return st;
}

glint_status glint_glyph_style(glint_glyph_renderer *r, const char *path, int face, float *style,
                               char *error, size_t error_size) {
    gl_err err;
    gl_err_clear(&err);
    glint_font *font = NULL;
    glint_status st = (!r || !path || !style)
                          ? gl_fail(&err, GLINT_ERR_INVALID_ARGUMENT, "glint_glyph_style: NULL argument")
                          : style_of(r, path, face, &font, style, &err);
    if (st != GLINT_OK) gl_err_copy_out(&err, error, error_size);
    return st;
}

/* Resamples a src × src image to dst × dst (bilinear, pixel centres at
 * +0.5), for sizes that are not multiples of 8: the generator runs at the
 * next multiple of 8. */
static void resample(const float *in, int src, float *out, int dst) {
    double scale = (double)src / dst;
    for (int y = 0; y < dst; y++) {
        double fy = (y + 0.5) * scale - 0.5;
        int y0 = (int)floor(fy);
        double wy = fy - y0;
        int ya = y0 < 0 ? 0 : y0, yb = y0 + 1 >= src ? src - 1 : y0 + 1;
        for (int x = 0; x < dst; x++) {
            double fx = (x + 0.5) * scale - 0.5;
            int x0 = (int)floor(fx);
            double wx = fx - x0;
            int xa = x0 < 0 ? 0 : x0, xb = x0 + 1 >= src ? src - 1 : x0 + 1;
            double v = (1 - wy) * ((1 - wx) * in[ya * src + xa] + wx * in[ya * src + xb]) +
                       wy * ((1 - wx) * in[yb * src + xa] + wx * in[yb * src + xb]);
            out[y * dst + x] = (float)v;
        }
    }
}

typedef struct batch_ws {
    float *content, *style, *glyph;
    size_t idx[GL_GLYPH_MAX_BATCH];
} batch_ws;

/* Runs one batch of n content glyphs and writes the results to out. */
static glint_status run_batch(glint_glyph_renderer *r, batch_ws *ws, size_t n, int run_size, int size,
                              float *out, gl_err *err) {
    const size_t rpx = (size_t)run_size * run_size, px = (size_t)size * size;
    for (size_t b = 1; b < n; b++) memcpy(ws->style + b * r->style_dim, ws->style, r->style_dim * sizeof(float));
    glint_context *ctx = NULL;
    glint_status st = gl_pool_take(&r->gen, &ctx, err);
    if (st != GLINT_OK) return st;
    glint_tensor in[2] = {
        {"content", GLINT_DTYPE_FLOAT32, 4, {(int64_t)n, 1, run_size, run_size}, ws->content, n * rpx * sizeof(float)},
        {"style", GLINT_DTYPE_FLOAT32, 2, {(int64_t)n, (int64_t)r->style_dim}, ws->style, n * r->style_dim * sizeof(float)},
    };
    glint_tensor o = {"glyph", GLINT_DTYPE_FLOAT32, 0, {0}, ws->glyph, n * rpx * sizeof(float)};
    st = glint_run(ctx, in, 2, &o, 1);
    if (st != GLINT_OK) gl_fail(err, st, "generator: %s", glint_context_last_error(ctx));
    gl_pool_give(&r->gen, ctx);
    if (st != GLINT_OK) return st;
    if (o.rank != 4 || o.dims[0] != (int64_t)n || o.dims[2] != run_size || o.dims[3] != run_size)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "generator: output 'glyph' is not [%zu,1,%d,%d]", n, run_size, run_size);
    for (size_t b = 0; b < n; b++) {
        float *g = ws->glyph + b * rpx;
        for (size_t i = 0; i < rpx; i++) g[i] = g[i] > 1.0f ? 1.0f : (g[i] > 0.0f ? g[i] : 0.0f);
        float *dst = out + ws->idx[b] * px;
        if (run_size == size) memcpy(dst, g, px * sizeof(float));
        else resample(g, run_size, dst, size);
    }
    return GLINT_OK;
}

glint_status glint_glyph_restyle(glint_glyph_renderer *r, const char *style_font, int style_face,
                                 const char *content_font, const uint32_t *cps, size_t count, int size,
                                 float *out, glint_status *status, char *error, size_t error_size) {
    gl_err err;
    gl_err_clear(&err);
    glint_status st = GLINT_OK;
    float *buf = NULL;
    if (!r || !style_font || (!cps && count) || (!out && count)) {
        st = gl_fail(&err, GLINT_ERR_INVALID_ARGUMENT, "glint_glyph_restyle: NULL argument");
        goto done;
    }
    if (size < GLINT_GLYPH_MIN_SIZE || size > GLINT_GLYPH_MAX_SIZE) {
        st = gl_fail(&err, GLINT_ERR_INVALID_ARGUMENT, "size %d is outside %d..%d", size, GLINT_GLYPH_MIN_SIZE, GLINT_GLYPH_MAX_SIZE);
        goto done;
    }
    const size_t px = (size_t)size * size;
    const int run_size = (size + 7) / 8 * 8; /* the contract: H, W multiples of 8 */
    const size_t rpx = (size_t)run_size * run_size;
    glint_font *sfont = NULL, *cfont = r->fallback;
    if (content_font && (st = gl_renderer_font(r, content_font, 0, &cfont, &err)) != GLINT_OK) goto done;
    /* workspace: style, batch content and output images */
    size_t floats = r->style_dim * GL_GLYPH_MAX_BATCH + 2 * rpx * GL_GLYPH_MAX_BATCH;
    buf = gl_malloc(gl_default_allocator(), floats * sizeof(float));
    if (!buf) {
        st = gl_fail(&err, GLINT_ERR_OUT_OF_MEMORY, "restyle: out of memory");
        goto done;
    }
    batch_ws ws = {.content = buf, .glyph = buf + rpx * GL_GLYPH_MAX_BATCH,
                   .style = buf + 2 * rpx * GL_GLYPH_MAX_BATCH};
    st = style_of(r, style_font, style_face, &sfont, ws.style, &err);
    if (st != GLINT_OK) goto done;
    char style_key[2 * PATH_MAX + 64];
    snprintf(style_key, sizeof style_key, "%s#%d|%s#%d", gl_font_path(sfont), style_face,
             gl_font_path(cfont), gl_font_face_index(cfont));
    gl_glyph_key key = {style_key, 0, size, (int32_t)r->precision};
    size_t n = 0, first_missing = SIZE_MAX;
    for (size_t i = 0; i <= count; i++) {
        if (i < count) {
            if (status) status[i] = GLINT_OK;
            key.codepoint = cps[i];
            if (gl_glyph_cache_get(r->glyphs, &key, out + i * px)) continue;
            glint_status rs = gl_font_raster_rule(cfont, cps[i], run_size, &r->rule, ws.content + n * rpx, &err);
            if (rs == GLINT_ERR_NOT_FOUND) {
                memset(out + i * px, 0, px * sizeof(float));
                if (status) status[i] = GLINT_ERR_NOT_FOUND;
                if (first_missing == SIZE_MAX) first_missing = i;
                continue;
            }
            if (rs != GLINT_OK) {
                st = rs;
                goto done;
            }
            ws.idx[n++] = i;
        }
        if (n == GL_GLYPH_MAX_BATCH || (i == count && n > 0)) {
            st = run_batch(r, &ws, n, run_size, size, out, &err);
            if (st != GLINT_OK) goto done;
            for (size_t b = 0; b < n; b++) {
                key.codepoint = cps[ws.idx[b]];
                st = gl_glyph_cache_put(r->glyphs, &key, out + ws.idx[b] * px, &err);
                if (st != GLINT_OK) goto done;
            }
            n = 0;
        }
    }
    if (first_missing != SIZE_MAX)
        st = gl_fail(&err, GLINT_ERR_NOT_FOUND, "U+%04X is in neither the content font '%s' nor restyled (no glyph to start from)",
                     (unsigned)cps[first_missing], gl_font_path(cfont));
done:
    gl_free(gl_default_allocator(), buf);
    if (st != GLINT_OK) gl_err_copy_out(&err, error, error_size);
    return st;
}
