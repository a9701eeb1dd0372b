/* Runs the ONNX conformance tests shipped in Debian's libonnx-testdata
 * through the public API on the CPU backend.
 *
 * For every test directory (model.onnx + test_data_set_N/{input,output}_K.pb):
 *   - the engine refuses the model with GLINT_ERR_UNSUPPORTED (an operator,
 *     attribute mode, dtype or opset glint does not support), at load or,
 *     when that depends on an input's value (a plan made per value), at the
 *     first run: counted as refused, with the reason's first words tallied;
 *   - or every data set runs and every output matches (floats within
 *     1e-5 + 1e-3·|want|, integers and booleans exactly): passed;
 *   - anything else is a failure: a wrong answer, a crash-free but wrong
 *     status, or an error at run time.
 * Tests listed in known_failures.txt are expected to fail (each line names
 * the reason); one of them passing is also a failure, so the list stays true.
 *
 * usage: run_conformance DATA_ROOT KNOWN_FAILURES [FILTER] */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "glint.h"
#include "model/onnx_internal.h"
#include "testlib.h"

typedef struct counts {
    int ran, passed, failed, refused, known, known_passed;
} counts;

static char g_known[4096][128];
static int g_n_known;

static void load_known(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof line, f) && g_n_known < 4096) {
        if (line[0] == '#' || line[0] == '\n') continue;
        sscanf(line, "%127s", g_known[g_n_known]);
        g_n_known++;
    }
    fclose(f);
}

static bool is_known(const char *name) {
    for (int i = 0; i < g_n_known; i++)
        if (strcmp(g_known[i], name) == 0) return true;
    return false;
}


static gl_const *read_tensor(const char *path, char *why, size_t why_size) {
    size_t size;
    void *buf = tl_read_file(path, &size);
    if (!buf) {
        snprintf(why, why_size, "cannot read %s", path);
        return NULL;
    }
    gl_pb_reader r;
    gl_pb_init(&r, buf, size, 0);
    gl_pb_field f = {.number = 1, .wire = GL_PB_LEN, .data = buf, .len = size};
    gl_const *c = NULL;
    gl_err err = {0};
    if (gl_onnx_tensor(&r, &f, NULL, path, NULL, &c, &err) != GLINT_OK) {
        snprintf(why, why_size, "%s", err.msg);
        c = NULL;
    }
    free(buf);
    return c;
}

static bool values_match(const gl_const *want, const void *got, char *why, size_t why_size) {
    int64_t n = gl_shape_numel(&want->shape);
    for (int64_t i = 0; i < n; i++) {
        bool ok;
        double w, g;
        switch (want->dtype) {
        case GLINT_DTYPE_FLOAT32:
            w = ((const float *)want->data)[i];
            g = ((const float *)got)[i];
            break;
        case GLINT_DTYPE_FLOAT64:
            w = ((const double *)want->data)[i];
            g = ((const double *)got)[i];
            break;
        case GLINT_DTYPE_FLOAT16:
            w = gl_f16_to_f32(((const uint16_t *)want->data)[i]);
            g = gl_f16_to_f32(((const uint16_t *)got)[i]);
            break;
        default: {
            size_t es = glint_dtype_size(want->dtype);
            if (memcmp((const char *)want->data + (size_t)i * es, (const char *)got + (size_t)i * es, es) != 0) {
                snprintf(why, why_size, "element %lld differs (%s)", (long long)i, glint_dtype_name(want->dtype));
                return false;
            }
            continue;
        }
        }
        if (isnan(w) || isnan(g)) ok = isnan(w) && isnan(g);
        else if (isinf(w) || isinf(g)) ok = w == g;
        else ok = fabs(w - g) <= 1e-5 + 1e-3 * fabs(w);
        if (!ok) {
            snprintf(why, why_size, "element %lld: got %.9g, want %.9g", (long long)i, g, w);
            return false;
        }
    }
    return true;
}

/* Runs one data set; returns true when every output matches. *unsupported
 * is set when the run was refused with GLINT_ERR_UNSUPPORTED. */
