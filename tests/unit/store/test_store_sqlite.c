/* SPDX-License-Identifier: Apache-2.0 */
/* The SQLite store: schema, transactions, put semantics and reads. */
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

#define ID_A "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define ID_B "indicator--5b1e4b3c-7b0e-4d2a-9d7c-0c6f1f0f3a11"
#define ID_C "malware--0c7b5b88-8ff7-4a4d-aa9c-feb398cd0061"
#define ID_D "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"

#define COLL   "0a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"
#define STATUS "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"

/* Two versions, as nanoseconds since the epoch. */
#define V1 INT64_C(1600000000000000000)
#define V2 INT64_C(1600000001000000000)
#define V3 INT64_C(1600000002000000000)

static const struct fusion_store_source src_file = { "file", "/tmp/a.json" };
static const struct fusion_store_source src_taxii = { "taxii", "feed-1" };

static int
setup(void **state)
{
    struct fixture *f = fixture_open();

    if (!f)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_close(*state);
    return 0;
}

static struct fusion_store_object
make_obj(const char *id, int64_t version, const char *json)
{
    struct fusion_store_object o = {
        .id = id,
        .type = strncmp(id, "indicator", 9) == 0 ? "indicator"
                : strncmp(id, "malware", 7) == 0 ? "malware"
                                                 : "ipv4-addr",
        .spec_version = "2.1",
        .version = version,
        .json = json,
        .json_len = strlen(json),
    };

    return o;
}

static enum fusion_store_put_result
put_ok(struct fusion_store *store, const struct fusion_store_object *o)
{
    enum fusion_store_put_result res = FUSION_STORE_CONFLICT;
    struct fusion_error err;

    assert_int_equal(fusion_store_put(store, o, &res, &err), FUSION_OK);
    return res;
}

static void
put_json(struct fusion_store *store, const char *id, int64_t version,
         const char *json)
{
    struct fusion_store_object o = make_obj(id, version, json);

    (void)put_ok(store, &o);
}

#define MAX_ROWS 16

struct rows {
    size_t n;
    int stop_at; /* stop after this many rows when nonzero */
    char id[MAX_ROWS][128];
    char json[MAX_ROWS][512];
    int64_t version[MAX_ROWS];
    int64_t date_added[MAX_ROWS];
    bool current[MAX_ROWS];
    bool revoked[MAX_ROWS];
};

static int
collect(void *ctx, const struct fusion_store_row *row)
{
    struct rows *r = ctx;

    assert_true(r->n < MAX_ROWS);
    assert_int_equal(strlen(row->json), row->json_len);
    snprintf(r->id[r->n], sizeof(r->id[0]), "%s", row->id);
    snprintf(r->json[r->n], sizeof(r->json[0]), "%s", row->json);
    r->version[r->n] = row->version;
    r->date_added[r->n] = row->date_added;
    r->current[r->n] = row->current;
    r->revoked[r->n] = row->revoked;
    r->n++;
    if (r->stop_at && (int)r->n == r->stop_at)
        return FUSION_ERR_LIMIT;
    return 0;
}

static size_t
search_count(struct fusion_store *store, const struct fusion_store_query *q,
             struct rows *rows)
{
    size_t count = 99;

    memset(rows, 0, sizeof(*rows));
    assert_int_equal(fusion_store_search(store, q, collect, rows, &count, NULL),
                     FUSION_OK);
    assert_int_equal(count, rows->n);
    return count;
}

static void
exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* Opening */

static void
test_open_missing_notfound(void **state)
{
    struct fixture *f = *state;
    struct fusion_store *store = NULL;
    struct fusion_error err;
    char path[96];

    snprintf(path, sizeof(path), "%s-missing", f->path);
    assert_int_equal(fusion_store_open(path, 0, &store, &err),
                     FUSION_ERR_NOTFOUND);
    assert_null(store);
    assert_non_null(strstr(err.message, "no such file"));
}

static void
test_open_create_readonly_invalid(void **state)
{
    struct fixture *f = *state;
    struct fusion_store *store = NULL;

    assert_int_equal(
        fusion_store_open(f->path, FUSION_STORE_CREATE | FUSION_STORE_READONLY,
                          &store, NULL),
        FUSION_ERR_INVALID);
    assert_null(store);
}

static void
test_open_sets_schema_version(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_stats st;
    sqlite3 *db;
    int version = -1;

    assert_true(fusion_store_schema_version() >= 1);
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.schema_version, fusion_store_schema_version());

    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(store_schema_read_version(db, &version, NULL), FUSION_OK);
    sqlite3_close(db);
    assert_int_equal(version, fusion_store_schema_version());
}

static void
test_open_newer_schema_refused(void **state)
{
    struct fixture *f = *state;
    struct fusion_store *store = NULL;
    struct fusion_error err;

    fusion_store_close(f->store);
    f->store = NULL;
    exec_sql(f->path, "PRAGMA user_version = 999");
    assert_int_equal(fusion_store_open(f->path, 0, &store, &err),
                     FUSION_ERR_UNSUPPORTED);
    assert_null(store);
    assert_non_null(strstr(err.message, "999"));
    assert_int_equal(
        fusion_store_open(f->path, FUSION_STORE_READONLY, &store, NULL),
        FUSION_ERR_UNSUPPORTED);
}

static void
test_open_readonly_old_schema_refused(void **state)
{
    struct fixture *f = *state;
    struct fusion_store *store = NULL;
    char path[96];

    snprintf(path, sizeof(path), "%s-old", f->path);
    exec_sql(path, "CREATE TABLE unrelated (a INTEGER)");
    assert_int_equal(
        fusion_store_open(path, FUSION_STORE_READONLY, &store, NULL),
        FUSION_ERR_UNSUPPORTED);
    assert_null(store);

    /* Opened for writing, the version 0 file is brought up to date. */
    assert_int_equal(fusion_store_open(path, 0, &store, NULL), FUSION_OK);
    fusion_store_close(store);
    remove_store(path);
}

static void
test_open_not_a_database_db_error(void **state)
{
    struct fixture *f = *state;
    struct fusion_store *store = NULL;
    struct fusion_error err;
    char path[96];
    FILE *fp;

    snprintf(path, sizeof(path), "%s-junk", f->path);
    fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not a database file\n", fp);
    fclose(fp);
    assert_int_equal(fusion_store_open(path, 0, &store, &err), FUSION_ERR_DB);
    assert_null(store);
    assert_non_null(strstr(err.message, "not a database"));
    remove_store(path);
}

static void
test_open_reopen_keeps_data(void **state)
{
    struct fixture *f = *state;
    struct rows rows;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{\"id\":\"" ID_A "\"}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    fusion_store_close(f->store);
    f->store = NULL;

    assert_int_equal(fusion_store_open(f->path, 0, &f->store, NULL), FUSION_OK);
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, false, collect, &rows, NULL),
        FUSION_OK);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.json[0], "{\"id\":\"" ID_A "\"}");
}

