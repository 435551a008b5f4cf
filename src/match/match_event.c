/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event readers: one line of STIX, Suricata EVE JSON or Zeek JSON becomes
 * one observation; the STIX 2.1 observed-data object that records it,
 * and the ids of the SCOs made for it, are made when first asked for.
 * STIX lines are read here, Suricata and Zeek ones in match_sco.c.
 */
#include "match/match.h"

#include <assert.h>
#include <ctype.h>
#include <string.h>

#include "match/match_int.h"

/* UUIDv5 namespace of the observed-data ids made from event lines. */
#define EVENT_NAMESPACE FUSION_MATCH_NAMESPACE

/* What fusion_event_materialize still has to do for an event. */
enum event_pending {
    EVENT_READY, /* SCOs have their ids: only the observed-data is missing */
    EVENT_LOCAL, /* SCOs made by a reader, refs by local name, no ids */
    EVENT_BARE,  /* one SCO read without an id, nothing refers to it */
};

static void
event_free(struct fusion_event *ev)
{
    if (!ev)
        return;
    json_decref(ev->observed_data);
    json_decref(ev->scos);
    json_decref(ev->held);
    json_decref(ev->od_read);
    fusion_free(ev->obs_objects);
    fusion_free(ev->line);
    fusion_free(ev);
}

/*
 * A line that is no event. offset is where in the line (0-based byte)
 * the fault lies; the message leaves it out, since whoever reports the
 * error says where the line is and adds the offset to that.
 */
enum fusion_err
match_event_invalid(struct fusion_error *err, uint64_t offset, const char *why)
{
    return fusion_error_set_at(err, FUSION_ERR_INVALID, offset,
                               "invalid event: %s", why);
}

/*
 * Time text of the event formats: RFC 3339 with Z or with an offset of
 * the form +hh:mm or +hhmm (Suricata writes 2023-01-01T10:00:00.1+0000).
 * The part before the offset is read as a STIX timestamp, then moved.
 */
static enum fusion_err
parse_time_text(const char *s, size_t len, struct fusion_ts *out)
{
    char utc[64];
    size_t i = 19;
    int64_t off;
    int hh, mm;

    if (len < 20 || len >= sizeof(utc) - 1)
        return FUSION_ERR_INVALID;
    while (i < len && (s[i] == '.' || isdigit((unsigned char)s[i])))
        i++;
    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z'))
        return fusion_ts_parse(s, len, out, NULL);
    if (i == len || (s[i] != '+' && s[i] != '-'))
        return FUSION_ERR_INVALID;
    if (len - i == 6 && s[i + 3] == ':')
        mm = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
    else if (len - i == 5)
        mm = (s[i + 3] - '0') * 10 + (s[i + 4] - '0');
    else
        return FUSION_ERR_INVALID;
    hh = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    for (size_t k = i + 1; k < len; k++) {
        if (!isdigit((unsigned char)s[k]) && k != i + 3)
            return FUSION_ERR_INVALID;
    }
    if (hh > 23 || mm > 59)
        return FUSION_ERR_INVALID;
    memcpy(utc, s, i);
    utc[i] = 'Z';
    if (fusion_ts_parse(utc, i + 1, out, NULL))
        return FUSION_ERR_INVALID;
    off = (int64_t)(hh * 3600 + mm * 60);
    fusion_ts_set(out, s[i] == '+' ? out->sec - off : out->sec + off, out->nsec,
                  out->frac_digits);
    return FUSION_OK;
}

/*
 * A time given as seconds since the epoch (Zeek's ts), kept to the
 * microsecond Zeek writes; rounding by hand spares a link to libm.
 */
static enum fusion_err
parse_time_epoch(double v, struct fusion_ts *out)
{
    int64_t whole, usec;

    if (!(v > -1e12 && v < 1e12))
        return FUSION_ERR_INVALID;
    whole = (int64_t)v;
    if ((double)whole > v)
        whole--;
    usec = (int64_t)((v - (double)whole) * 1e6 + 0.5);
    if (usec >= 1000000) {
        whole++;
        usec -= 1000000;
    }
    fusion_ts_set(out, whole, (int32_t)(usec * 1000), 6);
    return FUSION_OK;
}

