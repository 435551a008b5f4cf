/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Terms for an index of many patterns: the comparisons of a pattern an
 * index can look up, and the same (type, path, value) text for an SCO.
 */
#include <assert.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "pattern/pattern_int.h"

/* What one comparison or boolean expression offers as anchor terms. */
struct anchor {
    bool ok;        /* every match satisfies one of the terms */
    bool subset;    /* some of them are SUBSET terms */
    size_t nterms;  /* how many terms (fewer is a sharper anchor) */
    bool only_eq;   /* an OR of plain EQUAL comparisons only */
    bool has_index; /* some path has an [n] step */
};

/*
 * Longest path text of a term, with its NUL. A pattern path that might
 * print longer gets no terms, so the observation side never needs more.
 */
#define TERM_PATH_MAX 1024

struct terms_walk {
    fusion_pattern_term_fn fn;
    void *ctx;
    size_t leaf;
    struct fusion_buf path; /* reused for every comparison */
};

static bool
ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/*
 * Appends one key step as the printer writes it, so that both sides of
 * the index quote a component the same way.
 */
static enum fusion_err
put_key(struct fusion_buf *out, const char *key, size_t len, bool first)
{
    struct fusion_pattern_step step = {
        .kind = FUSION_PATTERN_STEP_KEY,
        .key = key,
        .key_len = len,
    };
    struct fusion_pattern_path one = { .steps = &step, .nsteps = 1 };
    enum fusion_err rc = FUSION_OK;

    if (!first)
        rc = fusion_buf_putc(out, '.');
    return rc ? rc : pattern_print_path_steps(&one, out);
}

/*
 * A term's path is the canonical path text, except that an [n] step is
 * written [*]: an element at index n that equals a value is also some
 * element that does, which is what the other side offers.
 */
static enum fusion_err
put_path(struct fusion_buf *out, const struct fusion_pattern_path *path)
{
    enum fusion_err rc = FUSION_OK;

    fusion_buf_clear(out);
    for (size_t i = 0; !rc && i < path->nsteps; i++) {
        const struct fusion_pattern_step *st = &path->steps[i];

        if (st->kind == FUSION_PATTERN_STEP_KEY)
            rc = put_key(out, st->key, st->key_len, i == 0);
        else
            rc = fusion_buf_puts(out, "[*]");
    }
    return rc;
}

/*
 * Whether the observation side can offer a value at this path: keys no
 * deeper than FUSION_PATTERN_TERM_DEPTH, no binary property (its JSON
 * text is base64 or hex, not the bytes compared), and no NUL in the type.
 */
static bool
path_is_indexable(const struct fusion_pattern_path *path, bool *has_index)
{
    size_t keys = 0, bound = 0;

    assert(path->nsteps > 0);
    *has_index = false;
    if (strlen(path->type) != path->type_len)
        return false;
    for (size_t i = 0; i < path->nsteps; i++) {
        const struct fusion_pattern_step *st = &path->steps[i];

        /* a quoted key doubles at worst, plus quotes and a dot */
        bound += st->kind == FUSION_PATTERN_STEP_KEY ? 2 * st->key_len + 3 : 3;
        if (st->kind == FUSION_PATTERN_STEP_INDEX) {
            *has_index = true;
            continue;
        }
        if (st->kind != FUSION_PATTERN_STEP_KEY)
            continue;
        keys++;
        if (ends_with(st->key, st->key_len, "_bin") ||
            ends_with(st->key, st->key_len, "_hex"))
            return false;
    }
    return keys <= FUSION_PATTERN_TERM_DEPTH && bound < TERM_PATH_MAX;
}

