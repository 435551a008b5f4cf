/* SPDX-License-Identifier: Apache-2.0 */
/* STIX 2.0 to 2.1 upgrade: hand-written cases and real 2.0 corpus files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "stix/stix.h"

#define CORPUS FUSION_SOURCE_ROOT "/../shared/corpus/stix20/"
#define DATA   FUSION_SOURCE_ROOT "/tests/data/stix/"

#define TLP_AMBER "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
#define TLP_RED   "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"

static json_t *
parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);

    assert_non_null(v);
    return v;
}

/* A corpus file, or NULL (and the test is skipped) when it is absent. */
static json_t *
load_corpus(const char *path)
{
    json_error_t jerr;
    json_t *v;

    if (access(path, R_OK) != 0) {
        print_message("corpus file %s not found; skipping\n", path);
        return NULL;
    }
    v = json_load_file(path, 0, &jerr);
    assert_non_null(v);
    return v;
}

static bool
has_issue(const struct fusion_stix_report *rep, const char *path,
          const char *text)
{
    for (size_t i = 0; i < rep->count; i++) {
        if (strcmp(rep->items[i].path, path) == 0 &&
            strstr(rep->items[i].message, text))
            return true;
    }
    return false;
}

static const json_t *
find_by_id(const json_t *objects, const char *id)
{
    for (size_t i = 0; i < json_array_size(objects); i++) {
        const json_t *o = json_array_get(objects, i);
        const char *oid = fusion_stix_str(o, "id");

        if (oid && strcmp(oid, id) == 0)
            return o;
    }
    return NULL;
}

static json_t *
find_first(const json_t *bundle, const char *type, const char *key)
{
    json_t *objects = json_object_get(bundle, "objects");

    for (size_t i = 0; i < json_array_size(objects); i++) {
        json_t *o = json_array_get(objects, i);
        const char *t = fusion_stix_str(o, "type");

        if (t && strcmp(t, type) == 0 && (!key || json_object_get(o, key)))
            return o;
    }
    return NULL;
}

static void
upgrade_ok(json_t *obj, json_t *new_objects, struct fusion_stix_report *rep,
           bool expect_upgraded)
{
    bool upgraded = !expect_upgraded;

    assert_int_equal(fusion_stix_upgrade(obj, new_objects, rep, &upgraded),
                     FUSION_OK);
    assert_int_equal(upgraded, expect_upgraded);
    assert_int_equal(rep->errors, 0);
}

static void
test_upgrade_is_20_detection(void **state)
{
    static const struct {
        const char *json;
        bool is_20;
    } cases[] = {
        { "{\"type\":\"indicator\",\"created\":\"2016-01-01T00:00:00Z\"}",
          true },
        { "{\"type\":\"indicator\",\"spec_version\":\"2.1\"}", false },
        { "{\"type\":\"indicator\",\"spec_version\":\"2.0\"}", true },
        { "{\"type\":\"relationship\"}", true },
        { "{\"type\":\"marking-definition\"}", true },
        { "{\"type\":\"ipv4-addr\",\"value\":\"1.2.3.4\"}", false },
        { "{\"type\":\"bundle\",\"spec_version\":\"2.0\"}", false },
        { "{\"type\":\"x-misp-attribute\","
          "\"created\":\"2016-01-01T00:00:00Z\"}",
          true },
        { "{\"type\":\"observed-data\",\"spec_version\":\"2.1\","
          "\"objects\":{\"0\":{\"type\":\"url\",\"value\":\"http://a\"}}}",
          true },
        { "{\"type\":\"observed-data\",\"spec_version\":\"2.1\","
          "\"object_refs\":[]}",
          false },
        { "{\"value\":\"no type\"}", false },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *obj = parse(cases[i].json);

        assert_int_equal(fusion_stix_is_20(obj), cases[i].is_20);
        json_decref(obj);
    }
    assert_false(fusion_stix_is_20(NULL));
}

