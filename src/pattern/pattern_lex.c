/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lexer of STIX 2.1 pattern text: the token rules of STIXPattern.g4
 * (section 2 of the patterning notes), longest match first.
 */
#include <assert.h>
#include <string.h>

#include "pattern/pattern_int.h"

struct keyword {
    const char *text;
    size_t len;
    enum pattern_tok kind;
};

#define KW(s, k)            \
    {                       \
        s, sizeof(s) - 1, k \
    }

static const struct keyword keywords[] = {
    KW("AND", TOK_AND),
    KW("OR", TOK_OR),
    KW("NOT", TOK_NOT),
    KW("FOLLOWEDBY", TOK_FOLLOWEDBY),
    KW("LIKE", TOK_LIKE),
    KW("MATCHES", TOK_MATCHES),
    KW("ISSUPERSET", TOK_ISSUPERSET),
    KW("ISSUBSET", TOK_ISSUBSET),
    KW("EXISTS", TOK_EXISTS),
    KW("LAST", TOK_LAST),
    KW("IN", TOK_IN),
    KW("START", TOK_START),
    KW("STOP", TOK_STOP),
    KW("SECONDS", TOK_SECONDS),
    KW("true", TOK_TRUE),
    KW("false", TOK_FALSE),
    KW("WITHIN", TOK_WITHIN),
    KW("REPEATS", TOK_REPEATS),
    KW("TIMES", TOK_TIMES),
};

void
pattern_lexer_init(struct pattern_lexer *lx, const char *text, size_t len)
{
    lx->text = text;
    lx->len = len;
    lx->pos = 0;
}

static enum pattern_tok
keyword_kind(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
        if (keywords[i].len == len && memcmp(keywords[i].text, s, len) == 0)
            return keywords[i].kind;
    }
    return TOK_EOF;
}

bool
pattern_is_keyword(const char *s, size_t len)
{
    return keyword_kind(s, len) != TOK_EOF;
}

static bool
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_base64(unsigned char c)
{
    return is_ident_start(c) || is_digit(c) || c == '+' || c == '/';
}

/*
 * Length of the WS sequence starting at p (0 if none): ASCII space, tab,
 * CR, LF, VT, FF and the Unicode spaces the grammar lists, in UTF-8.
 */
static size_t
space_len(const unsigned char *p, size_t avail)
{
    if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        return 1;
    if (avail >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
        return 2;
    if (avail < 3)
        return 0;
    if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
        return 3; /* U+1680 */
    if (p[0] == 0xe2 && p[1] == 0x80 &&
        ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 ||
         p[2] == 0xaf))
        return 3; /* U+2000-200A, 2028, 2029, 202F */
    if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
        return 3; /* U+205F */
    if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
        return 3; /* U+3000 */
    return 0;
}

