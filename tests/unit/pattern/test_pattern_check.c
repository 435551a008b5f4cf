/* SPDX-License-Identifier: Apache-2.0 */
/* Semantic checks: the case table and each rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "pattern_cases.h"

/* Parses text, checks it; returns the result and leaves issues in rep. */
static enum fusion_err
check_text(const char *text, struct fusion_stix_report *rep)
{
    struct fusion_pattern *pat = NULL;
    struct fusion_error err;
    enum fusion_err rc;

    if (fusion_pattern_parse(text, strlen(text), &pat, &err) != FUSION_OK)
        fail_msg("'%s': %s", text, err.message);
    rc = fusion_pattern_check(pat, rep);
    fusion_pattern_free(pat);
    return rc;
}

static bool
has_issue(const struct fusion_stix_report *rep, const char *needle)
{
    for (size_t i = 0; i < rep->count; i++) {
        if (strstr(rep->items[i].message, needle))
            return true;
    }
    return false;
}

static void
test_pattern_check_table(void **state)
{
    struct fusion_stix_report rep;
    struct tcases cs;
    size_t n = 0;

    (void)state;
    tcases_load("parse.cases", &cs);
    fusion_stix_report_init(&rep);
    for (size_t i = 0; i < cs.count; i++) {
        const struct tcase *c = &cs.items[i];
        const char *want = tcase_get(c, "check");
        const char *got;
        enum fusion_err rc;

        if (!want)
            continue;
        fusion_stix_report_clear(&rep);
        rc = check_text(tcase_get(c, "pattern"), &rep);
        assert_int_equal(rc == FUSION_OK, rep.errors == 0);
        got = rep.errors ? "error" : rep.warnings ? "warning" : "ok";
        if (strcmp(got, want) != 0)
            fail_msg("line %u: check gave %s (%s), want %s", c->line, got,
                     rep.count ? rep.items[0].message : "", want);
        n++;
    }
    assert_true(n >= 80);
    fusion_stix_report_release(&rep);
    tcases_free(&cs);
}

static void
test_pattern_check_duplicate_qualifiers(void **state)
{
    static const char *const bad[] = {
        "[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
        "[file:name = 'a'] REPEATS 2 TIMES WITHIN 5 SECONDS REPEATS 2 TIMES",
        /* stricter than the reference validator, as the spec reads */
        "([file:name = 'a']) WITHIN 5 SECONDS WITHIN 6 SECONDS",
        ("([file:name = 'a'] AND [file:name = 'b']) REPEATS 2 TIMES "
         "REPEATS 2 TIMES"),
    };
    static const char *const good[] = {
        "([file:name = 'a'] REPEATS 2 TIMES) REPEATS 2 TIMES",
        ("([file:name = 'a'] WITHIN 5 SECONDS AND [file:name = 'b']) "
         "WITHIN 6 SECONDS"),
    };
    struct fusion_stix_report rep;

    (void)state;
    fusion_stix_report_init(&rep);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fusion_stix_report_clear(&rep);
        assert_int_equal(check_text(bad[i], &rep), FUSION_ERR_INVALID);
        assert_true(has_issue(&rep, "duplicate qualifier"));
        assert_string_equal(rep.items[0].path, "pattern");
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        fusion_stix_report_clear(&rep);
        assert_int_equal(check_text(good[i], &rep), FUSION_OK);
        assert_int_equal(rep.count, 0);
    }
    fusion_stix_report_release(&rep);
}

static void
test_pattern_check_hash_lengths(void **state)
{
    static const struct {
        const char *text;
        bool ok;
    } cases[] = {
        { "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']", true },
        { "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879g']", false },
        { "[file:hashes.'SHA-1' = 'cead3f77f6cda6ec00f57d76c9a6879f']", false },
        { "[file:hashes.'sha-512' != 'ab']", false },
        { "[file:hashes.MD6 = 'cead3f77f6cda6ec00f57d76c9a6879fcead3f77']",
          true },
        { "[file:hashes.SSDEEP = 'bad ssdeep']", false },
        { "[file:hashes.'x-custom' = 'anything']", true },
        { "[file:hashes[*] = 'f00']", true },
        { "[file:hashes.MD5 LIKE 'f00%']", true },
        { "[file:extensions.'ntfs-ext'.alternate_data_streams[0].hashes.MD5 "
          "= 'f00']",
          false },
    };
    struct fusion_stix_report rep;

    (void)state;
    fusion_stix_report_init(&rep);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fusion_stix_report_clear(&rep);
        if ((check_text(cases[i].text, &rep) == FUSION_OK) != cases[i].ok)
            fail_msg("%s: %s", cases[i].text,
                     rep.count ? rep.items[0].message : "no issue");
    }
    fusion_stix_report_release(&rep);
}

