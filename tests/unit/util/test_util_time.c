/* SPDX-License-Identifier: Apache-2.0 */
/* Timestamps, UUIDs, buffers and number parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "util/util.h"

static void
test_ts_parse_millis(void **state)
{
    struct fusion_ts ts;
    char out[FUSION_TS_MAX];

    (void)state;
    assert_int_equal(fusion_ts_parse("2016-04-06T20:03:48.123Z", 24, &ts, NULL),
                     FUSION_OK);
    assert_int_equal(ts.frac_digits, 3);
    assert_true(ts.ns == INT64_C(1459973028123000000));
    fusion_ts_format(ts.ns, 3, out);
    assert_string_equal(out, "2016-04-06T20:03:48.123Z");
}

static void
test_ts_parse_nanos_and_beyond(void **state)
{
    struct fusion_ts ts;
    const char *s = "2016-04-06T20:03:48.1234567891Z";

    (void)state;
    assert_int_equal(fusion_ts_parse(s, strlen(s), &ts, NULL), FUSION_OK);
    assert_int_equal(ts.frac_digits, 10);
    assert_true(ts.ns % 1000000000 == 123456789);
}

static void
test_ts_parse_rejects(void **state)
{
    static const char *const bad[] = {
        "2016-04-06T20:03:48+00:00", "2016-04-06 20:03:48Z",
        "2016-02-30T00:00:00Z",      "2016-04-06T24:00:00Z",
        "2016-04-06T20:03:48.Z",     "2016-04-06T20:03:48.123",
        "2016-4-06T20:03:48Z",       "",
    };
    struct fusion_error err;
    struct fusion_ts ts;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(fusion_ts_parse(bad[i], strlen(bad[i]), &ts, &err),
                         FUSION_ERR_INVALID);
        assert_non_null(strstr(err.message, "invalid timestamp"));
    }
}

static void
test_ts_leap_day_and_leap_second(void **state)
{
    struct fusion_ts a, b;

    (void)state;
    assert_int_equal(fusion_ts_parse("2016-02-29T00:00:00Z", 20, &a, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_ts_parse("2016-12-31T23:59:60Z", 20, &b, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_ts_parse("2015-02-29T00:00:00Z", 20, &a, NULL),
                     FUSION_ERR_INVALID);
}

static void
test_ts_format_before_epoch(void **state)
{
    char out[FUSION_TS_MAX];

    (void)state;
    fusion_ts_format(-1, 3, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    fusion_ts_format(0, 0, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
}

static void
test_ts_far_years_saturate_and_order(void **state)
{
    struct fusion_ts a, b, c;

    (void)state;
    assert_int_equal(fusion_ts_parse("9999-12-31T23:59:59Z", 20, &a, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_ts_parse("3000-01-01T00:00:00Z", 20, &b, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_ts_parse("0001-01-01T00:00:00Z", 20, &c, NULL),
                     FUSION_OK);
    assert_true(a.ns == INT64_MAX);
    assert_true(b.ns == INT64_MAX);
    assert_true(c.ns == INT64_MIN);
    assert_true(fusion_ts_compare(&b, &a) < 0);
    assert_true(fusion_ts_compare(&c, &b) < 0);
    assert_int_equal(fusion_ts_compare(&a, &a), 0);
}

static void
test_uuid5_stix_vector(void **state)
{
    char out[FUSION_UUID_LEN + 1];
    const char *name = "{\"value\":\"198.51.100.3\"}";

    (void)state;
    assert_int_equal(fusion_uuid5("00abedb4-aa42-466c-9c01-fed23315a9b7", name,
                                  strlen(name), out),
                     FUSION_OK);
    assert_string_equal(out, "28bb3599-77cd-5a82-a950-b5bc3caf07c4");
}

static void
test_uuid_validity(void **state)
{
    char u[FUSION_UUID_LEN + 1];
    int v = 0;

    (void)state;
    fusion_uuid4(u);
    assert_true(fusion_uuid_is_valid(u, strlen(u), &v));
    assert_int_equal(v, 4);
    assert_false(
        fusion_uuid_is_valid("28bb3599-77cd-6a82-a950-b5bc3caf07c4", 36, NULL));
    assert_false(
        fusion_uuid_is_valid("28bb3599-77cd-5a82-c950-b5bc3caf07c4", 36, NULL));
    assert_false(
        fusion_uuid_is_valid("28bb3599x77cd-5a82-a950-b5bc3caf07c4", 36, NULL));
}

static void
test_buf_cap_enforced(void **state)
{
    struct fusion_buf buf;

    (void)state;
    fusion_buf_init(&buf, 8);
    assert_int_equal(fusion_buf_puts(&buf, "12345678"), FUSION_OK);
    assert_int_equal(fusion_buf_putc(&buf, '9'), FUSION_ERR_LIMIT);
    assert_int_equal(buf.len, 8);
    assert_string_equal(buf.data, "12345678");
    fusion_buf_release(&buf);
}

static void
test_buf_nomem_leaves_buffer(void **state)
{
    struct fusion_buf buf;

    (void)state;
    fusion_buf_init(&buf, 0);
    assert_int_equal(fusion_buf_puts(&buf, "ab"), FUSION_OK);
    fusion_alloc_fail_after(0);
    assert_int_equal(fusion_buf_printf(&buf, "%0200d", 1), FUSION_ERR_NOMEM);
    fusion_alloc_fail_after(-1);
    assert_string_equal(buf.data, "ab");
    fusion_buf_release(&buf);
}

static void
test_parse_int64_bounds(void **state)
{
    int64_t v;

    (void)state;
    assert_int_equal(fusion_parse_int64("9223372036854775807", 19, &v),
                     FUSION_OK);
    assert_true(v == INT64_MAX);
    assert_int_equal(fusion_parse_int64("-9223372036854775808", 20, &v),
                     FUSION_OK);
    assert_true(v == INT64_MIN);
    assert_int_equal(fusion_parse_int64("9223372036854775808", 19, &v),
                     FUSION_ERR_LIMIT);
    assert_int_equal(fusion_parse_int64("12a", 3, &v), FUSION_ERR_INVALID);
    assert_int_equal(fusion_parse_int64("-", 1, &v), FUSION_ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ts_parse_millis),
        cmocka_unit_test(test_ts_parse_nanos_and_beyond),
        cmocka_unit_test(test_ts_parse_rejects),
        cmocka_unit_test(test_ts_leap_day_and_leap_second),
        cmocka_unit_test(test_ts_format_before_epoch),
        cmocka_unit_test(test_ts_far_years_saturate_and_order),
        cmocka_unit_test(test_uuid5_stix_vector),
        cmocka_unit_test(test_uuid_validity),
        cmocka_unit_test(test_buf_cap_enforced),
        cmocka_unit_test(test_buf_nomem_leaves_buffer),
        cmocka_unit_test(test_parse_int64_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
