/* glint render: one line of text in a font. Glyphs the font has come from
 * it; missing ones are restyled from the fallback font to match it (the
 * model), and --show-synth tints those. Laid out with the font's advances
 * and kerning (the kern table; GPOS kerning is not read). */
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
    "usage: glint render --font F [--face I] --text T --size N -o out.png [--show-synth]\n"
    "                    [--fallback-font G] [--device D] [--precision P] [--threads T]\n"
    "                    [--model-dir DIR] [--keep-going] [--metrics FILE]\n"
    "Renders one line; glyphs F lacks are restyled from G (default DejaVu Sans).\n";

enum { SRC_FONT, SRC_SYNTH, SRC_MISSING };

typedef struct line_glyph {
    uint32_t cp;
    int src, advance, box_x;
    double us;
} line_glyph;

/* Ink over paper: gray, or RGB with the synthesised glyphs tinted. */
static void composite(uint8_t *img, int width, int channels, const float *g, int size, int x0, bool tint) {
    static const float k_tint[3] = {200.0f, 30.0f, 60.0f};
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            int cx = x0 + x;
            float a = g[(size_t)y * size + x];
            if (cx < 0 || cx >= width || a <= 0.0f) continue;
            a = a > 1.0f ? 1.0f : a;
            uint8_t *p = img + ((size_t)y * width + (size_t)cx) * (size_t)channels;
            for (int c = 0; c < channels; c++) {
                float ink = tint ? k_tint[c] : 0.0f;
                p[c] = (uint8_t)(p[c] * (1.0f - a) + ink * a + 0.5f);
            }
        }
}

