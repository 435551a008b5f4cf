/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Real content through fusion serve: the ATT&CK files of the shared
 * corpus ingested into a collection, read back page by page over TAXII,
 * and compared with what fusion export reports for the store and with
 * the source files: the same objects in the same versions, none twice.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server_checks.h"
#include "util/util.h"

#define MAX_FILES 4
#define MAX_KEYS  65536

/* The ATT&CK content of the corpus, relative to its folder. */
static const char *const sources[] = {
    "stix21/attack/ics-attack-18.1.json",
    "stix21/attack/mobile-attack-17.1.json",
    "stix20/attack/enterprise-attack-2018-01.json",
    "stix20/attack-enterprise-objects",
};

static char corpus[1024];

/* A set of "id@version" keys, sorted once filled. */
struct keys {
    char **v;
    size_t n;
};

static void
add_key(struct keys *k, const char *id, const char *version)
{
    size_t len = strlen(id) + strlen(version) + 2;

    assert_true(k->n < MAX_KEYS);
    if (!k->v)
        k->v = calloc(MAX_KEYS, sizeof(*k->v));
    assert_non_null(k->v);
    k->v[k->n] = malloc(len);
    assert_non_null(k->v[k->n]);
    snprintf(k->v[k->n], len, "%s@%s", id, version);
    k->n++;
}

/* The key of a STIX object: its id and modified, else created. */
static void
add_object(struct keys *k, json_t *o, bool as_ns)
{
    const char *v = srv_str(o, "modified");
    char ns[32];

    if (!v)
        v = srv_str(o, "created");
    if (!v)
        fail_msg("an object without a version: %s", json_dumps(o, 0));
    if (as_ns) {
        snprintf(ns, sizeof(ns), "%lld", (long long)fixture_time_ns(v));
        v = ns;
    }
    add_key(k, srv_id(o), v);
}

static int
by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts k; fails if a key is there twice, unless merge, which drops it. */
static void
sort_keys(struct keys *k, const char *what, bool merge)
{
    size_t out = 0;

    qsort(k->v, k->n, sizeof(*k->v), by_text);
    for (size_t i = 0; i < k->n; i++) {
        if (out && strcmp(k->v[out - 1], k->v[i]) == 0) {
            if (!merge)
                fail_msg("%s: %s twice", what, k->v[i]);
            free(k->v[i]);
            continue;
        }
        k->v[out++] = k->v[i];
    }
    k->n = out;
}

static void
expect_same(const struct keys *a, const char *a_what, const struct keys *b,
            const char *b_what)
{
    size_t i = 0, j = 0;
    int c;

    while (i < a->n || j < b->n) {
        c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);
        if (c < 0)
            fail_msg("%s holds %s, %s does not", a_what, a->v[i], b_what);
        if (c > 0)
            fail_msg("%s holds %s, %s does not", b_what, b->v[j], a_what);
        i++;
        j++;
    }
}

/* Each key of k with its version as nanoseconds, into out. */
static void
as_ns(const struct keys *k, struct keys *out)
{
    char id[300];

    for (size_t i = 0; i < k->n; i++) {
        const char *at = strrchr(k->v[i], '@');
        char ns[32];

        snprintf(id, sizeof(id), "%.*s", (int)(at - k->v[i]), k->v[i]);
        snprintf(ns, sizeof(ns), "%lld", (long long)fixture_time_ns(at + 1));
        add_key(out, id, ns);
    }
}

static void
free_keys(struct keys *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->v[i]);
    free(k->v);
    k->v = NULL;
    k->n = 0;
}

/* Every object of the STIX files under path, by id and version instant. */
static void
read_sources(const char *path, struct keys *k)
{
    struct stat st;
    json_error_t jerr;
    json_t *doc, *o;
    size_t i;

    assert_int_equal(stat(path, &st), 0);
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        char sub[2048];

        assert_non_null(d);
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
            read_sources(sub, k);
        }
        closedir(d);
        return;
    }
    doc = json_load_file(path, 0, &jerr);
    if (!doc)
        fail_msg("%s: %s", path, jerr.text);
    if (json_object_get(doc, "objects")) {
        json_array_foreach(json_object_get(doc, "objects"), i, o)
            add_object(k, o, true);
    } else {
        add_object(k, doc, true);
    }
    json_decref(doc);
}

/*
 * Fails unless fusion --json ingest took every object of every file
 * (one JSON line per file), so that the sources and the store agree.
 */
