/* The glyph cache: LRU eviction order, the byte bound (also while 8 threads
 * get and put at once), hit/miss counters, and that every hit returns the
 * image that was stored under its key. And the style cache. */
#include <pthread.h>

#include "glyph/glyph_internal.h"
#include "glyph_test_util.h"

/* The image stored under a key is a function of the key, so any thread can
 * check a hit. */
static void image_for(const gl_glyph_key *k, float *img) {
    uint64_t s = k->codepoint * 2654435761u + (uint64_t)k->size * 40503u + (uint64_t)k->precision + strlen(k->style);
    for (int i = 0; i < k->size * k->size; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        img[i] = (float)(s >> 40) / (float)(1u << 24);
    }
}

static void test_lru_order(void) {
    gl_glyph_key k = {"FontA#0|DejaVu#0", 0, 16, 0};
    size_t one = gl_glyph_cache_entry_bytes(&k);
    gl_glyph_cache *c = NULL;
    CHECK_OK(gl_glyph_cache_create(one * 4, &c, NULL));
    float img[16 * 16], got[16 * 16];
    for (uint32_t cp = 1; cp <= 4; cp++) {
        k.codepoint = cp;
        image_for(&k, img);
        CHECK_OK(gl_glyph_cache_put(c, &k, img, NULL));
    }
    uint32_t order[8];
    CHECK(gl_glyph_cache_order(c, order, 8) == 4);
    CHECK(order[0] == 4 && order[1] == 3 && order[2] == 2 && order[3] == 1);
    /* touching 1 makes it the most recent; inserting 5 then evicts 2 */
    k.codepoint = 1;
    CHECK(gl_glyph_cache_get(c, &k, got));
    k.codepoint = 5;
    image_for(&k, img);
    CHECK_OK(gl_glyph_cache_put(c, &k, img, NULL));
    CHECK(gl_glyph_cache_order(c, order, 8) == 4);
    CHECK(order[0] == 5 && order[1] == 1 && order[2] == 4 && order[3] == 3);
    k.codepoint = 2;
    CHECK(!gl_glyph_cache_get(c, &k, got));
    /* the other key fields matter: same code point, other size/precision/style */
    k.codepoint = 3;
    CHECK(gl_glyph_cache_get(c, &k, got));
    gl_glyph_key other = k;
    other.precision = 1;
    CHECK(!gl_glyph_cache_get(c, &other, got));
    other = k;
    other.style = "FontB#0|DejaVu#0";
    CHECK(!gl_glyph_cache_get(c, &other, got));
    glint_glyph_cache_stats s;
    gl_glyph_cache_stats(c, &s);
    CHECK(s.hits == 2 && s.misses == 3 && s.evictions == 1 && s.entries == 4);
    CHECK(s.bytes == 4 * one && s.bytes <= s.capacity_bytes);
    /* a bigger image evicts as many as needed; one over budget is not kept */
    gl_glyph_key big = {"FontA#0|DejaVu#0", 7, 32, 0};
    float bimg[32 * 32];
    image_for(&big, bimg);
    CHECK_OK(gl_glyph_cache_put(c, &big, bimg, NULL));
    gl_glyph_cache_stats(c, &s);
    CHECK(s.bytes <= s.capacity_bytes && gl_glyph_cache_get(c, &big, bimg));
    gl_glyph_key huge = {"FontA#0|DejaVu#0", 8, 256, 0};
    float *himg = calloc(256 * 256, sizeof(float));
    CHECK_OK(gl_glyph_cache_put(c, &huge, himg, NULL));
    CHECK(!gl_glyph_cache_get(c, &huge, himg));
    free(himg);
    gl_glyph_cache_free(c);
}

typedef struct worker {
    gl_glyph_cache *c;
    uint64_t seed;
    int bad_images, over_budget;
    size_t capacity;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    float img[48 * 48], got[48 * 48];
    static const char *const styles[] = {"A#0|D#0", "B#1|D#0", "C#0|E#0"};
    uint64_t s = w->seed;
    for (int i = 0; i < 20000; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        gl_glyph_key k = {styles[s % 3], (uint32_t)(s >> 8) % 300, (int32_t)(16 + 8 * ((s >> 20) % 5)), (int32_t)((s >> 30) % 2)};
        if (gl_glyph_cache_get(w->c, &k, got)) {
            image_for(&k, img);
            if (memcmp(img, got, (size_t)k.size * k.size * sizeof(float)) != 0) w->bad_images++;
        } else {
            image_for(&k, img);
            gl_glyph_cache_put(w->c, &k, img, NULL);
        }
        if ((i & 63) == 0) {
            glint_glyph_cache_stats st;
            gl_glyph_cache_stats(w->c, &st);
            if (st.bytes > w->capacity) w->over_budget++;
        }
    }
    return NULL;
}

static void test_concurrent(void) {
    size_t cap = 300 * 1024;
    gl_glyph_cache *c = NULL;
    CHECK_OK(gl_glyph_cache_create(cap, &c, NULL));
    pthread_t t[8];
    worker w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (worker){c, tl_rand_u64() | 1, 0, 0, cap};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    int bad = 0, over = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        bad += w[i].bad_images;
        over += w[i].over_budget;
    }
    CHECK_MSG(bad == 0, "%d hits returned another key's image", bad);
    CHECK_MSG(over == 0, "byte bound exceeded %d times", over);
    glint_glyph_cache_stats s;
    gl_glyph_cache_stats(c, &s);
    CHECK(s.hits + s.misses == 8 * 20000);
    CHECK(s.hits > 0 && s.evictions > 0 && s.bytes <= cap);
    uint32_t order[1];
    CHECK(gl_glyph_cache_order(c, order, 0) == s.entries);
    gl_glyph_cache_free(c);
}

static void test_style_cache(void) {
    gl_style_cache *c = NULL;
    CHECK_OK(gl_style_cache_create(8, &c, NULL));
    float v[8], got[8];
    tl_fill_uniform(v, 8, -1, 1);
    CHECK(!gl_style_cache_get(c, "/f.ttf", 0, got));
    CHECK_OK(gl_style_cache_put(c, "/f.ttf", 0, v, NULL));
    tl_poison(got, 8);
    CHECK(gl_style_cache_get(c, "/f.ttf", 0, got) && memcmp(v, got, sizeof v) == 0);
    CHECK(!gl_style_cache_get(c, "/f.ttf", 1, got));
    float w2[8];
    tl_fill_uniform(w2, 8, -1, 1);
    CHECK_OK(gl_style_cache_put(c, "/f.ttf", 0, w2, NULL)); /* first insert wins */
    CHECK(gl_style_cache_get(c, "/f.ttf", 0, got) && memcmp(v, got, sizeof v) == 0);
    uint64_t h, m;
    gl_style_cache_counts(c, &h, &m);
    CHECK(h == 2 && m == 2);
    gl_style_cache_free(c);
}

int main(void) {
    tl_seed_from_env();
    test_lru_order();
    test_concurrent();
    test_style_cache();
    return TEST_END();
}