enum fusion_err
match_parse_time(const json_t *v, struct fusion_ts *out)
{
    if (json_is_string(v))
        return parse_time_text(json_string_value(v), json_string_length(v),
                               out);
    if (json_is_number(v))
        return parse_time_epoch(json_number_value(v), out);
    return FUSION_ERR_INVALID;
}

/*
 * Times are kept in nanoseconds since 1970 (struct fusion_ts.ns), which
 * reach from 1677 to 2262. A sensor's time outside is refused rather
 * than moved to the end of the range; STIX allows years up to 9999, so
 * a STIX event's time is kept, its nanoseconds saturated.
 */
#define SENSOR_SEC_MIN (-9223372036LL)
#define SENSOR_SEC_MAX 9223372035LL

enum fusion_err
match_parse_sensor_time(const json_t *v, struct fusion_ts *out)
{
    enum fusion_err rc = match_parse_time(v, out);

    if (!rc && (out->sec < SENSOR_SEC_MIN || out->sec > SENSOR_SEC_MAX))
        rc = FUSION_ERR_INVALID;
    return rc;
}

/*
 * Gives sco its deterministic id (STIX 2.1 section 2.9). An SCO without
 * contributing properties must have a UUIDv4 there: it gets the UUIDv5
 * of its whole canonical text with the version digit set to 4, whose
 * other bits are as unpredictable as random ones, so that the same line
 * still yields the same id.
 */
static enum fusion_err
assign_id(json_t *sco)
{
    char id[FUSION_STIX_ID_MAX], uuid[FUSION_UUID_LEN + 1];
    struct fusion_buf canon;
    enum fusion_err rc;
    const char *type;

    rc = fusion_stix_sco_id(sco, id);
    if (rc == FUSION_ERR_NOMEM)
        return rc;
    if (rc) {
        type = fusion_stix_str(sco, "type");
        assert(type);
        fusion_buf_init(&canon, FUSION_EVENT_MAX_LINE * 2u);
        rc = fusion_stix_canonical(sco, &canon);
        if (!rc)
            rc = fusion_uuid5(EVENT_NAMESPACE, canon.data, canon.len, uuid);
        fusion_buf_release(&canon);
        if (rc)
            return rc;
        uuid[14] = '4';
        if (strlen(type) + 2 + FUSION_UUID_LEN >= sizeof(id))
            return FUSION_ERR_INVALID;
        snprintf(id, sizeof(id), "%s--%s", type, uuid);
    }
    rc = match_set_str(sco, "id", id);
    return rc ? rc : match_set_str(sco, "spec_version", "2.1");
}

/*
 * Adds a STIX SCO (taken) with its id at once. An SCO equal to one added
 * already is not added twice. NULL on failure.
 */
static const char *
add_sco_with_id(struct match_builder *b, json_t *sco)
{
    const char *id;
    size_t i;

    if (!sco || assign_id(sco)) {
        json_decref(sco);
        return NULL;
    }
    id = fusion_stix_str(sco, "id");
    for (i = 0; i < json_array_size(b->scos); i++) {
        const char *have = fusion_stix_str(json_array_get(b->scos, i), "id");

        if (have && strcmp(have, id) == 0) {
            json_decref(sco);
            return have;
        }
    }
    if (i >= MATCH_EVENT_MAX_SCOS || json_array_append_new(b->scos, sco))
        return NULL;
    return id;
}

/*
 * The observed-data made for an event of another format, or for SCOs
 * that came without one: its id is a UUIDv5 of the line, so reading the
 * same line again gives the same object.
 */
