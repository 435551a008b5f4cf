/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TAXII 2.1 protocol pieces that need no store and no server: media type
 * negotiation, filter parameters, pagination cursors and the JSON of the
 * TAXII resources. Section numbers refer to TAXII 2.1; T-S-nn to the
 * conformance checklist of the project's TAXII notes.
 */
#ifndef FUSION_TAXII_H
#define FUSION_TAXII_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "util/util.h"

/*
 * Media types (section 1.6.8, 3.1)
 */

#define FUSION_TAXII_MEDIA_TAXII21 "application/taxii+json;version=2.1"
#define FUSION_TAXII_MEDIA_STIX21  "application/stix+json;version=2.1"

enum fusion_taxii_media {
    FUSION_TAXII_MEDIA_TAXII,
    FUSION_TAXII_MEDIA_STIX,
};

enum fusion_taxii_media_flags {
    /* the endpoint serves STIX content, so the STIX type is acceptable */
    FUSION_TAXII_MEDIA_ALLOW_STIX = 1 << 0,
    /*
     * Require a range that names the TAXII type itself: wildcards
     * (any type, "application/" with any subtype) no longer count, and a
     * Content-Type must carry version=2.1 (the reference server's behaviour).
     */
    FUSION_TAXII_MEDIA_STRICT = 1 << 1,
};

/*
 * Decides from an Accept header whether the endpoint can answer. The
 * header is a comma-separated list of media ranges with parameters; type,
 * subtype and parameter names compare without case, white space around
 * separators is allowed, and "version" and "q" values may be quoted. The
 * most specific range that matches a type decides its weight (RFC 9110
 * section 12.5.1): a version parameter beats none, which beats
 * "application/" with any subtype, which beats any type; q=0 refuses the type.
 * A range without a version parameter means the latest version, so it accepts
 * 2.1 (T-S-09); "version=2.0" and other versions do not match. Malformed
 * ranges are skipped.
 *
 * accept is borrowed and may be NULL (no header). On FUSION_OK, *out is
 * the type to answer with: TAXII when acceptable, else STIX when flags
 * hold FUSION_TAXII_MEDIA_ALLOW_STIX and it is acceptable. Returns
 * FUSION_ERR_UNSUPPORTED (answer 406) with a reason in err when neither
 * is, including a missing or empty header, which section 3.2 requires.
 * Thread-safe.
 */
FUSION_NODISCARD enum fusion_err
fusion_taxii_media_accept(const char *accept, unsigned flags,
                          enum fusion_taxii_media *out,
                          struct fusion_error *err);

/*
 * Checks the Content-Type of a POST (section 3.1, T-S-08, T-S-60): the
 * type must be application/taxii+json (any case) with version=2.1; a
 * missing version means the latest and is accepted unless flags hold
 * FUSION_TAXII_MEDIA_STRICT. Other parameters (charset) are ignored.
 * content_type is borrowed and may be NULL. Returns FUSION_OK, or
 * FUSION_ERR_UNSUPPORTED (answer 415) with a reason in err. Thread-safe.
 */
FUSION_NODISCARD enum fusion_err
fusion_taxii_media_content_type(const char *content_type, unsigned flags,
                                struct fusion_error *err);

/* The Content-Type value for m, with its version parameter (T-S-06). */
const char *fusion_taxii_media_name(enum fusion_taxii_media m);

/*
 * Filter parameters (section 3.4, 3.4.1)
 */

/* Largest number of values in one match[...] parameter. */
#define FUSION_TAXII_MATCH_MAX 64
/* Longest "next" value accepted. */
#define FUSION_TAXII_NEXT_MAX 256

/* One query parameter, already percent-decoded; both strings borrowed. */
struct fusion_taxii_param {
    const char *key;
    const char *value;
};

/* A slice of a caller's string: not NUL-terminated at len. */
struct fusion_taxii_str {
    const char *ptr;
    size_t len;
};

/* The parameters, as bits for fusion_taxii_filter.present. */
enum fusion_taxii_filter_field {
    FUSION_TAXII_F_ADDED_AFTER = 1 << 0,
    FUSION_TAXII_F_LIMIT = 1 << 1,
    FUSION_TAXII_F_NEXT = 1 << 2,
    FUSION_TAXII_F_MATCH_ID = 1 << 3,
    FUSION_TAXII_F_MATCH_TYPE = 1 << 4,
    FUSION_TAXII_F_MATCH_VERSION = 1 << 5,
    FUSION_TAXII_F_MATCH_SPEC_VERSION = 1 << 6,
};

