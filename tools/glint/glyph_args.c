#include "glyph_args.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

static const gc_opt *find_opt(const gc_opt *opts, size_t n_opts, const char *name) {
    for (size_t k = 0; k < n_opts; k++)
        if (!strcmp(opts[k].name, name)) return &opts[k];
    return NULL;
}

/* One option at argv[*i] (its value consumed); *matched false when it is
 * none of the shared or table options. */
static bool read_option(const gc_command *c, const gc_opt *opts, size_t n_opts, int argc, char **argv,
                        int *i, gc_args *a, bool *matched) {
    const char *name = argv[*i];
    *matched = true;
    if (!strcmp(name, "--keep-going")) {
        a->keep_going = true;
        return true;
    }
    const gc_opt *o = find_opt(opts, n_opts, name);
    if (o && o->flag) {
        *o->flag = true;
        return true;
    }
    const char **dst = o && o->str ? o->str
                     : (!strcmp(name, "--output") || !strcmp(name, "-o")) ? &a->output
                     : !strcmp(name, "--metrics") ? &a->metrics
                     : c->models && !strcmp(name, "--model-dir") ? &a->model_dir : NULL;
    if (dst) return (*dst = cli_value(c->name, argc, argv, i)) != NULL;
    if (o || !strcmp(name, "--face")) {
        const char *v = cli_value(c->name, argc, argv, i);
        return v && (o ? cli_int(c->name, name, v, o->lo, o->hi, o->num)
                       : cli_int(c->name, name, v, 0, 65535, &a->face));
    }
    if (c->models) return cli_engine_flag(c->name, argc, argv, i, &a->eo, matched);
    *matched = false;
    return true;
}

/* "--font, --chars, --size and --output are required (glint raster --help)" */
static void missing_required(const gc_command *c, const gc_opt *opts, size_t n_opts) {
    char list[256] = "";
    size_t len = 0;
    for (size_t k = 0; k < n_opts; k++)
        if (opts[k].required && len < sizeof list)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s, ", opts[k].name);
    cli_error(c->name, "%s--size and %s are required (glint %s --help)", list, c->output_name, c->name);
}

int gc_parse_args(const gc_command *c, const gc_opt *opts, size_t n_opts, int argc, char **argv,
                  gc_args *a) {
    memset(a, 0, sizeof *a);
    glint_engine_options_init(&a->eo);
    const char *size_s = NULL;
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
            fputs(c->usage, stdout);
            return 0;
        }
        if (!strcmp(name, "--size")) { /* checked after the loop, as the other checks */
            if (!(size_s = cli_value(c->name, argc, argv, &i))) return 2;
            continue;
        }
        bool matched;
        if (!read_option(c, opts, n_opts, argc, argv, &i, a, &matched)) return 2;
        if (!matched) {
            cli_error(c->name, "unknown option '%s' (glint %s --help)", name, c->name);
            return 2;
        }
    }
    bool complete = a->output && size_s;
    for (size_t k = 0; k < n_opts; k++)
        if (opts[k].required && !*opts[k].str) complete = false;
    if (!complete) {
        missing_required(c, opts, n_opts);
        return 2;
    }
    if (!gc_parse_size(c->name, size_s, &a->size) || !gc_output_format(c->name, a->output, c->png_only, &a->fmt))
        return 2;
    return GC_GO_ON;
}
