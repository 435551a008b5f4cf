/* SPDX-License-Identifier: Apache-2.0 */
/* Evaluation: the spec's cases E1 to E15, each operator and qualifier. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "pattern/pattern.h"

#define T0 "2024-01-01T00:00:00Z"

/* An observation built from JSON text, with the storage behind it. */
struct tobs {
    json_t *root;
    const json_t *objects[16];
    const char *refs[16];
    struct fusion_observation obs;
};

static struct fusion_ts
ts_of(const char *text)
{
    struct fusion_ts ts;
    struct fusion_error err;

    if (fusion_ts_parse(text, strlen(text), &ts, &err) != FUSION_OK)
        fail_msg("bad test timestamp '%s': %s", text, err.message);
    return ts;
}

static void
tobs_add(struct tobs *t, const json_t *sco, const char *ref)
{
    assert_true(t->obs.count < 16);
    t->objects[t->obs.count] = sco;
    t->refs[t->obs.count] = ref;
    t->obs.count++;
}

/*
 * json is a STIX 2.0 style {"objects": {"0": ..., "1": ...}} (the keys
 * name the SCOs), a list of STIX 2.1 SCOs (their ids name them), or one
 * SCO. first and last default to T0.
 */
static void
tobs_load(struct tobs *t, const char *json, const char *first, const char *last)
{
    json_error_t jerr;
    const json_t *objs;
    const char *key;
    json_t *v;
    size_t i;

    memset(t, 0, sizeof(*t));
    t->root = json_loads(json, 0, &jerr);
    if (!t->root)
        fail_msg("bad test JSON: %s", jerr.text);
    objs = json_object_get(t->root, "objects");
    if (json_is_object(objs)) {
        json_object_foreach((json_t *)objs, key, v)
        {
            tobs_add(t, v, key);
        }
    } else if (json_is_array(t->root)) {
        json_array_foreach(t->root, i, v)
        {
            tobs_add(t, v, json_string_value(json_object_get(v, "id")));
        }
    } else {
        tobs_add(t, t->root, json_string_value(json_object_get(t->root, "id")));
    }
    t->obs.objects = t->objects;
    t->obs.refs = t->refs;
    t->obs.first = ts_of(first ? first : T0);
    t->obs.last = ts_of(last ? last : first ? first : T0);
}

static void
tobs_release(struct tobs *t)
{
    json_decref(t->root);
}

static struct fusion_pattern_prog *
prog_of(const char *text)
{
    struct fusion_pattern *pat = NULL;
    struct fusion_pattern_prog *prog = NULL;
    struct fusion_error err;

    if (fusion_pattern_parse(text, strlen(text), &pat, &err) != FUSION_OK)
        fail_msg("'%s' does not parse: %s", text, err.message);
    if (fusion_pattern_compile(pat, &prog, &err) != FUSION_OK)
        fail_msg("'%s' does not compile: %s", text, err.message);
    return prog;
}

/* Compiles text and returns the result, with the message in err. */
static enum fusion_err
compile_text(const char *text, struct fusion_error *err)
{
    struct fusion_pattern *pat = NULL;
    struct fusion_pattern_prog *prog = NULL;
    enum fusion_err rc;

    if (fusion_pattern_parse(text, strlen(text), &pat, err) != FUSION_OK)
        fail_msg("'%s' does not parse: %s", text, err->message);
    rc = fusion_pattern_compile(pat, &prog, err);
    assert_true(rc == FUSION_OK ? prog != NULL : prog == NULL);
    fusion_pattern_prog_free(prog);
    return rc;
}

/* Whether pattern matches the one observation json. */
static bool
match_one(const char *pattern, const char *json)
{
    struct fusion_pattern_prog *prog = prog_of(pattern);
    const struct fusion_observation *list[1];
    struct fusion_pattern_result res;
    struct fusion_error err;
    struct tobs t;

    tobs_load(&t, json, NULL, NULL);
    list[0] = &t.obs;
    if (fusion_pattern_eval(prog, list, 1, 0, &res, &err) != FUSION_OK)
        fail_msg("'%s': %s", pattern, err.message);
    if (fusion_pattern_prog_single(prog))
        assert_int_equal(fusion_pattern_leaf_match(prog, 0, &t.obs),
                         res.matched);
    if (res.matched) {
        assert_int_equal(res.nused, 1);
        assert_int_equal(res.used[0], 0);
    }
    fusion_pattern_prog_free(prog);
    tobs_release(&t);
    return res.matched;
}

#define MATCH(p, j)    assert_true(match_one((p), (j)))
#define NO_MATCH(p, j) assert_false(match_one((p), (j)))

/* One observation of a sequence: SCO JSON and its times. */
struct tspec {
    const char *json;
    const char *first;
    const char *last;
};

/* Evaluates pattern over n observations; returns the result code. */
static enum fusion_err
eval_many(const char *pattern, const struct tspec *specs, size_t n, size_t must,
          struct fusion_pattern_result *res, struct fusion_error *err)
{
    struct fusion_pattern_prog *prog = prog_of(pattern);
    const struct fusion_observation *list[128];
    struct tobs *t = calloc(n ? n : 1, sizeof(*t));
    enum fusion_err rc;

    assert_non_null(t);
    assert_true(n <= 128);
    for (size_t i = 0; i < n; i++) {
        tobs_load(&t[i], specs[i].json, specs[i].first, specs[i].last);
        list[i] = &t[i].obs;
    }
    rc = fusion_pattern_eval(prog, list, n, must, res, err);
    for (size_t i = 0; i < n; i++)
        tobs_release(&t[i]);
    free(t);
    fusion_pattern_prog_free(prog);
    return rc;
}

static bool
matches_many(const char *pattern, const struct tspec *specs, size_t n,
             size_t must)
{
    struct fusion_pattern_result res;
    struct fusion_error err;

    if (eval_many(pattern, specs, n, must, &res, &err) != FUSION_OK)
        fail_msg("'%s': %s", pattern, err.message);
    return res.matched;
}

#define NSPECS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The evaluation cases of section 9.1 of the patterning notes
 */

static const char e1_data[] =
    "{\"objects\": {"
    "\"0\": {\"type\": \"network-traffic\", \"src_ref\": \"1\"},"
    "\"1\": {\"type\": \"ipv4-addr\", \"value\": \"203.0.113.10\"},"
    "\"2\": {\"type\": \"network-traffic\", \"dst_ref\": \"3\"},"
    "\"3\": {\"type\": \"ipv4-addr\", \"value\": \"198.51.100.58\"}}}";

