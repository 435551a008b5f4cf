/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Evaluation of STIX patterns against observations (STIX 2.1 section 9):
 * compiling a parsed pattern, testing one [ ... ] against one
 * observation, and a bounded search for observation expressions.
 */
#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "pattern/pattern_int.h"

/* Work bound of one fusion_pattern_eval: candidate bindings considered. */
#define EVAL_MAX_STEPS (1u << 20)

/*
 * Evaluation recurses once per path step and per qualifier; these caps
 * keep the stack small. Real patterns stay far below them.
 */
#define PATH_MAX_STEPS 128
#define OBS_MAX_QUALS  4

/*
 * PCRE2 limits per match, so that a regex with catastrophic backtracking
 * fails (and counts as no match) instead of running for minutes.
 */
#define RE_MATCH_LIMIT 1000000u
#define RE_DEPTH_LIMIT 10000u
#define RE_HEAP_LIMIT  16384u /* KiB */

/* How a property's string value is read before comparing. */
enum value_coding {
    CODING_TEXT,   /* UTF-8 text */
    CODING_BASE64, /* *_bin: base64, compared as bytes */
    CODING_HEX,    /* *_hex: hex digits, compared as bytes */
};

struct bytes {
    unsigned char *ptr;
    size_t len;
    bool ok; /* false when the string has a code point past U+00FF */
};

/* What compiling one comparison produced. */
struct cmp_prog {
    const struct fusion_pattern_cmp *cmp;
    enum value_coding coding;
    pcre2_code *re;          /* MATCHES */
    struct pattern_cidr net; /* ISSUBSET, ISSUPERSET */
    /*
     * Binary properties: the string constants (one, or each member of an
     * IN set) as Latin-1 bytes, the form they compare in.
     */
    struct bytes *latin1;
    size_t nlatin1;
    bool fold; /* a hex digest: strings compare without regard to case */
};

struct fusion_pattern_prog {
    struct fusion_pattern *pattern;
    struct cmp_prog *cmps; /* by fusion_pattern_cmp.index */
    const struct fusion_pattern_obs **leaves;
    pcre2_general_context *gctx;
    pcre2_compile_context *cctx;
    pcre2_match_context *mctx;
    bool probe; /* built only to see that it compiles: no JIT */
};

/*
 * Memory hooks, so that PCRE2 allocates through the project allocator
 */

static void *
re_malloc(PCRE2_SIZE size, void *data)
{
    (void)data;
    return fusion_malloc(size);
}

static void
re_free(void *p, void *data)
{
    (void)data;
    fusion_free(p);
}

/*
 * Compiling
 */

static bool
key_ends_with(const struct fusion_pattern_step *step, const char *suffix)
{
    size_t n = strlen(suffix);

    return step->kind == FUSION_PATTERN_STEP_KEY && step->key_len > n &&
           memcmp(step->key + step->key_len - n, suffix, n) == 0;
}

/*
 * The property a path ends in decides how its values read: the name of
 * the last key step, so "payload_bin", "x_list_hex[0]" and
 * "content_ref.payload_bin" are binary whatever object holds them.
 */
static enum value_coding
path_coding(const struct fusion_pattern_path *path)
{
    for (size_t i = path->nsteps; i-- > 0;) {
        const struct fusion_pattern_step *step = &path->steps[i];

        if (step->kind != FUSION_PATTERN_STEP_KEY)
            continue;
        if (key_ends_with(step, "_bin"))
            return CODING_BASE64;
        if (key_ends_with(step, "_hex"))
            return CODING_HEX;
        return CODING_TEXT;
    }
    return CODING_TEXT;
}

static enum fusion_err
latin1_of(const struct fusion_pattern_lit *lit, struct bytes *out)
{
    assert(lit->kind != FUSION_PATTERN_LIT_SET);
    if (lit->kind != FUSION_PATTERN_LIT_STRING)
        return FUSION_OK;
    out->ptr = fusion_malloc(lit->u.str.len + 1);
    if (!out->ptr)
        return FUSION_ERR_NOMEM;
    out->ok =
        pattern_latin1(lit->u.str.ptr, lit->u.str.len, out->ptr, &out->len);
    return FUSION_OK;
}

static enum fusion_err
compile_latin1(struct cmp_prog *cp, struct fusion_error *err)
{
    const struct fusion_pattern_lit *lit = &cp->cmp->lit;
    size_t n = lit->kind == FUSION_PATTERN_LIT_SET ? lit->u.set.count : 1;

    if (n == 0)
        return FUSION_OK;
    cp->latin1 = fusion_calloc(n, sizeof(*cp->latin1));
    if (!cp->latin1)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    cp->nlatin1 = n;
    for (size_t i = 0; i < n; i++) {
        const struct fusion_pattern_lit *item =
            lit->kind == FUSION_PATTERN_LIT_SET ? &lit->u.set.items[i] : lit;

        if (latin1_of(item, &cp->latin1[i]))
            return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    }
    return FUSION_OK;
}

/*
 * MATCHES: PCRE with search semantics and DOTALL (section 9.6.1). Text
 * properties are matched as UTF-8; binary ones as bytes without UTF,
 * with the regex read as Latin-1 where it can be, so that a code point
 * below U+0100 in it stands for the byte of that value.
 */
static enum fusion_err
compile_regex(struct fusion_pattern_prog *prog, struct cmp_prog *cp,
              struct fusion_error *err)
{
    const struct fusion_pattern_cmp *cmp = cp->cmp;
    uint32_t opts = PCRE2_DOTALL;
    const char *text = cmp->lit.u.str.ptr;
    size_t len = cmp->lit.u.str.len;
    unsigned char *bytes = NULL;
    size_t blen;
    PCRE2_SIZE at;
    int code;

    assert(cmp->op == FUSION_PATTERN_OP_MATCHES);
    assert(cmp->lit.kind == FUSION_PATTERN_LIT_STRING);
    if (cp->coding == CODING_TEXT) {
        opts |= PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C;
    } else {
        opts |= PCRE2_NEVER_UTF;
        bytes = fusion_malloc(len + 1);
        if (!bytes)
            return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
        if (pattern_latin1(text, len, bytes, &blen)) {
            text = (const char *)bytes;
            len = blen;
        }
    }
    cp->re = pcre2_compile((PCRE2_SPTR)text, len, opts, &code, &at, prog->cctx);
    fusion_free(bytes);
    if (!cp->re) {
        PCRE2_UCHAR msg[128];

        if (code == PCRE2_ERROR_HEAP_FAILED)
            return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
        if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
            msg[0] = '\0';
        fusion_error_set_at(err, FUSION_ERR_INVALID, cmp->offset,
                            "regex of the comparison at byte %zu does not "
                            "compile: %s (at regex offset %zu)",
                            cmp->offset, (const char *)msg, (size_t)at);
        return FUSION_ERR_INVALID;
    }
    /* without JIT, pcre2_match interprets the same code */
    if (!prog->probe)
        (void)pcre2_jit_compile(cp->re, PCRE2_JIT_COMPLETE);
    return FUSION_OK;
}

