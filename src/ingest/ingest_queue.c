/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded queue of record batches between the checking thread and the
 * storing thread, so that parsing and SQLite work on both cores at once
 * while memory stays bounded by the number of batches.
 */
#include <assert.h>
#include <pthread.h>
#include <string.h>

#include "ingest/ingest_int.h"

#define QUEUE_BATCHES 8

struct ingest_queue {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct ingest_batch batches[QUEUE_BATCHES];
    struct ingest_batch *empty[QUEUE_BATCHES];
    size_t nempty;
    struct ingest_batch *full[QUEUE_BATCHES]; /* ring, oldest at head */
    size_t head;
    size_t nfull;
    bool closed;
    bool stopped;
};

void
ingest_batch_init(struct ingest_batch *b)
{
    memset(b, 0, sizeof(*b));
    fusion_buf_init(&b->pool, 0);
}

void
ingest_batch_release(struct ingest_batch *b)
{
    fusion_buf_release(&b->pool);
    FUSION_FREE(b->recs);
    FUSION_FREE(b->keys);
    b->n = b->cap = b->nkeys = b->keys_cap = 0;
}

void
ingest_batch_clear(struct ingest_batch *b)
{
    fusion_buf_clear(&b->pool);
    b->n = 0;
    b->nkeys = 0;
    b->bytes_read = 0;
}

enum fusion_err
ingest_queue_new(struct ingest_queue **out)
{
    struct ingest_queue *q;

    assert(out);
    q = fusion_calloc(1, sizeof(*q));
    if (!q)
        return FUSION_ERR_NOMEM;
    if (pthread_mutex_init(&q->lock, NULL) != 0) {
        fusion_free(q);
        return FUSION_ERR_INTERNAL;
    }
    if (pthread_cond_init(&q->changed, NULL) != 0) {
        pthread_mutex_destroy(&q->lock);
        fusion_free(q);
        return FUSION_ERR_INTERNAL;
    }
    for (size_t i = 0; i < QUEUE_BATCHES; i++) {
        ingest_batch_init(&q->batches[i]);
        q->empty[q->nempty++] = &q->batches[i];
    }
    *out = q;
    return FUSION_OK;
}

void
ingest_queue_free(struct ingest_queue *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < QUEUE_BATCHES; i++)
        ingest_batch_release(&q->batches[i]);
    pthread_cond_destroy(&q->changed);
    pthread_mutex_destroy(&q->lock);
    fusion_free(q);
}

struct ingest_batch *
ingest_queue_take_empty(struct ingest_queue *q)
{
    struct ingest_batch *b = NULL;

    pthread_mutex_lock(&q->lock);
    while (!q->stopped && q->nempty == 0)
        pthread_cond_wait(&q->changed, &q->lock);
    assert(q->stopped || (q->nempty > 0 && q->nempty <= QUEUE_BATCHES));
    if (!q->stopped)
        b = q->empty[--q->nempty];
    pthread_mutex_unlock(&q->lock);
    if (b)
        ingest_batch_clear(b);
    return b;
}

void
ingest_queue_push(struct ingest_queue *q, struct ingest_batch *b)
{
    assert(b);
    pthread_mutex_lock(&q->lock);
    assert(q->nfull < QUEUE_BATCHES);
    q->full[(q->head + q->nfull) % QUEUE_BATCHES] = b;
    q->nfull++;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

void
ingest_queue_close(struct ingest_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

struct ingest_batch *
ingest_queue_pop(struct ingest_queue *q)
{
    struct ingest_batch *b = NULL;

    pthread_mutex_lock(&q->lock);
    while (q->nfull == 0 && !q->closed)
        pthread_cond_wait(&q->changed, &q->lock);
    if (q->nfull) {
        assert(q->nfull <= QUEUE_BATCHES && q->head < QUEUE_BATCHES);
        b = q->full[q->head];
        q->head = (q->head + 1) % QUEUE_BATCHES;
        q->nfull--;
    }
    pthread_mutex_unlock(&q->lock);
    return b;
}

void
ingest_queue_recycle(struct ingest_queue *q, struct ingest_batch *b)
{
    assert(b);
    pthread_mutex_lock(&q->lock);
    assert(q->nempty < QUEUE_BATCHES);
    q->empty[q->nempty++] = b;

    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

void
ingest_queue_stop(struct ingest_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->stopped = true;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}
