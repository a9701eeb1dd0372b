/* The glyph cache: a hash table of entries threaded on one LRU list, bounded
 * in bytes. Every entry's cost is its image, its key string and its own
 * bookkeeping, so the bound is on memory actually held. One mutex guards
 * everything: lookups are a hash probe and a memcpy, far shorter than the
 * model run a miss costs. */
#include <pthread.h>
#include <string.h>

#include "glyph/glyph_internal.h"

typedef struct entry {
    struct entry *hnext;             /* hash chain */
    struct entry *prev, *next;       /* LRU list: head = most recent */
    uint64_t hash;
    uint32_t codepoint;
    int32_t size, precision;
    size_t bytes;
    char *style;
    float *image;
} entry;

struct gl_glyph_cache {
    pthread_mutex_t lock;
    size_t capacity, bytes, count;
    entry **table;
    size_t table_size; /* power of two */
    entry *head, *tail;
    uint64_t hits, misses, evictions;
};

static uint64_t key_hash(const gl_glyph_key *k) {
    uint64_t h = gl_hash64(k->style, strlen(k->style), 0xC0FFEEull);
    uint32_t tail[3] = {k->codepoint, (uint32_t)k->size, (uint32_t)k->precision};
    return gl_hash64(tail, sizeof tail, h);
}

static bool key_eq(const entry *e, uint64_t h, const gl_glyph_key *k) {
    return e->hash == h && e->codepoint == k->codepoint && e->size == k->size &&
           e->precision == k->precision && strcmp(e->style, k->style) == 0;
}

size_t gl_glyph_cache_entry_bytes(const gl_glyph_key *k) {
    return sizeof(entry) + strlen(k->style) + 1 + (size_t)k->size * (size_t)k->size * sizeof(float);
}

glint_status gl_glyph_cache_create(size_t capacity, gl_glyph_cache **out, gl_err *err) {
    const glint_allocator *a = gl_default_allocator();
    gl_glyph_cache *c = gl_calloc(a, 1, sizeof *c);
    if (c) {
        c->table_size = 256;
        c->table = gl_calloc(a, c->table_size, sizeof *c->table);
    }
    if (!c || !c->table) {
        if (c) gl_free(a, c);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "glyph cache: out of memory");
    }
    pthread_mutex_init(&c->lock, NULL);
    c->capacity = capacity;
    *out = c;
    return GLINT_OK;
}

static void entry_free(entry *e) {
    const glint_allocator *a = gl_default_allocator();
    gl_free(a, e->style);
    gl_free(a, e->image);
    gl_free(a, e);
}

void gl_glyph_cache_free(gl_glyph_cache *c) {
    if (!c) return;
    for (entry *e = c->head, *n; e; e = n) {
        n = e->next;
        entry_free(e);
    }
    pthread_mutex_destroy(&c->lock);
    gl_free(gl_default_allocator(), c->table);
    gl_free(gl_default_allocator(), c);
}

