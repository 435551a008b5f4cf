/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-type validation rules: the property tables of the STIX 2.1 SDOs,
 * SROs, SCOs, meta objects and predefined SCO extensions (section 6 of
 * the notes), with the rules that span several properties.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix_validate_int.h"

#define ERR  FUSION_STIX_ERROR
#define WARN FUSION_STIX_WARNING

#define Q(s) (int)(strlen(s) > 80 ? 80 : strlen(s)), (s)

/*
 * Reference targets (section 6 of the notes)
 */

#define REF_TYPES(var, text, ...)                           \
    static const struct stix_ref_rule var = { .what = text, \
                                              .types = LIST(__VA_ARGS__) }

REF_TYPES(ref_artifact, "an artifact", "artifact");
REF_TYPES(ref_artifact_file, "an artifact or a file", "artifact", "file");
REF_TYPES(ref_as, "an autonomous-system", "autonomous-system");
REF_TYPES(ref_directory, "a directory", "directory");
REF_TYPES(ref_email_addr, "an email-addr", "email-addr");
REF_TYPES(ref_file, "a file", "file");
REF_TYPES(ref_file_artifact, "a file or an artifact", "file", "artifact");
REF_TYPES(ref_file_dir, "a file or a directory", "file", "directory");
REF_TYPES(ref_ident_loc, "an identity or a location", "identity", "location");
REF_TYPES(ref_ip_domain, "an ipv4-addr, ipv6-addr or domain-name", "ipv4-addr",
          "ipv6-addr", "domain-name");
REF_TYPES(ref_mac, "a mac-addr", "mac-addr");
REF_TYPES(ref_nt, "a network-traffic", "network-traffic");
REF_TYPES(ref_nt_end, "an ipv4-addr, ipv6-addr, mac-addr or domain-name",
          "ipv4-addr", "ipv6-addr", "mac-addr", "domain-name");
REF_TYPES(ref_observed, "an observed-data", "observed-data");
REF_TYPES(ref_process, "a process", "process");
REF_TYPES(ref_sample, "an artifact, a file or a network-traffic", "artifact",
          "file", "network-traffic");
REF_TYPES(ref_software, "a software", "software");
REF_TYPES(ref_user, "a user-account", "user-account");

static const struct stix_ref_rule ref_any = {
    .what = "a STIX object",
    .classes = STIX_CL_ALL,
    .custom = true,
};

static const struct stix_ref_rule ref_sco = {
    .what = "a cyber-observable object",
    .classes = STIX_CL_SCO,
    .custom = true,
};

static const struct stix_ref_rule ref_sdo = {
    .what = "a domain object",
    .classes = STIX_CL_SDO,
    .custom = true,
};

static const struct stix_ref_rule ref_rel_end = {
    .what = "a domain or cyber-observable object",
    .classes = STIX_CL_SDO | STIX_CL_SCO,
    .custom = true,
};

static const struct stix_ref_rule ref_od_content = {
    .what = "a cyber-observable or relationship object",
    .classes = STIX_CL_SCO | STIX_CL_SRO,
    .custom = true,
};

static const struct stix_ref_rule ref_lc_target = {
    .what = "an object other than a bundle or language-content",
    .classes = STIX_CL_ALL & ~STIX_CL_LC,
    .custom = true,
};

/*
 * Helpers for whole-object rules
 */

static void
issue_at(struct stix_vctx *c, const char *key, enum fusion_stix_severity sev,
         const char *msg)
{
    size_t old;

    assert(key && msg);
    old = fusion_stix_path_key(c, key);
    fusion_stix_issue(c, sev, "%s", msg);
    fusion_stix_path_pop(c, old);
}

static bool
has(const json_t *obj, const char *key)
{
    return json_object_get(obj, key) != NULL;
}

static void
check_seen(struct stix_vctx *c, const json_t *obj)
{
    fusion_stix_check_order(c, obj, "first_seen", "last_seen", false);
}

/* Checks an object-valued property against a rule. */
static void
check_sub_object(struct stix_vctx *c, const json_t *v,
                 const struct stix_type_rule *rule)
{
    assert(rule);
    fusion_stix_check_members(c, v, rule);

    if (rule->check)
        rule->check(c, v);
}

/*
 * SDOs (section 4)
 */

static const struct stix_prop_rule attack_pattern_props[] = {
    R_LIST("aliases"),
    R_STR("description"),
    R_KCP("kill_chain_phases"),
    R_STR("name"),
};

static const struct stix_prop_rule campaign_props[] = {
    R_LIST("aliases"), R_STR("description"), R_TS("first_seen"),
    R_TS("last_seen"), R_STR("name"),        R_STR("objective"),
};

static const struct stix_prop_rule course_of_action_props[] = {
    R_STR("description"),
    R_STR("name"),
};

static const struct stix_prop_rule grouping_props[] = {
    R_OV("context", GROUPING_CONTEXT),
    R_STR("description"),
    R_STR("name"),
    R_REFS("object_refs", ref_any),
};

static const struct stix_prop_rule identity_props[] = {
    R_STR("contact_information"),
    R_STR("description"),
    R_OV("identity_class", IDENTITY_CLASS),
    R_STR("name"),
    R_LIST("roles"),
    R_OVS("sectors", INDUSTRY_SECTOR),
};

static const struct stix_prop_rule incident_props[] = {
    R_STR("description"),
    R_STR("name"),
};

