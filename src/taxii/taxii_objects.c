/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TAXII endpoints on a collection's content (section 5.3 to 5.8)
 * and the status of an upload (section 4.3). Objects are served as the
 * store's canonical text, spliced into the envelope unparsed.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"
#include "taxii/taxii_server_int.h"

/* Query parameters that are filters; others are ignored (section 3.4). */
static const char *const filter_keys[] = {
    "added_after",         "limit",       "next",
    "match[id]",           "match[type]", "match[version]",
    "match[spec_version]",
};

#define MAX_FILTER_PARAMS 32

/*
 * Parses the filters of the request for endpoint into f; on a malformed
 * one replies 400 and leaves *ok false.
 */
static enum fusion_err
parse_filter(struct taxii_call *c, enum fusion_taxii_endpoint endpoint,
             struct fusion_taxii_filter *f, bool *ok)
{
    struct fusion_taxii_param params[MAX_FILTER_PARAMS];
    struct fusion_error err;
    size_t n = 0;

    *ok = false;
    for (size_t k = 0; k < sizeof(filter_keys) / sizeof(*filter_keys); k++) {
        const char *const *values;
        size_t nv;

        nv = fusion_http_request_query_all(c->req, filter_keys[k], &values);
        if (n + nv > MAX_FILTER_PARAMS)
            return taxii_reply_error(c, 400, "bad request",
                                     "too many filter parameters");
        for (size_t i = 0; i < nv; i++)
            params[n++] =
                (struct fusion_taxii_param){ filter_keys[k], values[i] };
    }
    if (fusion_taxii_filter_parse(params, n, c->srv->page_size, f, &err) ||
        fusion_taxii_filter_check(f, endpoint, &err))
        return taxii_reply_error(c, 400, "bad request", err.message);
    *ok = true;
    return FUSION_OK;
}

/* A NUL-terminated copy of each value of m, in the request's arena. */
static const char *const *
match_strings(struct taxii_call *c, const struct fusion_taxii_match *m)
{
    struct fusion_arena *arena = fusion_http_request_arena(c->req);
    const char **out;

    if (m->n == 0)
        return NULL;
    out = fusion_arena_calloc(arena, m->n, sizeof(*out));
    for (size_t i = 0; out && i < m->n; i++) {
        out[i] = fusion_arena_strndup(arena, m->v[i].ptr, m->v[i].len);
        if (!out[i])
            return NULL;
    }
    return out;
}

/*
 * What a query is about, for the digest its cursors carry: the API root,
 * the collection's id (however the URL named it), the endpoint and the
 * object, all as resolved or decoded, never as the URL spelt them.
 */
static const char *
query_scope(struct taxii_call *c, const char *coll_id,
            enum fusion_taxii_endpoint endpoint)
{
    const char *object = fusion_http_request_param(c->req, "object");
    struct fusion_arena *arena = fusion_http_request_arena(c->req);
    size_t size = strlen(c->root->name) + strlen(coll_id) +
                  (object ? strlen(object) : 0) + 16;
    char *scope = fusion_arena_alloc(arena, size);

    if (scope)
        snprintf(scope, size, "%s\n%s\n%d\n%s", c->root->name, coll_id,
                 (int)endpoint, object ? object : "");
    return scope;
}

/*
 * Turns f into a store query on scope (query_scope). A "next" cursor
 * must carry the MAC of this server and the digest of the same query
 * in the same scope, else 400 is replied and *ok left false.
 */
