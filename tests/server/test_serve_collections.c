/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Items T-S-20 to T-S-35 of the TAXII 2.1 conformance checklist (implementer
 * notes, section 11) against fusion serve over HTTP on loopback, one test
 * per item: discovery, API roots, status resources and collections.
 */
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

/*
 * Discovery, API root, status
 */

static void
test_t_s_20_discovery(void **state)
{
    json_t *d, *url;
    const char *def, *u;
    bool default_listed = false;
    size_t i;

    (void)state;
    d = srv_get(alice, "/taxii2/", 200);
    srv_check(d, R_DISCOVERY, CHECK_REQUIRED | CHECK_NAMES);
    def = srv_str(d, "default");
    json_array_foreach(srv_items(d, "api_roots"), i, url)
    {
        u = json_string_value(url);
        if (strncmp(u, "https://", 8) != 0 &&
            (u[0] != '/' || u[1] == '/' || strncmp(u, "/../", 4) == 0))
            fail_msg("API root URL '%s' is neither https nor /-relative", u);
        assert_null(strchr(u, '?'));
        assert_null(strstr(u, "../"));
        default_listed = default_listed || (def && strcmp(def, u) == 0);
    }
    assert_true(!def || default_listed);
    json_decref(d);
}

static void
test_t_s_21_api_root(void **state)
{
    json_t *root, *v;
    bool found = false;
    size_t i;

    (void)state;
    root = srv_get(alice, "/api/", 200);
    srv_check(root, R_API_ROOT, CHECK_REQUIRED | CHECK_NAMES);
    json_array_foreach(srv_items(root, "versions"), i, v) found =
        found || strcmp(json_string_value(v), FIXTURE_TAXII) == 0;
    assert_true(found);
    assert_true(srv_int(root, "max_content_length") > 0);
    /* the default --max-body */
    assert_int_equal(srv_int(root, "max_content_length"), 10485760);
    json_decref(root);
}

static void
test_t_s_22_unknown_api_root_404(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN];
    struct fixture_reply r;

    (void)state;
    srv_new_collection("roots", alias, coll);
    json_decref(srv_get(alice, "/nosuch/", 404));
    json_decref(srv_get(alice, "/nosuch/collections/", 404));
    snprintf(path, sizeof(path), "/nosuch/collections/%s/objects/", coll);
    json_decref(srv_get(alice, path, 404));
    fixture_post(srv, alice, path, "{\"objects\":[]}", &r);
    fixture_expect(srv, &r, 404);
    fixture_reply_release(&r);
    json_decref(srv_get(
        alice, "/nosuch/status/8b0a3f24-5a1e-4f0e-9a55-0d1f1e2b3c4d/", 404));
}

static void
expect_details(json_t *list_of, const char *id, const char *version)
{
    size_t i;
    json_t *d;

    json_array_foreach(list_of, i, d)
    {
        if (strcmp(srv_id(d), id) == 0 &&
            strcmp(srv_str(d, "version"), version) == 0)
            return;
    }
    fail_msg("no status detail for %s at %s", id, version);
}

static void
test_t_s_23_status_resource(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN], id1[64], id2[64];
    json_t *posted, *got;
    const char *st, *sid;
    int version = 0;

    (void)state;
    srv_new_collection("status", alias, coll);
    fixture_indicator_id(0x23, 1, id1);
    fixture_indicator_id(0x23, 2, id2);
    posted = srv_post_status(
        coll, srv_objects(fixture_indicator(0x23, 1, T1),
                          fixture_indicator(0x23, 1, T2),
                          fixture_indicator(0x23, 2, T1),
                          json_pack("{s:s}", "type", "bogus"), NULL));
    srv_check(posted, R_STATUS, CHECK_REQUIRED | CHECK_NAMES);
    sid = srv_str(posted, "id");
    assert_true(fusion_uuid_is_valid(sid, strlen(sid), &version));
    assert_int_equal(version, 4);
    st = srv_str(posted, "status");
    assert_true(strcmp(st, "complete") == 0 || strcmp(st, "pending") == 0);
    assert_int_equal(srv_int(posted, "total_count"), 4);
    assert_int_equal(srv_int(posted, "success_count"), 3);
    assert_int_equal(srv_int(posted, "failure_count"), 1);
    assert_int_equal(srv_int(posted, "pending_count"), 0);
    assert_int_equal(srv_int(posted, "total_count"),
                     srv_int(posted, "success_count") +
                         srv_int(posted, "failure_count") +
                         srv_int(posted, "pending_count"));
    assert_int_equal(srv_count(posted, "successes"), 3);
    assert_int_equal(srv_count(posted, "failures"), 1);
    expect_details(srv_items(posted, "successes"), id1, T1);
    expect_details(srv_items(posted, "successes"), id1, T2);
    expect_details(srv_items(posted, "successes"), id2, T1);

    snprintf(path, sizeof(path), "/api/status/%s/", sid);
    got = srv_get(alice, path, 200);
    srv_check(got, R_STATUS, CHECK_REQUIRED | CHECK_NAMES);
    assert_true(json_equal(got, posted));
    json_decref(got);
    json_decref(posted);
}

