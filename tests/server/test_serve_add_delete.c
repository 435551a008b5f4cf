/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Items T-S-60 to T-S-71 of the TAXII 2.1 conformance checklist (implementer
 * notes, section 11) against fusion serve over HTTP on loopback, one test
 * per item: adding objects and deleting them.
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
 * Add objects
 */

static void
test_t_s_60_post_media_types(void **state)
{
    static const struct {
        const char *content_type;
        const char *accept;
        long status;
    } cases[] = {
        { "application/json", NULL, 415 },
        { "application/taxii+json;version=2.0", NULL, 415 },
        { "application/stix+json;version=2.1", NULL, 415 },
        { "text/plain", NULL, 415 },
        { "", NULL, 415 },
        { NULL, "application/json", 406 },
        { NULL, "application/taxii+json;version=2.0", 406 },
        { NULL, "", 406 },
    };

    char alias[64], coll[COLL_LEN], path[PATH_LEN];
    struct fixture_reply r;
    json_t *v;
    char *body;

    (void)state;
    srv_new_collection("post-media", alias, coll);
    body =
        fixture_envelope(srv_objects(fixture_indicator(0x60, 1, NULL), NULL));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fixture_call(
            srv,
            &(struct fixture_request){ .path = srv_path(path, coll, "objects/"),
                                       .auth = alice,
                                       .body = body,
                                       .content_type = cases[i].content_type,
                                       .accept = cases[i].accept },
            &r);
        if (r.status != cases[i].status)
            print_error("Content-Type %s, Accept %s\n",
                        cases[i].content_type ? cases[i].content_type : "-",
                        cases[i].accept ? cases[i].accept : "-");
        fixture_expect(srv, &r, cases[i].status);
        assert_true(srv_is_taxii_type(&r));
        fixture_reply_release(&r);
    }
    free(body);
    v = srv_get(alice, srv_path(path, coll, "objects/"), 200);
    assert_int_equal(srv_count(v, "objects"), 0);
    json_decref(v);
}

/* An envelope of one indicator padded with spaces to exactly len bytes. */
static char *
padded_envelope(uint32_t n, size_t len)
{
    char *text =
        fixture_envelope(srv_objects(fixture_indicator(0x61, n, NULL), NULL));
    size_t have = strlen(text);
    char *out;

    assert_true(have <= len);
    out = malloc(len + 1);
    assert_non_null(out);
    memcpy(out, text, have);
    memset(out + have, ' ', len - have);
    out[len] = '\0';
    free(text);
    return out;
}

static void
test_t_s_61_max_content_length(void **state)
{
    static const struct {
        size_t len;
        bool chunked;
        long status;
    } cases[] = {
        { 4000, false, 202 }, { 4096, false, 202 }, { 4096, true, 202 },
        { 4097, false, 413 }, { 9000, false, 413 }, { 9000, true, 413 },
    };
    struct fixture *own = fixture_new(false);
    char coll[COLL_LEN], path[PATH_LEN], auth[256], token[256];
    struct fixture_reply r;
    char *body;

    (void)state;
    fixture_user(own, "frank", "frank-password");
    fixture_token(own, "frank", NULL, token, sizeof(token));
    fixture_bearer(token, auth, sizeof(auth));
    fixture_collection(own, "small", coll);
    fixture_grant(own, "write", "frank", "small");
    fixture_grant(own, "read", "frank", "small");
    fixture_start(own, FIXTURE_ARGS("--max-body", "4096"));
    fixture_get(own, auth, "/api/", &r);
    fixture_expect(own, &r, 200);
    assert_int_equal(srv_int(r.json, "max_content_length"), 4096);
    fixture_reply_release(&r);

    for (uint32_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        body = padded_envelope(i, cases[i].len);
        fixture_request(
            own,
            &(struct fixture_request){ .path = srv_path(path, coll, "objects/"),
                                       .auth = auth,
                                       .body = body,
                                       .chunked = cases[i].chunked },
            &r);
        free(body);
        if (r.curl_rc != CURLE_OK || r.status != cases[i].status)
            fail_msg("a body of %zu bytes%s: %s, HTTP %ld; expected %ld",
                     cases[i].len, cases[i].chunked ? ", chunked" : "",
                     curl_easy_strerror(r.curl_rc), r.status, cases[i].status);
        fixture_expect(own, &r, cases[i].status);
        assert_true(srv_is_taxii_type(&r));
        fixture_reply_release(&r);
    }
    fixture_get(own, auth, srv_path(path, coll, "objects/"), &r);
    fixture_expect(own, &r, 200);
    assert_int_equal(srv_count(r.json, "objects"), 3);
    fixture_reply_release(&r);
    fixture_stop(own);
    fixture_free(own);
}

