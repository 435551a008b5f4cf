/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keeping the index in step with the store: every indicator version added
 * since the last call is put into the index or taken out of it.
 */
#include "match/match.h"

#include <assert.h>
#include <string.h>

struct follow {
    struct fusion_match_index *idx;
    int64_t since;
    fusion_match_reject_fn reject;
    void *ctx;
    enum fusion_err rc; /* a failure that stops the walk */
    struct fusion_error *err;
};

static void
reject(struct follow *f, const char *id, const struct fusion_error *e)
{
    if (f->reject)
        f->reject(f->ctx, id, e);
}

/*
 * What a put's result means for the walk: running out of memory stops
 * it; any other failure is a reject, and the id is left out.
 */
static enum fusion_err
put_outcome(struct follow *f, const struct fusion_store_row *row,
            enum fusion_err rc, const struct fusion_error *e)
{
    if (rc == FUSION_ERR_NOMEM)
        return fusion_error_set(f->err, rc, "out of memory indexing '%s'",
                                row->id);
    if (rc) {
        if (rc != FUSION_ERR_INVALID && rc != FUSION_ERR_LIMIT)
            fusion_match_index_remove(f->idx, row->id);
        reject(f, row->id, e);
    }
    return FUSION_OK;
}

/* A timestamp member as nanoseconds; 0 when absent (no bound). */
static enum fusion_err
time_member(const json_t *obj, const char *key, int64_t *out,
            struct fusion_error *err)
{
    const json_t *v = json_object_get(obj, key);
    struct fusion_ts ts;
    enum fusion_err rc;

    *out = 0;
    if (!v)
        return FUSION_OK;
    if (!json_is_string(v))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "%s is not a timestamp", key);
    rc = fusion_ts_parse(json_string_value(v), json_string_length(v), &ts, err);
    if (rc)
        fusion_error_prefix(err, "%s", key);
    *out = ts.ns;
    return rc;
}

/*
 * The current version of an id. A revoked one, or one whose pattern is
 * not a STIX pattern, takes the indicator out; the rest are put.
 */
static enum fusion_err
follow_version(struct follow *f, const struct fusion_store_row *row,
               const json_t *obj)
{
    const char *type = fusion_stix_str(obj, "pattern_type");
    const json_t *pattern = json_object_get(obj, "pattern");
    int64_t valid_from, valid_until;
    struct fusion_error e;
    enum fusion_err rc;

    fusion_error_clear(&e);
    if (row->revoked || json_is_true(json_object_get(obj, "revoked")) ||
        (type && strcmp(type, "stix") != 0)) {
        fusion_match_index_remove(f->idx, row->id);
        return FUSION_OK;
    }
    if (!json_is_string(pattern)) {
        fusion_match_index_remove(f->idx, row->id);
        fusion_error_set(&e, FUSION_ERR_INVALID, "indicator without pattern");
        reject(f, row->id, &e);
        return FUSION_OK;
    }
    rc = time_member(obj, "valid_from", &valid_from, &e);
    if (!rc)
        rc = time_member(obj, "valid_until", &valid_until, &e);
    if (!rc)
        rc = fusion_match_index_put(
            f->idx, row->id, row->version, json_string_value(pattern),
            json_string_length(pattern), valid_from, valid_until, &e);
    return put_outcome(f, row, rc, &e);
}

/*
 * The text of a string member: in place when it has no escape, else
 * decoded into *decoded (freed by the caller). False when it does not
 * decode.
 */
static bool
member_text(const struct fusion_stix_member *m, const char **value, size_t *len,
            json_t **decoded)
{
    json_t *s;

    assert(m->kind == FUSION_STIX_MEMBER_STRING);
    if (!memchr(m->value, '\\', m->len)) {
        *value = m->value;
        *len = m->len;
        return true;
    }
    /* the quotes around the member's text are in the row too */
    s = json_loadb(m->value - 1, m->len + 2, JSON_DECODE_ANY, NULL);
    if (!json_is_string(s)) {
        json_decref(s);
        return false;
    }
    *decoded = s;
    *value = json_string_value(s);
    *len = json_string_length(s);
    return true;
}

/*
 * A timestamp member read without parsing the row; 0 when absent. Its
 * text has no escape (follow_fast leaves those to a full parse).
 */
static enum fusion_err
stored_time(const struct fusion_stix_member *m, const char *key, int64_t *out,
            struct fusion_error *err)
{
    struct fusion_ts ts;
    enum fusion_err rc;

    *out = 0;
    if (m->kind == FUSION_STIX_MEMBER_NONE)
        return FUSION_OK;
    assert(m->kind == FUSION_STIX_MEMBER_STRING);
    rc = fusion_ts_parse(m->value, m->len, &ts, err);
    if (rc)
        fusion_error_prefix(err, "%s", key);
    *out = ts.ns;
    return rc;
}