static void
test_upgrade_21_untouched(void **state)
{
    const char *text =
        "{\"type\":\"malware\",\"spec_version\":\"2.1\","
        "\"id\":\"malware--96b08451-b27a-4ff6-893f-790e26393a8e\","
        "\"created\":\"2017-05-31T21:32:48Z\","
        "\"labels\":[\"x\"],\"name\":\"Sakula\"}";
    json_t *obj = parse(text), *orig = parse(text), *news = json_array();
    struct fusion_stix_report rep;

    (void)state;
    fusion_stix_report_init(&rep);
    upgrade_ok(obj, news, &rep, false);
    assert_true(json_equal(obj, orig));
    assert_int_equal(rep.count, 0);
    assert_int_equal(json_array_size(news), 0);
    fusion_stix_report_release(&rep);
    json_decref(obj);
    json_decref(orig);
    json_decref(news);
}

static void
test_upgrade_indicator_labels_and_pattern_type(void **state)
{
    json_t *obj =
        parse("{\"type\":\"indicator\","
              "\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
              "\"created\":\"2016-04-06T20:03:48Z\","
              "\"modified\":\"2016-04-06T20:03:48.12Z\","
              "\"labels\":[\"malicious-activity\",\"unknown\"],"
              "\"pattern\":\"[file:name = 'x']\","
              "\"valid_from\":\"2016-01-01T00:00:00Z\"}");
    json_t *expected = parse("[\"malicious-activity\",\"unknown\"]");
    struct fusion_stix_report rep;

    (void)state;
    fusion_stix_report_init(&rep);
    upgrade_ok(obj, NULL, &rep, true);
    assert_string_equal(fusion_stix_str(obj, "spec_version"), "2.1");
    assert_null(json_object_get(obj, "labels"));
    assert_true(json_equal(json_object_get(obj, "indicator_types"), expected));
    assert_string_equal(fusion_stix_str(obj, "pattern_type"), "stix");
    assert_null(json_object_get(obj, "pattern_version"));
    assert_string_equal(fusion_stix_str(obj, "created"),
                        "2016-04-06T20:03:48.000Z");
    assert_string_equal(fusion_stix_str(obj, "modified"),
                        "2016-04-06T20:03:48.120Z");
    /* valid_from may have any precision and is left alone */
    assert_string_equal(fusion_stix_str(obj, "valid_from"),
                        "2016-01-01T00:00:00Z");
    assert_true(has_issue(&rep, "labels", "indicator_types"));
    assert_true(has_issue(&rep, "pattern_type", "stix"));
    assert_true(has_issue(&rep, "spec_version", "2.1"));
    assert_true(has_issue(&rep, "created", "millisecond"));
    assert_true(has_issue(&rep, "modified", "millisecond"));
    assert_int_equal(rep.warnings, 5);
    fusion_stix_report_release(&rep);
    json_decref(obj);
    json_decref(expected);
}