/* Values of one match[...] field, ORed together (section 3.4). */
struct fusion_taxii_match {
    size_t n;
    struct fusion_taxii_str v[FUSION_TAXII_MATCH_MAX];
};

/*
 * match[version]: the keywords given, and the explicit timestamps in
 * request order. With none of them given the default is last (T-S-48).
 */
struct fusion_taxii_version_match {
    bool first;
    bool last;
    bool all;
    size_t n;
    struct fusion_ts ts[FUSION_TAXII_MATCH_MAX];
};

/*
 * A parsed request. Every fusion_taxii_str points into the value strings
 * of the parameters given to fusion_taxii_filter_parse, which must
 * outlive the filter (for a handler, the request's own strings do). The
 * struct holds no other memory and needs no release.
 */
struct fusion_taxii_filter {
    /* bits of enum fusion_taxii_filter_field that the request carried */
    unsigned present;
    struct fusion_ts added_after;
    /* what the client asked for, or 0 */
    int64_t limit_requested;
    /* the page size to use: min(asked, server maximum), or the maximum */
    int64_t limit;
    struct fusion_taxii_str next;
    struct fusion_taxii_match ids;
    struct fusion_taxii_match types;
    struct fusion_taxii_version_match versions;
    struct fusion_taxii_match spec_versions;
    /* parameters that are not TAXII filters, which are ignored */
    size_t n_ignored;
};

/*
 * Parses n query parameters (borrowed, see struct fusion_taxii_filter)
 * into *out. max_limit (> 0) is the server's page size cap: a larger or
 * absent limit becomes max_limit. The rules (section 3.4, 3.4.1):
 * added_after is a STIX timestamp ending in Z; limit a positive decimal
 * integer; next non-empty and at most FUSION_TAXII_NEXT_MAX bytes;
 * match[id] STIX identifiers; match[type] type names (lowercase letters,
 * digits and "-", 3 to 250 characters; custom types allowed, T-S-51);
 * match[version] "first", "last", "all" or timestamps, each at most once,
 * "all" alone; match[spec_version] versions of the form n.m. A value
 * holds one or more items separated by single commas, with no empty item.
 * Each parameter may appear once (T-S-50). Unknown parameters, unknown
 * match[...] fields included, are ignored and counted in n_ignored.
 *
 * Returns FUSION_ERR_INVALID (answer 400, T-S-10) with the reason in err,
 * or FUSION_ERR_LIMIT (also 400) when a field holds more than
 * FUSION_TAXII_MATCH_MAX values. *out is only meaningful on FUSION_OK.
 * Thread-safe.
 */
FUSION_NODISCARD enum fusion_err
fusion_taxii_filter_parse(const struct fusion_taxii_param *params, size_t n,
                          int64_t max_limit, struct fusion_taxii_filter *out,
                          struct fusion_error *err);

/* The TAXII endpoints that take filter parameters (notes section 3). */
enum fusion_taxii_endpoint {
    FUSION_TAXII_EP_MANIFEST,      /* E6 */
    FUSION_TAXII_EP_OBJECTS,       /* E7 */
    FUSION_TAXII_EP_OBJECT,        /* E9 */
    FUSION_TAXII_EP_OBJECT_DELETE, /* E10 */
    FUSION_TAXII_EP_VERSIONS,      /* E11 */
    FUSION_TAXII_EP_OTHER,         /* every endpoint without filters */
};

/* The enum fusion_taxii_filter_field bits endpoint accepts. */
unsigned fusion_taxii_filter_allowed(enum fusion_taxii_endpoint endpoint);

/*
 * Returns FUSION_ERR_INVALID (answer 400) naming the first parameter
 * that f carries and endpoint does not accept, else FUSION_OK.
 */
FUSION_NODISCARD enum fusion_err
fusion_taxii_filter_check(const struct fusion_taxii_filter *f,
                          enum fusion_taxii_endpoint endpoint,
                          struct fusion_error *err);

/*
 * A digest of the query f describes (everything but limit and next) and
 * of scope, a string naming what is queried: the server uses the API
 * root, the resolved collection id, the endpoint and the object id, so
 * that the URL's spelling (alias or id, percent escapes) does not count.
 * The query is taken normalised: the values of a match field count in
 * any order, and an added_after at or before 1970 is no added_after. A cursor
 * carries the digest so that "next" is only honoured with the same filters
 * (section 3.5). Returns 0 only by chance; f and scope are borrowed.
 */