static enum fusion_err
make_observed_data(const char *line, size_t len, const json_t *scos,
                   const struct fusion_ts *when, json_t **out)
{
    char uuid[FUSION_UUID_LEN + 1], id[64], ts[FUSION_TS_MAX];
    json_t *od, *refs = json_array();
    const json_t *sco;
    enum fusion_err rc;
    size_t i;

    rc = fusion_uuid5(EVENT_NAMESPACE, line, len, uuid);
    if (rc || !refs) {
        json_decref(refs);
        return rc ? rc : FUSION_ERR_NOMEM;
    }
    json_array_foreach(scos, i, sco)
    {
        if (json_array_append(refs, json_object_get(sco, "id"))) {
            json_decref(refs);
            return FUSION_ERR_NOMEM;
        }
    }
    snprintf(id, sizeof(id), "observed-data--%s", uuid);
    fusion_ts_format(when->ns, when->frac_digits < 3 ? 3 : when->frac_digits,
                     ts);
    od = json_pack("{ss ss ss ss ss ss ss si so}", "type", "observed-data",
                   "spec_version", "2.1", "id", id, "created", ts, "modified",
                   ts, "first_observed", ts, "last_observed", ts,
                   "number_observed", 1, "object_refs", refs);
    if (!od)
        return FUSION_ERR_NOMEM;
    *out = od;
    return FUSION_OK;
}

/*
 * STIX lines.
 */

/* The SCOs of a bundle by id, for the object_refs of its observed-data. */
static const json_t *
bundle_find(const json_t *objects, const char *id)
{
    const json_t *obj;
    size_t i;

    json_array_foreach(objects, i, obj)
    {
        const char *have = fusion_stix_str(obj, "id");

        if (have && strcmp(have, id) == 0)
            return obj;
    }
    return NULL;
}

/*
 * observed-data of STIX 2.1 with object_refs: the SCOs it lists that the
 * line carries (objects of its bundle) form the observation; any other
 * reference counts as absent. An objects container (STIX 2.0, or 2.1
 * still using it) is lifted into SCOs with ids first.
 */
static enum fusion_err
stix_observed(json_t *od, const json_t *bundle_objects, struct match_builder *b,
              struct fusion_ts *when)
{
    struct fusion_stix_report rep;
    const json_t *ref, *first, *last;
    struct fusion_ts end;
    enum fusion_err rc;
    size_t i;

    first = json_object_get(od, "first_observed");
    last = json_object_get(od, "last_observed");
    if (match_parse_time(first, when) || match_parse_time(last, &end))
        return match_event_invalid(b->err, 0,
                                   "observed-data without valid first_observed "
                                   "and last_observed");
    if (json_is_object(json_object_get(od, "objects"))) {
        fusion_stix_report_init(&rep);
        rc = fusion_stix_upgrade(od, b->scos, &rep, NULL);
        fusion_stix_report_release(&rep);
        if (rc == FUSION_ERR_NOMEM)
            return rc;
        if (rc)
            return match_event_invalid(b->err, 0,
                                       "observed-data objects cannot be read");
        return FUSION_OK;
    }
    json_array_foreach(json_object_get(od, "object_refs"), i, ref)
    {
        const json_t *sco =
            json_is_string(ref)
                ? bundle_find(bundle_objects, json_string_value(ref))
                : NULL;

        if (sco && fusion_stix_kind_of(sco) == FUSION_STIX_KIND_SCO &&
            json_array_append(b->scos, (json_t *)sco))
            return FUSION_ERR_NOMEM;
    }
    return FUSION_OK;
}

/* SCOs of a bundle or a bare SCO, given an id when they have none. */
static enum fusion_err
stix_add_sco(struct match_builder *b, json_t *sco)
{
    if (json_array_size(b->scos) >= MATCH_EVENT_MAX_SCOS)
        return match_event_invalid(b->err, 0, "too many SCOs in one line");
    if (!fusion_stix_str(sco, "id")) {
        sco = json_deep_copy(sco);
        return add_sco_with_id(b, sco) ? FUSION_OK : FUSION_ERR_NOMEM;
    }
    return json_array_append(b->scos, sco) ? FUSION_ERR_NOMEM : FUSION_OK;
}

/*
 * A bundle line is one event: with one observed-data, that observed-data
 * and the SCOs of the bundle it lists; with none, all SCOs of the bundle
 * as one observation at the time of reading. Several observed-data in
 * one line are refused, since one line is one event.
 */
static enum fusion_err
stix_bundle(json_t *bundle, struct match_builder *b, json_t **od_out,
            struct fusion_ts *when)
{
    const json_t *objects = json_object_get(bundle, "objects");
    json_t *obj, *od = NULL;
    enum fusion_err rc = FUSION_OK;
    size_t i;

