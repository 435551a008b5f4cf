/* SPDX-License-Identifier: Apache-2.0 */
/* Event readers: STIX, Suricata EVE JSON and Zeek lines as observations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "match/match.h"

static struct fusion_event *
read_ok(const char *line, enum fusion_event_format fmt)
{
    struct fusion_event *ev = NULL;
    struct fusion_error err;

    if (fusion_event_read(line, strlen(line), fmt, &ev, &err))
        fail_msg("'%s': %s", line, err.message);
    assert_non_null(ev);
    assert_null(ev->observed_data);
    assert_null(ev->scos);
    assert_true(ev->obs.count > 0);
    return ev;
}

/* Makes ev's objects, which stay the observation read. */
static void
materialize_ok(struct fusion_event *ev)
{
    struct fusion_error err;

    if (fusion_event_materialize(ev, &err))
        fail_msg("materialize: %s", err.message);
    assert_non_null(ev->observed_data);
    assert_int_equal(ev->obs.count, json_array_size(ev->scos));
    for (size_t i = 0; i < ev->obs.count; i++)
        assert_ptr_equal(ev->obs.objects[i], json_array_get(ev->scos, i));
}

/* The first SCO of type, or NULL. */
static const json_t *
sco_of(const struct fusion_event *ev, const char *type)
{
    for (size_t i = 0; i < ev->obs.count; i++) {
        const char *t = fusion_stix_str(ev->obs.objects[i], "type");

        if (strcmp(t, type) == 0)
            return ev->obs.objects[i];
    }
    return NULL;
}

/* The SCO a reference names, through the observation's refs. */
static const json_t *
deref(const struct fusion_event *ev, const char *ref)
{
    for (size_t i = 0; ref && i < ev->obs.count; i++) {
        if (ev->obs.refs[i] && strcmp(ev->obs.refs[i], ref) == 0)
            return ev->obs.objects[i];
    }
    return NULL;
}

static const char *
str(const json_t *obj, const char *key)
{
    const char *s = fusion_stix_str(obj, key);

    assert_non_null(s);
    return s;
}

static void
expect_time(const struct fusion_ts *ts, const char *want)
{
    char text[FUSION_TS_MAX];

    fusion_ts_format(ts->ns, 6, text);
    assert_string_equal(text, want);
}

static void
test_event_suricata_dns(void **state)
{
    struct fusion_event *ev;
    const json_t *dn, *nt, *ip;

    (void)state;
    ev = read_ok("{\"timestamp\": \"2023-01-01T12:00:00.123456+0200\", "
                 "\"event_type\": \"dns\", \"src_ip\": \"10.0.0.5\", "
                 "\"src_port\": 5353, \"dest_ip\": \"10.0.0.1\", "
                 "\"dest_port\": 53, \"proto\": \"UDP\", \"dns\": "
                 "{\"type\": \"answer\", \"rrname\": \"evil.example\", "
                 "\"answers\": [{\"rrname\": \"evil.example\", \"rrtype\": "
                 "\"A\", \"rdata\": \"203.0.113.9\"}, {\"rrtype\": \"AAAA\", "
                 "\"rdata\": \"2001:db8::9\"}, {\"rrtype\": \"CNAME\", "
                 "\"rdata\": \"x.example\"}]}}",
                 FUSION_EVENT_AUTO);
    assert_string_equal(ev->format, "suricata");
    assert_string_equal(ev->kind, "dns");
    expect_time(&ev->obs.first, "2023-01-01T10:00:00.123456Z");
    expect_time(&ev->obs.last, "2023-01-01T10:00:00.123456Z");
    dn = sco_of(ev, "domain-name");
    assert_string_equal(str(dn, "value"), "evil.example");
    assert_int_equal(json_array_size(json_object_get(dn, "resolves_to_refs")),
                     2);
    ip = deref(ev, json_string_value(json_array_get(
                       json_object_get(dn, "resolves_to_refs"), 1)));
    assert_string_equal(str(ip, "type"), "ipv6-addr");
    nt = sco_of(ev, "network-traffic");
    assert_string_equal(str(deref(ev, str(nt, "dst_ref")), "value"),
                        "10.0.0.1");
    assert_int_equal(json_integer_value(json_object_get(nt, "dst_port")), 53);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(nt, "protocols"), 0)),
        "udp");
    materialize_ok(ev);
    assert_string_equal(str(deref(ev, str(nt, "dst_ref")), "value"),
                        "10.0.0.1");
    assert_true(fusion_stix_id_is_valid(str(nt, "dst_ref"), "ipv4-addr"));
    assert_string_equal(str(ev->observed_data, "type"), "observed-data");
    assert_int_equal(
        json_array_size(json_object_get(ev->observed_data, "object_refs")),
        ev->obs.count);
    fusion_event_unref(ev);
}

