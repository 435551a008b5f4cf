/* SPDX-License-Identifier: Apache-2.0 */
/* STIX 2.1 object validation: table-driven accept, reject and warn cases. */
/* cmocka.h needs these headers first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
/* clang-format on */

#include "stix/stix.h"

#define UUID_A "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define UUID_B "1f2e6a1c-3b6e-4f53-9e8a-0e5c5d9f4a11"
#define MD5_A  "3773a88f65a5e780c8dff9cdc3a056f3"
#define TS     "2016-04-06T20:03:48.000Z"
#define COMMON \
    "\"spec_version\":\"2.1\",\"created\":\"" TS "\",\"modified\":\"" TS "\""
#define TLP_WHITE "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"

/* Deletes a member when used as a value in a patch. */
#define DEL "\"<delete>\""

struct base {
    const char *name;
    const char *json;
};

static const struct base bases[] = {
    { "indicator",
      "{\"type\":\"indicator\",\"id\":\"indicator--" UUID_A "\"," COMMON
      ",\"name\":\"bad ip\",\"pattern\":\"[ipv4-addr:value = '1.2.3.4']\","
      "\"pattern_type\":\"stix\",\"valid_from\":\"2016-01-01T00:00:00Z\","
      "\"indicator_types\":[\"malicious-activity\"],"
      "\"created_by_ref\":\"identity--" UUID_B "\","
      "\"object_marking_refs\":[\"" TLP_WHITE "\"],"
      "\"external_references\":[{\"source_name\":\"x\",\"url\":"
      "\"https://example.com/a\"}],\"labels\":[\"a\"],\"confidence\":50}" },
    { "malware",
      "{\"type\":\"malware\",\"id\":\"malware--" UUID_A "\"," COMMON
      ",\"name\":\"x\",\"is_family\":true,\"malware_types\":[\"trojan\"],"
      "\"first_seen\":\"2016-01-01T00:00:00Z\","
      "\"sample_refs\":[\"file--" UUID_B "\"],"
      "\"kill_chain_phases\":[{\"kill_chain_name\":\"lockheed-martin-cyber-"
      "kill-chain\",\"phase_name\":\"delivery\"}]}" },
    { "relationship",
      "{\"type\":\"relationship\",\"id\":\"relationship--" UUID_A "\"," COMMON
      ",\"relationship_type\":\"indicates\",\"source_ref\":\"indicator--" UUID_B
      "\",\"target_ref\":\"x-custom-thing--" UUID_B "\"}" },
    { "sighting",
      "{\"type\":\"sighting\",\"id\":\"sighting--" UUID_A "\"," COMMON
      ",\"sighting_of_ref\":\"indicator--" UUID_B "\",\"count\":0,"
      "\"where_sighted_refs\":[\"identity--" UUID_B "\"],"
      "\"observed_data_refs\":[\"observed-data--" UUID_B "\"]}" },
    { "observed-data",
      "{\"type\":\"observed-data\",\"id\":\"observed-data--" UUID_A "\"," COMMON
      ",\"first_observed\":\"" TS "\",\"last_observed\":\"" TS "\","
      "\"number_observed\":1,\"object_refs\":[\"ipv4-addr--" UUID_B "\"]}" },
    { "location",
      "{\"type\":\"location\",\"id\":\"location--" UUID_A "\"," COMMON
      ",\"latitude\":48.8,\"longitude\":2.3,\"region\":\"europe\"}" },
    { "file",
      "{\"type\":\"file\",\"spec_version\":\"2.1\",\"id\":\"file--" UUID_A
      "\",\"name\":\"a.exe\",\"hashes\":{\"MD5\":\"" MD5_A "\"},\"size\":1,"
      "\"extensions\":{\"ntfs-ext\":{\"sid\":\"S-1\"}}}" },
    { "network-traffic",
      "{\"type\":\"network-traffic\",\"id\":\"network-traffic--" UUID_A "\","
      "\"protocols\":[\"tcp\"],\"src_ref\":\"ipv4-addr--" UUID_B "\","
      "\"src_port\":80,\"start\":\"" TS "\",\"end\":\"" TS "\"}" },
    { "ipv4-addr", "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--" UUID_A "\","
                   "\"value\":\"198.51.100.0/24\"}" },
    { "tlp-white",
      "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
      "\"id\":\"" TLP_WHITE
      "\",\"created\":\"2017-01-20T00:00:00.000Z\",\"name\":\"TLP:WHITE\","
      "\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"white\"}}" },
    { "tlp2-clear",
      "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":"
      "\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\","
      "\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":\"TLP:CLEAR\","
      "\"extensions\":{\"extension-definition--60a3c5c5-0d10-413e-aab3-"
      "9e08dde9e88d\":{\"extension_type\":\"property-extension\","
      "\"tlp_2_0\":\"clear\"}}}" },
    { "extension-definition",
      "{\"type\":\"extension-definition\","
      "\"id\":\"extension-definition--" UUID_A "\"," COMMON
      ",\"created_by_ref\":\"identity--" UUID_B "\",\"name\":\"x\","
      "\"schema\":\"https://example.com/s\",\"version\":\"1.0.0\","
      "\"extension_types\":[\"toplevel-property-extension\"],"
      "\"extension_properties\":[\"x_foo\"]}" },
    { "custom-sdo",
      "{\"type\":\"x-acme-widget\",\"id\":\"x-acme-widget--" UUID_A "\"," COMMON
      ",\"x_acme_size\":3,\"x_acme_tags\":[\"a\"],"
      "\"x_acme_blob_hex\":\"0aff\"}" },
    { "custom-sco",
      "{\"type\":\"x-acme-token\",\"id\":\"x-acme-token--" UUID_A "\","
      "\"value\":\"abc\"}" },
    { "bundle", "{\"type\":\"bundle\",\"id\":\"bundle--" UUID_A "\"}" },
};

