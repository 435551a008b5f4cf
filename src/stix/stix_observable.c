/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observable keys: the canonical (key type, value) pairs that index SCOs,
 * pattern comparisons and values typed by a user.
 */
#include "stix/stix.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <string.h>

#define KEY_TYPE_MAX 64

/* The property holding the value of each single-valued SCO. */
struct single_key {
    const char *type;
    const char *prop;
};

static const struct single_key single_keys[] = {
    { "autonomous-system", "number" },
    { "directory", "path" },
    { "domain-name", "value" },
    { "email-addr", "value" },
    { "ipv4-addr", "value" },
    { "ipv6-addr", "value" },
    { "mac-addr", "value" },
    { "mutex", "name" },
    { "software", "name" },
    { "software", "cpe" },
    { "url", "value" },
    { "windows-registry-key", "key" },
};

/*
 * Hash names of the hash-algorithm-ov (STIX 2.1 section 10.3) and
 * whether their values are hexadecimal (and so compared in lower case).
 * Variants are matched ignoring case, '-' and '_'.
 */
struct hash_name {
    const char *loose;
    const char *name;
    bool hex;
};

static const struct hash_name hash_names[] = {
    { "md5", "MD5", true },          { "sha1", "SHA-1", true },
    { "sha256", "SHA-256", true },   { "sha512", "SHA-512", true },
    { "sha3256", "SHA3-256", true }, { "sha3512", "SHA3-512", true },
    { "ssdeep", "SSDEEP", false },   { "tlsh", "TLSH", true },
};

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

static const struct hash_name *
find_hash(const char *name, size_t len)
{
    char loose[16];
    size_t n = 0;

    assert(name || !len);
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '-' || name[i] == '_')
            continue;
        if (n + 1 >= sizeof(loose))
            return NULL;
        loose[n++] = lower(name[i]);
    }
    assert(n < sizeof(loose));
    loose[n] = '\0';
    for (size_t i = 0; i < sizeof(hash_names) / sizeof(hash_names[0]); i++) {
        if (strcmp(loose, hash_names[i].loose) == 0)
            return &hash_names[i];
    }
    return NULL;
}

/* "file:<hash name>", with known names in their spec spelling. */
static bool
hash_key_type(const char *name, size_t len, char *type_out, bool *hex_out)
{
    const struct hash_name *h = find_hash(name, len);
    int n;

    assert(type_out && hex_out);
    *hex_out = h && h->hex;
    if (h)
        n = snprintf(type_out, KEY_TYPE_MAX, "file:%s", h->name);
    else
        n = snprintf(type_out, KEY_TYPE_MAX, "file:%.*s", (int)len, name);
    return n > 0 && n < KEY_TYPE_MAX && len < KEY_TYPE_MAX;
}

static void
copy_lower(char *out, const char *s, size_t len)
{
    assert(out && (s || !len));
    for (size_t i = 0; i < len; i++)
        out[i] = lower(s[i]);
    out[len] = '\0';
}

/*
 * URLs compare with scheme and host in lower case, without the default
 * port of http and https, and with "/" for an empty path (RFC 3986
 * section 6.2.3): "HTTP://Example.COM:80" is "http://example.com/".
 */
static bool
canon_url(const char *s, size_t len, char *out)
{
    const char *sep = NULL, *host, *end, *at;
    size_t n, scheme_len, port_len = 0;

    assert(s && out);
    for (size_t i = 0; i + 2 < len && !sep; i++) {
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
            sep = s + i;
    }
    if (!sep || len + 2 >= FUSION_STIX_KEY_MAX) {
        memcpy(out, s, len);
        out[len] = '\0';
        return true;
    }
    scheme_len = (size_t)(sep - s);
    host = sep + 3;
    end = host;
    while (end < s + len && *end != '/' && *end != '?' && *end != '#')
        end++;
    at = memchr(host, '@', (size_t)(end - host));
    host = at ? at + 1 : host;
    copy_lower(out, s, scheme_len);
    n = scheme_len;
    memcpy(out + n, sep, (size_t)(host - sep));
    n += (size_t)(host - sep);
    if ((scheme_len == 4 && memcmp(out, "http", 4) == 0 && end - host > 3 &&
         memcmp(end - 3, ":80", 3) == 0) ||
        (scheme_len == 5 && memcmp(out, "https", 5) == 0 && end - host > 4 &&
         memcmp(end - 4, ":443", 4) == 0))
        port_len = scheme_len == 4 ? 3 : 4;
    copy_lower(out + n, host, (size_t)(end - host) - port_len);
    n += (size_t)(end - host) - port_len;
    if (end == s + len || *end != '/')
        out[n++] = '/';
    memcpy(out + n, end, (size_t)(s + len - end));
    n += (size_t)(s + len - end);
    assert(n < FUSION_STIX_KEY_MAX);
    out[n] = '\0';
    return true;
}

