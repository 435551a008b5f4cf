/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The indicator index: one hash table of (type, path, value) terms and
 * CIDR prefixes, pointing at indicator records, and the putting and
 * removing of indicator versions; events look up their own terms and
 * evaluate only the indicators they hit (match_lookup.c).
 */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <string.h>

#include "match/match_int.h"

/* Most ordinals; the top bit of a posting marks a list. */
#define MAX_ORDINALS (MATCH_POST_LIST - 1)

/*
 * Hashing: 8 bytes at a time, multiplied and rotated into the state,
 * with a final avalanche so that the low bits used for slots are mixed.
 */
static inline uint64_t
rotl64(uint64_t v, int r)
{
    return (v << r) | (v >> (64 - r));
}

static inline uint64_t
avalanche(uint64_t h)
{
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    return h ^ (h >> 32);
}

static uint64_t
hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (len + 1)), w;

    while (len >= 8) {
        memcpy(&w, p, 8);
        h = rotl64(h ^ (w * 0xbf58476d1ce4e5b9ULL), 31) * 0x94d049bb133111ebULL;
        p += 8;
        len -= 8;
    }
    w = 0;
    if (len)
        memcpy(&w, p, len);
    h = rotl64(h ^ (w * 0xbf58476d1ce4e5b9ULL), 31) * 0x94d049bb133111ebULL;
    return avalanche(h);
}

uint64_t
match_hash_bytes(const void *data, size_t len, uint64_t seed)
{
    return hash_bytes(data, len, seed);
}

static uint64_t
hash_field(const char *type, const char *path)
{
    return hash_bytes(path, strlen(path), hash_bytes(type, strlen(type), 7));
}

enum fusion_err
match_grow(void **p, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap ? *cap : 16;
    void *q;

    if (need <= *cap)
        return FUSION_OK;
    while (n < need)
        n *= 2;
    q = fusion_realloc(*p, n * size);
    if (!q)
        return FUSION_ERR_NOMEM;
    *p = q;
    *cap = n;
    return FUSION_OK;
}

/* Appends bytes to the pool; the offset must fit the 32 bits of a key. */
static enum fusion_err
pool_add(struct fusion_match_index *idx, const void *data, size_t len, bool nul,
         uint32_t *off_out)
{
    size_t need = idx->pool_len + len + (nul ? 1 : 0);
    enum fusion_err rc;

    if (need > UINT32_MAX)
        return FUSION_ERR_LIMIT;
    rc = match_grow((void **)&idx->pool, &idx->pool_cap, need, 1);
    if (rc)
        return rc;
    memcpy(idx->pool + idx->pool_len, data, len);
    if (nul)
        idx->pool[idx->pool_len + len] = '\0';
    *off_out = (uint32_t)idx->pool_len;
    idx->pool_len = need;
    return FUSION_OK;
}

/*
 * Fields.
 */
struct match_field *
match_field_find_hashed(const struct fusion_match_index *idx, const char *type,
                        const char *path, uint64_t h)
{
    size_t mask = idx->field_slots_cap - 1, i;

    if (!idx->nfields)
        return NULL;
    for (i = h & mask; idx->field_slots[i] != MATCH_NONE32;
         i = (i + 1) & mask) {
        struct match_field *f = &idx->fields[idx->field_slots[i]];

        if (f->hash == h && strcmp(f->path, path) == 0 &&
            strcmp(f->type, type) == 0)
            return f;
    }
    return NULL;
}

static struct match_field *
field_find(const struct fusion_match_index *idx, const char *type,
           const char *path)
{
    return match_field_find_hashed(idx, type, path, hash_field(type, path));
}

static enum fusion_err
field_slots_rebuild(struct fusion_match_index *idx, size_t cap)
{
    uint32_t *slots = fusion_malloc(cap * sizeof(*slots));

    if (!slots)
        return FUSION_ERR_NOMEM;
    memset(slots, 0xff, cap * sizeof(*slots));
    for (size_t f = 0; f < idx->nfields; f++) {
        size_t i = idx->fields[f].hash & (cap - 1);

        while (slots[i] != MATCH_NONE32)
            i = (i + 1) & (cap - 1);
        slots[i] = (uint32_t)f;
    }
    fusion_free(idx->field_slots);
    idx->field_slots = slots;
    idx->field_slots_cap = cap;
    return FUSION_OK;
}

struct match_root_type *
match_type_find(const struct fusion_match_index *idx, const char *type)
{
    for (size_t i = 0; i < idx->ntypes; i++) {
        if (strcmp(idx->types[i].name, type) == 0)
            return &idx->types[i];
    }
    return NULL;
}

