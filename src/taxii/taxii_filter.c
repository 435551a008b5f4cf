/* SPDX-License-Identifier: Apache-2.0 */
/* TAXII 2.1 filter parameters (section 3.4, 3.4.1) and their digest. */
#include "taxii/taxii.h"

#include <assert.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix.h"

/* <type>--<uuid>: a type of at most 250 characters, "--" and 36. */
#define ID_MAX (250 + 2 + FUSION_UUID_LEN)

typedef enum fusion_err (*item_fn)(struct fusion_taxii_filter *f, const char *s,
                                   size_t len, struct fusion_error *err);

/* The match[...] fields the notes define, with their item checks. */
struct match_field {
    const char *key;
    unsigned bit;
    item_fn check;
};

static bool
is_type_name(const char *s, size_t len)
{
    /* STIX 2.1 section 3.1: a-z, 0-9 and "-", 3 to 250 characters. */
    if (len < 3 || len > 250 || s[0] == '-' || s[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
        if (c == '-' && i + 1 < len && s[i + 1] == '-')
            return false;
    }
    return true;
}

static enum fusion_err
add_str(struct fusion_taxii_match *m, const char *key, const char *s,
        size_t len, struct fusion_error *err)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->v[i].len == len && memcmp(m->v[i].ptr, s, len) == 0)
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "invalid %s: '%.*s' given twice", key,
                                    (int)len, s);
    }
    if (m->n == FUSION_TAXII_MATCH_MAX)
        return fusion_error_set(err, FUSION_ERR_LIMIT,
                                "invalid %s: more than %d values", key,
                                FUSION_TAXII_MATCH_MAX);
    m->v[m->n].ptr = s;
    m->v[m->n].len = len;
    m->n++;
    return FUSION_OK;
}

static enum fusion_err
item_id(struct fusion_taxii_filter *f, const char *s, size_t len,
        struct fusion_error *err)
{
    char id[ID_MAX + 1];

    if (len > ID_MAX)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid match[id]: '%.*s' is too long", 64, s);
    memcpy(id, s, len);
    id[len] = '\0';
    if (!fusion_stix_id_is_valid(id, NULL))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid match[id]: '%s' is not a STIX id", id);
    return add_str(&f->ids, "match[id]", s, len, err);
}

static enum fusion_err
item_type(struct fusion_taxii_filter *f, const char *s, size_t len,
          struct fusion_error *err)
{
    if (!is_type_name(s, len))
        return fusion_error_set(
            err, FUSION_ERR_INVALID,
            "invalid match[type]: '%.*s' is not a type name",
            (int)(len > 64 ? 64 : len), s);
    return add_str(&f->types, "match[type]", s, len, err);
}

static enum fusion_err
version_keyword(bool *flag, const char *s, size_t len, struct fusion_error *err)
{
    if (*flag)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid match[version]: '%.*s' given twice",
                                (int)len, s);
    *flag = true;
    return FUSION_OK;
}

static enum fusion_err
item_version(struct fusion_taxii_filter *f, const char *s, size_t len,
             struct fusion_error *err)
{
    struct fusion_taxii_version_match *v = &f->versions;
    struct fusion_ts ts;

    if (len == 3 && memcmp(s, "all", 3) == 0)
        return version_keyword(&v->all, s, len, err);
    if (len == 4 && memcmp(s, "last", 4) == 0)
        return version_keyword(&v->last, s, len, err);
    if (len == 5 && memcmp(s, "first", 5) == 0)
        return version_keyword(&v->first, s, len, err);
    if (fusion_ts_parse(s, len, &ts, err) != FUSION_OK) {
        fusion_error_prefix(err, "invalid match[version]");
        return FUSION_ERR_INVALID;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (fusion_ts_compare(&v->ts[i], &ts) == 0)
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "invalid match[version]: '%.*s' given "
                                    "twice",
                                    (int)len, s);
    }
    if (v->n == FUSION_TAXII_MATCH_MAX)
        return fusion_error_set(err, FUSION_ERR_LIMIT,
                                "invalid match[version]: more than %d values",
                                FUSION_TAXII_MATCH_MAX);
    v->ts[v->n++] = ts;
    return FUSION_OK;
}

