/* `glint calibrate --fonts`: calibration samples as the generator sees them
 * when restyling: content glyphs rasterised from the content font by the
 * raster rule, and the style vector of each listed font from the style
 * encoder. One sample per font, in the order given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate_cli.h"
#include "cli.h"
#include "glyph_cli.h"

static const char k_default_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static int input_index(const gl_graph *g, const char *name) {
    for (int i = 0; i < g->n_inputs; i++)
        if (!strcmp(g->values[g->inputs[i]].name, name)) return i;
    return -1;
}

/* Content glyphs of every char the content font has: *imgs (n × size²). */
static int raster_content(const char *cmd, const char *chars, int size, float **imgs, size_t *n) {
    char path[4096], err[512];
    if (glint_glyph_default_font(path, sizeof path) != GLINT_OK)
        return cli_error(cmd, "no content font found (DejaVu Sans); install fonts-dejavu-core");
    glint_font *font = NULL;
    if (glint_font_open(path, 0, &font, err, sizeof err) != GLINT_OK)
        return cli_error(cmd, "%s", err);
    uint32_t *cps = NULL;
    size_t ncp = 0;
    int rc = 0;
    if (!gc_parse_text(cmd, "--chars", chars ? chars : k_default_chars, &cps, &ncp)) rc = 1;
    size_t px = (size_t)size * (size_t)size;
    *imgs = rc ? NULL : malloc(ncp * px * sizeof(float));
    if (!rc && !*imgs) rc = cli_error(cmd, "out of memory");
    *n = 0;
    for (size_t i = 0; !rc && i < ncp; i++) {
        glint_status st = glint_font_raster(font, cps[i], size, *imgs + *n * px);
        if (st == GLINT_OK) (*n)++;
        else if (st != GLINT_ERR_NOT_FOUND)
            rc = cli_error(cmd, "rasterising U+%04X: %s", (unsigned)cps[i],
                           glint_font_last_error(font));
    }
    if (!rc && !*n) rc = cli_error(cmd, "the content font has none of the --chars");
    free(cps);
    glint_font_close(font);
    return rc;
}

int calib_font_samples(const char *cmd, const gl_graph *g, const char *model, const char *encoder,
                       const char *model_dir, const char *fonts, const char *chars,
                       const char *size_s, calib_samples *s) {
    int ci = input_index(g, "content"), si = input_index(g, "style");
    if (ci < 0 || si < 0 || g->n_inputs != 2)
        return cli_error(cmd, "--fonts needs a generator with inputs 'content' and 'style' "
                              "(use --inputs DIR for other models)");
    int size = 64;
    if (size_s && !gc_parse_size(cmd, size_s, &size)) return 1;
    char gen[4096], enc[4096], err[512];
    if (!encoder) {
        if (!gc_find_models(cmd, model_dir, gen, enc, sizeof enc)) return 1;
        encoder = enc;
    }
    glint_glyph_options o;
    glint_glyph_options_init(&o);
    o.device = GLINT_DEVICE_CPU;
    o.precision = GLINT_PRECISION_FP32;
    o.glyph_cache_bytes = 0;
    glint_glyph_renderer *r = NULL;
    if (glint_glyph_renderer_create(model, encoder, &o, &r, err, sizeof err) != GLINT_OK)
        return cli_error(cmd, "%s", err);
    size_t sdim = glint_glyph_style_dim(r), nc = 0, px = (size_t)size * (size_t)size;
    float *content = NULL, *style = malloc(sdim * sizeof(float));
    int rc = style ? raster_content(cmd, chars, size, &content, &nc) : cli_error(cmd, "out of memory");
    char *list = rc ? NULL : strdup(fonts);
    if (!rc && !list) rc = cli_error(cmd, "out of memory");
    char *save = NULL;
    for (char *f = list ? strtok_r(list, ",", &save) : NULL; f && !rc;
         f = strtok_r(NULL, ",", &save)) {
        if (glint_glyph_style(r, f, 0, style, err, sizeof err) != GLINT_OK) {
            rc = cli_error(cmd, "--fonts %s: %s", f, err);
            break;
        }
        size_t k = s->n;
        if ((rc = calib_samples_reserve(s, k + 1, 2))) break;
        npy_array *ca = &s->arrays[k * 2 + (size_t)ci], *sa = &s->arrays[k * 2 + (size_t)si];
        ca->data = malloc(nc * px * sizeof(float));
        sa->data = malloc(nc * sdim * sizeof(float));
        if (!ca->data || !sa->data) {
            rc = cli_error(cmd, "out of memory");
            break;
        }
        memcpy(ca->data, content, nc * px * sizeof(float));
        for (size_t i = 0; i < nc; i++) memcpy((float *)sa->data + i * sdim, style, sdim * sizeof(float));
        s->tensors[k * 2 + (size_t)ci] = (gl_tensor){
            GLINT_DTYPE_FLOAT32, {.rank = 4, .d = {(int64_t)nc, 1, size, size}}, ca->data};
        s->tensors[k * 2 + (size_t)si] = (gl_tensor){
            GLINT_DTYPE_FLOAT32, {.rank = 2, .d = {(int64_t)nc, (int64_t)sdim}}, sa->data};
    }
    if (!rc && !s->n) rc = cli_error(cmd, "--fonts lists no font");
    free(list);
    free(content);
    free(style);
    glint_glyph_renderer_free(r);
    return rc;
}
