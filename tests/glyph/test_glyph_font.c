/* glint_font: opening errors, the raster rule's invariants, missing glyphs,
 * advances; and the UTF-8 decoder. (Pixel equality with the Python rule is
 * raster_vs_python.py.) */
#include <math.h>

#include "glyph/glyph_internal.h"
#include "glyph_test_util.h"

static void test_open_errors(const char *dir) {
    char err[512], path[600];
    glint_font *f = (glint_font *)1;
    snprintf(path, sizeof path, "%s/none.ttf", dir);
    CHECK(glint_font_open(path, 0, &f, err, sizeof err) == GLINT_ERR_IO);
    CHECK(f == NULL);
    CHECK_MSG(strstr(err, "none.ttf") && !strchr(err, '\n'), "message '%s'", err);

    /* a corrupt file: random bytes */
    snprintf(path, sizeof path, "%s/corrupt.ttf", dir);
    FILE *fp = fopen(path, "wb");
    for (int i = 0; i < 4096; i++) fputc((int)(tl_rand_u64() & 0xFF), fp);
    fclose(fp);
    CHECK(glint_font_open(path, 0, &f, err, sizeof err) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err, "corrupt.ttf") && strstr(err, "not a font"), "message '%s'", err);
    /* an empty file */
    fp = fopen(path, "wb");
    fclose(fp);
    CHECK(glint_font_open(path, 0, &f, err, sizeof err) == GLINT_ERR_INVALID_ARGUMENT);
    /* a directory */
    CHECK(glint_font_open(dir, 0, &f, err, sizeof err) == GLINT_ERR_IO);

    CHECK(glint_font_open(gt_font(), 3, &f, err, sizeof err) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(err, "face index 3 is out of range (the file has 1 face)"), "message '%s'", err);
    CHECK(glint_font_open(gt_font(), -1, &f, err, sizeof err) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(glint_font_open(NULL, 0, &f, err, sizeof err) == GLINT_ERR_INVALID_ARGUMENT);
}