static void
test_event_suricata_http_tls_fileinfo(void **state)
{
    struct fusion_event *ev;
    const json_t *nt, *ext, *cert, *file;

    (void)state;
    ev = read_ok("{\"timestamp\": \"2023-01-01T10:00:00Z\", \"event_type\": "
                 "\"http\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": "
                 "\"198.51.100.1\", \"proto\": \"TCP\", \"http\": "
                 "{\"hostname\": \"www.example\", \"url\": \"/a?b=1\", "
                 "\"http_user_agent\": \"curl/8\", \"http_method\": \"GET\"}}",
                 FUSION_EVENT_SURICATA);
    assert_string_equal(str(sco_of(ev, "url"), "value"),
                        "http://www.example/a?b=1");
    assert_string_equal(str(sco_of(ev, "domain-name"), "value"), "www.example");
    nt = sco_of(ev, "network-traffic");
    ext =
        json_object_get(json_object_get(nt, "extensions"), "http-request-ext");
    assert_string_equal(str(ext, "request_method"), "get");
    assert_string_equal(
        str(json_object_get(ext, "request_header"), "User-Agent"), "curl/8");
    fusion_event_unref(ev);

    ev = read_ok("{\"timestamp\": \"2023-01-01T10:00:00Z\", \"event_type\": "
                 "\"tls\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": "
                 "\"198.51.100.1\", \"tls\": {\"sni\": \"login.example\", "
                 "\"fingerprint\": \"AB:CD:EF:01\", \"ja3\": {\"hash\": "
                 "\"e7d7\"}}}",
                 FUSION_EVENT_AUTO);
    assert_string_equal(ev->kind, "tls");
    cert = sco_of(ev, "x509-certificate");
    assert_string_equal(str(json_object_get(cert, "hashes"), "SHA-1"),
                        "abcdef01");
    assert_string_equal(str(sco_of(ev, "domain-name"), "value"),
                        "login.example");
    fusion_event_unref(ev);

    ev = read_ok("{\"timestamp\": \"2023-01-01T10:00:00Z\", \"event_type\": "
                 "\"fileinfo\", \"fileinfo\": {\"filename\": \"/a.exe\", "
                 "\"md5\": \"aa\", \"sha1\": \"bb\", \"sha256\": \"cc\", "
                 "\"size\": 12}}",
                 FUSION_EVENT_AUTO);
    file = sco_of(ev, "file");
    assert_string_equal(str(file, "name"), "/a.exe");
    assert_string_equal(str(json_object_get(file, "hashes"), "SHA-256"), "cc");
    assert_string_equal(str(json_object_get(file, "hashes"), "MD5"), "aa");
    assert_int_equal(json_integer_value(json_object_get(file, "size")), 12);
    assert_null(sco_of(ev, "network-traffic"));
    fusion_event_unref(ev);
}

