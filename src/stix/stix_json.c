/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON Canonicalization Scheme (RFC 8785) over jansson values: the
 * stored form of every object and the input of deterministic SCO ids.
 */
#include "stix/stix.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix_int.h"

/* Nesting deeper than this is refused rather than recursed into. */
#define JCS_MAX_DEPTH 128

/* Members of the objects being written, kept on the stack when few. */
#define JCS_LOCAL_MEMBERS 64

/* Objects with more members than this are sorted with qsort. */
#define JCS_INSERTION_MAX 24

struct jcs_member {
    const char *key;
    size_t len;
    json_t *value;
};

/*
 * One key array serves the whole recursion as a stack: each object
 * pushes its members above those of its ancestors and pops them when
 * done, so entries are addressed by index (the array may move).
 */
struct jcs_ctx {
    struct jcs_member *items;
    size_t len;
    size_t cap;
    struct jcs_member local[JCS_LOCAL_MEMBERS];
};

/*
 * RFC 8785 section 3.2.3 orders keys by UTF-16 code units. UTF-8 byte
 * order equals code point order, which differs from UTF-16 order only
 * where a character of U+E000..U+FFFF (lead byte 0xEE or 0xEF) meets a
 * supplementary one (lead byte 0xF0..0xF4, a surrogate pair in UTF-16,
 * which sorts first). The lead bytes at the first difference decide it.
 */
static int
compare_keys(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    size_t i = 0;
    unsigned char ca, cb;

    assert((a || !alen) && (b || !blen));
    while (i < n && a[i] == b[i])
        i++;
    if (i == n)
        return alen < blen ? -1 : alen > blen;
    ca = (unsigned char)a[i];
    cb = (unsigned char)b[i];
    if (ca >= 0xee && cb >= 0xee) {
        bool a_bmp = ca < 0xf0, b_bmp = cb < 0xf0;

        if (a_bmp != b_bmp)
            return a_bmp ? 1 : -1;
    }
    return ca < cb ? -1 : 1;
}

static int
compare_members(const void *pa, const void *pb)
{
    const struct jcs_member *a = pa, *b = pb;

    return compare_keys(a->key, a->len, b->key, b->len);
}

static void
sort_members(struct jcs_member *m, size_t n)
{
    if (n > JCS_INSERTION_MAX) {
        qsort(m, n, sizeof(*m), compare_members);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        struct jcs_member tmp = m[i];
        size_t j = i;

        while (j > 0 &&
               compare_keys(tmp.key, tmp.len, m[j - 1].key, m[j - 1].len) < 0) {
            m[j] = m[j - 1];
            j--;
        }
        m[j] = tmp;
    }
}

static enum fusion_err
ctx_grow(struct jcs_ctx *ctx, size_t extra)
{
    struct jcs_member *items;
    size_t cap = ctx->cap;

    assert(ctx->len <= ctx->cap && ctx->cap > 0);
    if (extra <= ctx->cap - ctx->len)
        return FUSION_OK;
    while (cap - ctx->len < extra) {
        if (cap > SIZE_MAX / 2 / sizeof(*items))
            return FUSION_ERR_NOMEM;
        cap *= 2;
    }
    if (ctx->items == ctx->local) {
        items = fusion_malloc(cap * sizeof(*items));
        if (items)
            memcpy(items, ctx->local, ctx->len * sizeof(*items));
    } else {
        items = fusion_realloc(ctx->items, cap * sizeof(*items));
    }
    if (!items)
        return FUSION_ERR_NOMEM;
    assert(cap - ctx->len >= extra);
    ctx->items = items;
    ctx->cap = cap;
    return FUSION_OK;
}

/* Appends one byte without a call when the buffer has room. */
static inline enum fusion_err
put_char(struct fusion_buf *out, char c)
{
    if (out->len + 1 < out->cap && out->len < out->max) {
        out->data[out->len++] = c;
        out->data[out->len] = '\0';
        return FUSION_OK;
    }
    return fusion_buf_putc(out, c);
}

static bool
needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static enum fusion_err
put_escaped(struct fusion_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    enum fusion_err rc;
    size_t run = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = { '\\', 0, 0, 0, 0, 0 };
        size_t elen = 2;

        if (!needs_escape(c))
            continue;
        rc = fusion_buf_append(out, s + run, i - run);
        if (rc)
            return rc;
        run = i + 1;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xf];
            elen = 6;
            break;
        }
        rc = fusion_buf_append(out, esc, elen);
        if (rc)
            return rc;
    }
    assert(run <= len);
    return fusion_buf_append(out, s + run, len - run);
}

/*
 * Strings (RFC 8785 section 3.2.2.2): only '"', '\\' and C0 controls are
 * escaped, with the short forms where JSON has them; everything else is
 * copied as UTF-8. Most strings need no escape and are copied at once.
 */
