/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Needles: literal text that LIKE, MATCHES and = comparisons require of
 * a value, read from the explained form of a pattern.
 */
#include <assert.h>
#include <ctype.h>
#include <string.h>

#include "match/match_int.h"

/* A pattern string literal as the printer writes it, without its quotes. */
static bool
unquote(const char *lit, char *out, size_t size, size_t *len_out)
{
    size_t n = 0, len = strlen(lit);

    if (len < 2 || lit[0] != '\'' || lit[len - 1] != '\'')
        return false;
    for (size_t i = 1; i + 1 < len; i++) {
        if (lit[i] == '\\' && i + 2 < len)
            i++;
        if (n + 1 >= size)
            return false;
        out[n++] = lit[i];
    }
    out[n] = '\0';
    *len_out = n;
    return true;
}

/* Appends text[0..n) to set when it is long enough to file. */
static bool
add_literal(json_t *set, const char *text, size_t n)
{
    if (n < MATCH_GRAM || memchr(text, '\0', n))
        return true;
    return json_array_append_new(set, json_stringn(text, n)) == 0;
}

/* The runs between the wildcards % and _ of a LIKE constant. */
static bool
like_literals(const char *s, size_t len, json_t *set)
{
    size_t run = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '%' && s[i] != '_')
            continue;
        if (!add_literal(set, s + run, i - run))
            return false;
        run = i + 1;
    }
    return true;
}

/*
 * The runs of plain characters a regular expression requires, each
 * unescaped, into set. Anything it cannot read for sure (options,
 * alternation at the top, escapes of letters and digits, unusual
 * classes) gives none; a group, class, wildcard or anchor ends a run,
 * and a character followed by ?, * or { leaves it.
 */
static bool
regex_literals(const char *re, size_t len, json_t *set)
{
    size_t n = 0, depth = 0;
    char run[256];

    for (size_t i = 0; i < len; i++) {
        char c = re[i];
        bool literal = false;

        if (c == '(' && i + 1 < len && re[i + 1] == '?')
            return json_array_clear(set) == 0;
        if (c == '\\') {
            if (i + 1 >= len || isalnum((unsigned char)re[i + 1]))
                return json_array_clear(set) == 0;
            c = re[++i];
            literal = depth == 0;
        } else if (c == '(') {
            depth++;
        } else if (c == ')') {
            depth = depth ? depth - 1 : 0;
        } else if (c == '|' && depth == 0) {
            return json_array_clear(set) == 0;
        } else if (c == '[') {
            /* a class whose end is not plain to see gives up */
            if (i + 1 >= len || re[i + 1] == '^' || re[i + 1] == ']')
                return json_array_clear(set) == 0;
            for (i++; i < len && re[i] != ']'; i++) {
                if (re[i] == '\\' || re[i] == '[')
                    return json_array_clear(set) == 0;
            }
        } else if (c == '{') {
            for (; i < len && re[i] != '}'; i++)
                ;
        } else {
            literal = depth == 0 && !strchr(".^$+*?{}|", c);
        }
        if (literal && i + 1 < len && strchr("?*{", re[i + 1]))
            literal = false;
        if (literal && n < sizeof(run)) {
            run[n++] = c;
            continue;
        }
        if (!add_literal(set, run, n))
            return false;
        n = 0;
    }
    return add_literal(set, run, n);
}

/*
 * The path after "type:" as the index writes it, or NULL for paths the
 * observation side never offers (list indexes, binary properties, more
 * than FUSION_PATTERN_TERM_DEPTH keys).
 */
static const char *
index_path(const char *type, const char *full)
{
    size_t tlen = strlen(type), keys = 1;
    bool quoted = false;
    const char *p;

    if (strncmp(full, type, tlen) != 0 || full[tlen] != ':')
        return NULL;
    p = full + tlen + 1;
    if (strstr(p, "_bin") || strstr(p, "_hex"))
        return NULL;
    for (const char *s = p; *s; s++) {
        if (*s == '\\' && quoted && s[1])
            s++;
        else if (*s == '\'')
            quoted = !quoted;
        else if (!quoted && *s == '.')
            keys++;
        else if (!quoted && *s == '[' && s[1] != '*')
            return NULL;
    }
    return keys <= FUSION_PATTERN_TERM_DEPTH ? p : NULL;
}

/*
 * Needles of one comparison as a list of one [type, path, [literal,
 * ...]] triple, or NULL when it has none.
 */
