/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STIX patterning (STIX 2.1 section 9): lexer, parser to an abstract
 * syntax tree, semantic checks, a canonical printer, the upgrade of STIX
 * 2.0 pattern text, and the observable keys a pattern compares against.
 *
 * A parsed pattern is immutable and may be read by several threads.
 * None of these functions print or log.
 */
#ifndef FUSION_PATTERN_H
#define FUSION_PATTERN_H

#include "stix/stix.h"

/* Longest pattern text accepted by default (bytes); callers may lower it. */
#define FUSION_PATTERN_MAX_LEN (1u << 20)

/* Deepest nesting of parentheses and brackets accepted. */
#define FUSION_PATTERN_MAX_DEPTH 64

struct fusion_pattern;

/*
 * Parses len bytes of pattern text. On success *out owns the tree (free
 * it with fusion_pattern_free). On a syntax error returns
 * FUSION_ERR_INVALID and err names the byte offset (has_offset, column =
 * offset + 1) and what was expected there ("expected ']' at byte 17,
 * found 'AND'"). Too long or too deep input is FUSION_ERR_LIMIT.
 */
FUSION_NODISCARD enum fusion_err
fusion_pattern_parse(const char *text, size_t len, struct fusion_pattern **out,
                     struct fusion_error *err);

void fusion_pattern_free(struct fusion_pattern *pattern);

/*
 * Semantic checks beyond the grammar (section 8 of the patterning notes):
 * operator and literal compatibility, qualifier values, hash lengths,
 * known SCO types and properties, and, when those pass, what compiling
 * finds (see fusion_pattern_compile). Problems are added to rep
 * (warnings for unknown custom properties and for patterns beyond
 * Fusion's evaluation bounds, errors for what the spec forbids, such as
 * a regex PCRE2 refuses); returns FUSION_ERR_INVALID when an error was
 * added.
 */
FUSION_NODISCARD enum fusion_err
fusion_pattern_check(const struct fusion_pattern *pattern,
                     struct fusion_stix_report *rep);

/*
 * Appends the canonical text of pattern to out: single spaces, keywords
 * upper case, '=' and '!=' for the aliases, quoted path components only
 * where needed. Parsing the printed text gives the same tree.
 */
FUSION_NODISCARD enum fusion_err
fusion_pattern_print(const struct fusion_pattern *pattern,
                     struct fusion_buf *out);

/*
 * The structure of pattern as a JSON tree, for people and programs: each
 * node has "kind" (FOLLOWEDBY, OR, AND, group, observation; AND and OR
 * inside an observation; comparison) and its "operands"; observations
 * carry "leaf" (their number in text order) and "expression", any node
 * "qualifiers" as text; comparisons "text", "type", "path", "operator",
 * "negated", "value" (as the canonical form writes it) and "offset".
 */
FUSION_NODISCARD enum fusion_err
fusion_pattern_explain(const struct fusion_pattern *pattern, json_t **out);

/*
 * Rewrites STIX 2.0 pattern text as STIX 2.1: START/STOP string literals
 * become timestamp literals, and renamed SCO properties take their 2.1
 * names (file created/modified/accessed to ctime/mtime/atime and the rest
 * of the upgrade list). Everything else, comments and spacing included,
 * is kept. Appends the result to out; FUSION_ERR_INVALID when the text
 * does not lex.
 */
FUSION_NODISCARD enum fusion_err
fusion_pattern_upgrade_20(const char *text, size_t len, struct fusion_buf *out,
                          struct fusion_error *err);

/*
 * Calls fn with the observable key (fusion_stix_pattern_key) of every
 * comparison "path = 'string'" that is not negated, so an indicator can
 * be found from the values it looks for. Stops at fn's first error.
 */
FUSION_NODISCARD enum fusion_err
fusion_pattern_keys(const struct fusion_pattern *pattern, fusion_stix_key_fn fn,
                    void *ctx);

/*
 * Evaluation (STIX 2.1 section 9 and sections 4 and 5 of the patterning
 * notes; docs/pattern.md states every choice).
 *
 * One observation: an observed-data object, or one event read as one.
 * objects[i] is an SCO (a JSON object with at least "type"); refs[i] is
 * the name the other SCOs of this observation use for it in their _ref
 * and _refs properties (the key of a STIX 2.0 "objects" dictionary, or
 * the SCO's id); refs or any refs[i] may be NULL. A reference to a name
 * not in refs counts as absent. first and last are first_observed and
 * last_observed: first orders FOLLOWEDBY, [first, last] must lie inside
 * START/STOP, and WITHIN spans from the earliest first to the latest
 * last of the observations used. Each observation counts once for
 * REPEATS. All of it is borrowed for the duration of a call.
 */
