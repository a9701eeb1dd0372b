/* glint calibrate MODEL -o MODEL.calib: INT8 calibration (src/quant/quant.h).
 * Samples come from .npy files (--inputs DIR) or, when glint is built with
 * the glyph layer, from fonts (--fonts F1,F2,...): for each font, content
 * glyphs of --chars rasterised from the content font and that font's style
 * vector from the style encoder, as a generator sees them at run time.
 * Prints the per-layer choice (INT8 or float, with the relative error). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/common.h"
#include "model/graph.h"
#include "npy.h"
#include "calibrate_cli.h"
#include "quant/quant.h"

static const char *const k_usage =
    "usage: glint calibrate MODEL (--inputs DIR | --fonts F1,F2,...) -o MODEL.calib\n"
    "                       [--threshold T] [--chars S] [--size N] [--style-encoder ENC]\n"
    "                       [--model-dir DIR]\n"
    "Records activation ranges of every convolution input on sample inputs, checks each\n"
    "layer's INT8 error against FP32 and keeps layers above T (default 0.05) in float.\n"
    "--inputs DIR: one .npy per graph input per sample, named INPUT.K.npy (a model with\n"
    "one input may use any names); samples in name order.\n"
    "--fonts (glyph layer): content glyphs of --chars (default A-Z a-z 0-9) at --size\n"
    "(default 64) in the style of each font.\n";

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .npy file names of DIR, sorted. */
static int list_npy(const char *dir, char ***names, size_t *n) {
    DIR *d = opendir(dir);
    if (!d) return cli_error("calibrate", "--inputs: cannot open directory '%s'", dir);
    struct dirent *e;
    *names = NULL;
    *n = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".npy") != 0) continue;
        char **nn = realloc(*names, (*n + 1) * sizeof *nn);
        if (!nn || !(nn[*n] = strdup(e->d_name))) {
            closedir(d);
            return cli_error("calibrate", "out of memory");
        }
        *names = nn;
        (*n)++;
    }
    closedir(d);
    if (*n) qsort(*names, *n, sizeof **names, cmp_str);
    if (!*n) return cli_error("calibrate", "--inputs: no .npy files in '%s'", dir);
    return 0;
}

static int to_tensor(const char *path, const npy_array *a, gl_tensor *t) {
    if (a->dtype != GLINT_DTYPE_FLOAT32 || a->rank > GL_MAX_RANK)
        return cli_error("calibrate", "%s: expected float32 data of rank <= %d", path, GL_MAX_RANK);
    t->dtype = GLINT_DTYPE_FLOAT32;
    t->shape.rank = a->rank;
    for (int i = 0; i < a->rank; i++) t->shape.d[i] = a->dims[i];
    t->data = a->data;
    return 0;
}

/* Samples from DIR: sets[k][i] is graph input i of sample k. */
static int npy_samples(const gl_graph *g, const char *dir, calib_samples *s) {
    char **names = NULL;
    size_t n = 0;
    int rc = list_npy(dir, &names, &n);
    size_t per = (size_t)g->n_inputs;
    for (size_t f = 0; f < n && !rc; f++) {
        int input = 0, k = (int)s->n;
        if (per > 1) {
            /* INPUT.K.npy */
            char *dot = strchr(names[f], '.');
            input = -1;
            for (int i = 0; dot && i < g->n_inputs; i++) {
                const char *in = g->values[g->inputs[i]].name;
                if ((size_t)(dot - names[f]) == strlen(in) && !strncmp(names[f], in, strlen(in)))
                    input = i;
            }
            if (input < 0 || sscanf(dot + 1, "%d", &k) != 1 || k < 0 || k > 100000) {
                rc = cli_error("calibrate", "--inputs: '%s' is not named INPUT.K.npy for an input "
                               "of this model", names[f]);
                break;
            }
        }
        if ((rc = calib_samples_reserve(s, (size_t)k + 1, per))) break;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        char err[512];
        npy_array *a = &s->arrays[(size_t)k * per + (size_t)input];
        if (a->data) {
            rc = cli_error("calibrate", "--inputs: sample %d of input %d given twice", k, input);
            break;
        }
        if (npy_read(path, a, err, sizeof err)) rc = cli_error("calibrate", "%s", err);
        else rc = to_tensor(path, a, &s->tensors[(size_t)k * per + (size_t)input]);
    }
    for (size_t k = 0; !rc && k < s->n; k++)
        for (size_t i = 0; i < per && !rc; i++)
            if (!s->arrays[k * per + i].data)
                rc = cli_error("calibrate", "--inputs: sample %zu lacks input '%s'", k,
                               g->values[g->inputs[i]].name);
    for (size_t f = 0; f < n; f++) free(names[f]);
    free(names);
    return rc;
}

static int load_graph(const char *path, gl_graph **g) {
    size_t size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return cli_error("calibrate", "cannot open model '%s'", path);
    void *data = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long len = ftell(f);
        if (len > 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)len)) &&
            fread(data, 1, (size_t)len, f) == (size_t)len)
            size = (size_t)len;
    }
    fclose(f);
    if (!size) {
        free(data);
        return cli_error("calibrate", "cannot read model '%s'", path);
    }
    gl_err err = {0};
    glint_status st = gl_onnx_load(data, size, gl_default_allocator(), g, &err);
    free(data);
    if (st == GLINT_OK) st = gl_graph_optimize(*g, &err);
    if (st != GLINT_OK) return cli_error("calibrate", "%s: %s", path, err.msg);
    return 0;
}

