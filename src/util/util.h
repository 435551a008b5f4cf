/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Utilities shared by every module: error codes and details, allocation
 * with test hooks, bounded buffers, STIX timestamps, UUIDs and logging.
 */
#ifndef FUSION_UTIL_H
#define FUSION_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FUSION_NODISCARD    __attribute__((warn_unused_result))
#define FUSION_PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * Errors
 */

enum fusion_err {
    FUSION_OK = 0,
    FUSION_ERR_NOMEM,
    FUSION_ERR_INVALID,
    FUSION_ERR_NOTFOUND,
    FUSION_ERR_CONFLICT,
    FUSION_ERR_LIMIT,
    FUSION_ERR_IO,
    FUSION_ERR_DB,
    FUSION_ERR_UNSUPPORTED,
    FUSION_ERR_INTERNAL,
};

/* Static text for an error code; never NULL. */
const char *fusion_strerror(enum fusion_err code);

/*
 * Detail for a failure. Parsers fill line, column and byte offset when
 * they know them (0 means unknown; line and column count from 1, the byte
 * offset from 0 and is only meaningful when has_offset is set).
 */
struct fusion_error {
    enum fusion_err code;
    char message[512];
    uint64_t line;
    uint64_t column;
    uint64_t offset;
    bool has_offset;
};

/*
 * Records code and a formatted message in err (which may be NULL) and
 * returns code, so a failure is one statement: return fusion_error_set(..).
 * Position fields are cleared.
 */
enum fusion_err fusion_error_set(struct fusion_error *err, enum fusion_err code,
                                 const char *fmt, ...) FUSION_PRINTF(3, 4);

/* Like fusion_error_set, and records a byte offset too. */
enum fusion_err fusion_error_set_at(struct fusion_error *err,
                                    enum fusion_err code, uint64_t offset,
                                    const char *fmt, ...) FUSION_PRINTF(4, 5);

/* Prepends "prefix: " to err's message, keeping code and position. */
void fusion_error_prefix(struct fusion_error *err, const char *fmt, ...)
    FUSION_PRINTF(2, 3);

/* Resets err to FUSION_OK with an empty message; NULL is allowed. */
void fusion_error_clear(struct fusion_error *err);

/*
 * Allocation. Every allocation of the project goes through these, so
 * tests can make the Nth one fail. They return NULL on failure and never
 * abort. fusion_free(NULL) does nothing.
 */
void *fusion_malloc(size_t size);
void *fusion_calloc(size_t n, size_t size);
void *fusion_realloc(void *p, size_t size);
char *fusion_strdup(const char *s);
char *fusion_strndup(const char *s, size_t n);
void fusion_free(void *p);

#define FUSION_FREE(p)  \
    do {                \
        fusion_free(p); \
        (p) = NULL;     \
    } while (0)

/*
 * Test hook: after n further successful allocations, every allocation
 * fails until the hook is reset with a negative n. Not thread-safe; for
 * single-threaded tests only.
 */
void fusion_alloc_fail_after(long n);

/* True when the test hook has made at least one allocation fail. */
bool fusion_alloc_has_failed(void);

/*
 * Growable byte buffer with a hard cap. data is always NUL-terminated
 * once anything has been appended (len excludes the NUL).
 */
struct fusion_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

/* Initialises an empty buffer that may grow to max bytes (0: 1 GiB). */
void fusion_buf_init(struct fusion_buf *buf, size_t max);

/* Frees the storage and resets the buffer to empty; the cap stays. */
void fusion_buf_release(struct fusion_buf *buf);

/* Empties the buffer, keeping its storage for reuse. */
void fusion_buf_clear(struct fusion_buf *buf);

/*
 * Appends bytes. Returns FUSION_ERR_LIMIT past the cap, FUSION_ERR_NOMEM
 * when memory runs out; the buffer is unchanged on failure.
 */
FUSION_NODISCARD enum fusion_err
fusion_buf_append(struct fusion_buf *buf, const void *data, size_t len);

FUSION_NODISCARD enum fusion_err fusion_buf_puts(struct fusion_buf *buf,
                                                 const char *s);

