/* SPDX-License-Identifier: Apache-2.0 */
/* Vocabularies and enumerations used by the validator; stix module only. */
#ifndef FUSION_STIX_VALIDATE_INT_H
#define FUSION_STIX_VALIDATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stix/stix.h"

/* STIX 2.1 section 10: open vocabularies (-ov) and enumerations (-enum). */
enum stix_vocab {
    STIX_VOCAB_ACCOUNT_TYPE,
    STIX_VOCAB_ATTACK_MOTIVATION,
    STIX_VOCAB_ATTACK_RESOURCE_LEVEL,
    STIX_VOCAB_ENCRYPTION_ALGORITHM,
    STIX_VOCAB_EXTENSION_TYPE,
    STIX_VOCAB_GROUPING_CONTEXT,
    STIX_VOCAB_HASH_ALGORITHM,
    STIX_VOCAB_IDENTITY_CLASS,
    STIX_VOCAB_IMPLEMENTATION_LANGUAGE,
    STIX_VOCAB_INDICATOR_TYPE,
    STIX_VOCAB_INDUSTRY_SECTOR,
    STIX_VOCAB_INFRASTRUCTURE_TYPE,
    STIX_VOCAB_MALWARE_CAPABILITIES,
    STIX_VOCAB_MALWARE_RESULT,
    STIX_VOCAB_MALWARE_TYPE,
    STIX_VOCAB_SOCKET_ADDRESS_FAMILY,
    STIX_VOCAB_SOCKET_TYPE,
    STIX_VOCAB_OPINION,
    STIX_VOCAB_PATTERN_TYPE,
    STIX_VOCAB_PROCESSOR_ARCHITECTURE,
    STIX_VOCAB_REGION,
    STIX_VOCAB_REPORT_TYPE,
    STIX_VOCAB_THREAT_ACTOR_TYPE,
    STIX_VOCAB_THREAT_ACTOR_ROLE,
    STIX_VOCAB_THREAT_ACTOR_SOPHISTICATION,
    STIX_VOCAB_TOOL_TYPE,
    STIX_VOCAB_WINDOWS_INTEGRITY_LEVEL,
    STIX_VOCAB_WINDOWS_PEBINARY_TYPE,
    STIX_VOCAB_WINDOWS_REGISTRY_DATATYPE,
    STIX_VOCAB_WINDOWS_SERVICE_START_TYPE,
    STIX_VOCAB_WINDOWS_SERVICE_TYPE,
    STIX_VOCAB_WINDOWS_SERVICE_STATUS,
    STIX_VOCAB_COUNT,
};

/* The name of a vocabulary, e.g. "malware-type-ov". */
const char *fusion_stix_vocab_name(enum stix_vocab vocab);

/*
 * True for a closed enumeration, whose values MUST be listed ones; false
 * for an open vocabulary, whose other values are allowed.
 */
bool fusion_stix_vocab_is_closed(enum stix_vocab vocab);

/* True when value is one of the listed values of vocab (case-sensitive). */
bool fusion_stix_vocab_has(enum stix_vocab vocab, const char *value);

/*
 * The validation engine (stix_validate.c) and its per-type rules
 * (stix_validate_types.c).
 */

/* Object classes: which common properties apply (STIX 2.1 section 3.2). */
#define STIX_CL_SDO   (1u << 0)
#define STIX_CL_SRO   (1u << 1)
#define STIX_CL_SCO   (1u << 2)
#define STIX_CL_EXT   (1u << 3) /* extension-definition */
#define STIX_CL_LC    (1u << 4) /* language-content */
#define STIX_CL_MD    (1u << 5) /* marking-definition */
#define STIX_CL_ALL   0x3fu
#define STIX_PATH_MAX 256

/*
 * Iterates the members of a const object in storage order. Unlike
 * json_object_foreach it does not look each key up again.
 */
