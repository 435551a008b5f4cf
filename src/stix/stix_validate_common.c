/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validation of the structured common properties: kill-chain phases,
 * external references, granular markings, extensions, and the rules of
 * marking definitions (STIX 2.1 sections 2.6, 2.8, 7.2 and 7.3).
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "stix/stix_validate_int.h"

#define ERR FUSION_STIX_ERROR

/* Bad values are quoted up to this many bytes. */
#define QUOTE_MAX 80

#define Q(s) (int)(strlen(s) > QUOTE_MAX ? QUOTE_MAX : strlen(s)), (s)

static const char *const tlp1_ids[] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
};

static const char *const tlp1_levels[] = { "white", "green", "amber", "red" };
static const char *const tlp1_names[] = { "TLP:WHITE", "TLP:GREEN", "TLP:AMBER",
                                          "TLP:RED" };

static const struct stix_ref_rule ref_marking = {
    .what = "a marking-definition",
    .types = (const char *const[]){ "marking-definition", NULL },
};

static bool
has_suffix(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    assert(s);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/*
 * Predefined extension names: a-z, 0-9 and single '-' between words,
 * ending in "-ext" (the schemas' form).
 */
static bool
ext_name_is_valid(const char *s)
{
    size_t len = strlen(s);

    if (len < 5 || !has_suffix(s, len, "-ext") || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 1; i < len; i++) {
        bool alnum =
            (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9');

        if (!alnum && (s[i] != '-' || s[i - 1] == '-'))
            return false;
    }
    return true;
}

static void
check_kill_chain_phase(struct stix_vctx *c, const json_t *kcp)
{
    static const char *const required[] = { "kill_chain_name", "phase_name",
                                            NULL };
    size_t old;

    if (!json_is_object(kcp)) {
        fusion_stix_wrong_type(c, "a kill-chain-phase object", kcp);
        return;
    }
    fusion_stix_require(c, kcp, required);
    for (const char *const *p = required; *p; p++) {
        const json_t *v = json_object_get(kcp, *p);

        if (v && !json_is_string(v)) {
            old = fusion_stix_path_key(c, *p);
            fusion_stix_wrong_type(c, "a string", v);
            fusion_stix_path_pop(c, old);
        }
    }
}

void
fusion_stix_check_kill_chain(struct stix_vctx *c, const json_t *v)
{
    fusion_stix_check_each(c, v, check_kill_chain_phase);
}

/*
 * External references (section 2.6). The schemas tie source names "cve"
 * and "capec" to ids of their form, and keep those id forms to them.
 */
static bool
is_cve_id(const char *s)
{
    size_t n;

    if (strncmp(s, "CVE-", 4) != 0)
        return false;
    for (n = 0; n < 4; n++) {
        if (s[4 + n] < '0' || s[4 + n] > '9')
            return false;
    }
    if (s[8] != '-')
        return false;
    s += 9;
    n = strspn(s, "0123456789");
    return s[n] == '\0' && n >= 4 && (s[0] != '0' || n == 4);
}

static bool
is_capec_id(const char *s)
{
    size_t n;

    if (strncmp(s, "CAPEC-", 6) != 0)
        return false;
    n = strspn(s + 6, "0123456789");
    return n > 0 && s[6 + n] == '\0';
}

static void
check_ext_ref_ids(struct stix_vctx *c, const char *source, const char *ext_id)
{
    bool cve = strcmp(source, "cve") == 0;
    bool capec = strcmp(source, "capec") == 0;

    if ((cve || capec) && !ext_id) {
        fusion_stix_issue(c, ERR, "source '%s' requires an external_id",
                          source);
        return;
    }
    if (!ext_id)
        return;
    if (cve && !is_cve_id(ext_id))
        fusion_stix_issue(c, ERR, "external_id '%.*s' is not a CVE id",
                          Q(ext_id));
    else if (capec && !is_capec_id(ext_id))
        fusion_stix_issue(c, ERR, "external_id '%.*s' is not a CAPEC id",
                          Q(ext_id));
    else if (!cve && !capec && (is_cve_id(ext_id) || is_capec_id(ext_id)))
        fusion_stix_issue(c, ERR, "external_id '%.*s' needs source_name \"%s\"",
                          Q(ext_id), is_cve_id(ext_id) ? "cve" : "capec");
}

static const struct stix_prop_rule ext_ref_rules[] = {
    { .name = "description", .type = STIX_P_STRING },
    { .name = "external_id", .type = STIX_P_STRING },
    { .name = "hashes", .type = STIX_P_FN },
    { .name = "source_name", .type = STIX_P_STRING },
    { .name = "url", .type = STIX_P_URL },
};

static const struct stix_type_rule ext_ref_rule = {
    .props = ext_ref_rules,
    .nprops = sizeof(ext_ref_rules) / sizeof(ext_ref_rules[0]),
    .required = (const char *const[]){ "source_name", NULL },
    .any_of =
        (const char *const[]){ "description", "url", "external_id", NULL },
};

static void
check_external_ref(struct stix_vctx *c, const json_t *ref)
{
    const char *source, *ext_id;
    const json_t *hashes;
    size_t old;

    if (!json_is_object(ref)) {
        fusion_stix_wrong_type(c, "an external-reference object", ref);
        return;
    }
    fusion_stix_check_members(c, ref, &ext_ref_rule);
    hashes = json_object_get(ref, "hashes");
    if (hashes) {
        old = fusion_stix_path_key(c, "hashes");
        fusion_stix_check_hashes(c, hashes, true);
        fusion_stix_path_pop(c, old);
    }
    source = fusion_stix_str(ref, "source_name");
    ext_id = fusion_stix_str(ref, "external_id");
    if (source)
        check_ext_ref_ids(c, source, ext_id);
}

void
fusion_stix_check_external_refs(struct stix_vctx *c, const json_t *v)
{
    fusion_stix_check_each(c, v, check_external_ref);
}

/*
 * Granular markings (section 7.2.3): selectors MUST select content that
 * is present on the object.
 */
static const json_t *
select_step(const json_t *cur, const char *comp, size_t len)
{
    char key[256];

    assert(comp && len > 0);
    if (len >= 3 && comp[0] == '[' && comp[len - 1] == ']') {
        size_t idx = 0;

        for (size_t i = 1; i + 1 < len; i++) {
            if (comp[i] < '0' || comp[i] > '9' || idx > 100000000)
                return NULL;
            idx = idx * 10 + (size_t)(comp[i] - '0');
        }
        return json_is_array(cur) ? json_array_get(cur, idx) : NULL;
    }
    if (!json_is_object(cur) || len >= sizeof(key))
        return NULL;
    memcpy(key, comp, len);
    key[len] = '\0';
    return json_object_get(cur, key);
}

static bool
selector_resolves(const json_t *root, const char *sel)
{
    const json_t *cur = root;
    const char *p = sel;

    assert(sel);
    while (cur) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);

        if (len == 0)
            return false;
        cur = select_step(cur, p, len);
        if (!dot)
            break;
        p = dot + 1;
    }
    return cur != NULL;
}

