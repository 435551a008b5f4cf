/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ingest: reads STIX 2.0 and 2.1 JSON (bundles, TAXII 2.1 envelopes, bare
 * objects, arrays of objects, JSON lines, or several of these one after
 * another), upgrades, validates and indexes each object, and stores one
 * input in one transaction. The reader streams: a bundle or envelope of
 * any size is read in bounded memory, one object at a time.
 */
#ifndef FUSION_INGEST_H
#define FUSION_INGEST_H

#include <stdio.h>

#include "store/store.h"

/* Defaults of the limits below. */
#define FUSION_INGEST_MAX_OBJECT_BYTES   ((size_t)16 << 20)
#define FUSION_INGEST_MAX_DEPTH          64
#define FUSION_INGEST_MAX_OBJECTS        ((uint64_t)50000000)
#define FUSION_INGEST_MAX_DOCUMENT_BYTES ((size_t)512 << 20)

struct fusion_ingest_limits {
    size_t max_object_bytes;   /* one STIX object's JSON text */
    size_t max_depth;          /* JSON nesting, counted from the document */
    uint64_t max_objects;      /* objects in one input */
    size_t max_document_bytes; /* a document that must be held whole */
};

/* Fills limits with the defaults above. */
void fusion_ingest_limits_default(struct fusion_ingest_limits *limits);

/* What happened to one object, as told to the report callback. */
enum fusion_ingest_event {
    FUSION_INGEST_WARNING,  /* kept, with a remark */
    FUSION_INGEST_REJECTED, /* not stored, with the reason */
    FUSION_INGEST_CONFLICT, /* same id and version, other content */
};

struct fusion_ingest_note {
    enum fusion_ingest_event event;
    const char *object_id; /* may be NULL when the object had none */
    uint64_t offset;       /* byte offset of the object in the input */
    uint64_t line;         /* line of the object's first byte, from 1 */
    const char *path;      /* property path, "" for the whole object */
    const char *message;
};

typedef void (*fusion_ingest_note_fn)(void *ctx,
                                      const struct fusion_ingest_note *note);

/* The fate of one object read from the input (see the outcome option). */
enum fusion_ingest_outcome_kind {
    FUSION_INGEST_STORED,    /* a new object or a new version of one */
    FUSION_INGEST_DUPLICATE, /* this exact version was stored already */
    FUSION_INGEST_FAILED,    /* rejected or conflicting: not stored */
};

/*
 * All pointers are borrowed for the duration of the callback.
 *
 * version is the object's modified, else its created, as written in the
 * stored text (for an object not stored, as it would have been written),
 * or NULL when neither is a string (an SCO has none). A STIX 2.0 object
 * is upgraded before it is stored, which may pad its timestamps to
 * milliseconds: version is then the padded value, the one a later read
 * of the store (a TAXII GET) returns, not the one in the input.
 *
 * message says why for FAILED: the first validation error as "PATH:
 * message" (only the message when it concerns the whole object), or that
 * another object with this id and version is stored already (a
 * conflict), or that the object is newer than the revocation of its id.
 */
struct fusion_ingest_outcome {
    enum fusion_ingest_outcome_kind kind;
    const char *object_id; /* NULL when the object had none */
    const char *version;
    uint64_t offset;     /* byte offset of the object in the input */
    uint64_t line;       /* line of the object's first byte, from 1 */
    const char *message; /* FAILED: the reason; otherwise NULL */
    /* FAILED as a conflict: other content under this id and version */
    bool conflict;
};

typedef void (*fusion_ingest_outcome_fn)(
    void *ctx, const struct fusion_ingest_outcome *outcome);

/* Called every few thousand objects with the bytes read so far. */
typedef void (*fusion_ingest_progress_fn)(void *ctx, uint64_t bytes,
                                          uint64_t objects);