static struct anchor
cmp_anchor(const struct fusion_pattern_cmp *cmp)
{
    struct anchor a = { .ok = false };
    const struct fusion_pattern_lit *lit = &cmp->lit;

    if (cmp->negated || !path_is_indexable(&cmp->path, &a.has_index))
        return a;
    switch (cmp->op) {
    case FUSION_PATTERN_OP_EQ:
        a.ok = lit->kind == FUSION_PATTERN_LIT_STRING;
        a.nterms = 1;
        break;
    case FUSION_PATTERN_OP_IN:
        assert(lit->kind == FUSION_PATTERN_LIT_SET);
        a.ok = lit->u.set.count > 0;
        for (size_t i = 0; i < lit->u.set.count; i++)
            a.ok =
                a.ok && lit->u.set.items[i].kind == FUSION_PATTERN_LIT_STRING;
        a.nterms = lit->u.set.count;
        break;
    case FUSION_PATTERN_OP_ISSUBSET:
        a.ok = lit->kind == FUSION_PATTERN_LIT_STRING;
        a.nterms = 1;
        a.subset = true;
        break;
    default:
        break;
    }
    a.only_eq = a.ok && !a.subset;
    return a;
}

/* True when a is a sharper anchor than b: EQUAL before SUBSET, then fewer. */
static bool
anchor_better(const struct anchor *a, const struct anchor *b)
{
    if (!b->ok)
        return a->ok;
    if (!a->ok)
        return false;
    if (a->subset != b->subset)
        return !a->subset;
    return a->nterms < b->nterms;
}

/*
 * The anchor of a boolean expression, and for AND the kid chosen (the
 * walk that emits terms makes the same choice). A match of an AND
 * satisfies every kid, so one kid's terms are enough; a match of an OR
 * satisfies some kid, so all kids need terms.
 */
static struct anchor
cexpr_anchor(const struct fusion_pattern_cexpr *node, size_t *chosen)
{
    struct anchor best = { .ok = false }, a;

    assert(node);
    if (node->kind == FUSION_PATTERN_CEXPR_CMP)
        return cmp_anchor(node->cmp);
    assert(node->nkids >= 2);
    if (node->kind == FUSION_PATTERN_CEXPR_AND) {
        for (size_t i = 0; i < node->nkids; i++) {
            a = cexpr_anchor(node->kids[i], NULL);
            if (anchor_better(&a, &best)) {
                best = a;
                if (chosen)
                    *chosen = i;
            }
        }
        best.only_eq = false;
        return best;
    }
    best.ok = true;
    best.only_eq = true;
    for (size_t i = 0; i < node->nkids; i++) {
        a = cexpr_anchor(node->kids[i], NULL);
        best.ok = best.ok && a.ok;
        best.subset = best.subset || a.subset;
        best.only_eq = best.only_eq && a.only_eq;
        best.has_index = best.has_index || a.has_index;
        best.nterms += a.nterms;
    }
    return best;
}

/* True when every observation expression below node has an anchor. */
static bool
obs_anchored(const struct fusion_pattern_obs *node)
{
    assert(node);
    if (node->kind == FUSION_PATTERN_OBS_LEAF)
        return cexpr_anchor(node->cexpr, NULL).ok;
    for (size_t i = 0; i < node->nkids; i++) {
        if (!obs_anchored(node->kids[i]))
            return false;
    }
    return true;
}

static enum fusion_pattern_shape
pattern_shape(const struct fusion_pattern *pattern)
{
    const struct fusion_pattern_obs *root = pattern->root;
    struct anchor a;

    if (!obs_anchored(root))
        return FUSION_PATTERN_SCAN;
    if (root->kind != FUSION_PATTERN_OBS_LEAF || root->nquals > 0)
        return FUSION_PATTERN_ANCHORED;
    a = cexpr_anchor(root->cexpr, NULL);
    assert(a.ok);
    return a.only_eq && !a.has_index ? FUSION_PATTERN_SIMPLE
                                     : FUSION_PATTERN_ANCHORED;
}

static enum fusion_err
emit(struct terms_walk *w, const struct fusion_pattern_cmp *cmp,
     const struct fusion_pattern_lit *lit)
{
    struct fusion_pattern_term term = {
        .kind = cmp->op == FUSION_PATTERN_OP_ISSUBSET
                    ? FUSION_PATTERN_TERM_SUBSET
                    : FUSION_PATTERN_TERM_EQUAL,
        .leaf = w->leaf,
        .type = cmp->path.type,
        .path = w->path.data,
        .value = lit->u.str.ptr,
        .value_len = lit->u.str.len,
    };

    assert(lit->kind == FUSION_PATTERN_LIT_STRING);
    return w->fn(w->ctx, &term);
}

