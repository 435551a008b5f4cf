/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Items T-S-01 to T-S-16 of the TAXII 2.1 conformance checklist (implementer
 * notes, section 11) against fusion serve over HTTP on loopback, one test
 * per item: the server in general (discovery, TLS, resources, media types,
 * malformed filters, errors, timestamps, login).
 */
#include <dlfcn.h>
#include <openssl/ssl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server_checks.h"
#include "util/util.h"

/* One resource of each kind the server returns, and the status behind it. */
struct sample {
    enum resource res;
    const char *what;
    json_t *json;
};

#define MAX_SAMPLES 16

static size_t
add_sample(struct sample *s, size_t n, enum resource res, const char *what,
           json_t *json)
{
    assert_true(n < MAX_SAMPLES);
    assert_non_null(json);
    s[n] = (struct sample){ res, what, json };
    return n + 1;
}

/* Makes a collection with content and gathers every kind of resource. */
static size_t
gather(uint32_t group, struct sample *s)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN], id[64];
    struct fixture_reply r;
    json_t *status;
    size_t n = 0;

    srv_new_collection("resources", alias, coll);
    fixture_indicator_id(group, 1, id);
    status = srv_post_status(
        coll,
        srv_objects(fixture_indicator(group, 1, T1),
                    fixture_indicator(group, 1, T2), srv_observable(group, 2),
                    json_pack("{s:s}", "type", "bogus"), NULL));
    n = add_sample(s, n, R_STATUS, "POST objects", status);
    snprintf(path, sizeof(path), "/api/status/%s/", srv_str(status, "id"));
    n = add_sample(s, n, R_STATUS, "GET status", srv_get(alice, path, 200));
    n = add_sample(s, n, R_DISCOVERY, "discovery",
                   srv_get(alice, "/taxii2/", 200));
    n = add_sample(s, n, R_API_ROOT, "api root", srv_get(alice, "/api/", 200));
    n = add_sample(s, n, R_COLLECTIONS, "collections",
                   srv_get(alice, "/api/collections/", 200));
    n = add_sample(s, n, R_COLLECTION, "collection",
                   srv_get(alice, srv_path(path, coll, "%s", ""), 200));
    n = add_sample(s, n, R_MANIFEST, "manifest",
                   srv_get(alice,
                           srv_path(path, coll, "manifest/?match[version]=all"),
                           200));
    n = add_sample(
        s, n, R_MANIFEST, "manifest page",
        srv_get(alice, srv_path(path, coll, "manifest/?limit=1"), 200));
    n = add_sample(s, n, R_ENVELOPE, "objects",
                   srv_get(alice,
                           srv_path(path, coll, "objects/?match[version]=all"),
                           200));
    n = add_sample(
        s, n, R_ENVELOPE, "objects page",
        srv_get(alice, srv_path(path, coll, "objects/?limit=1"), 200));
    n = add_sample(
        s, n, R_ENVELOPE, "object",
        srv_get(alice, srv_path(path, coll, "objects/%s/", id), 200));
    n = add_sample(
        s, n, R_VERSIONS, "versions",
        srv_get(alice, srv_path(path, coll, "objects/%s/versions/", id), 200));
    n = add_sample(
        s, n, R_ERROR, "error 404",
        srv_get(alice, srv_path(path, "no-such-alias", "%s", ""), 404));
    n = add_sample(s, n, R_ERROR, "error 401",
                   srv_get(NULL, "/api/collections/", 401));
    fixture_get(srv, alice, srv_path(path, coll, "objects/?limit=0"), &r);
    fixture_expect(srv, &r, 400);
    n = add_sample(s, n, R_ERROR, "error 400", json_incref(r.json));
    fixture_reply_release(&r);
    return n;
}

static void
release_samples(struct sample *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(s[i].json);
}

/*
 * Server - general
 */

