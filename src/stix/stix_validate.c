/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STIX 2.1 object validation: the engine, the common properties and the
 * value types shared by every object (section 14 checklist of the notes).
 */
#include "stix/stix.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix_validate_int.h"

/* Integers MUST fit in [-(2^53)+1, (2^53)-1] (STIX 2.1 section 2.13). */
#define INT_LIMIT INT64_C(9007199254740991)

/* Custom values are walked to this depth at most. */
#define DEPTH_MAX 32

/* Bad values are quoted up to this many bytes. */
#define QUOTE_MAX 80

#define ERR  FUSION_STIX_ERROR
#define WARN FUSION_STIX_WARNING

#define Q(s) (int)(strlen(s) > QUOTE_MAX ? QUOTE_MAX : strlen(s)), (s)

void
fusion_stix_issue(struct stix_vctx *c, enum fusion_stix_severity sev,
                  const char *fmt, ...)
{
    char message[512];
    va_list ap;

    assert(c && c->rep && fmt);
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (fusion_stix_report_add(c->rep, sev, c->path, "%s", message) !=
        FUSION_OK)
        c->nomem = true;
}

/* Appends to the path without formatting: it runs for every property. */
static void
path_append(struct stix_vctx *c, const char *s, size_t len)
{
    size_t room;

    assert(c->plen < sizeof(c->path));
    assert(s || !len);
    room = sizeof(c->path) - 1 - c->plen;
    if (len > room)
        len = room;
    memcpy(c->path + c->plen, s, len);
    c->plen += len;
    c->path[c->plen] = '\0';
}

size_t
fusion_stix_path_key(struct stix_vctx *c, const char *key)
{
    size_t old = c->plen;

    assert(key);
    if (old)
        path_append(c, ".", 1);
    path_append(c, key, strlen(key));
    return old;
}

size_t
fusion_stix_path_index(struct stix_vctx *c, size_t index)
{
    char digits[24];
    size_t old = c->plen, n = sizeof(digits);

    digits[--n] = ']';
    do {
        digits[--n] = (char)('0' + index % 10);
        index /= 10;
    } while (index);
    assert(n > 0);
    digits[--n] = '[';
    path_append(c, digits + n, sizeof(digits) - n);
    return old;
}

void
fusion_stix_path_pop(struct stix_vctx *c, size_t len)
{
    assert(len <= c->plen);
    c->plen = len;
    c->path[len] = '\0';
}

const char *
fusion_stix_json_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "list";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        break;
    }
    return "null";
}

void
fusion_stix_wrong_type(struct stix_vctx *c, const char *want, const json_t *v)
{
    assert(want);
    fusion_stix_issue(c, ERR, "expected %s, got %s", want,
                      fusion_stix_json_type(v));
}

/*
 * Character classes
 */

static bool
is_lower_digit(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static bool
is_alnum(char ch)
{
    return is_lower_digit(ch) || (ch >= 'A' && ch <= 'Z');
}

static bool
is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
           (ch >= 'A' && ch <= 'F');
}

static bool
has_suffix(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    assert(s);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/*
 * Property names: ASCII a-z, 0-9 and '_', 3 to 250 characters (STIX 2.1
 * section 3.1); the schemas also want a leading letter. "id" is the one
 * shorter name.
 */
static bool
prop_name_is_valid(const char *s, size_t len)
{
    if (len == 2 && memcmp(s, "id", 2) == 0)
        return true;
    if (len < 3 || len > 250 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 1; i < len; i++) {
        if (!is_lower_digit(s[i]) && s[i] != '_')
            return false;
    }
    return true;
}

/*
 * Type names: ASCII a-z, 0-9 and '-', a letter first and a letter or
 * digit last, 3 to 250 characters, no "--" (section 2.9 and 11.1).
 */
static bool
type_name_is_valid(const char *s, size_t len)
{
    if (len < 3 || len > 250 || s[0] < 'a' || s[0] > 'z' || s[len - 1] == '-')
        return false;
    for (size_t i = 1; i < len; i++) {
        if (!is_lower_digit(s[i]) && s[i] != '-')
            return false;
        if (s[i] == '-' && s[i - 1] == '-')
            return false;
    }
    return true;
}

/* Dictionary keys: ASCII a-z, A-Z, 0-9, '_' and '-', at most 250 bytes. */
static bool
dict_key_is_valid(const char *s, size_t len)
{
    if (len > 250)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    }
    return true;
}

/* Reserved names MUST NOT be used (section 3.8); the schemas add one. */
static bool
is_reserved(const char *name)
{
    assert(name);
    switch (name[0]) {
    case 'a':
        return strcmp(name, "action") == 0;
    case 'p':
        return strcmp(name, "phone_number") == 0 ||
               strcmp(name, "phone_numbers") == 0;
    case 's':
        return strcmp(name, "severity") == 0;
    case 'u':
        return strcmp(name, "username") == 0;
    default:
        break;
    }
    return false;
}

