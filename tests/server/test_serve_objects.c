/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Items T-S-40 to T-S-57 of the TAXII 2.1 conformance checklist (implementer
 * notes, section 11) against fusion serve over HTTP on loopback, one test
 * per item: objects, manifest, versions, filters and paging.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server_checks.h"
#include "util/util.h"

/*
 * Objects, manifest, versions
 */

static void
test_t_s_40_envelopes(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN], id[64];
    json_t *env;

    (void)state;
    srv_new_collection("envelope", alias, coll);
    env = srv_get(alice, srv_path(path, coll, "objects/"), 200);
    srv_check(env, R_ENVELOPE, CHECK_REQUIRED | CHECK_NAMES);
    assert_int_equal(srv_count(env, "objects"), 0);
    json_decref(env);

    srv_post_ok(coll, srv_objects(fixture_indicator(0x40, 1, NULL),
                                  fixture_indicator(0x40, 2, NULL), NULL));
    env = srv_get(alice, srv_path(path, coll, "objects/"), 200);
    srv_check(env, R_ENVELOPE, CHECK_REQUIRED | CHECK_NAMES);
    assert_int_equal(srv_count(env, "objects"), 2);
    assert_null(json_object_get(env, "type")); /* not a bundle */
    json_decref(env);

    fixture_indicator_id(0x40, 2, id);
    env = srv_get(alice, srv_path(path, coll, "objects/%s/", id), 200);
    srv_check(env, R_ENVELOPE, CHECK_REQUIRED | CHECK_NAMES);
    assert_int_equal(srv_count(env, "objects"), 1);
    assert_int_equal(srv_count_matching(env, id, NULL), 1);
    json_decref(env);

    env = srv_get(alice, srv_path(path, coll, "objects/?match[type]=malware"),
                  200);
    srv_check(env, R_ENVELOPE, CHECK_REQUIRED | CHECK_NAMES);
    assert_int_equal(srv_count(env, "objects"), 0);
    json_decref(env);
}

/*
 * The ids of a listing, one per line, in order; with their versions
 * when versions is set.
 */
static void
sequence(json_t *res, bool versions, char *out, size_t size)
{
    size_t i, n = 0;
    json_t *o;

    out[0] = '\0';
    json_array_foreach(srv_items(res, "objects"), i, o) n +=
        (size_t)snprintf(out + n, size - n, "%s@%s\n", srv_id(o),
                         versions ? srv_version(o) : "");
}

/* Fails unless the date_added values of a manifest strictly ascend. */
static void
expect_ascending(json_t *manifest)
{
    int64_t last = INT64_MIN, t;
    size_t i;
    json_t *rec;

    json_array_foreach(srv_items(manifest, "objects"), i, rec)
    {
        t = fixture_time_ns(srv_str(rec, "date_added"));
        if (t <= last)
            fail_msg("date_added not ascending at record %zu: %s", i,
                     json_dumps(manifest, 0));
        last = t;
    }
}

static void
test_t_s_41_ascending_date_added(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN];
    char by_objects[4096], by_manifest[4096];
    json_t *m, *o;

    (void)state;
    srv_new_collection("ascending", alias, coll);
    srv_post_ok(coll, srv_objects(fixture_indicator(0x41, 5, T1),
                                  fixture_indicator(0x41, 3, T1), NULL));
    srv_post_ok(
        coll, srv_objects(srv_malware(0x41, 1), srv_observable(0x41, 2), NULL));
    srv_post_ok(coll, srv_objects(fixture_indicator(0x41, 5, T2), NULL));
    srv_post_ok(coll, srv_objects(fixture_indicator(0x41, 1, T1), NULL));

    m = srv_get(alice, srv_path(path, coll, "manifest/?match[version]=all"),
                200);
    o = srv_get(alice, srv_path(path, coll, "objects/?match[version]=all"),
                200);
    assert_int_equal(srv_count(m, "objects"), 6);
    expect_ascending(m);
    /* an observable's version is in the manifest only */
    sequence(m, false, by_manifest, sizeof(by_manifest));
    sequence(o, false, by_objects, sizeof(by_objects));
    assert_string_equal(by_objects, by_manifest);
    /* the order of arrival, which date_added follows */
    assert_string_equal(
        srv_str(json_array_get(srv_items(m, "objects"), 5), "id"),
        "indicator--00000041-0000-4000-8000-000000000001");
    json_decref(m);
    json_decref(o);

    m = srv_get(alice, srv_path(path, coll, "manifest/"), 200);
    expect_ascending(m);
    json_decref(m);
}

