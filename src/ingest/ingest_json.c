/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming JSON reader: splits an input into STIX objects without ever
 * holding more than one object (or, rarely, one document) in memory.
 */
#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ingest/ingest_int.h"

#define CHUNK_SIZE ((size_t)1 << 20)

struct reader {
    const struct ingest_source *src;
    const struct fusion_ingest_limits *limits;
    char *chunk;
    const char *data;
    size_t len;
    size_t pos;
    uint64_t base; /* input offset of data[0] */
    uint64_t line;
    bool eof;
    struct fusion_buf *cap; /* capture target, or NULL */
    size_t cap_from;
    uint64_t cap_offset; /* where the captured value starts */
    uint64_t cap_line;
    bool cap_document; /* capturing a whole document, not an object */
    size_t depth;
    ingest_element_fn fn;
    void *ctx;
    struct fusion_error *err;
    enum fusion_err rc;
};

static uint64_t
here(const struct reader *r)
{
    return r->base + r->pos;
}

static enum fusion_err
fail(struct reader *r, enum fusion_err code, uint64_t offset, uint64_t line,
     const char *msg)
{
    assert(code != FUSION_OK && msg);
    if (r->rc)
        return r->rc;
    fusion_error_set_at(r->err, code, offset, "%s", msg);
    if (r->err)
        r->err->line = line;
    r->rc = code;
    return code;
}

/* A capture that could not grow: too large, or out of memory. */
static enum fusion_err
capture_fail(struct reader *r, enum fusion_err rc)
{
    char msg[200];

    assert(rc != FUSION_OK);
    if (rc != FUSION_ERR_LIMIT)
        return fail(r, rc, here(r), r->line, "out of memory");
    if (r->cap_document)
        snprintf(msg, sizeof(msg),
                 "objects larger than the document limit of %zu bytes (the "
                 "objects of a bundle that lists them before its type, or of "
                 "a TAXII envelope, are held whole)",
                 r->limits->max_document_bytes);
    else
        snprintf(msg, sizeof(msg),
                 "object larger than the object size limit of %zu bytes",
                 r->limits->max_object_bytes);
    return fail(r, rc, r->cap_offset, r->cap_line, msg);
}

/* Flushes the captured span and loads the next chunk; false at the end. */
static bool
refill(struct reader *r)
{
    size_t n;

    assert(r->pos <= r->len);
    if (r->eof || r->rc)
        return false;
    if (r->cap && r->pos > r->cap_from) {
        enum fusion_err rc = fusion_buf_append(r->cap, r->data + r->cap_from,
                                               r->pos - r->cap_from);

        if (rc) {
            capture_fail(r, rc);
            return false;
        }
    }
    r->base += r->len;
    r->pos = 0;
    r->cap_from = 0;
    r->len = 0;
    if (!r->src->f) {
        r->eof = true;
        return false;
    }
    n = fread(r->chunk, 1, CHUNK_SIZE, r->src->f);
    if (n == 0) {
        if (ferror(r->src->f))
            fail(r, FUSION_ERR_IO, here(r), r->line, strerror(errno));
        r->eof = true;
        return false;
    }
    r->data = r->chunk;
    r->len = n;
    return true;
}

static int
peek(struct reader *r)
{
    assert(r->pos <= r->len);
    if (r->pos == r->len && !refill(r))
        return -1;
    return (unsigned char)r->data[r->pos];
}

static int
skip_ws(struct reader *r)
{
    int c;

    while ((c = peek(r)) >= 0) {
        if (c == '\n')
            r->line++;
        else if (c != ' ' && c != '\t' && c != '\r')
            break;
        r->pos++;
    }
    /* A UTF-8 byte order mark is tolerated before the first value. */
    if (c == 0xef && here(r) == r->src->base && r->len - r->pos >= 3 &&
        memcmp(r->data + r->pos, "\xef\xbb\xbf", 3) == 0) {
        r->pos += 3;
        return skip_ws(r);
    }
    return c;
}

static enum fusion_err
unexpected(struct reader *r, int c, const char *expected)
{
    char msg[160];

    if (c < 0)
        snprintf(msg, sizeof(msg), "unexpected end of input, expected %s",
                 expected);
    else if (c >= 0x20 && c < 0x7f)
        snprintf(msg, sizeof(msg), "expected %s, found '%c'", expected, c);
    else
        snprintf(msg, sizeof(msg), "expected %s, found byte 0x%02x", expected,
                 (unsigned)c);
    return fail(r, FUSION_ERR_INVALID, here(r), r->line, msg);
}

