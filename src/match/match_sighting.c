/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sightings made by matching: one per indicator, updated in memory on
 * each hit and stored as a new version at each flush, with the events
 * that caused them.
 *
 * Every observed-data a sighting has counted is listed by one of its
 * stored versions: a flush comes before a sighting gathers more new
 * references than a version lists. Reading a sighting's versions once
 * per run so tells which events it counted before, in any run, and a
 * set of (indicator, observed-data) pairs carries that through the run.
 */
#include <assert.h>
#include <string.h>

#include "match/match_int.h"

/* STIX 2.1 caps a sighting's count (section 5.7). */
#define SIGHTING_MAX_COUNT 999999999

/*
 * A flush is due once a sighting has this many references not yet
 * stored, so that one more hit (of at most FUSION_PATTERN_MAX_USED
 * events) still fits in the references of one version.
 */
#define REFS_DUE (FUSION_SIGHTING_MAX_REFS - FUSION_PATTERN_MAX_USED)

struct fusion_sightings {
    struct fusion_store *store;
    char *source_kind;
    char *source_name;
    json_t *by_indicator; /* indicator id -> sighting object (current) */
    /*
     * indicator id -> {"base": count as last stored or read, "modified":
     * modified of that version or null, "fresh": references since}
     */
    json_t *state;
    json_t *dirty;   /* indicator id -> true, changed since a flush */
    json_t *objects; /* object id -> observed-data or SCO to store */
    bool due;        /* some sighting has REFS_DUE fresh references */
    /* hashes of the (indicator, observed-data) pairs counted; 0 is free */
    uint64_t *seen;
    size_t seen_n, seen_cap;
};

/* The hash of a pair, never 0. */
static uint64_t
pair_hash(const char *indicator, const char *od)
{
    uint64_t h = match_hash_bytes(indicator, strlen(indicator), 0x9e3779b9u);

    h = match_hash_bytes(od, strlen(od), h);
    return h ? h : 1;
}

static bool
seen_has(const struct fusion_sightings *s, uint64_t h)
{
    if (!s->seen_cap)
        return false;
    for (size_t i = h & (s->seen_cap - 1); s->seen[i];
         i = (i + 1) & (s->seen_cap - 1)) {
        if (s->seen[i] == h)
            return true;
    }
    return false;
}

static bool
seen_add(struct fusion_sightings *s, uint64_t h)
{
    size_t i;

    if (seen_has(s, h))
        return true;
    if ((s->seen_n + 1) * 2 > s->seen_cap) {
        size_t cap = s->seen_cap ? s->seen_cap * 2 : 1024;
        uint64_t *slots = fusion_calloc(cap, sizeof(*slots));

        if (!slots)
            return false;
        for (size_t k = 0; k < s->seen_cap; k++) {
            if (!s->seen[k])
                continue;
            for (i = s->seen[k] & (cap - 1); slots[i]; i = (i + 1) & (cap - 1))
                ;
            slots[i] = s->seen[k];
        }
        fusion_free(s->seen);
        s->seen = slots;
        s->seen_cap = cap;
    }
    for (i = h & (s->seen_cap - 1); s->seen[i]; i = (i + 1) & (s->seen_cap - 1))
        ;
    s->seen[i] = h;
    s->seen_n++;
    return true;
}

enum fusion_err
fusion_sightings_new(struct fusion_store *store,
                     const struct fusion_store_source *source,
                     struct fusion_sightings **out, struct fusion_error *err)
{
    struct fusion_sightings *s;

    assert(store && source && out);
    *out = NULL;
    s = fusion_calloc(1, sizeof(*s));
    if (!s)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    s->store = store;
    s->source_kind = fusion_strdup(source->kind ? source->kind : "match");
    s->source_name = fusion_strdup(source->name ? source->name : "-");
    s->by_indicator = json_object();
    s->state = json_object();
    s->dirty = json_object();
    s->objects = json_object();
    if (!s->source_kind || !s->source_name || !s->by_indicator || !s->state ||
        !s->dirty || !s->objects) {
        fusion_sightings_free(s);
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    }
    *out = s;
    return FUSION_OK;
}

void
fusion_sightings_free(struct fusion_sightings *s)
{
    if (!s)
        return;
    json_decref(s->by_indicator);
    json_decref(s->state);
    fusion_free(s->seen);
    json_decref(s->dirty);
    json_decref(s->objects);
    fusion_free(s->source_kind);
    fusion_free(s->source_name);
    fusion_free(s);
}

size_t
fusion_sightings_pending(const struct fusion_sightings *s)
{
    assert(s);
    return json_object_size(s->dirty);
}

