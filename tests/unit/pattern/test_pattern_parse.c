/* SPDX-License-Identifier: Apache-2.0 */
/* Pattern parser: the case table, round trips, the tree, limits, memory. */
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

static char *
print_str(const struct fusion_pattern *pat)
{
    struct fusion_buf buf;

    fusion_buf_init(&buf, 0);
    assert_int_equal(fusion_pattern_print(pat, &buf), FUSION_OK);
    return fusion_buf_detach(&buf, NULL);
}

static void
test_pattern_parse_table(void **state)
{
    struct tcases cs;
    size_t nok = 0, nbad = 0;

    (void)state;
    tcases_load("parse.cases", &cs);
    for (size_t i = 0; i < cs.count; i++) {
        const struct tcase *c = &cs.items[i];
        const char *text = tcase_get(c, "pattern");
        const char *want = tcase_get(c, "parse");
        const char *msg = tcase_get(c, "message");
        struct fusion_pattern *pat = NULL;
        struct fusion_error err;
        enum fusion_err rc;

        assert_non_null(text);
        assert_non_null(want);
        rc = fusion_pattern_parse(text, strlen(text), &pat, &err);
        if (strcmp(want, "ok") == 0) {
            if (rc != FUSION_OK)
                fail_msg("line %u: '%s': %s", c->line, text, err.message);
            nok++;
        } else {
            unsigned long long off = strtoull(strchr(want, ' ') + 1, NULL, 10);

            if (rc == FUSION_OK)
                fail_msg("line %u: '%s' parsed", c->line, text);
            assert_null(pat);
            assert_int_equal(rc, strncmp(want, "limit", 5) == 0
                                     ? FUSION_ERR_LIMIT
                                     : FUSION_ERR_INVALID);
            assert_true(err.has_offset);
            if (err.offset != off)
                fail_msg("line %u: offset %llu, want %llu (%s)", c->line,
                         (unsigned long long)err.offset, off, err.message);
            assert_int_equal(err.column, err.offset + 1);
            if (msg && !strstr(err.message, msg))
                fail_msg("line %u: message '%s' lacks '%s'", c->line,
                         err.message, msg);
            nbad++;
        }
        fusion_pattern_free(pat);
    }
    assert_true(nok >= 100 && nbad >= 50);
    tcases_free(&cs);
}

/* print, parse the printed text: same tree, and printing is stable */
static void
test_pattern_parse_round_trip(void **state)
{
    struct tcases cs;

    (void)state;
    tcases_load("parse.cases", &cs);
    for (size_t i = 0; i < cs.count; i++) {
        const struct tcase *c = &cs.items[i];
        struct fusion_pattern *a, *b;
        char *ta, *tb;

        if (strcmp(tcase_get(c, "parse"), "ok") != 0)
            continue;
        a = parse_ok(tcase_get(c, "pattern"));
        ta = print_str(a);
        b = parse_ok(ta);
        tb = print_str(b);
        if (!tree_obs_equal(a->root, b->root))
            fail_msg("line %u: tree of '%s' differs", c->line, ta);
        assert_string_equal(ta, tb);
        assert_int_equal(a->ncmp, b->ncmp);
        fusion_free(ta);
        fusion_free(tb);
        fusion_pattern_free(a);
        fusion_pattern_free(b);
    }
    tcases_free(&cs);
}