static void
test_t_s_62_post_202_status(void **state)
{
    char alias[64], coll[COLL_LEN];
    json_t *st;

    (void)state;
    srv_new_collection("post", alias, coll);
    st = srv_post_status(coll, srv_objects(fixture_indicator(0x62, 1, NULL),
                                           srv_malware(0x62, 2),
                                           srv_observable(0x62, 3), NULL));
    srv_check(st, R_STATUS, CHECK_REQUIRED | CHECK_NAMES);
    assert_int_equal(srv_int(st, "total_count"), 3);
    assert_int_equal(srv_int(st, "success_count"), 3);
    assert_int_equal(srv_int(st, "failure_count"), 0);
    assert_int_equal(srv_int(st, "pending_count"), 0);
    json_decref(st);

    /* an empty envelope is processed too */
    st = srv_post_status(coll, json_array());
    srv_check(st, R_STATUS, CHECK_REQUIRED | CHECK_NAMES);
    assert_int_equal(srv_int(st, "total_count"), 0);
    json_decref(st);
}

static void
test_t_s_63_duplicate_not_failure(void **state)
{
    char alias[64], coll[COLL_LEN], alias2[64], coll2[COLL_LEN];
    char path[PATH_LEN];
    json_t *st, *v;

    (void)state;
    srv_new_collection("duplicate", alias, coll);
    srv_new_collection("duplicate-other", alias2, coll2);
    for (int i = 0; i < 2; i++) {
        st = srv_post_status(coll, srv_objects(fixture_indicator(0x63, 1, NULL),
                                               fixture_indicator(0x63, 2, T2),
                                               srv_observable(0x63, 3), NULL));
        assert_int_equal(srv_int(st, "failure_count"), 0);
        assert_int_equal(srv_int(st, "success_count"), 3);
        json_decref(st);
    }
    /* stored already, and now also put into another collection */
    st = srv_post_status(coll2,
                         srv_objects(fixture_indicator(0x63, 1, NULL), NULL));
    assert_int_equal(srv_int(st, "failure_count"), 0);
    assert_int_equal(srv_int(st, "success_count"), 1);
    json_decref(st);
    v = srv_get(alice, srv_path(path, coll, "manifest/?match[version]=all"),
                200);
    assert_int_equal(srv_count(v, "objects"), 3);
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll2, "objects/"), 200);
    assert_int_equal(srv_count(v, "objects"), 1);
    json_decref(v);
}