FUSION_NODISCARD enum fusion_err fusion_buf_putc(struct fusion_buf *buf,
                                                 char c);

FUSION_NODISCARD enum fusion_err fusion_buf_printf(struct fusion_buf *buf,
                                                   const char *fmt, ...)
    FUSION_PRINTF(2, 3);

/* Makes sure len + extra bytes (plus a NUL) fit without reallocating. */
FUSION_NODISCARD enum fusion_err fusion_buf_reserve(struct fusion_buf *buf,
                                                    size_t extra);

/*
 * Hands the contents to the caller (who frees them with fusion_free) and
 * leaves the buffer empty. Returns an empty string for an empty buffer,
 * or NULL when even that cannot be allocated.
 */
char *fusion_buf_detach(struct fusion_buf *buf, size_t *len_out);

/*
 * Arena: many small allocations freed together, for memory that lives
 * exactly as long as one unit of work (an HTTP request). Blocks come
 * from fusion_malloc; every pointer handed out is aligned for any type.
 * An arena is not thread-safe: one thread uses it at a time.
 */
struct fusion_arena_block;

struct fusion_arena {
    struct fusion_arena_block *head;
    size_t block_size;
    size_t used;
    size_t max;
};

/*
 * Initialises an empty arena that takes memory in blocks of block_size
 * bytes (0: 4 KiB) and in total never more than max bytes (0: 1 GiB).
 * Nothing is allocated until the first fusion_arena_alloc.
 */
void fusion_arena_init(struct fusion_arena *arena, size_t block_size,
                       size_t max);

/*
 * Returns size bytes (size 0 counts as 1) owned by the arena, valid until
 * fusion_arena_release. NULL when memory runs out or the arena's cap
 * would be passed; the arena stays usable either way.
 */
void *fusion_arena_alloc(struct fusion_arena *arena, size_t size);

/* Like fusion_arena_alloc, with the bytes set to zero. */
void *fusion_arena_calloc(struct fusion_arena *arena, size_t n, size_t size);

/* Copies s, or its first n bytes, and a NUL into the arena; NULL on failure. */
char *fusion_arena_strdup(struct fusion_arena *arena, const char *s);
char *fusion_arena_strndup(struct fusion_arena *arena, const char *s, size_t n);

/* Bytes taken from the allocator so far, block headers included. */
size_t fusion_arena_used(const struct fusion_arena *arena);

/*
 * Frees every block in one go; all pointers from the arena become
 * invalid. The arena is left empty and may be used again.
 */
void fusion_arena_release(struct fusion_arena *arena);

/*
 * Timestamps. STIX timestamps are RFC 3339 in UTC with a literal Z
 * (STIX 2.1 section 2.16), years 0000 to 9999. sec and nsec hold the
 * exact instant; ns is the same as nanoseconds since the epoch, saturated
 * to INT64_MIN or INT64_MAX outside the years 1678 to 2262 (where a 64-bit
 * count of nanoseconds ends), for storage and most comparisons.
 * frac_digits remembers the precision that was written.
 */
struct fusion_ts {
    int64_t sec;
    int32_t nsec;
    int frac_digits;
    int64_t ns;
};

/* Sets ts from seconds and nanoseconds since the epoch (ns saturated). */
void fusion_ts_set(struct fusion_ts *ts, int64_t sec, int32_t nsec,
                   int frac_digits);

/* Orders two timestamps by their exact instant: <0, 0 or >0. */
int fusion_ts_compare(const struct fusion_ts *a, const struct fusion_ts *b);

/*
 * Parses a STIX timestamp of exactly len bytes. Accepts a leap second
 * (60), which is folded onto the next second; digits past nanoseconds
 * are kept for precision but not for value. Returns FUSION_ERR_INVALID
 * with a reason in err for anything else, including offsets other than Z.
 */
FUSION_NODISCARD enum fusion_err fusion_ts_parse(const char *s, size_t len,
                                                 struct fusion_ts *out,
                                                 struct fusion_error *err);

#define FUSION_TS_MAX 40