/* Schema steps */

static const struct store_step test_steps[] = {
    { 1, "CREATE TABLE t (a INTEGER);" },
    { 2, "ALTER TABLE t ADD COLUMN b INTEGER;" },
};

static const struct store_step bad_steps[] = {
    { 1, "CREATE TABLE t (a INTEGER);" },
    { 2, "CREATE TABLE u (x INTEGER); ALTER TABLE nope ADD COLUMN b;" },
};

static sqlite3 *
open_raw(struct fixture *f)
{
    sqlite3 *db;

    fusion_store_close(f->store);
    f->store = NULL;
    remove_store(f->path);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    return db;
}

static void
test_schema_migrate_applies_pending_steps(void **state)
{
    sqlite3 *db = open_raw(*state);
    size_t applied = 99;
    int version;

    assert_int_equal(store_schema_migrate(db, test_steps, 1, &applied, NULL),
                     FUSION_OK);
    assert_int_equal(applied, 1);
    assert_int_equal(
        sqlite3_exec(db, "INSERT INTO t VALUES (7)", NULL, NULL, NULL),
        SQLITE_OK);

    /* Step 1 would fail if run again: only step 2 may run. */
    assert_int_equal(store_schema_migrate(db, test_steps, 2, &applied, NULL),
                     FUSION_OK);
    assert_int_equal(applied, 1);
    assert_int_equal(store_schema_read_version(db, &version, NULL), FUSION_OK);
    assert_int_equal(version, 2);
    assert_int_equal(
        sqlite3_exec(db, "UPDATE t SET b = a WHERE a = 7", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);

    assert_int_equal(store_schema_migrate(db, test_steps, 2, &applied, NULL),
                     FUSION_OK);
    assert_int_equal(applied, 0);
    sqlite3_close(db);
}

static void
test_schema_migrate_failed_step_changes_nothing(void **state)
{
    sqlite3 *db = open_raw(*state);
    struct fusion_error err;
    size_t applied = 99;
    int version;

    assert_int_equal(store_schema_migrate(db, bad_steps, 1, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(store_schema_migrate(db, bad_steps, 2, &applied, &err),
                     FUSION_ERR_DB);
    assert_int_equal(applied, 0);
    assert_non_null(strstr(err.message, "migrate schema to version 2"));
    assert_int_equal(store_schema_read_version(db, &version, NULL), FUSION_OK);
    assert_int_equal(version, 1);
    /* The part of step 2 that ran was undone too. */
    assert_int_not_equal(sqlite3_exec(db, "SELECT * FROM u", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_true(sqlite3_get_autocommit(db));
    sqlite3_close(db);
}

static void
test_schema_migrate_newer_refused(void **state)
{
    sqlite3 *db = open_raw(*state);
    size_t applied = 99;

    assert_int_equal(store_schema_migrate(db, test_steps, 2, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(store_schema_migrate(db, test_steps, 1, &applied, NULL),
                     FUSION_ERR_UNSUPPORTED);
    assert_int_equal(applied, 0);
    sqlite3_close(db);
}

/* Transactions */

static void
test_put_outside_transaction_invalid(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_object o = make_obj(ID_A, V1, "{}");
    enum fusion_store_put_result res;

    assert_int_equal(fusion_store_put(f->store, &o, &res, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_ERR_INVALID);
    fusion_store_rollback(f->store);
}

static void
test_begin_twice_invalid(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL),
                     FUSION_ERR_INVALID);
    fusion_store_rollback(f->store);
}

static void
test_rollback_discards_everything(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { .include_revoked = true };
    struct fusion_store_stats st;
    struct rows rows;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{\"a\":1}");
    put_json(f->store, ID_B, V1, "{\"b\":1}");
    put_json(f->store, ID_C, V1, "{\"c\":1}");
    fusion_store_rollback(f->store);

    assert_int_equal(search_count(f->store, &q, &rows), 0);
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.versions, 0);
    assert_int_equal(st.sources, 0);
}

static void
test_rollback_after_failure_halfway(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_key key = { "ipv4-addr", "boom" };
    struct fusion_store_object o = make_obj(ID_C, V1, "{\"c\":1}");
    struct fusion_store_query q = { .include_revoked = true };
    enum fusion_store_put_result res;
    struct fusion_store_stats st;
    struct fusion_error err;
    struct rows rows;

    /* The object row goes in first; the key then fails. */
    exec_sql(f->path, "CREATE TRIGGER fail BEFORE INSERT ON obs_keys"
                      " WHEN NEW.value = 'boom'"
                      " BEGIN SELECT RAISE(ABORT, 'boom'); END");
    o.keys = &key;
    o.nkeys = 1;
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{\"a\":1}");
    put_json(f->store, ID_B, V1, "{\"b\":1}");
    assert_int_equal(fusion_store_put(f->store, &o, &res, &err), FUSION_ERR_DB);
    assert_int_equal(err.code, FUSION_ERR_DB);
    assert_non_null(strstr(err.message, ID_C));
    assert_non_null(strstr(err.message, "boom"));
    fusion_store_rollback(f->store);

    assert_int_equal(search_count(f->store, &q, &rows), 0);
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.versions, 0);
    assert_int_equal(st.keys, 0);
    assert_int_equal(st.sources, 0);
}

static void
test_close_rolls_back_open_transaction(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_stats st;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{\"a\":1}");
    fusion_store_close(f->store);
    assert_int_equal(fusion_store_open(f->path, 0, &f->store, NULL), FUSION_OK);
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.versions, 0);
}

static void
test_readonly_put_and_begin_invalid(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_object o = make_obj(ID_A, V1, "{}");
    enum fusion_store_put_result res;
    struct fusion_store *ro = NULL;
    struct rows rows;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{\"a\":1}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    assert_int_equal(
        fusion_store_open(f->path, FUSION_STORE_READONLY, &ro, NULL),
        FUSION_OK);
    assert_int_equal(fusion_store_begin(ro, &src_file, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_put(ro, &o, &res, NULL), FUSION_ERR_INVALID);
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(fusion_store_get(ro, ID_A, false, collect, &rows, NULL),
                     FUSION_OK);
    assert_int_equal(rows.n, 1);
    fusion_store_close(ro);
}

/* Put */

static void
test_put_new_object(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_object o = make_obj(ID_A, V1, "{\"a\":1}");
    struct rows rows;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_NEW_OBJECT);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, false, collect, &rows, NULL),
        FUSION_OK);
    assert_int_equal(rows.n, 1);
    assert_true(rows.current[0]);
    assert_false(rows.revoked[0]);
    assert_true(rows.version[0] == V1);
    assert_true(rows.date_added[0] > 0);
}

/* date_added is whole microseconds, a microsecond apart at least. */
static void
test_put_date_added_microseconds(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { .include_revoked = true };
    struct rows rows;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{\"a\":1}");
    put_json(f->store, ID_B, V1, "{\"b\":1}");
    put_json(f->store, ID_C, V1, "{\"c\":1}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_int_equal(search_count(f->store, &q, &rows), 3);
    for (size_t i = 0; i < rows.n; i++) {
        assert_true(rows.date_added[i] % 1000 == 0);
        if (i)
            assert_true(rows.date_added[i] >= rows.date_added[i - 1] + 1000);
    }
}

static void
test_put_invalid_object(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_key key = { "ipv4-addr", NULL };
    struct fusion_store_object o = make_obj(ID_A, V1, "{}");
    enum fusion_store_put_result res;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    o.keys = &key;
    o.nkeys = 1;
    assert_int_equal(fusion_store_put(f->store, &o, &res, NULL),
                     FUSION_ERR_INVALID);
    o = make_obj(ID_A, V1, "{}");
    o.id = NULL;
    assert_int_equal(fusion_store_put(f->store, &o, &res, NULL),
                     FUSION_ERR_INVALID);
    fusion_store_rollback(f->store);
}

static void
test_put_new_version_moves_current(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_object o1 = make_obj(ID_A, V1, "{\"v\":1}");
    struct fusion_store_object o2 = make_obj(ID_A, V2, "{\"v\":2}");
    struct rows rows;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o1), FUSION_STORE_NEW_OBJECT);
    assert_int_equal(put_ok(f->store, &o2), FUSION_STORE_NEW_VERSION);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, false, collect, &rows, NULL),
        FUSION_OK);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.json[0], "{\"v\":2}");
    assert_true(rows.current[0]);
}