static void
test_pattern_eval_e1_one_root(void **state)
{
    (void)state;
    NO_MATCH("[network-traffic:src_ref.value = '203.0.113.10' AND "
             "network-traffic:dst_ref.value = '198.51.100.58']",
             e1_data);
    MATCH("[network-traffic:src_ref.value = '203.0.113.10' OR "
          "network-traffic:dst_ref.value = '198.51.100.58']",
          e1_data);
    MATCH("[network-traffic:dst_ref.value = '198.51.100.58']", e1_data);
    MATCH("[network-traffic:dst_ref.type = 'ipv4-addr']", e1_data);
}

static const char artifact[] = "{\"type\": \"artifact\", "
                               "\"payload_bin\": \"dGhpcyBpcyBhIHRlc3Q=\"}";

static void
test_pattern_eval_e2_e5_binary(void **state)
{
    (void)state;
    NO_MATCH("[artifact:payload_bin = 'dGhpcyBpcyBhIHRlc3Q=']", artifact);
    MATCH("[artifact:payload_bin = 'this is a test']", artifact);
    MATCH("[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']", artifact);
    MATCH("[artifact:payload_bin = h'7468697320697320612074657374']", artifact);
    MATCH("[artifact:payload_bin LIKE 'this%test']", artifact);
    MATCH("[artifact:payload_bin MATCHES '^this.*t$']", artifact);
    MATCH("[artifact:payload_bin > 'this']", artifact);
}

static void
test_pattern_eval_e6_e8_cidr(void **state)
{
    (void)state;
    MATCH("[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
          "{\"type\": \"ipv4-addr\", \"value\": \"198.51.100.0/27\"}");
    MATCH("[ipv4-addr:value ISSUPERSET '198.51.100.0/27']",
          "{\"type\": \"ipv4-addr\", \"value\": \"198.51.100.0/24\"}");
    MATCH("[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
          "{\"type\": \"ipv4-addr\", \"value\": \"198.51.100.0/24\"}");
    MATCH("[ipv4-addr:value ISSUPERSET '198.51.100.0/24']",
          "{\"type\": \"ipv4-addr\", \"value\": \"198.51.100.0/24\"}");
}

static void
test_pattern_eval_e9_exists(void **state)
{
    static const char key[] = "{\"type\": \"windows-registry-key\", "
                              "\"key\": \"HKLM\\\\x\", \"values\": "
                              "[{\"name\": \"a\"}]}";

    (void)state;
    MATCH("[EXISTS windows-registry-key:values]", key);
    NO_MATCH("[NOT EXISTS windows-registry-key:values]", key);
    MATCH("[EXISTS windows-registry-key:values[0].name]", key);
    NO_MATCH("[EXISTS windows-registry-key:values[1].name]", key);
    MATCH("[NOT EXISTS windows-registry-key:modified_time]", key);
}

static void
test_pattern_eval_e10_numbers_exact(void **state)
{
    static const char f15[] = "{\"type\": \"x-num\", \"v\": 1.5}";
    static const char i1[] = "{\"type\": \"x-num\", \"v\": 1}";

    (void)state;
    NO_MATCH("[x-num:v = 1]", f15);
    MATCH("[x-num:v != 1]", f15);
    MATCH("[x-num:v > 1]", f15);
    MATCH("[x-num:v < 2]", f15);
    MATCH("[x-num:v = 1.5]", f15);
    MATCH("[x-num:v = 1.0]", i1);
    NO_MATCH("[x-num:v = 1.5]", i1);
    MATCH("[x-num:v < 1.5]", i1);
    MATCH("[x-num:v >= 0.5]", i1);
    MATCH("[x-num:v <= -0.5]", "{\"type\": \"x-num\", \"v\": -1}");
}

static void
test_pattern_eval_e11_missing_property(void **state)
{
    static const char file[] = "{\"type\": \"file\", \"name\": \"a\"}";

    (void)state;
    NO_MATCH("[file:size != 10]", file);
    NO_MATCH("[file:size NOT = 10]", file);
    NO_MATCH("[file:size NOT != 10]", file);
    NO_MATCH("[file:size NOT IN (1, 2)]", file);
    NO_MATCH("[file:name NOT LIKE 'b%']", "{\"type\": \"file\"}");
    NO_MATCH("[file:hashes.MD5 NOT MATCHES 'x']", file);
    MATCH("[NOT EXISTS file:size]", file);
    NO_MATCH("[EXISTS file:size]", file);
    /* null counts as absent */
    NO_MATCH("[file:size != 10]", "{\"type\": \"file\", \"size\": null}");
}

static void
test_pattern_eval_e12_type_mismatch(void **state)
{
    static const char file[] = "{\"type\": \"file\", \"size\": 10}";

    (void)state;
    NO_MATCH("[file:size = '10']", file);
    MATCH("[file:size != '10']", file);
    MATCH("[file:size NOT = '10']", file);
    NO_MATCH("[file:size < '9']", file);
    NO_MATCH("[file:size > '9']", file);
    NO_MATCH("[file:size = true]", file);
    NO_MATCH("[file:size LIKE '10']", file);
    NO_MATCH("[file:size MATCHES '10']", file);
    NO_MATCH("[file:size = t'2024-01-01T00:00:00Z']", file);
    NO_MATCH("[file:size = h'0a']", file);
    MATCH("[file:size != h'0a']", file);
    NO_MATCH("[file:size IN ('10', true)]", file);
}

static const char traffic[] = "{\"type\": \"network-traffic\", "
                              "\"protocols\": [\"ipv4\", \"tcp\"]}";

static void
test_pattern_eval_e13_lists(void **state)
{
    (void)state;
    MATCH("[network-traffic:protocols[*] = 'tcp']", traffic);
    NO_MATCH("[network-traffic:protocols[5] = 'tcp']", traffic);
    NO_MATCH("[network-traffic:protocols[-1] = 'tcp']", traffic);
    MATCH("[network-traffic:protocols[1] = 'tcp']", traffic);
    NO_MATCH("[network-traffic:protocols[0] = 'tcp']", traffic);
    /* NOT over [*]: true when values exist and none satisfies */
    NO_MATCH("[network-traffic:protocols[*] NOT = 'tcp']", traffic);
    MATCH("[network-traffic:protocols[*] NOT = 'udp']", traffic);
    MATCH("[network-traffic:protocols[*] != 'tcp']", traffic);
    NO_MATCH("[network-traffic:protocols[*] = 'tcp']",
             "{\"type\": \"network-traffic\", \"protocols\": []}");
    NO_MATCH("[network-traffic:protocols[*] NOT = 'tcp']",
             "{\"type\": \"network-traffic\", \"protocols\": []}");
    NO_MATCH("[network-traffic:protocols[*] = 'tcp']",
             "{\"type\": \"network-traffic\", \"protocols\": \"tcp\"}");
}