/*
 * Writes ts as RFC 3339 UTC with the given number of fractional digits
 * (0 to 9) into out, which has room for FUSION_TS_MAX bytes.
 */
void fusion_ts_format(int64_t ns, int frac_digits, char *out);

/* The current time as nanoseconds since the epoch. */
int64_t fusion_time_now_ns(void);

/*
 * UUIDs, as lowercase text of 36 characters.
 */
#define FUSION_UUID_LEN 36

/* Writes a random (version 4) UUID and a NUL into out (37 bytes). */
void fusion_uuid4(char *out);

/*
 * Writes the version 5 UUID of name in namespace ns (a UUID string) into
 * out (37 bytes). Returns FUSION_ERR_INVALID if ns is not a UUID.
 */
FUSION_NODISCARD enum fusion_err fusion_uuid5(const char *ns, const void *name,
                                              size_t name_len, char *out);

/*
 * True when s holds exactly a UUID of the RFC 4122 variant with a version
 * from 1 to 5, in either case, as STIX identifiers require. The version
 * is stored in version_out when it is not NULL.
 */
bool fusion_uuid_is_valid(const char *s, size_t len, int *version_out);

/*
 * Checked number parsing: the whole of s[0..len) must be the number.
 */
FUSION_NODISCARD enum fusion_err fusion_parse_int64(const char *s, size_t len,
                                                    int64_t *out);

/* The value of hexadecimal digit c (either case), or -1. */
int fusion_hex_digit(char c);

/*
 * True when s[0..len) is text a person may be shown: valid UTF-8 (no
 * overlong forms, surrogates or code points past U+10FFFF) without C0 or
 * C1 control characters or DEL, which could move a terminal's cursor.
 */
bool fusion_text_is_printable(const char *s, size_t len);

/*
 * Logging. Only the command line and the long-running parts log; the
 * library modules return errors instead. One line per event on stderr in
 * logfmt (or JSON lines), fields ts, level, module, event, msg and any
 * extra key=value pairs passed as a NULL-terminated list of strings.
 * Each line leaves in one write(2), so lines from different threads never
 * interleave. A line is at most 4096 bytes, which a pipe takes in one
 * piece; past that the line is cut and ends with truncated=true.
 * fusion_log_setup is called once, before other threads start; the
 * others are thread-safe.
 */
enum fusion_log_level {
    FUSION_LOG_ERROR,
    FUSION_LOG_WARN,
    FUSION_LOG_INFO,
    FUSION_LOG_DEBUG,
    FUSION_LOG_TRACE,
};

enum fusion_log_format {
    FUSION_LOG_LOGFMT,
    FUSION_LOG_JSON,
};

void fusion_log_setup(enum fusion_log_level level,
                      enum fusion_log_format format);

bool fusion_log_enabled(enum fusion_log_level level);

void fusion_log_write(enum fusion_log_level level, const char *module,
                      const char *event, const char *msg, ...);

/* Checks the level before anything is formatted. */
#define FUSION_LOG(level, module, event, ...)                          \
    do {                                                               \
        if (fusion_log_enabled(level))                                 \
            fusion_log_write(level, module, event, __VA_ARGS__, NULL); \
    } while (0)

/*
 * Secrets: random bytes, base64url text and memory-hard hashes of
 * passwords and tokens. A hash is kept as text that names its
 * parameters and salt, "$scrypt$ln=15,r=8,p=1$SALT$HASH" (salt and
 * hash in base64url), so the parameters of new hashes may change while
 * old ones still verify. Thread-safe.
 */
struct fusion_secret_params {
    unsigned log2_n; /* scrypt cost: N = 2^log2_n, 1 to 24 */
    unsigned r;      /* block size, 1 to 32 */
    unsigned p;      /* parallelism, 1 to 16 */
};

/* For passwords: N = 2^15, r = 8, p = 1, about 32 MiB and 0.1 s. */
#define FUSION_SECRET_PASSWORD_LOG2_N 15
/*
 * For tokens, whose secret is 32 random bytes: no guessing is helped by
 * a cheap hash, so N = 2^10 (1 MiB, about 1 ms) keeps each request cheap.
 */
