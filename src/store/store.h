/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The object store: every version of every STIX object, keyed by
 * (id, version time), with its canonical JSON text, provenance and the
 * observable index. store_sqlite.c is the embedded backend; the interface
 * keeps SQL details out of its callers so another backend can follow.
 *
 * A store handle is used by one thread at a time. Several processes may
 * open the same SQLite store; writers take turns.
 */
#ifndef FUSION_STORE_H
#define FUSION_STORE_H

#include "stix/stix.h"

struct fusion_store;

enum fusion_store_open_flags {
    FUSION_STORE_CREATE = 1 << 0,   /* create the store if it is missing */
    FUSION_STORE_READONLY = 1 << 1, /* open for reading only */
};

/*
 * Opens the store at path. Without FUSION_STORE_CREATE a missing store is
 * FUSION_ERR_NOTFOUND. An older schema is migrated on open (not when
 * read-only: then FUSION_ERR_UNSUPPORTED); a newer one is refused with
 * FUSION_ERR_UNSUPPORTED. On success *out owns the handle.
 */
FUSION_NODISCARD enum fusion_err fusion_store_open(const char *path,
                                                   unsigned flags,
                                                   struct fusion_store **out,
                                                   struct fusion_error *err);

/* Closes the store, rolling back an open transaction; NULL does nothing. */
void fusion_store_close(struct fusion_store *store);

/*
 * Sets the page cache of this handle to bytes, rounded down to whole
 * KiB and at least 64 KiB. A handle opens with 256 MiB, which suits
 * bulk imports; a long-running server holding several handles gives
 * each less. The cache is what a handle's memory grows to and keeps:
 * the store maps no file into memory, and pages past the cache are read
 * again when needed. Out of memory leaves the size as it was.
 */
void fusion_store_set_cache_size(struct fusion_store *store, size_t bytes);

/* The schema version this build writes. */
int fusion_store_schema_version(void);

/*
 * Transactions. Writes happen only between begin and commit; rollback
 * discards everything since begin, so an input is stored whole or not at
 * all. source names what brings the objects (kind such as "file",
 * "stdin", "taxii"; name such as a path) and is recorded as provenance
 * of every version put in this transaction.
 */
struct fusion_store_source {
    const char *kind;
    const char *name;
};

FUSION_NODISCARD enum fusion_err
fusion_store_begin(struct fusion_store *store,
                   const struct fusion_store_source *source,
                   struct fusion_error *err);

FUSION_NODISCARD enum fusion_err fusion_store_commit(struct fusion_store *store,
                                                     struct fusion_error *err);

void fusion_store_rollback(struct fusion_store *store);

/*
 * Read transactions. The reads of one request (checking a token, a
 * collection and access to it, then a page of it) may share one read
 * transaction: they then see one snapshot of the store, the one of the
 * first read after begin, and take the read lock once instead of once
 * per call, which saves most of the cost of a cheap read. Writers in
 * other handles and processes go on meanwhile; what they commit shows
 * from the next read transaction on.
 *
 * Every read call works inside and outside one. No write may happen
 * inside it: fusion_store_begin and every write call return
 * FUSION_ERR_INVALID until fusion_store_read_end. Hold one only for the
 * duration of a request: while it lasts, the WAL cannot be checkpointed
 * past its snapshot.
 *
 * fusion_store_read_begin returns FUSION_ERR_INVALID when a read
 * transaction or a transaction of fusion_store_begin is open on this
 * handle (they do not nest), FUSION_ERR_DB on a database failure.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_read_begin(struct fusion_store *store, struct fusion_error *err);

/*
 * Ends the read transaction of fusion_store_read_begin. It does nothing
 * when none is open, and NULL does nothing; fusion_store_close ends an
 * open one.
 */
void fusion_store_read_end(struct fusion_store *store);

/* An observable key of a version (see fusion_stix_observable_keys). */
struct fusion_store_key {
    const char *type;
    const char *value;
};

/*
 * One version to store. All strings are borrowed for the call. version
 * is the modified timestamp, or created for objects without modified
 * (marking-definition), or 0 for unversioned SCOs; the time as written,
 * and created, are in json, the canonical text.
 * collections lists the ids (or aliases) of the TAXII collections the
 * version goes into (none when ncollections is 0; at most
 * FUSION_STORE_MAX_PUT_COLLECTIONS).
 */