static enum fusion_err
cmp_terms(struct terms_walk *w, const struct fusion_pattern_cmp *cmp)
{
    const struct fusion_pattern_lit *lit = &cmp->lit;
    enum fusion_err rc = put_path(&w->path, &cmp->path);

    if (rc)
        return rc;
    if (lit->kind != FUSION_PATTERN_LIT_SET)
        return emit(w, cmp, lit);
    for (size_t i = 0; !rc && i < lit->u.set.count; i++)
        rc = emit(w, cmp, &lit->u.set.items[i]);
    return rc;
}

static enum fusion_err
cexpr_terms(struct terms_walk *w, const struct fusion_pattern_cexpr *node)
{
    enum fusion_err rc = FUSION_OK;
    size_t chosen = 0;
    struct anchor a;

    if (node->kind == FUSION_PATTERN_CEXPR_CMP)
        return cmp_terms(w, node->cmp);
    if (node->kind == FUSION_PATTERN_CEXPR_AND) {
        a = cexpr_anchor(node, &chosen);
        assert(a.ok && chosen < node->nkids);
        (void)a;
        return cexpr_terms(w, node->kids[chosen]);
    }
    for (size_t i = 0; !rc && i < node->nkids; i++)
        rc = cexpr_terms(w, node->kids[i]);
    return rc;
}

/* Leaves are numbered in text order, as the evaluator numbers them. */
static enum fusion_err
obs_terms(struct terms_walk *w, const struct fusion_pattern_obs *node)
{
    enum fusion_err rc = FUSION_OK;

    if (node->kind == FUSION_PATTERN_OBS_LEAF) {
        rc = cexpr_terms(w, node->cexpr);
        w->leaf++;
        return rc;
    }
    for (size_t i = 0; !rc && i < node->nkids; i++)
        rc = obs_terms(w, node->kids[i]);
    return rc;
}

enum fusion_err
fusion_pattern_terms(const struct fusion_pattern *pattern,
                     enum fusion_pattern_shape *shape,
                     fusion_pattern_term_fn fn, void *ctx)
{
    struct terms_walk w = { .fn = fn, .ctx = ctx };
    enum fusion_err rc;

    assert(pattern && pattern->root && shape && fn);
    *shape = pattern_shape(pattern);
    if (*shape == FUSION_PATTERN_SCAN)
        return FUSION_OK;
    fusion_buf_init(&w.path, FUSION_PATTERN_MAX_LEN * 2);
    rc = obs_terms(&w, pattern->root);
    fusion_buf_release(&w.path);
    return rc;
}

static bool
key_is(const struct fusion_pattern_step *st, const char *name)
{
    return st->kind == FUSION_PATTERN_STEP_KEY && st->key_len == strlen(name) &&
           memcmp(st->key, name, st->key_len) == 0;
}

bool
pattern_hex_algorithm(const char *name, size_t len)
{
    static const char *const text_digests[] = { "SSDEEP", "TLSH" };

    if (len >= 2 && name[0] == '\'' && name[len - 1] == '\'') {
        name++;
        len -= 2;
    }
    for (size_t i = 0; i < sizeof(text_digests) / sizeof(text_digests[0]);
         i++) {
        if (strlen(text_digests[i]) == len &&
            strncasecmp(text_digests[i], name, len) == 0)
            return false;
    }
    return len > 0;
}

/*
 * The names of the hash-algorithm-ov vocabulary (STIX 2.1 section
 * 10.3) with the spellings found in the wild: the same letters in any
 * case, with or without '-'.
 */
static const char *const hash_names[] = {
    "MD5",      "SHA-1",    "SHA-256", "SHA-512",
    "SHA3-256", "SHA3-512", "SSDEEP",  "TLSH",
};

