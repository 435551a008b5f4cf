/* SPDX-License-Identifier: Apache-2.0 */
/* The streaming reader: TAXII 2.1 envelopes, with and without the option. */
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

#define BUNDLE_ID "\"bundle--11111111-1111-4111-8111-111111111111\""

/* Byte offset of needle in text, which must hold it. */
static uint64_t
offset_of(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);

    assert_non_null(p);
    return (uint64_t)(p - text);
}

static void
test_envelope_every_key_order(void **state)
{
    static const char *const members[] = {
        "\"more\":false",
        "\"next\":\"page-2\"",
        "\"objects\":[" IND("1") ",\n" IND("2") "]",
    };
    static const int orders[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
                                      { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
    struct fixture *fx = *state;
    char text[2048];

    for (int option = 0; option < 2; option++) {
        fx->opt.envelope = option;
        for (int i = 0; i < 6; i++) {
            snprintf(text, sizeof(text), "{%s,%s,%s}", members[orders[i][0]],
                     members[orders[i][1]], members[orders[i][2]]);
            assert_int_equal(ingest(fx, text), FUSION_OK);
            assert_int_equal(fx->counts.objects, 2);
            assert_int_equal(fx->counts.rejected, 0);
            assert_int_equal(fx->noutcomes, 2);
            assert_string_equal(fx->outcomes[0].id, IND_ID("1"));
            assert_string_equal(fx->outcomes[1].id, IND_ID("2"));
            assert_int_equal(fx->outcomes[0].offset,
                             offset_of(text, "{\"type\""));
            assert_int_equal(fx->outcomes[1].line, 2);
        }
    }
    assert_int_equal(stored(fx), 2);
}

static void
test_envelope_more_next_and_custom_members(void **state)
{
    struct fixture *fx = *state;
    const char *text = "{\"more\":true,\"next\":\"abc\",\"x_acme_page\":{\"a\":"
                       "[1,2,{}]},\"objects\":[" IND("1") "]}";

    for (int option = 0; option < 2; option++) {
        fx->opt.envelope = option;
        assert_int_equal(ingest(fx, text), FUSION_OK);
        assert_int_equal(fx->counts.objects, 1);
    }
    assert_int_equal(stored(fx), 1);
}

static void
test_envelope_wrong_member_types(void **state)
{
    static const struct {
        const char *text;
        const char *at;   /* where the error points */
        const char *word; /* in the message */
    } cases[] = {
        { "{\"more\":\"false\",\"objects\":[" IND("1") "]}", "\"false\"",
          "\"more\"" },
        { "{\"objects\":[" IND("1") "],\"more\":1}", "1}", "\"more\"" },
        { "{\"more\":null,\"objects\":[]}", "null", "\"more\"" },
        { "{\"next\":5,\"objects\":[" IND("1") "]}", "5", "\"next\"" },
        { "{\"objects\":[" IND("1") "],\"next\":[\"a\"]}", "[\"a\"]",
          "\"next\"" },
    };
    struct fixture *fx = *state;

    for (int option = 0; option < 2; option++) {
        fx->opt.envelope = option;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            assert_int_equal(ingest(fx, cases[i].text), FUSION_ERR_INVALID);
            assert_non_null(strstr(fx->err.message, cases[i].word));
            assert_true(fx->err.has_offset);
            assert_int_equal(fx->err.offset,
                             offset_of(cases[i].text, cases[i].at));
            assert_int_equal(fx->err.line, 1);
        }
    }
    assert_int_equal(stored(fx), 0);
}

static void
test_envelope_objects_not_an_array(void **state)
{
    struct fixture *fx = *state;

    /* an envelope needs its "objects" to be an array */
    fx->opt.envelope = true;
    assert_int_equal(ingest(fx, "{\"objects\":{}}"), FUSION_ERR_INVALID);
    assert_non_null(strstr(fx->err.message, "must be an array"));
    assert_int_equal(ingest(fx, "{\"objects\":null}"), FUSION_ERR_INVALID);

    /* without the option, that is no envelope but an object without type */
    fx->opt.envelope = false;
    assert_int_equal(ingest(fx, "{\"objects\":{}}"), FUSION_OK);
    assert_int_equal(fx->counts.rejected, 1);
    assert_int_equal(stored(fx), 0);
}

static void
test_envelope_option_refuses_bundle(void **state)
{
    struct fixture *fx = *state;
    char type_first[1024], objects_first[1024];

    snprintf(type_first, sizeof(type_first),
             "{\"type\":\"bundle\",\"id\":%s,\"objects\":[%s]}", BUNDLE_ID,
             IND("1"));
    snprintf(objects_first, sizeof(objects_first),
             "{\"objects\":[%s,%s],\n\"id\":%s,\n\"type\":\"bundle\"}",
             IND("1"), IND("2"), BUNDLE_ID);

    fx->opt.envelope = true;
    assert_int_equal(ingest(fx, type_first), FUSION_ERR_INVALID);
    assert_non_null(strstr(fx->err.message, "TAXII envelope"));
    assert_non_null(strstr(fx->err.message, "\"bundle\""));
    assert_int_equal(fx->err.offset, offset_of(type_first, "\"bundle\""));
    assert_int_equal(fx->err.line, 1);

    /* the objects were read before the type showed: still none stored */
    assert_int_equal(ingest(fx, objects_first), FUSION_ERR_INVALID);
    assert_int_equal(fx->err.offset, offset_of(objects_first, "\"bundle\""));
    assert_int_equal(fx->err.line, 3);
    assert_int_equal(stored(fx), 0);

    fx->opt.envelope = false;
    assert_int_equal(ingest(fx, objects_first), FUSION_OK);
    assert_int_equal(stored(fx), 2);
}

static void
test_envelope_option_refuses_other_shapes(void **state)
{
    struct fixture *fx = *state;
    const char *two = "{\"objects\":[" IND("1") "]}\n{\"objects\":[]}";

    fx->opt.envelope = true;
    assert_int_equal(ingest(fx, IND("1")), FUSION_ERR_INVALID);
    assert_non_null(strstr(fx->err.message, "\"indicator\""));

    assert_int_equal(ingest(fx, "  [" IND("1") "]"), FUSION_ERR_INVALID);
    assert_non_null(strstr(fx->err.message, "TAXII envelope"));
    assert_int_equal(fx->err.offset, 2);

    assert_int_equal(ingest(fx, two), FUSION_ERR_INVALID);
    assert_non_null(strstr(fx->err.message, "after the TAXII envelope"));
    assert_int_equal(fx->err.offset, offset_of(two, "\n") + 1);
    assert_int_equal(fx->err.line, 2);

    assert_int_equal(ingest(fx, "42"), FUSION_ERR_INVALID);
    assert_int_equal(ingest(fx, " \n"), FUSION_ERR_INVALID);
    assert_non_null(strstr(fx->err.message, "empty"));
    assert_int_equal(stored(fx), 0);
}

static void
test_envelope_empty(void **state)
{
    static const char *const empty[] = {
        "{}",
        "{\"objects\":[]}",
        " { \"more\" : false } \n",
        "{\"objects\":[],\"more\":false,\"next\":\"x\"}",
    };
    struct fixture *fx = *state;

    fx->opt.envelope = true;
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
        assert_int_equal(ingest(fx, empty[i]), FUSION_OK);
        assert_int_equal(fx->counts.objects, 0);
        assert_int_equal(fx->noutcomes, 0);
    }

    fx->opt.envelope = false;
    assert_int_equal(ingest(fx, "{\"objects\":[]}"), FUSION_OK);
    assert_int_equal(fx->counts.objects, 0);
    /* without "objects" nothing tells it from an object without type */
    assert_int_equal(ingest(fx, "{}"), FUSION_OK);
    assert_int_equal(fx->counts.rejected, 1);
    assert_int_equal(stored(fx), 0);
}