static void
capture_begin(struct reader *r, struct fusion_buf *buf)
{
    assert(buf);
    fusion_buf_clear(buf);
    r->cap = buf;
    r->cap_from = r->pos;
    r->cap_offset = here(r);
    r->cap_line = r->line;
    r->cap_document = false;
}

static enum fusion_err
capture_end(struct reader *r)
{
    enum fusion_err rc = FUSION_OK;

    assert(r->cap && r->cap_from <= r->pos);
    if (r->pos > r->cap_from)
        rc = fusion_buf_append(r->cap, r->data + r->cap_from,
                               r->pos - r->cap_from);
    if (rc)
        capture_fail(r, rc);
    r->cap = NULL;
    return r->rc;
}

static enum fusion_err
too_deep(struct reader *r)
{
    char msg[80];

    snprintf(msg, sizeof(msg), "JSON nested deeper than the depth limit of %zu",
             r->limits->max_depth);
    return fail(r, FUSION_ERR_LIMIT, here(r), r->line, msg);
}

/* Moves past the closing quote of a string whose opening quote is read. */
static bool
skip_string_body(struct reader *r)
{
    for (;;) {
        const char *p, *q;

        if (r->pos == r->len && !refill(r))
            return false;
        p = r->data + r->pos;
        q = memchr(p, '"', r->len - r->pos);
        if (!q) {
            const char *bs = memchr(p, '\\', r->len - r->pos);

            /* no quote here: a trailing backslash escapes the next byte */
            r->pos = r->len;
            if (bs && r->data[r->len - 1] == '\\') {
                size_t run = 0;

                while (run < r->len && r->data[r->len - 1 - run] == '\\')
                    run++;
                if (run % 2 == 1) {
                    if (!refill(r))
                        return false;
                    r->pos++;
                }
            }
            continue;
        }
        /* count the backslashes right before the quote */
        {
            size_t run = 0;
            const char *b = q;

            while (b > p && b[-1] == '\\') {
                b--;
                run++;
            }
            r->pos = (size_t)(q - r->data) + 1;
            if (run % 2 == 0)
                return true;
        }
    }
}

/*
 * Moves past one whole JSON value, checking nesting against the depth
 * limit. Bracket balance is all it checks: jansson parses the captured
 * text afterwards and reports the finer faults with their position.
 */
static enum fusion_err
skip_value(struct reader *r)
{
    size_t depth = 0;
    int c;

    for (;;) {
        c = peek(r);
        if (c < 0)
            return r->rc ? r->rc
                         : fail(r, FUSION_ERR_INVALID, here(r), r->line,
                                "unexpected end of input inside a value "
                                "(truncated JSON?)");
        if (c == '"') {
            r->pos++;
            if (!skip_string_body(r))
                return r->rc ? r->rc
                             : fail(r, FUSION_ERR_INVALID, here(r), r->line,
                                    "unexpected end of input inside a string "
                                    "(truncated JSON?)");
            if (depth == 0)
                return FUSION_OK;
            continue;
        }
        if (c == '{' || c == '[') {
            if (r->depth + ++depth > r->limits->max_depth)
                return too_deep(r);
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return FUSION_OK;
            depth--;
            if (depth == 0) {
                r->pos++;
                return FUSION_OK;
            }
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' ||
                                  c == '\r' || c == '\n')) {
            return FUSION_OK;
        } else if (c == '\n') {
            r->line++;
        }
        r->pos++;
    }
}

static enum fusion_err
emit(struct reader *r, struct fusion_buf *text, uint64_t offset, uint64_t line)
{
    enum fusion_err rc;

    assert(r->fn && text);
    rc = r->fn(r->ctx, text->data, text->len, offset, line, r->err);
    if (rc)
        r->rc = rc;
    return rc;
}

