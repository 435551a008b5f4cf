/* SPDX-License-Identifier: Apache-2.0 */
/* Deterministic SCO ids against the vectors of the notes, section 3.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "stix/stix.h"

static json_t *
parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);

    assert_non_null(v);
    return v;
}

static void
check_id(const char *sco_json, const char *expected)
{
    json_t *sco = parse(sco_json);
    char id[FUSION_STIX_ID_MAX];

    assert_int_equal(fusion_stix_sco_id(sco, id), FUSION_OK);
    assert_string_equal(id, expected);
    json_decref(sco);
}

static void
check_err(const char *sco_json, enum fusion_err expected)
{
    json_t *sco = parse(sco_json);
    char id[FUSION_STIX_ID_MAX];

    assert_int_equal(fusion_stix_sco_id(sco, id), expected);
    json_decref(sco);
}

/*
 * Every vector of the table in section 3.1, as an SCO with its id and
 * spec_version (which do not contribute) and members out of order.
 */
static void
test_sco_id_spec_vectors(void **state)
{
    static const struct {
        const char *sco;
        const char *id;
    } vectors[] = {
        { "{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\","
          "\"value\":\"198.51.100.3\"}",
          "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4" },
        { "{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.2\"}",
          "ipv4-addr--9cf4a8ec-7640-5f40-a006-79942896168b" },
        { "{\"type\":\"domain-name\",\"value\":\"example.com\"}",
          "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7" },
        { "{\"type\":\"email-addr\",\"value\":\"john@example.com\","
          "\"display_name\":\"John Doe\"}",
          "email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934" },
        { "{\"type\":\"autonomous-system\",\"number\":15139,"
          "\"name\":\"Slime Industries\",\"rir\":\"ARIN\"}",
          "autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff" },
        { "{\"type\":\"ipv6-addr\","
          "\"value\":\"2001:0db8:85a3:0000:0000:8a2e:0370:7334\"}",
          "ipv6-addr--85a85a8c-ee99-5722-946d-3c3a3270fc6f" },
        { "{\"type\":\"mac-addr\",\"value\":\"d2:fb:49:24:37:18\"}",
          "mac-addr--757b1725-9903-54f5-a855-1240691d7659" },
        { "{\"type\":\"mutex\",\"name\":\"__CLEANSWEEP__\"}",
          "mutex--f93fe911-e545-5239-b9b0-597840d0c871" },
        { "{\"type\":\"software\",\"version\":\"2002\","
          "\"vendor\":\"Microsoft\",\"name\":\"Word\",\"languages\":[\"en\"],"
          "\"cpe\":\"cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*\"}",
          "software--710b0b41-d4d0-5d6c-a400-fc9254554ffc" },
        { "{\"type\":\"url\","
          "\"value\":\"https://example.com/research/index.html\"}",
          "url--47c3cf9a-5027-5bf0-997a-017c7edc7c55" },
        { "{\"type\":\"file\",\"size\":25536,"
          "\"hashes\":{\"MD5\":\"3773a88f65a5e780c8dff9cdc3a056f3\"}}",
          "file--58b737df-921c-51f4-a2ec-a0f68ea8b3d3" },
        { "{\"type\":\"file\",\"name\":\"qu\xc3\xaary.dll\",\"hashes\":"
          "{\"SHA-256\":\"effb46bba03f6c8aea5c653f9cf984f170dcdd3bbbe2ff6843c3"
          "e5da0e698766\"}}",
          "file--af406104-9ab8-57c7-9f8e-0898240d684a" },
        { "{\"type\":\"user-account\",\"user_id\":\"1001\","
          "\"account_type\":\"unix\",\"account_login\":\"jdoe\","
          "\"display_name\":\"John Doe\"}",
          "user-account--f94d689e-707d-58c3-b803-c720bb6ed096" },
        { "{\"type\":\"windows-registry-key\","
          "\"key\":\"hkey_local_machine\\\\system\\\\bar\\\\foo\"}",
          "windows-registry-key--67c068a7-2c94-526b-8e90-d0f8d96c630f" },
        { "{\"type\":\"network-traffic\",\"protocols\":[\"tcp\"],"
          "\"src_ref\":\"ipv4-addr--9cf4a8ec-7640-5f40-a006-79942896168b\","
          "\"dst_ref\":\"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4\"}",
          "network-traffic--4292dccf-844d-5aa2-a8c2-285ed7a90c02" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
        check_id(vectors[i].sco, vectors[i].id);
}

/* Only the first present of MD5, SHA-1, SHA-256, SHA-512 contributes. */
static void
test_sco_id_prefers_md5(void **state)
{
    (void)state;
    check_id("{\"type\":\"file\",\"hashes\":{\"SHA-256\":\"aa\","
             "\"SHA-1\":\"bb\",\"MD5\":\"3773a88f65a5e780c8dff9cdc3a056f3\"}}",
             "file--58b737df-921c-51f4-a2ec-a0f68ea8b3d3");
}

/* With none of the four, the first key as written contributes. */
static void
test_sco_id_first_hash_fallback(void **state)
{
    (void)state;
    check_id("{\"type\":\"file\",\"hashes\":{\"SSDEEP\":"
             "\"3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C\",\"TLSH\":\"ff\"}}",
             "file--6d7d0480-651b-5eac-9068-52f0bc293f24");
}

static void
test_sco_id_reference_contributes(void **state)
{
    (void)state;
    check_id("{\"type\":\"file\",\"name\":\"a.exe\",\"parent_directory_ref\":"
             "\"directory--30b6c25d-82f4-51af-a3c8-51cb692dfd0a\"}",
             "file--8373e4b2-f06b-58ab-9591-b48a0220f152");
    check_id("{\"type\":\"email-message\",\"is_multipart\":false,"
             "\"subject\":\"Email test subject\",\"from_ref\":"
             "\"email-addr--30b901f7-170d-5045-bc78-dede46a3f426\"}",
             "email-message--746e208e-306e-525a-8593-28d13f69a1aa");
}

static void
test_sco_id_process_is_random(void **state)
{
    (void)state;
    check_err("{\"type\":\"process\",\"pid\":1221,\"command_line\":\"x\"}",
              FUSION_ERR_NOTFOUND);
}

static void
test_sco_id_no_contributing_property(void **state)
{
    (void)state;
    check_err("{\"type\":\"artifact\",\"url\":\"https://example.com/a\"}",
              FUSION_ERR_NOTFOUND);
    check_err("{\"type\":\"file\",\"size\":12,\"hashes\":{}}",
              FUSION_ERR_NOTFOUND);
    check_err("{\"type\":\"user-account\",\"value\":null,\"user_id\":null}",
              FUSION_ERR_NOTFOUND);
}

static void
test_sco_id_rejects_non_sco(void **state)
{
    char id[FUSION_STIX_ID_MAX];

    (void)state;
    check_err("{\"type\":\"x-acme-widget\",\"value\":\"1\"}",
              FUSION_ERR_UNSUPPORTED);
    check_err("{\"type\":\"indicator\",\"name\":\"x\"}",
              FUSION_ERR_UNSUPPORTED);
    check_err("{\"value\":\"1.2.3.4\"}", FUSION_ERR_INVALID);
    assert_int_equal(fusion_stix_sco_id(NULL, id), FUSION_ERR_INVALID);
}

static void
test_sco_id_nomem(void **state)
{
    json_t *sco = parse("{\"type\":\"domain-name\",\"value\":\"example.com\"}");
    char id[FUSION_STIX_ID_MAX];
    enum fusion_err rc;

    (void)state;
    fusion_alloc_fail_after(0);
    rc = fusion_stix_sco_id(sco, id);
    fusion_alloc_fail_after(-1);
    assert_int_equal(rc, FUSION_ERR_NOMEM);
    json_decref(sco);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sco_id_spec_vectors),
        cmocka_unit_test(test_sco_id_prefers_md5),
        cmocka_unit_test(test_sco_id_first_hash_fallback),
        cmocka_unit_test(test_sco_id_reference_contributes),
        cmocka_unit_test(test_sco_id_process_is_random),
        cmocka_unit_test(test_sco_id_no_contributing_property),
        cmocka_unit_test(test_sco_id_rejects_non_sco),
        cmocka_unit_test(test_sco_id_nomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
