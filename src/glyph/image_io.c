/* Output files: PNG (libpng), .npy and plain bytes, each written to a
 * temporary file beside the destination and renamed over it at the end, so
 * that no reader ever sees a half-written file and a failure leaves nothing. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <png.h>

#include "glyph/glyph_internal.h"

/* A temporary file beside path, created with O_EXCL (so the umask applies,
 * unlike mkstemp's 0600). The name mixes the pid, the clock and a stack
 * address, retried on collision. */
static FILE *open_temp(const char *path, char *tmp, size_t tmp_size, gl_err *err) {
    if (!path || !*path) {
        gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "output path is empty");
        return NULL;
    }
    for (int attempt = 0; attempt < 64; attempt++) {
        uint64_t salt = (uint64_t)gl_now_us() ^ ((uint64_t)(uintptr_t)&attempt << 7) ^ (uint64_t)attempt * 0x9E3779B97F4A7C15ull;
        int n = snprintf(tmp, tmp_size, "%s.tmp-%ld-%" PRIx64, path, (long)getpid(), (uint64_t)(salt & 0xFFFFFFFFFFull));
        if (n < 0 || (size_t)n >= tmp_size) {
            gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "output path '%s' is too long", path);
            return NULL;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            FILE *fp = fdopen(fd, "wb");
            if (!fp) {
                close(fd);
                unlink(tmp);
                gl_fail(err, GLINT_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
            }
            return fp;
        }
        if (errno != EEXIST) {
            gl_fail(err, GLINT_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
            return NULL;
        }
    }
    gl_fail(err, GLINT_ERR_IO, "cannot write '%s': no free temporary name", path);
    return NULL;
}

/* Closes fp and renames tmp over path, or removes tmp when ok is false or
 * anything fails. */
static glint_status finish_temp(FILE *fp, const char *tmp, const char *path, bool ok, gl_err *err) {
    bool write_ok = ok && !ferror(fp) && fflush(fp) == 0;
    int saved = errno;
    bool close_ok = fclose(fp) == 0;
    if (!write_ok || !close_ok) {
        unlink(tmp);
        if (!ok) return err ? err->status : GLINT_ERR_IO;
        return gl_fail(err, GLINT_ERR_IO, "cannot write '%s': %s", path, strerror(write_ok ? errno : saved));
    }
    if (rename(tmp, path) != 0) {
        saved = errno;
        unlink(tmp);
        return gl_fail(err, GLINT_ERR_IO, "cannot write '%s': %s", path, strerror(saved));
    }
    return GLINT_OK;
}

glint_status gl_write_file_atomic(const char *path, const void *data, size_t size, gl_err *err) {
    char tmp[4096];
    FILE *fp = open_temp(path, tmp, sizeof tmp, err);
    if (!fp) return err ? err->status : GLINT_ERR_IO;
    bool ok = size == 0 || fwrite(data, 1, size, fp) == size;
    if (!ok) gl_fail(err, GLINT_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return finish_temp(fp, tmp, path, ok, err);
}

/* libpng reports errors through longjmp; this file keeps setjmp to the one
 * function below, with every object it touches after setjmp volatile or
 * set before it. */
static void png_error_fn(png_structp png, png_const_charp msg) {
    gl_err *err = png_get_error_ptr(png);
    gl_fail(err, GLINT_ERR_IO, "libpng: %s", msg);
    png_longjmp(png, 1);
}
static void png_warning_fn(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static bool png_encode(FILE *fp, int width, int height, int channels, const uint8_t *pixels,
                       gl_err *err) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, err, png_error_fn, png_warning_fn);
    if (!png) {
        gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "libpng: cannot create a writer");
        return false;
    }
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        if (!info) gl_fail(err, GLINT_ERR_OUT_OF_MEMORY, "libpng: cannot create a writer");
        return false;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)width * (size_t)channels;
    for (int y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return true;
}

glint_status gl_write_png(const char *path, int width, int height, int channels,
                          const uint8_t *pixels, gl_err *err) {
    if (width <= 0 || height <= 0 || width > 1 << 20 || height > 1 << 20 || (channels != 1 && channels != 3))
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "PNG '%s': bad image %dx%dx%d", path, width, height, channels);
    char tmp[4096];
    FILE *fp = open_temp(path, tmp, sizeof tmp, err);
    if (!fp) return err ? err->status : GLINT_ERR_IO;
    gl_err local;
    gl_err_clear(&local);
    bool ok = png_encode(fp, width, height, channels, pixels, &local);
    if (!ok) gl_fail(err, local.status, "PNG '%s': %s", path, local.msg);
    return finish_temp(fp, tmp, path, ok, err);
}

glint_status gl_write_npy_f32(const char *path, const int64_t *dims, int rank, const float *data,
                              gl_err *err) {
    if (rank < 0 || rank > GL_MAX_RANK)
        return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "npy '%s': rank %d", path, rank);
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || !gl_mul_size(count, (size_t)dims[i], &count))
            return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "npy '%s': bad dimension %" PRId64, path, dims[i]);
        n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%" PRId64 "%s", dims[i], rank == 1 ? "," : (i + 1 < rank ? ", " : ""));
    }
    n += snprintf(hdr + n, sizeof hdr - (size_t)n, "), }");
    /* magic(6) + version(2) + header length(2) + header, padded with spaces
     * and ended by '\n' to a multiple of 64 bytes. */
    size_t total = gl_align_up(10 + (size_t)n + 1, 64);
    size_t hlen = total - 10;
    unsigned char pre[512];
    memcpy(pre, "\x93NUMPY\x01\x00", 8);
    pre[8] = (unsigned char)(hlen & 0xFF);
    pre[9] = (unsigned char)(hlen >> 8);
    memcpy(pre + 10, hdr, (size_t)n);
    memset(pre + 10 + n, ' ', hlen - (size_t)n - 1);
    pre[total - 1] = '\n';

    char tmp[4096];
    FILE *fp = open_temp(path, tmp, sizeof tmp, err);
    if (!fp) return err ? err->status : GLINT_ERR_IO;
    bool ok = fwrite(pre, 1, total, fp) == total;
    /* float32 little-endian: the hosts glint builds on are little-endian; a
     * big-endian host swaps bytes here. */
    const uint16_t probe = 1;
    if (ok && *(const uint8_t *)&probe == 1) {
        ok = count == 0 || fwrite(data, sizeof(float), count, fp) == count;
    } else {
        for (size_t i = 0; ok && i < count; i++) {
            uint32_t u;
            memcpy(&u, &data[i], 4);
            uint8_t b[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
            ok = fwrite(b, 1, 4, fp) == 4;
        }
    }
    if (!ok) gl_fail(err, GLINT_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return finish_temp(fp, tmp, path, ok, err);
}