static enum fusion_err
store_query(struct taxii_call *c, const struct fusion_taxii_filter *f,
            const char *scope, struct fusion_store_taxii_query *q,
            uint64_t *digest, bool *ok)
{
    struct fusion_arena *arena = fusion_http_request_arena(c->req);
    struct fusion_taxii_cursor cursor;
    struct fusion_error err;
    int64_t *times = NULL;

    *ok = false;
    memset(q, 0, sizeof(*q));
    if (!scope)
        return FUSION_ERR_NOMEM;
    *digest = fusion_taxii_filter_digest(f, scope);
    if (f->present & FUSION_TAXII_F_NEXT) {
        if (fusion_taxii_cursor_decode(f->next.ptr, f->next.len, c->srv->secret,
                                       c->srv->secret_len, &cursor, &err))
            return taxii_reply_error(c, 400, "bad request", err.message);
        if (cursor.digest != *digest)
            return taxii_reply_error(c, 400, "bad request",
                                     "next belongs to another query: repeat "
                                     "the filters of the page it came with");
        q->next = cursor.date_added;
    }
    /*
     * Every date_added lies after 1970, so an earlier added_after (a
     * valid timestamp, section 3.4.1) selects everything.
     */
    if ((f->present & FUSION_TAXII_F_ADDED_AFTER) && f->added_after.ns > 0)
        q->added_after = f->added_after.ns;
    q->limit = (size_t)f->limit;
    q->nids = f->ids.n;
    q->ids = match_strings(c, &f->ids);
    q->ntypes = f->types.n;
    q->types = match_strings(c, &f->types);
    q->nspec_versions = f->spec_versions.n;
    q->spec_versions = match_strings(c, &f->spec_versions);
    q->versions = (f->versions.first ? FUSION_STORE_VERSION_FIRST : 0u) |
                  (f->versions.last ? FUSION_STORE_VERSION_LAST : 0u) |
                  (f->versions.all ? FUSION_STORE_VERSION_ALL : 0u);
    if (f->versions.n) {
        times = fusion_arena_calloc(arena, f->versions.n, sizeof(*times));
        for (size_t i = 0; times && i < f->versions.n; i++)
            times[i] = f->versions.ts[i].ns;
    }
    q->version_times = times;
    q->nversion_times = f->versions.n;
    if ((q->nids && !q->ids) || (q->ntypes && !q->types) ||
        (q->nspec_versions && !q->spec_versions) || (f->versions.n && !times))
        return FUSION_ERR_NOMEM;
    *ok = true;
    return FUSION_OK;
}

/*
 * The version TAXII gives an object with neither modified nor created
 * (an observable), which has one version (section 5.3.1 leaves the value
 * to the server). The store keys that version at time zero, so this
 * value also selects it in match[version], in every collection.
 */
#define UNVERSIONED "1970-01-01T00:00:00.000Z"

/* Its modified as written, else created, else UNVERSIONED. */
static char *
version_text(struct fusion_arena *arena, const struct fusion_store_row *row)
{
    const char *v;
    size_t len;

    if (fusion_stix_json_member(row->json, row->json_len, "modified", &v,
                                &len) ||
        fusion_stix_json_member(row->json, row->json_len, "created", &v, &len))
        return fusion_arena_strndup(arena, v, len);
    return fusion_arena_strdup(arena, UNVERSIONED);
}

enum listing {
    LIST_OBJECTS,
    LIST_MANIFEST,
    LIST_VERSIONS,
};

/* The rows of one page, copied out of the store's callbacks. */
struct page {
    enum listing what;
    struct fusion_arena *arena;
    struct fusion_buf text; /* objects' JSON, one after another */
    size_t n;
    size_t *offsets; /* LIST_OBJECTS: where each object ends in text */
    struct fusion_taxii_manifest_record *records;
    const char **versions;
    enum fusion_err rc;
};

static int
on_row(void *ctx, const struct fusion_store_row *row)
{
    struct page *p = ctx;

    switch (p->what) {
    case LIST_OBJECTS:
        p->rc = fusion_buf_append(&p->text, row->json, row->json_len);
        p->offsets[p->n] = p->text.len;
        break;
    case LIST_MANIFEST: {
        struct fusion_taxii_manifest_record *r = &p->records[p->n];
        char media[64];

        snprintf(media, sizeof(media), "application/stix+json;version=%s",
                 row->spec_version);
        r->id = fusion_arena_strdup(p->arena, row->id);
        r->date_added = row->date_added;
        r->version = version_text(p->arena, row);
        r->media_type = fusion_arena_strdup(p->arena, media);
        if (!r->id || !r->version || !r->media_type)
            p->rc = FUSION_ERR_NOMEM;
        break;
    }
    case LIST_VERSIONS:
        p->versions[p->n] = version_text(p->arena, row);
        if (!p->versions[p->n])
            p->rc = FUSION_ERR_NOMEM;
        break;
    }
    if (p->rc)
        return 1;
    p->n++;
    return 0;
}