static void
test_upgrade_type_labels_per_object(void **state)
{
    static const char *const cases[][2] = {
        { "malware", "malware_types" },
        { "report", "report_types" },
        { "threat-actor", "threat_actor_types" },
        { "tool", "tool_types" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *obj = json_pack("{s:s,s:s,s:[s]}", "type", cases[i][0],
                                "created", "2017-01-01T00:00:00.000Z", "labels",
                                "remote-access-trojan");
        struct fusion_stix_report rep;

        fusion_stix_report_init(&rep);
        upgrade_ok(obj, NULL, &rep, true);
        assert_null(json_object_get(obj, "labels"));
        assert_string_equal(json_string_value(json_array_get(
                                json_object_get(obj, cases[i][1]), 0)),
                            "remote-access-trojan");
        fusion_stix_report_release(&rep);
        json_decref(obj);
    }
}

static void
test_upgrade_labels_kept_elsewhere(void **state)
{
    json_t *obj = parse("{\"type\":\"intrusion-set\",\"name\":\"x\","
                        "\"created\":\"2017-01-01T00:00:00.000Z\","
                        "\"labels\":[\"apt\"]}");
    json_t *malware = parse("{\"type\":\"malware\",\"name\":\"x\","
                            "\"labels\":[\"old\"],\"malware_types\":[\"bot\"],"
                            "\"is_family\":true}");
    struct fusion_stix_report rep;

    (void)state;
    fusion_stix_report_init(&rep);
    upgrade_ok(obj, NULL, &rep, true);
    assert_non_null(json_object_get(obj, "labels"));
    upgrade_ok(malware, NULL, &rep, true);
    assert_non_null(json_object_get(malware, "labels"));
    assert_true(json_is_true(json_object_get(malware, "is_family")));
    fusion_stix_report_release(&rep);
    json_decref(obj);
    json_decref(malware);
}

static void
test_upgrade_malware_is_family(void **state)
{
    json_t *obj = parse("{\"type\":\"malware\",\"name\":\"x\","
                        "\"created\":\"2017-01-01T00:00:00.000Z\"}");
    struct fusion_stix_report rep;

    (void)state;
    fusion_stix_report_init(&rep);
    upgrade_ok(obj, NULL, &rep, true);
    assert_true(json_is_false(json_object_get(obj, "is_family")));
    assert_true(has_issue(&rep, "is_family", "false"));
    fusion_stix_report_release(&rep);
    json_decref(obj);
}

static void
test_upgrade_tlp_marking_named(void **state)
{
    json_t *obj = parse("{\"type\":\"marking-definition\",\"id\":\"" TLP_RED
                        "\",\"created\":\"2017-01-20T00:00:00.000Z\","
                        "\"definition_type\":\"tlp\","
                        "\"definition\":{\"tlp\":\"red\"}}");
    struct fusion_stix_report rep;

    (void)state;
    fusion_stix_report_init(&rep);
    upgrade_ok(obj, NULL, &rep, true);
    assert_string_equal(fusion_stix_str(obj, "name"), "TLP:RED");
    assert_string_equal(fusion_stix_str(obj, "spec_version"), "2.1");
    fusion_stix_report_clear(&rep);
    assert_int_equal(fusion_stix_validate(obj, &rep), FUSION_OK);
    fusion_stix_report_release(&rep);
    json_decref(obj);
}

static json_t *
load_fixture_observed_data(void)
{
    json_error_t jerr;
    json_t *od = json_load_file(DATA "upgrade_observed_data_20.json", 0, &jerr);

    assert_non_null(od);
    return od;
}

static void
test_upgrade_observed_data_lifts_objects(void **state)
{
    static const char *const ids[] = {
        "file--7390c384-b26a-55f6-a439-1fabf66b9c7e",
        "directory--30b6c25d-82f4-51af-a3c8-51cb692dfd0a",
        "file--9eaad992-e382-54ef-97eb-4f26d2a894a2",
        NULL, /* process: random */
        "user-account--6c60cab0-c5a6-54cf-be81-94eff8deeb9e",
        "windows-registry-key--67c068a7-2c94-526b-8e90-d0f8d96c630f",
        "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4",
        "network-traffic--3951eeb1-0f0b-5759-b66f-3a37e4ae044f",
    };
    json_t *od = load_fixture_observed_data(), *news = json_array();
    struct fusion_stix_report rep;
    const json_t *refs;

    (void)state;
    fusion_stix_report_init(&rep);
    upgrade_ok(od, news, &rep, true);
    assert_null(json_object_get(od, "objects"));
    refs = json_object_get(od, "object_refs");
    /* "6" and "7" are the same address: one SCO, one reference */
    assert_int_equal(json_array_size(refs), 8);
    assert_int_equal(json_array_size(news), 8);
    for (size_t i = 0; i < 8; i++) {
        const char *id = json_string_value(json_array_get(refs, i));
        const json_t *sco = find_by_id(news, id);

        assert_non_null(sco);
        assert_string_equal(fusion_stix_str(sco, "spec_version"), "2.1");
        if (ids[i])
            assert_string_equal(id, ids[i]);
        else
            assert_true(fusion_stix_id_is_valid(id, "process"));
    }
    assert_string_equal(fusion_stix_str(od, "created"),
                        "2016-04-06T19:58:16.000Z");
    assert_string_equal(fusion_stix_str(od, "modified"),
                        "2016-04-06T19:58:16.100Z");
    assert_true(has_issue(&rep, "objects.8.dst_ref", "no object"));
    fusion_stix_report_release(&rep);
    json_decref(od);
    json_decref(news);
}

static void
test_upgrade_observed_data_renames_and_drops(void **state)
{
    json_t *od = load_fixture_observed_data(), *news = json_array();
    struct fusion_stix_report rep;
    const json_t *file, *proc, *refs;

    (void)state;
    fusion_stix_report_init(&rep);
    upgrade_ok(od, news, &rep, true);
    refs = json_object_get(od, "object_refs");
    file = find_by_id(news, "file--7390c384-b26a-55f6-a439-1fabf66b9c7e");
    proc = find_by_id(news, json_string_value(json_array_get(refs, 3)));
    assert_non_null(file);
    assert_non_null(proc);

    assert_string_equal(fusion_stix_str(file, "ctime"), "2015-12-21T19:00:00Z");
    assert_string_equal(fusion_stix_str(file, "mtime"), "2015-12-21T19:01:00Z");
    assert_string_equal(fusion_stix_str(file, "atime"), "2015-12-21T19:02:00Z");
    assert_null(json_object_get(file, "created"));
    assert_null(json_object_get(file, "is_encrypted"));
    assert_null(json_object_get(
        json_object_get(json_object_get(file, "extensions"), "archive-ext"),
        "version"));
    assert_string_equal(fusion_stix_str(file, "parent_directory_ref"),
                        "directory--30b6c25d-82f4-51af-a3c8-51cb692dfd0a");

    assert_string_equal(fusion_stix_str(proc, "created_time"),
                        "2016-01-20T14:11:25.55Z");
    assert_string_equal(fusion_stix_str(proc, "image_ref"),
                        "file--7390c384-b26a-55f6-a439-1fabf66b9c7e");
    assert_null(json_object_get(proc, "name"));
    assert_null(json_object_get(proc, "arguments"));
    assert_null(json_object_get(proc, "binary_ref"));

    assert_true(has_issue(&rep, "objects.0.created", "ctime"));
    assert_true(has_issue(&rep, "objects.0.is_encrypted", "dropped"));
    assert_true(
        has_issue(&rep, "objects.0.extensions.archive-ext.version", "dropped"));
    assert_true(has_issue(&rep, "objects.3.arguments", "dropped"));
    assert_true(has_issue(&rep, "objects.4.password_last_changed",
                          "credential_last_changed"));
    assert_true(has_issue(&rep, "objects.5.modified", "modified_time"));
    fusion_stix_report_release(&rep);
    json_decref(od);
    json_decref(news);
}

/* The observed-data's markings stay on what it contained. */
static void
test_upgrade_observed_data_carries_markings(void **state)
{
    json_t *od = load_fixture_observed_data(), *news = json_array();
    struct fusion_stix_report rep;
    const json_t *dir, *file, *sel;

    (void)state;
    fusion_stix_report_init(&rep);
    upgrade_ok(od, news, &rep, true);
    dir = find_by_id(news, "directory--30b6c25d-82f4-51af-a3c8-51cb692dfd0a");
    file = find_by_id(news, "file--9eaad992-e382-54ef-97eb-4f26d2a894a2");
    assert_int_equal(fusion_stix_tlp_of(dir), FUSION_TLP_RED);
    assert_int_equal(fusion_stix_tlp_of(file), FUSION_TLP_AMBER);
    sel = json_object_get(
        json_array_get(json_object_get(od, "granular_markings"), 0),
        "selectors");
    assert_string_equal(json_string_value(json_array_get(sel, 0)),
                        "object_refs");
    fusion_stix_report_release(&rep);
    json_decref(od);
    json_decref(news);
}

static void
test_upgrade_observed_data_rejects_bad_container(void **state)
{
    json_t *od = parse("{\"type\":\"observed-data\",\"objects\":"
                       "{\"0\":{\"value\":\"no type\"}}}");
    json_t *news = json_array();
    struct fusion_stix_report rep;

    (void)state;
    fusion_stix_report_init(&rep);
    assert_int_equal(fusion_stix_upgrade(od, news, &rep, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(rep.errors, 1);
    assert_true(has_issue(&rep, "objects.0", "type"));
    assert_non_null(json_object_get(od, "objects"));
    assert_int_equal(json_array_size(news), 0);
    assert_int_equal(fusion_stix_upgrade(od, NULL, NULL, NULL),
                     FUSION_ERR_INVALID);
    fusion_stix_report_release(&rep);
    json_decref(od);
    json_decref(news);
}

/* A directory listing a file whose parent is that directory. */
static void
test_upgrade_observed_data_reference_cycle(void **state)
{
    json_t *od = parse(
        "{\"type\":\"observed-data\",\"objects\":{"
        "\"0\":{\"type\":\"directory\",\"path\":\"/tmp\",\"contains_refs\":"
        "[\"1\"]},\"1\":{\"type\":\"file\",\"name\":\"a\","
        "\"parent_directory_ref\":\"0\"},"
        "\"2\":{\"type\":\"network-traffic\",\"protocols\":[\"tcp\"],"
        "\"extensions\":{\"x-ext\":{\"a_ref\":\"3\"}}},"
        "\"3\":{\"type\":\"network-traffic\",\"protocols\":[\"udp\"],"
        "\"extensions\":{\"x-ext\":{\"a_ref\":\"2\"}}}}}");
    json_t *news = json_array();
    struct fusion_stix_report rep;
    const json_t *dir, *file;

    (void)state;
    fusion_stix_report_init(&rep);
    upgrade_ok(od, news, &rep, true);
    assert_int_equal(json_array_size(news), 4);
    dir = json_array_get(news, 0);
    file = json_array_get(news, 1);
    assert_string_equal(fusion_stix_str(file, "parent_directory_ref"),
                        fusion_stix_str(dir, "id"));
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(dir, "contains_refs"), 0)),
                        fusion_stix_str(file, "id"));
    assert_true(has_issue(&rep, "objects.2", "cycle"));
    fusion_stix_report_release(&rep);
    json_decref(od);
    json_decref(news);
}