/* The schema's selector form: a name of 3 or more, then .name or .[n]. */
static bool
selector_form_is_valid(const char *s)
{
    size_t n = strcspn(s, ".");

    if (strcmp(s, "id") == 0)
        return true;
    if (n < 3 || n > 249 ||
        strspn(s, "abcdefghijklmnopqrstuvwxyz"
                  "0123456789_-") < n)
        return false;
    while (s[n] == '.') {
        const char *comp = s + n + 1;
        size_t len = strcspn(comp, ".");

        if (len >= 3 && comp[0] == '[' && comp[len - 1] == ']') {
            if (strspn(comp + 1, "0123456789") != len - 2)
                return false;
        } else if (len < 1 || len > 250 ||
                   strspn(comp, "abcdefghijklmnopqrstuvwxyz0123456789_-") <
                       len) {
            return false;
        }
        n += 1 + len;
    }
    return s[n] == '\0';
}

static void
check_selector(struct stix_vctx *c, const json_t *v)
{
    const char *s = json_string_value(v);

    if (!s)
        fusion_stix_wrong_type(c, "a selector string", v);
    else if (!selector_form_is_valid(s))
        fusion_stix_issue(c, ERR,
                          "selector '%.*s' is not of the form "
                          "name(.name|.[index])*",
                          Q(s));
    else if (!selector_resolves(c->obj, s))
        fusion_stix_issue(c, ERR,
                          "selector '%.*s' selects nothing in "
                          "this object",
                          Q(s));
}

static void
check_selectors(struct stix_vctx *c, const json_t *v)
{
    fusion_stix_check_each(c, v, check_selector);
}