static enum fusion_err
page_init(struct page *p, struct taxii_call *c, enum listing what, size_t limit)
{
    memset(p, 0, sizeof(*p));
    p->what = what;
    p->arena = fusion_http_request_arena(c->req);
    fusion_buf_init(&p->text, 0);
    if (what == LIST_OBJECTS)
        p->offsets = fusion_arena_calloc(p->arena, limit, sizeof(size_t));
    else if (what == LIST_MANIFEST)
        p->records = fusion_arena_calloc(p->arena, limit, sizeof(*p->records));
    else
        p->versions = fusion_arena_calloc(p->arena, limit, sizeof(char *));
    return p->offsets || p->records || p->versions ? FUSION_OK
                                                   : FUSION_ERR_NOMEM;
}

/* Writes the page as the endpoint's resource into the response body. */
static enum fusion_err
page_write(struct page *p, struct fusion_buf *out, bool more, const char *next)
{
    struct fusion_taxii_envelope env;
    struct fusion_error err;
    enum fusion_err rc;
    size_t start = 0;

    if (p->what == LIST_MANIFEST)
        return fusion_taxii_manifest_json(p->records, p->n, more, next, out,
                                          &err);
    if (p->what == LIST_VERSIONS)
        return fusion_taxii_versions_json(p->versions, p->n, more, out, &err);
    rc = fusion_taxii_envelope_begin(&env, out, more, next);
    for (size_t i = 0; rc == FUSION_OK && i < p->n; i++) {
        rc = fusion_taxii_envelope_add(&env, p->text.data + start,
                                       p->offsets[i] - start);
        start = p->offsets[i];
    }
    if (rc == FUSION_OK)
        rc = fusion_taxii_envelope_end(&env);
    return rc;
}

static enum fusion_err
date_headers(struct taxii_call *c, const struct fusion_store_page *pg)
{
    char ts[FUSION_TAXII_TS_LEN];
    enum fusion_err rc;

    if (pg->count == 0)
        return FUSION_OK;
    fusion_taxii_ts_format(pg->first_added, ts);
    rc = fusion_http_response_add_header(c->resp, "X-TAXII-Date-Added-First",
                                         ts);
    if (rc != FUSION_OK)
        return rc;
    fusion_taxii_ts_format(pg->last_added, ts);
    return fusion_http_response_add_header(c->resp, "X-TAXII-Date-Added-Last",
                                           ts);
}

static int
stop_at_first(void *ctx, const struct fusion_store_row *row)
{
    (void)row;
    *(bool *)ctx = true;
    return 1;
}

/* Whether object_id has any version in the collection. */
static enum fusion_err
object_exists(struct taxii_call *c, const char *coll, const char *object_id,
              bool *exists)
{
    const char *ids[] = { object_id };
    struct fusion_store_taxii_query q = {
        .ids = ids,
        .nids = 1,
        .versions = FUSION_STORE_VERSION_ALL,
        .limit = 1,
    };
    struct fusion_store_page pg;
    struct fusion_error err;
    enum fusion_err rc;

    *exists = false;
    rc = fusion_store_collection_objects(c->store, coll, &q, stop_at_first,
                                         exists, &pg, &err);
    return rc == 1 ? FUSION_OK : rc;
}

/*
 * The four listings: objects (E7), manifest (E6), one object (E9) and
 * its versions (E11).
 */
static enum fusion_err
list(struct taxii_call *c, enum fusion_taxii_endpoint endpoint,
     enum listing what, bool one_object)
{
    const char *object_id =
        one_object ? fusion_http_request_param(c->req, "object") : NULL;
    struct fusion_taxii_filter f;
    struct fusion_store_taxii_query q;
    struct fusion_store_page pg;
    struct taxii_coll coll;
    struct fusion_error err;
    struct page p;
    char next[FUSION_TAXII_CURSOR_LEN + 1];
    const char *ids[1];
    uint64_t digest;
    enum fusion_err rc;
    bool ok;