    json_array_foreach(objects, i, obj)
    {
        const char *type = fusion_stix_str(obj, "type");

        if (!type || strcmp(type, "observed-data") != 0)
            continue;
        if (od)
            return match_event_invalid(b->err, 0,
                                       "bundle with several observed-data; "
                                       "one line is one event");
        od = obj;
    }
    if (od) {
        *od_out = json_incref(od);
        return stix_observed(od, objects, b, when);
    }
    json_array_foreach(objects, i, obj)
    {
        if (!rc && fusion_stix_kind_of(obj) == FUSION_STIX_KIND_SCO)
            rc = stix_add_sco(b, obj);
    }
    return rc;
}

/* A bare SCO, or the SCOs of a bundle, are seen at the time of reading. */
static void
now_ts(struct fusion_ts *when)
{
    int64_t now = fusion_time_now_ns();

    fusion_ts_set(when, now / 1000000000, (int32_t)(now % 1000000000), 3);
}

/* Whether some key at any depth of v ends with _ref or _refs. */
static bool
has_ref_keys(const json_t *v)
{
    const char *key;
    json_t *value;
    size_t i;

    if (json_is_array(v)) {
        json_array_foreach(v, i, value)
        {
            if (has_ref_keys(value))
                return true;
        }
        return false;
    }
    if (!json_is_object(v))
        return false;
    json_object_foreach((json_t *)v, key, value)
    {
        size_t len = strlen(key);

        if ((len >= 4 && strcmp(key + len - 4, "_ref") == 0) ||
            (len >= 5 && strcmp(key + len - 5, "_refs") == 0) ||
            has_ref_keys(value))
            return true;
    }
    return false;
}

/*
 * A bare SCO. One without an id gets it when the event is materialized,
 * unless it has references, one of which might name the id it will get:
 * then it gets the id now, so that the reference resolves as before.
 */
static enum fusion_err
stix_bare(json_t *root, struct match_builder *b, struct fusion_event *ev)
{
    if (fusion_stix_str(root, "id") || has_ref_keys(root))
        return stix_add_sco(b, root);
    ev->pending = EVENT_BARE;
    return json_array_append(b->scos, root) ? FUSION_ERR_NOMEM : FUSION_OK;
}

/*
 * The kind of a STIX event names a string that lives as long as the
 * event: od_read keeps the object read, held the SCO.
 */
static enum fusion_err
read_stix(json_t *root, struct match_builder *b, struct fusion_event *ev)
{
    const char *type = fusion_stix_str(root, "type");
    enum fusion_err rc;

    if (!type)
        return match_event_invalid(b->err, 0, "STIX object without type");
    if (strcmp(type, "observed-data") == 0) {
        ev->kind = "observed-data";
        ev->od_read = json_incref(root);
        return stix_observed(root, NULL, b, &ev->obs.first);
    }
    now_ts(&ev->obs.first);
    ev->clocked = true;
    if (strcmp(type, "bundle") == 0) {
        ev->kind = "bundle";
        return stix_bundle(root, b, &ev->od_read, &ev->obs.first);
    }
    if (fusion_stix_kind_of(root) != FUSION_STIX_KIND_SCO)
        return match_event_invalid(
            b->err, 0, "a STIX event is observed-data, an SCO or a bundle");
    rc = stix_bare(root, b, ev);
    if (!rc)
        ev->kind = fusion_stix_str(json_array_get(b->scos, 0), "type");
    return rc;
}

static enum fusion_event_format
detect(const json_t *root)
{
    if (json_object_get(root, "event_type"))
        return FUSION_EVENT_SURICATA;
    if (json_is_string(json_object_get(root, "type")))
        return FUSION_EVENT_STIX;
    if (json_object_get(root, "uid") || json_object_get(root, "id.orig_h") ||
        json_object_get(root, "fuid") || json_object_get(root, "ts"))
        return FUSION_EVENT_ZEEK;
    return FUSION_EVENT_AUTO;
}

/*
 * Points obs at the SCOs, each known by its id, or for SCOs a reader
 * made, by its local name. One allocation holds the objects, the refs
 * and the local names.
 */
