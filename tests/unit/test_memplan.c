/* The memory planner on random lifetimes: blocks alive at the same step never
 * share bytes, offsets are aligned, and the arena is no smaller than the
 * largest set of simultaneously live blocks needs. */
#include <stdlib.h>

#include "plan/plan.h"
#include "testlib.h"

static void one_round(int n, int steps) {
    gl_mem_block *b = calloc((size_t)n, sizeof *b);
    for (int i = 0; i < n; i++) {
        int f = (int)(tl_rand_u64() % (uint64_t)steps);
        int len = (int)(tl_rand_u64() % 6);
        b[i].first = f;
        b[i].last = f + len;
        b[i].bytes = (tl_rand_u64() % 8 == 0) ? 0 : 1 + (size_t)(tl_rand_u64() % 5000);
    }
    size_t arena = 0;
    CHECK_OK(gl_memplan(b, n, 64, NULL, &arena, NULL));
    bool ok = true;
    for (int i = 0; i < n; i++) {
        if (b[i].offset % 64 != 0) ok = false;
        if (b[i].bytes && b[i].offset + b[i].bytes > arena) ok = false;
        for (int j = i + 1; j < n; j++) {
            if (!b[i].bytes || !b[j].bytes) continue;
            bool live = b[i].first <= b[j].last && b[j].first <= b[i].last;
            bool bytes = b[i].offset < b[j].offset + b[j].bytes && b[j].offset < b[i].offset + b[i].bytes;
            if (live && bytes) ok = false;
        }
    }
    CHECK_MSG(ok, "overlap or misalignment in a plan of %d blocks", n);
    size_t peak = 0;
    for (int s = 0; s < steps + 6; s++) {
        size_t live = 0;
        for (int i = 0; i < n; i++)
            if (b[i].first <= s && s <= b[i].last) live += b[i].bytes;
        if (live > peak) peak = live;
    }
    CHECK(arena >= peak);
    free(b);
}

int main(void) {
    tl_seed_from_env();
    for (int r = 0; r < 300; r++) one_round(1 + (int)(tl_rand_u64() % 60), 1 + (int)(tl_rand_u64() % 40));
    size_t arena = 123;
    CHECK_OK(gl_memplan(NULL, 0, 64, NULL, &arena, NULL));
    CHECK(arena == 0);
    /* two disjoint lifetimes share the same bytes */
    gl_mem_block two[2] = {{.bytes = 1000, .first = 0, .last = 1}, {.bytes = 1000, .first = 2, .last = 3}};
    CHECK_OK(gl_memplan(two, 2, 64, NULL, &arena, NULL));
    CHECK(arena == 1024 && two[0].offset == two[1].offset);
    return TEST_END();
}
