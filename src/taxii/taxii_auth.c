/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who is asking: HTTP Basic (RFC 7617) with a user's password or an API
 * token, or a Bearer token (RFC 6750). Password and token hashes are
 * memory-hard, so a credential once verified is remembered under an
 * HMAC of the header value; the store is still asked on every request
 * whether the token is live or the password unchanged.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <strings.h>

#include "taxii/taxii_server_int.h"

#define CACHE_SLOTS    1024
#define CACHE_TTL_NS   (INT64_C(300) * 1000000000)
#define DIGEST_LEN     32
#define MAX_CREDENTIAL 2048

struct cache_entry {
    unsigned char digest[DIGEST_LEN];
    int64_t expires;
    int64_t user_id;
    bool used;
    bool is_token;
    char token_id[FUSION_STORE_TOKEN_ID_LEN + 1];
    char stamp[65];
    char name[FUSION_STORE_MAX_NAME + 1];
};

struct taxii_auth_cache {
    pthread_mutex_t mu;
    unsigned char key[32];
    struct cache_entry slots[CACHE_SLOTS];
};

enum fusion_err
taxii_auth_cache_new(struct taxii_auth_cache **out)
{
    struct taxii_auth_cache *cache = fusion_calloc(1, sizeof(*cache));
    struct fusion_error err;

    if (!cache)
        return FUSION_ERR_NOMEM;
    if (fusion_secret_random(cache->key, sizeof(cache->key), &err)) {
        fusion_free(cache);
        return FUSION_ERR_INTERNAL;
    }
    pthread_mutex_init(&cache->mu, NULL);
    *out = cache;
    return FUSION_OK;
}

void
taxii_auth_cache_free(struct taxii_auth_cache *cache)
{
    if (!cache)
        return;
    OPENSSL_cleanse(cache, sizeof(*cache));
    pthread_mutex_destroy(&cache->mu);
    fusion_free(cache);
}

static bool
digest_of(const struct taxii_auth_cache *cache, const char *header,
          unsigned char out[DIGEST_LEN])
{
    unsigned int len = DIGEST_LEN;

    return HMAC(EVP_sha256(), cache->key, sizeof(cache->key),
                (const unsigned char *)header, strlen(header), out,
                &len) != NULL &&
           len == DIGEST_LEN;
}

static struct cache_entry *
slot_for(struct taxii_auth_cache *cache, const unsigned char *digest)
{
    size_t i = ((size_t)digest[0] << 8 | digest[1]) % CACHE_SLOTS;

    return &cache->slots[i];
}

/* Copies the remembered entry for digest, if any and still fresh. */
static bool
cache_lookup(struct taxii_auth_cache *cache, const unsigned char *digest,
             int64_t now, struct cache_entry *out)
{
    struct cache_entry *e;
    bool hit;

    pthread_mutex_lock(&cache->mu);
    e = slot_for(cache, digest);
    hit = e->used && e->expires > now &&
          CRYPTO_memcmp(e->digest, digest, DIGEST_LEN) == 0;
    if (hit)
        *out = *e;
    pthread_mutex_unlock(&cache->mu);
    return hit;
}

static void
cache_store(struct taxii_auth_cache *cache, const struct cache_entry *entry)
{
    pthread_mutex_lock(&cache->mu);
    *slot_for(cache, entry->digest) = *entry;
    pthread_mutex_unlock(&cache->mu);
}

static void
cache_forget(struct taxii_auth_cache *cache, const unsigned char *digest)
{
    struct cache_entry *e;

    pthread_mutex_lock(&cache->mu);
    e = slot_for(cache, digest);
    if (CRYPTO_memcmp(e->digest, digest, DIGEST_LEN) == 0)
        e->used = false;
    pthread_mutex_unlock(&cache->mu);
}

/* Whether s has the shape of a token: fusion_<16 hex>_<secret>. */
static bool
looks_like_token(const char *s)
{
    const char *hex = s + 7;

    if (strncmp(s, "fusion_", 7) != 0 ||
        strlen(s) <= 7 + FUSION_STORE_TOKEN_ID_LEN + 1 ||
        hex[FUSION_STORE_TOKEN_ID_LEN] != '_')
        return false;
    for (size_t i = 0; i < FUSION_STORE_TOKEN_ID_LEN; i++) {
        if (!((hex[i] >= '0' && hex[i] <= '9') ||
              (hex[i] >= 'a' && hex[i] <= 'f')))
            return false;
    }
    return true;
}

/* Decodes standard base64 (RFC 4648 section 4) into out, NUL-ended. */
static bool
base64_decode(const char *in, char *out, size_t size)
{
    size_t len = strlen(in);
    size_t pad = 0;
    int n;

    if (len == 0 || len % 4 != 0 || len / 4 * 3 + 1 > size)
        return false;
    while (pad < 2 && in[len - 1 - pad] == '=')
        pad++;
    n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in,
                        (int)len);
    if (n < 0 || (size_t)n < pad)
        return false;
    n -= (int)pad;
    out[n] = '\0';
    /* a NUL inside would cut the credentials short */
    return strlen(out) == (size_t)n;
}

