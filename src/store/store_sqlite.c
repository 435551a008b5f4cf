/* SPDX-License-Identifier: Apache-2.0 */
/* The embedded store backend on SQLite: open, transactions, put, reads. */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"

/* 5 s of waiting for another writer before SQLITE_BUSY. */
#define STORE_BUSY_TIMEOUT_MS 5000

#define ROW_COLUMNS \
    "id, type, spec_version, version, date_added, revoked, is_current, json"

/* Bounds of fusion_store_set_cache_size, in KiB. */
#define CACHE_MIN_KIB 64
#define CACHE_MAX_KIB INT32_MAX

/*
 * The largest date_added stored: memberships take values of their own,
 * so it is the largest of both tables, each collection's last is one
 * seek, and totals keeps the floor left by deleted memberships.
 */
#define MAX_ADDED_SQL                                                    \
    "SELECT max(coalesce((SELECT max(date_added) FROM objects), 0),"     \
    " coalesce((SELECT max((SELECT m.date_added"                         \
    " FROM collection_objects m WHERE m.collection_id = c.collection_id" \
    " ORDER BY m.date_added DESC LIMIT 1)) FROM collections c), 0),"     \
    " coalesce((SELECT last_added FROM totals), 0))"

/*
 * The tokens that authenticate at time ?2, by id ?1: not revoked, not
 * expired, of a user who is not disabled. Verification and the cheap
 * check of a cached token both go by it.
 */
#define USABLE_TOKEN_SQL                                          \
    " FROM tokens t JOIN users u ON u.user_id = t.user_id"        \
    " WHERE t.token_id = ?1 AND t.revoked = 0 AND u.disabled = 0" \
    " AND (t.expires IS NULL OR t.expires > ?2)"

/*
 * The access bits user ?2 holds on the collection with id or alias ?1:
 * its own grant (principal kind 0) and those of its groups (kind 1),
 * none when the user is disabled or unknown. The user's groups lead, so
 * each grant is one seek on its full key however many a collection
 * has. SQLite has no bitwise OR aggregate; with two bits, the largest
 * of each does. No row comes for an unknown collection.
 */
#define ACCESS_SQL                                                      \
    "SELECT CASE WHEN u.disabled = 0 THEN"                              \
    " coalesce((SELECT g.access FROM grants g"                          \
    " WHERE g.collection_id = c.collection_id AND g.principal_kind = 0" \
    " AND g.principal_id = u.user_id), 0)"                              \
    " | coalesce((SELECT max(g.access & 1) | max(g.access & 2)"         \
    " FROM group_members m CROSS JOIN grants g"                         \
    " ON g.collection_id = c.collection_id AND g.principal_kind = 1"    \
    " AND g.principal_id = m.group_id WHERE m.user_id = u.user_id), 0)" \
    " ELSE 0 END"                                                       \
    " FROM (SELECT collection_id FROM collections WHERE uuid = ?1"      \
    " UNION ALL SELECT collection_id FROM collections WHERE alias = ?1" \
    " LIMIT 1) c LEFT JOIN users u ON u.user_id = ?2"

_Static_assert(FUSION_STORE_READ == 1 && FUSION_STORE_WRITE == 2,
               "ACCESS_SQL combines exactly the bits 1 and 2");

static const char *const stmt_sql[STMT_COUNT] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    /* Deferred: no lock until the first read, and only a read lock. */
    [STMT_BEGIN_READ] = "BEGIN",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_MAX_ADDED] = MAX_ADDED_SQL,
    [STMT_SOURCE_ADD] = "INSERT OR IGNORE INTO sources (kind, name) "
                        "VALUES (?1, ?2)",
    [STMT_SOURCE_FIND] = "SELECT source_id FROM sources "
                         "WHERE kind = ?1 AND name = ?2",
    [STMT_FIND_CURRENT] = "SELECT date_added, version, revoked, is_current"
                          " FROM objects WHERE id_hash = ?2 AND id = ?1",
    [STMT_FIND_VERSION] = "SELECT date_added, source_id, json FROM objects "
                          "WHERE id_hash = ?3 AND id = ?1 AND version = ?2",
    [STMT_INSERT_OBJECT] =
        "INSERT INTO objects (date_added, id_hash, id, type, spec_version,"
        " version, revoked, is_current, source_id, json_len, json) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [STMT_CLEAR_CURRENT] = "UPDATE objects SET is_current = 0 "
                           "WHERE date_added = ?1",
    [STMT_INSERT_PROV] =
        "INSERT OR IGNORE INTO provenance "
        "(object_added, source_id, seen_at) VALUES (?1, ?2, ?3)",
    [STMT_INSERT_KEY] = "INSERT OR IGNORE INTO obs_keys"
                        " (value, key_type, object_added) VALUES (?1, ?2, ?3)",
    [STMT_KEY_TYPE_FIND] = "SELECT key_type_id FROM key_types WHERE name = ?1",
    [STMT_KEY_TYPE_ADD] = "INSERT INTO key_types (name) VALUES (?1)",
    [STMT_GET_CURRENT] = "SELECT " ROW_COLUMNS " FROM objects "
                         "WHERE id_hash = ?2 AND id = ?1 AND is_current = 1",
    [STMT_GET_ALL] = "SELECT " ROW_COLUMNS " FROM objects "
                     "WHERE id_hash = ?2 AND id = ?1 ORDER BY version",
    [STMT_PROV_LIST] =
        "SELECT s.kind, s.name, o.date_added AS seen FROM objects o"
        " JOIN sources s ON s.source_id = o.source_id "
        "WHERE o.id_hash = ?3 AND o.id = ?1 AND o.version = ?2 "
        "UNION ALL "
        "SELECT s.kind, s.name, p.seen_at AS seen FROM objects o"
        " JOIN provenance p ON p.object_added = o.date_added"
        " JOIN sources s ON s.source_id = p.source_id "
        "WHERE o.id_hash = ?3 AND o.id = ?1 AND o.version = ?2 "
        "ORDER BY seen",
    [STMT_STATS_TYPES] = "SELECT type, count(*), sum(is_current),"
                         " sum(is_current AND revoked), sum(json_len) "
                         "FROM objects GROUP BY type ORDER BY type",
    [STMT_STATS_SOURCES] = "SELECT count(*) FROM sources",
    [STMT_STATS_KEYS] = "SELECT count(*) FROM obs_keys",
    [STMT_COLL_FIND] = "SELECT collection_id FROM collections WHERE uuid = ?1"
                       " UNION ALL SELECT collection_id FROM collections"
                       " WHERE alias = ?1 LIMIT 1",
    [STMT_COLL_SPEC] = "UPDATE collections SET max_spec_version = ?2"
                       " WHERE collection_id = ?1 AND max_spec_version < ?2",
    [STMT_MEMBER_ADD] =
        "INSERT OR IGNORE INTO collection_objects"
        " (collection_id, date_added, object_added) VALUES (?1, ?2, ?3)",
    [STMT_TOTALS_ADD] = "UPDATE totals SET objects = objects + ?1,"
                        " versions = versions + ?2",
    [STMT_TOTALS_READ] = "SELECT objects, versions FROM totals",
    [STMT_KEEP_FLOOR] = "UPDATE totals SET last_added = (" MAX_ADDED_SQL ")",
    /* An alias is never a UUID, so at most one row matches. */
    [STMT_COLL_GET] = "SELECT " STORE_COLLECTION_COLUMNS " FROM collections"
                      " WHERE uuid = ?1 OR alias = ?1",
    [STMT_ACCESS] = ACCESS_SQL,
    [STMT_TOKEN_ACTIVE] = "SELECT t.user_id" USABLE_TOKEN_SQL,
    [STMT_TOKEN_VERIFY] = "SELECT t.user_id, t.secret_hash" USABLE_TOKEN_SQL,
    [STMT_USER_STAMP] = "SELECT password_hash FROM users"
                        " WHERE user_id = ?1 AND disabled = 0",
    [STMT_USER_NAME] = "SELECT name FROM users WHERE user_id = ?1",
    [STMT_STATUS_GET] = "SELECT json FROM taxii_status WHERE status_id = ?1",
    [STMT_STATUS_PUT] = "INSERT INTO taxii_status (status_id, created, json)"
                        " VALUES (?1, ?2, ?3) ON CONFLICT (status_id)"
                        " DO UPDATE SET created = excluded.created,"
                        " json = excluded.json",
};

