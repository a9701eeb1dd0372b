/* The renderer's private layout, shared by renderer_models.c (creation, the
 * model contract, context pools) and renderer.c (style and restyle). */
#ifndef GL_RENDERER_IMPL_H
#define GL_RENDERER_IMPL_H

#include <pthread.h>

#include "glyph/glyph_internal.h"

#define GL_GLYPH_MAX_BATCH 32
#define GL_MAX_REF_CHARS 64

/* Contexts of one engine, handed to one thread at a time. A call takes one
 * (creating it when none is free) and gives it back; so N threads end up
 * with N contexts, each built once. */
typedef struct gl_context_pool {
    glint_engine *engine;
    pthread_mutex_t lock;
    glint_context **free_list;
    size_t free_count, free_cap;
} gl_context_pool;

/* An open font kept for the renderer's lifetime (fonts are thread-safe). */
typedef struct gl_font_entry {
    struct gl_font_entry *next;
    char *key; /* real path */
    int face;
    glint_font *font;
} gl_font_entry;

struct glint_glyph_renderer {
    gl_context_pool gen, enc;
    size_t style_dim;
    uint32_t ref_chars[GL_MAX_REF_CHARS];
    size_t ref_count;
    int style_res;           /* box size of the style encoder's refs */
    gl_raster_rule rule;
    glint_precision precision;
    gl_style_cache *styles;
    gl_glyph_cache *glyphs;
    pthread_mutex_t fonts_lock;
    gl_font_entry *fonts;
    glint_font *fallback;    /* also in fonts */
    glint_log_fn log;
    void *log_user;
    glint_log_level log_level;
};

glint_status gl_pool_take(gl_context_pool *p, glint_context **ctx, gl_err *err);
void gl_pool_give(gl_context_pool *p, glint_context *ctx);

/* The font at path (resolved to its real path) and face, opened once. */
glint_status gl_renderer_font(glint_glyph_renderer *r, const char *path, int face,
                              glint_font **font, gl_err *err);
void gl_renderer_log(glint_glyph_renderer *r, glint_log_level level, const char *fmt, ...)
    GL_PRINTF(3, 4);

#endif