static bool run_data_set(glint_context *ctx, const glint_engine *e, const char *dir, char *why,
                         size_t why_size, bool *unsupported) {
    size_t n_in = glint_engine_input_count(e), n_out = glint_engine_output_count(e);
    gl_const *ins[64] = {0}, *wants[64] = {0};
    glint_tensor tin[64], tout[64];
    void *outbuf[64] = {0};
    bool ok = false;
    if (n_in > 64 || n_out > 64) {
        snprintf(why, why_size, "too many inputs");
        return false;
    }
    for (size_t k = 0; k < n_in; k++) {
        char p[1200];
        snprintf(p, sizeof p, "%.1100s/input_%zu.pb", dir, k);
        if (!(ins[k] = read_tensor(p, why, why_size))) goto done;
        glint_io_info io;
        glint_engine_input_info(e, k, &io);
        tin[k] = (glint_tensor){io.name, ins[k]->dtype, ins[k]->shape.rank, {0}, ins[k]->data, ins[k]->bytes};
        for (int d = 0; d < ins[k]->shape.rank; d++) tin[k].dims[d] = ins[k]->shape.d[d];
    }
    for (size_t k = 0; k < n_out; k++) {
        char p[1200];
        snprintf(p, sizeof p, "%.1100s/output_%zu.pb", dir, k);
        if (!(wants[k] = read_tensor(p, why, why_size))) goto done;
        outbuf[k] = malloc(wants[k]->bytes + 64);
        memset(outbuf[k], 0xcd, wants[k]->bytes + 64);
        tout[k] = (glint_tensor){NULL, 0, 0, {0}, outbuf[k], wants[k]->bytes};
    }
    glint_status st = glint_run(ctx, tin, n_in, tout, n_out);
    if (st != GLINT_OK) {
        *unsupported = st == GLINT_ERR_UNSUPPORTED;
        snprintf(why, why_size, "%s", glint_context_last_error(ctx));
        if (!*unsupported) snprintf(why, why_size, "run: %s", glint_context_last_error(ctx));
        goto done;
    }
    for (size_t k = 0; k < n_out; k++) {
        gl_shape got = {.rank = tout[k].rank};
        for (int d = 0; d < got.rank; d++) got.d[d] = tout[k].dims[d];
        if (tout[k].dtype != wants[k]->dtype || !gl_shape_equal(&got, &wants[k]->shape)) {
            char a[128], b[128];
            snprintf(why, why_size, "output %zu: got %s %s, want %s %s", k, glint_dtype_name(tout[k].dtype),
                     gl_shape_str(&got, a, sizeof a), glint_dtype_name(wants[k]->dtype),
                     gl_shape_str(&wants[k]->shape, b, sizeof b));
            goto done;
        }
        char w2[256];
        if (!values_match(wants[k], outbuf[k], w2, sizeof w2)) {
            snprintf(why, why_size, "output %zu: %s", k, w2);
            goto done;
        }
    }
    ok = true;
done:
    for (size_t k = 0; k < 64; k++) {
        gl_const_free(NULL, ins[k]);
        gl_const_free(NULL, wants[k]);
        free(outbuf[k]);
    }
    return ok;
}

/* Refusal reasons, by their first words, for the summary. */
static char g_reasons[512][96];
static int g_reason_count[512], g_n_reasons;

static void tally_reason(const char *msg) {
    char key[96];
    const char *p = strstr(msg, "): "); /* after "node 3 'x' (Op): " */
    if (p) p += 3;
    else if ((p = strstr(msg, "model.onnx: "))) p += 12;
    else p = msg;
    snprintf(key, sizeof key, "%.60s", p);
    for (int i = 0; i < g_n_reasons; i++)
        if (strcmp(g_reasons[i], key) == 0) {
            g_reason_count[i]++;
            return;
        }
    if (g_n_reasons < 512) {
        snprintf(g_reasons[g_n_reasons], sizeof g_reasons[0], "%s", key);
        g_reason_count[g_n_reasons++] = 1;
    }
}

