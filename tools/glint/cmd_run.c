/* glint run MODEL --input NAME=FILE.npy ... --output NAME=FILE.npy ... */
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

int cmd_run(int argc, char **argv) {
    const char *path = NULL;
    io_arg ins[MAX_IO], outs[MAX_IO];
    size_t n_in = 0, n_out = 0;
    glint_engine_options opt;
    glint_engine_options_init(&opt);
    opt.log = cli_log;
    for (int i = 1; i < argc; i++) {
        bool matched;
        if (!cli_engine_flag("run", argc, argv, &i, &opt, &matched)) return 1;
        if (matched) continue;
        bool is_in = strcmp(argv[i], "--input") == 0, is_out = strcmp(argv[i], "--output") == 0;
        if (is_in || is_out) {
            const char *v = cli_value("run", argc, argv, &i);
            if (!v) return 1;
            io_arg *list = is_in ? ins : outs;
            size_t *n = is_in ? &n_in : &n_out;
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
                                "[--device auto|cpu|cuda] [--precision fp32|fp16] [--threads N]");
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
done:
    for (size_t k = 0; k < n_in; k++) npy_free(&arrays[k]);
    for (size_t k = 0; k < n_out; k++) free(out_data[k]);
    glint_context_free(c);
    glint_engine_free(e);
    return rc;
}
