/* glint restyle: the model's glyphs in the style of a font, from content
 * glyphs of the fallback (or --content-font) font; .npy [len(S),1,N,N]
 * float32 in string order, or a PNG row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/common.h"
#include "glyph_args.h"
#include "glyph_cli.h"
#include "glyph_cmds.h"

static const char *const k_usage =
    "usage: glint restyle --style-font F [--face I] [--content-font G] --chars S --size N\n"
    "                     --output X.npy|X.png [--device auto|cpu|cuda] [--precision P]\n"
    "                     [--threads T] [--model-dir DIR] [--keep-going] [--metrics FILE]\n"
    "Restyles the content font's glyphs (default DejaVu Sans) to the style of F.\n";

int cmd_restyle(int argc, char **argv) {
    const gc_command c = {"restyle", k_usage, "--output", false, true};
    const char *cmd = c.name, *style = NULL, *content = NULL, *chars = NULL;
    const gc_opt opts[] = {{"--style-font", .str = &style, .required = true},
                           {"--content-font", .str = &content},
                           {"--chars", .str = &chars, .required = true}};
    gc_args args;
    int go = gc_parse_args(&c, opts, GL_ARRAY_LEN(opts), argc, argv, &args);
    if (go != GC_GO_ON) return go;
    int rc = 0;
    uint32_t *cps = NULL;
    size_t n = 0;
    if (!gc_parse_text(cmd, "--chars", chars, &cps, &n) || !gc_output_dir_ok(cmd, args.output)) {
        free(cps);
        return 2;
    }
    /* the fonts are checked before the (slower) models are loaded */
    char err[GL_ERR_MAX];
    glint_font *f = NULL;
    if (glint_font_open(style, (int)args.face, &f, err, sizeof err) != GLINT_OK ||
        (glint_font_close(f), f = NULL, content && glint_font_open(content, 0, &f, err, sizeof err) != GLINT_OK)) {
        free(cps);
        return cli_error(cmd, "%s", err);
    }
    glint_font_close(f);
    glint_glyph_renderer *r = NULL;
    if (!gc_renderer(cmd, args.model_dir, &args.eo, NULL, &r)) {
        free(cps);
        return 1;
    }
    size_t px = (size_t)args.size * (size_t)args.size;
    float *imgs = malloc(n * px * sizeof(float));
    glint_status *status = malloc(n * sizeof *status);
    bool *missing = calloc(n, sizeof(bool));
    if (!imgs || !status || !missing) {
        rc = cli_error(cmd, "out of memory");
        goto done;
    }
    double t0 = gl_now_us();
    glint_status st = glint_glyph_restyle(r, style, (int)args.face, content, cps, n, args.size, imgs, status,
                                          err, sizeof err);
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
                args.keep_going ? "warning" : "error", gc_cp_name(cps[i], name, sizeof name));
        missing[i] = true;
        n_missing++;
    }
    if (!gc_write_glyphs(cmd, args.output, args.fmt, imgs, n, args.size, missing)) {
        rc = 1;
        goto done;
    }
    if (!gc_write_metrics(cmd, args.metrics, r, NULL)) rc = 1;
    if (n_missing && !args.keep_going) rc = 1;
    printf("%s: %zu glyph%s at %dx%d on %s in %.0f us (%.0f us per glyph)\n", args.output, n, n == 1 ? "" : "s",
           args.size, args.size, glint_device_name(glint_engine_device(glint_glyph_renderer_engine(r))), us,
           us / (double)n);
done:
    free(imgs);
    free(status);
    free(missing);
    free(cps);
    glint_glyph_renderer_free(r);
    return rc;
}
