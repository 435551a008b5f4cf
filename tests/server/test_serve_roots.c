/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API roots of fusion serve: which collections each serves, what
 * discovery lists, statuses staying in their root, and the same settings
 * from a JSON configuration file, which the command line overrides.
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

static struct fixture *fx;
static char one[COLL_LEN], two[COLL_LEN], three[COLL_LEN];
static char alice_pw[512];

static int
setup(void **state)
{
    const char *const aliases[] = { "one", "two", "three" };
    char *const ids[] = { one, two, three };
    struct fixture_reply r;
    char path[PATH_LEN];
    char *env;

    (void)state;
    fx = fixture_new(false);
    fx->shared = true;
    fixture_user(fx, "alice", "alice-password");
    fixture_basic("alice", "alice-password", alice_pw, sizeof(alice_pw));
    for (size_t i = 0; i < 3; i++) {
        fixture_collection(fx, aliases[i], ids[i]);
        fixture_grant(fx, "read", "alice", aliases[i]);
        fixture_grant(fx, "write", "alice", aliases[i]);
    }
    /* three objects in "one", through the default root */
    fixture_start(fx, NULL);
    env = fixture_envelope(json_pack(
        "[o,o,o]", fixture_indicator(0xb0, 1, NULL),
        fixture_indicator(0xb0, 2, NULL), fixture_indicator(0xb0, 3, NULL)));
    snprintf(path, sizeof(path), "/api/collections/one/objects/");
    fixture_post(fx, alice_pw, path, env, &r);
    free(env);
    fixture_expect(fx, &r, 202);
    fixture_reply_release(&r);
    fixture_stop(fx);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    fixture_free(fx);
    fx = NULL;
    return 0;
}

/* After each test: a server a failed test left running is stopped. */
static int
stop_left(void **state)
{
    if (fx && fx->pid > 0)
        fixture_kill(fx);
    return fixture_teardown(state);
}

/* GETs path as alice: the status must be status; the JSON, a new reference. */
static json_t *
get(const char *path, long status)
{
    struct fixture_reply r;
    json_t *v;

    fixture_get(fx, alice_pw, path, &r);
    if (r.status != status)
        fprintf(stderr, "GET %s\n", path);
    fixture_expect(fx, &r, status);
    v = json_incref(r.json);
    fixture_reply_release(&r);
    return v;
}

/* The members of a JSON list of strings, or of ids of objects, joined. */
static void
joined(json_t *list, char *out, size_t size)
{
    size_t i, n = 0;
    json_t *v;

    out[0] = '\0';
    json_array_foreach(list, i, v)
    {
        const char *s = json_is_string(v) ? json_string_value(v) : srv_id(v);

        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? " " : "", s);
    }
}

/* Fails unless discovery lists exactly roots, with def as its default. */
static void
expect_discovery(const char *title, const char *roots, const char *def)
{
    json_t *d = get("/taxii2/", 200);
    char got[1024];

    srv_check(d, R_DISCOVERY, CHECK_REQUIRED | CHECK_NAMES);
    joined(json_object_get(d, "api_roots"), got, sizeof(got));
    assert_string_equal(got, roots);
    assert_string_equal(srv_str(d, "default"), def);
    if (title)
        assert_string_equal(srv_str(d, "title"), title);
    json_decref(d);
}

/* Fails unless root lists exactly the n collections of ids, in any order. */
static void
expect_listing(const char *root, const char *const *ids, size_t n)
{
    char path[PATH_LEN], got[1024];
    json_t *v;

    snprintf(path, sizeof(path), "/%s/collections/", root);
    v = get(path, 200);
    joined(json_object_get(v, "collections"), got, sizeof(got));
    if (srv_count(v, "collections") != n)
        fail_msg("%s lists %s", path, got);
    for (size_t i = 0; i < n; i++) {
        if (!strstr(got, ids[i]))
            fail_msg("%s lists %s, not %s", path, got, ids[i]);
    }
    json_decref(v);
}

