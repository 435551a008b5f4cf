/* SPDX-License-Identifier: Apache-2.0 */
/* The conformance programs' shared server, requests and resource checks. */
#include "server_checks.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

/* The shared server and its accounts (see the header). */
struct fixture *srv;
char alice[256];
char bob[256];
char carol[256];
char dave[256];

static unsigned ncollections;

int
srv_setup(void **state)
{
    char token[256];

    (void)state;
    srv = fixture_new(false);
    srv->shared = true;
    fixture_user(srv, "alice", "alice-password");
    fixture_user(srv, "bob", "bob-password");
    fixture_user(srv, "carol", "carol-password");
    fixture_user(srv, "dave", "dave-password");
    fixture_basic("alice", "alice-password", alice, sizeof(alice));
    fixture_token(srv, "bob", NULL, token, sizeof(token));
    fixture_bearer(token, bob, sizeof(bob));
    fixture_token(srv, "carol", NULL, token, sizeof(token));
    fixture_bearer(token, carol, sizeof(carol));
    fixture_token(srv, "dave", NULL, token, sizeof(token));
    fixture_bearer(token, dave, sizeof(dave));
    /* a small server page, so that its own limit can be reached */
    fixture_start(srv, FIXTURE_ARGS("--page-size", "100"));
    return 0;
}

int
srv_teardown(void **state)
{
    (void)state;
    fixture_stop(srv);
    fixture_free(srv);
    srv = NULL;
    return 0;
}

/*
 * Collections, requests and content
 */

/* A new collection that alice may read and write; its id into id. */
void
srv_new_collection(const char *name, char *alias, char *id)
{
    snprintf(alias, 64, "%s-%u", name, ncollections++);
    fixture_collection(srv, alias, id);
    fixture_grant(srv, "read", "alice", alias);
    fixture_grant(srv, "write", "alice", alias);
}

/* "/api/collections/COLL/" then the formatted rest, into out. */
__attribute__((format(printf, 3, 4))) char *
srv_path(char *out, const char *coll, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(out, PATH_LEN, "/api/collections/%s/", coll);

    va_start(ap, fmt);
    vsnprintf(out + n, PATH_LEN - (size_t)n, fmt, ap);
    va_end(ap);
    return out;
}

/* GET path as auth; fails unless status; the body's JSON, a new reference. */
json_t *
srv_get(const char *auth, const char *path, long status)
{
    struct fixture_reply r;
    json_t *v;

    fixture_get(srv, auth, path, &r);
    if (r.status != status)
        print_error("GET %s\n", path);
    fixture_expect(srv, &r, status);
    v = json_incref(r.json);
    fixture_reply_release(&r);
    return v;
}

/* A JSON array of the objects given, NULL-terminated; takes their references.
 */
json_t *
srv_objects(json_t *first, ...)
{
    json_t *a = json_array();
    va_list ap;

    va_start(ap, first);
    for (json_t *o = first; o; o = va_arg(ap, json_t *))
        json_array_append_new(a, o);
    va_end(ap);
    return a;
}

/* POSTs objects (reference taken) to coll as alice; the status resource. */
json_t *
srv_post_status(const char *coll, json_t *objects)
{
    char path[PATH_LEN];
    char *body = fixture_envelope(objects);
    struct fixture_reply r;
    json_t *status;

    fixture_post(srv, alice, srv_path(path, coll, "objects/"), body, &r);
    free(body);
    fixture_expect(srv, &r, 202);
    assert_non_null(r.json);
    status = json_incref(r.json);
    fixture_reply_release(&r);
    return status;
}

json_int_t
srv_int(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    if (!json_is_integer(v))
        fail_msg("'%s' is not an integer", key);
    return json_integer_value(v);
}

/* POSTs objects to coll as alice; each must be a success. */
void
srv_post_ok(const char *coll, json_t *objects)
{
    size_t n = json_array_size(objects);
    json_t *status = srv_post_status(coll, objects);

    if (srv_int(status, "failure_count") != 0)
        fail_msg("objects refused: %s",
                 json_dumps(json_object_get(status, "failures"), 0));
    assert_int_equal(srv_int(status, "success_count"), n);
    json_decref(status);
}

json_t *
srv_malware(uint32_t group, uint32_t n)
{
    char id[64];

    snprintf(id, sizeof(id), "malware--%08x-0000-4000-8000-%012x",
             (unsigned)group, (unsigned)n);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "type", "malware",
                     "spec_version", "2.1", "id", id, "created", T1, "modified",
                     T1, "name", "a malware", "is_family", 0);
}

/* An observable: neither created nor modified. */
json_t *
srv_observable(uint32_t group, uint32_t n)
{
    char id[64], value[32];

    snprintf(id, sizeof(id), "ipv4-addr--%08x-0000-5000-8000-%012x",
             (unsigned)group, (unsigned)n);
    snprintf(value, sizeof(value), "198.51.%u.%u", (unsigned)(group & 255),
             (unsigned)(n & 255));
    return json_pack("{s:s, s:s, s:s, s:s}", "type", "ipv4-addr",
                     "spec_version", "2.1", "id", id, "value", value);
}

