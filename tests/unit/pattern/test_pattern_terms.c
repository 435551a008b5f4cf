/* SPDX-License-Identifier: Apache-2.0 */
/* Index terms of patterns and of observations, and their shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "pattern/pattern.h"

struct collected {
    struct fusion_buf text; /* "E0 type:path=value;" for each term */
    int calls;
    int fail_at; /* return FUSION_ERR_CONFLICT on this call, 0: never */
};

static enum fusion_err
collect(void *ctx, const struct fusion_pattern_term *term)
{
    struct collected *c = ctx;

    c->calls++;
    if (c->calls == c->fail_at)
        return FUSION_ERR_CONFLICT;
    return fusion_buf_printf(
        &c->text, "%c%zu %s:%s=%.*s;",
        term->kind == FUSION_PATTERN_TERM_EQUAL ? 'E' : 'S', term->leaf,
        term->type, term->path, (int)term->value_len, term->value);
}

static const char *
text_of(const struct collected *c)
{
    return c->text.data ? c->text.data : "";
}

static void
expect_terms(const char *pattern, enum fusion_pattern_shape want_shape,
             const char *want)
{
    struct collected c = { .fail_at = 0 };
    enum fusion_pattern_shape shape;
    struct fusion_pattern *pat;
    struct fusion_error err;

    fusion_buf_init(&c.text, 0);
    if (fusion_pattern_parse(pattern, strlen(pattern), &pat, &err))
        fail_msg("'%s': %s", pattern, err.message);
    assert_int_equal(fusion_pattern_terms(pat, &shape, collect, &c), FUSION_OK);
    if ((int)shape != (int)want_shape)
        fail_msg("'%s': shape %d, want %d", pattern, (int)shape,
                 (int)want_shape);
    if (strcmp(text_of(&c), want) != 0)
        fail_msg("'%s': terms '%s', want '%s'", pattern, text_of(&c), want);
    fusion_buf_release(&c.text);
    fusion_pattern_free(pat);
}

static void
test_pattern_terms_simple(void **state)
{
    (void)state;
    expect_terms("[ipv4-addr:value = '198.51.100.7']", FUSION_PATTERN_SIMPLE,
                 "E0 ipv4-addr:value=198.51.100.7;");
    expect_terms("[domain-name:value = 'a.example' OR "
                 "domain-name:value IN ('b.example', 'c.example')]",
                 FUSION_PATTERN_SIMPLE,
                 "E0 domain-name:value=a.example;"
                 "E0 domain-name:value=b.example;"
                 "E0 domain-name:value=c.example;");
    expect_terms("[file:hashes.'SHA-256' = 'abc' OR file:hashes.MD5 = 'd']",
                 FUSION_PATTERN_SIMPLE,
                 "E0 file:hashes.'SHA-256'=abc;E0 file:hashes.MD5=d;");
    expect_terms("[network-traffic:dst_ref.value = '203.0.113.1']",
                 FUSION_PATTERN_SIMPLE,
                 "E0 network-traffic:dst_ref.value=203.0.113.1;");
    expect_terms("[domain-name:resolves_to_refs[*].value = '203.0.113.2']",
                 FUSION_PATTERN_SIMPLE,
                 "E0 domain-name:resolves_to_refs[*].value=203.0.113.2;");
}