static enum fusion_err
type_add(struct fusion_match_index *idx, const char *type, size_t path_len)
{
    struct match_root_type *t = match_type_find(idx, type);
    enum fusion_err rc;

    if (!t) {
        rc = match_grow((void **)&idx->types, &idx->types_cap, idx->ntypes + 1,
                        sizeof(*idx->types));
        if (rc)
            return rc;
        t = &idx->types[idx->ntypes];
        t->name = fusion_strdup(type);
        if (!t->name)
            return FUSION_ERR_NOMEM;
        t->hash = hash_bytes(type, strlen(type), 7);
        t->len_mask = 0;
        idx->ntypes++;
    }
    t->len_mask |= 1ULL << (path_len % 64);
    return FUSION_OK;
}

/*
 * Length of the longest prefix of a path text that ends before a step
 * (a '.' or '[' outside quotes), or 0. Quoted keys escape ' and \ with
 * a backslash, as the printer writes them.
 */
static size_t
path_parent_len(const char *path, size_t len)
{
    size_t last = 0;
    bool quoted = false;

    for (size_t i = 0; i < len; i++) {
        if (quoted && path[i] == '\\')
            i++;
        else if (path[i] == '\'')
            quoted = !quoted;
        else if (!quoted && i > 0 && (path[i] == '.' || path[i] == '['))
            last = i;
    }
    return last;
}

static enum fusion_err field_get(struct fusion_match_index *idx,
                                 const char *type, const char *path,
                                 struct match_field **out);

/*
 * Every field's path has its prefixes before each step as fields too,
 * without keys: the walk over an event's SCOs goes down only paths that
 * lead to a field.
 */
static enum fusion_err
field_parent_add(struct fusion_match_index *idx, const char *type,
                 const char *path, size_t plen)
{
    size_t n = path_parent_len(path, plen);
    struct match_field *parent;
    enum fusion_err rc;
    char *text;

    if (n == 0)
        return FUSION_OK;
    text = fusion_malloc(n + 1);
    if (!text)
        return FUSION_ERR_NOMEM;
    memcpy(text, path, n);
    text[n] = '\0';
    rc = field_get(idx, type, text, &parent);
    fusion_free(text);
    return rc;
}

static enum fusion_err
field_get(struct fusion_match_index *idx, const char *type, const char *path,
          struct match_field **out)
{
    size_t tlen = strlen(type), plen = strlen(path);
    struct match_field *f = field_find(idx, type, path);
    enum fusion_err rc;

    if (f) {
        *out = f;
        return FUSION_OK;
    }
    rc = field_parent_add(idx, type, path, plen);
    if (!rc)
        rc = type_add(idx, type, plen);
    if (!rc)
        rc = match_grow((void **)&idx->fields, &idx->fields_cap,
                        idx->nfields + 1, sizeof(*idx->fields));
    if (rc)
        return rc;
    f = &idx->fields[idx->nfields];
    memset(f, 0, sizeof(*f));
    f->type = fusion_malloc(tlen + plen + 2);
    if (!f->type)
        return FUSION_ERR_NOMEM;
    memcpy(f->type, type, tlen + 1);
    memcpy(f->type + tlen + 1, path, plen + 1);
    f->path = f->type + tlen + 1;
    f->hash = hash_field(type, path);
    f->fold = fusion_pattern_path_folds(path, plen);
    idx->nfields++;
    if (idx->nfields * 2 > idx->field_slots_cap) {
        rc = field_slots_rebuild(
            idx, idx->field_slots_cap ? idx->field_slots_cap * 2 : 64);
        if (rc) {
            idx->nfields--;
            fusion_free(f->type);
            return rc;
        }
    } else {
        size_t i = f->hash & (idx->field_slots_cap - 1);

        while (idx->field_slots[i] != MATCH_NONE32)
            i = (i + 1) & (idx->field_slots_cap - 1);
        idx->field_slots[i] = (uint32_t)(idx->nfields - 1);
    }
    *out = f;
    return FUSION_OK;
}

/*
 * Keys.
 */
uint64_t
match_key_hash(uint32_t field, const void *value, size_t len)
{
    return hash_bytes(value, len, 0x5bd1e995ULL * (field + 1));
}

struct match_key_slot *
match_key_find(const struct fusion_match_index *idx, uint32_t field,
               const void *value, size_t len, uint64_t h)
{
    size_t mask = idx->keys_cap - 1, i;

    if (!idx->keys_cap)
        return NULL;
    for (i = h & mask; idx->keys[i].post != MATCH_NONE32; i = (i + 1) & mask) {
        const struct match_key_slot *k = &idx->keys[i];

        if (k->hash == h && k->field == field && k->len == len &&
            memcmp(idx->pool + k->off, value, len) == 0)
            return &idx->keys[i];
    }
    return NULL;
}

