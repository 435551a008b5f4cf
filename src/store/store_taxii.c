/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TAXII collections in the SQLite store: membership, the object query
 * and deletion from a collection.
 */
#include "store/store.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

/* Well under SQLite's default limit of 32766 host parameters. */
#define TAXII_MAX_PARAMS 30000
#define TAXII_MAX_SQL    (1u << 20)

/* A UUID in its text form: 8-4-4-4-12 hex digits. */
static bool
is_uuid(const char *s)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;

        if (i >= 36)
            return false;
        if (dash && s[i] != '-')
            return false;
        if (!dash && !strchr("0123456789abcdefABCDEF", s[i]))
            return false;
    }
    return i == 36;
}

/* Collection and status ids are compared as text, in URLs too. */
bool
store_is_lower_uuid(const char *s)
{
    assert(s);
    return is_uuid(s) && !strpbrk(s, "ABCDEF");
}

/*
 * Joins the media types with newlines into buf, checking each: a media
 * type is one header token list and never holds a control character.
 */
static enum fusion_err
join_media_types(const struct fusion_store_collection *c,
                 struct fusion_buf *buf, struct fusion_error *err)
{
    enum fusion_err rc = FUSION_OK;

    if (c->nmedia_types > FUSION_STORE_MAX_MEDIA_TYPES)
        return fusion_error_set(err, FUSION_ERR_LIMIT,
                                "create collection: too many media types");
    if (c->nmedia_types && !c->media_types)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "create collection: media types missing");
    for (size_t i = 0; i < c->nmedia_types && !rc; i++) {
        const char *mt = c->media_types[i];
        size_t len = mt ? strlen(mt) : 0;

        if (len == 0)
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "create collection: empty media type");
        if (len > FUSION_STORE_MAX_MEDIA_TYPE)
            return fusion_error_set(err, FUSION_ERR_LIMIT,
                                    "create collection: media type too long");
        for (size_t j = 0; j < len; j++) {
            if ((unsigned char)mt[j] < 0x20 || mt[j] == 0x7f)
                return fusion_error_set(
                    err, FUSION_ERR_INVALID,
                    "create collection: control character in media type");
        }
        if (i)
            rc = fusion_buf_putc(buf, '\n');
        if (!rc)
            rc = fusion_buf_puts(buf, mt);
    }
    if (rc)
        return fusion_error_set(err, rc, "create collection: %s",
                                fusion_strerror(rc));
    return FUSION_OK;
}

static enum fusion_err
check_collection(const struct fusion_store *store,
                 const struct fusion_store_collection *c,
                 struct fusion_error *err)
{
    enum fusion_err rc;

    rc = store_check_write(store, "create collection", err);
    if (rc)
        return rc;
    if (!c->id || !store_is_lower_uuid(c->id))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "create collection: id is not a UUID in "
                                "lower case");
    if (!c->title || !*c->title ||
        !fusion_text_is_printable(c->title, strlen(c->title)))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "create collection: the title must be "
                                "non-empty UTF-8 text without control "
                                "characters");
    if (c->description &&
        !fusion_text_is_printable(c->description, strlen(c->description)))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "create collection: the description "
                                "must be UTF-8 text without control "
                                "characters");
    /* An alias stands in for the id in URLs, so it must not be one. */
    if (c->alias &&
        (!*c->alias || is_uuid(c->alias) || strpbrk(c->alias, "/ ?#%") ||
         !fusion_text_is_printable(c->alias, strlen(c->alias))))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "create collection: alias '%s' is not "
                                "allowed: an alias is printable text "
                                "(letters, digits, '-', '_', '.' and other "
                                "punctuation) without spaces, '/', '?', "
                                "'#' or '%%', and not a UUID",
                                c->alias);
    return FUSION_OK;
}

static int
found(void *ctx, const struct fusion_store_collection *c)
{
    (void)c;
    *(bool *)ctx = true;
    return 0;
}

/*
 * The conflict of a collection that could not be added, naming only
 * what is taken: the caller may have given the alias alone, the id
 * being a random one it never saw. An alias is never a UUID, so looking
 * the id up finds ids only.
 */
static enum fusion_err
taken(struct fusion_store *store, const struct fusion_store_collection *c,
      struct fusion_error *err)
{
    bool id_taken = false;
    bool alias_taken = false;
    struct fusion_error ignored;