uint64_t fusion_taxii_filter_digest(const struct fusion_taxii_filter *f,
                                    const char *scope);

/*
 * Cursors: the opaque "next" token for keyset pagination. A token is
 * base64url without padding of a version byte, the position and an
 * HMAC-SHA256 of them under the server's secret, so a client can neither
 * forge nor alter a position (section 3.5, T-S-45).
 */

/* Length of an encoded cursor, without the NUL. */
#define FUSION_TAXII_CURSOR_LEN 76
/* Shortest secret accepted, in bytes. */
#define FUSION_TAXII_SECRET_MIN 32
/* Longest secret a server takes, in bytes. */
#define FUSION_TAXII_SECRET_MAX 256

struct fusion_taxii_cursor {
    /* date_added of the last item returned, ns since the epoch */
    int64_t date_added;
    /* the store's tie-breaker among items with the same date_added */
    int64_t seq;
    /* fusion_taxii_filter_digest of the query the page belongs to */
    uint64_t digest;
};

/*
 * Writes the token for c and a NUL into out, which has room for
 * FUSION_TAXII_CURSOR_LEN + 1 bytes. secret (borrowed) must be at least
 * FUSION_TAXII_SECRET_MIN bytes, else FUSION_ERR_INVALID; FUSION_ERR_
 * INTERNAL if the MAC cannot be computed. Thread-safe.
 */
FUSION_NODISCARD enum fusion_err
fusion_taxii_cursor_encode(const struct fusion_taxii_cursor *c,
                           const void *secret, size_t secret_len, char *out);

/*
 * Decodes the len bytes of token (borrowed) into *out, checking the MAC
 * in constant time. Returns FUSION_ERR_INVALID (answer 400) with a reason
 * in err for a wrong length, characters outside base64url, an unknown
 * version or a MAC that does not verify, and for a short secret. *out is
 * set only on success. Thread-safe.
 */
FUSION_NODISCARD enum fusion_err
fusion_taxii_cursor_decode(const char *token, size_t len, const void *secret,
                           size_t secret_len, struct fusion_taxii_cursor *out,
                           struct fusion_error *err);

/*
 * Resources (section 3.6, 3.7, 4, 5). Each builder appends compact JSON
 * to out and returns FUSION_OK; FUSION_ERR_INVALID with a reason in err
 * when a required property is missing or a value breaks the spec (so a
 * server never emits a resource that fails T-S-04); FUSION_ERR_NOMEM or
 * FUSION_ERR_LIMIT from the buffer, which is then left as it was. All
 * arguments are borrowed. Empty lists are omitted (T-S-15). Timestamps
 * are written with microseconds (T-S-14). Thread-safe.
 */

/* Room for a TAXII timestamp and its NUL. */
#define FUSION_TAXII_TS_LEN 28

/*
 * Writes ns as a TAXII timestamp, "YYYY-MM-DDTHH:MM:SS.ssssssZ" (section
 * 2), into out (FUSION_TAXII_TS_LEN bytes). Digits past the microsecond
 * are dropped, so a store should assign date_added in whole microseconds
 * for X-TAXII-Date-Added-Last to be usable as added_after (T-S-46).
 */
void fusion_taxii_ts_format(int64_t ns, char *out);

/* The error resource (section 3.6.1). */
struct fusion_taxii_error_info {
    const char *title;            /* required */
    const char *description;      /* optional: NULL */
    const char *error_id;         /* optional */
    const char *error_code;       /* optional */
    unsigned http_status;         /* written as a string; 0: omitted */
    const char *external_details; /* optional URL */
    const json_t *details;        /* optional JSON object */
};

FUSION_NODISCARD enum fusion_err
fusion_taxii_error_json(const struct fusion_taxii_error_info *info,
                        struct fusion_buf *out, struct fusion_error *err);

/*
 * The discovery resource (section 4.1.1). Each API root must be an
 * absolute https URL or a path starting with one "/", without "../" at
 * its start and without a query; default, when set, must be one of them
 * (T-S-20).
 */
struct fusion_taxii_discovery {
    const char *title; /* required */
    const char *description;
    const char *contact;
    const char *default_root;
    const char *const *api_roots;
    size_t n_api_roots;
};