/*
 * Records the SQLite error of db as FUSION_ERR_DB (or NOMEM) with what
 * was being done in front of SQLite's own message. Formatting is off
 * for the head only: clang-format indents a name after an attribute.
 */
/* clang-format off */
FUSION_PRINTF(3, 4) enum fusion_err
store_db_fail(sqlite3 *db, struct fusion_error *err, const char *fmt, ...)
/* clang-format on */
{
    char what[512];
    enum fusion_err code;
    va_list ap;

    assert(db && fmt);
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    code =
        sqlite3_errcode(db) == SQLITE_NOMEM ? FUSION_ERR_NOMEM : FUSION_ERR_DB;
    return fusion_error_set(err, code, "%s: %s", what, sqlite3_errmsg(db));
}

/*
 * The id_hash of an id: 64-bit FNV-1a, mapped onto SQLite's signed
 * integers (values past INT64_MAX wrap to negatives). It runs on every
 * put and read by id, so it is a byte loop and no more; its quality only
 * spreads the index, as every lookup compares the id too.
 */
int64_t
store_id_hash(const char *id)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);

    assert(id);
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        h ^= *p;
        h *= UINT64_C(0x100000001b3);
    }
    return h > INT64_MAX ? -(int64_t)~h - 1 : (int64_t)h;
}

/*
 * Runs a statement that returns no rows and resets it. The caller has
 * bound its parameters.
 */
int
store_step_done(sqlite3_stmt *stmt)
{
    int rc;

    assert(stmt);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    sqlite3_reset(stmt);
    return rc;
}

static enum fusion_err
prepare_all(struct fusion_store *store, struct fusion_error *err)
{
    assert(store->db);
    for (int i = 0; i < STMT_COUNT; i++) {
        if (sqlite3_prepare_v3(store->db, stmt_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &store->stmts[i],
                               NULL))
            return store_db_fail(store->db, err, "prepare statement %d", i);
    }
    return FUSION_OK;
}

static enum fusion_err
apply_pragmas(struct fusion_store *store, struct fusion_error *err)
{
    /*
     * page_size only takes effect on a new, empty store: 16 KiB pages
     * hold whole rows of typical objects with less slack and keep the
     * random-order indexes (ids, keys) shallow, which cut import time and
     * file size in our measurements. WAL lets readers run beside the one
     * writer; NORMAL syncs only at checkpoints, which WAL keeps safe
     * against corruption. The cache holds the hot index pages of a large
     * import.
     */
    static const char rw_pragmas[] = "PRAGMA page_size = 16384;"
                                     "PRAGMA journal_mode = WAL;"
                                     "PRAGMA synchronous = NORMAL;"
                                     "PRAGMA journal_size_limit = 67108864;";
    static const char pragmas[] = "PRAGMA cache_size = -262144;"
                                  "PRAGMA temp_store = MEMORY;";

    int persist = 1;

    if (sqlite3_busy_timeout(store->db, STORE_BUSY_TIMEOUT_MS))
        return store_db_fail(store->db, err, "set busy timeout");
    if (!store->readonly &&
        sqlite3_exec(store->db, rw_pragmas, NULL, NULL, NULL))
        return store_db_fail(store->db, err, "set journal mode");
    /*
     * Keep the -wal and -shm files when the last writer closes: readers
     * without write access to the folder (a shared intel store) cannot
     * create them, but can read through existing ones.
     */
    if (!store->readonly)
        sqlite3_file_control(store->db, "main", SQLITE_FCNTL_PERSIST_WAL,
                             &persist);
    if (sqlite3_exec(store->db, pragmas, NULL, NULL, NULL)) {
        int code = sqlite3_extended_errcode(store->db);

        if (store->readonly && ((code & 0xff) == SQLITE_READONLY ||
                                (code & 0xff) == SQLITE_CANTOPEN))
            return fusion_error_set(
                err, FUSION_ERR_IO,
                "cannot read the store without write access to its folder: "
                "its '-shm' and '-wal' files are missing (open it once for "
                "writing, e.g. with 'fusion init', to create them)");
        return store_db_fail(store->db, err, "read store settings");
    }
    return FUSION_OK;
}

static enum fusion_err
check_schema(struct fusion_store *store, struct fusion_error *err)
{
    const struct store_step *steps;
    size_t nsteps;
    int version, target = fusion_store_schema_version();
    enum fusion_err rc;

    if (!store->readonly) {
        steps = store_schema_steps(&nsteps);
        return store_schema_migrate(store->db, steps, nsteps, NULL, err);
    }
    rc = store_schema_read_version(store->db, &version, err);
    if (rc)
        return rc;
    if (version != target)
        return fusion_error_set(err, FUSION_ERR_UNSUPPORTED,
                                "store schema version %d, this build reads "
                                "%d (open it for writing to migrate)",
                                version, target);
    return FUSION_OK;
}

static enum fusion_err
open_db(struct fusion_store *store, const char *path, unsigned flags,
        struct fusion_error *err)
{
    struct stat st;
    int oflags = SQLITE_OPEN_NOMUTEX;