    if (fusion_store_collection_get(store, c->id, found, &id_taken, &ignored) !=
        FUSION_OK)
        id_taken = false;
    if (c->alias &&
        fusion_store_collection_get(store, c->alias, found, &alias_taken,
                                    &ignored) != FUSION_OK)
        alias_taken = false;
    if (id_taken && alias_taken)
        return fusion_error_set(err, FUSION_ERR_CONFLICT,
                                "create collection: the id '%s' and the "
                                "alias '%s' are taken",
                                c->id, c->alias);
    if (alias_taken || (c->alias && !id_taken))
        return fusion_error_set(err, FUSION_ERR_CONFLICT,
                                "create collection: the alias '%s' is taken",
                                c->alias);
    return fusion_error_set(err, FUSION_ERR_CONFLICT,
                            "create collection: the id '%s' is taken", c->id);
}

enum fusion_err
fusion_store_collection_create(struct fusion_store *store,
                               const struct fusion_store_collection *c,
                               struct fusion_error *err)
{
    struct fusion_buf types;
    sqlite3_stmt *stmt = NULL;
    enum fusion_err rc;
    int step;

    assert(store && c);
    rc = check_collection(store, c, err);
    if (rc)
        return rc;
    fusion_buf_init(
        &types,
        FUSION_STORE_MAX_MEDIA_TYPES * (FUSION_STORE_MAX_MEDIA_TYPE + 1) + 1);
    rc = join_media_types(c, &types, err);
    if (rc)
        goto out;
    if (sqlite3_prepare_v2(store->db,
                           "INSERT INTO collections (" STORE_COLLECTION_COLUMNS
                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &stmt, NULL)) {
        rc = store_db_fail(store->db, err, "create collection '%s'", c->id);
        goto out;
    }
    sqlite3_bind_text(stmt, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, c->title, -1, SQLITE_STATIC);
    if (c->description)
        sqlite3_bind_text(stmt, 3, c->description, -1, SQLITE_STATIC);
    if (c->alias)
        sqlite3_bind_text(stmt, 4, c->alias, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, types.data ? types.data : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 6, fusion_time_now_ns());
    step = sqlite3_step(stmt);
    if (step == SQLITE_CONSTRAINT)
        rc = taken(store, c, err);
    else if (step != SQLITE_DONE)
        rc = store_db_fail(store->db, err, "create collection '%s'", c->id);
out:
    sqlite3_finalize(stmt);
    fusion_buf_release(&types);
    return rc;
}

/*
 * Hands the collection in the current row of stmt to fn, the media
 * types split again at the newlines of a private copy.
 */
static enum fusion_err
emit_collection(sqlite3_stmt *stmt, fusion_store_collection_fn fn, void *ctx,
                struct fusion_error *err)
{
    const char *types[FUSION_STORE_MAX_MEDIA_TYPES];
    struct fusion_store_collection c = { 0 };
    const char *text;
    char *copy = NULL;
    enum fusion_err rc;

    c.id = (const char *)sqlite3_column_text(stmt, 0);
    c.title = (const char *)sqlite3_column_text(stmt, 1);
    c.description = (const char *)sqlite3_column_text(stmt, 2);
    c.alias = (const char *)sqlite3_column_text(stmt, 3);
    text = (const char *)sqlite3_column_text(stmt, 4);
    c.created = sqlite3_column_int64(stmt, 5);
    if (!c.id || !c.title || !text)
        return fusion_error_set(err, FUSION_ERR_NOMEM,
                                "read collection: out of memory");
    if (*text) {
        copy = fusion_strdup(text);
        if (!copy)
            return fusion_error_set(err, FUSION_ERR_NOMEM,
                                    "read collection: out of memory");
        types[c.nmedia_types++] = copy;
        for (char *p = copy; *p; p++) {
            if (*p != '\n')
                continue;
            *p = '\0';
            if (c.nmedia_types < FUSION_STORE_MAX_MEDIA_TYPES)
                types[c.nmedia_types++] = p + 1;
        }
        c.media_types = types;
    }
    rc = (enum fusion_err)fn(ctx, &c);
    FUSION_FREE(copy);
    return rc;
}