static void
test_pattern_parse_tree_shape(void **state)
{
    struct fusion_pattern *pat;
    const struct fusion_pattern_obs *root, *leaf;
    const struct fusion_pattern_cmp *cmp;

    (void)state;
    pat = parse_ok("[file:hashes.'SHA-256' = 'x' AND file:size IN (1, 2.5)] "
                   "FOLLOWEDBY [x-a:l[-1].b[*] NOT = h'FF0a'] REPEATS 3 "
                   "TIMES WITHIN 1.5 SECONDS");
    root = pat->root;
    assert_int_equal(root->kind, FUSION_PATTERN_OBS_FOLLOWEDBY);
    assert_int_equal(root->nkids, 2);
    assert_int_equal(root->nquals, 0);
    assert_int_equal(pat->ncmp, 3);

    leaf = root->kids[0];
    assert_int_equal(leaf->kind, FUSION_PATTERN_OBS_LEAF);
    assert_int_equal(leaf->cexpr->kind, FUSION_PATTERN_CEXPR_AND);
    assert_int_equal(leaf->cexpr->nkids, 2);
    cmp = leaf->cexpr->kids[0]->cmp;
    assert_string_equal(cmp->path.type, "file");
    assert_int_equal(cmp->path.nsteps, 2);
    assert_string_equal(cmp->path.steps[1].key, "SHA-256");
    assert_int_equal(cmp->op, FUSION_PATTERN_OP_EQ);
    cmp = leaf->cexpr->kids[1]->cmp;
    assert_int_equal(cmp->op, FUSION_PATTERN_OP_IN);
    assert_int_equal(cmp->lit.kind, FUSION_PATTERN_LIT_SET);
    assert_int_equal(cmp->lit.u.set.count, 2);
    assert_int_equal(cmp->lit.u.set.items[0].u.i, 1);
    assert_true(cmp->lit.u.set.items[1].u.f == 2.5);

    leaf = root->kids[1];
    assert_int_equal(leaf->nquals, 2);
    assert_int_equal(leaf->quals[0].kind, FUSION_PATTERN_QUAL_REPEATS);
    assert_int_equal(leaf->quals[0].repeats, 3);
    assert_int_equal(leaf->quals[1].kind, FUSION_PATTERN_QUAL_WITHIN);
    assert_true(leaf->quals[1].within_secs == 1.5);
    cmp = leaf->cexpr->cmp;
    assert_true(cmp->negated);
    assert_int_equal(cmp->path.nsteps, 4);
    assert_int_equal(cmp->path.steps[1].kind, FUSION_PATTERN_STEP_INDEX);
    assert_int_equal(cmp->path.steps[1].index, -1);
    assert_int_equal(cmp->path.steps[3].kind, FUSION_PATTERN_STEP_ANY);
    assert_int_equal(cmp->lit.kind, FUSION_PATTERN_LIT_HEX);
    assert_int_equal(cmp->lit.u.str.len, 2);
    assert_memory_equal(cmp->lit.u.str.ptr, "\xff\x0a", 2);
    fusion_pattern_free(pat);
}

static void
test_pattern_parse_literals(void **state)
{
    struct fusion_pattern *pat;
    const struct fusion_pattern_lit *lit;

    (void)state;
    pat = parse_ok("[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']");
    lit = &pat->root->cexpr->cmp->lit;
    assert_int_equal(lit->kind, FUSION_PATTERN_LIT_BINARY);
    assert_int_equal(lit->u.str.len, 14);
    assert_memory_equal(lit->u.str.ptr, "this is a test", 14);
    fusion_pattern_free(pat);

    pat = parse_ok("[x-a:b = t'2016-04-06T20:03:48.123Z']");
    lit = &pat->root->cexpr->cmp->lit;
    assert_int_equal(lit->kind, FUSION_PATTERN_LIT_TIMESTAMP);
    assert_true(lit->u.ts.ts.ns == INT64_C(1459973028123000000));
    assert_int_equal(lit->u.ts.ts.frac_digits, 3);
    assert_true(lit->u.ts.is_date);
    fusion_pattern_free(pat);

    /* the grammar does not check calendars: Feb 30 counts on to Mar 1 */
    pat = parse_ok("[x-a:b = t'2023-02-29T00:00:00Z']");
    lit = &pat->root->cexpr->cmp->lit;
    assert_false(lit->u.ts.is_date);
    assert_true(lit->u.ts.ts.ns == INT64_C(1677628800) * 1000000000);
    fusion_pattern_free(pat);

    pat = parse_ok("[file:name = 'it\\'s a \\\\ b']");
    lit = &pat->root->cexpr->cmp->lit;
    assert_string_equal(lit->u.str.ptr, "it's a \\ b");
    fusion_pattern_free(pat);

    pat = parse_ok("[x-a:b = -.5 OR x-a:b = +7 OR x-a:b = false]");
    assert_true(pat->root->cexpr->kids[0]->cmp->lit.u.f == -0.5);
    assert_int_equal(pat->root->cexpr->kids[1]->cmp->lit.u.i, 7);
    assert_int_equal(pat->root->cexpr->kids[2]->cmp->lit.kind,
                     FUSION_PATTERN_LIT_BOOL);
    fusion_pattern_free(pat);
}