    /* SQLite would report a missing file as "unable to open" only. */
    if (!(flags & FUSION_STORE_CREATE) && stat(path, &st) != 0) {
        int e = errno;

        if (e == ENOENT)
            return fusion_error_set(err, FUSION_ERR_NOTFOUND,
                                    "open store '%s': no such file", path);
        return fusion_error_set(err, FUSION_ERR_IO, "open store '%s': %s", path,
                                strerror(e));
    }
    if (store->readonly)
        oflags |= SQLITE_OPEN_READONLY;
    else
        oflags |= SQLITE_OPEN_READWRITE;
    if (flags & FUSION_STORE_CREATE) {
        int fd;

        oflags |= SQLITE_OPEN_CREATE;
        /*
         * The store holds password and token hashes: a new one is made
         * readable by its owner only (SQLite gives its -wal and -shm files
         * the same mode). An existing file keeps the mode it has.
         */
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
        else if (errno != EEXIST)
            return fusion_error_set(err, FUSION_ERR_IO, "open store '%s': %s",
                                    path, strerror(errno));
    }
    if (sqlite3_open_v2(path, &store->db, oflags, NULL)) {
        if (!store->db)
            return fusion_error_set(err, FUSION_ERR_NOMEM,
                                    "open store '%s': out of memory", path);
        return store_db_fail(store->db, err, "open store '%s'", path);
    }
    return FUSION_OK;
}

enum fusion_err
fusion_store_open(const char *path, unsigned flags, struct fusion_store **out,
                  struct fusion_error *err)
{
    struct fusion_store *store;
    enum fusion_err rc;

    assert(path && out);
    *out = NULL;
    if ((flags & FUSION_STORE_CREATE) && (flags & FUSION_STORE_READONLY))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "open store '%s': cannot create read-only",
                                path);
    store = fusion_calloc(1, sizeof(*store));
    if (!store)
        return fusion_error_set(err, FUSION_ERR_NOMEM,
                                "open store '%s': out of memory", path);
    store->readonly = (flags & FUSION_STORE_READONLY) != 0;

    rc = open_db(store, path, flags, err);
    if (!rc)
        rc = apply_pragmas(store, err);
    if (!rc)
        rc = check_schema(store, err);
    if (!rc)
        rc = prepare_all(store, err);
    if (rc) {
        fusion_store_close(store);
        return rc;
    }
    *out = store;
    return FUSION_OK;
}

static void
forget_key_types(struct fusion_store *store)
{
    assert(store->nkey_types <= STORE_KEY_TYPES_CACHED);
    for (size_t i = 0; i < store->nkey_types; i++)
        FUSION_FREE(store->key_types[i].name);
    store->nkey_types = 0;
}

/*
 * Ends the open transaction. Unless it committed, key type codes cached
 * since begin may name rows that are gone, so the cache starts over.
 */
static void
end_txn(struct fusion_store *store, bool committed)
{
    assert(store->in_txn);
    for (int i = 0; i < STMT_COUNT; i++) {
        if (store->stmts[i])
            sqlite3_reset(store->stmts[i]);
    }
    if (!sqlite3_get_autocommit(store->db))
        store_step_done(store->stmts[STMT_ROLLBACK]);
    if (!committed)
        forget_key_types(store);
    FUSION_FREE(store->source_kind);
    FUSION_FREE(store->source_name);
    store->source_id = 0;
    store->new_objects = 0;
    store->new_versions = 0;
    store->in_txn = false;
}

void
fusion_store_close(struct fusion_store *store)
{
    if (!store)
        return;
    if (store->in_txn)
        end_txn(store, false);
    fusion_store_read_end(store);
    forget_key_types(store);
    store_taxii_release(store);
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(store->stmts[i]);
    sqlite3_close(store->db);
    fusion_free(store);
}

void
fusion_store_set_cache_size(struct fusion_store *store, size_t bytes)
{
    size_t kib = bytes / 1024;
    char sql[64];

    assert(store);
    if (kib < CACHE_MIN_KIB)
        kib = CACHE_MIN_KIB;
    if (kib > CACHE_MAX_KIB)
        kib = CACHE_MAX_KIB;
    /*
     * A negative size is in KiB, whatever the page size. PRAGMA takes
     * no bound parameters; the value is our own integer. It can only
     * fail for want of memory, and the cache then keeps its size.
     */
    snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%zu", kib);
    (void)sqlite3_exec(store->db, sql, NULL, NULL, NULL);
}

/*
 * date_added values must grow with every put, even across processes, so
 * that listings paged by date_added never skip a row. The write
 * lock is held from begin, so the largest value stored is a safe floor.
 */
static enum fusion_err
seed_date_added(struct fusion_store *store, struct fusion_error *err)
{
    sqlite3_stmt *stmt = store->stmts[STMT_MAX_ADDED];
    int64_t max = 0;

    assert(store->in_txn);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        sqlite3_reset(stmt);
        return store_db_fail(store->db, err, "read last date added");
    }
    max = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    if (max > store->last_added)
        store->last_added = max;
    return FUSION_OK;
}

static enum fusion_err
keep_source(struct fusion_store *store,
            const struct fusion_store_source *source, struct fusion_error *err)
{
    assert(!store->source_kind && !store->source_name);
    if (!source)
        return FUSION_OK;
    if (!source->kind)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "begin transaction: source without kind");
    store->source_kind = fusion_strdup(source->kind);
    store->source_name = fusion_strdup(source->name ? source->name : "");
    if (!store->source_kind || !store->source_name)
        return fusion_error_set(err, FUSION_ERR_NOMEM,
                                "begin transaction: out of memory");
    return FUSION_OK;
}

enum fusion_err
fusion_store_begin(struct fusion_store *store,
                   const struct fusion_store_source *source,
                   struct fusion_error *err)
{
    enum fusion_err rc;

    assert(store);
    rc = store_check_write(store, "begin transaction", err);
    if (rc)
        return rc;
    if (store->in_txn)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "begin transaction: one is already open");
    if (store_step_done(store->stmts[STMT_BEGIN]))
        return store_db_fail(store->db, err, "begin transaction");
    store->in_txn = true;

    rc = keep_source(store, source, err);
    if (!rc)
        rc = seed_date_added(store, err);
    if (rc)
        end_txn(store, false);
    return rc;
}

/*
 * Adds what the transaction stored to the totals, once at commit: an
 * import of a million versions updates the row once, not a million
 * times.
 */
static enum fusion_err
add_totals(struct fusion_store *store, struct fusion_error *err)
{
    sqlite3_stmt *stmt = store->stmts[STMT_TOTALS_ADD];

    assert(store->in_txn);
    assert(store->new_objects <= store->new_versions);
    if (!store->new_versions)
        return FUSION_OK;
    /* Outside its transaction the update would stand on its own. */
    if (sqlite3_get_autocommit(store->db))
        return fusion_error_set(err, FUSION_ERR_DB,
                                "commit: the transaction was rolled back");
    sqlite3_bind_int64(stmt, 1, store->new_objects);
    sqlite3_bind_int64(stmt, 2, store->new_versions);
    if (store_step_done(stmt))
        return store_db_fail(store->db, err, "commit: update totals");
    return FUSION_OK;
}

