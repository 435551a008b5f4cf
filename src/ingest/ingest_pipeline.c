/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ingest pipeline: parse, upgrade, validate and index each object of
 * one input on a worker thread, and store it on the calling thread, all
 * in one store transaction. A small input in memory is checked whole on
 * the calling thread first and then stored.
 */
#include "ingest/ingest.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>

#include "ingest/ingest_int.h"
#include "pattern/pattern.h"

/* Observable keys of the object at hand, kept in one string pool. */
struct key_list {
    struct fusion_buf pool;
    size_t *offsets; /* type and value offsets, pairwise */
    size_t n;
    size_t cap;
};

/* Records handed over per batch before it is sent on. */
#define BATCH_RECORDS 512
#define BATCH_BYTES   ((size_t)1 << 20)

/*
 * Inputs in memory up to this size, such as TAXII requests (1000 typical
 * objects make a few hundred kilobytes), run on the calling thread alone:
 * for them, starting a thread and handing batches over cost more than the
 * overlap gains. Their records are all held, and the store transaction
 * opens only once every object is checked, so that writers to the same
 * store hold its lock for less time.
 */
#define INLINE_MAX_BYTES ((size_t)4 << 20)

struct pipeline {
    const struct fusion_ingest_options *opt;
    struct fusion_ingest_counts *counts;
    struct ingest_queue *queue; /* NULL: batches are held, see run_inline */
    struct ingest_batch *batch;
    struct ingest_batch **held;
    size_t nheld;
    size_t held_cap;
    struct fusion_stix_report rep;
    struct fusion_buf text;
    struct key_list keys;
    json_t *lifted;
    bool lifting; /* checking the SCOs lifted out of an observed-data */
    uint64_t offset;
    uint64_t line;
};

void
fusion_ingest_limits_default(struct fusion_ingest_limits *limits)
{
    limits->max_object_bytes = FUSION_INGEST_MAX_OBJECT_BYTES;
    limits->max_depth = FUSION_INGEST_MAX_DEPTH;
    limits->max_objects = FUSION_INGEST_MAX_OBJECTS;
    limits->max_document_bytes = FUSION_INGEST_MAX_DOCUMENT_BYTES;
}

static enum fusion_err
add_key(void *ctx, const char *type, const char *value)
{
    struct key_list *kl = ctx;
    enum fusion_err rc;

    assert(kl && type && value);
    for (size_t i = 0; i < kl->n; i++) {
        if (strcmp(kl->pool.data + kl->offsets[2 * i], type) == 0 &&
            strcmp(kl->pool.data + kl->offsets[2 * i + 1], value) == 0)
            return FUSION_OK;
    }
    if (kl->n == kl->cap) {
        size_t cap = kl->cap ? kl->cap * 2 : 8;
        size_t *offsets = fusion_realloc(kl->offsets, cap * 2 * sizeof(size_t));

        if (!offsets)
            return FUSION_ERR_NOMEM;
        kl->offsets = offsets;
        kl->cap = cap;
    }
    assert(kl->n < kl->cap);
    kl->offsets[2 * kl->n] = kl->pool.len;
    rc = fusion_buf_append(&kl->pool, type, strlen(type) + 1);
    if (rc)
        return rc;
    kl->offsets[2 * kl->n + 1] = kl->pool.len;
    rc = fusion_buf_append(&kl->pool, value, strlen(value) + 1);
    if (rc)
        return rc;
    kl->n++;
    return FUSION_OK;
}

/* Sends a filled batch to the storing thread, or holds it for later. */
static enum fusion_err
hand_over(struct pipeline *p, struct ingest_batch *b)
{
    if (p->queue) {
        ingest_queue_push(p->queue, b);
        return FUSION_OK;
    }
    if (p->nheld == p->held_cap) {
        size_t cap = p->held_cap ? p->held_cap * 2 : 8;
        struct ingest_batch **held =
            fusion_realloc(p->held, cap * sizeof(*held));

        if (!held) {
            ingest_batch_release(b);
            fusion_free(b);
            return FUSION_ERR_NOMEM;
        }
        p->held = held;
        p->held_cap = cap;
    }
    p->held[p->nheld++] = b;
    return FUSION_OK;
}

static struct ingest_batch *
empty_batch(struct pipeline *p)
{
    struct ingest_batch *b;

    if (p->queue)
        return ingest_queue_take_empty(p->queue);
    b = fusion_malloc(sizeof(*b));
    if (b)
        ingest_batch_init(b);
    return b;
}