static const struct stix_prop_rule granular_rules[] = {
    { .name = "lang", .type = STIX_P_STRING },
    { .name = "marking_ref", .type = STIX_P_REF, .ref = &ref_marking },
    { .name = "selectors", .type = STIX_P_FN, .fn = check_selectors },
};

static const struct stix_type_rule granular_rule = {
    .props = granular_rules,
    .nprops = sizeof(granular_rules) / sizeof(granular_rules[0]),
    .required = (const char *const[]){ "selectors", NULL },
};

static void
check_granular_marking(struct stix_vctx *c, const json_t *gm)
{
    bool has_ref, has_lang;

    if (!json_is_object(gm)) {
        fusion_stix_wrong_type(c, "a granular-marking object", gm);
        return;
    }
    fusion_stix_check_members(c, gm, &granular_rule);
    has_ref = json_object_get(gm, "marking_ref") != NULL;
    has_lang = json_object_get(gm, "lang") != NULL;
    if (has_ref && has_lang)
        fusion_stix_issue(c, ERR,
                          "exactly one of marking_ref and lang "
                          "must be present, not both");
    else if (!has_ref && !has_lang)
        fusion_stix_issue(c, ERR,
                          "one of marking_ref and lang must be "
                          "present");
    else if (!has_ref)
        /* The OASIS 2.1 schema still requires marking_ref here. */
        fusion_stix_issue(
            c, ERR,
            "granular marking without marking_ref "
            "is not accepted (lang '%.*s' alone)",
            Q(fusion_stix_str(gm, "lang") ? fusion_stix_str(gm, "lang") : ""));
}

void
fusion_stix_check_granular_markings(struct stix_vctx *c, const json_t *v)
{
    fusion_stix_check_each(c, v, check_granular_marking);
}

/*
 * Extensions (section 7.3): keys are extension-definition ids, whose
 * values MUST carry extension_type, or predefined names ending in -ext.
 */
static const struct stix_prop_rule ext_def_rules[] = {
    { .name = "extension_type",
      .type = STIX_P_VOCAB,
      .vocab = STIX_VOCAB_EXTENSION_TYPE },
};

static const struct stix_type_rule ext_def_use_rule = {
    .props = ext_def_rules,
    .nprops = 1,
    .required = (const char *const[]){ "extension_type", NULL },
};

static void
check_extension(struct stix_vctx *c, const char *key, const json_t *v)
{
    const struct stix_type_rule *rule = NULL;

    assert(key);
    if (fusion_stix_id_is_valid(key, "extension-definition")) {
        rule = &ext_def_use_rule;
    } else if (c->cls == STIX_CL_MD) {
        fusion_stix_issue(c, ERR,
                          "marking-definition extensions must be "
                          "keyed by extension-definition id, not '%.*s'",
                          Q(key));
        return;
    } else if (ext_name_is_valid(key)) {
        rule = fusion_stix_ext_rule(c->type, key);
    } else {
        fusion_stix_issue(c, ERR,
                          "extension key '%.*s' is neither an "
                          "extension-definition id nor a name ending in "
                          "-ext",
                          Q(key));
        return;
    }
    if (!json_is_object(v)) {
        fusion_stix_wrong_type(c, "an extension object", v);
        return;
    }
    if (json_object_size(v) == 0) {
        fusion_stix_issue(c, ERR, "extension must not be empty");
        return;
    }
    fusion_stix_check_members(c, v, rule);
    if (rule && rule->check)
        rule->check(c, v);
}

void
fusion_stix_check_extensions(struct stix_vctx *c, const json_t *v)
{
    const char *key;
    const json_t *val;
    size_t old;

    STIX_OBJECT_FOREACH(v, key, val)
    {
        old = fusion_stix_path_key(c, key);
        check_extension(c, key, val);
        fusion_stix_path_pop(c, old);
    }
}

/*
 * Marking definitions (section 7.2.1): TLP 1.0 only as the four fixed
 * objects, statements with their text, others as objects.
 */
static int
tlp1_index(const char *id)
{
    for (int i = 0; i < 4; i++) {
        if (id && strcmp(id, tlp1_ids[i]) == 0)
            return i;
    }
    return -1;
}

