/* SPDX-License-Identifier: Apache-2.0 */
/* STIX 2.0 pattern upgrade: the case table, then the result parses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "pattern_cases.h"

static void
test_pattern_upgrade_table(void **state)
{
    struct fusion_buf buf;
    struct tcases cs;

    (void)state;
    tcases_load("upgrade.cases", &cs);
    assert_true(cs.count >= 10);
    fusion_buf_init(&buf, 0);
    for (size_t i = 0; i < cs.count; i++) {
        const struct tcase *c = &cs.items[i];
        const char *in = tcase_get(c, "input");
        const char *want = tcase_get(c, "output");
        const char *err_at = tcase_get(c, "error");
        struct fusion_error err;
        enum fusion_err rc;

        assert_non_null(in);
        fusion_buf_clear(&buf);
        rc = fusion_pattern_upgrade_20(in, strlen(in), &buf, &err);
        if (want) {
            if (rc != FUSION_OK)
                fail_msg("line %u: %s", c->line, err.message);
            if (strcmp(buf.data ? buf.data : "", want) != 0)
                fail_msg("line %u: got '%s', want '%s'", c->line, buf.data,
                         want);
        } else {
            assert_non_null(err_at);
            assert_int_equal(rc, FUSION_ERR_INVALID);
            assert_true(err.has_offset);
            assert_int_equal(err.offset, strtoull(err_at, NULL, 10));
            assert_true(buf.len == 0);
        }
    }
    fusion_buf_release(&buf);
    tcases_free(&cs);
}

/* Every upgraded text with brackets is a valid 2.1 pattern. */
static void
test_pattern_upgrade_result_parses(void **state)
{
    struct fusion_buf buf;
    struct tcases cs;

    (void)state;
    tcases_load("upgrade.cases", &cs);
    fusion_buf_init(&buf, 0);
    for (size_t i = 0; i < cs.count; i++) {
        const char *want = tcase_get(&cs.items[i], "output");
        struct fusion_pattern *pat;
        struct fusion_error err;

        if (!want || !strchr(want, '['))
            continue;
        if (fusion_pattern_parse(want, strlen(want), &pat, &err) != FUSION_OK)
            fail_msg("'%s': %s", want, err.message);
        fusion_pattern_free(pat);
    }
    fusion_buf_release(&buf);
    tcases_free(&cs);
}

static void
test_pattern_upgrade_appends_and_restores(void **state)
{
    const char *ok = "[file:created = t'2014-01-13T07:03:17Z']";
    const char *bad = "[file:created = 'a] START";
    struct fusion_buf buf;

    (void)state;
    fusion_buf_init(&buf, 0);
    assert_int_equal(fusion_buf_puts(&buf, "> "), FUSION_OK);
    assert_int_equal(fusion_pattern_upgrade_20(ok, strlen(ok), &buf, NULL),
                     FUSION_OK);
    assert_string_equal(buf.data, "> [file:ctime = t'2014-01-13T07:03:17Z']");
    assert_int_equal(fusion_pattern_upgrade_20(bad, strlen(bad), &buf, NULL),
                     FUSION_ERR_INVALID);
    assert_string_equal(buf.data, "> [file:ctime = t'2014-01-13T07:03:17Z']");
    fusion_buf_release(&buf);
}

static void
test_pattern_upgrade_nomem(void **state)
{
    const char *text = "[file:created = t'2014-01-13T07:03:17Z'] START "
                       "'2016-01-01T00:00:00Z' STOP '2017-01-01T00:00:00Z'";
    bool done = false;

    (void)state;
    for (long n = 0; !done; n++) {
        struct fusion_buf buf;
        enum fusion_err rc;

        fusion_buf_init(&buf, 0);
        fusion_alloc_fail_after(n);
        rc = fusion_pattern_upgrade_20(text, strlen(text), &buf, NULL);
        done = !fusion_alloc_has_failed();
        fusion_alloc_fail_after(-1);
        assert_int_equal(rc, done ? FUSION_OK : FUSION_ERR_NOMEM);
        fusion_buf_release(&buf);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_upgrade_table),
        cmocka_unit_test(test_pattern_upgrade_result_parses),
        cmocka_unit_test(test_pattern_upgrade_appends_and_restores),
        cmocka_unit_test(test_pattern_upgrade_nomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
