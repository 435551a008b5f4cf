/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 8785 canonical JSON: numbers, key order, escapes, limits. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "stix/stix.h"

static char *
canon_text(const json_t *v)
{
    struct fusion_buf buf;

    fusion_buf_init(&buf, 0);
    assert_int_equal(fusion_stix_canonical(v, &buf), FUSION_OK);
    return fusion_buf_detach(&buf, NULL);
}

static void
check_json(const char *input, const char *expected)
{
    json_error_t jerr;
    json_t *v = json_loads(input, JSON_DECODE_ANY, &jerr);
    char *text;

    assert_non_null(v);
    text = canon_text(v);
    assert_string_equal(text, expected);
    fusion_free(text);
    json_decref(v);
}

static void
check_double(double d, const char *expected)
{
    json_t *v = json_real(d);
    char *text;

    assert_non_null(v);
    text = canon_text(v);
    assert_string_equal(text, expected);
    fusion_free(text);
    json_decref(v);
}

static double
from_bits(uint64_t bits)
{
    double d;

    memcpy(&d, &bits, sizeof(d));
    return d;
}

/* RFC 8785 appendix B: IEEE 754 bit patterns and their JCS text. */
static void
test_canonical_numbers_rfc8785_appendix_b(void **state)
{
    static const struct {
        uint64_t bits;
        const char *text;
    } cases[] = {
        { 0x0000000000000000, "0" },
        { 0x8000000000000000, "0" },
        { 0x0000000000000001, "5e-324" },
        { 0x8000000000000001, "-5e-324" },
        { 0x7fefffffffffffff, "1.7976931348623157e+308" },
        { 0xffefffffffffffff, "-1.7976931348623157e+308" },
        { 0x4340000000000000, "9007199254740992" },
        { 0xc340000000000000, "-9007199254740992" },
        { 0x4430000000000000, "295147905179352830000" },
        { 0x44b52d02c7e14af5, "9.999999999999997e+22" },
        { 0x44b52d02c7e14af6, "1e+23" },
        { 0x44b52d02c7e14af7, "1.0000000000000001e+23" },
        { 0x444b1ae4d6e2ef4e, "999999999999999700000" },
        { 0x444b1ae4d6e2ef4f, "999999999999999900000" },
        { 0x444b1ae4d6e2ef50, "1e+21" },
        { 0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7" },
        { 0x3eb0c6f7a0b5ed8d, "0.000001" },
        { 0x41b3de4355555553, "333333333.3333332" },
        { 0x41b3de4355555554, "333333333.33333325" },
        { 0x41b3de4355555555, "333333333.3333333" },
        { 0x41b3de4355555556, "333333333.3333334" },
        { 0x41b3de4355555557, "333333333.33333343" },
        { 0xbecbf647612f3696, "-0.0000033333333333333333" },
        { 0x43143ff3c1cb0959, "1424953923781206.2" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_double(from_bits(cases[i].bits), cases[i].text);
}

static void
test_canonical_numbers_ecmascript_form(void **state)
{
    (void)state;
    check_double(1e30, "1e+30");
    check_double(4.5, "4.5");
    check_double(0.002, "0.002");
    check_double(1e-7, "1e-7");
    check_double(1.5e-7, "1.5e-7");
    check_double(333333333.3333333, "333333333.3333333");
    check_double(-0.0, "0");
    check_double(1.0, "1");
    check_double(0.1, "0.1");
    check_double(1e21, "1e+21");
    check_double(1e20, "100000000000000000000");
    check_double(123.456, "123.456");
    check_double(-2.5e-300, "-2.5e-300");
}

static void
test_canonical_integers_as_digits(void **state)
{
    (void)state;
    check_json("[0,-1,15139,9223372036854775807,-9223372036854775808]",
               "[0,-1,15139,9223372036854775807,-9223372036854775808]");
}

/* RFC 8785 section 3.2.2: the sample with every kind of value. */
static void
test_canonical_rfc8785_sample(void **state)
{
    (void)state;
    check_json("{\"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, "
               "0.000000000000000000000000001],\n"
               " \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022"
               "\\u005c\\\\\\\"\\/\",\n"
               " \"literals\": [null, true, false]}",
               "{\"literals\":[null,true,false],\"numbers\":[333333333."
               "3333333,1e+30,4.5,0.002,1e-27],\"string\":\"\xe2\x82\xac$"
               "\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

/* RFC 8785 section 3.2.3: keys ordered by UTF-16 code units. */
static void
test_canonical_key_order_utf16(void **state)
{
    (void)state;
    check_json("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
               "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\","
               "\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\","
               "\"\\u0080\":\"Control\","
               "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}",
               "{\"\\r\":\"Carriage Return\",\"1\":\"One\","
               "\"\xc2\x80\":\"Control\","
               "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
               "\"\xe2\x82\xac\":\"Euro Sign\","
               "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
               "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

static void
test_canonical_key_order_prefixes(void **state)
{
    (void)state;
    check_json("{\"ab\":1,\"a\":2,\"\":3,\"b\":4,\"aa\":5}",
               "{\"\":3,\"a\":2,\"aa\":5,\"ab\":1,\"b\":4}");
    check_json("{\"\\uffff\":1,\"\\ud800\\udc00\":2,\"\\ue000\":3}",
               "{\"\xf0\x90\x80\x80\":2,\"\xee\x80\x80\":3,"
               "\"\xef\xbf\xbf\":1}");
}

static void
test_canonical_string_escapes(void **state)
{
    static const char raw[] = "\x00\x01\x1f\"\\\b\f\n\r\t/\x7f\xc3\xa9";
    json_t *v = json_stringn(raw, sizeof(raw) - 1);
    char *text;

    (void)state;
    assert_non_null(v);
    text = canon_text(v);
    assert_string_equal(text, "\"\\u0000\\u0001\\u001f\\\"\\\\\\b\\f\\n\\r"
                              "\\t/\x7f\xc3\xa9\"");
    fusion_free(text);
    json_decref(v);
}

static void
test_canonical_no_whitespace_nested(void **state)
{
    (void)state;
    check_json("{ \"b\" : [ 1 , { \"d\" : {}, \"c\" : [] } ] , \"a\" : \"\" }",
               "{\"a\":\"\",\"b\":[1,{\"c\":[],\"d\":{}}]}");
}

/* More members than the on-stack array and than the insertion sort. */
static void
test_canonical_many_members_sorted(void **state)
{
    json_t *obj = json_object();
    struct fusion_buf expected;
    char key[16];
    char *text;

    (void)state;
    fusion_buf_init(&expected, 0);
    for (int i = 199; i >= 0; i--) {
        json_t *inner = json_object();

        snprintf(key, sizeof(key), "k%03d", i);
        assert_int_equal(json_object_set_new(inner, "y", json_integer(i)), 0);
        assert_int_equal(json_object_set_new(inner, "x", json_true()), 0);
        assert_int_equal(json_object_set_new(obj, key, inner), 0);
    }
    assert_int_equal(fusion_buf_putc(&expected, '{'), FUSION_OK);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(fusion_buf_printf(&expected,
                                           "%s\"k%03d\":{\"x\":true,\"y\":%d}",
                                           i ? "," : "", i, i),
                         FUSION_OK);
    }
    assert_int_equal(fusion_buf_putc(&expected, '}'), FUSION_OK);
    text = canon_text(obj);
    assert_string_equal(text, expected.data);
    fusion_free(text);
    fusion_buf_release(&expected);
    json_decref(obj);
}

static void
test_canonical_appends_to_buffer(void **state)
{
    struct fusion_buf buf;
    json_t *v = json_pack("{s:i}", "a", 1);

    (void)state;
    fusion_buf_init(&buf, 0);
    assert_int_equal(fusion_buf_puts(&buf, "x="), FUSION_OK);
    assert_int_equal(fusion_stix_canonical(v, &buf), FUSION_OK);
    assert_string_equal(buf.data, "x={\"a\":1}");
    fusion_buf_release(&buf);
    json_decref(v);
}

static void
test_canonical_depth_limit(void **state)
{
    json_t *root = json_array(), *cur = root;
    struct fusion_buf buf;

    (void)state;
    for (int i = 0; i < 300; i++) {
        json_t *next = json_array();

        assert_int_equal(json_array_append_new(cur, next), 0);
        cur = next;
    }
    fusion_buf_init(&buf, 0);
    assert_int_equal(fusion_buf_puts(&buf, "keep"), FUSION_OK);
    assert_int_equal(fusion_stix_canonical(root, &buf), FUSION_ERR_LIMIT);
    assert_string_equal(buf.data, "keep");
    fusion_buf_release(&buf);
    json_decref(root);
}

static void
test_canonical_buffer_cap(void **state)
{
    struct fusion_buf buf;
    json_t *v = json_pack("{s:s}", "key", "a value longer than the cap");

    (void)state;
    fusion_buf_init(&buf, 16);
    assert_int_equal(fusion_stix_canonical(v, &buf), FUSION_ERR_LIMIT);
    assert_true(buf.len == 0);
    fusion_buf_release(&buf);
    json_decref(v);
}

static void
test_canonical_null_value(void **state)
{
    struct fusion_buf buf;

    (void)state;
    fusion_buf_init(&buf, 0);
    /* jansson refuses NaN and infinities, so no value carries them */
    assert_null(json_real(NAN));
    assert_int_equal(fusion_stix_canonical(NULL, &buf), FUSION_ERR_INVALID);
    fusion_buf_release(&buf);
}

/* Every allocation may fail: the result is NOMEM and nothing leaks. */
static void
test_canonical_nomem_sweep(void **state)
{
    json_t *obj = json_object();
    bool done = false;
    char key[16];

    (void)state;
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "m%d", i);
        assert_int_equal(
            json_object_set_new(obj, key, json_pack("[s,f]", key, 0.5)), 0);
    }
    for (long n = 0; !done; n++) {
        struct fusion_buf buf;
        enum fusion_err rc;

        fusion_buf_init(&buf, 0);
        fusion_alloc_fail_after(n);
        rc = fusion_stix_canonical(obj, &buf);
        done = !fusion_alloc_has_failed();
        fusion_alloc_fail_after(-1);
        assert_int_equal(rc, done ? FUSION_OK : FUSION_ERR_NOMEM);
        fusion_buf_release(&buf);
    }
    json_decref(obj);
}

/* Finds key at the top level of text, or NULL; the value in buf. */
static const char *
member(const char *text, const char *key, char *buf, size_t size)
{
    const char *v;
    size_t len;

    if (!fusion_stix_json_member(text, strlen(text), key, &v, &len))
        return NULL;
    assert_true(len < size);
    memcpy(buf, v, len);
    buf[len] = '\0';
    return buf;
}

static void
test_member_top_level_only(void **state)
{
    char buf[128];

    (void)state;
    assert_string_equal(member("{\"created\":\"a\",\"modified\":\"b\"}",
                               "modified", buf, sizeof(buf)),
                        "b");
    /* nested members and values that look like keys never match */
    assert_string_equal(
        member("{\"ext\":{\"modified\":\"x\"},\"l\":[\"modified\",{"
               "\"modified\":\"y\"}],\"name\":\"modified\","
               "\"modified\":\"z\"}",
               "modified", buf, sizeof(buf)),
        "z");
    assert_null(
        member("{\"ext\":{\"modified\":\"x\"}}", "modified", buf, sizeof(buf)));
    assert_null(
        member("{\"name\":\"modified\"}", "modified", buf, sizeof(buf)));
    /* escapes are left as written; white space is allowed */
    assert_string_equal(member(" { \"a\\\"\" : 1 , \"k\" : \"v\\\"w\" } ", "k",
                               buf, sizeof(buf)),
                        "v\\\"w");
}

static void
test_member_refusals(void **state)
{
    char buf[64];

    (void)state;
    assert_null(member("{\"modified\":3}", "modified", buf, sizeof(buf)));
    assert_null(member("[\"modified\",\"x\"]", "modified", buf, sizeof(buf)));
    assert_null(
        member("{\"modified\":\"unterminated", "modified", buf, sizeof(buf)));
    assert_null(member("", "modified", buf, sizeof(buf)));
    assert_null(member("{}", "modified", buf, sizeof(buf)));
    assert_null(
        member("{\"a\":1}}\"modified\":\"x\"", "modified", buf, sizeof(buf)));
}

static void
test_members_one_pass(void **state)
{
    static const char *const keys[] = { "id", "modified", "revoked", "x" };
    static const char text[] =
        "{\"type\":\"indicator\",\"ext\":{\"id\":\"inner\"},"
        "\"id\":\"indicator--1\",\"revoked\":true,"
        "\"modified\":\"2020-01-01T00:00:00Z\",\"l\":[\"x\"]}";
    struct fusion_stix_member out[4];

    (void)state;
    assert_true(fusion_stix_json_members(text, strlen(text), keys, 4, out));
    assert_int_equal(out[0].kind, FUSION_STIX_MEMBER_STRING);
    assert_int_equal(out[0].len, 12);
    assert_memory_equal(out[0].value, "indicator--1", 12);
    assert_int_equal(out[1].kind, FUSION_STIX_MEMBER_STRING);
    assert_memory_equal(out[1].value, "2020-01-01T00:00:00Z", 20);
    assert_int_equal(out[2].kind, FUSION_STIX_MEMBER_OTHER);
    assert_memory_equal(out[2].value, "true", 4);
    /* a string in a list is no member */
    assert_int_equal(out[3].kind, FUSION_STIX_MEMBER_NONE);

    /* found before the text breaks off: true; not found: false */
    assert_true(
        fusion_stix_json_members("{\"id\":\"a\",\"modi", 15, keys, 1, out));
    assert_int_equal(out[0].kind, FUSION_STIX_MEMBER_STRING);
    assert_false(
        fusion_stix_json_members("{\"id\":\"a\",\"modi", 15, keys, 2, out));
    assert_int_equal(out[1].kind, FUSION_STIX_MEMBER_NONE);
    assert_false(fusion_stix_json_members("[1]", 3, keys, 4, out));
    assert_int_equal(out[0].kind, FUSION_STIX_MEMBER_NONE);
    /* the first of a member given twice */
    assert_true(fusion_stix_json_members("{\"id\":\"a\",\"id\":\"b\"}", 19,
                                         keys, 1, out));
    assert_memory_equal(out[0].value, "a", 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_numbers_rfc8785_appendix_b),
        cmocka_unit_test(test_canonical_numbers_ecmascript_form),
        cmocka_unit_test(test_canonical_integers_as_digits),
        cmocka_unit_test(test_canonical_rfc8785_sample),
        cmocka_unit_test(test_canonical_key_order_utf16),
        cmocka_unit_test(test_canonical_key_order_prefixes),
        cmocka_unit_test(test_canonical_string_escapes),
        cmocka_unit_test(test_canonical_no_whitespace_nested),
        cmocka_unit_test(test_canonical_many_members_sorted),
        cmocka_unit_test(test_canonical_appends_to_buffer),
        cmocka_unit_test(test_canonical_depth_limit),
        cmocka_unit_test(test_canonical_buffer_cap),
        cmocka_unit_test(test_canonical_null_value),
        cmocka_unit_test(test_canonical_nomem_sweep),
        cmocka_unit_test(test_member_top_level_only),
        cmocka_unit_test(test_member_refusals),
        cmocka_unit_test(test_members_one_pass),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
