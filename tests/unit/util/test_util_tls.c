/* SPDX-License-Identifier: Apache-2.0 */
/* Self-signed certificates, read back with OpenSSL. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "util/util.h"

struct paths {
    char dir[64];
    char cert[128];
    char key[128];
};

static int
setup(void **state)
{
    struct paths *p = calloc(1, sizeof(*p));
    int n;

    if (!p)
        return -1;
    /* mkdtemp replaces a suffix of six capital X */
    n = snprintf(p->dir, sizeof(p->dir), "/tmp/fusion-tls-");
    memset(p->dir + n, 'X', 6);
    p->dir[n + 6] = '\0';
    if (!mkdtemp(p->dir)) {
        free(p);
        return -1;
    }
    snprintf(p->cert, sizeof(p->cert), "%s/cert.pem", p->dir);
    snprintf(p->key, sizeof(p->key), "%s/key.pem", p->dir);
    *state = p;
    return 0;
}

static int
teardown(void **state)
{
    struct paths *p = *state;

    unlink(p->cert);
    unlink(p->key);
    rmdir(p->dir);
    free(p);
    return 0;
}

static bool
exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

static unsigned
file_mode(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return (unsigned)(st.st_mode & 07777);
}

static X509 *
read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x;

    assert_non_null(f);
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *
read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k;

    assert_non_null(f);
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(k);
    return k;
}

/* Reads a whole small file into buf; returns its length. */
static size_t
slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

static void
check_san(X509 *x)
{
    static const unsigned char v4[] = { 127, 0, 0, 1 };
    static const unsigned char v6[16] = { [15] = 1 };
    int crit = -1;
    GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    const GENERAL_NAME *gn;
    const ASN1_STRING *s;

    assert_non_null(san);
    assert_int_equal(crit, 0);
    assert_int_equal(sk_GENERAL_NAME_num(san), 4);

    gn = sk_GENERAL_NAME_value(san, 0);
    assert_int_equal(gn->type, GEN_DNS);
    s = gn->d.dNSName;
    assert_int_equal(ASN1_STRING_length(s), 9);
    assert_memory_equal(ASN1_STRING_get0_data(s), "localhost", 9);

    gn = sk_GENERAL_NAME_value(san, 1);
    assert_int_equal(gn->type, GEN_IPADD);
    assert_int_equal(ASN1_STRING_length(gn->d.iPAddress), 4);
    assert_memory_equal(ASN1_STRING_get0_data(gn->d.iPAddress), v4, 4);

    gn = sk_GENERAL_NAME_value(san, 2);
    assert_int_equal(gn->type, GEN_IPADD);
    assert_int_equal(ASN1_STRING_length(gn->d.iPAddress), 16);
    assert_memory_equal(ASN1_STRING_get0_data(gn->d.iPAddress), v6, 16);

    gn = sk_GENERAL_NAME_value(san, 3);
    assert_int_equal(gn->type, GEN_DNS);
    assert_int_equal(ASN1_STRING_length(gn->d.dNSName), 19);
    assert_memory_equal(ASN1_STRING_get0_data(gn->d.dNSName),
                        "*.intel.example.org", 19);
    GENERAL_NAMES_free(san);
}

static void
check_constraints(X509 *x)
{
    int crit = -1;
    BASIC_CONSTRAINTS *bc =
        X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
    ASN1_BIT_STRING *ku;

    assert_non_null(bc);
    assert_int_equal(crit, 1);
    assert_int_equal(bc->ca, 0);
    BASIC_CONSTRAINTS_free(bc);

    ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
    assert_non_null(ku);
    assert_int_equal(crit, 1);
    ASN1_BIT_STRING_free(ku);
    assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
    assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
    assert_int_equal(X509_check_ca(x), 0);
}

static void
check_validity(X509 *x, int days)
{
    time_t now = time(NULL);
    int pday;
    int psec;

    /* notBefore is an hour back: now - 1h (give or take the test's run) */
    assert_int_equal(ASN1_TIME_diff(&pday, &psec, X509_get0_notBefore(x), NULL),
                     1);
    assert_int_equal(pday, 0);
    assert_in_range(psec, 3600, 3660);
    assert_true(X509_cmp_time(X509_get0_notAfter(x), &now) > 0);
    assert_int_equal(ASN1_TIME_diff(&pday, &psec, NULL, X509_get0_notAfter(x)),
                     1);
    assert_true(pday == days || (pday == days - 1 && psec > 86340));
}

static void
check_serial(X509 *x)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);

    assert_non_null(bn);
    assert_false(BN_is_negative(bn));
    /* 127 random bits: fewer than 100 happens once in 2^27 */
    assert_in_range(BN_num_bits(bn), 100, 128);
    BN_free(bn);
}

static void
test_tls_self_signed_reads_back(void **state)
{
    struct paths *p = *state;
    const char *names[] = { "localhost", "127.0.0.1", "::1",
                            "*.intel.example.org" };
    struct fusion_error err;
    char cn[80];
    X509 *x;
    EVP_PKEY *key;

    assert_int_equal(
        fusion_tls_self_signed(p->cert, p->key, names, 4, 30, &err), FUSION_OK);
    assert_int_equal(file_mode(p->key), 0600);
    assert_int_equal(file_mode(p->cert), 0644);

    x = read_cert(p->cert);
    key = read_key(p->key);
    assert_int_equal(X509_get_version(x), X509_VERSION_3);
    assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
                                               NID_commonName, cn, sizeof(cn)),
                     9);
    assert_string_equal(cn, "localhost");
    assert_int_equal(
        X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
    check_san(x);
    check_constraints(x);
    check_validity(x, 30);
    check_serial(x);

    assert_true(EVP_PKEY_is_a(key, "EC"));
    assert_int_equal(EVP_PKEY_get_bits(key), 256);
    assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
    assert_int_equal(X509_check_private_key(x, key), 1);
    assert_int_equal(X509_verify(x, key), 1);
    X509_free(x);
    EVP_PKEY_free(key);
}

