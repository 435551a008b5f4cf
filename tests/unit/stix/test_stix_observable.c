/* SPDX-License-Identifier: Apache-2.0 */
/* Observable keys of SCOs, pattern comparisons and typed-in values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "stix/stix.h"

/* Keys collected as "type=value" lines. */
struct collect {
    char text[4096];
    size_t len;
    int calls;
    int fail_at;
};

static enum fusion_err
collect_key(void *ctx, const char *key_type, const char *value)
{
    struct collect *c = ctx;
    int n;

    c->calls++;
    if (c->fail_at && c->calls == c->fail_at)
        return FUSION_ERR_DB;
    n = snprintf(c->text + c->len, sizeof(c->text) - c->len, "%s=%s\n",
                 key_type, value);
    assert_true(n > 0 && (size_t)n < sizeof(c->text) - c->len);
    c->len += (size_t)n;
    return FUSION_OK;
}

static void
check_keys(const char *sco_json, const char *expected)
{
    struct collect c = { .len = 0 };
    json_error_t jerr;
    json_t *sco = json_loads(sco_json, 0, &jerr);

    assert_non_null(sco);
    assert_int_equal(fusion_stix_observable_keys(sco, collect_key, &c),
                     FUSION_OK);
    assert_string_equal(c.text, expected);
    json_decref(sco);
}

static void
check_pattern(const char *type, const char *path, const char *value,
              const char *expected)
{
    struct collect c = { .len = 0 };

    assert_int_equal(
        fusion_stix_pattern_key(type, path, value, collect_key, &c), FUSION_OK);
    assert_string_equal(c.text, expected);
}

static void
check_guess(const char *value, const char *type, const char *canonical)
{
    char type_out[64], out[FUSION_STIX_KEY_MAX];

    assert_int_equal(fusion_stix_guess_key(value, type_out, out), FUSION_OK);
    assert_string_equal(type_out, type);
    assert_string_equal(out, canonical);
}

static void
test_observable_keys_network_values(void **state)
{
    (void)state;
    check_keys("{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.3\"}",
               "ipv4-addr=198.51.100.3\n");
    check_keys("{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.3/32\"}",
               "ipv4-addr=198.51.100.3\n");
    check_keys("{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.0/24\"}",
               "ipv4-addr=198.51.100.0/24\n");
    check_keys("{\"type\":\"ipv6-addr\","
               "\"value\":\"2001:0DB8:85a3:0000:0000:8a2e:0370:7334\"}",
               "ipv6-addr=2001:db8:85a3::8a2e:370:7334\n");
    check_keys("{\"type\":\"ipv6-addr\",\"value\":\"2001:db8::/128\"}",
               "ipv6-addr=2001:db8::\n");
    check_keys("{\"type\":\"ipv6-addr\",\"value\":\"2001:DB8:0::/32\"}",
               "ipv6-addr=2001:db8::/32\n");
    check_keys("{\"type\":\"domain-name\",\"value\":\"WWW.Example.COM.\"}",
               "domain-name=www.example.com\n");
    /* scheme and host fold to lower case, the path keeps its case */
    check_keys("{\"type\":\"url\",\"value\":\"HTTPS://Example.com/A\"}",
               "url=https://example.com/A\n");
    check_keys("{\"type\":\"url\",\"value\":\"http://u:P@X.example:80\"}",
               "url=http://u:P@x.example/\n");
    check_keys("{\"type\":\"url\",\"value\":\"https://x.example:443?q=A\"}",
               "url=https://x.example/?q=A\n");
    check_keys("{\"type\":\"url\",\"value\":\"http://x.example:8080/\"}",
               "url=http://x.example:8080/\n");
    check_keys("{\"type\":\"email-addr\",\"value\":\"John@Example.com\"}",
               "email-addr=john@example.com\n");
    check_keys("{\"type\":\"mac-addr\",\"value\":\"D2-FB-49-24-37-18\"}",
               "mac-addr=d2:fb:49:24:37:18\n");
}

static void
test_observable_keys_other_singles(void **state)
{
    (void)state;
    check_keys("{\"type\":\"autonomous-system\",\"number\":15139}",
               "autonomous-system=15139\n");
    check_keys("{\"type\":\"mutex\",\"name\":\"__CLEANSWEEP__\"}",
               "mutex=__CLEANSWEEP__\n");
    check_keys("{\"type\":\"windows-registry-key\","
               "\"key\":\"HKEY_LOCAL_MACHINE\\\\System\"}",
               "windows-registry-key=HKEY_LOCAL_MACHINE\\System\n");
    check_keys("{\"type\":\"directory\",\"path\":\"C:\\\\Windows\"}",
               "directory=C:\\Windows\n");
    check_keys("{\"type\":\"software\",\"name\":\"Word\","
               "\"cpe\":\"cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*\"}",
               "software=Word\n"
               "software=cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*\n");
}

static void
test_observable_keys_file_hashes(void **state)
{
    (void)state;
    check_keys("{\"type\":\"file\",\"name\":\"a.exe\",\"hashes\":{"
               "\"MD5\":\"3773A88F65A5E780C8DFF9CDC3A056F3\","
               "\"sha256\":\"EFFB46BBA03F6C8AEA5C653F9CF984F170DCDD3BBBE2FF6843"
               "C3E5DA0E698766\",\"SHA1\":\"AB\",\"sha-512\":\"CD\","
               "\"SSDEEP\":\"3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C\","
               "\"x-vendor\":\"Ab\"}}",
               "file:MD5=3773a88f65a5e780c8dff9cdc3a056f3\n"
               "file:SHA-256=effb46bba03f6c8aea5c653f9cf984f170dcdd3bbbe2ff"
               "6843c3e5da0e698766\n"
               "file:SHA-1=ab\n"
               "file:SHA-512=cd\n"
               "file:SSDEEP=3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C\n"
               "file:x-vendor=Ab\n"
               "file:name=a.exe\n");
}

