/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ingest: reads STIX 2.0 and 2.1 JSON (bundles, bare objects, arrays of
 * objects, JSON lines, or several of these one after another), upgrades,
 * validates and indexes each object, and stores one input in one
 * transaction. The reader streams: a bundle of any size is read in
 * bounded memory, one object at a time.
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
    struct fusion_store_source source;
    /* TAXII collections (ids or aliases) every stored version goes into */
    const char *const *collections;
    size_t ncollections;
    fusion_ingest_note_fn note;
    fusion_ingest_progress_fn progress;
    void *ctx;
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
 * Reads all of f (name is only for messages) and stores what it holds in
 * one transaction. counts (may be NULL) is filled even on failure with
 * what was read, but on failure nothing is stored. Errors:
 * FUSION_ERR_INVALID for malformed JSON or input that is not STIX (err
 * names the byte offset and line), FUSION_ERR_LIMIT when a limit is
 * exceeded, FUSION_ERR_IO, FUSION_ERR_DB, FUSION_ERR_NOMEM; in strict
 * mode FUSION_ERR_INVALID for the first invalid object as well.
 */
FUSION_NODISCARD enum fusion_err
fusion_ingest_file(struct fusion_store *store, FILE *f,
                   const struct fusion_ingest_options *opt,
                   struct fusion_ingest_counts *counts,
                   struct fusion_error *err);

/* Same, for a document already in memory. */
FUSION_NODISCARD enum fusion_err
fusion_ingest_buffer(struct fusion_store *store, const char *data, size_t len,
                     const struct fusion_ingest_options *opt,
                     struct fusion_ingest_counts *counts,
                     struct fusion_error *err);

#endif