static void
test_pattern_terms_anchored(void **state)
{
    (void)state;
    /* AND: one operand's terms, EQUAL before SUBSET, then fewest */
    expect_terms("[file:name LIKE '%.exe' AND file:hashes.MD5 = 'aa']",
                 FUSION_PATTERN_ANCHORED, "E0 file:hashes.MD5=aa;");
    expect_terms("[ipv4-addr:value ISSUBSET '10.0.0.0/8' AND "
                 "ipv4-addr:value IN ('10.0.0.1', '10.0.0.2')]",
                 FUSION_PATTERN_ANCHORED,
                 "E0 ipv4-addr:value=10.0.0.1;E0 ipv4-addr:value=10.0.0.2;");
    expect_terms("[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
                 FUSION_PATTERN_ANCHORED, "S0 ipv4-addr:value=10.0.0.0/8;");
    expect_terms("[url:value = 'http://a/' OR ipv6-addr:value ISSUBSET "
                 "'2001:db8::/32']",
                 FUSION_PATTERN_ANCHORED,
                 "E0 url:value=http://a/;S0 ipv6-addr:value=2001:db8::/32;");
    /* several observations: terms of each, numbered in text order */
    expect_terms("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY "
                 "[domain-name:value = 'x.example'] WITHIN 60 SECONDS",
                 FUSION_PATTERN_ANCHORED,
                 "E0 ipv4-addr:value=1.2.3.4;E1 domain-name:value=x.example;");
    expect_terms("[ipv4-addr:value = '1.2.3.4'] REPEATS 2 TIMES",
                 FUSION_PATTERN_ANCHORED, "E0 ipv4-addr:value=1.2.3.4;");
}

static void
test_pattern_terms_index_step_as_any(void **state)
{
    (void)state;
    expect_terms("[network-traffic:protocols[0] = 'tcp']",
                 FUSION_PATTERN_ANCHORED,
                 "E0 network-traffic:protocols[*]=tcp;");
    expect_terms("[network-traffic:protocols[*] = 'tcp']",
                 FUSION_PATTERN_SIMPLE, "E0 network-traffic:protocols[*]=tcp;");
}

static void
test_pattern_terms_scan(void **state)
{
    (void)state;
    expect_terms("[ipv4-addr:value NOT = '1.2.3.4']", FUSION_PATTERN_SCAN, "");
    expect_terms("[ipv4-addr:value != '1.2.3.4']", FUSION_PATTERN_SCAN, "");
    expect_terms("[file:size = 10]", FUSION_PATTERN_SCAN, "");
    expect_terms("[artifact:payload_bin = 'dGVzdA==']", FUSION_PATTERN_SCAN,
                 "");
    expect_terms("[x-thing:blob_hex = 'ff']", FUSION_PATTERN_SCAN, "");
    expect_terms("[domain-name:value MATCHES '^a']", FUSION_PATTERN_SCAN, "");
    expect_terms("[url:value = 'a' OR url:value LIKE 'b%']",
                 FUSION_PATTERN_SCAN, "");
    /* one unanchored observation makes the whole pattern scanned */
    expect_terms("[url:value = 'a'] FOLLOWEDBY [file:size > 10]",
                 FUSION_PATTERN_SCAN, "");
    /* five keys deep is past what observations offer */
    expect_terms("[x-a:b.c.d.e.f = 'v']", FUSION_PATTERN_SCAN, "");
    expect_terms("[x-a:b.c.d.e = 'v']", FUSION_PATTERN_SIMPLE,
                 "E0 x-a:b.c.d.e=v;");
}

