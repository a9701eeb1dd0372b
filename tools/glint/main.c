/* `glint`: the command line. One subcommand per file (cmd_*.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#ifdef GLINT_HAVE_GLYPH
#include "glyph_cmds.h"
#endif
#ifdef GLINT_HAVE_BENCH_CMD
#include "bench_cmds.h"
#endif

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} command;

static const command k_commands[] = {
    {"info", cmd_info, "MODEL                      inputs, outputs, operators, FLOPs, arena per bucket"},
    {"run", cmd_run, "MODEL --input N=F.npy ... --output N=F.npy [--device D] [--precision P] [--threads T]"},
#ifdef GLINT_HAVE_CALIBRATE_CMD
    {"calibrate", cmd_calibrate, "MODEL (--fonts F1,F2,... | --inputs DIR) -o MODEL.calib   INT8 calibration"},
#endif
#ifdef GLINT_HAVE_BENCH_CMD
    {"bench", cmd_bench, "MODEL --device D --batch N --size H [--json] | --suite   time a model"},
#endif
#ifdef GLINT_HAVE_GLYPH
    {"raster", cmd_raster, "--font F --chars S --size N --output X.npy|X.png"},
    {"restyle", cmd_restyle, "--style-font F --chars S --size N --output X.npy|X.png"},
    {"render", cmd_render, "--font F --text T --size N -o out.png [--show-synth]"},
    {"atlas", cmd_atlas, "--style-font F --range U+0100-U+017F --size N -o atlas.png"},
#endif
};

static void usage(FILE *f) {
    fprintf(f, "glint %s — inference engine for neural glyph models\n\nusage:\n", glint_version());
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        fprintf(f, "  glint %-9s %s\n", k_commands[i].name, k_commands[i].help);
    fprintf(f, "  glint version\n");
#ifndef GLINT_HAVE_GLYPH
    fprintf(f, "\n(raster, restyle, render and atlas need glint built with FreeType and libpng)\n");
#endif
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("glint %s\n", glint_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        if (strcmp(argv[1], k_commands[i].name) == 0) return k_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "glint: unknown command '%s' (glint --help lists them)\n", argv[1]);
    return 2;
}