static void
test_tls_self_signed_serials_differ(void **state)
{
    struct paths *p = *state;
    const char *names[] = { "a.example" };
    char cert2[160];
    char key2[160];
    X509 *x;
    X509 *y;

    snprintf(cert2, sizeof(cert2), "%s/2.crt", p->dir);
    snprintf(key2, sizeof(key2), "%s/2.key", p->dir);
    assert_int_equal(fusion_tls_self_signed(p->cert, p->key, names, 1, 1, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_tls_self_signed(cert2, key2, names, 1, 1, NULL),
                     FUSION_OK);
    x = read_cert(p->cert);
    y = read_cert(cert2);
    assert_int_not_equal(
        ASN1_INTEGER_cmp(X509_get0_serialNumber(x), X509_get0_serialNumber(y)),
        0);
    X509_free(x);
    X509_free(y);
    unlink(cert2);
    unlink(key2);
}

static void
test_tls_self_signed_refuses_overwrite(void **state)
{
    struct paths *p = *state;
    const char *names[] = { "localhost" };
    struct fusion_error err;
    char before[8192];
    char after[8192];
    char other[160];

    assert_int_equal(fusion_tls_self_signed(p->cert, p->key, names, 1, 1, NULL),
                     FUSION_OK);
    slurp(p->key, before, sizeof(before));

    /* both exist: the key is named, nothing changes */
    assert_int_equal(fusion_tls_self_signed(p->cert, p->key, names, 1, 1, &err),
                     FUSION_ERR_CONFLICT);
    assert_non_null(strstr(err.message, p->key));
    slurp(p->key, after, sizeof(after));
    assert_string_equal(before, after);

    /* only the certificate exists: refused, and no new key stays */
    snprintf(other, sizeof(other), "%s/other.key", p->dir);
    assert_int_equal(fusion_tls_self_signed(p->cert, other, names, 1, 1, &err),
                     FUSION_ERR_CONFLICT);
    assert_non_null(strstr(err.message, p->cert));
    assert_false(exists(other));

    /* only the key exists */
    snprintf(other, sizeof(other), "%s/other.crt", p->dir);
    assert_int_equal(fusion_tls_self_signed(other, p->key, names, 1, 1, &err),
                     FUSION_ERR_CONFLICT);
    assert_non_null(strstr(err.message, p->key));
    assert_false(exists(other));
}

static void
test_tls_self_signed_modes_ignore_umask(void **state)
{
    struct paths *p = *state;
    const char *names[] = { "localhost" };
    mode_t old = umask(0077);

    assert_int_equal(fusion_tls_self_signed(p->cert, p->key, names, 1, 1, NULL),
                     FUSION_OK);
    umask(old);
    assert_int_equal(file_mode(p->key), 0600);
    assert_int_equal(file_mode(p->cert), 0644);
}

static void
test_tls_self_signed_rejects_bad_input(void **state)
{
    struct paths *p = *state;
    const char *good[] = { "localhost" };
    const char *spaced[] = { "localhost", "bad name" };
    const char *empty[] = { "" };
    const char *hyphen[] = { "-a.example" };
    const char *zone[] = { "fe80::1%eth0" };
    const char *long_cn[] = {
        "a-very-long-host-name-that-goes-past-the-limit.of-a.common.name"
        ".example"
    };
    struct fusion_error err;

    assert_int_equal(
        fusion_tls_self_signed(p->cert, p->key, spaced, 2, 1, &err),
        FUSION_ERR_INVALID);
    assert_non_null(strstr(err.message, "'bad name'"));
    assert_non_null(strstr(err.message, p->cert));
    assert_int_equal(fusion_tls_self_signed(p->cert, p->key, empty, 1, 1, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_tls_self_signed(p->cert, p->key, hyphen, 1, 1, NULL),
        FUSION_ERR_INVALID);
    assert_int_equal(fusion_tls_self_signed(p->cert, p->key, zone, 1, 1, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_tls_self_signed(p->cert, p->key, long_cn, 1, 1, &err),
        FUSION_ERR_INVALID);
    assert_non_null(strstr(err.message, "common name"));
    assert_int_equal(fusion_tls_self_signed(p->cert, p->key, good, 0, 1, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_tls_self_signed(p->cert, p->key, good, 1, 0, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_tls_self_signed(p->cert, p->key, good, 1, 36501, NULL),
        FUSION_ERR_INVALID);
    assert_int_equal(fusion_tls_self_signed(p->key, p->key, good, 1, 1, NULL),
                     FUSION_ERR_INVALID);
    assert_false(exists(p->cert));
    assert_false(exists(p->key));
}

static void
test_tls_self_signed_io_error_leaves_nothing(void **state)
{
    struct paths *p = *state;
    const char *names[] = { "localhost" };
    struct fusion_error err;
    char missing[160];

    snprintf(missing, sizeof(missing), "%s/no/such/dir/cert.pem", p->dir);
    assert_int_equal(fusion_tls_self_signed(missing, p->key, names, 1, 1, &err),
                     FUSION_ERR_IO);
    assert_non_null(strstr(err.message, missing));
    assert_non_null(strstr(err.message, strerror(ENOENT)));
    assert_false(exists(p->key));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tls_self_signed_reads_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tls_self_signed_serials_differ,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_self_signed_refuses_overwrite,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_self_signed_modes_ignore_umask,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_self_signed_rejects_bad_input,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_tls_self_signed_io_error_leaves_nothing, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