static bool
hex_is_valid(const char *s, size_t len)
{
    if (len == 0 || len % 2)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_hex(s[i]))
            return false;
    }
    return true;
}

static bool
is_b64(char ch)
{
    return is_alnum(ch) || ch == '+' || ch == '/';
}

/* RFC 4648 base64 with padding, at least one group. */
static bool
base64_is_valid(const char *s, size_t len)
{
    size_t pad = 0;

    if (len == 0 || len % 4)
        return false;
    if (s[len - 1] == '=')
        pad = s[len - 2] == '=' ? 2 : 1;
    for (size_t i = 0; i < len - pad; i++) {
        if (!is_b64(s[i]))
            return false;
    }
    return true;
}

static bool
is_uri_char(unsigned char ch)
{
    if (ch <= 0x20 || ch >= 0x7f)
        return false;
    switch (ch) {
    case '"':
    case '<':
    case '>':
    case '\\':
    case '^':
    case '`':
    case '{':
    case '|':
    case '}':
        return false;
    default:
        break;
    }
    return true;
}

/*
 * An absolute URI (RFC 3986): scheme ":" then only URI characters, and
 * '%' only before two hex digits.
 */
static bool
uri_is_valid(const char *s, size_t len)
{
    size_t i = 1;

    if (len == 0 ||
        !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    while (i < len && (is_alnum(s[i]) || strchr("+-.", s[i])))
        i++;
    if (i == len || s[i] != ':')
        return false;
    for (i++; i < len; i++) {
        if (!is_uri_char((unsigned char)s[i]))
            return false;
        if (s[i] == '%' &&
            (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2])))
            return false;
    }
    return true;
}

/* Timestamps (section 2.16): RFC 3339 with an upper-case T and Z. */
static bool
parse_ts(const char *s, size_t len, struct fusion_ts *out)
{
    if (len < 20 || s[10] != 'T' || s[len - 1] != 'Z')
        return false;
    return fusion_ts_parse(s, len, out, NULL) == FUSION_OK;
}

static bool
get_ts(const json_t *obj, const char *key, struct fusion_ts *out)
{
    const json_t *v = json_object_get(obj, key);

    return json_is_string(v) &&
           parse_ts(json_string_value(v), json_string_length(v), out);
}

void
fusion_stix_check_order(struct stix_vctx *c, const json_t *obj,
                        const char *earlier, const char *later, bool strict)
{
    struct fusion_ts a, b;
    int order;
    size_t old;

    assert(c && earlier && later);
    if (!get_ts(obj, earlier, &a) || !get_ts(obj, later, &b))
        return;
    order = fusion_ts_compare(&b, &a);
    if (order > 0 || (order == 0 && !strict))
        return;
    old = fusion_stix_path_key(c, later);
    fusion_stix_issue(c, ERR, "'%s' must be %s %s '%s'",
                      json_string_value(json_object_get(obj, later)),
                      strict ? "later than" : "no earlier than", earlier,
                      json_string_value(json_object_get(obj, earlier)));
    fusion_stix_path_pop(c, old);
}

static void
check_ts(struct stix_vctx *c, const json_t *v, enum stix_ptype type)
{
    const char *s = json_string_value(v);
    struct fusion_ts tv;

    assert(type == STIX_P_TS || type == STIX_P_TS_MS || type == STIX_P_TS_SEC);
    if (!s) {
        fusion_stix_wrong_type(c, "a timestamp string", v);
        return;
    }
    if (!parse_ts(s, json_string_length(v), &tv)) {
        fusion_stix_issue(c, ERR,
                          "invalid timestamp '%.*s': expected "
                          "YYYY-MM-DDTHH:MM:SS[.s+]Z in UTC",
                          Q(s));
        return;
    }
    if (type == STIX_P_TS_MS && tv.frac_digits < 3)
        fusion_stix_issue(c, ERR,
                          "timestamp '%s' must have millisecond precision "
                          "(3 or more fractional digits)",
                          s);
    if (type == STIX_P_TS_SEC && tv.frac_digits != 0)
        fusion_stix_issue(c, ERR,
                          "timestamp '%s' must be precise to the "
                          "second, without fractional digits",
                          s);
}

/*
 * References
 */

static unsigned
class_of_type(const char *type)
{
    switch (fusion_stix_kind_of_type(type)) {
    case FUSION_STIX_KIND_SDO:
        return STIX_CL_SDO;
    case FUSION_STIX_KIND_SRO:
        return STIX_CL_SRO;
    case FUSION_STIX_KIND_SCO:
        return STIX_CL_SCO;
    case FUSION_STIX_KIND_META:
        if (strcmp(type, "marking-definition") == 0)
            return STIX_CL_MD;
        return strcmp(type, "language-content") == 0 ? STIX_CL_LC : STIX_CL_EXT;
    case FUSION_STIX_KIND_BUNDLE:
    case FUSION_STIX_KIND_UNKNOWN:
        break;
    }
    return 0;
}

