/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TAXII collections in the store: schema 2, membership, the object
 * query and deletion from a collection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "store/store.h"
#include "store/store_int.h"
#include "store_fixture.h"

#define COLL_1 "6b1e2d3c-1111-4aaa-8bbb-000000000001"
#define COLL_2 "6b1e2d3c-1111-4aaa-8bbb-000000000002"
#define COLL_3 "6b1e2d3c-1111-4aaa-8bbb-000000000003"

#define ID_A "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define ID_B "indicator--5b1e4b3c-7b0e-4d2a-9d7c-0c6f1f0f3a11"
#define ID_C "malware--0c7b5b88-8ff7-4a4d-aa9c-feb398cd0061"
#define ID_D "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"

#define V1 INT64_C(1600000000000000000)
#define V2 INT64_C(1600000001000000000)
#define V3 INT64_C(1600000002000000000)

#define MAX_ROWS 2048

static const char *const in_c1[] = { COLL_1 };
static const char *const in_c2[] = { COLL_2 };
static const char *const in_c12[] = { COLL_1, COLL_2 };

struct rows {
    size_t n;
    char id[MAX_ROWS][80];
    char spec[MAX_ROWS][8];
    int64_t version[MAX_ROWS];
    int64_t date_added[MAX_ROWS];
    bool revoked[MAX_ROWS];
};

static void
create_coll(struct fusion_store *store, const char *id, const char *alias)
{
    struct fusion_store_collection c = {
        .id = id,
        .title = "a collection",
        .alias = alias,
    };

    assert_int_equal(fusion_store_collection_create(store, &c, NULL),
                     FUSION_OK);
}

static int
setup(void **state)
{
    struct fixture *f = fixture_open();

    if (!f)
        return -1;
    create_coll(f->store, COLL_1, "one");
    create_coll(f->store, COLL_2, NULL);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_close(*state);
    return 0;
}

struct put_args {
    const char *id;
    int64_t version;
    const char *spec;
    bool revoked;
    const char *json; /* NULL: made from the rest */
    const char *const *colls;
    size_t ncolls;
};

static enum fusion_store_put_result
put_args(struct fusion_store *store, const struct put_args *a)
{
    enum fusion_store_put_result res = FUSION_STORE_CONFLICT;
    char type[64], json[256];
    const char *dash = strstr(a->id, "--");
    struct fusion_store_object o = { 0 };

    assert_non_null(dash);
    snprintf(type, sizeof(type), "%.*s", (int)(dash - a->id), a->id);
    snprintf(json, sizeof(json),
             "{\"id\":\"%s\",\"spec_version\":\"%s\",\"v\":%lld}", a->id,
             a->spec ? a->spec : "2.1", (long long)a->version);
    o.id = a->id;
    o.type = type;
    o.spec_version = a->spec ? a->spec : "2.1";
    o.version = a->version;
    o.revoked = a->revoked;
    o.json = a->json ? a->json : json;
    o.json_len = strlen(o.json);
    o.collections = a->colls;
    o.ncollections = a->ncolls;
    assert_int_equal(fusion_store_put(store, &o, &res, NULL), FUSION_OK);
    return res;
}

/* Puts one version in its own transaction. */
static enum fusion_store_put_result
put1(struct fusion_store *store, const char *id, int64_t version,
     const char *const *colls, size_t ncolls)
{
    struct put_args a = {
        .id = id, .version = version, .colls = colls, .ncolls = ncolls
    };
    enum fusion_store_put_result res;

    assert_int_equal(fusion_store_begin(store, NULL, NULL), FUSION_OK);
    res = put_args(store, &a);
    assert_int_equal(fusion_store_commit(store, NULL), FUSION_OK);
    return res;
}

static int
collect(void *ctx, const struct fusion_store_row *row)
{
    struct rows *r = ctx;

    assert_true(r->n < MAX_ROWS);
    assert_int_equal(strlen(row->json), row->json_len);
    snprintf(r->id[r->n], sizeof(r->id[0]), "%s", row->id);
    snprintf(r->spec[r->n], sizeof(r->spec[0]), "%s", row->spec_version);
    r->version[r->n] = row->version;
    r->date_added[r->n] = row->date_added;
    r->revoked[r->n] = row->revoked;
    r->n++;
    return 0;
}

static struct fusion_store_page
query(struct fusion_store *store, const char *coll,
      const struct fusion_store_taxii_query *q, struct rows *rows)
{
    struct fusion_store_page page;
    struct fusion_error err;

    memset(rows, 0, sizeof(*rows));
    memset(&page, 0xff, sizeof(page));
    if (fusion_store_collection_objects(store, coll, q, collect, rows, &page,
                                        &err))
        fail_msg("collection query: %s", err.message);
    assert_int_equal(page.count, rows->n);
    if (rows->n) {
        assert_int_equal(page.first_added, rows->date_added[0]);
        assert_int_equal(page.last_added, rows->date_added[rows->n - 1]);
    }
    for (size_t i = 1; i < rows->n; i++)
        assert_true(rows->date_added[i] > rows->date_added[i - 1]);
    return page;
}

static size_t
query_count(struct fusion_store *store,
            const struct fusion_store_taxii_query *q, struct rows *rows)
{
    return query(store, COLL_1, q, rows).count;
}

static void
exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* Schema */

static void
test_schema_migrate_v1_to_v2_keeps_data(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_stats st;
    struct rows rows;
    sqlite3 *db;
    int version = 0;

    assert_true(fusion_store_schema_version() >= 2);
    put1(f->store, ID_A, V1, NULL, 0);
    fusion_store_close(f->store);
    f->store = NULL;
    /* What a version 1 store holds: step 1 only. */
    exec_sql(f->path, "DROP TABLE collection_objects;"
                      "DROP TABLE collections;"
                      "DROP TABLE users; DROP TABLE tokens;"
                      "DROP TABLE user_groups; DROP TABLE group_members;"
                      "DROP TABLE grants;"
                      "DROP TABLE taxii_status; DROP TABLE totals;"
                      "PRAGMA user_version = 1;");
    assert_int_equal(
        fusion_store_open(f->path, FUSION_STORE_READONLY, &f->store, NULL),
        FUSION_ERR_UNSUPPORTED);

    assert_int_equal(fusion_store_open(f->path, 0, &f->store, NULL), FUSION_OK);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(store_schema_read_version(db, &version, NULL), FUSION_OK);
    sqlite3_close(db);
    assert_int_equal(version, fusion_store_schema_version());
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.versions, 1);

    create_coll(f->store, COLL_3, NULL);
    assert_int_equal(
        put1(f->store, ID_A, V1, (const char *const[]){ COLL_3 }, 1),
        FUSION_STORE_DUPLICATE);
    query(f->store, COLL_3, &(struct fusion_store_taxii_query){ 0 }, &rows);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.id[0], ID_A);
}

static void
test_schema_steps_keep_version_1(void **state)
{
    const struct store_step *steps;
    size_t n;

    (void)state;
    steps = store_schema_steps(&n);
    assert_true(n >= 2);
    assert_int_equal(steps[0].version, 1);
    assert_null(strstr(steps[0].sql, "collection"));
    assert_non_null(strstr(steps[1].sql, "collection_objects"));
}

