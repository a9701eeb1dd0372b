/* The default fallback (content) font: DejaVu Sans, asked of fontconfig when
 * glint was built with it, else looked for at the usual Debian and Fedora
 * paths. A private fontconfig configuration is made and destroyed per call,
 * so that no fontconfig global state is touched. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "glyph/glyph_internal.h"

#ifdef GLINT_HAVE_FONTCONFIG
#include <fontconfig/fontconfig.h>

static bool ask_fontconfig(char *buf, size_t size) {
    FcConfig *cfg = FcInitLoadConfigAndFonts();
    if (!cfg) return false;
    bool found = false;
    FcPattern *pat = FcNameParse((const FcChar8 *)"DejaVu Sans:style=Book");
    if (pat) {
        FcConfigSubstitute(cfg, pat, FcMatchPattern);
        FcDefaultSubstitute(pat);
        FcResult res = FcResultNoMatch;
        FcPattern *match = FcFontMatch(cfg, pat, &res);
        FcChar8 *family = NULL, *file = NULL;
        /* fontconfig always answers with something; take it only when it
         * really is DejaVu Sans, as the documentation promises. */
        if (match && FcPatternGetString(match, FC_FAMILY, 0, &family) == FcResultMatch &&
            FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch &&
            strcmp((const char *)family, "DejaVu Sans") == 0 && access((const char *)file, R_OK) == 0 &&
            strlen((const char *)file) < size) {
            snprintf(buf, size, "%s", (const char *)file);
            found = true;
        }
        if (match) FcPatternDestroy(match);
        FcPatternDestroy(pat);
    }
    FcConfigDestroy(cfg);
    return found;
}
#endif

glint_status glint_glyph_default_font(char *buf, size_t size) {
    if (!buf || size == 0) return GLINT_ERR_INVALID_ARGUMENT;
#ifdef GLINT_HAVE_FONTCONFIG
    if (ask_fontconfig(buf, size)) return GLINT_OK;
#endif
    static const char *const paths[] = {
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
        "/usr/local/share/fonts/DejaVuSans.ttf",
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(paths); i++) {
        if (access(paths[i], R_OK) == 0 && strlen(paths[i]) < size) {
            snprintf(buf, size, "%s", paths[i]);
            return GLINT_OK;
        }
    }
    snprintf(buf, size, "no fallback font: DejaVu Sans was not found (Debian: apt-get install fonts-dejavu-core)");
    return GLINT_ERR_NOT_FOUND;
}