/* The date_added of the first and last records of a manifest. */
static void
manifest_bounds(json_t *m, const char **first, const char **last)
{
    size_t n = srv_count(m, "objects");

    assert_true(n > 0);
    *first = srv_str(json_array_get(srv_items(m, "objects"), 0), "date_added");
    *last =
        srv_str(json_array_get(srv_items(m, "objects"), n - 1), "date_added");
}

/* GETs rest of coll; its date headers must be those of manifest m. */
static void
expect_date_headers(const char *coll, const char *rest, json_t *m)
{
    char path[PATH_LEN];
    struct fixture_reply r;
    const char *first, *last;

    manifest_bounds(m, &first, &last);
    fixture_get(srv, alice, srv_path(path, coll, "%s", rest), &r);
    fixture_expect(srv, &r, 200);
    if (!fixture_header(&r, "X-TAXII-Date-Added-First") ||
        !fixture_header(&r, "X-TAXII-Date-Added-Last"))
        fail_msg("GET %s: no X-TAXII-Date-Added headers", path);
    assert_string_equal(fixture_header(&r, "X-TAXII-Date-Added-First"), first);
    assert_string_equal(fixture_header(&r, "X-TAXII-Date-Added-Last"), last);
    fixture_reply_release(&r);
}

static void
test_t_s_42_date_added_headers(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN], id[64], rest[256];
    json_t *m;

    (void)state;
    srv_new_collection("headers", alias, coll);
    fixture_indicator_id(0x42, 1, id);
    srv_post_ok(coll, srv_objects(fixture_indicator(0x42, 1, T1),
                                  fixture_indicator(0x42, 2, T1), NULL));
    srv_post_ok(coll, srv_objects(fixture_indicator(0x42, 1, T2),
                                  fixture_indicator(0x42, 3, T1), NULL));
    srv_post_ok(coll, srv_objects(fixture_indicator(0x42, 1, T3), NULL));

    m = srv_get(alice, srv_path(path, coll, "manifest/?match[version]=all"),
                200);
    expect_date_headers(coll, "manifest/?match[version]=all", m);
    expect_date_headers(coll, "objects/?match[version]=all", m);
    json_decref(m);

    m = srv_get(alice, srv_path(path, coll, "manifest/?limit=2"), 200);
    expect_date_headers(coll, "manifest/?limit=2", m);
    expect_date_headers(coll, "objects/?limit=2", m);
    json_decref(m);

    snprintf(rest, sizeof(rest), "manifest/?match[id]=%s&match[version]=all",
             id);
    m = srv_get(alice, srv_path(path, coll, "%s", rest), 200);
    assert_int_equal(srv_count(m, "objects"), 3);
    snprintf(rest, sizeof(rest), "objects/%s/?match[version]=all", id);
    expect_date_headers(coll, rest, m);
    snprintf(rest, sizeof(rest), "objects/%s/versions/", id);
    expect_date_headers(coll, rest, m);
    json_decref(m);

    snprintf(rest, sizeof(rest), "manifest/?match[id]=%s", id);
    m = srv_get(alice, srv_path(path, coll, "%s", rest), 200);
    assert_int_equal(srv_count(m, "objects"), 1);
    snprintf(rest, sizeof(rest), "objects/%s/", id);
    expect_date_headers(coll, rest, m);
    json_decref(m);
}

static void
expect_page(const char *coll, const char *rest, size_t n, bool more)
{
    char path[PATH_LEN];
    json_t *v = srv_get(alice, srv_path(path, coll, "%s", rest), 200);

    if (srv_count(v, "objects") != n || srv_is_more(v) != more)
        fail_msg("GET %s: %zu objects, more %d; expected %zu, more %d: %s",
                 path, srv_count(v, "objects"), srv_is_more(v), n, more,
                 json_dumps(v, 0));
    json_decref(v);
}

static void
expect_versions_page(const char *coll, const char *id, const char *query,
                     size_t n, bool more)
{
    char path[PATH_LEN];
    json_t *v = srv_get(
        alice, srv_path(path, coll, "objects/%s/versions/?%s", id, query), 200);

    if (srv_count(v, "versions") != n || srv_is_more(v) != more)
        fail_msg("GET %s: %zu versions, more %d; expected %zu, more %d", path,
                 srv_count(v, "versions"), srv_is_more(v), n, more);
    json_decref(v);
}