/* Collections */

struct colls {
    size_t n;
    char id[8][40];
    char title[8][32];
    char alias[8][16];
    bool has_description[8];
    size_t nmedia[8];
    char media[8][4][64];
    int64_t created[8];
};

static int
collect_coll(void *ctx, const struct fusion_store_collection *c)
{
    struct colls *r = ctx;

    assert_true(r->n < 8);
    snprintf(r->id[r->n], sizeof(r->id[0]), "%s", c->id);
    snprintf(r->title[r->n], sizeof(r->title[0]), "%s", c->title);
    snprintf(r->alias[r->n], sizeof(r->alias[0]), "%s",
             c->alias ? c->alias : "");
    r->has_description[r->n] = c->description != NULL;
    r->nmedia[r->n] = c->nmedia_types;
    for (size_t i = 0; i < c->nmedia_types && i < 4; i++)
        snprintf(r->media[r->n][i], sizeof(r->media[0][0]), "%s",
                 c->media_types[i]);
    r->created[r->n] = c->created;
    r->n++;
    return 0;
}

static void
test_collection_create_and_get(void **state)
{
    struct fixture *f = *state;
    static const char *const types[] = {
        "application/stix+json;version=2.1",
        "application/stix+json;version=2.0",
    };
    struct fusion_store_collection c = {
        .id = COLL_3,
        .title = "High value",
        .description = "indicators",
        .alias = "hv",
        .media_types = types,
        .nmedia_types = 2,
    };
    struct colls r = { 0 };

    assert_int_equal(fusion_store_collection_create(f->store, &c, NULL),
                     FUSION_OK);
    assert_int_equal(
        fusion_store_collection_get(f->store, COLL_3, collect_coll, &r, NULL),
        FUSION_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.title[0], "High value");
    assert_string_equal(r.alias[0], "hv");
    assert_true(r.has_description[0]);
    assert_int_equal(r.nmedia[0], 2);
    assert_string_equal(r.media[0][0], types[0]);
    assert_string_equal(r.media[0][1], types[1]);
    assert_true(r.created[0] > 0);

    memset(&r, 0, sizeof(r));
    assert_int_equal(
        fusion_store_collection_get(f->store, "hv", collect_coll, &r, NULL),
        FUSION_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.id[0], COLL_3);
}

static void
test_collection_get_unknown_notfound(void **state)
{
    struct fixture *f = *state;
    struct colls r = { 0 };

    assert_int_equal(
        fusion_store_collection_get(f->store, COLL_3, collect_coll, &r, NULL),
        FUSION_ERR_NOTFOUND);
    assert_int_equal(r.n, 0);
}

static void
test_collection_list_ordered_by_id(void **state)
{
    struct fixture *f = *state;
    struct colls r = { 0 };

    create_coll(f->store, "00000000-0000-4000-8000-000000000000", NULL);
    assert_int_equal(
        fusion_store_collection_list(f->store, collect_coll, &r, NULL),
        FUSION_OK);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.id[0], "00000000-0000-4000-8000-000000000000");
    assert_string_equal(r.id[1], COLL_1);
    assert_string_equal(r.id[2], COLL_2);
    assert_string_equal(r.alias[1], "one");
    assert_int_equal(r.nmedia[1], 0);
}

static void
test_collection_create_taken_conflict(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_collection same_id = { .id = COLL_1, .title = "t" };
    struct fusion_store_collection same_alias = { .id = COLL_3,
                                                  .title = "t",
                                                  .alias = "one" };

    assert_int_equal(fusion_store_collection_create(f->store, &same_id, NULL),
                     FUSION_ERR_CONFLICT);
    assert_int_equal(
        fusion_store_collection_create(f->store, &same_alias, NULL),
        FUSION_ERR_CONFLICT);
}

static void
test_collection_create_invalid(void **state)
{
    struct fixture *f = *state;
    static const char *const empty[] = { "" };
    static const char *const ctl[] = { "a\nb" };
    const struct fusion_store_collection bad[] = {
        { .id = "not-a-uuid", .title = "t" },
        { .id = "6b1e2d3c-1111-4aaa-8bbb-00000000000", .title = "t" },
        { .id = "6b1e2d3c-1111-4aaa-8bbb-00000000000g", .title = "t" },
        { .id = COLL_3 },
        { .id = COLL_3, .title = "t", .alias = COLL_2 },
        { .id = COLL_3, .title = "t", .alias = "" },
        { .id = COLL_3, .title = "t", .alias = "a/b" },
        { .id = COLL_3, .title = "t", .media_types = empty, .nmedia_types = 1 },
        { .id = COLL_3, .title = "t", .media_types = ctl, .nmedia_types = 1 },
    };
    struct colls r = { 0 };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(
            fusion_store_collection_create(f->store, &bad[i], NULL),
            FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_store_collection_list(f->store, collect_coll, &r, NULL),
        FUSION_OK);
    assert_int_equal(r.n, 2);
}

static void
test_collection_remove_keeps_objects(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_stats st;
    struct colls r = { 0 };
    struct rows rows;

    put1(f->store, ID_A, V1, in_c12, 2);
    assert_int_equal(fusion_store_collection_remove(f->store, COLL_1, NULL),
                     FUSION_OK);
    assert_int_equal(
        fusion_store_collection_get(f->store, COLL_1, collect_coll, &r, NULL),
        FUSION_ERR_NOTFOUND);
    assert_int_equal(fusion_store_collection_remove(f->store, COLL_1, NULL),
                     FUSION_ERR_NOTFOUND);
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.versions, 1);
    query(f->store, COLL_2, &(struct fusion_store_taxii_query){ 0 }, &rows);
    assert_int_equal(rows.n, 1);

    /* The id can be used again, and starts empty. */
    create_coll(f->store, COLL_1, NULL);
    assert_int_equal(
        query_count(f->store, &(struct fusion_store_taxii_query){ 0 }, &rows),
        0);
}

static void
test_collection_remove_in_rolled_back_transaction_kept(void **state)
{
    struct fixture *f = *state;
    struct rows rows;

    put1(f->store, ID_A, V1, in_c1, 1);
    assert_int_equal(fusion_store_begin(f->store, NULL, NULL), FUSION_OK);
    assert_int_equal(fusion_store_collection_remove(f->store, COLL_1, NULL),
                     FUSION_OK);
    fusion_store_rollback(f->store);
    assert_int_equal(
        query_count(f->store, &(struct fusion_store_taxii_query){ 0 }, &rows),
        1);
}

