/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to ingest: the streaming JSON reader and the pipeline. */
#ifndef FUSION_INGEST_INT_H
#define FUSION_INGEST_INT_H

#include "ingest/ingest.h"

/*
 * Called by the reader with the text of one element: an object of a
 * bundle, of a TAXII envelope or of a top-level array, or a top-level
 * object. offset and line locate its first byte in the input.
 */
typedef enum fusion_err (*ingest_element_fn)(void *ctx, const char *text,
                                             size_t len, uint64_t offset,
                                             uint64_t line,
                                             struct fusion_error *err);

struct ingest_source {
    FILE *f;         /* read from f when not NULL */
    const char *mem; /* else from mem[0..mem_len) */
    size_t mem_len;
    uint64_t base; /* offset of the first byte in the whole input */
    uint64_t line; /* line of the first byte */
    size_t depth;  /* nesting depth the source starts at */
    bool envelope; /* exactly one TAXII envelope, nothing else */
};

/*
 * Reads every JSON value of src in turn and hands each STIX object in it
 * to fn. Returns the first error of the reader or of fn; err names the
 * byte offset and line. bytes_out (may be NULL) gets the bytes read.
 */
FUSION_NODISCARD enum fusion_err
ingest_read_json(const struct ingest_source *src,
                 const struct fusion_ingest_limits *limits,
                 ingest_element_fn fn, void *ctx, uint64_t *bytes_out,
                 struct fusion_error *err);

/*
 * The hand-over between the thread that reads and checks objects and the
 * thread that stores them: batches of records in a bounded queue.
 */
enum ingest_rec_kind {
    INGEST_REC_PUT,    /* a version to store */
    INGEST_REC_NOTE,   /* a warning or rejection to report */
    INGEST_REC_FAILED, /* the outcome of an object refused before the store */
};

/* String fields are offsets into the batch's byte pool. */
struct ingest_rec {
    enum ingest_rec_kind kind;
    uint64_t offset;
    uint64_t line;
    size_t id;   /* SIZE_MAX: none */
    size_t type; /* PUT: type; NOTE: path */
    size_t spec; /* PUT: spec_version; NOTE, FAILED: message */
    size_t json;
    size_t json_len;
    size_t keys; /* index of the first key in the batch's key array */
    size_t nkeys;
    size_t version_text; /* PUT, FAILED: modified or created; SIZE_MAX: none */
    int64_t version;
    bool revoked;
    bool outcome; /* PUT: an object of the input, not a lifted SCO */
    enum fusion_ingest_event event;
};

struct ingest_batch {
    struct fusion_buf pool;
    struct ingest_rec *recs;
    size_t n;
    size_t cap;
    size_t *keys; /* pairs of pool offsets: type, value */
    size_t nkeys;
    size_t keys_cap;
    uint64_t bytes_read;
};

/* An empty batch; release frees its storage, clear keeps it for reuse. */
void ingest_batch_init(struct ingest_batch *b);
void ingest_batch_release(struct ingest_batch *b);
void ingest_batch_clear(struct ingest_batch *b);

struct ingest_queue;

FUSION_NODISCARD enum fusion_err ingest_queue_new(struct ingest_queue **out);
void ingest_queue_free(struct ingest_queue *q);

/*
 * Producer side: an empty batch to fill (blocks while all are in use;
 * NULL once the consumer has stopped), and handing a filled one over.
 */
struct ingest_batch *ingest_queue_take_empty(struct ingest_queue *q);
void ingest_queue_push(struct ingest_queue *q, struct ingest_batch *b);

/* Producer side: no more batches will come. */
void ingest_queue_close(struct ingest_queue *q);

/*
 * Consumer side: the next filled batch (blocks; NULL once the producer
 * has closed the queue and all is consumed), and giving it back.
 */
struct ingest_batch *ingest_queue_pop(struct ingest_queue *q);
void ingest_queue_recycle(struct ingest_queue *q, struct ingest_batch *b);

/* Consumer side: stop; the producer's next take_empty returns NULL. */
void ingest_queue_stop(struct ingest_queue *q);

#endif