int cmd_calibrate(int argc, char **argv) {
    const char *cmd = "calibrate";
    const char *model = NULL, *inputs = NULL, *fonts = NULL, *out = NULL, *chars = NULL;
    const char *thr_s = NULL, *size_s = NULL, *encoder = NULL, *model_dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(k_usage, stdout);
            return 0;
        }
        const char **dst = !strcmp(a, "--inputs") ? &inputs : !strcmp(a, "--fonts") ? &fonts
                         : (!strcmp(a, "-o") || !strcmp(a, "--output")) ? &out
                         : !strcmp(a, "--chars") ? &chars : !strcmp(a, "--threshold") ? &thr_s
                         : !strcmp(a, "--size") ? &size_s : !strcmp(a, "--style-encoder") ? &encoder
                         : !strcmp(a, "--model-dir") ? &model_dir : NULL;
        if (dst) {
            if (!(*dst = cli_value(cmd, argc, argv, &i))) return 2;
        } else if (a[0] == '-') {
            cli_error(cmd, "unknown option '%s' (glint calibrate --help)", a);
            return 2;
        } else if (!model) {
            model = a;
        } else {
            cli_error(cmd, "more than one MODEL ('%s' and '%s')", model, a);
            return 2;
        }
    }
    if (!model || !out || (!inputs == !fonts)) {
        cli_error(cmd, "MODEL, -o FILE and one of --inputs or --fonts are required "
                       "(glint calibrate --help)");
        return 2;
    }
    gl_calib_options opt;
    gl_calib_options_init(&opt);
    if (thr_s) {
        char *end;
        opt.threshold = strtof(thr_s, &end);
        if (end == thr_s || *end || !(opt.threshold >= 0.0f)) {
            cli_error(cmd, "--threshold '%s' is not a number >= 0", thr_s);
            return 2;
        }
    }
    gl_graph *g = NULL;
    if (load_graph(model, &g)) return 1;
    calib_samples s = {0};
    int rc;
    if (inputs) {
        rc = npy_samples(g, inputs, &s);
    } else {
#ifdef GLINT_HAVE_GLYPH
        rc = calib_font_samples(cmd, g, model, encoder, model_dir, fonts, chars, size_s, &s);
#else
        (void)chars, (void)size_s, (void)encoder, (void)model_dir;
        rc = cli_error(cmd, "--fonts needs glint built with the glyph layer (FreeType and "
                            "libpng); use --inputs DIR");
#endif
    }
    gl_calib *c = NULL;
    if (!rc) {
        const gl_tensor **sets = malloc(s.n * sizeof *sets);
        if (!sets) rc = cli_error(cmd, "out of memory");
        for (size_t k = 0; !rc && k < s.n; k++) sets[k] = &s.tensors[k * (size_t)g->n_inputs];
        gl_err err = {0};
        double t0 = gl_now_us();
        if (!rc && gl_calibrate(g, sets, (int)s.n, &opt, &c, &err) != GLINT_OK)
            rc = cli_error(cmd, "%s", err.msg);
        if (!rc && gl_calib_save(c, out, &err) != GLINT_OK) rc = cli_error(cmd, "%s", err.msg);
        if (!rc) {
            int n8 = 0;
            for (int i = 0; i < c->n_layers; i++) {
                const gl_calib_layer *l = &c->layers[i];
                n8 += l->int8;
                printf("layer %-32s %-5s relative error %.4f\n", l->name, l->int8 ? "int8" : "float",
                       (double)l->rel_error);
            }
            printf("%d of %d convolution layers in INT8 (threshold %g), %zu samples, %.1f s; "
                   "wrote %s\n", n8, c->n_layers, (double)opt.threshold, s.n,
                   (gl_now_us() - t0) / 1e6, out);
        }
        free(sets);
    }
    gl_calib_free(c);
    calib_samples_free(&s);
    gl_graph_free(g);
    return rc;
}

int calib_samples_reserve(calib_samples *s, size_t n, size_t per) {
    if (n <= s->n) return 0;
    npy_array *a = realloc(s->arrays, n * per * sizeof *a);
    if (a) s->arrays = a;
    gl_tensor *t = a ? realloc(s->tensors, n * per * sizeof *t) : NULL;
    if (t) s->tensors = t;
    if (!a || !t) return cli_error("calibrate", "out of memory for %zu samples", n);
    memset(s->arrays + s->n * per, 0, (n - s->n) * per * sizeof *a);
    memset(s->tensors + s->n * per, 0, (n - s->n) * per * sizeof *t);
    s->n = n;
    s->per = per;
    return 0;
}

void calib_samples_free(calib_samples *s) {
    for (size_t i = 0; i < s->n * s->per; i++) npy_free(&s->arrays[i]);
    free(s->arrays);
    free(s->tensors);
    memset(s, 0, sizeof *s);
}
