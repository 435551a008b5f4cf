/* SPDX-License-Identifier: Apache-2.0 */
/* Accept and Content-Type negotiation (T-S-07, T-S-08, T-S-09, T-S-60). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "taxii/taxii.h"

#define OK_TAXII 0
#define OK_STIX  1
#define REFUSED  2

struct accept_case {
    const char *accept;
    unsigned flags;
    int expect;
};

static const struct accept_case accept_cases[] = {
    /* T-S-07: the endpoint's own type never gets 406 */
    { "application/taxii+json;version=2.1", 0, OK_TAXII },
    { "application/taxii+json; version=2.1", 0, OK_TAXII },
    { "  application/taxii+json ; version = 2.1  ", 0, OK_TAXII },
    { "Application/TAXII+JSON;Version=2.1", 0, OK_TAXII },
    { "application/taxii+json;version=\"2.1\"", 0, OK_TAXII },
    /* T-S-09: no version means the latest, which is 2.1 */
    { "application/taxii+json", 0, OK_TAXII },
    { "application/taxii+json;version=2.0", 0, REFUSED },
    { "application/taxii+json;version=2.10", 0, REFUSED },
    { "application/vnd.oasis.taxii+json; version=2.0", 0, REFUSED },
    { "application/json", 0, REFUSED },
    { "text/html,application/xml;q=0.9", 0, REFUSED },
    { "*/*", 0, OK_TAXII },
    { "application/*", 0, OK_TAXII },
    { "*/*", FUSION_TAXII_MEDIA_STRICT, REFUSED },
    { "application/*", FUSION_TAXII_MEDIA_STRICT, REFUSED },
    { "application/json, application/taxii+json;version=2.1;q=0.5", 0,
      OK_TAXII },
    /* q=0 refuses, and the most specific range wins */
    { "application/taxii+json;version=2.1;q=0", 0, REFUSED },
    { "application/taxii+json;q=0", 0, REFUSED },
    { "application/taxii+json;q=0.000", 0, REFUSED },
    { "*/*, application/taxii+json;q=0", 0, REFUSED },
    { "application/taxii+json;q=0, application/taxii+json;version=2.1", 0,
      OK_TAXII },
    { "application/taxii+json;version=2.1;q=0, application/taxii+json", 0,
      REFUSED },
    { "application/taxii+json;version=2.1;q=0.001", 0, OK_TAXII },
    /* malformed ranges are skipped */
    { "application/taxii+json;q=2", 0, REFUSED },
    { "application/taxii+json;q=abc", 0, REFUSED },
    { "application/taxii+json;q=abc, application/taxii+json", 0, OK_TAXII },
    { "application", 0, REFUSED },
    { "application/taxii+json;version", 0, REFUSED },
    { ",,application/taxii+json,,", 0, OK_TAXII },
    { "application/taxii+json;", 0, OK_TAXII },
    /* the STIX type only where the endpoint serves STIX content */
    { "application/stix+json;version=2.1", 0, REFUSED },
    { "application/stix+json;version=2.1", FUSION_TAXII_MEDIA_ALLOW_STIX,
      OK_STIX },
    { "application/stix+json;version=2.0", FUSION_TAXII_MEDIA_ALLOW_STIX,
      REFUSED },
    /* E6 lists both types; TAXII is preferred */
    { "application/taxii+json;version=2.1,application/stix+json;version=2.1",
      FUSION_TAXII_MEDIA_ALLOW_STIX, OK_TAXII },
    { "application/taxii+json;q=0,application/stix+json;version=2.1",
      FUSION_TAXII_MEDIA_ALLOW_STIX, OK_STIX },
    /* section 3.2: Accept is required */
    { "", 0, REFUSED },
    { "   ", 0, REFUSED },
};

static void
test_media_accept_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(accept_cases) / sizeof(accept_cases[0]);
         i++) {
        const struct accept_case *c = &accept_cases[i];
        enum fusion_taxii_media m = FUSION_TAXII_MEDIA_TAXII;
        struct fusion_error err;
        enum fusion_err rc;

        rc = fusion_taxii_media_accept(c->accept, c->flags, &m, &err);
        print_message("case %zu: '%s'\n", i, c->accept);
        if (c->expect == REFUSED) {
            assert_int_equal(rc, FUSION_ERR_UNSUPPORTED);
            assert_non_null(strstr(err.message, "Accept"));
        } else {
            assert_int_equal(rc, FUSION_OK);
            assert_int_equal(m, c->expect == OK_STIX
                                    ? FUSION_TAXII_MEDIA_STIX
                                    : FUSION_TAXII_MEDIA_TAXII);
        }
    }
}

static void
test_media_accept_missing_header(void **state)
{
    enum fusion_taxii_media m;
    struct fusion_error err;

    (void)state;
    assert_int_equal(fusion_taxii_media_accept(NULL, 0, &m, &err),
                     FUSION_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "missing Accept"));
}

struct ctype_case {
    const char *ctype;
    unsigned flags;
    bool ok;
};

static const struct ctype_case ctype_cases[] = {
    /* T-S-08: the defined type never gets 415 */
    { "application/taxii+json;version=2.1", 0, true },
    { "application/taxii+json; version=2.1", 0, true },
    { "APPLICATION/taxii+JSON;VERSION=2.1", 0, true },
    { "application/taxii+json;version=2.1; charset=utf-8", 0, true },
    { "application/taxii+json", 0, true },
    { "application/taxii+json", FUSION_TAXII_MEDIA_STRICT, false },
    { "application/taxii+json;version=2.1", FUSION_TAXII_MEDIA_STRICT, true },
    /* T-S-60: anything else gets 415 */
    { "application/taxii+json;version=2.0", 0, false },
    { "application/stix+json;version=2.1", 0, false },
    { "application/json", 0, false },
    { "*/*", 0, false },
    { "application/*", 0, false },
    { "application/taxii+json;version=2.1, application/json", 0, false },
    { "", 0, false },
    { "application/taxii+json;version", 0, false },
};

static void
test_media_content_type_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ctype_cases) / sizeof(ctype_cases[0]); i++) {
        struct fusion_error err;
        enum fusion_err rc;

        rc = fusion_taxii_media_content_type(ctype_cases[i].ctype,
                                             ctype_cases[i].flags, &err);
        print_message("case %zu: '%s'\n", i, ctype_cases[i].ctype);
        assert_int_equal(rc, ctype_cases[i].ok ? FUSION_OK
                                               : FUSION_ERR_UNSUPPORTED);
    }
    assert_int_equal(fusion_taxii_media_content_type(NULL, 0, NULL),
                     FUSION_ERR_UNSUPPORTED);
}

static void
test_media_name_carries_version(void **state)
{
    /* T-S-06: every Content-Type carries the version parameter */
    (void)state;
    assert_string_equal(fusion_taxii_media_name(FUSION_TAXII_MEDIA_TAXII),
                        "application/taxii+json;version=2.1");
    assert_string_equal(fusion_taxii_media_name(FUSION_TAXII_MEDIA_STIX),
                        "application/stix+json;version=2.1");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_media_accept_table),
        cmocka_unit_test(test_media_accept_missing_header),
        cmocka_unit_test(test_media_content_type_table),
        cmocka_unit_test(test_media_name_carries_version),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