/* A marking definition: created, but never modified. */
json_t *
srv_marking(uint32_t group, uint32_t n)
{
    char id[64];

    snprintf(id, sizeof(id), "marking-definition--%08x-0000-4000-8000-%012x",
             (unsigned)group, (unsigned)n);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "type",
                     "marking-definition", "spec_version", "2.1", "id", id,
                     "created", MARKING_CREATED, "name", "a statement",
                     "definition_type", "statement", "definition", "statement",
                     "Copyright example");
}

const char *
srv_id(json_t *item)
{
    return json_string_value(json_object_get(item, "id"));
}

/* An item's version: a manifest record's, else modified, else created. */
const char *
srv_version(json_t *item)
{
    const char *keys[] = { "version", "modified", "created" };

    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(item, keys[i]);

        if (v)
            return json_string_value(v);
    }
    return "";
}

/* The list of a resource (objects, versions, collections); NULL when none. */
json_t *
srv_items(json_t *res, const char *key)
{
    json_t *a = json_object_get(res, key);

    if (a && !json_is_array(a))
        fail_msg("'%s' is not a list", key);
    return a;
}

size_t
srv_count(json_t *res, const char *key)
{
    return json_array_size(srv_items(res, key));
}

/* How many of the objects (or records) of res have id and version. */
size_t
srv_count_matching(json_t *res, const char *id, const char *version)
{
    json_t *a = srv_items(res, "objects");
    size_t i, n = 0;
    json_t *o;

    json_array_foreach(a, i, o)
    {
        if (strcmp(srv_id(o), id) == 0 &&
            (!version || strcmp(srv_version(o), version) == 0))
            n++;
    }
    return n;
}

bool
srv_is_more(json_t *res)
{
    return json_is_true(json_object_get(res, "more"));
}

const char *
srv_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Whether the Content-Type of r is the TAXII 2.1 one, spaces and case aside. */
bool
srv_is_taxii_type(const struct fixture_reply *r)
{
    const char *ct = fixture_header(r, "Content-Type");
    char norm[128];
    size_t n = 0;

    for (; ct && *ct && n + 1 < sizeof(norm); ct++) {
        if (*ct != ' ')
            norm[n++] = *ct >= 'A' && *ct <= 'Z' ? (char)(*ct + 32) : *ct;
    }
    norm[n] = '\0';
    return ct && strcmp(norm, FIXTURE_TAXII) == 0;
}

/*
 * Resources, property by property (notes section 4)
 */

enum kind {
    K_STRING,
    K_BOOL,
    K_COUNT, /* an integer >= 0 */
    K_TIME,  /* a TAXII timestamp */
    K_STRINGS,
    K_OBJECTS,
    K_OBJECT,
};

struct prop {
    const char *name;
    enum kind kind;
    bool required;
    enum resource item; /* the resource of each K_OBJECTS item */
};

struct resource_def {
    const char *name;
    const struct prop *props;
    size_t nprops;
};

#define PROPS(a) a, sizeof(a) / sizeof(a[0])

static const struct prop discovery_props[] = {
    { "title", K_STRING, true, 0 },       { "description", K_STRING, false, 0 },
    { "contact", K_STRING, false, 0 },    { "default", K_STRING, false, 0 },
    { "api_roots", K_STRINGS, false, 0 },
};
static const struct prop api_root_props[] = {
    { "title", K_STRING, true, 0 },
    { "description", K_STRING, false, 0 },
    { "versions", K_STRINGS, true, 0 },
    { "max_content_length", K_COUNT, true, 0 },
};
static const struct prop status_props[] = {
    { "id", K_STRING, true, 0 },
    { "status", K_STRING, true, 0 },
    { "request_timestamp", K_TIME, false, 0 },
    { "total_count", K_COUNT, true, 0 },
    { "success_count", K_COUNT, true, 0 },
    { "successes", K_OBJECTS, false, R_STATUS_DETAIL },
    { "failure_count", K_COUNT, true, 0 },
    { "failures", K_OBJECTS, false, R_STATUS_DETAIL },
    { "pending_count", K_COUNT, true, 0 },
    { "pendings", K_OBJECTS, false, R_STATUS_DETAIL },
};
static const struct prop detail_props[] = {
    { "id", K_STRING, true, 0 },
    { "version", K_STRING, true, 0 },
    { "message", K_STRING, false, 0 },
};
static const struct prop collections_props[] = {
    { "collections", K_OBJECTS, false, R_COLLECTION },
};
static const struct prop collection_props[] = {
    { "id", K_STRING, true, 0 },
    { "title", K_STRING, true, 0 },
    { "description", K_STRING, false, 0 },
    { "alias", K_STRING, false, 0 },
    { "can_read", K_BOOL, true, 0 },
    { "can_write", K_BOOL, true, 0 },
    { "media_types", K_STRINGS, false, 0 },
};
/* "next" is not the specification's on a manifest, but the notes allow it */
static const struct prop manifest_props[] = {
    { "more", K_BOOL, false, 0 },
    { "next", K_STRING, false, 0 },
    { "objects", K_OBJECTS, false, R_MANIFEST_RECORD },
};
static const struct prop record_props[] = {
    { "id", K_STRING, true, 0 },
    { "date_added", K_TIME, true, 0 },
    { "version", K_STRING, true, 0 },
    { "media_type", K_STRING, false, 0 },
};
static const struct prop envelope_props[] = {
    { "more", K_BOOL, false, 0 },
    { "next", K_STRING, false, 0 },
    { "objects", K_OBJECTS, false, R_STIX },
};
static const struct prop versions_props[] = {
    { "more", K_BOOL, false, 0 },
    { "versions", K_STRINGS, false, 0 },
};
static const struct prop error_props[] = {
    { "title", K_STRING, true, 0 },
    { "description", K_STRING, false, 0 },
    { "error_id", K_STRING, false, 0 },
    { "error_code", K_STRING, false, 0 },
    { "http_status", K_STRING, false, 0 },
    { "external_details", K_STRING, false, 0 },
    { "details", K_OBJECT, false, 0 },
};