int cmd_render(int argc, char **argv) {
    const gc_command c = {"render", k_usage, "-o", true, true};
    const char *cmd = c.name, *font_path = NULL, *text = NULL, *fallback_arg = NULL;
    bool show_synth = false;
    const gc_opt opts[] = {{"--font", .str = &font_path, .required = true},
                           {"--text", .str = &text, .required = true},
                           {"--fallback-font", .str = &fallback_arg},
                           {"--show-synth", .flag = &show_synth}};
    gc_args args;
    int go = gc_parse_args(&c, opts, GL_ARRAY_LEN(opts), argc, argv, &args);
    if (go != GC_GO_ON) return go;
    const int size = args.size;
    int rc = 0;
    uint32_t *cps = NULL;
    size_t n = 0;
    if (!gc_parse_text(cmd, "--text", text, &cps, &n) || !gc_output_dir_ok(cmd, args.output))
        return free(cps), 2;

    char err[GL_ERR_MAX], fallback_path[4096];
    glint_font *font = NULL, *fallback = NULL;
    glint_glyph_renderer *r = NULL;
    line_glyph *line = calloc(n, sizeof *line);
    float *img = malloc((size_t)size * size * sizeof(float));
    uint8_t *pix = NULL;
    if (!line || !img) {
        rc = cli_error(cmd, "out of memory");
        goto done;
    }
    if (glint_font_open(font_path, (int)args.face, &font, err, sizeof err) != GLINT_OK) {
        rc = cli_error(cmd, "%s", err);
        goto done;
    }
    if (fallback_arg) snprintf(fallback_path, sizeof fallback_path, "%s", fallback_arg);
    else if (glint_glyph_default_font(fallback_path, sizeof fallback_path) != GLINT_OK) {
        rc = cli_error(cmd, "%s (pass --fallback-font)", fallback_path);
        goto done;
    }
    if (glint_font_open(fallback_path, 0, &fallback, err, sizeof err) != GLINT_OK) {
        rc = cli_error(cmd, "fallback %s", err);
        goto done;
    }
    /* sources and advances; the models are loaded only when a glyph needs them */
    size_t n_synth = 0, n_missing = 0;
    for (size_t i = 0; i < n; i++) {
        line[i].cp = cps[i];
        glint_font *src = NULL;
        if (glint_font_has_char(font, cps[i])) { line[i].src = SRC_FONT; src = font; }
        else if (glint_font_has_char(fallback, cps[i])) { line[i].src = SRC_SYNTH; src = fallback; n_synth++; }
        else { line[i].src = SRC_MISSING; n_missing++; }
        line[i].advance = size / 2;
        if (src && glint_font_advance(src, cps[i], size, &line[i].advance) != GLINT_OK) {
            rc = cli_error(cmd, "%s", glint_font_last_error(src));
            goto done;
        }
    }
    if (n_synth && !gc_renderer(cmd, args.model_dir, &args.eo, fallback_path, &r)) {
        rc = 1;
        goto done;
    }
    /* layout: each glyph's size × size box is centred on its advance (the
     * placement rule), so the box starts floor((size - advance) / 2) before the pen */
    int pen = size / 4, left = 0, right = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && line[i].src == SRC_FONT && line[i - 1].src == SRC_FONT)
            pen += glint_font_kerning(font, cps[i - 1], cps[i], size);
        int d = size - line[i].advance;
        int off = d >= 0 ? d / 2 : -((-d + 1) / 2);
        line[i].box_x = pen - off;
        if (i == 0 || line[i].box_x < left) left = line[i].box_x;
        if (line[i].box_x + size > right) right = line[i].box_x + size;
        pen += line[i].advance;
    }
    if (pen + size / 4 > right) right = pen + size / 4;
    int shift = left < 0 ? -left : 0;
    int width = right + shift;
    int channels = show_synth ? 3 : 1;
    pix = malloc((size_t)width * size * (size_t)channels);
    if (!pix) {
        rc = cli_error(cmd, "out of memory");
        goto done;
    }
    memset(pix, 255, (size_t)width * size * (size_t)channels);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        int x0 = line[i].box_x + shift;
        double t0 = gl_now_us();
        if (line[i].src == SRC_MISSING) {
            gc_draw_empty_box(pix, width, channels, x0 < 0 ? 0 : (x0 + size > width ? width - size : x0), 0, size);
            fprintf(stderr, "glint render: %s: %s is in neither '%s' nor the fallback font '%s'\n",
                    args.keep_going ? "warning" : "error", gc_cp_name(cps[i], name, sizeof name), font_path,
                    fallback_path);
            continue;
        }
        glint_status st = line[i].src == SRC_FONT
                              ? glint_font_raster(font, cps[i], size, img)
                              : glint_glyph_restyle(r, font_path, (int)args.face, fallback_path, &cps[i], 1, size, img,
                                                    NULL, err, sizeof err);
        line[i].us = gl_now_us() - t0;
        if (st != GLINT_OK) {
            rc = cli_error(cmd, "%s", line[i].src == SRC_FONT ? glint_font_last_error(font) : err);
            goto done;
        }
        composite(pix, width, channels, img, size, x0, show_synth && line[i].src == SRC_SYNTH);
    }
    gl_err werr;
    gl_err_clear(&werr);
    if (gl_write_png(args.output, width, size, channels, pix, &werr) != GLINT_OK) {
        rc = cli_error(cmd, "%s", werr.msg);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char name[32];
        static const char *const src_name[] = {"font", "restyled", "missing"};
        printf("  %-14s %-9s %8.1f us\n", gc_cp_name(cps[i], name, sizeof name), src_name[line[i].src], line[i].us);
    }
    printf("%s: %zu glyphs (%zu restyled%s, %zu missing), %dx%d px%s\n", args.output, n, n_synth,
           r ? (glint_engine_device(glint_glyph_renderer_engine(r)) == GLINT_DEVICE_CUDA ? " on cuda" : " on cpu") : "",
           n_missing, width, size, show_synth && n_synth ? ", restyled glyphs tinted" : "");
    char extra[256];
    snprintf(extra, sizeof extra, "{\"command\": \"render\", \"glyphs\": %zu, \"restyled\": %zu, \"missing\": %zu}", n,
             n_synth, n_missing);
    if (!gc_write_metrics(cmd, args.metrics, r, extra)) rc = 1;
    if (n_missing && !args.keep_going) rc = 1;
done:
    free(pix);
    free(img);
    free(line);
    free(cps);
    glint_glyph_renderer_free(r);
    glint_font_close(font);
    glint_font_close(fallback);
    return rc;
}