static void
test_t_s_01_discovery_at_taxii2(void **state)
{
    json_t *d;

    (void)state;
    d = srv_get(alice, "/taxii2/", 200);
    assert_true(json_is_object(d));
    assert_non_null(srv_str(d, "title"));
    json_decref(d);
}

static void
test_t_s_02_api_root_hosted(void **state)
{
    json_t *d, *root, *url;
    size_t i;

    (void)state;
    d = srv_get(alice, "/taxii2/", 200);
    assert_true(srv_count(d, "api_roots") >= 1);
    json_array_foreach(srv_items(d, "api_roots"), i, url)
    {
        root = srv_get(alice, json_string_value(url), 200);
        srv_check(root, R_API_ROOT, CHECK_REQUIRED);
        json_decref(root);
    }
    json_decref(d);
}

/*
 * TLS 1.3 early data (0-RTT) needs a session ticket that allows it (RFC
 * 8446 section 4.6.1). libcurl hands over its OpenSSL context, whose
 * functions are looked up in the libssl it has loaded.
 */
static struct {
    long (*ctx_ctrl)(SSL_CTX *ctx, int cmd, long larg, void *parg);
    void (*set_new_cb)(SSL_CTX *ctx, int (*cb)(SSL *ssl, SSL_SESSION *session));
    uint32_t (*max_early_data)(const SSL_SESSION *session);
    unsigned tickets;
    uint32_t max_early;
} ssl_fns;

static bool
find_fn(void *lib, const char *name, void *fn, size_t size)
{
    void *sym = dlsym(lib, name);

    if (sym)
        memcpy(fn, &sym, size);
    return sym != NULL;
}

static bool
find_openssl(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    void *self = dlopen(NULL, RTLD_NOW);

    return self && v->ssl_version &&
           strncmp(v->ssl_version, "OpenSSL/", 8) == 0 &&
           find_fn(self, "SSL_CTX_ctrl", &ssl_fns.ctx_ctrl,
                   sizeof(ssl_fns.ctx_ctrl)) &&
           find_fn(self, "SSL_CTX_sess_set_new_cb", &ssl_fns.set_new_cb,
                   sizeof(ssl_fns.set_new_cb)) &&
           find_fn(self, "SSL_SESSION_get_max_early_data",
                   &ssl_fns.max_early_data, sizeof(ssl_fns.max_early_data));
}

static int
on_ticket(SSL *ssl, SSL_SESSION *session)
{
    uint32_t max = ssl_fns.max_early_data(session);

    (void)ssl;
    ssl_fns.tickets++;
    if (max > ssl_fns.max_early)
        ssl_fns.max_early = max;
    return 0;
}

static CURLcode
watch_tickets(CURL *curl, void *ssl_ctx, void *userdata)
{
    (void)curl;
    (void)userdata;
    ssl_fns.ctx_ctrl(ssl_ctx, SSL_CTRL_SET_SESS_CACHE_MODE,
                     SSL_SESS_CACHE_CLIENT, NULL);
    ssl_fns.set_new_cb(ssl_ctx, on_ticket);
    return CURLE_OK;
}