static enum fusion_err
put_string(struct fusion_buf *out, const char *s, size_t len)
{
    enum fusion_err rc;
    size_t i = 0;

    assert(out && (s || !len));
    while (i < len && !needs_escape((unsigned char)s[i]))
        i++;
    rc = fusion_buf_reserve(out, len + 2);
    if (rc)
        return rc;
    out->data[out->len++] = '"';
    if (i == len) {
        memcpy(out->data + out->len, s, len);
        out->len += len;
    } else {
        out->data[out->len] = '\0';
        rc = put_escaped(out, s, len);
        if (rc)
            return rc;
    }
    return put_char(out, '"');
}

static enum fusion_err
put_integer(struct fusion_buf *out, json_int_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    unsigned long long u;

    u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--i] = '-';
    return fusion_buf_append(out, tmp + i, sizeof(tmp) - i);
}

/*
 * The shortest decimal digits that read back as d, and the decimal
 * exponent of the first digit: d = 0.<digits> * 10^point. For a normal
 * double, a representation of 15 digits or fewer shows up as the %.15e
 * form with trailing zeros, so 15, 16 and 17 digits are tried; 17 always
 * round-trips. Subnormals carry fewer digits and are tried from 1.
 */
static size_t
shortest_digits(double d, char *digits, int *point)
{
    char tmp[40];
    char *e;
    size_t n = 0;
    long exp10;

    assert(d > 0 && isfinite(d));
    for (int prec = d < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
        if (prec == 17 || strtod(tmp, NULL) == d)
            break;
    }
    /* tmp is "d.ddddde[+-]xx" for a finite positive d */
    for (const char *p = tmp; *p && *p != 'e'; p++) {
        if (*p != '.')
            digits[n++] = *p;
    }
    assert(n >= 1 && n <= 17);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    e = strchr(tmp, 'e');
    exp10 = e ? strtol(e + 1, NULL, 10) : 0;
    *point = (int)exp10 + 1;
    return n;
}

/*
 * Doubles in the form of ECMAScript Number::toString (RFC 8785 section
 * 3.2.2.3): plain notation for 1e-7 < |d| < 1e21, otherwise one digit,
 * optional fraction, "e", sign and exponent. -0 is written as 0.
 */
static enum fusion_err
put_real(struct fusion_buf *out, double d)
{
    char digits[20], text[40];
    size_t k, o = 0;
    int n;

    if (isnan(d) || isinf(d))
        return FUSION_ERR_INVALID;
    if (d == 0)
        return fusion_buf_putc(out, '0');
    if (d < 0) {
        text[o++] = '-';
        d = -d;
    }
    k = shortest_digits(d, digits, &n);
    if ((int)k <= n && n <= 21) {
        memcpy(text + o, digits, k);
        o += k;
        for (int i = (int)k; i < n; i++)
            text[o++] = '0';
    } else if (0 < n && n <= 21) {
        memcpy(text + o, digits, (size_t)n);
        o += (size_t)n;
        text[o++] = '.';
        memcpy(text + o, digits + n, k - (size_t)n);
        o += k - (size_t)n;
    } else if (-6 < n && n <= 0) {
        text[o++] = '0';
        text[o++] = '.';
        for (int i = n; i < 0; i++)
            text[o++] = '0';
        memcpy(text + o, digits, k);
        o += k;
    } else {
        text[o++] = digits[0];
        if (k > 1) {
            text[o++] = '.';
            memcpy(text + o, digits + 1, k - 1);
            o += k - 1;
        }
        o += (size_t)snprintf(text + o, sizeof(text) - o, "e%c%d",
                              n - 1 < 0 ? '-' : '+', abs(n - 1));
    }
    assert(o < sizeof(text));
    return fusion_buf_append(out, text, o);
}

enum fusion_err
fusion_stix_jcs_string(struct fusion_buf *out, const char *s, size_t len)
{
    return put_string(out, s, len);
}

static enum fusion_err put_value(struct jcs_ctx *ctx, const json_t *v,
                                 struct fusion_buf *out, int depth);

static enum fusion_err
put_object(struct jcs_ctx *ctx, const json_t *v, struct fusion_buf *out,
           int depth)
{
    size_t base = ctx->len, n = json_object_size(v);
    enum fusion_err rc;
    void *it;

    assert(json_is_object(v));
    rc = ctx_grow(ctx, n);
    if (rc)
        return rc;
    for (it = json_object_iter((json_t *)v); it;
         it = json_object_iter_next((json_t *)v, it)) {
        struct jcs_member *m = &ctx->items[ctx->len++];

        m->key = json_object_iter_key(it);
        m->len = json_object_iter_key_len(it);
        m->value = json_object_iter_value(it);
    }
    assert(ctx->len == base + n);
    sort_members(ctx->items + base, n);

    rc = put_char(out, '{');
    for (size_t i = 0; !rc && i < n; i++) {
        const struct jcs_member *m = &ctx->items[base + i];

        if (i > 0)
            rc = put_char(out, ',');
        if (!rc)
            rc = put_string(out, m->key, m->len);
        if (!rc)
            rc = put_char(out, ':');
        if (!rc)
            rc = put_value(ctx, m->value, out, depth + 1);
    }
    if (!rc)
        rc = put_char(out, '}');
    assert(ctx->len == base + n);
    ctx->len = base;
    return rc;
}

