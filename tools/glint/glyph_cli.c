#include "glyph_cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "glyph/glyph_internal.h"

bool gc_parse_text(const char *cmd, const char *opt, const char *text, uint32_t **cps, size_t *n) {
    *cps = NULL;
    *n = 0;
    if (!text || !*text) {
        cli_error(cmd, "%s is empty", opt);
        return false;
    }
    size_t bad = 0;
    long count = gl_utf8_decode(text, NULL, 0, &bad);
    if (count < 0) {
        cli_error(cmd, "%s is not valid UTF-8 (bad byte 0x%02X at offset %zu)", opt,
                  (unsigned)(unsigned char)text[bad], bad);
        return false;
    }
    *cps = malloc((size_t)count * sizeof **cps);
    if (!*cps) {
        cli_error(cmd, "out of memory");
        return false;
    }
    gl_utf8_decode(text, *cps, (size_t)count, NULL);
    *n = (size_t)count;
    return true;
}

bool gc_parse_size(const char *cmd, const char *s, int *size) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end) {
        cli_error(cmd, "--size '%s' is not a whole number", s);
        return false;
    }
    if (v < GLINT_GLYPH_MIN_SIZE || v > GLINT_GLYPH_MAX_SIZE) {
        cli_error(cmd, "--size %ld is outside %d..%d pixels", v, GLINT_GLYPH_MIN_SIZE, GLINT_GLYPH_MAX_SIZE);
        return false;
    }
    *size = (int)v;
    return true;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

bool gc_output_format(const char *cmd, const char *path, bool png_only, gc_format *fmt) {
    if (ends_with(path, ".png") || ends_with(path, ".PNG")) {
        *fmt = GC_FORMAT_PNG;
        return true;
    }
    if (!png_only && ends_with(path, ".npy")) {
        *fmt = GC_FORMAT_NPY;
        return true;
    }
    cli_error(cmd, "output '%s' must end in %s", path, png_only ? ".png" : ".npy or .png");
    return false;
}

bool gc_output_dir_ok(const char *cmd, const char *path) {
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (access(dir, W_OK | X_OK) != 0) {
        cli_error(cmd, "cannot write '%s': %s", path, strerror(errno));
        return false;
    }
    return true;
}

static bool models_in(const char *dir, char *gen, char *enc, size_t size) {
    snprintf(gen, size, "%s/glyph_generator.onnx", dir);
    snprintf(enc, size, "%s/style_encoder.onnx", dir);
    return access(gen, R_OK) == 0 && access(enc, R_OK) == 0;
}

bool gc_find_models(const char *cmd, const char *model_dir, char *gen, char *enc, size_t size) {
    if (model_dir) {
        if (models_in(model_dir, gen, enc, size)) return true;
        cli_error(cmd, "--model-dir '%s' lacks glyph_generator.onnx or style_encoder.onnx", model_dir);
        return false;
    }
    const char *env = getenv("GLINT_MODEL_DIR");
    if (env && *env) {
        if (models_in(env, gen, enc, size)) return true;
        cli_error(cmd, "GLINT_MODEL_DIR '%s' lacks glyph_generator.onnx or style_encoder.onnx", env);
        return false;
    }
    if (models_in("models", gen, enc, size)) return true;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        static const char *const rel[] = {"../models", "../share/glint/models", "models"};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            char dir[PATH_MAX + 32];
            snprintf(dir, sizeof dir, "%s/%s", exe, rel[i]);
            if (models_in(dir, gen, enc, size)) return true;
        }
    }
    cli_error(cmd, "no glyph model found (looked in ./models and beside the glint executable; "
                   "pass --model-dir DIR or set GLINT_MODEL_DIR)");
    return false;
}

bool gc_renderer(const char *cmd, const char *model_dir, const glint_engine_options *eo,
                 const char *fallback_font, glint_glyph_renderer **r) {
    char gen[PATH_MAX + 64], enc[PATH_MAX + 64];
    if (!gc_find_models(cmd, model_dir, gen, enc, sizeof gen)) return false;
    glint_glyph_options o;
    glint_glyph_options_init(&o);
    o.device = eo->device;
    o.precision = eo->precision;
    o.threads = eo->threads;
    o.fallback_font = fallback_font;
    o.log = cli_log;
    o.log_level = GLINT_LOG_INFO;
    char err[GL_ERR_MAX];
    if (glint_glyph_renderer_create(gen, enc, &o, r, err, sizeof err) != GLINT_OK) {
        cli_error(cmd, "%s", err);
        return false;
    }
    return true;
}