static void
test_pattern_terms_stops_at_callback_error(void **state)
{
    const char *text = "[url:value IN ('a', 'b', 'c')]";
    struct collected c = { .fail_at = 2 };
    enum fusion_pattern_shape shape;
    struct fusion_pattern *pat;

    (void)state;
    fusion_buf_init(&c.text, 0);
    assert_int_equal(fusion_pattern_parse(text, strlen(text), &pat, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_pattern_terms(pat, &shape, collect, &c),
                     FUSION_ERR_CONFLICT);
    assert_int_equal(c.calls, 2);
    fusion_buf_release(&c.text);
    fusion_pattern_free(pat);
}

/* An observation over SCOs given as JSON text, known by their ids. */
struct test_obs {
    json_t *scos;
    const json_t *objects[8];
    const char *refs[8];
    struct fusion_observation obs;
};

static void
obs_load(struct test_obs *t, const char *json)
{
    size_t i;

    t->scos = json_loads(json, 0, NULL);
    assert_non_null(t->scos);
    assert_true(json_array_size(t->scos) <= 8);
    for (i = 0; i < json_array_size(t->scos); i++) {
        t->objects[i] = json_array_get(t->scos, i);
        t->refs[i] = json_string_value(json_object_get(t->objects[i], "id"));
    }
    t->obs.objects = t->objects;
    t->obs.refs = t->refs;
    t->obs.count = i;
}

static void
expect_obs_terms(const char *json, size_t root, const char *want)
{
    struct collected c = { .fail_at = 0 };
    struct test_obs t;

    obs_load(&t, json);
    fusion_buf_init(&c.text, 0);
    assert_int_equal(fusion_observation_terms(&t.obs, root, collect, &c),
                     FUSION_OK);
    if (strcmp(text_of(&c), want) != 0)
        fail_msg("terms '%s', want '%s'", text_of(&c), want);
    fusion_buf_release(&c.text);
    json_decref(t.scos);
}

static void
test_observation_terms_follow_references(void **state)
{
    (void)state;
    expect_obs_terms(
        "[{\"type\": \"network-traffic\", \"src_ref\": \"a\", "
        "\"dst_ref\": \"b\", \"protocols\": [\"ipv4\", \"tcp\"], "
        "\"dst_port\": 443},"
        " {\"type\": \"ipv4-addr\", \"id\": \"a\", \"value\": \"10.0.0.1\"},"
        " {\"type\": \"ipv4-addr\", \"id\": \"b\", \"value\": \"10.0.0.2\"}]",
        0,
        "E0 network-traffic:type=network-traffic;"
        "E0 network-traffic:src_ref=a;"
        "E0 network-traffic:src_ref.type=ipv4-addr;"
        "E0 network-traffic:src_ref.id=a;"
        "E0 network-traffic:src_ref.value=10.0.0.1;"
        "E0 network-traffic:dst_ref=b;"
        "E0 network-traffic:dst_ref.type=ipv4-addr;"
        "E0 network-traffic:dst_ref.id=b;"
        "E0 network-traffic:dst_ref.value=10.0.0.2;"
        "E0 network-traffic:protocols[*]=ipv4;"
        "E0 network-traffic:protocols[*]=tcp;");
    /* a reference to no SCO of the observation counts as absent */
    expect_obs_terms("[{\"type\": \"domain-name\", \"value\": \"x.example\", "
                     "\"resolves_to_refs\": [\"a\", \"zz\"]},"
                     " {\"type\": \"ipv4-addr\", \"id\": \"a\", "
                     "\"value\": \"10.0.0.1\"}]",
                     0,
                     "E0 domain-name:type=domain-name;"
                     "E0 domain-name:value=x.example;"
                     "E0 domain-name:resolves_to_refs[*]=a;"
                     "E0 domain-name:resolves_to_refs[*].type=ipv4-addr;"
                     "E0 domain-name:resolves_to_refs[*].id=a;"
                     "E0 domain-name:resolves_to_refs[*].value=10.0.0.1;"
                     "E0 domain-name:resolves_to_refs[*]=zz;");
}

static void
test_observation_terms_quote_like_the_printer(void **state)
{
    (void)state;
    expect_obs_terms("[{\"type\": \"file\", \"hashes\": {\"SHA-256\": \"ab\", "
                     "\"MD5\": \"cd\"}, \"x_k\": {\"AND\": \"v\", "
                     "\"it's\": \"w\"}}]",
                     0,
                     "E0 file:type=file;"
                     "E0 file:hashes.'SHA-256'=ab;"
                     "E0 file:hashes.MD5=cd;"
                     "E0 file:x_k.'AND'=v;"
                     "E0 file:x_k.'it\\'s'=w;");
}

/* The same path text on both sides, for every path form a pattern has. */
static void
test_terms_paths_agree(void **state)
{
    static const char *const patterns[] = {
        "[file:hashes.'SHA-256' = 'ab']",
        "[file:x_k.'AND' = 'v']",
        "[file:x_k.'it\\'s' = 'w']",
        ("[network-traffic:extensions.'http-request-ext'.request_header."
         "'User-Agent' = 'ua']"),
    };
    const char *sco =
        "[{\"type\": \"file\", \"hashes\": {\"SHA-256\": \"ab\"}, "
        "\"x_k\": {\"AND\": \"v\", \"it's\": \"w\"}},"
        " {\"type\": \"network-traffic\", \"extensions\": "
        "{\"http-request-ext\": {\"request_header\": "
        "{\"User-Agent\": \"ua\"}}}}]";
    struct collected pc, oc;
    struct test_obs t;

    (void)state;
    obs_load(&t, sco);
    fusion_buf_init(&oc.text, 0);
    oc.calls = oc.fail_at = 0;
    for (size_t root = 0; root < t.obs.count; root++)
        assert_int_equal(fusion_observation_terms(&t.obs, root, collect, &oc),
                         FUSION_OK);
    for (size_t i = 0; i < sizeof(patterns) / sizeof(*patterns); i++) {
        enum fusion_pattern_shape shape;
        struct fusion_pattern *pat;

        fusion_buf_init(&pc.text, 0);
        pc.calls = pc.fail_at = 0;
        assert_int_equal(
            fusion_pattern_parse(patterns[i], strlen(patterns[i]), &pat, NULL),
            FUSION_OK);
        assert_int_equal(fusion_pattern_terms(pat, &shape, collect, &pc),
                         FUSION_OK);
        assert_int_equal(shape, FUSION_PATTERN_SIMPLE);
        if (!strstr(text_of(&oc), text_of(&pc)))
            fail_msg("'%s' not among '%s'", text_of(&pc), text_of(&oc));
        fusion_buf_release(&pc.text);
        fusion_pattern_free(pat);
    }
    fusion_buf_release(&oc.text);
    json_decref(t.scos);
}

/* References that loop end at the depth bound. */
static void
test_observation_terms_reference_loop(void **state)
{
    struct collected c = { .fail_at = 0 };
    struct test_obs t;

    (void)state;
    obs_load(&t, "[{\"type\": \"x-a\", \"id\": \"a\", \"next_ref\": \"b\"},"
                 " {\"type\": \"x-b\", \"id\": \"b\", \"next_ref\": \"a\"}]");
    fusion_buf_init(&c.text, 0);
    assert_int_equal(fusion_observation_terms(&t.obs, 0, collect, &c),
                     FUSION_OK);
    assert_non_null(strstr(text_of(&c), "next_ref.next_ref.next_ref.id=b;"));
    assert_null(strstr(text_of(&c), "next_ref.next_ref.next_ref.next_ref."));
    fusion_buf_release(&c.text);
    json_decref(t.scos);
}

struct path_set {
    json_t *accept; /* paths of S and their prefixes before a step */
    json_t *full;   /* the paths of S */
    json_t *list;   /* the terms collected */
};

/* Terms as "path=value" strings, in the order the walk gives them. */
static enum fusion_err
collect_list(void *ctx, const struct fusion_pattern_term *term)
{
    struct path_set *ps = ctx;
    char text[2048];

    snprintf(text, sizeof(text), "%s=%.*s", term->path, (int)term->value_len,
             term->value);
    return json_array_append_new(ps->list, json_string(text)) ? FUSION_ERR_NOMEM
                                                              : FUSION_OK;
}

static bool
accept_path(void *ctx, const char *path, size_t len)
{
    const struct path_set *ps = ctx;

    return json_object_getn(ps->accept, path, len) != NULL;
}

/* Adds path and its prefixes before each '.' or '[' outside quotes. */
static void
set_add(struct path_set *ps, const char *path)
{
    bool quoted = false;

    json_object_set_new(ps->full, path, json_true());
    json_object_set_new(ps->accept, path, json_true());
    for (size_t i = 0; path[i]; i++) {
        if (quoted && path[i] == '\\')
            i++;
        else if (path[i] == '\'')
            quoted = !quoted;
        else if (!quoted && i > 0 && (path[i] == '.' || path[i] == '['))
            json_object_setn_new(ps->accept, path, i, json_true());
    }
}

/*
 * The filtered walk gives exactly the full walk's terms at the paths it
 * accepts, S and their prefixes, so every term at a path of S.
 */
static void
expect_filtered_agrees(const struct test_obs *t, size_t root,
                       const json_t *full, struct path_set *ps)
{
    json_t *got = json_array(), *want = json_array(), *v;
    size_t i;

    json_array_foreach(full, i, v)
    {
        const char *term = json_string_value(v);
        const char *eq = strchr(term, '=');

        if (json_object_getn(ps->accept, term, (size_t)(eq - term)))
            json_array_append(want, v);
    }
    ps->list = got;
    assert_int_equal(fusion_observation_terms_filtered(
                         &t->obs, root, accept_path, collect_list, ps),
                     FUSION_OK);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, 0), *w = json_dumps(want, 0);

        fail_msg("filtered %s, want %s", g, w);
    }
    json_decref(got);
    json_decref(want);
}

