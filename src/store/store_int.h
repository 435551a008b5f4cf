/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals shared by the SQLite store files: the schema steps and the
 * migration runner. Only src/store and its unit tests include this.
 */
#ifndef FUSION_STORE_INT_H
#define FUSION_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

/*
 * One schema step: the SQL that takes a store from version - 1 to
 * version. Steps are kept in an array ordered by version, starting at 1
 * with no gaps; the last one is the version this build writes.
 */
struct store_step {
    int version;
    const char *sql;
};

/* The steps of this build; *n_out receives their number. */
const struct store_step *store_schema_steps(size_t *n_out);

/* Reads PRAGMA user_version of db into *out. */
FUSION_NODISCARD enum fusion_err
store_schema_read_version(sqlite3 *db, int *out, struct fusion_error *err);

/*
 * Brings db up to the last of steps in one IMMEDIATE transaction: reads
 * user_version, runs every step above it in order and records the new
 * version. Nothing changes when a step fails (FUSION_ERR_DB). A store
 * newer than the last step is FUSION_ERR_UNSUPPORTED. *applied_out (may
 * be NULL) receives the number of steps run.
 */
FUSION_NODISCARD enum fusion_err
store_schema_migrate(sqlite3 *db, const struct store_step *steps, size_t nsteps,
                     size_t *applied_out, struct fusion_error *err);

/* Handle internals shared by the store files. */
/*
 * Statements prepared once at open. Write paths bind, step and reset
 * them for every put, so a put allocates nothing; the reads a server
 * runs on every request borrow them (store_stmt_borrow), so a request
 * prepares nothing.
 */
enum store_stmt {
    STMT_BEGIN,
    STMT_BEGIN_READ,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_MAX_ADDED,
    STMT_SOURCE_ADD,
    STMT_SOURCE_FIND,
    STMT_FIND_CURRENT,
    STMT_FIND_VERSION,
    STMT_INSERT_OBJECT,
    STMT_CLEAR_CURRENT,
    STMT_INSERT_PROV,
    STMT_INSERT_KEY,
    STMT_KEY_TYPE_FIND,
    STMT_KEY_TYPE_ADD,
    STMT_GET_CURRENT,
    STMT_GET_ALL,
    STMT_PROV_LIST,
    STMT_STATS_TYPES,
    STMT_STATS_SOURCES,
    STMT_STATS_KEYS,
    STMT_COLL_FIND,
    STMT_COLL_SPEC,
    STMT_MEMBER_ADD,
    STMT_TOTALS_ADD,
    STMT_TOTALS_READ,
    STMT_KEEP_FLOOR,
    STMT_COLL_GET,
    STMT_ACCESS,
    STMT_TOKEN_ACTIVE,
    STMT_TOKEN_VERIFY,
    STMT_USER_STAMP,
    STMT_USER_NAME,
    STMT_STATUS_GET,
    STMT_STATUS_PUT,
    STMT_COUNT
};

/* The columns of a collection row, in the order store_taxii.c reads. */
#define STORE_COLLECTION_COLUMNS \
    "uuid, title, description, alias, media_types, created"

/*
 * Key type codes are cached per handle: an import uses a handful of key
 * types, and a code never changes once committed. Types past the cap
 * are looked up in the database every time.
 */
#define STORE_KEY_TYPES_CACHED 32

struct key_type_code {
    char *name;
    sqlite3_int64 code;
};

struct fusion_store {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_COUNT];
    bool readonly;
    bool in_txn;
    bool in_read; /* between fusion_store_read_begin and _end */
    /* The transaction's source; its row is added on the first put. */
    char *source_kind;
    char *source_name;
    sqlite3_int64 source_id;
    /* Last date_added handed out; each put takes a larger one. */
    int64_t last_added;
    /* Ids and versions stored by the open transaction, for totals. */
    int64_t new_objects;
    int64_t new_versions;
    /* Codes added by an open transaction go when it is rolled back. */
    struct key_type_code key_types[STORE_KEY_TYPES_CACHED];
    size_t nkey_types;
    /*
     * The last collection query, kept prepared: a client paging through
     * a collection repeats the same SQL with other values.
     */
    sqlite3_stmt *taxii_stmt;
    char *taxii_sql;
};

/*
 * Records the SQLite error of db as FUSION_ERR_DB (or NOMEM when SQLite
 * ran out of memory), with the formatted context before SQLite's text.
 */
FUSION_PRINTF(3, 4)
enum fusion_err store_db_fail(sqlite3 *db, struct fusion_error *err,
                              const char *fmt, ...);

/* The 64-bit FNV-1a hash of an id kept in objects.id_hash. */
int64_t store_id_hash(const char *id);

/* Steps a statement that returns no rows, resets it; an SQLite code. */
int store_step_done(sqlite3_stmt *stmt);

/*
 * The check every write makes first: FUSION_ERR_INVALID, with what
 * naming the operation, on a read-only store or inside a read
 * transaction.
 */