const char *
fusion_pattern_hash_name(const char *key, size_t len)
{
    for (size_t k = 0; k < sizeof(hash_names) / sizeof(hash_names[0]); k++) {
        const char *name = hash_names[k];
        size_t i = 0, j = 0;

        while (i < len || name[j]) {
            if (i < len && key[i] == '-') {
                i++;
            } else if (name[j] == '-') {
                j++;
            } else if (i < len && name[j] &&
                       toupper((unsigned char)key[i]) == name[j]) {
                i++;
                j++;
            } else {
                break;
            }
        }
        if (i == len && !name[j])
            return strlen(name) == len && memcmp(name, key, len) == 0 ? NULL
                                                                      : name;
    }
    return NULL;
}

static void
hash_names_cexpr(struct fusion_pattern_cexpr *ce)
{
    if (ce->kind != FUSION_PATTERN_CEXPR_CMP) {
        for (size_t i = 0; i < ce->nkids; i++)
            hash_names_cexpr(ce->kids[i]);
        return;
    }
    for (size_t i = 1; i < ce->cmp->path.nsteps; i++) {
        struct fusion_pattern_step *alg = &ce->cmp->path.steps[i];
        const struct fusion_pattern_step *parent = &ce->cmp->path.steps[i - 1];
        const char *name;

        if (alg->kind != FUSION_PATTERN_STEP_KEY ||
            parent->kind != FUSION_PATTERN_STEP_KEY || parent->key_len != 6 ||
            memcmp(parent->key, "hashes", 6) != 0)
            continue;
        name = fusion_pattern_hash_name(alg->key, alg->key_len);
        if (name) {
            alg->key = name;
            alg->key_len = strlen(name);
        }
    }
}

static void
hash_names_obs(struct fusion_pattern_obs *node)
{
    if (node->kind == FUSION_PATTERN_OBS_LEAF)
        hash_names_cexpr(node->cexpr);
    for (size_t i = 0; i < node->nkids; i++)
        hash_names_obs(node->kids[i]);
}

void
fusion_pattern_hash_names(struct fusion_pattern *pattern)
{
    assert(pattern && pattern->root);
    hash_names_obs(pattern->root);
}

bool
pattern_folds_keys(const char *parent, size_t parent_len, const char *last,
                   size_t last_len)
{
    if (!parent)
        return last_len == 13 && memcmp(last, "serial_number", 13) == 0;
    return parent_len == 6 && memcmp(parent, "hashes", 6) == 0 &&
           pattern_hex_algorithm(last, last_len);
}

bool
fusion_pattern_path_folds(const char *path, size_t len)
{
    size_t prev = 0, last = 0;
    bool quoted = false;

    /* steps start after each '.' outside quotes */
    for (size_t i = 0; i < len; i++) {
        if (path[i] == '\\' && quoted) {
            i++;
        } else if (path[i] == '\'') {
            quoted = !quoted;
        } else if (path[i] == '.' && !quoted) {
            prev = last;
            last = i + 1;
        } else if (path[i] == '[' && !quoted) {
            return false;
        }
    }
    if (last == 0)
        return pattern_folds_keys(NULL, 0, path, len);
    return pattern_folds_keys(path + prev, last - 1 - prev, path + last,
                              len - last);
}

/*
 * A path reads a name when a step is id or spec_version, or its last key
 * step is a _ref or _refs property itself rather than one reached
 * through it.
 */
static bool
path_reads_ids(const struct fusion_pattern_path *path)
{
    const struct fusion_pattern_step *last = NULL;

    for (size_t i = 0; i < path->nsteps; i++) {
        const struct fusion_pattern_step *st = &path->steps[i];

        if (key_is(st, "id") || key_is(st, "spec_version"))
            return true;
        if (st->kind == FUSION_PATTERN_STEP_KEY)
            last = st;
    }
    return last && (ends_with(last->key, last->key_len, "_ref") ||
                    ends_with(last->key, last->key_len, "_refs"));
}