/* Reads "[ value, ... ]" and emits every element. */
static enum fusion_err
read_array(struct reader *r, struct fusion_buf *elem)
{
    int c;

    assert(r->pos < r->len && r->data[r->pos] == '[');
    r->pos++;
    r->depth++;
    if (r->depth > r->limits->max_depth)
        return too_deep(r);
    c = skip_ws(r);
    if (c == ']') {
        r->pos++;
        r->depth--;
        return FUSION_OK;
    }
    for (;;) {
        uint64_t offset = here(r), line = r->line;

        if (c < 0)
            return unexpected(r, c, "an object");
        capture_begin(r, elem);
        if (skip_value(r) || capture_end(r))
            return r->rc;
        if (elem->len == 0)
            return unexpected(r, peek(r), "a value");
        if (emit(r, elem, offset, line))
            return r->rc;
        c = skip_ws(r);
        if (c == ']')
            break;
        if (c != ',')
            return unexpected(r, c, "',' or ']'");
        r->pos++;
        c = skip_ws(r);
    }
    assert(r->depth > 0);
    r->pos++;
    r->depth--;
    return FUSION_OK;
}

/* The members of a top-level object other than a streamed "objects". */
struct top_object {
    struct fusion_buf head;     /* the object's text without "objects" */
    struct fusion_buf deferred; /* "objects" seen before "type" */
    uint64_t deferred_offset;
    uint64_t deferred_line;
    uint64_t more_offset; /* where the values of "more" and "next" start */
    uint64_t more_line;
    uint64_t next_offset;
    uint64_t next_line;
    bool is_bundle;
    bool type_seen;
    bool objects_seen;
    bool objects_array;
    bool has_deferred;
    bool more_bad; /* "more" is not a boolean */
    bool next_bad; /* "next" is not a string */
};

static bool
key_is(const struct fusion_buf *key, const char *name)
{
    size_t n = strlen(name);

    assert(key);
    return key->len == n + 2 && memcmp(key->data + 1, name, n) == 0;
}

static bool
value_is(const struct fusion_buf *value, const char *text)
{
    size_t n = strlen(text);

    return value->len == n && memcmp(value->data, text, n) == 0;
}

/*
 * With the envelope option a "type" member means the input is not an
 * envelope; naming the type tells a bundle from an object.
 */
static enum fusion_err
not_envelope(struct reader *r, const struct fusion_buf *value, uint64_t offset,
             uint64_t line)
{
    char msg[200];
    int n = value->len > 64 ? 64 : (int)value->len;

    snprintf(msg, sizeof(msg),
             "expected a TAXII envelope, found an object with \"type\": %.*s%s",
             n, value->data, value->len > 64 ? "..." : "");
    return fail(r, FUSION_ERR_INVALID, offset, line, msg);
}

/* Remembers what the members that tell the kind of the object hold. */
static enum fusion_err
note_member(struct reader *r, struct top_object *top,
            const struct fusion_buf *key, const struct fusion_buf *value,
            uint64_t offset, uint64_t line)
{
    if (key_is(key, "type")) {
        if (r->src->envelope)
            return not_envelope(r, value, offset, line);
        top->type_seen = true;
        top->is_bundle = value_is(value, "\"bundle\"");
    } else if (key_is(key, "more")) {
        top->more_offset = offset;
        top->more_line = line;
        top->more_bad = !value_is(value, "true") && !value_is(value, "false");
    } else if (key_is(key, "next")) {
        top->next_offset = offset;
        top->next_line = line;
        top->next_bad = value->data[0] != '"';
    }
    return FUSION_OK;
}

static enum fusion_err
append_member(struct reader *r, struct top_object *top,
              const struct fusion_buf *key, const struct fusion_buf *value)
{
    enum fusion_err rc;

    rc = fusion_buf_putc(&top->head, top->head.len > 1 ? ',' : ' ');
    if (!rc)
        rc = fusion_buf_append(&top->head, key->data, key->len);
    if (!rc)
        rc = fusion_buf_putc(&top->head, ':');
    if (!rc)
        rc = fusion_buf_append(&top->head, value->data, value->len);
    if (rc)
        return fail(r, rc, here(r), r->line,
                    rc == FUSION_ERR_LIMIT
                        ? "object larger than the object size limit"
                        : "out of memory");
    return FUSION_OK;
}

/*
 * An "objects" array is streamed when the object is known to be a
 * bundle, or must be an envelope; before "type" it is held whole until
 * the end of the object tells a bundle or an envelope (no "type") from a
 * STIX object that has a property of that name.
 */
