/* SPDX-License-Identifier: Apache-2.0 */
/* Secrets: base64url, scrypt hashing and verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "util/util.h"

/* A low cost keeps the suite fast; the format is the same. */
static const struct fusion_secret_params cheap = { .log2_n = 4,
                                                   .r = 8,
                                                   .p = 1 };

static void
test_base64url_round_trip(void **state)
{
    unsigned char data[40], back[40];
    char text[FUSION_BASE64URL_LEN(sizeof(data)) + 1];
    size_t len;

    (void)state;
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 37 + 250);
    for (size_t n = 0; n <= sizeof(data); n++) {
        fusion_base64url_encode(data, n, text);
        assert_int_equal(strlen(text), FUSION_BASE64URL_LEN(n));
        assert_null(strchr(text, '='));
        assert_int_equal(
            fusion_base64url_decode(text, strlen(text), back, n, &len),
            FUSION_OK);
        assert_int_equal(len, n);
        assert_memory_equal(back, data, n);
    }
}

static void
test_base64url_known_values(void **state)
{
    char text[16];

    (void)state;
    fusion_base64url_encode("\xfb\xff", 2, text);
    assert_string_equal(text, "-_8");
    fusion_base64url_encode("foobar", 6, text);
    assert_string_equal(text, "Zm9vYmFy");
}

static void
test_base64url_rejects_malformed(void **state)
{
    unsigned char out[8];
    size_t len;

    (void)state;
    assert_int_equal(fusion_base64url_decode("Zm9v+", 5, out, 8, &len),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_base64url_decode("Zm9=", 4, out, 8, &len),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_base64url_decode("Z", 1, out, 8, &len),
                     FUSION_ERR_INVALID);
    /* "-_9" has nonzero leftover bits: not the canonical spelling. */
    assert_int_equal(fusion_base64url_decode("-_9", 3, out, 8, &len),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_base64url_decode("Zm9vYmFy", 8, out, 4, &len),
                     FUSION_ERR_LIMIT);
}

static void
test_secret_hash_verifies(void **state)
{
    char hash[FUSION_SECRET_HASH_MAX];
    bool match;

    (void)state;
    assert_int_equal(fusion_secret_hash("s3cret", 6, &cheap, hash, NULL),
                     FUSION_OK);
    assert_true(strncmp(hash, "$scrypt$ln=4,r=8,p=1$", 21) == 0);
    assert_null(strstr(hash, "s3cret"));
    assert_int_equal(fusion_secret_verify("s3cret", 6, hash, &match, NULL),
                     FUSION_OK);
    assert_true(match);
    assert_int_equal(fusion_secret_verify("s3creT", 6, hash, &match, NULL),
                     FUSION_OK);
    assert_false(match);
    assert_int_equal(fusion_secret_verify("s3cre", 5, hash, &match, NULL),
                     FUSION_OK);
    assert_false(match);
}

static void
test_secret_hash_salted(void **state)
{
    char a[FUSION_SECRET_HASH_MAX], b[FUSION_SECRET_HASH_MAX];

    (void)state;
    assert_int_equal(fusion_secret_hash("same", 4, &cheap, a, NULL), FUSION_OK);
    assert_int_equal(fusion_secret_hash("same", 4, &cheap, b, NULL), FUSION_OK);
    assert_string_not_equal(a, b);
}

static void
test_secret_verify_uses_stored_params(void **state)
{
    const struct fusion_secret_params other = { .log2_n = 5, .r = 4, .p = 2 };
    char hash[FUSION_SECRET_HASH_MAX];
    bool match;

    (void)state;
    assert_int_equal(fusion_secret_hash("pw", 2, &other, hash, NULL),
                     FUSION_OK);
    assert_true(strncmp(hash, "$scrypt$ln=5,r=4,p=2$", 21) == 0);
    assert_int_equal(fusion_secret_verify("pw", 2, hash, &match, NULL),
                     FUSION_OK);
    assert_true(match);
}

static void
test_secret_empty_and_binary(void **state)
{
    const unsigned char bin[4] = { 0, 1, 0, 2 };
    char hash[FUSION_SECRET_HASH_MAX];
    bool match;

    (void)state;
    assert_int_equal(fusion_secret_hash("", 0, &cheap, hash, NULL), FUSION_OK);
    assert_int_equal(fusion_secret_verify("", 0, hash, &match, NULL),
                     FUSION_OK);
    assert_true(match);
    assert_int_equal(fusion_secret_hash(bin, 4, &cheap, hash, NULL), FUSION_OK);
    assert_int_equal(fusion_secret_verify(bin, 3, hash, &match, NULL),
                     FUSION_OK);
    assert_false(match);
}

static void
test_secret_params_checked(void **state)
{
    const struct fusion_secret_params zero = { 0, 8, 1 };
    const struct fusion_secret_params huge = { 24, 32, 1 };
    char hash[FUSION_SECRET_HASH_MAX];

    (void)state;
    assert_int_equal(fusion_secret_hash("x", 1, &zero, hash, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_secret_hash("x", 1, &huge, hash, NULL),
                     FUSION_ERR_LIMIT);
}

static void
test_secret_verify_rejects_malformed(void **state)
{
    static const char *const bad[] = {
        "",
        "plain",
        "$scrypt$ln=4,r=8$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
        "$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
        "$scrypt$ln=-4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=99,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$bcrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    bool match = true;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum fusion_err rc = fusion_secret_verify("x", 1, bad[i], &match, NULL);

        assert_true(rc == FUSION_ERR_INVALID || rc == FUSION_ERR_LIMIT);
        assert_false(match);
    }
}

static void
test_secret_random_differs(void **state)
{
    unsigned char a[32], b[32];

    (void)state;
    assert_int_equal(fusion_secret_random(a, sizeof(a), NULL), FUSION_OK);
    assert_int_equal(fusion_secret_random(b, sizeof(b), NULL), FUSION_OK);
    assert_memory_not_equal(a, b, sizeof(a));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64url_round_trip),
        cmocka_unit_test(test_base64url_known_values),
        cmocka_unit_test(test_base64url_rejects_malformed),
        cmocka_unit_test(test_secret_hash_verifies),
        cmocka_unit_test(test_secret_hash_salted),
        cmocka_unit_test(test_secret_verify_uses_stored_params),
        cmocka_unit_test(test_secret_empty_and_binary),
        cmocka_unit_test(test_secret_params_checked),
        cmocka_unit_test(test_secret_verify_rejects_malformed),
        cmocka_unit_test(test_secret_random_differs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
