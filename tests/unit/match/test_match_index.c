/* SPDX-License-Identifier: Apache-2.0 */
/* The indicator index: simple and complex patterns, versions, follow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "match/match.h"
#include "unit/store/store_fixture.h"

#define ID_A "indicator--00000000-0000-4000-8000-00000000000a"
#define ID_B "indicator--00000000-0000-4000-8000-00000000000b"
#define ID_C "indicator--00000000-0000-4000-8000-00000000000c"
#define ID_D "indicator--00000000-0000-4000-8000-00000000000d"
#define ID_E "indicator--00000000-0000-4000-8000-00000000000e"
#define ID_F "indicator--00000000-0000-4000-8000-00000000000f"

/* 2023-01-01T10:00:00Z, the time of the test events */
#define T0  INT64_C(1672567200000000000)
#define SEC INT64_C(1000000000)

struct hits {
    char text[2048]; /* "id/nevents;" for each hit */
    int n;
};

static int
on_hit(void *ctx, const struct fusion_match_hit *hit)
{
    struct hits *h = ctx;
    size_t len = strlen(h->text);

    snprintf(h->text + len, sizeof(h->text) - len, "%s/%zu;",
             hit->indicator_id + strlen("indicator--00000000-0000-4000-8000-"),
             hit->nevents);
    h->n++;
    return 0;
}

static void
put_ok(struct fusion_match_index *idx, const char *id, int64_t version,
       const char *pattern)
{
    struct fusion_error err;

    if (fusion_match_index_put(idx, id, version, pattern, strlen(pattern), 0, 0,
                               &err))
        fail_msg("'%s': %s", pattern, err.message);
}

static struct fusion_event *
event(const char *line)
{
    struct fusion_event *ev;
    struct fusion_error err;

    if (fusion_event_read(line, strlen(line), FUSION_EVENT_AUTO, &ev, &err))
        fail_msg("'%s': %s", line, err.message);
    return ev;
}

/* A Suricata event at T0 + secs. */
static struct fusion_event *
dns_event(const char *name, const char *answer, int secs)
{
    char line[512];

    snprintf(line, sizeof(line),
             "{\"timestamp\": \"2023-01-01T10:%02d:%02dZ\", \"event_type\": "
             "\"dns\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": \"10.0.0.1\", "
             "\"dns\": {\"rrname\": \"%s\", \"answers\": [{\"rrtype\": \"A\", "
             "\"rdata\": \"%s\"}]}}",
             secs / 60, secs % 60, name, answer);
    return event(line);
}

static const char *
match(struct fusion_match_index *idx, struct fusion_event *ev, struct hits *h)
{
    memset(h, 0, sizeof(*h));
    assert_int_equal(fusion_match_index_match(idx, ev, on_hit, h, NULL),
                     FUSION_OK);
    return h->text;
}

static void
expect_hits(struct fusion_match_index *idx, const char *line, const char *want)
{
    struct fusion_event *ev = event(line);
    struct hits h;

    if (strcmp(match(idx, ev, &h), want) != 0)
        fail_msg("'%s': hits '%s', want '%s'", line, h.text, want);
    fusion_event_unref(ev);
}

