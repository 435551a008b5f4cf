/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal interface of the pattern module: the token stream, the arena
 * and the abstract syntax tree that the checker, printer, key extractor,
 * evaluator and index all walk.
 */
#ifndef FUSION_PATTERN_INT_H
#define FUSION_PATTERN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pattern/pattern.h"

/*
 * Arena: every node, string and array of one pattern lives in a chain of
 * chunks freed together by fusion_pattern_free.
 */
struct pattern_chunk {
    struct pattern_chunk *next;
    size_t cap;
    size_t used;
    unsigned char *data;
};

struct pattern_arena {
    struct pattern_chunk *head;
};

/* Returns size bytes aligned for any AST type, or NULL when out of memory. */
void *pattern_arena_alloc(struct pattern_arena *arena, size_t size);

/* Copies n bytes and adds a NUL; NULL when out of memory. */
char *pattern_arena_strndup(struct pattern_arena *arena, const char *s,
                            size_t n);

/*
 * Tokens (section 2 of the patterning notes). Keywords are case-sensitive
 * and win over identifiers of the same length only.
 */
enum pattern_tok {
    TOK_EOF,
    TOK_IDENT,        /* [a-zA-Z_][a-zA-Z0-9_]* */
    TOK_IDENT_HYPHEN, /* [a-zA-Z_][a-zA-Z0-9_-]* with at least one '-' */
    TOK_STRING,
    TOK_INT,
    TOK_FLOAT,
    TOK_HEX,
    TOK_BINARY,
    TOK_TIMESTAMP,
    TOK_TRUE,
    TOK_FALSE,
    TOK_AND,
    TOK_OR,
    TOK_NOT,
    TOK_FOLLOWEDBY,
    TOK_LIKE,
    TOK_MATCHES,
    TOK_ISSUPERSET,
    TOK_ISSUBSET,
    TOK_EXISTS,
    TOK_LAST,
    TOK_IN,
    TOK_START,
    TOK_STOP,
    TOK_SECONDS,
    TOK_WITHIN,
    TOK_REPEATS,
    TOK_TIMES,
    TOK_EQ,
    TOK_NEQ,
    TOK_LT,
    TOK_LE,
    TOK_GT,
    TOK_GE,
    TOK_COLON,
    TOK_DOT,
    TOK_COMMA,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_LBRACK,
    TOK_RBRACK,
    TOK_ASTERISK,
    TOK_PLUS,
    TOK_MINUS,
    TOK_POWER,
    TOK_DIVIDE,
};

struct pattern_token {
    enum pattern_tok kind;
    size_t start; /* byte offset of the first byte */
    size_t len;   /* bytes of source text */
};

struct pattern_lexer {
    const char *text;
    size_t len;
    size_t pos;
};

void pattern_lexer_init(struct pattern_lexer *lx, const char *text, size_t len);

/*
 * Reads the next token, skipping whitespace and comments. A malformed
 * literal or a character that starts no token is FUSION_ERR_INVALID with
 * the offset in err.
 */
FUSION_NODISCARD enum fusion_err pattern_lex(struct pattern_lexer *lx,
                                             struct pattern_token *tok,
                                             struct fusion_error *err);

/* Static spelling of a token kind for messages ("']'", "a string"). */
const char *pattern_tok_name(enum pattern_tok kind);

/* True when s[0..len) spells a keyword of the grammar. */
bool pattern_is_keyword(const char *s, size_t len);

/*
 * Syntax tree. Lists (children, path steps, set members) are arrays
 * allocated in the arena; strings are NUL-terminated copies with their
 * length, since a decoded string may itself contain a NUL.
 */
enum fusion_pattern_lit_kind {
    FUSION_PATTERN_LIT_STRING,
    FUSION_PATTERN_LIT_INT,
    FUSION_PATTERN_LIT_FLOAT,
    FUSION_PATTERN_LIT_BOOL,
    FUSION_PATTERN_LIT_TIMESTAMP,
    FUSION_PATTERN_LIT_HEX,    /* h'..', decoded into bytes */
    FUSION_PATTERN_LIT_BINARY, /* b'..', base64-decoded into bytes */
    FUSION_PATTERN_LIT_SET,    /* ( ... ) after IN; members are scalars */
};

