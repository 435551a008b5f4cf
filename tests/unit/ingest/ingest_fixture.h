/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A store in a temporary file and ingest options that record what the
 * note and outcome callbacks report, shared by the ingest test programs.
 * Each test runs twice: from memory and from a file, which take the two
 * ways through the pipeline (one thread, and two).
 */
#ifndef FUSION_TEST_INGEST_FIXTURE_H
#define FUSION_TEST_INGEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/ingest.h"

/* A valid STIX 2.1 indicator; n is one digit. */
#define IND(n)                                                                \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--"   \
    "0000000" n "-1111-4111-8111-111111111111\",\"created\":\"2020-01-01T00:" \
    "00:00.000Z\",\"modified\":\"2020-01-01T00:00:00.000Z\",\"pattern\":"     \
    "\"[ipv4-addr:value = '198.51.100." n "']\",\"pattern_type\":\"stix\","   \
    "\"valid_from\":\"2020-01-01T00:00:00Z\"}"

#define IND_ID(n) "indicator--0000000" n "-1111-4111-8111-111111111111"

/* Outcomes kept in detail; later ones are only counted and checked. */
#define FIXTURE_OUTCOMES 16

struct seen_outcome {
    enum fusion_ingest_outcome_kind kind;
    bool has_id;
    bool has_version;
    char id[128];
    char version[64];
    char message[512];
    uint64_t offset;
    uint64_t line;
};

struct fixture {
    char path[64];
    struct fusion_store *store;
    struct fusion_ingest_options opt;
    struct fusion_ingest_counts counts;
    struct fusion_error err;
    bool from_file;
    unsigned rejected_notes;
    unsigned notes;
    char first_rejection[512]; /* "PATH: message" of the first rejection */
    struct seen_outcome outcomes[FIXTURE_OUTCOMES];
    size_t noutcomes;
    uint64_t last_offset;
    bool out_of_order; /* an outcome at or before the one before it */
    char events[256];  /* 'n' per note, 'o' per outcome, in order */
    size_t nevents;
};

static inline void
fixture_event(struct fixture *fx, char c)
{
    if (fx->nevents + 1 < sizeof(fx->events))
        fx->events[fx->nevents++] = c;
    fx->events[fx->nevents] = '\0';
}

static inline void
fixture_on_note(void *ctx, const struct fusion_ingest_note *note)
{
    struct fixture *fx = ctx;

    fx->notes++;
    if (note->event == FUSION_INGEST_REJECTED && !fx->rejected_notes++)
        snprintf(fx->first_rejection, sizeof(fx->first_rejection), "%s%s%s",
                 note->path, *note->path ? ": " : "", note->message);
    fixture_event(fx, 'n');
}

static inline void
fixture_on_outcome(void *ctx, const struct fusion_ingest_outcome *o)
{
    struct fixture *fx = ctx;
    struct seen_outcome *s;

    if (fx->noutcomes > 0 && o->offset <= fx->last_offset)
        fx->out_of_order = true;
    fx->last_offset = o->offset;
    fixture_event(fx, 'o');
    if (fx->noutcomes++ >= FIXTURE_OUTCOMES)
        return;
    s = &fx->outcomes[fx->noutcomes - 1];
    memset(s, 0, sizeof(*s));
    s->kind = o->kind;
    s->offset = o->offset;
    s->line = o->line;
    s->has_id = o->object_id != NULL;
    s->has_version = o->version != NULL;
    if (o->object_id)
        snprintf(s->id, sizeof(s->id), "%s", o->object_id);
    if (o->version)
        snprintf(s->version, sizeof(s->version), "%s", o->version);
    if (o->message)
        snprintf(s->message, sizeof(s->message), "%s", o->message);
}

static inline void
fixture_reset_seen(struct fixture *fx)
{
    fx->rejected_notes = 0;
    fx->notes = 0;
    fx->first_rejection[0] = '\0';
    fx->noutcomes = 0;
    fx->last_offset = 0;
    fx->out_of_order = false;
    fx->nevents = 0;
    fx->events[0] = '\0';
}

static inline int
fixture_setup(void **state, bool from_file)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    int fd;

    if (!fx)
        return -1;
    snprintf(fx->path, sizeof(fx->path), "/tmp/fusion-ingest-XXXXXX");
    fd = mkstemp(fx->path);
    if (fd < 0) {
        free(fx);
        return -1;
    }
    close(fd);
    unlink(fx->path);
    if (fusion_store_open(fx->path, FUSION_STORE_CREATE, &fx->store, NULL)) {
        free(fx);
        return -1;
    }
    fx->from_file = from_file;
    fusion_ingest_limits_default(&fx->opt.limits);
    fx->opt.source.kind = "test";
    fx->opt.source.name = "unit";
    fx->opt.note = fixture_on_note;
    fx->opt.outcome = fixture_on_outcome;
    fx->opt.ctx = fx;
    *state = fx;
    return 0;
}

static inline int
setup_memory(void **state)
{
    return fixture_setup(state, false);
}

static inline int
setup_file(void **state)
{
    return fixture_setup(state, true);
}

static inline int
teardown(void **state)
{
    struct fixture *fx = *state;
    char side[80];

    fusion_store_close(fx->store);
    unlink(fx->path);
    snprintf(side, sizeof(side), "%s-wal", fx->path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", fx->path);
    unlink(side);
    free(fx);
    return 0;
}

/* Ingests len bytes of text, from memory or through a temporary file. */
static inline enum fusion_err
ingest_len(struct fixture *fx, const char *text, size_t len)
{
    enum fusion_err rc;
    FILE *f;

    fusion_error_clear(&fx->err);
    fixture_reset_seen(fx);
    if (!fx->from_file)
        return fusion_ingest_buffer(fx->store, text, len, &fx->opt, &fx->counts,
                                    &fx->err);
    f = tmpfile();
    if (!f || fwrite(text, 1, len, f) != len || fseek(f, 0, SEEK_SET) != 0) {
        if (f)
            fclose(f);
        return FUSION_ERR_IO;
    }
    rc = fusion_ingest_file(fx->store, f, &fx->opt, &fx->counts, &fx->err);
    fclose(f);
    return rc;
}

static inline enum fusion_err
ingest(struct fixture *fx, const char *text)
{
    return ingest_len(fx, text, strlen(text));
}

/* Versions in the store. */
static inline uint64_t
stored(struct fixture *fx)
{
    struct fusion_store_stats st;

    if (fusion_store_stats(fx->store, &st, NULL, NULL, NULL))
        return UINT64_MAX;
    return st.versions;
}

#endif