static bool
ref_target_allowed(const struct stix_ref_rule *r, const char *id)
{
    char type[256];
    const char *sep = strstr(id, "--");
    size_t len = (size_t)(sep - id);
    unsigned cls;

    assert(r);
    assert(sep && len < sizeof(type));
    memcpy(type, id, len);
    type[len] = '\0';
    for (const char *const *t = r->types; t && *t; t++) {
        if (strcmp(*t, type) == 0)
            return true;
    }
    if (strcmp(type, "bundle") == 0)
        return false;
    cls = class_of_type(type);
    return cls ? (cls & r->classes) != 0 : r->custom;
}

static void
check_ref(struct stix_vctx *c, const json_t *v, const struct stix_ref_rule *r)
{
    const char *s = json_string_value(v);

    if (!s) {
        fusion_stix_wrong_type(c, "an identifier string", v);
        return;
    }
    if (!fusion_stix_id_is_valid(s, NULL)) {
        fusion_stix_issue(c, ERR,
                          "'%.*s' is not an identifier of the form "
                          "<type>--<uuid>",
                          Q(s));
        return;
    }
    if (r && !ref_target_allowed(r, s))
        fusion_stix_issue(c, ERR, "'%s' must refer to %s", s, r->what);
}

/*
 * Lists, dictionaries, vocabularies
 */

bool
fusion_stix_check_list(struct stix_vctx *c, const json_t *v)
{
    if (!json_is_array(v)) {
        fusion_stix_wrong_type(c, "a list", v);
        return false;
    }
    return json_array_size(v) > 0;
}

void
fusion_stix_check_object_list(struct stix_vctx *c, const json_t *v,
                              const struct stix_type_rule *rule)
{
    const json_t *item;
    size_t i, old;

    assert(rule);
    if (!json_is_array(v)) {
        fusion_stix_issue(c, ERR, "expected a list, got %s",
                          fusion_stix_json_type(v));
        return;
    }
    json_array_foreach(v, i, item)
    {
        old = fusion_stix_path_index(c, i);
        if (!json_is_object(item)) {
            fusion_stix_issue(c, ERR, "expected an object, got %s",
                              fusion_stix_json_type(item));
        } else {
            fusion_stix_check_members(c, item, rule);
            if (rule->check)
                rule->check(c, item);
        }
        fusion_stix_path_pop(c, old);
    }
}

void
fusion_stix_check_each(struct stix_vctx *c, const json_t *v,
                       void (*fn)(struct stix_vctx *c, const json_t *v))
{
    const json_t *item;
    size_t i, old;

    assert(fn);
    if (!fusion_stix_check_list(c, v))
        return;
    json_array_foreach(v, i, item)
    {
        old = fusion_stix_path_index(c, i);
        fn(c, item);
        fusion_stix_path_pop(c, old);
    }
}

static void
check_vocab(struct stix_vctx *c, const json_t *v, enum stix_vocab vocab)
{
    const char *s = json_string_value(v);
    bool closed = fusion_stix_vocab_is_closed(vocab);

    if (!s) {
        fusion_stix_wrong_type(c, "a string", v);
        return;
    }
    if (fusion_stix_vocab_has(vocab, s))
        return;
    fusion_stix_issue(c, closed ? ERR : WARN, "'%.*s' is not a value of %s",
                      Q(s), fusion_stix_vocab_name(vocab));
}

static void
check_list_items(struct stix_vctx *c, const struct stix_prop_rule *rule,
                 const json_t *v)
{
    const json_t *item;
    size_t i, old;

    assert(rule->type == STIX_P_REFS || rule->type == STIX_P_STRINGS ||
           rule->type == STIX_P_VOCABS);
    if (!fusion_stix_check_list(c, v))
        return;
    json_array_foreach(v, i, item)
    {
        old = fusion_stix_path_index(c, i);
        if (rule->type == STIX_P_REFS)
            check_ref(c, item, rule->ref);
        else if (rule->type == STIX_P_VOCABS)
            check_vocab(c, item, rule->vocab);
        else if (!json_is_string(item))
            fusion_stix_wrong_type(c, "a string", item);
        fusion_stix_path_pop(c, old);
    }
}

static void check_custom_value(struct stix_vctx *c, const json_t *v, int depth);