static void
test_pattern_eval_e14_followedby_within(void **state)
{
    static const struct tspec obs[] = {
        { "{\"type\": \"file\", \"name\": \"X\"}", "2024-01-01T00:00:00Z",
          NULL },
        { "{\"type\": \"windows-registry-key\", \"key\": \"K\"}",
          "2024-01-01T00:03:20Z", NULL },
    };

    (void)state;
    assert_true(matches_many("([file:name = 'X'] FOLLOWEDBY "
                             "[windows-registry-key:key = 'K']) WITHIN "
                             "300 SECONDS",
                             obs, 2, 2));
    assert_false(matches_many("([file:name = 'X'] FOLLOWEDBY "
                              "[windows-registry-key:key = 'K']) WITHIN "
                              "100 SECONDS",
                              obs, 2, 2));
    assert_false(matches_many("[windows-registry-key:key = 'K'] "
                              "FOLLOWEDBY [file:name = 'X']",
                              obs, 2, 2));
}

static void
test_pattern_eval_e15_invalid_never_matches(void **state)
{
    static const char *const bad[] = {
        "[file:size = ]",
        "[file:name = 'a'",
        "[file:size = 1280",
        "[artifact:payload_bin = b'====']",
    };
    struct fusion_pattern_prog *prog = NULL;
    struct fusion_pattern *pat = NULL;
    struct fusion_error err;

    (void)state;
    for (size_t i = 0; i < NSPECS(bad); i++) {
        assert_int_equal(
            fusion_pattern_parse(bad[i], strlen(bad[i]), &pat, &err),
            FUSION_ERR_INVALID);
        assert_null(pat);
    }
    /* no tree, no program: nothing can be evaluated */
    assert_int_equal(fusion_pattern_compile(NULL, &prog, &err),
                     FUSION_ERR_INVALID);
    assert_null(prog);
}

/*
 * Operators
 */

static void
test_pattern_eval_string_order(void **state)
{
    static const char *const order[] = {
        "o", "oz", "o\xcc\x80", "z", "\xc3\xb2",
    };
    char pattern[128], json[128];

    (void)state;
    /* code point order, no normalisation */
    for (size_t i = 0; i + 1 < NSPECS(order); i++) {
        snprintf(json, sizeof(json), "{\"type\": \"x-s\", \"v\": \"%s\"}",
                 order[i]);
        snprintf(pattern, sizeof(pattern), "[x-s:v < '%s']", order[i + 1]);
        MATCH(pattern, json);
        snprintf(pattern, sizeof(pattern), "[x-s:v >= '%s']", order[i + 1]);
        NO_MATCH(pattern, json);
        snprintf(pattern, sizeof(pattern), "[x-s:v <= '%s']", order[i]);
        MATCH(pattern, json);
    }
    MATCH("[x-s:v = 'a\\'b']", "{\"type\": \"x-s\", \"v\": \"a'b\"}");
    NO_MATCH("[x-s:v = 'A']", "{\"type\": \"x-s\", \"v\": \"a\"}");
}

/* Hex digests compare without regard to case; other strings exactly. */
static void
test_pattern_eval_digest_case(void **state)
{
    static const char file[] =
        "{\"type\": \"file\", \"hashes\": {\"SHA-256\": \"ab12cd\", "
        "\"MD5\": \"EF34\", \"SSDEEP\": \"3:AbC:x\"}, \"name\": \"Ab\"}";

    (void)state;
    MATCH("[file:hashes.'SHA-256' = 'AB12CD']", file);
    MATCH("[file:hashes.MD5 = 'ef34']", file);
    MATCH("[file:hashes.MD5 IN ('00', 'eF34')]", file);
    NO_MATCH("[file:hashes.MD5 != 'ef34']", file);
    MATCH("[file:hashes.'SHA-256' <= 'AB12CD']", file);
    NO_MATCH("[file:hashes.SSDEEP = '3:abc:x']", file);
    MATCH("[file:hashes.SSDEEP = '3:AbC:x']", file);
    NO_MATCH("[file:name = 'ab']", file);
    /* LIKE and MATCHES stay exact */
    NO_MATCH("[file:hashes.'SHA-256' LIKE 'AB%']", file);
    /* a certificate's serial number is hex too */
    MATCH("[x509-certificate:serial_number = '0a:1b']",
          "{\"type\": \"x509-certificate\", \"serial_number\": "
          "\"0A:1B\"}");
    NO_MATCH("[x509-certificate:subject = 'cn=a']",
             "{\"type\": \"x509-certificate\", \"subject\": \"CN=a\"}");
    /* a hash name spelled otherwise, in the pattern or the SCO */
    MATCH("[file:hashes.sha256 = 'ab12cd']", file);
    MATCH("[file:hashes.'sha-256' = 'ab12cd']", file);
    MATCH("[file:hashes.SHA1 = 'ab']",
          "{\"type\": \"file\", \"hashes\": {\"sha1\": \"AB\"}}");
    NO_MATCH("[file:hashes.SHA1 = 'ab']",
             "{\"type\": \"file\", \"hashes\": {\"sha256\": \"ab\"}}");
}

static void
test_pattern_eval_booleans(void **state)
{
    static const char acct[] = "{\"type\": \"user-account\", "
                               "\"is_disabled\": true}";

    (void)state;
    MATCH("[user-account:is_disabled = true]", acct);
    NO_MATCH("[user-account:is_disabled = false]", acct);
    MATCH("[user-account:is_disabled != false]", acct);
    NO_MATCH("[user-account:is_disabled = 'true']", acct);
    NO_MATCH("[user-account:is_disabled = 1]", acct);
}