struct fusion_pattern_lit {
    enum fusion_pattern_lit_kind kind;

    union {
        struct {
            const char *ptr; /* string (UTF-8) or bytes, NUL-terminated */
            size_t len;
        } str;

        int64_t i;
        double f;
        bool b;

        struct {
            struct fusion_ts ts;
            const char *text; /* as written between the quotes */
            size_t len;
            bool is_date; /* false for e.g. February 30 */
        } ts;

        struct {
            struct fusion_pattern_lit *items;
            size_t count;
        } set;
    } u;
};

enum fusion_pattern_step_kind {
    FUSION_PATTERN_STEP_KEY,   /* .name or .'quoted', and the first part */
    FUSION_PATTERN_STEP_INDEX, /* [n], n may be negative */
    FUSION_PATTERN_STEP_ANY,   /* [*] */
};

struct fusion_pattern_step {
    enum fusion_pattern_step_kind kind;
    const char *key; /* KEY only */
    size_t key_len;
    int64_t index; /* INDEX only */
};

/* <type>:<steps>; steps[0] is always a KEY (the property). */
struct fusion_pattern_path {
    const char *type;
    size_t type_len;
    struct fusion_pattern_step *steps;
    size_t nsteps;
};

enum fusion_pattern_op {
    FUSION_PATTERN_OP_EQ, /* = and == */
    FUSION_PATTERN_OP_NE, /* != and <> */
    FUSION_PATTERN_OP_LT,
    FUSION_PATTERN_OP_LE,
    FUSION_PATTERN_OP_GT,
    FUSION_PATTERN_OP_GE,
    FUSION_PATTERN_OP_IN,
    FUSION_PATTERN_OP_LIKE,
    FUSION_PATTERN_OP_MATCHES,
    FUSION_PATTERN_OP_ISSUBSET,
    FUSION_PATTERN_OP_ISSUPERSET,
    FUSION_PATTERN_OP_EXISTS, /* lit is unused */
};

/* One comparison: path [NOT] op lit, or [NOT] EXISTS path. */
struct fusion_pattern_cmp {
    struct fusion_pattern_path path;
    enum fusion_pattern_op op;
    bool negated;
    struct fusion_pattern_lit lit;
    size_t offset; /* byte offset of the comparison in the text */
    size_t index;  /* 0-based number among all comparisons, text order */
};

enum fusion_pattern_cexpr_kind {
    FUSION_PATTERN_CEXPR_CMP,
    FUSION_PATTERN_CEXPR_AND,
    FUSION_PATTERN_CEXPR_OR,
};

/*
 * Boolean expression inside one [ ]. AND and OR are n-ary (two or more
 * kids) for one run of the operator; a parenthesized run of the same
 * operator stays a separate kid, so the tree mirrors the text.
 */
struct fusion_pattern_cexpr {
    enum fusion_pattern_cexpr_kind kind;
    struct fusion_pattern_cmp *cmp; /* CMP only */
    struct fusion_pattern_cexpr **kids;
    size_t nkids;
};

enum fusion_pattern_qual_kind {
    FUSION_PATTERN_QUAL_WITHIN,
    FUSION_PATTERN_QUAL_REPEATS,
    FUSION_PATTERN_QUAL_STARTSTOP,
};

struct fusion_pattern_qual {
    enum fusion_pattern_qual_kind kind;
    size_t offset;
    /* WITHIN: an INT or FLOAT literal, and its value in seconds */
    struct fusion_pattern_lit within;
    double within_secs;
    int64_t repeats;
    /* START and STOP: TIMESTAMP literals */
    struct fusion_pattern_lit start;
    struct fusion_pattern_lit stop;
};