static enum fusion_err
item_spec_version(struct fusion_taxii_filter *f, const char *s, size_t len,
                  struct fusion_error *err)
{
    size_t i = 0, major = 0, minor = 0;

    /* Section 1.6.8.2: versions have the form n.m. */
    while (i < len && s[i] >= '0' && s[i] <= '9' && major < 4)
        i++, major++;
    if (i < len && s[i] == '.')
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9' && minor < 4)
        i++, minor++;
    if (i != len || major == 0 || minor == 0 || s[major] != '.')
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid match[spec_version]: '%.*s' is not "
                                "a version such as 2.1",
                                (int)(len > 64 ? 64 : len), s);
    return add_str(&f->spec_versions, "match[spec_version]", s, len, err);
}

static const struct match_field match_fields[] = {
    { "match[id]", FUSION_TAXII_F_MATCH_ID, item_id },
    { "match[type]", FUSION_TAXII_F_MATCH_TYPE, item_type },
    { "match[version]", FUSION_TAXII_F_MATCH_VERSION, item_version },
    { "match[spec_version]", FUSION_TAXII_F_MATCH_SPEC_VERSION,
      item_spec_version },
};

/*
 * Splits a match value on commas (section 3.4: ORed, no spaces) and
 * checks every item; an empty value or item is malformed.
 */
static enum fusion_err
parse_match(struct fusion_taxii_filter *f, const struct match_field *mf,
            const char *value, struct fusion_error *err)
{
    const char *p = value;
    enum fusion_err rc;

    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);

        if (len == 0)
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "invalid %s: empty value", mf->key);
        rc = mf->check(f, p, len, err);
        if (rc != FUSION_OK)
            return rc;
        if (!comma)
            break;
        p = comma + 1;
    }

    /* Section 3.4.1: "all" MUST NOT be combined with any other value. */
    if (mf->bit == FUSION_TAXII_F_MATCH_VERSION && f->versions.all &&
        (f->versions.first || f->versions.last || f->versions.n > 0))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid match[version]: 'all' must stand "
                                "alone");
    return FUSION_OK;
}

static enum fusion_err
parse_limit(struct fusion_taxii_filter *f, const char *value, int64_t max_limit,
            struct fusion_error *err)
{
    size_t len = strlen(value);
    int64_t v;
    enum fusion_err rc;

    /* Section 3.4: a positive integer; signs are not part of one. */
    for (size_t i = 0; i < len; i++) {
        if (value[i] < '0' || value[i] > '9')
            len = 0;
    }
    rc = len ? fusion_parse_int64(value, len, &v) : FUSION_ERR_INVALID;
    if (rc == FUSION_ERR_LIMIT)
        v = INT64_MAX;
    else if (rc != FUSION_OK || v <= 0)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid limit: '%.32s' is not a positive "
                                "integer",
                                value);
    f->limit_requested = v;
    f->limit = v < max_limit ? v : max_limit;
    return FUSION_OK;
}

static enum fusion_err
parse_one(struct fusion_taxii_filter *f, const struct fusion_taxii_param *p,
          int64_t max_limit, struct fusion_error *err)
{
    size_t len = strlen(p->value);

    if (strcmp(p->key, "added_after") == 0) {
        if (fusion_ts_parse(p->value, len, &f->added_after, err) == FUSION_OK)
            return FUSION_OK;
        fusion_error_prefix(err, "invalid added_after");
        return FUSION_ERR_INVALID;
    }
    if (strcmp(p->key, "limit") == 0)
        return parse_limit(f, p->value, max_limit, err);
    if (len == 0 || len > FUSION_TAXII_NEXT_MAX)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid next: must be 1 to %d bytes",
                                FUSION_TAXII_NEXT_MAX);
    f->next.ptr = p->value;
    f->next.len = len;
    return FUSION_OK;
}