static void
test_put_late_version_is_history(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_object o1 = make_obj(ID_A, V1, "{\"v\":1}");
    struct fusion_store_object o2 = make_obj(ID_A, V2, "{\"v\":2}");
    struct rows rows;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o2), FUSION_STORE_NEW_OBJECT);
    assert_int_equal(put_ok(f->store, &o1), FUSION_STORE_NEW_VERSION);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, true, collect, &rows, NULL),
        FUSION_OK);
    assert_int_equal(rows.n, 2);
    assert_string_equal(rows.json[0], "{\"v\":1}");
    assert_false(rows.current[0]);
    assert_string_equal(rows.json[1], "{\"v\":2}");
    assert_true(rows.current[1]);
}

static void
test_put_conflict_keeps_first(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_object o1 = make_obj(ID_A, V1, "{\"v\":1}");
    struct fusion_store_object o2 = make_obj(ID_A, V1, "{\"v\":\"other\"}");
    struct fusion_store_stats st;
    struct rows rows;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o1), FUSION_STORE_NEW_OBJECT);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_int_equal(fusion_store_begin(f->store, &src_taxii, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o2), FUSION_STORE_CONFLICT);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, true, collect, &rows, NULL),
        FUSION_OK);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.json[0], "{\"v\":1}");
    /* Nothing of the conflicting source was recorded. */
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.sources, 1);
}

static void
test_put_after_revocation_refused(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_object o1 = make_obj(ID_A, V1, "{\"v\":1}");
    struct fusion_store_object o2 = make_obj(ID_A, V2, "{\"v\":2}");
    struct fusion_store_object o3 = make_obj(ID_A, V3, "{\"v\":3}");
    struct rows rows;

    o2.revoked = true;
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o1), FUSION_STORE_NEW_OBJECT);
    assert_int_equal(put_ok(f->store, &o2), FUSION_STORE_NEW_VERSION);
    assert_int_equal(put_ok(f->store, &o3), FUSION_STORE_REVOKED);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, true, collect, &rows, NULL),
        FUSION_OK);
    assert_int_equal(rows.n, 2);
    assert_true(rows.revoked[1]);
    assert_true(rows.current[1]);
}

static void
test_put_older_after_revocation_stored(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_object o1 = make_obj(ID_A, V1, "{\"v\":1}");
    struct fusion_store_object o2 = make_obj(ID_A, V2, "{\"v\":2}");
    struct rows rows;

    o2.revoked = true;
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o2), FUSION_STORE_NEW_OBJECT);
    assert_int_equal(put_ok(f->store, &o1), FUSION_STORE_NEW_VERSION);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, true, collect, &rows, NULL),
        FUSION_OK);
    assert_int_equal(rows.n, 2);
    assert_false(rows.current[0]);
    assert_true(rows.current[1]);
    assert_true(rows.revoked[1]);
}

static void
test_put_date_added_strictly_increasing(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { 0 };
    struct rows rows;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{\"a\":1}");
    put_json(f->store, ID_B, V1, "{\"b\":1}");
    put_json(f->store, ID_C, V1, "{\"c\":1}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    /* A later handle continues above what is stored. */
    fusion_store_close(f->store);
    assert_int_equal(fusion_store_open(f->path, 0, &f->store, NULL), FUSION_OK);
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_D, 0, "{\"d\":1}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    assert_int_equal(search_count(f->store, &q, &rows), 4);
    for (size_t i = 1; i < rows.n; i++)
        assert_true(rows.date_added[i] > rows.date_added[i - 1]);
    assert_string_equal(rows.id[3], ID_D);
}

/* Get */

static void
test_get_notfound(void **state)
{
    struct fixture *f = *state;
    struct fusion_error err;
    struct rows rows;

    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, true, collect, &rows, &err),
        FUSION_ERR_NOTFOUND);
    assert_int_equal(rows.n, 0);
    assert_non_null(strstr(err.message, ID_A));
}

static void
test_get_json_exact(void **state)
{
    static const char json[] = "{\"name\":\"caf\xc3\xa9\",\"n\":1.5e-7,"
                               "\"s\":\"a\\u0000b\"}";
    struct fixture *f = *state;
    struct rows rows;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, json);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, false, collect, &rows, NULL),
        FUSION_OK);
    assert_string_equal(rows.json[0], json);
}

struct nested {
    struct fusion_store *store;
    size_t inner;
};

static int
get_inside(void *ctx, const struct fusion_store_row *row)
{
    struct nested *n = ctx;
    struct rows rows;

    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(n->store, row->id, true, collect, &rows, NULL),
        FUSION_OK);
    n->inner += rows.n;
    return 0;
}

static void
test_get_from_inside_callback(void **state)
{
    struct fixture *f = *state;
    struct nested n = { f->store, 0 };

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{\"v\":1}");
    put_json(f->store, ID_A, V2, "{\"v\":2}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_int_equal(
        fusion_store_get(f->store, ID_A, true, get_inside, &n, NULL),
        FUSION_OK);
    assert_int_equal(n.inner, 4);
}

/* Search */