static void
test_collection_readonly_invalid(void **state)
{
    struct fixture *f = *state;
    struct fusion_store *ro = NULL;
    struct fusion_store_collection c = { .id = COLL_3, .title = "t" };

    assert_int_equal(
        fusion_store_open(f->path, FUSION_STORE_READONLY, &ro, NULL),
        FUSION_OK);
    assert_int_equal(fusion_store_collection_create(ro, &c, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_collection_remove(ro, COLL_1, NULL),
                     FUSION_ERR_INVALID);
    fusion_store_close(ro);
}

/* Membership */

static void
test_membership_new_version_shares_date_added(void **state)
{
    struct fixture *f = *state;
    struct rows in_coll, in_store;
    struct fusion_store_query all = { .all_versions = true };

    put1(f->store, ID_A, V1, in_c1, 1);
    query(f->store, COLL_1, &(struct fusion_store_taxii_query){ 0 }, &in_coll);
    memset(&in_store, 0, sizeof(in_store));
    assert_int_equal(
        fusion_store_search(f->store, &all, collect, &in_store, NULL, NULL),
        FUSION_OK);
    assert_int_equal(in_coll.n, 1);
    assert_int_equal(in_coll.date_added[0], in_store.date_added[0]);
    assert_int_equal(in_coll.version[0], V1);
}

static void
test_membership_duplicate_added_to_new_collection(void **state)
{
    struct fixture *f = *state;
    struct rows r1, r2;

    assert_int_equal(put1(f->store, ID_A, V1, in_c1, 1),
                     FUSION_STORE_NEW_OBJECT);
    put1(f->store, ID_B, V1, in_c1, 1);
    assert_int_equal(put1(f->store, ID_A, V1, in_c2, 1),
                     FUSION_STORE_DUPLICATE);
    /* Again into the same collection: no second membership. */
    assert_int_equal(put1(f->store, ID_A, V1, in_c12, 2),
                     FUSION_STORE_DUPLICATE);

    query(f->store, COLL_1, &(struct fusion_store_taxii_query){ 0 }, &r1);
    query(f->store, COLL_2, &(struct fusion_store_taxii_query){ 0 }, &r2);
    assert_int_equal(r1.n, 2);
    assert_int_equal(r2.n, 1);
    assert_string_equal(r2.id[0], ID_A);
    /* The second collection received it later than anything before. */
    assert_true(r2.date_added[0] > r1.date_added[1]);
}

static void
test_membership_version_in_several_collections(void **state)
{
    struct fixture *f = *state;
    struct rows r1, r2;

    put1(f->store, ID_A, V1, in_c12, 2);
    query(f->store, COLL_1, &(struct fusion_store_taxii_query){ 0 }, &r1);
    query(f->store, COLL_2, &(struct fusion_store_taxii_query){ 0 }, &r2);
    assert_int_equal(r1.n, 1);
    assert_int_equal(r2.n, 1);
    /* date_added is unique in the whole store. */
    assert_true(r2.date_added[0] != r1.date_added[0]);
}

static void
test_membership_unknown_collection_notfound(void **state)
{
    struct fixture *f = *state;
    static const char *const colls[] = { COLL_1, COLL_3 };
    struct fusion_store_object o = {
        .id = ID_A,
        .type = "indicator",
        .spec_version = "2.1",
        .version = V1,
        .json = "{}",
        .json_len = 2,
        .collections = colls,
        .ncollections = 2,
    };
    enum fusion_store_put_result res;
    struct fusion_store_stats st;
    struct fusion_error err;

    assert_int_equal(fusion_store_begin(f->store, NULL, NULL), FUSION_OK);
    assert_int_equal(fusion_store_put(f->store, &o, &res, &err),
                     FUSION_ERR_NOTFOUND);
    assert_non_null(strstr(err.message, COLL_3));
    o.ncollections = FUSION_STORE_MAX_PUT_COLLECTIONS + 1;
    assert_int_equal(fusion_store_put(f->store, &o, &res, NULL),
                     FUSION_ERR_LIMIT);
    o.collections = NULL;
    assert_int_equal(fusion_store_put(f->store, &o, &res, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.versions, 0);
}

static void
test_membership_by_alias(void **state)
{
    struct fixture *f = *state;
    struct rows rows;

    put1(f->store, ID_A, V1, (const char *const[]){ "one" }, 1);
    query(f->store, "one", &(struct fusion_store_taxii_query){ 0 }, &rows);
    assert_int_equal(rows.n, 1);
}

static void
test_membership_conflict_not_added(void **state)
{
    struct fixture *f = *state;
    struct put_args a = { .id = ID_A,
                          .version = V1,
                          .json = "{\"other\":1}",
                          .colls = in_c2,
                          .ncolls = 1 };
    struct rows rows;

    put1(f->store, ID_A, V1, in_c1, 1);
    assert_int_equal(fusion_store_begin(f->store, NULL, NULL), FUSION_OK);
    assert_int_equal(put_args(f->store, &a), FUSION_STORE_CONFLICT);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    query(f->store, COLL_2, &(struct fusion_store_taxii_query){ 0 }, &rows);
    assert_int_equal(rows.n, 0);
}

static void
test_membership_rolled_back_with_transaction(void **state)
{
    struct fixture *f = *state;
    struct put_args a = {
        .id = ID_A, .version = V1, .colls = in_c1, .ncolls = 1
    };
    struct rows rows;

    assert_int_equal(fusion_store_begin(f->store, NULL, NULL), FUSION_OK);
    put_args(f->store, &a);
    fusion_store_rollback(f->store);
    query(f->store, COLL_1, &(struct fusion_store_taxii_query){ 0 }, &rows);
    assert_int_equal(rows.n, 0);
}

/* The query: filters */

static void
fill_basic(struct fusion_store *store)
{
    put1(store, ID_A, V1, in_c1, 1);
    put1(store, ID_B, V1, in_c1, 1);
    put1(store, ID_C, V1, in_c1, 1);
    put1(store, ID_D, 0, in_c1, 1);
    put1(store, ID_C, V1, in_c2, 1);
}

static void
test_query_unknown_collection_notfound(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_page page;

    assert_int_equal(
        fusion_store_collection_objects(f->store, COLL_3,
                                        &(struct fusion_store_taxii_query){ 0 },
                                        collect, NULL, &page, NULL),
        FUSION_ERR_NOTFOUND);
}

static void
test_query_all_in_added_order(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_page page;
    struct rows rows;

    fill_basic(f->store);
    page =
        query(f->store, COLL_1, &(struct fusion_store_taxii_query){ 0 }, &rows);
    assert_int_equal(rows.n, 4);
    assert_false(page.more);
    assert_string_equal(rows.id[0], ID_A);
    assert_string_equal(rows.id[3], ID_D);
    assert_int_equal(rows.version[3], 0);
}

static void
test_query_empty_page(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_page page;
    struct rows rows;

    page =
        query(f->store, COLL_1, &(struct fusion_store_taxii_query){ 0 }, &rows);
    assert_int_equal(page.count, 0);
    assert_false(page.more);
    assert_int_equal(page.first_added, 0);
    assert_int_equal(page.last_added, 0);
}

static void
test_query_added_after_exclusive(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query q = { 0 };
    struct rows all, rows;

    fill_basic(f->store);
    query(f->store, COLL_1, &q, &all);
    q.added_after = all.date_added[1];
    assert_int_equal(query_count(f->store, &q, &rows), 2);
    assert_string_equal(rows.id[0], ID_C);
    q.added_after = all.date_added[1] - 1;
    assert_int_equal(query_count(f->store, &q, &rows), 3);
    q.added_after = all.date_added[3];
    assert_int_equal(query_count(f->store, &q, &rows), 0);
}

static void
test_query_next_and_added_after_later_wins(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query q = { 0 };
    struct rows all, rows;

    fill_basic(f->store);
    query(f->store, COLL_1, &q, &all);
    q.added_after = all.date_added[0];
    q.next = all.date_added[2];
    assert_int_equal(query_count(f->store, &q, &rows), 1);
    q.added_after = all.date_added[2];
    q.next = all.date_added[0];
    assert_int_equal(query_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_D);
}

static void
test_query_match_id(void **state)
{
    struct fixture *f = *state;
    static const char *const ids[] = { ID_C, ID_A, "indicator--nope" };
    struct fusion_store_taxii_query q = { .ids = ids, .nids = 3 };
    struct rows rows;

    fill_basic(f->store);
    assert_int_equal(query_count(f->store, &q, &rows), 2);
    assert_string_equal(rows.id[0], ID_A);
    assert_string_equal(rows.id[1], ID_C);
}

static void
test_query_match_type(void **state)
{
    struct fixture *f = *state;
    static const char *const types[] = { "malware", "ipv4-addr" };
    struct fusion_store_taxii_query q = { .types = types, .ntypes = 2 };
    struct rows rows;

    fill_basic(f->store);
    assert_int_equal(query_count(f->store, &q, &rows), 2);
    assert_string_equal(rows.id[0], ID_C);
    assert_string_equal(rows.id[1], ID_D);
    q.ntypes = 1;
    query(f->store, COLL_2, &q, &rows);
    assert_int_equal(rows.n, 1);
}

static void
test_query_filters_combine(void **state)
{
    struct fixture *f = *state;
    static const char *const types[] = { "indicator" };
    static const char *const ids[] = { ID_B, ID_C };
    struct fusion_store_taxii_query q = {
        .types = types, .ntypes = 1, .ids = ids, .nids = 2
    };
    struct rows rows;

    fill_basic(f->store);
    put1(f->store, ID_B, V2, in_c1, 1);
    assert_int_equal(query_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_B);
    assert_int_equal(rows.version[0], V2);

    q.versions = FUSION_STORE_VERSION_ALL;
    assert_int_equal(query_count(f->store, &q, &rows), 2);
    q.added_after = rows.date_added[0];
    assert_int_equal(query_count(f->store, &q, &rows), 1);
    assert_int_equal(rows.version[0], V2);
    q.limit = 1;
    q.added_after = 0;
    assert_true(query(f->store, COLL_1, &q, &rows).more);
    assert_int_equal(rows.version[0], V1);
}

/* The query: match[version] */

static void
fill_versions(struct fusion_store *store)
{
    /* ID_A: V2, then V1 late, then V3; V2 also in COLL_2 alone. */
    put1(store, ID_A, V2, in_c12, 2);
    put1(store, ID_A, V1, in_c1, 1);
    put1(store, ID_A, V3, in_c1, 1);
    put1(store, ID_B, V1, in_c1, 1);
    put1(store, ID_D, 0, in_c1, 1);
}

static void
test_query_version_last_default(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query q = { 0 };
    struct rows rows;

    fill_versions(f->store);
    assert_int_equal(query_count(f->store, &q, &rows), 3);
    assert_string_equal(rows.id[0], ID_A);
    assert_int_equal(rows.version[0], V3);
    assert_string_equal(rows.id[2], ID_D);
    q.versions = FUSION_STORE_VERSION_LAST;
    assert_int_equal(query_count(f->store, &q, &rows), 3);

    /* Per collection: COLL_2 holds V2 only, which is its last. */
    query(f->store, COLL_2, &(struct fusion_store_taxii_query){ 0 }, &rows);
    assert_int_equal(rows.n, 1);
    assert_int_equal(rows.version[0], V2);
}

static void
test_query_version_first(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query q = { .versions =
                                              FUSION_STORE_VERSION_FIRST };
    struct rows rows;

    fill_versions(f->store);
    assert_int_equal(query_count(f->store, &q, &rows), 3);
    /* V1 came after V2, so its collection date_added is later. */
    assert_string_equal(rows.id[0], ID_A);
    assert_int_equal(rows.version[0], V1);
    assert_string_equal(rows.id[1], ID_B);
}

static void
test_query_version_first_and_last(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query q = {
        .versions = FUSION_STORE_VERSION_FIRST | FUSION_STORE_VERSION_LAST
    };
    struct rows rows;

    fill_versions(f->store);
    assert_int_equal(query_count(f->store, &q, &rows), 4);
    assert_int_equal(rows.version[0], V1);
    assert_int_equal(rows.version[1], V3);
}

static void
test_query_version_all(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query q = { .versions =
                                              FUSION_STORE_VERSION_ALL };
    struct rows rows;

    fill_versions(f->store);
    assert_int_equal(query_count(f->store, &q, &rows), 5);
    assert_int_equal(rows.version[0], V2);
    assert_int_equal(rows.version[1], V1);
    assert_int_equal(rows.version[2], V3);
}

static void
test_query_version_specific_times(void **state)
{
    struct fixture *f = *state;
    static const int64_t times[] = { V2, V1 };
    struct fusion_store_taxii_query q = { .version_times = times,
                                          .nversion_times = 1 };
    struct rows rows;

    fill_versions(f->store);
    assert_int_equal(query_count(f->store, &q, &rows), 1);
    assert_int_equal(rows.version[0], V2);
    q.nversion_times = 2;
    assert_int_equal(query_count(f->store, &q, &rows), 3);
    /* first, a time, last */
    q.nversion_times = 1;
    q.versions = FUSION_STORE_VERSION_FIRST | FUSION_STORE_VERSION_LAST;
    assert_int_equal(query_count(f->store, &q, &rows), 5);
}

static void
test_query_version_all_combined_invalid(void **state)
{
    struct fixture *f = *state;
    static const int64_t times[] = { V1 };
    const struct fusion_store_taxii_query bad[] = {
        { .versions = FUSION_STORE_VERSION_ALL | FUSION_STORE_VERSION_LAST },
        { .versions = FUSION_STORE_VERSION_ALL,
          .version_times = times,
          .nversion_times = 1 },
        { .versions = 1u << 5 },
        { .nversion_times = 1 },
        { .nids = 1 },
        { .added_after = -1 },
    };
    struct fusion_store_page page;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(fusion_store_collection_objects(f->store, COLL_1,
                                                         &bad[i], collect, NULL,
                                                         &page, NULL),
                         FUSION_ERR_INVALID);
}

static void
test_query_version_sco_single(void **state)
{
    struct fixture *f = *state;
    static const char *const ids[] = { ID_D };
    struct fusion_store_taxii_query q = { .ids = ids, .nids = 1 };
    struct rows rows;

    fill_versions(f->store);
    for (unsigned v = FUSION_STORE_VERSION_LAST; v <= FUSION_STORE_VERSION_ALL;
         v <<= 1) {
        q.versions = v;
        assert_int_equal(query_count(f->store, &q, &rows), 1);
        assert_int_equal(rows.version[0], 0);
    }
}

/* The query: match[spec_version] */

static void
fill_specs(struct fusion_store *store)
{
    struct put_args a = { .colls = in_c1, .ncolls = 1 };

    assert_int_equal(fusion_store_begin(store, NULL, NULL), FUSION_OK);
    /* ID_A: 2.0 at V1 and V3, 2.1 at V2. ID_B: 2.0 only. */
    a.id = ID_A, a.version = V1, a.spec = "2.0";
    put_args(store, &a);
    a.version = V2, a.spec = "2.1";
    put_args(store, &a);
    a.version = V3, a.spec = "2.0";
    put_args(store, &a);
    a.id = ID_B, a.version = V1, a.spec = "2.0";
    put_args(store, &a);
    assert_int_equal(fusion_store_commit(store, NULL), FUSION_OK);
}

static void
test_query_spec_version_default_latest(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query q = { 0 };
    struct rows rows;

    fill_specs(f->store);
    assert_int_equal(query_count(f->store, &q, &rows), 2);
    assert_string_equal(rows.id[0], ID_A);
    assert_string_equal(rows.spec[0], "2.1");
    assert_int_equal(rows.version[0], V2);
    assert_string_equal(rows.spec[1], "2.0");

    q.versions = FUSION_STORE_VERSION_ALL;
    assert_int_equal(query_count(f->store, &q, &rows), 2);
}

static void
test_query_spec_version_list(void **state)
{
    struct fixture *f = *state;
    static const char *const s20[] = { "2.0" };
    static const char *const both[] = { "2.0", "2.1" };
    struct fusion_store_taxii_query q = { .spec_versions = s20,
                                          .nspec_versions = 1 };
    struct rows rows;

    fill_specs(f->store);
    /* last among the 2.0 versions */
    assert_int_equal(query_count(f->store, &q, &rows), 2);
    assert_int_equal(rows.version[0], V3);
    q.versions = FUSION_STORE_VERSION_FIRST;
    assert_int_equal(query_count(f->store, &q, &rows), 2);
    assert_int_equal(rows.version[0], V1);

    q.spec_versions = both;
    q.nspec_versions = 2;
    q.versions = FUSION_STORE_VERSION_ALL;
    assert_int_equal(query_count(f->store, &q, &rows), 4);
    q.versions = 0;
    assert_int_equal(query_count(f->store, &q, &rows), 2);
    assert_int_equal(rows.version[0], V3);
}

/* Revoked objects are versions and are served (TAXII has no revocation). */
static void
test_query_revoked_served(void **state)
{
    struct fixture *f = *state;
    struct put_args a = {
        .id = ID_A, .version = V2, .revoked = true, .colls = in_c1, .ncolls = 1
    };
    struct fusion_store_taxii_query q = { 0 };
    struct rows rows;

    put1(f->store, ID_A, V1, in_c1, 1);
    assert_int_equal(fusion_store_begin(f->store, NULL, NULL), FUSION_OK);
    put_args(f->store, &a);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_int_equal(query_count(f->store, &q, &rows), 1);
    assert_true(rows.revoked[0]);
    assert_int_equal(rows.version[0], V2);
    q.versions = FUSION_STORE_VERSION_ALL;
    assert_int_equal(query_count(f->store, &q, &rows), 2);
    assert_false(rows.revoked[0]);
}

/* Paging */

static void
make_id(char *buf, size_t size, int i)
{
    snprintf(buf, size, "indicator--00000000-0000-4000-8000-%012d", i);
}

static void
put_many(struct fusion_store *store, int from, int to)
{
    char id[80];
    struct put_args a = {
        .id = id, .version = V1, .colls = in_c1, .ncolls = 1
    };

    assert_int_equal(fusion_store_begin(store, NULL, NULL), FUSION_OK);
    for (int i = from; i < to; i++) {
        make_id(id, sizeof(id), i);
        put_args(store, &a);
    }
    assert_int_equal(fusion_store_commit(store, NULL), FUSION_OK);
}

static int
id_number(const char *id)
{
    return (int)strtol(id + strlen(id) - 12, NULL, 10);
}

static void
test_query_limit_next_pages_each_once(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query q = { .limit = 100 };
    struct fusion_store_page page;
    static struct rows rows;
    static bool seen[1000];
    int pages = 0, total = 0, expect = 0;

    memset(seen, 0, sizeof(seen));
    put_many(f->store, 0, 1000);
    do {
        page = query(f->store, COLL_1, &q, &rows);
        pages++;
        for (size_t i = 0; i < rows.n; i++) {
            int n = id_number(rows.id[i]);

            assert_int_equal(n, expect++);
            assert_false(seen[n]);
            seen[n] = true;
            total++;
        }
        q.next = page.last_added;
        assert_true(page.more == (total < 1000));
    } while (page.more);
    assert_int_equal(pages, 10);
    assert_int_equal(total, 1000);
}

static void
test_query_paging_stable_under_inserts(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query q = { .limit = 50 };
    struct fusion_store_page page;
    static struct rows rows;
    static int seen[1000];
    int added = 300, total = 0, last = -1;

    memset(seen, 0, sizeof(seen));
    put_many(f->store, 0, added);
    for (;;) {
        page = query(f->store, COLL_1, &q, &rows);
        for (size_t i = 0; i < rows.n; i++) {
            int n = id_number(rows.id[i]);

            assert_true(n > last);
            last = n;
            seen[n]++;
            total++;
        }
        if (page.count)
            q.next = page.last_added;
        if (added < 1000) {
            /* A writer adds while the reader is between pages. */
            put_many(f->store, added, added + 70);
            added += 70;
            /* Not in this collection, must not show. */
            put1(f->store, ID_C, V1 + added, in_c2, 1);
            continue;
        }
        if (!page.more)
            break;
    }
    assert_int_equal(total, added);
    for (int i = 0; i < added; i++)
        assert_int_equal(seen[i], 1);
}

struct plan {
    char text[4096];
};

static void
explain_sql(struct fusion_store *store, const char *query, struct plan *p)
{
    char sql[8192];
    sqlite3_stmt *stmt;

    snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", query);
    assert_int_equal(sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL),
                     SQLITE_OK);
    p->text[0] = '\0';
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        size_t len = strlen(p->text);

        snprintf(p->text + len, sizeof(p->text) - len, "%s\n",
                 (const char *)sqlite3_column_text(stmt, 3));
    }
    sqlite3_finalize(stmt);
}

