/* SPDX-License-Identifier: Apache-2.0 */
/* JSON of the TAXII 2.1 resources (section 3.6, 3.7, 4, 5). */
#include "taxii/taxii.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS_MICRO_DIGITS 6

static void truncate_to(struct fusion_buf *out, size_t mark);
static bool is_b64url_text(const char *s);

/* Appends the compact text of v (consumed) to out, or nothing on failure. */
static enum fusion_err
emit(json_t *v, struct fusion_buf *out)
{
    enum fusion_err rc;
    char *text;

    if (!v)
        return FUSION_ERR_NOMEM;
    text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(v);
    if (!text)
        return FUSION_ERR_NOMEM;
    rc = fusion_buf_puts(out, text);
    free(text);
    return rc;
}

/* Sets obj[key] to a string when s is not NULL; false on no memory. */
static bool
set_opt_str(json_t *obj, const char *key, const char *s)
{
    return !s || json_object_set_new(obj, key, json_string(s)) == 0;
}

static bool
set_new(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0;
}

static json_t *
str_array(const char *const *s, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, json_string(s[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *
ts_string(int64_t ns)
{
    char text[FUSION_TAXII_TS_LEN];

    fusion_taxii_ts_format(ns, text);
    return json_string(text);
}

void
fusion_taxii_ts_format(int64_t ns, char *out)
{
    char text[FUSION_TS_MAX];
    size_t len;

    /*
     * Section 2: timestamps carry exactly microsecond precision. An int64
     * of nanoseconds spans the years 1677 to 2262, so the text is always
     * 27 bytes; the bound only guards the copy.
     */
    fusion_ts_format(ns, TS_MICRO_DIGITS, text);
    len = strlen(text);
    if (len >= FUSION_TAXII_TS_LEN)
        len = FUSION_TAXII_TS_LEN - 1;
    memcpy(out, text, len);
    out[len] = '\0';
}

static enum fusion_err
missing(struct fusion_error *err, const char *resource, const char *field)
{
    return fusion_error_set(err, FUSION_ERR_INVALID,
                            "invalid %s resource: '%s' is required", resource,
                            field);
}

enum fusion_err
fusion_taxii_error_json(const struct fusion_taxii_error_info *info,
                        struct fusion_buf *out, struct fusion_error *err)
{
    char status[16];
    json_t *o;

    if (!info->title)
        return missing(err, "error", "title");
    if (info->http_status &&
        (info->http_status < 100 || info->http_status > 599))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid error resource: http_status %u",
                                info->http_status);
    if (info->details && !json_is_object(info->details))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid error resource: details must be "
                                "an object");

    o = json_object();
    /* Section 3.6.1: http_status is a string equal to the status. */
    snprintf(status, sizeof(status), "%u", info->http_status);
    if (!o || !set_opt_str(o, "title", info->title) ||
        !set_opt_str(o, "description", info->description) ||
        !set_opt_str(o, "error_id", info->error_id) ||
        !set_opt_str(o, "error_code", info->error_code) ||
        !set_opt_str(o, "http_status", info->http_status ? status : NULL) ||
        !set_opt_str(o, "external_details", info->external_details) ||
        (info->details &&
         !set_new(o, "details", json_deep_copy(info->details)))) {
        json_decref(o);
        return FUSION_ERR_NOMEM;
    }
    return emit(o, out);
}

/* Section 4.1.1: absolute https URL, or "/path" without "//" or "../". */
static bool
is_api_root_url(const char *u)
{
    if (strchr(u, '?'))
        return false;
    if (strncmp(u, "https://", 8) == 0)
        return u[8] != '\0' && u[8] != '/';
    return u[0] == '/' && u[1] != '/';
}

static enum fusion_err
check_discovery(const struct fusion_taxii_discovery *d,
                struct fusion_error *err)
{
    bool default_listed = d->default_root == NULL;

    if (!d->title)
        return missing(err, "discovery", "title");
    for (size_t i = 0; i < d->n_api_roots; i++) {
        if (!is_api_root_url(d->api_roots[i]))
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "invalid discovery resource: api root "
                                    "'%s' must be https or start with one '/'",
                                    d->api_roots[i]);
        if (d->default_root && strcmp(d->default_root, d->api_roots[i]) == 0)
            default_listed = true;
    }
    if (!default_listed)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid discovery resource: default '%s' is "
                                "not in api_roots",
                                d->default_root);
    return FUSION_OK;
}

enum fusion_err
fusion_taxii_discovery_json(const struct fusion_taxii_discovery *d,
                            struct fusion_buf *out, struct fusion_error *err)
{
    enum fusion_err rc = check_discovery(d, err);
    json_t *o;