FUSION_NODISCARD enum fusion_err
fusion_taxii_discovery_json(const struct fusion_taxii_discovery *d,
                            struct fusion_buf *out, struct fusion_error *err);

/*
 * The api-root resource (section 4.2.1); versions is always
 * [FUSION_TAXII_MEDIA_TAXII21] (T-S-21).
 */
struct fusion_taxii_api_root {
    const char *title; /* required */
    const char *description;
    uint64_t max_content_length; /* required, > 0 */
};

FUSION_NODISCARD enum fusion_err
fusion_taxii_api_root_json(const struct fusion_taxii_api_root *r,
                           struct fusion_buf *out, struct fusion_error *err);

/* The collection resource (section 5.2.1); id is a version 4 UUID. */
struct fusion_taxii_collection {
    const char *id;    /* required */
    const char *title; /* required */
    const char *description;
    const char *alias;
    bool can_read;
    bool can_write;
    const char *const *media_types; /* omitted when n_media_types is 0 */
    size_t n_media_types;
};

FUSION_NODISCARD enum fusion_err
fusion_taxii_collection_json(const struct fusion_taxii_collection *c,
                             struct fusion_buf *out, struct fusion_error *err);

/* The collections resource (section 5.1.1); "{}" when n is 0. */
FUSION_NODISCARD enum fusion_err
fusion_taxii_collections_json(const struct fusion_taxii_collection *c, size_t n,
                              struct fusion_buf *out, struct fusion_error *err);

/* One status-details entry (section 4.3.1). */
struct fusion_taxii_status_detail {
    const char *id;      /* required */
    const char *version; /* required */
    const char *message;
};

/*
 * The status resource (section 4.3.1, T-S-23). Each count must be at
 * least the length of its list (lists may be left out), and total_count
 * at least the sum of the other three.
 */
struct fusion_taxii_status {
    const char *id; /* required, version 4 UUID */
    bool pending;   /* "pending", else "complete" */
    bool has_request_timestamp;
    int64_t request_timestamp; /* ns since the epoch */
    uint64_t total_count;
    uint64_t success_count;
    uint64_t failure_count;
    uint64_t pending_count;
    const struct fusion_taxii_status_detail *successes;
    size_t n_successes;
    const struct fusion_taxii_status_detail *failures;
    size_t n_failures;
    const struct fusion_taxii_status_detail *pendings;
    size_t n_pendings;
};

FUSION_NODISCARD enum fusion_err
fusion_taxii_status_json(const struct fusion_taxii_status *s,
                         struct fusion_buf *out, struct fusion_error *err);

/* One manifest-record (section 5.3.1, T-S-55). */
struct fusion_taxii_manifest_record {
    const char *id;         /* required, STIX id */
    int64_t date_added;     /* required, ns since the epoch */
    const char *version;    /* required */
    const char *media_type; /* optional */
};

/*
 * The manifest resource: "more" when records are present or more is
 * set, "next" (as the reference server adds it) when next is not NULL,
 * "objects" unless n is 0.
 */
FUSION_NODISCARD enum fusion_err
fusion_taxii_manifest_json(const struct fusion_taxii_manifest_record *recs,
                           size_t n, bool more, const char *next,
                           struct fusion_buf *out, struct fusion_error *err);

/* The versions resource (section 5.8.1), same rules as the manifest. */
FUSION_NODISCARD enum fusion_err
fusion_taxii_versions_json(const char *const *versions, size_t n, bool more,
                           struct fusion_buf *out, struct fusion_error *err);

/*
 * Envelope (section 3.7) written as text around stored object JSON,
 * which is spliced in as it is and never parsed again:
 * fusion_taxii_envelope_begin, one fusion_taxii_envelope_add per object,
 * fusion_taxii_envelope_end. An envelope with no object and more unset
 * is "{}". The writer borrows out for its lifetime; one writer per
 * envelope, used by one thread.
 */
struct fusion_taxii_envelope {
    struct fusion_buf *out;
    size_t n;
    bool more;
};

/*
 * Starts an envelope in out: "{" and, when more is set, "more":true and
 * next (which must be base64url text such as a cursor, else
 * FUSION_ERR_INVALID). Without more, "more":false is written once an
 * object is added.
 */
FUSION_NODISCARD enum fusion_err
fusion_taxii_envelope_begin(struct fusion_taxii_envelope *env,
                            struct fusion_buf *out, bool more,
                            const char *next);

