/* SPDX-License-Identifier: Apache-2.0 */
/* Shared between the parts of the TAXII server; not an interface. */
#ifndef FUSION_TAXII_SERVER_INT_H
#define FUSION_TAXII_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "store/store.h"
#include "taxii/taxii.h"

struct taxii_root {
    char *name;
    char *title;
    char *description;
    char *url; /* "/name/" */
    char **collections;
    size_t ncollections;
};

struct taxii_auth_cache;

struct fusion_taxii_server {
    struct fusion_http_server *http;
    char *db_path;
    char *title;
    char *description;
    char *contact;
    struct taxii_root *roots;
    size_t nroots;
    size_t default_root;
    int64_t page_size;
    uint64_t max_content_length;
    int64_t status_retention_ns;
    size_t store_cache_bytes;
    unsigned char secret[FUSION_TAXII_SECRET_MAX];
    size_t secret_len;

    /* store connections not in use; a request takes one and gives it back */
    pthread_mutex_t pool_mu;
    struct fusion_store **pool;
    size_t npool;
    size_t pool_cap;

    struct taxii_auth_cache *auth;

    atomic_uint_least64_t posts;
    atomic_uint_least64_t objects_stored;
    atomic_uint_least64_t objects_duplicate;
    atomic_uint_least64_t objects_failed;
    atomic_uint_least64_t auth_failures;
    atomic_int_least64_t last_purge;
};

/* One request being served. */
struct taxii_call {
    struct fusion_taxii_server *srv;
    struct fusion_http_request *req;
    struct fusion_http_response *resp;
    struct fusion_store *store;
    const struct taxii_root *root;
    int64_t user_id;
    const char *user; /* the account's name, in the request's arena */
    int64_t started;
};

/*
 * Authentication (taxii_auth.c). A verified credential is remembered,
 * by a keyed digest of the header, for a few minutes, so that scrypt
 * runs once per client rather than per request; every request still
 * checks with the store that the token is live or the password
 * unchanged, so a revocation or a new password takes effect at once.
 */
FUSION_NODISCARD enum fusion_err
taxii_auth_cache_new(struct taxii_auth_cache **out);
void taxii_auth_cache_free(struct taxii_auth_cache *cache);

enum taxii_auth_result {
    TAXII_AUTH_OK,
    TAXII_AUTH_NONE, /* no Authorization header */
    TAXII_AUTH_BAD,  /* a scheme we do not take, or wrong credentials */
};

/*
 * Checks the Authorization header of c's request; on TAXII_AUTH_OK sets
 * c->user_id and c->user. FUSION_ERR_* only for a store failure.
 */
FUSION_NODISCARD enum fusion_err
taxii_authenticate(struct taxii_call *c, enum taxii_auth_result *out);

/* Replies (taxii_server.c). Each returns FUSION_OK once the reply is set. */
FUSION_NODISCARD enum fusion_err taxii_reply_error(struct taxii_call *c,
                                                   unsigned status,
                                                   const char *title,
                                                   const char *description);
FUSION_NODISCARD enum fusion_err taxii_reply_body(struct taxii_call *c,
                                                  unsigned status);

/*
 * The collection named by the {id} path segment, resolved for c's root:
 * ok is false (and a 404 replied) when it does not exist, is not served
 * by the root, or the account may neither read nor write it.
 */
struct taxii_coll {
    char id[FUSION_UUID_LEN + 1];
    bool can_read;
    bool can_write;
};

FUSION_NODISCARD enum fusion_err
taxii_find_collection(struct taxii_call *c, struct taxii_coll *coll, bool *ok);

/* The endpoints of taxii_objects.c. */
FUSION_NODISCARD enum fusion_err taxii_get_objects(struct taxii_call *c);
FUSION_NODISCARD enum fusion_err taxii_get_manifest(struct taxii_call *c);
FUSION_NODISCARD enum fusion_err taxii_get_object(struct taxii_call *c);
FUSION_NODISCARD enum fusion_err taxii_get_versions(struct taxii_call *c);
FUSION_NODISCARD enum fusion_err taxii_delete_object(struct taxii_call *c);
FUSION_NODISCARD enum fusion_err taxii_post_objects(struct taxii_call *c);
/*
 * The part of taxii_post_objects that the headers decide (collection,
 * Content-Type, write grant): replies the refusal, or nothing when the
 * upload may go on. The early check of the POST route.
 */
FUSION_NODISCARD enum fusion_err taxii_check_post(struct taxii_call *c);
FUSION_NODISCARD enum fusion_err taxii_get_status(struct taxii_call *c);

#endif
