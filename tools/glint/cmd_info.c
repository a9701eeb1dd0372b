/* glint info MODEL [--bucket NxHxW ...] [--device D]: what a model is and
 * what planning it costs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_io(const char *kind, const glint_io_info *io) {
    printf("  %-6s %-16s %-8s [", kind, io->name, glint_dtype_name(io->dtype));
    for (int d = 0; d < io->rank; d++) {
        if (io->dims[d] < 0) printf("%s?", d ? "," : "");
        else printf("%s%lld", d ? "," : "", (long long)io->dims[d]);
    }
    printf("]%s\n", io->value_selects_plan ? "  (its value selects the plan)" : "");
}

/* Does the plan depend on input values? (Then plans are made per value at
 * the first run, and there is nothing to show before.) */
static bool plans_per_value(const glint_engine *e) {
    for (size_t i = 0; i < glint_engine_input_count(e); i++) {
        glint_io_info io;
        if (glint_engine_input_info(e, i, &io) == GLINT_OK && io.value_selects_plan) return true;
    }
    return false;
}

static bool parse_bucket(const char *s, glint_bucket *b) {
    int n, h, w;
    char tail;
    if (sscanf(s, "%dx%dx%d%c", &n, &h, &w, &tail) != 3 || n < 1 || h < 1 || w < 1) return false;
    *b = (glint_bucket){n, h, w};
    return true;
}

/* A model whose inputs have no dynamic dims has exactly one plan. */
static bool has_dynamic_dims(const glint_engine *e) {
    for (size_t i = 0; i < glint_engine_input_count(e); i++) {
        glint_io_info io;
        glint_engine_input_info(e, i, &io);
        for (int d = 0; d < io.rank; d++)
            if (io.dims[d] < 0) return true;
    }
    return false;
}

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    glint_bucket buckets[64];
    size_t nb = 0;
    glint_engine_options opt;
    glint_engine_options_init(&opt);
    opt.device = GLINT_DEVICE_CPU;
    opt.log = cli_log;
    for (int i = 1; i < argc; i++) {
        bool matched;
        if (!cli_engine_flag("info", argc, argv, &i, &opt, &matched)) return 1;
        if (matched) continue;
        if (strcmp(argv[i], "--bucket") == 0) {
            const char *v = cli_value("info", argc, argv, &i);
            if (!v) return 1;
            if (nb == 64 || !parse_bucket(v, &buckets[nb]))
                return cli_error("info", "--bucket: '%s' is not BATCHxHEIGHTxWIDTH (at most 64)", v);
            nb++;
        } else if (argv[i][0] == '-') {
            return cli_error("info", "unknown option %s", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return cli_error("info", "more than one model given ('%s')", argv[i]);
        }
    }
    if (!path) return cli_error("info", "usage: glint info MODEL [--bucket NxHxW ...] [--device D]");
    glint_engine *e;
    char err[512];
    if (glint_engine_create_from_file(path, &opt, &e, err, sizeof err) != GLINT_OK)
        return cli_error("info", "%s", err);
    glint_model_info mi;
    glint_engine_model_info(e, &mi);
    printf("model      %s\n", path);
    printf("producer   %s\n", mi.producer[0] ? mi.producer : "(none)");
    printf("opset      %lld (ir %lld)\n", (long long)mi.opset, (long long)mi.ir_version);
    printf("parameters %lld\n", (long long)mi.parameter_count);
    printf("device     %s, %s\n", glint_device_name(glint_engine_device(e)),
           glint_precision_name(glint_engine_precision(e)));
    printf("io\n");
    for (size_t i = 0; i < glint_engine_input_count(e); i++) {
        glint_io_info io;
        glint_engine_input_info(e, i, &io);
        print_io("input", &io);
    }
    for (size_t i = 0; i < glint_engine_output_count(e); i++) {
        glint_io_info io;
        glint_engine_output_info(e, i, &io);
        print_io("output", &io);
    }
    printf("operators (%zu types in the model, %zu nodes after graph passes)\n", mi.operator_type_count, mi.node_count);
    for (size_t i = 0; i < mi.operator_type_count; i++) {
        const char *op;
        size_t count;
        glint_engine_operator(e, i, &op, &count);
        printf("  %-24s %zu\n", op, count);
    }
    static const char *const keys[] = {"glint.role", "glint.style_dim", "glint.ref_chars",
                                        "glint.content_font", "glint.raster", "glint.resolutions"};
    bool any_meta = false;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *v = glint_engine_metadata(e, keys[k]);
        if (!v) continue;
        if (!any_meta) printf("metadata\n");
        any_meta = true;
        printf("  %-20s %s\n", keys[k], v);
    }
    if (nb == 0) {
        if (has_dynamic_dims(e)) {
            static const int batches[] = {1, 8, 32}, sizes[] = {32, 64, 128};
            for (size_t bi = 0; bi < 3; bi++)
                for (size_t si = 0; si < 3; si++) buckets[nb++] = (glint_bucket){batches[bi], sizes[si], sizes[si]};
        } else {
            buckets[nb++] = (glint_bucket){1, 1, 1}; /* ignored: every dim is fixed */
        }
    }
    if (plans_per_value(e)) {
        printf("plans\n  one per value of the inputs marked above, made at the first run with it\n");
        glint_engine_free(e);
        return 0;
    }
    printf("plans\n  %-14s %12s %12s %8s %10s\n", "bucket", "MFLOP", "arena KiB", "steps", "plan ms");
    int rc = 0;
    for (size_t i = 0; i < nb; i++) {
        glint_plan_info pi;
        if (glint_engine_plan_info(e, buckets[i], &pi, err, sizeof err) != GLINT_OK) {
            if (plans_per_value(e)) { /* found while planning this bucket */
                printf("  one per value of the inputs marked above, made at the first run with it\n");
                break;
            }
            cli_error("info", "%s", err);
            rc = 1;
            continue;
        }
        char label[48];
        if (has_dynamic_dims(e))
            snprintf(label, sizeof label, "%dx%dx%d", buckets[i].batch, buckets[i].height, buckets[i].width);
        else
            snprintf(label, sizeof label, "(fixed)");
        printf("  %-14s %12.1f %12.1f %8zu %10.2f\n", label, (double)pi.flops / 1e6,
               (double)pi.arena_bytes / 1024.0, pi.step_count, pi.plan_ms);
    }
    glint_engine_free(e);
    return rc;
}
