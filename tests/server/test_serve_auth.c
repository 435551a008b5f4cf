/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who may do what on fusion serve: HTTP Basic with a password or a token,
 * Bearer tokens, revocation and password changes taking effect at once
 * despite the credential cache, grants to users and groups, and what an
 * account without a grant can learn (nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server_checks.h"
#include "util/util.h"

#define ANY_STATUS "8b0a3f24-5a1e-4f0e-9a55-0d1f1e2b3c4d"

static struct fixture *fx;
static char shared[COLL_LEN]; /* alice reads and writes it */
static char shared_object[64];
static unsigned ncollections;

static int
setup(void **state)
{
    char body[1024], path[PATH_LEN];
    struct fixture_reply r;
    char *env;

    (void)state;
    fx = fixture_new(false);
    fx->shared = true;
    fixture_user(fx, "alice", "alice-password");
    fixture_user(fx, "bob", "bob-password");
    fixture_user(fx, "carol", "carol-password");
    fixture_user(fx, "dave", "dave-password");
    fixture_cli_ok(fx, FIXTURE_ARGS("group", "add", "team", "carol"), NULL, 0);
    fixture_collection(fx, "shared", shared);
    fixture_grant(fx, "read", "alice", "shared");
    fixture_grant(fx, "write", "alice", "shared");
    fixture_start(fx, NULL);

    env = fixture_envelope(json_pack("[o]", fixture_indicator(0xa0, 1, NULL)));
    fixture_basic("alice", "alice-password", body, sizeof(body));
    snprintf(path, sizeof(path), "/api/collections/%s/objects/", shared);
    fixture_post(fx, body, path, env, &r);
    free(env);
    fixture_expect(fx, &r, 202);
    fixture_reply_release(&r);
    fixture_indicator_id(0xa0, 1, shared_object);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    fixture_stop(fx);
    fixture_free(fx);
    fx = NULL;
    return 0;
}

static char *
basic(const char *user, const char *password, char *out)
{
    return fixture_basic(user, password, out, 512);
}

static char *
bearer(const char *token, char *out)
{
    return fixture_bearer(token, out, 512);
}

/* A new collection; its alias (64 bytes) and id. */
static void
collection(const char *name, char *alias, char *id)
{
    snprintf(alias, 64, "%s-%u", name, ncollections++);
    fixture_collection(fx, alias, id);
}

/* Sends method to path as auth and fails unless the reply has status. */
static void
expect(const char *auth, const char *method, const char *path, long status)
{
    struct fixture_reply r;
    bool post = strcmp(method, "POST") == 0;
    char *body = NULL;

    if (post)
        body = fixture_envelope(
            json_pack("[o]", fixture_indicator(0xa1, ncollections, NULL)));
    fixture_call(fx,
                 &(struct fixture_request){ .method = post ? NULL : method,
                                            .path = path,
                                            .auth = auth,
                                            .body = body },
                 &r);
    free(body);
    if (r.status != status)
        fprintf(stderr, "%s %s as %.20s...\n", method, path,
                auth ? auth : "nobody");
    fixture_expect(fx, &r, status);
    fixture_reply_release(&r);
}

/* The ids in the collections listing of auth, one per line. */
static void
listed(const char *auth, char *out, size_t size)
{
    struct fixture_reply r;
    size_t i, n = 0;
    json_t *c;

    fixture_get(fx, auth, "/api/collections/", &r);
    fixture_expect(fx, &r, 200);
    out[0] = '\0';
    json_array_foreach(json_object_get(r.json, "collections"), i, c) n +=
        (size_t)snprintf(out + n, size - n, "%s\n",
                         json_string_value(json_object_get(c, "id")));
    fixture_reply_release(&r);
}

/* The TAXII endpoints, with coll and object where they take them. */
struct endpoint {
    const char *method;
    char path[PATH_LEN];
};

static size_t
endpoints(const char *coll, const char *object, struct endpoint *e)
{
    static const char *const methods[] = { "GET", "GET",    "GET", "GET",
                                           "GET", "GET",    "GET", "POST",
                                           "GET", "DELETE", "GET" };
    size_t n = sizeof(methods) / sizeof(methods[0]);

    for (size_t i = 0; i < n; i++)
        e[i].method = methods[i];
    snprintf(e[0].path, PATH_LEN, "/taxii2/");
    snprintf(e[1].path, PATH_LEN, "/api/");
    snprintf(e[2].path, PATH_LEN, "/api/status/%s/", ANY_STATUS);
    snprintf(e[3].path, PATH_LEN, "/api/collections/");
    srv_path(e[4].path, coll, "%s", "");
    srv_path(e[5].path, coll, "manifest/");
    srv_path(e[6].path, coll, "objects/");
    srv_path(e[7].path, coll, "objects/");
    srv_path(e[8].path, coll, "objects/%s/", object);
    srv_path(e[9].path, coll, "objects/%s/", object);
    srv_path(e[10].path, coll, "objects/%s/versions/", object);
    return n;
}

#define N_ENDPOINTS 11

/*
 * Authentication
 */

static void
test_auth_missing_is_401_everywhere(void **state)
{
    struct endpoint e[N_ENDPOINTS];
    struct fixture_reply r;
    const char *www;
    size_t n;

    (void)state;
    n = endpoints(shared, shared_object, e);
    for (size_t i = 0; i < n; i++) {
        fixture_call(
            fx,
            &(struct fixture_request){
                .method = strcmp(e[i].method, "POST") ? e[i].method : NULL,
                .path = e[i].path,
                .body =
                    strcmp(e[i].method, "POST") ? NULL : "{\"objects\":[]}" },
            &r);
        if (r.status != 401)
            fprintf(stderr, "%s %s\n", e[i].method, e[i].path);
        fixture_expect(fx, &r, 401);
        www = fixture_header(&r, "WWW-Authenticate");
        if (!www || !strstr(www, "Basic realm=\"fusion\"") ||
            !strstr(www, "Bearer realm=\"fusion\""))
            fail_msg("%s %s: WWW-Authenticate %s", e[i].method, e[i].path,
                     www ? www : "(none)");
        assert_true(srv_is_taxii_type(&r));
        fixture_reply_release(&r);
    }
    /* nothing was deleted on the way, and liveness needs no login */
    expect(NULL, "GET", "/healthz", 200);
    expect(basic("alice", "alice-password", (char[512]){ 0 }), "GET", e[8].path,
           200);
}

static void
test_auth_wrong_credentials_401(void **state)
{
    char token[256], wrong[256], auths[10][512], b64[512];
    const char *path = "/api/collections/";

    (void)state;
    fixture_token(fx, "alice", NULL, token, sizeof(token));
    snprintf(wrong, sizeof(wrong), "%.*s%c", (int)strlen(token) - 1, token,
             token[strlen(token) - 1] == 'A' ? 'B' : 'A');
    basic("alice", "wrong-password", auths[0]);
    basic("nobody", "alice-password", auths[1]);
    basic("alice", "", auths[2]);
    /* "alice" alone: no colon */
    snprintf(auths[3], 512, "Basic YWxpY2U=");
    snprintf(auths[4], 512, "Basic !!!not-base64!!!");
    bearer(wrong, auths[5]);
    basic("alice", wrong, auths[6]);
    bearer("alice-password", auths[7]);
    snprintf(auths[8], 512, "Digest username=\"alice\"");
    snprintf(auths[9], 512, "Bearer fusion_0123456789abcdef_%s",
             basic("x", "y", b64) + 6);
    for (size_t i = 0; i < 10; i++) {
        struct fixture_reply r;

        fixture_get(fx, auths[i], path, &r);
        if (r.status != 401)
            fprintf(stderr, "Authorization: %s\n", auths[i]);
        fixture_expect(fx, &r, 401);
        assert_non_null(fixture_header(&r, "WWW-Authenticate"));
        fixture_reply_release(&r);
    }
    /* the right one still works after the wrong ones */
    expect(bearer(token, auths[0]), "GET", path, 200);
}

static void
test_auth_password_token_as_basic_and_bearer(void **state)
{
    char token[256], auth[512], want[4096], got[4096];

    (void)state;
    fixture_token(fx, "alice", NULL, token, sizeof(token));
    listed(basic("alice", "alice-password", auth), want, sizeof(want));
    assert_non_null(strstr(want, shared));
    listed(bearer(token, auth), got, sizeof(got));
    assert_string_equal(got, want);
    /* a token as the Basic password, under any user name */
    listed(basic("alice", token, auth), got, sizeof(got));
    assert_string_equal(got, want);
    listed(basic("any-name", token, auth), got, sizeof(got));
    assert_string_equal(got, want);
    /* scheme names have no case (RFC 9110 section 11.1) */
    snprintf(auth, sizeof(auth), "bearer %s", token);
    listed(auth, got, sizeof(got));
    assert_string_equal(got, want);
}

/* The id of a token, fusion_<id>_<secret>, into out (17 bytes). */
static char *
token_id(const char *token, char *out)
{
    memcpy(out, token + 7, 16);
    out[16] = '\0';
    return out;
}

static void
test_auth_revoked_token_refused_at_once(void **state)
{
    char token[256], id[17], as_bearer[512], as_basic[512], pw[512];
    const char *path = "/api/collections/";

    (void)state;
    fixture_token(fx, "alice", NULL, token, sizeof(token));
    bearer(token, as_bearer);
    basic("alice", token, as_basic);
    basic("alice", "alice-password", pw);
    /* verified once, so remembered */
    for (int i = 0; i < 2; i++) {
        expect(as_bearer, "GET", path, 200);
        expect(as_basic, "GET", path, 200);
    }
    fixture_cli_ok(fx, FIXTURE_ARGS("token", "revoke", token_id(token, id)),
                   NULL, 0);
    expect(as_bearer, "GET", path, 401);
    expect(as_basic, "GET", path, 401);
    expect(as_bearer, "GET", path, 401);
    expect(pw, "GET", path, 200);
}

static void
test_auth_expired_token_refused(void **state)
{
    char token[256], auth[512], expires[32];
    const char *path = "/api/collections/";
    int64_t now = fusion_time_now_ns();
    int64_t at = now / 1000000000 + 2;
    time_t t = (time_t)at;
    struct tm tm;

    (void)state;
    gmtime_r(&t, &tm);
    strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fixture_token(fx, "alice", FIXTURE_ARGS("--expires", expires), token,
                  sizeof(token));
    bearer(token, auth);
    expect(auth, "GET", path, 200);
    fixture_sleep_ms(
        (long)((at * 1000000000 - fusion_time_now_ns()) / 1000000) + 300);
    expect(auth, "GET", path, 401);
}

static void
test_auth_new_password_at_once(void **state)
{
    char token[256], old_pw[512], new_pw[512], tok[512];
    const char *path = "/api/collections/";

    (void)state;
    fixture_token(fx, "bob", NULL, token, sizeof(token));
    basic("bob", "bob-password", old_pw);
    basic("bob", "bob-new-password", new_pw);
    bearer(token, tok);
    expect(old_pw, "GET", path, 200);
    expect(old_pw, "GET", path, 200);
    expect(tok, "GET", path, 200);
    fixture_passwd(fx, "bob", "bob-new-password");
    expect(old_pw, "GET", path, 401);
    expect(new_pw, "GET", path, 200);
    expect(old_pw, "GET", path, 401);
    /* a new password leaves the user's tokens valid */
    expect(tok, "GET", path, 200);
}

static void
test_auth_removed_user_refused(void **state)
{
    char token[256], pw[512], tok[512];
    const char *path = "/api/collections/";

    (void)state;
    fixture_user(fx, "erin", "erin-password");
    fixture_token(fx, "erin", NULL, token, sizeof(token));
    basic("erin", "erin-password", pw);
    bearer(token, tok);
    expect(pw, "GET", path, 200);
    expect(tok, "GET", path, 200);
    fixture_cli_ok(fx, FIXTURE_ARGS("user", "remove", "erin"), NULL, 0);
    expect(pw, "GET", path, 401);
    expect(tok, "GET", path, 401);
}

/*
 * Permissions
 */

static void
test_grant_through_group(void **state)
{
    char alias[64], coll[COLL_LEN], who[512], path[PATH_LEN], ids[4096];
    char group[64];

    (void)state;
    collection("team", alias, coll);
    basic("carol", "carol-password", who);
    srv_path(path, coll, "objects/");
    snprintf(group, sizeof(group), "@team");
    expect(who, "GET", path, 404);

    fixture_grant(fx, "read", group, alias);
    listed(who, ids, sizeof(ids));
    assert_non_null(strstr(ids, coll));
    expect(who, "GET", path, 200);
    expect(who, "POST", path, 403);
    fixture_grant(fx, "write", group, alias);
    expect(who, "POST", path, 202);

    /* each revocation counts at the next request */
    fixture_cli_ok(fx, FIXTURE_ARGS("grant", "--revoke", "read", group, alias),
                   NULL, 0);
    expect(who, "GET", path, 403);
    expect(who, "POST", path, 202);
    fixture_cli_ok(fx, FIXTURE_ARGS("grant", "--revoke", "write", group, alias),
                   NULL, 0);
    expect(who, "GET", path, 404);
    listed(who, ids, sizeof(ids));
    assert_null(strstr(ids, coll));

    /* leaving the group takes its grants away */
    fixture_grant(fx, "read", group, alias);
    expect(who, "GET", path, 200);
    fixture_cli_ok(fx, FIXTURE_ARGS("group", "remove", "team", "carol"), NULL,
                   0);
    expect(who, "GET", path, 404);
    fixture_cli_ok(fx, FIXTURE_ARGS("group", "add", "team", "carol"), NULL, 0);
    expect(who, "GET", path, 200);
}

/* A collection holding one object that dave may access as given. */
static void
granted_to_dave(const char *name, const char *access, char *coll, char *object)
{
    char alias[64], path[PATH_LEN], pw[512];
    struct fixture_reply r;
    char *env;

    collection(name, alias, coll);
    fixture_grant(fx, "read", "alice", alias);
    fixture_grant(fx, "write", "alice", alias);
    if (access)
        fixture_grant(fx, access, "dave", alias);
    env = fixture_envelope(
        json_pack("[o]", fixture_indicator(0xa2, ncollections, NULL)));
    fixture_post(fx, basic("alice", "alice-password", pw),
                 srv_path(path, coll, "objects/"), env, &r);
    free(env);
    fixture_expect(fx, &r, 202);
    fixture_reply_release(&r);
    fixture_indicator_id(0xa2, ncollections, object);
}

static void
test_read_only_403_on_write(void **state)
{
    struct endpoint e[N_ENDPOINTS];
    char coll[COLL_LEN], object[64], who[512];
    size_t n;

    (void)state;
    granted_to_dave("read-only", "read", coll, object);
    basic("dave", "dave-password", who);
    n = endpoints(coll, object, e);
    for (size_t i = 4; i < n; i++) {
        bool writes = strcmp(e[i].method, "GET") != 0;

        expect(who, e[i].method, e[i].path, writes ? 403 : 200);
    }
}

static void
test_write_only_403_on_read(void **state)
{
    struct endpoint e[N_ENDPOINTS];
    char coll[COLL_LEN], object[64], who[512];
    struct fixture_reply r;
    size_t n;

    (void)state;
    granted_to_dave("write-only", "write", coll, object);
    basic("dave", "dave-password", who);
    n = endpoints(coll, object, e);
    fixture_get(fx, who, e[4].path, &r);
    fixture_expect(fx, &r, 200);
    assert_true(json_is_false(json_object_get(r.json, "can_read")));
    assert_true(json_is_true(json_object_get(r.json, "can_write")));
    fixture_reply_release(&r);
    for (size_t i = 5; i < n; i++) {
        long want = strcmp(e[i].method, "POST") == 0 ? 202 : 403;

        expect(who, e[i].method, e[i].path, want);
    }
}

static void
test_no_grant_404_and_unlisted(void **state)
{
    struct endpoint e[N_ENDPOINTS], absent[N_ENDPOINTS];
    char coll[COLL_LEN], object[64], who[512], alias[64], ids[4096];
    char none[COLL_LEN];
    struct fixture_reply r, r_absent;
    size_t n;

    (void)state;
    granted_to_dave("hidden", NULL, coll, object);
    snprintf(alias, sizeof(alias), "hidden-%u", ncollections - 1);
    basic("dave", "dave-password", who);
    fusion_uuid4(none);
    listed(who, ids, sizeof(ids));
    assert_null(strstr(ids, coll));

    /* by id and by alias, the same answer as for no collection at all */
    for (int by_alias = 0; by_alias < 2; by_alias++) {
        n = endpoints(by_alias ? alias : coll, object, e);
        endpoints(none, object, absent);
        for (size_t i = 4; i < n; i++) {
            expect(who, e[i].method, e[i].path, 404);
            fixture_call(fx,
                         &(struct fixture_request){
                             .method = "GET", .path = e[i].path, .auth = who },
                         &r);
            fixture_call(fx,
                         &(struct fixture_request){ .method = "GET",
                                                    .path = absent[i].path,
                                                    .auth = who },
                         &r_absent);
            assert_int_equal(r.status, r_absent.status);
            assert_string_equal(srv_str(r.json, "title"),
                                srv_str(r_absent.json, "title"));
            assert_string_equal(srv_str(r.json, "description"),
                                srv_str(r_absent.json, "description"));
            fixture_reply_release(&r);
            fixture_reply_release(&r_absent);
        }
    }
    /* and what dave tried changed nothing */
    expect(basic("alice", "alice-password", who), "GET", e[8].path, 200);
}

static void
test_status_only_for_poster(void **state)
{
    char coll[COLL_LEN], object[64], path[PATH_LEN], alias[64], pw[512];
    struct fixture_reply r;
    char *env;

    (void)state;
    granted_to_dave("status", "read", coll, object);
    snprintf(alias, sizeof(alias), "status-%u", ncollections - 1);
    fixture_grant(fx, "write", "dave", alias);
    env = fixture_envelope(json_pack("[o]", fixture_indicator(0xa3, 1, NULL)));
    fixture_post(fx, basic("alice", "alice-password", pw),
                 srv_path(path, coll, "objects/"), env, &r);
    free(env);
    fixture_expect(fx, &r, 202);
    snprintf(path, sizeof(path), "/api/status/%s/", srv_str(r.json, "id"));
    fixture_reply_release(&r);
    expect(pw, "GET", path, 200);
    /* dave may read and write the collection, carol may not */
    expect(basic("dave", "dave-password", pw), "GET", path, 404);
    expect(basic("carol", "carol-password", pw), "GET", path, 404);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_auth_missing_is_401_everywhere),
        FIXTURE_TEST(test_auth_wrong_credentials_401),
        FIXTURE_TEST(test_auth_password_token_as_basic_and_bearer),
        FIXTURE_TEST(test_auth_revoked_token_refused_at_once),
        FIXTURE_TEST(test_auth_expired_token_refused),
        FIXTURE_TEST(test_auth_new_password_at_once),
        FIXTURE_TEST(test_auth_removed_user_refused),
        FIXTURE_TEST(test_grant_through_group),
        FIXTURE_TEST(test_read_only_403_on_write),
        FIXTURE_TEST(test_write_only_403_on_read),
        FIXTURE_TEST(test_no_grant_404_and_unlisted),
        FIXTURE_TEST(test_status_only_for_poster),
    };
    int failed;

    fixture_global_init(argc, argv);
    failed = cmocka_run_group_tests(tests, setup, teardown);
    fixture_global_cleanup();
    return failed;
}