struct fusion_store_object {
    const char *id;
    const char *type;
    const char *spec_version;
    int64_t version;
    bool revoked;
    const char *json;
    size_t json_len;
    const struct fusion_store_key *keys;
    size_t nkeys;
    const char *const *collections;
    size_t ncollections;
};

#define FUSION_STORE_MAX_PUT_COLLECTIONS 64

enum fusion_store_put_result {
    FUSION_STORE_NEW_OBJECT,  /* first version of this id */
    FUSION_STORE_NEW_VERSION, /* another version of a known id */
    FUSION_STORE_DUPLICATE,   /* this (id, version) is stored already */
    FUSION_STORE_CONFLICT,    /* same (id, version), different content: the
                                 first one stays */
    FUSION_STORE_REVOKED,     /* newer than a revocation: refused */
};

/*
 * Stores one version inside a transaction. The result says what
 * happened; a duplicate still records the provenance of this source.
 * The newest version of an id is its current one; once a version with
 * revoked true is stored, later versions are refused.
 *
 * A new version or a duplicate also goes into each collection of
 * obj->collections it is not in yet, with a collection date_added of its
 * own (see fusion_store_collection_objects); a conflict or a refused
 * version goes into none.
 *
 * Returns FUSION_ERR_INVALID outside a transaction or for a malformed
 * obj, FUSION_ERR_NOTFOUND for an unknown collection and
 * FUSION_ERR_LIMIT for too many (both before anything is written), and
 * FUSION_ERR_DB on a database failure (the transaction must then be
 * rolled back).
 */
FUSION_NODISCARD enum fusion_err fusion_store_put(
    struct fusion_store *store, const struct fusion_store_object *obj,
    enum fusion_store_put_result *result_out, struct fusion_error *err);

/*
 * A stored version as handed to readers; all pointers valid for the
 * callback only. date_added is when this store first received it, or
 * in a collection listing when that collection received it.
 */
struct fusion_store_row {
    const char *id;
    const char *type;
    const char *spec_version;
    int64_t version;
    int64_t date_added;
    bool revoked;
    bool current;
    const char *json;
    size_t json_len;
};

/* Return nonzero to stop a listing; that value is passed back. */
typedef int (*fusion_store_row_fn)(void *ctx,
                                   const struct fusion_store_row *row);

/*
 * Calls fn for the versions of id, oldest first (all of them when
 * all_versions, else the current one only). FUSION_ERR_NOTFOUND when no
 * version exists.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_get(struct fusion_store *store, const char *id, bool all_versions,
                 fusion_store_row_fn fn, void *ctx, struct fusion_error *err);

/*
 * A selection of current versions. Every field is optional (NULL, 0 or
 * empty), and fields combine with AND; values inside one list combine
 * with OR.
 */
struct fusion_store_query {
    const char *const *types; /* object types */
    size_t ntypes;
    const char *const *ids; /* exact ids */
    size_t nids;
    const struct fusion_store_key *keys; /* observable keys */
    size_t nkeys;
    const char *text;      /* in name or description, any case */
    const char *label;     /* in labels or a *_types list */
    int64_t modified_from; /* version >= this, when nonzero */
    int64_t modified_to;   /* version <= this, when nonzero */
    int64_t added_after;   /* date_added > this, when nonzero */
    bool include_revoked;  /* revoked objects are left out unless */
    bool all_versions;     /* every version, not only current */
    size_t limit;          /* 0: no limit */
};

/*
 * Calls fn for each version selected by q, ordered by date_added and
 * then insertion order. Sets *count_out (may be NULL) to the number of
 * rows handed to fn.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_search(struct fusion_store *store,
                    const struct fusion_store_query *q, fusion_store_row_fn fn,
                    void *ctx, size_t *count_out, struct fusion_error *err);

/* Provenance of one version: who brought it, and when (first time). */
struct fusion_store_provenance {
    const char *kind;
    const char *name;
    int64_t seen_at;
};

typedef int (*fusion_store_prov_fn)(void *ctx,
                                    const struct fusion_store_provenance *p);

