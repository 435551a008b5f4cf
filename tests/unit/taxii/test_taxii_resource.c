/* SPDX-License-Identifier: Apache-2.0 */
/* TAXII resources, parsed back with jansson (T-S-04, T-S-12, T-S-15). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "taxii/taxii.h"

#define UUID4 "2d9d0fcc-8d6a-4b47-8e28-3a0a5b5fa5c1"
#define TS_NS INT64_C(1609459200123456789)

static json_t *
parse(struct fusion_buf *b)
{
    json_t *v = json_loadb(b->data, b->len, 0, NULL);

    assert_non_null(v);
    return v;
}

static void
test_resource_ts_micro(void **state)
{
    char out[FUSION_TAXII_TS_LEN];

    /* T-S-14: UTC, Z, exactly six fractional digits */
    (void)state;
    fusion_taxii_ts_format(TS_NS, out);
    assert_string_equal(out, "2021-01-01T00:00:00.123456Z");
    fusion_taxii_ts_format(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
}

static void
test_resource_error_round_trip(void **state)
{
    json_t *details = json_pack("{s:i}", "line", 3), *v;
    struct fusion_taxii_error_info info = { .title = "Bad filter",
                                            .description = "invalid limit",
                                            .error_id = "e1",
                                            .error_code = "filter",
                                            .http_status = 400,
                                            .external_details =
                                                "https://example.com/e",
                                            .details = details };
    struct fusion_buf b;

    (void)state;
    fusion_buf_init(&b, 0);
    assert_int_equal(fusion_taxii_error_json(&info, &b, NULL), FUSION_OK);
    v = parse(&b);
    /* T-S-12: http_status is the status as a string */
    assert_string_equal(json_string_value(json_object_get(v, "http_status")),
                        "400");
    assert_string_equal(json_string_value(json_object_get(v, "title")),
                        "Bad filter");
    assert_true(json_equal(json_object_get(v, "details"), details));
    json_decref(v);

    fusion_buf_clear(&b);
    info = (struct fusion_taxii_error_info){ .title = "x" };
    assert_int_equal(fusion_taxii_error_json(&info, &b, NULL), FUSION_OK);
    assert_string_equal(b.data, "{\"title\":\"x\"}");
    info.title = NULL;
    assert_int_equal(fusion_taxii_error_json(&info, &b, NULL),
                     FUSION_ERR_INVALID);
    fusion_buf_release(&b);
    json_decref(details);
}

static void
test_resource_discovery_rules(void **state)
{
    /* T-S-20 */
    static const char *const roots[] = { "https://taxii.example.com:443/",
                                         "/someapiroot/" };
    static const char *const bad[] = { "//someserver.example.com/apiroot1",
                                       "../someapiroot/",
                                       "https://foo.edu/bar?baz",
                                       "http://foo.edu/" };
    struct fusion_taxii_discovery d = { .title = "Fusion",
                                        .default_root = "/someapiroot/",
                                        .api_roots = roots,
                                        .n_api_roots = 2 };
    struct fusion_buf b;
    json_t *v;

    (void)state;
    fusion_buf_init(&b, 0);
    assert_int_equal(fusion_taxii_discovery_json(&d, &b, NULL), FUSION_OK);
    v = parse(&b);
    assert_int_equal(json_array_size(json_object_get(v, "api_roots")), 2);
    assert_string_equal(json_string_value(json_object_get(v, "default")),
                        "/someapiroot/");
    json_decref(v);

    d.default_root = "/other/";
    assert_int_equal(fusion_taxii_discovery_json(&d, &b, NULL),
                     FUSION_ERR_INVALID);
    d.default_root = NULL;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        d.api_roots = &bad[i];
        d.n_api_roots = 1;
        assert_int_equal(fusion_taxii_discovery_json(&d, &b, NULL),
                         FUSION_ERR_INVALID);
    }
    d.title = NULL;
    assert_int_equal(fusion_taxii_discovery_json(&d, &b, NULL),
                     FUSION_ERR_INVALID);

    /* T-S-15: no api_roots key for none */
    d = (struct fusion_taxii_discovery){ .title = "t" };
    fusion_buf_clear(&b);
    assert_int_equal(fusion_taxii_discovery_json(&d, &b, NULL), FUSION_OK);
    assert_string_equal(b.data, "{\"title\":\"t\"}");
    fusion_buf_release(&b);
}

