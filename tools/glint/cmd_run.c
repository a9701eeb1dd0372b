/* glint run MODEL --input NAME=FILE.npy ... --output NAME=FILE.npy ...
 *           [--expect NAME=FILE.npy ... [--tolerance T]]
 * --expect compares an output with reference values (say, PyTorch's) and
 * fails when |got - want| > T * (|want| + rms(want)) anywhere. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "npy.h"

#define MAX_IO 64

typedef struct io_arg {
    char name[256];
    const char *path;
} io_arg;

static bool split_io(const char *v, io_arg *a) {
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1] || (size_t)(eq - v) >= sizeof a->name) return false;
    memcpy(a->name, v, (size_t)(eq - v));
    a->name[eq - v] = '\0';
    a->path = eq + 1;
    return true;
}

/* Prints the worst error of got against the reference file; 0 when within tol. */
static int check_expected(const char *name, const glint_tensor *got, const char *path, double tol) {
    npy_array want;
    char err[512];
    if (npy_read(path, &want, err, sizeof err)) return cli_error("run", "--expect %s: %s", name, err);
    int rc = 0;
    bool same_shape = want.rank == got->rank && want.dtype == GLINT_DTYPE_FLOAT32 &&
                      got->dtype == GLINT_DTYPE_FLOAT32;
    for (int d = 0; same_shape && d < want.rank; d++) same_shape = want.dims[d] == got->dims[d];
    if (!same_shape) {
        rc = cli_error("run", "--expect %s: %s is not float32 of the output's shape", name, path);
    } else {
        size_t n = want.bytes / sizeof(float);
        const float *w = want.data, *g = got->data;
        double ss = 0, worst = 0, worst_abs = 0;
        for (size_t i = 0; i < n; i++) ss += (double)w[i] * w[i];
        double rms = n ? sqrt(ss / (double)n) : 0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs((double)g[i] - (double)w[i]);
            double rel = d / (fabs((double)w[i]) + rms + 1e-30);
            if (!(rel <= worst)) worst = rel; /* NaN sticks */
            if (d > worst_abs) worst_abs = d;
        }
        printf("%s: max abs error %.3g, max relative error %.3g over %zu values (tolerance %.3g)\n",
               name, worst_abs, worst, n, tol);
        if (!(worst <= tol)) rc = cli_error("run", "--expect %s: error %.3g exceeds %.3g", name, worst, tol);
    }
    npy_free(&want);
    return rc;
}