static void
test_t_s_24_status_kept_unknown_404(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN], uuid[COLL_LEN];
    json_t *posted, *got;

    (void)state;
    srv_new_collection("status-kept", alias, coll);
    posted = srv_post_status(
        coll, srv_objects(fixture_indicator(0x24, 1, NULL), NULL));
    /* other uploads come and go; this status stays */
    for (uint32_t i = 2; i < 5; i++)
        srv_post_ok(coll, srv_objects(fixture_indicator(0x24, i, NULL), NULL));
    snprintf(path, sizeof(path), "/api/status/%s/", srv_str(posted, "id"));
    got = srv_get(alice, path, 200);
    assert_true(json_equal(got, posted));
    json_decref(got);
    json_decref(posted);

    fusion_uuid4(uuid);
    snprintf(path, sizeof(path), "/api/status/%s/", uuid);
    json_decref(srv_get(alice, path, 404));
    json_decref(srv_get(alice, "/api/status/not-a-uuid/", 404));
    json_decref(srv_get(
        alice, "/api/status/8B0A3F24-5A1E-4F0E-9A55-0D1F1E2B3C4D/", 404));
}

/* A status kept past --status-retention has expired: 404 (section 4.3). */
static void
test_t_s_24_expired_status_404(void **state)
{
    struct fixture *own = fixture_new(false);
    char coll[COLL_LEN], path[PATH_LEN], auth[256], status_path[PATH_LEN];
    struct fixture_reply r;
    char *body;

    (void)state;
    fixture_user(own, "erin", "erin-password");
    fixture_basic("erin", "erin-password", auth, sizeof(auth));
    fixture_collection(own, "kept", coll);
    fixture_grant(own, "write", "erin", "kept");
    fixture_start(own, FIXTURE_ARGS("--status-retention", "1"));
    body =
        fixture_envelope(srv_objects(fixture_indicator(0x2401, 1, NULL), NULL));
    fixture_post(own, auth, srv_path(path, coll, "objects/"), body, &r);
    free(body);
    fixture_expect(own, &r, 202);
    snprintf(status_path, sizeof(status_path), "/api/status/%s/",
             srv_str(r.json, "id"));
    fixture_reply_release(&r);
    fixture_get(own, auth, status_path, &r);
    fixture_expect(own, &r, 200);
    fixture_reply_release(&r);

    fixture_sleep_ms(2100);
    fixture_get(own, auth, status_path, &r);
    if (r.status != 404)
        fprintf(stderr, "a status 2.1 s old, with --status-retention 1\n");
    fixture_expect(own, &r, 404);
    fixture_reply_release(&r);
    fixture_stop(own);
    fixture_free(own);
}

/*
 * Collections
 */

/* The ids of a collections resource, one per line. */
static void
collection_ids(json_t *res, char *out, size_t size)
{
    size_t i, n = 0;
    json_t *c;

    out[0] = '\0';
    json_array_foreach(srv_items(res, "collections"), i, c) n +=
        (size_t)snprintf(out + n, size - n, "%s\n", srv_id(c));
}

static void
test_t_s_30_collections_order_stable(void **state)
{
    char alias[64], coll[COLL_LEN], first[8192], again[8192];
    json_t *v;

    (void)state;
    for (int i = 0; i < 3; i++)
        srv_new_collection("order", alias, coll);
    v = srv_get(alice, "/api/collections/", 200);
    assert_true(srv_count(v, "collections") >= 3);
    collection_ids(v, first, sizeof(first));
    json_decref(v);
    for (int i = 0; i < 3; i++) {
        v = srv_get(alice, "/api/collections/", 200);
        collection_ids(v, again, sizeof(again));
        json_decref(v);
        assert_string_equal(again, first);
    }
}