    if (rc != FUSION_OK)
        return rc;
    o = json_object();
    if (!o || !set_opt_str(o, "title", d->title) ||
        !set_opt_str(o, "description", d->description) ||
        !set_opt_str(o, "contact", d->contact) ||
        !set_opt_str(o, "default", d->default_root) ||
        (d->n_api_roots &&
         !set_new(o, "api_roots", str_array(d->api_roots, d->n_api_roots)))) {
        json_decref(o);
        return FUSION_ERR_NOMEM;
    }
    return emit(o, out);
}

enum fusion_err
fusion_taxii_api_root_json(const struct fusion_taxii_api_root *r,
                           struct fusion_buf *out, struct fusion_error *err)
{
    static const char *const versions[] = { FUSION_TAXII_MEDIA_TAXII21 };
    json_t *o;

    if (!r->title)
        return missing(err, "api-root", "title");
    /* Section 2: integers stay within 2^53 - 1; section 4.2.1: above 0. */
    if (r->max_content_length == 0 ||
        r->max_content_length > (UINT64_C(1) << 53) - 1)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid api-root resource: "
                                "max_content_length out of range");
    o = json_object();
    if (!o || !set_opt_str(o, "title", r->title) ||
        !set_opt_str(o, "description", r->description) ||
        !set_new(o, "versions", str_array(versions, 1)) ||
        !set_new(o, "max_content_length",
                 json_integer((json_int_t)r->max_content_length))) {
        json_decref(o);
        return FUSION_ERR_NOMEM;
    }
    return emit(o, out);
}

static enum fusion_err
collection_obj(const struct fusion_taxii_collection *c, json_t **out,
               struct fusion_error *err)
{
    int version = 0;
    json_t *o;

    if (!c->id)
        return missing(err, "collection", "id");
    if (!c->title)
        return missing(err, "collection", "title");
    /* Section 2: an identifier is a version 4 UUID. */
    if (!fusion_uuid_is_valid(c->id, strlen(c->id), &version) || version != 4)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid collection resource: id '%s' is not "
                                "a version 4 UUID",
                                c->id);
    o = json_object();
    if (!o || !set_opt_str(o, "id", c->id) ||
        !set_opt_str(o, "title", c->title) ||
        !set_opt_str(o, "description", c->description) ||
        !set_opt_str(o, "alias", c->alias) ||
        !set_new(o, "can_read", json_boolean(c->can_read)) ||
        !set_new(o, "can_write", json_boolean(c->can_write)) ||
        (c->n_media_types &&
         !set_new(o, "media_types",
                  str_array(c->media_types, c->n_media_types)))) {
        json_decref(o);
        return FUSION_ERR_NOMEM;
    }
    *out = o;
    return FUSION_OK;
}

enum fusion_err
fusion_taxii_collection_json(const struct fusion_taxii_collection *c,
                             struct fusion_buf *out, struct fusion_error *err)
{
    json_t *o;
    enum fusion_err rc = collection_obj(c, &o, err);

    return rc == FUSION_OK ? emit(o, out) : rc;
}

enum fusion_err
fusion_taxii_collections_json(const struct fusion_taxii_collection *c, size_t n,
                              struct fusion_buf *out, struct fusion_error *err)
{
    json_t *o = json_object(), *list = json_array(), *one = NULL;
    enum fusion_err rc = o && list ? FUSION_OK : FUSION_ERR_NOMEM;

    for (size_t i = 0; rc == FUSION_OK && i < n; i++) {
        rc = collection_obj(&c[i], &one, err);
        if (rc == FUSION_OK && json_array_append_new(list, one) != 0)
            rc = FUSION_ERR_NOMEM;
    }
    /* Section 5.1.1: no "collections" key when there are none (T-S-15). */
    if (rc == FUSION_OK && n > 0 && json_object_set(o, "collections", list))
        rc = FUSION_ERR_NOMEM;
    json_decref(list);
    if (rc != FUSION_OK) {
        json_decref(o);
        return rc;
    }
    return emit(o, out);
}