/* Length of a well-formed UTF-8 sequence at p, 0 when it is not one. */
static size_t
utf8_len(const unsigned char *p, size_t avail)
{
    size_t n;
    uint32_t cp;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4;
    else
        return 0;
    if (avail < n)
        return 0;
    cp = p[0] & (0x7fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    /* overlong forms, surrogates and code points past U+10FFFF */
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

static enum fusion_err
lex_error(struct fusion_error *err, size_t offset, const char *what)
{
    enum fusion_err rc;

    rc = fusion_error_set_at(err, FUSION_ERR_INVALID, offset, "%s at byte %zu",
                             what, offset);
    if (err)
        err->column = offset + 1;
    return rc;
}

/* Skips whitespace and comments; an unclosed block comment is an error. */
static enum fusion_err
skip_space(struct pattern_lexer *lx, struct fusion_error *err)
{
    const unsigned char *t = (const unsigned char *)lx->text;

    while (lx->pos < lx->len) {
        size_t n = space_len(t + lx->pos, lx->len - lx->pos);

        if (n) {
            lx->pos += n;
            continue;
        }
        if (t[lx->pos] != '/' || lx->pos + 1 >= lx->len)
            break;
        if (t[lx->pos + 1] == '/') {
            while (lx->pos < lx->len && t[lx->pos] != '\n' &&
                   t[lx->pos] != '\r')
                lx->pos++;
        } else if (t[lx->pos + 1] == '*') {
            const char *end;

            end = NULL;
            for (size_t i = lx->pos + 2; i + 1 < lx->len; i++) {
                if (t[i] == '*' && t[i + 1] == '/') {
                    end = lx->text + i + 2;
                    break;
                }
            }
            if (!end)
                return lex_error(err, lx->pos, "unterminated comment");
            lx->pos = (size_t)(end - lx->text);
        } else {
            break;
        }
    }
    return FUSION_OK;
}

/* 'text' with only \' and \\ escapes; *end is just past the quote. */
static enum fusion_err
lex_string(struct pattern_lexer *lx, size_t at, size_t *end,
           struct fusion_error *err)
{
    const unsigned char *t = (const unsigned char *)lx->text;
    size_t i = at + 1;

    while (i < lx->len) {
        size_t n;

        if (t[i] == '\'') {
            *end = i + 1;
            return FUSION_OK;
        }
        if (t[i] == '\\') {
            if (i + 1 >= lx->len || (t[i + 1] != '\'' && t[i + 1] != '\\'))
                return lex_error(
                    err, i, "invalid escape (only \\' and \\\\ are allowed)");
            i += 2;
            continue;
        }
        n = utf8_len(t + i, lx->len - i);
        if (!n)
            return lex_error(err, i, "invalid UTF-8 in string");
        i += n;
    }
    return lex_error(err, at, "unterminated string");
}

static enum fusion_err
lex_hex(struct pattern_lexer *lx, size_t at, size_t *end,
        struct fusion_error *err)
{
    const unsigned char *t = (const unsigned char *)lx->text;
    size_t i = at + 2;

    while (i < lx->len && is_hex(t[i]))
        i++;
    if (i >= lx->len || t[i] != '\'' || (i - at - 2) % 2 != 0)
        return lex_error(err, at,
                         "invalid hex literal (expected pairs of hex digits)");
    *end = i + 1;
    return FUSION_OK;
}

/* b'...': groups of four base64 characters, the last one padded. */
static enum fusion_err
lex_binary(struct pattern_lexer *lx, size_t at, size_t *end,
           struct fusion_error *err)
{
    const unsigned char *t = (const unsigned char *)lx->text;
    size_t i = at + 2, n, pad = 0;

    while (i < lx->len && is_base64(t[i]))
        i++;
    n = i - at - 2;
    while (i < lx->len && t[i] == '=' && pad < 2) {
        i++;
        pad++;
    }
    if (i >= lx->len || t[i] != '\'' || n == 0 || (n + pad) % 4 != 0)
        return lex_error(err, at, "invalid binary literal (expected base64)");
    *end = i + 1;
    return FUSION_OK;
}

static bool
two_digits(const unsigned char *p, int lo, int hi)
{
    int v;

    if (!is_digit(p[0]) || !is_digit(p[1]))
        return false;
    v = (p[0] - '0') * 10 + (p[1] - '0');
    return v >= lo && v <= hi;
}

/*
 * t'YYYY-MM-DDTHH:MM:SS[.f+]Z' with the ranges of the grammar: month
 * 01-12, day 01-31, hour 00-23, minute 00-59, second 00-60.
 */
static enum fusion_err
lex_timestamp(struct pattern_lexer *lx, size_t at, size_t *end,
              struct fusion_error *err)
{
    const unsigned char *p = (const unsigned char *)lx->text + at + 2;
    size_t avail = lx->len - at - 2, i;

    if (avail < 21 || !is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]) ||
        !is_digit(p[3]) || p[4] != '-' || !two_digits(p + 5, 1, 12) ||
        p[7] != '-' || !two_digits(p + 8, 1, 31) || p[10] != 'T' ||
        !two_digits(p + 11, 0, 23) || p[13] != ':' ||
        !two_digits(p + 14, 0, 59) || p[16] != ':' ||
        !two_digits(p + 17, 0, 60))
        goto bad;
    i = 19;
    if (p[i] == '.') {
        i++;
        if (i >= avail || !is_digit(p[i]))
            goto bad;
        while (i < avail && is_digit(p[i]))
            i++;
    }
    if (i + 1 >= avail || p[i] != 'Z' || p[i + 1] != '\'')
        goto bad;
    *end = at + 2 + i + 2;
    return FUSION_OK;

bad:
    return lex_error(
        err, at,
        "invalid timestamp literal (expected t'YYYY-MM-DDTHH:MM:SS[.s]Z')");
}