static enum fusion_err
read_objects(struct reader *r, struct top_object *top, struct fusion_buf *value)
{
    top->objects_array = true;
    if ((top->type_seen && top->is_bundle) || r->src->envelope)
        return read_array(r, value);
    assert(!top->type_seen && !top->has_deferred);
    top->has_deferred = true;
    top->deferred_offset = here(r);
    top->deferred_line = r->line;
    capture_begin(r, &top->deferred);
    r->cap_document = true;
    if (skip_value(r) || capture_end(r))
        return r->rc;
    return FUSION_OK;
}

static enum fusion_err
read_member_value(struct reader *r, struct top_object *top,
                  const struct fusion_buf *key, struct fusion_buf *value)
{
    uint64_t offset = here(r), line = r->line;

    if (key_is(key, "objects")) {
        /* a second "objects" would be read as more of the same list */
        if (top->objects_seen)
            return fail(r, FUSION_ERR_INVALID, offset, line,
                        "duplicate member \"objects\"");
        top->objects_seen = true;
        if (peek(r) == '[' && (!top->type_seen || top->is_bundle))
            return read_objects(r, top, value);
    }
    capture_begin(r, value);
    if (skip_value(r) || capture_end(r))
        return r->rc;
    if (value->len == 0)
        return unexpected(r, peek(r), "a value");
    if (note_member(r, top, key, value, offset, line))
        return r->rc;
    return append_member(r, top, key, value);
}

static enum fusion_err
read_members(struct reader *r, struct top_object *top, struct fusion_buf *key,
             struct fusion_buf *value)
{
    int c = skip_ws(r);

    if (c == '}')
        return FUSION_OK;
    for (;;) {
        if (c != '"')
            return unexpected(r, c, "a member name");
        capture_begin(r, key);
        if (skip_value(r) || capture_end(r))
            return r->rc;
        c = skip_ws(r);
        if (c != ':')
            return unexpected(r, c, "':'");
        r->pos++;
        if (skip_ws(r) < 0)
            return unexpected(r, -1, "a value");
        if (read_member_value(r, top, key, value))
            return r->rc;
        c = skip_ws(r);
        if (c == '}')
            return FUSION_OK;
        if (c != ',')
            return unexpected(r, c, "',' or '}'");
        r->pos++;
        c = skip_ws(r);
    }
}

/*
 * The members of a bundle or envelope other than its objects must be
 * well-formed JSON too, and "objects", when present, an array.
 */
static enum fusion_err
check_head(struct reader *r, const struct fusion_buf *head, const char *what,
           uint64_t offset, uint64_t line)
{
    json_error_t jerr;
    json_t *doc;
    char msg[300];

    doc = json_loadb(head->data, head->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        snprintf(msg, sizeof(msg), "invalid %s: %s", what, jerr.text);
        return fail(r, FUSION_ERR_INVALID, offset, line, msg);
    }
    if (json_object_get(doc, "objects")) {
        json_decref(doc);
        snprintf(msg, sizeof(msg), "invalid %s: \"objects\" must be an array",
                 what);
        return fail(r, FUSION_ERR_INVALID, offset, line, msg);
    }
    json_decref(doc);
    return FUSION_OK;
}

/* TAXII 2.1 section 3.7 types "more" and "next"; the rest is ignored. */
static enum fusion_err
check_envelope(struct reader *r, const struct top_object *top, uint64_t offset,
               uint64_t line)
{
    if (check_head(r, &top->head, "TAXII envelope", offset, line))
        return r->rc;
    if (top->more_bad)
        return fail(r, FUSION_ERR_INVALID, top->more_offset, top->more_line,
                    "invalid TAXII envelope: \"more\" must be true or false");
    if (top->next_bad)
        return fail(r, FUSION_ERR_INVALID, top->next_offset, top->next_line,
                    "invalid TAXII envelope: \"next\" must be a string");
    return FUSION_OK;
}

static enum fusion_err
read_deferred(struct reader *r, struct top_object *top)
{
    struct ingest_source sub = {
        .mem = top->deferred.data,
        .mem_len = top->deferred.len,
        .base = top->deferred_offset,
        .line = top->deferred_line,
        .depth = r->depth + 1,
    };
    enum fusion_err rc;

    /* the error stops this reader too, the same as a streamed element's */
    rc = ingest_read_json(&sub, r->limits, r->fn, r->ctx, NULL, r->err);
    if (rc)
        r->rc = rc;
    return rc;
}

