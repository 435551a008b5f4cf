/* SPDX-License-Identifier: Apache-2.0 */
/* Accept and Content-Type negotiation for TAXII 2.1 (section 1.6.8, 3.1). */
#include "taxii/taxii.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Specificity of the range that matched a type, RFC 9110 section 12.5.1. */
enum match_rank {
    RANK_NONE,
    RANK_ANY,
    RANK_TYPE_WILD,
    RANK_EXACT,
    RANK_EXACT_VERSION,
};

/* One media range of a header, as slices of the header text. */
struct media_range {
    const char *type;
    size_t type_len;
    const char *subtype;
    size_t subtype_len;
    bool has_version;
    bool version_is_21;
    int q; /* weight in thousandths */
};

static bool
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool
is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *
skip_ows(const char *p, const char *end)
{
    while (p < end && is_ows(*p))
        p++;
    return p;
}

static size_t
token_len(const char *p, const char *end)
{
    size_t n = 0;

    while (p + n < end && is_tchar(p[n]))
        n++;
    return n;
}

static bool
slice_ieq(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

/* A quality value: "0", "1", "0.ddd" or "1.000" (RFC 9110 section 12.4.2). */
static bool
parse_qvalue(const char *s, size_t len, int *out)
{
    int v = 0, scale = 1000;

    if (len == 0 || len > 5 || (s[0] != '0' && s[0] != '1'))
        return false;
    v = (s[0] - '0') * 1000;
    if (len > 1 && s[1] != '.')
        return false;
    for (size_t i = 2; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        scale /= 10;
        v += (s[i] - '0') * scale;
    }
    if (v > 1000)
        return false;
    *out = v;
    return true;
}

/*
 * Reads a parameter value, a token or a quoted string, into a slice
 * without quotes. Escapes inside quotes are kept as they are: neither
 * "2.1" nor a q-value can hold one.
 */
static const char *
param_value(const char *p, const char *end, const char **v, size_t *vlen)
{
    if (p < end && *p == '"') {
        const char *start = ++p;

        while (p < end && *p != '"') {
            if (*p == '\\' && p + 1 < end)
                p++;
            p++;
        }
        if (p == end)
            return NULL;
        *v = start;
        *vlen = (size_t)(p - start);
        return p + 1;
    }
    *v = p;
    *vlen = token_len(p, end);
    return *vlen ? p + *vlen : NULL;
}

/* Parses the parameters after type/subtype; false when malformed. */
static bool
parse_params(const char *p, const char *end, struct media_range *r)
{
    for (;;) {
        const char *name, *v;
        size_t name_len, vlen;

        p = skip_ows(p, end);
        if (p == end)
            return true;
        if (*p != ';')
            return false;
        p = skip_ows(p + 1, end);
        if (p == end)
            return true; /* a trailing ";" is harmless */
        name = p;
        name_len = token_len(p, end);
        if (name_len == 0)
            return false;
        /* White space around "=" is not HTTP, but clients send it. */
        p = skip_ows(p + name_len, end);
        if (p == end || *p != '=')
            return false;
        p = skip_ows(p + 1, end);
        p = param_value(p, end, &v, &vlen);
        if (!p)
            return false;
        if (slice_ieq(name, name_len, "q")) {
            if (!parse_qvalue(v, vlen, &r->q))
                return false;
        } else if (slice_ieq(name, name_len, "version")) {
            r->has_version = true;
            r->version_is_21 = vlen == 3 && memcmp(v, "2.1", 3) == 0;
        }
    }
}

static bool
parse_range(const char *p, const char *end, struct media_range *r)
{
    memset(r, 0, sizeof(*r));
    r->q = 1000;
    p = skip_ows(p, end);
    r->type = p;
    r->type_len = token_len(p, end);
    p += r->type_len;
    if (r->type_len == 0 || p == end || *p != '/')
        return false;
    r->subtype = ++p;
    r->subtype_len = token_len(p, end);
    if (r->subtype_len == 0)
        return false;
    return parse_params(p + r->subtype_len, end, r);
}

/* How specifically r names application/<subtype> at version 2.1. */
static enum match_rank
range_rank(const struct media_range *r, const char *subtype, bool strict)
{
    bool any_type = slice_ieq(r->type, r->type_len, "*");
    bool any_sub = slice_ieq(r->subtype, r->subtype_len, "*");

    if (any_type && any_sub)
        return strict ? RANK_NONE : RANK_ANY;
    if (!slice_ieq(r->type, r->type_len, "application"))
        return RANK_NONE;
    if (any_sub)
        return strict ? RANK_NONE : RANK_TYPE_WILD;
    if (!slice_ieq(r->subtype, r->subtype_len, subtype))
        return RANK_NONE;
    if (!r->has_version)
        return RANK_EXACT;
    return r->version_is_21 ? RANK_EXACT_VERSION : RANK_NONE;
}

/*
 * The weight the header gives application/<subtype>;version=2.1: that of
 * its most specific matching range, the highest among equals; 0 when no
 * range matches.
 */
static int
weight_of(const char *accept, const char *subtype, bool strict)
{
    enum match_rank best = RANK_NONE;
    const char *p = accept, *end = accept + strlen(accept);
    int q = 0;

    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        struct media_range r;
        enum match_rank rank;

        if (parse_range(p, stop, &r)) {
            rank = range_rank(&r, subtype, strict);
            if (rank > best || (rank == best && rank != RANK_NONE && r.q > q)) {
                best = rank;
                q = r.q;
            }
        }
        p = comma ? comma + 1 : end;
    }
    return best == RANK_NONE ? 0 : q;
}