/*
 * Numbers: [+-]? ('0' | [1-9][0-9]*) or [+-]? [0-9]* '.' [0-9]+. As in
 * the grammar, "012" is the integer 0 followed by 12.
 */
static bool
lex_number(struct pattern_lexer *lx, size_t at, struct pattern_token *tok)
{
    const unsigned char *t = (const unsigned char *)lx->text;
    size_t i = at, digits_at;

    if (t[i] == '+' || t[i] == '-')
        i++;
    digits_at = i;
    while (i < lx->len && is_digit(t[i]))
        i++;
    if (i + 1 < lx->len && t[i] == '.' && is_digit(t[i + 1])) {
        i++;
        while (i < lx->len && is_digit(t[i]))
            i++;
        tok->kind = TOK_FLOAT;
        tok->len = i - at;
        return true;
    }
    if (i == digits_at)
        return false;
    if (t[digits_at] == '0')
        i = digits_at + 1;
    tok->kind = TOK_INT;
    tok->len = i - at;
    return true;
}

static void
lex_ident(struct pattern_lexer *lx, size_t at, struct pattern_token *tok)
{
    const unsigned char *t = (const unsigned char *)lx->text;
    size_t i = at + 1;
    bool hyphen = false;

    while (i < lx->len &&
           (is_ident_start(t[i]) || is_digit(t[i]) || t[i] == '-')) {
        hyphen = hyphen || t[i] == '-';
        i++;
    }
    tok->len = i - at;
    tok->kind = hyphen ? TOK_IDENT_HYPHEN : keyword_kind(lx->text + at, i - at);
    if (tok->kind == TOK_EOF)
        tok->kind = TOK_IDENT;
}

/* One- and two-character punctuation; false when c starts none. */
static bool
lex_punct(struct pattern_lexer *lx, size_t at, struct pattern_token *tok)
{
    unsigned char c = (unsigned char)lx->text[at];
    unsigned char d = at + 1 < lx->len ? (unsigned char)lx->text[at + 1] : 0;

    tok->len = 1;
    switch (c) {
    case '=':
        tok->kind = TOK_EQ;
        tok->len = d == '=' ? 2 : 1;
        return true;
    case '!':
        if (d != '=')
            return false;
        tok->kind = TOK_NEQ;
        tok->len = 2;
        return true;
    case '<':
        tok->kind = d == '=' ? TOK_LE : d == '>' ? TOK_NEQ : TOK_LT;
        tok->len = d == '=' || d == '>' ? 2 : 1;
        return true;
    case '>':
        tok->kind = d == '=' ? TOK_GE : TOK_GT;
        tok->len = d == '=' ? 2 : 1;
        return true;
    case ':':
        tok->kind = TOK_COLON;
        return true;
    case '.':
        tok->kind = TOK_DOT;
        return true;
    case ',':
        tok->kind = TOK_COMMA;
        return true;
    case '(':
        tok->kind = TOK_LPAREN;
        return true;
    case ')':
        tok->kind = TOK_RPAREN;
        return true;
    case '[':
        tok->kind = TOK_LBRACK;
        return true;
    case ']':
        tok->kind = TOK_RBRACK;
        return true;
    case '*':
        tok->kind = TOK_ASTERISK;
        return true;
    case '+':
        tok->kind = TOK_PLUS;
        return true;
    case '-':
        tok->kind = TOK_MINUS;
        return true;
    case '^':
        tok->kind = TOK_POWER;
        return true;
    case '/':
        tok->kind = TOK_DIVIDE;
        return true;
    default:
        return false;
    }
}

/* Literals introduced by a quote or by h', b', t'. */
static enum fusion_err
lex_quoted(struct pattern_lexer *lx, size_t at, struct pattern_token *tok,
           struct fusion_error *err)
{
    enum fusion_err rc;
    size_t end = at;