enum fusion_err
fusion_store_commit(struct fusion_store *store, struct fusion_error *err)
{
    enum fusion_err rc = FUSION_OK;

    assert(store);
    if (!store->in_txn)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "commit: no transaction is open");
    /* A failed commit is rolled back: the input is stored whole or not. */
    rc = add_totals(store, err);
    if (!rc && store_step_done(store->stmts[STMT_COMMIT]))
        rc = store_db_fail(store->db, err, "commit");
    end_txn(store, rc == FUSION_OK);
    return rc;
}

void
fusion_store_rollback(struct fusion_store *store)
{
    if (store && store->in_txn)
        end_txn(store, false);
}

enum fusion_err
fusion_store_read_begin(struct fusion_store *store, struct fusion_error *err)
{
    assert(store);
    if (store->in_txn || store->in_read)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "begin read: a transaction is already open");
    if (store_step_done(store->stmts[STMT_BEGIN_READ]))
        return store_db_fail(store->db, err, "begin read");
    store->in_read = true;
    return FUSION_OK;
}

/*
 * A transaction that wrote nothing commits without touching the file:
 * COMMIT only lets go of the read lock. SQLite may have ended the
 * transaction already after a failed read; then nothing is left to end.
 */
void
fusion_store_read_end(struct fusion_store *store)
{
    if (!store || !store->in_read)
        return;
    if (!sqlite3_get_autocommit(store->db) &&
        store_step_done(store->stmts[STMT_COMMIT]))
        (void)store_step_done(store->stmts[STMT_ROLLBACK]);
    store->in_read = false;
}

enum fusion_err
store_check_write(const struct fusion_store *store, const char *what,
                  struct fusion_error *err)
{
    assert(store && what);
    if (store->readonly)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "%s: store is read-only", what);
    /*
     * A write would turn the read transaction into a write transaction
     * that read_end commits, and could fail on a stale snapshot.
     */
    if (store->in_read)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "%s: a read transaction is open", what);
    return FUSION_OK;
}

enum fusion_err
store_own_begin(struct fusion_store *store, bool *own_out, const char *what,
                struct fusion_error *err)
{
    assert(store && own_out && what);
    assert(!store->in_read);
    *own_out = !store->in_txn;
    if (*own_out && store_step_done(store->stmts[STMT_BEGIN]))
        return store_db_fail(store->db, err, "%s: begin", what);
    return FUSION_OK;
}

enum fusion_err
store_own_end(struct fusion_store *store, bool own, enum fusion_err rc,
              const char *what, struct fusion_error *err)
{
    assert(store && what);
    if (!own)
        return rc;
    if (!rc && store_step_done(store->stmts[STMT_COMMIT]))
        rc = store_db_fail(store->db, err, "%s: commit", what);
    if (rc && !sqlite3_get_autocommit(store->db))
        (void)store_step_done(store->stmts[STMT_ROLLBACK]);
    return rc;
}

enum fusion_err
store_keep_added_floor(struct fusion_store *store, struct fusion_error *err)
{
    assert(!sqlite3_get_autocommit(store->db));
    if (store_step_done(store->stmts[STMT_KEEP_FLOOR]))
        return store_db_fail(store->db, err, "keep last date added");
    return FUSION_OK;
}

/*
 * Finds (or adds) the row of the transaction's source, once per
 * transaction.
 */