/*
 * The batch being filled; a full one is handed over. NULL when the
 * storing thread has stopped, or when memory runs out for a held one.
 */
static struct ingest_batch *
current_batch(struct pipeline *p)
{
    struct ingest_batch *b = p->batch;

    if (b && (b->n >= BATCH_RECORDS || b->pool.len >= BATCH_BYTES)) {
        b->bytes_read = p->offset;
        p->batch = NULL;
        if (hand_over(p, b))
            return NULL;
    }
    if (!p->batch)
        p->batch = empty_batch(p);
    return p->batch;
}

static enum fusion_err
add_record(struct ingest_batch *b, struct ingest_rec **out)
{
    assert(out && b->n <= b->cap);
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : BATCH_RECORDS;
        struct ingest_rec *recs = fusion_realloc(b->recs, cap * sizeof(*recs));

        if (!recs)
            return FUSION_ERR_NOMEM;
        b->recs = recs;
        b->cap = cap;
    }
    assert(b->n < b->cap);
    *out = &b->recs[b->n];
    memset(*out, 0, sizeof(**out));
    return FUSION_OK;
}

/* Copies s (NUL included) into the batch pool; SIZE_MAX for NULL. */
static enum fusion_err
pool_str(struct ingest_batch *b, const char *s, size_t len, size_t *out)
{
    enum fusion_err rc;

    assert(b && out);
    if (!s) {
        *out = SIZE_MAX;
        return FUSION_OK;
    }
    *out = b->pool.len;
    rc = fusion_buf_append(&b->pool, s, len);
    if (!rc)
        rc = fusion_buf_putc(&b->pool, '\0');
    return rc;
}

/*
 * A record could not be added: rc is FUSION_ERR_INTERNAL when there was
 * no batch to fill, because the storing thread has stopped (its own error
 * is the one reported) or, with batches held, memory ran out.
 */
static enum fusion_err
stopped(const struct pipeline *p, enum fusion_err rc, struct fusion_error *err)
{
    if (rc == FUSION_ERR_INTERNAL && p->queue)
        return fusion_error_set(err, rc, "ingest stopped");
    return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
}

static enum fusion_err
notify(struct pipeline *p, enum fusion_ingest_event event, const char *id,
       const char *path, const char *message)
{
    struct ingest_batch *b = current_batch(p);
    struct ingest_rec *rec;
    enum fusion_err rc;

    if (!b)
        return FUSION_ERR_INTERNAL;
    rc = add_record(b, &rec);
    if (!rc)
        rc = pool_str(b, id, id ? strlen(id) : 0, &rec->id);
    if (!rc)
        rc = pool_str(b, path ? path : "", path ? strlen(path) : 0, &rec->type);
    if (!rc)
        rc = pool_str(b, message, strlen(message), &rec->spec);
    if (rc)
        return rc;
    rec->kind = INGEST_REC_NOTE;
    rec->event = event;
    rec->offset = p->offset;
    rec->line = p->line;
    b->n++;
    return FUSION_OK;
}

static enum fusion_err
notify_report(struct pipeline *p, enum fusion_ingest_event event,
              const char *id, enum fusion_stix_severity severity)
{
    enum fusion_err rc = FUSION_OK;

    for (size_t i = 0; i < p->rep.count && !rc; i++) {
        const struct fusion_stix_issue *issue = &p->rep.items[i];

        if (issue->severity == severity)
            rc = notify(p, event, id, issue->path, issue->message);
    }
    return rc;
}

/*
 * Indicators in the STIX language must parse (S-16); their equality
 * comparisons become observable keys.
 */
static enum fusion_err
check_pattern(struct pipeline *p, const json_t *obj)
{
    const char *pattern = fusion_stix_str(obj, "pattern");
    const char *ptype = fusion_stix_str(obj, "pattern_type");
    struct fusion_pattern *parsed = NULL;
    struct fusion_error perr;
    enum fusion_err rc;

    if (!pattern || !ptype || strcmp(ptype, "stix") != 0)
        return FUSION_OK;
    rc = fusion_pattern_parse(pattern, strlen(pattern), &parsed, &perr);
    if (rc == FUSION_ERR_NOMEM)
        return rc;
    if (rc)
        return fusion_stix_report_add(&p->rep, FUSION_STIX_ERROR, "pattern",
                                      "%s", perr.message);
    rc = fusion_pattern_check(parsed, &p->rep);
    if (rc == FUSION_OK || rc == FUSION_ERR_INVALID)
        rc = fusion_pattern_keys(parsed, add_key, &p->keys);
    fusion_pattern_free(parsed);
    return rc;
}