static void lru_unlink(gl_glyph_cache *c, entry *e) {
    if (e->prev) e->prev->next = e->next;
    else c->head = e->next;
    if (e->next) e->next->prev = e->prev;
    else c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(gl_glyph_cache *c, entry *e) {
    e->prev = NULL;
    e->next = c->head;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (!c->tail) c->tail = e;
}

static entry **find_slot(gl_glyph_cache *c, uint64_t h, const gl_glyph_key *k) {
    entry **p = &c->table[h & (c->table_size - 1)];
    while (*p && !key_eq(*p, h, k)) p = &(*p)->hnext;
    return p;
}

/* Removes an entry from both structures and frees it. */
static void remove_entry(gl_glyph_cache *c, entry *e) {
    entry **p = &c->table[e->hash & (c->table_size - 1)];
    while (*p != e) p = &(*p)->hnext;
    *p = e->hnext;
    lru_unlink(c, e);
    c->bytes -= e->bytes;
    c->count--;
    entry_free(e);
}

/* Doubles the table when chains grow long; on allocation failure the cache
 * simply keeps its longer chains. */
static void maybe_grow(gl_glyph_cache *c) {
    if (c->count < c->table_size * 2) return;
    size_t ns = c->table_size * 2;
    entry **nt = gl_calloc(gl_default_allocator(), ns, sizeof *nt);
    if (!nt) return;
    for (size_t i = 0; i < c->table_size; i++) {
        for (entry *e = c->table[i], *n; e; e = n) {
            n = e->hnext;
            e->hnext = nt[e->hash & (ns - 1)];
            nt[e->hash & (ns - 1)] = e;
        }
    }
    gl_free(gl_default_allocator(), c->table);
    c->table = nt;
    c->table_size = ns;
}

bool gl_glyph_cache_get(gl_glyph_cache *c, const gl_glyph_key *k, float *out) {
    if (!c) return false;
    uint64_t h = key_hash(k);
    pthread_mutex_lock(&c->lock);
    entry *e = *find_slot(c, h, k);
    if (e) {
        memcpy(out, e->image, (size_t)e->size * (size_t)e->size * sizeof(float));
        lru_unlink(c, e);
        lru_push_front(c, e);
        c->hits++;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->lock);
    return e != NULL;
}

glint_status gl_glyph_cache_put(gl_glyph_cache *c, const gl_glyph_key *k, const float *img,
                                gl_err *err) {
    if (!c) return GLINT_OK;
    size_t cost = gl_glyph_cache_entry_bytes(k);
    size_t pixels = (size_t)k->size * (size_t)k->size;
    uint64_t h = key_hash(k);
    pthread_mutex_lock(&c->lock);
    entry **slot = find_slot(c, h, k);
    if (*slot) remove_entry(c, *slot); /* refresh: the new image replaces it */
    if (cost > c->capacity) {
        pthread_mutex_unlock(&c->lock);
        return GLINT_OK;
    }
    while (c->bytes + cost > c->capacity && c->tail) {
        remove_entry(c, c->tail);
        c->evictions++;
    }
    /* allocations happen under the lock so that the byte count never
     * over-commits between the check and the insert */
    const glint_allocator *a = gl_default_allocator();
    entry *e = gl_calloc(a, 1, sizeof *e);
    if (e) {
        e->style = gl_strdup(a, k->style);
        e->image = gl_malloc(a, pixels * sizeof(float));
    }
    if (!e || !e->style || !e->image) {
        if (e) entry_free(e);
        pthread_mutex_unlock(&c->lock);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "glyph cache: out of memory");
    }
    memcpy(e->image, img, pixels * sizeof(float));
    e->hash = h;
    e->codepoint = k->codepoint;
    e->size = k->size;
    e->precision = k->precision;
    e->bytes = cost;
    slot = &c->table[h & (c->table_size - 1)];
    e->hnext = *slot;
    *slot = e;
    lru_push_front(c, e);
    c->bytes += cost;
    c->count++;
    maybe_grow(c);
    pthread_mutex_unlock(&c->lock);
    return GLINT_OK;
}

void gl_glyph_cache_stats(gl_glyph_cache *c, glint_glyph_cache_stats *s) {
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    s->hits = c->hits;
    s->misses = c->misses;
    s->evictions = c->evictions;
    s->entries = c->count;
    s->bytes = c->bytes;
    s->capacity_bytes = c->capacity;
    pthread_mutex_unlock(&c->lock);
}

size_t gl_glyph_cache_order(gl_glyph_cache *c, uint32_t *cps, size_t cap) {
    pthread_mutex_lock(&c->lock);
    size_t i = 0;
    for (entry *e = c->head; e; e = e->next, i++)
        if (i < cap) cps[i] = e->codepoint;
    pthread_mutex_unlock(&c->lock);
    return i;
}
