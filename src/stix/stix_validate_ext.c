/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validation rules of the predefined SCO extensions (STIX 2.1 section 6:
 * file, network-traffic, process and user-account extensions).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix_validate_int.h"

#define ERR FUSION_STIX_ERROR

static const struct stix_ref_rule ref_artifact = {
    .what = "an artifact",
    .types = LIST("artifact"),
};

static const struct stix_ref_rule ref_file = {
    .what = "a file",
    .types = LIST("file"),
};

static const struct stix_ref_rule ref_sco = {
    .what = "a cyber-observable object",
    .classes = STIX_CL_SCO,
    .custom = true,
};

/* Members of v whose names fail ok() or whose values fail val_ok(). */
static void
check_dict_members(struct stix_vctx *c, const json_t *v,
                   bool (*key_ok)(const char *), bool (*val_ok)(const json_t *),
                   const char *what)
{
    const char *key;
    const json_t *val;
    size_t old;

    assert(val_ok && what);
    STIX_OBJECT_FOREACH(v, key, val)
    {
        old = fusion_stix_path_key(c, key);
        if (key_ok && !key_ok(key))
            fusion_stix_issue(c, ERR, "key '%s' is not allowed here", key);
        else if (!val_ok(val))
            fusion_stix_issue(c, ERR, "expected %s, got %s", what,
                              fusion_stix_json_type(val));
        fusion_stix_path_pop(c, old);
    }
}

/*
 * file extensions
 */

static const struct stix_prop_rule archive_props[] = {
    R_STR("comment"),
    R_REFS("contains_refs", ref_sco),
};

static const struct stix_prop_rule ads_props[] = {
    R_HASH("hashes"),
    R_STR("name"),
    R_NAT("size"),
};

static const struct stix_type_rule ads_rule =
    TYPE(NULL, ads_props, LIST("name"), NULL, NULL);

static void
check_ads(struct stix_vctx *c, const json_t *v)
{
    fusion_stix_check_object_list(c, v, &ads_rule);
}

static const struct stix_prop_rule ntfs_props[] = {
    R_FN("alternate_data_streams",
         STIX_P_STRINGS + 0 == 0 ? STIX_P_FN : STIX_P_FN, check_ads),
    R_STR("sid"),
};

static bool
is_string(const json_t *v)
{
    return json_is_string(v);
}

static bool
is_string_or_int(const json_t *v)
{
    return json_is_string(v) || json_is_integer(v);
}

static void
check_info_dict(struct stix_vctx *c, const json_t *v)
{
    check_dict_members(c, v, NULL, is_string, "a string");
}

static const struct stix_prop_rule pdf_props[] = {
    R_FN("document_info_dict", STIX_P_DICT, check_info_dict),
    R_BOOL("is_optimized"),
    R_STR("pdfid0"),
    R_STR("pdfid1"),
    R_STR("version"),
};

/* EXIF tag names start with an upper-case letter (the schema's form). */
static bool
exif_key_ok(const char *key)
{
    size_t len = strlen(key);

    return len >= 2 && key[0] >= 'A' && key[0] <= 'Z' &&
           strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789_-") == len;
}

static void
check_exif(struct stix_vctx *c, const json_t *v)
{
    check_dict_members(c, v, exif_key_ok, is_string_or_int,
                       "a string or an integer");
}

static const struct stix_prop_rule raster_props[] = {
    R_INT("bits_per_pixel"),
    R_FN("exif_tags", STIX_P_DICT, check_exif),
    R_INT("image_height"),
    R_INT("image_width"),
};

static const struct stix_prop_rule pe_optional_props[] = {
    R_INT("address_of_entry_point"),
    R_INT("base_of_code"),
    R_INT("base_of_data"),
    R_HEX("checksum_hex"),
    R_HEX("dll_characteristics_hex"),
    R_INT("file_alignment"),
    R_HASH("hashes"),
    R_INT("image_base"),
    R_HEX("loader_flags_hex"),
    R_HEX("magic_hex"),
    R_INT("major_image_version"),
    R_INT("major_linker_version"),
    R_INT("major_os_version"),
    R_INT("major_subsystem_version"),
    R_INT("minor_image_version"),
    R_INT("minor_linker_version"),
    R_INT("minor_os_version"),
    R_INT("minor_subsystem_version"),
    R_INT("number_of_rva_and_sizes"),
    R_INT("section_alignment"),
    R_NAT("size_of_code"),
    R_NAT("size_of_headers"),
    R_NAT("size_of_heap_commit"),
    R_NAT("size_of_heap_reserve"),
    R_NAT("size_of_image"),
    R_NAT("size_of_initialized_data"),
    R_NAT("size_of_stack_commit"),
    R_NAT("size_of_stack_reserve"),
    R_NAT("size_of_uninitialized_data"),
    R_HEX("subsystem_hex"),
    R_HEX("win32_version_value_hex"),
};