static enum fusion_err
each_collection(sqlite3_stmt *stmt, fusion_store_collection_fn fn, void *ctx,
                size_t *count, struct fusion_error *err)
{
    enum fusion_err rc;
    int step;

    *count = 0;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        (*count)++;
        rc = emit_collection(stmt, fn, ctx, err);
        if (rc)
            return rc;
    }
    if (step != SQLITE_DONE)
        return store_db_fail(sqlite3_db_handle(stmt), err, "read collections");
    return FUSION_OK;
}

enum fusion_err
fusion_store_collection_list(struct fusion_store *store,
                             fusion_store_collection_fn fn, void *ctx,
                             struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    size_t count;

    assert(store && fn);
    if (sqlite3_prepare_v2(store->db,
                           "SELECT " STORE_COLLECTION_COLUMNS
                           " FROM collections ORDER BY uuid",
                           -1, &stmt, NULL))
        return store_db_fail(store->db, err, "list collections");
    rc = each_collection(stmt, fn, ctx, &count, err);
    sqlite3_finalize(stmt);
    return rc;
}

enum fusion_err
fusion_store_collection_get(struct fusion_store *store, const char *id_or_alias,
                            fusion_store_collection_fn fn, void *ctx,
                            struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    size_t count = 0;

    assert(store && id_or_alias && fn);
    rc = store_stmt_borrow(store, STMT_COLL_GET, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_text(stmt, 1, id_or_alias, -1, SQLITE_STATIC);
    rc = each_collection(stmt, fn, ctx, &count, err);
    store_stmt_return(store, STMT_COLL_GET, stmt);
    if (!rc && count == 0)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND,
                              "collection '%s': not found", id_or_alias);
    return rc;
}

/* The row id of the collection with this id or alias. */
static enum fusion_err
find_collection(struct fusion_store *store, const char *id_or_alias,
                int64_t *out, struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    int step;

    rc = store_stmt_borrow(store, STMT_COLL_FIND, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_text(stmt, 1, id_or_alias, -1, SQLITE_STATIC);
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        *out = sqlite3_column_int64(stmt, 0);
    else if (step == SQLITE_DONE)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND,
                              "collection '%s': not found", id_or_alias);
    else
        rc = store_db_fail(store->db, err, "find collection '%s'", id_or_alias);
    store_stmt_return(store, STMT_COLL_FIND, stmt);
    return rc;
}

static enum fusion_err
delete_collection(struct fusion_store *store, int64_t coll,
                  struct fusion_error *err)
{
    static const char *const sql[] = {
        "DELETE FROM collection_objects WHERE collection_id = ?1",
        "DELETE FROM grants WHERE collection_id = ?1",
        "DELETE FROM collections WHERE collection_id = ?1",
    };
    sqlite3_stmt *stmt;
    int step;

    for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
        if (sqlite3_prepare_v2(store->db, sql[i], -1, &stmt, NULL))
            return store_db_fail(store->db, err, "remove collection");
        sqlite3_bind_int64(stmt, 1, coll);
        step = sqlite3_step(stmt);
        sqlite3_finalize(stmt);
        if (step != SQLITE_DONE)
            return store_db_fail(store->db, err, "remove collection");
    }
    return FUSION_OK;
}

enum fusion_err
fusion_store_collection_remove(struct fusion_store *store, const char *id,
                               struct fusion_error *err)
{
    enum fusion_err rc;
    int64_t coll = 0;
    bool own;

    assert(store && id);
    rc = store_check_write(store, "remove collection", err);
    if (!rc)
        rc = store_own_begin(store, &own, "remove collection", err);
    if (rc)
        return rc;
    rc = find_collection(store, id, &coll, err);
    /* A collection made again with this id must not reuse its values. */
    if (!rc)
        rc = store_keep_added_floor(store, err);
    if (!rc)
        rc = delete_collection(store, coll, err);
    return store_own_end(store, own, rc, "remove collection", err);
}

enum fusion_err
store_taxii_resolve(struct fusion_store *store,
                    const struct fusion_store_object *obj, int64_t *ids_out,
                    struct fusion_error *err)
{
    enum fusion_err rc;

    assert(obj->collections && ids_out);
    if (obj->ncollections > FUSION_STORE_MAX_PUT_COLLECTIONS)
        return fusion_error_set(err, FUSION_ERR_LIMIT,
                                "put '%s': too many collections", obj->id);
    for (size_t i = 0; i < obj->ncollections; i++) {
        if (!obj->collections[i])
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "put '%s': collection %zu is NULL", obj->id,
                                    i);
        rc = find_collection(store, obj->collections[i], &ids_out[i], err);
        if (rc) {
            fusion_error_prefix(err, "put '%s'", obj->id);
            return rc;
        }
    }
    return FUSION_OK;
}