bool
fusion_sightings_due(const struct fusion_sightings *s)
{
    assert(s);
    return s->due;
}

/* A STIX timestamp member as nanoseconds; fallback when absent or bad. */
static int64_t
member_ns(const json_t *obj, const char *key, int64_t fallback)
{
    const json_t *v = json_object_get(obj, key);
    struct fusion_ts ts;

    if (!json_is_string(v) ||
        fusion_ts_parse(json_string_value(v), json_string_length(v), &ts, NULL))
        return fallback;
    return ts.ns;
}

static bool
set_time(json_t *obj, const char *key, int64_t ns)
{
    char text[FUSION_TS_MAX];

    fusion_ts_format(ns, 6, text);
    return json_object_set_new(obj, key, json_string(text)) == 0;
}

/* Reading a sighting's versions: the pairs they list, the newest text. */
struct versions_ctx {
    struct fusion_sightings *s;
    const char *indicator;
    json_t *current;
    bool nomem;
};

static int
load_version(void *ctx, const struct fusion_store_row *row)
{
    struct versions_ctx *vc = ctx;
    json_t *v = json_loadb(row->json, row->json_len, 0, NULL);
    const json_t *ref;
    size_t i;

    if (!v) {
        vc->nomem = true;
        return 1;
    }
    json_array_foreach(json_object_get(v, "observed_data_refs"), i, ref)
    {
        if (json_is_string(ref) &&
            !seen_add(vc->s,
                      pair_hash(vc->indicator, json_string_value(ref)))) {
            json_decref(v);
            vc->nomem = true;
            return 1;
        }
    }
    /* oldest first: the last one read is the current one */
    json_decref(vc->current);
    vc->current = v;
    return 0;
}

/*
 * Remembers the count and modified of the version last stored or read
 * (stored NULL: none yet).
 */
static bool
set_state(struct fusion_sightings *s, const char *indicator,
          const json_t *stored)
{
    json_int_t base =
        stored ? json_integer_value(json_object_get(stored, "count")) : 0;

    return json_object_set_new(
               s->state, indicator,
               json_pack("{s:I, s:O?, s:i}", "base", base, "modified",
                         stored ? json_object_get(stored, "modified") : NULL,
                         "fresh", 0)) == 0;
}

/*
 * The sighting of indicator id: the one in memory, else the stored one
 * (its versions read for the pairs they list), else a new one with
 * count 0.
 */
static enum fusion_err
sighting_for(struct fusion_sightings *s, const char *indicator, json_t **out,
             struct fusion_error *err)
{
    char uuid[FUSION_UUID_LEN + 1], sid[FUSION_UUID_LEN + 16];
    struct versions_ctx vc = { .s = s, .indicator = indicator };
    struct fusion_buf name;
    json_t *sg = json_object_get(s->by_indicator, indicator);
    enum fusion_err rc;
    bool stored;

    if (sg) {
        *out = sg;
        return FUSION_OK;
    }
    fusion_buf_init(&name, 0);
    rc = fusion_buf_puts(&name, "sighting|");
    if (!rc)
        rc = fusion_buf_puts(&name, indicator);
    if (!rc)
        rc = fusion_uuid5(FUSION_MATCH_NAMESPACE, name.data, name.len, uuid);
    fusion_buf_release(&name);
    if (rc)
        return fusion_error_set(err, rc, "cannot derive a sighting id");
    snprintf(sid, sizeof(sid), "sighting--%s", uuid);

    rc = fusion_store_get(s->store, sid, true, load_version, &vc, err);
    if (vc.nomem) {
        json_decref(vc.current);
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    }
    if (rc && rc != FUSION_ERR_NOTFOUND) {
        json_decref(vc.current);
        return rc;
    }
    sg = vc.current;
    stored = sg != NULL;
    if (!sg) {
        int64_t now = fusion_time_now_ns();

        sg = json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", "sighting",
                       "spec_version", "2.1", "id", sid, "sighting_of_ref",
                       indicator, "count", (json_int_t)0);
        if (sg &&
            (!set_time(sg, "created", now) || !set_time(sg, "modified", now))) {
            json_decref(sg);
            sg = NULL;
        }
    }
    if (!sg || json_object_set_new(s->by_indicator, indicator, sg) ||
        !set_state(s, indicator, stored ? sg : NULL))
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    *out = sg;
    return FUSION_OK;
}

/* Whether the sighting's observed_data_refs hold ref. */
static bool
has_ref(const json_t *sg, const char *ref)
{
    const json_t *refs = json_object_get(sg, "observed_data_refs");
    size_t i;
    json_t *v;

    json_array_foreach(refs, i, v)
    {
        if (strcmp(json_string_value(v), ref) == 0)
            return true;
    }
    return false;
}

