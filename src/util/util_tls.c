/* SPDX-License-Identifier: Apache-2.0 */
/* Self-signed TLS certificates for a server's first run (OpenSSL 3). */
#include "util/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 128 bits of serial, the top bit cleared so the integer is positive. */
#define SERIAL_LEN 16
#define MAX_DAYS   36500u
/* RFC 5280 appendix A.1: ub-common-name */
#define CN_MAX 64
/* RFC 1035 section 2.3.4 */
#define DNS_MAX   253
#define LABEL_MAX 63

/* Reports OpenSSL's last failure; the error code follows its reason. */
static enum fusion_err
openssl_error(struct fusion_error *err, const char *what, const char *path)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    enum fusion_err code = FUSION_ERR_INTERNAL;

    if (e && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
        code = FUSION_ERR_NOMEM;
    ERR_clear_error();
    return fusion_error_set(err, code, "cannot %s for '%s': %s", what, path,
                            reason ? reason : "OpenSSL failed");
}

/* The bytes of an IPv4 or IPv6 literal: returns 4 or 16, else 0. */
static int
ip_bytes(const char *name, unsigned char *out)
{
    if (inet_pton(AF_INET, name, out) == 1)
        return 4;
    if (inet_pton(AF_INET6, name, out) == 1)
        return 16;
    return 0;
}

static bool
is_ldh(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-';
}

/*
 * A host name: dot-separated labels of letters, digits and inner
 * hyphens (RFC 1123 section 2.1), the first label possibly "*".
 */
static bool
is_dns_name(const char *s)
{
    size_t len = strlen(s);

    if (!len || len > DNS_MAX)
        return false;
    if (s[0] == '*' && s[1] == '.')
        s += 2;
    for (;;) {
        size_t n = strcspn(s, ".");

        if (!n || n > LABEL_MAX || s[0] == '-' || s[n - 1] == '-')
            return false;
        for (size_t i = 0; i < n; i++) {
            if (!is_ldh(s[i]))
                return false;
        }
        if (!s[n])
            return true;
        s += n + 1;
    }
}

static enum fusion_err
check_args(const char *cert_path, const char *key_path,
           const char *const *names, size_t nnames, unsigned days,
           struct fusion_error *err)
{
    unsigned char ip[16];

    if (!strcmp(cert_path, key_path))
        return fusion_error_set(
            err, FUSION_ERR_INVALID,
            "certificate and key must be different files: '%s'", cert_path);
    if (!nnames)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "certificate '%s' needs at least one name",
                                cert_path);
    if (!days || days > MAX_DAYS)
        return fusion_error_set(
            err, FUSION_ERR_INVALID,
            "certificate '%s': validity of %u days is not within 1 to %u",
            cert_path, days, MAX_DAYS);
    if (strlen(names[0]) > CN_MAX)
        return fusion_error_set(
            err, FUSION_ERR_INVALID,
            "certificate '%s': first name '%s' is longer than the %d characters of a common name",
            cert_path, names[0], CN_MAX);
    for (size_t i = 0; i < nnames; i++) {
        if (!ip_bytes(names[i], ip) && !is_dns_name(names[i]))
            return fusion_error_set(
                err, FUSION_ERR_INVALID,
                "certificate '%s': '%s' is neither an IP address nor a DNS name",
                cert_path, names[i]);
    }
    return FUSION_OK;
}

/* Adds name to the subjectAltName list as an iPAddress or a dNSName. */
static int
push_name(GENERAL_NAMES *san, const char *name)
{
    unsigned char ip[16];
    int iplen = ip_bytes(name, ip);
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_STRING *value = iplen ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();

    if (!gn || !value ||
        !ASN1_STRING_set(value, iplen ? (const void *)ip : name,
                         iplen ? iplen : -1)) {
        ASN1_STRING_free(value);
        GENERAL_NAME_free(gn);
        return 0;
    }
    GENERAL_NAME_set0_value(gn, iplen ? GEN_IPADD : GEN_DNS, value);
    if (!sk_GENERAL_NAME_push(san, gn)) {
        GENERAL_NAME_free(gn);
        return 0;
    }
    return 1;
}

/*
 * A server's leaf: CA:FALSE and digitalSignature (ECDHE-ECDSA needs no
 * other key use), both critical, serverAuth, and every name.
 */
static int
add_extensions(X509 *x, const char *const *names, size_t nnames)
{
    GENERAL_NAMES *san = sk_GENERAL_NAME_new_null();
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    int ok = san && bc && ku && eku;

    for (size_t i = 0; ok && i < nnames; i++)
        ok = push_name(san, names[i]);
    /* bc->ca stays 0, which is CA:FALSE */
    ok = ok && ASN1_BIT_STRING_set_bit(ku, 0, 1) &&
         sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) > 0;
    ok = ok &&
         X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
                           X509V3_ADD_DEFAULT) == 1 &&
         X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) == 1 &&
         X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0, X509V3_ADD_DEFAULT) ==
             1 &&
         X509_add1_ext_i2d(x, NID_subject_alt_name, san, 0,
                           X509V3_ADD_DEFAULT) == 1;
    GENERAL_NAMES_free(san);
    BASIC_CONSTRAINTS_free(bc);
    ASN1_BIT_STRING_free(ku);
    sk_ASN1_OBJECT_free(eku);
    return ok;
}