static void
test_t_s_43_limit_and_more(void **state)
{
    char alias[64], coll[COLL_LEN], big_alias[64], big[COLL_LEN], id[64];
    json_t *objs;

    (void)state;
    srv_new_collection("limit", alias, coll);
    objs = json_array();
    for (uint32_t i = 0; i < 5; i++)
        json_array_append_new(objs, fixture_indicator(0x43, i, NULL));
    srv_post_ok(coll, objs);
    for (int e = 0; e < 2; e++) {
        const char *ep = e ? "manifest" : "objects";
        char rest[64];

        snprintf(rest, sizeof(rest), "%s/?limit=2", ep);
        expect_page(coll, rest, 2, true);
        snprintf(rest, sizeof(rest), "%s/?limit=4", ep);
        expect_page(coll, rest, 4, true);
        snprintf(rest, sizeof(rest), "%s/?limit=5", ep);
        expect_page(coll, rest, 5, false);
        snprintf(rest, sizeof(rest), "%s/?limit=6", ep);
        expect_page(coll, rest, 5, false);
        snprintf(rest, sizeof(rest), "%s/", ep);
        expect_page(coll, rest, 5, false);
    }

    /* the server's own limit, --page-size 100 */
    srv_new_collection("limit-server", big_alias, big);
    objs = json_array();
    for (uint32_t i = 0; i < 120; i++)
        json_array_append_new(objs, fixture_indicator(0x4301, i, NULL));
    srv_post_ok(big, objs);
    expect_page(big, "objects/", 100, true);
    expect_page(big, "objects/?limit=500", 100, true);
    expect_page(big, "manifest/", 100, true);
    expect_page(big, "objects/?limit=100", 100, true);

    /* the versions of one object page the same way */
    srv_post_ok(coll, srv_objects(fixture_indicator(0x43, 0, T1),
                                  fixture_indicator(0x43, 0, T2), NULL));
    fixture_indicator_id(0x43, 0, id);
    expect_versions_page(coll, id, "limit=2", 2, true);
    expect_versions_page(coll, id, "limit=3", 3, false);
    expect_versions_page(coll, id, "limit=9", 3, false);
}

static void
test_t_s_44_bad_limit_400(void **state)
{
    static const char *const limits[] = { "0", "-1",    "abc", "1.5",
                                          "",  "10abc", "+5",  "0x10" };
    char alias[64], coll[COLL_LEN], path[PATH_LEN], id[64];

    (void)state;
    srv_new_collection("bad-limit", alias, coll);
    srv_post_ok(coll, srv_objects(fixture_indicator(0x44, 1, NULL), NULL));
    fixture_indicator_id(0x44, 1, id);
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        json_decref(srv_get(
            alice, srv_path(path, coll, "objects/?limit=%s", limits[i]), 400));
        json_decref(srv_get(
            alice, srv_path(path, coll, "manifest/?limit=%s", limits[i]), 400));
        json_decref(
            srv_get(alice,
                    srv_path(path, coll, "objects/%s/versions/?limit=%s", id,
                             limits[i]),
                    400));
    }
}

/* A collection of n indicators, one POST each; its manifest of all. */
static json_t *
filled(const char *name, uint32_t group, uint32_t n, char *coll)
{
    char alias[64], path[PATH_LEN];

    srv_new_collection(name, alias, coll);
    for (uint32_t i = 0; i < n; i++)
        srv_post_ok(coll, srv_objects(fixture_indicator(group, i, NULL), NULL));
    return srv_get(alice, srv_path(path, coll, "manifest/"), 200);
}

/* Percent-encodes s into out for a query. */
static char *
query_escape(const char *s, char *out, size_t size)
{
    char *e = curl_easy_escape(NULL, s, 0);

    snprintf(out, size, "%s", e);
    curl_free(e);
    return out;
}

static void
test_t_s_45_next_paging(void **state)
{
    char coll[COLL_LEN], other[COLL_LEN], path[PATH_LEN], next[1024];
    char got[8192], want[8192];
    size_t n = 0, pages = 0;
    json_t *all, *page, *other_m;
    char esc[1024];
    bool more;

    (void)state;
    all = filled("next", 0x45, 7, coll);
    sequence(all, true, want, sizeof(want));
    got[0] = '\0';
    next[0] = '\0';
    do {
        page = srv_get(alice,
                       srv_path(path, coll,
                                "objects/?match[type]=indicator&"
                                "limit=3%s%s",
                                *next ? "&next=" : "", next),
                       200);
        pages++;
        assert_true(srv_count(page, "objects") <= 3);
        sequence(page, true, got + n, sizeof(got) - n);
        n = strlen(got);
        more = srv_is_more(page);
        if (more) {
            assert_non_null(srv_str(page, "next"));
            query_escape(srv_str(page, "next"), next, sizeof(next));
        }
        json_decref(page);
    } while (more && pages < 10);
    assert_int_equal(pages, 3);
    assert_string_equal(got, want);

    /* the cursor of a page, with other filters or elsewhere: 400 */
    page = srv_get(alice, srv_path(path, coll, "objects/?limit=3"), 200);
    query_escape(srv_str(page, "next"), next, sizeof(next));
    json_decref(page);
    json_decref(srv_get(
        alice, srv_path(path, coll, "objects/?limit=3&next=%s", next), 200));
    json_decref(srv_get(
        alice,
        srv_path(path, coll, "objects/?limit=3&match[type]=indicator&next=%s",
                 next),
        400));
    json_decref(srv_get(
        alice,
        srv_path(path, coll,
                 "objects/?limit=3&added_after=2000-01-01T00:00:00Z&next=%s",
                 next),
        400));
    json_decref(srv_get(
        alice, srv_path(path, coll, "manifest/?limit=3&next=%s", next), 400));
    other_m = filled("next-other", 0x4501, 4, other);
    json_decref(other_m);
    json_decref(srv_get(
        alice, srv_path(path, other, "objects/?limit=3&next=%s", next), 400));
    /* a cursor altered by one character */
    snprintf(esc, sizeof(esc), "%s", next);
    esc[strlen(esc) / 2] = esc[strlen(esc) / 2] == 'A' ? 'B' : 'A';
    json_decref(srv_get(
        alice, srv_path(path, coll, "objects/?limit=3&next=%s", esc), 400));
    json_decref(all);
}

