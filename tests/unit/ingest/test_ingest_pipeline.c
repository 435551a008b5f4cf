/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ingest: input shapes, bad input with positions, all-or-nothing, and
 * the outcome of every object.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "ingest_fixture.h"

static void
test_ingest_bundle(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(ingest(fx, "{\"type\":\"bundle\",\"id\":\"bundle--"
                                "11111111-1111-4111-8111-111111111111\","
                                "\"objects\":[" IND("1") "," IND("2") "]}"),
                     FUSION_OK);
    assert_int_equal(fx->counts.objects, 2);
    assert_int_equal(fx->counts.new_objects, 2);
    assert_int_equal(stored(fx), 2);
}

/* The members of a bundle after its objects. */
#define BUNDLE_TAIL                                                 \
    "\"type\":\"bundle\",\"id\":\"bundle--11111111-1111-4111-8111-" \
    "111111111111\"}"

/* An element that fails the input fails it also when held whole. */
static void
test_ingest_objects_before_type_fail(void **state)
{
    struct fixture *fx = *state;
    const char *bad[] = {
        "{\"objects\":[" IND("1") ",{\"type\":\"indicator\"}]," BUNDLE_TAIL,
        "{\"objects\":[" IND("1") ",{\"type\":\"indicator\",]}",
    };

    fx->opt.strict = true;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ingest(fx, bad[i]), FUSION_ERR_INVALID);
        assert_int_equal(stored(fx), 0);
    }
}

static void
test_ingest_objects_before_type(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(
        ingest(fx, "{\"objects\":[" IND(
                       "1") "],\"type\":"
                            "\"bundle\",\"id\":\"bundle--11111111-1111-"
                            "4111-8111-111111111111\"}"),
        FUSION_OK);
    assert_int_equal(fx->counts.new_objects, 1);
}

static void
test_ingest_array_bare_object_and_lines(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(ingest(fx, "[" IND("1") "]"), FUSION_OK);
    assert_int_equal(ingest(fx, IND("2")), FUSION_OK);
    assert_int_equal(ingest(fx, IND("3") "\n" IND("4") "\n"), FUSION_OK);
    assert_int_equal(fx->counts.new_objects, 2);
    assert_int_equal(stored(fx), 4);
}

static void
test_ingest_duplicate_counted(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(ingest(fx, IND("1")), FUSION_OK);
    assert_int_equal(ingest(fx, IND("1") IND("1")), FUSION_OK);
    assert_int_equal(fx->counts.duplicates, 2);
    assert_int_equal(stored(fx), 1);
}

static void
test_ingest_truncated_stores_nothing(void **state)
{
    struct fixture *fx = *state;
    const char *text = "[" IND("1") "," IND("2") ",{\"type\":\"indic";

    assert_int_equal(ingest(fx, text), FUSION_ERR_INVALID);
    assert_true(fx->err.has_offset);
    assert_int_equal(fx->err.offset, strlen(text));
    assert_non_null(strstr(fx->err.message, "truncated"));
    assert_int_equal(stored(fx), 0);
}

static void
test_ingest_invalid_utf8_names_offset(void **state)
{
    struct fixture *fx = *state;
    const char *text = "[" IND("1") ",{\"type\":\"x-a\",\"name\":\"\xff\"}]";
    uint64_t second = strlen("[" IND("1") ",");

    assert_int_equal(ingest(fx, text), FUSION_ERR_INVALID);
    assert_true(fx->err.has_offset);
    assert_true(fx->err.offset >= second);
    assert_true(fx->err.offset < strlen(text));
    assert_int_equal(stored(fx), 0);
}

static void
test_ingest_duplicate_keys_rejected(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(ingest(fx, "{\"type\":\"indicator\",\"type\":\"x\"}"),
                     FUSION_ERR_INVALID);
    assert_non_null(strstr(fx->err.message, "duplicate"));
    assert_int_equal(ingest(fx, "{\"type\":\"bundle\",\"id\":\"a\",\"id\":"
                                "\"b\",\"objects\":[" IND("1") "]}"),
                     FUSION_ERR_INVALID);
    assert_int_equal(stored(fx), 0);
}