/* The version of obj as written: modified, else created, else NULL. */
static const char *
version_text(const json_t *obj)
{
    const char *v;

    if (!obj)
        return NULL;
    v = fusion_stix_str(obj, "modified");
    return v ? v : fusion_stix_str(obj, "created");
}

static enum fusion_err
version_of(const json_t *obj, struct fusion_ts *version)
{
    const char *v = version_text(obj);

    version->ns = 0;
    if (!v)
        return FUSION_OK;
    return fusion_ts_parse(v, strlen(v), version, NULL);
}

static const struct fusion_stix_issue *
first_error(const struct fusion_stix_report *rep)
{
    for (size_t i = 0; i < rep->count; i++) {
        if (rep->items[i].severity == FUSION_STIX_ERROR)
            return &rep->items[i];
    }
    return NULL;
}

/* The outcome of a rejected object: its first error, "PATH: message". */
static enum fusion_err
add_failed(struct pipeline *p, const json_t *obj, const char *id)
{
    const struct fusion_stix_issue *first = first_error(&p->rep);
    const char *version = version_text(obj);
    struct ingest_batch *b = current_batch(p);
    struct ingest_rec *rec;
    enum fusion_err rc;

    if (!b)
        return FUSION_ERR_INTERNAL;
    rc = add_record(b, &rec);
    if (!rc)
        rc = pool_str(b, id, id ? strlen(id) : 0, &rec->id);
    if (!rc)
        rc = pool_str(b, version, version ? strlen(version) : 0,
                      &rec->version_text);
    if (rc)
        return rc;
    rec->spec = b->pool.len;
    rc = fusion_buf_printf(&b->pool, "%s%s%s", first ? first->path : "",
                           first && *first->path ? ": " : "",
                           first ? first->message : "invalid");
    if (!rc)
        rc = fusion_buf_putc(&b->pool, '\0');
    if (rc)
        return rc;
    rec->kind = INGEST_REC_FAILED;
    rec->offset = p->offset;
    rec->line = p->line;
    b->n++;
    return FUSION_OK;
}

/*
 * An object with errors in rep: in strict mode the end of the input, else
 * reported and left out. obj may be NULL when the element was no object.
 */
static enum fusion_err
rejected(struct pipeline *p, const json_t *obj, const char *id,
         struct fusion_error *err)
{
    const struct fusion_stix_issue *first;
    enum fusion_err rc;

    if (!p->opt->strict) {
        p->counts->rejected++;
        rc = notify_report(p, FUSION_INGEST_REJECTED, id, FUSION_STIX_ERROR);
        if (!rc && p->opt->outcome && !p->lifting)
            rc = add_failed(p, obj, id);
        return rc ? stopped(p, rc, err) : FUSION_OK;
    }
    first = first_error(&p->rep);
    fusion_error_set_at(
        err, FUSION_ERR_INVALID, p->offset, "object '%s': %s%s%s (strict mode)",
        id ? id : "(no id)", first ? first->path : "",
        first && *first->path ? ": " : "", first ? first->message : "invalid");
    if (err)
        err->line = p->line;
    return FUSION_ERR_INVALID;
}

static enum fusion_err
add_keys(struct ingest_batch *b, const struct key_list *kl,
         struct ingest_rec *rec)
{
    enum fusion_err rc = FUSION_OK;

    if (b->nkeys + kl->n > b->keys_cap) {
        size_t cap = b->keys_cap ? b->keys_cap : 256;
        size_t *keys;

        while (cap < b->nkeys + kl->n)
            cap *= 2;
        keys = fusion_realloc(b->keys, cap * 2 * sizeof(size_t));
        if (!keys)
            return FUSION_ERR_NOMEM;
        b->keys = keys;
        b->keys_cap = cap;
    }
    assert(b->nkeys + kl->n <= b->keys_cap);
    rec->keys = b->nkeys;
    rec->nkeys = kl->n;
    for (size_t i = 0; i < kl->n && !rc; i++) {
        const char *type = kl->pool.data + kl->offsets[2 * i];
        const char *value = kl->pool.data + kl->offsets[2 * i + 1];

        rc = pool_str(b, type, strlen(type), &b->keys[2 * b->nkeys]);
        if (!rc)
            rc = pool_str(b, value, strlen(value), &b->keys[2 * b->nkeys + 1]);
        b->nkeys++;
    }
    return rc;
}

