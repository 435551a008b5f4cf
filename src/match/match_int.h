/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal interface of the match module: the literal text a pattern
 * without index terms still requires, so that the index can pass over
 * most events without evaluating it; the layout of the indicator index,
 * which match_index.c fills and match_lookup.c matches events against;
 * and what the event readers of match_event.c and match_sco.c share.
 */
#ifndef FUSION_MATCH_INT_H
#define FUSION_MATCH_INT_H

#include "match/match.h"

/* Bytes of the windows by which needles are filed and values searched. */
#define MATCH_GRAM 4

/* One literal a value must contain. */
struct match_needle {
    const char *text;
    size_t len;
};

/*
 * Called for each comparison chosen: any observation that satisfies the
 * pattern's observation expression number leaf (when through this
 * comparison) has, at type:path of one root SCO, a string value that
 * contains every one of the n needles; an index needs to file one.
 */
typedef enum fusion_err (*match_needle_fn)(void *ctx, size_t leaf,
                                           const char *type, const char *path,
                                           const struct match_needle *needles,
                                           size_t n);

/*
 * Sets *found to whether every observation expression of pattern has
 * needles of at least MATCH_GRAM bytes (from =, LIKE and MATCHES
 * comparisons that are not negated; for an AND, those of one operand;
 * for an OR, those of all) and, when it does, calls fn for each
 * comparison chosen.
 * Paths are written as fusion_pattern_terms writes them. Stops at fn's
 * first error; FUSION_ERR_NOMEM when memory runs out.
 */
FUSION_NODISCARD enum fusion_err
match_needles(const struct fusion_pattern *pattern, bool *found,
              match_needle_fn fn, void *ctx);

/*
 * A 64-bit hash of len bytes of data, the same for the same bytes and
 * seed (not across builds), mixed well in its low bits.
 */
uint64_t match_hash_bytes(const void *data, size_t len, uint64_t seed);

/*
 * Whether events a and b record the same observation, which is whether
 * their observed-data ids are equal; the ids are made only when that
 * cannot be told otherwise (an event made from a line against one whose
 * id looks made), which may materialize one of them. Memory running out
 * then counts as different.
 */
bool match_event_same(struct fusion_event *a, struct fusion_event *b);

/*
 * The indicator index. Records and slots are numbered by uint32_t;
 * MATCH_NONE32 stands for an empty slot or no record.
 */

/* Events kept per multi-observation indicator for later completions. */
#define MATCH_RING_SIZE 64

#define MATCH_NONE32 UINT32_MAX

/* A posting with this bit holds a list number, not an ordinal. */
#define MATCH_POST_LIST 0x80000000u

enum match_ind_kind {
    MATCH_IND_DEAD,    /* removed, replaced, or never valid */
    MATCH_IND_SIMPLE,  /* a key hit is a match */
    MATCH_IND_COMPLEX, /* evaluated after a hit or for its SCO types */
};

/*
 * One indicator version. Records are never reused: a new version gets a
 * new ordinal and the old one dies, so postings need no rewriting.
 */
struct match_ind {
    uint32_t id_off; /* NUL-terminated id in the pool */
    uint32_t cplx;   /* complex record, or MATCH_NONE32 */
    uint8_t kind;
    int64_t version;
    int64_t valid_from;
    int64_t valid_until;
};

struct match_cplx {
    struct fusion_pattern_prog *prog;
    bool single;
    bool scanned;
    size_t nleaves;
    struct fusion_event **ring; /* MATCH_RING_SIZE slots, oldest first */
    uint32_t ring_n;
};

/*
 * A (type, path) of some term. Equality keys use field number 2 * i,
 * CIDR prefixes 2 * i + 1, so both live in one key table.
 */
struct match_field {
    char *type; /* "type\0path\0" in one allocation */
    const char *path;
    uint64_t hash;
    bool has_eq;
    bool fold; /* hex digests: keys in lower case (fusion_pattern_path_folds) */
    uint64_t lens[3];  /* bit n: some prefix of length n (0..128) */
    uint32_t *needled; /* indicators with needles here */
    size_t nneedled;
    size_t needled_cap;
};

/* Longest value whose letters an index folds: a digest of 512 bits. */
#define MATCH_FOLD_MAX 128

