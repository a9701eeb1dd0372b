/* Shared bits of the glyph tests: font paths and a scratch directory. */
#ifndef GLYPH_TEST_UTIL_H
#define GLYPH_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

/* DejaVu Sans, or skip: every glyph test draws with it. */
static inline const char *gt_font(void) {
    static char path[4096];
    if (glint_glyph_default_font(path, sizeof path) != GLINT_OK) tl_skip("DejaVu Sans is not installed");
    return path;
}

/* A fresh directory under $TMPDIR (or /tmp); the path is static. */
static inline const char *gt_tmpdir(void) {
    static char dir[512];
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/glint-glyph-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    return dir;
}

#endif
