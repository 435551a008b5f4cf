/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Matching observed events against the store's indicators: readers that
 * turn event lines (STIX observed-data and SCOs, Suricata EVE JSON, Zeek
 * JSON logs) into observations, and an index of every active indicator
 * that evaluates an event only against the indicators it can hit.
 */
#ifndef FUSION_MATCH_H
#define FUSION_MATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest/ingest.h"
#include "pattern/pattern.h"
#include "store/store.h"

/* Event line formats. */
enum fusion_event_format {
    FUSION_EVENT_AUTO,     /* decided per line by its content */
    FUSION_EVENT_STIX,     /* observed-data, a bare SCO, or a bundle */
    FUSION_EVENT_SURICATA, /* EVE JSON: dns, http, tls, fileinfo, flow */
    FUSION_EVENT_ZEEK,     /* Zeek JSON logs: conn, dns, http, files, ssl */
};

/* Longest event line accepted (bytes). */
#define FUSION_EVENT_MAX_LINE (1u << 20)

/*
 * One event read from one line. obs is its observation: the SCOs read or
 * made from the line, with the names their _ref and _refs properties
 * use in obs.refs. What records the event for STIX is made only when
 * fusion_event_materialize is called, since matching does not need it:
 * observed_data, a STIX 2.1 observed-data object (the one read, or for
 * other formats one made from the event, with an id derived from the
 * line's content), and scos, the SCOs obs refers to, all with ids
 * (deterministic ones for SCOs made or read without one). Both are NULL
 * until then. The same line read twice gives the same objects. Until an
 * event is materialized, the SCOs made from Suricata and Zeek lines
 * have no id or spec_version and refer to each other by local names
 * (starting with '@'), and a bare STIX SCO read without an id has none
 * (its obs.refs entry is NULL); materializing gives them their ids and
 * rewrites those references, so obs stays one observation. Events are
 * reference counted; the index keeps those it may still need. An event
 * is used by one thread at a time.
 */
struct fusion_event {
    struct fusion_observation obs;
    const char *format; /* "stix", "suricata" or "zeek" (static) */
    const char *kind;   /* e.g. "observed-data", "ipv4-addr", "dns" */
    json_t *observed_data;
    json_t *scos; /* array of the SCOs obs refers to */
    unsigned refs;
    /* the readers' own storage behind obs */
    const json_t **obs_objects;
    const char **obs_refs;
    json_t *held;    /* the SCOs of obs */
    json_t *od_read; /* the observed-data of a STIX line, or NULL */
    char *line;      /* the line, when no observed-data was read */
    size_t line_len;
    uint64_t line_hash;
    size_t named; /* SCOs given their ids so far */
    int pending;  /* what materializing still has to do */
    /* 1 once the materialized objects were found valid STIX */
    int checked;
    bool clocked; /* no time of its own: taken as seen when read */
};

/*
 * Reads one line (without its newline) in format fmt. On success *out
 * holds a new event (one reference). A line that is not JSON, not an
 * object of the format, or has no observable in it is
 * FUSION_ERR_INVALID with err naming the byte offset and the reason; the
 * caller adds the file and line number. A line longer than
 * FUSION_EVENT_MAX_LINE is FUSION_ERR_LIMIT.
 *
 * STIX lines: an observed-data (first_observed and last_observed give
 * its time; its SCOs are those of an objects dictionary, or those its
 * object_refs name that the same line carries); a bundle, which is one
 * event: its one observed-data with the bundle's SCOs, or with none all
 * its SCOs as one observation (several observed-data are refused); or a
 * bare SCO. SCOs without an observed-data are seen at the time of
 * reading. Suricata's timestamp and Zeek's ts (seconds since the epoch
 * or RFC 3339) give first = last for those formats.
 */
FUSION_NODISCARD enum fusion_err fusion_event_read(const char *line, size_t len,
                                                   enum fusion_event_format fmt,
                                                   struct fusion_event **out,
                                                   struct fusion_error *err);

/*
 * Makes ev's observed_data and scos (see struct fusion_event), giving its
 * SCOs their ids; nothing when they are made already. FUSION_ERR_NOMEM
 * when memory runs out, with the message in err; calling again later
 * carries on.
 */
FUSION_NODISCARD enum fusion_err
fusion_event_materialize(struct fusion_event *ev, struct fusion_error *err);

struct fusion_event *fusion_event_ref(struct fusion_event *ev);
void fusion_event_unref(struct fusion_event *ev);

/* Parses "auto", "stix", "suricata" or "zeek"; false for anything else. */
bool fusion_event_format_parse(const char *name, enum fusion_event_format *out);

struct fusion_match_index;

FUSION_NODISCARD enum fusion_err
fusion_match_index_new(struct fusion_match_index **out);

void fusion_match_index_free(struct fusion_match_index *idx);

/*
 * Puts the current version of indicator id into the index, replacing an
 * earlier one: version is its modified time (ns); valid_from and
 * valid_until bound when it is active (0: no bound). A pattern that does
 * not parse or compile is FUSION_ERR_INVALID with the reason in err; the
 * id then leaves the index (its current version cannot match). A
 * version older than the one last put or removed for id changes
 * nothing, so versions may arrive in any order. FUSION_ERR_LIMIT when
 * the index is full (2^31 versions, 4 GiB of values).
 */
FUSION_NODISCARD enum fusion_err
fusion_match_index_put(struct fusion_match_index *idx, const char *id,
                       int64_t version, const char *pattern, size_t len,
                       int64_t valid_from, int64_t valid_until,
                       struct fusion_error *err);

/* Takes id out of the index (revoked, or no longer a STIX pattern). */
void fusion_match_index_remove(struct fusion_match_index *idx, const char *id);