static void
explain(struct fusion_store *store, struct plan *p)
{
    assert_non_null(store->taxii_stmt);
    explain_sql(store, sqlite3_sql(store->taxii_stmt), p);
}

/* Keeps the SQL of the last collection query a handle ran. */
static int
trace_query(unsigned type, void *ctx, void *p, void *x)
{
    const char *sql = sqlite3_sql(p);

    (void)type;
    (void)x;
    if (sql && strncmp(sql, "SELECT o.id", 11) == 0)
        snprintf(ctx, sizeof(((struct plan *)0)->text), "%s", sql);
    return 0;
}

/* The plan of the collection query that q runs. */
static void
explain_query(struct fusion_store *store,
              const struct fusion_store_taxii_query *q, struct plan *p)
{
    struct plan sql = { "" };
    struct rows rows;

    sqlite3_trace_v2(store->db, SQLITE_TRACE_STMT, trace_query, sql.text);
    query(store, COLL_1, q, &rows);
    sqlite3_trace_v2(store->db, 0, NULL, NULL);
    assert_true(sql.text[0] != '\0');
    explain_sql(store, sql.text, p);
}

static void
test_query_plan_uses_indexes(void **state)
{
    struct fixture *f = *state;
    static const char *const ids[] = { ID_A };
    struct fusion_store_taxii_query q = { .limit = 100, .next = 1 };
    struct rows rows;
    struct plan p;

    put_many(f->store, 0, 10);
    query(f->store, COLL_1, &q, &rows);
    explain(f->store, &p);
    assert_non_null(strstr(p.text, "SEARCH m USING PRIMARY KEY "
                                   "(collection_id=? AND date_added>?)"));
    assert_non_null(strstr(p.text, "SEARCH o USING INTEGER PRIMARY KEY"));
    assert_non_null(strstr(p.text, "SEARCH o2 USING INDEX objects_id"));
    assert_non_null(strstr(p.text, "SEARCH m2 USING COVERING INDEX "
                                   "collection_objects_version"));
    assert_null(strstr(p.text, "SCAN"));
    assert_null(strstr(p.text, "TEMP B-TREE"));

    /* A first page reads the same way. */
    q.next = 0;
    explain_query(f->store, &q, &p);
    assert_non_null(strstr(p.text, "SEARCH m USING PRIMARY KEY "
                                   "(collection_id=? AND date_added>?)"));
    assert_null(strstr(p.text, "SCAN"));

    /* By id, the id's versions lead. */
    q.ids = ids;
    q.nids = 1;
    explain_query(f->store, &q, &p);
    assert_non_null(strstr(p.text, "SEARCH o USING INDEX objects_id"));
    assert_null(strstr(p.text, "SCAN"));
}