struct fusion_observation {
    const json_t *const *objects;
    const char *const *refs;
    size_t count;
    struct fusion_ts first;
    struct fusion_ts last;
};

/* Most observations one match of a pattern may use (REPEATS included). */
#define FUSION_PATTERN_MAX_USED 64

/* A pattern compiled for evaluation. */
struct fusion_pattern_prog;

/*
 * Compiles a parsed pattern for evaluation: MATCHES regexes with PCRE2
 * (JIT where available), CIDR constants of ISSUBSET and ISSUPERSET, LIKE
 * constants, after fusion_pattern_hash_names. Takes ownership of
 * pattern, also on failure. A regex that
 * does not compile, or a CIDR constant that is no address, is
 * FUSION_ERR_INVALID with the byte offset of the comparison in err. A
 * part of the pattern that needs more than FUSION_PATTERN_MAX_USED
 * observations, a path of more than 128 steps, or more than 4
 * qualifiers on one expression, is FUSION_ERR_LIMIT with the offset of
 * the expression or qualifier: valid STIX that Fusion does not
 * evaluate. fusion_pattern_check reports both kinds too. The prog is
 * immutable; free it with fusion_pattern_prog_free, which frees the
 * pattern too.
 */
FUSION_NODISCARD enum fusion_err
fusion_pattern_compile(struct fusion_pattern *pattern,
                       struct fusion_pattern_prog **out,
                       struct fusion_error *err);

void fusion_pattern_prog_free(struct fusion_pattern_prog *prog);

/* The parsed pattern, owned by prog and valid as long as it is. */
const struct fusion_pattern *
fusion_pattern_prog_pattern(const struct fusion_pattern_prog *prog);

/*
 * True when the pattern is one observation expression ([ ... ]) without
 * qualifiers, so that one observation decides it.
 */
bool fusion_pattern_prog_single(const struct fusion_pattern_prog *prog);

/*
 * False when observations a and b cannot both be used by one match
 * because a WITHIN qualifier of the whole pattern leaves too little time
 * between them; true otherwise. A caller keeping past observations may
 * leave such ones out of an evaluation that must use a given one.
 */
bool fusion_pattern_prog_within(const struct fusion_pattern_prog *prog,
                                const struct fusion_observation *a,
                                const struct fusion_observation *b);

/* The observation expressions ([ ... ]) of the pattern, in text order. */
size_t fusion_pattern_prog_leaves(const struct fusion_pattern_prog *prog);

/*
 * True when obs satisfies leaf number leaf (0-based, text order) on its
 * own, its qualifiers and the observation operators around it ignored.
 * False for a leaf number out of range, and when memory runs out.
 * Thread-safe: any number of threads may test one prog at once.
 */
bool fusion_pattern_leaf_match(const struct fusion_pattern_prog *prog,
                               size_t leaf,
                               const struct fusion_observation *obs);

/* What matched: the observations (indexes into the evaluated array). */
struct fusion_pattern_result {
    bool matched;
    size_t used[FUSION_PATTERN_MAX_USED];
    size_t nused;
};

/*
 * Evaluates prog against the observations obs[0..n): res->matched tells
 * whether some choice of them satisfies the whole pattern, and res->used
 * names one such choice (the first found, indexes ascending). With
 * must < n only choices that use obs[must] count, so that a stream can
 * ask whether its newest observation completes a match; must >= n lets
 * any choice count. An invalid pattern never matches. The search
 * considers at most about a million candidate bindings:
 * FUSION_ERR_LIMIT when it would exceed that (the limit is in err;
 * res->matched is then false). FUSION_ERR_NOMEM when memory runs out.
 * Thread-safe: a prog is never written after compiling.
 */
FUSION_NODISCARD enum fusion_err
fusion_pattern_eval(const struct fusion_pattern_prog *prog,
                    const struct fusion_observation *const *obs, size_t n,
                    size_t must, struct fusion_pattern_result *res,
                    struct fusion_error *err);

/*
 * Terms for an index of many patterns.
 *
 * A term is a comparison an index can look up: EQUAL is "path = 'v'" or
 * one member of "path IN ('v', ...)" with a string constant, not
 * negated; SUBSET is "path ISSUBSET 'cidr'", not negated. type is the
 * SCO type, path the canonical text of the path after the colon (as
 * fusion_pattern_print writes it, except that a list index [n] is
 * written [*], so that a term of an indexed path still anchors its
 * pattern; paths of more than 1 KiB give no terms), value the constant.
 * Pointers are valid for the callback only.
 */
enum fusion_pattern_term_kind {
    FUSION_PATTERN_TERM_EQUAL,
    FUSION_PATTERN_TERM_SUBSET,
};