static enum fusion_err
verify_token(struct taxii_call *c, const char *token, struct cache_entry *e,
             bool *ok)
{
    struct fusion_error err;
    enum fusion_err rc;

    rc = fusion_store_token_verify(c->store, token, &e->user_id, &err);
    *ok = rc == FUSION_OK;
    if (rc == FUSION_ERR_INVALID || rc == FUSION_ERR_NOTFOUND)
        return FUSION_OK;
    if (rc != FUSION_OK)
        return rc;
    e->is_token = true;
    memcpy(e->token_id, token + 7, FUSION_STORE_TOKEN_ID_LEN);
    e->token_id[FUSION_STORE_TOKEN_ID_LEN] = '\0';
    return FUSION_OK;
}

static enum fusion_err
verify_password(struct taxii_call *c, const char *user, const char *password,
                struct cache_entry *e, bool *ok)
{
    struct fusion_error err;
    enum fusion_err rc;

    rc = fusion_store_user_verify(c->store, user, password, &e->user_id, &err);
    *ok = rc == FUSION_OK;
    if (rc == FUSION_ERR_INVALID || rc == FUSION_ERR_NOTFOUND)
        return FUSION_OK;
    if (rc != FUSION_OK)
        return rc;
    rc = fusion_store_user_stamp(c->store, e->user_id, e->stamp, &err);
    if (rc == FUSION_ERR_INVALID) {
        *ok = false;
        return FUSION_OK;
    }
    return rc;
}

/* Full verification of the credentials in header, by scheme. */
static enum fusion_err
verify(struct taxii_call *c, const char *header, struct cache_entry *e,
       bool *ok)
{
    char decoded[MAX_CREDENTIAL];
    const char *arg;
    char *colon;
    enum fusion_err rc = FUSION_OK;

    *ok = false;
    if (strncasecmp(header, "Bearer ", 7) == 0) {
        arg = header + 7;
        while (*arg == ' ')
            arg++;
        return looks_like_token(arg) ? verify_token(c, arg, e, ok) : FUSION_OK;
    }
    if (strncasecmp(header, "Basic ", 6) != 0)
        return FUSION_OK;
    arg = header + 6;
    while (*arg == ' ')
        arg++;
    if (base64_decode(arg, decoded, sizeof(decoded)) &&
        (colon = strchr(decoded, ':')) != NULL) {
        *colon = '\0';
        /* clients that speak only Basic send a token as the password */
        if (looks_like_token(colon + 1))
            rc = verify_token(c, colon + 1, e, ok);
        else
            rc = verify_password(c, decoded, colon + 1, e, ok);
    }
    OPENSSL_cleanse(decoded, sizeof(decoded));
    return rc;
}

/* Whether a remembered credential still holds, by the store's word. */
static enum fusion_err
still_valid(struct taxii_call *c, const struct cache_entry *e, bool *ok)
{
    struct fusion_error err;
    char stamp[65];
    int64_t uid = 0;
    enum fusion_err rc;

    if (e->is_token) {
        rc = fusion_store_token_active(c->store, e->token_id, c->started, &uid,
                                       &err);
        *ok = rc == FUSION_OK && uid == e->user_id;
    } else {
        rc = fusion_store_user_stamp(c->store, e->user_id, stamp, &err);
        *ok = rc == FUSION_OK && strcmp(stamp, e->stamp) == 0;
    }
    if (rc == FUSION_ERR_INVALID || rc == FUSION_ERR_NOTFOUND)
        rc = FUSION_OK;
    return rc;
}

enum fusion_err
taxii_authenticate(struct taxii_call *c, enum taxii_auth_result *out)
{
    struct taxii_auth_cache *cache = c->srv->auth;
    const char *header = fusion_http_request_header(c->req, "Authorization");
    struct cache_entry e;
    unsigned char digest[DIGEST_LEN];
    struct fusion_error err;
    enum fusion_err rc;
    bool ok;

    *out = TAXII_AUTH_NONE;
    if (!header || !*header)
        return FUSION_OK;
    *out = TAXII_AUTH_BAD;
    if (strlen(header) >= MAX_CREDENTIAL || !digest_of(cache, header, digest))
        return FUSION_OK;
    if (cache_lookup(cache, digest, c->started, &e)) {
        rc = still_valid(c, &e, &ok);
        if (rc != FUSION_OK)
            return rc;
        if (!ok) {
            cache_forget(cache, digest);
            return FUSION_OK;
        }
    } else {
        memset(&e, 0, sizeof(e));
        rc = verify(c, header, &e, &ok);
        if (rc != FUSION_OK || !ok)
            return rc;
        rc = fusion_store_user_name(c->store, e.user_id, e.name, sizeof(e.name),
                                    &err);
        if (rc == FUSION_ERR_NOTFOUND || rc == FUSION_ERR_INVALID)
            return FUSION_OK;
        if (rc != FUSION_OK)
            return rc;
        memcpy(e.digest, digest, DIGEST_LEN);
        e.used = true;
        e.expires = c->started + CACHE_TTL_NS;
        cache_store(cache, &e);
    }
    c->user_id = e.user_id;
    c->user = fusion_arena_strdup(fusion_http_request_arena(c->req), e.name);
    if (!c->user)
        return FUSION_ERR_NOMEM;
    *out = TAXII_AUTH_OK;
    return FUSION_OK;
}