static const struct stix_prop_rule indicator_props[] = {
    R_STR("description"),       R_OVS("indicator_types", INDICATOR_TYPE),
    R_KCP("kill_chain_phases"), R_STR("name"),
    R_STR("pattern"),           R_OV("pattern_type", PATTERN_TYPE),
    R_STR("pattern_version"),   R_TS("valid_from"),
    R_TS("valid_until"),
};

static void
check_indicator(struct stix_vctx *c, const json_t *obj)
{
    fusion_stix_check_order(c, obj, "valid_from", "valid_until", true);
}

static const struct stix_prop_rule infrastructure_props[] = {
    R_LIST("aliases"),
    R_STR("description"),
    R_TS("first_seen"),
    R_OVS("infrastructure_types", INFRASTRUCTURE_TYPE),
    R_KCP("kill_chain_phases"),
    R_TS("last_seen"),
    R_STR("name"),
};

static const struct stix_prop_rule intrusion_set_props[] = {
    R_LIST("aliases"),
    R_STR("description"),
    R_TS("first_seen"),
    R_LIST("goals"),
    R_TS("last_seen"),
    R_STR("name"),
    R_OV("primary_motivation", ATTACK_MOTIVATION),
    R_OV("resource_level", ATTACK_RESOURCE_LEVEL),
    R_OVS("secondary_motivations", ATTACK_MOTIVATION),
};

static const struct stix_prop_rule location_props[] = {
    R_STR("administrative_area"),
    R_STR("city"),
    R_STR("country"),
    R_STR("description"),
    R_RANGE("latitude", STIX_P_NUMBER, -90.0, 90.0),
    R_RANGE("longitude", STIX_P_NUMBER, -180.0, 180.0),
    R_STR("name"),
    R_STR("postal_code"),
    R_NUM("precision"),
    R_OV("region", REGION),
    R_STR("street_address"),
};

/* Location: latitude and longitude together; precision needs both. */
static void
check_location(struct stix_vctx *c, const json_t *obj)
{
    bool lat = has(obj, "latitude"), lon = has(obj, "longitude");

    if (lat != lon)
        issue_at(c, lat ? "longitude" : "latitude", ERR,
                 "latitude and longitude must be present together");
    if (has(obj, "precision") && !(lat && lon))
        issue_at(c, "precision", ERR,
                 "precision requires latitude and longitude");
    if (!has(obj, "region") && !has(obj, "country") && !(lat && lon))
        fusion_stix_issue(c, ERR,
                          "at least one of region, country or "
                          "latitude and longitude must be present");
}

static const struct stix_prop_rule malware_props[] = {
    R_LIST("aliases"),
    R_OVS("architecture_execution_envs", PROCESSOR_ARCHITECTURE),
    R_OVS("capabilities", MALWARE_CAPABILITIES),
    R_STR("description"),
    R_TS("first_seen"),
    R_OVS("implementation_languages", IMPLEMENTATION_LANGUAGE),
    R_BOOL("is_family"),
    R_KCP("kill_chain_phases"),
    R_TS("last_seen"),
    R_OVS("malware_types", MALWARE_TYPE),
    R_STR("name"),
    R_REFS("operating_system_refs", ref_software),
    R_REFS("sample_refs", ref_file_artifact),
};

static void
check_malware(struct stix_vctx *c, const json_t *obj)
{
    check_seen(c, obj);
    if (json_is_true(json_object_get(obj, "is_family")) && !has(obj, "name"))
        issue_at(c, "name", ERR, "a malware family must have a name");
}

static const struct stix_prop_rule malware_analysis_props[] = {
    R_STR("analysis_definition_version"),
    R_TS("analysis_ended"),
    R_STR("analysis_engine_version"),
    R_REFS("analysis_sco_refs", ref_sco),
    R_TS("analysis_started"),
    R_STR("configuration_version"),
    R_REF("host_vm_ref", ref_software),
    R_REFS("installed_software_refs", ref_software),
    R_LIST("modules"),
    R_REF("operating_system_ref", ref_software),
    R_STR("product"),
    R_OV("result", MALWARE_RESULT),
    R_STR("result_name"),
    R_REF("sample_ref", ref_sample),
    R_TS("submitted"),
    R_STR("version"),
};

static const struct stix_prop_rule note_props[] = {
    R_STR("abstract"),
    R_LIST("authors"),
    R_STR("content"),
    R_REFS("object_refs", ref_any),
};

static void check_od_objects(struct stix_vctx *c, const json_t *v);
static void check_od_refs(struct stix_vctx *c, const json_t *v);

static const struct stix_prop_rule observed_data_props[] = {
    R_TS("first_observed"),
    R_TS("last_observed"),
    R_RANGE("number_observed", STIX_P_INT, 1, 999999999),
    { .name = "object_refs",
      .type = STIX_P_REFS,
      .ref = &ref_od_content,
      .fn = check_od_refs },
    R_FN("objects", STIX_P_OBJECT, check_od_objects),
};

/*
 * The schema keeps domain-object names out of object_refs even as the
 * start of a custom type name.
 */
static void
check_od_refs(struct stix_vctx *c, const json_t *v)
{
    static const char *const sdo[] = {
        "attack-pattern", "campaign",      "course-of-action", "grouping",
        "identity",       "incident",      "indicator",        "infrastructure",
        "intrusion-set",  "location",      "malware",          "note",
        "observed-data",  "opinion",       "report",           "threat-actor",
        "tool",           "vulnerability",
    };
    const json_t *item;
    size_t i, old;

    json_array_foreach(v, i, item)
    {
        const char *id = json_string_value(item);

        for (size_t k = 0; k < sizeof(sdo) / sizeof(sdo[0]); k++) {
            if (strncmp(id, sdo[k], strlen(sdo[k])) != 0)
                continue;
            old = fusion_stix_path_index(c, i);
            fusion_stix_issue(c, ERR,
                              "'%s' must not name a domain object "
                              "type",
                              id);
            fusion_stix_path_pop(c, old);
            break;
        }
    }
}

