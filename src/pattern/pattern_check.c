/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Semantic checks of a parsed pattern beyond the grammar (section 8 of
 * the patterning notes): qualifiers, hash values, object types and
 * property names, literal sets and calendar dates.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "pattern/pattern_int.h"

/* Issues concern the pattern property of the indicator being checked. */
#define ISSUE_PATH "pattern"

struct sco_props {
    const char *type;
    const char *const *props;
};

/* STIX 2.1 section 6, per SCO type (see the notes' SCO table). */
static const char *const artifact_props[] = {
    "mime_type",      "payload_bin", "url", "hashes", "encryption_algorithm",
    "decryption_key", NULL
};
static const char *const as_props[] = { "number", "name", "rir", NULL };
static const char *const directory_props[] = {
    "path", "path_enc", "ctime", "mtime", "atime", "contains_refs", NULL
};
static const char *const domain_props[] = { "value", "resolves_to_refs", NULL };
static const char *const email_addr_props[] = { "value", "display_name",
                                                "belongs_to_ref", NULL };
static const char *const email_msg_props[] = {
    "is_multipart",   "date",
    "content_type",   "from_ref",
    "sender_ref",     "to_refs",
    "cc_refs",        "bcc_refs",
    "message_id",     "subject",
    "received_lines", "additional_header_fields",
    "body",           "body_multipart",
    "raw_email_ref",  NULL
};
static const char *const file_props[] = {
    "hashes",        "size",        "name",  "name_enc", "magic_number_hex",
    "mime_type",     "ctime",       "mtime", "atime",    "parent_directory_ref",
    "contains_refs", "content_ref", NULL
};
static const char *const ip_props[] = { "value", "resolves_to_refs",
                                        "belongs_to_refs", NULL };
static const char *const value_props[] = { "value", NULL };
static const char *const mutex_props[] = { "name", NULL };
static const char *const traffic_props[] = { "start",
                                             "end",
                                             "is_active",
                                             "src_ref",
                                             "dst_ref",
                                             "src_port",
                                             "dst_port",
                                             "protocols",
                                             "src_byte_count",
                                             "dst_byte_count",
                                             "src_packets",
                                             "dst_packets",
                                             "ipfix",
                                             "src_payload_ref",
                                             "dst_payload_ref",
                                             "encapsulates_refs",
                                             "encapsulated_by_ref",
                                             NULL };
static const char *const process_props[] = { "is_hidden",
                                             "pid",
                                             "created_time",
                                             "cwd",
                                             "command_line",
                                             "environment_variables",
                                             "opened_connection_refs",
                                             "creator_user_ref",
                                             "image_ref",
                                             "parent_ref",
                                             "child_refs",
                                             NULL };
static const char *const software_props[] = { "name",      "cpe",    "swid",
                                              "languages", "vendor", "version",
                                              NULL };
static const char *const account_props[] = { "user_id",
                                             "credential",
                                             "account_login",
                                             "account_type",
                                             "display_name",
                                             "is_service_account",
                                             "is_privileged",
                                             "can_escalate_privs",
                                             "is_disabled",
                                             "account_created",
                                             "account_expires",
                                             "credential_last_changed",
                                             "account_first_login",
                                             "account_last_login",
                                             NULL };
static const char *const regkey_props[] = {
    "key", "values", "modified_time", "creator_user_ref", "number_of_subkeys",
    NULL
};
static const char *const x509_props[] = { "is_self_signed",
                                          "hashes",
                                          "version",
                                          "serial_number",
                                          "signature_algorithm",
                                          "issuer",
                                          "validity_not_before",
                                          "validity_not_after",
                                          "subject",
                                          "subject_public_key_algorithm",
                                          "subject_public_key_modulus",
                                          "subject_public_key_exponent",
                                          "x509_v3_extensions",
                                          NULL };

static const struct sco_props sco_table[] = {
    { "artifact", artifact_props },
    { "autonomous-system", as_props },
    { "directory", directory_props },
    { "domain-name", domain_props },
    { "email-addr", email_addr_props },
    { "email-message", email_msg_props },
    { "file", file_props },
    { "ipv4-addr", ip_props },
    { "ipv6-addr", ip_props },
    { "mac-addr", value_props },
    { "mutex", mutex_props },
    { "network-traffic", traffic_props },
    { "process", process_props },
    { "software", software_props },
    { "url", value_props },
    { "user-account", account_props },
    { "windows-registry-key", regkey_props },
    { "x509-certificate", x509_props },
};

/* Properties every SCO may carry (STIX 2.1 section 6.1). */
static const char *const common_props[] = { "type",
                                            "id",
                                            "spec_version",
                                            "object_marking_refs",
                                            "granular_markings",
                                            "defanged",
                                            "extensions",
                                            NULL };