/* A STIX dictionary (section 2.7): keys checked, values of base types. */
static void
check_dict(struct stix_vctx *c, const json_t *v)
{
    const char *key;
    const json_t *val;
    size_t old;

    if (!json_is_object(v)) {
        fusion_stix_wrong_type(c, "a dictionary", v);
        return;
    }
    if (json_object_size(v) == 0)
        fusion_stix_issue(c, ERR, "dictionary must not be empty");
    STIX_OBJECT_FOREACH(v, key, val)
    {
        old = fusion_stix_path_key(c, key);
        if (!dict_key_is_valid(key, strlen(key)))
            fusion_stix_issue(c, ERR,
                              "dictionary key '%.*s' must be at most 250 "
                              "characters of a-z, A-Z, 0-9, '_' and '-'",
                              Q(key));
        check_custom_value(c, val, 1);
        fusion_stix_path_pop(c, old);
    }
}

/*
 * Hashes (section 2.5): known algorithms carry hex of their length; the
 * schemas also fix SSDEEP and TLSH forms.
 */
static bool
hash_value_is_valid(const char *alg, const char *s, size_t len)
{
    static const struct {
        const char *alg;
        size_t len;
    } hex_len[] = {
        { "MD5", 32 },      { "SHA-1", 40 },    { "SHA-256", 64 },
        { "SHA-512", 128 }, { "SHA3-256", 64 }, { "SHA3-512", 128 },
    };

    assert(alg && s);
    for (size_t i = 0; i < sizeof(hex_len) / sizeof(hex_len[0]); i++) {
        if (strcmp(alg, hex_len[i].alg) == 0)
            return len == hex_len[i].len && hex_is_valid(s, len);
    }
    if (strcmp(alg, "SSDEEP") == 0) {
        if (len < 1 || len > 128)
            return false;
        for (size_t i = 0; i < len; i++) {
            if (!is_alnum(s[i]) && !strchr("/+:.", s[i]))
                return false;
        }
    } else if (strcmp(alg, "TLSH") == 0) {
        if (len != 70)
            return false;
        for (size_t i = 0; i < len; i++) {
            if (!is_alnum(s[i]))
                return false;
        }
    }
    return true;
}

static void
check_hash(struct stix_vctx *c, const char *alg, const json_t *v,
           bool known_only)
{
    size_t len = strlen(alg);
    const char *s = json_string_value(v);

    if (len < 3 || !dict_key_is_valid(alg, len)) {
        fusion_stix_issue(c, ERR,
                          "hash algorithm '%.*s' must be 3 to 250 "
                          "characters of a-z, A-Z, 0-9, '_' and '-'",
                          Q(alg));
        return;
    }
    if (!s) {
        fusion_stix_wrong_type(c, "a string", v);
        return;
    }
    if (!fusion_stix_vocab_has(STIX_VOCAB_HASH_ALGORITHM, alg)) {
        fusion_stix_issue(c, known_only ? ERR : WARN,
                          "'%.*s' is not a value of hash-algorithm-ov", Q(alg));
        return;
    }
    if (!hash_value_is_valid(alg, s, json_string_length(v)))
        fusion_stix_issue(c, ERR, "'%.*s' is not a valid %s hash", Q(s), alg);
}

void
fusion_stix_check_hashes(struct stix_vctx *c, const json_t *v, bool known_only)
{
    const char *alg;
    const json_t *val;
    size_t old;

    if (!json_is_object(v)) {
        fusion_stix_wrong_type(c, "a hashes dictionary", v);
        return;
    }
    if (json_object_size(v) == 0)
        fusion_stix_issue(c, ERR, "hashes must not be empty");
    STIX_OBJECT_FOREACH(v, alg, val)
    {
        old = fusion_stix_path_key(c, alg);
        check_hash(c, alg, val, known_only);
        fusion_stix_path_pop(c, old);
    }
}

static void
check_int(struct stix_vctx *c, const struct stix_prop_rule *rule,
          const json_t *v)
{
    json_int_t n;

    assert(rule);
    if (!json_is_integer(v)) {
        fusion_stix_wrong_type(c, "an integer", v);
        return;
    }
    n = json_integer_value(v);
    if (n > INT_LIMIT || n < -INT_LIMIT) {
        fusion_stix_issue(c, ERR, "integer %lld is out of range", n);
        return;
    }
    if (rule->has_range && ((double)n < rule->min || (double)n > rule->max))
        fusion_stix_issue(c, ERR, "%lld is not in the range %.0f to %.0f", n,
                          rule->min, rule->max);
}

static void
check_number(struct stix_vctx *c, const struct stix_prop_rule *rule,
             const json_t *v)
{
    double d;

    assert(rule);
    if (!json_is_number(v)) {
        fusion_stix_wrong_type(c, "a number", v);
        return;
    }
    d = json_number_value(v);
    if (rule->has_range && (d < rule->min || d > rule->max))
        fusion_stix_issue(c, ERR, "%g is not in the range %g to %g", d,
                          rule->min, rule->max);
}