FUSION_NODISCARD enum fusion_err
fusion_store_provenance(struct fusion_store *store, const char *id,
                        int64_t version, fusion_store_prov_fn fn, void *ctx,
                        struct fusion_error *err);

struct fusion_store_stats {
    uint64_t objects;  /* distinct ids */
    uint64_t versions; /* stored versions */
    uint64_t revoked;  /* ids whose current version is revoked */
    uint64_t sources;  /* distinct sources */
    uint64_t keys;     /* observable index entries */
    uint64_t bytes;    /* canonical JSON bytes stored */
    int schema_version;
};

/*
 * Totals, and per-type counts of current objects through fn (type,
 * count) when fn is not NULL.
 */
typedef int (*fusion_store_type_count_fn)(void *ctx, const char *type,
                                          uint64_t count);

FUSION_NODISCARD enum fusion_err
fusion_store_stats(struct fusion_store *store, struct fusion_store_stats *out,
                   fusion_store_type_count_fn fn, void *ctx,
                   struct fusion_error *err);

/*
 * The objects and versions of fusion_store_stats, cheaply: *objects
 * receives the number of distinct ids stored (revoked ones too) and
 * *versions the number of versions, from counters that every commit
 * keeps, so the call reads one row where stats reads every version.
 * They count what committed transactions stored, as this handle sees
 * the store; within a transaction open on this handle, what it has put
 * so far is not counted yet. Collections play no part. FUSION_ERR_DB on
 * a database failure.
 */
FUSION_NODISCARD enum fusion_err fusion_store_totals(struct fusion_store *store,
                                                     uint64_t *objects,
                                                     uint64_t *versions,
                                                     struct fusion_error *err);

/*
 * TAXII collections (TAXII 2.1 section 5.2). A collection holds object
 * versions; a version may be in several collections, and each
 * collection records when it received the version (its date_added).
 * Removing a collection leaves the versions in the store.
 *
 * As handed in, all strings are borrowed for the call; as handed to a
 * callback, valid for the callback only. id is a UUID in its 36
 * character text form, compared as given (lowercase is the norm).
 * title is required; description and alias may be NULL; an alias is
 * unique in the store. media_types lists what the collection can store
 * (none means the TAXII default, application/stix+json). created is
 * set by the store when the collection is created.
 */
struct fusion_store_collection {
    const char *id;
    const char *title;
    const char *description;
    const char *alias;
    const char *const *media_types;
    size_t nmedia_types;
    int64_t created;
};

#define FUSION_STORE_MAX_MEDIA_TYPES 16
#define FUSION_STORE_MAX_MEDIA_TYPE  255

/*
 * Creates collection c (its created field is ignored). Runs in the open
 * transaction if any, else in one of its own. FUSION_ERR_INVALID for a
 * read-only store, an id that is not a UUID, a missing title or an
 * empty or malformed media type or alias; FUSION_ERR_LIMIT past
 * FUSION_STORE_MAX_MEDIA_TYPES media types or a longer one;
 * FUSION_ERR_CONFLICT when the id or the alias is taken;
 * FUSION_ERR_DB otherwise.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_collection_create(struct fusion_store *store,
                               const struct fusion_store_collection *c,
                               struct fusion_error *err);

typedef int (*fusion_store_collection_fn)(
    void *ctx, const struct fusion_store_collection *c);

/*
 * Calls fn for every collection, ordered by id (a stable order, as
 * TAXII asks). A nonzero value from fn stops and is returned.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_collection_list(struct fusion_store *store,
                             fusion_store_collection_fn fn, void *ctx,
                             struct fusion_error *err);

/*
 * Calls fn once for the collection whose id or alias is id_or_alias.
 * FUSION_ERR_NOTFOUND when there is none.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_collection_get(struct fusion_store *store, const char *id_or_alias,
                            fusion_store_collection_fn fn, void *ctx,
                            struct fusion_error *err);

/*
 * Removes the collection id and its memberships; the versions stay in
 * the store. Runs in the open transaction if any, else in one of its
 * own. FUSION_ERR_NOTFOUND when there is none, FUSION_ERR_INVALID for a
 * read-only store.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_collection_remove(struct fusion_store *store, const char *id,
                               struct fusion_error *err);

/* match[version] keywords; combine with | (ALL only alone). */
enum fusion_store_version_flags {
    FUSION_STORE_VERSION_LAST = 1 << 0,
    FUSION_STORE_VERSION_FIRST = 1 << 1,
    FUSION_STORE_VERSION_ALL = 1 << 2,
};