static bool
cexpr_reads_ids(const struct fusion_pattern_cexpr *node)
{
    assert(node);
    if (node->kind == FUSION_PATTERN_CEXPR_CMP)
        return path_reads_ids(&node->cmp->path);
    for (size_t i = 0; i < node->nkids; i++) {
        if (cexpr_reads_ids(node->kids[i]))
            return true;
    }
    return false;
}

static bool
obs_reads_ids(const struct fusion_pattern_obs *node)
{
    assert(node);
    if (node->kind == FUSION_PATTERN_OBS_LEAF)
        return cexpr_reads_ids(node->cexpr);
    for (size_t i = 0; i < node->nkids; i++) {
        if (obs_reads_ids(node->kids[i]))
            return true;
    }
    return false;
}

bool
fusion_pattern_reads_ids(const struct fusion_pattern *pattern)
{
    assert(pattern && pattern->root);
    return obs_reads_ids(pattern->root);
}

/*
 * The observation side: a depth-first walk over the members of one SCO,
 * following _ref and _refs[*] to the other SCOs of the observation. The
 * path is built in place; a path that would not fit is one no pattern
 * term has (path_is_indexable keeps them shorter), so it is skipped.
 */
struct obs_walk {
    const struct fusion_observation *obs;
    fusion_pattern_path_fn filter; /* NULL: every path */
    fusion_pattern_term_fn fn;
    void *ctx;
    const char *type; /* of the root SCO */
    size_t len;
    char path[TERM_PATH_MAX];
};

static enum fusion_err walk_value(struct obs_walk *w, const json_t *value,
                                  const char *key, size_t klen, size_t keys);

static const json_t *
find_ref(const struct fusion_observation *obs, const char *name)
{
    for (size_t i = 0; i < obs->count; i++) {
        if (obs->refs[i] && strcmp(obs->refs[i], name) == 0)
            return obs->objects[i];
    }
    return NULL;
}

/*
 * The printer's rule: a key goes bare when it lexes as an identifier
 * and is no keyword. Keywords are letters only, so a key with a '_' or
 * a digit need not be looked up.
 */
static bool
key_is_plain(const char *s, size_t len)
{
    bool letters = true;

    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            continue;
        if (!(c == '_' || (i > 0 && c >= '0' && c <= '9')))
            return false;
        letters = false;
    }
    if (!letters)
        return true;
    /*
     * Keywords are upper case but for true and false, so the usual
     * lower-case property names need no lookup.
     */
    if (s[0] >= 'a' && s[0] <= 'z')
        return !((len == 4 && memcmp(s, "true", 4) == 0) ||
                 (len == 5 && memcmp(s, "false", 5) == 0));
    return !pattern_is_keyword(s, len);
}

/* Appends a key step; *fits is false when the path would grow too long. */
static enum fusion_err
walk_put_key(struct obs_walk *w, const char *key, size_t len, bool *fits)
{
    bool first = w->len == 0;
    struct fusion_buf quoted;
    enum fusion_err rc;

    *fits = true;
    if (key_is_plain(key, len)) {
        if (w->len + len + 2 > sizeof(w->path)) {
            *fits = false;
            return FUSION_OK;
        }
        if (!first)
            w->path[w->len++] = '.';
        memcpy(w->path + w->len, key, len);
        w->len += len;
        w->path[w->len] = '\0';
        return FUSION_OK;
    }
    fusion_buf_init(&quoted, sizeof(w->path));
    rc = put_key(&quoted, key, len, first);
    if (rc == FUSION_ERR_LIMIT ||
        (!rc && w->len + quoted.len + 1 > sizeof(w->path))) {
        *fits = false;
        rc = FUSION_OK;
    } else if (!rc) {
        memcpy(w->path + w->len, quoted.data, quoted.len + 1);
        w->len += quoted.len;
    }
    fusion_buf_release(&quoted);
    return rc;
}

/* Whether the filter lets the walk visit the path built so far. */
static bool
walk_wanted(const struct obs_walk *w)
{
    return !w->filter || w->filter(w->ctx, w->path, w->len);
}