static void
test_upgrade_nomem_sweep(void **state)
{
    bool done = false;

    (void)state;
    for (long n = 0; !done; n++) {
        json_t *od = load_fixture_observed_data(), *news = json_array();
        struct fusion_stix_report rep;
        enum fusion_err rc;

        fusion_stix_report_init(&rep);
        fusion_alloc_fail_after(n);
        rc = fusion_stix_upgrade(od, news, &rep, NULL);
        done = !fusion_alloc_has_failed();
        fusion_alloc_fail_after(-1);
        assert_int_equal(rc, done ? FUSION_OK : FUSION_ERR_NOMEM);
        /* until objects is gone, a failure leaves new_objects as it was */
        if (rc && json_object_get(od, "objects"))
            assert_int_equal(json_array_size(news), 0);
        fusion_stix_report_release(&rep);
        json_decref(od);
        json_decref(news);
    }
}

/* pymisp: an ipv4-addr and a network-traffic referring to it. */
static void
test_upgrade_corpus_pymisp_observed_data(void **state)
{
    json_t *bundle = load_corpus(CORPUS "pymisp/stix2.json");
    json_t *news = json_array(), *od, *report;
    struct fusion_stix_report rep;
    const json_t *refs, *nt;

    (void)state;
    if (!bundle) {
        json_decref(news);
        skip();
    }
    fusion_stix_report_init(&rep);
    od = find_first(bundle, "observed-data", "objects");
    report = find_first(bundle, "report", NULL);
    assert_non_null(od);
    assert_non_null(report);
    upgrade_ok(od, news, &rep, true);
    upgrade_ok(report, news, &rep, true);
    refs = json_object_get(od, "object_refs");
    assert_int_equal(json_array_size(refs), 2);
    assert_string_equal(json_string_value(json_array_get(refs, 0)),
                        "ipv4-addr--2f689bf9-0ff2-545f-aa61-e495eb8cecc7");
    assert_string_equal(
        json_string_value(json_array_get(refs, 1)),
        "network-traffic--c5e082e7-39ce-5d78-84e1-c539a9001bd9");
    nt = find_by_id(news,
                    "network-traffic--c5e082e7-39ce-5d78-84e1-c539a9001bd9");
    assert_non_null(nt);
    assert_string_equal(fusion_stix_str(nt, "src_ref"),
                        "ipv4-addr--2f689bf9-0ff2-545f-aa61-e495eb8cecc7");
    assert_non_null(json_object_get(report, "report_types"));
    assert_null(json_object_get(report, "labels"));
    fusion_stix_report_release(&rep);
    json_decref(bundle);
    json_decref(news);
}