/* Hands one checked version over to the storing thread. */
static enum fusion_err
store_object(struct pipeline *p, const json_t *obj, const char *id,
             struct fusion_error *err)
{
    const char *spec = fusion_stix_str(obj, "spec_version");
    const char *type = fusion_stix_str(obj, "type");
    const char *vtext = version_text(obj);
    bool outcome = p->opt->outcome && !p->lifting;
    struct fusion_ts version;
    struct ingest_batch *b;
    struct ingest_rec *rec;
    size_t json_at, json_len;
    enum fusion_err rc;

    if (version_of(obj, &version))
        return fusion_error_set(err, FUSION_ERR_INTERNAL,
                                "object '%s': unparsed version", id);
    b = current_batch(p);
    if (!b)
        return stopped(p, FUSION_ERR_INTERNAL, err);
    /* the canonical text is written straight into the batch */
    json_at = b->pool.len;
    rc = fusion_stix_canonical(obj, &b->pool);
    if (!rc)
        rc = fusion_buf_putc(&b->pool, '\0');
    if (rc) {
        b->pool.len = json_at;
        return fusion_error_set(err, rc, "object '%s': %s", id,
                                fusion_strerror(rc));
    }
    json_len = b->pool.len - json_at - 1;
    rc = add_record(b, &rec);
    if (!rc)
        rc = pool_str(b, id, strlen(id), &rec->id);
    if (!rc)
        rc = pool_str(b, type, strlen(type), &rec->type);
    spec = spec ? spec : "2.1";
    if (!rc)
        rc = pool_str(b, spec, strlen(spec), &rec->spec);
    if (!rc)
        rc = add_keys(b, &p->keys, rec);
    if (!rc && outcome)
        rc = pool_str(b, vtext, vtext ? strlen(vtext) : 0, &rec->version_text);
    else if (!rc)
        rec->version_text = SIZE_MAX;
    if (rc)
        return fusion_error_set(err, rc, "object '%s': %s", id,
                                fusion_strerror(rc));
    rec->kind = INGEST_REC_PUT;
    rec->outcome = outcome;
    rec->json = json_at;
    rec->json_len = json_len;
    rec->version = version.ns;
    rec->revoked = json_is_true(json_object_get(obj, "revoked"));
    rec->offset = p->offset;
    rec->line = p->line;
    b->n++;
    return FUSION_OK;
}

/* Validates, indexes and stores one STIX 2.1 object. */
static enum fusion_err
process_one(struct pipeline *p, const json_t *obj, struct fusion_error *err)
{
    const char *id = fusion_stix_str(obj, "id");
    enum fusion_err rc;

    p->keys.n = 0;
    fusion_buf_clear(&p->keys.pool);
    rc = fusion_stix_validate(obj, &p->rep);
    if (rc && rc != FUSION_ERR_INVALID)
        return fusion_error_set(err, rc, "%s", fusion_strerror(rc));
    if (!p->rep.errors) {
        if (fusion_stix_kind_of(obj) == FUSION_STIX_KIND_SCO)
            rc = fusion_stix_observable_keys(obj, add_key, &p->keys);
        else if (strcmp(fusion_stix_str(obj, "type"), "indicator") == 0)
            rc = check_pattern(p, obj);
        if (rc && rc != FUSION_ERR_INVALID)
            return fusion_error_set(err, rc, "%s", fusion_strerror(rc));
    }
    if (p->rep.errors)
        return rejected(p, obj, id, err);
    if (p->rep.warnings) {
        p->counts->warnings++;
        rc = notify_report(p, FUSION_INGEST_WARNING, id, FUSION_STIX_WARNING);
        if (rc)
            return stopped(p, rc, err);
    }
    return store_object(p, obj, id, err);
}

static enum fusion_err
upgrade_pattern(struct pipeline *p, json_t *obj, struct fusion_error *err)
{
    const char *pattern = fusion_stix_str(obj, "pattern");
    struct fusion_error perr;
    enum fusion_err rc;

    if (!pattern)
        return FUSION_OK;
    fusion_buf_clear(&p->text);
    rc = fusion_pattern_upgrade_20(pattern, strlen(pattern), &p->text, &perr);
    if (rc == FUSION_ERR_INVALID)
        return FUSION_OK; /* the validator reports the unparsable pattern */
    if (rc)
        return fusion_error_set(err, rc, "%s", fusion_strerror(rc));
    if (json_object_set_new(obj, "pattern",
                            json_stringn(p->text.data, p->text.len)))
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    return FUSION_OK;
}

