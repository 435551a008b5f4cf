/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The STIX 2.1 model over jansson values: object kinds, validation,
 * STIX 2.0 upgrade, canonical JSON, deterministic SCO ids, TLP markings
 * and the observable keys that index SCOs.
 *
 * Objects are jansson values owned by the caller. Functions that take a
 * const json_t * only read it. None of these functions print or log.
 * All are thread-safe as long as one object is not shared between threads
 * while being changed.
 */
#ifndef FUSION_STIX_H
#define FUSION_STIX_H

#include <jansson.h>

#include "util/util.h"

/* Longest identifier kept: a type of up to 250 bytes, "--" and a UUID. */
#define FUSION_STIX_ID_MAX 300

/* The UUIDv5 namespace of deterministic SCO ids (STIX 2.1 section 2.9). */
#define FUSION_STIX_SCO_NAMESPACE "00abedb4-aa42-466c-9c01-fed23315a9b7"

enum fusion_stix_kind {
    FUSION_STIX_KIND_UNKNOWN,
    FUSION_STIX_KIND_SDO,
    FUSION_STIX_KIND_SRO,
    FUSION_STIX_KIND_SCO,
    FUSION_STIX_KIND_META,
    FUSION_STIX_KIND_BUNDLE,
};

/*
 * The kind of a type name defined by STIX 2.1 (bundle included), or
 * FUSION_STIX_KIND_UNKNOWN for custom and unknown types.
 */
enum fusion_stix_kind fusion_stix_kind_of_type(const char *type);

/*
 * The kind of an object. Spec types use their table; custom types
 * (x-..., types defined by an extension-definition) are judged by shape:
 * one that carries created and modified behaves as an SDO, one without
 * them as an SCO.
 */
enum fusion_stix_kind fusion_stix_kind_of(const json_t *obj);

/* Borrowed string value of obj[key], or NULL when absent or not a string. */
const char *fusion_stix_str(const json_t *obj, const char *key);

/*
 * True when id has the form <type>--<UUID>; when type is not NULL the
 * prefix must equal it exactly.
 */
bool fusion_stix_id_is_valid(const char *id, const char *type);

/*
 * Validation (STIX 2.1 section 14 checklist of the notes). One report
 * collects what was found in one object; each issue names the property
 * path ("external_references[0].source_name", "" for the object itself).
 */
enum fusion_stix_severity {
    FUSION_STIX_WARNING, /* a SHOULD, an open vocabulary, kept as is */
    FUSION_STIX_ERROR,   /* a MUST is broken; the object is rejected */
};

struct fusion_stix_issue {
    enum fusion_stix_severity severity;
    char *path;
    char *message;
};

struct fusion_stix_report {
    struct fusion_stix_issue *items;
    size_t count;
    size_t cap;
    size_t errors;
    size_t warnings;
};

void fusion_stix_report_init(struct fusion_stix_report *rep);
void fusion_stix_report_release(struct fusion_stix_report *rep);
void fusion_stix_report_clear(struct fusion_stix_report *rep);

/* Adds an issue; path and message are copied. */
FUSION_NODISCARD enum fusion_err
fusion_stix_report_add(struct fusion_stix_report *rep,
                       enum fusion_stix_severity severity, const char *path,
                       const char *fmt, ...) FUSION_PRINTF(4, 5);

/*
 * Checks one STIX 2.1 object (after any upgrade) and adds its issues to
 * rep. Returns FUSION_OK when no ERROR was added, FUSION_ERR_INVALID when
 * at least one was, FUSION_ERR_NOMEM when the report could not grow.
 * Custom properties and custom object types are accepted and preserved
 * (S-22); only their naming rules are checked.
 */
FUSION_NODISCARD enum fusion_err
fusion_stix_validate(const json_t *obj, struct fusion_stix_report *rep);

/*
 * STIX 2.0 to 2.1 upgrade, decided per object: an SDO, SRO or meta
 * object without spec_version is 2.0, and so is an observed-data with an
 * objects container.
 */
bool fusion_stix_is_20(const json_t *obj);

/*
 * Upgrades obj in place to STIX 2.1 when fusion_stix_is_20() says so;
 * otherwise leaves it alone. SCOs lifted out of an observed-data objects
 * container are appended to new_objects (a JSON array owned by the
 * caller) with deterministic ids, and the references are rewritten.
 * What was changed or dropped is added to rep as warnings. Sets
 * *upgraded_out (may be NULL) to whether anything was upgraded.
 * Pattern text is not touched here: see fusion_pattern_upgrade_20().
 */
FUSION_NODISCARD enum fusion_err
fusion_stix_upgrade(json_t *obj, json_t *new_objects,
                    struct fusion_stix_report *rep, bool *upgraded_out);

/*
 * The STIX 2.1 name of the SCO property that STIX 2.0 called prop on
 * objects of type (upgrade item U7: file ctime, process image_ref, ...),
 * or NULL when it kept its name. Both are len bytes long, not terminated.
 */
const char *fusion_stix_renamed_20(const char *type, size_t type_len,
                                   const char *prop, size_t prop_len);

/*
 * Whether s is an address as an ipv4-addr value writes it: a dotted quad
 * without leading zeros, and with cidr a /0-32 suffix allowed.
 */
bool fusion_stix_ipv4_text(const char *s, bool cidr);

/*
 * Whether s is an address as an ipv6-addr value writes it: RFC 4291
 * text in hex groups (not the form ending in a dotted quad, which the
 * schema's pattern does not take), and with cidr a zone and a /0-128
 * suffix allowed.
 */