static json_t *
cmp_needles(const json_t *cmp)
{
    const char *op = fusion_stix_str(cmp, "operator");
    const char *type = fusion_stix_str(cmp, "type");
    const char *value = fusion_stix_str(cmp, "value");
    json_t *set = json_array();
    const char *path;
    char text[1024];
    bool ok = false;
    size_t len;

    if (!set || !op || !type || !value ||
        json_is_true(json_object_get(cmp, "negated")))
        goto none;
    path = index_path(type, fusion_stix_str(cmp, "path"));
    if (!path || !unquote(value, text, sizeof(text), &len))
        goto none;
    if (strcmp(op, "=") == 0)
        ok = add_literal(set, text, len);
    else if (strcmp(op, "LIKE") == 0)
        ok = like_literals(text, len, set);
    else if (strcmp(op, "MATCHES") == 0)
        ok = regex_literals(text, len, set);
    if (!ok || json_array_size(set) == 0)
        goto none;
    return json_pack("[[s s o]]", type, path, set);
none:
    json_decref(set);
    return NULL;
}

/* The shortest best literal of a set: how sharp its weakest member is. */
static size_t
shortest(const json_t *set)
{
    size_t best = SIZE_MAX, i, j;
    const json_t *t, *lit;

    json_array_foreach(set, i, t)
    {
        size_t longest = 0;

        json_array_foreach(json_array_get(t, 2), j, lit)
        {
            if (json_string_length(lit) > longest)
                longest = json_string_length(lit);
        }
        best = longest < best ? longest : best;
    }
    return best;
}

/*
 * A match of an AND satisfies every operand, so the operand whose
 * shortest needle is longest serves; an OR needs needles in each.
 */
static json_t *
cexpr_needles(const json_t *node)
{
    const char *kind = fusion_stix_str(node, "kind");
    const json_t *kids = json_object_get(node, "operands"), *kid;
    json_t *best = NULL, *set;
    size_t i;

    if (!kind)
        return NULL;
    if (strcmp(kind, "comparison") == 0)
        return cmp_needles(node);
    json_array_foreach(kids, i, kid)
    {
        set = cexpr_needles(kid);
        if (strcmp(kind, "AND") == 0) {
            if (set && (!best || shortest(set) > shortest(best))) {
                json_decref(best);
                best = set;
            } else {
                json_decref(set);
            }
            continue;
        }
        if (!set || (!best && !(best = json_array())) ||
            json_array_extend(best, set)) {
            json_decref(set);
            json_decref(best);
            return NULL;
        }
        json_decref(set);
    }
    return best;
}

/* Collects the needles of each leaf in text order into leaves. */
static bool
obs_needles(const json_t *node, json_t *leaves)
{
    const char *kind = fusion_stix_str(node, "kind");
    const json_t *kid;
    json_t *set;
    size_t i;

    if (!kind)
        return false;
    if (strcmp(kind, "observation") == 0) {
        set = cexpr_needles(json_object_get(node, "expression"));
        return set && json_array_append_new(leaves, set) == 0;
    }
    json_array_foreach(json_object_get(node, "operands"), i, kid)
    {
        if (!obs_needles(kid, leaves))
            return false;
    }
    return true;
}

enum fusion_err
match_needles(const struct fusion_pattern *pattern, bool *found,
              match_needle_fn fn, void *ctx)
{
    json_t *tree, *leaves = json_array(), *set, *t;
    enum fusion_err rc;
    size_t leaf, i;

    assert(pattern && found && fn);
    *found = false;
    if (!leaves)
        return FUSION_ERR_NOMEM;
    rc = fusion_pattern_explain(pattern, &tree);
    if (rc) {
        json_decref(leaves);
        return rc;
    }
    *found = obs_needles(tree, leaves);
    json_decref(tree);
    json_array_foreach(leaves, leaf, set)
    {
        json_array_foreach(set, i, t)
        {
            const json_t *lits = json_array_get(t, 2), *lit;
            struct match_needle needles[16];
            size_t n = 0, j;

            json_array_foreach(lits, j, lit)
            {
                if (n < sizeof(needles) / sizeof(*needles)) {
                    needles[n].text = json_string_value(lit);
                    needles[n++].len = json_string_length(lit);
                }
            }
            if (!rc && *found)
                rc = fn(ctx, leaf, json_string_value(json_array_get(t, 0)),
                        json_string_value(json_array_get(t, 1)), needles, n);
        }
    }
    json_decref(leaves);
    return rc;
}