static enum fusion_err
process_object(struct pipeline *p, json_t *obj, struct fusion_error *err)
{
    const char *type = fusion_stix_str(obj, "type");
    bool upgraded = false;
    enum fusion_err rc;
    size_t i;
    json_t *lifted;

    fusion_stix_report_clear(&p->rep);
    if (!type || strcmp(type, "bundle") == 0) {
        rc = fusion_stix_report_add(&p->rep, FUSION_STIX_ERROR, "type", "%s",
                                    !type ? "missing or not a string"
                                          : "a bundle cannot be an object "
                                            "of a bundle or array");
        if (rc)
            return fusion_error_set(err, rc, "out of memory");
        return rejected(p, obj, fusion_stix_str(obj, "id"), err);
    }
    json_array_clear(p->lifted);
    rc = fusion_stix_upgrade(obj, p->lifted, &p->rep, &upgraded);
    if (rc)
        return fusion_error_set(err, rc, "%s", fusion_strerror(rc));
    if (upgraded) {
        p->counts->upgraded++;
        if (strcmp(type, "indicator") == 0 && upgrade_pattern(p, obj, err))
            return err ? err->code : FUSION_ERR_INTERNAL;
    }
    /* lifted SCOs come first: the observed-data refers to them */
    json_array_foreach(p->lifted, i, lifted)
    {
        struct fusion_stix_report saved = p->rep;

        fusion_stix_report_init(&p->rep);
        p->counts->objects++;
        p->lifting = true;
        rc = process_one(p, lifted, err);
        p->lifting = false;
        fusion_stix_report_release(&p->rep);
        p->rep = saved;
        if (rc)
            return rc;
    }
    return process_one(p, obj, err);
}

/*
 * Well-formed JSON that holds a value no STIX object can: a NUL in a
 * string, a number beyond what a double or a 64-bit integer holds. Only
 * that object is refused, not the whole input.
 */
static bool
value_refused(const json_error_t *jerr)
{
    switch (json_error_code(jerr)) {
    case json_error_null_character:
    case json_error_null_byte_in_key:
    case json_error_numeric_overflow:
        return true;
    default:
        return false;
    }
}

static enum fusion_err
refused_value(struct pipeline *p, const json_error_t *jerr, uint64_t offset,
              struct fusion_error *err)
{
    const char *why = json_error_code(jerr) == json_error_numeric_overflow
                          ? "a number too large for STIX (integers lie "
                            "within +-(2^53-1))"
                          : "a string with a NUL character (\\u0000)";
    enum fusion_err rc;

    fusion_stix_report_clear(&p->rep);
    rc = fusion_stix_report_add(
        &p->rep, FUSION_STIX_ERROR, "", "holds %s at byte %llu", why,
        (unsigned long long)(offset + (uint64_t)jerr->position));
    return rc ? fusion_error_set(err, rc, "out of memory")
              : rejected(p, NULL, NULL, err);
}

static enum fusion_err
on_element(void *ctx, const char *text, size_t len, uint64_t offset,
           uint64_t line, struct fusion_error *err)
{
    struct pipeline *p = ctx;
    json_error_t jerr;
    json_t *obj;
    enum fusion_err rc;

    p->offset = offset;
    p->line = line;
    if (++p->counts->objects > p->opt->limits.max_objects) {
        fusion_error_set_at(err, FUSION_ERR_LIMIT, offset,
                            "more objects in one input than the object "
                            "count limit of %llu",
                            (unsigned long long)p->opt->limits.max_objects);
        if (err)
            err->line = line;
        return FUSION_ERR_LIMIT;
    }
    obj =
        json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!obj && value_refused(&jerr))
        return refused_value(p, &jerr, offset, err);
    if (!obj) {
        fusion_error_set_at(
            err, FUSION_ERR_INVALID,
            offset + (uint64_t)(jerr.position > 0 ? jerr.position - 1 : 0),
            "%s", jerr.text);
        if (err) {
            err->line = line + (uint64_t)(jerr.line > 0 ? jerr.line - 1 : 0);
            err->column = jerr.line <= 1 ? 0 : (uint64_t)jerr.column;
        }
        return FUSION_ERR_INVALID;
    }
    if (!json_is_object(obj)) {
        fusion_stix_report_clear(&p->rep);
        rc = fusion_stix_report_add(&p->rep, FUSION_STIX_ERROR, "",
                                    "not a JSON object");
        if (!rc)
            rc = rejected(p, NULL, NULL, err);
    } else {
        rc = process_object(p, obj, err);
    }
    json_decref(obj);
    return rc;
}