static int
compare_rule(const void *key, const void *elem)
{
    return strcmp(key, ((const struct stix_prop_rule *)elem)->name);
}

/* The optional header takes no other properties (the schema). */
static void
check_pe_optional(struct stix_vctx *c, const json_t *v)
{
    const size_t n = sizeof(pe_optional_props) / sizeof(pe_optional_props[0]);
    const struct stix_prop_rule *r;
    const char *key;
    const json_t *val;
    size_t old;

    STIX_OBJECT_FOREACH(v, key, val)
    {
        old = fusion_stix_path_key(c, key);
        r = bsearch(key, pe_optional_props, n, sizeof(pe_optional_props[0]),
                    compare_rule);
        if (r)
            fusion_stix_check_value(c, r, val);
        else
            fusion_stix_issue(c, ERR,
                              "'%s' is not a PE optional header "
                              "field",
                              key);
        fusion_stix_path_pop(c, old);
    }
}

static const struct stix_prop_rule pe_section_props[] = {
    R_NUM("entropy"),
    R_HASH("hashes"),
    R_STR("name"),
    R_NAT("size"),
};

static const struct stix_type_rule pe_section_rule =
    TYPE(NULL, pe_section_props, LIST("name"), NULL, NULL);

static void
check_pe_sections(struct stix_vctx *c, const json_t *v)
{
    fusion_stix_check_object_list(c, v, &pe_section_rule);
}

static const struct stix_prop_rule pebinary_props[] = {
    R_HEX("characteristics_hex"),
    R_HASH("file_header_hashes"),
    R_STR("imphash"),
    R_HEX("machine_hex"),
    R_NAT("number_of_sections"),
    R_NAT("number_of_symbols"),
    R_FN("optional_header", STIX_P_OBJECT, check_pe_optional),
    R_OV("pe_type", WINDOWS_PEBINARY_TYPE),
    R_HEX("pointer_to_symbol_table_hex"),
    R_FN("sections", STIX_P_FN, check_pe_sections),
    R_NAT("size_of_optional_header"),
    { .name = "time_date_stamp", .type = STIX_P_TS_SEC },
};

/*
 * network-traffic extensions
 */

static bool
is_string_list(const json_t *v)
{
    const json_t *item;
    size_t i;

    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item))
            return false;
    }
    return true;
}

static bool
nonempty_key(const char *key)
{
    return key[0] != '\0';
}

static void
check_request_header(struct stix_vctx *c, const json_t *v)
{
    check_dict_members(c, v, nonempty_key, is_string_list, "a list of strings");
}

static const struct stix_prop_rule http_props[] = {
    R_REF("message_body_data_ref", ref_artifact),
    R_INT("message_body_length"),
    R_FN("request_header", STIX_P_DICT, check_request_header),
    R_STR("request_method"),
    R_STR("request_value"),
    R_STR("request_version"),
};

static const struct stix_prop_rule icmp_props[] = {
    R_HEX("icmp_code_hex"),
    R_HEX("icmp_type_hex"),
};

/* Socket options: SO_*, TCP_*, IP_* ... names with integer values. */
static bool
socket_option_ok(const char *key)
{
    static const char *const prefixes[] = { "SO_",  "ICMP_", "ICMP6_",
                                            "IP_",  "IPV6_", "MCAST_",
                                            "TCP_", "IRLMP_" };
    size_t len = strlen(key);

    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = strlen(prefixes[i]);

        if (len > n && strncmp(key, prefixes[i], n) == 0 &&
            strspn(key + n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == len - n &&
            key[len - 1] != '_' && !strstr(key + n - 1, "__"))
            return true;
    }
    return false;
}

static bool
is_int(const json_t *v)
{
    return json_is_integer(v);
}

static void
check_socket_options(struct stix_vctx *c, const json_t *v)
{
    check_dict_members(c, v, socket_option_ok, is_int, "an integer");
}

static const struct stix_prop_rule socket_props[] = {
    R_OV("address_family", SOCKET_ADDRESS_FAMILY),
    R_BOOL("is_blocking"),
    R_BOOL("is_listening"),
    R_FN("options", STIX_P_DICT, check_socket_options),
    R_NAT("socket_descriptor"),
    R_INT("socket_handle"),
    R_OV("socket_type", SOCKET_TYPE),
};

static const struct stix_prop_rule tcp_props[] = {
    R_HEX("dst_flags_hex"),
    R_HEX("src_flags_hex"),
};