/*
 * A TAXII object query on one collection (TAXII 2.1 section 3.4).
 * Fields are optional (0, NULL or empty); different fields combine with
 * AND, values inside one list with OR.
 *
 * - added_after: only versions the collection received after it.
 * - next: a cursor, the last date_added of the previous page: the page
 *   continues after it. With added_after, the later of both applies.
 * - limit: at most this many rows (0: no limit).
 * - ids, types: match[id], match[type].
 * - versions, version_times: match[version]. first and last are per
 *   object id among its versions in the collection that pass the
 *   spec_version filter; a version is the modified time, else created,
 *   and an SCO's one version is both first and last. A time in
 *   version_times matches that version exactly. With no flag and no
 *   time, LAST applies. ALL with anything else is FUSION_ERR_INVALID.
 * - spec_versions: match[spec_version]. With none, each object shows
 *   only its versions of the latest spec_version it has in the
 *   collection.
 *
 * first and last are decided over the whole collection, not only what
 * lies after added_after or next, so a version's membership in the
 * result does not depend on the page it falls on.
 */
struct fusion_store_taxii_query {
    int64_t added_after;
    int64_t next;
    size_t limit;
    const char *const *ids;
    size_t nids;
    const char *const *types;
    size_t ntypes;
    unsigned versions; /* enum fusion_store_version_flags */
    const int64_t *version_times;
    size_t nversion_times;
    const char *const *spec_versions;
    size_t nspec_versions;
};

/*
 * One page of a collection listing: rows handed to fn, whether more
 * match beyond the limit, and the first and last collection date_added
 * of the page (0 when it is empty), which give the
 * X-TAXII-Date-Added-First and -Last headers; last_added is also the
 * next cursor.
 */
struct fusion_store_page {
    size_t count;
    bool more;
    int64_t first_added;
    int64_t last_added;
};

/*
 * Calls fn for the versions in collection (its id or alias) selected by
 * q, in ascending order of the collection's date_added, which is what
 * each row's date_added holds. Revoked versions are served like any
 * other (row->revoked tells them). Rows carry the canonical JSON text,
 * so the objects and manifest endpoints both read from here.
 *
 * Paging by next (or added_after) is a keyset on date_added, which
 * grows strictly with every version a collection receives and is
 * fixed at commit: a reader paging while writers add versions sees each
 * version that passes the filters exactly once, and the versions added
 * meanwhile after those it has seen. Under the default LAST, a version
 * superseded before the reader reaches it is no longer served; its
 * successor is, later.
 *
 * *page_out is set on success. FUSION_ERR_NOTFOUND for an unknown
 * collection, FUSION_ERR_INVALID for a malformed query, FUSION_ERR_LIMIT
 * for lists too long for one statement; a nonzero value from fn stops
 * and is returned.
 */
FUSION_NODISCARD enum fusion_err fusion_store_collection_objects(
    struct fusion_store *store, const char *collection,
    const struct fusion_store_taxii_query *q, fusion_store_row_fn fn, void *ctx,
    struct fusion_store_page *page_out, struct fusion_error *err);