static json_t *
load_base(const char *name)
{
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        if (strcmp(bases[i].name, name) == 0) {
            json_error_t jerr;
            json_t *obj = json_loads(bases[i].json, 0, &jerr);

            if (!obj)
                fail_msg("base %s: %s", name, jerr.text);
            return obj;
        }
    }
    fail_msg("no base %s", name);
    return NULL;
}

/* Base object with patch applied: "<delete>" values remove members. */
static json_t *
make_object(const char *base, const char *patch)
{
    json_t *obj = load_base(base);
    json_t *p;
    const char *key;
    json_t *v;

    if (!patch)
        return obj;
    p = json_loads(patch, JSON_ALLOW_NUL, NULL);
    assert_non_null(p);
    json_object_foreach(p, key, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), "<delete>") == 0)
            json_object_del(obj, key);
        else
            json_object_set(obj, key, v);
    }
    json_decref(p);
    return obj;
}

static const struct fusion_stix_issue *
find_issue(const struct fusion_stix_report *rep, enum fusion_stix_severity sev,
           const char *path, const char *text)
{
    for (size_t i = 0; i < rep->count; i++) {
        const struct fusion_stix_issue *is = &rep->items[i];

        if (is->severity == sev && strcmp(is->path, path) == 0 &&
            strstr(is->message, text))
            return is;
    }
    return NULL;
}

static void
dump_report(const char *label, const struct fusion_stix_report *rep)
{
    for (size_t i = 0; i < rep->count; i++)
        print_message("%s: %s %s: %s\n", label,
                      rep->items[i].severity == FUSION_STIX_ERROR ? "E" : "W",
                      rep->items[i].path, rep->items[i].message);
}

static void
test_validate_accepts_valid_objects(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        struct fusion_stix_report rep;
        json_t *obj = load_base(bases[i].name);
        enum fusion_err rc;

        fusion_stix_report_init(&rep);
        rc = fusion_stix_validate(obj, &rep);
        if (rc != FUSION_OK || rep.count)
            dump_report(bases[i].name, &rep);
        assert_int_equal(rc, FUSION_OK);
        assert_int_equal(rep.count, 0);
        fusion_stix_report_release(&rep);
        json_decref(obj);
    }
}

struct bad_case {
    const char *base;
    const char *patch;
    const char *path;
    const char *text;
};