/* "([a] REPEATS 2 TIMES) REPEATS 2 TIMES" keeps two levels */
static void
test_pattern_parse_qualifier_group(void **state)
{
    struct fusion_pattern *pat;

    (void)state;
    pat = parse_ok("([a-b:c = 1] REPEATS 2 TIMES) REPEATS 3 TIMES");
    assert_int_equal(pat->root->kind, FUSION_PATTERN_OBS_GROUP);
    assert_int_equal(pat->root->nquals, 1);
    assert_int_equal(pat->root->quals[0].repeats, 3);
    assert_int_equal(pat->root->kids[0]->kind, FUSION_PATTERN_OBS_LEAF);
    assert_int_equal(pat->root->kids[0]->quals[0].repeats, 2);
    fusion_pattern_free(pat);

    pat = parse_ok("[a-b:c = 1] REPEATS 2 TIMES REPEATS 3 TIMES");
    assert_int_equal(pat->root->kind, FUSION_PATTERN_OBS_LEAF);
    assert_int_equal(pat->root->nquals, 2);
    fusion_pattern_free(pat);
}

static void
test_pattern_parse_unicode_whitespace(void **state)
{
    static const char *const spaces[] = {
        " ",
        "\t",
        "\r",
        "\n",
        "\v",
        "\f",
        "\xc2\x85",
        "\xc2\xa0",
        "\xe1\x9a\x80",
        "\xe2\x80\x80",
        "\xe2\x80\x8a",
        "\xe2\x80\xa8",
        "\xe2\x80\xa9",
        "\xe2\x80\xaf",
        "\xe2\x81\x9f",
        "\xe3\x80\x80",
    };
    static const char *const not_spaces[] = {
        "\xe2\x80\x8b", /* U+200B zero width space is not in the set */
        "\xc2\xad",     /* soft hyphen */
        "\xff",         /* not UTF-8 */
    };
    char text[128];
    struct fusion_pattern *pat;
    struct fusion_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
        snprintf(text, sizeof(text), "%s[file:name%s=%s'a']%s", spaces[i],
                 spaces[i], spaces[i], spaces[i]);
        pat = parse_ok(text);
        fusion_pattern_free(pat);
    }
    for (size_t i = 0; i < sizeof(not_spaces) / sizeof(not_spaces[0]); i++) {
        snprintf(text, sizeof(text), "[file:name%s= 'a']", not_spaces[i]);
        assert_int_equal(fusion_pattern_parse(text, strlen(text), &pat, &err),
                         FUSION_ERR_INVALID);
        assert_int_equal(err.offset, 10);
    }
}

static void
test_pattern_parse_utf8_in_strings(void **state)
{
    const char *ok = "[file:name = 'r\xc3\xa9sum\xc3\xa9 \xf0\x9f\x98\x80']";
    const char *bad = "[file:name = 'a\xc3(']";
    const char *surrogate = "[file:name = '\xed\xa0\x80']";
    struct fusion_pattern *pat;
    struct fusion_error err;

    (void)state;
    pat = parse_ok(ok);
    fusion_pattern_free(pat);
    assert_int_equal(fusion_pattern_parse(bad, strlen(bad), &pat, &err),
                     FUSION_ERR_INVALID);
    assert_int_equal(err.offset, 15);
    assert_int_equal(
        fusion_pattern_parse(surrogate, strlen(surrogate), &pat, &err),
        FUSION_ERR_INVALID);
}

/*
 * The length is explicit, so a NUL is not the end of the text; the text
 * of a STIX pattern cannot hold one, inside a string or out.
 */
