#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"

static void set_error(gl_err *err, glint_status status, const void *need_tensor,
                      const char *fmt, va_list ap) {
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    err->status = status;
    err->need_tensor = need_tensor;
}

glint_status gl_fail(gl_err *err, glint_status status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_error(err, status, NULL, fmt, ap);
        va_end(ap);
    }
    return status;
}

glint_status gl_fail_needs_value(gl_err *err, const void *tensor, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_error(err, GLINT_ERR_UNSUPPORTED, tensor, fmt, ap);
        va_end(ap);
    }
    return GLINT_ERR_UNSUPPORTED;
}

glint_status gl_err_prefix(gl_err *err, const char *fmt, ...) {
    if (!err) return GLINT_ERR_INTERNAL;
    char old[GL_ERR_MAX];
    memcpy(old, err->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : (size_t)n < sizeof err->msg ? (size_t)n : sizeof err->msg - 1;
    size_t room = sizeof err->msg - used;
    if (room > 2) {
        memcpy(err->msg + used, ": ", 2);
        used += 2;
        room -= 2;
        size_t len = strnlen(old, sizeof old - 1);
        if (len >= room) len = room - 1;
        memcpy(err->msg + used, old, len);
        err->msg[used + len] = '\0';
    }
    return err->status;
}

void gl_err_clear(gl_err *err) {
    if (err) {
        err->status = GLINT_OK;
        err->msg[0] = '\0';
        err->need_tensor = NULL;
        err->need_inputs = 0;
    }
}

void gl_err_copy_out(const gl_err *err, char *buf, size_t size) {
    if (!buf || size == 0) return;
    snprintf(buf, size, "%s", err ? err->msg : "");
}

static const char *const g_status_msg[] = {
#define GL_STATUS_MSG_(name, code, msg) [code] = msg,
    GLINT_STATUS_TABLE(GL_STATUS_MSG_)
#undef GL_STATUS_MSG_
};
static const char *const g_status_name[] = {
#define GL_STATUS_NAME_(name, code, msg) [code] = "GLINT_" #name,
    GLINT_STATUS_TABLE(GL_STATUS_NAME_)
#undef GL_STATUS_NAME_
};

const char *glint_status_str(glint_status s) {
    if ((unsigned)s >= GL_ARRAY_LEN(g_status_msg) || !g_status_msg[s]) return "unknown status";
    return g_status_msg[s];
}

const char *glint_status_name(glint_status s) {
    if ((unsigned)s >= GL_ARRAY_LEN(g_status_name) || !g_status_name[s]) return "GLINT_UNKNOWN";
    return g_status_name[s];
}