enum fusion_err
store_taxii_add_members(struct fusion_store *store,
                        const struct store_members *m, struct fusion_error *err)
{
    sqlite3_stmt *stmt = store->stmts[STMT_MEMBER_ADD];
    sqlite3_stmt *spec = store->stmts[STMT_COLL_SPEC];
    int64_t added;

    assert(store->in_txn && m->collections && m->spec_version);
    for (size_t i = 0; i < m->n; i++) {
        added = i == 0 && m->is_new ? m->object_added
                                    : store_next_date_added(store, m->now);
        sqlite3_bind_int64(stmt, 1, m->collections[i]);
        sqlite3_bind_int64(stmt, 2, added);
        sqlite3_bind_int64(stmt, 3, m->object_added);
        if (store_step_done(stmt))
            return store_db_fail(store->db, err, "add to collection");
        /* Only ever raised: an upper bound stays one (see the schema). */
        sqlite3_bind_int64(spec, 1, m->collections[i]);
        sqlite3_bind_text(spec, 2, m->spec_version, -1, SQLITE_STATIC);
        if (store_step_done(spec))
            return store_db_fail(store->db, err, "add to collection");
    }
    return FUSION_OK;
}

void
store_taxii_release(struct fusion_store *store)
{
    sqlite3_finalize(store->taxii_stmt);
    store->taxii_stmt = NULL;
    FUSION_FREE(store->taxii_sql);
}

/*
 * The query. Rows come from collection_objects in key order, joined to
 * their version by row key. TAXII 2.1 section 3.4.1 decides per object
 * which versions qualify (first, last, latest spec_version); here that
 * is a correlated test against the object's other versions in the same
 * collection, found through objects_id and collection_objects_version,
 * so each row costs a few index seeks and no page reads more than it
 * must.
 */

/* The peers of a row: other versions of its object in the collection. */
static void
add_peer_exists(struct store_search *s, bool negate, const char *cond)
{
    store_sql_add(s, negate ? " NOT EXISTS (" : " EXISTS (");
    /*
     * The index holds the row key, so the row itself is ruled out
     * before its table row is read: most objects have one version.
     */
    store_sql_add(s, "SELECT 1 FROM objects o2 CROSS JOIN"
                     " collection_objects m2 WHERE o2.id_hash = o.id_hash"
                     " AND o2.date_added <> o.date_added"
                     " AND o2.id = o.id AND ");
    store_sql_add(s, cond);
    store_sql_add(s, " AND m2.object_added = o2.date_added"
                     " AND m2.collection_id = m.collection_id");
}

/* Closes a peer test with the spec_version condition on the peer. */
static void
end_peer_exists(struct store_search *s,
                const struct fusion_store_taxii_query *q)
{
    if (q->nspec_versions)
        store_sql_text_list(s, "o2.spec_version", q->spec_versions,
                            q->nspec_versions);
    else
        store_sql_add(s, " AND o2.spec_version = o.spec_version");
    store_sql_add(s, ")");
}

static void
add_version_filter(struct store_search *s,
                   const struct fusion_store_taxii_query *q)
{
    unsigned flags = q->versions;
    bool any = false;

    if (flags & FUSION_STORE_VERSION_ALL)
        return;
    if (!flags && !q->nversion_times)
        flags = FUSION_STORE_VERSION_LAST;
    store_sql_add(s, " AND (");
    if (flags & FUSION_STORE_VERSION_LAST) {
        /*
         * The current version is the newest of all, so it is last in
         * any set that holds it, and the peer test can be skipped.
         */
        store_sql_add(s, " o.is_current = 1 OR");
        add_peer_exists(s, true, "o2.version > o.version");
        end_peer_exists(s, q);
        any = true;
    }
    if (flags & FUSION_STORE_VERSION_FIRST) {
        store_sql_add(s, any ? " OR" : "");
        add_peer_exists(s, true, "o2.version < o.version");
        end_peer_exists(s, q);
        any = true;
    }
    if (q->nversion_times) {
        store_sql_add(s, any ? " OR o.version IN (" : " o.version IN (");
        for (size_t i = 0; i < q->nversion_times; i++) {
            store_sql_add(s, i ? ", " : "");
            store_sql_param(s, STORE_PARAM_INT, NULL, q->version_times[i]);
        }
        store_sql_add(s, ")");
    }
    store_sql_add(s, ")");
}

