/* SPDX-License-Identifier: Apache-2.0 */
/* The SQLite schema of the store and the steps that migrate it. */
#include <assert.h>
#include <stdio.h>

#include "store/store_int.h"

/*
 * Version 1. Times are nanoseconds since the epoch. date_added is unique
 * and grows with every version stored, so it is the row key of objects:
 * listings page by it without another index. The source that first
 * brought a version is kept in its row; provenance holds the sources
 * that brought it again later, so a plain import writes one row and
 * three index entries per version, plus one per observable key.
 *
 * Ids are found through objects_id on id_hash, a 64-bit hash of the id
 * (FNV-1a, as a signed integer), which is far smaller than the id text.
 * Two ids may share a hash, so every lookup compares id as well, and the
 * index is not unique: the put logic, which looks the id up first, keeps
 * (id, version) unique. By type, lookups go through objects_type, which
 * ends in date_added; by modified time through objects_version.
 *
 * Observable keys hang off the object id, not a version: object_added
 * is the date_added of the first version stored of the id. Versions are
 * never removed, so a key names its id exactly, hash or no hash. Key
 * types are small integers from key_types.
 */
static const char schema_v1[] =
    "CREATE TABLE sources ("
    " source_id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " UNIQUE (kind, name));"
    "CREATE TABLE objects ("
    " date_added INTEGER PRIMARY KEY,"
    " id_hash INTEGER NOT NULL,"
    " id TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " spec_version TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " revoked INTEGER NOT NULL,"
    " is_current INTEGER NOT NULL,"
    " source_id INTEGER,"
    " json_len INTEGER NOT NULL,"
    " json TEXT NOT NULL);"
    "CREATE INDEX objects_id ON objects (id_hash, version);"
    "CREATE INDEX objects_type ON objects (type);"
    "CREATE INDEX objects_version ON objects (version);"
    "CREATE TABLE provenance ("
    " object_added INTEGER NOT NULL,"
    " source_id INTEGER NOT NULL,"
    " seen_at INTEGER NOT NULL,"
    " PRIMARY KEY (object_added, source_id)) WITHOUT ROWID;"
    "CREATE TABLE key_types ("
    " key_type_id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE obs_keys ("
    " value TEXT NOT NULL,"
    " key_type INTEGER NOT NULL,"
    " object_added INTEGER NOT NULL,"
    " PRIMARY KEY (value, key_type, object_added)) WITHOUT ROWID;";

/*
 * Version 2: TAXII collections. A collection's row id, not its UUID, is
 * what memberships hold, so a membership row is three integers.
 * media_types is the list joined by newlines (a media type holds none).
 * max_spec_version is the largest spec_version the collection has
 * received: a version of that spec_version is of its object's latest,
 * which spares most rows of a default query the look at its siblings.
 *
 * collection_objects is keyed by (collection_id, date_added): a page of
 * a collection in date_added order is one range scan of the table
 * itself. date_added comes from the same counter as objects.date_added,
 * so it is unique and grows in the whole store; the first collection a
 * new version goes into shares the version's value. The unique index
 * keeps a version in a collection once and finds its memberships, for
 * the per-object version rules of a collection query.
 */