static void
test_t_s_03_tls_12_and_13(void **state)
{
    struct fixture *tls = fixture_new(true);
    const long versions[] = {
        CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2,
        CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3,
    };
    bool watch = find_openssl();
    struct fixture_reply r;
    char token[256], auth[300], base[sizeof(tls->base)];

    (void)state;
    fixture_user(tls, "tls-user", "tls-password");
    fixture_token(tls, "tls-user", NULL, token, sizeof(token));
    fixture_bearer(token, auth, sizeof(auth));
    fixture_start(tls, NULL);
    assert_true(strncmp(tls->base, "https://", 8) == 0);
    for (size_t i = 0; i < 2; i++) {
        /* the peer is checked against the certificate fusion init made */
        fixture_call(tls,
                     &(struct fixture_request){
                         .path = "/taxii2/",
                         .auth = auth,
                         .tls_version = versions[i],
                         .ssl_ctx_fn = watch && i == 1 ? watch_tickets : NULL },
                     &r);
        fixture_expect(tls, &r, 200);
        assert_non_null(srv_str(r.json, "title"));
        fixture_reply_release(&r);
    }
    /* plain HTTP is not served beside it */
    memcpy(base, tls->base, sizeof(base));
    snprintf(tls->base, sizeof(tls->base), "http://%.100s", base + 8);
    assert_int_not_equal(
        fixture_request(tls, &(struct fixture_request){ .path = "/taxii2/" },
                        &r),
        CURLE_OK);
    fixture_reply_release(&r);
    memcpy(tls->base, base, sizeof(base));
    /* no ticket offers early data, so 0-RTT cannot be used */
    if (watch)
        assert_int_equal(ssl_fns.max_early, 0);
    fixture_stop(tls);
    fixture_free(tls);
}

static void
test_t_s_04_required_properties(void **state)
{
    struct sample s[MAX_SAMPLES];
    size_t n;

    (void)state;
    n = gather(0x04, s);
    for (size_t i = 0; i < n; i++)
        srv_check(s[i].json, s[i].res, CHECK_REQUIRED);
    release_samples(s, n);
}

static void
test_t_s_05_exact_names_and_literals(void **state)
{
    struct sample s[MAX_SAMPLES];
    size_t n, j;
    json_t *v;

    (void)state;
    n = gather(0x05, s);
    for (size_t i = 0; i < n; i++) {
        srv_check(s[i].json, s[i].res, CHECK_NAMES);
        if (s[i].res == R_STATUS) {
            const char *st = srv_str(s[i].json, "status");

            assert_true(strcmp(st, "complete") == 0 ||
                        strcmp(st, "pending") == 0);
        }
        if (s[i].res == R_API_ROOT) {
            bool found = false;

            json_array_foreach(srv_items(s[i].json, "versions"), j, v) found =
                found || strcmp(json_string_value(v), FIXTURE_TAXII) == 0;
            assert_true(found);
        }
    }
    release_samples(s, n);
}

/* One request for each kind of response the TAXII endpoints give. */
struct kind_of_reply {
    const char *what;
    long status;
    struct fixture_request rq;
};

static size_t
replies_of_every_kind(const char *coll, const char *object,
                      struct kind_of_reply *k, char paths[][PATH_LEN])
{
    const char *empty = "{\"objects\":[]}";
    size_t n = 0;

    srv_path(paths[0], coll, "objects/");
    srv_path(paths[1], coll, "manifest/");
    srv_path(paths[2], coll, "objects/%s/", object);
    srv_path(paths[3], coll, "objects/?limit=0");
    srv_path(paths[4], "no-such-alias", "objects/");
    k[n++] = (struct kind_of_reply){ "discovery",
                                     200,
                                     { .path = "/taxii2/", .auth = alice } };
    k[n++] = (struct kind_of_reply){ "api root",
                                     200,
                                     { .path = "/api/", .auth = alice } };
    k[n++] = (struct kind_of_reply){
        "collections", 200, { .path = "/api/collections/", .auth = alice }
    };
    k[n++] = (struct kind_of_reply){ "objects",
                                     200,
                                     { .path = paths[0], .auth = alice } };
    k[n++] = (struct kind_of_reply){ "manifest",
                                     200,
                                     { .path = paths[1], .auth = alice } };
    k[n++] = (struct kind_of_reply){
        "post", 202, { .path = paths[0], .auth = alice, .body = empty }
    };
    k[n++] = (struct kind_of_reply){
        "delete", 200, { .method = "DELETE", .path = paths[2], .auth = alice }
    };
    k[n++] = (struct kind_of_reply){ "bad filter",
                                     400,
                                     { .path = paths[3], .auth = alice } };
    k[n++] = (struct kind_of_reply){ "no login", 401, { .path = "/taxii2/" } };
    k[n++] = (struct kind_of_reply){ "write only",
                                     403,
                                     { .path = paths[0], .auth = carol } };
    k[n++] = (struct kind_of_reply){ "unknown collection",
                                     404,
                                     { .path = paths[4], .auth = alice } };
    k[n++] = (struct kind_of_reply){
        "unknown status",
        404,
        { .path = "/api/status/8b0a3f24-5a1e-4f0e-9a55-0d1f1e2b3c4d/",
          .auth = alice }
    };
    k[n++] = (struct kind_of_reply){
        "unknown path", 404, { .path = "/api/no/such/place/", .auth = alice }
    };
    k[n++] = (struct kind_of_reply){
        "method",
        405,
        { .method = "PUT", .path = "/api/collections/", .auth = alice }
    };
    k[n++] = (struct kind_of_reply){
        "accept",
        406,
        { .path = "/taxii2/", .auth = alice, .accept = "text/html" }
    };
    k[n++] = (struct kind_of_reply){ "content type",
                                     415,
                                     { .path = paths[0],
                                       .auth = alice,
                                       .body = empty,
                                       .content_type = "application/json" } };
    k[n++] = (struct kind_of_reply){
        "not an envelope",
        422,
        { .path = paths[0], .auth = alice, .body = "[1, 2, 3]" }
    };
    return n;
}