static enum fusion_err
keys_resize(struct fusion_match_index *idx, size_t cap)
{
    struct match_key_slot *slots = fusion_malloc(cap * sizeof(*slots));

    if (!slots)
        return FUSION_ERR_NOMEM;
    for (size_t i = 0; i < cap; i++)
        slots[i].post = MATCH_NONE32;
    for (size_t j = 0; j < idx->keys_cap; j++) {
        size_t i;

        if (idx->keys[j].post == MATCH_NONE32)
            continue;
        for (i = idx->keys[j].hash & (cap - 1); slots[i].post != MATCH_NONE32;
             i = (i + 1) & (cap - 1))
            ;
        slots[i] = idx->keys[j];
    }
    fusion_free(idx->keys);
    idx->keys = slots;
    idx->keys_cap = cap;
    return FUSION_OK;
}

static bool
ord_is_live(const struct fusion_match_index *idx, uint32_t ord)
{
    assert(ord < idx->ninds);
    return idx->inds[ord].kind != MATCH_IND_DEAD;
}

/* Drops dead ordinals from a list before it has to grow. */
static void
list_prune(const struct fusion_match_index *idx, struct match_post_list *l)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < l->n; i++) {
        if (ord_is_live(idx, l->items[i]))
            l->items[n++] = l->items[i];
    }
    l->n = n;
}

static enum fusion_err
list_push(struct fusion_match_index *idx, uint32_t list, uint32_t ord)
{
    struct match_post_list *l = &idx->lists[list];
    size_t cap = l->cap;
    enum fusion_err rc;

    if (l->n > 0 && l->items[l->n - 1] == ord)
        return FUSION_OK;
    if (l->n == l->cap)
        list_prune(idx, l);
    rc = match_grow((void **)&l->items, &cap, (size_t)l->n + 1,
                    sizeof(*l->items));
    if (rc)
        return rc;
    l->cap = (uint32_t)cap;
    l->items[l->n++] = ord;
    return FUSION_OK;
}

/* Adds ord to a key's posting: inline while alone, else a list. */
static enum fusion_err
post_add(struct fusion_match_index *idx, struct match_key_slot *k, uint32_t ord)
{
    struct match_post_list *l;
    enum fusion_err rc;

    if (k->post & MATCH_POST_LIST)
        return list_push(idx, k->post & ~MATCH_POST_LIST, ord);
    if (k->post == ord || !ord_is_live(idx, k->post)) {
        k->post = ord;
        return FUSION_OK;
    }
    if (idx->nlists >= MAX_ORDINALS)
        return FUSION_ERR_LIMIT;
    rc = match_grow((void **)&idx->lists, &idx->lists_cap, idx->nlists + 1,
                    sizeof(*idx->lists));
    if (rc)
        return rc;
    l = &idx->lists[idx->nlists];
    l->items = fusion_malloc(4 * sizeof(*l->items));
    if (!l->items)
        return FUSION_ERR_NOMEM;
    l->cap = 4;
    l->n = 2;
    l->items[0] = k->post;
    l->items[1] = ord;
    k->post = MATCH_POST_LIST | (uint32_t)idx->nlists++;
    return FUSION_OK;
}

const char *
match_key_text(const struct match_field *f, const char *value, size_t len,
               char *buf)
{
    if (!f->fold || len > MATCH_FOLD_MAX)
        return value;
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)tolower((unsigned char)value[i]);
    return buf;
}

static enum fusion_err
key_put(struct fusion_match_index *idx, uint32_t field, const void *value,
        size_t len, uint32_t ord)
{
    uint64_t h = match_key_hash(field, value, len);
    struct match_key_slot *k = match_key_find(idx, field, value, len, h);
    enum fusion_err rc;
    size_t i;

    if (k)
        return post_add(idx, k, ord);
    if (len > UINT32_MAX)
        return FUSION_ERR_LIMIT;
    if ((idx->keys_used + 1) * 2 > idx->keys_cap) {
        rc = keys_resize(idx, idx->keys_cap ? idx->keys_cap * 2 : 1024);
        if (rc)
            return rc;
    }
    for (i = h & (idx->keys_cap - 1); idx->keys[i].post != MATCH_NONE32;
         i = (i + 1) & (idx->keys_cap - 1))
        ;
    k = &idx->keys[i];
    rc = pool_add(idx, value, len, false, &k->off);
    if (rc)
        return rc;
    k->hash = h;
    k->len = (uint32_t)len;
    k->field = field;
    k->post = ord;
    idx->keys_used++;
    if (field & 1)
        idx->nprefixes++;
    else
        idx->nkeys_eq++;
    return FUSION_OK;
}

bool
match_parse_prefix(const char *s, size_t n, struct match_prefix *out)
{
    char text[64];
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    int64_t bits = -1;
    bool v6;

    if (alen == 0 || alen >= sizeof(text))
        return false;
    memcpy(text, s, alen);
    text[alen] = '\0';
    v6 = strchr(text, ':') != NULL;
    memset(out->addr, 0, sizeof(out->addr));
    if (v6) {
        if (inet_pton(AF_INET6, text, out->addr) != 1)
            return false;
    } else {
        out->addr[10] = out->addr[11] = 0xff;
        if (inet_pton(AF_INET, text, out->addr + 12) != 1)
            return false;
    }
    if (slash && (fusion_parse_int64(slash + 1, n - alen - 1, &bits) ||
                  bits < 0 || bits > (v6 ? 128 : 32)))
        return false;
    if (!slash)
        bits = v6 ? 128 : 32;
    out->len = (unsigned char)(v6 ? bits : bits + 96);
    return true;
}