static void
check_string_form(struct stix_vctx *c, const json_t *v, enum stix_ptype type)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);

    assert(type == STIX_P_HEX || type == STIX_P_BINARY || type == STIX_P_URL);
    if (!s) {
        fusion_stix_wrong_type(c, "a string", v);
        return;
    }
    if (type == STIX_P_HEX && !hex_is_valid(s, len))
        fusion_stix_issue(c, ERR,
                          "'%.*s' is not an even number of hex "
                          "digits",
                          Q(s));
    else if (type == STIX_P_BINARY && !base64_is_valid(s, len))
        fusion_stix_issue(c, ERR, "'%.*s' is not base64", Q(s));
    else if (type == STIX_P_URL && !uri_is_valid(s, len))
        fusion_stix_issue(c, ERR, "'%.*s' is not a valid URL", Q(s));
}

static bool
check_type_of(struct stix_vctx *c, const struct stix_prop_rule *rule,
              const json_t *v)
{
    switch (rule->type) {
    case STIX_P_STRING:
        if (json_is_string(v))
            return true;
        fusion_stix_wrong_type(c, "a string", v);
        return false;
    case STIX_P_BOOL:
        if (json_is_boolean(v))
            return true;
        fusion_stix_wrong_type(c, "a boolean", v);
        return false;
    case STIX_P_OBJECT:
        if (json_is_object(v) && json_object_size(v) > 0)
            return true;
        if (json_is_object(v))
            fusion_stix_issue(c, ERR, "object must not be empty");
        else
            fusion_stix_wrong_type(c, "an object", v);
        return false;
    default:
        break;
    }
    return true;
}

void
fusion_stix_check_value(struct stix_vctx *c, const struct stix_prop_rule *rule,
                        const json_t *v)
{
    size_t errors;

    assert(c && c->rep && rule);
    errors = c->rep->errors;
    switch (rule->type) {
    case STIX_P_TS:
    case STIX_P_TS_MS:
    case STIX_P_TS_SEC:
        check_ts(c, v, rule->type);
        break;
    case STIX_P_INT:
        check_int(c, rule, v);
        break;
    case STIX_P_NUMBER:
        check_number(c, rule, v);
        break;
    case STIX_P_REF:
        check_ref(c, v, rule->ref);
        break;
    case STIX_P_REFS:
    case STIX_P_STRINGS:
    case STIX_P_VOCABS:
        check_list_items(c, rule, v);
        break;
    case STIX_P_VOCAB:
        check_vocab(c, v, rule->vocab);
        break;
    case STIX_P_HASHES:
        fusion_stix_check_hashes(c, v, false);
        break;
    case STIX_P_DICT:
        check_dict(c, v);
        break;
    case STIX_P_HEX:
    case STIX_P_BINARY:
    case STIX_P_URL:
        check_string_form(c, v, rule->type);
        break;
    default:
        check_type_of(c, rule, v);
        break;
    }
    if (rule->fn && c->rep->errors == errors)
        rule->fn(c, v);
}

/*
 * Custom content (section 11, S-22): accepted and preserved; only the
 * naming rules and the value types of the data model are checked.
 */
static void
check_custom_value(struct stix_vctx *c, const json_t *v, int depth)
{
    const char *key;
    const json_t *item;
    size_t i, old;

    assert(depth >= 1);
    if (depth > DEPTH_MAX) {
        fusion_stix_issue(c, ERR, "value is nested deeper than %d levels",
                          DEPTH_MAX);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_NULL:
        fusion_stix_issue(c, depth > 1 ? WARN : ERR,
                          "null is not a STIX value; omit the "
                          "property instead");
        break;
    case JSON_INTEGER:
        if (json_integer_value(v) > INT_LIMIT ||
            json_integer_value(v) < -INT_LIMIT)
            fusion_stix_issue(c, ERR, "integer %lld is out of range",
                              json_integer_value(v));
        break;
    case JSON_ARRAY:
        if (json_array_size(v) == 0)
            fusion_stix_issue(c, depth > 1 ? WARN : ERR,
                              "list must not be empty");
        json_array_foreach(v, i, item)
        {
            old = fusion_stix_path_index(c, i);
            check_custom_value(c, item, depth + 1);
            fusion_stix_path_pop(c, old);
        }
        break;
    case JSON_OBJECT:
        if (json_object_size(v) == 0)
            fusion_stix_issue(c, depth > 1 ? WARN : ERR,
                              "dictionary must not be empty");
        STIX_OBJECT_FOREACH(v, key, item)
        {
            old = fusion_stix_path_key(c, key);
            check_custom_value(c, item, depth + 1);
            fusion_stix_path_pop(c, old);
        }
        break;
    default:
        break;
    }
}

/*
 * A custom *_ref or *_refs that holds no identifier is kept with a
 * warning: the suffix is a naming convention, and custom content is
 * preserved (S-22).
 */
static void
check_custom_ref(struct stix_vctx *c, const json_t *v)
{
    const char *s = json_string_value(v);

    if (!s || !fusion_stix_id_is_valid(s, NULL))
        fusion_stix_issue(c, WARN,
                          "'%.*s' is not an identifier of the "
                          "form <type>--<uuid>",
                          Q(s ? s : ""));
}