static void
test_observation_terms_filtered_like_full(void **state)
{
    static const char *const observations[] = {
        "[{\"type\": \"network-traffic\", \"id\": \"n\", \"src_ref\": "
        "\"a\", \"dst_ref\": \"b\", \"protocols\": [\"ipv4\", \"tcp\"], "
        "\"dst_port\": 443, \"extensions\": {\"http-request-ext\": "
        "{\"request_method\": \"get\", \"request_header\": {\"Host\": "
        "\"h.example\", \"User-Agent\": \"ua\"}}}},"
        " {\"type\": \"ipv4-addr\", \"id\": \"a\", \"value\": \"10.0.0.1\","
        " \"resolves_to_refs\": [\"n\"]},"
        " {\"type\": \"ipv4-addr\", \"id\": \"b\", \"value\": \"10.0.0.2\"}]",
        "[{\"type\": \"file\", \"hashes\": {\"SHA-256\": \"ab\", \"MD5\": "
        "\"cd\", \"a.b\": \"x\", \"it's\": \"y\", \"a[0]\": \"z\"}, "
        "\"name\": \"f\", \"x_list\": [[\"p\", \"q\"], {\"k\": \"r\"}, "
        "\"s\"], \"where\": \"w\", \"and\": \"kw\"}]",
        "[{\"type\": \"domain-name\", \"id\": \"d\", \"value\": "
        "\"a.example\", \"resolves_to_refs\": [\"e\", \"d\", \"none\"]},"
        " {\"type\": \"domain-name\", \"id\": \"e\", \"value\": "
        "\"b.example\", \"resolves_to_refs\": [\"d\"]}]",
    };

    (void)state;
    for (size_t o = 0; o < sizeof(observations) / sizeof(*observations); o++) {
        struct test_obs t;

        obs_load(&t, observations[o]);
        for (size_t root = 0; root < t.obs.count; root++) {
            json_t *full = json_array(), *paths = json_object(), *v;
            struct path_set all = { .list = full };
            const char *path;
            size_t i, n = 0;

            assert_int_equal(
                fusion_observation_terms(&t.obs, root, collect_list, &all),
                FUSION_OK);
            json_array_foreach(full, i, v)
            {
                const char *term = json_string_value(v);

                json_object_setn_new(paths, term,
                                     (size_t)(strchr(term, '=') - term),
                                     json_true());
            }
            /* no path, each path alone, every other path, and all */
            for (size_t pick = 0; pick < json_object_size(paths) + 3; pick++) {
                struct path_set ps = { json_object(), json_object(), NULL };

                n = 0;
                json_object_foreach(paths, path, v)
                {
                    if ((pick >= 1 && pick - 1 == n) ||
                        (pick == json_object_size(paths) + 1 && n % 2 == 0) ||
                        pick == json_object_size(paths) + 2)
                        set_add(&ps, path);
                    n++;
                }
                expect_filtered_agrees(&t, root, full, &ps);
                json_decref(ps.accept);
                json_decref(ps.full);
            }
            json_decref(paths);
            json_decref(full);
        }
        json_decref(t.scos);
    }
}