static void
test_pattern_eval_timestamps(void **state)
{
    static const char file[] = "{\"type\": \"file\", "
                               "\"ctime\": \"2014-01-13T07:03:17.5Z\", "
                               "\"mtime\": \"not a time\"}";

    (void)state;
    MATCH("[file:ctime = t'2014-01-13T07:03:17.500Z']", file);
    MATCH("[file:ctime > t'2014-01-13T07:03:17.499999Z']", file);
    MATCH("[file:ctime < t'2014-01-13T07:03:17.5000001Z']", file);
    NO_MATCH("[file:ctime = t'2014-01-13T07:03:17Z']", file);
    MATCH("[file:ctime IN (t'2000-01-01T00:00:00Z', "
          "t'2014-01-13T07:03:17.50Z')]",
          file);
    /* an unparseable value is a type mismatch */
    NO_MATCH("[file:mtime < t'2100-01-01T00:00:00Z']", file);
    MATCH("[file:mtime != t'2100-01-01T00:00:00Z']", file);
    /* as strings they compare as text */
    NO_MATCH("[file:ctime = '2014-01-13T07:03:17.500Z']", file);
}

static void
test_pattern_eval_in(void **state)
{
    static const char file[] = "{\"type\": \"file\", \"name\": \"b\", "
                               "\"size\": 2048}";

    (void)state;
    MATCH("[file:name IN ('a', 'b')]", file);
    NO_MATCH("[file:name IN ('a', 'c')]", file);
    NO_MATCH("[file:name IN ()]", file);
    MATCH("[file:name NOT IN ()]", file);
    MATCH("[file:size IN (1024, 2048, 4096)]", file);
    MATCH("[file:size IN (2048.0)]", file);
    MATCH("[file:name NOT IN ('a', 'c')]", file);
}

static void
test_pattern_eval_like(void **state)
{
    static const char file[] = "{\"type\": \"file\", "
                               "\"name\": \"r\xc3\xa9sum\xc3\xa9.exe\"}";

    (void)state;
    MATCH("[file:name LIKE '%.exe']", file);
    MATCH("[file:name LIKE 'r_sum_.exe']", file);
    NO_MATCH("[file:name LIKE 'r__sum_.exe']", file);
    MATCH("[file:name LIKE '%%']", file);
    MATCH("[file:name LIKE 'r%s%e']", file);
    NO_MATCH("[file:name LIKE '%.EXE']", file);
    NO_MATCH("[file:name LIKE '.exe']", file);
    MATCH("[file:name NOT LIKE '%.dll']", file);
    MATCH("[file:name LIKE '']", "{\"type\": \"file\", \"name\": \"\"}");
    MATCH("[file:name LIKE '%']", "{\"type\": \"file\", \"name\": \"\"}");
    NO_MATCH("[file:name LIKE '_']", "{\"type\": \"file\", \"name\": \"\"}");
    MATCH("[file:name LIKE 'a%b%c']",
          "{\"type\": \"file\", \"name\": \"aXbYbZc\"}");
}

static void
test_pattern_eval_matches(void **state)
{
    static const char mail[] =
        "[{\"type\": \"email-message\", \"id\": \"email-message--1\", "
        "\"from_ref\": \"email-addr--1\", \"subject\": \"line 1\\nline 2\"},"
        " {\"type\": \"email-addr\", \"id\": \"email-addr--1\", "
        "\"value\": \"jdoe@example.com\"}]";

    (void)state;
    MATCH("[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$']",
          mail);
    NO_MATCH("[email-message:from_ref.value MATCHES '^example']", mail);
    /* search semantics */
    MATCH("[email-message:from_ref.value MATCHES 'example']", mail);
    /* DOTALL */
    MATCH("[email-message:subject MATCHES '1.line']", mail);
    /* UTF: '.' is one code point */
    MATCH("[x-s:v MATCHES '^r.s']",
          "{\"type\": \"x-s\", \"v\": \"r\xc3\xa9s\"}");
    MATCH("[email-message:subject NOT MATCHES '^x']", mail);
}

static void
test_pattern_eval_matches_binary(void **state)
{
    /* a pcap header, d4 c3 b2 a1 02 00 04 00, in base64 */
    static const char pcap[] =
        "{\"type\": \"artifact\", "
        "\"mime_type\": \"application/vnd.tcpdump.pcap\", "
        "\"payload_bin\": \"1MOyoQIABAA=\"}";

    (void)state;
    MATCH("[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND "
          "artifact:payload_bin MATCHES "
          "'\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']",
          pcap);
    /* the regex's U+00D4 stands for byte d4 */
    MATCH("[artifact:payload_bin MATCHES '^\xc3\x94']", pcap);
    NO_MATCH("[artifact:payload_bin MATCHES '^\\\\xc3']", pcap);
    /* '.' is one byte */
    MATCH("[artifact:payload_bin MATCHES '^.\\\\xc3']", pcap);
}

static void
test_pattern_eval_regex_limits(void **state)
{
    char json[4200];
    size_t n;

    (void)state;
    n = (size_t)snprintf(json, sizeof(json), "{\"type\": \"x-s\", \"v\": \"");
    memset(json + n, 'a', 4000);
    n += 4000;
    snprintf(json + n, sizeof(json) - n, "b\"}");
    /* catastrophic backtracking stops at the match limit: no match */
    NO_MATCH("[x-s:v MATCHES '^(a|aa)+$']", json);
    NO_MATCH("[x-s:v MATCHES '^(a+)+$']", json);
}

static void
test_pattern_eval_cidr(void **state)
{
    static const char v6[] = "{\"type\": \"ipv6-addr\", "
                             "\"value\": \"2001:db8:dead:beef::1\"}";

    (void)state;
    MATCH("[ipv6-addr:value ISSUBSET "
          "'2001:0db8:dead:beef:0000:0000:0000:0000/64']",
          v6);
    NO_MATCH("[ipv6-addr:value ISSUBSET '2001:db8:dead:bee0::/64']", v6);
    MATCH("[ipv6-addr:value ISSUBSET '2001:db8::/32']", v6);
    MATCH("[ipv6-addr:value ISSUBSET '::/0']", v6);
    MATCH("[ipv6-addr:value ISSUBSET '2001:db8:dead:beef::1']", v6);
    MATCH("[ipv6-addr:value ISSUPERSET '2001:db8:dead:beef::1/128']", v6);
    NO_MATCH("[ipv6-addr:value ISSUPERSET '2001:db8::/32']", v6);
    MATCH("[ipv6-addr:value ISSUPERSET '2001:db8::/32']",
          "{\"type\": \"ipv6-addr\", \"value\": \"2001:db8::/31\"}");
    /* different families never contain each other */
    NO_MATCH("[ipv6-addr:value ISSUBSET '0.0.0.0/0']", v6);
    NO_MATCH("[ipv4-addr:value ISSUBSET '::/0']",
             "{\"type\": \"ipv4-addr\", \"value\": \"10.0.0.1\"}");
    MATCH("[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
          "{\"type\": \"ipv4-addr\", \"value\": \"10.1.2.3\"}");
    NO_MATCH("[ipv4-addr:value ISSUBSET '10.0.0.0/16']",
             "{\"type\": \"ipv4-addr\", \"value\": \"10.1.2.3\"}");
    /* host bits of a block are ignored */
    MATCH("[ipv4-addr:value NOT ISSUBSET '192.168.0.1/24']",
          "{\"type\": \"ipv4-addr\", \"value\": \"192.168.1.1\"}");
    MATCH("[ipv4-addr:value ISSUBSET '192.168.0.1/23']",
          "{\"type\": \"ipv4-addr\", \"value\": \"192.168.1.1\"}");
    /* a value that is no address is a mismatch */
    NO_MATCH("[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
             "{\"type\": \"ipv4-addr\", \"value\": \"10.0.0.300\"}");
    NO_MATCH("[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
             "{\"type\": \"ipv4-addr\", \"value\": \"10.0.0.1/33\"}");
}

