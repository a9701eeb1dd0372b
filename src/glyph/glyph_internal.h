/* Internals of the glyph layer shared by its files and by the glyph commands
 * in tools/glint (which link glint_glyph and may include this header). */
#ifndef GL_GLYPH_INTERNAL_H
#define GL_GLYPH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* ------------------------------------------------------------ raster rule
 * The placement rule of docs/raster.md, as parsed from a model's glint.raster
 * metadata. Only the two numbers vary; the other fields must say what the C
 * code does (hinting=none render=normal halign=advance-center). */
typedef struct gl_raster_rule {
    double ppem;     /* em size as a fraction of the box */
    double baseline; /* baseline row as a fraction of the box, from the top */
} gl_raster_rule;

/* glint-raster-1 ppem=0.75 baseline=0.725 */
void gl_raster_rule_default(gl_raster_rule *rule);
/* Parses "glint-raster-1 ppem=... baseline=... hinting=none render=normal
 * halign=advance-center"; rejects anything this code would draw differently. */
glint_status gl_raster_rule_parse(const char *text, gl_raster_rule *rule, gl_err *err);

/* Draws the font's own glyph into out (size × size floats) by rule.
 * GLINT_ERR_NOT_FOUND when the font lacks the character. */
glint_status gl_font_raster_rule(glint_font *font, uint32_t codepoint, int size,
                                 const gl_raster_rule *rule, float *out, gl_err *err);
/* The file path the font was opened from (owned by the font). */
const char *gl_font_path(const glint_font *font);
int gl_font_face_index(const glint_font *font);

/* ------------------------------------------------------------------ UTF-8
 * Decodes all of s into code points. Returns the count, or -1 for invalid
 * UTF-8 (overlong forms, surrogates, values past U+10FFFF, truncated
 * sequences) with the byte offset of the first bad byte in *bad_offset.
 * cps may be NULL to count only; at most cap are written. */
long gl_utf8_decode(const char *s, uint32_t *cps, size_t cap, size_t *bad_offset);

/* ---------------------------------------------------------------- files
 * Every writer goes to a temporary file in the destination's directory and
 * renames it over the destination at the end, so a reader never sees a
 * half-written file and a failure leaves nothing behind. */

/* 8-bit PNG; channels 1 (gray) or 3 (RGB); rows of width × channels bytes. */
glint_status gl_write_png(const char *path, int width, int height, int channels,
                          const uint8_t *pixels, gl_err *err);
/* NumPy .npy version 1.0, little-endian float32, C order. */
glint_status gl_write_npy_f32(const char *path, const int64_t *dims, int rank,
                              const float *data, gl_err *err);
/* Any bytes (for JSON side files). */
glint_status gl_write_file_atomic(const char *path, const void *data, size_t size,
                                  gl_err *err);

/* ---------------------------------------------------------- glyph cache
 * LRU, bounded in bytes (image + key + bookkeeping counted), thread-safe
 * (one mutex). Keys are (style key, code point, size, precision); the style
 * key is a string naming the style font, face and content font. */
typedef struct gl_glyph_cache gl_glyph_cache;

typedef struct gl_glyph_key {
    const char *style;   /* copied on insert */
    uint32_t codepoint;
    int32_t size;
    int32_t precision;
} gl_glyph_key;

glint_status gl_glyph_cache_create(size_t capacity_bytes, gl_glyph_cache **out, gl_err *err);
void gl_glyph_cache_free(gl_glyph_cache *c);
/* Copies the cached image into out (size × size floats) and marks it most
 * recently used; false on a miss. Counts a hit or a miss. */
bool gl_glyph_cache_get(gl_glyph_cache *c, const gl_glyph_key *key, float *out);
/* Inserts (or refreshes) an image, evicting least recently used entries until
 * the budget holds. An entry larger than the whole budget is not kept. */
glint_status gl_glyph_cache_put(gl_glyph_cache *c, const gl_glyph_key *key, const float *img,
                                gl_err *err);
/* Bytes one entry of this key costs (what the bound counts). */
size_t gl_glyph_cache_entry_bytes(const gl_glyph_key *key);
void gl_glyph_cache_stats(gl_glyph_cache *c, glint_glyph_cache_stats *stats);
/* Keys from most to least recently used, for tests: writes up to cap code
 * points and returns the entry count. */
size_t gl_glyph_cache_order(gl_glyph_cache *c, uint32_t *codepoints, size_t cap);

/* ---------------------------------------------------------- style cache
 * (file, face) → style vector of dim floats. Thread-safe; a vector is
 * computed outside the lock, and when two threads race the first insert
 * wins (both computed the same thing). */
typedef struct gl_style_cache gl_style_cache;

glint_status gl_style_cache_create(size_t dim, gl_style_cache **out, gl_err *err);
void gl_style_cache_free(gl_style_cache *c);
bool gl_style_cache_get(gl_style_cache *c, const char *path, int face, float *style);
glint_status gl_style_cache_put(gl_style_cache *c, const char *path, int face,
                                const float *style, gl_err *err);
void gl_style_cache_counts(gl_style_cache *c, uint64_t *hits, uint64_t *misses);

#endif