/*
 * The value of an equality key of field f: value itself, or when f folds
 * and value is short enough, value in lower case in buf (MATCH_FOLD_MAX
 * bytes).
 */
const char *match_key_text(const struct match_field *f, const char *value,
                           size_t len, char *buf);

/* A key: its value bytes are in the pool, off and len. */
struct match_key_slot {
    uint64_t hash;
    uint32_t off;
    uint32_t len;
    uint32_t field;
    /* an ordinal, MATCH_POST_LIST | list, or MATCH_NONE32 if empty */
    uint32_t post;
};

struct match_post_list {
    uint32_t *items;
    uint32_t n;
    uint32_t cap;
};

struct match_id_slot {
    uint64_t hash;
    uint32_t ord; /* MATCH_NONE32 when empty */
};

/* A window of MATCH_GRAM bytes of some needle, in a field. */
struct match_gram_slot {
    uint64_t key;  /* field number << 32 | the window's bytes */
    uint32_t list; /* its needles, in idx->needles */
};

/*
 * A needle filed under a window: its text in the pool and where the
 * window sits in it, so a value is checked for the whole needle before
 * the indicator is evaluated.
 */
struct match_needle_ref {
    uint32_t ord;
    uint32_t off;
    uint32_t len;
    uint32_t at;
};

struct match_needle_list {
    struct match_needle_ref *items;
    size_t n;
    size_t cap;
};

/* Needles filed with one text (by hash only: it guides a choice). */
struct match_text_count {
    uint64_t hash; /* 0: empty */
    uint32_t n;
};

#define MATCH_GRAM_BITS (1u << 16)

struct match_scan_type {
    char *type;
    uint32_t *ords;
    size_t n;
    size_t cap;
};

/*
 * An SCO type some field names. Walking a root of another type offers
 * nothing; for a known one, paths whose length no field of the type has
 * are passed over before they are hashed.
 */
struct match_root_type {
    char *name;
    uint64_t hash;     /* hash_field's seed for paths of this type */
    uint64_t len_mask; /* bit n % 64: some field's path is n bytes */
};

struct fusion_match_index {
    char *pool; /* key values and ids */
    size_t pool_len;
    size_t pool_cap;

    struct match_key_slot *keys;
    size_t keys_cap; /* power of two */
    size_t keys_used;
    size_t nkeys_eq;
    size_t nprefixes;

    struct match_post_list *lists;
    size_t nlists;
    size_t lists_cap;

    struct match_field *fields;
    size_t nfields;
    size_t fields_cap;
    /* open addressing over fields, MATCH_NONE32 empty */
    uint32_t *field_slots;
    size_t field_slots_cap;

    struct match_id_slot *ids;
    size_t ids_cap;
    size_t ids_used;

    struct match_root_type *types;
    size_t ntypes;
    size_t types_cap;

    struct match_ind *inds;
    uint32_t *seen; /* per ordinal: the match epoch it was last gathered */
    size_t ninds;
    size_t inds_cap;

    struct match_cplx *cplx;
    size_t ncplx;
    size_t cplx_cap;

    struct match_scan_type *scans;
    size_t nscans;
    size_t scans_cap;

    struct match_gram_slot *grams;
    size_t grams_cap;
    size_t ngrams;
    struct match_needle_list *needles;
    size_t nneedles;
    size_t needles_cap;
    struct match_text_count *texts; /* how many needles have each text */
    size_t texts_cap;
    size_t ntexts;
    uint64_t gram_bits[MATCH_GRAM_BITS / 64]; /* a quick no for most windows */

    size_t live, simple, complex, scanned, skipped;

    /*
     * Some pattern put reads ids or reference texts (see
     * fusion_pattern_reads_ids): events are then materialized before
     * they are matched, so that it sees the names it would in stored
     * objects. Never cleared: at worst events are materialized early.
     */
    bool reads_ids;

    /* matching state, reused between events */
    uint32_t epoch;
    uint32_t *cand;
    size_t ncand;
    size_t cand_cap;
};

/*
 * Addresses and CIDR blocks as 16 bytes and a prefix length; IPv4 sits
 * in the ::ffff:0:0/96 range, so one prefix table serves both.
 */
struct match_prefix {
    unsigned char len;
    unsigned char addr[16];
};

