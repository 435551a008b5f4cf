/* SPDX-License-Identifier: Apache-2.0 */
/* Pattern lexer: token kinds, longest match, keywords, comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "pattern/pattern_int.h"

#define MAX_TOKS 32

/* Lexes text into kinds (ending with TOK_EOF); returns the count. */
static size_t
lex_all(const char *text, enum pattern_tok *kinds, size_t *starts)
{
    struct pattern_lexer lx;
    struct pattern_token tok;
    struct fusion_error err;
    size_t n = 0;

    pattern_lexer_init(&lx, text, strlen(text));
    do {
        if (pattern_lex(&lx, &tok, &err) != FUSION_OK)
            fail_msg("'%s': %s", text, err.message);
        assert_true(n < MAX_TOKS);
        kinds[n] = tok.kind;
        if (starts)
            starts[n] = tok.start;
        n++;
    } while (tok.kind != TOK_EOF);
    return n;
}

static void
expect_kinds(const char *text, const enum pattern_tok *want, size_t nwant)
{
    enum pattern_tok got[MAX_TOKS];
    size_t n = lex_all(text, got, NULL);

    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i])
            fail_msg("'%s': token %zu is %s, want %s", text, i,
                     pattern_tok_name(got[i]), pattern_tok_name(want[i]));
    }
}

#define EXPECT(text, ...)                                       \
    do {                                                        \
        const enum pattern_tok w_[] = { __VA_ARGS__, TOK_EOF }; \
        expect_kinds(text, w_, sizeof(w_) / sizeof(w_[0]));     \
    } while (0)

static void
test_pattern_lex_punctuation_and_operators(void **state)
{
    (void)state;
    EXPECT("= == != <> < <= > >=", TOK_EQ, TOK_EQ, TOK_NEQ, TOK_NEQ, TOK_LT,
           TOK_LE, TOK_GT, TOK_GE);
    EXPECT("[]().,:*^/", TOK_LBRACK, TOK_RBRACK, TOK_LPAREN, TOK_RPAREN,
           TOK_DOT, TOK_COMMA, TOK_COLON, TOK_ASTERISK, TOK_POWER, TOK_DIVIDE);
    EXPECT("===", TOK_EQ, TOK_EQ);
}

static void
test_pattern_lex_keywords_case_sensitive(void **state)
{
    (void)state;
    EXPECT("AND OR NOT FOLLOWEDBY LIKE MATCHES ISSUBSET ISSUPERSET", TOK_AND,
           TOK_OR, TOK_NOT, TOK_FOLLOWEDBY, TOK_LIKE, TOK_MATCHES, TOK_ISSUBSET,
           TOK_ISSUPERSET);
    EXPECT("EXISTS IN START STOP WITHIN SECONDS REPEATS TIMES LAST", TOK_EXISTS,
           TOK_IN, TOK_START, TOK_STOP, TOK_WITHIN, TOK_SECONDS, TOK_REPEATS,
           TOK_TIMES, TOK_LAST);
    EXPECT("true false TRUE and Within", TOK_TRUE, TOK_FALSE, TOK_IDENT,
           TOK_IDENT, TOK_IDENT);
    /* longest match: a longer identifier beats the keyword */
    EXPECT("ANDx AND-x AND_ trueish", TOK_IDENT, TOK_IDENT_HYPHEN, TOK_IDENT,
           TOK_IDENT);
}

static void
test_pattern_lex_numbers(void **state)
{
    enum pattern_tok kinds[MAX_TOKS];
    size_t starts[MAX_TOKS];

    (void)state;
    EXPECT("0 12 +3 -4 -0", TOK_INT, TOK_INT, TOK_INT, TOK_INT, TOK_INT);
    EXPECT("1.5 .5 -.5 +0.25 012.5", TOK_FLOAT, TOK_FLOAT, TOK_FLOAT, TOK_FLOAT,
           TOK_FLOAT);
    /* "012" is 0 then 12; "1." is 1 then '.'; no exponent */
    assert_int_equal(lex_all("012", kinds, starts), 3);
    assert_int_equal(kinds[0], TOK_INT);
    assert_int_equal(starts[1], 1);
    EXPECT("1.", TOK_INT, TOK_DOT);
    EXPECT("1e3", TOK_INT, TOK_IDENT);
    EXPECT("- +", TOK_MINUS, TOK_PLUS);
}

static void
test_pattern_lex_prefixed_literals(void **state)
{
    (void)state;
    EXPECT("h'00ff' h'' b'AAAA' b'AA==' b'AAA=' t'2016-01-01T00:00:00Z'",
           TOK_HEX, TOK_HEX, TOK_BINARY, TOK_BINARY, TOK_BINARY, TOK_TIMESTAMP);
    /* a lone h, b or t is an identifier */
    EXPECT("h b t hb'x'", TOK_IDENT, TOK_IDENT, TOK_IDENT, TOK_IDENT,
           TOK_STRING);
    EXPECT("'' 'a\\'b' '\\\\'", TOK_STRING, TOK_STRING, TOK_STRING);
}

static void
test_pattern_lex_comments(void **state)
{
    (void)state;
    EXPECT("/* a */ [ // rest\n ] /**/", TOK_LBRACK, TOK_RBRACK);
    EXPECT("/* a * / b */ x", TOK_IDENT);
    EXPECT("a // c\r b", TOK_IDENT, TOK_IDENT);
}

static void
test_pattern_lex_errors(void **state)
{
    static const struct {
        const char *text;
        size_t offset;
    } cases[] = {
        { "'abc", 0 },          { "'a\\nb'", 2 },
        { "h'abc'", 0 },        { "h'zz'", 0 },
        { "b'A'", 0 },          { "b'AAAAA==='", 0 },
        { "t'2016-01-01'", 0 }, { "  \"x\"", 2 },
        { "/* x", 0 },          { "!x", 0 },
        { "x @", 2 },           { "\xc3\xa9", 0 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pattern_lexer lx;
        struct pattern_token tok;
        struct fusion_error err;
        enum fusion_err rc;

        pattern_lexer_init(&lx, cases[i].text, strlen(cases[i].text));
        do {
            rc = pattern_lex(&lx, &tok, &err);
        } while (rc == FUSION_OK && tok.kind != TOK_EOF);
        if (rc != FUSION_ERR_INVALID)
            fail_msg("'%s' lexed", cases[i].text);
        assert_true(err.has_offset);
        assert_int_equal(err.offset, cases[i].offset);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_lex_punctuation_and_operators),
        cmocka_unit_test(test_pattern_lex_keywords_case_sensitive),
        cmocka_unit_test(test_pattern_lex_numbers),
        cmocka_unit_test(test_pattern_lex_prefixed_literals),
        cmocka_unit_test(test_pattern_lex_comments),
        cmocka_unit_test(test_pattern_lex_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
