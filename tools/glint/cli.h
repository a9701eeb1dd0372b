/* Shared helpers for the glint subcommands. */
#ifndef GLINT_CLI_H
#define GLINT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "glint.h"

/* Prints "glint <cmd>: message" to stderr and returns 1 (the exit code). */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The value after an option; NULL (and an error printed) when missing. */
const char *cli_value(const char *cmd, int argc, char **argv, int *i);
/* Parses a positive int within [lo, hi]; false and an error printed otherwise. */
bool cli_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);
/* Engine options from the common flags --device, --precision, --threads and
 * --calibration FILE (int8 scales from `glint calibrate`). */
bool cli_engine_flag(const char *cmd, int argc, char **argv, int *i, glint_engine_options *o,
                     bool *matched);
/* A log callback printing "glint: message" to stderr. */
void cli_log(void *user, glint_log_level level, const char *message);

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_calibrate(int argc, char **argv); /* built with the quantisation tools */

#endif