/* One MUST broken per case: the path and message that name it. */
static const struct bad_case bad_cases[] = {
    /* S-01, S-02: type and id */
    { "indicator", "{\"type\":\"Indicator\"}", "type", "must be 3 to 250" },
    { "indicator", "{\"type\":\"ab\"}", "type", "must be 3 to 250" },
    { "indicator", "{\"type\":\"x--y\"}", "type", "without \"--\"" },
    { "indicator", "{\"type\":" DEL "}", "type", "'type' is missing" },
    { "indicator", "{\"id\":\"malware--" UUID_A "\"}", "id",
      "must be 'indicator--'" },
    { "indicator",
      "{\"id\":\"indicator--8e2e2d2b-17d4-6cbf-938f-98ee46b3cd3f\"}", "id",
      "RFC 4122" },
    { "indicator", "{\"id\":" DEL "}", "id", "'id' is missing" },
    /* S-03, S-04: spec_version, created, modified */
    { "indicator", "{\"spec_version\":\"2.0\"}", "spec_version",
      "is not \"2.1\"" },
    { "indicator", "{\"spec_version\":" DEL "}", "spec_version", "missing" },
    { "indicator", "{\"created\":" DEL "}", "created", "missing" },
    { "indicator", "{\"modified\":" DEL "}", "modified", "missing" },
    { "indicator", "{\"created\":\"2016-04-06T20:03:48Z\"}", "created",
      "millisecond precision" },
    { "indicator", "{\"modified\":\"2016-04-06T20:03:48.12Z\"}", "modified",
      "millisecond precision" },
    { "indicator", "{\"modified\":\"2016-04-06T20:03:47.000Z\"}", "modified",
      "no earlier than created" },
    { "indicator", "{\"valid_from\":\"2016-01-01t00:00:00z\"}", "valid_from",
      "invalid timestamp" },
    { "indicator", "{\"valid_from\":\"2016-01-01T00:00:00+00:00\"}",
      "valid_from", "invalid timestamp" },
    { "indicator", "{\"valid_from\":\"2016-02-30T00:00:00Z\"}", "valid_from",
      "invalid timestamp" },
    /* S-05: required per type */
    { "indicator", "{\"pattern\":" DEL "}", "pattern", "missing" },
    { "indicator", "{\"pattern\":5}", "pattern", "expected a string" },
    { "malware", "{\"is_family\":" DEL "}", "is_family", "missing" },
    { "malware", "{\"name\":" DEL "}", "name", "family must have a name" },
    { "relationship", "{\"target_ref\":" DEL "}", "target_ref", "missing" },
    { "location", "{\"latitude\":" DEL "}", "latitude", "together" },
    { "location",
      "{\"latitude\":" DEL ",\"longitude\":" DEL ",\"region\":" DEL "}", "",
      "at least one of region" },
    { "location", "{\"latitude\":91.0}", "latitude", "not in the range" },
    { "file", "{\"name\":" DEL ",\"hashes\":" DEL "}", "",
      "at least one of hashes, name" },
    { "network-traffic", "{\"src_ref\":" DEL "}", "",
      "at least one of src_ref, dst_ref" },
    { "network-traffic", "{\"is_active\":true}", "end", "active flow" },
    { "network-traffic", "{\"src_port\":65536}", "src_port",
      "not in the range" },
    { "extension-definition", "{\"created_by_ref\":" DEL "}", "created_by_ref",
      "missing" },
    { "extension-definition", "{\"extension_types\":[\"property-extension\"]}",
      "extension_properties", "only for toplevel" },
    { "extension-definition", "{\"extension_types\":[\"new-thing\"]}",
      "extension_types[0]", "extension-type-enum" },
    /* S-06: no empty lists, dictionaries or nulls */
    { "indicator", "{\"labels\":[]}", "labels", "list must not be empty" },
    { "indicator", "{\"x_acme_list\":[]}", "x_acme_list", "must not be empty" },
    { "indicator", "{\"x_acme_dict\":{}}", "x_acme_dict", "must not be empty" },
    { "indicator", "{\"name\":null}", "name", "null is not a STIX value" },
    { "file", "{\"hashes\":{}}", "hashes", "must not be empty" },
    /* S-07: reserved names; custom property names */
    { "indicator", "{\"severity\":\"high\"}", "severity", "reserved" },
    { "indicator", "{\"phone_numbers\":\"1\"}", "phone_numbers", "reserved" },
    { "indicator", "{\"x-acme\":1}", "x-acme", "property name" },
    { "indicator", "{\"xy\":1}", "xy", "property name" },
    { "indicator", "{\"X_acme\":1}", "X_acme", "property name" },
    /* S-08: confidence */
    { "indicator", "{\"confidence\":101}", "confidence", "not in the range" },
    { "indicator", "{\"confidence\":5.5}", "confidence", "an integer" },
    /* S-09: external references */
    { "indicator", "{\"external_references\":[{\"source_name\":\"x\"}]}",
      "external_references[0]", "at least one of description" },
    { "indicator", "{\"external_references\":[{\"url\":\"https://a.b\"}]}",
      "external_references[0].source_name", "missing" },
    { "indicator",
      "{\"external_references\":[{\"source_name\":\"cve\","
      "\"external_id\":\"CVE-16-1\"}]}",
      "external_references[0]", "not a CVE id" },
    { "indicator",
      "{\"external_references\":[{\"source_name\":\"x\","
      "\"external_id\":\"CAPEC-12\"}]}",
      "external_references[0]", "needs source_name \"capec\"" },
    { "indicator",
      "{\"external_references\":[{\"source_name\":\"x\",\"url\":\"a b\"}]}",
      "external_references[0].url", "not a valid URL" },
    { "indicator",
      "{\"external_references\":[{\"source_name\":\"x\",\"url\":\"https://a"
      "\",\"hashes\":{\"sha256\":\"00\"}}]}",
      "external_references[0].hashes.sha256", "hash-algorithm-ov" },
    /* S-10: reference targets */
    { "indicator", "{\"created_by_ref\":\"malware--" UUID_B "\"}",
      "created_by_ref", "must refer to an identity" },
    { "indicator", "{\"object_marking_refs\":[\"identity--" UUID_B "\"]}",
      "object_marking_refs[0]", "must refer to a marking-definition" },
    { "indicator", "{\"created_by_ref\":\"identity\"}", "created_by_ref",
      "not an identifier" },
    { "sighting", "{\"sighting_of_ref\":\"file--" UUID_B "\"}",
      "sighting_of_ref", "domain object" },
    { "sighting", "{\"where_sighted_refs\":[\"malware--" UUID_B "\"]}",
      "where_sighted_refs[0]", "identity or a location" },
    { "sighting", "{\"observed_data_refs\":[\"indicator--" UUID_B "\"]}",
      "observed_data_refs[0]", "observed-data" },
    { "relationship", "{\"source_ref\":\"sighting--" UUID_B "\"}", "source_ref",
      "domain or cyber-observable" },
    { "relationship", "{\"target_ref\":\"marking-definition--" UUID_B "\"}",
      "target_ref", "domain or cyber-observable" },
    { "malware", "{\"sample_refs\":[\"url--" UUID_B "\"]}", "sample_refs[0]",
      "file or an artifact" },
    { "observed-data", "{\"object_refs\":[\"indicator--" UUID_B "\"]}",
      "object_refs[0]", "cyber-observable or relationship" },
    /* S-12: granular markings */
    { "indicator",
      "{\"granular_markings\":[{\"selectors\":[\"description\"],"
      "\"marking_ref\":\"" TLP_WHITE "\"}]}",
      "granular_markings[0].selectors[0]", "selects nothing" },
    { "indicator",
      "{\"granular_markings\":[{\"selectors\":[\"labels.[3]\"],"
      "\"marking_ref\":\"" TLP_WHITE "\"}]}",
      "granular_markings[0].selectors[0]", "selects nothing" },
    { "indicator",
      "{\"granular_markings\":[{\"selectors\":[\"name\"],"
      "\"marking_ref\":\"" TLP_WHITE "\",\"lang\":\"en\"}]}",
      "granular_markings[0]", "not both" },
    { "indicator", "{\"granular_markings\":[{\"selectors\":[\"name\"]}]}",
      "granular_markings[0]", "one of marking_ref and lang" },
    /* S-11, S-13: marking definitions */
    { "tlp-white", "{\"id\":\"marking-definition--" UUID_A "\"}", "id",
      "four TLP 1.0 ids" },
    { "tlp-white", "{\"definition\":{\"tlp\":\"red\"}}", "definition.tlp",
      "\"white\"" },
    { "tlp-white", "{\"created_by_ref\":\"identity--" UUID_B "\"}",
      "created_by_ref", "not allowed on a TLP 1.0" },
    { "tlp-white", "{\"modified\":\"" TS "\"}", "modified",
      "not defined for marking-definition" },
    { "tlp-white", "{\"definition\":" DEL "}", "", "present together" },
    { "tlp-white",
      "{\"definition_type\":\"statement\",\"definition\":{\"x\":\"y\"}}",
      "definition", "statement string" },
    { "tlp2-clear",
      "{\"object_marking_refs\":[\"marking-definition--94868c89-83c2-464b-"
      "929b-a1a8aa3c8487\"]}",
      "object_marking_refs", "must not mark itself" },
    /* S-14: ordering */
    { "indicator",
      "{\"valid_from\":\"9999-12-31T00:00:00Z\","
      "\"valid_until\":\"5000-01-01T00:00:00Z\"}",
      "valid_until", "later than valid_from" },
    { "indicator", "{\"valid_from\":\"2100-02-29T00:00:00Z\"}", "valid_from",
      "invalid timestamp" },
    { "indicator", "{\"valid_until\":\"2016-01-01T00:00:00Z\"}", "valid_until",
      "later than valid_from" },
    { "malware", "{\"last_seen\":\"2015-01-01T00:00:00Z\"}", "last_seen",
      "no earlier than first_seen" },
    { "observed-data", "{\"last_observed\":\"2015-01-01T00:00:00.000Z\"}",
      "last_observed", "no earlier than first_observed" },
    { "network-traffic", "{\"end\":\"2015-01-01T00:00:00Z\"}", "end",
      "no earlier than start" },
    { "relationship", "{\"start_time\":\"" TS "\",\"stop_time\":\"" TS "\"}",
      "stop_time", "later than start_time" },
    /* S-15: observed-data */
    { "observed-data", "{\"number_observed\":0}", "number_observed",
      "not in the range" },
    { "observed-data", "{\"number_observed\":1000000000}", "number_observed",
      "not in the range" },
    { "observed-data", "{\"object_refs\":" DEL "}", "",
      "exactly one of object_refs and objects" },
    /* S-17: closed enumerations */
    { "file",
      "{\"type\":\"artifact\",\"id\":\"artifact--" UUID_A "\",\"name\":" DEL
      ",\"payload_bin\":\"AAAA\",\"encryption_algorithm\":\"rot13\"}",
      "encryption_algorithm", "encryption-algorithm-enum" },
    /* S-18: hashes */
    { "file", "{\"hashes\":{\"MD5\":\"abc\"}}", "hashes.MD5",
      "not a valid MD5 hash" },
    { "file", "{\"hashes\":{\"SHA-256\":\"" MD5_A "\"}}", "hashes.SHA-256",
      "not a valid SHA-256" },
    { "file", "{\"hashes\":{\"x\":\"1\"}}", "hashes.x", "3 to 250" },
    /* S-19: SCO-only and SDO-only properties */
    { "indicator", "{\"defanged\":true}", "defanged",
      "not defined for domain objects" },
    { "file", "{\"labels\":[\"a\"]}", "labels",
      "not defined for cyber-observable" },
    { "file", "{\"created_by_ref\":\"identity--" UUID_B "\"}", "created_by_ref",
      "not defined for cyber-observable" },
    /* S-20: process ids */
    { "file",
      "{\"type\":\"process\",\"id\":\"process--0b5f9c6e-3b1a-5c3d-8e4f-"
      "1a2b3c4d5e6f\",\"name\":" DEL ",\"hashes\":" DEL ",\"size\":" DEL
      ",\"extensions\":" DEL ",\"pid\":1}",
      "id", "UUIDv4" },
    /* integers, hex, binary, SCO values */
    { "indicator", "{\"x_acme_n\":9007199254740992}", "x_acme_n",
      "out of range" },
    { "indicator", "{\"x_acme_hex\":\"abc\"}", "x_acme_hex", "hex digits" },
    { "indicator", "{\"x_acme_bin\":\"a=b\"}", "x_acme_bin", "base64" },
    { "ipv4-addr", "{\"value\":\"1.2.3.04\"}", "value", "IPv4" },
    { "ipv4-addr", "{\"value\":\"1.2.3.4/33\"}", "value", "IPv4" },
    { "file", "{\"size\":-1}", "size", "not in the range" },
    { "file", "{\"magic_number_hex\":\"zz\"}", "magic_number_hex",
      "hex digits" },
    /* extensions */
    { "file", "{\"extensions\":{\"ntfs-ext\":{}}}", "extensions.ntfs-ext",
      "must not be empty" },
    { "file", "{\"extensions\":{\"ntfs\":{\"sid\":\"1\"}}}", "extensions.ntfs",
      "neither an extension-definition id" },
    { "file", "{\"extensions\":{\"windows-pebinary-ext\":{\"imphash\":\"a\"}}}",
      "extensions.windows-pebinary-ext.pe_type", "missing" },
    { "file",
      "{\"extensions\":{\"extension-definition--" UUID_B "\":{\"x_a\":1}}}",
      "extensions.extension-definition--" UUID_B ".extension_type", "missing" },
    { "tlp2-clear", "{\"extensions\":{\"x-acme-ext\":{\"a_b\":1}}}",
      "extensions.x-acme-ext", "keyed by extension-definition id" },
};