static enum fusion_err
source_id(struct fusion_store *store, struct fusion_error *err)
{
    sqlite3_stmt *add = store->stmts[STMT_SOURCE_ADD];
    sqlite3_stmt *find = store->stmts[STMT_SOURCE_FIND];

    assert(store->in_txn);
    if (store->source_id || !store->source_kind)
        return FUSION_OK;
    sqlite3_bind_text(add, 1, store->source_kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(add, 2, store->source_name, -1, SQLITE_STATIC);
    if (store_step_done(add))
        return store_db_fail(store->db, err, "add source '%s:%s'",
                             store->source_kind, store->source_name);
    sqlite3_bind_text(find, 1, store->source_kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(find, 2, store->source_name, -1, SQLITE_STATIC);
    if (sqlite3_step(find) != SQLITE_ROW) {
        sqlite3_reset(find);
        return store_db_fail(store->db, err, "find source '%s:%s'",
                             store->source_kind, store->source_name);
    }
    store->source_id = sqlite3_column_int64(find, 0);
    sqlite3_reset(find);
    return FUSION_OK;
}

/*
 * Records that the transaction's source brought a stored version again.
 * The source that first brought it is in the version's own row.
 */
static enum fusion_err
add_provenance(struct fusion_store *store, int64_t added,
               sqlite3_int64 first_source, int64_t now, const char *id,
               struct fusion_error *err)
{
    sqlite3_stmt *stmt = store->stmts[STMT_INSERT_PROV];
    enum fusion_err rc;

    if (!store->source_kind)
        return FUSION_OK;
    rc = source_id(store, err);
    if (rc || store->source_id == first_source)
        return rc;
    sqlite3_bind_int64(stmt, 1, added);
    sqlite3_bind_int64(stmt, 2, store->source_id);
    sqlite3_bind_int64(stmt, 3, now);
    if (store_step_done(stmt))
        return store_db_fail(store->db, err, "record provenance of '%s'", id);
    return FUSION_OK;
}

/*
 * Finds the code of a key type in the cache, else in key_types, adding
 * the type there when it is new.
 */
static enum fusion_err
key_type_code(struct fusion_store *store, const char *name, sqlite3_int64 *out,
              struct fusion_error *err)
{
    sqlite3_stmt *find = store->stmts[STMT_KEY_TYPE_FIND];
    sqlite3_stmt *add = store->stmts[STMT_KEY_TYPE_ADD];
    struct key_type_code *slot;
    int rc;

    assert(name && store->nkey_types <= STORE_KEY_TYPES_CACHED);
    for (size_t i = 0; i < store->nkey_types; i++) {
        if (strcmp(store->key_types[i].name, name) == 0) {
            *out = store->key_types[i].code;
            return FUSION_OK;
        }
    }

    sqlite3_bind_text(find, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(find);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(find, 0);
    sqlite3_reset(find);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_db_fail(store->db, err, "look up key type '%s'", name);
    if (rc == SQLITE_DONE) {
        sqlite3_bind_text(add, 1, name, -1, SQLITE_STATIC);
        if (store_step_done(add))
            return store_db_fail(store->db, err, "add key type '%s'", name);
        *out = sqlite3_last_insert_rowid(store->db);
    }

    assert(store->nkey_types <= STORE_KEY_TYPES_CACHED);
    if (store->nkey_types == STORE_KEY_TYPES_CACHED)
        return FUSION_OK;
    slot = &store->key_types[store->nkey_types];
    slot->name = fusion_strdup(name);
    if (!slot->name)
        return fusion_error_set(err, FUSION_ERR_NOMEM,
                                "add key type '%s': out of memory", name);
    slot->code = *out;
    store->nkey_types++;
    return FUSION_OK;
}

/*
 * Indexes the keys of a version under the first version stored of its
 * id (object_added), so every version of an id shares the entries.
 */
static enum fusion_err
add_keys(struct fusion_store *store, const struct fusion_store_object *obj,
         int64_t object_added, struct fusion_error *err)
{
    sqlite3_stmt *stmt = store->stmts[STMT_INSERT_KEY];
    sqlite3_int64 code = 0;
    enum fusion_err rc;

    assert(obj->keys || !obj->nkeys);
    for (size_t i = 0; i < obj->nkeys; i++) {
        const struct fusion_store_key *key = &obj->keys[i];

        rc = key_type_code(store, key->type, &code, err);
        if (rc)
            return rc;
        sqlite3_bind_text(stmt, 1, key->value, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, code);
        sqlite3_bind_int64(stmt, 3, object_added);
        if (store_step_done(stmt))
            return store_db_fail(store->db, err, "index key %s '%s' of '%s'",
                                 key->type, key->value, obj->id);
    }
    return FUSION_OK;
}

/*
 * date_added values are whole microseconds: TAXII writes them with six
 * fractional digits and clients hand them back as added_after, so a
 * finer value would be seen again on the next page. Each new one is at
 * least a microsecond past the last, whatever the clock does.
 */
int64_t
store_next_date_added(struct fusion_store *store, int64_t now)
{
    int64_t next;

    assert(store->in_txn);
    now -= now % 1000;
    next = store->last_added - store->last_added % 1000 + 1000;
    if (now < next)
        now = next;
    store->last_added = now;
    return now;
}

/* What is stored under the id of a version being put. */
struct existing {
    int64_t id_hash;
    bool has_current;
    size_t nversions;
    int64_t first_added; /* the first version stored of the id */
    int64_t current_added;
    int64_t current_version;
    bool current_revoked;
    bool has_same; /* this very (id, version) */
    int64_t same_added;
    sqlite3_int64 same_source; /* 0 when none */
    bool same_content;         /* byte for byte */
};

static enum fusion_err
insert_version(struct fusion_store *store,
               const struct fusion_store_object *obj, const struct existing *ex,
               bool current, int64_t now, struct fusion_error *err)
{
    sqlite3_stmt *stmt = store->stmts[STMT_INSERT_OBJECT];
    enum fusion_err rc;
    int64_t added;

    assert(obj->id && obj->type && obj->json && ex);
    rc = source_id(store, err);
    if (rc)
        return rc;
    added = store_next_date_added(store, now);
    sqlite3_bind_int64(stmt, 1, added);
    sqlite3_bind_int64(stmt, 2, ex->id_hash);
    sqlite3_bind_text(stmt, 3, obj->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, obj->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, obj->spec_version ? obj->spec_version : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 6, obj->version);
    sqlite3_bind_int(stmt, 7, obj->revoked);
    sqlite3_bind_int(stmt, 8, current);
    if (store->source_id)
        sqlite3_bind_int64(stmt, 9, store->source_id);
    else
        sqlite3_bind_null(stmt, 9);
    sqlite3_bind_int64(stmt, 10, (sqlite3_int64)obj->json_len);
    sqlite3_bind_text(stmt, 11, obj->json, (int)obj->json_len, SQLITE_STATIC);
    if (store_step_done(stmt))
        return store_db_fail(store->db, err, "insert object '%s'", obj->id);
    /* Counted once the row is in: a commit stores it, whatever follows. */
    store->new_versions++;
    if (!ex->has_current)
        store->new_objects++;
    return add_keys(store, obj, ex->has_current ? ex->first_added : added, err);
}

/*
 * Reads every version of the id: which one is current, and which was
 * stored first. An id has few versions, and none for a new object.
 */
static enum fusion_err
find_current(struct fusion_store *store, const char *id, struct existing *ex,
             struct fusion_error *err)
{
    sqlite3_stmt *stmt = store->stmts[STMT_FIND_CURRENT];
    int64_t added;
    int rc;

    assert(id && ex && !ex->has_current && ex->nversions == 0);
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, ex->id_hash);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        added = sqlite3_column_int64(stmt, 0);
        if (ex->nversions++ == 0 || added < ex->first_added)
            ex->first_added = added;
        if (sqlite3_column_int(stmt, 3) == 0)
            continue;
        ex->has_current = true;
        ex->current_added = added;
        ex->current_version = sqlite3_column_int64(stmt, 1);
        ex->current_revoked = sqlite3_column_int(stmt, 2) != 0;
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return store_db_fail(store->db, err, "look up object '%s'", id);
    return FUSION_OK;
}

static enum fusion_err
find_version(struct fusion_store *store, const struct fusion_store_object *obj,
             struct existing *ex, struct fusion_error *err)
{
    sqlite3_stmt *stmt = store->stmts[STMT_FIND_VERSION];
    const void *json;
    int rc;

    sqlite3_bind_text(stmt, 1, obj->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, obj->version);
    sqlite3_bind_int64(stmt, 3, ex->id_hash);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        ex->has_same = true;
        ex->same_added = sqlite3_column_int64(stmt, 0);
        ex->same_source = sqlite3_column_int64(stmt, 1);
        json = sqlite3_column_blob(stmt, 2);
        ex->same_content =
            (size_t)sqlite3_column_bytes(stmt, 2) == obj->json_len &&
            (obj->json_len == 0 || memcmp(json, obj->json, obj->json_len) == 0);
    } else if (rc != SQLITE_DONE) {
        sqlite3_reset(stmt);
        return store_db_fail(store->db, err, "look up version of '%s'",
                             obj->id);
    }
    sqlite3_reset(stmt);
    return FUSION_OK;
}

static enum fusion_err
check_object(const struct fusion_store_object *obj, struct fusion_error *err)
{
    if (!obj->id || !obj->type || !obj->json)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "put: object without id, type or json");
    if (obj->json_len > INT32_MAX)
        return fusion_error_set(err, FUSION_ERR_LIMIT,
                                "put '%s': json of %zu bytes is too large",
                                obj->id, obj->json_len);
    if (obj->ncollections && !obj->collections)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "put '%s': collections missing", obj->id);
    if (obj->nkeys && !obj->keys)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "put '%s': keys missing", obj->id);
    for (size_t i = 0; i < obj->nkeys; i++) {
        if (!obj->keys[i].type || !obj->keys[i].value)
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "put '%s': key %zu without type or value",
                                    obj->id, i);
    }
    return FUSION_OK;
}

/* Stores a version of an id that has a current version already. */
static enum fusion_err
put_known(struct fusion_store *store, const struct fusion_store_object *obj,
          struct existing *ex, int64_t now,
          enum fusion_store_put_result *result, struct fusion_error *err)
{
    sqlite3_stmt *clear = store->stmts[STMT_CLEAR_CURRENT];
    enum fusion_err rc;