static void
test_index_simple_hits(void **state)
{
    struct fusion_match_index *idx;
    struct fusion_match_stats st;

    (void)state;
    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    put_ok(idx, ID_A, 1, "[ipv4-addr:value = '203.0.113.9']");
    put_ok(idx, ID_B, 1,
           "[domain-name:value = 'evil.example' OR url:value = 'http://x/']");
    put_ok(
        idx, ID_C, 1,
        "[file:hashes.'SHA-256' = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f']");
    fusion_match_index_stats(idx, &st);
    assert_int_equal(st.indicators, 3);
    assert_int_equal(st.simple, 3);
    assert_int_equal(st.keys, 4);

    expect_hits(idx, "{\"type\": \"ipv4-addr\", \"value\": \"203.0.113.9\"}",
                "00000000000a/1;");
    expect_hits(idx, "{\"type\": \"ipv4-addr\", \"value\": \"203.0.113.8\"}",
                "");
    expect_hits(idx, "{\"type\": \"url\", \"value\": \"http://x/\"}",
                "00000000000b/1;");
    expect_hits(idx, "{\"type\": \"url\", \"value\": \"http://x\"}", "");
    /* the value of another type does not hit */
    expect_hits(idx, "{\"type\": \"url\", \"value\": \"evil.example\"}", "");
    expect_hits(
        idx,
        "{\"timestamp\": \"2023-01-01T10:00:00Z\", \"event_type\": "
        "\"fileinfo\", \"fileinfo\": {\"filename\": \"a\", "
        "\"sha256\": \"275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f\"}}",
        "00000000000c/1;");
    /* a hash name spelled otherwise names the same key */
    put_ok(
        idx, ID_D, 1,
        "[file:hashes.sha256 = '00000000000000000000000000000000000000000000000000000000000000dd']");
    expect_hits(
        idx,
        "{\"type\": \"file\", \"hashes\": {\"SHA-256\": "
        "\"00000000000000000000000000000000000000000000000000000000000000DD\"}}",
        "00000000000d/1;");
    expect_hits(
        idx,
        "{\"type\": \"file\", \"hashes\": {\"sha256\": "
        "\"00000000000000000000000000000000000000000000000000000000000000dd\"}}",
        "00000000000d/1;");
    put_ok(idx, ID_E, 1, "[x509-certificate:serial_number = 'ab:cd']");
    expect_hits(idx,
                "{\"type\": \"x509-certificate\", \"serial_number\": "
                "\"AB:CD\"}",
                "00000000000e/1;");
    /* a digest in capitals is the same digest */
    expect_hits(
        idx,
        "{\"type\": \"file\", \"hashes\": {\"SHA-256\": "
        "\"275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F\"}}",
        "00000000000c/1;");
    /* one event hitting two indicators, each reported once */
    expect_hits(idx,
                "{\"timestamp\": \"2023-01-01T10:00:00Z\", \"event_type\": "
                "\"dns\", \"dns\": {\"rrname\": \"evil.example\", "
                "\"answers\": [{\"rrtype\": \"A\", \"rdata\": "
                "\"203.0.113.9\"}]}}",
                "00000000000a/1;00000000000b/1;");
    fusion_match_index_free(idx);
}

static void
test_index_replace_and_remove(void **state)
{
    struct fusion_match_index *idx;
    struct fusion_match_stats st;
    const char *a = "{\"type\": \"domain-name\", \"value\": \"a.example\"}";
    const char *b = "{\"type\": \"domain-name\", \"value\": \"b.example\"}";

    (void)state;
    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    put_ok(idx, ID_A, 10, "[domain-name:value = 'a.example']");
    put_ok(idx, ID_B, 10, "[domain-name:value = 'a.example']");
    expect_hits(idx, a, "00000000000a/1;00000000000b/1;");

    /* a new version replaces the old one's terms */
    put_ok(idx, ID_A, 20, "[domain-name:value = 'b.example']");
    expect_hits(idx, a, "00000000000b/1;");
    expect_hits(idx, b, "00000000000a/1;");
    /* an older version arriving late changes nothing */
    put_ok(idx, ID_A, 15, "[domain-name:value = 'a.example']");
    expect_hits(idx, a, "00000000000b/1;");

    fusion_match_index_remove(idx, ID_B);
    fusion_match_index_remove(idx, ID_C);
    expect_hits(idx, a, "");
    fusion_match_index_stats(idx, &st);
    assert_int_equal(st.indicators, 1);
    fusion_match_index_free(idx);
}

static void
test_index_invalid_pattern_leaves(void **state)
{
    struct fusion_match_index *idx;
    struct fusion_error err;
    const char *bad = "[domain-name:value = 'a.example'";
    const char *line = "{\"type\": \"domain-name\", \"value\": \"a.example\"}";

    (void)state;
    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    put_ok(idx, ID_A, 1, "[domain-name:value = 'a.example']");
    assert_int_equal(
        fusion_match_index_put(idx, ID_A, 2, bad, strlen(bad), 0, 0, &err),
        FUSION_ERR_INVALID);
    assert_true(err.has_offset);
    expect_hits(idx, line, "");
    fusion_match_index_free(idx);
}