static void
test_t_s_64_malformed_422(void **state)
{
    static const char *const bodies[] = {
        "this is not JSON",
        "[1, 2, 3]",
        "\"objects\"",
        "{\"objects\": 5}",
        "{\"objects\": [{\"type\": \"indicator\"",
        "",
    };
    char alias[64], coll[COLL_LEN], path[PATH_LEN];
    struct fixture_reply r;
    json_t *obj, *v;
    char *body;

    (void)state;
    srv_new_collection("malformed-body", alias, coll);
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        fixture_call(
            srv,
            &(struct fixture_request){ .path = srv_path(path, coll, "objects/"),
                                       .auth = alice,
                                       .body = bodies[i] },
            &r);
        if (r.status != 422)
            print_error("body: %s\n", bodies[i]);
        fixture_expect(srv, &r, 422);
        fixture_reply_release(&r);
    }

    /* a STIX version the server does not support: 422, or refused alone */
    obj = fixture_indicator(0x64, 1, NULL);
    json_object_set_new(obj, "spec_version", json_string("3.0"));
    body = fixture_envelope(srv_objects(obj, NULL));
    fixture_post(srv, alice, srv_path(path, coll, "objects/"), body, &r);
    free(body);
    if (r.status == 202) {
        assert_int_equal(srv_int(r.json, "success_count"), 0);
        assert_int_equal(srv_int(r.json, "failure_count"), 1);
    } else {
        fixture_expect(srv, &r, 422);
    }
    fixture_reply_release(&r);
    v = srv_get(alice, srv_path(path, coll, "objects/"), 200);
    assert_int_equal(srv_count(v, "objects"), 0);
    json_decref(v);
}

static void
test_t_s_65_visible_after_post(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN];
    int64_t before, after, t;
    json_t *m, *rec;
    size_t i;

    (void)state;
    srv_new_collection("visible", alias, coll);
    /* date_added has microseconds: the instant before, rounded down */
    before = fusion_time_now_ns() / 1000 * 1000;
    srv_post_ok(coll, srv_objects(fixture_indicator(0x65, 1, NULL),
                                  fixture_indicator(0x65, 2, NULL), NULL));
    after = fusion_time_now_ns();
    m = srv_get(alice, srv_path(path, coll, "manifest/"), 200);
    assert_int_equal(srv_count(m, "objects"), 2);
    json_array_foreach(srv_items(m, "objects"), i, rec)
    {
        t = fixture_time_ns(srv_str(rec, "date_added"));
        if (t < before || t > after)
            fail_msg("date_added %s outside the POST",
                     srv_str(rec, "date_added"));
    }
    json_decref(m);
    m = srv_get(alice, srv_path(path, coll, "objects/"), 200);
    assert_int_equal(srv_count(m, "objects"), 2);
    json_decref(m);
}

/*
 * Delete
 */

static void
test_t_s_70_delete_permissions(void **state)
{
    static const struct {
        const char *who;
        long status;
    } cases[] = {
        { "dave", 404 },  /* neither read nor write */
        { "bob", 403 },   /* read only */
        { "carol", 403 }, /* write only */
        { NULL, 401 },    /* no login */
        { "alice", 200 },
    };

    char alias[64], coll[COLL_LEN], path[PATH_LEN], id[64];
    struct fixture_reply r;
    const char *auth;

    (void)state;
    srv_new_collection("delete-matrix", alias, coll);
    fixture_grant(srv, "read", "bob", alias);
    fixture_grant(srv, "write", "carol", alias);
    srv_post_ok(coll, srv_objects(fixture_indicator(0x70, 1, NULL), NULL));
    fixture_indicator_id(0x70, 1, id);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        auth = !cases[i].who                        ? NULL
               : strcmp(cases[i].who, "dave") == 0  ? dave
               : strcmp(cases[i].who, "bob") == 0   ? bob
               : strcmp(cases[i].who, "carol") == 0 ? carol
                                                    : alice;
        fixture_delete(srv, auth, srv_path(path, coll, "objects/%s/", id), &r);
        if (r.status != cases[i].status)
            print_error("DELETE as %s\n",
                        cases[i].who ? cases[i].who : "nobody");
        fixture_expect(srv, &r, cases[i].status);
        fixture_reply_release(&r);
    }
}