static void
test_resource_api_root_versions(void **state)
{
    /* T-S-21 */
    struct fusion_taxii_api_root r = { .title = "root",
                                       .max_content_length = 104857600 };
    struct fusion_buf b;
    json_t *v;

    (void)state;
    fusion_buf_init(&b, 0);
    assert_int_equal(fusion_taxii_api_root_json(&r, &b, NULL), FUSION_OK);
    v = parse(&b);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(v, "versions"), 0)),
        "application/taxii+json;version=2.1");
    assert_int_equal(
        json_integer_value(json_object_get(v, "max_content_length")),
        104857600);
    json_decref(v);
    r.max_content_length = 0;
    assert_int_equal(fusion_taxii_api_root_json(&r, &b, NULL),
                     FUSION_ERR_INVALID);
    fusion_buf_release(&b);
}

static void
test_resource_collections(void **state)
{
    static const char *const media[] = { "application/stix+json;version=2.1" };
    struct fusion_taxii_collection c[2] = {
        { .id = UUID4,
          .title = "High",
          .alias = "high",
          .can_read = true,
          .media_types = media,
          .n_media_types = 1 },
        { .id = "4c2b3f1e-99f0-4c5e-8f3a-1b2c3d4e5f60",
          .title = "Low",
          .can_write = true },
    };
    struct fusion_buf b;
    json_t *v, *list;

    (void)state;
    fusion_buf_init(&b, 0);
    assert_int_equal(fusion_taxii_collections_json(c, 2, &b, NULL), FUSION_OK);
    v = parse(&b);
    list = json_object_get(v, "collections");
    assert_int_equal(json_array_size(list), 2);
    assert_true(
        json_is_true(json_object_get(json_array_get(list, 0), "can_read")));
    assert_true(
        json_is_false(json_object_get(json_array_get(list, 0), "can_write")));
    assert_null(json_object_get(json_array_get(list, 1), "media_types"));
    json_decref(v);

    /* T-S-15: none is {} */
    fusion_buf_clear(&b);
    assert_int_equal(fusion_taxii_collections_json(c, 0, &b, NULL), FUSION_OK);
    assert_string_equal(b.data, "{}");
    /* identifiers are version 4 UUIDs */
    c[1].id = "4c2b3f1e-99f0-1c5e-8f3a-1b2c3d4e5f60";
    assert_int_equal(fusion_taxii_collections_json(c, 2, &b, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_taxii_collection_json(&c[0], &b, NULL), FUSION_OK);
    fusion_buf_release(&b);
}

static void
test_resource_status(void **state)
{
    /* T-S-23 */
    const struct fusion_taxii_status_detail ok[] = {
        { .id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
          .version = "2021-01-01T00:00:00.000Z" }
    };
    const struct fusion_taxii_status_detail bad[] = {
        { .id = "x--y", .version = "v", .message = "unsupported" }
    };
    struct fusion_taxii_status s = { .id = UUID4,
                                     .has_request_timestamp = true,
                                     .request_timestamp = TS_NS,
                                     .total_count = 3,
                                     .success_count = 1,
                                     .failure_count = 1,
                                     .pending_count = 1,
                                     .successes = ok,
                                     .n_successes = 1,
                                     .failures = bad,
                                     .n_failures = 1 };
    struct fusion_buf b;
    json_t *v;

    (void)state;
    fusion_buf_init(&b, 0);
    assert_int_equal(fusion_taxii_status_json(&s, &b, NULL), FUSION_OK);
    v = parse(&b);
    assert_string_equal(json_string_value(json_object_get(v, "status")),
                        "complete");
    assert_string_equal(
        json_string_value(json_object_get(v, "request_timestamp")),
        "2021-01-01T00:00:00.123456Z");
    assert_int_equal(json_integer_value(json_object_get(v, "total_count")), 3);
    assert_int_equal(json_integer_value(json_object_get(v, "pending_count")),
                     1);
    assert_null(json_object_get(v, "pendings"));
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(v, "failures"), 0), "message")),
        "unsupported");
    json_decref(v);

    s.total_count = 2;
    assert_int_equal(fusion_taxii_status_json(&s, &b, NULL),
                     FUSION_ERR_INVALID);
    s.total_count = 3;
    s.success_count = 0;
    s.pending_count = 2;
    assert_int_equal(fusion_taxii_status_json(&s, &b, NULL),
                     FUSION_ERR_INVALID);
    fusion_buf_release(&b);
}