    rc = taxii_find_collection(c, &coll, &ok);
    if (rc != FUSION_OK || !ok)
        return rc;
    if (!coll.can_read)
        return taxii_reply_error(c, 403, "forbidden",
                                 "this account may not read the collection");
    rc = parse_filter(c, endpoint, &f, &ok);
    if (rc != FUSION_OK || !ok)
        return rc;
    rc =
        store_query(c, &f, query_scope(c, coll.id, endpoint), &q, &digest, &ok);
    if (rc != FUSION_OK || !ok)
        return rc;
    if (object_id) {
        ids[0] = object_id;
        q.ids = ids;
        q.nids = 1;
    }
    if (what == LIST_VERSIONS)
        q.versions = FUSION_STORE_VERSION_ALL;
    rc = page_init(&p, c, what, q.limit);
    if (rc == FUSION_OK)
        rc = fusion_store_collection_objects(c->store, coll.id, &q, on_row, &p,
                                             &pg, &err);
    if (rc == 1)
        rc = p.rc;
    if (rc == FUSION_ERR_INVALID || rc == FUSION_ERR_LIMIT) {
        fusion_buf_release(&p.text);
        return taxii_reply_error(c, 400, "bad request", err.message);
    }
    if (rc == FUSION_OK && object_id && pg.count == 0 &&
        !(f.present & (FUSION_TAXII_F_ADDED_AFTER | FUSION_TAXII_F_NEXT))) {
        bool exists;

        rc = object_exists(c, coll.id, object_id, &exists);
        if (rc == FUSION_OK && !exists) {
            fusion_buf_release(&p.text);
            return taxii_reply_error(c, 404, "object not found",
                                     "the collection holds no such object");
        }
    }
    if (rc == FUSION_OK && pg.more) {
        struct fusion_taxii_cursor cur = {
            .date_added = pg.last_added,
            .digest = digest,
        };

        rc = fusion_taxii_cursor_encode(&cur, c->srv->secret,
                                        c->srv->secret_len, next);
    }
    if (rc == FUSION_OK)
        rc = page_write(&p, fusion_http_response_body(c->resp), pg.more,
                        pg.more ? next : NULL);
    fusion_buf_release(&p.text);
    if (rc == FUSION_OK)
        rc = date_headers(c, &pg);
    if (rc != FUSION_OK)
        return rc;
    return taxii_reply_body(c, 200);
}

enum fusion_err
taxii_get_objects(struct taxii_call *c)
{
    return list(c, FUSION_TAXII_EP_OBJECTS, LIST_OBJECTS, false);
}

enum fusion_err
taxii_get_manifest(struct taxii_call *c)
{
    return list(c, FUSION_TAXII_EP_MANIFEST, LIST_MANIFEST, false);
}

enum fusion_err
taxii_get_object(struct taxii_call *c)
{
    return list(c, FUSION_TAXII_EP_OBJECT, LIST_OBJECTS, true);
}

enum fusion_err
taxii_get_versions(struct taxii_call *c)
{
    return list(c, FUSION_TAXII_EP_VERSIONS, LIST_VERSIONS, true);
}

/*
 * Delete an object (section 5.7): the permission table of the notes,
 * then the versions chosen by match[version] (default the last) leave
 * this collection; the store keeps them.
 */
enum fusion_err
taxii_delete_object(struct taxii_call *c)
{
    const char *object_id = fusion_http_request_param(c->req, "object");
    struct fusion_taxii_filter f;
    struct fusion_store_taxii_query q;
    struct taxii_coll coll;
    struct fusion_error err;
    uint64_t digest, removed = 0;
    enum fusion_err rc;
    bool ok;

    rc = taxii_find_collection(c, &coll, &ok);
    if (rc != FUSION_OK || !ok)
        return rc;
    if (!coll.can_read || !coll.can_write)
        return taxii_reply_error(c, 403, "forbidden",
                                 "deleting needs both read and write access");
    rc = parse_filter(c, FUSION_TAXII_EP_OBJECT_DELETE, &f, &ok);
    if (rc != FUSION_OK || !ok)
        return rc;
    rc = store_query(c, &f,
                     query_scope(c, coll.id, FUSION_TAXII_EP_OBJECT_DELETE), &q,
                     &digest, &ok);
    if (rc != FUSION_OK || !ok)
        return rc;
    rc = fusion_store_collection_delete(c->store, coll.id, object_id, &q,
                                        &removed, &err);
    if (rc == FUSION_ERR_INVALID)
        return taxii_reply_error(c, 400, "bad request", err.message);
    if (rc != FUSION_OK)
        return rc;
    if (removed == 0)
        return taxii_reply_error(c, 404, "object not found",
                                 "no such object or version in the "
                                 "collection");
    FUSION_LOG(FUSION_LOG_INFO, "taxii", "object_deleted",
               "versions removed from a collection", "req_id",
               fusion_http_request_id(c->req), "collection", coll.id, "object",
               object_id, "user", c->user);
    return taxii_reply_body(c, 200);
}