/*
 * Appends the len bytes of obj_json, one serialised STIX object that the
 * caller vouches for (the store's own text).
 */
FUSION_NODISCARD enum fusion_err
fusion_taxii_envelope_add(struct fusion_taxii_envelope *env,
                          const char *obj_json, size_t len);

/* Closes the objects list, if any, and the envelope. */
FUSION_NODISCARD enum fusion_err
fusion_taxii_envelope_end(struct fusion_taxii_envelope *env);

/*
 * The server (sections 4 and 5): every TAXII 2.1 endpoint over a store,
 * served by an HTTP server, with accounts, per-collection grants,
 * status resources and metrics. Routes:
 *
 *   GET    /taxii2/                                      discovery
 *   GET    /{root}/                                      api-root
 *   GET    /{root}/status/{id}/                          status
 *   GET    /{root}/collections/                          collections
 *   GET    /{root}/collections/{id}/                     collection
 *   GET    /{root}/collections/{id}/manifest/            manifest
 *   GET    /{root}/collections/{id}/objects/             envelope
 *   POST   /{root}/collections/{id}/objects/             status
 *   GET    /{root}/collections/{id}/objects/{object}/    envelope
 *   DELETE /{root}/collections/{id}/objects/{object}/    (no body)
 *   GET    /{root}/collections/{id}/objects/{object}/versions/
 *   GET    /healthz                                      liveness, no login
 *   GET    /metrics                                      Prometheus text
 *
 * Every TAXII endpoint needs an account: HTTP Basic with a user's
 * password, or an API token as a Bearer credential or as the Basic
 * password (for clients that only speak Basic).
 */
#define FUSION_TAXII_DEFAULT_ROOT        "api"
#define FUSION_TAXII_DEFAULT_TITLE       "Fusion"
#define FUSION_TAXII_DEFAULT_PAGE        1000
#define FUSION_TAXII_DEFAULT_RETENTION_S 86400
#define FUSION_TAXII_DEFAULT_STORE_CACHE ((size_t)8 << 20)
#define FUSION_TAXII_MAX_ROOTS           32

/*
 * An API root. name is its one path segment (letters, digits, "-", "_"
 * and "."; not "taxii2", "healthz" or "metrics"); title defaults to the
 * name. collections lists the ids or aliases of the collections it
 * serves; none means every collection of the store.
 */
struct fusion_taxii_root_config {
    const char *name;
    const char *title;
    const char *description;
    const char *const *collections;
    size_t ncollections;
};

/*
 * Server settings; fields left at zero or NULL take the defaults above.
 * All strings are copied.
 */
struct fusion_taxii_server_config {
    const char *db_path; /* required */
    /* the discovery resource */
    const char *title;
    const char *description;
    const char *contact;
    /* none: one root named FUSION_TAXII_DEFAULT_ROOT */
    const struct fusion_taxii_root_config *roots;
    size_t nroots;
    const char *default_root; /* a root's name; the first one */
    /* the largest page, and the page size when a client sets none */
    int64_t page_size;
    /* api-root max_content_length: the HTTP server's max_body_bytes */
    uint64_t max_content_length;
    /* how long status resources stay readable, in seconds */
    int64_t status_retention_s;
    /* page cache of each store connection */
    size_t store_cache_bytes;
    /*
     * Key for pagination cursors, at least FUSION_TAXII_SECRET_MIN
     * bytes; NULL draws a random one, so cursors then end with the
     * process. Servers sharing one store behind a balancer need the same.
     */
    const void *cursor_secret;
    size_t cursor_secret_len;
};

struct fusion_taxii_server;

/*
 * Checks cfg, opens the store once to see that it is there and current,
 * and adds the routes above to http (created, not yet started); http
 * must outlive the server. FUSION_ERR_INVALID for a bad setting,
 * FUSION_ERR_NOTFOUND when a root names a collection the store does
 * not hold, store errors as from fusion_store_open.
 */
FUSION_NODISCARD enum fusion_err
fusion_taxii_server_new(const struct fusion_taxii_server_config *cfg,
                        struct fusion_http_server *http,
                        struct fusion_taxii_server **out,
                        struct fusion_error *err);

/* Frees the server and closes its store connections; after http stops. */
void fusion_taxii_server_free(struct fusion_taxii_server *server);

#endif
