/* SPDX-License-Identifier: Apache-2.0 */
/* UUID text: random version 4, name-based version 5 (RFC 4122). */
#include "util/util.h"

#include <openssl/evp.h>
#include <string.h>
#include <uuid/uuid.h>

bool
fusion_uuid_is_valid(const char *s, size_t len, int *version_out)
{
    int v;

    if (len != FUSION_UUID_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;

        if (dash ? s[i] != '-' : fusion_hex_digit(s[i]) < 0)
            return false;
    }
    v = fusion_hex_digit(s[14]);
    if (v < 1 || v > 5)
        return false;
    /* RFC 4122 variant: the first hex digit of the fourth group is 8-b */
    if (fusion_hex_digit(s[19]) < 8 || fusion_hex_digit(s[19]) > 11)
        return false;
    if (version_out)
        *version_out = v;
    return true;
}

static bool
uuid_bytes(const char *s, unsigned char out[16])
{
    size_t j = 0;

    for (size_t i = 0; i < FUSION_UUID_LEN; i++) {
        int hi, lo;

        if (s[i] == '-')
            continue;
        hi = fusion_hex_digit(s[i]);
        lo = i + 1 < FUSION_UUID_LEN ? fusion_hex_digit(s[i + 1]) : -1;
        if (hi < 0 || lo < 0 || j >= 16)
            return false;
        out[j++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    return j == 16;
}

static void
uuid_text(const unsigned char b[16], char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 0xf];
    }
    out[o] = '\0';
}

void
fusion_uuid4(char *out)
{
    uuid_t u;

    uuid_generate_random(u);
    uuid_text(u, out);
}

enum fusion_err
fusion_uuid5(const char *ns, const void *name, size_t name_len, char *out)
{
    unsigned char nsb[16], digest[EVP_MAX_MD_SIZE];
    EVP_MD_CTX *ctx;
    int ok;

    if (strlen(ns) != FUSION_UUID_LEN || !uuid_bytes(ns, nsb))
        return FUSION_ERR_INVALID;
    ctx = EVP_MD_CTX_new();
    if (!ctx)
        return FUSION_ERR_NOMEM;
    ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
         EVP_DigestUpdate(ctx, nsb, sizeof(nsb)) &&
         EVP_DigestUpdate(ctx, name, name_len) &&
         EVP_DigestFinal_ex(ctx, digest, NULL);
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return FUSION_ERR_INTERNAL;
    digest[6] = (unsigned char)((digest[6] & 0x0f) | 0x50);
    digest[8] = (unsigned char)((digest[8] & 0x3f) | 0x80);
    uuid_text(digest, out);
    return FUSION_OK;
}
