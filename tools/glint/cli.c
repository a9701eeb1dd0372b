#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "glint %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

const char *cli_value(const char *cmd, int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        cli_error(cmd, "option %s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

bool cli_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        cli_error(cmd, "%s: '%s' is not a whole number in %ld..%ld", opt, s, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

bool cli_engine_flag(const char *cmd, int argc, char **argv, int *i, glint_engine_options *o,
                     bool *matched) {
    const char *a = argv[*i];
    *matched = true;
    if (strcmp(a, "--device") == 0) {
        const char *v = cli_value(cmd, argc, argv, i);
        if (!v) return false;
        if (glint_device_parse(v, &o->device) != GLINT_OK) {
            cli_error(cmd, "--device: '%s' is not one of auto, cpu, cuda", v);
            return false;
        }
        return true;
    }
    if (strcmp(a, "--precision") == 0) {
        const char *v = cli_value(cmd, argc, argv, i);
        if (!v) return false;
        if (glint_precision_parse(v, &o->precision) != GLINT_OK) {
            cli_error(cmd, "--precision: '%s' is not one of fp32, fp16, bf16, int8", v);
            return false;
        }
        return true;
    }
    if (strcmp(a, "--threads") == 0) {
        const char *v = cli_value(cmd, argc, argv, i);
        long n;
        if (!v || !cli_int(cmd, "--threads", v, 0, 1024, &n)) return false;
        o->threads = (int)n;
        return true;
    }
    if (strcmp(a, "--calibration") == 0) {
        const char *v = cli_value(cmd, argc, argv, i);
        if (!v) return false;
        o->calibration_path = v;
        return true;
    }
    *matched = false;
    return true;
}

void cli_log(void *user, glint_log_level level, const char *message) {
    (void)user;
    static const char *const names[] = {"error", "warning", "info", "debug"};
    fprintf(stderr, "glint: %s: %s\n", names[level <= GLINT_LOG_DEBUG ? level : 3], message);
}
