/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STIX 2.0 pattern text to STIX 2.1: START/STOP take timestamp literals
 * and renamed SCO properties take their new names (upgrade items U7 and
 * U9 of the STIX notes). Everything else is copied byte for byte.
 */
#include <assert.h>
#include <string.h>

#include "pattern/pattern_int.h"

struct upgrader {
    const char *text;
    struct fusion_buf *out;
    size_t copied; /* text before this offset is in out */
};

/* Copies the text up to tok, then repl in place of tok. */
static enum fusion_err
replace(struct upgrader *u, const struct pattern_token *tok, const char *repl)
{
    enum fusion_err rc;

    rc = fusion_buf_append(u->out, u->text + u->copied, tok->start - u->copied);
    if (!rc)
        rc = fusion_buf_puts(u->out, repl);
    u->copied = tok->start + tok->len;
    return rc;
}

/* type ':' prop: the first property of a path, bare or quoted. */
static enum fusion_err
rename_prop(struct upgrader *u, const struct pattern_token *type,
            const struct pattern_token *prop)
{
    bool quoted = prop->kind == TOK_STRING;
    struct pattern_token inner = *prop;
    const char *to;

    if (quoted) {
        inner.start++;
        inner.len -= 2;
    }
    to = fusion_stix_renamed_20(u->text + type->start, type->len,
                                u->text + inner.start, inner.len);
    return to ? replace(u, &inner, to) : FUSION_OK;
}

static enum fusion_err
upgrade_tokens(struct upgrader *u, const char *text, size_t len,
               struct fusion_error *err)
{
    struct pattern_token tok, prev = { TOK_EOF, 0, 0 }, prev2 = prev;
    struct pattern_lexer lx;
    enum fusion_err rc;

    pattern_lexer_init(&lx, text, len);
    for (;;) {
        rc = pattern_lex(&lx, &tok, err);
        if (rc || tok.kind == TOK_EOF)
            return rc;
        if (tok.kind == TOK_STRING &&
            (prev.kind == TOK_START || prev.kind == TOK_STOP)) {
            /* 2.0 START '...' STOP '...' */
            struct pattern_token at = { TOK_EOF, tok.start, 0 };

            rc = replace(u, &at, "t");
        } else if ((tok.kind == TOK_IDENT || tok.kind == TOK_STRING) &&
                   prev.kind == TOK_COLON &&
                   (prev2.kind == TOK_IDENT ||
                    prev2.kind == TOK_IDENT_HYPHEN)) {
            rc = rename_prop(u, &prev2, &tok);
        }
        if (rc)
            return rc;
        prev2 = prev;
        prev = tok;
    }
}

enum fusion_err
fusion_pattern_upgrade_20(const char *text, size_t len, struct fusion_buf *out,
                          struct fusion_error *err)
{
    struct upgrader u = { .text = text, .out = out };
    size_t len0 = out->len;
    enum fusion_err rc;

    assert(text || !len);
    if (len > FUSION_PATTERN_MAX_LEN)
        return fusion_error_set(err, FUSION_ERR_LIMIT,
                                "pattern longer than %u bytes",
                                (unsigned)FUSION_PATTERN_MAX_LEN);
    rc = upgrade_tokens(&u, text ? text : "", len, err);
    if (!rc)
        rc = fusion_buf_append(out, u.text + u.copied, len - u.copied);
    if (rc) {
        if (rc == FUSION_ERR_NOMEM || rc == FUSION_ERR_LIMIT)
            fusion_error_set(err, rc, "cannot grow the output");
        out->len = len0;
        if (out->data)
            out->data[len0] = '\0';
    }
    return rc;
}