    assert(ex->has_current && result);
    rc = find_version(store, obj, ex, err);
    if (rc)
        return rc;
    if (ex->has_same && !ex->same_content) {
        *result = FUSION_STORE_CONFLICT;
        return FUSION_OK;
    }
    if (ex->has_same) {
        *result = FUSION_STORE_DUPLICATE;
        return add_provenance(store, ex->same_added, ex->same_source, now,
                              obj->id, err);
    }
    if (obj->version < ex->current_version) {
        /* A late arrival: history, even behind a revocation. */
        *result = FUSION_STORE_NEW_VERSION;
        return insert_version(store, obj, ex, false, now, err);
    }
    if (ex->current_revoked) {
        *result = FUSION_STORE_REVOKED;
        return FUSION_OK;
    }
    sqlite3_bind_int64(clear, 1, ex->current_added);
    if (store_step_done(clear))
        return store_db_fail(store->db, err, "retire version of '%s'", obj->id);
    *result = FUSION_STORE_NEW_VERSION;
    return insert_version(store, obj, ex, true, now, err);
}

enum fusion_err
fusion_store_put(struct fusion_store *store,
                 const struct fusion_store_object *obj,
                 enum fusion_store_put_result *result_out,
                 struct fusion_error *err)
{
    int64_t coll_ids[FUSION_STORE_MAX_PUT_COLLECTIONS];
    struct existing ex = { 0 };
    enum fusion_store_put_result result = FUSION_STORE_NEW_OBJECT;
    enum fusion_err rc;
    int64_t now;

    assert(store && obj && result_out);
    if (!store->in_txn)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "put: no transaction is open");
    /* SQLite ends a transaction by itself after some failures. */
    if (sqlite3_get_autocommit(store->db))
        return fusion_error_set(err, FUSION_ERR_DB,
                                "put: the transaction was rolled back");
    rc = check_object(obj, err);
    if (rc)
        return rc;

    /* The ingest hot path, with no collections, stops at the test. */
    if (obj->ncollections) {
        rc = store_taxii_resolve(store, obj, coll_ids, err);
        if (rc)
            return rc;
    }

    now = fusion_time_now_ns();
    ex.id_hash = store_id_hash(obj->id);
    rc = find_current(store, obj->id, &ex, err);
    if (rc)
        return rc;
    if (ex.has_current)
        rc = put_known(store, obj, &ex, now, &result, err);
    else
        rc = insert_version(store, obj, &ex, true, now, err);
    if (rc)
        return rc;

    if (obj->ncollections && (result == FUSION_STORE_NEW_OBJECT ||
                              result == FUSION_STORE_NEW_VERSION ||
                              result == FUSION_STORE_DUPLICATE)) {
        struct store_members m = {
            .collections = coll_ids,
            .n = obj->ncollections,
            /* A version stored just now took the last date_added. */
            .object_added = result == FUSION_STORE_DUPLICATE
                                ? ex.same_added
                                : store->last_added,
            .is_new = result != FUSION_STORE_DUPLICATE,
            .spec_version = obj->spec_version ? obj->spec_version : "",
            .now = now,
        };

        rc = store_taxii_add_members(store, &m, err);
    }
    if (!rc)
        *result_out = result;
    return rc;
}

void
store_read_row(sqlite3_stmt *stmt, int col, struct fusion_store_row *row)
{
    row->id = (const char *)sqlite3_column_text(stmt, col);
    row->type = (const char *)sqlite3_column_text(stmt, col + 1);
    row->spec_version = (const char *)sqlite3_column_text(stmt, col + 2);
    row->version = sqlite3_column_int64(stmt, col + 3);
    row->date_added = sqlite3_column_int64(stmt, col + 4);
    row->revoked = sqlite3_column_int(stmt, col + 5) != 0;
    row->current = sqlite3_column_int(stmt, col + 6) != 0;
    row->json = (const char *)sqlite3_column_text(stmt, col + 7);
    row->json_len = (size_t)sqlite3_column_bytes(stmt, col + 7);
}

/*
 * Hands out a prepared statement. A callback may call back into the
 * store while the cached copy is stepping; it then gets a fresh one.
 */
enum fusion_err
store_stmt_borrow(struct fusion_store *store, enum store_stmt which,
                  sqlite3_stmt **out, struct fusion_error *err)
{
    sqlite3_stmt *stmt;

    assert(which < STMT_COUNT && out);
    stmt = store->stmts[which];
    if (!sqlite3_stmt_busy(stmt)) {
        *out = stmt;
        return FUSION_OK;
    }
    if (sqlite3_prepare_v2(store->db, stmt_sql[which], -1, out, NULL))
        return store_db_fail(store->db, err, "prepare statement %d",
                             (int)which);
    return FUSION_OK;
}

void
store_stmt_return(struct fusion_store *store, enum store_stmt which,
                  sqlite3_stmt *stmt)
{
    assert(which < STMT_COUNT);
    if (stmt == store->stmts[which]) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    } else {
        sqlite3_finalize(stmt);
    }
}

/*
 * Steps stmt and calls fn for each row. A nonzero value from fn stops
 * the listing and is returned as is.
 */
enum fusion_err
store_each_row(struct fusion_store *store, sqlite3_stmt *stmt,
               fusion_store_row_fn fn, void *ctx, size_t *count,
               struct fusion_error *err)
{
    struct fusion_store_row row;
    int rc, stop;

    assert(stmt && fn && count);
    *count = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        store_read_row(stmt, 0, &row);
        if (!row.json)
            return fusion_error_set(err, FUSION_ERR_NOMEM,
                                    "read object: out of memory");
        (*count)++;
        stop = fn(ctx, &row);
        if (stop)
            return (enum fusion_err)stop;
    }
    if (rc != SQLITE_DONE)
        return store_db_fail(store->db, err, "read objects");
    return FUSION_OK;
}

enum fusion_err
fusion_store_get(struct fusion_store *store, const char *id, bool all_versions,
                 fusion_store_row_fn fn, void *ctx, struct fusion_error *err)
{
    enum store_stmt which = all_versions ? STMT_GET_ALL : STMT_GET_CURRENT;
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    size_t count = 0;

    assert(store && id && fn);
    rc = store_stmt_borrow(store, which, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, store_id_hash(id));
    rc = store_each_row(store, stmt, fn, ctx, &count, err);
    if (rc == FUSION_ERR_DB)
        fusion_error_prefix(err, "get '%s'", id);
    store_stmt_return(store, which, stmt);
    if (!rc && count == 0)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND, "get '%s': not found",
                              id);
    return rc;
}

/*
 * Search: the SQL is assembled from the query with a placeholder for
 * every value, and the values are bound afterwards in the same order.
 */
/* Well under SQLite's default limit of 32766 host parameters. */
#define SEARCH_MAX_PARAMS 30000
#define SEARCH_MAX_SQL    (1u << 20)

void
store_sql_add(struct store_search *s, const char *text)
{
    assert(text);
    if (!s->rc)
        s->rc = fusion_buf_puts(&s->sql, text);
}