static json_t *
details_array(const struct fusion_taxii_status_detail *d, size_t n,
              struct fusion_error *err, enum fusion_err *rc)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++) {
        json_t *o;

        if (!d[i].id || !d[i].version) {
            *rc = missing(err, "status-details", d[i].id ? "version" : "id");
            json_decref(a);
            return NULL;
        }
        o = json_object();
        if (!o || !set_opt_str(o, "id", d[i].id) ||
            !set_opt_str(o, "version", d[i].version) ||
            !set_opt_str(o, "message", d[i].message) ||
            json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Adds key: list unless n is 0 (section 2: lists are never empty). */
static enum fusion_err
add_details(json_t *o, const char *key,
            const struct fusion_taxii_status_detail *d, size_t n,
            struct fusion_error *err)
{
    enum fusion_err rc = FUSION_ERR_NOMEM;
    json_t *a;

    if (n == 0)
        return FUSION_OK;
    a = details_array(d, n, err, &rc);
    if (!a)
        return rc;
    return json_object_set_new(o, key, a) == 0 ? FUSION_OK : FUSION_ERR_NOMEM;
}

static enum fusion_err
check_status(const struct fusion_taxii_status *s, struct fusion_error *err)
{
    const uint64_t max = (UINT64_C(1) << 53) - 1;
    int version = 0;

    if (!s->id)
        return missing(err, "status", "id");
    if (!fusion_uuid_is_valid(s->id, strlen(s->id), &version) || version != 4)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid status resource: id '%s' is not a "
                                "version 4 UUID",
                                s->id);
    if (s->success_count < s->n_successes || s->failure_count < s->n_failures ||
        s->pending_count < s->n_pendings || s->total_count > max ||
        s->success_count > max || s->failure_count > max ||
        s->pending_count > max ||
        s->total_count < s->success_count + s->failure_count + s->pending_count)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid status resource: inconsistent counts");
    return FUSION_OK;
}

enum fusion_err
fusion_taxii_status_json(const struct fusion_taxii_status *s,
                         struct fusion_buf *out, struct fusion_error *err)
{
    enum fusion_err rc = check_status(s, err);
    json_t *o;

    if (rc != FUSION_OK)
        return rc;
    o = json_object();
    if (!o || !set_opt_str(o, "id", s->id) ||
        !set_opt_str(o, "status", s->pending ? "pending" : "complete") ||
        (s->has_request_timestamp &&
         !set_new(o, "request_timestamp", ts_string(s->request_timestamp))) ||
        !set_new(o, "total_count", json_integer((json_int_t)s->total_count)) ||
        !set_new(o, "success_count",
                 json_integer((json_int_t)s->success_count))) {
        json_decref(o);
        return FUSION_ERR_NOMEM;
    }
    rc = add_details(o, "successes", s->successes, s->n_successes, err);
    if (rc == FUSION_OK && !set_new(o, "failure_count",
                                    json_integer((json_int_t)s->failure_count)))
        rc = FUSION_ERR_NOMEM;
    if (rc == FUSION_OK)
        rc = add_details(o, "failures", s->failures, s->n_failures, err);
    if (rc == FUSION_OK && !set_new(o, "pending_count",
                                    json_integer((json_int_t)s->pending_count)))
        rc = FUSION_ERR_NOMEM;
    if (rc == FUSION_OK)
        rc = add_details(o, "pendings", s->pendings, s->n_pendings, err);
    if (rc != FUSION_OK) {
        json_decref(o);
        return rc;
    }
    return emit(o, out);
}

/* "more" and "next" of a paged resource; "more" only with items or more. */
static bool
set_paging(json_t *o, size_t n, bool more, const char *next)
{
    if ((n > 0 || more) && !set_new(o, "more", json_boolean(more)))
        return false;
    return !more || set_opt_str(o, "next", next);
}

/* Appends s as a JSON string literal. */
static enum fusion_err
put_string(struct fusion_buf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    enum fusion_err rc = fusion_buf_putc(out, '"');
    const char *run = s;

    for (; rc == FUSION_OK && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
        size_t esc_len = sizeof(esc);

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            esc_len = 2;
        }
        rc = fusion_buf_append(out, run, (size_t)(s - run));
        if (rc == FUSION_OK)
            rc = fusion_buf_append(out, esc, esc_len);
        run = s + 1;
    }
    if (rc == FUSION_OK)
        rc = fusion_buf_append(out, run, (size_t)(s - run));
    if (rc == FUSION_OK)
        rc = fusion_buf_putc(out, '"');
    return rc;
}

static enum fusion_err
put_record(struct fusion_buf *out, const struct fusion_taxii_manifest_record *r)
{
    char ts[FUSION_TAXII_TS_LEN];
    enum fusion_err rc;

    fusion_taxii_ts_format(r->date_added, ts);
    rc = fusion_buf_puts(out, "{\"id\":");
    if (rc == FUSION_OK)
        rc = put_string(out, r->id);
    if (rc == FUSION_OK)
        rc = fusion_buf_printf(out, ",\"date_added\":\"%s\",\"version\":", ts);
    if (rc == FUSION_OK)
        rc = put_string(out, r->version);
    if (rc == FUSION_OK && r->media_type) {
        rc = fusion_buf_puts(out, ",\"media_type\":");
        if (rc == FUSION_OK)
            rc = put_string(out, r->media_type);
    }
    if (rc == FUSION_OK)
        rc = fusion_buf_putc(out, '}');
    return rc;
}