static void
test_observable_keys_none(void **state)
{
    (void)state;
    check_keys("{\"type\":\"process\",\"pid\":4}", "");
    check_keys("{\"type\":\"network-traffic\",\"protocols\":[\"tcp\"]}", "");
    check_keys("{\"type\":\"ipv4-addr\",\"value\":\"\"}", "");
    check_keys("{\"type\":\"ipv4-addr\"}", "");
    check_keys("{\"value\":\"198.51.100.3\"}", "");
}

static void
test_observable_keys_stops_on_error(void **state)
{
    struct collect c = { .fail_at = 2 };
    json_error_t jerr;
    json_t *sco = json_loads("{\"type\":\"file\",\"name\":\"x\",\"hashes\":"
                             "{\"MD5\":\"aa\",\"SHA-1\":\"bb\"}}",
                             0, &jerr);

    (void)state;
    assert_non_null(sco);
    assert_int_equal(fusion_stix_observable_keys(sco, collect_key, &c),
                     FUSION_ERR_DB);
    assert_int_equal(c.calls, 2);
    json_decref(sco);
}

static void
test_pattern_key_paths(void **state)
{
    (void)state;
    check_pattern("ipv4-addr", "value", "198.51.100.3/32",
                  "ipv4-addr=198.51.100.3\n");
    check_pattern("domain-name", "value", "Example.COM",
                  "domain-name=example.com\n");
    check_pattern("file", "hashes.MD5", "AA", "file:MD5=aa\n");
    check_pattern("file", "hashes.'SHA-256'", "BB", "file:SHA-256=bb\n");
    check_pattern("file", "hashes.\"SHA-1\"", "CC", "file:SHA-1=cc\n");
    check_pattern("file", "hashes.sha256", "DD", "file:SHA-256=dd\n");
    check_pattern("file", "name", "Evil.exe", "file:name=Evil.exe\n");
    check_pattern("autonomous-system", "number", "15139",
                  "autonomous-system=15139\n");
    check_pattern("mutex", "name", "m", "mutex=m\n");
}

static void
test_pattern_key_no_key(void **state)
{
    (void)state;
    check_pattern("file", "size", "12", "");
    check_pattern("file", "hashes.", "12", "");
    check_pattern("file", "hashes.''", "12", "");
    check_pattern("ipv4-addr", "resolves_to_refs[*].value", "x", "");
    check_pattern("process", "name", "cmd.exe", "");
    check_pattern("x-acme", "value", "v", "");
    check_pattern(NULL, "value", "v", "");
    check_pattern("url", "value", NULL, "");
}

static void
test_guess_key_types(void **state)
{
    (void)state;
    check_guess("198.51.100.3", "ipv4-addr", "198.51.100.3");
    check_guess(" 198.51.100.0/24\n", "ipv4-addr", "198.51.100.0/24");
    check_guess("198.51.100.7/32", "ipv4-addr", "198.51.100.7");
    check_guess("2001:0db8:0000::0001", "ipv6-addr", "2001:db8::1");
    check_guess("D2:FB:49:24:37:18", "mac-addr", "d2:fb:49:24:37:18");
    check_guess("3773A88F65A5E780C8DFF9CDC3A056F3", "file:MD5",
                "3773a88f65a5e780c8dff9cdc3a056f3");
    check_guess("46aba99aa7158e4609aaa72b50990842fd22ae86", "file:SHA-1",
                "46aba99aa7158e4609aaa72b50990842fd22ae86");
    check_guess("ec5aedf5ecc6bdadd4120932170d1b10f6cfa175cfda22951dfd882928ab"
                "279b",
                "file:SHA-256",
                "ec5aedf5ecc6bdadd4120932170d1b10f6cfa175cfda22951dfd882928ab"
                "279b");
    check_guess("https://Example.com/x?y=1", "url",
                "https://example.com/x?y=1");
    check_guess("John.Doe@Example.COM", "email-addr", "john.doe@example.com");
    check_guess("Evil.Example.COM.", "domain-name", "evil.example.com");
    check_guess("999.1.1.1", "domain-name", "999.1.1.1");
}

static void
test_guess_key_rejects_empty_and_long(void **state)
{
    char type_out[64], out[FUSION_STIX_KEY_MAX];
    char *long_value = fusion_malloc(FUSION_STIX_KEY_MAX + 1);

    (void)state;
    assert_non_null(long_value);
    memset(long_value, 'a', FUSION_STIX_KEY_MAX);
    long_value[FUSION_STIX_KEY_MAX] = '\0';
    assert_int_equal(fusion_stix_guess_key("", type_out, out),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_stix_guess_key(" \t ", type_out, out),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_stix_guess_key(NULL, type_out, out),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_stix_guess_key(long_value, type_out, out),
                     FUSION_ERR_INVALID);
    fusion_free(long_value);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observable_keys_network_values),
        cmocka_unit_test(test_observable_keys_other_singles),
        cmocka_unit_test(test_observable_keys_file_hashes),
        cmocka_unit_test(test_observable_keys_none),
        cmocka_unit_test(test_observable_keys_stops_on_error),
        cmocka_unit_test(test_pattern_key_paths),
        cmocka_unit_test(test_pattern_key_no_key),
        cmocka_unit_test(test_guess_key_types),
        cmocka_unit_test(test_guess_key_rejects_empty_and_long),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