/* Appends ref to the sighting's list unless there; keeps the newest. */
static bool
add_ref(json_t *sg, const char *ref)
{
    json_t *refs = json_object_get(sg, "observed_data_refs");

    if (!refs) {
        refs = json_array();
        if (!refs || json_object_set_new(sg, "observed_data_refs", refs))
            return false;
    }
    if (has_ref(sg, ref))
        return true;
    while (json_array_size(refs) >= FUSION_SIGHTING_MAX_REFS)
        json_array_remove(refs, 0);
    return json_array_append_new(refs, json_string(ref)) == 0;
}

/* Keeps the event's objects for the next flush. */
static bool
keep_event(struct fusion_sightings *s, const struct fusion_event *ev)
{
    const char *id =
        json_string_value(json_object_get(ev->observed_data, "id"));
    size_t i;
    json_t *v;

    if (!id || json_object_set(s->objects, id, ev->observed_data))
        return false;
    json_array_foreach(ev->scos, i, v)
    {
        const char *sid = json_string_value(json_object_get(v, "id"));

        if (sid && json_object_set(s->objects, sid, v))
            return false;
    }
    return true;
}

static int
load_one(void *ctx, const struct fusion_store_row *row)
{
    json_t **out = ctx;

    json_decref(*out);
    *out = json_loadb(row->json, row->json_len, 0, NULL);
    return *out ? 0 : 1;
}

/*
 * An observed-data read from a line names its own id. Another one under
 * that id and version that lists other objects, read before in this run
 * or stored, would have the hit point at events it did not see.
 */
static enum fusion_err
check_od_id(struct fusion_sightings *s, const struct fusion_event *ev,
            struct fusion_error *err)
{
    const json_t *od = ev->observed_data;
    const char *id = json_string_value(json_object_get(od, "id"));
    const json_t *other = json_object_get(s->objects, id);
    json_t *stored = NULL;
    enum fusion_err rc = FUSION_OK;

    if (!ev->od_read)
        return FUSION_OK;
    if (!other) {
        rc = fusion_store_get(s->store, id, false, load_one, &stored, err);
        if (rc == FUSION_ERR_NOTFOUND)
            return FUSION_OK;
        if (!rc && !stored)
            rc = fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
        if (rc)
            return rc;
        other = stored;
    }
    if (json_equal(json_object_get(other, "modified"),
                   json_object_get(od, "modified")) &&
        !json_equal(json_object_get(other, "object_refs"),
                    json_object_get(od, "object_refs")))
        rc = fusion_error_set(err, FUSION_ERR_INVALID,
                              "observed-data %s of this version is %s with "
                              "other objects",
                              id, stored ? "stored already" : "read before");
    json_decref(stored);
    return rc;
}

/* The first error of rep about obj, as err. */
static enum fusion_err
invalid_object(const json_t *obj, const struct fusion_stix_report *rep,
               struct fusion_error *err)
{
    const char *id = json_string_value(json_object_get(obj, "id"));

    for (size_t i = 0; i < rep->count; i++) {
        const struct fusion_stix_issue *is = &rep->items[i];

        if (is->severity != FUSION_STIX_ERROR)
            continue;
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "event is not valid STIX: %s: %s%s%s",
                                id ? id : "(no id)", is->path ? is->path : "",
                                is->path && *is->path ? ": " : "", is->message);
    }
    return fusion_error_set(err, FUSION_ERR_INVALID,
                            "event is not valid STIX: %s", id ? id : "(no id)");
}

/* Checks the objects an event would store, once per event. */
static enum fusion_err
check_event(struct fusion_event *ev, struct fusion_error *err)
{
    struct fusion_stix_report rep;
    enum fusion_err rc = FUSION_OK;
    size_t i = 0;
    json_t *obj = ev->observed_data;

    if (ev->checked > 0)
        return FUSION_OK;
    fusion_stix_report_init(&rep);
    while (obj && !rc) {
        rc = fusion_stix_validate(obj, &rep);
        if (rc == FUSION_ERR_INVALID)
            rc = invalid_object(obj, &rep, err);
        else if (rc)
            rc = fusion_error_set(err, rc, "out of memory");
        fusion_stix_report_release(&rep);
        fusion_stix_report_init(&rep);
        obj = json_array_get(ev->scos, i++);
    }
    fusion_stix_report_release(&rep);
    if (!rc)
        ev->checked = 1;
    return rc;
}