struct hash_rule {
    const char *alg; /* upper case, without '-' */
    unsigned short lens[6];
};

static const struct hash_rule hash_rules[] = {
    { "MD5", { 32 } },
    { "SHA1", { 40 } },
    { "SHA224", { 56 } },
    { "SHA256", { 64 } },
    { "SHA384", { 96 } },
    { "SHA512", { 128 } },
    { "SHA3224", { 56 } },
    { "SHA3256", { 64 } },
    { "SHA3384", { 96 } },
    { "SHA3512", { 128 } },
    { "RIPEMD160", { 40 } },
    { "WHIRLPOOL", { 128 } },
    { "MD6", { 32, 40, 56, 64, 96, 128 } },
};

struct checker {
    struct fusion_stix_report *rep;
    enum fusion_err rc; /* first failure to add an issue */
};

static void
issue(struct checker *c, enum fusion_stix_severity sev, const char *msg,
      size_t offset)
{
    enum fusion_err rc;

    if (c->rc)
        return;
    rc = fusion_stix_report_add(c->rep, sev, ISSUE_PATH, "%s at byte %zu", msg,
                                offset);
    if (rc)
        c->rc = rc;
}

static bool
in_list(const char *const *list, const char *s, size_t len)
{
    for (; *list; list++) {
        if (strlen(*list) == len && memcmp(*list, s, len) == 0)
            return true;
    }
    return false;
}

/* Custom type names: 3-250 of a-z, 0-9 and '-', a letter first, no "--". */
static bool
is_custom_type_name(const char *s, size_t len)
{
    if (len < 3 || len > 250 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 0; i < len; i++) {
        bool ok = (s[i] >= 'a' && s[i] <= 'z') ||
                  (s[i] >= '0' && s[i] <= '9') || s[i] == '-';

        if (!ok || (s[i] == '-' && i + 1 < len && s[i + 1] == '-'))
            return false;
    }
    return true;
}

/* Property names: 3-250 of a-z, 0-9 and '_', a letter first. */
static bool
is_property_name(const char *s, size_t len)
{
    if (len < 3 || len > 250 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    }
    return true;
}

static const struct sco_props *
sco_of(const char *type)
{
    for (size_t i = 0; i < sizeof(sco_table) / sizeof(sco_table[0]); i++) {
        if (strcmp(sco_table[i].type, type) == 0)
            return &sco_table[i];
    }
    return NULL;
}

static void
check_renamed(struct checker *c, const struct fusion_pattern_cmp *cmp)
{
    const struct fusion_pattern_step *prop = &cmp->path.steps[0];
    const char *to;
    char msg[160];

    to = fusion_stix_renamed_20(cmp->path.type, strlen(cmp->path.type),
                                prop->key, prop->key_len);
    if (to) {
        snprintf(msg, sizeof(msg), "'%.*s' is the STIX 2.0 name of '%s'",
                 (int)prop->key_len, prop->key, to);
        issue(c, FUSION_STIX_WARNING, msg, cmp->offset);
        return;
    }
    snprintf(msg, sizeof(msg), "unknown property '%.*s' of '%s'",
             (int)(prop->key_len > 64 ? 64 : prop->key_len), prop->key,
             cmp->path.type);
    issue(c, FUSION_STIX_WARNING, msg, cmp->offset);
}

/* Section 8.3: known SCO types, well-formed custom ones, known properties. */
static void
check_path(struct checker *c, const struct fusion_pattern_cmp *cmp)
{
    const struct fusion_pattern_path *path = &cmp->path;
    const struct fusion_pattern_step *prop = &path->steps[0];
    enum fusion_stix_kind kind = fusion_stix_kind_of_type(path->type);
    const struct sco_props *sco;
    char msg[320];

    assert(path->nsteps > 0 && prop->kind == FUSION_PATTERN_STEP_KEY);
    if (kind != FUSION_STIX_KIND_SCO && kind != FUSION_STIX_KIND_UNKNOWN) {
        snprintf(msg, sizeof(msg), "'%.64s' is not a cyber-observable type",
                 path->type);
        issue(c, FUSION_STIX_ERROR, msg, cmp->offset);
        return;
    }
    if (kind == FUSION_STIX_KIND_UNKNOWN) {
        if (!is_custom_type_name(path->type, path->type_len)) {
            snprintf(msg, sizeof(msg),
                     "invalid object type name '%.64s' (3-250 of a-z, 0-9 "
                     "and '-')",
                     path->type);
            issue(c, FUSION_STIX_ERROR, msg, cmp->offset);
        } else if (!is_property_name(prop->key, prop->key_len)) {
            issue(c, FUSION_STIX_WARNING, "invalid custom property name",
                  cmp->offset);
        } else if (strncmp(path->type, "x-", 2) != 0) {
            /* custom types are x- by custom; another name may be a typo */
            snprintf(msg, sizeof(msg),
                     "'%.64s' is no STIX 2.1 cyber-observable type; "
                     "a custom one?",
                     path->type);
            issue(c, FUSION_STIX_WARNING, msg, cmp->offset);
        }
        return;
    }
    sco = sco_of(path->type);
    if (sco && !in_list(sco->props, prop->key, prop->key_len) &&
        !in_list(common_props, prop->key, prop->key_len))
        check_renamed(c, cmp);
}