static unsigned
plain_bit(const char *key)
{
    if (strcmp(key, "added_after") == 0)
        return FUSION_TAXII_F_ADDED_AFTER;
    if (strcmp(key, "limit") == 0)
        return FUSION_TAXII_F_LIMIT;
    if (strcmp(key, "next") == 0)
        return FUSION_TAXII_F_NEXT;
    return 0;
}

enum fusion_err
fusion_taxii_filter_parse(const struct fusion_taxii_param *params, size_t n,
                          int64_t max_limit, struct fusion_taxii_filter *out,
                          struct fusion_error *err)
{
    assert(max_limit > 0);
    memset(out, 0, sizeof(*out));
    out->limit = max_limit;

    for (size_t i = 0; i < n; i++) {
        const struct match_field *mf = NULL;
        unsigned bit = plain_bit(params[i].key);
        enum fusion_err rc;

        for (size_t k = 0;
             !bit && k < sizeof(match_fields) / sizeof(match_fields[0]); k++) {
            if (strcmp(params[i].key, match_fields[k].key) == 0) {
                mf = &match_fields[k];
                bit = mf->bit;
            }
        }
        if (!bit) {
            out->n_ignored++;
            continue;
        }
        /* Section 3.4: each parameter at most once (T-S-50). */
        if (out->present & bit)
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "invalid %s: given more than once",
                                    params[i].key);
        out->present |= bit;
        rc = mf ? parse_match(out, mf, params[i].value, err)
                : parse_one(out, &params[i], max_limit, err);
        if (rc != FUSION_OK)
            return rc;
    }
    return FUSION_OK;
}

unsigned
fusion_taxii_filter_allowed(enum fusion_taxii_endpoint endpoint)
{
    const unsigned paging =
        FUSION_TAXII_F_ADDED_AFTER | FUSION_TAXII_F_LIMIT | FUSION_TAXII_F_NEXT;

    /*
     * Notes section 3, endpoint table. E9 and E10 accept spec_version as
     * their parameter tables do, though their text names only version.
     */
    switch (endpoint) {
    case FUSION_TAXII_EP_MANIFEST:
    case FUSION_TAXII_EP_OBJECTS:
        return paging | FUSION_TAXII_F_MATCH_ID | FUSION_TAXII_F_MATCH_TYPE |
               FUSION_TAXII_F_MATCH_VERSION | FUSION_TAXII_F_MATCH_SPEC_VERSION;
    case FUSION_TAXII_EP_OBJECT:
        return paging | FUSION_TAXII_F_MATCH_VERSION |
               FUSION_TAXII_F_MATCH_SPEC_VERSION;
    case FUSION_TAXII_EP_OBJECT_DELETE:
        return FUSION_TAXII_F_MATCH_VERSION | FUSION_TAXII_F_MATCH_SPEC_VERSION;
    case FUSION_TAXII_EP_VERSIONS:
        return paging | FUSION_TAXII_F_MATCH_SPEC_VERSION;
    case FUSION_TAXII_EP_OTHER:
        break;
    }
    return 0;
}

static const char *
field_name(unsigned bit)
{
    if (bit == FUSION_TAXII_F_ADDED_AFTER)
        return "added_after";
    if (bit == FUSION_TAXII_F_LIMIT)
        return "limit";
    if (bit == FUSION_TAXII_F_NEXT)
        return "next";
    for (size_t k = 0; k < sizeof(match_fields) / sizeof(match_fields[0]);
         k++) {
        if (match_fields[k].bit == bit)
            return match_fields[k].key;
    }
    return "?";
}

enum fusion_err
fusion_taxii_filter_check(const struct fusion_taxii_filter *f,
                          enum fusion_taxii_endpoint endpoint,
                          struct fusion_error *err)
{
    unsigned extra = f->present & ~fusion_taxii_filter_allowed(endpoint);

    if (extra == 0)
        return FUSION_OK;
    return fusion_error_set(err, FUSION_ERR_INVALID,
                            "invalid %s: not accepted by this endpoint",
                            field_name(extra & (~extra + 1u)));
}