static void
test_t_s_46_added_after_paging(void **state)
{
    char coll[COLL_LEN], path[PATH_LEN], after[64], got[8192], want[8192];
    struct fixture_reply r;
    size_t n = 0, pages = 0;
    bool more;
    json_t *all;

    (void)state;
    all = filled("added-after-paging", 0x46, 7, coll);
    sequence(all, true, want, sizeof(want));
    got[0] = '\0';
    snprintf(after, sizeof(after), "2000-01-01T00:00:00.000000Z");
    do {
        fixture_get(
            srv, alice,
            srv_path(path, coll, "objects/?limit=3&added_after=%s", after), &r);
        fixture_expect(srv, &r, 200);
        pages++;
        assert_true(srv_count(r.json, "objects") <= 3);
        sequence(r.json, true, got + n, sizeof(got) - n);
        n = strlen(got);
        more = srv_is_more(r.json);
        if (srv_count(r.json, "objects")) {
            assert_non_null(fixture_header(&r, "X-TAXII-Date-Added-Last"));
            snprintf(after, sizeof(after), "%s",
                     fixture_header(&r, "X-TAXII-Date-Added-Last"));
        }
        fixture_reply_release(&r);
    } while (more && pages < 10);
    assert_int_equal(pages, 3);
    assert_string_equal(got, want);
    json_decref(all);
}

static void
test_t_s_47_added_after_excludes(void **state)
{
    char coll[COLL_LEN], path[PATH_LEN], ts[FUSION_TS_MAX];
    const char *added;
    json_t *all, *v;
    int64_t ns;

    (void)state;
    all = filled("added-after", 0x47, 5, coll);
    added = srv_str(json_array_get(srv_items(all, "objects"), 2), "date_added");
    v = srv_get(alice, srv_path(path, coll, "manifest/?added_after=%s", added),
                200);
    assert_int_equal(srv_count(v, "objects"), 2);
    assert_string_equal(srv_id(json_array_get(srv_items(v, "objects"), 0)),
                        srv_id(json_array_get(srv_items(all, "objects"), 3)));
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll, "objects/?added_after=%s", added),
                200);
    assert_int_equal(srv_count(v, "objects"), 2);
    json_decref(v);

    /* a microsecond earlier takes that record in */
    ns = fixture_time_ns(added) - 1000;
    fusion_ts_format(ns, 6, ts);
    v = srv_get(alice, srv_path(path, coll, "manifest/?added_after=%s", ts),
                200);
    assert_int_equal(srv_count(v, "objects"), 3);
    json_decref(v);

    added = srv_str(json_array_get(srv_items(all, "objects"), 4), "date_added");
    v = srv_get(alice, srv_path(path, coll, "objects/?added_after=%s", added),
                200);
    assert_int_equal(srv_count(v, "objects"), 0);
    json_decref(v);
    json_decref(all);
}

/* A collection with X in three versions, a marking and another indicator. */
static void
versioned(const char *name, uint32_t group, char *coll, char *x)
{
    char alias[64];

    srv_new_collection(name, alias, coll);
    fixture_indicator_id(group, 1, x);
    srv_post_ok(coll, srv_objects(fixture_indicator(group, 1, T1),
                                  fixture_indicator(group, 2, T1), NULL));
    srv_post_ok(coll, srv_objects(fixture_indicator(group, 1, T3),
                                  srv_marking(group, 3), NULL));
    srv_post_ok(coll, srv_objects(fixture_indicator(group, 1, T2), NULL));
}

