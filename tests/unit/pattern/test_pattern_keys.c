/* SPDX-License-Identifier: Apache-2.0 */
/* Observable keys of patterns: which comparisons yield keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "pattern/pattern.h"

struct collected {
    struct fusion_buf text; /* "type=value;" for each key */
    int calls;
    int fail_at; /* return FUSION_ERR_CONFLICT on this call, 0: never */
};

static enum fusion_err
collect(void *ctx, const char *key_type, const char *value)
{
    struct collected *c = ctx;

    c->calls++;
    if (c->calls == c->fail_at)
        return FUSION_ERR_CONFLICT;
    return fusion_buf_printf(&c->text, "%s=%s;", key_type, value);
}

static void
expect_keys(const char *pattern, const char *want)
{
    struct fusion_pattern *pat;
    struct fusion_error err;
    struct collected c = { .fail_at = 0 };

    fusion_buf_init(&c.text, 0);
    if (fusion_pattern_parse(pattern, strlen(pattern), &pat, &err))
        fail_msg("'%s': %s", pattern, err.message);
    assert_int_equal(fusion_pattern_keys(pat, collect, &c), FUSION_OK);
    if (strcmp(c.text.data ? c.text.data : "", want) != 0)
        fail_msg("'%s': keys '%s', want '%s'", pattern,
                 c.text.data ? c.text.data : "", want);
    fusion_buf_release(&c.text);
    fusion_pattern_free(pat);
}

static void
test_pattern_keys_positive_equality(void **state)
{
    (void)state;
    expect_keys("[ipv4-addr:value = '198.51.100.7']",
                "ipv4-addr=198.51.100.7;");
    expect_keys("[domain-name:value == 'Example.COM']",
                "domain-name=example.com;");
    expect_keys(
        "[file:hashes.'SHA-256' = "
        "'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F'"
        " OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']",
        "file:SHA-256="
        "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f;"
        "file:MD5=cead3f77f6cda6ec00f57d76c9a6879f;");
    expect_keys("[file:name = 'a.exe'] FOLLOWEDBY ([url:value = "
                "'http://x.example/'] WITHIN 5 SECONDS)",
                "file:name=a.exe;url=http://x.example/;");
}

static void
test_pattern_keys_skips_other_comparisons(void **state)
{
    (void)state;
    /* negated, other operators, non-strings, paths that are no key */
    expect_keys("[ipv4-addr:value NOT = '1.2.3.4' OR ipv4-addr:value != "
                "'1.2.3.5' OR ipv4-addr:value ISSUBSET '10.0.0.0/8' OR "
                "ipv4-addr:value NOT IN ('1.2.3.6') OR file:size = 5 OR "
                "file:name LIKE 'a%' OR NOT EXISTS file:name OR "
                "file:parent_directory_ref.path = 'C:\\\\x' OR "
                "x-custom:value = 'y']",
                "");
}

static void
test_pattern_keys_in_lists(void **state)
{
    (void)state;
    expect_keys("[ipv4-addr:value IN ('198.51.100.12', '198.51.100.13', 7)]",
                "ipv4-addr=198.51.100.12;ipv4-addr=198.51.100.13;");
}

static void
test_pattern_keys_through_references(void **state)
{
    (void)state;
    expect_keys("[network-traffic:dst_ref.value = '198.51.100.7' AND "
                "network-traffic:dst_port = 443]",
                "ipv4-addr=198.51.100.7;");
    expect_keys("[domain-name:value = 'circl.lu' AND "
                "domain-name:resolves_to_refs[*].value = '2001:DB8::0:1']",
                "domain-name=circl.lu;ipv6-addr=2001:db8::1;");
    expect_keys("[email-message:from_ref.value = 'Bad@Example.com']",
                "email-addr=bad@example.com;");
    expect_keys("[network-traffic:src_ref.value = 'Evil.Example.NET']",
                "domain-name=evil.example.net;");
    expect_keys("[file:contains_refs[*].hashes.MD5 = "
                "'CEAD3F77F6CDA6EC00F57D76C9A6879F']",
                "file:MD5=cead3f77f6cda6ec00f57d76c9a6879f;");
}

static void
test_pattern_keys_stops_at_callback_error(void **state)
{
    const char *text = "[domain-name:value = 'a.example' OR domain-name:value "
                       "= 'b.example' OR domain-name:value = 'c.example']";
    struct collected c = { .fail_at = 2 };
    struct fusion_pattern *pat;

    (void)state;
    fusion_buf_init(&c.text, 0);
    assert_int_equal(fusion_pattern_parse(text, strlen(text), &pat, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_pattern_keys(pat, collect, &c),
                     FUSION_ERR_CONFLICT);
    assert_int_equal(c.calls, 2);
    fusion_buf_release(&c.text);
    fusion_pattern_free(pat);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_keys_positive_equality),
        cmocka_unit_test(test_pattern_keys_skips_other_comparisons),
        cmocka_unit_test(test_pattern_keys_in_lists),
        cmocka_unit_test(test_pattern_keys_through_references),
        cmocka_unit_test(test_pattern_keys_stops_at_callback_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