    switch (lx->text[at]) {
    case '\'':
        tok->kind = TOK_STRING;
        rc = lex_string(lx, at, &end, err);
        break;
    case 'h':
        tok->kind = TOK_HEX;
        rc = lex_hex(lx, at, &end, err);
        break;
    case 'b':
        tok->kind = TOK_BINARY;
        rc = lex_binary(lx, at, &end, err);
        break;
    default:
        assert(lx->text[at] == 't');
        tok->kind = TOK_TIMESTAMP;
        rc = lex_timestamp(lx, at, &end, err);
        break;
    }
    if (rc)
        return rc;
    tok->len = end - at;
    return FUSION_OK;
}

enum fusion_err
pattern_lex(struct pattern_lexer *lx, struct pattern_token *tok,
            struct fusion_error *err)
{
    enum fusion_err rc;
    unsigned char c, d;
    size_t at;

    rc = skip_space(lx, err);
    if (rc)
        return rc;
    at = lx->pos;
    tok->start = at;
    tok->len = 0;
    if (at >= lx->len) {
        tok->kind = TOK_EOF;
        return FUSION_OK;
    }
    c = (unsigned char)lx->text[at];
    d = at + 1 < lx->len ? (unsigned char)lx->text[at + 1] : 0;

    if (c == '\'' || ((c == 'h' || c == 'b' || c == 't') && d == '\'')) {
        rc = lex_quoted(lx, at, tok, err);
        if (rc)
            return rc;
    } else if (is_ident_start(c)) {
        lex_ident(lx, at, tok);
    } else if (!((is_digit(c) || c == '+' || c == '-' || c == '.') &&
                 lex_number(lx, at, tok)) &&
               !lex_punct(lx, at, tok)) {
        return lex_error(err, at, "unexpected character");
    }
    lx->pos = at + tok->len;
    return FUSION_OK;
}

const char *
pattern_tok_name(enum pattern_tok kind)
{
    static const char *const names[] = {
        [TOK_EOF] = "end of input",
        [TOK_IDENT] = "a name",
        [TOK_IDENT_HYPHEN] = "a name",
        [TOK_STRING] = "a string",
        [TOK_INT] = "an integer",
        [TOK_FLOAT] = "a float",
        [TOK_HEX] = "a hex literal",
        [TOK_BINARY] = "a binary literal",
        [TOK_TIMESTAMP] = "a timestamp",
        [TOK_TRUE] = "'true'",
        [TOK_FALSE] = "'false'",
        [TOK_AND] = "'AND'",
        [TOK_OR] = "'OR'",
        [TOK_NOT] = "'NOT'",
        [TOK_FOLLOWEDBY] = "'FOLLOWEDBY'",
        [TOK_LIKE] = "'LIKE'",
        [TOK_MATCHES] = "'MATCHES'",
        [TOK_ISSUPERSET] = "'ISSUPERSET'",
        [TOK_ISSUBSET] = "'ISSUBSET'",
        [TOK_EXISTS] = "'EXISTS'",
        [TOK_LAST] = "'LAST'",
        [TOK_IN] = "'IN'",
        [TOK_START] = "'START'",
        [TOK_STOP] = "'STOP'",
        [TOK_SECONDS] = "'SECONDS'",
        [TOK_WITHIN] = "'WITHIN'",
        [TOK_REPEATS] = "'REPEATS'",
        [TOK_TIMES] = "'TIMES'",
        [TOK_EQ] = "'='",
        [TOK_NEQ] = "'!='",
        [TOK_LT] = "'<'",
        [TOK_LE] = "'<='",
        [TOK_GT] = "'>'",
        [TOK_GE] = "'>='",
        [TOK_COLON] = "':'",
        [TOK_DOT] = "'.'",
        [TOK_COMMA] = "','",
        [TOK_LPAREN] = "'('",
        [TOK_RPAREN] = "')'",
        [TOK_LBRACK] = "'['",
        [TOK_RBRACK] = "']'",
        [TOK_ASTERISK] = "'*'",
        [TOK_PLUS] = "'+'",
        [TOK_MINUS] = "'-'",
        [TOK_POWER] = "'^'",
        [TOK_DIVIDE] = "'/'",
    };

    assert((size_t)kind < sizeof(names) / sizeof(names[0]));
    return names[kind];
}