static enum fusion_err
put_array(struct jcs_ctx *ctx, const json_t *v, struct fusion_buf *out,
          int depth)
{
    size_t n = json_array_size(v);
    enum fusion_err rc;

    assert(json_is_array(v));
    rc = put_char(out, '[');
    for (size_t i = 0; !rc && i < n; i++) {
        if (i > 0)
            rc = put_char(out, ',');
        if (!rc)
            rc = put_value(ctx, json_array_get(v, i), out, depth + 1);
    }
    if (!rc)
        rc = put_char(out, ']');
    return rc;
}

static enum fusion_err
put_value(struct jcs_ctx *ctx, const json_t *v, struct fusion_buf *out,
          int depth)
{
    assert(ctx && v && out && depth >= 0);
    if (depth > JCS_MAX_DEPTH)
        return FUSION_ERR_LIMIT;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return put_object(ctx, v, out, depth);
    case JSON_ARRAY:
        return put_array(ctx, v, out, depth);
    case JSON_STRING:
        return put_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return put_integer(out, json_integer_value(v));
    case JSON_REAL:
        return put_real(out, json_real_value(v));
    case JSON_TRUE:
        return fusion_buf_append(out, "true", 4);
    case JSON_FALSE:
        return fusion_buf_append(out, "false", 5);
    case JSON_NULL:
        return fusion_buf_append(out, "null", 4);
    }
    return FUSION_ERR_INVALID;
}

enum fusion_err
fusion_stix_canonical(const json_t *v, struct fusion_buf *out)
{
    struct jcs_ctx ctx;
    size_t start;
    enum fusion_err rc;

    assert(out);
    start = out->len;
    if (!v)
        return FUSION_ERR_INVALID;
    ctx.items = ctx.local;
    ctx.len = 0;
    ctx.cap = JCS_LOCAL_MEMBERS;
    rc = put_value(&ctx, v, out, 0);
    assert(ctx.len == 0);
    if (ctx.items != ctx.local)

        fusion_free(ctx.items);
    if (rc && out->data) {
        /* leave the buffer as it was on failure */
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

/* Index just past the string that starts at json[i] (a quote), or len. */
static size_t
skip_string(const char *json, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (json[i] == '\\')
            i++;
        else if (json[i] == '"')
            return i + 1;
    }
    return len;
}

static size_t
skip_space(const char *json, size_t len, size_t i)
{
    while (i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' ||
                       json[i] == '\r'))
        i++;
    return i;
}

/* The member of keys[0..n) that the key at json[i] (a quote) names. */
static size_t
member_index(const char *json, size_t i, size_t end, const char *const *keys,
             size_t n)
{
    size_t klen = end - i - 2;

    for (size_t k = 0; k < n; k++) {
        if (strlen(keys[k]) == klen && memcmp(json + i + 1, keys[k], klen) == 0)
            return k;
    }
    return n;
}

bool
fusion_stix_json_members(const char *json, size_t len, const char *const *keys,
                         size_t n, struct fusion_stix_member *out)
{
    size_t depth = 0, found = 0;
    size_t i = skip_space(json, len, 0);
    bool expect_key = true;

    for (size_t k = 0; k < n; k++)
        out[k] = (struct fusion_stix_member){ .kind = FUSION_STIX_MEMBER_NONE };
    if (i >= len || json[i] != '{')
        return false;
    for (i++; i < len; i++) {
        char c = json[i];

        if (c == '"') {
            size_t end = skip_string(json, len, i);
            size_t colon = skip_space(json, len, end);
            bool is_key =
                depth == 0 && expect_key && colon < len && json[colon] == ':';
            size_t k = is_key ? member_index(json, i, end, keys, n) : n;

            if (k < n && out[k].kind == FUSION_STIX_MEMBER_NONE) {
                size_t v = skip_space(json, len, colon + 1);
                size_t vend =
                    v < len && json[v] == '"' ? skip_string(json, len, v) : v;

                if (vend > v && vend <= len && json[vend - 1] == '"' &&
                    vend - v >= 2) {
                    out[k].kind = FUSION_STIX_MEMBER_STRING;
                    out[k].value = json + v + 1;
                    out[k].len = vend - v - 2;
                } else {
                    out[k].kind = FUSION_STIX_MEMBER_OTHER;
                    out[k].value = json + v;
                }
                if (++found == n)
                    return true;
            }
            if (is_key) {
                expect_key = false;
                i = colon;
            } else {
                i = end - 1;
            }
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return true;
            depth--;
        } else if (c == ',' && depth == 0) {
            expect_key = true;
        }
    }
    return false;
}

bool
fusion_stix_json_member(const char *json, size_t len, const char *key,
                        const char **value_out, size_t *len_out)
{
    struct fusion_stix_member m;

    if (!fusion_stix_json_members(json, len, &key, 1, &m) ||
        m.kind != FUSION_STIX_MEMBER_STRING)
        return false;
    *value_out = m.value;
    *len_out = m.len;
    return true;
}
