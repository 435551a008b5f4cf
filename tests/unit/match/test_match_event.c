/* SPDX-License-Identifier: Apache-2.0 */
/* Event readers: STIX, Suricata EVE JSON and Zeek lines as observations. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "match/match.h"

/* Digests of the EICAR test file. */
#define EICAR_MD5  "44d88612fea8a8f36de82e1278abb02f"
#define EICAR_SHA1 "3395856ce81f2b7382dee72602f798b642f14140"
#define EICAR_SHA256 \
    "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"

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
    assert_string_equal(str(ext, "request_value"), "/a?b=1");
    assert_string_equal(
        json_string_value(json_array_get(
            json_object_get(json_object_get(ext, "request_header"),
                            "User-Agent"),
            0)),
        "curl/8");
    fusion_event_unref(ev);

    ev = read_ok(
        "{\"timestamp\": \"2023-01-01T10:00:00Z\", \"event_type\": "
        "\"tls\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": "
        "\"198.51.100.1\", \"tls\": {\"sni\": \"login.example\", "
        "\"fingerprint\": \"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:"
        "89:AB:CD:EF:01\", \"ja3\": {\"hash\": "
        "\"e7d7\"}}}",
        FUSION_EVENT_AUTO);
    assert_string_equal(ev->kind, "tls");
    cert = sco_of(ev, "x509-certificate");
    assert_string_equal(str(json_object_get(cert, "hashes"), "SHA-1"),
                        "abcdef0123456789abcdef0123456789abcdef01");
    assert_string_equal(str(sco_of(ev, "domain-name"), "value"),
                        "login.example");
    fusion_event_unref(ev);

    ev = read_ok("{\"timestamp\": \"2023-01-01T10:00:00Z\", \"event_type\": "
                 "\"fileinfo\", \"fileinfo\": {\"filename\": \"/a.exe\", "
                 "\"md5\": \"" EICAR_MD5 "\", \"sha1\": \"" EICAR_SHA1
                 "\", \"sha256\": \"" EICAR_SHA256 "\", \"size\": 12}}",
                 FUSION_EVENT_AUTO);
    file = sco_of(ev, "file");
    assert_string_equal(str(file, "name"), "a.exe");
    assert_string_equal(str(json_object_get(file, "hashes"), "SHA-256"),
                        EICAR_SHA256);
    assert_string_equal(str(json_object_get(file, "hashes"), "MD5"), EICAR_MD5);
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

    ev = read_ok("{\"ts\": 1672567200, \"fuid\": \"F1\", \"md5\": "
                 "\"" EICAR_MD5 "\", \"sha256\": \"" EICAR_SHA256 "\", "
                 "\"mime_type\": \"text/plain\"}",
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
    /* seen when read: a reading at another time is another observation */
    if (again->obs.first.ns != ev->obs.first.ns)
        assert_string_not_equal(str(ev->observed_data, "id"),
                                str(again->observed_data, "id"));
    else
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
    /* the position is the offset's alone: the caller reports it */
    assert_non_null(strstr(err.message, "invalid event: "));
    assert_null(strstr(err.message, "byte"));
}