/* Normalises a hash key as the validator does: upper case, no '-'. */
static const struct hash_rule *
hash_rule_of(const char *key, size_t len)
{
    char norm[16];
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        char ch = key[i];

        if (ch == '-')
            continue;
        if (n + 1 >= sizeof(norm))
            return NULL;
        norm[n++] = ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
    }
    norm[n] = '\0';
    for (size_t i = 0; i < sizeof(hash_rules) / sizeof(hash_rules[0]); i++) {
        if (strcmp(hash_rules[i].alg, norm) == 0)
            return &hash_rules[i];
    }
    return NULL;
}

static bool
is_hex_of_len(const struct hash_rule *rule, const char *s, size_t len)
{
    bool len_ok = false;

    for (size_t i = 0; i < 6 && rule->lens[i]; i++)
        len_ok = len_ok || rule->lens[i] == len;
    if (!len_ok)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];

        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
              (ch >= 'A' && ch <= 'F')))
            return false;
    }
    return true;
}

/* SSDEEP: [a-zA-Z0-9/+:.]{1,128} */
static bool
is_ssdeep(const char *s, size_t len)
{
    if (len < 1 || len > 128)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '/' || ch == '+' || ch == ':' ||
              ch == '.'))
            return false;
    }
    return true;
}

static void
check_hash_value(struct checker *c, const struct fusion_pattern_step *alg,
                 const struct fusion_pattern_lit *lit, size_t offset)
{
    const struct hash_rule *rule;
    bool ok;

    if (lit->kind != FUSION_PATTERN_LIT_STRING)
        return;
    rule = hash_rule_of(alg->key, alg->key_len);
    if (rule)
        ok = is_hex_of_len(rule, lit->u.str.ptr, lit->u.str.len);
    else if (alg->key_len == 6 && strncmp(alg->key, "SSDEEP", 6) == 0)
        ok = is_ssdeep(lit->u.str.ptr, lit->u.str.len);
    else
        return;
    if (!ok)
        issue(c, FUSION_STIX_ERROR, "hash value has the wrong length or form",
              offset);
}

/*
 * Section 8.2: "...hashes.<alg> = 'value'" must carry a value of the
 * algorithm's size; a [*] selector on the dictionary skips the check.
 */
static void
check_hashes(struct checker *c, const struct fusion_pattern_cmp *cmp)
{
    const struct fusion_pattern_path *path = &cmp->path;
    const struct fusion_pattern_step *alg;

    if (path->nsteps < 2 || cmp->op == FUSION_PATTERN_OP_EXISTS)
        return;
    alg = &path->steps[path->nsteps - 1];
    if (alg->kind != FUSION_PATTERN_STEP_KEY ||
        path->steps[path->nsteps - 2].kind != FUSION_PATTERN_STEP_KEY ||
        path->steps[path->nsteps - 2].key_len != 6 ||
        memcmp(path->steps[path->nsteps - 2].key, "hashes", 6) != 0)
        return;
    if (cmp->op == FUSION_PATTERN_OP_EQ || cmp->op == FUSION_PATTERN_OP_NE) {
        check_hash_value(c, alg, &cmp->lit, cmp->offset);
    } else if (cmp->op == FUSION_PATTERN_OP_IN) {
        for (size_t i = 0; i < cmp->lit.u.set.count; i++)
            check_hash_value(c, alg, &cmp->lit.u.set.items[i], cmp->offset);
    }
}

static void
check_timestamp(struct checker *c, const struct fusion_pattern_lit *lit,
                size_t offset)
{
    if (lit->kind == FUSION_PATTERN_LIT_TIMESTAMP && !lit->u.ts.is_date)
        issue(c, FUSION_STIX_ERROR, "timestamp names no calendar date", offset);
}

/* int and float compare with each other, so they count as one type */
static int
lit_class(const struct fusion_pattern_lit *lit)
{
    return lit->kind == FUSION_PATTERN_LIT_FLOAT ? FUSION_PATTERN_LIT_INT
                                                 : (int)lit->kind;
}