static void
test_index_validity_window(void **state)
{
    struct fusion_match_index *idx;
    const char *p = "[domain-name:value = 'a.example']";
    const char *line = "{\"timestamp\": \"2023-01-01T10:00:00Z\", "
                       "\"event_type\": \"dns\", \"dns\": {\"rrname\": "
                       "\"a.example\"}}";

    (void)state;
    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    /* expired a second before the event; valid_until is exclusive */
    assert_int_equal(
        fusion_match_index_put(idx, ID_A, 1, p, strlen(p), 0, T0 - SEC, NULL),
        FUSION_OK);
    assert_int_equal(
        fusion_match_index_put(idx, ID_B, 1, p, strlen(p), 0, T0, NULL),
        FUSION_OK);
    /* not valid yet */
    assert_int_equal(
        fusion_match_index_put(idx, ID_C, 1, p, strlen(p), T0 + SEC, 0, NULL),
        FUSION_OK);
    expect_hits(idx, line, "");
    assert_int_equal(
        fusion_match_index_put(idx, ID_C, 2, p, strlen(p), T0, T0 + SEC, NULL),
        FUSION_OK);
    expect_hits(idx, line, "00000000000c/1;");
    fusion_match_index_free(idx);
}

static void
test_index_complex_single(void **state)
{
    struct fusion_match_index *idx;
    struct fusion_match_stats st;

    (void)state;
    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    put_ok(idx, ID_A, 1, "[ipv4-addr:value ISSUBSET '198.51.100.0/24']");
    put_ok(idx, ID_B, 1,
           "[url:value LIKE 'http://%.example/%' OR "
           "domain-name:value MATCHES '^bad[0-9]+\\\\.']");
    put_ok(idx, ID_C, 1,
           "[network-traffic:dst_ref.value = '10.0.0.1' AND "
           "network-traffic:dst_port = 443]");
    fusion_match_index_stats(idx, &st);
    assert_int_equal(st.complex, 2);
    assert_int_equal(st.scanned, 1);
    assert_int_equal(st.prefixes, 1);

    expect_hits(idx, "{\"type\": \"ipv4-addr\", \"value\": \"198.51.100.7\"}",
                "00000000000a/1;");
    expect_hits(idx,
                "{\"type\": \"ipv4-addr\", \"value\": \"198.51.100.0/25\"}",
                "00000000000a/1;");
    expect_hits(idx, "{\"type\": \"ipv4-addr\", \"value\": \"198.51.101.7\"}",
                "");
    expect_hits(idx, "{\"type\": \"url\", \"value\": \"http://a.example/x\"}",
                "00000000000b/1;");
    expect_hits(idx, "{\"type\": \"url\", \"value\": \"https://a.example/x\"}",
                "");
    expect_hits(idx,
                "{\"type\": \"domain-name\", \"value\": \"bad12.example\"}",
                "00000000000b/1;");
    expect_hits(idx, "{\"type\": \"domain-name\", \"value\": \"bad.example\"}",
                "");
    expect_hits(idx,
                "{\"timestamp\": \"2023-01-01T10:00:00Z\", \"event_type\": "
                "\"flow\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": "
                "\"10.0.0.1\", \"dest_port\": 443, \"proto\": \"TCP\"}",
                "00000000000c/1;");
    expect_hits(idx,
                "{\"timestamp\": \"2023-01-01T10:00:00Z\", \"event_type\": "
                "\"flow\", \"src_ip\": \"10.0.0.5\", \"dest_ip\": "
                "\"10.0.0.1\", \"dest_port\": 80, \"proto\": \"TCP\"}",
                "");
    fusion_match_index_free(idx);
}