static const char schema_v2[] =
    "CREATE TABLE collections ("
    " collection_id INTEGER PRIMARY KEY,"
    " uuid TEXT NOT NULL UNIQUE,"
    " title TEXT NOT NULL,"
    " description TEXT,"
    " alias TEXT UNIQUE,"
    " media_types TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " max_spec_version TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE collection_objects ("
    " collection_id INTEGER NOT NULL,"
    " date_added INTEGER NOT NULL,"
    " object_added INTEGER NOT NULL,"
    " PRIMARY KEY (collection_id, date_added)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX collection_objects_version"
    " ON collection_objects (object_added, collection_id);";

/*
 * Version 3: accounts for the TAXII server. Passwords and token secrets
 * are kept only as encoded scrypt hashes (fusion_secret_hash), which
 * name their own parameters. A token's id is public (it is part of the
 * token text) and is the key that finds its hash. The group table is
 * not called groups: that is a keyword in SQLite 3.28 and later.
 *
 * A grant names a collection by row id and a principal by kind (0 a
 * user, 1 a group) and row id; access holds the enum
 * fusion_store_access bits. Removing a user or a collection removes
 * its grants in the same transaction.
 */
static const char schema_v3[] =
    "CREATE TABLE users ("
    " user_id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " password_hash TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " disabled INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE tokens ("
    " token_id TEXT PRIMARY KEY,"
    " user_id INTEGER NOT NULL,"
    " secret_hash TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " expires INTEGER,"
    " revoked INTEGER NOT NULL DEFAULT 0,"
    " label TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX tokens_user ON tokens (user_id);"
    "CREATE TABLE user_groups ("
    " group_id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE group_members ("
    " group_id INTEGER NOT NULL,"
    " user_id INTEGER NOT NULL,"
    " PRIMARY KEY (group_id, user_id)) WITHOUT ROWID;"
    "CREATE INDEX group_members_user ON group_members (user_id);"
    "CREATE TABLE grants ("
    " collection_id INTEGER NOT NULL,"
    " principal_kind INTEGER NOT NULL,"
    " principal_id INTEGER NOT NULL,"
    " access INTEGER NOT NULL,"
    " PRIMARY KEY (collection_id, principal_kind, principal_id))"
    " WITHOUT ROWID;"
    "CREATE INDEX grants_principal ON grants (principal_kind, principal_id);";

/*
 * Version 4: what a long-running TAXII server needs. taxii_status keeps
 * the status resources of adds (TAXII 2.1 section 4.3) by their UUID
 * until they are purged by age.
 *
 * totals has one row. objects and versions count the ids and versions
 * stored, kept by every commit that stores versions, so a metrics read
 * does not count a million rows; the step counts what is there already
 * (one pass over objects). last_added is a floor for date_added:
 * deleting memberships may remove the largest value handed out, and a
 * later one must still be larger, or a reader whose cursor is the
 * deleted value would skip it.
 */
static const char schema_v4[] =
    "CREATE TABLE taxii_status ("
    " status_id TEXT PRIMARY KEY,"
    " created INTEGER NOT NULL,"
    " json TEXT NOT NULL);"
    "CREATE INDEX taxii_status_created ON taxii_status (created);"
    "CREATE TABLE totals ("
    " one INTEGER PRIMARY KEY CHECK (one = 1),"
    " objects INTEGER NOT NULL,"
    " versions INTEGER NOT NULL,"
    " last_added INTEGER NOT NULL);"
    "INSERT INTO totals (one, objects, versions, last_added) SELECT 1,"
    " (SELECT count(*) FROM objects WHERE is_current = 1),"
    " (SELECT count(*) FROM objects), 0;";

static const struct store_step schema_steps[] = {
    { 1, schema_v1 },
    { 2, schema_v2 },
    { 3, schema_v3 },
    { 4, schema_v4 },
};

const struct store_step *
store_schema_steps(size_t *n_out)
{
    assert(n_out);
    *n_out = sizeof(schema_steps) / sizeof(schema_steps[0]);
    return schema_steps;
}

int
fusion_store_schema_version(void)
{
    size_t n;
    const struct store_step *steps = store_schema_steps(&n);

    assert(n > 0);
    return steps[n - 1].version;
}

static enum fusion_err
db_fail(sqlite3 *db, struct fusion_error *err, const char *what)
{
    enum fusion_err code;

    assert(db && what);
    code =
        sqlite3_errcode(db) == SQLITE_NOMEM ? FUSION_ERR_NOMEM : FUSION_ERR_DB;
    return fusion_error_set(err, code, "%s: %s", what, sqlite3_errmsg(db));
}

enum fusion_err
store_schema_read_version(sqlite3 *db, int *out, struct fusion_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    assert(db && out);
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL))
        return db_fail(db, err, "read schema version");
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(stmt);
        return db_fail(db, err, "read schema version");
    }
    *out = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return FUSION_OK;
}

static enum fusion_err
set_version(sqlite3 *db, int version, struct fusion_error *err)
{
    char sql[64];

    assert(version > 0);
    /* PRAGMA takes no bound parameters; the value is our own integer. */
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL))
        return db_fail(db, err, "record schema version");
    return FUSION_OK;
}

static enum fusion_err
run_steps(sqlite3 *db, const struct store_step *steps, size_t nsteps, int from,
          size_t *applied, struct fusion_error *err)
{
    char what[64];

    assert(steps && applied);
    for (size_t i = 0; i < nsteps; i++) {
        assert(steps[i].version == (int)i + 1);
        if (steps[i].version <= from)
            continue;
        if (sqlite3_exec(db, steps[i].sql, NULL, NULL, NULL)) {
            snprintf(what, sizeof(what), "migrate schema to version %d",
                     steps[i].version);
            return db_fail(db, err, what);
        }
        (*applied)++;
    }
    return FUSION_OK;
}

enum fusion_err
store_schema_migrate(sqlite3 *db, const struct store_step *steps, size_t nsteps,
                     size_t *applied_out, struct fusion_error *err)
{
    enum fusion_err rc;
    size_t applied = 0;
    int target, version;

    assert(db && steps && nsteps > 0);
    target = steps[nsteps - 1].version;

    if (applied_out)
        *applied_out = 0;
    /*
     * Most opens find the store current; they need no write lock, so a
     * long import by another process does not hold them up.
     */
    rc = store_schema_read_version(db, &version, err);
    if (rc || version == target)
        return rc;
    /*
     * IMMEDIATE takes the write lock before the version is read, so two
     * processes opening a new store cannot both run the same step.
     */
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
        return db_fail(db, err, "begin schema migration");
    rc = store_schema_read_version(db, &version, err);
    if (rc)
        goto out;
    if (version > target) {
        rc = fusion_error_set(err, FUSION_ERR_UNSUPPORTED,
                              "store schema version %d is newer than %d",
                              version, target);
        goto out;
    }
    if (version == target)
        goto out;
    rc = run_steps(db, steps, nsteps, version, &applied, err);
    if (!rc)
        rc = set_version(db, target, err);
    if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL))
        rc = db_fail(db, err, "commit schema migration");
out:
    if (rc || applied == 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    if (rc)
        applied = 0;
    if (applied_out)
        *applied_out = applied;
    return rc;
}