/* Paths that compare ids or reference texts depend on naming. */
static void
test_pattern_reads_ids(void **state)
{
    static const struct {
        const char *pattern;
        bool reads;
    } cases[] = {
        { "[ipv4-addr:value = '1.2.3.4']", false },
        { "[network-traffic:dst_ref.value = '1.2.3.4']", false },
        { "[network-traffic:dst_ref = 'ipv4-addr--x']", true },
        { "[domain-name:resolves_to_refs[*] = 'x']", true },
        { "[domain-name:resolves_to_refs[*].value = 'x']", false },
        { "[ipv4-addr:id = 'x'] FOLLOWEDBY [url:value = 'y']", true },
        { "[url:value = 'y' AND url:spec_version = '2.1']", true },
        { "[file:hashes.id = 'x']", true },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct fusion_pattern *pat;

        assert_int_equal(fusion_pattern_parse(cases[i].pattern,
                                              strlen(cases[i].pattern), &pat,
                                              NULL),
                         FUSION_OK);
        if (fusion_pattern_reads_ids(pat) != cases[i].reads)
            fail_msg("'%s'", cases[i].pattern);
        fusion_pattern_free(pat);
    }
}

static void
test_path_folds(void **state)
{
    static const struct {
        const char *path;
        bool folds;
    } cases[] = {
        { "hashes.'SHA-256'", true },
        { "hashes.MD5", true },
        { "content_ref.hashes.'SHA-1'", true },
        { "hashes.SSDEEP", false },
        { "hashes.'TLSH'", false },
        { "hashes", false },
        { "x_hashes.MD5", false },
        { "name", false },
        { "extensions.'x.hashes'.MD5", false },
        { "hashes.'a.b'", true },
        { "hashes[0]", false },
        { "serial_number", true },
        { "x_serial_number", false },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (fusion_pattern_path_folds(cases[i].path, strlen(cases[i].path)) !=
            cases[i].folds)
            fail_msg("'%s': folds should be %d", cases[i].path, cases[i].folds);
    }
}

