/* SPDX-License-Identifier: Apache-2.0 */
/* Secrets: random bytes, base64url and scrypt hashes (RFC 7914). */
#include "util/util.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define MAX_LOG2_N 24
#define MAX_R      32
#define MAX_P      16
/* Never more memory than this for one hash, whatever a stored hash says. */
#define MAX_MEMORY ((uint64_t)1 << 30)

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

enum fusion_err
fusion_secret_random(void *buf, size_t len, struct fusion_error *err)
{
    if (len > INT32_MAX || RAND_bytes(buf, (int)len) != 1)
        return fusion_error_set(err, FUSION_ERR_INTERNAL,
                                "no random bytes from the generator");
    return FUSION_OK;
}

void
fusion_base64url_encode(const void *data, size_t len, char *out)
{
    const unsigned char *p = data;
    uint32_t v;
    size_t i = 0, o = 0;

    for (; i + 3 <= len; i += 3) {
        v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (len - i == 1) {
        v = (uint32_t)p[i] << 16;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
    } else if (len - i == 2) {
        v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
    }
    out[o] = '\0';
}

static int
b64url_value(char c)
{
    const char *hit;

    if (c == '\0')
        return -1;
    hit = strchr(b64url, c);
    return hit ? (int)(hit - b64url) : -1;
}

enum fusion_err
fusion_base64url_decode(const char *s, size_t len, void *out, size_t size,
                        size_t *len_out)
{
    unsigned char *dst = out;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    int v;

    /* One character past a group of four carries fewer than 8 bits. */
    if (len % 4 == 1)
        return FUSION_ERR_INVALID;
    for (size_t i = 0; i < len; i++) {
        v = b64url_value(s[i]);
        if (v < 0)
            return FUSION_ERR_INVALID;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits < 8)
            continue;
        bits -= 8;
        if (n == size)
            return FUSION_ERR_LIMIT;
        dst[n++] = (unsigned char)(acc >> bits & 0xff);
    }
    /* Leftover bits must be zero, so each value has one spelling. */
    if (acc & ((1u << bits) - 1))
        return FUSION_ERR_INVALID;
    *len_out = n;
    return FUSION_OK;
}

static enum fusion_err
check_params(const struct fusion_secret_params *pp, uint64_t *maxmem_out,
             struct fusion_error *err)
{
    uint64_t mem;

    if (pp->log2_n < 1 || pp->log2_n > MAX_LOG2_N || pp->r < 1 ||
        pp->r > MAX_R || pp->p < 1 || pp->p > MAX_P)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "scrypt parameters out of range");
    /* What OpenSSL allocates: 128 r (N + 2) for V, 128 r p for B. */
    mem = 128 * (uint64_t)pp->r *
          (((uint64_t)1 << pp->log2_n) + 2 + (uint64_t)pp->p);
    if (mem > MAX_MEMORY)
        return fusion_error_set(err, FUSION_ERR_LIMIT,
                                "scrypt parameters need too much memory");
    *maxmem_out = mem + 65536;
    return FUSION_OK;
}

static enum fusion_err
derive(const void *secret, size_t len, const unsigned char *salt,
       size_t salt_len, const struct fusion_secret_params *pp,
       unsigned char *key, struct fusion_error *err)
{
    uint64_t maxmem = 0;
    enum fusion_err rc;
    unsigned long code;

    rc = check_params(pp, &maxmem, err);
    if (rc)
        return rc;
    /* EVP_PBE_scrypt wants a non-NULL pass even when it is empty. */
    if (EVP_PBE_scrypt(len ? secret : "", len, salt, salt_len,
                       (uint64_t)1 << pp->log2_n, pp->r, pp->p, maxmem, key,
                       FUSION_SECRET_KEY_LEN) == 1)
        return FUSION_OK;
    code = ERR_get_error();
    ERR_clear_error();
    if (ERR_GET_REASON(code) == ERR_R_MALLOC_FAILURE)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "scrypt: out of memory");
    return fusion_error_set(err, FUSION_ERR_INTERNAL, "scrypt failed");
}