static bool
check_bad_case(const struct bad_case *bc)
{
    bool ok;

    struct fusion_stix_report rep;
    json_t *obj = make_object(bc->base, bc->patch);
    enum fusion_err rc;

    fusion_stix_report_init(&rep);
    rc = fusion_stix_validate(obj, &rep);
    if (rc != FUSION_ERR_INVALID ||
        !find_issue(&rep, FUSION_STIX_ERROR, bc->path, bc->text)) {
        print_error("case %s %s: want '%s' at '%s'\n", bc->base, bc->patch,
                    bc->text, bc->path);
        dump_report("got", &rep);
    }
    ok = rc == FUSION_ERR_INVALID &&
         find_issue(&rep, FUSION_STIX_ERROR, bc->path, bc->text);
    fusion_stix_report_release(&rep);
    json_decref(obj);
    return ok;
}

static void
test_validate_rejects_broken_musts(void **state)
{
    size_t failed = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
        failed += !check_bad_case(&bad_cases[i]);
    assert_int_equal(failed, 0);
}

struct warn_case {
    const char *base;
    const char *patch;
    const char *path;
    const char *text;
};

/* Open vocabularies and SHOULDs: kept, with a warning. */
static const struct warn_case warn_cases[] = {
    { "indicator", "{\"indicator_types\":[\"ip-watchlist\"]}",
      "indicator_types[0]",
      "'ip-watchlist' is not a value of "
      "indicator-type-ov" },
    { "indicator", "{\"pattern_type\":\"kql\"}", "pattern_type",
      "pattern-type-ov" },
    { "malware", "{\"malware_types\":[\"miner\"]}", "malware_types[0]",
      "malware-type-ov" },
    { "location", "{\"region\":\"atlantis\"}", "region", "region-ov" },
    { "file", "{\"hashes\":{\"SHA256\":\"00\"}}", "hashes.SHA256",
      "hash-algorithm-ov" },
    { "indicator", "{\"x_acme_src_ref\":\"\"}", "x_acme_src_ref",
      "not an identifier" },
    { "indicator", "{\"x_acme_deep\":{\"a\":[]}}", "x_acme_deep.a",
      "list must not be empty" },
};

