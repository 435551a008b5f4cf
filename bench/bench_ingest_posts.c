/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ingests TAXII 2.1 envelopes as the TAXII server receives POSTs: POSTS
 * envelopes of OBJECTS objects each (indicators, each followed by the
 * observable it matches), from THREADS threads with a store handle each,
 * into a new store at DB. The envelopes are built before the clock
 * starts; prints objects/s and milliseconds per envelope.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ingest/ingest.h"

#define MAX_THREADS 64

struct bench {
    const char *db;
    unsigned long posts;
    unsigned long objects;
    unsigned long threads;
    struct fusion_buf *bodies;
};

struct worker {
    const struct bench *bench;
    unsigned long first;
    enum fusion_err rc;
    struct fusion_error err;
};

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An indicator for address k, or the observable it matches. */
static enum fusion_err
add_object(struct fusion_buf *b, unsigned long k, bool observable, bool first)
{
    char id[FUSION_UUID_LEN + 1], ip[32];

    fusion_uuid4(id);
    snprintf(ip, sizeof(ip), "10.%lu.%lu.%lu", (k >> 16) & 255, (k >> 8) & 255,
             k & 255);
    if (observable)
        return fusion_buf_printf(b,
                                 "%s{\"type\":\"ipv4-addr\",\"spec_version\":"
                                 "\"2.1\",\"id\":\"ipv4-addr--%s\",\"value\":"
                                 "\"%s\"}",
                                 first ? "" : ",", id, ip);
    return fusion_buf_printf(
        b,
        "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":"
        "\"indicator--%s\",\"created\":\"2024-01-01T00:00:00.000Z\","
        "\"modified\":\"2024-01-01T00:00:00.000Z\",\"name\":\"bench "
        "indicator %lu\",\"indicator_types\":[\"malicious-activity\"],"
        "\"pattern\":\"[ipv4-addr:value = '%s']\",\"pattern_type\":\"stix\","
        "\"valid_from\":\"2024-01-01T00:00:00Z\",\"confidence\":%lu}",
        first ? "" : ",", id, k, ip, k % 101);
}

static enum fusion_err
build_body(struct fusion_buf *b, unsigned long post, unsigned long objects)
{
    enum fusion_err rc = fusion_buf_puts(b, "{\"more\":false,\"objects\":[");

    for (unsigned long i = 0; i < objects && !rc; i++)
        rc = add_object(b, post * objects + i / 2, i % 2 == 1, i == 0);
    return rc ? rc : fusion_buf_puts(b, "]}");
}

static void *
work(void *arg)
{
    struct worker *w = arg;
    const struct bench *bench = w->bench;
    struct fusion_ingest_options opt = {
        .envelope = true,
        .source = { .kind = "taxii", .name = "bench" },
    };
    struct fusion_ingest_counts counts;
    struct fusion_store *store;

    fusion_ingest_limits_default(&opt.limits);
    w->rc = fusion_store_open(bench->db, 0, &store, &w->err);
    if (w->rc)
        return NULL;
    for (unsigned long i = w->first; i < bench->posts && !w->rc;
         i += bench->threads) {
        w->rc =
            fusion_ingest_buffer(store, bench->bodies[i].data,
                                 bench->bodies[i].len, &opt, &counts, &w->err);
        if (!w->rc && counts.new_objects != counts.objects)
            w->rc = fusion_error_set(&w->err, FUSION_ERR_INTERNAL,
                                     "only %llu of %llu objects were new",
                                     (unsigned long long)counts.new_objects,
                                     (unsigned long long)counts.objects);
    }
    fusion_store_close(store);
    return NULL;
}

static int
run(struct bench *bench)
{
    pthread_t threads[MAX_THREADS];
    struct worker workers[MAX_THREADS];
    double start, secs;
    int failed = 0;

    start = now();
    for (unsigned long i = 0; i < bench->threads; i++) {
        workers[i] = (struct worker){ .bench = bench, .first = i };
        if (pthread_create(&threads[i], NULL, work, &workers[i]) != 0) {
            fprintf(stderr, "bench_ingest_posts: cannot start a thread\n");
            exit(1);
        }
    }
    for (unsigned long i = 0; i < bench->threads; i++) {
        pthread_join(threads[i], NULL);
        if (workers[i].rc) {
            fprintf(stderr, "bench_ingest_posts: %s\n", workers[i].err.message);
            failed = 1;
        }
    }
    secs = now() - start;
    if (!failed)
        printf("%lu envelopes of %lu objects, %lu thread%s: %.3f s, %.0f "
               "objects/s, %.2f ms per envelope\n",
               bench->posts, bench->objects, bench->threads,
               bench->threads == 1 ? "" : "s", secs,
               (double)(bench->posts * bench->objects) / secs,
               secs * 1000.0 * (double)bench->threads / (double)bench->posts);
    return failed;
}

static unsigned long
number(const char *arg, unsigned long max)
{
    char *end;
    unsigned long n;

    errno = 0;
    n = strtoul(arg, &end, 10);
    if (errno || *end || n == 0 || n > max) {
        fprintf(stderr, "bench_ingest_posts: bad number '%s'\n", arg);
        exit(2);
    }
    return n;
}

static void
remove_store(const char *db)
{
    char side[4096];

    unlink(db);
    snprintf(side, sizeof(side), "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db);
    unlink(side);
}

int
main(int argc, char **argv)
{
    struct bench bench = { .posts = 40, .objects = 1000, .threads = 1 };
    struct fusion_store *store;
    struct fusion_error err;
    int rc;

    if (argc < 2 || argc > 5) {
        fprintf(stderr,
                "usage: bench_ingest_posts DB [POSTS [OBJECTS [THREADS]]]\n");
        return 2;
    }
    bench.db = argv[1];
    if (argc > 2)
        bench.posts = number(argv[2], 1000000);
    if (argc > 3)
        bench.objects = number(argv[3], 1000000);
    if (argc > 4)
        bench.threads = number(argv[4], MAX_THREADS);
    remove_store(bench.db);
    if (fusion_store_open(bench.db, FUSION_STORE_CREATE, &store, &err)) {
        fprintf(stderr, "bench_ingest_posts: %s\n", err.message);
        return 1;
    }
    fusion_store_close(store);
    bench.bodies = calloc(bench.posts, sizeof(*bench.bodies));
    if (!bench.bodies)
        return 1;
    for (unsigned long i = 0; i < bench.posts; i++) {
        fusion_buf_init(&bench.bodies[i], 0);
        if (build_body(&bench.bodies[i], i, bench.objects))
            return 1;
    }
    rc = run(&bench);
    for (unsigned long i = 0; i < bench.posts; i++)
        fusion_buf_release(&bench.bodies[i]);
    free(bench.bodies);
    return rc;
}
