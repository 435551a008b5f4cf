/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sightings made by matching: one per indicator, updated in memory on
 * each hit and stored as a new version at each flush, with the events
 * that caused them.
 */
#include "match/match.h"

#include <assert.h>
#include <string.h>

/* STIX 2.1 caps a sighting's count (section 5.7). */
#define SIGHTING_MAX_COUNT 999999999

struct fusion_sightings {
    struct fusion_store *store;
    char *source_kind;
    char *source_name;
    json_t *by_indicator; /* indicator id -> sighting object (current) */
    json_t *dirty;        /* indicator id -> true, changed since a flush */
    json_t *objects;      /* object id -> observed-data or SCO to store */
};

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
    s->dirty = json_object();
    s->objects = json_object();
    if (!s->source_kind || !s->source_name || !s->by_indicator || !s->dirty ||
        !s->objects) {
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

static int
load_current(void *ctx, const struct fusion_store_row *row)
{
    json_t **out = ctx;

    json_decref(*out);
    *out = json_loadb(row->json, row->json_len, 0, NULL);
    return 0;
}

/*
 * The sighting of indicator id: the one in memory, else the stored one,
 * else a new one with count 0.
 */
static enum fusion_err
sighting_for(struct fusion_sightings *s, const char *indicator, json_t **out,
             struct fusion_error *err)
{
    char uuid[FUSION_UUID_LEN + 1], sid[FUSION_UUID_LEN + 16];
    struct fusion_buf name;
    json_t *sg = json_object_get(s->by_indicator, indicator);
    enum fusion_err rc;

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

    rc = fusion_store_get(s->store, sid, false, load_current, &sg, err);
    if (rc && rc != FUSION_ERR_NOTFOUND) {
        json_decref(sg);
        return rc;
    }
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
    if (!sg || json_object_set_new(s->by_indicator, indicator, sg))
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
ignore_row(void *ctx, const struct fusion_store_row *row)
{
    (void)ctx;
    (void)row;
    return 0;
}

/*
 * Whether sg counted ev before (see fusion_sightings_record); first and
 * last are its first_seen and last_seen.
 */
static enum fusion_err
counted_before(struct fusion_sightings *s, const json_t *sg,
               const struct fusion_event *ev, int64_t first, int64_t last,
               bool *out, struct fusion_error *err)
{
    const char *od =
        json_string_value(json_object_get(ev->observed_data, "id"));
    enum fusion_err rc;

    *out = false;
    if (ev->obs.first.ns < first || ev->obs.last.ns > last)
        return FUSION_OK;
    if (has_ref(sg, od)) {
        *out = true;
        return FUSION_OK;
    }
    rc = fusion_store_get(s->store, od, false, ignore_row, NULL, err);
    *out = rc == FUSION_OK;
    return rc == FUSION_ERR_NOTFOUND ? FUSION_OK : rc;
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
        if (rc)
            return rc;
    }
    /* the same events read again (a file matched twice) count once */
    repeat = true;
    for (size_t i = 0; i < hit->nevents && repeat; i++) {
        rc = counted_before(s, sg, hit->events[i], first, last, &repeat, err);
        if (rc)
            return rc;
    }
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
    json_object_clear(s->dirty);
    json_object_clear(s->objects);
    return FUSION_OK;
}