static void
test_t_s_71_deleted_gone(void **state)
{
    char alias[64], coll[COLL_LEN], alias2[64], coll2[COLL_LEN];
    char path[PATH_LEN], x[64], y[64];
    struct fixture_reply r;
    json_t *v;

    (void)state;
    srv_new_collection("deleted", alias, coll);
    srv_new_collection("deleted-other", alias2, coll2);
    fixture_indicator_id(0x71, 1, x);
    fixture_indicator_id(0x71, 2, y);
    srv_post_ok(coll, srv_objects(fixture_indicator(0x71, 1, T1),
                                  fixture_indicator(0x71, 1, T2),
                                  fixture_indicator(0x71, 2, NULL), NULL));
    srv_post_ok(coll2, srv_objects(fixture_indicator(0x71, 2, NULL), NULL));

    /* y, with its one version */
    fixture_delete(srv, alice, srv_path(path, coll, "objects/%s/", y), &r);
    fixture_expect(srv, &r, 200);
    fixture_reply_release(&r);
    json_decref(srv_get(alice, srv_path(path, coll, "objects/%s/", y), 404));
    json_decref(
        srv_get(alice, srv_path(path, coll, "objects/%s/versions/", y), 404));
    v = srv_get(alice, srv_path(path, coll, "objects/?match[version]=all"),
                200);
    assert_int_equal(srv_count_matching(v, y, NULL), 0);
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll, "manifest/?match[version]=all"),
                200);
    assert_int_equal(srv_count_matching(v, y, NULL), 0);
    assert_int_equal(srv_count(v, "objects"), 2);
    json_decref(v);
    fixture_delete(srv, alice, srv_path(path, coll, "objects/%s/", y), &r);
    fixture_expect(srv, &r, 404);
    fixture_reply_release(&r);
    /* the other collection keeps its own */
    v = srv_get(alice, srv_path(path, coll2, "objects/%s/", y), 200);
    assert_int_equal(srv_count_matching(v, y, NULL), 1);
    json_decref(v);

    /* one version of x */
    fixture_delete(srv, alice,
                   srv_path(path, coll, "objects/%s/?match[version]=%s", x, T1),
                   &r);
    fixture_expect(srv, &r, 200);
    fixture_reply_release(&r);
    v = srv_get(alice, srv_path(path, coll, "objects/%s/versions/", x), 200);
    assert_int_equal(srv_count(v, "versions"), 1);
    assert_string_equal(
        json_string_value(json_array_get(srv_items(v, "versions"), 0)), T2);
    json_decref(v);
    fixture_get(srv, alice,
                srv_path(path, coll, "objects/%s/?match[version]=%s", x, T1),
                &r);
    assert_true(r.status == 404 ||
                (r.status == 200 && srv_count(r.json, "objects") == 0));
    fixture_reply_release(&r);
    v = srv_get(alice, srv_path(path, coll, "manifest/?match[version]=all"),
                200);
    assert_int_equal(srv_count_matching(v, x, T1), 0);
    assert_int_equal(srv_count_matching(v, x, T2), 1);
    json_decref(v);

    /* and then all that is left of it */
    fixture_delete(srv, alice,
                   srv_path(path, coll, "objects/%s/?match[version]=all", x),
                   &r);
    fixture_expect(srv, &r, 200);
    fixture_reply_release(&r);
    json_decref(srv_get(alice, srv_path(path, coll, "objects/%s/", x), 404));
    v = srv_get(alice, srv_path(path, coll, "objects/?match[version]=all"),
                200);
    assert_int_equal(srv_count(v, "objects"), 0);
    json_decref(v);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_t_s_60_post_media_types),
        FIXTURE_TEST(test_t_s_61_max_content_length),
        FIXTURE_TEST(test_t_s_62_post_202_status),
        FIXTURE_TEST(test_t_s_63_duplicate_not_failure),
        FIXTURE_TEST(test_t_s_64_malformed_422),
        FIXTURE_TEST(test_t_s_65_visible_after_post),
        FIXTURE_TEST(test_t_s_70_delete_permissions),
        FIXTURE_TEST(test_t_s_71_deleted_gone),
    };
    int failed;

    fixture_global_init(argc, argv);
    failed = cmocka_run_group_tests(tests, srv_setup, srv_teardown);
    fixture_global_cleanup();
    return failed;
}