static void
load_search_set(struct fusion_store *store)
{
    struct fusion_store_key key = { "ipv4-addr", "198.51.100.7" };
    struct fusion_store_object o;

    assert_int_equal(fusion_store_begin(store, &src_file, NULL), FUSION_OK);
    put_json(store, ID_A, V1,
             "{\"name\":\"Evil 100% C2\",\"labels\":[\"malicious-activity\"]}");
    put_json(store, ID_B, V2,
             "{\"name\":\"benign\",\"description\":\"Some EVIL_ness\","
             "\"labels\":[\"benign\",\"x\"]}");
    put_json(store, ID_C, V3, "{\"name\":\"Poison Ivy\"}");
    o = make_obj(ID_D, 0, "{\"value\":\"198.51.100.7\"}");
    o.keys = &key;
    o.nkeys = 1;
    assert_int_equal(put_ok(store, &o), FUSION_STORE_NEW_OBJECT);
    assert_int_equal(fusion_store_commit(store, NULL), FUSION_OK);
}

static void
test_search_all_in_added_order(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { 0 };
    struct rows rows;

    load_search_set(f->store);
    assert_int_equal(search_count(f->store, &q, &rows), 4);
    assert_string_equal(rows.id[0], ID_A);
    assert_string_equal(rows.id[3], ID_D);
}

static void
test_search_by_type(void **state)
{
    static const char *const types[] = { "malware", "ipv4-addr" };
    struct fixture *f = *state;
    struct fusion_store_query q = { .types = types, .ntypes = 2 };
    struct rows rows;

    load_search_set(f->store);
    assert_int_equal(search_count(f->store, &q, &rows), 2);
    assert_string_equal(rows.id[0], ID_C);
    assert_string_equal(rows.id[1], ID_D);
}

static void
test_search_by_ids(void **state)
{
    static const char *const ids[] = { ID_B, "indicator--nope" };
    struct fixture *f = *state;
    struct fusion_store_query q = { .ids = ids, .nids = 2 };
    struct rows rows;

    load_search_set(f->store);
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_B);
}

static void
test_search_by_key(void **state)
{
    static const struct fusion_store_key keys[] = {
        { "domain-name", "198.51.100.7" },
        { "ipv4-addr", "198.51.100.7" },
    };
    struct fixture *f = *state;
    struct fusion_store_query q = { .keys = keys, .nkeys = 1 };
    struct rows rows;

    load_search_set(f->store);
    assert_int_equal(search_count(f->store, &q, &rows), 0);
    q.nkeys = 2;
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_D);
}

static void
test_search_key_shared_by_versions(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_key key = { "ipv4-addr", "203.0.113.9" };
    struct fusion_store_object o = make_obj(ID_A, V2, "{\"v\":2}");
    struct fusion_store_query q = { .keys = &key, .nkeys = 1 };
    struct fusion_store_stats st;
    struct rows rows;

    o.keys = &key;
    o.nkeys = 1;
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_NEW_OBJECT);
    o = make_obj(ID_A, V3, "{\"v\":3}");
    o.keys = &key;
    o.nkeys = 1;
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_NEW_VERSION);
    o = make_obj(ID_A, V1, "{\"v\":1}");
    o.keys = &key;
    o.nkeys = 1;
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_NEW_VERSION);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.keys, 1);
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_int_equal(rows.version[0], V3);
    q.all_versions = true;
    assert_int_equal(search_count(f->store, &q, &rows), 3);
}

/* A rolled-back key type must not leave its code behind. */
static void
test_search_key_type_after_rollback(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_key first = { "x-gone:value", "v" };
    struct fusion_store_key keys[] = { { "x-other:value", "w" },
                                       { "x-gone:value", "v" } };
    struct fusion_store_object o = make_obj(ID_A, V1, "{}");
    struct fusion_store_query q = { .keys = &keys[1], .nkeys = 1 };
    struct rows rows;

    o.keys = &first;
    o.nkeys = 1;
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_NEW_OBJECT);
    fusion_store_rollback(f->store);

    o = make_obj(ID_B, V1, "{}");
    o.keys = keys;
    o.nkeys = 2;
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_NEW_OBJECT);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_B);
    q.keys = keys;
    assert_int_equal(search_count(f->store, &q, &rows), 1);
}

static void
test_search_text_any_case(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { .text = "eViL" };
    struct rows rows;

    load_search_set(f->store);
    /* A's name and B's description. */
    assert_int_equal(search_count(f->store, &q, &rows), 2);
    assert_string_equal(rows.id[0], ID_A);
    assert_string_equal(rows.id[1], ID_B);
}

static void
test_search_text_wildcards_literal(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { .text = "100%" };
    struct rows rows;

    load_search_set(f->store);
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_A);
    q.text = "evil_";
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_B);
    q.text = "%";
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    q.text = "ben_gn";
    assert_int_equal(search_count(f->store, &q, &rows), 0);
}

static void
test_search_label(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { .label = "benign" };
    struct rows rows;

    load_search_set(f->store);
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_B);
}

static void
test_search_modified_range(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { .modified_from = V2 };
    struct rows rows;

    load_search_set(f->store);
    assert_int_equal(search_count(f->store, &q, &rows), 2);
    q.modified_to = V2;
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_B);
}

static void
test_search_added_after_pages(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { .limit = 3 };
    struct rows rows;

    load_search_set(f->store);
    assert_int_equal(search_count(f->store, &q, &rows), 3);
    q.added_after = rows.date_added[2];
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_D);
    q.added_after = rows.date_added[0];
    assert_int_equal(search_count(f->store, &q, &rows), 0);
}

static void
test_search_combines_with_and(void **state)
{
    static const char *const types[] = { "indicator" };
    struct fixture *f = *state;
    struct fusion_store_query q = {
        .types = types, .ntypes = 1, .text = "evil", .label = "x"
    };
    struct rows rows;

    load_search_set(f->store);
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_B);
}

static void
test_search_revoked_left_out(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_object o = make_obj(ID_A, V2, "{\"revoked\":true}");
    struct fusion_store_query q = { 0 };
    struct rows rows;

    load_search_set(f->store);
    o.revoked = true;
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_NEW_VERSION);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    assert_int_equal(search_count(f->store, &q, &rows), 3);
    q.all_versions = true;
    assert_int_equal(search_count(f->store, &q, &rows), 3);
    q.include_revoked = true;
    assert_int_equal(search_count(f->store, &q, &rows), 5);
    q.all_versions = false;
    assert_int_equal(search_count(f->store, &q, &rows), 4);
    assert_true(rows.revoked[3]);
}

static void
test_search_all_versions(void **state)
{
    static const char *const ids[] = { ID_A };
    struct fixture *f = *state;
    struct fusion_store_query q = { .ids = ids, .nids = 1 };
    struct rows rows;

    load_search_set(f->store);
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V3, "{\"v\":3}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.json[0], "{\"v\":3}");
    q.all_versions = true;
    assert_int_equal(search_count(f->store, &q, &rows), 2);
    assert_false(rows.current[0]);
    assert_true(rows.current[1]);
}