/*
 * Add objects (section 5.5)
 */

struct post_ctx {
    struct fusion_arena *arena;
    /* the upload, where failed objects are looked at again */
    const char *data;
    size_t len;
    struct fusion_taxii_status_detail *ok;
    size_t n_ok, cap_ok;
    struct fusion_taxii_status_detail *failed;
    size_t n_failed, cap_failed;
    uint64_t stored, duplicates;
    bool nomem;
};

static bool
push_detail(struct fusion_arena *arena, struct fusion_taxii_status_detail **v,
            size_t *n, size_t *cap, const struct fusion_taxii_status_detail *d)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        struct fusion_taxii_status_detail *nv;

        nv = fusion_arena_alloc(arena, ncap * sizeof(*nv));
        if (!nv)
            return false;
        if (*n)
            memcpy(nv, *v, *n * sizeof(*nv));
        *v = nv;
        *cap = ncap;
    }
    (*v)[(*n)++] = *d;
    return true;
}

/*
 * The type of the id a failure is listed under when its object has no
 * usable one (no id, one that is not a STIX identifier, or an object the
 * JSON reader refused): "x-fusion-unidentified--" and a random UUID, so
 * that the status resource stays valid (section 4.3.1 requires an id).
 */
#define UNIDENTIFIED_TYPE "x-fusion-unidentified"

/*
 * The string member key of the failed object o, read from the upload's
 * text: an object the JSON reader refused (a NUL in a string, a number
 * too large) still names its id and versions there. NULL when absent.
 */
static char *
raw_member(const struct post_ctx *p, const struct fusion_ingest_outcome *o,
           const char *key)
{
    const char *v;
    size_t len;

    if (!p->data || o->offset >= p->len ||
        !fusion_stix_json_member(p->data + o->offset, p->len - o->offset, key,
                                 &v, &len))
        return NULL;
    return fusion_arena_strndup(p->arena, v, len);
}

static bool
is_timestamp(const char *s)
{
    struct fusion_ts ts;

    return s && fusion_ts_parse(s, strlen(s), &ts, NULL) == FUSION_OK;
}

/* A failed object's id: its own when usable, else a made-up one. */
static const char *
failed_id(struct post_ctx *p, const struct fusion_ingest_outcome *o,
          bool *made_up)
{
    char uuid[FUSION_UUID_LEN + 1];
    const char *id = o->object_id;
    size_t size = sizeof(UNIDENTIFIED_TYPE) + 2 + FUSION_UUID_LEN;
    char *out;

    *made_up = false;
    if (id && fusion_stix_id_is_valid(id, NULL))
        return fusion_arena_strdup(p->arena, id);
    id = raw_member(p, o, "id");
    if (id && fusion_stix_id_is_valid(id, NULL))
        return id;
    *made_up = true;
    fusion_uuid4(uuid);
    out = fusion_arena_alloc(p->arena, size);
    if (out)
        snprintf(out, size, "%s--%s", UNIDENTIFIED_TYPE, uuid);
    return out;
}

/*
 * A failed object's version: the first valid timestamp of its modified
 * and created, else UNVERSIONED as for an object without either.
 */
static const char *
failed_version(struct post_ctx *p, const struct fusion_ingest_outcome *o)
{
    const char *v = o->version;

    if (is_timestamp(v))
        return fusion_arena_strdup(p->arena, v);
    v = raw_member(p, o, "modified");
    if (is_timestamp(v))
        return v;
    v = raw_member(p, o, "created");
    return is_timestamp(v) ? v : UNVERSIONED;
}

static const char *
failed_message(struct post_ctx *p, const struct fusion_ingest_outcome *o,
               bool made_up)
{
    const char *why = o->message ? o->message : "invalid";
    size_t size;
    char *out;

    if (!made_up)
        return fusion_arena_strdup(p->arena, why);
    size = strlen(why) + 96;
    out = fusion_arena_alloc(p->arena, size);
    if (out)
        snprintf(
            out, size, "object at line %llu, byte %llu, has no usable id: %s",
            (unsigned long long)o->line, (unsigned long long)o->offset, why);
    return out;
}

