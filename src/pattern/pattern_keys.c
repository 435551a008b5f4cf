/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Observable keys of a pattern: the values its positive equality tests
 * look for, so that an indicator can be found from an observable.
 */
#include <assert.h>
#include <string.h>

#include "pattern/pattern_int.h"

struct keys_walk {
    fusion_stix_key_fn fn;
    void *ctx;
    struct fusion_buf path; /* reused for every comparison */
};

struct key_count {
    fusion_stix_key_fn fn;
    void *ctx;
    size_t n;
};

static enum fusion_err
count_key(void *ctx, const char *key_type, const char *value)
{
    struct key_count *kc = ctx;

    kc->n++;
    return kc->fn(kc->ctx, key_type, value);
}

static bool
step_is(const struct fusion_pattern_step *step, const char *key)
{
    return step->kind == FUSION_PATTERN_STEP_KEY &&
           step->key_len == strlen(key) &&
           memcmp(step->key, key, step->key_len) == 0;
}

static bool
step_is_ref(const struct fusion_pattern_step *step)
{
    return step->kind == FUSION_PATTERN_STEP_KEY &&
           ((step->key_len > 4 &&
             memcmp(step->key + step->key_len - 4, "_ref", 4) == 0) ||
            (step->key_len > 5 &&
             memcmp(step->key + step->key_len - 5, "_refs", 5) == 0));
}

/*
 * A path that follows a reference to the value of another object
 * ("network-traffic:dst_ref.value", "domain-name:resolves_to_refs[*].value",
 * "email-message:from_ref.value", "file:contains_refs[*].hashes.MD5") names
 * an observable whose type the path does not tell; the value does.
 */
static bool
is_ref_value_path(const struct fusion_pattern_path *path)
{
    const struct fusion_pattern_step *last = &path->steps[path->nsteps - 1];
    bool via_ref = false;

    for (size_t i = 0; i + 1 < path->nsteps; i++)
        via_ref = via_ref || step_is_ref(&path->steps[i]);
    if (!via_ref)
        return false;
    return step_is(last, "value") ||
           (path->nsteps >= 2 &&
            step_is(&path->steps[path->nsteps - 2], "hashes"));
}

static enum fusion_err
value_keys(struct keys_walk *w, const struct fusion_pattern_cmp *cmp,
           const struct fusion_pattern_lit *lit)
{
    struct key_count kc = { .fn = w->fn, .ctx = w->ctx };
    char key_type[64], canon[FUSION_STIX_KEY_MAX];
    enum fusion_err rc;

    /* a value with a NUL cannot be passed as a C string */
    if (lit->kind != FUSION_PATTERN_LIT_STRING ||
        memchr(lit->u.str.ptr, '\0', lit->u.str.len))
        return FUSION_OK;
    rc = fusion_stix_pattern_key(cmp->path.type, w->path.data, lit->u.str.ptr,
                                 count_key, &kc);
    if (rc || kc.n || !is_ref_value_path(&cmp->path))
        return rc;
    if (fusion_stix_guess_key(lit->u.str.ptr, key_type, canon))
        return FUSION_OK;
    return w->fn(w->ctx, key_type, canon);
}

/* Positive equality and IN tests name the values a pattern looks for. */
static enum fusion_err
cmp_keys(struct keys_walk *w, const struct fusion_pattern_cmp *cmp)
{
    const struct fusion_pattern_lit *lit = &cmp->lit;
    enum fusion_err rc;

    if (cmp->negated ||
        (cmp->op != FUSION_PATTERN_OP_EQ && cmp->op != FUSION_PATTERN_OP_IN))
        return FUSION_OK;
    if (strlen(cmp->path.type) != cmp->path.type_len)
        return FUSION_OK;
    fusion_buf_clear(&w->path);
    rc = pattern_print_path_steps(&cmp->path, &w->path);
    if (rc)
        return rc;
    if (lit->kind != FUSION_PATTERN_LIT_SET)
        return value_keys(w, cmp, lit);
    for (size_t i = 0; !rc && i < lit->u.set.count; i++)
        rc = value_keys(w, cmp, &lit->u.set.items[i]);
    return rc;
}

static enum fusion_err
cexpr_keys(struct keys_walk *w, const struct fusion_pattern_cexpr *node)
{
    enum fusion_err rc = FUSION_OK;

    assert(node);
    if (node->kind == FUSION_PATTERN_CEXPR_CMP)
        return cmp_keys(w, node->cmp);
    for (size_t i = 0; !rc && i < node->nkids; i++)
        rc = cexpr_keys(w, node->kids[i]);
    return rc;
}

static enum fusion_err
obs_keys(struct keys_walk *w, const struct fusion_pattern_obs *node)
{
    enum fusion_err rc = FUSION_OK;

    assert(node);
    if (node->kind == FUSION_PATTERN_OBS_LEAF)
        return cexpr_keys(w, node->cexpr);

    for (size_t i = 0; !rc && i < node->nkids; i++)
        rc = obs_keys(w, node->kids[i]);
    return rc;
}

enum fusion_err
fusion_pattern_keys(const struct fusion_pattern *pattern, fusion_stix_key_fn fn,
                    void *ctx)
{
    struct keys_walk w = { .fn = fn, .ctx = ctx };
    enum fusion_err rc;

    assert(pattern && pattern->root && fn);
    fusion_buf_init(&w.path, FUSION_PATTERN_MAX_LEN * 2);
    rc = obs_keys(&w, pattern->root);
    fusion_buf_release(&w.path);
    return rc;
}