static void
test_resource_manifest(void **state)
{
    /* T-S-55 */
    const struct fusion_taxii_manifest_record r[] = {
        { .id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
          .date_added = TS_NS,
          .version = "2021-01-01T00:00:00.000Z",
          .media_type = "application/stix+json;version=2.1" }
    };
    struct fusion_buf b;
    json_t *v, *rec;

    (void)state;
    fusion_buf_init(&b, 0);
    assert_int_equal(fusion_taxii_manifest_json(r, 1, true, "abc", &b, NULL),
                     FUSION_OK);
    v = parse(&b);
    assert_true(json_is_true(json_object_get(v, "more")));
    rec = json_array_get(json_object_get(v, "objects"), 0);
    assert_string_equal(json_string_value(json_object_get(rec, "date_added")),
                        "2021-01-01T00:00:00.123456Z");
    assert_string_equal(json_string_value(json_object_get(rec, "version")),
                        "2021-01-01T00:00:00.000Z");
    json_decref(v);

    fusion_buf_clear(&b);
    assert_int_equal(fusion_taxii_manifest_json(r, 0, false, NULL, &b, NULL),
                     FUSION_OK);
    assert_string_equal(b.data, "{}");
    fusion_buf_release(&b);
}

static void
test_resource_manifest_text(void **state)
{
    /* written as text: exact form, escapes, and refusals */
    const struct fusion_taxii_manifest_record r[] = {
        { .id = "x-odd--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
          .date_added = TS_NS,
          .version = "a\"b\\c\n\x01" },
        { .id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
          .date_added = TS_NS,
          .version = "v",
          .media_type = "application/stix+json;version=2.1" },
    };
    struct fusion_taxii_manifest_record bad = { .id = "a", .date_added = 1 };
    struct fusion_error err;
    struct fusion_buf b;
    json_t *v;

    (void)state;
    fusion_buf_init(&b, 0);
    assert_int_equal(fusion_taxii_manifest_json(r, 2, false, NULL, &b, NULL),
                     FUSION_OK);
    assert_string_equal(
        b.data, "{\"more\":false,\"objects\":[{\"id\":\"x-odd--8e2e2d2b-17d4-"
                "4cbf-938f-98ee46b3cd3f\",\"date_added\":\"2021-01-01T00:00:00."
                "123456Z\",\"version\":\"a\\\"b\\\\c\\u000a\\u0001\"},{\"id\":"
                "\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\",\"date_"
                "added\":\"2021-01-01T00:00:00.123456Z\",\"version\":\"v\","
                "\"media_type\":\"application/stix+json;version=2.1\"}]}");
    v = parse(&b);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(v, "objects"), 0), "version")),
        "a\"b\\c\n\x01");
    json_decref(v);

    fusion_buf_clear(&b);
    assert_int_equal(
        fusion_taxii_manifest_json(NULL, 0, true, "abc-_", &b, NULL),
        FUSION_OK);
    assert_string_equal(b.data, "{\"more\":true,\"next\":\"abc-_\"}");

    fusion_buf_clear(&b);
    assert_int_equal(fusion_taxii_manifest_json(&bad, 1, false, NULL, &b, &err),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_taxii_manifest_json(r, 1, true, "no\"pe", &b, &err),
                     FUSION_ERR_INVALID);
    assert_int_equal(b.len, 0);
    fusion_buf_release(&b);
}