void
store_sql_param(struct store_search *s, enum store_param_kind kind,
                const char *text, int64_t num)
{
    if (s->rc)
        return;
    assert(s->nparams < s->cap);
    s->params[s->nparams].kind = kind;
    s->params[s->nparams].text = text;
    s->params[s->nparams].num = num;
    s->nparams++;
    store_sql_add(s, "?");
}

void
store_sql_text_list(struct store_search *s, const char *column,
                    const char *const *vals, size_t n)
{
    assert(column && (vals || !n));
    if (!n)
        return;
    store_sql_add(s, " AND ");
    store_sql_add(s, column);
    store_sql_add(s, " IN (");
    for (size_t i = 0; i < n; i++) {
        if (i)
            store_sql_add(s, ", ");
        store_sql_param(s, STORE_PARAM_TEXT, vals[i], 0);
    }
    store_sql_add(s, ")");
}

/*
 * The ids go in as parameters, their hashes as integer literals: the
 * hashes are our own numbers, not input, and each id then takes one of
 * SQLite's host parameters, not two. The hash list lets the lookup use
 * objects_id; the id list decides.
 */
void
store_sql_ids(struct store_search *s, const char *const *ids, size_t n)
{
    char num[24];

    assert(ids || !n);
    if (!n)
        return;
    store_sql_add(s, " AND o.id_hash IN (");
    for (size_t i = 0; i < n; i++) {
        snprintf(num, sizeof(num), "%s%" PRId64, i ? ", " : "",
                 store_id_hash(ids[i]));
        store_sql_add(s, num);
    }
    store_sql_add(s, ")");
    store_sql_text_list(s, "o.id", ids, n);
}

/*
 * A key names the first version of its id; the versions searched are
 * found again by (id_hash, id).
 */
static void
add_keys_filter(struct store_search *s, const struct fusion_store_query *q)
{
    if (!q->nkeys)
        return;
    store_sql_add(s, " AND (o.id_hash, o.id) IN (SELECT r.id_hash, r.id"
                     " FROM obs_keys k JOIN objects r"
                     " ON r.date_added = k.object_added WHERE ");
    for (size_t i = 0; i < q->nkeys; i++) {
        store_sql_add(s, i ? " OR (k.value = " : "(k.value = ");
        store_sql_param(s, STORE_PARAM_TEXT, q->keys[i].value, 0);
        store_sql_add(s, " AND k.key_type = (SELECT key_type_id FROM key_types"
                         " WHERE name = ");
        store_sql_param(s, STORE_PARAM_TEXT, q->keys[i].type, 0);
        store_sql_add(s, "))");
    }
    store_sql_add(s, ")");
}

/* "%text%" with LIKE's own wildcards and the escape character escaped. */
static void
add_text_filter(struct store_search *s, const char *text)
{
    if (!text || !*text || s->rc)
        return;
    s->rc = fusion_buf_putc(&s->pattern, '%');
    for (const char *p = text; *p && !s->rc; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            s->rc = fusion_buf_putc(&s->pattern, '\\');
        if (!s->rc)
            s->rc = fusion_buf_putc(&s->pattern, *p);
    }
    if (!s->rc)
        s->rc = fusion_buf_putc(&s->pattern, '%');
    if (s->rc)
        return;
    /* SQLite's LIKE ignores case for ASCII letters. */
    store_sql_add(s, " AND (json_extract(o.json, '$.name') LIKE ");
    store_sql_param(s, STORE_PARAM_TEXT, s->pattern.data, 0);
    store_sql_add(
        s, " ESCAPE '\\' OR json_extract(o.json, '$.description') LIKE ");
    store_sql_param(s, STORE_PARAM_TEXT, s->pattern.data, 0);
    store_sql_add(s, " ESCAPE '\\')");
}

static void
add_int_filter(struct store_search *s, const char *cond, int64_t value)
{
    if (!value)
        return;
    store_sql_add(s, cond);
    store_sql_param(s, STORE_PARAM_INT, NULL, value);
}

static void
build_search(struct store_search *s, const struct fusion_store_query *q)
{
    store_sql_add(s, "SELECT " ROW_COLUMNS " FROM objects o WHERE 1 = 1");
    if (!q->all_versions)
        store_sql_add(s, " AND o.is_current = 1");
    if (!q->include_revoked && !q->all_versions)
        store_sql_add(s, " AND o.revoked = 0");
    if (!q->include_revoked && q->all_versions)
        store_sql_add(s, " AND NOT EXISTS (SELECT 1 FROM objects r"
                         " WHERE r.id_hash = o.id_hash AND r.id = o.id"
                         " AND r.is_current = 1"
                         " AND r.revoked = 1)");
    store_sql_text_list(s, "o.type", q->types, q->ntypes);
    store_sql_ids(s, q->ids, q->nids);
    add_keys_filter(s, q);
    add_text_filter(s, q->text);
    if (q->label && !s->rc) {
        /* labels, and the *_types lists that STIX 2.0 labels became */
        store_sql_add(
            s, " AND EXISTS (SELECT 1 FROM json_each(o.json) t,"
               " json_each(t.value) l WHERE t.type = 'array' AND"
               " (t.key = 'labels' OR t.key LIKE '%\\_types' ESCAPE '\\')"
               " AND l.value = ");
        store_sql_param(s, STORE_PARAM_TEXT, q->label, 0);
        store_sql_add(s, ")");
    }
    add_int_filter(s, " AND o.version >= ", q->modified_from);
    add_int_filter(s, " AND o.version <= ", q->modified_to);
    add_int_filter(s, " AND o.date_added > ", q->added_after);
    store_sql_add(s, " ORDER BY o.date_added");
    if (q->limit) {
        store_sql_add(s, " LIMIT ");
        store_sql_param(s, STORE_PARAM_INT, NULL,
                        q->limit > INT64_MAX ? INT64_MAX : (int64_t)q->limit);
    }
}

static enum fusion_err
search_init(struct store_search *s, const struct fusion_store_query *q,
            struct fusion_error *err)
{
    memset(s, 0, sizeof(*s));
    fusion_buf_init(&s->sql, SEARCH_MAX_SQL);
    fusion_buf_init(&s->pattern, SEARCH_MAX_SQL);
    if (q->ntypes > SEARCH_MAX_PARAMS || q->nids > SEARCH_MAX_PARAMS ||
        q->nkeys > SEARCH_MAX_PARAMS / 2 ||
        q->ntypes + q->nids + 2 * q->nkeys > SEARCH_MAX_PARAMS)
        return fusion_error_set(err, FUSION_ERR_LIMIT,
                                "search: too many values in the query");
    if ((q->ntypes && !q->types) || (q->nids && !q->ids) ||
        (q->nkeys && !q->keys))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "search: list count without values");
    s->cap = q->ntypes + q->nids + 2 * q->nkeys + 8;
    s->params = fusion_calloc(s->cap, sizeof(*s->params));
    if (!s->params)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "search: out of memory");
    return FUSION_OK;
}

static void
search_release(struct store_search *s)
{
    fusion_buf_release(&s->sql);
    fusion_buf_release(&s->pattern);
    FUSION_FREE(s->params);
}