/*
 * Every page of one query shape runs on one prepared statement, and a
 * query by id, whose SQL holds the ids' hashes, leaves it in place.
 */
static void
test_query_statement_kept_across_pages(void **state)
{
    struct fixture *f = *state;
    static const char *const ids[] = { ID_A };
    struct fusion_store_taxii_query q = { .limit = 10 };
    struct fusion_store_taxii_query by_id = { .ids = ids, .nids = 1 };
    struct fusion_store_page page;
    sqlite3_stmt *stmt;
    struct rows rows;
    size_t total = 0;
    int runs;

    put_many(f->store, 0, 95);
    put1(f->store, ID_A, V1, in_c1, 1);
    page = query(f->store, COLL_1, &q, &rows);
    stmt = f->store->taxii_stmt;
    assert_non_null(stmt);
    runs = sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_RUN, 0);
    total += page.count;
    while (page.more) {
        q.next = page.last_added;
        page = query(f->store, COLL_1, &q, &rows);
        total += page.count;
        assert_int_equal(query(f->store, COLL_1, &by_id, &rows).count, 1);
        assert_ptr_equal(f->store->taxii_stmt, stmt);
    }
    assert_int_equal(total, 96);
    assert_int_equal(sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_RUN, 0) - runs,
                     9);
    assert_false(sqlite3_stmt_busy(stmt));
}