/* Whether a time member needs a full parse: no string, or escapes. */
static bool
time_is_plain(const struct fusion_stix_member *m)
{
    return m->kind == FUSION_STIX_MEMBER_NONE ||
           (m->kind == FUSION_STIX_MEMBER_STRING &&
            !memchr(m->value, '\\', m->len));
}

enum follow_member {
    MEMBER_PATTERN,
    MEMBER_PATTERN_TYPE,
    MEMBER_VALID_FROM,
    MEMBER_VALID_UNTIL,
    MEMBER_REVOKED,
    MEMBER_COUNT,
};

/*
 * follow_version on the stored text, which is the canonical JSON the
 * store keeps, read in one pass without building a tree. Returns false
 * (nothing done) for the rare rows it leaves to a full parse: no pattern
 * string, or a time member that is no plain string.
 */
static bool
follow_fast(struct follow *f, const struct fusion_store_row *row)
{
    static const char *const keys[MEMBER_COUNT] = {
        "pattern", "pattern_type", "valid_from", "valid_until", "revoked",
    };
    struct fusion_stix_member m[MEMBER_COUNT];
    const struct fusion_stix_member *type = &m[MEMBER_PATTERN_TYPE];
    const struct fusion_stix_member *revoked = &m[MEMBER_REVOKED];
    int64_t valid_from, valid_until;
    json_t *decoded[2] = { NULL, NULL };
    const char *pattern, *type_text;
    size_t pattern_len, type_len;
    struct fusion_error e;
    enum fusion_err rc;

    if (!fusion_stix_json_members(row->json, row->json_len, keys, MEMBER_COUNT,
                                  m) ||
        m[MEMBER_PATTERN].kind != FUSION_STIX_MEMBER_STRING ||
        !time_is_plain(&m[MEMBER_VALID_FROM]) ||
        !time_is_plain(&m[MEMBER_VALID_UNTIL]))
        return false;
    if (!member_text(&m[MEMBER_PATTERN], &pattern, &pattern_len, &decoded[0]) ||
        (type->kind == FUSION_STIX_MEMBER_STRING &&
         !member_text(type, &type_text, &type_len, &decoded[1]))) {
        json_decref(decoded[0]);
        return false;
    }
    /* a value that is no string starting with 't' can only be true */
    if (row->revoked ||
        (revoked->kind == FUSION_STIX_MEMBER_OTHER &&
         revoked->value[0] == 't') ||
        (type->kind == FUSION_STIX_MEMBER_STRING &&
         (type_len != 4 || memcmp(type_text, "stix", 4) != 0))) {
        fusion_match_index_remove(f->idx, row->id);
        goto out;
    }
    fusion_error_clear(&e);
    rc = stored_time(&m[MEMBER_VALID_FROM], "valid_from", &valid_from, &e);
    if (!rc)
        rc = stored_time(&m[MEMBER_VALID_UNTIL], "valid_until", &valid_until,
                         &e);
    if (!rc)
        rc = fusion_match_index_put(f->idx, row->id, row->version, pattern,
                                    pattern_len, valid_from, valid_until, &e);
    f->rc = put_outcome(f, row, rc, &e);
out:
    json_decref(decoded[0]);
    json_decref(decoded[1]);
    return true;
}

static int
follow_row(void *ctx, const struct fusion_store_row *row)
{
    struct follow *f = ctx;
    json_error_t jerr;
    json_t *obj;

    assert(row->date_added >= f->since);
    f->since = row->date_added;
    /*
     * Only the current version of an id decides; an older version that
     * arrives late, even after a revocation, changes nothing.
     */
    if (!row->current)
        return 0;
    if (follow_fast(f, row))
        return f->rc ? 1 : 0;
    obj = json_loadb(row->json, row->json_len, 0, &jerr);
    if (!obj) {
        struct fusion_error e;

        fusion_error_set_at(&e, FUSION_ERR_INVALID, (uint64_t)jerr.position,
                            "stored indicator is not JSON: %s", jerr.text);
        fusion_match_index_remove(f->idx, row->id);
        reject(f, row->id, &e);
        return 0;
    }
    f->rc = follow_version(f, row, obj);
    json_decref(obj);
    return f->rc ? 1 : 0;
}

enum fusion_err
fusion_match_index_follow(struct fusion_match_index *idx,
                          struct fusion_store *store, int64_t *since,
                          fusion_match_reject_fn reject_fn, void *ctx,
                          struct fusion_error *err)
{
    static const char *const types[] = { "indicator" };
    struct fusion_store_query q = {
        .types = types,
        .ntypes = 1,
        .added_after = *since,
        .include_revoked = true,
        .all_versions = true,
    };
    struct follow f = {
        .idx = idx,
        .since = *since,
        .reject = reject_fn,
        .ctx = ctx,
        .err = err,
    };
    enum fusion_err rc;

    assert(idx && store && since);
    rc = fusion_store_search(store, &q, follow_row, &f, NULL, err);
    *since = f.since;
    if (f.rc)
        return f.rc;
    return rc;
}
