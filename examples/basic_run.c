/* The smallest complete use of glint: load a glyph generator, run one glyph
 * on whatever device is best, print a few output values.
 * Build: cc basic_run.c $(pkg-config --cflags --libs glint) -o basic_run
 * Run:   ./basic_run models/glyph_generator.onnx */
#include <stdio.h>
#include <stdlib.h>

#include "glint.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s GENERATOR.onnx\n", argv[0]);
        return 2;
    }
    glint_engine_options opt;
    glint_engine_options_init(&opt); /* device auto: CUDA if present, else CPU */
    glint_bucket bucket = {1, 64, 64}; /* planned (and on CUDA captured) up front */
    opt.buckets = &bucket;
    opt.bucket_count = 1;

    char err[512];
    glint_engine *engine = NULL;
    if (glint_engine_create_from_file(argv[1], &opt, &engine, err, sizeof err) != GLINT_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    glint_context *ctx = NULL; /* one per thread */
    if (glint_context_create(engine, &ctx, err, sizeof err) != GLINT_OK) {
        fprintf(stderr, "%s\n", err);
        glint_engine_free(engine);
        return 1;
    }

    /* The style input's width comes from the model ([N, S]). */
    glint_io_info style_info;
    glint_engine_input_info(engine, 1, &style_info);
    int64_t style_dim = style_info.dims[1] > 0 ? style_info.dims[1] : 64;

    static float content[64 * 64], glyph[64 * 64];
    float *style = calloc((size_t)style_dim, sizeof *style);
    for (int y = 16; y < 48; y++) content[y * 64 + 30] = content[y * 64 + 31] = 1.0f; /* an "l" */

    glint_tensor in[2] = {
        {"content", GLINT_DTYPE_FLOAT32, 4, {1, 1, 64, 64}, content, sizeof content},
        {"style", GLINT_DTYPE_FLOAT32, 2, {1, style_dim}, style, (size_t)style_dim * sizeof *style},
    };
    glint_tensor out = {"glyph", GLINT_DTYPE_FLOAT32, 0, {0}, glyph, sizeof glyph};
    int rc = 0;
    if (glint_run(ctx, in, 2, &out, 1) != GLINT_OK) {
        fprintf(stderr, "%s\n", glint_context_last_error(ctx));
        rc = 1;
    } else {
        printf("ran on %s: glyph[32][31] = %.3f\n", glint_device_name(glint_engine_device(engine)),
               glyph[32 * 64 + 31]);
    }
    free(style);
    glint_context_free(ctx);
    glint_engine_free(engine);
    return rc;
}
