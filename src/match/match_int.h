/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal interface of the match module: the literal text a pattern
 * without index terms still requires, so that the index can pass over
 * most events without evaluating it.
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

#endif