static void
test_search_callback_stops(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { 0 };
    struct rows rows;
    size_t count = 0;

    load_search_set(f->store);
    memset(&rows, 0, sizeof(rows));
    rows.stop_at = 2;
    assert_int_equal(
        fusion_store_search(f->store, &q, collect, &rows, &count, NULL),
        FUSION_ERR_LIMIT);
    assert_int_equal(count, 2);
}

static void
test_search_values_never_pasted(void **state)
{
    static const char *const types[] = { "x') OR 1=1 --", "indicator" };
    struct fixture *f = *state;
    struct fusion_store_query q = { .types = types, .ntypes = 1 };
    struct rows rows;

    load_search_set(f->store);
    assert_int_equal(search_count(f->store, &q, &rows), 0);
    q.ntypes = 2;
    assert_int_equal(search_count(f->store, &q, &rows), 2);
    q.ntypes = 0;
    q.text = "' OR '1'='1";
    assert_int_equal(search_count(f->store, &q, &rows), 0);
}

static void
test_search_too_many_values_limit(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { 0 };
    static const char *ids[40000];
    struct rows rows;

    for (size_t i = 0; i < 40000; i++)
        ids[i] = ID_A;
    q.ids = ids;
    q.nids = 40000;
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_search(f->store, &q, collect, &rows, NULL, NULL),
        FUSION_ERR_LIMIT);
    q.nids = 20000;
    assert_int_equal(search_count(f->store, &q, &rows), 0);
}

/* Provenance */

struct provs {
    size_t n;
    char kind[4][32];
    char name[4][64];
    int64_t seen_at[4];
};

static int
collect_prov(void *ctx, const struct fusion_store_provenance *p)
{
    struct provs *ps = ctx;

    assert_true(ps->n < 4);
    snprintf(ps->kind[ps->n], sizeof(ps->kind[0]), "%s", p->kind);
    snprintf(ps->name[ps->n], sizeof(ps->name[0]), "%s", p->name);
    ps->seen_at[ps->n] = p->seen_at;
    ps->n++;
    return 0;
}

static void
test_put_duplicate_records_provenance(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_object o = make_obj(ID_A, V1, "{\"v\":1}");
    struct fusion_store_stats st;
    struct provs ps;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_NEW_OBJECT);
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_DUPLICATE);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_int_equal(fusion_store_begin(f->store, &src_taxii, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_DUPLICATE);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    memset(&ps, 0, sizeof(ps));
    assert_int_equal(
        fusion_store_provenance(f->store, ID_A, V1, collect_prov, &ps, NULL),
        FUSION_OK);
    assert_int_equal(ps.n, 2);
    assert_string_equal(ps.kind[0], "file");
    assert_string_equal(ps.name[0], "/tmp/a.json");
    assert_string_equal(ps.kind[1], "taxii");
    assert_string_equal(ps.name[1], "feed-1");
    assert_true(ps.seen_at[0] <= ps.seen_at[1]);
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.versions, 1);
    assert_int_equal(st.sources, 2);
}

static void
test_provenance_notfound(void **state)
{
    struct fixture *f = *state;
    struct provs ps;

    load_search_set(f->store);
    memset(&ps, 0, sizeof(ps));
    assert_int_equal(
        fusion_store_provenance(f->store, ID_A, V3, collect_prov, &ps, NULL),
        FUSION_ERR_NOTFOUND);
    assert_int_equal(
        fusion_store_provenance(f->store, ID_A, V1, collect_prov, &ps, NULL),
        FUSION_OK);
    assert_int_equal(ps.n, 1);
}

static void
test_provenance_without_source(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_stats st;
    struct provs ps;

    assert_int_equal(fusion_store_begin(f->store, NULL, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    memset(&ps, 0, sizeof(ps));
    assert_int_equal(
        fusion_store_provenance(f->store, ID_A, V1, collect_prov, &ps, NULL),
        FUSION_OK);
    assert_int_equal(ps.n, 0);
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.versions, 1);
    assert_int_equal(st.sources, 0);
}

/*
 * Two ids with one id_hash: made by hand, as real collisions are too
 * rare to find. Every read and the put logic must still tell them apart.
 */
static void
test_id_hash_collision_keeps_ids_apart(void **state)
{
    static const char *const ids[] = { ID_A };
    struct fixture *f = *state;
    struct fusion_store_key key = { "ipv4-addr", "198.51.100.7" };
    struct fusion_store_query q = { .ids = ids, .nids = 1 };
    struct fusion_store_object o = make_obj(ID_A, V1, "{\"a\":1}");
    struct provs ps;
    struct rows rows;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_B, V1, "{\"b\":1}");
    put_json(f->store, ID_B, V2, "{\"b\":2}");
    o.keys = &key;
    o.nkeys = 1;
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_NEW_OBJECT);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    exec_sql(f->path, "UPDATE objects SET id_hash = (SELECT id_hash FROM"
                      " objects WHERE id = '" ID_A "') WHERE id = '" ID_B "'");

    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, true, collect, &rows, NULL),
        FUSION_OK);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.json[0], "{\"a\":1}");
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_A);
    q.nids = 0;
    q.keys = &key;
    q.nkeys = 1;
    q.all_versions = true;
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    assert_string_equal(rows.id[0], ID_A);
    memset(&ps, 0, sizeof(ps));
    assert_int_equal(
        fusion_store_provenance(f->store, ID_A, V1, collect_prov, &ps, NULL),
        FUSION_OK);
    assert_int_equal(ps.n, 1);
    assert_int_equal(
        fusion_store_provenance(f->store, ID_A, V2, collect_prov, &ps, NULL),
        FUSION_ERR_NOTFOUND);

    /* ID_B's current V2 must not make V2 of ID_A a duplicate. */
    o = make_obj(ID_A, V2, "{\"a\":2}");
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_NEW_VERSION);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, false, collect, &rows, NULL),
        FUSION_OK);
    assert_int_equal(rows.n, 1);
    assert_string_equal(rows.json[0], "{\"a\":2}");
}

/* Stats */

struct type_counts {
    size_t n;
    char type[4][32];
    uint64_t count[4];
};

static int
collect_type(void *ctx, const char *type, uint64_t count)
{
    struct type_counts *tc = ctx;

    assert_true(tc->n < 4);
    snprintf(tc->type[tc->n], sizeof(tc->type[0]), "%s", type);
    tc->count[tc->n] = count;
    tc->n++;
    return 0;
}