static void
test_query_in_read_transaction(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query q = { .limit = 10 };
    struct fusion_store *writer = NULL;
    struct fusion_store_page page;
    struct rows rows;

    put_many(f->store, 0, 20);
    assert_int_equal(fusion_store_open(f->path, 0, &writer, NULL), FUSION_OK);
    assert_int_equal(fusion_store_read_begin(f->store, NULL), FUSION_OK);
    page = query(f->store, COLL_1, &q, &rows);
    assert_int_equal(page.count, 10);
    put_many(writer, 20, 30);
    /* The pages of one read transaction come from one snapshot. */
    q.next = page.last_added;
    page = query(f->store, COLL_1, &q, &rows);
    assert_int_equal(page.count, 10);
    assert_false(page.more);
    fusion_store_read_end(f->store);
    q.next = page.last_added;
    assert_int_equal(query(f->store, COLL_1, &q, &rows).count, 10);
    fusion_store_close(writer);
}

static int
stop_at_first(void *ctx, const struct fusion_store_row *row)
{
    (void)row;
    (*(int *)ctx)++;
    return FUSION_ERR_LIMIT;
}

static void
test_query_callback_stop_returned(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_page page;
    int calls = 0;

    put1(f->store, ID_A, V1, in_c1, 1);
    put1(f->store, ID_B, V1, in_c1, 1);
    assert_int_equal(
        fusion_store_collection_objects(f->store, COLL_1,
                                        &(struct fusion_store_taxii_query){ 0 },
                                        stop_at_first, &calls, &page, NULL),
        FUSION_ERR_LIMIT);
    assert_int_equal(calls, 1);
}

/* Deleting from a collection (TAXII 2.1 section 5.7) */

static uint64_t
delete_ok(struct fusion_store *store, const char *coll, const char *id,
          const struct fusion_store_taxii_query *q)
{
    uint64_t removed = 99;
    struct fusion_error err;

    if (fusion_store_collection_delete(store, coll, id, q, &removed, &err))
        fail_msg("collection delete: %s", err.message);
    return removed;
}

/* The versions of id in coll, all of them, in collection order. */
static size_t
versions_in(struct fusion_store *store, const char *coll, const char *id,
            struct rows *rows)
{
    const char *const ids[] = { id };
    struct fusion_store_taxii_query q = {
        .ids = ids, .nids = 1, .versions = FUSION_STORE_VERSION_ALL
    };

    return query(store, coll, &q, rows).count;
}

static void
test_delete_last_by_default(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query q = { 0 };
    struct fusion_store_stats st;
    struct rows rows;

    fill_versions(f->store);
    /* Last of V2, V1, V3 in COLL_1 is V3: it alone goes. */
    assert_int_equal(delete_ok(f->store, COLL_1, ID_A, NULL), 1);
    assert_int_equal(versions_in(f->store, COLL_1, ID_A, &rows), 2);
    assert_int_equal(rows.version[0], V2);
    assert_int_equal(rows.version[1], V1);

    /* The version before it is now the collection's last. */
    assert_int_equal(query_count(f->store, &q, &rows), 3);
    assert_string_equal(rows.id[0], ID_A);
    assert_int_equal(rows.version[0], V2);

    /* Again: V2 goes from COLL_1, and V1 is left as last. */
    assert_int_equal(delete_ok(f->store, COLL_1, ID_A, &q), 1);
    assert_int_equal(query_count(f->store, &q, &rows), 3);
    assert_string_equal(rows.id[0], ID_A);
    assert_int_equal(rows.version[0], V1);

    /* COLL_2 keeps its V2, and the store every version. */
    assert_int_equal(versions_in(f->store, COLL_2, ID_A, &rows), 1);
    assert_int_equal(rows.version[0], V2);
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.versions, 5);
    assert_int_equal(st.objects, 3);
}