/* Whether path names a hex digest (fusion_pattern_path_folds). */
static bool
path_folds(const struct fusion_pattern_path *path)
{
    const struct fusion_pattern_step *last, *parent;

    assert(path->nsteps > 0);
    last = &path->steps[path->nsteps - 1];
    if (last->kind != FUSION_PATTERN_STEP_KEY)
        return false;
    if (path->nsteps == 1)
        return pattern_folds_keys(NULL, 0, last->key, last->key_len);
    parent = &path->steps[path->nsteps - 2];
    return parent->kind == FUSION_PATTERN_STEP_KEY &&
           pattern_folds_keys(parent->key, parent->key_len, last->key,
                              last->key_len);
}

static enum fusion_err
compile_cmp(struct fusion_pattern_prog *prog,
            const struct fusion_pattern_cmp *cmp, struct fusion_error *err)
{
    struct cmp_prog *cp;

    assert(cmp->index < prog->pattern->ncmp);
    cp = &prog->cmps[cmp->index];
    assert(!cp->cmp);
    cp->cmp = cmp;
    cp->coding = path_coding(&cmp->path);
    cp->fold = path_folds(&cmp->path);
    if (cmp->path.nsteps > PATH_MAX_STEPS)
        return fusion_error_set_at(err, FUSION_ERR_LIMIT, cmp->offset,
                                   "path of the comparison at byte %zu has "
                                   "more than %u steps",
                                   cmp->offset, (unsigned)PATH_MAX_STEPS);
    switch (cmp->op) {
    case FUSION_PATTERN_OP_MATCHES:
        return compile_regex(prog, cp, err);
    case FUSION_PATTERN_OP_ISSUBSET:
    case FUSION_PATTERN_OP_ISSUPERSET:
        assert(cmp->lit.kind == FUSION_PATTERN_LIT_STRING);
        if (!pattern_cidr_parse(cmp->lit.u.str.ptr, cmp->lit.u.str.len,
                                &cp->net))
            return fusion_error_set_at(err, FUSION_ERR_INVALID, cmp->offset,
                                       "constant of the comparison at byte "
                                       "%zu is no IPv4 or IPv6 address or "
                                       "CIDR block",
                                       cmp->offset);
        return FUSION_OK;
    case FUSION_PATTERN_OP_EXISTS:
        return FUSION_OK;
    default:
        return cp->coding == CODING_TEXT ? FUSION_OK : compile_latin1(cp, err);
    }
}

static enum fusion_err
compile_cexpr(struct fusion_pattern_prog *prog,
              const struct fusion_pattern_cexpr *ce, struct fusion_error *err)
{
    enum fusion_err rc = FUSION_OK;

    if (ce->kind == FUSION_PATTERN_CEXPR_CMP)
        return compile_cmp(prog, ce->cmp, err);
    assert(ce->nkids >= 2);
    for (size_t i = 0; i < ce->nkids && !rc; i++)
        rc = compile_cexpr(prog, ce->kids[i], err);
    return rc;
}

static enum fusion_err
too_many(struct fusion_error *err, size_t offset)
{
    return fusion_error_set_at(err, FUSION_ERR_LIMIT, offset,
                               "expression at byte %zu needs more than %u "
                               "observations",
                               offset, (unsigned)FUSION_PATTERN_MAX_USED);
}

/*
 * Compiles the leaves under node and sets *min_out to the fewest
 * observations a match of node uses. Every part of the pattern must be
 * able to match within FUSION_PATTERN_MAX_USED observations; a part
 * that cannot would never match, and the bound keeps the search's
 * recursion shallow.
 */
static enum fusion_err
compile_obs(struct fusion_pattern_prog *prog,
            const struct fusion_pattern_obs *node, size_t *min_out,
            struct fusion_error *err)
{
    size_t min = 0, kid_min;
    enum fusion_err rc = FUSION_OK;

    if (node->nquals > OBS_MAX_QUALS)
        return fusion_error_set_at(err, FUSION_ERR_LIMIT, node->offset,
                                   "expression at byte %zu has more than %u "
                                   "qualifiers",
                                   node->offset, (unsigned)OBS_MAX_QUALS);
    if (node->kind == FUSION_PATTERN_OBS_LEAF) {
        assert(node->leaf < prog->pattern->nleaves);
        assert(!prog->leaves[node->leaf]);
        prog->leaves[node->leaf] = node;
        min = 1;
        rc = compile_cexpr(prog, node->cexpr, err);
    }
    for (size_t i = 0; i < node->nkids && !rc; i++) {
        rc = compile_obs(prog, node->kids[i], &kid_min, err);
        if (rc)
            break;
        if (node->kind == FUSION_PATTERN_OBS_OR)
            min = i == 0 || kid_min < min ? kid_min : min;
        else
            min += kid_min;
        if (min > FUSION_PATTERN_MAX_USED)
            return too_many(err, node->offset);
    }
    for (size_t i = 0; i < node->nquals && !rc; i++) {
        const struct fusion_pattern_qual *q = &node->quals[i];

        if (q->kind != FUSION_PATTERN_QUAL_REPEATS || q->repeats <= 0)
            continue;
        if ((uint64_t)q->repeats > FUSION_PATTERN_MAX_USED ||
            min * (size_t)q->repeats > FUSION_PATTERN_MAX_USED)
            return too_many(err, q->offset);
        min *= (size_t)q->repeats;
    }
    *min_out = min;
    return rc;
}

static enum fusion_err
prog_contexts(struct fusion_pattern_prog *prog)
{
    prog->gctx = pcre2_general_context_create(re_malloc, re_free, NULL);
    if (!prog->gctx)
        return FUSION_ERR_NOMEM;
    prog->cctx = pcre2_compile_context_create(prog->gctx);
    prog->mctx = pcre2_match_context_create(prog->gctx);
    if (!prog->cctx || !prog->mctx)
        return FUSION_ERR_NOMEM;
    pcre2_set_match_limit(prog->mctx, RE_MATCH_LIMIT);
    pcre2_set_depth_limit(prog->mctx, RE_DEPTH_LIMIT);
    pcre2_set_heap_limit(prog->mctx, RE_HEAP_LIMIT);
    return FUSION_OK;
}