static void
check_literal(struct checker *c, const struct fusion_pattern_cmp *cmp)
{
    const struct fusion_pattern_lit *lit = &cmp->lit;

    if (cmp->op == FUSION_PATTERN_OP_EXISTS)
        return;
    if (lit->kind != FUSION_PATTERN_LIT_SET) {
        check_timestamp(c, lit, cmp->offset);
        return;
    }
    if (lit->u.set.count == 0)
        issue(c, FUSION_STIX_WARNING, "empty set matches nothing", cmp->offset);
    for (size_t i = 0; i < lit->u.set.count; i++) {
        check_timestamp(c, &lit->u.set.items[i], cmp->offset);
        if (lit_class(&lit->u.set.items[i]) !=
            lit_class(&lit->u.set.items[0])) {
            issue(c, FUSION_STIX_ERROR, "set members must share one type",
                  cmp->offset);
            break;
        }
    }
}

static void
check_cexpr(struct checker *c, const struct fusion_pattern_cexpr *node)
{
    if (node->kind == FUSION_PATTERN_CEXPR_CMP) {
        assert(node->cmp && !node->nkids);
        check_path(c, node->cmp);
        check_hashes(c, node->cmp);
        check_literal(c, node->cmp);
        return;
    }
    assert(node->nkids >= 2 && node->kids);
    for (size_t i = 0; i < node->nkids; i++)
        check_cexpr(c, node->kids[i]);
}

static void
check_qual(struct checker *c, const struct fusion_pattern_qual *q)
{
    switch (q->kind) {
    case FUSION_PATTERN_QUAL_WITHIN:
        if (!(q->within_secs > 0))
            issue(c, FUSION_STIX_ERROR, "WITHIN needs a positive duration",
                  q->offset);
        break;
    case FUSION_PATTERN_QUAL_REPEATS:
        if (q->repeats < 1)
            issue(c, FUSION_STIX_ERROR, "REPEATS needs a positive count",
                  q->offset);
        break;
    case FUSION_PATTERN_QUAL_STARTSTOP:
        assert(q->start.kind == FUSION_PATTERN_LIT_TIMESTAMP &&
               q->stop.kind == FUSION_PATTERN_LIT_TIMESTAMP);
        check_timestamp(c, &q->start, q->offset);
        check_timestamp(c, &q->stop, q->offset);
        if (fusion_ts_compare(&q->start.u.ts.ts, &q->stop.u.ts.ts) >= 0)
            issue(c, FUSION_STIX_WARNING,
                  "STOP is not after START, nothing can match", q->offset);
        break;
    }
}

/*
 * Section 5: one observation expression carries at most one qualifier of
 * each type. Stricter than the reference validator, this also covers
 * "([...]) WITHIN 5 SECONDS WITHIN 6 SECONDS".
 */
static void
check_obs(struct checker *c, const struct fusion_pattern_obs *node)
{
    for (size_t i = 0; i < node->nquals; i++) {
        check_qual(c, &node->quals[i]);
        for (size_t j = 0; j < i; j++) {
            if (node->quals[j].kind == node->quals[i].kind) {
                issue(c, FUSION_STIX_ERROR, "duplicate qualifier",
                      node->quals[i].offset);
                break;
            }
        }
    }
    assert(node->kind == FUSION_PATTERN_OBS_LEAF ? node->cexpr && !node->nkids
                                                 : node->nkids > 0);
    if (node->kind == FUSION_PATTERN_OBS_LEAF)
        check_cexpr(c, node->cexpr);
    for (size_t i = 0; i < node->nkids; i++)
        check_obs(c, node->kids[i]);
}

/*
 * What only compiling finds: a MATCHES regex that PCRE2 refuses or an
 * ISSUBSET constant that is no address is an error; a pattern beyond
 * the evaluator's bounds is valid STIX, so only a warning.
 */
static enum fusion_err
check_compiles(const struct fusion_pattern *pattern,
               struct fusion_stix_report *rep)
{
    struct fusion_error err;
    enum fusion_err rc = pattern_compile_probe(pattern, &err);

    switch (rc) {
    case FUSION_OK:
        return FUSION_OK;
    case FUSION_ERR_INVALID:
        return fusion_stix_report_add(rep, FUSION_STIX_ERROR, ISSUE_PATH, "%s",
                                      err.message);
    case FUSION_ERR_LIMIT:
        return fusion_stix_report_add(rep, FUSION_STIX_WARNING, ISSUE_PATH,
                                      "Fusion does not evaluate it: %s",
                                      err.message);
    default:
        return rc;
    }
}

enum fusion_err
fusion_pattern_check(const struct fusion_pattern *pattern,
                     struct fusion_stix_report *rep)
{
    struct checker c = { .rep = rep };
    size_t errors0;
    enum fusion_err rc;

    assert(pattern && pattern->root && rep);
    errors0 = rep->errors;
    check_obs(&c, pattern->root);
    if (c.rc)
        return c.rc;
    if (rep->errors == errors0) {
        rc = check_compiles(pattern, rep);
        if (rc)
            return rc;
    }
    return rep->errors > errors0 ? FUSION_ERR_INVALID : FUSION_OK;
}