static void
prefix_mask(const struct match_prefix *p, unsigned len, unsigned char *out)
{
    unsigned full = len / 8, rest = len % 8;

    memcpy(out, p->addr, full);
    if (full < 16) {
        out[full] =
            rest ? (unsigned char)(p->addr[full] & (0xff00u >> rest)) : 0;
        memset(out + full + 1, 0, 16 - full - 1);
    }
}

/* A prefix key: its length, then the masked address. */
void
match_prefix_key(const struct match_prefix *p, unsigned len,
                 unsigned char key[17])
{
    key[0] = (unsigned char)len;
    prefix_mask(p, len, key + 1);
}

/*
 * Indicator records.
 */
static void
cplx_release(struct match_cplx *c)
{
    fusion_pattern_prog_free(c->prog);
    c->prog = NULL;
    if (c->ring) {
        for (uint32_t i = 0; i < c->ring_n; i++)
            fusion_event_unref(c->ring[i]);
        FUSION_FREE(c->ring);
    }
    c->ring_n = 0;
}

static void
ind_kill(struct fusion_match_index *idx, uint32_t ord)
{
    struct match_ind *r = &idx->inds[ord];

    if (r->kind == MATCH_IND_DEAD)
        return;
    assert(idx->live > 0);
    idx->live--;
    if (r->kind == MATCH_IND_SIMPLE) {
        idx->simple--;
    } else {
        struct match_cplx *c = &idx->cplx[r->cplx];

        if (c->scanned)
            idx->scanned--;
        else
            idx->complex--;
        cplx_release(c);
    }
    r->kind = MATCH_IND_DEAD;
}

static struct match_id_slot *
id_find(const struct fusion_match_index *idx, const char *id, uint64_t h)
{
    size_t mask = idx->ids_cap - 1, i;

    if (!idx->ids_cap)
        return NULL;
    for (i = h & mask; idx->ids[i].ord != MATCH_NONE32; i = (i + 1) & mask) {
        const struct match_ind *r = &idx->inds[idx->ids[i].ord];

        if (idx->ids[i].hash == h && strcmp(idx->pool + r->id_off, id) == 0)
            return &idx->ids[i];
    }
    return NULL;
}

static enum fusion_err
ids_resize(struct fusion_match_index *idx, size_t cap)
{
    struct match_id_slot *slots = fusion_malloc(cap * sizeof(*slots));

    if (!slots)
        return FUSION_ERR_NOMEM;
    for (size_t i = 0; i < cap; i++)
        slots[i].ord = MATCH_NONE32;
    for (size_t j = 0; j < idx->ids_cap; j++) {
        size_t i;

        if (idx->ids[j].ord == MATCH_NONE32)
            continue;
        for (i = idx->ids[j].hash & (cap - 1); slots[i].ord != MATCH_NONE32;
             i = (i + 1) & (cap - 1))
            ;
        slots[i] = idx->ids[j];
    }
    fusion_free(idx->ids);
    idx->ids = slots;
    idx->ids_cap = cap;
    return FUSION_OK;
}

/* A new record for id, which takes over the id's slot (made if new). */
static enum fusion_err
ind_new(struct fusion_match_index *idx, const char *id, uint64_t h,
        struct match_id_slot *slot, uint32_t *ord_out)
{
    size_t cap = idx->inds_cap;
    uint32_t ord = (uint32_t)idx->ninds;
    struct match_ind *r;
    enum fusion_err rc;
    size_t i;

    if (idx->ninds >= MAX_ORDINALS)
        return FUSION_ERR_LIMIT;
    rc = match_grow((void **)&idx->inds, &cap, idx->ninds + 1,
                    sizeof(*idx->inds));
    if (!rc && cap != idx->inds_cap) {
        uint32_t *seen = fusion_realloc(idx->seen, cap * sizeof(*seen));

        if (!seen)
            return FUSION_ERR_NOMEM;
        idx->seen = seen;
        idx->inds_cap = cap;
    }
    if (rc)
        return rc;
    r = &idx->inds[ord];
    memset(r, 0, sizeof(*r));
    r->cplx = MATCH_NONE32;
    idx->seen[ord] = 0;
    if (slot) {
        r->id_off = idx->inds[slot->ord].id_off;
        slot->ord = ord;
    } else {
        rc = pool_add(idx, id, strlen(id), true, &r->id_off);
        if (!rc && (idx->ids_used + 1) * 2 > idx->ids_cap)
            rc = ids_resize(idx, idx->ids_cap ? idx->ids_cap * 2 : 1024);
        if (rc)
            return rc;
        for (i = h & (idx->ids_cap - 1); idx->ids[i].ord != MATCH_NONE32;
             i = (i + 1) & (idx->ids_cap - 1))
            ;
        idx->ids[i].hash = h;
        idx->ids[i].ord = ord;
        idx->ids_used++;
    }
    idx->ninds++;
    *ord_out = ord;
    return FUSION_OK;
}