/*
 * One observation: reading values along object paths
 */

/* Working state while one observation is tested. */
struct obs_ctx {
    const struct fusion_pattern_prog *prog;
    const struct fusion_observation *obs;
    struct fusion_buf scratch; /* decoded binary values */
    pcre2_match_data *md;
    enum fusion_err rc; /* first failure; once set, tests answer false */
};

static void
obs_ctx_init(struct obs_ctx *oc, const struct fusion_pattern_prog *prog)
{
    memset(oc, 0, sizeof(*oc));
    oc->prog = prog;
    fusion_buf_init(&oc->scratch, 0);
}

static void
obs_ctx_release(struct obs_ctx *oc)
{
    fusion_buf_release(&oc->scratch);
    pcre2_match_data_free(oc->md);
    oc->md = NULL;
}

/* A scalar read from an observation, in the form it compares in. */
enum value_kind {
    VALUE_OTHER, /* object, array, or a binary string that does not decode */
    VALUE_TEXT,
    VALUE_BYTES,
    VALUE_INT,
    VALUE_REAL,
    VALUE_BOOL,
};

struct value {
    enum value_kind kind;
    const char *ptr; /* TEXT, BYTES */
    size_t len;
    json_int_t i;
    double f;
    bool b;
};

static int
b64_digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    return c == '/' ? 63 : -1;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Base64 as STIX binary properties carry it. Line breaks and spaces are
 * skipped, as section 9.2 asks for constants; padding may be left out.
 * dst has room for len bytes.
 */
static bool
decode_base64(const char *s, size_t len, unsigned char *dst, size_t *len_out)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    bool pad = false;

    for (size_t i = 0; i < len; i++) {
        int d;

        if (is_space(s[i]))
            continue;
        if (s[i] == '=') {
            pad = true;
            continue;
        }
        d = b64_digit(s[i]);
        if (d < 0 || pad)
            return false;
        acc = (acc << 6 | (uint32_t)d) & 0xffffffu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[n++] = (unsigned char)(acc >> bits & 0xffu);
        }
    }
    assert(n <= len);
    *len_out = n;
    return true;
}

static bool
decode_hex(const char *s, size_t len, unsigned char *dst, size_t *len_out)
{
    size_t n = 0;

    if (len % 2)
        return false;
    for (size_t i = 0; i < len; i += 2) {
        int hi = fusion_hex_digit(s[i]), lo = fusion_hex_digit(s[i + 1]);

        if (hi < 0 || lo < 0)
            return false;
        dst[n++] = (unsigned char)(hi << 4 | lo);
    }
    *len_out = n;
    return true;
}

/* Reads v as the comparison of cp expects it; decodes into scratch. */
static void
read_value(struct obs_ctx *oc, const struct cmp_prog *cp, const json_t *v,
           struct value *out)
{
    const char *s;
    size_t len, n = 0;
    bool ok;

    memset(out, 0, sizeof(*out));
    switch (json_typeof(v)) {
    case JSON_STRING:
        s = json_string_value(v);
        len = json_string_length(v);
        out->kind = VALUE_TEXT;
        out->ptr = s;
        out->len = len;
        if (cp->coding == CODING_TEXT)
            return;
        fusion_buf_clear(&oc->scratch);
        if (fusion_buf_reserve(&oc->scratch, len)) {
            oc->rc = FUSION_ERR_NOMEM;
            out->kind = VALUE_OTHER;
            return;
        }
        ok = cp->coding == CODING_BASE64
                 ? decode_base64(s, len, (unsigned char *)oc->scratch.data, &n)
                 : decode_hex(s, len, (unsigned char *)oc->scratch.data, &n);
        out->kind = ok ? VALUE_BYTES : VALUE_OTHER;
        out->ptr = oc->scratch.data ? oc->scratch.data : "";
        out->len = n;
        return;
    case JSON_INTEGER:
        out->kind = VALUE_INT;
        out->i = json_integer_value(v);
        return;
    case JSON_REAL:
        out->kind = VALUE_REAL;
        out->f = json_real_value(v);
        return;
    case JSON_TRUE:
    case JSON_FALSE:
        out->kind = VALUE_BOOL;
        out->b = json_is_true(v);
        return;
    default:
        out->kind = VALUE_OTHER;
        return;
    }
}

/*
 * Comparing one value with one constant (section 4 of the patterning
 * notes)
 */

static int
sign_of(int v)
{
    return (v > 0) - (v < 0);
}

/* Unsigned octets; with an equal prefix the longer is greater. */
static int
bytes_order(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;

    if (c)
        return sign_of(c);
    return (alen > blen) - (alen < blen);
}

