/* Helpers for the whole-model GPU tests: find models, make inputs for a
 * bucket, run an engine through the public API. */
#ifndef GPU_MODEL_UTIL_H
#define GPU_MODEL_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glint.h"
#include "testlib.h"

#define GM_MAX_MODELS 16
#define GM_MAX_IO 4

/* Model files: the .onnx files of models/ when present, then of tests/models/. */
static inline int gm_find_models(char paths[][512], int max) {
    int n = 0;
    const char *dirs[2] = {GLINT_SOURCE_DIR "/models", GLINT_SOURCE_DIR "/tests/models"};
    for (int d = 0; d < 2; d++) {
        DIR *dir = opendir(dirs[d]);
        if (!dir) continue;
        struct dirent *e;
        while ((e = readdir(dir)) && n < max) {
            size_t l = strlen(e->d_name);
            if (l > 5 && !strcmp(e->d_name + l - 5, ".onnx"))
                snprintf(paths[n++], 512, "%s/%s", dirs[d], e->d_name);
        }
        closedir(dir);
    }
    return n;
}

typedef struct gm_io {
    int n_in, n_out;
    glint_tensor in[GM_MAX_IO], out[GM_MAX_IO];
    size_t out_elems[GM_MAX_IO];
} gm_io;

/* Inputs with dynamic dims filled from (batch, size): dim 0 = batch, the
 * last two dims of a rank-4 input = size. Fresh random values in [0, 1]. */
static inline bool gm_make_io(const glint_engine *e, int batch, int size, gm_io *io) {
    memset(io, 0, sizeof *io);
    io->n_in = (int)glint_engine_input_count(e);
    io->n_out = (int)glint_engine_output_count(e);
    if (io->n_in > GM_MAX_IO || io->n_out > GM_MAX_IO) return false;
    for (int i = 0; i < io->n_in; i++) {
        glint_io_info info;
        if (glint_engine_input_info(e, (size_t)i, &info)) return false;
        glint_tensor *t = &io->in[i];
        /* a copy: the io outlives the engine it was made from (the CPU
         * reference engine runs it after the CUDA engine is freed) */
        t->name = strdup(info.name);
        t->dtype = GLINT_DTYPE_FLOAT32;
        t->rank = info.rank;
        size_t n = 1;
        for (int d = 0; d < info.rank; d++) {
            int64_t v = info.dims[d];
            if (v < 0) v = d == 0 ? batch : (info.rank == 4 && d >= 2 ? size : 1);
            t->dims[d] = v;
            n *= (size_t)v;
        }
        t->bytes = n * sizeof(float);
        t->data = malloc(t->bytes);
        tl_fill_uniform(t->data, n, 0.0f, 1.0f);
    }
    return true;
}

/* Output buffers sized for the output's dims at this bucket (outputs are
 * assumed to be [N, C, size, size] with C <= 4, or [N, S] with S <= 4096). */
static inline void gm_alloc_out(gm_io *io, int batch, int size) {
    for (int i = 0; i < io->n_out; i++) {
        size_t n = (size_t)batch * 4 * (size_t)size * (size_t)size + (size_t)batch * 4096;
        io->out[i].name = NULL;
        io->out[i].data = malloc(n * sizeof(float));
        io->out[i].bytes = n * sizeof(float);
        tl_poison(io->out[i].data, n);
    }
}

static inline size_t gm_out_elems(const glint_tensor *t) {
    size_t n = 1;
    for (int d = 0; d < t->rank; d++) n *= (size_t)t->dims[d];
    return n;
}

static inline void gm_free_io(gm_io *io) {
    for (int i = 0; i < GM_MAX_IO; i++) {
        free((char *)io->in[i].name);
        free(io->in[i].data);
        free(io->out[i].data);
    }
    memset(io, 0, sizeof *io);
}

/* The tests' engine options: one CPU thread, the given device, precision,
 * device memory cap and flags. */
static inline void gm_options(glint_engine_options *o, glint_device dev, glint_precision prec,
                              size_t limit, uint32_t flags) {
    glint_engine_options_init(o);
    o->device = dev;
    o->precision = prec;
    o->threads = 1;
    o->device_memory_limit_bytes = limit;
    o->flags = flags;
}

static inline glint_status gm_engine(const char *path, glint_device dev, glint_precision prec,
                                     size_t limit, uint32_t flags, glint_engine **e, char *err,
                                     size_t errn) {
    glint_engine_options o;
    gm_options(&o, dev, prec, limit, flags);
    return glint_engine_create_from_file(path, &o, e, err, errn);
}

/* Runs one context on io; out data poisoned first. */
static inline glint_status gm_run(glint_context *c, gm_io *io) {
    for (int i = 0; i < io->n_out; i++) tl_poison(io->out[i].data, io->out[i].bytes / 4);
    return glint_run(c, io->in, (size_t)io->n_in, io->out, (size_t)io->n_out);
}

#endif
