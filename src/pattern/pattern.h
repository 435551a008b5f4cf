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
 * known SCO types and properties. Problems are added to rep (warnings for
 * unknown custom properties, errors for what the spec forbids); returns
 * FUSION_ERR_INVALID when an error was added.
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

#endif