/* The deprecated objects container holds SCOs keyed by local names. */
static void
check_od_objects(struct stix_vctx *c, const json_t *v)
{
    const char *key;
    const json_t *sco;
    size_t old;

    STIX_OBJECT_FOREACH(v, key, sco)
    {
        old = fusion_stix_path_key(c, key);
        fusion_stix_validate_nested(c, sco);
        fusion_stix_path_pop(c, old);
    }
}

static void
check_observed_data(struct stix_vctx *c, const json_t *obj)
{
    bool refs = has(obj, "object_refs"), objects = has(obj, "objects");

    fusion_stix_check_order(c, obj, "first_observed", "last_observed", false);
    if (refs == objects)
        fusion_stix_issue(c, ERR,
                          "exactly one of object_refs and objects "
                          "must be present");
}

static const struct stix_prop_rule opinion_props[] = {
    R_LIST("authors"),
    R_STR("explanation"),
    R_REFS("object_refs", ref_any),
    R_OV("opinion", OPINION),
};

static const struct stix_prop_rule report_props[] = {
    R_STR("description"),
    R_STR("name"),
    R_REFS("object_refs", ref_any),
    R_TS("published"),
    R_OVS("report_types", REPORT_TYPE),
};

static const struct stix_prop_rule threat_actor_props[] = {
    R_LIST("aliases"),
    R_STR("description"),
    R_TS("first_seen"),
    R_LIST("goals"),
    R_TS("last_seen"),
    R_STR("name"),
    R_OVS("personal_motivations", ATTACK_MOTIVATION),
    R_OV("primary_motivation", ATTACK_MOTIVATION),
    R_OV("resource_level", ATTACK_RESOURCE_LEVEL),
    R_OVS("roles", THREAT_ACTOR_ROLE),
    R_OVS("secondary_motivations", ATTACK_MOTIVATION),
    R_OV("sophistication", THREAT_ACTOR_SOPHISTICATION),
    R_OVS("threat_actor_types", THREAT_ACTOR_TYPE),
};

static const struct stix_prop_rule tool_props[] = {
    R_LIST("aliases"),
    R_STR("description"),
    R_KCP("kill_chain_phases"),
    R_STR("name"),
    R_OVS("tool_types", TOOL_TYPE),
    R_STR("tool_version"),
};

static const struct stix_prop_rule vulnerability_props[] = {
    R_STR("description"),
    R_STR("name"),
};

/*
 * SROs (section 5)
 */

static void
check_relationship_type(struct stix_vctx *c, const json_t *v)
{
    const char *s = json_string_value(v);

    if (s[0] == '\0' ||
        strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(s))
        fusion_stix_issue(c, ERR,
                          "relationship_type '%.*s' must be a-z, "
                          "0-9 and '-' only",
                          Q(s));
}

static const struct stix_prop_rule relationship_props[] = {
    R_STR("description"),
    R_FN("relationship_type", STIX_P_STRING, check_relationship_type),
    R_REF("source_ref", ref_rel_end),
    R_TS("start_time"),
    R_TS("stop_time"),
    R_REF("target_ref", ref_rel_end),
};

static void
check_relationship(struct stix_vctx *c, const json_t *obj)
{
    fusion_stix_check_order(c, obj, "start_time", "stop_time", true);
}

static const struct stix_prop_rule sighting_props[] = {
    R_RANGE("count", STIX_P_INT, 0, 999999999),
    R_STR("description"),
    R_TS("first_seen"),
    R_TS("last_seen"),
    R_REFS("observed_data_refs", ref_observed),
    R_REF("sighting_of_ref", ref_sdo),
    R_BOOL("summary"),
    R_REFS("where_sighted_refs", ref_ident_loc),
};

/*
 * Meta objects (section 7)
 */

static const struct stix_prop_rule extension_definition_props[] = {
    R_STR("description"),
    R_LIST("extension_properties"),
    R_OVS("extension_types", EXTENSION_TYPE),
    R_STR("name"),
    R_STR("schema"),
    R_STR("version"),
};

static bool
list_has(const json_t *list, const char *value)
{
    const json_t *item;
    size_t i;

    json_array_foreach(list, i, item)
    {
        if (json_is_string(item) && strcmp(json_string_value(item), value) == 0)
            return true;
    }
    return false;
}

static void
check_extension_definition(struct stix_vctx *c, const json_t *obj)
{
    if (has(obj, "extension_properties") &&
        !list_has(json_object_get(obj, "extension_types"),
                  "toplevel-property-extension"))
        issue_at(c, "extension_properties", ERR,
                 "extension_properties is only for "
                 "toplevel-property-extension");
}

static const struct stix_prop_rule language_content_props[] = {
    R_DICT("contents"),
    R_TS("object_modified"),
    R_REF("object_ref", ref_lc_target),
};

static const struct stix_prop_rule marking_definition_props[] = {
    R_FN("definition", STIX_P_OBJECT, NULL),
    R_STR("definition_type"),
    R_STR("name"),
};

/*
 * SCOs (section 6)
 */

