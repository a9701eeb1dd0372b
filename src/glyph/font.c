/* glint_font: one face of a font file, drawn by the models' placement rule
 * (docs/raster.md). Each font owns its own FT_Library, because FreeType's
 * library and face objects are not thread-safe; a mutex per font serialises
 * the calls on it, so fonts are independent and need no global state. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <ft2build.h>
#include FT_FREETYPE_H

#include "glyph/glyph_internal.h"

struct glint_font {
    FT_Library lib;
    FT_Face face;
    pthread_mutex_t lock;
    int face_count;
    int face_index;
    int set_ppem; /* ppem the face is set to now, 0 = none */
    char *path;
    char error[GL_ERR_MAX];
};

static glint_status font_fail(glint_font *f, gl_err *err, glint_status st, const char *fmt,
                              ...) GL_PRINTF(4, 5);

static glint_status font_fail(glint_font *f, gl_err *err, glint_status st, const char *fmt,
                              ...) {
    char msg[GL_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (f) snprintf(f->error, sizeof f->error, "%s", msg);
    return gl_fail(err, st, "%s", msg);
}

/* FreeType's own strings are compiled out of Debian's build; the errors a
 * user can cause get words here. */
static const char *ft_err_str(FT_Error e) {
    switch (e) {
    case FT_Err_Unknown_File_Format: return "unknown file format";
    case FT_Err_Invalid_File_Format: return "invalid file format";
    case FT_Err_Cannot_Open_Resource: return "cannot open the file";
    case FT_Err_Invalid_Table: return "a font table is broken";
    case FT_Err_Invalid_Outline: return "broken outline";
    case FT_Err_Out_Of_Memory: return "out of memory";
    default: break;
    }
    const char *s = FT_Error_String(e);
    return s ? s : "FreeType error";
}

void gl_raster_rule_default(gl_raster_rule *rule) {
    rule->ppem = 0.75;
    rule->baseline = 0.725;
}

glint_status gl_raster_rule_parse(const char *text, gl_raster_rule *rule, gl_err *err) {
    gl_raster_rule_default(rule);
    if (!text) return GLINT_OK;
    char buf[256];
    if (strlen(text) >= sizeof buf)
        return gl_fail(err, GLINT_ERR_INVALID_MODEL, "glint.raster '%.40s...' is too long", text);
    snprintf(buf, sizeof buf, "%s", text);
    char *save = NULL;
    char *tok = strtok_r(buf, " \t", &save);
    if (!tok || strcmp(tok, "glint-raster-1") != 0)
        return gl_fail(err, GLINT_ERR_UNSUPPORTED,
                       "glint.raster '%s': only the glint-raster-1 rule is supported", text);
    while ((tok = strtok_r(NULL, " \t", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq) return gl_fail(err, GLINT_ERR_INVALID_MODEL, "glint.raster: '%s' is not key=value", tok);
        *eq = '\0';
        const char *k = tok, *v = eq + 1;
        char *end = NULL;
        if (!strcmp(k, "ppem") || !strcmp(k, "baseline")) {
            double d = strtod(v, &end);
            if (end == v || *end || !(d > 0.0 && d < 2.0))
                return gl_fail(err, GLINT_ERR_INVALID_MODEL, "glint.raster: %s=%s is not a fraction in (0,2)", k, v);
            if (!strcmp(k, "ppem")) rule->ppem = d;
            else rule->baseline = d;
        } else if ((!strcmp(k, "hinting") && strcmp(v, "none")) ||
                   (!strcmp(k, "render") && strcmp(v, "normal")) ||
                   (!strcmp(k, "halign") && strcmp(v, "advance-center"))) {
            return gl_fail(err, GLINT_ERR_UNSUPPORTED, "glint.raster: %s=%s is not supported", k, v);
        }
        /* unknown keys are ignored: later rules may add informative fields */
    }
    return GLINT_OK;
}

glint_status glint_font_open(const char *path, int face_index, glint_font **out, char *error,
                             size_t error_size) {
    gl_err err;
    gl_err_clear(&err);
    glint_status st = GLINT_OK;
    if (out) *out = NULL;
    if (!path || !out) {
        st = gl_fail(&err, GLINT_ERR_INVALID_ARGUMENT, "glint_font_open: path and font must not be NULL");
        goto done;
    }
    struct stat sb;
    if (stat(path, &sb) != 0) {
        st = gl_fail(&err, GLINT_ERR_IO, "font '%s': %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(sb.st_mode)) {
        st = gl_fail(&err, GLINT_ERR_IO, "font '%s': not a regular file", path);
        goto done;
    }
    const glint_allocator *a = gl_default_allocator();
    glint_font *f = gl_calloc(a, 1, sizeof *f);
    if (!f) {
        st = gl_fail(&err, GLINT_ERR_OUT_OF_MEMORY, "font '%s': out of memory", path);
        goto done;
    }
    f->path = gl_strdup(a, path);
    if (!f->path || FT_Init_FreeType(&f->lib) != 0) {
        gl_free(a, f->path);
        gl_free(a, f);
        st = gl_fail(&err, GLINT_ERR_OUT_OF_MEMORY, "font '%s': cannot start FreeType", path);
        goto done;
    }
    pthread_mutex_init(&f->lock, NULL);
    /* Face -1 asks FreeType only for the number of faces, which tells a bad
     * index from a bad file. */
    FT_Face probe = NULL;
    FT_Error fe = FT_New_Face(f->lib, path, -1, &probe);
    if (fe != 0) {
        st = gl_fail(&err, fe == FT_Err_Cannot_Open_Resource ? GLINT_ERR_IO : GLINT_ERR_INVALID_ARGUMENT,
                     "font '%s': not a font file FreeType can read (%s)", path,
                     ft_err_str(fe));
        glint_font_close(f);
        goto done;
    }
    f->face_count = (int)probe->num_faces;
    FT_Done_Face(probe);
    if (face_index < 0 || face_index >= f->face_count) {
        st = gl_fail(&err, GLINT_ERR_INVALID_ARGUMENT, "font '%s': face index %d is out of range (the file has %d face%s)",
                     path, face_index, f->face_count, f->face_count == 1 ? "" : "s");
        glint_font_close(f);
        goto done;
    }
    fe = FT_New_Face(f->lib, path, face_index, &f->face);
    if (fe != 0) {
        st = gl_fail(&err, GLINT_ERR_INVALID_ARGUMENT, "font '%s': face %d cannot be read (%s)", path,
                     face_index, ft_err_str(fe));
        f->face = NULL;
        glint_font_close(f);
        goto done;
    }
    if (!FT_IS_SCALABLE(f->face)) {
        st = gl_fail(&err, GLINT_ERR_UNSUPPORTED, "font '%s': bitmap-only fonts are not supported (the rule needs outlines)", path);
        glint_font_close(f);
        goto done;
    }
    f->face_index = face_index;
    *out = f;
done:
    if (st != GLINT_OK) gl_err_copy_out(&err, error, error_size);
    return st;
}

void glint_font_close(glint_font *f) {
    if (!f) return;
    const glint_allocator *a = gl_default_allocator();
    if (f->face) FT_Done_Face(f->face);
    if (f->lib) FT_Done_FreeType(f->lib);
    pthread_mutex_destroy(&f->lock);
    gl_free(a, f->path);
    gl_free(a, f);
}

int glint_font_face_count(const glint_font *f) { return f ? f->face_count : 0; }
const char *glint_font_family(const glint_font *f) {
    return f && f->face->family_name ? f->face->family_name : "";
}
const char *glint_font_style(const glint_font *f) {
    return f && f->face->style_name ? f->face->style_name : "";
}
const char *glint_font_last_error(const glint_font *f) { return f ? f->error : ""; }
const char *gl_font_path(const glint_font *f) { return f->path; }
int gl_font_face_index(const glint_font *f) { return f->face_index; }

int glint_font_has_char(glint_font *f, uint32_t cp) {
    if (!f) return 0;
    pthread_mutex_lock(&f->lock);
    int has = FT_Get_Char_Index(f->face, cp) != 0;
    pthread_mutex_unlock(&f->lock);
    return has;
}

/* Floor division, also for negative numerators (the rule says so). */
static long floor_div(long a, long b) {
    long q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

static glint_status check_size(glint_font *f, gl_err *err, int size) {
    if (size < GLINT_GLYPH_MIN_SIZE || size > GLINT_GLYPH_MAX_SIZE)
        return font_fail(f, err, GLINT_ERR_INVALID_ARGUMENT, "size %d is outside %d..%d", size,
                         GLINT_GLYPH_MIN_SIZE, GLINT_GLYPH_MAX_SIZE);
    return GLINT_OK;
}

/* Sets the em size for a box size; called with the lock held. */
static glint_status set_size(glint_font *f, gl_err *err, int size, double ppem) {
    int px = (int)lround(size * ppem);
    if (px < 1) px = 1;
    if (f->set_ppem == px) return GLINT_OK;
    FT_Error fe = FT_Set_Pixel_Sizes(f->face, 0, (FT_UInt)px);
    if (fe != 0)
        return font_fail(f, err, GLINT_ERR_INVALID_ARGUMENT, "font '%s': cannot set %d px per em", f->path, px);
    f->set_ppem = px;
    return GLINT_OK;
}

glint_status gl_font_raster_rule(glint_font *f, uint32_t cp, int size, const gl_raster_rule *rule,
                                 float *out, gl_err *err) {
    if (!f || !out || !rule) return gl_fail(err, GLINT_ERR_INVALID_ARGUMENT, "glint_font_raster: NULL argument");
    glint_status st = check_size(f, err, size);
    if (st != GLINT_OK) return st;
    pthread_mutex_lock(&f->lock);
    memset(out, 0, (size_t)size * (size_t)size * sizeof *out);
    FT_UInt gi = FT_Get_Char_Index(f->face, cp);
    if (gi == 0) {
        st = font_fail(f, err, GLINT_ERR_NOT_FOUND, "font '%s' has no glyph for U+%04X", f->path, (unsigned)cp);
        goto done;
    }
    st = set_size(f, err, size, rule->ppem);
    if (st != GLINT_OK) goto done;
    FT_Error fe = FT_Load_Glyph(f->face, gi, FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP);
    if (fe == 0) fe = FT_Render_Glyph(f->face->glyph, FT_RENDER_MODE_NORMAL);
    if (fe != 0) {
        st = font_fail(f, err, GLINT_ERR_INVALID_ARGUMENT, "font '%s': glyph of U+%04X cannot be drawn (%s)",
                       f->path, (unsigned)cp, ft_err_str(fe));
        goto done;
    }
    FT_GlyphSlot slot = f->face->glyph;
    const FT_Bitmap *bm = &slot->bitmap;
    long base_y = lround(size * rule->baseline);
    long adv_px = floor_div((long)slot->advance.x + 32, 64);
    long pen_x = floor_div((long)size - adv_px, 2);
    long x0 = pen_x + slot->bitmap_left;
    long y0 = base_y - slot->bitmap_top;
    unsigned pitch = (unsigned)(bm->pitch < 0 ? -bm->pitch : bm->pitch);
    for (unsigned r = 0; r < bm->rows; r++) {
        long y = y0 + (long)r;
        if (y < 0 || y >= size) continue;
        /* A negative pitch stores rows bottom-up. */
        const unsigned char *row = bm->buffer + (size_t)(bm->pitch < 0 ? bm->rows - 1 - r : r) * pitch;
        for (unsigned c = 0; c < bm->width; c++) {
            long x = x0 + (long)c;
            if (x < 0 || x >= size) continue;
            out[(size_t)y * (size_t)size + (size_t)x] = (float)row[c] / 255.0f;
        }
    }
done:
    pthread_mutex_unlock(&f->lock);
    return st;
}

glint_status glint_font_raster(glint_font *f, uint32_t cp, int size, float *out) {
    gl_raster_rule rule;
    gl_raster_rule_default(&rule);
    return gl_font_raster_rule(f, cp, size, &rule, out, NULL);
}

glint_status glint_font_advance(glint_font *f, uint32_t cp, int size, int *advance_px) {
    if (!f || !advance_px) return GLINT_ERR_INVALID_ARGUMENT;
    glint_status st = check_size(f, NULL, size);
    if (st != GLINT_OK) return st;
    gl_raster_rule rule;
    gl_raster_rule_default(&rule);
    pthread_mutex_lock(&f->lock);
    FT_UInt gi = FT_Get_Char_Index(f->face, cp);
    if (gi == 0) {
        st = font_fail(f, NULL, GLINT_ERR_NOT_FOUND, "font '%s' has no glyph for U+%04X", f->path, (unsigned)cp);
    } else if ((st = set_size(f, NULL, size, rule.ppem)) == GLINT_OK) {
        if (FT_Load_Glyph(f->face, gi, FT_LOAD_NO_HINTING | FT_LOAD_NO_BITMAP) != 0)
            st = font_fail(f, NULL, GLINT_ERR_INVALID_ARGUMENT, "font '%s': glyph of U+%04X cannot be loaded",
                           f->path, (unsigned)cp);
        else
            *advance_px = (int)floor_div((long)f->face->glyph->advance.x + 32, 64);
    }
    pthread_mutex_unlock(&f->lock);
    return st;
}

int glint_font_kerning(glint_font *f, uint32_t left, uint32_t right, int size) {
    if (!f || check_size(f, NULL, size) != GLINT_OK) return 0;
    gl_raster_rule rule;
    gl_raster_rule_default(&rule);
    int k = 0;
    pthread_mutex_lock(&f->lock);
    if (FT_HAS_KERNING(f->face) && set_size(f, NULL, size, rule.ppem) == GLINT_OK) {
        FT_UInt l = FT_Get_Char_Index(f->face, left), r = FT_Get_Char_Index(f->face, right);
        FT_Vector d;
        if (l && r && FT_Get_Kerning(f->face, l, r, FT_KERNING_UNFITTED, &d) == 0)
            k = (int)floor_div((long)d.x + 32, 64);
    }
    pthread_mutex_unlock(&f->lock);
    return k;
}
