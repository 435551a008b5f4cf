/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Matching one event against the indicator index: the indicators its
 * terms and SCO types hit, each then decided by its validity and, for
 * a pattern of several observations, over a ring of recent events.
 */
#include <assert.h>
#include <string.h>

#include "match/match_int.h"

static enum fusion_err
cand_add(struct fusion_match_index *idx, uint32_t ord)
{
    enum fusion_err rc;

    if (idx->seen[ord] == idx->epoch || idx->inds[ord].kind == MATCH_IND_DEAD)
        return FUSION_OK;
    idx->seen[ord] = idx->epoch;
    if (idx->ncand == idx->cand_cap) {
        rc = match_grow((void **)&idx->cand, &idx->cand_cap, idx->ncand + 1,
                        sizeof(*idx->cand));
        if (rc)
            return rc;
    }
    idx->cand[idx->ncand++] = ord;
    return FUSION_OK;
}

static enum fusion_err
cand_posting(struct fusion_match_index *idx, const struct match_key_slot *k)
{
    const struct match_post_list *l;
    enum fusion_err rc = FUSION_OK;

    if (!(k->post & MATCH_POST_LIST))
        return cand_add(idx, k->post);
    l = &idx->lists[k->post & ~MATCH_POST_LIST];
    for (uint32_t i = 0; !rc && i < l->n; i++)
        rc = cand_add(idx, l->items[i]);
    return rc;
}

static enum fusion_err
cand_prefixes(struct fusion_match_index *idx, const struct match_field *f,
              const struct fusion_pattern_term *term)
{
    uint32_t num = (uint32_t)(f - idx->fields) * 2 + 1;
    unsigned char key[17];
    enum fusion_err rc = FUSION_OK;
    struct match_prefix p;

    if (!match_parse_prefix(term->value, term->value_len, &p))
        return FUSION_OK;
    /* a block lies inside every prefix of it no longer than its own */
    for (unsigned w = 0; !rc && w < 3 && w * 64 <= p.len; w++) {
        uint64_t bits = f->lens[w];

        while (!rc && bits) {
            unsigned len = w * 64 + (unsigned)__builtin_ctzll(bits);
            const struct match_key_slot *k;

            bits &= bits - 1;
            if (len > p.len)
                break;
            match_prefix_key(&p, len, key);
            k = match_key_find(idx, num, key, sizeof(key),
                               match_key_hash(num, key, 17));
            if (k)
                rc = cand_posting(idx, k);
        }
    }
    return rc;
}

static bool
is_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] >= 0x80 || s[i] == '\0')
            return false;
    }
    return true;
}

/*
 * Indicators with a needle in a window of the value. Needles are ASCII
 * bytes read from the pattern text; a value with other bytes might
 * compare after a normalisation, so it takes every indicator with
 * needles at this path instead.
 */
static enum fusion_err
cand_needles(struct fusion_match_index *idx, struct match_field *f,
             const struct fusion_pattern_term *term)
{
    uint32_t num = (uint32_t)(f - idx->fields);
    enum fusion_err rc = FUSION_OK;

    if (!is_ascii(term->value, term->value_len)) {
        for (size_t i = 0; !rc && i < f->nneedled; i++)
            rc = cand_add(idx, f->needled[i]);
        return rc;
    }
    for (size_t i = 0; !rc && i + MATCH_GRAM <= term->value_len; i++) {
        uint64_t key = match_gram_key(num, term->value + i),
                 h = match_gram_hash(key);
        const struct match_needle_list *l;
        const struct match_gram_slot *g;

        if (!(idx->gram_bits[(h % MATCH_GRAM_BITS) / 64] & (1ULL << (h % 64))))
            continue;
        g = match_gram_find(idx, key, h);
        if (!g)
            continue;
        l = &idx->needles[g->list];
        for (size_t j = 0; !rc && j < l->n; j++) {
            const struct match_needle_ref *r = &l->items[j];

            /* the whole needle, placed where its window was found */
            if (i < r->at || term->value_len - (i - r->at) < r->len ||
                memcmp(term->value + i - r->at, idx->pool + r->off, r->len) !=
                    0)
                continue;
            rc = cand_add(idx, r->ord);
        }
    }
    return rc;
}

/*
 * What the walk's callbacks need: the index, the root's type, and the
 * field of the path the filter accepted last, which is most often the
 * path of the next term.
 */
struct gather_ctx {
    struct fusion_match_index *idx;
    const struct match_root_type *type;
    struct match_field *last;
    size_t last_len;
};