#define STIX_OBJECT_FOREACH(obj, key, value)               \
    for (void *it_ = json_object_iter((json_t *)(obj));    \
         it_ && ((key) = json_object_iter_key(it_),        \
                (value) = json_object_iter_value(it_), 1); \
         it_ = json_object_iter_next((json_t *)(obj), it_))

struct stix_vctx {
    struct fusion_stix_report *rep;
    const json_t *obj; /* the object under test: root of the selectors */
    const char *type;
    unsigned cls;
    size_t errors0; /* errors in rep before this object */
    bool nomem;
    size_t plen;
    char path[STIX_PATH_MAX];
};

enum stix_ptype {
    STIX_P_STRING,
    STIX_P_TS,     /* any precision */
    STIX_P_TS_MS,  /* at least millisecond precision */
    STIX_P_TS_SEC, /* whole seconds */
    STIX_P_INT,
    STIX_P_NUMBER,
    STIX_P_BOOL,
    STIX_P_REF,
    STIX_P_REFS,
    STIX_P_STRINGS,
    STIX_P_VOCAB,
    STIX_P_VOCABS,
    STIX_P_HASHES,
    STIX_P_DICT,
    STIX_P_HEX,
    STIX_P_BINARY,
    STIX_P_URL,
    STIX_P_OBJECT,
    STIX_P_FN, /* checked by fn alone */
};

/* Allowed targets of a reference: listed types, classes, custom types. */
struct stix_ref_rule {
    const char *what; /* for messages: "an identity" */
    const char *const *types;
    unsigned classes;
    bool custom;
};

typedef void (*stix_check_fn)(struct stix_vctx *c, const json_t *v);

struct stix_prop_rule {
    const char *name;
    enum stix_ptype type;
    unsigned classes; /* common properties: classes they are defined for */
    enum stix_vocab vocab;
    bool has_range;
    double min, max;
    const struct stix_ref_rule *ref;
    stix_check_fn fn; /* run after the type check passed */
};

struct stix_type_rule {
    const char *type;
    const struct stix_prop_rule *props; /* sorted by name */
    size_t nprops;
    const char *const *required; /* NULL-terminated, may be NULL */
    const char *const *any_of;   /* at least one of these, may be NULL */
    stix_check_fn check;         /* whole-object rules, may be NULL */
};

/* The rules of a spec type, or NULL for custom types. */
const struct stix_type_rule *fusion_stix_type_rule(const char *type);

/* The rules of a predefined SCO extension ("ntfs-ext" on a file). */
const struct stix_type_rule *fusion_stix_ext_rule(const char *type,
                                                  const char *key);

/* Adds an issue at the current path; remembers an allocation failure. */
void fusion_stix_issue(struct stix_vctx *c, enum fusion_stix_severity sev,
                       const char *fmt, ...) FUSION_PRINTF(3, 4);

/* Extends the path by ".key" or "[index]"; returns the length to restore. */
size_t fusion_stix_path_key(struct stix_vctx *c, const char *key);
size_t fusion_stix_path_index(struct stix_vctx *c, size_t index);
void fusion_stix_path_pop(struct stix_vctx *c, size_t len);

/* Checks one value against its rule (path already names it). */
void fusion_stix_check_value(struct stix_vctx *c,
                             const struct stix_prop_rule *rule,
                             const json_t *v);

/*
 * Checks every member of a JSON object against the sorted rules, taking
 * unknown members as custom properties, then rule->required/any_of.
 */
void fusion_stix_check_members(struct stix_vctx *c, const json_t *obj,
                               const struct stix_type_rule *rule);

/* Reports each name of list that obj lacks. */
void fusion_stix_require(struct stix_vctx *c, const json_t *obj,
                         const char *const *names);

/* Reports when obj has none of names. */
void fusion_stix_require_any(struct stix_vctx *c, const json_t *obj,
                             const char *const *names);