enum fusion_err
fusion_taxii_media_accept(const char *accept, unsigned flags,
                          enum fusion_taxii_media *out,
                          struct fusion_error *err)
{
    bool strict = (flags & FUSION_TAXII_MEDIA_STRICT) != 0;

    /* Section 3.2: every request MUST carry Accept with a TAXII range. */
    if (!accept || *skip_ows(accept, accept + strlen(accept)) == '\0')
        return fusion_error_set(err, FUSION_ERR_UNSUPPORTED,
                                "missing Accept header; expected '%s'",
                                FUSION_TAXII_MEDIA_TAXII21);
    if (weight_of(accept, "taxii+json", strict) > 0) {
        *out = FUSION_TAXII_MEDIA_TAXII;
        return FUSION_OK;
    }
    if ((flags & FUSION_TAXII_MEDIA_ALLOW_STIX) &&
        weight_of(accept, "stix+json", strict) > 0) {
        *out = FUSION_TAXII_MEDIA_STIX;
        return FUSION_OK;
    }
    return fusion_error_set(
        err, FUSION_ERR_UNSUPPORTED,
        "unacceptable Accept header '%.200s'; expected '%s'", accept,
        FUSION_TAXII_MEDIA_TAXII21);
}

enum fusion_err
fusion_taxii_media_content_type(const char *content_type, unsigned flags,
                                struct fusion_error *err)
{
    struct media_range r;
    const char *end;

    if (!content_type)
        return fusion_error_set(err, FUSION_ERR_UNSUPPORTED,
                                "missing Content-Type; expected '%s'",
                                FUSION_TAXII_MEDIA_TAXII21);
    end = content_type + strlen(content_type);
    /* A Content-Type is one media type: no list, no wildcards. */
    if (memchr(content_type, ',', (size_t)(end - content_type)) ||
        !parse_range(content_type, end, &r) ||
        !slice_ieq(r.type, r.type_len, "application") ||
        !slice_ieq(r.subtype, r.subtype_len, "taxii+json") ||
        (r.has_version && !r.version_is_21) ||
        (!r.has_version && (flags & FUSION_TAXII_MEDIA_STRICT)))
        return fusion_error_set(
            err, FUSION_ERR_UNSUPPORTED,
            "unsupported Content-Type '%.200s'; expected '%s'", content_type,
            FUSION_TAXII_MEDIA_TAXII21);
    return FUSION_OK;
}

const char *
fusion_taxii_media_name(enum fusion_taxii_media m)
{
    return m == FUSION_TAXII_MEDIA_STIX ? FUSION_TAXII_MEDIA_STIX21
                                        : FUSION_TAXII_MEDIA_TAXII21;
}
