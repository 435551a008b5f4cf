/* SPDX-License-Identifier: Apache-2.0 */
/* TLP 1.0 and 2.0 markings and the effective TLP of an object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "stix/stix.h"

#define TLP1_WHITE  "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
#define TLP1_GREEN  "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
#define TLP1_AMBER  "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
#define TLP1_RED    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
#define TLP2_CLEAR  "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define TLP2_GREEN  "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define TLP2_AMBER  "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define TLP2_STRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define TLP2_RED    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define STATEMENT   "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"

static json_t *
parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);

    assert_non_null(v);
    return v;
}

static enum fusion_tlp
tlp_of_text(const char *text)
{
    json_t *obj = parse(text);
    enum fusion_tlp tlp = fusion_stix_tlp_of(obj);

    json_decref(obj);
    return tlp;
}

static void
test_tlp_of_marking_tlp1_ids(void **state)
{
    (void)state;
    assert_int_equal(fusion_stix_tlp_of_marking(TLP1_WHITE), FUSION_TLP_CLEAR);
    assert_int_equal(fusion_stix_tlp_of_marking(TLP1_GREEN), FUSION_TLP_GREEN);
    assert_int_equal(fusion_stix_tlp_of_marking(TLP1_AMBER), FUSION_TLP_AMBER);
    assert_int_equal(fusion_stix_tlp_of_marking(TLP1_RED), FUSION_TLP_RED);
}

static void
test_tlp_of_marking_tlp2_ids(void **state)
{
    (void)state;
    assert_int_equal(fusion_stix_tlp_of_marking(TLP2_CLEAR), FUSION_TLP_CLEAR);
    assert_int_equal(fusion_stix_tlp_of_marking(TLP2_GREEN), FUSION_TLP_GREEN);
    assert_int_equal(fusion_stix_tlp_of_marking(TLP2_AMBER), FUSION_TLP_AMBER);
    assert_int_equal(fusion_stix_tlp_of_marking(TLP2_STRICT),
                     FUSION_TLP_AMBER_STRICT);
    assert_int_equal(fusion_stix_tlp_of_marking(TLP2_RED), FUSION_TLP_RED);
}

static void
test_tlp_of_marking_unknown(void **state)
{
    (void)state;
    assert_int_equal(fusion_stix_tlp_of_marking(STATEMENT), FUSION_TLP_NONE);
    assert_int_equal(fusion_stix_tlp_of_marking(NULL), FUSION_TLP_NONE);
    assert_int_equal(fusion_stix_tlp_of_marking(""), FUSION_TLP_NONE);
    /* ids are compared exactly, as STIX references are */
    assert_int_equal(fusion_stix_tlp_of_marking(
                         "marking-definition--5E57C739-391A-4EB3-B6BE-"
                         "7D15CA92D5ED"),
                     FUSION_TLP_NONE);
}

static void
test_tlp_of_most_restrictive_object_marking(void **state)
{
    (void)state;
    assert_int_equal(tlp_of_text("{\"type\":\"indicator\","
                                 "\"object_marking_refs\":[\"" TLP1_GREEN
                                 "\",\"" STATEMENT "\",\"" TLP2_AMBER "\"]}"),
                     FUSION_TLP_AMBER);
    assert_int_equal(tlp_of_text("{\"type\":\"indicator\","
                                 "\"object_marking_refs\":[\"" TLP2_STRICT
                                 "\",\"" TLP1_AMBER "\"]}"),
                     FUSION_TLP_AMBER_STRICT);
}

static void
test_tlp_of_granular_markings_count(void **state)
{
    (void)state;
    assert_int_equal(
        tlp_of_text(
            "{\"type\":\"indicator\",\"object_marking_refs\":[\"" TLP1_WHITE
            "\"],\"granular_markings\":[{\"selectors\":[\"description\"],"
            "\"marking_ref\":\"" TLP2_RED "\"},{\"selectors\":[\"name\"],"
            "\"lang\":\"en\"}]}"),
        FUSION_TLP_RED);
}

static void
test_tlp_of_unmarked_is_none(void **state)
{
    (void)state;
    assert_int_equal(tlp_of_text("{\"type\":\"indicator\"}"), FUSION_TLP_NONE);
    assert_int_equal(tlp_of_text("{\"type\":\"indicator\","
                                 "\"object_marking_refs\":[\"" STATEMENT
                                 "\",7],\"granular_markings\":{}}"),
                     FUSION_TLP_NONE);
    assert_int_equal(fusion_stix_tlp_of(NULL), FUSION_TLP_NONE);
}

static void
test_tlp_of_tlp_definition_is_clear(void **state)
{
    (void)state;
    assert_int_equal(
        tlp_of_text("{\"type\":\"marking-definition\",\"id\":\"" TLP1_RED
                    "\",\"definition_type\":\"tlp\","
                    "\"definition\":{\"tlp\":\"red\"}}"),
        FUSION_TLP_CLEAR);
    assert_int_equal(
        tlp_of_text("{\"type\":\"marking-definition\",\"id\":\"" TLP2_RED
                    "\",\"name\":\"TLP:RED\"}"),
        FUSION_TLP_CLEAR);
    /* a statement marking is marked like any other object */
    assert_int_equal(
        tlp_of_text("{\"type\":\"marking-definition\",\"id\":\"" STATEMENT
                    "\",\"definition_type\":\"statement\","
                    "\"object_marking_refs\":[\"" TLP1_GREEN "\"]}"),
        FUSION_TLP_GREEN);
}

static void
test_tlp_name_all_levels(void **state)
{
    (void)state;
    assert_string_equal(fusion_tlp_name(FUSION_TLP_NONE), "none");
    assert_string_equal(fusion_tlp_name(FUSION_TLP_CLEAR), "TLP:CLEAR");
    assert_string_equal(fusion_tlp_name(FUSION_TLP_GREEN), "TLP:GREEN");
    assert_string_equal(fusion_tlp_name(FUSION_TLP_AMBER), "TLP:AMBER");
    assert_string_equal(fusion_tlp_name(FUSION_TLP_AMBER_STRICT),
                        "TLP:AMBER+STRICT");
    assert_string_equal(fusion_tlp_name(FUSION_TLP_RED), "TLP:RED");
    assert_string_equal(fusion_tlp_name((enum fusion_tlp)99), "none");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tlp_of_marking_tlp1_ids),
        cmocka_unit_test(test_tlp_of_marking_tlp2_ids),
        cmocka_unit_test(test_tlp_of_marking_unknown),
        cmocka_unit_test(test_tlp_of_most_restrictive_object_marking),
        cmocka_unit_test(test_tlp_of_granular_markings_count),
        cmocka_unit_test(test_tlp_of_unmarked_is_none),
        cmocka_unit_test(test_tlp_of_tlp_definition_is_clear),
        cmocka_unit_test(test_tlp_name_all_levels),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