#define MAX_KINDS 24

/* A collection with one object that carol may write but not read. */
static void
error_scene(uint32_t group, char *coll, char *object)
{
    char alias[64];

    srv_new_collection("errors", alias, coll);
    fixture_grant(srv, "write", "carol", alias);
    srv_post_ok(coll, srv_objects(fixture_indicator(group, 1, NULL), NULL));
    fixture_indicator_id(group, 1, object);
}

static void
test_t_s_06_content_type_on_every_response(void **state)
{
    struct kind_of_reply k[MAX_KINDS];
    char paths[MAX_KINDS][PATH_LEN];
    char coll[COLL_LEN], object[64];
    struct fixture_reply r;
    size_t n;

    (void)state;
    error_scene(0x06, coll, object);
    n = replies_of_every_kind(coll, object, k, paths);
    for (size_t i = 0; i < n; i++) {
        fixture_call(srv, &k[i].rq, &r);
        fixture_expect(srv, &r, k[i].status);
        if (!srv_is_taxii_type(&r))
            fail_msg("%s (%ld): Content-Type '%s'", k[i].what, r.status,
                     fixture_header(&r, "Content-Type"));
        fixture_reply_release(&r);
    }
}

/* The GET endpoints of a collection holding object, and a status of it. */
static size_t
get_endpoints(const char *coll, const char *object, const char *status_id,
              char paths[][PATH_LEN])
{
    size_t n = 0;

    snprintf(paths[n++], PATH_LEN, "/taxii2/");
    snprintf(paths[n++], PATH_LEN, "/api/");
    snprintf(paths[n++], PATH_LEN, "/api/status/%s/", status_id);
    snprintf(paths[n++], PATH_LEN, "/api/collections/");
    srv_path(paths[n++], coll, "%s", "");
    srv_path(paths[n++], coll, "manifest/");
    srv_path(paths[n++], coll, "objects/");
    srv_path(paths[n++], coll, "objects/%s/", object);
    srv_path(paths[n++], coll, "objects/%s/versions/", object);
    return n;
}

#define MAX_ENDPOINTS 9

