/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the pattern tests: the reader of the case files in
 * tests/data/pattern/ and a structural comparison of two syntax trees.
 */
#ifndef FUSION_TEST_PATTERN_CASES_H
#define FUSION_TEST_PATTERN_CASES_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/pattern_int.h"

/* One block of a case file: key -> value, in the order written. */
struct tcase {
    unsigned line; /* line of the first key, for messages */
    size_t nkeys;
    char *keys[8];
    char *values[8];
};

struct tcases {
    struct tcase *items;
    size_t count;
};

static inline const char *
tcase_get(const struct tcase *c, const char *key)
{
    for (size_t i = 0; i < c->nkeys; i++) {
        if (strcmp(c->keys[i], key) == 0)
            return c->values[i];
    }
    return NULL;
}

static inline char *
tcase_dup(const char *s, size_t n)
{
    char *p = malloc(n + 1);

    if (!p)
        abort();
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/*
 * Reads tests/data/pattern/<name>. "key: value" lines, the value taken
 * verbatim after ": "; '#' lines are comments; a blank line ends a case.
 */
static inline void
tcases_load(const char *name, struct tcases *out)
{
    const char *root = getenv("FUSION_SOURCE_ROOT");
    char path[4096], *line = NULL;
    size_t cap = 0, alloc = 0;
    struct tcase cur = { 0 };
    unsigned lineno = 0;
    ssize_t n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/tests/data/pattern/%s",
             root ? root : FUSION_SOURCE_ROOT, name);
    f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        abort();
    }
    out->items = NULL;
    out->count = 0;
    for (;;) {
        n = getline(&line, &cap, f);
        lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (n <= 0 && cur.nkeys) {
            if (out->count == alloc) {
                alloc = alloc ? alloc * 2 : 64;
                out->items = realloc(out->items, alloc * sizeof(cur));
                if (!out->items)
                    abort();
            }
            out->items[out->count++] = cur;
            memset(&cur, 0, sizeof(cur));
        }
        if (n < 0)
            break;
        if (n == 0 || line[0] == '#')
            continue;
        {
            char *colon = strchr(line, ':');
            size_t klen, vstart;

            if (!colon || cur.nkeys == 8) {
                fprintf(stderr, "%s:%u: bad line\n", path, lineno);
                abort();
            }
            klen = (size_t)(colon - line);
            vstart = klen + 1 + (colon[1] == ' ');
            if (!cur.nkeys)
                cur.line = lineno;
            cur.keys[cur.nkeys] = tcase_dup(line, klen);
            cur.values[cur.nkeys] =
                tcase_dup(line + vstart, (size_t)n - vstart);
            cur.nkeys++;
        }
    }
    free(line);
    fclose(f);
}

static inline void
tcases_free(struct tcases *cs)
{
    for (size_t i = 0; i < cs->count; i++) {
        for (size_t k = 0; k < cs->items[i].nkeys; k++) {
            free(cs->items[i].keys[k]);
            free(cs->items[i].values[k]);
        }
    }
    free(cs->items);
}

/*
 * Structural equality of two trees (offsets aside): what "parsing the
 * printed text gives the same tree" means.
 */
static inline bool
tree_bytes_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static inline bool
tree_lit_equal(const struct fusion_pattern_lit *a,
               const struct fusion_pattern_lit *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case FUSION_PATTERN_LIT_STRING:
    case FUSION_PATTERN_LIT_HEX:
    case FUSION_PATTERN_LIT_BINARY:
        return tree_bytes_equal(a->u.str.ptr, a->u.str.len, b->u.str.ptr,
                                b->u.str.len);
    case FUSION_PATTERN_LIT_INT:
        return a->u.i == b->u.i;
    case FUSION_PATTERN_LIT_FLOAT:
        return memcmp(&a->u.f, &b->u.f, sizeof(double)) == 0;
    case FUSION_PATTERN_LIT_BOOL:
        return a->u.b == b->u.b;
    case FUSION_PATTERN_LIT_TIMESTAMP:
        return a->u.ts.ts.ns == b->u.ts.ts.ns &&
               a->u.ts.ts.frac_digits == b->u.ts.ts.frac_digits &&
               a->u.ts.is_date == b->u.ts.is_date &&
               tree_bytes_equal(a->u.ts.text, a->u.ts.len, b->u.ts.text,
                                b->u.ts.len);
    case FUSION_PATTERN_LIT_SET:
        if (a->u.set.count != b->u.set.count)
            return false;
        for (size_t i = 0; i < a->u.set.count; i++) {
            if (!tree_lit_equal(&a->u.set.items[i], &b->u.set.items[i]))
                return false;
        }
        return true;
    }
    return false;
}

static inline bool
tree_cmp_equal(const struct fusion_pattern_cmp *a,
               const struct fusion_pattern_cmp *b)
{
    if (a->op != b->op || a->negated != b->negated ||
        strcmp(a->path.type, b->path.type) != 0 ||
        a->path.nsteps != b->path.nsteps)
        return false;
    for (size_t i = 0; i < a->path.nsteps; i++) {
        const struct fusion_pattern_step *x = &a->path.steps[i];
        const struct fusion_pattern_step *y = &b->path.steps[i];

        if (x->kind != y->kind || x->index != y->index ||
            (x->kind == FUSION_PATTERN_STEP_KEY &&
             !tree_bytes_equal(x->key, x->key_len, y->key, y->key_len)))
            return false;
    }
    return a->op == FUSION_PATTERN_OP_EXISTS ||
           tree_lit_equal(&a->lit, &b->lit);
}

static inline bool
tree_cexpr_equal(const struct fusion_pattern_cexpr *a,
                 const struct fusion_pattern_cexpr *b)
{
    if (a->kind != b->kind || a->nkids != b->nkids)
        return false;
    if (a->kind == FUSION_PATTERN_CEXPR_CMP)
        return tree_cmp_equal(a->cmp, b->cmp);
    for (size_t i = 0; i < a->nkids; i++) {
        if (!tree_cexpr_equal(a->kids[i], b->kids[i]))
            return false;
    }
    return true;
}

static inline bool
tree_qual_equal(const struct fusion_pattern_qual *a,
                const struct fusion_pattern_qual *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case FUSION_PATTERN_QUAL_WITHIN:
        return tree_lit_equal(&a->within, &b->within) &&
               a->within_secs == b->within_secs;
    case FUSION_PATTERN_QUAL_REPEATS:
        return a->repeats == b->repeats;
    case FUSION_PATTERN_QUAL_STARTSTOP:
        return tree_lit_equal(&a->start, &b->start) &&
               tree_lit_equal(&a->stop, &b->stop);
    }
    return false;
}

static inline bool
tree_obs_equal(const struct fusion_pattern_obs *a,
               const struct fusion_pattern_obs *b)
{
    if (a->kind != b->kind || a->nkids != b->nkids || a->nquals != b->nquals)
        return false;
    for (size_t i = 0; i < a->nquals; i++) {
        if (!tree_qual_equal(&a->quals[i], &b->quals[i]))
            return false;
    }
    if (a->kind == FUSION_PATTERN_OBS_LEAF)
        return tree_cexpr_equal(a->cexpr, b->cexpr);
    for (size_t i = 0; i < a->nkids; i++) {
        if (!tree_obs_equal(a->kids[i], b->kids[i]))
            return false;
    }
    return true;
}

#endif