static void
test_event_bad_lines(void **state)
{
    (void)state;
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

/*
 * JSON that does not parse: the offset is the 0-based one of the first
 * byte of what jansson stopped at, and the message is jansson's reason.
 */
static void
test_event_bad_json_offsets(void **state)
{
    struct fusion_error err;
    struct fusion_event *ev = NULL;

    (void)state;
    expect_bad("{\"type\": }", FUSION_EVENT_AUTO, 9, "unexpected token");
    expect_bad("", FUSION_EVENT_AUTO, 0, "end of file");
    expect_bad("{this is not json", FUSION_EVENT_AUTO, 1, "near 'this'");
    expect_bad("{\"a\": 1} x", FUSION_EVENT_AUTO, 9, "end of file expected");
    expect_bad("{\"a\": tru}", FUSION_EVENT_AUTO, 6, "invalid token");
    expect_bad("{\"a\": 1, \"a\": 2}", FUSION_EVENT_AUTO, 9, "duplicate");
    expect_bad("{\"ts\": 1,", FUSION_EVENT_ZEEK, 8, "invalid event: ");

    assert_int_equal(
        fusion_event_read("{\"type\": }", 10, FUSION_EVENT_AUTO, &ev, &err),
        FUSION_ERR_INVALID);
    assert_string_equal(err.message,
                        "invalid event: unexpected token near '}'");
    assert_int_equal(fusion_event_read("[]", 2, FUSION_EVENT_AUTO, &ev, &err),
                     FUSION_ERR_INVALID);
    assert_string_equal(err.message, "invalid event: not a JSON object");
    assert_int_equal(err.offset, 0);
}

/* Every object of a materialized event passes the validator ingest uses. */
static void
expect_valid(const json_t *obj, const char *line)
{
    struct fusion_stix_report rep;
    char *text;

    fusion_stix_report_init(&rep);
    assert_int_not_equal(fusion_stix_validate(obj, &rep), FUSION_ERR_NOMEM);
    if (rep.errors > 0) {
        text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
        for (size_t i = 0; i < rep.count; i++)
            print_message("  %s: %s\n", rep.items[i].path,
                          rep.items[i].message);
        fail_msg("'%s' made an invalid object: %s", line, text);
    }
    fusion_stix_report_release(&rep);
}

/* The protocols of the event's network-traffic, comma-separated. */
static void
protocols_of(const struct fusion_event *ev, char *out, size_t size)
{
    const json_t *nt = sco_of(ev, "network-traffic"), *p;
    size_t i, len = 0;

    out[0] = '\0';
    json_array_foreach(json_object_get(nt, "protocols"), i, p)
    {
        int n = snprintf(out + len, size - len, "%s%s", i ? "," : "",
                         json_string_value(p));

        assert_true(n > 0 && (size_t)n < size - len);
        len += (size_t)n;
    }
}

/*
 * A Suricata fileinfo line of an HTTP download as Suricata writes it:
 * the flow in the file's direction, from the server (port 80) to the
 * client; http_port is JSON text ("null" or a number).
 */
#define FILEINFO_DOWNLOAD(http_port)                                          \
    "{\"timestamp\": \"2024-03-01T10:00:00.000000+0000\", \"flow_id\": "      \
    "1234, \"event_type\": \"fileinfo\", \"src_ip\": \"141.211.1.1\", "       \
    "\"src_port\": 80, \"dest_ip\": \"10.0.0.5\", \"dest_port\": 51716, "     \
    "\"proto\": \"TCP\", \"app_proto\": \"http\", \"http\": {\"hostname\": "  \
    "\"www.isr.umich.edu\", \"url\": "                                        \
    "\"/cps/x/Business%20Plan%20Template.pdf\", \"http_port\": " http_port    \
    ", \"http_user_agent\": \"Mozilla/5.0\", \"http_content_type\": "         \
    "\"application/pdf\", \"http_method\": \"GET\", \"protocol\": "           \
    "\"HTTP/1.1\", \"status\": 200, \"length\": 1234}, \"fileinfo\": "        \
    "{\"filename\": \"/cps/x/Business Plan Template.pdf\", \"gaps\": false, " \
    "\"state\": \"CLOSED\", \"sha256\": \"" EICAR_SHA256 "\", \"stored\": "   \
    "false, \"size\": 1234, \"tx_id\": 0}}"

/* A Zeek conn line over ICMP, which puts type and code in the ports. */
#define ZEEK_ICMP(orig, type, resp, code)                               \
    "{\"ts\": 1709287200.5, \"uid\": \"C13\", \"id.orig_h\": \"" orig   \
    "\", \"id.orig_p\": " type ", \"id.resp_h\": \"" resp "\", "        \
    "\"id.resp_p\": " code ", \"proto\": \"icmp\", \"duration\": 1.0, " \
    "\"orig_pkts\": 2, \"resp_pkts\": 2, \"conn_state\": \"OTH\"}"

/*
 * A line of each kind the readers take, with and without ports, proto
 * and service: its objects are all valid STIX 2.1, and its
 * network-traffic has the protocols given ("": none made).
 */
static const struct {
    const char *line;
    const char *protocols;
} every_kind[] = {
    /* Suricata dns: a query, an answer (v2 and grouped), over TCP */
    { "{\"timestamp\": \"2024-03-01T10:00:00.000000+0000\", \"flow_id\": 1, "
      "\"in_iface\": \"eth0\", \"event_type\": \"dns\", \"src_ip\": "
      "\"10.0.0.5\", \"src_port\": 53000, \"dest_ip\": \"10.0.0.1\", "
      "\"dest_port\": 53, \"proto\": \"UDP\", \"dns\": {\"type\": \"query\", "
      "\"id\": 7, \"rrname\": \"evil.example\", \"rrtype\": \"A\", "
      "\"tx_id\": 0}}",
      "udp,dns" },
    { "{\"timestamp\": \"2024-03-01T10:00:00.000000+0000\", \"event_type\": "
      "\"dns\", \"src_ip\": \"10.0.0.1\", \"dest_ip\": \"10.0.0.5\", "
      "\"dns\": {\"version\": 2, \"type\": \"answer\", \"rrname\": "
      "\"evil.example\", \"rrtype\": \"A\", \"rcode\": \"NOERROR\", "
      "\"answers\": [{\"rrname\": \"evil.example\", \"rrtype\": \"A\", "
      "\"ttl\": 60, \"rdata\": \"203.0.113.9\"}, {\"rrname\": "
      "\"evil.example\", \"rrtype\": \"CNAME\", \"rdata\": \"x.example\"}], "
      "\"grouped\": {\"AAAA\": [\"2001:db8::9\"]}}}",
      "udp,dns" },
    { "{\"timestamp\": \"2024-03-01T10:00:00.000000+0000\", \"event_type\": "
      "\"dns\", \"src_ip\": \"10.0.0.5\", \"src_port\": 53001, "
      "\"dest_ip\": \"10.0.0.1\", \"dest_port\": 53, \"proto\": \"TCP\", "
      "\"app_proto\": \"dns\", \"dns\": {\"type\": \"query\", \"rrname\": "
      "\"_ldap._tcp.dc._msdcs.corp.example\", \"rrtype\": \"SRV\"}}",
      "tcp,dns" },
    /* Suricata http: ports, none, IPv6, an odd request target */
    { "{\"timestamp\": \"2024-03-01T10:00:01.000000+0000\", \"event_type\": "
      "\"http\", \"src_ip\": \"10.0.0.5\", \"src_port\": 50001, "
      "\"dest_ip\": \"192.0.2.80\", \"dest_port\": 8080, \"proto\": \"TCP\", "
      "\"app_proto\": \"http\", \"http\": {\"hostname\": \"www.example\", "
      "\"http_port\": 8080, \"url\": \"/a?b=1\", \"http_user_agent\": "
      "\"curl/8.5\", \"http_method\": \"GET\", \"protocol\": \"HTTP/1.1\", "
      "\"status\": 200, \"length\": 12}}",
      "tcp,http" },
    { "{\"timestamp\": \"2024-03-01T10:00:01.000000+0000\", \"event_type\": "
      "\"http\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": \"192.0.2.80\", "
      "\"http\": {\"hostname\": \"www.example\", \"url\": \"/\"}}",
      "tcp,http" },
    { "{\"timestamp\": \"2024-03-01T10:00:01.000000+0000\", \"event_type\": "
      "\"http\", \"src_ip\": \"2001:db8::5\", \"src_port\": 50002, "
      "\"dest_ip\": \"2001:db8::80\", \"dest_port\": 80, \"proto\": "
      "\"TCP\", \"http\": {\"hostname\": \"2001:db8::80\", \"url\": "
      "\"/r?u=http://x.example/ a|b%zz\\u00e9\", \"http_method\": "
      "\"POST\"}}",
      "tcp,http" },
    { "{\"timestamp\": \"2024-03-01T10:00:01.000000+0000\", \"event_type\": "
      "\"http\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": \"192.0.2.3\", "
      "\"dest_port\": 3128, \"proto\": \"TCP\", \"http\": {\"hostname\": "
      "\"bad host_name\", \"url\": \"http://www.example/x\", "
      "\"http_method\": \"GET\"}}",
      "tcp,http" },
    /* Suricata tls: a full certificate, a subject alone, no proto */
    { "{\"timestamp\": \"2024-03-01T10:00:02.000000+0000\", \"event_type\": "
      "\"tls\", \"src_ip\": \"10.0.0.5\", \"src_port\": 50003, "
      "\"dest_ip\": \"198.51.100.1\", \"dest_port\": 443, \"proto\": "
      "\"TCP\", \"tls\": {\"subject\": \"CN=login.example\", \"issuerdn\": "
      "\"C=US, O=Example CA, CN=Example CA R3\", \"serial\": "
      "\"04:1F:52:9C\", \"fingerprint\": \"AB:CD:EF:01:23:45:67:89:AB:CD:"
      "EF:01:23:45:67:89:AB:CD:EF:01\", \"sni\": \"login.example\", "
      "\"version\": \"TLS 1.2\", \"notbefore\": \"2024-01-01T00:00:00\", "
      "\"notafter\": \"2024-04-01T00:00:00\", \"ja3\": {\"hash\": "
      "\"e7d705a3286e19ea42f587b344ee6865\"}, \"ja3s\": {\"hash\": "
      "\"f4febc55ea12b31ae17cfb7e614afda8\"}}}",
      "tcp,tls" },
    { "{\"timestamp\": \"2024-03-01T10:00:02.000000+0000\", \"event_type\": "
      "\"tls\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": \"198.51.100.1\", "
      "\"tls\": {\"subject\": \"CN=login.example\", \"fingerprint\": "
      "\"AB:CD\"}}",
      "tcp,tls" },
    /* Suricata fileinfo: hashes; digests of the wrong length */
    { "{\"timestamp\": \"2024-03-01T10:00:03.000000+0000\", \"event_type\": "
      "\"fileinfo\", \"src_ip\": \"192.0.2.80\", \"src_port\": 80, "
      "\"dest_ip\": \"10.0.0.5\", \"dest_port\": 50001, \"proto\": \"TCP\", "
      "\"app_proto\": \"http\", \"http\": {\"hostname\": \"www.example\", "
      "\"url\": \"/eicar.com\", \"http_method\": \"GET\"}, \"fileinfo\": "
      "{\"filename\": \"/eicar.com\", \"magic\": \"EICAR virus test "
      "files\", \"gaps\": false, \"state\": \"CLOSED\", \"md5\": "
      "\"" EICAR_MD5 "\", \"sha1\": \"" EICAR_SHA1 "\", \"sha256\": "
      "\"" EICAR_SHA256 "\", \"stored\": false, \"size\": 68, "
      "\"tx_id\": 0}}",
      "tcp,http" },
    { "{\"timestamp\": \"2024-03-01T10:00:03.000000+0000\", \"event_type\": "
      "\"fileinfo\", \"src_ip\": \"192.0.2.80\", \"dest_ip\": \"10.0.0.5\", "
      "\"fileinfo\": {\"md5\": \"aa\", \"sha256\": \"cc\", \"size\": 3}}",
      "ipv4" },
    { FILEINFO_DOWNLOAD("null"), "tcp,http" },
    { FILEINFO_DOWNLOAD("8080"), "tcp,http" },
    /* Suricata flow: IPv6 with a zone, IPv4-mapped IPv6 */
    { "{\"timestamp\": \"2024-03-01T10:00:04.000000+0000\", \"event_type\": "
      "\"flow\", \"src_ip\": \"fe80::1%eth0\", \"src_port\": 546, "
      "\"dest_ip\": \"fe80::2%eth0\", \"dest_port\": 547, \"proto\": "
      "\"UDP\"}",
      "udp" },
    { "{\"timestamp\": \"2024-03-01T10:00:04.000000+0000\", \"event_type\": "
      "\"flow\", \"src_ip\": \"::ffff:10.0.0.5\", \"src_port\": 50005, "
      "\"dest_ip\": \"::ffff:192.0.2.1\", \"dest_port\": 443, \"proto\": "
      "\"TCP\"}",
      "tcp" },
    /* Suricata flow: a failed app-layer, none, ICMPv6 */
    { "{\"timestamp\": \"2024-03-01T10:00:04.000000+0000\", \"event_type\": "
      "\"flow\", \"src_ip\": \"10.0.0.5\", \"src_port\": 50004, "
      "\"dest_ip\": \"203.0.113.9\", \"dest_port\": 4444, \"proto\": "
      "\"TCP\", \"app_proto\": \"failed\", \"flow\": {\"pkts_toserver\": 3, "
      "\"bytes_toserver\": 180, \"state\": \"closed\"}}",
      "tcp" },
    { "{\"timestamp\": \"2024-03-01T10:00:04.000000+0000\", \"event_type\": "
      "\"flow\", \"src_ip\": \"2001:db8::5\", \"dest_ip\": \"2001:db8::9\"}",
      "ipv6" },
    { "{\"timestamp\": \"2024-03-01T10:00:04.000000+0000\", \"event_type\": "
      "\"flow\", \"src_ip\": \"2001:db8::5\", \"dest_ip\": \"2001:db8::9\", "
      "\"proto\": \"IPv6-ICMP\", \"icmp_type\": 128, \"icmp_code\": 0}",
      "ipv6-icmp" },
    /* Zeek conn: service, several, none, no proto */
    { "{\"ts\": 1709287200.5, \"uid\": \"CHhAvVGS1DHFjwGM9\", \"id.orig_h\": "
      "\"10.0.0.5\", \"id.orig_p\": 50000, \"id.resp_h\": \"198.51.100.1\", "
      "\"id.resp_p\": 80, \"proto\": \"tcp\", \"service\": \"http\", "
      "\"duration\": 0.5, \"orig_bytes\": 100, \"resp_bytes\": 2000, "
      "\"conn_state\": \"SF\", \"history\": \"ShADadfF\"}",
      "tcp,http" },
    { "{\"ts\": 1709287200.5, \"uid\": \"C2\", \"id.orig_h\": \"10.0.0.5\", "
      "\"id.orig_p\": 50000, \"id.resp_h\": \"198.51.100.1\", "
      "\"id.resp_p\": 443, \"proto\": \"tcp\", \"service\": \"ssl,http\"}",
      "tcp,ssl,http" },
    { "{\"ts\": 1709287200.5, \"uid\": \"C3\", \"id.orig_h\": \"10.0.0.5\", "
      "\"id.orig_p\": 5353, \"id.resp_h\": \"224.0.0.251\", \"id.resp_p\": "
      "5353, \"proto\": \"udp\", \"conn_state\": \"S0\"}",
      "udp" },
    { "{\"ts\": 1709287200.5, \"uid\": \"C4\", \"id.orig_h\": \"10.0.0.5\", "
      "\"id.resp_h\": \"198.51.100.1\"}",
      "ipv4" },
    /* Zeek conn over ICMP: type and code where the ports would be */
    { ZEEK_ICMP("10.0.0.5", "8", "198.51.100.1", "0"), "icmp" },
    { ZEEK_ICMP("2001:db8::5", "128", "2001:db8::9", "0"), "ipv6-icmp" },
    /* Zeek dns: with proto, without */
    { "{\"ts\": 1709287201.25, \"uid\": \"C5\", \"id.orig_h\": \"10.0.0.5\", "
      "\"id.orig_p\": 40000, \"id.resp_h\": \"10.0.0.1\", \"id.resp_p\": 53, "
      "\"proto\": \"udp\", \"trans_id\": 1, \"query\": \"evil.example\", "
      "\"qtype_name\": \"A\", \"rcode_name\": \"NOERROR\", \"answers\": "
      "[\"cname.example\", \"203.0.113.9\"], \"TTLs\": [60.0, 60.0]}",
      "udp,dns" },
    { "{\"_path\": \"dns\", \"ts\": \"2024-03-01T10:00:01.250000Z\", "
      "\"uid\": \"C6\", \"id.orig_h\": \"10.0.0.5\", \"id.resp_h\": "
      "\"10.0.0.1\", \"query\": \"1.0.0.10.in-addr.arpa\"}",
      "udp,dns" },
    /* Zeek http: a port in host, IPv6, no host */
    { "{\"ts\": 1709287202.0, \"uid\": \"C7\", \"id.orig_h\": \"10.0.0.5\", "
      "\"id.orig_p\": 50010, \"id.resp_h\": \"192.0.2.80\", \"id.resp_p\": "
      "8080, \"trans_depth\": 1, \"method\": \"GET\", \"host\": "
      "\"www.example:8080\", \"uri\": \"/x\", \"version\": \"1.1\", "
      "\"user_agent\": \"Mozilla/5.0\", \"status_code\": 200}",
      "tcp,http" },
    { "{\"ts\": 1709287202.0, \"uid\": \"C8\", \"id.orig_h\": "
      "\"2001:db8::5\", \"id.orig_p\": 50011, \"id.resp_h\": "
      "\"2001:db8::80\", \"id.resp_p\": 8443, \"method\": \"GET\", "
      "\"host\": \"[2001:db8::80]:8443\", \"uri\": \"/y\"}",
      "tcp,http" },
    { "{\"_path\": \"http\", \"ts\": 1709287202.0, \"uid\": \"C9\", "
      "\"id.orig_h\": \"10.0.0.5\", \"id.resp_h\": \"192.0.2.80\", "
      "\"method\": \"CONNECT\", \"uri\": \"www.example:443\"}",
      "tcp,http" },
    /* Zeek files: hashes and a name; no addresses */
    { "{\"ts\": 1709287203.0, \"fuid\": \"FhM5Zq1nG4ILTKx4Wf\", \"uid\": "
      "\"C7\", \"id.orig_h\": \"192.0.2.80\", \"id.orig_p\": 8080, "
      "\"id.resp_h\": \"10.0.0.5\", \"id.resp_p\": 50010, \"source\": "
      "\"HTTP\", \"mime_type\": \"application/x-dosexec\", \"filename\": "
      "\"setup.exe\", \"total_bytes\": 68, \"md5\": \"" EICAR_MD5 "\", "
      "\"sha1\": \"" EICAR_SHA1 "\", \"sha256\": \"" EICAR_SHA256 "\"}",
      "ipv4" },
    { "{\"ts\": 1709287203.0, \"fuid\": \"F2\", \"tx_hosts\": "
      "[\"192.0.2.80\"], \"rx_hosts\": [\"10.0.0.5\"], \"source\": "
      "\"SMTP\", \"md5\": \"" EICAR_MD5 "\"}",
      "" },
    /* Zeek ssl: a whole one, one without SNI, one without proto fields */
    { "{\"ts\": 1709287204.0, \"uid\": \"C10\", \"id.orig_h\": "
      "\"10.0.0.5\", \"id.orig_p\": 50012, \"id.resp_h\": "
      "\"198.51.100.1\", \"id.resp_p\": 443, \"version\": \"TLSv12\", "
      "\"cipher\": \"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\", "
      "\"server_name\": \"login.example\", \"established\": true, "
      "\"cert_chain_fps\": [\"" EICAR_SHA256 "\"], \"subject\": "
      "\"CN=login.example,O=Example\", \"issuer\": \"CN=Example CA R3,"
      "O=Example CA,C=US\"}",
      "tcp,ssl" },
    { "{\"_path\": \"ssl\", \"ts\": 1709287204.0, \"uid\": \"C11\", "
      "\"id.orig_h\": \"10.0.0.5\", \"id.resp_h\": \"198.51.100.1\", "
      "\"id.resp_p\": 8443, \"subject\": \"CN=self\", \"issuer\": "
      "\"CN=self\"}",
      "tcp,ssl" },
    { "{\"ts\": 1709287204.0, \"uid\": \"C12\", \"id.orig_h\": "
      "\"10.0.0.5\", \"id.resp_h\": \"198.51.100.1\", \"server_name\": "
      "\"198.51.100.1\"}",
      "tcp,ssl" },
    /* STIX SCOs read without ids */
    { "{\"type\": \"x509-certificate\", \"subject\": \"CN=a\"}", "" },
    { "{\"type\": \"process\", \"pid\": 4}", "" },
};

static void
test_event_every_kind_is_valid_stix(void **state)
{
    char protocols[128];

    (void)state;
    for (size_t i = 0; i < sizeof(every_kind) / sizeof(*every_kind); i++) {
        const char *line = every_kind[i].line;
        struct fusion_event *ev = read_ok(line, FUSION_EVENT_AUTO);

        protocols_of(ev, protocols, sizeof(protocols));
        if (strcmp(protocols, every_kind[i].protocols) != 0)
            fail_msg("'%s': protocols '%s', want '%s'", line, protocols,
                     every_kind[i].protocols);
        materialize_ok(ev);
        expect_valid(ev->observed_data, line);
        for (size_t k = 0; k < json_array_size(ev->scos); k++)
            expect_valid(json_array_get(ev->scos, k), line);
        fusion_event_unref(ev);
    }
}

/*
 * jansson's allocations fail under a countdown of their own, as
 * fusion_alloc_fail_after makes the project's fail.
 */
static long json_countdown = -1;
static bool json_failed;

static void *
countdown_malloc(size_t size)
{
    if (json_countdown == 0) {
        json_failed = true;
        return NULL;
    }
    if (json_countdown > 0)
        json_countdown--;
    return malloc(size);
}

/* The allocations jansson makes to parse line. */
static long
parse_allocations(const char *line)
{
    json_t *root;

    json_countdown = LONG_MAX;
    root = json_loads(line, 0, NULL);
    assert_non_null(root);
    json_decref(root);
    return LONG_MAX - json_countdown;
}

/*
 * Each line read and materialized with its Nth allocation failing, for
 * every N until none fails: FUSION_ERR_NOMEM, no leak, and an event
 * read carries on materializing once memory is back. jansson reports
 * some of its own failures while parsing as bad JSON.
 */
static void
test_event_out_of_memory(void **state)
{
    (void)state;
    json_set_alloc_funcs(countdown_malloc, free);
    for (size_t i = 0; i < sizeof(every_kind) / sizeof(*every_kind); i++) {
        const char *line = every_kind[i].line;
        long parsing = parse_allocations(line);
        bool failed = true;

        for (long n = 0; failed; n++) {
            struct fusion_event *ev = NULL;
            struct fusion_error err;
            enum fusion_err rc;

            json_countdown = n;
            json_failed = false;
            fusion_alloc_fail_after(n);
            rc = fusion_event_read(line, strlen(line), FUSION_EVENT_AUTO, &ev,
                                   &err);
            if (!rc)
                rc = fusion_event_materialize(ev, &err);
            failed = json_failed || fusion_alloc_has_failed();
            json_countdown = -1;
            fusion_alloc_fail_after(-1);
            if (rc == FUSION_ERR_INVALID && n < parsing)
                rc = FUSION_ERR_NOMEM;
            if (rc != (failed ? FUSION_ERR_NOMEM : FUSION_OK))
                fail_msg("'%s' failing after %ld allocations: %s", line, n,
                         rc ? err.message : "no error");
            if (ev)
                assert_int_equal(fusion_event_materialize(ev, &err), FUSION_OK);
            fusion_event_unref(ev);
        }
    }
    json_set_alloc_funcs(malloc, free);
}

/* The url of an HTTP line, and the host SCO it has. */
static void
expect_url(const char *line, const char *url, const char *host_type,
           const char *host)
{
    struct fusion_event *ev = read_ok(line, FUSION_EVENT_AUTO);
    const json_t *sco = sco_of(ev, "url");

    if (!sco || strcmp(str(sco, "value"), url) != 0)
        fail_msg("'%s': url '%s', want '%s'", line,
                 sco ? str(sco, "value") : "(none)", url);
    sco = sco_of(ev, host_type);
    assert_non_null(sco);
    assert_string_equal(str(sco, "value"), host);
    if (strcmp(host_type, "domain-name") != 0)
        assert_null(sco_of(ev, "domain-name"));
    fusion_event_unref(ev);
}

static void
test_event_http_url_ports(void **state)
{
    (void)state;
    /* the server's port, left out when it is 80 */
    expect_url("{\"timestamp\": \"2024-03-01T10:00:00Z\", \"event_type\": "
               "\"http\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": "
               "\"192.0.2.80\", \"dest_port\": 80, \"http\": {\"hostname\": "
               "\"www.example\", \"url\": \"/a\"}}",
               "http://www.example/a", "domain-name", "www.example");
    expect_url("{\"timestamp\": \"2024-03-01T10:00:00Z\", \"event_type\": "
               "\"http\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": "
               "\"192.0.2.80\", \"dest_port\": 8080, \"http\": "
               "{\"hostname\": \"www.example\", \"url\": \"/a\"}}",
               "http://www.example:8080/a", "domain-name", "www.example");
    /* port 443 in an HTTP log is still http */
    expect_url("{\"ts\": 1709287202.0, \"uid\": \"C1\", \"id.orig_h\": "
               "\"10.0.0.5\", \"id.resp_h\": \"192.0.2.80\", \"id.resp_p\": "
               "443, \"method\": \"GET\", \"host\": \"www.example\", "
               "\"uri\": \"/a\"}",
               "http://www.example:443/a", "domain-name", "www.example");
    /* Suricata's http_port is the port the request named */
    expect_url("{\"timestamp\": \"2024-03-01T10:00:00Z\", \"event_type\": "
               "\"http\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": "
               "\"192.0.2.3\", \"dest_port\": 3128, \"http\": {\"hostname\": "
               "\"www.example\", \"http_port\": 8000, \"url\": \"/a\"}}",
               "http://www.example:8000/a", "domain-name", "www.example");
    /* a port in Zeek's host is not added twice */
    expect_url("{\"ts\": 1709287202.0, \"uid\": \"C1\", \"id.orig_h\": "
               "\"10.0.0.5\", \"id.resp_h\": \"192.0.2.80\", \"id.resp_p\": "
               "8080, \"host\": \"www.example:8080\", \"uri\": \"/a\"}",
               "http://www.example:8080/a", "domain-name", "www.example");
    /* IPv6 literals, bracketed or not */
    expect_url("{\"ts\": 1709287202.0, \"uid\": \"C1\", \"id.orig_h\": "
               "\"2001:db8::5\", \"id.resp_h\": \"2001:db8::1\", "
               "\"id.resp_p\": 8443, \"host\": \"[2001:db8::1]:8443\", "
               "\"uri\": \"/a\"}",
               "http://[2001:db8::1]:8443/a", "ipv6-addr", "2001:db8::1");
    expect_url("{\"ts\": 1709287202.0, \"uid\": \"C1\", \"id.orig_h\": "
               "\"2001:db8::5\", \"id.resp_h\": \"2001:db8::1\", "
               "\"id.resp_p\": 80, \"host\": \"[2001:db8::1]\", "
               "\"uri\": \"/a\"}",
               "http://[2001:db8::1]/a", "ipv6-addr", "2001:db8::1");
    expect_url("{\"timestamp\": \"2024-03-01T10:00:00Z\", \"event_type\": "
               "\"http\", \"src_ip\": \"2001:db8::5\", \"dest_ip\": "
               "\"2001:db8::1\", \"dest_port\": 8080, \"http\": "
               "{\"hostname\": \"2001:db8::1\", \"url\": \"/a\"}}",
               "http://[2001:db8::1]:8080/a", "ipv6-addr", "2001:db8::1");
    expect_url("{\"ts\": 1709287202.0, \"uid\": \"C1\", \"id.orig_h\": "
               "\"10.0.0.5\", \"id.resp_h\": \"192.0.2.80\", \"id.resp_p\": "
               "8080, \"host\": \"192.0.2.80:8080\", \"uri\": \"/a\"}",
               "http://192.0.2.80:8080/a", "ipv4-addr", "192.0.2.80");
    /* an absolute target is the URL; a URL in the query is not */
    expect_url("{\"ts\": 1709287202.0, \"uid\": \"C1\", \"id.orig_h\": "
               "\"10.0.0.5\", \"id.resp_h\": \"192.0.2.3\", \"id.resp_p\": "
               "3128, \"host\": \"www.example\", \"uri\": "
               "\"http://www.example:81/a\"}",
               "http://www.example:81/a", "domain-name", "www.example");
    expect_url("{\"ts\": 1709287202.0, \"uid\": \"C1\", \"id.orig_h\": "
               "\"10.0.0.5\", \"id.resp_h\": \"192.0.2.80\", \"id.resp_p\": "
               "80, \"host\": \"www.example\", \"uri\": "
               "\"/r?u=http://x.example/\"}",
               "http://www.example/r?u=http://x.example/", "domain-name",
               "www.example");
    /* bytes a URL cannot carry are %-encoded */
    expect_url("{\"ts\": 1709287202.0, \"uid\": \"C1\", \"id.orig_h\": "
               "\"10.0.0.5\", \"id.resp_h\": \"192.0.2.80\", \"id.resp_p\": "
               "80, \"host\": \"www.example\", \"uri\": "
               "\"/a b|c%zz%41\\u00e9\"}",
               "http://www.example/a%20b%7Cc%25zz%41%C3%A9", "domain-name",
               "www.example");
}

/* The event of line, whose objects are materialized and valid. */
static struct fusion_event *
read_valid(const char *line)
{
    struct fusion_event *ev = read_ok(line, FUSION_EVENT_AUTO);

    materialize_ok(ev);
    expect_valid(ev->observed_data, line);
    for (size_t k = 0; k < json_array_size(ev->scos); k++)
        expect_valid(json_array_get(ev->scos, k), line);
    return ev;
}

static long long
int_at(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/*
 * A fileinfo flow runs the way its file went: for a download, from the
 * server. The URL takes the server's port (or http_port), and the
 * network-traffic keeps the flow as Suricata wrote it.
 */
static void
test_event_fileinfo_download(void **state)
{
    struct fusion_event *ev;
    const json_t *nt, *file;

    (void)state;
    ev = read_valid(FILEINFO_DOWNLOAD("null"));
    assert_string_equal(ev->kind, "fileinfo");
    assert_string_equal(
        str(sco_of(ev, "url"), "value"),
        "http://www.isr.umich.edu/cps/x/Business%20Plan%20Template.pdf");
    assert_string_equal(str(sco_of(ev, "domain-name"), "value"),
                        "www.isr.umich.edu");
    nt = sco_of(ev, "network-traffic");
    assert_string_equal(str(deref(ev, str(nt, "src_ref")), "value"),
                        "141.211.1.1");
    assert_string_equal(str(deref(ev, str(nt, "dst_ref")), "value"),
                        "10.0.0.5");
    assert_int_equal(int_at(nt, "src_port"), 80);
    assert_int_equal(int_at(nt, "dst_port"), 51716);
    file = sco_of(ev, "file");
    assert_string_equal(str(file, "name"), "Business Plan Template.pdf");
    assert_string_equal(str(json_object_get(file, "hashes"), "SHA-256"),
                        EICAR_SHA256);
    assert_int_equal(int_at(file, "size"), 1234);
    fusion_event_unref(ev);

    ev = read_valid(FILEINFO_DOWNLOAD("8080"));
    assert_string_equal(
        str(sco_of(ev, "url"), "value"),
        "http://www.isr.umich.edu:8080/cps/x/Business%20Plan%20Template.pdf");
    nt = sco_of(ev, "network-traffic");
    assert_int_equal(int_at(nt, "src_port"), 80);
    assert_int_equal(int_at(nt, "dst_port"), 51716);
    fusion_event_unref(ev);
}

/* A fileinfo line with the given ports and http members before url. */
#define FILEINFO_PORTS(ports, http)                              \
    "{\"timestamp\": \"2024-03-01T10:00:00Z\", \"event_type\": " \
    "\"fileinfo\", \"src_ip\": \"192.0.2.80\", "                 \
    "\"dest_ip\": \"10.0.0.5\", " ports ", \"proto\": \"TCP\", " \
    "\"app_proto\": \"http\", \"http\": {" http "\"hostname\": " \
    "\"www.example\", \"url\": \"/f\"}, \"fileinfo\": "          \
    "{\"filename\": \"/f\", \"size\": 1}}"

/*
 * Which side of a flow of unknown direction serves: the one with an
 * HTTP port, or else the lower port when the other is 1024 or more;
 * Suricata's direction says it outright. The http event's server is
 * always its destination.
 */
static void
test_event_url_server_side(void **state)
{
    (void)state;
    /* an upload runs to the server */
    expect_url(FILEINFO_PORTS("\"src_port\": 51716, \"dest_port\": 80", ""),
               "http://www.example/f", "domain-name", "www.example");
    expect_url(FILEINFO_PORTS("\"src_port\": 8080, \"dest_port\": 81", ""),
               "http://www.example:8080/f", "domain-name", "www.example");
    expect_url(FILEINFO_PORTS("\"src_port\": 50000, \"dest_port\": 8000", ""),
               "http://www.example:8000/f", "domain-name", "www.example");
    expect_url(FILEINFO_PORTS("\"src_port\": 3128, \"dest_port\": 1025", ""),
               "http://www.example:1025/f", "domain-name", "www.example");
    /* two low ports do not tell, and the URL names none */
    expect_url(FILEINFO_PORTS("\"src_port\": 81, \"dest_port\": 82", ""),
               "http://www.example/f", "domain-name", "www.example");
    expect_url(FILEINFO_PORTS("\"src_port\": 81", ""), "http://www.example/f",
               "domain-name", "www.example");
    /* the port the request named comes first */
    expect_url(FILEINFO_PORTS("\"src_port\": 80, \"dest_port\": 51716",
                              "\"http_port\": 8000, "),
               "http://www.example:8000/f", "domain-name", "www.example");
    /* Suricata 7 alerts give the direction of their packet */
    expect_url("{\"timestamp\": \"2024-03-01T10:00:00Z\", \"event_type\": "
               "\"alert\", \"src_ip\": \"192.0.2.80\", \"src_port\": 9000, "
               "\"dest_ip\": \"10.0.0.5\", \"dest_port\": 1500, "
               "\"direction\": \"to_client\", \"proto\": \"TCP\", "
               "\"app_proto\": \"http\", \"http\": {\"hostname\": "
               "\"www.example\", \"url\": \"/f\"}}",
               "http://www.example:9000/f", "domain-name", "www.example");
    expect_url("{\"timestamp\": \"2024-03-01T10:00:00Z\", \"event_type\": "
               "\"alert\", \"src_ip\": \"10.0.0.5\", \"src_port\": 1500, "
               "\"dest_ip\": \"192.0.2.80\", \"dest_port\": 9000, "
               "\"direction\": \"to_server\", \"proto\": \"TCP\", "
               "\"app_proto\": \"http\", \"http\": {\"hostname\": "
               "\"www.example\", \"url\": \"/f\"}}",
               "http://www.example:9000/f", "domain-name", "www.example");
    /* an http event runs from the client, whatever its ports */
    expect_url("{\"timestamp\": \"2024-03-01T10:00:00Z\", \"event_type\": "
               "\"http\", \"src_ip\": \"10.0.0.5\", \"src_port\": 80, "
               "\"dest_ip\": \"192.0.2.80\", \"dest_port\": 51716, "
               "\"http\": {\"hostname\": \"www.example\", \"url\": \"/f\"}}",
               "http://www.example:51716/f", "domain-name", "www.example");
}

/* The file:name a line gives, or NULL for a file without one. */
static void
expect_file_name(const char *line, const char *name)
{
    struct fusion_event *ev = read_valid(line);
    const json_t *file = sco_of(ev, "file");

    assert_non_null(file);
    if (!name)
        assert_null(json_object_get(file, "name"));
    else if (!json_is_string(json_object_get(file, "name")) ||
             strcmp(str(file, "name"), name) != 0)
        fail_msg("'%s': name '%s', want '%s'", line,
                 fusion_stix_str(file, "name"), name);
    fusion_event_unref(ev);
}

#define SURICATA_FILE(name)                                      \
    "{\"timestamp\": \"2024-03-01T10:00:00Z\", \"event_type\": " \
    "\"fileinfo\", \"fileinfo\": {\"filename\": \"" name         \
    "\", \"md5\": \"" EICAR_MD5 "\"}}"

#define ZEEK_FILE(name)                                                     \
    "{\"ts\": 1709287203.0, \"fuid\": \"F1\", \"filename\": \"" name "\", " \
    "\"md5\": \"" EICAR_MD5 "\"}"

/*
 * file:name is the last segment of a path, without the query, decoded
 * when it decodes to UTF-8 text that is still a name.
 */
static void
test_event_file_names(void **state)
{
    (void)state;
    expect_file_name(SURICATA_FILE("/a/b/setup.exe"), "setup.exe");
    expect_file_name(SURICATA_FILE("/dl.php?f=/x/y.exe"), "dl.php");
    expect_file_name(SURICATA_FILE("/a/caf%C3%A9%20menu.pdf"),
                     "caf\xc3\xa9 menu.pdf");
    expect_file_name(SURICATA_FILE("/a/%FF%FE.bin"), "%FF%FE.bin");
    expect_file_name(SURICATA_FILE("/a/%C0%AF.bin"), "%C0%AF.bin");
    expect_file_name(SURICATA_FILE("/a/b%2Fc"), "b%2Fc");
    expect_file_name(SURICATA_FILE("/a/x%00y"), "x%00y");
    expect_file_name(SURICATA_FILE("/a/100%.txt"), "100%.txt");
    expect_file_name(SURICATA_FILE("/a/dir/"), NULL);
    expect_file_name(SURICATA_FILE("/"), NULL);
    expect_file_name(SURICATA_FILE("100%25.txt"), "100%25.txt");
    expect_file_name(SURICATA_FILE("what?.txt"), "what?.txt");
    expect_file_name(ZEEK_FILE("setup.exe"), "setup.exe");
    expect_file_name(ZEEK_FILE("pub/linux/kernel%2Dv6.tar.xz"),
                     "kernel-v6.tar.xz");
}

/* The value of the address SCO a flow line's src_ip makes. */
static void
expect_src_value(const char *src, const char *type, const char *value)
{
    char line[512];
    struct fusion_event *ev;
    const json_t *ip;

    snprintf(line, sizeof(line),
             "{\"timestamp\": \"2024-03-01T10:00:00Z\", \"event_type\": "
             "\"flow\", \"src_ip\": \"%s\", \"dest_ip\": \"2001:db8::9\"}",
             src);
    ev = read_valid(line);
    ip = deref(ev, fusion_stix_str(sco_of(ev, "network-traffic"), "src_ref"));
    if (!value) {
        assert_null(ip);
    } else {
        assert_non_null(ip);
        assert_string_equal(str(ip, "type"), type);
        assert_string_equal(str(ip, "value"), value);
    }
    fusion_event_unref(ev);
}

/*
 * IPv6 zones are dropped, and IPv4-mapped (or other dotted-tail) IPv6
 * is written in hex groups, the form the validator takes.
 */
static void
test_event_ipv6_forms(void **state)
{
    struct fusion_event *ev;
    const json_t *dn, *ip;

    (void)state;
    expect_src_value("fe80::1%eth0", "ipv6-addr", "fe80::1");
    expect_src_value("fe80::1%25", "ipv6-addr", "fe80::1");
    expect_src_value("fe80::1%", "", NULL);
    expect_src_value("10.0.0.5%eth0", "", NULL);
    expect_src_value("::ffff:192.0.2.1", "ipv6-addr", "::ffff:c000:201");
    expect_src_value("::FFFF:1.2.3.4", "ipv6-addr", "::FFFF:102:304");
    expect_src_value("::ffff:0.0.0.0", "ipv6-addr", "::ffff:0:0");
    expect_src_value("::ffff:255.255.255.255%eth1", "ipv6-addr",
                     "::ffff:ffff:ffff");
    expect_src_value("64:ff9b::203.0.113.9", "ipv6-addr", "64:ff9b::cb00:7109");
    expect_src_value("1:2:3:4:5:6:10.0.0.1", "ipv6-addr", "1:2:3:4:5:6:a00:1");
    expect_src_value("1:2:3:4:5:6:7:10.0.0.1", "", NULL);
    expect_src_value("::ffff:1.2.3", "", NULL);
    expect_src_value("::ffff:01.2.3.4", "", NULL);
    expect_src_value("::ffff:1.2.3.4:5", "", NULL);

    /* a DNS answer and an HTTP host likewise */
    ev = read_valid("{\"ts\": 1709287201.25, \"uid\": \"C5\", \"id.orig_h\": "
                    "\"10.0.0.5\", \"id.resp_h\": \"10.0.0.1\", \"query\": "
                    "\"evil.example\", \"answers\": [\"::ffff:203.0.113.9\", "
                    "\"fe80::9%lo\"]}");
    dn = sco_of(ev, "domain-name");
    ip = deref(ev, json_string_value(json_array_get(
                       json_object_get(dn, "resolves_to_refs"), 0)));
    assert_string_equal(str(ip, "value"), "::ffff:cb00:7109");
    ip = deref(ev, json_string_value(json_array_get(
                       json_object_get(dn, "resolves_to_refs"), 1)));
    assert_string_equal(str(ip, "value"), "fe80::9");
    fusion_event_unref(ev);
}

/* ICMP keeps type and code out of the ports, and has its IANA name. */
static void
test_event_icmp_ports(void **state)
{
    struct fusion_event *ev;
    const json_t *nt;
    char protocols[64];

    (void)state;
    ev = read_valid(ZEEK_ICMP("10.0.0.5", "8", "198.51.100.1", "0"));
    nt = sco_of(ev, "network-traffic");
    assert_null(json_object_get(nt, "src_port"));
    assert_null(json_object_get(nt, "dst_port"));
    protocols_of(ev, protocols, sizeof(protocols));
    assert_string_equal(protocols, "icmp");
    fusion_event_unref(ev);

    ev = read_valid(ZEEK_ICMP("2001:db8::5", "135", "2001:db8::9", "136"));
    nt = sco_of(ev, "network-traffic");
    assert_null(json_object_get(nt, "src_port"));
    assert_null(json_object_get(nt, "dst_port"));
    protocols_of(ev, protocols, sizeof(protocols));
    assert_string_equal(protocols, "ipv6-icmp");
    fusion_event_unref(ev);

    ev = read_valid("{\"timestamp\": \"2024-03-01T10:00:04Z\", "
                    "\"event_type\": \"flow\", \"src_ip\": \"2001:db8::5\", "
                    "\"src_port\": 1, \"dest_ip\": \"2001:db8::9\", "
                    "\"dest_port\": 2, \"proto\": \"icmp6\"}");
    nt = sco_of(ev, "network-traffic");
    assert_null(json_object_get(nt, "src_port"));
    protocols_of(ev, protocols, sizeof(protocols));
    assert_string_equal(protocols, "ipv6-icmp");
    fusion_event_unref(ev);

    /* other transports keep their ports */
    ev = read_valid("{\"ts\": 1709287200.5, \"uid\": \"C3\", \"id.orig_h\": "
                    "\"10.0.0.5\", \"id.orig_p\": 5353, \"id.resp_h\": "
                    "\"224.0.0.251\", \"id.resp_p\": 5353, \"proto\": "
                    "\"udp\"}");
    assert_int_equal(int_at(sco_of(ev, "network-traffic"), "dst_port"), 5353);
    fusion_event_unref(ev);
}

static void
test_event_tls_certificates(void **state)
{
    struct fusion_event *ev;
    const json_t *cert;

    (void)state;
    ev = read_ok("{\"ts\": 1709287204.0, \"uid\": \"C1\", \"id.orig_h\": "
                 "\"10.0.0.5\", \"id.resp_h\": \"198.51.100.1\", "
                 "\"id.resp_p\": 443, \"server_name\": \"login.example\", "
                 "\"subject\": \"CN=login.example,O=Example\", \"issuer\": "
                 "\"CN=Example CA R3,O=Example CA,C=US\"}",
                 FUSION_EVENT_AUTO);
    assert_string_equal(ev->kind, "ssl");
    cert = sco_of(ev, "x509-certificate");
    assert_string_equal(str(cert, "subject"), "CN=login.example,O=Example");
    assert_string_equal(str(cert, "issuer"),
                        "CN=Example CA R3,O=Example CA,C=US");
    assert_null(json_object_get(cert, "hashes"));
    assert_string_equal(str(sco_of(ev, "domain-name"), "value"),
                        "login.example");
    /* without hashes or serial_number, STIX 2.1 wants a UUIDv4 */
    materialize_ok(ev);
    assert_true(fusion_stix_id_is_valid(str(cert, "id"), "x509-certificate"));
    assert_int_equal(str(cert, "id")[sizeof("x509-certificate--") - 1 + 14],
                     '4');
    fusion_event_unref(ev);

    /* without SNI; Zeek's SHA-256 fingerprint is a hash */
    ev = read_ok("{\"ts\": 1709287204.0, \"uid\": \"C2\", \"id.orig_h\": "
                 "\"10.0.0.5\", \"id.resp_h\": \"198.51.100.1\", "
                 "\"version\": \"TLSv13\", \"cipher\": "
                 "\"TLS_AES_128_GCM_SHA256\", \"subject\": \"CN=self\", "
                 "\"cert_chain_fps\": [\"" EICAR_SHA256 "\"]}",
                 FUSION_EVENT_AUTO);
    assert_string_equal(ev->kind, "ssl");
    cert = sco_of(ev, "x509-certificate");
    assert_string_equal(str(cert, "subject"), "CN=self");
    assert_string_equal(str(json_object_get(cert, "hashes"), "SHA-256"),
                        EICAR_SHA256);
    assert_null(sco_of(ev, "domain-name"));
    fusion_event_unref(ev);

    /* the subject of an smtp line is that of a message */
    ev = read_ok("{\"ts\": 1709287205.0, \"uid\": \"C3\", \"id.orig_h\": "
                 "\"10.0.0.5\", \"id.resp_h\": \"192.0.2.25\", "
                 "\"id.resp_p\": 25, \"trans_depth\": 1, \"helo\": "
                 "\"mail.example\", \"mailfrom\": \"a@mail.example\", "
                 "\"subject\": \"Invoice\"}",
                 FUSION_EVENT_AUTO);
    assert_string_equal(ev->kind, "conn");
    assert_null(sco_of(ev, "x509-certificate"));
    fusion_event_unref(ev);

    ev = read_ok("{\"timestamp\": \"2024-03-01T10:00:02Z\", \"event_type\": "
                 "\"tls\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": "
                 "\"198.51.100.1\", \"tls\": {\"subject\": "
                 "\"CN=login.example\", \"issuerdn\": \"CN=Example CA R3\", "
                 "\"serial\": \"04:1F\", \"sni\": \"login.example\"}}",
                 FUSION_EVENT_AUTO);
    cert = sco_of(ev, "x509-certificate");
    assert_string_equal(str(cert, "subject"), "CN=login.example");
    assert_string_equal(str(cert, "issuer"), "CN=Example CA R3");
    assert_string_equal(str(cert, "serial_number"), "04:1F");
    assert_string_equal(str(sco_of(ev, "domain-name"), "value"),
                        "login.example");
    fusion_event_unref(ev);
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
        cmocka_unit_test(test_event_bad_json_offsets),
        cmocka_unit_test(test_event_every_kind_is_valid_stix),
        cmocka_unit_test(test_event_out_of_memory),
        cmocka_unit_test(test_event_http_url_ports),
        cmocka_unit_test(test_event_fileinfo_download),
        cmocka_unit_test(test_event_url_server_side),
        cmocka_unit_test(test_event_file_names),
        cmocka_unit_test(test_event_ipv6_forms),
        cmocka_unit_test(test_event_icmp_ports),
        cmocka_unit_test(test_event_tls_certificates),
        cmocka_unit_test(test_event_format_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