static void
test_t_s_07_defined_accept_not_406(void **state)
{
    static const char *const accepts[] = {
        FIXTURE_TAXII,
        "application/taxii+json",
        "application/taxii+json; version=2.1",
        "Application/TAXII+JSON;version=2.1",
        "text/html, application/taxii+json;version=2.1",
    };
    char paths[MAX_ENDPOINTS][PATH_LEN];
    char alias[64], coll[COLL_LEN], object[64], post[PATH_LEN];
    struct fixture_reply r;
    json_t *status;
    size_t n;

    (void)state;
    srv_new_collection("accept", alias, coll);
    fixture_indicator_id(0x07, 1, object);
    status = srv_post_status(
        coll, srv_objects(fixture_indicator(0x07, 1, NULL), NULL));
    n = get_endpoints(coll, object, srv_str(status, "id"), paths);
    for (size_t a = 0; a < sizeof(accepts) / sizeof(accepts[0]); a++) {
        for (size_t i = 0; i < n; i++) {
            fixture_call(srv,
                         &(struct fixture_request){ .path = paths[i],
                                                    .auth = alice,
                                                    .accept = accepts[a] },
                         &r);
            if (r.status != 200)
                print_error("GET %s, Accept: %s\n", paths[i], accepts[a]);
            fixture_expect(srv, &r, 200);
            fixture_reply_release(&r);
        }
        fixture_call(
            srv,
            &(struct fixture_request){ .path = srv_path(post, coll, "objects/"),
                                       .auth = alice,
                                       .accept = accepts[a],
                                       .body = "{\"objects\":[]}" },
            &r);
        fixture_expect(srv, &r, 202);
        fixture_reply_release(&r);
    }
    /* the manifest's own Accept (section 5.3) */
    fixture_call(
        srv,
        &(struct fixture_request){ .path = paths[5],
                                   .auth = alice,
                                   .accept = FIXTURE_TAXII
                                   ",application/stix+json;version=2.1" },
        &r);
    fixture_expect(srv, &r, 200);
    fixture_reply_release(&r);
    json_decref(status);
}

static void
test_t_s_08_defined_content_type_not_415(void **state)
{
    static const char *const types[] = {
        FIXTURE_TAXII,
        "application/taxii+json; version=2.1",
        "Application/TAXII+JSON;version=2.1",
        "application/taxii+json",
    };
    char alias[64], coll[COLL_LEN], path[PATH_LEN];
    struct fixture_reply r;
    char *body;

    (void)state;
    srv_new_collection("content-type", alias, coll);
    for (uint32_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        body = fixture_envelope(
            srv_objects(fixture_indicator(0x08, i, NULL), NULL));
        fixture_call(
            srv,
            &(struct fixture_request){ .path = srv_path(path, coll, "objects/"),
                                       .auth = alice,
                                       .content_type = types[i],
                                       .body = body },
            &r);
        free(body);
        if (r.status != 202)
            print_error("Content-Type: %s\n", types[i]);
        fixture_expect(srv, &r, 202);
        assert_int_equal(srv_int(r.json, "success_count"), 1);
        fixture_reply_release(&r);
    }
}

static void
test_t_s_09_accept_without_version(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN];
    const char *paths[3] = { "/taxii2/", "/api/collections/", path };
    struct fixture_reply r;

    (void)state;
    srv_new_collection("latest", alias, coll);
    srv_path(path, coll, "objects/");
    for (size_t i = 0; i < 3; i++) {
        fixture_call(
            srv,
            &(struct fixture_request){ .path = paths[i],
                                       .auth = alice,
                                       .accept = "application/taxii+json" },
            &r);
        fixture_expect(srv, &r, 200);
        assert_true(srv_is_taxii_type(&r));
        fixture_reply_release(&r);
    }
}

