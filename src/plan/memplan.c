/* Arena offsets from tensor lifetimes. Blocks are placed largest first; each
 * goes to the lowest offset where it overlaps (in bytes) no already-placed
 * block whose lifetime overlaps its own. This is the classic greedy-by-size
 * heuristic: not optimal, but close on convolutional nets and deterministic. */
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

static bool lifetimes_overlap(const gl_mem_block *a, const gl_mem_block *b) {
    return a->first <= b->last && b->first <= a->last;
}

glint_status gl_memplan(gl_mem_block *blocks, int n, size_t align, const glint_allocator *a,
                        size_t *arena_bytes, gl_err *err) {
    *arena_bytes = 0;
    if (n <= 0) return GLINT_OK;
    int *order = gl_malloc(a, (size_t)n * sizeof *order);
    int *placed = gl_malloc(a, (size_t)n * sizeof *placed);
    if (!order || !placed) {
        gl_free(a, order);
        gl_free(a, placed);
        return gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "memory plan: out of memory for %d blocks", n);
    }
    for (int i = 0; i < n; i++) order[i] = i;
    /* insertion sort by size descending, then index: deterministic and n is small */
    for (int i = 1; i < n; i++) {
        int k = order[i], j = i - 1;
        while (j >= 0 && (blocks[order[j]].bytes < blocks[k].bytes ||
                          (blocks[order[j]].bytes == blocks[k].bytes && order[j] > k))) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = k;
    }
    int n_placed = 0;
    size_t total = 0;
    for (int oi = 0; oi < n; oi++) {
        gl_mem_block *b = &blocks[order[oi]];
        if (b->bytes == 0) { /* nothing to place */
            b->offset = 0;
            continue;
        }
        size_t size = gl_align_up(b->bytes, align);
        size_t offset = 0;
        /* Try offset 0 and the end of every conflicting block; take the
         * lowest that fits. Conflicting blocks are few, so O(n^2) is fine. */
        bool moved = true;
        while (moved) {
            moved = false;
            for (int pi = 0; pi < n_placed; pi++) {
                const gl_mem_block *p = &blocks[placed[pi]];
                if (!lifetimes_overlap(b, p)) continue;
                size_t p_end = p->offset + gl_align_up(p->bytes, align);
                if (offset < p_end && p->offset < offset + size) {
                    offset = p_end;
                    moved = true;
                }
            }
        }
        b->offset = offset;
        placed[n_placed++] = order[oi];
        if (offset + size > total) total = offset + size;
    }
    gl_free(a, order);
    gl_free(a, placed);
    *arena_bytes = total;
    return GLINT_OK;
}