/* Hash names spelled otherwise become the vocabulary's. */
static void
test_hash_names(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "[file:hashes.md5 = 'a']", "[file:hashes.MD5 = 'a']" },
        { "[file:hashes.SHA256 = 'a']", "[file:hashes.'SHA-256' = 'a']" },
        { "[file:hashes.'sha-1' = 'a' AND file:name = 'x']",
          "[file:hashes.'SHA-1' = 'a' AND file:name = 'x']" },
        { "[artifact:hashes.ssdeep = 'a']", "[artifact:hashes.SSDEEP = 'a']" },
        { "[file:hashes.'SHA-256' = 'a']", "[file:hashes.'SHA-256' = 'a']" },
        { "[file:hashes.x_custom = 'a']", "[file:hashes.x_custom = 'a']" },
        { "[file:x_hashes.md5 = 'a']", "[file:x_hashes.md5 = 'a']" },
        { "[x-s:md5 = 'a']", "[x-s:md5 = 'a']" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fusion_pattern *p = NULL;
        struct fusion_error err;
        struct fusion_buf out;

        assert_int_equal(
            fusion_pattern_parse(cases[i].in, strlen(cases[i].in), &p, &err),
            FUSION_OK);
        fusion_pattern_hash_names(p);
        fusion_buf_init(&out, 0);
        assert_int_equal(fusion_pattern_print(p, &out), FUSION_OK);
        assert_string_equal(out.data, cases[i].out);
        fusion_buf_release(&out);
        fusion_pattern_free(p);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_folds),
        cmocka_unit_test(test_hash_names),
        cmocka_unit_test(test_pattern_terms_simple),
        cmocka_unit_test(test_pattern_terms_anchored),
        cmocka_unit_test(test_pattern_terms_index_step_as_any),
        cmocka_unit_test(test_pattern_terms_scan),
        cmocka_unit_test(test_pattern_terms_stops_at_callback_error),
        cmocka_unit_test(test_observation_terms_follow_references),
        cmocka_unit_test(test_observation_terms_quote_like_the_printer),
        cmocka_unit_test(test_terms_paths_agree),
        cmocka_unit_test(test_observation_terms_reference_loop),
        cmocka_unit_test(test_observation_terms_filtered_like_full),
        cmocka_unit_test(test_pattern_reads_ids),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