static void
test_validate_warns_on_open_vocab(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(warn_cases) / sizeof(warn_cases[0]); i++) {
        const struct warn_case *wc = &warn_cases[i];
        struct fusion_stix_report rep;
        json_t *obj = make_object(wc->base, wc->patch);
        enum fusion_err rc;

        fusion_stix_report_init(&rep);
        rc = fusion_stix_validate(obj, &rep);
        if (rc != FUSION_OK ||
            !find_issue(&rep, FUSION_STIX_WARNING, wc->path, wc->text)) {
            print_error("case %s %s\n", wc->base, wc->patch);
            dump_report("got", &rep);
            fail();
        }
        assert_int_equal(rep.errors, 0);
        fusion_stix_report_release(&rep);
        json_decref(obj);
    }
}

struct ok_case {
    const char *base;
    const char *patch;
};

/* Edge cases that are valid. */
static const struct ok_case ok_cases[] = {
    { "indicator", "{\"created\":\"2016-04-06T20:03:48.123456789Z\","
                   "\"modified\":\"2016-04-06T20:03:48.1234567891Z\"}" },
    { "indicator", "{\"valid_from\":\"2016-12-31T23:59:60Z\"}" },
    { "indicator", "{\"valid_until\":\"9999-12-31T23:59:59Z\"}" },
    { "indicator", "{\"valid_from\":\"0001-01-01T00:00:00Z\"}" },
    { "indicator", "{\"granular_markings\":[{\"selectors\":[\"labels.[0]\","
                   "\"external_references.[0].url\",\"name\"],"
                   "\"marking_ref\":\"" TLP_WHITE "\"}]}" },
    { "indicator", "{\"external_references\":[{\"source_name\":\"cve\","
                   "\"external_id\":\"CVE-2016-0001\"},{\"source_name\":"
                   "\"capec\",\"external_id\":\"CAPEC-163\"}]}" },
    { "indicator", "{\"x_acme_list\":[1,\"a\",true,{\"k\":1.5}],"
                   "\"x_acme_sample_bin\":\"AAE=\",\"id_x\":1}" },
    { "indicator", "{\"confidence\":0}" },
    { "relationship", "{\"source_ref\":\"ipv4-addr--" UUID_B "\"}" },
    { "ipv4-addr", "{\"value\":\"255.255.255.255\"}" },
    { "file", "{\"type\":\"ipv6-addr\",\"id\":\"ipv6-addr--" UUID_A "\","
              "\"name\":" DEL ",\"hashes\":" DEL ",\"size\":" DEL
              ",\"extensions\":" DEL ",\"value\":\"2001:db8::1/64\"}" },
    { "file", "{\"hashes\":{\"SHA-256\":\"effb46bba03f6c8aea5c653f9cf984f170"
              "dcdd3bbbe2ff6843c3e5da0e698766\",\"SSDEEP\":\"3:a+b:c\"}}" },
    { "observed-data", "{\"object_refs\":[\"relationship--" UUID_B "\","
                       "\"x-acme-thing--" UUID_B "\"]}" },
    { "custom-sco", "{\"extensions\":{\"extension-definition--" UUID_B
                    "\":{\"extension_type\":\"new-sco\"}}}" },
};

