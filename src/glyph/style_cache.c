/* The style cache: one style vector per (font file, face). Fonts in use are
 * few, so a mutex-guarded list is enough; the vector itself is computed by
 * the caller outside the lock (it runs the style encoder). */
#include <pthread.h>
#include <string.h>

#include "glyph/glyph_internal.h"

typedef struct style_entry {
    struct style_entry *next;
    char *path;
    int face;
    float *style;
} style_entry;

struct gl_style_cache {
    pthread_mutex_t lock;
    size_t dim;
    style_entry *head;
    uint64_t hits, misses;
};

glint_status gl_style_cache_create(size_t dim, gl_style_cache **out, gl_err *err) {
    gl_style_cache *c = gl_calloc(gl_default_allocator(), 1, sizeof *c);
    if (!c) return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "style cache: out of memory");
    pthread_mutex_init(&c->lock, NULL);
    c->dim = dim;
    *out = c;
    return GLINT_OK;
}

void gl_style_cache_free(gl_style_cache *c) {
    if (!c) return;
    const glint_allocator *a = gl_default_allocator();
    for (style_entry *e = c->head, *n; e; e = n) {
        n = e->next;
        gl_free(a, e->path);
        gl_free(a, e->style);
        gl_free(a, e);
    }
    pthread_mutex_destroy(&c->lock);
    gl_free(a, c);
}

static style_entry *find(gl_style_cache *c, const char *path, int face) {
    for (style_entry *e = c->head; e; e = e->next)
        if (e->face == face && strcmp(e->path, path) == 0) return e;
    return NULL;
}

bool gl_style_cache_get(gl_style_cache *c, const char *path, int face, float *style) {
    pthread_mutex_lock(&c->lock);
    style_entry *e = find(c, path, face);
    if (e) {
        memcpy(style, e->style, c->dim * sizeof(float));
        c->hits++;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->lock);
    return e != NULL;
}

glint_status gl_style_cache_put(gl_style_cache *c, const char *path, int face, const float *style,
                                gl_err *err) {
    const glint_allocator *a = gl_default_allocator();
    style_entry *n = gl_calloc(a, 1, sizeof *n);
    if (n) {
        n->path = gl_strdup(a, path);
        n->style = gl_malloc(a, c->dim * sizeof(float));
    }
    if (!n || !n->path || !n->style) {
        if (n) {
            gl_free(a, n->path);
            gl_free(a, n->style);
            gl_free(a, n);
        }
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "style cache: out of memory");
    }
    memcpy(n->style, style, c->dim * sizeof(float));
    n->face = face;
    pthread_mutex_lock(&c->lock);
    bool exists = find(c, path, face) != NULL;
    if (!exists) {
        n->next = c->head;
        c->head = n;
    }
    pthread_mutex_unlock(&c->lock);
    if (exists) { /* another thread got there first with the same vector */
        gl_free(a, n->path);
        gl_free(a, n->style);
        gl_free(a, n);
    }
    return GLINT_OK;
}

void gl_style_cache_counts(gl_style_cache *c, uint64_t *hits, uint64_t *misses) {
    pthread_mutex_lock(&c->lock);
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->lock);
}