static void
test_event_zeek_logs(void **state)
{
    struct fusion_event *ev;
    const json_t *dn;

    (void)state;
    ev = read_ok("{\"ts\": 1672567200.25, \"uid\": \"C1\", \"id.orig_h\": "
                 "\"10.0.0.5\", \"id.orig_p\": 40000, \"id.resp_h\": "
                 "\"10.0.0.1\", \"id.resp_p\": 53, \"proto\": \"udp\", "
                 "\"query\": \"evil.example\", \"answers\": [\"203.0.113.9\", "
                 "\"cname.example\"]}",
                 FUSION_EVENT_AUTO);
    assert_string_equal(ev->format, "zeek");
    assert_string_equal(ev->kind, "dns");
    expect_time(&ev->obs.first, "2023-01-01T10:00:00.250000Z");
    dn = sco_of(ev, "domain-name");
    assert_int_equal(json_array_size(json_object_get(dn, "resolves_to_refs")),
                     1);
    assert_non_null(sco_of(ev, "network-traffic"));
    fusion_event_unref(ev);

    ev = read_ok("{\"ts\": \"2023-01-01T10:00:00Z\", \"uid\": \"C2\", "
                 "\"id.orig_h\": \"10.0.0.5\", \"id.resp_h\": \"10.0.0.1\", "
                 "\"host\": \"www.example\", \"uri\": \"/x\", "
                 "\"user_agent\": \"ua\"}",
                 FUSION_EVENT_ZEEK);
    assert_string_equal(ev->kind, "http");
    assert_string_equal(str(sco_of(ev, "url"), "value"),
                        "http://www.example/x");
    fusion_event_unref(ev);

    ev = read_ok("{\"ts\": 1672567200, \"fuid\": \"F1\", \"md5\": \"aa\", "
                 "\"sha256\": \"cc\", \"mime_type\": \"text/plain\"}",
                 FUSION_EVENT_AUTO);
    assert_string_equal(ev->kind, "files");
    assert_string_equal(str(sco_of(ev, "file"), "mime_type"), "text/plain");
    fusion_event_unref(ev);

    ev = read_ok("{\"ts\": 1672567200, \"uid\": \"C3\", \"id.orig_h\": "
                 "\"10.0.0.5\", \"id.resp_h\": \"10.0.0.1\", "
                 "\"server_name\": \"login.example\"}",
                 FUSION_EVENT_AUTO);
    assert_string_equal(ev->kind, "ssl");
    assert_string_equal(str(sco_of(ev, "domain-name"), "value"),
                        "login.example");
    fusion_event_unref(ev);

    ev = read_ok("{\"ts\": 1672567200, \"uid\": \"C4\", \"id.orig_h\": "
                 "\"10.0.0.5\", \"id.resp_h\": \"2001:db8::1\", "
                 "\"proto\": \"tcp\", \"service\": \"http\"}",
                 FUSION_EVENT_AUTO);
    assert_string_equal(ev->kind, "conn");
    assert_non_null(sco_of(ev, "ipv6-addr"));
    fusion_event_unref(ev);
}

static void
test_event_stix_observed_data(void **state)
{
    struct fusion_event *ev;

    (void)state;
    /* STIX 2.1 in a bundle: object_refs name SCOs of the same line */
    ev = read_ok(
        "{\"type\": \"bundle\", \"id\": "
        "\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\", \"objects\": ["
        "{\"type\": \"observed-data\", \"spec_version\": \"2.1\", \"id\": "
        "\"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf\", "
        "\"created\": \"2016-04-06T19:58:16.000Z\", \"modified\": "
        "\"2016-04-06T19:58:16.000Z\", \"first_observed\": "
        "\"2015-12-21T19:00:00Z\", \"last_observed\": "
        "\"2015-12-21T19:05:00Z\", \"number_observed\": 1, "
        "\"object_refs\": [\"ipv4-addr--ff26c055-6336-5bc5-b98d-"
        "13d6226742dd\"]},"
        "{\"type\": \"ipv4-addr\", \"spec_version\": \"2.1\", \"id\": "
        "\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\", \"value\": "
        "\"198.51.100.3\"},"
        "{\"type\": \"ipv4-addr\", \"spec_version\": \"2.1\", \"id\": "
        "\"ipv4-addr--aa26c055-6336-5bc5-b98d-13d6226742dd\", \"value\": "
        "\"198.51.100.4\"}]}",
        FUSION_EVENT_STIX);
    assert_string_equal(ev->format, "stix");
    assert_int_equal(ev->obs.count, 1);
    assert_string_equal(str(ev->obs.objects[0], "value"), "198.51.100.3");
    expect_time(&ev->obs.first, "2015-12-21T19:00:00.000000Z");
    expect_time(&ev->obs.last, "2015-12-21T19:05:00.000000Z");
    materialize_ok(ev);
    assert_string_equal(str(ev->observed_data, "id"),
                        "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf");
    fusion_event_unref(ev);

    /* STIX 2.0: an objects dictionary keyed "0", "1" */
    ev = read_ok("{\"type\": \"observed-data\", \"id\": "
                 "\"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf\", "
                 "\"created\": \"2016-04-06T19:58:16.000Z\", \"modified\": "
                 "\"2016-04-06T19:58:16.000Z\", \"first_observed\": "
                 "\"2015-12-21T19:00:00Z\", \"last_observed\": "
                 "\"2015-12-21T19:00:00Z\", \"number_observed\": 1, "
                 "\"objects\": {\"0\": {\"type\": \"ipv4-addr\", \"value\": "
                 "\"198.51.100.3\"}, \"1\": {\"type\": \"network-traffic\", "
                 "\"dst_ref\": \"0\", \"protocols\": [\"tcp\"]}}}",
                 FUSION_EVENT_AUTO);
    assert_int_equal(ev->obs.count, 2);
    assert_string_equal(
        str(deref(ev, str(sco_of(ev, "network-traffic"), "dst_ref")), "value"),
        "198.51.100.3");
    fusion_event_unref(ev);
}