static void
test_validate_accepts_edge_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        struct fusion_stix_report rep;
        json_t *obj = make_object(ok_cases[i].base, ok_cases[i].patch);
        enum fusion_err rc;

        fusion_stix_report_init(&rep);
        rc = fusion_stix_validate(obj, &rep);
        if (rc != FUSION_OK || rep.count) {
            print_error("case %s %s\n", ok_cases[i].base, ok_cases[i].patch);
            dump_report("got", &rep);
        }
        assert_int_equal(rc, FUSION_OK);
        assert_int_equal(rep.count, 0);
        fusion_stix_report_release(&rep);
        json_decref(obj);
    }
}

static void
test_validate_rejects_non_object(void **state)
{
    struct fusion_stix_report rep;
    json_t *v = json_string("indicator");

    (void)state;
    fusion_stix_report_init(&rep);
    assert_int_equal(fusion_stix_validate(v, &rep), FUSION_ERR_INVALID);
    assert_int_equal(rep.errors, 1);
    assert_string_equal(rep.items[0].path, "");
    fusion_stix_report_release(&rep);
    json_decref(v);
}

static void
test_validate_judges_each_object_alone(void **state)
{
    struct fusion_stix_report rep;
    json_t *bad = make_object("indicator", "{\"confidence\":-1}");
    json_t *good = load_base("indicator");

    (void)state;
    fusion_stix_report_init(&rep);
    assert_int_equal(fusion_stix_validate(bad, &rep), FUSION_ERR_INVALID);
    assert_int_equal(fusion_stix_validate(good, &rep), FUSION_OK);
    assert_int_equal(rep.errors, 1);
    fusion_stix_report_release(&rep);
    json_decref(bad);
    json_decref(good);
}

