#include <string.h>
#include <time.h>

#include "common/common.h"

double gl_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

uint64_t gl_hash64(const void *data, size_t size, uint64_t seed) {
    const uint8_t *p = data;
    uint64_t h = 1469598103934665603ull ^ seed;
    for (size_t i = 0; i < size; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

const char *glint_version(void) { return "0.1.0"; }

const char *glint_device_name(glint_device d) {
    switch (d) {
    case GLINT_DEVICE_AUTO: return "auto";
    case GLINT_DEVICE_CPU: return "cpu";
    case GLINT_DEVICE_CUDA: return "cuda";
    }
    return "unknown";
}

const char *glint_precision_name(glint_precision p) {
    switch (p) {
    case GLINT_PRECISION_FP32: return "fp32";
    case GLINT_PRECISION_FP16: return "fp16";
    case GLINT_PRECISION_BF16: return "bf16";
    case GLINT_PRECISION_INT8: return "int8";
    }
    return "unknown";
}

glint_status glint_precision_parse(const char *name, glint_precision *out) {
    static const glint_precision all[] = {GLINT_PRECISION_FP32, GLINT_PRECISION_FP16,
                                          GLINT_PRECISION_BF16, GLINT_PRECISION_INT8};
    for (size_t i = 0; name && i < GL_ARRAY_LEN(all); i++)
        if (strcmp(name, glint_precision_name(all[i])) == 0) {
            *out = all[i];
            return GLINT_OK;
        }
    return GLINT_ERR_INVALID_ARGUMENT;
}

glint_status glint_device_parse(const char *name, glint_device *out) {
    static const glint_device all[] = {GLINT_DEVICE_AUTO, GLINT_DEVICE_CPU, GLINT_DEVICE_CUDA};
    for (size_t i = 0; name && i < GL_ARRAY_LEN(all); i++)
        if (strcmp(name, glint_device_name(all[i])) == 0) {
            *out = all[i];
            return GLINT_OK;
        }
    return GLINT_ERR_INVALID_ARGUMENT;
}