/* Patterns without index terms, found by the literal text they need. */
static void
test_index_needles(void **state)
{
    struct fusion_match_index *idx;
    struct fusion_match_stats st;

    (void)state;
    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    put_ok(idx, ID_A, 1, "[url:value LIKE '%/download.php?id=%']");
    put_ok(idx, ID_B, 1,
           "[domain-name:value MATCHES '^x[0-9]+\\\\.evil\\\\.example$']");
    put_ok(idx, ID_C, 1, "[domain-name:value MATCHES '(?i)^EVIL']");
    fusion_match_index_stats(idx, &st);
    assert_int_equal(st.complex, 2);
    assert_int_equal(st.scanned, 1);

    expect_hits(idx,
                "{\"type\": \"url\", \"value\": "
                "\"http://a/download.php?id=3\"}",
                "00000000000a/1;");
    expect_hits(idx, "{\"type\": \"url\", \"value\": \"http://a/upload.php\"}",
                "");
    /* a value beyond ASCII is tried against every needled pattern */
    expect_hits(idx,
                "{\"type\": \"url\", \"value\": "
                "\"http://\u00e4/download.php?id=1\"}",
                "00000000000a/1;");
    expect_hits(idx,
                "{\"type\": \"domain-name\", \"value\": "
                "\"x12.evil.example\"}",
                "00000000000b/1;");
    expect_hits(idx,
                "{\"type\": \"domain-name\", \"value\": "
                "\"x12.evil.example.org\"}",
                "");
    expect_hits(idx,
                "{\"type\": \"domain-name\", \"value\": "
                "\"evil.example\"}",
                "00000000000c/1;");
    fusion_match_index_free(idx);
}

static void
test_index_followedby_two_events(void **state)
{
    struct fusion_match_index *idx;
    struct fusion_event *e1, *e2, *e3, *e4;
    struct hits h;

    (void)state;
    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    put_ok(idx, ID_A, 1,
           "([domain-name:value = 'first.example'] FOLLOWEDBY "
           "[ipv4-addr:value = '203.0.113.50']) WITHIN 60 SECONDS");

    e1 = dns_event("first.example", "192.0.2.1", 0);
    e2 = dns_event("other.example", "203.0.113.50", 30);
    e3 = dns_event("other.example", "203.0.113.50", 200);
    e4 = dns_event("first.example", "192.0.2.1", 220);
    /* the second half alone, before the first: no match */
    assert_string_equal(match(idx, e3, &h), "");
    assert_string_equal(match(idx, e1, &h), "");
    assert_string_equal(match(idx, e2, &h), "00000000000a/2;");
    /* out of the window, and out of order */
    assert_string_equal(match(idx, e4, &h), "");
    fusion_event_unref(e1);
    fusion_event_unref(e2);
    fusion_event_unref(e3);
    fusion_event_unref(e4);
    fusion_match_index_free(idx);
}

static int
stop_hit(void *ctx, const struct fusion_match_hit *hit)
{
    (void)hit;
    (*(int *)ctx)++;
    return 7;
}

static void
test_index_callback_stops(void **state)
{
    struct fusion_match_index *idx;
    struct fusion_event *ev;
    int calls = 0;

    (void)state;
    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    put_ok(idx, ID_A, 1, "[domain-name:value = 'a.example']");
    put_ok(idx, ID_B, 1, "[domain-name:value = 'a.example']");
    ev = event("{\"type\": \"domain-name\", \"value\": \"a.example\"}");
    assert_int_equal(fusion_match_index_match(idx, ev, stop_hit, &calls, NULL),
                     7);
    assert_int_equal(calls, 1);
    fusion_event_unref(ev);
    fusion_match_index_free(idx);
}

/*
 * Following a store.
 */
static void
store_indicator(struct fixture *f, const char *id, const char *modified,
                const char *pattern, bool revoked)
{
    static const struct fusion_store_source src = { .kind = "test",
                                                    .name = "match" };
    enum fusion_store_put_result res;
    struct fusion_ts ts;
    char json[1024];
    struct fusion_store_object o = {
        .id = id,
        .type = "indicator",
        .spec_version = "2.1",
        .revoked = revoked,
        .json = json,
    };

    snprintf(json, sizeof(json),
             "{\"created\":\"2023-01-01T00:00:00.000Z\",\"id\":\"%s\","
             "\"modified\":\"%s\",\"pattern\":\"%s\",\"pattern_type\":"
             "\"stix\",\"revoked\":%s,\"spec_version\":\"2.1\",\"type\":"
             "\"indicator\",\"valid_from\":\"2023-01-01T00:00:00Z\"}",
             id, modified, pattern, revoked ? "true" : "false");
    o.json_len = strlen(json);
    assert_int_equal(fusion_ts_parse(modified, strlen(modified), &ts, NULL),
                     FUSION_OK);
    o.version = ts.ns;
    assert_int_equal(fusion_store_begin(f->store, &src, NULL), FUSION_OK);
    assert_int_equal(fusion_store_put(f->store, &o, &res, NULL), FUSION_OK);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
}