/* SCOs whose contributing properties are all absent use UUIDv4. */
static void
check_uuid4_without(struct stix_vctx *c, const json_t *obj,
                    const char *const *contributors)
{
    const char *id = fusion_stix_str(obj, "id");
    const char *sep = id ? strstr(id, "--") : NULL;
    int version = 0;

    for (; contributors && *contributors; contributors++) {
        if (has(obj, *contributors))
            return;
    }
    if (!sep || !fusion_uuid_is_valid(sep + 2, strlen(sep + 2), &version) ||
        version == 4)
        return;
    issue_at(c, "id", ERR,
             "an id without contributing properties must be a UUIDv4");
}

static void
check_mime_type(struct stix_vctx *c, const json_t *v)
{
    static const char *const top[] = { "application", "audio",   "font",
                                       "image",       "message", "model",
                                       "multipart",   "text",    "video" };
    const char *s = json_string_value(v);
    const char *slash = strchr(s, '/');

    for (size_t i = 0; slash && i < sizeof(top) / sizeof(top[0]); i++) {
        if (strlen(top[i]) == (size_t)(slash - s) &&
            strncmp(s, top[i], strlen(top[i])) == 0 &&
            strspn(slash + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR"
                              "STUVWXYZ0123456789.+_-") > 0)
            return;
    }
    fusion_stix_issue(c, ERR, "'%.*s' is not an IANA media type", Q(s));
}

static const struct stix_prop_rule artifact_props[] = {
    R_STR("decryption_key"),
    R_OV("encryption_algorithm", ENCRYPTION_ALGORITHM),
    R_HASH("hashes"),
    R_FN("mime_type", STIX_P_STRING, check_mime_type),
    { .name = "payload_bin", .type = STIX_P_BINARY },
    R_URL("url"),
};

static void
check_artifact(struct stix_vctx *c, const json_t *obj)
{
    bool bin = has(obj, "payload_bin"), url = has(obj, "url");

    if (bin == url)
        fusion_stix_issue(c, ERR,
                          "exactly one of payload_bin and url must "
                          "be present");
    if (url && !has(obj, "hashes"))
        issue_at(c, "hashes", ERR, "an artifact with a url needs hashes");
    if (has(obj, "decryption_key") && !has(obj, "encryption_algorithm"))
        issue_at(c, "decryption_key", ERR,
                 "decryption_key requires encryption_algorithm");
    check_uuid4_without(c, obj, LIST("hashes", "payload_bin"));
}

static const struct stix_prop_rule autonomous_system_props[] = {
    R_STR("name"),
    R_INT("number"),
    R_STR("rir"),
};

/* Character-set names (path_enc, name_enc), as the schema has them. */
static void
check_enc(struct stix_vctx *c, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = strlen(s);

    if (len < 2 || len > 250 ||
        strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "0123456789/.+_:-") != len)
        fusion_stix_issue(c, ERR, "'%.*s' is not a character set name", Q(s));
}

static const struct stix_prop_rule directory_props[] = {
    R_TS("atime"), R_REFS("contains_refs", ref_file_dir),
    R_TS("ctime"), R_TS("mtime"),
    R_STR("path"), R_FN("path_enc", STIX_P_STRING, check_enc),
};

static void
check_directory(struct stix_vctx *c, const json_t *obj)
{
    if (has(obj, "path_enc") && !has(obj, "path"))
        issue_at(c, "path_enc", ERR, "path_enc requires path");
}

/* A host name: dot-separated labels of 1 to 63 bytes, 253 in all. */
static void
check_domain_value(struct stix_vctx *c, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = strlen(s), label = 0;
    bool ok = len > 0 && len <= 253;

    for (size_t i = 0; ok && i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '.') {
            ok = label > 0 && s[i - 1] != '-';
            label = 0;
        } else if (ch <= 0x20 || ch == 0x7f || strchr("/\\@:?#[]%", ch)) {
            ok = false;
        } else {
            ok = ++label <= 63 && (label > 1 || ch != '-');
        }
    }
    if (!ok)
        fusion_stix_issue(c, ERR, "'%.*s' is not a domain name", Q(s));
}

static const struct stix_prop_rule domain_name_props[] = {
    R_REFS("resolves_to_refs", ref_ip_domain),
    R_FN("value", STIX_P_STRING, check_domain_value),
};

static void
check_email_value(struct stix_vctx *c, const json_t *v)
{
    const char *s = json_string_value(v);

    if (!strchr(s, '@'))
        fusion_stix_issue(c, ERR, "'%.*s' is not an e-mail address", Q(s));
}

static const struct stix_prop_rule email_addr_props[] = {
    R_REF("belongs_to_ref", ref_user),
    R_STR("display_name"),
    R_FN("value", STIX_P_STRING, check_email_value),
};

/* A header field is a string, or a list of two or more (the schema). */
static void
check_header_fields(struct stix_vctx *c, const json_t *v)
{
    const char *key;
    const json_t *val;
    size_t old;

    STIX_OBJECT_FOREACH(v, key, val)
    {
        if (json_is_string(val) ||
            (json_is_array(val) && json_array_size(val) >= 2))
            continue;
        old = fusion_stix_path_key(c, key);
        fusion_stix_issue(c, ERR,
                          "header field must be a string or a list "
                          "of two or more strings");
        fusion_stix_path_pop(c, old);
    }
}

static const struct stix_prop_rule mime_part_props[] = {
    R_STR("body"),
    R_REF("body_raw_ref", ref_artifact_file),
    R_STR("content_disposition"),
    R_STR("content_type"),
};