static void
test_t_s_10_malformed_parameters_400(void **state)
{
    static const char *const list_queries[] = {
        "added_after=yesterday",
        "added_after=2021-01-01",
        "added_after=2021-01-01T00:00:00%2B01:00",
        "limit=abc",
        "match[version]=2021-13-01T00:00:00Z",
        "match[version]=newest",
        "match[spec_version]=two",
        "match[spec_version]=2",
        "match[id]=not-an-id",
        "match[id]=indicator--1234",
        "match[id]=",
        "match[type]=bad_type!",
        "match[type]=indicator,,malware",
        "next=not-a-cursor",
    };
    static const char *const object_queries[] = {
        "match[version]=newest",
        "added_after=yesterday",
        "match[spec_version]=x.y",
        "limit=abc",
    };
    char alias[64], coll[COLL_LEN], path[PATH_LEN], object[64];
    const char *endpoints[] = { "objects", "manifest" };

    (void)state;
    srv_new_collection("malformed", alias, coll);
    srv_post_ok(coll, srv_objects(fixture_indicator(0x10, 1, NULL), NULL));
    fixture_indicator_id(0x10, 1, object);
    for (size_t e = 0; e < 2; e++) {
        for (size_t i = 0; i < sizeof(list_queries) / sizeof(*list_queries);
             i++)
            json_decref(srv_get(
                alice,
                srv_path(path, coll, "%s/?%s", endpoints[e], list_queries[i]),
                400));
    }
    for (size_t i = 0; i < sizeof(object_queries) / sizeof(*object_queries);
         i++) {
        json_decref(srv_get(
            alice,
            srv_path(path, coll, "objects/%s/?%s", object, object_queries[i]),
            400));
        if (strncmp(object_queries[i], "match[version]", 14) != 0)
            json_decref(srv_get(alice,
                                srv_path(path, coll, "objects/%s/versions/?%s",
                                         object, object_queries[i]),
                                400));
    }
}

static void
test_t_s_11_success_bodies_are_resources(void **state)
{
    struct sample s[MAX_SAMPLES];
    size_t n;

    (void)state;
    n = gather(0x11, s);
    for (size_t i = 0; i < n; i++) {
        if (s[i].res != R_ERROR)
            srv_check(s[i].json, s[i].res, CHECK_REQUIRED | CHECK_NAMES);
    }
    release_samples(s, n);
}

static void
test_t_s_12_error_http_status(void **state)
{
    struct kind_of_reply k[MAX_KINDS];
    char paths[MAX_KINDS][PATH_LEN];
    char coll[COLL_LEN], object[64], want[8];
    struct fixture_reply r;
    const char *hs;
    size_t n;

    (void)state;
    error_scene(0x12, coll, object);
    n = replies_of_every_kind(coll, object, k, paths);
    for (size_t i = 0; i < n; i++) {
        if (k[i].status < 400)
            continue;
        fixture_call(srv, &k[i].rq, &r);
        fixture_expect(srv, &r, k[i].status);
        if (r.len) {
            srv_check(r.json, R_ERROR, CHECK_REQUIRED | CHECK_NAMES);
            hs = srv_str(r.json, "http_status");
            snprintf(want, sizeof(want), "%ld", r.status);
            if (hs && strcmp(hs, want) != 0)
                fail_msg("%s: http_status '%s' in a %ld reply", k[i].what, hs,
                         r.status);
        }
        fixture_reply_release(&r);
    }
}

/*
 * docs/serve.md: every response carries its request id as X-Request-ID,
 * and error bodies carry it as error_id.
 */
static void
test_error_bodies_carry_request_id(void **state)
{
    struct kind_of_reply k[MAX_KINDS];
    char paths[MAX_KINDS][PATH_LEN];
    char coll[COLL_LEN], object[64];
    struct fixture_reply r;
    const char *rid, *eid;
    size_t n;

    (void)state;
    error_scene(0x1201, coll, object);
    n = replies_of_every_kind(coll, object, k, paths);
    for (size_t i = 0; i < n; i++) {
        fixture_call(srv, &k[i].rq, &r);
        fixture_expect(srv, &r, k[i].status);
        rid = fixture_header(&r, "X-Request-ID");
        eid = srv_str(r.json, "error_id");
        if (!rid)
            fail_msg("%s (%ld): no X-Request-ID", k[i].what, r.status);
        if (k[i].status >= 400 && (!eid || strcmp(eid, rid) != 0))
            fail_msg("%s (%ld): error_id %s, X-Request-ID %s: %s", k[i].what,
                     r.status, eid ? eid : "(none)", rid, r.body);
        fixture_reply_release(&r);
    }
}

