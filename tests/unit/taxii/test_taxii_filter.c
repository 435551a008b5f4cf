/* SPDX-License-Identifier: Apache-2.0 */
/* Filter parameters (T-S-10, T-S-44, T-S-48 to T-S-54). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "taxii/taxii.h"

#define MAX_LIMIT 100
#define ID1       "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define ID2       "sighting--ee20065d-2555-424f-ad9e-0f8fd2fc9a9e"

struct bad_case {
    const char *key;
    const char *value;
    const char *message;
};

/* One parameter each: T-S-10, any malformed parameter gets 400. */
static const struct bad_case bad_cases[] = {
    { "added_after", "2016-02-01T00:00:01", "added_after" },
    { "added_after", "2016-02-01T00:00:01+00:00", "added_after" },
    { "added_after", "2016-02-30T00:00:00Z", "added_after" },
    { "added_after", "", "added_after" },
    { "added_after", "yesterday", "added_after" },
    /* T-S-44: limit must be a positive integer */
    { "limit", "0", "limit" },
    { "limit", "-1", "limit" },
    { "limit", "+5", "limit" },
    { "limit", "", "limit" },
    { "limit", "1.5", "limit" },
    { "limit", "ten", "limit" },
    { "limit", " 5", "limit" },
    { "limit", "-99999999999999999999", "limit" },
    { "next", "", "next" },
    { "match[id]", "", "empty value" },
    { "match[id]", ID1 ",", "empty value" },
    { "match[id]", "," ID1, "empty value" },
    { "match[id]", ID1 ",," ID2, "empty value" },
    { "match[id]", "indicator", "not a STIX id" },
    { "match[id]", ID1 ", " ID2, "not a STIX id" },
    { "match[id]", ID1 "," ID1, "given twice" },
    { "match[type]", "", "empty value" },
    { "match[type]", "Indicator", "not a type name" },
    { "match[type]", "indicator, malware", "not a type name" },
    { "match[type]", "ab", "not a type name" },
    { "match[type]", "x--y", "not a type name" },
    { "match[type]", "indicator,indicator", "given twice" },
    /* T-S-50: 'all' alone, each keyword or value once */
    { "match[version]", "", "empty value" },
    { "match[version]", "all,last", "stand alone" },
    { "match[version]", "first,all", "stand alone" },
    { "match[version]", "all,2016-01-01T01:01:01.000Z", "stand alone" },
    { "match[version]", "all,all", "given twice" },
    { "match[version]", "last,last", "given twice" },
    { "match[version]", "2016-01-01T01:01:01.000Z,2016-01-01T01:01:01.000000Z",
      "given twice" },
    { "match[version]", "latest", "match[version]" },
    { "match[version]", "2016-01-01T01:01:01", "match[version]" },
    { "match[version]", "LAST", "match[version]" },
    { "match[spec_version]", "", "empty value" },
    { "match[spec_version]", "2", "not a version" },
    { "match[spec_version]", "2.", "not a version" },
    { "match[spec_version]", ".1", "not a version" },
    { "match[spec_version]", "v2.1", "not a version" },
    { "match[spec_version]", "2.1,2.1", "given twice" },
};

static void
test_filter_rejects_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct fusion_taxii_param p = { bad_cases[i].key, bad_cases[i].value };
        struct fusion_taxii_filter f;
        struct fusion_error err;

        print_message("case %zu: %s=%s\n", i, p.key, p.value);
        assert_int_equal(fusion_taxii_filter_parse(&p, 1, MAX_LIMIT, &f, &err),
                         FUSION_ERR_INVALID);
        assert_non_null(strstr(err.message, bad_cases[i].message));
    }
}

static void
test_filter_rejects_repeated_parameter(void **state)
{
    /* T-S-50: two added_after, or a match field given twice */
    static const char *const keys[] = {
        "added_after",         "limit",       "next",
        "match[id]",           "match[type]", "match[version]",
        "match[spec_version]",
    };
    static const char *const values[] = {
        "2016-02-01T00:00:01.000000Z",
        "5",
        "abc",
        ID1,
        "indicator",
        "last",
        "2.1",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        struct fusion_taxii_param p[2] = { { keys[i], values[i] },
                                           { keys[i], values[i] } };
        struct fusion_taxii_filter f;
        struct fusion_error err;

        assert_int_equal(fusion_taxii_filter_parse(p, 1, MAX_LIMIT, &f, NULL),
                         FUSION_OK);
        assert_int_equal(fusion_taxii_filter_parse(p, 2, MAX_LIMIT, &f, &err),
                         FUSION_ERR_INVALID);
        assert_non_null(strstr(err.message, "more than once"));
        assert_non_null(strstr(err.message, keys[i]));
    }
}