static enum fusion_err
fill_observation(struct fusion_event *ev)
{
    size_t n = json_array_size(ev->held);
    size_t names = ev->pending == EVENT_LOCAL ? n * MATCH_LOCAL_NAME_MAX : 0;
    char *block, *name;

    assert(n > 0 && n <= MATCH_EVENT_MAX_SCOS);
    block = fusion_malloc(
        n * (sizeof(*ev->obs_objects) + sizeof(*ev->obs_refs)) + names);
    if (!block)
        return FUSION_ERR_NOMEM;
    ev->obs_objects = (const json_t **)(void *)block;
    ev->obs_refs = (const char **)(void *)(block + n * sizeof(json_t *));
    name = block + n * (sizeof(json_t *) + sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        ev->obs_objects[i] = json_array_get(ev->held, i);
        if (ev->pending == EVENT_LOCAL) {
            match_local_name(i, name);
            ev->obs_refs[i] = name;
            name += MATCH_LOCAL_NAME_MAX;
        } else {
            ev->obs_refs[i] = fusion_stix_str(ev->obs_objects[i], "id");
        }
    }
    ev->obs.objects = ev->obs_objects;
    ev->obs.refs = ev->obs_refs;
    ev->obs.count = n;
    return FUSION_OK;
}

static enum fusion_err
read_format(json_t *root, enum fusion_event_format fmt, struct match_builder *b,
            struct fusion_event *ev)
{
    switch (fmt) {
    case FUSION_EVENT_STIX:
        ev->format = "stix";
        return read_stix(root, b, ev);
    case FUSION_EVENT_SURICATA:
        ev->format = "suricata";
        ev->pending = EVENT_LOCAL;
        return match_read_suricata(root, b, &ev->obs.first, &ev->kind);
    case FUSION_EVENT_ZEEK:
        ev->format = "zeek";
        ev->pending = EVENT_LOCAL;
        return match_read_zeek(root, b, &ev->obs.first, &ev->kind);
    case FUSION_EVENT_AUTO:
        break;
    }
    return match_event_invalid(b->err, 0, "not a STIX, Suricata or Zeek event");
}

/*
 * Suricata and Zeek kinds come from the line, which is not kept: known
 * ones map to static names, others to "event".
 */
static const char *
static_kind(const char *kind)
{
    static const char *const known[] = {
        "dns",  "http",  "tls",  "fileinfo", "flow",
        "conn", "files", "ssl",  "alert",    "anomaly",
        "smtp", "ssh",   "x509", "notice",   "weird",
    };

    for (size_t i = 0; kind && i < sizeof(known) / sizeof(*known); i++) {
        if (strcmp(kind, known[i]) == 0)
            return known[i];
    }
    return "event";
}

/*
 * An event without an observed-data of its own keeps its line, from
 * which that observed-data's id is made, and which tells whether two
 * events record the same observation. An event seen when read is
 * another observation each time: the time of reading follows its line.
 */
static enum fusion_err
keep_line(struct fusion_event *ev, const char *line, size_t len)
{
    char when[32] = "";
    size_t extra = 0;

    if (ev->clocked)
        extra = (size_t)snprintf(when, sizeof(when), "\n@%lld",
                                 (long long)ev->obs.first.ns);
    ev->line = fusion_malloc(len + extra + 1);
    if (!ev->line)
        return FUSION_ERR_NOMEM;
    if (len)
        memcpy(ev->line, line, len);
    memcpy(ev->line + len, when, extra);
    ev->line_len = len + extra;
    ev->line_hash = match_hash_bytes(ev->line, ev->line_len, 0);
    return FUSION_OK;
}

static enum fusion_err
build_event(json_t *root, const char *line, size_t len,
            enum fusion_event_format fmt, struct fusion_event *ev,
            struct fusion_error *err)
{
    struct match_builder b = { .scos = json_array(), .err = err };
    enum fusion_err rc;