static void
test_ingest_depth_limit(void **state)
{
    struct fixture *fx = *state;
    char text[512];
    size_t n = 0, prefix;

    fx->opt.limits.max_depth = 8;
    n += (size_t)snprintf(text, sizeof(text), "[{\"type\":\"x-deep\",\"a\":");
    prefix = n;
    for (int i = 0; i < 10; i++)
        text[n++] = '[';
    for (int i = 0; i < 10; i++)
        text[n++] = ']';
    memcpy(text + n, "}]", 3);
    assert_int_equal(ingest(fx, text), FUSION_ERR_LIMIT);
    assert_non_null(strstr(fx->err.message, "deeper"));
    /* the array and the object are levels 1 and 2: the 7th '[' is 9 */
    assert_int_equal(fx->err.offset, prefix + 6);
}

static void
test_ingest_object_size_limit(void **state)
{
    struct fixture *fx = *state;

    fx->opt.limits.max_object_bytes = 100;
    assert_int_equal(ingest(fx, "[" IND("1") "]"), FUSION_ERR_LIMIT);
    assert_int_equal(stored(fx), 0);
}

static void
test_ingest_object_count_limit(void **state)
{
    struct fixture *fx = *state;

    fx->opt.limits.max_objects = 1;
    assert_int_equal(ingest(fx, "[" IND("1") "," IND("2") "]"),
                     FUSION_ERR_LIMIT);
    assert_int_equal(stored(fx), 0);
}

static void
test_ingest_wrong_top_level(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(ingest(fx, "  42"), FUSION_ERR_INVALID);
    assert_int_equal(fx->err.offset, 2);
    assert_int_equal(ingest(fx, ""), FUSION_ERR_INVALID);
    assert_non_null(strstr(fx->err.message, "empty"));
    assert_int_equal(ingest(fx, "{\"type\":\"bundle\",\"objects\":{}}"),
                     FUSION_ERR_INVALID);
}

static void
test_ingest_lenient_rejects_one(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(ingest(fx, "[" IND("1") ",42,{\"type\":\"indicator\","
                                             "\"id\":\"indicator--x\"}]"),
                     FUSION_OK);
    assert_int_equal(fx->counts.rejected, 2);
    assert_true(fx->rejected_notes >= 2);
    assert_int_equal(stored(fx), 1);
}

static void
test_ingest_strict_stores_nothing(void **state)
{
    struct fixture *fx = *state;

    fx->opt.strict = true;
    assert_int_equal(ingest(fx, "[" IND("1") ",{\"type\":\"indicator\","
                                             "\"id\":\"indicator--x\"}]"),
                     FUSION_ERR_INVALID);
    assert_non_null(strstr(fx->err.message, "indicator--x"));
    assert_int_equal(stored(fx), 0);
}

static void
test_ingest_bad_pattern_rejected(void **state)
{
    struct fixture *fx = *state;
    char text[1024];

    snprintf(text, sizeof(text), "%s", IND("1"));
    memcpy(strstr(text, "= '"), "== (", 4);
    assert_int_equal(ingest(fx, text), FUSION_OK);
    assert_int_equal(fx->counts.rejected, 1);
    assert_int_equal(stored(fx), 0);
}

static int
count_row(void *ctx, const struct fusion_store_row *row)
{
    (void)ctx;
    (void)row;
    return 0;
}

static void
test_ingest_pattern_keys_searchable(void **state)
{
    struct fixture *fx = *state;
    struct fusion_store_key key = { "ipv4-addr", "198.51.100.7" };
    struct fusion_store_query q = { .keys = &key, .nkeys = 1 };
    size_t count = 0;

    assert_int_equal(ingest(fx, IND("7")), FUSION_OK);
    assert_int_equal(
        fusion_store_search(fx->store, &q, count_row, NULL, &count, NULL),
        FUSION_OK);
    assert_int_equal(count, 1);
}

static void
test_ingest_stix20_upgraded(void **state)
{
    struct fixture *fx = *state;
    const char *v20 =
        "{\"type\":\"bundle\",\"id\":\"bundle--11111111-1111-4111-8111-"
        "111111111111\",\"spec_version\":\"2.0\",\"objects\":[{\"type\":"
        "\"indicator\",\"id\":\"indicator--22222222-1111-4111-8111-"
        "111111111111\",\"created\":\"2017-01-01T00:00:00.000Z\",\"modified\":"
        "\"2017-01-01T00:00:00.000Z\",\"labels\":[\"malicious-activity\"],"
        "\"pattern\":\"[file:hashes.MD5 = "
        "'3773a88f65a5e780c8dff9cdc3a056f3']\",\"valid_from\":\"2017-01-01T00:"
        "00:00Z\"}]}";

    struct fusion_store_query q = { .label = "malicious-activity" };
    size_t count = 0;

    assert_int_equal(ingest(fx, v20), FUSION_OK);
    assert_int_equal(fx->counts.upgraded, 1);
    assert_int_equal(fx->counts.new_objects, 1);
    /* the 2.0 label became an indicator type, and still finds it */
    assert_int_equal(
        fusion_store_search(fx->store, &q, count_row, NULL, &count, NULL),
        FUSION_OK);
    assert_int_equal(count, 1);
}