/*
 * Deletes object object_id from collection (its id or alias), as TAXII
 * 2.1 section 5.7 asks. Of q only versions, version_times and
 * spec_versions apply, with their meaning in
 * fusion_store_collection_objects; with q NULL or those fields empty,
 * the default applies: the object's last version among those of the
 * latest spec_version it has in the collection. First and last are
 * decided before anything goes: deleting the last version removes that
 * one, and the version before it is the collection's last from then on.
 *
 * Only memberships go: the versions stay in the store and in other
 * collections. *removed (may be NULL) receives the number of
 * memberships removed, 0 when nothing matched, which is no error. Runs
 * in the open transaction if any, else in one of its own.
 *
 * FUSION_ERR_NOTFOUND for an unknown collection, FUSION_ERR_INVALID for
 * a read-only store or a malformed query, FUSION_ERR_LIMIT for lists
 * too long for one statement.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_collection_delete(struct fusion_store *store,
                               const char *collection, const char *object_id,
                               const struct fusion_store_taxii_query *q,
                               uint64_t *removed, struct fusion_error *err);

/*
 * Status resources of adds to collections (TAXII 2.1 section 4.3), kept
 * so that GET {api-root}/status/{id}/ can read them later. id is the
 * status's UUID as lowercase text, created its creation time (ns since
 * the epoch), which purges go by, and json the resource's text (len
 * bytes), handed back as it was put. Strings are borrowed for the call.
 *
 * Stores a status, replacing one with the same id (a pending status is
 * updated as its add proceeds). Runs in the open transaction if any,
 * else in one of its own. FUSION_ERR_INVALID for a read-only store, an
 * id that is not a lowercase UUID or an empty json, FUSION_ERR_LIMIT
 * for json of 2 GiB or more.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_status_put(struct fusion_store *store, const char *id,
                        int64_t created, const char *json, size_t len,
                        struct fusion_error *err);

/* The text of a status, NUL-terminated, valid for the callback only. */
typedef int (*fusion_store_status_fn)(void *ctx, const char *json, size_t len);

/*
 * Calls fn once with the text of status id. FUSION_ERR_NOTFOUND when
 * there is none, as for any id never put (a malformed one too); a
 * nonzero value from fn is returned.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_status_get(struct fusion_store *store, const char *id,
                        fusion_store_status_fn fn, void *ctx,
                        struct fusion_error *err);

/*
 * Removes the statuses created before created_before (ns since the
 * epoch); *removed (may be NULL) receives their number. Runs in the
 * open transaction if any, else in one of its own. FUSION_ERR_INVALID
 * for a read-only store.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_status_purge(struct fusion_store *store, int64_t created_before,
                          uint64_t *removed, struct fusion_error *err);

/*
 * Accounts and permissions, for the TAXII server (TAXII 2.1 section 8):
 * users with passwords, API tokens, groups of users and per-collection
 * grants. Passwords and token secrets are kept only as scrypt hashes
 * (see fusion_secret_hash); a token's secret is handed out once, when it
 * is created.
 *
 * Names are borrowed for the call. A user or group name is 1 to
 * FUSION_STORE_MAX_NAME bytes with no control characters, no '@' first
 * (the CLI writes groups as @GROUP) and no ':' (HTTP Basic splits on
 * it). Writes run in the open transaction if any, else in one of their
 * own, and return FUSION_ERR_INVALID on a read-only store. Every
 * function may return FUSION_ERR_DB or FUSION_ERR_NOMEM.
 *
 * params, where taken, sets the scrypt cost of new hashes; NULL means
 * the default (FUSION_SECRET_PASSWORD_LOG2_N for passwords,
 * FUSION_SECRET_TOKEN_LOG2_N for tokens, r = 8, p = 1). Tests pass a
 * lower cost.
 */
#define FUSION_STORE_MAX_NAME     64
#define FUSION_STORE_MAX_PASSWORD 1024
#define FUSION_STORE_MAX_LABEL    256

/* A user as handed to a callback: valid for the callback only. */
struct fusion_store_user {
    int64_t id;
    const char *name;
    int64_t created;
    bool disabled;
};

/*
 * Adds user name with password (a NUL-terminated string of at most
 * FUSION_STORE_MAX_PASSWORD bytes, never kept in clear).
 * FUSION_ERR_INVALID for a malformed name or an empty or overlong
 * password, FUSION_ERR_CONFLICT when the name is taken.
 */
FUSION_NODISCARD enum fusion_err fusion_store_user_add(
    struct fusion_store *store, const char *name, const char *password,
    const struct fusion_secret_params *params, struct fusion_error *err);

typedef int (*fusion_store_user_fn)(void *ctx,
                                    const struct fusion_store_user *user);

/* Calls fn for every user, by name. A nonzero value from fn stops. */
FUSION_NODISCARD enum fusion_err
fusion_store_user_list(struct fusion_store *store, fusion_store_user_fn fn,
                       void *ctx, struct fusion_error *err);