    if (!b.scos)
        return FUSION_ERR_NOMEM;
    ev->held = b.scos;
    if (fmt == FUSION_EVENT_AUTO)
        fmt = detect(root);
    rc = read_format(root, fmt, &b, ev);
    if (fmt != FUSION_EVENT_STIX)
        ev->kind = static_kind(ev->kind);
    if (rc)
        return rc;
    if (json_array_size(ev->held) == 0)
        return match_event_invalid(err, 0, "no observable in the event");
    if (!ev->od_read) {
        ev->obs.last = ev->obs.first;
        rc = keep_line(ev, line, len);
    } else {
        rc = match_parse_time(json_object_get(ev->od_read, "last_observed"),
                              &ev->obs.last);
    }
    return rc ? rc : fill_observation(ev);
}

/*
 * The 0-based offset of what jansson could not read. Its position counts
 * the bytes read, through the end of the token its text names ("...
 * near 'tok'"), whose first byte is the offending one.
 */
static uint64_t
json_error_offset(const json_error_t *jerr)
{
    const char *near = strstr(jerr->text, " near '");
    size_t len = strlen(jerr->text), tok;

    if (jerr->position <= 0)
        return 0;
    if (!near || jerr->text[len - 1] != '\'')
        return (uint64_t)jerr->position - 1;
    tok = (size_t)(jerr->text + len - 1 - (near + 7));
    if (tok == 0 || tok > (size_t)jerr->position)
        return (uint64_t)jerr->position - 1;
    return (uint64_t)jerr->position - tok;
}

enum fusion_err
fusion_event_read(const char *line, size_t len, enum fusion_event_format fmt,
                  struct fusion_event **out, struct fusion_error *err)
{
    struct fusion_event *ev;
    json_error_t jerr;
    json_t *root;
    enum fusion_err rc;

    assert(out && (line || len == 0));
    *out = NULL;
    if (len > FUSION_EVENT_MAX_LINE)
        return fusion_error_set(err, FUSION_ERR_LIMIT,
                                "event line of %zu bytes is longer than %u",
                                len, FUSION_EVENT_MAX_LINE);
    root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    /* with no memory to start parsing, jansson leaves the text empty */
    if (!root && (json_error_code(&jerr) == json_error_out_of_memory ||
                  jerr.text[0] == '\0'))
        return fusion_error_set(err, FUSION_ERR_NOMEM,
                                "out of memory reading event");
    if (!root)
        return match_event_invalid(err, json_error_offset(&jerr), jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return match_event_invalid(err, 0, "not a JSON object");
    }
    ev = fusion_calloc(1, sizeof(*ev));
    if (!ev) {
        json_decref(root);
        return FUSION_ERR_NOMEM;
    }
    ev->refs = 1;
    rc = build_event(root, line, len, fmt, ev, err);
    json_decref(root);
    if (rc) {
        event_free(ev);
        if (rc == FUSION_ERR_NOMEM)
            return fusion_error_set(err, rc, "out of memory reading event");
        return rc;
    }
    *out = ev;
    return FUSION_OK;
}

/*
 * Replaces the local name ref holds by the id of the SCO it names. Readers
 * add an SCO after those it refers to, which have their ids already.
 */
static enum fusion_err
name_ref(const struct fusion_event *ev, json_t *ref, size_t upto)
{
    const char *name = json_string_value(ref);
    size_t n = 0;

    (void)upto;
    if (!name || name[0] != '@')
        return FUSION_OK;
    for (const char *p = name + 1; *p; p++) {
        assert(*p >= '0' && *p <= '9');
        n = n * 10 + (size_t)(*p - '0');
    }
    assert(n < upto && ev->obs_refs[n] && ev->obs_refs[n][0] != '@');
    return json_string_set_nocheck(ref, ev->obs_refs[n]) ? FUSION_ERR_NOMEM
                                                         : FUSION_OK;
}

/* The _ref and _refs properties of an SCO a reader made. */
static enum fusion_err
name_refs(const struct fusion_event *ev, json_t *sco, size_t upto)
{
    enum fusion_err rc = FUSION_OK;
    const char *key;
    json_t *value;

    json_object_foreach(sco, key, value)
    {
        size_t len = strlen(key);

        if (len >= 4 && strcmp(key + len - 4, "_ref") == 0)
            rc = name_ref(ev, value, upto);
        for (size_t i = 0;
             !rc && len >= 5 && json_is_array(value) &&
             strcmp(key + len - 5, "_refs") == 0 && i < json_array_size(value);
             i++)
            rc = name_ref(ev, json_array_get(value, i), upto);
        if (rc)
            break;
    }
    return rc;
}