static void run_test(const char *root, const char *name, counts *c, bool verbose) {
    char dir[1024], model[1100], err[512], why[1024] = "";
    snprintf(dir, sizeof dir, "%.500s/%.500s", root, name);
    snprintf(model, sizeof model, "%.1000s/model.onnx", dir);
    struct stat st;
    if (stat(model, &st) != 0) return;
    c->ran++;
    glint_engine_options opt;
    glint_engine_options_init(&opt);
    opt.device = GLINT_DEVICE_CPU;
    opt.threads = 1;
    glint_engine *e = NULL;
    glint_context *ctx = NULL;
    glint_status s = glint_engine_create_from_file(model, &opt, &e, err, sizeof err);
    bool known = is_known(name);
    if (s == GLINT_ERR_UNSUPPORTED) {
        c->refused++;
        tally_reason(err);
        if (verbose) printf("refused  %s: %s\n", name, err);
        return;
    }
    bool ok = false;
    if (s != GLINT_OK) {
        snprintf(why, sizeof why, "load: %s: %.500s", glint_status_name(s), err);
    } else if (glint_context_create(e, &ctx, err, sizeof err) != GLINT_OK) {
        snprintf(why, sizeof why, "context: %.500s", err);
    } else {
        ok = true;
        bool unsupported = false;
        for (int k = 0; ok && k < 64; k++) {
            char ds[1200];
            snprintf(ds, sizeof ds, "%.1000s/test_data_set_%d", dir, k);
            if (stat(ds, &st) != 0) break;
            ok = run_data_set(ctx, e, ds, why, sizeof why, &unsupported);
        }
        if (unsupported && !known) {
            glint_context_free(ctx);
            glint_engine_free(e);
            c->refused++;
            tally_reason(why);
            if (verbose) printf("refused  %s (at the first run): %s\n", name, why);
            return;
        }
    }
    glint_context_free(ctx);
    glint_engine_free(e);
    if (ok && !known) {
        c->passed++;
        if (verbose) printf("passed   %s\n", name);
    } else if (ok && known) {
        c->known_passed++;
        printf("UNEXPECTED PASS %s/%s (listed in known_failures.txt)\n", root, name);
    } else if (known) {
        c->known++;
        if (verbose) printf("known    %s: %s\n", name, why);
    } else {
        c->failed++;
        printf("FAILED   %s/%s: %s\n", root, name, why);
    }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: run_conformance DATA_ROOT KNOWN_FAILURES [FILTER]\n");
        return 2;
    }
    const char *root = argv[1], *filter = argc > 3 ? argv[3] : NULL;
    bool verbose = getenv("GLINT_CONFORMANCE_VERBOSE") != NULL;
    load_known(argv[2]);
    static const char *const suites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};
    counts c = {0};
    for (size_t si = 0; si < sizeof suites / sizeof suites[0]; si++) {
        char sub[1024];
        snprintf(sub, sizeof sub, "%.900s/%s", root, suites[si]);
        DIR *d = opendir(sub);
        if (!d) continue;
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.') continue;
            if (filter && !strstr(de->d_name, filter)) continue;
            if (n == cap) names = realloc(names, (cap = cap ? cap * 2 : 256) * sizeof *names);
            names[n++] = strdup(de->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof *names, cmp_str);
        for (size_t i = 0; i < n; i++) {
            run_test(sub, names[i], &c, verbose);
            free(names[i]);
        }
        free(names);
    }
    if (c.ran == 0) {
        printf("SKIP: no conformance data under %s (Debian: apt-get install libonnx-testdata)\n", root);
        return 77;
    }
    printf("\nrefusal reasons:\n");
    for (int i = 0; i < g_n_reasons; i++) printf("  %4d  %s\n", g_reason_count[i], g_reasons[i]);
    printf("\nconformance: %d ran, %d passed, %d failed, %d refused as unsupported, %d known failures\n",
           c.ran, c.passed, c.failed, c.refused, c.known);
    printf("%d passed, %d failed\n", c.passed, c.failed + c.known_passed);
    return (c.failed || c.known_passed) ? 1 : 0;
}