static void
check_custom_refs(struct stix_vctx *c, const json_t *v)
{
    const json_t *item;
    size_t i, old;

    check_custom_value(c, v, 1);
    json_array_foreach(v, i, item)
    {
        old = fusion_stix_path_index(c, i);
        check_custom_ref(c, item);
        fusion_stix_path_pop(c, old);
    }
    if (!json_is_array(v))
        check_custom_ref(c, v);
}

static void
check_custom_prop(struct stix_vctx *c, const char *name, const json_t *v)
{
    static const struct stix_prop_rule hex = { .type = STIX_P_HEX };
    static const struct stix_prop_rule bin = { .type = STIX_P_BINARY };
    size_t len;

    assert(name);
    len = strlen(name);
    /* Suffixes carry a type for custom properties (sections 2.1 to 2.3). */
    if (has_suffix(name, len, "_hex"))
        fusion_stix_check_value(c, &hex, v);
    else if (has_suffix(name, len, "_bin"))
        fusion_stix_check_value(c, &bin, v);
    else if (has_suffix(name, len, "_ref"))
        check_custom_ref(c, v);
    else if (has_suffix(name, len, "_refs"))
        check_custom_refs(c, v);
    else
        check_custom_value(c, v, 1);
}

/*
 * Members of an object or a sub-object
 */

/*
 * Rules are looked up for every property, so the binary search is done
 * here with a cheap first-byte comparison before strcmp.
 */