/* Every collection endpoint of coll (an id or alias) in root: 404. */
static void
expect_not_served(const char *root, const char *coll)
{
    char paths[6][PATH_LEN], object[64];
    struct fixture_reply r;

    fixture_indicator_id(0xb0, 1, object);
    snprintf(paths[0], PATH_LEN, "/%s/collections/%s/", root, coll);
    snprintf(paths[1], PATH_LEN, "/%s/collections/%s/manifest/", root, coll);
    snprintf(paths[2], PATH_LEN, "/%s/collections/%s/objects/", root, coll);
    snprintf(paths[3], PATH_LEN, "/%s/collections/%s/objects/%s/", root, coll,
             object);
    snprintf(paths[4], PATH_LEN, "/%s/collections/%s/objects/%s/versions/",
             root, coll, object);
    for (size_t i = 0; i < 5; i++)
        json_decref(get(paths[i], 404));
    fixture_post(fx, alice_pw, paths[2], "{\"objects\":[]}", &r);
    fixture_expect(fx, &r, 404);
    fixture_reply_release(&r);
    fixture_delete(fx, alice_pw, paths[3], &r);
    fixture_expect(fx, &r, 404);
    fixture_reply_release(&r);
}

/* What --api-root a=one --api-root b gives, from either source. */
static void
expect_roots_a_and_b(void)
{
    const char *const all[] = { one, two, three };
    json_t *v;

    expect_listing("a", all, 1);
    expect_listing("b", all, 3);
    expect_not_served("a", "two");
    expect_not_served("a", two);
    expect_not_served("a", three);
    v = get("/a/collections/one/", 200);
    assert_string_equal(srv_id(v), one);
    json_decref(v);
    v = get("/b/collections/three/objects/", 200);
    json_decref(v);
    json_decref(get("/api/", 404));
    json_decref(get("/api/collections/", 404));
    json_decref(get("/nosuch/", 404));
}

static void
test_roots_from_command_line(void **state)
{
    json_t *v;

    (void)state;
    fixture_start(fx, FIXTURE_ARGS("--api-root", "a=one", "--api-root", "b"));
    expect_discovery("Fusion", "/a/ /b/", "/a/");
    v = get("/a/", 200);
    srv_check(v, R_API_ROOT, CHECK_REQUIRED | CHECK_NAMES);
    json_decref(v);
    json_decref(get("/b/", 200));
    expect_roots_a_and_b();
    /* a root serving a collection serves its content */
    v = get("/a/collections/one/objects/", 200);
    assert_int_equal(srv_count(v, "objects"), 3);
    json_decref(v);
    fixture_stop(fx);
}

static void
test_roots_status_stays_in_its_root(void **state)
{
    char path[PATH_LEN], id[64];
    struct fixture_reply r;
    json_t *v;
    char *env;

    (void)state;
    fixture_start(fx, FIXTURE_ARGS("--api-root", "a=one", "--api-root", "b"));
    env = fixture_envelope(json_pack("[o]", fixture_indicator(0xb1, 1, NULL)));
    fixture_post(fx, alice_pw, "/a/collections/one/objects/", env, &r);
    free(env);
    fixture_expect(fx, &r, 202);
    snprintf(id, sizeof(id), "%s", srv_str(r.json, "id"));
    fixture_reply_release(&r);
    snprintf(path, sizeof(path), "/a/status/%s/", id);
    json_decref(get(path, 200));
    snprintf(path, sizeof(path), "/b/status/%s/", id);
    json_decref(get(path, 404));
    /* the object itself is the collection's, in every root serving it */
    fixture_indicator_id(0xb1, 1, id);
    snprintf(path, sizeof(path), "/b/collections/one/objects/%s/", id);
    v = get(path, 200);
    assert_int_equal(srv_count_matching(v, id, NULL), 1);
    json_decref(v);
    fixture_stop(fx);
}

static void
test_roots_default_root_option(void **state)
{
    (void)state;
    fixture_start(fx, FIXTURE_ARGS("--api-root", "a=one", "--api-root", "b",
                                   "--default-root", "b", "--title", "Roots"));
    expect_discovery("Roots", "/a/ /b/", "/b/");
    fixture_stop(fx);
}

static const char config_text[] =
    "{\n"
    "  \"title\": \"From the file\",\n"
    "  \"description\": \"Roots from a file\",\n"
    "  \"page_size\": 2,\n"
    "  \"default_root\": \"b\",\n"
    "  \"api_roots\": [\n"
    "    {\"name\": \"a\", \"title\": \"Root A\",\n"
    "     \"description\": \"the first root\", \"collections\": [\"one\"]},\n"
    "    {\"name\": \"b\"}\n"
    "  ]\n"
    "}\n";