static const struct resource_def resources[] = {
    [R_DISCOVERY] = { "discovery", PROPS(discovery_props) },
    [R_API_ROOT] = { "api-root", PROPS(api_root_props) },
    [R_STATUS] = { "status", PROPS(status_props) },
    [R_STATUS_DETAIL] = { "status-details", PROPS(detail_props) },
    [R_COLLECTIONS] = { "collections", PROPS(collections_props) },
    [R_COLLECTION] = { "collection", PROPS(collection_props) },
    [R_MANIFEST] = { "manifest", PROPS(manifest_props) },
    [R_MANIFEST_RECORD] = { "manifest-record", PROPS(record_props) },
    [R_ENVELOPE] = { "envelope", PROPS(envelope_props) },
    [R_VERSIONS] = { "versions", PROPS(versions_props) },
    [R_ERROR] = { "error", PROPS(error_props) },
    [R_STIX] = { "STIX object", NULL, 0 },
};

static void
check_kind(json_t *v, const struct prop *p, const char *res, unsigned checks)
{
    size_t i;
    json_t *item;
    bool ok;

    switch (p->kind) {
    case K_STRING:
        ok = json_is_string(v);
        break;
    case K_BOOL:
        ok = json_is_boolean(v);
        break;
    case K_COUNT:
        ok = json_is_integer(v) && json_integer_value(v) >= 0;
        break;
    case K_TIME:
        ok = json_is_string(v) && fixture_is_taxii_time(json_string_value(v));
        break;
    case K_OBJECT:
        ok = json_is_object(v);
        break;
    case K_STRINGS:
    case K_OBJECTS:
        /* section 2: a list is never empty; the key is left out instead */
        ok = json_is_array(v) && json_array_size(v) > 0;
        json_array_foreach(v, i, item)
        {
            if (p->kind == K_STRINGS)
                ok = ok && json_is_string(item);
            else
                srv_check(item, p->item, checks);
        }
        break;
    default:
        ok = false;
    }
    if (!ok)
        fail_msg("%s: '%s' has the wrong type or is empty: %s", res, p->name,
                 json_dumps(v, JSON_ENCODE_ANY));
}

static const struct prop *
find_prop(const struct resource_def *def, const char *name)
{
    for (size_t i = 0; i < def->nprops; i++) {
        if (strcmp(def->props[i].name, name) == 0)
            return &def->props[i];
    }
    return NULL;
}

void
srv_check(json_t *v, enum resource res, unsigned checks)
{
    const struct resource_def *def = &resources[res];
    const char *key;
    json_t *val;

    if (!json_is_object(v))
        fail_msg("a %s must be a JSON object: %s", def->name,
                 v ? json_dumps(v, JSON_ENCODE_ANY) : "(no JSON)");
    if (res == R_STIX) {
        if (!json_is_string(json_object_get(v, "type")) ||
            !json_is_string(json_object_get(v, "id")))
            fail_msg("not a STIX object: %s", json_dumps(v, 0));
        return;
    }
    for (size_t i = 0; (checks & CHECK_REQUIRED) && i < def->nprops; i++) {
        const struct prop *p = &def->props[i];

        val = json_object_get(v, p->name);
        if (!val && p->required)
            fail_msg("%s lacks the required '%s': %s", def->name, p->name,
                     json_dumps(v, 0));
    }
    json_object_foreach(v, key, val)
    {
        const struct prop *p = find_prop(def, key);

        if (!p && (checks & CHECK_NAMES))
            fail_msg("%s has '%s', which the specification does not define",
                     def->name, key);
        if (p)
            check_kind(val, p, def->name, checks);
    }
}