/* Length-prefixed, so that no two different queries feed the same bytes. */
static void
digest_bytes(EVP_MD_CTX *ctx, const void *p, size_t len)
{
    uint64_t n = len;

    EVP_DigestUpdate(ctx, &n, sizeof(n));
    EVP_DigestUpdate(ctx, p, len);
}

static int
cmp_str(const void *a, const void *b)
{
    const struct fusion_taxii_str *x = a;
    const struct fusion_taxii_str *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->ptr, y->ptr, n);

    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static int
cmp_ts(const void *a, const void *b)
{
    int64_t x = ((const struct fusion_ts *)a)->ns;
    int64_t y = ((const struct fusion_ts *)b)->ns;

    return x < y ? -1 : x > y;
}

/*
 * The values of a match field are ORed (section 3.4), so their order does
 * not change the query: the digest takes them sorted (and each once,
 * though the parser already refuses a value given twice).
 */
static void
digest_match(EVP_MD_CTX *ctx, const struct fusion_taxii_match *m)
{
    struct fusion_taxii_str v[FUSION_TAXII_MATCH_MAX];
    size_t n = 0;

    assert(m->n <= FUSION_TAXII_MATCH_MAX);
    memcpy(v, m->v, m->n * sizeof(*v));
    qsort(v, m->n, sizeof(*v), cmp_str);
    for (size_t i = 0; i < m->n; i++) {
        if (n == 0 || cmp_str(&v[n - 1], &v[i]) != 0)
            v[n++] = v[i];
    }
    digest_bytes(ctx, &n, sizeof(n));
    for (size_t i = 0; i < n; i++)
        digest_bytes(ctx, v[i].ptr, v[i].len);
}

static void
digest_times(EVP_MD_CTX *ctx, const struct fusion_taxii_version_match *vm)
{
    struct fusion_ts t[FUSION_TAXII_MATCH_MAX];
    size_t n = 0;

    assert(vm->n <= FUSION_TAXII_MATCH_MAX);
    memcpy(t, vm->ts, vm->n * sizeof(*t));
    qsort(t, vm->n, sizeof(*t), cmp_ts);
    for (size_t i = 0; i < vm->n; i++) {
        if (n == 0 || t[n - 1].ns != t[i].ns)
            t[n++] = t[i];
    }
    digest_bytes(ctx, &n, sizeof(n));
    for (size_t i = 0; i < n; i++)
        digest_bytes(ctx, &t[i].ns, sizeof(t[i].ns));
}

uint64_t
fusion_taxii_filter_digest(const struct fusion_taxii_filter *f,
                           const char *scope)
{
    const struct fusion_taxii_version_match *v = &f->versions;
    unsigned char md[EVP_MAX_MD_SIZE] = { 0 };
    unsigned md_len = 0, bits;
    uint64_t out = 0;
    int64_t after;
    uint8_t kw[3] = { v->first, v->last, v->all };
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (!ctx)
        return 0;
    bits = f->present & ~(unsigned)(FUSION_TAXII_F_LIMIT | FUSION_TAXII_F_NEXT);
    /* an added_after before any date_added is the same as none */
    after = f->added_after.ns;
    if (!(bits & FUSION_TAXII_F_ADDED_AFTER) || after <= 0) {
        bits &= ~(unsigned)FUSION_TAXII_F_ADDED_AFTER;
        after = 0;
    }
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    digest_bytes(ctx, scope, strlen(scope));
    digest_bytes(ctx, &bits, sizeof(bits));
    digest_bytes(ctx, &after, sizeof(after));
    digest_match(ctx, &f->ids);
    digest_match(ctx, &f->types);
    digest_bytes(ctx, kw, sizeof(kw));
    digest_times(ctx, v);
    digest_match(ctx, &f->spec_versions);
    EVP_DigestFinal_ex(ctx, md, &md_len);
    EVP_MD_CTX_free(ctx);

    for (int i = 0; i < 8; i++)
        out = out << 8 | md[i];
    return out;
}