enum fusion_err
fusion_secret_hash(const void *secret, size_t len,
                   const struct fusion_secret_params *params, char *out,
                   struct fusion_error *err)
{
    static const struct fusion_secret_params password = {
        .log2_n = FUSION_SECRET_PASSWORD_LOG2_N, .r = 8, .p = 1
    };
    unsigned char salt[FUSION_SECRET_SALT_LEN], key[FUSION_SECRET_KEY_LEN];
    char salt_text[FUSION_BASE64URL_LEN(FUSION_SECRET_SALT_LEN) + 1];
    char key_text[FUSION_BASE64URL_LEN(FUSION_SECRET_KEY_LEN) + 1];
    enum fusion_err rc;

    if (!params)
        params = &password;
    rc = fusion_secret_random(salt, sizeof(salt), err);
    if (!rc)
        rc = derive(secret, len, salt, sizeof(salt), params, key, err);
    if (rc)
        return rc;
    fusion_base64url_encode(salt, sizeof(salt), salt_text);
    fusion_base64url_encode(key, sizeof(key), key_text);
    OPENSSL_cleanse(key, sizeof(key));
    snprintf(out, FUSION_SECRET_HASH_MAX, "$scrypt$ln=%u,r=%u,p=%u$%s$%s",
             params->log2_n, params->r, params->p, salt_text, key_text);
    return FUSION_OK;
}

/* Reads "NAME=DIGITS" ending at stop from *s; advances past stop. */
static bool
read_param(const char **s, const char *name, char stop, unsigned *out)
{
    size_t nlen = strlen(name);
    const char *end;
    int64_t v;

    if (strncmp(*s, name, nlen) != 0 || (*s)[nlen] != '=')
        return false;
    *s += nlen + 1;
    end = strchr(*s, stop);
    if (!end || end - *s > 4 || fusion_parse_int64(*s, (size_t)(end - *s), &v))
        return false;
    if (v < 0 || **s == '+' || **s == '-')
        return false;
    *out = (unsigned)v;
    *s = end + 1;
    return true;
}

/* Splits an encoded hash into its parameters, salt and key. */
static bool
parse_encoded(const char *s, struct fusion_secret_params *pp,
              unsigned char *salt, size_t *salt_len, unsigned char *key)
{
    static const char prefix[] = "$scrypt$";
    const char *dollar;
    size_t key_len;

    if (strncmp(s, prefix, sizeof(prefix) - 1) != 0)
        return false;
    s += sizeof(prefix) - 1;
    if (!read_param(&s, "ln", ',', &pp->log2_n) ||
        !read_param(&s, "r", ',', &pp->r) || !read_param(&s, "p", '$', &pp->p))
        return false;
    dollar = strchr(s, '$');
    if (!dollar || fusion_base64url_decode(s, (size_t)(dollar - s), salt,
                                           FUSION_SECRET_SALT_LEN, salt_len))
        return false;
    s = dollar + 1;
    if (fusion_base64url_decode(s, strlen(s), key, FUSION_SECRET_KEY_LEN,
                                &key_len))
        return false;
    return *salt_len > 0 && key_len == FUSION_SECRET_KEY_LEN;
}

enum fusion_err
fusion_secret_verify(const void *secret, size_t len, const char *encoded,
                     bool *match_out, struct fusion_error *err)
{
    unsigned char salt[FUSION_SECRET_SALT_LEN];
    unsigned char want[FUSION_SECRET_KEY_LEN], got[FUSION_SECRET_KEY_LEN];
    struct fusion_secret_params pp;
    enum fusion_err rc;
    size_t salt_len;

    *match_out = false;
    if (!parse_encoded(encoded, &pp, salt, &salt_len, want))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "malformed secret hash");
    rc = derive(secret, len, salt, salt_len, &pp, got, err);
    if (rc)
        return rc;
    /* Constant time, so the comparison tells nothing of the key. */
    *match_out = CRYPTO_memcmp(want, got, sizeof(got)) == 0;
    OPENSSL_cleanse(got, sizeof(got));
    return FUSION_OK;
}
