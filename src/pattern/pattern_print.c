/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Canonical text of a parsed pattern: single spaces, '=' and '!=' for the
 * aliases, no '+' on numbers, parentheses only where the tree needs them.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/pattern_int.h"

static enum fusion_err
print_quoted(struct fusion_buf *out, const char *s, size_t len)
{
    enum fusion_err rc = fusion_buf_putc(out, '\'');
    size_t run = 0;

    /* copy runs of plain bytes, escaping only ' and \ */
    for (size_t i = 0; !rc && i < len; i++) {
        if (s[i] != '\'' && s[i] != '\\')
            continue;
        rc = fusion_buf_append(out, s + run, i - run);
        if (!rc)
            rc = fusion_buf_putc(out, '\\');
        run = i;
    }
    if (!rc)
        rc = fusion_buf_append(out, s + run, len - run);
    return rc ? rc : fusion_buf_putc(out, '\'');
}

/*
 * Shortest decimal that reads back as the same double, always with a
 * '.', never with an exponent (the grammar has none): the digits of the
 * shortest round-tripping %e form, placed around the decimal point.
 */
static enum fusion_err
print_float(struct fusion_buf *out, double v)
{
    char tmp[40], digits[24];
    const char *p = tmp;
    size_t nd = 0;
    long exp10;
    int prec;
    enum fusion_err rc = FUSION_OK;

    for (prec = 1; prec < 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
    if (*p == '-') {
        rc = fusion_buf_putc(out, '-');
        p++;
    }
    for (; *p != 'e'; p++) {
        if (*p != '.')
            digits[nd++] = *p;
    }
    exp10 = strtol(p + 1, NULL, 10);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;

    if (!rc && exp10 < 0) {
        rc = fusion_buf_puts(out, "0.");
        for (long i = -1; !rc && i > exp10; i--)
            rc = fusion_buf_putc(out, '0');
        if (!rc)
            rc = fusion_buf_append(out, digits, nd);
    } else if (!rc && (size_t)exp10 + 1 >= nd) {
        rc = fusion_buf_append(out, digits, nd);
        for (size_t i = nd; !rc && i <= (size_t)exp10; i++)
            rc = fusion_buf_putc(out, '0');
        if (!rc)
            rc = fusion_buf_puts(out, ".0");
    } else if (!rc) {
        rc = fusion_buf_append(out, digits, (size_t)exp10 + 1);
        if (!rc)
            rc = fusion_buf_putc(out, '.');
        if (!rc)
            rc = fusion_buf_append(out, digits + exp10 + 1,
                                   nd - (size_t)exp10 - 1);
    }
    return rc;
}

static enum fusion_err
print_hex(struct fusion_buf *out, const unsigned char *p, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    enum fusion_err rc = fusion_buf_puts(out, "h'");

    for (size_t i = 0; !rc && i < len; i++) {
        char pair[2] = { digits[p[i] >> 4], digits[p[i] & 15] };

        rc = fusion_buf_append(out, pair, 2);
    }
    return rc ? rc : fusion_buf_putc(out, '\'');
}

static enum fusion_err
print_base64(struct fusion_buf *out, const unsigned char *p, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    enum fusion_err rc = fusion_buf_puts(out, "b'");

    for (size_t i = 0; !rc && i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        char quad[4];

        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        quad[0] = alphabet[v >> 18 & 63];
        quad[1] = alphabet[v >> 12 & 63];
        quad[2] = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
        quad[3] = i + 2 < len ? alphabet[v & 63] : '=';
        rc = fusion_buf_append(out, quad, 4);
    }
    return rc ? rc : fusion_buf_putc(out, '\'');
}

static enum fusion_err
print_lit(struct fusion_buf *out, const struct fusion_pattern_lit *lit)
{
    enum fusion_err rc;

    switch (lit->kind) {
    case FUSION_PATTERN_LIT_STRING:
        return print_quoted(out, lit->u.str.ptr, lit->u.str.len);
    case FUSION_PATTERN_LIT_INT:
        return fusion_buf_printf(out, "%lld", (long long)lit->u.i);
    case FUSION_PATTERN_LIT_FLOAT:
        return print_float(out, lit->u.f);
    case FUSION_PATTERN_LIT_BOOL:
        return fusion_buf_puts(out, lit->u.b ? "true" : "false");
    case FUSION_PATTERN_LIT_TIMESTAMP:
        return fusion_buf_printf(out, "t'%.*s'", (int)lit->u.ts.len,
                                 lit->u.ts.text);
    case FUSION_PATTERN_LIT_HEX:
        return print_hex(out, (const unsigned char *)lit->u.str.ptr,
                         lit->u.str.len);
    case FUSION_PATTERN_LIT_BINARY:
        return print_base64(out, (const unsigned char *)lit->u.str.ptr,
                            lit->u.str.len);
    case FUSION_PATTERN_LIT_SET:
        break;
    }
    assert(lit->kind == FUSION_PATTERN_LIT_SET);
    rc = fusion_buf_putc(out, '(');
    for (size_t i = 0; !rc && i < lit->u.set.count; i++) {
        if (i)
            rc = fusion_buf_puts(out, ", ");
        if (!rc)
            rc = print_lit(out, &lit->u.set.items[i]);
    }
    return rc ? rc : fusion_buf_putc(out, ')');
}

/* A key may go unquoted when it lexes as a plain identifier. */
static bool
key_is_bare(const char *s, size_t len)
{
    if (len == 0 || pattern_is_keyword(s, len))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

enum fusion_err
pattern_print_path_steps(const struct fusion_pattern_path *path,
                         struct fusion_buf *out)
{
    enum fusion_err rc = FUSION_OK;

    for (size_t i = 0; !rc && i < path->nsteps; i++) {
        const struct fusion_pattern_step *st = &path->steps[i];

        switch (st->kind) {
        case FUSION_PATTERN_STEP_KEY:
            if (i > 0)
                rc = fusion_buf_putc(out, '.');
            if (rc)
                break;
            if (key_is_bare(st->key, st->key_len))
                rc = fusion_buf_append(out, st->key, st->key_len);
            else
                rc = print_quoted(out, st->key, st->key_len);
            break;
        case FUSION_PATTERN_STEP_INDEX:
            rc = fusion_buf_printf(out, "[%lld]", (long long)st->index);
            break;
        case FUSION_PATTERN_STEP_ANY:
            rc = fusion_buf_puts(out, "[*]");
            break;
        }
    }
    return rc;
}

static enum fusion_err
print_path(struct fusion_buf *out, const struct fusion_pattern_path *path)
{
    enum fusion_err rc = fusion_buf_append(out, path->type, path->type_len);

    if (!rc)
        rc = fusion_buf_putc(out, ':');
    return rc ? rc : pattern_print_path_steps(path, out);
}

static const char *
op_text(enum fusion_pattern_op op)
{
    static const char *const names[] = {
        [FUSION_PATTERN_OP_EQ] = "=",
        [FUSION_PATTERN_OP_NE] = "!=",
        [FUSION_PATTERN_OP_LT] = "<",
        [FUSION_PATTERN_OP_LE] = "<=",
        [FUSION_PATTERN_OP_GT] = ">",
        [FUSION_PATTERN_OP_GE] = ">=",
        [FUSION_PATTERN_OP_IN] = "IN",
        [FUSION_PATTERN_OP_LIKE] = "LIKE",
        [FUSION_PATTERN_OP_MATCHES] = "MATCHES",
        [FUSION_PATTERN_OP_ISSUBSET] = "ISSUBSET",
        [FUSION_PATTERN_OP_ISSUPERSET] = "ISSUPERSET",
        [FUSION_PATTERN_OP_EXISTS] = "EXISTS",
    };

    assert((size_t)op < sizeof(names) / sizeof(names[0]));
    return names[op];
}

static enum fusion_err
print_cmp(struct fusion_buf *out, const struct fusion_pattern_cmp *cmp)
{
    enum fusion_err rc;

    if (cmp->op == FUSION_PATTERN_OP_EXISTS) {
        rc = fusion_buf_puts(out, cmp->negated ? "NOT EXISTS " : "EXISTS ");
        return rc ? rc : print_path(out, &cmp->path);
    }
    rc = print_path(out, &cmp->path);
    if (!rc)
        rc = fusion_buf_printf(out, "%s%s ", cmp->negated ? " NOT " : " ",
                               op_text(cmp->op));
    return rc ? rc : print_lit(out, &cmp->lit);
}

/* Binding strength: a kid needs parentheses unless it binds tighter. */
static int
cexpr_prec(const struct fusion_pattern_cexpr *node)
{
    return node->kind == FUSION_PATTERN_CEXPR_OR    ? 1
           : node->kind == FUSION_PATTERN_CEXPR_AND ? 2
                                                    : 3;
}

static enum fusion_err
print_cexpr(struct fusion_buf *out, const struct fusion_pattern_cexpr *node,
            int outer)
{
    const char *op = node->kind == FUSION_PATTERN_CEXPR_OR ? " OR " : " AND ";
    bool paren = cexpr_prec(node) <= outer;
    enum fusion_err rc = FUSION_OK;

    if (node->kind == FUSION_PATTERN_CEXPR_CMP)
        return print_cmp(out, node->cmp);
    assert(node->nkids >= 2 && node->kids);
    if (paren)
        rc = fusion_buf_putc(out, '(');
    for (size_t i = 0; !rc && i < node->nkids; i++) {
        if (i)
            rc = fusion_buf_puts(out, op);
        if (!rc)
            rc = print_cexpr(out, node->kids[i], cexpr_prec(node));
    }
    if (!rc && paren)
        rc = fusion_buf_putc(out, ')');
    return rc;
}

static enum fusion_err
print_qual(struct fusion_buf *out, const struct fusion_pattern_qual *q)
{
    enum fusion_err rc;

    switch (q->kind) {
    case FUSION_PATTERN_QUAL_WITHIN:
        rc = fusion_buf_puts(out, " WITHIN ");
        if (!rc)
            rc = print_lit(out, &q->within);
        return rc ? rc : fusion_buf_puts(out, " SECONDS");
    case FUSION_PATTERN_QUAL_REPEATS:
        return fusion_buf_printf(out, " REPEATS %lld TIMES",
                                 (long long)q->repeats);
    case FUSION_PATTERN_QUAL_STARTSTOP:
        break;
    }
    assert(q->kind == FUSION_PATTERN_QUAL_STARTSTOP);
    rc = fusion_buf_puts(out, " START ");
    if (!rc)
        rc = print_lit(out, &q->start);
    if (!rc)
        rc = fusion_buf_puts(out, " STOP ");
    return rc ? rc : print_lit(out, &q->stop);
}

static int
obs_prec(const struct fusion_pattern_obs *node)
{
    switch (node->kind) {
    case FUSION_PATTERN_OBS_FOLLOWEDBY:
        return 1;
    case FUSION_PATTERN_OBS_OR:
        return 2;
    case FUSION_PATTERN_OBS_AND:
        return 3;
    default:
        return 4;
    }
}

static const char *
obs_op_text(enum fusion_pattern_obs_kind kind)
{
    return kind == FUSION_PATTERN_OBS_FOLLOWEDBY ? " FOLLOWEDBY "
           : kind == FUSION_PATTERN_OBS_OR       ? " OR "
                                                 : " AND ";
}

/*
 * Qualifiers bind tightest, so an operator node that carries some is
 * always parenthesized, like a GROUP.
 */
static enum fusion_err
print_obs(struct fusion_buf *out, const struct fusion_pattern_obs *node,
          int outer)
{
    enum fusion_err rc = FUSION_OK;
    bool paren;

    if (node->kind == FUSION_PATTERN_OBS_LEAF) {
        rc = fusion_buf_putc(out, '[');
        if (!rc)
            rc = print_cexpr(out, node->cexpr, 0);
        if (!rc)
            rc = fusion_buf_putc(out, ']');
    } else if (node->kind == FUSION_PATTERN_OBS_GROUP) {
        assert(node->nkids == 1);
        rc = fusion_buf_putc(out, '(');
        if (!rc)
            rc = print_obs(out, node->kids[0], 0);
        if (!rc)
            rc = fusion_buf_putc(out, ')');
    } else {
        paren = node->nquals > 0 || obs_prec(node) <= outer;
        if (paren)
            rc = fusion_buf_putc(out, '(');
        for (size_t i = 0; !rc && i < node->nkids; i++) {
            if (i)
                rc = fusion_buf_puts(out, obs_op_text(node->kind));
            if (!rc)
                rc = print_obs(out, node->kids[i], obs_prec(node));
        }
        if (!rc && paren)
            rc = fusion_buf_putc(out, ')');
    }
    for (size_t i = 0; !rc && i < node->nquals; i++)
        rc = print_qual(out, &node->quals[i]);
    return rc;
}

enum fusion_err
fusion_pattern_print(const struct fusion_pattern *pattern,
                     struct fusion_buf *out)
{
    size_t len0;
    enum fusion_err rc;

    assert(pattern && pattern->root && out);
    len0 = out->len;

    rc = print_obs(out, pattern->root, 0);
    if (rc) {
        /* leave the buffer as it was */
        out->len = len0;
        if (out->data)
            out->data[len0] = '\0';
    }
    return rc;
}

/*
 * The structure for fusion_pattern_explain. Text pieces are printed by
 * the same functions as the canonical form, so both always agree.
 */
static json_t *
explain_text(enum fusion_err (*print)(struct fusion_buf *, const void *),
             const void *node)
{
    struct fusion_buf buf;
    json_t *s = NULL;

    fusion_buf_init(&buf, 0);
    if (print(&buf, node) == FUSION_OK)
        s = json_stringn(buf.data ? buf.data : "", buf.len);
    fusion_buf_release(&buf);
    return s;
}

static enum fusion_err
explain_print_path(struct fusion_buf *out, const void *cmp)
{
    return print_path(out, &((const struct fusion_pattern_cmp *)cmp)->path);
}

static enum fusion_err
explain_print_cmp(struct fusion_buf *out, const void *cmp)
{
    return print_cmp(out, cmp);
}

static enum fusion_err
explain_print_lit(struct fusion_buf *out, const void *cmp)
{
    return print_lit(out, &((const struct fusion_pattern_cmp *)cmp)->lit);
}

static enum fusion_err
explain_print_qual(struct fusion_buf *out, const void *q)
{
    enum fusion_err rc = print_qual(out, q);

    /* print_qual leads with the space that separates it from its operand */
    if (!rc && out->len > 0 && out->data[0] == ' ') {
        memmove(out->data, out->data + 1, out->len);
        out->len--;
    }
    return rc;
}

/* Adds value under key to obj; false (and value freed) on failure. */
static bool
explain_set(json_t *obj, const char *key, json_t *value)
{
    return value && json_object_set_new(obj, key, value) == 0;
}

static json_t *
explain_cmp(const struct fusion_pattern_cmp *cmp)
{
    json_t *o = json_object();
    bool ok = o != NULL;

    ok = ok && explain_set(o, "kind", json_string("comparison"));
    ok = ok && explain_set(o, "text", explain_text(explain_print_cmp, cmp));
    ok = ok && explain_set(o, "type",
                           json_stringn(cmp->path.type, cmp->path.type_len));
    ok = ok && explain_set(o, "path", explain_text(explain_print_path, cmp));
    ok = ok && explain_set(o, "operator", json_string(op_text(cmp->op)));
    ok = ok && explain_set(o, "negated", json_boolean(cmp->negated));
    if (cmp->op != FUSION_PATTERN_OP_EXISTS)
        ok =
            ok && explain_set(o, "value", explain_text(explain_print_lit, cmp));
    ok = ok && explain_set(o, "offset", json_integer((json_int_t)cmp->offset));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *
explain_cexpr(const struct fusion_pattern_cexpr *node)
{
    json_t *o, *kids;
    bool ok;

    if (node->kind == FUSION_PATTERN_CEXPR_CMP)
        return explain_cmp(node->cmp);
    assert(node->nkids >= 2);
    o = json_object();
    kids = json_array();
    ok = o && kids;
    ok = ok &&
         explain_set(
             o, "kind",
             json_string(node->kind == FUSION_PATTERN_CEXPR_OR ? "OR" : "AND"));
    for (size_t i = 0; ok && i < node->nkids; i++)
        ok = json_array_append_new(kids, explain_cexpr(node->kids[i])) == 0;
    if (ok) {
        ok = explain_set(o, "operands", kids);
        kids = NULL;
    }
    json_decref(kids);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char *
explain_obs_kind(enum fusion_pattern_obs_kind kind)
{
    switch (kind) {
    case FUSION_PATTERN_OBS_LEAF:
        return "observation";
    case FUSION_PATTERN_OBS_AND:
        return "AND";
    case FUSION_PATTERN_OBS_OR:
        return "OR";
    case FUSION_PATTERN_OBS_FOLLOWEDBY:
        return "FOLLOWEDBY";
    case FUSION_PATTERN_OBS_GROUP:
        break;
    }
    assert(kind == FUSION_PATTERN_OBS_GROUP);
    return "group";
}

static json_t *
explain_obs(const struct fusion_pattern_obs *node, size_t *leaf)
{
    json_t *o = json_object(), *kids = NULL, *quals = NULL;
    bool ok = o != NULL;

    ok =
        ok && explain_set(o, "kind", json_string(explain_obs_kind(node->kind)));
    if (ok && node->kind == FUSION_PATTERN_OBS_LEAF) {
        ok = explain_set(o, "leaf", json_integer((json_int_t)(*leaf)++));
        ok = ok && explain_set(o, "expression", explain_cexpr(node->cexpr));
    } else if (ok) {
        kids = json_array();
        ok = kids != NULL;
        for (size_t i = 0; ok && i < node->nkids; i++)
            ok = json_array_append_new(kids,
                                       explain_obs(node->kids[i], leaf)) == 0;
        if (ok) {
            ok = explain_set(o, "operands", kids);
            kids = NULL;
        }
    }
    if (ok && node->nquals > 0) {
        quals = json_array();
        ok = quals != NULL;
        for (size_t i = 0; ok && i < node->nquals; i++)
            ok = json_array_append_new(quals, explain_text(explain_print_qual,
                                                           &node->quals[i])) ==
                 0;
        if (ok) {
            ok = explain_set(o, "qualifiers", quals);
            quals = NULL;
        }
    }
    json_decref(kids);
    json_decref(quals);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

enum fusion_err
fusion_pattern_explain(const struct fusion_pattern *pattern, json_t **out)
{
    size_t leaf = 0;

    assert(pattern && pattern->root && out);
    *out = explain_obs(pattern->root, &leaf);
    return *out ? FUSION_OK : FUSION_ERR_NOMEM;
}