/*
 * FROM and WHERE of the memberships m (with their versions o) in
 * collection coll that q selects, past after (negative: all). The
 * listing and deletion both build on it, so they apply the same version
 * rules.
 */
static void
add_selection(struct store_search *s, const struct fusion_store_taxii_query *q,
              int64_t coll, int64_t after)
{
    /*
     * With ids the few versions of those ids lead; otherwise the
     * collection's key order leads, and a LIMIT ends the scan early.
     */
    if (q->nids)
        store_sql_add(s, " FROM objects o CROSS JOIN collection_objects m");
    else
        store_sql_add(s, " FROM collection_objects m CROSS JOIN objects o");
    store_sql_add(s, " WHERE m.collection_id = ");
    store_sql_param(s, STORE_PARAM_INT, NULL, coll);
    store_sql_add(s, " AND o.date_added = m.object_added");
    if (after >= 0) {
        store_sql_add(s, " AND m.date_added > ");
        store_sql_param(s, STORE_PARAM_INT, NULL, after);
    }
    store_sql_ids(s, q->ids, q->nids);
    store_sql_text_list(s, "o.type", q->types, q->ntypes);
    if (q->nspec_versions) {
        store_sql_text_list(s, "o.spec_version", q->spec_versions,
                            q->nspec_versions);
    } else {
        /*
         * Without match[spec_version], the latest one per object. Of
         * the collection's largest, it is so without a look.
         */
        store_sql_add(s, " AND (o.spec_version = (SELECT max_spec_version"
                         " FROM collections WHERE collection_id = ");
        store_sql_param(s, STORE_PARAM_INT, NULL, coll);
        store_sql_add(s, ") OR");
        add_peer_exists(s, true, "o2.spec_version > o.spec_version");
        store_sql_add(s, "))");
    }
    add_version_filter(s, q);
}

static void
build_taxii(struct store_search *s, const struct fusion_store_taxii_query *q,
            int64_t coll)
{
    /*
     * Bound even on a first page (every date_added is positive), so
     * that every page of one query shape shares one statement.
     */
    int64_t after = q->added_after > q->next ? q->added_after : q->next;

    /* The row's date_added is the collection's; with ids, rows are sorted. */
    store_sql_add(s, "SELECT o.id, o.type, o.spec_version, o.version,"
                     " m.date_added, o.revoked, o.is_current, o.json");
    add_selection(s, q, coll, after);
    store_sql_add(s, " ORDER BY m.date_added");
    if (q->limit) {
        /* One row past the limit tells whether more remain. */
        store_sql_add(s, " LIMIT ");
        store_sql_param(s, STORE_PARAM_INT, NULL,
                        q->limit >= INT64_MAX ? INT64_MAX
                                              : (int64_t)q->limit + 1);
    }
}

static enum fusion_err
check_list(const char *const *vals, size_t n, const char *what,
           struct fusion_error *err)
{
    if (n && !vals)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "collection query: %s missing", what);
    for (size_t i = 0; i < n; i++) {
        if (!vals[i])
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "collection query: %s %zu is NULL", what,
                                    i);
    }
    return FUSION_OK;
}

static enum fusion_err
check_taxii_query(const struct fusion_store_taxii_query *q,
                  struct fusion_error *err)
{
    unsigned known = FUSION_STORE_VERSION_LAST | FUSION_STORE_VERSION_FIRST |
                     FUSION_STORE_VERSION_ALL;
    enum fusion_err rc;

    /* TAXII 2.1 section 3.4.1: "all" MUST NOT be combined. */
    if ((q->versions & ~known) ||
        ((q->versions & FUSION_STORE_VERSION_ALL) &&
         (q->versions != FUSION_STORE_VERSION_ALL || q->nversion_times)))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "collection query: bad match[version]");
    if (q->nversion_times && !q->version_times)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "collection query: version times missing");
    if (q->added_after < 0 || q->next < 0)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "collection query: negative date_added");
    rc = check_list(q->ids, q->nids, "id", err);
    if (!rc)
        rc = check_list(q->types, q->ntypes, "type", err);
    if (!rc)
        rc = check_list(q->spec_versions, q->nspec_versions, "spec_version",
                        err);
    if (!rc &&
        (q->nids > TAXII_MAX_PARAMS || q->ntypes > TAXII_MAX_PARAMS ||
         q->nversion_times > TAXII_MAX_PARAMS ||
         q->nspec_versions > TAXII_MAX_PARAMS / 4 ||
         q->nids + q->ntypes + q->nversion_times + 3 * q->nspec_versions >
             TAXII_MAX_PARAMS))
        rc = fusion_error_set(err, FUSION_ERR_LIMIT,
                              "collection query: too many values");
    return rc;
}