static void
check_mime_part(struct stix_vctx *c, const json_t *part)
{
    if (has(part, "body") == has(part, "body_raw_ref"))
        fusion_stix_issue(c, ERR,
                          "exactly one of body and body_raw_ref "
                          "must be present");
}

static const struct stix_type_rule mime_part_rule =
    TYPE(NULL, mime_part_props, NULL, NULL, check_mime_part);

static void
check_body_multipart(struct stix_vctx *c, const json_t *v)
{
    fusion_stix_check_object_list(c, v, &mime_part_rule);
}

static const struct stix_prop_rule email_message_props[] = {
    R_FN("additional_header_fields", STIX_P_DICT, check_header_fields),
    R_REFS("bcc_refs", ref_email_addr),
    R_STR("body"),
    R_FN("body_multipart", STIX_P_FN, check_body_multipart),
    R_REFS("cc_refs", ref_email_addr),
    R_STR("content_type"),
    R_TS("date"),
    R_REF("from_ref", ref_email_addr),
    R_BOOL("is_multipart"),
    R_STR("message_id"),
    R_REF("raw_email_ref", ref_artifact),
    R_LIST("received_lines"),
    R_REF("sender_ref", ref_email_addr),
    R_STR("subject"),
    R_REFS("to_refs", ref_email_addr),
};

static void
check_email_message(struct stix_vctx *c, const json_t *obj)
{
    const json_t *multi = json_object_get(obj, "is_multipart");

    if (json_is_true(multi) && has(obj, "body"))
        issue_at(c, "body", ERR, "body is only for is_multipart false");
    if (json_is_false(multi) && has(obj, "body_multipart"))
        issue_at(c, "body_multipart", ERR,
                 "body_multipart is only for is_multipart true");
    check_uuid4_without(c, obj, LIST("from_ref", "subject", "body"));
}

static const struct stix_prop_rule file_props[] = {
    R_TS("atime"),
    R_REFS("contains_refs", ref_sco),
    R_REF("content_ref", ref_artifact),
    R_TS("ctime"),
    R_HASH("hashes"),
    R_HEX("magic_number_hex"),
    R_STR("mime_type"),
    R_TS("mtime"),
    R_STR("name"),
    R_FN("name_enc", STIX_P_STRING, check_enc),
    R_REF("parent_directory_ref", ref_directory),
    R_NAT("size"),
};

static void
check_file(struct stix_vctx *c, const json_t *obj)
{
    if (has(obj, "name_enc") && !has(obj, "name"))
        issue_at(c, "name_enc", ERR, "name_enc requires name");
}

/* Dotted quad without leading zeros, optional /0-32 (the schema form). */
static bool
parse_octets(const char *s, int count, char sep, const char **end)
{
    for (int i = 0; i < count; i++) {
        size_t n = strspn(s, "0123456789");

        if (n == 0 || n > 3 || (n > 1 && s[0] == '0') ||
            (n == 3 && strncmp(s, "255", 3) > 0))
            return false;
        s += n;
        if (i + 1 < count && *s++ != sep)
            return false;
    }
    *end = s;
    return true;
}

static bool
prefix_is_valid(const char *s, int max)
{
    size_t n = strspn(s, "0123456789");
    long v;

    if (n == 0 || n > 3 || s[n] != '\0' || (n > 1 && s[0] == '0'))
        return false;
    v = strtol(s, NULL, 10);
    return v <= max;
}

bool
fusion_stix_ipv4_text(const char *s, bool cidr)
{
    const char *end;

    return parse_octets(s, 4, '.', &end) &&
           (*end == '\0' ||
            (cidr && *end == '/' && prefix_is_valid(end + 1, 32)));
}

static void
check_ipv4_value(struct stix_vctx *c, const json_t *v)
{
    const char *s = json_string_value(v);

    if (fusion_stix_ipv4_text(s, true))
        return;
    fusion_stix_issue(c, ERR, "'%.*s' is not an IPv4 address or CIDR block",
                      Q(s));
}

/*
 * IPv6 text (RFC 4291 section 2.2) with an optional zone and /0-128.
 * The schema's pattern does not take the embedded IPv4 form.
 */
bool
fusion_stix_ipv6_text(const char *s, bool cidr)
{
    int groups = 0, gap = 0;
    const char *p = s;

    if (p[0] == ':' && p[1] == ':') {
        gap = 1;
        p += 2;
    } else if (p[0] == ':') {
        return false;
    }
    while (*p && *p != '%' && *p != '/') {
        size_t n = 0;

        while (n < 5 &&
               ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'f') ||
                (p[n] >= 'A' && p[n] <= 'F')))
            n++;
        if (n == 0 || n > 4)
            return false;
        groups++;
        p += n;
        if (p[0] == ':' && p[1] == ':') {
            if (gap++)
                return false;
            p += 2;
        } else if (p[0] == ':') {
            if (!p[1] || p[1] == '%' || p[1] == '/')
                return false;
            p++;
        }
    }
    if (gap ? groups > 7 : groups != 8)
        return false;
    if (*p == '%') {
        if (!cidr)
            return false;
        p += strcspn(p, "/");
        if (p == strchr(s, '%') + 1)
            return false;
    }
    return *p == '\0' || (cidr && *p == '/' && prefix_is_valid(p + 1, 128));
}