/* The same with ASCII letters in lower case. */
static int
folded_order(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;

    for (size_t i = 0; i < n; i++) {
        int ca = tolower((unsigned char)a[i]),
            cb = tolower((unsigned char)b[i]);

        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return (alen > blen) - (alen < blen);
}

/* An integer against a float, exactly: 1 is less than 1.5. */
static int
int_real_order(int64_t a, double b)
{
    double whole;
    int64_t w;

    if (b != b)
        return -1;
    if (b >= 9223372036854775808.0)
        return -1;
    if (b < -9223372036854775808.0)
        return 1;
    w = (int64_t)b; /* truncates toward zero, exact in this range */
    whole = (double)w;
    if (a != w)
        return a < w ? -1 : 1;
    if (b > whole)
        return -1;
    return b < whole ? 1 : 0;
}

static bool
numeric_order(const struct value *v, const struct fusion_pattern_lit *c,
              int *out)
{
    if (v->kind == VALUE_INT && c->kind == FUSION_PATTERN_LIT_INT)
        *out = (v->i > c->u.i) - (v->i < c->u.i);
    else if (v->kind == VALUE_INT)
        *out = int_real_order(v->i, c->u.f);
    else if (c->kind == FUSION_PATTERN_LIT_INT)
        *out = -int_real_order(c->u.i, v->f);
    else
        *out = (v->f > c->u.f) - (v->f < c->u.f);
    return true;
}

/*
 * Orders value v against constant c (member number item of the
 * comparison's constants); false when their types do not compare.
 */
static bool
value_order(const struct cmp_prog *cp, size_t item, const struct value *v,
            const struct fusion_pattern_lit *c, int *out)
{
    struct fusion_ts ts;

    switch (c->kind) {
    case FUSION_PATTERN_LIT_INT:
    case FUSION_PATTERN_LIT_FLOAT:
        if (v->kind != VALUE_INT && v->kind != VALUE_REAL)
            return false;
        return numeric_order(v, c, out);
    case FUSION_PATTERN_LIT_STRING:
        if (v->kind == VALUE_TEXT && cp->fold) {
            *out = folded_order(v->ptr, v->len, c->u.str.ptr, c->u.str.len);
            return true;
        }
        if (v->kind == VALUE_TEXT) {
            /* byte order of UTF-8 is code point order */
            *out = bytes_order(v->ptr, v->len, c->u.str.ptr, c->u.str.len);
            return true;
        }
        if (v->kind != VALUE_BYTES || item >= cp->nlatin1 ||
            !cp->latin1[item].ok)
            return false;
        *out = bytes_order(v->ptr, v->len, cp->latin1[item].ptr,
                           cp->latin1[item].len);
        return true;
    case FUSION_PATTERN_LIT_HEX:
    case FUSION_PATTERN_LIT_BINARY:
        if (v->kind != VALUE_TEXT && v->kind != VALUE_BYTES)
            return false;
        *out = bytes_order(v->ptr, v->len, c->u.str.ptr, c->u.str.len);
        return true;
    case FUSION_PATTERN_LIT_TIMESTAMP:
        if (v->kind != VALUE_TEXT ||
            fusion_ts_parse(v->ptr, v->len, &ts, NULL) != FUSION_OK)
            return false;
        *out = sign_of(fusion_ts_compare(&ts, &c->u.ts.ts));
        return true;
    case FUSION_PATTERN_LIT_BOOL:
        if (v->kind != VALUE_BOOL)
            return false;
        *out = (int)v->b - (int)c->u.b;
        return true;
    default:
        assert(c->kind == FUSION_PATTERN_LIT_SET);
        return false;
    }
}

static bool
regex_test(struct obs_ctx *oc, const struct cmp_prog *cp, const struct value *v)
{
    int rc;

    assert(cp->re);
    if (v->kind != VALUE_TEXT && v->kind != VALUE_BYTES)
        return false;
    if (!oc->md) {
        oc->md = pcre2_match_data_create(1, oc->prog->gctx);
        if (!oc->md) {
            oc->rc = FUSION_ERR_NOMEM;
            return false;
        }
    }
    rc = pcre2_match(cp->re, (PCRE2_SPTR)v->ptr, v->len, 0, 0, oc->md,
                     oc->prog->mctx);
    if (rc == PCRE2_ERROR_NOMEMORY)
        oc->rc = FUSION_ERR_NOMEM;
    /* a limit reached or text that is not UTF-8 counts as no match */
    return rc >= 0;
}

static bool
like_test(const struct cmp_prog *cp, const struct value *v)
{
    const struct fusion_pattern_lit *c = &cp->cmp->lit;

    assert(c->kind == FUSION_PATTERN_LIT_STRING);
    if (v->kind == VALUE_TEXT)
        return pattern_like_match(c->u.str.ptr, c->u.str.len, v->ptr, v->len,
                                  true);
    if (v->kind != VALUE_BYTES || !cp->nlatin1 || !cp->latin1[0].ok)
        return false;
    return pattern_like_match((const char *)cp->latin1[0].ptr,
                              cp->latin1[0].len, v->ptr, v->len, false);
}

static bool
cidr_test(const struct cmp_prog *cp, const struct value *v)
{
    struct pattern_cidr net;

    if (v->kind != VALUE_TEXT || !pattern_cidr_parse(v->ptr, v->len, &net))
        return false;
    if (cp->cmp->op == FUSION_PATTERN_OP_ISSUBSET)
        return pattern_cidr_contains(&cp->net, &net);
    return pattern_cidr_contains(&net, &cp->net);
}

/* The comparison without NOT, for one value at its path. */
static bool
value_test(struct obs_ctx *oc, const struct cmp_prog *cp, const struct value *v)
{
    const struct fusion_pattern_lit *c = &cp->cmp->lit;
    int ord = 0;
    bool comparable;

    switch (cp->cmp->op) {
    case FUSION_PATTERN_OP_IN:
        assert(c->kind == FUSION_PATTERN_LIT_SET);
        for (size_t i = 0; i < c->u.set.count; i++) {
            if (value_order(cp, i, v, &c->u.set.items[i], &ord) && ord == 0)
                return true;
        }
        return false;
    case FUSION_PATTERN_OP_LIKE:
        return like_test(cp, v);
    case FUSION_PATTERN_OP_MATCHES:
        return regex_test(oc, cp, v);
    case FUSION_PATTERN_OP_ISSUBSET:
    case FUSION_PATTERN_OP_ISSUPERSET:
        return cidr_test(cp, v);
    case FUSION_PATTERN_OP_EXISTS:
        return true;
    default:
        break;
    }
    comparable = value_order(cp, 0, v, c, &ord);
    /* a type mismatch is false for every operator but != (section 9.6) */
    if (!comparable)
        return cp->cmp->op == FUSION_PATTERN_OP_NE;
    if (c->kind == FUSION_PATTERN_LIT_BOOL &&
        cp->cmp->op != FUSION_PATTERN_OP_EQ &&
        cp->cmp->op != FUSION_PATTERN_OP_NE)
        return false;
    switch (cp->cmp->op) {
    case FUSION_PATTERN_OP_EQ:
        return ord == 0;
    case FUSION_PATTERN_OP_NE:
        return ord != 0;
    case FUSION_PATTERN_OP_LT:
        return ord < 0;
    case FUSION_PATTERN_OP_LE:
        return ord <= 0;
    case FUSION_PATTERN_OP_GT:
        return ord > 0;
    default:
        assert(cp->cmp->op == FUSION_PATTERN_OP_GE);
        return ord >= 0;
    }
}

/* Following one path from one root SCO. */
struct path_walk {
    struct obs_ctx *oc;
    const struct cmp_prog *cp;
    bool found; /* the path reached at least one value */
    bool held;  /* the comparison held for one of them */
};

/*
 * The SCO of the observation that the reference value v names; NULL
 * when v is no string or names nothing in refs.
 */
static const json_t *
deref(const struct fusion_observation *obs, const json_t *v)
{
    const char *name;
    size_t len;

    if (!json_is_string(v) || !obs->refs)
        return NULL;
    name = json_string_value(v);
    len = json_string_length(v);
    for (size_t i = 0; i < obs->count; i++) {
        const char *r = obs->refs[i];

        if (r && strlen(r) == len && memcmp(r, name, len) == 0)
            return obs->objects[i];
    }
    return NULL;
}

static bool walk(struct path_walk *w, const json_t *v, size_t step,
                 bool refs_list);

/*
 * Steps into one element of a list (or member of a dictionary). The
 * elements of a _refs list are references: with a step after the
 * index, the walk goes on in the SCO the element names.
 */
static bool
walk_elem(struct path_walk *w, const json_t *elem, size_t step, bool refs_list)
{
    if (refs_list && step + 1 < w->cp->cmp->path.nsteps) {
        elem = deref(w->oc->obs, elem);
        if (!elem)
            return false;
    }
    return walk(w, elem, step + 1, false);
}

static bool
walk_any(struct path_walk *w, const json_t *v, size_t step, bool refs_list)
{
    const char *key;
    json_t *elem;
    size_t i;

    if (json_is_array(v)) {
        json_array_foreach(v, i, elem)
        {
            if (walk_elem(w, elem, step, refs_list))
                return true;
        }
    } else if (json_is_object(v)) {
        /* [*] on a dictionary reads every member: file:hashes[*] */
        json_object_foreach((json_t *)v, key, elem)
        {
            if (walk(w, elem, step + 1, false))
                return true;
        }
    }
    return false;
}

static bool
is_hashes(const struct fusion_pattern_step *st)
{
    return st->kind == FUSION_PATTERN_STEP_KEY && st->key_len == 6 &&
           memcmp(st->key, "hashes", 6) == 0;
}

/*
 * The member of a hashes dictionary whose key spells the algorithm of
 * st another way (md5 for MD5), as fusion_pattern_hash_name reads them.
 */
static const json_t *
hash_member(const json_t *hashes, const struct fusion_pattern_step *st)
{
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)hashes, key, value)
    {
        const char *name = fusion_pattern_hash_name(key, strlen(key));

        if (name && strlen(name) == st->key_len &&
            memcmp(name, st->key, st->key_len) == 0)
            return value;
    }
    return NULL;
}