/* An indicator whose modified time and extra members the test picks. */
#define IND_AT(modified, extra)                                               \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--"   \
    "00000005-1111-4111-8111-111111111111\",\"created\":\"2020-01-01T00:00:"  \
    "00.000Z\",\"modified\":\"" modified "\",\"pattern\":\"[ipv4-addr:value " \
    "= '198.51.100.5']\",\"pattern_type\":\"stix\",\"valid_from\":\"2020-01-" \
    "01T00:00:00Z\"" extra "}"

static void
test_ingest_outcome_stored_then_duplicate(void **state)
{
    struct fixture *fx = *state;
    const char *text = "[" IND("1") ",\n" IND("2") "]";

    assert_int_equal(ingest(fx, text), FUSION_OK);
    assert_int_equal(fx->noutcomes, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(fx->outcomes[i].kind, FUSION_INGEST_STORED);
        assert_string_equal(fx->outcomes[i].version,
                            "2020-01-01T00:00:00.000Z");
        assert_string_equal(fx->outcomes[i].message, "");
    }
    assert_string_equal(fx->outcomes[0].id, IND_ID("1"));
    assert_int_equal(fx->outcomes[0].offset, 1);
    assert_int_equal(fx->outcomes[0].line, 1);
    assert_string_equal(fx->outcomes[1].id, IND_ID("2"));
    assert_int_equal(fx->outcomes[1].offset, strlen("[" IND("1") ",\n"));
    assert_int_equal(fx->outcomes[1].line, 2);

    assert_int_equal(ingest(fx, text), FUSION_OK);
    assert_int_equal(fx->noutcomes, 2);
    assert_int_equal(fx->outcomes[0].kind, FUSION_INGEST_DUPLICATE);
    assert_int_equal(fx->outcomes[1].kind, FUSION_INGEST_DUPLICATE);
    assert_int_equal(stored(fx), 2);
}

static void
test_ingest_outcome_new_version_stored(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(ingest(fx, IND_AT("2020-02-01T00:00:00.000Z", "")),
                     FUSION_OK);
    assert_int_equal(ingest(fx, IND_AT("2020-03-01T00:00:00.000Z", "")),
                     FUSION_OK);
    assert_int_equal(fx->counts.new_versions, 1);
    assert_int_equal(fx->noutcomes, 1);
    assert_int_equal(fx->outcomes[0].kind, FUSION_INGEST_STORED);
    assert_string_equal(fx->outcomes[0].version, "2020-03-01T00:00:00.000Z");
}

static void
test_ingest_outcome_conflict_failed(void **state)
{
    struct fixture *fx = *state;
    char other[1024];

    snprintf(other, sizeof(other), "%s", IND("1"));
    memcpy(strstr(other, "198.51.100.1'"), "198.51.100.9'", 13);
    assert_int_equal(ingest(fx, IND("1")), FUSION_OK);
    assert_int_equal(ingest(fx, other), FUSION_OK);
    assert_int_equal(fx->counts.conflicts, 1);
    assert_int_equal(fx->noutcomes, 1);
    assert_int_equal(fx->outcomes[0].kind, FUSION_INGEST_FAILED);
    assert_string_equal(fx->outcomes[0].id, IND_ID("1"));
    assert_string_equal(fx->outcomes[0].version, "2020-01-01T00:00:00.000Z");
    assert_non_null(strstr(fx->outcomes[0].message, "stored already"));
    /* the conflict note comes first */
    assert_string_equal(fx->events, "no");
    assert_int_equal(stored(fx), 1);
}

static void
test_ingest_outcome_rejected_failed(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(ingest(fx, "[" IND("1") ",{\"type\":\"indicator\","
                                             "\"id\":\"indicator--x\"}]"),
                     FUSION_OK);
    assert_int_equal(fx->noutcomes, 2);
    assert_int_equal(fx->outcomes[0].kind, FUSION_INGEST_STORED);
    assert_int_equal(fx->outcomes[1].kind, FUSION_INGEST_FAILED);
    assert_string_equal(fx->outcomes[1].id, "indicator--x");
    assert_false(fx->outcomes[1].has_version);
    assert_true(fx->first_rejection[0] != '\0');
    assert_string_equal(fx->outcomes[1].message, fx->first_rejection);
    /* one outcome each; the rejection notes come before their outcome */
    assert_int_equal(fx->events[0], 'o');
    assert_int_equal(fx->events[fx->nevents - 1], 'o');
    assert_int_equal(strspn(fx->events + 1, "n"), fx->rejected_notes);
    assert_int_equal(stored(fx), 1);
}

