/* SPDX-License-Identifier: Apache-2.0 */
/* Canonical printer: the case table, appending, failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "pattern_cases.h"

static struct fusion_pattern *
parse_ok(const char *text)
{
    struct fusion_pattern *pat = NULL;
    struct fusion_error err;

    if (fusion_pattern_parse(text, strlen(text), &pat, &err) != FUSION_OK)
        fail_msg("'%s': %s", text, err.message);
    return pat;
}

static void
test_pattern_print_table(void **state)
{
    struct fusion_buf buf;
    struct tcases cs;
    size_t n = 0;

    (void)state;
    tcases_load("parse.cases", &cs);
    fusion_buf_init(&buf, 0);
    for (size_t i = 0; i < cs.count; i++) {
        const struct tcase *c = &cs.items[i];
        const char *want = tcase_get(c, "print");
        struct fusion_pattern *pat;

        if (!want)
            continue;
        pat = parse_ok(tcase_get(c, "pattern"));
        fusion_buf_clear(&buf);
        assert_int_equal(fusion_pattern_print(pat, &buf), FUSION_OK);
        if (strcmp(buf.data, want) != 0)
            fail_msg("line %u: printed '%s', want '%s'", c->line, buf.data,
                     want);
        fusion_pattern_free(pat);
        n++;
    }
    assert_true(n >= 80);
    fusion_buf_release(&buf);
    tcases_free(&cs);
}

static void
test_pattern_print_appends(void **state)
{
    struct fusion_pattern *pat = parse_ok("[file:name=='a']");
    struct fusion_buf buf;

    (void)state;
    fusion_buf_init(&buf, 0);
    assert_int_equal(fusion_buf_puts(&buf, "pattern: "), FUSION_OK);
    assert_int_equal(fusion_pattern_print(pat, &buf), FUSION_OK);
    assert_string_equal(buf.data, "pattern: [file:name = 'a']");
    fusion_buf_release(&buf);
    fusion_pattern_free(pat);
}

/* A full buffer gives LIMIT and leaves the contents as they were. */
static void
test_pattern_print_limit_keeps_buffer(void **state)
{
    struct fusion_pattern *pat = parse_ok("[file:name = 'abcdefghijklmnop']");
    struct fusion_buf buf;

    (void)state;
    fusion_buf_init(&buf, 20);
    assert_int_equal(fusion_buf_puts(&buf, "keep"), FUSION_OK);
    assert_int_equal(fusion_pattern_print(pat, &buf), FUSION_ERR_LIMIT);
    assert_int_equal(buf.len, 4);
    assert_string_equal(buf.data, "keep");
    fusion_buf_release(&buf);
    fusion_pattern_free(pat);
}

static void
test_pattern_print_quotes_where_needed(void **state)
{
    static const char *const cases[][2] = {
        { "[x-a:'b' = 1]", "[x-a:b = 1]" },
        { "[x-a:'b-c'.'d'.'e f' = 1]", "[x-a:'b-c'.d.'e f' = 1]" },
        { "[x-a:'OR'.'true'.'_x1' = 1]", "[x-a:'OR'.'true'._x1 = 1]" },
        { "[x-a:'1a'.'' = 1]", "[x-a:'1a'.'' = 1]" },
        { "[x-a:'it\\'s' = 'a\\\\b']", "[x-a:'it\\'s' = 'a\\\\b']" },
        { "[x-a:b = h'ABcd' OR x-a:b = b'AAAA']",
          "[x-a:b = h'abcd' OR x-a:b = b'AAAA']" },
    };
    struct fusion_buf buf;

    (void)state;
    fusion_buf_init(&buf, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fusion_pattern *pat;

        pat = parse_ok(cases[i][0]);
        fusion_buf_clear(&buf);
        assert_int_equal(fusion_pattern_print(pat, &buf), FUSION_OK);
        assert_string_equal(buf.data, cases[i][1]);
        fusion_pattern_free(pat);
    }
    fusion_buf_release(&buf);
}

static void
test_pattern_print_nomem(void **state)
{
    struct fusion_pattern *pat =
        parse_ok("[x-a:b IN (1, 2.5, 'x', h'00', b'AAAA', true)] "
                 "START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'");
    bool done = false;

    (void)state;
    for (long n = 0; !done; n++) {
        struct fusion_buf buf;
        enum fusion_err rc;

        fusion_buf_init(&buf, 0);
        fusion_alloc_fail_after(n);
        rc = fusion_pattern_print(pat, &buf);
        done = !fusion_alloc_has_failed();
        fusion_alloc_fail_after(-1);
        assert_int_equal(rc, done ? FUSION_OK : FUSION_ERR_NOMEM);
        fusion_buf_release(&buf);
    }
    fusion_pattern_free(pat);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_print_table),
        cmocka_unit_test(test_pattern_print_appends),
        cmocka_unit_test(test_pattern_print_limit_keeps_buffer),
        cmocka_unit_test(test_pattern_print_quotes_where_needed),
        cmocka_unit_test(test_pattern_print_nomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