static int
set_serial(X509 *x)
{
    unsigned char bytes[SERIAL_LEN];
    BIGNUM *bn;
    int ok;

    if (RAND_bytes(bytes, (int)sizeof(bytes)) != 1)
        return 0;
    bytes[0] &= 0x7f;
    bn = BN_bin2bn(bytes, (int)sizeof(bytes), NULL);
    ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok;
}

static int
set_subject(X509 *x, const char *cn)
{
    X509_NAME *name = X509_get_subject_name(x);

    return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                      (const unsigned char *)cn, -1, -1, 0) &&
           X509_set_issuer_name(x, name);
}

static enum fusion_err
make_cert(EVP_PKEY *key, const char *const *names, size_t nnames, unsigned days,
          const char *cert_path, X509 **out, struct fusion_error *err)
{
    X509 *x = X509_new();
    int ok;

    /* an hour back, so a client whose clock lags a little accepts it */
    ok = x && X509_set_version(x, X509_VERSION_3) && set_serial(x) &&
         X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
         X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) &&
         set_subject(x, names[0]) && X509_set_pubkey(x, key) &&
         add_extensions(x, names, nnames) &&
         X509_sign(x, key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return openssl_error(err, "build the certificate", cert_path);
    }
    *out = x;
    return FUSION_OK;
}

/* The key goes to memory that is wiped when it is freed. */
static enum fusion_err
encode(EVP_PKEY *key, X509 *cert, const char *cert_path, const char *key_path,
       BIO **key_pem, BIO **cert_pem, struct fusion_error *err)
{
    *key_pem = BIO_new(BIO_s_secmem());
    if (!*key_pem ||
        !PEM_write_bio_PrivateKey(*key_pem, key, NULL, NULL, 0, NULL, NULL))
        return openssl_error(err, "encode the key", key_path);
    *cert_pem = BIO_new(BIO_s_mem());
    if (!*cert_pem || !PEM_write_bio_X509(*cert_pem, cert))
        return openssl_error(err, "encode the certificate", cert_path);
    return FUSION_OK;
}

/* O_EXCL refuses an existing file, and a symbolic link in its place. */
static enum fusion_err
create_file(const char *path, mode_t mode, int *fd_out,
            struct fusion_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    int e = errno;

    if (fd < 0 && e == EEXIST)
        return fusion_error_set(err, FUSION_ERR_CONFLICT,
                                "'%s' already exists; refusing to replace it",
                                path);
    if (fd < 0)
        return fusion_error_set(err, FUSION_ERR_IO, "cannot create '%s': %s",
                                path, strerror(e));
    *fd_out = fd;
    /* the exact mode whatever the umask */
    if (fchmod(fd, mode)) {
        e = errno;
        return fusion_error_set(err, FUSION_ERR_IO,
                                "cannot set the mode of '%s': %s", path,
                                strerror(e));
    }
    return FUSION_OK;
}

static enum fusion_err
write_file(int fd, BIO *pem, const char *path, struct fusion_error *err)
{
    char *data;
    long len = BIO_get_mem_data(pem, &data);
    size_t left = len > 0 ? (size_t)len : 0;
    int e;

    while (left) {
        ssize_t n = write(fd, data, left);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? errno : EIO;
            return fusion_error_set(err, FUSION_ERR_IO, "cannot write '%s': %s",
                                    path, strerror(e));
        }
        data += n;
        left -= (size_t)n;
    }
    if (fsync(fd)) {
        e = errno;
        return fusion_error_set(err, FUSION_ERR_IO, "cannot write '%s': %s",
                                path, strerror(e));
    }
    return FUSION_OK;
}

/* Closes fd if it is open; a failure counts when nothing failed before. */
static enum fusion_err
close_file(int fd, const char *path, enum fusion_err rc,
           struct fusion_error *err)
{
    int e;

    if (fd < 0 || !close(fd) || rc)
        return rc;
    e = errno;
    return fusion_error_set(err, FUSION_ERR_IO, "cannot write '%s': %s", path,
                            strerror(e));
}

enum fusion_err
fusion_tls_self_signed(const char *cert_path, const char *key_path,
                       const char *const *names, size_t nnames, unsigned days,
                       struct fusion_error *err)
{
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    BIO *key_pem = NULL;
    BIO *cert_pem = NULL;
    int key_fd = -1;
    int cert_fd = -1;
    enum fusion_err rc;

    ERR_clear_error();
    rc = check_args(cert_path, key_path, names, nnames, days, err);
    if (rc)
        return rc;
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!key)
        return openssl_error(err, "generate a P-256 key", key_path);
    rc = make_cert(key, names, nnames, days, cert_path, &cert, err);
    if (!rc)
        rc = encode(key, cert, cert_path, key_path, &key_pem, &cert_pem, err);
    if (rc)
        goto out;

    /* both files are created before either is written */
    rc = create_file(key_path, 0600, &key_fd, err);
    if (!rc)
        rc = create_file(cert_path, 0644, &cert_fd, err);
    if (!rc)
        rc = write_file(key_fd, key_pem, key_path, err);
    if (!rc)
        rc = write_file(cert_fd, cert_pem, cert_path, err);
    rc = close_file(key_fd, key_path, rc, err);
    rc = close_file(cert_fd, cert_path, rc, err);
    /* on failure, remove what this call created and nothing else */
    if (rc && key_fd >= 0)
        unlink(key_path);
    if (rc && cert_fd >= 0)
        unlink(cert_path);
out:
    BIO_free(key_pem);
    BIO_free(cert_pem);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}