static void
test_ingest_outcome_without_id(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(ingest(fx, "[42, {\"type\":\"indicator\"}]"), FUSION_OK);
    assert_int_equal(fx->counts.rejected, 2);
    assert_int_equal(fx->noutcomes, 2);
    assert_int_equal(fx->outcomes[0].kind, FUSION_INGEST_FAILED);
    assert_false(fx->outcomes[0].has_id);
    assert_int_equal(fx->outcomes[0].offset, 1);
    assert_string_equal(fx->outcomes[0].message, "not a JSON object");
    assert_int_equal(fx->outcomes[1].kind, FUSION_INGEST_FAILED);
    assert_false(fx->outcomes[1].has_id);
    assert_int_equal(fx->outcomes[1].offset, 5);
    assert_true(fx->outcomes[1].message[0] != '\0');
}

static void
test_ingest_outcome_revoked_failed(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(
        ingest(fx, IND_AT("2020-02-01T00:00:00.000Z", ",\"revoked\":true")),
        FUSION_OK);
    assert_int_equal(fx->outcomes[0].kind, FUSION_INGEST_STORED);
    assert_int_equal(ingest(fx, IND_AT("2020-03-01T00:00:00.000Z", "")),
                     FUSION_OK);
    assert_int_equal(fx->counts.rejected, 1);
    assert_int_equal(fx->noutcomes, 1);
    assert_int_equal(fx->outcomes[0].kind, FUSION_INGEST_FAILED);
    assert_string_equal(fx->outcomes[0].version, "2020-03-01T00:00:00.000Z");
    assert_non_null(strstr(fx->outcomes[0].message, "revocation"));
    assert_int_equal(stored(fx), 1);
}

/* More objects than one batch holds, every fifth one invalid. */
static void
test_ingest_outcome_order(void **state)
{
    struct fixture *fx = *state;
    size_t cap = 1400 * 400, len = 0;
    char *text = malloc(cap);

    assert_non_null(text);
    len += (size_t)snprintf(text, cap, "{\"objects\":[");
    for (unsigned i = 0; i < 1400; i++) {
        len += (size_t)snprintf(
            text + len, cap - len,
            "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":"
            "\"indicator--%08x-1111-4111-8111-111111111111\",\"created\":"
            "\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-01-01T00:00:"
            "00.000Z\",\"pattern\":\"[ipv4-addr:value = '10.0.%u.%u'%s\","
            "\"pattern_type\":\"stix\",\"valid_from\":\"2020-01-01T00:00:"
            "00Z\"}",
            i ? ",\n" : "", i, i / 256, i % 256, i % 5 == 4 ? "" : "]");
        assert_true(len < cap);
    }
    memcpy(text + len, "]}", 3);
    assert_int_equal(ingest_len(fx, text, len + 2), FUSION_OK);
    assert_int_equal(fx->noutcomes, 1400);
    assert_false(fx->out_of_order);
    assert_int_equal(fx->counts.rejected, 280);
    assert_int_equal(fx->outcomes[4].kind, FUSION_INGEST_FAILED);
    assert_string_equal(fx->outcomes[4].id,
                        "indicator--00000004-1111-4111-8111-111111111111");
    assert_int_equal(fx->outcomes[4].line, 5);
    assert_int_equal(fx->outcomes[5].kind, FUSION_INGEST_STORED);
    assert_int_equal(stored(fx), 1120);
    free(text);
}

static int
keep_json(void *ctx, const struct fusion_store_row *row)
{
    snprintf(ctx, 2048, "%.*s", (int)row->json_len, row->json);
    return 0;
}