static const struct stix_prop_rule *
find_rule(const struct stix_prop_rule *rules, size_t n, const char *name)
{
    size_t lo = 0, hi = n;

    assert(name && (rules || n == 0));
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *cand = rules[mid].name;
        int cmp = (unsigned char)name[0] - (unsigned char)cand[0];

        if (cmp == 0)
            cmp = strcmp(name, cand);
        if (cmp == 0)
            return &rules[mid];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Name, reservation and emptiness rules of every property. */
static bool
check_member_basics(struct stix_vctx *c, const char *name, const json_t *v)
{
    if (!prop_name_is_valid(name, strlen(name))) {
        fusion_stix_issue(c, ERR,
                          "property name '%.*s' must be 3 to 250 characters "
                          "of a-z, 0-9 and '_', starting with a letter",
                          Q(name));
        return false;
    }
    if (is_reserved(name)) {
        fusion_stix_issue(c, ERR, "property name '%s' is reserved", name);
        return false;
    }
    if (json_is_null(v)) {
        fusion_stix_issue(c, ERR,
                          "null is not a STIX value; omit the "
                          "property instead");
        return false;
    }
    if (json_is_array(v) && json_array_size(v) == 0) {
        fusion_stix_issue(c, ERR, "list must not be empty");
        return false;
    }
    return true;
}

void
fusion_stix_require(struct stix_vctx *c, const json_t *obj,
                    const char *const *names)
{
    size_t old;

    assert(c);
    for (; names && *names; names++) {
        if (json_object_get(obj, *names))
            continue;
        old = fusion_stix_path_key(c, *names);
        fusion_stix_issue(c, ERR, "required property '%s' is missing", *names);
        fusion_stix_path_pop(c, old);
    }
}

void
fusion_stix_require_any(struct stix_vctx *c, const json_t *obj,
                        const char *const *names)
{
    char list[256];
    size_t len = 0;

    if (!names)
        return;
    for (const char *const *n = names; *n; n++) {
        if (json_object_get(obj, *n))
            return;
    }
    list[0] = '\0';
    for (const char *const *n = names; *n && len < sizeof(list); n++) {
        int w = snprintf(list + len, sizeof(list) - len, "%s%s",
                         n == names ? "" : ", ", *n);

        if (w > 0)
            len += (size_t)w;
    }
    fusion_stix_issue(c, ERR, "at least one of %s must be present", list);
}

void
fusion_stix_check_members(struct stix_vctx *c, const json_t *obj,
                          const struct stix_type_rule *rule)
{
    const struct stix_prop_rule *r;
    const char *key;
    const json_t *v;
    size_t old;

    assert(c);
    STIX_OBJECT_FOREACH(obj, key, v)
    {
        old = fusion_stix_path_key(c, key);
        if (check_member_basics(c, key, v)) {
            r = rule ? find_rule(rule->props, rule->nprops, key) : NULL;
            if (r)
                fusion_stix_check_value(c, r, v);
            else
                check_custom_prop(c, key, v);
        }
        fusion_stix_path_pop(c, old);
    }
    if (rule) {
        fusion_stix_require(c, obj, rule->required);
        fusion_stix_require_any(c, obj, rule->any_of);
    }
}

/*
 * Common properties (section 3.2)
 */

static void check_spec_version(struct stix_vctx *c, const json_t *v);

static const struct stix_ref_rule ref_identity = {
    .what = "an identity",
    .types = (const char *const[]){ "identity", NULL },
};

static const struct stix_ref_rule ref_marking = {
    .what = "a marking-definition",
    .types = (const char *const[]){ "marking-definition", NULL },
};

#define CL_VERSIONED (STIX_CL_SDO | STIX_CL_SRO | STIX_CL_EXT | STIX_CL_LC)

/* Sorted by name; classes tell which objects may carry each one. */
static const struct stix_prop_rule common_rules[] = {
    { .name = "confidence",
      .type = STIX_P_INT,
      .classes = STIX_CL_SDO | STIX_CL_SRO | STIX_CL_LC,
      .has_range = true,
      .min = 0,
      .max = 100 },
    { .name = "created",
      .type = STIX_P_TS_MS,
      .classes = CL_VERSIONED | STIX_CL_MD },
    { .name = "created_by_ref",
      .type = STIX_P_REF,
      .classes = CL_VERSIONED | STIX_CL_MD,
      .ref = &ref_identity },
    { .name = "defanged", .type = STIX_P_BOOL, .classes = STIX_CL_SCO },
    { .name = "extensions",
      .type = STIX_P_OBJECT,
      .classes = STIX_CL_ALL & ~STIX_CL_EXT,
      .fn = fusion_stix_check_extensions },
    { .name = "external_references",
      .type = STIX_P_FN,
      .classes = CL_VERSIONED | STIX_CL_MD,
      .fn = fusion_stix_check_external_refs },
    { .name = "granular_markings",
      .type = STIX_P_FN,
      .classes = STIX_CL_ALL,
      .fn = fusion_stix_check_granular_markings },
    { .name = "labels", .type = STIX_P_STRINGS, .classes = CL_VERSIONED },
    { .name = "lang",
      .type = STIX_P_STRING,
      .classes = STIX_CL_SDO | STIX_CL_SRO },
    { .name = "modified", .type = STIX_P_TS_MS, .classes = CL_VERSIONED },
    { .name = "object_marking_refs",
      .type = STIX_P_REFS,
      .classes = STIX_CL_ALL,
      .ref = &ref_marking },
    { .name = "revoked", .type = STIX_P_BOOL, .classes = CL_VERSIONED },
    { .name = "spec_version",
      .type = STIX_P_FN,
      .classes = STIX_CL_ALL,
      .fn = check_spec_version },
};

static const char *
class_name(unsigned cls)
{
    switch (cls) {
    case STIX_CL_SDO:
        return "domain";
    case STIX_CL_SRO:
        return "relationship";
    case STIX_CL_SCO:
        return "cyber-observable";
    default:
        break;
    }
    return "these";
}

static void
check_spec_version(struct stix_vctx *c, const json_t *v)
{
    const char *s = json_string_value(v);

    if (!s)
        fusion_stix_wrong_type(c, "a string", v);
    else if (strcmp(s, "2.1") != 0)
        fusion_stix_issue(c, ERR, "spec_version '%.*s' is not \"2.1\"", Q(s));
}

/*
 * The object
 */

static void
check_common_prop(struct stix_vctx *c, const struct stix_prop_rule *r,
                  const json_t *v)
{
    assert(r && r->classes);
    if (!(r->classes & c->cls)) {
        fusion_stix_issue(c, ERR,
                          "property '%s' is not defined for %s "
                          "objects",
                          r->name,
                          c->cls == STIX_CL_SDO || c->cls == STIX_CL_SRO ||
                                  c->cls == STIX_CL_SCO
                              ? class_name(c->cls)
                              : c->type);
        return;
    }
    fusion_stix_check_value(c, r, v);
}

static void
check_property(struct stix_vctx *c, const struct stix_type_rule *trule,
               const char *key, const json_t *v)
{
    const struct stix_prop_rule *r;

    assert(key);
    if (!check_member_basics(c, key, v))
        return;
    r = find_rule(common_rules, sizeof(common_rules) / sizeof(common_rules[0]),
                  key);
    if (r) {
        check_common_prop(c, r, v);
        return;
    }
    r = trule ? find_rule(trule->props, trule->nprops, key) : NULL;
    if (r)
        fusion_stix_check_value(c, r, v);
    else
        check_custom_prop(c, key, v);
}

static void
check_properties(struct stix_vctx *c, const json_t *obj,
                 const struct stix_type_rule *trule)
{
    const char *key;
    const json_t *v;
    size_t old;

    STIX_OBJECT_FOREACH(obj, key, v)
    {
        if ((key[0] == 't' && strcmp(key, "type") == 0) ||
            (key[0] == 'i' && key[1] == 'd' && key[2] == '\0'))
            continue;
        old = fusion_stix_path_key(c, key);
        check_property(c, trule, key, v);
        fusion_stix_path_pop(c, old);
    }
}

/* spec_version, created and modified by class (S-03). */
static void
check_common_required(struct stix_vctx *c, const json_t *obj)
{
    static const char *const versioned[] = { "spec_version", "created",
                                             "modified", NULL };
    static const char *const marking[] = { "spec_version", "created", NULL };

    if (c->cls & CL_VERSIONED)
        fusion_stix_require(c, obj, versioned);
    else if (c->cls == STIX_CL_MD)
        fusion_stix_require(c, obj, marking);
    if (c->cls & CL_VERSIONED)
        fusion_stix_check_order(c, obj, "created", "modified", false);
}

static bool
check_type_and_id(struct stix_vctx *c, const json_t *obj)
{
    const json_t *type = json_object_get(obj, "type");
    const json_t *id = json_object_get(obj, "id");
    const char *s;
    size_t old;
    bool ok;

    /*
     * Whether the type is usable is decided here, not from the report:
     * a report that could not grow (out of memory) records nothing.
     */
    ok =
        json_is_string(type) &&
        type_name_is_valid(json_string_value(type), json_string_length(type)) &&
        strcmp(json_string_value(type), "action") != 0;
    old = fusion_stix_path_key(c, "type");
    if (!type)
        fusion_stix_issue(c, ERR, "required property 'type' is missing");
    else if (!json_is_string(type))
        fusion_stix_wrong_type(c, "a string", type);
    else if (!ok)
        fusion_stix_issue(c, ERR,
                          "type '%.*s' must be 3 to 250 characters of a-z, "
                          "0-9 and '-', starting with a letter, without "
                          "\"--\"",
                          Q(json_string_value(type)));
    fusion_stix_path_pop(c, old);
    if (!ok)
        return false;
    c->type = json_string_value(type);
    old = fusion_stix_path_key(c, "id");
    s = json_string_value(id);
    if (!id)
        fusion_stix_issue(c, ERR, "required property 'id' is missing");
    else if (!s)
        fusion_stix_wrong_type(c, "an identifier string", id);
    else if (!fusion_stix_id_is_valid(s, c->type))
        fusion_stix_issue(c, ERR,
                          "id '%.*s' must be '%s--' followed by an "
                          "RFC 4122 UUID",
                          Q(s), c->type);
    fusion_stix_path_pop(c, old);
    return true;
}

static void
check_bundle(struct stix_vctx *c, const json_t *obj)
{
    const json_t *objects = json_object_get(obj, "objects");
    size_t old;

    if (!objects)
        return;
    old = fusion_stix_path_key(c, "objects");
    if (fusion_stix_check_list(c, objects) == false && json_is_array(objects))
        fusion_stix_issue(c, ERR, "list must not be empty");
    fusion_stix_path_pop(c, old);
}

static unsigned
class_of(const json_t *obj, const char *type)
{
    unsigned cls;

    assert(type);
    cls = class_of_type(type);
    if (cls)
        return cls;
    return fusion_stix_kind_of(obj) == FUSION_STIX_KIND_SDO ? STIX_CL_SDO
                                                            : STIX_CL_SCO;
}

static void
validate_object(struct stix_vctx *c, const json_t *obj)
{
    const struct stix_type_rule *trule;

    if (!check_type_and_id(c, obj))
        return;
    if (strcmp(c->type, "bundle") == 0) {
        check_bundle(c, obj);
        return;
    }
    c->cls = class_of(obj, c->type);
    trule = fusion_stix_type_rule(c->type);
    check_properties(c, obj, trule);
    check_common_required(c, obj);
    if (trule) {
        fusion_stix_require(c, obj, trule->required);
        fusion_stix_require_any(c, obj, trule->any_of);
        if (trule->check)
            trule->check(c, obj);
    }
}

void
fusion_stix_validate_nested(struct stix_vctx *c, const json_t *obj)
{
    struct stix_vctx sub;

    assert(c && c->rep);
    sub = *c;
    if (!json_is_object(obj)) {
        fusion_stix_wrong_type(c, "an object", obj);
        return;
    }
    sub.obj = obj;
    sub.errors0 = c->rep->errors;
    validate_object(&sub, obj);
    if (sub.nomem)
        c->nomem = true;
}

enum fusion_err
fusion_stix_validate(const json_t *obj, struct fusion_stix_report *rep)
{
    struct stix_vctx c;

    assert(rep);
    c = (struct stix_vctx){ .rep = rep, .obj = obj, .errors0 = rep->errors };
    if (!json_is_object(obj))

        fusion_stix_issue(&c, ERR, "a STIX object must be a JSON object");
    else
        validate_object(&c, obj);
    if (c.nomem)
        return FUSION_ERR_NOMEM;
    return rep->errors > c.errors0 ? FUSION_ERR_INVALID : FUSION_OK;
}