static void
test_stats_counts(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_object o = make_obj(ID_C, V3, "{\"revoked\":true}");
    struct fusion_store_stats st;
    struct type_counts tc;

    load_search_set(f->store);
    o.revoked = true;
    o.version = V3 + 1;
    assert_int_equal(fusion_store_begin(f->store, &src_taxii, NULL), FUSION_OK);
    put_json(f->store, ID_A, V3, "{\"v\":3}");
    assert_int_equal(put_ok(f->store, &o), FUSION_STORE_NEW_VERSION);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    memset(&tc, 0, sizeof(tc));
    assert_int_equal(fusion_store_stats(f->store, &st, collect_type, &tc, NULL),
                     FUSION_OK);
    assert_int_equal(st.objects, 4);
    assert_int_equal(st.versions, 6);
    assert_int_equal(st.revoked, 1);
    assert_int_equal(st.sources, 2);
    assert_int_equal(st.keys, 1);
    assert_true(st.bytes > 100);
    assert_int_equal(tc.n, 3);
    assert_string_equal(tc.type[0], "indicator");
    assert_int_equal(tc.count[0], 2);
    assert_string_equal(tc.type[1], "ipv4-addr");
    assert_int_equal(tc.count[1], 1);
    assert_string_equal(tc.type[2], "malware");
    assert_int_equal(tc.count[2], 1);
}

/* Totals */

static void
assert_totals(struct fusion_store *store, uint64_t objects, uint64_t versions)
{
    uint64_t o = 99, v = 99;

    assert_int_equal(fusion_store_totals(store, &o, &v, NULL), FUSION_OK);
    assert_int_equal(o, objects);
    assert_int_equal(v, versions);
}

