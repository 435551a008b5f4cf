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

static enum fusion_err
cmp_keys(struct keys_walk *w, const struct fusion_pattern_cmp *cmp)
{
    const struct fusion_pattern_lit *lit = &cmp->lit;
    enum fusion_err rc;

    if (cmp->negated || cmp->op != FUSION_PATTERN_OP_EQ ||
        lit->kind != FUSION_PATTERN_LIT_STRING)
        return FUSION_OK;
    /* a value or type with a NUL cannot be passed as a C string */
    if (memchr(lit->u.str.ptr, '\0', lit->u.str.len) ||
        strlen(cmp->path.type) != cmp->path.type_len)
        return FUSION_OK;
    fusion_buf_clear(&w->path);
    rc = pattern_print_path_steps(&cmp->path, &w->path);
    if (rc)
        return rc;
    return fusion_stix_pattern_key(cmp->path.type, w->path.data, lit->u.str.ptr,
                                   w->fn, w->ctx);
}

static enum fusion_err
cexpr_keys(struct keys_walk *w, const struct fusion_pattern_cexpr *node)
{
    enum fusion_err rc = FUSION_OK;

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
