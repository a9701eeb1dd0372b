/* Helpers shared by the glyph subcommands: argument checks, model lookup,
 * output of glyph rows, the --metrics dump and the progress bar. */
#ifndef GLINT_GLYPH_CLI_H
#define GLINT_GLYPH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "glint.h"

typedef enum gc_format { GC_FORMAT_NPY, GC_FORMAT_PNG } gc_format;

/* Decodes --chars/--text: a clear error for empty text or invalid UTF-8.
 * *cps is malloc'd. */
bool gc_parse_text(const char *cmd, const char *opt, const char *text, uint32_t **cps, size_t *n);
/* --size N within 16..256. */
bool gc_parse_size(const char *cmd, const char *s, int *size);
/* The format from the output file's extension (.npy or .png). */
bool gc_output_format(const char *cmd, const char *path, bool png_only, gc_format *fmt);
/* Checks up front that the output's directory exists and is writable, so a
 * long run does not end in a write error (the write itself stays atomic). */
bool gc_output_dir_ok(const char *cmd, const char *path);

/* Finds glyph_generator.onnx and style_encoder.onnx: --model-dir, then
 * $GLINT_MODEL_DIR, ./models, and beside the executable ../models,
 * ../share/glint/models. False with an error naming where it looked. */
bool gc_find_models(const char *cmd, const char *model_dir, char *gen, char *enc, size_t size);

/* A renderer with the command's device/precision/threads and fallback font. */
bool gc_renderer(const char *cmd, const char *model_dir, const glint_engine_options *eo,
                 const char *fallback_font, glint_glyph_renderer **r);

/* Writes n glyph images (size × size floats each): .npy as [n,1,size,size],
 * PNG as one row, ink black on white, an empty box where missing[i]. */
bool gc_write_glyphs(const char *cmd, const char *path, gc_format fmt, const float *imgs, size_t n,
                     int size, const bool *missing);
/* Draws a 1-pixel empty box (the missing-glyph mark) into an RGB or gray
 * image at cell (x0, y0) of size × size. */
void gc_draw_empty_box(uint8_t *img, int width, int channels, int x0, int y0, int size);

/* --metrics FILE: the engine's telemetry JSON (with the renderer's cache
 * counters), or for commands without an engine a small JSON of their own. */
bool gc_write_metrics(const char *cmd, const char *path, glint_glyph_renderer *r,
                      const char *extra_json);

/* A one-line progress bar on stdout when it is a terminal; nothing else. */
void gc_progress(size_t done, size_t total);

/* "U+00E9 'é'" into buf. */
const char *gc_cp_name(uint32_t cp, char *buf, size_t size);

#endif