static void
test_t_s_48_latest_version_default(void **state)
{
    char coll[COLL_LEN], path[PATH_LEN], x[64];
    json_t *v;

    (void)state;
    versioned("latest", 0x48, coll, x);
    v = srv_get(alice, srv_path(path, coll, "objects/"), 200);
    assert_int_equal(srv_count(v, "objects"), 3);
    assert_int_equal(srv_count_matching(v, x, T3), 1);
    assert_int_equal(srv_count_matching(v, x, NULL), 1);
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll, "manifest/"), 200);
    assert_int_equal(srv_count(v, "objects"), 3);
    assert_int_equal(srv_count_matching(v, x, T3), 1);
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll, "objects/%s/", x), 200);
    assert_int_equal(srv_count(v, "objects"), 1);
    assert_int_equal(srv_count_matching(v, x, T3), 1);
    json_decref(v);
}

/* The versions of x that a query of coll returns, as "T1 T3 " and so on. */
static void
expect_versions(const char *coll, const char *x, const char *query,
                const char *const *want)
{
    char path[PATH_LEN];
    size_t n = 0;
    json_t *v;

    for (int ep = 0; ep < 2; ep++) {
        if (ep == 0)
            srv_path(path, coll, "objects/?match[id]=%s&%s", x, query);
        else
            srv_path(path, coll, "objects/%s/?%s", x, query);
        v = srv_get(alice, path, 200);
        for (n = 0; want[n]; n++) {
            if (srv_count_matching(v, x, want[n]) != 1)
                fail_msg("GET %s lacks %s: %s", path, want[n],
                         json_dumps(v, 0));
        }
        if (srv_count(v, "objects") != n)
            fail_msg("GET %s: %zu objects, expected %zu", path,
                     srv_count(v, "objects"), n);
        json_decref(v);
    }
}

static void
test_t_s_49_version_selection(void **state)
{
    char coll[COLL_LEN], path[PATH_LEN], x[64], m[64];
    json_t *v;

    (void)state;
    versioned("versions", 0x49, coll, x);
    expect_versions(coll, x, "match[version]=first",
                    (const char *[]){ T1, NULL });
    expect_versions(coll, x, "match[version]=last",
                    (const char *[]){ T3, NULL });
    expect_versions(coll, x, "match[version]=all",
                    (const char *[]){ T1, T2, T3, NULL });
    expect_versions(coll, x, "match[version]=" T2,
                    (const char *[]){ T2, NULL });
    expect_versions(coll, x, "match[version]=first,last",
                    (const char *[]){ T1, T3, NULL });
    expect_versions(coll, x, "match[version]=" T1 "," T3,
                    (const char *[]){ T1, T3, NULL });
    expect_versions(coll, x, "match[version]=first," T2,
                    (const char *[]){ T1, T2, NULL });
    expect_versions(coll, x, "match[version]=first," T2 ",last",
                    (const char *[]){ T1, T2, T3, NULL });
    /* the same instant written otherwise still names the version */
    expect_versions(coll, x, "match[version]=2021-02-01T00:00:00Z",
                    (const char *[]){ T2, NULL });

    /* one version per object across the collection */
    v = srv_get(alice, srv_path(path, coll, "objects/?match[version]=first"),
                200);
    assert_int_equal(srv_count(v, "objects"), 3);
    assert_int_equal(srv_count_matching(v, x, T1), 1);
    json_decref(v);

    /* an object without modified goes by created */
    snprintf(m, sizeof(m), "marking-definition--%08x-0000-4000-8000-%012x",
             0x49u, 3u);
    v = srv_get(alice,
                srv_path(path, coll, "objects/%s/?match[version]=%s", m,
                         MARKING_CREATED),
                200);
    assert_int_equal(srv_count_matching(v, m, NULL), 1);
    json_decref(v);
}

static void
test_t_s_50_repeated_or_combined_400(void **state)
{
    static const char *const queries[] = {
        "match[version]=all,last",
        "match[version]=first,all",
        "match[version]=all," T1,
        "match[version]=first,first",
        "match[version]=" T1 "," T1,
        "match[version]=first&match[version]=last",
        "added_after=" T1 "&added_after=" T2,
        "match[type]=indicator&match[type]=malware",
        "match[id]=indicator--00000050-0000-4000-8000-000000000001"
        "&match[id]=indicator--00000050-0000-4000-8000-000000000002",
        "match[spec_version]=2.1&match[spec_version]=2.0",
        "match[spec_version]=2.1,2.1",
        "match[type]=indicator,indicator",
    };
    char alias[64], coll[COLL_LEN], path[PATH_LEN], id[64];

    (void)state;
    srv_new_collection("repeated", alias, coll);
    srv_post_ok(coll, srv_objects(fixture_indicator(0x50, 1, NULL), NULL));
    fixture_indicator_id(0x50, 1, id);
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        json_decref(srv_get(
            alice, srv_path(path, coll, "objects/?%s", queries[i]), 400));
        json_decref(srv_get(
            alice, srv_path(path, coll, "manifest/?%s", queries[i]), 400));
    }
    json_decref(srv_get(
        alice, srv_path(path, coll, "objects/%s/?match[version]=all,first", id),
        400));
}