/*
 * Gives the SCOs their ids, in the order they were added; obs.refs
 * follows, so that the observation stays the same one. An SCO done
 * stays done when a later one fails.
 */
static enum fusion_err
name_scos(struct fusion_event *ev)
{
    enum fusion_err rc = FUSION_OK;

    for (; !rc && ev->named < ev->obs.count; ev->named++) {
        json_t *sco = json_array_get(ev->held, ev->named);

        if (ev->pending == EVENT_LOCAL)
            rc = name_refs(ev, sco, ev->named);
        if (!rc && !fusion_stix_str(sco, "id"))
            rc = assign_id(sco);
        if (rc)
            break;
        ev->obs_refs[ev->named] = fusion_stix_str(sco, "id");
    }
    return rc;
}

enum fusion_err
fusion_event_materialize(struct fusion_event *ev, struct fusion_error *err)
{
    enum fusion_err rc = FUSION_OK;
    json_t *od = NULL;

    assert(ev && ev->refs > 0);
    if (ev->observed_data)
        return FUSION_OK;
    if (ev->pending != EVENT_READY)
        rc = name_scos(ev);
    if (!rc)
        ev->pending = EVENT_READY;
    if (!rc && ev->od_read)
        od = json_incref(ev->od_read);
    else if (!rc)
        rc = make_observed_data(ev->line, ev->line_len, ev->held,
                                &ev->obs.first, &od);
    if (rc)
        return fusion_error_set(err, rc, "cannot make the event's objects: %s",
                                fusion_strerror(rc));
    ev->observed_data = od;
    ev->scos = json_incref(ev->held);
    return FUSION_OK;
}

/*
 * Whether id could be the id of an observed-data made from a line: a
 * version 5 UUID ("observed-data--xxxxxxxx-xxxx-5...").
 */
static bool
is_made_id(const char *id)
{
    static const char prefix[] = "observed-data--";
    size_t n = sizeof(prefix) - 1;

    return strncmp(id, prefix, n) == 0 && strlen(id) == n + FUSION_UUID_LEN &&
           id[n + 14] == '5';
}

static const char *
read_id(const struct fusion_event *ev)
{
    const char *id = fusion_stix_str(ev->od_read, "id");

    return id ? id : "";
}

bool
match_event_same(struct fusion_event *a, struct fusion_event *b)
{
    struct fusion_event *made;
    const char *id;

    assert(a && b);
    /* made ids are UUIDv5 of the line: the same id is the same line */
    if (a->line && b->line)
        return a->line_hash == b->line_hash && a->line_len == b->line_len &&
               memcmp(a->line, b->line, a->line_len) == 0;
    if (!a->line && !b->line)
        return strcmp(read_id(a), read_id(b)) == 0;
    made = a->line ? a : b;
    id = read_id(a->line ? b : a);
    if (!is_made_id(id) || fusion_event_materialize(made, NULL))
        return false;
    return strcmp(fusion_stix_str(made->observed_data, "id"), id) == 0;
}

struct fusion_event *
fusion_event_ref(struct fusion_event *ev)
{
    assert(ev && ev->refs > 0);
    ev->refs++;
    return ev;
}

void
fusion_event_unref(struct fusion_event *ev)
{
    if (!ev)
        return;
    assert(ev->refs > 0);
    if (--ev->refs == 0)
        event_free(ev);
}

bool
fusion_event_format_parse(const char *name, enum fusion_event_format *out)
{
    static const struct {
        const char *name;
        enum fusion_event_format fmt;
    } names[] = {
        { "auto", FUSION_EVENT_AUTO },
        { "stix", FUSION_EVENT_STIX },
        { "suricata", FUSION_EVENT_SURICATA },
        { "zeek", FUSION_EVENT_ZEEK },
    };

    for (size_t i = 0; name && i < sizeof(names) / sizeof(*names); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].fmt;
            return true;
        }
    }
    return false;
}