static enum fusion_err
pipeline_init(struct pipeline *p, const struct fusion_ingest_options *opt,
              struct fusion_ingest_counts *counts, struct ingest_queue *queue)
{
    memset(p, 0, sizeof(*p));
    memset(counts, 0, sizeof(*counts));
    p->opt = opt;
    p->counts = counts;
    p->queue = queue;
    fusion_stix_report_init(&p->rep);
    fusion_buf_init(&p->text, opt->limits.max_object_bytes);
    fusion_buf_init(&p->keys.pool, 0);
    p->lifted = json_array();
    return p->lifted ? FUSION_OK : FUSION_ERR_NOMEM;
}

static void
free_batch(struct ingest_batch *b)
{
    if (!b)
        return;
    ingest_batch_release(b);
    fusion_free(b);
}

static void
pipeline_release(struct pipeline *p)
{
    fusion_stix_report_release(&p->rep);
    fusion_buf_release(&p->text);
    fusion_buf_release(&p->keys.pool);
    fusion_free(p->keys.offsets);
    json_decref(p->lifted);
    /* with a queue, the batches are the queue's */
    if (!p->queue) {
        for (size_t i = 0; i < p->nheld; i++)
            free_batch(p->held[i]);
        free_batch(p->batch);
    }
    fusion_free(p->held);
}

/* The checking side: on its own thread, or first on the calling one. */
struct producer {
    struct pipeline p;
    const struct ingest_source *src;
    struct fusion_error err;
    enum fusion_err rc;
};

/* Reads the whole input; the last batch is handed over too. */
static enum fusion_err
read_input(struct producer *pr, struct fusion_error *err)
{
    struct pipeline *p = &pr->p;
    struct ingest_batch *b = NULL;
    enum fusion_err rc;

    rc = ingest_read_json(pr->src, &p->opt->limits, on_element, p,
                          &p->counts->bytes, err);
    if (p->batch) {
        b = p->batch;
        b->bytes_read = p->counts->bytes;
        p->batch = NULL;
        if (hand_over(p, b) && !rc)
            rc = fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    }
    return rc;
}

static void *
produce(void *arg)
{
    struct producer *pr = arg;

    pr->rc = read_input(pr, &pr->err);
    ingest_queue_close(pr->p.queue);
    return NULL;
}

/* The storing side, on the calling thread. */
struct consumer {
    struct fusion_store *store;
    const struct fusion_ingest_options *opt;
    struct fusion_ingest_counts counts;
    struct fusion_store_key *keys;
    size_t keys_cap;
    uint64_t next_progress;
};

static void
note_rec(struct consumer *c, const struct ingest_batch *b,
         const struct ingest_rec *rec, enum fusion_ingest_event event,
         const char *path, const char *message)
{
    struct fusion_ingest_note note = {
        .event = event,
        .object_id = rec->id == SIZE_MAX ? NULL : b->pool.data + rec->id,
        .offset = rec->offset,
        .line = rec->line,
        .path = path,
        .message = message,
    };

    if (c->opt->note)
        c->opt->note(c->opt->ctx, &note);
}

static void
outcome_rec(struct consumer *c, const struct ingest_batch *b,
            const struct ingest_rec *rec, enum fusion_ingest_outcome_kind kind,
            const char *message, bool conflict)
{
    const char *pool = b->pool.data;
    struct fusion_ingest_outcome outcome = {
        .kind = kind,
        .object_id = rec->id == SIZE_MAX ? NULL : pool + rec->id,
        .version =
            rec->version_text == SIZE_MAX ? NULL : pool + rec->version_text,
        .offset = rec->offset,
        .line = rec->line,
        .message = message,
        .conflict = conflict,
    };

    assert(c->opt->outcome);
    c->opt->outcome(c->opt->ctx, &outcome);
}