static void
check_ipv6_value(struct stix_vctx *c, const json_t *v)
{
    const char *s = json_string_value(v);

    if (!fusion_stix_ipv6_text(s, true))
        fusion_stix_issue(c, ERR,
                          "'%.*s' is not an IPv6 address or CIDR "
                          "block",
                          Q(s));
}

static const struct stix_prop_rule ipv4_addr_props[] = {
    R_REFS("belongs_to_refs", ref_as),
    R_REFS("resolves_to_refs", ref_mac),
    R_FN("value", STIX_P_STRING, check_ipv4_value),
};

static const struct stix_prop_rule ipv6_addr_props[] = {
    R_REFS("belongs_to_refs", ref_as),
    R_REFS("resolves_to_refs", ref_mac),
    R_FN("value", STIX_P_STRING, check_ipv6_value),
};

/* MAC-48, colon-delimited, lower case with leading zeros (section 6.8). */
static void
check_mac_value(struct stix_vctx *c, const json_t *v)
{
    const char *s = json_string_value(v);
    bool ok = strlen(s) == 17;

    for (size_t i = 0; ok && i < 17; i++) {
        if (i % 3 == 2)
            ok = s[i] == ':';
        else
            ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
    }
    if (!ok)
        fusion_stix_issue(c, ERR,
                          "'%.*s' is not a lower-case MAC-48 "
                          "address",
                          Q(s));
}

static const struct stix_prop_rule mac_addr_props[] = {
    R_FN("value", STIX_P_STRING, check_mac_value),
};

static const struct stix_prop_rule mutex_props[] = {
    R_STR("name"),
};

static void
check_ipfix(struct stix_vctx *c, const json_t *v)
{
    const char *key;
    const json_t *val;
    size_t old;

    STIX_OBJECT_FOREACH(v, key, val)
    {
        if (json_is_string(val) || json_is_integer(val))
            continue;
        old = fusion_stix_path_key(c, key);
        fusion_stix_issue(c, ERR, "expected a string or an integer, got %s",
                          fusion_stix_json_type(val));
        fusion_stix_path_pop(c, old);
    }
}

static const struct stix_prop_rule network_traffic_props[] = {
    R_NAT("dst_byte_count"),
    R_NAT("dst_packets"),
    R_REF("dst_payload_ref", ref_artifact),
    R_RANGE("dst_port", STIX_P_INT, 0, 65535),
    R_REF("dst_ref", ref_nt_end),
    R_REF("encapsulated_by_ref", ref_nt),
    R_REFS("encapsulates_refs", ref_nt),
    R_TS("end"),
    R_FN("ipfix", STIX_P_DICT, check_ipfix),
    R_BOOL("is_active"),
    R_LIST("protocols"),
    R_NAT("src_byte_count"),
    R_NAT("src_packets"),
    R_REF("src_payload_ref", ref_artifact),
    R_RANGE("src_port", STIX_P_INT, 0, 65535),
    R_REF("src_ref", ref_nt_end),
    R_TS("start"),
};

static void
check_network_traffic(struct stix_vctx *c, const json_t *obj)
{
    fusion_stix_check_order(c, obj, "start", "end", false);
    if (json_is_true(json_object_get(obj, "is_active")) && has(obj, "end"))
        issue_at(c, "end", ERR, "an active flow must not have an end");
}

static const struct stix_prop_rule process_props[] = {
    R_REFS("child_refs", ref_process),
    R_STR("command_line"),
    R_TS("created_time"),
    R_REF("creator_user_ref", ref_user),
    R_STR("cwd"),
    R_DICT("environment_variables"),
    R_REF("image_ref", ref_file),
    R_BOOL("is_hidden"),
    R_REFS("opened_connection_refs", ref_nt),
    R_REF("parent_ref", ref_process),
    R_INT("pid"),
};

static void
check_process(struct stix_vctx *c, const json_t *obj)
{
    check_uuid4_without(c, obj, NULL);
}

/* CPE 2.3 formatted string: "cpe:2.3:" part and ten more components. */
static bool
cpe_is_valid(const char *s)
{
    int parts = 0;

    if (strncmp(s, "cpe:2.3:", 8) != 0 || !strchr("aho*-", s[8]) ||
        s[8] == '\0' || s[9] != ':')
        return false;
    for (s += 9; *s == ':'; parts++) {
        size_t n = 0;

        for (s++; s[n] && s[n] != ':'; n++) {
            if (s[n] == '\\' && s[n + 1])
                n++;
            else if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f)
                return false;
        }
        if (n == 0)
            return false;
        s += n;
    }
    return parts == 10 && *s == '\0';
}

static void
check_cpe(struct stix_vctx *c, const json_t *v)
{
    const char *s = json_string_value(v);

    if (!cpe_is_valid(s))
        fusion_stix_issue(c, ERR, "'%.*s' is not a CPE 2.3 name", Q(s));
}

static size_t
span_of(const char *s, const char *set, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] && strchr(set, s[n]))
        n++;
    return n;
}

/*
 * RFC 5646 tags in the subset the schema's pattern takes: "eng", or
 * "en" with an optional -US region, -latn script and -subtags.
 */
static bool
lang_tag_is_valid(const char *s)
{
    static const char lower[] = "abcdefghijklmnopqrstuvwxyz";
    static const char upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";

    if (strlen(s) == 3 && span_of(s, lower, 3) == 3)
        return true;
    if (span_of(s, lower, 2) != 2)
        return false;
    s += 2;
    if (s[0] == '-' && span_of(s + 1, upper, 3) == 2)
        s += 3;
    if (s[0] == '-' && span_of(s + 1, lower, 5) == 4)
        s += 5;
    while (s[0] == '-') {
        size_t n = span_of(s + 1, alnum, 9);

        if (n < 1 || n > 8)
            return false;
        s += 1 + n;
    }
    return s[0] == '\0';
}