static void
test_pattern_check_types_and_properties(void **state)
{
    struct fusion_stix_report rep;

    (void)state;
    fusion_stix_report_init(&rep);
    assert_int_equal(check_text("[malware:name = 'a']", &rep),
                     FUSION_ERR_INVALID);
    assert_true(has_issue(&rep, "'malware' is not a cyber-observable"));

    fusion_stix_report_clear(&rep);
    assert_int_equal(check_text("[Bad_Type:name = 'a']", &rep),
                     FUSION_ERR_INVALID);

    fusion_stix_report_clear(&rep);
    assert_int_equal(
        check_text("[file:accessed = t'2016-01-01T00:00:00Z']", &rep),
        FUSION_OK);
    assert_true(has_issue(&rep, "STIX 2.0 name of 'atime'"));
    assert_int_equal(rep.warnings, 1);

    fusion_stix_report_clear(&rep);
    assert_int_equal(check_text("[file:x_colour = 'red' AND file:id = 'x' "
                                "AND x-thing:whatever = 1]",
                                &rep),
                     FUSION_OK);
    assert_int_equal(rep.warnings, 1);
    assert_true(has_issue(&rep, "unknown property 'x_colour' of 'file'"));
    fusion_stix_report_release(&rep);
}

static void
test_pattern_check_literals_and_qualifiers(void **state)
{
    struct fusion_stix_report rep;

    (void)state;
    fusion_stix_report_init(&rep);
    assert_int_equal(check_text("[file:size IN (1, true)]", &rep),
                     FUSION_ERR_INVALID);
    assert_true(has_issue(&rep, "share one type"));

    fusion_stix_report_clear(&rep);
    assert_int_equal(check_text("[file:size IN ()]", &rep), FUSION_OK);
    assert_true(has_issue(&rep, "empty set"));

    fusion_stix_report_clear(&rep);
    assert_int_equal(check_text("[file:name = 'a'] REPEATS 0 TIMES", &rep),
                     FUSION_ERR_INVALID);
    assert_true(has_issue(&rep, "at byte 18"));

    fusion_stix_report_clear(&rep);
    assert_int_equal(check_text("[file:name = 'a'] WITHIN 0.0 SECONDS", &rep),
                     FUSION_ERR_INVALID);

    fusion_stix_report_clear(&rep);
    assert_int_equal(check_text("[file:name = 'a'] START "
                                "t'2016-02-30T00:00:00Z' STOP "
                                "t'2017-01-01T00:00:00Z'",
                                &rep),
                     FUSION_ERR_INVALID);
    assert_true(has_issue(&rep, "no calendar date"));

    fusion_stix_report_clear(&rep);
    assert_int_equal(check_text("[file:name = 'a'] START "
                                "t'2016-01-01T00:00:00Z' STOP "
                                "t'2016-01-01T00:00:00Z'",
                                &rep),
                     FUSION_OK);
    assert_true(has_issue(&rep, "STOP is not after START"));
    fusion_stix_report_release(&rep);
}

/* Issues go after those already in the report; NOMEM when it cannot grow. */
static void
test_pattern_check_report(void **state)
{
    const char *text = "[file:hashes.MD5 = 'f00'] WITHIN 1 SECONDS "
                       "WITHIN 2 SECONDS";
    struct fusion_stix_report rep;
    struct fusion_pattern *pat;
    bool done = false;

    (void)state;
    assert_int_equal(fusion_pattern_parse(text, strlen(text), &pat, NULL),
                     FUSION_OK);
    fusion_stix_report_init(&rep);
    assert_int_equal(
        fusion_stix_report_add(&rep, FUSION_STIX_WARNING, "x", "earlier"),
        FUSION_OK);
    assert_int_equal(fusion_pattern_check(pat, &rep), FUSION_ERR_INVALID);
    assert_int_equal(rep.count, 3);
    assert_string_equal(rep.items[0].message, "earlier");

    for (long n = 0; !done; n++) {
        enum fusion_err rc;

        fusion_stix_report_release(&rep);
        fusion_alloc_fail_after(n);
        rc = fusion_pattern_check(pat, &rep);
        done = !fusion_alloc_has_failed();
        fusion_alloc_fail_after(-1);
        assert_int_equal(rc, done ? FUSION_ERR_INVALID : FUSION_ERR_NOMEM);
    }
    fusion_stix_report_release(&rep);
    fusion_pattern_free(pat);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_check_table),
        cmocka_unit_test(test_pattern_check_duplicate_qualifiers),
        cmocka_unit_test(test_pattern_check_hash_lengths),
        cmocka_unit_test(test_pattern_check_types_and_properties),
        cmocka_unit_test(test_pattern_check_literals_and_qualifiers),
        cmocka_unit_test(test_pattern_check_report),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
