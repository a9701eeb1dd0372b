/* The writers: .npy and PNG read back equal to what was written (random
 * data), unwritable paths fail with one line and leave no file, and no
 * temporary file is ever left behind. */
#include <dirent.h>
#include <png.h>
#include <sys/stat.h>

#include "glyph/glyph_internal.h"
#include "glyph_test_util.h"

static int count_files(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

static void test_npy(const char *dir) {
    char path[600];
    snprintf(path, sizeof path, "%s/a.npy", dir);
    int64_t dims[4] = {3, 1, 17, 23};
    size_t n = 3 * 17 * 23;
    float *x = malloc(n * sizeof(float));
    tl_fill_uniform(x, n, -2, 2);
    gl_err e;
    CHECK_OK(gl_write_npy_f32(path, dims, 4, x, &e));
    size_t size = 0;
    unsigned char *b = tl_read_file(path, &size);
    CHECK(b && size > 10 && memcmp(b, "\x93NUMPY\x01\x00", 8) == 0);
    if (b) {
        size_t hlen = b[8] | (size_t)b[9] << 8;
        CHECK((10 + hlen) % 64 == 0 && size == 10 + hlen + n * sizeof(float));
        CHECK(strstr((char *)b + 10, "'shape': (3, 1, 17, 23)") != NULL);
        CHECK(strstr((char *)b + 10, "'descr': '<f4'") != NULL);
        CHECK(b[10 + hlen - 1] == '\n');
        CHECK(memcmp(b + 10 + hlen, x, n * sizeof(float)) == 0);
        free(b);
    }
    /* rank 1 keeps the trailing comma of a Python 1-tuple */
    int64_t d1[1] = {5};
    CHECK_OK(gl_write_npy_f32(path, d1, 1, x, &e));
    b = tl_read_file(path, &size);
    CHECK(b && strstr((char *)b + 10, "'shape': (5,)") != NULL);
    free(b);
    free(x);
}

static void test_png(const char *dir) {
    char path[600];
    snprintf(path, sizeof path, "%s/a.png", dir);
    for (int channels = 1; channels <= 3; channels += 2) {
        int w = 37, h = 19;
        size_t n = (size_t)w * h * channels;
        uint8_t *px = malloc(n);
        for (size_t i = 0; i < n; i++) px[i] = (uint8_t)tl_rand_u64();
        gl_err e;
        CHECK_OK(gl_write_png(path, w, h, channels, px, &e));
        png_image img;
        memset(&img, 0, sizeof img);
        img.version = PNG_IMAGE_VERSION;
        CHECK(png_image_begin_read_from_file(&img, path) != 0);
        CHECK(img.width == (png_uint_32)w && img.height == (png_uint_32)h);
        img.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
        uint8_t *back = malloc(n);
        CHECK(png_image_finish_read(&img, NULL, back, 0, NULL) != 0);
        CHECK(memcmp(back, px, n) == 0);
        free(back);
        free(px);
    }
}

static void test_failures(const char *dir) {
    char path[600];
    gl_err e;
    gl_err_clear(&e);
    uint8_t px[16 * 16] = {0};
    float f[4] = {1, 2, 3, 4};
    int64_t d[1] = {4};
    CHECK(gl_write_png("/nonexistent-dir/x.png", 16, 16, 1, px, &e) == GLINT_ERR_IO);
    CHECK_MSG(strstr(e.msg, "/nonexistent-dir/x.png") && !strchr(e.msg, '\n'), "'%s'", e.msg);
    CHECK(gl_write_npy_f32("/nonexistent-dir/x.npy", d, 1, f, &e) == GLINT_ERR_IO);
    CHECK(gl_write_file_atomic("", "x", 1, &e) == GLINT_ERR_INVALID_ARGUMENT);
    /* a read-only directory (meaningless as root, who may write anyway) */
    snprintf(path, sizeof path, "%s/ro", dir);
    mkdir(path, 0555);
    if (geteuid() != 0) {
        snprintf(path, sizeof path, "%s/ro/x.png", dir);
        CHECK(gl_write_png(path, 16, 16, 1, px, &e) == GLINT_ERR_IO);
    }
    /* the destination is a directory: the rename fails, the temp file goes */
    snprintf(path, sizeof path, "%s/ro", dir);
    CHECK(gl_write_png(path, 16, 16, 1, px, &e) == GLINT_ERR_IO);
    /* a bad image is refused before anything is created */
    snprintf(path, sizeof path, "%s/bad.png", dir);
    CHECK(gl_write_png(path, 0, 16, 1, px, &e) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(access(path, F_OK) != 0);
    /* replacing an existing file is atomic: the old one stays until rename */
    snprintf(path, sizeof path, "%s/same.bin", dir);
    CHECK_OK(gl_write_file_atomic(path, "old", 3, &e));
    CHECK_OK(gl_write_file_atomic(path, "new!", 4, &e));
    size_t size = 0;
    char *b = tl_read_file(path, &size);
    CHECK(b && size == 4 && memcmp(b, "new!", 4) == 0);
    free(b);
}

int main(void) {
    tl_seed_from_env();
    const char *dir = gt_tmpdir();
    test_npy(dir);
    test_png(dir);
    test_failures(dir);
    /* a.npy, a.png, ro, same.bin: nothing else (no temporary files) */
    CHECK_MSG(count_files(dir) == 4, "%d files in %s", count_files(dir), dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", dir, dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return TEST_END();
}