typedef void (*fusion_match_reject_fn)(void *ctx, const char *id,
                                       const struct fusion_error *err);

/*
 * Brings the index up to date with the store: every indicator version
 * with date_added after *since is put (pattern_type "stix", or none) or
 * removed (revoked, or another pattern_type), oldest first, and *since
 * advances to the last date_added read. reject is called for each
 * indicator whose pattern fails, which never stops the others. Start
 * with *since = 0 to load the whole store.
 */
FUSION_NODISCARD enum fusion_err fusion_match_index_follow(
    struct fusion_match_index *idx, struct fusion_store *store, int64_t *since,
    fusion_match_reject_fn reject, void *ctx, struct fusion_error *err);

struct fusion_match_stats {
    size_t indicators; /* in the index */
    size_t simple;     /* decided by a key lookup alone */
    size_t complex;    /* evaluated after a key or prefix hit */
    size_t scanned;    /* evaluated for every event of their types */
    size_t keys;       /* distinct equality keys */
    size_t prefixes;   /* CIDR terms */
    size_t skipped;    /* evaluations cut off by their work bound */
};

void fusion_match_index_stats(const struct fusion_match_index *idx,
                              struct fusion_match_stats *out);

/*
 * One hit: an indicator matched. events are the events of the match in
 * the order of the observations used; the event being matched is among
 * them. A callback that needs their observed_data or scos calls
 * fusion_event_materialize first.
 */
struct fusion_match_hit {
    const char *indicator_id;
    int64_t version;
    struct fusion_event *const *events;
    size_t nevents;
};

/* Return nonzero to stop; that value is passed back. */
typedef int (*fusion_match_hit_fn)(void *ctx,
                                   const struct fusion_match_hit *hit);

/*
 * Matches ev against the index: fn is called once for each indicator
 * that is active at the event's time (ev->obs.first) and that ev
 * matches, or completes a match of with events matched before (patterns
 * of several observations keep the recent events that satisfied one of
 * their observation expressions, the last 64 per indicator; an event
 * with the observed-data id of one kept replaces it, as the same
 * observation). A pattern whose evaluation exceeds its work bound is
 * skipped for this event, counted in the stats, and never stops the
 * others. Returns fn's nonzero value when fn stops the matching. While
 * some indicator put compares ids, spec_version or the text of _ref and
 * _refs properties (fusion_pattern_reads_ids), each event is
 * materialized before it is matched, so that it offers the names its
 * stored objects have. One thread at a time matches with an index,
 * which it changes.
 */
FUSION_NODISCARD enum fusion_err
fusion_match_index_match(struct fusion_match_index *idx,
                         struct fusion_event *ev, fusion_match_hit_fn fn,
                         void *ctx, struct fusion_error *err);

/*
 * Sightings of indicators by matched events. Each indicator has one
 * sighting, whose id is derived from the indicator's (version 5 UUID in
 * FUSION_MATCH_NAMESPACE of "sighting|" and the indicator id), and whose
 * count, first_seen, last_seen and observed_data_refs (the most recent
 * FUSION_SIGHTING_MAX_REFS) grow with each hit, continuing the stored
 * sighting when there is one. Hits are kept in memory; a flush stores
 * one new version of each sighting that changed, with the observed-data
 * and SCOs of its events, through the ingest pipeline in one
 * transaction, with source as provenance.
 */
#define FUSION_MATCH_NAMESPACE   "4f467629-51e0-41f3-9587-639957dbe893"
#define FUSION_SIGHTING_MAX_REFS 100

struct fusion_sightings;

FUSION_NODISCARD enum fusion_err
fusion_sightings_new(struct fusion_store *store,
                     const struct fusion_store_source *source,
                     struct fusion_sightings **out, struct fusion_error *err);

/* Frees what is not yet flushed too. */
void fusion_sightings_free(struct fusion_sightings *sightings);

/*
 * Records a hit, materializing its events. *record_out (when not NULL)
 * receives a new JSON object describing it for output: indicator_id,
 * sighting_id, count, first_seen, last_seen as of this hit, the
 * observed_data_refs of its events, and repeat: true when the sighting
 * has counted all these events before, which leaves it unchanged: in
 * this run, or in an earlier one, as one of its stored versions lists
 * (an event's observed-data id comes from the line's content, so the
 * same line read again has the same one). FUSION_ERR_INVALID, with the
 * object and reason in err and nothing recorded, when an object of an
 * event is not valid STIX 2.1. Call fusion_sightings_flush when
 * fusion_sightings_due says so.
 */
FUSION_NODISCARD enum fusion_err
fusion_sightings_record(struct fusion_sightings *sightings,
                        const struct fusion_match_hit *hit, json_t **record_out,
                        struct fusion_error *err);

/* Sightings changed since the last flush. */
size_t fusion_sightings_pending(const struct fusion_sightings *sightings);

/*
 * True when a flush must come before the next hit is recorded: a
 * sighting holds as many references not yet stored as one version can
 * list beside those of one more hit. Flushing then keeps every counted
 * observed-data in some stored version, which is how a later run knows
 * the events counted before.
 */
bool fusion_sightings_due(const struct fusion_sightings *sightings);

/*
 * Stores the changed sightings and their events. A sighting that another
 * process stored a version of since this one last read or stored it is
 * merged first: that version's count plus the hits recorded here since,
 * the wider window, the newest references of both. outcome (may be NULL)
 * is called with ctx for each object stored or refused, as ingest calls
 * it. On failure nothing is stored and the changes stay pending.
 */
FUSION_NODISCARD enum fusion_err fusion_sightings_flush(
    struct fusion_sightings *sightings, struct fusion_ingest_counts *counts,
    fusion_ingest_outcome_fn outcome, void *ctx, struct fusion_error *err);

#endif