static void
on_outcome(void *ctx, const struct fusion_ingest_outcome *o)
{
    struct post_ctx *p = ctx;
    struct fusion_taxii_status_detail d = { 0 };
    bool made_up = false;

    if (o->kind == FUSION_INGEST_FAILED) {
        d.id = failed_id(p, o, &made_up);
        d.version = failed_version(p, o);
        d.message = failed_message(p, o, made_up);
        if (!d.id || !d.version || !d.message ||
            !push_detail(p->arena, &p->failed, &p->n_failed, &p->cap_failed,
                         &d))
            p->nomem = true;
        return;
    }
    d.id = fusion_arena_strdup(p->arena, o->object_id ? o->object_id : "");
    d.version =
        o->version ? fusion_arena_strdup(p->arena, o->version) : UNVERSIONED;
    if (o->kind == FUSION_INGEST_DUPLICATE) {
        d.message = "already stored";
        p->duplicates++;
    } else {
        p->stored++;
    }
    if (!d.id || !d.version ||
        !push_detail(p->arena, &p->ok, &p->n_ok, &p->cap_ok, &d))
        p->nomem = true;
}

/* The stored form of a status: who may read it back, and where. */
static enum fusion_err
save_status(struct taxii_call *c, const char *id, const struct fusion_buf *st,
            struct fusion_error *err)
{
    struct fusion_taxii_server *srv = c->srv;
    struct fusion_buf rec;
    int64_t last = atomic_load(&srv->last_purge);
    enum fusion_err rc;
    uint64_t removed;

    fusion_buf_init(&rec, 0);
    rc = fusion_buf_printf(&rec,
                           "{\"root\":\"%s\",\"user\":%lld,\"created\":%lld,"
                           "\"status\":",
                           c->root->name, (long long)c->user_id,
                           (long long)c->started);
    if (rc == FUSION_OK)
        rc = fusion_buf_append(&rec, st->data, st->len);
    if (rc == FUSION_OK)
        rc = fusion_buf_putc(&rec, '}');
    if (rc == FUSION_OK)
        rc = fusion_store_status_put(c->store, id, c->started, rec.data,
                                     rec.len, err);
    fusion_buf_release(&rec);
    /* expired statuses go at most once a minute */
    if (rc == FUSION_OK && c->started - last > INT64_C(60000000000) &&
        atomic_compare_exchange_strong(&srv->last_purge, &last, c->started))
        rc = fusion_store_status_purge(
            c->store, c->started - srv->status_retention_ns, &removed, err);
    return rc;
}

static void
count_post(struct fusion_taxii_server *srv, const struct post_ctx *p)
{
    atomic_fetch_add(&srv->posts, 1);
    atomic_fetch_add(&srv->objects_stored, p->stored);
    atomic_fetch_add(&srv->objects_duplicate, p->duplicates);
    atomic_fetch_add(&srv->objects_failed, p->n_failed);
}

/* The collection, Content-Type and grant of an upload; *ok when it may go. */
static enum fusion_err
check_post(struct taxii_call *c, struct taxii_coll *coll, bool *ok)
{
    struct fusion_error err;
    enum fusion_err rc;

    rc = taxii_find_collection(c, coll, ok);
    if (rc != FUSION_OK || !*ok)
        return rc;
    *ok = false;
    if (fusion_taxii_media_content_type(
            fusion_http_request_header(c->req, "Content-Type"), 0, &err))
        return taxii_reply_error(c, 415, "unsupported media type", err.message);
    if (!coll->can_write)
        return taxii_reply_error(c, 403, "forbidden",
                                 "this account may not add to the collection");
    *ok = true;
    return FUSION_OK;
}

enum fusion_err
taxii_check_post(struct taxii_call *c)
{
    struct taxii_coll coll;
    bool ok;

    return check_post(c, &coll, &ok);
}