static void
on_reject(void *ctx, const char *id, const struct fusion_error *err)
{
    (void)err;
    snprintf(ctx, 128, "%s", id);
}

static void
test_index_follow_store(void **state)
{
    const char *line = "{\"timestamp\": \"2023-01-01T10:00:00Z\", "
                       "\"event_type\": \"dns\", \"dns\": {\"rrname\": "
                       "\"a.example\"}}";
    struct fusion_match_index *idx;
    struct fusion_match_stats st;
    struct fixture *f = fixture_open();
    char rejected[128] = "";
    int64_t since = 0, first;

    (void)state;
    assert_non_null(f);
    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    store_indicator(f, ID_A, "2023-01-01T00:00:00.000Z",
                    "[domain-name:value = 'a.example']", false);
    store_indicator(f, ID_B, "2023-01-01T00:00:00.000Z",
                    "[domain-name:value = 'a.example']", false);
    store_indicator(f, ID_C, "2023-01-01T00:00:00.000Z",
                    "[domain-name:value = ", false);
    assert_int_equal(fusion_match_index_follow(idx, f->store, &since, on_reject,
                                               rejected, NULL),
                     FUSION_OK);
    assert_true(since > 0);
    assert_string_equal(rejected, ID_C);
    expect_hits(idx, line, "00000000000a/1;00000000000b/1;");

    /* only what was added since is read again */
    first = since;
    store_indicator(f, ID_B, "2023-01-02T00:00:00.000Z",
                    "[domain-name:value = 'a.example']", true);
    rejected[0] = '\0';
    assert_int_equal(fusion_match_index_follow(idx, f->store, &since, on_reject,
                                               rejected, NULL),
                     FUSION_OK);
    assert_true(since > first);
    assert_string_equal(rejected, "");
    expect_hits(idx, line, "00000000000a/1;");
    fusion_match_index_stats(idx, &st);
    assert_int_equal(st.indicators, 1);

    fusion_match_index_free(idx);
    fixture_close(f);
}

/* A stored indicator given as its whole JSON text. */
static void
store_json(struct fixture *f, const char *id, bool revoked, const char *json)
{
    static const struct fusion_store_source src = { .kind = "test",
                                                    .name = "match" };
    enum fusion_store_put_result res;
    struct fusion_store_object o = {
        .id = id,
        .type = "indicator",
        .spec_version = "2.1",
        .version = T0,
        .revoked = revoked,
        .json = json,
        .json_len = strlen(json),
    };

    assert_int_equal(fusion_store_begin(f->store, &src, NULL), FUSION_OK);
    assert_int_equal(fusion_store_put(f->store, &o, &res, NULL), FUSION_OK);
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
}

static void
count_reject(void *ctx, const char *id, const struct fusion_error *err)
{
    char *text = ctx;
    size_t len = strlen(text);

    snprintf(text + len, 512 - len, "%s:%s;",
             id + strlen("indicator--00000000-0000-4000-8000-"), err->message);
}

/* Members read from the stored text: escapes, types, revocation, times. */
static void
test_index_follow_stored_members(void **state)
{
    static const struct {
        const char *id;
        const char *members;
    } rows[] = {
        { ID_A, "\"pattern\":\"[file:name = 'ab\\u0021']\"" },
        { ID_B, "\"pattern\":\"[file:name = 'ab!']\","
                "\"pattern_type\":\"sigma\"" },
        { ID_C, "\"pattern\":\"[file:name = 'ab!']\",\"revoked\":true" },
        { ID_D, "\"pattern\":\"[file:name = 'ab!']\",\"valid_from\":5" },
        { ID_E, "\"pattern_type\":\"stix\"" },
        { ID_F, "\"pattern\":\"[file:name = 'ab!']\",\"revoked\":false,"
                "\"valid_until\":\"2999-01-01T10:00:01Z\"" },
    };
    struct fixture *f = fixture_open();
    struct fusion_match_index *idx;
    char json[512], rejected[512] = "";
    int64_t since = 0;

    (void)state;
    assert_non_null(f);
    for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
        snprintf(json, sizeof(json),
                 "{%s,\"id\":\"%s\",\"type\":\"indicator\"}", rows[i].members,
                 rows[i].id);
        store_json(f, rows[i].id, false, json);
    }
    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    assert_int_equal(fusion_match_index_follow(idx, f->store, &since,
                                               count_reject, rejected, NULL),
                     FUSION_OK);
    assert_non_null(strstr(rejected, "00000000000d:valid_from is not a"));
    assert_non_null(strstr(rejected, "00000000000e:indicator without pattern"));
    expect_hits(idx, "{\"type\": \"file\", \"name\": \"ab!\"}",
                "00000000000a/1;00000000000f/1;");
    fusion_match_index_free(idx);
    fixture_close(f);
}