/* A 2.0 object's version is the padded 2.1 text that is stored. */
static void
test_ingest_outcome_stix20_version(void **state)
{
    struct fixture *fx = *state;
    const char *v20 =
        "{\"type\":\"bundle\",\"id\":\"bundle--11111111-1111-4111-8111-"
        "111111111111\",\"spec_version\":\"2.0\",\"objects\":[{\"type\":"
        "\"indicator\",\"id\":\"indicator--22222222-1111-4111-8111-"
        "111111111111\",\"created\":\"2017-01-01T00:00:00Z\",\"modified\":"
        "\"2017-01-02T00:00:00Z\",\"labels\":[\"malicious-activity\"],"
        "\"pattern\":\"[file:hashes.MD5 = "
        "'3773a88f65a5e780c8dff9cdc3a056f3']\",\"valid_from\":\"2017-01-01T00:"
        "00:00Z\"}]}";
    char json[2048];

    assert_int_equal(ingest(fx, v20), FUSION_OK);
    assert_int_equal(fx->counts.upgraded, 1);
    assert_int_equal(fx->noutcomes, 1);
    assert_int_equal(fx->outcomes[0].kind, FUSION_INGEST_STORED);
    assert_string_equal(fx->outcomes[0].version, "2017-01-02T00:00:00.000Z");
    assert_int_equal(fusion_store_get(fx->store, fx->outcomes[0].id, false,
                                      keep_json, json, NULL),
                     FUSION_OK);
    assert_non_null(strstr(json, "\"modified\":\"2017-01-02T00:00:00.000Z\""));
}

/* Only the observed-data read has an outcome, not the SCOs lifted out. */
static void
test_ingest_outcome_lifted_scos(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(
        ingest(fx, "{\"type\":\"observed-data\",\"id\":\"observed-data--"
                   "33333333-1111-4111-8111-111111111111\",\"created\":\"2017-"
                   "01-01T00:00:00.000Z\",\"modified\":\"2017-01-01T00:00:"
                   "00.000Z\",\"first_observed\":\"2017-01-01T00:00:00Z\","
                   "\"last_observed\":\"2017-01-01T00:00:00Z\","
                   "\"number_observed\":1,\"objects\":{\"0\":{\"type\":"
                   "\"ipv4-addr\",\"value\":\"198.51.100.3\"}}}"),
        FUSION_OK);
    assert_int_equal(fx->counts.upgraded, 1);
    assert_true(fx->counts.objects >= 2);
    assert_int_equal(fx->noutcomes, 1);
    assert_int_equal(fx->outcomes[0].kind, FUSION_INGEST_STORED);
    assert_string_equal(fx->outcomes[0].id,
                        "observed-data--33333333-1111-4111-8111-111111111111");
}

static void
test_ingest_outcome_failed_input_stores_nothing(void **state)
{
    struct fixture *fx = *state;

    fx->opt.strict = true;
    assert_int_equal(ingest(fx, "{\"objects\":[" IND("1") "," IND(
                                    "2") ","
                                         "{\"type\":\"indicator\"}]}"),
                     FUSION_ERR_INVALID);
    assert_true(fx->noutcomes <= 2);
    assert_int_equal(stored(fx), 0);

    fx->opt.strict = false;
    assert_int_equal(ingest(fx, "{\"objects\":[" IND("1") "," IND("2") ",{"),
                     FUSION_ERR_INVALID);
    assert_int_equal(stored(fx), 0);
    fx->opt.limits.max_objects = 1;
    assert_int_equal(ingest(fx, "{\"objects\":[" IND("1") "," IND("2") "]}"),
                     FUSION_ERR_LIMIT);
    assert_int_equal(stored(fx), 0);
}

/* Without an outcome callback, notes and counts are as before. */
static void
test_ingest_no_outcome_callback(void **state)
{
    struct fixture *fx = *state;

    fx->opt.outcome = NULL;
    assert_int_equal(ingest(fx, "[" IND("1") ",42]"), FUSION_OK);
    assert_int_equal(fx->counts.rejected, 1);
    assert_int_equal(fx->rejected_notes, 1);
    assert_int_equal(fx->noutcomes, 0);
    assert_int_equal(stored(fx), 1);
}

/*
 * Every allocation in turn fails: the input fails whole with no leak, or
 * succeeds. Without the envelope option its objects are held whole, with
 * it they are streamed. One thread only, as the allocation hook requires.
 */
