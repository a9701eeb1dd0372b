/* glint restyle: the model's glyphs in the style of a font, from content
 * glyphs of the fallback (or --content-font) font; .npy [len(S),1,N,N]
 * float32 in string order, or a PNG row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/common.h"
#include "glyph_cli.h"
#include "glyph_cmds.h"

static const char *const k_usage =
    "usage: glint restyle --style-font F [--face I] [--content-font G] --chars S --size N\n"
    "                     --output X.npy|X.png [--device auto|cpu|cuda] [--precision P]\n"
    "                     [--threads T] [--model-dir DIR] [--keep-going] [--metrics FILE]\n"
    "Restyles the content font's glyphs (default DejaVu Sans) to the style of F.\n";

int cmd_restyle(int argc, char **argv) {
    const char *cmd = "restyle";
    const char *style = NULL, *content = NULL, *chars = NULL, *output = NULL, *size_s = NULL;
    const char *metrics = NULL, *model_dir = NULL;
    long face = 0;
    bool keep_going = false;
    glint_engine_options eo;
    glint_engine_options_init(&eo);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(k_usage, stdout);
            return 0;
        }
        if (!strcmp(a, "--keep-going")) { keep_going = true; continue; }
        const char **dst = !strcmp(a, "--style-font") ? &style : !strcmp(a, "--content-font") ? &content
                         : !strcmp(a, "--chars") ? &chars : (!strcmp(a, "--output") || !strcmp(a, "-o")) ? &output
                         : !strcmp(a, "--size") ? &size_s : !strcmp(a, "--metrics") ? &metrics
                         : !strcmp(a, "--model-dir") ? &model_dir : NULL;
        if (dst) {
            if (!(*dst = cli_value(cmd, argc, argv, &i))) return 2;
            continue;
        }
        if (!strcmp(a, "--face")) {
            const char *v = cli_value(cmd, argc, argv, &i);
            if (!v || !cli_int(cmd, "--face", v, 0, 65535, &face)) return 2;
            continue;
        }
        bool matched;
        if (!cli_engine_flag(cmd, argc, argv, &i, &eo, &matched)) return 2;
        if (matched) continue;
        cli_error(cmd, "unknown option '%s' (glint restyle --help)", a);
        return 2;
    }
    if (!style || !chars || !output || !size_s) {
        cli_error(cmd, "--style-font, --chars, --size and --output are required (glint restyle --help)");
        return 2;
    }
    int size;
    gc_format fmt;
    uint32_t *cps = NULL;
    size_t n = 0;
    if (!gc_parse_size(cmd, size_s, &size) || !gc_output_format(cmd, output, false, &fmt) ||
        !gc_parse_text(cmd, "--chars", chars, &cps, &n) || !gc_output_dir_ok(cmd, output)) {
        free(cps);
        return 2;
    }
    /* the fonts are checked before the (slower) models are loaded */
    char err[GL_ERR_MAX];
    glint_font *f = NULL;
    if (glint_font_open(style, (int)face, &f, err, sizeof err) != GLINT_OK ||
        (glint_font_close(f), f = NULL, content && glint_font_open(content, 0, &f, err, sizeof err) != GLINT_OK)) {
        free(cps);
        return cli_error(cmd, "%s", err);
    }
    glint_font_close(f);
    glint_glyph_renderer *r = NULL;
    if (!gc_renderer(cmd, model_dir, &eo, NULL, &r)) {
        free(cps);
        return 1;
    }
    size_t px = (size_t)size * (size_t)size;
    float *imgs = malloc(n * px * sizeof(float));
    glint_status *status = malloc(n * sizeof *status);
    bool *missing = calloc(n, sizeof(bool));
    int rc = 0;
    if (!imgs || !status || !missing) {
        rc = cli_error(cmd, "out of memory");
        goto done;
    }
    double t0 = gl_now_us();
    glint_status st = glint_glyph_restyle(r, style, (int)face, content, cps, n, size, imgs, status, err, sizeof err);
    double us = gl_now_us() - t0;
    if (st != GLINT_OK && st != GLINT_ERR_NOT_FOUND) {
        rc = cli_error(cmd, "%s", err);
        goto done;
    }
    size_t n_missing = 0;
    for (size_t i = 0; i < n; i++) {
        if (status[i] != GLINT_ERR_NOT_FOUND) continue;
        char name[32];
        fprintf(stderr, "glint restyle: %s: %s is not in the content font (nothing to restyle from)\n",
                keep_going ? "warning" : "error", gc_cp_name(cps[i], name, sizeof name));
        missing[i] = true;
        n_missing++;
    }
    if (!gc_write_glyphs(cmd, output, fmt, imgs, n, size, missing)) {
        rc = 1;
        goto done;
    }
    if (!gc_write_metrics(cmd, metrics, r, NULL)) rc = 1;
    if (n_missing && !keep_going) rc = 1;
    printf("%s: %zu glyph%s at %dx%d on %s in %.0f us (%.0f us per glyph)\n", output, n, n == 1 ? "" : "s",
           size, size, glint_device_name(glint_engine_device(glint_glyph_renderer_engine(r))), us,
           us / (double)n);
done:
    free(imgs);
    free(status);
    free(missing);
    free(cps);
    glint_glyph_renderer_free(r);
    return rc;
}
