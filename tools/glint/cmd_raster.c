/* glint raster: a font's own glyphs, drawn by the models' placement rule
 * (docs/raster.md), to .npy [len(S),1,N,N] or a PNG row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/common.h"
#include "glyph_args.h"
#include "glyph_cli.h"
#include "glyph_cmds.h"

static const char *const k_usage =
    "usage: glint raster --font F [--face I] --chars S --size N --output X.npy|X.png\n"
    "                    [--keep-going] [--metrics FILE]\n"
    "Draws the font's own glyphs by the models' placement rule. A character the\n"
    "font lacks is an error (an empty box is drawn) unless --keep-going.\n";

int cmd_raster(int argc, char **argv) {
    const gc_command c = {"raster", k_usage, "--output", false, false};
    const char *cmd = c.name, *font_path = NULL, *chars = NULL;
    const gc_opt opts[] = {{"--font", .str = &font_path, .required = true},
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
    char err[GL_ERR_MAX];
    glint_font *font = NULL;
    if (glint_font_open(font_path, (int)args.face, &font, err, sizeof err) != GLINT_OK) {
        free(cps);
        return cli_error(cmd, "%s", err);
    }
    size_t px = (size_t)args.size * (size_t)args.size;
    float *imgs = malloc(n * px * sizeof(float));
    bool *missing = calloc(n, sizeof(bool));
    if (!imgs || !missing) {
        rc = cli_error(cmd, "out of memory");
        goto done;
    }
    double t0 = gl_now_us();
    size_t n_missing = 0;
    for (size_t i = 0; i < n; i++) {
        glint_status st = glint_font_raster(font, cps[i], args.size, imgs + i * px);
        if (st == GLINT_ERR_NOT_FOUND) {
            char name[32];
            fprintf(stderr, "glint raster: %s: font '%s' has no glyph for %s\n", args.keep_going ? "warning" : "error",
                    font_path, gc_cp_name(cps[i], name, sizeof name));
            missing[i] = true;
            n_missing++;
        } else if (st != GLINT_OK) {
            rc = cli_error(cmd, "%s", glint_font_last_error(font));
            goto done;
        }
    }
    double us = gl_now_us() - t0;
    if (!gc_write_glyphs(cmd, args.output, args.fmt, imgs, n, args.size, missing)) {
        rc = 1;
        goto done;
    }
    char extra[256];
    snprintf(extra, sizeof extra, "{\"command\": \"raster\", \"glyphs\": %zu, \"missing\": %zu, \"raster_us\": %.1f}", n,
             n_missing, us);
    if (!gc_write_metrics(cmd, args.metrics, NULL, extra)) rc = 1;
    if (n_missing && !args.keep_going) rc = 1;
    printf("%s: %zu glyph%s at %dx%d in %.0f us%s\n", args.output, n, n == 1 ? "" : "s", args.size, args.size, us,
           n_missing ? " (some missing: empty boxes)" : "");
done:
    free(imgs);
    free(missing);
    free(cps);
    glint_font_close(font);
    return rc;
}