/*
 * Finds user name: *id_out receives its id. FUSION_ERR_NOTFOUND when
 * there is none.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_user_id(struct fusion_store *store, const char *name,
                     int64_t *id_out, struct fusion_error *err);

/*
 * Writes the name of user user_id, disabled or not, and a NUL into out
 * (outlen bytes; FUSION_STORE_MAX_NAME + 1 hold any name), for logs and
 * provenance. FUSION_ERR_NOTFOUND when there is no such user,
 * FUSION_ERR_LIMIT when out is too small.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_user_name(struct fusion_store *store, int64_t user_id, char *out,
                       size_t outlen, struct fusion_error *err);

/*
 * Removes user name with its tokens, group memberships and grants.
 * FUSION_ERR_NOTFOUND when there is none.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_user_remove(struct fusion_store *store, const char *name,
                         struct fusion_error *err);

/*
 * Replaces the password of user name (rules as for add); its tokens
 * stay valid. FUSION_ERR_NOTFOUND when there is no such user.
 */
FUSION_NODISCARD enum fusion_err fusion_store_user_set_password(
    struct fusion_store *store, const char *name, const char *password,
    const struct fusion_secret_params *params, struct fusion_error *err);

/*
 * Disables or enables user name. A disabled user authenticates neither
 * by password nor by token, and holds no access (fusion_store_access).
 * FUSION_ERR_NOTFOUND when there is no such user.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_user_set_disabled(struct fusion_store *store, const char *name,
                               bool disabled, struct fusion_error *err);

/*
 * Checks password for user name. On success *id_out receives the user's
 * id. An unknown user, a wrong password and a disabled user all give
 * FUSION_ERR_INVALID with the same message, and an unknown user costs a
 * hash computation like a known one, so neither the answer nor its time
 * tells whether a name exists.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_user_verify(struct fusion_store *store, const char *name,
                         const char *password, int64_t *id_out,
                         struct fusion_error *err);

#define FUSION_STORE_STAMP_LEN 64

/*
 * Writes into out a stamp of the password of user user_id: the SHA-256,
 * as FUSION_STORE_STAMP_LEN lowercase hex digits and a NUL, of the
 * stored password hash. Every new password is hashed with a new salt,
 * so the stamp changes whenever the password does: a server that keeps
 * a verified password with the stamp of that time need not run scrypt
 * again while the stamp stays the same. It tells no more than the hash
 * it is made from, and is to be kept as privately. FUSION_ERR_INVALID
 * for an unknown or disabled user, with the message of a failed
 * verification.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_user_stamp(struct fusion_store *store, int64_t user_id,
                        char out[FUSION_STORE_STAMP_LEN + 1],
                        struct fusion_error *err);

/*
 * Tokens. A token reads fusion_<id>_<secret>: id is 16 lowercase hex
 * digits naming it, secret 32 random bytes in base64url.
 */
#define FUSION_STORE_TOKEN_ID_LEN 16
#define FUSION_STORE_TOKEN_MAX    80

/*
 * A token to create for user: label may be NULL (at most
 * FUSION_STORE_MAX_LABEL bytes); expires is the time (ns since the
 * epoch) after which it no longer authenticates, 0 for never.
 */
struct fusion_store_token_spec {
    const char *user;
    const char *label;
    int64_t expires;
    const struct fusion_secret_params *params;
};

/*
 * Creates a token: its full text goes into token_out
 * (FUSION_STORE_TOKEN_MAX bytes), its id into id_out
 * (FUSION_STORE_TOKEN_ID_LEN + 1 bytes, may be NULL). The text is not
 * kept and cannot be had again. FUSION_ERR_NOTFOUND for an unknown
 * user, FUSION_ERR_INVALID for a bad label.
 */
FUSION_NODISCARD enum fusion_err fusion_store_token_create(
    struct fusion_store *store, const struct fusion_store_token_spec *spec,
    char *token_out, char *id_out, struct fusion_error *err);

/* A token as handed to a callback: valid for the callback only. */
struct fusion_store_token {
    const char *id;
    const char *user;
    const char *label; /* "" when none */
    int64_t created;
    int64_t expires; /* 0: never */
    bool revoked;
};

