/* SPDX-License-Identifier: Apache-2.0 */
/* Pagination cursors: round trips and tampering (T-S-45). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "taxii/taxii.h"

static const char secret[] = "0123456789abcdef0123456789abcdef";
static const char other[] = "0123456789abcdef0123456789abcdeF";

static void
test_cursor_round_trip(void **state)
{
    static const struct fusion_taxii_cursor cases[] = {
        { 0, 0, 0 },
        { INT64_C(1609459200000000000), 42, UINT64_C(0xdeadbeefcafef00d) },
        { INT64_MIN, INT64_MIN, 0 },
        { INT64_MAX, INT64_MAX, UINT64_MAX },
        { -1, -1, 1 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char tok[FUSION_TAXII_CURSOR_LEN + 1];
        struct fusion_taxii_cursor back;

        assert_int_equal(fusion_taxii_cursor_encode(&cases[i], secret, 32, tok),
                         FUSION_OK);
        assert_int_equal(strlen(tok), FUSION_TAXII_CURSOR_LEN);
        assert_null(strpbrk(tok, "+/="));
        assert_int_equal(fusion_taxii_cursor_decode(tok, strlen(tok), secret,
                                                    32, &back, NULL),
                         FUSION_OK);
        assert_true(back.date_added == cases[i].date_added);
        assert_true(back.seq == cases[i].seq);
        assert_true(back.digest == cases[i].digest);
    }
}

static void
test_cursor_rejects_short_secret(void **state)
{
    struct fusion_taxii_cursor c = { 1, 2, 3 };
    char tok[FUSION_TAXII_CURSOR_LEN + 1];

    (void)state;
    assert_int_equal(fusion_taxii_cursor_encode(&c, secret, 31, tok),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_taxii_cursor_decode(tok, 0, secret, 31, &c, NULL),
                     FUSION_ERR_INVALID);
}

static void
test_cursor_rejects_wrong_length(void **state)
{
    struct fusion_taxii_cursor c = { 1, 2, 3 }, back;
    char tok[FUSION_TAXII_CURSOR_LEN + 2];
    struct fusion_error err;

    (void)state;
    assert_int_equal(fusion_taxii_cursor_encode(&c, secret, 32, tok),
                     FUSION_OK);
    assert_int_equal(fusion_taxii_cursor_decode(tok,
                                                FUSION_TAXII_CURSOR_LEN - 1,
                                                secret, 32, &back, &err),
                     FUSION_ERR_INVALID);
    assert_non_null(strstr(err.message, "length"));
    tok[FUSION_TAXII_CURSOR_LEN] = 'A';
    tok[FUSION_TAXII_CURSOR_LEN + 1] = '\0';
    assert_int_equal(
        fusion_taxii_cursor_decode(tok, strlen(tok), secret, 32, &back, NULL),
        FUSION_ERR_INVALID);
    assert_int_equal(fusion_taxii_cursor_decode("", 0, secret, 32, &back, NULL),
                     FUSION_ERR_INVALID);
}

static void
test_cursor_rejects_bad_base64(void **state)
{
    static const char bad[] = { '+', '/', '=', '.', ' ', '\0', '\xff' };
    struct fusion_taxii_cursor c = { 1, 2, 3 }, back;
    char tok[FUSION_TAXII_CURSOR_LEN + 1];
    struct fusion_error err;

    (void)state;
    assert_int_equal(fusion_taxii_cursor_encode(&c, secret, 32, tok),
                     FUSION_OK);
    for (size_t i = 0; i < sizeof(bad); i++) {
        char t[FUSION_TAXII_CURSOR_LEN + 1];

        memcpy(t, tok, sizeof(t));
        t[10] = bad[i];
        assert_int_equal(fusion_taxii_cursor_decode(t, FUSION_TAXII_CURSOR_LEN,
                                                    secret, 32, &back, &err),
                         FUSION_ERR_INVALID);
        assert_non_null(strstr(err.message, "base64url"));
    }
}

static void
test_cursor_rejects_tampering(void **state)
{
    struct fusion_taxii_cursor c = { INT64_C(1609459200000000000), 7, 9 }, back;
    char tok[FUSION_TAXII_CURSOR_LEN + 1];
    struct fusion_error err;

    (void)state;
    assert_int_equal(fusion_taxii_cursor_encode(&c, secret, 32, tok),
                     FUSION_OK);
    /* every character, flipped to another valid one, breaks the MAC */
    for (size_t i = 0; i < FUSION_TAXII_CURSOR_LEN; i++) {
        char t[FUSION_TAXII_CURSOR_LEN + 1];

        memcpy(t, tok, sizeof(t));
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_int_equal(fusion_taxii_cursor_decode(t, FUSION_TAXII_CURSOR_LEN,
                                                    secret, 32, &back, &err),
                         FUSION_ERR_INVALID);
    }
    assert_non_null(strstr(err.message, "not issued"));
    /* another server's secret */
    assert_int_equal(fusion_taxii_cursor_decode(tok, FUSION_TAXII_CURSOR_LEN,
                                                other, 32, &back, NULL),
                     FUSION_ERR_INVALID);
}

static void
test_cursor_differs_by_position(void **state)
{
    struct fusion_taxii_cursor a = { 100, 1, 5 }, b = { 100, 2, 5 };
    char ta[FUSION_TAXII_CURSOR_LEN + 1], tb[FUSION_TAXII_CURSOR_LEN + 1];

    (void)state;
    assert_int_equal(fusion_taxii_cursor_encode(&a, secret, 32, ta), FUSION_OK);
    assert_int_equal(fusion_taxii_cursor_encode(&b, secret, 32, tb), FUSION_OK);
    assert_string_not_equal(ta, tb);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cursor_round_trip),
        cmocka_unit_test(test_cursor_rejects_short_secret),
        cmocka_unit_test(test_cursor_rejects_wrong_length),
        cmocka_unit_test(test_cursor_rejects_bad_base64),
        cmocka_unit_test(test_cursor_rejects_tampering),
        cmocka_unit_test(test_cursor_differs_by_position),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