struct fusion_ingest_options {
    struct fusion_ingest_limits limits;
    /*
     * Strict: an object with any validation error fails the whole input
     * and nothing is stored. Lenient (false, the default): such objects
     * are rejected one by one and the rest is stored.
     */
    bool strict;
    /*
     * Envelope: the input must be exactly one TAXII 2.1 envelope (section
     * 3.7): a JSON object without "type", whose "objects" array, if any,
     * is streamed like a bundle's whatever the order of its members.
     * "more" must be a boolean and "next" a string when present; other
     * members are ignored, as section 7.1 allows for custom properties.
     * {} and {"objects": []} store nothing. Anything else (a bundle, a
     * bare object, an array, a second JSON value) fails the input with
     * FUSION_ERR_INVALID. Without the option (the default) an envelope,
     * a top-level object without "type" that has an "objects" array, is
     * read beside the other shapes; not knowing whether a "type" follows,
     * the reader then holds its objects whole, up to max_document_bytes.
     */
    bool envelope;
    struct fusion_store_source source;
    /* TAXII collections (ids or aliases) every stored version goes into */
    const char *const *collections;
    size_t ncollections;
    fusion_ingest_note_fn note;
    fusion_ingest_progress_fn progress;
    /*
     * Called exactly once per object read from the input (an element of
     * a bundle, envelope or array, or a top-level object), in input
     * order, on the calling thread, once its fate is known; an object's
     * notes come before its outcome. The SCOs that the STIX 2.0 upgrade
     * lifts out of an observed-data get no outcome of their own. It runs
     * inside the store transaction, so it must not use the store handle
     * being written. When the call fails, see fusion_ingest_file.
     */
    fusion_ingest_outcome_fn outcome;
    void *ctx; /* passed to note, progress and outcome */
};

struct fusion_ingest_counts {
    uint64_t objects;      /* objects read */
    uint64_t new_objects;  /* first version of an id */
    uint64_t new_versions; /* further versions of known ids */
    uint64_t duplicates;   /* versions stored already */
    uint64_t conflicts;    /* same version, other content: first kept */
    uint64_t rejected;     /* invalid, or newer than a revocation */
    uint64_t upgraded;     /* converted from STIX 2.0 */
    uint64_t warnings;     /* objects stored with remarks */
    uint64_t bytes;        /* input bytes read */
};

/*
 * Reads all of f and stores what it holds in one transaction. counts (may be
 * NULL) is filled even on failure with what was read, but on failure nothing is
 * stored. Errors: FUSION_ERR_INVALID for malformed JSON or input that is not
 * STIX (err names the byte offset and line), FUSION_ERR_LIMIT when a limit is
 * exceeded, FUSION_ERR_IO, FUSION_ERR_DB, FUSION_ERR_NOMEM; in strict
 * mode FUSION_ERR_INVALID for the first invalid object as well.
 *
 * On failure the outcomes reported before it (there may be none, and
 * there are none for the objects after the failure) no longer hold: the
 * transaction is rolled back, so every object of the input is to be
 * taken as failed, for the reason in err. This includes a failure to
 * commit, which comes after all outcomes.
 *
 * Calls on different store handles may run on different threads at
 * once; a handle is used by one call at a time. Handles of the same
 * SQLite store take turns to write, each waiting for the lock up to the
 * store's busy timeout. Reading and checking run on a thread of their
 * own while the calling thread stores.
 */
FUSION_NODISCARD enum fusion_err
fusion_ingest_file(struct fusion_store *store, FILE *f,
                   const struct fusion_ingest_options *opt,
                   struct fusion_ingest_counts *counts,
                   struct fusion_error *err);

/*
 * Same, for the len bytes of a document in memory. A document of up to
 * 4 MiB (a TAXII request) is read and checked whole on the calling
 * thread before the transaction opens: the store's write lock is held
 * only while storing, and an input that fails to read reports no
 * outcome. A larger one goes as fusion_ingest_file does.
 */
FUSION_NODISCARD enum fusion_err
fusion_ingest_buffer(struct fusion_store *store, const char *data, size_t len,
                     const struct fusion_ingest_options *opt,
                     struct fusion_ingest_counts *counts,
                     struct fusion_error *err);

#endif