#define FUSION_SECRET_TOKEN_LOG2_N 10

#define FUSION_SECRET_SALT_LEN 16
#define FUSION_SECRET_KEY_LEN  32
/* Room for an encoded hash and its NUL. */
#define FUSION_SECRET_HASH_MAX 128
/* Characters of len bytes in base64url without padding. */
#define FUSION_BASE64URL_LEN(len) (((len)*4 + 2) / 3)

/*
 * Fills buf with len bytes from the OpenSSL random generator.
 * FUSION_ERR_INTERNAL when it has no entropy.
 */
FUSION_NODISCARD enum fusion_err fusion_secret_random(void *buf, size_t len,
                                                      struct fusion_error *err);

/*
 * Writes data as base64url without padding and a NUL into out, which
 * has room for FUSION_BASE64URL_LEN(len) + 1 bytes.
 */
void fusion_base64url_encode(const void *data, size_t len, char *out);

/*
 * Decodes len characters of unpadded base64url into out (size bytes);
 * *len_out receives the byte count. FUSION_ERR_INVALID for anything
 * that is not canonical base64url, FUSION_ERR_LIMIT when out is short.
 */
FUSION_NODISCARD enum fusion_err fusion_base64url_decode(const char *s,
                                                         size_t len, void *out,
                                                         size_t size,
                                                         size_t *len_out);

/*
 * Hashes secret (len bytes, borrowed) with scrypt under params (NULL:
 * the password setting) and a fresh random salt, and writes the encoded
 * hash into out (FUSION_SECRET_HASH_MAX bytes). FUSION_ERR_INVALID or
 * FUSION_ERR_LIMIT for parameters out of range, FUSION_ERR_NOMEM or
 * FUSION_ERR_INTERNAL when OpenSSL fails.
 */
FUSION_NODISCARD enum fusion_err
fusion_secret_hash(const void *secret, size_t len,
                   const struct fusion_secret_params *params, char *out,
                   struct fusion_error *err);

/*
 * Recomputes the hash of secret under the parameters and salt of
 * encoded and compares in constant time: *match_out is true when they
 * agree. FUSION_ERR_INVALID for a malformed encoded hash (then
 * *match_out is false), FUSION_ERR_NOMEM or FUSION_ERR_INTERNAL when
 * OpenSSL fails.
 */
FUSION_NODISCARD enum fusion_err
fusion_secret_verify(const void *secret, size_t len, const char *encoded,
                     bool *match_out, struct fusion_error *err);

/*
 * TLS: a self-signed certificate for a server's first run, before an
 * operator supplies one signed by a CA.
 */

/*
 * Creates a new EC P-256 private key at key_path (PKCS #8 PEM, mode
 * 0600) and an X.509 v3 certificate for it at cert_path (PEM, mode
 * 0644), both modes exact whatever the umask. The certificate is signed
 * by its own key with SHA-256, has a random 128-bit serial, is valid
 * from an hour ago for days days (1 to 36500), has names[0] as its
 * common name (at most 64 characters) and lists all nnames names in
 * subjectAltName: an IPv4 or IPv6 literal as an IP address, anything
 * else as a DNS name (letters, digits and hyphens, "*." allowed first).
 * basicConstraints CA:FALSE and keyUsage digitalSignature are critical;
 * extendedKeyUsage is serverAuth. Clients trust it by taking the
 * certificate itself as their CA file.
 *
 * Neither file may exist: FUSION_ERR_CONFLICT naming the one that does,
 * and existing files are never touched. Other errors:
 * FUSION_ERR_INVALID for bad names, days or equal paths, FUSION_ERR_IO
 * when a file cannot be created or written, FUSION_ERR_NOMEM and
 * FUSION_ERR_INTERNAL from OpenSSL; each message names the path and the
 * reason. On any failure neither file is left behind. All arguments are
 * borrowed. Thread-safe.
 */
FUSION_NODISCARD enum fusion_err
fusion_tls_self_signed(const char *cert_path, const char *key_path,
                       const char *const *names, size_t nnames, unsigned days,
                       struct fusion_error *err);

#endif