/*
 * Putting one version.
 */
struct put_ctx {
    struct fusion_match_index *idx;
    uint32_t ord;
    enum fusion_pattern_shape shape;
    bool needs_scan; /* a CIDR the index cannot read: evaluate by type */
};

static enum fusion_err
put_term(void *ctx, const struct fusion_pattern_term *term)
{
    struct put_ctx *pc = ctx;
    struct fusion_match_index *idx = pc->idx;
    unsigned char key[17];
    struct match_prefix p;
    struct match_field *f;
    uint32_t num;
    enum fusion_err rc;

    rc = field_get(idx, term->type, term->path, &f);
    if (rc)
        return rc;
    num = (uint32_t)(f - idx->fields);
    if (num > (UINT32_MAX - 1) / 2)
        return FUSION_ERR_LIMIT;
    if (term->kind == FUSION_PATTERN_TERM_EQUAL) {
        char folded[MATCH_FOLD_MAX];

        f->has_eq = true;
        return key_put(idx, 2 * num,
                       match_key_text(f, term->value, term->value_len, folded),
                       term->value_len, pc->ord);
    }
    if (!match_parse_prefix(term->value, term->value_len, &p)) {
        pc->needs_scan = true;
        return FUSION_OK;
    }
    f->lens[p.len / 64] |= 1ULL << (p.len % 64);
    match_prefix_key(&p, p.len, key);
    return key_put(idx, 2 * num + 1, key, sizeof(key), pc->ord);
}

static void
collect_types(const json_t *node, json_t *types)
{
    const char *kind = fusion_stix_str(node, "kind");
    const json_t *kid;
    size_t i;

    if (!node)
        return;
    if (kind && strcmp(kind, "comparison") == 0) {
        const char *type = fusion_stix_str(node, "type");

        if (type)
            json_object_set_new(types, type, json_true());
        return;
    }
    collect_types(json_object_get(node, "expression"), types);
    json_array_foreach(json_object_get(node, "operands"), i, kid)
        collect_types(kid, types);
}

static enum fusion_err
scan_add(struct fusion_match_index *idx, const char *type, uint32_t ord)
{
    struct match_scan_type *s = NULL;
    enum fusion_err rc;

    for (size_t i = 0; i < idx->nscans; i++) {
        if (strcmp(idx->scans[i].type, type) == 0)
            s = &idx->scans[i];
    }
    if (!s) {
        rc = match_grow((void **)&idx->scans, &idx->scans_cap, idx->nscans + 1,
                        sizeof(*idx->scans));
        if (rc)
            return rc;
        s = &idx->scans[idx->nscans];
        memset(s, 0, sizeof(*s));
        s->type = fusion_strdup(type);
        if (!s->type)
            return FUSION_ERR_NOMEM;
        idx->nscans++;
    }
    rc = match_grow((void **)&s->ords, &s->cap, s->n + 1, sizeof(*s->ords));
    if (rc)
        return rc;
    s->ords[s->n++] = ord;
    return FUSION_OK;
}

/*
 * A pattern without anchors is evaluated for every event with an SCO of
 * a type its comparisons name: no leaf can match an observation without
 * a root SCO of one of them.
 */
static enum fusion_err
scan_register(struct fusion_match_index *idx,
              const struct fusion_pattern *pattern, uint32_t ord)
{
    json_t *tree, *types = json_object(), *v;
    enum fusion_err rc;
    const char *type;

    if (!types)
        return FUSION_ERR_NOMEM;
    rc = fusion_pattern_explain(pattern, &tree);
    if (rc) {
        json_decref(types);
        return rc;
    }
    collect_types(tree, types);
    json_decref(tree);
    json_object_foreach(types, type, v)
    {
        rc = scan_add(idx, type, ord);
        if (rc)
            break;
    }
    json_decref(types);
    return rc;
}

/*
 * Needles of patterns without index terms: each is filed under one
 * window of MATCH_GRAM bytes, the one fewest needles use so far, and a
 * value is searched window by window.
 */
uint64_t
match_gram_key(uint32_t field, const char *p)
{
    uint32_t w;

    memcpy(&w, p, sizeof(w));
    return (uint64_t)field << 32 | w;
}

uint64_t
match_gram_hash(uint64_t key)
{
    return avalanche(key * 0x9e3779b97f4a7c15ULL);
}