static void
test_t_s_51_match_type(void **state)
{
    static const char *const stix21_types =
        "attack-pattern,campaign,course-of-action,grouping,identity,"
        "incident,indicator,infrastructure,intrusion-set,location,malware,"
        "malware-analysis,note,observed-data,opinion,report,threat-actor,"
        "tool,vulnerability,relationship,sighting,artifact,"
        "autonomous-system,directory,domain-name,email-addr,email-message,"
        "file,ipv4-addr,ipv6-addr,mac-addr,mutex,network-traffic,process,"
        "software,url,user-account,windows-registry-key,x509-certificate,"
        "language-content,marking-definition,extension-definition";
    char alias[64], coll[COLL_LEN], path[PATH_LEN];
    size_t i;
    json_t *v, *o;

    (void)state;
    srv_new_collection("types", alias, coll);
    srv_post_ok(coll, srv_objects(fixture_indicator(0x51, 1, NULL),
                                  fixture_indicator(0x51, 2, NULL),
                                  srv_malware(0x51, 3), srv_observable(0x51, 4),
                                  NULL));
    v = srv_get(alice, srv_path(path, coll, "objects/?match[type]=indicator"),
                200);
    assert_int_equal(srv_count(v, "objects"), 2);
    json_array_foreach(srv_items(v, "objects"), i, o)
        assert_string_equal(srv_str(o, "type"), "indicator");
    json_decref(v);
    v = srv_get(alice,
                srv_path(path, coll, "manifest/?match[type]=malware,ipv4-addr"),
                200);
    assert_int_equal(srv_count(v, "objects"), 2);
    json_decref(v);
    v = srv_get(alice,
                srv_path(path, coll, "objects/?match[type]=%s", stix21_types),
                200);
    assert_int_equal(srv_count(v, "objects"), 4);
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll, "objects/?match[type]=grouping"),
                200);
    assert_int_equal(srv_count(v, "objects"), 0);
    json_decref(v);
}

static void
test_t_s_52_match_id(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN], a[64], c[64], none[64];
    json_t *v;

    (void)state;
    srv_new_collection("ids", alias, coll);
    srv_post_ok(coll, srv_objects(fixture_indicator(0x52, 1, NULL),
                                  fixture_indicator(0x52, 2, NULL),
                                  fixture_indicator(0x52, 3, NULL), NULL));
    fixture_indicator_id(0x52, 1, a);
    fixture_indicator_id(0x52, 3, c);
    fixture_indicator_id(0x52, 9, none);
    v = srv_get(alice, srv_path(path, coll, "objects/?match[id]=%s,%s", a, c),
                200);
    assert_int_equal(srv_count(v, "objects"), 2);
    assert_int_equal(srv_count_matching(v, a, NULL), 1);
    assert_int_equal(srv_count_matching(v, c, NULL), 1);
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll, "manifest/?match[id]=%s", c), 200);
    assert_int_equal(srv_count(v, "objects"), 1);
    assert_int_equal(srv_count_matching(v, c, NULL), 1);
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll, "objects/?match[id]=%s", none),
                200);
    assert_int_equal(srv_count(v, "objects"), 0);
    json_decref(v);
}

static void
expect_spec_versions(json_t *v, const char *allowed)
{
    size_t i;
    json_t *o;

    json_array_foreach(srv_items(v, "objects"), i, o)
    {
        const char *sv = srv_str(o, "spec_version");

        if (!sv || !strstr(allowed, sv))
            fail_msg("spec_version %s outside %s", sv ? sv : "(none)", allowed);
    }
}