struct fusion_pattern_term {
    enum fusion_pattern_term_kind kind;
    size_t leaf; /* observation expression it belongs to (text order) */
    const char *type;
    const char *path;
    const char *value;
    size_t value_len;
};

typedef enum fusion_err (*fusion_pattern_term_fn)(
    void *ctx, const struct fusion_pattern_term *term);

/*
 * How an index can find the events a pattern may match.
 * FUSION_PATTERN_SIMPLE: one observation expression without qualifiers
 * whose comparisons are EQUAL terms on paths without list indexes or
 * binary (_bin, _hex) properties, joined by OR only: an observation
 * matches exactly when the value at one term's path equals its value.
 * FUSION_PATTERN_ANCHORED: every observation expression has terms one of
 * which any observation it matches must satisfy (for an AND inside [ ],
 * those of one operand; for an OR, those of all operands).
 * FUSION_PATTERN_SCAN: some observation expression has no such terms.
 */
enum fusion_pattern_shape {
    FUSION_PATTERN_SIMPLE,
    FUSION_PATTERN_ANCHORED,
    FUSION_PATTERN_SCAN,
};

/*
 * Sets *shape and, unless it is SCAN, calls fn with the terms of each
 * observation expression (the anchor set described above). Stops at
 * fn's first error.
 */
FUSION_NODISCARD enum fusion_err
fusion_pattern_terms(const struct fusion_pattern *pattern,
                     enum fusion_pattern_shape *shape,
                     fusion_pattern_term_fn fn, void *ctx);

/*
 * The other side: calls fn with a term for every string value of the
 * SCO obs->objects[root] at the paths an index may hold: its string
 * properties, the members of its dictionaries (hashes.MD5), strings in
 * lists as [*], and the same through its _ref and _refs[*] properties to
 * the SCOs of obs (dst_ref.value, resolves_to_refs[*].value), at most
 * FUSION_PATTERN_TERM_DEPTH steps deep. The kind is EQUAL; leaf is 0.
 */
#define FUSION_PATTERN_TERM_DEPTH 4

FUSION_NODISCARD enum fusion_err
fusion_observation_terms(const struct fusion_observation *obs, size_t root,
                         fusion_pattern_term_fn fn, void *ctx);

/*
 * The same walk, asking filter(ctx, path, len) before it visits the
 * value at path (a string's term, or what lies below an object, a list
 * as path[*], or a reference): false passes over the value and all
 * below it. path is written as a term's path and is valid for the call
 * only. With a filter that accepts exactly the paths of some set S and
 * every prefix of them ending before a step (before a '.' or '[' outside
 * quotes), fn gets exactly the terms of the unfiltered walk at the paths
 * accepted (so all those at paths of S), in the same order. filter may
 * be NULL (no filtering).
 */
typedef bool (*fusion_pattern_path_fn)(void *ctx, const char *path, size_t len);

FUSION_NODISCARD enum fusion_err
fusion_observation_terms_filtered(const struct fusion_observation *obs,
                                  size_t root, fusion_pattern_path_fn filter,
                                  fusion_pattern_term_fn fn, void *ctx);

/*
 * The hash-algorithm-ov name (STIX 2.1 section 10.3: MD5, SHA-1,
 * SHA-256, SHA-512, SHA3-256, SHA3-512, SSDEEP, TLSH) that key spells
 * another way (other case, '-' left out or added), or NULL when key is
 * that name already or none of them.
 */
const char *fusion_pattern_hash_name(const char *key, size_t len);

/*
 * Rewrites hash algorithm names of the pattern's paths (the key after
 * hashes) that spell a name of the hash-algorithm-ov vocabulary another
 * way, to that name: hashes.md5 and hashes.SHA256 become hashes.MD5 and
 * hashes.'SHA-256'. For matching, which reads the keys of an SCO's
 * hashes by the same names; the pattern then prints otherwise than its
 * text.
 */
void fusion_pattern_hash_names(struct fusion_pattern *pattern);

/*
 * Whether the values at a path, written as a term's path, are numbers
 * in hex digits: digests (the last step names an algorithm under
 * hashes, any but SSDEEP and TLSH) and serial_number (of certificates).
 * Fusion compares such values without regard to the case of their
 * letters, in the evaluator and in an index alike: a SHA-256 is the same
 * digest in capitals.
 */
bool fusion_pattern_path_folds(const char *path, size_t len);

/*
 * Whether some comparison of pattern reads an object's id or
 * spec_version, or the text of a _ref or _refs property itself (rather
 * than a property of the object it names), so that its result depends
 * on the names the SCOs of an observation are known by.
 */
bool fusion_pattern_reads_ids(const struct fusion_pattern *pattern);

#endif