/*
 * Written as text, not through a JSON tree: a manifest page has up to
 * a page size of records, and this is the hot path of manifest reads.
 * next is base64url text (a cursor), which needs no escaping.
 */
enum fusion_err
fusion_taxii_manifest_json(const struct fusion_taxii_manifest_record *recs,
                           size_t n, bool more, const char *next,
                           struct fusion_buf *out, struct fusion_error *err)
{
    size_t mark = out->len;
    enum fusion_err rc = FUSION_OK;

    for (size_t i = 0; i < n; i++) {
        if (!recs[i].id || !recs[i].version)
            return missing(err, "manifest-record",
                           recs[i].id ? "version" : "id");
    }
    if (more && next && !is_b64url_text(next))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "invalid manifest resource: 'next' is not a "
                                "cursor");
    rc = fusion_buf_putc(out, '{');
    if (rc == FUSION_OK && (n > 0 || more))
        rc = fusion_buf_puts(out, more ? "\"more\":true" : "\"more\":false");
    if (rc == FUSION_OK && more && next)
        rc = fusion_buf_printf(out, ",\"next\":\"%s\"", next);
    for (size_t i = 0; rc == FUSION_OK && i < n; i++) {
        rc = fusion_buf_puts(out, i == 0 ? ",\"objects\":[" : ",");
        if (rc == FUSION_OK)
            rc = put_record(out, &recs[i]);
    }
    if (rc == FUSION_OK)
        rc = fusion_buf_puts(out, n > 0 ? "]}" : "}");
    if (rc != FUSION_OK)
        truncate_to(out, mark);
    return rc;
}

enum fusion_err
fusion_taxii_versions_json(const char *const *versions, size_t n, bool more,
                           struct fusion_buf *out, struct fusion_error *err)
{
    json_t *o = json_object();

    for (size_t i = 0; i < n; i++) {
        if (!versions[i]) {
            json_decref(o);
            return missing(err, "versions", "versions[]");
        }
    }
    if (!o || !set_paging(o, n, more, NULL) ||
        (n > 0 && !set_new(o, "versions", str_array(versions, n)))) {
        json_decref(o);
        return FUSION_ERR_NOMEM;
    }
    return emit(o, out);
}

/* Drops what was appended after mark, keeping the NUL terminator. */
static void
truncate_to(struct fusion_buf *out, size_t mark)
{
    out->len = mark;
    if (out->data)
        out->data[mark] = '\0';
}

static bool
is_b64url_text(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        char c = *s;

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/*
 * The envelope is framed as text so that stored objects are spliced in
 * byte for byte; only "next" needs care, and it is restricted to
 * characters that never need escaping in JSON.
 */
enum fusion_err
fusion_taxii_envelope_begin(struct fusion_taxii_envelope *env,
                            struct fusion_buf *out, bool more, const char *next)
{
    size_t mark = out->len;
    enum fusion_err rc;

    if (next && (!more || !is_b64url_text(next)))
        return FUSION_ERR_INVALID;
    env->out = out;
    env->n = 0;
    env->more = more;
    rc = fusion_buf_puts(out, more ? "{\"more\":true" : "{");
    if (rc == FUSION_OK && next)
        rc = fusion_buf_printf(out, ",\"next\":\"%s\"", next);
    if (rc != FUSION_OK)
        truncate_to(out, mark);
    return rc;
}

enum fusion_err
fusion_taxii_envelope_add(struct fusion_taxii_envelope *env,
                          const char *obj_json, size_t len)
{
    const char *sep = ",";
    size_t mark = env->out->len;
    enum fusion_err rc;

    if (env->n == 0)
        sep = env->more ? ",\"objects\":[" : "\"more\":false,\"objects\":[";
    rc = fusion_buf_puts(env->out, sep);
    if (rc == FUSION_OK)
        rc = fusion_buf_append(env->out, obj_json, len);
    if (rc != FUSION_OK) {
        truncate_to(env->out, mark);
        return rc;
    }
    env->n++;
    return FUSION_OK;
}

enum fusion_err
fusion_taxii_envelope_end(struct fusion_taxii_envelope *env)
{
    return fusion_buf_puts(env->out, env->n > 0 ? "]}" : "}");
}