static void
check_languages(struct stix_vctx *c, const json_t *v)
{
    const json_t *item;
    size_t i, old;

    json_array_foreach(v, i, item)
    {
        if (lang_tag_is_valid(json_string_value(item)))
            continue;
        old = fusion_stix_path_index(c, i);
        fusion_stix_issue(c, ERR, "'%.*s' is not an RFC 5646 language tag",
                          Q(json_string_value(item)));
        fusion_stix_path_pop(c, old);
    }
}

static const struct stix_prop_rule software_props[] = {
    R_FN("cpe", STIX_P_STRING, check_cpe),
    R_FN("languages", STIX_P_STRINGS, check_languages),
    R_STR("name"),
    R_STR("swid"),
    R_STR("vendor"),
    R_STR("version"),
};

static const struct stix_prop_rule url_props[] = {
    R_URL("value"),
};

static const struct stix_prop_rule user_account_props[] = {
    R_TS("account_created"),         R_TS("account_expires"),
    R_TS("account_first_login"),     R_TS("account_last_login"),
    R_STR("account_login"),          R_OV("account_type", ACCOUNT_TYPE),
    R_BOOL("can_escalate_privs"),    R_STR("credential"),
    R_TS("credential_last_changed"), R_STR("display_name"),
    R_BOOL("is_disabled"),           R_BOOL("is_privileged"),
    R_BOOL("is_service_account"),    R_STR("user_id"),
};

static void
check_user_account(struct stix_vctx *c, const json_t *obj)
{
    check_uuid4_without(c, obj,
                        LIST("account_type", "user_id", "account_login"));
}

/* Hives are spelled out (section 6.17); the schema bans the short forms. */
static void
check_registry_key(struct stix_vctx *c, const json_t *v)
{
    static const char *const abbrev[] = { "HKCC", "HKCR", "HKCU", "HKU", "hklm",
                                          "hkcc", "hkcr", "hkcu", "hku" };
    const char *s = json_string_value(v);
    bool bad = strncmp(s, "HKLM", 4) == 0;

    for (size_t i = 0; !bad && i < sizeof(abbrev) / sizeof(abbrev[0]); i++)
        bad = strstr(s, abbrev[i]) != NULL;
    if (bad)
        fusion_stix_issue(c, ERR,
                          "key '%.*s' must spell out the hive "
                          "(HKEY_LOCAL_MACHINE, not HKLM)",
                          Q(s));
}

static const struct stix_prop_rule registry_value_props[] = {
    R_STR("data"),
    R_OV("data_type", WINDOWS_REGISTRY_DATATYPE),
    R_STR("name"),
};

static const struct stix_type_rule registry_value_rule = TYPE(
    NULL, registry_value_props, NULL, LIST("name", "data", "data_type"), NULL);

static void
check_registry_values(struct stix_vctx *c, const json_t *v)
{
    fusion_stix_check_object_list(c, v, &registry_value_rule);
}

static const struct stix_prop_rule windows_registry_key_props[] = {
    R_REF("creator_user_ref", ref_user),
    R_FN("key", STIX_P_STRING, check_registry_key),
    R_TS("modified_time"),
    R_INT("number_of_subkeys"),
    R_FN("values", STIX_P_FN, check_registry_values),
};

static void
check_windows_registry_key(struct stix_vctx *c, const json_t *obj)
{
    check_uuid4_without(c, obj, LIST("key", "values"));
}

static const struct stix_prop_rule x509_v3_props[] = {
    R_STR("authority_key_identifier"),
    R_STR("basic_constraints"),
    R_STR("certificate_policies"),
    R_STR("crl_distribution_points"),
    R_STR("extended_key_usage"),
    R_STR("inhibit_any_policy"),
    R_STR("issuer_alternative_name"),
    R_STR("key_usage"),
    R_STR("name_constraints"),
    R_STR("policy_constraints"),
    R_STR("policy_mappings"),
    R_TS("private_key_usage_period_not_after"),
    R_TS("private_key_usage_period_not_before"),
    R_STR("subject_alternative_name"),
    R_STR("subject_directory_attributes"),
    R_STR("subject_key_identifier"),
};

static const struct stix_type_rule x509_v3_rule =
    TYPE(NULL, x509_v3_props, NULL, NULL, NULL);

static void
check_x509_v3(struct stix_vctx *c, const json_t *v)
{
    check_sub_object(c, v, &x509_v3_rule);
}

static const struct stix_prop_rule x509_certificate_props[] = {
    R_HASH("hashes"),
    R_BOOL("is_self_signed"),
    R_STR("issuer"),
    R_STR("serial_number"),
    R_STR("signature_algorithm"),
    R_STR("subject"),
    R_STR("subject_public_key_algorithm"),
    R_INT("subject_public_key_exponent"),
    R_STR("subject_public_key_modulus"),
    R_TS("validity_not_after"),
    R_TS("validity_not_before"),
    R_STR("version"),
    R_FN("x509_v3_extensions", STIX_P_OBJECT, check_x509_v3),
};

static void
check_x509_certificate(struct stix_vctx *c, const json_t *obj)
{
    fusion_stix_check_order(c, obj, "validity_not_before", "validity_not_after",
                            false);
    check_uuid4_without(c, obj, LIST("hashes", "serial_number"));
}