static void
expect_all_taken(char *lines)
{
    size_t files = 0;

    for (char *line = lines; *line;) {
        char *end = strchr(line, '\n');
        json_t *f;

        if (end)
            *end = '\0';
        f = json_loads(line, 0, NULL);
        if (f && json_object_get(f, "file")) {
            files++;
            if (!json_is_true(json_object_get(f, "ok")) ||
                srv_int(f, "rejected") != 0)
                fail_msg("ingest did not take all of %s", line);
        }
        json_decref(f);
        line = end ? end + 1 : line + strlen(line);
    }
    assert_true(files >= MAX_FILES);
}

/* Every version of the collection over TAXII, 500 at a time. */
static size_t
read_collection(struct fixture *fx, const char *auth, struct keys *k)
{
    char path[PATH_LEN], next[512] = "";
    struct fixture_reply r;
    size_t pages = 0, i;
    json_t *o;
    bool more;

    do {
        snprintf(path, sizeof(path),
                 "/api/collections/attack/objects/?match[version]=all&"
                 "limit=500%s%s",
                 *next ? "&next=" : "", next);
        fixture_get(fx, auth, path, &r);
        fixture_expect(fx, &r, 200);
        assert_true(srv_count(r.json, "objects") <= 500);
        json_array_foreach(srv_items(r.json, "objects"), i, o)
            add_object(k, o, false);
        more = srv_is_more(r.json);
        if (more) {
            assert_non_null(srv_str(r.json, "next"));
            snprintf(next, sizeof(next), "%s", srv_str(r.json, "next"));
        }
        fixture_reply_release(&r);
        pages++;
    } while (more && pages < 1000);
    return pages;
}

static void
test_corpus_attack_round_trip(void **state)
{
    struct fixture *fx = fixture_new(false);
    const char *args[16] = { "--json", "ingest", "--collection", "attack" };
    char files[MAX_FILES][1280], export_path[512], token[256], auth[512];
    struct keys taxii = { 0 }, exported = { 0 }, src = { 0 }, taxii_ns = { 0 };
    size_t n = 4, i, pages;
    json_error_t jerr;
    json_t *bundle, *o;
    char *out = malloc(1 << 20);

    (void)state;
    assert_non_null(out);
    fixture_collection(fx, "attack", NULL);
    fixture_user(fx, "reader", "reader-password");
    fixture_token(fx, "reader", NULL, token, sizeof(token));
    fixture_bearer(token, auth, sizeof(auth));
    fixture_grant(fx, "read", "reader", "attack");
    for (i = 0; i < MAX_FILES; i++) {
        snprintf(files[i], sizeof(files[i]), "%s/%s", corpus, sources[i]);
        args[n++] = files[i];
    }
    args[n] = NULL;
    fixture_cli_ok(fx, args, out, 1 << 20);
    expect_all_taken(out);
    free(out);

    fixture_path(fx, "export.json", export_path, sizeof(export_path));
    fixture_cli_ok(fx,
                   FIXTURE_ARGS("export", "--all-versions", "--include-revoked",
                                "--output", export_path),
                   NULL, 0);
    bundle = json_load_file(export_path, 0, &jerr);
    if (!bundle)
        fail_msg("%s: %s", export_path, jerr.text);
    json_array_foreach(json_object_get(bundle, "objects"), i, o)
        add_object(&exported, o, false);
    json_decref(bundle);
    sort_keys(&exported, "fusion export", false);

    fixture_start(fx, NULL);
    pages = read_collection(fx, auth, &taxii);
    fixture_stop(fx);
    assert_true(pages >= taxii.n / 500);
    sort_keys(&taxii, "the collection over TAXII", false);
    assert_true(taxii.n > 9000);
    expect_same(&taxii, "the collection over TAXII", &exported,
                "fusion export");

    /* the sources name each version by the same instant (2.0 upgraded) */
    for (i = 0; i < MAX_FILES; i++)
        read_sources(files[i], &src);
    sort_keys(&src, "the sources", true);
    as_ns(&taxii, &taxii_ns);
    sort_keys(&taxii_ns, "the collection over TAXII", false);
    expect_same(&taxii_ns, "the collection over TAXII", &src,
                "the corpus files");

    free_keys(&taxii);
    free_keys(&taxii_ns);
    free_keys(&exported);
    free_keys(&src);
    fixture_free(fx);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_corpus_attack_round_trip),
    };
    const char *root = getenv("FUSION_SOURCE_ROOT");
    struct stat st;
    int failed;

    snprintf(corpus, sizeof(corpus), "%s/../shared/corpus",
             root && *root ? root : FUSION_SOURCE_ROOT);
    for (size_t i = 0; i < MAX_FILES; i++) {
        char path[2048];

        snprintf(path, sizeof(path), "%s/%s", corpus, sources[i]);
        if (stat(path, &st) != 0) {
            printf("skipped: the corpus file %s is absent\n", path);
            return 77;
        }
    }
    fixture_global_init(argc, argv);
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    fixture_global_cleanup();
    return failed;
}