static void
test_validate_quotes_bad_value(void **state)
{
    struct fusion_stix_report rep;
    json_t *obj = make_object("indicator", "{\"valid_from\":\"yesterday\"}");

    (void)state;
    fusion_stix_report_init(&rep);
    assert_int_equal(fusion_stix_validate(obj, &rep), FUSION_ERR_INVALID);
    assert_non_null(
        find_issue(&rep, FUSION_STIX_ERROR, "valid_from", "'yesterday'"));
    fusion_stix_report_release(&rep);
    json_decref(obj);
}

static void
test_validate_reports_nomem(void **state)
{
    struct fusion_stix_report rep;
    json_t *obj = make_object("indicator", "{\"confidence\":500}");
    enum fusion_err rc;

    (void)state;
    fusion_stix_report_init(&rep);
    fusion_alloc_fail_after(0);
    rc = fusion_stix_validate(obj, &rep);
    fusion_alloc_fail_after(-1);
    assert_int_equal(rc, FUSION_ERR_NOMEM);
    fusion_stix_report_release(&rep);
    json_decref(obj);
}

/* A missing or bad type whose issue cannot be recorded still stops. */
static void
test_validate_nomem_without_type(void **state)
{
    static const char *const texts[] = {
        "{\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"}",
        "{\"type\":5}",
        "{\"type\":\"--\"}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct fusion_stix_report rep;
        json_t *obj = json_loads(texts[i], 0, NULL);
        enum fusion_err rc;

        assert_non_null(obj);
        fusion_stix_report_init(&rep);
        fusion_alloc_fail_after(0);
        rc = fusion_stix_validate(obj, &rep);
        fusion_alloc_fail_after(-1);
        assert_int_equal(rc, FUSION_ERR_NOMEM);
        fusion_stix_report_release(&rep);
        json_decref(obj);
    }
}