/* misp-stix: file with a parent directory; e-mail with from and to. */
static void
test_upgrade_corpus_misp_stix_objects(void **state)
{
    json_t *bundle =
        load_corpus(CORPUS "misp-stix/test_objects_collection_stix20.json");
    json_t *news = json_array(), *objects;
    struct fusion_stix_report rep;
    const json_t *file, *mail;

    (void)state;
    if (!bundle) {
        json_decref(news);
        skip();
    }
    fusion_stix_report_init(&rep);
    objects = json_object_get(bundle, "objects");
    for (size_t i = 0; i < json_array_size(objects); i++) {
        json_t *o = json_array_get(objects, i);
        const char *type = fusion_stix_str(o, "type");

        upgrade_ok(o, news, &rep, true);
        assert_string_equal(fusion_stix_str(o, "spec_version"), "2.1");
        if (strcmp(type, "indicator") == 0) {
            assert_string_equal(fusion_stix_str(o, "pattern_type"), "stix");
            assert_null(json_object_get(o, "labels"));
            assert_non_null(json_object_get(o, "indicator_types"));
        }
        if (strcmp(type, "observed-data") == 0) {
            assert_null(json_object_get(o, "objects"));
            assert_true(json_array_size(json_object_get(o, "object_refs")) > 0);
        }
    }
    file = find_by_id(news, "file--513b8bdb-8328-55f9-8bd2-448fbd7e9b76");
    assert_non_null(file);
    assert_string_equal(fusion_stix_str(file, "parent_directory_ref"),
                        "directory--0e55258e-fe77-57de-b7e5-0c725152b08e");
    assert_non_null(
        find_by_id(news, "directory--0e55258e-fe77-57de-b7e5-0c725152b08e"));
    mail =
        find_by_id(news, "email-message--746e208e-306e-525a-8593-28d13f69a1aa");
    assert_non_null(mail);
    assert_string_equal(fusion_stix_str(mail, "from_ref"),
                        "email-addr--30b901f7-170d-5045-bc78-dede46a3f426");
    assert_true(fusion_stix_id_is_valid(
        json_string_value(json_array_get(json_object_get(mail, "to_refs"), 0)),
        "email-addr"));
    fusion_stix_report_release(&rep);
    json_decref(bundle);
    json_decref(news);
}