/*
 * An address with an optional "/prefix": the address in its canonical
 * text (inet_ntop compresses IPv6), the prefix dropped when it covers a
 * single host. Returns false when s is not such an address.
 */
static bool
canon_ip(int af, const char *s, size_t len, char *out)
{
    unsigned char addr[16];
    char host[INET6_ADDRSTRLEN + 1], text[INET6_ADDRSTRLEN];
    const char *slash = memchr(s, '/', len);
    size_t host_len = slash ? (size_t)(slash - s) : len;
    unsigned prefix = 0, max = af == AF_INET ? 32 : 128;

    assert(af == AF_INET || af == AF_INET6);
    assert(out);
    if (host_len == 0 || host_len >= sizeof(host))
        return false;
    memcpy(host, s, host_len);
    host[host_len] = '\0';
    if (inet_pton(af, host, addr) != 1)
        return false;
    if (slash) {
        size_t digits = len - host_len - 1;

        if (digits == 0 || digits > 3)
            return false;
        for (size_t i = 0; i < digits; i++) {
            if (slash[1 + i] < '0' || slash[1 + i] > '9')
                return false;
            prefix = prefix * 10 + (unsigned)(slash[1 + i] - '0');
        }
        if (prefix > max)
            return false;
    }
    if (!inet_ntop(af, addr, text, sizeof(text)))
        return false;
    if (slash && prefix != max)
        snprintf(out, FUSION_STIX_KEY_MAX, "%s/%u", text, prefix);
    else
        snprintf(out, FUSION_STIX_KEY_MAX, "%s", text);
    return true;
}

/*
 * The canonical form of a value of key type type into out. Returns false
 * when the value is too long to be a key.
 */
static bool
canon_value(const char *type, const char *s, size_t len, bool hex, char *out)
{
    assert(type && out);
    if (len == 0 || len >= FUSION_STIX_KEY_MAX)
        return false;
    if (strcmp(type, "ipv4-addr") == 0 && canon_ip(AF_INET, s, len, out))
        return true;
    if (strcmp(type, "ipv6-addr") == 0 && canon_ip(AF_INET6, s, len, out))
        return true;

    if (strcmp(type, "domain-name") == 0) {
        if (len > 1 && s[len - 1] == '.')
            len--;
        copy_lower(out, s, len);
    } else if (strcmp(type, "url") == 0) {
        return canon_url(s, len, out);
    } else if (strcmp(type, "email-addr") == 0 || hex ||
               strcmp(type, "ipv6-addr") == 0) {
        copy_lower(out, s, len);
    } else if (strcmp(type, "mac-addr") == 0) {
        copy_lower(out, s, len);
        for (size_t i = 0; i < len; i++)
            out[i] = out[i] == '-' ? ':' : out[i];
    } else {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return true;
}

static enum fusion_err
emit(fusion_stix_key_fn fn, void *ctx, const char *type, const char *s,
     size_t len, bool hex)
{
    char value[FUSION_STIX_KEY_MAX];

    assert(fn && type);
    if (!canon_value(type, s, len, hex, value))
        return FUSION_OK;
    return fn(ctx, type, value);
}

static enum fusion_err
file_keys(const json_t *sco, fusion_stix_key_fn fn, void *ctx)
{
    const json_t *hashes = json_object_get(sco, "hashes");
    const char *name = fusion_stix_str(sco, "name");
    char type[KEY_TYPE_MAX];
    enum fusion_err rc;
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)hashes, key, v)
    {
        bool hex;

        if (!json_is_string(v) || !hash_key_type(key, strlen(key), type, &hex))
            continue;
        rc = emit(fn, ctx, type, json_string_value(v), json_string_length(v),
                  hex);
        if (rc)
            return rc;
    }
    if (name)
        return emit(fn, ctx, "file:name", name, strlen(name), false);
    return FUSION_OK;
}