/* Counts what the store did; returns why it did not store, or NULL. */
static const char *
count_put(struct consumer *c, const struct ingest_batch *b,
          const struct ingest_rec *rec, enum fusion_store_put_result result)
{
    const char *why = NULL;

    switch (result) {
    case FUSION_STORE_NEW_OBJECT:
        c->counts.new_objects++;
        break;
    case FUSION_STORE_NEW_VERSION:
        c->counts.new_versions++;
        break;
    case FUSION_STORE_DUPLICATE:
        c->counts.duplicates++;
        break;
    case FUSION_STORE_CONFLICT:
        c->counts.conflicts++;
        why = rec->version ? "another object with this id and modified time "
                             "is stored already; the stored one is kept"
                           : "this observable is stored already with other "
                             "properties; the stored one is kept";
        note_rec(c, b, rec, FUSION_INGEST_CONFLICT, "", why);
        break;
    case FUSION_STORE_REVOKED:
        c->counts.rejected++;
        why = "newer than the revocation of this object: a revoked object "
              "takes no further versions";
        note_rec(c, b, rec, FUSION_INGEST_REJECTED, "modified", why);
        break;
    }
    return why;
}

static enum fusion_err
put_rec(struct consumer *c, const struct ingest_batch *b,
        const struct ingest_rec *rec, struct fusion_error *err)
{
    const char *pool = b->pool.data;
    struct fusion_store_object so = {
        .id = pool + rec->id,
        .type = pool + rec->type,
        .spec_version = pool + rec->spec,
        .version = rec->version,
        .revoked = rec->revoked,
        .json = pool + rec->json,
        .json_len = rec->json_len,
        .nkeys = rec->nkeys,
        .collections = c->opt->collections,
        .ncollections = c->opt->ncollections,
    };
    enum fusion_store_put_result result;
    enum fusion_ingest_outcome_kind kind;
    const char *why;
    enum fusion_err rc;

    assert(rec->kind == INGEST_REC_PUT && rec->id < b->pool.len);
    assert(rec->keys + rec->nkeys <= b->nkeys);
    if (rec->nkeys > c->keys_cap) {
        struct fusion_store_key *keys;

        keys = fusion_realloc(c->keys, rec->nkeys * sizeof(*keys));
        if (!keys)
            return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
        c->keys = keys;
        c->keys_cap = rec->nkeys;
    }
    for (size_t i = 0; i < rec->nkeys; i++) {
        c->keys[i].type = pool + b->keys[2 * (rec->keys + i)];
        c->keys[i].value = pool + b->keys[2 * (rec->keys + i) + 1];
    }
    so.keys = c->keys;
    rc = fusion_store_put(c->store, &so, &result, err);
    if (rc)
        return rc;
    why = count_put(c, b, rec, result);
    if (!rec->outcome)
        return FUSION_OK;
    if (why)
        kind = FUSION_INGEST_FAILED;
    else if (result == FUSION_STORE_DUPLICATE)
        kind = FUSION_INGEST_DUPLICATE;
    else
        kind = FUSION_INGEST_STORED;
    outcome_rec(c, b, rec, kind, why, result == FUSION_STORE_CONFLICT);
    return FUSION_OK;
}

static enum fusion_err
consume_batch(struct consumer *c, const struct ingest_batch *b,
              struct fusion_error *err)
{
    enum fusion_err rc;

    assert(b->n <= b->cap);
    for (size_t i = 0; i < b->n; i++) {
        const struct ingest_rec *rec = &b->recs[i];

        switch (rec->kind) {
        case INGEST_REC_NOTE:
            note_rec(c, b, rec, rec->event, b->pool.data + rec->type,
                     b->pool.data + rec->spec);
            break;
        case INGEST_REC_FAILED:
            outcome_rec(c, b, rec, FUSION_INGEST_FAILED,
                        b->pool.data + rec->spec, false);
            break;
        case INGEST_REC_PUT:
            rc = put_rec(c, b, rec, err);
            if (rc)
                return rc;
            break;
        }
    }
    if (c->opt->progress && b->bytes_read >= c->next_progress) {
        c->next_progress = b->bytes_read + ((uint64_t)4 << 20);
        c->opt->progress(c->opt->ctx, b->bytes_read,
                         c->counts.new_objects + c->counts.new_versions +
                             c->counts.duplicates);
    }
    return FUSION_OK;
}

/* Stores every batch; after a failure only drains the queue. */
static enum fusion_err
consume(struct consumer *c, struct ingest_queue *queue,
        struct fusion_error *err)
{
    enum fusion_err rc = FUSION_OK;
    struct ingest_batch *b;