static void
test_delete_first_all_and_times(void **state)
{
    struct fixture *f = *state;
    static const int64_t times[] = { V3, V2 };
    struct fusion_store_taxii_query q = { .versions =
                                              FUSION_STORE_VERSION_FIRST };
    struct rows rows;

    fill_versions(f->store);
    assert_int_equal(delete_ok(f->store, COLL_1, ID_A, &q), 1);
    assert_int_equal(versions_in(f->store, COLL_1, ID_A, &rows), 2);
    assert_int_equal(rows.version[0], V2);
    assert_int_equal(rows.version[1], V3);

    /* Exact times: only those present count. */
    q.versions = 0;
    q.version_times = times;
    q.nversion_times = 1;
    assert_int_equal(delete_ok(f->store, COLL_1, ID_A, &q), 1);
    assert_int_equal(delete_ok(f->store, COLL_1, ID_A, &q), 0);
    assert_int_equal(versions_in(f->store, COLL_1, ID_A, &rows), 1);
    assert_int_equal(rows.version[0], V2);

    /* ALL from COLL_2; COLL_1 keeps its V2. */
    q.versions = FUSION_STORE_VERSION_ALL;
    q.nversion_times = 0;
    assert_int_equal(delete_ok(f->store, COLL_2, ID_A, &q), 1);
    assert_int_equal(versions_in(f->store, COLL_2, ID_A, &rows), 0);
    assert_int_equal(versions_in(f->store, COLL_1, ID_A, &rows), 1);
    assert_int_equal(rows.version[0], V2);

    /* Several versions at once, and an SCO's one version. */
    put1(f->store, ID_A, V1, in_c1, 1);
    put1(f->store, ID_A, V3, in_c1, 1);
    q.version_times = times;
    q.nversion_times = 2;
    q.versions = FUSION_STORE_VERSION_FIRST;
    assert_int_equal(delete_ok(f->store, COLL_1, ID_A, &q), 3);
    assert_int_equal(versions_in(f->store, COLL_1, ID_A, &rows), 0);
    assert_int_equal(delete_ok(f->store, COLL_1, ID_D, NULL), 1);
    assert_int_equal(versions_in(f->store, COLL_1, ID_D, &rows), 0);
}

static void
test_delete_spec_versions(void **state)
{
    struct fixture *f = *state;
    static const char *const s20[] = { "2.0" };
    struct fusion_store_taxii_query q = { 0 };
    struct rows rows;

    fill_specs(f->store);
    /* By default the latest spec_version: ID_A's one 2.1 version. */
    assert_int_equal(delete_ok(f->store, COLL_1, ID_A, &q), 1);
    assert_int_equal(versions_in(f->store, COLL_1, ID_A, &rows), 2);
    assert_string_equal(rows.spec[0], "2.0");
    assert_string_equal(rows.spec[1], "2.0");
    /* Then the 2.0 versions are the latest, and V3 is their last. */
    assert_int_equal(query_count(f->store, &q, &rows), 2);
    assert_int_equal(rows.version[0], V3);

    q.spec_versions = s20;
    q.nspec_versions = 1;
    q.versions = FUSION_STORE_VERSION_ALL;
    assert_int_equal(delete_ok(f->store, COLL_1, ID_A, &q), 2);
    assert_int_equal(versions_in(f->store, COLL_1, ID_A, &rows), 0);
    assert_int_equal(versions_in(f->store, COLL_1, ID_B, &rows), 1);
}

static void
test_delete_nothing_matched(void **state)
{
    struct fixture *f = *state;
    static const int64_t times[] = { V3 };
    struct fusion_store_taxii_query q = { .version_times = times,
                                          .nversion_times = 1 };
    uint64_t removed = 99;

    put1(f->store, ID_A, V1, in_c1, 1);
    put1(f->store, ID_B, V1, in_c2, 1);
    assert_int_equal(delete_ok(f->store, COLL_1, ID_C, NULL), 0);
    assert_int_equal(delete_ok(f->store, COLL_1, ID_B, NULL), 0);
    assert_int_equal(delete_ok(f->store, COLL_1, ID_A, &q), 0);
    /* removed may be NULL */
    assert_int_equal(
        fusion_store_collection_delete(f->store, "one", ID_A, NULL, NULL, NULL),
        FUSION_OK);
    assert_int_equal(fusion_store_collection_delete(f->store, "one", ID_A, NULL,
                                                    &removed, NULL),
                     FUSION_OK);
    assert_int_equal(removed, 0);
}

/* Only the version fields of the query apply. */
static void
test_delete_ignores_other_fields(void **state)
{
    struct fixture *f = *state;
    static const char *const types[] = { "malware" };
    static const char *const ids[] = { ID_B };
    struct fusion_store_taxii_query q = { .added_after = INT64_MAX - 1,
                                          .next = INT64_MAX - 1,
                                          .limit = 1,
                                          .types = types,
                                          .ntypes = 1,
                                          .ids = ids,
                                          .nids = 1 };
    struct rows rows;

    put1(f->store, ID_A, V1, in_c1, 1);
    put1(f->store, ID_B, V1, in_c1, 1);
    assert_int_equal(delete_ok(f->store, COLL_1, ID_A, &q), 1);
    assert_int_equal(versions_in(f->store, COLL_1, ID_A, &rows), 0);
    assert_int_equal(versions_in(f->store, COLL_1, ID_B, &rows), 1);
}