static void test_raster(void) {
    glint_font *f = NULL;
    char err[256];
    CHECK_OK(glint_font_open(gt_font(), 0, &f, err, sizeof err));
    if (!f) return;
    CHECK(glint_font_face_count(f) == 1);
    CHECK(strcmp(glint_font_family(f), "DejaVu Sans") == 0);
    CHECK(glint_font_has_char(f, 'A') && !glint_font_has_char(f, 0x4E00));

    for (int trial = 0; trial < 40; trial++) {
        int size = 16 + (int)(tl_rand_u64() % 241);
        uint32_t cp = 0x21 + (uint32_t)(tl_rand_u64() % 94); /* printable ASCII */
        size_t px = (size_t)size * size;
        float *img = malloc(px * sizeof(float));
        tl_poison(img, px);
        CHECK_OK(glint_font_raster(f, cp, size, img));
        double ink = 0;
        bool in_range = true;
        for (size_t i = 0; i < px; i++) {
            if (!(img[i] >= 0.0f && img[i] <= 1.0f)) in_range = false;
            ink += img[i];
        }
        CHECK_MSG(in_range, "U+%04X size %d: a pixel is NaN or outside [0,1]", (unsigned)cp, size);
        CHECK_MSG(ink > 0, "U+%04X size %d has no ink", (unsigned)cp, size);
        /* coverage values are k/255 exactly */
        bool quantised = true;
        for (size_t i = 0; i < px; i++) {
            float k = img[i] * 255.0f;
            if (fabsf(k - roundf(k)) > 1e-3f) quantised = false;
        }
        CHECK(quantised);
        free(img);
    }

    /* 'H' at 64: baseline row 46 (= lround(64 × 0.725)); the stems end on
     * it (ink on row 45, none on row 47), and the glyph is centred. */
    float img[64 * 64];
    CHECK_OK(glint_font_raster(f, 'H', 64, img));
    float row45 = 0, row47 = 0, left = 0, right = 0;
    for (int x = 0; x < 64; x++) {
        row45 += img[45 * 64 + x];
        row47 += img[47 * 64 + x];
        for (int y = 0; y < 64; y++) *(x < 32 ? &left : &right) += img[y * 64 + x];
    }
    CHECK(row45 > 4.0f && row47 == 0.0f);
    CHECK_MSG(fabsf(left - right) < 0.1f * (left + right), "H not centred: %f vs %f", left, right);

    /* missing: NOT_FOUND, an all-zero box (not .notdef), a message */
    tl_poison(img, 64 * 64);
    CHECK(glint_font_raster(f, 0x4E00, 64, img) == GLINT_ERR_NOT_FOUND);
    bool zero = true;
    for (int i = 0; i < 64 * 64; i++) zero &= img[i] == 0.0f;
    CHECK(zero);
    CHECK(strstr(glint_font_last_error(f), "U+4E00") != NULL);

    CHECK(glint_font_raster(f, 'A', 15, img) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(glint_font_raster(f, 'A', 257, img) == GLINT_ERR_INVALID_ARGUMENT);
    CHECK(strstr(glint_font_last_error(f), "16..256") != NULL);

    int adv_i = 0, adv_m = 0;
    CHECK_OK(glint_font_advance(f, 'i', 64, &adv_i));
    CHECK_OK(glint_font_advance(f, 'M', 64, &adv_m));
    CHECK(adv_i > 5 && adv_m > adv_i && adv_m < 64);
    CHECK(glint_font_advance(f, 0x4E00, 64, &adv_i) == GLINT_ERR_NOT_FOUND);
    glint_font_close(f);
    glint_font_close(NULL);
}

static void test_rule_parse(void) {
    gl_raster_rule r;
    gl_err e;
    CHECK_OK(gl_raster_rule_parse("glint-raster-1 ppem=0.75 baseline=0.725 hinting=none render=normal halign=advance-center", &r, &e));
    CHECK(r.ppem == 0.75 && r.baseline == 0.725);
    CHECK_OK(gl_raster_rule_parse("glint-raster-1 ppem=0.5 baseline=0.8", &r, &e));
    CHECK(r.ppem == 0.5 && r.baseline == 0.8);
    CHECK(gl_raster_rule_parse("glint-raster-2 ppem=0.5", &r, &e) == GLINT_ERR_UNSUPPORTED);
    CHECK(gl_raster_rule_parse("glint-raster-1 hinting=light", &r, &e) == GLINT_ERR_UNSUPPORTED);
    CHECK(gl_raster_rule_parse("glint-raster-1 ppem=abc", &r, &e) == GLINT_ERR_INVALID_MODEL);
}

static void test_utf8(void) {
    uint32_t cps[8];
    size_t bad = 99;
    CHECK(gl_utf8_decode("aé€😀", cps, 8, &bad) == 4);
    CHECK(cps[0] == 'a' && cps[1] == 0xE9 && cps[2] == 0x20AC && cps[3] == 0x1F600);
    CHECK(gl_utf8_decode("", cps, 8, &bad) == 0);
    CHECK(gl_utf8_decode("ab\xff", cps, 8, &bad) == -1 && bad == 2);
    CHECK(gl_utf8_decode("\xc0\xaf", cps, 8, &bad) == -1 && bad == 0);           /* overlong */
    CHECK(gl_utf8_decode("x\xed\xa0\x80", cps, 8, &bad) == -1 && bad == 1);      /* surrogate */
    CHECK(gl_utf8_decode("\xf4\x90\x80\x80", cps, 8, &bad) == -1);              /* > U+10FFFF */
    CHECK(gl_utf8_decode("\xe2\x82", cps, 8, &bad) == -1 && bad == 0);          /* truncated */
    CHECK(gl_utf8_decode("abc", NULL, 0, NULL) == 3);
    /* random valid strings round-trip */
    for (int t = 0; t < 200; t++) {
        uint32_t want[4];
        unsigned char buf[17];
        size_t len = 0;
        for (int i = 0; i < 4; i++) {
            uint32_t c;
            do c = (uint32_t)(tl_rand_u64() % 0x110000); while ((c >= 0xD800 && c <= 0xDFFF) || c == 0);
            want[i] = c;
            if (c < 0x80) buf[len++] = (unsigned char)c;
            else if (c < 0x800) { buf[len++] = (unsigned char)(0xC0 | c >> 6); buf[len++] = (unsigned char)(0x80 | (c & 63)); }
            else if (c < 0x10000) { buf[len++] = (unsigned char)(0xE0 | c >> 12); buf[len++] = (unsigned char)(0x80 | ((c >> 6) & 63)); buf[len++] = (unsigned char)(0x80 | (c & 63)); }
            else { buf[len++] = (unsigned char)(0xF0 | c >> 18); buf[len++] = (unsigned char)(0x80 | ((c >> 12) & 63)); buf[len++] = (unsigned char)(0x80 | ((c >> 6) & 63)); buf[len++] = (unsigned char)(0x80 | (c & 63)); }
        }
        buf[len] = 0;
        uint32_t got[4] = {0};
        CHECK(gl_utf8_decode((const char *)buf, got, 4, NULL) == 4 && memcmp(got, want, sizeof want) == 0);
    }
}

int main(void) {
    tl_seed_from_env();
    const char *dir = gt_tmpdir();
    test_open_errors(dir);
    test_raster();
    test_rule_parse();
    test_utf8();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return TEST_END();
}
