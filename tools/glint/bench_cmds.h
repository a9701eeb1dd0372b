/* `glint bench`: timing of one configuration, or the whole benchmark suite
 * (bench/README.md). Called by the dispatcher in main.c. */
#ifndef GLINT_BENCH_CMDS_H
#define GLINT_BENCH_CMDS_H

int cmd_bench(int argc, char **argv);

#endif
