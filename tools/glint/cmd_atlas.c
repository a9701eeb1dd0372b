/* glint atlas: a range of code points restyled in a font's style, as one PNG
 * grid plus a JSON side file (same name, .json) with each glyph's cell and
 * metrics. Glyphs run through the model in batches of 32, with a progress
 * bar when stdout is a terminal. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/common.h"
#include "glyph/glyph_internal.h"
#include "glyph_args.h"
#include "glyph_cli.h"
#include "glyph_cmds.h"

static const char *const k_usage =
    "usage: glint atlas --style-font F [--face I] --range U+0100-U+017F --size N -o atlas.png\n"
    "                   [--content-font G] [--columns C] [--device D] [--precision P]\n"
    "                   [--threads T] [--model-dir DIR] [--keep-going] [--metrics FILE]\n"
    "Writes atlas.png and atlas.json (each glyph's cell, advance and ink box).\n";

#define ATLAS_MAX_GLYPHS 65536
#define ATLAS_CHUNK 32

static bool parse_cp(const char *s, char **end, uint32_t *cp) {
    if ((s[0] == 'U' || s[0] == 'u') && s[1] == '+') s += 2;
    unsigned long v = strtoul(s, end, 16);
    if (*end == s || v > 0x10FFFF) return false;
    *cp = (uint32_t)v;
    return true;
}

static bool parse_range(const char *cmd, const char *s, uint32_t *lo, uint32_t *hi) {
    char *end = NULL;
    if (!parse_cp(s, &end, lo)) goto bad;
    *hi = *lo;
    if (*end == '-' && !parse_cp(end + 1, &end, hi)) goto bad;
    if (*end || *hi < *lo) goto bad;
    if (*hi - *lo + 1 > ATLAS_MAX_GLYPHS) {
        cli_error(cmd, "--range '%s' has more than %d code points", s, ATLAS_MAX_GLYPHS);
        return false;
    }
    return true;
bad:
    cli_error(cmd, "--range '%s' is not U+XXXX-U+YYYY (first ≤ last, at most U+10FFFF)", s);
    return false;
}

/* The JSON path: the PNG path with .json instead of .png. */
static void json_path(const char *png, char *out, size_t size) {
    size_t n = strlen(png);
    snprintf(out, size, "%.*s.json", (int)(n > 4 ? n - 4 : n), png);
}

/* Appends to a growing string; false when out of memory. */
typedef struct sbuf { char *p; size_t len, cap; bool oom; } sbuf;
static void sb_printf(sbuf *b, const char *fmt, ...) GL_PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n + 1;
        char *p = realloc(b->p, cap);
        if (!p) { b->oom = true; return; }
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* A file path as a JSON string body: quotes, backslashes and control
 * characters escaped. */
static void json_escape(const char *in, char *out, size_t size) {
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 7 < size; p++) {
        if (*p == '"' || *p == '\\') { out[o++] = '\\'; out[o++] = (char)*p; }
        else if (*p < 0x20) o += (size_t)snprintf(out + o, size - o, "\\u%04x", *p);
        else out[o++] = (char)*p;
    }
    out[o] = '\0';
}