/* Paths of every collection endpoint (E5 to E11) of coll and object. */
static size_t
collection_endpoints(const char *coll, const char *object,
                     char paths[][PATH_LEN], const char **methods)
{
    size_t n = 0;

    methods[n] = "GET";
    srv_path(paths[n++], coll, "%s", "");
    methods[n] = "GET";
    srv_path(paths[n++], coll, "manifest/");
    methods[n] = "GET";
    srv_path(paths[n++], coll, "objects/");
    methods[n] = "POST";
    srv_path(paths[n++], coll, "objects/");
    methods[n] = "GET";
    srv_path(paths[n++], coll, "objects/%s/", object);
    methods[n] = "DELETE";
    srv_path(paths[n++], coll, "objects/%s/", object);
    methods[n] = "GET";
    srv_path(paths[n++], coll, "objects/%s/versions/", object);
    return n;
}

#define N_COLL_ENDPOINTS 7

static void
call_as(const char *auth, const char *method, const char *path,
        struct fixture_reply *r)
{
    fixture_call(
        srv,
        &(struct fixture_request){
            .method = strcmp(method, "POST") == 0 ? NULL : method,
            .path = path,
            .auth = auth,
            .body = strcmp(method, "POST") == 0 ? "{\"objects\":[]}" : NULL },
        r);
}

static void
test_t_s_31_failed_auth_401_or_404(void **state)
{
    char paths[N_COLL_ENDPOINTS][PATH_LEN];
    const char *methods[N_COLL_ENDPOINTS];
    const char *bad[] = { NULL, "", "" };
    char alias[64], coll[COLL_LEN], object[64], wrong[256], token[256];
    struct fixture_reply r;
    size_t n;

    (void)state;
    srv_new_collection("failed-auth", alias, coll);
    srv_post_ok(coll, srv_objects(fixture_indicator(0x31, 1, NULL), NULL));
    fixture_indicator_id(0x31, 1, object);
    bad[1] = fixture_basic("alice", "not-her-password", wrong, sizeof(wrong));
    bad[2] = fixture_bearer("fusion_0123456789abcdef_bm90LWEtdG9rZW4", token,
                            sizeof(token));
    n = collection_endpoints(coll, object, paths, methods);
    for (size_t b = 0; b < 3; b++) {
        call_as(bad[b], "GET", "/api/collections/", &r);
        assert_true(r.status == 401 || r.status == 404);
        fixture_reply_release(&r);
        for (size_t i = 0; i < n; i++) {
            call_as(bad[b], methods[i], paths[i], &r);
            if (r.status != 401 && r.status != 404)
                fail_msg("%s %s with bad credentials: %ld", methods[i],
                         paths[i], r.status);
            fixture_reply_release(&r);
        }
    }
    /* nothing was deleted on the way */
    json_decref(srv_get(alice, paths[4], 200));
}

static void
test_t_s_32_unknown_collection_404(void **state)
{
    char paths[N_COLL_ENDPOINTS][PATH_LEN];
    const char *methods[N_COLL_ENDPOINTS];
    char uuid[COLL_LEN], object[64];
    const char *colls[] = { uuid, "no-such-alias" };
    struct fixture_reply r;
    size_t n;

    (void)state;
    fusion_uuid4(uuid);
    fixture_indicator_id(0x32, 1, object);
    for (size_t c = 0; c < 2; c++) {
        n = collection_endpoints(colls[c], object, paths, methods);
        for (size_t i = 0; i < n; i++) {
            call_as(alice, methods[i], paths[i], &r);
            if (r.status != 404)
                print_error("%s %s\n", methods[i], paths[i]);
            fixture_expect(srv, &r, 404);
            fixture_reply_release(&r);
        }
    }
}

