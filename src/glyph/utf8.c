/* Strict UTF-8 decoding (RFC 3629): no overlong forms, no surrogates, nothing
 * past U+10FFFF, no truncated sequences. */
#include "glyph/glyph_internal.h"

long gl_utf8_decode(const char *str, uint32_t *cps, size_t cap, size_t *bad_offset) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    long n = 0;
    while (s[i]) {
        unsigned char b = s[i];
        uint32_t cp;
        int len;
        if (b < 0x80) { cp = b; len = 1; }
        else if (b >= 0xC2 && b <= 0xDF) { cp = b & 0x1Fu; len = 2; }
        else if (b >= 0xE0 && b <= 0xEF) { cp = b & 0x0Fu; len = 3; }
        else if (b >= 0xF0 && b <= 0xF4) { cp = b & 0x07u; len = 4; }
        else goto bad;
        for (int k = 1; k < len; k++) {
            unsigned char c = s[i + (size_t)k];
            if ((c & 0xC0) != 0x80) goto bad; /* also catches the terminating NUL */
            cp = (cp << 6) | (c & 0x3Fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        if (cps && (size_t)n < cap) cps[n] = cp;
        n++;
        i += (size_t)len;
    }
    return n;
bad:
    if (bad_offset) *bad_offset = i;
    return -1;
}
