/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recursive-descent parser of STIX 2.1 patterns (STIX 2.1 section 9,
 * grammar in section 2 of the patterning notes) building the tree of
 * pattern_int.h in one arena per pattern.
 */
#include <assert.h>
#include <math.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/pattern_int.h"

#define ARENA_ALIGN     alignof(max_align_t)
#define ARENA_MIN_CHUNK 1024u

/*
 * Arena
 */

static size_t
align_up(size_t n)
{
    return (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
}

static struct pattern_chunk *
chunk_new(size_t cap)
{
    size_t head = align_up(sizeof(struct pattern_chunk));
    struct pattern_chunk *c;

    if (cap > SIZE_MAX - head)
        return NULL;
    c = fusion_malloc(head + cap);
    if (!c)
        return NULL;
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    c->data = (unsigned char *)c + head;
    return c;
}

void *
pattern_arena_alloc(struct pattern_arena *arena, size_t size)
{
    struct pattern_chunk *c;
    void *p;

    assert(arena);
    c = arena->head;
    size = align_up(size ? size : 1);
    if (!c || c->cap - c->used < size) {
        size_t cap = c ? c->cap * 2 : ARENA_MIN_CHUNK;

        if (cap < size)
            cap = size;
        c = chunk_new(cap);
        if (!c)
            return NULL;
        c->next = arena->head;
        arena->head = c;
    }
    assert(c->used <= c->cap && c->cap - c->used >= size);
    p = c->data + c->used;
    c->used += size;
    return p;
}

char *
pattern_arena_strndup(struct pattern_arena *arena, const char *s, size_t n)
{
    char *copy;

    assert(s || !n);
    copy = n < SIZE_MAX ? pattern_arena_alloc(arena, n + 1) : NULL;
    if (!copy)
        return NULL;
    if (n)
        memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

static void
arena_release(struct pattern_arena *arena)
{
    struct pattern_chunk *c = arena->head, *next;

    while (c) {
        next = c->next;
        fusion_free(c);
        c = next;
    }
    arena->head = NULL;
}

/* Array under construction in the arena; the final array is data. */
struct vec {
    unsigned char *data;
    size_t n;
    size_t cap;
    size_t elem;
};

/*
 * Parser state
 */

struct parser {
    struct pattern_lexer lx;
    struct pattern_token tok; /* current token */
    struct pattern_arena *arena;
    struct fusion_error *err;
    unsigned depth;
    size_t ncmp;
    size_t nleaves;
};

static enum fusion_err
nomem(struct parser *p)
{
    return fusion_error_set(p->err, FUSION_ERR_NOMEM, "out of memory");
}

static enum fusion_err
vec_push(struct parser *p, struct vec *v, const void *item)
{
    assert(item && v->elem > 0 && v->n <= v->cap);
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        unsigned char *data;

        if (cap > SIZE_MAX / v->elem)
            return nomem(p);
        data = pattern_arena_alloc(p->arena, cap * v->elem);
        if (!data)
            return nomem(p);
        if (v->n)
            memcpy(data, v->data, v->n * v->elem);
        v->data = data;
        v->cap = cap;
    }
    memcpy(v->data + v->n * v->elem, item, v->elem);
    v->n++;
    return FUSION_OK;
}

static void *
node_new(struct parser *p, size_t size)
{
    void *n;

    assert(size > 0);
    n = pattern_arena_alloc(p->arena, size);
    if (n)
        memset(n, 0, size);
    return n;
}

static enum fusion_err
set_err_at(struct parser *p, enum fusion_err code, size_t offset,
           const char *msg)
{
    fusion_error_set_at(p->err, code, offset, "%s at byte %zu", msg, offset);
    if (p->err)
        p->err->column = offset + 1;
    return code;
}

/* "expected X at byte N, found Y" for the current token. */
static enum fusion_err
syntax_error(struct parser *p, const char *expected)
{
    const struct pattern_token *t = &p->tok;
    size_t shown = t->len > 40 ? 40 : t->len;

    if (t->kind == TOK_EOF)
        fusion_error_set_at(p->err, FUSION_ERR_INVALID, t->start,
                            "expected %s at byte %zu, found end of input",
                            expected, t->start);
    else
        fusion_error_set_at(p->err, FUSION_ERR_INVALID, t->start,
                            "expected %s at byte %zu, found '%.*s%s'", expected,
                            t->start, (int)shown, p->lx.text + t->start,
                            shown < t->len ? "..." : "");
    if (p->err)
        p->err->column = t->start + 1;
    return FUSION_ERR_INVALID;
}

static enum fusion_err
advance(struct parser *p)
{
    return pattern_lex(&p->lx, &p->tok, p->err);
}

static enum fusion_err
expect(struct parser *p, enum pattern_tok kind)
{
    if (p->tok.kind != kind)
        return syntax_error(p, pattern_tok_name(kind));
    return advance(p);
}

static enum fusion_err
enter(struct parser *p)
{
    if (++p->depth > FUSION_PATTERN_MAX_DEPTH)
        return set_err_at(p, FUSION_ERR_LIMIT, p->tok.start,
                          "pattern nested too deeply");
    return FUSION_OK;
}

static const char *
tok_text(const struct parser *p)
{
    return p->lx.text + p->tok.start;
}

/*
 * Literals
 */

/* Decodes a string token (quotes included) into the arena. */
static enum fusion_err
decode_string(struct parser *p, const char *s, size_t len, const char **out,
              size_t *len_out)
{
    char *dst;
    size_t n = 0;

    assert(len >= 2 && s[0] == '\'' && s[len - 1] == '\'');
    dst = pattern_arena_alloc(p->arena, len - 1);
    if (!dst)
        return nomem(p);
    for (size_t i = 1; i + 1 < len; i++) {
        if (s[i] == '\\')
            i++;
        dst[n++] = s[i];
    }
    dst[n] = '\0';
    *out = dst;
    *len_out = n;
    return FUSION_OK;
}

static enum fusion_err
decode_hex(struct parser *p, struct fusion_pattern_lit *lit)
{
    const char *s = tok_text(p) + 2;
    size_t digits;
    unsigned char *dst;

    assert(p->tok.kind == TOK_HEX && p->tok.len >= 3);
    digits = p->tok.len - 3;
    dst = pattern_arena_alloc(p->arena, digits / 2 + 1);
    if (!dst)
        return nomem(p);
    for (size_t i = 0; i < digits / 2; i++)
        dst[i] = (unsigned char)(fusion_hex_digit(s[2 * i]) << 4 |
                                 fusion_hex_digit(s[2 * i + 1]));
    dst[digits / 2] = '\0';
    lit->kind = FUSION_PATTERN_LIT_HEX;
    lit->u.str.ptr = (const char *)dst;
    lit->u.str.len = digits / 2;
    return FUSION_OK;
}

static unsigned
b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return (unsigned)(c - 'A');
    if (c >= 'a' && c <= 'z')
        return (unsigned)(c - 'a' + 26);
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0' + 52);
    return c == '+' ? 62u : 63u;
}