/*
 * Readies s for the SQL of q: room for every value of q and for the
 * few the statements add of their own.
 */
static enum fusion_err
taxii_search_init(struct store_search *s,
                  const struct fusion_store_taxii_query *q,
                  struct fusion_error *err)
{
    memset(s, 0, sizeof(*s));
    fusion_buf_init(&s->sql, TAXII_MAX_SQL);
    fusion_buf_init(&s->pattern, 1);
    s->cap =
        q->nids + q->ntypes + q->nversion_times + 3 * q->nspec_versions + 6;
    s->params = fusion_calloc(s->cap, sizeof(*s->params));
    if (!s->params)
        return fusion_error_set(err, FUSION_ERR_NOMEM,
                                "collection query: out of memory");
    return FUSION_OK;
}

static void
taxii_search_release(struct store_search *s)
{
    fusion_buf_release(&s->sql);
    fusion_buf_release(&s->pattern);
    FUSION_FREE(s->params);
}

/* The first failure while s was built, as an error of its own. */
static enum fusion_err
taxii_search_check(const struct store_search *s, struct fusion_error *err)
{
    if (s->rc)
        return fusion_error_set(err, s->rc, "collection query: %s",
                                fusion_strerror(s->rc));
    return FUSION_OK;
}

/*
 * The statement for the SQL of s: the cached one when the SQL is the
 * same and it is idle (a callback may run a query of its own), else a
 * new one, which is cached when the cache is idle and keep is set.
 * *owned says whether the caller finalizes it.
 */
static enum fusion_err
taxii_stmt(struct fusion_store *store, const struct store_search *s, bool keep,
           sqlite3_stmt **out, bool *owned, struct fusion_error *err)
{
    bool cache_idle =
        !store->taxii_stmt || !sqlite3_stmt_busy(store->taxii_stmt);
    char *sql;

    *owned = false;
    if (cache_idle && store->taxii_sql &&
        strcmp(store->taxii_sql, s->sql.data) == 0) {
        sqlite3_reset(store->taxii_stmt);
        sqlite3_clear_bindings(store->taxii_stmt);
        *out = store->taxii_stmt;
        return FUSION_OK;
    }
    if (sqlite3_prepare_v2(store->db, s->sql.data, (int)s->sql.len, out, NULL))
        return store_db_fail(store->db, err, "prepare collection query");
    sql = cache_idle && keep ? fusion_strdup(s->sql.data) : NULL;
    if (!sql) {
        *owned = true;
        return FUSION_OK;
    }
    store_taxii_release(store);
    store->taxii_stmt = *out;
    store->taxii_sql = sql;
    return FUSION_OK;
}

/* Where the rows of a page go, and the page as it fills. */
struct page_reader {
    fusion_store_row_fn fn;
    void *ctx;
    size_t limit;
    struct fusion_store_page page;
};

static enum fusion_err
read_page(sqlite3_stmt *stmt, struct page_reader *r, struct fusion_error *err)
{
    struct fusion_store_page *page = &r->page;
    struct fusion_store_row row;
    int step, stop;

    memset(page, 0, sizeof(*page));
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (r->limit && page->count == r->limit) {
            page->more = true;
            return FUSION_OK;
        }
        store_read_row(stmt, 0, &row);
        if (!row.json)
            return fusion_error_set(err, FUSION_ERR_NOMEM,
                                    "read object: out of memory");
        if (page->count == 0)
            page->first_added = row.date_added;
        page->last_added = row.date_added;
        page->count++;
        stop = r->fn(r->ctx, &row);
        if (stop)
            return (enum fusion_err)stop;
    }
    if (step != SQLITE_DONE)
        return store_db_fail(sqlite3_db_handle(stmt), err, "read collection");
    return FUSION_OK;
}