/* The totals agree with what stats counts, row by row. */
static void
assert_totals_match_stats(struct fusion_store *store)
{
    struct fusion_store_stats st;

    assert_int_equal(fusion_store_stats(store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_totals(store, st.objects, st.versions);
}

static void
test_totals_follow_puts(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_object revoked = make_obj(ID_C, V2, "{\"r\":1}");
    struct fusion_store_object after = make_obj(ID_C, V3, "{\"r\":2}");
    struct fusion_store_object conflict = make_obj(ID_A, V1, "{\"x\":9}");
    struct fusion_store_object dup = make_obj(ID_A, V1, "{\"a\":1}");

    assert_totals(f->store, 0, 0);
    revoked.revoked = true;
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{\"a\":1}");
    put_json(f->store, ID_A, V3, "{\"a\":3}");
    put_json(f->store, ID_A, V2, "{\"a\":2}"); /* late: history */
    put_json(f->store, ID_B, V1, "{\"b\":1}");
    put_json(f->store, ID_C, V1, "{\"c\":1}");
    assert_int_equal(put_ok(f->store, &revoked), FUSION_STORE_NEW_VERSION);
    assert_int_equal(put_ok(f->store, &after), FUSION_STORE_REVOKED);
    assert_int_equal(put_ok(f->store, &dup), FUSION_STORE_DUPLICATE);
    assert_int_equal(put_ok(f->store, &conflict), FUSION_STORE_CONFLICT);
    put_json(f->store, ID_D, 0, "{\"d\":1}");
    /* What the open transaction put counts from its commit on. */
    assert_totals(f->store, 0, 0);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_totals(f->store, 4, 7);
    assert_totals_match_stats(f->store);

    /* Another handle sees the same committed counts. */
    fusion_store_close(f->store);
    assert_int_equal(
        fusion_store_open(f->path, FUSION_STORE_READONLY, &f->store, NULL),
        FUSION_OK);
    assert_totals(f->store, 4, 7);
}

static void
test_totals_rollback_counts_nothing(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{\"a\":1}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V2, "{\"a\":2}");
    put_json(f->store, ID_B, V1, "{\"b\":1}");
    fusion_store_rollback(f->store);
    assert_totals(f->store, 1, 1);

    /* The counts of a rolled back transaction do not reach the next. */
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_C, V1, "{\"c\":1}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_totals(f->store, 2, 2);
    assert_totals_match_stats(f->store);
}

/*
 * SQLite ends a transaction by itself after some failures; a commit
 * then must not count what went with it.
 */
static void
test_totals_commit_after_lost_transaction(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{\"a\":1}");
    assert_int_equal(sqlite3_exec(f->store->db, "ROLLBACK", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_ERR_DB);
    assert_totals(f->store, 0, 0);
    assert_totals_match_stats(f->store);
}

static void
test_totals_missing_row_db_error(void **state)
{
    struct fixture *f = *state;
    struct fusion_error err;
    uint64_t o, v;

    exec_sql(f->path, "DELETE FROM totals");
    assert_int_equal(fusion_store_totals(f->store, &o, &v, &err),
                     FUSION_ERR_DB);
    assert_non_null(strstr(err.message, "totals"));
}

/* Schema version 4 */

static void
test_schema_migrate_v3_to_v4_keeps_data(void **state)
{
    struct fixture *f = *state;
    struct fusion_store *ro = NULL;
    struct fusion_store_stats st;
    struct rows rows;
    int version = 0;
    sqlite3 *db;

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V2, "{\"a\":2}");
    put_json(f->store, ID_A, V1, "{\"a\":1}");
    put_json(f->store, ID_B, V1, "{\"b\":1}");
    put_json(f->store, ID_D, 0, "{\"d\":1}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    fusion_store_close(f->store);
    f->store = NULL;
    /* What a version 3 store holds: steps 1 to 3. */
    exec_sql(f->path, "DROP TABLE taxii_status; DROP TABLE totals;"
                      " PRAGMA user_version = 3;");
    assert_int_equal(
        fusion_store_open(f->path, FUSION_STORE_READONLY, &ro, NULL),
        FUSION_ERR_UNSUPPORTED);

    assert_int_equal(fusion_store_open(f->path, 0, &f->store, NULL), FUSION_OK);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(store_schema_read_version(db, &version, NULL), FUSION_OK);
    sqlite3_close(db);
    assert_int_equal(version, 4);
    /* The totals start from what the store held. */
    assert_totals(f->store, 3, 4);
    assert_totals_match_stats(f->store);
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, true, collect, &rows, NULL),
        FUSION_OK);
    assert_int_equal(rows.n, 2);
    assert_string_equal(rows.json[1], "{\"a\":2}");
    assert_true(rows.current[1]);

    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_C, V1, "{\"c\":1}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_totals(f->store, 4, 5);
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.schema_version, 4);
}

static void
test_schema_steps_keep_version_3(void **state)
{
    const struct store_step *steps;
    size_t n;

    (void)state;
    steps = store_schema_steps(&n);
    assert_true(n >= 4);
    assert_int_equal(steps[2].version, 3);
    assert_null(strstr(steps[2].sql, "taxii_status"));
    assert_non_null(strstr(steps[3].sql, "taxii_status"));
    assert_non_null(strstr(steps[3].sql, "totals"));
}

/* Cache size */

static int64_t
pragma_int(struct fusion_store *store, const char *sql)
{
    sqlite3_stmt *stmt;
    int64_t value;

    assert_int_equal(sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
}

static void
test_cache_size_set_per_handle(void **state)
{
    struct fixture *f = *state;
    struct fusion_store *other = NULL;
    struct rows rows;

    /* The default suits bulk imports: 256 MiB, and no memory map. */
    assert_int_equal(pragma_int(f->store, "PRAGMA cache_size"), -262144);
    assert_int_equal(pragma_int(f->store, "PRAGMA mmap_size"), 0);

    fusion_store_set_cache_size(f->store, 8u << 20);
    assert_int_equal(pragma_int(f->store, "PRAGMA cache_size"), -8192);
    fusion_store_set_cache_size(f->store, 100000);
    assert_int_equal(pragma_int(f->store, "PRAGMA cache_size"), -97);
    fusion_store_set_cache_size(f->store, 0);
    assert_int_equal(pragma_int(f->store, "PRAGMA cache_size"), -64);
    fusion_store_set_cache_size(f->store, SIZE_MAX);
    assert_int_equal(pragma_int(f->store, "PRAGMA cache_size"), -INT32_MAX);

    /* Per handle: another one keeps the default. */
    assert_int_equal(fusion_store_open(f->path, 0, &other, NULL), FUSION_OK);
    assert_int_equal(pragma_int(other, "PRAGMA cache_size"), -262144);
    fusion_store_close(other);

    /* A small cache still serves every read. */
    fusion_store_set_cache_size(f->store, 0);
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    put_json(f->store, ID_A, V1, "{\"a\":1}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_A, false, collect, &rows, NULL),
        FUSION_OK);
    assert_int_equal(rows.n, 1);
}

/* Read transactions */

static void
test_read_begin_nesting(void **state)
{
    struct fixture *f = *state;
    struct fusion_error err;

    assert_int_equal(fusion_store_read_begin(f->store, NULL), FUSION_OK);
    assert_int_equal(fusion_store_read_begin(f->store, &err),
                     FUSION_ERR_INVALID);
    assert_string_equal(err.message,
                        "begin read: a transaction is already open");
    assert_int_equal(fusion_store_begin(f->store, &src_file, &err),
                     FUSION_ERR_INVALID);
    assert_string_equal(err.message,
                        "begin transaction: a read transaction is open");
    fusion_store_read_end(f->store);
    assert_true(sqlite3_get_autocommit(f->store->db));

    /* Ending none does nothing. */
    fusion_store_read_end(f->store);
    fusion_store_read_end(NULL);

    /* Nor does a read transaction go inside a write transaction. */
    assert_int_equal(fusion_store_begin(f->store, &src_file, NULL), FUSION_OK);
    assert_int_equal(fusion_store_read_begin(f->store, NULL),
                     FUSION_ERR_INVALID);
    fusion_store_read_end(f->store);
    put_json(f->store, ID_A, V1, "{\"a\":1}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);

    /* Each may follow the other. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fusion_store_read_begin(f->store, NULL), FUSION_OK);
        fusion_store_read_end(f->store);
        assert_int_equal(fusion_store_begin(f->store, NULL, NULL), FUSION_OK);
        fusion_store_rollback(f->store);
    }
    assert_true(sqlite3_get_autocommit(f->store->db));
}

static void
test_read_refuses_writes(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_collection c = { .id = COLL, .title = "c" };
    static const char status[] = "{\"status\":\"pending\"}";
    struct fusion_error err;

    assert_int_equal(fusion_store_read_begin(f->store, NULL), FUSION_OK);
    assert_int_equal(fusion_store_collection_create(f->store, &c, &err),
                     FUSION_ERR_INVALID);
    assert_string_equal(err.message,
                        "create collection: a read transaction is open");
    assert_int_equal(fusion_store_status_put(f->store, STATUS, 1, status,
                                             strlen(status), NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_status_purge(f->store, 1, NULL, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_collection_remove(f->store, COLL, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_store_collection_delete(f->store, COLL, ID_A, NULL, NULL, NULL),
        FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_user_add(f->store, "alice", "pw", NULL, NULL),
                     FUSION_ERR_INVALID);
    fusion_store_read_end(f->store);

    /* Nothing was written, and writes work again. */
    assert_int_equal(fusion_store_collection_remove(f->store, COLL, NULL),
                     FUSION_ERR_NOTFOUND);
    assert_int_equal(fusion_store_collection_create(f->store, &c, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_store_status_put(f->store, STATUS, 1, status,
                                             strlen(status), NULL),
                     FUSION_OK);
}

static uint64_t
objects_now(struct fusion_store *store)
{
    uint64_t objects = 0, versions = 0;

    assert_int_equal(fusion_store_totals(store, &objects, &versions, NULL),
                     FUSION_OK);
    return objects;
}

static void
put_one(struct fusion_store *store, const char *id)
{
    assert_int_equal(fusion_store_begin(store, &src_file, NULL), FUSION_OK);
    put_json(store, id, V1, "{\"a\":1}");
    assert_int_equal(fusion_store_commit(store, NULL), FUSION_OK);
}

static void
test_read_sees_snapshot(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { 0 };
    struct fusion_store *writer = NULL;
    struct rows rows;

    put_one(f->store, ID_A);
    assert_int_equal(fusion_store_open(f->path, 0, &writer, NULL), FUSION_OK);

    assert_int_equal(fusion_store_read_begin(f->store, NULL), FUSION_OK);
    assert_int_equal(objects_now(f->store), 1);
    /* The writer is not held up, and its commit does not show. */
    put_one(writer, ID_B);
    assert_int_equal(objects_now(writer), 2);
    assert_int_equal(objects_now(f->store), 1);
    memset(&rows, 0, sizeof(rows));
    assert_int_equal(
        fusion_store_get(f->store, ID_B, false, collect, &rows, NULL),
        FUSION_ERR_NOTFOUND);
    assert_int_equal(search_count(f->store, &q, &rows), 1);
    fusion_store_read_end(f->store);

    assert_int_equal(objects_now(f->store), 2);
    assert_int_equal(search_count(f->store, &q, &rows), 2);
    /* Outside one, every call sees the last commit. */
    put_one(writer, ID_C);
    assert_int_equal(objects_now(f->store), 3);
    fusion_store_close(writer);
}

/* Whether every frame of the WAL could be copied into the database. */
static bool
wal_checkpointed(struct fusion_store *store)
{
    int log = -1, done = -1;

    assert_int_equal(sqlite3_wal_checkpoint_v2(store->db, NULL,
                                               SQLITE_CHECKPOINT_PASSIVE, &log,
                                               &done),
                     SQLITE_OK);
    return log == done;
}

static void
test_read_end_and_close_let_go(void **state)
{
    struct fixture *f = *state;
    struct fusion_store *reader = NULL;

    put_one(f->store, ID_A);
    assert_int_equal(fusion_store_open(f->path, 0, &reader, NULL), FUSION_OK);

    /* A snapshot holds back the checkpoint of later commits. */
    assert_int_equal(fusion_store_read_begin(reader, NULL), FUSION_OK);
    assert_int_equal(objects_now(reader), 1);
    put_one(f->store, ID_B);
    assert_false(wal_checkpointed(f->store));
    fusion_store_read_end(reader);
    assert_true(wal_checkpointed(f->store));

    /* Closing ends an open one. */
    assert_int_equal(fusion_store_read_begin(reader, NULL), FUSION_OK);
    assert_int_equal(objects_now(reader), 2);
    put_one(f->store, ID_C);
    assert_false(wal_checkpointed(f->store));
    fusion_store_close(reader);
    assert_true(wal_checkpointed(f->store));
}

/* The reads of a request give the same answers inside and outside one. */
static void
test_read_calls_inside_and_outside(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_query q = { 0 };
    struct fusion_store_stats st;
    struct rows rows;
    uint64_t objects, versions;

    put_one(f->store, ID_A);
    put_one(f->store, ID_B);
    for (int i = 0; i < 6; i++) {
        bool inside = i % 2 == 1;

        if (inside)
            assert_int_equal(fusion_store_read_begin(f->store, NULL),
                             FUSION_OK);
        memset(&rows, 0, sizeof(rows));
        assert_int_equal(
            fusion_store_get(f->store, ID_A, true, collect, &rows, NULL),
            FUSION_OK);
        assert_int_equal(rows.n, 1);
        assert_int_equal(search_count(f->store, &q, &rows), 2);
        assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                         FUSION_OK);
        assert_int_equal(st.objects, 2);
        assert_int_equal(
            fusion_store_totals(f->store, &objects, &versions, NULL),
            FUSION_OK);
        assert_int_equal(versions, 2);
        assert_int_equal(
            fusion_store_get(f->store, ID_C, false, collect, &rows, NULL),
            FUSION_ERR_NOTFOUND);
        assert_true(sqlite3_get_autocommit(f->store->db) == !inside);
        if (inside)
            fusion_store_read_end(f->store);
        assert_true(sqlite3_get_autocommit(f->store->db));
    }
}

/* Out of memory */

static enum fusion_err
session(const char *path)
{
    static const char *const types[] = { "indicator" };
    struct fusion_store_query q = { .types = types, .ntypes = 1, .text = "a" };
    struct fusion_store_object o = make_obj(ID_A, V1, "{\"name\":\"a\"}");
    struct fusion_store_key key = { "ipv4-addr", "192.0.2.1" };
    enum fusion_store_put_result res;
    struct fusion_store *store = NULL;
    struct rows rows;
    enum fusion_err rc;

    rc = fusion_store_open(path, FUSION_STORE_CREATE, &store, NULL);
    if (rc)
        return rc;
    o.keys = &key;
    o.nkeys = 1;
    rc = fusion_store_begin(store, &src_file, NULL);
    if (!rc)
        rc = fusion_store_put(store, &o, &res, NULL);
    if (!rc)
        rc = fusion_store_commit(store, NULL);
    fusion_store_rollback(store);
    memset(&rows, 0, sizeof(rows));
    if (!rc)
        rc = fusion_store_search(store, &q, collect, &rows, NULL, NULL);
    fusion_store_close(store);
    return rc;
}

static void
test_store_alloc_failure_sweep(void **state)
{
    struct fixture *f = *state;
    enum fusion_err rc;

    fusion_store_close(f->store);
    f->store = NULL;
    for (long n = 0; n < 100; n++) {
        remove_store(f->path);
        fusion_alloc_fail_after(n);
        rc = session(f->path);
        if (!fusion_alloc_has_failed()) {
            fusion_alloc_fail_after(-1);
            assert_int_equal(rc, FUSION_OK);
            return;
        }
        fusion_alloc_fail_after(-1);
        assert_int_equal(rc, FUSION_ERR_NOMEM);
    }
    fail_msg("the sweep did not reach a run without failures");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_open_missing_notfound),
        T(test_open_create_readonly_invalid),
        T(test_open_sets_schema_version),
        T(test_open_newer_schema_refused),
        T(test_open_readonly_old_schema_refused),
        T(test_open_not_a_database_db_error),
        T(test_open_reopen_keeps_data),
        T(test_schema_migrate_applies_pending_steps),
        T(test_schema_migrate_failed_step_changes_nothing),
        T(test_schema_migrate_newer_refused),
        T(test_put_outside_transaction_invalid),
        T(test_begin_twice_invalid),
        T(test_rollback_discards_everything),
        T(test_rollback_after_failure_halfway),
        T(test_close_rolls_back_open_transaction),
        T(test_readonly_put_and_begin_invalid),
        T(test_put_new_object),
        T(test_put_date_added_microseconds),
        T(test_put_invalid_object),
        T(test_put_new_version_moves_current),
        T(test_put_late_version_is_history),
        T(test_put_duplicate_records_provenance),
        T(test_put_conflict_keeps_first),
        T(test_put_after_revocation_refused),
        T(test_put_older_after_revocation_stored),
        T(test_put_date_added_strictly_increasing),
        T(test_get_notfound),
        T(test_get_json_exact),
        T(test_get_from_inside_callback),
        T(test_search_all_in_added_order),
        T(test_search_by_type),
        T(test_search_by_ids),
        T(test_search_by_key),
        T(test_search_key_shared_by_versions),
        T(test_search_key_type_after_rollback),
        T(test_search_text_any_case),
        T(test_search_text_wildcards_literal),
        T(test_search_label),
        T(test_search_modified_range),
        T(test_search_added_after_pages),
        T(test_search_combines_with_and),
        T(test_search_revoked_left_out),
        T(test_search_all_versions),
        T(test_search_callback_stops),
        T(test_search_values_never_pasted),
        T(test_search_too_many_values_limit),
        T(test_provenance_notfound),
        T(test_provenance_without_source),
        T(test_id_hash_collision_keeps_ids_apart),
        T(test_stats_counts),
        T(test_totals_follow_puts),
        T(test_totals_rollback_counts_nothing),
        T(test_totals_commit_after_lost_transaction),
        T(test_totals_missing_row_db_error),
        T(test_schema_migrate_v3_to_v4_keeps_data),
        T(test_schema_steps_keep_version_3),
        T(test_cache_size_set_per_handle),
        T(test_read_begin_nesting),
        T(test_read_refuses_writes),
        T(test_read_sees_snapshot),
        T(test_read_end_and_close_let_go),
        T(test_read_calls_inside_and_outside),
        T(test_store_alloc_failure_sweep),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