/*
 * Visits the values at steps[step..] below v; returns true to stop the
 * walk, once the comparison held for one value or a failure was
 * recorded. A step that finds nothing (missing key, index out of range,
 * step into a scalar, unknown reference, null) ends that branch.
 */
static bool
walk(struct path_walk *w, const json_t *v, size_t step, bool refs_list)
{
    const struct fusion_pattern_path *path = &w->cp->cmp->path;
    const struct fusion_pattern_step *st;
    const json_t *child;
    struct value val;

    assert(v && step <= path->nsteps);
    if (step == path->nsteps) {
        if (json_is_null(v))
            return false;
        w->found = true;
        read_value(w->oc, w->cp, v, &val);
        w->held = !w->oc->rc && value_test(w->oc, w->cp, &val);
        return w->held || w->oc->rc;
    }
    st = &path->steps[step];
    switch (st->kind) {
    case FUSION_PATTERN_STEP_KEY:
        if (!json_is_object(v))
            return false;
        child = json_object_getn(v, st->key, st->key_len);
        if (!child && step > 0 && is_hashes(&path->steps[step - 1]))
            child = hash_member(v, st);
        if (!child)
            return false;
        /* section 9.7: x_ref.prop reads prop of the referenced SCO */
        if (key_ends_with(st, "_ref") && step + 1 < path->nsteps) {
            child = deref(w->oc->obs, child);
            if (!child)
                return false;
        }
        return walk(w, child, step + 1, key_ends_with(st, "_refs"));
    case FUSION_PATTERN_STEP_INDEX:
        if (!json_is_array(v) || st->index < 0 ||
            (uint64_t)st->index >= json_array_size(v))
            return false;
        return walk_elem(w, json_array_get(v, (size_t)st->index), step,
                         refs_list);
    default:
        assert(st->kind == FUSION_PATTERN_STEP_ANY);
        return walk_any(w, v, step, refs_list);
    }
}

static bool
type_is(const json_t *sco, const struct fusion_pattern_path *path)
{
    const json_t *type = json_object_get(sco, "type");

    return json_is_string(type) && json_string_length(type) == path->type_len &&
           memcmp(json_string_value(type), path->type, path->type_len) == 0;
}

/*
 * One comparison from root SCO sco. A path that reaches no value makes
 * the comparison false whatever the operator, with NOT and != too
 * (section 9.6: "regardless of the operators"); NOT EXISTS is the one
 * comparison that holds without a value. With [*], the comparison holds
 * when one value satisfies it, and NOT holds when values exist and none
 * does.
 */
static bool
cmp_holds(struct obs_ctx *oc, const json_t *sco,
          const struct fusion_pattern_cmp *cmp)
{
    struct path_walk w = { .oc = oc };

    assert(cmp->index < oc->prog->pattern->ncmp);
    w.cp = &oc->prog->cmps[cmp->index];
    assert(w.cp->cmp == cmp);
    if (!type_is(sco, &cmp->path))
        return false;
    (void)walk(&w, sco, 0, false);
    if (oc->rc)
        return false;
    if (cmp->op == FUSION_PATTERN_OP_EXISTS)
        return cmp->negated ? !w.found : w.found;
    if (!w.found)
        return false;
    return cmp->negated ? !w.held : w.held;
}

static bool
cexpr_holds(struct obs_ctx *oc, const json_t *sco,
            const struct fusion_pattern_cexpr *ce)
{
    bool want_all = ce->kind == FUSION_PATTERN_CEXPR_AND;

    if (ce->kind == FUSION_PATTERN_CEXPR_CMP)
        return cmp_holds(oc, sco, ce->cmp);
    assert(ce->nkids >= 2);
    for (size_t i = 0; i < ce->nkids; i++) {
        bool v = cexpr_holds(oc, sco, ce->kids[i]);

        if (oc->rc)
            return false;
        if (v != want_all)
            return v;
    }
    return want_all;
}

/*
 * One [ ... ] against one observation: every comparison starts from the
 * same root SCO, and any SCO of the observation may be that root.
 */