static void
test_pattern_parse_embedded_nul(void **state)
{
    static const char in_string[] = "[file:name = 'a\0b']";
    static const char outside[] = "[file:name = 'a']\0";
    struct fusion_pattern *pat;
    struct fusion_error err;

    (void)state;
    assert_int_equal(
        fusion_pattern_parse(in_string, sizeof(in_string) - 1, &pat, &err),
        FUSION_ERR_INVALID);
    assert_true(err.has_offset);
    assert_int_equal(err.offset, 15);
    assert_non_null(strstr(err.message, "NUL"));
    assert_int_equal(
        fusion_pattern_parse(outside, sizeof(outside) - 1, &pat, &err),
        FUSION_ERR_INVALID);
    assert_int_equal(err.offset, 17);
}

static char *
nested(size_t depth, const char *open, const char *inner, const char *close)
{
    size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
    char *s = malloc(depth * (lo + lc) + li + 1), *p = s;

    assert_non_null(s);
    for (size_t i = 0; i < depth; i++, p += lo)
        memcpy(p, open, lo);
    memcpy(p, inner, li);
    p += li;
    for (size_t i = 0; i < depth; i++, p += lc)
        memcpy(p, close, lc);
    *p = '\0';
    return s;
}

static void
test_pattern_parse_depth_limit(void **state)
{
    struct fusion_pattern *pat;
    struct fusion_error err;
    char *s;

    (void)state;
    /* 63 parentheses and the bracket: 64 levels */
    s = nested(FUSION_PATTERN_MAX_DEPTH - 1, "(", "[a-b:c = 1]", ")");
    assert_int_equal(fusion_pattern_parse(s, strlen(s), &pat, &err), FUSION_OK);
    fusion_pattern_free(pat);
    free(s);

    s = nested(FUSION_PATTERN_MAX_DEPTH, "(", "[a-b:c = 1]", ")");
    assert_int_equal(fusion_pattern_parse(s, strlen(s), &pat, &err),
                     FUSION_ERR_LIMIT);
    assert_null(pat);
    assert_int_equal(err.offset, FUSION_PATTERN_MAX_DEPTH);
    free(s);

    /* parentheses inside the brackets count too */
    s = nested(FUSION_PATTERN_MAX_DEPTH, "(", "a-b:c = 1", ")");
    {
        size_t tlen = strlen(s) + 3;
        char *t = malloc(tlen);

        assert_non_null(t);
        snprintf(t, tlen, "[%s]", s);
        assert_int_equal(fusion_pattern_parse(t, strlen(t), &pat, &err),
                         FUSION_ERR_LIMIT);
        assert_int_equal(err.offset, FUSION_PATTERN_MAX_DEPTH);
        free(t);
    }
    free(s);

    /* far deeper than any stack would take by recursion */
    s = nested(200000, "(", "", "");
    assert_int_equal(fusion_pattern_parse(s, strlen(s), &pat, &err),
                     FUSION_ERR_LIMIT);
    free(s);
}

static void
test_pattern_parse_length_limit(void **state)
{
    size_t n = FUSION_PATTERN_MAX_LEN + 1;
    struct fusion_pattern *pat;
    struct fusion_error err;
    char *s = malloc(n);

    (void)state;
    assert_non_null(s);
    memset(s, ' ', n);
    memcpy(s, "[a-b:c = 1]", 11);
    assert_int_equal(fusion_pattern_parse(s, n, &pat, &err), FUSION_ERR_LIMIT);
    assert_null(pat);
    /* exactly at the limit it parses */
    assert_int_equal(fusion_pattern_parse(s, n - 1, &pat, &err), FUSION_OK);
    fusion_pattern_free(pat);
    free(s);
}