/* The lexer has checked the alphabet and the padding. */
static enum fusion_err
decode_binary(struct parser *p, struct fusion_pattern_lit *lit)
{
    const char *s = tok_text(p) + 2;
    size_t chars, n = 0;
    unsigned char *dst;
    uint32_t acc = 0;
    unsigned bits = 0;

    assert(p->tok.kind == TOK_BINARY && p->tok.len >= 3);
    chars = p->tok.len - 3;
    dst = pattern_arena_alloc(p->arena, chars / 4 * 3 + 1);
    if (!dst)
        return nomem(p);
    for (size_t i = 0; i < chars && s[i] != '='; i++) {
        acc = (acc << 6 | b64_value(s[i])) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[n++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    assert(n <= chars / 4 * 3);
    dst[n] = '\0';
    lit->kind = FUSION_PATTERN_LIT_BINARY;
    lit->u.str.ptr = (const char *)dst;
    lit->u.str.len = n;
    return FUSION_OK;
}

static int
two(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Days since 1970-01-01 of a proleptic Gregorian date; any day count. */
static int64_t
days_since_epoch(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static bool
is_real_date(int y, int m, int d)
{
    static const int mdays[] = {
        31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return d <= mdays[m - 1] && !(m == 2 && d == 29 && !leap);
}

/*
 * The lexer has checked the shape and field ranges. The grammar does not
 * check calendars, so a day past the end of its month counts on into the
 * next month; is_date records it for the checker. A leap second folds
 * onto the next second as in fusion_ts_parse.
 */
static enum fusion_err
decode_timestamp(struct parser *p, struct fusion_pattern_lit *lit)
{
    const char *s = tok_text(p) + 2;
    size_t n = p->tok.len - 3;
    int y = two(s) * 100 + two(s + 2), mo = two(s + 5), d = two(s + 8);
    int64_t secs, frac = 0;
    int digits = 0;

    assert(p->tok.kind == TOK_TIMESTAMP);
    secs = days_since_epoch(y, mo, d) * 86400 + two(s + 11) * 3600 +
           two(s + 14) * 60 + two(s + 17);
    for (size_t i = 20; s[19] == '.' && i < n - 1; i++, digits++) {
        if (digits < 9)
            frac = frac * 10 + (s[i] - '0');
    }
    for (int k = digits; k < 9; k++)
        frac *= 10;
    lit->kind = FUSION_PATTERN_LIT_TIMESTAMP;
    fusion_ts_set(&lit->u.ts.ts, secs, (int32_t)frac, digits);
    lit->u.ts.is_date = is_real_date(y, mo, d);
    lit->u.ts.len = n;
    lit->u.ts.text = pattern_arena_strndup(p->arena, s, n);
    return lit->u.ts.text ? FUSION_OK : nomem(p);
}

static enum fusion_err
decode_int(struct parser *p, struct fusion_pattern_lit *lit)
{
    assert(p->tok.kind == TOK_INT);
    if (fusion_parse_int64(tok_text(p), p->tok.len, &lit->u.i) != FUSION_OK)
        return set_err_at(p, FUSION_ERR_INVALID, p->tok.start,
                          "integer out of range");
    lit->kind = FUSION_PATTERN_LIT_INT;
    return FUSION_OK;
}

static enum fusion_err
decode_float(struct parser *p, struct fusion_pattern_lit *lit)
{
    char local[64], *s = local;

    assert(p->tok.kind == TOK_FLOAT);
    if (p->tok.len >= sizeof(local)) {
        s = pattern_arena_alloc(p->arena, p->tok.len + 1);
        if (!s)
            return nomem(p);
    }
    memcpy(s, tok_text(p), p->tok.len);
    s[p->tok.len] = '\0';
    lit->u.f = strtod(s, NULL);
    if (!isfinite(lit->u.f))
        return set_err_at(p, FUSION_ERR_INVALID, p->tok.start,
                          "float out of range");
    lit->kind = FUSION_PATTERN_LIT_FLOAT;
    return FUSION_OK;
}

static bool
is_scalar_literal(enum pattern_tok kind)
{
    switch (kind) {
    case TOK_STRING:
    case TOK_INT:
    case TOK_FLOAT:
    case TOK_HEX:
    case TOK_BINARY:
    case TOK_TIMESTAMP:
    case TOK_TRUE:
    case TOK_FALSE:
        return true;
    default:
        return false;
    }
}

/* Converts the literal token at the cursor and moves past it. */
static enum fusion_err
parse_scalar(struct parser *p, struct fusion_pattern_lit *lit)
{
    enum fusion_err rc;

    switch (p->tok.kind) {
    case TOK_STRING:
        lit->kind = FUSION_PATTERN_LIT_STRING;
        rc = decode_string(p, tok_text(p), p->tok.len, &lit->u.str.ptr,
                           &lit->u.str.len);
        break;
    case TOK_INT:
        rc = decode_int(p, lit);
        break;
    case TOK_FLOAT:
        rc = decode_float(p, lit);
        break;
    case TOK_HEX:
        rc = decode_hex(p, lit);
        break;
    case TOK_BINARY:
        rc = decode_binary(p, lit);
        break;
    case TOK_TIMESTAMP:
        rc = decode_timestamp(p, lit);
        break;
    case TOK_TRUE:
    case TOK_FALSE:
        lit->kind = FUSION_PATTERN_LIT_BOOL;
        lit->u.b = p->tok.kind == TOK_TRUE;
        rc = FUSION_OK;
        break;
    default:
        return syntax_error(p, "a literal");
    }
    return rc ? rc : advance(p);
}

/* ( ) or ( lit {, lit} ) after IN. */
static enum fusion_err
parse_set(struct parser *p, struct fusion_pattern_lit *lit)
{
    struct vec items = { .elem = sizeof(struct fusion_pattern_lit) };
    struct fusion_pattern_lit item;
    enum fusion_err rc;

    rc = expect(p, TOK_LPAREN);
    while (!rc && p->tok.kind != TOK_RPAREN) {
        if (items.n && p->tok.kind != TOK_COMMA)
            return syntax_error(p, "',' or ')'");
        if (items.n) {
            rc = advance(p);
            if (rc)
                break;
        }
        if (!is_scalar_literal(p->tok.kind))
            return syntax_error(p, items.n ? "a literal" : "a literal or ')'");
        memset(&item, 0, sizeof(item));
        rc = parse_scalar(p, &item);
        if (!rc)
            rc = vec_push(p, &items, &item);
    }
    if (rc)
        return rc;
    lit->kind = FUSION_PATTERN_LIT_SET;
    lit->u.set.items = (struct fusion_pattern_lit *)items.data;
    lit->u.set.count = items.n;
    return advance(p);
}

/*
 * Object paths
 */

static enum fusion_err
push_key(struct parser *p, struct vec *steps)
{
    struct fusion_pattern_step step = { .kind = FUSION_PATTERN_STEP_KEY };
    enum fusion_err rc;

    if (p->tok.kind == TOK_STRING) {
        rc =
            decode_string(p, tok_text(p), p->tok.len, &step.key, &step.key_len);
    } else if (p->tok.kind == TOK_IDENT) {
        step.key = pattern_arena_strndup(p->arena, tok_text(p), p->tok.len);
        step.key_len = p->tok.len;
        rc = step.key ? FUSION_OK : nomem(p);
    } else {
        return syntax_error(p, p->tok.kind == TOK_IDENT_HYPHEN
                                   ? "a property name (quote names with '-')"
                                   : "a property name");
    }
    if (!rc)
        rc = vec_push(p, steps, &step);
    return rc ? rc : advance(p);
}

/* [n], [-n] or [*] */
static enum fusion_err
push_index(struct parser *p, struct vec *steps)
{
    struct fusion_pattern_step step = { .kind = FUSION_PATTERN_STEP_ANY };
    enum fusion_err rc;

    assert(p->tok.kind == TOK_LBRACK);
    rc = advance(p);
    if (rc)
        return rc;
    if (p->tok.kind == TOK_INT) {
        step.kind = FUSION_PATTERN_STEP_INDEX;
        if (fusion_parse_int64(tok_text(p), p->tok.len, &step.index))
            return set_err_at(p, FUSION_ERR_INVALID, p->tok.start,
                              "index out of range");
    } else if (p->tok.kind != TOK_ASTERISK) {
        return syntax_error(p, "an index or '*'");
    }
    rc = advance(p);
    if (!rc)
        rc = expect(p, TOK_RBRACK);
    return rc ? rc : vec_push(p, steps, &step);
}

static enum fusion_err
parse_path(struct parser *p, struct fusion_pattern_path *path)
{
    struct vec steps = { .elem = sizeof(struct fusion_pattern_step) };
    enum fusion_err rc;

    if (p->tok.kind != TOK_IDENT && p->tok.kind != TOK_IDENT_HYPHEN)
        return syntax_error(p, "an object type");
    path->type = pattern_arena_strndup(p->arena, tok_text(p), p->tok.len);
    if (!path->type)
        return nomem(p);
    path->type_len = p->tok.len;
    rc = advance(p);
    if (!rc)
        rc = expect(p, TOK_COLON);
    if (!rc)
        rc = push_key(p, &steps);
    while (!rc) {
        if (p->tok.kind == TOK_DOT) {
            rc = advance(p);
            if (!rc)
                rc = push_key(p, &steps);
        } else if (p->tok.kind == TOK_LBRACK) {
            rc = push_index(p, &steps);
        } else {
            break;
        }
    }
    assert(rc || steps.n > 0);
    path->steps = (struct fusion_pattern_step *)steps.data;
    path->nsteps = steps.n;
    return rc;
}

/*
 * Comparison expressions (inside one [ ])
 */

static enum fusion_err parse_cexpr(struct parser *p,
                                   enum fusion_pattern_cexpr_kind level,
                                   struct fusion_pattern_cexpr **out);

static bool
op_of(enum pattern_tok kind, enum fusion_pattern_op *op)
{
    static const struct {
        enum pattern_tok tok;
        enum fusion_pattern_op op;
    } ops[] = {
        { TOK_EQ, FUSION_PATTERN_OP_EQ },
        { TOK_NEQ, FUSION_PATTERN_OP_NE },
        { TOK_LT, FUSION_PATTERN_OP_LT },
        { TOK_LE, FUSION_PATTERN_OP_LE },
        { TOK_GT, FUSION_PATTERN_OP_GT },
        { TOK_GE, FUSION_PATTERN_OP_GE },
        { TOK_IN, FUSION_PATTERN_OP_IN },
        { TOK_LIKE, FUSION_PATTERN_OP_LIKE },
        { TOK_MATCHES, FUSION_PATTERN_OP_MATCHES },
        { TOK_ISSUBSET, FUSION_PATTERN_OP_ISSUBSET },
        { TOK_ISSUPERSET, FUSION_PATTERN_OP_ISSUPERSET },
    };

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (ops[i].tok == kind) {
            *op = ops[i].op;
            return true;
        }
    }
    return false;
}

/* The constant after an operator, restricted as propTest* in the grammar. */
static enum fusion_err
parse_operand(struct parser *p, struct fusion_pattern_cmp *cmp)
{
    switch (cmp->op) {
    case FUSION_PATTERN_OP_IN:
        return parse_set(p, &cmp->lit);
    case FUSION_PATTERN_OP_LIKE:
    case FUSION_PATTERN_OP_MATCHES:
    case FUSION_PATTERN_OP_ISSUBSET:
    case FUSION_PATTERN_OP_ISSUPERSET:
        if (p->tok.kind != TOK_STRING)
            return syntax_error(p, "a string");
        break;
    case FUSION_PATTERN_OP_LT:
    case FUSION_PATTERN_OP_LE:
    case FUSION_PATTERN_OP_GT:
    case FUSION_PATTERN_OP_GE:
        if (p->tok.kind == TOK_TRUE || p->tok.kind == TOK_FALSE)
            return syntax_error(p, "an orderable literal");
        break;
    default:
        break;
    }
    return parse_scalar(p, &cmp->lit);
}

/* path [NOT] op literal, or [NOT] EXISTS path */
static enum fusion_err
parse_comparison(struct parser *p, struct fusion_pattern_cmp *cmp)
{
    enum fusion_err rc;

    cmp->offset = p->tok.start;
    if (p->tok.kind == TOK_NOT || p->tok.kind == TOK_EXISTS) {
        cmp->negated = p->tok.kind == TOK_NOT;
        rc = advance(p);
        if (!rc && cmp->negated)
            rc = expect(p, TOK_EXISTS);
        cmp->op = FUSION_PATTERN_OP_EXISTS;
        return rc ? rc : parse_path(p, &cmp->path);
    }
    rc = parse_path(p, &cmp->path);
    if (!rc && p->tok.kind == TOK_NOT) {
        cmp->negated = true;
        rc = advance(p);
    }
    if (rc)
        return rc;
    if (!op_of(p->tok.kind, &cmp->op))
        return syntax_error(p, "a comparison operator");
    rc = advance(p);
    return rc ? rc : parse_operand(p, cmp);
}

/* ( cexpr ) or a comparison */
static enum fusion_err
parse_prop_test(struct parser *p, struct fusion_pattern_cexpr **out)
{
    struct fusion_pattern_cexpr *node;
    enum fusion_err rc;

    if (p->tok.kind == TOK_LPAREN) {
        rc = enter(p);
        if (!rc)
            rc = advance(p);
        if (!rc)
            rc = parse_cexpr(p, FUSION_PATTERN_CEXPR_OR, out);
        if (!rc)
            rc = expect(p, TOK_RPAREN);
        assert(p->depth > 0);
        p->depth--;
        return rc;
    }
    node = node_new(p, sizeof(*node));
    if (!node)
        return nomem(p);
    node->kind = FUSION_PATTERN_CEXPR_CMP;
    node->cmp = node_new(p, sizeof(*node->cmp));
    if (!node->cmp)
        return nomem(p);
    node->cmp->index = p->ncmp++;
    *out = node;
    return parse_comparison(p, node->cmp);
}

/* An operand at level: an AND run under OR, a property test under AND. */
static enum fusion_err
parse_cexpr_operand(struct parser *p, enum fusion_pattern_cexpr_kind level,
                    struct fusion_pattern_cexpr **out)
{
    if (level == FUSION_PATTERN_CEXPR_OR)
        return parse_cexpr(p, FUSION_PATTERN_CEXPR_AND, out);
    return parse_prop_test(p, out);
}

/*
 * One run of the operator of level (OR binds looser than AND); both are
 * left-associative, so a run becomes one n-ary node.
 */
static enum fusion_err
parse_cexpr(struct parser *p, enum fusion_pattern_cexpr_kind level,
            struct fusion_pattern_cexpr **out)
{
    struct vec kids = { .elem = sizeof(struct fusion_pattern_cexpr *) };
    enum pattern_tok op = level == FUSION_PATTERN_CEXPR_OR ? TOK_OR : TOK_AND;
    struct fusion_pattern_cexpr *kid, *node;
    enum fusion_err rc;

    assert(level == FUSION_PATTERN_CEXPR_OR ||
           level == FUSION_PATTERN_CEXPR_AND);
    rc = parse_cexpr_operand(p, level, &kid);
    while (!rc && p->tok.kind == op) {
        rc = vec_push(p, &kids, &kid);
        if (!rc)
            rc = advance(p);
        if (!rc)
            rc = parse_cexpr_operand(p, level, &kid);
    }
    if (rc)
        return rc;
    if (!kids.n) {
        *out = kid;
        return FUSION_OK;
    }
    node = node_new(p, sizeof(*node));
    if (!node || vec_push(p, &kids, &kid))
        return nomem(p);
    assert(kids.n >= 2);
    node->kind = level;
    node->kids = (struct fusion_pattern_cexpr **)kids.data;
    node->nkids = kids.n;
    *out = node;
    return FUSION_OK;
}

/*
 * Observation expressions
 */

static enum fusion_err parse_obs(struct parser *p,
                                 enum fusion_pattern_obs_kind level,
                                 struct fusion_pattern_obs **out);

/* WITHIN (IntPos | FloatPos) SECONDS */
static enum fusion_err
parse_within(struct parser *p, struct fusion_pattern_qual *q)
{
    enum fusion_err rc;

    assert(p->tok.kind == TOK_WITHIN);
    rc = advance(p);
    if (rc)
        return rc;
    if ((p->tok.kind != TOK_INT && p->tok.kind != TOK_FLOAT) ||
        tok_text(p)[0] == '-')
        return syntax_error(p, "a positive number of seconds");
    rc = parse_scalar(p, &q->within);
    if (rc)
        return rc;
    assert(q->within.kind == FUSION_PATTERN_LIT_INT ||
           q->within.kind == FUSION_PATTERN_LIT_FLOAT);
    q->within_secs = q->within.kind == FUSION_PATTERN_LIT_INT
                         ? (double)q->within.u.i
                         : q->within.u.f;
    return expect(p, TOK_SECONDS);
}

/* REPEATS IntPos TIMES */
static enum fusion_err
parse_repeats(struct parser *p, struct fusion_pattern_qual *q)
{
    struct fusion_pattern_lit lit;
    enum fusion_err rc;

    assert(p->tok.kind == TOK_REPEATS);
    rc = advance(p);
    if (rc)
        return rc;
    if (p->tok.kind != TOK_INT || tok_text(p)[0] == '-')
        return syntax_error(p, "a positive integer");
    rc = parse_scalar(p, &lit);
    if (rc)
        return rc;
    q->repeats = lit.u.i;
    return expect(p, TOK_TIMES);
}

/* START t'..' STOP t'..' */
static enum fusion_err
parse_startstop(struct parser *p, struct fusion_pattern_qual *q)
{
    enum fusion_err rc;

    assert(p->tok.kind == TOK_START);
    rc = advance(p);
    if (!rc && p->tok.kind != TOK_TIMESTAMP)
        return syntax_error(p, "a timestamp t'...'");
    if (!rc)
        rc = parse_scalar(p, &q->start);
    if (!rc)
        rc = expect(p, TOK_STOP);
    if (!rc && p->tok.kind != TOK_TIMESTAMP)
        return syntax_error(p, "a timestamp t'...'");
    return rc ? rc : parse_scalar(p, &q->stop);
}

static bool
is_qualifier(enum pattern_tok kind)
{
    return kind == TOK_WITHIN || kind == TOK_REPEATS || kind == TOK_START;
}

/*
 * Postfix qualifiers after a bracketed or parenthesized expression. When
 * the expression inside parentheses already has qualifiers, the new ones
 * belong to an outer GROUP node.
 */
static enum fusion_err
parse_qualifiers(struct parser *p, struct fusion_pattern_obs **node)
{
    struct vec quals = { .elem = sizeof(struct fusion_pattern_qual) };
    struct fusion_pattern_qual q;
    struct fusion_pattern_obs *target = *node;
    enum fusion_err rc = FUSION_OK;

    assert(target);
    if (!is_qualifier(p->tok.kind))
        return FUSION_OK;
    if (target->nquals) {
        target = node_new(p, sizeof(*target));
        if (!target)
            return nomem(p);
        target->kind = FUSION_PATTERN_OBS_GROUP;
        target->offset = (*node)->offset;
        target->nkids = 1;
        target->kids = pattern_arena_alloc(p->arena, sizeof(*target->kids));
        if (!target->kids)
            return nomem(p);
        target->kids[0] = *node;
    }
    while (!rc && is_qualifier(p->tok.kind)) {
        memset(&q, 0, sizeof(q));
        q.offset = p->tok.start;
        if (p->tok.kind == TOK_WITHIN) {
            q.kind = FUSION_PATTERN_QUAL_WITHIN;
            rc = parse_within(p, &q);
        } else if (p->tok.kind == TOK_REPEATS) {
            q.kind = FUSION_PATTERN_QUAL_REPEATS;
            rc = parse_repeats(p, &q);
        } else {
            q.kind = FUSION_PATTERN_QUAL_STARTSTOP;
            rc = parse_startstop(p, &q);
        }
        if (!rc)
            rc = vec_push(p, &quals, &q);
    }
    target->quals = (struct fusion_pattern_qual *)quals.data;
    target->nquals = quals.n;
    *node = target;
    return rc;
}

/* [ cexpr ] or ( pattern ), then qualifiers */
static enum fusion_err
parse_obs_primary(struct parser *p, struct fusion_pattern_obs **out)
{
    struct fusion_pattern_obs *node = NULL;
    enum fusion_err rc;
    size_t at = p->tok.start;

    if (p->tok.kind != TOK_LBRACK && p->tok.kind != TOK_LPAREN)
        return syntax_error(p, "'[' or '('");
    rc = enter(p);
    if (rc)
        return rc;
    if (p->tok.kind == TOK_LBRACK) {
        node = node_new(p, sizeof(*node));
        rc = node ? advance(p) : nomem(p);
        if (!rc) {
            node->kind = FUSION_PATTERN_OBS_LEAF;
            node->offset = at;
            node->leaf = p->nleaves++;
            rc = parse_cexpr(p, FUSION_PATTERN_CEXPR_OR, &node->cexpr);
        }
        if (!rc)
            rc = expect(p, TOK_RBRACK);
    } else {
        rc = advance(p);
        if (!rc)
            rc = parse_obs(p, FUSION_PATTERN_OBS_FOLLOWEDBY, &node);
        if (!rc)
            rc = expect(p, TOK_RPAREN);
    }
    assert(p->depth > 0);
    p->depth--;
    if (!rc)
        rc = parse_qualifiers(p, &node);
    if (!rc)
        *out = node;
    return rc;
}

static enum pattern_tok
obs_op_token(enum fusion_pattern_obs_kind level)
{
    switch (level) {
    case FUSION_PATTERN_OBS_FOLLOWEDBY:
        return TOK_FOLLOWEDBY;
    case FUSION_PATTERN_OBS_OR:
        return TOK_OR;
    default:
        assert(level == FUSION_PATTERN_OBS_AND);
        return TOK_AND;
    }
}

static enum fusion_err
parse_obs_operand(struct parser *p, enum fusion_pattern_obs_kind level,
                  struct fusion_pattern_obs **out)
{
    if (level == FUSION_PATTERN_OBS_FOLLOWEDBY)
        return parse_obs(p, FUSION_PATTERN_OBS_OR, out);
    if (level == FUSION_PATTERN_OBS_OR)
        return parse_obs(p, FUSION_PATTERN_OBS_AND, out);
    return parse_obs_primary(p, out);
}

/*
 * One run of an observation operator. Precedence, tightest first: AND,
 * OR, FOLLOWEDBY (section 9.5.3); all left-associative.
 */
static enum fusion_err
parse_obs(struct parser *p, enum fusion_pattern_obs_kind level,
          struct fusion_pattern_obs **out)
{
    struct vec kids = { .elem = sizeof(struct fusion_pattern_obs *) };
    enum pattern_tok op = obs_op_token(level);
    struct fusion_pattern_obs *kid, *node;
    enum fusion_err rc;

    rc = parse_obs_operand(p, level, &kid);
    while (!rc && p->tok.kind == op) {
        rc = vec_push(p, &kids, &kid);
        if (!rc)
            rc = advance(p);
        if (!rc)
            rc = parse_obs_operand(p, level, &kid);
    }
    if (rc)
        return rc;
    if (!kids.n) {
        *out = kid;
        return FUSION_OK;
    }
    node = node_new(p, sizeof(*node));
    if (!node || vec_push(p, &kids, &kid))
        return nomem(p);
    assert(kids.n >= 2);
    node->kind = level;
    node->kids = (struct fusion_pattern_obs **)kids.data;
    node->nkids = kids.n;
    node->offset = node->kids[0]->offset;
    *out = node;
    return FUSION_OK;
}

/*
 * Public entry points
 */

enum fusion_err
fusion_pattern_parse(const char *text, size_t len, struct fusion_pattern **out,
                     struct fusion_error *err)
{
    struct pattern_arena arena = { NULL };
    struct fusion_pattern *pat;
    struct parser p;
    enum fusion_err rc;

    assert(out);
    *out = NULL;
    if (!text && len)
        return fusion_error_set(err, FUSION_ERR_INVALID, "no pattern text");
    if (len > FUSION_PATTERN_MAX_LEN)
        return fusion_error_set(err, FUSION_ERR_LIMIT,
                                "pattern longer than %u bytes",
                                (unsigned)FUSION_PATTERN_MAX_LEN);
    if (len > 0) {
        const char *nul = memchr(text, '\0', len);

        /* the pattern property of a STIX object is text without NUL */
        if (nul)
            return fusion_error_set_at(err, FUSION_ERR_INVALID,
                                       (uint64_t)(nul - text),
                                       "NUL character at byte %zu: a "
                                       "pattern cannot hold NUL",
                                       (size_t)(nul - text));
    }

    pat = pattern_arena_alloc(&arena, sizeof(*pat));
    if (!pat)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    memset(pat, 0, sizeof(*pat));
    memset(&p, 0, sizeof(p));
    pattern_lexer_init(&p.lx, text ? text : "", len);
    p.arena = &arena;
    p.err = err;

    rc = advance(&p);
    if (!rc)
        rc = parse_obs(&p, FUSION_PATTERN_OBS_FOLLOWEDBY, &pat->root);
    if (!rc && p.tok.kind != TOK_EOF)
        rc = syntax_error(&p, "'AND', 'OR', 'FOLLOWEDBY', a qualifier or "
                              "end of input");
    if (rc) {
        arena_release(&arena);
        return rc;
    }
    pat->ncmp = p.ncmp;
    pat->nleaves = p.nleaves;
    pat->arena = arena;
    *out = pat;
    return FUSION_OK;
}

void
fusion_pattern_free(struct fusion_pattern *pattern)
{
    struct pattern_arena arena;

    if (!pattern)
        return;
    /* The pattern itself lives in its arena. */
    arena = pattern->arena;
    arena_release(&arena);
}