static void
test_filter_defaults(void **state)
{
    struct fusion_taxii_filter f;

    (void)state;
    assert_int_equal(fusion_taxii_filter_parse(NULL, 0, MAX_LIMIT, &f, NULL),
                     FUSION_OK);
    assert_int_equal(f.present, 0);
    assert_true(f.limit == MAX_LIMIT);
    assert_true(f.limit_requested == 0);
    /* T-S-48: no keyword given, so the handler applies "last" */
    assert_false(f.versions.first || f.versions.last || f.versions.all);
    assert_int_equal(f.versions.n, 0);
}

static void
test_filter_limit_capped(void **state)
{
    static const struct {
        const char *value;
        int64_t requested;
        int64_t limit;
    } cases[] = {
        { "1", 1, 1 },
        { "007", 7, 7 },
        { "100", 100, MAX_LIMIT },
        { "101", 101, MAX_LIMIT },
        { "9223372036854775807", INT64_MAX, MAX_LIMIT },
        { "99999999999999999999999", INT64_MAX, MAX_LIMIT },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fusion_taxii_param p = { "limit", cases[i].value };
        struct fusion_taxii_filter f;

        assert_int_equal(fusion_taxii_filter_parse(&p, 1, MAX_LIMIT, &f, NULL),
                         FUSION_OK);
        assert_true(f.present == FUSION_TAXII_F_LIMIT);
        assert_true(f.limit_requested == cases[i].requested);
        assert_true(f.limit == cases[i].limit);
    }
}

static void
test_filter_parses_all_fields(void **state)
{
    const struct fusion_taxii_param p[] = {
        { "added_after", "2016-02-01T00:00:01.000000Z" },
        { "limit", "10" },
        { "next", "opaque-token" },
        { "match[id]", ID1 "," ID2 },
        { "match[type]", "campaign,malware,x-acme-widget" },
        { "match[version]", "first,2018-03-02T01:01:01.123Z,last" },
        { "match[spec_version]", "2.0,2.1" },
    };
    struct fusion_taxii_filter f;

    (void)state;
    assert_int_equal(fusion_taxii_filter_parse(p, 7, MAX_LIMIT, &f, NULL),
                     FUSION_OK);
    assert_int_equal(f.present, 0x7f);
    assert_true(f.added_after.ns == INT64_C(1454284801000000000));
    assert_true(f.limit == 10);
    assert_int_equal(f.next.len, 12);
    assert_memory_equal(f.next.ptr, "opaque-token", 12);
    /* T-S-54: comma values are kept as alternatives */
    assert_int_equal(f.ids.n, 2);
    assert_int_equal(f.ids.v[1].len, strlen(ID2));
    assert_memory_equal(f.ids.v[1].ptr, ID2, strlen(ID2));
    /* T-S-51: a custom type is not an error */
    assert_int_equal(f.types.n, 3);
    assert_memory_equal(f.types.v[2].ptr, "x-acme-widget", 13);
    /* T-S-49: first, last and a timestamp together */
    assert_true(f.versions.first && f.versions.last && !f.versions.all);
    assert_int_equal(f.versions.n, 1);
    assert_true(f.versions.ts[0].ns == INT64_C(1519952461123000000));
    /* T-S-53 */
    assert_int_equal(f.spec_versions.n, 2);
    assert_memory_equal(f.spec_versions.v[0].ptr, "2.0", 3);
    /* values point into the caller's strings */
    assert_ptr_equal(f.ids.v[0].ptr, p[3].value);
}

static void
test_filter_version_all_alone(void **state)
{
    struct fusion_taxii_param p = { "match[version]", "all" };
    struct fusion_taxii_filter f;

    (void)state;
    assert_int_equal(fusion_taxii_filter_parse(&p, 1, MAX_LIMIT, &f, NULL),
                     FUSION_OK);
    assert_true(f.versions.all);
}