enum fusion_err
fusion_store_collection_objects(struct fusion_store *store,
                                const char *collection,
                                const struct fusion_store_taxii_query *q,
                                fusion_store_row_fn fn, void *ctx,
                                struct fusion_store_page *page_out,
                                struct fusion_error *err)
{
    struct page_reader reader = { .fn = fn, .ctx = ctx, .limit = q->limit };
    struct store_search s;
    sqlite3_stmt *stmt = NULL;
    bool owned = false;
    enum fusion_err rc;
    int64_t coll = 0;

    assert(store && collection && q && fn && page_out);
    rc = check_taxii_query(q, err);
    if (rc)
        return rc;
    rc = taxii_search_init(&s, q, err);
    if (!rc)
        rc = find_collection(store, collection, &coll, err);
    if (rc)
        goto out;
    build_taxii(&s, q, coll);
    rc = taxii_search_check(&s, err);
    /*
     * The hashes of ids are literals in the SQL, so a query by id is
     * seldom asked again; it leaves the cached page query in place.
     */
    if (!rc)
        rc = taxii_stmt(store, &s, q->nids == 0, &stmt, &owned, err);
    if (rc)
        goto out;
    store_sql_bind(stmt, &s);
    rc = read_page(stmt, &reader, err);
    if (!rc)
        *page_out = reader.page;
out:
    if (stmt && stmt == store->taxii_stmt) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
    if (owned)
        sqlite3_finalize(stmt);
    taxii_search_release(&s);
    return rc;
}

/*
 * The memberships in coll that sel selects. The selection is the
 * listing's, as a subquery that SQLite runs to its end before the first
 * row goes, so first and last are decided on the collection as it was.
 */
static void
build_delete(struct store_search *s, const struct fusion_store_taxii_query *sel,
             int64_t coll)
{
    store_sql_add(s, "DELETE FROM collection_objects WHERE collection_id = ");
    store_sql_param(s, STORE_PARAM_INT, NULL, coll);
    store_sql_add(s, " AND date_added IN (SELECT m.date_added");
    add_selection(s, sel, coll, -1);
    store_sql_add(s, ")");
}

static enum fusion_err
run_delete(struct fusion_store *store, const struct store_search *s,
           uint64_t *removed, struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    enum fusion_err rc = FUSION_OK;

    if (sqlite3_prepare_v2(store->db, s->sql.data, (int)s->sql.len, &stmt,
                           NULL))
        return store_db_fail(store->db, err, "prepare collection delete");
    store_sql_bind(stmt, s);
    if (sqlite3_step(stmt) == SQLITE_DONE)
        *removed = (uint64_t)sqlite3_changes(store->db);
    else
        rc = store_db_fail(store->db, err, "delete from collection");
    sqlite3_finalize(stmt);
    return rc;
}

enum fusion_err
fusion_store_collection_delete(struct fusion_store *store,
                               const char *collection, const char *object_id,
                               const struct fusion_store_taxii_query *q,
                               uint64_t *removed, struct fusion_error *err)
{
    /* Only the version and spec_version rules of q apply (section 5.7). */
    struct fusion_store_taxii_query sel = { .ids = &object_id, .nids = 1 };
    struct store_search s;
    enum fusion_err rc;
    uint64_t count = 0;
    int64_t coll = 0;
    bool own;

    assert(store && collection && object_id);
    if (q) {
        sel.versions = q->versions;
        sel.version_times = q->version_times;
        sel.nversion_times = q->nversion_times;
        sel.spec_versions = q->spec_versions;
        sel.nspec_versions = q->nspec_versions;
    }
    rc = store_check_write(store, "delete from collection", err);
    if (!rc)
        rc = check_taxii_query(&sel, err);
    if (rc)
        return rc;
    rc = taxii_search_init(&s, &sel, err);
    if (rc)
        goto out;
    rc = store_own_begin(store, &own, "delete from collection", err);
    if (rc)
        goto out;
    rc = find_collection(store, collection, &coll, err);
    if (!rc) {
        build_delete(&s, &sel, coll);
        rc = taxii_search_check(&s, err);
    }
    if (!rc)
        rc = store_keep_added_floor(store, err);
    if (!rc)
        rc = run_delete(store, &s, &count, err);
    rc = store_own_end(store, own, rc, "delete from collection", err);
    if (!rc && removed)
        *removed = count;
out:
    taxii_search_release(&s);
    return rc;
}