static void
test_t_s_13_no_user_agent(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN];
    struct fixture_reply r;
    char *body;

    (void)state;
    srv_new_collection("agent", alias, coll);
    fixture_call(srv,
                 &(struct fixture_request){
                     .path = "/taxii2/", .auth = alice, .no_user_agent = true },
                 &r);
    fixture_expect(srv, &r, 200);
    fixture_reply_release(&r);
    body =
        fixture_envelope(srv_objects(fixture_indicator(0x13, 1, NULL), NULL));
    fixture_call(
        srv,
        &(struct fixture_request){ .path = srv_path(path, coll, "objects/"),
                                   .auth = alice,
                                   .body = body,
                                   .no_user_agent = true },
        &r);
    free(body);
    fixture_expect(srv, &r, 202);
    fixture_reply_release(&r);
    fixture_call(
        srv,
        &(struct fixture_request){ .path = srv_path(path, coll, "objects/"),
                                   .auth = alice,
                                   .no_user_agent = true },
        &r);
    fixture_expect(srv, &r, 200);
    assert_int_equal(srv_count(r.json, "objects"), 1);
    fixture_reply_release(&r);
}

static void
expect_time(const char *what, const char *value)
{
    if (!fixture_is_taxii_time(value))
        fail_msg("%s: '%s' is not UTC with microseconds", what,
                 value ? value : "(none)");
}

static void
test_t_s_14_timestamps_microseconds(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN], id[64];
    char rests[4][256];
    struct fixture_reply r;
    json_t *status, *rec;
    size_t i;

    (void)state;
    srv_new_collection("times", alias, coll);
    fixture_indicator_id(0x14, 1, id);
    status = srv_post_status(coll, srv_objects(fixture_indicator(0x14, 1, T1),
                                               fixture_indicator(0x14, 1, T2),
                                               srv_observable(0x14, 2), NULL));
    expect_time("POST request_timestamp", srv_str(status, "request_timestamp"));
    snprintf(path, sizeof(path), "/api/status/%s/", srv_str(status, "id"));
    json_decref(status);
    status = srv_get(alice, path, 200);
    expect_time("GET status request_timestamp",
                srv_str(status, "request_timestamp"));
    json_decref(status);

    fixture_get(srv, alice,
                srv_path(path, coll, "manifest/?match[version]=all"), &r);
    fixture_expect(srv, &r, 200);
    assert_int_equal(srv_count(r.json, "objects"), 3);
    json_array_foreach(srv_items(r.json, "objects"), i, rec)
        expect_time("date_added", srv_str(rec, "date_added"));
    fixture_reply_release(&r);

    snprintf(rests[0], sizeof(rests[0]), "manifest/");
    snprintf(rests[1], sizeof(rests[1]), "objects/");
    snprintf(rests[2], sizeof(rests[2]), "objects/%s/", id);
    snprintf(rests[3], sizeof(rests[3]), "objects/%s/versions/", id);
    for (i = 0; i < 4; i++) {
        fixture_get(srv, alice, srv_path(path, coll, "%s", rests[i]), &r);
        fixture_expect(srv, &r, 200);
        expect_time("X-TAXII-Date-Added-First",
                    fixture_header(&r, "X-TAXII-Date-Added-First"));
        expect_time("X-TAXII-Date-Added-Last",
                    fixture_header(&r, "X-TAXII-Date-Added-Last"));
        fixture_reply_release(&r);
    }
}