static bool
leaf_holds(struct obs_ctx *oc, const struct fusion_pattern_obs *leaf,
           const struct fusion_observation *obs)
{
    assert(leaf->kind == FUSION_PATTERN_OBS_LEAF);
    oc->obs = obs;
    for (size_t r = 0; r < obs->count && !oc->rc; r++) {
        const json_t *sco = obs->objects[r];

        if (json_is_object(sco) && cexpr_holds(oc, sco, leaf->cexpr))
            return true;
    }
    return false;
}

/*
 * Observation expressions: a search over bindings
 *
 * A binding is a set of observations that satisfies an expression. Each
 * node hands its bindings, one at a time, to a continuation; AND and
 * FOLLOWEDBY extend a partial binding with one of the next operand's,
 * REPEATS with one more of its own operand's, and WITHIN and START/STOP
 * let through the ones that fit. The first binding that reaches the top
 * (and uses the required observation) ends the search.
 */

struct binding {
    size_t n;
    size_t ids[FUSION_PATTERN_MAX_USED]; /* ascending */
    size_t min_first;                    /* observation with earliest first */
    size_t max_first;                    /* observation with latest first */
    size_t max_last;                     /* observation with latest last */
};

struct search {
    const struct fusion_observation *const *obs;
    size_t n;
    size_t must;
    const size_t *cand;  /* candidates of every leaf, back to back */
    const size_t *start; /* leaf i: cand[start[i] .. start[i + 1]) */
    unsigned long steps;
    enum fusion_err rc;
    struct fusion_pattern_result *res;
};

/* Returns true to stop the search (match found or failure recorded). */
typedef bool (*emit_fn)(struct search *s, const struct binding *b, void *ctx);

static bool enum_node(struct search *s, const struct fusion_pattern_obs *node,
                      size_t nquals, emit_fn fn, void *ctx);

static bool
spend(struct search *s)
{
    if (++s->steps <= EVAL_MAX_STEPS)
        return true;
    s->rc = FUSION_ERR_LIMIT;
    return false;
}

static const struct fusion_ts *
first_of(const struct search *s, size_t i)
{
    assert(i < s->n);
    return &s->obs[i]->first;
}

static const struct fusion_ts *
last_of(const struct search *s, size_t i)
{
    assert(i < s->n);
    return &s->obs[i]->last;
}

/* Unites a and b into out when they share no observation and fit. */
static bool
merge(const struct search *s, const struct binding *a, const struct binding *b,
      struct binding *out)
{
    size_t i = 0, j = 0, k = 0;

    if (!a->n) {
        *out = *b;
        return true;
    }
    if (a->n + b->n > FUSION_PATTERN_MAX_USED)
        return false;
    while (i < a->n || j < b->n) {
        if (j == b->n || (i < a->n && a->ids[i] < b->ids[j]))
            out->ids[k++] = a->ids[i++];
        else if (i == a->n || b->ids[j] < a->ids[i])
            out->ids[k++] = b->ids[j++];
        else
            return false;
    }
    assert(k == a->n + b->n);
    out->n = k;
    out->min_first = fusion_ts_compare(first_of(s, b->min_first),
                                       first_of(s, a->min_first)) < 0
                         ? b->min_first
                         : a->min_first;
    out->max_first = fusion_ts_compare(first_of(s, b->max_first),
                                       first_of(s, a->max_first)) > 0
                         ? b->max_first
                         : a->max_first;
    out->max_last =
        fusion_ts_compare(last_of(s, b->max_last), last_of(s, a->max_last)) > 0
            ? b->max_last
            : a->max_last;
    return true;
}

static bool
enum_leaf(struct search *s, const struct fusion_pattern_obs *node, emit_fn fn,
          void *ctx)
{
    struct binding b = { .n = 1 };

    for (size_t i = s->start[node->leaf]; i < s->start[node->leaf + 1]; i++) {
        if (!spend(s))
            return true;
        b.ids[0] = b.min_first = b.max_first = b.max_last = s->cand[i];
        if (fn(s, &b, ctx))
            return true;
    }
    return false;
}

/* Partial binding of AND or FOLLOWEDBY: operands [0, next) bound. */
struct join_frame {
    const struct fusion_pattern_obs *node;
    size_t next;
    struct binding acc;
    emit_fn fn;
    void *ctx;
};

static bool
join_emit(struct search *s, const struct binding *b, void *ctx)
{
    const struct join_frame *f = ctx;
    struct join_frame g;

    assert(f->next < f->node->nkids);
    if (!spend(s))
        return true;
    /*
     * FOLLOWEDBY is left-associative: every observation bound so far
     * must come no later (by first) than every one of the next operand.
     */
    if (f->node->kind == FUSION_PATTERN_OBS_FOLLOWEDBY && f->next > 0 &&
        fusion_ts_compare(first_of(s, f->acc.max_first),
                          first_of(s, b->min_first)) > 0)
        return false;
    if (!merge(s, &f->acc, b, &g.acc))
        return false;
    if (f->next + 1 == f->node->nkids)
        return f->fn(s, &g.acc, f->ctx);
    g.node = f->node;
    g.next = f->next + 1;
    g.fn = f->fn;
    g.ctx = f->ctx;
    return enum_node(s, g.node->kids[g.next], g.node->kids[g.next]->nquals,
                     join_emit, &g);
}

static bool
enum_base(struct search *s, const struct fusion_pattern_obs *node, emit_fn fn,
          void *ctx)
{
    struct join_frame f;

    switch (node->kind) {
    case FUSION_PATTERN_OBS_LEAF:
        return enum_leaf(s, node, fn, ctx);
    case FUSION_PATTERN_OBS_GROUP:
        assert(node->nkids == 1);
        return enum_node(s, node->kids[0], node->kids[0]->nquals, fn, ctx);
    case FUSION_PATTERN_OBS_OR:
        for (size_t i = 0; i < node->nkids; i++) {
            if (enum_node(s, node->kids[i], node->kids[i]->nquals, fn, ctx))
                return true;
        }
        return false;
    default:
        assert(node->kind == FUSION_PATTERN_OBS_AND ||
               node->kind == FUSION_PATTERN_OBS_FOLLOWEDBY);
        assert(node->nkids >= 2);
        memset(&f, 0, sizeof(f));
        f.node = node;
        f.fn = fn;
        f.ctx = ctx;
        return enum_node(s, node->kids[0], node->kids[0]->nquals, join_emit,
                         &f);
    }
}

/* A qualifier that filters: WITHIN or START/STOP. */
struct filter_frame {
    const struct fusion_pattern_qual *q;
    emit_fn fn;
    void *ctx;
};