/* Long flat runs become n-ary nodes: no deep recursion anywhere. */
static void
test_pattern_parse_long_runs(void **state)
{
    struct fusion_buf buf;
    struct fusion_pattern *pat;
    char *printed;

    (void)state;
    fusion_buf_init(&buf, 0);
    for (int i = 0; i < 40000; i++)
        assert_int_equal(
            fusion_buf_printf(&buf, "%s[a-b:c = %d]", i ? " AND " : "", i),
            FUSION_OK);
    pat = parse_ok(buf.data);
    assert_int_equal(pat->root->nkids, 40000);
    printed = print_str(pat);
    assert_string_equal(printed, buf.data);
    fusion_free(printed);
    fusion_pattern_free(pat);

    fusion_buf_clear(&buf);
    assert_int_equal(fusion_buf_puts(&buf, "["), FUSION_OK);
    for (int i = 0; i < 40000; i++)
        assert_int_equal(
            fusion_buf_printf(&buf, "%sa-b:c = %d", i ? " OR " : "", i),
            FUSION_OK);
    assert_int_equal(fusion_buf_puts(&buf, "]"), FUSION_OK);
    pat = parse_ok(buf.data);
    assert_int_equal(pat->root->cexpr->nkids, 40000);
    assert_int_equal(pat->ncmp, 40000);
    fusion_pattern_free(pat);
    fusion_buf_release(&buf);
}

static void
test_pattern_parse_error_detail(void **state)
{
    const char *text = "[file:name = 'a'] AND [file:size = ]";
    struct fusion_pattern *pat = (void *)1;
    struct fusion_error err;

    (void)state;
    assert_int_equal(fusion_pattern_parse(text, strlen(text), &pat, &err),
                     FUSION_ERR_INVALID);
    assert_null(pat);
    assert_int_equal(err.code, FUSION_ERR_INVALID);
    assert_true(err.has_offset);
    assert_int_equal(err.offset, 35);
    assert_int_equal(err.column, 36);
    assert_string_equal(err.message,
                        "expected a literal at byte 35, found ']'");
    /* err is optional */
    assert_int_equal(fusion_pattern_parse(text, strlen(text), &pat, NULL),
                     FUSION_ERR_INVALID);
    fusion_pattern_free(NULL);
}

/* Every allocation may fail: NOMEM, no leak, no crash (run under ASan). */
static void
test_pattern_parse_nomem(void **state)
{
    struct fusion_buf buf;
    const char *text;
    bool done = false;

    (void)state;
    fusion_buf_init(&buf, 0);
    for (int i = 0; i < 30; i++)
        assert_int_equal(
            fusion_buf_printf(&buf, "[x-a:b%d = 'v%d' OR x-a:c IN (1, 2)] AND ",
                              i, i),
            FUSION_OK);
    assert_int_equal(
        fusion_buf_puts(&buf, "([file:hashes.'SHA-256' = h'00'] REPEATS 2 "
                              "TIMES) WITHIN 5 SECONDS"),
        FUSION_OK);
    text = buf.data;
    for (long n = 0; !done; n++) {
        struct fusion_pattern *pat;
        struct fusion_error err;
        enum fusion_err rc;

        fusion_alloc_fail_after(n);
        rc = fusion_pattern_parse(text, strlen(text), &pat, &err);
        done = !fusion_alloc_has_failed();
        fusion_alloc_fail_after(-1);
        if (done) {
            assert_int_equal(rc, FUSION_OK);
        } else {
            assert_int_equal(rc, FUSION_ERR_NOMEM);
            assert_null(pat);
        }
        fusion_pattern_free(pat);
    }
    fusion_buf_release(&buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_parse_table),
        cmocka_unit_test(test_pattern_parse_round_trip),
        cmocka_unit_test(test_pattern_parse_tree_shape),
        cmocka_unit_test(test_pattern_parse_literals),
        cmocka_unit_test(test_pattern_parse_qualifier_group),
        cmocka_unit_test(test_pattern_parse_unicode_whitespace),
        cmocka_unit_test(test_pattern_parse_utf8_in_strings),
        cmocka_unit_test(test_pattern_parse_embedded_nul),
        cmocka_unit_test(test_pattern_parse_depth_limit),
        cmocka_unit_test(test_pattern_parse_length_limit),
        cmocka_unit_test(test_pattern_parse_long_runs),
        cmocka_unit_test(test_pattern_parse_error_detail),
        cmocka_unit_test(test_pattern_parse_nomem),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
