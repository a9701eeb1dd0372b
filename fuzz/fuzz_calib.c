/* libFuzzer target: arbitrary bytes through the calibration file parser
 * (MODEL.calib is read from disk, beside a model or named by the caller).
 * A parse either fails with a message or gives a calibration that formats
 * and parses back to the same text. Any crash, hang, leak or sanitizer
 * report is a bug. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "quant/quant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gl_calib *c = NULL;
    gl_err err;
    if (gl_calib_parse(NULL, (const char *)data, size, &c, &err) != GLINT_OK) {
        if (err.msg[0] == '\0') __builtin_trap();
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    if (gl_calib_format(c, &text, &len, &err) == GLINT_OK) {
        gl_calib *again = NULL;
        if (gl_calib_parse(NULL, text, len, &again, &err) != GLINT_OK) __builtin_trap();
        char *text2 = NULL;
        size_t len2 = 0;
        if (gl_calib_format(again, &text2, &len2, &err) != GLINT_OK || len2 != len ||
            memcmp(text, text2, len) != 0)
            __builtin_trap();
        gl_free(again->alloc, text2);
        gl_calib_free(again);
    }
    gl_free(c->alloc, text);
    gl_calib_free(c);
    return 0;
}