static void
test_pattern_eval_hex_and_binary(void **state)
{
    static const char file[] = "{\"type\": \"file\", "
                               "\"magic_number_hex\": \"FFD8ffe0\", "
                               "\"name\": \"ab\"}";

    (void)state;
    MATCH("[file:magic_number_hex = h'ffd8ffe0']", file);
    MATCH("[file:magic_number_hex > h'ffd8']", file);
    MATCH("[file:magic_number_hex = b'/9j/4A==']", file);
    NO_MATCH("[file:magic_number_hex = 'FFD8ffe0']", file);
    MATCH("[file:magic_number_hex = '\xc3\xbf\xc3\x98\xc3\xbf\xc3\xa0']", file);
    MATCH("[file:magic_number_hex LIKE '\xc3\xbf%']", file);
    /* a code point past U+00FF cannot become a byte: mismatch */
    NO_MATCH("[file:magic_number_hex = '\xc4\x80']", file);
    MATCH("[file:magic_number_hex != '\xc4\x80']", file);
    /* hex and binary constants against text compare its UTF-8 bytes */
    MATCH("[file:name = h'6162']", file);
    MATCH("[file:name = b'YWI=']", file);
    NO_MATCH("[file:name = h'61']", file);
    /* a value that does not decode is a mismatch */
    NO_MATCH("[file:magic_number_hex = h'ff']",
             "{\"type\": \"file\", \"magic_number_hex\": \"fff\"}");
    MATCH("[file:magic_number_hex != h'ff']",
          "{\"type\": \"file\", \"magic_number_hex\": \"zz\"}");
    MATCH("[artifact:payload_bin = 'this is a test']",
          "{\"type\": \"artifact\", "
          "\"payload_bin\": \"dGhpcyBp\\ncyBhIHRlc3Q\"}");
}

/*
 * Object paths
 */

static const char dir21[] =
    "[{\"type\": \"directory\", \"id\": \"directory--1\", \"path\": \"/tmp\","
    " \"contains_refs\": [\"file--1\", \"file--2\", \"file--9\"]},"
    " {\"type\": \"file\", \"id\": \"file--1\", \"name\": \"a.txt\","
    " \"parent_directory_ref\": \"directory--1\","
    " \"hashes\": {\"MD5\": \"cead3f77f6cda6ec00f57d76c9a6879f\"}},"
    " {\"type\": \"file\", \"id\": \"file--2\", \"name\": \"b.exe\","
    " \"parent_directory_ref\": \"directory--7\"}]";

static void
test_pattern_eval_references(void **state)
{
    (void)state;
    MATCH("[directory:contains_refs[*].name = 'b.exe']", dir21);
    MATCH("[directory:contains_refs[0].name = 'a.txt']", dir21);
    NO_MATCH("[directory:contains_refs[0].name = 'b.exe']", dir21);
    /* file--9 is unknown: absent, so NOT does not hold through it */
    NO_MATCH("[directory:contains_refs[2].name NOT = 'x']", dir21);
    MATCH("[directory:contains_refs[*].name NOT = 'c.txt']", dir21);
    MATCH("[file:parent_directory_ref.path = '/tmp']", dir21);
    NO_MATCH("[file:parent_directory_ref.path != '/tmp']", dir21);
    MATCH("[file:parent_directory_ref.type = 'directory']", dir21);
    /* without a further step the reference is compared as it is */
    MATCH("[file:parent_directory_ref = 'directory--7']", dir21);
    MATCH("[directory:contains_refs[*] = 'file--9']", dir21);
    MATCH("[directory:contains_refs[*].hashes.MD5 = "
          "'cead3f77f6cda6ec00f57d76c9a6879f']",
          dir21);
    /* a dictionary under [*] yields each member */
    MATCH("[file:hashes[*] = 'cead3f77f6cda6ec00f57d76c9a6879f']", dir21);
    /* a reference that is no string leads nowhere */
    NO_MATCH("[file:parent_directory_ref.path != 'x']",
             "[{\"type\": \"file\", \"parent_directory_ref\": 3}]");
    /* a cycle of references is followed only as far as the path goes */
    MATCH("[file:parent_directory_ref.contains_refs[0]."
          "parent_directory_ref.path = '/tmp']",
          dir21);
}

static void
test_pattern_eval_stix20_observation(void **state)
{
    static const char obs20[] =
        "{\"objects\": {"
        "\"0\": {\"type\": \"domain-name\", \"value\": \"www.5z8.info\", "
        "\"resolves_to_refs\": [\"1\", \"2\"]},"
        "\"1\": {\"type\": \"ipv4-addr\", \"value\": \"198.51.100.1\"},"
        "\"2\": {\"type\": \"ipv4-addr\", \"value\": \"198.51.100.2\"}}}";

    (void)state;
    MATCH("[domain-name:value = 'www.5z8.info' AND "
          "domain-name:resolves_to_refs[*].value = '198.51.100.2']",
          obs20);
    MATCH("[domain-name:resolves_to_refs[*].value ISSUBSET "
          "'198.51.100.0/30']",
          obs20);
    NO_MATCH("[domain-name:resolves_to_refs[*].value = '198.51.100.3']", obs20);
    /* any SCO of the right type may be the root */
    MATCH("[ipv4-addr:value = '198.51.100.2']", obs20);
}