/* The held "objects" go back into the text of a single STIX object. */
static enum fusion_err
splice_deferred(struct reader *r, struct top_object *top, uint64_t offset,
                uint64_t line)
{
    enum fusion_err rc;

    rc = fusion_buf_puts(&top->head,
                         top->head.len > 1 ? ",\"objects\":" : "\"objects\":");
    if (!rc)
        rc = fusion_buf_append(&top->head, top->deferred.data,
                               top->deferred.len);
    if (rc)
        return fail(r, rc, offset, line,
                    "object larger than the object size limit");
    return FUSION_OK;
}

/*
 * A top-level object is a bundle or a TAXII envelope (no "type", an
 * "objects" array), whose objects are streamed one by one, or a single
 * STIX object. Key order is free, so "objects" may come before "type";
 * such an array is held whole (up to the document limit) until the end
 * of the object says which it was.
 */
static enum fusion_err
read_object(struct reader *r, struct fusion_buf *key, struct fusion_buf *value)
{
    struct top_object top = { 0 };
    uint64_t offset = here(r), line = r->line;
    bool envelope;
    enum fusion_err rc;

    fusion_buf_init(&top.head, r->limits->max_object_bytes);
    fusion_buf_init(&top.deferred, r->limits->max_document_bytes);
    rc = fusion_buf_putc(&top.head, '{');
    if (rc) {
        fail(r, rc, offset, line, "out of memory");
        goto out;
    }
    r->pos++;
    r->depth++;
    rc = read_members(r, &top, key, value);
    if (rc)
        goto out;
    assert(r->depth > 0);
    r->pos++;
    r->depth--;
    envelope = r->src->envelope || (!top.type_seen && top.objects_array);
    if (top.has_deferred && (top.is_bundle || envelope))
        rc = read_deferred(r, &top);
    else if (top.has_deferred)
        rc = splice_deferred(r, &top, offset, line);
    if (rc)
        goto out;
    rc = fusion_buf_putc(&top.head, '}');
    if (rc) {
        fail(r, rc, offset, line, "object larger than the object size limit");
        goto out;
    }
    if (top.is_bundle)
        rc = check_head(r, &top.head, "bundle", offset, line);
    else if (envelope)
        rc = check_envelope(r, &top, offset, line);
    else
        rc = emit(r, &top.head, offset, line);
out:
    fusion_buf_release(&top.head);
    fusion_buf_release(&top.deferred);
    return r->rc ? r->rc : rc;
}

static enum fusion_err
read_values(struct reader *r)
{
    struct fusion_buf key, value;
    int c;
    unsigned documents = 0;

    fusion_buf_init(&key, r->limits->max_object_bytes);
    fusion_buf_init(&value, r->limits->max_object_bytes);
    while (!r->rc && (c = skip_ws(r)) >= 0) {
        enum fusion_err rc;

        if (r->src->envelope && documents > 0)
            rc = unexpected(r, c,
                            "the end of the input after the TAXII envelope");
        else if (r->src->envelope && c != '{')
            rc = unexpected(r, c, "a TAXII envelope (a JSON object)");
        else if (c == '[')
            rc = read_array(r, &value);
        else if (c == '{')
            rc = read_object(r, &key, &value);
        else
            rc = unexpected(r, c, "a JSON object or array");
        /* a failure must end the loop, which would read on from r->pos */
        if (rc && !r->rc)
            fail(r, rc, here(r), r->line, fusion_strerror(rc));
        documents++;
    }
    if (!r->rc && documents == 0 && r->src->depth == 0)
        fail(r, FUSION_ERR_INVALID, here(r), r->line,
             "empty input: no JSON value");
    fusion_buf_release(&key);
    fusion_buf_release(&value);
    return r->rc;
}

enum fusion_err
ingest_read_json(const struct ingest_source *src,
                 const struct fusion_ingest_limits *limits,
                 ingest_element_fn fn, void *ctx, uint64_t *bytes_out,
                 struct fusion_error *err)
{
    struct reader r = {
        .src = src,
        .limits = limits,
        .base = src->base,
        .line = src->line ? src->line : 1,
        .depth = src->depth,
        .fn = fn,
        .ctx = ctx,
        .err = err,
    };

    assert(limits && fn);
    if (src->f) {
        r.chunk = fusion_malloc(CHUNK_SIZE);
        if (!r.chunk)
            return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    } else {
        r.data = src->mem;
        r.len = src->mem_len;
    }
    read_values(&r);
    if (bytes_out)
        *bytes_out = here(&r) - src->base;
    fusion_free(r.chunk);
    return r.rc;
}