enum fusion_pattern_obs_kind {
    FUSION_PATTERN_OBS_LEAF, /* [ cexpr ] */
    FUSION_PATTERN_OBS_AND,
    FUSION_PATTERN_OBS_OR,
    FUSION_PATTERN_OBS_FOLLOWEDBY,
    /*
     * ( obs ) when obs already carries qualifiers and more follow the
     * parenthesis: "([a] REPEATS 2 TIMES) REPEATS 2 TIMES" needs two
     * levels, unlike "[a] REPEATS 2 TIMES REPEATS 2 TIMES".
     */
    FUSION_PATTERN_OBS_GROUP,
};

/*
 * Observation expression. quals apply in order, quals[0] first (the one
 * written nearest to the expression); they bind tighter than any
 * observation operator. AND, OR and FOLLOWEDBY are n-ary like cexpr, kids
 * in text order; GROUP has exactly one kid.
 */
struct fusion_pattern_obs {
    enum fusion_pattern_obs_kind kind;
    struct fusion_pattern_cexpr *cexpr; /* LEAF only */
    struct fusion_pattern_obs **kids;
    size_t nkids;
    struct fusion_pattern_qual *quals;
    size_t nquals;
    size_t offset;
    size_t leaf; /* LEAF only: 0-based number among the leaves, text order */
};

struct fusion_pattern {
    struct pattern_arena arena;
    struct fusion_pattern_obs *root;
    size_t ncmp;    /* comparisons in the whole pattern */
    size_t nleaves; /* observation expressions [ ... ] */
};

/*
 * CIDR blocks for ISSUBSET and ISSUPERSET (pattern_cidr.c). A plain
 * address is a block of one (/32 or /128); host bits are cleared.
 */
struct pattern_cidr {
    int family;      /* 4 or 6 */
    unsigned prefix; /* 0 to 32, or 0 to 128 */
    unsigned char addr[16];
};

/* Parses "addr" or "addr/prefix" of s[0..len); false when it is neither. */
bool pattern_cidr_parse(const char *s, size_t len, struct pattern_cidr *out);

/* True when inner lies wholly inside outer (same family, longer prefix). */
bool pattern_cidr_contains(const struct pattern_cidr *outer,
                           const struct pattern_cidr *inner);

/*
 * SQL LIKE (pattern_like.c): '%' stands for any run of units, '_' for
 * exactly one; there is no escape character. A unit is a code point of
 * UTF-8 text when utf8 is set, else a byte.
 */
bool pattern_like_match(const char *pat, size_t plen, const char *s, size_t len,
                        bool utf8);

/*
 * Reads UTF-8 text s[0..len) as Latin-1: true when every code point is
 * below U+0100, each then written to out (room for len bytes) as one
 * byte of the same value; false for other or malformed text.
 */
bool pattern_latin1(const char *s, size_t len, unsigned char *out,
                    size_t *len_out);

/*
 * Whether a hash algorithm name, bare or in single quotes, names a
 * digest written in hex digits: any but SSDEEP and TLSH.
 */
bool pattern_hex_algorithm(const char *name, size_t len);

/*
 * The rule of fusion_pattern_path_folds on the last two key steps of a
 * path: parent NULL when last is its only step. Keys bare or quoted.
 */
bool pattern_folds_keys(const char *parent, size_t parent_len, const char *last,
                        size_t last_len);

/*
 * Compiles pattern as fusion_pattern_compile does, without taking it,
 * and drops the result: the same errors, for checking.
 */
FUSION_NODISCARD enum fusion_err
pattern_compile_probe(const struct fusion_pattern *pattern,
                      struct fusion_error *err);

/*
 * Appends the canonical text of a path after the colon ("hashes.'SHA-256'")
 * to out.
 */
FUSION_NODISCARD enum fusion_err
pattern_print_path_steps(const struct fusion_pattern_path *path,
                         struct fusion_buf *out);

#endif