static void
test_pattern_eval_root_types(void **state)
{
    static const char two[] = "[{\"type\": \"file\", \"name\": \"a\"},"
                              " {\"type\": \"ipv4-addr\", \"value\": "
                              "\"10.0.0.1\"}]";

    (void)state;
    MATCH("[file:name = 'a' OR ipv4-addr:value = '10.0.0.2']", two);
    MATCH("[file:name = 'b' OR ipv4-addr:value = '10.0.0.1']", two);
    NO_MATCH("[file:name = 'a' AND ipv4-addr:value = '10.0.0.1']", two);
    /* a comparison on another type is false for this root, even NOT */
    NO_MATCH("[file:name = 'x' OR ipv4-addr:value NOT = '10.0.0.1']", two);
    MATCH("[(file:name = 'a' OR file:size = 3) AND file:name LIKE 'a']", two);
    MATCH("[NOT EXISTS file:size]", two);
    NO_MATCH("[NOT EXISTS x-other:size]", two);
}

/*
 * Observation operators and qualifiers
 */

static const struct tspec seq[] = {
    { "{\"type\": \"file\", \"name\": \"a\"}", "2024-01-01T00:00:00Z",
      "2024-01-01T00:00:10Z" },
    { "{\"type\": \"file\", \"name\": \"b\"}", "2024-01-01T00:01:00Z",
      "2024-01-01T00:01:00Z" },
    { "{\"type\": \"file\", \"name\": \"a\"}", "2024-01-01T00:02:00Z",
      "2024-01-01T00:02:30.5Z" },
    { "{\"type\": \"file\", \"name\": \"c\"}", "2024-01-01T00:02:00Z",
      "2024-01-01T00:02:00Z" },
};

static void
test_pattern_eval_obs_and_or(void **state)
{
    static const struct tspec one[] = {
        { "{\"type\": \"file\", \"name\": \"a\", \"size\": 1}", T0, NULL },
    };
    struct fusion_pattern_result res;
    struct fusion_error err;

    (void)state;
    assert_true(
        matches_many("[file:name = 'a'] AND [file:name = 'b']", seq, 4, 4));
    /* AND needs two different observations */
    assert_false(
        matches_many("[file:name = 'a'] AND [file:size = 1]", one, 1, 1));
    assert_true(
        matches_many("[file:name = 'a'] AND [file:name = 'a']", seq, 4, 4));
    assert_false(
        matches_many("[file:name = 'b'] AND [file:name = 'b']", seq, 4, 4));
    assert_true(
        matches_many("[file:name = 'x'] OR [file:name = 'c']", seq, 4, 4));
    assert_false(
        matches_many("[file:name = 'x'] OR [file:name = 'y']", seq, 4, 4));
    assert_int_equal(eval_many("[file:name = 'b'] AND [file:name = 'c']", seq,
                               4, 4, &res, &err),
                     FUSION_OK);
    assert_true(res.matched);
    assert_int_equal(res.nused, 2);
    assert_int_equal(res.used[0], 1);
    assert_int_equal(res.used[1], 3);
}

static void
test_pattern_eval_followedby(void **state)
{
    (void)state;
    assert_true(matches_many("[file:name = 'a'] FOLLOWEDBY [file:name = 'b']",
                             seq, 4, 4));
    assert_true(matches_many("[file:name = 'b'] FOLLOWEDBY [file:name = 'a']",
                             seq, 4, 4));
    assert_false(matches_many("[file:name = 'c'] FOLLOWEDBY "
                              "[file:name = 'b']",
                              seq, 4, 4));
    /* equal first times are in order both ways */
    assert_true(matches_many("[file:name = 'c'] FOLLOWEDBY "
                             "[file:name = 'a']",
                             seq, 4, 4));
    /* left-associative: every left observation before the right one */
    assert_false(matches_many("[file:name = 'a'] FOLLOWEDBY "
                              "[file:name = 'c'] FOLLOWEDBY "
                              "[file:name = 'b']",
                              seq, 4, 4));
    assert_true(matches_many("[file:name = 'a'] FOLLOWEDBY "
                             "[file:name = 'b'] FOLLOWEDBY "
                             "[file:name = 'c']",
                             seq, 4, 4));
    /* a single observation cannot follow itself */
    assert_false(matches_many("[file:name = 'b'] FOLLOWEDBY "
                              "[file:name = 'b']",
                              seq, 4, 4));
}

static void
test_pattern_eval_repeats(void **state)
{
    (void)state;
    assert_true(matches_many("[file:name = 'a'] REPEATS 2 TIMES", seq, 4, 4));
    assert_false(matches_many("[file:name = 'a'] REPEATS 3 TIMES", seq, 4, 4));
    assert_false(matches_many("[file:name = 'b'] REPEATS 2 TIMES", seq, 4, 4));
    assert_true(matches_many("[file:name = 'b'] REPEATS 1 TIMES", seq, 4, 4));
    assert_true(
        matches_many("[file:name LIKE '%'] REPEATS 4 TIMES", seq, 4, 4));
    /* REPEATS 0 TIMES matches nothing */
    assert_false(matches_many("[file:name = 'a'] REPEATS 0 TIMES", seq, 4, 4));
    /* qualifiers bind to their expression only */
    assert_true(matches_many("[file:name = 'b'] AND [file:name = 'a'] "
                             "REPEATS 2 TIMES",
                             seq, 4, 4));
    assert_false(matches_many("([file:name = 'b'] AND [file:name = 'a']) "
                              "REPEATS 2 TIMES",
                              seq, 4, 4));
    /* a GROUP repeats its repeated kid: 4 observations of a */
    assert_false(matches_many("([file:name = 'a'] REPEATS 2 TIMES) "
                              "REPEATS 2 TIMES",
                              seq, 4, 4));
    assert_true(matches_many("([file:name LIKE '%'] REPEATS 2 TIMES) "
                             "REPEATS 2 TIMES",
                             seq, 4, 4));
}

static void
test_pattern_eval_within(void **state)
{
    (void)state;
    /* from the earliest first (0:00) to the latest last (2:30.5) */
    assert_true(matches_many("[file:name = 'a'] REPEATS 2 TIMES WITHIN "
                             "151 SECONDS",
                             seq, 4, 4));
    assert_false(matches_many("[file:name = 'a'] REPEATS 2 TIMES WITHIN "
                              "150.5 SECONDS",
                              seq, 4, 4));
    assert_true(matches_many("[file:name = 'a'] REPEATS 2 TIMES WITHIN "
                             "150.6 SECONDS",
                             seq, 4, 4));
    /* order: WITHIN first, then REPEATS of windows of one observation */
    assert_true(matches_many("[file:name = 'a'] WITHIN 31 SECONDS REPEATS 2 "
                             "TIMES",
                             seq, 4, 4));
    assert_false(
        matches_many("[file:name = 'a'] WITHIN 10 SECONDS", seq, 4, 4));
    assert_true(matches_many("[file:name = 'b'] AND [file:name = 'c'] "
                             "WITHIN 1 SECONDS",
                             seq, 4, 4));
    assert_false(matches_many("([file:name = 'b'] AND [file:name = 'c']) "
                              "WITHIN 60 SECONDS",
                              seq, 4, 4));
    assert_true(matches_many("([file:name = 'b'] AND [file:name = 'c']) "
                             "WITHIN 60.5 SECONDS",
                             seq, 4, 4));
}