/* True when to - from < secs, exactly to the nanosecond. */
static bool
span_below(const struct fusion_ts *from, const struct fusion_ts *to,
           double secs)
{
    int64_t ds, dn, ws, wn;

    if (secs >= 9.0e18)
        return true;
    ws = (int64_t)secs;
    wn = (int64_t)((secs - (double)ws) * 1e9 + 0.5);
    if (wn >= 1000000000) {
        ws++;
        wn -= 1000000000;
    }
    ds = to->sec - from->sec;
    dn = (int64_t)to->nsec - (int64_t)from->nsec;
    if (dn < 0) {
        ds--;
        dn += 1000000000;
    }
    return ds < ws || (ds == ws && dn < wn);
}

static bool
filter_emit(struct search *s, const struct binding *b, void *ctx)
{
    const struct filter_frame *f = ctx;
    const struct fusion_pattern_qual *q = f->q;
    bool pass;

    if (!spend(s))
        return true;
    if (q->kind == FUSION_PATTERN_QUAL_WITHIN) {
        pass = span_below(first_of(s, b->min_first), last_of(s, b->max_last),
                          q->within_secs);
    } else {
        assert(q->kind == FUSION_PATTERN_QUAL_STARTSTOP);
        pass = fusion_ts_compare(first_of(s, b->min_first),
                                 &q->start.u.ts.ts) >= 0 &&
               fusion_ts_compare(last_of(s, b->max_last), &q->stop.u.ts.ts) < 0;
    }
    return pass && f->fn(s, b, f->ctx);
}

/*
 * REPEATS k: k bindings of the operand, pairwise disjoint. Taking them
 * in ascending order of their smallest observation finds each set once
 * instead of in all k! orders.
 */
struct repeat_frame {
    const struct fusion_pattern_obs *node;
    size_t nquals; /* qualifiers of node that make up the operand */
    int64_t want;
    int64_t have;
    struct binding acc;
    size_t last_min; /* smallest observation of the latest binding */
    emit_fn fn;
    void *ctx;
};

static bool
repeat_emit(struct search *s, const struct binding *b, void *ctx)
{
    const struct repeat_frame *f = ctx;
    struct repeat_frame g;

    assert(b->n > 0 && f->have < f->want);
    if (!spend(s))
        return true;
    if (f->have > 0 && b->ids[0] <= f->last_min)
        return false;
    if (!merge(s, &f->acc, b, &g.acc))
        return false;
    if (f->have + 1 == f->want)
        return f->fn(s, &g.acc, f->ctx);
    g.node = f->node;
    g.nquals = f->nquals;
    g.want = f->want;
    g.have = f->have + 1;
    g.last_min = b->ids[0];
    g.fn = f->fn;
    g.ctx = f->ctx;
    return enum_node(s, g.node, g.nquals, repeat_emit, &g);
}

/*
 * The bindings of node with its first nquals qualifiers applied;
 * qualifiers apply in order, quals[0] first.
 */
static bool
enum_node(struct search *s, const struct fusion_pattern_obs *node,
          size_t nquals, emit_fn fn, void *ctx)
{
    const struct fusion_pattern_qual *q;
    struct filter_frame ff;
    struct repeat_frame rf;

    assert(nquals <= node->nquals);
    if (nquals == 0)
        return enum_base(s, node, fn, ctx);
    q = &node->quals[nquals - 1];
    if (q->kind != FUSION_PATTERN_QUAL_REPEATS) {
        ff.q = q;
        ff.fn = fn;
        ff.ctx = ctx;
        return enum_node(s, node, nquals - 1, filter_emit, &ff);
    }
    /* REPEATS 0 TIMES, which the checker rejects, matches nothing */
    if (q->repeats <= 0)
        return false;
    memset(&rf, 0, sizeof(rf));
    rf.node = node;
    rf.nquals = nquals - 1;
    rf.want = q->repeats;
    rf.fn = fn;
    rf.ctx = ctx;
    return enum_node(s, node, nquals - 1, repeat_emit, &rf);
}

static bool
top_emit(struct search *s, const struct binding *b, void *ctx)
{
    bool has_must = s->must >= s->n;

    (void)ctx;
    assert(b->n > 0 && b->n <= FUSION_PATTERN_MAX_USED);
    for (size_t i = 0; i < b->n && !has_must; i++)
        has_must = b->ids[i] == s->must;
    if (!has_must)
        return false;
    s->res->matched = true;
    s->res->nused = b->n;
    memcpy(s->res->used, b->ids, b->n * sizeof(b->ids[0]));
    return true;
}

/*
 * Finds, for every leaf, the observations it holds for: cand holds the
 * lists back to back, start[i] where leaf i's begins. obs[must] goes
 * first in each list, so that matches using it are met early.
 */
static enum fusion_err
find_candidates(const struct fusion_pattern_prog *prog,
                const struct fusion_observation *const *obs, size_t n,
                size_t must, size_t **cand_out, size_t *start,
                struct fusion_error *err)
{
    size_t nleaves = prog->pattern->nleaves, len = 0, cap = 0;
    size_t *cand = NULL;
    struct obs_ctx oc;
    enum fusion_err rc = FUSION_OK;

    obs_ctx_init(&oc, prog);
    for (size_t l = 0; l < nleaves && !rc; l++) {
        start[l] = len;
        for (size_t k = 0; k < n && !rc; k++) {
            size_t i = must < n ? (k == 0 ? must : (k <= must ? k - 1 : k)) : k;

            if (!leaf_holds(&oc, prog->leaves[l], obs[i])) {
                rc = oc.rc;
                continue;
            }
            if (len == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                size_t *p = ncap < SIZE_MAX / sizeof(*p)
                                ? fusion_realloc(cand, ncap * sizeof(*p))
                                : NULL;

                if (!p) {
                    rc = FUSION_ERR_NOMEM;
                    break;
                }
                cand = p;
                cap = ncap;
            }
            cand[len++] = i;
        }
    }
    start[nleaves] = len;
    obs_ctx_release(&oc);
    if (rc) {
        fusion_free(cand);
        return fusion_error_set(err, rc, "out of memory");
    }
    *cand_out = cand;
    return FUSION_OK;
}

/*
 * Public entry points
 */