enum fusion_err
taxii_post_objects(struct taxii_call *c)
{
    struct post_ctx p = { .arena = fusion_http_request_arena(c->req) };
    struct fusion_ingest_options opt = { 0 };
    struct fusion_ingest_counts counts;
    struct fusion_taxii_status st = { 0 };
    const char *collections[1];
    char id[FUSION_UUID_LEN + 1];
    struct taxii_coll coll;
    struct fusion_error err;
    struct fusion_buf *body = fusion_http_response_body(c->resp);
    const char *data;
    size_t len;
    enum fusion_err rc;
    bool ok;

    rc = check_post(c, &coll, &ok);
    if (rc != FUSION_OK || !ok)
        return rc;
    data = fusion_http_request_body(c->req, &len);
    p.data = data;
    p.len = len;
    collections[0] = coll.id;
    fusion_ingest_limits_default(&opt.limits);
    opt.envelope = true;
    opt.source = (struct fusion_store_source){ "taxii", c->user };
    opt.collections = collections;
    opt.ncollections = 1;
    opt.outcome = on_outcome;
    opt.ctx = &p;
    rc = fusion_ingest_buffer(c->store, data, len, &opt, &counts, &err);
    if (rc == FUSION_ERR_INVALID || rc == FUSION_ERR_LIMIT)
        return taxii_reply_error(c, 422, "unprocessable envelope", err.message);
    if (rc != FUSION_OK)
        return rc;
    if (p.nomem)
        return FUSION_ERR_NOMEM;
    fusion_uuid4(id);
    st = (struct fusion_taxii_status){
        .id = id,
        .has_request_timestamp = true,
        .request_timestamp = c->started,
        .total_count = p.n_ok + p.n_failed,
        .success_count = p.n_ok,
        .successes = p.ok,
        .n_successes = p.n_ok,
        .failure_count = p.n_failed,
        .failures = p.failed,
        .n_failures = p.n_failed,
    };
    count_post(c->srv, &p);
    rc = fusion_taxii_status_json(&st, body, &err);
    if (rc == FUSION_OK)
        rc = save_status(c, id, body, &err);
    if (rc != FUSION_OK) {
        FUSION_LOG(FUSION_LOG_ERROR, "taxii", "status_failed", err.message,
                   "req_id", fusion_http_request_id(c->req));
        return rc;
    }
    return taxii_reply_body(c, 202);
}

/*
 * Status (section 4.3): readable by the account that posted, through the
 * API root it posted to, for the retention time.
 */
struct status_ctx {
    json_t *rec;
};

static int
on_status(void *ctx, const char *json, size_t len)
{
    struct status_ctx *s = ctx;

    s->rec = json_loadb(json, len, 0, NULL);
    return 0;
}

enum fusion_err
taxii_get_status(struct taxii_call *c)
{
    const char *id = fusion_http_request_param(c->req, "status");
    struct status_ctx s = { 0 };
    struct fusion_error err;
    const char *root;
    json_t *status;
    enum fusion_err rc;
    int version = 0;
    bool mine;
    char *text;

    if (!id || !fusion_uuid_is_valid(id, strlen(id), &version))
        return taxii_reply_error(c, 404, "status not found", "no such status");
    rc = fusion_store_status_get(c->store, id, on_status, &s, &err);
    if (rc == FUSION_ERR_NOTFOUND)
        return taxii_reply_error(c, 404, "status not found",
                                 "no such status, or it has expired");
    if (rc != FUSION_OK)
        return rc;
    root = json_string_value(json_object_get(s.rec, "root"));
    status = json_object_get(s.rec, "status");
    /* expired ones are purged now and then; until then they are hidden */
    mine = root && strcmp(root, c->root->name) == 0 &&
           json_integer_value(json_object_get(s.rec, "user")) == c->user_id &&
           json_integer_value(json_object_get(s.rec, "created")) >
               c->started - c->srv->status_retention_ns &&
           json_is_object(status);
    text = mine ? json_dumps(status, JSON_COMPACT) : NULL;
    json_decref(s.rec);
    if (!mine)
        return taxii_reply_error(c, 404, "status not found",
                                 "no such status, or it has expired");
    if (!text)
        return FUSION_ERR_NOMEM;
    rc = fusion_buf_puts(fusion_http_response_body(c->resp), text);
    free(text);
    if (rc != FUSION_OK)
        return rc;
    return taxii_reply_body(c, 200);
}