static void
check_tlp1_props(struct stix_vctx *c, const json_t *obj)
{
    static const char *const allowed[] = {
        "created",      "definition", "definition_type", "id", "name",
        "spec_version", "type"
    };
    const char *key;
    const json_t *v;
    size_t i, old;

    STIX_OBJECT_FOREACH(obj, key, v)
    {
        (void)v;
        for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
            if (strcmp(key, allowed[i]) == 0)
                break;
        }
        if (i < sizeof(allowed) / sizeof(allowed[0]))
            continue;
        old = fusion_stix_path_key(c, key);
        fusion_stix_issue(c, ERR,
                          "property '%.*s' is not allowed on a "
                          "TLP 1.0 marking definition",
                          Q(key));
        fusion_stix_path_pop(c, old);
    }
}

static void
check_tlp1_field(struct stix_vctx *c, const json_t *obj, const char *key,
                 const char *want)
{
    const char *s = fusion_stix_str(obj, key);
    size_t old;

    if (s && strcmp(s, want) == 0)
        return;
    old = fusion_stix_path_key(c, key);
    fusion_stix_issue(c, ERR, "TLP 1.0 marking definition needs %s \"%s\"", key,
                      want);
    fusion_stix_path_pop(c, old);
}

static void
check_tlp1(struct stix_vctx *c, const json_t *obj)
{
    const char *id = fusion_stix_str(obj, "id");
    int idx = tlp1_index(id);
    size_t old;

    if (idx < 0) {
        old = fusion_stix_path_key(c, "id");
        fusion_stix_issue(c, ERR,
                          "tlp marking definitions may only use "
                          "the four TLP 1.0 ids, not '%.*s'",
                          Q(id ? id : ""));
        fusion_stix_path_pop(c, old);
        return;
    }
    check_tlp1_props(c, obj);
    check_tlp1_field(c, obj, "name", tlp1_names[idx]);
    check_tlp1_field(c, obj, "created", "2017-01-20T00:00:00.000Z");
    old = fusion_stix_path_key(c, "definition");
    check_tlp1_field(c, json_object_get(obj, "definition"), "tlp",
                     tlp1_levels[idx]);
    fusion_stix_path_pop(c, old);
}

static void
check_definition(struct stix_vctx *c, const json_t *obj, const char *dtype)
{
    size_t len = strlen(dtype);
    size_t old;

    if (strcmp(dtype, "tlp") == 0) {
        check_tlp1(c, obj);
    } else if (strcmp(dtype, "statement") == 0) {
        old = fusion_stix_path_key(c, "definition");
        if (!json_is_string(json_object_get(json_object_get(obj, "definition"),
                                            "statement")))
            fusion_stix_issue(c, ERR,
                              "statement marking needs a "
                              "statement string");
        fusion_stix_path_pop(c, old);
    } else if (strncmp(dtype, "statement", 9) == 0 ||
               has_suffix(dtype, len, "tlp")) {
        /* The schema reserves these forms for the two known types. */
        old = fusion_stix_path_key(c, "definition_type");
        fusion_stix_issue(c, ERR,
                          "definition_type '%.*s' is not "
                          "\"statement\" or \"tlp\" but looks like one",
                          Q(dtype));
        fusion_stix_path_pop(c, old);
    }
}

static bool
refs_contain(const json_t *list, const char *id)
{
    const json_t *item;
    size_t i;

    json_array_foreach(list, i, item)
    {
        if (json_is_string(item) && strcmp(json_string_value(item), id) == 0)
            return true;
    }
    return false;
}

void
fusion_stix_check_marking(struct stix_vctx *c, const json_t *obj)
{
    const char *dtype = fusion_stix_str(obj, "definition_type");
    const json_t *def = json_object_get(obj, "definition");
    const char *id = fusion_stix_str(obj, "id");
    size_t old;

    if (!dtype != !def) {
        fusion_stix_issue(c, ERR,
                          "definition_type and definition must be "
                          "present together");
    } else if (!def && !json_object_get(obj, "extensions")) {
        fusion_stix_issue(c, ERR,
                          "marking definition needs definition_type "
                          "and definition, or extensions");
    }
    if (dtype && json_is_object(def))
        check_definition(c, obj, dtype);
    if (id && refs_contain(json_object_get(obj, "object_marking_refs"), id)) {
        old = fusion_stix_path_key(c, "object_marking_refs");
        fusion_stix_issue(c, ERR,
                          "a marking definition must not mark "
                          "itself");
        fusion_stix_path_pop(c, old);
    }
}