static void
test_t_s_53_match_spec_version(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN];
    json_t *v;

    (void)state;
    srv_new_collection("spec", alias, coll);
    /* a STIX 2.0 indicator, which the server upgrades, and a 2.1 one */
    srv_post_ok(
        coll,
        srv_objects(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "type",
                              "indicator", "id",
                              "indicator--00000053-0000-4000-8000-000000000001",
                              "created", T1, "modified", T1, "valid_from", T1,
                              "pattern", "[ipv4-addr:value = '203.0.113.53']",
                              "labels", "malicious-activity"),
                    fixture_indicator(0x53, 2, NULL), NULL));
    v = srv_get(alice, srv_path(path, coll, "objects/"), 200);
    assert_int_equal(srv_count(v, "objects"), 2);
    expect_spec_versions(v, "2.1");
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll, "objects/?match[spec_version]=2.1"),
                200);
    assert_int_equal(srv_count(v, "objects"), 2);
    expect_spec_versions(v, "2.1");
    json_decref(v);
    v = srv_get(alice, srv_path(path, coll, "objects/?match[spec_version]=2.0"),
                200);
    expect_spec_versions(v, "2.0");
    json_decref(v);
    v = srv_get(alice,
                srv_path(path, coll, "objects/?match[spec_version]=2.0,2.1"),
                200);
    assert_int_equal(srv_count(v, "objects"), 2);
    json_decref(v);
    v = srv_get(alice,
                srv_path(path, coll, "manifest/?match[spec_version]=2.1"), 200);
    assert_int_equal(srv_count(v, "objects"), 2);
    json_decref(v);
}

static void
test_t_s_54_fields_and_values_or(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN], i1[64], i2[64], m1[64];
    json_t *v;

    (void)state;
    srv_new_collection("and-or", alias, coll);
    srv_post_ok(coll,
                srv_objects(fixture_indicator(0x54, 1, NULL),
                            fixture_indicator(0x54, 2, NULL),
                            srv_malware(0x54, 1), srv_malware(0x54, 2), NULL));
    fixture_indicator_id(0x54, 1, i1);
    fixture_indicator_id(0x54, 2, i2);
    snprintf(m1, sizeof(m1), "malware--%08x-0000-4000-8000-%012x", 0x54u, 1u);
    v = srv_get(
        alice,
        srv_path(path, coll, "objects/?match[type]=indicator&match[id]=%s", m1),
        200);
    assert_int_equal(srv_count(v, "objects"), 0);
    json_decref(v);
    v = srv_get(
        alice,
        srv_path(path, coll,
                 "objects/?match[type]=indicator,malware&match[id]=%s,%s", i1,
                 m1),
        200);
    assert_int_equal(srv_count(v, "objects"), 2);
    assert_int_equal(srv_count_matching(v, i1, NULL), 1);
    assert_int_equal(srv_count_matching(v, m1, NULL), 1);
    json_decref(v);
    v = srv_get(alice,
                srv_path(path, coll,
                         "manifest/?match[type]=indicator&match[id]=%s,%s,%s"
                         "&match[version]=last",
                         i1, i2, m1),
                200);
    assert_int_equal(srv_count(v, "objects"), 2);
    assert_int_equal(srv_count_matching(v, m1, NULL), 0);
    json_decref(v);
}

static void
test_t_s_55_manifest_records(void **state)
{
    char coll[COLL_LEN], path[PATH_LEN], x[64];
    json_t *m, *c, *rec, *mt;
    size_t i, j;

    (void)state;
    versioned("records", 0x55, coll, x);
    c = srv_get(alice, srv_path(path, coll, "%s", ""), 200);
    m = srv_get(alice, srv_path(path, coll, "manifest/?match[version]=all"),
                200);
    assert_int_equal(srv_count(m, "objects"), 5);
    json_array_foreach(srv_items(m, "objects"), i, rec)
    {
        const char *type = srv_str(rec, "media_type");
        bool listed = false;

        srv_check(rec, R_MANIFEST_RECORD, CHECK_REQUIRED | CHECK_NAMES);
        if (!type)
            continue;
        if (!json_object_get(c, "media_types"))
            listed = strcmp(type, "application/stix+json") == 0;
        json_array_foreach(srv_items(c, "media_types"), j, mt) listed =
            listed || strcmp(json_string_value(mt), type) == 0;
        if (!listed)
            fail_msg("media_type %s is not one of the collection's: %s", type,
                     json_dumps(c, 0));
    }
    json_decref(m);
    json_decref(c);
}

static void
test_t_s_56_manifest_version(void **state)
{
    char coll[COLL_LEN], path[PATH_LEN], x[64], m[64];
    json_t *v;

    (void)state;
    versioned("manifest-version", 0x56, coll, x);
    snprintf(m, sizeof(m), "marking-definition--%08x-0000-4000-8000-%012x",
             0x56u, 3u);
    v = srv_get(alice, srv_path(path, coll, "manifest/?match[version]=all"),
                200);
    assert_int_equal(srv_count_matching(v, x, T1), 1);
    assert_int_equal(srv_count_matching(v, x, T2), 1);
    assert_int_equal(srv_count_matching(v, x, T3), 1);
    assert_int_equal(srv_count_matching(v, m, MARKING_CREATED), 1);
    json_decref(v);
}