int cmd_atlas(int argc, char **argv) {
    const gc_command c = {"atlas", k_usage, "-o", true, true};
    const char *cmd = c.name, *style = NULL, *content = NULL, *range = NULL;
    long columns = 16;
    const gc_opt opts[] = {{"--style-font", .str = &style, .required = true},
                           {"--content-font", .str = &content},
                           {"--range", .str = &range, .required = true},
                           {"--columns", .num = &columns, .lo = 1, .hi = 256}};
    gc_args args;
    int go = gc_parse_args(&c, opts, GL_ARRAY_LEN(opts), argc, argv, &args);
    if (go != GC_GO_ON) return go;
    const int size = args.size;
    int rc = 0;
    uint32_t lo, hi;
    if (!parse_range(cmd, range, &lo, &hi) || !gc_output_dir_ok(cmd, args.output)) return 2;
    char err[GL_ERR_MAX];
    glint_font *sfont = NULL, *cfont = NULL;
    glint_glyph_renderer *r = NULL;
    size_t n = (size_t)(hi - lo) + 1, px = (size_t)size * size;
    int cols = (int)(n < (size_t)columns ? n : (size_t)columns);
    int rows = (int)((n + (size_t)cols - 1) / (size_t)cols);
    uint32_t *cps = malloc(n * sizeof *cps);
    float *imgs = malloc(n * px * sizeof(float));
    glint_status *status = malloc(n * sizeof *status);
    uint8_t *pix = malloc((size_t)cols * size * (size_t)rows * size);
    sbuf js = {0};
    if (!cps || !imgs || !status || !pix) {
        rc = cli_error(cmd, "out of memory");
        goto done;
    }
    if (glint_font_open(style, (int)args.face, &sfont, err, sizeof err) != GLINT_OK ||
        (content && glint_font_open(content, 0, &cfont, err, sizeof err) != GLINT_OK)) {
        rc = cli_error(cmd, "%s", err);
        goto done;
    }
    if (!gc_renderer(cmd, args.model_dir, &args.eo, content, &r)) {
        rc = 1;
        goto done;
    }
    if (!cfont) { /* the renderer's fallback font, for advances */
        char path[4096];
        if (glint_glyph_default_font(path, sizeof path) == GLINT_OK) glint_font_open(path, 0, &cfont, NULL, 0);
    }
    for (size_t i = 0; i < n; i++) cps[i] = lo + (uint32_t)i;
    double t0 = gl_now_us();
    gc_progress(0, n);
    for (size_t i = 0; i < n; i += ATLAS_CHUNK) {
        size_t m = n - i < ATLAS_CHUNK ? n - i : ATLAS_CHUNK;
        glint_status st = glint_glyph_restyle(r, style, (int)args.face, content, cps + i, m, size, imgs + i * px,
                                              status + i, err, sizeof err);
        if (st != GLINT_OK && st != GLINT_ERR_NOT_FOUND) {
            rc = cli_error(cmd, "%s", err);
            goto done;
        }
        gc_progress(i + m, n);
    }
    double us = gl_now_us() - t0;
    int width = cols * size;
    memset(pix, 255, (size_t)width * (size_t)rows * size);
    gl_raster_rule rule;
    gl_raster_rule_default(&rule);
    char style_json[2048];
    json_escape(style, style_json, sizeof style_json);
    sb_printf(&js, "{\n  \"style_font\": \"%s\",\n  \"face\": %ld,\n  \"size\": %d,\n  \"columns\": %d,\n  \"rows\": %d,\n"
                   "  \"baseline_y\": %ld,\n  \"glyphs\": [\n",
              style_json, args.face, size, cols, rows, lround(size * rule.baseline));
    size_t n_missing = 0;
    for (size_t i = 0; i < n; i++) {
        int cx = (int)(i % (size_t)cols) * size, cy = (int)(i / (size_t)cols) * size;
        const float *g = imgs + i * px;
        int x0 = size, y0 = size, x1 = -1, y1 = -1;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                float v = g[(size_t)y * size + x];
                v = v < 0 ? 0 : (v > 1 ? 1 : v);
                pix[((size_t)(cy + y)) * width + (size_t)(cx + x)] = (uint8_t)(255.5f - v * 255.0f);
                if (v >= 0.5f) {
                    if (x < x0) x0 = x;
                    if (x > x1) x1 = x;
                    if (y < y0) y0 = y;
                    if (y > y1) y1 = y;
                }
            }
        bool missing = status[i] == GLINT_ERR_NOT_FOUND;
        int adv = 0;
        if (missing) {
            gc_draw_empty_box(pix, width, 1, cx, cy, size);
            n_missing++;
            char name[32];
            fprintf(stderr, "glint atlas: %s: %s is not in the content font (empty box)\n",
                    args.keep_going ? "warning" : "error", gc_cp_name(cps[i], name, sizeof name));
        } else if (cfont) {
            glint_font_advance(cfont, cps[i], size, &adv);
        }
        sb_printf(&js, "    {\"codepoint\": %u, \"unicode\": \"U+%04X\", \"x\": %d, \"y\": %d, \"w\": %d, \"h\": %d, "
                       "\"source\": \"%s\", \"in_style_font\": %s, \"advance\": %d, ",
                  (unsigned)cps[i], (unsigned)cps[i], cx, cy, size, size, missing ? "missing" : "restyled",
                  glint_font_has_char(sfont, cps[i]) ? "true" : "false", adv);
        if (x1 >= 0) sb_printf(&js, "\"ink\": [%d, %d, %d, %d]}", x0, y0, x1 + 1, y1 + 1);
        else sb_printf(&js, "\"ink\": null}");
        sb_printf(&js, "%s\n", i + 1 < n ? "," : "");
    }
    sb_printf(&js, "  ]\n}\n");
    if (js.oom) {
        rc = cli_error(cmd, "out of memory");
        goto done;
    }
    char jpath[4096];
    json_path(args.output, jpath, sizeof jpath);
    gl_err werr;
    gl_err_clear(&werr);
    /* the JSON goes first: a PNG never exists without its side file */
    if (gl_write_file_atomic(jpath, js.p, js.len, &werr) != GLINT_OK ||
        gl_write_png(args.output, width, rows * size, 1, pix, &werr) != GLINT_OK) {
        rc = cli_error(cmd, "%s", werr.msg);
        goto done;
    }
    if (!gc_write_metrics(cmd, args.metrics, r, NULL)) rc = 1;
    if (n_missing && !args.keep_going) rc = 1;
    printf("%s + %s: %zu glyphs (%zu missing) in %dx%d cells, %.0f us (%.0f us per glyph)\n", args.output, jpath, n,
           n_missing, size, size, us, us / (double)n);
done:
    free(js.p);
    free(cps);
    free(imgs);
    free(status);
    free(pix);
    glint_font_close(sfont);
    glint_font_close(cfont);
    glint_glyph_renderer_free(r);
    return rc;
}
