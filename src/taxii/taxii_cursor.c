/* SPDX-License-Identifier: Apache-2.0 */
/* Tamper-evident pagination cursors: the opaque "next" of section 3.5. */
#include "taxii/taxii.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define CURSOR_VERSION 1
#define MAC_LEN        32
/* version, date_added, seq, digest */
#define BODY_LEN (1 + 8 + 8 + 8)
#define RAW_LEN  (BODY_LEN + MAC_LEN)

/* 57 raw bytes are 19 groups of three: base64 needs no padding. */
_Static_assert(RAW_LEN % 3 == 0 && RAW_LEN / 3 * 4 == FUSION_TAXII_CURSOR_LEN,
               "cursor length");

static void
put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t
get_u64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static bool
mac(const void *secret, size_t secret_len, const uint8_t *body,
    uint8_t out[MAC_LEN])
{
    unsigned len = 0;

    if (secret_len > INT32_MAX)
        return false;
    return HMAC(EVP_sha256(), secret, (int)secret_len, body, BODY_LEN, out,
                &len) != NULL &&
           len == MAC_LEN;
}

enum fusion_err
fusion_taxii_cursor_encode(const struct fusion_taxii_cursor *c,
                           const void *secret, size_t secret_len, char *out)
{
    uint8_t raw[RAW_LEN];

    if (secret_len < FUSION_TAXII_SECRET_MIN)
        return FUSION_ERR_INVALID;
    raw[0] = CURSOR_VERSION;
    put_u64(raw + 1, (uint64_t)c->date_added);
    put_u64(raw + 9, (uint64_t)c->seq);
    put_u64(raw + 17, c->digest);
    if (!mac(secret, secret_len, raw, raw + BODY_LEN))
        return FUSION_ERR_INTERNAL;
    fusion_base64url_encode(raw, RAW_LEN, out);
    return FUSION_OK;
}

enum fusion_err
fusion_taxii_cursor_decode(const char *token, size_t len, const void *secret,
                           size_t secret_len, struct fusion_taxii_cursor *out,
                           struct fusion_error *err)
{
    uint8_t raw[RAW_LEN], expect[MAC_LEN];
    size_t raw_len = 0;

    if (secret_len < FUSION_TAXII_SECRET_MIN)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid cursor secret: shorter than %d bytes",
                                FUSION_TAXII_SECRET_MIN);
    if (len != FUSION_TAXII_CURSOR_LEN)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid next: wrong length");
    if (fusion_base64url_decode(token, len, raw, sizeof(raw), &raw_len) ||
        raw_len != RAW_LEN)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid next: not base64url");
    if (!mac(secret, secret_len, raw, expect))
        return fusion_error_set(err, FUSION_ERR_INTERNAL,
                                "cannot compute cursor MAC");
    /* Constant time, so the MAC cannot be guessed byte by byte. */
    if (CRYPTO_memcmp(expect, raw + BODY_LEN, MAC_LEN) != 0)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid next: not issued by this server");
    if (raw[0] != CURSOR_VERSION)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid next: unknown cursor version");
    out->date_added = (int64_t)get_u64(raw + 1);
    out->seq = (int64_t)get_u64(raw + 9);
    out->digest = get_u64(raw + 17);
    return FUSION_OK;
}
