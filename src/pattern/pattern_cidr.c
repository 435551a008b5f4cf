/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IPv4 and IPv6 addresses and CIDR blocks for the ISSUBSET and
 * ISSUPERSET operators (STIX 2.1 section 9.6.1).
 */
#include <arpa/inet.h>
#include <assert.h>
#include <string.h>
#include <sys/socket.h>

#include "pattern/pattern_int.h"

/* Longer than any address text inet_pton accepts, NUL included. */
#define CIDR_ADDR_MAX 64

/* Reads the decimal prefix length after '/'; false past max. */
static bool
parse_prefix(const char *s, size_t len, unsigned max, unsigned *out)
{
    unsigned v = 0;

    if (len == 0 || len > 3)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* Clears every bit past the first prefix bits. */
static void
clear_host_bits(unsigned char *addr, unsigned nbytes, unsigned prefix)
{
    assert(prefix <= nbytes * 8);
    for (unsigned i = 0; i < nbytes; i++) {
        unsigned first = i * 8;

        if (first >= prefix)
            addr[i] = 0;
        else if (prefix - first < 8)
            addr[i] &= (unsigned char)(0xffu << (8 - (prefix - first)));
    }
}

bool
pattern_cidr_parse(const char *s, size_t len, struct pattern_cidr *out)
{
    char text[CIDR_ADDR_MAX];
    const char *slash;
    size_t alen;
    unsigned max, nbytes;

    assert(s || !len);
    assert(out);
    slash = len ? memchr(s, '/', len) : NULL;
    alen = slash ? (size_t)(slash - s) : len;
    if (alen == 0 || alen >= sizeof(text))
        return false;
    memcpy(text, s, alen);
    text[alen] = '\0';

    memset(out, 0, sizeof(*out));
    /* inet_pton reads up to the NUL; an embedded NUL must not hide text */
    if (memchr(text, '\0', alen))
        return false;
    if (memchr(text, ':', alen)) {
        if (inet_pton(AF_INET6, text, out->addr) != 1)
            return false;
        out->family = 6;
        max = 128;
        nbytes = 16;
    } else {
        if (inet_pton(AF_INET, text, out->addr) != 1)
            return false;
        out->family = 4;
        max = 32;
        nbytes = 4;
    }
    out->prefix = max;
    if (slash && !parse_prefix(slash + 1, len - alen - 1, max, &out->prefix))
        return false;
    clear_host_bits(out->addr, nbytes, out->prefix);
    return true;
}

bool
pattern_cidr_contains(const struct pattern_cidr *outer,
                      const struct pattern_cidr *inner)
{
    unsigned full, rest;

    assert(outer && inner);
    assert(outer->family == 4 || outer->family == 6);
    if (outer->family != inner->family || outer->prefix > inner->prefix)
        return false;
    full = outer->prefix / 8;
    rest = outer->prefix % 8;
    if (memcmp(outer->addr, inner->addr, full) != 0)
        return false;
    if (rest) {
        unsigned char mask = (unsigned char)(0xffu << (8 - rest));

        assert(full < sizeof(outer->addr));
        return (outer->addr[full] & mask) == (inner->addr[full] & mask);
    }
    return true;
}