static void
test_event_stix_sco_and_bundle(void **state)
{
    struct fusion_event *ev, *again;
    const char *line = "{\"type\": \"domain-name\", \"value\": \"a.example\"}";

    (void)state;
    ev = read_ok(line, FUSION_EVENT_AUTO);
    assert_string_equal(ev->kind, "domain-name");
    assert_int_equal(ev->obs.count, 1);
    assert_null(ev->obs.refs[0]);
    materialize_ok(ev);
    assert_true(fusion_stix_id_is_valid(ev->obs.refs[0], "domain-name"));
    again = read_ok(line, FUSION_EVENT_AUTO);
    materialize_ok(again);
    assert_string_equal(ev->obs.refs[0], again->obs.refs[0]);
    assert_string_equal(str(ev->observed_data, "id"),
                        str(again->observed_data, "id"));
    fusion_event_unref(again);
    fusion_event_unref(ev);

    /* an SCO with references gets its id at once: one may name it */
    ev = read_ok("{\"type\": \"network-traffic\", \"dst_ref\": \"x\", "
                 "\"dst_port\": 1}",
                 FUSION_EVENT_AUTO);
    assert_true(fusion_stix_id_is_valid(ev->obs.refs[0], "network-traffic"));
    fusion_event_unref(ev);

    ev = read_ok("{\"type\": \"bundle\", \"id\": \"bundle--5d0092c5-5f74-4287-"
                 "9642-33f4c354e56d\", \"objects\": [{\"type\": \"url\", "
                 "\"value\": \"http://a/\"}, {\"type\": \"file\", "
                 "\"name\": \"x\"}]}",
                 FUSION_EVENT_AUTO);
    assert_string_equal(ev->kind, "bundle");
    assert_int_equal(ev->obs.count, 2);
    fusion_event_unref(ev);
}

static void
test_event_same_line_same_objects(void **state)
{
    const char *line = "{\"timestamp\": \"2023-01-01T10:00:00Z\", "
                       "\"event_type\": \"flow\", \"src_ip\": \"10.0.0.5\", "
                       "\"dest_ip\": \"10.0.0.1\", \"proto\": \"TCP\"}";
    struct fusion_event *a = read_ok(line, FUSION_EVENT_AUTO);
    struct fusion_event *b = read_ok(line, FUSION_EVENT_AUTO);

    (void)state;
    materialize_ok(a);
    materialize_ok(b);
    materialize_ok(a);
    assert_true(json_equal(a->observed_data, b->observed_data));
    assert_true(json_equal(a->scos, b->scos));
    assert_string_equal(str(a->observed_data, "created"),
                        "2023-01-01T10:00:00.000Z");
    assert_ptr_equal(fusion_event_ref(a), a);
    fusion_event_unref(a);
    fusion_event_unref(a);
    fusion_event_unref(b);
}

/*
 * Before materializing, a reader's SCOs refer to each other by local
 * names; after it, by the ids the SCOs get, which are those of the
 * SCOs as they would be stored.
 */