static void
test_envelope_streamed_only_with_option(void **state)
{
    struct fixture *fx = *state;
    const char *text = "{\"more\":false,\"objects\":[" IND("1") "]}";

    /* without the option, the type might still come: held whole */
    fx->opt.limits.max_document_bytes = 64;
    assert_int_equal(ingest(fx, text), FUSION_ERR_LIMIT);
    assert_non_null(strstr(fx->err.message, "document limit"));

    fx->opt.envelope = true;
    assert_int_equal(ingest(fx, text), FUSION_OK);
    assert_int_equal(stored(fx), 1);
}

static void
test_envelope_duplicate_objects(void **state)
{
    struct fixture *fx = *state;
    const char *text =
        "{\"objects\":[" IND("1") "],\"objects\":[" IND("2") "]}";

    for (int option = 0; option < 2; option++) {
        fx->opt.envelope = option;
        assert_int_equal(ingest(fx, text), FUSION_ERR_INVALID);
        assert_non_null(strstr(fx->err.message, "duplicate"));
        assert_int_equal(fx->err.offset, offset_of(text, "],\"") + 12);
    }
    assert_int_equal(stored(fx), 0);
}

static void
test_envelope_bundle_inside_rejected(void **state)
{
    struct fixture *fx = *state;
    char text[1024];

    snprintf(
        text, sizeof(text),
        "{\"objects\":[{\"type\":\"bundle\",\"id\":%s,\"objects\":[]},%s]}",
        BUNDLE_ID, IND("1"));
    fx->opt.envelope = true;
    assert_int_equal(ingest(fx, text), FUSION_OK);
    assert_int_equal(fx->counts.rejected, 1);
    assert_int_equal(fx->noutcomes, 2);
    assert_int_equal(fx->outcomes[0].kind, FUSION_INGEST_FAILED);
    assert_int_equal(fx->outcomes[1].kind, FUSION_INGEST_STORED);
    assert_int_equal(stored(fx), 1);
}