static struct match_field *
gather_field(struct gather_ctx *gc, const char *path, size_t len)
{
    if (!(gc->type->len_mask & (1ULL << (len % 64))))
        return NULL;
    return match_field_find_hashed(gc->idx, gc->type->name, path,
                                   match_hash_bytes(path, len, gc->type->hash));
}

/* The walk goes down a path only when it is, or leads to, a field. */
static bool
obs_path(void *ctx, const char *path, size_t len)
{
    struct gather_ctx *gc = ctx;

    gc->last = gather_field(gc, path, len);
    gc->last_len = len;
    return gc->last != NULL;
}

static enum fusion_err
obs_term(void *ctx, const struct fusion_pattern_term *term)
{
    struct gather_ctx *gc = ctx;
    struct fusion_match_index *idx = gc->idx;
    size_t plen = strlen(term->path);
    enum fusion_err rc = FUSION_OK;
    struct match_field *f;

    if (gc->last && gc->last_len == plen &&
        memcmp(gc->last->path, term->path, plen) == 0)
        f = gc->last;
    else
        f = gather_field(gc, term->path, plen);
    if (!f)
        return FUSION_OK;
    if (f->has_eq) {
        uint32_t num = (uint32_t)(f - idx->fields) * 2;
        char folded[MATCH_FOLD_MAX];
        const char *value =
            match_key_text(f, term->value, term->value_len, folded);
        const struct match_key_slot *k =
            match_key_find(idx, num, value, term->value_len,
                           match_key_hash(num, value, term->value_len));

        if (k)
            rc = cand_posting(idx, k);
    }
    if (!rc && (f->lens[0] | f->lens[1] | f->lens[2]))
        rc = cand_prefixes(idx, f, term);
    if (!rc && f->nneedled)
        rc = cand_needles(idx, f, term);
    return rc;
}

/* Adds the scanned indicators of an SCO type, pruning dead ones. */
static enum fusion_err
cand_scans(struct fusion_match_index *idx, const char *type)
{
    enum fusion_err rc = FUSION_OK;

    for (size_t i = 0; !rc && i < idx->nscans; i++) {
        struct match_scan_type *s = &idx->scans[i];
        size_t n = 0;

        if (strcmp(s->type, type) != 0)
            continue;
        for (size_t j = 0; j < s->n; j++) {
            if (idx->inds[s->ords[j]].kind == MATCH_IND_DEAD)
                continue;
            s->ords[n++] = s->ords[j];
            if (!rc)
                rc = cand_add(idx, s->ords[j]);
        }
        s->n = n;
    }
    return rc;
}

static enum fusion_err
gather(struct fusion_match_index *idx, const struct fusion_event *ev)
{
    enum fusion_err rc = FUSION_OK;

    if (++idx->epoch == 0) {
        memset(idx->seen, 0, idx->ninds * sizeof(*idx->seen));
        idx->epoch = 1;
    }
    idx->ncand = 0;
    for (size_t root = 0; !rc && root < ev->obs.count; root++) {
        const char *type = fusion_stix_str(ev->obs.objects[root], "type");

        struct gather_ctx gc = { .idx = idx };

        if (!type)
            continue;
        gc.type = match_type_find(idx, type);
        if (gc.type)
            rc = fusion_observation_terms_filtered(&ev->obs, root, obs_path,
                                                   obs_term, &gc);
        if (!rc && idx->nscans)
            rc = cand_scans(idx, type);
    }
    return rc;
}

/*
 * Bounds and times are nanoseconds, saturated past the year 2262; a
 * saturated valid_until cannot be told from a saturated event time, so
 * it counts as no bound rather than as one every such event is past.
 */
static bool
is_active(const struct match_ind *r, int64_t t)
{
    return (!r->valid_from || t >= r->valid_from) &&
           (!r->valid_until || r->valid_until == INT64_MAX ||
            t < r->valid_until);
}

/*
 * Drops from the ring an earlier reading of the observation ev records
 * (a line read again: the same observed-data id), which must not count
 * twice, and the oldest event when the ring is full.
 */
static void
ring_make_room(struct match_cplx *c, struct fusion_event *ev)
{
    uint32_t i;

    for (i = 0; i < c->ring_n; i++) {
        if (match_event_same(c->ring[i], ev))
            break;
    }
    if (i == c->ring_n && c->ring_n < MATCH_RING_SIZE)
        return;
    if (i == c->ring_n)
        i = 0;
    fusion_event_unref(c->ring[i]);
    memmove(c->ring + i, c->ring + i + 1,
            (c->ring_n - i - 1) * sizeof(*c->ring));
    c->ring_n--;
}

