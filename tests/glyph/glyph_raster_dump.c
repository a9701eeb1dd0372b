/* Test helper: draws characters of a font at one size with the C rasteriser
 * and writes them as .npy [n,1,S,S]; a character the font lacks is written
 * as all -1, so the comparison can check "missing" too.
 * usage: glyph_raster_dump FONT FACE SIZE CHARS_UTF8 OUT.npy */
#include <stdio.h>
#include <stdlib.h>

#include "glyph/glyph_internal.h"

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: glyph_raster_dump FONT FACE SIZE CHARS OUT.npy\n");
        return 2;
    }
    int face = atoi(argv[2]), size = atoi(argv[3]);
    char err[256];
    glint_font *font = NULL;
    if (glint_font_open(argv[1], face, &font, err, sizeof err) != GLINT_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    long n = gl_utf8_decode(argv[4], NULL, 0, NULL);
    if (n <= 0) {
        fprintf(stderr, "bad chars\n");
        return 1;
    }
    uint32_t *cps = malloc((size_t)n * sizeof *cps);
    size_t px = (size_t)size * (size_t)size;
    float *out = malloc((size_t)n * px * sizeof(float));
    if (!cps || !out) return 1;
    gl_utf8_decode(argv[4], cps, (size_t)n, NULL);
    for (long i = 0; i < n; i++) {
        float *img = out + (size_t)i * px;
        for (size_t k = 0; k < px; k++) img[k] = __builtin_nanf(""); /* must be fully written */
        glint_status st = glint_font_raster(font, cps[i], size, img);
        if (st == GLINT_ERR_NOT_FOUND) {
            for (size_t k = 0; k < px; k++) img[k] = -1.0f;
        } else if (st != GLINT_OK) {
            fprintf(stderr, "U+%04X: %s\n", (unsigned)cps[i], glint_font_last_error(font));
            return 1;
        }
    }
    int64_t dims[4] = {n, 1, size, size};
    gl_err e;
    gl_err_clear(&e);
    if (gl_write_npy_f32(argv[5], dims, 4, out, &e) != GLINT_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    free(cps);
    free(out);
    glint_font_close(font);
    return 0;
}