static void
test_envelope_beside_other_shapes(void **state)
{
    struct fixture *fx = *state;
    char text[2048];

    snprintf(text, sizeof(text),
             "{\"objects\":[%s]}\n{\"type\":\"bundle\",\"id\":%s,"
             "\"objects\":[%s]}\n[%s]\n%s\n",
             IND("1"), BUNDLE_ID, IND("2"), IND("3"), IND("4"));
    assert_int_equal(ingest(fx, text), FUSION_OK);
    assert_int_equal(fx->counts.objects, 4);
    assert_int_equal(stored(fx), 4);
}

static void
test_envelope_typed_object_keeps_objects(void **state)
{
    struct fixture *fx = *state;

    /* an "objects" array before the type of a custom object stays in it */
    assert_int_equal(
        ingest(fx, "{\"objects\":[1,2],\"type\":\"x-acme-list\",\"id\":"
                   "\"x-acme-list--11111111-1111-4111-8111-111111111111\","
                   "\"spec_version\":\"2.1\",\"created\":\"2020-01-01T00:00:"
                   "00.000Z\",\"modified\":\"2020-01-01T00:00:00.000Z\"}"),
        FUSION_OK);
    assert_int_equal(fx->counts.objects, 1);
    assert_int_equal(fx->counts.rejected, 0);
    assert_int_equal(stored(fx), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define IN_MEMORY(f) cmocka_unit_test_setup_teardown(f, setup_memory, teardown)
#define FROM_FILE(f) { #f " from a file", f, setup_file, teardown, NULL }
#define T(f)         IN_MEMORY(f), FROM_FILE(f)
        T(test_envelope_every_key_order),
        T(test_envelope_more_next_and_custom_members),
        T(test_envelope_wrong_member_types),
        T(test_envelope_objects_not_an_array),
        T(test_envelope_option_refuses_bundle),
        T(test_envelope_option_refuses_other_shapes),
        T(test_envelope_empty),
        T(test_envelope_streamed_only_with_option),
        T(test_envelope_duplicate_objects),
        T(test_envelope_bundle_inside_rejected),
        T(test_envelope_beside_other_shapes),
        T(test_envelope_typed_object_keeps_objects),
#undef T
#undef FROM_FILE
#undef IN_MEMORY
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