/* A pattern on ids sees the ids the event's SCOs get when stored. */
static void
test_index_pattern_on_ids(void **state)
{
    const char *line = "{\"timestamp\": \"2023-01-01T10:00:00Z\", "
                       "\"event_type\": \"flow\", \"src_ip\": \"10.0.0.5\", "
                       "\"dest_ip\": \"10.0.0.1\", \"proto\": \"TCP\"}";
    struct fusion_event *ev = event(line);
    struct fusion_match_index *idx;
    char pattern[FUSION_STIX_ID_MAX + 64], dst[FUSION_STIX_ID_MAX];
    const char *nt_dst = NULL;
    struct hits h;

    (void)state;
    assert_int_equal(fusion_event_materialize(ev, NULL), FUSION_OK);
    for (size_t i = 0; i < ev->obs.count; i++) {
        if (!nt_dst)
            nt_dst = fusion_stix_str(ev->obs.objects[i], "dst_ref");
    }
    assert_non_null(nt_dst);
    snprintf(dst, sizeof(dst), "%s", nt_dst);
    fusion_event_unref(ev);

    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    snprintf(pattern, sizeof(pattern), "[network-traffic:dst_ref = '%s']", dst);
    put_ok(idx, ID_A, 1, pattern);
    snprintf(pattern, sizeof(pattern), "[ipv4-addr:id = '%s']", dst);
    put_ok(idx, ID_B, 1, pattern);
    ev = event(line);
    assert_string_equal(match(idx, ev, &h), "00000000000b/1;00000000000a/1;");
    assert_non_null(ev->observed_data);
    fusion_event_unref(ev);
    fusion_match_index_free(idx);
}

/* The same line read again replaces its earlier reading in a ring. */
static void
test_index_ring_same_line(void **state)
{
    struct fusion_match_index *idx;
    struct fusion_event *a1, *a2, *b;
    struct hits h;

    (void)state;
    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    put_ok(idx, ID_A, 1,
           "[domain-name:value = 'r.example'] REPEATS 2 TIMES WITHIN 600 "
           "SECONDS");
    a1 = dns_event("r.example", "192.0.2.1", 0);
    a2 = dns_event("r.example", "192.0.2.1", 0);
    b = dns_event("r.example", "192.0.2.1", 10);
    assert_string_equal(match(idx, a1, &h), "");
    assert_string_equal(match(idx, a2, &h), "");
    assert_string_equal(match(idx, b, &h), "00000000000a/2;");
    assert_null(a1->observed_data);
    fusion_event_unref(a1);
    fusion_event_unref(a2);
    fusion_event_unref(b);
    fusion_match_index_free(idx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_simple_hits),
        cmocka_unit_test(test_index_replace_and_remove),
        cmocka_unit_test(test_index_invalid_pattern_leaves),
        cmocka_unit_test(test_index_validity_window),
        cmocka_unit_test(test_index_complex_single),
        cmocka_unit_test(test_index_needles),
        cmocka_unit_test(test_index_followedby_two_events),
        cmocka_unit_test(test_index_callback_stops),
        cmocka_unit_test(test_index_follow_store),
        cmocka_unit_test(test_index_follow_stored_members),
        cmocka_unit_test(test_index_pattern_on_ids),
        cmocka_unit_test(test_index_ring_same_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