/* python-stix2 store: a 2.0 malware whose labels carry its type. */
static void
test_upgrade_corpus_python_stix2_malware(void **state)
{
    json_t *bundle =
        load_corpus(CORPUS "python-stix2/filesystem-store/malware/"
                           "malware--96b08451-b27a-4ff6-893f-790e26393a8e/"
                           "20170531213248482655.json");
    json_t *malware;
    struct fusion_stix_report rep;

    (void)state;
    if (!bundle)
        skip();
    fusion_stix_report_init(&rep);
    malware = find_first(bundle, "malware", NULL);
    assert_non_null(malware);
    upgrade_ok(malware, NULL, &rep, true);
    assert_string_equal(fusion_stix_str(malware, "spec_version"), "2.1");
    assert_null(json_object_get(malware, "labels"));
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(malware, "malware_types"), 0)),
                        "malware");
    assert_true(json_is_false(json_object_get(malware, "is_family")));
    /* created and modified already have milliseconds */
    assert_string_equal(fusion_stix_str(malware, "created"),
                        "2017-05-31T21:32:48.482Z");
    assert_int_equal(rep.warnings, 3);
    fusion_stix_report_release(&rep);
    json_decref(bundle);
}

/* python-stix2 store: a statement marking created to the second. */
static void
test_upgrade_corpus_marking_created_padded(void **state)
{
    json_t *bundle = load_corpus(
        CORPUS "python-stix2/filesystem-store/marking-definition/"
               "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168.json");
    json_t *marking;
    struct fusion_stix_report rep;

    (void)state;
    if (!bundle)
        skip();
    fusion_stix_report_init(&rep);
    marking = find_first(bundle, "marking-definition", NULL);
    assert_non_null(marking);
    upgrade_ok(marking, NULL, &rep, true);
    assert_string_equal(fusion_stix_str(marking, "created"),
                        "2017-06-01T00:00:00.000Z");
    assert_string_equal(fusion_stix_str(marking, "spec_version"), "2.1");
    fusion_stix_report_release(&rep);
    json_decref(bundle);
}