static void
test_t_s_15_no_empty_lists(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN], id[64];
    json_t *v;

    (void)state;
    srv_new_collection("empty", alias, coll);
    v = srv_get(dave, "/api/collections/", 200);
    assert_int_equal(json_object_size(v), 0);
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll, "objects/"), 200);
    assert_null(json_object_get(v, "objects"));
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll, "manifest/"), 200);
    assert_null(json_object_get(v, "objects"));
    json_decref(v);

    /* a status with successes only, then one with failures only */
    v = srv_post_status(coll,
                        srv_objects(fixture_indicator(0x15, 1, NULL), NULL));
    srv_check(v, R_STATUS, CHECK_REQUIRED);
    assert_null(json_object_get(v, "failures"));
    assert_null(json_object_get(v, "pendings"));
    json_decref(v);
    v = srv_post_status(coll,
                        srv_objects(json_pack("{s:s}", "type", "bogus"), NULL));
    srv_check(v, R_STATUS, CHECK_REQUIRED);
    assert_null(json_object_get(v, "successes"));
    assert_null(json_object_get(v, "pendings"));
    json_decref(v);

    /* nothing after the future, and nothing of a type absent */
    fixture_indicator_id(0x15, 1, id);
    v = srv_get(alice,
                srv_path(path, coll,
                         "objects/%s/versions/?added_after="
                         "2999-01-01T00:00:00.000000Z",
                         id),
                200);
    assert_null(json_object_get(v, "versions"));
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll, "manifest/?match[type]=malware"),
                200);
    assert_null(json_object_get(v, "objects"));
    json_decref(v);
}

static void
expect_challenge(const struct fixture_reply *r)
{
    const char *www = fixture_header(r, "WWW-Authenticate");

    if (!www || !strstr(www, "Basic"))
        fail_msg("401 without a Basic challenge: %s", www ? www : "(none)");
}

static void
test_t_s_16_basic_and_challenge(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN];
    const char *paths[4] = { "/taxii2/", "/api/", "/api/collections/", path };
    struct fixture_reply r;

    (void)state;
    srv_new_collection("basic", alias, coll);
    srv_path(path, coll, "objects/");
    for (size_t i = 0; i < 4; i++) {
        fixture_get(srv, alice, paths[i], &r);
        fixture_expect(srv, &r, 200);
        fixture_reply_release(&r);
        fixture_get(srv, NULL, paths[i], &r);
        fixture_expect(srv, &r, 401);
        expect_challenge(&r);
        fixture_reply_release(&r);
    }
    fixture_post(srv, NULL, path, "{\"objects\":[]}", &r);
    fixture_expect(srv, &r, 401);
    expect_challenge(&r);
    fixture_reply_release(&r);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_t_s_01_discovery_at_taxii2),
        FIXTURE_TEST(test_t_s_02_api_root_hosted),
        FIXTURE_TEST(test_t_s_03_tls_12_and_13),
        FIXTURE_TEST(test_t_s_04_required_properties),
        FIXTURE_TEST(test_t_s_05_exact_names_and_literals),
        FIXTURE_TEST(test_t_s_06_content_type_on_every_response),
        FIXTURE_TEST(test_t_s_07_defined_accept_not_406),
        FIXTURE_TEST(test_t_s_08_defined_content_type_not_415),
        FIXTURE_TEST(test_t_s_09_accept_without_version),
        FIXTURE_TEST(test_t_s_10_malformed_parameters_400),
        FIXTURE_TEST(test_t_s_11_success_bodies_are_resources),
        FIXTURE_TEST(test_t_s_12_error_http_status),
        FIXTURE_TEST(test_error_bodies_carry_request_id),
        FIXTURE_TEST(test_t_s_13_no_user_agent),
        FIXTURE_TEST(test_t_s_14_timestamps_microseconds),
        FIXTURE_TEST(test_t_s_15_no_empty_lists),
        FIXTURE_TEST(test_t_s_16_basic_and_challenge),
    };
    int failed;

    fixture_global_init(argc, argv);
    failed = cmocka_run_group_tests(tests, srv_setup, srv_teardown);
    fixture_global_cleanup();
    return failed;
}