typedef int (*fusion_store_token_fn)(void *ctx,
                                     const struct fusion_store_token *token);

/*
 * Calls fn for the tokens of user (NULL: of everyone), by user and
 * creation. A nonzero value from fn stops.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_token_list(struct fusion_store *store, const char *user,
                        fusion_store_token_fn fn, void *ctx,
                        struct fusion_error *err);

/*
 * Revokes token id for good. FUSION_ERR_NOTFOUND when there is no such
 * token.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_token_revoke(struct fusion_store *store, const char *id,
                          struct fusion_error *err);

/*
 * Checks a token's full text: on success *user_id_out receives the id
 * of its user. A malformed, unknown, revoked or expired token, a wrong
 * secret and a disabled user all give FUSION_ERR_INVALID with the same
 * message.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_token_verify(struct fusion_store *store, const char *token,
                          int64_t *user_id_out, struct fusion_error *err);

/*
 * Whether token token_id (the FUSION_STORE_TOKEN_ID_LEN hex digits that
 * name it) still authenticates at now (ns since the epoch): it exists,
 * is not revoked, has not expired and its user is not disabled. Then
 * *user_id_out receives the user's id. It hashes nothing and reads one
 * row, so a server that keeps tokens it has verified with
 * fusion_store_token_verify can ask on every request and sees a
 * revocation at once. Every failed condition gives FUSION_ERR_INVALID
 * with the message of a failed verification.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_token_active(struct fusion_store *store, const char *token_id,
                          int64_t now, int64_t *user_id_out,
                          struct fusion_error *err);

/*
 * Groups. A group exists while it has members or grants; adding a
 * member creates it. FUSION_ERR_NOTFOUND for an unknown user, and on
 * removal for a user who is not a member.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_group_add_member(struct fusion_store *store, const char *group,
                              const char *user, struct fusion_error *err);

FUSION_NODISCARD enum fusion_err
fusion_store_group_remove_member(struct fusion_store *store, const char *group,
                                 const char *user, struct fusion_error *err);

/* What a grant allows on a collection; combine with |. */
enum fusion_store_access {
    FUSION_STORE_READ = 1 << 0,
    FUSION_STORE_WRITE = 1 << 1,
};

/*
 * A grant of access on collection (id or alias) to exactly one of user
 * and group. Granting adds to what is granted already; revoking takes
 * away only the bits given.
 */
struct fusion_store_grant {
    const char *user;
    const char *group;
    const char *collection;
    unsigned access; /* enum fusion_store_access */
};

/*
 * Grants g. FUSION_ERR_NOTFOUND for an unknown user, group or
 * collection (groups come with their first member, so that a mistyped
 * one grants nothing silently), FUSION_ERR_INVALID for a malformed
 * grant.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_grant_add(struct fusion_store *store,
                       const struct fusion_store_grant *g,
                       struct fusion_error *err);

/*
 * Takes away g. FUSION_ERR_NOTFOUND for an unknown user, group or
 * collection, or when nothing of g was granted.
 */
FUSION_NODISCARD enum fusion_err
fusion_store_grant_revoke(struct fusion_store *store,
                          const struct fusion_store_grant *g,
                          struct fusion_error *err);

/*
 * What user user_id may do on collection (its id or alias): *access_out
 * receives the enum fusion_store_access bits granted to the user and to
 * the groups it belongs to, combined (read through a group and write
 * through the user's own grant give both). 0 for a disabled or unknown
 * user, or when nothing is granted. One indexed read answers for both
 * bits and finds the collection too. FUSION_ERR_NOTFOUND for an unknown
 * collection.
 */
FUSION_NODISCARD enum fusion_err fusion_store_access(struct fusion_store *store,
                                                     int64_t user_id,
                                                     const char *collection,
                                                     unsigned *access_out,
                                                     struct fusion_error *err);

/*
 * Whether user user_id may do all of access on collection (id or
 * alias), as fusion_store_access tells. False for a disabled or unknown
 * user, an unknown collection, an access of 0 or with unknown bits, and
 * on any error, so a failure denies.
 */
bool fusion_store_can(struct fusion_store *store, int64_t user_id,
                      const char *collection, unsigned access);

#endif