/* Grows *p, an array of *cap items of size bytes, to hold need items. */
FUSION_NODISCARD enum fusion_err match_grow(void **p, size_t *cap, size_t need,
                                            size_t size);

/*
 * The field type:path, or NULL; h is the hash of path seeded with the
 * hash of type, which struct match_root_type keeps.
 */
struct match_field *
match_field_find_hashed(const struct fusion_match_index *idx, const char *type,
                        const char *path, uint64_t h);

/* The SCO type some field names, or NULL. */
struct match_root_type *match_type_find(const struct fusion_match_index *idx,
                                        const char *type);

/* The hash of a key: len bytes of value in field number field. */
uint64_t match_key_hash(uint32_t field, const void *value, size_t len);

/*
 * The key of len bytes of value in field number field, whose
 * match_key_hash is h, or NULL.
 */
struct match_key_slot *match_key_find(const struct fusion_match_index *idx,
                                      uint32_t field, const void *value,
                                      size_t len, uint64_t h);

/* Reads n bytes of text, an address or a CIDR block; false if neither. */
bool match_parse_prefix(const char *s, size_t n, struct match_prefix *out);

/* The key of the first len bits of p: len, then the masked address. */
void match_prefix_key(const struct match_prefix *p, unsigned len,
                      unsigned char key[17]);

/* The key of the window at p (MATCH_GRAM bytes) in a field, its hash. */
uint64_t match_gram_key(uint32_t field, const char *p);
uint64_t match_gram_hash(uint64_t key);

/* The needles filed under a window's key, whose hash is h, or NULL. */
struct match_gram_slot *match_gram_find(const struct fusion_match_index *idx,
                                        uint64_t key, uint64_t h);

/*
 * Event readers. A reader adds the SCOs of one line to a builder; the
 * refs between them are local names until the event is materialized.
 */

/* Most SCOs one event line may yield. */
#define MATCH_EVENT_MAX_SCOS 4096

/*
 * Bytes of the local name of an SCO made by a reader ("@" and up to four
 * digits, MATCH_EVENT_MAX_SCOS being 4096), with its NUL.
 */
#define MATCH_LOCAL_NAME_MAX 8

/* SCOs of an event while it is built, in the order they were added. */
struct match_builder {
    json_t *scos;
    struct fusion_error *err;
};

/*
 * FUSION_ERR_INVALID for a line that is no event, with why and the
 * 0-based byte offset in the line of the fault in err.
 */
FUSION_NODISCARD enum fusion_err
match_event_invalid(struct fusion_error *err, uint64_t offset, const char *why);

/*
 * Reads a time of the event formats (RFC 3339 text with Z or an offset,
 * or seconds since the epoch); FUSION_ERR_INVALID for anything else.
 */
FUSION_NODISCARD enum fusion_err match_parse_time(const json_t *v,
                                                  struct fusion_ts *out);

/*
 * The same for the time of a Suricata or Zeek line, which must also lie
 * between 1677 and 2262, the reach of a time in nanoseconds.
 */
FUSION_NODISCARD enum fusion_err match_parse_sensor_time(const json_t *v,
                                                         struct fusion_ts *out);

/*
 * Sets obj[key] to a copy of value, whose UTF-8 is not checked (ASCII
 * or text of the line); FUSION_ERR_NOMEM when memory runs out.
 */
FUSION_NODISCARD enum fusion_err match_set_str(json_t *obj, const char *key,
                                               const char *value);

/* Writes into out the local name of a reader's SCO number i. */
void match_local_name(size_t i, char out[MATCH_LOCAL_NAME_MAX]);

/*
 * Reads a Suricata EVE JSON or a Zeek JSON line (root, a JSON object):
 * adds its SCOs to b, sets *when to its time and *kind to its event type
 * or log, a string that lives as long as root. FUSION_ERR_INVALID,
 * detailed in b->err, for a line without them; FUSION_ERR_NOMEM when
 * memory runs out.
 */
FUSION_NODISCARD enum fusion_err match_read_suricata(const json_t *root,
                                                     struct match_builder *b,
                                                     struct fusion_ts *when,
                                                     const char **kind);
FUSION_NODISCARD enum fusion_err match_read_zeek(const json_t *root,
                                                 struct match_builder *b,
                                                 struct fusion_ts *when,
                                                 const char **kind);

#endif
