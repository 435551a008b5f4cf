/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strings as code points: SQL LIKE for the LIKE operator (STIX 2.1
 * section 9.6.1), and strings read as Latin-1 bytes.
 */
#include <assert.h>
#include <stdint.h>

#include "pattern/pattern_int.h"

/*
 * Decodes one UTF-8 sequence at s[*i], moving *i past it; returns
 * UINT32_MAX for a malformed one.
 */
static uint32_t
utf8_next(const char *s, size_t len, size_t *i)
{
    unsigned char c = (unsigned char)s[*i];
    uint32_t cp;
    size_t n;

    assert(*i < len);
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xc2 && c < 0xe0) {
        n = 1;
        cp = c & 0x1fu;
    } else if (c >= 0xe0 && c < 0xf0) {
        n = 2;
        cp = c & 0x0fu;
    } else if (c >= 0xf0 && c < 0xf5) {
        n = 3;
        cp = c & 0x07u;
    } else {
        return UINT32_MAX;
    }
    if (len - *i <= n)
        return UINT32_MAX;
    for (size_t k = 1; k <= n; k++) {
        unsigned char cc = (unsigned char)s[*i + k];

        if ((cc & 0xc0) != 0x80)
            return UINT32_MAX;
        cp = cp << 6 | (cc & 0x3fu);
    }
    /* overlong forms would let other text pass for Latin-1 */
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000))
        return UINT32_MAX;
    *i += n + 1;
    return cp;
}

/* A string constant becomes bytes for a binary property (section 9.2). */
bool
pattern_latin1(const char *s, size_t len, unsigned char *out, size_t *len_out)
{
    size_t i = 0, n = 0;

    while (i < len) {
        uint32_t cp = utf8_next(s, len, &i);

        if (cp > 0xff)
            return false;
        out[n++] = (unsigned char)cp;
    }
    assert(n <= len);
    *len_out = n;
    return true;
}

/*
 * Length of the unit starting at s[i]: one byte, or the whole UTF-8
 * sequence its lead byte announces, never past len. A stray
 * continuation byte counts as a unit of its own.
 */
static size_t
unit_len(const char *s, size_t i, size_t len, bool utf8)
{
    unsigned char c;
    size_t n = 1;

    assert(i < len);
    c = (unsigned char)s[i];
    if (utf8) {
        if (c >= 0xf0 && c < 0xf8)
            n = 4;
        else if (c >= 0xe0)
            n = c < 0xf0 ? 3 : 1;
        else if (c >= 0xc0)
            n = 2;
    }
    if (n > len - i)
        n = len - i;
    for (size_t k = 1; k < n; k++) {
        if (((unsigned char)s[i + k] & 0xc0) != 0x80)
            return k;
    }
    return n;
}

/*
 * Greedy match that returns to the latest '%' on a mismatch. Literal
 * bytes compare one by one: '%' and '_' never occur inside a multi-byte
 * UTF-8 sequence, and the subject position stays on a unit boundary.
 * Work is at most the product of the two lengths.
 */
bool
pattern_like_match(const char *pat, size_t plen, const char *s, size_t len,
                   bool utf8)
{
    size_t pi = 0, si = 0, star_p = 0, star_s = 0;
    bool star = false;

    assert(pat || !plen);
    assert(s || !len);
    while (si < len) {
        if (pi < plen && pat[pi] == '%') {
            star = true;
            star_p = ++pi;
            star_s = si;
        } else if (pi < plen && pat[pi] == '_') {
            pi++;
            si += unit_len(s, si, len, utf8);
        } else if (pi < plen && pat[pi] == s[si]) {
            pi++;
            si++;
        } else if (star) {
            star_s += unit_len(s, star_s, len, utf8);
            pi = star_p;
            si = star_s;
        } else {
            return false;
        }
    }
    assert(si == len);
    while (pi < plen && pat[pi] == '%')
        pi++;
    return pi == plen;
}