static void
test_t_s_57_versions_list(void **state)
{
    char coll[COLL_LEN], path[PATH_LEN], x[64], m[64], want[256], got[256];
    size_t i, n = 0;
    json_t *v, *s;

    (void)state;
    versioned("versions-list", 0x57, coll, x);
    v = srv_get(alice, srv_path(path, coll, "objects/%s/versions/", x), 200);
    srv_check(v, R_VERSIONS, CHECK_REQUIRED | CHECK_NAMES);
    assert_int_equal(srv_count(v, "versions"), 3);
    got[0] = '\0';
    json_array_foreach(srv_items(v, "versions"), i, s) n +=
        (size_t)snprintf(got + n, sizeof(got) - n, "%s ", json_string_value(s));
    json_decref(v);
    /* any order: each of the three once */
    snprintf(want, sizeof(want), "%s", got);
    assert_non_null(strstr(want, T1));
    assert_non_null(strstr(want, T2));
    assert_non_null(strstr(want, T3));

    snprintf(m, sizeof(m), "marking-definition--%08x-0000-4000-8000-%012x",
             0x57u, 3u);
    v = srv_get(alice, srv_path(path, coll, "objects/%s/versions/", m), 200);
    assert_int_equal(srv_count(v, "versions"), 1);
    assert_string_equal(
        json_string_value(json_array_get(srv_items(v, "versions"), 0)),
        MARKING_CREATED);
    json_decref(v);
}

/*
 * An observable has neither modified nor created, so the server names its
 * version (section 5.3.1): the status, the manifest and the versions list
 * must give the same value, and match[version] must find it by that value.
 */
static void
test_t_s_57_observable_version_is_usable(void **state)
{
    char alias[64], coll[COLL_LEN], path[PATH_LEN], id[64];
    const char *posted, *listed, *in_manifest;
    json_t *st, *v, *m, *found;
    bool ok;

    (void)state;
    srv_new_collection("observable", alias, coll);
    snprintf(id, sizeof(id), "ipv4-addr--%08x-0000-5000-8000-%012x", 0x5701u,
             1u);
    st = srv_post_status(coll, srv_objects(srv_observable(0x5701, 1), NULL));
    assert_int_equal(srv_int(st, "success_count"), 1);
    posted = srv_str(json_array_get(srv_items(st, "successes"), 0), "version");
    v = srv_get(alice, srv_path(path, coll, "objects/%s/versions/", id), 200);
    assert_int_equal(srv_count(v, "versions"), 1);
    listed = json_string_value(json_array_get(srv_items(v, "versions"), 0));
    m = srv_get(alice, srv_path(path, coll, "manifest/?match[id]=%s", id), 200);
    in_manifest =
        srv_str(json_array_get(srv_items(m, "objects"), 0), "version");
    found = srv_get(
        alice,
        srv_path(path, coll, "objects/%s/?match[version]=%s", id, listed), 200);
    ok = strcmp(in_manifest, listed) == 0 && strcmp(posted, listed) == 0 &&
         srv_count_matching(found, id, NULL) == 1;
    if (!ok)
        fail_msg("version of %s: %s in the status, %s in the manifest, %s "
                 "in the versions list; match[version]=%s finds %zu",
                 id, posted, in_manifest, listed, listed,
                 srv_count_matching(found, id, NULL));
    json_decref(found);
    json_decref(st);
    json_decref(v);
    json_decref(m);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_t_s_40_envelopes),
        FIXTURE_TEST(test_t_s_41_ascending_date_added),
        FIXTURE_TEST(test_t_s_42_date_added_headers),
        FIXTURE_TEST(test_t_s_43_limit_and_more),
        FIXTURE_TEST(test_t_s_44_bad_limit_400),
        FIXTURE_TEST(test_t_s_45_next_paging),
        FIXTURE_TEST(test_t_s_46_added_after_paging),
        FIXTURE_TEST(test_t_s_47_added_after_excludes),
        FIXTURE_TEST(test_t_s_48_latest_version_default),
        FIXTURE_TEST(test_t_s_49_version_selection),
        FIXTURE_TEST(test_t_s_50_repeated_or_combined_400),
        FIXTURE_TEST(test_t_s_51_match_type),
        FIXTURE_TEST(test_t_s_52_match_id),
        FIXTURE_TEST(test_t_s_53_match_spec_version),
        FIXTURE_TEST(test_t_s_54_fields_and_values_or),
        FIXTURE_TEST(test_t_s_55_manifest_records),
        FIXTURE_TEST(test_t_s_56_manifest_version),
        FIXTURE_TEST(test_t_s_57_versions_list),
        FIXTURE_TEST(test_t_s_57_observable_version_is_usable),
    };
    int failed;

    fixture_global_init(argc, argv);
    failed = cmocka_run_group_tests(tests, srv_setup, srv_teardown);
    fixture_global_cleanup();
    return failed;
}