static void
test_validate_checks_nested_objects_container(void **state)
{
    struct fusion_stix_report rep;
    json_t *obj = make_object(
        "observed-data",
        "{\"object_refs\":" DEL ",\"objects\":{\"0\":{\"type\":\"ipv4-addr\","
        "\"id\":\"ipv4-addr--" UUID_B "\",\"value\":\"300.1.1.1\"}}}");

    (void)state;
    fusion_stix_report_init(&rep);
    assert_int_equal(fusion_stix_validate(obj, &rep), FUSION_ERR_INVALID);
    assert_non_null(
        find_issue(&rep, FUSION_STIX_ERROR, "objects.0.value", "IPv4"));
    fusion_stix_report_release(&rep);
    json_decref(obj);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_accepts_valid_objects),
        cmocka_unit_test(test_validate_rejects_broken_musts),
        cmocka_unit_test(test_validate_warns_on_open_vocab),
        cmocka_unit_test(test_validate_accepts_edge_cases),
        cmocka_unit_test(test_validate_rejects_non_object),
        cmocka_unit_test(test_validate_judges_each_object_alone),
        cmocka_unit_test(test_validate_quotes_bad_value),
        cmocka_unit_test(test_validate_reports_nomem),
        cmocka_unit_test(test_validate_nomem_without_type),
        cmocka_unit_test(test_validate_checks_nested_objects_container),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