int cmd_run(int argc, char **argv) {
    const char *path = NULL;
    io_arg ins[MAX_IO], outs[MAX_IO], expects[MAX_IO];
    size_t n_in = 0, n_out = 0, n_expect = 0;
    double tolerance = 1e-4;
    glint_engine_options opt;
    glint_engine_options_init(&opt);
    opt.log = cli_log;
    for (int i = 1; i < argc; i++) {
        bool matched;
        if (!cli_engine_flag("run", argc, argv, &i, &opt, &matched)) return 1;
        if (matched) continue;
        bool is_in = strcmp(argv[i], "--input") == 0, is_out = strcmp(argv[i], "--output") == 0;
        bool is_expect = strcmp(argv[i], "--expect") == 0;
        if (strcmp(argv[i], "--tolerance") == 0) {
            const char *v = cli_value("run", argc, argv, &i);
            char *end;
            if (!v) return 1;
            tolerance = strtod(v, &end);
            if (end == v || *end || !(tolerance >= 0))
                return cli_error("run", "--tolerance: '%s' is not a number >= 0", v);
        } else if (is_in || is_out || is_expect) {
            const char *v = cli_value("run", argc, argv, &i);
            if (!v) return 1;
            io_arg *list = is_in ? ins : is_out ? outs : expects;
            size_t *n = is_in ? &n_in : is_out ? &n_out : &n_expect;
            if (*n == MAX_IO) return cli_error("run", "too many %s options", argv[i - 1]);
            if (!split_io(v, &list[*n]))
                return cli_error("run", "%s: '%s' is not NAME=FILE.npy", argv[i - 1], v);
            (*n)++;
        } else if (argv[i][0] == '-') {
            return cli_error("run", "unknown option %s", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_error("run", "more than one model given ('%s')", argv[i]);
        }
    }
    if (!path || n_out == 0)
        return cli_error("run", "usage: glint run MODEL --input NAME=FILE.npy ... --output NAME=FILE.npy ... "
                                "[--expect NAME=FILE.npy [--tolerance T]] [--device auto|cpu|cuda] "
                                "[--precision fp32|fp16|bf16|int8 [--calibration MODEL.calib]] [--threads N]");
    int rc = 1;
    npy_array arrays[MAX_IO] = {{0}};
    glint_tensor in_t[MAX_IO], out_t[MAX_IO];
    void *out_data[MAX_IO] = {0};
    glint_engine *e = NULL;
    glint_context *c = NULL;
    char err[512];
    for (size_t k = 0; k < n_in; k++) {
        if (npy_read(ins[k].path, &arrays[k], err, sizeof err)) {
            cli_error("run", "--input %s: %s", ins[k].name, err);
            goto done;
        }
        in_t[k] = (glint_tensor){ins[k].name, arrays[k].dtype, arrays[k].rank, {0}, arrays[k].data, arrays[k].bytes};
        memcpy(in_t[k].dims, arrays[k].dims, sizeof in_t[k].dims);
    }
    if (glint_engine_create_from_file(path, &opt, &e, err, sizeof err) != GLINT_OK ||
        glint_context_create(e, &c, err, sizeof err) != GLINT_OK) {
        cli_error("run", "%s", err);
        goto done;
    }
    /* First call with empty buffers learns the output shapes. */
    for (size_t k = 0; k < n_out; k++) out_t[k] = (glint_tensor){.name = outs[k].name};
    glint_status st = glint_run(c, in_t, n_in, out_t, n_out);
    if (st != GLINT_OK && st != GLINT_ERR_INVALID_ARGUMENT) {
        cli_error("run", "%s", glint_context_last_error(c));
        goto done;
    }
    for (size_t k = 0; k < n_out && st == GLINT_ERR_INVALID_ARGUMENT; k++)
        if (out_t[k].dtype == GLINT_DTYPE_UNDEFINED) { /* not a capacity problem */
            cli_error("run", "%s", glint_context_last_error(c));
            goto done;
        }
    for (size_t k = 0; k < n_out; k++) {
        size_t bytes = glint_dtype_size(out_t[k].dtype);
        for (int d = 0; d < out_t[k].rank; d++) bytes *= (size_t)out_t[k].dims[d];
        out_data[k] = malloc(bytes ? bytes : 1);
        if (!out_data[k]) {
            cli_error("run", "out of memory for output '%s'", outs[k].name);
            goto done;
        }
        out_t[k].data = out_data[k];
        out_t[k].bytes = bytes;
    }
    if (glint_run(c, in_t, n_in, out_t, n_out) != GLINT_OK) {
        cli_error("run", "%s", glint_context_last_error(c));
        goto done;
    }
    for (size_t k = 0; k < n_out; k++)
        if (npy_write(outs[k].path, out_t[k].dtype, out_t[k].rank, out_t[k].dims, out_t[k].data, err, sizeof err)) {
            cli_error("run", "--output %s: %s", outs[k].name, err);
            goto done;
        }
    rc = 0;
    for (size_t x = 0; x < n_expect; x++) {
        size_t k = 0;
        while (k < n_out && strcmp(outs[k].name, expects[x].name) != 0) k++;
        if (k == n_out) {
            rc = cli_error("run", "--expect %s: no --output of that name", expects[x].name);
            break;
        }
        if (check_expected(expects[x].name, &out_t[k], expects[x].path, tolerance)) rc = 1;
    }
done:
    for (size_t k = 0; k < n_in; k++) npy_free(&arrays[k]);
    for (size_t k = 0; k < n_out; k++) free(out_data[k]);
    glint_context_free(c);
    glint_engine_free(e);
    return rc;
}