FUSION_NODISCARD enum fusion_err
store_check_write(const struct fusion_store *store, const char *what,
                  struct fusion_error *err);

/*
 * Writes outside fusion_store_begin run in a transaction of their own:
 * store_own_begin starts one unless a transaction is open, *own_out
 * telling which; the caller has passed store_check_write. store_own_end
 * then commits it when rc is FUSION_OK, else rolls it back, and returns
 * rc or the failure to commit. what names the operation in messages.
 */
FUSION_NODISCARD enum fusion_err store_own_begin(struct fusion_store *store,
                                                 bool *own_out,
                                                 const char *what,
                                                 struct fusion_error *err);
FUSION_NODISCARD enum fusion_err store_own_end(struct fusion_store *store,
                                               bool own, enum fusion_err rc,
                                               const char *what,
                                               struct fusion_error *err);

/*
 * Records the largest date_added stored as the floor of later ones, in
 * the transaction that is about to delete memberships (see the schema,
 * version 4).
 */
FUSION_NODISCARD enum fusion_err
store_keep_added_floor(struct fusion_store *store, struct fusion_error *err);

/*
 * The next date_added of the open transaction: larger than every value
 * handed out or stored before, and at least now.
 */
int64_t store_next_date_added(struct fusion_store *store, int64_t now);

/* Reads the ROW_COLUMNS of stmt, starting at column col, into *row. */
void store_read_row(sqlite3_stmt *stmt, int col, struct fusion_store_row *row);

/*
 * Lends the prepared statement which (or a fresh copy when it is busy,
 * as when a callback reads the store); store_stmt_return gives it back.
 */
FUSION_NODISCARD enum fusion_err store_stmt_borrow(struct fusion_store *store,
                                                   enum store_stmt which,
                                                   sqlite3_stmt **out,
                                                   struct fusion_error *err);
void store_stmt_return(struct fusion_store *store, enum store_stmt which,
                       sqlite3_stmt *stmt);

/*
 * Steps stmt, calling fn for each row; *count receives the number of
 * rows handed over. A nonzero value from fn stops and is returned.
 */
FUSION_NODISCARD enum fusion_err store_each_row(struct fusion_store *store,
                                                sqlite3_stmt *stmt,
                                                fusion_store_row_fn fn,
                                                void *ctx, size_t *count,
                                                struct fusion_error *err);

/*
 * Dynamic SQL for searches: text is appended, and every value goes in as
 * a "?" placeholder recorded in params, bound later in the same order.
 * The first failure sticks in rc and later calls do nothing.
 */
enum store_param_kind {
    STORE_PARAM_TEXT,
    STORE_PARAM_INT,
};

struct store_param {
    enum store_param_kind kind;
    const char *text;
    int64_t num;
};

struct store_search {
    struct fusion_buf sql;
    struct fusion_buf pattern; /* LIKE pattern of the text search */
    struct store_param *params;
    size_t nparams;
    size_t cap;
    enum fusion_err rc;
};

void store_sql_add(struct store_search *s, const char *text);
void store_sql_param(struct store_search *s, enum store_param_kind kind,
                     const char *text, int64_t num);
/* " AND column IN (?, ...)" for n values; nothing when n is 0. */
void store_sql_text_list(struct store_search *s, const char *column,
                         const char *const *vals, size_t n);
/* An id list on the objects alias o, through the id_hash index. */
void store_sql_ids(struct store_search *s, const char *const *ids, size_t n);
void store_sql_bind(sqlite3_stmt *stmt, const struct store_search *s);

/*
 * Finds the row ids of the collections listed in obj, in order, into
 * ids_out (FUSION_STORE_MAX_PUT_COLLECTIONS of them at most):
 * FUSION_ERR_NOTFOUND for an unknown collection, FUSION_ERR_LIMIT past
 * the cap. Nothing is written.
 */
FUSION_NODISCARD enum fusion_err
store_taxii_resolve(struct fusion_store *store,
                    const struct fusion_store_object *obj, int64_t *ids_out,
                    struct fusion_error *err);

/*
 * A version going into collections: the row ids of n collections, the
 * version's objects.date_added, and whether this put stored it (then the
 * first collection shares its date_added; every other membership takes
 * one of its own, at least now).
 */
struct store_members {
    const int64_t *collections;
    size_t n;
    int64_t object_added;
    bool is_new;
    int64_t now;
    const char *spec_version; /* of the version */
};

/* Adds the memberships of m; one a version has already stays as it is. */
FUSION_NODISCARD enum fusion_err
store_taxii_add_members(struct fusion_store *store,
                        const struct store_members *m,
                        struct fusion_error *err);

/* Whether s is a UUID in its text form, in lower case. */
bool store_is_lower_uuid(const char *s);

/* Frees the cached collection query of a handle being closed. */
void store_taxii_release(struct fusion_store *store);

#endif