static bool
any_leaf(const struct match_cplx *c, const struct fusion_observation *obs)
{
    for (size_t leaf = 0; leaf < c->nleaves; leaf++) {
        if (fusion_pattern_leaf_match(c->prog, leaf, obs))
            return true;
    }
    return false;
}

/*
 * A pattern of several observations: the event joins the ring of recent
 * events that satisfied one of its leaves, and the pattern is evaluated
 * over the ring with the event required in the match.
 */
static int
match_multi(struct fusion_match_index *idx, uint32_t ord,
            struct fusion_event *ev, fusion_match_hit_fn fn, void *ctx)
{
    struct match_cplx *c = &idx->cplx[idx->inds[ord].cplx];
    const struct fusion_observation *obs[MATCH_RING_SIZE + 1];
    struct fusion_event *events[MATCH_RING_SIZE + 1];
    struct fusion_event *used[FUSION_PATTERN_MAX_USED];
    struct fusion_pattern_result res;
    struct fusion_match_hit hit;
    enum fusion_err rc;
    size_t n = 0;

    if (!any_leaf(c, &ev->obs))
        return 0;
    if (!c->ring) {
        c->ring = fusion_calloc(MATCH_RING_SIZE, sizeof(*c->ring));
        if (!c->ring)
            return 0;
    }
    ring_make_room(c, ev);
    assert(c->ring_n < MATCH_RING_SIZE);
    /* past events too far from this one for the pattern's WITHIN */
    for (uint32_t i = 0; i < c->ring_n; i++) {
        if (!fusion_pattern_prog_within(c->prog, &c->ring[i]->obs, &ev->obs))
            continue;
        events[n] = c->ring[i];
        obs[n] = &events[n]->obs;
        n++;
    }
    events[n] = ev;
    obs[n] = &ev->obs;
    rc = fusion_pattern_eval(c->prog, obs, n + 1, n, &res, NULL);
    c->ring[c->ring_n++] = fusion_event_ref(ev);
    if (rc == FUSION_ERR_LIMIT)
        idx->skipped++;
    if (rc || !res.matched)
        return 0;
    assert(res.nused <= FUSION_PATTERN_MAX_USED);
    for (size_t i = 0; i < res.nused; i++) {
        assert(res.used[i] <= n);
        used[i] = events[res.used[i]];
    }
    hit.indicator_id = idx->pool + idx->inds[ord].id_off;
    hit.version = idx->inds[ord].version;
    hit.events = used;
    hit.nevents = res.nused;
    return fn(ctx, &hit);
}

/* Decides one candidate; returns fn's value when it was called. */
static int
decide(struct fusion_match_index *idx, uint32_t ord, struct fusion_event *ev,
       fusion_match_hit_fn fn, void *ctx)
{
    const struct match_ind *r = &idx->inds[ord];
    struct fusion_match_hit hit = {
        .indicator_id = idx->pool + r->id_off,
        .version = r->version,
        .events = &ev,
        .nevents = 1,
    };
    const struct match_cplx *c;

    if (r->kind == MATCH_IND_DEAD || !is_active(r, ev->obs.first.ns))
        return 0;
    if (r->kind == MATCH_IND_SIMPLE)
        return fn(ctx, &hit);
    c = &idx->cplx[r->cplx];
    if (!c->single)
        return match_multi(idx, ord, ev, fn, ctx);
    if (!fusion_pattern_leaf_match(c->prog, 0, &ev->obs))
        return 0;
    return fn(ctx, &hit);
}

enum fusion_err
fusion_match_index_match(struct fusion_match_index *idx,
                         struct fusion_event *ev, fusion_match_hit_fn fn,
                         void *ctx, struct fusion_error *err)
{
    enum fusion_err rc;

    assert(idx && ev && fn);
    if (idx->reads_ids) {
        rc = fusion_event_materialize(ev, err);
        if (rc)
            return rc;
    }
    rc = gather(idx, ev);
    if (rc)
        return fusion_error_set(err, rc, "cannot match event: %s",
                                fusion_strerror(rc));
    for (size_t i = 0; i < idx->ncand; i++) {
        int stop = decide(idx, idx->cand[i], ev, fn, ctx);

        if (stop)
            return (enum fusion_err)stop;
    }
    return FUSION_OK;
}