void gc_draw_empty_box(uint8_t *img, int width, int channels, int x0, int y0, int size) {
    int m = size / 8, a = m, b = size - 1 - m;
    for (int y = a; y <= b; y++) {
        for (int x = a; x <= b; x++) {
            if (y != a && y != b && x != a && x != b) continue;
            uint8_t *p = img + ((size_t)(y0 + y) * (size_t)width + (size_t)(x0 + x)) * (size_t)channels;
            for (int c = 0; c < channels; c++) p[c] = 96;
        }
    }
}

bool gc_write_glyphs(const char *cmd, const char *path, gc_format fmt, const float *imgs, size_t n,
                     int size, const bool *missing) {
    gl_err err;
    gl_err_clear(&err);
    glint_status st;
    if (fmt == GC_FORMAT_NPY) {
        int64_t dims[4] = {(int64_t)n, 1, size, size};
        st = gl_write_npy_f32(path, dims, 4, imgs, &err);
    } else {
        if (n > (size_t)(INT32_MAX / size)) return cli_error(cmd, "too many glyphs for one PNG row"), false;
        int width = (int)n * size;
        uint8_t *pix = malloc((size_t)width * (size_t)size);
        if (!pix) return cli_error(cmd, "out of memory"), false;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < width; x++) {
                size_t g = (size_t)(x / size);
                float v = imgs[g * (size_t)size * size + (size_t)y * size + (size_t)(x % size)];
                v = v < 0 ? 0 : (v > 1 ? 1 : v);
                pix[(size_t)y * width + x] = (uint8_t)(255.5f - v * 255.0f);
            }
        for (size_t g = 0; g < n; g++)
            if (missing && missing[g]) gc_draw_empty_box(pix, width, 1, (int)g * size, 0, size);
        st = gl_write_png(path, width, size, 1, pix, &err);
        free(pix);
    }
    if (st != GLINT_OK) {
        cli_error(cmd, "%s", err.msg);
        return false;
    }
    return true;
}

bool gc_write_metrics(const char *cmd, const char *path, glint_glyph_renderer *r, const char *extra_json) {
    if (!path) return true;
    char *json = NULL;
    size_t len = 0;
    if (r) {
        glint_telemetry_snapshot snap;
        memset(&snap, 0, sizeof snap);
        glint_engine_telemetry(glint_glyph_renderer_engine(r), &snap);
        glint_glyph_cache_stats cs;
        glint_glyph_cache_stats_get(r, &cs);
        snap.glyph_cache_hits = cs.hits;
        snap.glyph_cache_misses = cs.misses;
        snap.style_cache_hits = cs.style_hits;
        snap.style_cache_misses = cs.style_misses;
        len = glint_telemetry_snapshot_json(&snap, NULL, 0);
        json = malloc(len + 2);
        if (json) glint_telemetry_snapshot_json(&snap, json, len + 1);
    } else {
        const char *text = extra_json ? extra_json : "{}";
        len = strlen(text);
        json = malloc(len + 2);
        if (json) memcpy(json, text, len + 1);
    }
    if (!json) return cli_error(cmd, "out of memory"), false;
    json[len] = '\n';
    gl_err err;
    gl_err_clear(&err);
    glint_status st = gl_write_file_atomic(path, json, len + 1, &err);
    free(json);
    if (st != GLINT_OK) {
        cli_error(cmd, "--metrics: %s", err.msg);
        return false;
    }
    return true;
}

void gc_progress(size_t done, size_t total) {
    if (!isatty(STDOUT_FILENO) || total == 0) return;
    const int width = 40;
    int fill = (int)((double)done / (double)total * width);
    printf("\r[");
    for (int i = 0; i < width; i++) putchar(i < fill ? '#' : ' ');
    printf("] %zu/%zu", done, total);
    if (done == total) putchar('\n');
    fflush(stdout);
}

const char *gc_cp_name(uint32_t cp, char *buf, size_t size) {
    char utf8[5] = {0};
    if (cp < 0x80) utf8[0] = (char)cp;
    else if (cp < 0x800) { utf8[0] = (char)(0xC0 | (cp >> 6)); utf8[1] = (char)(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
        utf8[0] = (char)(0xE0 | (cp >> 12)); utf8[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        utf8[2] = (char)(0x80 | (cp & 0x3F));
    } else {
        utf8[0] = (char)(0xF0 | (cp >> 18)); utf8[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        utf8[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); utf8[3] = (char)(0x80 | (cp & 0x3F));
    }
    if (cp < 0x20 || cp == 0x7F) utf8[0] = '\0';
    snprintf(buf, size, "U+%04X '%s'", (unsigned)cp, utf8);
    return buf;
}