static void
test_ingest_allocation_failures(void **state)
{
    struct fixture *fx = *state;
    const char *text = "{\"more\":false,\"objects\":[" IND("1") ",42," IND(
        "2") ",{\"type\":\"indicator\"}]}";

    for (int option = 0; option < 2; option++) {
        enum fusion_err rc = FUSION_ERR_NOMEM;
        uint64_t before = stored(fx);

        fx->opt.envelope = option;
        for (long n = 0; rc != FUSION_OK; n++) {
            assert_true(n < 100000);
            fusion_alloc_fail_after(n);
            rc = ingest(fx, text);
            fusion_alloc_fail_after(-1);
            if (rc) {
                assert_true(rc == FUSION_ERR_NOMEM || rc == FUSION_ERR_DB);
                assert_int_equal(stored(fx), before);
            }
        }
        assert_int_equal(fx->noutcomes, 4);
        assert_int_equal(fx->outcomes[2].kind, option ? FUSION_INGEST_DUPLICATE
                                                      : FUSION_INGEST_STORED);
        assert_int_equal(stored(fx), 2);
    }
}

struct writer {
    const char *path;
    unsigned first;
    enum fusion_err rc;
    uint64_t stored;
};

/* Envelopes of 50 objects into a handle of its own. */
static void *
write_envelopes(void *arg)
{
    struct writer *w = arg;
    struct fusion_ingest_options opt = {
        .envelope = true,
        .source = { .kind = "test", .name = "thread" },
    };
    struct fusion_ingest_counts counts;
    struct fusion_store *store = NULL;
    char text[50 * 300 + 32];

    fusion_ingest_limits_default(&opt.limits);
    w->rc = fusion_store_open(w->path, 0, &store, NULL);
    for (unsigned round = 0; round < 10 && !w->rc; round++) {
        size_t len = (size_t)snprintf(text, sizeof(text), "{\"objects\":[");

        for (unsigned i = 0; i < 50; i++)
            len += (size_t)snprintf(
                text + len, sizeof(text) - len,
                "%s{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\",\"id\":"
                "\"ipv4-addr--%08x-2222-4222-8222-222222222222\",\"value\":"
                "\"10.%u.%u.%u\"}",
                i ? "," : "", w->first + round * 50 + i, w->first >> 16, round,
                i);
        snprintf(text + len, sizeof(text) - len, "]}");
        w->rc = fusion_ingest_buffer(store, text, strlen(text), &opt, &counts,
                                     NULL);
        w->stored += counts.new_objects;
    }
    fusion_store_close(store);
    return NULL;
}

static void
test_ingest_parallel_handles(void **state)
{
    struct fixture *fx = *state;
    struct writer w[3];
    pthread_t threads[3];

    for (unsigned i = 0; i < 3; i++) {
        w[i] = (struct writer){ .path = fx->path, .first = (i + 1) << 16 };
        assert_int_equal(
            pthread_create(&threads[i], NULL, write_envelopes, &w[i]), 0);
    }
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(w[i].rc, FUSION_OK);
        assert_int_equal(w[i].stored, 500);
    }
    assert_int_equal(stored(fx), 1500);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define IN_MEMORY(f) cmocka_unit_test_setup_teardown(f, setup_memory, teardown)
#define FROM_FILE(f) { #f " from a file", f, setup_file, teardown, NULL }
#define T(f)         IN_MEMORY(f), FROM_FILE(f)
        T(test_ingest_bundle),
        T(test_ingest_objects_before_type),
        T(test_ingest_objects_before_type_fail),
        T(test_ingest_array_bare_object_and_lines),
        T(test_ingest_duplicate_counted),
        T(test_ingest_truncated_stores_nothing),
        T(test_ingest_invalid_utf8_names_offset),
        T(test_ingest_duplicate_keys_rejected),
        T(test_ingest_depth_limit),
        T(test_ingest_object_size_limit),
        T(test_ingest_object_count_limit),
        T(test_ingest_wrong_top_level),
        T(test_ingest_lenient_rejects_one),
        T(test_ingest_strict_stores_nothing),
        T(test_ingest_bad_pattern_rejected),
        T(test_ingest_pattern_keys_searchable),
        T(test_ingest_stix20_upgraded),
        T(test_ingest_outcome_stored_then_duplicate),
        T(test_ingest_outcome_new_version_stored),
        T(test_ingest_outcome_conflict_failed),
        T(test_ingest_outcome_rejected_failed),
        T(test_ingest_outcome_without_id),
        T(test_ingest_outcome_revoked_failed),
        T(test_ingest_outcome_order),
        T(test_ingest_outcome_stix20_version),
        T(test_ingest_outcome_lifted_scos),
        T(test_ingest_outcome_failed_input_stores_nothing),
        T(test_ingest_no_outcome_callback),
        IN_MEMORY(test_ingest_allocation_failures),
        IN_MEMORY(test_ingest_parallel_handles),
#undef T
#undef FROM_FILE
#undef IN_MEMORY
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