struct match_gram_slot *
match_gram_find(const struct fusion_match_index *idx, uint64_t key, uint64_t h)
{
    size_t mask = idx->grams_cap - 1;

    if (!idx->grams_cap)
        return NULL;
    for (size_t i = h & mask; idx->grams[i].list != MATCH_NONE32;
         i = (i + 1) & mask) {
        if (idx->grams[i].key == key)
            return &idx->grams[i];
    }
    return NULL;
}

static enum fusion_err
grams_resize(struct fusion_match_index *idx, size_t cap)
{
    struct match_gram_slot *slots = fusion_malloc(cap * sizeof(*slots));

    if (!slots)
        return FUSION_ERR_NOMEM;
    for (size_t i = 0; i < cap; i++)
        slots[i].list = MATCH_NONE32;
    for (size_t j = 0; j < idx->grams_cap; j++) {
        size_t i;

        if (idx->grams[j].list == MATCH_NONE32)
            continue;
        for (i = match_gram_hash(idx->grams[j].key) & (cap - 1);
             slots[i].list != MATCH_NONE32; i = (i + 1) & (cap - 1))
            ;
        slots[i] = idx->grams[j];
    }
    fusion_free(idx->grams);
    idx->grams = slots;
    idx->grams_cap = cap;
    return FUSION_OK;
}

static enum fusion_err
gram_add(struct fusion_match_index *idx, uint64_t key,
         const struct match_needle_ref *ref)
{
    uint64_t h = match_gram_hash(key);
    struct match_gram_slot *g = match_gram_find(idx, key, h);
    struct match_needle_list *l;
    enum fusion_err rc;
    size_t i;

    if (!g) {
        if ((idx->ngrams + 1) * 2 > idx->grams_cap) {
            rc = grams_resize(idx, idx->grams_cap ? idx->grams_cap * 2 : 256);
            if (rc)
                return rc;
        }
        rc = match_grow((void **)&idx->needles, &idx->needles_cap,
                        idx->nneedles + 1, sizeof(*idx->needles));
        if (rc)
            return rc;
        memset(&idx->needles[idx->nneedles], 0, sizeof(*idx->needles));
        for (i = h & (idx->grams_cap - 1); idx->grams[i].list != MATCH_NONE32;
             i = (i + 1) & (idx->grams_cap - 1))
            ;
        g = &idx->grams[i];
        g->key = key;
        g->list = (uint32_t)idx->nneedles++;
        idx->ngrams++;
        idx->gram_bits[(h % MATCH_GRAM_BITS) / 64] |= 1ULL << (h % 64);
    }
    l = &idx->needles[g->list];
    rc = match_grow((void **)&l->items, &l->cap, l->n + 1, sizeof(*l->items));
    if (rc)
        return rc;
    l->items[l->n++] = *ref;
    return FUSION_OK;
}

struct needle_ctx {
    struct fusion_match_index *idx;
    uint32_t ord;
};

/*
 * Among the windows fewest needles use, the one nearest the middle: the
 * ends of a literal ("http://", ".com/") are the parts many share.
 */
static size_t
pick_window(const struct fusion_match_index *idx, uint32_t field,
            const char *needle, size_t len)
{
    size_t best = 0, best_n = SIZE_MAX, best_d = SIZE_MAX;
    size_t mid = (len - MATCH_GRAM) / 2;

    assert(len >= MATCH_GRAM);
    for (size_t i = 0; i + MATCH_GRAM <= len; i++) {
        uint64_t key = match_gram_key(field, needle + i);
        const struct match_gram_slot *g =
            match_gram_find(idx, key, match_gram_hash(key));
        size_t n = g ? idx->needles[g->list].n : 0;
        size_t d = i > mid ? i - mid : mid - i;

        if (n < best_n || (n == best_n && d < best_d)) {
            best = i;
            best_n = n;
            best_d = d;
        }
    }
    return best;
}

static uint64_t
text_hash(uint32_t field, const struct match_needle *nd)
{
    return hash_bytes(nd->text, nd->len, 0x27d4eb2fULL * (field + 1)) | 1;
}

static struct match_text_count *
text_slot(const struct fusion_match_index *idx, uint64_t h)
{
    size_t mask = idx->texts_cap - 1, i;

    if (!idx->texts_cap)
        return NULL;
    for (i = h & mask; idx->texts[i].hash && idx->texts[i].hash != h;
         i = (i + 1) & mask)
        ;
    return &idx->texts[i];
}

static enum fusion_err
text_count_add(struct fusion_match_index *idx, uint64_t h)
{
    struct match_text_count *t;

    if ((idx->ntexts + 1) * 2 > idx->texts_cap) {
        size_t cap = idx->texts_cap ? idx->texts_cap * 2 : 256;
        struct match_text_count *old = idx->texts;
        size_t old_cap = idx->texts_cap;

        idx->texts = fusion_calloc(cap, sizeof(*idx->texts));
        if (!idx->texts) {
            idx->texts = old;
            return FUSION_ERR_NOMEM;
        }
        idx->texts_cap = cap;
        for (size_t i = 0; i < old_cap; i++) {
            if (old[i].hash)
                *text_slot(idx, old[i].hash) = old[i];
        }
        fusion_free(old);
    }
    t = text_slot(idx, h);
    if (!t->hash) {
        t->hash = h;
        idx->ntexts++;
    }
    t->n++;
    return FUSION_OK;
}