/*
 * The type table, sorted by type name for bsearch.
 */

static const struct stix_type_rule type_rules[] = {
    TYPE("artifact", artifact_props, NULL, NULL, check_artifact),
    TYPE("attack-pattern", attack_pattern_props, LIST("name"), NULL, NULL),
    TYPE("autonomous-system", autonomous_system_props, LIST("number"), NULL,
         NULL),
    TYPE("campaign", campaign_props, LIST("name"), NULL, check_seen),
    TYPE("course-of-action", course_of_action_props, LIST("name"), NULL, NULL),
    TYPE("directory", directory_props, LIST("path"), NULL, check_directory),
    TYPE("domain-name", domain_name_props, LIST("value"), NULL, NULL),
    TYPE("email-addr", email_addr_props, LIST("value"), NULL, NULL),
    TYPE("email-message", email_message_props, LIST("is_multipart"), NULL,
         check_email_message),
    TYPE("extension-definition", extension_definition_props,
         LIST("created_by_ref", "name", "schema", "version", "extension_types"),
         NULL, check_extension_definition),
    TYPE("file", file_props, NULL, LIST("hashes", "name"), check_file),
    TYPE("grouping", grouping_props, LIST("context", "object_refs"), NULL,
         NULL),
    TYPE("identity", identity_props, LIST("name"), NULL, NULL),
    TYPE("incident", incident_props, LIST("name"), NULL, NULL),
    TYPE("indicator", indicator_props,
         LIST("pattern", "pattern_type", "valid_from"), NULL, check_indicator),
    TYPE("infrastructure", infrastructure_props, LIST("name"), NULL,
         check_seen),
    TYPE("intrusion-set", intrusion_set_props, LIST("name"), NULL, check_seen),
    TYPE("ipv4-addr", ipv4_addr_props, LIST("value"), NULL, NULL),
    TYPE("ipv6-addr", ipv6_addr_props, LIST("value"), NULL, NULL),
    TYPE("language-content", language_content_props,
         LIST("object_ref", "contents"), NULL, NULL),
    TYPE("location", location_props, NULL, NULL, check_location),
    TYPE("mac-addr", mac_addr_props, LIST("value"), NULL, NULL),
    TYPE("malware", malware_props, LIST("is_family"), NULL, check_malware),
    TYPE("malware-analysis", malware_analysis_props, LIST("product"),
         LIST("result", "analysis_sco_refs"), NULL),
    TYPE("marking-definition", marking_definition_props, NULL, NULL,
         fusion_stix_check_marking),
    TYPE("mutex", mutex_props, LIST("name"), NULL, NULL),
    TYPE("network-traffic", network_traffic_props, LIST("protocols"),
         LIST("src_ref", "dst_ref"), check_network_traffic),
    TYPE("note", note_props, LIST("content", "object_refs"), NULL, NULL),
    TYPE("observed-data", observed_data_props,
         LIST("first_observed", "last_observed", "number_observed"), NULL,
         check_observed_data),
    TYPE("opinion", opinion_props, LIST("opinion", "object_refs"), NULL, NULL),
    /* The schema's list: created_time alone does not count. */
    TYPE("process", process_props, NULL,
         LIST("extensions", "is_hidden", "pid", "cwd", "command_line",
              "environment_variables", "opened_connection_refs",
              "creator_user_ref", "image_ref", "parent_ref", "child_refs"),
         check_process),
    TYPE("relationship", relationship_props,
         LIST("relationship_type", "source_ref", "target_ref"), NULL,
         check_relationship),
    TYPE("report", report_props, LIST("name", "published", "object_refs"), NULL,
         NULL),
    TYPE("sighting", sighting_props, LIST("sighting_of_ref"), NULL, check_seen),
    TYPE("software", software_props, LIST("name"), NULL, NULL),
    TYPE("threat-actor", threat_actor_props, LIST("name"), NULL, check_seen),
    TYPE("tool", tool_props, LIST("name"), NULL, NULL),
    TYPE("url", url_props, LIST("value"), NULL, NULL),
    TYPE("user-account", user_account_props, NULL,
         LIST("extensions", "user_id", "credential", "account_login",
              "account_type", "display_name", "is_service_account",
              "is_privileged", "can_escalate_privs", "is_disabled",
              "account_created", "account_expires", "credential_last_changed",
              "account_first_login", "account_last_login"),
         check_user_account),
    TYPE("vulnerability", vulnerability_props, LIST("name"), NULL, NULL),
    /* The schema does not count modified_time either. */
    TYPE("windows-registry-key", windows_registry_key_props, NULL,
         LIST("key", "values", "creator_user_ref", "number_of_subkeys"),
         check_windows_registry_key),
    TYPE("x509-certificate", x509_certificate_props, NULL,
         LIST("is_self_signed", "hashes", "version", "serial_number",
              "signature_algorithm", "issuer", "validity_not_before",
              "validity_not_after", "subject", "subject_public_key_algorithm",
              "subject_public_key_modulus", "subject_public_key_exponent",
              "x509_v3_extensions"),
         check_x509_certificate),
};

static int
compare_type(const void *key, const void *elem)
{
    return strcmp(key, ((const struct stix_type_rule *)elem)->type);
}

const struct stix_type_rule *
fusion_stix_type_rule(const char *type)
{
    return bsearch(type, type_rules, sizeof(type_rules) / sizeof(type_rules[0]),
                   sizeof(type_rules[0]), compare_type);
}