enum fusion_err
fusion_stix_observable_keys(const json_t *sco, fusion_stix_key_fn fn, void *ctx)
{
    const char *type = fusion_stix_str(sco, "type");
    enum fusion_err rc;

    assert(fn);
    if (!type)
        return FUSION_OK;
    if (strcmp(type, "file") == 0)
        return file_keys(sco, fn, ctx);
    for (size_t i = 0; i < sizeof(single_keys) / sizeof(single_keys[0]); i++) {
        const json_t *v;
        char num[24];

        if (strcmp(type, single_keys[i].type) != 0)
            continue;
        v = json_object_get(sco, single_keys[i].prop);
        if (json_is_string(v)) {
            rc = emit(fn, ctx, type, json_string_value(v),
                      json_string_length(v), false);
        } else if (json_is_integer(v)) {
            snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
            rc = emit(fn, ctx, type, num, strlen(num), false);
        } else {
            rc = FUSION_OK;
        }
        if (rc)
            return rc;
    }
    return FUSION_OK;
}

enum fusion_err
fusion_stix_pattern_key(const char *type, const char *path, const char *value,
                        fusion_stix_key_fn fn, void *ctx)
{
    char key_type[KEY_TYPE_MAX];
    size_t len;
    bool hex;

    assert(fn);
    if (!type || !path || !value)
        return FUSION_OK;
    if (strcmp(type, "file") == 0) {
        if (strcmp(path, "name") == 0)
            return emit(fn, ctx, "file:name", value, strlen(value), false);
        if (strncmp(path, "hashes.", 7) != 0)
            return FUSION_OK;
        path += 7;
        len = strlen(path);
        /* hashes.'SHA-256': the quotes are part of the path syntax */
        if (len >= 2 && (path[0] == '\'' || path[0] == '"') &&
            path[len - 1] == path[0]) {
            path++;
            len -= 2;
        }
        if (len == 0 || !hash_key_type(path, len, key_type, &hex))
            return FUSION_OK;
        return emit(fn, ctx, key_type, value, strlen(value), hex);
    }
    for (size_t i = 0; i < sizeof(single_keys) / sizeof(single_keys[0]); i++) {
        if (strcmp(type, single_keys[i].type) == 0 &&
            strcmp(path, single_keys[i].prop) == 0)
            return emit(fn, ctx, type, value, strlen(value), false);
    }
    return FUSION_OK;
}

static bool
is_mac(const char *s, size_t len)
{
    if (len != 17)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (i % 3 == 2 ? s[i] != ':' && s[i] != '-' : !is_hex(s[i]))
            return false;
    }
    return true;
}

/* The key type of a hexadecimal hash, judged by its length. */
static const char *
hash_by_length(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!is_hex(s[i]))
            return NULL;
    }
    switch (len) {
    case 32:
        return "file:MD5";
    case 40:
        return "file:SHA-1";
    case 64:
        return "file:SHA-256";
    case 128:
        return "file:SHA-512";
    default:
        return NULL;
    }
}

static bool
is_email(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);

    if (!at || at == s || at == s + len - 1)
        return false;
    if (memchr(at + 1, '@', len - (size_t)(at - s) - 1))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '/')
            return false;
    }
    return true;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A URL starts with a scheme: a letter, then letters, digits, +-. and :// */
static bool
has_scheme(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && ((lower(s[i]) >= 'a' && lower(s[i]) <= 'z') ||
                       (i > 0 && ((s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
                                  s[i] == '-' || s[i] == '.'))))
        i++;
    return i > 0 && len - i > 3 && memcmp(s + i, "://", 3) == 0;
}

static const char *
guess_type(const char *s, size_t len, char *out)
{
    const char *hash;

    if (canon_ip(AF_INET, s, len, out))
        return "ipv4-addr";
    if (canon_ip(AF_INET6, s, len, out))
        return "ipv6-addr";
    if (is_mac(s, len))
        return "mac-addr";
    hash = hash_by_length(s, len);
    if (hash)
        return hash;
    if (has_scheme(s, len))
        return "url";
    if (is_email(s, len))
        return "email-addr";
    return "domain-name";
}

enum fusion_err
fusion_stix_guess_key(const char *value, char *type_out, char *out)
{
    const char *type;
    size_t len;
    bool hex;

    assert(type_out && out);
    if (!value)
        return FUSION_ERR_INVALID;
    while (is_space(*value))
        value++;
    len = strlen(value);
    while (len > 0 && is_space(value[len - 1]))
        len--;
    if (len == 0 || len >= FUSION_STIX_KEY_MAX)
        return FUSION_ERR_INVALID;

    type = guess_type(value, len, out);
    assert(type);

    hex = strncmp(type, "file:", 5) == 0;
    if (strcmp(type, "ipv4-addr") != 0 && strcmp(type, "ipv6-addr") != 0 &&
        !canon_value(type, value, len, hex, out))
        return FUSION_ERR_INVALID;
    snprintf(type_out, KEY_TYPE_MAX, "%s", type);
    return FUSION_OK;
}