/* One more reference not yet stored; a flush is due at REFS_DUE. */
static bool
count_fresh(struct fusion_sightings *s, const char *indicator)
{
    json_t *st = json_object_get(s->state, indicator);
    json_int_t fresh = json_integer_value(json_object_get(st, "fresh")) + 1;

    if (fresh >= REFS_DUE)
        s->due = true;
    return st && json_object_set_new(st, "fresh", json_integer(fresh)) == 0;
}

enum fusion_err
fusion_sightings_record(struct fusion_sightings *s,
                        const struct fusion_match_hit *hit, json_t **record_out,
                        struct fusion_error *err)
{
    json_t *sg = NULL, *refs, *rec;
    int64_t first, last;
    json_int_t count;
    enum fusion_err rc;
    bool repeat;

    assert(s && hit && hit->indicator_id && hit->nevents > 0);
    if (record_out)
        *record_out = NULL;
    rc = sighting_for(s, hit->indicator_id, &sg, err);
    if (rc)
        return rc;
    first = member_ns(sg, "first_seen", INT64_MAX);
    last = member_ns(sg, "last_seen", INT64_MIN);
    for (size_t i = 0; i < hit->nevents; i++) {
        rc = fusion_event_materialize(hit->events[i], err);
        if (!rc)
            rc = check_event(hit->events[i], err);
        if (!rc)
            rc = check_od_id(s, hit->events[i], err);
        if (rc)
            return rc;
    }
    /* the same events read again (a file matched twice) count once */
    repeat = true;
    for (size_t i = 0; i < hit->nevents && repeat; i++)
        repeat =
            seen_has(s, pair_hash(hit->indicator_id,
                                  json_string_value(json_object_get(
                                      hit->events[i]->observed_data, "id"))));
    refs = json_array();
    if (!refs)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < hit->nevents; i++) {
        const struct fusion_event *ev = hit->events[i];
        const char *od =
            json_string_value(json_object_get(ev->observed_data, "id"));

        assert(od);
        if (repeat) {
            if (json_array_append_new(refs, json_string(od))) {
                json_decref(refs);
                return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
            }
            continue;
        }
        if (ev->obs.first.ns < first)
            first = ev->obs.first.ns;
        if (ev->obs.last.ns > last)
            last = ev->obs.last.ns;
        if (!add_ref(sg, od) || !keep_event(s, ev) ||
            !seen_add(s, pair_hash(hit->indicator_id, od)) ||
            !count_fresh(s, hit->indicator_id) ||
            json_array_append_new(refs, json_string(od))) {
            json_decref(refs);
            return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
        }
    }
    count = json_integer_value(json_object_get(sg, "count"));
    if (count < SIGHTING_MAX_COUNT && !repeat)
        count++;
    if (!repeat &&
        (json_object_set_new(sg, "count", json_integer(count)) ||
         !set_time(sg, "first_seen", first) ||
         !set_time(sg, "last_seen", last) ||
         json_object_set_new(s->dirty, hit->indicator_id, json_true()))) {
        json_decref(refs);
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    }
    if (!record_out) {
        json_decref(refs);
        return FUSION_OK;
    }
    rec = json_pack("{s:s, s:O, s:O, s:O, s:O, s:o, s:b}", "indicator_id",
                    hit->indicator_id, "sighting_id", json_object_get(sg, "id"),
                    "count", json_object_get(sg, "count"), "first_seen",
                    json_object_get(sg, "first_seen"), "last_seen",
                    json_object_get(sg, "last_seen"), "observed_data_refs",
                    refs, "repeat", repeat);
    if (!rec)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    *record_out = rec;
    return FUSION_OK;
}

/* A modified time later than the sighting's current one. */
static bool
bump_modified(json_t *sg, int64_t now)
{
    int64_t prev = member_ns(sg, "modified", INT64_MIN);

    return set_time(sg, "modified", now > prev ? now : prev + 1000);
}

