/* SPDX-License-Identifier: Apache-2.0 */
/* Checked number parsing for untrusted text. */
#include "util/util.h"

enum fusion_err
fusion_parse_int64(const char *s, size_t len, int64_t *out)
{
    bool neg = false;
    uint64_t v = 0, limit;
    size_t i = 0;

    if (len == 0)
        return FUSION_ERR_INVALID;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len)
        return FUSION_ERR_INVALID;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned d;

        if (s[i] < '0' || s[i] > '9')
            return FUSION_ERR_INVALID;
        d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return FUSION_ERR_LIMIT;
        v = v * 10 + d;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return FUSION_OK;
}

/* The length of the UTF-8 sequence led by c, 0 for a byte that leads none. */
static size_t
utf8_length(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if (c >= 0xe0 && c <= 0xef)
        return 3;
    if (c >= 0xf0 && c <= 0xf4)
        return 4;
    return 0;
}

static uint32_t
utf8_decode(const unsigned char *p, size_t n)
{
    uint32_t cp = n == 1 ? p[0] : p[0] & (0x7f >> n);

    for (size_t i = 1; i < n; i++)
        cp = cp << 6 | (p[i] & 0x3f);
    return cp;
}

int
fusion_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool
fusion_text_is_printable(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        size_t n = utf8_length(p[i]);
        uint32_t cp;

        if (n == 0 || n > len - i)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
        }
        cp = utf8_decode(p + i, n);
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return false;
        i += n;
    }
    return true;
}