/* Frees what prog holds except its pattern, and prog. */
static void
prog_release(struct fusion_pattern_prog *prog)
{
    for (size_t i = 0; prog->cmps && i < prog->pattern->ncmp; i++) {
        struct cmp_prog *cp = &prog->cmps[i];

        pcre2_code_free(cp->re);
        for (size_t k = 0; k < cp->nlatin1; k++)
            fusion_free(cp->latin1[k].ptr);
        fusion_free(cp->latin1);
    }
    pcre2_match_context_free(prog->mctx);
    pcre2_compile_context_free(prog->cctx);
    pcre2_general_context_free(prog->gctx);
    fusion_free(prog->cmps);
    fusion_free(prog->leaves);
    fusion_free(prog);
}

/*
 * Compiles pattern into a new prog that refers to it but does not own
 * it; a probe only shows that it compiles, so its regexes skip the JIT.
 */
static enum fusion_err
prog_build(const struct fusion_pattern *pattern, bool probe,
           struct fusion_pattern_prog **out, struct fusion_error *err)
{
    struct fusion_pattern_prog *prog;
    enum fusion_err rc;
    size_t min;

    *out = NULL;
    assert(pattern->root && pattern->nleaves > 0 && pattern->ncmp > 0);
    prog = fusion_calloc(1, sizeof(*prog));
    if (!prog)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    prog->pattern = (struct fusion_pattern *)pattern;
    prog->probe = probe;
    prog->cmps = fusion_calloc(pattern->ncmp, sizeof(*prog->cmps));
    prog->leaves = fusion_calloc(pattern->nleaves, sizeof(*prog->leaves));
    rc = prog->cmps && prog->leaves ? prog_contexts(prog) : FUSION_ERR_NOMEM;
    if (rc)
        fusion_error_set(err, rc, "out of memory");
    else
        rc = compile_obs(prog, pattern->root, &min, err);
    if (rc) {
        prog_release(prog);
        return rc;
    }
    for (size_t i = 0; i < pattern->ncmp; i++)
        assert(prog->cmps[i].cmp);
    *out = prog;
    return FUSION_OK;
}

enum fusion_err
fusion_pattern_compile(struct fusion_pattern *pattern,
                       struct fusion_pattern_prog **out,
                       struct fusion_error *err)
{
    enum fusion_err rc;

    assert(out);
    *out = NULL;
    if (!pattern)
        return fusion_error_set(err, FUSION_ERR_INVALID, "no pattern");
    fusion_pattern_hash_names(pattern);
    rc = prog_build(pattern, false, out, err);
    if (rc)
        fusion_pattern_free(pattern);
    return rc;
}

enum fusion_err
pattern_compile_probe(const struct fusion_pattern *pattern,
                      struct fusion_error *err)
{
    struct fusion_pattern_prog *prog;
    enum fusion_err rc;

    assert(pattern);
    rc = prog_build(pattern, true, &prog, err);
    if (!rc)
        prog_release(prog);
    return rc;
}

void
fusion_pattern_prog_free(struct fusion_pattern_prog *prog)
{
    struct fusion_pattern *pattern;

    if (!prog)
        return;
    pattern = prog->pattern;
    prog_release(prog);
    fusion_pattern_free(pattern);
}

const struct fusion_pattern *
fusion_pattern_prog_pattern(const struct fusion_pattern_prog *prog)
{
    assert(prog);
    return prog->pattern;
}

bool
fusion_pattern_prog_single(const struct fusion_pattern_prog *prog)
{
    const struct fusion_pattern_obs *root;

    assert(prog);
    root = prog->pattern->root;
    return root->kind == FUSION_PATTERN_OBS_LEAF && root->nquals == 0;
}

bool
fusion_pattern_prog_within(const struct fusion_pattern_prog *prog,
                           const struct fusion_observation *a,
                           const struct fusion_observation *b)
{
    const struct fusion_pattern_obs *root;
    const struct fusion_ts *first, *last;

    assert(prog && a && b);
    root = prog->pattern->root;
    first =
        fusion_ts_compare(&a->first, &b->first) <= 0 ? &a->first : &b->first;
    last = fusion_ts_compare(&a->last, &b->last) >= 0 ? &a->last : &b->last;
    for (size_t i = 0; i < root->nquals; i++) {
        const struct fusion_pattern_qual *q = &root->quals[i];

        if (q->kind == FUSION_PATTERN_QUAL_WITHIN &&
            !span_below(first, last, q->within_secs))
            return false;
    }
    return true;
}

size_t
fusion_pattern_prog_leaves(const struct fusion_pattern_prog *prog)
{
    assert(prog);
    return prog->pattern->nleaves;
}

bool
fusion_pattern_leaf_match(const struct fusion_pattern_prog *prog, size_t leaf,
                          const struct fusion_observation *obs)
{
    struct obs_ctx oc;
    bool held;

    assert(prog && obs);
    if (leaf >= prog->pattern->nleaves)
        return false;
    obs_ctx_init(&oc, prog);
    held = leaf_holds(&oc, prog->leaves[leaf], obs);
    obs_ctx_release(&oc);
    return held && !oc.rc;
}

enum fusion_err
fusion_pattern_eval(const struct fusion_pattern_prog *prog,
                    const struct fusion_observation *const *obs, size_t n,
                    size_t must, struct fusion_pattern_result *res,
                    struct fusion_error *err)
{
    struct search s;
    size_t *cand = NULL, *start;
    const struct fusion_pattern_obs *root;
    bool must_used = must >= n;
    enum fusion_err rc;

    assert(prog && res && (obs || !n));
    memset(res, 0, sizeof(*res));
    if (!n)
        return FUSION_OK;
    start = fusion_calloc(prog->pattern->nleaves + 1, sizeof(*start));
    if (!start)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    rc = find_candidates(prog, obs, n, must, &cand, start, err);
    if (rc)
        goto out;
    /* a match uses only observations some leaf holds for */
    for (size_t l = 0; l < prog->pattern->nleaves && !must_used; l++)
        must_used = start[l] < start[l + 1] && cand[start[l]] == must;
    if (!must_used)
        goto out;

    memset(&s, 0, sizeof(s));
    s.obs = obs;
    s.n = n;
    s.must = must;
    s.cand = cand;
    s.start = start;
    s.res = res;
    root = prog->pattern->root;
    (void)enum_node(&s, root, root->nquals, top_emit, NULL);
    rc = s.rc;
    if (rc == FUSION_ERR_LIMIT) {
        memset(res, 0, sizeof(*res));
        fusion_error_set(err, rc,
                         "pattern evaluation exceeded %u steps over %zu "
                         "observations",
                         (unsigned)EVAL_MAX_STEPS, n);
    }
out:
    fusion_free(cand);
    fusion_free(start);
    return rc;
}