static void
test_t_s_33_alias_unique(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN], err[1024];
    json_t *by_alias, *by_id, *all, *c;
    const char *seen[256];
    size_t i, n = 0;

    (void)state;
    srv_new_collection("alias", alias, coll);
    assert_int_not_equal(fixture_cli(srv,
                                     FIXTURE_ARGS("collection", "add",
                                                  "--alias", alias, "Another"),
                                     NULL, 0, err, sizeof(err)),
                         0);
    by_alias = srv_get(alice, srv_path(path, alias, "%s", ""), 200);
    by_id = srv_get(alice, srv_path(path, coll, "%s", ""), 200);
    assert_true(json_equal(by_alias, by_id));
    assert_string_equal(srv_str(by_id, "alias"), alias);
    json_decref(by_alias);
    json_decref(by_id);

    all = srv_get(alice, "/api/collections/", 200);
    json_array_foreach(srv_items(all, "collections"), i, c)
    {
        const char *a = srv_str(c, "alias");

        for (size_t j = 0; a && j < n; j++)
            assert_string_not_equal(seen[j], a);
        if (a && n < 256)
            seen[n++] = a;
    }
    json_decref(all);
}

static void
test_t_s_34_no_read_403_or_404(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN], object[64];
    char rests[4][256];
    struct fixture_reply r;
    json_t *c;

    (void)state;
    srv_new_collection("no-read", alias, coll);
    fixture_grant(srv, "write", "carol", alias);
    srv_post_ok(coll, srv_objects(fixture_indicator(0x34, 1, NULL), NULL));
    fixture_indicator_id(0x34, 1, object);
    snprintf(rests[0], sizeof(rests[0]), "objects/");
    snprintf(rests[1], sizeof(rests[1]), "manifest/");
    snprintf(rests[2], sizeof(rests[2]), "objects/%s/", object);
    snprintf(rests[3], sizeof(rests[3]), "objects/%s/versions/", object);
    c = srv_get(carol, srv_path(path, coll, "%s", ""), 200);
    assert_true(json_is_false(json_object_get(c, "can_read")));
    assert_true(json_is_true(json_object_get(c, "can_write")));
    json_decref(c);
    for (size_t i = 0; i < 4; i++) {
        fixture_get(srv, carol, srv_path(path, coll, "%s", rests[i]), &r);
        if (r.status != 403 && r.status != 404)
            fail_msg("GET %s without read access: %ld", path, r.status);
        assert_null(json_object_get(r.json, "objects"));
        assert_null(json_object_get(r.json, "versions"));
        fixture_reply_release(&r);
    }
}

static void
test_t_s_35_no_write_403_or_404(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN];
    struct fixture_reply r;
    json_t *c;
    char *body;

    (void)state;
    srv_new_collection("no-write", alias, coll);
    fixture_grant(srv, "read", "bob", alias);
    c = srv_get(bob, srv_path(path, coll, "%s", ""), 200);
    assert_true(json_is_true(json_object_get(c, "can_read")));
    assert_true(json_is_false(json_object_get(c, "can_write")));
    json_decref(c);
    body =
        fixture_envelope(srv_objects(fixture_indicator(0x35, 1, NULL), NULL));
    fixture_post(srv, bob, srv_path(path, coll, "objects/"), body, &r);
    free(body);
    if (r.status != 403 && r.status != 404)
        fail_msg("POST without write access: %ld", r.status);
    fixture_reply_release(&r);
    c = srv_get(bob, srv_path(path, coll, "objects/"), 200);
    assert_null(json_object_get(c, "objects"));
    json_decref(c);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_t_s_20_discovery),
        FIXTURE_TEST(test_t_s_21_api_root),
        FIXTURE_TEST(test_t_s_22_unknown_api_root_404),
        FIXTURE_TEST(test_t_s_23_status_resource),
        FIXTURE_TEST(test_t_s_24_status_kept_unknown_404),
        FIXTURE_TEST(test_t_s_24_expired_status_404),
        FIXTURE_TEST(test_t_s_30_collections_order_stable),
        FIXTURE_TEST(test_t_s_31_failed_auth_401_or_404),
        FIXTURE_TEST(test_t_s_32_unknown_collection_404),
        FIXTURE_TEST(test_t_s_33_alias_unique),
        FIXTURE_TEST(test_t_s_34_no_read_403_or_404),
        FIXTURE_TEST(test_t_s_35_no_write_403_or_404),
    };
    int failed;

    fixture_global_init(argc, argv);
    failed = cmocka_run_group_tests(tests, srv_setup, srv_teardown);
    fixture_global_cleanup();
    return failed;
}