static void
test_delete_errors(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query bad = {
        .versions = FUSION_STORE_VERSION_ALL | FUSION_STORE_VERSION_LAST
    };
    static const char *const null_spec[] = { NULL };
    struct fusion_store_taxii_query bad_spec = { .spec_versions = null_spec,
                                                 .nspec_versions = 1 };
    struct fusion_store *ro = NULL;
    uint64_t removed = 99;
    struct rows rows;

    put1(f->store, ID_A, V1, in_c1, 1);
    assert_int_equal(fusion_store_collection_delete(f->store, COLL_3, ID_A,
                                                    NULL, &removed, NULL),
                     FUSION_ERR_NOTFOUND);
    assert_int_equal(fusion_store_collection_delete(f->store, COLL_1, ID_A,
                                                    &bad, &removed, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_collection_delete(f->store, COLL_1, ID_A,
                                                    &bad_spec, &removed, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(removed, 99);

    assert_int_equal(
        fusion_store_open(f->path, FUSION_STORE_READONLY, &ro, NULL),
        FUSION_OK);
    assert_int_equal(
        fusion_store_collection_delete(ro, COLL_1, ID_A, NULL, &removed, NULL),
        FUSION_ERR_INVALID);
    fusion_store_close(ro);
    assert_int_equal(versions_in(f->store, COLL_1, ID_A, &rows), 1);
}

static void
test_delete_in_open_transaction(void **state)
{
    struct fixture *f = *state;
    struct rows rows;

    put1(f->store, ID_A, V1, in_c1, 1);
    put1(f->store, ID_B, V1, in_c1, 1);
    assert_int_equal(fusion_store_begin(f->store, NULL, NULL), FUSION_OK);
    assert_int_equal(delete_ok(f->store, COLL_1, ID_A, NULL), 1);
    fusion_store_rollback(f->store);
    assert_int_equal(versions_in(f->store, COLL_1, ID_A, &rows), 1);

    assert_int_equal(fusion_store_begin(f->store, NULL, NULL), FUSION_OK);
    assert_int_equal(delete_ok(f->store, COLL_1, ID_A, NULL), 1);
    assert_int_equal(delete_ok(f->store, COLL_1, ID_B, NULL), 1);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_int_equal(
        query_count(f->store, &(struct fusion_store_taxii_query){ 0 }, &rows),
        0);
}

/*
 * A deleted membership may hold the largest date_added handed out (here
 * one far ahead of the clock); values handed out later, by another
 * handle too, stay larger, so a cursor at the deleted value skips none.
 */
static void
test_delete_keeps_date_added_growing(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_taxii_query q = { 0 };
    int64_t ahead = INT64_C(4000000000000000000);
    char sql[256];
    struct rows rows;

    put1(f->store, ID_A, V1, in_c1, 1);
    put1(f->store, ID_A, V1, in_c2, 1);
    snprintf(sql, sizeof(sql),
             "UPDATE collection_objects SET date_added = %lld"
             " WHERE collection_id = 2",
             (long long)ahead);
    exec_sql(f->path, sql);
    assert_int_equal(delete_ok(f->store, COLL_2, ID_A, NULL), 1);
    fusion_store_close(f->store);
    assert_int_equal(fusion_store_open(f->path, 0, &f->store, NULL), FUSION_OK);

    put1(f->store, ID_B, V1, in_c2, 1);
    q.next = ahead;
    query(f->store, COLL_2, &q, &rows);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.id[0], ID_B);

    /* Removing a whole collection keeps the floor as well. */
    snprintf(sql, sizeof(sql),
             "UPDATE collection_objects SET date_added = %lld"
             " WHERE collection_id = 2",
             (long long)(ahead * 2));
    exec_sql(f->path, sql);
    assert_int_equal(fusion_store_collection_remove(f->store, COLL_2, NULL),
                     FUSION_OK);
    fusion_store_close(f->store);
    assert_int_equal(fusion_store_open(f->path, 0, &f->store, NULL), FUSION_OK);
    create_coll(f->store, COLL_2, NULL);
    put1(f->store, ID_C, V1, in_c2, 1);
    q.next = ahead * 2;
    query(f->store, COLL_2, &q, &rows);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.id[0], ID_C);
}

/* Catches the SQL of the collection delete as it runs. */
static int
catch_delete(unsigned type, void *ctx, void *stmt, void *unused)
{
    const char *sql = sqlite3_sql(stmt);

    (void)type;
    (void)unused;
    if (strncmp(sql, "DELETE FROM collection_objects", 30) == 0)
        snprintf(ctx, 8192, "%s", sql);
    return 0;
}

static void
test_delete_plan_uses_indexes(void **state)
{
    struct fixture *f = *state;
    static char sql[8192];
    struct plan p;

    put_many(f->store, 0, 10);
    sql[0] = '\0';
    sqlite3_trace_v2(f->store->db, SQLITE_TRACE_STMT, catch_delete, sql);
    assert_int_equal(
        delete_ok(f->store, COLL_1,
                  "indicator--00000000-0000-4000-8000-000000000003", NULL),
        1);
    sqlite3_trace_v2(f->store->db, 0, NULL, NULL);
    assert_non_null(strstr(sql, "DELETE"));
    explain_sql(f->store, sql, &p);
    /* The selection is made whole first, then each row goes by its key. */
    assert_non_null(strstr(p.text, "LIST SUBQUERY"));
    assert_non_null(strstr(p.text, "SEARCH collection_objects USING PRIMARY "
                                   "KEY (collection_id=? AND date_added=?)"));
    assert_non_null(strstr(p.text, "SEARCH o USING INDEX objects_id"));
    assert_null(strstr(p.text, "SCAN"));
}

/* Every allocation that fails leaves the collection as it was. */
static void
test_delete_alloc_failure_sweep(void **state)
{
    struct fixture *f = *state;
    uint64_t removed = 0;
    struct rows rows;
    enum fusion_err rc;

    put1(f->store, ID_A, V1, in_c1, 1);
    for (long n = 0; n < 100; n++) {
        fusion_alloc_fail_after(n);
        rc = fusion_store_collection_delete(f->store, COLL_1, ID_A, NULL,
                                            &removed, NULL);
        if (!fusion_alloc_has_failed()) {
            fusion_alloc_fail_after(-1);
            assert_int_equal(rc, FUSION_OK);
            assert_int_equal(removed, 1);
            return;
        }
        fusion_alloc_fail_after(-1);
        assert_int_equal(rc, FUSION_ERR_NOMEM);
        assert_int_equal(versions_in(f->store, COLL_1, ID_A, &rows), 1);
    }
    fail_msg("the sweep did not reach a run without failures");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_schema_migrate_v1_to_v2_keeps_data),
        T(test_schema_steps_keep_version_1),
        T(test_collection_create_and_get),
        T(test_collection_get_unknown_notfound),
        T(test_collection_list_ordered_by_id),
        T(test_collection_create_taken_conflict),
        T(test_collection_create_invalid),
        T(test_collection_remove_keeps_objects),
        T(test_collection_remove_in_rolled_back_transaction_kept),
        T(test_collection_readonly_invalid),
        T(test_membership_new_version_shares_date_added),
        T(test_membership_duplicate_added_to_new_collection),
        T(test_membership_version_in_several_collections),
        T(test_membership_unknown_collection_notfound),
        T(test_membership_by_alias),
        T(test_membership_conflict_not_added),
        T(test_membership_rolled_back_with_transaction),
        T(test_query_unknown_collection_notfound),
        T(test_query_all_in_added_order),
        T(test_query_empty_page),
        T(test_query_added_after_exclusive),
        T(test_query_next_and_added_after_later_wins),
        T(test_query_match_id),
        T(test_query_match_type),
        T(test_query_filters_combine),
        T(test_query_version_last_default),
        T(test_query_version_first),
        T(test_query_version_first_and_last),
        T(test_query_version_all),
        T(test_query_version_specific_times),
        T(test_query_version_all_combined_invalid),
        T(test_query_version_sco_single),
        T(test_query_spec_version_default_latest),
        T(test_query_spec_version_list),
        T(test_query_revoked_served),
        T(test_query_limit_next_pages_each_once),
        T(test_query_paging_stable_under_inserts),
        T(test_query_plan_uses_indexes),
        T(test_query_statement_kept_across_pages),
        T(test_query_in_read_transaction),
        T(test_query_callback_stop_returned),
        T(test_delete_last_by_default),
        T(test_delete_first_all_and_times),
        T(test_delete_spec_versions),
        T(test_delete_nothing_matched),
        T(test_delete_ignores_other_fields),
        T(test_delete_errors),
        T(test_delete_in_open_transaction),
        T(test_delete_keeps_date_added_growing),
        T(test_delete_plan_uses_indexes),
        T(test_delete_alloc_failure_sweep),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