/*
 * A value that satisfies the comparison contains all the needles; the
 * one filed is the one fewest earlier needles share, first by its whole
 * text (".example" in many regexes), then by its window, then the
 * longest.
 */
static size_t
pick_needle(const struct fusion_match_index *idx, uint32_t field,
            const struct match_needle *needles, size_t n)
{
    size_t best = 0, best_text = SIZE_MAX, best_win = SIZE_MAX;

    for (size_t i = 0; i < n; i++) {
        const struct match_text_count *t =
            text_slot(idx, text_hash(field, &needles[i]));
        size_t tn = t && t->hash ? t->n : 0, wn, at;
        const struct match_gram_slot *g;
        uint64_t key;

        at = pick_window(idx, field, needles[i].text, needles[i].len);
        key = match_gram_key(field, needles[i].text + at);
        g = match_gram_find(idx, key, match_gram_hash(key));
        wn = g ? idx->needles[g->list].n : 0;
        if (tn < best_text || (tn == best_text && wn < best_win) ||
            (tn == best_text && wn == best_win &&
             needles[i].len > needles[best].len)) {
            best = i;
            best_text = tn;
            best_win = wn;
        }
    }
    return best;
}

static enum fusion_err
put_needle(void *ctx, size_t leaf, const char *type, const char *path,
           const struct match_needle *needles, size_t n)
{
    struct needle_ctx *nc = ctx;
    struct fusion_match_index *idx = nc->idx;
    struct match_needle_ref ref = { .ord = nc->ord };
    const struct match_needle *nd;
    struct match_field *f;
    uint32_t num;
    enum fusion_err rc;

    (void)leaf;
    assert(n > 0);
    rc = field_get(idx, type, path, &f);
    if (rc)
        return rc;
    num = (uint32_t)(f - idx->fields);
    nd = &needles[pick_needle(idx, num, needles, n)];
    assert(nd->len >= MATCH_GRAM);
    if (nd->len > UINT32_MAX)
        return FUSION_ERR_LIMIT;
    ref.len = (uint32_t)nd->len;
    rc = pool_add(idx, nd->text, nd->len, false, &ref.off);
    if (!rc)
        rc = text_count_add(idx, text_hash(num, nd));
    if (rc)
        return rc;
    ref.at = (uint32_t)pick_window(idx, num, nd->text, nd->len);
    rc = gram_add(idx, match_gram_key(num, nd->text + ref.at), &ref);
    if (rc)
        return rc;
    if (f->nneedled > 0 && f->needled[f->nneedled - 1] == nc->ord)
        return FUSION_OK;
    rc = match_grow((void **)&f->needled, &f->needled_cap, f->nneedled + 1,
                    sizeof(*f->needled));
    if (!rc)
        f->needled[f->nneedled++] = nc->ord;
    return rc;
}

static enum fusion_err
cplx_new(struct fusion_match_index *idx, uint32_t *out)
{
    enum fusion_err rc;

    rc = match_grow((void **)&idx->cplx, &idx->cplx_cap, idx->ncplx + 1,
                    sizeof(*idx->cplx));
    if (rc)
        return rc;
    memset(&idx->cplx[idx->ncplx], 0, sizeof(*idx->cplx));
    *out = (uint32_t)idx->ncplx++;
    return FUSION_OK;
}

/* Compiles a pattern that is not SIMPLE into the record ord. */
static enum fusion_err
put_complex(struct fusion_match_index *idx, struct put_ctx *pc,
            struct fusion_pattern *pattern, struct fusion_error *err)
{
    struct match_ind *r = &idx->inds[pc->ord];
    struct needle_ctx nc = { .idx = idx, .ord = pc->ord };
    bool scan = pc->shape == FUSION_PATTERN_SCAN || pc->needs_scan;
    struct fusion_pattern_prog *prog;
    bool needled = false;
    uint32_t c;
    enum fusion_err rc = FUSION_OK;

    if (pc->shape == FUSION_PATTERN_SCAN && !pc->needs_scan)
        rc = match_needles(pattern, &needled, put_needle, &nc);
    scan = scan && !needled;
    if (!rc && scan)
        rc = scan_register(idx, pattern, pc->ord);
    if (!rc)
        rc = cplx_new(idx, &c);
    if (rc) {
        fusion_pattern_free(pattern);
        return fusion_error_set(err, rc, "cannot index pattern: %s",
                                fusion_strerror(rc));
    }
    rc = fusion_pattern_compile(pattern, &prog, err);
    if (rc)
        return rc;
    r = &idx->inds[pc->ord];
    r->cplx = c;
    r->kind = MATCH_IND_COMPLEX;
    idx->cplx[c].prog = prog;
    idx->cplx[c].single = fusion_pattern_prog_single(prog);
    idx->cplx[c].nleaves = fusion_pattern_prog_leaves(prog);
    idx->cplx[c].scanned = scan;
    if (scan)
        idx->scanned++;
    else
        idx->complex++;
    return FUSION_OK;
}