static void
walk_truncate(struct obs_walk *w, size_t mark)
{
    assert(mark <= w->len);
    w->len = mark;
    w->path[mark] = '\0';
}

/*
 * hash_keys: obj is a hashes dictionary, whose keys are written with
 * their vocabulary names (fusion_pattern_hash_name), as patterns are.
 */
static enum fusion_err
walk_object(struct obs_walk *w, const json_t *obj, size_t keys, bool hash_keys)
{
    size_t mark = w->len;
    enum fusion_err rc = FUSION_OK;
    const char *key;
    json_t *value;
    bool fits;

    assert(json_is_object(obj));
    if (keys >= FUSION_PATTERN_TERM_DEPTH)
        return FUSION_OK;
    json_object_foreach((json_t *)obj, key, value)
    {
        size_t klen = strlen(key);
        /* a name of its own: the iteration goes on from key */
        const char *name =
            hash_keys ? fusion_pattern_hash_name(key, klen) : NULL;

        if (name)
            klen = strlen(name);
        else
            name = key;
        rc = walk_put_key(w, name, klen, &fits);
        if (!rc && fits && walk_wanted(w))
            rc = walk_value(w, value, name, klen, keys + 1);
        walk_truncate(w, mark);
        if (rc)
            break;
    }
    return rc;
}

static enum fusion_err
walk_string(struct obs_walk *w, const json_t *value, const char *key,
            size_t klen, size_t keys)
{
    struct fusion_pattern_term term = {
        .kind = FUSION_PATTERN_TERM_EQUAL,
        .type = w->type,
        .path = w->path,
        .value = json_string_value(value),
        .value_len = json_string_length(value),
    };
    const json_t *target;
    enum fusion_err rc;

    rc = w->fn(w->ctx, &term);
    if (rc || !(ends_with(key, klen, "_ref") || ends_with(key, klen, "_refs")))
        return rc;
    target = find_ref(w->obs, term.value);
    if (!target || !json_is_object(target))
        return FUSION_OK;
    return walk_object(w, target, keys, false);
}

static enum fusion_err
walk_value(struct obs_walk *w, const json_t *value, const char *key,
           size_t klen, size_t keys)
{
    size_t mark = w->len;
    enum fusion_err rc = FUSION_OK;

    if (json_is_string(value))
        return walk_string(w, value, key, klen, keys);
    if (json_is_object(value))
        return walk_object(w, value, keys,
                           klen == 6 && memcmp(key, "hashes", 6) == 0);
    if (!json_is_array(value) || w->len + 4 > sizeof(w->path))
        return FUSION_OK;
    memcpy(w->path + w->len, "[*]", 4);
    w->len += 3;
    if (!walk_wanted(w)) {
        walk_truncate(w, mark);
        return FUSION_OK;
    }
    for (size_t i = 0; !rc && i < json_array_size(value); i++)
        rc = walk_value(w, json_array_get(value, i), key, klen, keys);
    walk_truncate(w, mark);
    return rc;
}

enum fusion_err
fusion_observation_terms_filtered(const struct fusion_observation *obs,
                                  size_t root, fusion_pattern_path_fn filter,
                                  fusion_pattern_term_fn fn, void *ctx)
{
    struct obs_walk w;
    const json_t *sco;

    assert(obs && fn && root < obs->count);
    sco = obs->objects[root];
    w.obs = obs;
    w.filter = filter;
    w.fn = fn;
    w.ctx = ctx;
    w.type = json_is_object(sco) ? fusion_stix_str(sco, "type") : NULL;
    if (!w.type)
        return FUSION_OK;
    w.len = 0;
    w.path[0] = '\0';
    return walk_object(&w, sco, 0, false);
}

enum fusion_err
fusion_observation_terms(const struct fusion_observation *obs, size_t root,
                         fusion_pattern_term_fn fn, void *ctx)
{
    return fusion_observation_terms_filtered(obs, root, NULL, fn, ctx);
}