static void
test_event_materialize_names(void **state)
{
    const char *line =
        "{\"ts\": 1672567200, \"uid\": \"C1\", \"id.orig_h\": "
        "\"10.0.0.5\", \"id.resp_h\": \"10.0.0.1\", \"query\": "
        "\"a.example\", \"answers\": [\"10.0.0.1\", \"10.0.0.7\"], "
        "\"server_name\": \"a.example\"}";
    struct fusion_event *ev = read_ok(line, FUSION_EVENT_ZEEK);
    const json_t *dn = sco_of(ev, "domain-name"), *nt;
    const json_t *refs = json_object_get(dn, "resolves_to_refs");
    char id[FUSION_STIX_ID_MAX];
    size_t domains = 0;

    (void)state;
    /* one domain-name and one 10.0.0.1, as their ids would make them */
    for (size_t i = 0; i < ev->obs.count; i++)
        domains += strcmp(str(ev->obs.objects[i], "type"), "domain-name") == 0;
    assert_int_equal(domains, 1);
    assert_int_equal(ev->obs.count, 5);
    assert_int_equal(json_array_size(refs), 2);
    assert_true(json_string_value(json_array_get(refs, 0))[0] == '@');
    assert_null(json_object_get(dn, "id"));
    nt = sco_of(ev, "network-traffic");
    assert_ptr_equal(deref(ev, str(nt, "dst_ref")),
                     deref(ev, json_string_value(json_array_get(refs, 0))));
    materialize_ok(ev);
    assert_string_equal(str(dn, "spec_version"), "2.1");
    for (size_t i = 0; i < ev->obs.count; i++) {
        assert_int_equal(fusion_stix_sco_id(ev->obs.objects[i], id), FUSION_OK);
        assert_string_equal(ev->obs.refs[i], id);
        assert_string_equal(str(ev->obs.objects[i], "id"), id);
    }
    assert_ptr_equal(deref(ev, str(nt, "dst_ref")),
                     deref(ev, json_string_value(json_array_get(refs, 0))));
    assert_string_equal(
        str(deref(ev, json_string_value(json_array_get(refs, 1))), "value"),
        "10.0.0.7");
    fusion_event_unref(ev);
}

static void
expect_bad(const char *line, enum fusion_event_format fmt, uint64_t offset,
           const char *reason)
{
    struct fusion_event *ev = (struct fusion_event *)1;
    struct fusion_error err;

    assert_int_equal(fusion_event_read(line, strlen(line), fmt, &ev, &err),
                     FUSION_ERR_INVALID);
    assert_null(ev);
    assert_true(err.has_offset);
    if (err.offset != offset || !strstr(err.message, reason))
        fail_msg("'%s': '%s' at %llu, want '%s' at %llu", line, err.message,
                 (unsigned long long)err.offset, reason,
                 (unsigned long long)offset);
}

static void
test_event_bad_lines(void **state)
{
    (void)state;
    expect_bad("{\"type\": }", FUSION_EVENT_AUTO, 10, "byte 10");
    expect_bad("", FUSION_EVENT_AUTO, 0, "byte 0");
    expect_bad("[1, 2]", FUSION_EVENT_AUTO, 0, "not a JSON object");
    expect_bad("{\"a\": 1}", FUSION_EVENT_AUTO, 0, "not a STIX");
    expect_bad("{\"event_type\": \"dns\"}", FUSION_EVENT_AUTO, 0, "timestamp");
    expect_bad("{\"timestamp\": \"2023-01-01T10:00:00Z\", \"event_type\": "
               "\"stats\"}",
               FUSION_EVENT_AUTO, 0, "no observable");
    expect_bad("{\"type\": \"indicator\"}", FUSION_EVENT_AUTO, 0,
               "observed-data, an SCO or a bundle");
    expect_bad("{\"type\": \"bundle\", \"objects\": [{\"type\": "
               "\"observed-data\"}, {\"type\": \"observed-data\"}]}",
               FUSION_EVENT_STIX, 0, "several observed-data");
    expect_bad("{\"ts\": \"yesterday\", \"uid\": \"C1\"}", FUSION_EVENT_ZEEK, 0,
               "ts");
}

static void
test_event_format_names(void **state)
{
    enum fusion_event_format fmt = FUSION_EVENT_AUTO;

    (void)state;
    assert_true(fusion_event_format_parse("zeek", &fmt));
    assert_int_equal(fmt, FUSION_EVENT_ZEEK);
    assert_true(fusion_event_format_parse("suricata", &fmt));
    assert_int_equal(fmt, FUSION_EVENT_SURICATA);
    assert_false(fusion_event_format_parse("Zeek", &fmt));
    assert_false(fusion_event_format_parse(NULL, &fmt));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_suricata_dns),
        cmocka_unit_test(test_event_suricata_http_tls_fileinfo),
        cmocka_unit_test(test_event_zeek_logs),
        cmocka_unit_test(test_event_stix_observed_data),
        cmocka_unit_test(test_event_stix_sco_and_bundle),
        cmocka_unit_test(test_event_same_line_same_objects),
        cmocka_unit_test(test_event_materialize_names),
        cmocka_unit_test(test_event_bad_lines),
        cmocka_unit_test(test_event_format_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