static void
test_roots_from_config_file(void **state)
{
    char conf[512];
    json_t *v;

    (void)state;
    fixture_path(fx, "serve.json", conf, sizeof(conf));
    fixture_write_file(conf, config_text, 0);
    fixture_start(fx, FIXTURE_ARGS("--config", conf));
    expect_discovery("From the file", "/a/ /b/", "/b/");
    v = get("/a/", 200);
    assert_string_equal(srv_str(v, "title"), "Root A");
    assert_string_equal(srv_str(v, "description"), "the first root");
    json_decref(v);
    v = get("/b/", 200);
    assert_string_equal(srv_str(v, "title"), "b");
    json_decref(v);
    expect_roots_a_and_b();
    /* page_size from the file */
    v = get("/a/collections/one/objects/", 200);
    assert_int_equal(srv_count(v, "objects"), 2);
    assert_true(srv_is_more(v));
    json_decref(v);
    fixture_stop(fx);
}

static void
test_roots_command_line_over_file(void **state)
{
    char conf[512];
    json_t *v;

    (void)state;
    fixture_path(fx, "serve.json", conf, sizeof(conf));
    fixture_write_file(conf, config_text, 0);
    /* the file's default root is one of its roots, so it goes with them */
    fixture_start(fx,
                  FIXTURE_ARGS("--config", conf, "--api-root", "z=two",
                               "--default-root", "z", "--title",
                               "From the command line", "--page-size", "3"));
    expect_discovery("From the command line", "/z/", "/z/");
    expect_listing("z", (const char *const[]){ two }, 1);
    json_decref(get("/a/", 404));
    json_decref(get("/b/collections/", 404));
    expect_not_served("z", "one");
    v = get("/z/collections/two/", 200);
    assert_string_equal(srv_id(v), two);
    json_decref(v);
    fixture_stop(fx);

    /* the file's other settings stay */
    fixture_start(fx, FIXTURE_ARGS("--config", conf, "--title", "Mixed"));
    expect_discovery("Mixed", "/a/ /b/", "/b/");
    v = get("/b/collections/one/objects/", 200);
    assert_int_equal(srv_count(v, "objects"), 2);
    json_decref(v);
    fixture_stop(fx);
}

static void
test_roots_bad_settings_refused(void **state)
{
    static const struct {
        const char *config; /* NULL: the arguments alone */
        const char *arg;
        const char *arg2;
        const char *says;
    } cases[] = {
        { "{\"titel\": \"x\"}", NULL, NULL, "titel" },
        { "{\"api_roots\": [{\"name\": \"a\", \"collections\": [\"nope\"]}]}",
          NULL, NULL, "nope" },
        { "{\"api_roots\": [{\"title\": \"no name\"}]}", NULL, NULL, "name" },
        { "{\"page_size\": \"big\"}", NULL, NULL, "page_size" },
        { "{not json", NULL, NULL, "line" },
        { NULL, "--api-root", "a=nope", "nope" },
        { NULL, "--api-root", "taxii2", "taxii2" },
        { NULL, "--default-root", "nosuch", "nosuch" },
    };

    char conf[512], err[4096];
    int status;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].config) {
            fixture_path(fx, "bad.json", conf, sizeof(conf));
            fixture_write_file(conf, cases[i].config, 0);
            status = fixture_serve_refused(fx, FIXTURE_ARGS("--config", conf),
                                           err, sizeof(err));
        } else {
            status = fixture_serve_refused(
                fx, FIXTURE_ARGS(cases[i].arg, cases[i].arg2), err,
                sizeof(err));
        }
        if (status <= 0 || !strstr(err, cases[i].says))
            fail_msg("case %zu: exit %d, expected a refusal naming '%s': %s", i,
                     status, cases[i].says, err);
    }
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_roots_from_command_line, stop_left),
        cmocka_unit_test_teardown(test_roots_status_stays_in_its_root,
                                  stop_left),
        cmocka_unit_test_teardown(test_roots_default_root_option, stop_left),
        cmocka_unit_test_teardown(test_roots_from_config_file, stop_left),
        cmocka_unit_test_teardown(test_roots_command_line_over_file, stop_left),
        cmocka_unit_test_teardown(test_roots_bad_settings_refused, stop_left),
    };
    int failed;

    fixture_global_init(argc, argv);
    failed = cmocka_run_group_tests(tests, setup, teardown);
    fixture_global_cleanup();
    return failed;
}