static void
test_pattern_eval_start_stop(void **state)
{
    (void)state;
    assert_true(matches_many("[file:name = 'a'] START "
                             "t'2024-01-01T00:01:00Z' STOP "
                             "t'2024-01-01T00:02:30.6Z'",
                             seq, 4, 4));
    /* last must lie before STOP */
    assert_false(matches_many("[file:name = 'a'] START "
                              "t'2024-01-01T00:01:00Z' STOP "
                              "t'2024-01-01T00:02:30.5Z'",
                              seq, 4, 4));
    /* first may equal START */
    assert_true(matches_many("[file:name = 'b'] START "
                             "t'2024-01-01T00:01:00Z' STOP "
                             "t'2024-01-01T00:01:00.001Z'",
                             seq, 4, 4));
    assert_false(matches_many("[file:name = 'b'] START "
                              "t'2024-01-01T00:01:00.001Z' STOP "
                              "t'2024-01-01T00:05:00Z'",
                              seq, 4, 4));
    assert_false(matches_many("[file:name = 'a'] REPEATS 2 TIMES START "
                              "t'2024-01-01T00:00:00Z' STOP "
                              "t'2024-01-01T00:02:00Z'",
                              seq, 4, 4));
    assert_true(matches_many("[file:name = 'a'] REPEATS 2 TIMES WITHIN 200 "
                             "SECONDS START t'2024-01-01T00:00:00Z' STOP "
                             "t'2024-01-01T00:03:00Z'",
                             seq, 4, 4));
}

static void
test_pattern_eval_must(void **state)
{
    struct fusion_pattern_result res;
    struct fusion_error err;

    (void)state;
    /* obs 1 (b) completes "a AND b"; obs 3 (c) takes no part */
    assert_true(
        matches_many("[file:name = 'a'] AND [file:name = 'b']", seq, 4, 1));
    assert_true(
        matches_many("[file:name = 'a'] AND [file:name = 'b']", seq, 4, 2));
    assert_false(
        matches_many("[file:name = 'a'] AND [file:name = 'b']", seq, 4, 3));
    assert_false(
        matches_many("[file:name = 'a'] OR [file:name = 'b']", seq, 4, 3));
    assert_true(
        matches_many("[file:name = 'a'] OR [file:name = 'c']", seq, 4, 3));
    assert_int_equal(
        eval_many("[file:name = 'a'] REPEATS 2 TIMES", seq, 4, 2, &res, &err),
        FUSION_OK);
    assert_true(res.matched);
    assert_int_equal(res.nused, 2);
    assert_int_equal(res.used[0], 0);
    assert_int_equal(res.used[1], 2);
    /* no observations: nothing matches */
    assert_false(matches_many("[file:name = 'a']", seq, 0, 0));
}

static void
test_pattern_eval_work_bound(void **state)
{
    struct tspec many[60];
    char times[60][32];
    struct fusion_pattern_result res;
    struct fusion_error err;

    (void)state;
    for (size_t i = 0; i < 60; i++) {
        snprintf(times[i], sizeof(times[i]), "2024-01-01T00:%02zu:%02zuZ",
                 i * 10 / 60, i * 10 % 60);
        many[i].json = "{\"type\": \"file\", \"name\": \"a\"}";
        many[i].first = times[i];
        many[i].last = NULL;
    }
    /* four of sixty, ten seconds apart, never within one second */
    assert_int_equal(eval_many("([file:name = 'a'] AND [file:name = 'a'] AND "
                               "[file:name = 'a'] AND [file:name = 'a']) "
                               "WITHIN 1 SECONDS",
                               many, 60, 60, &res, &err),
                     FUSION_ERR_LIMIT);
    assert_false(res.matched);
    assert_non_null(strstr(err.message, "steps"));
    /* the same with a window that fits is found at once */
    assert_true(matches_many("([file:name = 'a'] AND [file:name = 'a'] AND "
                             "[file:name = 'a'] AND [file:name = 'a']) "
                             "WITHIN 31 SECONDS",
                             many, 60, 59));
}

/*
 * Compiling and the program's interface
 */

static void
test_pattern_eval_compile_errors(void **state)
{
    struct fusion_error err;
    char deep[1200];
    size_t n;

    (void)state;
    assert_int_equal(compile_text("[file:name = 'a'] AND "
                                  "[file:name MATCHES 'a(b']",
                                  &err),
                     FUSION_ERR_INVALID);
    assert_true(err.has_offset);
    assert_int_equal(err.offset, 23);
    assert_non_null(strstr(err.message, "regex"));
    assert_int_equal(compile_text("[x-s:v_bin MATCHES '(*UTF)a']", &err),
                     FUSION_ERR_INVALID);

    assert_int_equal(
        compile_text("[ipv4-addr:value ISSUBSET '10.0.0.0/33']", &err),
        FUSION_ERR_INVALID);
    assert_int_equal(err.offset, 1);
    assert_int_equal(compile_text("[ipv4-addr:value ISSUBSET 'ten']", &err),
                     FUSION_ERR_INVALID);
    assert_int_equal(
        compile_text("[ipv6-addr:value ISSUPERSET '::1/129']", &err),
        FUSION_ERR_INVALID);
    assert_int_equal(
        compile_text("[ipv6-addr:value ISSUPERSET '::1%eth0']", &err),
        FUSION_ERR_INVALID);

    assert_int_equal(compile_text("[file:name = 'a'] REPEATS 64 TIMES", &err),
                     FUSION_OK);
    assert_int_equal(compile_text("[file:name = 'a'] REPEATS 65 TIMES", &err),
                     FUSION_ERR_LIMIT);
    assert_int_equal(err.offset, 18);
    assert_int_equal(compile_text("([file:name = 'a'] AND [file:name = 'b']) "
                                  "REPEATS 33 TIMES OR [file:name = 'c']",
                                  &err),
                     FUSION_ERR_LIMIT);
    assert_int_equal(compile_text("[file:name = 'a'] REPEATS "
                                  "9223372036854775807 TIMES",
                                  &err),
                     FUSION_ERR_LIMIT);
    assert_int_equal(compile_text("([file:name = 'a'] WITHIN 1 SECONDS "
                                  "WITHIN 2 SECONDS WITHIN 3 SECONDS WITHIN "
                                  "4 SECONDS WITHIN 5 SECONDS)",
                                  &err),
                     FUSION_ERR_LIMIT);

    n = (size_t)snprintf(deep, sizeof(deep), "[file:a");
    for (size_t i = 0; i < 130; i++)
        n += (size_t)snprintf(deep + n, sizeof(deep) - n, ".b");
    snprintf(deep + n, sizeof(deep) - n, " = 1]");
    assert_int_equal(compile_text(deep, &err), FUSION_ERR_LIMIT);
}