    while ((b = ingest_queue_pop(queue))) {
        if (!rc) {
            rc = consume_batch(c, b, err);
            if (rc)
                ingest_queue_stop(queue);
        }
        ingest_queue_recycle(queue, b);
    }
    return rc;
}

static void
merge_counts(struct fusion_ingest_counts *to,
             const struct fusion_ingest_counts *stored)
{
    to->new_objects = stored->new_objects;
    to->new_versions = stored->new_versions;
    to->duplicates = stored->duplicates;
    to->conflicts = stored->conflicts;
    to->rejected += stored->rejected;
}

static enum fusion_err
run_threads(struct consumer *c, struct producer *pr, struct ingest_queue *q,
            struct fusion_error *err)
{
    pthread_t thread;
    enum fusion_err rc;

    if (pthread_create(&thread, NULL, produce, pr) != 0)
        return fusion_error_set(err, FUSION_ERR_INTERNAL,
                                "cannot start the ingest thread");
    rc = consume(c, q, err);
    pthread_join(thread, NULL);
    if (!rc && pr->rc) {
        rc = pr->rc;
        if (err)
            *err = pr->err;
    }
    return rc;
}

/* Commits what the run stored, or rolls it back after a failure. */
static enum fusion_err
finish(struct fusion_store *store, enum fusion_err rc, struct fusion_error *err)
{
    if (rc) {
        fusion_store_rollback(store);
        return rc;
    }
    return fusion_store_commit(store, err);
}

/* Checking and storing at once, on two threads. */
static enum fusion_err
run_threaded(struct consumer *c, struct producer *pr, struct ingest_queue *q,
             struct fusion_error *err)
{
    enum fusion_err rc;

    rc = fusion_store_begin(c->store, &c->opt->source, err);
    if (rc)
        return rc;
    rc = run_threads(c, pr, q, err);
    return finish(c->store, rc, err);
}

/*
 * Checking everything first, then storing, on the calling thread: the
 * transaction is open only while storing, and never for an input that
 * fails to read.
 */
static enum fusion_err
run_inline(struct consumer *c, struct producer *pr, struct fusion_error *err)
{
    enum fusion_err rc;

    rc = read_input(pr, err);
    if (rc)
        return rc;
    rc = fusion_store_begin(c->store, &c->opt->source, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < pr->p.nheld && !rc; i++)
        rc = consume_batch(c, pr->p.held[i], err);
    return finish(c->store, rc, err);
}

static enum fusion_err
run(struct fusion_store *store, const struct ingest_source *src,
    const struct fusion_ingest_options *opt,
    struct fusion_ingest_counts *counts, struct fusion_error *err)
{
    struct fusion_ingest_counts local;
    struct consumer c = { .store = store, .opt = opt };
    struct producer *pr;
    struct ingest_queue *queue = NULL;
    bool inline_run = !src->f && src->mem_len <= INLINE_MAX_BYTES;
    enum fusion_err rc;

    if (!counts)
        counts = &local;
    pr = fusion_calloc(1, sizeof(*pr));
    if (!pr || (!inline_run && ingest_queue_new(&queue))) {
        fusion_free(pr);
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    }
    pr->src = src;
    rc = pipeline_init(&pr->p, opt, counts, queue);
    if (rc) {
        fusion_error_set(err, rc, "out of memory");
        goto out;
    }
    if (inline_run)
        rc = run_inline(&c, pr, err);
    else
        rc = run_threaded(&c, pr, queue, err);
    merge_counts(counts, &c.counts);
out:
    pipeline_release(&pr->p);
    ingest_queue_free(queue);
    fusion_free(c.keys);
    fusion_free(pr);
    return rc;
}

enum fusion_err
fusion_ingest_file(struct fusion_store *store, FILE *f,
                   const struct fusion_ingest_options *opt,
                   struct fusion_ingest_counts *counts,
                   struct fusion_error *err)
{
    struct ingest_source src = { .f = f, .envelope = opt->envelope };

    return run(store, &src, opt, counts, err);
}

enum fusion_err
fusion_ingest_buffer(struct fusion_store *store, const char *data, size_t len,
                     const struct fusion_ingest_options *opt,
                     struct fusion_ingest_counts *counts,
                     struct fusion_error *err)
{
    struct ingest_source src = {
        .mem = data,
        .mem_len = len,
        .envelope = opt->envelope,
    };

    return run(store, &src, opt, counts, err);
}
