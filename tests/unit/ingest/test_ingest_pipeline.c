/* SPDX-License-Identifier: Apache-2.0 */
/* Ingest: input shapes, bad input with positions, all-or-nothing. */
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

#include "ingest/ingest.h"

#define IND(n)                                                                \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--"   \
    "0000000" n "-1111-4111-8111-111111111111\",\"created\":\"2020-01-01T00:" \
    "00:00.000Z\",\"modified\":\"2020-01-01T00:00:00.000Z\",\"pattern\":"     \
    "\"[ipv4-addr:value = '198.51.100." n "']\",\"pattern_type\":\"stix\","   \
    "\"valid_from\":\"2020-01-01T00:00:00Z\"}"

struct fixture {
    char path[64];
    struct fusion_store *store;
    struct fusion_ingest_options opt;
    struct fusion_ingest_counts counts;
    struct fusion_error err;
    unsigned rejected_notes;
};

static void
on_note(void *ctx, const struct fusion_ingest_note *note)
{
    struct fixture *fx = ctx;

    if (note->event == FUSION_INGEST_REJECTED)
        fx->rejected_notes++;
}

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    int fd;

    assert_non_null(fx);
    snprintf(fx->path, sizeof(fx->path), "/tmp/fusion-ingest-XXXXXX");
    fd = mkstemp(fx->path);
    assert_true(fd >= 0);
    close(fd);
    unlink(fx->path);
    assert_int_equal(
        fusion_store_open(fx->path, FUSION_STORE_CREATE, &fx->store, NULL),
        FUSION_OK);
    fusion_ingest_limits_default(&fx->opt.limits);
    fx->opt.source.kind = "test";
    fx->opt.source.name = "unit";
    fx->opt.note = on_note;
    fx->opt.ctx = fx;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    char side[80];

    fusion_store_close(fx->store);
    unlink(fx->path);
    snprintf(side, sizeof(side), "%s-wal", fx->path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", fx->path);
    unlink(side);
    free(fx);
    return 0;
}

static enum fusion_err
ingest(struct fixture *fx, const char *text)
{
    fusion_error_clear(&fx->err);
    return fusion_ingest_buffer(fx->store, text, strlen(text), &fx->opt,
                                &fx->counts, &fx->err);
}

static uint64_t
stored(struct fixture *fx)
{
    struct fusion_store_stats st;

    assert_int_equal(fusion_store_stats(fx->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    return st.versions;
}

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

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_ingest_bundle),
        T(test_ingest_objects_before_type),
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
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