static void
test_pattern_eval_leaves(void **state)
{
    static const char b[] = "{\"type\": \"file\", \"name\": \"b\"}";
    struct fusion_pattern_prog *prog;
    struct tobs t;

    (void)state;
    prog = prog_of("([file:name = 'a'] OR [file:name = 'b']) FOLLOWEDBY "
                   "[file:name = 'c'] REPEATS 2 TIMES");
    assert_int_equal(fusion_pattern_prog_leaves(prog), 3);
    assert_false(fusion_pattern_prog_single(prog));
    assert_non_null(fusion_pattern_prog_pattern(prog));
    tobs_load(&t, b, NULL, NULL);
    assert_false(fusion_pattern_leaf_match(prog, 0, &t.obs));
    assert_true(fusion_pattern_leaf_match(prog, 1, &t.obs));
    assert_false(fusion_pattern_leaf_match(prog, 2, &t.obs));
    assert_false(fusion_pattern_leaf_match(prog, 3, &t.obs));
    fusion_pattern_prog_free(prog);

    prog = prog_of("[file:name = 'b']");
    assert_true(fusion_pattern_prog_single(prog));
    assert_true(fusion_pattern_leaf_match(prog, 0, &t.obs));
    fusion_pattern_prog_free(prog);
    prog = prog_of("[file:name = 'b'] WITHIN 5 SECONDS");
    assert_false(fusion_pattern_prog_single(prog));
    assert_true(fusion_pattern_leaf_match(prog, 0, &t.obs));
    fusion_pattern_prog_free(prog);
    tobs_release(&t);
    fusion_pattern_prog_free(NULL);
}

/* Every allocation failing in turn: an error or the right answer. */
static void
test_pattern_eval_alloc_failures(void **state)
{
    static const char text[] =
        "[file:name MATCHES '^a' AND file:magic_number_hex IN ('x', h'ff')]"
        " FOLLOWEDBY [file:name LIKE 'b%'] WITHIN 100 SECONDS";
    static const struct tspec specs[] = {
        { "{\"type\": \"file\", \"name\": \"a\", "
          "\"magic_number_hex\": \"ff\"}",
          T0, NULL },
        { "{\"type\": \"file\", \"name\": \"b\"}", "2024-01-01T00:00:05Z",
          NULL },
    };
    const struct fusion_observation *list[2];
    struct tobs t[2];
    bool done = false;

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        tobs_load(&t[i], specs[i].json, specs[i].first, specs[i].last);
        list[i] = &t[i].obs;
    }
    for (long n = 0; !done && n < 500; n++) {
        struct fusion_pattern *pat = NULL;
        struct fusion_pattern_prog *prog = NULL;
        struct fusion_pattern_result res;
        struct fusion_error err;
        enum fusion_err rc;

        fusion_alloc_fail_after(n);
        rc = fusion_pattern_parse(text, strlen(text), &pat, &err);
        if (!rc)
            rc = fusion_pattern_compile(pat, &prog, &err);
        if (!rc)
            rc = fusion_pattern_eval(prog, list, 2, 2, &res, &err);
        done = !fusion_alloc_has_failed();
        fusion_alloc_fail_after(-1);
        /* a JIT compile that fails only costs speed */
        if (rc == FUSION_OK)
            assert_true(res.matched);
        else
            assert_true(!done && rc == FUSION_ERR_NOMEM);
        fusion_pattern_prog_free(prog);
    }
    assert_true(done);
    for (size_t i = 0; i < 2; i++)
        tobs_release(&t[i]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_eval_e1_one_root),
        cmocka_unit_test(test_pattern_eval_e2_e5_binary),
        cmocka_unit_test(test_pattern_eval_e6_e8_cidr),
        cmocka_unit_test(test_pattern_eval_e9_exists),
        cmocka_unit_test(test_pattern_eval_e10_numbers_exact),
        cmocka_unit_test(test_pattern_eval_e11_missing_property),
        cmocka_unit_test(test_pattern_eval_e12_type_mismatch),
        cmocka_unit_test(test_pattern_eval_e13_lists),
        cmocka_unit_test(test_pattern_eval_e14_followedby_within),
        cmocka_unit_test(test_pattern_eval_e15_invalid_never_matches),
        cmocka_unit_test(test_pattern_eval_string_order),
        cmocka_unit_test(test_pattern_eval_digest_case),
        cmocka_unit_test(test_pattern_eval_booleans),
        cmocka_unit_test(test_pattern_eval_timestamps),
        cmocka_unit_test(test_pattern_eval_in),
        cmocka_unit_test(test_pattern_eval_like),
        cmocka_unit_test(test_pattern_eval_matches),
        cmocka_unit_test(test_pattern_eval_matches_binary),
        cmocka_unit_test(test_pattern_eval_regex_limits),
        cmocka_unit_test(test_pattern_eval_cidr),
        cmocka_unit_test(test_pattern_eval_hex_and_binary),
        cmocka_unit_test(test_pattern_eval_references),
        cmocka_unit_test(test_pattern_eval_stix20_observation),
        cmocka_unit_test(test_pattern_eval_root_types),
        cmocka_unit_test(test_pattern_eval_obs_and_or),
        cmocka_unit_test(test_pattern_eval_followedby),
        cmocka_unit_test(test_pattern_eval_repeats),
        cmocka_unit_test(test_pattern_eval_within),
        cmocka_unit_test(test_pattern_eval_start_stop),
        cmocka_unit_test(test_pattern_eval_must),
        cmocka_unit_test(test_pattern_eval_work_bound),
        cmocka_unit_test(test_pattern_eval_compile_errors),
        cmocka_unit_test(test_pattern_eval_leaves),
        cmocka_unit_test(test_pattern_eval_alloc_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
