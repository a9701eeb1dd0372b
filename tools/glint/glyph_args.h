/* The command line of the glyph subcommands (raster, restyle, render,
 * atlas): each names its own options in a small table; the options every
 * one of them has (--output/-o, --size, --face, --keep-going, --metrics,
 * --help, and for the model-running ones --model-dir and the engine flags)
 * and the checks of --size and the output's extension are read here. */
#ifndef GLINT_GLYPH_ARGS_H
#define GLINT_GLYPH_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "glint.h"
#include "glyph_cli.h"

/* One command-specific option: a value (str), a switch (flag) or a whole
 * number within [lo, hi] (num); exactly one of the three is set. Only a
 * value option can be required. */
typedef struct gc_opt {
    const char *name;
    const char **str;
    bool *flag;
    long *num;
    long lo, hi;
    bool required;
} gc_opt;

typedef struct gc_command {
    const char *name;        /* "raster": error prefix and "(glint raster --help)" */
    const char *usage;       /* printed by --help */
    const char *output_name; /* "--output" or "-o", as the usage spells it (both are accepted) */
    bool png_only;           /* the output must be .png (else .npy or .png) */
    bool models;             /* accepts --model-dir and --device/--precision/--threads/--calibration */
} gc_command;

/* What the shared options held, checked. */
typedef struct gc_args {
    const char *output, *metrics, *model_dir;
    int size;
    gc_format fmt;
    long face;
    bool keep_going;
    glint_engine_options eo;
} gc_args;

/* gc_parse_args's answer when the command goes on (else it is the exit code:
 * 0 after --help, 2 after an error, already printed). */
#define GC_GO_ON (-1)

/* Reads argv into a and the table's destinations; checks that the required
 * options, --size and the output are given, then --size and the output's
 * extension (in that order). */
int gc_parse_args(const gc_command *c, const gc_opt *opts, size_t n_opts, int argc, char **argv,
                  gc_args *a);

#endif