/*
 * process and user-account extensions
 */

static bool
startup_key_ok(const char *key)
{
    static const char *const keys[] = {
        "cb",        "dwFillAttribute", "dwFlags",
        "dwX",       "dwXCountChars",   "dwXSize",
        "dwY",       "dwYCountChars",   "dwYSize",
        "hStdError", "hStdInput",       "hStdOutput",
        "lpDesktop", "lpTitle",         "wShowWindow",
    };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(key, keys[i]) == 0)
            return true;
    }
    return false;
}

static void
check_startup_info(struct stix_vctx *c, const json_t *v)
{
    check_dict_members(c, v, startup_key_ok, is_string_or_int,
                       "a string or an integer");
}

static const struct stix_prop_rule win_process_props[] = {
    R_BOOL("aslr_enabled"),
    R_BOOL("dep_enabled"),
    R_OV("integrity_level", WINDOWS_INTEGRITY_LEVEL),
    R_STR("owner_sid"),
    R_STR("priority"),
    R_FN("startup_info", STIX_P_DICT, check_startup_info),
    R_STR("window_title"),
};

static const struct stix_prop_rule win_service_props[] = {
    R_LIST("descriptions"),
    R_STR("display_name"),
    R_STR("group_name"),
    R_REFS("service_dll_refs", ref_file),
    R_STR("service_name"),
    R_OV("service_status", WINDOWS_SERVICE_STATUS),
    R_OV("service_type", WINDOWS_SERVICE_TYPE),
    R_OV("start_type", WINDOWS_SERVICE_START_TYPE),
};

static const struct stix_prop_rule unix_account_props[] = {
    R_INT("gid"),
    R_LIST("groups"),
    R_STR("home_dir"),
    R_STR("shell"),
};

struct ext_rule {
    const char *owner;
    struct stix_type_rule rule;
};

static const struct ext_rule ext_rules[] = {
    { "file",
      TYPE("archive-ext", archive_props, LIST("contains_refs"), NULL, NULL) },
    { "file", TYPE("ntfs-ext", ntfs_props, NULL,
                   LIST("sid", "alternate_data_streams"), NULL) },
    { "file", TYPE("pdf-ext", pdf_props, NULL,
                   LIST("version", "is_optimized", "document_info_dict",
                        "pdfid0", "pdfid1"),
                   NULL) },
    { "file",
      TYPE("raster-image-ext", raster_props, NULL,
           LIST("image_height", "image_width", "bits_per_pixel", "exif_tags"),
           NULL) },
    { "file", TYPE("windows-pebinary-ext", pebinary_props, LIST("pe_type"),
                   LIST("imphash", "machine_hex", "number_of_sections",
                        "time_date_stamp", "pointer_to_symbol_table_hex",
                        "number_of_symbols", "size_of_optional_header",
                        "characteristics_hex", "file_header_hashes",
                        "optional_header", "sections"),
                   NULL) },
    { "network-traffic",
      TYPE("http-request-ext", http_props,
           LIST("request_method", "request_value"), NULL, NULL) },
    { "network-traffic",
      TYPE("icmp-ext", icmp_props, LIST("icmp_type_hex", "icmp_code_hex"), NULL,
           NULL) },
    { "network-traffic",
      TYPE("socket-ext", socket_props, LIST("address_family"), NULL, NULL) },
    { "network-traffic", TYPE("tcp-ext", tcp_props, NULL,
                              LIST("src_flags_hex", "dst_flags_hex"), NULL) },
    /* The schema does not count integrity_level alone. */
    { "process", TYPE("windows-process-ext", win_process_props, NULL,
                      LIST("aslr_enabled", "dep_enabled", "priority",
                           "owner_sid", "window_title", "startup_info"),
                      NULL) },
    { "process", TYPE("windows-service-ext", win_service_props, NULL,
                      LIST("service_name", "descriptions", "display_name",
                           "group_name", "start_type", "service_dll_refs",
                           "service_type", "service_status"),
                      NULL) },
    { "user-account", TYPE("unix-account-ext", unix_account_props, NULL,
                           LIST("gid", "groups", "home_dir", "shell"), NULL) },
};

const struct stix_type_rule *
fusion_stix_ext_rule(const char *type, const char *key)
{
    assert(type && key);

    for (size_t i = 0; i < sizeof(ext_rules) / sizeof(ext_rules[0]); i++) {
        if (strcmp(key, ext_rules[i].rule.type) == 0 &&
            strcmp(type, ext_rules[i].owner) == 0)
            return &ext_rules[i].rule;
    }
    return NULL;
}