static void
test_filter_ignores_unknown(void **state)
{
    const struct fusion_taxii_param p[] = {
        { "match[created_by_ref]", "identity--x" },
        { "foo", "" },
        { "Limit", "0" },
        { "match[type]", "indicator" },
    };
    struct fusion_taxii_filter f;

    (void)state;
    assert_int_equal(fusion_taxii_filter_parse(p, 4, MAX_LIMIT, &f, NULL),
                     FUSION_OK);
    assert_int_equal(f.n_ignored, 3);
    assert_int_equal(f.present, FUSION_TAXII_F_MATCH_TYPE);
}

static void
test_filter_too_many_values(void **state)
{
    char value[FUSION_TAXII_MATCH_MAX * 8 + 16];
    struct fusion_taxii_param p = { "match[spec_version]", value };
    struct fusion_taxii_filter f;
    size_t len = 0;

    (void)state;
    for (int i = 0; i <= FUSION_TAXII_MATCH_MAX; i++)
        len += (size_t)snprintf(value + len, sizeof(value) - len, "%s1.%d",
                                i ? "," : "", i);
    assert_int_equal(fusion_taxii_filter_parse(&p, 1, MAX_LIMIT, &f, NULL),
                     FUSION_ERR_LIMIT);
}

static void
test_filter_next_too_long(void **state)
{
    char value[FUSION_TAXII_NEXT_MAX + 2];
    struct fusion_taxii_param p = { "next", value };
    struct fusion_taxii_filter f;

    (void)state;
    memset(value, 'a', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    assert_int_equal(fusion_taxii_filter_parse(&p, 1, MAX_LIMIT, &f, NULL),
                     FUSION_ERR_INVALID);
    value[FUSION_TAXII_NEXT_MAX] = '\0';
    assert_int_equal(fusion_taxii_filter_parse(&p, 1, MAX_LIMIT, &f, NULL),
                     FUSION_OK);
}

static void
test_filter_endpoint_fields(void **state)
{
    const unsigned all = 0x7f;
    const unsigned paging =
        FUSION_TAXII_F_ADDED_AFTER | FUSION_TAXII_F_LIMIT | FUSION_TAXII_F_NEXT;

    (void)state;
    assert_int_equal(fusion_taxii_filter_allowed(FUSION_TAXII_EP_MANIFEST),
                     all);
    assert_int_equal(fusion_taxii_filter_allowed(FUSION_TAXII_EP_OBJECTS), all);
    assert_int_equal(fusion_taxii_filter_allowed(FUSION_TAXII_EP_OBJECT),
                     paging | FUSION_TAXII_F_MATCH_VERSION |
                         FUSION_TAXII_F_MATCH_SPEC_VERSION);
    assert_int_equal(fusion_taxii_filter_allowed(FUSION_TAXII_EP_OBJECT_DELETE),
                     FUSION_TAXII_F_MATCH_VERSION |
                         FUSION_TAXII_F_MATCH_SPEC_VERSION);
    assert_int_equal(fusion_taxii_filter_allowed(FUSION_TAXII_EP_VERSIONS),
                     paging | FUSION_TAXII_F_MATCH_SPEC_VERSION);
    assert_int_equal(fusion_taxii_filter_allowed(FUSION_TAXII_EP_OTHER), 0);
}

static void
test_filter_check_rejects_inapplicable(void **state)
{
    const struct fusion_taxii_param p[] = { { "match[type]", "indicator" } };
    const struct fusion_taxii_param q[] = { { "limit", "5" } };
    struct fusion_taxii_filter f;
    struct fusion_error err;

    (void)state;
    assert_int_equal(fusion_taxii_filter_parse(p, 1, MAX_LIMIT, &f, NULL),
                     FUSION_OK);
    assert_int_equal(
        fusion_taxii_filter_check(&f, FUSION_TAXII_EP_OBJECTS, NULL),
        FUSION_OK);
    assert_int_equal(
        fusion_taxii_filter_check(&f, FUSION_TAXII_EP_VERSIONS, &err),
        FUSION_ERR_INVALID);
    assert_non_null(strstr(err.message, "match[type]"));
    assert_int_equal(fusion_taxii_filter_parse(q, 1, MAX_LIMIT, &f, NULL),
                     FUSION_OK);
    assert_int_equal(
        fusion_taxii_filter_check(&f, FUSION_TAXII_EP_OBJECT_DELETE, &err),
        FUSION_ERR_INVALID);
    assert_non_null(strstr(err.message, "limit"));
}

static void
test_filter_digest_ignores_paging(void **state)
{
    /* T-S-45: next is honoured only with the same query */
    const struct fusion_taxii_param a[] = { { "match[type]", "indicator" },
                                            { "limit", "5" } };
    const struct fusion_taxii_param b[] = { { "match[type]", "indicator" },
                                            { "next", "x" } };
    const struct fusion_taxii_param c[] = { { "match[type]", "malware" } };
    const struct fusion_taxii_param d[] = { { "match[id]", "indicator" } };
    struct fusion_taxii_filter fa, fb, fc;
    uint64_t da, db, dc;

    (void)state;
    assert_int_equal(fusion_taxii_filter_parse(a, 2, MAX_LIMIT, &fa, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_taxii_filter_parse(b, 2, MAX_LIMIT, &fb, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_taxii_filter_parse(c, 1, MAX_LIMIT, &fc, NULL),
                     FUSION_OK);
    da = fusion_taxii_filter_digest(&fa, "/api1/collections/x/objects/");
    db = fusion_taxii_filter_digest(&fb, "/api1/collections/x/objects/");
    dc = fusion_taxii_filter_digest(&fc, "/api1/collections/x/objects/");
    assert_true(da == db);
    assert_true(da != dc);
    assert_true(da != fusion_taxii_filter_digest(&fa, "/api1/collections/y/"
                                                      "objects/"));
    assert_int_equal(fusion_taxii_filter_parse(d, 1, MAX_LIMIT, &fc, NULL),
                     FUSION_ERR_INVALID);
}

/* The digest of the one parameter key=value, in scope "s". */
static uint64_t
digest_of(const char *key, const char *value)
{
    const struct fusion_taxii_param p[] = { { key, value } };
    struct fusion_taxii_filter f;

    assert_int_equal(fusion_taxii_filter_parse(p, 1, MAX_LIMIT, &f, NULL),
                     FUSION_OK);
    return fusion_taxii_filter_digest(&f, "s");
}

static void
test_filter_digest_normalised(void **state)
{
    const struct fusion_taxii_filter none = { 0 };

    (void)state;
    /* ORed values: their order does not make another query */
    assert_true(digest_of("match[type]", "indicator,malware") ==
                digest_of("match[type]", "malware,indicator"));
    assert_true(digest_of("match[type]", "indicator,malware") !=
                digest_of("match[type]", "indicator"));
    assert_true(digest_of("match[version]",
                          "2021-01-01T00:00:00Z,2020-01-01T00:00:00Z") ==
                digest_of("match[version]",
                          "2020-01-01T00:00:00.000Z,2021-01-01T00:00:00Z"));
    /* an added_after before every date_added is none at all */
    assert_true(digest_of("added_after", "1969-12-31T23:59:59Z") ==
                fusion_taxii_filter_digest(&none, "s"));
    assert_true(digest_of("added_after", "2020-01-01T00:00:00Z") !=
                fusion_taxii_filter_digest(&none, "s"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_rejects_malformed),
        cmocka_unit_test(test_filter_rejects_repeated_parameter),
        cmocka_unit_test(test_filter_defaults),
        cmocka_unit_test(test_filter_limit_capped),
        cmocka_unit_test(test_filter_parses_all_fields),
        cmocka_unit_test(test_filter_version_all_alone),
        cmocka_unit_test(test_filter_ignores_unknown),
        cmocka_unit_test(test_filter_too_many_values),
        cmocka_unit_test(test_filter_next_too_long),
        cmocka_unit_test(test_filter_endpoint_fields),
        cmocka_unit_test(test_filter_check_rejects_inapplicable),
        cmocka_unit_test(test_filter_digest_ignores_paging),
        cmocka_unit_test(test_filter_digest_normalised),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