/* Takes the stored version's counts, window and references into sg. */
static bool
merge_into(struct fusion_sightings *s, const char *indicator, json_t *sg,
           const json_t *stored, json_int_t base)
{
    json_int_t count = json_integer_value(json_object_get(stored, "count")) +
                       json_integer_value(json_object_get(sg, "count")) - base;
    json_t *ours = json_incref(json_object_get(sg, "observed_data_refs"));
    json_t *theirs = json_object_get(stored, "observed_data_refs");
    const json_t *ref;
    bool ok = true;
    size_t i;

    if (count > SIGHTING_MAX_COUNT)
        count = SIGHTING_MAX_COUNT;
    ok = json_object_set_new(sg, "count", json_integer(count)) == 0 &&
         set_time(sg, "first_seen",
                  member_ns(stored, "first_seen", INT64_MAX) <
                          member_ns(sg, "first_seen", INT64_MAX)
                      ? member_ns(stored, "first_seen", INT64_MAX)
                      : member_ns(sg, "first_seen", INT64_MAX)) &&
         set_time(sg, "last_seen",
                  member_ns(stored, "last_seen", INT64_MIN) >
                          member_ns(sg, "last_seen", INT64_MIN)
                      ? member_ns(stored, "last_seen", INT64_MIN)
                      : member_ns(sg, "last_seen", INT64_MIN)) &&
         json_object_set(sg, "created", json_object_get(stored, "created")) ==
             0 &&
         json_object_set(sg, "modified", json_object_get(stored, "modified")) ==
             0 &&
         json_object_set_new(sg, "observed_data_refs",
                             theirs ? json_deep_copy(theirs) : json_array()) ==
             0;
    json_array_foreach(theirs, i, ref)
    {
        if (ok && json_is_string(ref))
            ok = seen_add(s, pair_hash(indicator, json_string_value(ref)));
    }
    json_array_foreach(ours, i, ref)
    {
        if (ok && json_is_string(ref))
            ok = add_ref(sg, json_string_value(ref));
    }
    json_decref(ours);
    return ok;
}

/*
 * Another process matching into the same store may have stored versions
 * of the sighting since this one read or stored it: their counts are
 * kept, ours added to them.
 */
static enum fusion_err
merge_stored(struct fusion_sightings *s, const char *indicator, json_t *sg,
             struct fusion_error *err)
{
    const json_t *st = json_object_get(s->state, indicator);
    const char *known = json_string_value(json_object_get(st, "modified"));
    const char *id = json_string_value(json_object_get(sg, "id"));
    const char *theirs;
    json_t *cur = NULL;
    enum fusion_err rc;

    rc = fusion_store_get(s->store, id, false, load_one, &cur, err);
    if (rc == FUSION_ERR_NOTFOUND)
        return FUSION_OK;
    if (rc || !cur) {
        json_decref(cur);
        return rc ? rc
                  : fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    }
    theirs = json_string_value(json_object_get(cur, "modified"));
    if (!(known && theirs && strcmp(known, theirs) == 0) &&
        !merge_into(s, indicator, sg, cur,
                    json_integer_value(json_object_get(st, "base")))) {
        json_decref(cur);
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    }
    json_decref(cur);
    return FUSION_OK;
}

enum fusion_err
fusion_sightings_flush(struct fusion_sightings *s,
                       struct fusion_ingest_counts *counts,
                       fusion_ingest_outcome_fn outcome, void *ctx,
                       struct fusion_error *err)
{
    struct fusion_ingest_options opt = { .limits = { 0 } };
    char uuid[FUSION_UUID_LEN + 1], bid[FUSION_UUID_LEN + 16];
    int64_t now = fusion_time_now_ns();
    json_t *bundle, *objects, *v;
    const char *key;
    enum fusion_err rc;
    char *text;

    assert(s);
    if (json_object_size(s->dirty) == 0)
        return FUSION_OK;
    fusion_uuid4(uuid);
    snprintf(bid, sizeof(bid), "bundle--%s", uuid);
    objects = json_array();
    bundle = json_pack("{s:s, s:s, s:o}", "type", "bundle", "id", bid,
                       "objects", objects);
    if (!bundle)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    json_object_foreach(s->objects, key, v)
    {
        if (json_array_append(objects, v)) {
            json_decref(bundle);
            return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
        }
    }
    json_object_foreach(s->dirty, key, v)
    {
        json_t *sg = json_object_get(s->by_indicator, key);

        assert(sg);
        rc = merge_stored(s, key, sg, err);
        if (rc) {
            json_decref(bundle);
            return rc;
        }
        if (!bump_modified(sg, now) || json_array_append(objects, sg)) {
            json_decref(bundle);
            return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
        }
    }
    text = json_dumps(bundle, JSON_COMPACT);
    json_decref(bundle);
    if (!text)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");

    fusion_ingest_limits_default(&opt.limits);
    opt.source.kind = s->source_kind;
    opt.source.name = s->source_name;
    opt.outcome = outcome;
    opt.ctx = ctx;
    rc = fusion_ingest_buffer(s->store, text, strlen(text), &opt, counts, err);
    free(text);
    if (rc)
        return rc;
    json_object_foreach(s->dirty, key, v)
    {
        if (!set_state(s, key, json_object_get(s->by_indicator, key)))
            return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    }
    s->due = false;
    json_object_clear(s->dirty);
    json_object_clear(s->objects);
    return FUSION_OK;
}