/* Reports when obj[later] is before obj[earlier] (or equal, if strict). */
void fusion_stix_check_order(struct stix_vctx *c, const json_t *obj,
                             const char *earlier, const char *later,
                             bool strict);

/* Reports a value of the wrong JSON type: "expected <want>, got ...". */
void fusion_stix_wrong_type(struct stix_vctx *c, const char *want,
                            const json_t *v);

/* True for a non-empty list; reports a value that is not a list. */
bool fusion_stix_check_list(struct stix_vctx *c, const json_t *v);

/*
 * Checks each item of the list v as an object against rule (its
 * properties, then rule->check when set), with the index on the path.
 */
void fusion_stix_check_object_list(struct stix_vctx *c, const json_t *v,
                                   const struct stix_type_rule *rule);

/* Checks that v is a non-empty list and calls fn on each item, with the
 * item's index on the property path. */
void fusion_stix_check_each(struct stix_vctx *c, const json_t *v,
                            void (*fn)(struct stix_vctx *c, const json_t *v));

/* A hashes dictionary; known_only rejects algorithms outside the vocab. */
void fusion_stix_check_hashes(struct stix_vctx *c, const json_t *v,
                              bool known_only);

/*
 * Structured common properties and marking-definition rules
 * (stix_validate_common.c).
 */
void fusion_stix_check_external_refs(struct stix_vctx *c, const json_t *v);
void fusion_stix_check_granular_markings(struct stix_vctx *c, const json_t *v);
void fusion_stix_check_extensions(struct stix_vctx *c, const json_t *v);
void fusion_stix_check_kill_chain(struct stix_vctx *c, const json_t *v);
void fusion_stix_check_marking(struct stix_vctx *c, const json_t *obj);

/* Validates obj, found at the current path, as an object of its own. */
void fusion_stix_validate_nested(struct stix_vctx *c, const json_t *obj);

/* Name of a JSON value's type for messages ("string", "integer", ...). */
const char *fusion_stix_json_type(const json_t *v);

/* Building blocks of the property rule tables. */
#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* clang-format off */
#define R_STR(n)  { .name = n, .type = STIX_P_STRING }
#define R_TS(n)   { .name = n, .type = STIX_P_TS }
#define R_BOOL(n) { .name = n, .type = STIX_P_BOOL }
#define R_INT(n)  { .name = n, .type = STIX_P_INT }
#define R_NUM(n)  { .name = n, .type = STIX_P_NUMBER }
#define R_LIST(n) { .name = n, .type = STIX_P_STRINGS }
#define R_HEX(n)  { .name = n, .type = STIX_P_HEX }
#define R_DICT(n) { .name = n, .type = STIX_P_DICT }
#define R_URL(n)  { .name = n, .type = STIX_P_URL }
#define R_HASH(n) { .name = n, .type = STIX_P_HASHES }
#define R_KCP(n)                                                               \
    { .name = n, .type = STIX_P_FN, .fn = fusion_stix_check_kill_chain }
#define R_RANGE(n, t, lo, hi)                                                  \
    { .name = n, .type = t, .has_range = true, .min = lo, .max = hi }
#define R_NAT(n) R_RANGE(n, STIX_P_INT, 0, 9007199254740991.0)
#define R_OV(n, v)                                                             \
    { .name = n, .type = STIX_P_VOCAB, .vocab = STIX_VOCAB_##v }
#define R_OVS(n, v)                                                            \
    { .name = n, .type = STIX_P_VOCABS, .vocab = STIX_VOCAB_##v }
#define R_REF(n, r)   { .name = n, .type = STIX_P_REF, .ref = &r }
#define R_REFS(n, r)  { .name = n, .type = STIX_P_REFS, .ref = &r }
#define R_FN(n, t, f) { .name = n, .type = t, .fn = f }

/* clang-format on */

#define TYPE(name, props, req, any, fn)                             \
    {                                                               \
        name, props, sizeof(props) / sizeof(props[0]), req, any, fn \
    }

#endif