static enum fusion_err
check_values(const struct fusion_store_query *q, struct fusion_error *err)
{
    for (size_t i = 0; i < q->ntypes; i++) {
        if (!q->types[i])
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "search: type %zu is NULL", i);
    }
    for (size_t i = 0; i < q->nids; i++) {
        if (!q->ids[i])
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "search: id %zu is NULL", i);
    }
    for (size_t i = 0; i < q->nkeys; i++) {
        if (!q->keys[i].type || !q->keys[i].value)
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "search: key %zu without type or value", i);
    }
    return FUSION_OK;
}

void
store_sql_bind(sqlite3_stmt *stmt, const struct store_search *s)
{
    for (size_t i = 0; i < s->nparams; i++) {
        const struct store_param *p = &s->params[i];
        int idx = (int)i + 1;

        if (p->kind == STORE_PARAM_TEXT)
            sqlite3_bind_text(stmt, idx, p->text, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(stmt, idx, p->num);
    }
}

enum fusion_err
fusion_store_search(struct fusion_store *store,
                    const struct fusion_store_query *q, fusion_store_row_fn fn,
                    void *ctx, size_t *count_out, struct fusion_error *err)
{
    struct store_search s;
    sqlite3_stmt *stmt = NULL;
    size_t count = 0;
    enum fusion_err rc;

    assert(store && q && fn);
    rc = search_init(&s, q, err);
    if (!rc)
        rc = check_values(q, err);
    if (rc)
        goto out;
    build_search(&s, q);
    if (s.rc) {
        rc = fusion_error_set(err, s.rc, "search: %s", fusion_strerror(s.rc));
        goto out;
    }
    if (sqlite3_prepare_v2(store->db, s.sql.data, (int)s.sql.len, &stmt,
                           NULL)) {
        rc = store_db_fail(store->db, err, "prepare search");
        goto out;
    }
    store_sql_bind(stmt, &s);
    rc = store_each_row(store, stmt, fn, ctx, &count, err);
    if (rc == FUSION_ERR_DB)
        fusion_error_prefix(err, "search");
out:
    sqlite3_finalize(stmt);
    search_release(&s);
    if (count_out)
        *count_out = count;
    return rc;
}

static enum fusion_err
version_exists(struct fusion_store *store, const char *id, int64_t version,
               bool *out, struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    int step;

    rc = store_stmt_borrow(store, STMT_FIND_VERSION, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, version);
    sqlite3_bind_int64(stmt, 3, store_id_hash(id));
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW || step == SQLITE_DONE)
        *out = step == SQLITE_ROW;
    else
        rc = store_db_fail(store->db, err, "look up version of '%s'", id);
    store_stmt_return(store, STMT_FIND_VERSION, stmt);
    return rc;
}

enum fusion_err
fusion_store_provenance(struct fusion_store *store, const char *id,
                        int64_t version, fusion_store_prov_fn fn, void *ctx,
                        struct fusion_error *err)
{
    struct fusion_store_provenance p;
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    bool exists = true;
    size_t count = 0;
    int step;

    assert(store && id && fn);
    rc = store_stmt_borrow(store, STMT_PROV_LIST, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, version);
    sqlite3_bind_int64(stmt, 3, store_id_hash(id));
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        p.kind = (const char *)sqlite3_column_text(stmt, 0);
        p.name = (const char *)sqlite3_column_text(stmt, 1);
        p.seen_at = sqlite3_column_int64(stmt, 2);
        count++;
        rc = (enum fusion_err)fn(ctx, &p);
        if (rc)
            goto out;
    }
    if (step != SQLITE_DONE) {
        rc = store_db_fail(store->db, err, "read provenance of '%s'", id);
        goto out;
    }
    /* A version stored without a source has no provenance, but exists. */
    if (count == 0)
        rc = version_exists(store, id, version, &exists, err);
    if (!rc && !exists)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND,
                              "provenance of '%s': no such version", id);
out:
    store_stmt_return(store, STMT_PROV_LIST, stmt);
    return rc;
}

static enum fusion_err
count_rows(struct fusion_store *store, enum store_stmt which, uint64_t *out,
           struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    enum fusion_err rc;

    rc = store_stmt_borrow(store, which, &stmt, err);
    if (rc)
        return rc;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(stmt, 0);
    else
        rc = store_db_fail(store->db, err, "count rows");
    store_stmt_return(store, which, stmt);
    return rc;
}

static enum fusion_err
count_types(struct fusion_store *store, struct fusion_store_stats *st,
            fusion_store_type_count_fn fn, void *ctx, struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    uint64_t current;
    int step;

    assert(st);
    rc = store_stmt_borrow(store, STMT_STATS_TYPES, &stmt, err);

    if (rc)
        return rc;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        current = (uint64_t)sqlite3_column_int64(stmt, 2);
        st->versions += (uint64_t)sqlite3_column_int64(stmt, 1);
        st->objects += current;
        st->revoked += (uint64_t)sqlite3_column_int64(stmt, 3);
        st->bytes += (uint64_t)sqlite3_column_int64(stmt, 4);
        if (fn && current) {
            rc = (enum fusion_err)fn(
                ctx, (const char *)sqlite3_column_text(stmt, 0), current);
            if (rc)
                goto out;
        }
    }
    if (step != SQLITE_DONE)
        rc = store_db_fail(store->db, err, "count objects");
out:
    store_stmt_return(store, STMT_STATS_TYPES, stmt);
    return rc;
}

enum fusion_err
fusion_store_stats(struct fusion_store *store, struct fusion_store_stats *out,
                   fusion_store_type_count_fn fn, void *ctx,
                   struct fusion_error *err)
{
    struct fusion_store_stats st = { 0 };
    enum fusion_err rc;

    assert(store && out);
    st.schema_version = fusion_store_schema_version();
    rc = count_rows(store, STMT_STATS_SOURCES, &st.sources, err);
    if (!rc)
        rc = count_rows(store, STMT_STATS_KEYS, &st.keys, err);
    if (!rc)
        rc = count_types(store, &st, fn, ctx, err);
    if (!rc)
        *out = st;
    return rc;
}

enum fusion_err
fusion_store_totals(struct fusion_store *store, uint64_t *objects,
                    uint64_t *versions, struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    int step;

    assert(store && objects && versions);
    rc = store_stmt_borrow(store, STMT_TOTALS_READ, &stmt, err);
    if (rc)
        return rc;
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        *objects = (uint64_t)sqlite3_column_int64(stmt, 0);
        *versions = (uint64_t)sqlite3_column_int64(stmt, 1);
    } else if (step == SQLITE_DONE) {
        rc = fusion_error_set(err, FUSION_ERR_DB,
                              "read totals: the store has no totals row");
    } else {
        rc = store_db_fail(store->db, err, "read totals");
    }
    store_stmt_return(store, STMT_TOTALS_READ, stmt);
    return rc;
}
