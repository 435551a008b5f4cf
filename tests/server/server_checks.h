/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the conformance test programs share: one server with four
 * accounts, collections made for a test, requests as those accounts, and
 * TAXII 2.1 resources checked property by property against the tables of
 * the implementer notes (section 4).
 */
#ifndef FUSION_TEST_SERVER_CHECKS_H
#define FUSION_TEST_SERVER_CHECKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server_fixture.h"

#define PATH_LEN 1024
#define COLL_LEN 37 /* a collection id and its NUL */

/* Versions (modified times) the tests give their objects. */
#define T1 "2021-01-01T00:00:00.000Z"
#define T2 "2021-02-01T00:00:00.000Z"
#define T3 "2021-03-01T00:00:00.000Z"

/* The created time of srv_marking, which has no modified. */
#define MARKING_CREATED "2020-06-01T00:00:00.000Z"

/*
 * The server of a test program, started by srv_setup (a cmocka group
 * setup, with --page-size 100) and stopped by srv_teardown, and its
 * accounts as Authorization values: alice (Basic) reads and writes the
 * collections srv_new_collection makes; bob, carol and dave (Bearer
 * tokens) start with no grant, to be given read (bob) or write (carol)
 * where a test needs it; dave never has any.
 */
extern struct fixture *srv;
extern char alice[256];
extern char bob[256];
extern char carol[256];
extern char dave[256];

int srv_setup(void **state);
int srv_teardown(void **state);

/*
 * A new collection that alice may read and write, with an alias made of
 * name and a counter (into alias, 64 bytes) and its id (COLL_LEN bytes).
 */
void srv_new_collection(const char *name, char *alias, char *id);

/* "/api/collections/COLL/" and the formatted rest, into out (PATH_LEN). */
__attribute__((format(printf, 3, 4))) char *
srv_path(char *out, const char *coll, const char *fmt, ...);

/*
 * GETs path as auth and fails the test unless the reply has status;
 * returns the body's JSON as a new reference (NULL when it is not JSON).
 */
json_t *srv_get(const char *auth, const char *path, long status);

/* A JSON array of the objects given, up to a NULL; takes their references. */
json_t *srv_objects(json_t *first, ...);

/* POSTs the objects (reference taken) to coll as alice: 202, its status. */
json_t *srv_post_status(const char *coll, json_t *objects);

/* srv_post_status that also fails the test unless every object succeeded. */
void srv_post_ok(const char *coll, json_t *objects);

/*
 * STIX 2.1 objects with ids made of group and n: a malware (modified T1),
 * an observable (ipv4-addr, neither created nor modified) and a marking
 * definition (created MARKING_CREATED, no modified).
 */
json_t *srv_malware(uint32_t group, uint32_t n);
json_t *srv_observable(uint32_t group, uint32_t n);
json_t *srv_marking(uint32_t group, uint32_t n);

/* Members of JSON values; the strings are borrowed from the value. */
json_int_t srv_int(json_t *obj, const char *key);
const char *srv_str(json_t *obj, const char *key);
const char *srv_id(json_t *item);
/* A manifest record's version, else modified, else created, else "". */
const char *srv_version(json_t *item);
/* The list res holds under key, NULL when none; fails for a non-list. */
json_t *srv_items(json_t *res, const char *key);
size_t srv_count(json_t *res, const char *key);
/* How many objects (or records) of res have id and version (NULL: any). */
size_t srv_count_matching(json_t *res, const char *id, const char *version);
bool srv_is_more(json_t *res);

/* Whether r's Content-Type is the TAXII 2.1 one, spaces and case aside. */
bool srv_is_taxii_type(const struct fixture_reply *r);

/*
 * Resources
 */

enum resource {
    R_DISCOVERY,
    R_API_ROOT,
    R_STATUS,
    R_STATUS_DETAIL,
    R_COLLECTIONS,
    R_COLLECTION,
    R_MANIFEST,
    R_MANIFEST_RECORD,
    R_ENVELOPE,
    R_VERSIONS,
    R_ERROR,
    R_STIX, /* any STIX object: its own rules are not the server's */
};

enum check {
    CHECK_REQUIRED = 1 << 0, /* required properties and their types */
    CHECK_NAMES = 1 << 1,    /* no property the specification lacks */
};

/*
 * Fails the test unless v is the resource res. Either way, the properties
 * present must have their types, lists must not be empty (section 2) and
 * timestamps must be TAXII ones; checks adds the rest.
 */
void srv_check(json_t *v, enum resource res, unsigned checks);

#endif