bool fusion_stix_ipv6_text(const char *s, bool cidr);

/*
 * Finds the string value of the top-level member key of the JSON object
 * text json (len bytes) without building a tree, for reading one field
 * of a stored object cheaply. On true, *value_out points at the text
 * between the quotes in json (escapes left as written) and *len_out is
 * its length. False when json is not an object, has no such member at
 * its top level, or its value is not a string. Members nested deeper
 * never match.
 */
bool fusion_stix_json_member(const char *json, size_t len, const char *key,
                             const char **value_out, size_t *len_out);

/*
 * The same for several keys in one pass: out[k] tells whether keys[k]
 * is a top-level member, and for a string its text as above. The scan
 * stops once every key is found; a member given twice reports its
 * first. False, with what was found so far in out, when json is not an
 * object that ends before all keys are found.
 */
enum fusion_stix_member_kind {
    FUSION_STIX_MEMBER_NONE,   /* no such member */
    FUSION_STIX_MEMBER_STRING, /* a string: value and len are set */
    FUSION_STIX_MEMBER_OTHER,  /* no string: value is where it starts */
};

struct fusion_stix_member {
    enum fusion_stix_member_kind kind;
    const char *value;
    size_t len;
};

bool fusion_stix_json_members(const char *json, size_t len,
                              const char *const *keys, size_t n,
                              struct fusion_stix_member *out);

/*
 * Appends the JSON Canonicalization Scheme (RFC 8785) form of v to out:
 * members sorted by UTF-16 code units, no whitespace, minimal escapes,
 * ECMAScript number form. The stored text of every object is this form.
 */
FUSION_NODISCARD enum fusion_err fusion_stix_canonical(const json_t *v,
                                                       struct fusion_buf *out);

/*
 * Writes the deterministic id of an SCO (UUIDv5 over the canonical JSON
 * of its ID-contributing properties, STIX 2.1 section 2.9) into out,
 * which has FUSION_STIX_ID_MAX bytes. Returns FUSION_ERR_NOTFOUND when the
 * type has no contributing properties present (or is process, which
 * always takes a random id), FUSION_ERR_UNSUPPORTED for a type that is
 * not a spec SCO.
 */
FUSION_NODISCARD enum fusion_err fusion_stix_sco_id(const json_t *sco,
                                                    char *out);

/*
 * Traffic Light Protocol, TLP 1.0 and 2.0 marking definitions known by
 * their fixed ids. Levels are ordered: a larger value is more
 * restrictive. TLP 1.0 WHITE is CLEAR.
 */
enum fusion_tlp {
    FUSION_TLP_NONE = 0,
    FUSION_TLP_CLEAR,
    FUSION_TLP_GREEN,
    FUSION_TLP_AMBER,
    FUSION_TLP_AMBER_STRICT,
    FUSION_TLP_RED,
};

/* The level a marking-definition id stands for, or FUSION_TLP_NONE. */
enum fusion_tlp fusion_stix_tlp_of_marking(const char *marking_id);

/*
 * The effective TLP of an object: the most restrictive level among its
 * object_marking_refs and the marking_refs of its granular_markings
 * (sharing an object shares its marked parts too). FUSION_TLP_NONE when
 * it carries no TLP marking. A TLP marking-definition object itself is
 * CLEAR: the definitions are public.
 */
enum fusion_tlp fusion_stix_tlp_of(const json_t *obj);

/* "TLP:RED" and so on; "none" for FUSION_TLP_NONE. */
const char *fusion_tlp_name(enum fusion_tlp tlp);

/*
 * Observable keys: the (key type, canonical value) pairs by which an
 * object is found from a bare value. Key types are the SCO type for
 * single-valued SCOs ("ipv4-addr", "domain-name", "url", "email-addr",
 * "mac-addr", "mutex", "autonomous-system", "windows-registry-key",
 * "directory", "software") and "file:<hash>" / "file:name" for files
 * (<hash> as in the hashes dictionary, e.g. "file:SHA-256").
 * Canonical values: domain names, e-mail addresses and MAC addresses in
 * lower case, domain names without a trailing dot, IPv6 addresses in
 * their compressed form, hashes in lower case.
 */
typedef enum fusion_err (*fusion_stix_key_fn)(void *ctx, const char *key_type,
                                              const char *value);

/* Calls fn for each key of an SCO; stops at and returns fn's first error. */
FUSION_NODISCARD enum fusion_err
fusion_stix_observable_keys(const json_t *sco, fusion_stix_key_fn fn,
                            void *ctx);

/*
 * Calls fn with the key that a pattern comparison "type:path = 'value'"
 * stands for, when it stands for one (ipv4-addr:value, file:hashes.MD5,
 * file:hashes.'SHA-256', ...); returns FUSION_OK without calling fn
 * otherwise.
 */
FUSION_NODISCARD enum fusion_err
fusion_stix_pattern_key(const char *type, const char *path, const char *value,
                        fusion_stix_key_fn fn, void *ctx);

/*
 * Writes into out (FUSION_STIX_KEY_MAX bytes) the canonical form of a
 * bare value typed by a user, and its key type into type_out (64 bytes):
 * an IPv4 or IPv6 address, a hash by its length, an e-mail address, a
 * URL, or else a domain name. Returns FUSION_ERR_INVALID for an empty or
 * over-long value.
 */
#define FUSION_STIX_KEY_MAX 2048
FUSION_NODISCARD enum fusion_err
fusion_stix_guess_key(const char *value, char *type_out, char *out);

#endif
