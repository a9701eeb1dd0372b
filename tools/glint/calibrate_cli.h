/* Sample sets for `glint calibrate`, shared by its .npy path
 * (cmd_calibrate.c) and its font path (calibrate_fonts.c, glyph builds). */
#ifndef GLINT_CALIBRATE_CLI_H
#define GLINT_CALIBRATE_CLI_H

#include <stddef.h>

#include "common/common.h"
#include "model/graph.h"
#include "npy.h"

typedef struct calib_samples {
    size_t n;            /* samples */
    size_t per;          /* graph inputs per sample */
    npy_array *arrays;   /* n × per; data malloc'd, freed by calib_samples_free */
    gl_tensor *tensors;  /* n × per views of arrays, graph input order */
} calib_samples;

/* Grows to at least n samples of per inputs (new ones zeroed); 0 or an
 * error printed and 1. */
int calib_samples_reserve(calib_samples *s, size_t n, size_t per);
void calib_samples_free(calib_samples *s);

/* --fonts: one sample per font: content glyphs of chars (NULL: A-Z a-z 0-9)
 * from the content font, and the font's style vector from the style encoder
 * (encoder, else found like the glyph commands do). The graph must have the
 * generator's inputs 'content' [N,1,H,W] and 'style' [N,S]. */
int calib_font_samples(const char *cmd, const gl_graph *g, const char *model, const char *encoder,
                       const char *model_dir, const char *fonts, const char *chars,
                       const char *size_s, calib_samples *s);

int cmd_calibrate(int argc, char **argv);

#endif
