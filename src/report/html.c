/* html.c — the one place where text becomes HTML. File names, class names and anything else the
 * data or the user brings goes through rcc_html_escape before it reaches the page, whether as an
 * element's text or as a quoted attribute: a file named `<img src=x onerror=alert(1)>.png` shows
 * as its name and runs nothing, and a name that is not UTF-8 shows U+FFFD where the bad bytes
 * were instead of breaking the page's encoding. */
#include <stdlib.h>
#include <string.h>
#include "report_internal.h"

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD in UTF-8 */

/* The length of the well-formed UTF-8 sequence at s (1-4), or 0 when the byte at s starts none:
 * overlong forms, surrogates and code points above U+10FFFF are not well-formed (Unicode 3.9,
 * table 3-7). */
static int utf8_len(const unsigned char *s)
{
    unsigned char b = s[0];
    if (b < 0x80)
        return 1;
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF)
        n = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        if (b == 0xE0)
            lo = 0xA0;
        else if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

size_t rcc_html_escape(char *dst, size_t cap, const char *s)
{
    size_t len = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        const char *rep = NULL;
        size_t rn = 0;
        int adv = 1;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') {
                rep = REPLACEMENT;
            } else if (*p == 0x7F) {
                rep = REPLACEMENT;
            } else {
                adv = utf8_len(p);
                if (adv == 0) {
                    rep = REPLACEMENT, adv = 1;
                } else {
                    rep = (const char *)p, rn = (size_t)adv;
                }
            }
        }
        if (!rn)
            rn = strlen(rep);
        for (size_t i = 0; i < rn; i++, len++)
            if (len + 1 < cap)
                dst[len] = rep[i];
        p += adv;
    }
    if (cap)
        dst[len < cap ? len : cap - 1] = 0;
    return len;
}

void html_text(FILE *f, const char *s)
{
    char small[512];
    size_t n = rcc_html_escape(small, sizeof small, s);
    if (n < sizeof small) {
        fputs(small, f);
        return;
    }
    char *big = malloc(n + 1);
    if (!big) { /* cannot show it: say so rather than write it unescaped */
        fputs(REPLACEMENT, f);
        return;
    }
    rcc_html_escape(big, n + 1, s);
    fputs(big, f);
    free(big);
}