/*
 * Public interface.
 */
enum fusion_err
fusion_match_index_new(struct fusion_match_index **out)
{
    struct fusion_match_index *idx = fusion_calloc(1, sizeof(*idx));

    assert(out);
    *out = idx;
    return idx ? FUSION_OK : FUSION_ERR_NOMEM;
}

void
fusion_match_index_free(struct fusion_match_index *idx)
{
    if (!idx)
        return;
    for (size_t i = 0; i < idx->ncplx; i++)
        cplx_release(&idx->cplx[i]);
    for (size_t i = 0; i < idx->nlists; i++)
        fusion_free(idx->lists[i].items);
    for (size_t i = 0; i < idx->nfields; i++) {
        fusion_free(idx->fields[i].type);
        fusion_free(idx->fields[i].needled);
    }
    for (size_t i = 0; i < idx->nscans; i++) {
        fusion_free(idx->scans[i].type);
        fusion_free(idx->scans[i].ords);
    }
    for (size_t i = 0; i < idx->ntypes; i++)
        fusion_free(idx->types[i].name);
    fusion_free(idx->types);
    fusion_free(idx->scans);
    for (size_t i = 0; i < idx->nneedles; i++)
        fusion_free(idx->needles[i].items);
    fusion_free(idx->needles);
    fusion_free(idx->texts);
    fusion_free(idx->grams);
    fusion_free(idx->cplx);
    fusion_free(idx->lists);
    fusion_free(idx->fields);
    fusion_free(idx->field_slots);
    fusion_free(idx->keys);
    fusion_free(idx->ids);
    fusion_free(idx->inds);
    fusion_free(idx->seen);
    fusion_free(idx->cand);
    fusion_free(idx->pool);
    fusion_free(idx);
}

enum fusion_err
fusion_match_index_put(struct fusion_match_index *idx, const char *id,
                       int64_t version, const char *pattern, size_t len,
                       int64_t valid_from, int64_t valid_until,
                       struct fusion_error *err)
{
    uint64_t h = hash_bytes(id, strlen(id), 1);
    struct match_id_slot *slot = id_find(idx, id, h);
    struct put_ctx pc = { .idx = idx };
    struct fusion_pattern *pat;
    struct match_ind *r;
    enum fusion_err rc;

    assert(idx && id && (pattern || len == 0));
    if (slot && idx->inds[slot->ord].version > version)
        return FUSION_OK;
    if (slot)
        ind_kill(idx, slot->ord);
    rc = ind_new(idx, id, h, slot, &pc.ord);
    if (rc)
        return fusion_error_set(err, rc, "cannot index indicator '%s': %s", id,
                                fusion_strerror(rc));
    r = &idx->inds[pc.ord];
    r->version = version;
    r->valid_from = valid_from;
    r->valid_until = valid_until;
    rc = fusion_pattern_parse(pattern, len, &pat, err);
    if (rc)
        return rc;
    fusion_pattern_hash_names(pat);
    if (fusion_pattern_reads_ids(pat))
        idx->reads_ids = true;
    rc = fusion_pattern_terms(pat, &pc.shape, put_term, &pc);
    if (rc) {
        fusion_pattern_free(pat);
        return fusion_error_set(err, rc, "cannot index pattern: %s",
                                fusion_strerror(rc));
    }
    if (pc.shape == FUSION_PATTERN_SIMPLE && !pc.needs_scan) {
        fusion_pattern_free(pat);
        idx->inds[pc.ord].kind = MATCH_IND_SIMPLE;
        idx->simple++;
    } else {
        rc = put_complex(idx, &pc, pat, err);
        if (rc)
            return rc;
    }
    idx->live++;
    return FUSION_OK;
}

void
fusion_match_index_remove(struct fusion_match_index *idx, const char *id)
{
    uint64_t h = hash_bytes(id, strlen(id), 1);
    struct match_id_slot *slot;

    assert(idx && id);
    slot = id_find(idx, id, h);
    if (slot)
        ind_kill(idx, slot->ord);
}

void
fusion_match_index_stats(const struct fusion_match_index *idx,
                         struct fusion_match_stats *out)
{
    assert(idx && out);
    memset(out, 0, sizeof(*out));
    out->indicators = idx->live;
    out->simple = idx->simple;
    out->complex = idx->complex;
    out->scanned = idx->scanned;
    out->keys = idx->nkeys_eq;
    out->prefixes = idx->nprefixes;
    out->skipped = idx->skipped;
}