/* Unit 42 playbook: large, already carrying pattern_type on indicators. */
static void
test_upgrade_corpus_unit42_bundle(void **state)
{
    json_t *bundle = load_corpus(CORPUS "unit42-playbooks/emotet.json");
    json_t *news = json_array(), *objects;
    struct fusion_stix_report rep;
    size_t upgraded_count = 0;

    (void)state;
    if (!bundle) {
        json_decref(news);
        skip();
    }
    fusion_stix_report_init(&rep);
    objects = json_object_get(bundle, "objects");
    for (size_t i = 0; i < json_array_size(objects); i++) {
        json_t *o = json_array_get(objects, i);
        bool upgraded = false;

        assert_int_equal(fusion_stix_upgrade(o, news, &rep, &upgraded),
                         FUSION_OK);
        upgraded_count += upgraded;
        if (strcmp(fusion_stix_str(o, "type"), "indicator") == 0) {
            assert_string_equal(fusion_stix_str(o, "pattern_type"), "stix");
            assert_null(json_object_get(o, "labels"));
        }
    }
    assert_int_equal(upgraded_count, json_array_size(objects));
    assert_int_equal(rep.errors, 0);
    assert_false(has_issue(&rep, "pattern_type", "stix"));
    fusion_stix_report_release(&rep);
    json_decref(bundle);
    json_decref(news);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upgrade_is_20_detection),
        cmocka_unit_test(test_upgrade_21_untouched),
        cmocka_unit_test(test_upgrade_indicator_labels_and_pattern_type),
        cmocka_unit_test(test_upgrade_type_labels_per_object),
        cmocka_unit_test(test_upgrade_labels_kept_elsewhere),
        cmocka_unit_test(test_upgrade_malware_is_family),
        cmocka_unit_test(test_upgrade_tlp_marking_named),
        cmocka_unit_test(test_upgrade_observed_data_lifts_objects),
        cmocka_unit_test(test_upgrade_observed_data_renames_and_drops),
        cmocka_unit_test(test_upgrade_observed_data_carries_markings),
        cmocka_unit_test(test_upgrade_observed_data_rejects_bad_container),
        cmocka_unit_test(test_upgrade_observed_data_reference_cycle),
        cmocka_unit_test(test_upgrade_nomem_sweep),
        cmocka_unit_test(test_upgrade_corpus_pymisp_observed_data),
        cmocka_unit_test(test_upgrade_corpus_misp_stix_objects),
        cmocka_unit_test(test_upgrade_corpus_python_stix2_malware),
        cmocka_unit_test(test_upgrade_corpus_marking_created_padded),
        cmocka_unit_test(test_upgrade_corpus_unit42_bundle),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
