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

/* An observable key of a version (see fusion_stix_observable_keys). */
struct fusion_store_key {
    const char *type;
    const char *value;
};

/*
 * One version to store. All strings are borrowed for the call. version
 * is the modified timestamp, or created for objects without modified
 * (marking-definition), or 0 for unversioned SCOs; version_text is the
 * timestamp as written ("" for SCOs). json is the canonical text.
 */
struct fusion_store_object {
    const char *id;
    const char *type;
    const char *spec_version;
    int64_t created;
    int64_t version;
    const char *version_text;
    bool revoked;
    const char *json;
    size_t json_len;
    const struct fusion_store_key *keys;
    size_t nkeys;
};

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
 * revoked true is stored, later versions are refused. Returns
 * FUSION_ERR_INVALID outside a transaction, FUSION_ERR_DB on a database
 * failure (the transaction must then be rolled back).
 */
FUSION_NODISCARD enum fusion_err fusion_store_put(
    struct fusion_store *store, const struct fusion_store_object *obj,
    enum fusion_store_put_result *result_out, struct fusion_error *err);

/* A stored version as handed to readers; all pointers valid for the
 * callback only. date_added is when this store first received it. */
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

#endif