static void
test_resource_versions(void **state)
{
    static const char *const vs[] = { "2021-01-01T00:00:00.000Z" };
    struct fusion_buf b;

    (void)state;
    fusion_buf_init(&b, 0);
    assert_int_equal(fusion_taxii_versions_json(vs, 1, false, &b, NULL),
                     FUSION_OK);
    assert_string_equal(b.data, "{\"more\":false,\"versions\":["
                                "\"2021-01-01T00:00:00.000Z\"]}");
    fusion_buf_clear(&b);
    assert_int_equal(fusion_taxii_versions_json(vs, 0, false, &b, NULL),
                     FUSION_OK);
    assert_string_equal(b.data, "{}");
    fusion_buf_release(&b);
}

static void
test_resource_envelope_splices(void **state)
{
    /* T-S-40: stored text is spliced as it is */
    static const char o1[] = "{\"type\":\"x-a\",\"n\":1.50}";
    static const char o2[] = "{\"type\":\"x-b\"}";
    struct fusion_taxii_envelope env;
    struct fusion_buf b;
    json_t *v;

    (void)state;
    fusion_buf_init(&b, 0);
    assert_int_equal(fusion_taxii_envelope_begin(&env, &b, true, "ab-_9"),
                     FUSION_OK);
    assert_int_equal(fusion_taxii_envelope_add(&env, o1, strlen(o1)),
                     FUSION_OK);
    assert_int_equal(fusion_taxii_envelope_add(&env, o2, strlen(o2)),
                     FUSION_OK);
    assert_int_equal(fusion_taxii_envelope_end(&env), FUSION_OK);
    assert_string_equal(b.data,
                        "{\"more\":true,\"next\":\"ab-_9\",\"objects\":["
                        "{\"type\":\"x-a\",\"n\":1.50},"
                        "{\"type\":\"x-b\"}]}");
    v = parse(&b);
    json_decref(v);

    fusion_buf_clear(&b);
    assert_int_equal(fusion_taxii_envelope_begin(&env, &b, false, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_taxii_envelope_add(&env, o2, strlen(o2)),
                     FUSION_OK);
    assert_int_equal(fusion_taxii_envelope_end(&env), FUSION_OK);
    assert_string_equal(b.data,
                        "{\"more\":false,\"objects\":[{\"type\":\"x-b\"}]}");

    /* T-S-40: nothing found is still an envelope, {} */
    fusion_buf_clear(&b);
    assert_int_equal(fusion_taxii_envelope_begin(&env, &b, false, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_taxii_envelope_end(&env), FUSION_OK);
    assert_string_equal(b.data, "{}");

    fusion_buf_clear(&b);
    assert_int_equal(fusion_taxii_envelope_begin(&env, &b, true, "a\"b"),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_taxii_envelope_begin(&env, &b, false, "ab"),
                     FUSION_ERR_INVALID);
    fusion_buf_release(&b);
}

static void
test_resource_envelope_cap(void **state)
{
    struct fusion_taxii_envelope env;
    struct fusion_buf b;

    (void)state;
    fusion_buf_init(&b, 32);
    assert_int_equal(fusion_taxii_envelope_begin(&env, &b, false, NULL),
                     FUSION_OK);
    assert_int_equal(
        fusion_taxii_envelope_add(&env, "{\"type\":\"x-long-type\"}", 22),
        FUSION_ERR_LIMIT);
    assert_int_equal(env.n, 0);
    assert_int_equal(fusion_taxii_envelope_end(&env), FUSION_OK);
    assert_string_equal(b.data, "{}");
    fusion_buf_release(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resource_ts_micro),
        cmocka_unit_test(test_resource_error_round_trip),
        cmocka_unit_test(test_resource_discovery_rules),
        cmocka_unit_test(test_resource_api_root_versions),
        cmocka_unit_test(test_resource_collections),
        cmocka_unit_test(test_resource_status),
        cmocka_unit_test(test_resource_manifest),
        cmocka_unit_test(test_resource_manifest_text),
        cmocka_unit_test(test_resource_versions),
        cmocka_unit_test(test_resource_envelope_splices),
        cmocka_unit_test(test_resource_envelope_cap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
